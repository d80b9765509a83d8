"""gluon.data.vision.transforms' crops, flips and colour transforms against MXNet
1.9.1's outputs (hard-coded below).

MXNet's colour transforms are C++ operators that draw a factor and then adjust the
image with it; the adjustments for a fixed factor (``_adjust_*`` here, MXNet's
``mx.nd.image.random_*`` with ``min_factor == max_factor`` and
``mx.nd.image.adjust_lighting``) agree with MXNet to the bit, uint8 truncation
included. Resizing (CropResize, CenterCrop, RandomResizedCrop) is OpenCV's, to
within one grey level for bilinear (see tests/test_image.py).
"""
import random

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.gluon.data.vision import transforms as T

IMG = np.array([[[0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 0, 1]],
                [[200, 100, 50], [10, 200, 200], [172, 47, 117], [1, 0, 0]],
                [[250, 128, 5], [36, 87, 70], [216, 88, 140], [211, 21, 242]]], np.uint8)
# floats outside 0..255 too: MXNet clips only uint8
FIMG = np.array([[[-20.5, 100.25, 300.0], [12.75, 0.0, 255.0], [90.5, 91.0, 89.5]],
                 [[1.0, 2.0, 3.0], [250.0, 10.0, 128.0], [64.0, 32.0, 16.0]]], np.float32)
GREY = np.array([[[3], [250]], [[128], [77]]], np.uint8)

