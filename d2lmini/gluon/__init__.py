"""``mx.gluon``: the high-level interface, as in MXNet 1.x.

Gluon grows with the book: :mod:`~d2lmini.gluon.data` loads datasets and cuts them
into mini-batches; layers, losses and trainers build on the ``nd`` operators.

>>> import d2lmini.gluon as gluon
>>> loader = gluon.data.DataLoader(gluon.data.ArrayDataset([1., 2., 3.]), batch_size=2)
>>> [batch.shape for batch in loader]
[(2,), (1,)]
"""
from . import data  # noqa: F401
from . import parameter, block, nn, rnn, loss  # noqa: F401
from .parameter import Parameter, Constant, ParameterDict, DeferredInitializationError  # noqa: F401,E501
from .block import Block, HybridBlock  # noqa: F401
from .symbol_block import SymbolBlock  # noqa: F401
from . import utils  # noqa: F401
from .trainer import Trainer  # noqa: F401
from . import contrib  # noqa: F401
from . import model_zoo  # noqa: F401
