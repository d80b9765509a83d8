"""gluon.Trainer: steps against the optimizer's formula, parameter order and multipliers,
data parallelism over two CPU contexts (gradients summed, copies kept equal), stale
gradients, saving and loading states, and the errors MXNet gives."""
import zipfile

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, initializer
from d2lmini import optimizer as opt
from d2lmini.gluon.parameter import DeferredInitializationError, Parameter, ParameterDict
from d2lmini.gluon.trainer import Trainer
from d2lmini.ndarray import NDArray
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

CTXS = [mx.cpu(0), mx.cpu(1)]
RNG = np.random.RandomState(3)
X = RNG.randn(8, 3).astype(np.float32)
T = RNG.randn(8, 2).astype(np.float32)
W_INIT = RNG.randn(2, 3).astype(np.float32)

# Whether backward marks the gradients it writes, which stale-gradient checks need.
tracks_fresh_grads = pytest.mark.skipif(
    not hasattr(NDArray, '_fresh_grad'),
    reason='this autograd does not mark fresh gradients (NDArray._fresh_grad)')


def linear_params(ctx=CTXS[0], grad_req='write'):
    """A ParameterDict with a (2, 3) weight and a (2,) bias, initialised on ``ctx``."""
    params = ParameterDict('net_')
    w = params.get('weight', shape=(2, 3), grad_req=grad_req)
    b = params.get('bias', shape=(2,), grad_req=grad_req)
    params.initialize(initializer.Zero(), ctx=ctx)
    w.set_data(mx.nd.array(W_INIT))
    return params, w, b


def squared_loss(w, b, x, t, ctx):
    """Sum of squared errors of the linear model on (x, t), computed on ``ctx``."""
    x, t = mx.nd.array(x, ctx=ctx), mx.nd.array(t, ctx=ctx)
    y = mx.nd.dot(x, w.data(ctx), transpose_b=True) + b.data(ctx)
    return ((y - t) ** 2).sum()


def backward_on(w, b, ctxs, x=X, t=T):
    """One forward and backward pass, the batch split evenly over ``ctxs``."""
    xs, ts = np.split(x, len(ctxs)), np.split(t, len(ctxs))
    with autograd.record():
        losses = [squared_loss(w, b, xi, ti, c) for xi, ti, c in zip(xs, ts, ctxs)]
    for loss in losses:
        loss.backward()


def full_grads(w_value, b_value, x=X, t=T):
    """The gradients of the squared loss, worked out with numpy."""
    err = x @ w_value.T + b_value - t
    return 2 * err.T @ x, 2 * err.sum(axis=0)


# ------------------------------------------------------------------ one device
def test_step_applies_sgd_with_gradients_divided_by_batch_size():
    params, w, b = linear_params()
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1})
    backward_on(w, b, [CTXS[0]])
    gw, gb = full_grads(W_INIT, np.zeros(2))
    trainer.step(batch_size=8)
    assert_almost_equal(w.data(), W_INIT - 0.1 * gw / 8, rtol=1e-5)
    assert_almost_equal(b.data(), -0.1 * gb / 8, rtol=1e-5)
    assert trainer.optimizer.rescale_grad == 1 / 8
    assert_almost_equal(w.grad(), gw, rtol=1e-5)  # the gradient itself is kept


def test_step_matches_the_optimizer_on_its_own():
    """Adam through a Trainer gives what an Updater gives for the same gradients."""
    params, w, b = linear_params()
    trainer = Trainer(params, 'adam', {'learning_rate': 0.01, 'wd': 0.1})
    updater = opt.get_updater(opt.create('adam', learning_rate=0.01, wd=0.1,
                                         rescale_grad=1 / 4))
    w_ref, b_ref = mx.nd.array(W_INIT), mx.nd.zeros(2)
    for _ in range(3):
        backward_on(w, b, [CTXS[0]], X[:4], T[:4])
        gw, gb = full_grads(w_ref.asnumpy(), b_ref.asnumpy(), X[:4], T[:4])
        trainer.step(4)
        updater([1, 0], [mx.nd.array(gw), mx.nd.array(gb)], [w_ref, b_ref])
    assert_almost_equal(w.data(), w_ref, rtol=1e-5)
    assert_almost_equal(b.data(), b_ref, rtol=1e-5)


