"""MXNet's ``mx.image``: reading, resizing, cropping and augmenting images, and
:class:`ImageIter`, which turns a folder of images or a RecordIO file into batches.

An image is an NDArray of shape ``(H, W, C)`` (height, width, channels), dtype uint8,
channels in RGB order: what :func:`imread` gives. Augmenters take such an image and
return one; after :class:`CastAug` it is float32, which the colour augmenters need.

Sizes are given as ``(width, height)``, as in OpenCV and MXNet, while shapes are
``(height, width, channels)``. Interpolation methods are OpenCV's numbers: 0 nearest,
1 bilinear, 2 bicubic, 3 area, 4 Lanczos; 9 picks one by the change in size (area to
shrink, bicubic to enlarge, bilinear otherwise) and 10 picks one at random.

>>> import numpy as np
>>> import d2lmini as mx
>>> img = mx.nd.array(np.zeros((30, 40, 3)), dtype='uint8')
>>> mx.image.resize_short(img, 15).shape
(15, 20, 3)
>>> out, (x0, y0, w, h) = mx.image.center_crop(img, (10, 10))
>>> out.shape, (x0, y0, w, h)
((10, 10, 3), (15, 10, 10, 10))
"""
import json
import logging
import os
import random
import warnings

import numpy as np

from .. import ndarray as nd
from .. import io
from .. import recordio
from ..base import AttributeValueError, MXNetError, numeric_types
from ..ndarray import NDArray
from . import codec
from .resize import resize as _resize

__all__ = ['imread', 'imdecode', 'imresize', 'scale_down', 'copyMakeBorder',
           'resize_short', 'fixed_crop', 'random_crop', 'center_crop', 'color_normalize',
           'random_size_crop', 'imrotate', 'random_rotate', 'Augmenter', 'SequentialAug',
           'ResizeAug', 'ForceResizeAug',
           'RandomCropAug', 'RandomSizedCropAug', 'CenterCropAug', 'RandomOrderAug',
           'BrightnessJitterAug', 'ContrastJitterAug', 'SaturationJitterAug',
           'HueJitterAug', 'ColorJitterAug', 'LightingAug', 'ColorNormalizeAug',
           'RandomGrayAug', 'HorizontalFlipAug', 'CastAug', 'CreateAugmenter', 'ImageIter']


def _numpy(src):
    """``src`` (an NDArray or array-like) as a numpy array."""
    return src.asnumpy() if isinstance(src, NDArray) else np.asarray(src)


def _like(data, src):
    """The numpy array ``data`` as an NDArray on ``src``'s device."""
    ctx = src.context if isinstance(src, NDArray) else None
    return nd.array(data, ctx=ctx, dtype=data.dtype)


def _check_flag(flag):
    if flag < 0:
        raise MXNetError(f'value {flag} for Parameter flag should be greater equal to 0\n'
                         'flag: Convert decoded image to grayscale (0) or color (1).')


def _decode_bytes(data, flag, to_rgb):
    """The encoded image ``data`` as an NDArray, as :func:`imdecode` describes."""
    _check_flag(flag)
    pixels = codec.decode(data, 1 if flag > 0 else 0)
    if not to_rgb and pixels.shape[2] == 3:
        pixels = np.ascontiguousarray(pixels[..., ::-1])  # OpenCV's BGR order
    return nd.array(pixels, dtype=np.uint8)


def imread(filename, flag=1, to_rgb=True, **kwargs):
    """The image in file ``filename`` as an NDArray ``(H, W, C)`` uint8.

    flag : 1 colour (C = 3), 0 greyscale (C = 1)
    to_rgb : RGB channel order (True) or OpenCV's BGR (False)

    Decoded with Pillow, in OpenCV's conventions (:mod:`d2lmini.image.codec`): PNG
    and JPEG files give MXNet's pixels.
    """
    _check_flag(flag)
    try:
        with open(filename, 'rb') as image_file:
            contents = image_file.read()
    except OSError as err:
        raise MXNetError(f"Imread: '{filename}' couldn't open file: {err.strerror}") from err
    return _decode_bytes(contents, flag, to_rgb)


def imdecode(buf, flag=1, to_rgb=True, **kwargs):
    """Decode the bytes of an image file (JPEG, PNG, ...) into an NDArray ``(H, W, C)``
    uint8; ``flag`` and ``to_rgb`` as in :func:`imread`.

    >>> import d2lmini as mx
    >>> from d2lmini.image import codec
    >>> png = codec.encode(np.full((2, 3, 3), 200, np.uint8), '.png')
    >>> mx.image.imdecode(png).shape
    (2, 3, 3)
    """
    if isinstance(buf, (NDArray, np.ndarray)):
        buf = _numpy(buf).astype(np.uint8, copy=False).tobytes()
    elif not isinstance(buf, (bytes, bytearray)):
        raise ValueError('buf must be of type bytes, bytearray or numpy.ndarray,if you would '
                         'like to input type str, please convert to bytes')
    return _decode_bytes(buf, flag, to_rgb)


