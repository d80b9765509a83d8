"""Operators that create arrays from nothing but attributes (shape, value, range).

They have no array inputs, so the front end passes the target context's array
module; ``zeros_like``/``ones_like`` take their shape from an input instead.
"""
import numpy as np

from ..base import as_dtype
from .registry import register


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _dtype(dtype):
    return as_dtype('float32' if dtype is None else dtype)


@register('_zeros', inputs=())
def _zeros(xp, shape=(), dtype=None):
    """An array of zeros."""
    return xp.zeros(_shape(shape), _dtype(dtype))


@register('_ones', inputs=())
def _ones(xp, shape=(), dtype=None):
    """An array of ones."""
    return xp.ones(_shape(shape), _dtype(dtype))


@register('_full', inputs=())
def _full(xp, shape=(), value=0.0, dtype=None):
    """An array filled with ``value``."""
    return xp.full(_shape(shape), value, _dtype(dtype))


@register('_arange', inputs=())
def _arange(xp, start=0.0, stop=None, step=1.0, repeat=1, infer_range=False, dtype=None):
    """Evenly spaced values in ``[start, stop)``, each repeated ``repeat`` times."""
    if stop is None:
        start, stop = 0, start
    out = xp.arange(start, stop, step, dtype=np.float64).astype(_dtype(dtype))
    return xp.repeat(out, int(repeat)) if repeat != 1 else out


@register('_eye', inputs=())
def _eye(xp, N=0, M=0, k=0, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal."""
    return xp.eye(int(N), int(M) or None, int(k), dtype=_dtype(dtype))


@register('_linspace', inputs=())
def _linspace(xp, start=0.0, stop=1.0, num=50, endpoint=True, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return xp.linspace(start, stop, int(num), endpoint=endpoint).astype(_dtype(dtype))


register('zeros_like', lambda xp, data: xp.zeros_like(data),
         backward=lambda F, dy, x, y: [F.zeros_like(x[0])])
register('ones_like', lambda xp, data: xp.ones_like(data),
         backward=lambda F, dy, x, y: [F.zeros_like(x[0])])
