"""UpSampling: enlarge NCHW images by repeating every pixel ``scale x scale`` times
(nearest-neighbour interpolation).

Several inputs can be given: all are enlarged to the size of the first one times
``scale`` (each with its own factor) and then either concatenated along the
channels (``multi_input_mode='concat'``) or added (``'sum'``).

Repeating a pixel is a broadcast: viewing the output of shape ``(N, C, H*s, W*s)``
as ``(N, C, H, s, W, s)``, every input pixel ``x[n, c, h, w]`` fills the
``s x s`` block ``out[n, c, h, :, w, :]``. Backward is the matching sum over each
block.
"""
from ..base import MXNetError, shape_str
from .registry import register


def _factors(op, data, scale):
    """The output's height and width, and the enlargement factor of every input."""
    for i, d in enumerate(data):
        if d.ndim != 4:
            raise MXNetError(f'{op}: input {i} must be 4-D (batch, channel, height, width), '
                             f'got shape {shape_str(d.shape)}')
    out_h, out_w = data[0].shape[2] * scale, data[0].shape[3] * scale
    factors = []
    for i, d in enumerate(data):
        h, w = d.shape[2:]
        if h == 0 or w == 0 or out_h % h or out_w % w or out_h // h != out_w // w:
            raise MXNetError(f'{op}: input {i} of shape {shape_str(d.shape)} cannot be '
                             f'enlarged to {out_h}x{out_w} by a whole factor')
        factors.append(out_h // h)
    return out_h, out_w, factors


def _blocks(a, factor):
    """``a`` (N, C, H*f, W*f) viewed as (N, C, H, f, W, f): one f x f block per pixel."""
    n, c, h, w = a.shape
    return a.reshape(n, c, h // factor, factor, w // factor, factor)


def _upsampling(xp, *data, scale=None, num_filter=0, sample_type=None,
                multi_input_mode='concat', num_args=None, workspace=512):
    """Nearest-neighbour upsampling of NCHW images by an integer ``scale``.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[[[1, 2], [3, 4]]]])
    >>> mx.nd.UpSampling(x, scale=2, sample_type='nearest')
    <BLANKLINE>
    [[[[1. 1. 2. 2.]
       [1. 1. 2. 2.]
       [3. 3. 4. 4.]
       [3. 3. 4. 4.]]]]
    <NDArray 1x1x4x4 @cpu(0)>
    """
    if scale is None or sample_type is None:
        raise MXNetError('UpSampling: the arguments scale and sample_type are required')
    if sample_type == 'bilinear':
        return _bilinear_upsampling(xp, data, scale, num_filter)
    if sample_type != 'nearest':
        raise MXNetError(f"UpSampling: sample_type={sample_type!r} is not supported; "
                         "choose 'nearest' or 'bilinear'")
    if multi_input_mode not in ('concat', 'sum'):
        raise MXNetError(f"UpSampling: multi_input_mode={multi_input_mode!r} is not "
                         "supported; choose 'concat' or 'sum'")
    if num_args is not None and num_args != len(data):
        raise MXNetError(f'UpSampling: num_args={num_args} but {len(data)} arrays were given')
    if int(scale) != scale or scale < 1:
        raise MXNetError(f'UpSampling: scale={scale} must be a positive integer')
    scale = int(scale)
    out_h, out_w, factors = _factors('UpSampling', data, scale)
    n = data[0].shape[0]
    if multi_input_mode == 'sum':
        channels = data[0].shape[1]
        if any(d.shape[1] != channels for d in data):
            raise MXNetError('UpSampling: with multi_input_mode=\'sum\' all inputs need the '
                             'same number of channels, got '
                             + ', '.join(shape_str(d.shape) for d in data))
    else:
        channels = sum(d.shape[1] for d in data)
    out = xp.empty((n, channels, out_h, out_w), dtype=data[0].dtype)
    c0 = 0
    for i, (d, f) in enumerate(zip(data, factors)):
        pixels = d[:, :, :, None, :, None]          # broadcast over each f x f block
        if multi_input_mode == 'sum':
            if i == 0:
                _blocks(out, f)[...] = pixels
            else:
                _blocks(out, f)[...] += pixels
        else:
            _blocks(out, f)[:, c0:c0 + d.shape[1]] = pixels
            c0 += d.shape[1]
    return out


# ---------------------------------------------------------------- bilinear
# MXNet's bilinear UpSampling is a depthwise Deconvolution of its data (one channel
# per group) with its second input as the kernel, of size 2*scale - scale%2, stride
# ``scale`` and padding ceil((scale - 1) / 2): a kernel filled with bilinear weights
# (``mx.init.Bilinear``) interpolates, and training may change it.
def _bilinear_deconv_attrs(scale, num_filter):
    scale = int(scale)
    kernel = 2 * scale - scale % 2
    pad = (scale - 1 + 1) // 2          # ceil((scale - 1) / 2)
    from .registry import get
    return get('Deconvolution').full_attrs(dict(
        kernel=(kernel, kernel), stride=(scale, scale), pad=(pad, pad),
        num_filter=int(num_filter), num_group=int(num_filter), no_bias=True))


def _check_bilinear(data, scale, num_filter):
    if len(data) != 2:
        raise MXNetError(f"UpSampling: sample_type='bilinear' is not supported with "
                         f"{len(data)} input(s): it takes two inputs, the data and the "
                         "(num_filter, 1, k, k) kernel weight")
    if int(scale) != scale or scale < 1:
        raise MXNetError(f'UpSampling: scale={scale} must be a positive integer')
    if data[0].ndim != 4 or data[0].shape[1] != num_filter:
        raise MXNetError(f"UpSampling: sample_type='bilinear' needs 4-D data with num_filter="
                         f"{num_filter} channels, got shape {shape_str(data[0].shape)}")


def _bilinear_upsampling(xp, data, scale, num_filter):
    from .convolution import _deconvolution
    _check_bilinear(data, scale, num_filter)
    return _deconvolution(xp, data[0], data[1], **_bilinear_deconv_attrs(scale, num_filter))


def _upsampling_param_shapes(data_shape, scale=1, num_filter=0, sample_type=None, **attrs):
    """For bilinear upsampling, the shape of the kernel weight (the second input):
    ``(num_filter, 1, k, k)`` with ``k = 2*scale - scale%2``.

    >>> _upsampling_param_shapes((1, 3, 4, 4), scale=2, num_filter=3, sample_type='bilinear')
    {1: (3, 1, 4, 4)}
    """
    if sample_type != 'bilinear':
        return {}
    k = 2 * int(scale) - int(scale) % 2
    return {1: (int(num_filter), 1, k, k)}


def _upsampling_infer_shape(in_shapes, scale=1, multi_input_mode='concat', **attrs):
    n, c, h, w = in_shapes[0]
    if attrs.get('sample_type') == 'bilinear':
        return [(n, c, h * scale, w * scale)]
    if multi_input_mode != 'sum':
        c = sum(s[1] for s in in_shapes)
    return [(n, c, h * scale, w * scale)]


def _upsampling_backward_op(xp, *arrays, scale=1, multi_input_mode='concat', num_args=2):
    """The gradients of UpSampling's inputs: ``arrays`` is the output gradient
    followed by the inputs (only their shapes are used); each input's gradient sums
    the output gradient over the block its pixels filled."""
    dy, data = arrays[0], arrays[1:]
    _, _, factors = _factors('UpSampling', data, int(scale))
    grads, c0 = [], 0
    for d, f in zip(data, factors):
        part = dy
        if multi_input_mode != 'sum':
            part = dy[:, c0:c0 + d.shape[1]]
            c0 += d.shape[1]
        if f == 1:
            grads.append(part.copy())
            continue
        blocks = _blocks(part, f)
        # f * f strided additions are much faster than a sum over two inner axes
        g = blocks[:, :, :, 0, :, 0].copy()
        for i in range(f):
            for j in range(f):
                if i or j:
                    g += blocks[:, :, :, i, :, j]
        grads.append(g)
    return tuple(grads)


def _upsampling_backward(F, dy, x, y, scale, multi_input_mode, **attrs):
    if attrs.get('sample_type') == 'bilinear':
        from .convolution import _deconvolution_backward
        return _deconvolution_backward(F, dy, x, y,
                                       **_bilinear_deconv_attrs(scale, attrs['num_filter']))[:2]
    grads = F._backward_UpSampling(dy, *x, scale=scale, multi_input_mode=multi_input_mode)
    return [grads] if len(x) == 1 else grads  # one output comes back as an NDArray


register('UpSampling', _upsampling, infer_shape=_upsampling_infer_shape,
         backward=_upsampling_backward, param_shapes=_upsampling_param_shapes,
         required=('sample_type', 'scale'))


def _upsampling_backward_grad(F, dy, x, y, scale, multi_input_mode, **attrs):
    """The gradient of ``_backward_UpSampling``. UpSampling is linear and its backward
    is its adjoint, so the adjoint of the backward is UpSampling itself, applied to
    the gradients of the inputs' gradients; the inputs (used for their shapes
    only) get none."""
    grads = (dy,) if len(x) == 2 else tuple(dy)
    d_out = F.UpSampling(*grads, scale=scale, sample_type='nearest',
                         multi_input_mode=multi_input_mode, num_args=len(grads))
    return [d_out] + [None] * len(grads)


register('_backward_UpSampling', _upsampling_backward_op, num_outputs=0,
         backward=_upsampling_backward_grad,
         num_visible_outputs=lambda attrs: attrs['num_args'] - 1)   # dy, then the inputs
