"""gluon.contrib.estimator: the Estimator, its batch processor and event handlers.

Expected log lines, metric names, handler orders and checkpoint file names were
recorded from MXNet 1.9.1 running the same programs.
"""
import io
import logging
import os
import re

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon, nd
from d2lmini.gluon.contrib.estimator import (
    Estimator, BatchProcessor, TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin,
    BatchEnd, StoppingHandler, MetricHandler, ValidationHandler, LoggingHandler,
    CheckpointHandler, EarlyStoppingHandler, GradientUpdateHandler)

X = [[1, 2, 0, 1], [0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 1, 1], [0, 0, 2, 1],
     [1, 0, 0, 2], [2, 2, 1, 0], [0, 1, 0, 1], [1, 2, 2, 0], [2, 1, 0, 1]]
Y = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
WEIGHT = [[0.1, -0.2, 0.3, 0.0], [0.2, 0.1, -0.1, 0.1], [-0.3, 0.2, 0.1, 0.2]]


def _loader(batch_size=4):
    data = gluon.data.ArrayDataset(nd.array(X), nd.array(Y))
    return gluon.data.DataLoader(data, batch_size=batch_size)


def _estimator(hybrid=False, **kwargs):
    """A 4 -> 3 classifier with fixed weights, SGD lr 0.5, its log kept in a buffer."""
    net = gluon.nn.HybridSequential() if hybrid else gluon.nn.Sequential()
    net.add(gluon.nn.Dense(3, in_units=4))
    net.initialize(mx.init.Constant(0.1))
    net[0].weight.set_data(nd.array(WEIGHT))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer,
                    context=mx.cpu(), **kwargs)
    log = io.StringIO()
    est.logger.handlers = [logging.StreamHandler(log)]
    return est, log


def _lines(log):
    """The log's lines with durations replaced by T."""
    return [re.sub(r'\d+\.\d+s', 'T', line) for line in log.getvalue().splitlines()]


# ------------------------------------------------------------------ the log of fit
def test_fit_with_validation_logs_as_mxnet():
    est, log = _estimator()
    est.fit(_loader(), val_data=_loader(), epochs=2)
    assert _lines(log) == [
        'Training begin: using optimizer SGD with current learning rate 0.5000 ',
        'Train for 2 epochs.',
        '[Epoch 0] Begin, current learning rate: 0.5000',
        'Validation Begin',
        '[Epoch 0] Finished in T, validation accuracy: 0.3000, '
        'validation softmaxcrossentropyloss: 1.0936',
        '[Epoch 0] Finished in T, training accuracy: 0.2000, '
        'training softmaxcrossentropyloss: 1.3086',
        '[Epoch 1] Begin, current learning rate: 0.5000',
        'Validation Begin',
        '[Epoch 0] Finished in T, validation accuracy: 0.3000, '
        'validation softmaxcrossentropyloss: 0.9711',
        '[Epoch 1] Finished in T, training accuracy: 0.2000, '
        'training softmaxcrossentropyloss: 1.1090',
        'Train finished using total 0s with 2 epochs. training accuracy: 0.2000, '
        'training softmaxcrossentropyloss: 1.1090']
    values = [m.get()[1] for m in est.train_metrics + est.val_metrics]
    np.testing.assert_allclose(values, [0.2, 1.108968234062195, 0.3, 0.9710747003555298],
                               rtol=1e-5)


def test_log_interval_lines():
    est, log = _estimator()
    est.fit(_loader(), epochs=1,
            event_handlers=[LoggingHandler(log_interval=2, metrics=est.train_metrics)])
    assert _lines(log)[3:5] == [
        '[Epoch 0][Batch 0][Samples 4] time/interval: T training accuracy: 0.0000, '
        'training softmaxcrossentropyloss: 1.4120',
        '[Epoch 0][Batch 2][Samples 10] time/interval: T training accuracy: 0.2000, '
        'training softmaxcrossentropyloss: 1.3086']


