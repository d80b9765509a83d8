"""Image operators: ``mx.nd.image`` / ``mx.sym.image`` (registered as ``_image_<name>``).

Images are ``(height, width, channels)`` arrays (HWC), or batches of them (NHWC),
usually uint8 in ``[0, 255]``, as ``mx.image.imread`` returns them. Two operators
turn them into network inputs: ``to_tensor`` (float32 in ``[0, 1]``, channels first:
CHW / NCHW) and ``normalize`` (per-channel ``(x - mean) / std`` on CHW / NCHW). The
others change the picture and keep its layout and dtype: flips, ``crop``, ``resize``
(OpenCV's sampling, the code of :mod:`d2lmini.image.resize`) and the colour
augmentations that Gluon's ``transforms`` use.

The colour operators compute in float32 (float64 for float64 images) and store as
MXNet 1.x does: integer images are clipped to their range and truncated (a result
of 57.7 becomes 57), floating-point ones are stored as they are (a brightness of 300
stays 300). The random ones draw from ``backend.rng``, the generator that
``mx.random.seed`` resets, so a seeded program repeats; in a batch (NHWC) each image
gets its own draws. Where MXNet 1.x misbehaves, d2lmini does the reasonable thing:

* flips and the colour operators also take NHWC batches (MXNet: 3-D only), and
  flips take any number of channels; an odd width (height) keeps its middle column
  (row), which MXNet leaves unwritten;
* ``normalize`` refuses integer tensors (MXNet wraps ``(x - mean) / std`` around
  the integer range: 866 becomes 98 in uint8);
* one-channel images pass ``random_hue``, ``adjust_lighting`` and
  ``random_lighting`` unchanged, and ``random_color_jitter`` with all four amounts 0
  returns a copy (MXNet leaves the output unwritten);
* ``random_saturation`` mixes each pixel with its gray value
  ``0.299 R + 0.587 G + 0.114 B`` (MXNet's loop overwrites instead of adding and
  uses ``0.114 B`` alone);
* gradients are the true ones: flips flip the gradient back, ``to_tensor`` and
  ``resize`` have one (MXNet's fail), and the random colour operators have none
  (MXNet passes the gradient through unchanged, which ignores the factor drawn).

>>> import d2lmini as mx
>>> img = mx.nd.array([[[0, 128, 255]]], dtype='uint8')       # one RGB pixel
>>> mx.nd.image.to_tensor(img).reshape((3,))
<BLANKLINE>
[0.        0.5019608 1.       ]
<NDArray 3 @cpu(0)>
"""
import functools

import numpy as np

from .. import backend
from ..base import MXNetError, shape_str
from .registry import register

# ITU-R BT.601 luma, the gray value MXNet's contrast uses
_LUMA = (0.299, 0.587, 0.114)
# ImageNet's RGB eigenvectors scaled by their eigenvalues (AlexNet's lighting noise),
# rows R, G, B; column k is the colour shift per unit of alpha[k]
_EIG = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                 [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                 [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]], np.float32)


# ---------------------------------------------------------------------- checks
def _check_hwc(op, shape):
    if len(shape) not in (3, 4):
        raise MXNetError(f'operator {op}: the input image must have shape (height, width, '
                         f'channels) or (N, height, width, channels), got {shape_str(shape)}')


def _check_rgb(op, shape):
    _check_hwc(op, shape)
    if shape[-1] not in (1, 3):
        raise MXNetError(f'operator {op}: the last axis of the image must be its channels, '
                         f'1 or 3 of them, got shape {shape_str(shape)}')


def _required(op, name, value):
    if value is None:
        raise MXNetError(f'operator {op}: the {name} attribute is required')
    return value


def _factor(op, name, value):
    value = float(_required(op, name, value))
    if not value >= 0:
        raise MXNetError(f'operator {op}: {name}={value} must not be negative')
    return value


