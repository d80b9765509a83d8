"""Semantics of reductions, softmax, dot/batch_dot and random draws that the registry
walk (gradients in float64) does not pin down: shapes, dtypes, axis rules, errors,
seeding, and the statistics of random draws."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

nd = mx.nd
X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize('axis,keepdims,exclude,np_axis', [
    (None, False, False, None),
    ((), False, False, None),
    (1, False, False, 1),
    (-1, True, False, 2),
    ((0, 2), False, False, (0, 2)),
    ([0, 1], True, False, (0, 1)),
    (1, False, True, (0, 2)),
    ((0, 2), True, True, 1),
    ((0, 1, 2), False, False, None),
])
@pytest.mark.parametrize('name', ['sum', 'mean', 'prod', 'max', 'min', 'nansum', 'nanprod'])
def test_reduction_matches_numpy(name, axis, keepdims, exclude, np_axis):
    got = getattr(nd, name)(nd.array(X), axis=axis, keepdims=keepdims, exclude=exclude)
    want = getattr(np, name)(X.astype(np.float64), axis=np_axis, keepdims=keepdims)
    want = np.asarray(want).reshape(want.shape or (1,))  # no 0-d results: (1,)
    assert got.dtype == np.float32
    assert_almost_equal(got, want.astype(np.float32), rtol=1e-5)


def test_full_reduction_shapes():
    x = nd.array(X)
    assert x.sum().shape == (1,)
    assert x.sum(keepdims=True).shape == (1, 1, 1)
    assert nd.sum(nd.array([1, 2, 3]), axis=0).shape == (1,)
    assert x.max(axis=(0, 1, 2), keepdims=True).shape == (1, 1, 1)


def test_exclude_every_axis_reduces_nothing():
    x = nd.array(X)
    y = nd.sum(x, axis=(0, 1, 2), exclude=True)
    assert y.shape == X.shape
    assert_almost_equal(y, X)
    y[:] = 0                      # a new array, not a view of the input
    assert_almost_equal(x, X)


def test_positional_attributes_follow_mxnet_order():
    # sum(data, axis, keepdims, exclude)
    assert nd.sum(nd.array(X), 1, True).shape == (2, 1, 4)
    assert nd.array(X).sum(2, False, True).shape == (4,)


def test_aliases():
    x = nd.array(X)
    assert_almost_equal(nd.sum_axis(x, axis=1), nd.sum(x, axis=1))
    assert_almost_equal(nd.max_axis(x, axis=1), X.max(axis=1))
    assert_almost_equal(nd.min_axis(x, axis=1), X.min(axis=1))


def test_integer_reductions_keep_their_dtype():
    x = nd.array([[1, 2], [3, 4]], dtype='int32')
    for name, want in (('sum', [3, 7]), ('prod', [2, 12]), ('max', [2, 4]), ('min', [1, 3])):
        y = getattr(nd, name)(x, axis=1)
        assert y.dtype == np.int32, name
        assert y.asnumpy().tolist() == want, name


def test_integer_mean_truncates_toward_zero():
    # MXNet divides in the integer type: 5/3 -> 1 and -5/3 -> -1
    assert nd.mean(nd.array([1, 2, 2], dtype='int32')).asnumpy().tolist() == [1]
    assert nd.mean(nd.array([-1, -2, -2], dtype='int32')).asnumpy().tolist() == [-1]


def test_float16_reductions_stay_float16():
    x = nd.array([[1, 2], [3, 5]], dtype='float16')
    for name, want in (('sum', [3, 8]), ('mean', [1.5, 4]), ('prod', [2, 15])):
        y = getattr(nd, name)(x, axis=1)
        assert y.dtype == np.float16, name
        assert y.asnumpy().tolist() == want, name
    assert nd.norm(x, axis=1).dtype == np.float16


def test_nan_reductions():
    x = nd.array([[1, np.nan, 3], [2, 2, np.nan]])
    assert nd.nansum(x, axis=1).asnumpy().tolist() == [4, 4]
    assert nd.nanprod(x, axis=1).asnumpy().tolist() == [3, 4]
    assert np.isnan(nd.max(x, axis=1).asnumpy()).all()


@pytest.mark.parametrize('axis,match', [(3, 'axis 3 is out of range'),
                                        (-4, 'axis -4 is out of range'),
                                        ((0, 0), 'twice'), ((0, -3), 'twice'),
                                        (1.5, 'must be an int')])
def test_bad_axis_is_a_clear_error(axis, match):
    with pytest.raises(mx.MXNetError, match=match) as e:
        nd.sum(nd.array(X), axis=axis)
    assert 'sum' in str(e.value)


def _grad(fn, x, head=None):
    x = nd.array(x)
    x.attach_grad()
    with mx.autograd.record():
        y = fn(x)
    y.backward(None if head is None else nd.array(head))
    return x.grad.asnumpy()


def test_max_min_gradient_goes_to_every_tie():
    x = [[1, 3, 3], [0, 2, 5]]
    assert _grad(lambda a: a.max(axis=1), x, [1, 2]).tolist() == [[0, 1, 1], [0, 0, 2]]
    assert _grad(lambda a: a.min(axis=1), x, [1, 2]).tolist() == [[1, 0, 0], [2, 0, 0]]


def test_sum_and_mean_gradients():
    x = np.ones((2, 3))
    assert _grad(lambda a: a.sum(axis=0), x, [1, 2, 3]).tolist() == [[1, 2, 3]] * 2
    assert_almost_equal(_grad(lambda a: a.mean(), x), np.full((2, 3), 1 / 6))


def test_nan_gradients_are_zero_at_nan():
    x = [[np.nan, 2, 4], [1, 2, 5]]
    assert _grad(lambda a: nd.nansum(a, axis=1), x).tolist() == [[0, 1, 1], [1, 1, 1]]
    assert _grad(lambda a: nd.nanprod(a, axis=1), x).tolist() == [[0, 4, 2], [10, 5, 2]]


def test_second_derivative_through_sum():
    # d/dx sum(x^3) = 3x^2 is itself recorded; its derivative is 6x
    x = nd.array([1., 2., 3.])
    x.attach_grad()
    with mx.autograd.record():
        g = mx.autograd.grad((x ** 3).sum(), [x], create_graph=True)[0]
        s = g.sum()
    s.backward()
    assert_almost_equal(g, [3., 12., 27.])
    assert_almost_equal(x.grad, [6., 12., 18.])


# ------------------------------------------------------------------ norm
def test_norm_values_and_shapes():
    x = nd.array(X)
    assert_almost_equal(nd.norm(x), [np.sqrt((X.astype(np.float64) ** 2).sum())])
    assert_almost_equal(nd.norm(x, ord=1), [np.abs(X).sum()])
    assert_almost_equal(nd.norm(x, axis=1), np.sqrt((X ** 2).sum(axis=1)))
    assert_almost_equal(nd.norm(x, 1, (1, 2)), np.abs(X).sum(axis=(1, 2)))
    assert nd.norm(x, keepdims=True).shape == (1, 1, 1)
    assert nd.norm(x, axis=-1, keepdims=True).shape == (2, 3, 1)
    assert x.norm().shape == (1,)


def test_norm_dtypes():
    assert nd.norm(nd.array(X), out_dtype='float64').dtype == np.float64
    y = nd.norm(nd.array([[3, 4], [6, 8]], dtype='int32'), axis=1)
    assert y.dtype == np.int32 and y.asnumpy().tolist() == [5, 10]


def test_norm_rejects_other_orders():
    with pytest.raises(mx.MXNetError, match='ord=3'):
        nd.norm(nd.array(X), ord=3)


def test_norm_gradients():
    x = [[3., -4.], [0., 1.]]
    assert_almost_equal(_grad(lambda a: nd.norm(a, axis=1), x), [[0.6, -0.8], [0., 1.]])
    assert _grad(lambda a: nd.norm(a, ord=1), x).tolist() == [[1, -1], [0, 1]]


# ------------------------------------------------------------------ argmax, argmin
def test_argmax_argmin():
    x = nd.array([[1, 3, 3], [2, 2, 1]])
    assert nd.argmax(x, axis=1).asnumpy().tolist() == [1, 0]  # first of the ties
    assert nd.argmin(x, axis=1).asnumpy().tolist() == [0, 2]
    assert nd.argmax(x, axis=1).dtype == np.float32           # indices as floats, as MXNet
    assert x.argmax(0, True).shape == (1, 3)
    flat = nd.argmax(x)
    assert flat.shape == (1,) and flat.asscalar() == 1
    assert nd.argmax(x, keepdims=True).shape == (1, 1)
    assert nd.argmin(nd.array([[5, 1]], dtype='int32'), axis=1).dtype == np.int32


def test_argmax_channel_is_argmax_over_axis_1():
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4).astype(np.float32)
    got = nd.argmax_channel(nd.array(x))
    assert got.shape == (2, 4)
    assert got.asnumpy().tolist() == x.argmax(axis=1).tolist()
    with pytest.raises(mx.MXNetError, match='argmax_channel'):
        nd.argmax_channel(nd.array([1, 2]))


def test_argmax_axis_errors():
    with pytest.raises(mx.MXNetError, match='int or None'):
        nd.argmax(nd.array(X), axis=(0, 1))
    with pytest.raises(mx.MXNetError, match='out of range'):
        nd.argmin(nd.array(X), axis=3)


def test_argmax_gradient_is_zero():
    assert _grad(lambda a: nd.argmax(a, axis=1), [[1., 5.], [4., 2.]]).tolist() == [[0, 0]] * 2


# ------------------------------------------------------------------ softmax family
def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_values():
    x = np.array([[1, 2, 3], [1, 1, 5]], dtype=np.float32)
    assert_almost_equal(nd.softmax(nd.array(x)), _np_softmax(x))
    assert_almost_equal(nd.softmax(nd.array(x), axis=0), _np_softmax(x, axis=0))
    assert_almost_equal(nd.softmax(nd.array(x), temperature=2.0), _np_softmax(x / 2))
    assert_almost_equal(nd.softmin(nd.array(x)), _np_softmax(-x))
    assert_almost_equal(nd.softmin(nd.array(x), temperature=2.0), _np_softmax(-x / 2))
    assert_almost_equal(nd.log_softmax(nd.array(x)), np.log(_np_softmax(x)))
    assert_almost_equal(nd.log_softmax(nd.array(x), temperature=0.5),
                        np.log(_np_softmax(x / 0.5)))
    assert_almost_equal(nd.array(x).softmax(), _np_softmax(x))


def test_softmax_is_stable_for_large_inputs():
    x = nd.array([[1000., 0.], [-1000., -1000.]])
    assert_almost_equal(nd.softmax(x), [[1, 0], [0.5, 0.5]])
    assert_almost_equal(nd.log_softmax(x), [[0, -1000], [-np.log(2), -np.log(2)]])


def test_softmax_dtypes():
    x = nd.array([[1, 2]])
    y = nd.softmax(x, dtype='float64')
    assert y.dtype == np.float64
    assert nd.softmax(nd.array([[1, 2]], dtype='float16')).dtype == np.float16
    x.attach_grad()
    with mx.autograd.record():
        y = nd.softmax(x, dtype='float64')
    y.backward(nd.array([[1, 0]], dtype='float64'))
    assert x.grad.dtype == np.float32   # the gradient has the input's dtype
    p = _np_softmax(np.array([[1., 2.]]))
    assert_almost_equal(x.grad, p * ([[1, 0]] - p[:, :1]))


def test_softmax_rejects_integers():
    with pytest.raises(mx.MXNetError, match='floating point'):
        nd.softmax(nd.array([[1, 2]], dtype='int32'))


def test_softmax_with_length():
    x = nd.ones((2, 4))
    length = nd.array([1, 3], dtype='int32')
    want = [[1, 0, 0, 0], [1 / 3, 1 / 3, 1 / 3, 0]]
    assert_almost_equal(nd.softmax(x, length, use_length=True), want)
    # along axis 0 of a (3, 2) array the lengths cover the columns; length 0 gives zeros
    got = nd.softmax(nd.ones((3, 2)), nd.array([2, 0], dtype='int32'), axis=0, use_length=True)
    assert_almost_equal(got, [[0.5, 0], [0.5, 0], [0, 0]])


def test_softmax_length_errors():
    with pytest.raises(mx.MXNetError, match='use_length'):
        nd.softmax(nd.ones((2, 4)), nd.array([1, 3], dtype='int32'))
    with pytest.raises(mx.MXNetError, match='integer'):
        nd.softmax(nd.ones((2, 4)), nd.array([1, 3]), use_length=True)
    with pytest.raises(mx.MXNetError, match=r'\[2\]'):
        nd.softmax(nd.ones((2, 4)), nd.array([1, 3, 1], dtype='int32'), use_length=True)


def test_softmax_axis_error():
    with pytest.raises(mx.MXNetError, match='axis 2 is out of range'):
        nd.softmax(nd.ones((2, 3)), axis=2)


# ------------------------------------------------------------------ dot
def test_dot_matches_numpy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3)).astype(np.float32)
    b = rng.normal(size=(3, 4)).astype(np.float32)
    y = nd.dot(nd.array(a), nd.array(b))
    assert y.dtype == np.float32
    assert_almost_equal(y, a @ b, rtol=1e-5)
    assert_almost_equal(nd.dot(nd.array(a.T), nd.array(b), transpose_a=True), a @ b)
    assert_almost_equal(nd.dot(nd.array(a), nd.array(b.T), transpose_b=True), a @ b)
    assert_almost_equal(nd.dot(nd.array(a.T), nd.array(b.T), True, True), a @ b)
    d = nd.dot(nd.array(a, dtype='float64'), nd.array(b, dtype='float64'))
    assert d.dtype == np.float64


def test_dot_nd_semantics():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    b = np.arange(20, dtype=np.float32).reshape(4, 5)
    # contract the last axis of lhs with the first axis of rhs
    assert_almost_equal(nd.dot(nd.array(a), nd.array(b)), np.tensordot(a, b, axes=1))
    c = np.ones((2, 5), np.float32)
    # transpose_a contracts the first axis of lhs: (2,3,4)^T . (2,5) -> (3,4,5)
    assert_almost_equal(nd.dot(nd.array(a), nd.array(c), transpose_a=True),
                        np.tensordot(a, c, axes=([0], [0])))
    d = np.ones((5, 4), np.float32)
    # transpose_b contracts the last axis of rhs: (5,4) . (2,3,4)^T -> (5,2,3)
    assert_almost_equal(nd.dot(nd.array(d), nd.array(a), transpose_b=True),
                        np.tensordot(d, a, axes=([1], [2])))


def test_dot_vectors():
    v = nd.array([1, 2, 3])
    assert nd.dot(v, v).shape == (1,) and nd.dot(v, v).asscalar() == 14
    assert nd.dot(v, nd.ones((3, 2))).asnumpy().tolist() == [6, 6]
    assert nd.dot(nd.ones((2, 3)), v).asnumpy().tolist() == [6, 6]
    with pytest.raises(mx.MXNetError, match='cannot transpose vectors'):
        nd.dot(v, v, transpose_a=True)


def test_dot_errors_name_both_shapes():
    with pytest.raises(mx.MXNetError, match=r'dot shape error: \[2,3\] X \[2,3\]'):
        nd.dot(nd.ones((2, 3)), nd.ones((2, 3)))
    with pytest.raises(mx.MXNetError, match=r'\[2,3\] X \[3,3\].*transpose_a=True'):
        nd.dot(nd.ones((2, 3)), nd.ones((3, 3)), transpose_a=True)
    with pytest.raises(mx.MXNetError, match='floating point'):
        nd.dot(nd.ones((2, 3), dtype='int32'), nd.ones((3, 2), dtype='int32'))
    with pytest.raises(mx.MXNetError, match='float64 but rhs is float32'):
        nd.dot(nd.ones((2, 3), dtype='float64'), nd.ones((3, 2)))


def test_dot_second_derivative():
    # g = d sum(x w) / dx = rows of w's row sums; d sum(g^2) / dw_kj = 2 m * rowsum_k(w)
    w_np = np.array([[1., 2.], [3., -1.], [0.5, 0.5]])
    x, w = nd.ones((4, 3)), nd.array(w_np)
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        g = mx.autograd.grad(nd.dot(x, w).sum(), [x], create_graph=True)[0]
        s = (g * g).sum()
    s.backward()
    rowsum = w_np.sum(axis=1)
    assert_almost_equal(g, np.tile(rowsum, (4, 1)))
    assert_almost_equal(w.grad, np.tile(2 * 4 * rowsum[:, None], (1, 2)))


# ------------------------------------------------------------------ batch_dot
def test_batch_dot_matches_numpy():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(3, 2, 4)).astype(np.float32)
    b = rng.normal(size=(3, 4, 5)).astype(np.float32)
    want = a @ b
    assert_almost_equal(nd.batch_dot(nd.array(a), nd.array(b)), want, rtol=1e-5)
    at, bt = a.transpose(0, 2, 1).copy(), b.transpose(0, 2, 1).copy()
    assert_almost_equal(nd.batch_dot(nd.array(at), nd.array(b), transpose_a=True), want)
    assert_almost_equal(nd.batch_dot(nd.array(a), nd.array(bt), transpose_b=True), want)
    assert_almost_equal(nd.batch_dot(nd.array(at), nd.array(bt), True, True), want)
    c = nd.batch_dot(nd.ones((6, 2, 3, 4)), nd.ones((6, 2, 4, 5)))
    assert c.shape == (6, 2, 3, 5) and c.dtype == np.float32


def test_batch_dot_errors():
    with pytest.raises(mx.MXNetError, match=r'at least 3.*\[3,4\]'):
        nd.batch_dot(nd.ones((3, 4)), nd.ones((4, 5)))
    with pytest.raises(mx.MXNetError, match='leading batch dimensions'):
        nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((3, 4, 5)))
    with pytest.raises(mx.MXNetError, match=r'batch_dot shape error: \[2,3,4\] X \[2,3,5\]'):
        nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 3, 5)))


# ------------------------------------------------------------------ random
def test_default_shape_and_dtype():
    for fn in (nd.random.uniform, nd.random.normal, nd.random.exponential,
               nd.random.poisson, nd.random.gamma):
        x = fn()
        assert x.shape == (1,) and x.dtype == np.float32, fn.__name__
        assert fn(shape=3).shape == (3,)
        assert fn(shape=(2, 3), dtype='float64').dtype == np.float64
    assert nd.random.uniform(shape=(2,), dtype='float16').dtype == np.float16
    assert nd.random.uniform(ctx=mx.cpu()).context == mx.cpu()
    r = nd.random.randint(0, 10)
    assert r.shape == (1,) and r.dtype == np.int32
    assert nd.random.randint(0, 10, shape=(2,), dtype='int64').dtype == np.int64
    assert nd.random.randn(2, 3).shape == (2, 3)


def test_seed_makes_draws_repeat():
    def draws():
        return np.concatenate([nd.random.uniform(shape=(5,)).asnumpy(),
                               nd.random.normal(shape=(5,)).asnumpy(),
                               nd.random.randint(0, 100, shape=(5,)).asnumpy(),
                               nd.random.shuffle(nd.arange(5)).asnumpy()])
    mx.random.seed(7)
    a = draws()
    mx.random.seed(7)
    b = draws()
    mx.random.seed(8)
    c = draws()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    mx.random.seed(7, ctx=mx.cpu())
    assert np.array_equal(draws(), a)


def test_seed_needs_an_int():
    with pytest.raises(ValueError, match='int'):
        mx.random.seed(1.5)


def test_mx_random_module():
    import d2lmini.random as mxrandom
    assert mxrandom.uniform is nd.random.uniform
    assert mxrandom.seed is nd.random.seed


def _moments(x):
    x = x.asnumpy().astype(np.float64)
    return x.mean(), x.var()


def test_distribution_moments():
    n = 20000
    mx.random.seed(0)
    # mean and variance within a few standard errors of the true ones
    checks = [
        (nd.random.uniform(-1, 3, shape=n), 1.0, 16 / 12),
        (nd.random.normal(2, 0.5, shape=n), 2.0, 0.25),
        (nd.random.randn(n, loc=-1, scale=2), -1.0, 4.0),
        (nd.random.exponential(2, shape=n), 2.0, 4.0),
        (nd.random.poisson(3, shape=n), 3.0, 3.0),
        (nd.random.gamma(2, 1.5, shape=n), 3.0, 4.5),
        (nd.random.randint(0, 10, shape=n), 4.5, 99 / 12),
    ]
    for x, mean, var in checks:
        m, v = _moments(x)
        assert abs(m - mean) < 5 * np.sqrt(var / n), (m, mean)
        assert abs(v - var) < 0.1 * var, (v, var)


def test_uniform_and_randint_ranges():
    x = nd.random.uniform(2, 3, shape=(1000,)).asnumpy()
    assert x.min() >= 2 and x.max() < 3
    r = nd.random.randint(-2, 3, shape=(1000,)).asnumpy()
    assert set(r.tolist()) == {-2, -1, 0, 1, 2}


def test_per_element_parameters():
    mx.random.seed(0)
    low, high = nd.array([0, 10, 100]), nd.array([1, 11, 101])
    x = nd.random.uniform(low, high, shape=(2, 500))
    assert x.shape == (3, 2, 500) and x.dtype == np.float32
    xs = x.asnumpy()
    for i, lo in enumerate([0, 10, 100]):
        assert xs[i].min() >= lo and xs[i].max() < lo + 1
    mu, sigma = nd.array([[-5, 5]]), nd.array([[0.1, 1]])
    y = nd.random.normal(mu, sigma, shape=4000).asnumpy()
    assert y.shape == (1, 2, 4000)
    assert_almost_equal(y.mean(axis=-1), [[-5, 5]], atol=0.1, rtol=0)
    assert_almost_equal(y.std(axis=-1), [[0.1, 1]], atol=0.05, rtol=0)
    assert nd.random.uniform(low, high).shape == (3,)
    e = nd.random.exponential(nd.array([1, 4]), shape=4000).asnumpy()
    assert_almost_equal(e.mean(axis=1), [1, 4], rtol=0.1)
    p = nd.random.poisson(nd.array([2, 8]), shape=4000).asnumpy()
    assert_almost_equal(p.mean(axis=1), [2, 8], rtol=0.1)
    g = nd.random.gamma(nd.array([2, 3]), nd.array([1, 2]), shape=4000).asnumpy()
    assert_almost_equal(g.mean(axis=1), [2, 6], rtol=0.1)
    assert nd.random.uniform(low, high, dtype='float64').dtype == np.float64


def test_random_errors():
    with pytest.raises(mx.MXNetError, match='low=2'):
        nd.random.uniform(2, 1)
    with pytest.raises(mx.MXNetError, match='scale=0'):
        nd.random.normal(0, 0)
    with pytest.raises(mx.MXNetError, match='less than high'):
        nd.random.randint(3, 3)
    with pytest.raises(mx.MXNetError, match='dtype int32 is not supported'):
        nd.random.uniform(shape=(2,), dtype='int32')
    with pytest.raises(mx.MXNetError, match='dtype float32 is not supported'):
        nd.random.randint(0, 5, dtype='float32')
    with pytest.raises(mx.MXNetError, match='shape is empty'):
        nd.random.randn()
    with pytest.raises(TypeError, match='all be NDArrays or all numbers'):
        nd.random.uniform(nd.zeros((2,)), 1)
    with pytest.raises(mx.MXNetError, match=r'\[2\] and \[3\] differ'):
        nd.random.normal(nd.zeros((2,)), nd.ones((3,)))
    with pytest.raises(TypeError, match='numbers'):
        nd.random.randint(nd.zeros((1,)), nd.ones((1,)))


def test_out_receives_the_draws():
    out = nd.zeros((2, 3))
    mx.random.seed(3)
    res = nd.random.uniform(out=out)
    assert res is out and out.shape == (2, 3)
    mx.random.seed(3)
    assert_almost_equal(out, nd.random.uniform(shape=(2, 3)))


def test_shuffle_permutes_rows_and_copies():
    x = nd.arange(12).reshape((4, 3))
    mx.random.seed(1)
    y = nd.random.shuffle(x)
    ys = y.asnumpy()
    assert sorted(ys[:, 0].tolist()) == [0, 3, 6, 9]
    assert_almost_equal(ys - ys[:, :1], np.tile([0, 1, 2], (4, 1)))  # rows stay intact
    y[:] = -1
    assert x.asnumpy().min() == 0   # the input is untouched


def test_multinomial_shapes_and_values():
    probs = nd.array([[0, 1, 0], [1, 0, 0]])
    assert nd.random.multinomial(probs).asnumpy().tolist() == [1, 0]
    s = nd.random.multinomial(probs, shape=(2, 3))
    assert s.shape == (2, 2, 3) and s.dtype == np.int32
    assert nd.random.multinomial(nd.array([0.5, 0.5])).shape == (1,)
    assert nd.random.multinomial(nd.array([0.5, 0.5]), shape=4, dtype='float32').dtype == \
        np.float32


def test_multinomial_frequencies():
    mx.random.seed(0)
    s = nd.random.multinomial(nd.array([0.2, 0.5, 0.3]), shape=20000).asnumpy()
    assert_almost_equal(np.bincount(s, minlength=3) / 20000, [0.2, 0.5, 0.3], atol=0.02)


def test_multinomial_log_probabilities_and_gradient():
    p_np = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], dtype=np.float32)
    p = nd.array(p_np)
    p.attach_grad()
    head = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], dtype=np.float32)
    with mx.autograd.record():
        s, logp = nd.random.multinomial(p, shape=4, get_prob=True)
    logp.backward(nd.array(head))
    idx = s.asnumpy()
    assert_almost_equal(logp, np.log(np.take_along_axis(p_np, idx, axis=1)))
    want = np.zeros_like(p_np)   # REINFORCE: head / p added at every drawn index
    for r in range(2):
        for c in range(4):
            want[r, idx[r, c]] += head[r, c] / p_np[r, idx[r, c]]
    assert_almost_equal(p.grad, want, rtol=1e-5)


@pytest.mark.gpu
def test_random_on_gpu_is_seeded():
    mx.random.seed(5)
    a = nd.random.normal(shape=(3, 4), ctx=mx.gpu(0))
    mx.random.seed(5)
    b = nd.random.normal(shape=(3, 4), ctx=mx.gpu(0))
    assert a.context == mx.gpu(0) and a.dtype == np.float32
    assert np.array_equal(a.asnumpy(), b.asnumpy())
    lam = nd.array([1, 5], ctx=mx.gpu(0))
    assert nd.random.poisson(lam, shape=3).shape == (2, 3)
    assert nd.random.gamma(lam, lam, shape=3).shape == (2, 3)
    assert nd.random.randint(0, 4, shape=(5,), ctx=mx.gpu(0)).dtype == np.int32
    s = nd.random.multinomial(nd.array([[0, 1], [1, 0]], ctx=mx.gpu(0)), shape=2)
    assert s.asnumpy().tolist() == [[1, 1], [0, 0]]
    assert nd.random.shuffle(nd.arange(6, ctx=mx.gpu(0))).context == mx.gpu(0)
