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
from ..base import ArgumentError, MXNetError, ShapeError, shape_str
from ..context import Context
from ..ndarray.ndarray import NDArray, invoke, invoke_nullary
from ..ops.creation import arange_attrs_for_length
from ..profiler import symbolic_section
from . import graph as _graph

_REQS = ('write', 'add', 'null')


@symbolic_section   # the profiler counts the operators of a bound graph as symbolic
def run_graph(order, entries, values, is_train, ctx=None, group2ctx=None, run_node=None,
              shapes=None):
    """Evaluate the nodes of ``order`` (topological) with ``values`` mapping each
    variable node's id to an NDArray; returns the NDArrays of ``entries``. Nodes
    without inputs (constants, random draws) are made on ``ctx``.

    ``run_node(node, inputs, compute)``, when given, runs each operator node in
    place of ``compute(inputs)`` and returns its outputs (a list): the executor's
    monitor callback watches the nodes through it.

    ``group2ctx`` maps ``ctx_group`` attributes (``mx.AttrScope(ctx_group='dev1')``)
    to contexts: such a node runs there, its inputs copied over when they live
    elsewhere, as MXNet 1.x inserts copy nodes between devices.

    ``shapes`` (inferred, by entry) completes the shape of nodes made from nothing
    whose ``shape`` attribute has unknown (0) dimensions, such as the zero begin
    state ``(layers, 0, hidden)`` of an RNN layer exported by MXNet.
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
        shape = attrs.get('shape')
        if isinstance(shape, int):
            shape = (shape,)        # MXNet 1.x accepts ``ones(shape=3)``
        if not inputs and shapes is not None and 0 in (shape or ()):
            full = shapes.get((id(node), 0))
            if full is not None:
                attrs = {**attrs, 'shape': tuple(full)}
        length = None       # arange(infer_range=True): as long as its user needs
        if node.op.name == '_arange' and attrs.get('infer_range') and \
                attrs.get('stop') is None and shapes is not None:
            full = shapes.get((id(node), 0))
            if full is not None and full[0]:
                length = full[0]
                attrs = arange_attrs_for_length(attrs, length)

        def compute(inputs, node=node, attrs=attrs, node_ctx=node_ctx, length=length):
            out = invoke(node.op, tuple(inputs), attrs) if inputs else \
                invoke_nullary(node.op, node_ctx or ctx, attrs)
            if length is not None:
                out = out[:length]
            return [out] if isinstance(out, NDArray) else list(out)
        outs = compute(inputs) if run_node is None else run_node(node, inputs, compute)
        for i, o in enumerate(outs):
            results[(id(node), i)] = o
    return [results[(id(node), i)] for node, i in entries]


def _node_context(node, group2ctx):
    """The context ``group2ctx`` assigns to ``node`` through its ``ctx_group``, or None."""
    if not group2ctx:
        return None
    group = node.extra.get('__ctx_group__')
    return None if group is None else group2ctx.get(group)


def variable_contexts(symbol, ctx, group2ctx):
    """The context of each variable of ``symbol`` (by position: arguments, then
    auxiliary states) under ``group2ctx``, as MXNet 1.x places them: a variable made
    under ``mx.AttrScope(ctx_group=...)`` goes to its group's context, another one to
    the context of the first grouped operator that reads it, the rest to ``ctx``.

    >>> import d2lmini as mx
    >>> with mx.AttrScope(ctx_group='dev1'):
    ...     fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    >>> variable_contexts(fc, mx.cpu(0), {'dev1': mx.cpu(1)})
    [cpu(1), cpu(1), cpu(1)]
    """
    order = _graph.topological_order(symbol._entries)
    placed = {}
    for node in order:       # a variable comes before every operator reading it
        home = _node_context(node, group2ctx)
        if home is None:
            continue
        if node.op is None:
            placed[id(node)] = home
        else:
            for src, _ in node.inputs:
                if src.op is None:
                    placed.setdefault(id(src), home)
    aux = _graph.aux_variables(order)
    variables = [n for n in order if n.op is None and id(n) not in aux] + \
        [n for n in order if n.op is None and id(n) in aux]
    return [placed.get(id(n), ctx) for n in variables]


class BindError(MXNetError, ValueError):
    """Arrays given to ``bind`` that do not match the symbol's arguments in number:
    MXNet 1.x raises ValueError ("Length of args does not match the number of
    arguments")."""


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
            raise BindError(f'bind: {what} has {len(out)} arrays for {len(names)} names '
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
            raise BindError(f'bind: grad_req has {len(reqs)} entries for {len(names)} arguments')
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
        # the variable nodes in list_arguments()/list_auxiliary_states() order: by
        # position, since two variables may share a name (MXNet binds them by position)
        aux = _graph.aux_variables(self._order)
        self._arg_ids = [id(n) for n in self._order if n.op is None and id(n) not in aux]
        self._aux_ids = [id(n) for n in self._order if n.op is None and id(n) in aux]
        self._output_names = symbol.list_outputs()
        # Like MXNet's, an executor owns its output arrays from the start: forward
        # writes into them, so arrays handed out earlier see later results and an
        # executor made by reshape() can share them.
        self.outputs = output_arrays if output_arrays is not None else self._new_outputs()
        self._recorded = []      # the arrays forward recorded, for backward
        self._monitor_callback = None   # set_monitor_callback's callback and flag
        self._monitor_all = False
        self._monitored_nodes = []      # (node, inputs, inputs it read) of the last forward

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
        # an output lives where the node computing it runs (its ctx_group's context)
        homes = [_node_context(node, self._group2ctx) or self._ctx
                 for node, _ in self._symbol._entries]
        return [nd.zeros(s, ctx=c, dtype=t) for s, t, c in zip(shapes, types, homes)]

    def _check_shapes(self):
        """Arrays whose shapes the graph cannot take are refused at bind time, with
        the node and the shapes named."""
        known = {n: a.shape for n, a in zip(self._arg_names, self.arg_arrays)}
        known.update({n: a.shape for n, a in zip(self._aux_names, self.aux_arrays)})
        # kept for run_graph: nodes made with unknown (0) dimensions take these
        self._entry_shapes = _graph.infer_shapes(self._symbol._entries, known)
        for n, a, g in zip(self._arg_names, self.arg_arrays, self.grad_arrays):
            if g is not None and g.shape != a.shape:
                raise MXNetError(f'bind: gradient array of {n!r} has shape {shape_str(g.shape)} '
                                 f'but the argument has shape {shape_str(a.shape)}')

    # ------------------------------------------------------------ views by name
    @staticmethod
    def _by_name(names, arrays):
        # two variables may share a name (they are bound by position); a dict by name
        # would silently drop one of them, so it is refused, as MXNet refuses it
        if len(set(names)) != len(names):
            raise ValueError(f'Duplicate names detected, {names}')
        return dict(zip(names, arrays))

    @property
    def arg_dict(self):
        return self._by_name(self._arg_names, self.arg_arrays)

    @property
    def grad_dict(self):
        return self._by_name(self._arg_names, self.grad_arrays)

    @property
    def aux_dict(self):
        return self._by_name(self._aux_names, self.aux_arrays)

    @property
    def output_dict(self):
        return dict(zip(self._output_names, self.outputs))

    # ------------------------------------------------------------ running
    def forward(self, is_train=False, **kwargs):
        """Run the graph; ``kwargs`` are copied into the named arguments first.
        Returns (and keeps in ``outputs``) the list of outputs."""
        args = self.arg_dict if kwargs else {}
        for k, v in kwargs.items():
            if k not in args:
                # (MXNet 1.x: a TypeError, as for an unknown keyword)
                raise ArgumentError(f'forward: {k!r} is not an argument; arguments are '
                                    f'{self._arg_names}')
            v = v if isinstance(v, NDArray) else _nd().array(v, ctx=self._ctx,
                                                             dtype=args[k].dtype)
            if v.shape != args[k].shape:
                # (MXNet 1.x: a ValueError)
                raise ShapeError(f'forward: {k!r} has shape {shape_str(args[k].shape)} in this '
                                 f'executor, got {shape_str(v.shape)}; use reshape() for new '
                                 'shapes')
            v.copyto(args[k])
        values = dict(zip(self._arg_ids, self.arg_arrays))
        values.update(zip(self._aux_ids, self.aux_arrays))
        train = bool(is_train)
        self._monitored_nodes = []
        run_node = None if self._monitor_callback is None else \
            (lambda node, inputs, compute: self._monitor_node(node, inputs, compute, train))
        run = (self._order, self._symbol._entries, values, train, self._ctx, self._group2ctx,
               run_node, self._entry_shapes)
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

    @symbolic_section
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
        if self._monitor_callback is not None:
            self._monitored_backward(recorded, grads, is_train)
            return
        # the recording is kept until the next forward: MXNet lets backward run again
        autograd.backward(recorded, grads, retain_graph=True, train_mode=is_train)

    # ------------------------------------------------------------ monitoring
    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` with every array the graph computes, as
        MXNet 1.x's executor does: in ``forward`` each operator's outputs
        (``b'fc1_output'``), in ``backward`` the gradients each operator sends to its
        inputs (``b'fc1_backward_output0'`` for its first input, ...). With
        ``monitor_all=True`` the forward inputs are reported too, before the outputs:
        ``b'fc1_data'``, ``b'fc1_weight'``, ... each preceded by the variable's own
        name when the input is a variable.

        ``name`` is bytes as in MXNet (``mx.base.py_str`` decodes it); ``array`` is
        the NDArray itself, where MXNet hands over a raw C handle. Pass ``None`` to
        stop monitoring. See :class:`d2lmini.monitor.Monitor`.

        >>> import d2lmini as mx
        >>> x = mx.sym.var('x')
        >>> exe = mx.sym.relu(x, name='r').bind(mx.cpu(), {'x': mx.nd.array([-1, 2])})
        >>> seen = []
        >>> exe.set_monitor_callback(lambda n, a: seen.append(n), monitor_all=True)
        >>> _ = exe.forward()
        >>> seen
        [b'x', b'r_input0', b'r_output']
        """
        if callback is not None and not callable(callback):
            raise TypeError(f'set_monitor_callback: callback must be callable, got '
                            f'{type(callback).__name__}')
        self._monitor_callback = callback
        self._monitor_all = bool(monitor_all)

    def _report(self, name, array, train):
        # outside the recording: what the callback computes (statistics) is not
        # part of the graph backward differentiates
        with autograd.pause(train_mode=train):
            self._monitor_callback(name.encode(), array)

    def _monitor_node(self, node, inputs, compute, train):
        """Run one operator, reporting its inputs (with ``monitor_all``) and outputs.

        While recording, each recorded input reaches the operator through its own
        identity copy, so that backward can tell the gradient this operator sends to
        an input apart from what other consumers of the same array send (MXNet
        reports each backward node's outputs before they are summed)."""
        if self._monitor_all:
            for (src, _), in_name, x in zip(node.inputs, _input_names(node), inputs):
                if src.op is None:
                    self._report(src.name, x, train)
                self._report(f'{node.name}_{in_name}', x, train)
        used = list(inputs)
        if autograd.is_recording():
            used = [_nd().identity(x) if x._node is not None else x for x in inputs]
        outputs = compute(used)
        for name, out in zip(node.output_names(), outputs):
            self._report(name, out, train)
        self._monitored_nodes.append((node, list(inputs), used))
        return outputs

    def _monitored_backward(self, heads, head_grads, train):
        """``backward`` while monitoring: one pass of autograd that gives both the
        arguments' gradients (written as ``grad_req`` says) and what MXNet 1.x's
        backward nodes output, reported operator by operator from the last to the
        first:

        - ``<node>_backward_output<i>``: the gradient the operator sends to its i-th
          input (``_output`` when it has one input; auxiliary states take none).
          Operators whose gradient MXNet passes through without a node
          (``elemwise_add``, ``add_n``) report nothing; an input outside the
          recorded graph (data or labels that take no gradient) gets zeros, where
          MXNet reports whatever its unused buffer holds;
        - ``sum_grad_output``: the total gradient of an array read by several
          operators, after the backward of the first of them.

        A single pass matters: a second one would update BatchNorm's moving
        statistics twice."""
        aux = set(self._aux_names)
        nodes = self._monitored_nodes
        first_reader = {}     # entry -> position of the first operator reading it
        readers = {}
        for pos, (node, originals, _) in enumerate(nodes):
            for (src, i), x in zip(node.inputs, originals):
                key = (id(src), i)
                first_reader.setdefault(key, (pos, x))
                readers[key] = readers.get(key, 0) + 1
        summed_at = {}        # position -> arrays whose sum_grad is reported there
        for key, (pos, x) in first_reader.items():
            if readers[key] > 1 and x._node is not None:
                summed_at.setdefault(pos, []).append(x)

        reports = []          # (position, [(name, array or None for zeros)])
        wanted = [a for a, r in zip(self.arg_arrays, self._grad_req) if r != 'null']
        for pos in range(len(nodes) - 1, -1, -1):
            node, _, used = nodes[pos]
            kept = [x for (src, _), x in zip(node.inputs, used)
                    if not (src.op is None and src.name in aux)]
            entries = []
            if node.op.name not in _PASS_THROUGH_GRAD_OPS and \
                    any(x._node is not None for x in kept):
                for i, x in enumerate(kept):
                    suffix = 'output' if len(kept) == 1 else f'output{i}'
                    entries.append((f'{node.name}_backward_{suffix}', x))
            entries.extend(('sum_grad_output', x) for x in summed_at.get(pos, []))
            reports.append(entries)
            wanted.extend(x for _, x in entries if x._node is not None)
        unique = list({id(x): x for x in wanted}.values())
        grads = autograd.grad(heads, unique, head_grads, retain_graph=True,
                              train_mode=train)
        by_id = {id(x): g for x, g in zip(unique, grads)}
        with autograd.pause():
            for a, g, r in zip(self.arg_arrays, self.grad_arrays, self._grad_req):
                if r == 'write':
                    g[:] = by_id[id(a)]
                elif r == 'add':
                    g[:] += by_id[id(a)]
        for entries in reports:
            for name, x in entries:
                g = by_id.get(id(x))
                if g is None:
                    g = _nd().zeros(x.shape, ctx=x.context, dtype=x.dtype)
                self._report(name, g, train)

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
        """The bound graph as ``Symbol.debug_str`` prints it, then, as in MXNet 1.x,
        ``Total N MB allocated``: the memory this executor needs for the values it
        computes, forward and (when an argument takes a gradient) backward, in whole
        MB (see :mod:`d2lmini.symbol.memory_plan` for what is counted), and the
        temporary workspaces requested (none: d2lmini's operators use no shared
        workspace, where MXNet 1.9.1 always prints 11).

        >>> import d2lmini as mx
        >>> x = mx.sym.var('x')
        >>> exe = mx.sym.exp(x).simple_bind(mx.cpu(), x=(1024, 1024))
        >>> exe.debug_str().splitlines()[-2:]
        ['Total 8 MB allocated', 'Total 0 TempSpace resource requested']
        """
        from .memory_plan import planned_bytes
        # whole mebibytes, rounded down as MXNet prints them
        return (f'{self._symbol.debug_str()}Total {planned_bytes(self) >> 20} MB allocated\n'
                'Total 0 TempSpace resource requested\n')


# Operators with one input that MXNet 1.x reports by the input's name (they list
# their input names); other one-input operators report ``input0``
_NAMED_SINGLE_INPUT_OPS = {
    'Pooling', 'Pooling_v1', 'Dropout', 'LeakyReLU', 'softmax', 'log_softmax',
    'SliceChannel', '_split_v2', 'LRN', 'L2Normalization', 'GridGenerator', 'MakeLoss',
    'Pad', '_sample_exponential', '_sample_poisson', 'all_finite', 'im2col', 'col2im',
    'cumsum', 'depth_to_space', 'space_to_depth', 'diag', 'moments', 'one_hot',
    'ravel_multi_index', 'unravel_index', 'repeat', 'tile', 'reverse', 'squeeze',
    'SwapAxis'}
# Operators whose gradient MXNet 1.x hands to the inputs as it is, without a
# backward node to report
_PASS_THROUGH_GRAD_OPS = {'elemwise_add', 'add_n'}
# Operators of any number of inputs that MXNet 1.x reports as ``arg0``, ``arg1``, ...
_ARG_NUMBERED_OPS = {'Concat', 'add_n', 'ElementWiseSum', 'Crop', 'UpSampling', 'khatri_rao',
                     'stack'}
# Operators of any number of inputs that MXNet 1.x reports as ``<prefix>0``, ...
_PREFIX_NUMBERED_OPS = {'multi_all_finite': 'array_', 'multi_sum_sq': 'array_',
                        'amp_multicast': 'data_'}


def _input_names(node):
    """The names MXNet 1.x's monitor gives ``node``'s inputs (after ``<node name>_``)."""
    count = len(node.inputs)
    if node.op.name in _ARG_NUMBERED_OPS:
        return [f'arg{i}' for i in range(count)]
    if node.op.name in _PREFIX_NUMBERED_OPS:
        return [f'{_PREFIX_NUMBERED_OPS[node.op.name]}{i}' for i in range(count)]
    names = () if node.op.variadic else tuple(node.op.used_inputs(node.attrs))
    if len(names) != count or (count == 1 and node.op.name not in _NAMED_SINGLE_INPUT_OPS):
        return [f'input{i}' for i in range(count)]
    return list(names)


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


def _declared_stypes(symbol, stype_dict):
    """Storage type by argument name: the variables' ``__storage_type__`` attributes,
    then ``stype_dict``."""
    names = {'0': 'default', '1': 'row_sparse', '2': 'csr'}
    stypes = {n: names.get(a['__storage_type__'], 'default')
              for n, a in symbol.attr_dict().items() if '__storage_type__' in a}
    stypes.update(stype_dict or {})
    return stypes


def simple_bind(symbol, ctx, grad_req='write', type_dict=None, shapes=None, group2ctx=None,
                stype_dict=None):
    """Bind ``symbol`` with zero arrays of the shapes (by name) given and inferred.
    Keyword values that are not shapes (``axis=0``, ``mode='clip'``) are ignored, as
    MXNet 1.x ignores them. An argument declared sparse (``var(..., stype=...)`` or
    ``stype_dict``) gets a sparse array; its gradient is dense."""
    shapes = {name: shape for name, shape in (shapes or {}).items()
              if isinstance(shape, (tuple, list))}
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
    stypes = _declared_stypes(symbol, stype_dict)
    # with group2ctx, each array goes where the nodes reading it run
    homes = variable_contexts(symbol, ctx, group2ctx) if group2ctx else \
        [ctx] * (len(arg_names) + len(aux_names))
    arg_homes, aux_homes = homes[:len(arg_names)], homes[len(arg_names):]
    args = [nd.zeros(s, ctx=c, dtype=t, stype=stypes.get(n))
            for n, s, t, c in zip(arg_names, arg_shapes, arg_types, arg_homes)]
    reqs = _grad_reqs(grad_req, arg_names, args)
    grads = [None if r == 'null' else nd.zeros(s, ctx=c, dtype=t)
             for s, t, r, c in zip(arg_shapes, arg_types, reqs, arg_homes)]
    aux = [nd.zeros(s, ctx=c, dtype=t) for s, t, c in zip(aux_shapes, aux_types, aux_homes)]
    return Executor(symbol, ctx, args, grads, reqs, aux, group2ctx)