def _floats(op, name, value):
    """A float or a sequence of them as a tuple of floats."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    try:
        return tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise MXNetError(f'operator {op}: {name}={value!r} must be a number or a tuple of '
                         'numbers') from None


def _work(data):
    """The precision the colour operators compute in: float32, float64 for float64."""
    return np.float64 if data.dtype == np.float64 else np.float32


def _store(xp, values, dtype):
    """``values`` as ``dtype``, as MXNet 1.x's saturate_cast stores them: integers
    clipped to their range and truncated, floating-point values unchanged."""
    if dtype.kind in 'iu':
        info = np.iinfo(dtype)
        values = xp.clip(values, info.min, info.max)
    return values.astype(dtype)


def _same_shape(in_shapes, **attrs):
    # declared, so that shape inference never runs a random operator (that would draw)
    return [tuple(in_shapes[0])]


def _per_image(xp, data, fn):
    """``fn(image)`` on a HWC image, or on each image of a NHWC batch."""
    if data.ndim == 3:
        return fn(data)
    return xp.stack([fn(image) for image in data])


def _draws(xp, n, low, high):
    """``n`` uniform draws from ``[low, high)`` as Python floats (float32, as MXNet)."""
    u = backend.to_host(backend.uniform01(xp, (n,)))
    return [float(np.float32(low + (high - low) * v)) for v in u]


def _count(data):
    return 1 if data.ndim == 3 else data.shape[0]


# ---------------------------------------------------------------------- to_tensor, normalize
def _to_tensor_grad(F, dy, x, y):
    # channels back to the end
    g = F.transpose(dy, axes=(1, 2, 0) if x[0].ndim == 3 else (0, 2, 3, 1)) / 255.0
    return [g.astype(x[0].dtype)]


@register('_image_to_tensor', backward=_to_tensor_grad,
          infer_type=lambda in_dtypes, **attrs: [np.float32])
def _to_tensor(xp, data):
    """An image (HWC) or a batch of them (NHWC), of any dtype, as float32 divided by
    255 with the channels first (CHW / NCHW): what a convolution takes.

    >>> import d2lmini as mx
    >>> mx.nd.image.to_tensor(mx.nd.full((2, 2, 3), 255, dtype='uint8')).shape
    (3, 2, 2)
    """
    _check_hwc('_image_to_tensor', data.shape)
    return xp.moveaxis(data.astype(np.float32) / np.float32(255.0), -1, -3)


def _normalize_params(shape, mean, std):
    op = '_image_normalize'
    if len(shape) not in (3, 4):
        raise MXNetError(f'operator {op}: the input must have shape (channels, height, width) '
                         f'or (N, channels, height, width), got {shape_str(shape)}')
    channels = shape[-3]
    if channels not in (1, 3):
        raise MXNetError(f'operator {op}: the channel axis (first of CHW) must have 1 or 3 '
                         f'entries, got input of shape {shape_str(shape)}')
    mean, std = _floats(op, 'mean', mean), _floats(op, 'std', std)
    for name, values in (('mean', mean), ('std', std)):
        if len(values) not in (1, channels):
            raise MXNetError(f'operator {op}: {name}={values} must have 1 or {channels} '
                             f'entries for an input of shape {shape_str(shape)}')
    if 0.0 in std:
        raise MXNetError(f'operator {op}: std={std} must not contain 0')
    column = (-1, 1, 1)
    return (np.broadcast_to(np.array(mean, np.float32), (channels,)).reshape(column),
            np.broadcast_to(np.array(std, np.float32), (channels,)).reshape(column))


def _normalize_grad(F, dy, x, y, mean, std):
    _, scale = _normalize_params(x[0].shape, mean, std)
    inv = F.array(1.0 / scale.astype(np.float64), ctx=dy.context, dtype=dy.dtype)
    return [F.broadcast_mul(dy, inv)]


@register('_image_normalize', backward=_normalize_grad, attr_types={'mean': 'any', 'std': 'any'})
def _normalize(xp, data, mean=(0.0, 0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0, 1.0)):
    """``(data - mean) / std`` per channel of a CHW tensor or NCHW batch (1 or 3
    channels); ``mean`` and ``std`` hold one number for all channels or one per
    channel. The dtype (floating-point) stays.

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((3, 1, 1))
    >>> mx.nd.image.normalize(x, mean=(0, 0.5, 1), std=(1, 0.5, 2)).reshape((3,))
    <BLANKLINE>
    [1. 1. 0.]
    <NDArray 3 @cpu(0)>
    """
    if data.dtype.kind != 'f':
        # MXNet 1.x wraps the results around the integer range (866 becomes 98)
        raise MXNetError(f'operator _image_normalize: the input must be floating-point, not '
                         f'{data.dtype}; convert images with to_tensor first')
    m, s = _normalize_params(data.shape, mean, std)
    return ((data - xp.asarray(m, data.dtype)) / xp.asarray(s, data.dtype)).astype(data.dtype)


# ---------------------------------------------------------------------- flips
def _flip_op(name, axis, what, example):
    def flip(xp, data):
        _check_hwc(name, data.shape)
        return xp.flip(data, axis=axis).copy()
    flip.__name__ = name
    flip.__doc__ = (f'The image (HWC) or each image of a batch (NHWC) mirrored {what}.\n\n'
                    '>>> import d2lmini as mx\n'
                    '>>> img = mx.nd.array([[[1], [2]], [[3], [4]]])    # 2x2, one channel\n'
                    f'>>> mx.nd.image.{name[len("_image_"):]}(img)[..., 0].asnumpy()\n'
                    f'{example}')
    # a flip is its own inverse: the gradient is the output gradient flipped back
    register(name, flip, backward=lambda F, dy, x, y: [getattr(F, name)(dy)])
    return flip


_flip_op('_image_flip_left_right', -2, 'left to right (along the width)',
         'array([[2., 1.],\n       [4., 3.]], dtype=float32)')
_flip_op('_image_flip_top_bottom', -3, 'top to bottom (along the height)',
         'array([[3., 4.],\n       [1., 2.]], dtype=float32)')


def _random_flip_op(name, flip_name, axis, what):
    def random_flip(xp, data):
        _check_hwc(name, data.shape)
        flipped = backend.uniform01(xp, (_count(data),)) < 0.5   # each image: heads or tails
        mask = flipped.reshape((-1,) + (1,) * (data.ndim - 1))
        out = xp.where(mask, xp.flip(data, axis=axis), data)
        return out, flipped.astype(data.dtype)

    def grad(F, dy, x, y):
        # the hidden output says which images were flipped; flip their gradient back
        g = dy[0]
        mask = F.reshape(y[1], shape=(-1,) + (1,) * (g.ndim - 1))
        return [g + F.broadcast_mul(mask, getattr(F, flip_name)(g) - g)]

    random_flip.__name__ = name
    random_flip.__doc__ = (f'The image (HWC), or each image of a batch (NHWC), mirrored {what} '
                           'with probability 1/2. The hidden second output records which '
                           'images were flipped, for the gradient.')
    register(name, random_flip, backward=grad, random=True, num_outputs=2,
             num_visible_outputs=1,
             infer_shape=lambda in_shapes, **attrs: [
                 tuple(in_shapes[0]), (1,) if len(in_shapes[0]) == 3 else (in_shapes[0][0],)])
    return random_flip


_random_flip_op('_image_random_flip_left_right', '_image_flip_left_right', -2, 'left to right')
_random_flip_op('_image_random_flip_top_bottom', '_image_flip_top_bottom', -3, 'top to bottom')


# ---------------------------------------------------------------------- crop, resize
def _crop_key(shape, x, y, width, height):
    op = '_image_crop'
    if len(shape) not in (3, 4):
        raise MXNetError(f'operator {op}: expects a 3-D (h, w, c) or 4-D (n, h, w, c) input, '
                         f'got shape {shape_str(shape)}')
    x, y = int(_required(op, 'x', x)), int(_required(op, 'y', y))
    width, height = int(_required(op, 'width', width)), int(_required(op, 'height', height))
    image_h, image_w = shape[-3], shape[-2]
    if x < 0 or y < 0 or width <= 0 or height <= 0:
        raise MXNetError(f'operator {op}: x={x}, y={y} must not be negative and width={width}, '
                         f'height={height} must be positive')
    if x + width > image_w or y + height > image_h:
        raise MXNetError(f'operator {op}: the region x={x}, y={y}, width={width}, '
                         f'height={height} does not fit in an image of width {image_w} and '
                         f'height {image_h} (input shape {shape_str(shape)})')
    return (slice(None),) * (len(shape) - 3) + (slice(y, y + height), slice(x, x + width),
                                                slice(None))


def _crop_grad(F, dy, inputs, outputs, /, **attrs):
    # positional-only: the attributes x and y would clash with the usual names
    return [F._index_scatter(dy, inputs[0], key=_crop_key(inputs[0].shape, **attrs))]


@register('_image_crop', attr_types={a: 'int' for a in ('x', 'y', 'width', 'height')},
          backward=_crop_grad)
def _crop(xp, data, x=None, y=None, width=None, height=None):
    """The region of ``width`` x ``height`` pixels whose top-left corner is column
    ``x``, row ``y``, of an image (HWC) or of every image of a batch (NHWC).

    >>> import d2lmini as mx
    >>> img = mx.nd.arange(16).reshape((4, 4, 1))
    >>> mx.nd.image.crop(img, x=1, y=2, width=2, height=1).reshape((2,))
    <BLANKLINE>
    [ 9. 10.]
    <NDArray 2 @cpu(0)>
    """
    return data[_crop_key(data.shape, x, y, width, height)].copy()


def _opencv_resize(image, w, h, interp):
    # imported here: the d2lmini.image package imports mx.nd, which is built from
    # this registry, so it cannot be imported while the registry is being filled
    from ..image.resize import resize
    return resize(image, w, h, interp)


def _resize_size(shape, size, keep_ratio, interp):
    """``(width, height)`` of the output, as MXNet 1.x reads ``size``: ``(w, h)``, or
    one number for both sides, or, with ``keep_ratio``, for the shorter side."""
    op = '_image_resize'
    if len(shape) not in (3, 4):
        raise MXNetError(f'operator {op}: the input image must be 3-D (h, w, c) or 4-D '
                         f'(n, h, w, c), got shape {shape_str(shape)}')
    size = () if size is None else tuple(size) if isinstance(size, (tuple, list)) else (size,)
    if len(size) not in (1, 2):
        raise MXNetError(f'operator {op}: size={size} must be (width, height) or one number')
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetError(f'operator {op}: unknown interpolation method interp={interp!r}; use '
                         '0 nearest, 1 bilinear, 2 bicubic, 3 area or 4 Lanczos')
    src_h, src_w = shape[-3], shape[-2]
    if len(size) == 2:
        w, h = int(size[0]), int(size[1])
    elif keep_ratio:
        side = int(size[0])
        w, h = (side, src_h * side // src_w) if src_h > src_w else (src_w * side // src_h, side)
    else:
        w = h = int(size[0])
    if w <= 0 or h <= 0:
        raise MXNetError(f'operator {op}: the size to resize to must be positive, got '
                         f'width {w} and height {h}')
    return w, h


@functools.lru_cache(maxsize=32)
def _resize_weights(src_h, src_w, h, w, interp):
    """The matrices ``Wy`` ``(h, src_h)`` and ``Wx`` ``(w, src_w)`` of OpenCV's
    floating-point resize, ``out = Wy @ image @ Wx.T``, read off the resize itself:
    an image whose channels are the unit vectors along one axis (constant along the
    other) comes out as that axis's matrix times one row sum of the other (1 up to
    float32 rounding of the weights, which the all-ones image measures)."""
    across = np.broadcast_to(np.eye(src_w)[None], (src_h, src_w, src_w))
    down = np.broadcast_to(np.eye(src_h)[:, None], (src_h, src_w, src_h))
    wx = _opencv_resize(np.ascontiguousarray(across), w, h, interp)[0]
    wy = _opencv_resize(np.ascontiguousarray(down), w, h, interp)[:, 0]
    both_sums = _opencv_resize(np.ones((src_h, src_w, 1)), w, h, interp)[0, 0, 0]
    return wy / both_sums, wx


def _resize_grad(F, dy, x, y, size, keep_ratio, interp):
    shape = x[0].shape
    w, h = _resize_size(shape, size, keep_ratio, interp)
    wy, wx = _resize_weights(shape[-3], shape[-2], h, w, interp)
    wy_t = F.array(wy.T, ctx=dy.context, dtype=dy.dtype)     # (H, h)
    wx_t = F.array(wx.T, ctx=dy.context, dtype=dy.dtype)     # (W, w)
    batch = dy.ndim == 4
    g = F.transpose(dy, axes=(1, 2, 0, 3)) if batch else dy   # (h, w, [N,] C)
    rest = g.shape[2:]
    g = F.dot(wy_t, F.reshape(g, shape=(h, -1)))                       # (H, w * rest)
    g = F.reshape(g, shape=(shape[-3], w, -1))
    g = F.dot(wx_t, F.reshape(F.transpose(g, axes=(1, 0, 2)), shape=(w, -1)))   # (W, H * rest)
    g = F.transpose(F.reshape(g, shape=(shape[-2], shape[-3]) + rest),
                    axes=(1, 0) + tuple(range(2, 2 + len(rest))))      # (H, W, [N,] C)
    return [F.transpose(g, axes=(2, 0, 1, 3)) if batch else g]


def _resize_shape(in_shapes, size=(), keep_ratio=False, interp=1):
    shape = tuple(in_shapes[0])
    w, h = _resize_size(shape, size, keep_ratio, interp)
    return [shape[:-3] + (h, w, shape[-1])]


@register('_image_resize', backward=_resize_grad, infer_shape=_resize_shape,
          attr_types={'size': 'shape'})
def _resize(xp, data, size=(), keep_ratio=False, interp=1):
    """An image (HWC) or each image of a batch (NHWC) resized as OpenCV's
    ``cv2.resize`` does (:mod:`d2lmini.image.resize`). ``size`` is ``(width, height)``
    or one number: both sides, or with ``keep_ratio=True`` the shorter side (the other
    keeps the aspect ratio). ``interp``: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4
    Lanczos. The dtype stays; for floating-point images the gradient is the
    transposed resampling.

    >>> import d2lmini as mx
    >>> img = mx.nd.array([[[0], [100]]], dtype='uint8')
    >>> mx.nd.image.resize(img, size=(4, 1)).reshape((4,)).asnumpy()
    array([  0,  25,  75, 100], dtype=uint8)
    """
    w, h = _resize_size(data.shape, size, keep_ratio, interp)
    host = backend.to_host(data)
    if host.ndim == 3:
        out = _opencv_resize(host, w, h, interp)
    else:
        out = np.stack([_opencv_resize(image, w, h, interp) for image in host])
    return xp.asarray(out)



# ---------------------------------------------------------------------- colour
def _brightness(xp, image, alpha):
    work = _work(image)
    return _store(xp, image.astype(work) * work(alpha), image.dtype)


def _contrast(xp, image, alpha):
    """Each value moved towards the image's mean gray by ``1 - alpha``."""
    work = _work(image)
    data = image.astype(work)
    if image.shape[-1] == 3:
        gray = (data * xp.asarray(_LUMA, work)).sum(axis=-1).mean()
    else:
        gray = data.mean()
    return _store(xp, data * work(alpha) + (work(1) - work(alpha)) * gray, image.dtype)


