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

With ``autograd.record()`` and inputs that need gradients, the plan runs the same
way, keeps every intermediate value, and adds ONE node to the tape for the whole
graph. Its backward walks the graph in reverse calling each operator's registered
backward, so gradients (and BatchNorm's running statistics, which its backward
updates) come out exactly as on the imperative path.

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
"""
import numpy as np

from .. import backend
from ..base import MXNetError
from ..tape import _STATE, _record
from ..ndarray.ndarray import NDArray, _wrap, _wrap_entry
from . import passes as _passes
from .passes.constant_folding import ConstantOp
from .passes.fusion import FusedOp


class _Needed:
    """Stands in for a tape node on the arrays handed to a registered backward: the
    backward asks only whether an input needs a gradient (``x._node is not None``)."""


_NEEDED = _Needed()


class Plan:
    """One compiled version of the graph, for one input signature.

    ``fn(xp, *raw_inputs)`` returns the raw outputs (forward-only plans) or every
    value, inputs first (``grad=True``, for the backward). ``steps`` lists, per
    operator, ``(node, attrs, input indices, output indices)`` in that flat list of
    values; ``records`` the passes' node counts and times.
    """

    def __init__(self, symbol, names, shapes, dtypes, ctx, is_train, grad, enabled=None,
                 static_alloc=False):
        self.ctx = ctx
        self.xp = ctx._xp or ctx.xp
        graph = _passes.Graph.from_symbol(symbol, xp=self.xp)
        self.traced_nodes = len(graph)
        graph.infer(shapes, dtypes)
        enabled = {**_passes.ENABLED, **(enabled or {})}
        graph, self.records = _passes.run_pipeline(graph, enabled, forward_only=not grad)
        self.graph = graph
        memory = None
        if not grad and enabled.get('memory'):
            memory = _passes.plan_memory(graph, static_alloc)
        self.grad = grad
        self._generate(names, is_train, memory)

    # ------------------------------------------------------------ code generation
    def _generate(self, names, is_train, memory):
        env = {}
        index = {}                   # entry key -> position in the flat list of values
        slot_name = []               # position -> name in the generated code
        for k, n in enumerate(names):
            slot_name.append(f'a{k}')
        by_name = {n: k for k, n in enumerate(names)}
        lines = [f'def plan(xp{"".join(f", a{k}" for k in range(len(names)))}):']
        self.steps = []
        ops = [n for n in self.graph.nodes if n.op is not None]
        read = {(id(s), i) for n in ops for s, i in n.inputs}
        read.update((id(s), i) for s, i in self.graph.outputs)
        for node in self.graph.nodes:
            if node.op is None:
                if node.name not in by_name:
                    raise MXNetError(f"the graph reads variable '{node.name}', which is "
                                     'neither an input nor a parameter of the block')
                index[(id(node), 0)] = by_name[node.name]
        for k, node in enumerate(ops):
            op = node.op
            ins = [slot_name[index[(id(s), i)]] for s, i in node.inputs]
            n_out = op.num_outputs if op.num_outputs > 0 else node.num_outputs
            outs = []
            for i in range(n_out):
                index[(id(node), i)] = len(slot_name)
                outs.append(len(slot_name))
                slot_name.append(f'v{k}' if n_out == 1 else f'v{k}_{i}')
            attrs = dict(node.attrs)
            if op.train_mode:
                attrs['is_train'] = is_train
            self.steps.append((node, attrs, [index[(id(s), i)] for s, i in node.inputs], outs))
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
                    out = ins[where[1]]
                else:
                    out = f'b{where[1]}'
                call = f'f{k}(xp, {", ".join(ins)}, out={out})'
                comment += ': ' + ' '.join(op.members)
            else:
                env[f'f{k}'] = op.forward
                args = ', '.join(['xp'] + ins)
                if attrs:
                    env[f'k{k}'] = attrs
                    args += f', **k{k}'
                call = f'f{k}({args})'
            if n_out == 1:
                lines.append(f'    {slot_name[outs[0]]} = {call}{comment}')
            else:
                lines.append(f'    _t = {call}{comment}')
                lines.extend(f'    {slot_name[j]} = _t[{i}]' for i, j in enumerate(outs)
                             if self.grad or (id(node), i) in read)
            if memory is not None and memory.free_after.get(k):
                dead = [slot_name[index[key]] for key in memory.free_after[k]
                        if key in index and index[key] >= len(names)]
                if dead:
                    lines.append(f'    del {", ".join(dead)}')
        self.out_index = [index[(id(s), i)] for s, i in self.graph.outputs]
        if self.grad:
            lines.append(f'    return [{", ".join(slot_name)}]')
        else:
            lines.append(f'    return ({"".join(slot_name[j] + "," for j in self.out_index)})')
        if memory is not None and memory.static_buffers:
            for b, (shape, dtype) in enumerate(memory.static_buffers):
                with backend.device_scope(self.ctx):
                    env[f'b{b}'] = self.xp.empty(shape, dtype)
        self.num_inputs = len(names)
        self.source = '\n'.join(lines)
        exec(compile(self.source, '<cached_op plan>', 'exec'), env)   # noqa: S102
        self.fn = env['plan']
        self._requires = {}

    # ------------------------------------------------------------ running
    def run(self, raws):
        if self.xp is np:
            return self.fn(np, *raws)
        with backend.device_scope(self.ctx):
            return self.fn(self.xp, *raws)

    def requires_grad(self, pattern):
        """The positions of the values that depend on an input needing a gradient,
        for ``pattern`` (per input, whether it needs one)."""
        found = self._requires.get(pattern)
        if found is None:
            found = {k for k, need in enumerate(pattern) if need}
            for node, _, ins, outs in self.steps:
                if not node.op.no_grad and any(j in found for j in ins):
                    found.update(outs)
            self._requires[pattern] = found
        return found


class _GraphCall:
    """The tape's view of one recorded run of a plan: an operator whose backward is
    the backward of the whole graph."""
    no_grad = False
    once_differentiable = False
    defaults = {}

    def __init__(self, plan, values, requires):
        self.plan, self.values, self.requires = plan, values, requires
        self.name = 'CachedOp'
        self.num_outputs = len(plan.out_index)

    def full_attrs(self, attrs):
        return {}

    def backward(self, F, dy, x, y):
        from .. import autograd
        plan, values, requires = self.plan, self.values, self.requires
        ctx = plan.ctx
        dys = dy if self.num_outputs != 1 else (dy,)
        grads = {}
        for j, d in zip(plan.out_index, dys):
            if d is not None:
                grads[j] = d if j not in grads else grads[j] + d
        # differentiating the gradient (create_graph) needs the forward on the tape:
        # rebuild it from the kept values, linked to the real inputs
        taped = self._rebuild_tape(x) if _STATE.recording else None
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
                xs = tuple([_wrap_entry(values[j], ctx, _NEEDED if j in requires else None, 0)
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

    def _rebuild_tape(self, x):
        plan, values = self.plan, self.values
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
    over :data:`d2lmini.symbol.passes.ENABLED`). ``single``: return one array rather
    than a list.
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
        grad = _STATE.recording and any(a._node is not None for a in arrays)
        training = _STATE.training
        plan = self.last_plan
        if self.static_shape and plan is not None and self._last_key[:3] == (ctx, training,
                                                                             grad):
            pass
        else:
            key = (ctx, training, grad) + tuple((r.shape, r.dtype) for r in raws)
            if key != self._last_key:
                plan = self.plans.get(key)
                if plan is None:
                    plan = self._build(arrays, ctx, training, grad)
                    self.plans[key] = plan
                self.last_plan, self._last_key = plan, key
        try:
            if grad:
                values = plan.run(raws)
                outs = [_wrap(values[j], ctx) for j in plan.out_index]
                pattern = tuple([a._node is not None for a in arrays])
                call = _GraphCall(plan, values, plan.requires_grad(pattern))
                _record(call, {}, arrays, tuple(raws), outs)
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
                    self.static_alloc)

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
            res = [res] if len(outs) == 1 else list(res)
            for j, r in zip(outs, res):
                values[j] = r
        return MXNetError(f'the compiled graph failed: {exc}')

    def report(self):
        """The passes of the last plan built: one line per pass with the node counts
        and the time."""
        plan = self.last_plan
        if plan is None:
            return 'no plan built yet: call the block once'
        lines = [f'traced graph: {plan.traced_nodes} nodes']
        lines += [f'{r.name:>18}: {r.before:4d} -> {r.after:4d} nodes  {r.seconds * 1e3:7.3f} ms'
                  for r in plan.records]
        return '\n'.join(lines)
