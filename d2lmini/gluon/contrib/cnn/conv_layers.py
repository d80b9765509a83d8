"""Deformable convolution layers: a convolution whose kernel taps move.

A plain 3x3 convolution reads every output position's nine taps on a fixed grid.
A deformable convolution first runs an ordinary convolution over the same input
(the *offset* convolution, with the same kernel, strides, padding and dilation)
that predicts, for every tap of every output position, a fractional shift
``(dy, dx)``; the deformable operator then reads the input at the shifted points
by bilinear interpolation and applies the layer's own weight there. The offset
convolution starts at zero (``offset_weight_initializer='zeros'``), so a fresh
layer computes exactly the plain convolution and learns to deform from there.

* :class:`DeformableConvolution` (DCN v1) predicts ``2 * kh * kw`` channels per
  deformable group, a ``(dy, dx)`` pair per tap, and runs
  ``_contrib_DeformableConvolution``.
* :class:`ModulatedDeformableConvolution` (DCN v2) predicts ``3 * kh * kw``: the
  ``(dy, dx)`` pairs first, then one factor per tap that scales what the tap read,
  ``2 * sigmoid(m)`` (1 for a fresh layer), and runs
  ``_contrib_ModulatedDeformableConvolution``.

Both take data ``(batch, in_channels, height, width)`` (``layout='NCHW'``, the only
one the operators support) and have four parameters, named as in MXNet 1.x:
``offset_weight`` ``(offset channels, in_channels / groups, kh, kw)``,
``offset_bias``, ``deformable_conv_weight`` ``(channels, in_channels / groups, kh,
kw)`` and ``deformable_conv_bias``. ``in_channels=0`` leaves the input channels to
the first batch.

Where d2lmini differs from MXNet 1.x, it is to fail earlier or know more: a layout
other than ``'NCHW'`` or an ``adj`` argument is refused when the layer is built
(MXNet fails at the first batch), and ``deformable_conv_weight`` gets its full
shape from ``in_channels`` (MXNet leaves it to the first batch).

>>> import d2lmini as mx
>>> from d2lmini.gluon.contrib.cnn import DeformableConvolution
>>> layer = DeformableConvolution(4, kernel_size=(3, 3), padding=(1, 1))
>>> layer
DeformableConvolution(None -> 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
>>> layer.initialize()
>>> layer(mx.nd.ones((2, 3, 8, 8))).shape, layer.offset_weight.shape
((2, 4, 8, 8), (18, 3, 3, 3))
"""
from ....base import MXNetError
from ...nn.activations import Activation
from ...nn.basic_layers import _Layer
from ...nn.conv_layers import _per_axis, _spatial_tuple

__all__ = ['DeformableConvolution', 'ModulatedDeformableConvolution']


