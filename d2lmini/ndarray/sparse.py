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

from ..base import MXNetError, ShapeError, as_dtype, shape_str
from ..context import Context, current_context
from ..tape import _STATE
from .ndarray import NDArray, _new, _wrap

__all__ = ['BaseSparseNDArray', 'CSRNDArray', 'RowSparseNDArray', 'csr_matrix',
           'row_sparse_array', 'zeros', 'empty', 'array', 'dot', 'retain', 'add_n',
           'elemwise_add', 'elemwise_sub', 'elemwise_mul', 'cast_storage', 'broadcast_mul',
           'broadcast_div', 'zeros_like', 'clip', 'crop', 'concat']

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
    problem = a._problem(full_check=True, check_order=False)
    if problem is not None:
        raise MXNetError(f'cannot unpickle: {problem}')
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
            # parts given by hand are kept as given (check_format reports what is wrong
            # with them, as in MXNet); parts that would put values in the wrong places
            # stop here rather than give wrong values
            problem = self._problem(full_check=True, check_order=False)
            if problem is not None:
                raise MXNetError(f'{problem}; this {type(self).__name__} cannot be used')
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

    @property
    def _num_aux(self):
        """How many index arrays the storage keeps besides ``data``: 2 for CSR
        (``indices``, ``indptr``), 1 for row sparse (``indices``)."""
        return len(self._parts) - 1

    def _host_parts(self):
        """``data`` as stored and the index arrays as numpy arrays (copied from a GPU
        when there; the values are not, since checks read only their shape)."""
        xp = self._ctx.xp
        return (self._parts[0],) + tuple(np.asarray(p) if xp is np else xp.asnumpy(p)
                                         for p in self._parts[1:])

    def check_format(self, full_check=True):
        """Raise MXNetError unless the parts describe a valid array of this storage
        (see ``_problem``); ``full_check=False`` checks the cheap things only."""
        problem = self._problem(full_check=full_check, check_order=True)
        if problem is not None:
            raise MXNetError(problem)

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

    def detach(self):
        """The same values and storage (sharing the parts), cut off from the graph."""
        return _make(self.stype, self._parts, self._shape, self._dtype, self._ctx)

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

    # Arithmetic as MXNet 1.x dispatches it: an operator keeps the storage when its
    # zeros stay zeros (a sum of two row-sparse arrays, x * 2, x > 0.5, x * dense);
    # anything else (x + 1, x ** 2, 2 / x, x == 0, broadcasting) gives a dense array.
    def _with_number(self, other, fn, dense_method):
        """``fn(self, other)`` for a number ``other``: on the stored values when
        ``fn(0, other)`` is 0 (the zeros not stored stay zero), else dense."""
        if _is_number(other) and not _STATE.recording and _keeps_zero(fn, other, self._dtype):
            return self._map_data(lambda d: fn(d, other))
        return getattr(super(), dense_method)(other)

    def _same_storage(self, other):
        return isinstance(other, BaseSparseNDArray) and other.stype == self.stype and \
            other.shape == self.shape

    def __add__(self, other):
        if self._same_storage(other):
            return elemwise_add(self, other)
        return self._with_number(other, lambda a, b: a + b, '__add__')

    def __radd__(self, other):
        return self._with_number(other, lambda a, b: a + b, '__radd__')

    def __sub__(self, other):
        if self._same_storage(other):
            return elemwise_sub(self, other)
        return self._with_number(other, lambda a, b: a - b, '__sub__')

    def __mul__(self, other):
        if self._same_storage(other):
            return elemwise_mul(self, other)
        if isinstance(other, NDArray) and not isinstance(other, BaseSparseNDArray):
            return broadcast_mul(self, other)     # keeps the storage where MXNet does
        return self._with_number(other, lambda a, b: a * b, '__mul__')

    def __rmul__(self, other):
        return self._with_number(other, lambda a, b: a * b, '__rmul__')

    def __truediv__(self, other):
        if isinstance(other, NDArray) and not isinstance(other, BaseSparseNDArray):
            return broadcast_div(self, other)
        return self._with_number(other, lambda a, b: a / b, '__truediv__')

    __div__ = __truediv__

    # comparisons with a number give 1 where true, 0 where false
    def __eq__(self, other):
        return self._with_number(other, lambda a, b: a == b, '__eq__')

    def __ne__(self, other):
        return self._with_number(other, lambda a, b: a != b, '__ne__')

    def __gt__(self, other):
        return self._with_number(other, lambda a, b: a > b, '__gt__')

    def __ge__(self, other):
        return self._with_number(other, lambda a, b: a >= b, '__ge__')

    def __lt__(self, other):
        return self._with_number(other, lambda a, b: a < b, '__lt__')

    def __le__(self, other):
        return self._with_number(other, lambda a, b: a <= b, '__le__')

    __hash__ = NDArray.__hash__       # defining __eq__ would otherwise remove it

    def __neg__(self):
        if _STATE.recording:
            return super().__neg__()
        return self._map_data(lambda d: -d)

    def __abs__(self):
        if _STATE.recording:
            return super().__abs__()
        return self._map_data(self._ctx.xp.abs)

    def _map_data(self, fn):
        """The same structure with ``fn`` applied to the stored values (``fn`` maps 0
        to 0, so the values not stored stay zero)."""
        data = fn(self._parts[0]).astype(self._dtype, copy=False)
        return _make(self.stype, (data,) + tuple(p.copy() for p in self._parts[1:]),
                     self._shape, self._dtype, self._ctx)


