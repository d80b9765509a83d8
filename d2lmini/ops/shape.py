"""Operators that change an array's shape or layout: reshape, transpose, join,
split, tile, broadcast, pad.

None of them computes new numbers, so every backward moves the gradient back to
where each value came from: a reshape back, a transposition undone, a broadcast
summed. MXNet returns new memory from all of these operators (only the
``x.reshape`` *method* and ``x[i]`` share memory), so results that numpy would give
as views are copied: a later in-place update of the input must not change them.
"""
import math

import numpy as np

from .. import backend
from ..base import MXNetError, ShapeError, as_shape, shape_str
from .elemwise import sum_to
from .registry import register
from . import partial_shapes


# ------------------------------------------------------------------ helpers
def _tuple(value, what='attribute'):
    """An attribute that MXNet accepts as an int or a tuple, as a tuple of ints; a
    float in it is an error (MXNet refuses one too), not a value to truncate."""
    if value is None:
        return ()
    return as_shape(value, what)


def _required(op, name, value):
    """MXNet has attributes without a default; the registry needs one (None)."""
    if value is None:
        raise MXNetError(f'operator {op}: required attribute {name} is missing')
    return value


def _axis(op, axis, ndim, shape):
    """``axis`` in ``[-ndim, ndim)`` made non-negative, or a clear error."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise MXNetError(f'operator {op}: axis {axis} is out of range for an input of shape '
                         f'{shape_str(shape)}')
    return axis % ndim


def _no_negative_axes(op, axes, ndim, shape):
    """Axes for operators where MXNet refuses negative values (transpose, flip,
    broadcast_axis): each must lie in ``[0, ndim)``."""
    for a in axes:
        if not 0 <= a < ndim:
            raise MXNetError(f'operator {op}: axis {a} must be in [0, {ndim}) for an input of '
                             f'shape {shape_str(shape)} (this operator takes no negative axes)')
    return axes


def _own(xp, out, data):
    """``out``, copied when it is still a view of ``data`` (numpy reshapes and
    transposes without copying whenever the memory layout allows it)."""
    return out.copy() if xp.may_share_memory(out, data) else out


def _like(F, dy, x):
    """A gradient reshaped back to the input's shape."""
    return [F.reshape_like(dy, x[0])]


# ------------------------------------------------------------------ reshape
def infer_reshape(src_shape, shape, reverse=False):
    """The output shape of ``reshape(data, shape, reverse)`` for an input of
    ``src_shape``, with MXNet's special codes:

    * ``0``  copy this dimension of the input;
    * ``-1`` infer this dimension from the number of elements (at most one);
    * ``-2`` copy all the remaining input dimensions;
    * ``-3`` merge the next two input dimensions into one;
    * ``-4`` split the next input dimension into the two values that follow
      (one of them may be -1).

    With ``reverse=True`` the codes are matched to the input dimensions from the
    right. Codes that do not fit raise an MXNetError naming both shapes.

    >>> infer_reshape((2, 3, 4), (-4, 1, 2, -2))
    (1, 2, 3, 4)
    >>> infer_reshape((10, 5, 4), (-1, 0), reverse=True)
    (50, 4)
    """
    codes = shape if type(shape) is tuple else _tuple(shape, 'shape')
    if not codes:
        _reshape_error(src_shape, codes, 'the requested shape is empty')
    size = math.prod(src_shape)
    n = math.prod(codes)
    if type(n) is not int:  # a float among the codes (or numpy integers): check them
        codes = _tuple(codes, 'shape')
        n = math.prod(codes)
    if not reverse and min(codes) > 0:  # a plain shape: the common, fast case
        if n != size:
            _reshape_error(src_shape, codes, f'the target has {n} elements, the input {size}')
        return codes
    src = tuple(src_shape)
    if reverse:  # match from the right: run the same rules on both reversed
        src, codes = src[::-1], codes[::-1]
    out = []
    infer_at = None  # where -1 stands in the output
    i = k = 0        # next input dimension, next code
    while k < len(codes):
        c = codes[k]
        if c > 0:
            out.append(c)
            i += 1
        elif c == 0:
            if i >= len(src):
                _reshape_error(src_shape, shape, f'code 0 at position {k} has no input '
                               'dimension to copy')
            out.append(src[i])
            i += 1
        elif c == -1:
            if infer_at is not None:
                _reshape_error(src_shape, shape, 'only one dimension can be -1')
            infer_at = len(out)
            out.append(1)
            i += 1
        elif c == -2:
            out.extend(src[i:])
            i = len(src)
        elif c == -3:
            if i + 1 >= len(src):
                _reshape_error(src_shape, shape, f'code -3 at position {k} needs two input '
                               'dimensions to merge')
            out.append(src[i] * src[i + 1])
            i += 2
        elif c == -4:
            if k + 2 >= len(codes) or i >= len(src):
                _reshape_error(src_shape, shape, f'code -4 at position {k} needs an input '
                               'dimension and two values after it')
            d0, d1, d2 = src[i], codes[k + 1], codes[k + 2]
            i += 1
            k += 2
            if d1 == -1 and d2 == -1:
                _reshape_error(src_shape, shape, 'the two values after -4 cannot both be -1')
            if d1 == -1 and d2 > 0:
                d1 = d0 // d2
            elif d2 == -1 and d1 > 0:
                d2 = d0 // d1
            if d1 < 0 or d2 < 0 or d1 * d2 != d0:
                _reshape_error(src_shape, shape, f'-4 cannot split dimension {d0} into '
                               f'{codes[k - 1]} x {codes[k]}')
            out += [d1, d2]
        else:
            _reshape_error(src_shape, shape, f'{c} is not a valid code (use a size, 0, -1, '
                           '-2, -3 or -4)')
        k += 1
    if infer_at is not None:
        known = math.prod(out)  # the -1 slot holds 1
        if known == 0 or size % known:
            _reshape_error(src_shape, shape, f'cannot infer -1: {size} elements do not divide '
                           f'into parts of {known}')
        out[infer_at] = size // known
    if reverse:
        out.reverse()
    if math.prod(out) != size:
        _reshape_error(src_shape, shape, f'the result {shape_str(out)} has {math.prod(out)} '
                       f'elements, the input {size}')
    return tuple(out)


