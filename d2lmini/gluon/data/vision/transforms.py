"""Image transforms for ``Dataset.transform_first`` and ``Compose``.

Images are NDArrays laid out as MXNet's image functions expect: ``(H, W, C)``
(height, width, channels), usually uint8 in 0..255, or a batch ``(N, H, W, C)``.
:class:`ToTensor` turns them into the ``(C, H, W)`` float32 tensors in 0..1 that
convolutions want; :class:`Normalize` works on those.

The random transforms augment training data: flips, crops (:class:`RandomResizedCrop`)
and colour changes (:class:`RandomColorJitter`, :class:`RandomLighting`, ...), which
compute what MXNet's C++ operators compute, uint8 truncation included.

The transforms run on the CPU with numpy, which is where a data pipeline runs, and
give NDArrays on the input's context.

>>> import numpy as np
>>> import d2lmini as mx
>>> from d2lmini.gluon.data.vision import transforms
>>> img = mx.nd.array(np.full((28, 28, 1), 255), dtype='uint8')
>>> t = transforms.Compose([transforms.Resize(32), transforms.ToTensor(),
...                         transforms.Normalize(0.5, 0.5)])
>>> out = t(img)
>>> out.shape, out.dtype.__name__, float(out.asnumpy().max())
((1, 32, 32), 'float32', 1.0)
"""
import numbers
import random

import numpy as np

from .... import image
from .... import ndarray as nd
from ....base import MXNetError, ShapeError, as_dtype, shape_str
from ....image.image import _get_interp_method
from ....image.resize import resize as _cv_resize
from ....ndarray import NDArray

__all__ = ['Compose', 'Cast', 'ToTensor', 'Normalize', 'Resize', 'CropResize', 'CenterCrop',
           'RandomResizedCrop', 'RandomFlipLeftRight', 'RandomFlipTopBottom',
           'RandomBrightness', 'RandomContrast', 'RandomSaturation', 'RandomHue',
           'RandomColorJitter', 'RandomLighting', 'Rotate', 'RandomRotation', 'RandomApply']

NEAREST, BILINEAR = 0, 1  # OpenCV's numbers for interpolation methods, as MXNet uses


def _image(name, x, ranks, layout):
    """``x`` as a numpy array, after checking that it is an image of a rank in ``ranks``."""
    if isinstance(x, NDArray):
        data = x.asnumpy()
    elif isinstance(x, np.ndarray):
        data = x
    else:
        raise TypeError(f'{name} expects an image NDArray, got {type(x).__name__}')
    if data.ndim not in ranks:
        want = ' or '.join(f'{r}-D' for r in ranks)
        # an MXNetError as MXNet's image operators raise, and a ValueError as well
        raise ShapeError(f'{name}: input must be a {want} image of layout {layout}, '
                         f'but got shape {shape_str(data.shape)}')
    if data.dtype == np.bool_:
        raise TypeError(f'{name}: input of shape {shape_str(data.shape)} has dtype bool, '
                        'not a number type')
    return data


def _result(data, like):
    """``data`` as an NDArray on the context of input ``like``."""
    ctx = like.context if isinstance(like, NDArray) else None
    return nd.array(data, ctx=ctx, dtype=data.dtype)


class Compose:
    """Apply ``transforms`` one after the other.

    >>> Compose([lambda x: x + 1, lambda x: x * 10])(1)
    20
    """

    def __init__(self, transforms):
        self._transforms = list(transforms)

    def __call__(self, x):
        for t in self._transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = ''.join(f'\n  ({i}): {t!r}' for i, t in enumerate(self._transforms))
        return f'Compose({inner}\n)'


class Cast:
    """Convert to ``dtype`` (default float32).

    >>> import d2lmini as mx
    >>> Cast('float16')(mx.nd.ones((2, 2), dtype='uint8')).dtype.__name__
    'float16'
    """

    def __init__(self, dtype='float32'):
        self._dtype = as_dtype(dtype)

    def __call__(self, x):
        if isinstance(x, NDArray):
            return x.astype(self._dtype)
        return _result(np.asarray(x).astype(self._dtype), x)

    def __repr__(self):
        return f'Cast({self._dtype.name})'