def _saturation(xp, image, alpha):
    """Each pixel moved towards its own gray value by ``1 - alpha``."""
    if image.shape[-1] == 1:
        return image.copy()
    work = _work(image)
    data = image.astype(work)
    gray = (data * xp.asarray(_LUMA, work)).sum(axis=-1, keepdims=True)
    return _store(xp, gray * (work(1) - work(alpha)) + data * work(alpha), image.dtype)


# HLS to RGB: for each sector of 60 degrees of hue, which of the four values
# (p2, p1, falling, rising) goes to red, green and blue
_SECTOR_RGB = np.array([[0, 3, 1], [2, 0, 1], [1, 0, 3], [1, 2, 0], [3, 1, 0], [0, 1, 2]])


def _hue(xp, image, alpha):
    """The hue of every pixel turned by ``alpha`` of a full circle (HLS space)."""
    if image.shape[-1] == 1:
        return image.copy()
    work = _work(image)
    rgb = image.astype(work) / work(255)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    vmax, vmin = rgb.max(axis=-1), rgb.min(axis=-1)
    diff = vmax - vmin
    light = (vmax + vmin) * work(0.5)
    chromatic = diff > np.finfo(np.float32).eps
    with np.errstate(divide='ignore', invalid='ignore'):
        sat = xp.where(light < 0.5, diff / (vmax + vmin), diff / (work(2) - vmax - vmin))
        per_degree = work(60) / diff
        hue = xp.where(vmax == r, (g - b) * per_degree,
                       xp.where(vmax == g, (b - r) * per_degree + work(120),
                                (r - g) * per_degree + work(240)))
    hue = xp.where(hue < 0, hue + work(360), hue)
    sat = xp.where(chromatic, sat, work(0))
    hue = xp.where(chromatic, hue, work(0)) + work(alpha * 360.0)
    # back to RGB
    p2 = xp.where(light <= 0.5, light * (work(1) + sat), light + sat - light * sat)
    p1 = work(2) * light - p2
    sixths = xp.mod(hue * work(1.0 / 60.0), work(6))
    sixths = xp.where(sixths >= 6, sixths - work(6), sixths)
    sector = xp.floor(sixths).astype(np.int64)
    frac = sixths - sector
    table = xp.stack([p2, p1, p1 + (p2 - p1) * (work(1) - frac), p1 + (p2 - p1) * frac])
    pick = xp.asarray(_SECTOR_RGB)[sector]                    # (H, W, 3) rows of table
    out = xp.take_along_axis(xp.broadcast_to(table[..., None], table.shape + (3,)), pick[None],
                             axis=0)[0]
    out = xp.where((sat == 0)[..., None], light[..., None], out) * work(255)
    return _store(xp, out, image.dtype)


