"""Pooling: the maximum, average, sum or Lp norm of every window, channel by channel.

Pooling never mixes channels, so there is no matrix product. A window's maximum
(or sum) is the maximum over its rows of the maxima along each row, so the work is
done one spatial axis at a time: along the height, combine ``kernel`` strided
slices of the input (each covering every output row at once) with ``maximum`` or
``+``; then do the same along the width on that result. A 2x2 window costs two
passes over the data instead of four, and no reshaping into windows with a
``max``/``mean`` over new axes (many times slower in numpy).

The backward pass of average and sum pooling is the same in reverse: each axis
spreads the gradient back over its windows (``repeat`` when the windows tile the
axis exactly). Max pooling sends each output gradient to the *first* element of
its window that equals the maximum, as MXNet does, so that ties (a window of zeros
after a ReLU, say) do not multiply the gradient; that needs the window's elements
in order, so it visits the kernel positions one at a time.
"""
import itertools
from math import prod

import numpy as np

from ..base import MXNetError, shape_str
from . import cuda_kernels
from .convolution import (_LAST_LAYOUTS, _LAYOUTS, _channels_last, _check_layout, _first,
                          _first_shape, _is_image_minor, _last, _last_shape, _scratch,
                          _shape_attr, _spatial)
from .registry import register

_POOL_TYPES = ('max', 'avg', 'sum', 'lp')
_CONVENTIONS = ('valid', 'full', 'same')
_POOL_LAYOUTS = tuple(_LAYOUTS.values()) + tuple(_LAST_LAYOUTS.values())


class _PoolGeometry:
    """Sizes of one pooling, per spatial axis: kernel, stride, the padding before and
    after the input, the input size, the output size, and ``span``, the extent of
    the padded input the windows read (the 'full' convention can reach past the
    padding; that overhang is read as padding too)."""
    __slots__ = ('kernel', 'stride', 'pad_begin', 'pad_end', 'size', 'out', 'span')

    def __init__(self, kernel, stride, pad_begin, pad_end, size, out):
        self.kernel, self.stride = kernel, stride
        self.pad_begin, self.pad_end = pad_begin, pad_end
        self.size, self.out = size, out
        self.span = tuple(max(b + n + e, (o - 1) * s + k) for b, n, e, o, s, k in
                          zip(pad_begin, size, pad_end, out, stride, kernel))

    @property
    def trivial(self):
        """True when the windows read the input itself: no padding needed."""
        return self.span == self.size and not any(self.pad_begin)

    def window(self, position):
        """The slices of the padded input that kernel element ``position`` visits."""
        return (Ellipsis,) + tuple(slice(i, i + s * (o - 1) + 1, s)
                                   for i, s, o in zip(position, self.stride, self.out))

    @property
    def single_window(self):
        """True when each channel has one window starting at the origin (global pooling)."""
        return all(o == 1 for o in self.out)

    def window_region(self):
        """The region of the padded input that the only window covers."""
        return (Ellipsis,) + tuple(slice(0, k) for k in self.kernel)

    def only_window(self, x):
        """The single window of every channel of padded ``x``, flattened: ``(N, C, k)``."""
        region = x[self.window_region()]
        return region.reshape(region.shape[:2] + (-1,))

    def along(self, axis, i):
        """Index of the slice that element ``i`` of the kernel visits along spatial
        ``axis``, for every output position along that axis at once."""
        s, o = self.stride[axis], self.out[axis]
        return (slice(None),) * (axis + 2) + (slice(i, i + s * (o - 1) + 1, s),)

    def positions(self):
        return itertools.product(*(range(k) for k in self.kernel))

    def interior(self):
        return (Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(self.pad_begin, self.size))