class _DeformableConv(_Layer):
    """What both deformable layers share: the arguments, the four parameters and the
    offset convolution. ``values_per_tap`` is how many channels the offset
    convolution predicts per kernel tap and deformable group (2 offsets, plus a mask
    in the modulated form); ``order`` is the order the parameters are declared in
    (MXNet 1.x's, which ``collect_params`` shows)."""

    values_per_tap = 2
    order = ('offset', 'deformable_conv')

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups,
                 num_deformable_group, layout, use_bias, in_channels, activation,
                 weight_initializer, bias_initializer, offset_weight_initializer,
                 offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params):
        super().__init__(prefix=prefix, params=params)
        kernel_size = tuple(_spatial_tuple(kernel_size, 2, 'kernel_size'))
        if layout != 'NCHW':
            raise MXNetError(f"{type(self).__name__}: layout {layout!r} is not supported: "
                             "deformable convolutions take 'NCHW' data only, as in MXNet 1.x")
        if adj is not None:
            raise MXNetError(f'{type(self).__name__}: adj={adj} (the output padding of a '
                             'transposed convolution) does not apply to a deformable '
                             'convolution')
        if in_channels and in_channels % groups:
            raise MXNetError(f'{type(self).__name__}: groups={groups} must divide '
                             f'in_channels={in_channels}')
        self._channels = channels
        self._in_channels = in_channels
        # op_name is kept for MXNet's signature only: as in MXNet 1.x, each layer
        # always runs its own operator, whatever op_name says.
        self._op_name = op_name
        geometry = {'kernel': kernel_size, 'stride': _per_axis(strides, 2),
                    'dilate': _per_axis(dilation, 2), 'pad': _per_axis(padding, 2)}
        taps = kernel_size[0] * kernel_size[1]
        offset_channels = self.values_per_tap * taps * num_deformable_group
        # the split between offsets and masks in the offset convolution's output
        self._num_offsets = 2 * taps * num_deformable_group
        self._offset_kwargs = dict(geometry, num_filter=offset_channels, num_group=groups,
                                   no_bias=not offset_use_bias, layout=layout)
        self._deformable_kwargs = dict(geometry, num_filter=channels, num_group=groups,
                                       num_deformable_group=num_deformable_group,
                                       no_bias=not use_bias, layout=layout)
        # (output channels, use_bias, weight initializer, bias initializer) of each
        # convolution's parameters, declared in the order MXNet 1.x declares them
        specs = {'offset': (offset_channels, offset_use_bias, offset_weight_initializer,
                            offset_bias_initializer),
                 'deformable_conv': (channels, use_bias, weight_initializer,
                                     bias_initializer)}
        with self.name_scope():
            for which in self.order:
                self._declare(which, *specs[which], in_channels // groups, kernel_size)
            self.act = Activation(activation, prefix=activation + '_') if activation else None

    def _declare(self, which, out_channels, use_bias, weight_init, bias_init,
                 in_per_group, kernel_size):
        """Declare ``<which>_weight`` and (with ``use_bias``) ``<which>_bias``.

        (MXNet 1.x leaves ``deformable_conv_weight``'s input channels unknown even
        when ``in_channels`` is given; d2lmini gives it its full shape.)"""
        weight = self.params.get(f'{which}_weight',
                                 shape=(out_channels, in_per_group) + kernel_size,
                                 init=weight_init, allow_deferred_init=True)
        bias = None
        if use_bias:
            bias = self.params.get(f'{which}_bias', shape=(out_channels,), init=bias_init,
                                   allow_deferred_init=True)
        setattr(self, f'{which}_weight', weight)
        setattr(self, f'{which}_bias', bias)

    def _alias(self):
        return 'deformable_conv'

    def _inspect(self, x):
        if x.ndim != 4:
            raise self._input_error(x, '4-D input (NCHW)')

    def _offsets(self, F, x, offset_weight, offset_bias):
        """The offset convolution: what the deformable operator reads where."""
        if offset_bias is None:
            return F.Convolution(x, offset_weight, **self._offset_kwargs)
        return F.Convolution(x, offset_weight, offset_bias, **self._offset_kwargs)

    def _finish(self, out):
        return self.act(out) if self.act is not None else out


class DeformableConvolution(_DeformableConv):
    """2-D deformable convolution (DCN v1, Dai et al. 2017, arXiv:1703.06211).

    An offset convolution predicts a ``(dy, dx)`` shift for every kernel tap of
    every output position (``2 * kh * kw * num_deformable_group`` channels; the
    input channels are split into ``num_deformable_group`` groups that share
    shifts), and ``_contrib_DeformableConvolution`` reads the input there. Output
    sizes are a plain convolution's.

    Parameters (``prefix`` ``deformable_conv<N>_``): ``offset_weight``,
    ``offset_bias`` (unless ``offset_use_bias=False``), ``deformable_conv_weight``,
    ``deformable_conv_bias`` (unless ``use_bias=False``). ``op_name`` is accepted
    and, as in MXNet 1.x, not used.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon.contrib.cnn import DeformableConvolution
    >>> layer = DeformableConvolution(2, kernel_size=(3, 3), in_channels=1,
    ...                               weight_initializer='ones')
    >>> layer.initialize()
    >>> layer(mx.nd.ones((1, 1, 3, 3))).asnumpy().ravel().tolist()   # no shift yet
    [9.0, 9.0]
    >>> [name[len(layer.prefix):] for name in layer.collect_params()]
    ['offset_weight', 'offset_bias', 'deformable_conv_weight', 'deformable_conv_bias']
    """

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, num_deformable_group=1, layout='NCHW',
                 use_bias=True, in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True,
                 op_name='DeformableConvolution', adj=None, prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         num_deformable_group, layout, use_bias, in_channels, activation,
                         weight_initializer, bias_initializer, offset_weight_initializer,
                         offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        offset = self._offsets(F, x, offset_weight, offset_bias)
        inputs = [x, offset, deformable_conv_weight]
        if deformable_conv_bias is not None:
            inputs.append(deformable_conv_bias)
        out = F.contrib.DeformableConvolution(*inputs, name='fwd', **self._deformable_kwargs)
        return self._finish(out)

    def __repr__(self):
        # MXNet's Conv2D format: settings left at their defaults are not shown (nor
        # num_deformable_group or the offset convolution's bias), and the input
        # channels are read from the weight, so with groups they count one group.
        kw = self._deformable_kwargs
        shape = self.deformable_conv_weight.shape
        text = (f'{type(self).__name__}({shape[1] or None} -> {shape[0]}, '
                f"kernel_size={kw['kernel']}, stride={kw['stride']}")
        if kw['pad'] != (0, 0):
            text += f", padding={kw['pad']}"
        if kw['dilate'] != (1, 1):
            text += f", dilation={kw['dilate']}"
        if kw['num_group'] != 1:
            text += f", groups={kw['num_group']}"
        if self.deformable_conv_bias is None:
            text += ', bias=False'
        if self.act is not None:
            text += f', {self.act}'
        return text + ')'


class ModulatedDeformableConvolution(_DeformableConv):
    """2-D modulated deformable convolution (DCN v2, Zhu et al. 2018,
    arXiv:1811.11168).

    The offset convolution predicts ``3 * kh * kw * num_deformable_group``
    channels: first the ``(dy, dx)`` shifts of every tap, as in
    :class:`DeformableConvolution`, then one value ``m`` per tap; what the tap reads
    is scaled by ``2 * sigmoid(m)``, so a fresh layer (``m = 0``) scales by 1 and
    computes the plain convolution. The operator is
    ``_contrib_ModulatedDeformableConvolution``, which pads the image with zeros
    where DCN v1 stops reading at its border.

    Parameters (``prefix`` ``modulated_deformable_conv<N>_``, declared in MXNet's
    order):
    ``deformable_conv_weight``, ``deformable_conv_bias``, ``offset_weight``,
    ``offset_bias``. As in MXNet 1.x the layer prints as a plain block, showing only
    its activation.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon.contrib.cnn import ModulatedDeformableConvolution
    >>> layer = ModulatedDeformableConvolution(4, kernel_size=(3, 3), padding=(1, 1))
    >>> layer.initialize()
    >>> layer(mx.nd.ones((2, 3, 8, 8))).shape, layer.offset_weight.shape
    ((2, 4, 8, 8), (27, 3, 3, 3))
    """

    values_per_tap = 3
    order = ('deformable_conv', 'offset')

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0),
                 dilation=(1, 1), groups=1, num_deformable_group=1, layout='NCHW',
                 use_bias=True, in_channels=0, activation=None, weight_initializer=None,
                 bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True,
                 op_name='ModulatedDeformableConvolution', adj=None, prefix=None,
                 params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups,
                         num_deformable_group, layout, use_bias, in_channels, activation,
                         weight_initializer, bias_initializer, offset_weight_initializer,
                         offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    def _alias(self):
        return 'modulated_deformable_conv'

    def hybrid_forward(self, F, x, deformable_conv_weight, offset_weight,
                       deformable_conv_bias=None, offset_bias=None):
        predicted = self._offsets(F, x, offset_weight, offset_bias)
        split = self._num_offsets
        offset = F.slice_axis(predicted, axis=1, begin=0, end=split)
        mask = F.sigmoid(F.slice_axis(predicted, axis=1, begin=split, end=None)) * 2
        inputs = [x, offset, mask, deformable_conv_weight]
        if deformable_conv_bias is not None:
            inputs.append(deformable_conv_bias)
        out = F.contrib.ModulatedDeformableConvolution(*inputs, name='fwd',
                                                       **self._deformable_kwargs)
        return self._finish(out)
