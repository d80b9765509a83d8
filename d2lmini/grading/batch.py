"""Grade a class: every submission of a folder, each in its own process, to a CSV.

Each submission is graded by ``python -m d2lmini.grading score`` in a process of its
own, under a time limit (and a memory limit), in a fresh temporary folder. A
submission that hangs, crashes, fills the memory or is no notebook at all gets rows
saying why, with 0 points, and the others are graded as usual.

The CSV has one row per student and question: ``student, question, points,
max_points, status, message``.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / 'alice.ipynb').write_text('{}')
>>> (folder / 'bob' / 'ch05_convolution').mkdir(parents=True)
>>> _ = (folder / 'bob' / 'ch05_convolution' / 'ch05_convolution.ipynb').write_text('{}')
>>> [(student, path.name) for student, path in find_submissions(folder)]
[('alice', 'alice.ipynb'), ('bob', 'ch05_convolution.ipynb')]
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import markup
from ..fileio import write_bytes_atomically
from .scorer import DEFAULT_CELL_TIMEOUT, QuestionResult, Report, read_notebook, Ungradable

CSV_FIELDS = ['student', 'question', 'points', 'max_points', 'status', 'message']


def find_submissions(folder, set_filename=None):
    """``[(student, path or None)]`` for a folder of submissions.

    Either ``folder/<student>.ipynb``, or nbgrader's layout
    ``folder/<student>/[<assignment>/]<notebook>.ipynb``: in a student's folder the
    notebook named ``set_filename`` is taken, else the only notebook there (None
    when there is none, or several).
    """
    found = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith('.'):
            continue
        if entry.is_file() and entry.suffix == '.ipynb':
            found.append((entry.stem, entry))
        elif entry.is_dir():
            notebooks = [p for p in sorted(entry.rglob('*.ipynb'))
                         if '.ipynb_checkpoints' not in p.parts]
            named = [p for p in notebooks if set_filename and p.name == set_filename]
            pick = named[0] if named else (notebooks[0] if len(notebooks) == 1 else None)
            found.append((entry.name, pick))
    return found


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def grade_one(path, reference, *, cell_timeout=DEFAULT_CELL_TIMEOUT, time_limit=600,
              memory_mb=4096, name=None):
    """Grade one submission in a process of its own; always returns a :class:`Report`."""
    reference_nb = read_notebook(reference)
    name = name or (Path(path).name if path else 'submission')
    start = time.monotonic()

    def ungradable(why):
        qs = markup.questions(reference_nb)
        return Report(name, [QuestionResult(q.grade_id, 0, q.points, 'ungradable', why)
                             for q in qs], (), why, time.monotonic() - start)

    if path is None:
        return ungradable('no notebook found in the submission')
    try:
        read_notebook(path)
    except Ungradable as e:
        return ungradable(str(e))
    with tempfile.TemporaryDirectory(prefix='d2lmini-grade-') as work:
        out, pids = os.path.join(work, 'report.json'), os.path.join(work, 'kernels.pid')
        run_dir = os.path.join(work, 'run')
        os.mkdir(run_dir)
        cmd = [sys.executable, '-m', 'd2lmini.grading', 'score', str(Path(path).resolve()),
               '--reference', str(Path(reference).resolve()), '--json-out', out,
               '--timeout', str(cell_timeout), '--cwd', run_dir, '--pid-file', pids,
               '--memory-mb', str(memory_mb or 0)]
        with open(os.path.join(work, 'log'), 'wb') as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, cwd=run_dir)
            try:
                proc.wait(timeout=time_limit)
                why = None
            except subprocess.TimeoutExpired:
                why = f'grading took longer than {time_limit:g} s'
            finally:
                _kill_group(proc.pid)
                proc.wait()
                if os.path.exists(pids):
                    for line in open(pids).read().split():
                        if line.strip().isdigit():
                            _kill_group(int(line))
        if why is None:
            try:
                with open(out) as f:
                    report = Report.from_dict(json.load(f))
                report.notebook = name
                return report
            except (OSError, ValueError, KeyError):
                tail = Path(work, 'log').read_bytes()[-300:].decode('utf-8', 'replace')
                last = tail.strip().splitlines()[-1] if tail.strip() else ''
                why = (f'the grading process failed (exit code {proc.returncode})'
                       + (f': {last}' if last else ''))
        return ungradable(why)


def grade_folder(reference, folder, csv_path, *, cell_timeout=DEFAULT_CELL_TIMEOUT,
                 time_limit=600, memory_mb=4096, jobs=1, set_filename=None, progress=None):
    """Grade every submission in ``folder`` against ``reference`` (a source notebook)
    and write ``csv_path``. Returns ``{student: Report}``.

    Example (it starts a process and a kernel per submission)::

        reports = grade_folder('exercises/source/ch01_ndarray.ipynb', 'submitted/',
                               'grades.csv', jobs=2)
        {student: r.score for student, r in reports.items()}   # {'alice': 8.0, 'bob': 0.0}
    """
    subs = find_submissions(folder, set_filename or Path(reference).name)

    def one(item):
        student, path = item
        report = grade_one(path, reference, cell_timeout=cell_timeout, time_limit=time_limit,
                           memory_mb=memory_mb, name=student)
        if progress:
            progress(student, report)
        return student, report

    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        reports = dict(pool.map(one, subs))
    write_csv(reports, csv_path)
    return reports


def write_csv(reports, csv_path):
    """One row per student and question; the file is replaced in one step."""
    f = io.StringIO(newline='')
    w = csv.writer(f)
    w.writerow(CSV_FIELDS)
    for student in sorted(reports):
        for q in reports[student].questions:
            w.writerow([student, q.question, f'{q.points:g}', f'{q.max_points:g}',
                        q.status, q.message])
    write_bytes_atomically(csv_path, f.getvalue().encode('utf-8'))
