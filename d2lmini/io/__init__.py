"""``mx.io``: MXNet 1.x's data iterators, which feed :mod:`mx.mod <d2lmini.module>`.

An iterator yields :class:`DataBatch` objects (lists of NDArrays for the data and the
labels, plus ``pad``, the number of examples at the end of a batch that only fill it
up) and describes what it yields with ``provide_data`` / ``provide_label``, lists of
:class:`DataDesc` (a name and a shape).

>>> import numpy as np
>>> import d2lmini as mx
>>> it = mx.io.NDArrayIter(np.arange(10).reshape(5, 2), np.arange(5), batch_size=2)
>>> it.provide_data
[DataDesc[data,(2, 2),<class 'numpy.float32'>,NCHW]]
>>> [(b.label[0].asnumpy().tolist(), b.pad) for b in it]
[([0.0, 1.0], 0), ([2.0, 3.0], 0), ([4.0, 0.0], 1)]
"""
from .io import (DataDesc, DataBatch, DataIter, NDArrayIter, CSVIter, ResizeIter,  # noqa: F401
                 PrefetchingIter, MNISTIter)
from .image_record_iter import (ImageRecordIter, ImageRecordIter_v1,  # noqa: F401
                                ImageRecordUInt8Iter, ImageRecordUInt8Iter_v1,
                                ImageRecordInt8Iter)
from .image_det_record_iter import ImageDetRecordIter  # noqa: F401
from .libsvm_iter import LibSVMIter  # noqa: F401

__all__ = ['DataDesc', 'DataBatch', 'DataIter', 'NDArrayIter', 'CSVIter', 'ResizeIter',
           'PrefetchingIter', 'MNISTIter', 'ImageRecordIter', 'ImageRecordIter_v1',
           'ImageRecordUInt8Iter', 'ImageRecordUInt8Iter_v1', 'ImageRecordInt8Iter',
           'ImageDetRecordIter', 'LibSVMIter']
