"""Indexing (``x[key]``, ``x[key] = v``), copies between devices, and dtype casts:
the operators behind NDArray's Python protocols."""
import numpy as np

from .. import backend
from ..base import IndexingError, ShapeError, as_dtype, shape_str
from .elemwise import sum_to
from .registry import register
from . import partial_shapes


def _is_basic(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
               for k in items)


def _unit_steps(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(k.step in (None, 1) for k in items if isinstance(k, slice))


def _index_error(exc, shape, key):
    """An IndexingError (an IndexError, as MXNet raises) for numpy's complaint about
    ``key``, with the array's shape."""
    return IndexingError(f'{exc} (indexing an array of shape {shape_str(shape)} with key '
                         f'{key!r})')


def _key_axes(ndim, key):
    """``(axis, item)`` for each item of ``key`` that stands for one axis of an array
    of ``ndim`` axes (``None`` adds an axis, ``...`` stands for the ones not named)."""
    items = key if isinstance(key, tuple) else (key,)
    named = sum(1 for k in items if k is not None and k is not Ellipsis)
    axis = 0
    for k in items:
        if k is None:
            continue
        if k is Ellipsis:
            axis += ndim - named
            continue
        yield axis, k
        axis += 1


def _bounds(xp, shape, key):
    """Raise for an integer, or an integer array, of ``key`` past the end of its axis.
    numpy checks this itself; cupy's advanced indexing does not (it would wrap)."""
    for axis, k in _key_axes(len(shape), key):
        if axis >= len(shape) or isinstance(k, slice):
            continue
        n = shape[axis]
        if isinstance(k, (int, np.integer)):
            bad = [int(k)] if not -n <= k < n else []
        elif getattr(k, 'size', 0):
            low, high = int(k.min()), int(k.max())
            bad = [i for i in (low, high) if not -n <= i < n]
        else:
            continue
        if bad:
            raise IndexingError(f'index {bad[0]} is out of bounds for axis {axis} with size {n} '
                                f'(indexing an array of shape {shape_str(shape)})')


def _getitem(xp, data, key=None):
    """``data[key]`` with MXNet's rules: a basic key (integers and step-1 slices) whose
    result is one contiguous block of memory gives a view that shares it; every other
    key gives a copy. Where numpy would give a scalar the result has shape ``(1,)``
    (still a view). An index past the end of an axis raises an IndexError naming the
    index, the axis and its size, as in MXNet."""
    if type(key) is slice and key.step is None:  # rows i:j, the most common key
        out = data[key]
        if out.flags.c_contiguous:
            return out
    try:
        if not _is_basic(key):
            if xp is not np:
                _bounds(xp, data.shape, key)
            return data[key]  # advanced indexing: numpy copies
        items = key if isinstance(key, tuple) else (key,)
        if (Ellipsis not in items and None not in items and len(items) == data.ndim
                and all(isinstance(k, (int, np.integer)) for k in items)):
            # one element: a length-1 slice per axis keeps it a view of ``data``
            one = tuple(slice(k, k + 1 if k != -1 else None) for k in items)
            out = data[one]
            if out.size != 1:  # an index past the end gave an empty slice
                _bounds(xp, data.shape, items)
            return out.reshape(1)
        out = data[key]
    except IndexingError:
        raise
    except (IndexError, ValueError) as e:  # ValueError: a slice step of 0
        raise _index_error(e, data.shape, key) from None
    if not (_unit_steps(key) and out.flags.c_contiguous):
        out = out.copy()
    return out


def _index_scatter(xp, data, like, key=None):
    """Zeros shaped like ``like`` with ``data`` added at ``key`` (getitem's backward);
    repeated indices add up."""
    out = xp.zeros_like(like)
    region = out[key]
    data = data.reshape(region.shape)
    if _is_basic(key):
        out[key] = data
    else:
        backend.scatter_add(xp, out, key, data)
    return out


def _setitem(xp, data, value, key=None):
    """A copy of ``data`` with ``value`` written at ``key`` (broadcasting)."""
    out = data.copy()
    try:
        if xp is not np and not _is_basic(key):
            _bounds(xp, data.shape, key)
        region = out[key]
    except IndexingError:
        raise
    except (IndexError, ValueError) as e:  # ValueError: a slice step of 0
        raise _index_error(e, data.shape, key) from None
    if value.size == region.size and value.shape != region.shape:
        value = value.reshape(region.shape)
    try:
        out[key] = value
    except ValueError as e:  # a ValueError in MXNet too: code may catch it
        raise ShapeError(f'operator _setitem: {e} (writing into an array of shape '
                         f'{shape_str(data.shape)} with key {key!r})') from None
    return out


register('_getitem', _getitem,
         backward=lambda F, dy, x, y, key: [F._index_scatter(dy, x[0], key=key)])
register('_index_scatter', _index_scatter, inputs=('data', 'like'),
         backward=lambda F, dy, x, y, key: [F._getitem(dy, key=key), None])
register('_setitem', _setitem, inputs=('data', 'value'),
         backward=lambda F, dy, x, y, key: [
             F._setitem(dy, F.zeros((1,), ctx=dy.context, dtype=dy.dtype), key=key),
             sum_to(F, F._getitem(dy, key=key), x[1].shape)])


# ------------------------------------------------------------------ in-place writes, in the graph
# An array sharing memory that was written while recording takes, at the written
# positions, the values written there (see ndarray.py): ``_overlay`` is that step.
# Positions are flat (C order) index arrays; ``dst`` and ``src`` pair them up.
def _overlay(xp, data, value, dst=None, src=None):
    """``data`` with its flat positions ``dst`` replaced by ``value``'s flat positions
    ``src``."""
    out = data.copy()
    out.reshape(-1)[dst] = value.reshape(-1)[src]
    return out


def _flat_zero(xp, data, index=None):
    """``data`` with its flat positions ``index`` set to zero."""
    out = data.copy()
    out.reshape(-1)[index] = 0
    return out


def _flat_move(xp, data, like, src=None, dst=None):
    """Zeros shaped like ``like``, with ``data``'s flat positions ``src`` at its flat
    positions ``dst`` (no position repeats, so nothing adds up)."""
    out = xp.zeros(like.shape, data.dtype)
    out.reshape(-1)[dst] = data.reshape(-1)[src]
    return out


register('_overlay', _overlay, inputs=('data', 'value'),
         backward=lambda F, dy, x, y, dst, src: [
             F._flat_zero(dy, index=dst), F._flat_move(dy, x[1], src=dst, dst=src)])
register('_flat_zero', _flat_zero,
         backward=lambda F, dy, x, y, index: [F._flat_zero(dy, index=index)])
register('_flat_move', _flat_move, inputs=('data', 'like'),
         backward=lambda F, dy, x, y, src, dst: [F._flat_move(dy, x[0], src=dst, dst=src),
                                                  None])


# ------------------------------------------------------------------ copies and casts
# ``source``: the context the data came from. The tape wraps a node's inputs on the
# node's own context (its output's), which for a copy between contexts is the
# destination, so the copy says where its gradient must go back to.
register('_copyto', lambda xp, data, source=None: data.copy(),
         backward=lambda F, dy, x, y, source: [dy.as_in_context(source or x[0].context)])
register('_copy', lambda xp, data: data.copy(), partial_shape=partial_shapes.same_shape,
         backward=lambda F, dy, x, y: [dy], aliases=('identity',),
         doc='A copy of ``data`` (the gradient passes through unchanged).')
register('Cast', lambda xp, data, dtype='float32': data.astype(as_dtype(dtype)),
         partial_shape=partial_shapes.same_shape,
         backward=lambda F, dy, x, y, dtype: [dy.astype(x[0].dtype)], aliases=('cast',),
         doc='''``data`` converted to ``dtype`` (``'float16'``, ``'int32'``, ...); the
         gradient is converted back to the dtype of ``data``.

         >>> import d2lmini as mx
         >>> mx.nd.cast(mx.nd.array([1.7]), dtype='int32').asnumpy().tolist()
         [1]''', required=('dtype',))
register('BlockGrad', lambda xp, data: data.copy(), aliases=('stop_gradient',), no_grad=True,
         partial_shape=partial_shapes.same_shape,
         doc='''A copy of ``data`` that stops gradients: nothing flows back through it.

         >>> import d2lmini as mx
         >>> x = mx.nd.ones((2,))
         >>> x.attach_grad()
         >>> with mx.autograd.record():
         ...     y = (mx.nd.stop_gradient(x) * x).sum()
         >>> y.backward()
         >>> x.grad.asnumpy().tolist()
         [1.0, 1.0]''')


# ------------------------------------------------------------------ boolean mask
def _kept_rows(xp, data, index, axis):
    if axis != 0:
        raise ShapeError(f'operator _contrib_boolean_mask: axis={axis}; only axis 0 is '
                         'supported, as in MXNet 1.x')
    if index.ndim != 1 or index.shape[0] != data.shape[0]:
        raise ShapeError(f'operator _contrib_boolean_mask: index of shape '
                         f'{shape_str(index.shape)} must have one value per row of data '
                         f'{shape_str(data.shape)}')
    return xp.flatnonzero(index)


def _boolean_mask(xp, data, index, axis=0):
    """The rows of ``data`` where ``index`` (one value per row) is non-zero: an
    output whose shape depends on the values of ``index``, so a graph holding it
    knows its shape only when it runs. ``sym.contrib.boolean_mask`` makes this node;
    ``nd.contrib.boolean_mask`` computes the same eagerly. The gradient goes back to
    the rows that were kept.

    >>> import d2lmini as mx
    >>> data = mx.sym.var('data')
    >>> rows = mx.sym.contrib.boolean_mask(data, mx.sym.var('index'))
    >>> rows.eval(data=mx.nd.array([[1, 2], [3, 4], [5, 6]]),
    ...           index=mx.nd.array([0, 1, 1]))[0].asnumpy()
    array([[3., 4.],
           [5., 6.]], dtype=float32)
    """
    return data[_kept_rows(xp, data, index, axis)]


def _boolean_mask_scatter(xp, dy, data, index, axis=0):
    """The gradient of ``boolean_mask``: ``dy``'s rows put back where they were
    taken from, zeros elsewhere."""
    grad = xp.zeros_like(data)
    grad[_kept_rows(xp, data, index, axis)] = dy
    return grad


# Without the values of ``index``, the number of rows is unknown: the declared shape
# (from a run on zeros) is ``(0, ...)``, 0 being MXNet 1.x's unknown dimension, and the
# executor learns the real shape when the node runs.
register('_contrib_boolean_mask', _boolean_mask, inputs=('data', 'index'),
         backward=lambda F, dy, x, y, axis: [
             F._backward_contrib_boolean_mask(dy, x[0], x[1], axis=axis), None],
         infer_type=lambda types, **attrs: [types[0]])
register('_backward_contrib_boolean_mask', _boolean_mask_scatter,
         inputs=('dy', 'data', 'index'), infer_type=lambda types, **attrs: [types[1]],
         infer_shape=lambda shapes, **attrs: [tuple(shapes[1])],
         backward=lambda F, dy, x, y, axis: [
             F._contrib_boolean_mask(dy, x[2], axis=axis), None, None])
