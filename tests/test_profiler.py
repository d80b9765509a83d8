"""mx.profiler: operators timed on every path (eager, hybridized, executor), the
Chrome trace file, MXNet 1.x's aggregate statistics and its settings. The table
layout and the names of the settings were read from MXNet 1.9.1's output."""
import json
import os
import time
import warnings

import pytest

import d2lmini as mx
from d2lmini import autograd, gluon, nd, profiler
from d2lmini.base import MXNetError


@pytest.fixture(autouse=True)
def fresh_profiler(tmp_path):
    """Each test starts with a profiler that is off, empty, writing into tmp_path."""
    profiler.set_state('stop')
    profiler._PROFILE.__init__()
    profiler.set_config(profile_all=True, aggregate_stats=True,
                        filename=str(tmp_path / 'profile.json'))
    yield
    profiler.set_state('stop')
    profiler._PROFILE.__init__()


def _operator_counts():
    stats = json.loads(profiler.dumps(reset=True, format='json'))
    return {name: s['Count'] for name, s in stats['Time'].get('operator', {}).items()}


def _profiled(work):
    profiler.set_state('run')
    try:
        work()
    finally:
        profiler.set_state('stop')
    return _operator_counts()


def _net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(4, activation='relu', in_units=3), gluon.nn.Dense(2, in_units=4))
    net.initialize(mx.init.One())
    return net


# ---------------------------------------------------------------- what is timed
def test_eager_operators_are_counted():
    x = nd.ones((2, 3))
    counts = _profiled(lambda: [(x * 2 + 1).sum(), nd.relu(x), nd.relu(x), nd.zeros((2,))])
    assert counts == {'_mul_scalar': 1, '_plus_scalar': 1, 'sum': 1, 'relu': 2, '_zeros': 1}


def test_times_are_measured():
    a = nd.ones((300, 300))
    profiler.set_state('run')
    for _ in range(3):
        nd.dot(a, a)
    task = profiler.Task(profiler.Domain('work'), 'nap')
    task.start()
    time.sleep(0.02)
    task.stop()
    profiler.set_state('stop')
    stats = json.loads(profiler.dumps(format='json'))['Time']
    dot = stats['operator']['dot']
    assert dot['Count'] == 3 and 0 < dot['Min'] <= dot['Avg'] <= dot['Max']
    assert dot['Total'] == pytest.approx(3 * dot['Avg'], rel=1e-3)
    assert stats['work']['nap']['Total'] >= 20       # milliseconds


def test_hybridized_plan_operators_are_counted():
    net = _net()
    net.hybridize()
    x = nd.ones((2, 3))
    net(x)                       # builds the plan outside the profile
    assert _profiled(lambda: net(x)) == {'FullyConnected': 2, 'Activation': 1}


def test_hybridized_backward_plan_is_counted():
    net = _net()
    net.hybridize()
    x = nd.ones((2, 3))
    x.attach_grad()

    def step():
        with autograd.record():
            y = net(x)
        y.backward()
    step()
    counts = _profiled(step)
    assert counts['FullyConnected'] == 2 and counts['Activation'] == 1
    # the compiled backward's own operators
    assert counts['_fc_weight_grad'] == 2 and counts['_backward_relu'] == 1


def test_plan_results_unchanged_while_profiling():
    net = _net()
    net.hybridize()
    x = nd.array([[1, -2, 3], [0, 1, -1]])
    expected = net(x).asnumpy()
    profiler.set_state('run')
    got = net(x).asnumpy()
    profiler.set_state('stop')
    assert (got == expected).all()


