"""``mx.nd.image`` / ``mx.sym.image`` / ``F.image``: the ``_image_*`` operators.
Expected values come from MXNet 1.9.1 or by hand; where d2lmini deliberately
differs from MXNet (see d2lmini/ops/image.py) the test says so."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.ops import OPS
from strict import assert_almost_equal

# a 2x2 RGB image and a 3x4 gray one
RGB = np.array([[[10, 200, 30], [250, 5, 128]], [[0, 0, 0], [90, 180, 255]]], np.uint8)
GRAY = np.array([[[0], [60], [120], [255]], [[30], [90], [200], [10]],
                 [[5], [15], [25], [35]]], np.uint8)


def _nd(a, dtype):
    return mx.nd.array(a, dtype=dtype)


NAMES = ['to_tensor', 'normalize', 'flip_left_right', 'flip_top_bottom',
         'random_flip_left_right', 'random_flip_top_bottom', 'resize', 'crop',
         'random_brightness', 'random_contrast', 'random_saturation', 'random_hue',
         'random_color_jitter', 'adjust_lighting', 'random_lighting']


def test_namespaces_hold_mxnet_names():
    for name in NAMES:
        assert f'_image_{name}' in OPS
        assert callable(getattr(mx.nd.image, name)) and callable(getattr(mx.sym.image, name))
    assert sorted(mx.nd.image.__all__) == sorted(NAMES)


def test_argument_names_and_defaults():
    assert OPS['_image_normalize'].defaults == {'mean': (0.0,) * 4, 'std': (1.0,) * 4}
    assert OPS['_image_resize'].defaults == {'size': (), 'keep_ratio': False, 'interp': 1}
    assert OPS['_image_crop'].attr_names == ('x', 'y', 'width', 'height')
    assert OPS['_image_random_color_jitter'].attr_names == ('brightness', 'contrast',
                                                            'saturation', 'hue')
    assert OPS['_image_random_lighting'].defaults == {'alpha_std': 0.05}
    assert OPS['_image_random_brightness'].attr_names == ('min_factor', 'max_factor')


# ---------------------------------------------------------------------- to_tensor, normalize
@pytest.mark.parametrize('dtype', ['uint8', 'float32', 'float64', 'int32'])
def test_to_tensor_moves_channels_first_and_divides(dtype):
    out = mx.nd.image.to_tensor(_nd(RGB, dtype))
    assert out.dtype == np.float32 and out.shape == (3, 2, 2)
    assert_almost_equal(out.asnumpy(), RGB.transpose(2, 0, 1).astype(np.float32) / 255)
    batch = mx.nd.image.to_tensor(_nd(np.stack([RGB, RGB[::-1]]), dtype))
    assert batch.shape == (2, 3, 2, 2)
    assert_almost_equal(batch[1].asnumpy(), RGB[::-1].transpose(2, 0, 1) / np.float32(255))


def test_to_tensor_gradient():
    x = _nd(RGB, 'float32')
    x.attach_grad()
    dy = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    with mx.autograd.record():
        y = mx.nd.image.to_tensor(x)
    y.backward(mx.nd.array(dy))
    assert_almost_equal(x.grad.asnumpy(), dy.transpose(1, 2, 0) / np.float32(255))


def test_normalize_per_channel_and_broadcast():
    x = mx.nd.array(np.arange(12).reshape(3, 2, 2))
    out = mx.nd.image.normalize(x, mean=(1, 2, 3), std=(2, 4, 8)).asnumpy()
    assert_almost_equal(out[:, 0, 1], np.array([0, 0.75, 0.75], np.float32))
    one = mx.nd.image.normalize(x.expand_dims(0), mean=0.5, std=0.25)
    assert one.shape == (1, 3, 2, 2)
    assert_almost_equal(one.asnumpy().ravel()[:3], np.array([-2, 2, 6], np.float32))
    assert mx.nd.image.normalize(x.astype('float64'), mean=1, std=1).dtype == np.float64


def test_normalize_gradient_divides_by_std():
    x = mx.nd.ones((3, 1, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.image.normalize(x, mean=(0, 0, 0), std=(1, 2, 4))
    y.backward()
    assert_almost_equal(x.grad.asnumpy()[:, 0, 0], np.array([1, 0.5, 0.25], np.float32))


@pytest.mark.parametrize('shape,kwargs,match', [
    ((4, 2), dict(mean=0), 'channels, height, width'),
    ((5, 2, 2), dict(mean=0), '1 or 3'),
    ((3, 2, 2), dict(mean=(1, 2)), 'mean'),
    ((3, 2, 2), {}, 'mean'),                        # MXNet's 4-entry default fails too
    ((3, 2, 2), dict(mean=0, std=(1, 0, 1)), 'std'),
])
def test_normalize_errors(shape, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        mx.nd.image.normalize(mx.nd.ones(shape), **kwargs)


def test_normalize_refuses_integer_images():
    # MXNet wraps (x - mean) / std around the uint8 range; d2lmini asks for floats
    with pytest.raises(MXNetError, match='floating-point'):
        mx.nd.image.normalize(mx.nd.ones((3, 2, 2), dtype='uint8'), mean=0.5, std=0.25)


# ---------------------------------------------------------------------- flips, crop
@pytest.mark.parametrize('dtype', ['uint8', 'float32'])
def test_flips(dtype):
    x = _nd(GRAY, dtype)
    lr, tb = mx.nd.image.flip_left_right(x), mx.nd.image.flip_top_bottom(x)
    assert lr.dtype == np.dtype(dtype)
    assert lr.asnumpy()[0, :, 0].tolist() == [255, 120, 60, 0]
    assert tb.asnumpy()[:, 0, 0].tolist() == [5, 30, 0]      # odd height: middle row stays
    batch = mx.nd.image.flip_left_right(_nd(np.stack([GRAY, GRAY]), dtype))
    assert batch.shape == (2, 3, 4, 1) and batch.asnumpy()[1, 2, :, 0].tolist() == [35, 25, 15, 5]


def test_flip_gradient_is_flipped_back():
    # MXNet passes the gradient through unflipped; the true gradient is flipped
    x = mx.nd.zeros((1, 3, 1))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.image.flip_left_right(x)
    y.backward(mx.nd.array([[[1], [2], [3]]]))
    assert x.grad.asnumpy().ravel().tolist() == [3, 2, 1]


def test_random_flip_is_seeded_and_its_gradient_follows_the_draw():
    x = mx.nd.array(np.arange(24).reshape(8, 1, 3, 1))
    mx.random.seed(7)
    first = mx.nd.image.random_flip_left_right(x).asnumpy()
    mx.random.seed(7)
    again = mx.nd.image.random_flip_left_right(x).asnumpy()
    assert np.array_equal(first, again)
    flipped = [not np.array_equal(first[i], x.asnumpy()[i]) for i in range(8)]
    assert 0 < sum(flipped) < 8          # each image of a batch has its own coin
    for i, f in enumerate(flipped):
        want = x.asnumpy()[i, :, ::-1] if f else x.asnumpy()[i]
        assert np.array_equal(first[i], want)
    x.attach_grad()
    mx.random.seed(7)
    with mx.autograd.record():
        y = mx.nd.image.random_flip_left_right(x)
    y.backward(x)
    assert np.array_equal(x.grad.asnumpy(), first)   # flipping twice is the identity


def test_crop():
    x = _nd(GRAY, 'uint8')
    out = mx.nd.image.crop(x, 1, 0, 2, 3)
    assert out.dtype == np.uint8 and out.asnumpy()[..., 0].tolist() == [[60, 120], [90, 200],
                                                                         [15, 25]]
    batch = mx.nd.image.crop(_nd(np.stack([GRAY, GRAY]), 'float32'), x=3, y=1, width=1, height=2)
    assert batch.shape == (2, 2, 1, 1) and batch.asnumpy()[1].ravel().tolist() == [10, 35]


def test_crop_gradient_lands_in_the_region():
    x = mx.nd.zeros((3, 4, 1))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.image.crop(x, x=2, y=1, width=2, height=1)
    y.backward(mx.nd.array([[[5], [6]]]))
    want = np.zeros((3, 4, 1), np.float32)
    want[1, 2:, 0] = (5, 6)
    assert np.array_equal(x.grad.asnumpy(), want)


@pytest.mark.parametrize('shape,kwargs,match', [
    ((3, 4, 1), dict(x=3, y=0, width=2, height=1), 'does not fit'),
    ((3, 4, 1), dict(x=0, y=2, width=1, height=2), 'does not fit'),
    ((3, 4, 1), dict(x=-1, y=0, width=1, height=1), 'negative'),
    ((3, 4), dict(x=0, y=0, width=1, height=1), '3-D'),
    ((3, 4, 1), dict(x=0, y=0, width=1), 'height attribute is required'),
])
def test_crop_errors(shape, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        mx.nd.image.crop(mx.nd.ones(shape), **kwargs)


# ---------------------------------------------------------------------- resize
RESIZED_U8 = {0: [[0, 60, 120], [30, 90, 200]], 1: [[17, 104, 185], [15, 51, 35]],
              2: [[15, 108, 192], [14, 57, 28]], 3: [[25, 108, 167], [20, 62, 41]],
              4: [[14, 111, 195], [13, 60, 22]]}
RESIZED_F32_ROW1 = {1: [18.75, 60.75, 124.375, 149.5625, 101.875],
                    3: [20.0, 65.0, 126.6667, 152.9167, 91.6667]}


@pytest.mark.parametrize('interp', range(5))
def test_resize_matches_opencv(interp):
    out = mx.nd.image.resize(_nd(GRAY, 'uint8'), (3, 2), interp=interp)
    assert out.dtype == np.uint8 and out.asnumpy()[..., 0].tolist() == RESIZED_U8[interp]
    batch = mx.nd.image.resize(_nd(np.stack([GRAY, GRAY]), 'uint8'), size=(3, 2), interp=interp)
    assert batch.shape == (2, 2, 3, 1) and batch.asnumpy()[1, ..., 0].tolist() == RESIZED_U8[interp]


@pytest.mark.parametrize('interp', [1, 3])
def test_resize_float(interp):
    out = mx.nd.image.resize(_nd(GRAY, 'float32'), (5, 4), interp=interp)
    assert out.dtype == np.float32 and out.shape == (4, 5, 1)
    assert_almost_equal(out.asnumpy()[1, :, 0], np.array(RESIZED_F32_ROW1[interp], np.float32),
                        atol=1e-3)


def test_resize_size_forms():
    x = mx.nd.zeros((3, 4, 1))
    assert mx.nd.image.resize(x, 6).shape == (6, 6, 1)
    assert mx.nd.image.resize(x, 6, keep_ratio=True).shape == (6, 8, 1)   # shorter side 6
    assert mx.nd.image.resize(mx.nd.zeros((5, 2, 3)), 4, True).shape == (10, 4, 3)
    assert mx.nd.image.resize(x, size=(2, 7)).shape == (7, 2, 1)


@pytest.mark.parametrize('shape,kwargs,match', [
    ((3, 4, 1), {}, 'size'),
    ((3, 4, 1), dict(size=(1, 2, 3)), 'size'),
    ((3, 4, 1), dict(size=2, interp=9), 'interpolation'),
    ((3, 4), dict(size=2), '3-D'),
])
def test_resize_errors(shape, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        mx.nd.image.resize(mx.nd.ones(shape), **kwargs)


@pytest.mark.parametrize('interp', range(5))
def test_resize_gradient_is_the_adjoint(interp):
    # <resize(x), dy> == <x, grad>: the gradient is the transposed resampling
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.uniform(size=(2, 5, 7, 2)), dtype='float64')
    dy = rng.uniform(size=(2, 3, 4, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.image.resize(x, (4, 3), interp=interp)
    y.backward(mx.nd.array(dy, dtype='float64'))
    lhs = float((y.asnumpy() * dy).sum())
    rhs = float((x.asnumpy() * x.grad.asnumpy()).sum())
    assert abs(lhs - rhs) < 1e-9 * abs(lhs)


# ---------------------------------------------------------------------- colour
def test_brightness_fixed_factor():
    out = mx.nd.image.random_brightness(_nd(RGB, 'uint8'), 1.3, 1.3)
    assert out.asnumpy().tolist() == [[[13, 255, 39], [255, 6, 166]], [[0, 0, 0], [116, 233, 255]]]
    fl = mx.nd.image.random_brightness(_nd(RGB, 'float32'), 1.3, 1.3).asnumpy()
    assert_almost_equal(fl[0, 1], np.array([325.0, 6.5, 166.4], np.float32))   # not clipped


def test_contrast_fixed_factor():
    out = mx.nd.image.random_contrast(_nd(RGB, 'uint8'), 0.6, 0.6)
    assert out.asnumpy().tolist() == [[[43, 157, 55], [187, 40, 114]],
                                      [[37, 37, 37], [91, 145, 190]]]
    fl = mx.nd.image.random_contrast(_nd(RGB, 'float32'), 0.6, 0.6).asnumpy()
    assert_almost_equal(fl[1, 0], np.full(3, 37.772697, np.float32), atol=1e-4)
    gray = mx.nd.image.random_contrast(mx.nd.array([[[1], [3]]]), 0.5, 0.5)
    assert gray.asnumpy().ravel().tolist() == [1.5, 2.5]


def test_saturation_mixes_with_the_luma():
    # MXNet's gray is 0.114 * B alone; d2lmini uses 0.299 R + 0.587 G + 0.114 B
    x = mx.nd.array([[[100, 50, 200]]])
    gray = 0.299 * 100 + 0.587 * 50 + 0.114 * 200
    out = mx.nd.image.random_saturation(x, 0.25, 0.25).asnumpy().ravel()
    assert_almost_equal(out, np.float32(0.75 * gray) + np.array([25, 12.5, 50], np.float32),
                        atol=1e-4)
    assert np.allclose(mx.nd.image.random_saturation(x, 0, 0).asnumpy().ravel(), [gray] * 3,
                       atol=1e-4)
    one = mx.nd.array([[[7.0]]])
    assert mx.nd.image.random_saturation(one, 0.5, 0.5).asnumpy().item() == 7.0


def test_hue_fixed_turn():
    out = mx.nd.image.random_hue(_nd(RGB, 'uint8'), 0.25, 0.25)
    assert out.asnumpy().tolist() == [[[9, 84, 200], [250, 249, 4]], [[0, 0, 0], [247, 90, 254]]]
    fl = mx.nd.image.random_hue(_nd(RGB, 'float32'), 0.25, 0.25).asnumpy()
    assert_almost_equal(fl[1, 1], np.array([247.5, 90.0, 255.0], np.float32), atol=1e-3)
    # a full turn gives the image back
    full = mx.nd.image.random_hue(_nd(RGB, 'float32'), 1.0, 1.0).asnumpy()
    assert_almost_equal(full, RGB.astype(np.float32), atol=1e-3)


def test_adjust_lighting():
    out = mx.nd.image.adjust_lighting(_nd(RGB, 'uint8'), alpha=(0.5, -1.0, 2.0))
    assert out.asnumpy().tolist() == [[[0, 182, 18], [231, 0, 116]], [[0, 0, 0], [71, 162, 243]]]
    fl = mx.nd.image.adjust_lighting(_nd(RGB, 'float32'), alpha=(0.5, -1.0, 2.0)).asnumpy()
    assert_almost_equal(fl[1, 0], np.array([-18.264153, -17.952955, -11.887347], np.float32),
                        atol=1e-4)
    with pytest.raises(MXNetError, match='3 numbers'):
        mx.nd.image.adjust_lighting(_nd(RGB, 'float32'), alpha=(0.1, 0.2))
    with pytest.raises(MXNetError, match='alpha attribute is required'):
        mx.nd.image.adjust_lighting(_nd(RGB, 'float32'))


def test_one_channel_images_pass_unchanged():
    # MXNet leaves the output unwritten for these
    x = mx.nd.array([[[7.0], [9.0]]])
    for out in (mx.nd.image.random_hue(x, 0.3, 0.3),
                mx.nd.image.adjust_lighting(x, alpha=(1, 1, 1)),
                mx.nd.image.random_lighting(x, 1.0)):
        assert out.asnumpy().ravel().tolist() == [7.0, 9.0]
    assert mx.nd.image.random_color_jitter(_nd(RGB, 'uint8'), 0, 0, 0, 0).asnumpy().tolist() \
        == RGB.tolist()


@pytest.mark.parametrize('name,args', [
    ('random_brightness', (0.5, 1.5)), ('random_contrast', (0.5, 1.5)),
    ('random_saturation', (0.5, 1.5)), ('random_hue', (0.8, 1.2)),
    ('random_color_jitter', (0.4, 0.4, 0.4, 0.1)), ('random_lighting', (0.5,)),
])
@pytest.mark.parametrize('dtype', ['uint8', 'float32'])
def test_random_colour_ops_are_seeded_and_per_image(name, args, dtype):
    fn = getattr(mx.nd.image, name)
    batch = _nd(np.stack([RGB] * 4), dtype)
    mx.random.seed(3)
    first = fn(batch, *args).asnumpy()
    mx.random.seed(3)
    assert np.array_equal(fn(batch, *args).asnumpy(), first)
    assert first.dtype == np.dtype(dtype) and first.shape == (4, 2, 2, 3)
    assert not all(np.array_equal(first[0], first[i]) for i in range(1, 4))
    assert OPS[f'_image_{name}'].random and OPS[f'_image_{name}'].no_grad


def test_factor_checks():
    with pytest.raises(MXNetError, match='min_factor=-1.0 must not be negative'):
        mx.nd.image.random_brightness(_nd(RGB, 'uint8'), -1, 2)
    with pytest.raises(MXNetError, match='max_factor attribute is required'):
        mx.nd.image.random_contrast(_nd(RGB, 'uint8'), 1)
    with pytest.raises(MXNetError, match='channels, 1 or 3'):
        mx.nd.image.random_contrast(mx.nd.ones((2, 2, 4)), 1, 1)
    with pytest.raises(MXNetError, match=r'\(height, width, channels\)'):
        mx.nd.image.random_brightness(mx.nd.ones((2, 2)), 1, 1)


# ---------------------------------------------------------------------- symbols and F.image
def test_symbol_graph_round_trip():
    data = mx.sym.var('data')
    net = mx.sym.image.normalize(mx.sym.image.to_tensor(
        mx.sym.image.resize(mx.sym.image.crop(data, 0, 0, 4, 2), size=(2, 1))),
        mean=(0.5,), std=(0.5,))
    net = mx.sym.fromjson(net.tojson())
    x = np.arange(3 * 4, dtype=np.float32).reshape(3, 4, 1) * 20
    got = net.eval(data=mx.nd.array(x))[0]
    want = mx.nd.image.normalize(mx.nd.image.to_tensor(mx.nd.image.resize(
        mx.nd.image.crop(mx.nd.array(x), 0, 0, 4, 2), size=(2, 1))), mean=0.5, std=0.5)
    assert got.shape == (1, 1, 2)
    assert_almost_equal(got.asnumpy(), want.asnumpy())
    assert net.infer_shape(data=(3, 4, 1))[1] == [(1, 1, 2)]


class _Augment(mx.gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        x = F.image.flip_left_right(F.image.random_brightness(x, 1.5, 1.5))
        return F.image.normalize(F.image.to_tensor(x), mean=(0.5, 0.5, 0.5), std=(0.25,) * 3)


def test_F_image_in_a_hybridized_block():
    x = _nd(np.stack([RGB, RGB]), 'float32')
    block = _Augment()
    eager = block(x).asnumpy()
    block.hybridize()
    assert_almost_equal(block(x).asnumpy(), eager)
    want = ((RGB[:, ::-1] * np.float32(1.5)).transpose(2, 0, 1) / np.float32(255) - 0.5) / 0.25
    assert_almost_equal(eager[1], want.astype(np.float32), atol=1e-5)


@pytest.mark.parametrize('name,args', [
    ('random_brightness', (0.0, 2.0)), ('random_flip_left_right', ()),
    ('random_color_jitter', (0.5, 0.5, 0.5, 0.1)), ('random_lighting', (0.1,))])
def test_random_nodes_are_not_merged(name, args):
    from d2lmini.symbol.passes import Graph
    from d2lmini.symbol.passes.cse import eliminate_common_subexpressions
    data = mx.sym.var('data')
    fn = getattr(mx.sym.image, name)
    g = Graph.from_symbol(fn(data, *args) + fn(data, *args))
    n = len(g)
    assert len(eliminate_common_subexpressions(g)) == n       # two draws, never one
    cse = Graph.from_symbol(mx.sym.image.flip_left_right(data) +
                            mx.sym.image.flip_left_right(data))
    n = len(cse)
    assert len(eliminate_common_subexpressions(cse)) == n - 1     # a flip is pure: merged
