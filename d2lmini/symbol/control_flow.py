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

Graphs holding control flow run, infer shapes, train, hybridize, and are saved and
read in MXNet's JSON form (a node with its subgraphs), so that MXNet loads them and
d2lmini loads MXNet's.
"""
import itertools
import json

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
    """The graph of a traced step function: ``outputs`` computed from ``inputs``,
    the variable nodes in the order :meth:`call` takes arrays (the node's inputs; a
    position the subgraph does not read holds None)."""

    def __init__(self, outputs, inputs):
        self.outputs, self.inputs = outputs, inputs
        self.order = _graph.topological_order(outputs)
        self.num_outputs = len(outputs)

    def call(self, arrays, is_train):
        from .executor import run_graph
        values = {id(v): a for v, a in zip(self.inputs, arrays) if v is not None}
        return run_graph(self.order, self.outputs, values, is_train)

    def infer_shape(self, shapes):
        known = {v.name: s for v, s in zip(self.inputs, shapes)
                 if v is not None and s is not None}
        found = _graph.infer_shapes(self.outputs, known)
        return [found.get((id(n), i)) for n, i in self.outputs]

    def infer_partial(self, shapes):
        """``(input shapes, output shapes)`` from the input shapes known so far (None,
        or a shape with an unknown 0 dimension, where not known): inference runs
        through the subgraph both ways, so a state or a weight the step function
        reads gets its shape from the data, as MXNet 1.x infers it."""
        known = {v.name: tuple(s) for v, s in zip(self.inputs, shapes)
                 if v is not None and s is not None and not _graph.has_unknown_dim(s)}
        found = _graph.infer_shapes(self.outputs, known)
        ins = [s if v is None or (s is not None and not _graph.has_unknown_dim(s))
               else found.get((id(v), 0)) or s for v, s in zip(self.inputs, shapes)]
        return ins, [found.get((id(n), i)) for n, i in self.outputs]

    def infer_type(self, types):
        known = {v.name: t for v, t in zip(self.inputs, types)
                 if v is not None and t is not None}
        found = _graph.infer_types(self.outputs, known)
        return [found.get((id(n), i)) for n, i in self.outputs]

    # MXNet's JSON form: the subgraph as a graph of its own, whose inputs (its
    # variables, in depth-first order) are tied to the node's inputs by position
    def variables(self):
        return [n for n in self.order if n.op is None]

    def input_locs(self):
        """For each variable of the subgraph, in its own order, the position of the
        node input it reads."""
        where = {id(v): k for k, v in enumerate(self.inputs) if v is not None}
        return [where[id(v)] for v in self.variables()]

    def to_doc(self):
        return json.loads(Symbol(self.outputs).tojson())

    @classmethod
    def from_doc(cls, doc, locs, num_inputs, what):
        """The subgraph of an MXNet JSON node, its variables placed at ``locs``."""
        from .symbol import fromjson
        sub = fromjson(json.dumps(doc))
        variables = [n for n in _graph.topological_order(sub._entries) if n.op is None]
        if len(variables) != len(locs) or any(not 0 <= k < num_inputs for k in locs):
            raise MXNetError(f'{what}: the subgraph has {len(variables)} inputs, but the '
                             f'node ties {list(locs)} of its {num_inputs} inputs to them')
        inputs = [None] * num_inputs
        for v, k in zip(variables, locs):
            inputs[k] = v
        return cls(list(sub._entries), inputs)


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


def _cut(outputs, placeholders, first_serial):
    """Split the graph a traced function made: its subgraph holds the operator nodes
    it created (serial ``first_serial`` or later) and those that depend on the
    placeholders; every other entry it reads (a variable, a value computed before) is
    an outside input. Returns ``(subgraph outputs, subgraph inputs, outside
    entries)``."""
    order = _graph.topological_order(outputs)
    inside = {id(p) for p in placeholders}
    for node in order:
        if node.op is not None and (node.serial >= first_serial or
                                    any(id(src) in inside for src, _ in node.inputs)):
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
    # an output that is an input as it is goes through an identity node, as in MXNet
    # (whose executor cannot give a subgraph's input as its output)
    sub_outputs = [(_graph.Node(OPS['_copy'], f'{src.name}_identity', {}, [(src, i)]), 0)
                   if src.op is None else (src, i) for src, i in sub_outputs]
    # the outside inputs in the order the subgraph's variables come (depth first), the
    # order MXNet gives them
    rank = {id(n): k for k, n in enumerate(_graph.topological_order(sub_outputs))}
    outside.sort(key=lambda e: rank.get(id(free_vars[(id(e[0]), e[1])]), len(rank)))
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
        # an output that depends on no input (a constant the body makes) sends nothing
        heads = [(o, d) for o, d in zip(outs, dys) if o._node is not None]
        if heads:
            autograd.backward([o for o, _ in heads], [d for _, d in heads],
                              train_mode=is_train)
        return [leaf.grad for leaf in leaves]

    kind = 'control-flow'

    def __repr__(self):
        return f'<the subgraphs of a {self.kind} node>'


def _unread_error(kind, what):
    return MXNetError(f'{kind}: the {what} does not read every input the node gives it, '
                      "so the graph cannot be written in MXNet's JSON form")


def _item_shape(shape):
    """The shape of one step's slice of data of ``shape``: MXNet 1.x has no 0-d
    arrays, so an item of 1-d data has shape (1,), as ``data[i]`` has."""
    return tuple(shape[1:]) or (1,)


class _ForeachProgram(_Program):
    """A loop over the first axis of the data. The node's inputs are the data, the
    initial states and the outside values the body reads, in that order; the body's
    inputs line up with them."""
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
        step = [_item_shape(s) for s in data] + shapes[self.num_data:]
        outs = self.body.infer_shape(step)
        if any(o is None for o in outs):
            raise MXNetError('foreach: cannot infer the shapes of the step function')
        steps = data[0][0]
        return [(steps,) + tuple(o) for o in outs[:self.num_out_data]] + \
            [tuple(o) for o in outs[self.num_out_data:]]

    def infer_partial(self, shapes, out_shapes):
        """Input and output shapes from those known on either side (see
        :meth:`_Subgraph.infer_partial`); the number of steps may stay unknown (0)."""
        d, s = self.num_data, self.num_data + self.num_states
        data = shapes[:d]
        step = [None if x is None else _item_shape(x) for x in data] + list(shapes[d:])
        # a state keeps its shape from step to step: a final state's known shape is
        # also the initial state's
        for k, out in enumerate(out_shapes[self.num_out_data:]):
            if step[d + k] is None and out is not None:
                step[d + k] = tuple(out)
        ins, outs = self.body.infer_partial(step)
        for k, out in enumerate(outs[self.num_out_data:]):
            if ins[d + k] is None and out is not None:
                ins[d + k] = tuple(out)
        steps = next((x[0] for x in data if x is not None and x[0]), None)
        if steps is None:
            steps = next((o[0] for o in out_shapes[:self.num_out_data] if o is not None), 0)
        new_in = [None if x is None and ins[k] is None else
                  (x if x is not None else (steps,) + tuple(ins[k]))
                  for k, x in enumerate(data)] + ins[d:]
        new_out = [None if o is None else (steps,) + tuple(o)
                   for o in outs[:self.num_out_data]] + \
            [None if o is None else tuple(o) for o in outs[self.num_out_data:]]
        return new_in, new_out

    def infer_type(self, types):
        return [t or np.dtype(np.float32) for t in self.body.infer_type(types)]

    def mxnet_form(self):
        """The attributes and subgraphs of the node in MXNet's JSON."""
        position = {id(v): j for j, v in enumerate(self.body.variables())}
        locs = [position.get(id(v)) for v in self.body.inputs]
        if None in locs:
            raise _unread_error('foreach', 'loop body')
        d, s = self.num_data, self.num_data + self.num_states
        attrs = {'in_data_locs': locs[:d], 'in_state_locs': locs[d:s], 'remain_locs': locs[s:],
                 'num_out_data': self.num_out_data}
        return attrs, [self.body.to_doc()]

    @classmethod
    def from_mxnet(cls, attrs, docs, num_inputs):
        data, states = _locs(attrs, 'in_data_locs'), _locs(attrs, 'in_state_locs')
        locs = data + states + _locs(attrs, 'remain_locs')
        if len(locs) != num_inputs:
            raise MXNetError(f'_foreach: {len(locs)} input positions for {num_inputs} inputs')
        node_of_var = [None] * len(locs)
        for k, j in enumerate(locs):
            node_of_var[j] = k
        body = _Subgraph.from_doc(docs[0], node_of_var, num_inputs, '_foreach')
        return cls(body, len(data), len(states), int(attrs['num_out_data']))


