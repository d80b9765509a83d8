"""Selecting and ordering: slices, gathers by index (take, pick, one_hot), where,
clip, sorting (sort, argsort, topk) and small shape queries.

Index inputs (take's ``indices``, pick's ``index``, one_hot's ``indices``, where's
``condition``) get no gradient. As in MXNet, float indices are truncated toward
zero and then clipped or wrapped into range according to ``mode``.
"""
import numpy as np

from .. import backend
from ..base import MXNetError, as_dtype, shape_str
from .elemwise import int_scalar
from .registry import register
from . import partial_shapes
from .shape import _axis, _required, _tuple


# ------------------------------------------------------------------ slices
def _slice_key(shape, begin, end, step):
    """``slice``'s attributes as a tuple of Python slices (None means the default)."""
    def entries(v):
        if v is None:
            return ()
        if isinstance(v, (int, np.integer)):
            return (int(v),)
        return tuple(None if e is None else int(e) for e in v)
    begin, end, step = entries(begin), entries(end), entries(step)
    if len(begin) != len(end):
        raise MXNetError(f'operator slice: begin={begin} and end={end} must have the same length')
    if step and len(step) != len(begin):
        raise MXNetError(f'operator slice: step={step} and begin={begin} must have the same '
                         'length')
    if len(begin) > len(shape):
        raise MXNetError(f'operator slice: begin={begin} has more entries than an input of shape '
                         f'{shape_str(shape)} has axes')
    step = step or (None,) * len(begin)
    if 0 in step:
        raise MXNetError(f'operator slice: step={step} cannot contain 0')
    return tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))


# a stand-in size for unknown (0) dimensions while finding which output sizes of a
# slice are known; it never becomes an array
_UNKNOWN_SIZE = 2 ** 40


def _sliced_partial_shape(key_of):
    """The partial shape rule of a slicing operator whose ``key_of(shape, attrs)``
    gives its Python slices: an axis of unknown size (0) stays unknown in the
    output, the other axes are sliced as usual, as MXNet 1.x infers them."""
    def rule(attrs, in_shapes, out_shapes):
        data = in_shapes[0]
        if data is None:
            return in_shapes, out_shapes
        stand_in = tuple(d or _UNKNOWN_SIZE for d in data)
        key = key_of(stand_in, attrs)
        sizes = [len(range(*k.indices(n))) for n, k in zip(stand_in, key)]
        sizes += stand_in[len(key):]      # the axes after the sliced ones
        partial = tuple(size if d else 0 for d, size in zip(data, sizes))
        return in_shapes, [partial_shapes.merge_dims([out_shapes[0], partial], 'slices')]
    return rule


def _scatter_back(F, dy, x, key):
    """The gradient of a slice: ``dy`` placed at ``key`` in zeros shaped like the input."""
    return F._index_scatter(dy, x[0], key=key)


@register('slice', aliases=('crop',),
          backward=lambda F, dy, x, y, begin, end, step: [
              _scatter_back(F, dy, x, _slice_key(x[0].shape, begin, end, step))],
          partial_shape=_sliced_partial_shape(lambda shape, attrs: _slice_key(
              shape, attrs['begin'], attrs['end'], attrs['step'])), required=('begin', 'end'))
def _slice(xp, data, begin=None, end=None, step=()):
    """The region ``[begin, end)`` with strides ``step``, one entry per leading axis,
    as in Python slicing (None entries mean "from the start" / "to the end" / 1).

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(12).reshape((3, 4))
    >>> mx.nd.slice(x, begin=(0, 1), end=(2, None), step=(1, 2))
    <BLANKLINE>
    [[1. 3.]
     [5. 7.]]
    <NDArray 2x2 @cpu(0)>
    """
    _required('slice', 'begin', begin)
    _required('slice', 'end', end)
    return data[_slice_key(data.shape, begin, end, step)].copy()


