"""MobileNet and MobileNetV2: networks for phones, built from depthwise separable
convolutions, a 3x3 convolution of each channel on its own followed by a 1x1
convolution that mixes the channels (Howard et al., "MobileNets: Efficient
Convolutional Neural Networks for Mobile Vision Applications",
https://arxiv.org/abs/1704.04861). V2 widens the channels before the depthwise
convolution and narrows them after it without a nonlinearity, with a shortcut
between the narrow ends (Sandler et al., "Inverted Residuals and Linear Bottlenecks:
Mobile Networks for Classification, Detection and Segmentation",
https://arxiv.org/abs/1801.04381).

The ``multiplier`` scales every width: 0.25, 0.5, 0.75 and 1.0 have pretrained
weights.
"""
from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import add_conv_bn, load_pretrained

_WIDTHS = ('1_0', '0_75', '0_5', '0_25')   # the multipliers with pretrained weights
__all__ = (['MobileNet', 'MobileNetV2', 'get_mobilenet', 'get_mobilenet_v2']
           + [f'mobilenet{w}' for w in _WIDTHS] + [f'mobilenet_v2_{w}' for w in _WIDTHS])


class RELU6(HybridBlock):
    """ReLU capped at 6, ``min(max(x, 0), 6)``: MobileNetV2's nonlinearity, whose
    bounded range suits low-precision arithmetic.

    >>> import d2lmini as mx
    >>> RELU6()(mx.nd.array([-1, 3, 8]))
    <BLANKLINE>
    [0. 3. 6.]
    <NDArray 3 @cpu(0)>
    """

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name='relu6')


class LinearBottleneck(HybridBlock):
    """MobileNetV2's block: a 1x1 convolution widening ``in_channels`` ``t`` times,
    a depthwise 3x3 convolution with the ``stride``, and a 1x1 convolution down to
    ``channels`` with no nonlinearity after it (the "linear bottleneck"). When the
    shape does not change, the input is added to the output.

    >>> import d2lmini as mx
    >>> block = LinearBottleneck(in_channels=8, channels=8, t=6, stride=1)
    >>> block.initialize()
    >>> block(mx.nd.ones((1, 8, 4, 4))).shape
    (1, 8, 4, 4)
    """

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super().__init__(**kwargs)
        # the input can only be added when the block keeps its shape
        self.use_shortcut = in_channels == channels and stride == 1
        wide = in_channels * t
        with self.name_scope():
            self.out = nn.HybridSequential()
            add_conv_bn(self.out, wide, 1, activation=RELU6)
            add_conv_bn(self.out, wide, 3, stride, 1, groups=wide, activation=RELU6)
            add_conv_bn(self.out, channels, 1, activation=None)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


# MobileNet's depthwise separable layers: (channels in, channels out, stride)
_SEPARABLE_LAYERS = ([(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2),
                      (256, 256, 1), (256, 512, 2)] + [(512, 512, 1)] * 5
                     + [(512, 1024, 2), (1024, 1024, 1)])