def _reshape_error(src, shape, why):
    # MXNet's x.reshape raises ValueError for a size that does not fit, nd.reshape an
    # MXNetError: ShapeError is both
    raise ShapeError(f'operator reshape: cannot reshape an input of shape {shape_str(src)} '
                     f'to shape={tuple(shape)}: {why}')


def _reshape_target(src_shape, shape, reverse, target_shape, keep_highest):
    """The output shape of ``reshape``, from ``shape`` or, when ``shape`` is not
    given, from MXNet's deprecated ``target_shape``: plain sizes where one 0 means
    "infer this one", and ``keep_highest=True`` keeps the first dimension of the
    input whatever ``target_shape`` says there. (MXNet accepts a ``target_shape``
    whose size does not match the input's and reads past the data; here that is an
    error, as for ``shape``.)"""
    target = _tuple(target_shape, 'target_shape') if target_shape else ()
    if shape or not target:
        if keep_highest:
            raise MXNetError('operator reshape: keep_highest works only with the deprecated '
                             'target_shape; give shape=(0, ...) to keep the first dimension')
        return infer_reshape(src_shape, shape, reverse)
    if target.count(0) > 1:
        _reshape_error(src_shape, target, 'target_shape can infer one dimension (one 0) only')
    codes = [-1 if d == 0 else d for d in target]
    if keep_highest:
        codes[0] = src_shape[0] if src_shape else 1
    return infer_reshape(src_shape, tuple(codes))


