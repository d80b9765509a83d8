"""Record what MXNet 1.9.1's ``mx.io.ImageRecordIter`` yields, for
tests/test_image_record_iter.py.

    ~/mxref/bin/python tools/make_image_record_iter_fixtures.py

Writes tests/fixtures/image_record_iter/: ``expected.npz`` (batches of data, labels
and pads for a few deterministic settings) and ``parts.rec`` (a RecordIO file of
images of very different sizes, whose split into ``num_parts`` MXNet makes by bytes).
The images are random pixels from ``numpy.random.RandomState``, stored as PNG
(lossless, so every decoder gives the same pixels); the test makes the same images
and packs them with d2lmini's own recordio. The PNG writer is here, since the MXNet
environment has neither OpenCV nor Pillow.
"""
import os
import struct
import tempfile
import zlib

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   'tests', 'fixtures', 'image_record_iter')

# name -> (number of images, their (height, width) in turn, labels per image);
# the test file holds the same table
DATASETS = {
    'small': (7, [(6, 8)], 1),
    'sizes': (4, [(20, 30), (31, 17), (15, 15), (13, 29)], 1),
    'multi': (5, [(6, 8), (10, 7), (9, 12)], 3),
    'ten': (10, [(5, 6)], 1),
    'parts': (10, [(40, 50), (4, 4), (4, 4), (20, 20), (4, 4), (4, 4), (4, 4), (30, 30),
                   (4, 4), (4, 4)], 1),
}


def images(name):
    """The RGB uint8 images and labels of data set ``name``."""
    count, sizes, label_width = DATASETS[name]
    rng = np.random.RandomState(0)
    out = []
    for i in range(count):
        h, w = sizes[i % len(sizes)]
        rgb = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
        label = float(i) if label_width == 1 else [i + 0.5 * k for k in range(label_width)]
        out.append((rgb, label))
    return out


def png_bytes(rgb):
    """A minimal 8-bit RGB PNG file (no filtering) of ``rgb``."""
    height, width, _ = rgb.shape

    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))
    rows = b''.join(b'\x00' + rgb[y].tobytes() for y in range(height))
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows))
            + chunk(b'IEND', b''))


def write_rec(name, path):
    writer = mx.recordio.MXRecordIO(path, 'w')
    for i, (rgb, label) in enumerate(images(name)):
        writer.write(mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), png_bytes(rgb)))
    writer.close()


def epochs(it, count):
    """``[(labels, pad, data)]`` of every batch of ``count`` epochs."""
    out = []
    for _ in range(count):
        out.append([(b.label[0].asnumpy(), b.pad, b.data[0].asnumpy()) for b in it])
        it.reset()
    return out


# key -> (data set, iterator, epochs, keyword arguments)
CASES = {
    'plain': ('small', 'ImageRecordIter', 3, dict(data_shape=(3, 6, 8), batch_size=3)),
    'plain_v1': ('small', 'ImageRecordIter_v1', 4, dict(data_shape=(3, 6, 8), batch_size=3)),
    'bs4': ('small', 'ImageRecordIter', 3, dict(data_shape=(3, 6, 8), batch_size=4)),
    'no_round_v1': ('small', 'ImageRecordIter_v1', 2,
                    dict(data_shape=(3, 6, 8), batch_size=3, round_batch=False)),
    'resize_norm': ('sizes', 'ImageRecordIter', 1,
                    dict(data_shape=(3, 10, 10), batch_size=4, resize=12, mean_r=10,
                         mean_g=20, mean_b=30, std_r=2, std_g=4, std_b=8, scale=0.5)),
    'resize_cubic': ('sizes', 'ImageRecordIter', 1,
                     dict(data_shape=(3, 10, 10), batch_size=4, resize=11, inter_method=2)),
    'mirror_odd_crop': ('sizes', 'ImageRecordIter', 1,
                        dict(data_shape=(3, 9, 7), batch_size=4, mirror=True)),
    'upscale': ('small', 'ImageRecordIter', 1, dict(data_shape=(3, 8, 8), batch_size=7)),
    'upscale_wide': ('small', 'ImageRecordIter', 1, dict(data_shape=(3, 5, 17), batch_size=7)),
    'resize_then_upscale': ('small', 'ImageRecordIter', 1,
                            dict(data_shape=(3, 4, 4), batch_size=7, resize=3)),
    'gray': ('small', 'ImageRecordIter', 1,
             dict(data_shape=(1, 6, 8), batch_size=7, mean_r=10, std_r=2)),
    'uint8': ('small', 'ImageRecordUInt8Iter', 1, dict(data_shape=(3, 6, 8), batch_size=7)),
    'int8_mean': ('small', 'ImageRecordIter', 1,
                  dict(data_shape=(3, 6, 8), batch_size=7, dtype='int8', mean_r=100,
                       scale=0.5)),
    'labels3': ('multi', 'ImageRecordIter', 1,
                dict(data_shape=(3, 6, 7), batch_size=2, label_width=3)),
    'shuffle0': ('ten', 'ImageRecordIter_v1', 3,
                 dict(data_shape=(3, 5, 6), batch_size=3, shuffle=True, seed=0)),
    'shuffle5': ('ten', 'ImageRecordIter_v1', 3,
                 dict(data_shape=(3, 5, 6), batch_size=4, shuffle=True, seed=5)),
    'shuffle_no_round_v1': ('ten', 'ImageRecordIter_v1', 2,
                            dict(data_shape=(3, 5, 6), batch_size=4, shuffle=True, seed=2,
                                 round_batch=False)),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    recs = {}
    for name in DATASETS:
        recs[name] = os.path.join(OUT if name == 'parts' else tmp, name + '.rec')
        write_rec(name, recs[name])
    arrays = {}
    for key, (data, cls, count, kwargs) in CASES.items():
        it = getattr(mx.io, cls)(path_imgrec=recs[data], **kwargs)
        for e, batches in enumerate(epochs(it, count)):
            for b, (label, pad, pixels) in enumerate(batches):
                arrays[f'{key}/{e}/{b}/label'] = label
                arrays[f'{key}/{e}/{b}/pad'] = np.array(pad)
                arrays[f'{key}/{e}/{b}/data'] = pixels
    # the mean image MXNet computes and saves when ``mean_img`` names no file yet
    mean_path = os.path.join(tmp, 'mean.nd')
    it = mx.io.ImageRecordIter(path_imgrec=recs['sizes'], data_shape=(3, 10, 10),
                               batch_size=4, mean_img=mean_path, scale=0.5, std_g=2)
    arrays['mean_img/saved'] = mx.nd.load(mean_path)['mean_img'].asnumpy()
    arrays['mean_img/data'] = it.next().data[0].asnumpy()
    # the records of each part, for 2 and 3 parts
    for parts in (2, 3):
        for index in range(parts):
            it = mx.io.ImageRecordIter(path_imgrec=recs['parts'], data_shape=(3, 4, 4),
                                       batch_size=1, num_parts=parts, part_index=index)
            arrays[f'parts{parts}/{index}'] = np.concatenate(
                [b.label[0].asnumpy() for b in it])
    np.savez_compressed(os.path.join(OUT, 'expected.npz'), **arrays)
    print('wrote', len(arrays), 'arrays to', OUT)


if __name__ == '__main__':
    main()