def test_logging_without_metrics_reads_as_validation():
    # as in MXNet: a handler none of whose metrics is a training one says "Validation"
    est, log = _estimator()
    est.fit(_loader(), epochs=1, event_handlers=[LoggingHandler(log_interval=2)])
    assert _lines(log) == [
        'Training begin: using optimizer SGD with current learning rate 0.5000 ',
        'Train for 1 epochs.', 'Validation Begin',
        '[Epoch 0][Batch 0][Samples 4] time/interval: T',
        '[Epoch 0][Batch 2][Samples 10] time/interval: T',
        '[Epoch 0] Finished in T', 'Train finished using total 0s with 1 epochs.']


def test_evaluate_logs_and_leaves_weights():
    est, log = _estimator()
    est.evaluate(_loader(), event_handlers=[LoggingHandler(log_interval=1,
                                                           metrics=est.val_metrics)])
    assert _lines(log) == [
        'Validation Begin',
        '[Epoch 0][Batch 0][Samples 4] time/interval: T validation accuracy: 0.0000, '
        'validation softmaxcrossentropyloss: 1.4120',
        '[Epoch 0][Batch 1][Samples 8] time/interval: T validation accuracy: 0.0000, '
        'validation softmaxcrossentropyloss: 1.3319',
        '[Epoch 0][Batch 2][Samples 10] time/interval: T validation accuracy: 0.0000, '
        'validation softmaxcrossentropyloss: 1.3014',
        '[Epoch 0] Finished in T, validation accuracy: 0.0000, '
        'validation softmaxcrossentropyloss: 1.3014']
    np.testing.assert_allclose(est.net[0].weight.data().asnumpy(), WEIGHT, rtol=1e-6)


def test_logger_writes_to_stdout(capsys):
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    est = Estimator(net, gluon.loss.L2Loss(), trainer=gluon.Trainer(net.collect_params(), 'sgd'))
    est.logger.info('hello')
    assert capsys.readouterr().out == 'hello\n'
    assert est.logger.name == 'Estimator' and est.logger.level == logging.INFO


# ------------------------------------------------------------------ metrics
def test_default_metric_names():
    est, _ = _estimator()
    assert [(type(m).__name__, m.name) for m in est.train_metrics] == [
        ('Accuracy', 'training accuracy'), ('Loss', 'training softmaxcrossentropyloss')]
    assert [(type(m).__name__, m.name) for m in est.val_metrics] == [
        ('Accuracy', 'validation accuracy'), ('Loss', 'validation softmaxcrossentropyloss')]
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'sgd')
    est = Estimator(net, gluon.loss.L2Loss(), val_loss=gluon.loss.L1Loss(), trainer=trainer)
    assert [m.name for m in est.train_metrics] == ['training l2loss']
    assert [m.name for m in est.val_metrics] == ['validation l2loss']


def test_given_metrics_are_renamed_in_place():
    acc = mx.metric.Accuracy()
    est, _ = _estimator(train_metrics=acc, val_metrics=mx.metric.MAE())
    assert est.train_metrics == [acc] and acc.name == 'training accuracy'
    assert [m.name for m in est.val_metrics] == ['validation mae']
    est, _ = _estimator(train_metrics=[mx.metric.MAE(name='foo')])
    assert [m.name for m in est.train_metrics] == ['training foo']   # no loss metric added
    assert [m.name for m in est.val_metrics] == ['validation foo']
    assert est.val_metrics[0] is not est.train_metrics[0]
    # a composite metric gives its parts
    est, _ = _estimator(train_metrics=mx.metric.create(['acc', 'mse']))
    assert [m.name for m in est.train_metrics] == ['training accuracy', 'training mse']
    assert [m.name for m in est.val_metrics] == ['validation accuracy', 'validation mse']
    # validation metrics given, training ones by default
    est, _ = _estimator(val_metrics=mx.metric.MAE())
    assert [m.name for m in est.train_metrics] == ['training accuracy',
                                                    'training softmaxcrossentropyloss']
    assert [m.name for m in est.val_metrics] == ['validation mae']