def _pool_geometry(data_shape, kernel, global_pool, pooling_convention, stride, pad):
    op = 'Pooling'
    if len(data_shape) not in (3, 4, 5):
        raise MXNetError(f'{op}: data must be 3-D (NCW), 4-D (NCHW) or 5-D (NCDHW), got '
                         f'shape {shape_str(data_shape)}')
    size = tuple(data_shape[2:])
    nsp = len(size)
    if global_pool:  # one window covering the whole input; kernel, stride, pad ignored
        return _PoolGeometry(size, (1,) * nsp, (0,) * nsp, (0,) * nsp, size, (1,) * nsp)
    kernel = _shape_attr(kernel)
    if not kernel:
        raise MXNetError(f'{op}: the kernel attribute is required unless global_pool=True')
    if len(kernel) != nsp:
        raise MXNetError(f'{op}: kernel={kernel} has {len(kernel)} axes but data of shape '
                         f'{shape_str(data_shape)} has {nsp} spatial axes')
    if min(kernel) < 1:
        raise MXNetError(f'{op}: kernel={kernel} must be >= 1 in every axis')
    stride = _spatial(op, 'stride', stride, nsp, 1, 1)
    if pooling_convention == 'same' and not any(np.atleast_1d(pad)):
        # 'same' chooses the padding itself: MXNet ignores a zero pad of any length
        # (programs write pad=(0, 0, 0) for 1-D data)
        pad = ()
    pad = _spatial(op, 'pad', pad, nsp, 0, 0)
    if pooling_convention not in _CONVENTIONS:
        raise MXNetError(f'{op}: pooling_convention must be one of {_CONVENTIONS}, got '
                         f'{pooling_convention!r}')
    if pooling_convention == 'same':
        # TensorFlow's 'SAME': ceil(size/stride) outputs, padding split around the input
        if nsp != 1:
            raise MXNetError(f"{op}: pooling_convention='same' supports 1-D pooling (NCW "
                             f'data) only, got data of shape {shape_str(data_shape)}')
        if any(pad):
            raise MXNetError(f"{op}: pooling_convention='same' chooses its own padding; "
                             f'pad={pad} must not be given')
        out = tuple(-(-n // s) for n, s in zip(size, stride))
        total = tuple(max((o - 1) * s + k - n, 0)
                      for o, s, k, n in zip(out, stride, kernel, size))
        begin = tuple(t // 2 for t in total)
        return _PoolGeometry(kernel, stride, begin,
                             tuple(t - b for t, b in zip(total, begin)), size, out)
    padded = tuple(n + 2 * p for n, p in zip(size, pad))
    if any(k > p for k, p in zip(kernel, padded)):
        raise MXNetError(f'{op}: kernel {kernel} is larger than the padded input {padded} '
                         f'(data {shape_str(data_shape)}, pad {pad}): the output would be '
                         'empty')
    if pooling_convention == 'valid':
        out = tuple((p - k) // s + 1 for p, k, s in zip(padded, kernel, stride))
    else:  # 'full': ceil, so that the last partial window still gives an output
        out = tuple(-(-(p - k) // s) + 1 for p, k, s in zip(padded, kernel, stride))
    return _PoolGeometry(kernel, stride, pad, pad, size, out)


def _layout_geometry(data_shape, layout, kernel, global_pool, pooling_convention, stride,
                     pad):
    """The geometry of a pooling of data of ``data_shape`` laid out as ``layout``, and
    whether that layout puts the channels last (computed on the channels-first view)."""
    last = _channels_last('Pooling', layout, _POOL_LAYOUTS)
    data_shape = tuple(data_shape)
    g = _pool_geometry(_first_shape(data_shape) if last else data_shape, kernel, global_pool,
                       pooling_convention, stride, pad)
    _check_layout('Pooling', layout, len(g.size))
    return g, last


def _in_layout(xp, last, *arrays):
    """Channels-last ``arrays`` as contiguous channels-first ones: the kernels slice
    the spatial axes many times, which is fastest on contiguous memory."""
    if not last:
        return arrays
    return tuple(xp.ascontiguousarray(_first(xp, a)) for a in arrays)


def _check_type(pool_type, p_value, dtype):
    if pool_type not in _POOL_TYPES:
        raise MXNetError(f'Pooling: pool_type must be one of {_POOL_TYPES}, got {pool_type!r}')
    if pool_type == 'lp' and p_value not in (1, 2, 3):
        raise MXNetError(f'Pooling: pool_type=\'lp\' needs p_value 1, 2 or 3, got {p_value!r}')
    if pool_type in ('avg', 'lp') and not np.issubdtype(dtype, np.floating):
        raise MXNetError(f'Pooling: {pool_type} pooling needs floating-point data, got {dtype}')


def _lowest(dtype):
    """The fill value for max pooling: padding never wins (MXNet uses the lowest
    finite value, so a window of padding only gives that value, not -inf)."""
    return np.finfo(dtype).min if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def _padded(xp, data, g, fill, role):
    """``data`` inside a scratch array of extent ``g.span``, the border set to ``fill``."""
    if g.trivial:
        return data
    buf = _scratch(xp, role, data.shape[:2] + g.span, data.dtype)
    for axis, (b, n) in enumerate(zip(g.pad_begin, g.size), start=2):
        lead = (slice(None),) * axis
        buf[lead + (slice(0, b),)] = fill
        buf[lead + (slice(b + n, None),)] = fill
    buf[g.interior()] = data
    return buf


def _divisor(xp, g, count_include_pad, dtype):
    """How many elements each average divides by, as MXNet counts them: the window
    clipped to the padded input (``count_include_pad``, the default) or to the input
    itself. A number when every window holds the full kernel, else an array."""
    if g.trivial:   # no padding, and every window inside the input (the common case)
        return prod(g.kernel)
    include = True if count_include_pad is None else count_include_pad
    counts = []
    for o, s, k, b, n, e in zip(g.out, g.stride, g.kernel, g.pad_begin, g.size, g.pad_end):
        start = np.arange(o) * s - b
        if include:
            counts.append(np.minimum(start + k, n + e) - start)
        else:
            counts.append(np.minimum(start + k, n) - np.maximum(start, 0))
    if all((c == k).all() for c, k in zip(counts, g.kernel)):
        return prod(g.kernel)
    div = counts[0]
    for c in counts[1:]:
        div = np.multiply.outer(div, c)
    # a window of padding only sums to 0; dividing by 1 keeps it 0 instead of 0/0
    return xp.asarray(np.maximum(div, 1), dtype=dtype)


def _pooling(xp, data, kernel=(), pool_type='max', global_pool=False, cudnn_off=False,
             pooling_convention='valid', stride=(), pad=(), p_value=None,
             count_include_pad=None, layout=None):
    """Pooling over 1, 2 or 3 spatial axes: the max, average, sum or Lp norm
    (``pool_type='lp'`` with ``p_value`` 1, 2 or 3) of every window.

    ``stride`` defaults to 1 and ``pad`` to 0 in every axis. Per axis the output
    has ``(size + 2*pad - kernel) // stride + 1`` elements, or the ceiling of that
    division with ``pooling_convention='full'``. ``global_pool=True`` pools each
    channel to a single value. ``layout`` ``'NWC'``, ``'NHWC'`` or ``'NDHWC'`` puts
    the channels last (the data is transposed to channels first and the result back).

    A NaN in a window makes its max NaN. (MXNet 1.9.1's CPU kernels compare
    element by element and skip NaN, so a window of NaN alone gives the lowest
    finite value; d2lmini lets the NaN show rather than hide it.)

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.Pooling(x, kernel=(2, 2), stride=(2, 2))
    <BLANKLINE>
    [[[[ 5.  7.]
       [13. 15.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """
    g, last = _layout_geometry(data.shape, layout, kernel, global_pool, pooling_convention,
                               stride, pad)
    _check_type(pool_type, p_value, data.dtype)
    data, = _in_layout(xp, last, data)
    if xp is not np:  # on a GPU: one CUDA kernel when it handles the case (None if not)
        out = cuda_kernels.pool_forward(data, pool_type, g.kernel, g.stride, g.pad_begin,
                                        g.pad_end, g.out, count_include_pad)
        if out is not None:
            return _last(xp, out) if last else out
    p = p_value if pool_type == 'lp' else 1
    x = _padded(xp, data, g, _lowest(data.dtype) if pool_type == 'max' else 0, 'pool_x')
    if g.single_window:  # global pooling: one reduction instead of slices
        flat = g.only_window(x)
        if pool_type == 'max':
            out = flat.max(axis=-1)
        else:
            out = (flat if p == 1 else flat ** p).sum(axis=-1)
    else:
        if p > 1:
            x = x ** p
        combine = xp.maximum if pool_type == 'max' else xp.add
        out = x
        for axis, k in enumerate(g.kernel):  # one spatial axis at a time
            part = combine(out[g.along(axis, 0)], out[g.along(axis, 1)]) if k > 1 else None
            for i in range(2, k):
                combine(part, out[g.along(axis, i)], out=part)
            out = out[g.along(axis, 0)] if part is None else part
        if out.base is not None:  # a 1x1 kernel gave a view: the result must own its memory
            out = out.copy()
    out = out.reshape(data.shape[:2] + g.out)
    if pool_type == 'avg':
        out /= _divisor(xp, g, count_include_pad, out.dtype)
    elif p == 2:
        xp.sqrt(out, out=out)
    elif p == 3:
        xp.cbrt(out, out=out)
    return _last(xp, out) if last else out


def _pooling_infer_shape(in_shapes, **attrs):
    g, last = _layout_geometry(in_shapes[0], attrs['layout'], attrs['kernel'],
                               attrs['global_pool'], attrs['pooling_convention'],
                               attrs['stride'], attrs['pad'])
    shape = tuple(in_shapes[0])
    if last:
        return [_last_shape(_first_shape(shape)[:2] + g.out)]
    return [shape[:2] + g.out]


register('Pooling', _pooling, infer_shape=_pooling_infer_shape,
         backward=lambda F, dy, x, y, **attrs: [F._backward_Pooling(dy, x[0], y, **attrs)])


def _backward_pooling(xp, out_grad, data, output, kernel=(), pool_type='max',
                      global_pool=False, cudnn_off=False, pooling_convention='valid',
                      stride=(), pad=(), p_value=None, count_include_pad=None, layout=None):
    """The gradient of Pooling with respect to its data, from the output gradient,
    the data and the output (all three in ``layout``)."""
    g, last = _layout_geometry(data.shape, layout, kernel, global_pool, pooling_convention,
                               stride, pad)
    _check_type(pool_type, p_value, data.dtype)
    if last:
        out_grad, data, output = _in_layout(xp, last, out_grad, data, output)
        return _last(xp, _backward_pooling(xp, out_grad, data, output, kernel, pool_type,
                                           global_pool, cudnn_off, pooling_convention,
                                           stride, pad, p_value, count_include_pad))
    if xp is not np:  # on a GPU: CUDA kernels when they handle the case (None if not)
        dx = cuda_kernels.pool_backward(out_grad, data, output, pool_type, g.kernel, g.stride,
                                        g.pad_begin, g.pad_end, g.out, count_include_pad)
        if dx is not None:
            return dx
    p = p_value if pool_type == 'lp' else 1
    if pool_type == 'avg':
        scale = out_grad / _divisor(xp, g, count_include_pad, out_grad.dtype)
    elif p > 1:  # d/dx (sum x^p)^(1/p) = x^(p-1) / y^(p-1)
        scale = out_grad / (output if p == 2 else output * output)
    else:
        scale = out_grad
    if pool_type != 'max' and not g.single_window:
        dx = _spread(xp, g, scale, batch_last=_is_image_minor(data))
        if p > 1:  # times x^(p-1), per input element
            dx *= data if p == 2 else data * data
        return dx
    x = _padded(xp, data, g, _lowest(data.dtype) if pool_type == 'max' else 0, 'pool_x')
    if g.trivial:  # accumulate straight into the result (in the data's memory order)
        dx = grad = xp.zeros_like(data, dtype=out_grad.dtype)
    else:
        grad = _scratch(xp, 'pool_dx', data.shape[:2] + g.span, out_grad.dtype)
        grad.fill(0)
    if g.single_window:
        _single_window_grad(xp, g, x, grad, pool_type, p, scale, output)
    else:
        left = scale.copy()              # gradient not yet handed to a window element
        routed = xp.empty_like(left)
        for position in g.positions():
            hit = x[g.window(position)] == output
            xp.multiply(left, hit, out=routed)
            grad[g.window(position)] += routed
            left -= routed               # later ties get nothing: the first max wins
    if not g.trivial:
        dx = grad[g.interior()].copy()
    return dx


def _spread(xp, g, grad, batch_last=False):
    """The adjoint of summing windows: every element of the (padded) input gets the
    sum of ``grad`` over the windows that contain it. One spatial axis at a time,
    like the forward pass, but in reverse order (the adjoint of pooling along the
    height, then the width, spreads along the width, then the height): the last
    axis, whose elements are repeated one by one, is widened while the array is
    still small, and the other axes then copy whole rows, which is fast; about a
    third faster for 2x2 windows. Returns an array of the unpadded data's shape;
    with ``batch_last``, in the batch-last layout of the data (see
    :mod:`d2lmini.ops.convolution`) when the windows tile every axis."""
    n = len(g.kernel)
    tiled = all(k == s and span == k * o
                for k, s, o, span in zip(g.kernel, g.stride, g.out, g.span))
    if batch_last and tiled and g.trivial:
        # in that order, each element of grad fills its window with runs of N numbers:
        # one broadcast assignment ((C, o1, k1, o2, k2, ..., N) from (C, o1, 1, o2, 1,
        # ..., N)), about 2.5 times faster than repeating along each axis in turn
        grad = xp.ascontiguousarray(grad.transpose(tuple(range(1, n + 2)) + (0,)))
        C, N = grad.shape[0], grad.shape[-1]
        tiles = tuple(d for o, k in zip(g.out, g.kernel) for d in (o, k))
        out = xp.empty((C,) + tiles + (N,), grad.dtype)
        out[...] = grad.reshape((C,) + tuple(d for o in g.out for d in (o, 1)) + (N,))
        out = out.reshape((C,) + tuple(o * k for o, k in zip(g.out, g.kernel)) + (N,))
        return out.transpose((n + 1,) + tuple(range(n + 1)))
    for axis in reversed(range(len(g.kernel))):
        k, s, o, span = g.kernel[axis], g.stride[axis], g.out[axis], g.span[axis]
        if k == s and span == k * o:  # the windows tile this axis exactly
            grad = xp.repeat(grad, k, axis=axis + 2)
            continue
        shape = grad.shape[:axis + 2] + (span,) + grad.shape[axis + 3:]
        spread = xp.zeros(shape, grad.dtype)
        for i in range(k):
            spread[g.along(axis, i)] += grad
        grad = spread
    if not g.trivial:
        grad = grad[g.interior()].copy()
    return grad


def _single_window_grad(xp, g, x, grad, pool_type, p, scale, output):
    """Backward of a pooling with one window per channel (global pooling)."""
    region = grad[g.window_region()]
    flat = g.only_window(x)
    scale = scale.reshape(scale.shape[:2] + (1,))
    if pool_type == 'max':  # one-hot at the first maximum
        first = flat.argmax(axis=-1)[..., None]
        contrib = (xp.arange(flat.shape[-1]) == first) * scale
    elif p == 1:
        contrib = xp.broadcast_to(scale, flat.shape)
    else:
        contrib = (flat if p == 2 else flat * flat) * scale
    region += contrib.reshape(region.shape)


def _backward_pooling_grad(F, dy, x, y, **attrs):
    """The gradient of ``_backward_Pooling``, so that Pooling has second derivatives.

    ``dy`` has the data's shape. The max-routing, average and sum gradients are
    linear in ``out_grad`` and piecewise constant in the data, so only ``out_grad``
    gets a gradient: the adjoint of spreading is pooling again (the sum or average
    of each window), and the adjoint of routing to each window's maximum is reading
    the value at that maximum. The Lp gradient ``x^(p-1) * spread(out_grad / y^(p-1))``
    also depends smoothly on the data and the output.
    """
    out_grad, data, output = x
    pool_type = attrs['pool_type']
    p = attrs['p_value'] if pool_type == 'lp' else 1
    if pool_type == 'max':
        return [F._pooling_gather(dy, data, output, **attrs), None, None]
    if p == 1:                                   # avg, sum, and lp with p = 1 (a sum)
        return [F.Pooling(dy, **attrs), None, None]
    sums = {**attrs, 'pool_type': 'sum'}
    x_p1 = data if p == 2 else data * data       # x^(p-1)
    y_p1 = output if p == 2 else output * output  # y^(p-1)
    pooled = F.Pooling(dy * x_p1, **sums)         # the adjoint of spreading, of dy x^(p-1)
    d_out_grad = pooled / y_p1
    spread = F._backward_Pooling(out_grad / y_p1, data, output, **sums)
    d_data = dy * spread if p == 2 else dy * spread * data * 2.0
    d_output = pooled * out_grad / (y_p1 * output) * (1.0 - p)
    return [d_out_grad, d_data, d_output]


register('_backward_Pooling', _backward_pooling, inputs=('out_grad', 'data', 'output'),
         backward=_backward_pooling_grad)


def _pooling_gather(xp, grad, data, output, kernel=(), pool_type='max', global_pool=False,
                    cudnn_off=False, pooling_convention='valid', stride=(), pad=(),
                    p_value=None, count_include_pad=None, layout=None):
    """For max pooling: the value of ``grad`` (shaped like the data) at the first
    maximum of every window, where ``_backward_Pooling`` sends the window's output
    gradient. The adjoint of that routing, so max pooling's gradient has a gradient."""
    if pool_type != 'max':
        raise MXNetError(f"_pooling_gather: only for pool_type='max', got {pool_type!r}")
    g, last = _layout_geometry(data.shape, layout, kernel, global_pool, pooling_convention,
                               stride, pad)
    if last:
        grad, data, output = _in_layout(xp, last, grad, data, output)
        return _last(xp, _pooling_gather(xp, grad, data, output, kernel, pool_type,
                                         global_pool, cudnn_off, pooling_convention, stride,
                                         pad, p_value, count_include_pad))
    x = _padded(xp, data, g, _lowest(data.dtype), 'pool_x')
    a = _padded(xp, grad, g, 0, 'pool_gather')
    if g.single_window:
        first = g.only_window(x).argmax(axis=-1)[..., None]
        picked = xp.take_along_axis(g.only_window(a), first, axis=-1)
        return picked.reshape(output.shape)
    out = xp.zeros(output.shape, grad.dtype)
    free = xp.ones(output.shape, bool)           # windows whose maximum is not found yet
    for position in g.positions():
        hit = x[g.window(position)] == output
        hit &= free
        out += xp.where(hit, a[g.window(position)], 0)
        free &= ~hit
    return out


register('_pooling_gather', _pooling_gather, inputs=('grad', 'data', 'output'),
         infer_shape=lambda shapes, **attrs: [tuple(shapes[2])],
         backward=lambda F, dy, x, y, **attrs: [
             F._backward_Pooling(dy, x[1], x[2], **attrs), None, None])
