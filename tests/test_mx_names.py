"""Names that MXNet 1.x code uses, with values MXNet 1.9.1 gives (hard-coded here)."""
import numpy as np
import pytest

import d2lmini as mx

nd = mx.nd


def test_rint_rounds_halves_down_as_mxnet():
    x = nd.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -2.6])
    # MXNet 1.9.1: rint [-3 -2 -1 0 1 2 3 -3]; numpy's rint would give [-2 -2 -0 0 2 2 3 -3]
    assert nd.rint(x).asnumpy().tolist() == [-3, -2, -1, 0, 1, 2, 3, -3]
    assert nd.fix(x).asnumpy().tolist() == [-2, -1, 0, 0, 1, 2, 2, -2]
    assert nd.round(x).asnumpy().tolist() == [-3, -2, -1, 1, 2, 3, 3, -3]


def test_old_random_names():
    assert nd.random_uniform(0, 1, shape=(2, 3)).shape == (2, 3)
    assert nd.uniform is nd.random_uniform and nd.normal is nd.random_normal
    assert nd.random_normal(shape=(4,)).dtype == np.float32
    assert nd.random_randint(0, 5, shape=(3,)).dtype == np.int32
    assert nd.random_poisson(3.0, shape=(2,)).dtype == np.float32
    assert nd.random_gamma(2.0, 1.0, shape=(3,)).shape == (3,)
    mx.random.seed(0)
    # random_exponential takes the rate: MXNet's mean over 10000 draws of lam=4 is 0.248
    mean = float(nd.random_exponential(lam=4.0, shape=(10000,)).mean().asscalar())
    assert abs(mean - 0.25) < 0.01


def test_negative_binomial_draws_match_mxnet_moments():
    # MXNet 1.9.1, seed 0, 20000 draws: negative_binomial(k=3, p=0.4) mean 4.51 var 11.34
    # (theory 4.5, 11.25); generalized_negative_binomial(mu=2, alpha=0.5) mean 2.006
    # var 4.04 (theory 2, 4); both float32
    mx.random.seed(0)
    s = nd.random.negative_binomial(k=3, p=0.4, shape=(20000,))
    assert s.dtype == np.float32
    assert abs(s.asnumpy().mean() - 4.5) < 0.15 and abs(s.asnumpy().var() - 11.25) < 0.8
    s = nd.random.generalized_negative_binomial(mu=2.0, alpha=0.5, shape=(20000,)).asnumpy()
    assert abs(s.mean() - 2) < 0.08 and abs(s.var() - 4) < 0.3
    # alpha = 0 is Poisson(mu); per-element parameters add their shape in front
    s = nd.random.generalized_negative_binomial(mu=3.0, alpha=0.0, shape=(20000,)).asnumpy()
    assert abs(s.var() - 3) < 0.25
    assert nd.random.negative_binomial(nd.array([2, 5]), nd.array([0.5, 0.3]),
                                       shape=3).shape == (2, 3)
    assert nd.random_negative_binomial(shape=(2,)).asnumpy().tolist() == [0, 0]   # p=1
    assert nd.sample_negative_binomial(nd.array([2.0]), nd.array([0.5])).shape == (1,)
    assert nd.random_generalized_negative_binomial(shape=(3,)).shape == (3,)
    assert nd.sample_generalized_negative_binomial(nd.array([2.0]), nd.array([0.5])).shape == (1,)


def test_random_like_keep_shape_and_dtype():
    d = nd.zeros((2, 3), dtype='float64')
    for name in ('uniform_like', 'normal_like', 'gamma_like', 'exponential_like',
                 'poisson_like', 'negative_binomial_like',
                 'generalized_negative_binomial_like'):
        r = getattr(nd.random, name)(d)
        assert r.shape == (2, 3) and r.dtype == np.float64, name
    assert nd.random.uniform_like(d, 2, 3).asnumpy().min() >= 2
    assert nd.random.negative_binomial_like(d).asnumpy().tolist() == [[0] * 3] * 2   # p=1
    mx.random.seed(0)
    assert abs(nd.random.poisson_like(nd.zeros((30000,)), lam=3).asnumpy().var() - 3) < 0.2


