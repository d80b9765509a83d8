"""Modules written in Python rather than as a Symbol, as MXNet 1.x's
``mx.mod.PythonModule`` and ``mx.mod.PythonLossModule``.

A :class:`PythonModule` has no parameters and no optimizer; a subclass says what
its outputs are (``_compute_output_shapes``, ``forward``, ``get_outputs``, and
for training ``backward`` / ``get_input_grads``). It is most useful at the end
of a :class:`~d2lmini.module.SequentialModule`, e.g. a loss computed in numpy.

:class:`PythonLossModule` is such a loss: its output is its input (the scores),
and ``backward`` asks ``grad_func(scores, labels)`` for the gradient of the
scores.

>>> import d2lmini as mx
>>> loss = mx.mod.PythonLossModule(grad_func=lambda scores, labels:
...                                scores - labels.reshape((-1, 1)))
>>> loss.bind(data_shapes=[('data', (2, 3))], label_shapes=[('softmax_label', (2,))])
>>> loss.output_shapes
[('pyloss_output', (2, 3))]
>>> loss.forward(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.array([1, 0])]))
>>> loss.backward()
>>> loss.get_input_grads()[0].asnumpy()
array([[0., 0., 0.],
       [1., 1., 1.]], dtype=float32)
"""
import logging

import numpy as np

from .. import ndarray as nd
from .. import initializer as init
from .base_module import BaseModule, _require

__all__ = ['PythonModule', 'PythonLossModule']


def _names(given, what):
    """A list of names from a list/tuple (None: no names)."""
    if given is None:
        return None
    if isinstance(given, str) or not all(isinstance(n, str) for n in given):
        raise TypeError(f'{what} must be a list or tuple of strings, got {given!r}')
    return list(given)


def _check_shape_names(shapes, names, what):
    found = [desc[0] for desc in shapes]
    if found != list(names or []):
        raise AssertionError(f'bind: {what}_shapes name {found} but the module\'s '
                             f'{what}_names are {names}')


