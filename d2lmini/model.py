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
import os
from collections import namedtuple

from . import ndarray as nd
from . import symbol as sym
from .context import cpu

__all__ = ['BatchEndParam', 'save_checkpoint', 'load_checkpoint', 'load_params']

# what batch_end_callback and eval_end_callback functions receive
BatchEndParam = namedtuple('BatchEndParams', ['epoch', 'nbatch', 'eval_metric', 'locals'])


def _params_file(prefix, epoch):
    return '%s-%04d.params' % (prefix, epoch)


def _to_file_dict(arg_params, aux_params):
    """The dict a parameter file holds: ``arg:<name>`` and ``aux:<name>`` keys (in
    that order), values copied to the CPU."""
    return {f'{kind}:{name}': value.as_in_context(cpu())
            for kind, params in (('arg', arg_params), ('aux', aux_params))
            for name, value in params.items()}


def _from_file_dict(saved):
    """The inverse of :func:`_to_file_dict`: ``(arg_params, aux_params, strays)``,
    ``strays`` listing the keys with neither prefix."""
    by_kind = {'arg': {}, 'aux': {}}
    strays = []
    for key, value in saved.items():
        kind, _, name = key.partition(':')
        if kind in by_kind:
            by_kind[kind][name] = value
        else:
            strays.append(key)
    return by_kind['arg'], by_kind['aux'], strays


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and
    ``prefix-%04d.params`` % ``epoch``."""
    if symbol is not None:
        symbol.save(f'{prefix}-symbol.json', remove_amp_cast=remove_amp_cast)
    fname = _params_file(prefix, epoch)
    nd.save(fname, _to_file_dict(arg_params, aux_params))
    logging.info('Saved checkpoint to "%s"', fname)


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` read from ``prefix-%04d.params`` % ``epoch``
    (keys with neither prefix are skipped)."""
    fname = _params_file(prefix, epoch)
    saved = nd.load(fname)
    if not saved:
        logging.warning("Params file '%s' is empty", fname)
        return {}, {}
    if not isinstance(saved, dict):
        raise ValueError(f'{fname} holds unnamed arrays, not the arg:/aux: dict of a '
                         'checkpoint')
    return _from_file_dict(saved)[:2]


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` of the checkpoint ``prefix`` at ``epoch``."""
    return (sym.load(f'{prefix}-symbol.json'),) + load_params(prefix, epoch)


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
    from . import kvstore as kvs
    wanted = bool(int(os.getenv('MXNET_UPDATE_ON_KVSTORE', '1')))
    if isinstance(kvstore, str):
        if 'dist' not in kvstore and num_device == 1:
            return None, False   # nothing to sum
        store = kvs.create(kvstore)
        if kvstore == 'local' and arg_params and \
                max(np_prod(p.shape) for p in arg_params.values()) > _LOCAL_UPDATE_LIMIT:
            wanted = False
    elif kvstore is None:
        return None, False
    elif isinstance(kvstore, kvs.KVStoreBase):
        store = kvstore
    else:
        raise TypeError('kvstore must be KVStore, str or None')
    # a store that cannot run an optimizer only sums: the update then runs here
    return store, wanted and store.is_capable(kvs.KVStoreBase.OPTIMIZER)


def np_prod(shape):
    """The number of elements of an array of ``shape``."""
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Store each parameter's value under its name; with ``update_on_kvstore`` pull it
    into every device's copy."""
    for rank, (name, copies) in enumerate(zip(param_names, param_arrays)):
        kvstore.init(name, arg_params[name])
        if update_on_kvstore:
            kvstore.pull(name, copies, priority=-rank)


def _update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """Push every device's gradient of each parameter (the store sums them and runs
    the optimizer) and pull the updated weight back into every device. Parameters
    without a gradient (``grad_req='null'``) are skipped."""
    for rank, (name, weights, grads) in enumerate(zip(param_names, param_arrays,
                                                      grad_arrays)):
        if grads[0] is not None:
            kvstore.push(name, grads, priority=-rank)
            kvstore.pull(name, weights, priority=-rank)


# The pre-Module API, and the callback its fit logs validation with. Imported last:
# FeedForward is built on Module, which uses the helpers above.
from .callback import LogValidationMetricsCallback  # noqa: E402,F401
from .feedforward import FeedForward  # noqa: E402,F401

__all__ += ['FeedForward', 'LogValidationMetricsCallback']