def _slice_axis_key(shape, axis, begin, end):
    ax = _axis('slice_axis', _required('slice_axis', 'axis', axis), len(shape), shape)
    n = shape[ax]
    b = int(_required('slice_axis', 'begin', begin))
    e = n if end is None else int(end)
    b, e = b + n if b < 0 else b, e + n if e < 0 else e
    if not 0 <= b < e <= n:
        raise MXNetError(f'operator slice_axis: begin={begin}, end={end} do not select a '
                         f'non-empty range of axis {ax} (size {n}) of an input of shape '
                         f'{shape_str(shape)}')
    return (slice(None),) * ax + (slice(b, e),)


@register('slice_axis',
          backward=lambda F, dy, x, y, axis, begin, end: [
              _scatter_back(F, dy, x, _slice_axis_key(x[0].shape, axis, begin, end))],
          partial_shape=_sliced_partial_shape(lambda shape, attrs: _slice_axis_key(
              shape, attrs['axis'], attrs['begin'], attrs['end'])),
          required=('axis', 'begin', 'end'))
def _slice_axis(xp, data, axis=None, begin=None, end=None):
    """Elements ``begin`` to ``end`` (exclusive; None for the end) along ``axis``.

    >>> import d2lmini as mx
    >>> mx.nd.slice_axis(mx.nd.arange(12).reshape((3, 4)), axis=1, begin=1, end=3).shape
    (3, 2)
    """
    return data[_slice_axis_key(data.shape, axis, begin, end)].copy()


def _slice_like_key(shape, like, axes):
    axes = _tuple(axes)
    if not axes:
        if len(shape) != len(like):
            raise MXNetError(f'operator slice_like: without axes both inputs need the same '
                             f'number of axes, got {shape_str(shape)} and {shape_str(like)}')
        axes = range(len(shape))
    key = [slice(None)] * len(shape)
    for a in axes:
        a = _axis('slice_like', a, len(shape), shape)
        if a >= len(like) or like[a] > shape[a]:
            raise MXNetError(f'operator slice_like: cannot cut axis {a} of an input of shape '
                             f'{shape_str(shape)} to the size in shape_like {shape_str(like)}')
        key[a] = slice(0, like[a])
    return tuple(key)


@register('slice_like', inputs=('data', 'shape_like'),
          backward=lambda F, dy, x, y, axes: [
              _scatter_back(F, dy, x, _slice_like_key(x[0].shape, x[1].shape, axes)), None])
def _slice_like(xp, data, shape_like, axes=()):
    """The leading part of ``data`` with ``shape_like``'s sizes (on all axes, or on
    ``axes`` only).

    >>> import d2lmini as mx
    >>> mx.nd.slice_like(mx.nd.zeros((3, 4)), mx.nd.zeros((2, 2)), axes=(1,)).shape
    (3, 2)
    """
    return data[_slice_like_key(data.shape, shape_like.shape, axes)].copy()


# ------------------------------------------------------------------ gathers by index
def _index(xp, op, indices, n, mode):
    """Integer indices in ``[0, n)``: truncated toward zero, then clipped or wrapped;
    ``mode='raise'`` refuses indices out of range instead."""
    idx = indices.astype(np.int64)
    if mode == 'clip':
        return xp.clip(idx, 0, n - 1)
    if mode == 'wrap':
        return xp.mod(idx, n)
    if bool(((idx < 0) | (idx >= n)).any()):
        raise MXNetError(f'operator {op}: an index is out of range [0, {n}) and mode=\'raise\'')
    return idx


def _check_mode(op, mode, allowed):
    if mode not in allowed:
        raise MXNetError(f'operator {op}: mode={mode!r} must be one of {", ".join(allowed)}')


_TAKE_MODES = ('clip', 'wrap', 'raise')