# MXNet 1.9.1's outputs, from mx.nd.image.random_* with min_factor = max_factor (a
# fixed factor) and mx.nd.image.adjust_lighting
EXPECTED = {'brightness u8 0.5': [[[0, 0, 0], [127, 127, 127], [64, 64, 64], [127, 0, 0]],
                       [[100, 50, 25], [5, 100, 100], [86, 23, 58], [0, 0, 0]],
                       [[125, 64, 2], [18, 43, 35], [108, 44, 70], [105, 10, 121]]],
 'brightness u8 1.37': [[[0, 0, 0], [255, 255, 255], [175, 175, 175], [255, 0, 1]],
                        [[255, 137, 68], [13, 255, 255], [235, 64, 160], [1, 0, 0]],
                        [[255, 175, 6], [49, 119, 95], [255, 120, 191], [255, 28, 255]]],
 'brightness f32 1.37': [[[-28.08500099182129, 137.34249877929688, 411.0],
                          [17.467500686645508, 0.0, 349.3500061035156],
                          [123.98500061035156, 124.66999816894531, 122.61499786376953]],
                         [[1.3700000047683716, 2.740000009536743, 4.110000133514404],
                          [342.5, 13.699999809265137, 175.36000061035156],
                          [87.68000030517578, 43.84000015258789, 21.920000076293945]]],
 'contrast u8 0.3': [[[74, 74, 74], [150, 150, 150], [112, 112, 112], [150, 74, 74]],
                     [[134, 104, 89], [77, 134, 134], [125, 88, 109], [74, 74, 74]],
                     [[149, 112, 75], [85, 100, 95], [139, 100, 116], [137, 80, 146]]],
 'contrast u8 1.6': [[[0, 0, 0], [255, 255, 255], [141, 141, 141], [255, 0, 0]],
                     [[255, 96, 16], [0, 255, 255], [211, 11, 123], [0, 0, 0]],
                     [[255, 141, 0], [0, 75, 48], [255, 77, 160], [255, 0, 255]]],
 'contrast f32 0.3': [[[34.36249923706055, 70.5875015258789, 130.5124969482422],
                       [44.337501525878906, 40.51250076293945, 117.01249694824219],
                       [67.66250610351562, 67.8125, 67.36250305175781]],
                      [[40.8125, 41.11249923706055, 41.41250228881836],
                       [115.51249694824219, 43.51250076293945, 78.91250610351562],
                       [59.712501525878906, 50.11250305175781, 45.3125]]],
 'contrast grey 0.6': [[[47], [195]], [[122], [92]]],
 'saturation u8 0.3': [[[0, 0, 0], [96, 96, 96], [48, 48, 48], [76, 0, 0]],
                       [[63, 33, 18], [18, 75, 75], [60, 23, 44], [0, 0, 0]],
                       [[75, 38, 1], [16, 31, 26], [75, 37, 53], [82, 25, 91]]],
 'saturation u8 1.6': [[[0, 0, 0], [255, 255, 255], [196, 196, 196], [255, 0, 1]],
                       [[255, 156, 76], [2, 255, 255], [255, 67, 179], [1, 0, 0]],
                       [[255, 204, 7], [52, 134, 107], [255, 131, 214], [255, 17, 255]]],
 'saturation f32 1.6': [[[-53.31999969482422, 139.8800048828125, 459.4800109863281],
                         [2.957998275756836, -17.442001342773438, 390.5579833984375],
                         [138.67820739746094, 139.47821044921875, 137.0782012939453]],
                        [[1.3947999477386475, 2.994800090789795, 4.594799995422363],
                         [391.24481201171875, 7.244799613952637, 196.0447998046875],
                         [101.30560302734375, 50.1056022644043, 24.505599975585938]]],
 'hue u8 0.0': [[[0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 0, 0]],
                [[200, 99, 49], [9, 199, 200], [172, 46, 116], [1, 0, 0]],
                [[250, 128, 4], [36, 87, 70], [215, 88, 139], [211, 20, 242]]],
 'hue u8 0.1': [[[0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 152, 0]],
                [[200, 190, 49], [9, 85, 200], [172, 52, 46], [1, 0, 0]],
                [[225, 250, 4], [36, 73, 87], [215, 112, 88], [242, 20, 140]]],
 'hue u8 0.5': [[[0, 0, 0], [255, 255, 255], [128, 128, 128], [0, 255, 254]],
                [[49, 149, 200], [200, 10, 9], [46, 172, 102], [0, 0, 1]],
                [[4, 126, 250], [87, 36, 52], [88, 215, 163], [51, 242, 20]]],
 'hue u8 0.93': [[[0, 0, 0], [255, 255, 255], [128, 128, 128], [255, 0, 108]],
                 [[200, 49, 62], [9, 200, 120], [172, 46, 169], [1, 0, 0]],
                 [[250, 25, 4], [36, 87, 48], [215, 88, 193], [118, 20, 242]]],
 'hue u8 1.25': [[[0, 0, 0], [255, 255, 255], [128, 128, 128], [128, 255, 0]],
                 [[74, 200, 49], [105, 9, 200], [172, 164, 46], [0, 1, 0]],
                 [[4, 250, 5], [44, 36, 87], [203, 215, 88], [242, 100, 20]]],
 'hue f32 0.75': [[[-20.499990463256836, 300.0, 19.00010871887207],
                   [0.0, 255.0, 140.2500457763672],
                   [91.0, 89.50000762939453, 89.75000762939453]],
                  [[0.9999999403953552, 3.000000238418579, 0.9999999403953552],
                   [12.000197410583496, 9.999999046325684, 250.00001525878906],
                   [56.0000114440918, 15.999999046325684, 64.0]]],
 'lighting u8 (0.1, -0.2, 0.05)': [[[0, 0, 0], [251, 251, 252], [124, 124, 125],
                                    [251, 0, 0]],
                                   [[196, 96, 47], [6, 196, 197], [168, 43, 114],
                                    [0, 0, 0]],
                                   [[246, 124, 2], [32, 83, 67], [212, 84, 137],
                                    [207, 17, 239]]],
 'lighting u8 (1.0, 0.5, -2.0)': [[[0, 0, 0], [224, 224, 220], [97, 97, 93], [224, 0, 0]],
                                  [[169, 69, 15], [0, 169, 165], [141, 16, 82], [0, 0, 0]],
                                  [[219, 97, 0], [5, 56, 35], [185, 57, 105],
                                   [180, 0, 207]]],
 'lighting f32 (1.0, 0.5, -2.0)': [[[-51.17009353637695, 69.89698791503906,
                                     265.00311279296875],
                                    [-17.920093536376953, -30.353010177612305,
                                     220.0030975341797],
                                    [59.82990646362305, 60.64698791503906,
                                     54.50310134887695]],
                                   [[-29.670093536376953, -28.353010177612305,
                                     -31.996898651123047],
                                    [219.3299102783203, -20.353010177612305,
                                     93.00309753417969],
                                    [33.32990646362305, 1.6469898223876953,
                                     -18.996898651123047]]],
 'cropresize bilinear': [[[255, 255, 255], [204, 204, 204], [128, 128, 128], [204, 51, 52],
                          [255, 0, 1]],
                         [[194, 241, 241], [172, 188, 195], [139, 108, 125], [170, 43, 50],
                          [192, 0, 1]],
                         [[71, 214, 214], [107, 155, 176], [161, 67, 120], [103, 27, 48],
                          [65, 0, 0]],
                         [[10, 200, 200], [75, 139, 167], [172, 47, 117], [69, 19, 47],
                          [1, 0, 0]]],
 'cropresize nearest': [[[200, 100, 50], [10, 200, 200], [172, 47, 117]],
                        [[200, 100, 50], [10, 200, 200], [172, 47, 117]],
                        [[250, 128, 5], [36, 87, 70], [216, 88, 140]]],
 'centercrop (6, 2)': [[[200, 100, 50], [105, 150, 125], [37, 174, 186], [145, 72, 131],
                        [86, 23, 58], [1, 0, 0]],
                       [[200, 100, 50], [105, 150, 125], [37, 174, 186], [145, 72, 131],
                        [86, 23, 58], [1, 0, 0]]]}


