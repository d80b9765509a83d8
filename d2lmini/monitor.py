"""Monitor: statistics of the arrays an executor computes, for debugging training.

A :class:`Monitor` is installed on executors (``mon.install(exe)``, or
``mod.install_monitor(mon)`` / ``mod.fit(..., monitor=mon)`` for a Module). Every
``interval`` batches, between ``tic()`` (before forward) and ``toc()`` (after
backward or the update), it collects one statistic per array whose name matches
``pattern``: each operator's outputs and the gradients it sends back (through
:meth:`Executor.set_monitor_callback`), then every argument and auxiliary state.
``toc()`` returns them as ``(step, name, text)``; ``toc_print()`` logs them.

>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> exe = mx.sym.relu(x, name='r').bind(mx.cpu(), {'x': mx.nd.array([-3, 4])})
>>> mon = mx.mon.Monitor(1)
>>> mon.install(exe)
>>> mon.tic(); _ = exe.forward()
>>> mon.toc()
[(1, 'r_output', '2.828427\\t'), (1, 'x', '3.535534\\t')]
"""
import logging
import re
from math import sqrt

from . import ndarray
from .base import py_str
from .ndarray.ndarray import NDArray

__all__ = ['Monitor']


def _norm_per_element(x):
    """The default statistic, as MXNet 1.x's: ``norm(x) / sqrt(x.size)``, the root
    mean square of the elements."""
    return ndarray.norm(x) / sqrt(x.size)


class Monitor:
    """Collect a statistic of inputs, outputs, weights and gradients every few batches.

    interval : collect on every ``interval``-th batch (the 1st, the
        ``interval + 1``-th, ...)
    stat_func : NDArray -> NDArray (or a list of NDArrays), the statistic; by default
        ``norm(x) / sqrt(x.size)``
    pattern : a regular expression; only arrays whose names it matches (from the
        start, as ``re.match``) are collected, e.g. ``'.*weight|.*output'`` or
        ``'.*backward.*'`` for the gradients
    sort : sort the collected statistics by name in ``toc``
    monitor_all : also collect every operator's inputs, not only its outputs
    """

    def __init__(self, interval, stat_func=None, pattern='.*', sort=False, monitor_all=False):
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise ValueError(f'Monitor: interval must be a positive int, got {interval!r}')
        if stat_func is not None and not callable(stat_func):
            raise TypeError(f'Monitor: stat_func must be callable, got '
                            f'{type(stat_func).__name__}')
        self.stat_func = stat_func if stat_func is not None else _norm_per_element
        self.interval = interval
        self.activated = False
        self.queue = []      # (step, name, statistic) collected since tic()
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

        def stat_helper(name, array):
            """The executor callback: keep the statistic while collecting."""
            name = py_str(name)
            if not self.activated or not self.re_prog.match(name):
                return
            self.queue.append((self.step, name, self.stat_func(array)))
        self.stat_helper = stat_helper

    def install(self, exe):
        """Install the callback on executor ``exe`` (several executors may share a
        monitor)."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start a batch: collect this one when its number is a multiple of
        ``interval``. Call before forward."""
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """End the batch: add the arguments and auxiliary states of every executor,
        and return the statistics as a list of ``(step, name, text)``, where text is
        each statistic's value followed by a tab (``[]`` on batches not collected)."""
        if not self.activated:
            return []
        for exe in self.exes:
            symbol = exe._symbol
            for name, array in zip(symbol.list_arguments(), exe.arg_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
            for name, array in zip(symbol.list_auxiliary_states(), exe.aux_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda item: item[1])
        res = [(step, name, _stat_text(name, stats)) for step, name, stats in self.queue]
        self.queue = []
        return res

    def toc_print(self):
        """End the batch (:meth:`toc`) and log each statistic at INFO level."""
        for step, name, text in self.toc():
            logging.info('Batch: {:7d} {:30s} {:s}'.format(step, name, text))


def _stat_text(name, stats):
    """One statistic (an NDArray or a list of them) as MXNet 1.x prints it: a scalar
    as a number, anything else as its numpy text, each followed by a tab."""
    if isinstance(stats, NDArray):
        stats = [stats]
    if not isinstance(stats, list) or not all(isinstance(v, NDArray) for v in stats):
        raise TypeError(f'Monitor: stat_func must return an NDArray or a list of '
                        f'NDArrays; for {name!r} it returned {type(stats).__name__}')
    return ''.join((str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + '\t'
                   for v in stats)
