"""Data iterators: :class:`NDArrayIter` over arrays in memory, :class:`CSVIter` over
CSV files, :class:`MNISTIter` over MNIST's IDX files, and the wrappers
:class:`ResizeIter` and :class:`PrefetchingIter`.

They follow MXNet 1.9.1 batch for batch, including what each way of handling the
last, incomplete batch yields and which ``pad`` it reports.
"""
import logging
import os
import threading
import warnings
import weakref
from collections import namedtuple

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import NDArray

_REAL_T = np.float32   # MXNet's mx_real_t: the dtype of data read from numpy and files


class DataDesc(namedtuple('DataDesc', ['name', 'shape'])):
    """The name and shape of one input (data or label), with its ``dtype`` and
    ``layout``.

    It is a ``(name, shape)`` tuple, so ``name, shape = desc`` works and two
    descriptions are equal when name and shape are. ``layout`` tells which axis is the
    batch (``'N'``): ``'NCHW'`` (the default) puts it first.

    >>> d = DataDesc('data', (32, 3, 8, 8))
    >>> d
    DataDesc[data,(32, 3, 8, 8),<class 'numpy.float32'>,NCHW]
    >>> d.name, d.shape[0], DataDesc.get_batch_axis('TNC')
    ('data', 32, 1)
    """

    def __new__(cls, name, shape, dtype=_REAL_T, layout='NCHW'):
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return f'DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]'

    @staticmethod
    def get_batch_axis(layout):
        """The axis of ``layout`` that is the batch (``'N'``); 0 for no layout, and -1
        when there is no batch axis."""
        if layout is None:
            return 0
        return layout.find('N')

    @staticmethod
    def get_list(shapes, types):
        """``DataDesc`` objects from ``[(name, shape)]`` and ``[(name, dtype)]`` (or
        None for float32).

        >>> DataDesc.get_list([('x', (2, 3))], [('x', 'int32')])
        [DataDesc[x,(2, 3),int32,NCHW]]
        """
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch:
    """One batch: ``data`` and ``label`` are lists of NDArrays.

    pad : how many examples at the end only fill the batch up (a prediction drops them)
    index : the positions of the examples in the data set, when the iterator knows them
    bucket_key, provide_data, provide_label : for iterators whose shapes change
        from batch to batch

    >>> import d2lmini as mx
    >>> print(DataBatch([mx.nd.zeros((2, 3))], [mx.nd.zeros((2,))], pad=1))
    DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
    """

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise AssertionError('Data must be list of NDArrays')
        if label is not None and not isinstance(label, (list, tuple)):
            raise AssertionError('Label must be list of NDArrays')
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lb.shape for lb in self.label] if self.label else None
        return f'{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}'


class DataIter:
    """The base class of iterators. A subclass implements ``iter_next`` (move to the
    next batch; False at the end), ``getdata``, ``getlabel``, ``getpad`` (and maybe
    ``getindex``), ``reset``, and the ``provide_data`` / ``provide_label``
    descriptions; ``next()`` then builds the :class:`DataBatch`.

    >>> import d2lmini as mx
    >>> class Count(DataIter):
    ...     def __init__(self):
    ...         super().__init__(batch_size=1)
    ...         self.i = 0
    ...     def iter_next(self):
    ...         self.i += 1
    ...         return self.i <= 2
    ...     def getdata(self):
    ...         return [mx.nd.array([self.i])]
    ...     def getlabel(self):
    ...         return []
    ...     def getpad(self):
    ...         return 0
    >>> [b.data[0].asnumpy().tolist() for b in Count()]
    [[1.0], [2.0]]
    """

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the beginning of the data."""

    def next(self):
        """The next :class:`DataBatch`; ``StopIteration`` at the end of the data."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(),
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; whether there was one."""

    def getdata(self):
        """The data of the current batch (a list of NDArrays)."""

    def getlabel(self):
        """The labels of the current batch (a list of NDArrays)."""

    def getindex(self):
        """The positions of the current batch's examples, or None."""
        return None

    def getpad(self):
        """How many examples at the end of the current batch are padding."""