class PythonModule(BaseModule):
    """A module computed by Python code, without parameters.

    data_names, label_names, output_names : the names of its inputs and outputs
        (``label_names`` may be None)

    A subclass implements ``_compute_output_shapes()`` (the ``[(name, shape)]`` of
    the outputs, from ``self._data_shapes`` / ``self._label_shapes``),
    ``forward``, ``get_outputs`` and, to train, ``backward`` and
    ``get_input_grads``.

    >>> import d2lmini as mx
    >>> class Square(mx.mod.PythonModule):
    ...     def _compute_output_shapes(self):
    ...         return [('square_output', self._data_shapes[0][1])]
    ...     def forward(self, data_batch, is_train=None):
    ...         self._out = data_batch.data[0] ** 2
    ...     def get_outputs(self, merge_multi_context=True):
    ...         return [self._out]
    >>> sq = Square(['data'], None, ['square_output'])
    >>> sq.bind([('data', (1, 2))]); sq.init_params()
    >>> sq.predict(mx.nd.array([[2, 3]])).asnumpy()
    array([[4., 9.]], dtype=float32)
    """

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super().__init__(logger=logger)
        self._data_names = _names(data_names, 'data_names') or []
        self._label_names = _names(label_names, 'label_names')
        self._output_names = _names(output_names, 'output_names') or []
        self._data_shapes = self._label_shapes = self._output_shapes = None

    # ------------------------------------------------------------ descriptions
    @property
    def data_names(self):
        """The names of the data inputs."""
        return self._data_names

    @property
    def label_names(self):
        """The names of the label inputs (None: takes no labels)."""
        return self._label_names

    @property
    def output_names(self):
        """The names of the outputs."""
        return self._output_names

    @property
    def data_shapes(self):
        """The data shapes given to ``bind``."""
        _require(self.binded, 'data_shapes: call bind() first')
        return self._data_shapes

    @property
    def label_shapes(self):
        """The label shapes given to ``bind`` (None without labels)."""
        _require(self.binded, 'label_shapes: call bind() first')
        return self._label_shapes

    @property
    def output_shapes(self):
        """``[(name, shape)]`` of the outputs, from ``_compute_output_shapes``."""
        _require(self.binded, 'output_shapes: call bind() first')
        return self._output_shapes

    # ------------------------------------------------------------ no parameters
    def get_params(self):
        """``({}, {})``: a Python module has no parameters."""
        return {}, {}

    def init_params(self, initializer=init.Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Nothing to initialise. (MXNet 1.x leaves ``params_initialized`` False
        here; d2lmini sets it, so that ``predict`` and ``score`` can run.)"""
        self.params_initialized = True

    def init_optimizer(self, kvstore='local', optimizer='sgd',
                       optimizer_params=(('learning_rate', 0.01),), force_init=False):
        """Nothing to optimise: only the module's state changes."""
        self.optimizer_initialized = True

    def update(self):
        """No parameters, so an optimizer step does nothing."""
        return None

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Add the outputs and ``labels`` to ``eval_metric`` (nothing when the
        module was bound without labels)."""
        if not self._label_shapes:   # bound without labels
            return
        if pre_sliced:
            raise NotImplementedError('PythonModule does not support presliced labels')
        outputs = self.get_outputs()
        eval_metric.update(labels, outputs)

    # ------------------------------------------------------------ binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req='write'):
        """Record the input shapes and compute the output shapes. (MXNet 1.x leaves
        ``binded`` False here; d2lmini sets it, as a Module does.)"""
        if force_rebind:
            self.binded = False
        if self.binded:
            self.logger.warning('Already bound, ignoring bind()')
            return
        if inputs_need_grad and not for_training:
            raise AssertionError('inputs_need_grad needs for_training=True')
        if shared_module is not None:
            raise AssertionError('shared_module is not supported by a PythonModule')
        if grad_req != 'write':
            raise AssertionError('a PythonModule supports only grad_req="write"')
        self.for_training, self.inputs_need_grad = for_training, inputs_need_grad
        _check_shape_names(data_shapes, self._data_names, 'data')
        if label_shapes is not None:
            _check_shape_names(label_shapes, self._label_names, 'label')
        self._data_shapes, self._label_shapes = data_shapes, label_shapes
        self._output_shapes = list(self._compute_output_shapes())
        self.binded = True

    def _compute_output_shapes(self):
        """``[(name, shape)]`` of the outputs; a subclass provides it."""
        self._subclass_must_define('_compute_output_shapes')

    # ------------------------------------------------------------ for a subclass
    def _subclass_must_define(self, method):
        raise NotImplementedError(f'{type(self).__name__}.{method}: a PythonModule '
                                  'subclass defines it')

    def forward(self, data_batch, is_train=None):
        """Compute the outputs of ``data_batch``; a subclass provides it."""
        self._subclass_must_define('forward')

    def backward(self, out_grads=None):
        """Compute the gradients of the inputs; a subclass provides it."""
        self._subclass_must_define('backward')

    def get_outputs(self, merge_multi_context=True):
        """The outputs of the last forward; a subclass provides it."""
        self._subclass_must_define('get_outputs')

    def get_input_grads(self, merge_multi_context=True):
        """The gradients of the inputs; a subclass provides it."""
        self._subclass_must_define('get_input_grads')

    def install_monitor(self, mon):
        """Watching needs executors, which a PythonModule has none of."""
        self._subclass_must_define('install_monitor')


class PythonLossModule(PythonModule):
    """A loss written in Python: the output is the input scores unchanged, and the
    gradient of the scores is ``grad_func(scores, labels)`` (NDArrays in; an
    NDArray or numpy array of the scores' shape out).

    name : the output is named ``<name>_output``
    data_names, label_names : one name each
    grad_func : the gradient; without it ``backward`` raises NotImplementedError
        (a subclass may override ``_backward_impl`` instead)

    >>> import d2lmini as mx
    >>> mx.mod.PythonLossModule(name='loss').output_names
    ['loss_output']
    """

    def __init__(self, name='pyloss', data_names=('data',), label_names=('softmax_label',),
                 logger=logging, grad_func=None):
        super().__init__(data_names, label_names, [name + '_output'], logger=logger)
        self._name = name
        if len(self._data_names) != 1:
            raise AssertionError(f'PythonLossModule takes one data input, not '
                                 f'{self._data_names}')
        if self._label_names is None or len(self._label_names) != 1:
            raise AssertionError(f'PythonLossModule takes one label input, not '
                                 f'{self._label_names}')
        if grad_func is not None and not callable(grad_func):
            raise TypeError('grad_func must be callable (scores, labels) -> gradient')
        self._grad_func = grad_func
        self._scores = self._labels = self._scores_grad = None

    def _compute_output_shapes(self):
        """One output, shaped as the data."""
        return [(self._name + '_output', tuple(self._data_shapes[0][1]))]

    def forward(self, data_batch, is_train=None):
        """Keep the scores (the output) and the labels (for ``backward``). A batch
        without labels keeps None (MXNet 1.x fails on it)."""
        scores, labels = data_batch.data, data_batch.label
        self._scores = scores[0]
        self._labels = labels[0] if labels else None

    def get_outputs(self, merge_multi_context=True):
        """``[scores]``: the input itself."""
        return [self._scores]

    def backward(self, out_grads=None):
        """Compute the scores' gradient. A loss ends the chain: ``out_grads`` must
        be None."""
        if out_grads is not None:
            raise AssertionError('For a loss module, out_grads should be None')
        _require(self.for_training, 're-bind with for_training=True to run backward')
        _require(self._scores is not None, 'backward: call forward() first')
        self._backward_impl()

    def _backward_impl(self):
        """Ask ``grad_func`` for the gradient and keep it as an NDArray."""
        if self._grad_func is None:
            raise NotImplementedError('PythonLossModule needs a grad_func (or a subclass '
                                      'overriding _backward_impl) to run backward')
        grad = self._grad_func(self._scores, self._labels)
        if isinstance(grad, nd.NDArray):
            pass
        else:   # numpy arrays (and lists) are welcome too
            grad = nd.array(np.asarray(grad))
        # MXNet 1.x keeps whatever comes back; a gradient of another shape would
        # only fail later, far from its cause
        if grad.shape != self._scores.shape:
            raise ValueError(f'grad_func returned a gradient of shape {grad.shape} for '
                             f'scores of shape {self._scores.shape}')
        self._scores_grad = grad

    def get_input_grads(self, merge_multi_context=True):
        """``[gradient of the scores]`` ([None] before ``backward``)."""
        return [self._scores_grad]

    def install_monitor(self, mon):
        """Nothing to watch: a Python loss has no executor."""
