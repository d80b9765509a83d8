"""mx.optimizer and mx.lr_scheduler: every update rule against its formula written out
in float64 numpy (several steps, with rescaling, clipping and weight decay), single steps
worked out by hand, multipliers, update counts, schedulers, mixed precision, and saving
and loading optimizer states."""
import math
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import lr_scheduler, optimizer as opt
from d2lmini.gluon.parameter import Parameter
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

W0 = np.array([0.5, -1.2, 2.0, -0.3, 0.05])
GRADS = [np.array([3.0, -0.4, 0.1, -5.0, 0.0]),
         np.array([-1.0, 2.5, 0.3, 0.2, -0.7]),
         np.array([0.6, -0.1, -2.0, 4.0, 1.5])]


# ------------------------------------------------------------------ float64 references
# Each takes the optimizer's settings and returns the weights after every step and the
# final state, computed from the formulas in MXNet 1.x's documentation.

def clip(g, bound):
    return np.clip(g, -bound, bound)


def ref_sgd(lr=0.01, wd=0., rescale_grad=1., clip_gradient=None, momentum=0.):
    w, mom, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = rescale_grad * g
        if clip_gradient:
            g = clip(g, clip_gradient)
        if momentum:
            mom = momentum * mom - lr * wd * w - lr * g
            w = w + mom
        else:
            w = w - lr * (g + wd * w)
        out.append(w)
    return out, [mom] if momentum else []


def ref_nag(lr=0.01, wd=0., rescale_grad=1., clip_gradient=None, momentum=0.):
    w, mom, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = rescale_grad * g
        if clip_gradient:
            g = clip(g, clip_gradient)
        step = g + wd * w
        w = w + momentum * (momentum * mom - lr * step) - lr * step
        mom = momentum * mom - lr * (g + wd * w)  # the new weight, as MXNet's kernel
        out.append(w)
    return out, [mom] if momentum else []


def ref_adam(lr=0.001, wd=0., rescale_grad=1., clip_gradient=None, beta1=0.9, beta2=0.999,
             epsilon=1e-8):
    w, mean, var, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for t, g in enumerate(GRADS, 1):
        g = rescale_grad * g + wd * w
        if clip_gradient:
            g = clip(g, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * g
        var = beta2 * var + (1 - beta2) * g ** 2
        lr_t = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        w = w - lr_t * mean / (np.sqrt(var) + epsilon)
        out.append(w)
    return out, [mean, var]


def ref_rmsprop(lr=0.001, wd=0., rescale_grad=1., clip_gradient=None, gamma1=0.9, gamma2=0.9,
                epsilon=1e-8, centered=False, clip_weights=None):
    w, n, mean_g, delta, out = W0.copy(), 0 * W0, 0 * W0, 0 * W0, []
    for g in GRADS:
        g = rescale_grad * g + wd * w
        if clip_gradient:
            g = clip(g, clip_gradient)
        n = (1 - gamma1) * g ** 2 + gamma1 * n
        if centered:
            mean_g = (1 - gamma1) * g + gamma1 * mean_g
            delta = gamma2 * delta - lr * g / np.sqrt(n - mean_g ** 2 + epsilon)
            w = w + delta
        else:
            w = w - lr * g / np.sqrt(n + epsilon)
        if clip_weights:
            w = clip(w, clip_weights)
        out.append(w)
    return out, [n, mean_g, delta] if centered else [n]


def ref_adagrad(lr=0.01, wd=0., rescale_grad=1., clip_gradient=None, eps=1e-7):
    w, history, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = rescale_grad * g
        if clip_gradient is not None:
            g = clip(g, clip_gradient)
        history = history + g ** 2
        w = w - lr * (g / np.sqrt(history + eps) + wd * w)
        out.append(w)
    return out, [history]


def ref_adadelta(wd=0., rescale_grad=1., clip_gradient=None, rho=0.9, epsilon=1e-5):
    w, acc_g, acc_delta, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), []
    for g in GRADS:
        g = rescale_grad * g
        if clip_gradient is not None:
            g = clip(g, clip_gradient)
        acc_g = rho * acc_g + (1 - rho) * g ** 2
        delta = np.sqrt(acc_delta + epsilon) / np.sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta ** 2
        w = w - (delta + wd * w)
        out.append(w)
    return out, [acc_g, acc_delta]


