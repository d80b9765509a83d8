"""``mx.io.LibSVMIter``: batches of CSR matrices from LibSVM text files.

A LibSVM file holds one example per line: a label, then the non-zero features as
``index:value`` pairs (indices start at 0 and increase)::

    1.0 0:0.5 2:1.2
    -2.0
    -3.0 0:0.6 1:2.4 2:1.2

Each batch's data is a :class:`~d2lmini.ndarray.sparse.CSRNDArray` of shape
``(batch_size,) + data_shape``; its label is the line's first number, or, with a
second file ``label_libsvm``, a CSR matrix of that file's features.

As in MXNet, batches always have ``batch_size`` rows (``round_batch``): the last
one of an epoch is filled up with the first examples (``pad`` says how many), and
the next epoch starts after them. ``num_parts``/``part_index`` read one part of the
file, cut as MXNet cuts it: at the first line that starts after each
``size * k / num_parts``-th byte.

>>> import os, tempfile
>>> import d2lmini as mx
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, 'train.libsvm')
...     with open(path, 'w') as f:
...         _ = f.write('1 0:0.5 2:1.2\\n-2\\n3 1:2.4\\n')
...     it = mx.io.LibSVMIter(data_libsvm=path, data_shape=(3,), batch_size=2)
...     batches = [(b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist(), b.pad)
...                for b in it]
>>> batches[0]
([[0.5, 0.0, 1.2000000476837158], [0.0, 0.0, 0.0]], [1.0, -2.0], 0)
>>> batches[1]
([[0.0, 2.4000000953674316, 0.0], [0.5, 0.0, 1.2000000476837158]], [3.0, 1.0], 1)
"""
import os

import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..ndarray import array as nd_array
from ..ndarray.sparse import _make
from .io import DataBatch, DataDesc, DataIter


