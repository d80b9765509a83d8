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
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn, lazy=True):
        """Like :meth:`transform`, but ``fn`` sees only the first element of each
        example (the image) and the rest (the label) passes through unchanged."""
        return self.transform(_TransformFirstClosure(fn), lazy)

    def filter(self, fn):
        """The examples for which ``fn(example)`` is true."""
        from .sampler import FilterSampler
        return _SampledDataset(self, FilterSampler(fn, self))

    def take(self, count):
        """The first ``count`` examples (all of them when ``count`` is None or larger)."""
        from .sampler import SequentialSampler
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, SequentialSampler(count))

    def shard(self, num_shards, index):
        """Part ``index`` of ``num_shards`` contiguous, near-equal parts (for splitting
        data between machines); the first ``len % num_shards`` parts get one extra."""
        from .sampler import SequentialSampler
        if not 0 <= index < num_shards:
            raise ValueError(f'shard index must be in [0, {num_shards}), got {index}')
        size, rest = divmod(len(self), num_shards)
        start = size * index + min(index, rest)
        return _SampledDataset(self, SequentialSampler(size + (index < rest), start))

    def sample(self, sampler):
        """The examples at the indices ``sampler`` gives, in its order."""
        from .sampler import Sampler
        if not isinstance(sampler, Sampler):
            raise TypeError(f'Invalid sampler type: {type(sampler)}. '
                            'Expected gluon.data.Sampler instead.')
        return _SampledDataset(self, sampler)


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
            raise ValueError('ArrayDataset needs at least 1 array')
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise ValueError(
                    f'All arrays must have the same length; array[0] has length '
                    f'{self._length} while array[{i}] has {len(data)}.')
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

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
        self.idx_file = os.path.splitext(filename)[0] + '.idx'
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, 'r')

    def __getitem__(self, idx):
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self):
        return len(self._record.keys)


class _LazyTransformDataset(Dataset):
    """``fn`` applied to each example when it is read."""

    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirstClosure:
    """``fn`` on the first element only. A class rather than a nested function so
    that it can be pickled and sent to DataLoader worker processes."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, x, *args):
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _SampledDataset(Dataset):
    """The examples of ``dataset`` at the indices ``sampler`` gives."""

    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._indices = list(sampler)

    def __len__(self):
        return len(self._indices)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]