REFS = {'sgd': ref_sgd, 'nag': ref_nag, 'adam': ref_adam, 'rmsprop': ref_rmsprop,
        'adagrad': ref_adagrad, 'adadelta': ref_adadelta}
ALL = dict(wd=0.2, rescale_grad=0.5, clip_gradient=1.0)  # every preprocessing step at work
CASES = [
    ('sgd', dict(learning_rate=0.1)),
    ('sgd', dict(learning_rate=0.1, **ALL)),
    ('sgd', dict(learning_rate=0.1, momentum=0.9, **ALL)),
    ('sgd', dict(learning_rate=0.1, clip_gradient=0)),  # 0 means: no clipping
    ('nag', dict(learning_rate=0.1, **ALL)),
    ('nag', dict(learning_rate=0.1, momentum=0.9, **ALL)),
    ('adam', dict()),
    ('adam', dict(learning_rate=0.1, **ALL)),
    ('adam', dict(learning_rate=0.1, beta1=0.8, beta2=0.9, epsilon=0.5)),
    ('rmsprop', dict(learning_rate=0.1, epsilon=0.3, **ALL)),
    ('rmsprop', dict(learning_rate=0.5, gamma1=0.7, clip_weights=1.1)),
    ('rmsprop', dict(learning_rate=0.1, epsilon=0.3, centered=True, gamma1=0.8, gamma2=0.6,
                     clip_weights=1.9, **ALL)),
    ('adagrad', dict()),
    ('adagrad', dict(learning_rate=0.1, eps=0.3, **ALL)),
    ('adagrad', dict(learning_rate=0.1, clip_gradient=0.)),  # here 0 zeroes the gradient
    ('adadelta', dict()),
    ('adadelta', dict(rho=0.8, epsilon=0.3, **ALL)),
]


def run_updater(name, kwargs, ctx=None, dtype='float32'):
    """Three updates of W0 with GRADS through an Updater; the weights after each."""
    ctx = ctx or mx.cpu()
    updater = opt.get_updater(opt.create(name, **kwargs))
    w = mx.nd.array(W0, ctx=ctx, dtype=dtype)
    out = []
    for g in GRADS:
        updater(0, mx.nd.array(g, ctx=ctx, dtype=dtype), w)
        out.append(w.asnumpy())
    return out, updater


def as_list(state):
    if state is None:
        return []
    return [state] if isinstance(state, mx.nd.NDArray) else list(state)


@pytest.mark.parametrize('name,kwargs', CASES, ids=[f'{n}-{i}' for i, (n, _) in enumerate(CASES)])
def test_rule_matches_its_formula_over_several_steps(name, kwargs):
    got, updater = run_updater(name, kwargs)
    names = {'learning_rate': 'lr'}
    expected, state = REFS[name](**{names.get(k, k): v for k, v in kwargs.items()})
    for step, (g, e) in enumerate(zip(got, expected)):
        assert g.dtype == np.float32
        assert_almost_equal(g, e, rtol=1e-5, atol=1e-6, names=(f'step {step}', 'formula'))
    got_state = as_list(updater.states[0])
    assert len(got_state) == len(state)
    for g, e in zip(got_state, state):
        assert_almost_equal(g.asnumpy(), e, rtol=1e-5, atol=1e-6)
    assert updater.optimizer.num_update == 3


@pytest.mark.parametrize('name,kwargs', CASES[:12:3], ids=lambda v: str(v))
def test_rule_keeps_float64(name, kwargs):
    got, _ = run_updater(name, kwargs, dtype='float64')
    assert got[-1].dtype == np.float64


