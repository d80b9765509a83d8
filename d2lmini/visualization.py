"""``mx.viz``: a Symbol as a table (``print_summary``) or a drawing (``plot_network``).

``print_summary`` prints MXNet's table, line for line: one row per layer with its output
shape (when ``shape`` gives the inputs'), its number of parameters and the layers it
reads. ``plot_network`` returns a ``graphviz.Digraph`` when the graphviz package is
installed (as MXNet does) and otherwise a matplotlib figure of the same graph, so that
neither is needed to use the rest of the package.

>>> import d2lmini as mx
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc')
>>> mx.viz.print_summary(net, shape={'data': (1, 3)}, line_length=80)  # doctest: +NORMALIZE_WHITESPACE
________________________________________________________________________________
Layer (type)                       Output Shape    Param # Previous Layer
================================================================================
data(null)                         3               0
________________________________________________________________________________
fc(FullyConnected)                 4               16      data
================================================================================
Total params: 16
________________________________________________________________________________
"""
import json

from .symbol import Symbol

__all__ = ['print_summary', 'plot_network']


def _output_shapes(symbol, shape):
    """The shape of every output of every node, keyed by output name, for input
    shapes ``shape`` (a dict)."""
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**shape)
    if out_shapes is None:
        raise ValueError('Input shape is incomplete')
    return dict(zip(internals.list_outputs(), out_shapes))


