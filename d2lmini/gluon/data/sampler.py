"""Samplers: the order in which a DataLoader reads a dataset's indices.

>>> from d2lmini.gluon.data import SequentialSampler, BatchSampler
>>> list(BatchSampler(SequentialSampler(7), 3, 'keep'))
[[0, 1, 2], [3, 4, 5], [6]]
>>> list(BatchSampler(SequentialSampler(7), 3, 'discard'))
[[0, 1, 2], [3, 4, 5]]
"""
import itertools

import numpy as np

__all__ = ['Sampler', 'SequentialSampler', 'RandomSampler', 'FilterSampler', 'BatchSampler']

_LAST_BATCH_MODES = ('keep', 'discard', 'rollover')


class Sampler:
    """The base class of samplers: subclasses define ``__iter__`` and ``__len__``."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``start, start + 1, ..., start + length - 1`` in order.

    >>> list(SequentialSampler(3, start=2))
    [2, 3, 4]
    """

    def __init__(self, length, start=0):
        self._length = length
        self._first = start

    def __iter__(self):
        stop = self._first + self._length
        return iter(range(self._first, stop))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """The indices ``0 .. length-1`` in a new random order on every pass.

    The order comes from numpy's global generator, as in MXNet, so ``np.random.seed``
    makes it reproducible (and gives the same order MXNet gives after the same seed).

    >>> import numpy as np
    >>> np.random.seed(0)
    >>> sorted(RandomSampler(5))
    [0, 1, 2, 3, 4]
    """

    def __init__(self, length):
        self._length = length

    def __iter__(self):
        # the same draws as np.random.shuffle(np.arange(n)): the global generator
        return iter(np.random.permutation(self._length).tolist())

    def __len__(self):
        return self._length


class FilterSampler(Sampler):
    """The indices of the examples of ``dataset`` for which ``fn(example)`` is true.

    >>> list(FilterSampler(lambda x: x % 2 == 0, [5, 6, 7, 8]))
    [1, 3]
    """

    def __init__(self, fn, dataset):
        self._kept = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self):
        return iter(self._kept)

    def __len__(self):
        return len(self._kept)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    ``last_batch`` says what happens to a final, incomplete batch: ``'keep'`` returns
    it, ``'discard'`` drops it, ``'rollover'`` keeps its indices for the start of the
    next pass, so every example is seen equally often over many epochs.

    >>> batches = BatchSampler(SequentialSampler(5), 2, 'rollover')
    >>> list(batches), list(batches)
    ([[0, 1], [2, 3]], [[4, 0], [1, 2], [3, 4]])
    """

    def __init__(self, sampler, batch_size, last_batch='keep'):
        if last_batch not in _LAST_BATCH_MODES:
            raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', "
                             f"but got {last_batch}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f'batch_size must be a positive integer, but got {batch_size!r}')
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._tail_policy = last_batch
        self._carried = []  # the tail that 'rollover' keeps for the next pass

    def __iter__(self):
        # with 'rollover', the incomplete batch of the last pass starts this one
        indices = itertools.chain(self._carried, self._sampler)
        self._carried = []
        while True:
            # the next batch_size indices; fewer once the sampler runs out
            batch = list(itertools.islice(indices, self._batch_size))
            if len(batch) < self._batch_size:
                break
            yield batch
        if batch and self._tail_policy == 'keep':
            yield batch
        elif self._tail_policy == 'rollover':
            self._carried = batch

    def __len__(self):
        count = len(self._sampler)
        if self._tail_policy == 'keep':
            return -(-count // self._batch_size)  # rounded up
        if self._tail_policy == 'rollover':
            count += len(self._carried)
        return count // self._batch_size
