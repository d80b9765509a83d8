"""What every module shares: the training loop ``fit`` and the loops of ``score``
and ``predict``, written once on top of a handful of methods a subclass provides.

>>> import numpy as np
>>> import d2lmini as mx
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1, name='fc')
>>> net = mx.sym.LinearRegressionOutput(net, name='lro')
>>> it = mx.io.NDArrayIter(np.ones((8, 3)), np.ones((8, 1)), batch_size=4,
...                        label_name='lro_label')
>>> mod = mx.mod.Module(net, label_names=['lro_label'])
>>> mod.fit(it, num_epoch=1, eval_metric='mse')
>>> mod.predict(it).shape
(8, 1)
"""
import logging
import time
import warnings

import numpy as np

from .. import metric
from .. import ndarray as nd
from ..initializer import Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import BatchEndParam, _from_file_dict, _to_file_dict

# Parameter suffixes left out of the "did you mean" list of input names.
_PARAM_SUFFIXES = ('_weight', '_bias', '_gamma', '_beta')


def _call_each(callbacks, *args):
    """Call one callback or each of a list of them (None: nothing to call)."""
    if callbacks is None:
        return
    for callback in callbacks if isinstance(callbacks, list) else [callbacks]:
        callback(*args)


def _as_metric(eval_metric):
    """An EvalMetric as given, or the one a name such as ``'acc'`` stands for."""
    if isinstance(eval_metric, metric.EvalMetric):
        return eval_metric
    return metric.create(eval_metric)


def _complain(message, throw):
    if throw:
        raise ValueError(message)
    warnings.warn(message, stacklevel=4)


def _check_input_names(symbol, names, typename, throw):
    """Every name in ``names`` must be an argument of ``symbol``. A stray one is an
    error when ``throw`` (a warning otherwise: some symbols take no label)."""
    arguments = symbol.list_arguments()
    missing = [name for name in names if name not in arguments]
    if not missing:
        return
    inputs = [a for a in arguments if not a.endswith(_PARAM_SUFFIXES)]
    for name in missing:
        _complain(f'You created Module with Module(..., {typename}_names={list(names)}) '
                  f"but input with name '{name}' is not found in symbol.list_arguments(). "
                  'Did you mean one of:\n\t' + '\n\t'.join(inputs), throw)


def _as_descs(shapes):
    """``[('data', (4, 3))]`` or DataDescs, as DataDescs."""
    return [s if isinstance(s, DataDesc) else DataDesc(*s) for s in shapes]


def _check_names_match(names, descs, kind, throw):
    if sorted(names) == sorted(desc[0] for desc in descs):
        return
    _complain(f"Data provided by {kind}_shapes don't match names specified by "
              f'{kind}_names ({descs} vs. {list(names)})', throw)


def _parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """The shapes given to ``bind`` as DataDescs, checked against the module's
    input names: data names must match exactly, label names only draw a warning.

    >>> data, label = _parse_data_desc(['data'], [], [('data', (2, 3))], None)
    >>> data[0].name, data[0].shape, label
    ('data', (2, 3), None)
    """
    data = _as_descs(data_shapes)
    labels = None if label_shapes is None else _as_descs(label_shapes)
    _check_names_match(data_names, data, 'data', throw=True)
    _check_names_match(label_names, labels or [], 'label', throw=False)
    return data, labels


def _require(condition, message):
    # MXNet checks a module's state with ``assert``; the same error type here, with a
    # message saying what to call first, and not skipped under ``python -O``
    if not condition:
        raise AssertionError(message)


def _merge_batches(per_batch, always_output_list):
    """Concatenate the outputs of every batch, output by output."""
    num_outputs = len(per_batch[0])
    if any(len(outputs) != num_outputs for outputs in per_batch):
        raise AssertionError('Cannot merge batches, as num of outputs is not the same '
                             'in mini-batches. Maybe bucketing is used?')
    merged = [nd.concatenate(list(column)) for column in zip(*per_batch)]
    return merged[0] if len(merged) == 1 and not always_output_list else merged