def test_sequence_ops_match_mxnet():
    d = nd.array(np.arange(24).reshape(4, 2, 3))
    sl = nd.array([2, 3])
    m = nd.SequenceMask(d, sl, use_sequence_length=True, value=-1).asnumpy()
    assert m[:, 0, 0].tolist() == [0, 6, -1, -1] and m[:, 1, 0].tolist() == [3, 9, 15, -1]
    assert nd.SequenceMask(d).asnumpy().sum() == 276
    m1 = nd.SequenceMask(nd.array(np.arange(24).reshape(2, 4, 3)), sl, use_sequence_length=True,
                         axis=1).asnumpy()
    assert m1[:, :, 0].tolist() == [[0, 3, 0, 0], [12, 15, 18, 0]]
    assert nd.SequenceLast(d, sl, use_sequence_length=True).asnumpy().tolist() == [
        [6, 7, 8], [15, 16, 17]]
    assert nd.SequenceLast(d).asnumpy().tolist() == [[18, 19, 20], [21, 22, 23]]
    assert nd.SequenceLast(nd.array(np.arange(24).reshape(2, 4, 3)), sl,
                           use_sequence_length=True, axis=1).asnumpy().tolist() == [
        [3, 4, 5], [18, 19, 20]]
    r = nd.SequenceReverse(d, sl, use_sequence_length=True).asnumpy()
    assert r[:, 0, 0].tolist() == [6, 0, 12, 18] and r[:, 1, 0].tolist() == [15, 9, 3, 21]
    # gradients, as MXNet 1.9.1 gives them: the lengths get zeros
    d.attach_grad()
    sl.attach_grad()
    with mx.autograd.record():
        y = nd.SequenceLast(d, sl, use_sequence_length=True)
    y.backward()
    assert d.grad.asnumpy()[:, :, 0].tolist() == [[0, 0], [1, 0], [0, 1], [0, 0]]
    assert sl.grad.asnumpy().tolist() == [0, 0]
    with mx.autograd.record():
        y = nd.SequenceReverse(d, sl, use_sequence_length=True)
    y.backward(nd.array(np.arange(24).reshape(4, 2, 3)))
    assert d.grad.asnumpy()[:, 0, 0].tolist() == [6, 0, 12, 18]
    with mx.autograd.record():
        y = nd.SequenceMask(d, sl, use_sequence_length=True, value=3)
    y.backward(nd.ones((4, 2, 3)))
    assert d.grad.asnumpy()[:, :, 0].tolist() == [[1, 1], [1, 1], [0, 1], [0, 0]]


def test_gather_scatter_and_older_indexing_names():
    data = nd.array(np.arange(12).reshape(3, 4))
    idx = nd.array([[0, 2], [1, 3]])
    assert nd.gather_nd(data, idx).asnumpy().tolist() == [1, 11]
    assert nd.gather_nd(data, nd.array([[0, 2]])).asnumpy().tolist() == [
        [0, 1, 2, 3], [8, 9, 10, 11]]
    assert nd.scatter_nd(nd.array([1, 2]), idx, shape=(3, 4)).asnumpy().tolist() == [
        [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2]]
    assert nd.onehot_encode(nd.array([1, 0, 2]), nd.zeros((3, 4))).asnumpy().tolist() == [
        [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]]
    assert nd.choose_element_0index(data, nd.array([0, 3, 1])).asnumpy().tolist() == [0, 7, 9]
    assert nd.fill_element_0index(data, nd.array([7, 8, 9]),
                                  nd.array([0, 3, 1])).asnumpy().tolist() == [
        [7, 1, 2, 3], [4, 5, 6, 8], [8, 9, 10, 11]]
    # repeated indices: gather_nd's gradient adds up
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.gather_nd(x, nd.array([[1, 1, 0]]))
    y.backward()
    assert x.grad.asnumpy().tolist() == [1, 2, 0]


