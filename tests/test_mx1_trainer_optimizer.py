"""MXNet 1.x behaviours of the optimizers, the updater, the key-value stores and the
Trainer. Expected numbers were computed with MXNet 1.9.1 (or by hand, as noted)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon


def f64(values):
    return mx.nd.array(values, dtype='float64')


# ------------------------------------------------------------------ float32 hyper-parameters
def test_fused_update_rounds_lr_to_float32_for_float64_weights():
    # MXNet's lr is a float32 attribute: 1 - float32(0.1), not 0.9
    w = mx.nd.sgd_update(f64([1.0]), f64([1.0]), lr=0.1)
    assert float(w.asscalar()) == 0.8999999985098839


def test_adam_update_float64_uses_float32_hyper_parameters():
    mean, var = mx.nd.zeros(1, dtype='float64'), mx.nd.zeros(1, dtype='float64')
    w = mx.nd.adam_update(f64([1.0]), f64([0.5]), mean, var, lr=0.1, wd=0.1)
    assert float(w.asscalar()) == pytest.approx(0.6837702848715033, rel=0, abs=1e-15)
    assert float(mean.asscalar()) == pytest.approx(0.060000014454126394, rel=0, abs=1e-15)


def test_lamb_phase2_float64_lr_is_float32():
    w, g = f64([3., 4.]), f64([1., 0.])
    out = mx.nd.lamb_update_phase2(w, g, w.norm(), g.norm(), lr=0.1).asnumpy().tolist()
    assert out == pytest.approx([2.4999999925494194, 4.0], rel=0, abs=1e-15)


def test_python_rule_clips_with_float32_bound():
    # DCASGD clips with nd.clip, whose bounds are float32: 0.3 is 0.30000001192...
    opt = mx.optimizer.DCASGD(learning_rate=0.1, clip_gradient=0.3)
    w = f64([1.0])
    opt.update(0, w, f64([2.0]), opt.create_state(0, w))
    assert float(w.asscalar()) == pytest.approx(0.9699999988079071, rel=0, abs=1e-15)


def test_sgd_optimizer_float64_matches_mxnet():
    opt = mx.optimizer.SGD(learning_rate=0.1)
    w = f64([1.0])
    mx.optimizer.get_updater(opt)(0, f64([1.0]), w)
    assert float(w.asscalar()) == 0.8999999985098839


# ------------------------------------------------------------------ aggregated updates
def test_sgd_update_takes_lists_of_weights():
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    ws = [mx.nd.ones(2), mx.nd.ones(3) * 2]
    states = [opt.create_state(i, w) for i, w in enumerate(ws)]
    opt.update([0, 1], ws, [mx.nd.ones(2), mx.nd.ones(3)], states)
    assert ws[0].asnumpy().tolist() == pytest.approx([0.9, 0.9])
    assert ws[1].asnumpy().tolist() == pytest.approx([1.9] * 3)
    assert states[1].asnumpy().tolist() == pytest.approx([-0.1] * 3)
    assert opt._index_update_count == {0: 1, 1: 1}


def test_lamb_and_lars_take_lists_and_match_single_updates():
    for name, kwargs in (('lamb', {}), ('lars', {'momentum': 0.9, 'eta': 0.1})):
        rng = np.random.RandomState(0)
        w0 = [rng.uniform(-1, 1, (3,)).astype('float32') for _ in range(2)]
        g0 = [rng.uniform(-1, 1, (3,)).astype('float32') for _ in range(2)]
        one = mx.optimizer.create(name, **kwargs)
        many = mx.optimizer.create(name, **kwargs)
        ws1 = [mx.nd.array(w) for w in w0]
        ws2 = [mx.nd.array(w) for w in w0]
        s1 = [one.create_state(i, w) for i, w in enumerate(ws1)]
        s2 = [many.create_state(i, w) for i, w in enumerate(ws2)]
        for i in range(2):
            one.update(i, ws1[i], mx.nd.array(g0[i]), s1[i])
        many.update([0, 1], ws2, [mx.nd.array(g) for g in g0], s2)
        for a, b in zip(ws1, ws2):
            np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6)


def test_mismatched_lists_are_an_error():
    opt = mx.optimizer.SGD()
    with pytest.raises(ValueError, match='one length'):
        opt.update([0, 1], [mx.nd.ones(1)], [mx.nd.ones(1)], [None])


def test_aggregate_num_defaults():
    assert mx.optimizer.SGD().aggregate_num == 4
    assert mx.optimizer.LARS().aggregate_num == 4
    assert mx.optimizer.LAMB().aggregate_num == 45
    assert mx.optimizer.Adam().aggregate_num == 0


def test_updater_gives_chunks_of_one_dtype():
    calls = []

    class Recording(mx.optimizer.SGD):
        def update_multi_precision(self, index, weight, grad, state):
            calls.append(list(index) if isinstance(index, list) else index)
            super().update_multi_precision(index, weight, grad, state)

    updater = mx.optimizer.get_updater(Recording())
    assert updater.aggregate_updates
    ws = [mx.nd.ones(2) for _ in range(6)] + [mx.nd.ones(2, dtype='float64')]
    grads = [mx.nd.ones(2) for _ in range(6)] + [mx.nd.ones(2, dtype='float64')]
    updater(list(range(7)), grads, ws)
    assert calls == [[0, 1, 2, 3], [4, 5], [6]]
    assert not mx.optimizer.get_updater(mx.optimizer.Adam()).aggregate_updates


def test_updater_survives_an_optimizer_that_cannot_aggregate():
    adam = mx.optimizer.get_updater(mx.optimizer.Adam(learning_rate=0.1))
    w = mx.nd.ones(1)
    adam(0, mx.nd.ones(1), w)
    sgd = mx.optimizer.get_updater(mx.optimizer.SGD())
    sgd.set_states(adam.get_states(dump_optimizer=True))   # now an Adam inside
    w2 = w.copy()
    sgd([0], [mx.nd.ones(1)], [w2])
    adam([0], [mx.nd.ones(1)], [w])
    assert float(w2.asscalar()) == float(w.asscalar())


# ------------------------------------------------------------------ multipliers and misc
def test_sym_gives_default_multipliers():
    data = mx.sym.Variable('data')
    bias = mx.sym.Variable('fc1_bias', lr_mult=1.0)
    fc1 = mx.sym.FullyConnected(data=data, bias=bias, name='fc1', num_hidden=4, lr_mult=0)
    fc2 = mx.sym.FullyConnected(data=fc1, name='fc2', num_hidden=4, wd_mult=0.5)
    names = {0: 'fc1_weight', 1: 'fc1_bias', 2: 'fc2_weight', 3: 'fc2_bias'}
    opt = mx.optimizer.create('sgd', sym=fc2, param_idx2name=names)
    assert opt.lr_mult == {'fc1_bias': 1.0, 'fc1_weight': 0.0}
    assert opt.wd_mult == {'fc1_bias': 0.0, 'fc2_bias': 0.5, 'fc2_weight': 0.5}
    opt.set_lr_mult({'fc2_weight': 3.0})      # added to the symbol's
    assert opt.lr_mult == {'fc1_bias': 1.0, 'fc1_weight': 0.0, 'fc2_weight': 3.0}


def test_set_lr_scale_is_deprecated():
    with pytest.raises(DeprecationWarning):
        mx.optimizer.SGD().set_lr_scale({0: 2.0})


def test_lbsgd_warmup_and_accumulation():
    opt = mx.optimizer.create('lbsgd', learning_rate=0.1, batch_scale=2, warmup_epochs=1,
                              updates_per_epoch=4)
    w, seen = mx.nd.ones(1), []
    for _ in range(4):
        opt.update(0, w, mx.nd.ones(1), None)
        seen.append(float(w.asscalar()))
    # accumulate, step with lr * 1.5, accumulate, step with lr * 2
    assert seen == pytest.approx([1.0, 0.85, 0.85, 0.65])


def test_lbsgd_lars_strategy():
    opt = mx.optimizer.create('lbsgd', learning_rate=0.1, momentum=0.5, batch_scale=1,
                              warmup_strategy='lars', wd=0.1)
    w = mx.nd.array([3., 4.])
    opt.update(0, w, mx.nd.array([0.3, 0.4]), opt.create_state(0, w))
    assert w.asnumpy().tolist() == pytest.approx([2.8190932273864746, 3.758790969848633])


def test_group_adagrad():
    opt = mx.optimizer.create('groupadagrad', learning_rate=0.5, eps=0)
    assert type(opt) is mx.optimizer.contrib.GroupAdaGrad
    w = mx.nd.ones((1, 2))
    history = opt.create_state(0, w)
    opt.update(0, w, mx.nd.array([[3., 4.]]), history)
    assert history.asnumpy().tolist() == [[12.5]]
    assert w.asnumpy().tolist()[0] == pytest.approx([0.5757359266281128, 0.4343145489692688])
    with pytest.raises(AssertionError, match='Weight decay'):
        mx.optimizer.create('groupadagrad', wd=0.1).update(0, w, w, history)


def test_test_optimizer():
    opt = mx.optimizer.create('test', rescale_grad=0.5)
    w = mx.nd.ones(2)
    state = opt.create_state(0, w)
    opt.update(0, w, mx.nd.ones(2), state)
    assert w.asnumpy().tolist() == [1.5, 1.5] and state.asnumpy().tolist() == [1.5, 1.5]


# ------------------------------------------------------------------ key-value stores
def test_teststore():
    kv = mx.kv.create('teststore')
    assert type(kv) is mx.kv.TestStore and kv.type == 'teststore'
    assert kv.is_capable('optimizer') is False
    grads = [mx.nd.ones(2), mx.nd.ones(2) * 2]
    kv.pushpull(0, grads)
    assert [g.asnumpy().tolist() for g in grads] == [[3., 3.], [3., 3.]]
    kv.broadcast(0, mx.nd.ones(2) * 5, grads)
    assert grads[1].asnumpy().tolist() == [5., 5.]
    with pytest.raises(NotImplementedError):
        kv.set_optimizer(mx.optimizer.SGD())


def test_kvstore_registry():
    @mx.kv.KVStoreBase.register
    class MyCustomStore(mx.kv.TestStore):
        pass
    try:
        assert type(mx.kv.create('MyCustomStore')) is MyCustomStore
    finally:
        del mx.kv.KVStoreBase.kv_registry['mycustomstore']


def test_kvstore_names_and_capabilities():
    assert mx.kv.create('Local').type == 'local'
    assert mx.kv.create('local_allreduce_cpu').type == 'local_allreduce_cpu'
    with pytest.raises(ValueError, match='Unknown capability'):
        mx.kv.create().is_capable('foo')


def test_kvstore_caller_errors_are_assertions():
    kv = mx.kv.create()
    kv.init(0, mx.nd.zeros(2))
    with pytest.raises(AssertionError):
        kv.pull(0)
    with pytest.raises(AssertionError):
        kv.init([1, 2], [mx.nd.zeros(2)])
    with pytest.raises(AssertionError, match='unexpected type for keys'):
        kv.init(1.5, mx.nd.zeros(2))


# ------------------------------------------------------------------ trainer
def _two_device_step(x, trainer):
    with mx.autograd.record():
        for w in x.list_data():
            (w + 1).backward()
    trainer.step(1)


def test_trainer_with_teststore_updates_locally():
    x = gluon.Parameter('x', shape=(4,))
    x.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init='zeros')
    trainer = gluon.Trainer([x], 'sgd', {'learning_rate': 1.0, 'momentum': 0.5},
                            kvstore=mx.kv.create('teststore'))
    _two_device_step(x, trainer)
    assert trainer._update_on_kvstore is False
    assert x.data(mx.cpu(1)).asnumpy().tolist() == [-2.] * 4
    bad = gluon.Trainer([x], 'sgd', kvstore=mx.kv.create('teststore'), update_on_kvstore=True)
    with pytest.raises(ValueError, match='update_on_kvstore=False'):
        bad._init_kvstore()


def test_trainer_reset_kvstore_takes_the_current_weights():
    x = gluon.Parameter('x', shape=(3,))
    x.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init='zeros')
    trainer = gluon.Trainer([x], 'sgd', {'learning_rate': 0.1}, kvstore='device')
    _two_device_step(x, trainer)
    assert trainer._update_on_kvstore
    for arr in x.list_data():        # new values from outside the trainer
        arr[:] = 0
    trainer._reset_kvstore()
    assert trainer._kvstore is None and trainer._kv_initialized is False
    _two_device_step(x, trainer)
    # from 0, not from the store's stale -0.2: two devices' gradients of 1, lr 0.1
    assert x.data(mx.cpu(1)).asnumpy().tolist() == pytest.approx([-0.2] * 3)


# ------------------------------------------------------------------ initializers
def test_load_initializer(tmp_path):
    fname = str(tmp_path / 'init.params')
    mx.nd.save(fname, {'arg:fc_weight': mx.nd.ones((2, 2)),
                       'aux:bn_moving_mean': mx.nd.ones(3) * 2})
    init = mx.init.Load(fname, default_init=mx.init.Constant(7))
    w, mean, bias = mx.nd.empty((2, 2)), mx.nd.empty(3), mx.nd.empty(2)
    init(mx.init.InitDesc('fc_weight'), w)
    init(mx.init.InitDesc('bn_moving_mean'), mean)
    init(mx.init.InitDesc('fc_bias'), bias)      # not in the file: default_init's bias rule
    assert w.asnumpy().tolist() == [[1., 1.], [1., 1.]]
    assert mean.asnumpy().tolist() == [2., 2., 2.]
    assert bias.asnumpy().tolist() == [0., 0.]
    with pytest.raises(AssertionError, match='Shape mismatch'):
        init(mx.init.InitDesc('fc_weight'), mx.nd.empty(3))
    with pytest.raises(AssertionError, match='no default Initializer'):
        mx.init.Load({})(mx.init.InitDesc('x'), mx.nd.empty(1))


def test_legacy_names_of_a_spatial_transformer():
    bias, weight = mx.nd.empty(6), mx.nd.ones((6, 3))
    with pytest.warns(DeprecationWarning):
        mx.init.Uniform()('stn_loc_bias', bias)
        mx.init.Uniform()('stn_loc_weight', weight)
    assert bias.asnumpy().tolist() == [1., 0., 0., 0., 1., 0.]
    assert weight.asnumpy().sum() == 0


# ------------------------------------------------------------------ AdamW, LARS, preloaded SGD
def test_contrib_adamw_update():
    rng = np.random.RandomState(0)
    w = mx.nd.array(rng.uniform(-1, 1, (5,)))
    g = mx.nd.array(rng.uniform(-2, 2, (5,)))
    mean, var = mx.nd.ones(5) * 0.1, mx.nd.ones(5) * 0.2
    out = mx.nd.contrib.adamw_update(w, g, mean, var, mx.nd.array([0.5]), lr=0.1, eta=0.5,
                                     wd=0.1, clip_gradient=0.3)
    # MXNet 1.9.1
    np.testing.assert_allclose(out.asnumpy(), [0.07942, 0.40019, 0.18183, 0.07186, -0.15251],
                               atol=1e-5)
    np.testing.assert_allclose(mean.asnumpy(), [0.11918, 0.07752, 0.12, 0.12, 0.06669],
                               atol=1e-5)
    # a NaN, infinite or zero rescale factor skips the update
    for bad in (float('nan'), float('inf'), 0.0):
        m2, v2 = mx.nd.ones(5) * 0.1, mx.nd.ones(5) * 0.2
        out = mx.nd.contrib.adamw_update(w, g, m2, v2, mx.nd.array([bad]), lr=0.1, eta=0.5)
        assert out.asnumpy().tolist() == w.asnumpy().tolist()
        assert m2.asnumpy().tolist() == pytest.approx([0.1] * 5)


def test_contrib_mp_adamw_update_writes_the_master_copy():
    w = mx.nd.array([1.0, -1.0], dtype='float16')
    w32 = w.astype('float32')
    mean, var = mx.nd.zeros(2), mx.nd.zeros(2)
    out = mx.nd.contrib.mp_adamw_update(w, mx.nd.array([2., 2.], dtype='float16'), mean, var,
                                        w32, mx.nd.array([0.5]), lr=0.1, eta=1.0, epsilon=0)
    # by hand: mean 0.1, sqrt(var) 0.0316..., a step of 0.31623 (minus wd 0)
    np.testing.assert_allclose(w32.asnumpy(), [0.68377, -1.31623], atol=1e-5)
    assert out.dtype == np.float16


def test_contrib_adamw_update_takes_a_plain_number_for_rescale_grad():
    # MXNet 1.x's function turns the number into a one-value array on the weight's device
    w, g, m, v = mx.nd.ones(3), mx.nd.ones(3), mx.nd.zeros(3), mx.nd.zeros(3)
    mx.nd.contrib.adamw_update(w, g, m, v, 0.5, lr=1, eta=1, out=w)
    np.testing.assert_allclose(w.asnumpy(), [-2.1622968] * 3, rtol=1e-6)   # MXNet 1.9.1
    before = w.asnumpy().copy()
    mx.nd.contrib.adamw_update(w, g, m, v, float('nan'), lr=1, eta=1, out=w)   # skipped
    np.testing.assert_array_equal(w.asnumpy(), before)


def test_contrib_multi_adamw_update_updates_each_weight_with_its_own_rates():
    ws = [mx.nd.ones(3), mx.nd.ones(2) * 2]
    gs = [mx.nd.ones(3), mx.nd.ones(2)]
    ms, vs = [mx.nd.zeros(3), mx.nd.zeros(2)], [mx.nd.zeros(3), mx.nd.zeros(2)]
    out = mx.nd.contrib.multi_adamw_update(ws, gs, ms, vs, 0.5, lrs=[0.1, 0.2],
                                           wds=[0.0, 0.1], etas=[1.0, 0.5], out=ws)
    assert out is ws or [o.shape for o in out] == [(3,), (2,)]
    # MXNet 1.9.1's values
    np.testing.assert_allclose(ws[0].asnumpy(), [0.6837703] * 3, rtol=1e-6)
    np.testing.assert_allclose(ws[1].asnumpy(), [1.5837703] * 2, rtol=1e-6)
    np.testing.assert_allclose(ms[1].asnumpy(), [0.05] * 2, rtol=1e-5)
    np.testing.assert_allclose(vs[1].asnumpy(), [0.00025] * 2, rtol=1e-4)
    with pytest.raises(ValueError, match='one entry per weight'):
        mx.nd.contrib.multi_adamw_update(ws, gs[:1], ms, vs, 1.0, lrs=[0.1, 0.2],
                                         wds=[0, 0], etas=[1, 1])


def test_contrib_multi_mp_adamw_update_writes_the_master_copies():
    ws = [mx.nd.ones(2, dtype='float16')]
    w32 = [mx.nd.ones(2)]
    mx.nd.contrib.multi_mp_adamw_update(ws, [mx.nd.ones(2, dtype='float16')],
                                        [mx.nd.zeros(2)], [mx.nd.zeros(2)], w32, 1.0,
                                        lrs=[0.1], wds=[0.0], etas=[1.0], epsilon=0, out=ws)
    np.testing.assert_allclose(w32[0].asnumpy(), [1 - 0.1 * 0.1 / 0.001 ** 0.5] * 2, rtol=1e-5)
    assert ws[0].dtype == np.float16
    np.testing.assert_allclose(ws[0].asnumpy(), w32[0].asnumpy(), rtol=1e-3)


def test_multi_lars():
    lrs = mx.nd.multi_lars(mx.nd.array([0.1, 0.2, 0.3]), mx.nd.array([4., 0., 9.]),
                           mx.nd.array([1., 1., 0.25]), mx.nd.array([0.01, 0.0, 0.1]),
                           eta=0.5, eps=1e-3, rescale_grad=2.0)
    # 0.1 * 0.5 * 2 / (2 + 0.02 + 0.001); a zero weight norm keeps lr; 0.45 / 1.301
    np.testing.assert_allclose(lrs.asnumpy(), [0.1 / 2.021, 0.2, 0.45 / 1.301], rtol=1e-6)


def test_preloaded_multi_sgd_mom_update():
    ws = [mx.nd.ones(3), mx.nd.ones(2) * 2]
    moms = [mx.nd.zeros(3), mx.nd.ones(2)]
    grads = [mx.nd.ones(3), mx.nd.ones(2)]
    mx.nd.preloaded_multi_sgd_mom_update(ws[0], grads[0], moms[0], ws[1], grads[1], moms[1],
                                         mx.nd.array([0.1, 0.2]), mx.nd.array([0.0, 0.5]),
                                         momentum=0.9, rescale_grad=0.5, num_weights=2, out=ws)
    # mom = 0.9 * mom - lr * (wd * w + 0.5 * g)
    assert moms[0].asnumpy().tolist() == pytest.approx([-0.05] * 3)
    assert moms[1].asnumpy().tolist() == pytest.approx([0.6] * 2)
    assert ws[1].asnumpy().tolist() == pytest.approx([2.6] * 2)
