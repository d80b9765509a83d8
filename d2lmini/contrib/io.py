"""``mx.contrib.io``: :class:`DataLoaderIter`, which lets a Gluon
:class:`~d2lmini.gluon.data.DataLoader` feed a :class:`~d2lmini.module.Module` (or
anything else that reads an ``mx.io.DataIter``), as MXNet 1.x's module of that name.

>>> import numpy as np
>>> import d2lmini as mx
>>> from d2lmini.gluon.data import ArrayDataset, DataLoader
>>> dataset = ArrayDataset(np.ones((10, 3), 'float32'), np.arange(10))
>>> it = DataLoaderIter(DataLoader(dataset, batch_size=4, last_batch='keep'))
>>> it.provide_data[0].shape, it.provide_label[0].name
((4, 3), 'softmax_label')
>>> [batch.pad for batch in it]
[0, 0, 2]
"""
from .. import ndarray as nd
from ..io import DataDesc, DataIter

__all__ = ['DataLoaderIter']


class DataLoaderIter(DataIter):
    """The batches of a Gluon DataLoader as an ``mx.io.DataIter``.

    loader : a DataLoader (or any re-iterable) whose batches are ``(data, label)``
    data_name, label_name : the names in ``provide_data`` / ``provide_label``, which
        must match the module's ``data_names`` / ``label_names``
    dtype : the dtype both data and labels are cast to (``'float32'`` by default)

    The batch size is that of the loader's first batch. A shorter batch (the last
    one with ``last_batch='keep'``) is padded with zeros to full size and reports
    the padding in ``DataBatch.pad``, as the iterators of ``mx.io`` do (MXNet 1.x
    left the padding uninitialised and always float32).

    >>> import numpy as np
    >>> import d2lmini as mx
    >>> from d2lmini.gluon.data import ArrayDataset, DataLoader
    >>> loader = DataLoader(ArrayDataset(np.arange(6.).reshape(3, 2), np.arange(3)),
    ...                     batch_size=2, last_batch='keep')
    >>> batches = list(DataLoaderIter(loader, label_name='lin_reg_label'))
    >>> batches[1].data[0].asnumpy(), batches[1].pad
    (array([[4., 5.],
           [0., 0.]], dtype=float32), 1)
    """

    def __init__(self, loader, data_name='data', label_name='softmax_label', dtype='float32'):
        super().__init__()
        self._loader = loader
        first = next(iter(loader), None)
        if first is None:
            raise ValueError('DataLoaderIter: the loader yields no batch (is its dataset '
                             'smaller than a batch, with last_batch="discard"?)')
        data, label = self._parts(first)
        self.batch_size = data.shape[0]
        self.dtype = dtype
        self.provide_data = [DataDesc(data_name, data.shape, dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, dtype)]
        self._current = None
        self.reset()

    @staticmethod
    def _parts(batch):
        """``(data, label)`` of one of the loader's batches."""
        if not isinstance(batch, (list, tuple)) or len(batch) != 2:
            raise ValueError('DataLoaderIter: every batch of the loader must be (data, '
                             f'label); got {type(batch).__name__}'
                             + (f' of {len(batch)} parts' if isinstance(batch, (list, tuple))
                                else ''))
        return [part if isinstance(part, nd.NDArray) else nd.array(part) for part in batch]

    def reset(self):
        """Start again from the loader's first batch (a new pass over the loader)."""
        self._batches = iter(self._loader)
        self._current = None

    def iter_next(self):
        batch = next(self._batches, None)
        self._current = None if batch is None else self._parts(batch)
        return self._current is not None

    def _full_size(self, array):
        """``array`` cast to ``dtype`` and padded with zeros to ``batch_size`` rows."""
        array = array.astype(self.dtype)
        short = self.batch_size - array.shape[0]
        if short <= 0:
            return array
        padded = nd.zeros((self.batch_size,) + array.shape[1:], ctx=array.context,
                          dtype=self.dtype)
        padded[:array.shape[0]] = array
        return padded

    def getdata(self):
        return [self._full_size(self._current[0])]

    def getlabel(self):
        return [self._full_size(self._current[1])]

    def getpad(self):
        return self.batch_size - self._current[0].shape[0]

    def getindex(self):
        return None