def _is_number(x):
    return isinstance(x, (int, float, np.number)) and not isinstance(x, bool)


def _keeps_zero(fn, number, dtype):
    """Whether ``fn(0, number)`` is 0 (then ``fn`` keeps a sparse array sparse)."""
    with np.errstate(all='ignore'):
        return bool(np.asarray(fn(np.zeros(1, dtype), number)).astype(dtype)[0] == 0)


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

    def _problem(self, full_check=True, check_order=True):
        """What is wrong with the parts, or None: ``indptr`` must start at 0, never
        decrease and end at the number of values; with ``full_check`` the column
        numbers must be in range and (with ``check_order``) increase within each row."""
        data, indices, indptr = self._host_parts()
        n, m = self._shape
        if indptr.shape != (n + 1,) or len(indices) != len(data) or (
                len(indptr) and (indptr[0] != 0 or indptr[-1] != len(data) or
                                 (np.diff(indptr) < 0).any())):
            return (f'CSRNDArray: indptr {indptr.tolist()} does not describe {n} rows of '
                    f'{len(data)} stored values')
        if full_check and len(indices):
            if indices.min() < 0 or indices.max() >= m:
                return f'CSRNDArray: a column index is out of range for {m} columns'
            rows = np.repeat(np.arange(n), np.diff(indptr))
            same_row = rows[1:] == rows[:-1]
            steps = np.diff(indices)[same_row]
            if check_order and (steps <= 0).any():
                return 'CSRNDArray: column indices must increase within each row'
            if not check_order and (steps == 0).any():
                return 'CSRNDArray: a column index appears twice in one row'
        return None


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

    def _problem(self, full_check=True, check_order=True):
        """What is wrong with the parts, or None: one index per stored row; with
        ``full_check`` the indices must be row numbers in range and (with
        ``check_order``) increasing, else at least distinct."""
        data, indices = self._host_parts()
        if len(indices) != len(data) or data.shape[1:] != self._shape[1:]:
            return (f'RowSparseNDArray: {len(indices)} indices for data of shape '
                    f'{shape_str(data.shape)} in an array of shape {shape_str(self._shape)}')
        if full_check and len(indices):
            if indices.min() < 0 or indices.max() >= self._shape[0]:
                return (f'RowSparseNDArray: indices must be row numbers in '
                        f'[0, {self._shape[0]}), got {indices.tolist()}')
            steps = np.diff(np.sort(indices)) if not check_order else np.diff(indices)
            if (steps <= 0).any():
                return ('RowSparseNDArray: indices must be increasing' if check_order else
                        'RowSparseNDArray: a row index appears twice')
        return None


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


def _check_shape(what, given, shape):
    """``given`` (the shape of the data passed), unless ``shape`` says otherwise."""
    given = tuple(int(d) for d in given)
    if shape is not None and tuple(int(d) for d in shape) != given:
        raise ValueError(f'{what}: shape mismatch: the data has shape {given}, but '
                         f'shape={tuple(shape)} was given')
    return given