def imresize(src, w, h, interp=1, **kwargs):
    """``src`` (``(H, W, C)``) resized to width ``w`` and height ``h``, with OpenCV's
    method ``interp`` (module docstring), computed as OpenCV computes it
    (:mod:`d2lmini.image.resize`).

    >>> import d2lmini as mx
    >>> mx.image.imresize(mx.nd.zeros((4, 6, 3), dtype='uint8'), 3, 2).shape
    (2, 3, 3)
    """
    for name, v in (('w', w), ('h', h)):
        if v < 1:
            raise MXNetError(f'value {v} for Parameter {name} should be greater equal to 1')
    data = _numpy(src)
    squeeze = data.ndim == 2
    if squeeze:
        data = data[..., None]
    out = _resize(data, int(w), int(h), _get_interp_method(interp))
    return _like(out[..., 0] if squeeze else out, src)


def scale_down(src_size, size):
    """Shrink crop size ``size`` (w, h), keeping its aspect ratio, until it fits in
    ``src_size`` (w, h).

    >>> scale_down((640, 480), (720, 120))
    (640, 106)
    """
    crop_w, crop_h = size
    limit_w, limit_h = src_size
    if crop_h > limit_h:  # too tall: shrink to the full height
        crop_w, crop_h = float(crop_w * limit_h) / crop_h, limit_h
    if crop_w > limit_w:  # (still) too wide: shrink to the full width
        crop_w, crop_h = limit_w, float(crop_h * limit_w) / crop_w
    return int(crop_w), int(crop_h)


# OpenCV's border types: constant, replicate, reflect (edge twice), wrap, reflect_101
_BORDER_MODES = {0: 'constant', 1: 'edge', 2: 'symmetric', 3: 'wrap', 4: 'reflect'}
_BORDER_ISOLATED = 16


def copyMakeBorder(src, top, bot, left, right, type=0, value=0.0, values=(), **kwargs):  # noqa: A002
    """``src`` with a border: ``top``/``bot`` rows, ``left``/``right`` columns, filled
    as OpenCV's border ``type`` says (0 the constant ``value``, or per channel
    ``values``; 1 replicate; 2 reflect; 3 wrap; 4 reflect without the edge; OpenCV's
    flag 16, BORDER_ISOLATED, may be added and changes nothing here).

    >>> import d2lmini as mx
    >>> mx.image.copyMakeBorder(mx.nd.ones((2, 2, 1), dtype='uint8'), 1, 1, 1, 1).shape
    (4, 4, 1)
    """
    data = _numpy(src)
    # OpenCV's flag BORDER_ISOLATED (16) only matters for views into larger images
    type = type & ~_BORDER_ISOLATED  # noqa: A001
    if type not in _BORDER_MODES:
        raise MXNetError(f'copyMakeBorder: unknown border type {type}')
    pad = ((top, bot), (left, right)) + ((0, 0),) * (data.ndim - 2)
    if type == 0:
        out = np.pad(data, pad, mode='constant')
        fill = np.asarray(values if len(values) else value, dtype=np.float64)
        mask = np.ones(out.shape[:2], bool)
        mask[top:top + data.shape[0], left:left + data.shape[1]] = False
        out[mask] = np.broadcast_to(fill, out[mask].shape).astype(out.dtype)
    else:
        out = np.pad(data, pad, mode=_BORDER_MODES[type])
    return _like(out, src)


def _get_interp_method(interp, sizes=()):
    """The method that ``interp`` stands for; ``sizes`` (old h, old w, new h, new w)
    decides for 9, chance for 10."""
    if interp == 10:
        return random.randint(0, 4)
    if interp == 9:
        if not sizes:
            return 2
        assert len(sizes) == 4
        old_h, old_w, new_h, new_w = sizes
        if new_h > old_h and new_w > old_w:
            return 2  # enlarging both ways: bicubic
        if new_h < old_h and new_w < old_w:
            return 3  # shrinking both ways: area
        return 1
    if interp in range(5):
        return interp
    raise AttributeValueError('Unknown interp method %d' % (interp,))


def _resize_to(src, size, interp, old_size=None):
    """``src`` resized to ``size`` (w, h); for ``interp`` 9 the change in size is
    judged from ``old_size`` (w, h), by default ``src``'s own."""
    old_w, old_h = old_size or (src.shape[1], src.shape[0])
    new_w, new_h = size
    method = _get_interp_method(interp, (old_h, old_w, new_h, new_w))
    return imresize(src, new_w, new_h, interp=method)


