"""Embedding: look up one row of a weight matrix per integer index.

``Embedding(data, weight)`` returns ``weight[data]``: an array of indices of any
shape becomes an array of vectors, shape ``data.shape + (output_dim,)``. Indices
arrive as floats (MXNet's default dtype) and are truncated to integers.

The gradient of ``weight`` is zero except in the rows that were looked up; a row
looked up several times receives the sum of the gradients of all its uses.
"""
import numpy as np

from .. import backend
from ..base import MXNetError, shape_str
from .registry import register


def _indices(xp, data, input_dim):
    """``data`` as integer row numbers, with a clear error for rows that do not exist."""
    idx = data.astype(np.int64)     # truncates, as MXNet does: 2.7 is row 2
    bad = (idx < 0) | (idx >= input_dim)
    if bool(bad.any()):
        value = data[bad].reshape(-1)[0].item()
        raise MXNetError(f'Embedding: index {value:g} is out of range for input_dim='
                         f'{input_dim} (valid indices are 0 to {input_dim - 1})')
    return idx


def _embedding(xp, data, weight, input_dim=None, output_dim=None, dtype='float32',
               sparse_grad=False):
    """Row ``data[...]`` of ``weight`` for every index in ``data``; ``weight`` has
    shape ``(input_dim, output_dim)``.

    >>> import d2lmini as mx
    >>> weight = mx.nd.array([[0, 0], [1, 1], [2, 4]])
    >>> mx.nd.Embedding(mx.nd.array([2, 0, 2]), weight, input_dim=3, output_dim=2)
    <BLANKLINE>
    [[2. 4.]
     [0. 0.]
     [2. 4.]]
    <NDArray 3x2 @cpu(0)>
    """
    if input_dim is None or output_dim is None:
        raise MXNetError('Embedding: the arguments input_dim and output_dim are required')
    if weight.shape != (input_dim, output_dim):
        raise MXNetError(f'Embedding: weight has shape {shape_str(weight.shape)}, but '
                         f'input_dim={input_dim} and output_dim={output_dim} need shape '
                         f'[{input_dim},{output_dim}]')
    return xp.take(weight, _indices(xp, data, input_dim), axis=0)


def _embedding_backward_op(xp, dy, data, input_dim=None, output_dim=None):
    """The gradient of the weight: ``dy``'s vectors added into the rows they came
    from (repeated indices add up)."""
    idx = data.astype(np.int64).reshape(-1)
    grad = xp.zeros((input_dim, output_dim), dtype=dy.dtype)
    backend.scatter_add(xp, grad, idx, dy.reshape(-1, output_dim))
    return grad


def param_shapes(data_shape, input_dim=None, output_dim=None, **attrs):
    """The weight's shape, ``(input_dim, output_dim)``, whatever the indices' shape:
    what lets ``simple_bind(data=(batch,))`` size ``embed_weight`` as MXNet does.

    >>> param_shapes((24,), input_dim=10, output_dim=4)
    {'weight': (10, 4)}
    """
    return {'weight': (int(input_dim), int(output_dim))}


# _contrib_SparseEmbedding is MXNet's Embedding whose weight gradient is row-sparse;
# the values are the same, and Gluon's sparse_grad gives row-sparse gradients here
register('Embedding', _embedding, inputs=('data', 'weight'),
         aliases=('_contrib_SparseEmbedding',), param_shapes=param_shapes,
         param_dtypes=lambda attrs, data: {'weight': attrs['dtype']},   # not the indices'
         infer_type=lambda types, **attrs: [types[1]],   # the weight's, not the indices'
         backward=lambda F, dy, x, y, input_dim, output_dim, **attrs: [
             None,   # indices are not differentiable
             F._backward_Embedding(dy, x[0], input_dim=input_dim, output_dim=output_dim)],
         infer_shape=lambda shapes, output_dim=None, **attrs: [
             tuple(shapes[0]) + (output_dim,)], required=('input_dim', 'output_dim'))
# The weight gradient is linear in dy; its own gradient is a lookup again, so
# gradients of gradients work.
register('_backward_Embedding', _embedding_backward_op, inputs=('dy', 'data'),
         backward=lambda F, dy, x, y, input_dim, output_dim: [
             F.Embedding(x[1], dy, input_dim=input_dim, output_dim=output_dim), None])
