"""nd.save, nd.load and nd.load_frombuffer: MXNet's binary NDArray (.params) files.

The files in ``tests/fixtures`` were written once by MXNet 1.9.1 (``make_fixtures.py``);
``fixtures/ndarray_files.py`` says what each holds. Reading them must give exactly those
arrays and names, and writing the same content here must give exactly the same bytes.
"""
import os
import struct

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import backend
from d2lmini.base import MXNetError
from d2lmini.ndarray import serialization
from d2lmini.ndarray.ndarray import _wrap
from d2lmini.ndarray.serialization import load, load_frombuffer, save
from fixtures.ndarray_files import CONTENTS, LEGACY_CONTENTS, NP_SHAPE_CONTENTS

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')
ALL_DTYPES = ('float32', 'float64', 'float16', 'uint8', 'int8', 'int32', 'int64', 'bool')
V2_MAGIC, V3_MAGIC = 0xF993FAC9, 0xF993FACA


def fixture_bytes(name):
    with open(os.path.join(FIXTURES, name), 'rb') as f:
        return f.read()


def to_nd(content):
    """The numpy ``content`` (array, list or dict) as NDArrays."""
    def one(a):
        if a.ndim == 0:  # nd.array makes a (1,) array of a number, as MXNet does
            return mx.nd.full((), a.item(), dtype=a.dtype)
        return mx.nd.array(a, dtype=a.dtype)
    if isinstance(content, dict):
        return {k: one(v) for k, v in content.items()}
    if isinstance(content, list):
        return [one(v) for v in content]
    return one(content)


def assert_same(loaded, content):
    """``loaded`` is what nd.load gives for a file saved from ``content``: same kind,
    names in the same order, and arrays with the same shape, dtype and bits."""
    expected = [content] if isinstance(content, np.ndarray) else content
    assert type(loaded) is type(expected)
    if isinstance(expected, dict):
        assert list(loaded) == list(expected)
        pairs = [(loaded[k], expected[k]) for k in expected]
    else:
        assert len(loaded) == len(expected)
        pairs = list(zip(loaded, expected))
    for got, want in pairs:
        assert isinstance(got, mx.nd.NDArray)
        assert got.shape == want.shape and got.dtype == want.dtype.type
        assert got.context == mx.cpu(0)
        assert got.asnumpy().tobytes() == want.tobytes()  # NaN and -0.0 included


def saved_bytes(tmp_path, data):
    path = tmp_path / 'out.params'
    save(str(path), data)
    return path.read_bytes()


# ------------------------------------------------------------------ MXNet's own files
READABLE = {**CONTENTS, **NP_SHAPE_CONTENTS, **LEGACY_CONTENTS}
WRITABLE = {**CONTENTS, **NP_SHAPE_CONTENTS}


@pytest.mark.parametrize('name', sorted(READABLE))
def test_reads_files_written_by_mxnet(name):
    assert_same(load(os.path.join(FIXTURES, name)), READABLE[name])
    assert_same(load_frombuffer(fixture_bytes(name)), READABLE[name])


@pytest.mark.parametrize('name', sorted(WRITABLE))
def test_writes_the_bytes_mxnet_writes(tmp_path, name):
    assert saved_bytes(tmp_path, to_nd(WRITABLE[name])) == fixture_bytes(name)


def test_empty_dict_and_empty_list_write_the_same_file(tmp_path):
    assert saved_bytes(tmp_path, {}) == fixture_bytes('empty.params')
    assert load_frombuffer(fixture_bytes('empty.params')) == []


def test_a_zero_d_array_puts_every_array_in_numpy_shape_format(tmp_path):
    raw = saved_bytes(tmp_path, [mx.nd.full((), 1.5), mx.nd.ones((2,))])
    first = 24                          # after list magic, reserved and count
    second = first + 4 + 4 + 4 + 12 + 4  # magic, storage, ndim 0, context, flag, one float
    assert struct.unpack_from('<I', raw, first)[0] == V3_MAGIC
    assert struct.unpack_from('<I', raw, second)[0] == V3_MAGIC
    scalar, vector = load_frombuffer(raw)
    assert scalar.shape == () and scalar.asnumpy() == np.float32(1.5)
    assert vector.shape == (2,)
    assert struct.unpack_from('<I', saved_bytes(tmp_path, [mx.nd.ones((2,))]), 24)[0] == V2_MAGIC


# ------------------------------------------------------------------ round trips
ROUND_TRIP_SHAPES = [(), (1,), (5,), (0,), (2, 3), (3, 0, 2), (2, 1, 3, 2), (1, 2, 1, 2, 1, 2)]


