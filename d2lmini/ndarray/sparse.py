"""Sparse storage: ``mx.nd.sparse``, MXNet 1.x's CSR matrices and row-sparse arrays.

Most entries of a bag-of-words matrix, or of the gradient of a large embedding
table, are zero. Two storage types keep only the rest:

* **CSR** (compressed sparse row, ``stype='csr'``), for 2-D matrices: ``data`` holds
  the non-zero values row after row, ``indices`` their column numbers, and
  ``indptr`` (one more than the number of rows) where each row starts in both:
  row ``i`` is ``data[indptr[i]:indptr[i+1]]`` in columns
  ``indices[indptr[i]:indptr[i+1]]``.
* **row sparse** (``stype='row_sparse'``), for arrays of any rank: ``indices`` lists
  the rows (along axis 0) that are stored, in increasing order, and ``data`` holds
  those rows; every other row is zero. A stored row may be zero too.

The arrays (:class:`CSRNDArray`, :class:`RowSparseNDArray`) are NDArrays: every
operator accepts them. The operators written for sparse storage keep it (``dot``
of a CSR matrix, :func:`retain`, element-wise sums and products of two sparse
arrays, operators that map 0 to 0 such as ``sqrt``); any other operator computes
on the dense values and returns a dense array, as MXNet does with its "storage
fallback". The results are the same numbers either way.

>>> import d2lmini as mx
>>> a = mx.nd.sparse.csr_matrix(([1., 2., 3.], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))
>>> a
<BLANKLINE>
<CSRNDArray 3x3 @cpu(0)>
>>> a.asnumpy()
array([[1., 0., 2.],
       [0., 0., 0.],
       [0., 3., 0.]], dtype=float32)
>>> mx.nd.sparse.dot(a, mx.nd.ones((3, 2))).asnumpy().tolist()
[[3.0, 3.0], [0.0, 0.0], [3.0, 3.0]]
>>> g = mx.nd.sparse.row_sparse_array(([[1., 2.]], [2]), shape=(4, 2))
>>> g.indices.asnumpy().tolist(), g.asnumpy().tolist()
([2], [[0.0, 0.0], [0.0, 0.0], [1.0, 2.0], [0.0, 0.0]])
"""
import numpy as np

from ..base import MXNetError, as_dtype, shape_str
from ..context import Context, current_context
from ..tape import _STATE
from .ndarray import NDArray, _new, _wrap

__all__ = ['BaseSparseNDArray', 'CSRNDArray', 'RowSparseNDArray', 'csr_matrix',
           'row_sparse_array', 'zeros', 'empty', 'array', 'dot', 'retain', 'add_n',
           'elemwise_add', 'elemwise_sub', 'elemwise_mul', 'cast_storage']

_INDEX = np.int64      # MXNet's index dtype for indices and indptr


# ------------------------------------------------------------------ dense <-> parts
def _csr_parts(xp, dense):
    """``(data, indices, indptr)`` of the non-zero entries of a 2-D array."""
    nonzero = dense != 0
    indptr = xp.zeros(dense.shape[0] + 1, _INDEX)
    xp.cumsum(nonzero.sum(axis=1), out=indptr[1:])
    rows, cols = xp.nonzero(nonzero)            # row-major: the order CSR stores
    return dense[rows, cols], cols.astype(_INDEX), indptr


def _csr_dense(xp, parts, shape, dtype):
    data, indices, indptr = parts
    out = xp.zeros(shape, dtype)
    rows = xp.repeat(xp.arange(shape[0]), xp.diff(indptr).astype(np.int64))
    out[rows, indices] = data
    return out


def _rsp_parts(xp, dense):
    """``(data, indices)``: the rows of ``dense`` (along axis 0) that hold a non-zero."""
    rows = dense.reshape(dense.shape[0], -1) != 0 if dense.ndim else dense != 0
    indices = xp.nonzero(rows.any(axis=1))[0].astype(_INDEX)
    return dense[indices], indices


def _rsp_dense(xp, parts, shape, dtype):
    data, indices = parts
    out = xp.zeros(shape, dtype)
    out[indices] = data
    return out


_STYPES = {'csr': (_csr_parts, _csr_dense), 'row_sparse': (_rsp_parts, _rsp_dense)}


