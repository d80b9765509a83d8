"""Helpers for reading the book's chapters next to the package's own code.

The package is the one source of truth: a chapter never copies d2lmini's code, it
shows it with :func:`show`, which prints the real source (highlighted in Jupyter).
:func:`plot_graph` draws the graph that ``autograd.record()`` built.

>>> import d2lmini as mx
>>> from d2lmini import book
>>> print(book.source(mx.autograd.is_recording))
def is_recording():
    return _STATE.recording
<BLANKLINE>
"""
import ast
import functools
import inspect
import os
import sys
import textwrap
from collections import namedtuple

from .ops.registry import Op, get as _get_op

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


# ------------------------------------------------------------------ showing source
_Piece = namedtuple('_Piece', 'path name text')
_Piece.__doc__ = """One piece of source: its file, what it defines (a qualified name such as
``Trainer.step``, a short form of a statement such as ``_unary('exp', ...)``, or
``None`` for a whole module) and its text."""


def _unwrap(obj):
    """The function or class whose code defines ``obj``. A wrapper that only routes
    some inputs elsewhere and marks itself ``shows_wrapped`` (the optimizers' methods,
    which send sparse arrays to one shared routine) is shown as what it wraps."""
    while getattr(obj, 'shows_wrapped', False) and hasattr(obj, '__wrapped__'):
        obj = obj.__wrapped__
    if isinstance(obj, (staticmethod, classmethod)):
        return obj.__func__
    if isinstance(obj, property):
        return obj.fget
    if isinstance(obj, functools.partial):
        return obj.func
    if inspect.ismethod(obj):
        return obj.__func__
    return obj


def _outermost_statement(tree, line):
    """``(first line, statement, classes)`` for the outermost statement of ``tree`` that
    holds ``line`` and is not a class (inside a class we want the method, not the
    class); ``classes`` names the classes around it."""
    body, classes = tree.body, []
    while True:
        for stmt in body:
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, 'decorator_list', ())])
            if first <= line <= stmt.end_lineno:
                break
        else:
            return None
        if not isinstance(stmt, ast.ClassDef):
            return first, stmt, classes
        body = stmt.body
        classes = classes + [stmt.name]


