"""``mx.operator``: operators written in Python, MXNet's ``CustomOp`` interface.

A custom operator is two classes. A :class:`CustomOpProp` describes it (its
arguments, outputs and auxiliary states, how output shapes and dtypes follow from
the inputs', which values its backward reads); a :class:`CustomOp` computes it
(``forward`` and ``backward`` on NDArrays, writing results with ``self.assign``).
``@mx.operator.register('name')`` makes the description known, and
``nd.Custom(x, ..., op_type='name')`` / ``sym.Custom(...)`` call it, eagerly, in a
graph, inside ``autograd.record()`` or a hybridized block alike.

Here a custom operator is an ordinary registered operator (``Custom``) whose
forward, backward and inference come from the user's classes: the registry entry
asks the description for the argument names, output count and shapes, and its
backward is a second operator, ``_backward_Custom``, that runs the user's
``backward``. That backward runs unrecorded, so a custom operator has first-order
gradients only, as in MXNet. Keyword arguments reach the description's
``__init__`` as strings, as in MXNet.

>>> import d2lmini as mx
>>> class Square(mx.operator.CustomOp):
...     def forward(self, is_train, req, in_data, out_data, aux):
...         self.assign(out_data[0], req[0], in_data[0] * in_data[0])
...     def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
...         self.assign(in_grad[0], req[0], 2 * in_data[0] * out_grad[0])
>>> @mx.operator.register('doc_square')
... class SquareProp(mx.operator.CustomOpProp):
...     def create_operator(self, ctx, shapes, dtypes):
...         return Square()
>>> x = mx.nd.array([1, 2, 3])
>>> x.attach_grad()
>>> with mx.autograd.record():
...     y = mx.nd.Custom(x, op_type='doc_square')
>>> y.backward()
>>> y.asnumpy(), x.grad.asnumpy()
(array([1., 4., 9.], dtype=float32), array([2., 4., 6.], dtype=float32))
"""
import numpy as np

from .base import MXNetError, shape_str
from .ops.registry import OPS, Op

__all__ = ['CustomOp', 'CustomOpProp', 'register', 'get_all_registered_operators']

_PROPS = {}          # op_type -> CustomOpProp subclass


class CustomOp:
    """The computation of a custom operator: override :meth:`forward` and
    :meth:`backward`. Both get lists of NDArrays and write their results into the
    given output arrays with :meth:`assign`."""

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        """Compute ``out_data`` from ``in_data`` (and the auxiliary states ``aux``,
        which it may update in place). ``req[i]`` says how to write output ``i``."""
        raise NotImplementedError(f'{type(self).__name__} must define forward')

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Compute ``in_grad`` (one array per argument) from the output gradients
        ``out_grad`` and the forward's ``in_data`` and ``out_data``."""
        raise NotImplementedError(f'{type(self).__name__} must define backward')

    def assign(self, dst, req, src):
        """Write ``src`` into ``dst`` as ``req`` asks: ``'write'`` or ``'inplace'``
        replaces, ``'add'`` adds, ``'null'`` does nothing."""
        if req == 'null':
            return
        if req in ('write', 'inplace'):
            dst[:] = src
        elif req == 'add':
            dst[:] = dst + src
        else:
            raise MXNetError(f'assign: unknown req {req!r}; expected write, inplace, add '
                             'or null')