def test_parameter_dict_is_numbered_by_sorted_name():
    params, w, b = linear_params()
    trainer = Trainer(params, 'sgd')
    assert trainer._params == [b, w]  # 'net_bias' < 'net_weight'
    assert trainer.optimizer.param_dict == {0: b, 1: w}
    assert Trainer([w, b], 'sgd')._params == [w, b]
    assert Trainer({'z': w, 'a': b}, 'sgd')._params == [b, w]
    t = Trainer([w], 'sgd')
    assert w._trainer is t  # the last trainer, as MXNet 1.x keeps it


def test_parameter_multipliers_are_read_at_each_step():
    params, w, b = linear_params()
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1, 'wd': 0.5})
    b.lr_mult = 0.0
    w.wd_mult = 0.0
    backward_on(w, b, [CTXS[0]])
    gw, _ = full_grads(W_INIT, np.zeros(2))
    trainer.step(8)
    assert_almost_equal(b.data(), np.zeros(2))
    assert_almost_equal(w.data(), W_INIT - 0.1 * gw / 8, rtol=1e-5)


def test_learning_rate_and_optimizer_properties():
    params, _, _ = linear_params()
    sgd = opt.create('sgd', learning_rate=0.3)
    trainer = Trainer(params, sgd)
    assert trainer.optimizer is sgd and trainer.learning_rate == 0.3
    trainer.set_learning_rate(0.05)
    assert sgd.lr == 0.05 and trainer.learning_rate == 0.05
    with pytest.raises(AssertionError, match='optimizer_params must be None'):
        Trainer(params, sgd, {'learning_rate': 1.})


def test_null_grad_req_parameters_are_left_alone():
    params, w, b = linear_params()
    frozen = Parameter('frozen', shape=(2,), grad_req='null')
    frozen.initialize(initializer.One())
    trainer = Trainer([w, b, frozen], 'sgd', {'learning_rate': 0.1})
    backward_on(w, b, [CTXS[0]])
    trainer.step(8)
    assert_almost_equal(frozen.data(), np.ones(2))


def test_update_and_allreduce_on_one_device():
    params, w, b = linear_params()
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1})
    backward_on(w, b, [CTXS[0]])
    gw, _ = full_grads(W_INIT, np.zeros(2))
    trainer.allreduce_grads()  # nothing to sum on one device
    assert_almost_equal(w.grad(), gw, rtol=1e-5)
    trainer.update(8)
    assert_almost_equal(w.data(), W_INIT - 0.1 * gw / 8, rtol=1e-5)


class PlainSGD(opt.Optimizer):
    """An optimizer written with NDArray operations, as a user would write one."""

    def update(self, index, weight, grad, state):
        weight[:] = weight - self.learning_rate * self.rescale_grad * grad


def test_step_inside_record_does_not_record_the_update():
    params, w, b = linear_params()
    trainer = Trainer(params, PlainSGD(learning_rate=0.1))
    backward_on(w, b, [CTXS[0]])
    gw, _ = full_grads(W_INIT, np.zeros(2))
    with autograd.record():
        trainer.step(8)
    assert_almost_equal(w.data(), W_INIT - 0.1 * gw / 8, rtol=1e-5)
    backward_on(w, b, [CTXS[0]])  # w is still a leaf of new graphs
    gw, _ = full_grads(w.data().asnumpy(), b.data().asnumpy())
    assert_almost_equal(w.grad(), gw, rtol=1e-4)