def _statement_name(stmt, classes):
    """What a statement defines, for the header of its piece: the qualified name of
    a function or class, else a short form of the statement: ``_unary('exp', ...)``."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return '.'.join(classes + [stmt.name])
    call = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
    if isinstance(call, ast.Call):
        first = call.args[0] if call.args else None
        shown = repr(first.value) + ', ...' if isinstance(first, ast.Constant) else '...'
        return f'{ast.unparse(call.func)}({shown})'
    line = ast.unparse(stmt).splitlines()[0]
    return line if len(line) <= 40 else line[:37] + '...'


def _enclosing_piece(func):
    """The source of a lambda or of a function built inside another function.

    ``inspect.getsource`` gives such code without its context: a lambda passed to
    ``register`` comes out as a fragment of a line, and a closure refers to names
    it does not define. So we take the outermost statement around it that is not a
    class: the whole ``register(...)`` call, or the function that built the closure.
    """
    lines, _ = inspect.findsource(func)
    found = _outermost_statement(ast.parse(''.join(lines)), func.__code__.co_firstlineno)
    if found is None:
        return None
    first, stmt, classes = found
    text = textwrap.dedent(''.join(lines[first - 1:stmt.end_lineno]))
    return _Piece(inspect.getsourcefile(func), _statement_name(stmt, classes), text)


def _wrapped_pieces(func):
    """The pieces of the functions that the closure ``func`` calls through its free
    variables: for ``forward`` made by a wrapper such as ``_int_math(_sigmoid)``, the
    source of ``_sigmoid``, which does the real work."""
    pieces = []
    for cell in func.__closure__ or ():
        try:
            inner = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        if inspect.isfunction(inner) and inner is not func:
            try:
                pieces += [p for p in _pieces(inner) if p not in pieces]
            except (TypeError, OSError):  # no source to show
                continue
    return pieces


def _pieces(obj):
    """The pieces of source that define ``obj``, as ``_Piece`` tuples."""
    if isinstance(obj, str):
        obj = _get_op(obj)
    if isinstance(obj, Op):
        pieces = []
        for fn in (obj.forward, obj.backward, obj._infer_shape):
            if fn is None:
                continue
            for p in _pieces(fn):
                if p not in pieces:
                    pieces.append(p)
        return pieces
    obj = _unwrap(obj)
    code = getattr(obj, '__code__', None)
    # CO_NESTED marks code defined inside another function (its __qualname__ may
    # have been renamed, as for the generated nd.exp)
    if code is not None and (code.co_name == '<lambda>' or code.co_flags & inspect.CO_NESTED):
        piece = _enclosing_piece(obj)
        if piece is not None:
            return _wrapped_pieces(obj) + [piece]
    try:
        lines, _ = inspect.getsourcelines(obj)
    except TypeError:
        raise TypeError(f'show() needs a function, class, method, module or operator, '
                        f'got {type(obj).__name__}') from None
    path = inspect.getsourcefile(obj)
    name = None if inspect.ismodule(obj) else obj.__qualname__
    return [_Piece(path, name, textwrap.dedent(''.join(lines)))]


def source(obj, name=None):
    """The source code of ``obj`` as a string.

    ``obj`` is a function, class, method, module, or a registered operator (an
    ``Op`` or its name), whose forward and backward are given together.
    ``source(cls, 'name')`` is the source of one method (or property) of a class,
    ``source(module, 'name')`` that of one function or class of a module, and
    ``source(module, 'Class.method')`` that of one method of a class in a module.

    >>> import d2lmini as mx
    >>> print(source('negative'))
    _unary('negative', lambda xp, data: xp.negative(data),
           lambda F, dy, x, y: [-dy])
    <BLANKLINE>
    """
    if name is not None:
        obj = _member(obj, name)
    return '\n'.join(p.text for p in _pieces(obj))


def _member(obj, name):
    """``obj.name``, as stored in its class when ``obj`` is a class (so properties
    stay properties). ``name`` may be a dotted path: ``'_BlockScope.create'``."""
    *outer, name = name.split('.')
    for part in outer:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f'{getattr(obj, "__name__", obj)!r} has no member {part!r}') \
                from None
    for klass in inspect.getmro(obj) if inspect.isclass(obj) else ():
        if name in vars(klass):
            return vars(klass)[name]
    try:
        return getattr(obj, name)
    except AttributeError:
        raise AttributeError(f'{getattr(obj, "__name__", obj)!r} has no member {name!r}') \
            from None


def _where(piece):
    """``d2lmini/autograd.py: backward`` for code in the package, else ``None``.

    The header names the file and what the piece defines, not a line number: line
    numbers move whenever code above them changes, a name stays true.
    """
    path = os.path.abspath(piece.path or '')
    root = os.path.dirname(_PACKAGE_DIR)
    if not path.startswith(_PACKAGE_DIR + os.sep):
        return None
    where = os.path.relpath(path, root).replace(os.sep, '/')
    return where if piece.name is None else f'{where}: {piece.name}'


def _in_notebook():
    """True inside a Jupyter kernel. IPython is only looked at if already imported,
    so plain scripts never pay for importing it."""
    shell = sys.modules.get('IPython') and sys.modules['IPython'].get_ipython()
    return shell is not None and type(shell).__name__ == 'ZMQInteractiveShell'


def render(obj, name=None):
    """The text that :func:`show` displays: the source of ``obj``, each piece headed
    by the file it comes from and what it defines.

    >>> import d2lmini as mx
    >>> print(render(mx.context.Context, 'device_typeid'))
    # d2lmini/context.py: Context.device_typeid
    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]
    """
    if name is not None:
        obj = _member(obj, name)
    blocks = []
    for p in _pieces(obj):
        where = _where(p)
        blocks.append((f'# {where}\n' if where else '') + p.text.rstrip('\n'))
    return '\n\n'.join(blocks)


def show(obj, name=None):
    """Display the source code of ``obj``: highlighted in Jupyter, printed elsewhere.

    Takes what :func:`source` takes. With a module and a name, private ones included
    (``show(gluon.block, '_BlockScope.create')``), it shows code that a program would
    not import. Each piece is headed by the file it comes from and the name of what it
    defines, so the reader can find it in the package.

    >>> import d2lmini as mx
    >>> show(mx.autograd.is_recording)
    # d2lmini/autograd.py: is_recording
    def is_recording():
        return _STATE.recording
    """
    text = render(obj, name)
    if _in_notebook():
        from IPython.display import display
        fence = '`' * max(3, _longest_backtick_run(text) + 1)
        display({'text/markdown': f'{fence}python\n{text}\n{fence}',
                 'text/plain': text}, raw=True)
    else:
        print(text)


def _longest_backtick_run(text):
    run = best = 0
    for ch in text:
        run = run + 1 if ch == '`' else 0
        best = max(best, run)
    return best


# ------------------------------------------------------------------ drawing the tape
Graph = namedtuple('Graph', 'nodes edges heads')
Graph.__doc__ = """A recorded graph as plain data.

