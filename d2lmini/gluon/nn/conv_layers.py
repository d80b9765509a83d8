"""Convolution and pooling layers, in 1, 2 and 3 spatial dimensions.

Data is laid out channels first by default: ``(batch, channels, width)`` for 1-D
layers (``'NCW'``), ``(batch, channels, height, width)`` for 2-D ones (``'NCHW'``)
and ``(batch, channels, depth, height, width)`` for 3-D ones (``'NCDHW'``).
``layout='NHWC'`` (or ``'NDHWC'``) puts the channels last instead, in the data and
in a convolution's weight; pooling layers also take ``'NWC'``. As in MXNet, 1-D
convolutions are ``'NCW'`` only. (MXNet runs channels-last convolutions on GPUs
only; here they run everywhere, by transposing to channels first and back.)

A convolution's weight has shape ``(channels, in_channels / groups, *kernel_size)``;
``in_channels=0`` leaves the input channels to the first batch. Arguments given
as a single number (``kernel_size=3``, ``strides=2``) apply to every spatial axis.

>>> import d2lmini as mx
>>> from d2lmini.gluon import nn
>>> conv = nn.Conv2D(6, kernel_size=5)
>>> conv
Conv2D(None -> 6, kernel_size=(5, 5), stride=(1, 1))
>>> conv.initialize()
>>> conv(mx.nd.ones((2, 1, 28, 28))).shape
(2, 6, 24, 24)
>>> nn.MaxPool2D()(mx.nd.ones((2, 6, 24, 24))).shape
(2, 6, 12, 12)
>>> conv = nn.Conv2D(6, kernel_size=5, layout='NHWC')
>>> conv.initialize()
>>> conv(mx.nd.ones((2, 28, 28, 1))).shape, conv.weight.shape
((2, 24, 24, 6), (6, 5, 5, 1))
"""
from ...base import numeric_types
from .activations import Activation
from ..block import HybridBlock
from .basic_layers import _Layer

# The layouts each kind of layer accepts, and MXNet's assertion messages for others.
_CONV_LAYOUTS = {1: ('NCW',), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}
_POOL_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _check_conv_layout(layout, nsp):
    allowed = _CONV_LAYOUTS[nsp]
    assert layout in allowed, \
        f"Only supports {' and '.join(repr(a) for a in allowed)} layout for now"


def _check_pool_layout(layout, nsp):
    allowed = _POOL_LAYOUTS[nsp]
    assert layout in allowed, \
        f'Only {" and ".join(allowed)} layouts are valid for {nsp}D Pooling'


def _spatial_tuple(value, nsp, what):
    """``value`` as one entry per spatial axis: a number is repeated ``nsp`` times."""
    if isinstance(value, numeric_types):
        return (value,) * nsp
    if len(value) != nsp:
        raise ValueError(f'{what} must be a number or a list of {nsp} ints')
    return value


def _per_axis(value, nsp):
    """A number repeated per axis; a list or tuple kept as given (MXNet prints it so)."""
    return (value,) * nsp if isinstance(value, numeric_types) else value


