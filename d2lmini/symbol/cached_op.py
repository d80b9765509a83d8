"""The cached op: a traced graph compiled into plans of raw operator calls.

``hybridize()`` makes a block trace ``hybrid_forward`` once with symbols; the
resulting graph becomes a :class:`CachedOp`. For each signature of the inputs
(shapes, dtypes, context, training mode, whether gradients are wanted) it builds a
:class:`Plan` once:

1. the graph is laid out (:class:`~d2lmini.symbol.passes.ir.Graph`), shapes and
   dtypes are inferred, and the compiler passes rewrite it
   (:mod:`d2lmini.symbol.passes`);
2. memory is planned (when values die, where fused kernels write);
3. Python source is generated: one line per operator, calling the registered
   ``forward(xp, *raw_arrays, **attrs)`` directly on numpy/cupy arrays. No NDArray is
   made between operators, no tape is consulted, no block is called: per-operator
   cost is one Python call. ``plan.source`` shows the code.

With ``autograd.record()`` and inputs that need gradients, the backward is
compiled too. Each operator's registered backward is written with ``F``; called
with ``F = sym`` on symbols standing for the forward's values, it adds the nodes
that compute its gradients to a graph: walking the graph in reverse builds its
*gradient graph* (:mod:`~d2lmini.symbol.passes.gradient`). The same passes rewrite
it (dead code: gradients nobody needs; fusion: sigmoid's ``dy * y * (1 - y)``
becomes one kernel) and it becomes a plan of its own, :class:`BackwardPlan`,
whose inputs are the output gradients and the forward values it reads. The
forward plan keeps just those values, returned beside the outputs, and is fused
like an inference graph (a kept value is an output, so no kernel swallows it).
The run adds ONE node to the tape; its backward runs the backward plan on raw
arrays and wraps only the input gradients. Results equal autograd's: the same
backward functions compute them, on the same values, in the same order
(BatchNorm's backward still updates its running statistics).

Differentiating that backward (``create_graph=True``) needs the gradient
computation recorded, operator by operator: the plan then recomputes the
forward values it did not keep (their operators are pure, so they give the same
values again; random draws and BatchNorm's batch statistics are always kept) and
calls each operator's backward with ``F = nd``, as autograd does. So does a graph
with a backward that cannot be traced (one that reads values, say):
``plan.backward_fallback`` and :meth:`CachedOp.report` say why.

>>> import d2lmini as mx
>>> x = mx.sym.var('data')
>>> y = mx.sym.relu(mx.sym._plus_scalar(mx.sym._mul_scalar(x, scalar=2, name='double'),
...                                     scalar=1, name='inc'), name='act')
>>> op = CachedOp(y, ['data'], {})
>>> op([mx.nd.array([-1., 0., 1.])])
<BLANKLINE>
[0. 1. 3.]
<NDArray 3 @cpu(0)>
>>> print(op.last_plan.source)
def plan(xp, a0):
    v0 = f0(xp, a0, out=None)  # act_fused: double inc act
    return (v0,)

Recorded, a sigmoid's plan returns its output twice: once as the output, once as
the value its backward reads. The backward plan gets the output gradient (``a0``)
and that value (``a1``); ``dy * y * (1 - y) * 2`` is one fused kernel but for
``1 - y``, which another branch of the expression computes:

>>> y = mx.sym.sigmoid(mx.sym._mul_scalar(x, scalar=2, name='double'), name='act')
>>> op = CachedOp(y, ['data'], {})
>>> a = mx.nd.array([-1., 0., 1.])
>>> a.attach_grad()
>>> with mx.autograd.record():
...     z = op([a])
>>> print(op.last_plan.source)
def plan(xp, a0):
    v0 = f0(xp, a0, out=None)  # act_fused: double act
    return (v0,v0,)
>>> z.backward()
>>> print(op.last_plan.backward.source)
def backward(xp, a0, a1):
    v0 = f0(xp, a1, **k0)  # _rminus_scalar0
    v1 = f1(xp, a0, a1, v0, out=None)  # _mul_scalar0_fused: broadcast_mul0 broadcast_mul1 _mul_scalar0
    del v0
    return (v1,)
"""
import time