``nodes[i]`` is ``(kind, label)`` with kind ``'op'`` (one recorded operator call),
``'variable'`` (an array that called ``attach_grad``), ``'constant'`` (an input
that needs no gradient) or, in symbolic graphs (:func:`symbol_graph`),
``'parameter'``. ``edges`` holds ``(source, target)`` index pairs, one per
operator input, in the order the operator takes its inputs. ``heads[k]`` is the
index of the node that produced the k-th head array."""


def _shape_label(shape):
    return str(tuple(shape))


def _op_label(node):
    """The operator's name, with its attributes when they are short enough to read."""
    label = node.op.name
    for k, v in (node.attrs or {}).items():
        text = f'{k}={v}' if isinstance(v, str) else f'{k}={v!r}'
        label += '\n' + (text if len(text) <= 18 else text[:15] + '...')
    return label


def trace_graph(heads, names=None):
    """Walk the ``_node`` links back from ``heads`` (an NDArray or a list of them).

    Returns a :class:`Graph`. Nodes come in a fixed order, each after the nodes it
    reads, so the same computation always gives the same graph. ``names`` maps a
    label to an array, to name leaves and results in the picture.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([1., 2.])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.exp(x) * x
    >>> g = trace_graph(y, names={'x': x, 'y': y})
    >>> g.nodes
    [('variable', 'x\\n(2,)'), ('op', 'exp'), ('op', 'y = broadcast_mul')]
    >>> g.edges, g.heads
    ([(0, 1), (1, 2), (0, 2)], [2])
    """
    from .autograd import Variable
    from .ndarray import NDArray
    heads = [heads] if isinstance(heads, NDArray) else list(heads)
    for h in heads:
        if h._node is None:
            raise ValueError('this array is not in a recorded graph: call attach_grad() on '
                             'its inputs and compute it inside autograd.record()')
    names_of = {}  # id(graph node) -> labels given to its outputs
    for label, arr in (names or {}).items():
        if arr._node is not None:
            names_of.setdefault(id(arr._node), []).append(label)

    nodes, edges, index = [], [], {}  # index: key of a node -> its position in nodes

    def add(key, kind, label):
        index[key] = len(nodes)
        nodes.append((kind, label))

    def visit(start):
        # an explicit stack instead of recursion, so that long graphs (a loop of
        # a thousand steps) do not hit Python's recursion limit
        stack = [(start, False)]
        while stack:
            node, inputs_done = stack.pop()
            if id(node) in index:
                continue
            if type(node) is Variable:
                if node.grad is None:   # the head gradient of a create_graph backward
                    add(id(node), 'variable', node.name or 'head gradient')
                else:
                    add(id(node), 'variable', _named(_shape_label(node.grad.shape), node,
                                                     names_of, 'variable', '\n'))
                continue
            if not inputs_done:
                stack.append((node, True))
                stack.extend((p[0], False) for p in reversed(node.parents) if p is not None)
                continue
            sources = []
            for i, p in enumerate(node.parents):
                if p is not None:
                    sources.append(index[id(p[0])])
                    continue
                # a constant: the same array read twice is one node (after backward
                # has freed the graph its data is gone, so each read gets its own)
                data = node.in_data[i] if node.in_data is not None else None
                key = ('constant', id(data) if data is not None else (id(node), i))
                if key not in index:
                    add(key, 'constant', 'constant' if data is None else
                        'constant\n' + _shape_label(data.shape))
                sources.append(index[key])
            add(id(node), 'op', _named(_op_label(node), node, names_of))
            edges.extend((s, index[id(node)]) for s in sources)

    for h in heads:
        visit(h._node)
    return Graph(nodes, edges, [index[id(h._node)] for h in heads])


def _named(label, node, names_of, unnamed='', sep=' = '):
    """``label`` prefixed with the names given to ``node``'s outputs."""
    names = names_of.get(id(node))
    if names:
        return ', '.join(names) + sep + label
    return (unnamed + sep + label) if unnamed else label


# kinds of nodes drawn just left of the operator that reads them, not in the first column
_BESIDE_READER = ('constant', 'parameter')

