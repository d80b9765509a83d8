"""The gradient graph: the backward of a whole graph, as a graph of its own.

Autograd differentiates one operator at a time: for each node, in reverse, it
calls the registered ``backward(F, dy, x, y, **attrs)`` with ``F = nd`` on
NDArrays. Those backward functions are written with ``F``, so called with
``F = sym`` on symbols they do not compute gradients: they *add the nodes that
compute them* to a graph. Walking a traced graph in reverse this way builds its
gradient graph, which the compiler passes then rewrite like any other
(dead-code elimination, common subexpressions, element-wise fusion: sigmoid's
backward ``dy * y * (1 - y)`` becomes one kernel) and the plan compiles to raw
operator calls.

The gradient graph's variables are the output gradients (``dy0``, ``dy1``, ...)
and the forward values the backward functions read (``v3`` is value 3 of the
forward plan); its outputs are the gradients of the forward graph's inputs, one
per input that needs one. A backward function sees the forward values as
:class:`Traced` symbols, which know what the forward plan's inference found
(``shape``, ``dtype``) and, through ``needs_grad``, whether the value depends on
an input that needs a gradient, exactly as it would on NDArrays; the symbols it
makes know theirs too (each new node is inferred as it is made).

A backward that cannot be traced (it reads values, or calls something that has
no symbolic form) raises :class:`NotTraceable`, naming the node: the caller then
differentiates that graph operator by operator, as autograd does.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> g = Graph.from_symbol(mx.sym.sigmoid(mx.sym.var('x'), name='act'), {'x': (3,)})
>>> index, steps = layout(g, ['x'])
>>> grad = gradient_graph(g, ['x'], {0, 1}, index, steps)
>>> [n.name for n in grad.graph.nodes]
['dy0', 'v1', 'broadcast_mul0', '_rminus_scalar0', 'broadcast_mul1']
>>> grad.grad_of            # input 0 ('x') gets graph output 0
[0]
"""
import numpy as np

from ...base import MXNetError
from ... import name as _name
from ..graph import Node, topological_order
from ..symbol import Symbol
from .ir import Graph


def _sym(name):
    """The function ``sym.<name>`` (None when there is none)."""
    from ... import symbol     # the package: imported after this module
    return getattr(symbol, name, None)


class NotTraceable(MXNetError):
    """A backward function that cannot be called on symbols."""


class _NoSymbolicForm(NotTraceable, AttributeError):
    """An NDArray attribute that symbols lack (an AttributeError, so ``hasattr``
    answers False)."""


class _Needed:
    """Stands in for a tape node (``x._node``): the registry's ``needs_grad(x)`` asks
    only whether there is one."""


NEEDED = _Needed()


class Tracer:
    """What the gradient graph knows while it is built: the shape and dtype of every
    entry (those of the forward graph, then of each node made), and the context."""

    def __init__(self, shapes, dtypes, ctx):
        self.shapes, self.dtypes = dict(shapes), dict(dtypes)
        self.ctx = ctx
        self.nodes = {}       # id -> node made while tracing: keeps ids from being reused

    def wrap(self, result, needed=NEEDED):
        """``result`` of a symbol function as :class:`Traced` symbols (a list of them
        for a multi-output result, as ``F`` gives for NDArrays)."""
        if isinstance(result, (list, tuple)):
            return type(result)(self.wrap(r, needed) for r in result)
        if not isinstance(result, Symbol):
            return result
        for node, _ in result._entries:
            self._infer(node)
        if len(result) == 1:
            return Traced(result._entries, self, needed)
        return [Traced([e], self, needed) for e in result._entries]

    def _infer(self, node):
        """Shapes and dtypes of ``node``'s outputs, inferring its inputs first."""
        if node.op is None or (id(node), 0) in self.shapes:
            return
        self.nodes[id(node)] = node
        for src, _ in node.inputs:
            self._infer(src)
        in_shapes = [self.shapes.get((id(s), i)) for s, i in node.inputs]
        in_dtypes = [self.dtypes.get((id(s), i)) for s, i in node.inputs]
        _, out_shapes = node.op.infer_shape_partial(in_shapes, node.attrs)
        _, out_dtypes = node.op.infer_type(in_dtypes, node.attrs)
        if out_shapes is None:
            raise NotTraceable(f'the shapes of {node.name} ({node.op.name}) are unknown')
        for i, s in enumerate(out_shapes):
            self.shapes[(id(node), i)] = tuple(s)
            # (an operator whose output count is an attribute, split, may name fewer
            # dtypes: the others stay unknown, and fusion leaves them alone)
            if i < len(out_dtypes):
                self.dtypes[(id(node), i)] = np.dtype(out_dtypes[i])


