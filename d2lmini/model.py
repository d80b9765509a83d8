"""``mx.model``: checkpoints of a symbol and its parameters, as MXNet 1.x writes them.

A checkpoint is two files: ``prefix-symbol.json`` (the graph, ``Symbol.tojson``) and
``prefix-NNNN.params`` (``nd.save`` of a dict whose keys are ``arg:<name>`` for
arguments and ``aux:<name>`` for auxiliary states). MXNet 1.x reads d2lmini's and
d2lmini reads MXNet's. Both files are written atomically.

>>> import os, tempfile
>>> import d2lmini as mx
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
>>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
>>> save_checkpoint(prefix, 3, net, {'fc_weight': mx.nd.ones((2, 4)),
...                                  'fc_bias': mx.nd.zeros((2,))}, {})
>>> sorted(os.listdir(os.path.dirname(prefix)))
['net-0003.params', 'net-symbol.json']
>>> sym, args, auxs = load_checkpoint(prefix, 3)
>>> sym.list_arguments(), sorted(args), auxs
(['data', 'fc_weight', 'fc_bias'], ['fc_bias', 'fc_weight'], {})
"""
import logging
from collections import namedtuple

from . import ndarray as nd
from . import symbol as sym
from .context import cpu

__all__ = ['BatchEndParam', 'save_checkpoint', 'load_checkpoint', 'load_params']

# what batch_end_callback and eval_end_callback functions receive
BatchEndParam = namedtuple('BatchEndParams', ['epoch', 'nbatch', 'eval_metric', 'locals'])


def _params_dict(arg_params, aux_params):
    save_dict = {f'arg:{k}': v.as_in_context(cpu()) for k, v in arg_params.items()}
    save_dict.update({f'aux:{k}': v.as_in_context(cpu()) for k, v in aux_params.items()})
    return save_dict


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and
    ``prefix-%04d.params`` % ``epoch``."""
    if symbol is not None:
        symbol.save(f'{prefix}-symbol.json', remove_amp_cast=remove_amp_cast)
    param_name = '%s-%04d.params' % (prefix, epoch)
    nd.save(param_name, _params_dict(arg_params, aux_params))
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` read from ``prefix-%04d.params`` % ``epoch``."""
    fname = '%s-%04d.params' % (prefix, epoch)
    save_dict = nd.load(fname)
    arg_params, aux_params = {}, {}
    if not save_dict:
        logging.warning("Params file '%s' is empty", fname)
        return arg_params, aux_params
    if not isinstance(save_dict, dict):
        raise ValueError(f'{fname} holds unnamed arrays, not the arg:/aux: dict of a '
                         'checkpoint')
    for k, v in save_dict.items():
        tp, _, name = k.partition(':')
        if tp == 'arg':
            arg_params[name] = v
        elif tp == 'aux':
            aux_params[name] = v
    return arg_params, aux_params


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` of the checkpoint ``prefix`` at ``epoch``."""
    symbol = sym.load(f'{prefix}-symbol.json')
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