def _coo_to_csr(data, rows, cols, shape):
    """``(data, indices, indptr)`` of the COO entries ``data[k]`` at ``(rows[k],
    cols[k])``: sorted row by row, column by column, repeated entries summed (as
    ``scipy.sparse`` does)."""
    order = np.lexsort((cols, rows))
    data, rows, cols = data[order], rows[order], cols[order]
    first = np.ones(len(rows), bool)       # the first entry of each (row, col)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    starts = np.nonzero(first)[0]
    data = np.add.reduceat(data, starts) if len(data) else data
    rows, cols = rows[starts], cols[starts]
    indptr = np.zeros(shape[0] + 1, _INDEX)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return data, cols.astype(_INDEX), indptr


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """A :class:`CSRNDArray`, as MXNet's ``mx.nd.sparse.csr_matrix`` makes it from

    * ``(data, indices, indptr)``: the parts, kept as given (``check_format`` says
      whether they are valid); ``shape`` is inferred when not given;
    * ``(data, (row, col))``: the entries ``data[k]`` at ``(row[k], col[k])``
      (COO form), sorted, repeated entries summed;
    * a shape ``(M, N)``: all zeros;
    * a dense 2-D array (NDArray, numpy, list), a ``scipy.sparse`` matrix, or
      another CSRNDArray.

    The dtype is ``dtype``, else that of the data given (float32 for lists and
    plain numbers). A ``shape`` that differs from the data's raises ValueError.

    >>> import d2lmini as mx
    >>> mx.nd.sparse.csr_matrix((2, 3)).indptr.asnumpy().tolist()
    [0, 0, 0]
    >>> coo = mx.nd.sparse.csr_matrix(([5., 1., 2.], ([1, 0, 1], [2, 0, 2])), shape=(2, 3))
    >>> coo.asnumpy().tolist()          # the two entries at (1, 2) are summed
    [[1.0, 0.0, 0.0], [0.0, 0.0, 7.0]]
    """
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):
        data, (rows, cols) = arg1
        default = data.dtype if isinstance(data, (np.ndarray, NDArray)) else np.float32
        ctx, dtype = _ctx_dtype(ctx, dtype, default)
        data, rows, cols = _raw(data, dtype).reshape(-1), _raw(rows, _INDEX).reshape(-1), \
            _raw(cols, _INDEX).reshape(-1)
        if not len(data) == len(rows) == len(cols):
            raise ValueError(f'csr_matrix: {len(data)} values for {len(rows)} row and '
                             f'{len(cols)} column numbers')
        if shape is None:
            if not len(data):
                raise ValueError('csr_matrix: cannot infer the shape of a matrix without '
                                 'entries; pass shape=')
            shape = (int(rows.max()) + 1, int(cols.max()) + 1)
        if len(data) and (min(rows.min(), cols.min()) < 0 or rows.max() >= shape[0] or
                          cols.max() >= shape[1]):
            raise ValueError(f'csr_matrix: an entry lies outside the shape {tuple(shape)}')
        return csr_matrix(_coo_to_csr(data, rows, cols, shape), shape=shape, ctx=ctx,
                          dtype=dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3 and not _is_shape(arg1):
        data, indices, indptr = arg1
        default = data.dtype if isinstance(data, (np.ndarray, NDArray)) else np.float32
        ctx, dtype = _ctx_dtype(ctx, dtype, default)
        data, indices, indptr = (_raw(data, dtype).reshape(-1), _raw(indices, _INDEX).reshape(-1),
                                 _raw(indptr, _INDEX).reshape(-1))
        if shape is None:
            # as MXNet: as many rows as indptr describes, columns up to the largest index
            if not len(indices) or len(indptr) < 2:
                raise ValueError('csr_matrix: cannot infer the number of columns of a '
                                 'matrix without stored values; pass shape=')
            shape = (len(indptr) - 1, int(indices.max()) + 1)
        if len(shape) != 2:
            raise ValueError(f'csr_matrix: shape {shape} is not 2-D')
        if len(indptr) != shape[0] + 1 or len(indices) != len(data):
            raise ValueError(f'csr_matrix: {len(data)} values, {len(indices)} column indices '
                             f'and an indptr of length {len(indptr)} do not describe a '
                             f'matrix of shape {tuple(shape)}')
        return _make('csr', _to_ctx((data, indices, indptr), ctx), shape, dtype, ctx)
    if _is_shape(arg1):
        if len(arg1) != 2:
            raise ValueError(f'csr_matrix: shape {arg1} is not 2-D')
        return zeros('csr', _check_shape('csr_matrix', arg1, shape), ctx=ctx, dtype=dtype)
    if isinstance(arg1, CSRNDArray):
        _check_shape('csr_matrix', arg1.shape, shape)
        out = arg1.copyto(ctx) if ctx is not None else arg1.copy()
        return out.astype(dtype) if dtype is not None else out
    if hasattr(arg1, 'tocsr') and hasattr(arg1, 'nnz'):        # scipy.sparse
        m = arg1.tocsr()
        m.sum_duplicates()
        m.sort_indices()
        return csr_matrix((m.data, m.indices, m.indptr),
                          shape=_check_shape('csr_matrix', m.shape, shape), ctx=ctx,
                          dtype=dtype if dtype is not None else m.dtype)
    dense = _raw(arg1)
    if dense.ndim != 2:
        raise ValueError(f'csr_matrix: a CSR matrix is 2-D, got data of shape '
                         f'{shape_str(dense.shape)}')
    _check_shape('csr_matrix', dense.shape, shape)
    default = dense.dtype if isinstance(arg1, (np.ndarray, NDArray)) else np.float32
    ctx, dtype = _ctx_dtype(ctx, dtype, default)
    return _from_dense('csr', ctx.xp.asarray(dense.astype(dtype)), ctx)


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """A :class:`RowSparseNDArray`, as MXNet's ``mx.nd.sparse.row_sparse_array``
    makes it from ``(data, indices)`` (``data`` holds the rows listed in
    ``indices``, kept as given: ``check_format`` says whether they are valid; the
    shape is inferred when not given), from a shape (all zeros), from a dense array,
    or from another RowSparseNDArray. A ``shape`` that differs from the data's
    raises ValueError.

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
        if data.ndim == 0:
            raise ValueError('row_sparse_array: data must hold rows, not a single number')
        if shape is None:
            shape = (int(indices.max()) + 1 if len(indices) else 0,) + data.shape[1:]
        shape = tuple(int(d) for d in shape)
        if data.shape[1:] != shape[1:] or len(data) != len(indices):
            raise ValueError(f'row_sparse_array: data of shape {shape_str(data.shape)} and '
                             f'{len(indices)} indices do not make rows of an array of shape '
                             f'{shape_str(shape)}')
        return _make('row_sparse', _to_ctx((data, indices), ctx), shape, dtype, ctx)
    if _is_shape(arg1):
        return zeros('row_sparse', _check_shape('row_sparse_array', arg1, shape), ctx=ctx,
                     dtype=dtype)
    if isinstance(arg1, RowSparseNDArray):
        _check_shape('row_sparse_array', arg1.shape, shape)
        out = arg1.copyto(ctx) if ctx is not None else arg1.copy()
        return out.astype(dtype) if dtype is not None else out
    dense = _raw(arg1)
    _check_shape('row_sparse_array', dense.shape, shape)
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
    if _is_scipy_sparse(source_array):
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
        # a ValueError too, as MXNet's x.tostype('csr') raises
        raise ShapeError(f'cast_storage: a CSR matrix is 2-D, not of shape '
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
    """Matrix product with MXNet 1.x's sparse storage rules:

    * ``csr @ dense`` (and ``csr @ row_sparse``) is dense;
    * ``csr.T @ dense`` or ``csr.T @ row_sparse`` (``transpose_a=True``) is row
      sparse: only the rows of columns that hold a value can be non-zero;
    * ``dense @ csr`` and ``dense @ csr.T`` are CSR;
    * every other combination gives the dense product.

    The values equal those of ``nd.dot`` on the dense arrays.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 1], [0, 0], [2, 0]]).tostype('csr')
    >>> mx.nd.sparse.dot(a, mx.nd.ones((2, 1))).asnumpy().ravel().tolist()
    [1.0, 0.0, 2.0]
    >>> mx.nd.sparse.dot(a, mx.nd.ones((3, 2)), transpose_a=True).stype
    'row_sparse'
    >>> mx.nd.sparse.dot(mx.nd.ones((2, 3)), a).stype
    'csr'
    """
    dense_dot = _dense('dot')
    if _recording_dense(lhs, rhs):
        return dense_dot(lhs, rhs, transpose_a=transpose_a, transpose_b=transpose_b)
    if isinstance(rhs, CSRNDArray) and not isinstance(lhs, BaseSparseNDArray) \
            and not transpose_a:
        out = dense_dot(lhs, rhs, transpose_a=transpose_a, transpose_b=transpose_b)
        return _from_dense('csr', out._data, out._ctx)
    if not isinstance(lhs, CSRNDArray) or isinstance(rhs, CSRNDArray) or transpose_b \
            or rhs.ndim != 2:
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


def retain(data=None, indices=None, **kwargs):
    """The stored rows of row-sparse ``data`` whose numbers are in ``indices``; the
    others become zero (not stored). Also ``mx.nd._internal._sparse_retain``.

    >>> import d2lmini as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1, 1], [2, 2]], [0, 3]), shape=(4, 2))
    >>> mx.nd.sparse.retain(r, mx.nd.array([3, 1])).indices.asnumpy().tolist()
    [3]
    """
    kwargs.pop('out', None), kwargs.pop('name', None)
    if kwargs:
        raise MXNetError(f'retain: unknown argument(s) {sorted(kwargs)}; it takes data '
                         'and indices')
    if not isinstance(data, RowSparseNDArray):
        raise MXNetError(f'retain takes a row_sparse array, not '
                         f'{getattr(data, "stype", type(data).__name__)!r}')
    if indices is None:
        raise MXNetError('retain: indices (the rows to keep) are required')
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
    """``lhs * rhs``; two arrays of the same sparse storage give that storage, and
    so does a sparse array times a dense one (the product is zero wherever the
    sparse one is), as in MXNet 1.x.

    >>> import d2lmini as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1., 2.]], [1]), shape=(3, 2))
    >>> mx.nd.sparse.elemwise_mul(mx.nd.ones((3, 2)) * 3, r).stype
    'row_sparse'
    """
    sparse, dense = (lhs, rhs) if isinstance(lhs, BaseSparseNDArray) else (rhs, lhs)
    if isinstance(sparse, BaseSparseNDArray) and isinstance(dense, NDArray) and \
            not isinstance(dense, BaseSparseNDArray) and not _recording_dense(lhs, rhs):
        _same('elemwise_mul', lhs, rhs)
        return _times_dense(sparse, dense, lambda a, b: a * b)
    return _combine('elemwise_mul', lhs, rhs, lambda a, b: a * b, union=False)


def _times_dense(sparse, dense, fn):
    """``fn(sparse, dense)`` on the stored values of ``sparse`` only (``dense`` is
    broadcast to its shape): the values not stored stay zero."""
    xp = sparse._ctx.xp
    full = xp.broadcast_to(dense._data, sparse.shape)
    if sparse.stype == 'csr':
        data, indices, indptr = sparse._parts
        rows = xp.repeat(xp.arange(sparse.shape[0]), xp.diff(indptr).astype(np.int64))
        values = fn(data, full[rows, indices])
    else:
        data, indices = sparse._parts
        values = fn(data, full[indices])
    dtype = np.result_type(sparse._dtype, dense._data.dtype)
    return _make(sparse.stype, (values.astype(dtype, copy=False),) +
                 tuple(p.copy() for p in sparse._parts[1:]), sparse.shape, dtype,
                 sparse._ctx)


def _broadcast_keeps(lhs, rhs, division=False):
    """Whether MXNet 1.x keeps ``lhs``'s storage in ``broadcast_mul/div(lhs, rhs)``:
    a CSR matrix with a dense matrix, row or column, or (products only) a
    row-sparse array with a dense array of its own shape."""
    if not isinstance(lhs, BaseSparseNDArray) or not isinstance(rhs, NDArray) or \
            isinstance(rhs, BaseSparseNDArray) or _recording_dense(lhs, rhs):
        return False
    if lhs.stype == 'row_sparse':
        return rhs.shape == lhs.shape and not division
    return rhs.ndim == 2 and all(r in (1, l) for r, l in zip(rhs.shape, lhs.shape))


def broadcast_mul(lhs, rhs):
    """``lhs * rhs`` with broadcasting; CSR times a dense matrix, row or column
    stays CSR, and row sparse times a dense array of the same shape stays row
    sparse (MXNet 1.x's sparse kernels); otherwise dense.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 2], [4, 0]]).tostype('csr')
    >>> b = mx.nd.sparse.broadcast_mul(a, mx.nd.array([[10, 100]]))
    >>> b.stype, b.asnumpy().tolist()
    ('csr', [[0.0, 200.0], [40.0, 0.0]])
    """
    if _broadcast_keeps(lhs, rhs):
        return _times_dense(lhs, rhs, lambda a, b: a * b)
    return _dense('broadcast_mul')(lhs, rhs)


def broadcast_div(lhs, rhs):
    """``lhs / rhs`` with broadcasting; a CSR matrix divided by a dense matrix, row
    or column stays CSR, and then, as in MXNet, the values not stored stay zero (a
    zero in ``rhs`` there does not make them NaN). Row sparse divided by dense is
    dense, as in MXNet 1.x.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 2], [4, 0]]).tostype('csr')
    >>> mx.nd.sparse.broadcast_div(a, mx.nd.array([[2], [4]])).asnumpy().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    if _broadcast_keeps(lhs, rhs, division=True):
        return _times_dense(lhs, rhs, lambda a, b: a / b)
    return _dense('broadcast_div')(lhs, rhs)


