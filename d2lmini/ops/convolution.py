"""Convolution and its transpose, Deconvolution, computed by im2col and matrix products.

A convolution slides a small weight tensor over the input and takes a dot product
at every position. *im2col* ("image to columns") copies every window of the input
into one column of a matrix; the whole convolution is then a single matrix product
of the weights with that matrix, which BLAS computes at full speed:

    y = W @ im2col(x)                       forward          (Convolution)
    dW = dy @ im2col(x)^T                   weight gradient  (_conv_weight_grad)
    dx = col2im(W^T @ dy)                   data gradient    (_conv_data_grad)

``col2im`` is the adjoint of ``im2col``: it adds every column back onto the window
it came from. The data gradient of a convolution is exactly a *transposed*
convolution, so ``Deconvolution`` is ``_conv_data_grad`` plus a bias. Each of the
three products is the adjoint of another, so their backward passes are written
with each other and gradients of any order come for free.

Speed on the CPU comes from three choices:

* **Long copies.** im2col is one big copy, and numpy copies fastest when it moves
  long contiguous runs. The columns of a chunk of ``n`` images are indexed by
  (image, output position) in one of two orders, whichever gives the longer runs:
  *image-major* ``(n, *out)`` moves whole rows of output positions (large images),
  *image-minor* ``(*out, n)`` moves the ``n`` images at one position (small images,
  many per chunk). The matrix products do not care which order the columns have.
* **Chunks.** The batch is processed a few images at a time so that the columns
  of a chunk (``_CHUNK_BYTES``) stay in the CPU cache between the copy that writes
  them and the matrix product that reads them; the full matrix for a ResNet layer
  would be hundreds of megabytes.
* **Reused scratch memory.** The chunk buffers are kept between calls
  (``_scratch``): a fresh large array costs a page fault per 4 KiB on first touch.

On a GPU (cupy) the same code runs with one chunk and cupy's memory pool, except
that im2col and col2im are CUDA kernels (:mod:`d2lmini.ops.cuda_kernels`).
"""
import itertools
import threading
from math import prod

import numpy as np

from .. import parallel
from . import cuda_kernels
from ..base import MXNetError, shape_str
from .registry import needs_grad, register
from . import partial_shapes

_CHUNK_BYTES = 4 << 20          # im2col columns per chunk on the CPU (fits the L3 cache)
_MIN_COLUMNS = 4096              # ... but at least this many columns per chunk
_GPU_CHUNK_BYTES = 1 << 30      # on a GPU a chunk only bounds the memory used
_MAX_CACHED_BYTES = 32 << 20    # larger scratch buffers are not kept between calls
_LAYOUTS = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}
_LAST_LAYOUTS = {1: 'NWC', 2: 'NHWC', 3: 'NDHWC'}
# MXNet accepts these for Convolution and Deconvolution: no NWC (Pooling takes every layout)
_CONV_LAYOUTS = ('NCDHW', 'NCHW', 'NCW', 'NDHWC', 'NHWC')


# ------------------------------------------------------------------ attributes
def _shape_attr(value):
    """An MXNet ``Shape`` attribute as a tuple of ints: ``3`` -> ``(3,)``,
    ``[2, 2]`` -> ``(2, 2)``; ``None`` or ``()`` -> ``()`` (not given)."""
    if value is None:
        return ()
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def _spatial(op, name, value, ndim, default, minimum):
    """Attribute ``name`` as an ``ndim``-tuple, ``default`` in every axis when not given."""
    value = _shape_attr(value)
    if not value:
        return (default,) * ndim
    if len(value) != ndim:
        raise MXNetError(f'{op}: {name}={value} must have one entry per spatial axis, '
                         f'like kernel ({ndim})')
    if min(value) < minimum:
        raise MXNetError(f'{op}: {name}={value} must be >= {minimum} in every axis')
    return value


def _channels_last(op, layout, valid=_CONV_LAYOUTS):
    """Whether ``layout`` puts the channels last (``'NHWC'``); None is channels first.
    Errors, as MXNet does, for a layout that is not one of ``valid``."""
    if layout is None:
        return False
    if layout not in valid:
        raise MXNetError(f"{op}: Invalid Input: {layout!r}, valid values are: "
                         f"{{None, {', '.join(repr(v) for v in sorted(valid))}}}")
    return layout.endswith('C')


def _check_layout(op, layout, nsp):
    """``layout`` must describe data with ``nsp`` spatial axes."""
    if layout is not None and layout not in (_LAYOUTS[nsp], _LAST_LAYOUTS[nsp]):
        raise MXNetError(f'{op}: layout {layout!r} does not fit {nsp}-D data: use '
                         f'{_LAYOUTS[nsp]!r} or {_LAST_LAYOUTS[nsp]!r}')


# Channels-last data (and weights) are computed by moving the channel axis to place 1,
# running the channels-first kernels and moving it back: one definition of every kernel,
# at the price of the copies (the data is read through a transposed view, which the
# kernels' first copy absorbs; the result is copied once more into the layout).
def _first_shape(shape):
    """A channels-last shape ``(N, *spatial, C)`` as channels first ``(N, C, *spatial)``;
    also turns a channels-last weight ``(O, *kernel, I)`` into ``(O, I, *kernel)``."""
    shape = tuple(shape)
    return shape[:1] + shape[-1:] + shape[1:-1]


def _last_shape(shape):
    """The inverse of :func:`_first_shape`."""
    shape = tuple(shape)
    return shape[:1] + shape[2:] + shape[1:2]


def _first(xp, a):
    """Channels-last ``a`` as a channels-first view (no copy)."""
    return xp.moveaxis(a, -1, 1)


def _last(xp, a):
    """Channels-first ``a`` copied into the channels-last layout."""
    return xp.ascontiguousarray(xp.moveaxis(a, 1, -1))


def _F_axes(ndim, last):
    """The ``transpose`` axes that move the channel axis to place 1 (``last=False``)
    or from place 1 to the end (``last=True``), for the backward passes."""
    if last:
        return (0,) + tuple(range(2, ndim)) + (1,)
    return (0, ndim - 1) + tuple(range(1, ndim - 1))


