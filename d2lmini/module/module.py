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
import itertools
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


# ---------------------------------------------------------------- small array helpers
def _batch_slices(batch_size, workloads):
    """Cut ``range(batch_size)`` into one slice per device, sized in proportion to
    ``workloads``; rounding leftovers go to the last device.

    >>> _batch_slices(10, [1, 1, 2])
    [slice(0, 2, None), slice(2, 4, None), slice(4, 10, None)]
    """
    total = sum(workloads)
    sizes = [round(w * batch_size / total) for w in workloads]
    sizes[-1] += max(0, batch_size - sum(sizes))
    edges = [int(min(edge, batch_size)) for edge in itertools.accumulate([0] + sizes)]
    slices = [slice(begin, end) for begin, end in zip(edges, edges[1:])]
    if any(s.start >= s.stop for s in slices):
        raise ValueError(f'Too many slices: a batch of {batch_size} cannot give every one '
                         f'of {len(workloads)} devices an example (some splits are empty)')
    return slices


def _take(array, axis, part):
    """The ``part`` (a slice) of ``array`` along ``axis``."""
    if axis == 0:
        return array[part.start:part.stop]
    return nd.slice_axis(array, axis=axis, begin=part.start, end=part.stop)


def _resized(shape, axis, size):
    """``shape`` with its batch axis set to ``size`` (unchanged when ``axis`` < 0,
    i.e. there is no batch axis)."""
    shape = tuple(shape)
    return shape if axis < 0 else shape[:axis] + (size,) + shape[axis + 1:]


def _concat_devices(arrays, axis):
    """One array from the per-device pieces, joined on the batch axis."""
    if axis < 0 or len(arrays) == 1:
        return arrays[0]
    home = arrays[0].context
    return nd.concat(*[a.as_in_context(home) for a in arrays], dim=axis)


def _sum_on_cpu(arrays):
    total = arrays[0].copyto(ctx.cpu())
    for a in arrays[1:]:
        total += a.copyto(ctx.cpu())
    return total


def _as_ndarray(x, what):
    if isinstance(x, nd.NDArray):
        return x
    try:
        return nd.array(x)
    except Exception:
        raise TypeError(f'{what} must be NDArrays, got {type(x).__name__}') from None


def _grad_req_table(arg_names, param_names, data_names, fixed_names, grad_req,
                    inputs_need_grad):
    """The gradient request of every argument. A string is the request for trained
    parameters (and for the data, with ``inputs_need_grad``); frozen parameters,
    labels and states get ``'null'``. A dict overrides those defaults (``'write'``)
    per name; a list or tuple names every argument's request in order."""
    if isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(arg_names):
            raise AssertionError(f'grad_req has {len(grad_req)} entries for '
                                 f'{len(arg_names)} arguments')
        return dict(zip(arg_names, grad_req))
    if not isinstance(grad_req, (str, dict)):
        raise ValueError('grad_req must be one of str, list, tuple, or dict, not '
                         f'{type(grad_req).__name__}')
    default, overrides = ('write', grad_req) if isinstance(grad_req, dict) else (grad_req, {})

    def request(name):
        if name in param_names:
            return 'null' if name in fixed_names else default
        if name in data_names and inputs_need_grad:
            return default
        return 'null'

    table = {name: request(name) for name in arg_names}
    table.update(overrides)
    return table


