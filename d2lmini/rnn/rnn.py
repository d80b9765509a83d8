"""Checkpoints of networks built from :mod:`mx.rnn <d2lmini.rnn>` cells.

They hold the weights *unpacked* (one array per gate, see
:meth:`~d2lmini.rnn.BaseRNNCell.unpack_weights`), so a checkpoint written from a
:class:`~d2lmini.rnn.FusedRNNCell` loads into the equivalent unfused stack and back,
as in MXNet 1.x.

>>> import d2lmini as mx, os, tempfile
>>> cell = mx.rnn.GRUCell(2, prefix='g_')
>>> args = {'g_i2h_weight': mx.nd.ones((6, 3)), 'g_i2h_bias': mx.nd.zeros((6,)),
...         'g_h2h_weight': mx.nd.ones((6, 2)), 'g_h2h_bias': mx.nd.zeros((6,))}
>>> prefix = os.path.join(tempfile.mkdtemp(), 'gru')
>>> mx.rnn.save_rnn_checkpoint(cell, prefix, 1, mx.sym.var('data'), args, {})
>>> sorted(mx.nd.load(prefix + '-0001.params'))[:2]
['arg:g_h2h_o_bias', 'arg:g_h2h_o_weight']
>>> _, loaded, _ = mx.rnn.load_rnn_checkpoint(cell, prefix, 1)
>>> sorted(loaded) == sorted(args)
True
"""
from .. import model
from ..callback import _every
from . import rnn_cell

__all__ = ['save_rnn_checkpoint', 'load_rnn_checkpoint', 'do_rnn_checkpoint']


def _each_cell(cells):
    return [cells] if isinstance(cells, rnn_cell.BaseRNNCell) else list(cells)


def save_rnn_checkpoint(cells, prefix, epoch, symbol, arg_params, aux_params):
    """Like :func:`mx.model.save_checkpoint <d2lmini.model.save_checkpoint>`, with the
    weights of ``cells`` (a cell or a list of cells) unpacked first."""
    unpacked = arg_params
    for cell in _each_cell(cells):
        unpacked = cell.unpack_weights(unpacked)
    model.save_checkpoint(prefix, epoch, symbol, unpacked, aux_params)


def load_rnn_checkpoint(cells, prefix, epoch):
    """``(symbol, arg_params, aux_params)`` of a checkpoint written by
    :func:`save_rnn_checkpoint`, the weights of ``cells`` packed again."""
    net, args, auxs = model.load_checkpoint(prefix, epoch)
    for cell in _each_cell(cells):
        args = cell.pack_weights(args)
    return net, args, auxs


def do_rnn_checkpoint(cells, prefix, period=1):
    """An epoch-end callback (for ``Module.fit``) calling :func:`save_rnn_checkpoint`
    every ``period`` epochs, numbering the files from 1."""
    return _every(period, lambda epochs_done, net, args, auxs:
                  save_rnn_checkpoint(cells, prefix, epochs_done, net, args, auxs))
