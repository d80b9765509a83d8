"""Resizing images as OpenCV's ``cv2.resize`` does, which is what MXNet calls.

Pillow resizes differently (it antialiases when shrinking, and its bicubic kernel is
softer, a = -0.5 against OpenCV's -0.75), so its results can differ from MXNet's by
tens of levels. Here each method is OpenCV's sampling, written as two matrices,
``out = Wy @ image @ Wx.T`` per channel:

* 0 nearest: source pixel ``floor(x * src / dst)``;
* 1 bilinear and 2 bicubic and 4 Lanczos (8x8): pixel centres aligned
  (``x_src = (x + 0.5) * src / dst - 0.5``), borders replicated;
* 3 area: the average over the covered source pixels when shrinking (summed term
  by term in float32, as OpenCV does), a bilinear variant when enlarging.

For uint8 images the weights are rounded (half to even) to OpenCV's 11-bit fixed
point and the sums computed in integers, or in float32 where OpenCV's vectorised
code does, rounded where it rounds them.
"""
import math

import numpy as np

from ..base import AttributeValueError

_COEF_BITS = 11
_COEF_SCALE = 1 << _COEF_BITS


def _linear_taps(dst, src, area_mode=False, clamp=True):
    """Source indices and weights of the two taps of each output pixel. OpenCV
    moves taps that fall off the image onto its border (``clamp``) for columns; for
    rows it keeps the weights and only clips the row indices."""
    scale = src / dst
    idx = np.empty((dst, 2), np.int64)
    w = np.empty((dst, 2), np.float64)
    for dx in range(dst):
        if area_mode:
            sx = math.floor(dx * scale)
            fx = float(np.float32((dx + 1) - (sx + 1) * (dst / src)))
            fx = 0.0 if fx <= 0 else fx - math.floor(fx)
        else:
            fx = float(np.float32((dx + 0.5) * scale - 0.5))
            sx = math.floor(fx)
            fx -= sx
        if not clamp:
            idx[dx] = np.clip((sx, sx + 1), 0, src - 1)
            w[dx] = (1.0 - fx, fx)
            continue
        if sx < 0:
            fx, sx = 0.0, 0
        if sx >= src - 1:
            fx, sx = 0.0, src - 1
        idx[dx] = (sx, min(sx + 1, src - 1))
        w[dx] = (1.0 - fx, fx)
    return idx, w


def _cubic_coeffs(x, a=-0.75):
    # in float32, as OpenCV computes them (float64 can round a fixed-point weight
    # to the other side)
    f = np.float32
    x, a, one = f(x), f(a), f(1)
    c0 = ((a * (x + one) - f(5) * a) * (x + one) + f(8) * a) * (x + one) - f(4) * a
    c1 = ((a + f(2)) * x - (a + f(3))) * x * x + one
    c2 = ((a + f(2)) * (one - x) - (a + f(3))) * (one - x) * (one - x) + one
    return [float(c0), float(c1), float(c2), float(one - c0 - c1 - c2)]


def _lanczos4_coeffs(x):
    if x < np.finfo(np.float32).eps:
        return [0, 0, 0, 1, 0, 0, 0, 0]
    c = [float(np.float32(np.sinc((x + 3 - i)) * np.sinc((x + 3 - i) / 4)))
         for i in range(8)]
    s = sum(c)
    return [v / s for v in c]


