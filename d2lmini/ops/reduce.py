"""Reductions (``sum``, ``mean``, ``max`` ...), ``norm``, ``argmax`` and the softmax family.

A reduction collapses the axes named by ``axis`` (an int, a tuple, or ``None`` for
all of them; ``exclude=True`` collapses every axis *except* those). The collapsed
axes are dropped, or kept with size 1 when ``keepdims=True``; a result with no axes
left has shape ``(1,)``, never ``()``, as everywhere in MXNet 1.x.

Backward rules spread the output gradient back over the collapsed axes: to every
element for ``sum``, divided by the count for ``mean``, and only to the elements
equal to the result for ``max``/``min`` (all of them when there are ties).
"""
import numpy as np

from ..base import MXNetError, shape_str
from .registry import register, zero_gradient


# ------------------------------------------------------------------ axes and shapes
def _is_int(a):
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def _axes(name, shape, axis, exclude=False):
    """The sorted tuple of axes that a reduction over ``axis`` collapses.

    ``None`` and ``()`` mean every axis (and then ``exclude`` is ignored, as in MXNet).
    Negative axes count from the end; an axis out of range or named twice is an error.
    """
    ndim = len(shape)
    if axis is None:
        return tuple(range(ndim))
    if _is_int(axis):
        given = (axis,)
    elif isinstance(axis, (tuple, list)):
        given = tuple(axis)
    else:
        given = (None,)  # rejected just below
    if not all(_is_int(a) for a in given):
        raise MXNetError(f'operator {name}: axis must be an int or a tuple of ints, '
                         f'got {axis!r}')
    if not given:
        return tuple(range(ndim))
    picked = []
    for a in given:
        if not -ndim <= a < ndim:
            raise MXNetError(f'operator {name}: axis {a} is out of range for an input of '
                             f'shape {shape_str(shape)}')
        a = int(a) % ndim
        if a in picked:
            raise MXNetError(f'operator {name}: axis {axis!r} names axis {a} twice')
        picked.append(a)
    if exclude:
        return tuple(i for i in range(ndim) if i not in picked)
    return tuple(sorted(picked))


def _kept_shape(shape, axes):
    """``shape`` with the collapsed ``axes`` set to 1 (the ``keepdims=True`` shape)."""
    return tuple(1 if i in axes else d for i, d in enumerate(shape))


def _out_shape(shape, axes, keepdims):
    if keepdims:
        return _kept_shape(shape, axes)
    return tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)


def _acc_dtype(dtype):
    """float16 has 11 bits of precision, so a long sum of it loses digits; ask for
    float32 accumulation explicitly (numpy does it anyway, not every array module does)."""
    return np.float32 if dtype == np.float16 else dtype


def _reduction(name, compute):
    """A forward for reduction ``name``: ``compute(xp, data, axes)`` reduces with
    ``keepdims=True``; this wrapper checks the axes, shapes the result and keeps the
    input's dtype (numpy would widen ``int32`` sums to ``int64``)."""
    def forward(xp, data, axis=None, keepdims=False, exclude=False):
        if axis is None and not keepdims and data.size and data.dtype.kind == 'f':
            out = compute(xp, data, None).reshape(1)  # the common full reduction, fast
            return out if out.dtype == data.dtype else out.astype(data.dtype)
        axes = _axes(name, data.shape, axis, exclude)
        if not axes:  # exclude=True with every axis named: nothing to reduce
            return data.copy()
        out = compute(xp, data, axes)
        out = out.reshape(_out_shape(data.shape, axes, keepdims))
        return out if out.dtype == data.dtype else out.astype(data.dtype)
    forward.__name__ = name
    forward.__doc__ = compute.__doc__
    return forward


# ------------------------------------------------------------------ backward helpers
def _kept(F, g, x, axes):
    """``g`` (a reduction's output or gradient) reshaped to the ``keepdims=True``
    shape, so that it broadcasts against the input ``x``."""
    shape = _kept_shape(x.shape, axes)
    return g if g.shape == shape else F.reshape(g, shape=shape)


def _spread(F, g, x, axes):
    """Gradient ``g`` of a reduction copied back to every element of the input ``x``."""
    g = _kept(F, g, x, axes)
    return g if g.shape == x.shape else F.broadcast_to(g, shape=x.shape)


