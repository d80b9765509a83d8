"""Event handlers: the pieces of work :class:`Estimator.fit` does around each step.

``fit`` announces six events: training begins, an epoch begins, a batch begins, a
batch ends, an epoch ends, training ends. A handler takes part in an event by
inheriting the matching class (``TrainBegin``, ..., ``TrainEnd``) and defining its
method, e.g. ``batch_end(self, estimator, *args, **kwargs)``. At ``batch_end`` the
keyword arguments are ``batch``, ``pred``, ``label`` and ``loss``; a ``batch_end``
or ``epoch_end`` that returns True ends the epoch (respectively the training).

Handlers run in the order of their ``priority`` (smaller first; 0 when a handler has
none): the gradient update (-2000), then metrics and validation (-1000), then the
user's handlers, then logging (infinity), so that what is logged is up to date.

>>> class CountBatches(BatchEnd):
...     def __init__(self):
...         self.seen = 0
...     def batch_end(self, estimator, *args, **kwargs):
...         self.seen += 1
>>> counter = CountBatches()
>>> counter.batch_end(None, batch=None)
>>> counter.seen
1
"""
import math
import os
import re
import time
import warnings

import numpy as np

from .... import metric as metric_module
from ... import block as gluon_block
from .utils import _check_metrics, _check_monitor

__all__ = [
    # the events
    'TrainBegin', 'EpochBegin', 'BatchBegin', 'BatchEnd', 'EpochEnd', 'TrainEnd',
    'TrainBeginMixin', 'EpochBeginMixin', 'BatchBeginMixin', 'BatchEndMixin',
    'EpochEndMixin', 'TrainEndMixin',
    # the handlers
    'GradientUpdateHandler', 'MetricHandler', 'ValidationHandler', 'StoppingHandler',
    'LoggingHandler', 'CheckpointHandler', 'EarlyStoppingHandler']


class EventHandler:
    """The common base of all event handlers."""


class TrainBegin(EventHandler):
    """A handler called once when ``fit`` starts."""

    def train_begin(self, estimator, *args, **kwargs):
        pass


class TrainEnd(EventHandler):
    """A handler called once when ``fit`` finishes."""

    def train_end(self, estimator, *args, **kwargs):
        pass


class EpochBegin(EventHandler):
    """A handler called at the start of every epoch (and of every evaluation)."""

    def epoch_begin(self, estimator, *args, **kwargs):
        pass


class EpochEnd(EventHandler):
    """A handler called at the end of every epoch; returning True stops training."""

    def epoch_end(self, estimator, *args, **kwargs):
        return False


class BatchBegin(EventHandler):
    """A handler called before every batch, with keyword argument ``batch``."""

    def batch_begin(self, estimator, *args, **kwargs):
        pass


class BatchEnd(EventHandler):
    """A handler called after every batch, with keyword arguments ``batch``, ``pred``,
    ``label`` and ``loss``; returning True ends the epoch."""

    def batch_end(self, estimator, *args, **kwargs):
        return False


