"""MXNet's contributed operators (``mx.nd.contrib.X``, registered as ``_contrib_X``):
element tests (``isinf``, ``isnan``, ``isfinite``), bilinear resizing, ``arange_like``,
and ``index_copy``. (``boolean_mask``, whose output shape depends on the values of
its input, is with the other indexing operators in :mod:`d2lmini.ops.indexing`.)

>>> import d2lmini as mx
>>> mx.nd.contrib.isnan(mx.nd.array([1, float('nan')]))
<BLANKLINE>
[0. 1.]
<NDArray 2 @cpu(0)>
"""
import numpy as np

from ..base import MXNetError, shape_str
from .elemwise import c_cast
from .registry import register


# ------------------------------------------------------------------ element tests
def _test(name, fn, what):
    def forward(xp, data):
        return fn(xp, data).astype(data.dtype)
    forward.__doc__ = (f'1 where ``data`` is {what}, else 0, in the dtype of ``data``.\n\n'
                       f'>>> import d2lmini as mx\n'
                       f'>>> mx.nd.contrib.{name}(mx.nd.array([1, float("inf"), float("nan")]))'
                       f'.asnumpy().tolist()\n'
                       f'{[float(v) for v in fn(np, np.array([1, np.inf, np.nan]))]}\n')
    register(f'_contrib_{name}', forward, no_grad=True)


_test('isinf', lambda xp, d: xp.isinf(d), 'infinite (either sign)')
_test('isnan', lambda xp, d: xp.isnan(d), 'NaN')
_test('isfinite', lambda xp, d: xp.isfinite(d), 'finite (neither infinite nor NaN)')