def _reduce_backward(rule):
    """A backward for a reduction from ``rule(F, dy, x, y, axes)``, which gets the
    single input ``x`` and the axes that were collapsed."""
    def backward(F, dy, x, y, axis, keepdims, exclude):
        data = x[0]
        axes = _axes('backward', data.shape, axis, exclude)
        if not axes:
            return [dy]
        return [rule(F, dy, data, y, axes)]
    return backward


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


# ------------------------------------------------------------------ sum, mean, prod ...
def _sum(xp, data, axes):
    """The sum over ``axis``.

    >>> import d2lmini as mx
    >>> mx.nd.sum(mx.nd.array([[1, 2], [3, 4]]), axis=0)
    <BLANKLINE>
    [4. 6.]
    <NDArray 2 @cpu(0)>
    """
    return data.sum(axis=axes, keepdims=True, dtype=_acc_dtype(data.dtype))


def _mean(xp, data, axes):
    """The mean over ``axis``; integer inputs give the integer part, as in MXNet.

    >>> import d2lmini as mx
    >>> mx.nd.array([[1, 2], [3, 5]]).mean(axis=1)
    <BLANKLINE>
    [1.5 4. ]
    <NDArray 2 @cpu(0)>
    """
    count = data.size if axes is None else _count(data.shape, axes)
    if data.dtype.kind in 'iub':
        total = data.sum(axis=axes, keepdims=True, dtype=np.int64)
        return xp.trunc(total / count)  # C's integer division
    # a sum divided in place: numpy's own mean() costs twice as much on small arrays
    total = data.sum(axis=axes, keepdims=True, dtype=_acc_dtype(data.dtype))
    total /= count
    return total


def _prod(xp, data, axes):
    """The product over ``axis``.

    >>> import d2lmini as mx
    >>> mx.nd.prod(mx.nd.array([[1, 2], [3, 4]]), axis=1)
    <BLANKLINE>
    [ 2. 12.]
    <NDArray 2 @cpu(0)>
    """
    return data.prod(axis=axes, keepdims=True, dtype=_acc_dtype(data.dtype))


def _nansum(xp, data, axes):
    """The sum over ``axis``, treating NaN as 0.

    >>> import d2lmini as mx
    >>> mx.nd.nansum(mx.nd.array([1, float('nan'), 3]))
    <BLANKLINE>
    [4.]
    <NDArray 1 @cpu(0)>
    """
    return xp.nansum(data, axis=axes, keepdims=True, dtype=_acc_dtype(data.dtype))


def _nanprod(xp, data, axes):
    """The product over ``axis``, treating NaN as 1.

    >>> import d2lmini as mx
    >>> mx.nd.nanprod(mx.nd.array([2, float('nan'), 3]))
    <BLANKLINE>
    [6.]
    <NDArray 1 @cpu(0)>
    """
    return xp.nanprod(data, axis=axes, keepdims=True, dtype=_acc_dtype(data.dtype))


def _max(xp, data, axes):
    """The largest element over ``axis`` (NaN if any element is NaN).

    >>> import d2lmini as mx
    >>> mx.nd.array([[1, 5], [4, 2]]).max(axis=1)
    <BLANKLINE>
    [5. 4.]
    <NDArray 2 @cpu(0)>
    """
    return data.max(axis=axes, keepdims=True)


def _min(xp, data, axes):
    """The smallest element over ``axis`` (NaN if any element is NaN).

    >>> import d2lmini as mx
    >>> mx.nd.array([[1, 5], [4, 2]]).min(axis=1)
    <BLANKLINE>
    [1. 2.]
    <NDArray 2 @cpu(0)>
    """
    return data.min(axis=axes, keepdims=True)


def _extreme_grad(F, dy, x, y, axes):
    # every element equal to the result gets the whole gradient, ties included (MXNet)
    return _kept(F, dy, x, axes) * (x == _kept(F, y, x, axes))


register('sum', _reduction('sum', _sum), aliases=('sum_axis',),
         backward=_reduce_backward(lambda F, dy, x, y, axes: _spread(F, dy, x, axes)))
register('mean', _reduction('mean', _mean),
         backward=_reduce_backward(
             lambda F, dy, x, y, axes: _spread(F, dy, x, axes) / _count(x.shape, axes)))
