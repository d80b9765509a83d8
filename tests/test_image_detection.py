"""mx.image's detection augmenters and ImageDetIter; the expected values were
recorded from MXNet 1.9.1 (or follow from the label format by hand)."""
import json
import os
import random
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.image import codec, detection

OBJECTS = np.array([[1, 0.1, 0.2, 0.5, 0.6], [2, 0.4, 0.1, 0.9, 0.9], [3, 0.0, 0.5, 0.3, 1.0]],
                   dtype=np.float32)


def position_image(height, width):
    """float32 image whose pixel (y, x) holds (y, x, 1): crops and pads show where
    they came from."""
    yy, xx = np.mgrid[0:height, 0:width]
    return mx.nd.array(np.stack([yy, xx, np.ones_like(xx)], -1).astype(np.float32))


def write_images(root, count=3, shape=(20, 30, 3)):
    names = []
    for i in range(count):
        pixels = (np.arange(np.prod(shape)).reshape(shape) * (i + 1) % 256).astype(np.uint8)
        name = f'{i}.png'
        with open(os.path.join(root, name), 'wb') as f:
            f.write(codec.encode(pixels, '.png'))
        names.append(name)
    return names


# ------------------------------------------------------------------ label arithmetic
def test_crop_objects_like_mxnet():
    # MXNet cropped the 30x20 image to x 4..26, y 0..18 (22x18) and gave these boxes
    region = (4 / 30, 0.0, 26 / 30, 18 / 20)
    got = detection.crop_objects(OBJECTS, region, 0.3)
    expected = [[1, 0.0, 0.2222, 0.5, 0.6667], [2, 0.3636, 0.1111, 1.0, 1.0],
                [3, 0.0, 0.5556, 0.2273, 1.0]]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_crop_objects_ejects_small_remains():
    # box 3 keeps 1/6 of its area inside x >= 0.25
    got = detection.crop_objects(OBJECTS, (0.25, 0.0, 1.0, 1.0), 0.3)
    assert got[:, 0].tolist() == [1.0, 2.0]
    # nothing of box 3 inside: dropped even when nothing is ejected
    got = detection.crop_objects(OBJECTS, (0.35, 0.0, 1.0, 1.0), 0.0)
    assert got[:, 0].tolist() == [1.0, 2.0]


def test_box_coverage():
    cover = detection.box_coverage(OBJECTS, (0.0, 0.0, 0.3, 1.0))
    np.testing.assert_allclose(cover, [0.5, 0.0, 1.0], atol=1e-6)
    degenerate = np.array([[0, 0.5, 0.5, 0.5, 0.9]])
    assert detection.box_coverage(degenerate, (0, 0, 1, 1)).tolist() == [0.0]


def test_pad_objects_like_mxnet():
    # MXNet padded the 30x20 image onto a 45x36 canvas at (1, 13)
    got = detection.pad_objects(OBJECTS, (30, 20), (1, 13, 45, 36))
    expected = [[1, 0.0889, 0.4722, 0.3556, 0.6944], [2, 0.2889, 0.4167, 0.6222, 0.8611],
                [3, 0.0222, 0.6389, 0.2222, 0.9167]]
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_parse_objects():
    got = detection.parse_objects([4, 6, 9, 9, 0, 0.1, 0.1, 0.3, 0.3, 7])
    np.testing.assert_allclose(got, [[0, 0.1, 0.1, 0.3, 0.3, 7]], rtol=1e-6)
    # boxes without area are dropped; the class is not looked at
    got = detection.parse_objects([2, 5, 1, .1, .2, .5, .6, 2, .1, .2, .1, .6, -1, .1, .1, .2, .2])
    assert got[:, 0].tolist() == [1.0, -1.0]
    for raw, message in [([2, 5], r'Label shape is invalid: \(2,\)'),
                         ([2, 4, 1, 0.1, 0.2, 0.5], r'Label shape is invalid: \(6,\)'),
                         ([2, 5, 1, .1, .2, .5, .6, 1], r'Label shape \(8,\) inconsistent with '
                                                        'annotation width 5'),
                         ([2, 5, 1, 0.5, 0.2, 0.1, 0.6], 'no valid label'),
                         ([2, 4, 1, .1, .2, .5, 1, .1, .2, .5], 'object width 4 is invalid'),
                         ([1, 5, 1, .1, .2, .5, .6, 9, 9, 9, 9], 'header length 1'),
                         (3.0, r'Label shape is invalid: \(1,\)')]:
        with pytest.raises(RuntimeError, match=message):
            detection.parse_objects(raw)


