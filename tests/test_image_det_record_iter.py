"""mx.io.ImageDetRecordIter against batches MXNet 1.9.1 served for the same images
and detection labels (tests/fixtures/image_det_record_iter, made by
tools/make_image_det_record_iter_fixtures.py), plus its random augmentations and
its errors.

The .rec files are written here with d2lmini's recordio and PNG encoder (lossless,
so the pixels are MXNet's whatever the encoder)."""
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.image import codec
from fixture_tools import load_tool, recorded_epochs

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'image_det_record_iter')
EXPECTED = np.load(os.path.join(FIX, 'expected.npz'))

# the tool's table: name -> (image (height, width) in turn, raw labels)
DATASETS = load_tool('make_image_det_record_iter_fixtures').DATASETS


def write_rec(folder, name, labels=None):
    sizes, default_labels = DATASETS[name]
    rng = np.random.RandomState(0)
    path = os.path.join(str(folder), name + '.rec')
    writer = mx.recordio.MXRecordIO(path, 'w')
    for i, label in enumerate(labels or default_labels):
        rgb = rng.randint(0, 256, sizes[i % len(sizes)] + (3,)).astype(np.uint8)
        header = mx.recordio.IRHeader(0, label, i, 0)
        writer.write(mx.recordio.pack(header, codec.encode(rgb, '.png')))
    writer.close()
    return path


def check_case(tmp_path, key, data, **kwargs):
    it = mx.io.ImageDetRecordIter(path_imgrec=write_rec(tmp_path, data), **kwargs)
    assert it.provide_label[0].shape == tuple(EXPECTED[f'{key}/label_shape'])
    for want_batches in recorded_epochs(EXPECTED, key):
        got = list(it)
        assert len(got) == len(want_batches)
        for batch, (label, pad, pixels) in zip(got, want_batches):
            assert batch.pad == int(pad)
            np.testing.assert_allclose(batch.label[0].asnumpy(), label, rtol=0, atol=1e-6)
            np.testing.assert_allclose(batch.data[0].asnumpy(), pixels, rtol=0, atol=1e-4)
        it.reset()
    return it


# ---------------------------------------------------------------- against MXNet
def test_label_rows_and_round_batch(tmp_path):
    it = check_case(tmp_path, 'plain', 'boxes', data_shape=(3, 5, 7), batch_size=2)
    # [channels, height, width, label length] + the raw label, padded with -1
    assert it.provide_label == [('softmax_label', (2, 4 + 17))]
    assert it.provide_data == [('data', (2, 3, 5, 7))]


def test_label_row_layout_by_hand(tmp_path):
    it = mx.io.ImageDetRecordIter(path_imgrec=write_rec(tmp_path, 'boxes'),
                                  data_shape=(3, 5, 7), batch_size=2)
    row = it.next().label[0].asnumpy()[1]
    np.testing.assert_allclose(row[:16], [3, 5, 7, 12, 2, 5, 1, 0, 0, 0.5, 0.5,
                                          2, 0.5, 0.5, 1, 1], atol=1e-6)
    assert (row[16:] == -1).all()


def test_without_round_batch_labels_and_pixels(tmp_path):
    check_case(tmp_path, 'no_round', 'boxes', data_shape=(3, 5, 7),
               batch_size=2, round_batch=False)


@pytest.mark.parametrize('key, shape, extra', [
    ('shrink', (3, 5, 7), dict(resize_mode='shrink')),
    ('shrink_big', (3, 20, 30), dict(resize_mode='shrink')),
    ('fit', (3, 5, 7), dict(resize_mode='fit')),
    ('fit_cubic', (3, 20, 30), dict(resize_mode='fit', inter_method=2)),
    ('resize', (3, 5, 7), dict(resize=4)),
    ('resize_shrink', (3, 20, 30), dict(resize=9, resize_mode='shrink')),
])
def test_resize_modes(tmp_path, key, shape, extra):
    check_case(tmp_path, key, 'boxes', data_shape=shape, batch_size=5, **extra)


def test_normalisation_covers_the_zero_border(tmp_path):
    check_case(tmp_path, 'norm', 'boxes', data_shape=(3, 5, 7), batch_size=5,
               resize_mode='shrink', mean_r=10, mean_g=20, mean_b=30, std_r=2, std_b=4,
               scale=0.5)


def test_gray(tmp_path):
    check_case(tmp_path, 'gray', 'boxes', data_shape=(1, 5, 7), batch_size=5, mean_r=3)