class ToTensor:
    """An image ``(H, W, C)`` in 0..255 to a float32 tensor ``(C, H, W)`` in 0..1
    (a batch ``(N, H, W, C)`` to ``(N, C, H, W)``).

    >>> import d2lmini as mx
    >>> ToTensor()(mx.nd.full((2, 3, 1), 255, dtype='uint8')).shape
    (1, 2, 3)
    """

    def __call__(self, x):
        data = _image('ToTensor', x, (3, 4), '(H, W, C) or (N, H, W, C)')
        # channels move from last to first place: (.., H, W, C) -> (.., C, H, W)
        data = np.moveaxis(data, -1, -3).astype(np.float32) / np.float32(255)
        return _result(data, x)

    def __repr__(self):
        return 'ToTensor()'


class Normalize:
    """``(x - mean) / std`` per channel of a float tensor ``(C, H, W)`` or
    ``(N, C, H, W)``; ``mean`` and ``std`` are numbers or one value per channel.

    >>> import d2lmini as mx
    >>> Normalize(mean=(0.5, 0.), std=(0.5, 2.))(mx.nd.ones((2, 1, 1))).asnumpy().ravel()
    array([1. , 0.5], dtype=float32)
    """

    def __init__(self, mean=0.0, std=1.0):
        self._mean, self._std = mean, std

    def _per_channel(self, what, value, channels, shape):
        v = np.asarray(value, dtype=np.float64).reshape(-1)
        if v.size not in (1, channels):
            raise ShapeError(f'Normalize: {what} must have either 1 or {channels} elements '
                             f'for input of shape {shape_str(shape)}, but got {v.size}')
        return v.reshape(-1, 1, 1)  # broadcast over height and width

    def __call__(self, x):
        data = _image('Normalize', x, (3, 4), '(C, H, W) or (N, C, H, W)')
        if data.dtype.kind != 'f':
            raise TypeError(f'Normalize expects a float tensor, but got dtype {data.dtype} '
                            f'and shape {shape_str(data.shape)}; apply ToTensor first')
        channels = data.shape[-3]
        mean = self._per_channel('mean', self._mean, channels, data.shape)
        std = self._per_channel('std', self._std, channels, data.shape)
        return _result(((data - mean) / std).astype(data.dtype), x)

    def __repr__(self):
        return f'Normalize(mean={self._mean}, std={self._std})'


class Resize:
    """Resize an image ``(H, W, C)`` or a batch ``(N, H, W, C)``.

    size : int or (width, height). An int resizes both edges to it, or with
        ``keep_ratio=True`` only the shorter edge, keeping the aspect ratio.
    interpolation : OpenCV's method, as in :func:`d2lmini.image.imresize`: 0 nearest,
        1 bilinear (the default, as in MXNet), 2 bicubic, 3 area, 4 Lanczos; 9 picks
        one by the change in size and 10 one at random (MXNet 1.9.1 passes 9 and 10
        on to OpenCV, which rejects them).

    The pixels are OpenCV's, as in MXNet (:func:`d2lmini.image.imresize`); the dtype
    stays: integer images are rounded and clipped to their range, as OpenCV's
    ``saturate_cast`` does. (MXNet 1.9.1 refuses float16 images, which d2lmini
    resizes, computing in float64.)

    >>> import d2lmini as mx
    >>> Resize((4, 2))(mx.nd.ones((8, 8, 3), dtype='uint8')).shape
    (2, 4, 3)
    >>> Resize(4, keep_ratio=True)(mx.nd.ones((8, 16, 3))).shape
    (4, 8, 3)
    """

    def __init__(self, size, keep_ratio=False, interpolation=BILINEAR):
        # MXNet checks these when the transform runs, with an MXNetError; d2lmini
        # checks them at once, with an error that is an MXNetError and a ValueError
        # (a size that is not positive is found when the output size is computed)
        if isinstance(size, numbers.Integral):
            size = int(size)
        elif isinstance(size, (tuple, list)) and len(size) == 2:
            size = tuple(int(v) for v in size)
        else:
            raise ShapeError(f'Resize: size must be an int or (width, height), got {size!r}')
        if interpolation not in (0, 1, 2, 3, 4, 9, 10):
            raise ShapeError(f'Resize: unknown interpolation method {interpolation!r}; '
                             'OpenCV\'s are 0 nearest, 1 bilinear, 2 bicubic, 3 area, '
                             '4 Lanczos, 9 and 10 (chosen by size or at random)')
        self._size, self._keep, self._interp = size, keep_ratio, interpolation

    def _out_size(self, h, w):
        if not isinstance(self._size, int):
            return self._size[1], self._size[0]
        if not self._keep:
            return self._size, self._size
        # the shorter edge becomes `size`; the other is scaled and truncated, as in MXNet
        if h <= w:
            return self._size, int(self._size * w / h)
        return int(self._size * h / w), self._size

    def __call__(self, x):
        data = _image('Resize', x, (3, 4), '(H, W, C) or (N, H, W, C)')
        if data.dtype.kind not in 'uif':
            raise TypeError(f'Resize supports integer and float images, but got dtype '
                            f'{data.dtype} and shape {shape_str(data.shape)}')
        h, w = data.shape[-3:-1]
        out_h, out_w = self._out_size(h, w)
        if out_h <= 0 or out_w <= 0:
            raise ShapeError(f'Resize: the output size must be positive, got width {out_w} '
                             f'and height {out_h} for input of shape {shape_str(data.shape)}')
        interp = _get_interp_method(self._interp, (h, w, out_h, out_w))
        return _result(resize(data, out_h, out_w, interp), x)

    def __repr__(self):
        return f'Resize(size={self._size}, keep_ratio={self._keep}, ' \
               f'interpolation={self._interp})'


