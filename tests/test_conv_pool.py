"""FullyConnected, Convolution, Deconvolution and Pooling: values against direct
loop implementations, values recorded from MXNet 1.9, shapes, dtypes, errors,
shape inference, the chunked CPU path, and second-order gradients.

(The registry walk checks every gradient against finite differences.)
"""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.ops import convolution
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

nd = mx.nd


# ------------------------------------------------------------------ direct references
def _window(start, kernel, dilate):
    return tuple(slice(s, s + d * (k - 1) + 1, d) for s, k, d in zip(start, kernel, dilate))


def ref_conv(x, w, b, stride, pad, dilate, groups):
    """Convolution by looping over output positions."""
    nsp = x.ndim - 2
    kernel = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(xp.shape[2 + a] - dilate[a] * (kernel[a] - 1) - 1) // stride[a] + 1
           for a in range(nsp)]
    y = np.zeros((x.shape[0], w.shape[0]) + tuple(out))
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    for pos in np.ndindex(*out):
        win = xp[(slice(None), slice(None))
                 + _window([p * s for p, s in zip(pos, stride)], kernel, dilate)]
        for g in range(groups):
            part = win[:, g * cg:(g + 1) * cg].reshape(len(x), cg, -1)
            y[(slice(None), slice(g * og, (g + 1) * og)) + pos] = np.einsum(
                'nck,ock->no', part, w[g * og:(g + 1) * og].reshape(og, cg, -1))
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nsp)
    return y


def ref_deconv(x, w, b, stride, pad, dilate, adj, groups):
    """Transposed convolution by scattering every input element's weighted kernel."""
    nsp = x.ndim - 2
    kernel = w.shape[2:]
    full = [s * (n - 1) + d * (k - 1) + 1 for s, n, d, k in zip(stride, x.shape[2:], dilate,
                                                                kernel)]
    y = np.zeros((x.shape[0], w.shape[1] * groups) + tuple(f + a for f, a in zip(full, adj)))
    cg, fg = x.shape[1] // groups, w.shape[1]
    for pos in np.ndindex(*x.shape[2:]):
        window = _window([p * s for p, s in zip(pos, stride)], kernel, dilate)
        for g in range(groups):
            target = y[(slice(None), slice(g * fg, (g + 1) * fg)) + window]
            target += np.einsum('nc,cf...->nf...',
                                x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos],
                                w[g * cg:(g + 1) * cg])
    size = [f - 2 * p + a for f, p, a in zip(full, pad, adj)]
    y = y[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(pad, size))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nsp)
    return y