# ------------------------------------------------------------------ augmenters
def test_horizontal_flip():
    image = position_image(4, 5)
    out, flipped = mx.image.DetHorizontalFlipAug(1)(image, OBJECTS)
    np.testing.assert_allclose(flipped, [[1, 0.5, 0.2, 0.9, 0.6], [2, 0.1, 0.1, 0.6, 0.9],
                                         [3, 0.7, 0.5, 1.0, 1.0]], atol=1e-6)
    assert out.asnumpy()[0, 0, 1] == 4
    out, same = mx.image.DetHorizontalFlipAug(0)(image, OBJECTS)
    assert out is image and same is OBJECTS


def crop_box_of(out):
    """(x0, y0, w, h) of a crop of a position_image."""
    pixels = out.asnumpy()
    return int(pixels[0, 0, 1]), int(pixels[0, 0, 0]), pixels.shape[1], pixels.shape[0]


@pytest.mark.parametrize('covered,eject', [(0.7, 0.4), (0.3, 0.6), (0.0, 0.0)])
def test_random_crop_constraints(covered, eject):
    height, width = 40, 50
    image = position_image(height, width)
    aug = mx.image.DetRandomCropAug(min_object_covered=covered, min_eject_coverage=eject,
                                    area_range=(0.1, 1.0), aspect_ratio_range=(0.5, 2))
    cropped_once = False
    for seed in range(60):
        random.seed(seed)
        out, objects = aug(image, OBJECTS)
        if out.shape == image.shape:
            continue
        cropped_once = True
        x0, y0, w, h = crop_box_of(out)
        assert 0.5 - 1e-9 <= w / h <= 2 + 1e-9 or min(w, h) < 3
        assert w * h >= 0.1 * width * height - 2 * (w + h)
        region = (x0 / width, y0 / height, (x0 + w) / width, (y0 + h) / height)
        cover = detection.box_coverage(OBJECTS, region)
        reached = cover > 0
        assert (cover[reached] >= covered - 1e-6).all()
        kept = reached & (cover >= eject - 1e-6)
        assert objects[:, 0].tolist() == OBJECTS[kept, 0].tolist() and len(objects)
        assert (objects[:, 1:] >= 0).all() and (objects[:, 1:] <= 1).all()
    assert cropped_once


def test_random_crop_gives_up_unchanged():
    image = position_image(20, 30)
    aug = mx.image.DetRandomCropAug(area_range=(1.1, 2.0))  # cannot fit: MXNet returns the input
    out, objects = aug(image, OBJECTS)
    assert out is image and objects is OBJECTS
    # no objects: no crop can keep one
    out, _ = mx.image.DetRandomCropAug()(image, np.zeros((0, 5), np.float32))
    assert out is image


def test_random_pad():
    image = position_image(20, 30)
    aug = mx.image.DetRandomPadAug(area_range=(1.5, 3.0), aspect_ratio_range=(0.5, 2),
                                   pad_val=(7, 8, 9))
    for seed in range(20):
        random.seed(seed)
        out, objects = aug(image, OBJECTS)
        pixels = out.asnumpy()
        canvas_h, canvas_w = pixels.shape[:2]
        assert canvas_h >= 20 and canvas_w >= 30 and canvas_h * canvas_w >= 1.5 * 600 - 60
        ys, xs = np.nonzero(pixels[:, :, 2] == 1)
        x0, y0 = xs.min(), ys.min()
        assert (pixels[y0:y0 + 20, x0:x0 + 30] == image.asnumpy()).all()
        outside = np.ones((canvas_h, canvas_w), bool)
        outside[y0:y0 + 20, x0:x0 + 30] = False
        assert (pixels[outside] == [7, 8, 9]).all()
        np.testing.assert_allclose(objects, detection.pad_objects(OBJECTS, (30, 20),
                                                                  (x0, y0, canvas_w, canvas_h)))