def _str2tuple(text):
    return [int(part) for part in text.strip('()[] ').split(',') if part.strip()]


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print a table of ``symbol``'s layers: name (operator), output shape without
    the batch axis (with ``shape``, a dict of input shapes), parameter count and the
    layers it reads. Parameters are counted as MXNet counts them (convolution,
    fully connected, BatchNorm and Embedding layers)."""
    if not isinstance(symbol, Symbol):
        raise TypeError('symbol must be Symbol')
    shape_dict = None if shape is None else _output_shapes(symbol, shape)
    conf = json.loads(symbol.tojson())
    nodes = conf['nodes']
    heads = set(conf['heads'][0])    # MXNet reads the first head's triple as node ids
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def print_row(fields):
        line = ''
        for field, end in zip(fields, positions):
            line = (line + str(field))[:end]
            line += ' ' * (end - len(line))
        print(line)

    def output_shape(node):
        key = node['name'] + ('_output' if node['op'] != 'null' else '')
        return shape_dict[key][1:] if shape_dict and key in shape_dict else []

    def layer(node, out_shape):
        op, attrs = node['op'], node.get('attrs', {})
        previous, channels_in = [], 0
        if op != 'null':
            for src, _, _ in node['inputs']:
                src_node = nodes[src]
                if src_node['op'] != 'null' or src in heads:
                    previous.append(src_node['name'])
                    in_shape = output_shape(src_node)
                    if in_shape:
                        channels_in += int(in_shape[0])
        params = 0
        if op == 'Convolution':
            params = channels_in * int(attrs['num_filter']) // int(attrs.get('num_group', '1'))
            for k in _str2tuple(attrs['kernel']):
                params *= k
            if attrs.get('no_bias') != 'True':
                params += int(attrs['num_filter'])
        elif op == 'FullyConnected':
            bias = 0 if attrs.get('no_bias') == 'True' else 1
            params = (channels_in + bias) * int(attrs['num_hidden'])
        elif op == 'BatchNorm' and shape_dict is not None:
            params = int(shape_dict[node['name'] + '_output'][1]) * 2
        elif op == 'Embedding':
            params = int(attrs['input_dim']) * int(attrs['output_dim'])
        print_row([f"{node['name']}({op})", 'x'.join(str(d) for d in out_shape), params,
                   previous[0] if previous else ''])
        for name in previous[1:]:
            print_row(['', '', '', name])
        return params

    print('_' * line_length)
    print_row(['Layer (type)', 'Output Shape', 'Param #', 'Previous Layer'])
    print('=' * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node['op'] == 'null' and i > 0:
            continue     # weights are counted with their layer; only the first input shows
        out_shape = output_shape(node) if (node['op'] != 'null' or i in heads) else []
        total += layer(node, out_shape)
        print(('=' if i == len(nodes) - 1 else '_') * line_length)
    print(f'Total params: {total}')
    print('_' * line_length)


def plot_network(symbol, title='plot', save_format='pdf', shape=None, dtype=None,
                 node_attrs=None, hide_weights=True):
    """A drawing of ``symbol``'s graph: a ``graphviz.Digraph`` when graphviz is
    installed (MXNet's return value), else a matplotlib Figure. Weights and biases are
    left out when ``hide_weights``; with ``shape``, edges are labelled with the shapes
    flowing along them.

    >>> import d2lmini as mx
    >>> net = mx.sym.relu(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4))
    >>> drawing = mx.viz.plot_network(net, shape={'data': (1, 3)})
    """
    if not isinstance(symbol, Symbol):
        raise TypeError('symbol must be a Symbol')
    shape_dict = {} if shape is None else _output_shapes(symbol, shape)
    conf = json.loads(symbol.tojson())
    nodes = conf['nodes']
    shown = []
    for i, node in enumerate(nodes):
        if node['op'] == 'null' and hide_weights and _looks_like_weight(node['name']):
            continue
        shown.append(i)
    keep = set(shown)
    edges = []
    for i in shown:
        for src, idx, _ in nodes[i]['inputs']:
            if src in keep:
                src_node = nodes[src]
                key = src_node['name'] + ('' if src_node['op'] == 'null' else
                                          f'_output{idx}' if idx else '_output')
                label = 'x'.join(str(d) for d in shape_dict[key][1:]) if key in shape_dict \
                    else ''
                edges.append((src, i, label))

    def label(node):
        if node['op'] == 'null':
            return node['name']
        attrs = node.get('attrs', {})
        extra = {'Convolution': lambda a: f"{a.get('kernel', '')}/{a.get('num_filter', '')}",
                 'FullyConnected': lambda a: a.get('num_hidden', ''),
                 'Activation': lambda a: a.get('act_type', ''),
                 'Pooling': lambda a: f"{a.get('pool_type', '')} {a.get('kernel', '')}"}
        detail = extra.get(node['op'], lambda a: '')(attrs)
        return f"{node['op']}\n{detail}" if detail else node['op']

    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        dot = graphviz.Digraph(name=title, format=save_format)
        for i in shown:
            dot.node(name=nodes[i]['name'], label=label(nodes[i]),
                     **{'shape': 'box', 'style': 'filled', **(node_attrs or {})})
        for src, dst, text in edges:
            dot.edge(tail_name=nodes[dst]['name'], head_name=nodes[src]['name'], dir='back',
                     label=text)
        return dot
    return _draw_with_matplotlib(title, [label(nodes[i]) for i in shown], shown, edges)


def _looks_like_weight(name):
    return name.endswith(('_weight', '_bias', '_beta', '_gamma', '_moving_var',
                          '_moving_mean', '_running_var', '_running_mean'))


def _draw_with_matplotlib(title, labels, ids, edges):
    """Boxes stacked bottom to top in graph order, arrows from inputs to consumers."""
    from matplotlib.figure import Figure   # a Figure needs no display or backend
    rows = {i: r for r, i in enumerate(ids)}
    fig = Figure(figsize=(4, 0.9 * len(ids) + 0.5))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.axis('off')
    ax.set_xlim(-1, 1)
    ax.set_ylim(-0.8, len(ids) - 0.2)
    for r, text in enumerate(labels):
        ax.text(0, r, text, ha='center', va='center', fontsize=8,
                bbox={'boxstyle': 'round', 'facecolor': '#dbe9f6', 'edgecolor': '#4a7ab0'})
    for src, dst, text in edges:
        a, b = rows[src], rows[dst]
        bend = 0.0 if b - a == 1 else 0.4
        ax.annotate('', xy=(0, b - 0.25), xytext=(0, a + 0.25),
                    arrowprops={'arrowstyle': '->', 'connectionstyle': f'arc3,rad={bend}'})
        if text:
            ax.text(0.08, (a + b) / 2, text, fontsize=7, va='center')
    return fig