@pytest.mark.parametrize('dtype', ALL_DTYPES)
def test_round_trip_every_dtype_and_rank(tmp_path, dtype):
    rng = np.random.default_rng(7)
    content = {}
    for shape in ROUND_TRIP_SHAPES:
        values = rng.standard_normal(shape) * 50
        content['x' + 'x'.join(map(str, shape))] = np.asarray(
            values > 0 if dtype == 'bool' else values.astype(dtype))
    path = str(tmp_path / 'arrays.params')
    save(path, to_nd(content))
    assert_same(load(path), content)
    save(path, to_nd(list(content.values())))
    assert_same(load(path), list(content.values()))


def test_what_load_returns_follows_what_was_saved(tmp_path):
    path = str(tmp_path / 'x.params')
    save(path, mx.nd.ones((2,)))           # a single array comes back as a list of one
    assert_same(load(path), [np.ones(2, np.float32)])
    save(path, {'b': mx.nd.zeros((1,)), 'a': mx.nd.ones((1,))})
    assert list(load(path)) == ['b', 'a']   # insertion order, not sorted


def test_paths_may_be_pathlike(tmp_path):
    save(tmp_path / 'p.params', [mx.nd.ones((3,))])
    assert load(tmp_path / 'p.params')[0].shape == (3,)


def test_strided_array_is_saved_in_c_order(tmp_path):
    # Operators return contiguous arrays today; a raw view must still be saved by value.
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    view = _wrap(base[::2, 1::2], mx.cpu())
    loaded, = load_frombuffer(saved_bytes(tmp_path, [view]))
    np.testing.assert_array_equal(loaded.asnumpy(), base[::2, 1::2])


def test_loaded_arrays_own_their_memory():
    buf = bytearray(fixture_bytes('single.params'))
    x, = load_frombuffer(buf)
    before = x.asnumpy()
    buf[-20:-8] = b'\xff' * 12            # scribble over the stored elements
    np.testing.assert_array_equal(x.asnumpy(), before)
    x[:] = 3                              # and the array is writable
    assert (x.asnumpy() == 3).all()


def test_load_frombuffer_takes_any_bytes_like_object():
    raw = fixture_bytes('named_dict.params')
    for buf in (raw, bytearray(raw), memoryview(raw)):
        assert_same(load_frombuffer(buf), CONTENTS['named_dict.params'])


def test_bytes_after_the_names_are_ignored_as_in_mxnet():
    raw = fixture_bytes('named_dict.params') + b'trailing junk'
    assert_same(load_frombuffer(raw), CONTENTS['named_dict.params'])


# ------------------------------------------------------------------ contexts
# Byte offsets in a file holding one float32 array of shape (2, 3):
#   0 list magic | 8 reserved | 16 count | 24 array magic | 28 storage | 32 ndim
#   36, 44 dims | 52 device type | 56 device id | 60 type flag | 64 data (24 bytes)
#   88 number of names
ONE = {'count': 16, 'magic': 24, 'storage': 28, 'ndim': 32, 'dim0': 36, 'dim1': 44,
       'dev_type': 52, 'dev_id': 56, 'flag': 60, 'data': 64, 'names': 88}


def one_array_file(**patches):
    """The bytes of ``save([ones((2, 3))])`` with fields replaced: ``name=(fmt, value)``."""
    raw = bytearray(struct.pack('<QQQIiiqqiii', 0x112, 0, 1, V2_MAGIC, 0, 2, 2, 3, 1, 0, 0))
    raw += np.ones(6, '<f4').tobytes() + struct.pack('<Q', 0)
    for field, (fmt, value) in patches.items():
        struct.pack_into(fmt, raw, ONE[field], value)
    return bytes(raw)


def test_one_array_file_matches_save(tmp_path):
    assert saved_bytes(tmp_path, [mx.nd.ones((2, 3))]) == one_array_file()


def test_array_saved_on_a_gpu_loads_on_the_cpu_without_one(monkeypatch):
    monkeypatch.setattr(backend, 'num_gpus', lambda: 0)
    x, = load_frombuffer(one_array_file(dev_type=('<i', 2), dev_id=('<i', 1)))
    assert x.context == mx.cpu(0)
    np.testing.assert_array_equal(x.asnumpy(), np.ones((2, 3), np.float32))


@pytest.mark.parametrize('dev_type, dev_id', [(1, 3), (3, 0), (5, 1)])
def test_every_cpu_kind_loads_on_cpu0(dev_type, dev_id):
    x, = load_frombuffer(one_array_file(dev_type=('<i', dev_type), dev_id=('<i', dev_id)))
    assert x.context == mx.cpu(0)


def test_cpu_context_is_written(tmp_path):
    raw = saved_bytes(tmp_path, [mx.nd.ones((2, 3), ctx=mx.cpu(1))])
    assert struct.unpack_from('<ii', raw, ONE['dev_type']) == (1, 1)