def test_executor_operators_are_symbolic():
    s = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    exe = s.simple_bind(mx.cpu(), data=(2, 3))
    x, head = nd.ones((2, 3)), nd.ones((2, 3))

    def work():
        nd.relu(x)
        exe.forward(is_train=True)
        exe.backward(head)
    assert _profiled(work) == {'relu': 1, 'FullyConnected': 1, '_fc_data_grad': 1,
                               '_fc_weight_grad': 1, '_sum_to': 1}
    profiler.set_config(profile_symbolic=False, aggregate_stats=True)
    assert _profiled(work) == {'relu': 1}
    profiler.set_config(profile_imperative=False, aggregate_stats=True)
    assert _profiled(work) == {'FullyConnected': 1, '_fc_data_grad': 1,
                               '_fc_weight_grad': 1, '_sum_to': 1}


def test_off_records_nothing():
    x = nd.ones((2, 3))
    x * 2                                   # never started
    profiler.set_state('run')
    profiler.set_state('stop')
    nd.relu(x)                              # stopped
    net = _net()
    net.hybridize()
    net(x)
    assert profiler._PROFILE.events == []
    assert _operator_counts() == {}


def test_pause_and_resume():
    x = nd.ones((2, 3))
    profiler.set_state('run')
    x * 2
    profiler.pause()
    x + 2
    profiler.Event('hidden').start()
    profiler.resume()
    nd.relu(x)
    profiler.set_state('stop')
    assert _operator_counts() == {'_mul_scalar': 1, 'relu': 1}


def test_gpu_waits_before_reading_the_clock(monkeypatch):
    calls = []
    monkeypatch.setattr(mx.backend, 'synchronize', lambda ctx=None: calls.append('sync'))
    profiler.set_state('run')
    profiler._timed_call('kernel', lambda xp: calls.append('run'), mx.cpu(), True, None, (), {})
    profiler.set_state('stop')
    assert calls == ['sync', 'run', 'sync']
    # the CPU never waits
    calls.clear()
    _profiled(lambda: nd.relu(nd.ones((2,))))
    assert calls == []


@pytest.mark.gpu
def test_gpu_operators_are_timed():
    x = nd.ones((64, 64), ctx=mx.gpu())
    counts = _profiled(lambda: nd.dot(x, x).wait_to_read())
    assert counts == {'dot': 1}


# ---------------------------------------------------------------- the trace file
def test_dump_writes_a_chrome_trace(tmp_path):
    x = nd.ones((2, 3))
    profiler.set_state('run')
    nd.relu(x)
    domain = profiler.Domain('loader')
    with profiler.Task(domain, 'decode'):
        pass
    frame = profiler.Frame(domain, 'batch')
    frame.start()
    frame.stop()
    counter = profiler.Counter(domain, 'queued', 3)
    counter += 2
    profiler.Marker(domain, 'epoch').mark('global')
    profiler.set_state('stop')
    profiler.dump()
    with open(tmp_path / 'profile.json') as f:
        trace = json.load(f)
    assert trace['displayTimeUnit'] == 'ms'
    events = trace['traceEvents']
    processes = {e['pid']: e['args']['name'] for e in events if e['ph'] == 'M'}
    assert sorted(processes.values()) == ['cpu/0', 'loader', 'loader,frame',
                                          'loader,instant_marker']
    by_name = {}
    for e in events:
        if e['ph'] != 'M':
            by_name.setdefault(e['name'], []).append(e)
    relu, = by_name['relu']
    assert relu['ph'] == 'X' and relu['cat'] == 'operator' and relu['dur'] >= 0
    assert processes[relu['pid']] == 'cpu/0'
    assert by_name['decode'][0]['ph'] == 'X' and by_name['decode'][0]['cat'] == 'loader'
    assert by_name['batch'][0]['cat'] == 'loader,frame'
    assert [e['args'] for e in by_name['queued']] == [{'queued': 3}, {'queued': 5}]
    assert by_name['queued'][0]['ph'] == 'C'
    assert by_name['epoch'][0]['ph'] == 'i' and by_name['epoch'][0]['s'] == 'g'
    # times are microseconds on the wall clock, in order
    assert abs(relu['ts'] / 1e6 - time.time()) < 60
    assert relu['ts'] <= by_name['decode'][0]['ts'] <= by_name['epoch'][0]['ts']


