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

__all__ = ['MobileNet', 'MobileNetV2', 'mobilenet1_0', 'mobilenet_v2_1_0', 'mobilenet0_75',
           'mobilenet_v2_0_75', 'mobilenet0_5', 'mobilenet_v2_0_5', 'mobilenet0_25',
           'mobilenet_v2_0_25', 'get_mobilenet', 'get_mobilenet_v2']


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
        self.use_shortcut = stride == 1 and in_channels == channels
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
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                add_conv_bn(self.features, width(32), 3, 2, 1)
                for channels_in, channels_out, stride in _SEPARABLE_LAYERS:
                    depthwise = width(channels_in)
                    add_conv_bn(self.features, depthwise, 3, stride, 1, groups=depthwise)
                    add_conv_bn(self.features, width(channels_out), 1)
                self.features.add(nn.GlobalAvgPool2D())
                self.features.add(nn.Flatten())
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
            self.features = nn.HybridSequential(prefix='features_')
            with self.features.name_scope():
                add_conv_bn(self.features, width(32), 3, 2, 1, activation=RELU6)
                in_channels = width(32)
                for t, channels, num_blocks, stride in _BOTTLENECK_STAGES:
                    for i in range(num_blocks):
                        self.features.add(LinearBottleneck(
                            in_channels=in_channels, channels=width(channels), t=t,
                            stride=stride if i == 0 else 1))
                        in_channels = width(channels)
                last_channels = width(1280) if multiplier > 1.0 else 1280
                add_conv_bn(self.features, last_channels, 1, activation=RELU6)
                self.features.add(nn.GlobalAvgPool2D())

            self.output = nn.HybridSequential(prefix='output_')
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix='pred_'),
                                nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _store_suffix(multiplier):
    # the store writes the multiplier with two decimals, but 1.0 and 0.5 with one
    suffix = f'{multiplier:.2f}'
    return suffix[:-1] if suffix in ('1.00', '0.50') else suffix


def get_mobilenet(multiplier, pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """A :class:`MobileNet` of width ``multiplier``; ``kwargs`` go to its
    constructor. ``pretrained=True`` loads MXNet's ImageNet weights onto ``ctx``
    (for 0.25, 0.5, 0.75 and 1.0), fetched into ``root`` first when they are missing.

    >>> get_mobilenet(0.5).features[0].weight.shape
    (16, 0, 3, 3)
    """
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, 'mobilenet' + _store_suffix(multiplier), ctx, root)
    return net


def get_mobilenet_v2(multiplier, pretrained=False, ctx=cpu(), root=_MODEL_ROOT,
                     **kwargs):
    """A :class:`MobileNetV2` of width ``multiplier``, as :func:`get_mobilenet`.

    >>> get_mobilenet_v2(0.5).features[0].weight.shape
    (16, 0, 3, 3)
    """
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, 'mobilenetv2_' + _store_suffix(multiplier), ctx, root)
    return net


# The examples read the number of channels of the first convolution, the widths
# scaled by the multiplier.
def mobilenet1_0(**kwargs):
    """MobileNet at full width (see :func:`get_mobilenet`).

    >>> mobilenet1_0().features[0].weight.shape
    (32, 0, 3, 3)
    """
    return get_mobilenet(1.0, **kwargs)


def mobilenet_v2_1_0(**kwargs):
    """MobileNetV2 at full width (see :func:`get_mobilenet_v2`).

    >>> mobilenet_v2_1_0().features[0].weight.shape
    (32, 0, 3, 3)
    """
    return get_mobilenet_v2(1.0, **kwargs)


def mobilenet0_75(**kwargs):
    """MobileNet at three quarters of the width (see :func:`get_mobilenet`).

    >>> mobilenet0_75().features[0].weight.shape
    (24, 0, 3, 3)
    """
    return get_mobilenet(0.75, **kwargs)


def mobilenet_v2_0_75(**kwargs):
    """MobileNetV2 at three quarters of the width (see :func:`get_mobilenet_v2`).

    >>> mobilenet_v2_0_75().features[0].weight.shape
    (24, 0, 3, 3)
    """
    return get_mobilenet_v2(0.75, **kwargs)


def mobilenet0_5(**kwargs):
    """MobileNet at half the width (see :func:`get_mobilenet`).

    >>> mobilenet0_5().features[0].weight.shape
    (16, 0, 3, 3)
    """
    return get_mobilenet(0.5, **kwargs)


def mobilenet_v2_0_5(**kwargs):
    """MobileNetV2 at half the width (see :func:`get_mobilenet_v2`).

    >>> mobilenet_v2_0_5().features[0].weight.shape
    (16, 0, 3, 3)
    """
    return get_mobilenet_v2(0.5, **kwargs)


def mobilenet0_25(**kwargs):
    """MobileNet at a quarter of the width, the smallest (see :func:`get_mobilenet`).

    >>> import d2lmini as mx
    >>> net = mobilenet0_25(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_mobilenet(0.25, **kwargs)


def mobilenet_v2_0_25(**kwargs):
    """MobileNetV2 at a quarter of the width (see :func:`get_mobilenet_v2`).

    >>> import d2lmini as mx
    >>> net = mobilenet_v2_0_25(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_mobilenet_v2(0.25, **kwargs)
