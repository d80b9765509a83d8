"""The benchmarks must keep running: every d2lmini case runs once, the harness's
pieces do what the README says, and (where PyTorch is installed) the two
frameworks' cases compute the same values. Nothing here asserts a time."""
import contextlib
import importlib
import json
import os
import pkgutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import benchmarks  # noqa: E402
from benchmarks import harness  # noqa: E402
from benchmarks.harness import Benchmark, Settings, Step  # noqa: E402

BENCH_MODULES = sorted(f'benchmarks.{m.name}' for m in pkgutil.iter_modules(benchmarks.__path__)
                       if m.name.startswith('bench_'))
# Every (module, case) pair, so that a failing case is reported by name.
PAIRS = [(m, c) for m in BENCH_MODULES for c in importlib.import_module(m).bench.cases]


def _bench(module):
    return importlib.import_module(module).bench


@pytest.fixture(scope='module')
def d2lmini_cases():
    """Each benchmark's d2lmini cases, built once (quick inputs)."""
    return {m: _bench(m).build('d2lmini', quick=True) for m in BENCH_MODULES}


def test_benchmarks_found():
    assert 'benchmarks.bench_eager' in BENCH_MODULES


@pytest.mark.parametrize('module, case', PAIRS, ids=[f'{m}:{c}' for m, c in PAIRS])
def test_d2lmini_case_runs_once(d2lmini_cases, module, case):
    assert harness.run_once(d2lmini_cases[module][case]) is not None


def test_each_benchmark_has_both_frameworks():
    for m in BENCH_MODULES:
        assert set(_bench(m).builders) == set(harness.FRAMEWORKS), m


# ------------------------------------------------------------------ the harness
def test_time_case_runs_inside_the_scope():
    seen = []
    inside = [False]

    @contextlib.contextmanager
    def scope():
        inside[0] = True
        yield
        inside[0] = False

    settings = Settings(repeats=3, min_time=1e-4, warmup=0.0)
    median, times = harness.time_case(Step(lambda: seen.append(inside[0]), scope=scope),
                                      settings)
    assert len(times) == 3 and median == sorted(times)[1]
    assert median > 0
    assert seen and all(seen)
    assert inside[0] is False


def test_build_rejects_case_names_that_differ():
    bench = Benchmark('demo', cases=['a', 'b'])
    bench.framework('d2lmini')(lambda quick: {'a': lambda: 1})
    bench.framework('torch')(lambda quick: {'b': lambda: 1, 'a': lambda: 1})
    with pytest.raises(ValueError, match='missing'):
        bench.build('d2lmini')
    with pytest.raises(ValueError, match='order'):
        bench.build('torch')


def test_unknown_framework_and_repeated_cases_are_refused():
    with pytest.raises(ValueError, match='repeat'):
        Benchmark('demo', cases=['a', 'a'])
    with pytest.raises(ValueError, match='unknown framework'):
        Benchmark('demo', cases=['a']).framework('jax')


def test_worker_reports_a_failing_case_and_times_the_others():
    bench = Benchmark('demo', cases=['fine', 'broken'])

    def broken():
        raise RuntimeError('no such operator')

    bench.framework('d2lmini')(lambda quick: {'fine': lambda: 1, 'broken': broken})
    out = bench.run_worker('d2lmini', ['fine', 'broken'], Settings.for_quick_run(), threads=1)
    assert out['results']['fine']['median'] > 0
    assert out['results']['broken'] == {'error': 'RuntimeError: no such operator'}
    assert 'd2lmini' in out['versions'] and 'numpy' in out['versions']


def test_worker_environment_sets_threads_and_torch_wait_policy(monkeypatch):
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    for fw in harness.FRAMEWORKS:
        env = harness.worker_env(fw, 3)
        assert all(env[v] == '3' for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS',
                                           'MKL_NUM_THREADS'))
    assert harness.worker_env('torch', 3)['OMP_WAIT_POLICY'] == 'ACTIVE'
    assert 'OMP_WAIT_POLICY' not in harness.worker_env('d2lmini', 3)