# ------------------------------------------------------------------ single steps by hand
def one_step(name, w, g, **kwargs):
    o = opt.create(name, **kwargs)
    w = mx.nd.array(w)
    state = o.create_state(0, w)
    o.update(0, w, mx.nd.array(g), state)
    return w.asnumpy(), state


def test_sgd_step_by_hand():
    w, state = one_step('sgd', [1., 2.], [10., -10.], learning_rate=0.1)
    assert state is None
    assert_almost_equal(w, [0., 3.])
    # rescale 0.5 -> [5, -5], clip 2 -> [2, -2], wd 0.1: w - 0.1 * (g + 0.1 w)
    w, _ = one_step('sgd', [1., 2.], [10., -10.], learning_rate=0.1, rescale_grad=0.5,
                    clip_gradient=2., wd=0.1)
    assert_almost_equal(w, [1 - 0.1 * 2.1, 2 - 0.1 * (-2 + 0.2)])


def test_sgd_momentum_by_hand():
    o = opt.create('sgd', learning_rate=0.1, momentum=0.5)
    w = mx.nd.array([1.])
    mom = o.create_state(0, w)
    o.update(0, w, mx.nd.array([2.]), mom)      # mom = -0.2, w = 0.8
    o.update(0, w, mx.nd.array([2.]), mom)      # mom = -0.1 - 0.2 = -0.3, w = 0.5
    assert_almost_equal(mom.asnumpy(), [-0.3])
    assert_almost_equal(w.asnumpy(), [0.5])


def test_nag_momentum_by_hand_uses_the_new_weight_for_decay():
    # step = 3 + 0.2 * 0.5 = 3.1; w = 0.5 + 0.9 * (0 - 0.31) - 0.31 = -0.089
    # mom = -0.1 * (3 + 0.2 * -0.089) = -0.29822 (MXNet 1.9.1 gives the same)
    w, mom = one_step('nag', [0.5, 0.05], [3., 0.], learning_rate=0.1, momentum=0.9, wd=0.2)
    assert_almost_equal(w, [-0.089, 0.0481])
    assert_almost_equal(mom.asnumpy(), [-0.29822, -0.000962])


def test_adam_first_step_moves_each_weight_by_about_lr():
    # m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(0.001) / 0.1: the step is lr * sign(g)
    w, (mean, var) = one_step('adam', [1., 1., 1.], [2., -0.5, 40.], learning_rate=0.1)
    assert_almost_equal(w, [0.9, 1.1, 0.9], rtol=1e-5)
    assert_almost_equal(mean.asnumpy(), [0.2, -0.05, 4.])
    # (1 - beta2) is rounded to float32, as in MXNet: 1.3e-5 relative off 0.001
    assert_almost_equal(var.asnumpy(), [0.004, 0.00025, 1.6], rtol=5e-5)


def test_adam_bias_correction_uses_the_weights_own_count():
    o = opt.create('adam', learning_rate=0.1)
    a, b = mx.nd.array([1.]), mx.nd.array([1.])
    sa, sb = o.create_state(0, a), o.create_state(1, b)
    for _ in range(3):
        o.update(0, a, mx.nd.array([1.]), sa)
    o.update(1, b, mx.nd.array([1.]), sb)   # b's first update: t = 1, a step of 0.1
    assert o._index_update_count == {0: 3, 1: 1}
    assert_almost_equal(b.asnumpy(), [0.9], rtol=1e-5)