class BaseModule:
    """The part of a module that does not depend on how it computes: the training
    loop :meth:`fit`, :meth:`score`, :meth:`predict` and parameter files. A subclass
    provides ``bind``, ``init_params``, ``init_optimizer``, ``forward``,
    ``backward``, ``update``, ``update_metric``, ``get_outputs`` and
    ``get_params``."""

    def __init__(self, logger=logging):
        self.logger = logger
        # the state a module walks through: bind, init_params, init_optimizer
        self.binded = self.for_training = self.inputs_need_grad = False
        self.params_initialized = self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    def _check_ready(self, what):
        _require(self.binded, f'{what}: call bind() first (fit() does it for you)')
        _require(self.params_initialized, f'{what}: call init_params() first')

    # ------------------------------------------------------------ pieces of the loops
    def _update_metric_on(self, eval_metric, batch):
        """Feed ``batch``'s labels to ``eval_metric`` (a list of batches is already
        split per device)."""
        if isinstance(batch, list):
            self.update_metric(eval_metric, [part.label for part in batch], pre_sliced=True)
        else:
            self.update_metric(eval_metric, batch.label)

    def _inference_batches(self, data, num_batch, reset, sparse_row_id_fn):
        """Yield ``(nbatch, batch)`` for at most ``num_batch`` batches of ``data``,
        each batch already run forward in inference mode."""
        if reset:
            data.reset()
        for nbatch, batch in enumerate(data):
            if nbatch == num_batch:   # the batch is drawn, then left unused (as MXNet)
                return
            self.prepare(batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(batch, is_train=False)
            yield nbatch, batch

    def _unpadded_outputs(self, batch):
        """The current outputs without the rows that pad ``batch`` to full size."""
        pad = batch.pad or 0
        return [out[:out.shape[0] - pad] for out in self.get_outputs()]

    # ------------------------------------------------------------ high level
    def forward_backward(self, data_batch):
        """``forward(data_batch, is_train=True)`` then ``backward()``."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None,
              score_end_callback=None, reset=True, epoch=0, sparse_row_id_fn=None):
        """Run ``eval_data`` (at most ``num_batch`` batches) through the network and
        return ``eval_metric``'s ``[(name, value)]``.

        As in MXNet, the padding examples of a last batch count in the metric::

            mod.score(val_iter, 'acc')        # [('accuracy', 0.93)]
        """
        self._check_ready('score')
        measure = _as_metric(eval_metric)
        measure.reset()
        done = 0
        for nbatch, batch in self._inference_batches(eval_data, num_batch, reset,
                                                     sparse_row_id_fn):
            self._update_metric_on(measure, batch)
            _call_each(batch_end_callback, BatchEndParam(
                epoch=epoch, nbatch=nbatch, eval_metric=measure, locals=locals()))
            done += 1
        if score_end_callback:   # MXNet skips any falsy value here, not only None
            _call_each(score_end_callback, BatchEndParam(
                epoch=epoch, nbatch=done, eval_metric=measure, locals=locals()))
        return measure.get_name_value()

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield ``(outputs, nbatch, batch)`` per batch, the padding cut off the
        outputs::

            for outputs, i, batch in mod.iter_predict(val_iter):
                print(i, outputs[0].shape)
        """
        self._check_ready('iter_predict')
        for nbatch, batch in self._inference_batches(eval_data, num_batch, reset,
                                                     sparse_row_id_fn):
            yield self._unpadded_outputs(batch), nbatch, batch

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True,
                always_output_list=False, sparse_row_id_fn=None):
        """The outputs for ``eval_data`` (a DataIter, or one NDArray / numpy batch),
        without the padding examples.

        With ``merge_batches`` the batches are concatenated: one NDArray for a
        single-output network (unless ``always_output_list``), else a list per output;
        without, a list per batch of lists of outputs::

            probs = mod.predict(val_iter)     # NDArray (num_examples, num_classes)
        """
        self._check_ready('predict')
        if isinstance(eval_data, (np.ndarray, nd.NDArray)):   # one batch, no padding
            array = eval_data if isinstance(eval_data, nd.NDArray) else nd.array(eval_data)
            self.forward(DataBatch(data=[array]))
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ValueError('predict: eval_data must be of type NDArray (or numpy) or '
                             f'DataIter, not {type(eval_data).__name__}')
        # copies: the next forward overwrites the executors' output arrays
        per_batch = [[out.copy() for out in self._unpadded_outputs(batch)]
                     for _, batch in self._inference_batches(eval_data, num_batch, reset,
                                                             sparse_row_id_fn)]
        if not per_batch or not merge_batches:
            return per_batch
        return _merge_batches(per_batch, always_output_list)

    def fit(self, train_data, eval_data=None, eval_metric='acc', epoch_end_callback=None,
            batch_end_callback=None, kvstore='local', optimizer='sgd',
            optimizer_params=(('learning_rate', 0.01),), eval_end_callback=None,
            eval_batch_end_callback=None, initializer=Uniform(0.01), arg_params=None,
            aux_params=None, allow_missing=False, force_rebind=False, force_init=False,
            begin_epoch=0, num_epoch=None, validation_metric=None, monitor=None,
            sparse_row_id_fn=None):
        """Train on ``train_data`` for epochs ``begin_epoch .. num_epoch - 1``: bind,
        initialise the parameters and the optimizer (unless done already), then per
        batch forward, backward, update and ``eval_metric``; per epoch log
        ``Epoch[i] Train-<metric>=<value>`` and ``Epoch[i] Time cost=<seconds>``, call
        ``epoch_end_callback(epoch, symbol, arg_params, aux_params)`` and, with
        ``eval_data``, log ``Epoch[i] Validation-<metric>=<value>``::

            mod.fit(train_iter, eval_data=val_iter, optimizer_params={'learning_rate': 0.1},
                    num_epoch=5, batch_end_callback=mx.callback.Speedometer(64, 100))
        """
        if num_epoch is None:
            raise AssertionError('please specify number of epochs')
        # each step does nothing when already done (unless forced)
        self.bind(data_shapes=train_data.provide_data, for_training=True,
                  label_shapes=train_data.provide_label, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, force_init=force_init,
                         arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing)
        self.init_optimizer(kvstore=kvstore, optimizer_params=optimizer_params,
                            optimizer=optimizer)
        # a metric given by name is created afresh for validation, an object is shared
        validation_metric = eval_metric if validation_metric is None else validation_metric
        train_metric = _as_metric(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            started = time.time()
            results = self._fit_epoch(epoch, train_data, train_metric, batch_end_callback,
                                      monitor, sparse_row_id_fn)
            for name, value in results:
                self.logger.info('Epoch[%d] Train-%s=%f', epoch, name, value)
            self.logger.info('Epoch[%d] Time cost=%.3f', epoch, time.time() - started)

            # bring the trained values home (from devices or a kvstore) before anyone
            # looks at them
            trained_args, trained_auxs = self.get_params()
            self.set_params(trained_args, trained_auxs)
            _call_each(epoch_end_callback, epoch, self.symbol, trained_args, trained_auxs)

            if eval_data is not None:
                scores = self.score(eval_data, validation_metric, epoch=epoch,
                                    batch_end_callback=eval_batch_end_callback,
                                    score_end_callback=eval_end_callback)
                for name, value in scores:
                    self.logger.info('Epoch[%d] Validation-%s=%f', epoch, name, value)
            train_data.reset()

    def _fit_epoch(self, epoch, train_data, train_metric, batch_end_callback, monitor,
                   sparse_row_id_fn):
        """One pass of training over ``train_data``; returns the metric's values over
        the whole epoch."""
        train_metric.reset()
        batches = iter(train_data)
        upcoming = next(batches, None)
        if upcoming is None:
            raise ValueError(f'fit: train_data yielded no batch in epoch {epoch}; is '
                             'the batch size larger than the data with '
                             "last_batch_handle='discard'?")
        results = []
        nbatch = 0
        while upcoming is not None:
            batch = upcoming
            if monitor is not None:
                monitor.tic()
            self.forward_backward(batch)
            self.update()
            self._update_metric_on(train_metric, batch)
            # Draw and prepare the next batch before this batch's callbacks run, and
            # read the epoch's totals after the last batch before them too: a
            # Speedometer with auto_reset clears the metric's running statistics.
            upcoming = next(batches, None)
            if upcoming is not None:
                self.prepare(upcoming, sparse_row_id_fn=sparse_row_id_fn)
            if monitor is not None:
                monitor.toc_print()
            if upcoming is None:
                results = train_metric.get_global_name_value()
            _call_each(batch_end_callback, BatchEndParam(
                epoch=epoch, nbatch=nbatch, eval_metric=train_metric, locals=locals()))
            nbatch += 1
        return results

    # ------------------------------------------------------------ parameters
    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Set the parameters from dicts name -> NDArray."""
        # init_params without an initializer only copies the given values in
        self.init_params(initializer=None, force_init=force_init, allow_extra=allow_extra,
                         arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing)

    def save_params(self, fname):
        """Save the parameters to ``fname`` in MXNet's format (keys ``arg:``/``aux:``)."""
        nd.save(fname, _to_file_dict(*self.get_params()))

    def load_params(self, fname):
        """Load parameters saved by :meth:`save_params` (or MXNet's)."""
        arg_params, aux_params, strays = _from_file_dict(nd.load(fname))
        if strays:
            raise ValueError('Invalid param file ' + fname)
        self.set_params(arg_params, aux_params)

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Get ready for ``data_batch`` (nothing to do for dense parameters)."""
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning('sparse_row_id_fn is not invoked for BaseModule.'),
                          stacklevel=2)

    def install_monitor(self, mon):
        raise NotImplementedError()

    @property
    def symbol(self):
        """The symbol this module computes."""
        return self._symbol
