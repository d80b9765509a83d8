"""The Estimator: a training loop with event handlers, as in MXNet 1.6+.

>>> import d2lmini as mx
>>> from d2lmini import gluon
>>> net = gluon.nn.Dense(2, in_units=3)
>>> net.initialize()
>>> trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
>>> est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer)
>>> [m.name for m in est.train_metrics]
['training accuracy', 'training softmaxcrossentropyloss']
>>> data = gluon.data.ArrayDataset(mx.nd.ones((8, 3)), mx.nd.zeros(8))
>>> est.logger.setLevel('WARNING')   # keep the example quiet
>>> est.fit(gluon.data.DataLoader(data, batch_size=4), epochs=2)
>>> est.train_metrics[0].get()
('training accuracy', 1.0)
"""
import copy
import logging
import numbers
import sys
import warnings

from .... import metric as metric_module
from ....context import Context, cpu, gpu, num_gpus
from ... import loss as gluon_loss
from ...data import DataLoader
from ...trainer import Trainer
from .batch_processor import BatchProcessor
from .event_handler import (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd,
                            MetricHandler, ValidationHandler, LoggingHandler, StoppingHandler,
                            GradientUpdateHandler)
from .utils import _check_metrics

__all__ = ['Estimator']


class Estimator:
    """Trains ``net`` with ``loss`` and reports metrics, the work split between a
    :class:`BatchProcessor` and event handlers.

    net : the Block to train
    loss : a :class:`~d2lmini.gluon.loss.Loss`
    train_metrics, val_metrics : a metric or a list of metrics. Their names get the
        prefix ``'training '`` (``'validation '``), in place, as MXNet does. Without
        training metrics: accuracy for a SoftmaxCrossEntropyLoss, and always the mean
        loss. Without validation metrics: copies of the training ones.
    initializer : for the parameters not yet initialized
    trainer : a :class:`~d2lmini.gluon.Trainer`; default SGD with learning rate 0.001
        (with a warning)
    context : a Context or a list of them (the batch is split among them); default
        every GPU, else the CPU
    val_net, val_loss : the network and loss used for validation (default: ``net``
        and ``loss``)
    batch_processor : a :class:`BatchProcessor` (or anything with ``fit_batch`` and
        ``evaluate_batch``)

    The log goes to ``est.logger``, a logger writing to standard output.
    """

    def __init__(self, net, loss, train_metrics=None, val_metrics=None, initializer=None,
                 trainer=None, context=None, val_net=None, val_loss=None, batch_processor=None):
        # (the checks in MXNet's order, so that the first problem is the one reported)
        self.net, self.val_net = net, (net if val_net is None else val_net)
        self.loss = _loss_or_error(loss)
        self.val_loss = self.loss if val_loss is None else _loss_or_error(val_loss)
        self._train_metrics, self._val_metrics = self._named_metrics(
            _check_metrics(train_metrics), _check_metrics(val_metrics))
        self.logger = _stdout_logger()
        self.context = _contexts(context)
        self._initialize_net(initializer)
        self.trainer = self._default_trainer() if trainer is None else _trainer_or_error(trainer)
        self.batch_processor = _processor_or_error(batch_processor)

    @property
    def train_metrics(self):
        """The training metrics (a list), names prefixed with ``'training '``."""
        return self._train_metrics

    @property
    def val_metrics(self):
        """The validation metrics (a list), names prefixed with ``'validation '``."""
        return self._val_metrics

    # ------------------------------------------------------------ set-up
    def _default_trainer(self):
        warnings.warn('No trainer specified, default SGD optimizer with learning rate 0.001 '
                      'is used.', stacklevel=3)
        return Trainer(self.net.collect_params(), 'sgd', {'learning_rate': 0.001})

    def _initialize_net(self, initializer):
        """Initialize the parameters still without values; a parameter that waits for
        its shape counts as initialized."""
        params = self.net.collect_params().values()
        if any(p._data is None and not p._deferred_init for p in params):
            # those already set are kept (each says so in a warning)
            self.net.initialize(init=initializer, ctx=self.context)
        elif initializer is not None:
            warnings.warn("Network already fully initialized, skipping initialization. You "
                          "don't need to pass initializer if you already initialized your "
                          'net. You can use net.initialize(init=your_initializer, '
                          'force_reinit=True) to force re-initialize.', stacklevel=3)

    def _named_metrics(self, train, val):
        """The training and validation metrics, named as MXNet names them."""
        if not train:
            if isinstance(self.loss, gluon_loss.SoftmaxCrossEntropyLoss):
                train.append(metric_module.Accuracy())
            train.append(metric_module.Loss(type(self.loss).__name__.lower()))
        if not val:     # copies of the training metrics, before these are renamed
            val = [copy.deepcopy(m) for m in train]
            for metric in val:
                metric.reset()
        for prefix, group in (('training ', train), ('validation ', val)):
            for metric in group:
                metric.name = prefix + metric.name   # in place, as MXNet does
        return train, val

    # ------------------------------------------------------------ handlers
    def _check_known_metrics(self, handlers):
        """Refuse handlers logging or updating a metric this estimator does not own:
        nothing would ever update it."""
        known = {id(m) for m in self._train_metrics + self._val_metrics}
        for handler in handlers:
            for metric in getattr(handler, 'metrics', None) or []:
                if id(metric) not in known:
                    raise ValueError(
                        f'Event handler {type(handler).__name__} refers to a metric instance '
                        f'{metric} outside of the known training and validation metrics. '
                        'Please use the metrics from estimator.train_metrics and '
                        'estimator.val_metrics instead.')

    def _prepare_default_handlers(self, val_data, event_handlers):
        """The user's handlers, completed with the default ones, sorted by priority."""
        handlers = list(event_handlers or [])
        self._check_known_metrics(handlers)
        has = lambda kind: any(isinstance(h, kind) for h in handlers)  # noqa: E731
        added = []
        if not has(GradientUpdateHandler):
            added.append(GradientUpdateHandler())
        if not has(MetricHandler):
            added.append(MetricHandler(metrics=self._train_metrics))
        if val_data is not None and not has(ValidationHandler):
            added.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        added.append(StoppingHandler(self.max_epoch, self.max_batch))
        if not has(LoggingHandler):
            added.append(LoggingHandler(metrics=self._train_metrics))
        # a stable sort: among equal priorities the user's handlers come first
        return sorted(handlers + added, key=_priority)

    def _prepare_default_validation_handlers(self, event_handlers):
        handlers = list(event_handlers or [])
        self._check_known_metrics(handlers)
        added = []
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(metrics=self._val_metrics))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self._val_metrics))
        return sorted(handlers + added, key=_priority)

    @staticmethod
    def _categorize_handlers(event_handlers):
        """The handlers of each event: train_begin, epoch_begin, batch_begin, batch_end,
        epoch_end, train_end."""
        kinds = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)
        return tuple([h for h in event_handlers if isinstance(h, kind)] for kind in kinds)

    # ------------------------------------------------------------ the loops
    def _get_data_and_label(self, batch, ctx, batch_axis=0):
        return BatchProcessor()._get_data_and_label(batch, ctx, batch_axis)

    def evaluate(self, val_data, batch_axis=0, event_handlers=None):
        """Run ``val_net`` over ``val_data`` (a DataLoader) and update the validation
        metrics (by default a :class:`MetricHandler` and a :class:`LoggingHandler` of
        them). Only epoch and batch events are sent."""
        _check_data(val_data)
        handlers = self._prepare_default_validation_handlers(_as_list(event_handlers))
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = \
            self._categorize_handlers(handlers)
        for handler in epoch_begin:
            handler.epoch_begin(self)
        for batch in val_data:
            for handler in batch_begin:
                handler.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            for handler in batch_end:
                handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for handler in epoch_end:
            handler.epoch_end(self)

    def fit(self, train_data, val_data=None, epochs=None, event_handlers=None, batches=None,
            batch_axis=0):
        """Train on ``train_data`` (a DataLoader) for ``epochs`` epochs or ``batches``
        batches (exactly one of the two), evaluating on ``val_data`` after every epoch
        when given.

        event_handlers : a handler or a list of them, added to the default ones
            (gradient update, metrics, validation, stopping, logging)
        batch_axis : the axis of the batch along which it is split among contexts
        """
        if _is_count(epochs) == _is_count(batches):
            raise ValueError('Fit only support exactly one type of iteration, train by number '
                             'of epochs or number of batches. Please specify one and only one '
                             'of: epochs or batches.')
        for count in (epochs, batches):
            if count is not None and not (_is_count(count) and count > 0):
                raise ValueError(f'epochs and batches must be positive integers, got {count!r}')
        _check_data(train_data)
        if val_data is not None:
            _check_data(val_data)
        self.max_epoch = epochs
        self.max_batch = batches
        self.batch_axis = batch_axis
        handlers = self._prepare_default_handlers(val_data, _as_list(event_handlers))
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end = \
            self._categorize_handlers(handlers)
        for handler in train_begin:
            handler.train_begin(self)
        while True:
            for handler in epoch_begin:
                handler.epoch_begin(self)
            for batch in train_data:
                for handler in batch_begin:
                    handler.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                # every handler sees the batch, then any of them may end the epoch
                stop = [handler.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                        for handler in batch_end]
                if any(stop):
                    break
            if any([handler.epoch_end(self) for handler in epoch_end]):
                break
        for handler in train_end:
            handler.train_end(self)


