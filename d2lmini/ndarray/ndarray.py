"""The NDArray: an n-dimensional array on a context, and the eager operator call.

An NDArray wraps a raw array of its context's array module (numpy on the CPU, cupy
on a GPU) and adds three things: the context, MXNet's semantics (float32 by default,
full reductions of shape ``(1,)``, ``repr`` with the device) and autograd (``_node``
says where in a recorded graph the value came from).

Every operator call goes through :func:`invoke`, which looks the operator up in the
registry, runs its ``forward`` on the raw arrays and, when recording, adds a node
to the tape.
"""
import numpy as np

from .. import backend
from ..autograd import _STATE, _record, Variable
from ..base import MXNetError, as_dtype, numeric_types, shape_str
from ..context import Context, current_context
from ..ops import OPS

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
                if x._ctx is not ctx and x._ctx != ctx:
                    raise _ctx_error(op, inputs)
    except (AttributeError, IndexError):
        if not inputs:
            raise TypeError(f'operator {op.name} needs at least one input') from None
        raise _type_error(op, inputs) from None
    xp = ctx._xp or ctx.xp
    try:
        if xp is np:
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
    if op.num_outputs == 1:
        y = _wrap(res, ctx)
        if _STATE.recording:
            for x in inputs:
                if x._node is not None:
                    _record(op, attrs, inputs, datas, (y,))
                    break
        if out is not None:
            return out._assign(y)
        return y
    outs = tuple([_wrap(r, ctx) for r in res])
    if _STATE.recording:
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