def add_n(*args):
    """The sum of ``args``: row sparse when they all are (MXNet's sparse
    ``add_n``), else dense (CSR inputs too, as in MXNet 1.x).

    >>> import d2lmini as mx
    >>> r = mx.nd.ones((2, 2)).tostype('row_sparse')
    >>> mx.nd.sparse.add_n(r, r, r).stype, mx.nd.sparse.add_n(r, mx.nd.ones((2, 2))).stype
    ('row_sparse', 'default')
    """
    if not args:
        raise MXNetError('add_n needs at least one array')
    if not all(isinstance(a, RowSparseNDArray) for a in args) or _recording_dense(*args):
        return _dense('add_n')(*args)
    total = args[0].copy()
    for a in args[1:]:
        total = elemwise_add(total, a)
    return total


def zeros_like(data, **kwargs):
    """All zeros, of the shape, dtype and storage of ``data`` (a sparse array
    stores nothing).

    >>> import d2lmini as mx
    >>> mx.nd.sparse.zeros_like(mx.nd.ones((2, 3)).tostype('csr')).stype
    'csr'
    """
    if not isinstance(data, BaseSparseNDArray) or _recording_dense(data):
        return _dense('zeros_like')(data, **kwargs)
    return zeros(data.stype, data.shape, ctx=data._ctx, dtype=data._dtype)