def _check_dtypes(op, arrays, names):
    """MXNet requires one dtype for data, weight and bias."""
    dtypes = [a.dtype for a in arrays]
    if any(d != dtypes[0] for d in dtypes):
        given = ', '.join(f'{n} {d}' for n, d in zip(names, dtypes))
        raise MXNetError(f'{op}: inputs must share one dtype, got {given}')


def _check_inputs(op, n_given, no_bias):
    expected = 2 if no_bias else 3
    if n_given != expected:
        raise MXNetError(f'{op}: expects {expected} inputs (data, weight'
                         f'{"" if no_bias else ", bias"}) with no_bias={no_bias}, '
                         f'got {n_given}')


class _Geometry:
    """The sizes of one convolution, checked once: per spatial axis the kernel,
    stride, dilation and padding, the input size, the padded input size and the
    output size."""
    __slots__ = ('kernel', 'stride', 'dilate', 'pad', 'size', 'padded', 'out')

    def __init__(self, kernel, stride, dilate, pad, size, out):
        self.kernel, self.stride, self.dilate, self.pad = kernel, stride, dilate, pad
        self.size = size
        self.padded = tuple(s + 2 * p for s, p in zip(size, pad))
        self.out = out

    @property
    def reach(self):
        """How far one window spans in each axis (the dilated kernel size)."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilate))


def _kernel_attrs(op, kernel, stride, dilate, pad, data_shape):
    """Check and normalise kernel, stride, dilate and pad for data of ``data_shape``."""
    kernel = _shape_attr(kernel)
    if not kernel:
        raise MXNetError(f'{op}: the kernel attribute is required, e.g. kernel=(3, 3)')
    nsp = len(kernel)
    if nsp not in _LAYOUTS:
        raise MXNetError(f'{op}: kernel={kernel} has {nsp} axes; 1-D, 2-D and 3-D '
                         'kernels are supported')
    if len(data_shape) != nsp + 2:
        raise MXNetError(f'{op}: a {nsp}-D kernel needs {nsp + 2}-D data '
                         f'({_LAYOUTS[nsp]}), got {len(data_shape)}-D data of shape '
                         f'{shape_str(data_shape)}')
    if min(kernel) < 1:
        raise MXNetError(f'{op}: kernel={kernel} must be >= 1 in every axis')
    return (kernel, _spatial(op, 'stride', stride, nsp, 1, 1),
            _spatial(op, 'dilate', dilate, nsp, 1, 1), _spatial(op, 'pad', pad, nsp, 0, 0))


def _conv_geometry(op, data_shape, kernel, stride, dilate, pad):
    """The geometry of a convolution of data of ``data_shape``; errors when the
    window does not fit into the padded input."""
    kernel, stride, dilate, pad = _kernel_attrs(op, kernel, stride, dilate, pad, data_shape)
    size = tuple(data_shape[2:])
    g = _Geometry(kernel, stride, dilate, pad, size, ())
    if any(r > p for r, p in zip(g.reach, g.padded)):
        raise MXNetError(f'{op}: kernel {kernel} (dilated to {g.reach}) is larger than the '
                         f'padded input {g.padded} (data {shape_str(data_shape)}, pad {pad})')
    g.out = tuple((p - r) // s + 1 for p, r, s in zip(g.padded, g.reach, stride))
    return g


def _grad_geometry(op, data_shape, out_shape, kernel, stride, dilate, pad):
    """The geometry of the convolution that maps data of ``data_shape`` to an output
    of ``out_shape``, for the gradient kernels (which know both shapes)."""
    kernel, stride, dilate, pad = _kernel_attrs(op, kernel, stride, dilate, pad, data_shape)
    g = _Geometry(kernel, stride, dilate, pad, tuple(data_shape[2:]), tuple(out_shape[2:]))
    if any((o - 1) * s + r > p for o, s, r, p in zip(g.out, stride, g.reach, g.padded)):
        raise MXNetError(f'{op}: an output of shape {shape_str(out_shape)} does not fit a '
                         f'convolution of data {shape_str(data_shape)} with kernel {kernel}, '
                         f'stride {stride}, dilate {dilate}, pad {pad}')
    return g


def _check_groups(op, data_shape, num_filter, num_group, last=False):
    channels = data_shape[-1 if last else 1]
    if num_group < 1 or channels % num_group or num_filter % num_group:
        raise MXNetError(f'{op}: num_group={num_group} must divide both the input channels '
                         f'({channels}, data {shape_str(data_shape)}) and num_filter '
                         f'({num_filter})')


# ------------------------------------------------------------------ scratch memory
class _Scratch(threading.local):
    """Per-thread scratch buffers, one per role ('x', 'cols', ...)."""

    def __init__(self):
        self.buffers = {}


_SCRATCH = _Scratch()


def _scratch(xp, role, shape, dtype):
    """An uninitialised array for temporary use, reused between calls on the CPU.

    Only values that never leave the operator may live here: the next call with
    the same role overwrites them. cupy's memory pool already reuses GPU memory.
    """
    if xp is not np:
        return xp.empty(shape, dtype)
    dtype = np.dtype(dtype)
    nbytes = prod(shape) * dtype.itemsize
    if nbytes > _MAX_CACHED_BYTES:
        return np.empty(shape, dtype)
    buf = _SCRATCH.buffers.get(role)
    if buf is None or buf.nbytes < nbytes:
        buf = _SCRATCH.buffers[role] = np.empty(max(nbytes, 1), np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def _chunks(xp, n, bytes_per_item, columns_per_item, whole=False):
    """``(start, stop)`` ranges splitting ``n`` images into chunks: as many images as
    fit in ``_CHUNK_BYTES`` of columns (so that they stay in the cache), but enough
    for ``_MIN_COLUMNS`` columns where that costs at most 8 times the budget. (With
    the BLAS on two threads, a product with fewer columns keeps them busy too briefly:
    ResNet-18's step was 13% slower with one 1024-column image per chunk.) With
    ``whole``, the whole batch is one chunk where that is within 8 times the budget
    (see :func:`_whole_batch`)."""
    budget = _CHUNK_BYTES if xp is np else _GPU_CHUNK_BYTES
    bytes_per_item = max(bytes_per_item, 1)
    if whole and n * bytes_per_item <= 8 * budget:
        return [(0, n)]
    wide = min(-(-_MIN_COLUMNS // max(columns_per_item, 1)), 8 * budget // bytes_per_item)
    step = max(1, min(n, max(budget // bytes_per_item, wide)))
    return [(i, min(i + step, n)) for i in range(0, n, step)]


# ------------------------------------------------------------------ the batch-last layout
# Between two convolutions a compiled graph may keep a value in the image-minor
# order of a whole batch: memory laid out (C, *spatial, N), seen through a
# transposed view with the usual axes (N, C, *spatial). A convolution's product
# comes out in that order, and the next one's columns are copied from it; in the
# usual order, each would transpose a whole array (about 1.3 ms of a 9 ms LeNet
# training step). Only a compiled plan asks for such outputs (``image_minor_out``),
# for values that only kernels that take any memory order read (the compiler pass
# :mod:`d2lmini.symbol.passes.layout` checks): an NDArray a user holds is always
# C-contiguous. The kernels here, pooling and the activations take any order.
def _minor_view(a):
    """``a`` ``(N, C, *spatial)`` seen with the batch axis last."""
    return a.transpose(tuple(range(1, a.ndim)) + (0,))


def _is_image_minor(a):
    """Whether ``a`` ``(N, C, *spatial)`` is laid out ``(C, *spatial, N)``."""
    return a.ndim >= 3 and a.shape[0] > 1 and _minor_view(a).flags.c_contiguous


def _whole_batch(wanted, *arrays):
    """Whether to compute in one chunk: when a batch-last output is ``wanted``, or an
    array comes in the batch-last layout (its chunk then needs no copy)."""
    return wanted or any(_is_image_minor(a) for a in arrays)


# ------------------------------------------------------------------ the column layout
# The columns of a chunk of n images are indexed by (image, output position), and
# every array of the chunk has its channels first. Two orders of the rest are used,
# whichever makes the copies move longer contiguous runs:
#
#   image-major  (C, n, *spatial)   a run is one row of positions (spatial[-1] numbers)
#   image-minor  (C, *spatial, n)   a run is the n images of the chunk at one position
#
# Large images (ResNet's first stages) have long rows; small ones (its last stages,
# LeNet) have few positions but many images per chunk. Functions below take ``minor``
# (True: image-minor) and show every chunk array through a view with the usual axes
# ``(n, C, *spatial)``, so that the same slicing code serves both orders.
def _image_minor(xp, g, n):
    """Whether a chunk of ``n`` images uses the image-minor order: when its runs
    (``n`` numbers) are at least as long as a row of output positions, and the
    kernel has more than one element (a 1x1 kernel's columns are just the input,
    which the image-minor order would have to transpose number by number). On a
    GPU, image-major: there every element is copied by a thread of its own."""
    return xp is np and n >= g.out[-1] and prod(g.kernel) > 1


def _chunk_shape(lead, n, spatial, minor):
    """The shape of a chunk array: ``(lead, *spatial, n)`` or ``(lead, n, *spatial)``."""
    return (lead,) + (tuple(spatial) + (n,) if minor else (n,) + tuple(spatial))


def _usual(a, minor):
    """A chunk array ``(lead, n, *spatial)`` or ``(lead, *spatial, n)`` as a view with
    the axes ``(n, lead, *spatial)`` (no copy)."""
    if minor:
        return a.transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))
    return a.swapaxes(0, 1)


def _copy(xp, dst, src):
    """``xp.copyto(dst, src)``. numpy copies on one thread, so on the CPU a large
    copy is split over the threads of :mod:`d2lmini.parallel`, along the first axis
    long enough to share; each thread copies other elements, so the result is the
    same."""
    if xp is not np:
        xp.copyto(dst, src)
        return
    axis = next((a for a, n in enumerate(dst.shape) if n > 1), 0)
    lead = (slice(None),) * axis
    parallel.split(lambda a, b: np.copyto(dst[lead + (slice(a, b),)],
                                          src[lead + (slice(a, b),)]),
                   dst.shape[axis] if dst.ndim else 1, dst.nbytes)


def _to_chunk(xp, a, pad, minor, role):
    """``a`` ``(n, C, *size)`` copied into a scratch chunk array, zero-padded by
    ``pad`` in every spatial axis; returned as its usual view ``(n, C, *padded)``.
    Image-major without padding needs no copy: ``a`` itself is returned."""
    n, C, size = a.shape[0], a.shape[1], a.shape[2:]
    if not any(pad) and (not minor or _is_image_minor(a)):
        return a                # already in the chunk's order
    padded = tuple(s + 2 * p for s, p in zip(size, pad))
    buf = _usual(_scratch(xp, role, _chunk_shape(C, n, padded, minor), a.dtype), minor)
    for axis, (p, s) in enumerate(zip(pad, size), start=2):
        if p:  # zero only the border; the interior is overwritten just below
            lead = (slice(None),) * axis
            buf[lead + (slice(0, p),)] = 0
            buf[lead + (slice(p + s, None),)] = 0
    _copy(xp, buf[(slice(None), slice(None)) + tuple(slice(p, p + s)
                                                    for p, s in zip(pad, size))], a)
    return buf


def _windows(xp, xpad, g, minor):
    """Every window of ``xpad`` (usual axes ``(n, C, *padded)``, any memory order) as
    a strided *view* of shape ``(C, *kernel)`` followed by the chunk's column axes:
    moving one step in a kernel axis moves ``dilate`` input elements, one step in an
    output axis ``stride`` elements."""
    n, C = xpad.shape[:2]
    sn, sc, ssp = xpad.strides[0], xpad.strides[1], xpad.strides[2:]
    out_strides = tuple(s * t for s, t in zip(ssp, g.stride))
    col_shape = g.out + (n,) if minor else (n,) + g.out
    col_strides = out_strides + (sn,) if minor else (sn,) + out_strides
    return xp.lib.stride_tricks.as_strided(
        xpad, (C,) + g.kernel + col_shape,
        (sc,) + tuple(s * d for s, d in zip(ssp, g.dilate)) + col_strides)


def _im2col(xp, x, g, minor, role='cols'):
    """All windows of ``x`` ``(n, C, *size)`` as the columns of a scratch array of
    shape ``(C, *kernel, n, *out)`` (image-major) or ``(C, *kernel, *out, n)``
    (image-minor): row ``(c, *kernel position)``, column ``(image, *output
    position)`` in the chunk's order. Reshaped to ``(C*prod(kernel), n*prod(out))``
    it is the matrix whose product with the weights is the convolution.

    The windows are a strided view of the padded input (in the same order, so that
    source and destination runs line up); one copy lays them out.
    """
    if xp is not np:    # on a GPU, one CUDA thread per column entry (image-major)
        cols = cuda_kernels.im2col(x, g.kernel, g.stride, g.dilate, g.pad, g.out)
        if cols is not None:
            return cols
    windows = _windows(xp, _to_chunk(xp, x, g.pad, minor, 'x'), g, minor)
    cols = _scratch(xp, role, windows.shape, x.dtype)
    _copy(xp, cols, windows)
    return cols


def _col2im(xp, cols, g, n, minor, role='dx'):
    """The adjoint of :func:`_im2col`: add every column of ``cols`` back onto its
    window of a zeroed, padded scratch array in the chunk's order, returned as its
    usual view ``(n, C, *padded)``. One strided addition per kernel position covers
    all channels, images and output positions at once."""
    C = cols.shape[0]
    shape = _chunk_shape(C, n, g.padded, minor)
    # (role None: a new array, for the caller to keep)
    dxp = _usual(xp.empty(shape, cols.dtype) if role is None else
                 _scratch(xp, role, shape, cols.dtype), minor)
    positions = list(itertools.product(*(range(k) for k in g.kernel)))

    def add_channels(c0, c1):
        # channels c0:c1 only depend on their own columns: on the CPU the channels
        # are split over threads (numpy adds on one), each adding in the same order
        d = dxp[:, c0:c1]
        d.fill(0)
        for position in positions:
            region = d[(slice(None), slice(None)) + _window_slices(g, position)]
            region += _usual(cols[(slice(c0, c1),) + position], minor)

    if xp is np:
        parallel.split(add_channels, C, cols.nbytes)
    else:
        add_channels(0, C)
    return dxp


def _window_slices(g, position):
    """For one position inside the kernel, the slices of the padded input that this
    kernel element visits as the window moves over every output position."""
    return tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                 for i, d, s, o in zip(position, g.dilate, g.stride, g.out))


def _grads_in_chunk_order(xp, dy, minor, role):
    """An output gradient ``dy`` ``(n, O, *out)`` copied into a scratch chunk array,
    the layout of the backward's matrix products; for one image, ``dy`` itself (a
    free reshape: ``(1, O, ...)`` and ``(O, 1, ...)`` are laid out alike)."""
    n, O, out = dy.shape[0], dy.shape[1], dy.shape[2:]
    shape = _chunk_shape(O, n, out, minor)
    if n == 1:
        return dy.reshape(shape)
    if minor and _is_image_minor(dy):
        return _minor_view(dy)      # already in the chunk's order
    buf = _scratch(xp, role, shape, dy.dtype)
    _copy(xp, _usual(buf, minor), dy)
    return buf


# ------------------------------------------------------------------ the three kernels
def _grouped(weight, num_group):
    """Weight ``(O, C/g, *kernel)`` as ``g`` matrices ``(g, O/g, C/g*prod(kernel))``."""
    return weight.reshape(num_group, weight.shape[0] // num_group, -1)


def _pointwise(g):
    """Whether the convolution is a plain matrix product per image: a 1x1 kernel
    with stride 1 and no padding (the columns would be a copy of the input)."""
    return all(k == 1 for k in g.kernel) and all(s == 1 for s in g.stride) and not any(g.pad)


def _matmul(xp, a, b, out=None):
    """``a @ b`` (into ``out``). float16 on the CPU is multiplied in float32 and rounded
    once: numpy has no float16 matrix product of its own speed (its loops run tens of
    times slower than BLAS) and accumulates in float16, losing digits."""
    if xp is np and a.dtype == np.float16:
        product = np.matmul(a.astype(np.float32), b.astype(np.float32))
        if out is None:
            return product.astype(np.float16)
        out[...] = product
        return out
    return xp.matmul(a, b, out=out)


def _conv_forward_raw(xp, data, weight, g, num_group, bias=None, image_minor_out=False):
    """``y = W @ im2col(x) + bias`` chunk by chunk; ``data`` ``(N, C, *size)`` and
    ``weight`` ``(O, C/num_group, *kernel)`` give ``y`` ``(N, O, *out)``. With
    ``image_minor_out``, ``y`` may come in the batch-last layout (see
    :func:`_is_image_minor`): when the whole batch is one image-minor chunk."""
    N, C, O = data.shape[0], data.shape[1], weight.shape[0]
    w = _grouped(weight, num_group)
    rows, P = weight[0].size * num_group, prod(g.out)      # C * prod(kernel), positions
    if num_group == 1 and _pointwise(g):
        # one matrix product per image, straight from the input into the output
        out = xp.empty((N, O) + g.out, data.dtype)
        _matmul(xp, w[0], data.reshape(N, C, P), out=out.reshape(N, O, P))
        return _add_bias(out, bias)
    chunks = _chunks(xp, N, rows * P * data.itemsize, P, _whole_batch(image_minor_out, data))
    if image_minor_out and len(chunks) == 1 and N > 1 and _image_minor(xp, g, N):
        # the product's own order is the batch-last layout: no copy
        cols = _im2col(xp, data, g, True).reshape(num_group, rows // num_group, -1)
        y = xp.empty((num_group, O // num_group, N * P), data.dtype)
        _matmul(xp, w, cols, out=y)
        if bias is not None:
            y.reshape(O, -1)[...] += bias[:, None]
        return _usual(y.reshape(_chunk_shape(O, N, g.out, True)), True)
    out = xp.empty((N, O) + g.out, data.dtype)
    for n0, n1 in chunks:
        n, minor = n1 - n0, _image_minor(xp, g, n1 - n0)
        cols = _im2col(xp, data[n0:n1], g, minor).reshape(num_group, rows // num_group, -1)
        if n == 1:          # (O, 1, ...) is laid out as (1, O, ...): write in place
            y = out[n0].reshape(num_group, O // num_group, P)
        else:
            y = _scratch(xp, 'y', (num_group, O // num_group, n * P), data.dtype)
        _matmul(xp, w, cols, out=y)
        if bias is not None:  # while the chunk is still in the cache
            y.reshape(O, -1)[...] += bias[:, None]
        if n > 1:
            _copy(xp, out[n0:n1], _usual(y.reshape(_chunk_shape(O, n, g.out, minor)), minor))
    return out


def _conv_weight_grad_raw(xp, out_grad, data, g, num_group):
    """``dW = dy @ im2col(x)^T`` summed over chunks, shape ``(O, C/num_group, *kernel)``."""
    N, C, O = data.shape[0], data.shape[1], out_grad.shape[1]
    rows, P = C * prod(g.kernel), prod(g.out)
    dw = xp.zeros((num_group, O // num_group, rows // num_group), data.dtype)
    for n0, n1 in _chunks(xp, N, rows * P * data.itemsize, P, _whole_batch(False, data, out_grad)):
        minor = _image_minor(xp, g, n1 - n0)
        cols = _im2col(xp, data[n0:n1], g, minor).reshape(num_group, rows // num_group, -1)
        dy = _grads_in_chunk_order(xp, out_grad[n0:n1], minor, 'y')
        dw += _matmul(xp, dy.reshape(num_group, O // num_group, -1), cols.transpose(0, 2, 1))
    return dw.reshape((O, C // num_group) + g.kernel)


def _flipped_geometry(g):
    """For a stride-1 convolution, the geometry of the convolution that maps its
    output gradient to its data gradient: the same kernel slid over the output
    gradient padded by ``reach - 1 - pad``. None when that padding would be negative
    or the stride is not 1."""
    if any(s != 1 for s in g.stride):
        return None
    pad = tuple(r - 1 - p for r, p in zip(g.reach, g.pad))
    if min(pad) < 0:
        return None
    return _Geometry(g.kernel, g.stride, g.dilate, pad, g.out, g.size)


def _flipped_weight(xp, weight, num_group):
    """The weight of the flipped convolution: input and output channels swapped
    (within each group) and every spatial axis reversed."""
    O, Cg, kernel = weight.shape[0], weight.shape[1], weight.shape[2:]
    w = weight.reshape((num_group, O // num_group, Cg) + kernel).swapaxes(1, 2)
    w = w[(Ellipsis,) + (slice(None, None, -1),) * len(kernel)]
    return xp.ascontiguousarray(w).reshape((num_group * Cg, O // num_group) + kernel)


def _conv_data_grad_raw(xp, out_grad, weight, g, num_group, data_shape,
                        image_minor_out=False):
    """``dx = col2im(W^T @ dy)``, shape ``data_shape``: the gradient of a convolution
    with respect to its data, which is also the transposed convolution.

    With stride 1 the same result is a plain convolution of ``dy`` with the flipped
    weight. Its im2col copies are cheaper than col2im's additions, so it is used
    when its column matrix is no larger (a 'same' padding and no more output than
    input channels, as in ResNet's 3x3 layers).

    With ``image_minor_out``, ``dx`` may come in the batch-last layout, as
    :func:`_conv_forward_raw` does.
    """
    flipped = _flipped_geometry(g)
    if flipped is not None and (weight.shape[0] * prod(g.size)
                                <= data_shape[1] * prod(g.out)):
        return _conv_forward_raw(xp, out_grad, _flipped_weight(xp, weight, num_group), flipped,
                                 num_group, image_minor_out=image_minor_out)
    N, C, O = data_shape[0], data_shape[1], weight.shape[0]
    dx = xp.empty(data_shape, out_grad.dtype)
    wt = _grouped(weight, num_group).transpose(0, 2, 1)      # (g, C/g*prod(k), O/g)
    rows, P = C * prod(g.kernel), prod(g.out)
    interior = (slice(None), slice(None)) + tuple(slice(p, p + s)
                                                  for p, s in zip(g.pad, g.size))
    chunks = _chunks(xp, N, rows * P * out_grad.itemsize, P,
                     _whole_batch(image_minor_out, out_grad))
    for n0, n1 in chunks:
        n, minor = n1 - n0, _image_minor(xp, g, n1 - n0)
        dy = _grads_in_chunk_order(xp, out_grad[n0:n1], minor, 'y')
        cols = _scratch(xp, 'cols', (num_group, rows // num_group, n * P), out_grad.dtype)
        _matmul(xp, wt, dy.reshape(num_group, O // num_group, -1), out=cols)
        cols = cols.reshape((C,) + g.kernel + _chunk_shape(1, n, g.out, minor)[1:])
        if xp is not np:    # on a GPU, one CUDA thread gathers each element of dx
            dxn = cuda_kernels.col2im(cols, g.kernel, g.stride, g.dilate, g.pad, g.size)
            if dxn is not None:
                dx[n0:n1] = dxn
                continue
        if image_minor_out and len(chunks) == 1 and minor and xp is np:
            # the sums' own order is the batch-last layout: a view of it, no copy
            return _col2im(xp, cols, g, n, minor, role=None)[interior]
        _copy(xp, dx[n0:n1], _col2im(xp, cols, g, n, minor)[interior])
    return dx


# ------------------------------------------------------------------ Convolution
def _conv_checks(op, data, weight, bias, kernel, stride, dilate, pad, num_filter, num_group,
                 no_bias, layout):
    """Validate a Convolution call; returns its geometry and whether the layout is
    channels last."""
    _check_inputs(op, 2 if bias is None else 3, no_bias)
    if num_filter is None:
        raise MXNetError(f'{op}: the num_filter attribute is required')
    last = _channels_last(op, layout)
    g = _conv_geometry(op, _first_shape(data.shape) if last else data.shape, kernel, stride,
                       dilate, pad)
    _check_layout(op, layout, len(g.kernel))
    C = data.shape[-1 if last else 1]
    _check_groups(op, data.shape, num_filter, num_group, last)
    expected = (num_filter, C // num_group) + g.kernel
    if last:
        expected = _last_shape(expected)
    if weight.shape != expected:
        axes = ('(num_filter, *kernel, channels/num_group)' if last else
                '(num_filter, channels/num_group, *kernel)')
        raise MXNetError(f'{op}: weight has shape {shape_str(weight.shape)}, expected '
                         f'{shape_str(expected)} {axes} for data {shape_str(data.shape)}')
    if bias is not None and bias.shape != (num_filter,):
        raise MXNetError(f'{op}: bias has shape {shape_str(bias.shape)}, expected '
                         f'{shape_str((num_filter,))}')
    _check_dtypes(op, [data, weight] + ([] if bias is None else [bias]),
                  ['data', 'weight', 'bias'])
    return g, last


def _add_bias(y, bias):
    """``y += bias`` along axis 1 (the channels)."""
    if bias is not None:
        y += bias.reshape(bias.shape + (1,) * (y.ndim - 2))
    return y


def _convolution(xp, data, weight, bias=None, kernel=(), stride=(), dilate=(), pad=(),
                 num_filter=None, num_group=1, workspace=1024, no_bias=False,
                 cudnn_tune=None, cudnn_off=False, layout=None):
    """Convolution over 1, 2 or 3 spatial axes (NCW, NCHW, NCDHW).

    ``weight`` is ``(num_filter, channels/num_group, *kernel)``; each output
    position is the dot product of the weights with one (strided, dilated) window
    of the zero-padded input, plus ``bias``. The output size per axis is
    ``(size + 2*pad - dilate*(kernel-1) - 1) // stride + 1``.

    ``layout='NHWC'`` or ``'NDHWC'`` puts the channels last, in the data, the output
    and the weight ``(num_filter, *kernel, channels/num_group)``. (MXNet runs these
    on GPUs with cuDNN only; here they run everywhere. As in MXNet, there is no
    ``'NWC'``.)

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((1, 1, 4, 4))
    >>> w = mx.nd.ones((2, 1, 3, 3))
    >>> mx.nd.Convolution(x, w, mx.nd.array([0, 1]), kernel=(3, 3), num_filter=2).shape
    (1, 2, 2, 2)
    >>> mx.nd.Convolution(mx.nd.ones((1, 4, 4, 1)), mx.nd.ones((2, 3, 3, 1)), no_bias=True,
    ...                   kernel=(3, 3), num_filter=2, layout='NHWC').shape
    (1, 2, 2, 2)
    """
    g, last = _conv_checks('Convolution', data, weight, bias, kernel, stride, dilate, pad,
                           num_filter, num_group, no_bias, layout)
    if last:
        return _last(xp, _conv_forward_raw(xp, _first(xp, data), _first(xp, weight), g,
                                           num_group, bias))
    return _conv_forward_raw(xp, data, weight, g, num_group, bias)


def convolution_batch_last(xp, data, weight, bias=None, kernel=(), stride=(), dilate=(),
                           pad=(), num_filter=None, num_group=1, workspace=1024, no_bias=False,
                           cudnn_tune=None, cudnn_off=False, layout=None):
    """:func:`_convolution` (channels first) whose output may come in the batch-last
    layout; for compiled plans only (see :func:`_is_image_minor`)."""
    g, last = _conv_checks('Convolution', data, weight, bias, kernel, stride, dilate, pad,
                           num_filter, num_group, no_bias, layout)
    if last:
        raise MXNetError('Convolution: the batch-last layout is for channels-first data')
    return _conv_forward_raw(xp, data, weight, g, num_group, bias, image_minor_out=True)


def _conv_attrs(attrs):
    return {k: attrs[k] for k in ('kernel', 'stride', 'dilate', 'pad', 'num_group')}


def _channels_first_backward(F, grads, dy, x, layout):
    """The gradients of a (de)convolution of inputs ``x`` in ``layout``:
    ``grads(dy, data, weight, data_shape)`` computes them for channels-first arrays
    (``data`` only when the weight needs a gradient, ``weight`` only when the data
    does), so channels-last arrays go through transposes, which are recorded like
    any operator and keep the gradients differentiable."""
    data, weight = x[0], x[1]
    want_data, want_weight = needs_grad(data), needs_grad(weight)
    if not _channels_last('', layout):
        out = grads(dy, data if want_weight else None, weight if want_data else None,
                    data.shape)
    else:
        first, back = _F_axes(data.ndim, False), _F_axes(data.ndim, True)
        out = grads(F.transpose(dy, axes=first),
                    F.transpose(data, axes=first) if want_weight else None,
                    F.transpose(weight, axes=first) if want_data else None,
                    _first_shape(data.shape))
        out[:2] = [None if g is None else F.transpose(g, axes=back) for g in out[:2]]
    out[0] = out[0] if want_data else None
    out[1] = out[1] if want_weight else None
    if len(x) == 3:
        out[2] = out[2] if needs_grad(x[2]) else None
    return out[:len(x)]


def _convolution_backward(F, dy, x, y, **attrs):
    conv = _conv_attrs(attrs)

    def grads(dy, data, weight, data_shape):
        return [None if weight is None else
                F._conv_data_grad(dy, weight, data_shape=data_shape, **conv),
                None if data is None else F._conv_weight_grad(dy, data, **conv),
                F._conv_bias_grad(dy) if len(x) == 3 and needs_grad(x[2]) else None]
    return _channels_first_backward(F, grads, dy, x, attrs['layout'])


def _weight_shape(op, data_shape, kernel, num_filter, num_group, layout, transposed):
    """The weight shape of a convolution (``transposed=False``) or deconvolution of
    data of ``data_shape`` in ``layout``."""
    if num_filter is None:
        raise MXNetError(f'{op}: num_filter is required to infer the weight shape')
    last = _channels_last(op, layout)
    first_shape = _first_shape(data_shape) if last else tuple(data_shape)
    kernel = _kernel_attrs(op, kernel, (), (), (), first_shape)[0]
    _check_layout(op, layout, len(kernel))
    _check_groups(op, data_shape, num_filter, num_group, last)
    C = first_shape[1]
    shape = ((C, num_filter // num_group) if transposed else
             (num_filter, C // num_group)) + kernel
    return _last_shape(shape) if last else shape


def convolution_param_shapes(data_shape, kernel=(), num_filter=None, num_group=1,
                             no_bias=False, layout=None, **attrs):
    """The shapes of Convolution's weight and bias for data of ``data_shape``.

    >>> convolution_param_shapes((8, 3, 32, 32), kernel=(3, 3), num_filter=16)
    {'weight': (16, 3, 3, 3), 'bias': (16,)}
    >>> convolution_param_shapes((8, 32, 32, 3), kernel=(3, 3), num_filter=16,
    ...                          layout='NHWC')['weight']
    (16, 3, 3, 3)
    """
    shapes = {'weight': _weight_shape('Convolution', data_shape, kernel, num_filter,
                                      num_group, layout, transposed=False)}
    if not no_bias:
        shapes['bias'] = (num_filter,)
    return shapes


def _convolution_infer_shape(in_shapes, **attrs):
    """Output shape from the data shape alone (weight and bias may be unknown)."""
    data_shape = tuple(in_shapes[0])
    last = _channels_last('Convolution', attrs['layout'])
    g = _conv_geometry('Convolution', _first_shape(data_shape) if last else data_shape,
                       attrs['kernel'], attrs['stride'], attrs['dilate'], attrs['pad'])
    convolution_param_shapes(data_shape, **attrs)  # checks num_filter, groups and layout
    out = (data_shape[0], attrs['num_filter']) + g.out
    return [_last_shape(out) if last else out]


register('Convolution', _convolution, backward=_convolution_backward,
         inputs=('data', 'weight', 'bias'), infer_shape=_convolution_infer_shape,
         param_shapes=convolution_param_shapes, partial_shape=partial_shapes.convolution,
         required=('kernel', 'num_filter'), same_dtype=True)


# ------------------------------------------------------------------ the gradient kernels
def _conv_data_grad(xp, out_grad, weight, kernel=(), stride=(), dilate=(), pad=(),
                    num_group=1, data_shape=()):
    """The gradient of a convolution with respect to its data (of ``data_shape``),
    given the output gradient: ``col2im(W^T @ out_grad)``."""
    data_shape = tuple(int(d) for d in data_shape)
    g = _grad_geometry('_conv_data_grad', data_shape, out_grad.shape, kernel, stride,
                       dilate, pad)
    return _conv_data_grad_raw(xp, out_grad, weight, g, num_group, data_shape)


def conv_data_grad_batch_last(xp, out_grad, weight, kernel=(), stride=(), dilate=(), pad=(),
                              num_group=1, data_shape=()):
    """:func:`_conv_data_grad` whose result may come in the batch-last layout; for
    compiled plans only."""
    data_shape = tuple(int(d) for d in data_shape)
    g = _grad_geometry('_conv_data_grad', data_shape, out_grad.shape, kernel, stride,
                       dilate, pad)
    return _conv_data_grad_raw(xp, out_grad, weight, g, num_group, data_shape,
                               image_minor_out=True)


def _conv_weight_grad(xp, out_grad, data, kernel=(), stride=(), dilate=(), pad=(),
                      num_group=1):
    """The gradient of a convolution with respect to its weight:
    ``out_grad @ im2col(data)^T``."""
    g = _grad_geometry('_conv_weight_grad', data.shape, out_grad.shape, kernel, stride,
                       dilate, pad)
    return _conv_weight_grad_raw(xp, out_grad, data, g, num_group)


def _plain_conv(F, data, weight, **conv):
    """A convolution without bias, as the backward passes need it."""
    return F.Convolution(data, weight, no_bias=True, num_filter=weight.shape[0], **conv)


def _conv_data_grad_backward(F, dy, x, y, **attrs):
    # z = _conv_data_grad(g, W) is linear in g and in W; for any dz
    # <z, dz> = <g, conv(dz, W)> = <W, _conv_weight_grad(g, dz)>, which gives both gradients
    g, weight = x
    conv = _conv_attrs(attrs)
    return [_plain_conv(F, dy, weight, **conv) if needs_grad(g) else None,
            F._conv_weight_grad(g, dy, **conv) if needs_grad(weight) else None]


def _conv_weight_grad_backward(F, dy, x, y, **attrs):
    # z = _conv_weight_grad(g, x): <z, dz> = <g, conv(x, dz)> = <x, _conv_data_grad(g, dz)>
    g, data = x
    conv = _conv_attrs(attrs)
    return [_plain_conv(F, data, dy, **conv) if needs_grad(g) else None,
            F._conv_data_grad(g, dy, data_shape=data.shape, **conv)
            if needs_grad(data) else None]


register('_conv_data_grad', _conv_data_grad, backward=_conv_data_grad_backward,
         inputs=('out_grad', 'weight'))
register('_conv_weight_grad', _conv_weight_grad, backward=_conv_weight_grad_backward,
         inputs=('out_grad', 'data'))


def _conv_bias_grad(xp, out_grad):
    """The gradient of a per-channel bias: ``out_grad`` summed over every axis but 1."""
    N, C = out_grad.shape[:2]
    if _is_image_minor(out_grad):   # (a reshape of the usual view would copy)
        return xp.einsum('cs->c', _minor_view(out_grad).reshape(C, -1))
    return xp.einsum('ncs->c', out_grad.reshape(N, C, -1))


def _conv_bias_broadcast(xp, data, like):
    """``data`` (one value per channel) repeated over every axis of ``like`` but 1."""
    shape = (1, data.shape[0]) + (1,) * (like.ndim - 2)
    return xp.broadcast_to(data.reshape(shape), like.shape).copy()


register('_conv_bias_grad', _conv_bias_grad,
         backward=lambda F, dy, x, y: [F._conv_bias_broadcast(dy, x[0])])
register('_conv_bias_broadcast', _conv_bias_broadcast, inputs=('data', 'like'),
         backward=lambda F, dy, x, y: [F._conv_bias_grad(dy), None])


# ------------------------------------------------------------------ Deconvolution
def _deconv_geometry(op, data_shape, kernel, stride, dilate, pad, adj, target_shape):
    """The geometry of the convolution whose data gradient this deconvolution is:
    its ``size`` is the deconvolution's output size and its ``out`` the input size.

    Per axis the output is ``stride*(size-1) + dilate*(kernel-1) + 1 - 2*pad + adj``.
    With ``target_shape``, pad and adj are chosen to produce exactly that size.
    """
    kernel, stride, dilate, pad = _kernel_attrs(op, kernel, stride, dilate, pad, data_shape)
    nsp = len(kernel)
    adj = _spatial(op, 'adj', adj, nsp, 0, 0)
    target = _shape_attr(target_shape)
    size_in = tuple(data_shape[2:])
    full = tuple(s * (n - 1) + d * (k - 1) + 1
                 for s, n, d, k in zip(stride, size_in, dilate, kernel))
    if target and any(target):
        if len(target) != nsp:
            raise MXNetError(f'{op}: target_shape={target} must have one entry per spatial '
                             f'axis, like kernel ({nsp})')
        if any(t > f for t, f in zip(target, full)):
            raise MXNetError(f'{op}: target_shape {target} is larger than {full}, the '
                             f'largest output data {shape_str(data_shape)} can give')
        total = tuple(f - t for f, t in zip(full, target))
        pad = tuple((t + 1) // 2 for t in total)
        adj = tuple(t % 2 for t in total)
    if any(a >= s for a, s in zip(adj, stride)):
        raise MXNetError(f'{op}: adj {adj} must be smaller than stride {stride} in every axis')
    size = tuple(f - 2 * p + a for f, p, a in zip(full, pad, adj))
    if min(size) < 1:
        raise MXNetError(f'{op}: the output would be empty: pad {pad} crops away the whole '
                         f'{full} result for data {shape_str(data_shape)}')
    return _Geometry(kernel, stride, dilate, pad, size, size_in)


def _deconvolution(xp, data, weight, bias=None, kernel=(), stride=(), dilate=(), pad=(),
                   adj=(), target_shape=(), num_filter=None, num_group=1, workspace=512,
                   no_bias=True, cudnn_tune=None, cudnn_off=False, layout=None):
    """Transposed convolution: the gradient of a Convolution with respect to its data,
    used to upsample. ``weight`` is ``(channels, num_filter/num_group, *kernel)``
    and, unlike Convolution, ``no_bias`` defaults to True.

    ``layout='NHWC'`` or ``'NDHWC'`` puts the channels last, in the data, the output
    and the weight ``(channels, *kernel, num_filter/num_group)`` (GPU-only in MXNet,
    everywhere here).

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((1, 1, 2, 2))
    >>> mx.nd.Deconvolution(x, mx.nd.ones((1, 1, 2, 2)), kernel=(2, 2), stride=(2, 2),
    ...                     num_filter=1).shape
    (1, 1, 4, 4)
    """
    op = 'Deconvolution'
    _check_inputs(op, 2 if bias is None else 3, no_bias)
    if num_filter is None:
        raise MXNetError(f'{op}: the num_filter attribute is required')
    last = _channels_last(op, layout)
    g = _deconv_geometry(op, _first_shape(data.shape) if last else data.shape, kernel,
                         stride, dilate, pad, adj, target_shape)
    _check_layout(op, layout, len(g.kernel))
    _check_groups(op, data.shape, num_filter, num_group, last)
    C = data.shape[-1 if last else 1]
    expected = (C, num_filter // num_group) + g.kernel
    if last:
        expected = _last_shape(expected)
    if weight.shape != expected:
        axes = ('(channels, *kernel, num_filter/num_group)' if last else
                '(channels, num_filter/num_group, *kernel)')
        raise MXNetError(f'{op}: weight has shape {shape_str(weight.shape)}, expected '
                         f'{shape_str(expected)} {axes} for data {shape_str(data.shape)}')
    if bias is not None and bias.shape != (num_filter,):
        raise MXNetError(f'{op}: bias has shape {shape_str(bias.shape)}, expected '
                         f'{shape_str((num_filter,))}')
    _check_dtypes(op, [data, weight] + ([] if bias is None else [bias]),
                  ['data', 'weight', 'bias'])
    out_shape = (data.shape[0], num_filter) + g.size
    if last:
        return _last(xp, _add_bias(_conv_data_grad_raw(
            xp, _first(xp, data), _first(xp, weight), g, num_group, out_shape), bias))
    return _add_bias(_conv_data_grad_raw(xp, data, weight, g, num_group, out_shape), bias)


def _deconvolution_backward(F, dy, x, y, **attrs):
    def grads(dy, data, weight, data_shape):
        g = _deconv_geometry('Deconvolution', data_shape, attrs['kernel'], attrs['stride'],
                             attrs['dilate'], attrs['pad'], attrs['adj'],
                             attrs['target_shape'])
        conv = dict(kernel=g.kernel, stride=g.stride, dilate=g.dilate, pad=g.pad,
                    num_group=attrs['num_group'])
        return [None if weight is None else _plain_conv(F, dy, weight, **conv),
                None if data is None else F._conv_weight_grad(data, dy, **conv),
                F._conv_bias_grad(dy) if len(x) == 3 and needs_grad(x[2]) else None]
    return _channels_first_backward(F, grads, dy, x, attrs['layout'])


def deconvolution_param_shapes(data_shape, kernel=(), num_filter=None, num_group=1,
                               no_bias=True, layout=None, **attrs):
    """The shapes of Deconvolution's weight and bias for data of ``data_shape``.

    >>> deconvolution_param_shapes((8, 16, 7, 7), kernel=(4, 4), num_filter=3)
    {'weight': (16, 3, 4, 4)}
    >>> deconvolution_param_shapes((8, 7, 7, 16), kernel=(4, 4), num_filter=3,
    ...                            layout='NHWC')
    {'weight': (16, 4, 4, 3)}
    """
    shapes = {'weight': _weight_shape('Deconvolution', data_shape, kernel, num_filter,
                                      num_group, layout, transposed=True)}
    if not no_bias:
        shapes['bias'] = (num_filter,)
    return shapes


def _deconvolution_infer_shape(in_shapes, **attrs):
    data_shape = tuple(in_shapes[0])
    last = _channels_last('Deconvolution', attrs['layout'])
    g = _deconv_geometry('Deconvolution', _first_shape(data_shape) if last else data_shape,
                         attrs['kernel'], attrs['stride'], attrs['dilate'], attrs['pad'],
                         attrs['adj'], attrs['target_shape'])
    deconvolution_param_shapes(data_shape, **attrs)
    out = (data_shape[0], attrs['num_filter']) + g.size
    return [_last_shape(out) if last else out]


register('Deconvolution', _deconvolution, backward=_deconvolution_backward,
         inputs=('data', 'weight', 'bias'), infer_shape=_deconvolution_infer_shape,
         param_shapes=deconvolution_param_shapes, required=('kernel', 'num_filter'),
         same_dtype=True)