class CustomOpProp:
    """The description of a custom operator. Override what differs from the
    defaults: one argument ``data``, one output ``output`` of the data's shape and
    dtype, no auxiliary states; :meth:`create_operator` must be defined.

    ``need_top_grad=False`` marks a loss: its backward ignores the output gradient.
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def list_arguments(self):
        return ['data']

    def list_outputs(self):
        return ['output']

    def list_auxiliary_states(self):
        return []

    def infer_shape(self, in_shape):
        """``(argument shapes, output shapes, auxiliary shapes)`` from the argument
        shapes (lists; ``[]`` for one not known yet)."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """``(argument dtypes, output dtypes, auxiliary dtypes)``; numpy types: the
        first argument's, or float32 for an operator without arguments (where
        MXNet 1.x's default fails)."""
        first = in_type[0] if in_type else np.float32
        return (in_type, [first] * len(self.list_outputs()),
                [first] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        return (in_stype, ['default'] * len(self.list_outputs()),
                ['default'] * len(self.list_auxiliary_states()))

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The values backward reads (MXNet uses this to free the others early;
        here every value is kept)."""
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def need_top_grad(self):
        return self.need_top_grad_

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """The :class:`CustomOp` that computes this operator on ``ctx``."""
        raise NotImplementedError(f'{type(self).__name__} must define create_operator')


def register(reg_name):
    """Class decorator: make the :class:`CustomOpProp` subclass known as
    ``op_type=reg_name`` (registering a name again replaces the class)."""
    def do_register(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise TypeError(f'operator.register({reg_name!r}) decorates a CustomOpProp '
                            f'subclass, got {prop_cls!r}')
        _PROPS[reg_name] = prop_cls
        _CACHE.clear()
        return prop_cls
    return do_register


def get_all_registered_operators():
    """The names of the registered custom operators."""
    return sorted(_PROPS)


# ---------------------------------------------------------------------- the registry entry
_CACHE = {}          # (op_type, kwargs) -> prop instance
_HIDDEN = ('op_type', 'is_train')
_DTYPE_IDS = {'float32': 0, 'float64': 1, 'float16': 2, 'uint8': 3, 'int32': 4, 'int8': 5,
              'int64': 6, 'bool': 7}


def _prop(attrs):
    """The description instance for a node's attributes (one per distinct call)."""
    op_type = attrs.get('op_type')
    if op_type is None:
        raise MXNetError('Custom: the argument op_type (the name given to '
                         'mx.operator.register) is required')
    cls = _PROPS.get(op_type)
    if cls is None:
        known = ', '.join(sorted(_PROPS)) or 'none'
        raise MXNetError(f'Custom: no custom operator registered as {op_type!r} '
                         f'(registered: {known})')
    kwargs = {k: str(v) for k, v in attrs.items() if k not in _HIDDEN}
    key = (op_type, cls, tuple(sorted(kwargs.items())))
    prop = _CACHE.get(key)
    if prop is None:
        prop = _CACHE[key] = cls(**kwargs)
    return prop


def _names(prop):
    return list(prop.list_arguments()), list(prop.list_outputs()), \
        list(prop.list_auxiliary_states())


def _context(xp, data=None):
    """The context of arrays of module ``xp``; ``data`` is None for a custom
    operator without inputs, which runs on the context it was called with."""
    from .context import cpu, current_context, gpu
    if xp is np:
        return cpu()
    return current_context() if data is None else gpu(data.device.id)


def _call_infer_shape(prop, shapes):
    """The prop's shapes as tuples: (arguments, outputs, auxiliary states)."""
    res = prop.infer_shape([list(s) if s is not None else [] for s in shapes])
    if len(res) == 2:
        res = (res[0], res[1], ())
    args, outs, aux = res
    return ([tuple(int(d) for d in s) for s in args], [tuple(int(d) for d in s) for s in outs],
            [tuple(int(d) for d in s) for s in aux])


def _call_infer_type(prop, dtypes):
    res = prop.infer_type([np.dtype(d).type for d in dtypes])
    if len(res) == 2:
        res = (res[0], res[1], ())
    return [[np.dtype(t) for t in part] for part in res]


_LIVE = {}   # id of a forward's first output -> (its weakref, the CustomOp that made it)


def _remember(out, operator):
    import weakref
    key = id(out)
    try:
        ref = weakref.ref(out, lambda _, key=key: _LIVE.pop(key, None))
    except TypeError:          # an array type without weak references: no memory
        return
    _LIVE[key] = (ref, operator)


def _recall(out):
    hit = _LIVE.get(id(out))
    if hit is not None and hit[0]() is out:
        return hit[1]
    return None


def _operator(prop, ctx, data):
    op = prop.create_operator(ctx, [list(d.shape) for d in data],
                              [_DTYPE_IDS.get(np.dtype(d.dtype).name, 0) for d in data])
    if not isinstance(op, CustomOp):
        raise MXNetError(f'{type(prop).__name__}.create_operator returned '
                         f'{type(op).__name__}, not a CustomOp')
    return op


def _custom_forward(xp, *data, op_type=None, **kwargs):
    is_train = bool(kwargs.pop('is_train', False))
    prop = _prop(dict(kwargs, op_type=op_type))
    args, outs, aux = _names(prop)
    if len(data) != len(args) + len(aux):
        raise MXNetError(f'Custom {op_type!r} takes {len(args) + len(aux)} input(s) '
                         f'({", ".join(args + aux)}), got {len(data)}')
    from . import autograd
    from .ndarray.ndarray import _wrap
    ctx = _context(xp, data[0] if data else None)
    _, out_shapes, _ = _call_infer_shape(prop, [d.shape for d in data[:len(args)]])
    _, out_types, _ = _call_infer_type(prop, [d.dtype for d in data[:len(args)]])
    operator = _operator(prop, ctx, data)
    in_data = [_wrap(d, ctx) for d in data[:len(args)]]
    aux_data = [_wrap(d, ctx) for d in data[len(args):]]
    out_data = [_wrap(xp.zeros(s, dtype=t), ctx) for s, t in zip(out_shapes, out_types)]
    with autograd.pause(train_mode=is_train):
        operator.forward(is_train=is_train, req=['write'] * len(outs), in_data=in_data,
                         out_data=out_data, aux=aux_data)
    res = tuple(o._data for o in out_data)
    _remember(res[0], operator)
    return res


def _custom_forward_single(xp, *data, op_type=None, **kwargs):
    return _custom_forward(xp, *data, op_type=op_type, **kwargs)[0]


def _custom_backward(F, dy, x, y, op_type=None, **kwargs):
    dys = dy if isinstance(dy, tuple) else (dy,)
    ys = y if isinstance(y, tuple) else (y,)
    n_args = len(_prop(dict(kwargs, op_type=op_type)).list_arguments())
    grads = F._backward_Custom(*dys, *x, *ys, op_type=op_type, **kwargs)
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    return grads + [None] * (len(x) - n_args)


def _custom_backward_forward(xp, *arrays, op_type=None, **kwargs):
    """The gradients of a custom operator's arguments: ``arrays`` are the output
    gradients, the inputs (arguments, then auxiliary states) and the outputs."""
    kwargs.pop('is_train', None)
    prop = _prop(dict(kwargs, op_type=op_type))
    args, outs, aux = _names(prop)
    n_out, n_in = len(outs), len(args) + len(aux)
    if len(arrays) != 2 * n_out + n_in:
        raise MXNetError(f'_backward_Custom {op_type!r}: expected {2 * n_out + n_in} arrays '
                         f'(output gradients, inputs, outputs), got {len(arrays)}')
    from . import autograd
    from .ndarray.ndarray import _wrap
    out_grad, inputs, out_data = arrays[:n_out], arrays[n_out:n_out + n_in], arrays[n_out + n_in:]
    ctx = _context(xp, arrays[0])
    operator = _recall(out_data[0]) or _operator(prop, ctx, inputs)
    wrap = lambda seq: [_wrap(a, ctx) for a in seq]  # noqa: E731
    in_grad = [_wrap(xp.zeros(a.shape, dtype=a.dtype), ctx) for a in inputs[:len(args)]]
    with autograd.pause(train_mode=True):
        operator.backward(req=['write'] * len(args), out_grad=wrap(out_grad),
                          in_data=wrap(inputs[:len(args)]), out_data=wrap(out_data),
                          in_grad=in_grad, aux=wrap(inputs[len(args):]))
    return tuple(g._data for g in in_grad)


def _custom_backward_forward_single(xp, *arrays, op_type=None, **kwargs):
    return _custom_backward_forward(xp, *arrays, op_type=op_type, **kwargs)[0]


class _CustomOpDef(Op):
    """A registry entry whose inputs, outputs and attributes come from the
    :class:`CustomOpProp` named by the ``op_type`` attribute."""
    __slots__ = ('_single',)
    dynamic_inputs = True

    def check_attrs(self, attrs):
        pass

    def parse_attrs(self, strings):
        return dict(strings)      # every attribute stays the string the prop receives

    def full_attrs(self, attrs):
        return dict(attrs)

    def used_inputs(self, attrs):
        args, _, aux = _names(_prop(attrs))
        return tuple(args + aux)

    def aux_names(self, attrs):
        return tuple(_prop(attrs).list_auxiliary_states())

    def visible_outputs(self, attrs):
        return len(_prop(attrs).list_outputs())

    def list_outputs(self, attrs, n=None):
        return list(_prop(attrs).list_outputs())

    def bind(self, args, kwargs):
        kwargs = dict(kwargs)
        name = kwargs.pop('name', None)
        if kwargs.get('op_type') is None:
            raise TypeError('Custom: the argument op_type is required')
        names = list(self.used_inputs({k: v for k, v in kwargs.items()
                                       if not _is_array(v)}))
        if len(args) > len(names):
            raise MXNetError(f'Custom {kwargs["op_type"]!r} takes {len(names)} input(s) '
                             f'({", ".join(names)}), got {len(args)}')
        inputs = list(args) + [None] * (len(names) - len(args))
        attrs = {}
        for key, value in kwargs.items():
            if key in names:
                i = names.index(key)
                if inputs[i] is not None:
                    raise TypeError(f'Custom got input {key!r} twice')
                inputs[i] = value
            elif _is_array(value):
                raise MXNetError(f'Custom {kwargs["op_type"]!r}: {key!r} is not one of its '
                                 f'inputs ({", ".join(names)})')
            else:
                attrs[key] = value if key == 'op_type' else _as_string(value)
        while inputs and inputs[-1] is None:
            inputs.pop()
        return inputs, attrs, name

    def infer_shape(self, in_shapes, **attrs):
        prop = _prop(attrs)
        n_args = len(prop.list_arguments())
        return _call_infer_shape(prop, in_shapes[:n_args])[1]

    def infer_shape_partial(self, in_shapes, attrs):
        prop = _prop(attrs)
        n_args = len(prop.list_arguments())
        in_shapes = list(in_shapes)
        if n_args and (not in_shapes or in_shapes[0] is None):
            return in_shapes, None
        try:
            args, outs, aux = _call_infer_shape(prop, in_shapes[:n_args])
        except Exception:
            if any(s is None for s in in_shapes):
                return in_shapes, None
            raise
        new = list(args) + list(aux)
        new = [n if n or o is None else tuple(o) for n, o in zip(new, in_shapes)]
        if any(s is None for s in new) or len(new) != len(in_shapes):
            return in_shapes, None
        return new, outs

    def infer_type(self, in_dtypes, attrs):
        prop = _prop(attrs)
        known = next((d for d in in_dtypes if d is not None), np.dtype(np.float32))
        n_args = len(prop.list_arguments())
        filled = [known if d is None else d for d in in_dtypes]
        args, outs, aux = _call_infer_type(prop, filled[:n_args])
        return list(args) + list(aux or filled[n_args:]), outs

    def resolve(self, attrs):
        """The entry a graph node uses: one with ``num_outputs=1`` for a custom
        operator of one output (a graph compiler reads a single array from it)."""
        return self._single if self.visible_outputs(attrs) == 1 else self


class _CustomOpDefSingle(_CustomOpDef):
    __slots__ = ()


def _is_array(value):
    from .ndarray import NDArray
    from .symbol import Symbol
    return isinstance(value, (NDArray, Symbol))


def _as_string(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        value = tuple(value)
    return str(value)


class _CustomBackwardDef(Op):
    """``_backward_Custom``: variadic, with the custom operator's attributes."""
    __slots__ = ('_single',)

    def resolve(self, attrs):
        return self._single if self.visible_outputs(attrs) == 1 else self

    def check_attrs(self, attrs):
        pass

    def parse_attrs(self, strings):
        return dict(strings)

    def full_attrs(self, attrs):
        return dict(attrs)

    def visible_outputs(self, attrs):
        return len(_prop(attrs).list_arguments())

    def infer_shape(self, in_shapes, **attrs):
        args, outs, _ = _names(_prop(attrs))
        return [tuple(s) for s in in_shapes[len(outs):len(outs) + len(args)]]

    def infer_type(self, in_dtypes, attrs):
        args, outs, _ = _names(_prop(attrs))
        known = next((d for d in in_dtypes if d is not None), np.dtype(np.float32))
        in_dtypes = [known if d is None else d for d in in_dtypes]
        return in_dtypes, [np.dtype(d) for d in in_dtypes[len(outs):len(outs) + len(args)]]


_CUSTOM_DOC = """Call the custom operator registered as ``op_type`` (see
:mod:`d2lmini.operator`): ``Custom(*inputs, op_type=name, **kwargs)``; the
inputs are the prop's arguments then its auxiliary states, positionally or by
name, and the other keyword arguments reach the prop's ``__init__`` as strings."""


def _register():
    def make(cls, num_outputs, forward):
        op = cls('Custom', forward, _custom_backward, inputs=(),
                 num_outputs=num_outputs, once_differentiable=True, random=True,
                 train_mode=True, doc=_CUSTOM_DOC)
        op.variadic = False       # inputs are named, by the prop
        return op
    op = make(_CustomOpDef, 0, _custom_forward)
    single = make(_CustomOpDefSingle, 1, _custom_forward_single)
    single._single = op._single = single
    if 'Custom' in OPS:
        raise ValueError('operator Custom is registered twice')
    OPS['Custom'] = op
    back, back_single = (
        _CustomBackwardDef('_backward_Custom', fwd, None, inputs=(), num_outputs=n,
                           once_differentiable=True, random=True,
                           doc='The gradients of a custom operator\'s arguments.')
        for fwd, n in ((_custom_backward_forward, 0), (_custom_backward_forward_single, 1)))
    back._single = back_single._single = back_single
    OPS['_backward_Custom'] = back


_register()
