"""Tests for d2lmini.book: showing the package's source and drawing recorded graphs."""
import ast
import functools
import inspect
import textwrap

import matplotlib
import pytest

import d2lmini as mx
from d2lmini import autograd, book
from d2lmini.ops import OPS, register

matplotlib.use('Agg')


# ------------------------------------------------------------------ fixtures
def _register_demo():
    register('_book_demo_twice', lambda xp, data, scale=2.0: data * scale,
             backward=lambda F, dy, x, y, scale: [dy * scale])
    return OPS['_book_demo_twice']


@pytest.fixture
def demo_op():
    """A throw-away operator registered from this file, removed afterwards."""
    yield _register_demo()
    del OPS['_book_demo_twice']


def _top_level_statement(fn):
    """The module-level statement of ``fn``'s file that contains its first line."""
    lines, _ = inspect.findsource(fn)
    line = fn.__code__.co_firstlineno
    for node in ast.parse(''.join(lines)).body:
        if node.lineno <= line <= node.end_lineno:
            return ''.join(lines[node.lineno - 1:node.end_lineno])
    raise AssertionError(f'no statement holds line {line}')


def _make_scaler(k):
    """A factory: the function it returns refers to ``k``, defined out here."""
    def scale(x):
        return x * k
    return scale


def _with_fence():
    """A docstring holding a code fence: ```` (four backticks)."""


# ------------------------------------------------------------------ source()
def getsource(obj):
    """inspect.getsource, dedented as show() prints it."""
    return textwrap.dedent(inspect.getsource(obj))


def test_source_of_function_and_class_is_inspect_getsource():
    assert book.source(autograd.backward) == inspect.getsource(autograd.backward)
    assert book.source(autograd.Node) == inspect.getsource(autograd.Node)
    assert book.source(book) == inspect.getsource(book)


def test_source_of_one_method_by_name():
    NDArray = mx.nd.NDArray
    assert book.source(NDArray, 'attach_grad') == getsource(NDArray.attach_grad)
    assert book.source(NDArray.attach_grad) == getsource(NDArray.attach_grad)
    # a property is shown through its getter, decorator included
    grad = book.source(NDArray, 'grad')
    assert grad == getsource(vars(NDArray)['grad'].fget)
    assert grad.startswith('@property')
    # a bound method is the method's code
    x = mx.nd.ones((1,))
    assert book.source(x.asnumpy) == getsource(NDArray.asnumpy)


def test_source_of_unknown_member_names_it():
    with pytest.raises(AttributeError, match='no_such_method'):
        book.source(mx.nd.NDArray, 'no_such_method')


def test_source_of_lambda_operator_is_its_whole_register_call():
    op = mx.ops.get('exp')
    text = book.source(op)
    # the backward lambda sits in the statement that registers the operator
    assert _top_level_statement(op.backward) in text
    ast.parse(text)  # complete statements, not the fragment of a line getsource gives


def _twice(fn):
    """A wrapper: the function it returns calls ``fn``."""
    def wrapped(x):
        return 2 * fn(x)
    return wrapped


def _square(x):
    return x * x


def test_source_of_a_wrapper_shows_what_it_wraps():
    assert book.source(_twice(_square)) == \
        inspect.getsource(_square) + '\n' + inspect.getsource(_twice)


def test_source_of_lambdas_inside_a_function_is_the_function(demo_op):
    assert book.source(demo_op) == inspect.getsource(_register_demo)


def test_source_of_operator_by_name_matches_op(demo_op):
    assert book.source('_book_demo_twice') == book.source(demo_op)
    with pytest.raises(mx.MXNetError, match='no_such_operator'):
        book.source('no_such_operator')


def test_source_of_package_operator_covers_forward_and_backward():
    for name in ('exp', '_getitem', 'add_n', 'broadcast_add'):
        op = mx.ops.get(name)
        text = book.source(op)
        ast.parse(text)
        for fn in (op.forward, op.backward):
            fragment = inspect.getsource(fn).strip()
            if fn.__name__ == '<lambda>':
                # getsource gives the lines the lambda starts on; all are shown
                fragment = fragment.splitlines()[0]
            assert fragment in text, (name, fragment)


def test_source_of_closure_is_its_factory():
    assert book.source(_make_scaler(3)) == inspect.getsource(_make_scaler)
    # the generated nd.exp is shown through the function that generates it
    assert book.source(mx.nd.exp) == inspect.getsource(mx.ndarray._make_function)


