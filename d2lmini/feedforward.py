"""``mx.model.FeedForward``: the model API older than Module, still found in early
MXNet course material. d2lmini builds it on :class:`~d2lmini.module.Module`.

A FeedForward holds a symbol and its parameters (``arg_params`` / ``aux_params``,
dicts name -> NDArray). ``fit`` trains on a DataIter or on numpy arrays ``X, y``
(batched ``numpy_batch_size`` at a time, shuffled), ``predict`` returns numpy
arrays with the padding of a last batch removed, ``save`` / ``load`` use the
checkpoint files of :func:`~d2lmini.model.save_checkpoint`. Extra keyword
arguments of the constructor are the optimizer's (``learning_rate=0.1``, ...).

>>> import numpy as np
>>> import d2lmini as mx
>>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2,
...                                                  name='fc'), name='softmax')
>>> X = np.random.rand(10, 3); y = (X[:, 0] > 0.5).astype('float32')
>>> model = mx.model.FeedForward(net, num_epoch=2, numpy_batch_size=4, learning_rate=0.1)
>>> model.fit(X, y)
>>> model.predict(X).shape
(10, 2)
>>> sorted(model.arg_params)
['fc_bias', 'fc_weight']

Where MXNet 1.x fails, d2lmini does this instead: numpy input is fed to the
symbol's own data and label inputs (MXNet always names them ``data`` and
``softmax_label``); validation data given as numpy arrays is evaluated whole
(MXNet leaves out its last partial batch); validation batches may differ in size
from training batches; ``predict`` before any parameters exist says so.
"""
import logging
import time
import warnings

import numpy as np

from . import ndarray as nd
from .callback import LogValidationMetricsCallback
from .context import Context, cpu
from .initializer import Uniform
from .io import DataBatch, DataDesc, DataIter, NDArrayIter
from .model import BatchEndParam, load_checkpoint, save_checkpoint
from .module.base_module import _as_metric, _call_each
from .module.module import Module

__all__ = ['FeedForward']


def _check_unique_arguments(symbol):
    """Two inputs of one name cannot both be fed: a clear error at construction."""
    for names in (symbol.list_arguments(), symbol.list_auxiliary_states()):
        seen = set()
        for name in names:
            if name in seen:
                raise ValueError(f'Find duplicated argument name "{name}", please make the '
                                 'weight name non-duplicated(using name arguments), '
                                 f'arguments are {names}')
            seen.add(name)


def _as_numpy(array):
    return array.asnumpy() if isinstance(array, nd.NDArray) else np.asarray(array)


def _one_or_list(arrays):
    """A single array as itself, several (or none) as a list: what predict returns."""
    return arrays[0] if len(arrays) == 1 else arrays


def _concatenate_columns(per_batch):
    """The arrays of every batch joined, position by position."""
    return [np.concatenate(column) for column in zip(*per_batch)]


def _input_name(arguments, preferred, suffix):
    """The input numpy arrays are fed to: ``preferred`` if the symbol has it, else
    its only argument ending in ``suffix`` (None if there is not exactly one)."""
    if preferred in arguments:
        return preferred
    found = [name for name in arguments if name.endswith(suffix)]
    return found[0] if len(found) == 1 else None


