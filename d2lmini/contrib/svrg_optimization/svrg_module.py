"""``SVRGModule``: a Module trained with SVRG, stochastic variance-reduced gradient
(Johnson & Zhang, 2013), as MXNet 1.x's ``mx.contrib.svrg_optimization.svrg_module``.

Plain SGD steps along the gradient of one batch, which is noisy. SVRG keeps a
*snapshot* of the weights, ``w~``, and the average batch gradient of the whole
training set at the snapshot, the *full gradient* ``mu``. Each step then uses::

    g(w; batch) - g(w~; batch) + mu

which has the same expectation as ``g(w; batch)`` but a variance that shrinks as
``w`` nears ``w~``. Every ``update_freq`` epochs the snapshot moves to the current
weights and ``mu`` is computed again (:meth:`SVRGModule.update_full_grads`).

The module holds a second :class:`~d2lmini.module.Module` on the same symbol, the
*auxiliary* module, whose parameters are the snapshot: each training forward and
backward runs on both, and :meth:`SVRGModule.update` combines their gradients before
the optimizer (any of d2lmini's, ``'sgd'`` by default) takes its step.

>>> import numpy as np
>>> import d2lmini as mx
>>> x = np.random.RandomState(0).randint(1, 5, (40, 2)).astype('float32')
>>> it = mx.io.NDArrayIter(x, x @ np.array([1., 2.]), batch_size=8,
...                        label_name='lin_reg_label')
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1, name='fc1')
>>> net = mx.sym.LinearRegressionOutput(net, mx.sym.var('lin_reg_label'), name='lro')
>>> mod = SVRGModule(net, label_names=['lin_reg_label'], update_freq=2)
>>> mod.fit(it, eval_metric='mse', num_epoch=20,
...         optimizer_params=(('learning_rate', 0.025),))
>>> mod.score(it, 'mse')[0][1] < 0.05
True
>>> np.round(mod.get_params()[0]['fc1_weight'].asnumpy(), 1)   # near [1, 2]
array([[0.9, 1.9]], dtype=float32)
"""
import logging
import numbers

from ... import context as ctx
from ... import ndarray as nd
from ...module import Module
from ...module.base_module import _require
from .svrg_optimizer import FULL_GRAD_SUFFIX, _SVRGOptimizer

__all__ = ['SVRGModule']


