"""The graph the compiler passes rewrite: nodes in order, outputs, shapes and dtypes.

A :class:`Graph` is the Symbol graph (:class:`~d2lmini.symbol.graph.Node`) laid out
for rewriting: ``nodes`` is an explicit list in topological order (so a pass can
leave a node behind and dead-code elimination can find it), ``outputs`` the entries
the caller wants, ``shapes``/``dtypes`` what inference found for every entry. Passes
add nodes of their own (a folded constant, a fused kernel); those carry a
:class:`GraphOp`, which looks to the rest of the graph code like a registered
operator but lives only inside a compiled graph.

Whether a node may be evaluated early, merged or dropped is read from the
registry's declarations, never from operator names (see :func:`is_pure`).

>>> import d2lmini as mx
>>> y = mx.sym.relu(mx.sym._mul_scalar(mx.sym.var('x'), scalar=2, name='double'), name='act')
>>> g = Graph.from_symbol(y)
>>> len(g), [n.name for n in g.nodes]
(3, ['x', 'double', 'act'])
"""
from ..graph import topological_order, infer_shapes, infer_types


class Graph:
    """Nodes in topological order, the wanted outputs, and what inference knows."""

    def __init__(self, nodes, outputs, shapes=None, dtypes=None, xp=None):
        self.nodes = list(nodes)
        self.outputs = list(outputs)
        self.shapes = dict(shapes or {})
        self.dtypes = dict(dtypes or {})
        self.xp = xp          # the array module the graph will run on (constant folding)

    @classmethod
    def from_symbol(cls, symbol, shapes=None, dtypes=None, xp=None):
        """The graph of ``symbol``; with ``shapes`` (and ``dtypes``) of its variables by
        name, every entry's shape and dtype are inferred."""
        symbol = symbol.__copy__()   # passes rewrite nodes: never the caller's graph
        g = cls(topological_order(symbol._entries), symbol._entries, xp=xp)
        if shapes is not None:
            g.infer(shapes, dtypes or {})
        return g

    def infer(self, shapes, dtypes):
        self.shapes = infer_shapes(self.outputs, shapes)
        self.dtypes = infer_types(self.outputs, dtypes)

    def __len__(self):
        return len(self.nodes)

    @property
    def num_ops(self):
        return sum(1 for n in self.nodes if n.op is not None)

    def consumers(self):
        """entry key -> number of reads (by nodes, and by the outputs)."""
        count = {}
        for node in self.nodes:
            for src, i in node.inputs:
                key = (id(src), i)
                count[key] = count.get(key, 0) + 1
        for node, i in self.outputs:
            key = (id(node), i)
            count[key] = count.get(key, 0) + 1
        return count

    def replace_entries(self, mapping):
        """Make every reader of an entry in ``mapping`` (key -> new entry) read the new
        one instead, outputs included."""
        if not mapping:
            return
        for node in self.nodes:
            node.inputs = [mapping.get((id(s), i), (s, i)) for s, i in node.inputs]
        self.outputs = [mapping.get((id(s), i), (s, i)) for s, i in self.outputs]

    def shape(self, entry):
        return self.shapes.get((id(entry[0]), entry[1]))

    def dtype(self, entry):
        return self.dtypes.get((id(entry[0]), entry[1]))


def is_pure(node):
    """Whether ``node`` computes the same outputs from the same inputs and changes
    nothing else: not random (each run draws anew), not dependent on training mode
    (its result changes with ``is_train``), and updating no auxiliary state
    (BatchNorm's running statistics). Only pure nodes may be folded or merged."""
    op = node.op
    return op is not None and not (op.random or op.train_mode or op.aux_inputs)


class GraphOp:
    """An operator made by a pass (not in the registry): enough of the registered
    operators' interface for graphs, inference and the plan. It has no backward, so a
    pass makes one only in graphs that autograd does not differentiate operator by
    operator (or on constants)."""
    random = train_mode = False
    aux_inputs = ()
    backward = None
    no_grad = True
    once_differentiable = False
    variadic = True
    num_outputs = 1
    defaults = {}
    attr_names = ()
    output_names = None

    def __init__(self, name):
        self.name = self.hint = name

    def __repr__(self):
        return f'<GraphOp {self.name}>'

    def full_attrs(self, attrs):
        return attrs

    def visible_outputs(self, attrs):
        return 1

    def list_outputs(self, attrs, n=None):
        return ['output']

    def used_inputs(self, attrs):
        return ()

    def infer_shape_partial(self, in_shapes, attrs):
        return in_shapes, [self.shape]

    def infer_type(self, in_dtypes, attrs):
        return in_dtypes, [self.dtype]
