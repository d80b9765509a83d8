"""Operators on padded batches of sequences: ``SequenceMask``, ``SequenceLast`` and
``SequenceReverse``, as in MXNet.

A batch of sequences of different lengths is stored padded to the longest, with the
time steps along ``axis`` (0: ``(max_len, batch, ...)``, MXNet's default; 1:
``(batch, max_len, ...)``). With ``use_sequence_length=True`` a second input,
``sequence_length`` of shape ``(batch,)``, gives each sequence's true length;
without it every sequence is taken to fill the whole axis.

>>> import d2lmini as mx
>>> x = mx.nd.arange(8).reshape((4, 2))              # 4 time steps, a batch of 2
>>> mx.nd.SequenceLast(x, mx.nd.array([2, 4]), use_sequence_length=True)
<BLANKLINE>
[2. 7.]
<NDArray 2 @cpu(0)>
"""
import numpy as np

from ..base import MXNetError, shape_str
from .registry import register


def _inputs(attrs):
    return ('data', 'sequence_length') if attrs['use_sequence_length'] else ('data',)


def _lengths(xp, name, data, sequence_length, use_sequence_length, axis):
    """``(axis, lengths)``: the time axis (0 or 1) and one integer length per batch
    element, every one ``max_len`` without ``use_sequence_length``."""
    if axis not in (0, 1) or data.ndim < 2:
        raise MXNetError(f'operator {name}: axis must be 0 or 1 and data must have at least 2 '
                         f'axes (got axis={axis}, data {shape_str(data.shape)})')
    steps, batch = data.shape[axis], data.shape[1 - axis]
    if not use_sequence_length:
        return xp.full((batch,), steps, dtype=np.int64)
    if sequence_length is None:     # MXNet refuses this too: never a silent full length
        raise MXNetError(f'operator {name}: use_sequence_length=True needs the '
                         'sequence_length input (one length per batch element)')
    if sequence_length.shape != (batch,):
        raise MXNetError(f'operator {name}: sequence_length has shape '
                         f'{shape_str(sequence_length.shape)}; expected ({batch},), one length '
                         'per batch element')
    return sequence_length.astype(np.int64)


def _step_index(xp, data, axis):
    """The time step of every position, shaped to broadcast against ``data`` with the
    batch axis kept: ``(T, 1)`` for axis 0, ``(1, T)`` for axis 1."""
    steps = data.shape[axis]
    shape = [1, 1]
    shape[axis] = steps
    return xp.arange(steps).reshape(shape)


def _batch_shape(lengths, axis, ndim):
    """``lengths`` shaped to broadcast against the leading two axes of the data."""
    return lengths.reshape((1, -1) if axis == 0 else (-1, 1))


def _valid(xp, data, lengths, axis):
    """Booleans shaped to broadcast against ``data``: True inside each sequence."""
    valid = _step_index(xp, data, axis) < _batch_shape(lengths, axis, data.ndim)
    return valid.reshape(valid.shape + (1,) * (data.ndim - 2))


# ------------------------------------------------------------------ SequenceMask
def _sequence_mask(xp, data, sequence_length=None, use_sequence_length=False, value=0.0,
                   axis=0):
    """``data`` with every step past each sequence's length set to ``value``.

    ``data`` is ``(max_len, batch, ...)`` (``axis=0``) or ``(batch, max_len, ...)``
    (``axis=1``); ``sequence_length`` (used with ``use_sequence_length=True``) holds
    one length per batch element. The gradient flows to the kept steps only.

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((3, 2))
    >>> mx.nd.SequenceMask(x, mx.nd.array([1, 2]), use_sequence_length=True, value=-1)
    <BLANKLINE>
    [[ 1.  1.]
     [-1.  1.]
     [-1. -1.]]
    <NDArray 3x2 @cpu(0)>
    """
    lengths = _lengths(xp, 'SequenceMask', data, sequence_length, use_sequence_length, axis)
    if not use_sequence_length:
        return data.copy()
    return xp.where(_valid(xp, data, lengths, axis), data, xp.asarray(value, dtype=data.dtype))


def _sequence_mask_grad(F, dy, x, y, use_sequence_length, value, axis):
    if not use_sequence_length:
        return [dy] + [F.zeros_like(s) for s in x[1:]]
    return [F.SequenceMask(dy, x[1], use_sequence_length=True, value=0.0, axis=axis),
            F.zeros_like(x[1])]


register('SequenceMask', _sequence_mask, backward=_sequence_mask_grad,
         inputs=('data', 'sequence_length'), optional_inputs=_inputs)


