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


def run_graph(order, entries, values, is_train, ctx=None, group2ctx=None):
    """Evaluate the nodes of ``order`` (topological) with ``values`` mapping each
    variable node's id to an NDArray; returns the NDArrays of ``entries``. Nodes
    without inputs (constants, random draws) are made on ``ctx``.

    ``group2ctx`` maps ``ctx_group`` attributes (``mx.AttrScope(ctx_group='dev1')``)
    to contexts: such a node runs there, its inputs copied over when they live
    elsewhere, as MXNet 1.x inserts copy nodes between devices.
    """
    results = {}
    for node in order:
        if node.op is None:
            results[(id(node), 0)] = values[id(node)]
            continue
        inputs = tuple([results[(id(src), i)] for src, i in node.inputs])
        node_ctx = _node_context(node, group2ctx)
        if node_ctx is not None:
            inputs = tuple(x if x.context == node_ctx else x.as_in_context(node_ctx)
                           for x in inputs)
        attrs = node.attrs
        if node.op.train_mode:
            attrs = {**attrs, 'is_train': is_train}
        out = invoke(node.op, inputs, attrs) if inputs else \
            invoke_nullary(node.op, node_ctx or ctx, attrs)
        if isinstance(out, NDArray):
            results[(id(node), 0)] = out
        else:
            for i, o in enumerate(out):
                results[(id(node), i)] = o
    return [results[(id(node), i)] for node, i in entries]


