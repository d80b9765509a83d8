"""Symbolic control flow: ``mx.sym.contrib.foreach``, ``while_loop`` and ``cond``.

Each function calls the Python step function once with placeholder variables, which
traces it into a *subgraph*, and adds one node (``_foreach``, ``_while_loop`` or
``_cond``, see :mod:`d2lmini.ops.control_flow`) that runs the subgraph as often as
the data asks, at run time. A symbol the step function uses from outside (a weight,
a value computed before the loop) is cut out of the subgraph and becomes an input of
the node, so the loop reads it like any other operator reads its inputs.

>>> import d2lmini as mx
>>> data, w = mx.sym.var('data'), mx.sym.var('w')
>>> def step(x, states):                      # a running sum, scaled by w
...     total = states[0] + x * w
...     return total, [total]
>>> outs, final = mx.sym.contrib.foreach(step, data, [mx.sym.zeros((2,))])
>>> outs.list_arguments()
['data', 'w']
>>> out = outs.eval(data=mx.nd.array([[1, 2], [3, 4], [5, 6]]), w=mx.nd.array([1, 10]))
>>> out[0].asnumpy().tolist()
[[1.0, 20.0], [4.0, 60.0], [9.0, 120.0]]

Graphs holding control flow run, infer shapes, train and hybridize; saving them as
JSON is not supported yet (a clear error says so).
"""
import itertools

import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError
from ..ops import OPS
from . import graph as _graph
from .symbol import Symbol, _name

_PLACEHOLDER_IDS = itertools.count()


# ---------------------------------------------------------------- subgraphs
class _Subgraph:
    """The graph of a traced step function: ``outputs`` computed from ``inputs``
    (variable nodes, in the order :meth:`call` takes arrays)."""

    def __init__(self, outputs, inputs):
        self.outputs, self.inputs = outputs, inputs
        self.order = _graph.topological_order(outputs)
        self.num_outputs = len(outputs)

    def call(self, arrays, is_train):
        from .executor import run_graph
        values = {id(v): a for v, a in zip(self.inputs, arrays)}
        return run_graph(self.order, self.outputs, values, is_train)

    def infer_shape(self, shapes):
        known = {v.name: s for v, s in zip(self.inputs, shapes) if s is not None}
        found = _graph.infer_shapes(self.outputs, known)
        return [found.get((id(n), i)) for n, i in self.outputs]

    def infer_type(self, types):
        known = {v.name: t for v, t in zip(self.inputs, types) if t is not None}
        found = _graph.infer_types(self.outputs, known)
        return [found.get((id(n), i)) for n, i in self.outputs]


def _entries(value, what):
    """A symbol, or a (nested) list of them, as flat entries and a nesting format."""
    if value is None:
        return [], []
    if isinstance(value, Symbol):
        if len(value) != 1:
            return list(value._entries), len(value)
        return list(value._entries), 0
    if not isinstance(value, (list, tuple)):
        raise TypeError(f'{what} must be a Symbol or a list of Symbols, got '
                        f'{type(value).__name__}')
    flat, fmt = [], []
    for v in value:
        sub, f = _entries(v, what)
        flat.extend(sub)
        fmt.append(f)
    return flat, fmt


def _regroup(entries, fmt):
    """Symbols in the nesting ``fmt`` from flat entries; returns (value, rest)."""
    if isinstance(fmt, int):
        if fmt == 0:
            return Symbol([entries[0]]), entries[1:]
        return Symbol(entries[:fmt]), entries[fmt:]
    out = []
    for f in fmt:
        value, entries = _regroup(entries, f)
        out.append(value)
    return out, entries


def _cut(outputs, placeholders):
    """Split the traced graph at the placeholders: the subgraph of the nodes that
    depend on them, and the outside entries it reads (each becomes an extra input).
    Returns ``(subgraph outputs, subgraph inputs, outside entries)``."""
    order = _graph.topological_order(outputs)
    inside = {id(p) for p in placeholders}
    for node in order:
        if node.op is not None and any(id(src) in inside for src, _ in node.inputs):
            inside.add(id(node))
    outside, free_vars, copies = [], {}, {id(p): p for p in placeholders}

    def free(entry):
        key = (id(entry[0]), entry[1])
        if key not in free_vars:
            src, i = entry
            name = src.name if src.op is None else f'{src.name}_output{i}'
            free_vars[key] = _graph.Node(None, name, extra=dict(src.extra)
                                         if src.op is None else {})
            outside.append(entry)
        return (free_vars[key], 0)

    for node in order:
        if node.op is None or id(node) not in inside:
            continue
        inputs = [(copies[id(src)], i) if id(src) in inside else free((src, i))
                  for src, i in node.inputs]
        copies[id(node)] = _graph.Node(node.op, node.name, node.attrs, inputs, node.extra)
    sub_outputs = [(copies[id(n)], i) if id(n) in inside else free((n, i)) for n, i in outputs]
    sub_inputs = list(placeholders) + [free_vars[(id(s), i)] for s, i in outside]
    return sub_outputs, sub_inputs, outside


