"""Image files to pixels and back, with Pillow, in OpenCV's conventions.

MXNet decodes and encodes with OpenCV; these functions give OpenCV's results with
Pillow: the same channel counts for each ``flag``, the same grey conversion
(OpenCV's fixed-point ``0.299 R + 0.587 G + 0.114 B``), an alpha channel dropped (not
blended) when colour is asked for. PNG pixels are therefore identical to MXNet's;
JPEG pixels may differ by a few levels, as the two libraries' JPEG decoders
(libjpeg versions, chroma upsampling) do.
"""
import io
import logging

import numpy as np

from ..base import MXNetError


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is a dependency
        raise ImportError('mx.image needs Pillow: pip install pillow') from e
    # Pillow logs every PNG chunk it reads at DEBUG level, where MXNet's decoder
    # logs nothing: a program logging at DEBUG (as MXNet's examples do) would drown
    # in it. A level the program set for Pillow's logger is left alone.
    pil_log = logging.getLogger('PIL')
    if pil_log.level == logging.NOTSET:
        pil_log.setLevel(logging.INFO)
    return Image


def rgb_to_gray(rgb, png=False):
    """OpenCV's grey level of uint8 RGB pixels: ``cvtColor(RGB2GRAY)`` (14-bit
    fixed-point weights, rounded), or for a PNG file libpng's conversion, which
    OpenCV lets do it (15-bit weights, truncated)."""
    rgb = rgb.astype(np.int32)
    if png:
        gray = (rgb[..., 0] * 9797 + rgb[..., 1] * 19234 + rgb[..., 2] * 3737) >> 15
    else:
        gray = (rgb[..., 0] * 4899 + rgb[..., 1] * 9617 + rgb[..., 2] * 1868 + (1 << 13)) >> 14
    return gray.astype(np.uint8)


def decode(buf, flag=1):
    """Pixels of the image file in ``buf`` (bytes): a uint8 array ``(H, W, C)`` in RGB
    order. ``flag``: 1 colour (C = 3), 0 grey (C = 1), -1 as stored (C = 1, 3 or 4)."""
    Image = _pil()
    try:
        img = Image.open(io.BytesIO(bytes(buf)))
        if flag == 0 and img.format == 'JPEG' and img.mode in ('RGB', 'YCbCr'):
            # OpenCV has libjpeg output the luma channel itself for a grey read
            img.draft('L', img.size)
        img.load()
    except Exception as e:
        raise MXNetError(f'Decoding failed. Invalid image file. ({e})') from e
    mode = img.mode
    if mode in ('I;16', 'I;16B', 'I;16L', 'I'):
        # OpenCV reads 16 bits as 16 bits only when asked; otherwise it keeps the top 8
        arr = (np.asarray(img).astype(np.uint32) >> 8).astype(np.uint8)[..., None]
    elif mode == 'L' or mode == '1':
        arr = np.asarray(img.convert('L'))[..., None]
    elif mode == 'LA':
        arr = np.asarray(img)[..., :1] if flag != -1 else np.asarray(img.convert('RGBA'))
    elif mode == 'RGBA' or (mode == 'P' and 'transparency' in img.info):
        arr = np.asarray(img.convert('RGBA'))
    else:
        arr = np.asarray(img.convert('RGB'))
    if flag == -1:
        return np.ascontiguousarray(arr)
    if flag == 0:
        if arr.shape[2] == 1:
            return np.ascontiguousarray(arr)
        return rgb_to_gray(arr[..., :3], png=img.format == 'PNG')[..., None]
    if arr.shape[2] == 1:
        return np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[..., :3])


def decode_bgr(buf, iscolor=-1):
    """What OpenCV's ``imdecode(buf, iscolor)`` gives: BGR order, and a grey image
    as 2-D ``(H, W)``."""
    arr = decode(buf, iscolor)
    if arr.shape[2] == 1:
        return arr[..., 0]
    if arr.shape[2] == 3:
        return np.ascontiguousarray(arr[..., ::-1])
    return np.ascontiguousarray(arr[..., [2, 1, 0, 3]])


def encode(rgb, img_fmt='.jpg', quality=95):
    """The bytes of image ``rgb`` (uint8 ``(H, W)``, ``(H, W, 1|3|4)``, RGB order)
    as a JPEG (``quality`` 0..100) or PNG (compression level ``min(quality, 9)``)."""
    Image = _pil()
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8:
        raise TypeError(f'only uint8 images can be encoded, got {arr.dtype}')
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    img = Image.fromarray(np.ascontiguousarray(arr))
    out = io.BytesIO()
    fmt = img_fmt.lower()
    if fmt in ('.jpg', '.jpeg'):
        img.save(out, format='JPEG', quality=int(quality))
    elif fmt == '.png':
        img.save(out, format='PNG', compress_level=max(0, min(int(quality), 9)))
    else:
        raise ValueError(f"img_fmt must be '.jpg', '.jpeg' or '.png', got {img_fmt!r}")
    return out.getvalue()


def encode_bgr(img, img_fmt='.jpg', quality=95):
    """:func:`encode` for an image in OpenCV's BGR(A) order."""
    if img.ndim == 3 and img.shape[2] == 3:
        img = img[..., ::-1]
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[..., [2, 1, 0, 3]]
    return encode(img, img_fmt, quality)
