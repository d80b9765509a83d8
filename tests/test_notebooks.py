"""Checks on the committed chapter notebooks, as a reader meets them.

nbval (run on ``chapters/``) executes every chapter and compares the outputs of the
cells tagged ``nbval-check-output``. These tests read the committed files instead:
every figure is stored in a form JupyterLab shows, every ``book.show`` output is the
package's current source, and no chapter carries a second copy of package code.
"""
import ast
import glob
import os
import re

import nbformat
import pytest

import d2lmini as mx
from d2lmini import book

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAPTERS = sorted(glob.glob(os.path.join(ROOT, 'chapters', '*.ipynb')))
NAMES = [os.path.basename(p) for p in CHAPTERS]
CHECK_TAG = 'nbval-check-output'


def _read(path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == 'code']


def _outputs_with_data(cell):
    return [o for o in cell.get('outputs', []) if 'data' in o]


@pytest.fixture(scope='module', params=CHAPTERS, ids=NAMES)
def chapter(request):
    return request.param, _read(request.param)


def test_there_are_chapters():
    assert len(CHAPTERS) >= 9
    assert [n[:2] for n in NAMES] == [f'{i:02d}' for i in range(1, len(NAMES) + 1)], \
        'chapters are numbered 01, 02, ... without gaps'


# ------------------------------------------------------------------ as committed
def test_every_code_cell_ran_without_error(chapter):
    path, nb = chapter
    for i, cell in _code_cells(nb):
        if not cell.source.strip():
            continue
        assert cell.execution_count is not None, f'cell {i} was not executed'
        errors = [o for o in cell.outputs if o.output_type == 'error']
        assert not errors, f'cell {i} failed: {errors[0].ename}: {errors[0].evalue}'


def _is_figure(output):
    data = output.get('data', {})
    return (any(k.startswith('image/') for k in data)
            or data.get('text/plain', '').startswith('<Figure size'))


def test_every_figure_has_a_png(chapter):
    """JupyterLab hides SVG images in a notebook it does not trust (any notebook the
    reader did not run), so each figure must also be stored as PNG."""
    path, nb = chapter
    for i, cell in _code_cells(nb):
        for output in _outputs_with_data(cell):
            if _is_figure(output):
                assert 'image/png' in output['data'], \
                    f'cell {i}: a figure without image/png ({sorted(output["data"])})'


def test_code_cells_hold_only_code_for_the_reader(chapter):
    """Which outputs nbval compares is said by the cell tag, not by a comment."""
    path, nb = chapter
    for i, cell in _code_cells(nb):
        assert 'NBVAL' not in cell.source.upper().replace(' ', '_'), \
            f'cell {i}: use the cell tag {CHECK_TAG!r} instead of a comment'
        for tag in cell.metadata.get('tags', []):
            assert not tag.startswith('nbval') or tag in (CHECK_TAG, 'nbval-skip',
                                                          'nbval-ignore-output'), tag


def test_cells_whose_output_is_checked_exist(chapter):
    path, nb = chapter
    assert any(CHECK_TAG in c.metadata.get('tags', []) for _, c in _code_cells(nb))


# ------------------------------------------------------------------ book.show outputs
def _calls_to(tree, module, function):
    """Calls ``module.function(...)`` in ``tree``, in the order they are written."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == function
             and isinstance(node.func.value, ast.Name) and node.func.value.id == module]
    return sorted(calls, key=lambda n: (n.lineno, n.col_offset))


def _import_namespace(nb):
    """What the chapter's first code cell (its imports) defines."""
    namespace = {}
    exec(compile(_code_cells(nb)[0][1].source, '<imports>', 'exec'), namespace)
    return namespace


def test_book_show_outputs_are_the_current_source(chapter):
    """A chapter quotes the package with ``book.show``; its committed output must be
    the package's code as it is now (re-execute the chapter when it changes)."""
    path, nb = chapter
    namespace = None
    for i, cell in _code_cells(nb):
        calls = _calls_to(ast.parse(cell.source), 'book', 'show')
        if not calls:
            continue
        namespace = namespace or _import_namespace(nb)
        expected = []
        for call in calls:
            try:
                args = [eval(compile(ast.Expression(a), '<show>', 'eval'), namespace)
                        for a in call.args]
            except NameError as e:
                pytest.fail(f'cell {i}: book.show should name what it shows through the '
                            f'imports of the first cell ({e})')
            expected.append(book.render(*args))
        shown = [o['data']['text/plain'] for o in _outputs_with_data(cell)
                 if 'text/markdown' in o['data']]
        assert shown == expected, f'cell {i} of {os.path.basename(path)} shows old code: ' \
                                  'run tools/execute_chapters.py on it'


