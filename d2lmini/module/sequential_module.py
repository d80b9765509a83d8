"""``SequentialModule``: modules chained one after another, each one's outputs
feeding the next one's data, as MXNet 1.x's ``mx.mod.SequentialModule`` chains them.

Each added module keeps its own parameters and optimizer; the chain binds,
initialises, runs and trains them together. Two options say how a module is
attached (``add(module, take_labels=..., auto_wiring=...)``):

* ``take_labels``: the module receives the batch's labels (a loss at the end of
  the chain needs them; the metric is computed on the modules that take labels).
* ``auto_wiring``: the previous module's outputs are renamed to this module's
  ``data_names`` (without it, the outputs' own names, such as ``fc1_output``,
  must be this module's data names).

>>> import d2lmini as mx
>>> features = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.var('data'),
...     num_hidden=5, name='fc1'), act_type='relu', name='relu1')
>>> classifier = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'),
...     num_hidden=3, name='fc2'), name='softmax')
>>> chain = mx.mod.SequentialModule()
>>> chain = chain.add(mx.mod.Module(features, label_names=None))
>>> chain = chain.add(mx.mod.Module(classifier), take_labels=True, auto_wiring=True)
>>> chain.bind(data_shapes=[('data', (4, 8))], label_shapes=[('softmax_label', (4,))])
>>> chain.init_params()
>>> chain.forward(mx.io.DataBatch([mx.nd.ones((4, 8))], [mx.nd.zeros((4,))]))
>>> chain.output_names, chain.get_outputs()[0].shape
(['softmax_output'], (4, 3))
"""
import logging

from .. import initializer as init
from ..io import DataBatch, DataDesc
from .base_module import BaseModule, _require

__all__ = ['SequentialModule']


