"""Errors and small helpers shared by every layer of d2lmini."""
import ctypes
import numbers
import os

import numpy as np

# the default dtype of real numbers, by MXNet's name for it
mx_real_t = np.float32


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


class NotImplementedForSymbol(MXNetError):
    """An NDArray-only function called on a Symbol (a symbol has no values to read).

    >>> import d2lmini as mx
    >>> try:
    ...     mx.sym.var('x').asnumpy()
    ... except NotImplementedForSymbol as e:
    ...     print(type(e).__name__)
    NotImplementedForSymbol
    """


def _as_list(obj):
    """``obj`` as a list: a list or tuple as one, anything else as ``[obj]``."""
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def py_str(x):
    """``x`` as text: bytes are decoded as UTF-8, text is returned as it is."""
    return x.decode('utf-8') if isinstance(x, bytes) else x


# MXNet 1.x's Python front end talks to its C library through ctypes, and mxnet.base
# names the handle types and the string conversion it uses; code that declares ctypes
# callbacks (custom operators) imports them. d2lmini has no C library (no ``_LIB``),
# so they are only types here.
NDArrayHandle = ctypes.c_void_p
SymbolHandle = ctypes.c_void_p


def c_str(string):
    """``string`` as a C string (``ctypes.c_char_p``, UTF-8), as MXNet's ``c_str``.

    >>> c_str('relu').value
    b'relu'
    """
    return ctypes.c_char_p(string.encode('utf-8'))


def data_dir_default():
    """Where downloaded data and models go unless ``MXNET_HOME`` says otherwise:
    ``~/.mxnet`` (``%APPDATA%\\mxnet`` on Windows), as in MXNet."""
    if os.name == 'nt' and os.environ.get('APPDATA'):
        return os.path.join(os.environ['APPDATA'], 'mxnet')
    return os.path.join(os.path.expanduser('~'), '.mxnet')


def data_dir():
    """The data directory: ``$MXNET_HOME`` when set, else :func:`data_dir_default`.

    >>> import os
    >>> data_dir() == os.environ.get('MXNET_HOME', data_dir_default())
    True
    """
    return os.getenv('MXNET_HOME', data_dir_default())


class ArgumentError(MXNetError, TypeError):
    """An operator called with an argument it does not take. MXNet 1.x raises an
    MXNetError ("Cannot find argument"), Python a TypeError: this is both."""


class AttributeValueError(MXNetError, ValueError):
    """An attribute with a value the operator does not know (an interpolation method,
    say): MXNet's operators raise MXNetError, its Python helpers ValueError."""


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


class ShapeError(MXNetError, ValueError, TypeError):
    """A shape that is not a tuple of integers, or that does not fit the data.

    MXNet 1.x raises an MXNetError, a ValueError (``x.reshape`` to a wrong size) or a
    TypeError (a float in a shape given to ``x.reshape`` or ``nd.full``) for this,
    depending on where the shape is read; this error is all three.
    """


class AssertedValueError(ValueError, AssertionError):
    """A bad value that MXNet 1.x refuses with ``assert`` (an AssertionError, which
    code written for it catches): a ValueError too, as the value is what is wrong."""


class IndexingError(MXNetError, IndexError, ValueError):
    """A key that cannot index an NDArray: an index past the end of an axis, too many
    indices, or a key of the wrong type (a float). MXNet 1.x raises IndexError for
    the first two, which code that probes indices catches, and ValueError for the
    third; this error is both, and an MXNetError like every error of an operator."""


_TWINS = {}     # (exception type, what) -> its MXNetError twin


def mxnet_error_twin(base, what, **members):
    """A class that is both an MXNetError and ``base`` (an exception type that code
    written for MXNet 1.x, or for Python, catches), made once per ``base`` and
    ``what`` (the situation, for its docstring); ``members`` go into the class."""
    key = (base, what)
    if key not in _TWINS:
        _TWINS[key] = type(base.__name__, (MXNetError, base), {
            '__module__': __name__, '__doc__': f'A {base.__name__} {what}.', **members})
    return _TWINS[key]


def file_error(what, path, exc):
    """The error for a file that ``what`` (``'nd.load'``...) could not open: MXNet 1.x
    raises an MXNetError from its file layer, Python code expects the OSError's own
    class (``FileNotFoundError``, ``PermissionError``); this error is both.

    >>> try:
    ...     open('/no/such/file')
    ... except OSError as e:
    ...     err = file_error('nd.load', '/no/such/file', e)
    >>> isinstance(err, MXNetError), isinstance(err, FileNotFoundError), err.filename
    (True, True, '/no/such/file')
    """
    base = type(exc) if isinstance(exc, OSError) else OSError
    # (OSError's str() is "[Errno n] strerror: filename"; this one says what failed)
    twin = mxnet_error_twin(base, 'of d2lmini reading a file', __str__=lambda self: self.message)
    strerror = getattr(exc, 'strerror', None)
    err = twin(getattr(exc, 'errno', None), strerror, str(path))
    # (set here: with MXNetError first among the bases, OSError does not parse its args)
    err.errno, err.strerror, err.filename = getattr(exc, 'errno', None), strerror, str(path)
    err.message = f'{what}: cannot read {str(path)!r}: {strerror or exc}'
    return err


def as_shape(shape, what='shape'):
    """``shape`` (an int or a sequence of ints) as a tuple of Python ints; a float,
    even a whole one such as ``2.0``, is refused, as MXNet refuses it, rather than
    silently truncated.

    >>> as_shape((2, np.int64(3)))
    (2, 3)
    >>> try:
    ...     as_shape((2.5, 2))
    ... except ValueError as e:
    ...     print(e)
    shape (2.5, 2) must hold integers, but 2.5 is a float
    """
    if isinstance(shape, integer_types) and not isinstance(shape, (bool, np.bool_)):
        return (int(shape),)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ShapeError(f'{what} must be an integer or a tuple of integers, '
                         f'not {type(shape).__name__}') from None
    for d in dims:
        if not isinstance(d, integer_types) or isinstance(d, (bool, np.bool_)):
            raise ShapeError(f'{what} {shape!r} must hold integers, but {d!r} is a '
                             f'{type(d).__name__}')
    return tuple(int(d) for d in dims)
