"""DLPack: handing an array's memory to another library, and taking one, without a copy.

DLPack is the C structure that array libraries agree on to describe memory: a pointer,
the device, the dtype, the shape and the strides. MXNet 1.x hands one out wrapped in a
Python *capsule* named ``dltensor`` (``x.to_dlpack_for_read()``,
``x.to_dlpack_for_write()``) and takes one back with ``nd.from_dlpack(capsule)``; a
capsule can be consumed only once. ``nd.from_numpy`` wraps a numpy array without a
copy. NDArray also speaks the newer protocol (``__dlpack__``, ``__dlpack_device__``),
so ``np.from_dlpack(x)`` and ``torch.from_dlpack(x)`` share its memory:

>>> import numpy as np, d2lmini as mx
>>> x = mx.nd.zeros((2, 2))
>>> y = mx.nd.from_dlpack(x.to_dlpack_for_write())
>>> y[0, 0] = 7                     # the same memory: x sees the write
>>> print(x[0, 0].asscalar())
7.0

On the CPU the memory is numpy's; on a GPU, cupy's, and cupy does the exchange.

The capsules here are the original (unversioned) DLPack that MXNet 1.x uses. numpy
marks an array it makes from such a capsule read-only, so ``from_dlpack`` reads the
structure itself (with ctypes) and builds a writable numpy array on the memory: a
capsule from ``to_dlpack_for_write`` is for writing, as in MXNet.
"""
import ctypes

import numpy as np

from .. import backend
from ..base import MXNetError
from ..context import Context, cpu
from .ndarray import NDArray, _wrap, array

# DLPack's device codes (dlpack.h): host memory, a CUDA GPU, page-locked host memory
_DL_CPU, _DL_CUDA, _DL_CUDA_HOST = 1, 2, 3
# DLPack's dtype codes
_DL_INT, _DL_UINT, _DL_FLOAT, _DL_BOOL = 0, 1, 2, 6
# What MXNet 1.9.1's from_numpy accepts (its DLDataType.TYPE_MAP) and an NDArray here
# can hold
_FROM_NUMPY_DTYPES = ('int32', 'int64', 'bool', 'uint8', 'float16', 'float32', 'float64')