def test_rmsprop_adagrad_adadelta_first_steps_by_hand():
    # RMSProp: n = 0.1 g^2, step lr g / sqrt(0.1 g^2) = lr sign(g) / sqrt(0.1)
    w, _ = one_step('rmsprop', [0., 0.], [3., -0.2], learning_rate=0.01, gamma1=0.9)
    assert_almost_equal(w, [-0.01 / math.sqrt(0.1), 0.01 / math.sqrt(0.1)], rtol=1e-5)
    # AdaGrad: history = g^2, step lr g / sqrt(g^2) = lr sign(g)
    w, history = one_step('adagrad', [0., 0.], [3., -0.2], learning_rate=0.1, eps=0.)
    assert_almost_equal(w, [-0.1, 0.1])
    assert_almost_equal(history.asnumpy(), [9., 0.04])
    # AdaDelta: acc_g = 0.1 g^2, delta = sqrt(eps) / sqrt(0.1 g^2 + eps) g
    w, (acc_g, acc_delta) = one_step('adadelta', [0.], [2.], rho=0.9, epsilon=0.6)
    delta = math.sqrt(0.6) / math.sqrt(0.4 + 0.6) * 2
    assert_almost_equal(w, [-delta], rtol=1e-6)
    assert_almost_equal(acc_delta.asnumpy(), [0.1 * delta ** 2], rtol=1e-6)


def test_updates_leave_the_gradient_alone():
    for name in REFS:
        o = opt.create(name, rescale_grad=0.5, clip_gradient=0.1)
        w, g = mx.nd.array([1., 2.]), mx.nd.array([3., 4.])
        o.update(0, w, g, o.create_state(0, w))
        assert_almost_equal(g.asnumpy(), [3., 4.])
        assert (w.asnumpy() != [1., 2.]).all()


# ------------------------------------------------------------------ settings
def test_defaults_and_learning_rate():
    assert opt.create('sgd').learning_rate == 0.01
    assert opt.create('adam').learning_rate == 0.001
    assert opt.create('rmsprop').learning_rate == 0.001
    o = opt.create('sgd', learning_rate=0.3)
    o.set_learning_rate(0.05)
    assert o.learning_rate == 0.05 and o.lr == 0.05


def test_create_and_register():
    assert isinstance(opt.create('SGD'), opt.SGD)
    assert isinstance(opt.Optimizer.create_optimizer('nag', momentum=0.9), opt.NAG)
    with pytest.raises(ValueError, match='Cannot find optimizer nosuch'):
        opt.create('nosuch')
    with pytest.raises(AssertionError, match='optimizer_params|param_idx2name'):
        opt.create('sgd', param_idx2name=[1])

    @opt.register
    class HalfStep(opt.SGD):
        def update(self, index, weight, grad, state):
            weight[:] -= 0.5 * grad

    try:
        o = opt.create('halfstep')
        w = mx.nd.array([1.])
        o.update(0, w, mx.nd.array([1.]), None)
        assert w.asscalar() == 0.5
        with pytest.warns(UserWarning, match='overriding existing optimizer'):
            opt.register(HalfStep)
    finally:
        del opt.Optimizer.opt_registry['halfstep']


def test_lr_and_wd_multipliers():
    o = opt.create('sgd', learning_rate=1.0, wd=0.1,
                   param_idx2name={0: 'dense0_weight', 1: 'dense0_bias', 2: 'bn_gamma'})
    assert o._get_lrs([0, 1, 7]) == [1.0, 1.0, 1.0]
    # with names, only *_weight and *_gamma are decayed
    assert o._get_wds([0, 1, 2]) == [0.1, 0.0, 0.1]
    o.set_lr_mult({'dense0_weight': 0.5, 2: 3.0})
    assert o._get_lrs([0, 1, 2]) == [0.5, 1.0, 3.0]
    o.set_wd_mult({'dense0_bias': 2.0})
    assert o._get_wds([0, 1, 2]) == [0.1, 0.2, 0.1]
    # a Parameter's own multipliers win, and are read at update time
    p = Parameter('p', shape=(1,), lr_mult=0.25, wd_mult=0.)
    o.param_dict = {0: p}
    assert o._get_lr(0) == 0.25 and o._get_wd(0) == 0.
    p.lr_mult = 4.
    assert o._get_lr(0) == 4.