def _node_context(node, group2ctx):
    """The context ``group2ctx`` assigns to ``node`` through its ``ctx_group``, or None."""
    if not group2ctx:
        return None
    group = node.extra.get('__ctx_group__')
    return None if group is None else group2ctx.get(group)


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

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req='write', aux_states=None,
                 group2ctx=None, output_arrays=None):
        if not isinstance(ctx, Context):
            raise TypeError(f'bind: ctx must be a Context such as mx.cpu(), got {ctx!r}')
        if group2ctx is not None and not isinstance(group2ctx, dict):
            raise TypeError(f'bind: group2ctx must be a dict of ctx_group names to '
                            f'Contexts, got {type(group2ctx).__name__}')
        self._symbol = symbol
        self._ctx = ctx
        self._group2ctx = dict(group2ctx or {})
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self.arg_arrays = _as_list(args, self._arg_names, 'args')
        self.grad_arrays = _as_list(args_grad, self._arg_names, 'args_grad', allow_missing=True)
        self._grad_req = _grad_reqs(grad_req, self._arg_names, self.grad_arrays)
        self.aux_arrays = _as_list(aux_states, self._aux_names, 'aux_states')
        self._check_shapes()
        self._order = _graph.topological_order(symbol._entries)
        self._var_ids = {n.name: id(n) for n in self._order if n.op is None}
        self._output_names = symbol.list_outputs()
        # Like MXNet's, an executor owns its output arrays from the start: forward
        # writes into them, so arrays handed out earlier see later results and an
        # executor made by reshape() can share them.
        self.outputs = output_arrays if output_arrays is not None else self._new_outputs()
        self._recorded = []      # the arrays forward recorded, for backward

    def _new_outputs(self):
        """Zero arrays of the outputs' shapes and dtypes (none when they cannot be told
        before running, as for operators whose output shape depends on values)."""
        known = {n: a.shape for n, a in zip(self._arg_names, self.arg_arrays)}
        known.update({n: a.shape for n, a in zip(self._aux_names, self.aux_arrays)})
        try:
            _, shapes, _ = self._symbol.infer_shape_partial(**known)
            dtypes = {n: a.dtype for n, a in zip(self._arg_names + self._aux_names,
                                                 self.arg_arrays + self.aux_arrays)}
            _, types, _ = self._symbol.infer_type(**dtypes)
        except Exception:   # the operator reports a real problem when it runs
            return []
        if types is None or any(not s for s in shapes):
            return []
        nd = _nd()
        return [nd.zeros(s, ctx=self._ctx, dtype=t) for s, t in zip(shapes, types)]

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
        run = (self._order, self._symbol._entries, values, train, self._ctx, self._group2ctx)
        if any(r != 'null' for r in self._grad_req):
            # recorded even when not training: MXNet 1.x lets backward() follow
            # forward(is_train=False), with the layers in inference mode
            marked = [(a, g, r) for a, g, r in zip(self.arg_arrays, self.grad_arrays,
                                                   self._grad_req) if r != 'null']
            autograd.mark_variables([m[0] for m in marked], [m[1] for m in marked],
                                    [m[2] for m in marked])
            with autograd.record(train_mode=train):
                results = run_graph(*run)
        else:
            with autograd.pause(train_mode=train):
                results = run_graph(*run)
        self._recorded = results
        self._store_outputs(results)
        return self.outputs

    def _store_outputs(self, results):
        """Copy ``results`` into the executor's output arrays (new arrays where the
        shapes or dtypes differ, or where there are none yet)."""
        homes = self.outputs
        if len(homes) != len(results) or any(
                h.shape != r.shape or h.dtype != r.dtype or h.context != r.context
                for h, r in zip(homes, results)):
            self.outputs = [r.detach() if hasattr(r, 'detach') else r for r in results]
            return
        with autograd.pause():
            for home, r in zip(homes, results):
                home[:] = r

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs (times ``out_grads``, ones by default; loss layers
        such as SoftmaxOutput ignore them) into ``grad_arrays``."""
        if all(r == 'null' for r in self._grad_req):
            return
        if not self._recorded:
            raise MXNetError('backward: run forward() first')
        if isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        recorded = [o for o in self._recorded if o._node is not None]
        if not recorded:   # no output depends on an argument that takes a gradient
            with autograd.pause():
                for g, r in zip(self.grad_arrays, self._grad_req):
                    if r == 'write':
                        g[:] = 0
            return
        grads = None
        if out_grads is not None:
            # MXNet copies head gradients into arrays of the outputs' dtypes
            grads = [g if g is None or g.dtype == o.dtype else g.astype(o.dtype)
                     for o, g in zip(self._recorded, out_grads) if o._node is not None]
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
        arg_shapes, out_shapes, aux_shapes = self._symbol.infer_shape(**kwargs)
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
                    out.append(_resized(a, s, allow_up_sizing, f'{what} {n!r}'))
            return out
        args = renew(self._arg_names, self.arg_arrays, arg_shapes, 'argument')
        grads = renew(self._arg_names, self.grad_arrays, arg_shapes, 'gradient')
        aux = renew(self._aux_names, self.aux_arrays, aux_shapes, 'auxiliary state')
        outputs = None
        if self.outputs and out_shapes is not None:
            outputs = [o if o.shape == tuple(s) else _resized(o, s, True, 'output')
                       for o, s in zip(self.outputs, out_shapes)]
        return Executor(self._symbol, self._ctx, args, grads, self._grad_req, aux,
                        self._group2ctx, outputs)

    def debug_str(self):
        """The graph, one line per node (see ``Symbol.debug_str``)."""
        return self._symbol.debug_str()


def _resized(array, shape, allow_up_sizing, what):
    """An array of ``shape`` for a reshaped executor: a view on the start of ``array``'s
    memory when it fits there (MXNet 1.x shares it so), a new zero array otherwise."""
    size = int(_prod(shape))
    if size <= array.size:
        return array.reshape((-1,))[:size].reshape(tuple(shape))
    if not allow_up_sizing:
        raise MXNetError(f'reshape: {what} would grow from {shape_str(array.shape)} to '
                         f'{shape_str(tuple(shape))}; pass allow_up_sizing=True')
    return _nd().zeros(shape, ctx=array.context, dtype=array.dtype)


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


def _quiet_infer_type(symbol, type_dict):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return symbol.infer_type(**type_dict)


def simple_bind(symbol, ctx, grad_req='write', type_dict=None, shapes=None, group2ctx=None):
    """Bind ``symbol`` with zero arrays of the shapes (by name) given and inferred."""
    shapes = shapes or {}
    arg_shapes, _, aux_shapes = symbol.infer_shape_partial(**shapes)
    arg_names, aux_names = symbol.list_arguments(), symbol.list_auxiliary_states()
    unknown = [n for n, s in zip(arg_names + aux_names, arg_shapes + aux_shapes) if not s]
    if unknown:
        raise MXNetError(f'simple_bind: cannot infer the shapes of {unknown} from {shapes}; '
                         'give them as keyword arguments')
    if type_dict is None:   # MXNet's default: float32, unless the variable declares one
        declared = {n for n, a in symbol.attr_dict().items() if '__dtype__' in a}
        type_dict = {n: 'float32' for n in arg_names if n not in declared}
    arg_types, _, aux_types = _quiet_infer_type(symbol, type_dict)
    if arg_types is None:   # arguments no given dtype reaches are float32, as in MXNet
        type_dict = dict({n: 'float32' for n in arg_names}, **type_dict)
        arg_types, _, aux_types = _quiet_infer_type(symbol, type_dict)
    if arg_types is None:
        raise MXNetError(f'simple_bind: cannot infer the dtypes of every input from {type_dict}')
    nd = _nd()
    args = [nd.zeros(s, ctx=ctx, dtype=t) for s, t in zip(arg_shapes, arg_types)]
    reqs = _grad_reqs(grad_req, arg_names, args)
    grads = [None if r == 'null' else nd.zeros(s, ctx=ctx, dtype=t)
             for s, t, r in zip(arg_shapes, arg_types, reqs)]
    aux = [nd.zeros(s, ctx=ctx, dtype=t) for s, t in zip(aux_shapes, aux_types)]
    return Executor(symbol, ctx, args, grads, reqs, aux, group2ctx)
