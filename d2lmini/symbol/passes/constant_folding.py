"""Constant folding: compute once, when the graph is compiled, what depends on no
input.

A node is constant when every input is constant; a node without inputs (``zeros``,
``ones``, ``arange``) is constant by itself. Random nodes (each run must draw
anew), nodes that depend on training mode, and nodes that update auxiliary state
are never folded (:func:`~d2lmini.symbol.passes.ir.is_pure`). Each constant that a
non-constant node (or an output) reads becomes one ``_constant`` node holding the
value; the other constant nodes disappear.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> y = mx.sym.var('x') + mx.sym.ones((2,)) * 3
>>> g = Graph.from_symbol(y, {'x': (2,)})
>>> len(g), len(fold_constants(g))
(4, 3)
"""
import numpy as np

from ..graph import Node
from .ir import GraphOp, is_pure


class ConstantOp(GraphOp):
    """A value computed when the graph was compiled."""

    def __init__(self, value):
        super().__init__('_constant')
        self.value = value
        self.shape, self.dtype = tuple(value.shape), np.dtype(value.dtype)

    def forward(self, xp):
        return self.value


def fold_constants(graph):
    xp = graph.xp or np
    const = {}                  # id(node) -> its output values
    for node in graph.nodes:
        if node.op is None or not is_pure(node):
            continue
        if not all(id(src) in const for src, _ in node.inputs):
            continue
        ins = [const[id(src)][i] for src, i in node.inputs]
        out = node.op.forward(xp, *ins, **node.attrs)
        const[id(node)] = list(out) if node.op.num_outputs != 1 else [out]
    if not const:
        return graph
    readers = {}                # constant entries read by something that stays
    for node in graph.nodes:
        if id(node) in const:
            continue
        for src, i in node.inputs:
            if id(src) in const:
                readers[(id(src), i)] = (src, i)
    for src, i in graph.outputs:
        if id(src) in const:
            readers[(id(src), i)] = (src, i)
    mapping, made = {}, {}
    for key, (src, i) in readers.items():
        value = const[id(src)][i]
        new = Node(ConstantOp(value), f'{src.name}_const{i}' if i else f'{src.name}_const')
        graph.shapes[(id(new), 0)] = new.op.shape
        graph.dtypes[(id(new), 0)] = new.op.dtype
        mapping[key] = (new, 0)
        made[id(src)] = made.get(id(src), []) + [new]
    graph.replace_entries(mapping)
    nodes = []
    for node in graph.nodes:
        if id(node) in const:
            nodes.extend(made.get(id(node), ()))   # the constant takes the node's place
        else:
            nodes.append(node)
    graph.nodes = nodes
    return graph