import numpy as np

from .. import backend
from ..base import MXNetError
from ..profiler import _PROFILE, timed_plan
from ..tape import _STATE, _record
from ..ndarray.ndarray import NDArray, _wrap, _wrap_entry
from . import graph as _graph
from . import passes as _passes
from .passes.constant_folding import ConstantOp
from .passes.fusion import FusedOp
from .passes.gradient import NEEDED



def _returns_tuple(op):
    """Whether ``op.forward`` returns a tuple of outputs: every operator but those
    with exactly one output (an operator whose output count depends on its
    attributes, such as ``split``, returns a tuple even when it is one)."""
    return not isinstance(op, (ConstantOp, FusedOp)) and op.num_outputs != 1

class Plan:
    """One compiled version of the graph, for one input signature.

    ``fn(xp, *raw_inputs)`` returns the raw outputs; with ``grad`` (per input,
    whether it needs a gradient) also what the backward needs: the values the
    compiled backward (``backward``, a :class:`BackwardPlan`) reads, or, when the
    backward could not be compiled (``backward_fallback`` says why), every value,
    inputs first, for the operator-by-operator backward. ``steps`` lists, per
    operator of the differentiated graph, ``(node, attrs, input slots, output
    slots)``, where a slot is a value's position in that list of every value;
    ``records`` the passes' node counts and times.
    """

    def __init__(self, symbol, names, shapes, dtypes, ctx, is_train, grad, enabled=None,
                 static_alloc=False, inline=True):
        self.ctx = ctx
        self.xp = ctx._xp or ctx.xp
        self.symbol, self.names = symbol, list(names)   # the traced graph (get_symbol)
        # whether autograd.get_symbol shows the graph's operators (else one _CachedOp node)
        self.inline = inline
        self.num_inputs = len(names)
        self.grad = bool(grad)
        self.backward = self.backward_fallback = None
        graph = _passes.Graph.from_symbol(symbol, xp=self.xp)
        self.traced_nodes = len(graph)
        graph.infer(shapes, dtypes)
        enabled = {**_passes.ENABLED, **(enabled or {})}
        # a graph to differentiate first goes through the passes that keep its operators
        graph, self.records = _passes.run_pipeline(graph, enabled, forward_only=not grad)
        self.graph = graph
        self.layout_done = []     # what the layout pass rewrote: (graph, old, new)
        if grad:
            self._plan_backward(names, is_train, grad, enabled, static_alloc)
            if self.backward is None:     # the forward keeps every value, unfused
                self._compile(names, is_train, None, keep_all=True)
                return
            self._keep_for_backward()
            # the kept values are outputs now: fusion leaves them alone
            self.graph, records = _passes.run_pipeline(graph, {**enabled, **_STAGE_TWO})
            self.records += records
        elif enabled.get('layout'):
            self.records.append(_passes.timed('layout', self.graph, self._choose_layout))
        memory = None
        if enabled.get('memory'):
            memory = _passes.plan_memory(self.graph, static_alloc)
        self._compile(names, is_train, memory)

    # ------------------------------------------------------------ the backward
    def _plan_backward(self, names, is_train, pattern, enabled, static_alloc):
        """Lay out the differentiated graph and compile its backward (or say why not)."""
        self.index, self.steps = _passes.layout(self.graph, names, is_train)
        self.output_slots = [self.index[(id(s), i)] for s, i in self.graph.outputs]
        self.requires = self.requires_grad(tuple(pattern))
        try:
            backward = BackwardPlan(self, names, enabled)
            if enabled.get('layout'):
                self.records.append(_passes.timed('layout', self.graph,
                                                  lambda: self._choose_layouts(backward, names)))
            backward.compile(is_train, enabled, static_alloc)
            self.backward = backward
        except _passes.NotTraceable as e:
            self.backward_fallback = str(e)
        except Exception as e:      # a pass or the code generation: still correct op by op
            self.backward_fallback = (f'compiling the gradient graph failed: '
                                      f'{type(e).__name__}: {e}')
        if self.backward is None and self.layout_done:
            # operator by operator, every value is the registered operators' own
            _passes.layout.undo(self.layout_done)
            self.layout_done = []

    def _choose_layout(self):
        """The layout pass over an inference plan's graph."""
        self.layout_done = _passes.choose_batch_last(self.graph)

    def _choose_layouts(self, backward, names):
        """The layout pass over the forward graph and its gradient graph together
        (:mod:`~d2lmini.symbol.passes.layout`)."""
        entry_of = _passes.slot_entries(self.graph, names, self.steps)

        def value_entry(name):
            kind, j = backward.reads.get(name, (None, None))
            return entry_of.get(j) if kind == 'value' else None

        self.layout_done = _passes.choose_batch_last(self.graph, backward.graph, value_entry)

    def _keep_for_backward(self):
        """Make the values the backward reads outputs of the forward graph. So are the
        outputs of impure nodes (a dropout's mask, BatchNorm's batch statistics): if
        the operator-by-operator backward is needed after all (``create_graph``),
        :meth:`replay` recomputes every other value from the inputs."""
        replaced = {(id(old), 0): (new, 0) for _, old, new in self.layout_done}
        slot_entry = {j: replaced.get((id(node), i), (node, i))
                      for j, (node, i) in _passes.slot_entries(self.graph, self.names,
                                                               self.steps).items()}
        kept = set(self.backward.value_slots)
        for node, _, _, outs in self.steps:
            if not _passes.is_pure(node):
                kept.update(outs)
        self.kept = sorted(j for j in kept if j >= self.num_inputs)
        self.num_outputs = len(self.graph.outputs)
        self.graph.outputs = self.graph.outputs + [slot_entry[j] for j in self.kept]
        # where each slot is in the list a recorded call stores: inputs, then what fn returns
        first = self.num_inputs + self.num_outputs
        self.stored_at = {j: first + p for p, j in enumerate(self.kept)}
        self.stored_at.update((k, k) for k in range(self.num_inputs))
        self.backward.bind(self.stored_at)

    def replay(self, stored):
        """Every value of the differentiated graph (for the operator-by-operator
        backward) from what a recorded call stored: the kept values, the
        others recomputed by their operators, which are pure (same inputs, same
        results)."""
        values = [None] * (max((j for *_, outs in self.steps for j in outs),
                               default=self.num_inputs - 1) + 1)
        xp = self.xp
        for j, p in self.stored_at.items():
            # C-contiguous, as every operator expects (the layout pass may have left
            # a kept value in the batch-last order, which only audited kernels read)
            values[j] = xp.ascontiguousarray(stored[p])
        with backend.device_scope(self.ctx):
            for node, attrs, ins, outs in self.steps:
                if all(values[j] is not None for j in outs):
                    continue
                if isinstance(node.op, ConstantOp):
                    res = node.op.value
                else:
                    res = node.op.forward(xp, *[values[j] for j in ins], **attrs)
                for j, r in zip(outs, res if _returns_tuple(node.op) else [res]):
                    values[j] = r
        return values

    # ------------------------------------------------------------ code generation
    def _compile(self, names, is_train, memory, keep_all=False):
        code = _Code(self.graph, names, is_train, memory, self.ctx, keep_all=keep_all)
        self.fn, self.source = code.fn, code.source
        if keep_all:                    # fn returns every value: outputs by slot
            self.steps, self.index = code.steps, code.index
            self.out_index = code.out_index
        elif self.backward is not None:  # stored: inputs, then fn's outputs
            self.out_index = list(range(self.num_inputs, self.num_inputs + self.num_outputs))
        else:
            self.steps = code.steps
            self.out_index = list(range(len(self.graph.outputs)))

    # ------------------------------------------------------------ running
    def run(self, raws):
        fn = timed_plan(self) if _PROFILE.active else self.fn   # see d2lmini.profiler
        if self.xp is np:
            return fn(np, *raws)
        with backend.device_scope(self.ctx):
            return fn(self.xp, *raws)

    def requires_grad(self, pattern):
        """The slots of the values that depend on an input needing a gradient, for
        ``pattern`` (per input, whether it needs one)."""
        found = {k for k, need in enumerate(pattern) if need}
        for node, _, ins, outs in self.steps:
            if not node.op.no_grad and any(j in found for j in ins):
                found.update(outs)
        return found