# ------------------------------------------------------------------ BilinearResize2D
def _weights(xp, n_in, n_out, align_corners, dtype):
    """The ``(n_out, n_in)`` matrix of bilinear interpolation along one axis. With
    ``align_corners`` the first and last samples of both grids coincide (source
    position ``i (n_in - 1) / (n_out - 1)``); without, pixel centres are aligned
    (``(i + 0.5) n_in / n_out - 0.5``, clipped at 0)."""
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((i + 0.5) * (n_in / n_out) - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo
    w = np.zeros((n_out, n_in))
    np.add.at(w, (np.arange(n_out), lo), 1 - frac)
    np.add.at(w, (np.arange(n_out), hi), frac)
    return xp.asarray(w.astype(dtype))


# MXNet's modes that round each side to an even or odd size
_PARITY_MODES = {
    'to_even_down': lambda n: n if n % 2 == 0 else n - 1,
    'to_even_up': lambda n: n if n % 2 == 0 else n + 1,
    'to_odd_down': lambda n: n if n % 2 == 1 else n - 1,
    'to_odd_up': lambda n: n if n % 2 == 1 else n + 1,
}


def _out_size(data_shape, like_shape, height, width, scale_height, scale_width, mode):
    h, w = data_shape[2], data_shape[3]
    if mode == 'like':
        if like_shape is None:
            raise MXNetError('operator BilinearResize2D: mode="like" needs a second input, like')
        return like_shape[2], like_shape[3]
    if mode in _PARITY_MODES:
        return _PARITY_MODES[mode](h), _PARITY_MODES[mode](w)
    if mode == 'odd_scale':
        if scale_height is None or scale_width is None:
            raise MXNetError('operator BilinearResize2D: mode="odd_scale" needs scale_height '
                             'and scale_width')
        # an odd size keeps its end pixels aligned: (n - 1) * scale + 1
        out_h = int(h * scale_height) if h % 2 == 0 else int((h - 1) * scale_height) + 1
        out_w = int(w * scale_width) if w % 2 == 0 else int((w - 1) * scale_width) + 1
    elif mode == 'size':
        out_h = int(h * scale_height) if scale_height is not None else int(height)
        out_w = int(w * scale_width) if scale_width is not None else int(width)
    else:
        raise MXNetError(f'operator BilinearResize2D: mode={mode!r} is not supported; choose '
                         'one of "size", "like", "odd_scale", '
                         + ', '.join(f'"{m}"' for m in _PARITY_MODES))
    if out_h < 1 or out_w < 1:
        raise MXNetError(f'operator BilinearResize2D: output size ({out_h}, {out_w}) is empty')
    return out_h, out_w


def _resize(xp, data, out_h, out_w, align_corners):
    wh = _weights(xp, data.shape[2], out_h, align_corners, data.dtype)
    ww = _weights(xp, data.shape[3], out_w, align_corners, data.dtype)
    return xp.matmul(xp.matmul(wh, data), ww.T)


def _bilinear_resize(xp, data, like=None, height=1, width=1, scale_height=None,
                     scale_width=None, mode='size', align_corners=True):
    """Resize the images of ``data`` (``(N, C, H, W)``) by bilinear interpolation to
    ``height`` x ``width``, to ``H * scale_height`` x ``W * scale_width``, or (with
    ``mode='like'``) to the size of the second input ``like``; MXNet's other modes
    make each side even or odd (``'to_even_down'``, ``'to_even_up'``,
    ``'to_odd_down'``, ``'to_odd_up'``) or scale an odd side as ``(n - 1) * scale + 1``
    (``'odd_scale'``). With
    ``align_corners=True`` (MXNet's default) the corner pixels of input and output
    coincide.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[[[0, 2]]]])
    >>> mx.nd.contrib.BilinearResize2D(x, height=1, width=3)
    <BLANKLINE>
    [[[[0. 1. 2.]]]]
    <NDArray 1x1x1x3 @cpu(0)>
    """
    if data.ndim != 4:
        raise MXNetError(f'operator BilinearResize2D: data must be (N, C, H, W), got '
                         f'{shape_str(data.shape)}')
    out_h, out_w = _out_size(data.shape, None if like is None else like.shape, height, width,
                             scale_height, scale_width, mode)
    return _resize(xp, data, out_h, out_w, align_corners)


def _bilinear_shape(in_shapes, height=1, width=1, scale_height=None, scale_width=None,
                    mode='size', **attrs):
    data = tuple(in_shapes[0])
    like = in_shapes[1] if len(in_shapes) > 1 else None
    return [data[:2] + _out_size(data, like, height, width, scale_height, scale_width, mode)]


def _bilinear_grad(F, dy, x, y, align_corners, **attrs):
    grads = [F._backward_contrib_BilinearResize2D(dy, x[0], align_corners=align_corners)]
    return grads + [F.zeros_like(v) for v in x[1:]]


register('_contrib_BilinearResize2D', _bilinear_resize, backward=_bilinear_grad,
         inputs=('data', 'like'), infer_shape=_bilinear_shape,
         optional_inputs=lambda attrs: ('data', 'like') if attrs['mode'] == 'like'
         else ('data',))


def _bilinear_adjoint(xp, dy, data, align_corners=True):
    """The gradient of ``BilinearResize2D``: ``dy`` (the resized size) carried back to
    the size of ``data`` by the transposed interpolation."""
    wh = _weights(xp, data.shape[2], dy.shape[2], align_corners, dy.dtype)
    ww = _weights(xp, data.shape[3], dy.shape[3], align_corners, dy.dtype)
    return xp.matmul(xp.matmul(wh.T, dy), ww)


register('_backward_contrib_BilinearResize2D', _bilinear_adjoint, inputs=('dy', 'data'),
         infer_shape=lambda in_shapes, **attrs: [tuple(in_shapes[1])],
         # linear in dy: its derivative is the resize itself
         backward=lambda F, ddx, x, y, align_corners: [
             F._contrib_BilinearResize2D(ddx, height=x[0].shape[2], width=x[0].shape[3],
                                         align_corners=align_corners),
             F.zeros_like(x[1])])


# ------------------------------------------------------------------ arange_like
def _arange_like(xp, data, start=0.0, step=1.0, repeat=1, ctx='', axis=None):
    """Evenly spaced values (``start``, ``start + step``, ..., each ``repeat`` times)
    with the shape of ``data`` (or, with ``axis``, the length of that axis), in the
    dtype of ``data``.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.arange_like(mx.nd.zeros((2, 3)), start=1, axis=1)
    <BLANKLINE>
    [1. 2. 3.]
    <NDArray 3 @cpu(0)>
    """
    shape = _arange_like_shape(data.shape, axis)
    n = int(np.prod(shape))
    values = start + step * (xp.arange(n, dtype=np.float64) // int(repeat))
    return values.reshape(shape).astype(data.dtype)


def _arange_like_shape(data_shape, axis):
    """The shape of arange_like's output: ``data``'s, or the length of ``axis``."""
    if axis is None:
        return tuple(data_shape)
    if not -len(data_shape) <= axis < len(data_shape):
        raise MXNetError(f'operator arange_like: axis={axis} is out of range for data of '
                         f'shape {shape_str(data_shape)}')
    return (data_shape[axis],)


register('_contrib_arange_like', _arange_like, no_grad=True,
         infer_shape=lambda in_shapes, axis=None, **attrs: [
             _arange_like_shape(in_shapes[0], axis)])


# ------------------------------------------------------------------ index_copy
def _index_copy(xp, old_tensor, index_vector, new_tensor):
    """A copy of ``old_tensor`` whose rows ``index_vector[i]`` are replaced by the
    rows ``new_tensor[i]``.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.index_copy(mx.nd.zeros((3, 2)), mx.nd.array([2]), mx.nd.ones((1, 2)))
    <BLANKLINE>
    [[0. 0.]
     [0. 0.]
     [1. 1.]]
    <NDArray 3x2 @cpu(0)>
    """
    if index_vector.ndim != 1 or new_tensor.shape != (index_vector.shape[0],) + \
            old_tensor.shape[1:]:
        raise MXNetError(f'operator index_copy: new_tensor {shape_str(new_tensor.shape)} must '
                         f'hold one row of old_tensor {shape_str(old_tensor.shape)} per index '
                         f'of index_vector {shape_str(index_vector.shape)}')
    out = old_tensor.copy()
    out[index_vector.astype(np.int64)] = new_tensor
    return out


def _index_copy_grad(F, dy, x, y):
    old, index, new = x
    # the replaced rows of old get nothing; new gets the gradient of the rows it filled
    kept = F._contrib_index_copy(F.ones_like(old), index, F.zeros_like(new))
    return [dy * kept, F.zeros_like(index), F.take(dy, index, axis=0)]


register('_contrib_index_copy', _index_copy, backward=_index_copy_grad,
         inputs=('old_tensor', 'index_vector', 'new_tensor'))


# ------------------------------------------------------------------ AdaptiveAvgPooling2D
def _adaptive_size(data_shape, output_size):
    """``(height, width)`` of the output: ``output_size`` is empty (1 x 1), one
    number (a square) or two."""
    size = () if output_size is None else (
        (output_size,) if isinstance(output_size, int) else tuple(output_size))
    # MXNet 1.x reads a longer tuple without complaint and makes a meaningless shape
    if len(size) > 2 or any(int(n) < 0 for n in size):
        raise MXNetError(f'operator AdaptiveAvgPooling2D: output_size must be one or two '
                         f'non-negative numbers (height, width), got {output_size}')
    if len(size) == 0:
        return 1, 1
    return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))