def resize_short(src, size, interp=2):
    """``src`` resized so that its shorter side is ``size``, keeping the aspect ratio.

    >>> import d2lmini as mx
    >>> mx.image.resize_short(mx.nd.zeros((40, 60, 3), dtype='uint8'), 20).shape
    (20, 30, 3)
    """
    height, width = src.shape[:2]
    if height > width:  # portrait: the width is the short side
        return _resize_to(src, (size, height * size // width), interp)
    return _resize_to(src, (width * size // height, size), interp)


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """The ``w`` by ``h`` region of ``src`` whose top-left corner is ``(x0, y0)``,
    resized to ``size`` (w, h) when given.

    >>> import d2lmini as mx
    >>> fixed_crop(mx.nd.zeros((10, 10, 3)), 2, 4, 5, 3, size=(10, 6)).shape
    (6, 10, 3)
    """
    region = src[y0:y0 + h, x0:x0 + w]
    if size is None or (w, h) == size:
        return region
    return _resize_to(region, size, interp, old_size=(w, h))


def _crop_and_resize(src, size, interp, place):
    """Crop the largest box of ``size``'s aspect ratio that fits (:func:`scale_down`),
    at the corner ``place(room_x, room_y)`` picks, and resize it to ``size``."""
    height, width = src.shape[:2]
    box_w, box_h = scale_down((width, height), size)
    x0, y0 = place(width - box_w, height - box_h)
    box = (x0, y0, box_w, box_h)
    return fixed_crop(src, *box, size, interp), box


def _random_corner(room_x, room_y):
    """A top-left corner ``(x0, y0)`` drawn uniformly, x first."""
    return random.randint(0, room_x), random.randint(0, room_y)


def random_crop(src, size, interp=2):
    """A crop of ``size`` (w, h) at a random place (scaled down to fit first, then
    resized back to ``size``); returns ``(image, (x0, y0, w, h))``.

    >>> import d2lmini as mx
    >>> out, (x0, y0, w, h) = random_crop(mx.nd.zeros((10, 10, 3)), (4, 4))
    >>> out.shape, (w, h)
    ((4, 4, 3), (4, 4))
    """
    return _crop_and_resize(src, size, interp, _random_corner)


def center_crop(src, size, interp=2):
    """Like :func:`random_crop`, but the crop is centred."""
    return _crop_and_resize(src, size, interp,
                            lambda room_x, room_y: (int(room_x / 2), int(room_y / 2)))


def color_normalize(src, mean, std=None):
    """``(src - mean) / std``, in place (``src`` must be float).

    >>> import d2lmini as mx
    >>> print(mx.image.color_normalize(mx.nd.array([[[3., 6.]]]), mx.nd.array([1., 2.]),
    ...                                mx.nd.array([2., 2.])))
    <BLANKLINE>
    [[[1. 2.]]]
    <NDArray 1x1x2 @cpu(0)>
    """
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def _area_from_kwargs(area, kwargs, owner):
    """``area``, or the deprecated ``min_area`` that MXNet 1.x still accepts."""
    if 'min_area' in kwargs:
        warnings.warn('`min_area` is deprecated. Please use `area` instead.',
                      DeprecationWarning)
        area = kwargs.pop('min_area')
    assert not kwargs, f'unexpected keyword arguments for `{owner}`.'
    return area


def _random_box(width, height, area, ratio, tries=10):
    """A box ``(x0, y0, w, h)`` inside a ``width`` by ``height`` image, with a random
    share of its area and a random aspect ratio; None if ``tries`` draws all fail."""
    low, high = (area, 1.0) if isinstance(area, numeric_types) else (area[0], area[1])
    log_low, log_high = np.log(ratio[0]), np.log(ratio[1])
    for _ in range(tries):
        box_area = random.uniform(low, high) * (width * height)
        aspect = np.exp(random.uniform(log_low, log_high))  # log-uniform: w/h, h/w alike
        box_w = int(round(np.sqrt(box_area * aspect)))
        box_h = int(round(np.sqrt(box_area / aspect)))
        if box_w <= width and box_h <= height:
            return _random_corner(width - box_w, height - box_h) + (box_w, box_h)
    return None


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """A crop of random area (the fraction ``area`` of the image, or a fraction drawn
    from the range ``area``) and aspect ratio (drawn log-uniformly from ``ratio``),
    resized to ``size``; after 10 failed draws, :func:`center_crop`. Returns
    ``(image, (x0, y0, w, h))``.

    >>> import d2lmini as mx
    >>> out, box = random_size_crop(mx.nd.zeros((20, 20, 3)), (8, 8), 0.5, (0.75, 1.33))
    >>> out.shape
    (8, 8, 3)
    """
    area = _area_from_kwargs(area, kwargs, 'random_size_crop')
    height, width = src.shape[:2]
    box = _random_box(width, height, area, ratio)
    if box is None:
        return center_crop(src, size, interp=interp)
    return fixed_crop(src, *box, size, interp), box


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """``src`` rotated counter-clockwise by ``rotation_degrees`` about its centre,
    keeping its shape; corners that come from outside the image are 0.

    src : float32 NDArray, an image ``(C, H, W)`` or a batch ``(N, C, H, W)`` (note:
        channels first, unlike the other functions here, as in MXNet)
    rotation_degrees : a number, or for a batch one angle per image (an NDArray)
    zoom_in : scale up so that no empty corner shows
    zoom_out : scale down so that the whole rotated image shows

    The pixels are sampled bilinearly (``nd.BilinearSampler``), as MXNet does.

    >>> import d2lmini as mx
    >>> img = mx.nd.array([[[1, 2], [3, 4]]])
    >>> mx.image.imrotate(img, 180).asnumpy()[0].round(4).tolist()
    [[4.0, 3.0], [2.0, 1.0]]
    """
    if zoom_in and zoom_out:
        raise ValueError('`zoom_in` and `zoom_out` cannot be both True')
    if src.dtype != np.float32:
        raise TypeError(f'imrotate supports float32 images only, got {np.dtype(src.dtype)}')
    single = src.ndim == 3
    if single:
        if not isinstance(rotation_degrees, numeric_types):
            raise TypeError('When a single image is passed the rotation angle is required '
                            'to be a scalar.')
        src = src.expand_dims(axis=0)
    elif src.ndim != 4:
        raise ValueError(f'imrotate takes an image (C, H, W) or a batch (N, C, H, W), '
                         f'got shape {src.shape}')
    if isinstance(rotation_degrees, numeric_types):
        rotation_degrees = nd.array([rotation_degrees] * len(src), ctx=src.context)
    if len(rotation_degrees) != len(src):
        raise ValueError('The number of images must be equal to the number of rotation '
                         'angles')
    # angles (N, 1, 1), to broadcast over the sampling grid (N, H, W)
    angle = (np.pi * rotation_degrees.as_in_context(src.context) / 180)
    angle = angle.reshape((-1, 1, 1))
    _, _, h, w = src.shape
    # pixel coordinates relative to the centre, rotated, then scaled to the
    # sampler's [-1, 1] (after rotating, so that the aspect ratio is kept)
    half_h, half_w = (h - 1) / 2, (w - 1) / 2
    rows = (nd.arange(h, ctx=src.context).reshape((1, h, 1)) - half_h).broadcast_to((1, h, w))
    cols = (nd.arange(w, ctx=src.context).reshape((1, 1, w)) - half_w).broadcast_to((1, h, w))
    cos, sin = nd.cos(angle), nd.sin(angle)
    grid_x = (cols * cos - rows * sin) / half_w
    grid_y = (cols * sin + rows * cos) / half_h
    grid = nd.concat(grid_x.expand_dims(axis=1), grid_y.expand_dims(axis=1), dim=1)
    if zoom_in or zoom_out:
        grid = grid * _rotation_zoom(angle, h, w, zoom_out, src.context)
    out = nd.BilinearSampler(src, grid)
    return out[0] if single else out


def _rotation_zoom(angle, h, w, zoom_out, ctx):
    """The scale (N, 1, 1, 1) of the sampling grid that fits the rotated image's
    bounding box into the image (``zoom_out``) or the image into it (zoom in)."""
    h, w = nd.array([h], ctx=ctx), nd.array([w], ctx=ctx)
    radius = nd.sqrt(h * h + w * w)  # the corners' distance from the centre, doubled
    corner_angle = nd.arctan(h / w)
    turn = nd.abs(angle)
    # the bounding box of the rotated image, from its two corner directions
    box_w = nd.maximum(nd.abs(radius * nd.cos(corner_angle + turn)),
                       nd.abs(radius * nd.cos(corner_angle - turn)))
    box_h = nd.maximum(nd.abs(radius * nd.sin(corner_angle + turn)),
                       nd.abs(radius * nd.sin(corner_angle - turn)))
    if zoom_out:
        scale = nd.maximum(box_w / w, box_h / h)
    else:
        scale = nd.minimum(w / box_w, h / box_h)
    return scale.expand_dims(axis=3)


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """``src`` (:func:`imrotate`) rotated by an angle drawn uniformly from
    ``angle_limits`` (degrees), one per image of a batch; numpy's global generator
    draws it, as in MXNet.

    >>> import d2lmini as mx
    >>> mx.image.random_rotate(mx.nd.ones((3, 4, 4)), (-10, 10)).shape
    (3, 4, 4)
    """
    if src.ndim == 3:
        degrees = np.random.uniform(*angle_limits)
    else:
        degrees = nd.array(np.random.uniform(*angle_limits, size=src.shape[0]))
    return imrotate(src, degrees, zoom_in=zoom_in, zoom_out=zoom_out)


# ------------------------------------------------------------------ augmenters
def _json_ready(value):
    """Arrays as nested lists, so that :meth:`Augmenter.dumps` can write them."""
    if isinstance(value, NDArray):
        value = value.asnumpy()
    return value.tolist() if isinstance(value, np.ndarray) else value


class Augmenter:
    """An image transformation: ``aug(image)`` returns the new image.

    :meth:`dumps` describes it as JSON: its class name in lower case and its
    arguments.

    >>> ResizeAug(224).dumps()
    '["resizeaug", {"size": 224, "interp": 2}]'
    """

    def __init__(self, **kwargs):
        self._kwargs = {name: _json_ready(value) for name, value in kwargs.items()}

    def dumps(self):
        """The augmenter as a JSON string."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError(f'{type(self).__name__} must override __call__')


class _ChainAug(Augmenter):
    """Several augmenters ``ts`` applied one after another."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        """``[name, [dumps of each augmenter]]`` (a list, not a string)."""
        return [type(self).__name__.lower(), [aug.dumps() for aug in self.ts]]

    def _apply_all(self, src):
        for aug in self.ts:
            src = aug(src)
        return src


class SequentialAug(_ChainAug):
    """The augmenters ``ts`` one after the other.

    >>> import d2lmini as mx
    >>> flip_twice = SequentialAug([HorizontalFlipAug(1), HorizontalFlipAug(1)])
    >>> flip_twice(mx.nd.array([[[1], [2]]])).asnumpy().ravel().tolist()
    [1.0, 2.0]
    """

    def __call__(self, src):
        return self._apply_all(src)


class RandomOrderAug(_ChainAug):
    """The augmenters ``ts`` in a random order (shuffled in place on each call)."""

    def __call__(self, src):
        random.shuffle(self.ts)
        return self._apply_all(src)


class _SizeAug(Augmenter):
    """An augmenter set by a target ``size`` and an interpolation method."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp


class ResizeAug(_SizeAug):
    """Resize the shorter side to ``size`` (:func:`resize_short`)."""

    def __call__(self, src):
        return resize_short(src, self.size, interp=self.interp)


class ForceResizeAug(_SizeAug):
    """Resize to ``size`` (w, h), whatever the aspect ratio."""

    def __call__(self, src):
        return _resize_to(src, self.size, self.interp)


class RandomCropAug(_SizeAug):
    """A random crop of ``size`` (w, h) (:func:`random_crop`)."""

    def __call__(self, src):
        image, _box = random_crop(src, self.size, interp=self.interp)
        return image


class CenterCropAug(_SizeAug):
    """The centred crop of ``size`` (w, h) (:func:`center_crop`)."""

    def __call__(self, src):
        image, _box = center_crop(src, self.size, interp=self.interp)
        return image


class RandomSizedCropAug(Augmenter):
    """A crop of random size and aspect ratio (:func:`random_size_crop`)."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        self.ratio = ratio
        self.interp = interp
        self.area = _area_from_kwargs(area, kwargs, 'RandomSizedCropAug')

    def __call__(self, src):
        image, _box = random_size_crop(src, self.size, self.area, self.ratio,
                                       interp=self.interp)
        return image


# grey level = 0.299 R + 0.587 G + 0.114 B (ITU-R 601), as a (1, 1, 3) array
_GREY_WEIGHTS = ((0.299, 0.587, 0.114),)


def _jitter(amount):
    """A factor drawn uniformly from ``[1 - amount, 1 + amount]``."""
    return 1.0 + random.uniform(-amount, amount)


class BrightnessJitterAug(Augmenter):
    """Multiply by a factor drawn from ``[1 - brightness, 1 + brightness]``."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        src *= _jitter(self.brightness)
        return src


class ContrastJitterAug(Augmenter):
    """Blend with the image's mean grey level, by a factor drawn from
    ``[1 - contrast, 1 + contrast]``."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = nd.array([_GREY_WEIGHTS])

    def __call__(self, src):
        factor = _jitter(self.contrast)
        weighted = src * self.coef
        # the mean grey level is 3 * mean(weighted): each pixel's grey is a sum of 3
        mean_grey = (3.0 * (1.0 - factor) / weighted.size) * nd.sum(weighted)
        src *= factor
        src += mean_grey
        return src


class SaturationJitterAug(Augmenter):
    """Blend each pixel with its grey level, by a factor drawn from
    ``[1 - saturation, 1 + saturation]``."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = nd.array([_GREY_WEIGHTS])

    def __call__(self, src):
        factor = _jitter(self.saturation)
        grey = (src * self.coef).sum(axis=2, keepdims=True)
        grey *= 1.0 - factor
        src *= factor
        src += grey
        return src


# RGB to YIQ (luma and two chroma axes) and back; a hue shift turns the chroma plane
_RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.321), (0.211, -0.523, 0.311))
_YIQ_TO_RGB = ((1.0, 0.956, 0.621), (1.0, -0.272, -0.647), (1.0, -1.107, 1.705))


class HueJitterAug(Augmenter):
    """Rotate the hue by an angle drawn from ``[-hue, hue]`` (times pi), in YIQ space."""

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue
        self.tyiq = np.array(_RGB_TO_YIQ)
        self.ityiq = np.array(_YIQ_TO_RGB)

    def __call__(self, src):
        angle = random.uniform(-self.hue, self.hue) * np.pi
        cos, sin = np.cos(angle), np.sin(angle)
        turn_chroma = np.array([[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]])
        # pixels are rows, so the colour transform multiplies from the right, transposed
        transform = self.ityiq.dot(turn_chroma).dot(self.tyiq).T
        return nd.dot(src, nd.array(transform, ctx=src.context))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter, in a random order."""

    def __init__(self, brightness, contrast, saturation):
        jitters = ((BrightnessJitterAug, brightness), (ContrastJitterAug, contrast),
                   (SaturationJitterAug, saturation))
        super().__init__([kind(amount) for kind, amount in jitters if amount > 0])


class LightingAug(Augmenter):
    """AlexNet's PCA lighting noise: add ``eigvec @ (alpha * eigval)`` with ``alpha``
    drawn from N(0, alphastd) per component."""

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src):
        weights = np.random.normal(0, self.alphastd, size=(3,))
        shift = np.dot(self.eigvec * weights, self.eigval)
        src += nd.array(shift, ctx=src.context)
        return src


def _as_nd(value):
    return value if value is None or isinstance(value, NDArray) else nd.array(value)


class ColorNormalizeAug(Augmenter):
    """Subtract ``mean`` and divide by ``std`` (:func:`color_normalize`)."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean = _as_nd(mean)
        self.std = _as_nd(std)

    def __call__(self, src):
        return color_normalize(src, mean=self.mean, std=self.std)


class _CoinFlipAug(Augmenter):
    """Transforms the image (:meth:`_transform`) with probability ``p``."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        return self._transform(src) if random.random() < self.p else src


class RandomGrayAug(_CoinFlipAug):
    """With probability ``p``, replace the image by its grey levels (in 3 channels)."""

    def __init__(self, p):
        super().__init__(p)
        # each output channel gets 0.21 R + 0.72 G + 0.07 B
        self.mat = nd.array(np.repeat([[0.21], [0.72], [0.07]], 3, axis=1))

    def _transform(self, src):
        return nd.dot(src, self.mat.as_in_context(src.context))


class HorizontalFlipAug(_CoinFlipAug):
    """With probability ``p``, flip left to right."""

    def _transform(self, src):
        return nd.flip(src, axis=1)


class CastAug(Augmenter):
    """Convert to dtype ``typ``."""

    def __init__(self, typ='float32'):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ)


# ImageNet's channel means and standard deviations (RGB, 0..255), and the PCA of its
# pixel colours (eigenvalues; eigenvectors as columns) for LightingAug
_IMAGENET_MEAN = (123.68, 116.28, 103.53)
_IMAGENET_STD = (58.395, 57.12, 57.375)
_IMAGENET_EIGVAL = (55.46, 4.794, 1.148)
_IMAGENET_EIGVEC = ((-0.5675, 0.7192, 0.4009), (-0.5808, -0.0045, -0.8140),
                    (-0.5836, -0.6948, 0.4203))


def _channel_stats(value, imagenet):
    """``True`` means ImageNet's values; otherwise None or one value per channel."""
    if value is True:
        return nd.array(imagenet)
    if value is not None:
        assert isinstance(value, (np.ndarray, NDArray)) and value.shape[0] in (1, 3), \
            'mean and std need 1 or 3 values (numpy.ndarray or NDArray)'
    return value


def _crop_augmenter(crop_size, rand_crop, rand_resize, inter_method):
    if rand_resize:
        assert rand_crop, 'rand_resize needs rand_crop'
        return RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method)
    crop = RandomCropAug if rand_crop else CenterCropAug
    return crop(crop_size, inter_method)


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False,
                    rand_mirror=False, mean=None, std=None, brightness=0, contrast=0,
                    saturation=0, hue=0, pca_noise=0, rand_gray=0, inter_method=2):
    """MXNet's standard list of augmenters for images of ``data_shape`` (C, H, W):
    resize, crop (random, random-size or centred), mirror, cast to float32, colour
    jitter, hue, PCA noise, grey, normalise. ``mean=True`` / ``std=True`` use
    ImageNet's values.

    >>> [a.__class__.__name__ for a in CreateAugmenter((3, 224, 224), resize=256,
    ...                                                rand_mirror=True, mean=True)]
    ['ResizeAug', 'CenterCropAug', 'HorizontalFlipAug', 'CastAug', 'ColorNormalizeAug']
    """
    height, width = data_shape[1], data_shape[2]
    mean = _channel_stats(mean, _IMAGENET_MEAN)
    std = _channel_stats(std, _IMAGENET_STD)
    # in order; None marks a step that is switched off
    steps = [
        ResizeAug(resize, inter_method) if resize > 0 else None,
        _crop_augmenter((width, height), rand_crop, rand_resize, inter_method),
        HorizontalFlipAug(0.5) if rand_mirror else None,
        CastAug(),
        ColorJitterAug(brightness, contrast, saturation)
        if brightness or contrast or saturation else None,
        HueJitterAug(hue) if hue else None,
        LightingAug(pca_noise, np.array(_IMAGENET_EIGVAL), np.array(_IMAGENET_EIGVEC))
        if pca_noise > 0 else None,
        RandomGrayAug(rand_gray) if rand_gray > 0 else None,
        ColorNormalizeAug(mean, std) if mean is not None or std is not None else None,
    ]
    return [step for step in steps if step is not None]