# the second stage of a differentiated forward graph: fusion, once the kept values are
# known (it leaves nothing dead behind)
_STAGE_TWO = {'dce': False, 'constant_folding': False, 'cse': False}


class _Code:
    """Python source for a graph, one line per operator, and the function it defines:
    ``fn(xp, *inputs)`` returns the graph's outputs (every value, in slot order,
    with ``keep_all``). ``memory`` (a :class:`~d2lmini.symbol.passes.memory.MemoryPlan`)
    says where fused kernels write and when values are dropped. Outputs that are
    inputs are returned as copies with ``copy_inputs``: the caller may write into
    what it gets."""

    def __init__(self, graph, names, is_train, memory, ctx, keep_all=False,
                 copy_inputs=False):
        self.index, self.steps = _passes.layout(graph, names, is_train)
        n_in = len(names)
        env = {}
        slot_name = [f'a{k}' for k in range(n_in)]
        lines = [f'def plan(xp{"".join(f", a{k}" for k in range(n_in))}):']
        read = {j for _, _, ins, _ in self.steps for j in ins}
        read.update(self.index[(id(s), i)] for s, i in graph.outputs)
        for k, (node, attrs, ins, outs) in enumerate(self.steps):
            op = node.op
            slot_name.extend(f'v{k}' if len(outs) == 1 else f'v{k}_{i}'
                             for i in range(len(outs)))
            args = [slot_name[j] for j in ins]
            comment = f'  # {node.name}'
            if isinstance(op, ConstantOp):
                env[f'c{k}'] = op.value
                call = f'c{k}'
            elif isinstance(op, FusedOp):
                env[f'f{k}'] = op.forward
                where = memory.out_of.get(id(node)) if memory is not None else None
                if where is None:
                    out = 'None'
                elif where[0] == 'inplace':
                    out = args[where[1]]
                else:
                    out = f'b{where[1]}'
                call = f'f{k}(xp, {", ".join(args)}, out={out})'
                comment += ': ' + ' '.join(op.members)
            else:
                env[f'f{k}'] = op.forward
                text = ', '.join(['xp'] + args)
                if attrs:
                    env[f'k{k}'] = attrs
                    text += f', **k{k}'
                call = f'f{k}({text})'
            if not _returns_tuple(op):
                lines.append(f'    {slot_name[outs[0]]} = {call}{comment}')
            else:
                lines.append(f'    _t = {call}{comment}')
                lines.extend(f'    {slot_name[j]} = _t[{i}]' for i, j in enumerate(outs)
                             if keep_all or j in read)
            if memory is not None and memory.free_after.get(k):
                dead = [slot_name[self.index[key]] for key in memory.free_after[k]
                        if key in self.index and self.index[key] >= n_in]
                if dead:
                    lines.append(f'    del {", ".join(dead)}')
        self.out_index = [self.index[(id(s), i)] for s, i in graph.outputs]
        if keep_all:
            lines.append(f'    return [{", ".join(slot_name)}]')
        else:
            outs = [slot_name[j] + ('.copy()' if copy_inputs and j < n_in else '')
                    for j in self.out_index]
            lines.append(f'    return ({"".join(o + "," for o in outs)})')
        if memory is not None and memory.static_buffers:
            xp = ctx._xp or ctx.xp
            for b, (shape, dtype) in enumerate(memory.static_buffers):
                with backend.device_scope(ctx):
                    env[f'b{b}'] = xp.empty(shape, dtype)
        self.source = '\n'.join(lines)
        exec(compile(self.source, '<cached_op plan>', 'exec'), env)   # noqa: S102
        self.fn = env['plan']
        self.fn.ops = [node.op for node, *_ in self.steps]   # f0, f1, ...: for the profiler