def _adaptive_weights(xp, n_in, n_out, dtype):
    """The ``(n_out, n_in)`` averaging matrix: output ``i`` averages inputs
    ``floor(i n_in / n_out)`` to ``ceil((i + 1) n_in / n_out)`` (exclusive)."""
    w = np.zeros((n_out, n_in))
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        w[i, lo:hi] = 1.0 / (hi - lo)
    return xp.asarray(w.astype(dtype))


def _adaptive_avg_pool(xp, data, output_size=()):
    """Average pooling of NCHW ``data`` to a fixed ``output_size`` (``(h, w)``, one
    number for a square, empty for 1 x 1): output pixel ``(i, j)`` averages the
    input rows ``floor(i H / h)`` to ``ceil((i + 1) H / h)`` and likewise for columns.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(6).reshape((1, 1, 2, 3))
    >>> mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=(1, 2))
    <BLANKLINE>
    [[[[2. 3.]]]]
    <NDArray 1x1x1x2 @cpu(0)>
    """
    if data.ndim != 4:
        raise MXNetError(f'operator AdaptiveAvgPooling2D: data must be (N, C, H, W), got '
                         f'{shape_str(data.shape)}')
    oh, ow = _adaptive_size(data.shape, output_size)
    wh = _adaptive_weights(xp, data.shape[2], oh, data.dtype)
    ww = _adaptive_weights(xp, data.shape[3], ow, data.dtype)
    return xp.matmul(xp.matmul(wh, data), ww.T)