def _reshape_partial_shape(attrs, in_shapes, out_shapes):
    """Reshape's shapes when some dimensions are unknown (0), as MXNet 1.x infers
    them: an input with one unknown dimension takes the size that gives the known
    output (the element counts must match), and a partly known input gives the
    output dimensions that do not depend on its unknown ones."""
    data, out = in_shapes[0], out_shapes[0]
    if data is None:
        return in_shapes, out_shapes

    def target(src):
        return _reshape_target(src, attrs['shape'], attrs['reverse'],
                               attrs['target_shape'], attrs['keep_highest'])
    unknown = [i for i, d in enumerate(data) if not d]
    if not unknown:
        full = target(tuple(data))
        return in_shapes, [partial_shapes.merge_dims([out, full], 'reshape shapes')]
    if out is not None and all(out) and len(unknown) == 1:
        known, total = math.prod(d for d in data if d), math.prod(out)
        if total % known == 0:
            full = tuple(total // known if not d else d for d in data)
            try:
                fits = target(full) == tuple(out)
            except MXNetError:
                fits = False
            if fits:
                return [full] + list(in_shapes[1:]), out_shapes
        return in_shapes, out_shapes
    # the output dimensions that stay the same whatever the unknown input
    # dimensions are: try two sizes for them, multiples of every size in the codes
    # so that splits (-4) and inferred dimensions (-1) divide evenly
    codes = attrs['shape'] or attrs['target_shape'] or ()
    unit = math.prod(abs(int(c)) for c in _tuple(codes) if c > 0)
    try:
        tries = [target(tuple(d or size for d in data)) for size in (unit, 2 * unit)]
    except MXNetError:
        return in_shapes, out_shapes
    if len(tries[0]) != len(tries[1]):
        return in_shapes, out_shapes
    partial = tuple(a if a == b else 0 for a, b in zip(*tries))
    return in_shapes, [partial_shapes.merge_dims([out, partial], 'reshape shapes')]


@register('Reshape', aliases=('reshape',),
          backward=lambda F, dy, x, y, **attrs: _like(F, dy, x),
          infer_shape=lambda in_shapes, **attrs: [_reshape_target(in_shapes[0], **attrs)],
          partial_shape=_reshape_partial_shape)
def _reshape(xp, data, shape=(), reverse=False, target_shape=(), keep_highest=False):
    """The same values in a new shape; ``shape`` may use the special codes
    0 (copy a dimension), -1 (infer), -2 (copy the rest), -3 (merge two), -4 (split one).

    ``target_shape`` and ``keep_highest`` are MXNet's deprecated way, used only
    without ``shape``: sizes where one 0 is inferred; ``keep_highest`` keeps the
    input's first dimension.

    >>> import d2lmini as mx
    >>> mx.nd.reshape(mx.nd.zeros((2, 3, 4)), shape=(0, -1)).shape
    (2, 12)
    >>> mx.nd.reshape(mx.nd.zeros((2, 3, 4)), target_shape=(4, 0)).shape
    (4, 6)
    """
    return data.reshape(_reshape_target(data.shape, shape, reverse, target_shape,
                                        keep_highest)).copy()


def _bound(value, default, ndim):
    """A begin/end attribute of reshape_like as a position among ``ndim`` axes."""
    if value is None:
        return default
    value = int(value)
    return value + ndim if value < 0 else value


def _reshape_like_shape(lhs, rhs, lhs_begin, lhs_end, rhs_begin, rhs_end):
    """``lhs`` with the dimensions ``lhs[lhs_begin:lhs_end]`` replaced by
    ``rhs[rhs_begin:rhs_end]`` (negative bounds count from the end)."""
    lb, le = _bound(lhs_begin, 0, len(lhs)), _bound(lhs_end, len(lhs), len(lhs))
    rb, re = _bound(rhs_begin, 0, len(rhs)), _bound(rhs_end, len(rhs), len(rhs))
    return tuple(lhs[:lb]) + tuple(rhs[rb:re]) + tuple(lhs[le:])


@register('reshape_like', inputs=('lhs', 'rhs'),
          backward=lambda F, dy, x, y, **attrs: [F.reshape_like(dy, x[0]), None])
def _reshape_like(xp, lhs, rhs, lhs_begin=None, lhs_end=None, rhs_begin=None, rhs_end=None):
    """``lhs``'s values in ``rhs``'s shape (or in a part of it, with the begin/end
    attributes, which select the dimensions replaced in ``lhs`` and taken from ``rhs``).

    >>> import d2lmini as mx
    >>> mx.nd.reshape_like(mx.nd.zeros((6,)), mx.nd.zeros((2, 3))).shape
    (2, 3)
    """
    shape = _reshape_like_shape(lhs.shape, rhs.shape, lhs_begin, lhs_end, rhs_begin, rhs_end)
    if math.prod(shape) != lhs.size:
        raise ShapeError(f'operator reshape_like: cannot reshape lhs of shape '
                         f'{shape_str(lhs.shape)} to {shape_str(shape)} (from rhs of shape '
                         f'{shape_str(rhs.shape)}): the sizes differ')
    return lhs.reshape(shape).copy()



@register('_identity_with_attr_like_rhs', inputs=('lhs', 'rhs'),
          partial_shape=partial_shapes.same_shape,
          backward=lambda F, dy, x, y: [dy, F.zeros_like(x[1])])
def _identity_with_attr_like_rhs(xp, lhs, rhs):
    """A copy of ``lhs``, which must have ``rhs``'s shape, as in MXNet 1.x: in a
    graph it ties the two shapes together, so that an operator's inference can give
    ``lhs``'s shape to ``rhs`` and back. ``rhs`` gets a zero gradient.

    >>> import d2lmini as mx
    >>> mx.nd._internal._identity_with_attr_like_rhs(mx.nd.ones((2,)), mx.nd.zeros((2,)))
    <BLANKLINE>
    [1. 1.]
    <NDArray 2 @cpu(0)>
    """
    if lhs.shape != rhs.shape:
        raise ShapeError(f'operator _identity_with_attr_like_rhs: lhs of shape '
                         f'{shape_str(lhs.shape)} must have the shape of rhs, '
                         f'{shape_str(rhs.shape)}')
    return lhs.copy()

# ------------------------------------------------------------------ axes
def _transpose_axes(op, axes, shape):
    ndim = len(shape)
    axes = _tuple(axes, f'operator {op}: axes')
    if not axes:
        return tuple(range(ndim - 1, -1, -1))
    if len(axes) != ndim:
        raise MXNetError(f'operator {op}: axes={axes} must name all {ndim} axes of an input '
                         f'of shape {shape_str(shape)}')
    _no_negative_axes(op, axes, ndim, shape)
    if len(set(axes)) != ndim:
        raise MXNetError(f'operator {op}: axes={axes} repeats an axis')
    return axes


def _transpose_backward(F, dy, x, y, axes):
    perm = _transpose_axes('transpose', axes, x[0].shape)
    return [F.transpose(dy, axes=tuple(int(i) for i in np.argsort(perm)))]


@register('transpose', backward=_transpose_backward)
def _transpose(xp, data, axes=()):
    """Permute the axes; by default reverse them (the matrix transpose for 2-D).

    >>> import d2lmini as mx
    >>> mx.nd.transpose(mx.nd.zeros((2, 3, 4)), axes=(1, 0, 2)).shape
    (3, 2, 4)
    """
    if not axes:  # the common matrix transpose, without validating an axes tuple
        return data.T.copy()
    return data.transpose(_transpose_axes('transpose', axes, data.shape)).copy()


@register('SwapAxis', aliases=('swapaxes',),
          backward=lambda F, dy, x, y, dim1, dim2: [F.swapaxes(dy, dim1=dim1, dim2=dim2)])
def _swapaxes(xp, data, dim1=0, dim2=0):
    """Exchange two axes.

    >>> import d2lmini as mx
    >>> mx.nd.swapaxes(mx.nd.zeros((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    a = _axis('swapaxes', dim1, data.ndim, data.shape)
    b = _axis('swapaxes', dim2, data.ndim, data.shape)
    return data.swapaxes(a, b).copy()


@register('expand_dims', backward=lambda F, dy, x, y, axis: _like(F, dy, x), required=('axis',))
def _expand_dims(xp, data, axis=None):
    """Insert an axis of length 1 at position ``axis`` (in ``[-ndim-1, ndim]``).

    >>> import d2lmini as mx
    >>> mx.nd.expand_dims(mx.nd.zeros((2, 3)), axis=1).shape
    (2, 1, 3)
    """
    axis = int(_required('expand_dims', 'axis', axis))
    n = data.ndim
    if not -n - 1 <= axis <= n:
        raise MXNetError(f'operator expand_dims: axis must be in [{-n - 1}, {n}] for an input '
                         f'of shape {shape_str(data.shape)}, got {axis}')
    axis %= n + 1
    return data.reshape(data.shape[:axis] + (1,) + data.shape[axis:]).copy()


@register('squeeze', backward=lambda F, dy, x, y, axis: _like(F, dy, x))
def _squeeze(xp, data, axis=None):
    """Remove axes of length 1 (all of them, or those in ``axis``). A result with
    no axes left has shape ``(1,)``.

    >>> import d2lmini as mx
    >>> mx.nd.squeeze(mx.nd.zeros((1, 3, 1))).shape
    (3,)
    """
    shape = data.shape
    if axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [_axis('squeeze', a, data.ndim, shape) for a in _tuple(axis)]
        if len(set(axes)) != len(axes):
            raise MXNetError(f'operator squeeze: axis={axis} repeats an axis')
        for a in axes:
            if shape[a] != 1:
                raise MXNetError(f'operator squeeze: axis {a} of an input of shape '
                                 f'{shape_str(shape)} has size {shape[a]}, not 1')
    out = tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)
    return data.reshape(out).copy()


@register('Flatten', aliases=('flatten',), backward=lambda F, dy, x, y: _like(F, dy, x))
def _flatten(xp, data):
    """Keep the first axis and merge all the others: ``(N, ...)`` becomes
    ``(N, product of the rest)``.

    >>> import d2lmini as mx
    >>> mx.nd.flatten(mx.nd.zeros((2, 3, 4))).shape
    (2, 12)
    """
    if data.ndim == 0:
        return data.reshape(1, 1).copy()
    return data.reshape(data.shape[0], math.prod(data.shape[1:])).copy()


# ------------------------------------------------------------------ join and split
def _check_num_args(op, num_args, n):
    if num_args is not None and int(num_args) != n:
        raise MXNetError(f'operator {op}: num_args={num_args} but {n} arrays were given')
    if n == 0:
        raise MXNetError(f'operator {op} needs at least one array')


def _check_dtypes(op, data):
    for i, d in enumerate(data[1:], 1):
        if d.dtype != data[0].dtype:
            raise MXNetError(f'operator {op}: all inputs need one dtype; input 0 is '
                             f'{data[0].dtype}, input {i} is {d.dtype}')


def _concat_backward(F, dy, x, y, dim, num_args):
    axis = int(dim) % x[0].ndim
    grads, start = [], 0
    lead = (None,) * axis
    for xi in x:
        n = xi.shape[axis]
        grads.append(F.slice(dy, begin=lead + (start,), end=lead + (start + n,)))
        start += n
    return grads


@register('Concat', aliases=('concat',), backward=_concat_backward,
          partial_shape=partial_shapes.concat, same_dtype=True)
def _concat(xp, *data, dim=1, num_args=None):
    """Join arrays along axis ``dim``; the other dimensions must agree.

    >>> import d2lmini as mx
    >>> mx.nd.concat(mx.nd.zeros((2, 3)), mx.nd.ones((2, 1)), dim=1).shape
    (2, 4)
    """
    _check_num_args('concat', num_args, len(data))
    _check_dtypes('concat', data)
    first = data[0]
    axis = _axis('concat', dim, first.ndim, first.shape)
    for i, d in enumerate(data):
        if d.ndim != first.ndim or any(a != b for j, (a, b) in enumerate(zip(d.shape, first.shape))
                                       if j != axis):
            raise MXNetError(f'operator concat: input {i} has shape {shape_str(d.shape)}, which '
                             f'does not match input 0 of shape {shape_str(first.shape)} outside '
                             f'dim={dim}')
    return xp.concatenate(data, axis=axis)


# the Gluon RNN layers' concatenation of their flattened parameters: Concat under the
# name MXNet 1.x gives it in graphs (``_rnn_param_concat``, where its shape inference
# also fills in the parameters' sizes)
register('_rnn_param_concat', _concat, backward=_concat_backward,
         partial_shape=partial_shapes.concat)


def _stack_backward(F, dy, x, y, axis, num_args):
    axis = int(axis) % (x[0].ndim + 1)
    parts = F.split(dy, num_outputs=len(x), axis=axis, squeeze_axis=True)
    return list(parts) if isinstance(parts, (list, tuple)) else [parts]


@register('stack', backward=_stack_backward, same_dtype=True)
def _stack(xp, *data, axis=0, num_args=None):
    """Join same-shaped arrays along a new axis ``axis``.

    >>> import d2lmini as mx
    >>> mx.nd.stack(mx.nd.zeros((2, 3)), mx.nd.ones((2, 3)), axis=1).shape
    (2, 2, 3)
    """
    _check_num_args('stack', num_args, len(data))
    _check_dtypes('stack', data)
    first = data[0]
    n = first.ndim
    if not -n - 1 <= int(axis) <= n:
        raise MXNetError(f'operator stack: axis {axis} is out of range for inputs of shape '
                         f'{shape_str(first.shape)}')
    for i, d in enumerate(data):
        if d.shape != first.shape:
            raise MXNetError(f'operator stack: input {i} has shape {shape_str(d.shape)}, input 0 '
                             f'{shape_str(first.shape)}; all must be equal')
    return xp.stack(data, axis=int(axis) % (n + 1))


def _split_check(data_shape, num_outputs, axis, squeeze_axis):
    n = int(_required('split', 'num_outputs', num_outputs))
    if n < 1:
        raise MXNetError(f'operator split: num_outputs must be at least 1, got {n}')
    ax = _axis('split', axis, len(data_shape), data_shape)
    size = data_shape[ax]
    if size % n:
        raise MXNetError(f'operator split: cannot split axis {ax} of an input of shape '
                         f'{shape_str(data_shape)} into {n} equal parts')
    if squeeze_axis and size != n:
        raise MXNetError(f'operator split: squeeze_axis=True needs axis {ax} to have size '
                         f'num_outputs={n}, but the input has shape {shape_str(data_shape)}')
    return n, ax


def _split_shapes(in_shapes, num_outputs=None, axis=1, squeeze_axis=False):
    shape = tuple(in_shapes[0])
    n, ax = _split_check(shape, num_outputs, axis, squeeze_axis)
    part = shape[:ax] + (() if squeeze_axis else (shape[ax] // n,)) + shape[ax + 1:]
    return [part] * n


def _split_backward(F, dy, x, y, num_outputs, axis, squeeze_axis):
    ax = int(axis) % x[0].ndim
    dys = dy if isinstance(dy, tuple) else (dy,)
    if squeeze_axis:
        dys = [F.expand_dims(d, axis=ax) for d in dys]
    return [F.concat(*dys, dim=ax)]


@register('SliceChannel', aliases=('split',), num_outputs=0, backward=_split_backward,
          infer_shape=_split_shapes, required=('num_outputs',))
def _split(xp, data, num_outputs=None, axis=1, squeeze_axis=False):
    """Cut an array into ``num_outputs`` equal parts along ``axis``; with
    ``squeeze_axis=True`` (parts of length 1) that axis is dropped.

    >>> import d2lmini as mx
    >>> [p.shape for p in mx.nd.split(mx.nd.zeros((2, 6)), num_outputs=3, axis=1)]
    [(2, 2), (2, 2), (2, 2)]
    """
    n, ax = _split_check(data.shape, num_outputs, axis, squeeze_axis)
    parts = xp.split(data, n, axis=ax)
    if squeeze_axis:
        parts = [p.squeeze(ax) for p in parts]
    return tuple(p.copy() for p in parts)


# ------------------------------------------------------------------ repeat and tile
def _tile_reps(op, reps, shape):
    reps = _tuple(_required(op, 'reps', reps), f'operator {op}: reps')
    if any(r <= 0 for r in reps):
        raise MXNetError(f'operator {op}: reps={reps} must be positive')
    return reps


@register('tile', backward=lambda F, dy, x, y, reps: [F._backward_tile(dy, x[0], reps=reps)],
          required=('reps',))
def _tile(xp, data, reps=None):
    """Repeat the whole array ``reps[i]`` times along each axis i (missing leading
    entries of ``reps`` or of the shape count as 1).

    >>> import d2lmini as mx
    >>> mx.nd.tile(mx.nd.array([1, 2]), reps=(2, 2))
    <BLANKLINE>
    [[1. 2. 1. 2.]
     [1. 2. 1. 2.]]
    <NDArray 2x4 @cpu(0)>
    """
    return xp.tile(data, _tile_reps('tile', reps, data.shape))


@register('_backward_tile', inputs=('ograd', 'data'),
          backward=lambda F, dy, x, y, reps: [F.tile(dy, reps=reps), None])
def _backward_tile(xp, ograd, data, reps=None):
    """Sum the gradient of ``tile``'s copies back onto one copy."""
    reps = _tuple(reps)
    n = max(data.ndim, len(reps))
    shape = (1,) * (n - data.ndim) + data.shape
    reps = (1,) * (n - len(reps)) + reps
    # the output axis of size r*d splits into (r, d); the r-axes are the copies
    interleaved = tuple(v for pair in zip(reps, shape) for v in pair)
    g = ograd.reshape(interleaved).sum(axis=tuple(range(0, 2 * n, 2)))
    return g.reshape(data.shape).astype(ograd.dtype, copy=False)


def _repeat_shape(data, repeats, axis):
    r = int(_required('repeat', 'repeats', repeats))
    if r < 0:
        raise MXNetError(f'operator repeat: repeats={r} cannot be negative')
    ax = None if axis is None else _axis('repeat', axis, data.ndim, data.shape)
    return r, ax


@register('repeat', backward=lambda F, dy, x, y, repeats, axis: [
    F._backward_repeat(dy, x[0], repeats=repeats, axis=axis)], required=('repeats',))
def _repeat(xp, data, repeats=None, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened array
    when ``axis`` is None).

    >>> import d2lmini as mx
    >>> mx.nd.repeat(mx.nd.array([[1, 2], [3, 4]]), repeats=2, axis=1)
    <BLANKLINE>
    [[1. 1. 2. 2.]
     [3. 3. 4. 4.]]
    <NDArray 2x4 @cpu(0)>
    """
    r, ax = _repeat_shape(data, repeats, axis)
    if r == 0:  # MXNet gives shape (0,) here, whatever the axis
        return xp.zeros((0,), data.dtype)
    return xp.repeat(data, r, axis=ax)


@register('_backward_repeat', inputs=('ograd', 'data'),
          backward=lambda F, dy, x, y, repeats, axis: [F.repeat(dy, repeats=repeats, axis=axis),
                                                       None])
def _backward_repeat(xp, ograd, data, repeats=None, axis=None):
    """Sum the gradient of ``repeat``'s copies of each element."""
    r, ax = _repeat_shape(data, repeats, axis)
    if r == 0:
        return xp.zeros_like(data)
    if ax is None:
        return ograd.reshape(data.size, r).sum(axis=1).reshape(data.shape)
    s = data.shape
    return ograd.reshape(s[:ax] + (s[ax], r) + s[ax + 1:]).sum(axis=ax + 1)


@register('reverse', aliases=('flip',), backward=lambda F, dy, x, y, axis: [F.flip(dy, axis=axis)],
          required=('axis',))
def _flip(xp, data, axis=None):
    """Reverse the order of the elements along ``axis`` (an int or a tuple).

    >>> import d2lmini as mx
    >>> mx.nd.flip(mx.nd.array([[1, 2], [3, 4]]), axis=1)
    <BLANKLINE>
    [[2. 1.]
     [4. 3.]]
    <NDArray 2x2 @cpu(0)>
    """
    axes = _no_negative_axes('flip', _tuple(_required('flip', 'axis', axis)), data.ndim,
                             data.shape)
    key = [slice(None)] * data.ndim
    for a in axes:  # an axis named twice is flipped twice, as in MXNet
        key[a] = slice(None, None, -1) if key[a].step is None else slice(None)
    return data[tuple(key)].copy()


# ------------------------------------------------------------------ broadcast
def _broadcast_check(op, src, dst):
    if len(src) != len(dst) or any(s != d and s != 1 for s, d in zip(src, dst)):
        raise MXNetError(f'operator {op}: cannot broadcast an input of shape {shape_str(src)} '
                         f'to {shape_str(dst)} (dimensions must be equal or 1, and the '
                         'number of dimensions must agree)')


@register('broadcast_to', backward=lambda F, dy, x, y, shape: [sum_to(F, dy, x[0].shape)])
def _broadcast_to(xp, data, shape=()):
    """Repeat dimensions of length 1 to reach ``shape``; a 0 in ``shape`` keeps
    that dimension of the input.

    >>> import d2lmini as mx
    >>> mx.nd.broadcast_to(mx.nd.array([[1, 2]]), shape=(2, 0))
    <BLANKLINE>
    [[1. 2.]
     [1. 2.]]
    <NDArray 2x2 @cpu(0)>
    """
    target = _tuple(shape, 'operator broadcast_to: shape')
    if len(target) == data.ndim:
        target = tuple(s if t == 0 else t for s, t in zip(data.shape, target))
    if target == data.shape:
        return data.copy()
    _broadcast_check('broadcast_to', data.shape, target)
    return xp.broadcast_to(data, target).copy()


@register('broadcast_like', inputs=('lhs', 'rhs'),
          backward=lambda F, dy, x, y, **attrs: [sum_to(F, dy, x[0].shape), None])
def _broadcast_like(xp, lhs, rhs, lhs_axes=None, rhs_axes=None):
    """Broadcast ``lhs`` to ``rhs``'s shape, or only its axes ``lhs_axes`` to the
    sizes of ``rhs``'s axes ``rhs_axes``.

    >>> import d2lmini as mx
    >>> mx.nd.broadcast_like(mx.nd.ones((1, 3)), mx.nd.zeros((2, 3))).shape
    (2, 3)
    """
    if lhs_axes is None and rhs_axes is None:
        _broadcast_check('broadcast_like', lhs.shape, rhs.shape)
        return xp.broadcast_to(lhs, rhs.shape).copy()
    la, ra = _tuple(lhs_axes), _tuple(rhs_axes)
    if len(la) != len(ra) or not la:
        raise MXNetError(f'operator broadcast_like: lhs_axes={la} and rhs_axes={ra} must be '
                         'non-empty and of the same length')
    target = list(lhs.shape)
    for a, b in zip(la, ra):
        a = _axis('broadcast_like', a, lhs.ndim, lhs.shape)
        b = _axis('broadcast_like', b, rhs.ndim, rhs.shape)
        if lhs.shape[a] != 1 and lhs.shape[a] != rhs.shape[b]:
            raise MXNetError(f'operator broadcast_like: axis {a} of lhs (shape '
                             f'{shape_str(lhs.shape)}) has size {lhs.shape[a]}, which cannot be '
                             f'broadcast to {rhs.shape[b]}')
        target[a] = rhs.shape[b]
    return xp.broadcast_to(lhs, tuple(target)).copy()


@register('broadcast_axis', aliases=('broadcast_axes',),
          backward=lambda F, dy, x, y, axis, size: [sum_to(F, dy, x[0].shape)])
def _broadcast_axis(xp, data, axis=(), size=()):
    """Repeat the length-1 axes ``axis`` to the lengths ``size``.

    >>> import d2lmini as mx
    >>> mx.nd.broadcast_axis(mx.nd.zeros((1, 3, 1)), axis=(0, 2), size=(2, 4)).shape
    (2, 3, 4)
    """
    axes = _tuple(axis, 'operator broadcast_axis: axis')
    sizes = _tuple(size, 'operator broadcast_axis: size')
    if len(axes) != len(sizes):
        raise MXNetError(f'operator broadcast_axis: axis={axes} and size={sizes} must have the '
                         'same length')
    _no_negative_axes('broadcast_axis', axes, data.ndim, data.shape)
    target = list(data.shape)
    for a, s in zip(axes, sizes):
        if target[a] != 1:
            raise MXNetError(f'operator broadcast_axis: axis {a} of an input of shape '
                             f'{shape_str(data.shape)} must have size 1 to be broadcast')
        target[a] = s
    return xp.broadcast_to(data, tuple(target)).copy()


# ------------------------------------------------------------------ pad
_PAD_MODES = ('constant', 'edge', 'reflect')


def _pad_pairs(data_shape, mode, pad_width):
    """Check ``Pad``'s attributes; the padding as ``((before, after), ...)`` per axis."""
    mode = _required('pad', 'mode', mode)
    flat = _tuple(_required('pad', 'pad_width', pad_width), 'operator pad: pad_width')
    if mode not in _PAD_MODES:
        raise MXNetError(f'operator pad: mode={mode!r} must be one of {", ".join(_PAD_MODES)}')
    ndim = len(data_shape)
    if ndim not in (4, 5):
        raise MXNetError(f'operator pad: the input must be 4-D or 5-D, got shape '
                         f'{shape_str(data_shape)}')
    if len(flat) != 2 * ndim:
        raise MXNetError(f'operator pad: pad_width={flat} must hold two numbers per axis of an '
                         f'input of shape {shape_str(data_shape)}')
    pairs = tuple(zip(flat[::2], flat[1::2]))
    if any(pairs[0]) or any(pairs[1]):
        raise MXNetError(f'operator pad: pad_width={flat} must not pad the first two axes '
                         '(batch and channel)')
    if mode == 'reflect' and any(max(p) >= d for p, d in zip(pairs, data_shape)):
        raise MXNetError(f'operator pad: reflect padding {flat} must be smaller than the '
                         f'input {shape_str(data_shape)} along each axis')
    return mode, pairs


def _pad_backward(F, dy, x, y, mode, pad_width, constant_value):
    return [F._backward_Pad(dy, mode=mode, pad_width=pad_width)]


@register('Pad', aliases=('pad',), backward=_pad_backward, required=('mode', 'pad_width'))
def _pad(xp, data, mode=None, pad_width=None, constant_value=0.0):
    """Pad the spatial axes of a 4-D or 5-D array. ``pad_width`` holds
    ``(before, after)`` for every axis in one flat tuple, zeros for the first two;
    ``mode`` is 'constant' (fill with ``constant_value``), 'edge' (repeat the border)
    or 'reflect' (mirror around the border).

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((1, 1, 2, 2))
    >>> mx.nd.pad(x, mode='constant', pad_width=(0, 0, 0, 0, 1, 1, 1, 1)).shape
    (1, 1, 4, 4)
    """
    if data.dtype.kind != 'f':
        raise MXNetError(f'operator pad supports floating-point inputs only, not {data.dtype}')
    mode, pairs = _pad_pairs(data.shape, mode, pad_width)
    if mode == 'constant':
        return xp.pad(data, pairs, mode='constant', constant_values=constant_value)
    return xp.pad(data, pairs, mode=mode)


@register('_backward_Pad',
          backward=lambda F, dy, x, y, mode, pad_width: [
              F.pad(dy, mode=mode, pad_width=pad_width, constant_value=0.0)])
def _backward_pad(xp, data, mode=None, pad_width=None):
    """The gradient of ``pad``: each padded position adds its gradient to the input
    position it copied (none for constant padding)."""
    pairs = tuple(zip(_tuple(pad_width)[::2], _tuple(pad_width)[1::2]))
    g = data
    for axis, (before, after) in enumerate(pairs):
        if not before and not after:
            continue
        n = g.shape[axis] - before - after
        lead = (slice(None),) * axis
        if mode == 'constant':
            g = g[lead + (slice(before, before + n),)]
            continue
        # the input index that each output position along this axis was copied from
        source = xp.asarray(np.pad(np.arange(n), (before, after), mode=mode))
        out = xp.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], g.dtype)
        backend.scatter_add(xp, out, lead + (source,), g)
        g = out
    return _own(xp, g, data)