def test_random_pad_scalar_fills_every_channel():
    # (MXNet 1.x fills only the first channel with a single number)
    random.seed(0)
    out, _ = mx.image.DetRandomPadAug(pad_val=5)(mx.nd.zeros((4, 5, 3), dtype='uint8'), OBJECTS)
    assert out.dtype == np.uint8 and out.shape != (4, 5, 3)
    assert out.asnumpy()[0, 0].tolist() == [5, 5, 5] or out.asnumpy()[-1, -1].tolist() == [5] * 3


def test_invalid_parameters_warn_and_skip():
    image = position_image(10, 10)
    for make in [lambda: mx.image.DetRandomCropAug(area_range=(0.5, 0.2)),
                 lambda: mx.image.DetRandomCropAug(aspect_ratio_range=(2, 1)),
                 lambda: mx.image.DetRandomPadAug(area_range=(0.5, 0.9)),
                 lambda: mx.image.DetRandomPadAug(aspect_ratio_range=(0, 1))]:
        with pytest.warns(UserWarning, match='invalid parameters'):
            aug = make()
        assert not aug.enabled
        out, objects = aug(image, OBJECTS)
        assert out is image and objects is OBJECTS


def test_select_and_borrow():
    image = position_image(4, 6)
    skip = mx.image.DetRandomSelectAug([mx.image.DetHorizontalFlipAug(1)], skip_prob=1)
    assert skip(image, OBJECTS)[0] is image
    always = mx.image.DetRandomSelectAug(mx.image.DetHorizontalFlipAug(1))
    assert always(image, OBJECTS)[1][0, 1] == pytest.approx(0.5)
    assert mx.image.DetRandomSelectAug([])(image, OBJECTS)[0] is image
    with pytest.raises(ValueError, match='Allow DetAugmenter in list only'):
        mx.image.DetRandomSelectAug([3])
    with pytest.raises(TypeError, match='Borrowing from invalid Augmenter'):
        mx.image.DetBorrowAug(3)
    with pytest.raises(NotImplementedError, match='Must override'):
        mx.image.DetAugmenter()(image, OBJECTS)
    cast, same = mx.image.DetBorrowAug(mx.image.CastAug())(
        mx.nd.zeros((2, 2, 3), dtype='uint8'), OBJECTS)
    assert cast.dtype == np.float32 and same is OBJECTS


def test_dumps_like_mxnet():
    assert mx.image.DetRandomCropAug().dumps() == (
        '["detrandomcropaug", {"min_object_covered": 0.1, "aspect_ratio_range": [0.75, 1.33], '
        '"area_range": [0.05, 1.0], "min_eject_coverage": 0.3, "max_attempts": 50}]')
    assert mx.image.DetRandomPadAug().dumps() == (
        '["detrandompadaug", {"aspect_ratio_range": [0.75, 1.33], "area_range": [1.0, 3.0], '
        '"max_attempts": 50, "pad_val": [128, 128, 128]}]')
    assert mx.image.DetHorizontalFlipAug(0.3).dumps() == '["dethorizontalflipaug", {"p": 0.3}]'
    assert mx.image.DetAugmenter(a=1, b=np.array([1, 2])).dumps() == \
        '["detaugmenter", {"a": 1, "b": [1, 2]}]'
    assert mx.image.DetRandomSelectAug([]).dumps() == ['detrandomselectaug', []]


def test_create_multi_rand_crop():
    aug = mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.3],
                                                area_range=[(0.1, 1.0), (0.2, 1.0)],
                                                max_attempts=[3, 4], skip_prob=0.25)
    assert aug.skip_prob == 0.25
    assert [json.loads(d)[1] for d in aug.dumps()[1]] == [
        {'min_object_covered': 0.1, 'aspect_ratio_range': [0.75, 1.33],
         'area_range': [0.1, 1.0], 'min_eject_coverage': 0.3, 'max_attempts': 3},
        {'min_object_covered': 0.3, 'aspect_ratio_range': [0.75, 1.33],
         'area_range': [0.2, 1.0], 'min_eject_coverage': 0.3, 'max_attempts': 4}]
    assert len(mx.image.CreateMultiRandCropAugmenter().aug_list) == 1
    with pytest.raises(AssertionError):
        mx.image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.3],
                                              area_range=[(0.1, 1.0)] * 3)


