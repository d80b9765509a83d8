"""The graded exercises (exercises/) and their tools (d2lmini.grading).

Every source notebook must earn all its points and every students' copy none, through
the checker; the students' copies must be what the sources give; the grader must
survive bad submissions; nbgrader's own flow must work on the sources.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from d2lmini.grading import cli, markup, sets
from d2lmini.grading.batch import grade_folder
from d2lmini.grading.scorer import score_notebook as score

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / 'exercises'
SETS = sets.all_sets(EXERCISES)
PY = sys.executable


def _run_check(*args, timeout=300):
    """``d2lmini-check ARGS`` in a fresh process: (exit code, stdout and stderr)."""
    proc = subprocess.run([PY, '-m', 'd2lmini.grading', 'check', *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def _score_line(output):
    lines = [l for l in output.splitlines() if l.startswith('SCORE: ')]
    assert lines, f'no SCORE line in:\n{output}'
    got, total = lines[-1][len('SCORE: '):].split('/')
    return float(got), float(total)


# ------------------------------------------------------------------ the sets themselves
def test_there_is_a_set_per_chapter_topic():
    """Every chapter has an exercise set on its topic, so a new chapter needs one."""
    topics = {s.topic for s in SETS}
    chapters = {p.stem.split('_', 1)[1] for p in (ROOT / 'chapters').glob('[0-9][0-9]_*.ipynb')}
    assert len(chapters) >= 14
    assert chapters <= topics, f'chapters without an exercise set: {sorted(chapters - topics)}'


@pytest.mark.parametrize('exercise_set', SETS, ids=lambda s: s.topic)
def test_source_markup(exercise_set):
    nb = sets.read_set_notebook(exercise_set.source)
    markup.check_source(nb)
    qs = markup.questions(nb)
    assert 3 <= len(qs) <= 6, f'{exercise_set.name}: {len(qs)} questions'
    assert markup.has_hidden_tests(nb), 'every set has hidden tests'
    for q in qs:
        assert q.answers, f'{q.grade_id}: no answer cell before the test cell'
    for cell in nb.cells:
        assert markup.nbgrader(cell), 'every cell of a source is marked (read-only at least)'
        if cell.cell_type == 'code':
            assert not cell.outputs and cell.execution_count is None, 'sources are not executed'


def test_set_numbers_follow_the_chapters():
    problems = sets.numbering_problems(EXERCISES, ROOT / 'chapters')
    assert not problems, ('sets whose number is not their chapter\'s: '
                          f'{[(s.name, n) for s, n in problems]}; run `d2lmini-exercises renumber`')


def test_release_is_up_to_date():
    stale = sets.stale_releases(EXERCISES)
    assert not stale, f'out of date: {[str(p) for p in stale]}; run `d2lmini-exercises release`'


def test_release_command(tmp_path, monkeypatch, capsys):
    ex = tmp_path / 'exercises'
    (ex / 'source').mkdir(parents=True)
    nbformat.write(tiny_source(), ex / 'source' / 'ch01_tiny.ipynb')
    monkeypatch.chdir(tmp_path)
    assert cli.exercises_main(['release', '--check']) == 1
    assert cli.exercises_main(['release']) == 0
    assert 'wrote' in capsys.readouterr().out
    assert cli.exercises_main(['release', '--check']) == 0
    (ex / 'release' / 'ch02_gone.ipynb').write_text('{}')   # a set that was removed
    assert cli.exercises_main(['release']) == 0
    assert sorted(p.name for p in (ex / 'release').iterdir()) == ['ch01_tiny.ipynb']


@pytest.mark.parametrize('exercise_set', SETS, ids=lambda s: s.topic)
def test_release_has_no_solutions_or_hidden_tests(exercise_set):
    text = exercise_set.release.read_text(encoding='utf-8')
    for marker in ('BEGIN SOLUTION', 'END SOLUTION', 'HIDDEN TESTS'):
        assert marker not in text
    nb = sets.read_set_notebook(exercise_set.release)
    for cell in nb.cells:
        if cell.cell_type == 'code':
            assert not cell.outputs and cell.execution_count is None
        if markup.is_solution(cell):
            assert '# YOUR CODE HERE' in cell.source and 'raise NotImplementedError()' in cell.source


def test_exercises_are_not_collected_by_nbval():
    import tomllib
    config = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['pytest']['ini_options']
    assert not any(p.startswith('exercises') for p in config['testpaths'])
    assert '--ignore=exercises' in config['addopts']


# ------------------------------------------------------------------ every notebook, checked
def _reports(output):
    """{notebook path: (its report's text)} from the output of d2lmini-check on several."""
    found, block = {}, []
    for line in output.splitlines():
        block.append(line)
        if line.startswith('SCORE: '):
            first = next(l for l in block if l.strip())
            found[first.split(' (')[0]] = '\n'.join(block)
            block = []
    return found


@pytest.fixture(scope='module')
def checked():
    """``d2lmini-check`` on every source and every students' copy, in two processes."""
    paths = [p for s in SETS for p in (s.source, s.release)]
    halves = [paths[0::2], paths[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(lambda half: _run_check(*half, timeout=900), halves))
    reports = {}
    for rc, out in outputs:
        assert rc == 0, out
        reports.update(_reports(out))
    return reports


@pytest.mark.parametrize('exercise_set', SETS, ids=lambda s: s.topic)
def test_source_earns_every_point(exercise_set, checked):
    out = checked[str(exercise_set.source)]
    got, total = _score_line(out)
    assert got == total == markup.total_points(sets.read_set_notebook(exercise_set.source)), out


@pytest.mark.parametrize('exercise_set', SETS, ids=lambda s: s.topic)
def test_release_earns_nothing(exercise_set, checked):
    out = checked[str(exercise_set.release)]
    got, total = _score_line(out)
    assert got == 0 and total == markup.total_points(sets.read_set_notebook(exercise_set.source)), out
    assert 'not answered yet' in out


def test_check_by_chapter_number_and_topic(monkeypatch, capsys):
    s = SETS[0]
    monkeypatch.chdir(ROOT)
    assert cli.check_main([str(s.number), 'no_such_topic']) == 2
    captured = capsys.readouterr()
    out = captured.out
    assert 'no exercise set' in captured.err
    assert str(s.release) in out and _score_line(out)[0] == 0, out
    for arg in (s.number, f'{s.number:02d}', f'ch{s.number:02d}', s.topic, s.name):
        assert sets.find_set(arg, EXERCISES).release == s.release


def test_installed_console_commands():
    bindir = Path(PY).parent
    for name in ('d2lmini-check', 'd2lmini-exercises'):
        assert (bindir / name).exists(), f'{name} is not installed next to {PY}'
    out = subprocess.run([str(bindir / 'd2lmini-exercises'), 'list'], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0 and SETS[0].name in out.stdout, out.stdout + out.stderr


# ------------------------------------------------------------------ a small made-up set
SETUP = 'BASE = 10'
ANSWERS = {'q1_answer': ('def add(a, b):', 'return a + b'),
           'q2_answer': ('def mul(a, b):', 'return a * b'),
           'q3_answer': ('def sub(a, b):', 'return a - b')}
TESTS = {'q1': ('assert add(1, 2) == 3, "add(1, 2) should be 3"', 'assert add(-1, BASE) == 9', 1),
         'q2': ('assert mul(2, 3) == 6', 'assert mul(BASE, 0) == 0', 2),
         'q3': ('assert sub(5, 3) == 2', 'assert sub(BASE, 1) == 9', 1)}


def tiny_source():
    cells = [new_markdown_cell('# A made-up set', metadata=markup.readonly_metadata('intro')),
             new_code_cell(SETUP, metadata=markup.readonly_metadata('setup'))]
    for (aid, (head, body)), (tid, (visible, hidden, points)) in zip(ANSWERS.items(),
                                                                      TESTS.items()):
        cells.append(new_code_cell(f'{head}\n    ### BEGIN SOLUTION\n    {body}\n'
                                   '    ### END SOLUTION', metadata=markup.answer_metadata(aid)))
        cells.append(new_code_cell(f'{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n'
                                   '### END HIDDEN TESTS',
                                   metadata=markup.test_metadata(tid, points)))
    for c in cells:
        c['id'] = markup.grade_id(c)
    return new_notebook(cells=cells, metadata={'kernelspec': {
        'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}})


def submission(answers=None, edit=None):
    """The students' copy of the tiny set with some answer cells filled in
    (``answers``: grade id -> source); ``edit(nb)`` may change it further."""
    nb = markup.release_notebook(tiny_source())
    for cell in nb.cells:
        if answers and markup.grade_id(cell) in answers:
            cell.source = answers[markup.grade_id(cell)]
    if edit:
        edit(nb)
    return nb


SOLVED = {k: f'{head}\n    {body}' for k, (head, body) in ANSWERS.items()}


@pytest.fixture
def tiny(tmp_path):
    src = tmp_path / 'tiny.ipynb'
    nbformat.write(tiny_source(), src)
    return src


def _write(path, nb):
    nbformat.write(nb, path)
    return path


def _by_question(report):
    return {q.question: q for q in report.questions}


def test_tiny_release_matches_the_markup_rules():
    nb = markup.release_notebook(tiny_source())
    sources = [c.source for c in nb.cells]
    assert 'def add(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()' in sources
    assert 'assert mul(2, 3) == 6' in sources
    for cell in nb.cells[1:]:
        meta = markup.nbgrader(cell)
        assert meta['checksum'] == markup.cell_checksum(cell)
        assert cell.metadata['deletable'] is False
        assert cell.metadata.get('editable', True) is markup.is_solution(cell)


def test_partial_and_full_scores(tmp_path, tiny):
    right = _write(tmp_path / 'right.ipynb', submission(SOLVED))
    report = score(right, tiny, cell_timeout=20)
    assert report.score == report.max_score == 4, report.text()
    # hidden tests catch an answer that fits the visible test only
    cheat = dict(SOLVED, q1_answer='def add(a, b):\n    return 3')
    report = score(_write(tmp_path / 'cheat.ipynb', submission(cheat)), tiny, cell_timeout=20)
    q = _by_question(report)
    assert q['q1'].points == 0 and q['q1'].status == 'failed' and report.score == 3
    # graded as released (without a reference): the visible tests only
    report = score(_write(tmp_path / 'cheat2.ipynb', submission(cheat)), cell_timeout=20)
    assert report.score == 4
    assert report.text().splitlines()[-1] == 'SCORE: 4/4'


def test_runaway_cells_cost_only_their_question(tmp_path, tiny):
    answers = {
        'q1_answer': 'import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n'
                     'while True:\n    pass',
        'q2_answer': 'print("x" * 5_000_000)\nfor i in range(20000):\n    print(i)\n'
                     + SOLVED['q2_answer'],
        'q3_answer': SOLVED['q3_answer'] + '\nraise SystemExit(3)',
    }
    path = _write(tmp_path / 'chaos.ipynb', submission(answers))
    start = time.monotonic()
    executed = tmp_path / 'executed.ipynb'
    report = score(path, tiny, cell_timeout=3, executed_path=executed)
    assert time.monotonic() - start < 60
    q = _by_question(report)
    assert q['q1'].points == 0 and 'timed out' in q['q1'].message, report.text()
    assert q['q2'].status == 'passed', report.text()   # the setup cell ran again after the restart
    assert q['q3'].status == 'passed', report.text()   # SystemExit is an error, not an exit
    size = executed.stat().st_size
    assert size < 3_000_000, f'outputs kept: {size} bytes'


def test_a_dying_kernel_costs_only_its_question(tmp_path, tiny):
    answers = dict(SOLVED, q2_answer='import os\nos._exit(1)')
    report = score(_write(tmp_path / 'dies.ipynb', submission(answers)), tiny, cell_timeout=20)
    q = _by_question(report)
    assert q['q1'].status == 'passed' and q['q3'].status == 'passed', report.text()
    assert q['q2'].points == 0 and 'kernel died' in q['q2'].message, report.text()


def test_tampering_is_undone(tmp_path, tiny):
    def tamper(nb):
        cells = nb.cells
        by_id = {markup.grade_id(c): c for c in cells}
        by_id['setup'].source = 'BASE = 0'                      # a read-only cell changed
        by_id['q1'].source = 'assert True'                      # a test cell weakened
        cells.remove(by_id['q2'])                               # a test cell deleted
        q3 = [by_id['q3_answer'], by_id['q3']]                  # a question moved up
        for c in q3:
            cells.remove(c)
        cells[1:1] = q3
        cells.insert(4, new_code_cell('scratch = add(2, 2)'))  # a cell of the student's

    answers = dict(SOLVED, q1_answer='def add(a, b):\n    return a - b')
    report = score(_write(tmp_path / 'tampered.ipynb', submission(answers, tamper)), tiny,
                   cell_timeout=20)
    q = _by_question(report)
    assert q['q1'].points == 0, 'the original test of q1 is used'
    assert q['q2'].points == 2 and q['q3'].points == 1, report.text()
    notes = ' '.join(report.notes)
    for what in ('read-only cell setup was changed', 'test cell q1 was changed',
                 'test cell q2 was deleted', 'moved'):
        assert what in notes, notes


def test_deleted_answer_cell_and_changed_cell_without_reference(tmp_path):
    def drop(nb):
        nb.cells = [c for c in nb.cells if markup.grade_id(c) != 'q3_answer']
        for c in nb.cells:
            if markup.grade_id(c) == 'q2':
                c.source = 'pass'
    nb = submission(SOLVED, drop)
    # against the source: a deleted answer cell must not bring the solution back
    report = score(_write(tmp_path / 'sub.ipynb', nb), tiny_source(), cell_timeout=20)
    q = _by_question(report)
    assert q['q3'].points == 0 and 'missing' in q['q3'].message
    assert q['q1'].points == 1 and q['q2'].points == 2
    # with no reference the checksums still tell a changed test cell
    report = score(_write(tmp_path / 'sub2.ipynb', nb), cell_timeout=20)
    q = _by_question(report)
    assert q['q2'].status == 'ungradable' and q['q2'].points == 0, report.text()


def test_a_notebook_of_another_set(tmp_path, tiny):
    other = new_notebook(cells=[new_code_cell('x = 1', metadata=markup.answer_metadata('zz'))])
    report = score(_write(tmp_path / 'other.ipynb', other), tiny)
    assert 'none of its answer cells' in report.ungradable and report.max_score == 4


@pytest.mark.parametrize('content, why', [
    (b'%PDF-1.4 not a notebook', 'malformed JSON'),
    (b'{"cells": [', 'malformed JSON'),
    (b'[1, 2, 3]', 'no cells'),
    (b'{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', 'not a valid notebook'),
    (b'\xff\xfe\x00', 'not UTF-8'),
])
def test_not_a_notebook(tmp_path, tiny, content, why):
    bad = tmp_path / 'bad.ipynb'
    bad.write_bytes(content)
    report = score(bad, tiny)
    assert report.ungradable and why in report.ungradable, report.ungradable
    assert report.score == 0 and report.max_score == 4
    assert all(q.status == 'ungradable' for q in report.questions)
    assert 'SCORE: 0/4' in report.text()


def test_checker_command_on_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    bad = tmp_path / 'ch01_ndarray.ipynb'
    bad.write_text('not json')
    assert cli.check_main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert 'ungradable: not a notebook' in out, out
    got, total = _score_line(out)
    assert got == 0 and total > 0   # the set is known from the name: its points are shown
    assert cli.check_main([str(tmp_path / 'missing.ipynb')]) == 2
    assert 'no such file' in capsys.readouterr().err


def test_grade_a_class(tmp_path, tiny):
    """One process per submission: a crashing, hanging or broken one costs only itself."""
    subs = tmp_path / 'submitted'
    subs.mkdir()
    _write(subs / 'alice.ipynb', submission(SOLVED))
    _write(subs / 'bob.ipynb', submission())
    (subs / 'carol.ipynb').write_text('{"cells": [')
    _write(subs / 'dave.ipynb', submission(dict(SOLVED, q2_answer='while True:\n    pass')))
    _write(subs / 'erin.ipynb', submission(dict(SOLVED, q1_answer='import os\nos._exit(0)')))
    (subs / 'frank').mkdir()
    out = tmp_path / 'grades.csv'
    reports = grade_folder(tiny, subs, out, cell_timeout=5, time_limit=300, jobs=2)
    rows = list(csv.DictReader(out.open()))
    assert [r['student'] for r in rows[:3]] == ['alice'] * 3
    total = {}
    for r in rows:
        total[r['student']] = total.get(r['student'], 0) + float(r['points'])
    summary = {k: r.text() for k, r in reports.items()}
    assert total == {'alice': 4, 'bob': 0, 'carol': 0, 'dave': 2, 'erin': 3, 'frank': 0}, summary
    assert 'malformed JSON' in reports['carol'].ungradable
    assert 'no notebook' in reports['frank'].ungradable
    assert 'timed out' in _by_question(reports['dave'])['q2'].message
    assert {r['status'] for r in rows if r['student'] == 'bob'} == {'error'}


def test_time_limit_of_a_submission(tmp_path, tiny):
    """A submission that outlasts its time limit is stopped, kernel included."""
    from d2lmini.grading.batch import grade_one
    pid_file = tmp_path / 'kernel.pid'
    code = f'import os\nopen({str(pid_file)!r}, "w").write(str(os.getpid()))\nwhile True:\n    pass'
    hang = _write(tmp_path / 'hang.ipynb', submission(dict(SOLVED, q1_answer=code)))
    start = time.monotonic()
    report = grade_one(hang, tiny, cell_timeout=600, time_limit=15)
    assert time.monotonic() - start < 45
    assert 'longer than 15 s' in report.ungradable and report.score == 0
    pid = int(pid_file.read_text())
    for _ in range(50):  # the kernel was killed: gone once its parent has reaped it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        with open(f'/proc/{pid}/stat') as f:
            assert f.read().split()[2] == 'Z', 'the kernel of a stopped submission still runs'


def test_grade_command(tmp_path, monkeypatch, capsys):
    """``d2lmini-exercises grade`` on a real set, with nbgrader's folder layout."""
    s = next(x for x in SETS if x.topic == 'ndarray')
    subs = tmp_path / 'submitted'
    (subs / 'alice' / s.name).mkdir(parents=True)
    (subs / 'bob' / s.name).mkdir(parents=True)
    shutil.copy(s.source, subs / 'alice' / s.name / s.source.name)
    shutil.copy(s.release, subs / 'bob' / s.name / s.source.name)
    out = tmp_path / 'grades.csv'
    monkeypatch.chdir(ROOT)
    assert cli.exercises_main(['grade', s.topic, str(subs), '-o', str(out), '--jobs', '2',
                     '--timeout', '120']) == 0
    printed = capsys.readouterr().out
    points = markup.total_points(sets.read_set_notebook(s.source))
    assert f'alice: {points:g}/{points:g}' in printed and f'bob: 0/{points:g}' in printed
    rows = list(csv.DictReader(out.open()))
    assert rows[0].keys() >= {'student', 'question', 'points'}
    assert len(rows) == 2 * len(markup.questions(sets.read_set_notebook(s.source)))


# ------------------------------------------------------------------ renumbering
def test_renumber_follows_the_chapters(tmp_path):
    ex = tmp_path / 'exercises'
    (ex / 'source').mkdir(parents=True)
    (tmp_path / 'chapters').mkdir()
    nbformat.write(tiny_source(), ex / 'source' / 'ch05_convolution.ipynb')
    sets.write_release(ex)
    (tmp_path / 'chapters' / '07_convolution.ipynb').write_text('{}')
    assert [(s.name, n) for s, n in sets.numbering_problems(ex)] == [('ch05_convolution', 7)]
    assert sets.renumber(ex) == [('ch05_convolution.ipynb', 'ch07_convolution.ipynb')]
    assert sorted(p.name for p in (ex / 'release').iterdir()) == ['ch07_convolution.ipynb']
    assert sets.find_set(7, ex).topic == 'convolution'
    assert sets.find_set('convolution', ex).number == 7


# ------------------------------------------------------------------ nbgrader itself
def test_nbgrader_flow(tmp_path):
    """generate_assignment, autograde and export on a real set, two made-up students."""
    pytest.importorskip('nbgrader')
    s = next(x for x in SETS if x.topic == 'ndarray')
    course = tmp_path / 'course'
    name = s.name
    (course / 'source' / name).mkdir(parents=True)
    shutil.copy(s.source, course / 'source' / name / s.source.name)
    (course / 'nbgrader_config.py').write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'd2lmini'\n"
        "c.ExecutePreprocessor.timeout = 120\n")
    # nbgrader runs the kernel the notebooks name, python3: make it this Python, whatever
    # kernels the machine has
    data_dir = tmp_path / 'jupyter-data'
    (data_dir / 'kernels' / 'python3').mkdir(parents=True)
    (data_dir / 'kernels' / 'python3' / 'kernel.json').write_text(json.dumps({
        'argv': [PY, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
        'display_name': 'Python 3', 'language': 'python'}))
    env = dict(os.environ, PATH=str(Path(PY).parent) + os.pathsep + os.environ.get('PATH', ''),
               JUPYTER_DATA_DIR=str(data_dir))
    env.setdefault('OPENBLAS_NUM_THREADS', '1')

    def nbgrader(*args):
        proc = subprocess.run([PY, '-m', 'nbgrader', *args], cwd=course, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    nbgrader('generate_assignment', name)
    released = nbformat.read(course / 'release' / name / s.source.name, as_version=4)
    ours = sets.read_set_notebook(s.release)
    assert [c.source for c in released.cells] == [c.source for c in ours.cells]
    assert ([markup.nbgrader(c) for c in released.cells]
            == [markup.nbgrader(c) for c in ours.cells]), 'our release differs from nbgrader\'s'

    solved = markup.release_notebook(sets.read_set_notebook(s.source))
    answers = {markup.grade_id(c): c.source for c in sets.read_set_notebook(s.source).cells}
    for cell in solved.cells:
        if markup.is_solution(cell):
            cell.source = answers[markup.grade_id(cell)]
    for student, nb in (('alice', solved), ('bob', released)):
        (course / 'submitted' / student / name).mkdir(parents=True)
        nbformat.write(nb, course / 'submitted' / student / name / s.source.name)
    nbgrader('autograde', name, '--create')
    nbgrader('export', '--to', str(tmp_path / 'grades.csv'))
    rows = {r['student_id']: r for r in csv.DictReader((tmp_path / 'grades.csv').open())}
    points = markup.total_points(sets.read_set_notebook(s.source))
    assert float(rows['alice']['score']) == points == float(rows['alice']['max_score'])
    assert float(rows['bob']['score']) == 0
