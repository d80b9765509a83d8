"""mx.io.ImageRecordIter against batches MXNet 1.9.1 served for the same images
(tests/fixtures/image_record_iter, made by tools/make_image_record_iter_fixtures.py).

The .rec files are written here with d2lmini's recordio and PNG encoder; PNG is
lossless, so the pixels are MXNet's whatever the encoder."""
import os
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.image import codec
from fixture_tools import recorded_epochs

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'image_record_iter')
EXPECTED = np.load(os.path.join(FIX, 'expected.npz'))

# the tool's table: name -> (number of images, their (height, width) in turn, labels)
DATASETS = {
    'small': (7, [(6, 8)], 1),
    'sizes': (4, [(20, 30), (31, 17), (15, 15), (13, 29)], 1),
    'multi': (5, [(6, 8), (10, 7), (9, 12)], 3),
    'ten': (10, [(5, 6)], 1),
}


def write_rec(folder, name):
    count, sizes, label_width = DATASETS[name]
    rng = np.random.RandomState(0)
    path = os.path.join(str(folder), name + '.rec')
    writer = mx.recordio.MXRecordIO(path, 'w')
    for i in range(count):
        h, w = sizes[i % len(sizes)]
        rgb = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
        label = float(i) if label_width == 1 else [i + 0.5 * k for k in range(label_width)]
        header = mx.recordio.IRHeader(0, label, i, 0)
        writer.write(mx.recordio.pack(header, codec.encode(rgb, '.png')))
    writer.close()
    return path


def check_case(tmp_path, key, data, cls='ImageRecordIter', atol=0, **kwargs):
    it = getattr(mx.io, cls)(path_imgrec=write_rec(tmp_path, data), **kwargs)
    for want_batches in recorded_epochs(EXPECTED, key):
        got = list(it)
        assert len(got) == len(want_batches)
        for batch, (label, pad, pixels) in zip(got, want_batches):
            assert batch.pad == int(pad)
            np.testing.assert_array_equal(batch.label[0].asnumpy(), label)
            assert batch.data[0].dtype == pixels.dtype
            np.testing.assert_allclose(batch.data[0].asnumpy(), pixels, rtol=0, atol=atol)
        it.reset()
    return it


def test_round_batch_carries_into_next_epoch(tmp_path):
    it = check_case(tmp_path, 'plain', 'small', data_shape=(3, 6, 8), batch_size=3)
    assert it.provide_data == [('data', (3, 3, 6, 8))]
    assert it.provide_label == [('softmax_label', (3,))]


def test_v1_alias_fourth_epoch(tmp_path):
    # the fourth epoch starts the data afresh: [0 1 2] [3 4 5] [6 0 1] pad 2
    check_case(tmp_path, 'plain_v1', 'small', 'ImageRecordIter_v1',
               data_shape=(3, 6, 8), batch_size=3)


def test_batch_of_four(tmp_path):
    check_case(tmp_path, 'bs4', 'small', data_shape=(3, 6, 8), batch_size=4)


def test_no_round_batch_keeps_previous_rows(tmp_path):
    check_case(tmp_path, 'no_round_v1', 'small', data_shape=(3, 6, 8), batch_size=3,
               round_batch=False)


def test_resize_crop_and_normalise(tmp_path):
    check_case(tmp_path, 'resize_norm', 'sizes', data_shape=(3, 10, 10), batch_size=4,
               resize=12, mean_r=10, mean_g=20, mean_b=30, std_r=2, std_g=4, std_b=8,
               scale=0.5)
    check_case(tmp_path, 'resize_cubic', 'sizes', data_shape=(3, 10, 10), batch_size=4,
               resize=11, inter_method=2)


def test_mirror_after_centre_crop(tmp_path):
    check_case(tmp_path, 'mirror_odd_crop', 'sizes', data_shape=(3, 9, 7), batch_size=4,
               mirror=True)


def test_small_images_are_enlarged(tmp_path):
    check_case(tmp_path, 'upscale', 'small', data_shape=(3, 8, 8), batch_size=7)
    check_case(tmp_path, 'upscale_wide', 'small', data_shape=(3, 5, 17), batch_size=7)
    check_case(tmp_path, 'resize_then_upscale', 'small', data_shape=(3, 4, 4),
               batch_size=7, resize=3)