def test_bad_arguments():
    net = gluon.nn.Dense(2, in_units=3)
    loss = gluon.loss.L2Loss()
    with pytest.raises(ValueError, match='loss must be a Loss'):
        Estimator(net, 'mse')
    with pytest.raises(ValueError, match='metrics must be a Metric or a list of Metric'):
        Estimator(net, loss, train_metrics='acc')
    with pytest.raises(ValueError, match='metrics must be a Metric'):
        Estimator(net, loss, val_metrics=['acc'])
    with pytest.raises(ValueError, match='context must be a Context'):
        Estimator(net, loss, context='cpu')
    with pytest.raises(AssertionError, match='gpu.100. is not available'):
        Estimator(net, loss, context=[mx.cpu(), mx.gpu(100)])
    with pytest.raises(ValueError, match='Trainer must be a Gluon Trainer'):
        Estimator(net, loss, trainer='sgd')
    with pytest.raises(ValueError, match='must contain fit_batch'):
        Estimator(net, loss, trainer=gluon.Trainer(net.collect_params(), 'sgd'),
                  batch_processor=3)


def test_default_trainer_and_initialization_warnings():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3), gluon.nn.Dense(2))
    with pytest.warns(UserWarning, match='No trainer specified, default SGD optimizer with '
                                         'learning rate 0.001 is used.'):
        est = Estimator(net, gluon.loss.L2Loss(), initializer=mx.init.One())
    assert est.trainer.learning_rate == 0.001
    assert type(est.trainer.optimizer).__name__ == 'SGD'
    assert est.context == [mx.cpu()] or mx.context.num_gpus() > 0
    # initialized (waiting for shapes), so an initializer is not used
    with pytest.warns(UserWarning, match='Network already fully initialized'):
        Estimator(net, gluon.loss.L2Loss(), initializer=mx.init.Zero(),
                  trainer=est.trainer)


def test_fit_refuses_bad_data_and_lengths():
    est, _ = _estimator()
    for kwargs in [{}, {'epochs': 1, 'batches': 2}, {'epochs': 0}, {'batches': 0},
                   {'epochs': -1}, {'epochs': 1.5}]:
        with pytest.raises(ValueError):
            est.fit(_loader(), **kwargs)
    with pytest.raises(ValueError, match='only support input as Gluon DataLoader'):
        est.fit([(nd.ones((2, 4)), nd.ones(2))], epochs=1)
    with pytest.raises(ValueError, match='DataLoader'):
        est.fit(_loader(), val_data=mx.io.NDArrayIter(nd.ones((2, 4)), batch_size=1),
                epochs=1)
    with pytest.raises(ValueError, match='DataLoader'):
        est.evaluate([1, 2])


# ------------------------------------------------------------------ handlers and order
def _kinds(handlers):
    return [(type(h).__name__, getattr(h, 'priority', None)) for h in handlers]


def test_default_handlers_and_their_order():
    est, _ = _estimator()
    est.max_epoch, est.max_batch = 1, None
    assert _kinds(est._prepare_default_handlers(_loader(), None)) == [
        ('GradientUpdateHandler', -2000), ('MetricHandler', -1000),
        ('ValidationHandler', -1000), ('StoppingHandler', None), ('LoggingHandler', np.inf)]
    user = [ValidationHandler(_loader(), est.evaluate), GradientUpdateHandler(priority=5),
            StoppingHandler(max_epoch=3)]
    assert _kinds(est._prepare_default_handlers(_loader(), user)) == [
        ('ValidationHandler', -1000), ('MetricHandler', -1000), ('StoppingHandler', None),
        ('StoppingHandler', None), ('GradientUpdateHandler', 5), ('LoggingHandler', np.inf)]
    assert _kinds(est._prepare_default_validation_handlers(None)) == [
        ('MetricHandler', -1000), ('LoggingHandler', np.inf)]


def test_handlers_must_use_the_estimators_metrics():
    est, _ = _estimator()
    stray = mx.metric.RMSE('val acc')
    with pytest.raises(ValueError, match='refers to a metric instance .* outside of the known'):
        est.fit(_loader(), epochs=1, event_handlers=[LoggingHandler(metrics=[stray])])
    with pytest.raises(ValueError, match='Event handler MetricHandler'):
        est.evaluate(_loader(), event_handlers=[MetricHandler([stray])])


def test_categorize_handlers():
    class Two(EpochBegin, TrainEnd):
        pass
    est, _ = _estimator()
    groups = est._categorize_handlers([TrainBegin(), Two(), BatchBegin(), BatchEnd(),
                                       EpochEnd()])
    assert [len(g) for g in groups] == [1, 1, 1, 1, 1, 1]