# ------------------------------------------------------------------ several devices
def test_two_devices_sum_gradients_and_keep_copies_equal():
    params, w, b = linear_params(ctx=CTXS)
    # update_on_kvstore=False: the summed gradients come back to every device,
    # which updates its own copy (the store-side update is in test_kvstore.py)
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1, 'momentum': 0.9},
                      update_on_kvstore=False)
    single, w1, b1 = linear_params()
    single_trainer = Trainer(single, 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    for _ in range(3):
        backward_on(w, b, CTXS)       # half the batch on each device
        trainer.step(8)
        backward_on(w1, b1, [CTXS[0]])  # the whole batch on one device
        single_trainer.step(8)
    for p, p1 in ((w, w1), (b, b1)):
        copies = p.list_data()
        assert [c.context for c in copies] == CTXS
        assert_almost_equal(copies[0], copies[1], rtol=0, atol=0)
        assert_almost_equal(copies[0], p1.data(), rtol=1e-5, atol=1e-6)
        grads = p.list_grad()  # summed in place on every device
        assert_almost_equal(grads[0], grads[1], rtol=0, atol=0)
        assert_almost_equal(grads[0], p1.grad(), rtol=1e-5, atol=1e-5)
    # one momentum state per device
    states = [u.states[1] for u in trainer._updaters]
    assert [s.context for s in states] == CTXS


def test_allreduce_then_update_needs_update_on_kvstore_false():
    params, w, b = linear_params(ctx=CTXS)
    trainer = Trainer(params, 'sgd')
    with pytest.raises(AssertionError, match='update_on_kvstore'):
        trainer.allreduce_grads()
    with pytest.raises(AssertionError, match='update_on_kvstore'):
        trainer.update(8)

    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1}, update_on_kvstore=False)
    backward_on(w, b, CTXS)
    trainer.allreduce_grads()
    gw, _ = full_grads(W_INIT, np.zeros(2))
    for g in w.list_grad():
        assert_almost_equal(g, gw, rtol=1e-5)
    trainer.update(8)
    for d in w.list_data():
        assert_almost_equal(d, W_INIT - 0.1 * gw / 8, rtol=1e-5)


def test_without_kvstore_each_copy_follows_its_own_gradient():
    params, w, b = linear_params(ctx=CTXS)
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1}, kvstore=None)
    backward_on(w, b, CTXS)
    trainer.step(8)
    first, second = (d.asnumpy() for d in w.list_data())
    assert not np.allclose(first, second)


def test_contexts_must_agree():
    _, w, _ = linear_params(ctx=CTXS)
    _, other, _ = linear_params()
    with pytest.raises(AssertionError, match='same set of contexts'):
        Trainer([w, other], 'sgd')


# ------------------------------------------------------------------ stale gradients
@tracks_fresh_grads
def test_step_before_backward_is_stale():
    params, _, _ = linear_params()
    trainer = Trainer(params, 'sgd')
    with pytest.raises(UserWarning, match=r'Parameter `net_bias` on context cpu\(0\) has not '
                                          r'been updated by backward'):
        trainer.step(1)


@tracks_fresh_grads
def test_unused_parameter_is_stale_unless_ignored():
    params, w, b = linear_params()
    unused = params.get('unused', shape=(2,))
    unused.initialize(initializer.One())
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1})
    backward_on(w, b, [CTXS[0]])
    with pytest.raises(UserWarning, match='net_unused'):
        trainer.step(8)
    trainer.step(8, ignore_stale_grad=True)  # the others are updated
    assert_almost_equal(unused.data(), np.ones(2))
    assert not np.allclose(w.data().asnumpy(), W_INIT)
    # their gradients are now used up: another step needs another backward
    with pytest.raises(UserWarning, match='net_bias'):
        trainer.step(8)
    before = w.data().asnumpy()
    trainer.step(8, ignore_stale_grad=True)
    assert_almost_equal(w.data(), before, rtol=0, atol=0)


@tracks_fresh_grads
def test_stale_on_one_device_only():
    params, w, b = linear_params(ctx=CTXS)
    trainer = Trainer(params, 'sgd')
    with autograd.record():
        loss = squared_loss(w, b, X[:4], T[:4], CTXS[1])
    loss.backward()
    with pytest.raises(UserWarning, match=r'on context cpu\(0\)'):
        trainer.step(4)


