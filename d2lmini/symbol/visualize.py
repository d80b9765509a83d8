"""Looking at a graph: a text summary and a drawing, before and after the passes.

:func:`summary` prints one line per node (operator, name, inputs, output shape);
:func:`draw` draws it with matplotlib, with the layout of the book's autograd
pictures (:func:`d2lmini.book.graph_layout`). :func:`compare` shows the graph after
each pass of the compiler, with node counts and times.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes import Graph
>>> y = mx.sym.relu(mx.sym._mul_scalar(mx.sym.var('x'), scalar=2, name='double'), name='act')
>>> g = Graph.from_symbol(y, {'x': (2, 3)})
>>> print(summary(g, 'example'))
example: 3 nodes (2 operators)
  x                  variable                  (2, 3)
  double             _mul_scalar    x          (2, 3)  scalar=2
  act                relu           double     (2, 3)
"""


def summary(graph, title='graph'):
    """A text table of ``graph`` (a :class:`~d2lmini.symbol.passes.ir.Graph`)."""
    lines = [f'{title}: {len(graph)} nodes ({graph.num_ops} operators)']
    for node in graph.nodes:
        shape = graph.shapes.get((id(node), 0))
        shape = '' if shape is None else str(tuple(shape))
        if node.op is None:
            lines.append(f'  {node.name:<18} {"variable":<25} {shape}')
            continue
        ins = ','.join(src.name for src, _ in node.inputs)
        attrs = ' '.join(f'{k}={v}' for k, v in node.attrs.items())
        line = f'  {node.name:<18} {node.op.name:<14} {ins:<10} {shape}'
        lines.append(line + (f'  {attrs}' if attrs else ''))
    return '\n'.join(lines)


def to_book_graph(graph):
    """``graph`` as the book's drawing takes it: ``(kind, label)`` nodes and edges."""
    from ..book import Graph as BookGraph
    index = {id(n): k for k, n in enumerate(graph.nodes)}
    nodes, edges = [], []
    for node in graph.nodes:
        if node.op is None:
            nodes.append(('variable', node.name))
        elif node.op.name == '_constant':
            nodes.append(('constant', f'constant\n{node.op.shape}'))
        else:
            nodes.append(('op', node.op.name.replace('_fused_', 'fused\n')))
        edges.extend((index[id(src)], index[id(node)]) for src, _ in node.inputs
                     if id(src) in index)
    heads = sorted({index[id(n)] for n, _ in graph.outputs if id(n) in index})
    return BookGraph(nodes, edges, heads)


def draw(graph, ax=None, title=None):
    """Draw ``graph`` with matplotlib; returns the axes."""
    from ..book import draw_graph
    ax = draw_graph(to_book_graph(graph), ax=ax)
    if title:
        ax.set_title(title)
    return ax


def compare(symbol, shapes, enabled=None, plot=False):
    """Run the compiler's passes on ``symbol`` (input shapes by name), printing the
    graph after each pass (and drawing it with ``plot``); returns the records."""
    from .passes import Graph, PASSES, ENABLED, PassRecord
    import time
    g = Graph.from_symbol(symbol, shapes)
    print(summary(g, 'traced'))
    if plot:
        draw(g, title='traced')
    records = []
    enabled = {**ENABLED, **(enabled or {})}
    for name in list(PASSES) + ['dce']:
        if not enabled.get(name):
            continue
        before, start = len(g), time.perf_counter()
        g = PASSES[name](g)
        records.append(PassRecord(name, before, len(g), time.perf_counter() - start))
        print(summary(g, f'after {name} ({before} -> {len(g)} nodes, '
                         f'{records[-1].seconds * 1e3:.2f} ms)'))
        if plot:
            draw(g, title=f'after {name}')
    return records
