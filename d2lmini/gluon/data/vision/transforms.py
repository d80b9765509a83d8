"""Image transforms for ``Dataset.transform_first`` and ``Compose``.

Images are NDArrays laid out as MXNet's image functions expect: ``(H, W, C)``
(height, width, channels), usually uint8 in 0..255, or a batch ``(N, H, W, C)``.
:class:`ToTensor` turns them into the ``(C, H, W)`` float32 tensors in 0..1 that
convolutions want; :class:`Normalize` works on those.

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

import numpy as np

from .... import ndarray as nd
from ....base import as_dtype, shape_str
from ....ndarray import NDArray

__all__ = ['Compose', 'Cast', 'ToTensor', 'Normalize', 'Resize', 'RandomFlipLeftRight']

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
        raise ValueError(f'{name}: input must be a {want} image of layout {layout}, '
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
            raise ValueError(f'Normalize: {what} must have either 1 or {channels} elements '
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
    interpolation : 0 nearest neighbour, 1 bilinear (the default, as in MXNet).

    uint8 images stay uint8 (rounded; OpenCV, which MXNet uses, may differ by one
    grey level), float images keep their dtype.

    >>> import d2lmini as mx
    >>> Resize((4, 2))(mx.nd.ones((8, 8, 3), dtype='uint8')).shape
    (2, 4, 3)
    """

    def __init__(self, size, keep_ratio=False, interpolation=BILINEAR):
        if isinstance(size, numbers.Integral):
            size = int(size)
        elif len(size) != 2:
            raise ValueError(f'Resize: size must be an int or (width, height), got {size!r}')
        if interpolation not in (NEAREST, BILINEAR):
            raise ValueError(f'Resize: interpolation must be 0 (nearest) or 1 (bilinear), '
                             f'got {interpolation!r}; other OpenCV methods are not implemented')
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
        if data.dtype != np.uint8 and data.dtype.kind != 'f':
            raise TypeError(f'Resize supports uint8 and float images, but got dtype '
                            f'{data.dtype} and shape {shape_str(data.shape)}')
        out_h, out_w = self._out_size(*data.shape[-3:-1])
        if out_h <= 0 or out_w <= 0:
            raise ValueError(f'Resize: the output size must be positive, got width {out_w} '
                             f'and height {out_h} for input of shape {shape_str(data.shape)}')
        return _result(resize(data, out_h, out_w, self._interp), x)

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


# ------------------------------------------------------------------ resizing, in numpy
def _source_coords(out_len, in_len, interp):
    """For each output pixel along one axis: the two source pixels to blend and the
    weight of the second one.

    Pixel centres are aligned (OpenCV's convention): output pixel ``i`` covers source
    position ``(i + 0.5) * in_len / out_len - 0.5``. Nearest neighbour instead takes
    ``floor(i * in_len / out_len)``, as OpenCV's INTER_NEAREST does.
    """
    scale = in_len / out_len
    i = np.arange(out_len)
    if interp == NEAREST:
        lo = np.minimum(np.floor(i * scale).astype(np.int64), in_len - 1)
        return lo, lo, np.zeros(out_len, np.float32)
    pos = np.clip((i + 0.5) * scale - 0.5, 0, in_len - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, in_len - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def resize(data, out_h, out_w, interpolation=BILINEAR):
    """Resize numpy images ``(..., H, W, C)`` to ``(..., out_h, out_w, C)``.

    Bilinear interpolation blends the two nearest rows, then the two nearest
    columns (it is separable), in float32 (float64 for float64 input).

    >>> resize(np.array([[[0.], [1.]]]), 1, 4)[0, :, 0]
    array([0.  , 0.25, 0.75, 1.  ])
    """
    work = np.float64 if data.dtype == np.float64 else np.float32
    y0, y1, wy = _source_coords(out_h, data.shape[-3], interpolation)
    x0, x1, wx = _source_coords(out_w, data.shape[-2], interpolation)
    img = data.astype(work, copy=False)
    wy = wy.astype(work)[:, None, None]  # broadcast over width and channels
    rows = img[..., y0, :, :] * (1 - wy) + img[..., y1, :, :] * wy
    wx = wx.astype(work)[:, None]        # broadcast over channels
    out = rows[..., x0, :] * (1 - wx) + rows[..., x1, :] * wx
    if data.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(data.dtype)
