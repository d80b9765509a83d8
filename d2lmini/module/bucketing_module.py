"""``BucketingModule``: one network per input length (bucket), sharing parameters.

Sequences of different lengths make graphs of different shapes. MXNet 1.x's answer
is a function ``sym_gen(bucket_key) -> (symbol, data_names, label_names)`` and one
:class:`~d2lmini.module.Module` per key, all bound to the arrays of the default
bucket's module (``bind(shared_module=...)``), so that training any bucket trains
them all. A batch says which bucket it needs with ``bucket_key`` (and its shapes with
``provide_data`` / ``provide_label``).

>>> import d2lmini as mx
>>> def sym_gen(seq_len):
...     data = mx.sym.var('data')
...     pooled = mx.sym.sum(data, axis=1, keepdims=True)     # any length becomes 1
...     out = mx.sym.FullyConnected(pooled, num_hidden=2, name='fc')
...     return out, ('data',), None
>>> mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=5)
>>> mod.bind(data_shapes=[('data', (4, 5))])
>>> mod.init_params()
>>> batch = mx.io.DataBatch([mx.nd.ones((4, 3))], bucket_key=3,
...                         provide_data=[mx.io.DataDesc('data', (4, 3))])
>>> mod.forward(batch, is_train=False)
>>> mod.get_outputs()[0].shape, sorted(mod._buckets)
((4, 2), [3, 5])
>>> mod._buckets[3]._exec_group.execs[0].arg_dict['fc_weight'] is \\
...     mod._buckets[5]._exec_group.execs[0].arg_dict['fc_weight']
True
"""
import logging

from .. import context as ctx
from ..initializer import Uniform
from .base_module import BaseModule, _require
from .module import Module

__all__ = ['BucketingModule']


def _from_current(name, before_bind=None):
    """A read-only property answered by the current bucket's module. Before ``bind``
    it is an error, unless ``before_bind`` computes the answer from what ``sym_gen``
    gives for the default bucket."""
    def read(self):
        if self.binded:
            return getattr(self._curr_module, name)
        _require(before_bind is not None, f'{name}: call bind() first')
        return before_bind(*self._generate(self._default_bucket_key))
    return property(read, doc=f"The current bucket's ``{name}``.")


