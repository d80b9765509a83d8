"""Executors: a Symbol bound to arrays, run forward and backward.

``exe = net.bind(ctx, args, args_grad)`` fixes the arrays every variable reads
(``arg_dict``), where gradients go (``grad_dict``) and the auxiliary states
(``aux_dict``). ``exe.forward(is_train=True)`` runs the graph node by node through
the same registered operators as ``nd``; while training it records them on the
autograd tape, so ``exe.backward()`` is autograd's backward over that recording and
writes each argument's gradient as ``grad_req`` says (``'write'``, ``'add'`` or
``'null'``).

>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> exe = (2 * x).bind(mx.cpu(), {'x': mx.nd.array([1, 2])},
...                    args_grad={'x': mx.nd.zeros(2)})
>>> exe.forward(is_train=True)[0].asnumpy()
array([2., 4.], dtype=float32)
>>> exe.backward(mx.nd.ones(2)); exe.grad_dict['x'].asnumpy()
array([2., 2.], dtype=float32)
"""
from .. import autograd
from ..base import MXNetError, shape_str
from ..context import Context
from ..ndarray.ndarray import NDArray, invoke, invoke_nullary
from . import graph as _graph

_REQS = ('write', 'add', 'null')


def run_graph(order, entries, values, is_train, ctx=None):
    """Evaluate the nodes of ``order`` (topological) with ``values`` mapping each
    variable node's id to an NDArray; returns the NDArrays of ``entries``. Nodes
    without inputs (constants, random draws) are made on ``ctx``."""
    results = {}
    for node in order:
        if node.op is None:
            results[(id(node), 0)] = values[id(node)]
            continue
        inputs = tuple([results[(id(src), i)] for src, i in node.inputs])
        attrs = node.attrs
        if node.op.train_mode:
            attrs = {**attrs, 'is_train': is_train}
        out = invoke(node.op, inputs, attrs) if inputs else invoke_nullary(node.op, ctx, attrs)
        if isinstance(out, NDArray):
            results[(id(node), 0)] = out
        else:
            for i, o in enumerate(out):
                results[(id(node), i)] = o
    return [results[(id(node), i)] for node, i in entries]


def _as_list(arrays, names, what, allow_missing=False):
    if arrays is None:
        if allow_missing:
            return [None] * len(names)
        if not names:
            return []
        raise MXNetError(f'bind: {what} is missing; the symbol needs {names}')
    if isinstance(arrays, dict):   # names the symbol lacks are ignored, as in MXNet
        out = [arrays.get(n) for n in names]
    else:
        out = list(arrays)
        if len(out) != len(names):
            raise MXNetError(f'bind: {what} has {len(out)} arrays for {len(names)} names '
                             f'{names}')
    if not allow_missing:
        missing = [n for n, a in zip(names, out) if a is None]
        if missing:   # MXNet's error type and wording, with every missing name
            raise ValueError(f'key `{missing[0]}` is missing in `{what}` (missing: '
                             f'{missing}; the symbol needs {names})')
    for n, a in zip(names, out):
        if a is not None and not isinstance(a, NDArray):
            raise TypeError(f'bind: {what}[{n!r}] must be an NDArray, got {type(a).__name__}')
    return out


def _grad_reqs(grad_req, names, grads):
    if isinstance(grad_req, str):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, dict):
        reqs = [grad_req.get(n, 'null') for n in names]
    else:
        reqs = list(grad_req)
        if len(reqs) != len(names):
            raise MXNetError(f'bind: grad_req has {len(reqs)} entries for {len(names)} arguments')
    for r in reqs:
        if r not in _REQS:
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {r!r}")
    return [r if g is not None else 'null' for r, g in zip(reqs, grads)]