class RandomFlipLeftRight:
    """Mirror an image ``(H, W, C)`` left to right with probability 0.5.

    The coin comes from numpy's global generator (``np.random.seed`` repeats it).

    >>> import d2lmini as mx
    >>> RandomFlipLeftRight()(mx.nd.ones((4, 4, 3))).shape
    (4, 4, 3)
    """

    def __call__(self, x):
        data = _image('RandomFlipLeftRight', x, (3,), '(H, W, C)')
        if np.random.random_sample() < 0.5:
            return x
        return _result(np.ascontiguousarray(data[:, ::-1]), x)

    def __repr__(self):
        return 'RandomFlipLeftRight()'


class RandomFlipTopBottom:
    """Mirror an image ``(H, W, C)`` top to bottom with probability 0.5.

    The coin comes from numpy's global generator, as for :class:`RandomFlipLeftRight`.

    >>> import d2lmini as mx
    >>> img = mx.nd.array([[[1]], [[2]]], dtype='uint8')
    >>> sorted({RandomFlipTopBottom()(img).asnumpy().ravel().tolist()[0] for _ in range(50)})
    [1, 2]
    """

    def __call__(self, x):
        data = _image('RandomFlipTopBottom', x, (3,), '(H, W, C)')
        if np.random.random_sample() < 0.5:
            return x
        return _result(np.ascontiguousarray(data[::-1]), x)

    def __repr__(self):
        return 'RandomFlipTopBottom()'


# ------------------------------------------------------------------ crops
def _size_pair(name, size):
    """``size`` as ``(width, height)``: an int stands for a square."""
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if len(size) != 2:
        raise ValueError(f'{name}: size must be an int or (width, height), got {size!r}')
    return int(size[0]), int(size[1])


def _check_hw3(name, x):
    """Raise unless ``x`` has the shape ``(H, W, C)`` that ``mx.image``'s crops unpack."""
    if len(x.shape) != 3:
        raise ValueError(f'{name}: input must be an image of layout (H, W, C), '
                         f'but got shape {shape_str(x.shape)}')