# ------------------------------------------------------------------ SequenceLast
def _sequence_last(xp, data, sequence_length=None, use_sequence_length=False, axis=0):
    """The last step of every sequence: the step ``sequence_length[b] - 1`` along
    ``axis`` for batch element ``b`` (the last step of the axis without
    ``use_sequence_length``). The time axis is removed from the shape.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(6).reshape((2, 3))          # axis=1: a batch of 2, 3 steps
    >>> mx.nd.SequenceLast(x, mx.nd.array([1, 3]), use_sequence_length=True, axis=1)
    <BLANKLINE>
    [0. 5.]
    <NDArray 2 @cpu(0)>
    """
    lengths = _lengths(xp, 'SequenceLast', data, sequence_length, use_sequence_length, axis)
    last = xp.clip(lengths - 1, 0, data.shape[axis] - 1)
    batch = xp.arange(data.shape[1 - axis])
    return data[last, batch] if axis == 0 else data[batch, last]


def _sequence_last_shape(in_shapes, axis=0, **attrs):
    shape = tuple(in_shapes[0])
    return [shape[:axis] + shape[axis + 1:]]


def _sequence_last_grad(F, dy, x, y, use_sequence_length, axis):
    mask = F._sequence_last_mask(*x, use_sequence_length=use_sequence_length, axis=axis)
    dx = F.broadcast_mul(F.expand_dims(dy, axis=axis), mask)
    return [dx] + [F.zeros_like(s) for s in x[1:]]


register('SequenceLast', _sequence_last, backward=_sequence_last_grad,
         inputs=('data', 'sequence_length'), optional_inputs=_inputs,
         infer_shape=_sequence_last_shape)


def _sequence_last_mask(xp, data, sequence_length=None, use_sequence_length=False, axis=0):
    """1 where ``SequenceLast`` reads ``data`` (each sequence's last step), else 0,
    in the shape and dtype of ``data``: the gradient of ``SequenceLast`` is its
    output gradient spread over this mask."""
    lengths = _lengths(xp, 'SequenceLast', data, sequence_length, use_sequence_length, axis)
    last = _batch_shape(xp.clip(lengths - 1, 0, data.shape[axis] - 1), axis, data.ndim)
    hit = _step_index(xp, data, axis) == last
    hit = hit.reshape(hit.shape + (1,) * (data.ndim - 2))
    return xp.broadcast_to(hit, data.shape).astype(data.dtype)


register('_sequence_last_mask', _sequence_last_mask, no_grad=True,
         inputs=('data', 'sequence_length'), optional_inputs=_inputs)


# ------------------------------------------------------------------ SequenceReverse
def _sequence_reverse(xp, data, sequence_length=None, use_sequence_length=False, axis=0):
    """Every sequence reversed in time: for batch element ``b`` the first
    ``sequence_length[b]`` steps along axis 0 are reversed and the padding after
    them stays where it is. MXNet supports ``axis=0`` only.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(6).reshape((3, 2))
    >>> mx.nd.SequenceReverse(x, mx.nd.array([2, 3]), use_sequence_length=True)
    <BLANKLINE>
    [[2. 5.]
     [0. 3.]
     [4. 1.]]
    <NDArray 3x2 @cpu(0)>
    """
    if axis != 0:
        raise MXNetError(f'operator SequenceReverse: axis={axis} is not supported; MXNet '
                         'reverses along axis 0 only (transpose the data first)')
    lengths = _lengths(xp, 'SequenceReverse', data, sequence_length, use_sequence_length, axis)
    return data[_reversed_steps(xp, data, lengths), xp.arange(data.shape[1])]


def _reversed_steps(xp, data, lengths):
    """For each (step t, batch b), the step that lands there: ``len_b - 1 - t`` inside
    the sequence, ``t`` in its padding."""
    t = xp.arange(data.shape[0]).reshape(-1, 1)
    n = lengths.reshape(1, -1)
    return xp.where(t < n, n - 1 - t, t)


def _sequence_reverse_grad(F, dy, x, y, use_sequence_length, axis):
    # the reversal is a permutation that undoes itself
    dx = F.SequenceReverse(dy, *x[1:], use_sequence_length=use_sequence_length, axis=axis)
    return [dx] + [F.zeros_like(s) for s in x[1:]]


register('SequenceReverse', _sequence_reverse, backward=_sequence_reverse_grad,
         inputs=('data', 'sequence_length'), optional_inputs=_inputs)
