"""The pieces that several networks of the zoo are built from.

Most modern networks repeat one unit: a convolution, a batch normalisation and a
nonlinearity. :func:`add_conv_bn` appends that unit to a chain; :func:`add_bn_relu_conv`
appends the "pre-activation" order that DenseNet uses; :func:`add_imagenet_stem` the
first layers that ResNet and DenseNet share. Both add the layers straight
to the chain they are given, without a container of their own, because MXNet's
parameter names (and so whether its ``.params`` files load) depend on which
container a layer sits in and on the order the layers are made.

>>> from d2lmini.gluon import nn
>>> chain = nn.HybridSequential(prefix='unit_')
>>> with chain.name_scope():
...     add_conv_bn(chain, 8, kernel_size=3, padding=1)
>>> [type(layer).__name__ for layer in chain]
['Conv2D', 'BatchNorm', 'Activation']
>>> sorted(chain.collect_params())[:2]
['unit_batchnorm0_beta', 'unit_batchnorm0_gamma']
"""
from ... import nn
from .. import model_store

__all__ = ['add_conv_bn', 'add_bn_relu_conv', 'add_imagenet_stem', 'load_pretrained']


def add_conv_bn(chain, channels, kernel_size, strides=1, padding=0, groups=1,
                use_bias=False, in_channels=0, epsilon=1e-5, activation='relu'):
    """Append a convolution, a batch normalisation and (unless ``activation`` is
    ``None``) a nonlinearity to ``chain``.

    ``activation`` is the name of an activation (``'relu'``) or a block class to
    instantiate (MobileNetV2's ``RELU6``). The convolution has no bias by default:
    the batch normalisation right after it subtracts any constant shift anyway.
    """
    chain.add(nn.Conv2D(channels, kernel_size, strides, padding, groups=groups,
                        use_bias=use_bias, in_channels=in_channels))
    chain.add(nn.BatchNorm(epsilon=epsilon))
    if activation is None:
        return
    chain.add(nn.Activation(activation) if isinstance(activation, str) else activation())


def add_bn_relu_conv(chain, channels, kernel_size, padding=0):
    """Append batch normalisation, ReLU and a convolution without bias to ``chain``:
    the unit in the order where each convolution sees normalised, rectified input."""
    chain.add(nn.BatchNorm())
    chain.add(nn.Activation('relu'))
    chain.add(nn.Conv2D(channels, kernel_size=kernel_size, padding=padding, use_bias=False))


def add_imagenet_stem(chain, channels):
    """Append the stem of ResNet and DenseNet for 224-pixel images: a 7x7 convolution
    with stride 2, batch normalisation, ReLU and a strided 3x3 max-pooling, which
    leave a quarter of the height and width (56x56)."""
    add_conv_bn(chain, channels, kernel_size=7, strides=2, padding=3)
    chain.add(nn.MaxPool2D(pool_size=3, strides=2, padding=1))


def load_pretrained(net, model_name, ctx, root):
    """Load MXNet's trained weights for ``model_name`` (its name in the store, e.g.
    ``'resnet18_v1'``) into ``net``, fetching the file first if needed; returns ``net``."""
    net.load_parameters(model_store.get_model_file(model_name, root=root), ctx=ctx)
    return net
