"""Optimizer-states files in MXNet 1.x's format (a pickle): files written by real MXNet
1.9.1 (tests/fixtures/optimizer_states, made by tools/make_optimizer_states_fixtures.py)
load and give MXNet's next updates; d2lmini writes the same format on request; and the
restricted unpickler refuses anything but MXNet's arrays, optimizers and schedulers."""
import os
import pickle
import pickletools

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import optimizer_states

HERE = os.path.join(os.path.dirname(__file__), 'fixtures', 'optimizer_states')
TRAINER_CASES = ['sgd_momentum', 'adam', 'nag', 'rmsprop_centered', 'adagrad', 'adam_cosine',
                 'sgd_float16_multi_precision', 'sgd_numpy_lr']
MODULE_CASES = ['module_sgd_momentum', 'module_adam']


def fixture(name):
    return os.path.join(HERE, name)


def replay_trainer(case, states_file, optimizer='sgd'):
    """Load ``states_file`` into a fresh Trainer whose parameters hold the weights of
    the save, take steps 3 and 4 with the recorded gradients; the final weights."""
    record = mx.nd.load(fixture(case + '.params'))
    dtype = record['w:saved'].dtype
    params = []
    for name in ('w', 'b'):
        p = mx.gluon.Parameter(name, shape=record[name + ':saved'].shape, dtype=dtype)
        p.initialize(mx.init.Zero())
        p.set_data(record[name + ':saved'])
        params.append(p)
    trainer = mx.gluon.Trainer(params, optimizer, {'learning_rate': 123.0})
    trainer.load_states(states_file)
    for k in (3, 4):
        grads = [record[f'{p.name}:grad{k}'] for p in params]
        with mx.autograd.record():
            loss = sum((p.data() * g).sum() for p, g in zip(params, grads))
        loss.backward()
        trainer.step(1)
    return trainer, params, record


@pytest.mark.parametrize('case', TRAINER_CASES)
def test_trainer_loads_mxnet_file_and_continues_like_mxnet(case):
    trainer, params, record = replay_trainer(case, fixture(case + '.states'))
    tol = 1e-3 if 'float16' in case else 1e-6
    for p in params:
        np.testing.assert_allclose(p.data().asnumpy(), record[p.name + ':final'].asnumpy(),
                                   rtol=tol, atol=tol)
    assert trainer.learning_rate != 123.0      # the saved optimizer replaced ours


def test_loaded_optimizer_settings():
    with open(fixture('sgd_momentum.states'), 'rb') as f:
        states, opt = mx.optimizer.loads_states(f.read())
    assert type(opt) is mx.optimizer.SGD
    assert (opt.momentum, opt.wd, opt.num_update) == (0.9, 0.01, 2)
    assert type(opt.lr_scheduler) is mx.lr_scheduler.FactorScheduler
    assert (opt.lr_scheduler.step, opt.lr_scheduler.factor) == (3, 0.5)
    assert not hasattr(opt, 'allow_np_array')
    assert opt._index_update_count is opt._all_index_update_counts[0]
    assert sorted(states) == [0, 1] and states[0].shape == (2, 3)


def test_multi_precision_states_are_master_and_momentum():
    with open(fixture('sgd_float16_multi_precision.states'), 'rb') as f:
        states, opt = mx.optimizer.loads_states(f.read())
    master, momentum = states[0]
    assert opt.multi_precision
    assert master.dtype == np.float32 and momentum.dtype == np.float32


def replay_module(case, states_file):
    record = mx.nd.load(fixture(case + '.params'))
    data = mx.sym.Variable('data')
    w, b = mx.sym.Variable('w', shape=(1, 2, 3)), mx.sym.Variable('b', shape=(3,))
    loss = mx.sym.MakeLoss(mx.sym.sum(mx.sym.broadcast_mul(data, w)) + mx.sym.sum(b))
    mod = mx.mod.Module(loss, data_names=['data'], label_names=None)
    mod.bind(data_shapes=[('data', (1, 2, 3))])
    mod.init_params(arg_params={'w': record['w:saved'], 'b': record['b:saved']})
    opt = 'adam' if 'adam' in case else 'sgd'
    params = {'learning_rate': 0.05} if opt == 'adam' else {'learning_rate': 0.1,
                                                            'momentum': 0.9}
    # MXNet's Module file holds the states only, not the update counts (Adam's bias
    # correction needs them): this optimizer starts where MXNet's was at the save
    params['begin_num_update'] = 2
    mod.init_optimizer(optimizer=opt, optimizer_params=params)
    mod.load_optimizer_states(states_file)
    for k in (3, 4):
        mod.forward_backward(mx.io.DataBatch([record[f'data:{k}']]))
        mod.update()
    return mod, record