Layout = namedtuple('Layout', 'nodes bends')
Layout.__doc__ = """Where :func:`plot_graph` draws a :class:`Graph`.

``nodes[i]`` is the ``(column, row)`` of node ``i``; ``bends[k]`` lists the points
``(column, row)`` that edge ``k`` passes through on its way to a column further
right than the next one (empty for an edge between neighbouring columns)."""


def graph_layout(graph):
    """A :class:`Layout` for a :class:`Graph`: inputs on the left, outputs on the right.

    An operator sits one column right of its furthest input; a constant (or a
    parameter, or an operator computed from those alone) sits just left of the first
    operator that reads it. An edge that spans several columns
    gets a bend point in each column it crosses, which takes a row like a node, so
    that long arrows run in lanes of their own instead of through boxes. Within a
    column, operators and bends are sorted by the mean row of what feeds them, so
    that most arrows run straight, and a constant goes next to another input of
    its operator. Nothing is random: the same graph always gets the same picture.
    """
    n = len(graph.nodes)
    kinds = [kind for kind, _ in graph.nodes]
    in_edges = [[] for _ in range(n)]
    readers = [[] for _ in range(n)]
    for k, (src, dst) in enumerate(graph.edges):
        in_edges[dst].append(k)
        readers[src].append(dst)
    col = [0] * n
    for i in range(n):  # nodes come after their inputs, so one pass suffices
        if kinds[i] == 'op':
            col[i] = 1 + max([col[graph.edges[k][0]] for k in in_edges[i]
                              if kinds[graph.edges[k][0]] not in _BESIDE_READER], default=0)
    # what depends on no variable (constants, parameters, and operators that read only
    # those, such as ones((1, 1)) * 2) is drawn as late as possible: just left of its
    # first reader, rather than in a lane of its own across the whole picture
    free = [False] * n
    for i in range(n):
        free[i] = kinds[i] in _BESIDE_READER or (
            kinds[i] == 'op' and all(free[graph.edges[k][0]] for k in in_edges[i]))
    for i in reversed(range(n)):
        if free[i] and readers[i]:
            col[i] = min(col[r] for r in readers[i]) - 1

    # the things that take a row in each column: ('node', i) or ('bend', k, column)
    columns = [[] for _ in range(max(col, default=-1) + 1)]
    for i in range(n):
        columns[col[i]].append(('node', i))
    for k, (src, dst) in enumerate(graph.edges):
        for c in range(col[src] + 1, col[dst]):
            columns[c].append(('bend', k, c))

    def feeder(k, c):
        """What edge ``k`` comes from when it arrives in column ``c``."""
        src = graph.edges[k][0]
        return ('bend', k, c - 1) if c - 1 > col[src] else ('node', src)

    row = {}

    def sort_key(item):
        if item[0] == 'bend':
            return (0, row[feeder(item[1], item[2])], n + item[1])
        i = item[1]
        if kinds[i] in _BESIDE_READER:
            return constant_key(i)
        feeds = [row[feeder(k, col[i])] for k in in_edges[i]]
        return (0, sum(feeds) / len(feeds) if feeds else 0.0, i)

    def constant_key(i):
        # next to another input of the operator that reads it, in input order
        reader = readers[i][0]
        ks = in_edges[reader]
        mine = next(j for j, k in enumerate(ks) if graph.edges[k][0] == i)
        for j in sorted(range(len(ks)), key=lambda j: abs(j - mine)):
            other = feeder(ks[j], col[reader])
            if other[0] == 'bend' or kinds[other[1]] not in _BESIDE_READER:
                group, value, tie = sort_key(other)
                return (group, value, tie + (0.5 if j < mine else -0.5))
        return (1, 0.0, i)  # only constants feed it: put it last

    for members in columns:
        members.sort(key=sort_key)
        for r, item in enumerate(members):
            row[item] = r - (len(members) - 1) / 2
    return Layout([(col[i], row['node', i]) for i in range(n)],
                  [[(c, row['bend', k, c]) for c in range(col[src] + 1, col[dst])]
                   for k, (src, dst) in enumerate(graph.edges)])


_COLORS = {'op': '#cfe2f3', 'variable': '#d9ead3', 'constant': '#eeeeee',
           'parameter': '#fff2cc'}


def plot_graph(heads, names=None, ax=None):
    """Draw the graph recorded for ``heads`` with matplotlib; returns the axes.

    Operators are blue, arrays that called ``attach_grad`` green, constants grey.
    Arrows run from each input to the operator that reads it (twice when it is
    read twice, as in ``x * x``), and the heads have a thick border. ``names``
    labels arrays, as in :func:`trace_graph`.
    """
    return draw_graph(trace_graph(heads, names), ax)