def _take_key(xp, a, indices, axis, mode):
    _check_mode('take', mode, _TAKE_MODES)
    ax = _axis('take', axis, a.ndim, a.shape)
    return (slice(None),) * ax + (_index(xp, 'take', indices, a.shape[ax], mode),), ax


@register('take', inputs=('a', 'indices'),
          backward=lambda F, dy, x, y, axis, mode: [
              F._backward_take(dy, x[0], x[1], axis=axis, mode=mode), None])
def _take(xp, a, indices, axis=0, mode='clip'):
    """Gather slices of ``a`` along ``axis`` at ``indices``; the result has shape
    ``a.shape[:axis] + indices.shape + a.shape[axis+1:]``.

    >>> import d2lmini as mx
    >>> mx.nd.take(mx.nd.array([[1, 2], [3, 4], [5, 6]]), mx.nd.array([2, 0]))
    <BLANKLINE>
    [[5. 6.]
     [1. 2.]]
    <NDArray 2x2 @cpu(0)>
    """
    key, ax = _take_key(xp, a, indices, axis, mode)
    return xp.take(a, key[ax], axis=ax)


@register('_backward_take', inputs=('ograd', 'a', 'indices'),
          backward=lambda F, dy, x, y, axis, mode: [
              F.take(dy, x[2], axis=axis, mode=mode), None, None])
def _backward_take(xp, ograd, a, indices, axis=0, mode='clip'):
    """``take``'s gradient: ``ograd`` added back at the gathered positions; an index
    taken twice receives the sum of both gradients."""
    key, _ = _take_key(xp, a, indices, axis, mode)
    out = xp.zeros(a.shape, ograd.dtype)
    backend.scatter_add(xp, out, key, ograd)
    return out


def _pick_index(xp, data, index, axis, mode):
    """The index as integers shaped like the output with ``keepdims=True``."""
    if axis is None:
        raise MXNetError('operator pick: axis=None is not supported; give an axis')
    _check_mode('pick', mode, ('clip', 'wrap'))
    ax = _axis('pick', axis, data.ndim, data.shape)
    kept = data.shape[:ax] + (1,) + data.shape[ax + 1:]
    if index.shape not in (kept, kept[:ax] + kept[ax + 1:]):
        raise MXNetError(f'operator pick: index of shape {shape_str(index.shape)} does not fit '
                         f'data of shape {shape_str(data.shape)} with axis={axis}; it needs '
                         f'shape {shape_str(kept[:ax] + kept[ax + 1:])}')
    return _index(xp, 'pick', index, data.shape[ax], mode).reshape(kept), ax


@register('pick', inputs=('data', 'index'), aliases=('choose_element_0index',),
          backward=lambda F, dy, x, y, axis, keepdims, mode: [
              F._backward_pick(dy, x[0], x[1], axis=axis, keepdims=keepdims, mode=mode), None])
def _pick(xp, data, index, axis=-1, keepdims=False, mode='clip'):
    """One element per position along ``axis``, chosen by ``index`` (for example
    the predicted probability of each example's true class).

    >>> import d2lmini as mx
    >>> y_hat = mx.nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    >>> mx.nd.pick(y_hat, mx.nd.array([0, 2]))
    <BLANKLINE>
    [0.1 0.5]
    <NDArray 2 @cpu(0)>
    """
    idx, ax = _pick_index(xp, data, index, axis, mode)
    out = xp.take_along_axis(data, idx, axis=ax)
    # with no axes left the result has shape (1,), as every MXNet result does
    return out if keepdims else out.reshape(idx.shape[:ax] + idx.shape[ax + 1:] or (1,))


@register('_backward_pick', inputs=('ograd', 'data', 'index'),
          backward=lambda F, dy, x, y, axis, keepdims, mode: [
              F.pick(dy, x[2], axis=axis, keepdims=keepdims, mode=mode), None, None])
