"""nbgrader's cell markup, read and written without nbgrader.

An exercise notebook is an nbgrader *source* notebook. Its cells carry
``metadata['nbgrader']`` and are of four kinds:

* **answer** cells (``solution: true``): the student's code. A region between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is the instructor's solution;
* **test** cells (``grade: true``, ``locked: true``, ``points``): assertions that earn
  their points when the cell runs without error. Lines between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are left out of the students'
  copy;
* **read-only** cells (``locked: true``): text and setup code the student must not change;
* plain cells, without nbgrader metadata (a student's scratch cells).

:func:`release_notebook` turns a source notebook into the students' copy exactly as
``nbgrader generate_assignment`` does (same stubs, locks and checksums), so both tools
agree on what a student received.

>>> from nbformat.v4 import new_notebook, new_code_cell
>>> nb = new_notebook(cells=[
...     new_code_cell('def double(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n'
...                   '    ### END SOLUTION', metadata=answer_metadata('double_answer')),
...     new_code_cell('assert double(2) == 4\\n### BEGIN HIDDEN TESTS\\n'
...                   'assert double(-3) == -6\\n### END HIDDEN TESTS',
...                   metadata=test_metadata('double', points=1))])
>>> student = release_notebook(nb)
>>> print(student.cells[0].source)
def double(x):
    # YOUR CODE HERE
    raise NotImplementedError()
>>> print(student.cells[1].source)
assert double(2) == 4
>>> [q.grade_id for q in questions(nb)], total_points(nb)
(['double'], 1.0)
"""
import copy
import hashlib
import re

BEGIN_SOLUTION = 'BEGIN SOLUTION'
END_SOLUTION = 'END SOLUTION'
BEGIN_HIDDEN = 'BEGIN HIDDEN TESTS'
END_HIDDEN = 'END HIDDEN TESTS'
CODE_STUB = '# YOUR CODE HERE\nraise NotImplementedError()'
TEXT_STUB = 'YOUR ANSWER HERE'
SCHEMA_VERSION = 3


class MarkupError(ValueError):
    """A source notebook whose nbgrader markup is inconsistent."""