def test_grey_and_integer_outputs(tmp_path):
    # grey PNG pixels come from libpng's RGB-to-grey conversion, as OpenCV's do
    check_case(tmp_path, 'gray', 'small', data_shape=(1, 6, 8), batch_size=7, mean_r=10,
               std_r=2)
    it = check_case(tmp_path, 'uint8', 'small', 'ImageRecordUInt8Iter',
                    data_shape=(3, 6, 8), batch_size=7)
    assert it.provide_data[0].dtype == np.uint8
    check_case(tmp_path, 'int8_mean', 'small', data_shape=(3, 6, 8), batch_size=7,
               dtype='int8', mean_r=100, scale=0.5)


def test_several_labels(tmp_path):
    it = check_case(tmp_path, 'labels3', 'multi', data_shape=(3, 6, 7), batch_size=2,
                    label_width=3)
    assert it.provide_label == [('softmax_label', (2, 3))]
    with pytest.raises(MXNetError, match='3-dimensional label but label_width is set to 2'):
        mx.io.ImageRecordIter(path_imgrec=write_rec(tmp_path, 'multi'),
                              data_shape=(3, 6, 7), batch_size=2, label_width=2)


@pytest.mark.parametrize('key,kwargs', [
    ('shuffle0', dict(batch_size=3, seed=0)),
    ('shuffle5', dict(batch_size=4, seed=5)),
    ('shuffle_no_round_v1', dict(batch_size=4, seed=2, round_batch=False)),
])
def test_shuffle_order_is_mxnets(tmp_path, key, kwargs):
    check_case(tmp_path, key, 'ten', data_shape=(3, 5, 6), shuffle=True, **kwargs)


def test_mean_img_is_computed_and_saved(tmp_path):
    mean_path = str(tmp_path / 'mean.nd')
    rec = write_rec(tmp_path, 'sizes')
    it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 10, 10), batch_size=4,
                               mean_img=mean_path, scale=0.5, std_g=2)
    # MXNet saves the mean of the pixels already multiplied by scale / std (here 0.5,
    # 0.25, 0.5), then subtracts it from the raw pixels; d2lmini saves the raw mean
    factor = np.array([0.5, 0.25, 0.5]).reshape(3, 1, 1)
    raw_mean = EXPECTED['mean_img/saved'] / factor
    np.testing.assert_allclose(mx.nd.load(mean_path)['mean_img'].asnumpy(), raw_mean,
                               rtol=1e-6)
    # MXNet's batch is (pixels - its saved mean) * factor: recover the pixels from it
    pixels = EXPECTED['mean_img/data'] / factor + EXPECTED['mean_img/saved']
    np.testing.assert_allclose(it.next().data[0].asnumpy(), (pixels - raw_mean) * factor,
                               rtol=1e-5, atol=1e-4)
    # an existing file is read, not computed again
    mx.nd.save(mean_path, {'mean_img': mx.nd.ones((3, 10, 10)) * 7})
    again = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 10, 10), batch_size=4,
                                  mean_img=mean_path).next().data[0].asnumpy()
    np.testing.assert_allclose(again, pixels - 7, atol=1e-4)
    mx.nd.save(mean_path, {'mean_img': mx.nd.ones((3, 5, 5))})
    with pytest.raises(MXNetError, match='mean_img'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 10, 10), batch_size=4,
                              mean_img=mean_path)


@pytest.mark.parametrize('parts', [2, 3])
def test_parts_are_cut_by_bytes(parts):
    for index in range(parts):
        it = mx.io.ImageRecordIter(path_imgrec=os.path.join(FIX, 'parts.rec'),
                                   data_shape=(3, 4, 4), batch_size=1, num_parts=parts,
                                   part_index=index)
        labels = np.concatenate([b.label[0].asnumpy() for b in it])
        np.testing.assert_array_equal(labels, EXPECTED[f'parts{parts}/{index}'])


def test_image_list_supplies_labels(tmp_path):
    lst = tmp_path / 'x.lst'
    lst.write_text(''.join(f'{6 - i}\t{100 + i}\t{200 + i}\tx{i}.png\n' for i in range(7)))
    it = mx.io.ImageRecordIter(path_imgrec=write_rec(tmp_path, 'small'), path_imglist=str(lst),
                               data_shape=(3, 6, 8), batch_size=7, label_width=2)
    labels = it.next().label[0].asnumpy()
    # record id k gets the line with index k: 106/206 for record 0, ...
    np.testing.assert_array_equal(labels[:2], [[106, 206], [105, 205]])


