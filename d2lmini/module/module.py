"""Module: a Symbol bound to executors (one per context), with its parameters and an
optimizer.

The usual life: ``Module(symbol)`` -> ``bind(data_shapes, label_shapes)`` ->
``init_params()`` -> ``init_optimizer()`` -> per batch ``forward``, ``backward``,
``update``; :meth:`~d2lmini.module.base_module.BaseModule.fit` does all of it.

>>> import numpy as np
>>> import d2lmini as mx
>>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2,
...                                                  name='fc'), name='softmax')
>>> mod = mx.mod.Module(net, context=mx.cpu())
>>> mod.bind(data_shapes=[('data', (4, 3))], label_shapes=[('softmax_label', (4,))])
>>> mod.init_params(mx.init.Xavier())
>>> mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.1})
>>> batch = mx.io.DataBatch([mx.nd.ones((4, 3))], [mx.nd.array([0, 1, 0, 1])])
>>> mod.forward(batch, is_train=True); mod.backward(); mod.update()
>>> mod.output_shapes
[('softmax_output', (4, 2))]
"""
import logging
import warnings
from collections import OrderedDict

from .. import context as ctx
from .. import ndarray as nd
from .. import optimizer as opt
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import (load_checkpoint, save_checkpoint, _create_kvstore, _initialize_kvstore,
                     _update_params_on_kvstore)
from ..fileio import write_bytes_atomically
from .base_module import BaseModule, _check_input_names, _parse_data_desc, _require


def _split_input_slice(batch_size, work_load_list):
    """How a batch is cut between devices, in proportion to their work loads."""
    total = sum(work_load_list)
    nums = [round(w * batch_size / total) for w in work_load_list]
    if sum(nums) < batch_size:
        nums[-1] += batch_size - sum(nums)
    slices, end = [], 0
    for num in nums:
        begin = int(min(end, batch_size))
        end = int(min(begin + num, batch_size))
        if begin >= end:
            raise ValueError('Too many slices. Some splits are empty.')
        slices.append(slice(begin, end))
    return slices


def _slice(arr, axis, s):
    if axis == 0:
        return arr[s.start:s.stop]
    return nd.slice_axis(arr, axis=axis, begin=s.start, end=s.stop)


def _as_ndarray(x, what):
    if isinstance(x, nd.NDArray):
        return x
    try:
        return nd.array(x)
    except Exception:
        raise TypeError(f'{what} must be NDArrays, got {type(x).__name__}') from None