def test_book_show_headers_name_no_line_numbers(chapter):
    path, nb = chapter
    for i, cell in _code_cells(nb):
        for output in _outputs_with_data(cell):
            for line in output['data'].get('text/plain', '').splitlines():
                if line.startswith('# d2lmini/'):
                    assert not re.search(r', line \d+', line), f'cell {i}: {line}'


# ------------------------------------------------------------------ no second copies
def _package_names():
    """Names of the package's functions and classes: every module-level ``def`` and
    ``class`` in d2lmini/, and every name of the ``nd`` namespace (where the
    operators' functions are generated)."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, 'd2lmini', '**', '*.py'), recursive=True):
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        names.update(node.name for node in tree.body
                     if isinstance(node, (ast.FunctionDef, ast.ClassDef)))
    names.update(n for n in dir(mx.nd) if not n.startswith('__'))
    return names


PACKAGE_NAMES = _package_names()


def _is_checked_against_package(cells, name):
    """Some cell calls the draft ``name(...)`` and the package's ``something.name(...)``
    and asserts something: the draft is compared with the package."""
    for cell in cells:
        tree = ast.parse(cell.source)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        draft = any(isinstance(c.func, ast.Name) and c.func.id == name for c in calls)
        package = any(isinstance(c.func, ast.Attribute) and c.func.attr == name
                      for c in calls)
        asserts = any(isinstance(n, ast.Assert) for n in ast.walk(tree)) or any(
            isinstance(c.func, ast.Name) and c.func.id.startswith(('assert', 'check'))
            for c in calls)
        if draft and package and asserts:
            return True
    return False


def test_no_chapter_copies_a_package_function(chapter):
    """A chapter uses the package's functions. It may write a function or class with
    the name of one only as a first draft: labelled so in its docstring, and
    compared with the package's in the notebook."""
    path, nb = chapter
    cells = _code_cells(nb)
    for k, (i, cell) in enumerate(cells):
        for node in ast.parse(cell.source).body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            if node.name not in PACKAGE_NAMES:
                continue
            doc = ast.get_docstring(node) or ''
            assert 'first draft' in doc.lower(), \
                f'cell {i} defines {node.name}, a name of the package: use the package\'s ' \
                'or label it a first draft'
            assert _is_checked_against_package([c for _, c in cells[k:]], node.name), \
                f'cell {i}: the first draft {node.name} is never checked against the package'


def test_no_chapter_imports_private_names(chapter):
    """Private code is read with ``book.show(module, '_name')``, never imported."""
    path, nb = chapter
    for i, cell in _code_cells(nb):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith('_')]
                assert not private, f'cell {i} imports {private} from {node.module}'


def test_copy_check_sees_a_copy():
    copy = nbformat.v4.new_code_cell('def sgd(params, lr, batch_size):\n'
                                     '    """Minibatch SGD."""\n')
    draft = nbformat.v4.new_code_cell('def sgd(params, lr, batch_size):\n'
                                      '    """First draft of training.sgd."""\n')
    check = nbformat.v4.new_code_cell('sgd([a], 1, 1)\ntraining.sgd([b], 1, 1)\n'
                                      'assert_almost_equal(a, b)')
    assert 'sgd' in PACKAGE_NAMES
    assert ast.get_docstring(ast.parse(copy.source).body[0]) == 'Minibatch SGD.'
    assert _is_checked_against_package([draft, check], 'sgd')
    assert not _is_checked_against_package([draft], 'sgd')


# ------------------------------------------------------------------ the README
def test_readme_lists_every_chapter():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        readme = f.read()
    listed = re.findall(r'^\| `(\d\d_\w+)` \|', readme, re.M)
    assert listed == [n[:-len('.ipynb')] for n in NAMES]