def ref_pool(x, kernel, stride, pad, pool_type, full=False, count_include_pad=True, p=1):
    """Pooling by looping over output positions, with MXNet's window clipping."""
    size = x.shape[2:]
    rnd = (lambda a, b: -(-a // b)) if full else (lambda a, b: a // b)
    out = [rnd(n + 2 * q - k, s) + 1 for n, q, k, s in zip(size, pad, kernel, stride)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for pos in np.ndindex(*out):
        start = [o * s - q for o, s, q in zip(pos, stride, pad)]
        end = [min(st + k, n + q) for st, k, n, q in zip(start, kernel, size, pad)]
        div = np.prod([e - st for st, e in zip(start, end)])
        lo = [max(st, 0) for st in start]
        hi = [min(e, n) for e, n in zip(end, size)]
        win = x[(Ellipsis,) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        win = win.reshape(x.shape[:2] + (-1,))
        if win.shape[-1] == 0:  # a 'full' window past the input: MXNet's empty result
            y[(Ellipsis,) + pos] = np.finfo(np.float32).min if pool_type == 'max' else 0
        elif pool_type == 'max':
            y[(Ellipsis,) + pos] = win.max(-1)
        elif pool_type == 'lp':
            total = (win ** p).sum(-1)
            y[(Ellipsis,) + pos] = np.sign(total) * np.abs(total) ** (1 / p)
        else:
            total = win.sum(-1)
            if pool_type == 'avg':
                total /= div if count_include_pad else np.prod(
                    [b - a for a, b in zip(lo, hi)])
            y[(Ellipsis,) + pos] = total
    return y


def _rand(rng, *shape):
    return rng.uniform(-1, 1, size=shape)


# ------------------------------------------------------------------ FullyConnected
def test_fully_connected_matches_matmul():
    rng = np.random.default_rng(0)
    x, w, b = _rand(rng, 4, 2, 3), _rand(rng, 5, 6), _rand(rng, 5)
    y = nd.FullyConnected(nd.array(x), nd.array(w), nd.array(b), num_hidden=5)
    assert y.dtype == np.float32
    assert_almost_equal(y, x.reshape(4, 6) @ w.T + b, rtol=1e-5, atol=1e-6)
    w2 = _rand(rng, 5, 3)
    y = nd.FullyConnected(nd.array(x), nd.array(w2), num_hidden=5, no_bias=True, flatten=False)
    assert_almost_equal(y, x @ w2.T, rtol=1e-5, atol=1e-6)
    # positional num_hidden, as in MXNet: data, weight, bias, num_hidden
    y = nd.FullyConnected(nd.array([[1, 2]]), nd.array([[1, 1], [2, 0]]), nd.array([10, 20]), 2)
    assert y.asnumpy().tolist() == [[13, 22]]


def test_fully_connected_one_axis_data():
    # MXNet: flatten=True treats (K,) as K rows of one feature; flatten=False as one row
    w = nd.array([[1.0], [2.0]])
    assert nd.FullyConnected(nd.array([3, 4]), w, num_hidden=2, no_bias=True).shape == (2, 2)
    y = nd.FullyConnected(nd.array([3, 4]), nd.array([[1, 1], [1, -1]]), num_hidden=2,
                          no_bias=True, flatten=False)
    assert y.asnumpy().tolist() == [7, -1]


def test_fully_connected_gradients():
    rng = np.random.default_rng(1)
    x, w, b = _rand(rng, 3, 4), _rand(rng, 2, 4), _rand(rng, 2)
    head = _rand(rng, 3, 2)
    X, W, B = nd.array(x, dtype='float64'), nd.array(w, dtype='float64'), nd.array(
        b, dtype='float64')
    for a in (X, W, B):
        a.attach_grad()
    with mx.autograd.record():
        y = nd.FullyConnected(X, W, B, num_hidden=2)
    y.backward(nd.array(head, dtype='float64'))
    assert_almost_equal(X.grad, head @ w)
    assert_almost_equal(W.grad, head.T @ x)
    assert_almost_equal(B.grad, head.sum(0))


def test_constant_input_gets_no_gradient_work():
    """A constant data input is skipped; the weight still gets its gradient."""
    rng = np.random.default_rng(2)
    x, w = nd.array(_rand(rng, 3, 4)), nd.array(_rand(rng, 2, 4))
    w.attach_grad()
    with mx.autograd.record():
        y = nd.FullyConnected(x, w, num_hidden=2, no_bias=True)
    y.backward()
    assert_almost_equal(w.grad, np.ones((3, 2)).T @ x.asnumpy(), rtol=1e-5)


# ------------------------------------------------------------------ Convolution
CONV_CONFIGS = [
    # data shape, num_filter, kernel, stride, pad, dilate, groups
    ((2, 3, 7, 7), 4, (3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 3, 7, 6), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((2, 4, 9, 8), 6, (3, 2), (2, 3), (1, 2), (1, 1), 2),
    ((1, 2, 9, 9), 2, (2, 3), (1, 2), (0, 1), (3, 2), 2),
    ((3, 1, 8, 8), 5, (5, 5), (1, 1), (2, 2), (1, 1), 1),
    ((2, 3, 11), 4, (3,), (2,), (1,), (2,), 1),
    ((1, 2, 5, 4, 6), 3, (2, 3, 2), (1, 2, 1), (1, 0, 1), (2, 1, 1), 1),
    ((2, 4, 6, 6), 4, (1, 1), (1, 1), (0, 0), (1, 1), 4),
]


@pytest.mark.parametrize('shape,nf,kernel,stride,pad,dilate,groups', CONV_CONFIGS)
def test_convolution_matches_reference(shape, nf, kernel, stride, pad, dilate, groups):
    rng = np.random.default_rng(3)
    x = _rand(rng, *shape)
    w = _rand(rng, nf, shape[1] // groups, *kernel)
    b = _rand(rng, nf)
    y = nd.Convolution(nd.array(x), nd.array(w), nd.array(b), kernel=kernel, stride=stride,
                       pad=pad, dilate=dilate, num_filter=nf, num_group=groups)
    assert y.dtype == np.float32
    assert_almost_equal(y, ref_conv(x, w, b, stride, pad, dilate, groups), rtol=1e-4,
                        atol=1e-5)


def test_convolution_defaults_and_list_attributes():
    # stride and dilate default to 1, pad to 0; kernel may be a list
    rng = np.random.default_rng(4)
    x, w = _rand(rng, 1, 1, 4, 4), _rand(rng, 1, 1, 2, 2)
    y = nd.Convolution(nd.array(x), nd.array(w), kernel=[2, 2], num_filter=1, no_bias=True)
    assert_almost_equal(y, ref_conv(x, w, None, (1, 1), (0, 0), (1, 1), 1), rtol=1e-5)


def test_convolution_mxnet_values():
    # recorded from MXNet 1.9.1: nd.Convolution(arange(16) as 1x1x4x4, ones((1,1,2,2)),
    # ones(1), kernel=(2,2), dilate=(2,2), num_filter=1)
    x = nd.arange(16).reshape((1, 1, 4, 4))
    y = nd.Convolution(x, nd.ones((1, 1, 2, 2)), nd.ones(1), kernel=(2, 2), dilate=(2, 2),
                       num_filter=1)
    assert y.asnumpy().ravel().tolist() == [21, 25, 37, 41]


def test_convolution_keeps_dtype():
    rng = np.random.default_rng(5)
    x, w = _rand(rng, 2, 2, 5, 5), _rand(rng, 3, 2, 3, 3)
    for dtype in ('float64', 'float16'):
        y = nd.Convolution(nd.array(x, dtype=dtype), nd.array(w, dtype=dtype), kernel=(3, 3),
                           num_filter=3, no_bias=True)
        assert y.dtype == np.dtype(dtype)
    xi = nd.array(np.arange(50).reshape(2, 1, 5, 5), dtype='int32')
    y = nd.Convolution(xi, nd.ones((1, 1, 2, 2), dtype='int32'), kernel=(2, 2), num_filter=1,
                       no_bias=True)
    assert y.dtype == np.int32 and y.asnumpy()[0, 0, 0, 0] == 0 + 1 + 5 + 6


def test_convolution_chunks_agree(monkeypatch):
    """Tiny chunks (one image at a time) give the results of one big chunk."""
    rng = np.random.default_rng(6)
    x, w, b = _rand(rng, 5, 3, 6, 6), _rand(rng, 4, 3, 3, 3), _rand(rng, 4)
    dy = _rand(rng, 5, 4, 3, 3)

    def run(x, w, b, dy):
        X, W, B = nd.array(x), nd.array(w), nd.array(b)
        for a in (X, W, B):
            a.attach_grad()
        with mx.autograd.record():
            y = nd.Convolution(X, W, B, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=4)
        y.backward(nd.array(dy))
        return [a.asnumpy() for a in (y, X.grad, W.grad, B.grad)]

    whole = run(x, w, b, dy)
    # Every result is a float32 sum of at most 64 products, bilinear in the inputs: the
    # same computation on |inputs| gives each sum's sum of |terms|. Two summation
    # orders (the BLAS picks its kernel by matrix size, and so by chunk) each stay
    # within 64 * eps * sum|terms| of the exact value.
    magnitude = run(abs(x), abs(w), abs(b), abs(dy))
    monkeypatch.setattr(convolution, '_CHUNK_BYTES', 1)
    eps = np.finfo(np.float32).eps
    for a, b_, m in zip(run(x, w, b, dy), whole, magnitude):
        assert np.all(np.abs(a - b_) <= 2 * 64 * eps * m)


@pytest.mark.parametrize('shape,nf,kernel,pad,dilate,groups', [
    ((2, 4, 6, 5), 4, (3, 3), (1, 1), (1, 1), 2),
    ((1, 3, 7, 7), 3, (3, 3), (2, 2), (2, 2), 1),
    ((2, 2, 8), 2, (5,), (2,), (1,), 1),
    ((2, 6, 4, 4), 6, (1, 1), (0, 0), (1, 1), 3),
])
def test_data_gradient_paths_agree(monkeypatch, shape, nf, kernel, pad, dilate, groups):
    """With stride 1 the data gradient is a convolution with the flipped weight;
    it must equal col2im's result."""
    rng = np.random.default_rng(14)
    x, w = _rand(rng, *shape), _rand(rng, nf, shape[1] // groups, *kernel)

    def data_grad():
        X = nd.array(x)
        X.attach_grad()
        with mx.autograd.record():
            y = nd.Convolution(X, nd.array(w), kernel=kernel, pad=pad, dilate=dilate,
                               num_filter=nf, num_group=groups, no_bias=True)
        y.backward(nd.array(np.arange(y.size).reshape(y.shape) % 7 - 3.0))
        return X.grad.asnumpy()

    flipped = data_grad()
    monkeypatch.setattr(convolution, '_flipped_geometry', lambda g: None)
    assert_almost_equal(flipped, data_grad(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('minor', [False, True])
@pytest.mark.parametrize('shape,nf,kernel,stride,pad,dilate,groups', [
    ((3, 4, 7, 6), 6, (3, 3), (2, 1), (1, 2), (1, 1), 2),
    ((2, 3, 9), 4, (3,), (1,), (1,), (2,), 1),
    ((2, 2, 4, 5, 4), 3, (2, 3, 2), (1, 2, 1), (1, 0, 1), (1, 1, 2), 1),
    ((4, 3, 5, 5), 2, (1, 1), (2, 2), (0, 0), (1, 1), 1),
])
def test_column_orders_agree_with_loops(monkeypatch, minor, shape, nf, kernel, stride, pad,
                                        dilate, groups):
    """Both orders of the columns (image-major, image-minor) give the loop reference's
    output and gradients, in 1, 2 and 3 spatial axes, also one image per chunk."""
    rng = np.random.default_rng(21)
    x, w = _rand(rng, *shape), _rand(rng, nf, shape[1] // groups, *kernel)
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), None, stride, pad, dilate,
                   groups)
    u = _rand(rng, *ref.shape)

    def run():
        X, W = nd.array(x, dtype='float64'), nd.array(w, dtype='float64')
        X.attach_grad()
        W.attach_grad()
        with mx.autograd.record():
            y = nd.Convolution(X, W, kernel=kernel, stride=stride, pad=pad, dilate=dilate,
                               num_filter=nf, num_group=groups, no_bias=True)
        y.backward(nd.array(u, dtype='float64'))
        return y.asnumpy(), X.grad.asnumpy(), W.grad.asnumpy()

    # the other order, one image per chunk, is the reference for the gradients
    monkeypatch.setattr(convolution, '_image_minor', lambda xp, g, n: not minor)
    monkeypatch.setattr(convolution, '_CHUNK_BYTES', 1)
    expected = run()
    np.testing.assert_allclose(expected[0], ref, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(convolution, '_image_minor', lambda xp, g, n: minor)
    for chunk in (1, 1 << 30):
        monkeypatch.setattr(convolution, '_CHUNK_BYTES', chunk)
        for got, want in zip(run(), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_results_do_not_share_scratch_memory():
    """Operators reuse scratch buffers between calls; results must not live there."""
    rng = np.random.default_rng(7)
    w = nd.array(_rand(rng, 2, 1, 3, 3))
    x1, x2 = nd.array(_rand(rng, 2, 1, 6, 6)), nd.array(_rand(rng, 2, 1, 6, 6))
    y1 = nd.Convolution(x1, w, kernel=(3, 3), pad=(1, 1), num_filter=2, no_bias=True)
    keep = y1.asnumpy()
    nd.Convolution(x2, w, kernel=(3, 3), pad=(1, 1), num_filter=2, no_bias=True)
    nd.Pooling(x2, kernel=(3, 3), pad=(1, 1), pool_type='avg')
    assert np.array_equal(y1.asnumpy(), keep)


def test_convolution_second_order_gradient():
    """d/dw of <dL/dx, v> where L = <conv(x, w), u>: dL/dx is linear in w, so the
    second derivative is the weight gradient of the convolution of v against u."""
    rng = np.random.default_rng(8)
    x, w = _rand(rng, 2, 2, 5, 5), _rand(rng, 3, 2, 3, 3)
    u, v = _rand(rng, 2, 3, 3, 3), _rand(rng, 2, 2, 5, 5)
    attrs = dict(kernel=(3, 3), num_filter=3, no_bias=True)

    def inner(w_np, record_w=False):
        X = nd.array(x, dtype='float64')
        W = nd.array(w_np, dtype='float64')
        X.attach_grad()
        if record_w:
            W.attach_grad()
        with mx.autograd.record():
            y = nd.Convolution(X, W, **attrs)
            loss = y * nd.array(u, dtype='float64')
            dx = mx.autograd.grad(loss, [X], create_graph=True)[0]
            z = dx * nd.array(v, dtype='float64')
        return W, z

    W, z = inner(w, record_w=True)
    z.backward()
    eps = 1e-6
    numeric = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        wp, wm = w.copy(), w.copy()
        wp[idx] += eps
        wm[idx] -= eps
        numeric[idx] = (inner(wp)[1].asnumpy().sum() - inner(wm)[1].asnumpy().sum()) / (2 * eps)
    assert_almost_equal(W.grad, numeric, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ Deconvolution
DECONV_CONFIGS = [
    # data shape, num_filter, kernel, stride, pad, adj, dilate, groups
    ((2, 3, 4, 4), 2, (3, 3), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((2, 4, 3, 4), 6, (3, 2), (2, 2), (1, 0), (1, 1), (1, 1), 2),
    ((1, 2, 3, 3), 3, (3, 3), (2, 3), (2, 1), (0, 2), (2, 1), 1),
    ((2, 2, 5), 3, (4,), (2,), (1,), (0,), (1,), 1),
    ((1, 2, 2, 3, 2), 2, (2, 2, 2), (2, 1, 2), (0, 1, 0), (1, 0, 1), (1, 1, 1), 2),
]


@pytest.mark.parametrize('shape,nf,kernel,stride,pad,adj,dilate,groups', DECONV_CONFIGS)
def test_deconvolution_matches_reference(shape, nf, kernel, stride, pad, adj, dilate, groups):
    rng = np.random.default_rng(9)
    x = _rand(rng, *shape)
    w = _rand(rng, shape[1], nf // groups, *kernel)
    b = _rand(rng, nf)
    y = nd.Deconvolution(nd.array(x), nd.array(w), nd.array(b), kernel=kernel, stride=stride,
                         pad=pad, adj=adj, dilate=dilate, num_filter=nf, num_group=groups,
                         no_bias=False)
    assert_almost_equal(y, ref_deconv(x, w, b, stride, pad, dilate, adj, groups), rtol=1e-4,
                        atol=1e-5)


def test_deconvolution_mxnet_values():
    # recorded from MXNet 1.9.1 (x = [1, 2, 3, 4], w = [1, 10, 100], stride 2)
    x = nd.array([[[[1, 2, 3, 4]]]])
    w = nd.array([[[[1, 10, 100]]]])
    kw = dict(kernel=(1, 3), stride=(1, 2), num_filter=1)
    full = [1, 10, 102, 20, 203, 30, 304, 40, 400]
    assert nd.Deconvolution(x, w, **kw).asnumpy().ravel().tolist() == full
    assert nd.Deconvolution(x, w, adj=(0, 1), **kw).asnumpy().ravel().tolist() == full + [0]
    assert nd.Deconvolution(x, w, pad=(0, 1), adj=(0, 1), **kw).asnumpy().ravel().tolist() \
        == full[1:]
    assert nd.Deconvolution(x, w, target_shape=(1, 8), **kw).asnumpy().ravel().tolist() \
        == full[1:]
    assert nd.Deconvolution(x, w, target_shape=(1, 7), **kw).asnumpy().ravel().tolist() \
        == full[1:-1]


def test_deconvolution_is_the_adjoint_of_convolution():
    rng = np.random.default_rng(10)
    x, w, u = _rand(rng, 2, 3, 7, 6), _rand(rng, 4, 3, 3, 3), _rand(rng, 2, 4, 4, 3)
    attrs = dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))
    y = nd.Convolution(nd.array(x), nd.array(w), num_filter=4, no_bias=True, **attrs)
    z = nd.Deconvolution(nd.array(u), nd.array(w), num_filter=3, adj=(0, 1), **attrs)
    assert z.shape == x.shape
    assert np.isclose((y.asnumpy() * u).sum(), (x * z.asnumpy()).sum(), rtol=1e-4)


def test_deconvolution_default_has_no_bias():
    x, w = nd.ones((1, 1, 2, 2)), nd.ones((1, 1, 2, 2))
    assert nd.Deconvolution(x, w, kernel=(2, 2), num_filter=1).shape == (1, 1, 3, 3)
    with pytest.raises(mx.MXNetError, match='Deconvolution.*no_bias=True'):
        nd.Deconvolution(x, w, nd.ones(1), kernel=(2, 2), num_filter=1)


# ------------------------------------------------------------------ Pooling
POOL_CONFIGS = [
    # data shape, kernel, stride, pad, full convention
    ((2, 3, 7, 7), (2, 2), (2, 2), (0, 0), False),
    ((2, 3, 7, 7), (3, 3), (2, 2), (1, 1), False),
    ((1, 2, 7, 6), (3, 2), (2, 3), (1, 0), True),
    ((1, 2, 6, 6), (2, 2), (2, 2), (1, 1), True),
    ((2, 2, 9), (3,), (2,), (1,), False),
    ((1, 2, 4, 5, 4), (2, 3, 2), (2, 1, 2), (0, 1, 1), True),
    ((1, 2, 4, 4), (2, 2), (1, 1), (0, 0), False),
]


@pytest.mark.parametrize('pool_type', ['max', 'avg', 'sum'])
@pytest.mark.parametrize('shape,kernel,stride,pad,full', POOL_CONFIGS)
def test_pooling_matches_reference(shape, kernel, stride, pad, full, pool_type):
    x = _rand(np.random.default_rng(11), *shape)
    conv = 'full' if full else 'valid'
    y = nd.Pooling(nd.array(x), kernel=kernel, stride=stride, pad=pad, pool_type=pool_type,
                   pooling_convention=conv)
    assert_almost_equal(y, ref_pool(x, kernel, stride, pad, pool_type, full), rtol=1e-5,
                        atol=1e-6)
    if pool_type == 'avg':
        y = nd.Pooling(nd.array(x), kernel=kernel, stride=stride, pad=pad, pool_type='avg',
                       pooling_convention=conv, count_include_pad=False)
        assert_almost_equal(y, ref_pool(x, kernel, stride, pad, 'avg', full, False),
                            rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('p', [1, 2, 3])
def test_lp_pooling_matches_reference(p):
    x = np.random.default_rng(12).uniform(0.1, 1, size=(2, 2, 5, 5))
    y = nd.Pooling(nd.array(x), kernel=(2, 2), stride=(1, 2), pool_type='lp', p_value=p)
    assert_almost_equal(y, ref_pool(x, (2, 2), (1, 2), (0, 0), 'lp', p=p), rtol=1e-5)


def test_pooling_mxnet_values():
    # recorded from MXNet 1.9.1 on arange(49) as 1x1x7x7, kernel 3, stride 2, pad 1
    x = nd.arange(49).reshape((1, 1, 7, 7))
    kw = dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
              pooling_convention='full')
    expected = [[16 / 9, 3.6667, 5, 4], [9.6667, 16, 18, 13], [19, 30, 32, 22.3333],
                [17.3333, 27, 28.3333, 19.5556]]
    assert_almost_equal(nd.Pooling(x, **kw)[0, 0], np.array(expected), rtol=1e-4)
    expected = [[4, 5.5, 7.5, 9], [14.5, 16, 18, 19.5], [28.5, 30, 32, 33.5],
                [39, 40.5, 42.5, 44]]
    assert_almost_equal(nd.Pooling(x, count_include_pad=False, **kw)[0, 0], np.array(expected))
    # 'full' rounds up without dropping a last window that starts in the padding
    assert nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pad=(1, 1),
                      pooling_convention='full').shape == (1, 1, 5, 5)
    # stride defaults to 1, not to the kernel
    assert nd.Pooling(x, kernel=(2, 2)).shape == (1, 1, 6, 6)


def test_global_pooling():
    x = _rand(np.random.default_rng(13), 2, 3, 4, 5)
    X = nd.array(x)
    assert_almost_equal(nd.Pooling(X, global_pool=True)[:, :, 0, 0], x.max(axis=(2, 3)))
    # kernel, stride and pad are ignored
    y = nd.Pooling(X, kernel=(2, 2), pad=(1, 1), global_pool=True, pool_type='avg')
    assert y.shape == (2, 3, 1, 1)
    assert_almost_equal(y[:, :, 0, 0], x.mean(axis=(2, 3)), rtol=1e-5)
    assert nd.Pooling(nd.ones((2, 3, 5)), global_pool=True).shape == (2, 3, 1)


def test_max_pooling_gradient_goes_to_first_maximum():
    # recorded from MXNet 1.9.1: a tie sends the whole gradient to the first element
    x = nd.ones((1, 1, 3, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Pooling(x, kernel=(2, 2))
    y.backward()
    assert x.grad.asnumpy()[0, 0].tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    x = nd.ones((1, 1, 2, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Pooling(x, global_pool=True)
    y.backward()
    assert x.grad.asnumpy()[0, 0].tolist() == [[1, 0], [0, 0]]


def test_avg_pooling_gradient_spreads_evenly():
    x = nd.zeros((1, 1, 4, 4))
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    y.backward(nd.array([[[[4, 8], [12, 16]]]]))
    g = x.grad.asnumpy()[0, 0]
    assert g[:2, :2].tolist() == [[1, 1], [1, 1]] and g[2:, 2:].tolist() == [[4, 4], [4, 4]]


def test_pooling_dtypes():
    x = np.arange(32).reshape(1, 2, 4, 4)
    y = nd.Pooling(nd.array(x, dtype='int32'), kernel=(2, 2), stride=(2, 2))
    assert y.dtype == np.int32 and y.asnumpy()[0, 0].tolist() == [[5, 7], [13, 15]]
    y = nd.Pooling(nd.array(x, dtype='float64'), kernel=(2, 2), pool_type='avg')
    assert y.dtype == np.float64
    with pytest.raises(mx.MXNetError, match='avg pooling needs floating-point data'):
        nd.Pooling(nd.array(x, dtype='int32'), kernel=(2, 2), pool_type='avg')


def test_same_convention_one_axis():
    x = nd.array([[[1, 5, 2, 4, 3, 0, 6]]])
    y = nd.Pooling(x, kernel=(3,), stride=(2,), pooling_convention='same')
    # TensorFlow's SAME: ceil(7 / 2) = 4 windows, one padding element on each side
    assert y.asnumpy().ravel().tolist() == [5, 5, 4, 6]


# ------------------------------------------------------------------ errors
def _raises(fn, *fragments):
    with pytest.raises(mx.MXNetError) as info:
        fn()
    for f in fragments:
        assert f in str(info.value), f'{f!r} not in {info.value}'


def test_convolution_errors():
    x, w, b = nd.ones((2, 4, 7, 7)), nd.ones((6, 4, 3, 3)), nd.ones(6)
    C = nd.Convolution
    _raises(lambda: C(x, nd.ones((6, 4, 2, 2)), b, kernel=(3, 3), num_filter=6),
            'Convolution', '[6,4,2,2]', '[6,4,3,3]', '[2,4,7,7]')
    _raises(lambda: C(x, w, nd.ones(5), kernel=(3, 3), num_filter=6), 'Convolution', '[5]')
    _raises(lambda: C(x, nd.ones((6, 4, 9, 9)), b, kernel=(9, 9), num_filter=6),
            'Convolution', 'larger than the padded input', '[2,4,7,7]')
    _raises(lambda: C(x, w, b, kernel=(3, 3), dilate=(4, 4), num_filter=6),
            'Convolution', 'dilated to (9, 9)')
    _raises(lambda: C(x, nd.ones((6, 1, 3, 3)), b, kernel=(3, 3), num_filter=6, num_group=3),
            'Convolution', 'num_group=3', '[2,4,7,7]')
    _raises(lambda: C(nd.ones((2, 4, 7)), w, b, kernel=(3, 3), num_filter=6),
            'Convolution', '4-D data', '[2,4,7]')
    _raises(lambda: C(x, w, b, num_filter=6), 'Convolution', 'kernel')
    _raises(lambda: C(x, w, b, kernel=(3, 3)), 'Convolution', 'num_filter')
    _raises(lambda: C(x, w, kernel=(3, 3), num_filter=6), 'Convolution', 'no_bias=False')
    _raises(lambda: C(x, w, b, kernel=(3, 3), num_filter=6, no_bias=True), 'no_bias=True')
    _raises(lambda: C(x, w, b, kernel=(3, 3), stride=(2,), num_filter=6), 'stride=(2,)')
    _raises(lambda: C(x, w, b, kernel=(3, 3), stride=(0, 0), num_filter=6), 'stride=(0, 0)')
    _raises(lambda: C(x.astype('float64'), w, b, kernel=(3, 3), num_filter=6),
            'Convolution', 'float64', 'float32')
    _raises(lambda: C(x, w, b, kernel=(3, 3), num_filter=6, layout='NWC'), 'NWC')


def test_deconvolution_errors():
    x, w = nd.ones((2, 4, 5, 5)), nd.ones((4, 6, 3, 3))
    D = nd.Deconvolution
    _raises(lambda: D(x, nd.ones((6, 4, 3, 3)), kernel=(3, 3), num_filter=6),
            'Deconvolution', '[6,4,3,3]', '[4,6,3,3]')
    _raises(lambda: D(x, w, kernel=(3, 3), stride=(2, 2), adj=(2, 2), num_filter=6),
            'Deconvolution', 'adj (2, 2)', 'stride (2, 2)')
    _raises(lambda: D(x, w, kernel=(3, 3), stride=(2, 2), target_shape=(12, 12), num_filter=6),
            'Deconvolution', '(12, 12)', '(11, 11)')
    _raises(lambda: D(x, nd.ones((4, 2, 3, 3)), kernel=(3, 3), num_filter=6, num_group=3),
            'Deconvolution', 'num_group=3', '[2,4,5,5]')
    _raises(lambda: D(x, w, kernel=(3, 3), pad=(4, 4), num_filter=6), 'empty')


def test_pooling_errors():
    x = nd.ones((2, 3, 7, 7))
    P = nd.Pooling
    _raises(lambda: P(x, kernel=(8, 8)), 'Pooling', 'larger than the padded input',
            '[2,3,7,7]')
    _raises(lambda: P(x), 'Pooling', 'kernel')
    _raises(lambda: P(x, kernel=(2,)), 'Pooling', '[2,3,7,7]')
    _raises(lambda: P(nd.ones((2, 3)), kernel=(2,)), 'Pooling', '[2,3]')
    _raises(lambda: P(x, kernel=(2, 2), pool_type='foo'), 'Pooling', "'foo'")
    _raises(lambda: P(x, kernel=(2, 2), pool_type='lp'), 'Pooling', 'p_value')
    _raises(lambda: P(x, kernel=(2, 2), stride=(0, 0)), 'stride=(0, 0)')
    _raises(lambda: P(x, kernel=(2, 2), pooling_convention='same'), "'same'", '1-D')


def test_fully_connected_errors():
    x = nd.ones((2, 3, 4))
    F = nd.FullyConnected
    _raises(lambda: F(x, nd.ones((5, 4)), nd.ones(5), num_hidden=5),
            'FullyConnected', '[5,4]', '[5,12]', '[2,3,4]')
    _raises(lambda: F(x, nd.ones((5, 12)), nd.ones(4), num_hidden=5), 'FullyConnected', '[4]')
    _raises(lambda: F(x, nd.ones((5, 12)), nd.ones(5)), 'FullyConnected', 'num_hidden')
    _raises(lambda: F(x, nd.ones((5, 12)), nd.ones(5), num_hidden=4), '[4,12]')
    _raises(lambda: F(x, nd.ones((5, 12)), num_hidden=5), 'no_bias=False')
    _raises(lambda: F(x.astype('float64'), nd.ones((5, 12)), nd.ones(5), num_hidden=5),
            'float64', 'float32')


# ------------------------------------------------------------------ shape inference
def test_param_shapes():
    """The registry's param_shapes, as Gluon calls it: the data shape and the
    attributes the layer passes (defaults filled in by the function)."""
    from d2lmini.ops import registry

    def shapes(name, data_shape, **attrs):
        return registry.get(name).param_shapes(data_shape, **attrs)

    assert shapes('FullyConnected', (8, 3, 4), num_hidden=5) == {'weight': (5, 12),
                                                                 'bias': (5,)}
    assert shapes('FullyConnected', (8, 3, 4), num_hidden=5, flatten=False,
                  no_bias=True) == {'weight': (5, 4)}
    assert shapes('Convolution', (8, 4, 9, 9), kernel=(3, 2), num_filter=6,
                  num_group=2) == {'weight': (6, 2, 3, 2), 'bias': (6,)}
    assert shapes('Deconvolution', (8, 4, 9, 9), kernel=(3, 3), num_filter=6,
                  num_group=2) == {'weight': (4, 3, 3, 3)}
    assert shapes('Deconvolution', (8, 4, 9), kernel=(3,), num_filter=6,
                  no_bias=False)['bias'] == (6,)
    with pytest.raises(mx.MXNetError, match='num_group'):
        shapes('Convolution', (8, 4, 9, 9), kernel=(3, 3), num_filter=6, num_group=3)
    with pytest.raises(mx.MXNetError, match='num_hidden'):
        shapes('FullyConnected', (8, 3))
    with pytest.raises(mx.MXNetError, match=r'4-D data.*\[8,4\]'):
        shapes('Convolution', (8, 4), kernel=(3, 3), num_filter=2)


def test_infer_shape_without_weights():
    from d2lmini.ops import registry
    cases = [
        ('FullyConnected', (8, 3, 4), dict(num_hidden=5)),
        ('FullyConnected', (8, 3, 4), dict(num_hidden=5, flatten=False)),
        ('Convolution', (2, 4, 9, 8), dict(kernel=(3, 2), stride=(2, 3), pad=(1, 2),
                                           num_filter=6, num_group=2)),
        ('Convolution', (2, 3, 11), dict(kernel=(3,), dilate=(2,), num_filter=4)),
        ('Deconvolution', (2, 4, 3, 4), dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0),
                                             adj=(1, 1), num_filter=6)),
        ('Deconvolution', (2, 4, 5, 5), dict(kernel=(3, 3), stride=(2, 2),
                                             target_shape=(10, 9), num_filter=6)),
        ('Pooling', (2, 3, 7, 7), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                       pooling_convention='full')),
    ]
    for name, data_shape, attrs in cases:
        op = registry.get(name)
        shape = op.infer_shape([data_shape, None, None][:len(op.inputs)], **attrs)
        params = op.param_shapes(data_shape, **attrs) if op.param_shapes else {}
        inputs = [nd.ones(data_shape)] + [nd.ones(params[k]) for k in ('weight', 'bias')
                                          if k in params]
        actual = getattr(nd, name)(*inputs, **attrs).shape
        assert shape == [actual], (name, shape, actual)


# ------------------------------------------------------------------ GPU
@pytest.mark.gpu
@pytest.mark.parametrize('name,shapes,attrs', [
    ('Convolution', [(16, 8, 12, 12), (8, 4, 3, 3), (8,)],
     dict(kernel=(3, 3), pad=(1, 1), num_filter=8, num_group=2)),
    ('Convolution', [(16, 3, 13, 11), (6, 3, 5, 3), (6,)],
     dict(kernel=(5, 3), stride=(2, 2), dilate=(1, 2), num_filter=6)),
    ('Deconvolution', [(8, 6, 5, 5), (6, 4, 4, 4)],
     dict(kernel=(4, 4), stride=(2, 2), pad=(1, 1), num_filter=4)),
    ('Pooling', [(16, 8, 12, 12)], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ('Pooling', [(16, 8, 12, 12)], dict(kernel=(2, 2), stride=(2, 2), pool_type='avg')),
    ('FullyConnected', [(32, 8, 5, 5), (10, 200), (10,)], dict(num_hidden=10)),
])
def test_gpu_matches_cpu(name, shapes, attrs):
    """Whole batches on the GPU (one chunk) against the chunked CPU path."""
    rng = np.random.default_rng(15)
    values = [(rng.permutation(int(np.prod(s))) / np.prod(s) - 0.5).reshape(s) for s in shapes]

    def run(ctx):
        xs = [nd.array(v, ctx=ctx) for v in values]
        for a in xs:
            a.attach_grad()
        with mx.autograd.record():
            y = getattr(nd, name)(*xs, **attrs)
        y.backward(nd.array(np.cos(np.arange(y.size)).reshape(y.shape), ctx=ctx))
        return [y.asnumpy()] + [a.grad.asnumpy() for a in xs]

    for gpu, cpu in zip(run(mx.gpu(0)), run(mx.cpu())):
        assert_almost_equal(gpu, cpu, rtol=1e-3, atol=1e-4, names=('gpu', 'cpu'))


def test_float16_convolution_is_the_float32_one_rounded():
    # a float16 convolution gives the float32 convolution's values rounded to float16
    # (the CPU multiplies in float32), and float16 gradients
    rng = np.random.RandomState(0)
    # 64 channels: each output sums 576 products
    x32 = rng.rand(2, 64, 6, 6).astype(np.float32)
    w32 = (rng.rand(4, 64, 3, 3) * 0.2).astype(np.float32)
    x, w = mx.nd.array(x32, dtype='float16'), mx.nd.array(w32, dtype='float16')
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=4, no_bias=True)
    y.backward()
    exact = mx.nd.Convolution(x.astype('float32'), w.astype('float32'), kernel=(3, 3),
                              num_filter=4, no_bias=True).asnumpy()
    assert y.dtype == np.float16 and x.grad.dtype == np.float16 and w.grad.dtype == np.float16
    np.testing.assert_array_equal(y.asnumpy(), exact.astype(np.float16))
