"""``nd.save``, ``nd.load`` and ``nd.load_frombuffer``: MXNet's binary NDArray files.

A ``.params`` file written here loads in MXNet 1.x and the other way round, byte for byte.
The layout (every integer little-endian) is::

    uint64  0x112                       the list magic: "this is an NDArray file"
    uint64  0                           reserved
    uint64  number of arrays, then each array:
        uint32  0xF993FAC9              the array magic (V2)
        int32   0                       storage type: 0 is dense
        int32   ndim, then ndim x int64 the shape
        int32   device type, int32 id   the context: 1 is the CPU, 2 a GPU
        int32   type flag               0 float32, 1 float64, 2 float16, 3 uint8,
                                        4 int32, 5 int8, 6 int64, 7 bool
        raw     the elements in C order
    uint64  number of names (0 for a list), then each name:
        uint64  length, then the UTF-8 bytes

Two details come from MXNet's history. In its default ("legacy") shape semantics ``ndim``
0 means "no shape yet", so a 0-d array can only be saved under numpy shape semantics,
which mark every array with magic V3 (0xF993FACA) instead; ``save`` does the same when
the data holds a 0-d array. And ``load`` also reads the two layouts of MXNet before 1.0:
V1 (magic 0xF993FAC8, no storage type) and the original one, whose first word is ndim
itself, followed by uint32 dims.

Reading never trusts the file: every count and length is checked against the bytes that
remain before anything is allocated, so a damaged or forged file raises ``MXNetError``
saying what is wrong and at which byte, rather than crashing or eating all memory.
Nothing is ever unpickled.
"""
import math
import os
import struct

import numpy as np

from .. import backend
from ..base import MXNetError, file_error, shape_str
from ..context import Context, cpu
from ..fileio import check_size, write_bytes_atomically
from .ndarray import NDArray, _wrap

_LIST_MAGIC = 0x112
_V1_MAGIC = 0xF993FAC8  # int64 dims, no storage type (MXNet 0.9)
_V2_MAGIC = 0xF993FAC9  # adds the storage type: what MXNet 1.x writes
_V3_MAGIC = 0xF993FACA  # V2 under numpy shape semantics, where ndim 0 is a scalar

# mshadow's type flags, the dtype code stored with each array.
_FLAG_TO_DTYPE = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8,
                  4: np.int32, 5: np.int8, 6: np.int64, 7: np.bool_}
_DTYPE_TO_FLAG = {np.dtype(t): flag for flag, t in _FLAG_TO_DTYPE.items()}
# Flags MXNet knows but d2lmini arrays cannot hold.
_OTHER_FLAGS = {8: 'int16', 9: 'uint16', 10: 'uint32', 11: 'uint64', 12: 'bfloat16'}
_SPARSE_STORAGE = {1: 'row_sparse', 2: 'csr'}
_STORAGE_ID = {v: k for k, v in _SPARSE_STORAGE.items()}
# MXNet's device types: 1 cpu, 2 gpu, 3 cpu_pinned, 5 cpu_shared.
_CPU_DEVICES = (1, 3, 5)
_GPU_DEVICE = 2
# numpy arrays have at most 32 dimensions (64 from numpy 2 on); a larger count is damage.
_MAX_NDIM = 32

_U32, _I32, _U64 = struct.Struct('<I'), struct.Struct('<i'), struct.Struct('<Q')
_HEADER = struct.Struct('<QQQ')           # list magic, reserved, number of arrays
_CONTEXT_AND_FLAG = struct.Struct('<iii')  # device type, device id, type flag


# ------------------------------------------------------------------ writing
def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``.

    The file is MXNet's binary format, so MXNet 1.x can ``nd.load`` it and vice versa.
    It is written to a temporary file that then replaces ``fname`` in one step: if
    anything fails midway, an existing ``fname`` is left as it was.

    >>> import os, tempfile
    >>> import d2lmini as mx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     fname = os.path.join(folder, 'net.params')
    ...     save(fname, {'weight': mx.nd.ones((2, 3)), 'bias': mx.nd.zeros((2,))})
    ...     loaded = load(fname)
    >>> {name: x.shape for name, x in loaded.items()}
    {'weight': (2, 3), 'bias': (2,)}
    """
    path = _path(fname)
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if any(not isinstance(k, str) for k in data) or \
           any(not isinstance(v, NDArray) for v in data.values()):
            raise TypeError('save only accept dict str->NDArray or list of NDArray')
        names, arrays = list(data), list(data.values())
    elif isinstance(data, list):
        if any(not isinstance(v, NDArray) for v in data):
            raise TypeError('save only accept dict str->NDArray or list of NDArray')
        names, arrays = [], data
    else:
        raise ValueError('data needs to either be a NDArray, dict of str, NDArray pairs '
                         'or a list of NDarrays.')
    _write_atomically(path, _file_chunks(names, arrays))


def _file_chunks(names, arrays):
    """The file's bytes, one piece at a time (array data is written without a copy)."""
    # MXNet chooses the magic for the whole file from its shape semantics; only the numpy
    # semantics (V3) can describe a 0-d array, so a file holding one is written that way.
    magic = _V3_MAGIC if any(a.ndim == 0 for a in arrays) else _V2_MAGIC
    yield _HEADER.pack(_LIST_MAGIC, 0, len(arrays))
    for a in arrays:
        if a.stype != 'default':
            yield from _sparse_chunks(magic, a)
            continue
        ndim, ctx = a.ndim, a.context
        flat = _host_elements(a._data)
        dtype = flat.dtype
        yield struct.pack(f'<Iii{ndim}qiii', magic, 0, ndim, *a.shape,
                          ctx.device_typeid, ctx.device_id, _DTYPE_TO_FLAG[dtype])
        yield flat.astype(dtype.newbyteorder('<'), copy=False).view(np.uint8)
    yield _U64.pack(len(names))
    for name in names:
        raw = name.encode('utf-8')
        yield _U64.pack(len(raw)) + raw


