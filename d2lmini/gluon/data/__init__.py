"""``gluon.data``: datasets, samplers and the DataLoader that turns them into batches.

A *dataset* gives single examples by index; a *sampler* decides the order of the
indices; a :class:`DataLoader` groups them into mini-batches and stacks each group
into NDArrays, optionally in worker processes.

>>> from d2lmini.gluon import data
>>> X, y = [[0., 1.], [2., 3.], [4., 5.]], [0, 1, 0]
>>> for xb, yb in data.DataLoader(data.ArrayDataset(X, y), batch_size=2):
...     print(xb.shape, yb.shape)
(2, 2) (2,)
(1, 2) (1,)
"""
from .dataset import Dataset, SimpleDataset, ArrayDataset, RecordFileDataset  # noqa: F401
from .sampler import (Sampler, SequentialSampler, RandomSampler,  # noqa: F401
                      FilterSampler, BatchSampler)
from .dataloader import DataLoader, default_batchify_fn  # noqa: F401
from . import vision  # noqa: F401