@pytest.mark.gpu
def test_gpu_arrays_round_trip_and_record_their_device(tmp_path):
    x = mx.nd.array(np.arange(6).reshape(2, 3), ctx=mx.gpu(0))
    raw = saved_bytes(tmp_path, [x])
    assert struct.unpack_from('<ii', raw, ONE['dev_type']) == (2, 0)
    y, = load_frombuffer(raw)
    assert y.context == mx.gpu(0)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())


# ------------------------------------------------------------------ bad arguments
def test_save_refuses_what_it_cannot_store(tmp_path):
    path = str(tmp_path / 'x.params')
    with pytest.raises(TypeError, match='dict str->NDArray'):
        save(path, {1: mx.nd.ones((1,))})
    with pytest.raises(TypeError, match='dict str->NDArray'):
        save(path, {'a': np.ones(1)})
    with pytest.raises(TypeError, match='list of NDArray'):
        save(path, [mx.nd.ones((1,)), np.ones(1)])
    with pytest.raises(ValueError, match='list of NDarrays'):
        save(path, (mx.nd.ones((1,)),))
    with pytest.raises(TypeError, match='fname'):
        save(3, [])
    assert not os.listdir(tmp_path)


def test_load_arguments_are_checked():
    with pytest.raises(TypeError, match='fname'):
        load(None)
    with pytest.raises(TypeError, match='bytes'):
        load_frombuffer(fixture_bytes('single.params').decode('latin-1'))
    with pytest.raises(TypeError, match='bytes'):
        load_frombuffer(12)


def test_missing_files_and_folders_raise_mxnet_errors(tmp_path):
    missing = str(tmp_path / 'nothing.params')
    with pytest.raises(MXNetError, match='nothing.params'):
        load(missing)
    with pytest.raises(MXNetError, match='no_folder'):
        save(str(tmp_path / 'no_folder' / 'x.params'), [])


# ------------------------------------------------------------------ writing safely
def test_failed_save_keeps_the_old_file_and_leaves_nothing_behind(tmp_path, monkeypatch):
    path = str(tmp_path / 'model.params')
    save(path, {'w': mx.nd.ones((2,))})
    with open(path, 'rb') as f:
        old = f.read()

    calls = []

    def fail_on_second_array(data):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError('device lost')
        return np.ascontiguousarray(data).reshape(-1)
    monkeypatch.setattr(serialization, '_host_elements', fail_on_second_array)
    with pytest.raises(RuntimeError, match='device lost'):
        save(path, [mx.nd.zeros((3,)), mx.nd.zeros((4,))])
    monkeypatch.undo()

    def no_rename(src, dst):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(os, 'replace', no_rename)
    with pytest.raises(MXNetError, match='No space left'):
        save(path, [mx.nd.zeros((3,))])
    monkeypatch.undo()

    with open(path, 'rb') as f:
        assert f.read() == old
    assert os.listdir(tmp_path) == ['model.params']


def test_save_replaces_an_existing_file_with_ordinary_permissions(tmp_path):
    path = str(tmp_path / 'model.params')
    save(path, [mx.nd.ones((5,))])
    save(path, [mx.nd.zeros((2,))])
    assert_same(load(path), [np.zeros(2, np.float32)])
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


# ------------------------------------------------------------------ damaged files
@pytest.mark.parametrize('name', ['named_dict.params', 'dtypes_list.params', 'np_shape.params',
                                  'legacy_v0.params'])
def test_every_truncation_is_reported_with_its_place(name):
    raw = fixture_bytes(name)
    for end in range(len(raw)):
        with pytest.raises(MXNetError, match=r'at byte \d+'):
            load_frombuffer(raw[:end])


def test_truncated_data_names_the_array():
    with pytest.raises(MXNetError, match=r'inside the data of array 0 \(float32, shape \[2,3\]\)'
                                         r'.*24 bytes.*20 are left.*at byte 64'):
        load_frombuffer(one_array_file()[:84])


def test_truncated_file_on_disk(tmp_path):
    path = tmp_path / 'cut.params'
    path.write_bytes(fixture_bytes('named_dict.params')[:100])
    with pytest.raises(MXNetError, match='cut.params'):
        load(str(path))


@pytest.mark.parametrize('raw', [b'', b'\x00' * 40, b'PK\x03\x04' + b'\x00' * 40,
                                 b'\x80\x04\x95' + b'\x00' * 40, struct.pack('<QQQ', 0x113, 0, 0)])
def test_files_of_another_kind_are_refused(raw):
    with pytest.raises(MXNetError, match='NDArray file|ends inside the file header'):
        load_frombuffer(raw)