# d(prod)/dx_i is the product of the others, prod / x_i: like MXNet, undefined where x_i = 0
register('prod', _reduction('prod', _prod),
         backward=_reduce_backward(lambda F, dy, x, y, axes: _kept(F, dy * y, x, axes) / x))
register('nansum', _reduction('nansum', _nansum),
         backward=_reduce_backward(
             lambda F, dy, x, y, axes: _kept(F, dy, x, axes) * (x == x)))  # x == x: not NaN
register('nanprod', _reduction('nanprod', _nanprod),
         backward=_reduce_backward(   # NaN replaced by 1 before dividing: else the unused
             lambda F, dy, x, y, axes: F.where(   # branch makes the second derivative NaN
                 x == x, _kept(F, dy * y, x, axes) / F.where(x == x, x, F.ones_like(x)),
                 F.zeros_like(x))))
register('max', _reduction('max', _max), aliases=('max_axis',),
         backward=_reduce_backward(_extreme_grad))
register('min', _reduction('min', _min), aliases=('min_axis',),
         backward=_reduce_backward(_extreme_grad))


def _square_sum(xp, data, axes):
    """The sum of the squares over ``axis`` (MXNet's ``_square_sum``, which it
    computes sparsely for a row-sparse input; the result is the same).

    >>> import d2lmini as mx
    >>> mx.nd._internal._square_sum(mx.nd.array([[1, 2], [3, 0]]), axis=1, keepdims=True)
    <BLANKLINE>
    [[5.]
     [9.]]
    <NDArray 2x1 @cpu(0)>
    """
    return xp.square(data).sum(axis=axes, keepdims=True, dtype=_acc_dtype(data.dtype))


register('_square_sum', _reduction('_square_sum', _square_sum),
         backward=_reduce_backward(
             lambda F, dy, x, y, axes: 2 * x * _spread(F, dy, x, axes)))


# ------------------------------------------------------------------ norm
@register('norm', backward=lambda F, dy, x, y, ord, axis, out_dtype, keepdims: [
    _norm_grad(F, dy, x[0], y, ord, axis)])
def _norm(xp, data, ord=2, axis=None, out_dtype=None, keepdims=False):
    """The L2 norm (``ord=2``, the square root of the sum of squares) or the L1 norm
    (``ord=1``, the sum of absolute values) over ``axis``; all elements by default.

    >>> import d2lmini as mx
    >>> mx.nd.norm(mx.nd.array([[3, 4], [6, 8]]), axis=1)
    <BLANKLINE>
    [ 5. 10.]
    <NDArray 2 @cpu(0)>
    """
    if ord not in (1, 2):
        raise MXNetError(f'operator norm: ord={ord!r}, but only ord=1 and ord=2 are supported')
    axes = _axes('norm', data.shape, axis)
    x = data if np.issubdtype(data.dtype, np.floating) else data.astype(np.float64)
    acc = _acc_dtype(x.dtype)
    if ord == 1:
        out = xp.abs(x).sum(axis=axes, keepdims=True, dtype=acc)
    else:
        out = xp.sqrt(xp.square(x, dtype=acc).sum(axis=axes, keepdims=True))
    out = out.reshape(_out_shape(data.shape, axes, keepdims))
    return out.astype(data.dtype if out_dtype is None else out_dtype)


def _norm_grad(F, dy, x, y, ord, axis):
    axes = _axes('norm', x.shape, axis)
    if ord == 1:
        g = _kept(F, dy, x, axes) * F.sign(x)
    else:  # d|x|/dx = x / |x|: like MXNet, undefined (NaN) where the norm is 0
        g = _kept(F, dy / y, x, axes) * x
    return g if g.dtype == x.dtype else g.astype(x.dtype)


# ------------------------------------------------------------------ argmax, argmin
def _arg_reduce(name, xp_fn, xp, data, axis, keepdims):
    """``xp.argmax`` or ``xp.argmin`` with MXNet's axis rules and result shape.
    The indices come back in the input's dtype (float32 for float32 input), as in MXNet."""
    if axis is not None and not _is_int(axis):
        raise MXNetError(f'operator {name}: axis must be an int or None, got {axis!r}')
    if axis is not None and not -data.ndim <= axis < data.ndim:
        raise MXNetError(f'operator {name}: axis {axis} is out of range for an input of '
                         f'shape {shape_str(data.shape)}')
    ax = None if axis is None else int(axis) % data.ndim
    idx = getattr(xp, xp_fn)(data, axis=ax)
    axes = tuple(range(data.ndim)) if ax is None else (ax,)
    return idx.reshape(_out_shape(data.shape, axes, keepdims)).astype(data.dtype)