class Executor:
    """A symbol bound to arrays; make one with ``Symbol.bind`` or ``simple_bind``."""

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req='write', aux_states=None):
        if not isinstance(ctx, Context):
            raise TypeError(f'bind: ctx must be a Context such as mx.cpu(), got {ctx!r}')
        self._symbol = symbol
        self._ctx = ctx
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self.arg_arrays = _as_list(args, self._arg_names, 'args')
        self.grad_arrays = _as_list(args_grad, self._arg_names, 'args_grad', allow_missing=True)
        self._grad_req = _grad_reqs(grad_req, self._arg_names, self.grad_arrays)
        self.aux_arrays = _as_list(aux_states, self._aux_names, 'aux_states')
        self._check_shapes()
        self._order = _graph.topological_order(symbol._entries)
        self._var_ids = {n.name: id(n) for n in self._order if n.op is None}
        self.outputs = []
        self._output_names = symbol.list_outputs()

    def _check_shapes(self):
        """Arrays whose shapes the graph cannot take are refused at bind time, with
        the node and the shapes named."""
        known = {n: a.shape for n, a in zip(self._arg_names, self.arg_arrays)}
        known.update({n: a.shape for n, a in zip(self._aux_names, self.aux_arrays)})
        _graph.infer_shapes(self._symbol._entries, known)
        for n, a, g in zip(self._arg_names, self.arg_arrays, self.grad_arrays):
            if g is not None and g.shape != a.shape:
                raise MXNetError(f'bind: gradient array of {n!r} has shape {shape_str(g.shape)} '
                                 f'but the argument has shape {shape_str(a.shape)}')

    # ------------------------------------------------------------ views by name
    @property
    def arg_dict(self):
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self):
        return dict(zip(self._arg_names, self.grad_arrays))

    @property
    def aux_dict(self):
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self):
        return dict(zip(self._output_names, self.outputs))

    # ------------------------------------------------------------ running
    def forward(self, is_train=False, **kwargs):
        """Run the graph; ``kwargs`` are copied into the named arguments first.
        Returns (and keeps in ``outputs``) the list of outputs."""
        args = self.arg_dict
        for k, v in kwargs.items():
            if k not in args:
                raise MXNetError(f'forward: {k!r} is not an argument; arguments are '
                                 f'{self._arg_names}')
            v = v if isinstance(v, NDArray) else _nd().array(v, ctx=self._ctx,
                                                             dtype=args[k].dtype)
            if v.shape != args[k].shape:
                raise MXNetError(f'forward: {k!r} has shape {shape_str(args[k].shape)} in this '
                                 f'executor, got {shape_str(v.shape)}; use reshape() for new '
                                 'shapes')
            v.copyto(args[k])
        values = {self._var_ids[n]: a for n, a in zip(self._arg_names, self.arg_arrays)}
        values.update({self._var_ids[n]: a for n, a in zip(self._aux_names, self.aux_arrays)})
        train = bool(is_train)
        if train and any(r != 'null' for r in self._grad_req):
            marked = [(a, g, r) for a, g, r in zip(self.arg_arrays, self.grad_arrays,
                                                   self._grad_req) if r != 'null']
            autograd.mark_variables([m[0] for m in marked], [m[1] for m in marked],
                                    [m[2] for m in marked])
            with autograd.record(train_mode=True):
                self.outputs = run_graph(self._order, self._symbol._entries, values, True, self._ctx)
        else:
            with autograd.pause(train_mode=train):
                self.outputs = run_graph(self._order, self._symbol._entries, values, train, self._ctx)
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs (times ``out_grads``, ones by default; loss layers
        such as SoftmaxOutput ignore them) into ``grad_arrays``."""
        if not self.outputs:
            raise MXNetError('backward: run forward(is_train=True) first')
        if all(r == 'null' for r in self._grad_req):
            return
        if isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        recorded = [o for o in self.outputs if o._node is not None]
        if not recorded:
            raise MXNetError('backward: the last forward did not record; call '
                             'forward(is_train=True) before backward()')
        grads = None
        if out_grads is not None:
            grads = [g for o, g in zip(self.outputs, out_grads) if o._node is not None]
        # 'write' leaves zeros where no gradient arrives (behind BlockGrad), as MXNet does
        with autograd.pause():
            for g, r in zip(self.grad_arrays, self._grad_req):
                if r == 'write':
                    g[:] = 0
        # the recording is kept until the next forward: MXNet lets backward run again
        autograd.backward(recorded, grads, retain_graph=True, train_mode=is_train)

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy arrays by name into the arguments and auxiliary states."""
        for params, target, what in ((arg_params, self.arg_dict, 'argument'),
                                     (aux_params or {}, self.aux_dict, 'auxiliary state')):
            for name, value in params.items():
                if name in target:
                    value.copyto(target[name]) if value.shape == target[name].shape else \
                        _shape_error(name, value, target[name])
                elif not allow_extra_params:
                    raise ValueError(f'Find name "{name}" that is not in the {what}s')

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes, sharing the arrays whose shapes stay."""
        arg_shapes, _, aux_shapes = self._symbol.infer_shape(**kwargs)
        if arg_shapes is None:
            raise MXNetError(f'reshape: shapes {kwargs} do not determine every argument')
        nd = _nd()

        def renew(names, arrays, shapes, what):
            out = []
            for n, a, s in zip(names, arrays, shapes):
                if a is None:
                    out.append(None)
                elif a.shape == tuple(s):
                    out.append(a)
                else:
                    if n not in kwargs and not partial_shaping:
                        raise MXNetError(f'reshape: {what} {n!r} would change shape from '
                                         f'{a.shape} to {tuple(s)}; pass partial_shaping=True')
                    if a.size < int(_prod(s)) and not allow_up_sizing:
                        raise MXNetError(f'reshape: {what} {n!r} would grow from {a.shape} to '
                                         f'{tuple(s)}; pass allow_up_sizing=True')
                    out.append(nd.zeros(s, ctx=a.context, dtype=a.dtype))
            return out
        args = renew(self._arg_names, self.arg_arrays, arg_shapes, 'argument')
        grads = renew(self._arg_names, self.grad_arrays, arg_shapes, 'gradient')
        aux = renew(self._aux_names, self.aux_arrays, aux_shapes, 'auxiliary state')
        return Executor(self._symbol, self._ctx, args, grads, self._grad_req, aux)

    def debug_str(self):
        return self._symbol.debug_str()


def _shape_error(name, value, target):
    raise MXNetError(f'copy_params_from: {name!r} has shape {shape_str(value.shape)}, the '
                     f'executor holds {shape_str(target.shape)}')


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _nd():
    from .. import ndarray
    return ndarray


def simple_bind(symbol, ctx, grad_req='write', type_dict=None, shapes=None):
    """Bind ``symbol`` with zero arrays of the shapes (by name) given and inferred."""
    shapes = shapes or {}
    arg_shapes, _, aux_shapes = symbol.infer_shape_partial(**shapes)
    arg_names, aux_names = symbol.list_arguments(), symbol.list_auxiliary_states()
    unknown = [n for n, s in zip(arg_names + aux_names, arg_shapes + aux_shapes) if not s]
    if unknown:
        raise MXNetError(f'simple_bind: cannot infer the shapes of {unknown} from {shapes}; '
                         'give them as keyword arguments')
    if type_dict is None:   # MXNet's default: every argument float32
        type_dict = {n: 'float32' for n in arg_names}
    arg_types, _, aux_types = symbol.infer_type(**type_dict)
    if arg_types is None:
        raise MXNetError(f'simple_bind: cannot infer the dtypes of every input from {type_dict}')
    nd = _nd()
    args = [nd.zeros(s, ctx=ctx, dtype=t) for s, t in zip(arg_shapes, arg_types)]
    reqs = _grad_reqs(grad_req, arg_names, args)
    grads = [None if r == 'null' else nd.zeros(s, ctx=ctx, dtype=t)
             for s, t, r in zip(arg_shapes, arg_types, reqs)]
    aux = [nd.zeros(s, ctx=ctx, dtype=t) for s, t in zip(aux_shapes, aux_types)]
    return Executor(symbol, ctx, args, grads, reqs, aux)