def _loss_or_error(loss):
    if not isinstance(loss, gluon_loss.Loss):
        raise ValueError(f'loss must be a Loss, refer to gluon.loss.Loss:{loss}')
    return loss


def _trainer_or_error(trainer):
    if not isinstance(trainer, Trainer):
        raise ValueError(f'Trainer must be a Gluon Trainer instance, refer to '
                         f'gluon.Trainer:{trainer}')
    return trainer


def _processor_or_error(processor):
    if processor is None:
        return BatchProcessor()
    if not all(callable(getattr(processor, name, None))
               for name in ('fit_batch', 'evaluate_batch')):
        raise ValueError('Customized Batch Processor must contain fit_batch() and '
                         'evaluate_batch() methods')
    return processor


def _stdout_logger():
    """A logger of the estimator's own (not registered with the logging module),
    writing to standard output, at level INFO."""
    logger = logging.Logger('Estimator', logging.INFO)
    logger.addHandler(logging.StreamHandler(sys.stdout))
    return logger


def _contexts(context):
    """The list of contexts to train on: every GPU by default, else the CPU."""
    if context is None:
        return [gpu(i) for i in range(num_gpus())] or [cpu()]
    contexts = [context] if isinstance(context, Context) else context
    if not (isinstance(contexts, (list, tuple)) and contexts and
            all(isinstance(c, Context) for c in contexts)):
        raise ValueError('context must be a Context or a list of Context, for example '
                         'mx.cpu() or [mx.gpu(0), mx.gpu(1)], refer to mxnet.Context:'
                         f'{context}')
    available = num_gpus()
    for ctx in contexts:
        assert ctx.device_type != 'gpu' or ctx.device_id < available, (
            f'{ctx} is not available, please make sure your context is in one of: '
            'mx.cpu(), ' + ', '.join(f'mx.gpu({i})' for i in range(available)))
    return list(contexts)


def _priority(handler):
    return getattr(handler, 'priority', 0)


def _as_list(handlers):
    if handlers is None:
        return []
    return list(handlers) if isinstance(handlers, (list, tuple)) else [handlers]


def _is_count(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_data(data):
    if not isinstance(data, DataLoader):
        raise ValueError('Estimator only support input as Gluon DataLoader. Alternatively, you '
                         'can transform your DataIter or any NDArray into Gluon DataLoader. '
                         'Refer to gluon.data.DataLoader')