class _Recorder(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Records the events it sees; its batch_end returns True at batch ``stop_at``."""

    def __init__(self, stop_at=None):
        self.events, self.stop_at, self.batches = [], stop_at, 0

    def train_begin(self, est, *args, **kwargs):
        self.events.append('TB')

    def train_end(self, est, *args, **kwargs):
        self.events.append('TE')

    def epoch_begin(self, est, *args, **kwargs):
        self.events.append('EB')

    def epoch_end(self, est, *args, **kwargs):
        self.events.append('EE')

    def batch_begin(self, est, *args, **kwargs):
        self.events.append(('BB', sorted(kwargs)))

    def batch_end(self, est, *args, **kwargs):
        self.events.append(('BE', sorted(kwargs), [p.shape for p in kwargs['pred']]))
        self.batches += 1
        return self.batches == self.stop_at


def test_events_of_fit_and_evaluate():
    est, _ = _estimator()
    rec = _Recorder()
    est.fit(_loader(batch_size=6), epochs=1, event_handlers=rec)   # one handler, no list
    keys = ['batch', 'label', 'loss', 'pred']
    assert rec.events == ['TB', 'EB', ('BB', ['batch']), ('BE', keys, [(6, 3)]),
                          ('BB', ['batch']), ('BE', keys, [(4, 3)]), 'EE', 'TE']
    rec = _Recorder()
    est.evaluate(_loader(batch_size=6), event_handlers=[rec])
    assert rec.events == ['EB', ('BB', ['batch']), ('BE', keys, [(6, 3)]),
                          ('BB', ['batch']), ('BE', keys, [(4, 3)]), 'EE']


def test_batch_end_true_ends_only_the_epoch():
    # as in MXNet: True from batch_end ends the epoch, training goes on
    est, _ = _estimator()
    rec = _Recorder(stop_at=4)
    est.fit(_loader(), epochs=3, event_handlers=[rec])
    assert rec.events.count('EE') == 3
    assert rec.batches == 3 + 1 + 3


def test_fit_by_batches_ends_mid_epoch():
    est, log = _estimator()
    est.fit(_loader(), batches=5)
    assert _lines(log)[1] == 'Train for 5 batches.'
    assert _lines(log)[-1].startswith('Train finished using total 0s with 2 epochs.')


# ------------------------------------------------------------------ single handlers
def test_stopping_handler():
    class Fake:
        max_epoch, max_batch = 2, None
    stop = StoppingHandler(max_epoch=7)
    stop.train_begin(Fake())       # the estimator's limits win
    assert (stop.max_epoch, stop.max_batch) == (2, None)
    assert [stop.epoch_end(None) for _ in range(3)] == [False, True, True]


def test_metric_handler_and_gradient_update():
    acc, loss = mx.metric.Accuracy(), mx.metric.Loss()
    handler = MetricHandler([acc, loss])
    handler.batch_end(None, pred=[nd.array([[0, 1], [1, 0]])], label=[nd.array([1, 1])],
                      loss=[nd.array([2., 4.])])
    assert acc.get() == ('accuracy', 0.5) and loss.get() == ('loss', 3.0)
    handler.epoch_begin(None)
    assert np.isnan(acc.get()[1])
    with pytest.raises(KeyError):
        handler.batch_end(None, pred=[], label=[])

    class FakeTrainer:
        steps = []

        def step(self, batch_size):
            self.steps.append(batch_size)

    class FakeEstimator:
        trainer = FakeTrainer()
    GradientUpdateHandler().batch_end(FakeEstimator(), loss=[nd.ones(4), nd.ones((3, 2))])
    GradientUpdateHandler().batch_end(FakeEstimator(), loss=nd.ones((5, 2)))
    assert FakeTrainer.steps == [7, 5]


def test_validation_handler_periods():
    calls = []

    class Fake:
        batch_axis = 1
    handler = ValidationHandler('VAL', lambda **kw: calls.append(kw), epoch_period=2,
                                batch_period=3, event_handlers=['H'])
    handler.train_begin(Fake())
    for _ in range(7):
        handler.batch_end(Fake())
    for _ in range(4):
        handler.epoch_end(Fake())
    assert calls == [{'val_data': 'VAL', 'batch_axis': 1, 'event_handlers': ['H']}] * 4


def test_logging_handler_arguments():
    for bad in ['batch', 1.5, None, True, 0, -1]:
        with pytest.raises(ValueError):
            LoggingHandler(log_interval=bad)
    with pytest.raises(ValueError, match='metrics must be a Metric'):
        LoggingHandler(metrics='acc')


def test_early_stopping_handler():
    class Fake:
        logger = logging.Logger('x')
    log = io.StringIO()
    Fake.logger.addHandler(logging.StreamHandler(log))
    loss = mx.metric.Loss('training loss')
    with pytest.warns(UserWarning, match='`greater` operator will be used'):
        stop = EarlyStoppingHandler(loss, min_delta=0.5, patience=1)   # MXNet's 'auto'
    stop.train_begin(Fake())
    seen = []
    for value in [5., 4.8, 4.0]:
        loss.reset()
        loss.update(None, [nd.array([value])])
        seen.append((stop.epoch_end(Fake()), stop.wait, stop.stopped_epoch, stop.best))
    assert seen == [(False, 0, 0, 5.0), (True, 1, 1, 5.0), (True, 2, 2, 5.0)]
    stop.train_end(Fake())
    assert log.getvalue() == ('[Epoch 2] EarlyStoppingHandler: early stopping due to '
                              'training loss not improving\n')
    stop = EarlyStoppingHandler(loss, min_delta=0.5, mode='min', baseline=1.0)
    assert (stop.min_delta, stop.best, stop.monitor_op) == (-0.5, 1.0, np.less)
    loss.reset()
    with pytest.warns(UserWarning, match='training loss is not updated'):
        assert stop.epoch_end(Fake()) is False
    with pytest.raises(ValueError, match='Please provide one of the metric objects'):
        EarlyStoppingHandler('acc')


def test_early_stopping_in_fit():
    est, _ = _estimator()
    stop = EarlyStoppingHandler(est.train_metrics[0], patience=0, mode='min')
    est.fit(_loader(), epochs=5, event_handlers=[stop])
    # accuracy 0.2, 0.2: no lower value in the second epoch
    assert (stop.current_epoch, stop.stopped_epoch) == (2, 1)


# ------------------------------------------------------------------ checkpoints
def test_checkpoint_files_best_and_symbol(tmp_path):
    est, log = _estimator(hybrid=True)
    est.net.hybridize()
    cp = CheckpointHandler(str(tmp_path), model_prefix='m', monitor=est.train_metrics[0],
                           save_best=True, mode='max', verbose=1, batch_period=2,
                           max_checkpoints=3)
    est.fit(_loader(), epochs=2, event_handlers=[cp])
    assert sorted(os.listdir(tmp_path)) == [
        'm-best.params', 'm-best.states', 'm-epoch1batch3.params', 'm-epoch1batch3.states',
        'm-epoch1batch5.params', 'm-epoch1batch5.states', 'm-epoch1batch6.params',
        'm-epoch1batch6.states', 'm-symbol.json']
    assert cp.saved_checkpoints == ['m-epoch1batch3', 'm-epoch1batch5', 'm-epoch1batch6']
    assert cp.best == pytest.approx(0.2)
    text = [line for line in _lines(log) if 'CheckpointHandler' in line]
    assert text[:2] == [
        f'[Epoch 0] CheckpointHandler: trained total 2 batches, saving model at {tmp_path} '
        'with prefix: m-epoch0batch1',
        # (MXNet prints the new value twice: "improved from 0.12500 to 0.12500")
        '[Epoch 0] CheckpointHandler: training accuracy improved from -inf to 0.12500, '
        f'updating best model at {tmp_path} with prefix: m-best']
    assert text[5] == ('[Epoch 1] CheckpointHandler: training accuracy did not improve '
                       'from 0.20000, skipping updating best model')
    graph = mx.sym.load(str(tmp_path / 'm-symbol.json'))
    assert graph.list_arguments()[0] == 'data' and len(graph.list_arguments()) == 3
    # the parameters load back into a network built the same way
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3, in_units=4))
    net.load_parameters(str(tmp_path / 'm-epoch1batch6.params'))
    np.testing.assert_allclose(net[0].weight.data().asnumpy(),
                               est.net[0].weight.data().asnumpy())


def test_checkpoint_not_hybridized_says_so(tmp_path):
    est, log = _estimator()
    est.fit(_loader(), epochs=1, event_handlers=[CheckpointHandler(str(tmp_path))])
    assert sorted(os.listdir(tmp_path)) == ['model-epoch0batch3.params',
                                            'model-epoch0batch3.states']
    assert ('Model architecture(symbol file) is not saved, please use HybridBlock to '
            'construct your model') in log.getvalue()


def test_checkpoint_resume(tmp_path):
    est, _ = _estimator()
    est.fit(_loader(), epochs=2, event_handlers=[CheckpointHandler(str(tmp_path))])
    trained = est.net[0].weight.data().asnumpy()
    est, log = _estimator()             # fresh weights: the checkpoint brings them back
    resume = CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)
    seen = []

    class Peek(TrainBegin):
        def train_begin(self, estimator, *args, **kwargs):
            seen.append(estimator.net[0].weight.data().asnumpy())
    est.fit(_loader(), epochs=4, event_handlers=[resume, Peek()])
    np.testing.assert_allclose(seen[0], trained)
    assert est.max_epoch == 2
    assert _lines(log)[0] == ('CheckpointHandler: Checkpoint resumed from epoch 1 batch 6, '
                              'continue to train for 2 epochs ')
    assert 'model-epoch3batch12.params' in os.listdir(tmp_path)
    with pytest.raises(ValueError, match='Found checkpoint with maximum number of epoch'):
        est.fit(_loader(), epochs=4, event_handlers=[
            CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)])
    with pytest.raises(AssertionError, match='same type of period'):
        est.fit(_loader(), batches=40, event_handlers=[
            CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)])


def test_checkpoint_resume_by_batches_and_from_nothing(tmp_path):
    est, log = _estimator()
    handler = CheckpointHandler(str(tmp_path), epoch_period=None, batch_period=2,
                                resume_from_checkpoint=True)
    est.fit(_loader(), batches=5, event_handlers=[handler])
    assert _lines(log)[0] == 'CheckpointHandler: No checkpoint found, training from scratch ' \
                             'for 5 batches'
    est.fit(_loader(), batches=9, event_handlers=[
        CheckpointHandler(str(tmp_path), epoch_period=None, batch_period=2,
                          resume_from_checkpoint=True)])
    assert est.max_batch == 5
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.params')) == [
        'model-epoch0batch1.params', 'model-epoch1batch3.params',
        'model-epoch2batch5.params', 'model-epoch3batch7.params']


def test_checkpoint_arguments(tmp_path):
    with pytest.raises(ValueError, match='To save best model only, please provide'):
        CheckpointHandler(str(tmp_path / 'a'), save_best=True)
    handler = CheckpointHandler(str(tmp_path / 'b'), max_checkpoints=0)
    assert os.path.isdir(tmp_path / 'b')     # made at once
    est, _ = _estimator()
    est.fit(_loader(), epochs=2, event_handlers=[handler])
    assert os.listdir(tmp_path / 'b') == [] and handler.saved_checkpoints == []


# ------------------------------------------------------------------ batch processor
def test_custom_batch_processor_and_batch_axis():
    class Doubled(BatchProcessor):
        """Trains on every batch twice over."""
        def fit_batch(self, estimator, train_batch, batch_axis=0):
            data, label = train_batch
            return super().fit_batch(estimator, [nd.concat(data, data, dim=0),
                                                 nd.concat(label, label, dim=0)], batch_axis)
    est, _ = _estimator(batch_processor=Doubled())
    rec = _Recorder()
    est.fit(_loader(batch_size=5), epochs=1, event_handlers=[rec])
    assert [e[2] for e in rec.events if e[0] == 'BE'] == [[(10, 3)], [(10, 3)]]
    # batch_axis=1: the examples lie along the second axis, shared among the contexts
    data, label = BatchProcessor()._get_data_and_label(
        [nd.ones((4, 6)), nd.ones((1, 6))], [mx.cpu(0), mx.cpu(1)], batch_axis=1)
    assert [d.shape for d in data] == [(4, 3), (4, 3)]
    assert [(lab.shape, lab.context) for lab in label] == [((1, 3), mx.cpu(0)),
                                                           ((1, 3), mx.cpu(1))]