class CropResize:
    """Cut out the ``width`` by ``height`` region whose top-left corner is column
    ``x``, row ``y``, then resize it to ``size`` (int or ``(width, height)``) when given.

    Works on an image ``(H, W, C)`` or a batch ``(N, H, W, C)``; the dtype stays.
    Resizing is OpenCV's (:func:`d2lmini.image.imresize`), with method
    ``interpolation`` (module :mod:`d2lmini.image`; ``None`` means 1, bilinear; MXNet
    1.9.1 instead fails on ``None`` whenever ``size`` is given).

    >>> import d2lmini as mx
    >>> img = mx.nd.zeros((224, 224, 3), dtype='uint8')
    >>> CropResize(x=0, y=0, width=100, height=100)(img).shape
    (100, 100, 3)
    >>> CropResize(0, 0, 100, 100, size=(50, 25))(img).shape
    (25, 50, 3)
    """

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        self._x, self._y, self._width, self._height = x, y, width, height
        self._size, self._interp = size, interpolation

    def __call__(self, x):
        data = _image('CropResize', x, (3, 4), '(H, W, C) or (N, H, W, C)')
        h, w = data.shape[-3:-1]
        if self._x < 0 or self._y < 0 or self._width <= 0 or self._height <= 0:
            raise MXNetError(f'CropResize: x={self._x} and y={self._y} must be >= 0 and '
                             f'width={self._width} and height={self._height} positive')
        if self._x + self._width > w:
            raise MXNetError(f'CropResize: x + width should not be greater than input width '
                             f'({self._x} + {self._width} > {w} in shape '
                             f'{shape_str(data.shape)})')
        if self._y + self._height > h:
            raise MXNetError(f'CropResize: y + height should not be greater than input height '
                             f'({self._y} + {self._height} > {h} in shape '
                             f'{shape_str(data.shape)})')
        out = data[..., self._y:self._y + self._height, self._x:self._x + self._width, :]
        if self._size:
            out_w, out_h = _size_pair('CropResize', self._size)
            interp = BILINEAR if self._interp is None else self._interp
            out = resize(out, out_h, out_w, interp)
        return _result(np.ascontiguousarray(out), x)

    def __repr__(self):
        return (f'CropResize(x={self._x}, y={self._y}, width={self._width}, '
                f'height={self._height}, size={self._size}, interpolation={self._interp})')


class CenterCrop:
    """The centred crop of ``size`` (int or ``(width, height)``) of an image
    ``(H, W, C)``; an image smaller than ``size`` gives a smaller crop of the same
    aspect ratio, resized up to ``size`` (:func:`d2lmini.image.center_crop`).

    >>> import d2lmini as mx
    >>> CenterCrop((1000, 500))(mx.nd.zeros((2321, 3482, 3), dtype='uint8')).shape
    (500, 1000, 3)
    """

    def __init__(self, size, interpolation=BILINEAR):
        self._size, self._interp = _size_pair('CenterCrop', size), interpolation

    def __call__(self, x):
        _check_hw3('CenterCrop', x)
        return image.center_crop(x, self._size, self._interp)[0]

    def __repr__(self):
        return f'CenterCrop(size={self._size}, interpolation={self._interp})'


class RandomResizedCrop:
    """A crop of random area (a fraction of the image's drawn from ``scale``) and
    aspect ratio (width / height, drawn log-uniformly from ``ratio``), resized to
    ``size`` (int or ``(width, height)``); :func:`d2lmini.image.random_size_crop`.

    As in MXNet the draws come from Python's :mod:`random` module, so
    ``random.seed`` (not ``mx.random.seed``) repeats them.

    >>> import random
    >>> import d2lmini as mx
    >>> random.seed(0)
    >>> RandomResizedCrop(224)(mx.nd.zeros((300, 400, 3), dtype='uint8')).shape
    (224, 224, 3)
    """

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=BILINEAR):
        self._args = (_size_pair('RandomResizedCrop', size), scale, ratio, interpolation)

    def __call__(self, x):
        _check_hw3('RandomResizedCrop', x)
        return image.random_size_crop(x, *self._args)[0]

    def __repr__(self):
        size, scale, ratio, interp = self._args
        return (f'RandomResizedCrop(size={size}, scale={scale}, ratio={ratio}, '
                f'interpolation={interp})')


# ------------------------------------------------------------------ colour
# MXNet's colour transforms are C++ operators (src/operator/image/image_random-inl.h).
# The functions below compute what they compute, step by step in float32, so that
# results agree with MXNet 1.9.1 to the last bit, truncations of uint8 included:
# each takes a numpy image (H, W, C) and a fixed factor; the transforms draw the
# factor. C must be 1 or 3 (channels R, G, B).
_F32 = np.float32
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 weights of R, G, B


def _colour_image(name, x):
    """The image ``x`` ``(H, W, 1 or 3)`` as a numpy array."""
    data = _image(name, x, (3,), '(H, W, C)')
    if data.shape[2] not in (1, 3):
        raise ValueError(f'{name}: the last dimension of an image must be its channels, '
                         f'1 or 3 of them, but got shape {shape_str(data.shape)}')
    return data


