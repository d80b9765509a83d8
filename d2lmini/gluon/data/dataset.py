"""Datasets: objects that give the ``i``-th example with ``dataset[i]`` and their size
with ``len(dataset)``.

Any object with ``__getitem__`` and ``__len__`` can feed a DataLoader (a list, a
numpy array, an NDArray); :class:`Dataset` adds lazy transformations on top.

>>> from d2lmini.gluon.data import ArrayDataset
>>> ds = ArrayDataset([10, 20, 30], ['a', 'b', 'c'])
>>> len(ds), ds[1]
(3, (20, 'b'))
>>> ds.transform_first(lambda x: x + 1)[1]
(21, 'b')
"""
import os

from ...ndarray import NDArray

__all__ = ['Dataset', 'SimpleDataset', 'ArrayDataset', 'RecordFileDataset']


class Dataset:
    """The base class of datasets: subclasses define ``__getitem__`` and ``__len__``.

    >>> class Squares(Dataset):
    ...     def __getitem__(self, i):
    ...         return i * i
    ...     def __len__(self):
    ...         return 4
    >>> list(Squares().transform(lambda x: -x))
    [0, -1, -4, -9]
    """

    def __getitem__(self, idx):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def __iter__(self):
        # Spelled out so that iteration stops at len() even for datasets whose
        # __getitem__ accepts any index (a Dataset over a generator function, say).
        for i in range(len(self)):
            yield self[i]

    def transform(self, fn, lazy=True):
        """A dataset whose examples are ``fn(example)``; a tuple example is passed
        unpacked, ``fn(*example)``.

        With ``lazy=True`` ``fn`` runs each time an example is read, so a random
        augmentation gives a new result every epoch. ``lazy=False`` runs it once now.
        """
        mapped = _MappedDataset(self, fn)
        return mapped if lazy else SimpleDataset(list(mapped))

    def transform_first(self, fn, lazy=True):
        """Like :meth:`transform`, but ``fn`` sees only the first element of each
        example (the image) and the rest (the label) passes through unchanged."""
        return self.transform(_OnFirst(fn), lazy)

    def filter(self, fn):
        """The examples for which ``fn(example)`` is true."""
        from .sampler import FilterSampler
        return _Subset(self, FilterSampler(fn, self))

    def take(self, count):
        """The first ``count`` examples (all of them when ``count`` is None or larger)."""
        from .sampler import SequentialSampler
        size = len(self)
        return _Subset(self, SequentialSampler(size if count is None else min(count, size)))

    def shard(self, num_shards, index):
        """Part ``index`` of ``num_shards`` contiguous, near-equal parts (for splitting
        data between machines); the first ``len % num_shards`` parts get one extra."""
        from .sampler import SequentialSampler
        if not 0 <= index < num_shards:
            raise ValueError(f'shard index must be in [0, {num_shards}), got {index}')
        size, rest = divmod(len(self), num_shards)
        start = size * index + min(index, rest)
        return _Subset(self, SequentialSampler(size + (index < rest), start))

    def sample(self, sampler):
        """The examples at the indices ``sampler`` gives, in its order."""
        from .sampler import Sampler
        if isinstance(sampler, Sampler):
            return _Subset(self, sampler)
        raise TypeError(f'Invalid sampler type: {type(sampler)}. '
                        'Expected gluon.data.Sampler instead.')


class SimpleDataset(Dataset):
    """A Dataset around any object with ``len()`` and ``[]``, such as a list.

    >>> SimpleDataset([1, 2, 3]).transform(lambda x: x * 10)[2]
    30
    """

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class _ArrayDatasetError(ValueError, AssertionError):
    """Arrays that cannot make an ArrayDataset: a ValueError, and the AssertionError
    MXNet 1.x raises (it checks with ``assert``)."""


class ArrayDataset(Dataset):
    """Several equally long arrays (lists, numpy arrays, NDArrays, datasets) read in
    step: example ``i`` is ``(a[i], b[i], ...)``, or ``a[i]`` for a single array.

    A 1-D NDArray (labels, usually) is kept as numpy, as in MXNet, so its examples
    are numpy scalars rather than shape-(1,) NDArrays.

    >>> import d2lmini as mx
    >>> ds = ArrayDataset(mx.nd.ones((3, 2)), mx.nd.array([0, 1, 2]))
    >>> x, y = ds[2]
    >>> print(x.shape, y)
    (2,) 2.0
    """

    def __init__(self, *args):
        if not args:
            raise _ArrayDatasetError('ArrayDataset needs at least 1 array')
        self._length = len(args[0])
        for position, array in enumerate(args):
            if len(array) != self._length:
                raise _ArrayDatasetError(
                    f'All arrays must have the same length; array[0] has length '
                    f'{self._length} while array[{position}] has {len(array)}.')
        # a 1-D NDArray (labels) is read as numpy, as in MXNet
        self._columns = [a.asnumpy() if isinstance(a, NDArray) and a.ndim == 1 else a
                         for a in args]

    def __getitem__(self, idx):
        fields = tuple(column[idx] for column in self._columns)
        return fields if len(fields) > 1 else fields[0]

    def __len__(self):
        return self._length


class RecordFileDataset(Dataset):
    """The records of a RecordIO file (``filename``, with its index next to it: the
    same name ending in ``.idx``), as raw bytes, in the index's order.

    >>> import os, tempfile
    >>> from d2lmini import recordio
    >>> folder = tempfile.mkdtemp()
    >>> w = recordio.MXIndexedRecordIO(os.path.join(folder, 'r.idx'),
    ...                                os.path.join(folder, 'r.rec'), 'w')
    >>> for i in range(3):
    ...     w.write_idx(i, b'x' * i)
    >>> w.close()
    >>> ds = RecordFileDataset(os.path.join(folder, 'r.rec'))
    >>> len(ds), ds[2]
    (3, b'xx')
    """

    def __init__(self, filename):
        from ... import recordio
        stem, _ = os.path.splitext(filename)
        self.filename = filename
        self.idx_file = stem + '.idx'
        self._reader = recordio.MXIndexedRecordIO(self.idx_file, filename, 'r')

    def __getitem__(self, idx):
        key = self._reader.keys[idx]  # the idx-th record in the index's order
        return self._reader.read_idx(key)

    def __len__(self):
        return len(self._reader.keys)


class _MappedDataset(Dataset):
    """``fn`` applied to each example of ``data`` when it is read."""

    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        example = self._data[idx]
        return self._fn(*example) if isinstance(example, tuple) else self._fn(example)


class _OnFirst:
    """``fn`` on the first element only. A class rather than a nested function so
    that it can be pickled and sent to DataLoader worker processes."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, first, *rest):
        return (self._fn(first),) + rest if rest else self._fn(first)


class _Subset(Dataset):
    """The examples of ``dataset`` at the indices ``sampler`` gives (drawn once, now)."""

    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._positions = list(sampler)

    def __len__(self):
        return len(self._positions)

    def __getitem__(self, idx):
        return self._dataset[self._positions[idx]]