class SVRGModule(Module):
    """A :class:`~d2lmini.module.Module` whose updates follow SVRG (see the module's
    description).

    update_freq : a positive int: ``fit`` takes a new snapshot and full gradient at
        every epoch that is a multiple of it (``update_freq=2``: epochs 0, 2, 4, ...)

    The other arguments are :class:`~d2lmini.module.Module`'s. The usual calls work
    as for a Module; a loop written by hand calls :meth:`update_full_grads` itself::

        for epoch in range(num_epoch):
            if epoch % mod.update_freq == 0:
                mod.update_full_grads(train_iter)
            train_iter.reset()
            for batch in train_iter:
                mod.forward_backward(batch)
                mod.update()

    Where MXNet 1.x's SVRGModule misbehaves, d2lmini's does not: each full gradient
    is computed afresh (MXNet added the previous one, divided by the number of
    batches, into the next); ``init_optimizer`` on several devices leaves the weights
    alone (MXNet overwrote them with zeros until the first update); ``forward`` with
    the default ``is_train`` runs the snapshot too when bound for training (MXNet ran
    it only for ``is_train=True``, so the next ``update`` used a stale gradient); the
    symbol's ``__lr_mult__`` / ``__wd_mult__`` apply as in a Module; and ``fit``
    starting at an epoch that is not a multiple of ``update_freq`` takes its first
    snapshot at once.

    >>> import d2lmini as mx
    >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1, name='fc')
    >>> mod = SVRGModule(net, label_names=None, update_freq=2)
    >>> mod.bind(data_shapes=[('data', (4, 3))])
    >>> mod._mod_aux.binded       # the snapshot's module is bound alongside
    True
    """

    def __init__(self, symbol, data_names=('data',), label_names=('softmax_label',),
                 logger=logging, context=ctx.cpu(), work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None,
                 compression_params=None, update_freq=None):
        super().__init__(symbol, data_names=data_names, label_names=label_names,
                         logger=logger, context=context, work_load_list=work_load_list,
                         fixed_param_names=fixed_param_names, state_names=state_names,
                         group2ctxs=group2ctxs, compression_params=compression_params)
        # (True is an int to Python, but not a number of epochs)
        if not isinstance(update_freq, numbers.Integral) or isinstance(update_freq, bool):
            raise TypeError('update_freq in SVRGModule must be an integer: the number of '
                            'epochs between two computations of the full gradients, got '
                            f'{update_freq!r}')
        if update_freq <= 0:
            raise ValueError('update_freq in SVRGModule must be a positive integer: the '
                             'number of epochs between two computations of the full '
                             f'gradients, got {update_freq}')
        self.update_freq = int(update_freq)
        # the snapshot w~: same symbol, same devices, its own parameters
        self._mod_aux = Module(symbol, data_names=data_names, label_names=label_names,
                               logger=logger, context=context,
                               work_load_list=work_load_list,
                               fixed_param_names=fixed_param_names, state_names=state_names,
                               group2ctxs=group2ctxs, compression_params=compression_params)
        # the full gradient mu, per device: [{name: NDArray}], made by init_optimizer
        self._param_dict = None
        self._ctx_len = len(self._context)

    # ------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Bind as :meth:`Module.bind <d2lmini.module.Module.bind>`; for training, the
        snapshot's module is bound to the same shapes."""
        super().bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                     force_rebind, shared_module, grad_req)
        if for_training:
            self._mod_aux.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                               force_rebind, getattr(shared_module, '_mod_aux', None),
                               grad_req)

    def reshape(self, data_shapes, label_shapes=None):
        """Re-bind both modules for new input shapes, keeping the parameters."""
        super().reshape(data_shapes, label_shapes=label_shapes)
        if self._mod_aux.binded:
            self._mod_aux.reshape(data_shapes, label_shapes=label_shapes)

    # ------------------------------------------------------------ optimizer
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Set up ``optimizer`` (a name with its ``optimizer_params``, or an Optimizer)
        wrapped in an :class:`~d2lmini.contrib.svrg_optimization.svrg_optimizer._SVRGOptimizer`,
        and zero full gradients. With a KVStore, every parameter ``name`` also gets
        the key ``name + '_full'``, where :meth:`update_full_grads` adds up the
        devices' parts."""
        self._check_ready('init_optimizer')
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring...')
            return
        arg_params, _ = self.get_params()
        self._param_dict = self._zero_full_grads(arg_params)
        super().init_optimizer(kvstore=kvstore, optimizer=optimizer,
                               optimizer_params=optimizer_params, force_init=force_init)
        if self._kvstore is not None:
            for name in self._exec_group.param_names:
                self._kvstore.init(name + FULL_GRAD_SUFFIX, nd.zeros(arg_params[name].shape))

    def _zero_full_grads(self, arg_params):
        """``[{name: zeros}]``: one dict per device, an array per parameter."""
        return [{name: nd.zeros(value.shape, ctx=context, dtype=value.dtype)
                 for name, value in arg_params.items()}
                for context in self._context]

    def _make_optimizer(self, optimizer, optimizer_params, idx2name, rescale_grad):
        # the optimizer that trains is made exactly as a Module makes it; the wrapper
        # also knows the indices of the '_full' keys, numbered after the weights'
        default_opt = super()._make_optimizer(optimizer, optimizer_params, idx2name,
                                              rescale_grad)
        with_full = dict(idx2name)
        next_index = max(with_full, default=-1) + 1
        for offset, name in enumerate(self._param_dict[0]):
            with_full[next_index + offset] = name + FULL_GRAD_SUFFIX
        return _SVRGOptimizer(default_opt, param_idx2name=with_full,
                              rescale_grad=default_opt.rescale_grad)

    # ------------------------------------------------------------ the full gradient
    def update_full_grads(self, train_data):
        """Take a new snapshot (the current weights) and compute the full gradient:
        the snapshot's gradient summed over each batch of ``train_data``, averaged
        over the batches (a padded last batch counts as the fraction it fills).
        ``train_data`` is reset first and left at its end."""
        _require(self.optimizer_initialized,
                 'update_full_grads: call init_optimizer() first (fit() does it for you)')
        _require(self._mod_aux.binded,
                 'update_full_grads: bind the SVRGModule with for_training=True')
        arg_params, aux_params = self.get_params()
        self._mod_aux.set_params(arg_params, aux_params)
        param_names = self._exec_group.param_names
        sums = self._zero_full_grads(arg_params)
        num_batches, last_pad = 0, 0
        train_data.reset()
        for batch in train_data:
            self._mod_aux.forward(batch, is_train=True)
            self._mod_aux.backward()
            for i, name in enumerate(param_names):
                for device, grad in enumerate(self._mod_aux._exec_group.grad_arrays[i]):
                    if grad is not None:   # a fixed parameter has no gradient
                        sums[device][name] += grad
            num_batches += 1
            last_pad = batch.pad or 0
        if num_batches == 0:
            raise ValueError('update_full_grads: train_data yielded no batch')
        batch_size = getattr(train_data, 'batch_size', 0) or self._exec_group.batch_size
        batches = num_batches - last_pad / batch_size
        for device_sums in sums:
            for name in device_sums:
                device_sums[name] /= batches
        self._param_dict = sums
        if self._kvstore is not None:
            # the devices (and workers) each saw part of the data: add up in the store
            for name in param_names:
                self._accumulate_kvstore(name, [sums[d][name] for d in range(self._ctx_len)])

    def _accumulate_kvstore(self, key, value):
        """Add the per-device full gradients ``value`` of parameter ``key`` in the
        KVStore (key ``key + '_full'``) and give every device an equal share of the
        total, so that the devices' corrected gradients add up to the whole one."""
        full_key = key + FULL_GRAD_SUFFIX
        self._kvstore.push(full_key, value)
        self._kvstore._barrier()
        self._kvstore.pull(full_key, out=value)
        for device in range(self._ctx_len):
            self._param_dict[device][key] = value[device] / self._ctx_len

    # ------------------------------------------------------------ computing
    def forward(self, data_batch, is_train=None):
        """Forward on ``data_batch``; when training (``is_train``, which defaults to
        how the module was bound), the snapshot's module runs on it too."""
        super().forward(data_batch, is_train)
        training = self.for_training if is_train is None else is_train
        if training and self._mod_aux.binded:
            _require(self._mod_aux.params_initialized,
                     'SVRGModule.forward: there is no snapshot of the weights yet; call '
                     'update_full_grads(train_data) before training (fit() does)')
            self._mod_aux.forward(data_batch, is_train=True)

    def backward(self, out_grads=None):
        """Backward on both modules (``out_grads`` as for a Module)."""
        super().backward(out_grads)
        if self._mod_aux.binded:
            self._mod_aux.backward(out_grads)

    def update(self):
        """Replace each gradient by SVRG's ``g(w) - g(w~) + mu``, then let the
        optimizer take its step as a Module does."""
        self._check_ready('update')
        _require(self.optimizer_initialized, 'update: call init_optimizer() first')
        self._apply_svrg_rule()
        super().update()

    def _apply_svrg_rule(self):
        """Turn the gradients of the last batch into SVRG's, in place, per device."""
        own = self._exec_group.grad_arrays
        snapshot = self._mod_aux._exec_group.grad_arrays
        for i, name in enumerate(self._exec_group.param_names):
            for device, grad in enumerate(own[i]):
                if grad is None:   # a fixed parameter
                    continue
                grad -= snapshot[i][device]
                grad += self._param_dict[device][name]

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Prepare both modules for ``data_batch``."""
        super().prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self._mod_aux.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)

    def _fit_epoch(self, epoch, train_data, *args):
        # a new snapshot every update_freq epochs, and before the first epoch trained
        if epoch % self.update_freq == 0 or not self._mod_aux.params_initialized:
            self.update_full_grads(train_data)
            train_data.reset()
        return super()._fit_epoch(epoch, train_data, *args)