def test_create_det_augmenter_like_mxnet():
    augs = mx.image.CreateDetAugmenter(
        (3, 300, 300), resize=640, rand_crop=0.7, rand_pad=0.2, rand_gray=0.1,
        rand_mirror=True, mean=True, std=np.array([1.1, 1.03, 1.05]), brightness=0.1,
        contrast=0.1, saturation=0.1, pca_noise=0.1, hue=0.1, inter_method=10,
        min_object_covered=0.5, aspect_ratio_range=(0.2, 5), area_range=(0.1, 4.0),
        min_eject_coverage=0.5, max_attempts=50)
    dumps = [a.dumps() for a in augs]
    assert dumps[0] == ['detborrowaug', '["resizeaug", {"size": 640, "interp": 10}]']
    assert dumps[1] == ['detrandomselectaug', [
        '["detrandomcropaug", {"min_object_covered": 0.5, "aspect_ratio_range": [0.2, 5], '
        '"area_range": [0.1, 4.0], "min_eject_coverage": 0.5, "max_attempts": 50}]']]
    assert dumps[2] == '["dethorizontalflipaug", {"p": 0.5}]'
    assert dumps[3] == ['detrandomselectaug', [
        '["detrandompadaug", {"aspect_ratio_range": [0.2, 5], "area_range": [1.0, 4.0], '
        '"max_attempts": 50, "pad_val": [127, 127, 127]}]']]
    assert augs[1].skip_prob == pytest.approx(0.3) and augs[3].skip_prob == pytest.approx(0.8)
    assert [d[1] if isinstance(d, list) and isinstance(d[1], str) else d[1][0]
            for d in dumps[4:]][:2] == ['["forceresizeaug", {"size": [300, 300], "interp": 10}]',
                                        '["castaug", {"type": "float32"}]']
    names = [json.loads(d[1])[0] if isinstance(d[1], str) else d[1][0] for d in dumps[4:]]
    assert names == ['forceresizeaug', 'castaug', 'colorjitteraug', 'huejitteraug',
                     'lightingaug', 'randomgrayaug', 'colornormalizeaug']
    assert dumps[-1] == ['detborrowaug', '["colornormalizeaug", {"mean": [123.68, 116.28, '
                         '103.53], "std": [1.1, 1.03, 1.05]}]']
    default = [a.dumps() for a in mx.image.CreateDetAugmenter((3, 300, 200))]
    assert default == [['detborrowaug', '["forceresizeaug", {"size": [200, 300], "interp": 2}]'],
                       ['detborrowaug', '["castaug", {"type": "float32"}]']]


# ------------------------------------------------------------------ ImageDetIter
LABELS = [[2, 5, 1, 0.1, 0.2, 0.5, 0.6],
          [2, 5, 3, 0.0, 0.0, 1.0, 1.0, 4, 0.2, 0.3, 0.4, 0.9],
          [2, 5, 5, 0.3, 0.3, 0.6, 0.6]]


def test_detiter_imglist(tmp_path):
    names = write_images(str(tmp_path))
    imglist = [label + [name] for label, name in zip(LABELS, names)]
    it = mx.image.ImageDetIter(2, (3, 10, 12), imglist=imglist, path_root=str(tmp_path))
    assert it.label_shape == (2, 5)
    assert it.provide_label == [('label', (2, 2, 5))]
    assert it.provide_data == [('data', (2, 3, 10, 12))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 1]
    first = batches[0].label[0].asnumpy()
    assert first.dtype == np.float32 and first.shape == (2, 2, 5)
    np.testing.assert_allclose(first, [[[1, 0.1, 0.2, 0.5, 0.6], [-1] * 5],
                                       [[3, 0, 0, 1, 1], [4, 0.2, 0.3, 0.4, 0.9]]], rtol=1e-6)
    # the padded batch starts over
    assert batches[1].label[0].asnumpy()[:, 0, 0].tolist() == [5.0, 1.0]
    data = batches[0].data[0]
    assert data.dtype == np.float32 and data.shape == (2, 3, 10, 12)
    it.reset()
    assert len(list(it)) == 2


