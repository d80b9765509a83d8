"""``mx.rnn``: MXNet 1.x's symbolic recurrent-network API (cells that build
:mod:`~d2lmini.symbol` graphs, a bucketing sentence iterator, RNN checkpoints), the
API that Gluon's :mod:`~d2lmini.gluon.rnn` later replaced.

>>> import d2lmini as mx
>>> stack = mx.rnn.SequentialRNNCell()
>>> stack.add(mx.rnn.LSTMCell(8, prefix='lstm_l0_'))
>>> stack.add(mx.rnn.LSTMCell(8, prefix='lstm_l1_'))
>>> outputs, states = stack.unroll(5, mx.sym.var('data'), merge_outputs=True)
>>> [s.name for s in states]
['lstm_l0_t4_out', 'lstm_l0_t4_state', 'lstm_l1_t4_out', 'lstm_l1_t4_state']
"""
from .rnn_cell import (RNNParams, BaseRNNCell, RNNCell, LSTMCell, GRUCell,  # noqa: F401
                       FusedRNNCell, SequentialRNNCell, DropoutCell, ModifierCell,
                       ZoneoutCell, ResidualCell, BidirectionalCell)
from .io import encode_sentences, BucketSentenceIter  # noqa: F401
from .rnn import save_rnn_checkpoint, load_rnn_checkpoint, do_rnn_checkpoint  # noqa: F401
from ..io import DataBatch, DataDesc, DataIter  # noqa: F401   (MXNet's mx.rnn has them)
from ..model import save_checkpoint, load_checkpoint  # noqa: F401

__all__ = ['RNNParams', 'BaseRNNCell', 'RNNCell', 'LSTMCell', 'GRUCell', 'FusedRNNCell',
           'SequentialRNNCell', 'DropoutCell', 'ModifierCell', 'ZoneoutCell', 'ResidualCell',
           'BidirectionalCell', 'encode_sentences', 'BucketSentenceIter',
           'save_rnn_checkpoint', 'load_rnn_checkpoint', 'do_rnn_checkpoint']