BAD_FIELDS = [
    # (field, (format, value), what the message must say)
    ('magic', ('<I', 0xDEADBEEF), r'array 0 starts with 0xdeadbeef.*at byte 24'),
    ('magic', ('<I', 33), r'array 0 starts with 0x21'),
    ('count', ('<Q', 2 ** 63), r'claims 9223372036854775808 arrays'),
    ('count', ('<Q', 2), r'array 1 has no shape'),  # reads the names count as array 1
    # a dense array's bytes read as a sparse one's do not fit
    ('storage', ('<i', 1), r'unknown device type.*stored as row_sparse'),
    ('storage', ('<i', 2), r'unknown device type.*stored as csr'),
    ('storage', ('<i', 7), r'unknown storage type 7.*at byte 28'),
    ('ndim', ('<i', 2 ** 31 - 1), r'claims 2147483647 dimensions.*at byte 32'),
    ('ndim', ('<i', -1), r'claims -1 dimensions'),
    ('ndim', ('<i', 0), r'array 0 has no shape'),
    ('dim0', ('<q', -5), r'negative dimension.*\[-5,3\]'),
    ('dim0', ('<q', 2 ** 40), r'data of array 0 \(float32, shape \[1099511627776,3\]\).*'
                              r'13194139533312 bytes'),
    ('dev_type', ('<i', 9), r'unknown device type 9.*at byte 52'),
    ('flag', ('<i', 99), r'unknown type flag 99.*at byte 60'),
    ('flag', ('<i', -1), r'unknown type flag -1'),
    ('flag', ('<i', 8), r'int16 \(type flag 8\).*not support'),
    ('flag', ('<i', 12), r'bfloat16'),
    ('names', ('<Q', 2 ** 62), r'4611686018427387904 names for 1 arrays'),
    ('names', ('<Q', 3), r'3 names for 1 arrays'),
]


@pytest.mark.parametrize('field, patch, message', BAD_FIELDS)
def test_bad_fields_are_named(field, patch, message):
    with pytest.raises(MXNetError, match=message):
        load_frombuffer(one_array_file(**{field: patch}))


def test_zero_size_shape_with_absurd_dims_is_refused():
    # No element to read, yet numpy cannot describe an array of this shape either.
    raw = (struct.pack('<QQQIi', 0x112, 0, 1, V2_MAGIC, 0)
           + struct.pack('<iqqq', 3, 0, 2 ** 62, 2 ** 62)    # shape [0, 2**62, 2**62]
           + struct.pack('<iii', 1, 0, 0) + struct.pack('<Q', 0))
    with pytest.raises(MXNetError, match=r'impossible shape \[0,4611686018427387904,'):
        load_frombuffer(raw)


def names_file(*names):
    """A file with one (1,) float32 array per name (names given as raw bytes)."""
    raw = struct.pack('<QQQ', 0x112, 0, len(names))
    for _ in names:
        raw += struct.pack('<Iiiqiii', V2_MAGIC, 0, 1, 1, 1, 0, 0) + np.ones(1, '<f4').tobytes()
    raw += struct.pack('<Q', len(names))
    for name in names:
        raw += struct.pack('<Q', len(name)) + name
    return raw


def test_names_file_matches_save(tmp_path):
    data = {'a': mx.nd.ones((1,)), 'b\u00e9': mx.nd.ones((1,))}
    assert saved_bytes(tmp_path, data) == names_file(b'a', 'b\u00e9'.encode())


def test_bad_names_are_reported():
    raw = bytearray(names_file(b'weight'))
    struct.pack_into('<Q', raw, len(raw) - 14, 2 ** 63)  # the name's length
    with pytest.raises(MXNetError, match='ends inside the name of array 0'):
        load_frombuffer(bytes(raw))
    with pytest.raises(MXNetError, match='name of array 1 is not valid UTF-8'):
        load_frombuffer(names_file(b'ok', b'\xff\xfe'))


def test_a_repeated_name_keeps_the_last_array_as_mxnet_does():
    raw = bytearray(names_file(b'w', b'w'))
    struct.pack_into('<f', raw, 24 + 36 + 32, 5.0)  # the second array's element
    loaded = load_frombuffer(bytes(raw))
    assert list(loaded) == ['w'] and loaded['w'].asnumpy()[0] == 5.0


def test_bool_bytes_other_than_zero_and_one_read_as_true():
    raw = bytearray(one_array_file(flag=('<i', 7))[:64] + bytes([0, 1, 2, 255, 0, 9]))
    raw += struct.pack('<Q', 0)
    x, = load_frombuffer(bytes(raw))
    assert x.dtype == np.bool_
    np.testing.assert_array_equal(x.asnumpy(), [[False, True, True], [True, False, True]])
    assert set(x.asnumpy().view(np.uint8).ravel()) == {0, 1}
