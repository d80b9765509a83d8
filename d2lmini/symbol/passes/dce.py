"""Dead-code elimination: drop the nodes no output depends on.

Other passes leave such nodes behind (the inputs of a folded constant, a
duplicate that common-subexpression elimination merged away); a traced graph can
hold them too when a block computes something it does not return. Variables stay
even when unused: they are the graph's inputs, and the caller passes them anyway.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> x = mx.sym.var('x')
>>> used, unused = mx.sym.relu(x), mx.sym.exp(x)
>>> g = Graph.from_symbol(mx.sym.Group([used, unused]))
>>> g.outputs = g.outputs[:1]      # only relu is wanted
>>> len(g), len(eliminate_dead_code(g))
(3, 2)
"""
from ..graph import topological_order


def eliminate_dead_code(graph):
    """Keep the variables and the nodes the outputs depend on, in the same order."""
    live = {id(n) for n in topological_order(graph.outputs)}
    graph.nodes = [n for n in graph.nodes if n.op is None or id(n) in live]
    return graph