def _placeholders(prefix, count):
    n = next(_PLACEHOLDER_IDS)
    return [_graph.Node(None, f'{prefix}{n}_{i}') for i in range(count)]


def _ctx_of(raw):
    from ..context import cpu, gpu
    if isinstance(raw, np.ndarray):
        return cpu()
    return gpu(raw.device.id)


# ---------------------------------------------------------------- programs
class _Program:
    """What a control-flow node runs. Subclasses say how (``_run_arrays``)."""

    def run(self, raws, is_train):
        """The node's outputs as raw arrays, from raw input arrays."""
        ctx = _ctx_of(raws[0]) if raws else None
        arrays = [nd.ndarray._wrap(r, _ctx_of(r)) for r in raws]
        with autograd.pause(train_mode=is_train):
            outs = self._run_arrays(arrays, is_train, ctx)
        return [o._data for o in outs]

    def vjp(self, xs, dys, is_train):
        """The gradients of the inputs, given the outputs' (``dys``)."""
        leaves = [x.detach() for x in xs]
        for leaf in leaves:
            leaf.attach_grad()
        with autograd.record(train_mode=is_train):
            outs = self._run_arrays(leaves, is_train, leaves[0].context if leaves else None)
        autograd.backward(outs, dys, train_mode=is_train)
        return [leaf.grad for leaf in leaves]

    kind = 'control-flow'

    def __repr__(self):
        return (f'<the subgraph of a {self.kind} node: graphs with control flow cannot be '
                'saved as JSON yet>')


class _ForeachProgram(_Program):
    kind = 'foreach'

    def __init__(self, body, num_data, num_states, num_out_data):
        self.body = body
        self.num_data, self.num_states, self.num_out_data = num_data, num_states, num_out_data

    def _run_arrays(self, arrays, is_train, ctx):
        data = arrays[:self.num_data]
        states = arrays[self.num_data:self.num_data + self.num_states]
        free = arrays[self.num_data + self.num_states:]
        steps = data[0].shape[0] if data else 0
        if any(d.shape[0] != steps for d in data):
            raise MXNetError('foreach: the data inputs must have the same length on axis 0, '
                             f'got {[d.shape[0] for d in data]}')
        columns = [[] for _ in range(self.num_out_data)]
        for t in range(steps):
            outs = self.body.call([d[t] for d in data] + list(states) + list(free), is_train)
            for column, o in zip(columns, outs[:self.num_out_data]):
                column.append(o)
            states = outs[self.num_out_data:]
        return [nd.stack(*column, axis=0) for column in columns] + list(states)

    def infer_shape(self, shapes):
        data = shapes[:self.num_data]
        if any(s is None for s in data):
            raise MXNetError('foreach: the shape of the data is not known')
        step = [tuple(s[1:]) for s in data] + shapes[self.num_data:]
        outs = self.body.infer_shape(step)
        if any(o is None for o in outs):
            raise MXNetError('foreach: cannot infer the shapes of the step function')
        steps = data[0][0]
        return [(steps,) + tuple(o) for o in outs[:self.num_out_data]] + \
            [tuple(o) for o in outs[self.num_out_data:]]

    def infer_type(self, types):
        return [t or np.dtype(np.float32) for t in self.body.infer_type(types)]