def test_source_rejects_objects_without_source():
    with pytest.raises(TypeError, match='show'):
        book.source(42)


# ------------------------------------------------------------------ show()
def test_show_prints_source_with_file_and_name(capsys):
    book.show(autograd._topological_order)
    out = capsys.readouterr().out
    header, body = out.split('\n', 1)
    assert header == '# d2lmini/autograd.py: _topological_order'
    assert body == inspect.getsource(autograd._topological_order)


def test_show_names_methods_and_properties_by_qualified_name(capsys):
    book.show(mx.gluon.Trainer, 'step')
    assert capsys.readouterr().out.startswith('# d2lmini/gluon/trainer.py: Trainer.step\n')
    book.show(mx.nd.NDArray, 'grad')
    assert capsys.readouterr().out.startswith('# d2lmini/ndarray/ndarray.py: NDArray.grad\n@')
    book.show(mx.gluon.Trainer(mx.gluon.ParameterDict(), 'sgd').step)  # a bound method
    assert capsys.readouterr().out.startswith('# d2lmini/gluon/trainer.py: Trainer.step\n')


def test_show_headers_carry_no_line_numbers(capsys):
    for obj in (mx.ops.get('exp'), mx.nd.exp, autograd.Node, mx.ops.get('Dropout')):
        book.show(obj)
        headers = [line for line in capsys.readouterr().out.splitlines()
                   if line.startswith('# d2lmini/')]
        assert headers and not any('line' in h for h in headers), headers


def test_show_names_module_members_private_ones_included(capsys):
    from d2lmini.gluon import block
    book.show(block, '_BlockScope')
    out = capsys.readouterr().out
    assert out == '# d2lmini/gluon/block.py: _BlockScope\n' + inspect.getsource(block._BlockScope)
    book.show(block, '_BlockScope.create')  # a dotted path: a method of the class
    out = capsys.readouterr().out
    assert out.startswith('# d2lmini/gluon/block.py: _BlockScope.create\n@staticmethod\n')
    with pytest.raises(AttributeError, match='_NoSuchClass'):
        book.show(block, '_NoSuchClass.create')
    book.show(book)  # a whole module: the file alone names it
    assert capsys.readouterr().out.startswith('# d2lmini/book.py\n"""')


def test_show_heads_every_piece_of_an_operator(capsys):
    op = mx.ops.get('_getitem')  # a def for forward, a lambda in register() for backward
    book.show(op)
    lines = capsys.readouterr().out.splitlines(keepends=True)
    headers = [line for line in lines if line.startswith('# d2lmini/ops/indexing.py: ')]
    assert len(headers) == 2
    assert headers[0] == f'# d2lmini/ops/indexing.py: {op.forward.__name__}\n'
    assert headers[1] == "# d2lmini/ops/indexing.py: register('_getitem', ...)\n"
    assert ''.join(line for line in lines if line not in headers) == book.source(op)


def test_show_of_lambda_operator_names_its_register_call(capsys):
    book.show(mx.ops.get('exp'))
    assert capsys.readouterr().out.splitlines()[0] == \
        "# d2lmini/ops/elemwise.py: _unary('exp', ...)"


def test_render_is_what_show_prints(capsys):
    book.show(mx.gluon.Trainer, 'step')
    assert capsys.readouterr().out == book.render(mx.gluon.Trainer, 'step') + '\n'


def test_show_leaves_out_header_for_code_outside_the_package(capsys):
    book.show(_make_scaler)
    assert capsys.readouterr().out == inspect.getsource(_make_scaler)


def test_show_in_notebook_displays_highlighted_markdown(monkeypatch):
    shown = []
    monkeypatch.setattr(book, '_in_notebook', lambda: True)
    pytest.importorskip('IPython')  # a test extra (ipykernel); skip cleanly without it
    import IPython.display
    monkeypatch.setattr(IPython.display, 'display',
                        lambda bundle, raw=False: shown.append((bundle, raw)))
    book.show(_with_fence)
    (bundle, raw), = shown
    assert raw
    assert bundle['text/plain'] == inspect.getsource(_with_fence).rstrip('\n')
    md = bundle['text/markdown']
    # the fence must be longer than any run of backticks inside the code
    assert md.startswith('`````python\n') and md.endswith('\n`````')
    assert bundle['text/plain'] in md


