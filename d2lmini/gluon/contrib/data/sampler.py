"""Samplers beyond those of ``gluon.data``, as in MXNet 1.x's ``gluon.contrib.data``."""
from ...data.sampler import Sampler

__all__ = ['IntervalSampler']


class IntervalSampler(Sampler):
    """The indices ``0, k, 2k, ...`` below ``length``, then (with ``rollover``)
    ``1, 1+k, ...``, and so on until every index has come once.

    Language models use it to read a long text as ``k`` parallel streams.

    >>> list(IntervalSampler(10, 3))
    [0, 3, 6, 9, 1, 4, 7, 2, 5, 8]
    >>> list(IntervalSampler(10, 3, rollover=False))
    [0, 3, 6, 9]
    """

    def __init__(self, length, interval, rollover=True):
        assert interval <= length, \
            f'Interval {interval} must be smaller than or equal to length {length}'
        if interval < 1:
            # (MXNet accepts it and then gives no index at all)
            raise ValueError(f'interval must be at least 1, got {interval}')
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self):
        starts = range(self._interval) if self._rollover else [0]
        for start in starts:
            yield from range(start, self._length, self._interval)

    def __len__(self):
        # as in MXNet: the length of the data, even when rollover=False yields fewer
        return self._length
