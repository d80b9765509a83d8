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


# ---------------------------------------------------------------------- KVStore helpers
# Parameters larger than this are updated on the devices rather than in a 'local'
# store, as MXNet 1.x decides (the store would hold a second copy of them).
_LOCAL_UPDATE_LIMIT = 1024 * 1024 * 16


def _create_kvstore(kvstore, num_device, arg_params):
    """``(kvstore, update_on_kvstore)`` for training on ``num_device`` devices, as
    MXNet 1.x's Module decides: a store name gives no store on one device (there is
    nothing to sum), a KVStore is used as given, and the optimizer runs in the store
    unless ``MXNET_UPDATE_ON_KVSTORE=0`` or a parameter is very large.

    >>> _create_kvstore('local', 1, {})
    (None, False)
    >>> kv, on_kv = _create_kvstore('local', 2, {})
    >>> kv.type, on_kv
    ('local', True)
    """
    import os
    from . import kvstore as kvs
    update_on_kvstore = bool(int(os.getenv('MXNET_UPDATE_ON_KVSTORE', '1')))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, kvs.KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and 'dist' not in kvstore:
            kv = None
        else:
            kv = kvs.create(kvstore)
            if kvstore == 'local' and arg_params:
                largest = max(int(np_prod(p.shape)) for p in arg_params.values())
                if largest > _LOCAL_UPDATE_LIMIT:
                    update_on_kvstore = False
    else:
        raise TypeError('kvstore must be KVStore, str or None')
    if kv is None:
        update_on_kvstore = False
    else:   # a store that cannot run an optimizer only sums: the update runs here
        update_on_kvstore = update_on_kvstore and kv.is_capable(kvs.KVStoreBase.OPTIMIZER)
    return kv, update_on_kvstore


def np_prod(shape):
    """The number of elements of an array of ``shape``."""
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Store each parameter's value under its name; with ``update_on_kvstore`` pull it
    into every device's copy."""
    for idx, param_on_devs in enumerate(param_arrays):
        name = param_names[idx]
        kvstore.init(name, arg_params[name])
        if update_on_kvstore:
            kvstore.pull(name, param_on_devs, priority=-idx)


def _update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """Push every device's gradient of each parameter (the store sums them and runs
    the optimizer) and pull the updated weight back into every device."""
    for index, (arg_list, grad_list) in enumerate(zip(param_arrays, grad_arrays)):
        if grad_list[0] is None:
            continue
        name = param_names[index]
        kvstore.push(name, grad_list, priority=-index)
        kvstore.pull(name, arg_list, priority=-index)