class SymbolF:
    """``F`` for tracing: ``F.X(...)`` is ``sym.X(...)``, its result a :class:`Traced`."""

    def __init__(self, tracer):
        self._tracer = tracer

    def __getattr__(self, name):
        fn = _sym(name)
        if fn is None:
            raise _NoSymbolicForm(f'F.{name} has no symbolic form')
        tracer = self._tracer
        return lambda *args, **kwargs: tracer.wrap(fn(*args, **kwargs))


# NDArray's arithmetic, by operator: (operator on two arrays, operator with a number).
# Symbol's own arithmetic uses elemwise_* (no broadcasting); a backward function is
# written for NDArrays, so its symbols must broadcast as NDArrays do.
_ARITH = {
    '__add__': ('broadcast_add', '_plus_scalar'), '__radd__': ('broadcast_add', '_plus_scalar'),
    '__sub__': ('broadcast_sub', '_minus_scalar'), '__rsub__': (None, '_rminus_scalar'),
    '__mul__': ('broadcast_mul', '_mul_scalar'), '__rmul__': ('broadcast_mul', '_mul_scalar'),
    '__truediv__': ('broadcast_div', '_div_scalar'), '__rtruediv__': (None, '_rdiv_scalar'),
    '__mod__': ('broadcast_mod', '_mod_scalar'), '__rmod__': (None, '_rmod_scalar'),
    '__pow__': ('broadcast_power', '_power_scalar'), '__rpow__': (None, '_rpower_scalar'),
    '__eq__': ('broadcast_equal', '_equal_scalar'),
    '__ne__': ('broadcast_not_equal', '_not_equal_scalar'),
    '__gt__': ('broadcast_greater', '_greater_scalar'),
    '__ge__': ('broadcast_greater_equal', '_greater_equal_scalar'),
    '__lt__': ('broadcast_lesser', '_lesser_scalar'),
    '__le__': ('broadcast_lesser_equal', '_lesser_equal_scalar'),
}


def _arith_method(binary, scalar):
    def method(self, other):
        if isinstance(other, Symbol) and binary is not None:
            return self._tracer.wrap(_sym(binary)(self, other))
        if isinstance(other, (int, float, np.generic)) and not isinstance(other, bool):
            other = other.item() if isinstance(other, np.generic) else other
            return self._tracer.wrap(_sym(scalar)(self, scalar=other))
        raise NotTraceable(f'arithmetic between a symbol and {type(other).__name__}')
    return method


class Traced(Symbol):
    """A symbol standing for an NDArray in a backward function: it knows its shape
    and dtype, and ``_node`` says whether it needs a gradient (``needs_grad``)."""

    __slots__ = ('_tracer', '_node')

    def __init__(self, entries, tracer, needed=NEEDED):
        super().__init__(entries)
        self._tracer, self._node = tracer, needed

    @property
    def shape(self):
        node, i = self._entries[0]
        shape = self._tracer.shapes.get((id(node), i))
        if shape is None:
            raise NotTraceable(f'the shape of {node.name} is unknown')
        return shape

    @property
    def dtype(self):
        node, i = self._entries[0]
        dtype = self._tracer.dtypes.get((id(node), i))
        if dtype is None:
            raise NotTraceable(f'the dtype of {node.name} is unknown')
        return dtype.type

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def context(self):
        return self._tracer.ctx

    def as_in_context(self, ctx):
        if ctx != self._tracer.ctx:
            raise NotTraceable('a copy to another context')
        return self

    def __getitem__(self, index):
        return self._tracer.wrap(super().__getitem__(index), self._node)

    def __neg__(self):
        return self._tracer.wrap(_sym('negative')(self))

    def __pos__(self):
        return self

    def __abs__(self):
        return self._tracer.wrap(_sym('abs')(self))

    def reshape(self, *shape, **kwargs):
        return self._tracer.wrap(super().reshape(*shape, **kwargs))

    def astype(self, dtype, copy=True):
        return self._tracer.wrap(super().astype(dtype))

    def __bool__(self):
        raise NotTraceable('a Python branch on the value of an array')

    def __getattr__(self, name):
        raise _NoSymbolicForm(f'NDArray.{name} has no symbolic form')

    __hash__ = Symbol.__hash__


