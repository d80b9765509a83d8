"""``gluon.nn``: the layers networks are built from.

>>> import d2lmini as mx
>>> from d2lmini.gluon import nn
>>> net = nn.Sequential()
>>> net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
>>> net
Sequential(
  (0): Dense(None -> 256, Activation(relu))
  (1): Dense(None -> 10, linear)
)
>>> net.initialize()
>>> net(mx.nd.ones((2, 20))).shape
(2, 10)
"""
from ..block import Block, HybridBlock  # noqa: F401
from ..symbol_block import SymbolBlock  # noqa: F401  (mx.gluon.nn.SymbolBlock, as in MXNet)
from .sequential import Sequential, HybridSequential  # noqa: F401
from .activations import *  # noqa: F401,F403
from .basic_layers import *  # noqa: F401,F403
from .conv_layers import *  # noqa: F401,F403