class _DLDevice(ctypes.Structure):
    _fields_ = [('device_type', ctypes.c_int32), ('device_id', ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [('code', ctypes.c_uint8), ('bits', ctypes.c_uint8), ('lanes', ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [('data', ctypes.c_void_p), ('device', _DLDevice), ('ndim', ctypes.c_int32),
                ('dtype', _DLDataType), ('shape', ctypes.POINTER(ctypes.c_int64)),
                ('strides', ctypes.POINTER(ctypes.c_int64)), ('byte_offset', ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    # the deleter is called with the structure's address; PYFUNCTYPE keeps the GIL
    # held during the call, which a deleter that releases Python objects needs
    _fields_ = [('dl_tensor', _DLTensor), ('manager_ctx', ctypes.c_void_p),
                ('deleter', ctypes.PYFUNCTYPE(None, ctypes.c_void_p))]


_NAME = b'dltensor'
_USED_NAME = b'used_dltensor'
_api = ctypes.pythonapi
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetDestructor.restype = ctypes.c_int
_api.PyCapsule_SetDestructor.argtypes = [ctypes.py_object, ctypes.c_void_p]


# ------------------------------------------------------------------ handing memory out
def _raw(x):
    """The raw array of NDArray ``x``, as one that can export DLPack (a numpy scalar,
    which a reduction of a 0-d array may hold, becomes a 0-d array)."""
    data = x._data
    return np.asarray(data) if isinstance(data, np.generic) else data


def to_dlpack_for_read(data):
    """A DLPack capsule of NDArray ``data``'s memory (``nd.to_dlpack_for_read(x)``
    is ``x.to_dlpack_for_read()``), after queued writes to it are done.

    >>> import d2lmini as mx
    >>> type(mx.nd.to_dlpack_for_read(mx.nd.ones((2,)))).__name__
    'PyCapsule'
    """
    data.wait_to_read()
    raw = _raw(data)
    try:
        return raw.__dlpack__()
    except BufferError:
        # numpy refuses to export read-only memory in the original DLPack; such an
        # array cannot be written in place either, so a copy reads the same
        return raw.copy().__dlpack__()


def to_dlpack_for_write(data):
    """A DLPack capsule of NDArray ``data``'s memory for writing
    (``x.to_dlpack_for_write()``), after queued reads and writes of it are done.

    >>> import d2lmini as mx
    >>> x = mx.nd.zeros((2,))
    >>> mx.nd.from_dlpack(mx.nd.to_dlpack_for_write(x))[:] = 3
    >>> x.asnumpy().tolist()
    [3.0, 3.0]
    """
    data.wait_to_read()
    return _raw(data).__dlpack__()


def export(x, kwargs):
    """``x.__dlpack__(**kwargs)``: the raw array's own export, which knows the
    protocol's versions; an older numpy or cupy that lacks the newer keywords gets
    the call without them."""
    raw = _raw(x)
    try:
        return raw.__dlpack__(**kwargs)
    except TypeError:
        if not kwargs:
            raise
        stream = kwargs.get('stream')
        return raw.__dlpack__() if stream is None else raw.__dlpack__(stream=stream)


def device_of(x):
    """``x.__dlpack_device__()``: ``(1, 0)`` on the host, ``(2, i)`` on GPU ``i``."""
    raw = _raw(x)
    if isinstance(raw, np.ndarray):
        return (_DL_CPU, 0)
    return tuple(raw.__dlpack_device__())


# ------------------------------------------------------------------ taking memory in
def from_dlpack(dlpack):
    """An NDArray on the memory that DLPack capsule ``dlpack`` describes, without a copy.

    The capsule is consumed (renamed ``used_dltensor``): passing it again raises
    ``AssertionError``, as in MXNet. Memory on the host gives a ``cpu(0)`` array,
    memory on GPU ``i`` a ``gpu(i)`` array (through cupy). As an extension, ``dlpack``
    may also be an array of another library that has ``__dlpack__`` (a numpy array, a
    torch tensor).

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((2, 3))
    >>> z = mx.nd.from_dlpack(x.to_dlpack_for_read())
    >>> z
    <BLANKLINE>
    [[1. 1. 1.]
     [1. 1. 1.]]
    <NDArray 2x3 @cpu(0)>
    """
    if not _is_capsule(dlpack) and hasattr(dlpack, '__dlpack__'):
        return _from_protocol(dlpack)
    if not _is_capsule(dlpack) or not _api.PyCapsule_IsValid(dlpack, _NAME):
        # MXNet checks this with assert, so code may catch AssertionError
        raise AssertionError('Invalid DLPack Tensor. DLTensor capsules can be consumed '
                             'only once.')
    address = _api.PyCapsule_GetPointer(dlpack, _NAME)
    managed = _DLManagedTensor.from_address(address)
    device = managed.dl_tensor.device
    if device.device_type == _DL_CUDA:
        ctx = Context('gpu', device.device_id)
        ctx.xp  # noqa: B018 -- a missing GPU raises MXNetError before the capsule is used
        cp = backend.cupy()
        with backend.device_scope(ctx):
            # cupy consumes the capsule itself (from_dlpack takes one from cupy 10 on)
            data = (cp.from_dlpack if hasattr(cp, 'from_dlpack') else cp.fromDlpack)(dlpack)
        return _wrap(data, ctx)
    if device.device_type not in (_DL_CPU, _DL_CUDA_HOST):
        raise MXNetError(f'from_dlpack: memory on DLPack device type {device.device_type} '
                         'cannot be read here (host memory and CUDA GPUs can)')
    data = _host_array(managed, address)
    # The capsule no longer owns the tensor: the numpy array does (see _Owner)
    _api.PyCapsule_SetName(dlpack, _USED_NAME)
    _api.PyCapsule_SetDestructor(dlpack, None)
    return _wrap(data, cpu())


def _is_capsule(obj):
    return type(obj).__name__ == 'PyCapsule'


def _from_protocol(obj):
    """An NDArray sharing the memory of ``obj``, an array with ``__dlpack__``."""
    kind, dev_id = obj.__dlpack_device__()
    if kind == _DL_CUDA:
        ctx = Context('gpu', dev_id)
        ctx.xp  # noqa: B018
        with backend.device_scope(ctx):
            return _wrap(backend.cupy().from_dlpack(obj), ctx)
    return from_dlpack(obj.__dlpack__())


def _dtype_of(dt):
    code, bits, lanes = dt.code, dt.bits, dt.lanes
    kinds = {_DL_INT: 'i', _DL_UINT: 'u', _DL_FLOAT: 'f', _DL_BOOL: 'b'}
    if lanes != 1 or code not in kinds or bits % 8:
        raise MXNetError(f'from_dlpack: DLPack dtype (code {code}, {bits} bits, {lanes} '
                         'lanes) has no numpy dtype')
    return np.dtype(f'{kinds[code]}{bits // 8}')


class _Owner:
    """Kept by the numpy array built on a DLPack tensor's memory (through the ctypes
    buffer it is built on): when the array and all its views are gone, calls the
    tensor's deleter, which lets the producer free the memory."""
    __slots__ = ('address',)

    def __init__(self, address):
        self.address = address

    def __del__(self):
        managed = _DLManagedTensor.from_address(self.address)
        if managed.deleter:
            managed.deleter(self.address)


def _host_array(managed, address):
    """A writable numpy array on the host memory of DLManagedTensor ``managed``."""
    t = managed.dl_tensor
    dtype = _dtype_of(t.dtype)
    shape = tuple(t.shape[i] for i in range(t.ndim))
    item = dtype.itemsize
    if t.strides:
        strides = tuple(t.strides[i] * item for i in range(t.ndim))
    else:  # no strides: C order
        strides, step = [], item
        for n in reversed(shape):
            strides.append(step)
            step *= n
        strides = tuple(reversed(strides))
    if any(n == 0 for n in shape) or not t.data:
        _Owner(address)  # nothing to share: let the producer free what it holds
        return np.empty(shape, dtype)
    # the bytes the array spans, which negative strides may put before the pointer
    low = sum((n - 1) * s for n, s in zip(shape, strides) if s < 0)
    high = sum((n - 1) * s for n, s in zip(shape, strides) if s > 0) + item
    start = t.data + t.byte_offset + low
    buf = (ctypes.c_char * (high - low)).from_address(start)
    buf._owner = _Owner(address)  # freed with the buffer, after the last view of it
    return np.ndarray(shape, dtype, buffer=buf, offset=-low, strides=strides)


def from_numpy(ndarray, zero_copy=True, array_cls=NDArray):
    """An NDArray on the memory of numpy array ``ndarray``, without a copy.

    As in MXNet, the numpy array must be C-contiguous and is then made read-only: the
    NDArray owns the memory now, and writes through it are what count (reading the
    numpy array still shows them). With ``zero_copy=False`` the values are copied,
    the numpy array is left as it is, and any layout works.

    >>> import numpy as np, d2lmini as mx
    >>> a = np.zeros((2, 2), dtype='float32')
    >>> x = mx.nd.from_numpy(a)
    >>> x[0, 0] = 1
    >>> a[0, 0], a.flags.writeable
    (np.float32(1.0), False)
    """
    if not zero_copy:
        return array(ndarray, dtype=ndarray.dtype)
    if not ndarray.flags['C_CONTIGUOUS']:
        raise ValueError('Only c-contiguous arrays are supported for zero-copy')
    if str(ndarray.dtype) not in _FROM_NUMPY_DTYPES:
        raise ValueError(str(ndarray.dtype) + ' is not supported.')
    # a view made before the numpy array turns read-only stays writable
    data = ndarray.view()
    ndarray.flags['WRITEABLE'] = False
    return _wrap(data, cpu())