def nd(a):
    return mx.nd.array(a, dtype=a.dtype)


def expected(key, like):
    return np.array(EXPECTED[key], dtype=like.dtype)


# ------------------------------------------------------------------ fixed factors
@pytest.mark.parametrize('key, fn, img, factor', [
    ('brightness u8 0.5', T._adjust_brightness, IMG, 0.5),
    ('brightness u8 1.37', T._adjust_brightness, IMG, 1.37),
    ('brightness f32 1.37', T._adjust_brightness, FIMG, 1.37),
    ('contrast u8 0.3', T._adjust_contrast, IMG, 0.3),
    ('contrast u8 1.6', T._adjust_contrast, IMG, 1.6),
    ('contrast f32 0.3', T._adjust_contrast, FIMG, 0.3),
    ('contrast grey 0.6', T._adjust_contrast, GREY, 0.6),
    ('saturation u8 0.3', T._adjust_saturation, IMG, 0.3),
    ('saturation u8 1.6', T._adjust_saturation, IMG, 1.6),
    ('saturation f32 1.6', T._adjust_saturation, FIMG, 1.6),
    ('hue u8 0.0', T._adjust_hue, IMG, 0.0),
    ('hue u8 0.1', T._adjust_hue, IMG, 0.1),
    ('hue u8 0.5', T._adjust_hue, IMG, 0.5),
    ('hue u8 0.93', T._adjust_hue, IMG, 0.93),
    ('hue u8 1.25', T._adjust_hue, IMG, 1.25),
    ('hue f32 0.75', T._adjust_hue, FIMG, 0.75),
    ('lighting u8 (0.1, -0.2, 0.05)', T._adjust_lighting, IMG, (0.1, -0.2, 0.05)),
    ('lighting u8 (1.0, 0.5, -2.0)', T._adjust_lighting, IMG, (1.0, 0.5, -2.0)),
    ('lighting f32 (1.0, 0.5, -2.0)', T._adjust_lighting, FIMG, (1.0, 0.5, -2.0)),
])
def test_adjust_like_mxnet(key, fn, img, factor):
    out = fn(img, factor)
    assert out.dtype == img.dtype and out.shape == img.shape
    np.testing.assert_array_equal(out, expected(key, img))


def test_uint8_is_truncated_not_rounded():
    # 101 * 0.5 = 50.5 and 255 * 1.37 = 349.35: MXNet gives 50 and 255
    out = T._adjust_brightness(np.array([[[101, 255, 3]]], np.uint8), 0.5)
    assert out.ravel().tolist() == [50, 127, 1]
    assert T._adjust_brightness(np.array([[[255]]], np.uint8), 1.37).item() == 255


def test_saturation_uses_blue_only_as_mxnet():
    # a grey pixel keeps its value under a true saturation change; MXNet's grey
    # level is 0.114 * B, so saturation 0 gives 11.4 for a pixel of 100s
    out = T._adjust_saturation(np.full((1, 1, 3), 100., np.float32), 0.)
    np.testing.assert_array_equal(out, np.float32(100) * np.float32(0.114))


def test_contrast_sums_in_float32_one_by_one():
    # numpy's pairwise float32 sum would move the mean by 2e-5 here: a few float32
    # steps of each output
    big = (np.arange(64 * 48 * 3) * 37 % 251).astype(np.float32).reshape(64, 48, 3)
    big *= np.float32(1.01)
    out = T._adjust_contrast(big, 0.3)
    got = [float(out[0, 0, 0]), float(out[10, 20, 1]), float(out[-1, -1, 2])]
    assert got == [88.36006927490234, 108.35807037353516, 117.75106811523438]


