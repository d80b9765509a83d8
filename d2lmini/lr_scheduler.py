"""``mx.lr_scheduler``: learning rates that change as training goes on.

A scheduler is called with ``num_update``, the number of updates the optimizer has
made so far (the largest count over all weights), and returns the learning rate to
use now. Give one to an optimizer as ``lr_scheduler=`` and it asks the scheduler on
every update instead of using a fixed ``learning_rate``.

Every scheduler can start with a *warm-up*: for the first ``warmup_steps`` updates
the rate climbs linearly from ``warmup_begin_lr`` to ``base_lr`` (``warmup_mode=
'linear'``) or stays at ``warmup_begin_lr`` (``'constant'``).

>>> import d2lmini as mx
>>> sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
>>> [sched(n) for n in range(1, 7)]
[1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
"""
import logging
from math import cos, pi

__all__ = ['LRScheduler', 'FactorScheduler', 'MultiFactorScheduler', 'PolyScheduler',
           'CosineScheduler']


class LRScheduler:
    """The base class: stores ``base_lr`` and computes the warm-up.

    A scheduler's ``__call__(num_update)`` answers the warm-up rate while
    ``num_update < warmup_steps`` and asks ``_after_warmup(num_update)`` afterwards;
    the schedulers below define only the latter. A scheduler of your own may instead
    override ``__call__`` and use :meth:`get_warmup_lr`. ``base_lr`` is a plain
    attribute: an optimizer given both a scheduler and a ``learning_rate`` overwrites it.

    >>> class Halve(LRScheduler):
    ...     def _after_warmup(self, num_update):
    ...         return self.base_lr / 2
    >>> sched = Halve(base_lr=1.0, warmup_steps=2, warmup_begin_lr=0.5)
    >>> [sched(n) for n in range(4)]
    [0.5, 0.75, 0.5, 0.5]
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        assert isinstance(warmup_steps, int), 'warmup_steps must be an int'
        if warmup_begin_lr > base_lr:
            raise ValueError('Base lr has to be higher than warmup_begin_lr')
        if warmup_steps < 0:
            raise ValueError('Warmup steps has to be positive or 0')
        if warmup_mode not in ('linear', 'constant'):
            raise ValueError('Supports only linear and constant modes of warmup')
        # base_lr may decay (or be overwritten by the optimizer); the warm-up always
        # climbs to the rate given here
        self.base_lr = self.warmup_final_lr = base_lr
        self.warmup_steps, self.warmup_begin_lr = warmup_steps, warmup_begin_lr
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """The learning rate during the warm-up (``num_update < warmup_steps``)."""
        assert num_update < self.warmup_steps
        start = self.warmup_begin_lr
        if self.warmup_mode == 'constant':
            return start
        rise = self.warmup_final_lr - start
        return start + rise * float(num_update) / float(self.warmup_steps)

    def __call__(self, num_update):
        """The learning rate after ``num_update`` updates."""
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        return self._after_warmup(num_update)

    def _after_warmup(self, num_update):
        raise NotImplementedError('must override this')


def _check_factor(factor):
    if factor > 1.0:
        raise ValueError('Factor must be no more than 1 to make lr reduce')


class FactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` every ``step`` updates, never going below
    ``stop_factor_lr``: ``base_lr * factor ** floor((num_update - 1) / step)``.

    The scheduler keeps its progress (``count``, the decayed ``base_lr``), so it must
    be asked with non-decreasing ``num_update``, as an optimizer does.

    >>> sched = FactorScheduler(step=10, factor=0.1, base_lr=1.0)
    >>> sched(10), sched(11), sched(21)
    (1.0, 0.1, 0.010000000000000002)
    """

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError('Schedule step must be greater or equal than 1 round')
        _check_factor(factor)
        self.step, self.factor, self.stop_factor_lr = step, factor, stop_factor_lr
        self.count = 0  # the update at which the rate last changed

    def _after_warmup(self, num_update):
        # a loop, not an if: a resumed run may jump over several steps at once
        while num_update > self.count + self.step:
            self.count += self.step
            decayed = self.base_lr * self.factor
            floored = decayed < self.stop_factor_lr
            self.base_lr = self.stop_factor_lr if floored else decayed
            if floored:
                logging.info('Update[%d]: now learning rate arrived at %0.5e, will not '
                             'change in the future', num_update, self.base_lr)
            else:
                logging.info('Update[%d]: Change learning rate to %0.5e',
                             num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` each time ``num_update`` passes one of the
    increasing updates in the list ``step``.

    >>> sched = MultiFactorScheduler(step=[2, 4], factor=0.5, base_lr=1.0)
    >>> [sched(n) for n in range(1, 7)]
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(step, list) and len(step) >= 1, 'step must be a non-empty list'
        # a strictly increasing list whose first entry is >= 1 has all entries >= 1
        if step[0] < 1:
            raise ValueError('Schedule step must be greater or equal than 1 round')
        if any(later <= earlier for earlier, later in zip(step, step[1:])):
            raise ValueError('Schedule step must be an increasing integer list')
        _check_factor(factor)
        self.step, self.factor = step, factor
        self.cur_step_ind = 0  # how many entries of ``step`` have been passed
        self.count = 0  # the last entry passed

    def _after_warmup(self, num_update):
        for boundary in self.step[self.cur_step_ind:]:
            if num_update <= boundary:
                break
            self.count = boundary
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            logging.info('Update[%d]: Change learning rate to %0.5e', num_update, self.base_lr)
        return self.base_lr


class _DecayScheduler(LRScheduler):
    """A decay from ``base_lr`` to ``final_lr`` over the ``max_update - warmup_steps``
    updates after the warm-up; subclasses give the rate at each fraction of it."""

    def __init__(self, max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr,
                 warmup_mode):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        assert isinstance(max_update, int), 'max_update must be an int'
        if max_update < 1:
            raise ValueError('maximum number of updates must be strictly positive')
        self.base_lr_orig = base_lr  # the start of the decay; base_lr follows it
        self.final_lr = final_lr
        self.max_update = max_update
        self.max_steps = max_update - warmup_steps  # the length of the decay

    def _after_warmup(self, num_update):
        if num_update <= self.max_update:  # past the end the rate stays where it got to
            progress = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self._lr_at(progress)
        return self.base_lr

    def _lr_at(self, progress):
        raise NotImplementedError


class PolyScheduler(_DecayScheduler):
    """Decay polynomially to ``final_lr`` over ``max_update`` updates:
    ``final_lr + (base_lr - final_lr) * (1 - n / N) ** pwr`` with ``n`` and ``N``
    counted after the warm-up; the rate stays at its last value afterwards.

    >>> sched = PolyScheduler(max_update=4, base_lr=1.0, pwr=2)
    >>> [sched(n) for n in range(6)]
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr,
                         warmup_mode)
        self.power = pwr

    def _lr_at(self, progress):
        return (self.final_lr
                + (self.base_lr_orig - self.final_lr) * pow(1 - progress, self.power))


class CosineScheduler(_DecayScheduler):
    """Decay along half a cosine to ``final_lr`` over ``max_update`` updates:
    ``final_lr + (base_lr - final_lr) * (1 + cos(pi * n / N)) / 2`` with ``n`` and
    ``N`` counted after the warm-up; the rate stays at its last value afterwards.

    >>> sched = CosineScheduler(max_update=4, base_lr=1.0)
    >>> [round(sched(n), 4) for n in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr,
                         warmup_mode)

    def _lr_at(self, progress):
        return (self.final_lr
                + (self.base_lr_orig - self.final_lr) * (1 + cos(pi * progress)) / 2)