def _shape_bytes(shape):
    return struct.pack(f'<i{len(shape)}q', len(shape), *shape)


def _sparse_chunks(magic, a):
    """A sparse array as MXNet writes one: the storage type, the shape of the stored
    values, the array's shape, context and dtype, then each index array's dtype and
    shape (CSR: indptr, indices; row sparse: indices), the stored values, and the
    index arrays."""
    ctx = a.context
    data, aux = a._parts[0], (a._parts[2], a._parts[1]) if a.stype == 'csr' else a._parts[1:]
    values = _host_elements(data)
    head = [struct.pack('<Ii', magic, _STORAGE_ID[a.stype]), _shape_bytes(data.shape),
            _shape_bytes(a.shape),
            _CONTEXT_AND_FLAG.pack(ctx.device_typeid, ctx.device_id, _DTYPE_TO_FLAG[values.dtype])]
    head += [_I32.pack(_DTYPE_TO_FLAG[np.dtype(x.dtype)]) + _shape_bytes(x.shape) for x in aux]
    yield b''.join(head)
    yield values.astype(values.dtype.newbyteorder('<'), copy=False).view(np.uint8)
    for x in aux:
        flat = _host_elements(x)
        yield flat.astype(flat.dtype.newbyteorder('<'), copy=False).view(np.uint8)


def _host_elements(data):
    """The elements of raw array ``data`` in C order as a 1-D numpy array (a copy only
    when the array is on a GPU or is a strided view)."""
    if not isinstance(data, (np.ndarray, np.generic)):  # np.generic: a 0-d result
        data = backend.to_host(data)
    return np.ascontiguousarray(data).reshape(-1)


def _write_atomically(path, chunks):
    """Write ``chunks`` to ``path`` with :func:`d2lmini.fileio.atomic_write`: readers see
    the old file or the new one, never half of one, and an error midway leaves the old
    file untouched. MXNet reports a file it cannot write as ``MXNetError``; so does this.
    """
    try:
        write_bytes_atomically(path, chunks)
    except OSError as e:
        raise MXNetError(f'nd.save: cannot write {path!r}: {e.strerror or e}') from e


# ------------------------------------------------------------------ reading
def load(fname):
    """Load the arrays that ``save`` (here or in MXNet) wrote to ``fname``.

    Returns a dict of name -> NDArray when the arrays were saved with names, otherwise a
    list. Each array goes back to the GPU it was saved from when that GPU is present,
    and to ``cpu(0)`` otherwise.

    >>> import os, tempfile
    >>> import d2lmini as mx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     fname = os.path.join(folder, 'arrays.params')
    ...     save(fname, [mx.nd.arange(3), mx.nd.ones((2, 2), dtype='int32')])
    ...     x, y = load(fname)
    >>> x
    <BLANKLINE>
    [0. 1. 2.]
    <NDArray 3 @cpu(0)>
    >>> y.dtype
    <class 'numpy.int32'>
    """
    path = _path(fname, 'load')
    try:
        with open(path, 'rb') as f:
            buf = f.read()
    except OSError as e:
        raise file_error('nd.load', path, e) from e
    return _parse(memoryview(buf), f'nd.load({path!r})')


def load_frombuffer(buf):
    """Load arrays from the bytes of a file that ``save`` wrote (as ``load`` does).

    >>> import d2lmini as mx
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     fname = os.path.join(folder, 'x.params')
    ...     save(fname, {'x': mx.nd.ones((2,))})
    ...     with open(fname, 'rb') as f:
    ...         raw = f.read()
    >>> load_frombuffer(raw)['x'].shape
    (2,)
    """
    if isinstance(buf, str):
        raise TypeError('buf required to be bytes (the contents of a file opened with "rb")')
    try:
        view = memoryview(buf).cast('B')
    except TypeError as e:
        raise TypeError(f'buf required to be bytes, not {type(buf).__name__}') from e
    return _parse(view, 'nd.load_frombuffer')


