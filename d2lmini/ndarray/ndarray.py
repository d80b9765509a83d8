"""The NDArray: an n-dimensional array on a context, and the eager operator call.

An NDArray wraps a raw array of its context's array module (numpy on the CPU, cupy
on a GPU) and adds three things: the context, MXNet's semantics (float32 by default,
full reductions of shape ``(1,)``, ``repr`` with the device) and autograd (``_node``
says where in a recorded graph the value came from).

Every operator call goes through :func:`invoke`, which looks the operator up in the
registry, runs its ``forward`` on the raw arrays and, when recording, adds a node
to the tape.

In-place updates (``y += 1``, ``y[1:3] = v``, ``out=y``) write the array's own
memory, so views (``y[1:3]``, ``y[0]``, ``y.reshape(...)``) and the array they came
from always see each other's values, as in MXNet. MXNet refuses such updates inside
``autograd.record()``; here they are recorded, with right gradients both ways:

>>> import d2lmini as mx
>>> x = mx.nd.array([1., 2., 3.])
>>> x.attach_grad()
>>> with mx.autograd.record():
...     y = x * 1
...     v = y[0:2]
...     y += 10                  # v sees it: [11, 12]
...     z = (v * v).sum()
>>> z.backward()
>>> x.grad
<BLANKLINE>
[22. 24.  0.]
<NDArray 3 @cpu(0)>

How: the written array takes the graph entry of the value written; every other
array on the same memory catches up with the writes when a node next records it
(the written positions route their gradient to the written values); and nodes that
read the memory before a write read, in their backward, their own copies of the
old values (copy on write, from a log of what each write overwrote). The section
"in place while recording" at the end of this module has the details. Writing
memory that holds an array needing a gradient (``attach_grad``) is refused while
recording, as writing that array itself is.
"""
import struct

import numpy as np

from .. import backend
from ..tape import _STATE, _record, Variable
from ..base import IndexingError, MXNetError, ShapeError, as_dtype, numeric_types, shape_str
from ..context import Context, current_context
from ..ops import OPS
from ..ops.elemwise import c_cast, int_scalar
from ..profiler import _PROFILE, run_op as _profiled_op

_new = object.__new__
_EMPTY = {}


def _wrap(data, ctx):
    """An NDArray around the raw array ``data`` (no copy)."""
    a = _new(NDArray)
    a._data = data
    a._ctx = ctx
    a._node = None
    a._oidx = 0
    return a


def _wrap_entry(data, ctx, node, oidx):
    """An NDArray for a value recorded in the graph, linked to its node."""
    a = _new(NDArray)
    a._data = data
    a._ctx = ctx
    a._node = node
    a._oidx = oidx
    return a


def _ctx_error(op, inputs):
    ctxs = ', '.join(f'input {i} on {x._ctx}' for i, x in enumerate(inputs))
    return MXNetError(f'operator {op.name} needs all inputs on one context, got {ctxs}; '
                      'move them with as_in_context()')


def _dtype_error(op, inputs):
    dtypes = ', '.join(f'input {i} is {x._data.dtype}' for i, x in enumerate(inputs))
    return MXNetError(f'operator {op.name} needs all inputs of one dtype, got {dtypes}; '
                      'convert them with astype()')


def _type_error(op, inputs):
    for i, x in enumerate(inputs):
        if not isinstance(x, NDArray):
            name = op.inputs[i] if i < len(op.inputs) else f'input {i}'
            return TypeError(f'operator {op.name} expects an NDArray for {name}, '
                             f'got {type(x).__name__}')
    return TypeError(f'operator {op.name}: bad inputs')


def invoke(op, inputs, attrs=_EMPTY, out=None):
    """Run registered operator ``op`` on NDArrays ``inputs`` now.

    The outputs live on the inputs' context. While recording, and if an input is in
    the graph, the call is added to the tape. ``out`` (an NDArray) receives the
    result in place.
    """
    try:
        ctx = inputs[0]._ctx
        if len(inputs) == 1:
            datas = (inputs[0]._data,)
        else:
            datas = tuple([x._data for x in inputs])
            for x in inputs:
                if x._ctx is not ctx and x._ctx._compute != ctx._compute:
                    raise _ctx_error(op, inputs)  # pinned memory counts as its CPU
    except (AttributeError, IndexError):
        if not inputs:
            if getattr(op, 'dynamic_inputs', False):   # a custom operator without inputs
                return invoke_nullary(op, None, attrs, out)
            raise TypeError(f'operator {op.name} needs at least one input') from None
        raise _type_error(op, inputs) from None
    xp = ctx._xp or ctx.xp
    if op.train_mode and 'is_train' not in attrs:
        # the training flag reaches the operator as an argument, never as a global
        attrs = {**attrs, 'is_train': _STATE.training}
    try:
        if _PROFILE.active:  # timed by the profiler; off, this check is all it costs
            res = _profiled_op(op, ctx, xp, datas, attrs)
        elif xp is np:
            res = op.forward(xp, *datas, **attrs)
        else:
            with backend.device_scope(ctx):
                res = op.forward(xp, *datas, **attrs)
    except MXNetError:
        raise
    except TypeError as e:
        if attrs:
            op.check_attrs(attrs)
        raise op.error(e, [d.shape for d in datas], attrs) from e
    except Exception as e:
        raise op.error(e, [d.shape for d in datas], attrs) from e
    if ctx._compute is not ctx:  # pinned or shared host memory: results go to the CPU
        ctx = _result_context(op, ctx, res, datas)
    if op.num_outputs == 1:
        if isinstance(res, np.generic):
            # numpy gives a scalar for a 0-d result (exp of a 0-d array); the NDArray
            # needs a real array, one that in-place writes (y[:] = 1) can fill
            res = np.asarray(res)
        y = _wrap(res, ctx)
        if _STATE.recording:
            if _STATE.logged:
                _record_following(op, attrs, inputs, datas, (y,))
            else:
                for x in inputs:
                    if x._node is not None:
                        _record(op, attrs, inputs, datas, (y,))
                        break
        if out is not None:
            return out._assign(y)
        return y
    outs = tuple([_wrap(np.asarray(r) if isinstance(r, np.generic) else r, ctx) for r in res])
    if _STATE.recording:
        if _STATE.logged:
            _record_following(op, attrs, inputs, datas, outs)
        else:
            for x in inputs:
                if x._node is not None:
                    _record(op, attrs, inputs, datas, outs)
                    break
    nv = op.num_visible_outputs
    if callable(nv):  # e.g. BatchNorm shows its mean and variance with output_mean_var
        nv = nv(op.full_attrs(attrs))
    visible = outs[:nv] if op.num_outputs > 0 else outs
    if out is not None:
        outs_to = [out] if isinstance(out, NDArray) else out
        visible = [o._assign(v) for o, v in zip(outs_to, visible)]
    return visible[0] if len(visible) == 1 else list(visible)