def _entry_label(entry):
    """The label(s) of an ``imglist`` entry ``[label(s)..., path]``."""
    if len(entry) > 2:
        return entry[:-1]
    return [entry[0]] if isinstance(entry[0], numeric_types) else entry[0]


# ------------------------------------------------------------------ ImageIter
class ImageIter(io.DataIter):
    """Batches ``(batch_size, C, H, W)`` float32 of augmented images, with their labels.

    The images come from a RecordIO file (``path_imgrec``, with ``path_imgidx`` for
    random access and shuffling), or from files under ``path_root`` listed in
    ``path_imglist`` (a ``.lst`` file: ``index<TAB>label(s)<TAB>path`` per line) or
    in ``imglist`` (a list of ``[label(s), path]``). A list given together with a
    RecordIO file supplies the labels.

    aug_list : the augmenters; by default ``CreateAugmenter(data_shape, **kwargs)``
    last_batch_handle : 'pad' (fill the last batch by starting over, ``pad`` says how
        many), 'discard' (drop it) or 'roll_over' (carry it into the next epoch)

    >>> import os, tempfile
    >>> import d2lmini as mx
    >>> from d2lmini.image import codec
    >>> root = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     with open(os.path.join(root, f'{i}.png'), 'wb') as f:
    ...         _ = f.write(codec.encode(np.full((8, 8, 3), 50 * i, np.uint8), '.png'))
    >>> it = ImageIter(2, (3, 4, 4), imglist=[[i, f'{i}.png'] for i in range(3)],
    ...                path_root=root)
    >>> [(b.data[0].shape, b.label[0].asnumpy().tolist(), b.pad) for b in it]
    [((2, 3, 4, 4), [0.0, 1.0], 0), ((2, 3, 4, 4), [2.0, 0.0], 1)]
    """

    def __init__(self, batch_size, data_shape, label_width=1, path_imgrec=None,
                 path_imglist=None, path_root=None, path_imgidx=None, shuffle=False,
                 part_index=0, num_parts=1, aug_list=None, imglist=None, data_name='data',
                 label_name='softmax_label', dtype='float32', last_batch_handle='pad',
                 **kwargs):
        super().__init__(batch_size)
        assert path_imgrec or path_imglist or isinstance(imglist, list), \
            'ImageIter needs path_imgrec, path_imglist or imglist'
        assert dtype in ('int32', 'float32', 'int64', 'float64'), f'{dtype} label not supported'
        assert last_batch_handle in ('pad', 'discard', 'roll_over'), last_batch_handle
        self.imgrec, self.imgidx = self._open_recordio(path_imgrec, path_imgidx)
        self.imglist, keys = self._load_labels(path_imglist, imglist, dtype)
        self.path_root = path_root

        self.check_data_shape(data_shape)
        self.batch_size = batch_size
        self.data_shape = tuple(data_shape)
        self.label_width = label_width
        self.provide_data = [(data_name, (batch_size,) + self.data_shape)]
        label_shape = (batch_size, label_width) if label_width > 1 else (batch_size,)
        self.provide_label = [(label_name, label_shape)]
        self.shuffle = shuffle
        self.dtype = dtype
        self.last_batch_handle = last_batch_handle
        self.seq = self._reading_order(keys, shuffle, bool(path_imgidx), part_index, num_parts)
        self.num_image = None if self.seq is None else len(self.seq)
        self.auglist = aug_list if aug_list is not None else CreateAugmenter(data_shape, **kwargs)

        self.cur = 0                # position in seq
        self._allow_read = True     # False once a padded last batch has ended the epoch
        self._carried = None        # 'roll_over': (data, labels, rows filled) of a short batch
        self.reset()

    # -- where the images come from
    def _open_recordio(self, path_imgrec, path_imgidx):
        """``(record reader, list of its keys)``; the keys (random access) need the
        index file ``path_imgidx``."""
        if not path_imgrec:
            return None, None
        logging.info('%s: loading recordio %s...', type(self).__name__, path_imgrec)
        if not path_imgidx:
            return recordio.MXRecordIO(path_imgrec, 'r'), None
        reader = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
        return reader, list(reader.keys)

    def _load_labels(self, path_imglist, imglist, dtype):
        """``({key: (label, path)}, keys in order)`` from a ``.lst`` file or a list;
        ``(None, [])`` without either."""
        if not path_imglist and not isinstance(imglist, list):
            return None, []
        owner = type(self).__name__
        if path_imglist:
            logging.info('%s: loading image list %s...', owner, path_imglist)
            with open(path_imglist) as lst:
                rows = [line.strip().split('\t') for line in lst]
            # index, label(s), path
            entries = [(int(row[0]), [float(v) for v in row[1:-1]], row[-1]) for row in rows]
        else:
            logging.info('%s: loading image list...', owner)
            # keys are the strings '1', '2', ..., as in MXNet
            entries = [(str(n), _entry_label(entry), entry[-1])
                       for n, entry in enumerate(imglist, start=1)]
        table = {key: (nd.array(label, dtype=dtype), path) for key, label, path in entries}
        return table, [key for key, _, _ in entries]

    def _reading_order(self, keys, shuffle, indexed, part_index, num_parts):
        """The keys to read, in order (this part's share of them), or None to read
        the RecordIO file from front to back."""
        if self.imgrec is None:
            order = keys
        elif shuffle or indexed or num_parts > 1:
            assert self.imgidx is not None, 'shuffle and num_parts need path_imgidx'
            order = self.imgidx
        else:
            return None
        if num_parts > 1:
            assert part_index < num_parts
            share = len(order) // num_parts
            order = order[share * part_index:share * (part_index + 1)]
        return order

    # -- epochs
    def _start_epoch(self, rewind=True):
        if self.shuffle and self.seq is not None:
            random.shuffle(self.seq)
        if rewind:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def reset(self):
        """Start a new epoch (reshuffled when ``shuffle``); a batch that 'roll_over'
        carries keeps its place."""
        self._start_epoch(rewind=self._carried is None)

    def hard_reset(self):
        """Start a new epoch, dropping what 'roll_over' carried."""
        self._start_epoch()
        self._carried = None

    # -- reading
    def next_sample(self):
        """``(label, encoded image bytes)`` of the next image."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:
            return self._next_record()
        if self.cur >= self.num_image:
            self._out_of_data()
        key = self.seq[self.cur]
        self.cur += 1
        if self.imgrec is None:
            label, path = self.imglist[key]
            return label, self.read_image(path)
        header, image = recordio.unpack(self.imgrec.read_idx(key))
        return (header.label if self.imglist is None else self.imglist[key][0]), image

    def _next_record(self):
        """The next record of a RecordIO file read in order."""
        record = self.imgrec.read()
        if record is None:
            self._out_of_data()
        header, image = recordio.unpack(record)
        return header.label, image

    def _out_of_data(self):
        """End the epoch. Unless 'discard', reading starts over: a short last batch
        is topped up from the start."""
        if self.last_batch_handle != 'discard':
            if self.seq is None:
                self.imgrec.reset()
            else:
                self.cur = 0
        raise StopIteration

    def _add_sample(self, data, labels, row):
        """Read, decode and augment the next image into ``data[row]``; False if it
        was skipped as invalid."""
        label, encoded = self.next_sample()
        image = self.imdecode(encoded)
        try:
            self.check_valid_image(image)
        except RuntimeError as err:
            logging.debug('Invalid image, skipping:  %s', err)
            return False
        data[row] = self.postprocess_data(self.augmentation_transform(image))
        labels[row] = np.asarray(_numpy(label), dtype=np.float64).reshape(labels.shape[1:])
        return True

    def _fill(self, data, labels, start=0):
        """Fill the rows from ``start`` on; how many rows hold images. StopIteration
        only when not even one does."""
        row = start
        try:
            while row < self.batch_size:
                if self._add_sample(data, labels, row):
                    row += 1
        except StopIteration:
            if row == 0:
                raise
        return row

    def next(self):
        """The next :class:`~d2lmini.io.DataBatch`."""
        if self._carried is None:
            data = np.zeros((self.batch_size,) + self.data_shape, np.float32)
            labels = np.zeros(self.provide_label[0][1], np.dtype(self.dtype))
            filled = self._fill(data, labels)
        else:
            data, labels, filled = self._carried
        pad = self.batch_size - filled
        if pad:
            self._complete_last_batch(data, labels, filled)
        return io.DataBatch([nd.array(data)], [nd.array(labels, dtype=self.dtype)], pad=pad)

    def _complete_last_batch(self, data, labels, filled):
        """A batch short of images ends the epoch: 'discard' drops it; 'roll_over'
        keeps it for the next epoch, which tops it up; 'pad' tops it up at once from
        the start of the data (``pad`` of the batch counts those rows)."""
        handle = self.last_batch_handle
        if handle == 'discard':
            raise StopIteration
        if handle == 'roll_over' and self._carried is None:
            self._carried = (data, labels, filled)
            raise StopIteration
        self._fill(data, labels, filled)
        if handle == 'roll_over':
            self._carried = None
        else:
            self._allow_read = False

    # -- hooks that subclasses may override
    def check_data_shape(self, data_shape):
        """Raise ValueError unless ``data_shape`` is ``(3, H, W)``."""
        if len(data_shape) != 3:
            raise ValueError(f'data_shape should have length 3, with dimensions CxHxW; '
                             f'got {data_shape}')
        if data_shape[0] != 3:
            raise ValueError(f'This iterator expects inputs to have 3 channels, '
                             f'not {data_shape[0]}.')

    def check_valid_image(self, data):
        """Raise RuntimeError for an image of no size."""
        if not data[0].shape:
            raise RuntimeError(f'Data shape is wrong: {data.shape}')

    def imdecode(self, s):
        """Decode ``s``; a broken image raises RuntimeError naming it."""
        try:
            return imdecode(s)
        except Exception as err:
            raise RuntimeError(f'Broken image {self._last_read()}, {err}') from err

    def _last_read(self):
        """The file name, or else the key, of the image read last."""
        if self.seq is None:
            key = self.cur - 1
        else:
            key = self.seq[self.cur % self.num_image - 1]
        if self.imglist is not None and key in self.imglist:
            return f'filename: {self.imglist[key][1]}'
        return f'index: {key}'

    def read_image(self, fname):
        """The bytes of image file ``fname`` under ``path_root``."""
        with open(os.path.join(self.path_root or '', fname), 'rb') as image_file:
            return image_file.read()

    def augmentation_transform(self, data):
        """``data`` passed through every augmenter."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """HWC to CHW, as numpy."""
        return _numpy(datum).transpose(2, 0, 1)