# ------------------------------------------------------------------ trace_graph()
def _leaf(values):
    x = mx.nd.array(values)
    x.attach_grad()
    return x


def test_graph_of_known_expression():
    x, w = _leaf([1., 2.]), _leaf([3., 4.])
    c = mx.nd.array([.5, .5])
    with autograd.record():
        y = mx.nd.exp(x) * w + c * x
    g = book.trace_graph(y)
    kinds = [k for k, _ in g.nodes]
    # x, exp, w, mul, c, mul, add: 2 leaves, 1 constant, 4 operators
    assert sorted(kinds) == ['constant'] + ['op'] * 4 + ['variable'] * 2
    assert len(g.edges) == 7  # one per operator input: 1 + 2 + 2 + 2
    assert g.heads == [len(g.nodes) - 1]
    assert g.nodes[-1] == ('op', 'broadcast_add')
    for src, dst in g.edges:  # every node comes after the nodes it reads
        assert src < dst


def test_graph_edges_follow_input_order_and_repeat_for_repeated_inputs():
    x = _leaf([1., 2.])
    with autograd.record():
        y = x * x
        z = mx.nd.exp(x) - y
    assert book.trace_graph(y).edges == [(0, 1), (0, 1)]
    g = book.trace_graph(z)
    ix = g.nodes.index(('variable', 'variable\n(2,)'))
    iexp = g.nodes.index(('op', 'exp'))
    imul = g.nodes.index(('op', 'broadcast_mul'))
    isub = g.nodes.index(('op', 'broadcast_sub'))
    assert [e for e in g.edges if e[1] == isub] == [(iexp, isub), (imul, isub)]
    assert [e for e in g.edges if e[0] == ix].count((ix, imul)) == 2


def test_graph_labels_names_attributes_and_shapes():
    x = _leaf([[1., 2., 3.]])
    with autograd.record():
        y = x * 2
        z = y + x
    g = book.trace_graph(z, names={'x': x, 'z': z})
    assert ('variable', 'x\n(1, 3)') in g.nodes
    assert ('op', '_mul_scalar\nscalar=2') in g.nodes
    assert ('op', 'z = broadcast_add') in g.nodes


def test_graph_reads_one_constant_once():
    x = _leaf([1., 2.])
    c = mx.nd.array([3., 4.])
    with autograd.record():
        y = x * c + c
    g = book.trace_graph(y)
    assert [k for k, _ in g.nodes].count('constant') == 1
    assert len(g.edges) == 4


def test_graph_with_several_heads_and_custom_function():
    class Square(autograd.Function):
        def forward(self, x):
            return x * x

        def backward(self, dy):
            return dy  # wrong on purpose: only the graph matters here

    x = _leaf([1., 2.])
    with autograd.record():
        a = Square()(x)
        b = mx.nd.exp(x)
    g = book.trace_graph([a, b])
    assert g.nodes == [('variable', 'variable\n(2,)'), ('op', 'Square'), ('op', 'exp')]
    assert g.heads == [1, 2]


def test_graph_survives_backward_freeing_it():
    x = _leaf([1., 2.])
    with autograd.record():
        y = (x * 3) * mx.nd.array([1., 1.])
    before = book.trace_graph(y)
    y.backward()
    after = book.trace_graph(y)
    assert after.edges == before.edges and after.heads == before.heads
    # the freed graph no longer holds the constant, so its shape is unknown
    assert after.nodes == [n if n[0] != 'constant' else ('constant', 'constant')
                           for n in before.nodes]


def test_graph_of_long_loop_needs_no_recursion():
    x = _leaf([1.])
    with autograd.record():
        y = x
        for _ in range(3000):
            y = y + 1
    g = book.trace_graph(y)
    assert len(g.nodes) == 3001 and len(g.edges) == 3000


def test_graph_of_unrecorded_array_is_an_error():
    with pytest.raises(ValueError, match='attach_grad'):
        book.trace_graph(mx.nd.ones((2,)))


# ------------------------------------------------------------------ layout and plot
def _diamond():
    x, w = _leaf([1., 2.]), _leaf([2., 1.])
    c = mx.nd.array([1., 1.])
    with autograd.record():
        a = mx.nd.exp(x)
        b = mx.nd.sin(x * w)
        y = (a + b) * c
    return y, {'x': x, 'w': w, 'y': y}