def test_multiplier_changes_the_update():
    o = opt.create('sgd', learning_rate=0.1)
    o.set_lr_mult({1: 0.})
    a, b = mx.nd.array([1.]), mx.nd.array([1.])
    o.update(0, a, mx.nd.array([1.]), None)
    o.update(1, b, mx.nd.array([1.]), None)
    assert_almost_equal(a.asnumpy(), [0.9])
    assert b.asscalar() == 1.


def test_num_update_counts_the_most_updated_weight():
    o = opt.create('sgd', begin_num_update=10)
    w = mx.nd.array([1.])
    for i in (0, 0, 1):
        o.update(i, w, mx.nd.array([0.]), None)
    assert o.num_update == 12
    assert o._index_update_count == {0: 12, 1: 11}


def test_updater_counts_each_device_separately():
    o = opt.create('adam')
    for ctx in (mx.cpu(0), mx.cpu(1)):   # one updater per device, as a Trainer keeps
        updater = opt.get_updater(o)
        w = mx.nd.array([1.], ctx=ctx)
        updater(0, mx.nd.array([1.], ctx=ctx), w)
    assert o._all_index_update_counts == {0: {0: 1}, 1: {0: 1}}
    assert o.num_update == 1


def test_updater_takes_lists():
    updater = opt.get_updater(opt.create('sgd', learning_rate=1.0))
    ws = [mx.nd.array([1.]), mx.nd.array([2.])]
    updater([3, 5], [mx.nd.array([1.]), mx.nd.array([1.])], ws)
    assert [w.asscalar() for w in ws] == [0., 1.]
    assert set(updater.states) == {3, 5}


def test_scheduler_sets_the_rate_of_each_update():
    sched = lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=1.0)
    o = opt.create('sgd', lr_scheduler=sched)
    w, seen = mx.nd.array([0.]), []
    for _ in range(3):
        before = w.asscalar()
        o.update(0, w, mx.nd.array([-1.]), None)
        seen.append(w.asscalar() - before)
    assert_almost_equal(np.array(seen), [1.0, 0.5, 0.25])  # update n uses sched(n)
    assert o.learning_rate == 0.25
    with pytest.raises(UserWarning, match='LRScheduler of the optimizer has already'):
        o.set_learning_rate(0.1)


def test_learning_rate_overrides_the_schedulers_base_lr():
    sched = lr_scheduler.FactorScheduler(step=5, base_lr=1.0)
    with pytest.warns(UserWarning, match='overwritten'):
        o = opt.create('sgd', learning_rate=0.2, lr_scheduler=sched)
    assert sched.base_lr == 0.2 and o.learning_rate == 0.2


def test_multi_precision_keeps_a_float32_master_copy():
    o = opt.create('sgd', learning_rate=1e-4, multi_precision=True)
    w = mx.nd.array([1.], dtype='float16')
    state = o.create_state_multi_precision(0, w)
    master = state[1]   # MXNet's SGD keeps (momentum, master copy)
    assert master.dtype == np.float32
    for _ in range(10):  # 1e-4 steps vanish in float16 (spacing near 1 is ~1e-3)
        o.update_multi_precision(0, w, mx.nd.array([1.], dtype='float16'), state)
    assert_almost_equal(master.asnumpy(), [0.999], rtol=1e-6)
    assert w.dtype == np.float16
    assert w.asscalar() == np.float16(0.999)
    plain = opt.create('sgd')
    with pytest.warns(UserWarning, match='float16'):
        plain.create_state_multi_precision(0, w)


