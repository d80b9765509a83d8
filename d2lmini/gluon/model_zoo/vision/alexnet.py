"""AlexNet in the single-GPU form that MXNet's zoo trained (Krizhevsky, "One weird
trick for parallelizing convolutional neural networks", https://arxiv.org/abs/1404.5997).
"""
from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import load_pretrained

__all__ = ['AlexNet', 'alexnet']


class AlexNet(HybridBlock):
    """Five convolutions (ReLU, three max-poolings) then two dropout-regularised
    dense layers of 4,096 units; ``output`` is the last dense layer, ``classes`` wide.

    The widths are fixed (those of the pretrained weights); the smallest input the
    last pooling accepts is 63x63 pixels.

    >>> import d2lmini as mx
    >>> net = AlexNet(classes=10)
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 3, 64, 64))).shape
    (2, 10)
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        conv = lambda channels, size, **kw: nn.Conv2D(channels, size, activation='relu', **kw)
        pool = lambda: nn.MaxPool2D(pool_size=3, strides=2)
        with self.name_scope():
            # MXNet names these layers in the network's scope (alexnet0_conv0_), not
            # in a scope of the chain: prefix='' and its own name scope give that.
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                self.features.add(conv(64, 11, strides=4, padding=2), pool(),
                                  conv(192, 5, padding=2), pool(),
                                  conv(384, 3, padding=1),
                                  conv(256, 3, padding=1),
                                  conv(256, 3, padding=1), pool(),
                                  nn.Flatten(),
                                  nn.Dense(4096, activation='relu'), nn.Dropout(0.5),
                                  nn.Dense(4096, activation='relu'), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def alexnet(pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """An :class:`AlexNet`; ``kwargs`` go to its constructor (``classes``, ``prefix``).

    ``pretrained=True`` loads MXNet's ImageNet weights (1,000 classes) onto ``ctx``,
    fetched into the folder ``root`` when they are not there yet.

    >>> net = alexnet(classes=10)
    >>> net.output
    Dense(None -> 10, linear)
    """
    net = AlexNet(**kwargs)
    return load_pretrained(net, 'alexnet', ctx, root) if pretrained else net