def test_label_pad_width_and_value(tmp_path):
    it = check_case(tmp_path, 'label_pad', 'boxes', data_shape=(3, 4, 4), batch_size=5,
                    label_pad_width=20, label_pad_value=-2)
    assert it.provide_label[0].shape == (5, 24)


def test_mirror_with_probability_one(tmp_path):
    check_case(tmp_path, 'mirror', 'boxes', data_shape=(3, 5, 7), batch_size=5,
               rand_mirror_prob=1)


def test_wide_objects_and_boxes_without_area(tmp_path):
    it = check_case(tmp_path, 'wide', 'wide', data_shape=(3, 4, 4), batch_size=3)
    row = it.next().label[0].asnumpy()[2]
    # the boxes without area are dropped; the one past the edges is kept as it is
    assert row[3] == 4 + 2 * 6


@pytest.mark.parametrize('key, extra', [('fixed', {}), ('fixed_pad', dict(label_pad_width=14))])
def test_fixed_label_width(tmp_path, key, extra):
    check_case(tmp_path, key, 'fixed', data_shape=(3, 4, 4), batch_size=2, label_width=12,
               **extra)


@pytest.mark.parametrize('key, batch_size, seed', [('shuffle0', 3, 0), ('shuffle5', 4, 5)])
def test_shuffle_order(tmp_path, key, batch_size, seed):
    check_case(tmp_path, key, 'ten', data_shape=(3, 5, 6), batch_size=batch_size,
               shuffle=True, seed=seed)


@pytest.mark.parametrize('parts', [2, 3])
def test_parts(tmp_path, parts):
    path = write_rec(tmp_path, 'parts')
    for index in range(parts):
        it = mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=1,
                                      num_parts=parts, part_index=index)
        got = [b.label[0].asnumpy()[0, 6] for b in it]
        np.testing.assert_array_equal(got, EXPECTED[f'parts{parts}/{index}'])


# ---------------------------------------------------------------- random augmentation
AUGMENT = dict(rand_crop_prob=0.8, min_crop_scales=(0.3,), max_crop_scales=(1.0,),
               min_crop_aspect_ratios=(0.5,), max_crop_aspect_ratios=(2.0,),
               rand_pad_prob=0.5, max_pad_scale=3, rand_mirror_prob=0.5, fill_value=50,
               max_random_hue=10, random_hue_prob=0.5, max_random_contrast=0.3,
               random_contrast_prob=0.5, max_random_illumination=20,
               random_illumination_prob=0.5, max_random_saturation=20,
               random_saturation_prob=0.5)


def all_batches(it, epochs=3):
    out = []
    for _ in range(epochs):
        out += [(b.data[0].asnumpy(), b.label[0].asnumpy()) for b in it]
        it.reset()
    return out


def test_random_augmentation_repeats_for_a_seed(tmp_path):
    path = write_rec(tmp_path, 'boxes')
    make = lambda seed: mx.io.ImageDetRecordIter(  # noqa: E731
        path_imgrec=path, data_shape=(3, 16, 16), batch_size=2, seed=seed, **AUGMENT)
    first, again, other = all_batches(make(1)), all_batches(make(1)), all_batches(make(2))
    for (d1, l1), (d2, l2) in zip(first, again):
        np.testing.assert_array_equal(d1, d2)
        np.testing.assert_array_equal(l1, l2)
    assert any(not np.array_equal(d1, d2) for (d1, _), (d2, _) in zip(first, other))


def test_random_augmentation_keeps_valid_boxes(tmp_path):
    path = write_rec(tmp_path, 'boxes')
    it = mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 16, 16), batch_size=5,
                                  seed=3, **dict(AUGMENT, crop_emit_mode='overlap'))
    changed = False
    for _, labels in all_batches(it, epochs=4):
        for row in labels:
            n = int(row[3])
            objects = row[4 + 2:4 + n].reshape(-1, 5)
            assert len(objects) >= 1
            assert (row[4 + n:] == -1).all()
            boxes = objects[:, 1:]
            assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
            changed |= not np.isin(objects[:, 1], [0.1, 0.0, 0.5, 0.2, 0.6, 0.3, 0.05]).all()
    assert changed