def _lighting(xp, image, alpha):
    """Every pixel shifted by the same colour: ``_EIG @ alpha`` (AlexNet's PCA noise)."""
    if image.shape[-1] == 1:
        return image.copy()
    work = _work(image)
    shift = (_EIG.astype(np.float32) @ np.asarray(alpha, np.float32)).astype(work)
    return _store(xp, image.astype(work) + xp.asarray(shift), image.dtype)


def _enhance_op(name, adjust, check, what):
    def enhance(xp, data, min_factor=None, max_factor=None):
        check(name, data.shape)
        low = _factor(name, 'min_factor', min_factor)
        high = _factor(name, 'max_factor', max_factor)
        factors = iter(_draws(xp, _count(data), low, high))
        return _per_image(xp, data, lambda image: adjust(xp, image, next(factors)))
    enhance.__name__ = name
    enhance.__doc__ = (f'The image (HWC), or each image of a batch (NHWC), with {what}, by a '
                       'factor drawn uniformly from ``[min_factor, max_factor)``. No gradient: '
                       'the factor is not kept.\n\n'
                       '>>> import d2lmini as mx\n'
                       '>>> img = mx.nd.full((2, 2, 3), 100, dtype=\'uint8\')\n'
                       f'>>> mx.nd.image.{name[len("_image_"):]}(img, 0.5, 1.5).shape\n'
                       '(2, 2, 3)')
    register(name, enhance, random=True, no_grad=True, infer_shape=_same_shape,
             attr_types={'min_factor': 'float', 'max_factor': 'float'})