def _make(stype, parts, shape, dtype, ctx):
    """A sparse NDArray of ``stype`` from its raw parts (no copy)."""
    a = _new(CSRNDArray if stype == 'csr' else RowSparseNDArray)
    a._parts = tuple(parts)
    a._shape = tuple(int(d) for d in shape)
    a._dtype = np.dtype(dtype)
    a._dense = None
    a._ctx = ctx
    a._node = None
    a._oidx = 0
    return a


def _rebuild(stype, parts, shape, dtype):
    """A sparse array from what ``__reduce__`` pickled."""
    from ..context import cpu
    a = _make(stype, parts, shape, dtype, cpu())
    a.check_format()
    return a


def _from_dense(stype, dense, ctx):
    xp = ctx.xp
    return _make(stype, _STYPES[stype][0](xp, dense), dense.shape, dense.dtype, ctx)


# ------------------------------------------------------------------ the arrays
class BaseSparseNDArray(NDArray):
    """What CSR and row-sparse arrays share: their parts, the dense values that
    operators without a sparse form read (made on first use), and writes that keep
    the parts in step with the values."""

    __slots__ = ('_parts', '_shape', '_dtype', '_dense')

    @property
    def _data(self):
        # the dense values: every operator that has no sparse form computes on them
        if self._dense is None:
            dense = _STYPES[self.stype][1](self._ctx.xp, self._parts, self._shape,
                                           self._dtype)
            if isinstance(dense, np.ndarray):
                # read-only: a write into these values would leave the parts behind
                # (writes go through _assign, __setitem__ and the in-place operators)
                dense.flags.writeable = False
            self._dense = dense
        return self._dense

    @_data.setter
    def _data(self, dense):
        # a whole new value (copyto, x[:] = ...): the parts are those of its non-zeros
        self._parts = _STYPES[self.stype][0](self._ctx.xp, dense)
        self._shape, self._dtype, self._dense = tuple(dense.shape), dense.dtype, None

    @property
    def shape(self):
        return self._shape

    @property
    def size(self):
        return int(np.prod(self._shape, dtype=np.int64))

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def dtype(self):
        return self._dtype.type

    def __repr__(self):
        shape = 'x'.join(str(d) for d in self.shape)
        return f'\n<{type(self).__name__} {shape} @{self._ctx}>'

    __str__ = __repr__

    def __reduce__(self):
        # pickled as its parts (on the CPU), so that it comes back with its storage
        parts = tuple(np.asarray(p) if isinstance(p, np.ndarray) else self._ctx.xp.asnumpy(p)
                      for p in self._parts)
        return _rebuild, (self.stype, parts, self._shape, self._dtype.str)

    def _part(self, k):
        """Part ``k`` as a new NDArray (a copy, as MXNet's ``data``/``indices`` are)."""
        return _wrap(self._parts[k].copy(), self._ctx)

    @property
    def data(self):
        """The stored values."""
        return self._part(0)

    @property
    def indices(self):
        """Column numbers (CSR) or stored row numbers (row sparse), int64."""
        return self._part(1)

    def asnumpy(self):
        return np.array(self._ctx.xp.asnumpy(self._data) if self._ctx.xp is not np
                        else self._data, copy=True)

    def tostype(self, stype):
        """The same values in storage ``stype`` ('default', 'csr' or 'row_sparse')."""
        return cast_storage(self, stype)

    def copy(self):
        return self.copyto(self._ctx)

    def copyto(self, other):
        """Copy to Context ``other`` (a sparse array of the same storage there), or into
        NDArray ``other``, whichever its storage."""
        if isinstance(other, Context):
            other.xp  # noqa: B018 -- a missing GPU raises MXNetError here, before any copy
            parts = [p.copy() if p is q else p
                     for p, q in zip(_to_ctx(self._parts, other), self._parts)]
            return _make(self.stype, parts, self._shape, self._dtype, other)
        if isinstance(other, BaseSparseNDArray):
            if other.shape != self.shape:
                raise MXNetError(f'copyto: cannot copy an array of shape '
                                 f'{shape_str(self.shape)} into one of shape '
                                 f'{shape_str(other.shape)}')
            if other.stype == self.stype:
                other._parts = tuple(p.copy() for p in self.copyto(other._ctx)._parts)
                other._dtype, other._dense = self._dtype, None
                if other._dtype != other._parts[0].dtype:
                    other._parts = (other._parts[0].astype(other._dtype),) + other._parts[1:]
                return other
        return super().copyto(other)

    def as_in_context(self, context):
        return self if self._ctx == context else self.copyto(context)

    def astype(self, dtype, copy=True):
        dtype = np.dtype(as_dtype(dtype))
        if not copy and dtype == self._dtype:
            return self
        parts = (self._parts[0].astype(dtype),) + tuple(p.copy() for p in self._parts[1:])
        return _make(self.stype, parts, self._shape, dtype, self._ctx)

    def _assign(self, res):
        if _STATE.recording:
            raise MXNetError(f'an in-place write into a {self.stype} array cannot be '
                             'recorded; write it outside autograd.record()')
        if res.shape != self.shape:
            raise MXNetError(f'cannot write an array of shape {shape_str(res.shape)} into one '
                             f'of shape {shape_str(self.shape)}')
        self._data = res._data.astype(self._dtype, copy=False)
        return self

    def __setitem__(self, key, value):
        # as in MXNet, only the whole array can be assigned: x[:] = value
        if not (isinstance(key, slice) and key == slice(None)):
            raise ValueError(f'{type(self).__name__} supports only x[:] = value for '
                             f'assignment, not the key {key!r}')
        xp = self._ctx.xp
        if isinstance(value, NDArray):
            dense = value._data
        else:
            dense = xp.asarray(value, dtype=self._dtype)
        self._data = xp.broadcast_to(dense, self._shape).astype(self._dtype)

    def _inplace(self, name, other):
        result = getattr(self, name)(other)
        self._data = result._data.astype(self._dtype, copy=False)
        return self

    def __iadd__(self, other):
        return self._inplace('__add__', other)

    def __isub__(self, other):
        return self._inplace('__sub__', other)

    def __imul__(self, other):
        return self._inplace('__mul__', other)

    def __itruediv__(self, other):
        return self._inplace('__truediv__', other)

    # arithmetic that keeps zeros zero keeps the storage; anything else is dense
    def __add__(self, other):
        if isinstance(other, BaseSparseNDArray) and other.stype == self.stype:
            return elemwise_add(self, other)
        return super().__add__(other)

    def __sub__(self, other):
        if isinstance(other, BaseSparseNDArray) and other.stype == self.stype:
            return elemwise_sub(self, other)
        return super().__sub__(other)

    def __mul__(self, other):
        if isinstance(other, BaseSparseNDArray) and other.stype == self.stype:
            return elemwise_mul(self, other)
        if _is_number(other) and not _STATE.recording:
            return self._map_data(lambda d: d * other)
        return super().__mul__(other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if _is_number(other) and other != 0 and not _STATE.recording:
            return self._map_data(lambda d: d / other)
        return super().__truediv__(other)

    def __neg__(self):
        if _STATE.recording:
            return super().__neg__()
        return self._map_data(lambda d: -d)

    def _map_data(self, fn):
        """The same structure with ``fn`` applied to the stored values (``fn`` maps 0
        to 0, so the values not stored stay zero)."""
        data = fn(self._parts[0]).astype(self._dtype, copy=False)
        return _make(self.stype, (data,) + tuple(p.copy() for p in self._parts[1:]),
                     self._shape, self._dtype, self._ctx)


def _is_number(x):
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)