def test_pad_places_image_on_fill_value(tmp_path):
    path = write_rec(tmp_path, 'boxes', labels=[[2, 5, 0, 0.0, 0.0, 1.0, 1.0]] * 5)
    # 'shrink' leaves the padded images (at most 36 pixels a side) as they are
    it = mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 40, 40), batch_size=5,
                                  rand_pad_prob=1, max_pad_scale=3, fill_value=50,
                                  resize_mode='shrink', seed=4)
    batch = it.next()
    rng = np.random.RandomState(0)
    moved = 0
    for size, pixels, row in zip(DATASETS['boxes'][0], batch.data[0].asnumpy(),
                                 batch.label[0].asnumpy()):
        original = rng.randint(0, 256, size + (3,)).transpose(2, 0, 1)
        canvas_h, canvas_w = int(row[1]), int(row[2])
        canvas = pixels[:, :canvas_h, :canvas_w].copy()
        # the whole image was one box: it now marks where the image lies
        x0, y0 = int(round(row[7] * canvas_w)), int(round(row[8] * canvas_h))
        assert round(row[9] * canvas_w) - x0 == size[1]
        assert round(row[10] * canvas_h) - y0 == size[0]
        np.testing.assert_array_equal(canvas[:, y0:y0 + size[0], x0:x0 + size[1]], original)
        canvas[:, y0:y0 + size[0], x0:x0 + size[1]] = 50
        assert (canvas == 50).all()
        moved += (canvas_h, canvas_w) != size
    assert moved


def test_crop_keeps_objects_by_centre(tmp_path):
    path = write_rec(tmp_path, 'boxes', labels=[[2, 5, 0, 0.0, 0.0, 0.2, 0.2,
                                                 1, 0.4, 0.4, 0.6, 0.6]] * 5)
    it = mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 8, 8), batch_size=5,
                                  rand_crop_prob=1, min_crop_scales=(0.2,),
                                  max_crop_scales=(0.5,), seed=0)
    for _, labels in all_batches(it, epochs=4):
        for row in labels:
            objects = row[6:4 + int(row[3])].reshape(-1, 5)
            assert ((objects[:, 1:] >= 0) & (objects[:, 1:] <= 1)).all()


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize('labels, message', [
    ([[2, 5, 0, 0.1, 0.2, 0.5]], 'at least 7'),
    ([[2, 5, 0, 0.1, 0.2, 0.5, 0.6, 9]], 'whole objects'),
    ([[2, 4, 0, 0.1, 0.2, 0.5, 0.6]], 'object_width'),
    ([[1, 5, 0, 0.1, 0.2, 0.5, 0.6]], 'header_width'),
])
def test_bad_labels(tmp_path, labels, message):
    path = write_rec(tmp_path, 'boxes', labels=labels)
    with pytest.raises(MXNetError, match=message):
        mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=1)


@pytest.mark.parametrize('extra, message', [
    (dict(label_width=7), 'label_width is set to 7'),
    (dict(label_pad_width=10), 'label_pad_width: 10 smaller than estimated width: 17'),
    (dict(resize_mode='stretch'), 'resize_mode'),
    (dict(crop_emit_mode='edge'), 'crop_emit_mode'),
    (dict(min_crop_scales=(0.5,), max_crop_scales=(0.5,)), 'min_crop_scales'),
    (dict(min_crop_aspect_ratios=(2.0,)), 'min_crop_aspect_ratios'),
    (dict(max_crop_trials=(3, 4)), 'max_crop_trials holds 2 values'),
    (dict(rand_crop_prob=1.5), 'probability'),
    (dict(max_pad_scale=0.5), 'max_pad_scale'),
    (dict(aug_seq='aug_default'), 'aug_seq'),
    (dict(mean_img='no/such/file.nd'), 'mean_img'),
])
def test_bad_arguments(tmp_path, extra, message):
    path = write_rec(tmp_path, 'boxes')
    with pytest.raises(MXNetError, match=message):
        mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=1,
                                 **extra)


def test_missing_required_arguments(tmp_path):
    with pytest.raises(MXNetError, match='data_shape'):
        mx.io.ImageDetRecordIter(path_imgrec=write_rec(tmp_path, 'boxes'), batch_size=1)
    with pytest.raises(MXNetError, match='No such file'):
        mx.io.ImageDetRecordIter(path_imgrec=str(tmp_path / 'none.rec'),
                                 data_shape=(3, 4, 4), batch_size=1)


def test_labels_from_image_list(tmp_path):
    path = write_rec(tmp_path, 'boxes')
    lst = tmp_path / 'boxes.lst'
    lst.write_text(''.join(f'{i}\t2\t5\t{i + 10}\t0.1\t0.1\t0.9\t0.9\timg{i}.png\n'
                           for i in range(5)))
    it = mx.io.ImageDetRecordIter(path_imgrec=path, path_imglist=str(lst),
                                  data_shape=(3, 4, 4), batch_size=5)
    assert it.provide_label[0].shape == (5, 11)
    np.testing.assert_array_equal(it.next().label[0].asnumpy()[:, 6], [10, 11, 12, 13, 14])