for _name_, (_binary, _scalar) in _ARITH.items():
    setattr(Traced, _name_, _arith_method(_binary, _scalar))


class GradientGraph:
    """The result of :func:`gradient_graph`: ``graph`` (outputs: the gradients),
    ``grad_of`` (per forward input, the index of its gradient among the outputs, or
    None), ``reads`` (variable name -> ``('dy', k)`` or ``('value', slot)``)."""

    def __init__(self, graph, grad_of, reads):
        self.graph, self.grad_of, self.reads = graph, grad_of, reads


def gradient_graph(graph, names, requires, index, steps, ctx=None):
    """The gradient graph of ``graph`` (shapes and dtypes inferred) whose inputs are
    the variables ``names``, laid out as ``index, steps = layout(graph, names)``.

    ``requires`` is the set of slots (value positions, see :func:`layout`) that
    depend on an input needing a gradient. Raises :class:`NotTraceable` when a
    backward cannot be traced.
    """
    builder = _Builder(graph, names, requires, steps, ctx)
    with _name.NameManager():          # leave the user's automatic names alone
        for k, (node, i) in enumerate(graph.outputs):
            builder.seed(k, index[(id(node), i)])
        for node, attrs, ins, outs in reversed(steps):   # autograd's order
            try:
                builder.differentiate(node, attrs, ins, outs)
            except NotTraceable:
                raise
            except Exception as e:
                raise NotTraceable(f"the backward of node '{node.name}' ({node.op.name}) "
                                   f'failed on symbols: {type(e).__name__}: {e}') from None
    return builder.finish(len(names))