_enhance_op('_image_random_brightness', _brightness, _check_hwc,
            'every value multiplied (brightness)')
_enhance_op('_image_random_contrast', _contrast, _check_rgb,
            'its contrast scaled about its mean gray value')
_enhance_op('_image_random_saturation', _saturation, _check_rgb,
            'every pixel mixed with its gray value (saturation; factor 0 is gray)')
_enhance_op('_image_random_hue', _hue, _check_rgb,
            'its hue turned by the factor times a full circle')


@register('_image_random_color_jitter', random=True, no_grad=True, infer_shape=_same_shape,
          attr_types={a: 'float' for a in ('brightness', 'contrast', 'saturation', 'hue')})
def _random_color_jitter(xp, data, brightness=None, contrast=None, saturation=None, hue=None):
    """Brightness, contrast, saturation and hue changed in a random order, as MXNet
    1.x does: factors ``1 + U(-amount, amount)`` for the first three, a hue turn of
    ``U(-hue, hue)``; an amount of 0 skips that change. No gradient.

    >>> import d2lmini as mx
    >>> img = mx.nd.array([[[10, 20, 30]]], dtype='uint8')
    >>> mx.nd.image.random_color_jitter(img, 0, 0, 0, 0).reshape((3,)).asnumpy()
    array([10, 20, 30], dtype=uint8)
    """
    op = '_image_random_color_jitter'
    _check_rgb(op, data.shape)
    amounts = [float(_required(op, n, v)) for n, v in (('brightness', brightness),
               ('contrast', contrast), ('saturation', saturation), ('hue', hue))]
    changes = [(_brightness, 1.0), (_contrast, 1.0), (_saturation, 1.0), (_hue, 0.0)]

    def jitter(image):
        out = image.copy()
        for k in backend.to_host(backend.rng(xp).permutation(4)):
            amount = amounts[int(k)]
            if amount > 0:
                adjust, centre = changes[int(k)]
                out = adjust(xp, out, centre + _draws(xp, 1, -amount, amount)[0])
        return out
    return _per_image(xp, data, jitter)


