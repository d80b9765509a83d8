"""Deformable detection operators of ``mx.nd.contrib`` (registered as ``_contrib_X``):
deformable convolution (``DeformableConvolution``, DCN v1, arXiv:1703.06211), its
modulated form (``ModulatedDeformableConvolution``, DCN v2, arXiv:1811.11168),
deformable position-sensitive ROI pooling (``DeformablePSROIPooling``) and ROIAlign
over rotated boxes (``RROIAlign``).

A deformable convolution is a convolution whose kernel taps do not sit on the grid:
every tap of every output position is moved by its own learned (fractional)
offset, and the input is read there by bilinear interpolation. It is computed the
way :mod:`d2lmini.ops.convolution` computes a plain convolution, with im2col and a
matrix product; only the columns differ:

    cols[c, k, p] = mask[k, p] * bilinear(x[c], y_k(p) + dy[k, p], x_k(p) + dx[k, p])
    out = W @ cols + bias

where ``(y_k(p), x_k(p))`` is where kernel tap ``k`` of output position ``p`` falls
in the plain convolution, ``(dy, dx)`` comes from the ``offset`` input and ``mask``
is 1 in DCN v1. The data gradient scatters ``W^T @ dy`` back through the bilinear
weights; the offset gradient uses the derivatives of those weights.

MXNet 1.x reads pixels outside the image differently in the two versions, and
d2lmini does as it does:

* ``DeformableConvolution`` reads 0 at any point outside ``0 <= y < H``,
  ``0 <= x < W``; inside, a point past the last row (or column) reads that row, as
  if it had been moved onto it (its derivative along that axis is 0).
* ``ModulatedDeformableConvolution`` pads the image with zeros: a point reads the
  pixels around it that are inside the image, so it fades out over the last pixel's
  width beyond each border.

Bilinear interpolation has kinks where a point crosses a pixel row or column: the
offset gradient there is the one-sided derivative from above, as in MXNet.

The deformable operators differentiate once: their gradients are computed by
``_backward_contrib_X`` operators that are not differentiable themselves, and
``autograd.grad(..., create_graph=True)`` through them says so. ``RROIAlign`` is
linear in its data and differentiates to any order, as ``ROIAlign`` does (MXNet 1.x
gives it no gradient at all).

>>> import d2lmini as mx
>>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
>>> offset = mx.nd.full((1, 2, 4, 4), 0.5)            # every point moves half a pixel
>>> y = mx.nd.contrib.DeformableConvolution(x, offset, mx.nd.ones((1, 1, 1, 1)),
...                                         kernel=(1, 1), num_filter=1, no_bias=True)
>>> y[0, 0, :2, :2].asnumpy().tolist()
[[2.5, 3.5], [6.5, 7.5]]
"""
import math

import numpy as np

from ..backend import to_host
from ..base import MXNetError, shape_str
from . import convolution as conv
from .detection import _c_round
from .registry import needs_grad, register


# ------------------------------------------------------------------ bilinear reads
def _axis_weights(xp, pos, size, clamp):
    """For positions ``pos`` along one axis of ``size`` pixels: the lower pixel, the
    fraction of the way to the next one, that fraction's derivative with respect to
    ``pos`` (1, or 0 where a clamped point sits on the last pixel) and whether the
    position may be read at all.

    ``clamp`` (DeformableConvolution): a position outside ``[0, size)`` reads
    nothing; one past the last pixel reads the last pixel. Otherwise (zero padding)
    every position is readable; its pixels outside the image read as 0."""
    low = xp.floor(pos)
    frac = pos - low
    slope = xp.ones_like(pos)
    if clamp:
        readable = (pos >= 0) & (pos < size)
        past_end = low >= size - 1
        low = xp.where(past_end, size - 1, low)
        frac = xp.where(past_end, 0, frac)
        slope = xp.where(past_end, 0, slope)
    else:
        readable = xp.ones(pos.shape, bool)
    return low.astype(np.int64), frac, slope, readable


def _bilinear_taps(xp, ys, xs, height, width, clamp):
    """The four pixels that bilinear interpolation at points ``(ys, xs)`` reads, as
    ``(flat pixel index, weight, d weight / d y, d weight / d x)`` per pixel, each
    array shaped like ``ys``. A pixel outside the image (or of a point that reads
    nothing) has weight 0 and index 0."""
    y0, fy, sy, ry = _axis_weights(xp, ys, height, clamp)
    x0, fx, sx, rx = _axis_weights(xp, xs, width, clamp)
    readable = ry & rx
    taps = []
    for dy in (0, 1):
        wy, dwy = (fy, sy) if dy else (1 - fy, -sy)
        yi = y0 + dy
        for dx in (0, 1):
            wx, dwx = (fx, sx) if dx else (1 - fx, -sx)
            xi = x0 + dx
            inside = readable & (yi >= 0) & (yi < height) & (xi >= 0) & (xi < width)
            keep = inside.astype(ys.dtype)
            index = xp.where(inside, yi * width + xi, 0)
            taps.append((index, wy * wx * keep, dwy * wx * keep, wy * dwx * keep))
    return taps


def _read_pixels(xp, images, index):
    """``images`` ``(N, G, Cg, H*W)`` read at pixels ``index`` ``(N, G, M)`` (one
    index per image and group, shared by the group's channels): ``(N, G, Cg, M)``."""
    N, G, Cg = images.shape[:3]
    n = xp.arange(N).reshape(N, 1, 1, 1)
    g = xp.arange(G).reshape(1, G, 1, 1)
    c = xp.arange(Cg).reshape(1, 1, Cg, 1)
    return images[n, g, c, index[:, :, None, :]]