def _backward_pick(xp, ograd, data, index, axis=-1, keepdims=False, mode='clip'):
    """``pick``'s gradient: ``ograd`` at the picked positions, zeros elsewhere.
    Every output position picks from its own line along ``axis``, so no two
    gradients land on one element and a mask is enough (no scatter-add)."""
    idx, ax = _pick_index(xp, data, index, axis, mode)
    line = xp.arange(data.shape[ax]).reshape((-1,) + (1,) * (data.ndim - ax - 1))
    return xp.where(line == idx, ograd.reshape(idx.shape), xp.zeros((), ograd.dtype))


_ONE_HOT_DTYPES = ('float16', 'float32', 'float64', 'int8', 'uint8', 'int32', 'int64')


@register('one_hot', inputs=('indices',), no_grad=True, required=('depth',))
def _one_hot(xp, indices, depth=None, on_value=1.0, off_value=0.0, dtype='float32'):
    """A new last axis of length ``depth`` holding ``on_value`` at each index and
    ``off_value`` elsewhere (everywhere for indices outside ``[0, depth)``).

    >>> import d2lmini as mx
    >>> mx.nd.one_hot(mx.nd.array([1, 0, 2]), 3)
    <BLANKLINE>
    [[0. 1. 0.]
     [1. 0. 0.]
     [0. 0. 1.]]
    <NDArray 3x3 @cpu(0)>
    """
    depth = int(_required('one_hot', 'depth', depth))
    if depth < 0:
        raise MXNetError(f'operator one_hot: depth={depth} cannot be negative')
    if dtype not in _ONE_HOT_DTYPES and as_dtype(dtype).name not in _ONE_HOT_DTYPES:
        raise MXNetError(f'operator one_hot: dtype={dtype!r} must be one of '
                         f'{", ".join(_ONE_HOT_DTYPES)}')
    hot = indices.astype(np.int64)[..., None] == xp.arange(depth)
    return xp.where(hot, on_value, off_value).astype(as_dtype(dtype))


# ------------------------------------------------------------------ where and clip
def _where_backward(F, dy, x, y):
    zeros = F.zeros_like(dy)
    return [None, F.where(x[0], dy, zeros), F.where(x[0], zeros, dy)]


@register('where', inputs=('condition', 'x', 'y'), backward=_where_backward)
def _where(xp, condition, x, y):
    """``x`` where ``condition`` is nonzero, else ``y``. ``condition`` has ``x``'s
    shape, or is 1-D and chooses whole rows (entries along the first axis).

    >>> import d2lmini as mx
    >>> mx.nd.where(mx.nd.array([1, 0, 1]), mx.nd.array([1, 2, 3]), mx.nd.array([4, 5, 6]))
    <BLANKLINE>
    [1. 5. 3.]
    <NDArray 3 @cpu(0)>
    """
    if x.shape != y.shape or x.dtype != y.dtype:
        raise MXNetError(f'operator where: x and y need the same shape and dtype, got '
                         f'{shape_str(x.shape)} {x.dtype} and {shape_str(y.shape)} {y.dtype}')
    if condition.shape != x.shape:
        if condition.ndim != 1 or x.ndim < 1 or condition.shape[0] != x.shape[0]:
            raise MXNetError(f'operator where: condition of shape {shape_str(condition.shape)} '
                             f'must have the shape of x {shape_str(x.shape)} or be 1-D of '
                             f'length {x.shape[0] if x.ndim else 0}')
        condition = condition.reshape(condition.shape + (1,) * (x.ndim - 1))
    return xp.where(condition != 0, x, y)


@register('clip', partial_shape=partial_shapes.same_shape,
          backward=lambda F, dy, x, y, a_min, a_max: [dy * ((x[0] >= a_min) * (x[0] <= a_max))],
          required=('a_min', 'a_max'))
