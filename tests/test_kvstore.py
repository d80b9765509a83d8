"""mx.kv / mx.kvstore and the Trainer's use of a store. Expected numbers are
MXNet 1.9.1's (its KVStore tutorial and the same calls run there)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd
from d2lmini.base import MXNetError
from d2lmini.gluon import Trainer
from d2lmini.gluon.parameter import ParameterDict
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

SHAPE = (2, 3)
CTXS = [mx.cpu(0), mx.cpu(1)]


def test_create_and_identity():
    assert mx.kvstore.create is mx.kv.create
    kv = mx.kv.create('local')
    assert (kv.type, kv.rank, kv.num_workers) == ('local', 0, 1)
    assert mx.kv.create('device').type == 'device'
    assert kv.is_capable(mx.kv.KVStoreBase.OPTIMIZER)
    with pytest.raises(TypeError, match='name must be a string'):
        mx.kv.create(3)
    with pytest.raises(ValueError, match='several machines'):
        mx.kv.create('dist_sync')


def test_tutorial_init_push_pull():
    kv = mx.kv.create('local')
    kv.init(3, mx.nd.ones(SHAPE) * 2)
    a = mx.nd.zeros(SHAPE)
    kv.pull(3, out=a)
    assert_almost_equal(a, np.full(SHAPE, 2.0))
    kv.push(3, mx.nd.ones(SHAPE) * 8)        # without an updater, push replaces
    kv.pull(3, out=a)
    assert_almost_equal(a, np.full(SHAPE, 8.0))
    kv.push(3, [mx.nd.ones(SHAPE, ctx=c) for c in [mx.cpu(i) for i in range(4)]])
    outs = [mx.nd.zeros(SHAPE, ctx=mx.cpu(i)) for i in range(2)]
    kv.pull(3, out=outs)                     # a list of outs: every one gets it
    for o in outs:
        assert_almost_equal(o, np.full(SHAPE, 4.0))


def test_set_optimizer_updates_on_push():
    kv = mx.kv.create('local')
    kv.init(3, mx.nd.ones(SHAPE) * 4)
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
    kv.push(3, mx.nd.ones(SHAPE))
    a = mx.nd.zeros(SHAPE)
    kv.pull(3, out=a)
    assert_almost_equal(a, np.full(SHAPE, 3.9), rtol=1e-6)   # MXNet: 3.9
    # momentum: w -= lr * g, then the momentum adds up
    kv = mx.kv.create('device')
    kv.init('w', mx.nd.zeros(2))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.5, momentum=0.9))
    for _ in range(2):
        kv.push('w', [mx.nd.ones(2), mx.nd.ones(2)])          # summed gradient 2
    out = mx.nd.zeros(2)
    kv.pull('w', out=out)
    assert_almost_equal(out, np.full(2, -1.0 - (0.9 * 1.0 + 1.0)), rtol=1e-6)


def test_keys_lists_and_errors():
    kv = mx.kv.create()
    kv.init(['x', 'y'], [mx.nd.ones(2), mx.nd.ones(3)])
    out = mx.nd.zeros(2)
    kv.pushpull('x', mx.nd.ones(2) * 5, out=out)
    assert_almost_equal(out, [5, 5])
    ys = [mx.nd.ones(3), mx.nd.ones(3) * 2]
    kv.pushpull('y', ys)                     # no out: the sum comes back in place
    assert_almost_equal(ys[0], [3, 3, 3])
    outs = [mx.nd.zeros(2), mx.nd.zeros(3)]
    kv.pull(['x', 'y'], out=outs)
    assert_almost_equal(outs[1], [3, 3, 3])
    with pytest.raises(MXNetError, match='duplicate init of key x'):
        kv.init('x', mx.nd.ones(2))
    with pytest.raises(MXNetError, match='has not been inited'):
        kv.pull('z', out=out)
    with pytest.raises(MXNetError, match='Mixed key types are not allowed'):
        kv.init(1, mx.nd.ones(2))


def test_row_sparse_pull_keeps_the_rows_asked_for():
    kv = mx.kv.create()
    kv.init('w', mx.nd.arange(6).reshape(SHAPE))
    out = (mx.nd.ones(SHAPE) * -1).tostype('row_sparse')
    kv.row_sparse_pull('w', out=out, row_ids=mx.nd.array([1]))
    assert out.stype == 'row_sparse' and out.indices.asnumpy().tolist() == [1]
    assert_almost_equal(out, [[0, 0, 0], [3, 4, 5]])
    outs = [mx.nd.sparse.zeros('row_sparse', SHAPE) for _ in range(2)]
    kv.row_sparse_pull(['w'], out=[outs], row_ids=[[mx.nd.array([0]), mx.nd.array([1, 0])]])
    assert [o.indices.asnumpy().tolist() for o in outs] == [[0], [0, 1]]
    with pytest.raises(MXNetError, match='row_sparse arrays'):
        kv.row_sparse_pull('w', out=mx.nd.zeros(SHAPE), row_ids=mx.nd.array([1]))
    with pytest.raises(MXNetError, match='row ids'):
        kv.row_sparse_pull('w', out=out, row_ids=mx.nd.array([5]))


def test_pull_leaves_row_sparse_arrays_to_row_sparse_pull():
    kv = mx.kv.create()
    kv.init('w', mx.nd.ones(SHAPE))
    out = mx.nd.sparse.zeros('row_sparse', SHAPE)
    kv.pull('w', out=out)
    assert out.asnumpy().sum() == 0
    kv.pull('w', out=out, ignore_sparse=False)
    assert out.asnumpy().sum() == 6


def test_two_bit_compression_with_residual():
    kv = mx.kv.create('device')
    kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
    kv.init(0, mx.nd.zeros(4))
    out = mx.nd.zeros(4)
    grad = mx.nd.array([0.3, 0.6, -1.2, 0.1])
    kv.push(0, grad)
    kv.pull(0, out=out)
    assert_almost_equal(out, [0, 0.5, -0.5, 0])             # MXNet 1.9.1
    kv.push(0, grad)      # residual [0.3, 0.1, -0.7, 0.1] + grad
    kv.pull(0, out=out)
    assert_almost_equal(out, [0.5, 0.5, -0.5, 0])           # MXNet 1.9.1
    default = mx.kv.create('device')
    default.set_gradient_compression({'type': '2bit'})      # threshold 0.5
    default.init(0, mx.nd.zeros(2))
    default.push(0, mx.nd.array([0.4, 0.6]))
    default.pull(0, out=out[:2])
    assert_almost_equal(out[:2], [0, 0.5])
    with pytest.raises(Exception, match='not supported for this type of kvstore'):
        mx.kv.create('local').set_gradient_compression({'type': '2bit'})
    with pytest.raises(MXNetError, match='Unknown type for gradient compression 1bit'):
        mx.kv.create('device').set_gradient_compression({'type': '1bit'})


def test_optimizer_states_round_trip(tmp_path):
    kv = mx.kv.create()
    kv.init(0, mx.nd.zeros(2))
    with pytest.raises(AssertionError):
        kv.save_optimizer_states(str(tmp_path / 'none'))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.push(0, mx.nd.ones(2))
    fname = str(tmp_path / 'kv.states')
    kv.save_optimizer_states(fname)
    kv2 = mx.kv.create()
    kv2.init(0, mx.nd.zeros(2))
    kv2.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv2.load_optimizer_states(fname)
    for store in (kv, kv2):
        store.push(0, mx.nd.ones(2))
    a, b = mx.nd.zeros(2), mx.nd.zeros(2)
    kv.pull(0, out=a)
    kv2.pull(0, out=b)
    # kv2 started from zeros with kv's momentum: it moved by the second step only
    assert_almost_equal(a - b, np.full(2, -0.1), rtol=1e-5)


# ------------------------------------------------------------------ the Trainer
def _params(ctx):
    params = ParameterDict('net_')
    w = params.get('weight', shape=(2, 3))
    params.initialize(mx.init.One(), ctx=ctx)
    return params, w


def _backward(w, ctxs, scale=1.0):
    with autograd.record():
        losses = [(w.data(c) * mx.nd.array(np.arange(6).reshape(2, 3) * (i + 1) * scale,
                                           ctx=c)).sum() for i, c in enumerate(ctxs)]
    for loss in losses:
        loss.backward()


def test_trainer_update_on_kvstore_defaults_and_numbers():
    params, w = _params(CTXS)
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    single, w1 = _params(mx.cpu())
    ref = Trainer(single, 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    for _ in range(3):
        _backward(w, CTXS)
        trainer.step(4)
        with autograd.record():   # the summed gradient of both devices, on one
            loss = (w1.data() * mx.nd.array(np.arange(6).reshape(2, 3) * 3.0)).sum()
        loss.backward()
        ref.step(4)
    assert isinstance(trainer._kvstore, mx.kv.KVStore) and trainer._kvstore.type == 'device'
    assert trainer._update_on_kvstore is True
    assert ref._kvstore is None and ref._update_on_kvstore is None   # one device: no store
    for d in w.list_data():
        assert_almost_equal(d, w1.data(), rtol=1e-6)
    # the store ran the optimizer: the devices' updaters hold no states
    assert all(not u.states for u in trainer._updaters)
    with pytest.raises(AssertionError, match='update_on_kvstore'):
        trainer.allreduce_grads()


def test_trainer_with_a_store_object_on_one_device(tmp_path):
    params, w = _params(mx.cpu())
    kv = mx.kv.create('local')
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1, 'momentum': 0.9}, kvstore=kv)
    _backward(w, [mx.cpu()])
    trainer.step(1)
    assert trainer._kvstore is kv and trainer._update_on_kvstore
    expected = 1 - 0.1 * np.arange(6).reshape(2, 3)
    assert_almost_equal(w.data(), expected, rtol=1e-6)
    fname = str(tmp_path / 'trainer.states')
    trainer.save_states(fname)
    trainer.load_states(fname)
    assert trainer.optimizer is kv._updater.optimizer
    assert trainer.optimizer.momentum == 0.9


def test_trainer_update_on_kvstore_false_and_compression():
    params, w = _params(CTXS)
    trainer = Trainer(params, 'sgd', {'learning_rate': 1.0}, update_on_kvstore=False,
                      compression_params={'type': '2bit', 'threshold': 0.5})
    _backward(w, CTXS, scale=0.1)     # gradients 0.1 * arange and 0.2 * arange
    trainer.allreduce_grads()
    # each device's gradient is quantised to {-0.5, 0, 0.5} before the sum
    g0 = np.where(0.1 * np.arange(6) >= 0.5, 0.5, 0.0)
    g1 = np.where(0.2 * np.arange(6) >= 0.5, 0.5, 0.0)
    for g in w.list_grad():
        assert_almost_equal(g, (g0 + g1).reshape(2, 3))
    assert trainer._kvstore._compression == 0.5


def test_trainer_bad_kvstore_arguments():
    params, _ = _params(CTXS)
    with pytest.raises(TypeError, match='kvstore must be KVStore, str or None'):
        Trainer(params, 'sgd', kvstore=3)
    with pytest.raises(ValueError, match='several machines'):
        Trainer(params, 'sgd', kvstore='dist_sync')


def test_trainer_update_on_kvstore_env(monkeypatch):
    monkeypatch.setenv('MXNET_UPDATE_ON_KVSTORE', '0')
    params, w = _params(CTXS)
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1})
    _backward(w, CTXS)
    trainer.step(1)
    assert trainer._update_on_kvstore is False
    assert_almost_equal(w.list_data()[0], w.list_data()[1])


@pytest.mark.gpu
def test_device_store_sums_over_gpus():
    cupy = pytest.importorskip('cupy')
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip('needs two GPUs')
    kv = mx.kv.create('device')
    kv.init(0, mx.nd.zeros(3, ctx=mx.gpu(0)))
    grads = [mx.nd.ones(3, ctx=mx.gpu(i)) * (i + 1) for i in range(2)]
    kv.pushpull(0, grads)
    for g in grads:
        assert_almost_equal(g, [3, 3, 3])