# the names MXNet's later versions use (1.x has only those above)
TrainBeginMixin, TrainEndMixin = TrainBegin, TrainEnd
EpochBeginMixin, EpochEndMixin = EpochBegin, EpochEnd
BatchBeginMixin, BatchEndMixin = BatchBegin, BatchEnd


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops training after ``max_epoch`` epochs or ``max_batch`` batches.

    ``fit`` always adds one; at ``train_begin`` it takes both limits from the
    estimator (what ``fit(epochs=..., batches=...)`` set).

    >>> stop = StoppingHandler(max_batch=2)
    >>> stop.batch_end(None), stop.batch_end(None)
    (False, True)
    """

    def __init__(self, max_epoch=None, max_batch=None):
        self.max_epoch, self.max_batch = max_epoch, max_batch
        self.current_batch = self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        # the limits fit() was given (a CheckpointHandler resuming may have cut them)
        self.max_epoch, self.max_batch = estimator.max_epoch, estimator.max_batch
        self.current_batch = self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        # once reached, a limit keeps saying stop
        self.stop_training = self.stop_training or self.current_batch == self.max_batch
        return self.stop_training

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        self.stop_training = self.stop_training or self.current_epoch == self.max_epoch
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Resets ``metrics`` when an epoch begins and updates them after every batch:
    a :class:`~d2lmini.metric.Loss` metric with the losses, any other with the
    labels and predictions.

    >>> import d2lmini as mx
    >>> acc, loss = mx.metric.Accuracy(), mx.metric.Loss()
    >>> handler = MetricHandler([acc, loss])
    >>> handler.batch_end(None, pred=[mx.nd.array([[0, 1], [1, 0]])],
    ...                   label=[mx.nd.array([1, 1])], loss=[mx.nd.array([2., 4.])])
    >>> acc.get(), loss.get()
    (('accuracy', 0.5), ('loss', 3.0))
    """

    def __init__(self, metrics, priority=-1000):
        self.metrics, self.priority = _check_metrics(metrics), priority

    def epoch_begin(self, estimator, *args, **kwargs):
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator, *args, **kwargs):
        pred, label, loss = kwargs['pred'], kwargs['label'], kwargs['loss']
        for metric in self.metrics:
            if isinstance(metric, metric_module.Loss):
                metric.update(0, loss)     # a loss metric averages the losses
            else:
                metric.update(label, pred)


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Calls ``eval_fn(val_data=..., batch_axis=..., event_handlers=...)`` (usually
    ``estimator.evaluate``) every ``epoch_period`` epochs and, if given, every
    ``batch_period`` batches. ``event_handlers`` are passed on to ``eval_fn``."""

    def __init__(self, val_data, eval_fn, epoch_period=1, batch_period=None, priority=-1000,
                 event_handlers=None):
        self.val_data, self.eval_fn = val_data, eval_fn
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.current_batch = self.current_epoch = 0
        self.priority, self.event_handlers = priority, event_handlers

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = self.current_epoch = 0

    def _evaluate(self, estimator):
        options = {'val_data': self.val_data, 'batch_axis': estimator.batch_axis,
                   'event_handlers': self.event_handlers}
        self.eval_fn(**options)

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if _due(self.current_batch, self.batch_period):
            self._evaluate(estimator)

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if _due(self.current_epoch, self.epoch_period):
            self._evaluate(estimator)


def _due(count, period):
    """Whether event number ``count`` is one of every ``period`` (never without one)."""
    return bool(period) and count % period == 0


def _metric_text(metrics):
    """``'name: 0.1234, name: 0.5678'`` for a list of metrics."""
    parts = []
    for metric in metrics:
        for name, value in metric.get_name_value():
            parts.append(f'{name}: {value:.4f}')
    return ', '.join(parts)


def _joined(head, separator, metrics):
    """``head`` followed by the metrics' values (if any) after ``separator``."""
    text = _metric_text(metrics)
    return head + separator + text if text else head


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Logs the progress through ``estimator.logger``: the optimizer and length of the
    training, and the values of ``metrics`` at the end of every epoch
    (``log_interval='epoch'``) or also every ``log_interval`` batches (an integer).

    The lines are those of MXNet 1.x, for example::

        Training begin: using optimizer SGD with current learning rate 0.0010
        Train for 2 epochs.
        [Epoch 0] Begin, current learning rate: 0.0010
        [Epoch 0][Batch 0][Samples 4] time/interval: 0.001s training accuracy: 0.5000
        [Epoch 0] Finished in 0.005s, training accuracy: 0.4000
        Train finished using total 0s with 2 epochs. training accuracy: 0.4000

    Logging the validation metrics (names not containing ``'training'``), the
    epoch begins with ``Validation Begin`` instead.
    """

    def __init__(self, log_interval='epoch', metrics=None, priority=np.inf):
        if not (log_interval == 'epoch' or
                (isinstance(log_interval, int) and not isinstance(log_interval, bool))):
            raise ValueError("log_interval must be either an integer or string "
                             "'epoch'")
        if log_interval != 'epoch' and log_interval < 1:
            # (MXNet accepts 0 and then fails dividing by it at the first batch)
            raise ValueError(f'log_interval must be a positive number of batches, got '
                             f'{log_interval}')
        self.metrics, self.priority = _check_metrics(metrics), priority
        self.log_interval, self._per_batch = log_interval, log_interval != 'epoch'
        self.batch_index = self.current_epoch = self.processed_samples = 0
        self.log_interval_time = 0

    def _is_training(self):
        # as in MXNet: the handler logs training when one of its metrics says so
        return any('training' in metric.name for metric in self.metrics)

    def train_begin(self, estimator, *args, **kwargs):
        self.train_start = time.perf_counter()
        trainer = estimator.trainer
        estimator.logger.info(f'Training begin: using optimizer '
                              f'{type(trainer.optimizer).__name__} with current learning '
                              f'rate {trainer.learning_rate:.4f} ')
        if estimator.max_epoch:
            estimator.logger.info(f'Train for {estimator.max_epoch} epochs.')
        else:
            estimator.logger.info(f'Train for {estimator.max_batch} batches.')
        self.current_epoch = self.batch_index = self.processed_samples = 0
        self.log_interval_time = 0

    def train_end(self, estimator, *args, **kwargs):
        seconds = time.perf_counter() - self.train_start
        head = f'Train finished using total {int(seconds)}s with {self.current_epoch} epochs.'
        estimator.logger.info(_joined(head, ' ', self.metrics))

    def epoch_begin(self, estimator, *args, **kwargs):
        self.epoch_start = time.perf_counter()
        if self._is_training():
            estimator.logger.info(f'[Epoch {self.current_epoch}] Begin, current learning rate: '
                                  f'{estimator.trainer.learning_rate:.4f}')
        else:
            estimator.logger.info('Validation Begin')

    def epoch_end(self, estimator, *args, **kwargs):
        seconds = time.perf_counter() - self.epoch_start
        head = f'[Epoch {self.current_epoch}] Finished in {seconds:.3f}s'
        estimator.logger.info(_joined(head, ', ', self.metrics))
        self.current_epoch += 1
        self.batch_index = 0

    def batch_begin(self, estimator, *args, **kwargs):
        if self._per_batch:
            self.batch_start = time.perf_counter()

    def batch_end(self, estimator, *args, **kwargs):
        if not self._per_batch:
            return
        self.log_interval_time += time.perf_counter() - self.batch_start
        axis = getattr(estimator, 'batch_axis', 0)
        self.processed_samples += kwargs['batch'][0].shape[axis]
        if _due(self.batch_index, self.log_interval):
            head = (f'[Epoch {self.current_epoch}][Batch {self.batch_index}]'
                    f'[Samples {self.processed_samples}] time/interval: '
                    f'{self.log_interval_time:.3f}s')
            estimator.logger.info(_joined(head, ' ', self.metrics))
            self.log_interval_time = 0
        self.batch_index += 1


def _comparison(mode, monitor, who):
    """The numpy comparison telling whether a new value of ``monitor`` is better:
    ``np.less`` for mode 'min', ``np.greater`` for 'max' and, as MXNet 1.x does, for
    'auto' too (with a warning saying so)."""
    if mode not in ('auto', 'min', 'max'):
        warnings.warn(f"{who} mode {mode} is unknown, fallback to auto mode.", stacklevel=3)
        mode = 'auto'
    if mode == 'min':
        return np.less
    if mode == 'auto':
        warnings.warn(f'`greater` operator will be used to determine if {monitor.name} has '
                      "improved. Please specify `mode='min'` to use the `less` operator. "
                      "Specify `mode='max' to disable this warning.`", stacklevel=3)
    return np.greater


def _is_nan(value):
    return isinstance(value, float) and math.isnan(value)


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Saves the model every ``epoch_period`` epochs and/or ``batch_period`` batches.

    Each checkpoint is two files in ``model_dir``: the parameters
    ``{model_prefix}-epoch{E}batch{B}.params`` (``net.save_parameters``) and the
    trainer's state ``....states`` (``trainer.save_states``). At an epoch's end B is
    the number of batches trained so far, at a batch's end the index of that batch.
    Only the latest ``max_checkpoints`` are kept. A hybridized network's graph is
    written once to ``{model_prefix}-symbol.json``.

    monitor, save_best, mode : with ``save_best``, also keep the best model so far,
        judged by the metric ``monitor`` (one of ``estimator.train_metrics`` or
        ``val_metrics``), in ``{model_prefix}-best.params``/``.states``. ``mode``
        says whether smaller ('min') or larger ('max') is better; 'auto' means
        larger, as in MXNet 1.x.
    resume_from_checkpoint : at the start of ``fit``, load the latest checkpoint in
        ``model_dir`` and train only the epochs (or batches) still to do.

    >>> import os, tempfile
    >>> import d2lmini as mx
    >>> from d2lmini import gluon
    >>> from d2lmini.gluon.contrib.estimator import Estimator
    >>> net = gluon.nn.Dense(2, in_units=3)
    >>> net.initialize()
    >>> est = Estimator(net, gluon.loss.L2Loss(),
    ...                 trainer=gluon.Trainer(net.collect_params(), 'sgd'))
    >>> est.logger.setLevel('WARNING')
    >>> data = gluon.data.ArrayDataset(mx.nd.ones((6, 3)), mx.nd.zeros((6, 2)))
    >>> folder = tempfile.mkdtemp()
    >>> est.fit(gluon.data.DataLoader(data, batch_size=3), epochs=2,
    ...         event_handlers=[CheckpointHandler(folder, max_checkpoints=1)])
    >>> sorted(os.listdir(folder))
    ['model-epoch1batch4.params', 'model-epoch1batch4.states', 'model-symbol.json']
    """

    def __init__(self, model_dir, model_prefix='model', monitor=None, verbose=0,
                 save_best=False, mode='auto', epoch_period=1, batch_period=None,
                 max_checkpoints=5, resume_from_checkpoint=False):
        self.model_dir, self.model_prefix = model_dir, model_prefix
        self.monitor, self.save_best, self.verbose = monitor, save_best, verbose
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.max_checkpoints, self.saved_checkpoints = max_checkpoints, []
        self.current_batch = self.current_epoch = 0
        self.resume_from_checkpoint = bool(resume_from_checkpoint)
        os.makedirs(model_dir, exist_ok=True)
        if save_best:
            _check_monitor(monitor, 'To save best model only, ')
            self.monitor_op = _comparison(mode, monitor, 'CheckpointHandler')
            self.best = np.inf if self.monitor_op is np.less else -np.inf
        # added to the counters in file names when training resumes from a checkpoint
        self._epoch_offset = self._batch_offset = 0
        self._symbol_written = False

    def train_begin(self, estimator, *args, **kwargs):
        self.current_epoch = self.current_batch = 0
        self._epoch_offset = self._batch_offset = 0
        self._symbol_written = False
        if self.save_best:
            self.best = np.inf if self.monitor_op is np.less else -np.inf
        self._resume(estimator)

    # the counters count what is finished, so the n-th batch or epoch is counter + 1
    def batch_end(self, estimator, *args, **kwargs):
        # the graph is written (or its absence logged) once per fit, after the first
        # batch, as MXNet 1.x does: the network has run by then, whatever the periods
        if not self._symbol_written:
            self._write_symbol(estimator)
            self._symbol_written = True
        if _due(self.current_batch + 1, self.batch_period):
            self._checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator, *args, **kwargs):
        if _due(self.current_epoch + 1, self.epoch_period):
            self._checkpoint(estimator)
        self.current_epoch += 1

    # ------------------------------------------------------------ saving
    def _path(self, prefix, suffix):
        return os.path.join(self.model_dir, prefix + suffix)

    def _checkpoint(self, estimator):
        epoch = self.current_epoch + self._epoch_offset
        prefix = f'{self.model_prefix}-epoch{epoch}batch{self.current_batch + self._batch_offset}'
        if not self._symbol_written:    # a fit that ran no batch yet
            self._write_symbol(estimator)
            self._symbol_written = True
        if self.verbose > 0:
            estimator.logger.info(f'[Epoch {self.current_epoch}] CheckpointHandler: trained '
                                  f'total {self.current_batch + 1} batches, saving model at '
                                  f'{self.model_dir} with prefix: {prefix}')
        self._save(estimator, prefix)
        self.saved_checkpoints.append(prefix)
        while len(self.saved_checkpoints) > max(self.max_checkpoints, 0):
            oldest = self.saved_checkpoints.pop(0)
            for suffix in ('.params', '.states'):
                if os.path.exists(self._path(oldest, suffix)):
                    os.remove(self._path(oldest, suffix))
        if self.save_best:
            self._save_if_best(estimator)

    def _save_if_best(self, estimator):
        name, value = self.monitor.get()
        if _is_nan(value):
            warnings.warn(f'{name} is not updated, make sure you pass one of the metric '
                          'objects from estimator.train_metrics and estimator.val_metrics '
                          'as monitor.')
        elif self.monitor_op(value, self.best):
            prefix = f'{self.model_prefix}-best'
            if self.verbose > 0:
                estimator.logger.info(f'[Epoch {self.current_epoch}] CheckpointHandler: {name} '
                                      f'improved from {self.best:0.5f} to {value:0.5f}, '
                                      f'updating best model at {self.model_dir} with prefix: '
                                      f'{prefix}')
            self.best = value
            self._save(estimator, prefix)
        elif self.verbose > 0:
            estimator.logger.info(f'[Epoch {self.current_epoch}] CheckpointHandler: {name} did '
                                  f'not improve from {self.best:0.5f}, skipping updating best '
                                  'model')

    def _save(self, estimator, prefix):
        estimator.net.save_parameters(self._path(prefix, '.params'))
        estimator.trainer.save_states(self._path(prefix, '.states'))

    def _write_symbol(self, estimator):
        """Write the network's graph, as MXNet does for a HybridBlock whose children
        are all hybridized; say why not otherwise."""
        from .... import symbol
        net = estimator.net
        fname = self._path(self.model_prefix, '-symbol.json')
        if _hybridized(net):
            try:
                graph = net(symbol.var('data'))
            except Exception as e:    # e.g. a network of several inputs
                estimator.logger.info(f'Model architecture(symbol file) is not saved: the '
                                      f'network cannot be called on one input ({e}).')
                return
            if isinstance(graph, (list, tuple)):
                graph = symbol.Group(list(graph))
            graph.save(fname)
        else:
            estimator.logger.info('Model architecture(symbol file) is not saved, please use '
                                  'HybridBlock to construct your model, and call '
                                  'net.hybridize() before passing to Estimator in order to '
                                  f'save model architecture as {fname}.')

    # ------------------------------------------------------------ resuming
    def _resume(self, estimator):
        """With ``resume_from_checkpoint``: load the latest checkpoint and shorten the
        training by what it had done."""
        if not self.resume_from_checkpoint:
            return
        by_epochs = bool(estimator.max_epoch)
        assert (self.epoch_period and not self.batch_period) if by_epochs else \
            (self.batch_period and not self.epoch_period), (
                'To use resume from checkpoint, you must only specify the same type of period '
                'you used for training. For example, if you are training based on number of '
                'epochs, you must save only based on epochs, and set batch_period to None.')
        unit = 'epochs' if by_epochs else 'batches'
        latest = self._latest_checkpoint()
        if latest is None:
            todo = estimator.max_epoch if by_epochs else estimator.max_batch
            estimator.logger.info(f'CheckpointHandler: No checkpoint found, training from '
                                  f'scratch for {todo} {unit}')
            return
        epoch, batch = latest
        if by_epochs:
            done, todo = epoch + 1, estimator.max_epoch - (epoch + 1)
        else:
            done, todo = batch + 1, estimator.max_batch - (batch + 1)
        if todo <= 0:
            raise ValueError(f'Found checkpoint with maximum number of {unit[:-1]} {done} '
                             'reached, please specify resume_from_checkpoint=False (default '
                             'value) if you want to train from scratch.')
        prefix = f'{self.model_prefix}-epoch{epoch}batch{batch}'
        estimator.net.load_parameters(self._path(prefix, '.params'), ctx=estimator.context)
        estimator.trainer.load_states(self._path(prefix, '.states'))
        if by_epochs:
            estimator.max_epoch = todo
        else:
            estimator.max_batch = todo
        # the new files continue the numbering of the old ones
        self._epoch_offset = epoch + 1
        self._batch_offset = batch if by_epochs else batch + 1
        estimator.logger.info(f'CheckpointHandler: Checkpoint resumed from epoch {epoch} batch '
                              f'{batch}, continue to train for {todo} {unit} ')

    def _latest_checkpoint(self):
        """``(epoch, batch)`` of the latest complete checkpoint in ``model_dir``."""
        pattern = re.compile(re.escape(self.model_prefix) + r'-epoch(\d+)batch(\d+)\.params$')
        found = []
        for fname in sorted(os.listdir(self.model_dir)):
            match = pattern.match(fname)
            if match and os.path.exists(self._path(fname[:-len('.params')], '.states')):
                found.append((int(match.group(1)), int(match.group(2))))
        return max(found) if found else None