def _clip(xp, data, a_min=None, a_max=None):
    """Limit the values to ``[a_min, a_max]``; the gradient passes where
    ``a_min <= x <= a_max`` and is 0 elsewhere.

    >>> import d2lmini as mx
    >>> mx.nd.clip(mx.nd.array([-2, 0.5, 3]), -1, 1)
    <BLANKLINE>
    [-1.   0.5  1. ]
    <NDArray 3 @cpu(0)>
    """
    _required('clip', 'a_min', a_min)
    _required('clip', 'a_max', a_max)
    if data.dtype.kind in 'iu':
        # MXNet compares integers with the bounds as numbers and converts a bound only
        # when it is the result: a uint8 clipped to [-1, 100] keeps its 1
        wide = data.astype(np.float64)
        hi, lo = int_scalar(a_max, data.dtype), int_scalar(a_min, data.dtype)
        return xp.where(wide > a_max, hi, xp.where(wide < a_min, lo, data))
    lo, hi = data.dtype.type(a_min), data.dtype.type(a_max)
    if lo <= hi:
        return xp.clip(data, lo, hi)
    # MXNet tests the upper bound first, which matters only when a_min > a_max
    return xp.where(data > hi, hi, xp.where(data < lo, lo, data))


# ------------------------------------------------------------------ sorting
def _sort_input(op, data, axis):
    """``(array, axis)`` to sort along: the flattened data when axis is None."""
    if axis is None:
        return data.reshape(-1), 0
    return data, _axis(op, axis, data.ndim, data.shape)


def _order(xp, data, axis, is_ascend):
    """Indices that sort ``data`` along ``axis``. Stable in both directions, as in
    MXNet: equal elements keep their order (a descending sort is an ascending sort
    of the reversed array, reversed back)."""
    if is_ascend:
        return xp.argsort(data, axis=axis, kind='stable')
    n = data.shape[axis]
    rev = xp.argsort(xp.flip(data, axis), axis=axis, kind='stable')
    return (n - 1) - xp.flip(rev, axis)


def _first(xp, a, k, axis):
    """The first ``k`` entries of ``a`` along ``axis``."""
    return a[(slice(None),) * axis + (slice(0, k),)]


@register('sort', backward=lambda F, dy, x, y, axis, is_ascend: [
    F._sorted_scatter(dy, x[0], axis=axis, is_ascend=is_ascend)])
def _sort(xp, data, axis=-1, is_ascend=True):
    """The values sorted along ``axis`` (of the flattened array when None).

    >>> import d2lmini as mx
    >>> mx.nd.sort(mx.nd.array([[3, 1, 2], [0, 5, 4]]), is_ascend=False)
    <BLANKLINE>
    [[3. 2. 1.]
     [5. 4. 0.]]
    <NDArray 2x3 @cpu(0)>
    """
    d, ax = _sort_input('sort', data, axis)
    out = xp.sort(d, axis=ax)
    return out if is_ascend else xp.flip(out, ax).copy()


@register('argsort', no_grad=True)
def _argsort(xp, data, axis=-1, is_ascend=True, dtype='float32'):
    """The indices that sort ``data`` along ``axis`` (float32 by default, as in MXNet).

    >>> import d2lmini as mx
    >>> mx.nd.argsort(mx.nd.array([3, 1, 2]))
    <BLANKLINE>
    [1. 2. 0.]
    <NDArray 3 @cpu(0)>
    """
    d, ax = _sort_input('argsort', data, axis)
    return _order(xp, d, ax, is_ascend).astype(as_dtype(dtype))


_RET_TYPES = ('value', 'indices', 'mask', 'both')


def _topk_backward(F, dy, x, y, axis, k, ret_typ, is_ascend, dtype):
    if ret_typ not in ('value', 'both'):
        return [None]  # indices and masks are piecewise constant
    dvalue = dy[0] if isinstance(dy, tuple) else dy
    return [F._sorted_scatter(dvalue, x[0], axis=axis, is_ascend=is_ascend)]