def _result_context(op, ctx, res, datas):
    """Where an operator on arrays in pinned or shared host memory puts its result:
    on the plain ``cpu(i)``, as MXNet does, except that a view (``x[0]``) stays where
    its memory is."""
    if op is _GETITEM and _root(res) is _root(datas[0]):
        return ctx
    return ctx._compute


def invoke_nullary(op, ctx, attrs, out=None):
    """Run an operator without array inputs (creation, random draws) on ``ctx``."""
    ctx = current_context() if ctx is None else _as_context(ctx)
    # outside the try: a GPU context without cupy or without the device explains
    # itself, rather than being reported as a failure of the operator
    xp = ctx.xp
    try:
        if _PROFILE.active:
            res = _profiled_op(op, ctx, xp, (), attrs)
        else:
            with backend.device_scope(ctx):
                res = op.forward(xp, **attrs)
    except MXNetError:
        raise
    except Exception as e:
        if attrs:
            op.check_attrs(attrs)
        raise op.error(e, [], attrs) from e
    if isinstance(res, (tuple, list)):      # several outputs (a custom operator's)
        ys = [_wrap(r, ctx) for r in res]
        if out is not None:
            outs = [out] if isinstance(out, NDArray) else out
            ys = [o._assign(y) for o, y in zip(outs, ys)]
        return ys[0] if len(ys) == 1 else ys
    y = _wrap(res, ctx)
    if out is not None:
        return out._assign(y)
    return y


def _as_context(ctx):
    if isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, str):  # 'cpu(0)', 'gpu(1)', 'cpu'
        name, _, rest = ctx.partition('(')
        return Context(name, int(rest.rstrip(')') or 0))
    raise TypeError(f'expected a Context such as mx.cpu(), got {ctx!r}')


def _scalar(v):
    """Python number for a scalar operand (numpy scalars would widen float32 results)."""
    return v.item() if isinstance(v, np.generic) else v


_GETITEM = OPS['_getitem']
_ADD, _SUB, _MUL, _DIV = (OPS[n] for n in ('broadcast_add', 'broadcast_sub',
                                           'broadcast_mul', 'broadcast_div'))
_SCALAR_OPS = {n: OPS[n] for n in (
    '_plus_scalar', '_minus_scalar', '_rminus_scalar', '_mul_scalar', '_div_scalar',
    '_rdiv_scalar', '_mod_scalar', '_rmod_scalar', '_power_scalar', '_rpower_scalar',
    '_equal_scalar', '_not_equal_scalar', '_greater_scalar', '_greater_equal_scalar',
    '_lesser_scalar', '_lesser_equal_scalar')}
_PLUS_S, _MINUS_S, _RMINUS_S, _MUL_S, _DIV_S, _RDIV_S = (
    _SCALAR_OPS[n] for n in ('_plus_scalar', '_minus_scalar', '_rminus_scalar',
                             '_mul_scalar', '_div_scalar', '_rdiv_scalar'))


def _binary(lhs, rhs, op, scalar_op):
    """``lhs (op) rhs`` for an NDArray and an NDArray or a number."""
    if isinstance(rhs, NDArray):
        return invoke(op, (lhs, rhs))
    if isinstance(rhs, numeric_types):
        return invoke(scalar_op, (lhs,), {'scalar': _scalar(rhs)})
    if isinstance(rhs, np.ndarray):
        # as MXNet: numpy defers ``np.ones(3) + x`` and ``np.ones(3) == x`` to NDArray
        # (see __array_priority__), which refuses them rather than guessing a dtype
        raise TypeError(f'type {type(rhs)} not supported')
    return NotImplemented


# MXNet's storage types and their ids (sparse arrays: d2lmini.ndarray.sparse; code
# written for MXNet reads these tables)
_STORAGE_TYPE_STR_TO_ID = {'undefined': -1, 'default': 0, 'row_sparse': 1, 'csr': 2}
_STORAGE_TYPE_ID_TO_STR = {v: k for k, v in _STORAGE_TYPE_STR_TO_ID.items()}


def _region(begin, end, step):
    """The slices of ``slice_assign``'s ``begin``, ``end`` and ``step`` tuples."""
    begin, end = tuple(begin), tuple(end)
    if len(begin) != len(end):
        raise ValueError(f'slice_assign: begin {begin} and end {end} must have the same '
                         'length')
    step = tuple(step) or (None,) * len(begin)
    if len(step) != len(begin):
        raise ValueError(f'slice_assign: step {step} must be empty or as long as begin '
                         f'{begin}')
    return tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))