class _WhileProgram(_Program):
    """A loop that runs while a condition holds. The loop variables are the node's
    inputs at ``var_positions``; the other inputs are outside values the functions
    read."""
    kind = 'while_loop'

    def __init__(self, cond, func, var_positions, num_out_data, max_iterations):
        self.cond, self.func = cond, func
        self.var_positions, self.num_out_data = list(var_positions), num_out_data
        self.max_iterations = max_iterations

    def _run_arrays(self, arrays, is_train, ctx):
        current = list(arrays)
        columns = [[] for _ in range(self.num_out_data)]
        steps = 0
        while steps < self.max_iterations and \
                bool(self.cond.call(current, is_train)[0].asscalar()):
            outs = self.func.call(current, is_train)
            for column, o in zip(columns, outs[:self.num_out_data]):
                column.append(o)
            for p, value in zip(self.var_positions, outs[self.num_out_data:]):
                current[p] = value
            steps += 1
        stacked = []
        if steps == 0 and columns:
            # no step ran: the outputs are max_iterations rows of zeros, of the shapes
            # and dtypes the step function would give (MXNet leaves them undefined)
            shapes = self.func.infer_shape([tuple(a.shape) for a in arrays])
            dtypes = self.func.infer_type([a.dtype for a in arrays])
            if any(shape is None for shape in shapes[:self.num_out_data]):
                raise MXNetError('while_loop: the loop ran no step and the shapes of its '
                                 'outputs cannot be inferred')
            return [nd.zeros((self.max_iterations,) + tuple(shape), ctx=ctx,
                             dtype=dtype or np.float32)
                    for shape, dtype in zip(shapes, dtypes[:self.num_out_data])] + \
                [current[p] for p in self.var_positions]
        for column in columns:
            rows = [o.expand_dims(0) for o in column]
            if steps < self.max_iterations:   # padded to max_iterations rows, with zeros
                rows.append(nd.zeros((self.max_iterations - steps,) + column[0].shape,
                                     ctx=column[0].context, dtype=column[0].dtype))
            stacked.append(nd.concat(*rows, dim=0))
        return stacked + [current[p] for p in self.var_positions]

    def infer_shape(self, shapes):
        outs = self.func.infer_shape(shapes)
        if any(o is None for o in outs[:self.num_out_data]):
            raise MXNetError('while_loop: cannot infer the shapes of the step function')
        return [(self.max_iterations,) + tuple(o) for o in outs[:self.num_out_data]] + \
            [tuple(shapes[p]) for p in self.var_positions]

    def infer_partial(self, shapes, out_shapes):
        """Input and output shapes from those known on either side; a loop variable
        keeps its shape from step to step."""
        shapes = list(shapes)
        for p, out in zip(self.var_positions, out_shapes[self.num_out_data:]):
            if shapes[p] is None and out is not None:
                shapes[p] = tuple(out)
        ins, outs = self.func.infer_partial(shapes)
        for p, out in zip(self.var_positions, outs[self.num_out_data:]):
            if ins[p] is None and out is not None:
                ins[p] = tuple(out)
        ins, _ = self.cond.infer_partial(ins)
        new_out = [None if o is None else (self.max_iterations,) + tuple(o)
                   for o in outs[:self.num_out_data]] + \
            [None if ins[p] is None else tuple(ins[p]) for p in self.var_positions]
        return ins, new_out

    def infer_type(self, types):
        outs = self.func.infer_type(types)[:self.num_out_data]
        return [t or np.dtype(np.float32) for t in outs] + \
            [types[p] or np.dtype(np.float32) for p in self.var_positions]

    def mxnet_form(self):
        func_vars = {id(v): j for j, v in enumerate(self.func.variables())}
        var_locs = [func_vars.get(id(self.func.inputs[p])) for p in self.var_positions]
        if None in var_locs:
            raise _unread_error('while_loop', 'loop function')
        attrs = {'cond_input_locs': self.cond.input_locs(),
                 'func_input_locs': self.func.input_locs(), 'func_var_locs': var_locs,
                 'max_iterations': self.max_iterations, 'num_out_data': self.num_out_data}
        return attrs, [self.cond.to_doc(), self.func.to_doc()]

    @classmethod
    def from_mxnet(cls, attrs, docs, num_inputs):
        func_locs = _locs(attrs, 'func_input_locs')
        cond = _Subgraph.from_doc(docs[0], _locs(attrs, 'cond_input_locs'), num_inputs,
                                  '_while_loop')
        func = _Subgraph.from_doc(docs[1], func_locs, num_inputs, '_while_loop')
        positions = [func_locs[j] for j in _locs(attrs, 'func_var_locs')]
        return cls(cond, func, positions, int(attrs['num_out_data']),
                   int(attrs['max_iterations']))