# topk has one output, or two with ret_typ='both': the forward always returns a
# tuple, whose length the front end follows (at most num_outputs=2)
@register('topk', num_outputs=2, backward=_topk_backward,
          num_visible_outputs=lambda attrs: 2 if attrs['ret_typ'] == 'both' else 1,
          infer_type=lambda types, ret_typ='indices', dtype='float32', **attrs: (
              [types[0], dtype] if ret_typ == 'both' else
              [types[0]] if ret_typ in ('value', 'mask') else [dtype]))
def _topk(xp, data, axis=-1, k=1, ret_typ='indices', is_ascend=False, dtype='float32'):
    """The ``k`` largest elements along ``axis`` (smallest with ``is_ascend=True``;
    ``k <= 0`` means all). ``ret_typ`` says what to return: 'indices' (in ``dtype``),
    'value', 'both' (values and indices) or 'mask' (1 at the chosen elements).

    >>> import d2lmini as mx
    >>> mx.nd.topk(mx.nd.array([[3, 1, 2], [0, 5, 4]]), k=2, ret_typ='value')
    <BLANKLINE>
    [[3. 2.]
     [5. 4.]]
    <NDArray 2x2 @cpu(0)>
    """
    if ret_typ not in _RET_TYPES:
        raise MXNetError(f'operator topk: ret_typ={ret_typ!r} must be one of '
                         f'{", ".join(_RET_TYPES)}')
    d, ax = _sort_input('topk', data, axis)
    n, k = d.shape[ax], int(k)
    if k > n:
        raise MXNetError(f'operator topk: k={k} exceeds the {n} elements along the axis of an '
                         f'input of shape {shape_str(data.shape)}')
    if k <= 0:
        k = n
    order = _order(xp, d, ax, is_ascend)
    if ret_typ == 'mask':
        rank = xp.argsort(order, axis=ax)  # the position of each element in the order
        return ((rank < k).astype(data.dtype).reshape(data.shape),)
    idx = _first(xp, order, k, ax)
    if ret_typ == 'indices':
        return (idx.astype(as_dtype(dtype)),)
    value = xp.take_along_axis(d, idx, axis=ax)
    if ret_typ == 'value':
        return (value,)
    return value, idx.astype(as_dtype(dtype))


@register('_sorted_gather', inputs=('data', 'key'),
          backward=lambda F, dy, x, y, axis, is_ascend, k: [
              F._sorted_scatter(dy, x[1], axis=axis, is_ascend=is_ascend), None])
def _sorted_gather(xp, data, key, axis=-1, is_ascend=True, k=0):
    """``data``'s elements at the positions of the first ``k`` (all when 0) elements
    of ``key`` in sorted order; ``_sorted_scatter`` undoes it."""
    d, ax = _sort_input('sort', data, axis)
    kd, _ = _sort_input('sort', key, axis)
    order = _order(xp, kd, ax, is_ascend)
    if int(k) > 0:
        order = _first(xp, order, int(k), ax)
    return xp.take_along_axis(d, order, axis=ax)


@register('_sorted_scatter', inputs=('ograd', 'key'),
          backward=lambda F, dy, x, y, axis, is_ascend: [
              F._sorted_gather(dy, x[1], axis=axis, is_ascend=is_ascend,
                               k=x[0].shape[-1 if axis is None else axis]), None])
def _sorted_scatter(xp, ograd, key, axis=-1, is_ascend=True):
    """The gradient of ``sort`` and of topk's values: entry j of ``ograd`` along the
    axis goes back to the element of ``key`` that sorted to position j (zeros for
    the elements beyond the first ``ograd.shape[axis]``)."""
    kd, ax = _sort_input('sort', key, axis)
    order = _order(xp, kd, ax, is_ascend)
    k, n = ograd.shape[ax], kd.shape[ax]
    if k < n:  # topk: the unchosen elements get zeros
        pad = list(ograd.shape)
        pad[ax] = n - k
        ograd = xp.concatenate([ograd, xp.zeros(pad, ograd.dtype)], axis=ax)
    # entry j goes to position order[j]: gathering with the inverse permutation
    inverse = xp.argsort(order, axis=ax)
    return xp.take_along_axis(ograd, inverse, axis=ax).reshape(key.shape)


