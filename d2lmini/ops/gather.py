"""Gathering and scattering by index arrays: ``gather_nd``/``scatter_nd`` (MXNet's
layout: the *first* axis of ``indices`` runs over the indexed axes), and MXNet's
older operators ``fill_element_0index`` and ``onehot_encode``
(``choose_element_0index`` is ``pick``'s older name, as in MXNet 1.x).

Indices may be stored as floats, as MXNet's usually are; they are read as integers.

>>> import d2lmini as mx
>>> data = mx.nd.array([[0, 1], [2, 3]])
>>> mx.nd.gather_nd(data, mx.nd.array([[1, 0], [0, 1]]))   # data[1, 0], data[0, 1]
<BLANKLINE>
[2. 1.]
<NDArray 2 @cpu(0)>
"""
import numpy as np

from ..base import MXNetError, as_shape, shape_str
from .. import backend
from .registry import register


def _index_tuple(name, indices, shape):
    """``indices`` of shape ``(M, ...)`` as a tuple of M integer arrays, checked
    against the ``shape`` they index."""
    if indices.ndim < 1 or indices.shape[0] > len(shape):
        raise MXNetError(f'operator {name}: indices of shape {shape_str(indices.shape)} '
                         f'index {indices.shape[0] if indices.ndim else 0} axes, but the array '
                         f'has {len(shape)} ({shape_str(shape)})')
    idx = indices.astype(np.int64)
    return tuple(idx[i] for i in range(idx.shape[0]))


# ------------------------------------------------------------------ gather_nd
def _gather_nd(xp, data, indices):
    """Elements (or slices) of ``data`` picked by ``indices``: ``indices`` has shape
    ``(M, Y0, ..., Yk)`` and the result ``(Y0, ..., Yk) + data.shape[M:]``, with
    ``out[y] = data[indices[0][y], ..., indices[M-1][y]]``.

    >>> import d2lmini as mx
    >>> data = mx.nd.arange(6).reshape((3, 2))
    >>> mx.nd.gather_nd(data, mx.nd.array([[2, 0]]))         # rows 2 and 0
    <BLANKLINE>
    [[4. 5.]
     [0. 1.]]
    <NDArray 2x2 @cpu(0)>
    """
    return data[_index_tuple('gather_nd', indices, data.shape)]


register('gather_nd', _gather_nd, inputs=('data', 'indices'),
         backward=lambda F, dy, x, y: [F._backward_gather_nd(dy, x[1], shape=x[0].shape),
                                       F.zeros_like(x[1])])


def _backward_gather_nd(xp, data, indices, shape=()):
    """The gradient of ``gather_nd``: an array of ``shape`` of zeros to which each
    element of ``data`` is *added* at its index (repeated indices accumulate)."""
    shape = as_shape(shape)
    out = xp.zeros(shape, dtype=data.dtype)
    backend.scatter_add(xp, out, _index_tuple('_backward_gather_nd', indices, shape), data)
    return out


register('_backward_gather_nd', _backward_gather_nd, inputs=('data', 'indices'),
         infer_shape=lambda in_shapes, shape=(), **attrs: [as_shape(shape)],
         backward=lambda F, dy, x, y, shape: [F.gather_nd(dy, x[1]), F.zeros_like(x[1])])


# ------------------------------------------------------------------ scatter_nd
def _scatter_nd(xp, data, indices, shape=()):
    """The inverse of ``gather_nd``: an array of ``shape``, zero except where
    ``indices`` (shape ``(M, Y0, ..., Yk)``) point, which get the values of ``data``
    (shape ``(Y0, ..., Yk) + shape[M:]``). Where an index repeats, one of its values
    is kept (which one is not specified, as in MXNet).

    >>> import d2lmini as mx
    >>> mx.nd.scatter_nd(mx.nd.array([5, 6]), mx.nd.array([[0, 1], [1, 0]]), shape=(2, 2))
    <BLANKLINE>
    [[0. 5.]
     [6. 0.]]
    <NDArray 2x2 @cpu(0)>
    """
    shape = as_shape(shape)
    out = xp.zeros(shape, dtype=data.dtype)
    out[_index_tuple('scatter_nd', indices, shape)] = data
    return out


register('scatter_nd', _scatter_nd, inputs=('data', 'indices'),
         infer_shape=lambda in_shapes, shape=(), **attrs: [as_shape(shape)],
         backward=lambda F, dy, x, y, shape: [F.gather_nd(dy, x[1]), F.zeros_like(x[1])])


# ------------------------------------------------------------------ MXNet's older operators
def _rows(name, lhs, rhs):
    if lhs.ndim != 2 or rhs.shape != (lhs.shape[0],):
        raise MXNetError(f'operator {name}: expected a matrix and one index per row, got '
                         f'{shape_str(lhs.shape)} and {shape_str(rhs.shape)}')
    return rhs.astype(np.int64)


def _row_hits(F, lhs, rhs):
    """1 at ``(i, rhs[i])``, else 0, in the shape and dtype of ``lhs``."""
    return F.one_hot(rhs, depth=lhs.shape[1], dtype=lhs.dtype)



def _fill_element_0index(xp, lhs, mhs, rhs):
    """A copy of the matrix ``lhs`` with ``out[i, rhs[i]] = mhs[i]`` for every row.

    >>> import d2lmini as mx
    >>> mx.nd.fill_element_0index(mx.nd.zeros((2, 2)), mx.nd.array([7, 8]),
    ...                           mx.nd.array([1, 0]))
    <BLANKLINE>
    [[0. 7.]
     [8. 0.]]
    <NDArray 2x2 @cpu(0)>
    """
    idx = _rows('fill_element_0index', lhs, rhs)
    out = lhs.copy()
    out[xp.arange(lhs.shape[0]), idx] = mhs
    return out