def _path(fname, what='save'):
    if isinstance(fname, os.PathLike):
        fname = os.fspath(fname)
    if isinstance(fname, bytes):
        fname = os.fsdecode(fname)
    if not isinstance(fname, str):
        raise TypeError(f'nd.{what}: fname required to be a string, not {type(fname).__name__}')
    return fname


def _parse(buf, source):
    """The list or dict of NDArrays stored in the bytes ``buf``."""
    r = _Reader(buf, source)
    magic, _reserved, count = r.unpack(_HEADER, 'the file header')
    if magic != _LIST_MAGIC:
        raise r.error(f'not an NDArray file: it starts with 0x{magic:x}, not the magic number '
                      f'0x{_LIST_MAGIC:x}', 0)
    r.check_count(count, 4, 'arrays')  # every array takes at least its 4-byte magic
    arrays = [_read_array(r, i) for i in range(count)]
    n_names, = r.unpack(_U64, 'the number of names')
    if n_names not in (0, count):
        raise r.error(f'{n_names} names for {count} arrays', r.pos - 8)
    names = [r.string(f'the name of array {i}') for i in range(n_names)]
    # Bytes after the names are ignored, as MXNet does.
    return dict(zip(names, arrays)) if names else arrays


def _read_array(r, i):
    """Array number ``i``, starting at the reader's position."""
    start = r.pos
    magic, = r.unpack(_U32, f'the magic number of array {i}')
    if magic in (_V2_MAGIC, _V3_MAGIC):
        stype, = r.unpack(_I32, f'the storage type of array {i}')
        if stype in _SPARSE_STORAGE:
            try:
                return _read_sparse(r, i, _SPARSE_STORAGE[stype], start)
            except MXNetError as e:     # say which layout the bytes were read as
                raise MXNetError(f'{e} (array {i} is stored as '
                                 f'{_SPARSE_STORAGE[stype]})') from None
        if stype != 0:
            raise r.error(f'array {i} has unknown storage type {stype}', r.pos - 4)
        shape = r.shape(_I32, 'q', i)
    elif magic == _V1_MAGIC:
        shape = r.shape(_I32, 'q', i)
    elif magic <= _MAX_NDIM:  # the original layout: the first word is ndim itself
        r.pos = start
        shape = r.shape(_U32, 'I', i)
    else:
        raise r.error(f'array {i} starts with 0x{magic:x}, which is not an NDArray magic number '
                      f'(0x{_V2_MAGIC:X} in files from MXNet 1.x)', start)
    if not shape and magic != _V3_MAGIC:
        # Outside numpy shape semantics ndim 0 marks an array that was never given a
        # shape; MXNet writes nothing more for it and cannot use it once loaded either.
        raise r.error(f'array {i} has no shape (it was saved before being initialized)', start)

    dev_type, dev_id, flag = r.unpack(_CONTEXT_AND_FLAG, f'the context and dtype of array {i}')
    if dev_type not in _CPU_DEVICES and dev_type != _GPU_DEVICE:
        raise r.error(f'array {i} has unknown device type {dev_type}', r.pos - 12)
    dtype = _dtype_of(r, flag, i)
    data = r.elements(dtype, shape, i)
    if dev_type == _GPU_DEVICE and 0 <= dev_id < backend.num_gpus():
        ctx = Context('gpu', dev_id)
        return _wrap(backend.to_device(data, ctx), ctx)
    return _wrap(data, cpu())