# ---------------------------------------------------------------------- wrappers
class _ServesCurrentBatch:
    """For iterators that hold a whole :class:`DataBatch` made elsewhere (by another
    iterator): its parts are what the ``get*`` methods return."""

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_ServesCurrentBatch, DataIter):
    """``data_iter`` cut or stretched to ``size`` batches per epoch: it restarts
    ``data_iter`` when that runs out early, and stops after ``size`` batches.

    reset_internal : whether ``reset()`` also resets ``data_iter`` (False lets
        epochs continue where the last one stopped)

    >>> import d2lmini as mx
    >>> it = ResizeIter(mx.io.NDArrayIter(mx.nd.ones((100, 10)), batch_size=25), 2)
    >>> [b.data[0].shape for b in it]
    [(25, 10), (25, 10)]
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        self.data_iter, self.size = data_iter, size
        self.reset_internal = reset_internal
        self.cur = 0                # batches served in this epoch
        self.current_batch = None
        # it describes its batches as the iterator it wraps does
        for attr in ('batch_size', 'provide_data', 'provide_label'):
            setattr(self, attr, getattr(data_iter, attr))
        if hasattr(data_iter, 'default_bucket_key'):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            batch = self.data_iter.next()
        except StopIteration:       # shorter than `size`: start it over
            self.data_iter.reset()
            batch = self.data_iter.next()
        self.current_batch = batch
        self.cur += 1
        return True



class _Worker:
    """The state one prefetching thread shares with its :class:`PrefetchingIter`.

    The thread holds this object, never the iterator, so that an iterator dropped
    early can be garbage collected, and its finalizer can then stop the thread."""

    def __init__(self, it):
        self.it = it
        self.ready = threading.Event()    # a batch (or the end, or an error) is waiting
        self.taken = threading.Event()    # the consumer wants the next one fetched
        self.taken.set()
        self.stopped = False
        self.batch = None
        self.error = None

    def run(self):
        while True:
            self.taken.wait()
            if self.stopped:
                return
            try:
                self.batch, self.error = self.it.next(), None
            except StopIteration:
                self.batch, self.error = None, None
            except BaseException as e:  # handed to the consumer, who would wait forever
                self.batch, self.error = None, e
            self.taken.clear()
            self.ready.set()


def _stop_workers(workers, threads):
    for w in workers:
        w.stopped = True
        w.taken.set()
    for t in threads:
        if t is not threading.current_thread():
            t.join()


class PrefetchingIter(_ServesCurrentBatch, DataIter):
    """Reads the next batch of each of ``iters`` in background threads while the
    current one is used; the batches of all iterators are joined into one.

    rename_data, rename_label : one dict per iterator mapping its names to new ones

    The threads end when the iterator is closed (``close()``, or leaving a ``with``
    block) or garbage collected; an error in a wrapped iterator is raised by ``next()``.

    >>> import d2lmini as mx
    >>> it1 = mx.io.NDArrayIter({'data': mx.nd.ones((100, 10))}, batch_size=25)
    >>> it2 = mx.io.NDArrayIter({'data': mx.nd.ones((100, 10))}, batch_size=25)
    >>> with PrefetchingIter([it1, it2], rename_data=[{'data': 'data_1'},
    ...                                               {'data': 'data_2'}]) as it:
    ...     print([d.name for d in it.provide_data], len(list(it)))
    ['data_1', 'data_2'] 4
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        if not isinstance(iters, list):
            iters = [iters]
        if not iters:
            raise AssertionError('PrefetchingIter needs at least one iterator')
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch = None
        self._workers = [_Worker(it) for it in iters]
        self.prefetch_threads = [threading.Thread(target=w.run, daemon=True,
                                                  name=f'PrefetchingIter-{i}')
                                 for i, w in enumerate(self._workers)]
        for t in self.prefetch_threads:
            t.start()
        self._finalizer = weakref.finalize(self, _stop_workers, self._workers,
                                           self.prefetch_threads)

    def close(self):
        """Stop the prefetching threads (waiting for a read in progress to finish)."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _renamed(self, attr, renames):
        descs = []
        for k, it in enumerate(self.iters):
            for x in getattr(it, attr):
                x = x if isinstance(x, DataDesc) else DataDesc(*x)
                if renames is not None:
                    x = DataDesc(renames[k][x.name], x.shape, x.dtype)
                descs.append(x)
        return descs

    @property
    def provide_data(self):
        return self._renamed('provide_data', self.rename_data)

    @property
    def provide_label(self):
        return self._renamed('provide_label', self.rename_label)

    def _check_open(self):
        if not self._finalizer.alive:
            raise MXNetError('PrefetchingIter is closed')

    def reset(self):
        self._check_open()
        for w in self._workers:
            w.ready.wait()
        for it in self.iters:
            it.reset()
        for w in self._workers:
            w.ready.clear()
        for w in self._workers:
            w.taken.set()

    def iter_next(self):
        self._check_open()
        for w in self._workers:
            w.ready.wait()
        errors = [w.error for w in self._workers if w.error is not None]
        if errors:
            for w in self._workers:   # the next call tries again
                w.error = None
                w.ready.clear()
                w.taken.set()
            raise errors[0]
        batches = [w.batch for w in self._workers]
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise AssertionError('Number of entry mismatches between iterators')
            return False
        if any(b is None or b.pad != batches[0].pad for b in batches):
            raise AssertionError('Number of entry mismatches between iterators')
        self.current_batch = DataBatch(sum([list(b.data) for b in batches], []),
                                       sum([list(b.label or []) for b in batches], []),
                                       batches[0].pad, batches[0].index,
                                       provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        for w in self._workers:
            w.ready.clear()
        for w in self._workers:
            w.taken.set()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration



# ---------------------------------------------------------------------- arrays in memory
def _is_scipy_sparse(x):
    return hasattr(x, 'tocsr') and hasattr(x, 'nnz')


def _named_arrays(given, default_name, allow_empty):
    """``given`` (an array, a list of arrays or a dict name -> array) as a list of
    ``(name, NDArray)`` sorted by name, as MXNet keeps it: one array is named
    ``default_name``, those of a list ``_0_<default_name>``, ``_1_<default_name>``..."""
    if given is None:
        if not allow_empty:
            raise AssertionError('NDArrayIter: data must be given')
        given = []
    if isinstance(given, (np.ndarray, NDArray)) or _is_scipy_sparse(given):
        given = {default_name: given}
    elif isinstance(given, list):
        if not given and not allow_empty:
            raise AssertionError('NDArrayIter: data must not be an empty list')
        if len(given) == 1:
            given = {default_name: given[0]}
        else:
            given = {f'_{k}_{default_name}': arr for k, arr in enumerate(given)}
    if not isinstance(given, dict):
        raise TypeError('Input must be NDArray, numpy.ndarray, h5py.Dataset a list of them '
                        'or dict with them as values')
    named = {}
    for name, arr in given.items():
        if isinstance(arr, NDArray):
            named[name] = arr
            continue
        if _is_scipy_sparse(arr):
            named[name] = nd.sparse.csr_matrix(arr, dtype=arr.dtype)
            continue
        try:
            named[name] = nd.array(arr)   # float32, as mx.nd.array makes from numpy
        except Exception:
            raise TypeError(f"Invalid type '{type(arr)}' for {name}, should be NDArray, "
                            'numpy.ndarray or h5py.Dataset') from None
    return sorted(named.items(), key=lambda pair: pair[0])


_LAST_BATCH = ('pad', 'discard', 'roll_over')


class NDArrayIter(DataIter):
    """Batches of NDArrays or numpy arrays held in memory.

    data, label : an array, a list of arrays (named ``_0_data``, ``_1_data``, ...)
        or a dict name -> array; numpy arrays become float32 NDArrays. Every array
        must have as many examples (along the batch axis) as the first.
    shuffle : shuffle the examples at every ``reset()`` (with numpy's global random
        generator, as MXNet does, so ``np.random.seed`` repeats the order)
    last_batch_handle : what to do with the examples that do not fill a last batch:

        * ``'pad'``: fill the batch up with examples from the beginning; ``pad`` says
          how many were added
        * ``'discard'``: drop them
        * ``'roll_over'``: keep them for the next epoch, whose first batch starts
          with them (its ``pad`` reports how many were carried over)

    data_name, label_name : the names of a single array (or the stem of a list's)
    layout : where the batch axis is (``'N'``)

    ``cursor`` is where the current batch starts in the data; it is negative for an
    epoch's first batch when it begins with examples kept by ``'roll_over'``.

    >>> import numpy as np
    >>> data = np.arange(10)
    >>> it = NDArrayIter(data, batch_size=4, last_batch_handle='roll_over')
    >>> [b.data[0].asnumpy().tolist() for b in it]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    >>> it.reset()
    >>> [(b.data[0].asnumpy().tolist(), b.pad) for b in it]
    [([8.0, 9.0, 0.0, 1.0], 2), ([2.0, 3.0, 4.0, 5.0], 0), ([6.0, 7.0, 8.0, 9.0], 0)]
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False,
                 last_batch_handle='pad', data_name='data', label_name='softmax_label',
                 layout='NCHW'):
        super().__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH:
            raise ValueError(f"last_batch_handle must be 'pad', 'discard' or 'roll_over', "
                             f'not {last_batch_handle!r}')
        if int(batch_size) < 1:
            raise ValueError(f'batch_size must be a positive integer, not {batch_size!r}')
        self.data = _named_arrays(data, data_name, allow_empty=False)
        self.label = _named_arrays(label, label_name, allow_empty=True)
        if last_batch_handle != 'discard' and any(
                arr.stype == 'csr' for _, arr in self.data + self.label):
            # a CSR batch cannot be padded or carried over by joining rows, in MXNet either
            raise NotImplementedError("NDArrayIter takes CSR data only with "
                                      "last_batch_handle='discard'")
        self.layout = layout
        self.num_data = self._count_examples()
        self.idx = np.arange(self.num_data)
        self.shuffle, self.last_batch_handle = shuffle, last_batch_handle
        self.batch_size = batch_size
        self.cursor = -batch_size     # before the first batch
        self.reset()
        self.data_list = [arr for _, arr in self.data + self.label]
        self.num_source = len(self.data_list)
        # what the incomplete last batch left for the next epoch ('roll_over'):
        # its data, then its labels, taken in that order by getdata and getlabel
        self._carried = []

    def _count_examples(self):
        """The number of examples, which every data and label array must have."""
        axis = max(self.layout.find('N'), 0)
        first_name, first = self.data[0]
        count = first.shape[axis]
        for what, source in (('data', self.data), ('label', self.label)):
            for name, arr in source:
                if arr.ndim > axis and arr.shape[axis] == count:
                    continue
                got = arr.shape[axis] if arr.ndim > axis else 'no'
                raise MXNetError(
                    f'NDArrayIter: {what} {name!r} has {got} examples along the batch '
                    f'axis but {first_name!r} has {count}: data and labels must have '
                    'the same number of examples')
        return count

    def _describe(self, source):
        axis = self.layout.find('N')
        return [DataDesc(name, arr.shape[:axis] + (self.batch_size,) + arr.shape[axis + 1:],
                         arr.dtype, layout=self.layout)
                for name, arr in source]

    @property
    def provide_data(self):
        """A :class:`DataDesc` per data array, with the batch size as the batch axis."""
        return self._describe(self.data)

    @property
    def provide_label(self):
        """A :class:`DataDesc` per label array."""
        return self._describe(self.label)

    # ------------------------------------------------------------ moving through the data
    def hard_reset(self):
        """Go back to the beginning, forgetting examples kept by ``'roll_over'``."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._carried = []

    def reset(self):
        """Go back to the beginning (after the examples kept by ``'roll_over'``)."""
        if self.shuffle:
            self._shuffle_data()
        unserved = self.num_data - self.cursor
        if self.last_batch_handle == 'roll_over' and 0 < unserved < self.batch_size:
            # the next epoch's first batch starts with the examples left over: it
            # begins `unserved` places before the start of the data
            self.cursor = -unserved - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        if not self.iter_next():
            raise StopIteration
        data, label = self.getdata(), self.getlabel()
        batch_axis = self.layout.find('N')
        if data[0].shape[batch_axis] != self.batch_size:
            # an incomplete last batch ('discard', 'roll_over'): kept for next epoch
            self._carried = [data, label]
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def getdata(self):
        return self._batch_of(self.data)

    def getlabel(self):
        return self._batch_of(self.label)

    def getpad(self):
        if self._starts_with_carried():
            return -self.cursor
        overshoot = self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == 'pad' and overshoot > 0:
            return overshoot
        return 0

    def _starts_with_carried(self):
        """Whether the current batch begins with examples the last epoch left over."""
        return self.last_batch_handle == 'roll_over' and -self.batch_size < self.cursor < 0

    # ------------------------------------------------------------ cutting batches
    def _batch_of(self, source):
        """The current batch of ``source`` (``self.data`` or ``self.label``)."""
        if self.cursor >= self.num_data:
            raise AssertionError('DataIter needs reset.')
        if self._starts_with_carried():
            if not self._carried:
                raise AssertionError('next epoch should have cached data')
            return self._join(self._carried.pop(0),
                              self._slice(source, 0, self.cursor + self.batch_size))
        overshoot = self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == 'pad' and overshoot > 0:
            return self._join(self._slice(source, self.cursor),
                              self._from_the_start(source, overshoot))
        return self._slice(source, self.cursor, min(self.cursor + self.batch_size,
                                                    self.num_data))

    def _slice(self, source, begin, end=None):
        """Examples ``begin:end`` of every array; ``end`` defaults to the length of the
        first axis (MXNet's default, also for other layouts)."""
        if end is None:
            end = source[0][1].shape[0] if source else 0
        axis = self.layout.find('N')
        return [arr[begin:end] if arr.stype == 'csr' else
                nd.slice_axis(arr, axis=axis, begin=begin, end=end) for _, arr in source]

    def _from_the_start(self, source, count):
        """``count`` examples from the beginning of the data, to pad the last batch:
        the whole data repeated when the batch is larger than the data."""
        if count <= self.num_data:
            return self._slice(source, 0, count)
        repeats, rest = divmod(count, self.num_data)
        filler = [nd.tile(arr, reps=(repeats,) + (1,) * (arr.ndim - 1))
                  for arr in self._slice(source, 0, self.num_data)]
        if rest:
            filler = self._join(filler, self._slice(source, 0, rest))
        return filler

    def _join(self, head, tail):
        """The arrays of ``head`` followed by those of ``tail`` along the batch axis."""
        if not (head and tail):
            return head or tail
        axis = self.layout.find('N')
        return [nd.concat(a, b, dim=axis) for a, b in zip(head, tail)]

    def _shuffle_data(self):
        # MXNet shuffles the index in place and reorders the (already shuffled) data
        # by it: the same composition of permutations gives the same order for a seed
        np.random.shuffle(self.idx)

        def reordered(source):
            return [(name, arr._take_rows(self.idx) if arr.stype == 'csr' else
                     nd.array(arr.asnumpy()[self.idx], arr.context, dtype=arr.dtype))
                    for name, arr in source]
        self.data, self.label = reordered(self.data), reordered(self.label)


# ---------------------------------------------------------------------- CSV files
def _read_csv(path, shape, dtype, what):
    if not os.path.isfile(path):
        raise MXNetError(f'CSVIter: {what} {path}: No such file or directory')
    size = int(np.prod(shape))
    rows = []
    # parse in the target dtype, so that large integers are not rounded through float
    parse = int if np.issubdtype(dtype, np.integer) else float
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = [parse(v) for v in line.split(',')]
            except ValueError as e:
                raise MXNetError(f'CSVIter: {path}, line {lineno}: {e}') from None
            if len(row) != size:
                raise MXNetError(f'CSVIter: {path}, line {lineno}: The data size in CSV do not '
                                 f'match size of shape: specified shape={list(shape)}, the '
                                 f'csv row-length={len(row)}')
            rows.append(row)
    if not rows:
        raise MXNetError(f'CSVIter: {what} {path} has no rows')
    return np.asarray(rows, dtype=dtype).reshape((len(rows),) + tuple(shape))


class CSVIter(DataIter):
    """Batches read from CSV files: one example per row of ``data_csv`` (and of
    ``label_csv``), reshaped to ``data_shape`` (``label_shape``).

    round_batch : with True, a last incomplete batch is filled up from the beginning
        of the file and the next epoch starts after the examples so used; with False
        the rest of the last batch keeps what the previous batch held. Either way
        ``pad`` says how many examples are filler.
    dtype : ``'float32'`` (default), ``'int32'`` or ``'int64'``

    Without ``label_csv`` the labels are zeros. As MXNet's, the arguments must be
    given by keyword, ``getdata()`` returns one NDArray and ``getindex()`` the rows'
    positions.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'x.csv')
    >>> _ = open(path, 'w').write('1,2\\n3,4\\n5,6\\n')
    >>> it = CSVIter(data_csv=path, data_shape=(2,), batch_size=2)
    >>> [(b.data[0].asnumpy().tolist(), b.pad) for b in it]
    [([[1.0, 2.0], [3.0, 4.0]], 0), ([[5.0, 6.0], [1.0, 2.0]], 1)]
    """

    def __init__(self, *, data_csv, data_shape, label_csv=None, label_shape=(1,),
                 batch_size, round_batch=True, dtype=None, data_name='data',
                 label_name='softmax_label', prefetch_buffer=None, ctx=None,
                 part_index=0, num_parts=1, **kwargs):
        super().__init__(int(batch_size))
        if self.batch_size < 1:
            raise MXNetError(f'CSVIter: batch_size must be positive, got {batch_size}')
        if kwargs:
            raise MXNetError(f'CSVIter: unknown argument(s) {sorted(kwargs)}')
        dtype = np.dtype('float32' if dtype is None else dtype)
        if dtype.name not in ('float32', 'int32', 'int64'):
            raise MXNetError(f"CSVIter: dtype must be 'float32', 'int32' or 'int64', not "
                             f'{dtype.name!r}')
        data_shape, label_shape = tuple(data_shape), tuple(label_shape)
        self._data = _read_csv(data_csv, data_shape, dtype, 'data_csv')
        n = len(self._data)
        if label_csv is not None and label_csv != 'NULL':
            self._label = _read_csv(label_csv, label_shape, dtype, 'label_csv')
            if len(self._label) != n:
                raise MXNetError(f'CSVIter: {data_csv} has {n} rows but {label_csv} has '
                                 f'{len(self._label)}')
        else:
            self._label = np.zeros((n,) + label_shape, dtype=dtype)
        if label_shape == (1,):   # a label per example: a vector, not a column
            self._label = self._label.reshape(n)
        if num_parts > 1:   # this worker's part of the rows, as for distributed reading
            lo, hi = n * part_index // num_parts, n * (part_index + 1) // num_parts
            self._data, self._label = self._data[lo:hi], self._label[lo:hi]
        self.round_batch = round_batch
        self.dtype = dtype
        self.provide_data = [DataDesc(data_name, (self.batch_size,) + self._data.shape[1:],
                                      dtype.type)]
        self.provide_label = [DataDesc(label_name, (self.batch_size,) + self._label.shape[1:],
                                       dtype.type)]
        # the batch buffers; without round_batch a last batch keeps their old contents
        self._data_buf = np.zeros((self.batch_size,) + self._data.shape[1:], dtype=dtype)
        self._label_buf = np.zeros((self.batch_size,) + self._label.shape[1:], dtype=dtype)
        self._start = 0          # where the next epoch begins
        self._pos = 0            # where the next batch begins
        self._done = False
        self._pad = 0
        self._index = None

    def reset(self):
        self._pos = self._start
        self._done = False

    def iter_next(self):
        n = len(self._data)
        if self._done or n == 0:
            return False
        pos, bs = self._pos, self.batch_size
        if pos + bs <= n:
            index = np.arange(pos, pos + bs)
            self._pad = 0
        else:
            self._pad = pos + bs - n
            if self.round_batch:
                index = np.arange(pos, pos + bs) % n
            else:
                index = np.arange(pos, n)
        k = len(index)
        self._data_buf[:k] = self._data[index]
        self._label_buf[:k] = self._label[index]
        if not self.round_batch and k < bs:   # the buffer's tail keeps the old batch
            index = np.concatenate([index, self._index[k:] if self._index is not None
                                    else np.zeros(bs - k, dtype=np.int64)])
        self._index = index
        if pos + bs >= n:
            self._done = True
            self._start = (pos + bs) % n if self.round_batch else 0
        self._pos = pos + bs
        return True

    def getdata(self):
        return nd.array(self._data_buf, dtype=self.dtype)

    def getlabel(self):
        return nd.array(self._label_buf, dtype=self.dtype)

    def getpad(self):
        return self._pad

    def getindex(self):
        return None if self._index is None else self._index.astype(np.uint64)

    def next(self):
        if self.iter_next():
            return DataBatch(data=[self.getdata()], label=[self.getlabel()],
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration


# ---------------------------------------------------------------------- MNIST
def _read_idx_file(path, what):
    """The array in IDX file ``path`` (MNIST's format, raw or gzip'ed)."""
    from ..gluon.data.vision.datasets import _read_idx  # gluon imports io: import late
    try:
        return _read_idx(path)
    except FileNotFoundError as e:
        # MXNet's C++ reader fails with an MXNetError
        raise MXNetError(f'MNISTIter: cannot open the {what} file {path!r}') from e


def _mt19937_outputs(seed):
    """The 32-bit outputs of C++'s ``std::mt19937(seed)``; numpy's RandomState seeded
    with an int is the same generator, and its full-range uint32 draws are the raw
    outputs."""
    state = np.random.RandomState(seed)
    while True:
        yield from state.randint(0, 2 ** 32, size=1024, dtype=np.uint32).tolist()


def _cpp_shuffle_order(n, seed):
    """The order ``std::shuffle(0..n-1, std::mt19937(seed))`` gives with GCC's
    standard library, with which MXNet's C++ iterators shuffle: for each position
    ``i`` from 1 on, swap with a position drawn from ``0..i`` (a raw output divided
    down to that range, outputs past the last whole multiple of it drawn again).

    >>> _cpp_shuffle_order(10, 1)
    [6, 9, 7, 2, 4, 1, 5, 3, 8, 0]
    """
    outputs = _mt19937_outputs(seed)
    order = list(range(n))
    for i in range(1, n):
        choices = i + 1
        scaling = 0xFFFFFFFF // choices
        limit = choices * scaling
        raw = next(outputs)
        while raw >= limit:
            raw = next(outputs)
        j = raw // scaling
        order[i], order[j] = order[j], order[i]
    return order


class MNISTIter(DataIter):
    """Batches of MNIST images and labels read from the IDX files ``image`` and
    ``label`` (as downloaded from http://yann.lecun.com/exdb/mnist/, unzipped, or
    still gzip'ed: d2lmini reads both).

    The data is ``(batch_size, 1, 28, 28)``, or ``(batch_size, 784)`` with ``flat``,
    float32 pixel values divided by 256 as MXNet 1.x does (so 255 gives 0.99609375);
    the labels are ``(batch_size,)`` float32 named ``softmax_label``. As in MXNet,
    only full batches are served: the last ``len % batch_size`` images of an epoch
    are left out, and ``shuffle`` mixes the images once, when they are loaded, in
    the order MXNet's C++ shuffle gives for ``seed``, so every epoch has that order.

    ``num_parts`` and ``part_index`` read only one of ``num_parts`` equal slices of
    the files (for one of several workers); ``prefetch_buffer`` and ``ctx`` are
    accepted for compatibility, and other parameters (``data_shape``) are ignored,
    as MXNet ignores them. As MXNet's, the arguments must be given by keyword and
    ``getdata()`` / ``getlabel()`` return one NDArray each. ``dtype`` must be None
    or a float type (MXNet 1.9.1 fails on the others).

    >>> import os, struct, tempfile
    >>> import numpy as np
    >>> import d2lmini as mx
    >>> tmp = tempfile.mkdtemp()
    >>> with open(os.path.join(tmp, 'img'), 'wb') as f:
    ...     _ = f.write(struct.pack('>IIII', 2051, 5, 28, 28) + bytes(5 * 28 * 28))
    >>> with open(os.path.join(tmp, 'lab'), 'wb') as f:
    ...     _ = f.write(struct.pack('>II', 2049, 5) + bytes([3, 1, 4, 1, 5]))
    >>> it = mx.io.MNISTIter(image=os.path.join(tmp, 'img'), label=os.path.join(tmp, 'lab'),
    ...                      batch_size=2, shuffle=False, silent=True)
    >>> it.provide_data
    [DataDesc[data,(2, 1, 28, 28),<class 'numpy.float32'>,NCHW]]
    >>> [b.label[0].asnumpy().tolist() for b in it]
    [[3.0, 1.0], [4.0, 1.0]]
    """

    def __init__(self, *, image='./train-images-idx3-ubyte', label='./train-labels-idx1-ubyte',
                 batch_size=128, shuffle=True, flat=False, seed=0, silent=False,
                 num_parts=1, part_index=0, prefetch_buffer=4, ctx='gpu', dtype=None,
                 data_name='data', label_name='softmax_label', **kwargs):
        super().__init__(batch_size)
        # MXNet's C++ iterators ignore parameters they do not know; ``data_shape`` is
        # commonly passed (the shape follows from the files and ``flat``)
        kwargs.pop('data_shape', None)
        if kwargs:
            warnings.warn(f'MNISTIter ignores the unknown parameters {sorted(kwargs)}, '
                          'as MXNet does', stacklevel=2)
        if batch_size < 1:
            raise MXNetError(f'MNISTIter: batch_size must be positive, got {batch_size}')
        if not 0 <= part_index < num_parts:
            raise MXNetError(f'MNISTIter: part_index {part_index} is not in range '
                             f'[0, num_parts={num_parts})')
        out_dtype = np.dtype(np.float32 if dtype is None else dtype)
        if out_dtype.kind != 'f':
            raise MXNetError(f'MNISTIter: dtype must be a float type, got {out_dtype}; '
                             'pixel values are scaled into [0, 1)')
        images = _read_idx_file(image, 'image')
        labels = _read_idx_file(label, 'label')
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise MXNetError(f'MNISTIter: {image!r} and {label!r} must hold N images and '
                             f'N labels, but hold shapes {images.shape} and {labels.shape}')
        # this worker's slice of the files, cut where MXNet cuts it
        begin = int(len(images) / num_parts * part_index)
        end = int(len(images) / num_parts * (part_index + 1))
        images, labels = images[begin:end], labels[begin:end]
        if shuffle:
            order = _cpp_shuffle_order(len(images), seed)
            images, labels = images[order], labels[order]
        height, width = images.shape[1:]
        shape = (batch_size, height * width) if flat else (batch_size, 1, height, width)
        self._images = images.reshape((len(images),) + shape[1:])
        self._labels = labels.astype(np.float32)
        self._dtype = out_dtype
        self.provide_data = [DataDesc(data_name, shape, out_dtype.type)]
        self.provide_label = [DataDesc(label_name, (batch_size,), np.float32)]
        self._cursor = -batch_size
        if not silent:
            logging.info('MNISTIter: load %d images, shuffle=%d, shape=%s',
                         len(images), int(shuffle), shape)

    def reset(self):
        self._cursor = -self.batch_size

    def iter_next(self):
        # only full batches, as MXNet's MNISTIter serves
        if self._cursor + 2 * self.batch_size > len(self._images):
            return False
        self._cursor += self.batch_size
        return True

    def _batch(self):
        if self._cursor < 0:
            raise MXNetError('MNISTIter: call iter_next() (or next()) before asking for '
                             'the current batch')
        return slice(self._cursor, self._cursor + self.batch_size)

    def getdata(self):
        pixels = self._images[self._batch()].astype(self._dtype) / self._dtype.type(256)
        return nd.array(pixels, dtype=self._dtype)

    def getlabel(self):
        return nd.array(self._labels[self._batch()])

    def getpad(self):
        return 0

    def next(self):
        if self.iter_next():
            return DataBatch(data=[self.getdata()], label=[self.getlabel()], pad=0)
        raise StopIteration
