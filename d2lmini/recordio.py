"""``mx.recordio``: MXNet's RecordIO files, a sequence of binary records in one file.

A ``.rec`` file is what ``im2rec`` makes: many small images packed into one big file,
read sequentially (fast on any disk) or, with its ``.idx`` index, at random. The format
is byte for byte MXNet's (dmlc-core's), so files written here are read by MXNet and
the other way round. Each record is stored as::

    uint32 magic = 0xced7230a    (little-endian, as every number here)
    uint32 lrec  = cflag << 29 | length
    length bytes of data, then zero bytes up to a multiple of 4

``cflag`` is 0 for a whole record. A record whose data contain the magic number at a
4-byte aligned offset is split there into parts (cflag 1 first, 2 middle, 3 last), the
magic number itself left out, so that a reader that lost its place can find the start
of the next record by scanning for the magic number; reading joins the parts again.

Image records (:func:`pack_img`, :func:`unpack_img`) start with an :class:`IRHeader`
(flag, label, id, id2), packed as ``struct`` format ``'IfQQ'``; a label of several
numbers follows the header as float32 values, their count in ``flag``.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'data.rec')
>>> w = MXRecordIO(path, 'w')
>>> for i in range(3):
...     w.write(pack(IRHeader(0, float(i), i, 0), b'record %d' % i))
>>> w.close()
>>> r = MXRecordIO(path, 'r')
>>> header, payload = unpack(r.read())
>>> header.label, payload
(0.0, b'record 0')
"""
import numbers
import os
import struct
from collections import namedtuple
from multiprocessing import current_process

import numpy as np

from .base import MXNetError
from .fileio import atomic_write, check_size

__all__ = ['MXRecordIO', 'MXIndexedRecordIO', 'IRHeader', 'pack', 'unpack',
           'pack_img', 'unpack_img']

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack('<I', _MAGIC)
_LENGTH_BITS = 29  # the low 29 bits of lrec hold the length, the top 3 the cflag
_MAX_RECORD = 1 << _LENGTH_BITS


def _encode_lrec(cflag, length):
    return struct.pack('<I', (cflag << _LENGTH_BITS) | length)


def _padding(length):
    return (-length) % 4


