"""DenseNet-BC: every layer of a dense block sees the concatenated outputs of all the
layers before it (Huang et al., "Densely Connected Convolutional Networks",
https://arxiv.org/abs/1608.06993). "BC" for the bottleneck 1x1 convolution in each
layer and the compression (halving of the channels) between blocks.
"""
from ....context import cpu
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent, Identity
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import add_bn_relu_conv, add_imagenet_stem, load_pretrained

__all__ = ['DenseNet', 'densenet121', 'densenet161', 'densenet169', 'densenet201']


def _make_dense_layer(growth_rate, bn_size, dropout):
    # the new features: a 1x1 bottleneck to bn_size * growth_rate channels, then a
    # 3x3 convolution to growth_rate channels, both in the pre-activation order
    new_features = nn.HybridSequential(prefix='')
    add_bn_relu_conv(new_features, bn_size * growth_rate, kernel_size=1)
    add_bn_relu_conv(new_features, growth_rate, kernel_size=3, padding=1)
    if dropout:
        new_features.add(nn.Dropout(dropout))
    # the layer's output is its input with the new features appended as channels
    layer = HybridConcurrent(axis=1, prefix='')
    layer.add(Identity(), new_features)
    return layer


def _make_transition(channels):
    # between dense blocks: fewer channels (1x1 convolution), half the size
    transition = nn.HybridSequential(prefix='')
    add_bn_relu_conv(transition, channels, kernel_size=1)
    transition.add(nn.AvgPool2D(pool_size=2, strides=2))
    return transition


def _dense_stage(index, num_layers, growth_rate, bn_size, dropout):
    # a dense block has a name scope of its own (densenet0_stage1_), its layers do not
    stage = nn.HybridSequential(prefix=f'stage{index}_')
    with stage.name_scope():
        stage.add(*[_make_dense_layer(growth_rate, bn_size, dropout)
                    for _ in range(num_layers)])
    return stage


class DenseNet(HybridBlock):
    """A stem (7x7 convolution with stride 2, max-pooling), dense blocks separated
    by transitions, then batch normalisation, ReLU, a 7x7 average pooling and the
    dense ``output`` layer.

    ``num_init_features``: the stem's channels; ``growth_rate``: the channels each
    layer adds (*k* in the paper); ``block_config[i]``: the number of layers of
    block ``i``; ``bn_size``: the bottleneck has ``bn_size * growth_rate`` channels;
    ``dropout``: the rate of a dropout after each layer's new features (0: none).
    Each transition halves the channels. The last pooling needs a 7x7 map: 224-pixel
    images for four blocks, 56 pixels for two.

    >>> import d2lmini as mx
    >>> net = DenseNet(8, 4, [2, 2], bn_size=2, classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 56, 56))).shape
    (2, 10)
    """

    def __init__(self, num_init_features, growth_rate, block_config,
                 bn_size=4, dropout=0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            add_imagenet_stem(self.features, num_init_features)
            channels = num_init_features
            for index, num_layers in enumerate(block_config, start=1):
                if index > 1:   # compression: half the channels, half the size
                    channels //= 2
                    self.features.add(_make_transition(channels))
                self.features.add(_dense_stage(index, num_layers, growth_rate, bn_size,
                                               dropout))
                channels += num_layers * growth_rate
            # the layers end in a convolution: normalise and rectify before pooling
            self.features.add(nn.BatchNorm(), nn.Activation('relu'),
                              nn.AvgPool2D(pool_size=7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (stem channels, growth rate, layers per dense block)
densenet_spec = {121: (64, 32, [6, 12, 24, 16]), 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]), 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """DenseNet-BC with ``num_layers`` (121, 161, 169 or 201) layers that have
    weights; ``kwargs`` go to :class:`DenseNet`.

    ``pretrained=True`` loads MXNet's ImageNet weights onto ``ctx``, fetched into
    ``root`` first when they are missing.

    >>> [len(block) for block in get_densenet(121).features[4:11:2]]
    [6, 12, 24, 16]
    """
    net = DenseNet(*densenet_spec[num_layers], **kwargs)
    if pretrained:
        load_pretrained(net, f'densenet{num_layers}', ctx, root)
    return net


# The examples count the layers of each dense block: features[4:11:2] are the blocks
# (after the stem's four layers; a transition follows each block but the last).
def densenet121(**kwargs):
    """DenseNet-121: 64 channels in the stem, growth rate 32 (see
    :func:`get_densenet`).

    >>> densenet121(classes=10).output
    Dense(None -> 10, linear)
    """
    return get_densenet(num_layers=121, **kwargs)


def densenet161(**kwargs):
    """DenseNet-161, the wide one: 96 channels in the stem, growth rate 48 (see
    :func:`get_densenet`).

    >>> [len(block) for block in densenet161().features[4:11:2]]
    [6, 12, 36, 24]
    """
    return get_densenet(num_layers=161, **kwargs)


def densenet169(**kwargs):
    """DenseNet-169: 64 channels in the stem, growth rate 32 (see
    :func:`get_densenet`).

    >>> [len(block) for block in densenet169().features[4:11:2]]
    [6, 12, 32, 32]
    """
    return get_densenet(num_layers=169, **kwargs)


def densenet201(**kwargs):
    """DenseNet-201: 64 channels in the stem, growth rate 32 (see
    :func:`get_densenet`).

    >>> [len(block) for block in densenet201().features[4:11:2]]
    [6, 12, 48, 32]
    """
    return get_densenet(num_layers=201, **kwargs)