# MobileNetV2's stages, as in the paper's table: (expansion t, channels out,
# number of blocks, stride of the first block)
_BOTTLENECK_STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                      (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def _bottlenecks(width):
    # the arguments of MobileNetV2's blocks, one stage after the other: the first
    # block of a stage strides and changes the channels, the others keep the shape
    in_channels = width(32)
    for t, channels, num_blocks, stride in _BOTTLENECK_STAGES:
        for i in range(num_blocks):
            yield dict(in_channels=in_channels, channels=width(channels), t=t,
                       stride=1 if i else stride)
            in_channels = width(channels)


class MobileNet(HybridBlock):
    """MobileNet: a strided 3x3 convolution, thirteen depthwise separable layers
    (five of them halve the image), global average pooling and the dense
    ``output`` layer; every convolution is followed by batch normalisation and ReLU.
    ``multiplier`` scales the channels (at least 0.25).

    >>> import d2lmini as mx
    >>> net = MobileNet(multiplier=0.25, classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 32, 32))).shape
    (2, 10)
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        width = lambda channels: int(channels * multiplier)
        with self.name_scope():
            # a chain without a prefix but with a scope of its own: its layers are
            # named mobilenet0_conv0_, ... as in MXNet's files
            chain = self.features = nn.HybridSequential(prefix='')
            with chain.name_scope():
                add_conv_bn(chain, width(32), 3, 2, 1)
                for channels_in, channels_out, stride in _SEPARABLE_LAYERS:
                    depthwise = width(channels_in)   # one 3x3 filter per channel
                    add_conv_bn(chain, depthwise, 3, stride, 1, groups=depthwise)
                    add_conv_bn(chain, width(channels_out), 1)
                chain.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNetV2: a strided 3x3 convolution, seventeen
    :class:`LinearBottleneck` blocks, a 1x1 convolution to 1,280 channels, global
    average pooling, and an ``output`` that is a 1x1 convolution with one channel
    per class. ``multiplier`` scales the channels (the last 1x1 convolution only
    grows with it, above 1).

    >>> import d2lmini as mx
    >>> net = MobileNetV2(multiplier=0.25, classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 32, 32))).shape
    (2, 10)
    """

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        width = lambda channels: int(channels * multiplier)
        with self.name_scope():
            chain = self.features = nn.HybridSequential(prefix='features_')
            with chain.name_scope():
                add_conv_bn(chain, width(32), 3, 2, 1, activation=RELU6)
                chain.add(*[LinearBottleneck(**args) for args in _bottlenecks(width)])
                # the last convolution widens with the multiplier but never narrows
                add_conv_bn(chain, max(width(1280), 1280), 1, activation=RELU6)
                chain.add(nn.GlobalAvgPool2D())
            head = self.output = nn.HybridSequential(prefix='output_')
            with head.name_scope():
                head.add(nn.Conv2D(classes, 1, use_bias=False, prefix='pred_'), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _width_variant(net_class, store_prefix, multiplier, pretrained, ctx, root, kwargs):
    net = net_class(multiplier, **kwargs)
    if pretrained:
        # the store writes the multiplier with two decimals, but 1.0 and 0.5 with one
        digits = f'{multiplier:.2f}'
        digits = digits[:-1] if digits in ('1.00', '0.50') else digits
        load_pretrained(net, store_prefix + digits, ctx, root)
    return net


def get_mobilenet(multiplier, pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """A :class:`MobileNet` of width ``multiplier``; ``kwargs`` go to its
    constructor. ``pretrained=True`` loads MXNet's ImageNet weights onto ``ctx``
    (for 0.25, 0.5, 0.75 and 1.0), fetched into ``root`` first when they are missing.

    >>> get_mobilenet(0.5).features[0].weight.shape
    (16, 0, 3, 3)
    """
    return _width_variant(MobileNet, 'mobilenet', multiplier, pretrained, ctx, root, kwargs)


def get_mobilenet_v2(multiplier, pretrained=False, ctx=cpu(), root=_MODEL_ROOT,
                     **kwargs):
    """A :class:`MobileNetV2` of width ``multiplier``, as :func:`get_mobilenet`.

    >>> get_mobilenet_v2(0.5).features[0].weight.shape
    (16, 0, 3, 3)
    """
    return _width_variant(MobileNetV2, 'mobilenetv2_', multiplier, pretrained, ctx, root,
                          kwargs)


# The examples read the number of channels of the first convolution, the widths
# scaled by the multiplier.
def mobilenet1_0(**kwargs):
    """MobileNet at full width (see :func:`get_mobilenet`).

    >>> mobilenet1_0().features[0].weight.shape
    (32, 0, 3, 3)
    """
    return get_mobilenet(multiplier=1.0, **kwargs)


def mobilenet_v2_1_0(**kwargs):
    """MobileNetV2 at full width (see :func:`get_mobilenet_v2`).

    >>> mobilenet_v2_1_0().features[0].weight.shape
    (32, 0, 3, 3)
    """
    return get_mobilenet_v2(multiplier=1.0, **kwargs)


def mobilenet0_75(**kwargs):
    """MobileNet at three quarters of the width (see :func:`get_mobilenet`).

    >>> mobilenet0_75().features[0].weight.shape
    (24, 0, 3, 3)
    """
    return get_mobilenet(multiplier=0.75, **kwargs)


def mobilenet_v2_0_75(**kwargs):
    """MobileNetV2 at three quarters of the width (see :func:`get_mobilenet_v2`).

    >>> mobilenet_v2_0_75().features[0].weight.shape
    (24, 0, 3, 3)
    """
    return get_mobilenet_v2(multiplier=0.75, **kwargs)


def mobilenet0_5(**kwargs):
    """MobileNet at half the width (see :func:`get_mobilenet`).

    >>> mobilenet0_5().features[0].weight.shape
    (16, 0, 3, 3)
    """
    return get_mobilenet(multiplier=0.5, **kwargs)


def mobilenet_v2_0_5(**kwargs):
    """MobileNetV2 at half the width (see :func:`get_mobilenet_v2`).

    >>> mobilenet_v2_0_5().features[0].weight.shape
    (16, 0, 3, 3)
    """
    return get_mobilenet_v2(multiplier=0.5, **kwargs)


def mobilenet0_25(**kwargs):
    """MobileNet at a quarter of the width, the smallest (see :func:`get_mobilenet`).

    >>> import d2lmini as mx
    >>> net = mobilenet0_25(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_mobilenet(multiplier=0.25, **kwargs)


def mobilenet_v2_0_25(**kwargs):
    """MobileNetV2 at a quarter of the width (see :func:`get_mobilenet_v2`).

    >>> import d2lmini as mx
    >>> net = mobilenet_v2_0_25(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_mobilenet_v2(multiplier=0.25, **kwargs)