def clip(data, a_min, a_max, **kwargs):
    """``data`` limited to ``[a_min, a_max]``; a sparse array keeps its storage when
    0 lies in that range (then the zeros stay zeros), as in MXNet 1.x.

    >>> import d2lmini as mx
    >>> r = mx.nd.array([[0, 5], [0, 0], [-3, 1]]).tostype('row_sparse')
    >>> c = mx.nd.sparse.clip(r, -1, 2)
    >>> c.stype, c.asnumpy().tolist()
    ('row_sparse', [[0.0, 2.0], [0.0, 0.0], [-1.0, 1.0]])
    """
    if isinstance(data, BaseSparseNDArray) and a_min <= 0 <= a_max and \
            not _recording_dense(data):
        return data._map_data(lambda d: data._ctx.xp.clip(d, a_min, a_max))
    return _dense('clip')(data, a_min, a_max, **kwargs)


def _as_tuple(x):
    return (x,) if x is None or isinstance(x, (int, np.integer)) else tuple(x)


def _slice(data, begin, end, step=(), **kwargs):
    """``mx.nd.sparse.slice`` (named ``_slice`` here, so as not to hide Python's
    ``slice`` in this module): ``data[begin:end]`` along the first axes, as
    ``nd.slice``; a CSR matrix sliced with step 1 stays CSR (its rows and then its
    columns are cut without making the dense matrix), as in MXNet 1.x. Other
    storages and steps slice the dense values.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[1, 0, 2], [0, 3, 0], [4, 0, 5]]).tostype('csr')
    >>> b = mx.nd.sparse.slice(a, begin=(1, 1), end=(3, 3))
    >>> b.stype, b.asnumpy().tolist()
    ('csr', [[3.0, 0.0], [0.0, 5.0]])
    """
    begin, end, step = _as_tuple(begin), _as_tuple(end), _as_tuple(step)
    if not isinstance(data, CSRNDArray) or _recording_dense(data) or \
            any(s not in (None, 1) for s in step) or len(begin) != len(end) or \
            not 1 <= len(begin) <= 2:
        return _dense('slice')(data, begin=begin, end=end, step=step, **kwargs)
    bounds = [slice(b, e).indices(n)[:2]
              for b, e, n in zip(begin, end, data.shape)]
    (r0, r1), (c0, c1) = bounds[0], bounds[1] if len(bounds) == 2 else (0, data.shape[1])
    rows = data[r0:max(r0, r1)]
    if (c0, c1) == (0, data.shape[1]):
        return rows
    xp = data._ctx.xp
    values, indices, indptr = rows._parts
    keep = (indices >= c0) & (indices < c1)
    row_of = xp.repeat(xp.arange(rows.shape[0]), xp.diff(indptr).astype(np.int64))
    new_indptr = xp.zeros(rows.shape[0] + 1, _INDEX)
    xp.cumsum(xp.bincount(row_of[keep], minlength=rows.shape[0]), out=new_indptr[1:])
    return _make('csr', (values[keep], indices[keep] - c0, new_indptr),
                 (rows.shape[0], max(c1 - c0, 0)), data._dtype, data._ctx)


