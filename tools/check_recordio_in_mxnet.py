"""Check by hand that MXNet 1.9 reads the RecordIO files d2lmini writes.

    .venv/bin/python tools/check_recordio_in_mxnet.py write /tmp/rio
    ~/mxref/bin/python tools/check_recordio_in_mxnet.py read /tmp/rio

The first writes, with d2lmini, an indexed RecordIO file of image records (PNG and
JPEG, single and multiple labels) and of raw records that hold the magic number
(split into parts); the second reads it with MXNet and compares.
"""
import os
import struct
import sys

import numpy as np

MAGIC = struct.pack('<I', 0xced7230a)
RAW = [b'', b'abc', MAGIC, b'xx\0\0' + MAGIC * 3 + b'tail', bytes(range(256)) * 9]


def image():
    yy, xx = np.mgrid[0:10, 0:12]
    return np.stack([xx * 20, yy * 25, (xx + yy) * 10], -1).astype(np.uint8)


def write(folder):
    from d2lmini import recordio
    os.makedirs(folder, exist_ok=True)
    w = recordio.MXIndexedRecordIO(os.path.join(folder, 'd.idx'),
                                   os.path.join(folder, 'd.rec'), 'w')
    w.write_idx(0, recordio.pack_img((0, 7.0, 1, 0), image(), img_fmt='.png'))
    w.write_idx(1, recordio.pack_img((0, [1, 2, 3], 2, 0), image(), quality=90))
    for i, r in enumerate(RAW):
        w.write_idx(10 + i, r)
    w.close()


def read(folder):
    import mxnet as mx
    r = mx.recordio.MXIndexedRecordIO(os.path.join(folder, 'd.idx'),
                                      os.path.join(folder, 'd.rec'), 'r')
    h, s = mx.recordio.unpack(r.read_idx(0))
    img = mx.image.imdecode(s, to_rgb=False).asnumpy()  # pack_img takes BGR
    assert h.label == 7.0 and (img == image()).all()
    h, s = mx.recordio.unpack(r.read_idx(1))
    img = mx.image.imdecode(s).asnumpy()
    assert h.label.tolist() == [1, 2, 3]
    print('JPEG max difference', np.abs(img.astype(int) - image()[..., ::-1]).max())
    for i, raw in enumerate(RAW):
        assert r.read_idx(10 + i) == raw, i
    seq = mx.recordio.MXRecordIO(os.path.join(folder, 'd.rec'), 'r')
    n = 0
    while seq.read() is not None:
        n += 1
    assert n == 2 + len(RAW)
    print('MXNet read all', n, 'records')


if __name__ == '__main__':
    {'write': write, 'read': read}[sys.argv[1]](sys.argv[2])
