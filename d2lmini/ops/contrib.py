"""MXNet's contributed operators (``mx.nd.contrib.X``, registered as ``_contrib_X``):
element tests (``isinf``, ``isnan``, ``isfinite``), bilinear resizing, ``arange_like``,
and ``index_copy``. (``boolean_mask``, whose output shape depends on the values of
its input, is written in Python over ``take`` in :mod:`d2lmini.contrib.ndarray`.)

>>> import d2lmini as mx
>>> mx.nd.contrib.isnan(mx.nd.array([1, float('nan')]))
<BLANKLINE>
[0. 1.]
<NDArray 2 @cpu(0)>
"""
import numpy as np

from ..base import MXNetError, shape_str
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


def _out_size(data_shape, like_shape, height, width, scale_height, scale_width, mode):
    h, w = data_shape[2], data_shape[3]
    if mode == 'like':
        if like_shape is None:
            raise MXNetError('operator BilinearResize2D: mode="like" needs a second input, like')
        return like_shape[2], like_shape[3]
    if mode != 'size':
        raise MXNetError(f'operator BilinearResize2D: mode={mode!r} is not supported here; use '
                         '"size" (height/width or scale_height/scale_width) or "like"')
    out_h = int(h * scale_height) if scale_height is not None else int(height)
    out_w = int(w * scale_width) if scale_width is not None else int(width)
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
    ``mode='like'``) to the size of the second input ``like``. With
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
    shape = data.shape if axis is None else (data.shape[axis],)
    n = int(np.prod(shape))
    values = start + step * (xp.arange(n, dtype=np.float64) // int(repeat))
    return values.reshape(shape).astype(data.dtype)


register('_contrib_arange_like', _arange_like, no_grad=True,
         infer_shape=lambda in_shapes, axis=None, **attrs: [
             tuple(in_shapes[0]) if axis is None else (in_shapes[0][axis],)])


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