def _extent(layout):
    """``(columns, rows)`` of a :class:`Layout`: its number of columns, and the most
    nodes and bends that one column holds."""
    n_cols = max(c for c, _ in layout.nodes) + 1
    used = [c for c, _ in layout.nodes] + [c for bends in layout.bends for c, _ in bends]
    return n_cols, max(used.count(c) for c in range(n_cols))


def _figsize(layout, vertical):
    """Inches for a drawing of ``layout``: 1.8 per box across an arrow, 0.8 along."""
    n_cols, n_rows = _extent(layout)
    if vertical:
        return 1.8 * n_rows + 0.2, 0.8 * n_cols + 0.4
    return 1.8 * n_cols + 0.2, 0.8 * n_rows + 0.4


def draw_graph(graph, ax=None, vertical=False):
    """Draw a :class:`Graph` (``(kind, label)`` nodes, edges, heads) with matplotlib;
    returns the axes. :func:`plot_graph` draws recorded graphs with it,
    :func:`plot_symbol` symbolic ones. Inputs are on the left and outputs on the
    right, or, with ``vertical``, inputs at the top and outputs at the bottom (for
    deep graphs, which would be too wide to read)."""
    import matplotlib.pyplot as plt
    layout = graph_layout(graph)
    pos = layout.nodes
    n_cols, n_rows = _extent(layout)

    def at(column, row):
        """Where a (column, row) of the layout is drawn."""
        return (row, -column) if vertical else (column, -row)

    if ax is None:
        fig, ax = plt.subplots(figsize=_figsize(layout, vertical))
        fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    boxes = []
    for i, ((kind, label), (c, r)) in enumerate(zip(graph.nodes, pos)):
        box = dict(boxstyle='round,pad=0.4', facecolor=_COLORS[kind], edgecolor='#444444',
                   linewidth=2.5 if i in graph.heads else 1.0)
        boxes.append(ax.text(*at(c, r), label, ha='center', va='center', fontsize=9,
                             bbox=box, zorder=2))
    # arrows leave a box on its right (bottom) side and enter on its left (top) side
    leave, enter = ((0.5, 0), (0.5, 1)) if vertical else ((1, 0.5), (0, 0.5))
    count = {}
    for edge in graph.edges:
        count[edge] = count.get(edge, 0) + 1
    drawn = {}
    for (src, dst), bends in zip(graph.edges, layout.bends):
        # arrows end on the rounded boxes themselves, and are drawn after them
        # (higher zorder) so that the boxes are in place when the arrows are placed
        if bends:
            # a long edge: a line from under the source box through its bends,
            # then an arrow from the last bend to the target
            xs, ys = zip(*[at(*pos[src])] + [at(c, r) for c, r in bends])
            ax.plot(xs, ys, color='#444444', linewidth=1.0, zorder=1)
            start = dict(xytext=at(*bends[-1]), textcoords='data')
            rad = 0.0
        else:
            # repeated arrows between two boxes bend apart so that each stays visible
            k = drawn[src, dst] = drawn.get((src, dst), -1) + 1
            start = dict(xytext=leave, textcoords=boxes[src].get_bbox_patch())
            rad = 0.4 * (k - (count[src, dst] - 1) / 2)
        ax.annotate('', xy=enter, xycoords=boxes[dst].get_bbox_patch(), zorder=3,
                    arrowprops=dict(arrowstyle='-|>', color='#444444', shrinkA=0, shrinkB=0,
                                    connectionstyle=f'arc3,rad={rad}'), **start)
    if vertical:
        ax.set_xlim(-n_rows / 2, n_rows / 2)
        ax.set_ylim(-(n_cols - 0.4), 0.6)
    else:
        ax.set_xlim(-0.6, n_cols - 0.4)
        ax.set_ylim(-n_rows / 2, n_rows / 2)
    ax.axis('off')
    return ax


# ------------------------------------------------------------------ drawing symbols
# MXNet's naming of parameters and auxiliary states (``fc1_weight``, ``bn_moving_mean``)
_PARAMETER_SUFFIXES = ('_weight', '_bias', '_gamma', '_beta', '_moving_mean', '_moving_var',
                       '_running_mean', '_running_var')


