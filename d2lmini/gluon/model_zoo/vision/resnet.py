"""Residual networks: V1 adds the shortcut after the last batch normalisation (He et
al., "Deep Residual Learning for Image Recognition", https://arxiv.org/abs/1512.03385),
V2 normalises and rectifies *before* each convolution, so that the shortcuts carry
the signal untouched from block to block (He et al., "Identity Mappings in Deep
Residual Networks", https://arxiv.org/abs/1603.05027).

A block is "basic" (two 3x3 convolutions, for 18 and 34 layers) or a "bottleneck"
(a 1x1 convolution down to a quarter of the channels, a 3x3 one, a 1x1 one back up,
for 50 layers and more). The blocks never open a name scope of their own: the stage
that holds them names their layers, so that all the blocks of a stage count their
layers together (``resnetv10_stage1_conv0_``, ``..._conv1_``, ...), as MXNet's
pretrained files expect.
"""
from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import add_conv_bn, add_imagenet_stem, load_pretrained

_DEPTHS = (18, 34, 50, 101, 152)
__all__ = ['ResNetV1', 'ResNetV2', 'BasicBlockV1', 'BasicBlockV2', 'BottleneckV1',
           'BottleneckV2', 'get_resnet'] + [f'resnet{depth}_v{version}'
                                            for version in (1, 2) for depth in _DEPTHS]


def _conv3x3(channels, stride, in_channels):
    # padding 1: only the stride changes the size; no bias, as a batch
    # normalisation comes right before or after it
    return nn.Conv2D(channels, 3, stride, 1, use_bias=False, in_channels=in_channels)


# ------------------------------------------------------------------ V1 blocks
class _ResidualV1(HybridBlock):
    """What both V1 blocks share: ``relu(body(x) + shortcut(x))``, where the shortcut
    is the identity, or a strided 1x1 convolution with batch normalisation
    (``downsample``) when the block changes the shape."""

    # MXNet's basic block adds shortcut + body, its bottleneck body + shortcut: the
    # same sum, but the order of the inputs is kept, so exported graphs are MXNet's
    _shortcut_first = True

    def _add_downsample(self, downsample, channels, stride, in_channels):
        self.downsample = None
        if downsample:
            self.downsample = nn.HybridSequential(prefix='')
            add_conv_bn(self.downsample, channels, 1, stride, in_channels=in_channels,
                        activation=None)

    def hybrid_forward(self, F, x):
        out = self.body(x)
        shortcut = x if self.downsample is None else self.downsample(x)
        total = shortcut + out if self._shortcut_first else out + shortcut
        return F.Activation(total, act_type='relu')