def test_contrib_ndarray_matches_mxnet():
    assert mx.nd.contrib is mx.contrib.nd is mx.contrib.ndarray
    c = nd.contrib
    special = nd.array([1, np.inf, -np.inf, np.nan])
    assert c.isinf(special).asnumpy().tolist() == [0, 1, 1, 0]
    assert c.isnan(special).asnumpy().tolist() == [0, 0, 0, 1]
    assert c.isfinite(special).asnumpy().tolist() == [1, 0, 0, 0]
    assert c.isinf(nd.array([1, 2], dtype='int32')).dtype == np.int32
    assert c.arange_like(nd.zeros((2, 3))).asnumpy().tolist() == [[0, 1, 2], [3, 4, 5]]
    assert c.arange_like(nd.zeros((2, 3)), start=1, step=2, axis=1).asnumpy().tolist() == [1, 3, 5]
    assert c.arange_like(nd.zeros((2, 3)), repeat=2).asnumpy().tolist() == [[0, 0, 1], [1, 2, 2]]
    assert c.arange_like(nd.zeros((2, 3), dtype='float64')).dtype == np.float64
    assert c.index_copy(nd.zeros((4, 2)), nd.array([2, 0]),
                        nd.array([[1, 2], [3, 4]])).asnumpy().tolist() == [
        [3, 4], [0, 0], [1, 2], [0, 0]]
    data = nd.array(np.arange(12).reshape(3, 4))
    assert c.boolean_mask(data, nd.array([0, 1, 1])).asnumpy().tolist() == [
        [4, 5, 6, 7], [8, 9, 10, 11]]
    data.attach_grad()
    with mx.autograd.record():
        y = c.boolean_mask(data, nd.array([1, 0, 1]))
    y.backward()
    assert data.grad.asnumpy()[:, 0].tolist() == [1, 0, 1]


def test_bilinear_resize_align_corners_as_mxnet():
    x = nd.array(np.arange(12).reshape(2, 1, 2, 3))
    y = nd.contrib.BilinearResize2D(x, height=3, width=5)
    assert y.asnumpy()[0, 0].tolist() == [[0, 0.5, 1, 1.5, 2], [1.5, 2, 2.5, 3, 3.5],
                                          [3, 3.5, 4, 4.5, 5]]
    assert nd.contrib.BilinearResize2D(x, height=1, width=2).asnumpy().ravel().tolist() == [
        0, 2, 6, 8]
    assert nd.contrib.BilinearResize2D(x, scale_height=2., scale_width=1.5).shape == (2, 1, 4, 4)
    x.attach_grad()
    with mx.autograd.record():
        y = nd.contrib.BilinearResize2D(x, height=3, width=5)
    y.backward(nd.array(np.arange(30).reshape(2, 1, 3, 5)))
    assert x.grad.asnumpy().tolist() == [[[[4.5, 11, 12], [19.5, 31, 27]]],
                                         [[[38.25, 56, 45.75], [53.25, 76, 60.75]]]]
    # align_corners=False: pixel centres aligned (MXNet 1.9.1 values)
    z = nd.array(np.arange(18).reshape(1, 2, 3, 3))
    got = nd.contrib.BilinearResize2D(z, height=2, width=4, align_corners=False).asnumpy()
    assert got[0, 0].tolist() == [[0.75, 1.375, 2.125, 2.75], [5.25, 5.875, 6.625, 7.25]]


def test_contrib_control_flow_with_autograd():
    c = nd.contrib
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        outs, states = c.foreach(lambda item, s: (item * s[0], [s[0] + item]), x,
                                 [nd.ones(1)])
        loss = outs.sum() + states[0].sum()
    loss.backward()
    # states 1, 2, 4; outs 1*1, 2*2, 3*4
    assert outs.asnumpy().ravel().tolist() == [1, 4, 12] and states[0].asscalar() == 7
    assert x.grad.asnumpy().tolist() == [1 + 2 + 3 + 1, 2 + 3 + 1, 4 + 1]
    outs, (i, s) = c.while_loop(lambda i, s: i < 3, lambda i, s: ([s], (i + 1, s + i)),
                                (nd.array([0]), nd.array([0])), max_iterations=5)
    assert outs[0].asnumpy().ravel().tolist() == [0, 0, 1, 0, 0]
    assert (i.asscalar(), s.asscalar()) == (3, 3)
    with pytest.raises(ValueError, match='max_iterations'):
        c.while_loop(lambda i: i < 3, lambda i: (i, i + 1), nd.array([0]))
    a = nd.array([2.0])
    a.attach_grad()
    with mx.autograd.record():
        y = c.cond(a > 1, lambda: a * a, lambda: a * 3)
    y.backward()
    assert a.grad.asscalar() == 4