def crop(data, begin, end, step=(), **kwargs):
    """MXNet's older name of :func:`slice`."""
    return _slice(data, begin, end, step, **kwargs)


def concat(*data, dim=1, **kwargs):
    """The arrays joined along axis ``dim``; CSR matrices joined along rows
    (``dim=0``) stay CSR, as in MXNet 1.x.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 1]]).tostype('csr')
    >>> b = mx.nd.sparse.concat(a, a * 2, dim=0)
    >>> b.stype, b.asnumpy().tolist()
    ('csr', [[0.0, 1.0], [0.0, 2.0]])
    """
    kwargs.pop('num_args', None)
    if dim != 0 or not data or not all(isinstance(a, CSRNDArray) for a in data) or \
            len({a.shape[1] for a in data}) != 1 or _recording_dense(*data):
        return _dense('concat')(*data, dim=dim, **kwargs)
    xp = data[0]._ctx.xp
    dtype = np.result_type(*[a._dtype for a in data])
    offsets = np.cumsum([0] + [int(a._parts[2][-1]) for a in data])
    parts = (xp.concatenate([a._parts[0].astype(dtype) for a in data]),
             xp.concatenate([a._parts[1] for a in data]),
             xp.concatenate([data[0]._parts[2][:1]] +
                            [a._parts[2][1:] + int(o) for a, o in zip(data, offsets)]))
    return _make('csr', parts, (sum(a.shape[0] for a in data), data[0].shape[1]), dtype,
                 data[0]._ctx)