@pytest.mark.parametrize('case', MODULE_CASES)
def test_module_loads_mxnet_file_and_continues_like_mxnet(case):
    mod, record = replay_module(case, fixture(case + '.states'))
    args, _ = mod.get_params()
    for name in ('w', 'b'):
        np.testing.assert_allclose(args[name].asnumpy(), record[name + ':final'].asnumpy(),
                                   rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('case', TRAINER_CASES)
def test_mxnet_format_round_trip(case, tmp_path):
    """Load MXNet's file, save it again in MXNet's format, load that: same updates."""
    params = [mx.gluon.Parameter('w', shape=(2, 3)), mx.gluon.Parameter('b', shape=(3,))]
    if 'float16' in case:
        params = [mx.gluon.Parameter(p.name, shape=p.shape, dtype='float16') for p in params]
    for p in params:
        p.initialize(mx.init.Zero())
    trainer = mx.gluon.Trainer(params, 'sgd')
    trainer.load_states(fixture(case + '.states'))
    again = str(tmp_path / 'again.states')
    trainer.save_states(again, format='mxnet')
    with open(again, 'rb') as f:
        assert f.read(2) == b'\x80\x03'
    _, replayed, record = replay_trainer(case, again)
    tol = 1e-3 if 'float16' in case else 1e-6
    for p in replayed:
        np.testing.assert_allclose(p.data().asnumpy(), record[p.name + ':final'].asnumpy(),
                                   rtol=tol, atol=tol)


def test_written_pickle_names_only_mxnet_globals():
    opt = mx.optimizer.Adam(lr_scheduler=mx.lr_scheduler.FactorScheduler(step=2, base_lr=0.001))
    blob = optimizer_states.dumps_mxnet_states({0: (mx.nd.ones((2,)), mx.nd.zeros((2,)))}, opt)
    names = {arg.replace(' ', '.') for op, arg, _ in pickletools.genops(blob)
             if op.name == 'GLOBAL'}
    assert names == {'mxnet.ndarray.ndarray.NDArray', 'builtins.bytearray',
                     'mxnet.optimizer.optimizer.Adam', 'mxnet.lr_scheduler.FactorScheduler'}
    states, loaded = optimizer_states.loads_mxnet_states(blob)
    assert states[0][0].asnumpy().tolist() == [1.0, 1.0]
    assert loaded.lr_scheduler.step == 2 and loaded._index_update_count == {}


def test_module_save_in_mxnet_format(tmp_path):
    record = mx.nd.load(fixture('module_adam.params'))
    mod, _ = replay_module('module_adam', fixture('module_adam.states'))
    fname = str(tmp_path / 'mod.states')
    mod.save_optimizer_states(fname, format='mxnet')
    with open(fname, 'rb') as f:
        states, opt = mx.optimizer.loads_states(f.read())
    assert opt is None and sorted(states) == [0, 1]
    assert record['w:final'].shape == (1, 2, 3)


def test_default_format_switch(tmp_path):
    w = mx.gluon.Parameter('w', shape=(2,))
    w.initialize(mx.init.One())
    trainer = mx.gluon.Trainer([w], 'sgd', {'momentum': 0.5})
    fname = str(tmp_path / 't.states')
    trainer.save_states(fname)
    with open(fname, 'rb') as f:
        assert f.read(2) == b'PK'                   # d2lmini's zip by default
    previous = optimizer_states.set_default_format('mxnet')
    try:
        trainer.save_states(fname)
    finally:
        optimizer_states.set_default_format(previous)
    with open(fname, 'rb') as f:
        assert f.read(1) == b'\x80'
    trainer.load_states(fname)
    assert trainer.optimizer.momentum == 0.5
    with pytest.raises(ValueError, match='unknown optimizer states format'):
        trainer.save_states(fname, format='json')


def test_numpy_scalar_is_allowed():
    """MXNet pickles a learning rate given as np.float32 with numpy.dtype and
    numpy.core.multiarray.scalar (the sgd_numpy_lr case); nothing else of numpy."""
    with open(fixture('sgd_numpy_lr.states'), 'rb') as f:
        _, opt = mx.optimizer.loads_states(f.read())
    assert opt.lr == np.float32(0.1) and opt.lr.dtype == np.float32


class _CallsSystem:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


@pytest.mark.parametrize('payload, name', [
    (pickle.dumps({0: _CallsSystem()}), 'system'),                 # posix.system
    (pickle.dumps(({}, print)), 'builtins.print'),
    (pickle.dumps({0: np.ones(2)}), 'multiarray._reconstruct'),       # numpy arrays
    (pickle.dumps({0: _CallsSystem}), 'test_optimizer_states_mxnet._CallsSystem'),
])
def test_forged_pickle_is_refused_naming_the_global(payload, name, tmp_path):
    w = mx.gluon.Parameter('w', shape=(2,))
    w.initialize(mx.init.One())
    trainer = mx.gluon.Trainer([w], 'sgd', {'momentum': 0.5})
    before = trainer.optimizer
    fname = str(tmp_path / 'forged.states')
    with open(fname, 'wb') as f:
        f.write(payload)
    with pytest.raises(ValueError, match=f'refusing to load the global .*{name}'):
        trainer.load_states(fname)
    assert trainer.optimizer is before


def test_mxnet_pickle_of_wrong_shape_is_refused():
    bad = [pickle.dumps([1, 2]),                         # not a dict
           pickle.dumps({0: 'a string'}),                # a state that is not an array
           pickle.dumps(({}, {'not': 'an optimizer'})),
           pickle.dumps({0: bytearray(b'xx')}),
           b'\x80\x04garbage']
    for blob in bad:
        with pytest.raises(ValueError):
            mx.optimizer.loads_states(blob)
    with open(fixture('adam.states'), 'rb') as f:
        good = f.read()
    for cut in (10, len(good) // 2, len(good) - 1):
        with pytest.raises(ValueError):
            mx.optimizer.loads_states(good[:cut])
    with pytest.raises(ValueError, match='neither a zip archive'):
        mx.optimizer.loads_states(b'{"json": 1}')


def test_damaged_array_handle_is_refused():
    blob = optimizer_states.dumps_mxnet_states({0: mx.nd.ones((4,))})
    length_4 = b'\x04\x00\x00\x00\x00\x00\x00\x00'    # the shape (4,), as int64
    forged = blob.replace(length_4, b'\xff\xff' + length_4[2:], 1)   # (65535,)
    assert forged != blob
    with pytest.raises(ValueError, match='NDArray in the file is damaged'):
        optimizer_states.loads_mxnet_states(forged)


def test_cycle_is_refused():
    cyclic = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match='refers to itself'):
        optimizer_states.loads_mxnet_states(pickle.dumps({0: cyclic}))


def test_zip_format_still_loads():
    updater = mx.optimizer.get_updater(mx.optimizer.Adam())
    w = mx.nd.ones((2,))
    updater(0, mx.nd.ones((2,)), w)
    blob = updater.get_states(dump_optimizer=True)
    assert blob[:2] == b'PK'
    states, opt = mx.optimizer.loads_states(blob)
    assert type(opt) is mx.optimizer.Adam and len(states[0]) == 2


def test_pickle_cannot_change_d2lmini_classes():
    """BUILD with slot state sets attributes on what it is given: here the class SGD
    itself. Only a private copy is changed, and a class is not a value states hold."""
    forged = (b'\x80\x02cmxnet.optimizer.optimizer\nSGD\n'
              b'N}X\x06\x00\x00\x00updateK\x01s\x86b.')
    update = mx.optimizer.SGD.update
    with pytest.raises(ValueError, match='holds a type'):
        optimizer_states.loads_mxnet_states(b'\x80\x02}K\x00' + forged[2:-1] + b's.')
    assert mx.optimizer.SGD.update is update
    # the loaded optimizer is an instance of d2lmini's class itself
    with open(fixture('adam.states'), 'rb') as f:
        _, opt = mx.optimizer.loads_states(f.read())
    assert type(opt) is mx.optimizer.Adam


def test_deep_nesting_is_refused():
    deep = b'\x80\x02}K\x00' + b']' * 100000 + b'a' * 99999 + b's.'
    with pytest.raises(ValueError, match='too deeply'):
        optimizer_states.loads_mxnet_states(deep)


def test_states_saved_on_a_gpu_load_anywhere():
    """MXNet keeps the context in each array; one from a GPU that is not here loads on
    the CPU (the updater then moves states to their weights' devices)."""
    blob = optimizer_states.dumps_mxnet_states({0: mx.nd.array([1., 2., 3., 4.])})
    cpu_context = b'\x04\x00\x00\x00\x00\x00\x00\x00' + b'\x01\x00\x00\x00\x00\x00\x00\x00'
    assert blob.count(cpu_context) == 1
    on_gpu = blob.replace(cpu_context, cpu_context[:8] + b'\x02\x00\x00\x00\x00\x00\x00\x00')
    states, _ = optimizer_states.loads_mxnet_states(on_gpu)
    assert states[0].asnumpy().tolist() == [1., 2., 3., 4.]
    assert states[0].context.device_type in ('cpu', 'gpu')
    with pytest.raises(ValueError, match='damaged'):
        optimizer_states.loads_mxnet_states(
            blob.replace(cpu_context, cpu_context[:8] + b'\x09\x00\x00\x00\x00\x00\x00\x00'))
