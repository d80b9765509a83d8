"""Score one notebook: run it in a fresh kernel and grade each test cell.

:func:`score_notebook` reads a submission, puts it together with its *reference* (the
notebook the student received, or the instructor's source with the hidden tests),
runs the result cell by cell in a new kernel of the current Python, and returns a
:class:`Report` with one :class:`QuestionResult` per test cell.

Putting together works like ``nbgrader autograde``: the reference's order of cells
is kept, answer cells come from the submission (matched by ``grade_id``), and test and
read-only cells always come from the reference, so a changed, deleted or reordered
test cell is graded as released, and a note says so. Cells the student added stay,
after the answer they follow.

Running never stops early: an error is recorded and the next cell runs. A cell that
runs past the time limit, or a kernel that dies (``os._exit``, a crash), costs only
that cell: the kernel is restarted, the read-only setup cells seen so far are run
again, and grading goes on. Outputs are capped, so a cell printing megabytes costs
memory for its first megabyte only.

A test cell earns its points when it raises nothing and writes nothing to stderr;
one that displays a number as its last value earns that many points (nbgrader's
partial credit).

>>> r = Report('q.ipynb', [QuestionResult('double', 0.0, 2.0, 'failed', 'wrong sign')])
>>> print(r.text())
q.ipynb
  double      0/2  failed: wrong sign
SCORE: 0/2
"""
import json
import os
import re
import subprocess
import sys
import time

import nbformat

from . import markup
from ..fileio import write_bytes_atomically

DEFAULT_CELL_TIMEOUT = 60
OUTPUT_LIMIT = 1 << 20       # bytes of output kept per cell
MESSAGE_LIMIT = 400          # characters of an error message shown in a report
_ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')


class Ungradable(Exception):
    """A submission that cannot be graded at all (not a notebook, unreadable...)."""


# ------------------------------------------------------------------ results
def _fmt(x):
    return f'{x:g}'


class QuestionResult:
    """The result of one test cell.

    ``status`` is ``'passed'``, ``'partial'``, ``'failed'`` (an assertion did not hold),
    ``'error'`` (another exception, a time-out, a dead kernel) or ``'ungradable'``.
    """

    def __init__(self, question, points, max_points, status, message=''):
        self.question = question
        self.points = float(points)
        self.max_points = float(max_points)
        self.status = status
        self.message = message

    def to_dict(self):
        return {'question': self.question, 'points': self.points,
                'max_points': self.max_points, 'status': self.status,
                'message': self.message}

    @classmethod
    def from_dict(cls, d):
        return cls(d['question'], d['points'], d['max_points'], d['status'], d['message'])

    def __repr__(self):
        return (f'QuestionResult({self.question!r}, {_fmt(self.points)}/'
                f'{_fmt(self.max_points)}, {self.status!r})')


class Report:
    """All results for one notebook. ``ungradable`` holds the reason when the notebook
    could not be graded; ``notes`` lists what was repaired before grading (a changed
    read-only cell, a deleted test cell ...)."""

    def __init__(self, notebook, questions, notes=(), ungradable=None, seconds=0.0):
        self.notebook = str(notebook)
        self.questions = list(questions)
        self.notes = list(notes)
        self.ungradable = ungradable
        self.seconds = float(seconds)

    @property
    def score(self):
        return sum(q.points for q in self.questions)

    @property
    def max_score(self):
        return sum(q.max_points for q in self.questions)

    def to_dict(self):
        return {'notebook': self.notebook, 'questions': [q.to_dict() for q in self.questions],
                'notes': self.notes, 'ungradable': self.ungradable, 'seconds': self.seconds,
                'score': self.score, 'max_score': self.max_score}

    @classmethod
    def from_dict(cls, d):
        return cls(d['notebook'], [QuestionResult.from_dict(q) for q in d['questions']],
                   d.get('notes', ()), d.get('ungradable'), d.get('seconds', 0.0))

    def text(self):
        """The report as the checker prints it, ending with ``SCORE: x/y``."""
        lines = [self.notebook + (f' ({self.seconds:.1f} s)' if self.seconds else '')]
        if self.ungradable:
            lines.append(f'  ungradable: {self.ungradable}')
        for note in self.notes:
            lines.append(f'  note: {note}')
        width = max([len(q.question) for q in self.questions] + [8])
        for q in self.questions:
            what = q.status + (f': {q.message}' if q.message else '')
            pts = f'{_fmt(q.points)}/{_fmt(q.max_points)}'
            lines.append(f'  {q.question:<{width}}  {pts:>5}  {what}')
        lines.append(f'SCORE: {_fmt(self.score)}/{_fmt(self.max_score)}')
        return '\n'.join(lines)