def test_layout_puts_inputs_left_of_readers():
    y, names = _diamond()
    g = book.trace_graph(y, names)
    pos = book.graph_layout(g).nodes
    for src, dst in g.edges:
        assert pos[src][0] < pos[dst][0]
    for i, (kind, _) in enumerate(g.nodes):
        if kind == 'constant':  # right next to the operator that reads it
            readers = [dst for src, dst in g.edges if src == i]
            assert pos[i][0] == min(pos[r][0] for r in readers) - 1
        if kind == 'variable':
            assert pos[i][0] == 0


def test_layout_gives_long_edges_a_lane_of_their_own():
    y, names = _diamond()  # exp(x) skips the column of sin(x * w)
    g = book.trace_graph(y, names)
    layout = book.graph_layout(g)
    pos = layout.nodes
    assert len(layout.bends) == len(g.edges)
    assert any(layout.bends)
    for (src, dst), bends in zip(g.edges, layout.bends):
        assert [c for c, _ in bends] == list(range(pos[src][0] + 1, pos[dst][0]))
    taken = pos + [p for bends in layout.bends for p in bends]
    assert len(set(taken)) == len(taken)  # no box or lane on top of another


def test_layout_of_straight_chain_is_one_row():
    x = _leaf([1.])
    with autograd.record():
        y = mx.nd.exp(mx.nd.sin(x) * 2)
    layout = book.graph_layout(book.trace_graph(y))
    assert layout.nodes == [(0, 0.0), (1, 0.0), (2, 0.0), (3, 0.0)]
    assert layout.bends == [[], [], []]


def test_layout_is_deterministic():
    first = book.graph_layout(book.trace_graph(*_diamond()))
    second = book.graph_layout(book.trace_graph(*_diamond()))
    assert first == second


def test_plot_graph_draws_one_box_per_node_and_one_arrow_per_edge():
    import matplotlib.pyplot as plt
    y, names = _diamond()
    g = book.trace_graph(y, names)
    ax = book.plot_graph(y, names)
    ax.figure.canvas.draw()  # arrows between boxes are placed when drawn
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    boxes = [t for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]
    assert [b.get_text() for b in boxes] == [label for _, label in g.nodes]
    assert len(arrows) == len(g.edges)
    # a long edge is a line through its bends, ending in its arrow
    assert len(ax.lines) == sum(1 for bends in book.graph_layout(g).bends if bends)
    widths = [b.get_bbox_patch().get_linewidth() for b in boxes]
    assert widths[g.heads[0]] > max(w for i, w in enumerate(widths) if i != g.heads[0])
    plt.close(ax.figure)


def test_plot_graph_into_given_axes():
    import matplotlib.pyplot as plt
    y, _ = _diamond()
    fig, ax = plt.subplots()
    assert book.plot_graph(y, ax=ax) is ax
    assert len(fig.axes) == 1
    plt.close(fig)


# ------------------------------------------------------------------ drawing symbols
def _small_symbol():
    """data -> FullyConnected (weight, bias) -> relu, and a constant scale."""
    data = mx.sym.var('data')
    fc = mx.sym.FullyConnected(data, num_hidden=3, name='fc')
    return mx.sym.broadcast_mul(mx.sym.relu(fc, name='act'),
                                mx.sym.ones((1, 1), name='one') * 2, name='out')


def test_symbol_graph_kinds_labels_and_edges():
    g = book.symbol_graph(_small_symbol())
    assert g.nodes[:4] == [('variable', 'data'), ('parameter', 'fc_weight'),
                           ('parameter', 'fc_bias'), ('op', 'FullyConnected')]
    assert [kind for kind, _ in g.nodes[4:]] == ['op'] * 4
    labels = [label for _, label in g.nodes]
    # an edge per operator input, in input order
    assert g.edges[:3] == [(0, 3), (1, 3), (2, 3)]
    assert len(g.edges) == 3 + 1 + 1 + 2
    assert g.heads == [labels.index('broadcast_mul')]
    named = book.symbol_graph(_small_symbol(), names=True)
    assert named.nodes[3] == ('op', 'fc\nFullyConnected')
    assert named.nodes[0] == ('variable', 'data')  # variables carry their names anyway