# ---------------------------------------------------------------- the executors
class _ExecutorGroup:
    """One executor per context, each given its slice of every batch.

    The arrays are exposed as MXNet's executor group exposes them: for each input
    ``data_arrays`` holds ``(slice, array)`` per device, and ``param_arrays``,
    ``grad_arrays`` and ``aux_arrays`` hold one list per parameter with the copy
    on each device."""

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, fixed_param_names, grad_req):
        self.symbol, self.contexts, self.workload = symbol, contexts, workload
        self.param_names, self.fixed_param_names = param_names, list(fixed_param_names or [])
        self.arg_names, self.aux_names, self.output_names = (
            symbol.list_arguments(), symbol.list_auxiliary_states(), symbol.list_outputs())
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        self.grad_req = _grad_req_table(
            self.arg_names, param_names, [d.name for d in data_shapes],
            self.fixed_param_names, grad_req if for_training else 'null', inputs_need_grad)
        # each output's batch axis comes from its __layout__ attribute (default: axis 0)
        self.output_layouts = [DataDesc.get_batch_axis(symbol[k].attr('__layout__'))
                               for k in range(len(self.output_names))]
        self.execs = []
        self._first_execs = None   # the executors of the first bind, which reshape derives from
        self.bind_exec(data_shapes, label_shapes)

    def _batch_axes(self, descs):
        """The batch axis of each input (-1: none). The first input with one fixes
        ``batch_size`` and ``slices``; every later one must agree."""
        axes = [DataDesc.get_batch_axis(d.layout) for d in descs]
        for desc, axis in zip(descs, axes):
            if axis < 0:
                continue
            size = desc.shape[axis]
            if self.batch_size is None:
                self.batch_size, self.slices = size, _batch_slices(size, self.workload)
            elif size != self.batch_size:
                raise AssertionError(f'all data must have the same batch size: batch_size = '
                                     f'{self.batch_size}, but {desc.name} has shape '
                                     f'{desc.shape}')
        return axes

    def _device_shapes(self, descs, axes, device):
        """``{name: (shape, dtype)}`` of the inputs as device number ``device`` sees them."""
        out = {}
        for desc, axis in zip(descs, axes):
            shape = tuple(desc.shape)
            if axis >= 0:
                part = self.slices[device]
                shape = _resized(shape, axis, part.stop - part.start)
            out[desc.name] = (shape, desc.dtype)
        return out

    def bind_exec(self, data_shapes, label_shapes, reshape=False):
        """Make (or, with ``reshape``, re-shape) the executors for these inputs."""
        self.batch_size = self.slices = None
        self.data_layouts = self._batch_axes(data_shapes)
        self.label_layouts = self._batch_axes(label_shapes) if label_shapes else []
        for device, context in enumerate(self.contexts):
            inputs = self._device_shapes(data_shapes, self.data_layouts, device)
            if label_shapes:
                inputs.update(self._device_shapes(label_shapes, self.label_layouts, device))
            shapes = {name: shape for name, (shape, _) in inputs.items()}
            if reshape:
                self.execs[device] = self._first_execs[device].reshape(allow_up_sizing=True,
                                                                        **shapes)
                continue
            dtypes = {name: dtype for name, (_, dtype) in inputs.items()}
            self.execs.append(self.symbol.simple_bind(ctx=context, grad_req=self.grad_req,
                                                      type_dict=dtypes, **shapes))
        self.data_shapes, self.label_shapes = data_shapes, label_shapes
        self.data_names = [d.name for d in data_shapes]
        self.label_names = [d.name for d in label_shapes or []]
        self._collect_arrays()

    def _collect_arrays(self):
        """Gather the executors' arrays into the per-input lists described above."""
        def on_each_device(field, index):
            return [getattr(exe, field)[index] for exe in self.execs]

        def with_slices(name):
            return [(part, exe.arg_dict[name]) for part, exe in zip(self.slices, self.execs)]

        self.data_arrays = [with_slices(name) for name in self.data_names]
        self.label_arrays = ([with_slices(name) for name in self.label_names]
                             if self.label_shapes else None)
        params = [j for j, name in enumerate(self.arg_names) if name in self.param_names]
        self.param_arrays = [on_each_device('arg_arrays', j) for j in params]
        self.grad_arrays = ([on_each_device('grad_arrays', j) for j in params]
                            if self.for_training else None)
        data = [self.arg_names.index(name) for name in self.data_names
                if name in self.arg_names]
        self.input_grad_arrays = ([on_each_device('grad_arrays', j) for j in data]
                                  if self.inputs_need_grad else None)
        self.aux_arrays = [on_each_device('aux_arrays', j) for j, _ in enumerate(self.aux_names)]

    def reshape(self, data_shapes, label_shapes):
        """Re-fit the executors to new input shapes; they are derived from the first
        executors, so returning to the first shapes costs no new memory."""
        if (data_shapes, label_shapes) == (self.data_shapes, self.label_shapes):
            return
        if self._first_execs is None:
            self._first_execs = list(self.execs)
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    def set_params(self, arg_params, aux_params, allow_extra=False):
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Copy the executors' values (averaged over devices) into the dicts' arrays."""
        for names, copies, target in ((self.param_names, self.param_arrays, arg_params),
                                      (self.aux_names, self.aux_arrays, aux_params)):
            for name, per_device in zip(names, copies):
                value = per_device[0]
                if len(per_device) > 1:
                    value = _sum_on_cpu(per_device) / len(per_device)
                value.astype(target[name].dtype).copyto(target[name])

    def _scatter(self, arrays, targets, axes, what):
        """Copy each of ``arrays`` into its executors' inputs, one slice per device."""
        if len(arrays) != len(targets):
            raise ValueError(f'forward: the batch has {len(arrays)} {what} array(s) but the '
                             f'module was bound with {len(targets)}')
        for array, parts, axis in zip(arrays, targets, axes):
            array = _as_ndarray(array, what)
            for part, dst in parts:
                whole = axis < 0 or (part.start == 0 and part.stop == array.shape[axis])
                piece = array if whole else _take(array, axis, part)
                if piece.shape != dst.shape:
                    raise ValueError(f'forward: {what} of shape {array.shape} does not fit '
                                     f'the bound shape; the executor holds {dst.shape}')
                piece.copyto(dst)

    def forward(self, data_batch, is_train=None):
        self._scatter(data_batch.data, self.data_arrays, self.data_layouts, 'data')
        if self.label_arrays is not None and data_batch.label:
            self._scatter(data_batch.label, self.label_arrays, self.label_layouts, 'label')
        train = self.for_training if is_train is None else is_train
        for exe in self.execs:
            exe.forward(is_train=train)

    def get_output_shapes(self):
        """``[(name, shape)]`` of the outputs for the whole batch."""
        return [(name, _resized(out.shape, axis, self.batch_size))
                for name, out, axis in zip(self.output_names, self.execs[0].outputs,
                                           self.output_layouts)]

    def get_outputs(self, merge_multi_context=True):
        per_output = [[exe.outputs[k] for exe in self.execs]
                      for k, _ in enumerate(self.output_names)]
        if not merge_multi_context:
            return per_output
        return [_concat_devices(arrays, axis)
                for arrays, axis in zip(per_output, self.output_layouts)]

    def get_input_grads(self, merge_multi_context=True):
        if not merge_multi_context:
            return self.input_grad_arrays
        return [_concat_devices(arrays, axis)
                for arrays, axis in zip(self.input_grad_arrays, self.data_layouts)]

    def backward(self, out_grads=None):
        _require(self.for_training, 're-bind with for_training=True to run backward')
        if isinstance(out_grads, nd.NDArray):
            out_grads = [out_grads]
        out_grads = out_grads or []
        for exe, part, context in zip(self.execs, self.slices, self.contexts):
            # each device gets its slice of the head gradients (all of one with no batch axis)
            mine = [_take(g, axis, part).as_in_context(context) if axis >= 0
                    else g.copyto(context)
                    for g, axis in zip(out_grads, self.output_layouts)]
            exe.backward(out_grads=mine or None)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        for device, (exe, part) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                mine = labels[device]
            elif len(self.execs) == 1:
                mine = list(labels)
            else:
                mine = [_take(label, axis, part) if axis >= 0 else label
                        for label, axis in zip(labels, self.label_layouts)]
            eval_metric.update_dict(OrderedDict(zip(self.label_names, mine)),
                                    OrderedDict(zip(self.output_names, exe.outputs)))

    def install_monitor(self, mon):
        for exe in self.execs:
            mon.install(exe)