class CSRNDArray(BaseSparseNDArray):
    """A 2-D matrix in compressed sparse row storage: ``data``, ``indices`` (column
    numbers) and ``indptr`` (where each row starts). Make one with
    :func:`csr_matrix`.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 1], [2, 0]]).tostype('csr')
    >>> a.indptr.asnumpy().tolist(), a.indices.asnumpy().tolist()
    ([0, 1, 2], [1, 0])
    >>> a[1:].asnumpy().tolist()
    [[2.0, 0.0]]
    """

    __slots__ = ()

    @property
    def stype(self):
        return 'csr'

    @property
    def indptr(self):
        """Where each row starts in ``data`` and ``indices``; ``indptr[-1]`` is the
        number of stored values."""
        return self._part(2)

    def __getitem__(self, key):
        # rows: an integer (a 1-row matrix, as MXNet gives) or a slice with step 1
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            n = self._shape[0]
            if not -n <= key < n:
                raise IndexError(f'index {key} is out of bounds for a CSRNDArray with {n} '
                                 'rows')
            key = slice(key % n, key % n + 1)
        if not isinstance(key, slice):
            raise ValueError(f'CSRNDArray supports only integers and slices of rows, not '
                             f'{key!r}')
        start, stop, step = key.indices(self._shape[0])
        if step != 1:
            raise ValueError('CSRNDArray supports only slices with step 1')
        stop = max(stop, start)
        data, indices, indptr = self._parts
        a, b = int(indptr[start]), int(indptr[stop])
        parts = (data[a:b].copy(), indices[a:b].copy(), indptr[start:stop + 1] - a)
        return _make('csr', parts, (stop - start, self._shape[1]), self._dtype, self._ctx)

    def _take_rows(self, rows):
        """The rows ``rows`` (integers, any order, repeats allowed) as a new CSR
        matrix: each row's stored values are gathered in one pass."""
        xp = self._ctx.xp
        data, indices, indptr = self._parts
        rows = xp.asarray(rows, dtype=np.int64)
        counts = xp.diff(indptr)[rows]
        new_indptr = xp.zeros(len(rows) + 1, _INDEX)
        xp.cumsum(counts, out=new_indptr[1:])
        # where each gathered value sits in the old parts: its row's old start plus
        # its place within the row
        shift = xp.repeat(indptr[rows] - new_indptr[:-1], counts.astype(np.int64))
        where = shift + xp.arange(int(new_indptr[-1]))
        return _make('csr', (data[where], indices[where], new_indptr),
                     (len(rows), self._shape[1]), self._dtype, self._ctx)

    def asscipy(self):
        """The matrix as a ``scipy.sparse.csr_matrix`` (needs scipy)."""
        try:
            import scipy.sparse as sp
        except ImportError:
            raise ImportError('asscipy needs scipy: pip install scipy') from None
        data, indices, indptr = (np.asarray(self._ctx.xp.asnumpy(p) if self._ctx.xp is not np
                                            else p) for p in self._parts)
        return sp.csr_matrix((data, indices, indptr), shape=self._shape, dtype=self._dtype)

    def check_format(self, full_check=True):
        """Raise MXNetError unless the parts describe a valid CSR matrix: ``indptr``
        starting at 0, never decreasing, ending at the number of values, and (with
        ``full_check``) column numbers in range and increasing within each row."""
        data, indices, indptr = (np.asarray(p) for p in self._parts)
        n, m = self._shape
        if indptr.shape != (n + 1,) or indptr[0] != 0 or indptr[-1] != len(data) or \
                len(indices) != len(data) or (np.diff(indptr) < 0).any():
            raise MXNetError(f'CSRNDArray: indptr {indptr.tolist()} does not describe {n} '
                             f'rows of {len(data)} stored values')
        if full_check and len(indices):
            if indices.min() < 0 or indices.max() >= m:
                raise MXNetError(f'CSRNDArray: a column index is out of range for {m} '
                                 'columns')
            rows = np.repeat(np.arange(n), np.diff(indptr))
            same_row = rows[1:] == rows[:-1]
            if (np.diff(indices)[same_row] <= 0).any():
                raise MXNetError('CSRNDArray: column indices must increase within each row')


