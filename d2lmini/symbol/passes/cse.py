"""Common-subexpression elimination: compute an expression once when the graph
computes it twice.

Two nodes are the same expression when they call the same operator with the same
attributes on the same inputs. Impure nodes (random draws, training-mode or
aux-updating operators, see :func:`~d2lmini.symbol.passes.ir.is_pure`) are never
merged: two dropouts of one input must draw two masks.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> x = mx.sym.var('x')
>>> g = Graph.from_symbol(mx.sym.exp(x) + mx.sym.exp(x))
>>> len(g), len(eliminate_common_subexpressions(g))
(4, 3)
"""
from ...base import MXNetError
from ...ops.registry import format_attr
from .ir import is_pure


def _text(value):
    """An attribute as text: as a graph file writes it, or (a slice of an indexing
    node, made by a backward function) as Python writes it."""
    try:
        return format_attr(value)
    except MXNetError:
        return repr(value)


def _key(node):
    attrs = tuple(sorted((k, _text(v)) for k, v in node.attrs.items()))
    return (id(node.op), attrs, tuple((id(src), i) for src, i in node.inputs))


def eliminate_common_subexpressions(graph):
    seen, mapping, merged = {}, {}, set()
    for node in graph.nodes:
        if mapping:   # read the kept copies of inputs merged earlier in this walk
            node.inputs = [mapping.get((id(s), i), (s, i)) for s, i in node.inputs]
        if not is_pure(node):
            continue
        key = _key(node)
        kept = seen.get(key)
        if kept is None:
            seen[key] = node
            continue
        for i in range(max(node.op.num_outputs, node.num_outputs)):
            mapping[(id(node), i)] = (kept, i)
        merged.add(id(node))
    if merged:
        graph.outputs = [mapping.get((id(s), i), (s, i)) for s, i in graph.outputs]
        graph.nodes = [n for n in graph.nodes if id(n) not in merged]
    return graph