class NDArray:
    """An n-dimensional array on a context, with autograd support.

    Create one with ``mx.nd.array``, ``mx.nd.zeros`` and friends rather than directly.

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(6).reshape((2, 3))
    >>> x
    <BLANKLINE>
    [[0. 1. 2.]
     [3. 4. 5.]]
    <NDArray 2x3 @cpu(0)>
    >>> (x * 2 + 1).sum(axis=1)
    <BLANKLINE>
    [ 9. 27.]
    <NDArray 2 @cpu(0)>
    """

    # _ver (left unset by _wrap, read with a default): the count of in-place writes
    # made while recording that this array's graph entry already reflects
    __slots__ = ('_data', '_ctx', '_node', '_oidx', '_ver', '__weakref__')
    # As in MXNet, no __array_ufunc__: numpy's operators then defer to ours by this
    # priority (np.float32(1) + x and np.ones(3) + x call x.__radd__, which gives an
    # NDArray or refuses the numpy array), while numpy's functions (np.exp(x),
    # np.add(x, 1)) read the values through __array__ and return numpy arrays.
    __array_priority__ = 1000.0

    def __init__(self, *args, **kwargs):
        raise TypeError('create arrays with mx.nd.array, mx.nd.zeros, ... '
                        'rather than NDArray() directly')

    # ------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self._data.shape

    @property
    def size(self):
        return self._data.size

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        """The numpy scalar type of the elements, e.g. ``numpy.float32``."""
        return self._data.dtype.type

    @property
    def context(self):
        return self._ctx

    ctx = context

    @property
    def stype(self):
        return 'default'

    @property
    def writable(self):
        """Whether the array can be written to (always, here)."""
        return True

    @property
    def T(self):
        return self.transpose()

    @property
    def grad(self):
        """The gradient buffer that ``attach_grad`` created (None without one)."""
        node = self._node
        return node.grad if type(node) is Variable else None

    @property
    def _fresh_grad(self):
        """Whether backward wrote ``.grad`` since the last optimizer step used it."""
        node = self._node
        return type(node) is Variable and node.fresh

    @_fresh_grad.setter
    def _fresh_grad(self, state):
        node = self._node
        if type(node) is Variable:
            node.fresh = bool(state)

    @property
    def handle(self):
        return self._data

    # ------------------------------------------------------------ conversion
    def asnumpy(self):
        """A numpy copy of the values."""
        data = self._data
        return data.copy() if isinstance(data, np.ndarray) else backend.to_host(data)

    def asscalar(self):
        """The single element as a numpy scalar."""
        if self.size != 1:
            raise ValueError(f'The current array is not a scalar: its shape is {self.shape}')
        return self.asnumpy().reshape(-1)[0]

    def astype(self, dtype, copy=True):
        """The values converted to ``dtype`` (recorded, so gradients flow back)."""
        dt = as_dtype(dtype)
        if not copy and dt == self._data.dtype:
            return self
        return invoke(OPS['Cast'], (self,), {'dtype': dt.name})

    def copy(self):
        return self.copyto(self._ctx)

    def broadcast_to(self, shape):
        """The values repeated to ``shape``. As MXNet's method (unlike the operator
        ``nd.broadcast_to``), missing leading axes count as length 1:
        ``nd.ones((3,)).broadcast_to((2, 3))`` works.

        >>> import d2lmini as mx
        >>> mx.nd.array([1, 2, 3]).broadcast_to((2, 3)).shape
        (2, 3)
        """
        shape = tuple(shape)
        cur = self.shape
        pad = (1,) * (len(shape) - len(cur)) + cur
        if len(shape) < len(cur) or any(c != s and c != 1 for c, s in zip(pad, shape)):
            raise ShapeError('operands could not be broadcast together with remapped shapes'
                             f'[original->remapped]: {cur} and requested shape {shape}')
        x = self if pad == cur else self.reshape(pad)
        return invoke(OPS['broadcast_to'], (x,), {'shape': shape})

    def copyto(self, other):
        """Copy into NDArray ``other``, or to a new array on Context ``other``."""
        if isinstance(other, NDArray):
            if other is self:
                return self
            if other.shape != self.shape:
                raise MXNetError(f'copyto: cannot copy an array of shape {shape_str(self.shape)} '
                                 f'into one of shape {shape_str(other.shape)}')
            return other._assign(self.copyto(other._ctx))
        ctx = _as_context(other)
        ctx.xp  # noqa: B018 -- a missing GPU raises MXNetError here, before any copy
        y = _wrap(backend.to_device(self._data, ctx), ctx)
        if y._data is self._data:
            y._data = self._data.copy()
        if _STATE.recording:
            if _STATE.logged:
                _follow(self)
            if self._node is not None:
                _record(OPS['_copyto'], {'source': self._ctx}, (self,), (self._data,), (y,))
        return y

    def as_in_context(self, context):
        """This array if it already lives on ``context``, else a copy there."""
        if self._ctx == context:
            return self
        return self.copyto(context)

    def detach(self):
        """The same values, cut off from the graph (no gradient flows through).

        It shares memory with this array, so it sees later in-place updates of it;
        those made while recording carry their gradients into it, those made before
        ``detach`` do not."""
        y = _wrap(self._data, self._ctx)
        if _STATE.logged:
            y._ver = _STATE.writes
        return y

    def wait_to_read(self):
        backend.synchronize(self._ctx)

    def tostype(self, stype):
        """A copy in storage ``stype``: 'default' (dense), 'csr' or 'row_sparse' (see
        :mod:`d2lmini.ndarray.sparse`)."""
        from .sparse import cast_storage
        return cast_storage(self, stype)

    def as_np_ndarray(self):
        return self.asnumpy()

    def as_nd_ndarray(self):
        """This array (it already is a legacy ``nd`` NDArray)."""
        return self

    def __array__(self, dtype=None, copy=None):
        """The values as a numpy array, for ``np.asarray(x)``, ``np.array(x)`` and numpy
        functions called on an NDArray (an extension: MXNet 1.x's NDArray has none).

        A copy, unless numpy asks for none (``np.asarray(x, copy=False)``), which an
        array in host memory of the same dtype allows: the numpy array then shares it.

        >>> import numpy as np, d2lmini as mx
        >>> x = mx.nd.array([1, 2, 3])
        >>> np.asarray(x, dtype='int32')
        array([1, 2, 3], dtype=int32)
        >>> np.square(x)                   # numpy's ufuncs give numpy arrays
        array([1., 4., 9.], dtype=float32)
        """
        data = self._data
        if copy is False:
            if not isinstance(data, np.ndarray) or (dtype is not None
                                                    and np.dtype(dtype) != data.dtype):
                raise ValueError('cannot make a numpy array of this NDArray without a copy '
                                 f'(it lives on {self._ctx} as {data.dtype})')
            return data
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __dlpack__(self, **kwargs):
        """The DLPack protocol, so that ``np.from_dlpack(x)``, ``torch.from_dlpack(x)``
        and ``cupy.from_dlpack(x)`` share this array's memory (an extension: MXNet 1.x
        has ``to_dlpack_for_read`` and ``to_dlpack_for_write`` only).

        >>> import numpy as np, d2lmini as mx
        >>> x = mx.nd.zeros((2,))
        >>> y = np.from_dlpack(x)
        >>> y[0] = 5
        >>> x
        <BLANKLINE>
        [5. 0.]
        <NDArray 2 @cpu(0)>
        """
        from . import dlpack
        return dlpack.export(self, kwargs)

    def __dlpack_device__(self):
        """The DLPack device of this array: ``(1, 0)`` for host memory, ``(2, i)`` for
        GPU ``i``."""
        from . import dlpack
        return dlpack.device_of(self)

    def to_dlpack_for_read(self):
        """A DLPack capsule (named ``dltensor``) that shares this array's memory, once
        queued writes to it are done; ``nd.from_dlpack`` (or another framework's
        ``from_dlpack``) consumes it.

        >>> import d2lmini as mx
        >>> x = mx.nd.ones((2, 3))
        >>> mx.nd.from_dlpack(x.to_dlpack_for_read()).shape
        (2, 3)
        """
        from . import dlpack
        return dlpack.to_dlpack_for_read(self)

    def to_dlpack_for_write(self):
        """A DLPack capsule that shares this array's memory for writing, once queued
        reads and writes of it are done.

        >>> import d2lmini as mx
        >>> x = mx.nd.ones((2,))
        >>> u = mx.nd.from_dlpack(x.to_dlpack_for_write())
        >>> u += 1
        >>> x
        <BLANKLINE>
        [2. 2.]
        <NDArray 2 @cpu(0)>
        """
        from . import dlpack
        return dlpack.to_dlpack_for_write(self)

    # ------------------------------------------------------------ shape views
    def expand_dims(self, axis, inplace=False):
        """A new axis of length 1 at ``axis`` (from ``-ndim - 1`` to ``ndim``).

        With ``inplace=True`` the result is a view that shares this array's memory
        (a reshape), as in MXNet; otherwise a copy.

        >>> import d2lmini as mx
        >>> x = mx.nd.arange(6).reshape((2, 3))
        >>> y = x.expand_dims(1, inplace=True)
        >>> y.shape
        (2, 1, 3)
        >>> y[:] = -1
        >>> print(x[0, 0].asscalar())
        -1.0
        """
        if not inplace:
            return invoke(OPS['expand_dims'], (self,), {'axis': axis})
        new_shape = list(self.shape)
        if not -len(new_shape) - 1 <= axis <= len(new_shape):
            # MXNet checks these with assert, so code may catch AssertionError
            raise AssertionError(f'axis {axis} is out of range for {len(new_shape)}d array')
        if axis < 0:
            axis += len(new_shape) + 1
        new_shape.insert(axis, 1)
        return self.reshape(new_shape)

    def squeeze(self, axis=None, inplace=False):
        """This array without the axes of length 1 (those in ``axis``, an int or a
        tuple, or all of them); shape ``(1,)`` when none is left.

        With ``inplace=True`` the result is a view that shares this array's memory,
        as in MXNet; otherwise a copy.

        >>> import d2lmini as mx
        >>> x = mx.nd.zeros((2, 1, 3, 1))
        >>> x.squeeze(inplace=True).shape, x.squeeze(axis=1).shape
        ((2, 3), (2, 3, 1))
        """
        if not inplace:
            return invoke(OPS['squeeze'], (self,), {'axis': axis})
        new_shape = list(self.shape)
        axes = [axis] if isinstance(axis, int) else axis
        if axes:
            if len(axes) != len(set(axes)):
                raise AssertionError(f'axis {axes} contains duplicate which is not allowed.')
            for a in axes:
                if not -len(new_shape) <= a < len(new_shape):
                    raise AssertionError(f'axis {a} is out of range for {len(new_shape)}d array')
                if new_shape[a] != 1:
                    raise AssertionError(f'Squeeze target axis {a} must be size 1, '
                                         f'got {new_shape[a]}.')
            for i in sorted((a % len(new_shape) for a in axes), reverse=True):
                del new_shape[i]
        else:
            new_shape = [d for d in new_shape if d != 1]
        return self.reshape(new_shape or [1])

    def flatten(self, inplace=False):
        """The array as 2-D, ``(d1, d2 * ... * dk)``.

        With ``inplace=True`` the result is a view that shares this array's memory,
        as in MXNet; otherwise a copy.

        >>> import d2lmini as mx
        >>> x = mx.nd.zeros((5, 2, 3))
        >>> y = x.flatten(inplace=True)
        >>> y[:] = 1
        >>> y.shape, float(x.sum().asscalar())
        ((5, 6), 30.0)
        """
        if not inplace:
            return invoke(OPS['flatten'], (self,))
        return self.reshape((0, -1))

    # ------------------------------------------------------------ autograd
    def attach_grad(self, grad_req='write', stype=None):
        """Ask for this array's gradient: allocate ``.grad`` and make the array a
        leaf of any graph recorded from now on. ``stype='row_sparse'`` makes ``.grad``
        a row-sparse array, which stores the rows that receive a gradient; by
        default the gradient has this array's storage type, as in MXNet."""
        if grad_req not in ('write', 'add', 'null'):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {grad_req!r}")
        stype = self.stype if stype is None else stype
        if stype != 'default':
            from .sparse import zeros as sparse_zeros
            grad = sparse_zeros(stype, self.shape, ctx=self._ctx, dtype=self.dtype)
        else:
            grad = _wrap(self._ctx.xp.zeros_like(self._data), self._ctx)
        self._node = None if grad_req == 'null' else Variable(grad, grad_req)
        self._oidx = 0
        if grad_req != 'null':
            self._became_leaf()

    def _became_leaf(self):
        """Note that this array's memory holds a leaf of the graph: writing it while
        recording, even through a view, is refused (see :meth:`_check_inplace`)."""
        root = _root(self._data)
        key = id(root)
        if key not in _LEAF_ROOTS:
            _LEAF_ROOTS[key] = weakref.ref(root, lambda _, key=key: _LEAF_ROOTS.pop(key, None))

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Compute the gradient of this array with respect to the leaves."""
        from .. import autograd
        autograd.backward([self], None if out_grad is None else [out_grad],
                          retain_graph=retain_graph, train_mode=train_mode)

    # ------------------------------------------------------------ printing
    def __repr__(self):
        shape = 'x'.join(str(d) for d in self.shape)
        return f'\n{self.asnumpy()}\n<{type(self).__name__} {shape} @{self._ctx}>'

    __str__ = __repr__

    # ------------------------------------------------------------ Python protocols
    def __len__(self):
        if self.ndim == 0:
            raise TypeError('len() of a 0-d array')
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        if self.size == 0:
            return False
        if self.size == 1:
            return bool(self.asscalar())
        raise ValueError('The truth value of an NDArray with multiple elements is ambiguous.')

    __hash__ = object.__hash__

    # ------------------------------------------------------------ pickling
    def __getstate__(self):
        """The state that ``pickle`` (and ``copy.deepcopy``) saves, as MXNet's:
        ``{'handle': bytes}``, the bytes being MXNet's binary form of one array (its
        shape, context, dtype and values; see :mod:`d2lmini.ndarray.serialization`).
        Autograd's state (``attach_grad``, the graph) is not saved, as in MXNet.
        """
        return {'handle': bytearray(_raw_bytes(self))}

    def __setstate__(self, state):
        """Fill this (new, empty) array from ``state``, on the context it was saved
        from. An array from a GPU that is not here raises ``MXNetError``.

        (MXNet puts arrays from any host context on ``cpu(0)``; here the context is
        kept, since an operator refuses to mix ``cpu(0)`` and ``cpu(1)`` arrays.)
        """
        handle = state['handle']
        if handle is None:
            raise MXNetError('cannot unpickle an NDArray without data')
        data, ctx = _from_raw_bytes(handle)
        self._data, self._ctx, self._node, self._oidx = data, ctx, None, 0

    def __reduce__(self):
        return _unpickled, (), self.__getstate__()

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _binary(self, other, _ADD, _PLUS_S)

    __radd__ = __add__

    def __sub__(self, other):
        return _binary(self, other, _SUB, _MINUS_S)

    def __rsub__(self, other):
        return _binary(self, other, _SUB, _RMINUS_S)

    def __mul__(self, other):
        return _binary(self, other, _MUL, _MUL_S)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return _binary(self, other, _DIV, _DIV_S)

    def __rtruediv__(self, other):
        return _binary(self, other, _DIV, _RDIV_S)

    __div__, __rdiv__ = __truediv__, __rtruediv__

    def __mod__(self, other):
        return _binary(self, other, OPS['broadcast_mod'], OPS['_mod_scalar'])

    def __rmod__(self, other):
        return _binary(self, other, OPS['broadcast_mod'], OPS['_rmod_scalar'])

    def __pow__(self, other):
        return _binary(self, other, OPS['broadcast_power'], OPS['_power_scalar'])

    def __rpow__(self, other):
        return _binary(self, other, OPS['broadcast_power'], OPS['_rpower_scalar'])

    def __neg__(self):
        return invoke(OPS['negative'], (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return invoke(OPS['abs'], (self,))

    def __eq__(self, other):
        return _binary(self, other, OPS['broadcast_equal'], OPS['_equal_scalar'])

    def __ne__(self, other):
        return _binary(self, other, OPS['broadcast_not_equal'], OPS['_not_equal_scalar'])

    def __gt__(self, other):
        return _binary(self, other, OPS['broadcast_greater'], OPS['_greater_scalar'])

    def __ge__(self, other):
        return _binary(self, other, OPS['broadcast_greater_equal'],
                       OPS['_greater_equal_scalar'])

    def __lt__(self, other):
        return _binary(self, other, OPS['broadcast_lesser'], OPS['_lesser_scalar'])

    def __le__(self, other):
        return _binary(self, other, OPS['broadcast_lesser_equal'], OPS['_lesser_equal_scalar'])

    # ------------------------------------------------------------ in place
    def _assign(self, res):
        """Make this array hold ``res``'s values, in its own memory, so that views and
        the array it is a view of see them, as in MXNet.

        While recording, the write is recorded too (see "In place while recording"
        at the end of this module): this array takes ``res``'s place in the graph,
        arrays sharing its memory follow, and nodes that read the old values keep them.
        """
        if res.shape != self.shape:
            raise MXNetError(f'cannot write an array of shape {shape_str(res.shape)} into one '
                             f'of shape {shape_str(self.shape)}')
        if _STATE.recording:
            self._check_inplace()
            if res._data.dtype != self._data.dtype:
                raise MXNetError(f'in-place update would change dtype {self._data.dtype} '
                                 f'to {res._data.dtype} while recording')
            _write(self, res)
        else:
            self._data[...] = res._data
        return self

    def _check_inplace(self):
        """Refuse, while recording, to write an array that needs a gradient, or memory
        it shares with one (through a view): the leaf would no longer hold the values
        its gradient is taken at."""
        if type(self._node) is Variable:
            raise MXNetError(
                'in-place update of an array that needs a gradient (it called attach_grad) '
                'inside autograd.record(): its gradient would be lost. Write the result '
                'to a new array (y = x + 1) or update it outside record()')
        if _LEAF_ROOTS:
            root = _root(self._data)
            ref = _LEAF_ROOTS.get(id(root))
            if ref is not None and ref() is root:
                raise MXNetError(
                    'in-place update inside autograd.record() of memory that an array needing '
                    'a gradient (it called attach_grad) shares with this one, through a view '
                    'such as x[1:3] or x.reshape(...): its gradient would be lost. Write the '
                    'result to a new array or update it outside record()')

    def _inplace(self, other, op, scalar_op, ufunc):
        if not _STATE.recording:
            kind = self._data.dtype.kind
            if ufunc == 'mod' or (ufunc == 'true_divide' and kind in 'iu'):
                # through the operator: MXNet's x % 0 is 0, and an integer division by
                # zero raises rather than leaving garbage
                res = _binary(self, other, op, scalar_op)
                if res is NotImplemented:
                    return res
                return self._assign(res)
            if isinstance(other, NDArray):
                if other._ctx != self._ctx and other._ctx._compute != self._ctx._compute:
                    raise _ctx_error(op, (self, other))
                o = other._data
                if o.dtype != self._data.dtype:
                    raise _dtype_error(op, (self, other))
            elif isinstance(other, numeric_types):
                o = _scalar(other)
                if kind in 'iu':
                    # MXNet converts the number to the array's type first: int32 += 2.7
                    # adds 2, uint8 += -1 adds 255 (wrapping)
                    o = int_scalar(o, self._data.dtype)
                elif kind == 'b' and isinstance(o, float):
                    o = int(o)
            else:
                return NotImplemented
            try:
                getattr(self._ctx.xp, ufunc)(self._data, o, out=self._data, casting='unsafe')
            except ValueError as e:
                raise op.error(e, [self.shape, getattr(o, 'shape', ())], {}) from e
            return self
        res = _binary(self, other, op, scalar_op)
        if res is NotImplemented:
            return res
        return self._assign(res)

    def __iadd__(self, other):
        return self._inplace(other, _ADD, _PLUS_S, 'add')

    def __isub__(self, other):
        return self._inplace(other, _SUB, _MINUS_S, 'subtract')

    def __imul__(self, other):
        return self._inplace(other, _MUL, _MUL_S, 'multiply')

    def __itruediv__(self, other):
        return self._inplace(other, _DIV, _DIV_S, 'true_divide')

    def __imod__(self, other):
        return self._inplace(other, OPS['broadcast_mod'], OPS['_mod_scalar'], 'mod')

    __idiv__ = __itruediv__

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key):
        """MXNet's indexing: a key of integers and step-1 slices that selects one
        contiguous block gives a view that shares memory; any other key gives a copy.
        A result with no axes left has shape ``(1,)``. On an array of shape ``()``,
        ``x[:]`` is the whole array, as in MXNet."""
        if type(key) is not slice and type(key) is not int:  # plain keys need no conversion
            key = _raw_key(key, self)
        elif self._data.ndim == 0 and _is_full_slice(key):
            key = Ellipsis
        return invoke(_GETITEM, (self,), {'key': key})

    def slice_assign(self, rhs, begin, end, step):
        """Write ``rhs`` into the region ``begin:end:step`` (one entry per leading
        axis; None for a whole axis) in place, and return this array, as MXNet's
        ``NDArray.slice_assign`` does.

        >>> import d2lmini as mx
        >>> a = mx.nd.zeros((2, 3))
        >>> a.slice_assign(mx.nd.ones((1, 2)), (0, 1), (1, 3), (None, None)).asnumpy()
        array([[0., 1., 1.],
               [0., 0., 0.]], dtype=float32)
        """
        self[_region(begin, end, step)] = rhs
        return self

    def slice_assign_scalar(self, value, begin, end, step):
        """Like :meth:`slice_assign`, with one value for the whole region."""
        self[_region(begin, end, step)] = value
        return self

    def __setitem__(self, key, value):
        """``x[key] = value`` with broadcasting; recorded while recording.

        ``x[:] = value`` writes the whole array, also one of shape ``()`` (where
        numpy would refuse the slice), as MXNet does."""
        if self._data.ndim == 0 and _is_full_slice(key):
            key = Ellipsis
        key = _raw_key(key, self)
        if not _STATE.recording:
            if isinstance(value, NDArray):
                if value._ctx != self._ctx:  # assignment copies between devices, as copyto
                    value = value.copyto(self._ctx)
                v = value._data
            elif isinstance(value, numeric_types):
                v = _scalar(value)
                if self._data.dtype.kind in 'iu':  # as MXNet converts it: uint8 -1 is 255
                    v = int_scalar(v, self._data.dtype)
            else:
                v = backend.to_device(_host_values(value, self._data.dtype), self._ctx)
            try:
                self._data[key] = v
            except (IndexError, ValueError) as e:
                try:
                    region = self._data[key]
                except (IndexError, ValueError):  # the key, not the value (a step of 0)
                    raise IndexingError(f'{e} (writing into an array of shape '
                                        f'{shape_str(self.shape)} with key {key!r})') from None
                # MXNet drops leading length-1 axes of the value: Y[i, j] = x.sum()
                # stores the (1,)-shaped sum into one element
                vshape = getattr(v, 'shape', ())
                extra = len(vshape) - np.ndim(region)
                if extra > 0 and all(d == 1 for d in vshape[:extra]):
                    self._data[key] = v.reshape(vshape[extra:])
                    return
                # a ValueError in MXNet too: code may catch it
                raise ShapeError(str(OPS['_setitem'].error(e, [self.shape, vshape],
                                                           {'key': key}))) from e
            return
        self._check_inplace()
        if not isinstance(value, NDArray):
            value = array(value, ctx=self._ctx, dtype=self.dtype)
        elif value._ctx != self._ctx:
            value = value.copyto(self._ctx)
        self._assign(invoke(OPS['_setitem'], (self, value), {'key': key}))


def _is_full_slice(key):
    """Whether ``key`` is ``:`` (the key MXNet reads as "the whole array")."""
    return type(key) is slice and key.start is None and key.stop is None and key.step is None


def _raw_key(key, arr):
    """An index key with NDArrays, lists and numpy arrays replaced by raw integer
    arrays on ``arr``'s device.

    MXNet 1.x's NDArray has no boolean masks: an index array of any dtype (float,
    or numpy bool) is read as integer positions, so ``x[np.array([True, False])]``
    picks rows 1 and 0. A boolean NDArray is refused, as MXNet refuses it.
    """
    if isinstance(key, NDArray):
        data = key._data
        if data.dtype == np.bool_:
            raise ValueError(
                f'indexing an array of shape {shape_str(arr.shape)} with a boolean NDArray: '
                'NDArray has no boolean masks in MXNet 1.x; select with nd.where(mask, x, y) '
                'or with integer positions')
        if key._ctx != arr._ctx:
            data = backend.to_device(data, arr._ctx)
        return data if data.dtype.kind in 'iu' else data.astype(np.int64)
    if isinstance(key, tuple):
        return tuple([_raw_key(k, arr) for k in key])
    if isinstance(key, (list, np.ndarray)):
        data = np.asarray(key)
        if data.dtype.kind not in 'iu':
            data = data.astype(np.int64)
        return data if arr._ctx.xp is np else backend.to_device(data, arr._ctx)
    return key


def _rebuild(values, ctx):
    """An array pickled by an earlier d2lmini (numpy values and a context name)."""
    return array(values, ctx=ctx, dtype=values.dtype)


def _unpickled():
    """A blank NDArray for ``pickle`` to fill with ``__setstate__`` (as MXNet's
    ``__reduce__`` gives ``NDArray(None)``)."""
    a = _new(NDArray)
    a._data, a._ctx, a._node, a._oidx = None, None, None, 0
    return a


def _raw_bytes(a):
    """NDArray ``a`` in MXNet's binary form of one array (what MXNet's
    ``MXNDArraySaveRawBytes`` writes): the V2 magic, dense storage, the shape, the
    context, the type flag, then the values in C order. A 0-d array has ``ndim`` 0."""
    from .serialization import _DTYPE_TO_FLAG, _V2_MAGIC, _host_elements
    flat = _host_elements(a._data)
    flag = _DTYPE_TO_FLAG.get(flat.dtype)
    if flag is None:
        raise MXNetError(f'cannot pickle an NDArray of dtype {flat.dtype}')
    ctx = a._ctx
    head = struct.pack(f'<Iii{a.ndim}qiii', _V2_MAGIC, 0, a.ndim, *a.shape,
                       ctx.device_typeid, ctx.device_id, flag)
    return head + flat.astype(flat.dtype.newbyteorder('<'), copy=False).tobytes()


def _from_raw_bytes(buf):
    """The raw array and the context that :func:`_raw_bytes` (or MXNet) wrote to
    ``buf``. Every length is checked, as ``nd.load`` checks a file."""
    from . import serialization as ser
    r = ser._Reader(memoryview(buf).cast('B'), 'unpickling an NDArray')
    magic, = r.unpack(ser._U32, 'the magic number')
    if magic not in (ser._V2_MAGIC, ser._V3_MAGIC):
        raise r.error(f'0x{magic:x} is not the magic number of a pickled NDArray', 0)
    stype, = r.unpack(ser._I32, 'the storage type')
    if stype != 0:
        raise r.error(f'storage type {stype}: a pickled sparse array holds its parts, not '
                      'this layout', 4)
    shape = r.shape(ser._I32, 'q', 0)  # ndim 0 with values after it: a 0-d array
    dev_type, dev_id, flag = r.unpack(ser._CONTEXT_AND_FLAG, 'the context and dtype')
    if dev_type not in Context.devtype2str:
        raise r.error(f'unknown device type {dev_type}', r.pos - 12)
    data = r.elements(ser._dtype_of(r, flag, 0), shape, 0)
    ctx = Context(Context.devtype2str[dev_type], dev_id)
    if ctx.device_type == 'gpu':
        try:
            ctx.xp  # noqa: B018
        except MXNetError as e:
            raise MXNetError(f'this NDArray was pickled on {ctx}, which is not available '
                             f'here ({e}); unpickle it where that GPU is, or pickle '
                             'x.as_in_context(mx.cpu()) instead') from None
        data = backend.to_device(data, ctx)
    return data, ctx


class ArrayDataError(TypeError, ValueError):
    """Data that does not make an array (a ragged list, strings): a TypeError, as
    MXNet raises, and a ValueError, as numpy raises."""


def _host_values(src, dt):
    """A new numpy array of dtype ``dt`` holding ``src`` (a list, numpy array or
    number). Integers that do not fit an integer dtype wrap around, and floats
    convert as MXNet converts them (:func:`~d2lmini.ops.elemwise.c_cast`), where
    numpy 2 would raise: ``nd.array([-1], dtype='uint8')`` holds 255, as in MXNet."""
    try:
        return np.array(src, dtype=dt)
    except OverflowError:
        wide = np.array(src)
        if wide.dtype.kind == 'f' or wide.dtype == object:
            return c_cast(np, np.array(src, dtype=np.float64), dt)
        return wide.astype(dt)
    except (ValueError, TypeError) as e:
        raise ArrayDataError(f'cannot make an NDArray from this data: {e}') from e


def array(source_array, ctx=None, dtype=None):
    """An NDArray holding a copy of ``source_array`` (a list, ``range``, numpy array,
    NDArray or number). The dtype is float32 unless ``dtype`` says otherwise or the
    source is an NDArray, whose dtype is kept, as in MXNet. A number, or a 0-d numpy
    array, gives an array of shape ``()``, as in MXNet 1.9 (where such an array fails
    every operator; here operators take it as numpy does).

    >>> import d2lmini as mx
    >>> mx.nd.array([[1, 2], [3, 4]]).dtype
    <class 'numpy.float32'>
    >>> mx.nd.array(3).shape
    ()
    """
    ctx = current_context() if ctx is None else _as_context(ctx)
    if isinstance(source_array, NDArray):
        dt = source_array._data.dtype if dtype is None else as_dtype(dtype)
        src = backend.to_host(source_array._data)
    else:
        dt = np.dtype(np.float32) if dtype is None else as_dtype(dtype)
        src = source_array
        if isinstance(src, range):  # as MXNet, which hands it to numpy
            src = list(src)
        elif not isinstance(src, (np.ndarray, np.generic, list, tuple, numeric_types)):
            if hasattr(src, '__array__') or hasattr(src, '__cuda_array_interface__'):
                src = backend.to_host(src) if hasattr(src, 'get') else np.asarray(src)
            else:
                raise TypeError(f'cannot make an NDArray from {type(src).__name__}')
    if ctx.device_type == 'gpu':
        ctx.xp  # noqa: B018 -- a missing GPU raises MXNetError here
    data = _host_values(src, dt)
    if ctx.device_type == 'gpu':
        data = backend.to_device(data, ctx)
    return _wrap(data, ctx)


# ------------------------------------------------------------------ in place while recording
# Memory is what arrays share: a view (x[1:3], x[0], x.reshape(...), x.detach()) and
# the array it came from are two windows on one buffer. An in-place update writes
# the buffer, so every window sees the new values at once, as in MXNet. While
# recording, the graph must follow too; three things make it so.
#
# * The written array takes the graph entry of the value written into it, and the
#   write goes into a log kept for the buffer (keyed by the raw array that owns the
#   memory, dropped with it): which positions it wrote, the graph entry of the
#   value, and the values it overwrote.
# * Any other array on the buffer catches up when a node next records it
#   (``_follow``, called from the tape): the positions written since its own entry
#   was recorded take their gradient route from the values written there (an
#   ``_overlay`` node), the rest from its old entry. So a view sees an update made
#   through its base, and a base one made through a view, with gradients flowing to
#   whatever the written values were computed from. An array made by ``detach()``
#   follows the writes made after it only.
# * A node keeps the raw arrays it read, and some are windows on the buffer: its
#   backward must see them as they were. A node carries the number of writes made
#   when it was recorded (``Node.epoch``), and before a backward the nodes it will
#   run get their own copies of every window written since, rebuilt from the
#   overwritten values in the log: copy on write, made once the copy is needed. The
#   nodes that computed a written value get their copies at the write itself, so
#   that the log, which keeps that value's graph, never keeps the buffer alive.
#
# Writing memory that holds an array needing a gradient is refused while recording,
# as writing that array is: its gradient would be taken at values it no longer holds.
import weakref  # noqa: E402

from ..tape import Node  # noqa: E402

_LOGS = {}        # id(raw array owning the memory) -> _Log of the writes into it
_LEAF_ROOTS = {}  # id(raw array owning the memory) -> weakref to it: memory of a leaf


def _root(d):
    """The raw array that owns the memory of raw array ``d`` (``d`` if it does)."""
    kind = type(d)
    base = d.base
    while base is not None and type(base) is kind:
        d, base = base, base.base
    return d


def _address(d):
    if isinstance(d, np.ndarray):
        return d.__array_interface__['data'][0]
    return d.data.ptr


def _positions(xp, d, root):
    """Where ``d``'s elements (flattened in C order) lie in ``root``'s memory, counted
    in elements from its start."""
    size = root.itemsize
    pos = xp.full(d.shape, (_address(d) - _address(root)) // size, np.int64)
    for axis, (n, stride) in enumerate(zip(d.shape, d.strides)):
        step = xp.arange(n, dtype=np.int64) * (stride // size)
        pos += step.reshape((n,) + (1,) * (d.ndim - axis - 1))
    return pos.reshape(-1)


def _flat(xp, root):
    """``root``'s memory as a flat array, in memory order."""
    return xp.lib.stride_tricks.as_strided(root, (root.size,), (root.itemsize,))


