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
from ..base import MXNetError, numeric_types
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
    return src.asnumpy() if isinstance(src, NDArray) else np.asarray(src)


def _like(data, src):
    ctx = src.context if isinstance(src, NDArray) else None
    return nd.array(data, ctx=ctx, dtype=data.dtype)


def _decoded(arr, flag, to_rgb):
    if flag < 0:
        raise MXNetError(f'value {flag} for Parameter flag should be greater equal to 0\n'
                         'flag: Convert decoded image to grayscale (0) or color (1).')
    if not to_rgb and arr.shape[2] == 3:
        arr = np.ascontiguousarray(arr[..., ::-1])
    return nd.array(arr, dtype=np.uint8)


def imread(filename, flag=1, to_rgb=True, **kwargs):
    """The image in file ``filename`` as an NDArray ``(H, W, C)`` uint8.

    flag : 1 colour (C = 3), 0 greyscale (C = 1)
    to_rgb : RGB channel order (True) or OpenCV's BGR (False)

    Decoded with Pillow, in OpenCV's conventions (:mod:`d2lmini.image.codec`): PNG
    and JPEG files give MXNet's pixels.
    """
    if flag < 0:
        _decoded(None, flag, to_rgb)
    try:
        with open(filename, 'rb') as f:
            buf = f.read()
    except OSError as e:
        raise MXNetError(f"Imread: '{filename}' couldn't open file: {e.strerror}") from e
    return _decoded(codec.decode(buf, 1 if flag > 0 else 0), flag, to_rgb)


def imdecode(buf, flag=1, to_rgb=True, **kwargs):
    """Decode the bytes of an image file (JPEG, PNG, ...) into an NDArray ``(H, W, C)``
    uint8; ``flag`` and ``to_rgb`` as in :func:`imread`.

    >>> import d2lmini as mx
    >>> from d2lmini.image import codec
    >>> png = codec.encode(np.full((2, 3, 3), 200, np.uint8), '.png')
    >>> mx.image.imdecode(png).shape
    (2, 3, 3)
    """
    if isinstance(buf, NDArray):
        buf = buf.asnumpy().astype(np.uint8).tobytes()
    elif isinstance(buf, np.ndarray):
        buf = buf.astype(np.uint8, copy=False).tobytes()
    elif not isinstance(buf, (bytes, bytearray)):
        raise ValueError('buf must be of type bytes, bytearray or numpy.ndarray,'
                         'if you would like to input type str, please convert to bytes')
    if flag < 0:
        _decoded(None, flag, to_rgb)
    return _decoded(codec.decode(buf, 1 if flag > 0 else 0), flag, to_rgb)


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
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


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
    if interp == 9:
        if sizes:
            assert len(sizes) == 4
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError('Unknown interp method %d' % interp)
    return interp


def resize_short(src, size, interp=2):
    """``src`` resized so that its shorter side is ``size``, keeping the aspect ratio.

    >>> import d2lmini as mx
    >>> mx.image.resize_short(mx.nd.zeros((40, 60, 3), dtype='uint8'), 20).shape
    (20, 30, 3)
    """
    h, w, _ = src.shape
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """The ``w`` by ``h`` region of ``src`` whose top-left corner is ``(x0, y0)``,
    resized to ``size`` (w, h) when given."""
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != size:
        sizes = (h, w, size[1], size[0])
        out = imresize(out, *size, interp=_get_interp_method(interp, sizes))
    return out