# ---------------------------------------------------------------------- convolutions
class _Conv(_Layer):
    """What every convolution layer shares: the parameters, the call to the
    ``Convolution`` (or ``Deconvolution``) operator and the printed form."""

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout,
                 in_channels=0, activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', op_name='Convolution', adj=None, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        nsp = len(kernel_size)
        _check_conv_layout(layout, nsp)
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._op_name = op_name
            self._kwargs = {'kernel': kernel_size, 'stride': _per_axis(strides, nsp),
                            'dilate': _per_axis(dilation, nsp), 'pad': _per_axis(padding, nsp),
                            'num_filter': channels, 'num_group': groups,
                            'no_bias': not use_bias, 'layout': layout}
            if adj is not None:
                self._kwargs['adj'] = adj
            # A convolution maps in_channels/groups inputs to each output channel; its
            # transpose (the convolution's gradient) stores the weight the other way.
            if op_name == 'Convolution':
                weight_shape = (channels, in_channels // groups) + tuple(kernel_size)
            else:
                weight_shape = (in_channels, channels // groups) + tuple(kernel_size)
            if layout.endswith('C'):  # channels last: (out, *kernel, in), as the data
                weight_shape = weight_shape[:1] + weight_shape[2:] + weight_shape[1:2]
            self.weight = self.params.get('weight', shape=weight_shape,
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            self.act = Activation(activation, prefix=activation + '_') if activation else None

    def _alias(self):
        return 'conv'

    def _inspect(self, x):
        nsp = len(self._kwargs['kernel'])
        if x.ndim != nsp + 2:
            raise self._input_error(x, f'{nsp + 2}-D input ({self._kwargs["layout"]})')

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        if bias is None:
            out = op(x, weight, name='fwd', **self._kwargs)
        else:
            out = op(x, weight, bias, name='fwd', **self._kwargs)
        return self.act(out) if self.act is not None else out

    def __repr__(self):
        # MXNet's format, quirks included: settings left at their defaults are not
        # shown, a transposed convolution's output_padding never is, and the input
        # channels are read from weight.shape[1] even where a channels-last weight
        # keeps a kernel size there.
        kw = self._kwargs
        nsp = len(kw['kernel'])
        shape = self.weight.shape
        s = (f"{type(self).__name__}({shape[1] or None} -> {shape[0]}, "
             f"kernel_size={kw['kernel']}, stride={kw['stride']}")
        if kw['pad'] != (0,) * nsp:
            s += f", padding={kw['pad']}"
        if kw['dilate'] != (1,) * nsp:
            s += f", dilation={kw['dilate']}"
        if kw['num_group'] != 1:
            s += f", groups={kw['num_group']}"
        if self.bias is None:
            s += ', bias=False'
        if self.act:
            s += f', {self.act}'
        return s + ')'


class Conv1D(_Conv):
    """1-D convolution over data ``(batch, in_channels, width)``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> conv = nn.Conv1D(4, kernel_size=3, padding=1)
    >>> conv.initialize()
    >>> conv(mx.nd.ones((2, 3, 10))).shape
    (2, 4, 10)
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1,
                 layout='NCW', activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, prefix=None, params=None):
        super().__init__(channels, _spatial_tuple(kernel_size, 1, 'kernel_size'), strides,
                         padding, dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, prefix=prefix, params=params)


class Conv2D(_Conv):
    """2-D convolution over images ``(batch, in_channels, height, width)``.

    Each spatial output size is
    ``(size + 2 * padding - dilation * (kernel_size - 1) - 1) // strides + 1``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> conv = nn.Conv2D(16, kernel_size=3, strides=2, padding=1, activation='relu')
    >>> conv.initialize()
    >>> conv(mx.nd.ones((1, 3, 32, 32))).shape, conv.weight.shape
    ((1, 16, 16, 16), (16, 3, 3, 3))
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, layout='NCHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0,
                 prefix=None, params=None):
        super().__init__(channels, _spatial_tuple(kernel_size, 2, 'kernel_size'), strides,
                         padding, dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, prefix=prefix, params=params)


class Conv3D(_Conv):
    """3-D convolution over volumes ``(batch, in_channels, depth, height, width)``."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout='NCDHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0,
                 prefix=None, params=None):
        super().__init__(channels, _spatial_tuple(kernel_size, 3, 'kernel_size'), strides,
                         padding, dilation, groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, prefix=prefix, params=params)


class _ConvTranspose(_Conv):
    """A transposed convolution: the gradient of a convolution with respect to its
    data, which enlarges the spatial size (by ``strides``). ``output_padding`` adds
    to one side of the output, to reach sizes a stride would otherwise skip."""

    def __init__(self, nsp, channels, kernel_size, strides, padding, output_padding,
                 dilation, groups, layout, activation, use_bias, weight_initializer,
                 bias_initializer, in_channels, prefix, params):
        kernel_size = _spatial_tuple(kernel_size, nsp, 'kernel_size')
        output_padding = _spatial_tuple(output_padding, nsp, 'output_padding')
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, op_name='Deconvolution', adj=output_padding,
                         prefix=prefix, params=params)
        self.outpad = output_padding


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution; output width
    ``(width - 1) * strides - 2 * padding + dilation * (kernel_size - 1) + 1 + output_padding``.
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0,
                 dilation=1, groups=1, layout='NCW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0,
                 prefix=None, params=None):
        super().__init__(1, channels, kernel_size, strides, padding, output_padding, dilation,
                         groups, layout, activation, use_bias, weight_initializer,
                         bias_initializer, in_channels, prefix, params)


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution, used to upsample feature maps.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> up = nn.Conv2DTranspose(3, kernel_size=4, strides=2, padding=1)
    >>> up.initialize()
    >>> up(mx.nd.ones((1, 8, 5, 5))).shape
    (1, 3, 10, 10)
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0),
                 output_padding=(0, 0), dilation=(1, 1), groups=1, layout='NCHW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, prefix=None, params=None):
        super().__init__(2, channels, kernel_size, strides, padding, output_padding, dilation,
                         groups, layout, activation, use_bias, weight_initializer,
                         bias_initializer, in_channels, prefix, params)


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0),
                 output_padding=(0, 0, 0), dilation=(1, 1, 1), groups=1, layout='NCDHW',
                 activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, prefix=None, params=None):
        super().__init__(3, channels, kernel_size, strides, padding, output_padding, dilation,
                         groups, layout, activation, use_bias, weight_initializer,
                         bias_initializer, in_channels, prefix, params)


# ---------------------------------------------------------------------- pooling
class _Pooling(_Layer):
    """What every pooling layer shares: the call to the ``Pooling`` operator and
    the printed form. ``strides`` defaults to the window size (windows that do not
    overlap); ``ceil_mode`` keeps a last, partial window."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type,
                 layout, count_include_pad=None, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        nsp = len(pool_size)
        _check_pool_layout(layout, nsp)
        if strides is None:
            strides = pool_size
        self._kwargs = {'kernel': pool_size, 'stride': _per_axis(strides, nsp),
                        'pad': _per_axis(padding, nsp), 'global_pool': global_pool,
                        'pool_type': pool_type, 'layout': layout,
                        'pooling_convention': 'full' if ceil_mode else 'valid'}
        if count_include_pad is not None:
            self._kwargs['count_include_pad'] = count_include_pad

    def _alias(self):
        return 'pool'

    def _inspect(self, x):
        nsp = len(self._kwargs['kernel'])
        if x.ndim != nsp + 2:
            raise self._input_error(x, f'{nsp + 2}-D input ({self._kwargs["layout"]})')

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return (f"{type(self).__name__}(size={kw['kernel']}, stride={kw['stride']}, "
                f"padding={kw['pad']}, ceil_mode={kw['pooling_convention'] == 'full'}, "
                f"global_pool={kw['global_pool']}, pool_type={kw['pool_type']}, "
                f"layout={kw['layout']})")


class MaxPool1D(_Pooling):
    """The maximum of every window of ``pool_size`` positions, per channel."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False,
                 prefix=None, params=None):
        super().__init__(_spatial_tuple(pool_size, 1, 'pool_size'), strides, padding,
                         ceil_mode, False, 'max', layout, prefix=prefix, params=params)


class MaxPool2D(_Pooling):
    """The maximum of every ``pool_size`` window, per channel.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.MaxPool2D()(mx.nd.arange(16).reshape((1, 1, 4, 4)))
    <BLANKLINE>
    [[[[ 5.  7.]
       [13. 15.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout='NCHW',
                 ceil_mode=False, prefix=None, params=None):
        super().__init__(_spatial_tuple(pool_size, 2, 'pool_size'), strides, padding,
                         ceil_mode, False, 'max', layout, prefix=prefix, params=params)


class MaxPool3D(_Pooling):
    """The maximum of every ``pool_size`` window of a volume, per channel."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCDHW', prefix=None, params=None):
        super().__init__(_spatial_tuple(pool_size, 3, 'pool_size'), strides, padding,
                         ceil_mode, False, 'max', layout, prefix=prefix, params=params)


class AvgPool1D(_Pooling):
    """The mean of every window; ``count_include_pad=False`` leaves padding out of
    the count."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False,
                 count_include_pad=True, prefix=None, params=None):
        super().__init__(_spatial_tuple(pool_size, 1, 'pool_size'), strides, padding,
                         ceil_mode, False, 'avg', layout, count_include_pad, prefix=prefix,
                         params=params)


class AvgPool2D(_Pooling):
    """The mean of every ``pool_size`` window, per channel; ``count_include_pad``
    says whether padded positions count in the divisor."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCHW', count_include_pad=True, prefix=None, params=None):
        super().__init__(_spatial_tuple(pool_size, 2, 'pool_size'), strides, padding,
                         ceil_mode, False, 'avg', layout, count_include_pad, prefix=prefix,
                         params=params)


class AvgPool3D(_Pooling):
    """The mean of every ``pool_size`` window of a volume, per channel."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False,
                 layout='NCDHW', count_include_pad=True, prefix=None, params=None):
        super().__init__(_spatial_tuple(pool_size, 3, 'pool_size'), strides, padding,
                         ceil_mode, False, 'avg', layout, count_include_pad, prefix=prefix,
                         params=params)


class GlobalMaxPool1D(_Pooling):
    """The maximum of each channel over all positions: ``(N, C, W)`` -> ``(N, C, 1)``."""

    def __init__(self, layout='NCW', prefix=None, params=None):
        super().__init__((1,), None, 0, True, True, 'max', layout, prefix=prefix,
                         params=params)


class GlobalMaxPool2D(_Pooling):
    """The maximum of each channel over the whole image: ``(N, C, H, W)`` ->
    ``(N, C, 1, 1)``."""

    def __init__(self, layout='NCHW', prefix=None, params=None):
        super().__init__((1, 1), None, 0, True, True, 'max', layout, prefix=prefix,
                         params=params)


class GlobalMaxPool3D(_Pooling):
    """The maximum of each channel over the whole volume."""

    def __init__(self, layout='NCDHW', prefix=None, params=None):
        super().__init__((1, 1, 1), None, 0, True, True, 'max', layout, prefix=prefix,
                         params=params)


class GlobalAvgPool1D(_Pooling):
    """The mean of each channel over all positions: ``(N, C, W)`` -> ``(N, C, 1)``."""

    def __init__(self, layout='NCW', prefix=None, params=None):
        super().__init__((1,), None, 0, True, True, 'avg', layout, prefix=prefix,
                         params=params)


class GlobalAvgPool2D(_Pooling):
    """The mean of each channel over the whole image, as at the end of NiN and
    ResNet: ``(N, C, H, W)`` -> ``(N, C, 1, 1)``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.GlobalAvgPool2D()(mx.nd.ones((2, 3, 5, 5))).shape
    (2, 3, 1, 1)
    """

    def __init__(self, layout='NCHW', prefix=None, params=None):
        super().__init__((1, 1), None, 0, True, True, 'avg', layout, prefix=prefix,
                         params=params)


class GlobalAvgPool3D(_Pooling):
    """The mean of each channel over the whole volume."""

    def __init__(self, layout='NCDHW', prefix=None, params=None):
        super().__init__((1, 1, 1), None, 0, True, True, 'avg', layout, prefix=prefix,
                         params=params)


# ---------------------------------------------------------------------- padding
class ReflectionPad2D(HybridBlock):
    """Pad the two spatial axes of ``(batch, channels, height, width)`` data by
    mirroring it around its borders (the border itself is not repeated).
    ``padding`` is a number (the same on all four sides) or MXNet's 8-tuple of
    ``pad_width`` (two per axis, the first four zero).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.ReflectionPad2D(1)(mx.nd.array([[[[1, 2], [3, 4]]]]))
    <BLANKLINE>
    [[[[4. 3. 4. 3.]
       [2. 1. 2. 1.]
       [4. 3. 4. 3.]
       [2. 1. 2. 1.]]]]
    <NDArray 1x1x4x4 @cpu(0)>
    """

    def __init__(self, padding=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        if isinstance(padding, numeric_types):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        assert len(padding) == 8
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)


__all__ = ['ReflectionPad2D', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose',
           'Conv3DTranspose', 'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D',
           'AvgPool3D', 'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D',
           'GlobalAvgPool1D', 'GlobalAvgPool2D', 'GlobalAvgPool3D']