class RowSparseNDArray(BaseSparseNDArray):
    """An array whose rows (along axis 0) are zero except those listed in
    ``indices``, stored in ``data``. Make one with :func:`row_sparse_array`.

    >>> import d2lmini as mx
    >>> g = mx.nd.sparse.zeros('row_sparse', (3, 2))
    >>> g.indices.shape, g.data.shape
    ((0,), (0, 2))
    """

    __slots__ = ()

    @property
    def stype(self):
        return 'row_sparse'

    def __getitem__(self, key):
        if isinstance(key, slice) and key == slice(None):
            return self.copy()
        raise ValueError(f'RowSparseNDArray supports only [:] for __getitem__, not {key!r}')

    def retain(self, indices):
        """The rows listed in ``indices`` that are stored here (see :func:`retain`)."""
        return retain(self, indices)

    def check_format(self, full_check=True):
        """Raise MXNetError unless ``indices`` are increasing row numbers in range, one
        per stored row."""
        data, indices = (np.asarray(p) for p in self._parts)
        if len(indices) != len(data) or data.shape[1:] != self._shape[1:]:
            raise MXNetError(f'RowSparseNDArray: {len(indices)} indices for data of shape '
                             f'{shape_str(data.shape)} in an array of shape '
                             f'{shape_str(self._shape)}')
        if full_check and len(indices) and (indices.min() < 0 or
                                            indices.max() >= self._shape[0] or
                                            (np.diff(indices) <= 0).any()):
            raise MXNetError('RowSparseNDArray: indices must be increasing row numbers in '
                             f'[0, {self._shape[0]})')