class _CondProgram(_Program):
    """One of two branches, chosen by a condition computed by a third subgraph; all
    three read the node's inputs."""
    kind = 'cond'

    def __init__(self, pred_graph, then_graph, else_graph):
        self.pred_graph, self.then_graph, self.else_graph = pred_graph, then_graph, else_graph

    def _run_arrays(self, arrays, is_train, ctx):
        pred = self.pred_graph.call(arrays, is_train)[0]
        if pred.size != 1:
            raise MXNetError(f'cond: the condition must have one element, got shape '
                             f'{pred.shape}')
        branch = self.then_graph if bool(pred.asscalar()) else self.else_graph
        return branch.call(arrays, is_train)

    def infer_shape(self, shapes):
        then = self.then_graph.infer_shape(shapes)
        other = self.else_graph.infer_shape(shapes)
        for a, b in zip(then, other):
            if a is not None and b is not None and tuple(a) != tuple(b):
                raise MXNetError(f'cond: the branches give outputs of different shapes, '
                                 f'{tuple(a)} and {tuple(b)}')
        out = [a if a is not None else b for a, b in zip(then, other)]
        if any(o is None for o in out):
            raise MXNetError('cond: cannot infer the shapes of the branches')
        return [tuple(o) for o in out]

    def infer_partial(self, shapes, out_shapes):
        """Input and output shapes from those known: each branch tells what it can."""
        ins, _ = self.pred_graph.infer_partial(shapes)
        ins, then = self.then_graph.infer_partial(ins)
        ins, other = self.else_graph.infer_partial(ins)
        outs = [a if a is not None else (b if b is not None else o)
                for a, b, o in zip(then, other, out_shapes)]
        return ins, [None if o is None else tuple(o) for o in outs]

    def infer_type(self, types):
        return [t or np.dtype(np.float32) for t in self.then_graph.infer_type(types)]

    def mxnet_form(self):
        attrs = {'cond_input_locs': self.pred_graph.input_locs(),
                 'then_input_locs': self.then_graph.input_locs(),
                 'else_input_locs': self.else_graph.input_locs()}
        return attrs, [g.to_doc() for g in (self.pred_graph, self.then_graph,
                                             self.else_graph)]

    @classmethod
    def from_mxnet(cls, attrs, docs, num_inputs):
        graphs = [_Subgraph.from_doc(doc, _locs(attrs, key), num_inputs, '_cond')
                  for doc, key in zip(docs, ('cond_input_locs', 'then_input_locs',
                                             'else_input_locs'))]
        return cls(*graphs)