def _check_layout(d, root):
    """Positions in memory name elements only for an owner whose elements fill its
    memory (any order of axes) and a window of the same dtype; numpy and cupy give
    no others through NDArray's operators, but a foreign buffer might."""
    size = root.itemsize
    span = sum((n - 1) * s for n, s in zip(root.shape, root.strides)) + size
    if (d.dtype != root.dtype or any(s < 0 for s in root.strides) or span != root.nbytes
            or any(s % size for s in d.strides) or (_address(d) - _address(root)) % size):
        raise MXNetError('in-place update inside autograd.record() of an array whose memory '
                         'layout autograd cannot follow (a foreign or reinterpreted buffer); '
                         'write the result to a new array, or copy the array first')


class _Log:
    """The writes made while recording into the memory of one raw array (the owner,
    held weakly): the latest write of every position (``owner``, -1 for none); the
    graph entry of each value still latest somewhere (``values``); and what every
    write overwrote (``undo``), for the nodes that read the memory before it."""
    __slots__ = ('ref', 'xp', 'latest', 'owner', 'values', 'undo', 'seen')

    def __init__(self, root, xp):
        self.ref = weakref.ref(root)
        self.xp = xp
        self.latest = 0
        self.owner = xp.full(root.size, -1, np.int64)
        self.values = {}   # write number -> (node, output index, raw value, positions)
        self.undo = []     # (write number, positions, overwritten values), in order
        self.seen = set()  # ids of nodes already given their own copies at a write