def _scatter_pixels(xp, grads, index, shape, dtype):
    """The adjoint of :func:`_read_pixels`: ``grads`` ``(N, G, Cg, M)`` added onto
    the pixels ``index`` ``(N, G, M)`` of zeros of ``shape`` ``(N, G, Cg, H*W)``.
    One ``bincount`` over flat indices adds repeated pixels (several points read
    the same one) in a single pass."""
    N, G, Cg, HW = shape
    base = (xp.arange(N * G * Cg).reshape(N, G, Cg, 1)) * HW
    flat = (base + index[:, :, None, :]).ravel()
    total = xp.bincount(flat, weights=grads.ravel(), minlength=N * G * Cg * HW)
    return total.astype(dtype).reshape(shape)


# ------------------------------------------------------------------ the sampling grid
def _tap_positions(xp, offset, g, groups, dtype):
    """Where every kernel tap of every output position reads, after its offset:
    ``(ys, xs)``, each ``(N, groups, K, Ho*Wo)``. ``offset`` ``(N, groups*K*2, Ho,
    Wo)`` holds, for deformable group ``d`` and tap ``k`` (row-major in the kernel),
    the y offset in channel ``(d*K + k)*2`` and the x offset in the next one."""
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = g.kernel, g.stride, g.dilate, g.pad
    Ho, Wo = g.out
    N, K = offset.shape[0], kh * kw
    off = offset.reshape(N, groups, K, 2, Ho, Wo).astype(dtype)
    # where the taps fall without offsets (whole pixels, in the data's dtype)
    tap_y = xp.repeat(xp.arange(kh) * dh, kw).reshape(K, 1, 1)
    tap_x = xp.tile(xp.arange(kw) * dw, kh).reshape(K, 1, 1)
    grid_y = ((xp.arange(Ho) * sh - ph).reshape(1, Ho, 1) + tap_y).astype(dtype)
    grid_x = ((xp.arange(Wo) * sw - pw).reshape(1, 1, Wo) + tap_x).astype(dtype)
    ys, xs = grid_y + off[:, :, :, 0], grid_x + off[:, :, :, 1]
    return ys.reshape(N, groups, K, -1), xs.reshape(N, groups, K, -1)