class _CachedOpProgram(_Program):
    """A hybridized block's graph, as one ``_CachedOp`` node runs it: the graph's
    variables read the node's inputs in the order the block passes them (its data,
    then its parameters)."""
    kind = '_CachedOp'

    def __init__(self, graph, output_names):
        self.graph, self.output_names = graph, list(output_names)

    def _run_arrays(self, arrays, is_train, ctx):
        return self.graph.call(arrays, is_train)

    def infer_shape(self, shapes):
        out = self.graph.infer_shape(shapes)
        if any(o is None for o in out):
            raise MXNetError("_CachedOp: cannot infer the shapes of the block's outputs")
        return [tuple(o) for o in out]

    def infer_partial(self, shapes, out_shapes):
        ins, outs = self.graph.infer_partial(shapes)
        return ins, [o if o is not None else k for o, k in zip(outs, out_shapes)]

    def infer_type(self, types):
        return [t or np.dtype(np.float32) for t in self.graph.infer_type(types)]

    def mxnet_form(self):
        # MXNet 1.x writes no graph in such a node; d2lmini writes it as a subgraph,
        # so that the file can be read back and run
        return {'input_locs': self.graph.input_locs()}, [self.graph.to_doc()]

    @classmethod
    def from_mxnet(cls, attrs, docs, num_inputs):
        graph = _Subgraph.from_doc(docs[0], _locs(attrs, 'input_locs'), num_inputs,
                                   '_CachedOp')
        return cls(graph, Symbol(graph.outputs).list_outputs())