def _log_of(root):
    log = _LOGS.get(id(root))
    return log if log is not None and log.ref() is root else None


def _drop_log(key, ref):
    log = _LOGS.get(key)
    if log is not None and log.ref is ref:
        del _LOGS[key]
        _STATE.logged = bool(_LOGS)


def _new_log(root, xp):
    log = _LOGS[id(root)] = _Log(root, xp)
    weakref.finalize(root, _drop_log, id(root), log.ref)
    _STATE.logged = True
    return log


def _write(a, res):
    """Write ``res``'s values into NDArray ``a``'s memory while recording (see above)."""
    data = a._data
    node, oidx = res._node, res._oidx
    if data.size == 0:
        a._node, a._oidx = node, oidx
        return
    root = _root(data)
    _check_layout(data, root)
    xp = a._ctx.xp
    log = _log_of(root) or _new_log(root, xp)
    value = res._data
    if _root(value) is root:  # a value read from the memory it is written to
        value = value.copy()
    if type(node) is Node:
        _own_ancestry(node, log)
    pos = _positions(xp, data, root)
    _STATE.writes += 1
    gen = _STATE.writes
    log.undo.append((gen, pos, _flat(xp, root)[pos]))  # fancy indexing copies
    data[...] = value
    log.owner[pos] = gen
    log.latest = gen
    log.values[gen] = (node, oidx, value, pos)
    live = set(xp.unique(log.owner).tolist())
    for g in [g for g in log.values if g not in live]:  # overwritten everywhere since
        del log.values[g]
    a._node, a._oidx, a._ver = node, oidx, gen