def take(a, indices, axis=0, mode='clip', **kwargs):
    """Rows ``indices`` of ``a``, as ``nd.take``; a CSR matrix taken along axis 0
    with mode 'clip' or 'wrap' stays CSR, as in MXNet 1.x.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 1], [2, 0]]).tostype('csr')
    >>> t = mx.nd.take(a, mx.nd.array([1, 1, 5]))      # 5 is clipped to 1
    >>> t.stype, t.asnumpy().tolist()
    ('csr', [[2.0, 0.0], [2.0, 0.0], [2.0, 0.0]])
    """
    # (a CSR result is 2-D: only a 1-D list of rows keeps the storage)
    if not isinstance(a, CSRNDArray) or axis != 0 or mode not in ('clip', 'wrap') or \
            isinstance(indices, BaseSparseNDArray) or np.ndim(_raw(indices)) != 1 or \
            not a.shape[0] or _recording_dense(a):
        return _dense('take')(a, indices, axis=axis, mode=mode, **kwargs)
    n = a.shape[0]
    rows = _raw(indices).astype(np.int64)
    rows = np.clip(rows, 0, n - 1) if mode == 'clip' else np.mod(rows, n)
    return a._take_rows(rows)


def _square_sum(data, axis=None, keepdims=False, exclude=False, **kwargs):
    """``sum(data ** 2, axis)``; for a 2-D row-sparse array summed along axis 1 with
    ``keepdims`` the result is row sparse (one value per stored row), as in MXNet
    1.x. Also ``mx.nd._internal._square_sum``.

    >>> import d2lmini as mx
    >>> r = mx.nd.sparse.row_sparse_array(([[1., 2.]], [1]), shape=(3, 2))
    >>> s = mx.nd.sparse._square_sum(r, axis=1, keepdims=True)
    >>> s.stype, s.asnumpy().ravel().tolist()
    ('row_sparse', [0.0, 5.0, 0.0])
    """
    if isinstance(data, RowSparseNDArray) and data.ndim == 2 and axis in (1, -1, (1,)) \
            and keepdims and not exclude and not _recording_dense(data):
        values, rows = data._parts
        sums = (values * values).sum(axis=1, keepdims=True)
        return _make('row_sparse', (sums, rows.copy()), (data.shape[0], 1), data._dtype,
                     data._ctx)
    return _dense('_square_sum')(data, axis=axis, keepdims=keepdims, exclude=exclude,
                                 **kwargs)