class BasicBlockV1(_ResidualV1):
    """Two 3x3 convolutions with batch normalisation, the first with the stride, and
    a shortcut around them (ResNet-18 and -34).

    ``channels``: output channels; ``stride``: 2 halves the image; ``downsample``:
    give the shortcut a 1x1 convolution, needed when the shape changes;
    ``in_channels``: input channels, 0 to infer them on the first call.

    >>> import d2lmini as mx
    >>> block = BasicBlockV1(16, stride=2, downsample=True, in_channels=8)
    >>> block.initialize()
    >>> block(mx.nd.ones((1, 8, 10, 10))).shape
    (1, 16, 5, 5)
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        add_conv_bn(self.body, channels, 3, stride, 1, in_channels=in_channels)
        add_conv_bn(self.body, channels, 3, 1, 1, in_channels=channels, activation=None)
        self._add_downsample(downsample, channels, stride, in_channels)


class BottleneckV1(_ResidualV1):
    """A 1x1 convolution (with the stride) down to ``channels // 4``, a 3x3 one, and a
    1x1 one up to ``channels``, each batch-normalised, with a shortcut around them
    (ResNet-50 and deeper). The arguments are :class:`BasicBlockV1`'s.

    >>> import d2lmini as mx
    >>> block = BottleneckV1(32, stride=1, downsample=True, in_channels=8)
    >>> block.initialize()
    >>> block(mx.nd.ones((1, 8, 6, 6))).shape
    (1, 32, 6, 6)
    """

    _shortcut_first = False

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        narrow = channels // 4
        self.body = nn.HybridSequential(prefix='')
        # the two 1x1 convolutions keep a bias (redundant before batch normalisation):
        # MXNet's pretrained weights include it
        add_conv_bn(self.body, narrow, 1, stride, use_bias=True)
        add_conv_bn(self.body, narrow, 3, 1, 1, in_channels=narrow)
        add_conv_bn(self.body, channels, 1, 1, use_bias=True, activation=None)
        self._add_downsample(downsample, channels, stride, in_channels)


# ------------------------------------------------------------------ V2 blocks
class _ResidualV2(HybridBlock):
    """What both V2 blocks share: units ``bn1 -> relu -> conv1``, ``bn2 -> relu ->
    conv2``, ... in a row, plus the input. When the shape changes, the shortcut is a
    strided 1x1 convolution (``downsample``) of the normalised, rectified input."""

    def _set_units(self, *convs):
        # unit i (from 1) is the pair of children bn{i}, conv{i}, registered in that order
        self._num_units = len(convs)
        for i, conv in enumerate(convs, start=1):
            setattr(self, f'bn{i}', nn.BatchNorm())
            setattr(self, f'conv{i}', conv)

    def _add_downsample(self, downsample, channels, stride, in_channels):
        self.downsample = None
        if downsample:
            self.downsample = nn.Conv2D(channels, kernel_size=1, strides=stride,
                                        use_bias=False, in_channels=in_channels)

    def hybrid_forward(self, F, x):
        shortcut = x
        for i in range(1, self._num_units + 1):
            x = F.Activation(getattr(self, f'bn{i}')(x), act_type='relu')
            if i == 1 and self.downsample is not None:
                shortcut = self.downsample(x)
            x = getattr(self, f'conv{i}')(x)
        return x + shortcut


class BasicBlockV2(_ResidualV2):
    """Two pre-activation 3x3 units (the first with the stride) and a shortcut
    (ResNet-18 and -34 V2). The arguments are :class:`BasicBlockV1`'s.

    >>> import d2lmini as mx
    >>> block = BasicBlockV2(8, stride=1)
    >>> block.initialize()
    >>> block(mx.nd.ones((1, 8, 5, 5))).shape
    (1, 8, 5, 5)
    """

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._set_units(_conv3x3(channels, stride, in_channels),
                        _conv3x3(channels, 1, channels))
        self._add_downsample(downsample, channels, stride, in_channels)


class BottleneckV2(_ResidualV2):
    """Three pre-activation units, 1x1 down to ``channels // 4``, 3x3 with the
    stride, 1x1 up to ``channels``, and a shortcut (ResNet-50 and deeper V2). The
    arguments are :class:`BasicBlockV1`'s.

    >>> import d2lmini as mx
    >>> block = BottleneckV2(16, stride=2, downsample=True, in_channels=4)
    >>> block.initialize()
    >>> block(mx.nd.ones((1, 4, 6, 6))).shape
    (1, 16, 3, 3)
    """

    _shortcut_first = False

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        narrow = channels // 4
        self._set_units(nn.Conv2D(narrow, 1, use_bias=False),
                        _conv3x3(narrow, stride, narrow),
                        nn.Conv2D(channels, 1, use_bias=False))
        self._add_downsample(downsample, channels, stride, in_channels)


# ------------------------------------------------------------------ networks
class _ResNet(HybridBlock):
    """What both versions share: ``output(features(x))``, where ``features`` is a
    stem, the stages of blocks and global average pooling. A version says what
    comes before the stem and after the stages."""

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) + 1 == len(channels), \
            'channels lists the stem\'s width, then one per stage of layers'
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(*self._before_stem())
            if thumbnail:   # small images: one 3x3 convolution that keeps the size
                self.features.add(_conv3x3(channels[0], 1, 0))
            else:
                add_imagenet_stem(self.features, channels[0])
            for i, num_blocks in enumerate(layers):
                # every stage after the first starts by halving the size
                self.features.add(self._make_layer(block, num_blocks, channels[i + 1],
                                                   2 if i else 1, i + 1,
                                                   in_channels=channels[i]))
            self.features.add(*self._after_stages())
            self.output = nn.Dense(classes, in_units=channels[-1])

    def _make_layer(self, block, layers, channels, stride, stage_index, in_channels=0):
        # one stage, with its own name scope: stage1_, stage2_, ...; only its first
        # block strides and, when the channels change, projects its shortcut
        stage = nn.HybridSequential(prefix=f'stage{stage_index}_')
        with stage.name_scope():
            stage.add(block(channels, stride, channels != in_channels,
                            in_channels=in_channels, prefix=''))
            for _ in range(layers - 1):
                stage.add(block(channels, 1, False, in_channels=channels, prefix=''))
        return stage

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class ResNetV1(_ResNet):
    """ResNet V1: a stem, stages of ``block`` (:class:`BasicBlockV1` or
    :class:`BottleneckV1`), global average pooling and the dense ``output`` layer.

    ``layers[i]`` is the number of blocks of stage ``i``; ``channels[0]`` the stem's
    channels and ``channels[i + 1]`` stage ``i``'s, so ``channels`` is one longer
    than ``layers``. ``thumbnail=True`` replaces the stem (7x7 convolution with
    stride 2, max-pooling) by one 3x3 convolution, for images of 32 pixels or so.

    >>> import d2lmini as mx
    >>> net = ResNetV1(BasicBlockV1, [1, 1], [8, 8, 16], classes=10, thumbnail=True)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 16, 16))).shape
    (2, 10)
    """

    def _before_stem(self):
        return []

    def _after_stages(self):
        return [nn.GlobalAvgPool2D()]


class ResNetV2(_ResNet):
    """ResNet V2: as :class:`ResNetV1` (same arguments), with ``block`` one of
    :class:`BasicBlockV2` and :class:`BottleneckV2`. The input is first normalised
    by a batch normalisation without scale and shift, and since the blocks end in a
    convolution, a last batch normalisation and ReLU come before the pooling.

    >>> import d2lmini as mx
    >>> net = ResNetV2(BottleneckV2, [1, 1], [8, 16, 32], classes=10, thumbnail=True)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 16, 16))).shape
    (2, 10)
    """

    def _before_stem(self):
        return [nn.BatchNorm(scale=False, center=False)]

    def _after_stages(self):
        return [nn.BatchNorm(), nn.Activation('relu'), nn.GlobalAvgPool2D(), nn.Flatten()]


# depth -> (kind of block, blocks per stage, channels of the stem and of each stage):
# 18 and 34 layers stack basic blocks, deeper networks bottlenecks, whose stages
# output four times the channels of their 3x3 convolutions
_BLOCKS_PER_STAGE = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3],
                     101: [3, 4, 23, 3], 152: [3, 8, 36, 3]}
resnet_spec = {depth: ('basic_block', blocks, [64, 64, 128, 256, 512]) if depth < 50
               else ('bottle_neck', blocks, [64, 256, 512, 1024, 2048])
               for depth, blocks in _BLOCKS_PER_STAGE.items()}

# both indexed by version - 1
resnet_net_versions = [ResNetV1, ResNetV2]
resnet_block_versions = [dict(basic_block=BasicBlockV1, bottle_neck=BottleneckV1),
                         dict(basic_block=BasicBlockV2, bottle_neck=BottleneckV2)]


def get_resnet(version, num_layers, pretrained=False, ctx=cpu(), root=_MODEL_ROOT,
               **kwargs):
    """ResNet ``version`` 1 or 2 with ``num_layers`` (18, 34, 50, 101 or 152) layers
    that have weights; ``kwargs`` go to :class:`ResNetV1` or :class:`ResNetV2`.

    ``pretrained=True`` loads MXNet's ImageNet weights onto ``ctx``, fetched into
    ``root`` first when they are missing.

    >>> type(get_resnet(2, 50, classes=10)).__name__
    'ResNetV2'
    """
    assert num_layers in resnet_spec, (
        f'Invalid number of layers: {num_layers}. Options are {list(resnet_spec)}')
    assert version in (1, 2), f'Invalid resnet version: {version}. Options are 1 and 2.'
    kind, layers, channels = resnet_spec[num_layers]
    blocks = resnet_block_versions[version - 1]
    net = resnet_net_versions[version - 1](blocks[kind], layers, channels, **kwargs)
    if pretrained:
        load_pretrained(net, f'resnet{num_layers}_v{version}', ctx, root)
    return net


# The examples count the blocks of each stage: features[4:8] are the four stages
# of a V1 network (after convolution, normalisation, ReLU and pooling), features[5:9]
# those of a V2 network (after the input's normalisation too).
def resnet18_v1(**kwargs):
    """ResNet-18 V1, two basic blocks per stage (see :func:`get_resnet`).

    >>> import d2lmini as mx
    >>> net = resnet18_v1(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_resnet(version=1, num_layers=18, **kwargs)


def resnet34_v1(**kwargs):
    """ResNet-34 V1, basic blocks (see :func:`get_resnet`).

    >>> [len(stage) for stage in resnet34_v1().features[4:8]]
    [3, 4, 6, 3]
    """
    return get_resnet(version=1, num_layers=34, **kwargs)


def resnet50_v1(**kwargs):
    """ResNet-50 V1, bottleneck blocks (see :func:`get_resnet`).

    >>> type(resnet50_v1().features[4][0]).__name__
    'BottleneckV1'
    """
    return get_resnet(version=1, num_layers=50, **kwargs)


def resnet101_v1(**kwargs):
    """ResNet-101 V1, bottleneck blocks (see :func:`get_resnet`).

    >>> [len(stage) for stage in resnet101_v1().features[4:8]]
    [3, 4, 23, 3]
    """
    return get_resnet(version=1, num_layers=101, **kwargs)


def resnet152_v1(**kwargs):
    """ResNet-152 V1, bottleneck blocks (see :func:`get_resnet`).

    >>> [len(stage) for stage in resnet152_v1().features[4:8]]
    [3, 8, 36, 3]
    """
    return get_resnet(version=1, num_layers=152, **kwargs)


def resnet18_v2(**kwargs):
    """ResNet-18 V2, two pre-activation basic blocks per stage (see
    :func:`get_resnet`).

    >>> import d2lmini as mx
    >>> net = resnet18_v2(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_resnet(version=2, num_layers=18, **kwargs)


def resnet34_v2(**kwargs):
    """ResNet-34 V2, pre-activation basic blocks (see :func:`get_resnet`).

    >>> [len(stage) for stage in resnet34_v2().features[5:9]]
    [3, 4, 6, 3]
    """
    return get_resnet(version=2, num_layers=34, **kwargs)


def resnet50_v2(**kwargs):
    """ResNet-50 V2, pre-activation bottleneck blocks (see :func:`get_resnet`).

    >>> type(resnet50_v2().features[5][0]).__name__
    'BottleneckV2'
    """
    return get_resnet(version=2, num_layers=50, **kwargs)


def resnet101_v2(**kwargs):
    """ResNet-101 V2, pre-activation bottleneck blocks (see :func:`get_resnet`).

    >>> [len(stage) for stage in resnet101_v2().features[5:9]]
    [3, 4, 23, 3]
    """
    return get_resnet(version=2, num_layers=101, **kwargs)


def resnet152_v2(**kwargs):
    """ResNet-152 V2, pre-activation bottleneck blocks (see :func:`get_resnet`).

    >>> [len(stage) for stage in resnet152_v2().features[5:9]]
    [3, 8, 36, 3]
    """
    return get_resnet(version=2, num_layers=152, **kwargs)
