"""``gluon.rnn``: recurrent layers (:class:`RNN`, :class:`LSTM`, :class:`GRU`) that
run whole sequences, and cells that run one step at a time.

>>> import d2lmini as mx
>>> from d2lmini.gluon import rnn
>>> layer = rnn.GRU(4)
>>> layer.initialize()
>>> layer(mx.nd.ones((6, 2, 3))).shape
(6, 2, 4)
"""
from .rnn_cell import (RecurrentCell, HybridRecurrentCell, RNNCell, LSTMCell,  # noqa: F401
                       GRUCell, SequentialRNNCell, HybridSequentialRNNCell, DropoutCell,
                       ModifierCell, ZoneoutCell, ResidualCell, BidirectionalCell)
from .rnn_layer import RNN, LSTM, GRU  # noqa: F401
