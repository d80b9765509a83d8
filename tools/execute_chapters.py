"""Execute chapter notebooks in place, so the committed copies carry fresh outputs.

    python tools/execute_chapters.py                 # every chapter
    python tools/execute_chapters.py chapters/07_convolution.ipynb

Run it after changing package code that a chapter shows or prints: a ``book.show``
cell stores the package's source as it was when the chapter ran, and the tests
(tests/test_notebooks.py) fail when it no longer is. Execution timestamps are dropped
so that re-running an unchanged chapter changes nothing but real outputs. One BLAS
thread (d2lmini's default too) keeps the run fast and repeatable on a busy machine.
"""
import glob
import os
import sys
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402


def execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name='python3',
                   resources={'metadata': {'path': os.path.dirname(path) or '.'}}).execute()
    for cell in nb.cells:
        cell.metadata.pop('execution', None)
    nbformat.write(nb, path)


def main(paths):
    for path in paths or sorted(glob.glob('chapters/*.ipynb')):
        start = time.perf_counter()
        execute(path)
        print(f'{path}: {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main(sys.argv[1:])