def _saturate(val, dtype):
    """float32 results back to the image's dtype as MXNet's ``saturate_cast`` does:
    uint8 is clipped to 0..255 and then truncated (not rounded), other integer types
    are truncated, float types are converted."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return np.clip(val, 0, 255).astype(np.uint8)
    if dtype.kind in 'iu':
        return np.trunc(val).astype(dtype)
    return val.astype(dtype)


def _adjust_brightness(data, alpha):
    """Every value times ``alpha``.

    >>> _adjust_brightness(np.array([[[100, 200, 255]]], np.uint8), 1.5)
    array([[[150, 255, 255]]], dtype=uint8)
    """
    return _saturate(data.astype(_F32) * _F32(alpha), data.dtype)


def _adjust_contrast(data, alpha):
    """``alpha * x + (1 - alpha) * m``, where ``m`` is the image's mean grey level
    (``0.299 R + 0.587 G + 0.114 B`` averaged over the pixels; for one channel, its
    mean). ``alpha`` 0 gives a flat grey image, 1 the image.

    >>> _adjust_contrast(np.array([[[0.]], [[100.]]], np.float32), 0.5).ravel()
    array([25., 75.], dtype=float32)
    """
    img = data.astype(_F32)
    h, w, c = img.shape
    terms = (img * _LUMA).ravel() if c == 3 else img.ravel()
    # MXNet adds the terms one by one into a float32 sum; cumsum adds in that order
    total = np.cumsum(terms, dtype=_F32)[-1] if terms.size else _F32(0)
    alpha = _F32(alpha)
    beta = (_F32(1) - alpha) * (total / _F32(h * w))
    return _saturate(img * alpha + beta, data.dtype)


def _adjust_saturation(data, alpha):
    """Blend each pixel with a grey level: ``alpha * x + (1 - alpha) * grey``.

    MXNet 1.9.1 means ``grey = 0.299 R + 0.587 G + 0.114 B`` but its loop assigns
    each term instead of adding it, so only ``0.114 B`` is left: ``alpha`` below 1
    darkens the image towards ``0.114 B``, not towards its grey. That is what it
    outputs, so it is what this computes. One-channel images are returned unchanged.

    >>> _adjust_saturation(np.array([[[100., 100., 100.]]], np.float32), 0.0)
    array([[[11.4, 11.4, 11.4]]], dtype=float32)
    """
    if data.shape[2] == 1:
        return data.copy()
    img = data.astype(_F32)
    alpha = _F32(alpha)
    grey = img[..., 2:3] * _LUMA[2] * (_F32(1) - alpha)
    return _saturate(grey + img * alpha, data.dtype)


# OpenCV's HLS sector table, as MXNet copies it: for each sixth of the hue circle,
# which of (p2, p1, falling, rising) becomes B, G and R
_HLS_SECTORS = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])


def _rgb_to_hls(r, g, b):
    """MXNet's RGB (0..255) to HLS (hue in degrees, lightness and saturation in 0..1),
    in float32, written as its C++ writes it (products with booleans included) so
    that the roundings agree."""
    r, g, b = r / _F32(255), g / _F32(255), b / _F32(255)
    vmax = np.fmax(np.fmax(r, g), b)
    vmin = np.fmin(np.fmin(r, g), b)
    diff = vmax - vmin
    lum = (vmax + vmin) * _F32(0.5)
    colour = diff > np.finfo(np.float32).eps  # grey pixels keep hue 0, saturation 0
    with np.errstate(divide='ignore', invalid='ignore'):
        sat = (lum < 0.5) * diff / (vmax + vmin)
        sat += (lum >= 0.5) * diff / (_F32(2) - vmax - vmin)
        step = _F32(60) / diff
        hue = (vmax == r) * (g - b) * step
        hue += ((vmax != r) & (vmax == g)) * ((b - r) * step + _F32(120))
        hue += ((vmax != r) & (vmax != g)) * ((r - g) * step + _F32(240))
    hue += (hue < 0) * _F32(360)
    zero = _F32(0)
    return np.where(colour, hue, zero), lum, np.where(colour, sat, zero)


def _hls_to_rgb(hue, lum, sat):
    """The inverse of :func:`_rgb_to_hls`, back to 0..255, as MXNet computes it."""
    p2 = (lum <= 0.5) * lum * (_F32(1) + sat)
    p2 += (lum > 0.5) * (lum + sat - lum * sat)
    p1 = _F32(2) * lum - p2
    h = hue * (_F32(1) / _F32(60))
    # into [0, 6) by whole turns, one at a time, as MXNet's loops do
    while (h < 0).any():
        h = np.where(h < 0, h + _F32(6), h)
    while (h >= 6).any():
        h = np.where(h >= 6, h - _F32(6), h)
    sector = h.astype(np.int64)
    h = h - sector.astype(_F32)
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (_F32(1) - h), p1 + (p2 - p1) * h])
    # a hue just below 0 can round up to exactly 6 turns: that is sector 0 again
    idx = _HLS_SECTORS[sector % 6]
    pick = [np.take_along_axis(tab, idx[None, ..., k], 0)[0] for k in range(3)]
    b, g, r = (np.where(sat != 0, v, lum) * _F32(255) for v in pick)
    return r, g, b


def _adjust_hue(data, alpha):
    """Turn every pixel's hue by ``alpha * 360`` degrees (through HLS, as MXNet does;
    the round trip alone can lower a uint8 value by one, since MXNet truncates).
    One-channel images are returned unchanged.

    >>> _adjust_hue(np.array([[[255., 0., 0.]]], np.float32), 1 / 3)  # red -> green
    array([[[  0., 255.,   0.]]], dtype=float32)
    """
    if data.shape[2] == 1:
        return data.copy()
    img = data.astype(_F32)
    hue, lum, sat = _rgb_to_hls(img[..., 0], img[..., 1], img[..., 2])
    hue = hue + _F32(alpha) * _F32(360)
    return _saturate(np.stack(_hls_to_rgb(hue, lum, sat), axis=-1), data.dtype)


# AlexNet's principal components of ImageNet's RGB pixels: eigenvalues and, in the
# columns, eigenvectors (the values MXNet uses)
_EIGVAL = np.array([55.46, 4.794, 1.148])
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                    [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]])


def _adjust_lighting(data, alpha):
    """Add ``eigvec @ (alpha * eigval)`` to every pixel: AlexNet's PCA lighting
    noise, ``alpha`` one weight per principal component. One-channel images are
    returned unchanged.

    >>> _adjust_lighting(np.zeros((1, 1, 3), np.float32), (1., 0., 0.)).round(3)
    array([[[-31.474, -32.211, -32.366]]], dtype=float32)
    """
    if data.shape[2] == 1:
        return data.copy()
    eig = (_EIGVEC * _EIGVAL).astype(_F32)  # MXNet's table: products in double, kept as float
    a = np.asarray(alpha, np.float64).astype(_F32)
    if a.shape != (3,):
        raise ValueError(f'lighting needs 3 alphas, one per component, got {alpha!r}')
    # summed left to right in float32, as MXNet does
    pca = np.array([(eig[i, 0] * a[0] + eig[i, 1] * a[1]) + eig[i, 2] * a[2]
                    for i in range(3)], _F32)
    return _saturate(data.astype(_F32) + pca, data.dtype)


def _factor(low, high):
    """A factor drawn uniformly from [low, high] with numpy's global generator
    (``mx.random.seed`` seeds it), in float32 as MXNet draws it."""
    return _F32(np.random.uniform(low, high))


class _RandomEnhance:
    """A colour transform whose factor is drawn from ``[max(0, 1 - v), 1 + v]``."""
    _adjust = None

    def __init__(self, value):
        self._value = value
        self._range = (max(0, 1 - value), 1 + value)

    def __call__(self, x):
        data = _colour_image(type(self).__name__, x)
        return _result(type(self)._adjust(data, _factor(*self._range)), x)

    def __repr__(self):
        return f'{type(self).__name__}({self._value})'


class RandomBrightness(_RandomEnhance):
    """Multiply an image ``(H, W, C)`` by a factor drawn from
    ``[max(0, 1 - brightness), 1 + brightness]``.

    uint8 results are clipped to 0..255 and truncated, as in MXNet; float images
    are not clipped. The factor is drawn with numpy's global generator, which
    ``mx.random.seed`` seeds.

    >>> import d2lmini as mx
    >>> out = RandomBrightness(0.5)(mx.nd.full((2, 2, 3), 100, dtype='uint8'))
    >>> 50 <= int(out.asnumpy()[0, 0, 0]) <= 150
    True
    """
    _adjust = staticmethod(_adjust_brightness)

    def __init__(self, brightness):   # the argument's name as in MXNet 1.x
        super().__init__(brightness)


class RandomContrast(_RandomEnhance):
    """Blend an image ``(H, W, C)`` with its mean grey level by a factor drawn from
    ``[max(0, 1 - contrast), 1 + contrast]``: ``alpha * x + (1 - alpha) * mean``,
    where mean is the average of ``0.299 R + 0.587 G + 0.114 B``.

    >>> import d2lmini as mx
    >>> RandomContrast(0.3)(mx.nd.full((2, 2, 3), 100.)).asnumpy()[0, 0]
    array([100., 100., 100.], dtype=float32)
    """
    _adjust = staticmethod(_adjust_contrast)

    def __init__(self, contrast):   # the argument's name as in MXNet 1.x
        super().__init__(contrast)


class RandomSaturation(_RandomEnhance):
    """Blend each pixel with a grey level by a factor drawn from
    ``[max(0, 1 - saturation), 1 + saturation]``.

    MXNet 1.9.1's grey level is only ``0.114 B`` (a slip in its C++: the three
    terms of ``0.299 R + 0.587 G + 0.114 B`` are assigned in turn, not added), so
    lowering saturation also darkens the image; this reproduces MXNet's output.

    >>> import d2lmini as mx
    >>> out = RandomSaturation(0.5)(mx.nd.full((1, 1, 3), 100.)).asnumpy()
    >>> bool(55 < out.min() <= out.max() < 145)
    True
    """
    _adjust = staticmethod(_adjust_saturation)

    def __init__(self, saturation):   # the argument's name as in MXNet 1.x
        super().__init__(saturation)


class RandomHue(_RandomEnhance):
    """Turn the hue of every pixel by ``alpha * 360`` degrees, ``alpha`` drawn from
    ``[max(0, 1 - hue), 1 + hue]``, as MXNet does.

    So a factor near 1 is a turn of nearly a full circle: ``hue=0.1`` turns by -36
    to +36 degrees, and ``hue=0.5`` by 180 to 540, that is anywhere (MXNet's
    documentation calls ``hue`` the jitter of a factor, and this is what its operator
    does with that factor). The conversion follows OpenCV's HLS, on values in 0..255.

    The factor for a fixed turn (here none, and half a circle); the round trip
    through HLS in float32 can lower a uint8 value by one, as in MXNet:

    >>> img = np.array([[[200, 100, 50]]], np.uint8)
    >>> _adjust_hue(img, 1.0).ravel(), _adjust_hue(img, 0.5).ravel()
    (array([200, 100,  49], dtype=uint8), array([ 49, 149, 200], dtype=uint8))
    """
    _adjust = staticmethod(_adjust_hue)

    def __init__(self, hue):   # the argument's name as in MXNet 1.x
        super().__init__(hue)


class RandomColorJitter:
    """Jitter brightness, contrast, saturation and hue, in a random order; each one
    whose amount is positive is applied with the factor ``1 + u``, ``u`` drawn from
    ``[-amount, amount]`` (unlike the single transforms, the factor is not kept
    above 0; a uint8 image is truncated after each step).

    With all four amounts 0 the image comes back unchanged (MXNet 1.9.1 then returns
    memory it never wrote).

    >>> import d2lmini as mx
    >>> t = RandomColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5)
    >>> t(mx.nd.full((4, 4, 3), 100, dtype='uint8')).shape
    (4, 4, 3)
    """

    _STEPS = (_adjust_brightness, _adjust_contrast, _adjust_saturation, _adjust_hue)

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self._amounts = (brightness, contrast, saturation, hue)

    def __call__(self, x):
        data = _colour_image('RandomColorJitter', x)
        out = data.copy()
        for i in np.random.permutation(4):
            amount = self._amounts[i]
            if amount > 0:
                out = self._STEPS[i](out, _F32(1.0 + np.random.uniform(-amount, amount)))
        return _result(out, x)

    def __repr__(self):
        b, c, s, h = self._amounts
        return f'RandomColorJitter(brightness={b}, contrast={c}, saturation={s}, hue={h})'


# ------------------------------------------------------------------ rotation
def _check_float32(name, x):
    if np.dtype(x.dtype) != np.float32:
        raise TypeError(f'{name} only supports float32 tensors (C, H, W) or (N, C, H, W), '
                        f'got dtype {np.dtype(x.dtype)}; consider calling it after ToTensor')


class Rotate:
    """Rotate a float32 tensor ``(C, H, W)`` or ``(N, C, H, W)`` counter-clockwise by
    ``rotation_degrees``, keeping its shape (:func:`d2lmini.image.imrotate`, which
    also explains ``zoom_in`` and ``zoom_out``).

    >>> import d2lmini as mx
    >>> Rotate(90)(mx.nd.ones((1, 4, 4))).shape
    (1, 4, 4)
    """

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def __call__(self, x):
        _check_float32('Rotate', x)
        return image.imrotate(x, *self._args)

    def __repr__(self):
        degrees, zoom_in, zoom_out = self._args
        return f'Rotate(rotation_degrees={degrees}, zoom_in={zoom_in}, zoom_out={zoom_out})'


class RandomRotation:
    """Rotate a float32 tensor ``(C, H, W)`` or ``(N, C, H, W)`` by an angle drawn
    from ``angle_limits`` (degrees, low < high), with probability
    ``rotate_with_proba``; :func:`d2lmini.image.random_rotate`. numpy's global
    generator draws both, as in MXNet.

    >>> import d2lmini as mx
    >>> RandomRotation((-15, 15))(mx.nd.ones((3, 8, 8))).shape
    (3, 8, 8)
    """

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError('`angle_limits` must be an ordered tuple')
        if not 0 <= rotate_with_proba <= 1:
            raise ValueError('Probability of rotating the image should be between 0 and 1')
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    def __call__(self, x):
        if np.random.random() > self._rotate_with_proba:
            return x
        _check_float32('RandomRotation', x)
        return image.random_rotate(x, *self._args)

    def __repr__(self):
        limits, zoom_in, zoom_out = self._args
        return (f'RandomRotation(angle_limits={limits}, zoom_in={zoom_in}, '
                f'zoom_out={zoom_out}, rotate_with_proba={self._rotate_with_proba})')


class RandomApply:
    """Apply ``transforms`` (a transform, or a list of them applied in turn) with
    probability ``p``; the coin comes from Python's :mod:`random`, as in MXNet.
    (MXNet 1.9.1 fails when given a list; d2lmini composes it.)

    >>> import d2lmini as mx
    >>> RandomApply([Cast('float16')], p=1.0)(mx.nd.ones((2, 2))).dtype.__name__
    'float16'
    """

    def __init__(self, transforms, p=0.5):
        self.transforms = Compose(transforms) if isinstance(transforms, (list, tuple)) \
            else transforms
        self.p = p

    def __call__(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)

    def __repr__(self):
        return f'RandomApply(p={self.p}, transforms={self.transforms!r})'


class RandomLighting:
    """AlexNet's PCA lighting noise: add ``eigvec @ (a * eigval)`` to every pixel of
    an image ``(H, W, 3)``, the three weights ``a`` drawn from N(0, ``alpha``), with
    ImageNet's eigenvalues (55.46, 4.794, 1.148) and eigenvectors.

    >>> import d2lmini as mx
    >>> RandomLighting(0.)(mx.nd.full((1, 1, 3), 7.)).asnumpy().ravel()
    array([7., 7., 7.], dtype=float32)
    """

    def __init__(self, alpha):
        self._alpha = alpha

    def __call__(self, x):
        data = _colour_image('RandomLighting', x)
        alpha = np.random.normal(0, self._alpha, size=3).astype(_F32)
        return _result(_adjust_lighting(data, alpha), x)

    def __repr__(self):
        return f'RandomLighting({self._alpha})'


# ------------------------------------------------------------------ resizing, in numpy
def resize(data, out_h, out_w, interpolation=BILINEAR):
    """Resize numpy images ``(H, W, C)`` or ``(..., H, W, C)`` to height ``out_h`` and
    width ``out_w`` with OpenCV's method ``interpolation``, image by image, through
    :func:`d2lmini.image.resize.resize` (MXNet's transforms call OpenCV too).

    >>> resize(np.array([[[0.], [1.]]]), 1, 4)[0, :, 0]
    array([0.  , 0.25, 0.75, 1.  ])
    """
    if data.ndim == 3:
        return _cv_resize(data, out_w, out_h, interpolation)
    images = data.reshape((-1,) + data.shape[-3:])
    out = np.empty((len(images), out_h, out_w, data.shape[-1]), data.dtype)
    for image_, target in zip(images, out):
        target[...] = _cv_resize(image_, out_w, out_h, interpolation)
    return out.reshape(data.shape[:-3] + out.shape[1:])
