"""Record what MXNet 1.9.1's ``mx.io.ImageDetRecordIter`` yields, for
tests/test_image_det_record_iter.py.

    ~/mxref/bin/python tools/make_image_det_record_iter_fixtures.py

Writes tests/fixtures/image_det_record_iter/expected.npz: the batches (data, labels,
pads) and ``provide_label`` shapes for deterministic settings. The images are random
pixels from ``numpy.random.RandomState(0)``, stored as PNG (lossless); the test makes
the same images and detection labels and packs them with d2lmini's own recordio.
"""
import os
import sys
import tempfile

import numpy as np

# mxnet (and the tool that imports it) is imported where it is used: the test imports
# this module for DATASETS, in a Python without mxnet

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   'tests', 'fixtures', 'image_det_record_iter')

# name -> (image (height, width) in turn, raw labels); the test reads this table
DATASETS = {
    'boxes': ([(6, 8), (10, 7), (9, 12), (8, 8), (12, 6)], [
        [2, 5, 0, 0.1, 0.2, 0.5, 0.6],
        [2, 5, 1, 0.0, 0.0, 0.5, 0.5, 2, 0.5, 0.5, 1, 1],
        [2, 5, 3, 0.2, 0.2, 0.4, 0.9, 1, 0.1, 0.1, 0.3, 0.3, 0, 0.6, 0.6, 0.9, 0.8],
        [2, 5, 4, 0.3, 0.3, 0.7, 0.7],
        [2, 5, 5, 0.05, 0.05, 0.95, 0.95]]),
    # a longer header, wider objects, boxes without area, a box past the edges
    'wide': ([(7, 9), (9, 7), (8, 8)], [
        [4, 6, 7, 8, 0, 0.1, 0.2, 0.5, 0.6, 0.33],
        [4, 6, 9, 9, 1, 0.0, 0.0, 0.5, 0.5, 0.7, 2, 0.5, 0.5, 1, 1, 0.8],
        [4, 6, 1, 2, 0, 0.5, 0.2, 0.5, 0.6, 0.1, 1, 0.1, 0.3, 0.4, 0.3, 0.2,
         2, -0.2, 0.1, 1.3, 0.5, 0.3, -1, 0.1, 0.1, 0.2, 0.2, 0.4]]),
    'fixed': ([(6, 8)], [[2, 5, i, 0.1, 0.2, 0.5, 0.6, 1, 0.3, 0.3, 0.9, 0.9]
                         for i in range(3)]),
    'ten': ([(5, 6)], [[2, 5, i, 0.1, 0.1, 0.9, 0.9] for i in range(10)]),
    'parts': ([(30, 40), (4, 4), (4, 4), (20, 20), (4, 4), (4, 4), (25, 25), (4, 4)],
              [[2, 5, i, 0.1, 0.1, 0.9, 0.9] for i in range(8)]),
}


def images(name):
    """``[(RGB uint8 image, raw label)]`` of data set ``name``."""
    sizes, labels = DATASETS[name]
    rng = np.random.RandomState(0)
    return [(rng.randint(0, 256, sizes[i % len(sizes)] + (3,)).astype(np.uint8), label)
            for i, label in enumerate(labels)]


def _mxnet():
    import mxnet
    return mxnet


def write_rec(name, path):
    mx = _mxnet()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_image_record_iter_fixtures import png_bytes
    writer = mx.recordio.MXRecordIO(path, 'w')
    for i, (rgb, label) in enumerate(images(name)):
        writer.write(mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), png_bytes(rgb)))
    writer.close()


# key -> (data set, epochs, keyword arguments)
CASES = {
    'plain': ('boxes', 3, dict(data_shape=(3, 5, 7), batch_size=2)),
    'no_round': ('boxes', 2, dict(data_shape=(3, 5, 7), batch_size=2, round_batch=False)),
    'shrink': ('boxes', 1, dict(data_shape=(3, 5, 7), batch_size=5, resize_mode='shrink')),
    'shrink_big': ('boxes', 1, dict(data_shape=(3, 20, 30), batch_size=5,
                                    resize_mode='shrink')),
    'fit': ('boxes', 1, dict(data_shape=(3, 5, 7), batch_size=5, resize_mode='fit')),
    'fit_cubic': ('boxes', 1, dict(data_shape=(3, 20, 30), batch_size=5, resize_mode='fit',
                                   inter_method=2)),
    'norm': ('boxes', 1, dict(data_shape=(3, 5, 7), batch_size=5, resize_mode='shrink',
                              mean_r=10, mean_g=20, mean_b=30, std_r=2, std_b=4, scale=0.5)),
    'gray': ('boxes', 1, dict(data_shape=(1, 5, 7), batch_size=5, mean_r=3)),
    'resize': ('boxes', 1, dict(data_shape=(3, 5, 7), batch_size=5, resize=4)),
    'resize_shrink': ('boxes', 1, dict(data_shape=(3, 20, 30), batch_size=5, resize=9,
                                       resize_mode='shrink')),
    'label_pad': ('boxes', 1, dict(data_shape=(3, 4, 4), batch_size=5, label_pad_width=20,
                                   label_pad_value=-2)),
    'mirror': ('boxes', 1, dict(data_shape=(3, 5, 7), batch_size=5, rand_mirror_prob=1)),
    'wide': ('wide', 1, dict(data_shape=(3, 4, 4), batch_size=3)),
    'fixed': ('fixed', 1, dict(data_shape=(3, 4, 4), batch_size=2, label_width=12)),
    'fixed_pad': ('fixed', 1, dict(data_shape=(3, 4, 4), batch_size=2, label_width=12,
                                   label_pad_width=14)),
    'shuffle0': ('ten', 3, dict(data_shape=(3, 5, 6), batch_size=3, shuffle=True, seed=0)),
    'shuffle5': ('ten', 3, dict(data_shape=(3, 5, 6), batch_size=4, shuffle=True, seed=5)),
}


def main():
    mx = _mxnet()
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    recs = {}
    for name in DATASETS:
        recs[name] = os.path.join(tmp, name + '.rec')
        write_rec(name, recs[name])
    arrays = {}
    for key, (data, count, kwargs) in CASES.items():
        it = mx.io.ImageDetRecordIter(path_imgrec=recs[data], **kwargs)
        arrays[f'{key}/label_shape'] = np.array(it.provide_label[0].shape)
        for e in range(count):
            for b, batch in enumerate(it):
                arrays[f'{key}/{e}/{b}/label'] = batch.label[0].asnumpy()
                arrays[f'{key}/{e}/{b}/pad'] = np.array(batch.pad)
                arrays[f'{key}/{e}/{b}/data'] = batch.data[0].asnumpy()
            it.reset()
    # the records of each part (their class ids), for 2 and 3 parts
    for parts in (2, 3):
        for index in range(parts):
            it = mx.io.ImageDetRecordIter(path_imgrec=recs['parts'], data_shape=(3, 4, 4),
                                          batch_size=1, num_parts=parts, part_index=index)
            arrays[f'parts{parts}/{index}'] = np.array(
                [b.label[0].asnumpy()[0, 6] for b in it])
    np.savez_compressed(os.path.join(OUT, 'expected.npz'), **arrays)
    print('wrote', len(arrays), 'arrays to', OUT)


if __name__ == '__main__':
    main()
