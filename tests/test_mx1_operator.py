"""Operator behaviour that MXNet 1.x programs rely on: shape inference of weighted
operators under ``simple_bind``, the SVM output layer, ``linalg.potrf``/``potri``
with ``lower=False``, gradients of 1x1 factorisations, LayerNorm's precision, and the
``test_utils`` helpers that MXNet-style tests import with ``*``. Expected values were
worked out by hand or taken from MXNet 1.9.1."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import test_utils


# ---------------------------------------------------------------- Embedding
def test_embedding_simple_bind_infers_weight_shape():
    data = mx.sym.Variable('data')
    embed = mx.sym.Embedding(data=data, input_dim=10, output_dim=4, name='embed')
    arg_shapes, out_shapes, _ = embed.infer_shape(data=(24,))
    assert arg_shapes == [(24,), (10, 4)]
    assert out_shapes == [(24, 4)]
    exe = embed.simple_bind(mx.cpu(), grad_req={'data': 'null', 'embed_weight': 'write'},
                            data=(24,))
    assert exe.arg_dict['embed_weight'].shape == (10, 4)
    exe.arg_dict['embed_weight'][:] = np.arange(40).reshape(10, 4)
    exe.arg_dict['data'][:] = np.array([3] * 24)
    out = exe.forward(is_train=True)[0].asnumpy()
    assert out.shape == (24, 4)
    assert out[0].tolist() == [12.0, 13.0, 14.0, 15.0]



def test_embedding_weight_dtype_does_not_follow_integer_indices():
    # MXNet 1.9.1: int32 indices, float32 weight and output (the dtype attribute)
    e = mx.sym.Embedding(mx.sym.var('data'), input_dim=10, output_dim=4, name='e')
    arg_types, out_types, _ = e.infer_type(data='int32')
    assert arg_types == [np.int32, np.float32] and out_types == [np.float32]
    e64 = mx.sym.Embedding(mx.sym.var('data'), input_dim=10, output_dim=4, dtype='float64')
    assert e64.infer_type(data='int32')[0][1] == np.float64

# ---------------------------------------------------------------- SVMOutput
def _svm_grad(use_linear):
    x = mx.nd.array([[0.5, -2.0, 0.3], [1.5, 0.2, -0.7]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SVMOutput(x, mx.nd.array([0, 2]), use_linear=use_linear, margin=1.0,
                            regularization_coefficient=0.5)
    y.backward()
    return y.asnumpy(), x.grad.asnumpy()


def test_svm_output_l2_and_l1_gradients():
    # values from MXNet 1.9.1
    out, grad = _svm_grad(False)
    np.testing.assert_allclose(out, [[0.5, -2.0, 0.3], [1.5, 0.2, -0.7]], rtol=1e-6)
    np.testing.assert_allclose(grad, [[-0.5, 0.0, 1.3], [2.5, 1.2, -1.7]], rtol=1e-6)
    _, grad = _svm_grad(True)
    np.testing.assert_allclose(grad, [[-0.5, 0.0, 0.5], [0.5, 0.5, -0.5]], rtol=1e-6)


def test_svm_output_symbol_arguments():
    s = mx.sym.SVMOutput(mx.sym.var('data'), name='svm')
    assert s.list_arguments() == ['data', 'svm_label']
    arg_shapes, out_shapes, _ = s.infer_shape(data=(4, 3))
    assert arg_shapes == [(4, 3), (4,)] and out_shapes == [(4, 3)]


def test_svm_output_rejects_mismatched_label():
    with pytest.raises(mx.base.MXNetError, match='SVMOutput'):
        mx.nd.SVMOutput(mx.nd.ones((2, 3)), mx.nd.array([0, 1, 2]))


# ---------------------------------------------------------------- linalg
_A = [[4., 2.], [2., 5.]]
_W = [[1., 2.], [3., 4.]]


def _grad_of(fn, a):
    a = mx.nd.array(a, dtype='float64')
    a.attach_grad()
    with mx.autograd.record():
        out = fn(a)
        (out * mx.nd.array(_W, dtype='float64')).sum().backward()
    return out.asnumpy(), a.grad.asnumpy()


def test_potrf_upper_factor_and_gradient():
    # values from MXNet 1.9.1
    u, g = _grad_of(lambda a: mx.nd.linalg.potrf(a, lower=False), _A)
    np.testing.assert_allclose(u, [[2., 1.], [0., 2.]])
    np.testing.assert_allclose(g, [[0.25, 0.], [0., 1.]], atol=1e-12)
    l, g = _grad_of(lambda a: mx.nd.linalg.potrf(a, lower=True), _A)
    np.testing.assert_allclose(l, [[2., 0.], [1., 2.]])
    np.testing.assert_allclose(g, [[0.125, 0.25], [0.25, 1.0]], atol=1e-12)


def test_potri_upper_factor_and_gradient():
    # values from MXNet 1.9.1
    w, g = _grad_of(lambda a: mx.nd.linalg.potri(a, lower=False), [[2., 1.], [0., 2.]])
    np.testing.assert_allclose(w, [[0.3125, -0.125], [-0.125, 0.25]])
    np.testing.assert_allclose(g, [[0., -0.5], [0., -0.4375]], atol=1e-12)
    sym = mx.sym.linalg.potri(mx.sym.var('A'), lower=False)
    out = sym.eval(A=mx.nd.array([[2., 1.], [0., 2.]], dtype='float64'))[0].asnumpy()
    np.testing.assert_allclose(out, [[0.3125, -0.125], [-0.125, 0.25]])


def test_factorisation_gradients_of_1x1_matrices():
    # potrf of [[a]] is sqrt(a): derivative 1 / (2 sqrt(a)) = 0.25 for a = 4
    a = mx.nd.array([[4.]], dtype='float64')
    a.attach_grad()
    with mx.autograd.record():
        mx.nd.linalg.potrf(a).sum().backward()
    np.testing.assert_allclose(a.grad.asnumpy(), [[0.25]])
    # gelqf of a 1x1 matrix [[a]], a > 0: Q = [[1]], L = [[a]]
    a = mx.nd.array([[3.]], dtype='float64')
    a.attach_grad()
    with mx.autograd.record():
        q, l = mx.nd.linalg.gelqf(a)
        (2 * l + q).sum().backward()
    np.testing.assert_allclose(a.grad.asnumpy(), [[2.]])


# ---------------------------------------------------------------- LayerNorm
def test_layer_norm_statistics_keep_float32_digits():
    # features with a large common offset: float32 sums of 20000 values near 1000
    # lose digits unless they are accumulated more precisely
    rs = np.random.RandomState(1)
    data = (1000 + rs.normal(0, 1, (8, 20000))).astype(np.float32)
    y = mx.nd.LayerNorm(mx.nd.array(data), mx.nd.ones(20000), mx.nd.zeros(20000),
                        axis=-1, eps=1e-5).asnumpy()
    d = data.astype(np.float64)
    ref = (d - d.mean(-1, keepdims=True)) / np.sqrt(d.var(-1, keepdims=True) + 1e-5)
    assert y.dtype == np.float32
    assert np.abs(y - ref).max() < 2e-4


def test_layer_norm_parameter_gradients_match_float64():
    rs = np.random.RandomState(0)
    data = rs.normal(0, 1, (2048, 64)).astype(np.float32)
    dy = rs.normal(0, 1, (2048, 64)).astype(np.float32)
    x, g, b = mx.nd.array(data), mx.nd.ones(2048), mx.nd.zeros(2048)
    g.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = mx.nd.LayerNorm(x, g, b, axis=0, eps=1e-2)
    y.backward(mx.nd.array(dy))
    d = data.astype(np.float64)
    xhat = (d - d.mean(0, keepdims=True)) / np.sqrt(d.var(0, keepdims=True) + 1e-2)
    np.testing.assert_allclose(g.grad.asnumpy(), (xhat * dy).sum(1), atol=2e-5)
    np.testing.assert_allclose(b.grad.asnumpy(), dy.astype(np.float64).sum(1), atol=2e-5)


# ---------------------------------------------------------------- test_utils
def test_test_utils_star_import_gives_mxnet_helpers():
    namespace = {}
    exec('from d2lmini.test_utils import *', namespace)
    for name in ('np', 'sys', 'os', 'logging', 'np_reduce', 'random_sample',
                 'almost_equal_ignore_nan', 'assert_almost_equal_ignore_nan',
                 'check_symbolic_forward', 'rand_shape_nd'):
        assert name in namespace, name


def test_np_reduce():
    a = np.arange(24.).reshape(2, 3, 4)
    assert test_utils.np_reduce(a, (0, 2), True, np.sum).shape == (1, 3, 1)
    np.testing.assert_allclose(test_utils.np_reduce(a, (0, 2), False, np.sum),
                               [60., 92., 124.])
    assert test_utils.np_reduce(a, None, False, np.max) == 23.
    assert test_utils.np_reduce(a, -1, True, np.min).shape == (2, 3, 1)


def test_random_sample():
    np.random.seed(0)
    picked = test_utils.random_sample([4, 5, 6], 2)
    assert len(picked) == 2 and set(picked) <= {4, 5, 6}
    with pytest.raises(ValueError):
        test_utils.random_sample([1], 2)


def test_almost_equal_ignore_nan():
    assert test_utils.almost_equal_ignore_nan(np.array([1., np.nan]), np.array([1., 7.]))
    assert not test_utils.almost_equal_ignore_nan(np.array([1., 2.]), np.array([1., 7.]))
    with pytest.raises(AssertionError):
        test_utils.assert_almost_equal_ignore_nan(np.array([np.nan, 2.]),
                                                  np.array([0., 3.]))


def test_check_symbolic_forward_and_backward_accept_asnumpy_dtype():
    x = mx.sym.var('x')
    data = np.array([[1., -2.]], dtype=np.float64)
    outs = test_utils.check_symbolic_forward(x * 2, [data], [data * 2], dtype='asnumpy')
    assert outs[0].dtype == np.float64
    grads = test_utils.check_symbolic_backward(x * 2, [data], [np.ones((1, 2))],
                                               [np.full((1, 2), 2.)], dtype='asnumpy')
    assert grads['x'].dtype == np.float64
    with pytest.raises(AssertionError):
        test_utils.check_symbolic_forward(x * 2, [data], [data * 3], dtype='asnumpy')


# ---------------------------------------------------------------- BatchNorm variants
def test_batchnorm_v1_is_batchnorm():
    x = mx.nd.array([[1., 2.], [3., 6.]])
    args = (mx.nd.ones(2), mx.nd.zeros(2), mx.nd.zeros(2), mx.nd.ones(2))
    with mx.autograd.record():
        a = mx.nd.BatchNorm_v1(x, *args, fix_gamma=True, eps=0)
    np.testing.assert_allclose(a.asnumpy(), [[-1., -1.], [1., 1.]], atol=1e-6)
    s = mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn')
    assert s.list_arguments() == ['data', 'bn_gamma', 'bn_beta']
    assert s.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']


def test_sync_batchnorm_on_one_device():
    x = mx.nd.array([[1.], [3.]])
    gamma, beta = mx.nd.array([2.]), mx.nd.zeros(1)
    moving_mean, moving_var = mx.nd.zeros(1), mx.nd.ones(1)
    x.attach_grad()
    gamma.attach_grad()
    with mx.autograd.record():
        y, mean, var = mx.nd.contrib.SyncBatchNorm(x, gamma, beta, moving_mean, moving_var,
                                                   eps=0, momentum=0.5, fix_gamma=False,
                                                   key='bn0', output_mean_var=True)
    y.backward(mx.nd.array([[1.], [0.]]))
    # the second statistic is the variance (BatchNorm's is 1/sqrt(var + eps))
    assert y.asnumpy().ravel().tolist() == [-2.0, 2.0]
    assert mean.asnumpy().tolist() == [2.0] and var.asnumpy().tolist() == [1.0]
    # xhat = [-1, 1]: dgamma = sum(dy * xhat) = -1; dx = gamma * (dy - mean(dy)
    # - xhat * mean(dy * xhat)) = 2 * ([0.5, -0.5] - [-1, 1] * -0.5) = [0, 0]
    np.testing.assert_allclose(gamma.grad.asnumpy(), [-1.0])
    np.testing.assert_allclose(x.grad.asnumpy(), [[0.], [0.]], atol=1e-6)
    # the running statistics move halfway to the batch's (momentum 0.5)
    np.testing.assert_allclose(moving_mean.asnumpy(), [1.0])
    with pytest.raises(mx.base.MXNetError, match='ndev'):
        mx.nd.contrib.SyncBatchNorm(x, gamma, beta, moving_mean, moving_var, key='bn1',
                                    ndev=2)


# ---------------------------------------------------------------- UpSampling
def test_bilinear_upsampling_matches_mxnet():
    # sums from MXNet 1.9.1 on the same inputs
    rs = np.random.RandomState(0)
    expected = {(2, 2): ((1, 2, 6, 6), 13.815691, 61.801701, 60.587231),
                (3, 1): ((1, 1, 9, 9), -13.785531, -38.388355, 46.647625)}
    for (scale, channels), (shape, y_sum, x_grad_sum, w_grad_sum) in expected.items():
        k = 2 * scale - scale % 2
        x = mx.nd.array(rs.uniform(-1, 1, (1, channels, 3, 3)))
        w = mx.nd.array(rs.uniform(0, 1, (channels, 1, k, k)))
        x.attach_grad()
        w.attach_grad()
        with mx.autograd.record():
            y = mx.nd.UpSampling(x, w, scale=scale, sample_type='bilinear',
                                 num_filter=channels, num_args=2)
            (y * y).sum().backward()
        assert y.shape == shape
        np.testing.assert_allclose(y.sum().asscalar(), y_sum, rtol=1e-5)
        np.testing.assert_allclose(x.grad.sum().asscalar(), x_grad_sum, rtol=1e-5)
        np.testing.assert_allclose(w.grad.sum().asscalar(), w_grad_sum, rtol=1e-5)


def test_bilinear_upsampling_infers_the_kernel_shape():
    s = mx.sym.UpSampling(mx.sym.var('data'), mx.sym.var('weight'), scale=2,
                          sample_type='bilinear', num_filter=3, num_args=2)
    assert s.infer_shape(data=(1, 3, 4, 4)) == ([(1, 3, 4, 4), (3, 1, 4, 4)],
                                                [(1, 3, 8, 8)], [])
    with pytest.raises(mx.base.MXNetError, match='two inputs'):
        mx.nd.UpSampling(mx.nd.ones((1, 3, 4, 4)), scale=2, sample_type='bilinear',
                         num_filter=3)


# ---------------------------------------------------------------- SoftmaxOutput
def test_softmax_output_takes_probability_labels():
    # a label of the data's shape is the target distribution; values from MXNet 1.9.1
    x = mx.nd.array([[1., 2., 3.], [0., 0., 1.]])
    label = mx.nd.array([[0.2, 0.3, 0.5], [1., 0., 0.]])
    expected = [[-0.10997, -0.05527, 0.16524], [-0.78806, 0.21194, 0.57612]]
    for kwargs, scale in [({}, 1.), ({'normalization': 'batch'}, 1.), ({'grad_scale': 2.}, 2.),
                          ({'use_ignore': True, 'ignore_label': 0}, 1.)]:
        x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.SoftmaxOutput(x, label, **kwargs)
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), np.array(expected) * scale, atol=1e-5)
    x3 = mx.nd.array(np.arange(12.).reshape(2, 3, 2) / 5)
    uniform = mx.nd.ones((2, 3, 2)) / 3
    x3.attach_grad()
    with mx.autograd.record():
        y = mx.nd.SoftmaxOutput(x3, uniform, multi_output=True)
    y.backward()
    np.testing.assert_allclose(x3.grad.asnumpy()[0, :, 0], [-0.1214, -0.0171, 0.1384],
                               atol=1e-4)


# ---------------------------------------------------------------- BilinearResize2D
def test_bilinear_resize_parity_and_odd_scale_modes():
    # shapes and sum from MXNet 1.9.1
    x = mx.nd.array(np.arange(2 * 1 * 5 * 6.).reshape(2, 1, 5, 6))
    for mode, hw in [('to_even_down', (4, 6)), ('to_even_up', (6, 6)),
                     ('to_odd_down', (5, 5)), ('to_odd_up', (5, 7))]:
        assert mx.nd.contrib.BilinearResize2D(x, mode=mode).shape == (2, 1) + hw
    y = mx.nd.contrib.BilinearResize2D(x, scale_height=2, scale_width=0.5, mode='odd_scale')
    assert y.shape == (2, 1, 9, 3)
    np.testing.assert_allclose(y.sum().asscalar(), 1593.0, rtol=1e-6)
    with pytest.raises(mx.base.MXNetError, match='not supported'):
        mx.nd.contrib.BilinearResize2D(x, mode='nearest')


# ---------------------------------------------------------------- Pooling
def test_same_pooling_ignores_a_zero_pad_of_any_length():
    x = mx.nd.array(np.arange(10.).reshape(1, 1, 10))
    y = mx.nd.Pooling(x, kernel=2, stride=2, pad=(0, 0, 0), pool_type='max',
                      pooling_convention='same')
    assert y.asnumpy().ravel().tolist() == [1., 3., 5., 7., 9.]
    # MXNet 1.9.1: windows [0:3], [2:5], ..., [8:11] (padded at the end)
    y = mx.nd.Pooling(x, kernel=3, stride=2, pool_type='max', pooling_convention='same')
    assert y.asnumpy().ravel().tolist() == [2., 4., 6., 8., 9.]
    with pytest.raises(mx.base.MXNetError, match='same'):
        mx.nd.Pooling(x, kernel=2, stride=2, pad=2, pool_type='max', pooling_convention='same')


# ---------------------------------------------------------------- Correlation
def test_correlation_matches_mxnet():
    # sums from MXNet 1.9.1 on the same inputs
    rs = np.random.RandomState(0)
    a = mx.nd.array(rs.uniform(-1, 1, (1, 2, 5, 6)))
    b = mx.nd.array(rs.uniform(-1, 1, (1, 2, 5, 6)))
    a.attach_grad()
    b.attach_grad()
    for is_multiply, sums in [(True, (-0.21328, -0.15544, 1.08476)),
                              (False, (6.43143, -0.43925, 1.21342))]:
        with mx.autograd.record():
            y = mx.nd.Correlation(a, b, kernel_size=3, max_displacement=2, stride1=2,
                                  stride2=2, pad_size=1, is_multiply=is_multiply)
        y.backward(mx.nd.array(rs.uniform(-1, 1, y.shape)))
        assert y.shape == (1, 9, 1, 1)
        np.testing.assert_allclose([y.sum().asscalar(), a.grad.sum().asscalar(),
                                    b.grad.abs().sum().asscalar()], sums, atol=1e-4)


def test_correlation_shapes_and_errors():
    s = mx.sym.Correlation(mx.sym.var('a'), mx.sym.var('b'), kernel_size=1,
                           max_displacement=4, pad_size=4)
    assert s.infer_shape(a=(1, 3, 10, 10), b=(1, 3, 10, 10))[1] == [(1, 81, 10, 10)]
    with pytest.raises(mx.base.MXNetError, match='Correlation'):
        mx.nd.Correlation(mx.nd.ones((1, 1, 28, 28)), mx.nd.ones((1, 1, 28, 28)),
                          kernel_size=28)


# ---------------------------------------------------------------- index_array
def test_index_array_of_a_scalar_is_empty():
    # MXNet 1.9.1 (with np_shape): a 0-d input gives shape (0,)
    out = mx.nd.contrib.index_array(mx.nd.array(np.ones(())))
    assert out.shape == (0,) and out.dtype == np.int64
    assert mx.nd.contrib.index_array(mx.nd.zeros((0, 0, 0))).shape == (0, 0, 0, 3)
    assert mx.nd.contrib.index_array(mx.nd.zeros((2, 3)), axes=(1,)).asnumpy()[1, 2].tolist() == [2]