def test_detiter_lst_rec_and_widths(tmp_path):
    root = str(tmp_path)
    names = write_images(root)
    lst = tmp_path / 'data.lst'
    lst.write_text('0\t4\t6\t9\t9\t0\t0.1\t0.1\t0.3\t0.3\t7\t' + names[0] + '\n'
                   '5\t4\t6\t9\t9\t1\t0.1\t0.1\t0.3\t0.3\t7\t2\t0.5\t0.5\t0.6\t0.6\t8\t'
                   + names[1] + '\n')
    it = mx.image.ImageDetIter(1, (3, 8, 8), path_imglist=str(lst), path_root=root)
    assert it.label_shape == (2, 6)
    labels = [b.label[0].asnumpy()[0] for b in it]
    np.testing.assert_allclose(labels[0], [[0, 0.1, 0.1, 0.3, 0.3, 7], [-1] * 6], rtol=1e-6)
    assert labels[1][:, 0].tolist() == [1.0, 2.0]

    rec_path, idx_path = str(tmp_path / 'd.rec'), str(tmp_path / 'd.idx')
    writer = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'w')
    for i, name in enumerate(names):
        label = [2, 5] + [i, 0.1, 0.1, 0.5, 0.5] * (i + 1)
        with open(os.path.join(root, name), 'rb') as f:
            writer.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), f.read()))
    writer.close()
    it = mx.image.ImageDetIter(2, (3, 10, 10), path_imgrec=rec_path)
    assert it.label_shape == (3, 5)
    classes = [b.label[0].asnumpy()[:, :, 0].tolist() for b in it]
    assert classes == [[[0, -1, -1], [1, 1, -1]], [[2, 2, 2], [0, -1, -1]]]
    it = mx.image.ImageDetIter(2, (3, 10, 10), path_imgrec=rec_path, path_imgidx=idx_path,
                               shuffle=True)
    assert it.label_shape == (3, 5) and [b.pad for b in it] == [0, 1]

    mixed = [[2, 5, 1, .1, .2, .5, .6, names[0]], [2, 6, 1, .1, .2, .5, .6, 0, names[1]]]
    with pytest.raises(RuntimeError, match='different widths'):
        mx.image.ImageDetIter(1, (3, 8, 8), imglist=mixed, path_root=root)


def test_detiter_skips_and_errors(tmp_path):
    root = str(tmp_path)
    names = write_images(root)
    good = [2, 5, 1, 0.1, 0.2, 0.5, 0.6]
    no_class = [2, 5, -1, 0.1, 0.2, 0.5, 0.6]
    it = mx.image.ImageDetIter(1, (3, 8, 8), imglist=[good + [names[0]], no_class + [names[1]],
                                                      good + [names[2]]], path_root=root)
    assert [b.label[0].asnumpy()[0, 0, 0] for b in it] == [1.0, 1.0]
    with pytest.raises(RuntimeError, match='no valid label'):
        mx.image.ImageDetIter(1, (3, 8, 8), imglist=[[2, 5, 1, .5, .2, .1, .6, names[0]]],
                              path_root=root)
    with pytest.raises(TypeError, match='label_width'):
        mx.image.ImageDetIter(1, (3, 8, 8), imglist=[good + [names[0]]], path_root=root,
                              label_width=3)
    with pytest.raises(ValueError, match='3 channels'):
        mx.image.ImageDetIter(1, (1, 8, 8), imglist=[good + [names[0]]], path_root=root)
    with pytest.raises(ValueError, match='length 3'):
        mx.image.ImageDetIter(1, (8, 8), imglist=[good + [names[0]]], path_root=root)


def test_detiter_reshape_and_sync(tmp_path):
    root = str(tmp_path)
    names = write_images(root)
    one = mx.image.ImageDetIter(1, (3, 8, 8), imglist=[LABELS[0] + [names[0]]], path_root=root,
                                label_name='lab')
    two = mx.image.ImageDetIter(1, (3, 8, 8), imglist=[LABELS[1] + [names[1]]], path_root=root)
    assert one.label_shape == (1, 5) and two.label_shape == (2, 5)
    assert one.sync_label_shape(two) is two
    assert one.label_shape == two.label_shape == (2, 5)
    assert one.provide_label == [('lab', (1, 2, 5))]
    with pytest.raises(ValueError, match='reduce label count from 2 to 1'):
        one.reshape(label_shape=(1, 5))
    with pytest.raises(ValueError, match='object width inconsistent: 5 vs 6'):
        one.reshape(label_shape=(4, 6))
    with pytest.raises(ValueError, match='length 2'):
        one.check_label_shape((4, 5, 1))
    one.reshape(label_shape=(4, 5))
    label = one.next().label[0].asnumpy()
    assert label.shape == (1, 4, 5) and label[0, 1:].tolist() == [[-1] * 5] * 3
    with pytest.raises(AssertionError, match='invalid iterator'):
        one.sync_label_shape('not an iterator')
    # the default augmenters follow a new data_shape (MXNet 1.x would fail here)
    one.reshape(data_shape=(3, 6, 10))
    assert one.provide_data == [('data', (1, 3, 6, 10))]
    one.reset()
    assert one.next().data[0].shape == (1, 3, 6, 10)
    # user augmenters are kept, and a shape they do not make is a clear error
    mine = mx.image.ImageDetIter(1, (3, 8, 8), imglist=[LABELS[0] + [names[0]]], path_root=root,
                                 aug_list=mx.image.CreateDetAugmenter((3, 8, 8)))
    mine.reshape(data_shape=(3, 6, 10))
    with pytest.raises(ValueError, match='augmenters made an image of shape'):
        mine.next()