def _hybridized(net):
    """Whether MXNet writes a symbol file for ``net``: a HybridBlock whose children
    are all hybridized."""
    if not isinstance(net, gluon_block.HybridBlock):
        return False
    return all(isinstance(child, gluon_block.HybridBlock) and child._active
               for child in net._children.values())


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops training when the metric ``monitor`` has not improved by more than
    ``min_delta`` for more than ``patience`` epochs.

    mode : 'min' (smaller is better), 'max', or 'auto' (as MXNet 1.x: larger is
        better, with a warning)
    baseline : the value to beat at first (default: none)

    >>> import d2lmini as mx
    >>> loss = mx.metric.Loss()
    >>> stop = EarlyStoppingHandler(loss, mode='min')
    >>> stop.train_begin(None)
    >>> stops = []
    >>> for value in [3., 2., 2.5]:         # the loss of three epochs
    ...     loss.reset(); loss.update(None, [mx.nd.array([value])])
    ...     stops.append(stop.epoch_end(None))
    >>> stops
    [False, False, True]
    """

    def __init__(self, monitor, min_delta=0, patience=0, mode='auto', baseline=None):
        _check_monitor(monitor, '')
        self.monitor, self.baseline = monitor, baseline
        self.patience, self.min_delta = patience, min_delta
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False
        self.monitor_op = _comparison(mode, monitor, 'EarlyStopping')
        if self.monitor_op is np.less:
            self.min_delta = -self.min_delta    # an improvement lowers the value
        self.best = self._start_value()

    def _start_value(self):
        if self.baseline is not None:
            return self.baseline
        return np.inf if self.monitor_op is np.less else -np.inf

    def train_begin(self, estimator, *args, **kwargs):
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False
        self.best = self._start_value()

    def epoch_end(self, estimator, *args, **kwargs):
        name, value = self.monitor.get()
        if _is_nan(value):
            warnings.warn(f'{name} is not updated, make sure you pass one of the metric objects '
                          'from estimator.train_metrics and estimator.val_metrics as monitor.')
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1      # one more epoch without progress
            out_of_patience = self.wait >= self.patience
            if out_of_patience:
                self.stopped_epoch, self.stop_training = self.current_epoch, True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator, *args, **kwargs):
        if self.stopped_epoch > 0:
            estimator.logger.info(f'[Epoch {self.stopped_epoch}] EarlyStoppingHandler: early '
                                  f'stopping due to {self.monitor.name} not improving')


class GradientUpdateHandler(BatchEnd):
    """Applies the gradients after every batch: ``estimator.trainer.step(n)`` with n
    the number of examples in the batch's losses.

    >>> import d2lmini as mx
    >>> class FakeTrainer:
    ...     def step(self, batch_size): print('step', batch_size)
    >>> class FakeEstimator: trainer = FakeTrainer()
    >>> GradientUpdateHandler().batch_end(FakeEstimator(), loss=[mx.nd.ones(4), mx.nd.ones(3)])
    step 7
    """

    def __init__(self, priority=-2000):
        self.priority = priority

    def batch_end(self, estimator, *args, **kwargs):
        loss = kwargs['loss']
        losses = loss if isinstance(loss, (list, tuple)) else [loss]
        estimator.trainer.step(sum(part.shape[0] for part in losses))