register('_contrib_AdaptiveAvgPooling2D', _adaptive_avg_pool, attr_types={'output_size': 'shape'},
         infer_shape=lambda s, output_size=(), **a: [
             tuple(s[0][:2]) + _adaptive_size(s[0], output_size)],
         backward=lambda F, dy, x, y, output_size=(): [
             F._backward_contrib_AdaptiveAvgPooling2D(dy, x[0])])


def _adaptive_avg_pool_adjoint(xp, dy, data):
    """The gradient of ``AdaptiveAvgPooling2D``: each output pixel's gradient shared
    equally by the input pixels it averaged (``data`` gives the shape only).

    >>> import d2lmini as mx
    >>> mx.nd._backward_contrib_AdaptiveAvgPooling2D(mx.nd.ones((1, 1, 1, 1)),
    ...                                              mx.nd.zeros((1, 1, 1, 2)))
    <BLANKLINE>
    [[[[0.5 0.5]]]]
    <NDArray 1x1x1x2 @cpu(0)>
    """
    wh = _adaptive_weights(xp, data.shape[2], dy.shape[2], dy.dtype)
    ww = _adaptive_weights(xp, data.shape[3], dy.shape[3], dy.dtype)
    return xp.matmul(xp.matmul(wh.T, dy), ww)


register('_backward_contrib_AdaptiveAvgPooling2D', _adaptive_avg_pool_adjoint,
         inputs=('dy', 'data'), infer_shape=lambda s, **a: [tuple(s[1])],
         # linear in dy: its derivative is the pooling itself
         backward=lambda F, ddx, x, y: [
             F._contrib_AdaptiveAvgPooling2D(ddx, output_size=tuple(x[0].shape[2:])),
             F.zeros_like(x[1])])


# ------------------------------------------------------------------ index_array
def _index_array(xp, data, axes=None):
    """The index of every element of ``data``: shape ``data.shape + (k,)``, int64,
    with the coordinates along ``axes`` (default: all, in order).

    >>> import d2lmini as mx
    >>> mx.nd.contrib.index_array(mx.nd.zeros((1, 2))).asnumpy().tolist()
    [[[0, 0], [0, 1]]]
    """
    nd_ = data.ndim
    axes = tuple(range(nd_)) if axes is None else (
        (axes,) if isinstance(axes, int) else tuple(axes))
    if not axes:    # a scalar has no coordinates: an empty index per element
        return xp.zeros(data.shape + (0,), dtype=np.int64)
    grids = xp.indices(data.shape, dtype=np.int64)
    return xp.stack([grids[a % nd_] for a in axes], axis=-1)


register('_contrib_index_array', _index_array, no_grad=True, attr_types={'axes': 'shape'},
         infer_shape=lambda s, axes=None, **a: [tuple(s[0]) + (
             len(s[0]) if axes is None else 1 if isinstance(axes, int) else len(axes),)],
         infer_type=lambda t, **a: [np.int64])


