"""Indexing (``x[key]``, ``x[key] = v``), copies between devices, and dtype casts:
the operators behind NDArray's Python protocols."""
import numpy as np

from .. import backend
from ..base import as_dtype
from .elemwise import sum_to
from .registry import register


def _is_basic(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
               for k in items)


def _unit_steps(key):
    items = key if isinstance(key, tuple) else (key,)
    return all(k.step in (None, 1) for k in items if isinstance(k, slice))


def _getitem(xp, data, key=None):
    """``data[key]`` with MXNet's rules: a basic key (integers and step-1 slices) whose
    result is one contiguous block of memory gives a view that shares it; every other
    key gives a copy. Where numpy would give a scalar the result has shape ``(1,)``
    (still a view)."""
    if type(key) is slice and key.step is None:  # rows i:j, the most common key
        out = data[key]
        if out.flags.c_contiguous:
            return out
    if not _is_basic(key):
        return data[key]  # advanced indexing: numpy copies
    items = key if isinstance(key, tuple) else (key,)
    if (Ellipsis not in items and None not in items and len(items) == data.ndim
            and all(isinstance(k, (int, np.integer)) for k in items)):
        # one element: a length-1 slice per axis keeps it a view of ``data``
        one = tuple(slice(k, k + 1 if k != -1 else None) for k in items)
        return data[one].reshape(1)
    out = data[key]
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
    region = out[key]
    if value.size == region.size and value.shape != region.shape:
        value = value.reshape(region.shape)
    out[key] = value
    return out


register('_getitem', _getitem,
         backward=lambda F, dy, x, y, key: [F._index_scatter(dy, x[0], key=key)])
register('_index_scatter', _index_scatter, inputs=('data', 'like'),
         backward=lambda F, dy, x, y, key: [F._getitem(dy, key=key), None])
register('_setitem', _setitem, inputs=('data', 'value'),
         backward=lambda F, dy, x, y, key: [
             F._setitem(dy, F.zeros((1,), ctx=dy.context, dtype=dy.dtype), key=key),
             sum_to(F, F._getitem(dy, key=key), x[1].shape)])


# ------------------------------------------------------------------ copies and casts
register('_copyto', lambda xp, data: data.copy(),
         backward=lambda F, dy, x, y: [dy.as_in_context(x[0].context)])
register('_copy', lambda xp, data: data.copy(),
         backward=lambda F, dy, x, y: [dy], aliases=('identity',))
register('Cast', lambda xp, data, dtype='float32': data.astype(as_dtype(dtype)),
         backward=lambda F, dy, x, y, dtype: [dy.astype(x[0].dtype)], aliases=('cast',))
register('BlockGrad', lambda xp, data: data.copy(), aliases=('stop_gradient',))