def cached_op_node(symbol, names, inputs):
    """The entries of one ``_CachedOp`` node (named later) that runs a copy of the
    traced graph ``symbol`` on ``inputs`` (entries, in the order of the graph's
    variables ``names``)."""
    graph = symbol.__copy__()
    variables = {n.name: n for n in _graph.topological_order(graph._entries) if n.op is None}
    program = _CachedOpProgram(_Subgraph(list(graph._entries),
                                         [variables.get(n) for n in names]),
                               graph.list_outputs())
    node = _graph.Node(OPS['_CachedOp'], None,
                       {'program': program, 'num_args': len(inputs),
                        'num_outputs': len(graph._entries)}, inputs)
    return [(node, i) for i in range(len(graph._entries))]


def _locs(attrs, key):
    try:
        value = attrs[key]
        return [int(k) for k in (json.loads(value) if isinstance(value, str) else value)]
    except (KeyError, ValueError, TypeError):
        raise MXNetError(f'a control-flow node needs the attribute {key} (a list of input '
                         'positions)') from None


_PROGRAMS = {'_foreach': _ForeachProgram, '_while_loop': _WhileProgram, '_cond': _CondProgram,
             '_CachedOp': _CachedOpProgram}


def read_node(op_name, name, attrs, inputs, docs):
    """The node of an MXNet JSON graph that holds subgraphs (``foreach``,
    ``while_loop``, ``cond``)."""
    if op_name not in _PROGRAMS:
        raise MXNetError(f"node '{name}' ({op_name}) holds subgraphs, which d2lmini reads "
                         f'only for {sorted(_PROGRAMS)}')
    program = _PROGRAMS[op_name].from_mxnet(attrs, docs, len(inputs))
    num_outputs = int(attrs.get('num_outputs', 1))
    return _graph.Node(OPS[op_name], name, {'program': program, 'num_args': len(inputs),
                                            'num_outputs': num_outputs}, inputs)