class _Builder:
    """The state of :func:`gradient_graph` while it walks the forward graph:
    ``grads`` (slot -> the gradient summed so far) and the variables made."""

    def __init__(self, graph, names, requires, steps, ctx):
        self.graph, self.requires = graph, requires
        self.entry_of = slot_entries(graph, names, steps)
        self.tracer = Tracer(graph.shapes, graph.dtypes, ctx)
        self.F = SymbolF(self.tracer)
        self.grads, self.values, self.variables, self.reads = {}, {}, [], {}

    def _variable(self, name, slot, needed, read):
        """A variable of the gradient graph with the shape and dtype of ``slot``'s value."""
        node = Node(None, name)
        src, i = self.entry_of[slot]
        self.tracer.shapes[(id(node), 0)] = self.graph.shapes.get((id(src), i))
        self.tracer.dtypes[(id(node), 0)] = self.graph.dtypes.get((id(src), i))
        self.reads[name] = read
        self.variables.append(node)
        return Traced([(node, 0)], self.tracer, needed)

    def _value(self, j):
        """The forward value in slot ``j`` (made a variable when first read)."""
        if j not in self.values:
            needed = NEEDED if j in self.requires else None
            self.values[j] = self._variable(f'v{j}', j, needed, ('value', j))
        return self.values[j]

    def _add(self, j, g):
        self.grads[j] = g if j not in self.grads else self.grads[j] + g

    def seed(self, k, j):
        """Output ``k`` (slot ``j``) gets its gradient ``dy<k>`` from the caller."""
        if j in self.requires:
            self._add(j, self._variable(f'dy{k}', j, None, ('dy', k)))

    def differentiate(self, node, attrs, ins, outs):
        """Call ``node``'s backward on symbols, as autograd calls it on NDArrays."""
        ds = [self.grads.pop(j, None) for j in outs]
        if all(d is None for d in ds):
            return                      # no gradient reaches the node
        op = node.op
        if op.backward is None:
            if op.no_grad:
                return
            raise NotTraceable(f"node '{node.name}' ({op.name}) has no backward")
        xs = tuple(self._value(j) for j in ins)
        ys = [self._value(j) for j in outs]
        ds = [self.F.zeros_like(y) if d is None else d for d, y in zip(ds, ys)]
        full = op.full_attrs(attrs)
        try:
            if len(outs) == 1:
                in_grads = op.backward(self.F, ds[0], xs, ys[0], **full)
            else:
                in_grads = op.backward(self.F, tuple(ds), xs, tuple(ys), **full)
        except NotTraceable as e:
            raise NotTraceable(f"the backward of node '{node.name}' ({op.name}): {e}") \
                from None
        for j, g in zip(ins, in_grads):
            if g is None or j not in self.requires:
                continue
            if not isinstance(g, Traced):
                raise NotTraceable(f"the backward of node '{node.name}' ({op.name}) "
                                   f'returned a {type(g).__name__}, not a symbol')
            self._add(j, g)

    def finish(self, num_inputs):
        outputs, grad_of = [], []
        for k in range(num_inputs):
            g = self.grads.get(k)
            grad_of.append(None if g is None else len(outputs))
            if g is not None:
                outputs.extend(g._entries)
        # the nodes in the order the backward functions made them (the reverse of the
        # forward's): each layer's gradients are computed together, while its output
        # gradient is still in the cache, and auxiliary state (BatchNorm's running
        # statistics) is updated in the order autograd updates it
        order = topological_order(outputs)
        live = {id(n) for n in order}
        made = [n for n in self.tracer.nodes.values() if id(n) in live]
        if len(made) == sum(1 for n in order if n.op is not None):
            order = [n for n in self.variables if id(n) in live] + made
        # (else a node was made behind F's back, never inferred: the plain order)
        graph = Graph(order, outputs, self.tracer.shapes, self.tracer.dtypes, xp=self.graph.xp)
        return GradientGraph(graph, grad_of, self.reads)


def slot_entries(graph, names, steps):
    """Slot -> the entry of ``graph`` holding that value, for the layout ``steps`` of
    :func:`layout` (the inputs ``names`` first, then each operator's outputs)."""
    variables = {n.name: n for n in graph.nodes if n.op is None}
    entry_of = {k: (variables[n], 0) for k, n in enumerate(names) if n in variables}
    for node, _, _, outs in steps:
        entry_of.update((j, (node, i)) for i, j in enumerate(outs))
    return entry_of


def layout(graph, names, is_train=None):
    """Number the values of ``graph`` as a plan holds them: the inputs ``names``
    first (slots 0, 1, ...), then each output of each operator in order. Returns
    ``(index, steps)``: entry key -> slot, and per operator ``(node, attrs, input
    slots, output slots)``; ``attrs`` tell training-mode operators ``is_train``."""
    index = {}
    by_name = {n: k for k, n in enumerate(names)}
    for node in graph.nodes:
        if node.op is None:
            if node.name not in by_name:
                raise MXNetError(f"the graph reads variable '{node.name}', which is "
                                 'neither an input nor a parameter of the block')
            index[(id(node), 0)] = by_name[node.name]
    steps, count = [], len(names)
    for node in graph.nodes:
        op = node.op
        if op is None:
            continue
        n_out = op.num_outputs if op.num_outputs > 0 else node.num_outputs
        outs = list(range(count, count + n_out))
        count += n_out
        for i, j in enumerate(outs):
            index[(id(node), i)] = j
        attrs = dict(node.attrs)
        if op.train_mode and is_train is not None:
            attrs['is_train'] = is_train
        steps.append((node, attrs, [index[(id(s), i)] for s, i in node.inputs], outs))
    return index, steps
