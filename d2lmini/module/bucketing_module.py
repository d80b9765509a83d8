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
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        self._fixed_param_names = fixed_param_names
        self._state_names = state_names
        self._context = context
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs
        self._compression_params = compression_params
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None

    def _call_sym_gen(self, bucket_key):
        out = self._sym_gen(bucket_key)
        if not isinstance(out, tuple) or len(out) != 3:
            raise TypeError('sym_gen must return (symbol, data_names, label_names), got '
                            f'{type(out).__name__}')
        return out

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    def _new_module(self, bucket_key):
        symbol, data_names, label_names = self._call_sym_gen(bucket_key)
        return Module(symbol, data_names, label_names, logger=self.logger,
                      context=self._context, work_load_list=self._work_load_list,
                      fixed_param_names=self._fixed_param_names,
                      state_names=self._state_names, group2ctxs=self._group2ctxs,
                      compression_params=self._compression_params)

    # ------------------------------------------------------------ what the current bucket has
    @property
    def symbol(self):
        _require(self.binded, 'symbol: call bind() first')
        return self._curr_module.symbol

    @property
    def data_names(self):
        if self.binded:
            return self._curr_module.data_names
        return list(self._call_sym_gen(self._default_bucket_key)[1] or [])

    @property
    def output_names(self):
        if self.binded:
            return self._curr_module.output_names
        return self._call_sym_gen(self._default_bucket_key)[0].list_outputs()

    @property
    def data_shapes(self):
        _require(self.binded, 'data_shapes: call bind() first')
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        _require(self.binded, 'label_shapes: call bind() first')
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        _require(self.binded, 'output_shapes: call bind() first')
        return self._curr_module.output_shapes

    # ------------------------------------------------------------ parameters
    def get_params(self):
        """``(arg_params, aux_params)``, shared by every bucket."""
        _require(self.binded and self.params_initialized, 'get_params: bind and '
                 'initialize first')
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the shared parameters (see :meth:`Module.set_params`)."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            self.logger.warning('Parameters already initialized and force_init=False. '
                                'set_params call ignored.')
            return
        self._curr_module.set_params(arg_params, aux_params, allow_missing=allow_missing,
                                     force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise the parameters (in the default bucket's module, which every
        bucket shares)."""
        if self.params_initialized and not force_init:
            return
        _require(self.binded, 'init_params: call bind() first')
        self._curr_module.init_params(initializer=initializer, arg_params=arg_params,
                                      aux_params=aux_params, allow_missing=allow_missing,
                                      force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        _require(self.binded and self.params_initialized, 'get_states: bind first')
        return self._curr_module.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        _require(self.binded and self.params_initialized, 'set_states: bind first')
        self._curr_module.set_states(states, value)

    # ------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Bind the default bucket's module for these shapes (the largest bucket's)."""
        if self.params_initialized:   # keep the values across a re-bind
            arg_params, aux_params = self.get_params()
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if shared_module is not None:
            raise AssertionError('shared_module for BucketingModule is not supported')
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.binded = True
        self._grad_req = grad_req
        module = self._new_module(self._default_bucket_key)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets[self._default_bucket_key] = module
        if self.params_initialized:
            self.set_params(arg_params, aux_params)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make ``bucket_key``'s module the current one, creating and binding it
        (sharing the default bucket's arrays) the first time."""
        _require(self.binded, 'switch_bucket: call bind() first')
        if bucket_key not in self._buckets:
            module = self._new_module(bucket_key)
            module.bind(data_shapes, label_shapes, self._curr_module.for_training,
                        self._curr_module.inputs_need_grad, force_rebind=False,
                        shared_module=self._buckets[self._default_bucket_key],
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            if self.optimizer_initialized:
                module.borrow_optimizer(self._buckets[self._default_bucket_key])
            self._buckets[bucket_key] = module
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    # ------------------------------------------------------------ training
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """One optimizer for every bucket (made by the current module, borrowed by
        the others)."""
        _require(self.binded and self.params_initialized, 'init_optimizer: bind and '
                 'initialize first')
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring.')
            return
        self._curr_module.init_optimizer(kvstore, optimizer, optimizer_params,
                                         force_init=force_init)
        for module in self._buckets.values():
            if module is not self._curr_module:
                module.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Bind the batch's bucket ahead of ``forward`` (the current bucket stays)."""
        _require(self.binded and self.params_initialized, 'prepare: bind first')
        bucket_key = getattr(data_batch, 'bucket_key', None)
        if bucket_key is None:
            return
        original_key = self._curr_bucket_key
        self.switch_bucket(bucket_key, data_batch.provide_data, data_batch.provide_label)
        self.switch_bucket(original_key, None, None)

    def forward(self, data_batch, is_train=None):
        """Run the batch through its bucket's module (``data_batch.bucket_key``; the
        default bucket when the batch has none)."""
        _require(self.binded and self.params_initialized, 'forward: bind and initialize '
                 'first')
        bucket_key = getattr(data_batch, 'bucket_key', None)
        if bucket_key is None:
            bucket_key = self._default_bucket_key
        provide_data = getattr(data_batch, 'provide_data', None)
        if provide_data is None and bucket_key not in self._buckets:
            raise ValueError(f'forward: bucket {bucket_key!r} is new; the batch must carry '
                             'provide_data (and provide_label) to bind it')
        self.switch_bucket(bucket_key, provide_data, getattr(data_batch, 'provide_label', None))
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        _require(self.binded and self.params_initialized, 'backward: bind first')
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        """One optimizer step (the parameters are shared by every bucket)."""
        _require(self.binded and self.params_initialized and self.optimizer_initialized,
                 'update: bind, initialize and init_optimizer first')
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        _require(self.binded and self.params_initialized, 'get_outputs: bind first')
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        _require(self.binded and self.params_initialized and self.inputs_need_grad,
                 'get_input_grads: bind with inputs_need_grad=True')
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        _require(self.binded and self.params_initialized, 'update_metric: bind first')
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` on every bucket, present and future."""
        _require(self.binded, 'install_monitor: call bind() first')
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)