# an index does not change under small changes of the values: zero gradient
_zero_grad = zero_gradient


@register('argmax', backward=_zero_grad)
def _argmax(xp, data, axis=None, keepdims=False):
    """The index of the largest element along ``axis`` (of the flattened array when
    ``axis`` is None); the first one on ties.

    >>> import d2lmini as mx
    >>> mx.nd.argmax(mx.nd.array([[1, 5, 5], [4, 2, 0]]), axis=1)
    <BLANKLINE>
    [1. 0.]
    <NDArray 2 @cpu(0)>
    """
    return _arg_reduce('argmax', 'argmax', xp, data, axis, keepdims)


@register('argmin', backward=_zero_grad)
def _argmin(xp, data, axis=None, keepdims=False):
    """The index of the smallest element along ``axis`` (of the flattened array when
    ``axis`` is None); the first one on ties.

    >>> import d2lmini as mx
    >>> mx.nd.argmin(mx.nd.array([[1, 5, 0], [4, 2, 0]]), axis=1)
    <BLANKLINE>
    [2. 2.]
    <NDArray 2 @cpu(0)>
    """
    return _arg_reduce('argmin', 'argmin', xp, data, axis, keepdims)


@register('argmax_channel', backward=_zero_grad)
def _argmax_channel(xp, data):
    """``argmax(data, axis=1)``: the most likely class of each row of scores.

    >>> import d2lmini as mx
    >>> mx.nd.argmax_channel(mx.nd.array([[0.1, 0.7, 0.2], [0.8, 0.1, 0.1]]))
    <BLANKLINE>
    [1. 0.]
    <NDArray 2 @cpu(0)>
    """
    return _arg_reduce('argmax_channel', 'argmax', xp, data, 1, False)


# ------------------------------------------------------------------ softmax family
def _check_float(name, data):
    if not np.issubdtype(data.dtype, np.floating):
        raise MXNetError(f'operator {name}: input must be floating point, not {data.dtype} '
                         f'(shape {shape_str(data.shape)}); cast it with astype first')


def _scaled(name, xp, data, axis, temperature, dtype):
    """``data / temperature`` in the type the work is done in, plus the axis in range
    and the output dtype. float16 is worked in float32: exp would overflow it."""
    _check_float(name, data)
    if not -data.ndim <= axis < data.ndim:
        raise MXNetError(f'operator {name}: axis {axis} is out of range for an input of '
                         f'shape {shape_str(data.shape)}')
    out_dtype = data.dtype if dtype is None else np.dtype(dtype)
    work = np.promote_types(np.promote_types(data.dtype, out_dtype), np.float32)
    x = data.astype(work, copy=False)
    if temperature is not None and temperature != 1:
        x = x / temperature
    return x, int(axis) % data.ndim, out_dtype


def _length_mask(xp, length, shape, axis):
    """True for the positions along ``axis`` below each row's ``length``."""
    if not np.issubdtype(length.dtype, np.integer):
        raise MXNetError(f'operator softmax: length must be an integer array, not '
                         f'{length.dtype}')
    expected = shape[:axis] + shape[axis + 1:]
    if length.shape != expected:
        raise MXNetError(f'operator softmax: length has shape {shape_str(length.shape)}, but '
                         f'data of shape {shape_str(shape)} with axis={axis} needs '
                         f'{shape_str(expected)}')
    pos = xp.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
    return pos < xp.expand_dims(length, axis)