class BucketingModule(BaseModule):
    """Modules made by ``sym_gen`` per bucket key (see the module's docstring).

    sym_gen : ``bucket_key -> (symbol, data_names, label_names)``
    default_bucket_key : the key of the largest bucket; its module holds the
        parameters the others share
    context, work_load_list, fixed_param_names, state_names, group2ctxs,
    compression_params : as for :class:`~d2lmini.module.Module`
    """

    def __init__(self, sym_gen, default_bucket_key=None, logger=logging, context=ctx.cpu(),
                 work_load_list=None, fixed_param_names=None, state_names=None,
                 group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise AssertionError('BucketingModule needs a default_bucket_key')
        self._sym_gen, self._default_bucket_key = sym_gen, default_bucket_key
        self._generate(default_bucket_key)   # a broken sym_gen fails here, not at bind
        # what every bucket's Module is created with, besides its own symbol and names
        self._module_kwargs = dict(
            context=context, work_load_list=work_load_list,
            fixed_param_names=list(fixed_param_names or []),
            state_names=list(state_names or []), group2ctxs=group2ctxs,
            compression_params=compression_params)
        self._buckets = {}           # bucket key -> its bound Module
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False   # updated since the current module last synced
        self._monitor = None
        self._grad_req = None

    def _generate(self, bucket_key):
        """``sym_gen(bucket_key)``, checked to be ``(symbol, data_names, label_names)``."""
        generated = self._sym_gen(bucket_key)
        if isinstance(generated, tuple) and len(generated) == 3:
            return generated
        raise TypeError('sym_gen must return (symbol, data_names, label_names), got '
                        f'{type(generated).__name__}')

    def _new_module(self, bucket_key):
        symbol, data_names, label_names = self._generate(bucket_key)
        return Module(symbol, data_names, label_names, logger=self.logger,
                      **self._module_kwargs)

    def _active(self, what, optimizer=False):
        """The current bucket's module, after checking that bind and init_params (and
        with ``optimizer``, init_optimizer) were called."""
        _require(self.binded and self.params_initialized,
                 f'{what}: call bind() and init_params() first')
        _require(self.optimizer_initialized or not optimizer,
                 f'{what}: call init_optimizer() first')
        return self._curr_module

    # ------------------------------------------------------------ what the current bucket has
    symbol = _from_current('symbol')
    data_shapes = _from_current('data_shapes')
    label_shapes = _from_current('label_shapes')
    output_shapes = _from_current('output_shapes')
    data_names = _from_current('data_names', lambda sym, data, label: list(data or []))
    output_names = _from_current('output_names', lambda sym, data, label: sym.list_outputs())

    # ------------------------------------------------------------ parameters
    def get_params(self):
        """``(arg_params, aux_params)``, shared by every bucket."""
        current = self._active('get_params')
        # another bucket may have done the updates: make the current one re-read them
        current._params_dirty = self._params_dirty
        self._params_dirty = False
        return current.get_params()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the shared parameters (see :meth:`Module.set_params`)."""
        if not allow_missing:   # every value given: the same as init_params
            self.init_params(None, arg_params, aux_params, allow_missing=False,
                             allow_extra=allow_extra, force_init=force_init)
            return
        if not force_init and self.params_initialized:
            self.logger.warning('Parameters already initialized and force_init=False. '
                                'set_params call ignored.')
            return
        self._curr_module.set_params(arg_params, aux_params, allow_missing=True,
                                     allow_extra=allow_extra, force_init=force_init)
        self._params_set(dirty=True)

    def _params_set(self, dirty):
        # ``dirty``: the current module's copies must be re-read from the executors
        self._params_dirty = dirty
        self.params_initialized = True

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise the parameters (in the current module, whose arrays every
        bucket shares)."""
        if not force_init and self.params_initialized:
            return   # silently, as MXNet does
        _require(self.binded, 'init_params: call bind() first')
        self._curr_module.init_params(initializer, arg_params, aux_params,
                                      force_init=force_init, allow_missing=allow_missing,
                                      allow_extra=allow_extra)
        self._params_set(dirty=False)

    def get_states(self, merge_multi_context=True):
        """The state inputs' values in the current bucket."""
        return self._active('get_states').get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        """Set the state inputs of the current bucket."""
        self._active('set_states').set_states(states, value)

    # ------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Bind the default bucket's module for these shapes (the largest bucket's)::

            mod.bind(data_shapes=[('data', (32, 60))], label_shapes=[('label', (32, 60))])
        """
        # values already there survive a re-bind (read before the modules go)
        saved = self.get_params() if self.params_initialized else None
        if force_rebind:
            self.binded = False
            self._buckets = {}
            self._curr_module = self._curr_bucket_key = None
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if shared_module is not None:
            raise AssertionError('shared_module for BucketingModule is not supported')
        self.binded = True
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        self._grad_req = grad_req
        default = self._new_module(self._default_bucket_key)
        default.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                     force_rebind=False, shared_module=None, grad_req=grad_req)
        self._buckets = {self._default_bucket_key: default}
        self._curr_module, self._curr_bucket_key = default, self._default_bucket_key
        if saved is not None:
            self.set_params(*saved)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make ``bucket_key``'s module the current one; the first time, create it and
        bind it onto the default bucket's arrays (so that it shares the parameters,
        the optimizer and any monitor)."""
        _require(self.binded, 'switch_bucket: call bind() first')
        if bucket_key not in self._buckets:
            default = self._buckets[self._default_bucket_key]
            fresh = self._new_module(bucket_key)
            fresh.bind(data_shapes, label_shapes, self._curr_module.for_training,
                       self._curr_module.inputs_need_grad, force_rebind=False,
                       shared_module=default, grad_req=self._grad_req)
            if self._monitor is not None:
                fresh.install_monitor(self._monitor)
            if self.optimizer_initialized:
                fresh.borrow_optimizer(default)
            self._buckets[bucket_key] = fresh
        self._curr_module, self._curr_bucket_key = self._buckets[bucket_key], bucket_key

    # ------------------------------------------------------------ training
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """One optimizer for every bucket (made by the current module, borrowed by
        the others)."""
        owner = self._active('init_optimizer')
        if not force_init and self.optimizer_initialized:
            self.logger.warning('optimizer already initialized, ignoring.')
            return
        owner.init_optimizer(kvstore, optimizer, optimizer_params, force_init=force_init)
        for module in self._buckets.values():
            if module is not owner:
                module.borrow_optimizer(owner)
        self.optimizer_initialized = True

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Bind the batch's bucket ahead of ``forward`` (the current bucket stays)."""
        self._active('prepare')
        bucket_key = getattr(data_batch, 'bucket_key', None)
        if bucket_key is None:
            return
        keep = self._curr_bucket_key
        self.switch_bucket(bucket_key, data_batch.provide_data, data_batch.provide_label)
        self.switch_bucket(keep, None, None)

    def forward(self, data_batch, is_train=None):
        """Run the batch through its bucket's module (``data_batch.bucket_key``; the
        default bucket when the batch has none)."""
        self._active('forward')
        bucket_key = getattr(data_batch, 'bucket_key', None)
        if bucket_key is None:
            bucket_key = self._default_bucket_key
        provide_data = getattr(data_batch, 'provide_data', None)
        if provide_data is None and bucket_key not in self._buckets:
            raise ValueError(f'forward: bucket {bucket_key!r} is new; the batch must carry '
                             'provide_data (and provide_label) to bind it')
        self.switch_bucket(bucket_key, provide_data, getattr(data_batch, 'provide_label', None))
        self._curr_module.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        """Backward through the current bucket (the last one run forward)."""
        self._active('backward').backward(out_grads=out_grads)

    def update(self):
        """One optimizer step (the parameters are shared by every bucket)."""
        current = self._active('update', optimizer=True)
        self._params_dirty = True
        current.update()

    def get_outputs(self, merge_multi_context=True):
        """The current bucket's outputs."""
        return self._active('get_outputs').get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The current bucket's input gradients (bind with ``inputs_need_grad=True``)."""
        current = self._active('get_input_grads')
        _require(self.inputs_need_grad, 'get_input_grads: bind with inputs_need_grad=True')
        return current.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the current bucket's outputs."""
        self._active('update_metric').update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` on every bucket, present and future."""
        _require(self.binded, 'install_monitor: call bind() first')
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)