class BackwardPlan:
    """The compiled backward of a :class:`Plan`: its gradient graph
    (:func:`~d2lmini.symbol.passes.gradient.gradient_graph`), rewritten by the
    passes and compiled like a forward graph. ``fn(xp, *args)`` takes the output
    gradients and the forward values the gradient graph reads (``reads``, one per
    argument: ``('dy', k)`` or ``('value', slot)``) and returns the input gradients;
    ``grad_of`` says, per input, which (None: the input gets none)."""

    def __init__(self, plan, names, enabled):
        self.ctx, self.xp = plan.ctx, plan.xp
        start = time.perf_counter()
        grad = _passes.gradient_graph(plan.graph, names, plan.requires, plan.index,
                                      plan.steps, plan.ctx)
        self.trace_seconds = time.perf_counter() - start
        self.traced_nodes = len(grad.graph)
        graph, self.records = _passes.run_pipeline(grad.graph, enabled)
        graph.nodes = _drop_unread_variables(graph)
        self.graph = graph
        self.reads = grad.reads         # variable name -> what it reads
        self.grad_of = grad.grad_of
        self.args = None

    def compile(self, is_train, enabled, static_alloc):
        """Generate the code, once the passes over the pair of graphs are done (the
        layout pass rewrites both)."""
        graph = self.graph
        self.arg_names = [n.name for n in graph.nodes if n.op is None]
        self.value_slots = [j for kind, j in (self.reads[n] for n in self.arg_names)
                            if kind == 'value']
        self.reads = [self.reads[n] for n in self.arg_names]
        memory = _passes.plan_memory(graph, static_alloc) if enabled.get('memory') else None
        code = _Code(graph, self.arg_names, is_train, memory, self.ctx, copy_inputs=True)
        self.fn, self.source = code.fn, code.source.replace('def plan(', 'def backward(', 1)

    def bind(self, stored_at):
        """Where each argument comes from, once the forward plan knows where it stores
        the values: ``(True, k)`` the gradient of output k, ``(False, p)`` position p
        of what the recorded call stored."""
        self.args = [(True, j) if kind == 'dy' else (False, stored_at[j])
                     for kind, j in self.reads]

    def run(self, dys, stored):
        """The input gradients (NDArrays, None where an input gets none)."""
        args = [dys[p]._data if is_dy else stored[p] for is_dy, p in self.args]
        fn = timed_plan(self) if _PROFILE.active else self.fn
        if self.xp is np:
            grads = fn(np, *args)
        else:
            with backend.device_scope(self.ctx):
                grads = fn(self.xp, *args)
        ctx = self.ctx
        return [None if g is None else _wrap(grads[g], ctx) for g in self.grad_of]