@register('_image_adjust_lighting', attr_types={'alpha': 'any'},
          backward=lambda F, dy, x, y, alpha: [dy])
def _adjust_lighting(xp, data, alpha=None):
    """Every pixel of an RGB image (HWC) or batch (NHWC) shifted by the colour
    ``eig @ alpha``, along ImageNet's principal colour components (AlexNet's
    lighting noise); ``alpha`` holds three numbers.

    >>> import d2lmini as mx
    >>> out = mx.nd.image.adjust_lighting(mx.nd.zeros((1, 1, 3)), alpha=(0.1, 0, 0))
    >>> out.reshape((3,)).asnumpy().round(3)
    array([-3.147, -3.221, -3.237], dtype=float32)
    """
    op = '_image_adjust_lighting'
    _check_rgb(op, data.shape)
    alpha = _floats(op, 'alpha', _required(op, 'alpha', alpha))
    if len(alpha) != 3:
        raise MXNetError(f'operator {op}: alpha={alpha} must hold 3 numbers (R, G, B)')
    return _per_image(xp, data, lambda image: _lighting(xp, image, alpha))


@register('_image_random_lighting', random=True, no_grad=True, infer_shape=_same_shape)
def _random_lighting(xp, data, alpha_std=0.05):
    """``adjust_lighting`` with ``alpha`` drawn from ``N(0, alpha_std**2)`` (three
    draws per image). No gradient: the draws are not kept."""
    op = '_image_random_lighting'
    _check_rgb(op, data.shape)
    if not alpha_std >= 0:
        raise MXNetError(f'operator {op}: alpha_std={alpha_std} must not be negative')

    def light(image):
        z = backend.to_host(backend.rng(xp).standard_normal(3))
        return _lighting(xp, image, (z * alpha_std).astype(np.float32))
    return _per_image(xp, data, light)