# ------------------------------------------------------------------ reading
def read_notebook(path):
    """The notebook at ``path`` (nbformat 4); :class:`Ungradable` with the reason
    when the file is missing, not JSON, or not a notebook."""
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as e:
        raise Ungradable(f'cannot read the file: {e.strerror or e}') from None
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise Ungradable('not a notebook: the file is not UTF-8 text') from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Ungradable(f'not a notebook: malformed JSON ({e})') from None
    if not isinstance(data, dict) or 'cells' not in data and 'worksheets' not in data:
        raise Ungradable('not a notebook: the JSON has no cells')
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # nbformat raises several kinds
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Ungradable(f'not a valid notebook: {first[:200]}') from None
    return nb


# ------------------------------------------------------------------ putting together
def assemble_submission(submission, reference):
    """The notebook to run: ``reference``'s cells with the answers of ``submission``.

    Returns ``(notebook, notes, missing_answers)``; ``notes`` says what was repaired,
    ``missing_answers`` holds the ids of answer cells the submission lacks.
    """
    notes, missing = [], set()
    sub_cells = {}
    for cell in submission.cells:
        gid = markup.grade_id(cell)
        if gid is not None and gid not in sub_cells:
            sub_cells[gid] = cell
    ref_ids = [markup.grade_id(c) for c in reference.cells if markup.grade_id(c)]
    sub_order = [markup.grade_id(c) for c in submission.cells
                 if markup.grade_id(c) in set(ref_ids)]
    seen = set()
    sub_order = [g for g in sub_order if not (g in seen or seen.add(g))]
    if sub_order != [g for g in ref_ids if g in set(sub_order)]:
        notes.append('cells were moved: graded in the original order')

    # the student's own code cells (no nbgrader metadata) stay after the marked cell
    # they follow; plain cells of the reference itself are not the student's
    known, ref_plain = set(ref_ids), {c.source for c in reference.cells
                                      if markup.grade_id(c) is None}
    extra, last = {}, None
    for cell in submission.cells:
        gid = markup.grade_id(cell)
        if gid is None:
            if (cell.cell_type == 'code' and cell.source.strip()
                    and cell.source not in ref_plain):
                extra.setdefault(last, []).append(cell)
        elif gid in known:
            last = gid

    cells = []
    for ref in reference.cells:
        gid = markup.grade_id(ref)
        cell = nbformat.from_dict(json.loads(json.dumps(ref)))
        if gid is not None:
            sub = sub_cells.get(gid)
            if markup.is_solution(ref):
                if sub is None:  # the students' stub, never the reference's solution
                    missing.add(gid)
                    notes.append(f'answer cell {gid} is missing: counted as unanswered')
                    markup._clear_solution(cell)
                else:
                    cell.source = sub.source
            elif markup.is_locked(ref):
                kind = 'test' if markup.is_grade(ref) else 'read-only'
                if sub is None:
                    notes.append(f'{kind} cell {gid} was deleted: the original was used')
                elif sub.source != ref.source and not (
                        kind == 'test' and _only_hidden_differ(ref.source, sub.source)):
                    notes.append(f'{kind} cell {gid} was changed: the original was used')
        cells.append(cell)
        if gid is not None:
            if gid == ref_ids[0]:
                cells.extend(extra.pop(None, []))
            cells.extend(extra.get(gid, []))
    cells.extend(extra.get(None, []))
    ids = set()
    for cell in cells:  # a cell the student copied keeps its id: make ids unique
        if 'id' in cell:
            while cell['id'] in ids:
                cell['id'] = os.urandom(4).hex()
            ids.add(cell['id'])
    nb = nbformat.v4.new_notebook(cells=cells, metadata=reference.metadata)
    return nb, notes, missing