class FeedForward:
    """A symbol with its parameters, trained by ``fit`` (see the module docstring).

    symbol : the network, usually ending in a loss such as ``SoftmaxOutput``
    ctx : a Context or a list of them (default ``cpu()``)
    num_epoch : training stops before this epoch; needed by ``fit``
    epoch_size : batches per epoch (default: one pass over the data); the data
        iterator is reset whenever it runs out
    optimizer : a name or an Optimizer; ``**kwargs`` are its parameters
    initializer : for the parameters not in ``arg_params`` / ``aux_params``
    numpy_batch_size : the batch size for numpy input
    arg_params, aux_params : starting values (dicts name -> NDArray)
    allow_extra_params : accepted for compatibility; names the symbol does not
        have are ignored either way, as in MXNet 1.x
    begin_epoch : the first epoch's number (``load`` sets it to the checkpoint's)
    """

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer='sgd',
                 initializer=Uniform(0.01), numpy_batch_size=128, arg_params=None,
                 aux_params=None, allow_extra_params=False, begin_epoch=0, **kwargs):
        warnings.warn('mxnet.model.FeedForward has been deprecated. '
                      'Please use mxnet.mod.Module instead.', DeprecationWarning, stacklevel=2)
        if not hasattr(symbol, 'list_arguments'):
            raise TypeError('FeedForward needs a Symbol (a sym_gen function is not '
                            f'supported by d2lmini), got {type(symbol).__name__}')
        _check_unique_arguments(symbol)
        self.symbol = symbol
        self.sym_gen = None
        if ctx is None:
            ctx = [cpu()]
        elif isinstance(ctx, Context):
            ctx = [ctx]
        self.ctx = list(ctx)
        self.num_epoch, self.epoch_size, self.begin_epoch = num_epoch, epoch_size, begin_epoch
        self.optimizer, self.initializer = optimizer, initializer
        self.numpy_batch_size = numpy_batch_size
        self.arg_params, self.aux_params = arg_params, aux_params
        self.allow_extra_params = allow_extra_params
        self.kwargs = kwargs.copy()   # the optimizer's parameters

    # ------------------------------------------------------------ data
    def _numpy_names(self):
        """``(data_name, label_name)`` the symbol's numpy inputs are fed under."""
        arguments = self.symbol.list_arguments()
        data_name = _input_name(arguments, 'data', 'data')
        if data_name is None:
            raise ValueError('FeedForward feeds numpy X to an input named "data" (or the '
                             "one argument ending in 'data'); the symbol has "
                             f'{arguments}. Pass a DataIter naming its inputs instead.')
        label_name = _input_name(arguments, 'softmax_label', 'label') or 'softmax_label'
        return data_name, label_name

    def _init_iter(self, X, y, is_train):
        """A DataIter for ``X`` (returned as is when it is one) and labels ``y``:
        numpy batches are shuffled and rolled over for training, padded otherwise."""
        if isinstance(X, DataIter):
            if y is not None:
                warnings.warn('y is ignored when X is a DataIter (the iterator gives the '
                              'labels)', stacklevel=3)
            return X
        if not isinstance(X, (np.ndarray, nd.NDArray)):
            raise TypeError('X must be DataIter, NDArray or numpy.ndarray')
        X = _as_numpy(X)
        if y is None:
            if is_train:
                raise ValueError('y must be specified when X is numpy.ndarray')
            y = np.zeros(X.shape[0])
        y = _as_numpy(y)
        if y.shape[0] != X.shape[0] or y.size != X.shape[0]:   # (n,) or (n, 1)
            raise ValueError('The numbers of data points and labels not equal')
        data_name, label_name = self._numpy_names()
        return NDArrayIter(X, y.reshape(-1), batch_size=min(X.shape[0], self.numpy_batch_size),
                           shuffle=is_train,
                           last_batch_handle='roll_over' if is_train else 'pad',
                           data_name=data_name, label_name=label_name)

    def _init_eval_iter(self, eval_data):
        """The validation iterator: a DataIter, or a pair ``(X, y)`` of arrays."""
        if eval_data is None or isinstance(eval_data, DataIter):
            return eval_data
        if isinstance(eval_data, (tuple, list)) and len(eval_data) == 2 \
                and eval_data[0] is not None:
            X, y = eval_data
            if isinstance(X, DataIter) and y is None:
                return X
            X = np.asarray(X) if isinstance(X, list) else X
            y = np.asarray(y) if isinstance(y, list) else y
            return self._init_iter(X, y, is_train=False)
        raise TypeError('Eval data must be DataIter, or NDArray/numpy.ndarray/list pair '
                        '(i.e. tuple/list of length 2)')

    # ------------------------------------------------------------ modules
    def _training_module(self, data_iter, logger, work_load_list):
        arguments = self.symbol.list_arguments()
        for desc in list(data_iter.provide_data) + list(data_iter.provide_label or []):
            # an input the symbol lacks would leave the real one to be trained as a
            # parameter: a silent wrong answer
            if desc.name not in arguments:
                raise ValueError(f'FeedForward.fit: the data gives input {desc.name!r} but '
                                 f'the symbol has no such argument ({arguments})')
        module = Module(self.symbol, data_names=[d.name for d in data_iter.provide_data],
                        label_names=[d.name for d in data_iter.provide_label or []],
                        logger=logger, context=self.ctx, work_load_list=work_load_list)
        module.bind(data_iter.provide_data, data_iter.provide_label or None, for_training=True)
        module.init_params(self.initializer, arg_params=self.arg_params,
                           aux_params=self.aux_params, allow_missing=True)
        return module

    def _predicting_module(self, data_iter):
        """A module bound for inference on ``ctx[0]`` with the current parameters.
        Label inputs the iterator does not give are bound with inferred shapes and
        left at zero (an output layer ignores its label at inference)."""
        if self.arg_params is None:
            raise ValueError('FeedForward has no parameters yet: call fit() first, or '
                             'pass arg_params (and aux_params) to the constructor or load()')
        arguments = self.symbol.list_arguments()
        data_descs = list(data_iter.provide_data)
        label_descs = [d for d in data_iter.provide_label or [] if d.name in arguments]
        given = {d.name for d in data_descs + label_descs}
        unfed = [name for name in arguments if name.endswith('label') and name not in given]
        if unfed:
            arg_shapes = self.symbol.infer_shape_partial(
                **{d.name: d.shape for d in data_descs + label_descs})[0]
            shapes = dict(zip(arguments, arg_shapes or []))
            label_descs += [DataDesc(name, shapes[name]) for name in unfed]
        module = Module(self.symbol, data_names=[d.name for d in data_descs],
                        label_names=[d.name for d in label_descs], context=self.ctx[0])
        module.bind(data_descs, label_descs or None, for_training=False)
        inputs = {d.name for d in data_descs + label_descs}
        missing = [name for name in arguments
                   if name not in inputs and name not in self.arg_params]
        if missing:
            raise ValueError(f'FeedForward: no value for parameter(s) {missing} in '
                             'arg_params')
        module.init_params(None, arg_params=self.arg_params, aux_params=self.aux_params or {},
                           allow_missing=False, allow_extra=True)
        return module

    def _inference(self, X, num_batch, reset):
        """Yield ``(nbatch, batch, module)`` with the module run forward on the batch.
        As in MXNet 1.x a ``num_batch`` of 0 (or None) means every batch."""
        data_iter = self._init_iter(X, None, is_train=False)
        if reset:
            data_iter.reset()
        module = self._predicting_module(data_iter)
        for nbatch, batch in enumerate(data_iter):
            if num_batch and nbatch == num_batch:
                return
            # the labels stay out: inference does not read them
            module.forward(DataBatch(data=batch.data, pad=batch.pad), is_train=False)
            yield nbatch, batch, module

    # ------------------------------------------------------------ the API
    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """The network's outputs for ``X`` (a DataIter, or numpy / NDArray data) as
        numpy arrays, the batches joined and a last batch's padding removed: one
        array for a single output, else a list. With ``return_data``:
        ``(outputs, data, label)``, each one array or a list of them."""
        outputs, datas, labels = [], [], []
        for _, batch, module in self._inference(X, num_batch, reset):
            keep = batch.data[0].shape[0] - (batch.pad or 0)
            outputs.append([out[:keep].asnumpy() for out in module.get_outputs()])
            if return_data:
                datas.append([array[:keep].asnumpy() for array in batch.data])
                labels.append([array[:keep].asnumpy() for array in batch.label or []])
        if not outputs:
            raise ValueError('predict: X gave no batch (an exhausted DataIter with '
                             'reset=False?)')
        result = _one_or_list(_concatenate_columns(outputs))
        if not return_data:
            return result
        label_arrays = _concatenate_columns(labels) if labels[0] else []
        return result, _one_or_list(_concatenate_columns(datas)), _one_or_list(label_arrays)

    def score(self, X, eval_metric='acc', num_batch=None, batch_end_callback=None,
              reset=True):
        """``eval_metric``'s value on ``X`` (a DataIter with labels). As in MXNet
        1.x, the padding examples of a last batch count."""
        measure = _as_metric(eval_metric)
        measure.reset()
        for nbatch, batch, module in self._inference(X, num_batch, reset):
            measure.update(batch.label, module.get_outputs())
            _call_each(batch_end_callback, BatchEndParam(epoch=0, nbatch=nbatch,
                                                         eval_metric=measure,
                                                         locals=locals()))
        return measure.get()[1]

    def fit(self, X, y=None, eval_data=None, eval_metric='acc', epoch_end_callback=None,
            batch_end_callback=None, kvstore='local', logger=None, work_load_list=None,
            monitor=None, eval_end_callback=LogValidationMetricsCallback(),
            eval_batch_end_callback=None):
        """Train for epochs ``begin_epoch .. num_epoch - 1``. Logs ``Start training
        with [cpu(0)]``, and per epoch ``Epoch[i] Resetting Data Iterator`` (when
        the data runs out) and ``Epoch[i] Time cost=...``; then calls
        ``epoch_end_callback(epoch, symbol, arg_params, aux_params)`` and scores
        ``eval_data``, whose result ``eval_end_callback`` logs as
        ``Epoch[i] Validation-accuracy=...``. ``batch_end_callback`` receives a
        BatchEndParam whose ``nbatch`` counts from 1."""
        if self.num_epoch is None:
            raise TypeError('FeedForward.fit needs num_epoch: give it to the constructor')
        logger = logger or logging
        train_iter = self._init_iter(X, y, is_train=True)
        eval_iter = self._init_eval_iter(eval_data)
        module = self._training_module(train_iter, logger, work_load_list)
        module.init_optimizer(kvstore=kvstore, optimizer=self.optimizer,
                              optimizer_params=self.kwargs)
        if monitor is not None:
            module.install_monitor(monitor)
        measure = _as_metric(eval_metric)
        logger.info('Start training with %s', str(self.ctx))
        for epoch in range(self.begin_epoch, self.num_epoch):
            started = time.time()
            measure.reset()
            self._fit_epoch(epoch, module, train_iter, measure, batch_end_callback,
                            monitor, logger)
            logger.info('Epoch[%d] Time cost=%.3f', epoch, time.time() - started)
            self._keep_params(module)
            _call_each(epoch_end_callback, epoch, self.symbol, self.arg_params,
                       self.aux_params)
            if eval_iter is not None:
                module.score(eval_iter, measure, epoch=epoch,
                             batch_end_callback=eval_batch_end_callback,
                             score_end_callback=eval_end_callback)

    def _fit_epoch(self, epoch, module, train_iter, measure, batch_end_callback, monitor,
                   logger):
        """Train on ``epoch_size`` batches (or one pass), resetting the iterator each
        time it runs out."""
        nbatch = 0
        while True:
            drawn = 0
            for batch in train_iter:
                drawn += 1
                if monitor is not None:
                    monitor.tic()
                module.forward_backward(batch)
                module.update()
                module.update_metric(measure, batch.label)
                if monitor is not None:
                    monitor.toc_print()
                nbatch += 1
                _call_each(batch_end_callback, BatchEndParam(
                    epoch=epoch, nbatch=nbatch, eval_metric=measure, locals=locals()))
                if self.epoch_size is not None and nbatch >= self.epoch_size:
                    return
            logger.info('Epoch[%d] Resetting Data Iterator', epoch)
            train_iter.reset()
            if self.epoch_size is None:
                return
            if drawn == 0:
                raise ValueError('FeedForward.fit: the training data gave no batch')

    def _keep_params(self, module):
        """Copy the module's trained values into ``arg_params`` / ``aux_params``."""
        arg_params, aux_params = module.get_params()
        self.arg_params = {name: value.copy() for name, value in arg_params.items()}
        self.aux_params = {name: value.copy() for name, value in aux_params.items()}

    # ------------------------------------------------------------ files
    def save(self, prefix, epoch=None, remove_amp_cast=True):
        """Write the checkpoint ``prefix-symbol.json`` and ``prefix-%04d.params``;
        ``epoch`` defaults to ``num_epoch``."""
        if epoch is None:
            epoch = self.num_epoch
        if epoch is None:
            raise AssertionError('save: give epoch (the model has no num_epoch)')
        if self.arg_params is None:
            raise ValueError('save: the model has no parameters yet')
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params, self.aux_params or {},
                        remove_amp_cast=remove_amp_cast)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """A FeedForward from the checkpoint ``prefix`` at ``epoch`` (its
        ``begin_epoch``); ``kwargs`` go to the constructor."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params,
                           begin_epoch=epoch, **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None, optimizer='sgd',
               initializer=Uniform(0.01), eval_data=None, eval_metric='acc',
               epoch_end_callback=None, batch_end_callback=None, kvstore='local',
               logger=None, work_load_list=None,
               eval_end_callback=LogValidationMetricsCallback(),
               eval_batch_end_callback=None, **kwargs):
        """Make a FeedForward and ``fit`` it; returns the trained model."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size,
                            optimizer=optimizer, initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric,
                  epoch_end_callback=epoch_end_callback,
                  batch_end_callback=batch_end_callback, kvstore=kvstore, logger=logger,
                  work_load_list=work_load_list, eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model
