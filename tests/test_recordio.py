"""mx.recordio against files MXNet 1.9.1 wrote (tests/fixtures/recordio, made by
tools/make_image_recordio_fixtures.py), and the format written here."""
import os
import pickle
import struct

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import recordio

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'recordio')
MAGIC = struct.pack('<I', 0xced7230a)
MULTI = b'ab\0\0' + MAGIC + b'xyz!' + MAGIC + MAGIC + b'k'


def expected_records():
    png_a = open(os.path.join(FIX, 'a.png'), 'rb').read()
    png_gray = open(os.path.join(FIX, 'gray.png'), 'rb').read()
    return [recordio.pack(recordio.IRHeader(0, 3.0, 10, 0), png_a),
            recordio.pack(recordio.IRHeader(0, [1.0, 2.5], 11, 0), png_gray),
            b'', MULTI, b'hello', MAGIC]


def test_reads_mxnet_file_sequentially():
    r = recordio.MXRecordIO(os.path.join(FIX, 'mxnet.rec'), 'r')
    got = []
    while (s := r.read()) is not None:
        got.append(s)
    assert got == expected_records()
    r.reset()
    assert r.read() == got[0]


def test_reads_mxnet_file_by_index():
    r = recordio.MXIndexedRecordIO(os.path.join(FIX, 'mxnet.idx'),
                                   os.path.join(FIX, 'mxnet.rec'), 'r')
    assert r.keys == [0, 10, 20, 30, 40, 50]
    assert r.read_idx(30) == MULTI
    assert r.read_idx(0) == expected_records()[0]
    header, img = recordio.unpack_img(r.read_idx(10))
    assert header.flag == 2 and header.label.tolist() == [1.0, 2.5] and header.id == 11
    assert img.shape == (5, 4) and img.dtype == np.uint8


def test_writes_mxnet_bytes(tmp_path):
    """Byte for byte the file MXNet wrote, index included."""
    idx, rec = tmp_path / 'x.idx', tmp_path / 'x.rec'
    w = recordio.MXIndexedRecordIO(str(idx), str(rec), 'w')
    for i, r in enumerate(expected_records()):
        w.write_idx(i * 10, r)
    w.close()
    assert rec.read_bytes() == open(os.path.join(FIX, 'mxnet.rec'), 'rb').read()
    assert idx.read_bytes() == open(os.path.join(FIX, 'mxnet.idx'), 'rb').read()


def test_layout_of_one_record(tmp_path):
    path = str(tmp_path / 'one.rec')
    with recordio.MXRecordIO(path, 'w') as w:
        w.write(b'hello')
    data = open(path, 'rb').read()
    assert data == MAGIC + struct.pack('<I', 5) + b'hello\0\0\0'
    # a record holding the magic number is split: parts 1 (first) and 3 (last)
    with recordio.MXRecordIO(path, 'w') as w:
        w.write(b'abcd' + MAGIC + b'ef')
    data = open(path, 'rb').read()
    assert data == (MAGIC + struct.pack('<I', 1 << 29 | 4) + b'abcd'
                    + MAGIC + struct.pack('<I', 3 << 29 | 2) + b'ef\0\0')


def test_writer_file_appears_on_close(tmp_path):
    path = tmp_path / 'late.rec'
    w = recordio.MXRecordIO(str(path), 'w')
    w.write(b'x')
    assert not path.exists()
    w.close()
    assert path.exists()
    assert [p.name for p in tmp_path.iterdir()] == ['late.rec']


def test_pickle_reopens(tmp_path):
    idx, rec = str(tmp_path / 'p.idx'), str(tmp_path / 'p.rec')
    w = recordio.MXIndexedRecordIO(idx, rec, 'w')
    for i in range(4):
        w.write_idx(i, b'r%d' % i)
    w.close()
    r = recordio.MXIndexedRecordIO(idx, rec, 'r')
    r.read_idx(1)
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.read_idx(3) == b'r3' and r2.keys == [0, 1, 2, 3]
    assert r.read_idx(2) == b'r2'


def test_errors(tmp_path):
    with pytest.raises(ValueError, match='Invalid flag'):
        recordio.MXRecordIO(str(tmp_path / 'x.rec'), 'a')
    with pytest.raises(mx.MXNetError):
        recordio.MXRecordIO(str(tmp_path / 'missing.rec'), 'r')
    bad = tmp_path / 'bad.rec'
    bad.write_bytes(b'\0' * 12)
    with pytest.raises(mx.MXNetError, match='Invalid RecordIO'):
        recordio.MXRecordIO(str(bad), 'r').read()
    truncated = tmp_path / 'short.rec'
    truncated.write_bytes(MAGIC + struct.pack('<I', 1000) + b'abc')
    with pytest.raises(mx.MXNetError, match='ends inside'):
        recordio.MXRecordIO(str(truncated), 'r').read()
    with pytest.raises(AssertionError):
        recordio.MXRecordIO(str(bad), 'r').write(b'x')


def test_pack_unpack():
    s = recordio.pack(recordio.IRHeader(5, 2.0, 3, 4), b'payload')
    assert len(s) == struct.calcsize('IfQQ') + 7
    header, payload = recordio.unpack(s)
    assert header == recordio.IRHeader(0, 2.0, 3, 4) and payload == b'payload'


def test_pack_img_roundtrip():
    rng = np.random.RandomState(1)
    bgr = rng.randint(0, 256, (6, 5, 3)).astype(np.uint8)
    h, back = recordio.unpack_img(recordio.pack_img((0, 1, 2, 0), bgr, img_fmt='.png'))
    assert h.label == 1 and (back == bgr).all()
    h, gray = recordio.unpack_img(recordio.pack_img((0, 1, 2, 0), bgr, img_fmt='.png'), 0)
    assert gray.shape == (6, 5)
    smooth = np.tile(np.arange(0, 240, 15, dtype=np.uint8)[None, :, None], (16, 1, 3))
    _, jpg = recordio.unpack_img(recordio.pack_img((0, 1, 2, 0), smooth, quality=95))
    assert np.abs(jpg.astype(int) - smooth).max() <= 8  # lossy


def test_record_datasets():
    from d2lmini.gluon.data import RecordFileDataset
    from d2lmini.gluon.data.vision import ImageRecordDataset
    rec = os.path.join(FIX, 'mxnet.rec')
    ds = RecordFileDataset(rec)
    assert len(ds) == 6 and ds[3] == MULTI
    images = ImageRecordDataset(rec).take(2)
    img, label = images[0]
    e = np.load(os.path.join(FIX, 'mxnet_image_expected.npz'))
    assert label == 3.0 and (img.asnumpy() == e['decode_a']).all()
    img, label = images[1]
    assert img.shape == (5, 4, 3) and label.tolist() == [1.0, 2.5]
    img, _ = ImageRecordDataset(rec, flag=0)[0]
    assert (img.asnumpy() == e['decode_a_gray']).all()