# ------------------------------------------------------------------ saving states
def test_states_round_trip_with_the_optimizer():
    sched = lr_scheduler.MultiFactorScheduler(step=[2], factor=0.5, base_lr=0.1)
    o = opt.create('adam', learning_rate=0.1, lr_scheduler=sched, wd=0.01,
                   param_idx2name={0: 'w_weight'})
    updater = opt.get_updater(o)
    w = mx.nd.array(W0)
    for g in GRADS:
        updater(0, mx.nd.array(g), w)
    data = updater.get_states(dump_optimizer=True)
    assert isinstance(data, bytes)

    fresh = opt.get_updater(opt.create('sgd'))
    fresh.set_states(data)
    o2 = fresh.optimizer
    assert type(o2) is opt.Adam and o2 is not o
    assert (o2.num_update, o2.wd, o2.idx2name, o2._all_index_update_counts) == \
        (3, 0.01, {0: 'w_weight'}, {0: {0: 3}})
    assert type(o2.lr_scheduler) is lr_scheduler.MultiFactorScheduler
    assert o2.lr_scheduler.base_lr == sched.base_lr and o2.lr_scheduler.step == [2]
    assert o2.param_dict == {}
    for a, b in zip(updater.states[0], fresh.states[0]):
        assert_almost_equal(a.asnumpy(), b.asnumpy(), rtol=0, atol=0)
    # continuing from the loaded states gives the same weights as not stopping
    w2 = w.copy()
    updater(0, mx.nd.array(GRADS[0]), w)
    fresh(0, mx.nd.array(GRADS[0]), w2)
    assert_almost_equal(w.asnumpy(), w2.asnumpy(), rtol=0, atol=0)


def test_states_without_the_optimizer_and_moved_to_the_weights_context():
    updater = opt.get_updater(opt.create('sgd', momentum=0.9, learning_rate=0.1))
    updater(0, mx.nd.array([1.]), mx.nd.array([0.]))
    other = opt.get_updater(opt.create('sgd', momentum=0.9, learning_rate=0.1))
    other.set_states(updater.get_states())
    assert other.optimizer.num_update == 0  # its own optimizer is kept
    w = mx.nd.array([0.], ctx=mx.cpu(1))
    other(0, mx.nd.array([0.], ctx=mx.cpu(1)), w)
    assert other.states[0].context == mx.cpu(1)
    assert_almost_equal(w.asnumpy(), [0.9 * -0.1])