def _read_sparse(r, i, stype, start):
    """The rest of sparse array ``i`` (after its storage type): see
    :func:`_sparse_chunks`. The parts are checked as the array's ``check_format``
    checks them, so a damaged file cannot make an array that indexes out of range."""
    from .sparse import _make
    stored = r.shape(_I32, 'q', i)
    shape = r.shape(_I32, 'q', i)
    dev_type, dev_id, flag = r.unpack(_CONTEXT_AND_FLAG, f'the context and dtype of array {i}')
    if dev_type not in _CPU_DEVICES and dev_type != _GPU_DEVICE:
        raise r.error(f'array {i} has unknown device type {dev_type}', r.pos - 12)
    dtype = _dtype_of(r, flag, i)
    aux = []
    for k in range(2 if stype == 'csr' else 1):
        aux_flag, = r.unpack(_I32, f'the index dtype of array {i}')
        aux_dtype = _dtype_of(r, aux_flag, i)
        if aux_dtype.kind not in 'iu':
            raise r.error(f'array {i} ({stype}) has indices of dtype {aux_dtype.name}',
                          r.pos - 4)
        aux.append((aux_dtype, r.shape(_I32, 'q', i)))
    if len(aux[-1][1]) == 1 and not np.prod(stored, dtype=np.int64):
        # MXNet may write a storage shape of no elements (it does for an array a kvstore
        # pull filled) however many values follow; its reader then takes the values'
        # shape from the indices' (CSR: one value per column index; row sparse: one
        # row per row index), and so does this one
        num = aux[-1][1][0]
        stored = (num,) if stype == 'csr' else (num,) + tuple(shape[1:])
    data = r.elements(dtype, stored, i)
    aux = [r.elements(t, s, i).astype(np.int64).reshape(-1) for t, s in aux]
    parts = (data, aux[1], aux[0]) if stype == 'csr' else (data, aux[0])
    try:
        a = _make(stype, parts, shape, dtype, cpu())
        if stype == 'csr' and (len(shape) != 2 or data.ndim != 1):
            raise MXNetError(f'a CSR matrix of shape {shape_str(shape)} with values of shape '
                             f'{shape_str(data.shape)}')
        a.check_format()
    except MXNetError as e:
        raise r.error(f'array {i} ({stype}) is damaged: {e}', start) from None
    if dev_type == _GPU_DEVICE and 0 <= dev_id < backend.num_gpus():
        return a.copyto(Context('gpu', dev_id))
    return a


def _dtype_of(r, flag, i):
    if flag in _FLAG_TO_DTYPE:
        return np.dtype(_FLAG_TO_DTYPE[flag])
    where = r.pos - 4
    if flag in _OTHER_FLAGS:
        raise r.error(f'array {i} has dtype {_OTHER_FLAGS[flag]} (type flag {flag}), which '
                      'd2lmini does not support', where)
    raise r.error(f'array {i} has unknown type flag {flag}', where)


class _Reader:
    """Reads little-endian fields from a byte buffer, checking each length against what
    is left, so that no field can reach past the end of the data."""

    def __init__(self, buf, source):
        self.buf = buf
        self.pos = 0
        self.source = source

    def error(self, what, at):
        return MXNetError(f'{self.source}: {what} (at byte {at})')

    def _error_here(self, what):
        return self.error(what, self.pos)

    def take(self, nbytes, what):
        """Step over ``nbytes`` bytes; return where they start."""
        check_size(nbytes, len(self.buf) - self.pos, what, self._error_here)
        start = self.pos
        self.pos += nbytes
        return start

    def unpack(self, fmt, what):
        return fmt.unpack_from(self.buf, self.take(fmt.size, what))

    def check_count(self, count, min_bytes, what):
        """Refuse a count of items that could not fit in the bytes left."""
        left = len(self.buf) - self.pos
        if count > left // min_bytes:
            raise self.error(f'the file claims {count} {what}, but only {left} bytes are left',
                             self.pos - 8)

    def shape(self, ndim_fmt, dim_code, i):
        where = self.pos
        ndim, = self.unpack(ndim_fmt, f'the shape of array {i}')
        if not 0 <= ndim <= _MAX_NDIM:
            raise self.error(f'array {i} claims {ndim} dimensions (at most {_MAX_NDIM})', where)
        dims = struct.Struct(f'<{ndim}{dim_code}')
        shape = self.unpack(dims, f'the shape of array {i}')
        if any(d < 0 for d in shape):
            raise self.error(f'array {i} has a negative dimension in its shape '
                             f'{shape_str(shape)}', where)
        return shape

    def elements(self, dtype, shape, i):
        """A numpy copy of the next ``prod(shape)`` elements of ``dtype``."""
        count = math.prod(shape)
        what = f'the data of array {i} ({dtype.name}, shape {shape_str(shape)})'
        start = self.take(count * dtype.itemsize, what)
        stored = np.uint8 if dtype == np.bool_ else dtype.newbyteorder('<')
        try:
            raw = np.frombuffer(self.buf, stored, count, start).reshape(shape)
        except ValueError as e:  # e.g. a zero-size shape whose other dims are absurd
            raise self.error(f'array {i} has an impossible shape {shape_str(shape)}: {e}',
                             start) from None
        # A copy in native byte order, no longer tied to the buffer. Bools are read as
        # bytes so that the cast makes any nonzero byte True: viewed as bool directly, a
        # byte such as 2 would stay 2 inside the array.
        return raw.astype(dtype)

    def string(self, what):
        length, = self.unpack(_U64, what)
        start = self.take(length, what)
        try:
            return str(self.buf[start:start + length], 'utf-8')
        except UnicodeDecodeError as e:
            raise self.error(f'{what} is not valid UTF-8', start) from e