def _placeholder(xp, data):
    """An array of ``data``'s shape and dtype holding no memory of its own, recorded
    where an ``_overlay`` node needs only the shape."""
    return xp.broadcast_to(xp.zeros((), data.dtype), data.shape)


def _follow(x):
    """Bring NDArray ``x``'s graph entry up to date with the writes made while
    recording into memory it shares (see above); called before a node records it."""
    data = x._data
    root = _root(data)
    log = _LOGS.get(id(root))
    if log is None or log.ref() is not root:
        return
    node = x._node
    if type(node) is Variable:  # leaves are never written while recording
        return
    since = getattr(x, '_ver', -1)
    if node is not None and node.epoch > since:
        since = node.epoch
    if log.latest <= since:
        return
    x._ver = _STATE.writes
    xp, ctx = log.xp, x._ctx
    pos = _positions(xp, data, root)
    own = log.owner[pos]
    for gen in sorted(xp.unique(own[own > since]).tolist()):
        vnode, voidx, value, vpos = log.values[gen]
        if x._node is None and vnode is None:  # a constant written over a constant
            continue
        dst = xp.flatnonzero(own == gen)
        where = xp.full(log.owner.size, -1, np.int64)
        where[vpos] = xp.arange(vpos.size, dtype=np.int64)
        out = _wrap(_placeholder(xp, data), ctx)
        _record(_OVERLAY, {'dst': dst, 'src': where[pos[dst]]},
                (x, _wrap_entry(value, ctx, vnode, voidx)),
                (_placeholder(xp, data), value), (out,))
        x._node, x._oidx = out._node, 0