register('fill_element_0index', _fill_element_0index, inputs=('lhs', 'mhs', 'rhs'),
         backward=lambda F, dy, x, y: [dy * (1 - _row_hits(F, x[0], x[2])),
                                       F.pick(dy, x[2], axis=1),
                                       F.zeros_like(x[2])])


def _onehot_encode(xp, lhs, rhs):
    """One-hot rows: ``out[i, lhs[i]] = 1``, zeros elsewhere, in the shape and dtype
    of ``rhs`` (``nd.onehot_encode(indices, out)`` writes this into ``out``)."""
    if rhs.ndim != 2 or lhs.shape != (rhs.shape[0],):
        raise MXNetError(f'operator _onehot_encode: expected one index per row of the output, '
                         f'got indices {shape_str(lhs.shape)} and output {shape_str(rhs.shape)}')
    out = xp.zeros_like(rhs)
    out[xp.arange(rhs.shape[0]), lhs.astype(np.int64)] = 1
    return out


register('_onehot_encode', _onehot_encode, inputs=('lhs', 'rhs'), no_grad=True,
         infer_type=lambda types, **attrs: [types[1]])


# ------------------------------------------------------------------ flat and multi-indices
def _index_shape(name, shape, n=None):
    if shape is None or not len(shape):
        raise MXNetError(f'operator {name}: the shape parameter is required')
    shape = tuple(int(s) for s in shape)
    if n is not None and n != len(shape):
        raise MXNetError(f'operator {name}: the first axis of the input ({n}) does not match '
                         f'the number of axes of shape={shape}')
    return shape


def _ravel_multi_index(xp, data, shape=None):
    """Flat indices of the multi-indices in the columns of ``data`` (one row per axis
    of ``shape``), in the input's dtype; values are not range-checked.

    >>> import d2lmini as mx
    >>> mx.nd.ravel_multi_index(mx.nd.array([[3, 6, 6], [4, 5, 1]]), shape=(7, 6))
    <BLANKLINE>
    [22. 41. 37.]
    <NDArray 3 @cpu(0)>
    """
    if data.ndim != 2:
        raise MXNetError(f'operator ravel_multi_index: the input must be two-dimensional, '
                         f'got shape {shape_str(data.shape)}')
    shape = _index_shape('ravel_multi_index', shape, data.shape[0])
    strides = np.cumprod((1,) + shape[:0:-1])[::-1]
    idx = data.astype(np.int64)
    out = xp.zeros(data.shape[1:], np.int64)
    for k, s in enumerate(strides):
        out += idx[k] * int(s)
    return out.astype(data.dtype)


def _unravel_index(xp, data, shape=None):
    """Multi-indices (one row per axis of ``shape``) of the flat indices ``data``,
    in the input's dtype; the first axis of ``shape`` may be -1 (its size is not
    used: indices past the end give a first index past it, as MXNet).

    >>> import d2lmini as mx
    >>> mx.nd.unravel_index(mx.nd.array([22, 41, 37]), shape=(7, 6))
    <BLANKLINE>
    [[3. 6. 6.]
     [4. 5. 1.]]
    <NDArray 2x3 @cpu(0)>
    """
    shape = _index_shape('unravel_index', shape)
    idx = data.astype(np.int64)
    rows = []
    for s in shape[:0:-1]:      # C's division and remainder (truncated), as MXNet
        r = xp.fmod(idx, s)
        rows.append(r)
        idx = (idx - r) // s
    rows.append(idx)            # the first axis takes what is left, unchecked
    return xp.stack(rows[::-1]).astype(data.dtype)


register('ravel_multi_index', _ravel_multi_index, no_grad=True, aliases=('_ravel_multi_index',),
         attr_types={'shape': 'shape'})
register('unravel_index', _unravel_index, no_grad=True, aliases=('_unravel_index',),
         attr_types={'shape': 'shape'})


def _batch_take(xp, a, indices):
    """``a[i, indices[i]]`` for every row ``i`` of ``a`` read as a matrix (its last axis
    the columns); indices are clipped to the row. MXNet's older ``pick``.

    >>> import d2lmini as mx
    >>> mx.nd.batch_take(mx.nd.array([[1, 2], [3, 4], [5, 6]]),
    ...                  mx.nd.array([0, 1, 5], dtype='int32'))
    <BLANKLINE>
    [1. 4. 6.]
    <NDArray 3 @cpu(0)>
    """
    if indices.dtype.kind not in 'iu':
        raise MXNetError(f'operator batch_take: indices must be integers (int32), got '
                         f'{indices.dtype}')
    k = a.shape[-1] if a.ndim else 1
    rows = a.reshape(-1, k)
    if rows.shape[0] != indices.size:
        raise MXNetError(f'operator batch_take: the index array of shape '
                         f'{shape_str(indices.shape)} must have one entry per row of the data '
                         f'of shape {shape_str(a.shape)} ({rows.shape[0]} rows)')
    idx = xp.clip(indices.reshape(-1).astype(np.int64), 0, k - 1)
    return rows[xp.arange(rows.shape[0]), idx].reshape(indices.shape)


def _batch_take_grad(F, dy, x, y):
    a, indices = x
    k = a.shape[-1]
    hot = F.one_hot(F.clip(F.reshape(indices, shape=(-1,)), 0, k - 1), depth=k,
                    dtype=a.dtype)
    return [F.reshape(F.broadcast_mul(hot, F.reshape(dy, shape=(-1, 1))), shape=a.shape),
            None]


register('batch_take', _batch_take, inputs=('a', 'indices'), backward=_batch_take_grad,
         infer_type=lambda types, **attrs: [types[0]],
         infer_shape=lambda shapes, **attrs: [tuple(shapes[1])])