# ------------------------------------------------------------------ saving and loading
def train_steps(trainer, w, b, n, ctxs=(CTXS[0],)):
    for _ in range(n):
        backward_on(w, b, list(ctxs))
        trainer.step(8)


def test_save_and_load_states_resume_training_exactly(tmp_path):
    fname = str(tmp_path / 'trainer.states')
    params, w, b = linear_params()
    trainer = Trainer(params, 'adam', {'learning_rate': 0.05, 'wd': 0.01})
    train_steps(trainer, w, b, 2)
    trainer.save_states(fname)
    saved_w, saved_b = w.data().copy(), b.data().copy()
    train_steps(trainer, w, b, 2)

    assert zipfile.is_zipfile(fname)
    assert 'states.json' in zipfile.ZipFile(fname).namelist()

    params2, w2, b2 = linear_params()
    w2.set_data(saved_w)
    b2.set_data(saved_b)
    trainer2 = Trainer(params2, 'sgd', {'learning_rate': 1.0})
    trainer2.load_states(fname)
    assert type(trainer2.optimizer) is opt.Adam
    assert trainer2.optimizer.num_update == 2 and trainer2.learning_rate == 0.05
    assert trainer2.optimizer.param_dict == {0: b2, 1: w2}
    train_steps(trainer2, w2, b2, 2)
    assert_almost_equal(w2.data(), w.data(), rtol=0, atol=0)
    assert_almost_equal(b2.data(), b.data(), rtol=0, atol=0)


def test_load_states_on_two_devices(tmp_path):
    fname = str(tmp_path / 'trainer.states')
    params, w, b = linear_params(ctx=CTXS)
    trainer = Trainer(params, 'sgd', {'learning_rate': 0.1, 'momentum': 0.9},
                      update_on_kvstore=False)     # the states live on the devices
    train_steps(trainer, w, b, 1, CTXS)
    trainer.save_states(fname)
    trainer.load_states(fname)
    assert all(u.optimizer is trainer.optimizer for u in trainer._updaters)
    assert [u.states[1].context for u in trainer._updaters] == [mx.cpu(0)] * 2
    train_steps(trainer, w, b, 1, CTXS)  # states move to their devices when used
    assert [u.states[1].context for u in trainer._updaters] == CTXS
    assert trainer._updaters[0].states[1] is not trainer._updaters[1].states[1]
    assert_almost_equal(w.list_data()[0], w.list_data()[1], rtol=0, atol=0)


def test_load_states_rejects_other_files(tmp_path):
    fname = tmp_path / 'bad.states'
    fname.write_bytes(b'not a zip archive')
    params, _, _ = linear_params()
    with pytest.raises(ValueError, match='not an optimizer states file'):
        Trainer(params, 'sgd').load_states(str(fname))


# ------------------------------------------------------------------ errors
def test_bad_arguments():
    params, w, _ = linear_params()
    with pytest.raises(ValueError, match='list or dict of Parameters, got'):
        Trainer(w, 'sgd')
    with pytest.raises(ValueError, match='got list of'):
        Trainer([w, 'b'], 'sgd')
    with pytest.raises(ValueError, match='Cannot find optimizer'):
        Trainer(params, 'nosuch')
    with pytest.raises(Exception, match='compression is not supported'):
        Trainer(params, 'sgd', compression_params={'type': '2bit', 'threshold': 0.5},
                kvstore=mx.kv.create('local')).step(1, ignore_stale_grad=True)
    multi, _, _ = linear_params(ctx=CTXS)
    with pytest.raises(ValueError, match='several machines'):
        Trainer(multi, 'sgd', kvstore='dist_sync')
    with pytest.raises(TypeError, match='kvstore must be'):
        Trainer(multi, 'sgd', kvstore=3)


def test_step_before_deferred_initialisation_finishes():
    p = Parameter('w', shape=(0, 3), allow_deferred_init=True)
    p.initialize()
    trainer = Trainer([p], 'sgd')
    with pytest.raises(DeferredInitializationError):
        trainer.step(1)