# ------------------------------------------------------------------ shape queries, diag
@register('shape_array', no_grad=True, infer_type=lambda types, **attrs: [np.int64])
def _shape_array(xp, data):
    """The shape as a 1-D int64 array.

    >>> import d2lmini as mx
    >>> mx.nd.shape_array(mx.nd.zeros((2, 3)))
    <BLANKLINE>
    [2 3]
    <NDArray 2 @cpu(0)>
    """
    return xp.asarray(data.shape, dtype=np.int64)


@register('size_array', no_grad=True, infer_type=lambda types, **attrs: [np.int64])
def _size_array(xp, data):
    """The number of elements as an int64 array of shape (1,).

    >>> import d2lmini as mx
    >>> mx.nd.size_array(mx.nd.zeros((2, 3)))
    <BLANKLINE>
    [6]
    <NDArray 1 @cpu(0)>
    """
    return xp.asarray([data.size], dtype=np.int64)


def _diag_axes(data, axis1, axis2):
    a = _axis('diag', axis1, data.ndim, data.shape)
    b = _axis('diag', axis2, data.ndim, data.shape)
    if a == b:
        raise MXNetError(f'operator diag: axis1 and axis2 both name axis {a}')
    return a, b


def _diag_backward(F, dy, x, y, k, axis1, axis2):
    if x[0].ndim == 1:
        return [F.diag(dy, k=k)]
    return [F._backward_diag(dy, x[0], k=k, axis1=axis1, axis2=axis2)]


@register('diag', backward=_diag_backward)
def _diag(xp, data, k=0, axis1=0, axis2=1):
    """A 1-D input becomes a square matrix with it on diagonal ``k``; from a 2-D
    (or higher, along ``axis1`` and ``axis2``) input, diagonal ``k`` is extracted.

    >>> import d2lmini as mx
    >>> mx.nd.diag(mx.nd.array([[1, 2], [3, 4]]))
    <BLANKLINE>
    [1. 4.]
    <NDArray 2 @cpu(0)>
    """
    if data.ndim == 1:
        return xp.diag(data, int(k))
    a, b = _diag_axes(data, axis1, axis2)
    rows, cols = data.shape[a], data.shape[b]
    if not -rows <= int(k) <= cols:
        # as MXNet 1.x, a diagonal that lies wholly outside the matrix is refused
        # (numpy would return an empty one); k=cols or k=-rows still gives it
        raise MXNetError(f'operator diag: k={k} is out of bounds for a '
                         f'{rows}x{cols} matrix (axes {a} and {b} of an input of shape '
                         f'{shape_str(data.shape)}); it must lie in [{-rows}, {cols}]')
    return xp.diagonal(data, int(k), a, b).copy()


@register('_backward_diag', inputs=('ograd', 'data'),
          backward=lambda F, dy, x, y, k, axis1, axis2: [
              F.diag(dy, k=k, axis1=axis1, axis2=axis2), None])
def _backward_diag(xp, ograd, data, k=0, axis1=0, axis2=1):
    """``diag``'s gradient for inputs of 2 or more axes: ``ograd`` written on
    diagonal ``k`` of zeros shaped like ``data``."""
    a, b = _diag_axes(data, axis1, axis2)
    k = int(k)
    out = xp.zeros(data.shape, ograd.dtype)
    m = ograd.shape[-1]
    rows = xp.arange(m) + max(-k, 0)
    cols = xp.arange(m) + max(k, 0)
    xp.moveaxis(out, (a, b), (-2, -1))[..., rows, cols] = ograd  # a view: writes into out
    return out
