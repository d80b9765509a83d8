"""``mx.callback``: functions that ``Module.fit`` calls after each batch or epoch.

* batch-end callbacks get a ``BatchEndParam`` (``epoch``, ``nbatch``,
  ``eval_metric``, ``locals``): :class:`Speedometer`, :func:`log_train_metric`,
  :class:`ProgressBar`, :class:`LogValidationMetricsCallback`;
* epoch-end callbacks get ``(epoch, symbol, arg_params, aux_params)``:
  :func:`do_checkpoint`, :func:`module_checkpoint`.

>>> import d2lmini as mx
>>> speed = mx.callback.Speedometer(batch_size=32, frequent=100)
>>> # mod.fit(train_iter, num_epoch=2, batch_end_callback=speed)
"""
import logging
import math
import time

from .model import save_checkpoint

__all__ = ['module_checkpoint', 'do_checkpoint', 'log_train_metric', 'Speedometer',
           'ProgressBar', 'LogValidationMetricsCallback']


def _every(period, save):
    """An epoch-end callback calling ``save(epochs_done, symbol, args, auxs)`` after
    every ``period``-th epoch. Epochs are counted from 1 in file names, so the
    checkpoint written after epoch 0 is number 1."""
    period = int(max(1, period))

    def callback(iter_no, sym=None, arg=None, aux=None):
        epochs_done = iter_no + 1
        if epochs_done % period == 0:
            save(epochs_done, sym, arg, aux)
    return callback


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """An epoch-end callback saving ``mod`` every ``period`` epochs (with its
    optimizer states if asked)::

        mod.fit(train_iter, num_epoch=10,
                epoch_end_callback=mx.callback.module_checkpoint(mod, 'net', period=5))
    """
    return _every(period, lambda epochs_done, *unused:
                  mod.save_checkpoint(prefix, epochs_done, save_optimizer_states))


def do_checkpoint(prefix, period=1):
    """An epoch-end callback writing a checkpoint (``prefix-symbol.json`` and
    ``prefix-%04d.params``, numbered from 1) every ``period`` epochs::

        mod.fit(train_iter, num_epoch=2, epoch_end_callback=mx.callback.do_checkpoint('net'))
        # writes net-symbol.json, net-0001.params, net-0002.params
    """
    return _every(period, lambda epochs_done, symbol, args, auxs:
                  save_checkpoint(prefix, epochs_done, symbol, args, auxs))


def log_train_metric(period, auto_reset=False):
    """A batch-end callback logging the training metric every ``period`` batches
    (``Iter[0] Batch[10] Train-accuracy=0.5``), resetting it after if ``auto_reset``."""
    def log_metric(param):
        measure = param.eval_metric
        if param.nbatch % period or measure is None:
            return
        for name, value in measure.get_name_value():
            logging.info('Iter[%d] Batch[%d] Train-%s=%f', param.epoch, param.nbatch,
                         name, value)
        if auto_reset:
            measure.reset_local()
    return log_metric


class Speedometer:
    """A batch-end callback logging the speed (and the metric) every ``frequent``
    batches::

        Epoch[0] Batch [50-100]\\tSpeed: 10240.17 samples/sec\\taccuracy=0.812500

    auto_reset : reset the metric's local statistics after logging, so that each
        line shows the batches since the last (else from the epoch's start)

    >>> speed = Speedometer(batch_size=32, frequent=100)
    >>> # mod.fit(train_iter, num_epoch=2, batch_end_callback=speed)
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.auto_reset = auto_reset
        self.init = False      # is the clock running (for this epoch)?
        self.tic = 0           # when the clock was last started
        self.last_count = 0    # the nbatch seen last, to notice a new epoch

    def __call__(self, param):
        new_epoch = param.nbatch < self.last_count
        self.last_count = param.nbatch
        if new_epoch or not self.init:   # start the clock; nothing to report yet
            self.init = True
            self.tic = time.time()
            return
        if param.nbatch % self.frequent:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed else float('inf')
        self._report(param, speed)
        self.tic = time.time()

    def _report(self, param, speed):
        measure = param.eval_metric
        if measure is None:
            logging.info('Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec', param.epoch,
                         param.nbatch, speed)
            return
        pairs = measure.get_name_value()
        first = 0
        if self.auto_reset:   # each report covers the batches since the previous one
            measure.reset_local()
            first = param.nbatch - self.frequent
        line = 'Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec' + '\t%s=%f' * len(pairs)
        logging.info(line, param.epoch, first, param.nbatch, speed,
                     *[item for pair in pairs for item in pair])


class ProgressBar:
    """A batch-end callback logging a progress bar of ``length`` characters, for
    ``total`` batches (``[====------] 40%``)."""

    def __init__(self, total, length=80):
        self.bar_len = length
        self.total = total

    def __call__(self, param):
        done = int(round(self.bar_len * param.nbatch / float(self.total)))
        percent = math.ceil(100.0 * param.nbatch / float(self.total))
        logging.info('[%s] %s%%\r', '=' * done + '-' * (self.bar_len - done), percent)


class LogValidationMetricsCallback:
    """An eval-end callback logging ``Epoch[0] Validation-accuracy=...``."""

    def __call__(self, param):
        if param.eval_metric:
            for pair in param.eval_metric.get_name_value():
                logging.info('Epoch[%d] Validation-%s=%f', param.epoch, *pair)