def getnnz(data=None, axis=None, **kwargs):
    """How many values CSR matrix ``data`` stores (int64): in all (``axis=None``,
    shape ``(1,)``) or per row (``axis=1``). MXNet 1.x's ``mx.nd.contrib.getnnz``.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 1, 2], [0, 0, 0]]).tostype('csr')
    >>> getnnz(a).asnumpy().tolist(), getnnz(a, axis=1).asnumpy().tolist()
    ([2], [2, 0])
    """
    kwargs.pop('out', None), kwargs.pop('name', None)
    if kwargs:
        raise MXNetError(f'getnnz: unknown argument(s) {sorted(kwargs)}')
    if not isinstance(data, CSRNDArray):
        raise MXNetError(f'getnnz takes a CSR matrix, not '
                         f'{getattr(data, "stype", type(data).__name__)!r}')
    xp, indptr = data._ctx.xp, data._parts[2]
    if axis is None:
        return _wrap(xp.asarray([int(indptr[-1])], dtype=np.int64), data._ctx)
    if axis in (1, -1):
        return _wrap(xp.diff(indptr).astype(np.int64), data._ctx)
    raise MXNetError(f'getnnz: axis must be None or 1, not {axis!r} (as in MXNet)')


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
        # a plain loop: these functions are called on dense arrays nearly always, and
        # this check is all they pay for sparse storage
        for a in args:
            if isinstance(a, BaseSparseNDArray):
                break
        else:
            if not kwargs or not any(isinstance(a, BaseSparseNDArray)
                                     for a in kwargs.values()):
                return dense_fn(*args, **kwargs)
        if kwargs.get('out') is not None:
            return dense_fn(*args, **kwargs)
        kwargs.pop('out', None)
        kwargs.pop('name', None)
        return sparse_fn(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = dense_fn.__doc__
    return fn


# the functions that keep sparse storage, under their mx.nd names
_STORAGE_AWARE = dict(
    {n: globals()[n] for n in _ZERO_PRESERVING},
    elemwise_add=elemwise_add, elemwise_sub=elemwise_sub, elemwise_mul=elemwise_mul,
    add_n=add_n, dot=dot, broadcast_mul=broadcast_mul, broadcast_div=broadcast_div,
    zeros_like=zeros_like, clip=clip, slice=_slice, crop=crop, concat=concat,
    take=take, _square_sum=_square_sum)


def install(namespace, internal=None):
    """Make the functions of ``namespace`` (``mx.nd``) and ``internal``
    (``mx.nd._internal``) that MXNet computes sparsely keep the storage of sparse
    inputs (the table ``_STORAGE_AWARE``: the zero-preserving element-wise
    operators, ``elemwise_*``, ``add_n``, ``dot``, ``slice``, ``take``, ...); dense
    inputs go straight to the dense function. The methods of the same names
    (``x.sqrt()``, ``x.clip(...)``, ``x.slice(...)``) keep the storage too."""
    for name, sparse_fn in _STORAGE_AWARE.items():
        if name not in namespace:
            continue
        if name not in _DENSE:
            _DENSE[name] = namespace[name]
            namespace[name] = _storage_aware(name, sparse_fn)
        if internal is not None and name.startswith('_'):
            internal[name] = namespace[name]      # mx.nd._internal._square_sum
        if hasattr(NDArray, name) and name not in vars(BaseSparseNDArray):
            method = (lambda f: lambda self, *args, **kwargs: f(self, *args, **kwargs))(
                namespace[name])
            method.__name__, method.__doc__ = name, sparse_fn.__doc__
            setattr(BaseSparseNDArray, name, method)
    if internal is not None:
        internal['_sparse_retain'] = retain    # the operator behind sparse.retain
    if 'array' in namespace and 'array' not in _DENSE:
        _DENSE['array'] = namespace['array']
        namespace['array'] = _array_keeping_storage(namespace['array'])


def _is_scipy_sparse(x):
    return hasattr(x, 'tocsr') and hasattr(x, 'nnz')


def _array_keeping_storage(dense_array):
    """``mx.nd.array`` as MXNet 1.x's: a sparse NDArray or a ``scipy.sparse`` matrix
    gives a sparse array (see :func:`array`), anything else ``dense_array``'s."""
    def array_fn(source_array, ctx=None, dtype=None):
        if isinstance(source_array, BaseSparseNDArray) or _is_scipy_sparse(source_array):
            return array(source_array, ctx=ctx, dtype=dtype)
        return dense_array(source_array, ctx=ctx, dtype=dtype)
    array_fn.__name__ = array_fn.__qualname__ = 'array'
    array_fn.__doc__ = dense_array.__doc__ + """
    As in MXNet 1.x, a sparse NDArray or a ``scipy.sparse`` matrix gives a sparse
    array (``mx.nd.sparse.array``).
    """
    return array_fn


# names of mx.nd.sparse that this module keeps under another name
_ALIASES = {'slice': _slice}


def __getattr__(name):
    if name in _ALIASES:
        return _ALIASES[name]
    # every other operator of mx.nd, on the dense values (MXNet's storage fallback)
    from .. import ndarray as nd
    try:
        return getattr(nd, name)
    except AttributeError:
        raise AttributeError(f'mx.nd.sparse has no attribute {name!r}') from None