# ------------------------------------------------------------------ metadata
def _metadata(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {'grade': grade, 'grade_id': grade_id, 'locked': locked,
            'schema_version': SCHEMA_VERSION, 'solution': solution, 'task': False}
    if points is not None:
        meta['points'] = points
    return {'nbgrader': meta}


def answer_metadata(grade_id):
    """Cell metadata of an answer cell (nbgrader's "Autograded answer")."""
    return _metadata(grade_id, solution=True)


def test_metadata(grade_id, points):
    """Cell metadata of a test cell worth ``points`` (nbgrader's "Autograder tests")."""
    return _metadata(grade_id, grade=True, locked=True, points=points)


def readonly_metadata(grade_id):
    """Cell metadata of a read-only cell (nbgrader's "Read-only")."""
    return _metadata(grade_id, locked=True)


def nbgrader(cell):
    """The cell's nbgrader metadata, or an empty dict for a plain cell."""
    meta = cell.get('metadata', {}).get('nbgrader')
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    """The cell's ``grade_id`` (None for a plain cell)."""
    return nbgrader(cell).get('grade_id')


def is_grade(cell):
    return bool(nbgrader(cell).get('grade', False))


def is_solution(cell):
    return bool(nbgrader(cell).get('solution', False))


def is_locked(cell):
    """Locked cells are restored from the source when grading: test and read-only
    cells, never answer cells (nbgrader's rule)."""
    meta = nbgrader(cell)
    if not meta or meta.get('solution', False):
        return False
    return bool(meta.get('grade', False) or meta.get('locked', False))


def cell_points(cell):
    """The points a test cell is worth (0.0 for other cells)."""
    try:
        return float(nbgrader(cell).get('points', 0)) if is_grade(cell) else 0.0
    except (TypeError, ValueError):
        return 0.0


def cell_checksum(cell):
    """nbgrader's checksum of a cell (``nbgrader.utils.compute_checksum``)."""
    m = hashlib.md5()
    m.update(cell.source.encode('utf-8'))
    m.update(cell.cell_type.encode('utf-8'))
    m.update(str(is_grade(cell)).encode('utf-8'))
    m.update(str(is_solution(cell)).encode('utf-8'))
    m.update(str(is_locked(cell)).encode('utf-8'))
    m.update(nbgrader(cell)['grade_id'].encode('utf-8'))
    if is_grade(cell):
        m.update(str(float(nbgrader(cell)['points'])).encode('utf-8'))
    return m.hexdigest()


class Question:
    """One test cell: ``grade_id``, ``points``, and the ids of the answer cells it
    grades (those between the previous test cell and this one)."""

    def __init__(self, grade_id, points, answers):
        self.grade_id = grade_id
        self.points = points
        self.answers = answers

    def __repr__(self):
        return f'Question({self.grade_id!r}, points={self.points:g}, answers={self.answers})'


def questions(nb):
    """The notebook's questions, in order: a list of :class:`Question`."""
    found, answers = [], []
    for cell in nb.cells:
        if is_solution(cell):
            answers.append(grade_id(cell))
        if is_grade(cell):
            found.append(Question(grade_id(cell), cell_points(cell), answers))
            answers = []
    return found


def total_points(nb):
    """The points of all test cells together."""
    return float(sum(q.points for q in questions(nb)))


# ------------------------------------------------------------------ checks
def _regions(source, begin, end):
    """How many ``begin``/``end`` regions ``source`` has; MarkupError if unbalanced."""
    inside, count = False, 0
    for line in source.split('\n'):
        if begin in line:
            if inside:
                raise MarkupError(f'nested "{begin}"')
            inside, count = True, count + 1
        elif end in line:
            if not inside:
                raise MarkupError(f'"{end}" without "{begin}"')
            inside = False
    if inside:
        raise MarkupError(f'"{begin}" without "{end}"')
    return count


def check_source(nb):
    """Raise :class:`MarkupError` unless ``nb`` is a well-formed source notebook:
    unique grade ids, points on every test cell, solution regions only in answer cells
    and hidden tests only in test cells, every region closed."""
    seen = set()
    for i, cell in enumerate(nb.cells):
        where = f'cell {i}'
        meta = nbgrader(cell)
        try:
            n_solution = _regions(cell.source, BEGIN_SOLUTION, END_SOLUTION)
            n_hidden = _regions(cell.source, BEGIN_HIDDEN, END_HIDDEN)
        except MarkupError as e:
            raise MarkupError(f'{where}: {e}') from None
        if not meta:
            if n_solution or n_hidden:
                raise MarkupError(f'{where}: solution or hidden-test markers in a cell '
                                  'without nbgrader metadata')
            continue
        gid = meta.get('grade_id')
        if not gid or not re.fullmatch(r'[A-Za-z0-9_\-]+', str(gid)):
            raise MarkupError(f'{where}: grade_id {gid!r} must be letters, digits, _ or -')
        where = f'cell {i} ({gid})'
        if gid in seen:
            raise MarkupError(f'{where}: grade_id used twice')
        seen.add(gid)
        if n_solution and not is_solution(cell):
            raise MarkupError(f'{where}: solution region outside an answer cell')
        if n_hidden and not is_grade(cell):
            raise MarkupError(f'{where}: hidden tests outside a test cell')
        if is_grade(cell):
            if is_solution(cell):
                raise MarkupError(f'{where}: a test cell cannot also be an answer cell')
            if cell_points(cell) <= 0:
                raise MarkupError(f'{where}: a test cell needs points > 0')
            if cell.cell_type != 'code':
                raise MarkupError(f'{where}: a test cell must be a code cell')


# ------------------------------------------------------------------ release
def _strip_region(source, begin, end, stub_lines):
    out, inside = [], False
    for line in source.split('\n'):
        if begin in line:
            inside = True
            indent = re.match(r'\s*', line).group(0)
            out.extend(indent + s for s in stub_lines)
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return '\n'.join(out)


def _clear_solution(cell):
    stub = CODE_STUB if cell.cell_type == 'code' else TEXT_STUB
    if _regions(cell.source, BEGIN_SOLUTION, END_SOLUTION):
        cell.source = _strip_region(cell.source, BEGIN_SOLUTION, END_SOLUTION,
                                    stub.split('\n'))
    elif is_solution(cell):
        cell.source = stub


def release_notebook(nb):
    """The students' copy of source notebook ``nb`` (a new notebook): solutions
    replaced by stubs, hidden tests removed, outputs cleared, cells locked and
    checksummed the way ``nbgrader generate_assignment`` does it."""
    check_source(nb)
    nb = copy.deepcopy(nb)
    nb.metadata.pop('celltoolbar', None)
    for cell in nb.cells:
        meta = nbgrader(cell)
        if meta:  # nbgrader's LockCells
            if is_solution(cell):
                cell.metadata['deletable'] = False
            elif is_grade(cell) or is_locked(cell):
                cell.metadata['deletable'] = False
                cell.metadata['editable'] = False
        _clear_solution(cell)
        if cell.cell_type == 'code':
            cell.outputs = []
            cell.execution_count = None
            for key in ('collapsed', 'scrolled', 'execution'):
                cell.metadata.pop(key, None)
        if is_grade(cell):
            cell.source = _strip_region(cell.source, BEGIN_HIDDEN, END_HIDDEN, [])
        if meta:
            meta['checksum'] = cell_checksum(cell)
            meta['cell_type'] = cell.cell_type
    return nb


def has_hidden_tests(nb):
    """Whether any test cell of ``nb`` holds hidden tests (that is, ``nb`` is a source)."""
    return any(is_grade(c) and BEGIN_HIDDEN in c.source for c in nb.cells)
