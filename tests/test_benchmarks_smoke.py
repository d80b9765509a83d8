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


# ------------------------------------------------------------------ conv, train and gluon
# These three benchmarks share the --device option of bench_conv. Their training
# steps change the parameters, so each comparison builds fresh cases.
TRAIN_MODULES = ('benchmarks.bench_train', 'benchmarks.bench_gluon')


def _host(result):
    """A case's arrays as flat float64 numpy arrays, from the CPU or a GPU."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [np.asarray(r.asnumpy() if hasattr(r, 'asnumpy') else r.detach().cpu().numpy(),
                       dtype=np.float64).ravel() for r in items]


def test_training_benchmarks_found():
    for m in ('benchmarks.bench_conv',) + TRAIN_MODULES:
        assert m in BENCH_MODULES


def _assert_conv_cases_agree(bench, mine, theirs):
    for name in bench.cases:
        got = _host(harness.run_once(mine[name]))
        want = _host(harness.run_once(theirs[name]))
        # forward: the output; fwd_bwd: the output and the gradients of data, weight, bias
        assert len(got) == len(want) == (1 if name.endswith('_fwd') else 4), name
        for g, w in zip(got, want):
            # a weight gradient sums ~1e5 float32 products in an order each library
            # chooses: its rounding error scales with the array's largest values
            atol = max(1e-3, 1e-4 * float(np.abs(w).max()))
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=atol, err_msg=name)


def _assert_steps_agree(module, mine, theirs):
    """One step of each case: the same mean loss and the same parameter updates."""
    from benchmarks import bench_train
    bench = _bench(module)
    for name in bench.cases:
        network = name.split('_')[0]
        start = [v.astype(np.float64).ravel() for v in bench_train.initial_params(network)]
        got = _host(harness.run_once(mine[name]))
        want = _host(harness.run_once(theirs[name]))
        assert len(got) == len(want) == len(start) + 1, name
        # Gluon's loss has one value per image, PyTorch's is their mean
        np.testing.assert_allclose(got[0].mean(), want[0].mean(), rtol=1e-5, err_msg=name)
        for g, w, s in zip(got[1:], want[1:], start):
            assert np.abs(w - s).max() > 1e-6, f'{name}: PyTorch did not update a parameter'
            np.testing.assert_allclose(g - s, w - s, rtol=1e-3, atol=1e-7, err_msg=name)


def test_conv_cases_agree_with_torch():
    pytest.importorskip('torch')
    bench = _bench('benchmarks.bench_conv')
    _assert_conv_cases_agree(bench, bench.build('d2lmini', quick=True),
                             bench.build('torch', quick=True))


@pytest.mark.parametrize('module', TRAIN_MODULES)
def test_training_steps_agree_with_torch(module):
    pytest.importorskip('torch')
    bench = _bench(module)
    _assert_steps_agree(module, bench.build('d2lmini', quick=True),
                        bench.build('torch', quick=True))


def test_training_steps_lower_the_loss():
    from benchmarks import bench_gluon, bench_train
    for step in (bench_train.d2lmini_step('lenet', quick=True),
                 bench_gluon.bench.build('d2lmini', quick=True)['mlp_step_gluon']):
        losses = [float(step()[0].mean().asscalar()) for _ in range(5)]
        assert losses[-1] < losses[0], losses


def test_quick_inputs_are_smaller():
    from benchmarks import bench_conv, bench_train
    assert bench_conv.inputs('resnet', quick=False)['data'].shape == (128, 64, 32, 32)
    assert bench_conv.inputs('resnet', quick=True)['data'].shape[0] == bench_conv.QUICK_IMAGES
    images, labels = bench_train.batch(quick=False)
    assert images.shape == (256, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (256,) and labels.max() < bench_train.CLASSES
    assert bench_train.batch(quick=True)[0].shape[0] == bench_train.QUICK_BATCH


def test_initial_params_have_the_declared_shapes():
    from benchmarks import bench_train
    for network, spec in bench_train.NETWORKS.items():
        values = bench_train.initial_params(network)
        assert [v.shape for v in values] == [shape for _, shape in spec]
        assert all(v.dtype == np.float32 for v in values)


def test_gluon_over_raw_line():
    from benchmarks import bench_gluon

    def report(gluon, raw):
        return {'cases': [{'name': 'mlp_step_raw', 'd2lmini': raw},
                          {'name': 'mlp_step_gluon', 'd2lmini': gluon}]}

    assert bench_gluon.gluon_over_raw(report(1.1e-3, 1e-3)) == \
        ['d2lmini Gluon MLP step / raw-nd MLP step: 1.10  <= 1.15 ok']
    assert bench_gluon.gluon_over_raw(report(1.2e-3, 1e-3))[0].endswith('OVER')
    assert bench_gluon.gluon_over_raw(report(None, 1e-3))[0].startswith(
        'd2lmini Gluon MLP / raw MLP: -')


# ------------------------------------------------------------------ --device
def test_selected_device_reads_the_environment(monkeypatch):
    from benchmarks import bench_conv
    monkeypatch.delenv(bench_conv.DEVICE_VARIABLE, raising=False)
    assert bench_conv.selected_device() == 'cpu'
    monkeypatch.setenv(bench_conv.DEVICE_VARIABLE, 'gpu')
    assert bench_conv.selected_device() == 'gpu'
    monkeypatch.setenv(bench_conv.DEVICE_VARIABLE, 'tpu')
    with pytest.raises(ValueError, match='tpu'):
        bench_conv.selected_device()


def test_device_option_reaches_the_worker(monkeypatch, capsys):
    """``--device cpu`` is passed on in the environment, where the workers read it."""
    from benchmarks import bench_conv
    monkeypatch.setenv(bench_conv.DEVICE_VARIABLE, 'gpu')   # restored after the test
    out = bench_conv.main(bench_conv.bench, ['--device', 'cpu', '--worker', 'd2lmini',
                                             '--quick', '--threads', '1', '--case', 'lenet_fwd'])
    assert os.environ[bench_conv.DEVICE_VARIABLE] == 'cpu'
    assert list(out['results']) == ['lenet_fwd'] and out['results']['lenet_fwd']['median'] > 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == out


def test_help_mentions_the_device_option(capsys):
    from benchmarks import bench_conv
    with pytest.raises(SystemExit) as stop:
        bench_conv.main(bench_conv.bench, ['--help'])
    assert stop.value.code == 0
    assert '--device {cpu,gpu}' in capsys.readouterr().out


def _no_gpu():
    from benchmarks import bench_conv
    return bench_conv.gpus_missing() != ''


def test_gpu_device_without_a_gpu_times_nothing(monkeypatch, capsys):
    from benchmarks import bench_conv
    if not _no_gpu():
        pytest.skip('a GPU is present: the gpu tests below cover it')
    monkeypatch.setenv(bench_conv.DEVICE_VARIABLE, 'cpu')
    assert bench_conv.main(bench_conv.bench, ['--device', 'gpu', '--quick']) is None
    assert 'no GPU cases to run' in capsys.readouterr().err
    import d2lmini
    if d2lmini.num_gpus() == 0:
        # the builders honour the device: without a GPU they cannot put arrays there
        with pytest.raises(Exception, match='(?i)gpu|cupy'):
            bench_conv.bench.build('d2lmini', quick=True)


def test_gluon_quick_run_writes_the_extra_ratio(tmp_path):
    pytest.importorskip('torch')
    path = tmp_path / 'gluon.json'
    cmd = [sys.executable, '-m', 'benchmarks.bench_gluon', '--device', 'cpu', '--quick',
           '--threads', '1', '--case', 'mlp_step_raw', '--case', 'mlp_step_gluon',
           '--json', str(path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'd2lmini Gluon MLP step / raw-nd MLP step:' in proc.stdout
    report = json.loads(path.read_text())
    assert [c['name'] for c in report['cases']] == ['mlp_step_raw', 'mlp_step_gluon']
    assert report['extra'][0] in proc.stdout


@pytest.mark.gpu
@pytest.mark.parametrize('module', ('benchmarks.bench_conv',) + TRAIN_MODULES)
def test_gpu_cases_agree_with_torch_cuda(module, monkeypatch):
    torch = pytest.importorskip('torch')
    if not torch.cuda.is_available():
        pytest.skip('PyTorch sees no CUDA device')
    from benchmarks import bench_conv
    monkeypatch.setenv(bench_conv.DEVICE_VARIABLE, 'gpu')
    bench = _bench(module)
    mine, theirs = bench.build('d2lmini', quick=True), bench.build('torch', quick=True)
    probe = bench.build('d2lmini', quick=True)
    for name in bench.cases:     # every array d2lmini returns lives on the GPU
        out = harness.run_once(probe[name])
        out = out if isinstance(out, (list, tuple)) else [out]
        assert all(a.context.device_type == 'gpu' for a in out), name
    if module == 'benchmarks.bench_conv':
        _assert_conv_cases_agree(bench, mine, theirs)
    else:
        _assert_steps_agree(module, mine, theirs)


# ------------------------------------------------------------------ ResNet-18
def test_resnet_steps_agree_with_torch():
    """One step of ResNet-18 (2 images): the same loss and parameter updates, from
    the same starting parameters, imperative and hybridized."""
    pytest.importorskip('torch')
    from benchmarks import bench_resnet
    bench = _bench('benchmarks.bench_resnet')
    mine, theirs = bench.build('d2lmini', quick=True), bench.build('torch', quick=True)
    for name in bench.cases:
        got, want = harness.run_once(mine[name]), harness.run_once(theirs[name])
        shapes = [tuple(p.shape) for p in want[1:]]
        assert [tuple(p.shape) for p in got[1:]] == shapes, name
        start = [v.astype(np.float64).ravel() for v in bench_resnet.initial_params(shapes)]
        got, want = _host(got), _host(want)
        np.testing.assert_allclose(got[0].mean(), want[0].mean(), rtol=1e-4, err_msg=name)
        # Compared per parameter by the norm of the update: float32 sums in another
        # order can move a ReLU's input across 0 (one element in a million), which
        # changes single entries of the updates by tens of percent but their norms by
        # about 1e-3; a wrong gradient changes the norm by far more.
        for k, (g, w, s) in enumerate(zip(got[1:], want[1:], start, strict=True)):
            error = np.linalg.norm((g - s) - (w - s))
            assert error <= 1e-2 * np.linalg.norm(w - s) + 1e-7, (name, k, error)


def test_resnet_worker_reports_peak_memory():
    cmd = [sys.executable, '-m', 'benchmarks.bench_resnet', '--worker', 'd2lmini', '--quick',
           '--threads', '1', '--case', 'resnet18_step_hybrid']
    proc = subprocess.run(cmd, cwd=ROOT, env=harness.worker_env('d2lmini', 1),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['results']['resnet18_step_hybrid']['median'] > 0
    assert out['peak_rss_mib'] > 10


def test_resnet_report_table():
    from benchmarks import bench_resnet

    def cell(t, rss):
        return {'time': t, 'rounds': [t], 'peak_rss_mib': rss, 'errors': []}

    report = {'benchmark': 'demo', 'note': '', 'settings': {'rounds': 1},
              'frameworks': ['d2lmini', 'torch', 'mxnet'],
              'machine': dict(harness.machine_info({'numpy': '1.0'}, [1, 2]), load=[1, 2]),
              'runs': {1: [{'name': 'resnet18_step', 'd2lmini': cell(0.3, 300),
                            'torch': cell(0.2, 400), 'mxnet': cell(None, None)}]}}
    lines = bench_resnet.format_report(report).splitlines()
    row = [line for line in lines if line.startswith('resnet18_step')][0]
    assert row.split() == ['resnet18_step', '300', 'ms', '200', 'ms', '-', '1.50', '-',
                           '300', '400', '-']
