"""Containers that chain blocks: ``Sequential`` and its hybridizable twin."""
import warnings

from ..block import Block, HybridBlock
from ..parameter import _indent


class _Chain:
    """What Sequential and HybridSequential share: adding, indexing, printing."""

    def add(self, *blocks):
        """Append blocks; each one's output feeds the next. (Returns None, as in
        MXNet, so that a notebook cell ending with ``net.add(...)`` prints nothing.)"""
        for block in blocks:
            self.register_child(block)

    def __repr__(self):
        lines = [f'  ({key}): {_indent(repr(block), 2)}' for key, block in self._children.items()]
        return f'{type(self).__name__}(\n' + '\n'.join(lines) + '\n)'

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children.values())

    @staticmethod
    def _chain(blocks, x, args):
        for block in blocks:
            x = block(x, *args)
            args = []
            if isinstance(x, (tuple, list)):
                args, x = x[1:], x[0]
        return tuple([x] + list(args)) if args else x


class Sequential(_Chain, Block):
    """Blocks applied one after another.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> net = nn.Sequential()
    >>> net.add(nn.Dense(4), nn.Dense(2))
    >>> len(net)
    2
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, x, *args):
        return self._chain(self._children.values(), x, args)

    def hybridize(self, active=True, **kwargs):
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(f"All children of this Sequential layer '{self.prefix}' are "
                          'HybridBlocks. Consider using HybridSequential for the best '
                          'performance.', stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Chain, HybridBlock):
    """Hybridizable blocks applied one after another."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args):
        # hybridized, the whole chain runs as one compiled graph; traced with symbols,
        # inside this container's name scope (so a child built with prefix='' names
        # its nodes 'stage1_activation0', as in MXNet); eagerly, each child runs (and
        # finishes its own deferred initialisation) in turn
        return self._chain(self._children.values(), x, args)