class MXRecordIO:
    """A RecordIO file read (``flag='r'``) or written (``flag='w'``) one record after
    the other.

    uri : the file's path
    flag : ``'r'`` to read, ``'w'`` to write (an existing file is replaced)

    A writer's file appears when it is closed, complete, never half written: the
    records go to a temporary file next to it, renamed into place by :meth:`close`
    (also called when the object is garbage-collected or pickled).

    A reader or writer can be pickled (to send it to DataLoader worker processes):
    the copy reopens the file; a reader used in another process than the one that
    opened it starts again from the beginning, as in MXNet.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'x.rec')
    >>> with MXRecordIO(path, 'w') as w:
    ...     w.write(b'abc')
    ...     w.write(b'')
    >>> r = MXRecordIO(path, 'r')
    >>> r.read(), r.read(), r.read()
    (b'abc', b'', None)
    """

    def __init__(self, uri, flag):
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self._file = None
        self._writer = None
        self.open()

    def open(self):
        """Open the file (done by the constructor; after :meth:`close`, again)."""
        if self.flag == 'w':
            self._writer = atomic_write(self.uri)
            try:
                self._file = self._writer.__enter__()
            except OSError as e:
                self._writer = None
                raise MXNetError(f'cannot create RecordIO file {self.uri}: {e}') from e
            self._pos = 0
            self.writable = True
        elif self.flag == 'r':
            try:
                self._file = open(self.uri, 'rb')
            except OSError as e:
                raise MXNetError(f'cannot open RecordIO file {self.uri}: {e}') from e
            self._size = os.fstat(self._file.fileno()).st_size
            self.writable = False
        else:
            raise ValueError('Invalid flag %s' % self.flag)
        self.pid = current_process().pid
        self.is_open = True

    def __del__(self):
        try:
            self.close()
        except Exception:  # at interpreter exit modules may be gone; nothing to do
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        is_open = self.is_open
        self.close()
        d = dict(self.__dict__)
        d['is_open'] = is_open
        d['_file'] = d['_writer'] = None
        return d

    def __setstate__(self, d):
        self.__dict__ = d
        is_open = d['is_open']
        self.is_open = False
        if is_open:
            self.open()

    def _check_pid(self, allow_reset=False):
        # a file position shared with a parent process would interleave reads
        if self.pid != current_process().pid:
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError('Forbidden operation in multiple processes')

    def close(self):
        """Close the file; a writer's file is put in place now."""
        if not self.is_open:
            return
        self.is_open = False
        self.pid = None
        if self.writable:
            writer, self._writer, self._file = self._writer, None, None
            writer.__exit__(None, None, None)
        else:
            self._file.close()
            self._file = None

    def reset(self):
        """Close and reopen: a reader starts again at the first record (a writer
        starts a new, empty file)."""
        self.close()
        self.open()

    def write(self, buf):
        """Append record ``buf`` (bytes)."""
        assert self.writable
        self._check_pid(allow_reset=False)
        buf = bytes(buf)
        if len(buf) >= _MAX_RECORD:
            raise MXNetError(f'RecordIO only accepts records of less than 2^29 bytes, '
                             f'got {len(buf)}')
        parts, start = [], 0
        # split at every aligned copy of the magic number (see the module's docstring)
        for i in range(0, len(buf) - 3, 4):
            if buf[i:i + 4] == _MAGIC_BYTES:
                parts.append(_MAGIC_BYTES + _encode_lrec(1 if start == 0 else 2, i - start))
                parts.append(buf[start:i])
                start = i + 4
        parts.append(_MAGIC_BYTES + _encode_lrec(3 if start else 0, len(buf) - start))
        parts.append(buf[start:])
        parts.append(b'\0' * _padding(len(buf)))
        data = b''.join(parts)
        self._file.write(data)
        self._pos += len(data)

    def read(self):
        """The next record as bytes, or None after the last one."""
        assert not self.writable
        self._check_pid(allow_reset=False)
        pieces = []
        while True:
            head = self._file.read(8)
            if not head and not pieces:
                return None
            if len(head) < 8:
                raise MXNetError(f'Invalid RecordIO File {self.uri}: it ends inside a '
                                 'record header')
            magic, lrec = struct.unpack('<II', head)
            if magic != _MAGIC:
                raise MXNetError(f'Invalid RecordIO File {self.uri}: no magic number at '
                                 f'byte {self._file.tell() - 8}')
            cflag, length = lrec >> _LENGTH_BITS, lrec & (_MAX_RECORD - 1)
            stored = length + _padding(length)
            check_size(stored, self._size - self._file.tell(), f'a record of {self.uri}',
                       MXNetError)
            pieces.append(self._file.read(stored)[:length])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(pieces)


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an index file (``.idx``: one ``key<TAB>offset`` line per
    record), for reading records by key in any order.

    idx_path : the index file's path
    uri : the record file's path
    flag : ``'r'`` or ``'w'``
    key_type : the type of the keys (the index file stores them as text)

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> idx, rec = os.path.join(folder, 'x.idx'), os.path.join(folder, 'x.rec')
    >>> w = MXIndexedRecordIO(idx, rec, 'w')
    >>> for i in range(3):
    ...     w.write_idx(i, b'record %d' % i)
    >>> w.close()
    >>> r = MXIndexedRecordIO(idx, rec, 'r')
    >>> r.keys, r.read_idx(2)
    ([0, 1, 2], b'record 2')
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = os.fspath(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        self._idx_writer = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        if self.writable:
            self._idx_writer = atomic_write(self.idx_path)
            self.fidx = self._idx_writer.__enter__()
        else:
            with open(self.idx_path) as f:
                for line in f:
                    line = line.strip().split('\t')
                    if line == ['']:
                        continue
                    key = self.key_type(line[0])
                    self.idx[key] = int(line[1])
                    self.keys.append(key)

    def close(self):
        if not self.is_open:
            return
        super().close()
        if self._idx_writer is not None:
            writer, self._idx_writer, self.fidx = self._idx_writer, None, None
            writer.__exit__(None, None, None)

    def __getstate__(self):
        d = super().__getstate__()
        d['fidx'] = d['_idx_writer'] = None
        return d

    def seek(self, idx):
        """Go to the record of key ``idx``: :meth:`read` reads it next."""
        assert not self.writable
        self._check_pid(allow_reset=True)
        self._file.seek(self.idx[idx])

    def tell(self):
        """The offset in bytes at which the next record will be written."""
        assert self.writable
        return self._pos

    def read_idx(self, idx):
        """The record of key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Append record ``buf`` under key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(('%s\t%d\n' % (str(key), pos)).encode())
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple('HEADER', ['flag', 'label', 'id', 'id2'])
IRHeader.__doc__ = """The header of an image record.

flag : 0 for a single number label, else the number of float32 labels that follow
label : the label (a number, or an array of numbers)
id, id2 : the record's ids (id2 is usually 0)
"""
_IR_FORMAT = 'IfQQ'
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """A record: ``header`` (an :class:`IRHeader` or a 4-tuple) followed by bytes ``s``.

    >>> unpack(pack(IRHeader(0, [1, 2], 7, 0), b'xyz'))
    (HEADER(flag=2, label=array([1., 2.], dtype=float32), id=7, id2=0), b'xyz')
    """
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s):
    """``(header, payload)`` of a record made by :func:`pack`."""
    if len(s) < _IR_SIZE:
        raise ValueError(f'an image record starts with a {_IR_SIZE}-byte header, but this '
                         f'record has {len(s)} bytes')
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        check_size(4 * header.flag, len(s), 'the labels of an image record')
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def pack_img(header, img, quality=95, img_fmt='.jpg'):
    """A record of ``header`` and image ``img`` encoded as JPEG or PNG.

    img : a numpy uint8 array ``(H, W)`` or ``(H, W, 3)`` in OpenCV's BGR order
        (what :func:`unpack_img` returns), as in MXNet
    quality : JPEG quality 0..100; for PNG, the compression level (capped at 9)
    img_fmt : ``'.jpg'``, ``'.jpeg'`` or ``'.png'``

    MXNet encodes with OpenCV and d2lmini with Pillow: PNG records decode to the
    same pixels, JPEG records to pixels that differ slightly, as between any two
    JPEG encoders.

    >>> import numpy as np
    >>> img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    >>> header, back = unpack_img(pack_img(IRHeader(0, 1, 0, 0), img, img_fmt='.png'))
    >>> bool((back == img).all())
    True
    """
    from .image.codec import encode_bgr
    return pack(header, encode_bgr(np.asarray(img), img_fmt, quality))


def unpack_img(s, iscolor=-1):
    """``(header, image)`` of a record made by :func:`pack_img`: the image a numpy
    uint8 array in BGR order, as OpenCV's ``imdecode(buf, iscolor)`` gives it
    (``-1`` as stored, ``0`` grey ``(H, W)``, ``1`` colour ``(H, W, 3)``)."""
    from .image.codec import decode_bgr
    header, s = unpack(s)
    return header, decode_bgr(s, iscolor)