def test_one_channel_images():
    grey = GREY.copy()
    for fn, factor in [(T._adjust_saturation, 0.3), (T._adjust_hue, 0.4),
                       (T._adjust_lighting, (1., 2., 3.))]:
        # MXNet leaves them alone (hue and lighting leave the output unwritten)
        np.testing.assert_array_equal(fn(grey, factor), GREY)
    np.testing.assert_array_equal(T._adjust_brightness(grey, 0.5), GREY // 2)


# ------------------------------------------------------------------ random factors
@pytest.mark.parametrize('cls, fn', [(T.RandomBrightness, T._adjust_brightness),
                                     (T.RandomContrast, T._adjust_contrast),
                                     (T.RandomSaturation, T._adjust_saturation),
                                     (T.RandomHue, T._adjust_hue)])
@pytest.mark.parametrize('amount', [0.3, 1.5])
def test_random_factor_range_and_seed(cls, fn, amount):
    x = nd(IMG)
    low, high = max(0, 1 - amount), 1 + amount
    for seed in range(5):
        np.random.seed(seed)
        factor = np.float32(np.random.uniform(low, high))
        mx.random.seed(seed)
        out = cls(amount)(x)
        assert isinstance(out, mx.nd.NDArray) and out.dtype == np.uint8
        np.testing.assert_array_equal(out.asnumpy(), fn(IMG, factor))
    mx.random.seed(11)
    a = cls(amount)(x).asnumpy()
    mx.random.seed(11)
    assert (cls(amount)(x).asnumpy() == a).all()


def test_random_brightness_factor_in_range():
    x = mx.nd.full((2, 2, 3), 100.)
    mx.random.seed(0)
    values = [float(T.RandomBrightness(0.4)(x).asnumpy()[0, 0, 0]) for _ in range(200)]
    assert 60 <= min(values) < 70 and 130 < max(values) <= 140
    # above 1 the lower end is 0, never negative
    values = [float(T.RandomBrightness(3)(x).asnumpy()[0, 0, 0]) for _ in range(200)]
    assert 0 <= min(values) < 50 and max(values) <= 400


def test_random_lighting():
    x = nd(FIMG)
    np.testing.assert_array_equal(T.RandomLighting(0.)(x).asnumpy(), FIMG)
    mx.random.seed(3)
    out = T.RandomLighting(0.1)(x).asnumpy()
    shift = out - FIMG
    assert np.allclose(shift, shift[0, 0], atol=1e-4) and np.abs(shift).max() > 0
    np.random.seed(3)
    alpha = np.random.normal(0, 0.1, size=3).astype(np.float32)
    np.testing.assert_array_equal(out, T._adjust_lighting(FIMG, alpha))
    mx.random.seed(3)
    assert (T.RandomLighting(0.1)(x).asnumpy() == out).all()


def test_color_jitter():
    x = nd(IMG)
    out = T.RandomColorJitter()(x)
    assert out.dtype == np.uint8 and (out.asnumpy() == IMG).all()
    # brightness alone: the factor is 1 + U(-b, b), not kept above 0
    f = mx.nd.full((1, 1, 3), 100.)
    mx.random.seed(0)
    values = [float(T.RandomColorJitter(brightness=2.)(f).asnumpy()[0, 0, 0])
              for _ in range(100)]
    assert min(values) < 0 and max(values) > 200 and -100 <= min(values)
    # all four: one of the 24 orders, each step truncated to uint8
    t = T.RandomColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    mx.random.seed(5)
    a = t(x).asnumpy()
    mx.random.seed(5)
    b = t(x).asnumpy()
    assert a.dtype == np.uint8 and a.shape == IMG.shape and (a == b).all()
    np.random.seed(5)
    order = np.random.permutation(4)
    data = IMG
    for i in order:
        amount = (0.4, 0.4, 0.4, 0.1)[i]
        factor = np.float32(1.0 + np.random.uniform(-amount, amount))
        data = T.RandomColorJitter._STEPS[i](data, factor)
    np.testing.assert_array_equal(a, data)


def test_colour_input_checks():
    for t in (T.RandomBrightness(0.5), T.RandomContrast(0.5), T.RandomSaturation(0.5),
              T.RandomHue(0.5), T.RandomColorJitter(0.5), T.RandomLighting(0.1)):
        with pytest.raises(ValueError, match=r'\(H, W, C\)'):
            t(mx.nd.zeros((2, 4, 4, 3), dtype='uint8'))
        with pytest.raises(ValueError, match='1 or 3'):
            t(mx.nd.zeros((4, 4, 2), dtype='uint8'))
        assert t(mx.nd.zeros((4, 4, 3), dtype='float64')).dtype == np.float64


# ------------------------------------------------------------------ flips and crops
def test_random_flip_top_bottom():
    x = nd(IMG)
    mx.random.seed(0)
    outs = [T.RandomFlipTopBottom()(x).asnumpy() for _ in range(20)]
    flipped = [bool((o == IMG[::-1]).all()) for o in outs]
    assert any(flipped) and not all(flipped)
    assert all((o == IMG).all() for o, f in zip(outs, flipped) if not f)


def test_crop_resize():
    x = nd(IMG)
    crop = T.CropResize(1, 0, 3, 2)(x)
    assert crop.dtype == np.uint8 and (crop.asnumpy() == IMG[0:2, 1:4]).all()
    out = T.CropResize(1, 0, 3, 2, size=(5, 4), interpolation=1)(x).asnumpy()
    ref = expected('cropresize bilinear', IMG).astype(int)
    assert out.shape == (4, 5, 3) and np.abs(out.astype(int) - ref).max() <= 1
    # interpolation None is bilinear (MXNet 1.9.1 fails on it)
    assert (T.CropResize(1, 0, 3, 2, size=(5, 4))(x).asnumpy() == out).all()
    out = T.CropResize(0, 1, 4, 2, size=3, interpolation=0)(x).asnumpy()
    np.testing.assert_array_equal(out, expected('cropresize nearest', IMG))
    batch = nd(np.stack([IMG, 255 - IMG]))
    out = T.CropResize(1, 0, 3, 2, size=(5, 4), interpolation=0)(batch).asnumpy()
    single = T.CropResize(1, 0, 3, 2, size=(5, 4), interpolation=0)
    assert out.shape == (2, 4, 5, 3)
    assert (out[1] == single(nd(255 - IMG)).asnumpy()).all()
    f = T.CropResize(0, 0, 2, 2, size=(3, 3), interpolation=2)(nd(FIMG))
    assert f.dtype == np.float32 and f.shape == (3, 3, 3)
    with pytest.raises(MXNetError, match='x \\+ width'):
        T.CropResize(3, 0, 2, 2)(x)
    with pytest.raises(MXNetError, match='y \\+ height'):
        T.CropResize(0, 2, 2, 2)(x)


def test_center_crop():
    x = nd(IMG)
    out = T.CenterCrop(2)(x).asnumpy()
    np.testing.assert_array_equal(out, IMG[0:2, 1:3])
    out = T.CenterCrop((6, 2))(x).asnumpy()  # wider than the image: scaled down, resized up
    ref = expected('centercrop (6, 2)', IMG).astype(int)
    assert out.shape == (2, 6, 3) and np.abs(out.astype(int) - ref).max() <= 1
    with pytest.raises(ValueError, match=r'\(H, W, C\)'):
        T.CenterCrop(2)(mx.nd.zeros((1, 4, 4, 3)))


def test_random_resized_crop_boxes_as_mxnet():
    # MXNet draws with Python's random module; these are its boxes (x0, y0, w, h)
    # for random.seed(7) on IMG
    boxes = [(2, 0, 2, 2), (2, 2, 1, 1), (0, 0, 1, 1), (0, 0, 2, 3), (1, 2, 1, 1)]
    x = nd(IMG)
    random.seed(7)
    outs = [T.RandomResizedCrop((5, 4))(x) for _ in boxes]
    for out, (x0, y0, w, h) in zip(outs, boxes):
        ref = T.CropResize(x0, y0, w, h, size=(5, 4), interpolation=1)(x)
        assert out.shape == (4, 5, 3) and (out.asnumpy() == ref.asnumpy()).all()
    random.seed(7)
    assert T.RandomResizedCrop(3, scale=(0.5, 1.0), ratio=(0.5, 2.0))(
        x.astype('float32')).shape == (3, 3, 3)


def test_d2lzh_augmentation_chain():
    # the image-augmentation chapter's pipeline on a uint8 image
    img = nd(np.random.RandomState(0).randint(0, 256, (60, 80, 3)).astype(np.uint8))
    color_aug = T.RandomColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5)
    shape_aug = T.RandomResizedCrop((20, 20), scale=(0.1, 1), ratio=(0.5, 2))
    augs = T.Compose([T.RandomFlipLeftRight(), T.RandomFlipTopBottom(), color_aug,
                      T.RandomBrightness(0.5), T.RandomHue(0.5), T.RandomLighting(0.1),
                      shape_aug, T.ToTensor()])
    random.seed(0)
    mx.random.seed(0)
    out = augs(img)
    assert out.shape == (3, 20, 20) and out.dtype == np.float32
    assert 0 <= out.asnumpy().min() and out.asnumpy().max() <= 1
    random.seed(0)
    mx.random.seed(0)
    assert (augs(img).asnumpy() == out.asnumpy()).all()
