"""MXNet 1.x operators outside the book's main path (d2lmini/ops/extra_ops.py):
packed attention products, AMP casts, cast_storage, the version-1 layers, the KL
sparseness regulariser, FFT, count sketch and the log-uniform sampler. Expected
values were computed with MXNet 1.9.1 (the FFT ones from its documented layout:
MXNet runs fft, ifft and count_sketch only on a GPU)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


@pytest.fixture(autouse=True)
def fresh_names():
    """Automatic names (``convolution_v10``) count from 0 in each test, whatever ran
    before it."""
    with mx.name.NameManager():
        yield


def _forward_backward(fn, inputs, head):
    xs = [mx.nd.array(a) for a in inputs]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = fn(*xs)
    y.backward(mx.nd.array(head))
    return y.asnumpy(), [x.grad.asnumpy() for x in xs]


# ------------------------------------------------------------------ packed attention
_QKV = (np.arange(24).reshape(2, 1, 12) % 5 - 2).astype(np.float32)   # 2 steps, heads 2, dim 2
_R2 = np.sqrt(2) / 2


def test_selfatt_qk_matches_mxnet():
    y, (g,) = _forward_backward(
        lambda x: mx.nd.contrib.interleaved_matmul_selfatt_qk(x, heads=2), [_QKV],
        np.arange(8).reshape(2, 2, 2))
    np.testing.assert_allclose(y, np.array([[[-1, -2], [1, -2]], [[-1, 2], [5, -4]]]) * _R2,
                               rtol=1e-6)
    np.testing.assert_allclose(g.ravel(), np.array(
        [2, -2, 0, 2, 0, 0, -6, 3, 2, 12, 0, 0, 6, -4, -2, 2, 0, 0, -8, 5, 2, 14, 0, 0]) * _R2,
        rtol=1e-5, atol=1e-6)


def test_selfatt_valatt_matches_mxnet():
    att = (np.arange(8).reshape(2, 2, 2) % 3 - 1).astype(np.float32)
    y, (g_qkv, g_att) = _forward_backward(
        lambda x, a: mx.nd.contrib.interleaved_matmul_selfatt_valatt(x, a, heads=2),
        [_QKV, att], np.arange(8).reshape(2, 1, 4))
    assert y.tolist() == [[[-2, 2, 0, 1]], [[3, -2, 2, 1]]]
    assert g_qkv.tolist() == [[[0, 0, 0, 0, 4, 4, 0, 0, 0, 0, -6, -7]],
                              [[0, 0, 0, 0, -4, -5, 0, 0, 0, 0, 2, 3]]]
    assert g_att.tolist() == [[[-2, 0], [-2, -4]], [[-7, 3], [-19, 7]]]


_Q = np.array([[[1, 2]], [[0, -1]]], np.float32)
_KV = np.array([[[1, 2, 3, 4]], [[-1, 0, 2, 1]], [[0, 1, 1, 0]]], np.float32)


def test_encdec_qk_matches_mxnet():
    y, (g_q, g_kv) = _forward_backward(
        lambda q, kv: mx.nd.contrib.interleaved_matmul_encdec_qk(q, kv, heads=2), [_Q, _KV],
        np.arange(12).reshape(2, 2, 3))
    assert y.tolist() == [[[1, -1, 0], [0, 0, 0]], [[6, 4, 2], [-3, -2, -1]]]
    assert g_q.tolist() == [[[-1, 40]], [[-1, 58]]]
    assert g_kv.tolist() == [[[0, 0, 3, 0]], [[1, 0, 4, 0]], [[2, 0, 5, 0]]]


def test_encdec_valatt_matches_mxnet():
    att = (np.arange(12).reshape(2, 2, 3) % 4) / 4
    y, (g_kv, g_att) = _forward_backward(
        lambda kv, a: mx.nd.contrib.interleaved_matmul_encdec_valatt(kv, a, heads=2),
        [_KV, att], np.arange(4).reshape(2, 1, 2))
    assert y.tolist() == [[[0.5, 2.75]], [[1.75, 1.5]]]
    assert g_kv.tolist() == [[[0, 1.5, 0, 1.25]], [[0, 0, 0, 2.25]], [[0, 0.5, 0, 2.25]]]
    assert g_att.tolist() == [[[0, 0, 0], [4, 0, 2]], [[4, 1, 0], [12, 3, 0]]]


def test_packed_attention_checks_its_inputs():
    with pytest.raises(MXNetError, match='heads is required'):
        mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.ones((3, 2, 12)))
    with pytest.raises(MXNetError, match='3-D'):
        mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.ones((3, 12)), heads=2)
    with pytest.raises(MXNetError, match='3 part'):   # MXNet computes garbage here
        mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.ones((3, 2, 10)), heads=2)
    with pytest.raises(MXNetError, match='attention must have shape'):
        mx.nd.contrib.interleaved_matmul_selfatt_valatt(mx.nd.ones((3, 2, 12)),
                                                        mx.nd.ones((4, 3, 2)), heads=2)


def test_packed_attention_in_a_graph():
    qkv, att = mx.sym.var('qkv'), mx.sym.var('att')
    out = mx.sym.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=2)
    assert out.list_arguments() == ['qkv', 'att']
    assert out.infer_shape(qkv=(5, 3, 24), att=(6, 5, 5))[1] == [(5, 3, 8)]
    scores = mx.sym.contrib.interleaved_matmul_encdec_qk(mx.sym.var('q'), mx.sym.var('kv'),
                                                         heads=2)
    assert scores.infer_shape(q=(4, 3, 8), kv=(6, 3, 16))[1] == [(6, 4, 6)]


# ------------------------------------------------------------------ AMP casts
def _types(arrays):
    return [a.dtype.__name__ for a in arrays]


def test_amp_cast_converts_only_half_and_single_precision():
    table = {('float16', 'float32'): 'float32', ('float32', 'float16'): 'float16',
             ('float64', 'float16'): 'float64', ('int32', 'float16'): 'int32',
             ('float32', 'float32'): 'float32'}
    for (src, dst), want in table.items():
        got = mx.nd.amp_cast(mx.nd.array([1.5, -2.25], dtype=src), dtype=dst)
        assert got.dtype.__name__ == want, (src, dst)
    assert mx.nd.amp_cast(mx.nd.array([1.0001]), dtype='float16').asnumpy().tolist() == [1.0]
    with pytest.raises(MXNetError, match='dtype is required'):
        mx.nd.amp_cast(mx.nd.ones(2))


def test_amp_cast_gradient_comes_back_in_the_input_dtype():
    x = mx.nd.array([1.5, 2.25])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.amp_cast(x, dtype='float16')
    y.backward(mx.nd.array([1.001, 2], dtype='float16'))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.asnumpy(), [1.0009766, 2.0])


def test_amp_multicast_dtypes_match_mxnet():
    h, s = mx.nd.ones(2, dtype='float16'), mx.nd.ones(2, dtype='float32')
    d, i = mx.nd.ones(2, dtype='float64'), mx.nd.ones(2, dtype='int32')
    cast = mx.nd.amp_multicast
    assert _types(cast(h, s, num_outputs=2)) == ['float32', 'float32']
    assert _types(cast(h, s, num_outputs=2, cast_narrow=True)) == ['float16', 'float16']
    assert _types(cast(h, d, num_outputs=2)) == ['float16', 'float64']
    assert _types(cast(h, s, d, num_outputs=3)) == ['float32', 'float32', 'float64']
    assert _types(cast(h, s, d, num_outputs=3, cast_narrow=True)) == \
        ['float16', 'float16', 'float64']
    assert _types(cast(h, i, num_outputs=2)) == ['float16', 'int32']
    assert isinstance(cast(h, num_outputs=1), mx.nd.NDArray)
    with pytest.raises(MXNetError, match='num_outputs is required'):
        cast(h, s)


def test_amp_multicast_gradients_and_graph_types():
    a, b = mx.nd.array([1, 2], dtype='float16'), mx.nd.array([3, 4])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        p, q = mx.nd.amp_multicast(a, b, num_outputs=2)
        z = p * 2 + q * 3
    z.backward()
    assert a.grad.dtype == np.float16 and a.grad.asnumpy().tolist() == [2, 2]
    assert b.grad.asnumpy().tolist() == [3, 3]
    s = mx.sym.amp_multicast(mx.sym.var('a'), mx.sym.var('b'), num_outputs=2)
    assert s.list_outputs() == ['amp_multicast0_output0', 'amp_multicast0_output1']
    assert s.infer_type(a='float16', b='float32')[1] == [np.float32, np.float32]


def test_cast_storage():
    x = mx.nd.array([[1, 0], [0, 2]])
    assert mx.nd.cast_storage(x, stype='default').asnumpy().tolist() == [[1, 0], [0, 2]]
    assert mx.nd.cast_storage(x, stype='csr').stype == 'csr'
    assert mx.nd.cast_storage(x, stype='row_sparse').indices.asnumpy().tolist() == [0, 1]
    # in a graph the values are computed densely: a copy
    y = mx.sym.cast_storage(mx.sym.var('x'), stype='csr').eval(x=x)[0]
    assert y.asnumpy().tolist() == [[1, 0], [0, 2]]
    with pytest.raises(MXNetError, match='2-D'):
        mx.nd.cast_storage(mx.nd.ones((2, 2, 2)), stype='csr')
    with pytest.raises(MXNetError, match='invalid stype'):
        mx.nd.cast_storage(x, stype='foo')
    with pytest.raises(MXNetError, match='stype is required'):
        mx.nd.cast_storage(x)


# ------------------------------------------------------------------ version-1 layers
def test_convolution_v1_is_convolution():
    rng = np.random.default_rng(0)
    x, w, b = (mx.nd.array(rng.normal(size=s)) for s in [(2, 3, 5, 6), (4, 3, 3, 3), (4,)])
    kw = dict(kernel=(3, 3), num_filter=4, stride=(2, 1), pad=(1, 1))
    np.testing.assert_array_equal(mx.nd.Convolution_v1(x, w, b, **kw).asnumpy(),
                                  mx.nd.Convolution(x, w, b, **kw).asnumpy())
    net = mx.sym.Convolution_v1(mx.sym.var('data'), kernel=(3, 3), num_filter=2)
    assert net.list_arguments() == ['data', 'convolution_v10_weight', 'convolution_v10_bias']


def test_pooling_v1_max_pads_with_zeros():
    x = -mx.nd.arange(1, 17).reshape((1, 1, 4, 4))
    v1 = mx.nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type='max')
    assert v1.asnumpy().ravel().tolist() == [0, 0, 0, 0, -6, 0, 0, 0, 0]
    full = mx.nd.Pooling_v1(x, kernel=(3, 3), stride=(2, 2), pool_type='max',
                            pooling_convention='full')
    assert full.asnumpy().ravel().tolist() == [-1, -3, -9, -11]


def test_pooling_v1_average_divides_by_the_kernel_size():
    ones = mx.nd.ones((1, 1, 4, 4))
    full = mx.nd.Pooling_v1(ones, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
                            pooling_convention='full')
    np.testing.assert_allclose(full.asnumpy().ravel(),
                               np.array([4, 6, 2, 6, 9, 3, 2, 3, 1]) / 9, rtol=1e-6)
    tail = mx.nd.Pooling_v1(ones, kernel=(3, 3), stride=(2, 2), pool_type='avg',
                            pooling_convention='full')
    np.testing.assert_allclose(tail.asnumpy().ravel(), [1, 2 / 3, 2 / 3, 4 / 9], rtol=1e-6)
    x5 = mx.nd.arange(25).reshape((1, 1, 5, 5))
    assert mx.nd.Pooling_v1(x5, global_pool=True, pool_type='avg').asscalar() == 12
    assert mx.nd.Pooling_v1(x5, kernel=(2, 2), global_pool=True, pool_type='sum').asscalar() == 300


def test_pooling_v1_gradient_and_errors():
    x = -mx.nd.arange(1, 17).reshape((1, 1, 4, 4))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Pooling_v1(x, kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type='max')
    y.backward()
    assert x.grad.asnumpy().ravel().tolist() == [0] * 5 + [1] + [0] * 10  # only -6 won
    with pytest.raises(MXNetError, match="valid values are 'avg', 'max', 'sum'"):
        mx.nd.Pooling_v1(mx.nd.ones((1, 1, 4, 4)), kernel=(2, 2), pool_type='lp')
    with pytest.raises(MXNetError, match='4-D'):
        mx.nd.Pooling_v1(mx.nd.ones((1, 1, 4)), kernel=(2,))
    assert mx.sym.Pooling_v1(mx.sym.var('d'), kernel=(2, 2)).name == 'pooling_v10'


# ------------------------------------------------------------------ KL sparseness
def test_kl_sparse_reg_matches_mxnet():
    net = mx.sym.IdentityAttachKLSparseReg(mx.sym.var('d'))
    assert net.list_auxiliary_states() == ['identityattachklsparsereg0_moving_avg']
    assert net.infer_shape(d=(4, 3))[2] == [(3,)]
    ex = net.simple_bind(mx.cpu(), d=(2, 3))
    data = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.6]])
    ex.arg_dict['d'][:] = data
    moving = ex.aux_dict['identityattachklsparsereg0_moving_avg']
    grads = [[0.9959184, 0.9980755, 0.99963963], [0.99830395, 0.99946034, 1.0003479]]
    avgs = [[0.02, 0.035, 0.075], [0.038, 0.0665, 0.1425]]
    for grad, avg in zip(grads, avgs):
        ex.forward(is_train=True)
        ex.backward(mx.nd.ones((2, 3)))
        np.testing.assert_allclose(ex.outputs[0].asnumpy(), data, rtol=1e-6)
        np.testing.assert_allclose(ex.grad_dict['d'].asnumpy(), [grad, grad], rtol=1e-6)
        np.testing.assert_allclose(moving.asnumpy(), avg, rtol=1e-5)


# ------------------------------------------------------------------ FFT and count sketch
def test_fft_layout_and_ifft_scale():
    x = mx.nd.array([[0, 1, 2, 3], [4, 5, 6, 7]])
    f = mx.nd.contrib.fft(x)
    assert f.shape == (2, 8)
    assert f.asnumpy().tolist() == [[6, 0, -2, 2, -2, 0, -2, -2], [22, 0, -2, 2, -2, 0, -2, -2]]
    # MXNet's ifft does not divide by the length
    assert mx.nd.contrib.ifft(f).asnumpy().tolist() == (x * 4).asnumpy().tolist()
    assert mx.nd.contrib.ifft(mx.nd.ones((1, 2, 3, 6))).shape == (1, 2, 3, 3)
    with pytest.raises(MXNetError, match='even length'):
        mx.nd.contrib.ifft(mx.nd.ones((2, 3)))


def test_fft_gradients_are_the_adjoint_transforms():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3))
    head = rng.normal(size=(2, 6))
    _, (g,) = _forward_backward(mx.nd.contrib.fft, [x], head)
    z = head[:, 0::2] + 1j * head[:, 1::2]
    np.testing.assert_allclose(g, np.fft.ifft(z).real * 3, rtol=1e-5)   # as MXNet checks it
    head2 = rng.normal(size=(2, 3))
    _, (g2,) = _forward_backward(mx.nd.contrib.ifft, [rng.normal(size=(2, 6))], head2)
    np.testing.assert_allclose(g2[:, 0::2], np.fft.fft(head2).real, rtol=1e-5, atol=1e-6)


def test_count_sketch_example_and_gradient():
    x = [[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]]
    h, s = [[0, 3, 4]], [[1, -1, 1]]
    y, (g, gh, gs) = _forward_backward(
        lambda a, b, c: mx.nd.contrib.count_sketch(a, b, c, out_dim=5), [x, h, s],
        np.arange(10).reshape(2, 5))
    np.testing.assert_allclose(y, [[1.2, 0, 0, -2.5, 3.4], [3.2, 0, 0, -5.7, 6.6]], rtol=1e-6)
    assert g.tolist() == [[0, -3, 4], [5, -8, 9]]
    assert not gh.any() and not gs.any()
    with pytest.raises(MXNetError, match=r'\[0, 4\)'):
        mx.nd.contrib.count_sketch(mx.nd.array(x), mx.nd.array(h), mx.nd.array(s), out_dim=4)


# ------------------------------------------------------------------ log-uniform sampling
def test_rand_zipfian_counts_and_distribution():
    mx.random.seed(0)
    samples, count_true, count_sampled = mx.nd.contrib.rand_zipfian(mx.nd.array([3, 0]), 4, 5)
    assert samples.dtype == np.int64 and samples.shape == (4,)
    assert count_true.dtype == np.float64
    np.testing.assert_allclose(count_true.asnumpy(), [0.49815515, 1.54741123], rtol=1e-7)
    prob = (np.log(np.arange(5) + 2) - np.log(np.arange(5) + 1)) / np.log(6)
    np.testing.assert_allclose(count_sampled.asnumpy(), prob[samples.asnumpy()] * 4)
    many = mx.nd.contrib.rand_zipfian(mx.nd.array([1]), 20000, 5)[0].asnumpy()
    np.testing.assert_allclose(np.bincount(many, minlength=5) / 20000, prob, atol=0.015)
    mx.random.seed(1)
    a = mx.nd.contrib.rand_zipfian(mx.nd.array([1]), 6, 1000)[0].asnumpy()
    mx.random.seed(1)
    assert (mx.nd.contrib.rand_zipfian(mx.nd.array([1]), 6, 1000)[0].asnumpy() == a).all()


# ------------------------------------------------------------------ BatchNormReLU
def test_batch_norm_with_relu_matches_mxnet():
    x = mx.nd.array(np.arange(-6, 6).reshape(2, 3, 2, 1) * 0.7 + 0.3)
    g, b = mx.nd.array([1., 2., 0.5]), mx.nd.array([0.1, -0.2, 0.3])
    mm, mv = mx.nd.zeros(3), mx.nd.ones(3)
    for a in (x, g, b):
        a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.BatchNormWithReLU(x, g, b, mm, mv, fix_gamma=False)
    y.backward(mx.nd.array(np.cos(np.arange(12)).reshape(2, 3, 2, 1)))
    np.testing.assert_allclose(y.asnumpy().ravel()[6:], [0.9219042, 1.2506659, 1.4438083,
                                                         2.1013317, 0.71095216, 0.875333],
                               rtol=1e-6)
    assert not y.asnumpy().ravel()[:6].any()
    np.testing.assert_allclose(x.grad.asnumpy().ravel(), [
        0.022565609, -0.041383885, -0.067475997, 0.022696648, 0.002757157, 0.015969375,
        0.089821756, -0.071003452, 0.33688885, -0.29210958, -0.11500852, 0.09628199],
        rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g.grad.asnumpy(), [1.6566576, -1.1679935, -0.684544], rtol=1e-6)
    np.testing.assert_allclose(b.grad.asnumpy(), [1.7140725, -1.0566303, -0.8346458], rtol=1e-6)
    np.testing.assert_allclose(mm.asnumpy(), [-0.145, -0.005, 0.135], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(mv.asnumpy(), [1.35325] * 3, rtol=1e-6)


def test_gluon_batch_norm_relu_layer():
    from d2lmini.gluon import nn
    layer = nn.BatchNormReLU(in_channels=3)
    layer.initialize()
    assert list(layer.collect_params()) == ['batchnormrelu0_gamma', 'batchnormrelu0_beta',
                                            'batchnormrelu0_running_mean',
                                            'batchnormrelu0_running_var']
    assert repr(layer) == ('BatchNormReLU(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, '
                           'use_global_stats=False, in_channels=3)')
    x = mx.nd.array(np.arange(-6, 6).reshape(2, 3, 2, 1))
    with mx.autograd.record():
        y = layer(x)
    np.testing.assert_allclose(y.asnumpy().ravel()[6:], [0.82199454, 1.1507924] * 3, rtol=1e-6)
    y.backward()
    layer.hybridize()
    np.testing.assert_allclose(layer(x).asnumpy().ravel()[6:], [
        0.18505783, 0.9252889, 1.5174738, 2.257705, 2.84989, 3.590121], rtol=1e-5)
    out = layer(mx.sym.var('data'))
    assert out.get_internals().list_outputs()[-1] == 'batchnormrelu0_fwd_output'


# ------------------------------------------------------------------ random front-end names
def test_negative_binomial_front_end_names():
    assert mx.random.negative_binomial is mx.nd.random.negative_binomial
    assert mx.random.generalized_negative_binomial is mx.nd.random.generalized_negative_binomial
    mx.random.seed(5)
    a = mx.random.negative_binomial(3, 0.4, shape=(4000,)).asnumpy()
    mx.random.seed(5)
    assert (mx.random.negative_binomial(3, 0.4, shape=(4000,)).asnumpy() == a).all()
    assert a.dtype == np.float32 and (a >= 0).all() and (a == np.round(a)).all()
    assert abs(a.mean() - 3 * 0.6 / 0.4) < 0.25         # mean k (1 - p) / p
    b = mx.random.generalized_negative_binomial(2.0, 0.3, shape=(4000,)).asnumpy()
    assert abs(b.mean() - 2.0) < 0.2                     # mean mu


# ------------------------------------------------------------------ Hawkes log-likelihood
def _hawkes_inputs():
    return [mx.nd.array([[1.5, 2.0], [0.5, 1.0], [1.0, 0.7]]), mx.nd.array([0.2, 0.3]),
            mx.nd.array([1.0, 2.0]), mx.nd.array([[0, 0], [0.5, 0.1], [1.0, 0.0]]),
            mx.nd.array([[0.5, 0.7, 0.2, 1.0], [1, 2, 0.3, 0.4], [0.3, 0.4, 0.5, 0.6]]),
            mx.nd.array([[0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 0]], dtype='int32'),
            mx.nd.array([4, 2, 3]), mx.nd.array([3.0, 4.0, 2.5])]


def test_hawkesll_matches_mxnet():
    ins = _hawkes_inputs()
    for a in ins[:4]:
        a.attach_grad()
    with mx.autograd.record():
        ll, state = mx.nd.contrib.hawkesll(*ins)
    np.testing.assert_allclose(ll.asnumpy(), [-9.0677814, -6.6676502, -5.0648327], rtol=1e-6)
    np.testing.assert_allclose(state.asnumpy(), [[0.28398153, 0.328518], [0.00915782, 0.13784757],
                                                 [0.35818708, 0.07427359]], rtol=1e-6)
    ll.backward(mx.nd.array([1., 2., -1.]))
    np.testing.assert_allclose(ins[0].grad.asnumpy(), [[-1.7009478, -2.013247], [-8.0, -4.0381403],
                                                       [0.8182647, 1.0714285]], rtol=1e-6)
    np.testing.assert_allclose(ins[1].grad.asnumpy(), [-1.390104, -4.4546118], rtol=1e-5)
    np.testing.assert_allclose(ins[2].grad.asnumpy(), [-0.14556211, -0.18568768], rtol=1e-5)


def test_hawkesll_state_gradients():
    """MXNet 1.9 leaves the gradient of ``state`` at zero and ignores the gradient of
    ``out_state``; d2lmini gives both their true values (checked here against
    central differences)."""
    ins = _hawkes_inputs()
    for a in ins[:4]:
        a.attach_grad()
    head_state = np.array([[0.5, -1], [2, 1], [0.3, 0.7]])
    with mx.autograd.record():
        ll, state = mx.nd.contrib.hawkesll(*ins)
    mx.autograd.backward([ll, state], [mx.nd.ones(3), mx.nd.array(head_state)])

    def loss(beta, s0):
        args = [a.astype('float64') for a in ins]
        args[2], args[3] = mx.nd.array(beta, dtype='float64'), mx.nd.array(s0, dtype='float64')
        args[5] = ins[5]
        out, st = mx.nd.contrib.hawkesll(*args)
        return out.sum().asscalar() + (st.asnumpy() * head_state).sum()

    beta, s0, eps = np.array([1.0, 2.0]), ins[3].asnumpy().astype(np.float64), 1e-6
    for i in range(2):
        e = np.eye(2)[i] * eps
        numeric = (loss(beta + e, s0) - loss(beta - e, s0)) / (2 * eps)
        assert abs(ins[2].grad.asnumpy()[i] - numeric) < 1e-4
    e = np.zeros((3, 2))
    e[1, 0] = eps
    numeric = (loss(beta, s0 + e) - loss(beta, s0 - e)) / (2 * eps)
    assert abs(ins[3].grad.asnumpy()[1, 0] - numeric) < 1e-4 and numeric != 0


def test_hawkesll_checks_shapes():
    ins = _hawkes_inputs()
    ins[1] = mx.nd.array([0.2, 0.3, 0.4])
    with pytest.raises(MXNetError, match=r'alpha \(K,\)'):
        mx.nd.contrib.hawkesll(*ins)
    ins = _hawkes_inputs()
    ins[7] = mx.nd.array([3.0, 2.0, 2.5])          # the second sample's lags add up to 3
    with pytest.raises(MXNetError, match='max_time'):
        mx.nd.contrib.hawkesll(*ins)