def _softmax(xp, data, length=None, axis=-1, temperature=None, dtype=None, use_length=False):
    """``exp(x / T)`` normalised to sum to 1 along ``axis`` (the last by default).

    The row maximum is subtracted first: the result is the same, but ``exp`` can no
    longer overflow. With ``use_length=True`` a second input ``length`` (integers)
    says how many leading positions of each row take part; the rest get 0.

    >>> import d2lmini as mx
    >>> mx.nd.softmax(mx.nd.array([[0, 0], [0, 1000]]))
    <BLANKLINE>
    [[0.5 0.5]
     [0.  1. ]]
    <NDArray 2x2 @cpu(0)>
    """
    if (length is not None) != bool(use_length):
        raise MXNetError('operator softmax: pass a length input exactly when use_length=True')
    x, axis, out_dtype = _scaled('softmax', xp, data, axis, temperature, dtype)
    if length is None:
        e = x - x.max(axis=axis, keepdims=True)  # a new array, so it can be reused in place
        xp.exp(e, out=e)
        e /= e.sum(axis=axis, keepdims=True)
        return e.astype(out_dtype, copy=False)
    mask = _length_mask(xp, length, data.shape, axis)
    top = xp.where(mask, x, -xp.inf).max(axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)  # rows of length 0 have no maximum
    e = xp.where(mask, xp.exp(x - top), 0)
    total = e.sum(axis=axis, keepdims=True)
    return (e / xp.where(total == 0, 1, total)).astype(out_dtype, copy=False)


def _log_softmax(xp, data, axis=-1, temperature=None, dtype=None, use_length=False):
    """``log(softmax(x))``, computed directly as ``x - max - log(sum(exp(x - max)))``,
    which stays finite where the softmax itself would round to 0.

    >>> import d2lmini as mx
    >>> mx.nd.log_softmax(mx.nd.array([[0, 0]]))
    <BLANKLINE>
    [[-0.6931472 -0.6931472]]
    <NDArray 1x2 @cpu(0)>
    """
    if use_length:
        raise MXNetError('operator log_softmax: use_length=True is not supported '
                         '(it takes no length input)')
    x, axis, out_dtype = _scaled('log_softmax', xp, data, axis, temperature, dtype)
    shifted = x - x.max(axis=axis, keepdims=True)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return out.astype(out_dtype, copy=False)


def _softmin(xp, data, axis=-1, temperature=None, dtype=None, use_length=False):
    """``softmax(-x)``: the smallest values get the largest weights.

    >>> import d2lmini as mx
    >>> mx.nd.softmin(mx.nd.array([[0, 1000]]))
    <BLANKLINE>
    [[1. 0.]]
    <NDArray 1x2 @cpu(0)>
    """
    if use_length:
        raise MXNetError('operator softmin: use_length=True is not supported '
                         '(it takes no length input)')
    _check_float('softmin', data)
    return _softmax(xp, -data, axis=axis, temperature=temperature, dtype=dtype)


def _as_input_dtype(g, x):
    return g if g.dtype == x.dtype else g.astype(x.dtype)


def _softmax_grad(F, dy, x, y, axis, temperature, **attrs):
    # dy_j/dx_i = y_j (delta_ij - y_i) / T, so dx = y * (dy - sum(dy * y)) / T
    g = y * (dy - F.sum(dy * y, axis=axis, keepdims=True))
    if temperature is not None and temperature != 1:
        g = g / temperature
    return [_as_input_dtype(g, x[0])] + [None] * (len(x) - 1)


def _log_softmax_grad(F, dy, x, y, axis, temperature, **attrs):
    # d(x_j - logsumexp)/dx_i = (delta_ij - softmax_i) / T, and softmax = exp(y)
    g = dy - F.exp(y) * F.sum(dy, axis=axis, keepdims=True)
    if temperature is not None and temperature != 1:
        g = g / temperature
    return [_as_input_dtype(g, x[0])]


def _softmin_grad(F, dy, x, y, axis, temperature, **attrs):
    # softmin(x) = softmax(-x): the softmax rule with the sign flipped
    return [-_softmax_grad(F, dy, x, y, axis, temperature)[0]]


def _same_shape(in_shapes, **attrs):
    return [in_shapes[0]]


register('softmax', _softmax, inputs=('data', 'length'), backward=_softmax_grad,
         infer_shape=_same_shape,
         optional_inputs=lambda attrs: ('data', 'length') if attrs['use_length'] else ('data',))
register('log_softmax', _log_softmax, backward=_log_softmax_grad, infer_shape=_same_shape)
register('softmin', _softmin, backward=_softmin_grad, infer_shape=_same_shape)
