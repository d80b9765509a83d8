"""``gluon.contrib.rnn``: MXNet 1.x's extra recurrent cells: convolutional RNN,
LSTM and GRU cells in 1, 2 and 3 dimensions, the projected LSTM cell
:class:`LSTMPCell` and :class:`VariationalDropoutCell`.

>>> from d2lmini import gluon
>>> gluon.contrib.rnn.Conv1DGRUCell((2, 10), 4, i2h_kernel=3, h2h_kernel=3)
Conv1DGRUCell(2 -> 12, tanh, NCW)
"""
from . import conv_rnn_cell, rnn_cell  # noqa: F401
from .conv_rnn_cell import *  # noqa: F401,F403
from .rnn_cell import *  # noqa: F401,F403

__all__ = conv_rnn_cell.__all__ + rnn_cell.__all__