def _record_following(op, attrs, inputs, datas, outs):
    """``invoke``'s recording, once memory has been written while recording: the
    inputs follow the writes first, which may put a constant into the graph."""
    for x in inputs:
        _follow(x)
    for x in inputs:
        if x._node is not None:
            _record(op, attrs, inputs, datas, outs)
            return
    for y in outs:  # constants, current as they are (a view of one must stay constant)
        y._ver = _STATE.writes


def _as_of(d, root, log, epoch, cache):
    """A copy of raw window ``d`` as it was after the first ``epoch`` writes."""
    key = (id(log), epoch)
    mem = cache.get(key)
    if mem is None:
        mem = _flat(log.xp, root).copy()
        for gen, pos, old in reversed(log.undo):
            if gen <= epoch:
                break
            mem[pos] = old
        cache[key] = mem
    return mem[_positions(log.xp, d, root)].reshape(d.shape)


def _own_copies(node, cache, every):
    """Give ``node`` its own copies of the raw arrays it recorded that lie in memory
    written while recording: of those written since the node (as they were then),
    or, with ``every``, of all of them."""
    epoch = node.epoch
    for field in ('in_data', 'out_data'):
        arrays = getattr(node, field)
        if not arrays:
            continue
        copies = None
        for i, d in enumerate(arrays):
            if getattr(d, 'base', False) is False:  # not a raw array
                continue
            root = _root(d)
            log = _log_of(root)
            if log is None:
                continue
            stale = log.latest > epoch
            if stale or every:
                if copies is None:
                    copies = list(arrays)
                copies[i] = _as_of(d, root, log, epoch, cache) if stale else d.copy()
        if copies is not None:
            setattr(node, field, tuple(copies))