def test_symbol_graph_of_compiled_graph_shows_constants_and_fused_kernels():
    from d2lmini.symbol import passes
    x = mx.sym.var('x')
    y = mx.sym.relu(x * 2 + 1) + mx.sym.ones((3,)) * 4
    g, _ = passes.run_pipeline(passes.Graph.from_symbol(y, {'x': (3,)}))
    drawn = book.symbol_graph(g)
    kinds = [kind for kind, _ in drawn.nodes]
    assert kinds.count('constant') == 1 and kinds.count('variable') == 1
    assert ('constant', 'constant\n(3,)') in drawn.nodes
    fused = [label for kind, label in drawn.nodes if label.startswith('fused\n')]
    assert fused
    hints = {op.hint.strip('_') for op in OPS.values()}
    for label in fused:   # the kernel's operators, a few per line
        assert set(label.split()[1:]) <= hints and len(label.split()) > 2, label
        assert all(len(line) <= 20 for line in label.splitlines()), label
    assert len(drawn.nodes) == len(g.nodes)
    assert len(drawn.edges) == sum(len(n.inputs) for n in g.nodes)


def test_layout_puts_parameters_beside_their_reader():
    g = book.symbol_graph(_small_symbol())
    pos = book.graph_layout(g).nodes
    for i, (kind, _) in enumerate(g.nodes):
        readers = [dst for src, dst in g.edges if src == i]
        if kind == 'parameter':
            assert pos[i][0] == min(pos[r][0] for r in readers) - 1
    # deep in a network, a weight does not start in the first column
    data = mx.sym.var('data')
    deep = mx.sym.FullyConnected(mx.sym.relu(mx.sym.relu(data)), num_hidden=2, name='fc')
    g = book.symbol_graph(deep)
    pos = book.graph_layout(g).nodes
    weight = [label for _, label in g.nodes].index('fc_weight')
    assert pos[weight][0] == 2 and pos[0][0] == 0


def test_layout_draws_what_depends_on_no_variable_beside_its_reader():
    g = book.symbol_graph(_small_symbol())   # out = relu(fc(data)) * (ones((1, 1)) * 2)
    pos = book.graph_layout(g).nodes
    labels = [label for _, label in g.nodes]
    out, scaled, ones = (labels.index(k) for k in ('broadcast_mul', '_mul_scalar', '_ones'))
    assert pos[scaled][0] == pos[out][0] - 1 and pos[ones][0] == pos[out][0] - 2
    assert pos[labels.index('FullyConnected')][0] == 1   # the data's path is unchanged


def test_draw_graph_vertical_runs_from_top_to_bottom():
    import matplotlib.pyplot as plt
    g = book.symbol_graph(_small_symbol())
    ax = book.draw_graph(g, vertical=True)
    ax.figure.canvas.draw()
    boxes = [t for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]
    arrows = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    assert [b.get_text() for b in boxes] == [label for _, label in g.nodes]
    assert len(arrows) == len(g.edges)
    for src, dst in g.edges:   # every input above the operator that reads it
        assert boxes[src].get_position()[1] > boxes[dst].get_position()[1]
    tall = ax.figure.get_size_inches()
    plt.close(ax.figure)
    ax = book.draw_graph(g)  # the default stays left to right
    boxes = [t for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]
    for src, dst in g.edges:
        assert boxes[src].get_position()[0] < boxes[dst].get_position()[0]
    wide = ax.figure.get_size_inches()
    assert tall[1] / tall[0] > wide[1] / wide[0]
    plt.close(ax.figure)


def test_plot_symbols_side_by_side():
    import matplotlib.pyplot as plt
    small = mx.sym.relu(mx.sym.var('x'))
    axes = book.plot_symbols([_small_symbol(), small], titles=['network', 'relu'])
    assert len(axes) == 2 and axes[0].figure is axes[1].figure
    assert [ax.get_title() for ax in axes] == ['network', 'relu']
    assert len(axes[1].texts) == 2 + 1        # two boxes, one arrow
    # each panel is as wide as its graph needs
    assert axes[0].get_position().width > axes[1].get_position().width
    plt.close(axes[0].figure)
    ax = book.plot_symbol(small)
    assert len(ax.texts) == 3
    plt.close(ax.figure)




def _plain(x):
    return x + 1


def _route(func, transparent):
    @functools.wraps(func)
    def routed(x):
        return func(x)
    routed.shows_wrapped = transparent
    return routed


def test_a_wrapper_that_shows_what_it_wraps():
    # a wrapper made inside a function is shown with the code that makes it, unless
    # it says that what it wraps is what matters
    assert 'return func(x)' in book.source(_route(_plain, False))
    shown = book.source(_route(_plain, True))
    assert 'return x + 1' in shown and 'return func(x)' not in shown