def _drop_unread_variables(graph):
    """The nodes of ``graph`` without the variables that nothing reads any more (a
    forward value only a dead gradient needed): the backward does not ask for them."""
    read = {id(s) for n in graph.nodes for s, _ in n.inputs}
    read.update(id(s) for s, _ in graph.outputs)
    return [n for n in graph.nodes if n.op is not None or id(n) in read]


class _GraphCall:
    """The tape's view of one recorded run of a plan: an operator whose backward is
    the backward of the whole graph. ``stored``: what the run keeps for it (see
    :class:`Plan`)."""
    no_grad = False
    once_differentiable = False
    defaults = {}

    def __init__(self, plan, stored, requires):
        self.plan, self.stored, self.requires = plan, stored, requires
        self.name = 'CachedOp'
        self.num_outputs = len(plan.out_index)

    def full_attrs(self, attrs):
        return {}

    def backward(self, F, dy, x, y):
        dys = dy if self.num_outputs != 1 else (dy,)
        compiled = self.plan.backward
        if compiled is not None and not _STATE.recording:
            return compiled.run(dys, self.stored)
        # differentiating the gradient (create_graph), or a backward that could not be
        # compiled: operator by operator, as autograd does
        values = self.stored if compiled is None else self.plan.replay(self.stored)
        return self._op_by_op(F, dys, x, values)

    def _op_by_op(self, F, dys, x, values):
        from .. import autograd
        plan, requires = self.plan, self.requires
        ctx = plan.ctx
        grads = {}
        for j, d in zip(plan.output_slots, dys):
            if d is not None:
                grads[j] = d if j not in grads else grads[j] + d
        # differentiating the gradient (create_graph) needs the forward on the tape:
        # rebuild it from the kept values, linked to the real inputs
        taped = self._rebuild_tape(x, values) if _STATE.recording else None
        for node, attrs, ins, outs in reversed(plan.steps):
            ds = [grads.pop(j, None) for j in outs]
            if all(d is None for d in ds):
                continue
            op = node.op
            if op.backward is None:
                if op.no_grad:
                    continue
                raise autograd._no_backward_error(op)
            if taped is not None:
                xs = tuple([taped[j] for j in ins])
                ys = [taped[j] for j in outs]
            else:
                xs = tuple([_wrap_entry(values[j], ctx, NEEDED if j in requires else None, 0)
                            for j in ins])
                ys = [_wrap(values[j], ctx) for j in outs]
            ds = [F.zeros_like(ys[i]) if d is None else d for i, d in enumerate(ds)]
            full = op.full_attrs(attrs)
            if len(outs) == 1:
                in_grads = op.backward(F, ds[0], xs, ys[0], **full)
            else:
                in_grads = op.backward(F, tuple(ds), xs, tuple(ys), **full)
            for j, g in zip(ins, in_grads):
                if g is not None and j in requires:
                    grads[j] = g if j not in grads else grads[j] + g
        return [grads.get(k) for k in range(plan.num_inputs)]

    def _rebuild_tape(self, x, values):
        plan = self.plan
        taped = dict(enumerate(x))
        for node, attrs, ins, outs in plan.steps:
            xs = [taped[j] for j in ins]
            ys = [_wrap(values[j], plan.ctx) for j in outs]
            if any(a._node is not None for a in xs):
                _record(node.op, attrs, xs, tuple([values[j] for j in ins]), ys)
            for j, a in zip(outs, ys):
                taped[j] = a
        return taped