def _part_lines(path, num_parts, part_index):
    """The lines of part ``part_index`` of ``num_parts`` of the file at ``path``."""
    if not os.path.isfile(path):
        raise MXNetError(f'LibSVMIter: {path}: No such file or directory')
    with open(path, 'rb') as f:
        raw = f.read()

    def boundary(k):
        # a part starts just after the first newline at or after its share of bytes
        if k <= 0:
            return 0
        if k >= num_parts:
            return len(raw)
        at = raw.find(b'\n', len(raw) * k // num_parts)
        return len(raw) if at < 0 else at + 1
    text = raw[boundary(part_index):boundary(part_index + 1)].decode('utf-8')
    return [line for line in text.splitlines() if line.strip()]


def _parse(lines, width, path, what):
    """``(labels, data, indices, indptr)`` of LibSVM ``lines`` with ``width`` columns."""
    labels, data, indices, indptr = [], [], [], [0]
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        try:
            labels.append(float(fields[0]))
            pairs = [field.split(':') for field in fields[1:]]
            cols = [int(c) for c, _ in pairs]
            vals = [float(v) for _, v in pairs]
        except ValueError:
            raise MXNetError(f'LibSVMIter: {path}, {what} line {number}: {line!r} is not '
                             "'label index:value ...'") from None
        if any(c < 0 or c >= width for c in cols):
            raise MXNetError(f'LibSVMIter: {path}, {what} line {number}: a feature index is '
                             f'outside [0, {width}) (the shape given is ({width},))')
        if any(b <= a for a, b in zip(cols, cols[1:])):
            raise MXNetError(f'LibSVMIter: {path}, {what} line {number}: feature indices '
                             'must increase along the line')
        indices.extend(cols)
        data.extend(vals)
        indptr.append(len(indices))
    return (np.asarray(labels, np.float32), np.asarray(data, np.float32),
            np.asarray(indices, np.int64), np.asarray(indptr, np.int64))


class LibSVMIter(DataIter):
    """Batches of CSR data (and labels) read from LibSVM files (see the module).

    data_libsvm, data_shape : the data file and the shape of one example, ``(width,)``
    label_libsvm, label_shape : an optional file of sparse labels and their shape
    batch_size : examples per batch
    round_batch : must be True, as in MXNet (the last batch is filled up)
    num_parts, part_index : read only this part of the file(s)
    """

    def __init__(self, data_libsvm, data_shape, label_libsvm=None, label_shape=(1,),
                 batch_size=1, round_batch=True, num_parts=1, part_index=0,
                 data_name='data', label_name='softmax_label', **kwargs):
        super().__init__(batch_size)
        if not round_batch:
            raise MXNetError("LibSVMIter: round_batch=False is not supported (MXNet's "
                             'sparse batches always fill the last batch up)')
        if int(batch_size) < 1:
            raise ValueError(f'batch_size must be a positive integer, not {batch_size!r}')
        if not 0 <= part_index < num_parts:
            raise MXNetError(f'LibSVMIter: part_index={part_index} must be in '
                             f'[0, num_parts={num_parts})')
        data_shape, label_shape = tuple(data_shape), tuple(label_shape)
        if len(data_shape) != 1:
            raise MXNetError(f'LibSVMIter: data_shape {data_shape} must have one '
                             'dimension, the number of features')
        self._labels, *parts = _parse(_part_lines(data_libsvm, num_parts, part_index),
                                      data_shape[0], data_libsvm, 'data')
        self._data = _make('csr', parts, (len(self._labels), data_shape[0]), np.float32,
                           cpu())      # the whole file: batches take rows of it
        self._sparse_label = None
        if label_libsvm is not None:
            if len(label_shape) != 1:
                raise MXNetError(f'LibSVMIter: label_shape {label_shape} must have one '
                                 'dimension')
            _, *parts = _parse(_part_lines(label_libsvm, num_parts, part_index),
                               label_shape[0], label_libsvm, 'label')
            if len(parts[2]) - 1 != len(self._labels):
                raise MXNetError(f'LibSVMIter: {label_libsvm} has {len(parts[2]) - 1} '
                                 f'examples but {data_libsvm} has {len(self._labels)}')
            self._sparse_label = _make('csr', parts, (len(self._labels), label_shape[0]),
                                       np.float32, cpu())
        self.num_data = len(self._labels)
        if self.num_data == 0:
            raise MXNetError(f'LibSVMIter: {data_libsvm} holds no examples')
        self._names = (data_name, label_name)
        self.provide_data = [DataDesc(data_name, (batch_size,) + data_shape, np.float32)]
        self.provide_label = [DataDesc(label_name, (batch_size,) + (
            label_shape if label_libsvm is not None else ()), np.float32)]
        self._start = 0       # where the next epoch begins (after rows used to fill up)
        self._cursor = None
        self.reset()

    def reset(self):
        self._cursor = self._start
        self._rows, self._pad = None, 0

    def iter_next(self):
        """Move to the next batch: its rows wrap around to the first examples."""
        if self._cursor >= self.num_data:
            return False
        rows = np.arange(self._cursor, self._cursor + self.batch_size)
        self._pad = max(0, int(rows[-1]) + 1 - self.num_data)
        self._rows = rows % self.num_data
        self._cursor += self.batch_size
        if self._pad:    # the rows used to fill up this batch open the next epoch
            self._start = (self._cursor - self.num_data) % self.num_data
        return True

    def next(self):
        if not self.iter_next():
            raise StopIteration
        return DataBatch([self.getdata()], [self.getlabel()], pad=self.getpad(),
                         index=self.getindex(), provide_data=self.provide_data,
                         provide_label=self.provide_label)

    # as MXNet's iterators written in C++, these return one array each
    def getdata(self):
        """The current batch's data, a CSRNDArray."""
        return self._data._take_rows(self._rows)

    def getlabel(self):
        """The current batch's labels: dense, or CSR with ``label_libsvm``."""
        if self._sparse_label is not None:
            return self._sparse_label._take_rows(self._rows)
        return nd_array(self._labels[self._rows])

    def getpad(self):
        return self._pad

    def getindex(self):
        return self._rows