def random_crop(src, size, interp=2):
    """A crop of ``size`` (w, h) at a random place (scaled down to fit first, then
    resized back to ``size``); returns ``(image, (x0, y0, w, h))``."""
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
    return out, (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """Like :func:`random_crop`, but the crop is centred."""
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
    return out, (x0, y0, new_w, new_h)


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


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """A crop of random area (the fraction ``area`` of the image, or a fraction drawn
    from the range ``area``) and aspect ratio (drawn log-uniformly from ``ratio``),
    resized to ``size``; after 10 failed draws, :func:`center_crop`. Returns
    ``(image, (x0, y0, w, h))``."""
    h, w, _ = src.shape
    src_area = h * w
    if 'min_area' in kwargs:
        warnings.warn('`min_area` is deprecated. Please use `area` instead.',
                      DeprecationWarning)
        area = kwargs.pop('min_area')
    assert not kwargs, 'unexpected keyword arguments for `random_size_crop`.'
    if isinstance(area, numeric_types):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
            return out, (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


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
    if len(src) != len(rotation_degrees):
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
class Augmenter:
    """An image transformation: ``aug(image)`` returns the new image.

    :meth:`dumps` describes it as JSON: its class name in lower case and its
    arguments.

    >>> ResizeAug(224).dumps()
    '["resizeaug", {"size": 224, "interp": 2}]'
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        for k, v in self._kwargs.items():
            if isinstance(v, NDArray):
                v = v.asnumpy()
            if isinstance(v, np.ndarray):
                self._kwargs[k] = v.tolist()

    def dumps(self):
        """The augmenter as a JSON string."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError('Must override implementation.')


class SequentialAug(Augmenter):
    """The augmenters ``ts`` one after the other."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def __call__(self, src):
        for aug in self.ts:
            src = aug(src)
        return src


class ResizeAug(Augmenter):
    """Resize the shorter side to ``size`` (:func:`resize_short`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """Resize to ``size`` (w, h), whatever the aspect ratio."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        sizes = (src.shape[0], src.shape[1], self.size[1], self.size[0])
        return imresize(src, *self.size, interp=_get_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """A random crop of ``size`` (w, h) (:func:`random_crop`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """A crop of random size and aspect ratio (:func:`random_size_crop`)."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        if 'min_area' in kwargs:
            warnings.warn('`min_area` is deprecated. Please use `area` instead.',
                          DeprecationWarning)
            self.area = kwargs.pop('min_area')
        else:
            self.area = area
        self.ratio = ratio
        self.interp = interp
        assert not kwargs, 'unexpected keyword arguments for `RandomSizedCropAug`.'

    def __call__(self, src):
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(Augmenter):
    """The centred crop of ``size`` (w, h) (:func:`center_crop`)."""

    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src):
        return center_crop(src, self.size, self.interp)[0]


class RandomOrderAug(Augmenter):
    """The augmenters ``ts`` in a random order (shuffled in place on each call)."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.ts]]

    def __call__(self, src):
        random.shuffle(self.ts)
        for t in self.ts:
            src = t(src)
        return src


_GRAY_COEF = [[[0.299, 0.587, 0.114]]]


class BrightnessJitterAug(Augmenter):
    """Multiply by a factor drawn from ``[1 - brightness, 1 + brightness]``."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        src *= alpha
        return src


class ContrastJitterAug(Augmenter):
    """Blend with the image's mean grey level, by a factor drawn from
    ``[1 - contrast, 1 + contrast]``."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = nd.array(_GRAY_COEF)

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        gray = src * self.coef
        gray = (3.0 * (1.0 - alpha) / gray.size) * nd.sum(gray)
        src *= alpha
        src += gray
        return src


class SaturationJitterAug(Augmenter):
    """Blend each pixel with its grey level, by a factor drawn from
    ``[1 - saturation, 1 + saturation]``."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = nd.array(_GRAY_COEF)

    def __call__(self, src):
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        gray = src * self.coef
        gray = nd.sum(gray, axis=2, keepdims=True)
        gray *= (1.0 - alpha)
        src *= alpha
        src += gray
        return src


class HueJitterAug(Augmenter):
    """Rotate the hue by an angle drawn from ``[-hue, hue]`` (times pi), in YIQ space."""

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue
        self.tyiq = np.array([[0.299, 0.587, 0.114],
                              [0.596, -0.274, -0.321],
                              [0.211, -0.523, 0.311]])
        self.ityiq = np.array([[1.0, 0.956, 0.621],
                               [1.0, -0.272, -0.647],
                               [1.0, -1.107, 1.705]])

    def __call__(self, src):
        alpha = random.uniform(-self.hue, self.hue)
        u = np.cos(alpha * np.pi)
        w = np.sin(alpha * np.pi)
        bt = np.array([[1.0, 0.0, 0.0],
                       [0.0, u, -w],
                       [0.0, w, u]])
        t = np.dot(np.dot(self.ityiq, bt), self.tyiq).T
        return nd.dot(src, nd.array(t, ctx=src.context))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter, in a random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """AlexNet's PCA lighting noise: add ``eigvec @ (alpha * eigval)`` with ``alpha``
    drawn from N(0, alphastd) per component."""

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = np.dot(self.eigvec * alpha, self.eigval)
        src += nd.array(rgb, ctx=src.context)
        return src


class ColorNormalizeAug(Augmenter):
    """Subtract ``mean`` and divide by ``std`` (:func:`color_normalize`)."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean = mean if mean is None or isinstance(mean, NDArray) else nd.array(mean)
        self.std = std if std is None or isinstance(std, NDArray) else nd.array(std)

    def __call__(self, src):
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability ``p``, replace the image by its grey levels (in 3 channels)."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p
        self.mat = nd.array([[0.21, 0.21, 0.21],
                             [0.72, 0.72, 0.72],
                             [0.07, 0.07, 0.07]])

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.dot(src, self.mat.as_in_context(src.context))
        return src


class HorizontalFlipAug(Augmenter):
    """With probability ``p``, flip left to right."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
        return src


class CastAug(Augmenter):
    """Convert to dtype ``typ``."""

    def __init__(self, typ='float32'):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ)


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
    auglist = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        assert rand_crop
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0),
                                          inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009],
                           [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        auglist.append(LightingAug(pca_noise, eigval, eigvec))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    if mean is True:
        mean = nd.array([123.68, 116.28, 103.53])
    elif mean is not None:
        assert isinstance(mean, (np.ndarray, NDArray)) and mean.shape[0] in [1, 3]
    if std is True:
        std = nd.array([58.395, 57.12, 57.375])
    elif std is not None:
        assert isinstance(std, (np.ndarray, NDArray)) and std.shape[0] in [1, 3]
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist


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
        assert path_imgrec or path_imglist or isinstance(imglist, list)
        assert dtype in ['int32', 'float32', 'int64', 'float64'], dtype + ' label not supported'
        assert last_batch_handle in ('pad', 'discard', 'roll_over'), last_batch_handle
        class_name = self.__class__.__name__
        if path_imgrec:
            logging.info('%s: loading recordio %s...', class_name, path_imgrec)
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, 'r')
                self.imgidx = None
        else:
            self.imgrec = None

        imgkeys = []
        if path_imglist:
            logging.info('%s: loading image list %s...', class_name, path_imglist)
            with open(path_imglist) as fin:
                self.imglist = {}
                for line in iter(fin.readline, ''):
                    line = line.strip().split('\t')
                    label = nd.array([float(v) for v in line[1:-1]], dtype=dtype)
                    key = int(line[0])
                    self.imglist[key] = (label, line[-1])
                    imgkeys.append(key)
        elif isinstance(imglist, list):
            logging.info('%s: loading image list...', class_name)
            self.imglist = {}
            for index, img in enumerate(imglist, 1):
                key = str(index)
                if len(img) > 2:
                    label = nd.array(img[:-1], dtype=dtype)
                elif isinstance(img[0], numeric_types):
                    label = nd.array([img[0]], dtype=dtype)
                else:
                    label = nd.array(img[0], dtype=dtype)
                self.imglist[key] = (label, img[-1])
                imgkeys.append(key)
        else:
            self.imglist = None
        self.path_root = path_root

        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + tuple(data_shape))]
        if label_width > 1:
            self.provide_label = [(label_name, (batch_size, label_width))]
        else:
            self.provide_label = [(label_name, (batch_size,))]
        self.batch_size = batch_size
        self.data_shape = tuple(data_shape)
        self.label_width = label_width
        self.shuffle = shuffle
        self.dtype = dtype
        if self.imgrec is None:
            self.seq = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            assert self.imgidx is not None
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            assert part_index < num_parts
            n = len(self.seq) // num_parts
            self.seq = self.seq[part_index * n:(part_index + 1) * n]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data = None
        self._cache_label = None
        self._cache_idx = None
        self.reset()

    def reset(self):
        """Start a new epoch (reshuffled when ``shuffle``)."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != 'roll_over' or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """Start a new epoch, dropping what 'roll_over' carried."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = self._cache_label = self._cache_idx = None

    def next_sample(self):
        """``(label, encoded image bytes)`` of the next image."""
        if self._allow_read is False:
            raise StopIteration
        if self.seq is not None:
            if self.cur < self.num_image:
                idx = self.seq[self.cur]
            else:
                if self.last_batch_handle != 'discard':
                    self.cur = 0
                raise StopIteration
            self.cur += 1
            if self.imgrec is not None:
                header, img = recordio.unpack(self.imgrec.read_idx(idx))
                if self.imglist is None:
                    return header.label, img
                return self.imglist[idx][0], img
            label, fname = self.imglist[idx]
            return label, self.read_image(fname)
        s = self.imgrec.read()
        if s is None:
            if self.last_batch_handle != 'discard':
                self.imgrec.reset()
            raise StopIteration
        header, img = recordio.unpack(s)
        return header.label, img

    def _batchify(self, batch_data, batch_label, start=0):
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image(data)
                except RuntimeError as e:
                    logging.debug('Invalid image, skipping:  %s', str(e))
                    continue
                data = self.augmentation_transform(data)
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = np.asarray(_numpy(label), dtype=np.float64).reshape(
                    batch_label.shape[1:])
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self):
        """The next :class:`~d2lmini.io.DataBatch`."""
        c, h, w = self.data_shape
        if self._cache_data is not None:
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data = np.zeros((self.batch_size, c, h, w), np.float32)
            batch_label = np.zeros(self.provide_label[0][1], np.dtype(self.dtype))
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad != 0:
            if self.last_batch_handle == 'discard':
                raise StopIteration
            if self.last_batch_handle == 'roll_over' and self._cache_data is None:
                self._cache_data, self._cache_label, self._cache_idx = \
                    batch_data, batch_label, i
                raise StopIteration
            self._batchify(batch_data, batch_label, i)
            if self.last_batch_handle == 'pad':
                self._allow_read = False
            else:
                self._cache_data = self._cache_label = self._cache_idx = None
        return io.DataBatch([nd.array(batch_data)],
                            [nd.array(batch_label, dtype=self.dtype)], pad=pad)

    def check_data_shape(self, data_shape):
        """Raise ValueError unless ``data_shape`` is ``(3, H, W)``."""
        if not len(data_shape) == 3:
            raise ValueError('data_shape should have length 3, with dimensions CxHxW')
        if not data_shape[0] == 3:
            raise ValueError('This iterator expects inputs to have 3 channels.')

    def check_valid_image(self, data):
        """Raise RuntimeError for an image of no size."""
        if len(data[0].shape) == 0:
            raise RuntimeError('Data shape is wrong')

    def imdecode(self, s):
        """Decode ``s``; a broken image raises RuntimeError naming it."""
        try:
            return imdecode(s)
        except Exception as e:
            idx = (self.seq[(self.cur % self.num_image) - 1] if self.seq is not None
                   else self.cur - 1)
            if self.imglist is not None and idx in self.imglist:
                where = 'filename: {}'.format(self.imglist[idx][1])
            else:
                where = 'index: {}'.format(idx)
            raise RuntimeError('Broken image {}, {}'.format(where, e)) from e

    def read_image(self, fname):
        """The bytes of image file ``fname`` under ``path_root``."""
        with open(os.path.join(self.path_root or '', fname), 'rb') as fin:
            return fin.read()

    def augmentation_transform(self, data):
        """``data`` passed through every augmenter."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """HWC to CHW, as numpy."""
        return np.transpose(_numpy(datum), (2, 0, 1))