# ------------------------------------------------------------------ making them
def _raw(x, dtype=None):
    """A numpy array from an NDArray, a numpy array or a list."""
    if isinstance(x, NDArray):
        x = x.asnumpy()
    return np.asarray(x, dtype=dtype)


def _ctx_dtype(ctx, dtype, default):
    ctx = ctx if ctx is not None else current_context()
    return ctx, np.dtype(as_dtype(dtype)) if dtype is not None else np.dtype(default)


def _to_ctx(parts, ctx):
    from .. import backend
    return tuple(backend.to_device(p, ctx) for p in parts)


def _is_shape(arg):
    return isinstance(arg, tuple) and all(isinstance(d, (int, np.integer)) for d in arg) \
        and len(arg) > 0


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """A :class:`CSRNDArray` from ``(data, indices, indptr)`` with ``shape``, from a
    shape ``(M, N)`` (all zeros), from a dense 2-D array (NDArray, numpy, list), from
    a ``scipy.sparse`` matrix, or from another CSRNDArray. The dtype is ``dtype``,
    else that of the data given (float32 for lists and plain numbers).

    >>> import d2lmini as mx
    >>> mx.nd.sparse.csr_matrix((2, 3)).indptr.asnumpy().tolist()
    [0, 0, 0]
    """
    if isinstance(arg1, tuple) and len(arg1) == 3 and not _is_shape(arg1):
        data, indices, indptr = arg1
        default = data.dtype if isinstance(data, (np.ndarray, NDArray)) else np.float32
        ctx, dtype = _ctx_dtype(ctx, dtype, default)
        data, indices, indptr = _raw(data, dtype), _raw(indices, _INDEX), _raw(indptr, _INDEX)
        if shape is None:
            shape = (len(indptr) - 1, int(indices.max()) + 1 if len(indices) else 0)
        if len(shape) != 2:
            raise ValueError(f'csr_matrix: shape {shape} is not 2-D')
        a = _make('csr', _to_ctx((data.reshape(-1), indices.reshape(-1), indptr.reshape(-1)),
                                 ctx), shape, dtype, ctx)
        a.check_format(full_check=False)
        return a
    if _is_shape(arg1):
        if len(arg1) != 2:
            raise ValueError(f'csr_matrix: shape {arg1} is not 2-D')
        return zeros('csr', arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, CSRNDArray):
        out = arg1.copyto(ctx) if ctx is not None else arg1.copy()
        return out.astype(dtype) if dtype is not None else out
    if hasattr(arg1, 'tocsr') and hasattr(arg1, 'nnz'):        # scipy.sparse
        m = arg1.tocsr()
        m.sum_duplicates()
        m.sort_indices()
        return csr_matrix((m.data, m.indices, m.indptr), shape=m.shape, ctx=ctx,
                          dtype=dtype if dtype is not None else m.dtype)
    dense = _raw(arg1)
    if dense.ndim != 2:
        raise ValueError(f'csr_matrix: a CSR matrix is 2-D, got data of shape '
                         f'{shape_str(dense.shape)}')
    default = dense.dtype if isinstance(arg1, (np.ndarray, NDArray)) else np.float32
    ctx, dtype = _ctx_dtype(ctx, dtype, default)
    return _from_dense('csr', ctx.xp.asarray(dense.astype(dtype)), ctx)


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """A :class:`RowSparseNDArray` from ``(data, indices)`` with ``shape`` (``data``
    holds the rows listed in ``indices``), from a shape (all zeros), from a dense
    array, or from another RowSparseNDArray.

    >>> import d2lmini as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1, 2], [0, 0]], [1, 3]), shape=(4, 2))
    >>> r.indices.asnumpy().tolist()      # a stored row may be zero
    [1, 3]
    """
    if isinstance(arg1, tuple) and len(arg1) == 2 and not _is_shape(arg1):
        data, indices = arg1
        default = data.dtype if isinstance(data, (np.ndarray, NDArray)) else np.float32
        ctx, dtype = _ctx_dtype(ctx, dtype, default)
        data, indices = _raw(data, dtype), _raw(indices, _INDEX).reshape(-1)
        if shape is None:
            shape = (int(indices.max()) + 1 if len(indices) else 0,) + data.shape[1:]
        shape = tuple(shape)
        if data.shape[1:] != shape[1:] or len(data) != len(indices):
            raise ValueError(f'row_sparse_array: data of shape {shape_str(data.shape)} and '
                             f'{len(indices)} indices do not make rows of an array of shape '
                             f'{shape_str(shape)}')
        order = np.argsort(indices, kind='stable')      # stored rows in increasing order
        a = _make('row_sparse', _to_ctx((data[order], indices[order]), ctx), shape, dtype,
                  ctx)
        a.check_format()
        return a
    if _is_shape(arg1):
        return zeros('row_sparse', arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, RowSparseNDArray):
        out = arg1.copyto(ctx) if ctx is not None else arg1.copy()
        return out.astype(dtype) if dtype is not None else out
    dense = _raw(arg1)
    default = dense.dtype if isinstance(arg1, (np.ndarray, NDArray)) else np.float32
    ctx, dtype = _ctx_dtype(ctx, dtype, default)
    return _from_dense('row_sparse', ctx.xp.asarray(dense.astype(dtype)), ctx)


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An all-zero array of storage ``stype`` ('csr', 'row_sparse' or 'default')."""
    from . import zeros as dense_zeros
    if stype == 'default':
        return dense_zeros(shape, ctx=ctx, dtype=dtype, **kwargs)
    if stype not in _STYPES:
        raise ValueError(f"unknown storage type {stype!r}: use 'default', 'csr' or "
                         "'row_sparse'")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    ctx, dtype = _ctx_dtype(ctx, dtype, np.float32)
    xp = ctx.xp
    if stype == 'csr':
        if len(shape) != 2:
            raise ValueError(f'a CSR matrix is 2-D, not of shape {shape}')
        parts = (xp.zeros(0, dtype), xp.zeros(0, _INDEX), xp.zeros(shape[0] + 1, _INDEX))
    else:
        parts = (xp.zeros((0,) + shape[1:], dtype), xp.zeros(0, _INDEX))
    return _make(stype, parts, shape, dtype, ctx)


def empty(stype, shape, ctx=None, dtype=None):
    """As :func:`zeros` (an empty sparse array stores nothing)."""
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


def array(source_array, ctx=None, dtype=None):
    """A sparse array like ``source_array`` (a sparse NDArray or a ``scipy.sparse``
    matrix, made CSR)."""
    if isinstance(source_array, BaseSparseNDArray):
        out = source_array.copyto(ctx) if ctx is not None else source_array.copy()
        return out.astype(dtype) if dtype is not None else out
    if hasattr(source_array, 'tocsr') and hasattr(source_array, 'nnz'):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    raise ValueError(f'sparse.array takes a sparse NDArray or a scipy.sparse matrix, not '
                     f'{type(source_array).__name__}; use mx.nd.array for dense data')


def cast_storage(data, stype=None):
    """``data`` in storage ``stype``: 'default' (dense), 'csr' (2-D only) or
    'row_sparse'. The values do not change.

    >>> import d2lmini as mx
    >>> mx.nd.sparse.cast_storage(mx.nd.array([[0, 5], [0, 0]]), 'row_sparse').indices
    <BLANKLINE>
    [0]
    <NDArray 1 @cpu(0)>
    """
    from ..ops.extra_ops import _check_stype
    _check_stype(stype)
    if stype == 'default':
        if isinstance(data, BaseSparseNDArray):
            return _wrap(data._data.copy(), data._ctx)
        return data.copy()
    if stype == 'csr' and data.ndim != 2:
        raise MXNetError(f'cast_storage: a CSR matrix is 2-D, not of shape '
                         f'{shape_str(data.shape)}')
    if data.stype == stype:
        return data.copy()
    return _from_dense(stype, data._data, data._ctx)


# ------------------------------------------------------------------ operators
def _recording_dense(*arrays):
    """Whether a gradient may flow through one of ``arrays``: then the dense operator
    runs, so that autograd records it."""
    return _STATE.recording and any(a._node is not None for a in arrays)


def dot(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    """Matrix product with a CSR matrix on the left: ``csr @ dense`` is dense,
    ``csr.T @ dense`` (``transpose_a=True``) is row sparse (only the rows of columns
    that hold a value are non-zero); other storage combinations give the dense
    product. The values equal those of ``nd.dot``.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 1], [0, 0], [2, 0]]).tostype('csr')
    >>> mx.nd.sparse.dot(a, mx.nd.ones((2, 1)), transpose_a=False).asnumpy().ravel().tolist()
    [1.0, 0.0, 2.0]
    >>> mx.nd.sparse.dot(a, mx.nd.ones((3, 2)), transpose_a=True).stype
    'row_sparse'
    """
    dense_dot = _dense('dot')
    if not isinstance(lhs, CSRNDArray) or isinstance(rhs, BaseSparseNDArray) or transpose_b \
            or rhs.ndim != 2 or _recording_dense(lhs, rhs):
        return dense_dot(lhs, rhs, transpose_a=transpose_a, transpose_b=transpose_b)
    xp = lhs._ctx.xp
    data, indices, indptr = lhs._parts
    m, n = lhs.shape
    if rhs.shape[0] != (m if transpose_a else n):
        raise MXNetError(f'dot: shapes {shape_str(lhs.shape)}{"^T" if transpose_a else ""} '
                         f'and {shape_str(rhs.shape)} do not multiply')
    rows = xp.repeat(xp.arange(m), xp.diff(indptr).astype(np.int64))
    dtype = np.result_type(lhs._dtype, rhs._data.dtype)
    if not transpose_a:
        out = xp.zeros((m, rhs.shape[1]), dtype)
        xp.add.at(out, rows, data[:, None] * rhs._data[indices])
        return _wrap(out, lhs._ctx)
    # (csr^T @ rhs)[c] sums data * rhs[row] over the entries in column c
    touched = xp.unique(indices)
    where = xp.searchsorted(touched, indices)
    out = xp.zeros((len(touched), rhs.shape[1]), dtype)
    xp.add.at(out, where, data[:, None] * rhs._data[rows])
    return _make('row_sparse', (out, touched.astype(_INDEX)), (n, rhs.shape[1]), dtype,
                 lhs._ctx)


def retain(data, indices):
    """The stored rows of row-sparse ``data`` whose numbers are in ``indices``; the
    others become zero (not stored).

    >>> import d2lmini as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1, 1], [2, 2]], [0, 3]), shape=(4, 2))
    >>> mx.nd.sparse.retain(r, mx.nd.array([3, 1])).indices.asnumpy().tolist()
    [3]
    """
    if not isinstance(data, RowSparseNDArray):
        raise MXNetError(f'retain takes a row_sparse array, not one of storage '
                         f'{data.stype!r}')
    xp = data._ctx.xp
    values, rows = data._parts
    keep = xp.isin(rows, xp.asarray(_raw(indices).astype(_INDEX)))
    return _make('row_sparse', (values[keep], rows[keep]), data.shape, data._dtype,
                 data._ctx)


def _same(op, lhs, rhs):
    if lhs.shape != rhs.shape:
        raise MXNetError(f'{op}: shapes {shape_str(lhs.shape)} and {shape_str(rhs.shape)} '
                         'differ')


def _rsp_combine(op, lhs, rhs, fn, union):
    """Row-sparse ``fn(lhs, rhs)`` row by row, over the union (sums) or the
    intersection (products) of the stored rows."""
    xp = lhs._ctx.xp
    (a, ia), (b, ib) = lhs._parts, rhs._parts
    rows = xp.union1d(ia, ib) if union else xp.intersect1d(ia, ib)
    dtype = np.result_type(lhs._dtype, rhs._dtype)
    full_a = xp.zeros((len(rows),) + lhs.shape[1:], dtype)
    full_b = xp.zeros_like(full_a)
    full_a[xp.searchsorted(rows, ia[xp.isin(ia, rows)])] = a[xp.isin(ia, rows)]
    full_b[xp.searchsorted(rows, ib[xp.isin(ib, rows)])] = b[xp.isin(ib, rows)]
    return _make('row_sparse', (fn(full_a, full_b), rows.astype(_INDEX)), lhs.shape, dtype,
                 lhs._ctx)


def _combine(op, lhs, rhs, fn, union):
    dense = _dense(op)
    if not (isinstance(lhs, BaseSparseNDArray) and isinstance(rhs, BaseSparseNDArray)
            and lhs.stype == rhs.stype) or _recording_dense(lhs, rhs):
        return dense(lhs, rhs)
    _same(op, lhs, rhs)
    if lhs.stype == 'row_sparse':
        return _rsp_combine(op, lhs, rhs, fn, union)
    return _from_dense('csr', fn(lhs._data, rhs._data), lhs._ctx)


def elemwise_add(lhs, rhs):
    """``lhs + rhs``; two arrays of the same sparse storage give that storage."""
    return _combine('elemwise_add', lhs, rhs, lambda a, b: a + b, union=True)


def elemwise_sub(lhs, rhs):
    """``lhs - rhs``; two arrays of the same sparse storage give that storage."""
    return _combine('elemwise_sub', lhs, rhs, lambda a, b: a - b, union=True)


def elemwise_mul(lhs, rhs):
    """``lhs * rhs``; two arrays of the same sparse storage give that storage."""
    return _combine('elemwise_mul', lhs, rhs, lambda a, b: a * b, union=False)


def add_n(*args):
    """The sum of ``args``: row sparse when they all are, else dense."""
    if not args:
        raise MXNetError('add_n needs at least one array')
    total = args[0]
    for a in args[1:]:
        total = elemwise_add(total, a)
    return total if len(args) > 1 else total.copy()


# Operators that map 0 to 0 keep the storage: they apply to the stored values only.
_ZERO_PRESERVING = ('abs', 'sign', 'sqrt', 'square', 'negative', 'relu', 'sin', 'tan',
                    'arcsin', 'arctan', 'sinh', 'tanh', 'arcsinh', 'arctanh', 'floor',
                    'ceil', 'round', 'rint', 'trunc', 'fix', 'expm1', 'log1p', 'degrees',
                    'radians', 'cbrt')


def _zero_preserving(name):
    def op(data, out=None, name=None):
        fn = _dense(op.__name__)
        if not isinstance(data, BaseSparseNDArray) or _recording_dense(data) or out is not None:
            return fn(data, out=out) if out is not None else fn(data)
        values = fn(_wrap(data._parts[0], data._ctx))._data
        return _make(data.stype, (values,) + tuple(p.copy() for p in data._parts[1:]),
                     data.shape, values.dtype, data._ctx)
    op.__name__ = name
    op.__doc__ = (f'``{name}`` of every element; on a sparse array it applies to the '
                  'stored values and keeps the storage (it maps 0 to 0).')
    return op


for _name in _ZERO_PRESERVING:
    globals()[_name] = _zero_preserving(_name)
__all__ += list(_ZERO_PRESERVING)


# ------------------------------------------------------------------ nd.X on sparse arrays
_DENSE = {}      # name -> the dense nd function that a sparse-aware one replaced


def _dense(name):
    """``nd.<name>`` as it computes on dense values."""
    if name not in _DENSE:
        from .. import ndarray as nd
        return getattr(nd, name)
    return _DENSE[name]


def _storage_aware(name, sparse_fn):
    dense_fn = _DENSE[name]

    def fn(*args, **kwargs):
        if kwargs.get('out') is None and any(isinstance(a, BaseSparseNDArray) for a in args):
            kwargs.pop('out', None)
            kwargs.pop('name', None)
            return sparse_fn(*args, **kwargs)
        return dense_fn(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = dense_fn.__doc__
    return fn


def install(namespace):
    """Make the functions of ``namespace`` (``mx.nd``) that MXNet computes sparsely
    keep the storage of sparse inputs: the zero-preserving element-wise operators,
    ``elemwise_add``/``sub``/``mul``, ``add_n`` and ``dot``. Dense inputs go straight
    to the dense function."""
    table = {n: globals()[n] for n in _ZERO_PRESERVING}
    table.update(elemwise_add=elemwise_add, elemwise_sub=elemwise_sub,
                 elemwise_mul=elemwise_mul, add_n=add_n, dot=dot)
    for name, sparse_fn in table.items():
        if name in namespace and name not in _DENSE:
            _DENSE[name] = namespace[name]
            namespace[name] = _storage_aware(name, sparse_fn)


def __getattr__(name):
    # every other operator of mx.nd, on the dense values (MXNet's storage fallback)
    from .. import ndarray as nd
    try:
        return getattr(nd, name)
    except AttributeError:
        raise AttributeError(f'mx.nd.sparse has no attribute {name!r}') from None