class CachedOp:
    """A traced graph, run through compiled plans (see the module's docstring).

    ``symbol``: the graph; ``data_names``: its input variables, in call order;
    ``params``: parameter name -> :class:`~d2lmini.gluon.Parameter` for the other
    variables. ``flags``: ``static_alloc`` (fused kernels write into buffers
    allocated once per plan), ``static_shape`` (the inputs keep their shapes: the
    last plan is reused without building a lookup key), ``passes`` (name -> on/off,
    over :data:`d2lmini.symbol.passes.ENABLED`), ``inline_limit`` (default 2: as in
    MXNet 1.x, ``autograd.get_symbol`` shows a recorded call of a graph of at most
    this many operators, without ``static_alloc``, as those operators, and any
    other as one ``_CachedOp`` node holding the graph). ``single``: return one array
    rather than a list.
    """

    def __init__(self, symbol, data_names, params, flags=None, single=True):
        flags = dict(flags or {})
        self.symbol = symbol
        self.data_names = list(data_names)
        seen = set(self.data_names)
        self.param_names = []
        for n in symbol.list_inputs():
            if n not in seen:
                seen.add(n)
                self.param_names.append(n)
        missing = [n for n in self.param_names if n not in params]
        if missing:
            raise MXNetError(f'the graph reads variable(s) {missing}, which are neither '
                             f'inputs ({self.data_names}) nor parameters of the block')
        self.params = [params[n] for n in self.param_names]
        self.static_alloc = bool(flags.get('static_alloc', False))
        self.static_shape = bool(flags.get('static_shape', False))
        operators = sum(1 for n in _graph.topological_order(symbol._entries) if n.op is not None)
        self.inline = not self.static_alloc and operators <= int(flags.get('inline_limit', 2))
        self.enabled = dict(flags.get('passes') or {})
        self.single = single
        self.plans = {}
        self.last_plan = None
        self._last_key = None
        self._param_cache = None

    def _param_arrays(self, ctx):
        """The parameters' NDArrays on ``ctx`` (cached while no parameter replaces its
        arrays; their raw data is read at each call, since updates may rebind it)."""
        cache = self._param_cache
        if cache is not None and cache[0] == ctx and all(
                p._data is lst for p, lst in zip(self.params, cache[1])):
            return cache[2]
        arrays = [p.data(ctx) for p in self.params]
        self._param_cache = (ctx, [p._data for p in self.params], arrays)
        return arrays

    def __call__(self, inputs):
        for a in inputs:
            if not isinstance(a, NDArray):
                raise TypeError(f'a hybridized block takes NDArrays, got {type(a).__name__}')
        ctx = inputs[0]._ctx
        arrays = list(inputs) + self._param_arrays(ctx)
        raws = [a._data for a in arrays]
        grad, pattern = False, ()
        if _STATE.recording:    # a plan per pattern of the inputs that need a gradient
            needs = tuple([a._node is not None for a in arrays])
            if any(needs):
                grad, pattern = True, (needs,)
        training = _STATE.training
        plan = self.last_plan
        if (self.static_shape and plan is not None
                and self._last_key[:3] == (ctx, training, grad)
                and (not grad or self._last_key[-1] == pattern[0])):
            pass
        else:
            key = (ctx, training, grad) + tuple((r.shape, r.dtype) for r in raws) + pattern
            if key != self._last_key:
                plan = self.plans.get(key)
                if plan is None:
                    plan = self._build(arrays, ctx, training, pattern[0] if grad else False)
                    self.plans[key] = plan
                self.last_plan, self._last_key = plan, key
        try:
            if grad:
                values = plan.run(raws)
                if plan.backward is not None:   # stored: the inputs, then what fn returned
                    values = raws + list(values)
                outs = [_wrap(values[j], ctx) for j in plan.out_index]
                _record(_GraphCall(plan, values, plan.requires), {}, arrays, tuple(raws), outs)
            else:
                outs = [_wrap(r, ctx) for r in plan.run(raws)]
        except MXNetError:
            raise
        except Exception as e:
            raise self._explain(plan, raws, e) from e
        return outs[0] if self.single else outs

    def _build(self, arrays, ctx, training, grad):
        names = self.data_names + self.param_names
        shapes = {n: a.shape for n, a in zip(names, arrays)}
        dtypes = {n: a.dtype for n, a in zip(names, arrays)}
        return Plan(self.symbol, names, shapes, dtypes, ctx, training, grad, self.enabled,
                    self.static_alloc, self.inline)

    def _explain(self, plan, raws, exc):
        """An error naming the node that failed: run the steps one by one."""
        values = list(raws)
        values += [None] * (max([j for *_, outs in plan.steps for j in outs], default=0) + 1)
        xp = plan.xp
        for node, attrs, ins, outs in plan.steps:
            try:
                if isinstance(node.op, (ConstantOp,)):
                    res = node.op.value
                else:
                    res = node.op.forward(xp, *[values[j] for j in ins], **attrs)
            except Exception as e:
                shapes = [getattr(values[j], 'shape', None) for j in ins]
                return MXNetError(f"node '{node.name}' ({node.op.name}) failed on inputs of "
                                  f'shapes {shapes}: {e}')
            res = list(res) if _returns_tuple(node.op) else [res]
            for j, r in zip(outs, res):
                values[j] = r
        return MXNetError(f'the compiled graph failed: {exc}')

    def report(self):
        """The passes of the last plan built: one line per pass with the node counts
        and the time; for a plan that computes gradients, its backward's too (or why
        it runs operator by operator)."""
        plan = self.last_plan
        if plan is None:
            return 'no plan built yet: call the block once'
        lines = [f'traced graph: {plan.traced_nodes} nodes']
        lines += _pass_lines(plan.records)
        if plan.layout_done:
            names = ', '.join(new.name for _, _, new in plan.layout_done)
            lines.append(f'{"":>18}  batch-last results: {names}')
        if plan.grad and plan.backward is not None:
            bwd = plan.backward
            lines.append(f'backward: compiled; gradient graph: {bwd.traced_nodes} nodes '
                         f'(traced in {bwd.trace_seconds * 1e3:.3f} ms)')
            lines += _pass_lines(bwd.records)
            made = sum(len(outs) for *_, outs in plan.steps)
            lines.append(f'the forward keeps {len(plan.kept)} of its {made} values for it')
        elif plan.grad:
            lines.append(f'backward: operator by operator, because {plan.backward_fallback}')
        return '\n'.join(lines)


def _pass_lines(records):
    return [f'{r.name:>18}: {r.before:4d} -> {r.after:4d} nodes  {r.seconds * 1e3:7.3f} ms'
            for r in records]