def _own_ancestry(head, log):
    """Copies for ``head`` and the nodes it depends on, before a write (see above)."""
    seen, stack, cache = log.seen, [head], {}
    while stack:
        node = stack.pop()
        if type(node) is not Node or id(node) in seen or node.in_data is None:
            continue
        seen.add(id(node))
        _own_copies(node, cache, every=True)
        stack.extend(p[0] for p in node.parents if p is not None)


def _before_backward(heads):
    """Before a backward from ``heads``: heads follow the writes, and the nodes the
    backward will run get their own copies of memory written after they read it."""
    heads = [heads] if isinstance(heads, NDArray) else list(heads)
    stack = []
    for h in heads:
        if isinstance(h, NDArray):
            _follow(h)
            if h._node is not None:
                stack.append(h._node)
    seen, cache = set(), {}
    while stack:
        node = stack.pop()
        if type(node) is not Node or id(node) in seen or node.in_data is None:
            continue
        seen.add(id(node))
        _own_copies(node, cache, every=False)
        stack.extend(p[0] for p in node.parents if p is not None)


_OVERLAY = OPS['_overlay']
_STATE.follow = _follow
_STATE.before_backward = _before_backward


def _as_recorded(arrays, epoch):
    """``arrays`` (a custom Function's saved tensors), each NDArray written in place
    after the first ``epoch`` writes replaced by a constant copy as it was then."""
    out, cache = [], {}
    for a in arrays:
        if isinstance(a, NDArray):
            root = _root(a._data)
            log = _log_of(root)
            if log is not None and log.latest > epoch:
                a = _wrap(_as_of(a._data, root, log, epoch, cache), a._ctx)
        out.append(a)
    return type(arrays)(out) if isinstance(arrays, tuple) else out