def _only_hidden_differ(ref_source, sub_source):
    """True when the submission's test cell is the reference's without its hidden tests
    (a released notebook graded against its source)."""
    try:
        stripped = markup._strip_region(ref_source, markup.BEGIN_HIDDEN, markup.END_HIDDEN, [])
    except Exception:
        return False
    return stripped == sub_source


def self_reference(nb):
    """For a notebook graded without a reference: itself, with notes on the locked
    cells whose nbgrader checksum no longer matches (changed after release)."""
    notes, changed = [], set()
    for cell in nb.cells:
        meta = markup.nbgrader(cell)
        if markup.is_locked(cell) and 'checksum' in meta:
            try:
                ok = markup.cell_checksum(cell) == meta['checksum']
            except Exception:
                ok = False
            if not ok:
                changed.add(meta.get('grade_id'))
                kind = 'test' if markup.is_grade(cell) else 'read-only'
                notes.append(f'{kind} cell {meta.get("grade_id")} was changed after release '
                             '(no original to restore it from)')
    return notes, changed


# ------------------------------------------------------------------ running
def _current_env_kernel_manager():
    """A kernel manager that starts ipykernel in this very Python, whatever kernels
    are installed (as ``nbval --nbval-current-env``)."""
    import ipykernel.kernelspec
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class CurrentEnvSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    return AsyncKernelManager(kernel_name='python3', kernel_spec_manager=CurrentEnvSpecs())


def kernel_env():
    """The environment of a grading kernel: this one, with one BLAS thread (fast and
    reproducible on small arrays) and no way out to the network."""
    env = dict(os.environ)
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        env.setdefault(var, '1')
    # downloads fail at once instead of waiting: nothing listens on port 9
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY'):
        env[var] = 'http://127.0.0.1:9'
    env.pop('no_proxy', None)
    env.pop('NO_PROXY', None)
    env['MPLBACKEND'] = 'Agg'
    env['PYDEVD_DISABLE_FILE_VALIDATION'] = '1'
    return env


def _make_client(nb, cell_timeout, startup_timeout):
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """Keeps at most OUTPUT_LIMIT bytes of output per cell."""

        def output(self, outs, msg, display_id, cell_index):
            size = getattr(self, '_kept', {}).get(cell_index, 0)
            if size > OUTPUT_LIMIT:
                return None
            content = msg.get('content', {})
            n = len(content.get('text', '')) + sum(len(str(v)) for v in
                                                   content.get('data', {}).values())
            self._kept = {**getattr(self, '_kept', {}), cell_index: size + n}
            if size + n > OUTPUT_LIMIT:
                outs.append(nbformat.v4.new_output(
                    'stream', name='stdout', text='\n[output cut: over 1 MB]\n'))
                return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient(nb, timeout=cell_timeout, startup_timeout=startup_timeout,
                        allow_errors=True, interrupt_on_timeout=False,
                        shutdown_kernel='immediate', record_timing=False,
                        iopub_timeout=10, raise_on_iopub_timeout=False)


