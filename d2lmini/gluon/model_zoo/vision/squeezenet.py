"""SqueezeNet: AlexNet's accuracy with 50 times fewer parameters, built from "fire"
modules (Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer
parameters and <0.5MB model size", https://arxiv.org/abs/1602.07360). Version 1.1
(https://github.com/DeepScale/SqueezeNet/tree/master/SqueezeNet_v1.1) starts with a
smaller convolution and pools earlier, which makes it about 2.4 times cheaper to run
for the same accuracy.
"""
from ....context import cpu
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import load_pretrained

__all__ = ['SqueezeNet', 'squeezenet1_0', 'squeezenet1_1']


def _conv_relu(channels, kernel_size, padding=0):
    unit = nn.HybridSequential(prefix='')
    unit.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation('relu'))
    return unit


def _fire_module(squeeze_channels):
    # squeeze the channels with a 1x1 convolution, then expand them to four times as
    # many with a 1x1 and a 3x3 convolution side by side, whose outputs are
    # concatenated (made in this order: layers are numbered as they are made)
    fire = nn.HybridSequential(prefix='')
    fire.add(_conv_relu(squeeze_channels, 1))
    expand = HybridConcurrent(axis=1, prefix='')
    expand.add(_conv_relu(4 * squeeze_channels, 1),
               _conv_relu(4 * squeeze_channels, 3, padding=1))
    fire.add(expand)
    return fire


# version -> (first convolution's channels and window, then the body: a number is a
# fire module with that many squeeze channels, 'pool' a max-pooling)
_LAYOUTS = {'1.0': (96, 7, [16, 16, 32, 'pool', 32, 48, 48, 64, 'pool', 64]),
            '1.1': (64, 3, [16, 16, 'pool', 32, 32, 'pool', 48, 48, 64, 64])}


class SqueezeNet(HybridBlock):
    """SqueezeNet ``version`` ``'1.0'`` or ``'1.1'``: a strided convolution, fire
    modules between max-poolings, dropout, and an ``output`` made of a 1x1
    convolution with one channel per class and a 13x13 average pooling (no dense
    layer). The pooling needs 224-pixel images.

    >>> SqueezeNet('1.1', classes=10).output[0]
    Conv2D(None -> 10, kernel_size=(1, 1), stride=(1, 1))
    """

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        assert version in _LAYOUTS, \
            f'Unsupported SqueezeNet version {version}: 1.0 or 1.1 expected'
        first_channels, first_window, body = _LAYOUTS[version]
        pool = lambda: nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(first_channels, first_window, strides=2),
                              nn.Activation('relu'), pool())
            self.features.add(*[pool() if item == 'pool' else _fire_module(item)
                                for item in body], nn.Dropout(0.5))
            # one channel per class, averaged over the whole 13x13 map
            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation('relu'),
                            nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """A :class:`SqueezeNet` of ``version`` ``'1.0'`` or ``'1.1'``; ``kwargs`` go to
    its constructor. ``pretrained=True`` loads MXNet's ImageNet weights onto ``ctx``,
    fetched into ``root`` first when they are missing.

    >>> len(get_squeezenet('1.0').features)   # 3 stem layers, 8 fires, 2 poolings, dropout
    14
    """
    net = SqueezeNet(version=version, **kwargs)
    return load_pretrained(net, f'squeezenet{version}', ctx, root) if pretrained else net


def squeezenet1_0(**kwargs):
    """SqueezeNet 1.0: a 7x7 first convolution with 96 channels (see
    :func:`get_squeezenet`).

    >>> squeezenet1_0().features[0]
    Conv2D(None -> 96, kernel_size=(7, 7), stride=(2, 2))
    """
    return get_squeezenet(version='1.0', **kwargs)


def squeezenet1_1(**kwargs):
    """SqueezeNet 1.1: a 3x3 first convolution with 64 channels (see
    :func:`get_squeezenet`).

    >>> import d2lmini as mx
    >>> net = squeezenet1_1(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 224, 224))).shape
    (1, 10)
    """
    return get_squeezenet(version='1.1', **kwargs)