class _Sampling:
    """The bilinear reads of one deformable convolution: for data ``(N, C, H, W)``
    split into ``groups`` deformable groups, every channel at every tap position.

    ``taps`` are the four pixels per point (:func:`_bilinear_taps`, points flattened
    to ``M = K * Ho * Wo``) and ``reads`` their values ``(N, groups, C/groups, M)``."""

    def __init__(self, xp, data, offset, g, groups, clamp):
        N, C, H, W = data.shape
        self.shape = (N, groups, C // groups, H * W)
        ys, xs = _tap_positions(xp, offset, g, groups, data.dtype)
        self.taps = [tuple(a.reshape(N, groups, -1) for a in tap)
                     for tap in _bilinear_taps(xp, ys, xs, H, W, clamp)]
        images = data.reshape(self.shape)
        self.reads = [_read_pixels(xp, images, tap[0]) for tap in self.taps]

    def values(self, which=1):
        """The interpolated values ``(N, groups, Cg, M)``; ``which=2`` and ``3`` give
        their derivatives along y and x instead."""
        return sum(r * tap[which][:, :, None, :] for r, tap in zip(self.reads, self.taps))


# ------------------------------------------------------------------ attributes and checks
def _geometry(op, data, offset, mask, weight, bias, kernel, stride, dilate, pad, num_filter,
              num_group, num_deformable_group, no_bias, layout):
    """Check a deformable convolution call; returns its geometry (a 2-D convolution's)."""
    if layout not in (None, 'NCHW'):
        raise MXNetError(f"{op}: layout {layout!r} is not supported: MXNet 1.x computes "
                         "deformable convolutions in 2-D only, layout None or 'NCHW'")
    if len(conv._shape_attr(kernel)) != 2:
        raise MXNetError(f'{op}: kernel={kernel} must be 2-D (kh, kw): deformable '
                         'convolution is 2-D only, as in MXNet 1.x')
    g, _ = conv._conv_checks(op, data, weight, bias, kernel, stride, dilate, pad, num_filter,
                             num_group, no_bias, layout)
    N, C = data.shape[:2]
    groups = int(num_deformable_group)
    if groups < 1 or C % groups:
        raise MXNetError(f'{op}: num_deformable_group={num_deformable_group} must divide the '
                         f'{C} input channels (data {shape_str(data.shape)})')
    K = g.kernel[0] * g.kernel[1]
    want = (N, groups * K * 2) + g.out
    if tuple(offset.shape) != want:
        raise MXNetError(f'{op}: offset has shape {shape_str(offset.shape)}, expected '
                         f'{shape_str(want)}: (batch, num_deformable_group*kh*kw*2, '
                         'out_height, out_width), one (y, x) pair per kernel tap')
    if mask is not None and tuple(mask.shape) != want[:1] + (groups * K,) + g.out:
        raise MXNetError(f'{op}: mask has shape {shape_str(mask.shape)}, expected '
                         f'{shape_str(want[:1] + (groups * K,) + g.out)}: (batch, '
                         'num_deformable_group*kh*kw, out_height, out_width)')
    conv._check_dtypes(op, [data, offset] + ([] if mask is None else [mask]),
                       ['data', 'offset', 'mask'])
    return g


def _grouped_columns(sampled, mask, g, num_group):
    """The columns ``(N, num_group, C/num_group*K, Ho*Wo)`` of the matrix product,
    from the sampled values ``(N, groups, Cg, K*Ho*Wo)``, times ``mask``."""
    N = sampled.shape[0]
    if mask is not None:
        groups = sampled.shape[1]
        sampled = sampled * mask.reshape(N, groups, 1, -1)
    return sampled.reshape(N, num_group, -1, g.out[0] * g.out[1])


def _deformable_forward(xp, op, data, offset, mask, weight, bias, kernel, stride, dilate, pad,
                        num_filter, num_group, num_deformable_group, no_bias, layout):
    g = _geometry(op, data, offset, mask, weight, bias, kernel, stride, dilate, pad,
                  num_filter, num_group, num_deformable_group, no_bias, layout)
    sampling = _Sampling(xp, data, offset, g, num_deformable_group, clamp=mask is None)
    cols = _grouped_columns(sampling.values(), mask, g, num_group)
    w = conv._grouped(weight, num_group)
    out = xp.matmul(w[None], cols).reshape((data.shape[0], num_filter) + g.out)
    return conv._add_bias(out, bias)


def _deformable_grads(xp, op, dy, data, offset, mask, weight, kernel, stride, dilate, pad,
                      num_filter, num_group, num_deformable_group, layout):
    """``(d data, d offset, d mask or None, d weight)`` of a deformable convolution."""
    g = _geometry(op, data, offset, mask, weight, None, kernel, stride, dilate, pad,
                  num_filter, num_group, num_deformable_group, True, layout)
    N = data.shape[0]
    groups = num_deformable_group
    sampling = _Sampling(xp, data, offset, g, groups, clamp=mask is None)
    values = sampling.values()
    P = g.out[0] * g.out[1]
    w = conv._grouped(weight, num_group)                        # (G, O/G, Cg*K)
    dy = dy.reshape(N, num_group, num_filter // num_group, P)
    cols = _grouped_columns(values, mask, g, num_group)
    dweight = xp.matmul(dy, cols.swapaxes(-1, -2)).sum(axis=0).reshape(weight.shape)
    dcols = xp.matmul(w.swapaxes(-1, -2)[None], dy).reshape(values.shape)
    dmask = None
    if mask is not None:
        dmask = (dcols * values).sum(axis=2).reshape(mask.shape)
        dcols = dcols * mask.reshape(N, groups, 1, -1)
    # every tap pixel receives its weight's share of the column gradient
    ddata = _scatter_pixels(
        xp, xp.concatenate([dcols * tap[1][:, :, None, :] for tap in sampling.taps], axis=-1),
        xp.concatenate([tap[0] for tap in sampling.taps], axis=-1), sampling.shape, data.dtype)
    d_y = (dcols * sampling.values(2)).sum(axis=2)
    d_x = (dcols * sampling.values(3)).sum(axis=2)
    K = g.kernel[0] * g.kernel[1]
    doffset = xp.stack([d_y.reshape(N, groups, K, P), d_x.reshape(N, groups, K, P)], axis=3)
    return (ddata.reshape(data.shape), doffset.reshape(offset.shape).astype(offset.dtype),
            dmask, dweight.astype(weight.dtype))


def _output_shape(op, in_shapes, kernel, stride, dilate, pad, num_filter, **attrs):
    data_shape = tuple(in_shapes[0])
    if num_filter is None:
        raise MXNetError(f'{op}: the num_filter attribute is required')
    g = conv._conv_geometry(op, data_shape, kernel, stride, dilate, pad)
    return [(data_shape[0], int(num_filter)) + g.out]


def _param_shapes(op):
    def param_shapes(data_shape, kernel=(), stride=(), dilate=(), pad=(), num_filter=None,
                     num_group=1, num_deformable_group=1, no_bias=False, layout=None, **attrs):
        """Weight ``(num_filter, channels/num_group, kh, kw)`` and bias ``(num_filter,)``
        from the data's shape, for Gluon's deferred initialisation. The offset (and
        mask) can have one shape only, which follows too: MXNet leaves it to the
        caller, d2lmini also fills it in where a graph leaves it unknown."""
        shapes = {'weight': conv._weight_shape(op, data_shape, kernel, num_filter, num_group,
                                               layout, transposed=False)}
        if not no_bias:
            shapes['bias'] = (num_filter,)
        g = conv._conv_geometry(op, tuple(data_shape), kernel, stride, dilate, pad)
        taps = int(num_deformable_group) * g.kernel[0] * g.kernel[1]
        shapes['offset'] = (data_shape[0], 2 * taps) + g.out
        shapes['mask'] = (data_shape[0], taps) + g.out
        return shapes
    return param_shapes


# ------------------------------------------------------------------ DeformableConvolution
def _deformable_convolution(xp, data, offset, weight, bias=None, kernel=(), stride=(),
                            dilate=(), pad=(), num_filter=None, num_group=1,
                            num_deformable_group=1, workspace=1024, no_bias=False, layout=None):
    """Deformable convolution (DCN v1) of ``data`` ``(N, C, H, W)``: a 2-D
    Convolution whose kernel taps read the input at fractional positions moved by
    ``offset`` ``(N, num_deformable_group*kh*kw*2, out_h, out_w)``, a (y, x) pair per
    tap and output position (channel ``2k`` moves tap ``k`` down, ``2k+1`` right;
    taps in row-major order). The input channels are split into
    ``num_deformable_group`` groups, each moved by its own offsets. ``weight``
    ``(num_filter, C/num_group, kh, kw)`` and ``bias`` are those of Convolution,
    and so is the output size. A point outside the image reads 0; one past its last
    row or column reads that row or column. With zero offsets it is Convolution.
    ``workspace`` is accepted and unused.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(9).reshape((1, 1, 3, 3))
    >>> w = mx.nd.ones((1, 1, 2, 2))
    >>> offset = mx.nd.zeros((1, 8, 2, 2))
    >>> offset[0, 1] = 0.5                     # tap (0, 0) reads half a pixel right
    >>> y = mx.nd.contrib.DeformableConvolution(x, offset, w, kernel=(2, 2), num_filter=1,
    ...                                         no_bias=True)
    >>> y.asnumpy().ravel().tolist()
    [8.5, 12.5, 20.5, 24.5]
    """
    return _deformable_forward(xp, 'DeformableConvolution', data, offset, None, weight, bias,
                               kernel, stride, dilate, pad, num_filter, num_group,
                               num_deformable_group, no_bias, layout)


def _conv_attrs(attrs):
    return {k: attrs[k] for k in ('kernel', 'stride', 'dilate', 'pad', 'num_filter',
                                  'num_group', 'num_deformable_group', 'layout')}


def _bias_grad(F, dy, x, n_inputs):
    if len(x) == n_inputs and needs_grad(x[-1]):
        return F._conv_bias_grad(dy)
    return None


def _deformable_convolution_backward(F, dy, x, y, **attrs):
    data, offset, weight = x[:3]
    ddata, doffset, dweight = F._backward_contrib_DeformableConvolution(
        dy, data, offset, weight, **_conv_attrs(attrs))
    return [ddata, doffset, dweight, _bias_grad(F, dy, x, 4)][:len(x)]


def _deformable_convolution_grad(xp, dy, data, offset, weight, kernel=(), stride=(),
                                 dilate=(), pad=(), num_filter=None, num_group=1,
                                 num_deformable_group=1, layout=None):
    """The gradients of DeformableConvolution's data, offset and weight."""
    ddata, doffset, _, dweight = _deformable_grads(
        xp, 'DeformableConvolution', dy, data, offset, None, weight, kernel, stride, dilate,
        pad, num_filter, num_group, num_deformable_group, layout)
    return ddata, doffset, dweight


register('_contrib_DeformableConvolution', _deformable_convolution,
         backward=_deformable_convolution_backward, once_differentiable=True,
         inputs=('data', 'offset', 'weight', 'bias'),
         infer_shape=lambda s, **a: _output_shape('DeformableConvolution', s, **a),
         param_shapes=_param_shapes('DeformableConvolution'))
register('_backward_contrib_DeformableConvolution', _deformable_convolution_grad,
         inputs=('dy', 'data', 'offset', 'weight'), num_outputs=3, once_differentiable=True,
         infer_shape=lambda s, **a: [tuple(s[1]), tuple(s[2]), tuple(s[3])])


# ------------------------------------------------------------------ ModulatedDeformableConvolution
def _modulated_deformable_convolution(xp, data, offset, mask, weight, bias=None, kernel=(),
                                      stride=(), dilate=(), pad=(), num_filter=None,
                                      num_group=1, num_deformable_group=1, workspace=1024,
                                      no_bias=False, im2col_step=64, layout=None):
    """Modulated deformable convolution (DCN v2): DeformableConvolution whose every
    tap read is also scaled by ``mask`` ``(N, num_deformable_group*kh*kw, out_h,
    out_w)`` (one factor per tap and output position, usually a sigmoid). Unlike
    DeformableConvolution, the image is padded with zeros: a point just outside it
    still reads the border pixels it is near. ``im2col_step`` (images per im2col
    pass in MXNet) must divide the batch or exceed it; ``workspace`` is unused.
    (MXNet 1.x computes this operator's gradient on GPUs only; d2lmini everywhere.
    MXNet also asks ``num_filter`` to be a multiple of ``num_deformable_group``, a
    limit of its kernels: the groups split the input channels, so d2lmini does not.)

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(9).reshape((1, 1, 3, 3))
    >>> offset = mx.nd.zeros((1, 2, 3, 3))
    >>> offset[0, 0] = -0.5                    # every point reads half a pixel up
    >>> mask = mx.nd.full((1, 1, 3, 3), 2)
    >>> y = mx.nd.contrib.ModulatedDeformableConvolution(x, offset, mask,
    ...     mx.nd.ones((1, 1, 1, 1)), kernel=(1, 1), num_filter=1, no_bias=True)
    >>> y[0, 0].asnumpy().tolist()            # the top row fades into the zero padding
    [[0.0, 1.0, 2.0], [3.0, 5.0, 7.0], [9.0, 11.0, 13.0]]
    """
    batch = data.shape[0]
    step = min(int(im2col_step), batch)
    if step < 1 or batch % step:
        raise MXNetError(f'ModulatedDeformableConvolution: im2col_step={im2col_step} must '
                         f'divide the batch size {batch} or be larger than it')
    return _deformable_forward(xp, 'ModulatedDeformableConvolution', data, offset, mask,
                               weight, bias, kernel, stride, dilate, pad, num_filter, num_group,
                               num_deformable_group, no_bias, layout)


def _modulated_backward(F, dy, x, y, **attrs):
    data, offset, mask, weight = x[:4]
    grads = F._backward_contrib_ModulatedDeformableConvolution(dy, data, offset, mask, weight,
                                                               **_conv_attrs(attrs))
    return list(grads) + [_bias_grad(F, dy, x, 5)][:len(x) - 4]


def _modulated_grad(xp, dy, data, offset, mask, weight, kernel=(), stride=(), dilate=(),
                    pad=(), num_filter=None, num_group=1, num_deformable_group=1, layout=None):
    """The gradients of ModulatedDeformableConvolution's data, offset, mask and weight."""
    return _deformable_grads(xp, 'ModulatedDeformableConvolution', dy, data, offset, mask,
                             weight, kernel, stride, dilate, pad, num_filter, num_group,
                             num_deformable_group, layout)


register('_contrib_ModulatedDeformableConvolution', _modulated_deformable_convolution,
         backward=_modulated_backward, once_differentiable=True,
         inputs=('data', 'offset', 'mask', 'weight', 'bias'),
         infer_shape=lambda s, **a: _output_shape('ModulatedDeformableConvolution', s, **a),
         param_shapes=_param_shapes('ModulatedDeformableConvolution'))
register('_backward_contrib_ModulatedDeformableConvolution', _modulated_grad,
         inputs=('dy', 'data', 'offset', 'mask', 'weight'), num_outputs=4,
         once_differentiable=True, infer_shape=lambda s, **a: [tuple(t) for t in s[1:]])


# ------------------------------------------------------------------ DeformablePSROIPooling
_PSROI_TYPES = {'spatial_scale': 'float', 'output_dim': 'int', 'group_size': 'int',
                'pooled_size': 'int'}


class _PartSamples:
    """The sample points of a DeformablePSROIPooling call and what they read.

    For region ``r``, output channel ``k`` and bin ``(i, j)``, ``S x S`` points
    (``S = sample_per_part``) are spread over the bin, which is first moved by its
    part's translation (``trans * trans_std``, in units of the region's size). Arrays
    are shaped ``(R, output_dim, P, P, S, S)`` (``P = pooled_size``):

    * ``image``, ``channel``: where the bin reads, broadcastable to that shape;
    * ``taps``: the four pixels of each (clamped) point, as ``(y, x, weight,
      d weight / d y, d weight / d x)``, weights zero for points that read nothing;
    * ``count`` ``(R, output_dim, P, P)``: how many points of each bin read;
    * ``part``: per bin, the region, trans channel (of x; y's is the next) and part
      cell it moved by (None without ``trans``), and ``extent``: the regions' widths
      and heights ``(R,)``, for the gradient.
    """

    def __init__(self, xp, data, rois, trans, spatial_scale, output_dim, group_size,
                 pooled_size, part_size, sample_per_part, trans_std):
        N, C, H, W = data.shape
        t = data.dtype.type
        R, P, G, S = rois.shape[0], int(pooled_size), int(group_size), int(sample_per_part)
        part = int(part_size) if part_size > 0 else P
        if C < output_dim * G * G:
            raise MXNetError(f'DeformablePSROIPooling: data has {C} channels, fewer than '
                             f'output_dim * group_size**2 = {output_dim * G * G}')
        boxes = rois.astype(data.dtype)
        self.image = boxes[:, 0].astype(np.int64).reshape(R, 1, 1, 1, 1, 1)
        if R and (int(self.image.min()) < 0 or int(self.image.max()) >= N):
            # (MXNet reads memory outside the data here)
            raise MXNetError(f'DeformablePSROIPooling: a region names an image outside the '
                             f'batch of {N}')
        # corners rounded to whole pixels, scaled; a pixel's centre is at its index
        x0 = _c_round(boxes[:, 1]) * t(spatial_scale) - t(0.5)
        y0 = _c_round(boxes[:, 2]) * t(spatial_scale) - t(0.5)
        x1 = (_c_round(boxes[:, 3]) + t(1)) * t(spatial_scale) - t(0.5)
        y1 = (_c_round(boxes[:, 4]) + t(1)) * t(spatial_scale) - t(0.5)
        width, height = xp.maximum(x1 - x0, t(0.1)), xp.maximum(y1 - y0, t(0.1))
        self.extent = (width, height)
        bins = xp.arange(P)
        # the part (trans cell) and group (channel block) of every bin row or column
        part_of = xp.floor(bins.astype(data.dtype) / t(P) * t(part)).astype(np.int64)
        group_of = xp.clip((bins * G) // P, 0, G - 1)
        k = xp.arange(output_dim).reshape(output_dim, 1, 1)
        self.channel = ((k * G + group_of.reshape(P, 1)) * G + group_of).reshape(
            1, output_dim, P, P, 1, 1)
        if trans is None:
            shift_x = shift_y = xp.zeros((R, 1, 1, 1), data.dtype)
            self.part = None
        else:
            classes = trans.shape[1] // 2
            if trans.ndim != 4 or trans.shape[0] != R or trans.shape[1] % 2 or not classes \
                    or output_dim % classes or trans.shape[2:] != (part, part):
                raise MXNetError(
                    f'DeformablePSROIPooling: trans has shape {shape_str(trans.shape)}, '
                    f'expected ({R}, 2 * classes, {part}, {part}) (regions, an x and y map '
                    f'per class, part_size cells) with classes dividing output_dim '
                    f'{output_dim}')
            cls = (k // (output_dim // classes)).reshape(1, output_dim, 1, 1)
            ri = xp.arange(R).reshape(R, 1, 1, 1)
            pi, pj = part_of.reshape(1, 1, P, 1), part_of.reshape(1, 1, 1, P)
            self.part = (ri, 2 * cls, pi, pj)
            shift_x = trans[ri, 2 * cls, pi, pj].astype(data.dtype) * t(trans_std)
            shift_y = trans[ri, 2 * cls + 1, pi, pj].astype(data.dtype) * t(trans_std)
        r4 = (R, 1, 1, 1)
        bin_w, bin_h = (width / t(P)).reshape(r4), (height / t(P)).reshape(r4)
        first = bins.astype(data.dtype)
        start_x = first.reshape(1, 1, 1, P) * bin_w + x0.reshape(r4) + \
            shift_x * width.reshape(r4)
        start_y = first.reshape(1, 1, P, 1) * bin_h + y0.reshape(r4) + \
            shift_y * height.reshape(r4)
        steps = xp.arange(S).astype(data.dtype)
        xs = start_x[..., None, None] + steps.reshape(S) * (bin_w / t(S))[..., None, None]
        ys = start_y[..., None, None] + steps.reshape(S, 1) * (bin_h / t(S))[..., None, None]
        xs, ys = xp.broadcast_arrays(xs, ys)
        # points beyond half a pixel outside the map are skipped; the others are moved
        # onto it (reading its border)
        reads = (xs >= -0.5) & (xs <= W - 0.5) & (ys >= -0.5) & (ys <= H - 0.5)
        self.count = reads.sum(axis=(-2, -1)).astype(data.dtype)
        self.taps = _clamped_taps(xp, ys, xs, H, W, reads.astype(data.dtype))

    def share(self, xp):
        """``1 / count`` per bin (0 for a bin with no point), shaped for the points."""
        count = self.count
        return (xp.where(count > 0, 1 / xp.maximum(count, 1), 0))[..., None, None]


def _clamped_taps(xp, ys, xs, height, width, keep):
    """The pixels bilinear interpolation reads at points ``(ys, xs)`` moved onto the
    map (the nearest point of ``[0, height-1] x [0, width-1]``): ``(y, x, weight,
    d weight / d y, d weight / d x)`` for each of four pixels, times ``keep``. Along
    an axis where a point was moved, or sits on the last pixel, its derivative is 0."""
    sy = ((ys >= 0) & (ys < height - 1)).astype(ys.dtype)
    sx = ((xs >= 0) & (xs < width - 1)).astype(xs.dtype)
    ys, xs = xp.clip(ys, 0, height - 1), xp.clip(xs, 0, width - 1)
    y0, x0 = xp.floor(ys), xp.floor(xs)
    fy, fx = ys - y0, xs - x0
    y0, x0 = y0.astype(np.int64), x0.astype(np.int64)
    taps = []
    for dy in (0, 1):
        wy, dwy = (fy, sy) if dy else (1 - fy, -sy)
        for dx in (0, 1):
            wx, dwx = (fx, sx) if dx else (1 - fx, -sx)
            taps.append((xp.minimum(y0 + dy, height - 1), xp.minimum(x0 + dx, width - 1),
                         wy * wx * keep, dwy * wx * keep, wy * dwx * keep))
    return taps


def _psroi_samples(xp, data, rois, trans, spatial_scale, output_dim, group_size, pooled_size,
                   part_size, sample_per_part, trans_std, no_trans):
    if spatial_scale is None or output_dim is None or group_size is None or pooled_size is None:
        raise MXNetError('DeformablePSROIPooling: the arguments spatial_scale, output_dim, '
                         'group_size and pooled_size are required')
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
        raise MXNetError(f'DeformablePSROIPooling: data must be (N, C, H, W) and rois (R, 5), '
                         f'got {shape_str(data.shape)} and {shape_str(rois.shape)}')
    if no_trans and trans is not None:
        raise MXNetError('DeformablePSROIPooling: with no_trans=True it takes 2 inputs (data, '
                         'rois), but trans was given too')
    if not no_trans and trans is None:
        raise MXNetError('DeformablePSROIPooling: the trans input is required (or set '
                         'no_trans=True)')
    if min(int(group_size), int(pooled_size), int(sample_per_part)) < 1:
        raise MXNetError('DeformablePSROIPooling: group_size, pooled_size and sample_per_part '
                         'must be positive')
    return _PartSamples(xp, data, rois, trans, spatial_scale, int(output_dim), group_size,
                        pooled_size, part_size, sample_per_part, trans_std)


def _deformable_psroi_pooling(xp, data, rois, trans=None, spatial_scale=None, output_dim=None,
                              group_size=None, pooled_size=None, part_size=0,
                              sample_per_part=1, trans_std=0.0, no_trans=False):
    """Deformable position-sensitive ROI pooling (R-FCN with deformable parts).

    ``rois`` ``(R, 5)`` holds ``(image index, x1, y1, x2, y2)`` in image pixels,
    rounded and scaled by ``spatial_scale`` onto ``data`` ``(N, C, H, W)``, with
    ``C`` at least ``output_dim * group_size**2``. Each region is cut into ``pooled_size x
    pooled_size`` bins; bin ``(i, j)`` of output channel ``k`` reads channel ``(k *
    G + gi) * G + gj`` of the data, where ``(gi, gj)`` is the bin's cell in a ``G x
    G`` grid (``G = group_size``), as PSROIPooling does. Unlike PSROIPooling, a bin
    averages ``sample_per_part**2`` bilinear samples spread evenly from its
    top-left corner, and, unless ``no_trans``, the bin is first moved by ``trans``
    ``(R, 2 * classes, part_size, part_size)``: its part's (x, y) translation of
    the output channel's class, times ``trans_std`` times the region's width and
    height (``part_size`` 0 means ``pooled_size``). Samples more than half a pixel
    outside the map are skipped, the others read the nearest point of the map; a bin
    with no sample gives 0. Output ``(R, output_dim, pooled_size, pooled_size)``.
    The gradient goes to ``data`` and ``trans`` (the regions get none).

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(64).reshape((1, 4, 4, 4))         # 4 channels = 1 x 2 x 2 groups
    >>> y = mx.nd.contrib.DeformablePSROIPooling(x, mx.nd.array([[0, 0, 0, 3, 3]]),
    ...     spatial_scale=1.0, output_dim=1, group_size=2, pooled_size=2, no_trans=True)
    >>> y.asnumpy().tolist()      # bin (i, j) reads channel 2 i + j at its top-left corner
    [[[[0.0, 17.5], [38.0, 55.5]]]]
    """
    samples = _psroi_samples(xp, data, rois, trans, spatial_scale, output_dim, group_size,
                             pooled_size, part_size, sample_per_part, trans_std, no_trans)
    total = sum(data[samples.image, samples.channel, y, x] * w
                for y, x, w, _, _ in samples.taps)
    return (total * samples.share(xp)).sum(axis=(-2, -1))


def _deformable_psroi_grad(xp, dy, data, rois, trans, spatial_scale=None, output_dim=None,
                           group_size=None, pooled_size=None, part_size=0, sample_per_part=1,
                           trans_std=0.0, no_trans=False):
    """The gradients of DeformablePSROIPooling's data and trans (zeros with
    ``no_trans``, where ``trans`` only gives the shape)."""
    samples = _psroi_samples(xp, data, rois, None if no_trans else trans, spatial_scale,
                             output_dim, group_size, pooled_size, part_size, sample_per_part,
                             trans_std, no_trans)
    N, C, H, W = data.shape
    per_point = dy[..., None, None] * samples.share(xp)
    where, amounts = [], []
    for y, x, w, _, _ in samples.taps:
        flat, amount = xp.broadcast_arrays(
            ((samples.image * C + samples.channel) * H + y) * W + x, per_point * w)
        where.append(flat.ravel())
        amounts.append(amount.ravel())
    ddata = xp.bincount(xp.concatenate(where), weights=xp.concatenate(amounts),
                        minlength=data.size).astype(data.dtype).reshape(data.shape)
    dtrans = xp.zeros(trans.shape, data.dtype)
    if samples.part is not None and trans_std:
        width, height = samples.extent
        for axis, extent in ((4, width), (3, height)):   # d weight / d x, then / d y
            slope = sum(data[samples.image, samples.channel, tap[0], tap[1]] * tap[axis]
                        for tap in samples.taps)
            move = (per_point * slope).sum(axis=(-2, -1)) * \
                (extent * data.dtype.type(trans_std)).reshape(-1, 1, 1, 1)
            r, ch, pi, pj = samples.part
            ch = ch + (axis == 3)      # channel 2c moves x, 2c + 1 moves y
            flat = ((r * trans.shape[1] + ch) * trans.shape[2] + pi) * trans.shape[3] + pj
            dtrans += xp.bincount(xp.broadcast_to(flat, move.shape).ravel(),
                                  weights=move.ravel(), minlength=trans.size
                                  ).astype(data.dtype).reshape(trans.shape)
    return ddata, dtrans


def _psroi_parts(attrs):
    return int(attrs['part_size']) if attrs['part_size'] > 0 else int(attrs['pooled_size'])


def _deformable_psroi_backward(F, dy, x, y, **attrs):
    data, rois = x[:2]
    if attrs['no_trans']:
        # the gradient's trans input gives a shape only
        part = _psroi_parts(attrs)
        trans = F.zeros((rois.shape[0], 2, part, part), dtype=data.dtype, ctx=data.context)
    else:
        trans = x[2]
    ddata, dtrans = F._backward_contrib_DeformablePSROIPooling(dy, data, rois, trans, **attrs)
    return [ddata, F.zeros_like(rois), dtrans][:len(x)]


def _deformable_psroi_shape(in_shapes, output_dim=None, pooled_size=None, **attrs):
    return [(in_shapes[1][0], int(output_dim), int(pooled_size), int(pooled_size))]


register('_contrib_DeformablePSROIPooling', _deformable_psroi_pooling,
         inputs=('data', 'rois', 'trans'), backward=_deformable_psroi_backward,
         once_differentiable=True, attr_types=_PSROI_TYPES, infer_shape=_deformable_psroi_shape,
         optional_inputs=lambda a: ('data', 'rois') if a['no_trans'] else
         ('data', 'rois', 'trans'))
register('_backward_contrib_DeformablePSROIPooling', _deformable_psroi_grad,
         inputs=('dy', 'data', 'rois', 'trans'), num_outputs=2, once_differentiable=True,
         attr_types=_PSROI_TYPES, infer_shape=lambda s, **a: [tuple(s[1]), tuple(s[3])])


# ------------------------------------------------------------------ RROIAlign
def _pooled_pair(pooled_size):
    if pooled_size is None:
        raise MXNetError('RROIAlign: the argument pooled_size is required')
    size = (pooled_size,) if isinstance(pooled_size, int) else tuple(pooled_size)
    if len(size) not in (1, 2) or min(size) < 1:
        raise MXNetError(f'RROIAlign: pooled_size={pooled_size} must be (height, width) > 0')
    return (int(size[0]), int(size[-1]))


def _rotated_weights(roi, height, width, ph, pw, spatial_scale, sampling_ratio):
    """The ``(ph * pw, height * width)`` matrix that averages, for each bin of one
    rotated region ``(image, cx, cy, w, h, degrees)``, the bilinear samples taken in
    the bin. Computed in float32, as MXNet 1.x does."""
    f = np.float32
    scale = f(spatial_scale)
    cx, cy = f(roi[1]) * scale, f(roi[2]) * scale
    rw, rh = max(f(roi[3]) * scale, f(1)), max(f(roi[4]) * scale, f(1))
    theta = f(roi[5]) * f(math.pi / 180)
    cos, sin = np.cos(theta), np.sin(theta)
    bin_h, bin_w = rh / f(ph), rw / f(pw)
    gh = sampling_ratio if sampling_ratio > 0 else int(math.ceil(rh / f(ph)))
    gw = sampling_ratio if sampling_ratio > 0 else int(math.ceil(rw / f(pw)))
    # sample points in the region's own frame (centred on it): (ph, pw, gh, gw)
    yy = (-rh / f(2) + np.arange(ph, dtype=f)[:, None] * bin_h +
          (np.arange(gh, dtype=f)[None, :] + f(0.5)) * bin_h / f(gh))[:, None, :, None]
    xx = (-rw / f(2) + np.arange(pw, dtype=f)[:, None] * bin_w +
          (np.arange(gw, dtype=f)[None, :] + f(0.5)) * bin_w / f(gw))[None, :, None, :]
    # turned by the region's angle (counterclockwise on the image) about its centre
    xs = (xx * cos + yy * sin + cx).astype(f)
    ys = (yy * cos - xx * sin + cy).astype(f)
    inside = (ys >= -1) & (ys <= height) & (xs >= -1) & (xs <= width)

    def axis(pos, size):
        # as ROIAlign reads: a point up to a pixel outside reads the border pixel
        pos = np.maximum(pos, f(0))
        low = pos.astype(np.int64)
        last = low >= size - 1
        low = np.where(last, size - 1, low)
        frac = np.where(last, f(0), pos - low).astype(f)
        return low, np.minimum(low + 1, size - 1), frac

    y0, y1, fy = axis(ys, height)
    x0, x1, fx = axis(xs, width)
    bins = np.arange(ph * pw).reshape(ph, pw, 1, 1) * (height * width)
    where, amounts = [], []
    for yi, wy in ((y0, f(1) - fy), (y1, fy)):
        for xi, wx in ((x0, f(1) - fx), (x1, fx)):
            w = np.where(inside, wy * wx, f(0))
            flat, w = np.broadcast_arrays(bins + yi * width + xi, w)
            where.append(flat.ravel())
            amounts.append(w.ravel())
    total = np.bincount(np.concatenate(where), weights=np.concatenate(amounts).astype(np.float64),
                        minlength=ph * pw * height * width)
    return (total / max(gh * gw, 1)).reshape(ph * pw, height * width)


def _rotated_plan(data_shape, rois, pooled_size, spatial_scale, sampling_ratio):
    """Per region: its image and its weight matrix."""
    if spatial_scale is None:
        raise MXNetError('RROIAlign: the argument spatial_scale is required')
    if len(data_shape) != 4 or len(rois.shape) != 2 or rois.shape[1] != 6:
        raise MXNetError(f'RROIAlign: data must be (N, C, H, W) and rois (R, 6: image, '
                         f'cx, cy, w, h, degrees), got {shape_str(data_shape)} and '
                         f'{shape_str(rois.shape)}')
    n, _, h, w = data_shape
    ph, pw = _pooled_pair(pooled_size)
    plan = []
    for roi in to_host(rois).astype(np.float32):
        b = int(roi[0])
        if not 0 <= b < n:   # MXNet reads memory outside the data here
            raise MXNetError(f'RROIAlign: a region names image {b}, but data has {n}')
        plan.append((b, _rotated_weights(roi, h, w, ph, pw, spatial_scale, sampling_ratio)))
    return plan, ph, pw


def _rroi_align(xp, data, rois, pooled_size=None, spatial_scale=None, sampling_ratio=-1):
    """ROIAlign over rotated boxes (text detection, arXiv:1703.01086). ``rois`` ``(R,
    6)`` holds ``(image index, cx, cy, w, h, angle)``: a box of size ``w x h``
    centred on ``(cx, cy)``, in image pixels (scaled by ``spatial_scale`` onto
    ``data`` ``(N, C, H, W)``), turned by ``angle`` degrees counterclockwise. Each box
    is cut into ``pooled_size`` ``(ph, pw)`` bins along its own axes, and each bin
    averages ``sampling_ratio**2`` bilinear samples (when ``sampling_ratio`` <= 0,
    ``ceil(h/ph) x ceil(w/pw)``), read as ROIAlign reads them. Sides shorter than a
    pixel count as one. Output ``(R, C, ph, pw)``.

    MXNet 1.x gives this operator no gradient (a gradient that reaches it is an
    error there). d2lmini differentiates it with respect to ``data`` (it is linear
    in it, as ROIAlign is); the boxes get a zero gradient, as ROIAlign's do.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(36).reshape((1, 1, 6, 6))
    >>> box = mx.nd.array([[0, 2.5, 2.5, 2, 2, 90]])     # a 2 x 2 box, a quarter turn
    >>> mx.nd.contrib.RROIAlign(x, box, pooled_size=(2, 2), spatial_scale=1.0)[0, 0]
    <BLANKLINE>
    [[20. 14.]
     [21. 15.]]
    <NDArray 2x2 @cpu(0)>
    """
    plan, ph, pw = _rotated_plan(data.shape, rois, pooled_size, spatial_scale, sampling_ratio)
    n, c, h, w = data.shape
    out = xp.zeros((len(plan), c, ph * pw), data.dtype)
    flat = data.reshape(n, c, h * w)
    for r, (b, weights) in enumerate(plan):
        out[r] = flat[b] @ xp.asarray(weights.astype(data.dtype)).T
    return out.reshape(len(plan), c, ph, pw)


def _rroi_align_adjoint(xp, dy, rois, data, pooled_size=None, spatial_scale=None,
                        sampling_ratio=-1):
    """The gradient of RROIAlign with respect to its feature map: each bin's gradient
    spread back over the pixels its samples read (``data`` gives the shape only)."""
    plan, ph, pw = _rotated_plan(data.shape, rois, pooled_size, spatial_scale, sampling_ratio)
    n, c, h, w = data.shape
    grad = xp.zeros((n, c, h * w), dy.dtype)
    g = dy.reshape(len(plan), c, ph * pw)
    for r, (b, weights) in enumerate(plan):
        grad[b] += g[r] @ xp.asarray(weights.astype(dy.dtype))
    return grad.reshape(data.shape)


def _rroi_align_shape(in_shapes, pooled_size=None, **attrs):
    return [(in_shapes[1][0], in_shapes[0][1]) + _pooled_pair(pooled_size)]


_RROI_TYPES = {'pooled_size': 'shape', 'spatial_scale': 'float'}

register('_contrib_RROIAlign', _rroi_align, inputs=('data', 'rois'),
         backward=lambda F, dy, x, y, **a: [F._backward_contrib_RROIAlign(dy, x[1], x[0], **a),
                                            F.zeros_like(x[1])],
         attr_types=_RROI_TYPES, infer_shape=_rroi_align_shape)
# linear in dy: its derivative is RROIAlign itself; rois and data (a shape) get none
register('_backward_contrib_RROIAlign', _rroi_align_adjoint, inputs=('dy', 'rois', 'data'),
         backward=lambda F, ddx, x, y, **a: [F._contrib_RROIAlign(ddx, x[1], **a),
                                             F.zeros_like(x[1]), F.zeros_like(x[2])],
         attr_types=_RROI_TYPES, infer_shape=lambda s, **a: [tuple(s[2])])