class _Run:
    """Runs the cells of a notebook one by one, restarting the kernel when needed."""

    def __init__(self, nb, cwd, cell_timeout, startup_timeout, pid_file):
        self.nb = nb
        self.cwd = cwd
        self.client = _make_client(nb, cell_timeout, startup_timeout)
        self.pid_file = pid_file
        self.cell_timeout = cell_timeout
        self.trouble = {}   # cell index -> what went wrong outside the cell's own output

    def start(self):
        c = self.client
        c.km = _current_env_kernel_manager()
        # the kernel's own stdout/stderr (not the cells' output, which goes through
        # the kernel protocol) would only clutter the report
        c.start_new_kernel(cwd=self.cwd, env=kernel_env(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        c.start_new_kernel_client()
        if self.pid_file:
            pid = getattr(getattr(c.km, 'provisioner', None), 'pid', None)
            if pid:
                with open(self.pid_file, 'a') as f:
                    f.write(f'{pid}\n')

    def stop(self):
        c = self.client
        if c.km is not None:
            try:
                c._cleanup_kernel()
            except Exception:
                pass
            c.km = c.kc = None

    def restart(self, upto):
        """A new kernel, with the read-only code cells before cell ``upto`` run again."""
        self.stop()
        self.start()
        for i, cell in enumerate(self.nb.cells[:upto]):
            if (cell.cell_type == 'code' and markup.is_locked(cell)
                    and not markup.is_grade(cell)):
                self._execute(i, cell, replay=True)

    def _execute(self, i, cell, replay=False):
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        try:
            if replay:
                saved = cell.get('outputs', [])
                self.client.execute_cell(cell, i)
                cell.outputs = saved
            else:
                self.client.execute_cell(cell, i)
            return None
        except CellTimeoutError:
            return f'timed out after {self.cell_timeout} s'
        except DeadKernelError:
            return 'the kernel died (the Python process exited or crashed)'

    def run(self):
        self.start()
        try:
            for i, cell in enumerate(self.nb.cells):
                if cell.cell_type != 'code' or not cell.source.strip():
                    continue
                trouble = self._execute(i, cell)
                if trouble:
                    self.trouble[i] = trouble
                    self.restart(i + 1)
        finally:
            self.stop()


def _error_of(cell):
    """``(status, message)`` for the first error or stderr output of an executed cell,
    or None."""
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'error':
            ename, evalue = out.get('ename', 'Error'), _ANSI.sub('', str(out.get('evalue', '')))
            evalue = evalue.strip()
            if ename == 'AssertionError':
                return 'failed', (evalue or _assert_line(out) or 'an assertion did not hold')
            return 'error', f'{ename}: {evalue}' if evalue else ename
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
            text = _ANSI.sub('', out.get('text', '')).strip()
            return 'failed', 'wrote to stderr: ' + (text.splitlines()[-1] if text else '')
    return None


def _assert_line(out):
    """The failing ``assert`` line of a traceback without a message."""
    for line in reversed([_ANSI.sub('', t) for t in out.get('traceback', [])]):
        for sub in line.splitlines():
            m = re.match(r'\s*(?:-+>\s*)?\d+\s+(assert .*)', sub)
            if m:
                return m.group(1).strip()
    return ''


def _partial(cell, max_points):
    """nbgrader's partial credit: the number displayed as the cell's last value."""
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'execute_result':
            text = out.get('data', {}).get('text/plain', '')
            try:
                value = float(''.join(text) if isinstance(text, list) else text)
            except ValueError:
                return None
            if 0 <= value <= max_points:
                return value
    return None


def _short(text):
    text = ' '.join(str(text).split())
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 3] + '...'


def grade_cells(nb, trouble=None, changed_tests=(), missing_answers=()):
    """One :class:`QuestionResult` per test cell of the executed notebook ``nb``."""
    trouble = trouble or {}
    results = []
    answer_problem = None
    index_of = {markup.grade_id(c): i for i, c in enumerate(nb.cells) if markup.grade_id(c)}
    for q in markup.questions(nb):
        i = index_of[q.grade_id]
        cell = nb.cells[i]
        answer_problem = None
        for a in q.answers:
            j = index_of.get(a)
            if a in missing_answers:
                answer_problem = f'answer cell {a} is missing'
                break
            if j is None:
                continue
            if j in trouble:
                answer_problem = f'your answer cell {a} {trouble[j]}'
                break
            err = _error_of(nb.cells[j])
            if err and err[1].startswith('NotImplementedError'):
                answer_problem = 'not answered yet'
                break
            if err and err[0] == 'error':
                answer_problem = f'your answer cell {a} raised {err[1]}'
                break
        if q.grade_id in changed_tests:
            results.append(QuestionResult(q.grade_id, 0, q.points, 'ungradable',
                                          'this test cell was changed; restore it'))
            continue
        if i in trouble:
            status, message = 'error', trouble[i]
        else:
            err = _error_of(cell)
            if err is None:
                partial = _partial(cell, q.points)
                if partial is None or partial == q.points:
                    results.append(QuestionResult(q.grade_id, q.points, q.points, 'passed'))
                else:
                    results.append(QuestionResult(q.grade_id, partial, q.points, 'partial'))
                continue
            status, message = err
            if not answer_problem and message.startswith('NotImplementedError'):
                answer_problem = 'not answered yet'
        if answer_problem:
            message = f'{answer_problem} ({message})' if message else answer_problem
        results.append(QuestionResult(q.grade_id, 0, q.points, status, _short(message)))
    return results


def score_notebook(path, reference=None, *, cell_timeout=DEFAULT_CELL_TIMEOUT, cwd=None,
          startup_timeout=60, pid_file=None, executed_path=None):
    """Grade the notebook at ``path`` and return its :class:`Report`.

    reference : the notebook (path or NotebookNode) to restore test and read-only
        cells from; None grades ``path`` as it is, noting cells changed since release.
    cell_timeout : seconds each cell may run.
    cwd : where the kernel runs (default: the notebook's folder).
    executed_path : where to write the executed notebook, if anywhere.

    Example (it starts a kernel)::

        report = score_notebook('exercises/release/ch01_ndarray.ipynb')
        report.score, report.max_score       # (0.0, 8.0)
    """
    start = time.monotonic()
    name = os.path.basename(str(path))
    try:
        submission = read_notebook(path)
    except Ungradable as e:
        ref_nb = _load_reference(reference)
        return _ungradable_report(name, ref_nb, str(e), start)
    ref_nb = _load_reference(reference)
    changed_tests = set()
    if ref_nb is None:
        nb = submission
        notes, changed = self_reference(nb)
        changed_tests = {g for g in changed
                         if any(markup.grade_id(c) == g and markup.is_grade(c) for c in nb.cells)}
        missing = set()
    else:
        answers = {markup.grade_id(c) for c in ref_nb.cells if markup.is_solution(c)}
        if answers and not answers & {markup.grade_id(c) for c in submission.cells}:
            return _ungradable_report(name, ref_nb, 'none of its answer cells belongs to this '
                                      'exercise set', start)
        nb, notes, missing = assemble_submission(submission, ref_nb)
    if not markup.questions(nb):
        return Report(name, [], notes, 'the notebook has no test cells', time.monotonic() - start)
    if cwd is None:
        cwd = os.path.dirname(os.path.abspath(str(path)))
    run = _Run(nb, cwd, cell_timeout, startup_timeout, pid_file)
    try:
        run.run()
    except Exception as e:  # the kernel would not start, say
        return _ungradable_report(name, nb, f'could not run the notebook: {_short(e)}', start,
                                  notes)
    if executed_path:
        nbformat.write(nb, executed_path)
    results = grade_cells(nb, run.trouble, changed_tests, missing)
    return Report(name, results, notes, None, time.monotonic() - start)


def _load_reference(reference):
    if reference is None or isinstance(reference, nbformat.NotebookNode):
        return reference
    return read_notebook(reference)


def _ungradable_report(name, ref_nb, why, start, notes=()):
    qs = markup.questions(ref_nb) if ref_nb is not None else []
    results = [QuestionResult(q.grade_id, 0, q.points, 'ungradable', why) for q in qs]
    return Report(name, results, notes, why, time.monotonic() - start)


def main_json(argv=None):
    """``python -m d2lmini.grading score``: grade one notebook, write the report as JSON
    (used by the batch grader, one process per submission)."""
    import argparse
    p = argparse.ArgumentParser(prog='python -m d2lmini.grading score')
    p.add_argument('notebook')
    p.add_argument('--reference')
    p.add_argument('--json-out', required=True)
    p.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT)
    p.add_argument('--cwd')
    p.add_argument('--pid-file')
    p.add_argument('--memory-mb', type=int, default=0)
    args = p.parse_args(argv)
    if args.memory_mb:  # inherited by the kernel
        import resource
        limit = args.memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    report = score_notebook(args.notebook, args.reference, cell_timeout=args.timeout, cwd=args.cwd,
                   pid_file=args.pid_file)
    # in one step: the batch runner never reads half a report
    write_bytes_atomically(args.json_out, json.dumps(report.to_dict()).encode('utf-8'))
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main_json())
