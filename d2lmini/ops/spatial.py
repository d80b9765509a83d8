"""Operators that move pixels around: image patches as columns (``im2col``,
``col2im``), cropping (``Crop``), pooling regions of interest (``ROIPooling``) and
the spatial transformer network's pieces (``GridGenerator``, ``BilinearSampler``,
``SpatialTransformer``).

* ``im2col`` copies every kernel window of an image into one column: the result has
  MXNet's layout ``(N, C * prod(kernel), L)``, one column per output position, the
  rows ordered channel first, then kernel position. ``col2im`` adds the columns back
  onto their windows; it is the adjoint of ``im2col``, so each is the other's
  gradient.
* A *sampling grid* holds, for every output pixel, the point ``(x, y)`` of the input
  to read, both in ``[-1, 1]`` (-1 the first pixel, 1 the last). ``GridGenerator``
  makes one from an affine matrix per image or from a dense flow field;
  ``BilinearSampler`` reads the input at the grid points, interpolating between the
  four pixels around each point (pixels outside the image count as zeros).
"""
import itertools

import numpy as np

from .. import backend
from ..base import MXNetError, shape_str
from .registry import register


# ---------------------------------------------------------------------- im2col / col2im
def _geometry(op, shape, kernel, stride, dilate, pad):
    """Kernel, stride, dilation, padding and output size per spatial axis."""
    if not kernel:
        raise MXNetError(f'{op}: the argument kernel is required')
    k = tuple(int(v) for v in kernel)
    nsp = len(k)
    if len(shape) != nsp + 2:
        raise MXNetError(f'{op}: kernel {k} needs an input of {nsp + 2} axes (batch, channel, '
                         f'{nsp} spatial), got shape {shape_str(shape)}')

    def each(v, default, what):
        v = tuple(int(e) for e in v) if v else (default,) * nsp
        if len(v) != nsp:
            raise MXNetError(f'{op}: {what}={v} must have {nsp} entries, like kernel {k}')
        return v
    s, d, p = each(stride, 1, 'stride'), each(dilate, 1, 'dilate'), each(pad, 0, 'pad')
    if min(s) < 1 or min(d) < 1 or min(k) < 1:
        raise MXNetError(f'{op}: kernel, stride and dilate must be positive, got kernel={k} '
                         f'stride={s} dilate={d}')
    out = []
    for n, kk, ss, dd, pp in zip(shape[2:], k, s, d, p):
        span = dd * (kk - 1) + 1
        if n + 2 * pp < span:
            raise MXNetError(f'{op}: kernel {k} (dilate {d}) does not fit an input of shape '
                             f'{shape_str(shape)} padded by {p}')
        out.append((n + 2 * pp - span) // ss + 1)
    return k, s, d, p, tuple(out)


def _windows(k, s, d, out):
    """For every kernel position, the strided slices of the padded image it reads."""
    for pos in itertools.product(*[range(kk) for kk in k]):
        yield tuple(slice(i * dd, i * dd + ss * (o - 1) + 1, ss)
                    for i, dd, ss, o in zip(pos, d, s, out))


def _im2col(xp, data, kernel=(), stride=(), dilate=(), pad=()):
    """Every kernel window of ``data`` as a column: ``(N, C * prod(kernel), L)`` where
    ``L`` is the number of output positions.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(9).reshape((1, 1, 3, 3))
    >>> mx.nd.im2col(x, kernel=(2, 2))
    <BLANKLINE>
    [[[0. 1. 3. 4.]
      [1. 2. 4. 5.]
      [3. 4. 6. 7.]
      [4. 5. 7. 8.]]]
    <NDArray 1x4x4 @cpu(0)>
    """
    k, s, d, p, out = _geometry('im2col', data.shape, kernel, stride, dilate, pad)
    n, c = data.shape[:2]
    if any(p):
        padded = xp.zeros((n, c) + tuple(m + 2 * q for m, q in zip(data.shape[2:], p)),
                          dtype=data.dtype)
        padded[(slice(None), slice(None)) + tuple(slice(q, q + m) for q, m in
                                                  zip(p, data.shape[2:]))] = data
    else:
        padded = data
    cols = xp.empty((n, c, int(np.prod(k))) + out, dtype=data.dtype)
    for j, win in enumerate(_windows(k, s, d, out)):
        cols[:, :, j] = padded[(slice(None), slice(None)) + win]
    return cols.reshape(n, c * int(np.prod(k)), int(np.prod(out)))


def _im2col_infer_shape(in_shapes, kernel=(), stride=(), dilate=(), pad=()):
    k, _, _, _, out = _geometry('im2col', in_shapes[0], kernel, stride, dilate, pad)
    n, c = in_shapes[0][:2]
    return [(n, c * int(np.prod(k)), int(np.prod(out)))]


def _col2im(xp, data, output_size=(), kernel=(), stride=(), dilate=(), pad=()):
    """Add columns ``(N, C * prod(kernel), L)`` back onto their windows of an image
    of spatial size ``output_size``: the adjoint of ``im2col`` (overlapping windows
    add up).

    >>> import d2lmini as mx
    >>> cols = mx.nd.ones((1, 4, 4))
    >>> mx.nd.col2im(cols, output_size=(3, 3), kernel=(2, 2))[0, 0]
    <BLANKLINE>
    [[1. 2. 1.]
     [2. 4. 2.]
     [1. 2. 1.]]
    <NDArray 3x3 @cpu(0)>
    """
    if not output_size:
        raise MXNetError('col2im: the argument output_size is required')
    size = tuple(int(v) for v in output_size)
    kk = tuple(int(v) for v in kernel)
    if data.ndim != 3 or not kk or data.shape[1] % int(np.prod(kk)):
        raise MXNetError(f'col2im: input of shape {shape_str(data.shape)} is not (N, C * '
                         f'prod(kernel), L) for kernel {kk}')
    n, c = data.shape[0], data.shape[1] // int(np.prod(kk))
    k, s, d, p, out = _geometry('col2im', (n, c) + size, kernel, stride, dilate, pad)
    if int(np.prod(out)) != data.shape[2]:
        raise MXNetError(f'col2im: input of shape {shape_str(data.shape)} has {data.shape[2]} '
                         f'columns but an image of size {size} has {int(np.prod(out))} windows')
    padded = xp.zeros((n, c) + tuple(m + 2 * q for m, q in zip(size, p)), dtype=data.dtype)
    cols = data.reshape((n, c, int(np.prod(k))) + out)
    for j, win in enumerate(_windows(k, s, d, out)):
        padded[(slice(None), slice(None)) + win] += cols[:, :, j]
    return padded[(slice(None), slice(None)) + tuple(slice(q, q + m) for q, m in
                                                     zip(p, size))].copy()


def _col2im_infer_shape(in_shapes, output_size=(), kernel=(), **attrs):
    n, ck = in_shapes[0][:2]
    return [(n, ck // int(np.prod(kernel))) + tuple(output_size)]


register('im2col', _im2col, infer_shape=_im2col_infer_shape,
         backward=lambda F, dy, x, y, kernel, stride, dilate, pad: [
             F.col2im(dy, output_size=x[0].shape[2:], kernel=kernel, stride=stride,
                      dilate=dilate, pad=pad)])
register('col2im', _col2im, infer_shape=_col2im_infer_shape,
         backward=lambda F, dy, x, y, output_size, kernel, stride, dilate, pad: [
             F.im2col(dy, kernel=kernel, stride=stride, dilate=dilate, pad=pad)])


# ---------------------------------------------------------------------- Crop
def _crop_window(shapes, offset, h_w, center_crop):
    """``(top, left, height, width)`` of the region Crop keeps."""
    if len(shapes[0]) != 4:
        raise MXNetError(f'Crop: the input must be 4-D (N, C, H, W), got shape '
                         f'{shape_str(shapes[0])}')
    H, W = shapes[0][2:]
    if len(shapes) == 2:
        h, w = shapes[1][2:4] if len(shapes[1]) >= 4 else (None, None)
    else:
        h, w = (int(v) for v in h_w)
    if h is None or not (h > 0 and w > 0):
        raise MXNetError(f'Crop: h_w={tuple(h_w)} must be positive (or give a second input '
                         'to crop like)')
    if center_crop:
        top, left = (H - h) // 2, (W - w) // 2
    else:
        top, left = (int(v) for v in offset)
    if top < 0 or left < 0 or top + h > H or left + w > W:
        raise MXNetError(f'Crop: a {h}x{w} region at offset ({top}, {left}) does not fit an '
                         f'input of shape {shape_str(shapes[0])}')
    return top, left, h, w


def _crop_key(shapes, offset, h_w, center_crop):
    top, left, h, w = _crop_window(shapes, offset, h_w, center_crop)
    return (slice(None), slice(None), slice(top, top + h), slice(left, left + w))


def _crop(xp, *data, num_args=None, offset=(0, 0), h_w=(0, 0), center_crop=False):
    """Cut a ``h_w`` region (or the size of a second input) out of NCHW images, at
    ``offset`` (top, left) or centred; MXNet's legacy ``Crop``.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.Crop(x, offset=(1, 1), h_w=(2, 2))[0, 0]
    <BLANKLINE>
    [[ 5.  6.]
     [ 9. 10.]]
    <NDArray 2x2 @cpu(0)>
    """
    if len(data) not in (1, 2) or num_args not in (None, len(data)):
        raise MXNetError(f'Crop: takes 1 or 2 inputs (num_args={num_args}), got {len(data)}')
    return data[0][_crop_key([d.shape for d in data], offset, h_w, center_crop)].copy()


def _crop_infer_shape(in_shapes, offset=(0, 0), h_w=(0, 0), center_crop=False, **attrs):
    _, _, h, w = _crop_window(in_shapes, offset, h_w, center_crop)
    return [tuple(in_shapes[0][:2]) + (h, w)]


def _crop_backward(F, dy, x, y, num_args, offset, h_w, center_crop):
    key = _crop_key([a.shape for a in x], offset, h_w, center_crop)
    return [F._index_scatter(dy, x[0], key=key)] + [None] * (len(x) - 1)


register('Crop', _crop, infer_shape=_crop_infer_shape, backward=_crop_backward,
         attr_types={'num_args': 'int'})


# ---------------------------------------------------------------------- ROIPooling
def _c_round(v):
    """C's ``round``: halves away from zero."""
    return int(np.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


def _roi_bins(roi, pooled_size, spatial_scale, H, W):
    """For one region ``[batch, x1, y1, x2, y2]``: its batch index and, for every
    output cell, the rows and columns it pools (empty ranges pool to 0)."""
    ph_n, pw_n = (int(v) for v in pooled_size)
    b = int(roi[0])
    x1, y1, x2, y2 = (_c_round(float(v) * spatial_scale) for v in roi[1:5])
    rh, rw = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
    bh, bw = rh / ph_n, rw / pw_n
    cells = []
    for ph in range(ph_n):
        hs = min(max(int(np.floor(ph * bh)) + y1, 0), H)
        he = min(max(int(np.ceil((ph + 1) * bh)) + y1, 0), H)
        for pw in range(pw_n):
            ws = min(max(int(np.floor(pw * bw)) + x1, 0), W)
            we = min(max(int(np.ceil((pw + 1) * bw)) + x1, 0), W)
            cells.append((ph, pw, hs, he, ws, we))
    return b, cells


def _roi_pooling(xp, data, rois, pooled_size=(), spatial_scale=1.0):
    """Max-pool every region of interest into a ``pooled_size`` grid. ``rois`` has one
    row ``[batch_index, x1, y1, x2, y2]`` per region, in input coordinates times
    ``1 / spatial_scale``; the output is ``(num_rois, C) + pooled_size``.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.ROIPooling(x, mx.nd.array([[0, 0, 0, 3, 3]]), pooled_size=(2, 2),
    ...                  spatial_scale=1.0)[0, 0]
    <BLANKLINE>
    [[ 5.  7.]
     [13. 15.]]
    <NDArray 2x2 @cpu(0)>
    """
    if len(pooled_size) != 2:
        raise MXNetError('ROIPooling: pooled_size=(height, width) is required')
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
        raise MXNetError(f'ROIPooling: needs data (N, C, H, W) and rois (R, 5), got '
                         f'{shape_str(data.shape)} and {shape_str(rois.shape)}')
    N, C, H, W = data.shape
    out = xp.zeros((rois.shape[0], C) + tuple(int(v) for v in pooled_size), dtype=data.dtype)
    for r, roi in enumerate(backend.to_host(rois)):
        b, cells = _roi_bins(roi, pooled_size, spatial_scale, H, W)
        if not 0 <= b < N:
            raise MXNetError(f'ROIPooling: region {r} names image {b} of a batch of {N}')
        for ph, pw, hs, he, ws, we in cells:
            if he > hs and we > ws:
                out[r, :, ph, pw] = data[b, :, hs:he, ws:we].reshape(C, -1).max(axis=1)
    return out


def _roi_pooling_infer_shape(in_shapes, pooled_size=(), **attrs):
    return [(in_shapes[1][0], in_shapes[0][1]) + tuple(pooled_size)]


def _roi_pooling_grad(xp, dy, data, rois, pooled_size=(), spatial_scale=1.0):
    """The gradient of ROIPooling's data: each cell's gradient goes to the pixel that
    was its maximum (the first, for ties)."""
    N, C, H, W = data.shape
    grad = xp.zeros(data.shape, dtype=dy.dtype)
    chans = xp.arange(C)
    for r, roi in enumerate(backend.to_host(rois)):
        b, cells = _roi_bins(roi, pooled_size, spatial_scale, H, W)
        for ph, pw, hs, he, ws, we in cells:
            if he > hs and we > ws:
                block = data[b, :, hs:he, ws:we].reshape(C, -1)
                arg = block.argmax(axis=1)
                rows, cols = hs + arg // (we - ws), ws + arg % (we - ws)
                grad[b, chans, rows, cols] += dy[r, :, ph, pw]
    return grad


register('ROIPooling', _roi_pooling, inputs=('data', 'rois'),
         infer_shape=_roi_pooling_infer_shape, once_differentiable=True,
         backward=lambda F, dy, x, y, pooled_size, spatial_scale: [
             F._backward_ROIPooling(dy, x[0], x[1], pooled_size=pooled_size,
                                    spatial_scale=spatial_scale), None],
         required=('pooled_size', 'spatial_scale'))
register('_backward_ROIPooling', _roi_pooling_grad, inputs=('dy', 'data', 'rois'),
         once_differentiable=True, infer_shape=lambda s, **a: [tuple(s[1])])


# ---------------------------------------------------------------------- GridGenerator
def _base_grid(xp, H, W, dtype):
    """``(3, H * W)``: the normalised x, y of every target pixel, and ones."""
    xs = xp.arange(W, dtype=dtype) * (2.0 / (W - 1) if W > 1 else 0) - 1
    ys = xp.arange(H, dtype=dtype) * (2.0 / (H - 1) if H > 1 else 0) - 1
    return xp.stack([xp.tile(xs, H), xp.repeat(ys, W), xp.ones(H * W, dtype=dtype)])


def _grid_generator(xp, data, transform_type='affine', target_shape=(0, 0)):
    """A sampling grid ``(N, 2, H, W)`` for ``BilinearSampler``: from affine matrices
    ``(N, 6)`` (``transform_type='affine'``, ``target_shape=(H, W)``), each mapping
    the target's normalised ``(x, y, 1)`` to the source point, or from a flow field
    ``(N, 2, H, W)`` of pixel offsets (``'warp'``).

    >>> import d2lmini as mx
    >>> identity = mx.nd.array([[1, 0, 0, 0, 1, 0]])
    >>> mx.nd.GridGenerator(identity, transform_type='affine', target_shape=(2, 2))[0]
    <BLANKLINE>
    [[[-1.  1.]
      [-1.  1.]]
    <BLANKLINE>
     [[-1. -1.]
      [ 1.  1.]]]
    <NDArray 2x2x2 @cpu(0)>
    """
    if transform_type == 'affine':
        H, W = (int(v) for v in target_shape)
        if data.ndim != 2 or data.shape[1] != 6 or H < 1 or W < 1:
            raise MXNetError(f'GridGenerator: affine needs data (N, 6) and a target_shape, '
                             f'got {shape_str(data.shape)} and {tuple(target_shape)}')
        base = _base_grid(xp, H, W, data.dtype)
        return (data.reshape(-1, 2, 3) @ base).reshape(data.shape[0], 2, H, W)
    if transform_type == 'warp':
        if data.ndim != 4 or data.shape[1] != 2:
            raise MXNetError(f'GridGenerator: warp needs a flow field (N, 2, H, W), got '
                             f'{shape_str(data.shape)}')
        H, W = data.shape[2:]
        base = _base_grid(xp, H, W, data.dtype)[:2].reshape(2, H, W)
        scale = xp.asarray([2.0 / max(W - 1, 1), 2.0 / max(H - 1, 1)],
                           dtype=data.dtype).reshape(1, 2, 1, 1)
        return data * scale + base
    raise MXNetError(f"GridGenerator: transform_type={transform_type!r}; choose 'affine' "
                     "or 'warp'")


def _grid_infer_shape(in_shapes, transform_type='affine', target_shape=(0, 0)):
    if transform_type == 'affine':
        return [(in_shapes[0][0], 2) + tuple(int(v) for v in target_shape)]
    return [tuple(in_shapes[0])]


def _grid_affine_grad(xp, dgrid):
    """The gradient of the affine matrices from the grid's: ``dgrid @ base^T``."""
    N, _, H, W = dgrid.shape
    base = _base_grid(xp, H, W, dgrid.dtype)
    return (dgrid.reshape(N, 2, H * W) @ base.T).reshape(N, 6)


def _grid_backward(F, dy, x, y, transform_type, target_shape):
    if transform_type == 'affine':
        return [F._backward_GridGenerator(dy, target_shape=target_shape)]
    H, W = x[0].shape[2:]
    gx = F.slice_axis(dy, axis=1, begin=0, end=1) * (2.0 / max(W - 1, 1))
    gy = F.slice_axis(dy, axis=1, begin=1, end=2) * (2.0 / max(H - 1, 1))
    return [F.concat(gx, gy, dim=1)]


register('GridGenerator', _grid_generator, infer_shape=_grid_infer_shape,
         backward=_grid_backward, required=('transform_type',))


def _grid_affine_backward_op(xp, data, target_shape=(0, 0)):
    return _grid_affine_grad(xp, data)


# linear, and GridGenerator (affine) is its adjoint
register('_backward_GridGenerator', _grid_affine_backward_op,
         infer_shape=lambda s, **a: [(s[0][0], 6)],
         backward=lambda F, dy, x, y, target_shape: [
             F.GridGenerator(dy, transform_type='affine', target_shape=target_shape)])


# ---------------------------------------------------------------------- BilinearSampler
def _corners(xp, data, grid):
    """The four pixels around every grid point: for each, its values ``(N, Ho, Wo, C)``
    (zero outside the image), where it is and whether it is inside; and the weights
    ``wx``, ``wy`` of the top-left pixel along x and y."""
    N, C, H, W = data.shape
    if grid.ndim != 4 or grid.shape[0] != N or grid.shape[1] != 2:
        raise MXNetError(f'BilinearSampler: grid must be (N, 2, H, W) with the batch of data '
                         f'{shape_str(data.shape)}, got {shape_str(grid.shape)}')
    x = (grid[:, 0] + 1) * ((W - 1) / 2.0)
    y = (grid[:, 1] + 1) * ((H - 1) / 2.0)
    x0f, y0f = xp.floor(x), xp.floor(y)
    wx, wy = 1 - (x - x0f), 1 - (y - y0f)
    x0, y0 = x0f.astype(np.int64), y0f.astype(np.int64)
    n = xp.arange(N).reshape(N, 1, 1)
    out = []
    for dy_, dx_ in ((0, 0), (0, 1), (1, 0), (1, 1)):
        xi, yi = x0 + dx_, y0 + dy_
        inside = (xi >= 0) & (xi <= W - 1) & (yi >= 0) & (yi <= H - 1)
        xc, yc = xp.clip(xi, 0, W - 1), xp.clip(yi, 0, H - 1)
        v = data[n, :, yc, xc] * inside[..., None]
        out.append((v, (n, yc, xc), inside))
    return out, wx.astype(data.dtype), wy.astype(data.dtype)


def _bilinear_weights(wx, wy):
    return (wy * wx, wy * (1 - wx), (1 - wy) * wx, (1 - wy) * (1 - wx))


def _bilinear_sampler(xp, data, grid, cudnn_off=None):
    """Read ``data`` (N, C, H, W) at the points of ``grid`` (N, 2, Ho, Wo), x then y,
    normalised to ``[-1, 1]``, interpolating bilinearly; pixels outside the image
    read as 0. The output is ``(N, C, Ho, Wo)``.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(4).reshape((1, 1, 2, 2))
    >>> grid = mx.nd.array([[[[0]], [[0]]]])       # the centre
    >>> mx.nd.BilinearSampler(x, grid).asnumpy().ravel()
    array([1.5], dtype=float32)
    """
    corners, wx, wy = _corners(xp, data, grid)
    out = sum(v * w[..., None] for (v, _, _), w in zip(corners, _bilinear_weights(wx, wy)))
    return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _bilinear_sampler_grad(xp, dy, data, grid, cudnn_off=None):
    """The gradients of BilinearSampler's data and grid."""
    N, C, H, W = data.shape
    corners, wx, wy = _corners(xp, data, grid)
    g = dy.transpose(0, 2, 3, 1)                                # (N, Ho, Wo, C)
    ddata = xp.zeros((N, H, W, C), dtype=dy.dtype)
    for (_, where, inside), w in zip(corners, _bilinear_weights(wx, wy)):
        backend.scatter_add(xp, ddata, where, g * (w * inside)[..., None])
    (tl, _, _), (tr, _, _), (bl, _, _), (br, _, _) = corners
    wx_, wy_ = wx[..., None], wy[..., None]
    gy = -(g * (tr * (1 - wx_) + tl * wx_ - br * (1 - wx_) - bl * wx_)).sum(axis=-1)
    gx = (g * (br * (1 - wy_) - bl * (1 - wy_) + tr * wy_ - tl * wy_)).sum(axis=-1)
    dgrid = xp.stack([gx * ((W - 1) / 2.0), gy * ((H - 1) / 2.0)], axis=1).astype(dy.dtype)
    return xp.ascontiguousarray(ddata.transpose(0, 3, 1, 2)), dgrid


register('BilinearSampler', _bilinear_sampler, inputs=('data', 'grid'),
         once_differentiable=True,
         infer_shape=lambda s, **a: [(s[0][0], s[0][1]) + tuple(s[1][2:])],
         backward=lambda F, dy, x, y, cudnn_off: list(
             F._backward_BilinearSampler(dy, x[0], x[1])))
register('_backward_BilinearSampler', _bilinear_sampler_grad, inputs=('dy', 'data', 'grid'),
         num_outputs=2, once_differentiable=True,
         infer_shape=lambda s, **a: [tuple(s[1]), tuple(s[2])])


# ---------------------------------------------------------------------- SpatialTransformer
def _spatial_transformer(xp, data, loc, target_shape=(0, 0), transform_type='affine',
                         sampler_type='bilinear', cudnn_off=None):
    """Warp images by one affine transform each: ``GridGenerator`` on ``loc`` (N, 6)
    for a ``target_shape`` grid, then ``BilinearSampler``.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(4).reshape((1, 1, 2, 2))
    >>> identity = mx.nd.array([[1, 0, 0, 0, 1, 0]])
    >>> mx.nd.SpatialTransformer(x, identity, target_shape=(2, 2), transform_type='affine',
    ...                          sampler_type='bilinear').asnumpy().ravel()
    array([0., 1., 2., 3.], dtype=float32)
    """
    if transform_type != 'affine' or sampler_type != 'bilinear':
        raise MXNetError(f"SpatialTransformer: only transform_type='affine' and "
                         f"sampler_type='bilinear' exist, got {transform_type!r}, "
                         f'{sampler_type!r}')
    grid = _grid_generator(xp, loc.reshape(loc.shape[0], -1), 'affine', target_shape)
    return _bilinear_sampler(xp, data, grid)


def _spatial_transformer_backward(F, dy, x, y, target_shape, transform_type, sampler_type,
                                  cudnn_off):
    loc = F.reshape(x[1], shape=(0, -1))
    grid = F.GridGenerator(loc, transform_type='affine', target_shape=target_shape)
    ddata, dgrid = F._backward_BilinearSampler(dy, x[0], grid)
    dloc = F._backward_GridGenerator(dgrid, target_shape=target_shape)
    return [ddata, F.reshape_like(dloc, x[1])]


register('SpatialTransformer', _spatial_transformer, inputs=('data', 'loc'),
         once_differentiable=True, backward=_spatial_transformer_backward,
         infer_shape=lambda s, target_shape=(0, 0), **a: [
             (s[0][0], s[0][1]) + tuple(int(v) for v in target_shape)],
         required=('sampler_type', 'transform_type'))


# ---------------------------------------------------------------------- Correlation
# FlowNet's correlation layer compares two feature maps: for every output position
# and every displacement (dx, dy) within max_displacement (in steps of stride2) it
# averages, over a kernel_size x kernel_size window and the channels, the product of
# the two maps (or the absolute difference, with is_multiply=False) at the window and
# at the window displaced. Output channel t is the displacement
# ((t % g) - r) * stride2, ((t // g) - r) * stride2 with r = max_displacement //
# stride2 and g = 2r + 1; output positions step by stride1.
def _correlation_geometry(shape, kernel_size, max_displacement, stride1, stride2, pad_size):
    n, c, h, w = shape
    radius = (kernel_size - 1) // 2
    border = max_displacement + radius
    padded_h, padded_w = h + 2 * pad_size, w + 2 * pad_size
    top_h = -(-(padded_h - 2 * border) // stride1)      # ceil, as MXNet
    top_w = -(-(padded_w - 2 * border) // stride1)
    if kernel_size < 1 or stride1 < 1 or stride2 < 1 or top_h < 1 or top_w < 1:
        raise MXNetError(f'Correlation: kernel_size={kernel_size}, max_displacement='
                         f'{max_displacement}, pad_size={pad_size} and stride1={stride1} '
                         f'leave no output position for data of shape {shape_str(shape)}')
    grid = 2 * (max_displacement // stride2) + 1
    return top_h, top_w, grid


def _correlation_windows(xp, shape, kernel_size, max_displacement, stride1, stride2, pad_size):
    """Yield ``(channel, (rows, cols) of the window, (rows, cols) displaced)`` index
    pairs into the padded maps, one per displacement and kernel offset."""
    top_h, top_w, grid = _correlation_geometry(shape, kernel_size, max_displacement,
                                               stride1, stride2, pad_size)
    rows = max_displacement + stride1 * xp.arange(top_h)[:, None]
    cols = max_displacement + stride1 * xp.arange(top_w)[None, :]
    radius = max_displacement // stride2
    for t in range(grid * grid):
        dx, dy = (t % grid - radius) * stride2, (t // grid - radius) * stride2
        for kh, kw in itertools.product(range(kernel_size), range(kernel_size)):
            yield t, (rows + kh, cols + kw), (rows + kh + dy, cols + kw + dx)


def _pad_maps(xp, data, pad_size):
    return xp.pad(data, ((0, 0), (0, 0), (pad_size, pad_size), (pad_size, pad_size)))


def _correlation(xp, data1, data2, kernel_size=1, max_displacement=1, stride1=1, stride2=1,
                 pad_size=0, is_multiply=True):
    """The correlation of two feature maps (``(N, C, H, W)`` each) for every
    displacement within ``max_displacement``: one output channel per displacement.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[[[1, 2], [3, 4]]]])
    >>> mx.nd.Correlation(a, a, max_displacement=0).asnumpy().ravel().tolist()
    [1.0, 4.0, 9.0, 16.0]
    """
    if data1.shape != data2.shape or data1.ndim != 4:
        raise MXNetError(f'Correlation: the inputs must be two (N, C, H, W) maps of the same '
                         f'shape, got {shape_str(data1.shape)} and {shape_str(data2.shape)}')
    top_h, top_w, grid = _correlation_geometry(data1.shape, kernel_size, max_displacement,
                                               stride1, stride2, pad_size)
    a, b = _pad_maps(xp, data1, pad_size), _pad_maps(xp, data2, pad_size)
    out = xp.zeros((data1.shape[0], grid * grid, top_h, top_w), dtype=data1.dtype)
    for t, (r1, c1), (r2, c2) in _correlation_windows(xp, data1.shape, kernel_size,
                                                      max_displacement, stride1, stride2,
                                                      pad_size):
        p1, p2 = a[:, :, r1, c1], b[:, :, r2, c2]
        out[:, t] += (p1 * p2 if is_multiply else xp.abs(p1 - p2)).sum(axis=1)
    out /= kernel_size * kernel_size * data1.shape[1]
    return out


def _correlation_backward_op(xp, dy, data1, data2, kernel_size=1, max_displacement=1,
                             stride1=1, stride2=1, pad_size=0, is_multiply=True):
    """Gradients of both maps: each window's terms send the output gradient back to
    the pixels they read (a window's pixels are distinct, so plain ``+=`` suffices)."""
    a, b = _pad_maps(xp, data1, pad_size), _pad_maps(xp, data2, pad_size)
    ga, gb = xp.zeros_like(a), xp.zeros_like(b)
    scale = 1.0 / (kernel_size * kernel_size * data1.shape[1])
    for t, (r1, c1), (r2, c2) in _correlation_windows(xp, data1.shape, kernel_size,
                                                      max_displacement, stride1, stride2,
                                                      pad_size):
        g = dy[:, t][:, None] * scale
        p1, p2 = a[:, :, r1, c1], b[:, :, r2, c2]
        if is_multiply:
            ga[:, :, r1, c1] += g * p2
            gb[:, :, r2, c2] += g * p1
        else:   # MXNet takes the sign of a zero difference as +1
            sign = xp.where(p1 >= p2, 1.0, -1.0).astype(g.dtype)
            ga[:, :, r1, c1] += g * sign
            gb[:, :, r2, c2] -= g * sign
    h, w = data1.shape[2:]
    crop = (slice(None), slice(None), slice(pad_size, pad_size + h), slice(pad_size, pad_size + w))
    return ga[crop], gb[crop]


def _correlation_infer_shape(in_shapes, kernel_size=1, max_displacement=1, stride1=1,
                             stride2=1, pad_size=0, **attrs):
    top_h, top_w, grid = _correlation_geometry(tuple(in_shapes[0]), kernel_size,
                                               max_displacement, stride1, stride2, pad_size)
    return [(in_shapes[0][0], grid * grid, top_h, top_w)]


register('Correlation', _correlation, inputs=('data1', 'data2'),
         infer_shape=_correlation_infer_shape, once_differentiable=True,
         backward=lambda F, dy, x, y, **attrs: list(
             F._backward_Correlation(dy, x[0], x[1], **attrs)))
register('_backward_Correlation', _correlation_backward_op, inputs=('dy', 'data1', 'data2'),
         num_outputs=2, once_differentiable=True)