def test_detiter_with_augmenters(tmp_path):
    root = str(tmp_path)
    names = write_images(root)
    imglist = [label + [name] for label, name in zip(LABELS, names)] * 3
    random.seed(1)
    np.random.seed(1)
    it = mx.image.ImageDetIter(2, (3, 16, 16), imglist=imglist, path_root=root, rand_crop=1,
                               rand_pad=1, rand_mirror=True, mean=True, std=True,
                               min_object_covered=0.5, area_range=(0.1, 3.0))
    for batch in it:
        label = batch.label[0].asnumpy()
        assert label.shape == (2, 2, 5)
        real = label[label[:, :, 0] >= 0]
        assert len(real) >= 2 and (real[:, 1:] >= 0).all() and (real[:, 1:] <= 1).all()
        assert (real[:, 3] > real[:, 1]).all() and (real[:, 4] > real[:, 2]).all()


def test_draw_next(tmp_path):
    root = str(tmp_path)
    name = 'gray.png'
    with open(os.path.join(root, name), 'wb') as f:
        f.write(codec.encode(np.full((20, 20, 3), 100, np.uint8), '.png'))
    it = mx.image.ImageDetIter(1, (3, 20, 20), imglist=[[2, 5, 0, 0.25, 0.25, 0.75, 0.75, name]],
                               path_root=root)
    images = list(it.draw_next(color=(255, 0, 0), thickness=1))
    assert len(images) == 1
    drawn = images[0]
    assert drawn.dtype == np.uint8 and drawn.shape == (20, 20, 3)
    assert drawn[5, 5:16].tolist() == [[255, 0, 0]] * 11          # top edge
    assert drawn[10, 10].tolist() == [100, 100, 100]               # inside untouched
    assert drawn[0, 0].tolist() == [100, 100, 100]


def test_exported_names():
    for name in detection.__all__:
        assert getattr(mx.image, name) is getattr(detection, name)
    assert mx.image.det is detection
    assert 'ImageDetIter' in mx.image.__all__ and 'ImageIter' in mx.image.__all__
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        mx.image.CreateDetAugmenter((3, 10, 10), rand_crop=0.5, rand_pad=0.5)


def test_random_select_like_mxnet():
    # MXNet 1.x, same seeds: seed 0 picks the flip, seed 2 the pad, seed 1 skips
    image = mx.nd.zeros((20, 30, 3), dtype='uint8')
    flip, pad = mx.image.DetHorizontalFlipAug(1), mx.image.DetRandomPadAug()
    select = mx.image.DetRandomSelectAug([flip, pad], 0.3)
    random.seed(0)
    out, objects = select(image, OBJECTS)
    assert out.shape == (20, 30, 3)
    np.testing.assert_allclose(objects[0], [1, 0.5, 0.2, 0.9, 0.6], atol=1e-6)
    assert select.aug_list == [flip, pad]
    select = mx.image.DetRandomSelectAug([flip, pad], 0.3)
    random.seed(2)
    out, objects = select(image, OBJECTS)
    assert out.shape == (42, 34, 3) and select.aug_list == [pad, flip]  # shuffled in place
    np.testing.assert_allclose(objects[0], [1, 0.1471, 0.2143, 0.5, 0.4048], atol=1e-4)
    random.seed(1)
    assert select(image, OBJECTS)[0] is image
