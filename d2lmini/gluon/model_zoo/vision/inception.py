"""Inception V3: blocks of parallel branches whose outputs are concatenated, with the
large windows factorised into cheaper ones (a 5x5 into two 3x3, a 7x7 into a 1x7 and
a 7x1) (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
https://arxiv.org/abs/1512.00567).

Every convolution here is a unit of convolution (no bias), batch normalisation and
ReLU. A branch is written as an optional pooling and a list of units, each given as
``(channels, window)`` or ``(channels, window, stride, padding)``.
"""
from ....context import cpu
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from ... import nn
from ..model_store import _MODEL_ROOT
from ._units import add_conv_bn, load_pretrained

__all__ = ['Inception3', 'inception_v3']


def _conv_unit(channels, kernel_size, strides=1, padding=0):
    # each unit sits in a chain of its own without a name scope: its layers are
    # named in the block's scope, as in MXNet's files (inception30_A1_conv0_)
    unit = nn.HybridSequential(prefix='')
    add_conv_bn(unit, channels, kernel_size, strides, padding, epsilon=0.001)
    return unit


def _branch(pool, *units):
    """A chain: ``'avg'`` (3x3 average pooling that keeps the size), ``'max'`` (3x3
    max-pooling with stride 2) or ``None``, then a conv unit for each setting."""
    chain = nn.HybridSequential(prefix='')
    if pool == 'avg':
        chain.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == 'max':
        chain.add(nn.MaxPool2D(pool_size=3, strides=2))
    for setting in units:
        chain.add(_conv_unit(*setting))
    return chain


def _side_by_side(*branches, prefix=''):
    # branches that all read the same input, their outputs concatenated as channels
    block = HybridConcurrent(axis=1, prefix=prefix)
    for branch in branches:
        block.add(branch)
    return block


def _in_chain(*blocks):
    chain = nn.HybridSequential(prefix='')
    for block in blocks:
        chain.add(block)
    return chain


def _named_block(prefix, make_branches):
    # the branches are made inside the block's name scope (A1_, B_, ...), which
    # counts their layers from 0 again
    block = HybridConcurrent(axis=1, prefix=prefix)
    with block.name_scope():
        for branch in make_branches():
            block.add(branch)
    return block


def _grid35_block(pool_features, prefix):
    # kind A, on the 35x35 grid: 1x1; 5x5; 3x3 twice; pooling
    return _named_block(prefix, lambda: [
        _branch(None, (64, 1)),
        _branch(None, (48, 1), (64, 5, 1, 2)),
        _branch(None, (64, 1), (96, 3, 1, 1), (96, 3, 1, 1)),
        _branch('avg', (pool_features, 1))])


def _grid35_to_17(prefix):
    # kind B halves the grid: strided 3x3; strided double 3x3; strided max-pooling
    return _named_block(prefix, lambda: [
        _branch(None, (384, 3, 2)),
        _branch(None, (64, 1), (96, 3, 1, 1), (96, 3, 2)),
        _branch('max')])


def _grid17_block(channels_7x7, prefix):
    # kind C, on the 17x17 grid: 7x7 windows factorised into 1x7 and 7x1, once
    # and twice
    c = channels_7x7
    return _named_block(prefix, lambda: [
        _branch(None, (192, 1)),
        _branch(None, (c, 1), (c, (1, 7), 1, (0, 3)), (192, (7, 1), 1, (3, 0))),
        _branch(None, (c, 1), (c, (7, 1), 1, (3, 0)), (c, (1, 7), 1, (0, 3)),
                (c, (7, 1), 1, (3, 0)), (192, (1, 7), 1, (0, 3))),
        _branch('avg', (192, 1))])


def _grid17_to_8(prefix):
    # kind D halves the grid again
    return _named_block(prefix, lambda: [
        _branch(None, (192, 1), (320, 3, 2)),
        _branch(None, (192, 1), (192, (1, 7), 1, (0, 3)), (192, (7, 1), 1, (3, 0)),
                (192, 3, 2)),
        _branch('max')])


def _grid8_block(prefix):
    # kind E, on the 8x8 grid: the 3x3 branches end by splitting into a 1x3 and a
    # 3x1 side by side
    def split_1x3_3x1():
        return _side_by_side(_branch(None, (384, (1, 3), 1, (0, 1))),
                             _branch(None, (384, (3, 1), 1, (1, 0))))
    return _named_block(prefix, lambda: [
        _branch(None, (320, 1)),
        _in_chain(_branch(None, (384, 1)), split_1x3_3x1()),
        _in_chain(_branch(None, (448, 1), (384, 3, 1, 1)), split_1x3_3x1()),
        _branch('avg', (192, 1))])


def make_aux(classes):
    """The auxiliary classifier of the paper (pooling, two conv units, a dense
    layer), applied to the 17x17 grid during training. :class:`Inception3` does not
    use it; it is here for networks that want one.

    >>> make_aux(10)[-1]
    Dense(None -> 10, linear)
    """
    head = nn.HybridSequential(prefix='')
    head.add(nn.AvgPool2D(pool_size=5, strides=3), _conv_unit(128, 1), _conv_unit(768, 5),
             nn.Flatten(), nn.Dense(classes))
    return head


class Inception3(HybridBlock):
    """Inception V3: a stem of five conv units and two max-poolings, then eleven
    blocks (three of kind A, B, four of kind C, D, two of kind E), an 8x8 average
    pooling, dropout and the dense ``output`` layer. It expects 299-pixel images.

    >>> net = Inception3(classes=10)
    >>> [block.prefix.split('_')[1] for block in net.features[7:18]]
    ['A1', 'A2', 'A3', 'B', 'C1', 'C2', 'C3', 'C4', 'D', 'E1', 'E2']
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            # the stem: from 299x299 pixels to a 35x35 grid of 192 channels
            self.features.add(_conv_unit(32, 3, 2), _conv_unit(32, 3), _conv_unit(64, 3, 1, 1),
                              nn.MaxPool2D(pool_size=3, strides=2),
                              _conv_unit(80, 1), _conv_unit(192, 3),
                              nn.MaxPool2D(pool_size=3, strides=2))
            # the blocks, named by kind and number as in MXNet's files (A1_ ... E2_)
            self.features.add(
                *[_grid35_block(pool, f'A{i}_') for i, pool in enumerate((32, 64, 64), 1)],
                _grid35_to_17('B_'),
                *[_grid17_block(c, f'C{i}_') for i, c in enumerate((128, 160, 160, 192), 1)],
                _grid17_to_8('D_'),
                *[_grid8_block(f'E{i}_') for i in (1, 2)])
            self.features.add(nn.AvgPool2D(pool_size=8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def inception_v3(pretrained=False, ctx=cpu(), root=_MODEL_ROOT, **kwargs):
    """An :class:`Inception3`; ``kwargs`` go to its constructor. ``pretrained=True``
    loads MXNet's ImageNet weights onto ``ctx``, fetched into ``root`` first when
    they are missing.

    >>> inception_v3(classes=10).output
    Dense(None -> 10, linear)
    """
    net = Inception3(**kwargs)
    if pretrained:
        load_pretrained(net, 'inceptionv3', ctx, root)
    return net