class _ExecutorGroup:
    """One executor per context, each given its slice of every batch."""

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, fixed_param_names, grad_req):
        self.symbol = symbol
        self.contexts = contexts
        self.workload = workload
        self.param_names = param_names
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.output_names = symbol.list_outputs()
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.fixed_param_names = list(fixed_param_names or [])
        if not for_training:
            grad_req = 'null'
        data_names = [x.name for x in data_shapes]
        if isinstance(grad_req, str):
            self.grad_req = {}
            for k in self.arg_names:
                if k in param_names:
                    self.grad_req[k] = 'null' if k in self.fixed_param_names else grad_req
                elif k in data_names:
                    self.grad_req[k] = grad_req if inputs_need_grad else 'null'
                else:
                    self.grad_req[k] = 'null'
        elif isinstance(grad_req, (list, tuple)):
            if len(grad_req) != len(self.arg_names):
                raise AssertionError(f'grad_req has {len(grad_req)} entries for '
                                     f'{len(self.arg_names)} arguments')
            self.grad_req = dict(zip(self.arg_names, grad_req))
        elif isinstance(grad_req, dict):
            self.grad_req = {}
            for k in self.arg_names:
                if k in param_names:
                    self.grad_req[k] = 'null' if k in self.fixed_param_names else 'write'
                elif k in data_names:
                    self.grad_req[k] = 'write' if inputs_need_grad else 'null'
                else:
                    self.grad_req[k] = 'null'
            self.grad_req.update(grad_req)
        else:
            raise ValueError('grad_req must be one of str, list, tuple, or dict.')
        # an output's batch axis, from its __layout__ attribute (default: axis 0)
        self.output_layouts = [DataDesc.get_batch_axis(symbol[i].attr('__layout__'))
                               for i in range(len(self.output_names))]
        self.execs = []
        self._default_execs = None
        self.bind_exec(data_shapes, label_shapes)

    def _decide_slices(self, shapes):
        axes = [DataDesc.get_batch_axis(x.layout) for x in shapes]
        for (name, shape), axis in zip(shapes, axes):
            if axis == -1:
                continue
            if self.batch_size is None:
                self.batch_size = shape[axis]
                self.slices = _split_input_slice(self.batch_size, self.workload)
            elif shape[axis] != self.batch_size:
                raise AssertionError(f'all data must have the same batch size: batch_size = '
                                     f'{self.batch_size}, but {name} has shape {shape}')
        return axes

    def _sliced(self, shapes, i, axes):
        out = []
        for desc, axis in zip(shapes, axes):
            shape = list(desc.shape)
            if axis >= 0:
                shape[axis] = self.slices[i].stop - self.slices[i].start
            out.append(DataDesc(desc.name, tuple(shape), desc.dtype, desc.layout))
        return out

    def bind_exec(self, data_shapes, label_shapes, reshape=False):
        self.batch_size = None
        self.slices = None
        self.data_layouts = self._decide_slices(data_shapes)
        self.label_layouts = self._decide_slices(label_shapes) if label_shapes else []
        for i, context in enumerate(self.contexts):
            shapes = self._sliced(data_shapes, i, self.data_layouts)
            if label_shapes:
                shapes += self._sliced(label_shapes, i, self.label_layouts)
            if reshape:
                self.execs[i] = self._default_execs[i].reshape(
                    allow_up_sizing=True, **{d.name: d.shape for d in shapes})
            else:
                types = {d.name: d.dtype for d in shapes}
                self.execs.append(self.symbol.simple_bind(
                    ctx=context, grad_req=self.grad_req, type_dict=types,
                    **{d.name: d.shape for d in shapes}))
        self.data_shapes = data_shapes
        self.label_shapes = label_shapes
        self.data_names = [d.name for d in data_shapes]
        self.label_names = [d.name for d in label_shapes] if label_shapes else []
        self._collect_arrays()

    def _collect_arrays(self):
        self.data_arrays = [[(self.slices[i], e.arg_dict[name]) for i, e in enumerate(self.execs)]
                            for name in self.data_names]
        self.label_arrays = [[(self.slices[i], e.arg_dict[name])
                              for i, e in enumerate(self.execs)]
                             for name in self.label_names] if self.label_shapes else None
        positions = [i for i, n in enumerate(self.arg_names) if n in self.param_names]
        self.param_arrays = [[e.arg_arrays[i] for e in self.execs] for i in positions]
        self.grad_arrays = ([[e.grad_arrays[i] for e in self.execs] for i in positions]
                            if self.for_training else None)
        self.input_grad_arrays = ([[e.grad_arrays[self.arg_names.index(n)] for e in self.execs]
                                   for n in self.data_names if n in self.arg_names]
                                  if self.inputs_need_grad else None)
        self.aux_arrays = [[e.aux_arrays[i] for e in self.execs]
                           for i in range(len(self.aux_names))]

    def reshape(self, data_shapes, label_shapes):
        if data_shapes == self.data_shapes and label_shapes == self.label_shapes:
            return
        if self._default_execs is None:
            self._default_execs = list(self.execs)
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    def set_params(self, arg_params, aux_params, allow_extra=False):
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Copy the executors' values (averaged over devices) into the dicts' arrays."""
        for names, blocks, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                if len(block) == 1:
                    weight = block[0]
                else:
                    weight = sum(w.copyto(ctx.cpu()) for w in block) / len(block)
                weight.astype(target[name].dtype).copyto(target[name])

    def _load(self, sources, targets, axes, what):
        if len(sources) != len(targets):
            raise ValueError(f'forward: the batch has {len(sources)} {what} array(s) but the '
                             f'module was bound with {len(targets)}')
        for src, dsts, axis in zip(sources, targets, axes):
            src = _as_ndarray(src, what)
            for s, dst in dsts:
                part = src if (axis < 0 or (s.start == 0 and src.shape[axis] == s.stop)) \
                    else _slice(src, axis, s)
                if part.shape != dst.shape:
                    raise ValueError(f'forward: {what} of shape {src.shape} does not fit the '
                                     f'bound shape; the executor holds {dst.shape}')
                part.copyto(dst)

    def forward(self, data_batch, is_train=None):
        self._load(data_batch.data, self.data_arrays, self.data_layouts, 'data')
        if is_train is None:
            is_train = self.for_training
        if self.label_arrays is not None and data_batch.label:
            self._load(data_batch.label, self.label_arrays, self.label_layouts, 'label')
        for exe in self.execs:
            exe.forward(is_train=is_train)

    def get_output_shapes(self):
        shapes = []
        for key, out, axis in zip(self.output_names, self.execs[0].outputs,
                                  self.output_layouts):
            shape = list(out.shape)
            if axis >= 0:
                shape[axis] = self.batch_size
            shapes.append((key, tuple(shape)))
        return shapes

    def _merge(self, per_output, axes):
        merged = []
        for tensors, axis in zip(per_output, axes):
            if axis >= 0 and len(tensors) > 1:
                merged.append(nd.concat(*[t.as_in_context(tensors[0].context)
                                          for t in tensors], dim=axis))
            else:
                merged.append(tensors[0])
        return merged

    def get_outputs(self, merge_multi_context=True):
        outputs = [[e.outputs[i] for e in self.execs] for i in range(len(self.output_names))]
        return self._merge(outputs, self.output_layouts) if merge_multi_context else outputs

    def get_input_grads(self, merge_multi_context=True):
        if merge_multi_context:
            return self._merge(self.input_grad_arrays, self.data_layouts)
        return self.input_grad_arrays

    def backward(self, out_grads=None):
        _require(self.for_training, 're-bind with for_training=True to run backward')
        if out_grads is None:
            out_grads = []
        elif isinstance(out_grads, nd.NDArray):
            out_grads = [out_grads]
        for i, (exe, s) in enumerate(zip(self.execs, self.slices)):
            grads = [_slice(g, axis, s).as_in_context(self.contexts[i]) if axis >= 0
                     else g.copyto(self.contexts[i])
                     for g, axis in zip(out_grads, self.output_layouts)]
            exe.backward(out_grads=grads or None)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        for k, (exe, s) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                labels_slice = labels[k]
            elif len(self.execs) == 1:
                labels_slice = list(labels)
            else:
                labels_slice = [_slice(lb, axis, s) if axis >= 0 else lb
                                for lb, axis in zip(labels, self.label_layouts)]
            eval_metric.update_dict(OrderedDict(zip(self.label_names, labels_slice)),
                                    OrderedDict(zip(self.output_names, exe.outputs)))

    def install_monitor(self, mon):
        for exe in self.execs:
            mon.install(exe)


class Module(BaseModule):
    """A symbol bound to data, with its parameters and optimizer.

    symbol : the network (often ending in a loss such as ``SoftmaxOutput``)
    data_names, label_names : which arguments of ``symbol`` are fed from the data
        and from the labels; every other argument is a parameter
    context : a Context or a list of them (each gets a part of every batch, in
        proportion to ``work_load_list``)
    fixed_param_names : parameters that are not trained

    >>> import d2lmini as mx
    >>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'),
    ...                                                  num_hidden=4, name='fc'),
    ...                            name='softmax')
    >>> mx.mod.Module(net).output_names
    ['softmax_output']
    """

    def __init__(self, symbol, data_names=('data',), label_names=('softmax_label',),
                 logger=logging, context=ctx.cpu(), work_load_list=None,
                 fixed_param_names=None, state_names=None, group2ctxs=None,
                 compression_params=None):
        super().__init__(logger=logger)
        if isinstance(context, ctx.Context):
            context = [context]
        self._context = list(context)
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise AssertionError(f'work_load_list has {len(work_load_list)} entries for '
                                 f'{len(self._context)} contexts')
        self._work_load_list = work_load_list
        self._symbol = symbol
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        _check_input_names(symbol, data_names, 'data', True)
        _check_input_names(symbol, label_names, 'label', False)
        _check_input_names(symbol, state_names, 'state', True)
        _check_input_names(symbol, fixed_param_names, 'fixed_param', True)
        arg_names = symbol.list_arguments()
        input_names = data_names + label_names + state_names
        self._param_names = [x for x in arg_names if x not in input_names]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = False
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # ------------------------------------------------------------ checkpoints
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module made from checkpoint ``prefix`` at ``epoch`` (its parameters are set
        once it is bound); ``kwargs`` go to ``Module``. With
        ``load_optimizer_states``, ``prefix-%04d.states`` is read by ``init_optimizer``."""
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = '%s-%04d.states' % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and, if asked,
        ``prefix-%04d.states`` (the optimizer's)."""
        arg_params, aux_params = self.get_params()
        save_checkpoint(prefix, epoch, self._symbol, arg_params, aux_params,
                        remove_amp_cast=remove_amp_cast)
        if save_optimizer_states:
            state_name = '%s-%04d.states' % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # ------------------------------------------------------------ descriptions
    @property
    def data_names(self):
        """The names of the data inputs."""
        return self._data_names

    @property
    def label_names(self):
        """The names of the label inputs."""
        return self._label_names

    @property
    def output_names(self):
        """The names of the outputs."""
        return self._output_names

    @property
    def data_shapes(self):
        """The :class:`DataDesc` of each data input, once bound."""
        _require(self.binded, 'data_shapes: call bind() first')
        return self._data_shapes

    @property
    def label_shapes(self):
        """The :class:`DataDesc` of each label input (None if bound without labels)."""
        _require(self.binded, 'label_shapes: call bind() first')
        return self._label_shapes

    @property
    def output_shapes(self):
        """``[(name, shape)]`` of the outputs, once bound."""
        _require(self.binded, 'output_shapes: call bind() first')
        if not self._exec_group.execs[0].outputs:   # before any forward: infer them
            shapes = {d.name: d.shape for d in self._data_shapes + (self._label_shapes or [])}
            _, out_shapes, _ = self._symbol.infer_shape(**shapes)
            return list(zip(self._output_names, out_shapes))
        return self._exec_group.get_output_shapes()

    # ------------------------------------------------------------ parameters
    def get_params(self):
        """``(arg_params, aux_params)``: dicts name -> NDArray (copies on the CPU of
        the values the executors hold)."""
        _require(self.params_initialized, 'get_params: call init_params() first')
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Give every parameter its first value: from ``arg_params`` / ``aux_params``
        where they have it, else from ``initializer``, which is called with an
        ``InitDesc`` carrying the parameter's name and attributes (so ``Xavier``
        leaves biases at zero and BatchNorm's moving variance at one).

        allow_missing : parameters missing from the dicts are initialised instead of
            being an error
        force_init : initialise again even if done before
        """
        if self.params_initialized and not force_init:
            warnings.warn('Parameters already initialized and force_init=False. '
                          'init_params call ignored.', stacklevel=2)
            return
        _require(self.binded, 'call bind before initializing the parameters')

        def _impl(name, arr, cache):
            if cache is not None:
                if name in cache:
                    cache_arr = cache[name]
                    if cache_arr is not arr:
                        if cache_arr.shape != arr.shape:
                            raise ValueError(f'init_params: {str(name)!r} has shape '
                                             f'{cache_arr.shape} in the given params but the '
                                             f'module needs {arr.shape}')
                        cache_arr.copyto(arr)
                else:
                    if not allow_missing:
                        raise RuntimeError(f'{name} is not presented')
                    if initializer is not None:
                        initializer(name, arr)
            else:
                if initializer is None:
                    raise RuntimeError(f'{name} is not presented')
                initializer(name, arr)

        attrs = self._symbol.attr_dict()
        for name, arr in sorted(self._arg_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params,
                                    allow_extra=allow_extra)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the parameters from dicts name -> NDArray (``allow_extra``: names the
        module does not have are ignored instead of an error)."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn('Parameters already initialized and force_init=False. '
                          'set_params call ignored.', stacklevel=2)
            return
        _require(self.binded, 'set_params: call bind() first')
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        self._params_dirty = True   # the executors hold values self._arg_params lacks
        self.params_initialized = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # ------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Allocate executors for inputs of the given shapes: lists of
        ``(name, shape)`` or :class:`DataDesc` (an iterator's ``provide_data`` and
        ``provide_label``). ``for_training=False`` binds for inference only;
        ``inputs_need_grad`` also computes the gradients of the data."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if not for_training and inputs_need_grad:
            raise AssertionError('inputs_need_grad needs for_training=True')
        shared_group = None
        if shared_module is not None:
            # MXNet 1.x's sharing (BucketingModule's buckets): the parameters are the
            # shared module's own arrays, so training either trains both
            _require(isinstance(shared_module, Module) and shared_module.binded and
                     shared_module.params_initialized,
                     'bind: shared_module must be a Module that is bound and has '
                     'initialized parameters')
            shared_group = shared_module._exec_group
            _require(len(shared_group.execs) == len(self._context),
                     'bind: shared_module runs on another number of contexts')
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)
        from .executor_group import DataParallelExecutorGroup
        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad,
            shared_group=shared_group, logger=self.logger,
            fixed_param_names=self._fixed_param_names, grad_req=grad_req,
            state_names=self._state_names)
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # re-binding (or a loaded checkpoint): the executors get the values known
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            self._arg_params = {name: nd.zeros(x[0].shape, dtype=x[0].dtype)
                                for name, x in zip(self._param_names,
                                                   self._exec_group.param_arrays)}
            self._aux_params = {name: nd.zeros(x[0].shape, dtype=x[0].dtype)
                                for name, x in zip(self._aux_names,
                                                   self._exec_group.aux_arrays)}
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Re-bind for new input shapes, keeping the parameters."""
        _require(self.binded, 'reshape: call bind() first')
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # ------------------------------------------------------------ optimizer
    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Set up ``optimizer`` (a name and its ``optimizer_params``, or an Optimizer).

        As in MXNet, an optimizer made from a name gets ``rescale_grad = 1 /
        batch_size`` (gradients are sums over the batch), learning-rate and
        weight-decay multipliers from the symbol's ``__lr_mult__`` / ``__wd_mult__``
        attributes, and no weight decay on parameters not named ``*_weight`` or
        ``*_gamma``."""
        self._check_ready('init_optimizer')
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring...')
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        n_dev = len(self._context)
        kv, update_on_kvstore = _create_kvstore(kvstore, n_dev, self._arg_params)
        batch_size = self._exec_group.batch_size
        rescale_grad = 1.0 / batch_size
        param_names = self._exec_group.param_names
        if update_on_kvstore:
            # the store updates each weight once, under its name, as in MXNet
            idx2name = dict(enumerate(param_names))
        else:
            # each device's copy of a weight is its own index, as in MXNet
            idx2name = {}
            for k in range(n_dev):
                idx2name.update({i * n_dev + k: n for i, n in enumerate(param_names)})
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            optimizer_params.setdefault('rescale_grad', rescale_grad)
            optimizer = opt.create(optimizer, param_idx2name=idx2name, **optimizer_params)
            lr_mult, wd_mult = self._symbol_multipliers()
            if lr_mult:
                optimizer.set_lr_mult(lr_mult)
            if wd_mult:
                optimizer.set_wd_mult(wd_mult)
        else:
            if not isinstance(optimizer, opt.Optimizer):
                raise AssertionError('optimizer must be a name or an Optimizer, not '
                                     f'{type(optimizer).__name__}')
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn('Optimizer created manually outside Module but rescale_grad is '
                              'not normalized to 1.0/batch_size/num_workers '
                              f'({optimizer.rescale_grad} vs. {rescale_grad}). Is this '
                              'intended?', stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        self._optimizer = optimizer
        self._kvstore = kv
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kv is not None:
            _initialize_kvstore(kv, self._exec_group.param_arrays, self._arg_params,
                                param_names, update_on_kvstore)
        if update_on_kvstore:
            kv.set_optimizer(optimizer)
        else:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer (and its states and KVStore), as the
        buckets of a :class:`~d2lmini.module.BucketingModule` do."""
        _require(shared_module.optimizer_initialized,
                 'borrow_optimizer: the shared module has no optimizer yet')
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def get_states(self, merge_multi_context=True):
        """The values of the state inputs (``state_names``): a list per state, one
        array per device, or merged along the batch axis."""
        _require(self.binded and self.params_initialized, 'get_states: bind and '
                 'initialize first')
        states = [[e.arg_dict[name] for e in self._exec_group.execs]
                  for name in self._state_names]
        if merge_multi_context:
            return [nd.concat(*[s.as_in_context(per_dev[0].context) for s in per_dev], dim=0)
                    if len(per_dev) > 1 else per_dev[0] for per_dev in states]
        return states

    def set_states(self, states=None, value=None):
        """Set the state inputs (``state_names``) from ``states`` (a list per state of
        one array per device, as ``get_states(merge_multi_context=False)`` gives) or
        to the number ``value``: exactly one of the two.

        >>> import d2lmini as mx
        >>> net = mx.sym.var('data') + mx.sym.var('h')
        >>> mod = mx.mod.Module(net, label_names=None, state_names=['h'])
        >>> mod.bind(data_shapes=[('data', (2, 3))], for_training=False)
        >>> mod.init_params()
        >>> mod.set_states(value=1)
        >>> mod.forward(mx.io.DataBatch([mx.nd.ones((2, 3))]))
        >>> mod.get_outputs()[0].asnumpy()[0]
        array([2., 2., 2.], dtype=float32)
        """
        _require(self.binded and self.params_initialized, 'set_states: bind and '
                 'initialize first')
        if (states is None) == (value is None):
            raise ValueError('set_states: give either states or value, not both or neither')
        execs = self._exec_group.execs
        for k, name in enumerate(self._state_names):
            for i, exe in enumerate(execs):
                target = exe.arg_dict[name]
                if value is not None:
                    target[:] = value
                else:
                    states[k][i].copyto(target)

    def _symbol_multipliers(self):
        attrs = self._symbol.attr_dict()
        lr, wd = {}, {}
        for name in self._symbol.list_arguments():
            a = attrs.get(name, {})
            if '__lr_mult__' in a:
                lr[name] = float(a['__lr_mult__'])
            if '__wd_mult__' in a:
                wd[name] = float(a['__wd_mult__'])
        return lr, wd

    def save_optimizer_states(self, fname):
        """Write the optimizer's states (momentum, ...) to ``fname``, atomically."""
        _require(self.optimizer_initialized, 'save_optimizer_states: call init_optimizer() '
                 'first')
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
        else:
            write_bytes_atomically(fname, self._updater.get_states())

    def load_optimizer_states(self, fname):
        """Read optimizer states written by :meth:`save_optimizer_states`."""
        _require(self.optimizer_initialized, 'load_optimizer_states: call init_optimizer() '
                 'first')
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            return
        with open(fname, 'rb') as f:
            self._updater.set_states(f.read())

    # ------------------------------------------------------------ computing
    def forward(self, data_batch, is_train=None):
        """Run the network on ``data_batch`` (a DataBatch); ``is_train`` defaults to
        how the module was bound. A batch of another shape re-binds (reshapes)
        the executors first."""
        self._check_ready('forward')
        if isinstance(data_batch, list):
            raise NotImplementedError('forward: a list of DataBatch is not supported by '
                                      'd2lmini; pass one DataBatch')
        if not data_batch.data or len(data_batch.data) != len(self._data_shapes):
            raise ValueError(f'forward: the batch has {len(data_batch.data or [])} data '
                             f'array(s) but the module takes {len(self._data_shapes)} '
                             f'({self._data_names})')
        curr = tuple(d.shape for d in self._data_shapes)
        new = tuple(_as_ndarray(d, 'data').shape for d in data_batch.data)
        if curr != new:
            if getattr(data_batch, 'provide_data', None):
                new_dshape = data_batch.provide_data
            else:
                new_dshape = [DataDesc(d.name, shape, d.dtype, d.layout)
                              for d, shape in zip(self._data_shapes, new)]
            if getattr(data_batch, 'provide_label', None):
                new_lshape = data_batch.provide_label
            elif getattr(data_batch, 'label', None) and self._label_shapes:
                new_lshape = [DataDesc(d.name, lb.shape, d.dtype, d.layout)
                              for d, lb in zip(self._label_shapes, data_batch.label)]
            elif self._label_shapes:
                # no labels given: the label inputs follow the data's batch size
                bs = new[0][0]
                new_lshape = [DataDesc(d.name, (bs,) + tuple(d.shape[1:]), d.dtype, d.layout)
                              for d in self._label_shapes]
            else:
                new_lshape = None
            self.reshape(new_dshape, new_lshape)
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        """Gradients of the last forward (run with ``is_train=True``)."""
        self._check_ready('backward')
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """One optimizer step on every trained parameter, from the gradients of the
        last backward (summed over devices)."""
        self._check_ready('update')
        _require(self.optimizer_initialized, 'update: call init_optimizer() first')
        self._params_dirty = True
        n_dev = len(self._context)
        updates = [[] for _ in range(n_dev)]
        group = self._exec_group
        if self._update_on_kvstore:
            _update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kvstore,
                                      group.param_names)
            return
        for i, (args, grads) in enumerate(zip(group.param_arrays, group.grad_arrays)):
            if grads[0] is None:
                continue
            if n_dev > 1:   # what a local KVStore does: every device gets the sum
                total = grads[0].copyto(ctx.cpu())
                for g in grads[1:]:
                    total += g.copyto(ctx.cpu())
                grads = [total.as_in_context(g.context) for g in grads]
            for k, (w, g) in enumerate(zip(args, grads)):
                updates[k].append((i * n_dev + k, g, w))
        for dev_updates in updates:
            if dev_updates:
                index, grad, weight = zip(*dev_updates)
                self._updater(list(index), list(grad), list(weight))

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward (a list of NDArrays)."""
        self._check_ready('get_outputs')
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._check_ready('get_input_grads')
        _require(self.inputs_need_grad, 'get_input_grads: bind with inputs_need_grad=True')
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Add the last forward's outputs and ``labels`` to ``eval_metric``. As in
        MXNet, a padded batch's padding examples are counted."""
        _require(self.binded, 'update_metric: call bind() and forward() first')
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        _require(self.binded, 'install_monitor: call bind() first')
        self._exec_group.install_monitor(mon)