class _WhileProgram(_Program):
    kind = 'while_loop'

    def __init__(self, cond, func, num_vars, num_out_data, max_iterations):
        self.cond, self.func = cond, func
        self.num_vars, self.num_out_data = num_vars, num_out_data
        self.max_iterations = max_iterations

    def _run_arrays(self, arrays, is_train, ctx):
        loop_vars = list(arrays[:self.num_vars])
        free = list(arrays[self.num_vars:])
        columns = [[] for _ in range(self.num_out_data)]
        steps = 0
        while steps < self.max_iterations and \
                bool(self.cond.call(loop_vars + free, is_train)[0].asscalar()):
            outs = self.func.call(loop_vars + free, is_train)
            for column, o in zip(columns, outs[:self.num_out_data]):
                column.append(o)
            loop_vars = list(outs[self.num_out_data:])
            steps += 1
        stacked = []
        for column in columns:
            if not column:
                raise MXNetError('while_loop: the loop ran no step, so the shape of its '
                                 'outputs is not known')
            rows = [o.expand_dims(0) for o in column]
            if steps < self.max_iterations:   # padded to max_iterations rows, with zeros
                rows.append(nd.zeros((self.max_iterations - steps,) + column[0].shape,
                                     ctx=column[0].context, dtype=column[0].dtype))
            stacked.append(nd.concat(*rows, dim=0))
        return stacked + loop_vars

    def infer_shape(self, shapes):
        outs = self.func.infer_shape(shapes)
        if any(o is None for o in outs):
            raise MXNetError('while_loop: cannot infer the shapes of the step function')
        return [(self.max_iterations,) + tuple(o) for o in outs[:self.num_out_data]] + \
            [tuple(s) for s in shapes[:self.num_vars]]

    def infer_type(self, types):
        return [t or np.dtype(np.float32) for t in self.func.infer_type(types)]


class _CondProgram(_Program):
    kind = 'cond'

    def __init__(self, then_graph, else_graph, num_then, num_else):
        self.then_graph, self.else_graph = then_graph, else_graph
        self.num_then, self.num_else = num_then, num_else

    def _branch(self, arrays):
        pred, rest = arrays[0], arrays[1:]
        if pred.size != 1:
            raise MXNetError(f'cond: the condition must have one element, got shape '
                             f'{pred.shape}')
        then_inputs, else_inputs = rest[:self.num_then], rest[self.num_then:]
        return (self.then_graph, then_inputs) if bool(pred.asscalar()) else \
            (self.else_graph, else_inputs)

    def _run_arrays(self, arrays, is_train, ctx):
        graph, inputs = self._branch(arrays)
        return graph.call(list(inputs), is_train)

    def infer_shape(self, shapes):
        rest = shapes[1:]
        then = self.then_graph.infer_shape(rest[:self.num_then])
        other = self.else_graph.infer_shape(rest[self.num_then:])
        for a, b in zip(then, other):
            if a is not None and b is not None and tuple(a) != tuple(b):
                raise MXNetError(f'cond: the branches give outputs of different shapes, '
                                 f'{tuple(a)} and {tuple(b)}')
        out = [a if a is not None else b for a, b in zip(then, other)]
        if any(o is None for o in out):
            raise MXNetError('cond: cannot infer the shapes of the branches')
        return [tuple(o) for o in out]

    def infer_type(self, types):
        rest = types[1:]
        then = self.then_graph.infer_type(rest[:self.num_then])
        return [t or np.dtype(np.float32) for t in then]


def _node(op_name, name, hint, inputs, program, num_outputs):
    name = _name.current().get(name, hint)
    node = _graph.Node(OPS[op_name], name,
                       {'program': program, 'num_args': len(inputs),
                        'num_outputs': num_outputs}, inputs)
    return Symbol([(node, i) for i in range(num_outputs)])


# ---------------------------------------------------------------- the API
def foreach(body, data, init_states, name='foreach'):
    """Run ``body(item, states) -> (outputs, new_states)`` over the first axis of
    ``data`` (a Symbol or a list of them), as a graph node: the number of steps is
    the data's length when the graph runs. Returns the outputs of every step stacked
    along a new first axis, and the final states, as MXNet's
    ``mx.sym.contrib.foreach``."""
    data_entries, data_fmt = _entries(data, 'foreach data')
    state_entries, state_fmt = _entries(init_states, 'foreach init_states')
    if not data_entries:
        raise ValueError('foreach: data must hold at least one Symbol')
    holders = _placeholders(f'{name}_data', len(data_entries))
    state_holders = _placeholders(f'{name}_state', len(state_entries))
    item, _ = _regroup([(h, 0) for h in holders], data_fmt)
    states, _ = _regroup([(h, 0) for h in state_holders], state_fmt) if state_entries \
        else ([], [])
    result = body(item, states)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise ValueError('foreach: body must return (outputs, new_states)')
    out_entries, out_fmt = _entries(result[0], 'foreach output')
    new_entries, _ = _entries(result[1], 'foreach new_states')
    if len(new_entries) != len(state_entries):
        raise ValueError(f'foreach: body returned {len(new_entries)} states for '
                         f'{len(state_entries)} initial states')
    sub_out, sub_in, outside = _cut(out_entries + new_entries, holders + state_holders)
    program = _ForeachProgram(_Subgraph(sub_out, sub_in), len(holders), len(state_holders),
                              len(out_entries))
    node = _node('_foreach', None if name == 'foreach' else name, '_foreach',
                 data_entries + state_entries + outside, program,
                 len(out_entries) + len(new_entries))
    entries = node._entries
    outputs, _ = _regroup(entries[:len(out_entries)], out_fmt) if out_entries else ([], [])
    final, _ = _regroup(entries[len(out_entries):], state_fmt) if state_entries else ([], [])
    return outputs, final