def test_loading_rejects_what_it_cannot_trust():
    with pytest.raises(ValueError, match='not an optimizer states file'):
        opt.loads_states(b'\x80\x04garbage')
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as zf:
        zf.writestr('states.json', '{"format": "d2lmini-optimizer-states", "version": 1, '
                    '"states": {"dict": [[0, {"ndarray": "arrays/0.npy"}]]}, '
                    '"optimizer": null}')
        with zf.open('arrays/0.npy', 'w') as f:  # an object array needs pickle
            np.lib.format.write_array(f, np.array([{}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match='corrupt'):
        opt.loads_states(buf.getvalue())
    with pytest.raises(ValueError, match='version 2'):
        opt.loads_states(_states_file('{"format": "d2lmini-optimizer-states", "version": 2}'))
    with pytest.raises(ValueError, match='corrupt'):
        opt.loads_states(_states_file(
            '{"format": "d2lmini-optimizer-states", "version": 1, "states": {"tuple": 5}, '
            '"optimizer": null}'))
    with pytest.raises(ValueError, match="'os' in the states file is not registered"):
        opt.loads_states(_states_file(
            '{"format": "d2lmini-optimizer-states", "version": 1, "states": {"dict": []}, '
            '"optimizer": {"class": "os", "attrs": {"dict": []}}}'))


def _states_file(text):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as zf:
        zf.writestr('states.json', text)
    return buf.getvalue()


def test_saving_refuses_what_it_cannot_restore():
    class Custom:
        def __call__(self, num_update):
            return 0.1

    o = opt.create('sgd', lr_scheduler=Custom())
    with pytest.raises(TypeError, match='cannot save a Custom'):
        opt.get_updater(o).get_states(dump_optimizer=True)

    class Unregistered(opt.SGD):
        pass

    with pytest.raises(TypeError, match='only registered optimizers'):
        opt.get_updater(Unregistered()).get_states(dump_optimizer=True)


@pytest.mark.gpu
@pytest.mark.parametrize('name,kwargs', CASES, ids=[f'{n}-{i}' for i, (n, _) in enumerate(CASES)])
def test_rule_on_gpu_matches_cpu(name, kwargs):
    cpu, _ = run_updater(name, kwargs)
    gpu, updater = run_updater(name, kwargs, ctx=mx.gpu(0))
    for a, b in zip(cpu, gpu):
        assert_almost_equal(a, b, rtol=1e-6, atol=1e-7)
    assert all(s.context == mx.gpu(0) for s in as_list(updater.states[0]))


# ------------------------------------------------------------------ schedulers
def test_factor_scheduler():
    s = lr_scheduler.FactorScheduler(step=3, factor=0.5, base_lr=1.0)
    assert [s(n) for n in range(1, 11)] == [1.0] * 3 + [0.5] * 3 + [0.25] * 3 + [0.125]
    # a jump over several steps (a resumed run) applies all of them
    s = lr_scheduler.FactorScheduler(step=10, factor=0.5, base_lr=1.0)
    assert s(35) == 0.125
    s = lr_scheduler.FactorScheduler(step=1, factor=0.1, base_lr=1.0, stop_factor_lr=0.005)
    assert s(5) == 0.005


def test_multi_factor_scheduler():
    s = lr_scheduler.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=1.0)
    got = [s(n) for n in range(1, 8)]
    assert_almost_equal(np.array(got), [1., 1., .1, .1, .1, .01, .01])


def test_poly_and_cosine_schedulers_against_formulas():
    s = lr_scheduler.PolyScheduler(max_update=10, base_lr=2.0, pwr=3, final_lr=0.5)
    for n in range(0, 11):
        assert s(n) == pytest.approx(0.5 + 1.5 * (1 - n / 10) ** 3)
    assert s(15) == pytest.approx(0.5)
    s = lr_scheduler.CosineScheduler(max_update=8, base_lr=1.0, final_lr=0.2)
    for n in range(0, 9):
        assert s(n) == pytest.approx(0.2 + 0.8 * (1 + math.cos(math.pi * n / 8)) / 2)
    assert s(20) == pytest.approx(0.2)


def test_warmup_linear_and_constant():
    s = lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0, warmup_steps=4,
                                     warmup_begin_lr=0.2)
    assert [s(n) for n in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert s(4) == 1.0
    assert s(7) == pytest.approx((1 + math.cos(math.pi * 3 / 6)) / 2)
    s = lr_scheduler.PolyScheduler(max_update=10, base_lr=1.0, pwr=1, warmup_steps=4,
                                   warmup_begin_lr=0.2, warmup_mode='constant')
    assert [s(n) for n in range(4)] == [0.2] * 4
    assert s(7) == pytest.approx(0.5)
    # the factor steps count from update 0, warm-up included (as in MXNet)
    s = lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0, warmup_steps=2)
    assert [s(n) for n in range(6)] == [0.0, 0.5, 1.0, 0.5, 0.5, 0.25]


def test_scheduler_errors():
    with pytest.raises(ValueError, match='step must be greater'):
        lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(ValueError, match='Factor must be no more than 1'):
        lr_scheduler.FactorScheduler(step=1, factor=2)
    with pytest.raises(ValueError, match='increasing'):
        lr_scheduler.MultiFactorScheduler(step=[3, 3])
    with pytest.raises(ValueError, match='strictly positive'):
        lr_scheduler.CosineScheduler(max_update=0)
    with pytest.raises(ValueError, match='higher than warmup_begin_lr'):
        lr_scheduler.PolyScheduler(max_update=5, base_lr=0.1, warmup_begin_lr=0.2)
    with pytest.raises(ValueError, match='linear and constant'):
        lr_scheduler.PolyScheduler(max_update=5, warmup_mode='cubic')
    with pytest.raises(ValueError, match='has to be positive'):
        lr_scheduler.FactorScheduler(step=1, warmup_steps=-1)
    with pytest.raises(NotImplementedError):
        lr_scheduler.LRScheduler()(1)


def test_no_warning_noise_from_plain_use():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        run_updater('sgd', dict(momentum=0.9))
