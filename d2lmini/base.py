"""Errors and small helpers shared by every layer of d2lmini."""
import numbers

import numpy as np


class MXNetError(RuntimeError):
    """The error d2lmini raises when an operator is given input it cannot handle.

    It carries the operator's name and the shapes or contexts involved, so the
    message says what went wrong without a trip into the array library's traceback.

    >>> import d2lmini as mx
    >>> try:
    ...     mx.nd.ones((2, 3)) + mx.nd.ones((2,))
    ... except mx.MXNetError as e:
    ...     print('broadcast_add' in str(e))
    True
    """


class DTypeError(MXNetError, TypeError, KeyError):
    """An unknown dtype.

    MXNet 1.x raises an MXNetError, a TypeError or a KeyError for this, depending on
    where the dtype is read; this error is all three, so code that catches any of
    them keeps working.
    """

    def __str__(self):  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ''


# The dtypes an NDArray can hold, by the names MXNet uses for them.
DTYPES = {
    'float16': np.float16, 'float32': np.float32, 'float64': np.float64,
    'uint8': np.uint8, 'int8': np.int8, 'int32': np.int32, 'int64': np.int64,
    'bool': np.bool_,
}
_SUPPORTED = frozenset(np.dtype(t) for t in DTYPES.values())

numeric_types = (numbers.Number, np.generic)
integer_types = (numbers.Integral, np.integer)


def as_dtype(dtype):
    """Turn a dtype given as a name, numpy type or ``np.dtype`` into an ``np.dtype``.

    >>> as_dtype('float32')
    dtype('float32')
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt not in _SUPPORTED:
        raise DTypeError(f'unknown dtype {dtype!r}; d2lmini supports {", ".join(DTYPES)}')
    return dt


def shape_str(shape):
    """Shapes in error messages, written as MXNet does: ``[2,3]``."""
    return '[' + ','.join(str(d) for d in shape) + ']'