# ------------------------------------------------------------------ small elementwise ops
def _div_sqrt_dim(xp, data):
    """``data`` divided by the square root of its last axis's length (the scaling of
    dot-product attention).

    >>> import d2lmini as mx
    >>> mx.nd.contrib.div_sqrt_dim(mx.nd.ones((1, 4))).asnumpy().tolist()
    [[0.5, 0.5, 0.5, 0.5]]
    """
    if data.dtype.kind in 'iu':
        # as MXNet 1.x: the square root is truncated to the integer dtype too, and the
        # division is C's integer division, which truncates toward zero
        root = int(np.sqrt(data.shape[-1]))
        quotient = xp.where(data < 0, -(-data // root), data // root)
        return quotient.astype(data.dtype)
    return data / data.dtype.type(np.sqrt(data.shape[-1]))


register('_contrib_div_sqrt_dim', _div_sqrt_dim,
         backward=lambda F, dy, x, y: [dy / float(np.sqrt(x[0].shape[-1]))])


def _allclose(xp, a, b, rtol=1e-05, atol=1e-08, equal_nan=True):
    """1 (uint8, shape ``()``) when every ``|a - b| <= atol + rtol |b|``, else 0;
    NaNs compare equal with ``equal_nan``.

    >>> import d2lmini as mx
    >>> int(mx.nd.contrib.allclose(mx.nd.ones(3), mx.nd.ones(3) + 1e-9).asnumpy())
    1
    """
    if a.shape != b.shape:
        raise MXNetError(f'operator allclose: shapes {shape_str(a.shape)} and '
                         f'{shape_str(b.shape)} differ')
    ok = xp.all(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    return xp.asarray(ok, dtype=np.uint8).reshape(())


# MXNet registers no gradient for allclose (a gradient reaching it raises there)
register('_contrib_allclose', _allclose, inputs=('a', 'b'), no_grad=True,
         infer_shape=lambda s, **a: [()], infer_type=lambda t, **a: [np.uint8])


def _gradientmultiplier(xp, data, scalar=1.0, is_int=True):
    """The identity, whose gradient is multiplied by ``scalar`` (a negative scalar
    reverses the gradient, as in domain-adversarial training).

    >>> import d2lmini as mx
    >>> x = mx.nd.ones(2); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.contrib.gradientmultiplier(x, scalar=-2)
    >>> y.backward(); x.grad.asnumpy().tolist()
    [-2.0, -2.0]
    """
    return data.copy()


register('_contrib_gradientmultiplier', _gradientmultiplier,
         backward=lambda F, dy, x, y, scalar=1.0, is_int=True: [dy * float(scalar)])


def _quadratic(xp, data, a=0.0, b=0.0, c=0.0):
    """``a x^2 + b x + c`` elementwise.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.quadratic(mx.nd.array([1, 2]), a=1, b=2, c=3).asnumpy().tolist()
    [6.0, 11.0]
    """
    if data.dtype.kind in 'iub':
        # as MXNet 1.x: the float coefficients make the sum floating point, truncated
        # back to the integer dtype (quadratic(2, a=1.5) is 6, not 4)
        x = data.astype(np.float64)
        return c_cast(xp, a * x * x + b * x + c, data.dtype)
    t = data.dtype.type
    return t(a) * data * data + t(b) * data + t(c)


register('_contrib_quadratic', _quadratic,
         backward=lambda F, dy, x, y, a=0.0, b=0.0, c=0.0: [dy * (x[0] * (2.0 * a) + b)])


def _round_ste(xp, data):
    """Rounding (halves away from zero) whose gradient is passed straight through,
    as if it were the identity (a straight-through estimator).

    >>> import d2lmini as mx
    >>> mx.nd.contrib.round_ste(mx.nd.array([-1.5, 0.4, 2.5])).asnumpy().tolist()
    [-2.0, 0.0, 3.0]
    """
    return (xp.sign(data) * xp.floor(xp.abs(data) + 0.5)).astype(data.dtype)


def _sign_ste(xp, data):
    """The sign (-1, 0 or 1) whose gradient is passed straight through, as if it were
    the identity (a straight-through estimator).

    >>> import d2lmini as mx
    >>> mx.nd.contrib.sign_ste(mx.nd.array([-1.5, 0, 2.5])).asnumpy().tolist()
    [-1.0, 0.0, 1.0]
    """
    return xp.sign(data)


register('_contrib_round_ste', _round_ste, backward=lambda F, dy, x, y: [dy * 1])
register('_contrib_sign_ste', _sign_ste, backward=lambda F, dy, x, y: [dy * 1])