def test_worker_protocol_prints_json():
    """``python -m benchmarks.bench_eager --worker d2lmini`` prints one JSON line."""
    cmd = [sys.executable, '-m', 'benchmarks.bench_eager', '--worker', 'd2lmini', '--quick',
           '--threads', '1', '--case', 'add', '--case', 'add@record']
    proc = subprocess.run(cmd, cwd=ROOT, env=harness.worker_env('d2lmini', 1),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['framework'] == 'd2lmini' and out['threads'] == 1
    assert list(out['results']) == ['add', 'add@record']
    assert all(r['median'] > 0 for r in out['results'].values())


def test_unknown_case_is_refused():
    with pytest.raises(SystemExit, match='unknown case'):
        _bench('benchmarks.bench_eager').main(['--worker', 'd2lmini', '--case', 'nope'])


def _report():
    return {'benchmark': 'demo', 'note': '', 'module': 'x', 'settings': {'rounds': 2},
            'machine': harness.machine_info({'numpy': '1.0'}, threads=2),
            'cases': [
                {'name': 'fast', 'd2lmini': 1.5e-6, 'torch': 1e-6, 'ratio': 1.5, 'target': 2.0},
                {'name': 'slow', 'd2lmini': 3e-3, 'torch': 1e-3, 'ratio': 3.0, 'target': 2.0},
                {'name': 'broken', 'd2lmini': None, 'torch': 2e-9, 'ratio': None,
                 'target': None, 'errors': {'d2lmini': 'KeyError: x'}}]}


def test_format_table():
    lines = harness.format_table(_report()).splitlines()
    assert 'threads per framework: 2; rounds: 2' in lines
    row = {line.split()[0]: line for line in lines if line and not line.startswith(' ')}
    assert row['fast'].split()[1:] == ['1.5', 'us', '1', 'us', '1.50', '<=', '2', 'ok']
    assert row['slow'].split()[1:] == ['3', 'ms', '1', 'ms', '3.00', '<=', '2', 'OVER']
    assert row['broken'].split()[1:] == ['-', '2', 'ns', '-']
    assert '  broken (d2lmini): KeyError: x' in lines


def test_format_table_warns_about_a_busy_machine():
    report = _report()
    report['machine'].update(cores=2, load=[0.1, 0.2])
    assert 'other programs' not in harness.format_table(report)
    report['machine']['load'] = [0.1, 3.0]
    assert 'load average before and after: 0.1, 3 -- other programs were running' in \
        harness.format_table(report)


def test_format_time_units():
    assert [harness.format_time(t) for t in (2.5, 0.0123, 4.56e-6, 7e-9, None)] == \
        ['2.5 s', '12.3 ms', '4.56 us', '7 ns', '-']


# ------------------------------------------------------------------ with PyTorch
def _numpy(result):
    """A case's result as a list of flat numpy arrays, whichever framework made it."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    out = []
    for r in items:
        r = r.asnumpy() if hasattr(r, 'asnumpy') else r.detach().numpy()
        out.append(np.asarray(r, dtype=np.float64).ravel())
    return out


def test_eager_cases_agree_with_torch(d2lmini_cases):
    pytest.importorskip('torch')
    bench = _bench('benchmarks.bench_eager')
    mine = d2lmini_cases['benchmarks.bench_eager']
    theirs = bench.build('torch', quick=True)
    for name in bench.cases:
        got = _numpy(harness.run_once(mine[name]))
        want = _numpy(harness.run_once(theirs[name]))
        assert len(got) == len(want), name
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-3, err_msg=name)


def test_full_quick_run_writes_json(tmp_path):
    pytest.importorskip('torch')
    path = tmp_path / 'out.json'
    cmd = [sys.executable, '-m', 'benchmarks.bench_eager', '--quick', '--threads', '1',
           '--case', 'add', '--case', 'mul@record', '--json', str(path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'add' in proc.stdout and 'PyTorch' in proc.stdout
    report = json.loads(path.read_text())
    assert [c['name'] for c in report['cases']] == ['add', 'mul@record']
    assert 'torch' in report['machine']['versions']
    for c in report['cases']:
        assert c['ratio'] == pytest.approx(c['d2lmini'] / c['torch'])
        assert len(c['rounds']['d2lmini']) == len(c['rounds']['torch']) == 1
