"""Make the small fixtures of tests/test_image.py and tests/test_recordio.py.

Run it twice, from the repository root: first with a Python that has Pillow (the
project's virtual environment; it writes the JPEG sample), then with a Python that
has MXNet 1.9 (it writes what MXNet gives: decoded pixels, resized and cropped
images, and a RecordIO file with its index)::

    .venv/bin/python tools/make_image_recordio_fixtures.py
    ~/mxref/bin/python tools/make_image_recordio_fixtures.py

Everything goes to tests/fixtures/recordio/ (a few kilobytes).
"""
import os
import struct
import zlib

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'recordio')
MAGIC = struct.pack('<I', 0xced7230a)


def sample_images():
    rng = np.random.RandomState(0)
    a = rng.randint(0, 256, size=(7, 9, 3)).astype(np.uint8)       # H=7, W=9
    # a smooth image, where resampling methods are comparable
    yy, xx = np.mgrid[0:12, 0:16]
    b = np.stack([xx * 15, yy * 20, (xx + yy) * 9], axis=-1).astype(np.uint8)
    gray = rng.randint(0, 256, size=(5, 4)).astype(np.uint8)
    return a, b, gray


def png_bytes(img):
    """A PNG file of uint8 ``img`` (H, W) or (H, W, 3), written without any library."""
    h, w = img.shape[:2]
    colour = 2 if img.ndim == 3 else 0
    raw = b''.join(b'\0' + img[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, colour, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def records(png_a, png_gray):
    from mxnet import recordio
    multi = b'ab\0\0' + MAGIC + b'xyz!' + MAGIC + MAGIC + b'k'
    return [recordio.pack(recordio.IRHeader(0, 3.0, 10, 0), png_a),
            recordio.pack(recordio.IRHeader(0, [1.0, 2.5], 11, 0), png_gray),
            b'', multi, b'hello', MAGIC]


def with_pillow():
    from PIL import Image
    _, b, _ = sample_images()
    Image.fromarray(b).save(os.path.join(OUT, 'sample.jpg'), quality=90)


def with_mxnet():
    import mxnet as mx
    a, b, gray = sample_images()
    png_a, png_gray = png_bytes(a), png_bytes(gray)
    for name, data in [('a.png', png_a), ('gray.png', png_gray)]:
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    out = {'a': a, 'b': b, 'gray': gray}
    out['decode_a'] = mx.image.imdecode(png_a).asnumpy()
    out['decode_a_bgr'] = mx.image.imdecode(png_a, to_rgb=False).asnumpy()
    out['decode_a_gray'] = mx.image.imdecode(png_a, flag=0).asnumpy()
    out['decode_gray_color'] = mx.image.imdecode(png_gray).asnumpy()
    jpg = os.path.join(OUT, 'sample.jpg')
    out['decode_jpg'] = mx.image.imread(jpg).asnumpy()
    out['decode_jpg_gray'] = mx.image.imread(jpg, flag=0).asnumpy()
    for src_name, src in [('a', a), ('b', b)]:
        nda = mx.nd.array(src, dtype='uint8')
        for interp in range(5):
            for w, h in [(4, 3), (13, 11), (5, 9), (8, 6), (32, 24), (3, 17)]:
                out[f'resize_{src_name}_{interp}_{w}x{h}'] = \
                    mx.image.imresize(nda, w, h, interp=interp).asnumpy()
        out[f'resize_{src_name}_float'] = mx.image.imresize(
            nda.astype('float32'), 5, 4, interp=1).asnumpy()
    ndb = mx.nd.array(b, dtype='uint8')
    out['resize_short_b_5'] = mx.image.resize_short(ndb, 5).asnumpy()
    out['center_crop_b'] = mx.image.center_crop(ndb, (6, 4))[0].asnumpy()
    out['center_crop_b_resized'] = mx.image.center_crop(ndb, (20, 10))[0].asnumpy()
    out['fixed_crop_b'] = mx.image.fixed_crop(ndb, 2, 3, 7, 5, size=(10, 6)).asnumpy()
    for border in range(5):
        out[f'border_{border}'] = mx.image.copyMakeBorder(
            ndb, 1, 2, 3, 4, type=border, value=7).asnumpy()
    np.savez_compressed(os.path.join(OUT, 'mxnet_image_expected.npz'), **out)

    idx, rec = os.path.join(OUT, 'mxnet.idx'), os.path.join(OUT, 'mxnet.rec')
    w = mx.recordio.MXIndexedRecordIO(idx, rec, 'w')
    for i, r in enumerate(records(png_a, png_gray)):
        w.write_idx(i * 10, r)
    w.close()


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    try:
        import mxnet  # noqa: F401
    except ImportError:
        with_pillow()
    else:
        with_mxnet()