def test_batch_norm_fix_gamma_writes_ones_into_gamma():
    # MXNet 1.9.1: with fix_gamma=True, nd.BatchNorm sets gamma to 1 in place (recording
    # or not) and gives it a zero gradient; gluon's BatchNorm(scale=False) does the same
    # to its gamma parameter (whose grad_req is 'null')
    x = nd.array(np.random.RandomState(0).randn(4, 3))
    g, b = nd.array([2.0, 3.0, 4.0]), nd.zeros(3)
    g.attach_grad()
    with mx.autograd.record():
        y = nd.BatchNorm(x, g, b, nd.zeros(3), nd.ones(3), fix_gamma=True)
    y.backward(nd.array(np.random.RandomState(1).randn(4, 3)))
    assert g.asnumpy().tolist() == [1, 1, 1] and g.grad.asnumpy().tolist() == [0, 0, 0]
    np.testing.assert_allclose(y.asnumpy()[0], [0.5960367, -0.21213782, 0.6766499], rtol=1e-5)
    g = nd.array([2.0, 3.0, 4.0])
    nd.BatchNorm(x, g, b, nd.zeros(3), nd.ones(3), fix_gamma=True)
    assert g.asnumpy().tolist() == [1, 1, 1]
    g = nd.array([2.0, 3.0, 4.0])
    nd.BatchNorm(x, g, b, nd.zeros(3), nd.ones(3), fix_gamma=False)
    assert g.asnumpy().tolist() == [2, 3, 4]
    net = mx.gluon.nn.BatchNorm(scale=False, in_channels=3)
    net.initialize()
    net.gamma.set_data(nd.array([2.0, 3.0, 4.0]))
    with mx.autograd.record():
        net(x).backward()
    assert net.gamma.data().asnumpy().tolist() == [1, 1, 1] and net.gamma.grad_req == 'null'


def _public_front_end():
    from d2lmini.ndarray import _FRONT_END as nd_fns
    from d2lmini.symbol import _FRONT_END as sym_fns
    for where, fns in (('nd', nd_fns), ('sym', sym_fns)):
        for name, fn in sorted(fns.items()):
            if not name.startswith('_'):
                yield where, name, fn


def test_every_public_operator_function_is_documented():
    """``help(nd.X)``: each generated public function describes its operator (more than
    the signature line) and names each of its inputs."""
    from d2lmini.ops import OPS
    bad = []
    for where, name, fn in _public_front_end():
        op = OPS[name]
        doc = fn.__doc__ or ''
        if len(op.doc.split()) < 3:
            bad.append(f'{where}.{name}: no description')
        missing = [i for i in op.inputs if i not in doc.split('\n', 1)[1]]
        if missing:
            bad.append(f'{where}.{name}: inputs {missing} not described')
    assert not bad, bad
    assert 'shape and dtype of ``data``' in nd.ones_like.__doc__
    assert 'data : NDArray' in nd.ones_like.__doc__


def test_name_manager_current_is_per_thread_and_follows_block_scopes():
    import threading
    from d2lmini.gluon import block
    from d2lmini.name import NameManager
    seen = {}

    def spawned():
        with NameManager():
            seen['fresh'] = NameManager.current.get(None, 'x')
        block_owner = mx.gluon.nn.Dense(2, prefix='spawned_')
        with block._BlockScope(block_owner):
            seen['scoped'] = NameManager.current.get(None, 'hello')

    with NameManager():
        NameManager.current.get(None, 'x')          # x0 taken in this thread only
        thread = threading.Thread(target=spawned)
        thread.start()
        thread.join()
    assert seen == {'fresh': 'x0', 'scoped': 'spawned_hello0'}
    before, mine = NameManager.current, NameManager()
    try:
        NameManager.current = mine                  # assignable, as in MXNet 1.x
        assert NameManager.current is mine
    finally:
        NameManager.current = before