def test_reset_mid_epoch_starts_at_the_beginning(tmp_path):
    it = mx.io.ImageRecordIter(path_imgrec=write_rec(tmp_path, 'ten'), data_shape=(3, 5, 6),
                               batch_size=3)
    it.next()
    it.next()
    it.reset()
    assert it.next().label[0].asnumpy().tolist() == [0, 1, 2]
    assert it.iter_next() and it.getpad() == 0
    assert it.getlabel().asnumpy().tolist() == [3, 4, 5]
    assert it.getindex().tolist() == [3, 4, 5]


def test_batch_larger_than_data_wraps(tmp_path):
    it = mx.io.ImageRecordIter(path_imgrec=write_rec(tmp_path, 'small'),
                               data_shape=(3, 6, 8), batch_size=10)
    pads = []
    for _ in range(3):
        pads += [b.pad for b in it]
        it.reset()
    assert pads == [3, 6, 9]       # MXNet serves the first two, then fails


def test_random_augmentation_shapes_and_seed(tmp_path):
    rec = write_rec(tmp_path, 'sizes')
    kwargs = dict(path_imgrec=rec, data_shape=(3, 10, 10), batch_size=4, rand_crop=True,
                  rand_mirror=True, max_rotate_angle=30, max_random_scale=1.2,
                  min_random_scale=0.9, brightness=0.2, pca_noise=0.1, pad=2, seed_aug=3)
    first = mx.io.ImageRecordIter(**kwargs).next().data[0].asnumpy()
    again = mx.io.ImageRecordIter(**kwargs).next().data[0].asnumpy()
    assert first.shape == (4, 3, 10, 10)
    np.testing.assert_array_equal(first, again)
    resized = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 8, 8), batch_size=4,
                                    random_resized_crop=True, min_random_area=0.3,
                                    max_aspect_ratio=0.25).next().data[0]
    assert resized.shape == (4, 3, 8, 8)


def test_hls_shift_round_trip_and_colour_noise(tmp_path):
    from d2lmini.io.image_record_iter import _shift_hls
    rgb = np.random.RandomState(1).randint(0, 256, (5, 7, 3)).astype(np.float64)
    np.testing.assert_allclose(_shift_hls(rgb, 0, 0, 0), rgb, atol=1e-6)
    # a hue turn of 120 degrees (60 OpenCV units) moves red to green
    np.testing.assert_allclose(_shift_hls(np.array([[200., 0, 0]]), 60, 0, 0),
                               [[0, 200, 0]], atol=1e-6)
    kwargs = dict(path_imgrec=write_rec(tmp_path, 'small'), data_shape=(3, 6, 8),
                  batch_size=7, random_h=10, random_s=40, random_l=50,
                  max_random_illumination=3, max_random_contrast=0.2, max_shear_ratio=0.3)
    plain = mx.io.ImageRecordIter(**{k: v for k, v in kwargs.items() if k in
                                     ('path_imgrec', 'data_shape', 'batch_size')})
    noisy = mx.io.ImageRecordIter(seed_aug=1, **kwargs).next().data[0].asnumpy()
    assert noisy.min() >= 0 and noisy.max() <= 255
    assert not np.array_equal(noisy, plain.next().data[0].asnumpy())
    other = mx.io.ImageRecordIter(seed_aug=2, **kwargs).next().data[0].asnumpy()
    assert not np.array_equal(noisy, other)


def test_bad_arguments(tmp_path):
    rec = write_rec(tmp_path, 'small')
    with pytest.raises(MXNetError, match='data_shape'):
        mx.io.ImageRecordIter(path_imgrec=rec, batch_size=2)
    with pytest.raises(MXNetError, match='wrong dimensions'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(6, 8), batch_size=2)
    with pytest.raises(MXNetError, match='No such file'):
        mx.io.ImageRecordIter(path_imgrec=str(tmp_path / 'nope.rec'), data_shape=(3, 6, 8),
                              batch_size=2)
    with pytest.raises(MXNetError, match='dtype'):
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2,
                              dtype='float64')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 6, 8), batch_size=2, foo=1)
    assert any('foo' in str(w.message) for w in caught)
    with pytest.raises(TypeError):
        mx.io.ImageRecordIter(rec, (3, 6, 8), 2)