def symbol_graph(symbol, names=False):
    """The graph of a Symbol as a :class:`Graph`, to draw with :func:`draw_graph`.

    ``symbol`` is a :class:`~d2lmini.symbol.Symbol`, or a graph of the compiler
    (:class:`d2lmini.symbol.passes.Graph`, whose nodes may be folded constants and
    fused kernels). Variables named as MXNet names parameters (``fc1_weight``,
    ``bn_moving_var``, ...) are of kind ``'parameter'``, the other variables (the
    data) ``'variable'``, folded constants ``'constant'``. An operator is labelled
    with its operator's name, under the node's name when ``names``.

    >>> import d2lmini as mx
    >>> fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='fc')
    >>> g = symbol_graph(mx.sym.relu(fc, name='act'), names=True)
    >>> g.nodes[:3]
    [('variable', 'x'), ('parameter', 'fc_weight'), ('parameter', 'fc_bias')]
    >>> g.nodes[3:]
    [('op', 'fc\\nFullyConnected'), ('op', 'act\\nrelu')]
    >>> g.edges, g.heads
    ([(0, 3), (1, 3), (2, 3), (3, 4)], [4])
    """
    from .symbol.graph import topological_order
    if hasattr(symbol, '_entries'):              # a Symbol
        nodes, outputs = topological_order(symbol._entries), symbol._entries
    else:                                        # a graph of the compiler
        nodes, outputs = symbol.nodes, symbol.outputs
    index = {id(n): k for k, n in enumerate(nodes)}
    kinds_labels, edges = [], []
    for node in nodes:
        if node.op is None:
            kind = 'parameter' if node.name.endswith(_PARAMETER_SUFFIXES) else 'variable'
            kinds_labels.append((kind, node.name))
        elif node.op.name == '_constant':        # a value the compiler computed once
            kinds_labels.append(('constant', f'constant\n{tuple(node.op.shape)}'))
        else:
            label = node.op.name
            if label.startswith('_fused_'):         # a kernel the compiler generated
                label = 'fused\n' + _fused_label(label[len('_fused_'):])
            kinds_labels.append(('op', f'{node.name}\n{label}' if names else label))
        edges.extend((index[id(src)], index[id(node)]) for src, _ in node.inputs
                     if id(src) in index)
    heads = [index[id(n)] for n, _ in outputs if id(n) in index]
    return Graph(kinds_labels, edges, heads)


def _fused_label(name, width=20):
    """The operators of a fused kernel named ``name`` (``mul_scalar_sigmoid_elemwise_mul``,
    the hints of its operators joined by ``_``), on lines of at most ``width``
    characters where they fit: ``'mul_scalar sigmoid\\nelemwise_mul'``. The name is
    split by the operators' hints in the registry, the longest first."""
    from .ops import OPS
    hints = {op.hint.strip('_') for op in OPS.values()}
    parts, rest = [], name
    while rest:
        found = max((h for h in hints if rest == h or rest.startswith(h + '_')),
                    key=len, default=None)
        if found is None:             # not a chain of known hints: keep the rest whole
            parts.append(rest)
            break
        parts.append(found)
        rest = rest[len(found) + 1:]
    lines = []
    for part in parts:
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += ' ' + part
        else:
            lines.append(part)
    return '\n'.join(lines)


def plot_symbol(symbol, names=False, ax=None, vertical=False):
    """Draw the graph of a Symbol (or of a compiler graph) with matplotlib; returns
    the axes. Data variables are green, parameters yellow, operators blue, constants
    the compiler folded grey; a parameter is drawn beside the operator that reads it.
    ``names`` and ``vertical`` as in :func:`symbol_graph` and :func:`draw_graph`."""
    return draw_graph(symbol_graph(symbol, names), ax, vertical)


def plot_symbols(symbols, titles=(), names=False, vertical=True):
    """Draw several symbolic graphs side by side, each in a panel as wide as it needs
    (the graph of a network before and after a compiler pass, say); returns the
    axes. ``symbols`` and ``names`` as in :func:`symbol_graph`; ``titles`` head the
    panels."""
    import matplotlib.pyplot as plt
    graphs = [symbol_graph(s, names) for s in symbols]
    sizes = [_figsize(graph_layout(g), vertical) for g in graphs]
    fig, axes = plt.subplots(1, len(graphs), squeeze=False,
                             figsize=(sum(w for w, _ in sizes), max(h for _, h in sizes) + 0.4),
                             gridspec_kw={'width_ratios': [w for w, _ in sizes]})
    axes = list(axes[0])
    for ax, graph, title in zip(axes, graphs, list(titles) + [None] * len(graphs)):
        draw_graph(graph, ax, vertical)
        if title:
            ax.set_title(title)
    return axes