def test_dump_finished_starts_afresh(tmp_path):
    x = nd.ones((2,))
    profiler.set_state('run')
    nd.relu(x)
    profiler.dump(finished=False)
    nd.sigmoid(x)
    profiler.set_state('stop')

    def names():
        with open(tmp_path / 'profile.json') as f:
            return [e['name'] for e in json.load(f)['traceEvents'] if e['ph'] == 'X']
    assert names() == ['relu']
    profiler.dump()
    assert names() == ['relu', 'sigmoid']
    profiler.dump()
    assert names() == []


def test_dump_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / 'profile.json'
    target.write_text('{"traceEvents": ["old"]}')
    x = nd.ones((2,))
    profiler.set_state('run')
    nd.relu(x)
    profiler.set_state('stop')

    def broken(document, f, **kwargs):
        f.write('{"traceEv')        # half written, then the disk fills up
        raise OSError('No space left on device')
    monkeypatch.setattr(profiler.json, 'dump', broken)
    with pytest.raises(OSError):
        profiler.dump(finished=False)
    assert target.read_text() == '{"traceEvents": ["old"]}'
    assert os.listdir(tmp_path) == ['profile.json']      # no temporary file left
    monkeypatch.undo()
    profiler.dump()
    assert json.loads(target.read_text())['traceEvents'][1]['name'] == 'relu'
    assert os.listdir(tmp_path) == ['profile.json']


def test_dump_before_running_is_an_error():
    with pytest.raises(MXNetError, match="set_state\\('run'\\)"):
        profiler.dump()


# ---------------------------------------------------------------- statistics
def test_dumps_table_layout(monkeypatch):
    # fixed times, to compare the text exactly
    ticks = iter([0.0, 0.002, 1.0, 1.004, 2.0, 2.001])
    monkeypatch.setattr(profiler, '_clock', lambda: next(ticks))
    x = nd.ones((2,))
    _ = nd.ones((1,))
    profiler.set_state('run')
    nd.relu(x)
    nd.relu(x)
    nd.sigmoid(x)
    profiler.set_state('stop')
    assert profiler.dumps() == (
        '\nProfile Statistics:\n\tNote the difference in units for different entries.\n'
        'operator\n=================\n'
        'Name                          Total Count        Time (ms)    Min Time (ms)'
        '    Max Time (ms)    Avg Time (ms)\n'
        '----                          -----------        ---------    -------------'
        '    -------------    -------------\n'
        'relu                                    2           6.0000           2.0000'
        '           4.0000           3.0000\n'
        'sigmoid                                 1           1.0000           1.0000'
        '           1.0000           1.0000\n\n')
    by_count = profiler.dumps(sort_by='count', ascending=True, reset=True)
    assert by_count.index('sigmoid') < by_count.index('relu')
    assert profiler.dumps() == ('\nProfile Statistics:\n'
                                '\tNote the difference in units for different entries.\n')


def test_dumps_json_and_counters():
    d = profiler.Domain('data')
    profiler.set_state('run')
    c = d.new_counter('batches', 1)
    c.increment(4)
    c -= 2
    nd.relu(nd.ones((2,)))
    profiler.set_state('stop')
    stats = json.loads(profiler.dumps(format='json'))
    assert stats['Unit'] == {'Time': 'ms', 'Memory': 'kB'}
    assert set(stats['Time']['operator']['relu']) == {'Count', 'Total', 'Min', 'Max', 'Avg'}
    assert stats['Counter'] == {'data': {'batches': {'Count': 3, 'Min': 1, 'Max': 5,
                                                     'Last': 3}}}
    assert c.value == 3


def test_dumps_without_aggregate_stats_warns():
    profiler.set_config(profile_all=True)
    with pytest.warns(UserWarning, match='aggregate_stats=True'):
        assert profiler.dumps() == ''