# ------------------------------------------------------------------ depth and space
def _block(op, data, block_size):
    b = int(_required(op, 'block_size', block_size))
    if data.ndim != 4 or b < 1:
        raise MXNetError(f'operator {op} needs a 4-D input and block_size >= 1, got shape '
                         f'{shape_str(data.shape)} and block_size={block_size}')
    return b


@register('depth_to_space',
          backward=lambda F, dy, x, y, block_size: [F.space_to_depth(dy, block_size=block_size)],
          required=('block_size',))
def _depth_to_space(xp, data, block_size=None):
    """Move blocks of channels into space: ``(N, C*b*b, H, W)`` becomes
    ``(N, C, H*b, W*b)``.

    >>> import d2lmini as mx
    >>> mx.nd.depth_to_space(mx.nd.zeros((1, 4, 2, 3)), 2).shape
    (1, 1, 4, 6)
    """
    b = _block('depth_to_space', data, block_size)
    n, c, h, w = data.shape
    if c % (b * b):
        raise MXNetError(f'operator depth_to_space: channels {c} of an input of shape '
                         f'{shape_str(data.shape)} are not a multiple of block_size^2 = {b * b}')
    x = data.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    return _own(xp, x.reshape(n, c // (b * b), h * b, w * b), data)


@register('space_to_depth',
          backward=lambda F, dy, x, y, block_size: [F.depth_to_space(dy, block_size=block_size)],
          required=('block_size',))
def _space_to_depth(xp, data, block_size=None):
    """Move ``b x b`` blocks of space into channels: ``(N, C, H, W)`` becomes
    ``(N, C*b*b, H/b, W/b)``; the inverse of ``depth_to_space``.

    >>> import d2lmini as mx
    >>> mx.nd.space_to_depth(mx.nd.zeros((1, 1, 4, 6)), 2).shape
    (1, 4, 2, 3)
    """
    b = _block('space_to_depth', data, block_size)
    n, c, h, w = data.shape
    if h % b or w % b:
        raise MXNetError(f'operator space_to_depth: the spatial size of an input of shape '
                         f'{shape_str(data.shape)} is not a multiple of block_size={b}')
    x = data.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return _own(xp, x.reshape(n, c * b * b, h // b, w // b), data)


# ------------------------------------------------------------------ split_v2
def _split_v2_bounds(name, shape, indices, axis, sections):
    ax = _axis(name, axis, len(shape), shape)
    size = shape[ax]
    if sections > 0:
        if size % sections:
            raise MXNetError(f'operator {name}: cannot split axis {ax} of shape '
                             f'{shape_str(shape)} into {sections} equal parts')
        starts = [i * (size // sections) for i in range(sections)]
    else:
        if indices is None or not len(indices):
            raise MXNetError(f'operator {name}: the split indices are required')
        starts = [int(i) for i in indices]
    ends = starts[1:] + [size]
    for k, (s, e) in enumerate(zip(starts, ends)):
        if not 0 <= s <= e or (k < len(starts) - 1 and e > size):
            raise MXNetError(f'operator {name}: split indices {tuple(starts)} must be sorted '
                             f'and within the axis of size {size} (part {k}: {s} to {e})')
    return ax, starts, ends


def _split_v2_shapes(in_shapes, indices=None, axis=1, squeeze_axis=False, sections=0):
    shape = tuple(in_shapes[0])
    ax, starts, ends = _split_v2_bounds('_split_v2', shape, indices, axis, sections)
    return [shape[:ax] + (() if squeeze_axis else (e - s,)) + shape[ax + 1:]
            for s, e in zip(starts, ends)]


def _split_v2(xp, data, indices=None, axis=1, squeeze_axis=False, sections=0):
    """Cut ``data`` along ``axis`` at ``indices`` (the start of every part, the first
    usually 0), or into ``sections`` equal parts; ``nd.split_v2`` is the front end.

    >>> import d2lmini as mx
    >>> [p.shape for p in mx.nd.split_v2(mx.nd.zeros((2, 6)), (1, 3), axis=1)]
    [(2, 1), (2, 2), (2, 3)]
    """
    ax, starts, ends = _split_v2_bounds('_split_v2', data.shape, indices, axis, sections)
    if squeeze_axis and any(e - s != 1 for s, e in zip(starts, ends)):
        raise MXNetError('operator _split_v2: squeeze_axis=True needs every part to have '
                         f'length 1 along axis {ax}')
    parts = []
    for s, e in zip(starts, ends):
        p = xp.take(data, xp.arange(s, e), axis=ax) if xp is not np else \
            data[(slice(None),) * ax + (slice(s, e),)].copy()
        parts.append(p.squeeze(ax) if squeeze_axis else p)
    return tuple(parts)


def _split_v2_backward(F, dy, x, y, indices, axis, squeeze_axis, sections):
    ax = int(axis) % x[0].ndim
    dys = dy if isinstance(dy, tuple) else (dy,)
    if squeeze_axis:
        dys = [F.expand_dims(d, axis=ax) for d in dys]
    dys = [d for d in dys if d.size]
    return [F.concat(*dys, dim=ax) if len(dys) > 1 else dys[0]]


register('_split_v2', _split_v2, num_outputs=0, backward=_split_v2_backward,
         infer_shape=_split_v2_shapes, attr_types={'indices': 'shape'},
         num_visible_outputs=lambda attrs: (attrs['sections'] if attrs['sections'] > 0
                                            else len(attrs['indices'] or ())))