def _kernel_taps(dst, src, size, coeffs):
    scale = src / dst
    idx = np.empty((dst, size), np.int64)
    w = np.empty((dst, size), np.float64)
    for dx in range(dst):
        fx = float(np.float32((dx + 0.5) * scale - 0.5))
        sx = math.floor(fx)
        fx -= sx
        idx[dx] = np.clip(np.arange(sx - size // 2 + 1, sx + size // 2 + 1), 0, src - 1)
        w[dx] = coeffs(fx)
    return idx, w


def _area_matrix(dst, src):
    """OpenCV's area weights for shrinking: each output pixel averages the source
    pixels its footprint covers, partly covered ones in proportion."""
    scale = src / dst
    m = np.zeros((dst, src), np.float64)
    for dx in range(dst):
        fsx1 = dx * scale
        fsx2 = fsx1 + scale
        cell = min(scale, src - fsx1)
        sx1, sx2 = math.ceil(fsx1), math.floor(fsx2)
        sx2 = min(sx2, src - 1)
        sx1 = min(sx1, sx2)
        if sx1 - fsx1 > 1e-3:
            m[dx, sx1 - 1] += (sx1 - fsx1) / cell
        for sx in range(sx1, sx2):
            m[dx, sx] += 1.0 / cell
        if fsx2 - sx2 > 1e-3:
            m[dx, sx2] += min(min(fsx2 - sx2, 1.0), cell) / cell
    return m


def _dense(idx, w, src):
    m = np.zeros((idx.shape[0], src), np.float64)
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    np.add.at(m, (rows, idx.ravel()), w.ravel())
    return m


def _matrix(method, dst, src, fixed_point):
    if method == 'linear':
        idx, w = _linear_taps(dst, src)
    elif method == 'area_up':
        idx, w = _linear_taps(dst, src, area_mode=True)
    elif method == 'cubic':
        idx, w = _kernel_taps(dst, src, 4, _cubic_coeffs)
    else:
        idx, w = _kernel_taps(dst, src, 8, _lanczos4_coeffs)
    w = w.astype(np.float32).astype(np.float64)  # OpenCV keeps coefficients as float
    if fixed_point:
        w = np.rint(w * _COEF_SCALE)  # saturate_cast<short>: cvRound, halves to even
    return _dense(idx, w, src)


def _vertical_linear_u8(rows, dst, src, area_mode):
    """The vertical pass of OpenCV's bilinear uint8 resize, rounded as its vectorised
    code rounds: each of the two terms is shifted down before they are added."""
    idx, w = _linear_taps(dst, src, area_mode, clamp=False)
    b = np.rint(w.astype(np.float32).astype(np.float64) * _COEF_SCALE).astype(np.int64)
    s = rows.astype(np.int64)
    s0, s1 = s[idx[:, 0]] >> 4, s[idx[:, 1]] >> 4
    b0, b1 = b[:, 0][:, None, None], b[:, 1][:, None, None]
    return (((b0 * s0) >> 16) + ((b1 * s1) >> 16) + 2) >> 2


def _vertical_cubic_u8(rows, dst, src):
    """The vertical pass of OpenCV's bicubic uint8 resize. Its vectorised code works
    in float32 on 8 values at a time: the four fixed-point weights scaled back to
    fractions, the terms added one by one, rounded half to even; the
    values after the last whole group of 8 in a row (width x channels) take the
    integer path, ``(sum + 2**21) >> 22``."""
    idx, w = _kernel_taps(dst, src, 4, _cubic_coeffs)
    beta = np.rint(w.astype(np.float32).astype(np.float64) * _COEF_SCALE).astype(np.int64)
    out_w, channels = rows.shape[1], rows.shape[2]
    flat = rows.reshape(rows.shape[0], -1)
    n = flat.shape[1]
    vectorised = np.arange(n) < (n // 8) * 8
    unit = np.float32(1.0 / (_COEF_SCALE * _COEF_SCALE))
    out = np.empty((dst, n), np.int64)
    for dy in range(dst):
        taps = [flat[i] for i in idx[dy]]
        b = [np.float32(np.float32(v) * unit) for v in beta[dy]]
        t = [tap.astype(np.float32) * bk for tap, bk in zip(taps, b)]
        as_float = np.rint(((t[0] + t[1]) + t[2]) + t[3]).astype(np.int64)
        as_int = (sum(tap * int(bk) for tap, bk in zip(taps, beta[dy])) + (1 << 21)) >> 22
        out[dy] = np.where(vectorised, as_float, as_int)
    return out.reshape(dst, out_w, channels)


def _area_shrink(img, h, w, acc):
    """OpenCV's area resize to a size that does not divide the image's: each output
    pixel is the weighted sum of the source pixels its footprint covers, added one
    by one in ``acc`` precision, first along rows (source columns left to right),
    then down the columns (source rows top to bottom)."""
    src_h, src_w = img.shape[:2]
    data = img.astype(acc)
    across, down = _area_matrix(w, src_w).astype(acc), _area_matrix(h, src_h).astype(acc)
    rows = np.zeros((src_h, w) + img.shape[2:], acc)
    for dx in range(w):
        for sx in np.nonzero(across[dx])[0]:
            rows[:, dx] += data[:, sx] * across[dx, sx]
    out = np.zeros((h, w) + img.shape[2:], acc)
    for dy in range(h):
        for sy in np.nonzero(down[dy])[0]:
            out[dy] += down[dy, sy] * rows[sy]
    return out


def _resample_columns(data, weights):
    """``data`` ``(H, W, C)`` with its columns mixed by ``weights`` ``(w, W)``: ``(H, w, C)``.
    A matrix product, so that numpy hands it to BLAS (einsum would not)."""
    height, width, channels = data.shape
    columns = data.transpose(1, 0, 2).reshape(width, height * channels)
    return (weights @ columns).reshape(-1, height, channels).transpose(1, 0, 2)


def _resample_rows(weights, data):
    """``data`` ``(H, w, C)`` with its rows mixed by ``weights`` ``(h, H)``: ``(h, w, C)``."""
    return np.tensordot(weights, data, axes=(1, 0))


def resize(img, w, h, interp=1):
    """``img`` (numpy ``(H, W, C)``) resized to width ``w`` and height ``h`` with
    OpenCV's method ``interp`` (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos).
    The dtype stays; other integer types than uint8 are rounded and clipped to their
    range, as OpenCV's ``saturate_cast`` does.

    >>> import numpy as np
    >>> resize(np.array([[[0], [100]]], np.uint8), 4, 1, interp=1)[..., 0]
    array([[  0,  25,  75, 100]], dtype=uint8)
    """
    src_h, src_w = img.shape[:2]
    if w <= 0 or h <= 0:
        raise ValueError(f'the size to resize to must be positive, got {w}x{h}')
    if (w, h) == (src_w, src_h):
        return img.copy()
    is_u8 = img.dtype == np.uint8
    if interp == 0:
        # OpenCV: x_src = floor(x * (1 / (dst / src))), computed in double
        xs = np.minimum(np.floor(np.arange(w) * (1.0 / (w / src_w))).astype(np.int64), src_w - 1)
        ys = np.minimum(np.floor(np.arange(h) * (1.0 / (h / src_h))).astype(np.int64), src_h - 1)
        return img[ys][:, xs].copy()
    scale_x, scale_y = src_w / w, src_h / h
    area_fast = scale_x.is_integer() and scale_y.is_integer()
    if interp == 1 and area_fast and scale_x == 2 and scale_y == 2:
        interp = 3  # OpenCV: halving bilinearly is averaging 2x2 blocks
    data = img.astype(np.float64)
    if interp == 3 and scale_x >= 1 and scale_y >= 1 and not area_fast:
        # OpenCV sums in float32 (float64 for float64 images), term by term
        out = _area_shrink(img, h, w, np.float64 if img.dtype == np.float64 else np.float32)
        if img.dtype.kind in 'iu':
            out = np.rint(out)  # OpenCV's cvRound: halves go to the even neighbour
    elif interp == 3 and scale_x >= 1 and scale_y >= 1:
        rows = _resample_columns(data, _area_matrix(w, src_w))
        out = _resample_rows(_area_matrix(h, src_h), rows)
        if is_u8 and scale_x == 2 and scale_y == 2:
            out = np.floor(out + 0.5)  # OpenCV's 2x2 uint8 path: (sum + 2) >> 2, halves up
        elif img.dtype.kind in 'iu':
            out = np.rint(out)  # OpenCV's cvRound: halves go to the even neighbour
    else:
        method = {1: 'linear', 2: 'cubic', 3: 'area_up', 4: 'lanczos'}.get(interp)
        if method is None:
            raise AttributeValueError('Unknown interp method %d' % interp)
        rows = _resample_columns(data, _matrix(method, w, src_w, is_u8))
        if is_u8 and method in ('linear', 'area_up'):
            out = _vertical_linear_u8(rows, h, src_h, method == 'area_up')
        elif is_u8 and method == 'cubic':
            out = _vertical_cubic_u8(rows.astype(np.int64), h, src_h)
        else:
            out = _resample_rows(_matrix(method, h, src_h, is_u8), rows)
            if is_u8:
                out = np.floor(out / float(1 << (2 * _COEF_BITS)) + 0.5)
    if is_u8:
        return np.clip(out, 0, 255).astype(np.uint8)
    if img.dtype.kind in 'iu':
        # OpenCV's saturate_cast: round to nearest (cvRound), clip to the type's range
        info = np.iinfo(img.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(img.dtype)
    return out.astype(img.dtype)