def invoke_nullary(op, ctx, attrs, out=None):
    """Run an operator without array inputs (creation, random draws) on ``ctx``."""
    ctx = current_context() if ctx is None else _as_context(ctx)
    # outside the try: a GPU context without cupy or without the device explains
    # itself, rather than being reported as a failure of the operator
    xp = ctx.xp
    try:
        with backend.device_scope(ctx):
            res = op.forward(xp, **attrs)
    except MXNetError:
        raise
    except Exception as e:
        if attrs:
            op.check_attrs(attrs)
        raise op.error(e, [], attrs) from e
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
    return NotImplemented


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

    __slots__ = ('_data', '_ctx', '_node', '_oidx', '__weakref__')
    __array_priority__ = 1000.0
    __array_ufunc__ = None  # numpy defers to our reflected operators

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
        y = _wrap(backend.to_device(self._data, ctx), ctx)
        if y._data is self._data:
            y._data = self._data.copy()
        if _STATE.recording and self._node is not None:
            _record(OPS['_copyto'], {}, (self,), (self._data,), (y,))
        return y

    def as_in_context(self, context):
        """This array if it already lives on ``context``, else a copy there."""
        if self._ctx == context:
            return self
        return self.copyto(context)

    def detach(self):
        """The same values, cut off from the graph (no gradient flows through)."""
        return _wrap(self._data, self._ctx)

    def wait_to_read(self):
        backend.synchronize(self._ctx)

    def tostype(self, stype):
        if stype != 'default':
            raise ValueError(f'd2lmini has dense arrays only, not {stype!r}')
        return self

    def as_np_ndarray(self):
        return self.asnumpy()

    def as_nd_ndarray(self):
        """This array (it already is a legacy ``nd`` NDArray)."""
        return self

    def __array__(self, dtype=None, copy=None):
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype)

    # ------------------------------------------------------------ autograd
    def attach_grad(self, grad_req='write', stype=None):
        """Ask for this array's gradient: allocate ``.grad`` and make the array a
        leaf of any graph recorded from now on."""
        if grad_req not in ('write', 'add', 'null'):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {grad_req!r}")
        grad = _wrap(self._ctx.xp.zeros_like(self._data), self._ctx)
        self._node = None if grad_req == 'null' else Variable(grad, grad_req)
        self._oidx = 0

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

    def __reduce__(self):
        return _rebuild, (self.asnumpy(), str(self._ctx))

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
        """Make this array hold ``res``'s values.

        Outside recording the values are copied into this array's memory, so views
        and other references see them, as in MXNet. While recording, an in-place
        update is recorded as a new node and this array is rebound to it; nodes that
        saw the old value keep the old buffer, so gradients stay right.
        """
        if res.shape != self.shape:
            raise MXNetError(f'cannot write an array of shape {shape_str(res.shape)} into one '
                             f'of shape {shape_str(self.shape)}')
        if _STATE.recording and (res._node is not None or self._node is not None):
            self._check_inplace()
            if self._data.base is not None:
                # a recorded update rebinds this array to a new buffer, so the array
                # it was sliced from would silently keep its old values
                raise MXNetError(
                    'in-place update inside autograd.record() of an array that shares '
                    'memory with another one (a view such as x[1:3], x[0] or x.reshape(...)): '
                    'the other array would not see the change. Assign through the '
                    'original array (x[1:3] = ...) or copy the view first (v = x[1:3].copy())')
            data = res._data
            if data.dtype != self._data.dtype:
                raise MXNetError(f'in-place update would change dtype {self._data.dtype} '
                                 f'to {data.dtype} while recording')
            self._data, self._node, self._oidx = data, res._node, res._oidx
        else:
            self._data[...] = res._data
        return self

    def _check_inplace(self):
        if type(self._node) is Variable:
            raise MXNetError(
                'in-place update of an array that needs a gradient (it called attach_grad) '
                'inside autograd.record(): its gradient would be lost. Write the result '
                'to a new array (y = x + 1) or update it outside record()')

    def _inplace(self, other, op, scalar_op, ufunc):
        if not _STATE.recording or (self._node is None and getattr(other, '_node', None) is None):
            if isinstance(other, NDArray):
                if other._ctx != self._ctx:
                    raise _ctx_error(op, (self, other))
                o = other._data
                if o.dtype != self._data.dtype:
                    raise _dtype_error(op, (self, other))
            elif isinstance(other, numeric_types):
                o = _scalar(other)
                if self._data.dtype.kind in 'iub' and isinstance(o, float):
                    # MXNet converts the number to the array's type first: int32 += 2.7 adds 2
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
        A result with no axes left has shape ``(1,)``."""
        if type(key) is not slice and type(key) is not int:  # plain keys need no conversion
            key = _raw_key(key, self)
        return invoke(_GETITEM, (self,), {'key': key})

    def __setitem__(self, key, value):
        """``x[key] = value`` with broadcasting; recorded while recording."""
        key = _raw_key(key, self)
        if not _STATE.recording or (self._node is None and getattr(value, '_node', None) is None):
            if isinstance(value, NDArray):
                if value._ctx != self._ctx:  # assignment copies between devices, as copyto
                    value = value.copyto(self._ctx)
                v = value._data
            elif isinstance(value, numeric_types):
                v = _scalar(value)
            else:
                v = backend.to_device(np.asarray(value, dtype=self._data.dtype), self._ctx)
            try:
                self._data[key] = v
            except (ValueError, IndexError) as e:
                # MXNet drops leading length-1 axes of the value: Y[i, j] = x.sum()
                # stores the (1,)-shaped sum into one element
                vshape = getattr(v, 'shape', ())
                extra = len(vshape) - np.ndim(self._data[key]) if isinstance(e, ValueError) else 0
                if extra > 0 and all(d == 1 for d in vshape[:extra]):
                    self._data[key] = v.reshape(vshape[extra:])
                    return
                raise OPS['_setitem'].error(e, [self.shape, vshape], {'key': key}) from e
            return
        self._check_inplace()
        if not isinstance(value, NDArray):
            value = array(value, ctx=self._ctx, dtype=self.dtype)
        elif value._ctx != self._ctx:
            value = value.copyto(self._ctx)
        self._assign(invoke(OPS['_setitem'], (self, value), {'key': key}))


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
    return array(values, ctx=ctx, dtype=values.dtype)


def array(source_array, ctx=None, dtype=None):
    """An NDArray holding a copy of ``source_array`` (a list, numpy array, NDArray
    or number). The dtype is float32 unless ``dtype`` says otherwise or the source is
    an NDArray, whose dtype is kept, as in MXNet.

    >>> import d2lmini as mx
    >>> mx.nd.array([[1, 2], [3, 4]]).dtype
    <class 'numpy.float32'>
    """
    ctx = current_context() if ctx is None else _as_context(ctx)
    if isinstance(source_array, NDArray):
        dt = source_array._data.dtype if dtype is None else as_dtype(dtype)
        src = backend.to_host(source_array._data)
    else:
        dt = np.dtype(np.float32) if dtype is None else as_dtype(dtype)
        src = source_array
        if not isinstance(src, (np.ndarray, np.generic, list, tuple, numeric_types)):
            if hasattr(src, '__array__') or hasattr(src, '__cuda_array_interface__'):
                src = backend.to_host(src) if hasattr(src, 'get') else np.asarray(src)
            else:
                raise TypeError(f'cannot make an NDArray from {type(src).__name__}')
    try:
        data = np.array(src, dtype=dt, ndmin=1)  # a number becomes shape (1,), as in MXNet
    except (ValueError, TypeError) as e:
        raise ValueError(f'cannot make an NDArray from this data: {e}') from e
    if ctx.device_type != 'cpu':
        data = backend.to_device(data, ctx)
    return _wrap(data, ctx)