def _states_file(prefix, epoch):
    """Where a checkpoint keeps the optimizer's states."""
    return '%s-%04d.states' % (prefix, epoch)


def _zeros_like_first(names, per_device):
    """``{name: zeros}`` shaped (and typed, and stored) like the first device's copy."""
    return {name: nd.zeros(arrays[0].shape, dtype=arrays[0].dtype, stype=arrays[0].stype)
            for name, arrays in zip(names, per_device)}


class Module(BaseModule):
    """A symbol bound to data, with its parameters and optimizer.

    symbol : the network (often ending in a loss such as ``SoftmaxOutput``)
    data_names, label_names : which arguments of ``symbol`` are fed from the data
        and from the labels; every other argument is a parameter
    context : a Context or a list of them (each gets a part of every batch, in
        proportion to ``work_load_list``)
    fixed_param_names : parameters that are not trained
    state_names : inputs that are neither data nor parameters (an RNN's state),
        set with :meth:`set_states`

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
        contexts = [context] if isinstance(context, ctx.Context) else list(context)
        workloads = [1] * len(contexts) if work_load_list is None else work_load_list
        if len(workloads) != len(contexts):
            raise AssertionError(f'work_load_list has {len(workloads)} entries for '
                                 f'{len(contexts)} contexts')
        self._context, self._work_load_list, self._symbol = contexts, workloads, symbol

        # every name must be an argument of the symbol (a missing label only warns:
        # a symbol used for inference has no label input)
        given = {'data': data_names, 'label': label_names, 'state': state_names,
                 'fixed_param': fixed_param_names}
        names = {kind: [] if value is None else list(value) for kind, value in given.items()}
        for kind in given:
            _check_input_names(symbol, names[kind], kind, kind != 'label')
        self._data_names, self._label_names = names['data'], names['label']
        self._state_names, self._fixed_param_names = names['state'], names['fixed_param']
        inputs = set(names['data'] + names['label'] + names['state'])
        self._param_names = [n for n in symbol.list_arguments() if n not in inputs]
        self._aux_names, self._output_names = (symbol.list_auxiliary_states(),
                                               symbol.list_outputs())

        # set by bind, init_params and init_optimizer
        self._exec_group = self._data_shapes = self._label_shapes = None
        self._grad_req = None
        self._arg_params = self._aux_params = None
        self._params_dirty = False   # the executors hold newer values than _arg_params
        self._optimizer = self._kvstore = self._updater = None
        self._update_on_kvstore = False
        self._pending_opt_states = None   # a .states file for init_optimizer to read

    # ------------------------------------------------------------ checkpoints
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module made from checkpoint ``prefix`` at ``epoch`` (its parameters are set
        once it is bound); ``kwargs`` go to ``Module``. With
        ``load_optimizer_states``, ``prefix-%04d.states`` is read by ``init_optimizer``.

        >>> import os, tempfile
        >>> import d2lmini as mx
        >>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
        >>> mod = mx.mod.Module(net, label_names=None)
        >>> mod.bind(data_shapes=[('data', (1, 3))])
        >>> mod.init_params(mx.init.One())
        >>> prefix = os.path.join(tempfile.mkdtemp(), 'net')
        >>> mod.save_checkpoint(prefix, 7)
        >>> again = mx.mod.Module.load(prefix, 7, label_names=None)
        >>> again.bind(data_shapes=[('data', (1, 3))])
        >>> again.get_params()[0]['fc_weight'].asnumpy()
        array([[1., 1., 1.],
               [1., 1., 1.]], dtype=float32)
        """
        symbol, *params = load_checkpoint(prefix, epoch)
        module = Module(symbol=symbol, **kwargs)
        module._arg_params, module._aux_params = params
        module.params_initialized = True
        if load_optimizer_states:
            module._pending_opt_states = _states_file(prefix, epoch)
        return module

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and, if asked,
        ``prefix-%04d.states`` (the optimizer's)."""
        save_checkpoint(prefix, epoch, self._symbol, *self.get_params(),
                        remove_amp_cast=remove_amp_cast)
        if save_optimizer_states:
            path = _states_file(prefix, epoch)
            self.save_optimizer_states(path)
            logging.info('Saved optimizer state to "%s"', path)

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
        if self._exec_group.execs[0].outputs:
            return self._exec_group.get_output_shapes()
        # nothing has run yet: infer them from the input shapes
        known = {d.name: d.shape for d in self._data_shapes + (self._label_shapes or [])}
        return list(zip(self._output_names, self._symbol.infer_shape(**known)[1]))

    # ------------------------------------------------------------ parameters
    def get_params(self):
        """``(arg_params, aux_params)``: dicts name -> NDArray (copies on the CPU of
        the values the executors hold)."""
        _require(self.params_initialized, 'get_params: call init_params() first')
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def _ignored_again(self, call, force_init):
        """True (after a warning) when the parameters are set and ``force_init`` is off."""
        if not self.params_initialized or force_init:
            return False
        warnings.warn('Parameters already initialized and force_init=False. '
                      f'{call} call ignored.', stacklevel=3)
        return True

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
        if self._ignored_again('init_params', force_init):
            return
        _require(self.binded, 'call bind before initializing the parameters')

        def fill(name, array, given):
            if given is not None and name in given:
                value = given[name]
                if value is not array:
                    if value.shape != array.shape:
                        raise ValueError(f'init_params: {str(name)!r} has shape '
                                         f'{value.shape} in the given params but the '
                                         f'module needs {array.shape}')
                    value.copyto(array)
                return
            # a missing value is fine where allowed; with no dict at all, the
            # initializer must be there to make every value
            may_be_missing = allow_missing if given is not None else initializer is not None
            if not may_be_missing:
                raise RuntimeError(f'{name} is not presented')
            if initializer is not None:
                initializer(name, array)

        symbol_attrs = self._symbol.attr_dict()
        # sorted by name, so that seeded initializers draw in a fixed order
        for own, given in ((self._arg_params, arg_params), (self._aux_params, aux_params)):
            for name in sorted(own):
                fill(InitDesc(name, symbol_attrs.get(name)), own[name], given)
        self.params_initialized, self._params_dirty = True, False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the parameters from dicts name -> NDArray (``allow_extra``: names the
        module does not have are ignored instead of an error)."""
        if not allow_missing:
            # every value must be given: init_params without an initializer checks it
            self.init_params(None, arg_params, aux_params, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self._ignored_again('set_params', force_init):
            return
        _require(self.binded, 'set_params: call bind() first')
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        # the executors now hold values that self._arg_params lacks
        self.params_initialized = self._params_dirty = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # ------------------------------------------------------------ binding
    def _describe_inputs(self, data_shapes, label_shapes):
        """DataDescs for the inputs, checked against data_names and label_names."""
        return _parse_data_desc(self._data_names, self._label_names, data_shapes,
                                label_shapes)

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Allocate executors for inputs of the given shapes: lists of
        ``(name, shape)`` or :class:`DataDesc` (an iterator's ``provide_data`` and
        ``provide_label``). ``for_training=False`` binds for inference only;
        ``inputs_need_grad`` also computes the gradients of the data."""
        if force_rebind:
            self.binded = False
            self._exec_group = self._data_shapes = self._label_shapes = None
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
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = self._describe_inputs(data_shapes,
                                                                      label_shapes)
        # imported here: executor_group builds on _ExecutorGroup, defined above
        from . import executor_group
        group = self._exec_group = executor_group.DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad,
            shared_group=shared_group, logger=self.logger,
            fixed_param_names=self._fixed_param_names, state_names=self._state_names,
            grad_req=grad_req)
        if shared_module is not None:
            self._arg_params, self._aux_params = (shared_module._arg_params,
                                                  shared_module._aux_params)
            self.params_initialized = True   # they were initialized with the shared module
        elif self.params_initialized:
            # re-binding (or a loaded checkpoint): the executors get the values known
            group.set_params(self._arg_params, self._aux_params)
        else:
            # placeholders of the right shapes, filled by init_params
            self._arg_params = _zeros_like_first(self._param_names, group.param_arrays)
            self._aux_params = _zeros_like_first(self._aux_names, group.aux_arrays)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Re-bind for new input shapes, keeping the parameters."""
        _require(self.binded, 'reshape: call bind() first')
        self._data_shapes, self._label_shapes = self._describe_inputs(data_shapes,
                                                                      label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # ------------------------------------------------------------ optimizer
    def _index_names(self, update_on_kvstore):
        """The optimizer's index -> parameter name. A KVStore updates each weight once,
        under its position; otherwise, as in MXNet, every device's copy of a weight
        has its own index (position * devices + device)."""
        names = self._exec_group.param_names
        if update_on_kvstore:
            return dict(enumerate(names))
        n_dev = len(self._context)
        return {i * n_dev + dev: name for dev in range(n_dev) for i, name in enumerate(names)}

    def _symbol_multipliers(self):
        """``(lr_mult, wd_mult)`` from the arguments' ``__lr_mult__`` / ``__wd_mult__``."""
        symbol_attrs = self._symbol.attr_dict()
        found = {'__lr_mult__': {}, '__wd_mult__': {}}
        for name in self._symbol.list_arguments():
            for key, table in found.items():
                if key in symbol_attrs.get(name, {}):
                    table[name] = float(symbol_attrs[name][key])
        return found['__lr_mult__'], found['__wd_mult__']

    def _make_optimizer(self, optimizer, optimizer_params, idx2name, rescale_grad):
        if isinstance(optimizer, str):
            kwargs = dict(optimizer_params)
            kwargs.setdefault('rescale_grad', rescale_grad)
            made = opt.create(optimizer, param_idx2name=idx2name, **kwargs)
            lr_mult, wd_mult = self._symbol_multipliers()
            if lr_mult:
                made.set_lr_mult(lr_mult)
            if wd_mult:
                made.set_wd_mult(wd_mult)
            return made
        if not isinstance(optimizer, opt.Optimizer):
            raise AssertionError('optimizer must be a name or an Optimizer, not '
                                 f'{type(optimizer).__name__}')
        if optimizer.rescale_grad != rescale_grad:
            warnings.warn('Optimizer created manually outside Module but rescale_grad is '
                          'not normalized to 1.0/batch_size/num_workers '
                          f'({optimizer.rescale_grad} vs. {rescale_grad}). Is this '
                          'intended?', stacklevel=3)
        if not optimizer.idx2name:
            optimizer.idx2name = dict(idx2name)
        return optimizer

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
        store, on_store = _create_kvstore(kvstore, len(self._context), self._arg_params)
        idx2name = self._index_names(on_store)
        optimizer = self._make_optimizer(optimizer, optimizer_params, idx2name,
                                         1.0 / self._exec_group.batch_size)
        self._optimizer, self._kvstore, self._update_on_kvstore = optimizer, store, on_store
        if store is not None:
            _initialize_kvstore(store, self._exec_group.param_arrays, self._arg_params,
                                self._exec_group.param_names, on_store)
            if on_store:
                store.set_optimizer(optimizer)
        # with the store updating, the module has no updater of its own
        self._updater = None if on_store else opt.get_updater(optimizer)
        self.optimizer_initialized = True
        pending = self._pending_opt_states
        if pending is not None:
            self.load_optimizer_states(pending)
            self._pending_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer (and its states and KVStore), as the
        buckets of a :class:`~d2lmini.module.BucketingModule` do."""
        _require(shared_module.optimizer_initialized,
                 'borrow_optimizer: the shared module has no optimizer yet')
        for field in ('_optimizer', '_kvstore', '_update_on_kvstore', '_updater'):
            setattr(self, field, getattr(shared_module, field))
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname, format=None):  # noqa: A002 (a format name)
        """Write the optimizer's states (momentum, ...) to ``fname``, atomically.

        ``format`` is ``'d2lmini'`` (a zip archive) or ``'mxnet'`` (MXNet 1.x's pickle,
        which real MXNet's ``load_optimizer_states`` reads); None means
        :func:`d2lmini.optimizer_states.get_default_format`. As in MXNet, the file
        holds the states only, not the optimizer's settings or update counts."""
        _require(self.optimizer_initialized, 'save_optimizer_states: call init_optimizer() '
                 'first')
        updater = self._kvstore._updater if self._update_on_kvstore else self._updater
        assert updater is not None, 'Cannot save states for distributed training'
        write_bytes_atomically(fname, updater.get_states(format=format))

    def load_optimizer_states(self, fname):
        """Read optimizer states written by :meth:`save_optimizer_states`, in either
        format, or by MXNet 1.x's (a pickle, read with a restricted unpickler)."""
        _require(self.optimizer_initialized, 'load_optimizer_states: call init_optimizer() '
                 'first')
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            return
        with open(fname, 'rb') as f:
            self._updater.set_states(f.read())

    # ------------------------------------------------------------ states
    def get_states(self, merge_multi_context=True):
        """The values of the state inputs (``state_names``): a list per state, one
        array per device, or merged along the batch axis."""
        _require(self.binded and self.params_initialized, 'get_states: bind and '
                 'initialize first')
        execs = self._exec_group.execs
        per_state = [[exe.arg_dict[name] for exe in execs] for name in self._state_names]
        if not merge_multi_context:
            return per_state
        return [_concat_devices(arrays, 0) for arrays in per_state]

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
        for k, name in enumerate(self._state_names):
            for dev, exe in enumerate(self._exec_group.execs):
                slot = exe.arg_dict[name]
                if value is None:
                    states[k][dev].copyto(slot)
                else:
                    slot[:] = value

    # ------------------------------------------------------------ computing
    def _descs_for(self, batch, data_shapes):
        """``(data, label)`` DataDescs for a batch whose data has ``data_shapes``,
        which differ from the bound ones: the batch's own ``provide_data`` /
        ``provide_label`` when it has them, else the bound descriptions resized."""
        data = getattr(batch, 'provide_data', None) or [
            DataDesc(d.name, shape, d.dtype, d.layout)
            for d, shape in zip(self._data_shapes, data_shapes)]
        if getattr(batch, 'provide_label', None):
            return data, batch.provide_label
        if not self._label_shapes:
            return data, None
        labels = getattr(batch, 'label', None)
        if labels:
            return data, [DataDesc(d.name, label.shape, d.dtype, d.layout)
                          for d, label in zip(self._label_shapes, labels)]
        # no labels given: the label inputs follow the data's batch size
        size = data_shapes[0][0]
        return data, [DataDesc(d.name, (size,) + tuple(d.shape[1:]), d.dtype, d.layout)
                      for d in self._label_shapes]

    def forward(self, data_batch, is_train=None):
        """Run the network on ``data_batch`` (a DataBatch); ``is_train`` defaults to
        how the module was bound. A batch of another shape re-binds (reshapes)
        the executors first."""
        self._check_ready('forward')
        if isinstance(data_batch, list):
            raise NotImplementedError('forward: a list of DataBatch is not supported by '
                                      'd2lmini; pass one DataBatch')
        arrays = data_batch.data or []
        if not arrays or len(arrays) != len(self._data_shapes):
            raise ValueError(f'forward: the batch has {len(arrays)} data '
                             f'array(s) but the module takes {len(self._data_shapes)} '
                             f'({self._data_names})')
        shapes = tuple(_as_ndarray(a, 'data').shape for a in arrays)
        if shapes != tuple(d.shape for d in self._data_shapes):
            self.reshape(*self._descs_for(data_batch, shapes))
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        """Gradients of the last forward (run with ``is_train=True``)."""
        self._check_ready('backward')
        self._exec_group.backward(out_grads)

    def update(self):
        """One optimizer step on every trained parameter, from the gradients of the
        last backward: summed over the devices through the KVStore, or, with
        ``kvstore=None``, each device's copy stepped with its own gradient, as in
        MXNet 1.x (``fit`` then averages the copies at the end of each epoch)."""
        self._check_ready('update')
        _require(self.optimizer_initialized, 'update: call init_optimizer() first')
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            _update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kvstore,
                                      group.param_names)
            return
        n_dev = len(self._context)
        # one updater call per device, with (index, grad, weight) of each parameter
        per_device = [[] for _ in range(n_dev)]
        for i, (weights, grads) in enumerate(zip(group.param_arrays, group.grad_arrays)):
            if grads[0] is None:   # not trained (grad_req 'null')
                continue
            if n_dev > 1 and self._kvstore is not None:
                # what a local KVStore does: every device gets the sum
                total = _sum_on_cpu(grads)
                grads = [total.as_in_context(g.context) for g in grads]
            for dev, (weight, grad) in enumerate(zip(weights, grads)):
                per_device[dev].append((i * n_dev + dev, grad, weight))
        for triples in filter(None, per_device):
            indices, grads, weights = (list(column) for column in zip(*triples))
            self._updater(indices, grads, weights)

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward (a list of NDArrays)."""
        self._check_ready('get_outputs')
        return self._exec_group.get_outputs(merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._check_ready('get_input_grads')
        _require(self.inputs_need_grad, 'get_input_grads: bind with inputs_need_grad=True')
        return self._exec_group.get_input_grads(merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Add the last forward's outputs and ``labels`` to ``eval_metric``. As in
        MXNet, a padded batch's padding examples are counted."""
        _require(self.binded, 'update_metric: call bind() and forward() first')
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Let ``mon`` (a :class:`~d2lmini.monitor.Monitor`) watch every executor."""
        _require(self.binded, 'install_monitor: call bind() first')
        self._exec_group.install_monitor(mon)