def test_dumps_checks_its_arguments():
    with pytest.raises(AssertionError, match='format: xml'):
        profiler.dumps(format='xml')
    with pytest.raises(AssertionError, match='sort_by: time'):
        profiler.dumps(sort_by='time')
    with pytest.raises(AssertionError, match='ascending: 1'):
        profiler.dumps(ascending='1')


# ---------------------------------------------------------------- settings
def test_bad_state_names_a_clear_error():
    with pytest.raises(KeyError, match="'run' or 'stop', not 'start'"):
        profiler.set_state('start')
    assert profiler.current_state() == 'stop'


def test_set_config_rejects_unknown_settings():
    with pytest.raises(MXNetError, match="unknown setting 'profile_gpu'"):
        profiler.set_config(profile_gpu=True)
    with pytest.raises(MXNetError, match='parameter server'):
        profiler.set_config(profile_process='server')


def test_set_config_starts_from_the_defaults():
    profiler.set_config(profile_imperative=False, aggregate_stats=True)
    profiler.set_config(aggregate_stats=True)
    x = nd.ones((2,))
    assert _profiled(lambda: nd.relu(x)) == {'relu': 1}


def test_start_stop_and_marker_scope():
    profiler.start()
    assert profiler.current_state() == 'run'
    profiler.stop()
    assert profiler.current_state() == 'stop'
    with pytest.raises(MXNetError, match="invalid scope 'world'"):
        profiler.Marker(profiler.Domain('d'), 'm').mark('world')
    with pytest.raises(MXNetError, match='stop\\(\\) without start\\(\\)'):
        profiler.Event('e').stop()


def test_old_names(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        profiler.profiler_set_config(mode='all', filename=str(tmp_path / 'old.json'))
        x = nd.ones((2,))
        profiler.profiler_set_state('run')
        nd.relu(x)
        profiler.profiler_set_state('stop')
        profiler.dump_profile()
    assert [str(w.message).split('(')[0] for w in caught] == [
        'profiler.profiler_set_config', 'profiler.profiler_set_state',
        'profiler.profiler_set_state', 'profiler.dump_profile']
    with open(tmp_path / 'old.json') as f:
        assert [e['name'] for e in json.load(f)['traceEvents'] if e['ph'] == 'X'] == ['relu']
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(MXNetError, match="unknown mode 'gpu'"):
            profiler.profiler_set_config(mode='gpu')


def test_custom_operator_entries():
    class Twice(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * 2)
            nd.zeros((3,))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0] * 2)

    @mx.operator.register('profiled_twice')
    class TwiceProp(mx.operator.CustomOpProp):
        def list_arguments(self):
            return ['data']

        def list_outputs(self):
            return ['output']

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return Twice()

    x, dy = nd.array([1, 2]), nd.ones((2,))
    x.attach_grad()

    def step():
        with autograd.record():
            y = nd.Custom(x, op_type='profiled_twice')
        y.backward(dy)
    profiler.set_state('run')
    step()
    profiler.set_state('stop')
    stats = json.loads(profiler.dumps(format='json'))['Time']
    assert {n: s['Count'] for n, s in stats['Custom Operator'].items()} == {
        'profiled_twice::pure_python': 1, 'profiled_twice::_mul_scalar': 1,
        'profiled_twice::_zeros': 1, '_backward_profiled_twice::pure_python': 1,
        '_backward_profiled_twice::_mul_scalar': 1}
    assert 'operator' not in stats


def test_operators_of_other_threads():
    import threading
    x = nd.ones((2,))
    profiler.set_state('run')
    worker = threading.Thread(target=lambda: nd.sigmoid(x))
    worker.start()
    worker.join()
    nd.relu(x)
    profiler.set_state('stop')
    ops = {e[1]: e[4] for e in profiler._PROFILE.events}
    assert ops['relu'] == threading.get_ident() and ops['sigmoid'] != ops['relu']
    assert _operator_counts() == {'relu': 1, 'sigmoid': 1}
