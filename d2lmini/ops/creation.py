"""Operators that create arrays from nothing but attributes (shape, value, range).

They have no array inputs, so the front end passes the target context's array
module; ``zeros_like``/``ones_like`` take their shape from an input instead.
"""
import numpy as np

from ..base import MXNetError, ShapeError, as_dtype, as_shape, integer_types
from .elemwise import int_scalar
from .registry import register
from . import partial_shapes


def _shape(shape):
    """The shape as ints; floats (which MXNet refuses too) and negative sizes raise
    rather than being truncated into some other shape."""
    shape = as_shape(shape)
    if any(d < 0 for d in shape):
        raise ShapeError(f'shape {shape} has a negative dimension')
    return shape


def _int(op, name, value):
    """An integer attribute (``N``, ``k``, ``num``, ``repeat``): MXNet refuses a float
    here, even a whole one, where ``int()`` would silently truncate it."""
    if not isinstance(value, integer_types) or isinstance(value, (bool, np.bool_)):
        raise MXNetError(f'operator {op}: {name} must be an integer, got {value!r}')
    return int(value)


def _dtype(dtype):
    return as_dtype('float32' if dtype is None else dtype)


@register('_zeros', inputs=(), no_grad=True)
def _zeros(xp, shape=(), dtype=None):
    """An array of zeros."""
    return xp.zeros(_shape(shape), _dtype(dtype))


@register('_ones', inputs=(), no_grad=True)
def _ones(xp, shape=(), dtype=None):
    """An array of ones."""
    return xp.ones(_shape(shape), _dtype(dtype))


@register('_full', inputs=(), no_grad=True)
def _full(xp, shape=(), value=0.0, dtype=None):
    """An array filled with ``value``."""
    dt = _dtype(dtype)
    if dt.kind in 'iu':  # as MXNet converts it: full(-1, dtype='uint8') holds 255
        value = int_scalar(value, dt)
    return xp.full(_shape(shape), value, dt)


def _arange_shape(in_shapes, start=0.0, stop=None, step=1.0, repeat=1, infer_range=False,
                  dtype=None):
    """The length of ``arange``; with ``infer_range=True`` and no ``stop`` in a graph
    it is unknown (a 0 in MXNet 1.x) until the operator using the result tells it."""
    if infer_range and stop is None:
        return [(0,)]
    return [_arange(np, start, stop, step, repeat, infer_range, dtype).shape]


@register('_arange', inputs=(), no_grad=True, infer_shape=_arange_shape)
def _arange(xp, start=0.0, stop=None, step=1.0, repeat=1, infer_range=False, dtype=None):
    """Evenly spaced values in ``[start, stop)``, each repeated ``repeat`` times.

    In a graph, ``infer_range=True`` without ``stop`` makes as many values as the
    operator using the result needs, as MXNet 1.x does:

    >>> import d2lmini as mx
    >>> s = mx.sym._internal._arange(start=2, step=3, infer_range=True) + mx.sym.zeros((4,))
    >>> s.bind(mx.cpu(), {}).forward()[0].asnumpy()
    array([ 2.,  5.,  8., 11.], dtype=float32)
    """
    if stop is None:
        start, stop = 0, start
    out = xp.arange(start, stop, step, dtype=np.float64).astype(_dtype(dtype))
    repeat = _int('arange', 'repeat', repeat)
    return xp.repeat(out, repeat) if repeat != 1 else out


def arange_attrs_for_length(attrs, length):
    """The attributes of an ``arange`` with ``infer_range=True`` and no ``stop``
    that make at least ``length`` values (its result is then cut to ``length``): the
    values ``start + (i // repeat) * step``, as MXNet 1.x makes them."""
    start, step = attrs.get('start', 0.0), attrs.get('step', 1.0)
    repeat = attrs.get('repeat', 1)
    count = -(-length // repeat)        # ceil(length / repeat) distinct values
    return {**attrs, 'start': start, 'stop': start + step * count}


@register('_eye', inputs=(), no_grad=True)
def _eye(xp, N=0, M=0, k=0, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal."""
    return xp.eye(_int('eye', 'N', N), _int('eye', 'M', M) or None, _int('eye', 'k', k),
                  dtype=_dtype(dtype))


@register('_linspace', inputs=(), no_grad=True)
def _linspace(xp, start=0.0, stop=1.0, num=50, endpoint=True, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return xp.linspace(start, stop, _int('linspace', 'num', num),
                       endpoint=endpoint).astype(_dtype(dtype))


register('zeros_like', lambda xp, data: xp.zeros_like(data),
         partial_shape=partial_shapes.same_shape,
         backward=lambda F, dy, x, y: [F.zeros_like(x[0])],
         doc='''An array of zeros with the shape and dtype of ``data``.

         >>> import d2lmini as mx
         >>> mx.nd.zeros_like(mx.nd.ones((2,))).asnumpy().tolist()
         [0.0, 0.0]''')
register('ones_like', lambda xp, data: xp.ones_like(data), partial_shape=partial_shapes.same_shape,
         backward=lambda F, dy, x, y: [F.zeros_like(x[0])],
         doc='''An array of ones with the shape and dtype of ``data``.

         >>> import d2lmini as mx
         >>> mx.nd.ones_like(mx.nd.zeros((2, 1), dtype='int32')).asnumpy().tolist()
         [[1], [1]]''')
