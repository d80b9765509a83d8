"""Gathering and scattering by index arrays: ``gather_nd``/``scatter_nd`` (MXNet's
layout: the *first* axis of ``indices`` runs over the indexed axes), and MXNet's
older operators ``choose_element_0index``, ``fill_element_0index`` and
``onehot_encode``.

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


def _choose_element_0index(xp, lhs, rhs):
    """One element from each row of the matrix ``lhs``: ``out[i] = lhs[i, rhs[i]]``
    (MXNet's older name for ``pick(lhs, rhs, axis=1)``).

    >>> import d2lmini as mx
    >>> mx.nd.choose_element_0index(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([1, 0]))
    <BLANKLINE>
    [2. 3.]
    <NDArray 2 @cpu(0)>
    """
    idx = _rows('choose_element_0index', lhs, rhs)
    return lhs[xp.arange(lhs.shape[0]), idx]


def _row_hits(F, lhs, rhs):
    """1 at ``(i, rhs[i])``, else 0, in the shape and dtype of ``lhs``."""
    return F.one_hot(rhs, depth=lhs.shape[1], dtype=lhs.dtype)


register('choose_element_0index', _choose_element_0index, inputs=('lhs', 'rhs'),
         infer_shape=lambda in_shapes, **attrs: [tuple(in_shapes[0][:1])],
         backward=lambda F, dy, x, y: [
             F.broadcast_mul(_row_hits(F, x[0], x[1]), F.expand_dims(dy, axis=1)),
             F.zeros_like(x[1])])


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
                                       F.choose_element_0index(dy, x[2]),
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