def write_node(node):
    """``(attribute strings, subgraph documents)`` of a control-flow node."""
    attrs, docs = node.attrs['program'].mxnet_form()
    attrs = {k: str(v) for k, v in attrs.items()}
    attrs['num_args'] = str(len(node.inputs) + len(docs))
    attrs['num_outputs'] = str(node.attrs['num_outputs'])
    return attrs, docs


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
    first = _graph.Node(None, '').serial
    result = body(item, states)
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise ValueError('foreach: body must return (outputs, new_states)')
    out_entries, out_fmt = _entries(result[0], 'foreach output')
    new_entries, _ = _entries(result[1], 'foreach new_states')
    if len(new_entries) != len(state_entries):
        raise ValueError(f'foreach: body returned {len(new_entries)} states for '
                         f'{len(state_entries)} initial states')
    sub_out, sub_in, outside = _cut(out_entries + new_entries, holders + state_holders, first)
    body = _Subgraph(sub_out, sub_in)
    # MXNet's node ties every data and state input to a variable of the body, so it
    # refuses, as here, a body that leaves one unread
    read = {id(v) for v in body.variables()}
    if any(id(h) not in read for h in holders):
        raise AssertionError('the data arrays have to be used in the loop body')
    if any(id(h) not in read for h in state_holders):
        raise AssertionError('the state arrays have to be used in the loop body')
    program = _ForeachProgram(body, len(holders), len(state_holders), len(out_entries))
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
    first = _graph.Node(None, '').serial
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
    sub_out, sub_in, outside = _cut(cond_entries + out_entries + new_entries, holders, first)
    # the node's inputs as MXNet orders them: the condition's variables, then the
    # function's others (a loop variable neither reads comes last)
    entry_of = dict(zip(map(id, sub_in), var_entries + outside))
    order = []
    for v in (_Subgraph(sub_out[:1], sub_in).variables() +
              _Subgraph(sub_out[1:], sub_in).variables() + holders):
        if all(v is not u for u in order):
            order.append(v)
    program = _WhileProgram(_Subgraph(sub_out[:1], order), _Subgraph(sub_out[1:], order),
                            [order.index(h) for h in holders], len(out_entries),
                            int(max_iterations))
    node = _node('_while_loop', None if name == 'while_loop' else name, '_while_loop',
                 [entry_of[id(v)] for v in order], program,
                 len(out_entries) + len(new_entries))
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
    first_then = _graph.Node(None, '').serial
    then_entries, then_fmt = _entries(then_func(), 'cond then_func output')
    first_else = _graph.Node(None, '').serial
    else_entries, _ = _entries(else_func(), 'cond else_func output')
    if len(then_entries) != len(else_entries):
        raise ValueError(f'cond: then_func gives {len(then_entries)} outputs and else_func '
                         f'{len(else_entries)}; they must give as many')
    then_out, then_in, then_outside = _cut(then_entries, [], first_then)
    else_out, else_in, else_outside = _cut(else_entries, [], first_else)
    # the node reads the condition, then the outside values of both branches, each
    # once; every subgraph sees all of them, at the same positions
    pred_var = _graph.Node(None, f'{pred_entries[0][0].name}_output')
    pred_out = [(_graph.Node(OPS['_copy'], 'identity', {}, [(pred_var, 0)]), 0)]
    node_inputs = list(pred_entries)
    position = {}
    for entry in then_outside + else_outside:
        key = (id(entry[0]), entry[1])
        if key not in position:
            position[key] = len(node_inputs)
            node_inputs.append(entry)

    def aligned(inputs, outside):
        slots = [None] * len(node_inputs)
        for var, entry in zip(inputs, outside):
            slots[position[(id(entry[0]), entry[1])]] = var
        return slots
    program = _CondProgram(
        _Subgraph(pred_out, [pred_var] + [None] * (len(node_inputs) - 1)),
        _Subgraph(then_out, aligned(then_in, then_outside)),
        _Subgraph(else_out, aligned(else_in, else_outside)))
    node = _node('_cond', None if name == 'cond' else name, '_cond', node_inputs, program,
                 len(then_entries))
    value, _ = _regroup(node._entries, then_fmt)
    return value


__all__ = ['foreach', 'while_loop', 'cond']
