"""VGG: stacks of 3x3 convolutions between max-poolings (Simonyan and Zisserman,
"Very Deep Convolutional Networks for Large-Scale Image Recognition",
https://arxiv.org/abs/1409.1556), with or without batch normalisation.
"""
from ....context import cpu
from ....initializer import Xavier
from ...block import HybridBlock
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import load_pretrained

__all__ = ['VGG', 'get_vgg'] + [f'vgg{depth}{suffix}' for suffix in ('', '_bn')
                               for depth in (11, 13, 16, 19)]


class VGG(HybridBlock):
    """Blocks of 3x3 convolutions, each block ending in a 2x2 max-pooling that halves
    the image, then two dense layers of 4,096 units with dropout and the ``output``
    layer.

    ``layers[i]`` is the number of convolutions in block ``i`` and ``filters[i]``
    their number of channels; ``batch_norm=True`` puts a batch normalisation after
    every convolution.

    >>> import d2lmini as mx
    >>> net = VGG(layers=[1, 2], filters=[8, 16], classes=10, batch_norm=True)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 16, 16))).shape
    (2, 10)
    """

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        assert len(layers) == len(filters), 'one number of channels per block'
        # the initialisers are MXNet's: a network trained from scratch starts where
        # MXNet's would
        dense_init = dict(weight_initializer='normal', bias_initializer='zeros')
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation='relu', **dense_init),
                                  nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, **dense_init)

    def _make_features(self, layers, filters, batch_norm):
        # He initialisation (a normal distribution scaled for ReLU) for every
        # convolution; the layers are named in the network's scope (vgg0_conv0_)
        features = nn.HybridSequential(prefix='')
        he_normal = Xavier(rnd_type='gaussian', factor_type='out', magnitude=2)
        for num_convs, channels in zip(layers, filters):
            for _ in range(num_convs):
                features.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                       weight_initializer=he_normal,
                                       bias_initializer='zeros'))
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation('relu'))
            features.add(nn.MaxPool2D(strides=2))
        return features

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (convolutions per block, channels per block); the depths differ only in
# how many convolutions the blocks have
_CONVS_PER_BLOCK = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3],
                    19: [2, 2, 4, 4, 4]}
vgg_spec = {depth: (convs, [64, 128, 256, 512, 512])
            for depth, convs in _CONVS_PER_BLOCK.items()}


def get_vgg(num_layers, pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """The :class:`VGG` with ``num_layers`` layers that have weights (11, 13, 16 or
    19); ``kwargs`` go to its constructor.

    ``pretrained=True`` loads MXNet's ImageNet weights onto ``ctx`` (those trained
    with batch normalisation when ``batch_norm=True``), fetched into ``root`` first
    when they are missing.

    >>> from d2lmini.gluon import nn
    >>> net = get_vgg(13, classes=10)
    >>> sum(isinstance(layer, nn.Conv2D) for layer in net.features)
    10
    """
    net = VGG(*vgg_spec[num_layers], **kwargs)
    if not pretrained:
        return net
    suffix = '_bn' if kwargs.get('batch_norm') else ''
    return load_pretrained(net, f'vgg{num_layers}{suffix}', ctx, root)


def vgg11(**kwargs):
    """VGG-11: eight convolutions and three dense layers (see :func:`get_vgg`).

    >>> import d2lmini as mx
    >>> net = vgg11(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((1, 3, 32, 32))).shape
    (1, 10)
    """
    return get_vgg(num_layers=11, **kwargs)


def vgg13(**kwargs):
    """VGG-13: two convolutions in every block (see :func:`get_vgg`).

    >>> [type(layer).__name__ for layer in vgg13().features[:5]]
    ['Conv2D', 'Activation', 'Conv2D', 'Activation', 'MaxPool2D']
    """
    return get_vgg(num_layers=13, **kwargs)


def vgg16(**kwargs):
    """VGG-16: three convolutions in each of the last three blocks (see
    :func:`get_vgg`).

    >>> vgg16(classes=10).output
    Dense(None -> 10, linear)
    """
    return get_vgg(num_layers=16, **kwargs)


def vgg19(**kwargs):
    """VGG-19: four convolutions in each of the last three blocks (see
    :func:`get_vgg`).

    >>> from d2lmini.gluon import nn
    >>> sum(isinstance(layer, nn.Conv2D) for layer in vgg19().features)
    16
    """
    return get_vgg(num_layers=19, **kwargs)


def vgg11_bn(**kwargs):
    """VGG-11 with a batch normalisation after every convolution.

    >>> [type(layer).__name__ for layer in vgg11_bn().features[:4]]
    ['Conv2D', 'BatchNorm', 'Activation', 'MaxPool2D']
    """
    return get_vgg(num_layers=11, **{**kwargs, 'batch_norm': True})


def vgg13_bn(**kwargs):
    """VGG-13 with a batch normalisation after every convolution.

    >>> from d2lmini.gluon import nn
    >>> sum(isinstance(layer, nn.BatchNorm) for layer in vgg13_bn().features)
    10
    """
    return get_vgg(num_layers=13, **{**kwargs, 'batch_norm': True})


def vgg16_bn(**kwargs):
    """VGG-16 with a batch normalisation after every convolution.

    >>> from d2lmini.gluon import nn
    >>> sum(isinstance(layer, nn.BatchNorm) for layer in vgg16_bn().features)
    13
    """
    return get_vgg(num_layers=16, **{**kwargs, 'batch_norm': True})


def vgg19_bn(**kwargs):
    """VGG-19 with a batch normalisation after every convolution.

    >>> from d2lmini.gluon import nn
    >>> sum(isinstance(layer, nn.BatchNorm) for layer in vgg19_bn().features)
    16
    """
    return get_vgg(num_layers=19, **{**kwargs, 'batch_norm': True})