def while_loop(cond, func, loop_vars, max_iterations=None, name='while_loop'):
    """Repeat ``func(*loop_vars) -> (step_output, new_loop_vars)`` while
    ``cond(*loop_vars)`` holds, at most ``max_iterations`` times, as a graph node.
    Returns the step outputs stacked along a new first axis and padded with zeros to
    ``max_iterations`` rows, and the final loop variables, as MXNet's
    ``mx.sym.contrib.while_loop``."""
    if max_iterations is None:
        raise ValueError('max_iterations should be specified')
    single = isinstance(loop_vars, Symbol)
    var_entries, var_fmt = _entries(loop_vars if not single else [loop_vars],
                                    'while_loop loop_vars')
    if not var_entries:
        raise ValueError('loop_vars should contain at least one element')
    holders = _placeholders(f'{name}_var', len(var_entries))
    symbols = [Symbol([(h, 0)]) for h in holders]
    cond_entries, _ = _entries(cond(*symbols), 'while_loop cond')
    result = func(*symbols)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise ValueError('while_loop: func must return (step_output, new_loop_vars)')
    out_entries, out_fmt = _entries(result[0], 'while_loop step_output')
    new_entries, _ = _entries(result[1] if not isinstance(result[1], Symbol) else [result[1]],
                              'while_loop new_loop_vars')
    if len(new_entries) != len(var_entries):
        raise ValueError('The length of loop_vars should be consistent during the loop')
    # one cut for both functions, so they read the same outside inputs
    sub_out, sub_in, outside = _cut(cond_entries + out_entries + new_entries, holders)
    cond_graph = _Subgraph(sub_out[:1], sub_in)
    func_graph = _Subgraph(sub_out[1:], sub_in)
    program = _WhileProgram(cond_graph, func_graph, len(holders), len(out_entries),
                            int(max_iterations))
    node = _node('_while_loop', None if name == 'while_loop' else name, '_while_loop',
                 var_entries + outside, program, len(out_entries) + len(new_entries))
    entries = node._entries
    outputs, _ = _regroup(entries[:len(out_entries)], out_fmt) if out_entries else ([], [])
    final = [Symbol([e]) for e in entries[len(out_entries):]]
    return outputs, (final[0] if single else final)


def cond(pred, then_func, else_func, name='cond'):
    """``then_func()`` where ``pred`` (a one-element Symbol) is true, else
    ``else_func()``, as a graph node that runs only the branch taken, as MXNet's
    ``mx.sym.contrib.cond``."""
    pred_entries, _ = _entries(pred, 'cond pred')
    if len(pred_entries) != 1:
        raise ValueError('cond: pred must be a single Symbol')
    then_entries, then_fmt = _entries(then_func(), 'cond then_func output')
    else_entries, _ = _entries(else_func(), 'cond else_func output')
    if len(then_entries) != len(else_entries):
        raise ValueError(f'cond: then_func gives {len(then_entries)} outputs and else_func '
                         f'{len(else_entries)}; they must give as many')
    then_out, then_in, then_outside = _cut(then_entries, [])
    else_out, else_in, else_outside = _cut(else_entries, [])
    program = _CondProgram(_Subgraph(then_out, then_in), _Subgraph(else_out, else_in),
                           len(then_in), len(else_in))
    node = _node('_cond', None if name == 'cond' else name, '_cond',
                 pred_entries + then_outside + else_outside, program, len(then_entries))
    value, _ = _regroup(node._entries, then_fmt)
    return value


__all__ = ['foreach', 'while_loop', 'cond']