class SequentialModule(BaseModule):
    """A chain of modules; see the module's docstring.

    ``symbol`` is None (the chain is not one graph); ``data_names`` and
    ``data_shapes`` are the first module's, ``output_names`` and ``output_shapes``
    the last one's, ``label_shapes`` those given to ``bind`` (None when no module
    takes labels).
    """

    META_TAKE_LABELS = 'take_labels'
    META_AUTO_WIRING = 'auto_wiring'
    _KNOWN_META = (META_TAKE_LABELS, META_AUTO_WIRING)

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []           # per module: {'take_labels': bool, 'auto_wiring': bool}
        self._label_shapes = None

    def add(self, module, **kwargs):
        """Append ``module`` to the chain and return the chain (so that calls can be
        chained). ``kwargs``: ``take_labels`` and ``auto_wiring`` (see the module's
        docstring). Adding un-binds the chain: it must be bound and initialised again.
        """
        for key in kwargs:
            if key not in self._KNOWN_META:
                raise AssertionError(f'Unknown meta "{key}", a typo?')
        self._modules.append(module)
        self._metas.append(kwargs)
        # the chain changed: what was set up no longer describes it
        self.binded = self.params_initialized = self.optimizer_initialized = False
        return self

    def _takes_labels(self, index):
        return bool(self._metas[index].get(self.META_TAKE_LABELS, False))

    def _auto_wired(self, index):
        return bool(self._metas[index].get(self.META_AUTO_WIRING, False))

    # ------------------------------------------------------------ descriptions
    @property
    def data_names(self):
        """The first module's data names ([] for an empty chain)."""
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        """The last module's output names ([] for an empty chain)."""
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        """The first module's data shapes, once bound."""
        _require(self.binded, 'data_shapes: call bind() first')
        first = self._modules[0]
        return first.data_shapes

    @property
    def label_shapes(self):
        """The label shapes given to ``bind`` (None if no module takes labels)."""
        _require(self.binded, 'label_shapes: call bind() first')
        return self._label_shapes

    @property
    def output_shapes(self):
        """The last module's output shapes, once bound."""
        _require(self.binded, 'output_shapes: call bind() first')
        last = self._modules[-1]
        return last.output_shapes

    # ------------------------------------------------------------ parameters
    def get_params(self):
        """``(arg_params, aux_params)`` of all the modules, in one pair of dicts."""
        _require(self.binded and self.params_initialized,
                 'get_params: call bind() and init_params() first')
        arg_params, aux_params = {}, {}
        for module in self._modules:
            args, auxs = module.get_params()
            arg_params.update(args)
            aux_params.update(auxs)
        return arg_params, aux_params

    def init_params(self, initializer=init.Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise every module's parameters (each takes its own values from
        ``arg_params`` / ``aux_params``, so the dicts may hold all of them). Two
        modules may not have parameters of the same name: their values would be
        indistinguishable in the merged dicts and in a checkpoint."""
        if force_init:
            self.params_initialized = False
        if self.params_initialized:
            return
        _require(self.binded, 'call bind before initializing the parameters')
        # every module sees the whole dicts, so the others' names are expected there
        settings = {'initializer': initializer, 'arg_params': arg_params,
                    'aux_params': aux_params, 'allow_missing': allow_missing,
                    'force_init': force_init, 'allow_extra': True}
        for module in self._modules:
            module.init_params(**settings)
        self._check_unique_param_names()
        self.params_initialized = True

    def _check_unique_param_names(self):
        owner = {}
        for index, module in enumerate(self._modules):
            args, auxs = module.get_params()
            for name in list(args) + list(auxs):
                if name in owner:
                    first = owner[name]
                    raise AssertionError(
                        f'Duplicated parameter names: name "{name}" in layer {index} '
                        f'({type(module)}) is already used in layer {first} '
                        f'({type(self._modules[first])}).')
                owner[name] = index

    # ------------------------------------------------------------ binding
    def _wired_shapes(self, index, shapes):
        """The data shapes module ``index`` is bound with, given the previous
        module's output shapes: renamed to its data names when auto-wired."""
        if not self._auto_wired(index):
            return shapes
        names = self._modules[index].data_names
        if len(names) != len(shapes):
            raise AssertionError(f'auto_wiring: module {index} takes {len(names)} data '
                                 f'input(s) {names} but the module before it has '
                                 f'{len(shapes)} output(s)')
        return [DataDesc(name, shape.shape, shape.dtype, shape.layout)
                if isinstance(shape, DataDesc) else DataDesc(name, tuple(shape[1]))
                for name, shape in zip(names, shapes)]

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Bind every module: the first with ``data_shapes``, each later one with the
        output shapes of the one before. Modules after the first compute the
        gradients of their inputs when training, so that ``backward`` can pass them
        down the chain."""
        if force_rebind:
            self.binded = False
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if inputs_need_grad and not for_training:
            raise AssertionError('inputs_need_grad needs for_training=True')
        if shared_module is not None:
            raise AssertionError('Shared module is not supported')
        _require(len(self._modules) > 0, 'Attempting to bind an empty SequentialModule')

        shapes = data_shapes
        anyone_takes_labels = False
        for index, module in enumerate(self._modules):
            if index > 0:
                shapes = self._wired_shapes(index, shapes)
            takes = self._takes_labels(index)
            anyone_takes_labels = anyone_takes_labels or takes
            # a later module passes gradients down the chain when training
            needs_grad = inputs_need_grad if index == 0 else for_training
            module.bind(shapes, label_shapes if takes else None, for_training, needs_grad,
                        force_rebind, None, grad_req)
            shapes = module.output_shapes
        # MXNet 1.x leaves these two flags False on the chain; d2lmini records
        # them, so that get_input_grads works after bind(inputs_need_grad=True)
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        self._label_shapes = label_shapes if anyone_takes_labels else None
        self.binded = True

    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Give every module its optimizer (each its own, made the same way)."""
        if self.optimizer_initialized and not force_init:
            self.logger.warning('optimizer already initialized, ignoring.')
            return
        _require(self.binded and self.params_initialized,
                 'init_optimizer: call bind() and init_params() first')
        for module in self._modules:
            module.init_optimizer(kvstore, optimizer, optimizer_params, force_init)
        self.optimizer_initialized = True

    # ------------------------------------------------------------ computing
    def _batch_for(self, index, data_batch, outputs):
        """The batch module ``index`` (> 0) gets: the previous outputs as data, the
        labels only if it takes them."""
        takes = self._takes_labels(index)
        return DataBatch(data=outputs, label=data_batch.label if takes else None,
                         pad=data_batch.pad, index=data_batch.index,
                         bucket_key=getattr(data_batch, 'bucket_key', None),
                         provide_label=(getattr(data_batch, 'provide_label', None)
                                        if takes else None))

    def forward(self, data_batch, is_train=None):
        """Run the modules in order, each on the outputs of the one before."""
        _require(self.binded and self.params_initialized,
                 'forward: call bind() and init_params() first')
        batch = data_batch
        for index, module in enumerate(self._modules):
            if index > 0:
                batch = self._batch_for(index, data_batch, module_outputs)
            module.forward(batch, is_train=is_train)
            module_outputs = module.get_outputs()

    def backward(self, out_grads=None):
        """Back-propagate from the last module to the first, each module's input
        gradients becoming the previous module's output gradients."""
        _require(self.binded and self.params_initialized,
                 'backward: call bind() and init_params() first')
        grads = out_grads
        for index in range(len(self._modules) - 1, -1, -1):
            self._modules[index].backward(grads)
            if index:   # the first module's input gradients go nowhere
                grads = self._modules[index].get_input_grads()

    def update(self):
        """One optimizer step in every module."""
        _require(self.binded and self.params_initialized and self.optimizer_initialized,
                 'update: call bind(), init_params() and init_optimizer() first')
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        """The last module's outputs."""
        _require(self.binded and self.params_initialized,
                 'get_outputs: call bind() and init_params() first')
        last = self._modules[-1]
        return last.get_outputs(merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the first module's data (bind with
        ``inputs_need_grad=True``)."""
        _require(self.binded and self.params_initialized and self.inputs_need_grad,
                 'get_input_grads: bind with inputs_need_grad=True and init_params()')
        first = self._modules[0]
        return first.get_input_grads(merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the outputs of every module that takes labels."""
        _require(self.binded and self.params_initialized,
                 'update_metric: call bind() and init_params() first')
        for index, module in enumerate(self._modules):
            if self._takes_labels(index):
                module.update_metric(eval_metric, labels, pre_sliced=pre_sliced)

    def install_monitor(self, mon):
        """Let ``mon`` watch every module."""
        _require(self.binded, 'install_monitor: call bind() first')
        for module in self._modules:
            module.install_monitor(mon)
