"""Reverse-mode automatic differentiation on a tape.

While ``record()`` is active, every operator whose inputs need a gradient adds a
:class:`Node` to a graph: which operator ran, its attributes, the raw input and
output arrays, and where its inputs came from. ``backward()`` walks that graph from
the output back to the leaves (arrays that called ``attach_grad``), calling each
operator's registered ``backward``.

Because every registered backward is written with ``nd`` operators, running it while
recording (``create_graph=True``) records the gradient computation too, so
gradients of gradients work without extra code. A backward that is one fused
internal operator (``_backward_Pooling``, ``_backward_BatchNorm``, ...) is
differentiable because that operator has a backward of its own.

An operator without a backward has declared why (see ``ops/registry.py``): its
gradient is zero (``no_grad``, skipped), or it is a gradient operator that cannot
be differentiated (``once_differentiable``). A gradient that reaches any other
operator without a backward raises an error instead of being dropped, since
dropping it would silently give zeros.

>>> import d2lmini as mx
>>> x = mx.nd.array([1., 2., 3.])
>>> x.attach_grad()
>>> with mx.autograd.record():
...     y = (x * x).sum()
>>> y.backward()
>>> x.grad
<BLANKLINE>
[2. 4. 6.]
<NDArray 3 @cpu(0)>
"""
import itertools
import weakref

import numpy as np

from .base import MXNetError


from .tape import _State, _STATE, Variable, Node, _record  # noqa: F401
from . import ndarray as nd
# the array and symbol types, importable from here as from MXNet's autograd
from .ndarray.ndarray import NDArray, _as_recorded, _wrap_entry
from .symbol.graph import Node as SymNode, topological_order
from .symbol.symbol import Symbol
from .ops.registry import Op, zero_gradient


# ------------------------------------------------------------------ scopes
class _Scope:
    def __init__(self, recording, training):
        self._rec, self._train = recording, training
        self._saved = []

    def __enter__(self):
        self._saved.append((_STATE.recording, _STATE.training))
        if self._rec is not None:
            _STATE.recording = self._rec
        if self._train is not None:
            _STATE.training = self._train
        return self

    def __exit__(self, *exc):
        _STATE.recording, _STATE.training = self._saved.pop()
        return False


def record(train_mode=True):
    """Record operators for ``backward`` inside a ``with`` block.

    ``train_mode`` also switches layers such as dropout into training behaviour.
    """
    return _Scope(True, train_mode)


def pause(train_mode=False):
    """Stop recording inside a ``with`` block (e.g. to update weights)."""
    return _Scope(False, train_mode)


def train_mode():
    """Training behaviour (dropout active) without changing recording."""
    return _Scope(None, True)


def predict_mode():
    """Prediction behaviour (dropout off) without changing recording."""
    return _Scope(None, False)


def is_recording():
    return _STATE.recording


def is_training():
    return _STATE.training


def set_recording(is_recording):
    """Switch recording on or off; returns the previous state."""
    prev, _STATE.recording = _STATE.recording, bool(is_recording)
    return prev


def set_training(train_mode):
    """Switch training behaviour on or off; returns the previous state."""
    prev, _STATE.training = _STATE.training, bool(train_mode)
    return prev


# ------------------------------------------------------------------ the graph
def mark_variables(variables, gradients, grad_reqs='write'):
    """Make ``variables`` leaves whose gradients are written into ``gradients``."""
    if isinstance(variables, NDArray):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    for v, g, req in zip(variables, gradients, grad_reqs):
        if req not in ('write', 'add', 'null'):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', not {req!r}")
        v._node = None if req == 'null' else Variable(g, req)
        v._oidx = 0
        if req != 'null':
            v._became_leaf()


# ------------------------------------------------------------------ backward
def _topological_order(heads):
    """Nodes reachable from ``heads``, each after all the nodes it depends on."""
    order, seen = [], set()
    stack = [(h, False) for h in heads]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if type(node) is Node:
            if node.in_data is None:
                raise MXNetError(
                    'this graph was freed by an earlier backward(); pass retain_graph=True '
                    'to the first backward to differentiate the same graph again')
            for p in node.parents:
                if p is not None and id(p[0]) not in seen:
                    stack.append((p[0], False))
    return order


def _accumulate(grads, key, g):
    old = grads.get(key)
    grads[key] = g if old is None else old + g


def _run_backward(heads, head_grads, variables, retain_graph, create_graph, train_mode):
    heads = [heads] if isinstance(heads, nd.NDArray) else list(heads)
    if head_grads is None or isinstance(head_grads, nd.NDArray):
        head_grads = [head_grads] + [None] * (len(heads) - 1)
    if len(head_grads) != len(heads):
        raise ValueError(f'{len(heads)} heads but {len(head_grads)} head gradients')
    grads = {}  # (node, output index) -> gradient NDArray
    given = set()  # ids of the head gradients as backward uses them
    for i, (h, hg) in enumerate(zip(heads, head_grads)):
        if h._node is None:
            raise MXNetError(
                'cannot differentiate an array that is not in a computational graph: '
                'call attach_grad() on the inputs and compute this array inside '
                'autograd.record()')
        if hg is None:
            hg = nd.ones(h.shape, ctx=h.context, dtype=h.dtype)
        elif hg.stype != 'default':
            # backward formulas multiply by the head gradient: a sparse one would keep
            # 0 * inf at 0 where MXNet (and the dense rule) gives NaN
            hg = hg.tostype('default')
        elif hg.shape != h.shape:
            op = h._node.op
            if getattr(op, 'no_grad', False) or getattr(op, 'backward', None) is zero_gradient:
                # its operator sends no gradient back (shape_array, argsort, ...): this
                # head gradient is never read, as in MXNet, so its shape does not matter
                continue
            raise MXNetError(f'head gradient of shape {hg.shape} for an output of shape {h.shape}')
        else:
            given.add(id(hg))
        if create_graph and hg._node is None:
            hg = _head_gradient_leaf(hg, i)
            given.add(id(hg))
        _accumulate(grads, (h._node, h._oidx), hg)
    wanted = None
    if variables is not None:
        wanted = {}  # (node, output index) -> positions in variables (one array may repeat)
        for i, v in enumerate(variables):
            if v._node is None:
                raise MXNetError(f'variable {i} is not in the recorded graph: call attach_grad() '
                                 'on it before computing the heads inside autograd.record()')
            wanted.setdefault((v._node, v._oidx), []).append(i)
    order = _topological_order([h._node for h in heads])
    # which nodes matter to the variables asked for: a node without a gradient is an
    # error only where its gradient is needed (backward() needs every node's)
    needed = None if wanted is None else _leading_to(order, wanted)
    results = [None] * (len(variables) if variables is not None else 0)
    saved = _STATE.recording, _STATE.training
    _STATE.recording, _STATE.training = create_graph, train_mode
    try:
        for node in reversed(order):
            n_out = node.num_outputs
            dys = [grads.pop((node, i), None) for i in range(n_out)]
            if wanted is not None:
                for i in range(n_out):
                    for j in wanted.get((node, i), ()):
                        results[j] = dys[i]
            if type(node) is Variable:
                if variables is None and dys[0] is not None:
                    _write_leaf(node, dys[0])
                continue
            op = node.op
            if op.backward is None or all(d is None for d in dys):
                if (op.backward is None and not getattr(op, 'no_grad', False)
                        and any(d is not None for d in dys)
                        and (needed is None or id(node) in needed)):
                    raise _no_backward_error(op)
                if not retain_graph:
                    _free(node)
                continue
            ctx = node.ctx
            ys = [_wrap_entry(d, ctx, node, i) for i, d in enumerate(node.out_data)]
            for i, d in enumerate(dys):
                if d is None:
                    dys[i] = nd.zeros_like(ys[i])
            xs = tuple([_wrap_entry(d, ctx, *(p or (None, 0)))
                        for d, p in zip(node.in_data, node.parents)])
            if n_out == 1:
                in_grads = op.backward(nd, dys[0], xs, ys[0], **op.full_attrs(node.attrs))
            else:
                in_grads = op.backward(nd, tuple(dys), xs, tuple(ys), **op.full_attrs(node.attrs))
            if create_graph and getattr(op, 'once_differentiable', False):
                in_grads = _first_order_only(op, in_grads, dys, xs)
            for p, g in zip(node.parents, in_grads):
                if p is not None and g is not None:
                    _accumulate(grads, p, g)
            if not retain_graph:
                _free(node)
        if variables is None:
            return None
        # a gradient that is one of the head gradients (y = x + 1 passes it straight
        # through) is copied, so that writing into one leaves the other alone; with
        # create_graph, the copy is recorded (as MXNet's _copy of _head_grad_0)
        return [nd.zeros_like(v) if r is None else nd._copy(r) if id(r) in given else r
                for r, v in zip(results, variables)]
    finally:
        _STATE.recording, _STATE.training = saved


def _head_gradient_leaf(hg, index):
    """Head gradient ``hg`` (an array outside the graph) as a leaf of the graph that
    ``autograd.grad(..., create_graph=True)`` records, named ``_head_grad_<index>`` as
    in MXNet. The gradients computed from it are then recorded even where they do not
    depend on the variables (the gradient ``dy * pi / 180`` of ``radians``): their own
    gradient is zero, not an error, and ``get_symbol`` shows them. A copy, so that the
    caller's array stays out of the graph and may still be written."""
    return _wrap_entry(hg._data.copy(), hg._ctx, Variable(None, 'null', f'_head_grad_{index}'), 0)


def _leading_to(order, wanted):
    """The ids of the nodes in ``order`` (topological) with an input that is, or
    depends on, one of the ``wanted`` entries."""
    leads = set()
    for node in order:
        if type(node) is Node and any(p is not None and (p in wanted or id(p[0]) in leads)
                                      for p in node.parents):
            leads.add(id(node))
    return leads


class _FirstOrderOnly:
    """Stands, in a recorded graph, for the gradient computation of ``op``, whose
    backward is not recorded (``once_differentiable``): a gradient that reaches it
    raises, where the missing record would otherwise read as a zero derivative."""
    backward = None
    no_grad = False
    once_differentiable = True

    def __init__(self, op):
        self.name = op.name
        # its name in get_symbol, as MXNet names the node of a gradient computation
        self.symbol_name = '_backward_' + ('CustomFunction' if isinstance(op, _FunctionOp)
                                           else op.name)


def _first_order_only(op, in_grads, dys, xs):
    """``in_grads`` recorded as outputs of a :class:`_FirstOrderOnly` node that depends
    on the output gradients and inputs of ``op``, when any of those is in the graph."""
    inputs = tuple(dys) + tuple(xs)
    if all(a._node is None for a in inputs):
        return in_grads
    marker, marked = _FirstOrderOnly(op), []
    for g in in_grads:
        if g is not None:
            g = g.detach()
            _record(marker, {}, inputs, tuple(a._data for a in inputs), (g,))
        marked.append(g)
    return marked


def _no_backward_error(op):
    """The error for a gradient that reaches an operator without a backward that does
    not declare its gradient zero: skipping it would give a wrong (zero) gradient."""
    if getattr(op, 'once_differentiable', False):
        return MXNetError(
            f'operator {op.name} supports only first-order gradients: it computes a '
            'gradient and cannot be differentiated itself, so the result of '
            'autograd.grad(..., create_graph=True) that passes through it cannot be '
            'differentiated again')
    return MXNetError(f'operator {op.name} is not differentiable: it registers no backward, '
                      'so no gradient can flow back through it')


def _free(node):
    node.in_data = node.out_data = None


def _write_leaf(var, g):
    grad = var.grad
    if grad is None:  # a head gradient's leaf: nothing asked for its gradient
        return
    if g.shape != grad.shape:
        g = g.broadcast_to(grad.shape)
    if grad.stype != 'default':
        # a row-sparse gradient buffer (attach_grad(stype=...), Embedding(sparse_grad=
        # True)): it stores the rows that receive a gradient
        grad._data = g._data if var.grad_req == 'write' else grad._data + g._data
    elif var.grad_req == 'write':
        grad._data[...] = g._data
    elif var.grad_req == 'add':
        grad._data += g._data
    var.fresh = True


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute gradients of ``heads`` and write them into the leaves' ``.grad``.

    ``head_grads`` defaults to ones (the gradient of ``sum(head)``).
    """
    if _STATE.logged:  # memory written in place while recording: see ndarray.py
        _STATE.before_backward(heads)
    _run_backward(heads, head_grads, None, retain_graph, False, train_mode)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):
    """Return the gradients of ``heads`` with respect to ``variables`` (a list),
    leaving ``.grad`` untouched. With ``create_graph=True`` the results are themselves
    recorded, so they can be differentiated again.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([2.])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = x ** 3
    ...     dy = mx.autograd.grad(y, [x], create_graph=True)[0]
    >>> dy.backward()           # d/dx (3 x^2) = 6 x
    >>> print(x.grad.asscalar())
    12.0
    """
    single = isinstance(variables, NDArray)
    if single:
        variables = [variables]
    if retain_graph is None:
        retain_graph = create_graph
    if _STATE.logged:  # memory written in place while recording: see ndarray.py
        _STATE.before_backward(heads)
    out = _run_backward(heads, head_grads, list(variables), retain_graph, create_graph,
                        train_mode)
    return out


# MXNet numbers the variables of recorded graphs with one counter for the process:
# a leaf is ``var<n>`` and a constant input ``null<n>``, and keeps its name, so that
# the symbols of different arrays name a shared input alike
_NAME_COUNT = itertools.count()
_CONSTANT_NAMES = {}  # id(raw array) -> (weak reference to the array, its name)


def _leaf_name(leaf):
    """The name of a leaf (a :class:`Variable`), given when first asked for."""
    if leaf.name is None:
        leaf.name = f'var{next(_NAME_COUNT)}'
    return leaf.name


def _constant_name(raw):
    """The name of the constant input whose raw array is ``raw``: the same for as long
    as that array lives."""
    key = id(raw)
    known = _CONSTANT_NAMES.get(key)
    if known is not None and known[0]() is raw:
        return known[1]
    name = f'null{next(_NAME_COUNT)}'
    try:
        ref = weakref.ref(raw, lambda _, key=key: _CONSTANT_NAMES.pop(key, None))
    except TypeError:  # an array type without weak references: named anew each time
        return name
    _CONSTANT_NAMES[key] = (ref, name)
    return name


_SHOWN_ONLY = {}  # (name, number of outputs) -> Op


def _symbol_op(node):
    """The operator of tape node ``node`` in a Symbol. A :class:`Function` call and a
    first-order-only gradient are Python code, not registered operators: they become
    nodes ``_CustomFunction`` and ``_backward_<op>`` as in MXNet, which a symbol shows
    but cannot compute."""
    op = node.op
    if isinstance(op, Op):
        return op
    name = '_CustomFunction' if isinstance(op, _FunctionOp) else op.symbol_name
    key = (name, node.num_outputs)
    if key not in _SHOWN_ONLY:
        def forward(xp, *inputs):
            raise MXNetError(f'{name}: this node of a symbol from autograd.get_symbol stands '
                             'for a computation the symbol does not hold (an autograd.Function '
                             'or a first-order-only gradient), so the symbol cannot be computed')
        _SHOWN_ONLY[key] = Op(name, forward, num_outputs=node.num_outputs)
    return _SHOWN_ONLY[key]


def get_symbol(x):
    """The computation recorded to produce ``x``, as a Symbol.

    As in MXNet, the arrays the recording started from are variables that keep one
    name: ``var0``, ``var1``, ... for the arrays that called ``attach_grad`` (an
    array of its own is one variable), ``null<n>`` for constant inputs, and
    ``_head_grad_0``, ... for the head gradients of ``grad(..., create_graph=True)``.
    The numbers count on through the process, in the order the names are first
    needed. Operator calls become nodes ``node_0``, ``node_1``, ... in the order
    they ran.

    >>> import d2lmini as mx
    >>> a = mx.nd.ones((2, 3)); a.attach_grad()
    >>> with mx.autograd.record():
    ...     b = mx.nd.relu(a * 2)
    >>> s = mx.autograd.get_symbol(b)
    >>> s.list_outputs(), s.list_arguments() == mx.autograd.get_symbol(a).list_outputs()
    (['node_1_output'], True)
    """
    if type(x._node) is Variable:
        return Symbol([(SymNode(None, _leaf_name(x._node)), 0)])
    if x._node is None or not isinstance(x._node, Node):
        raise MXNetError('get_symbol: the array was not computed while recording '
                         '(autograd.record()), so there is no graph to return')
    from .symbol.control_flow import cached_op_node   # (symbol imports autograd)
    made = {}       # id(tape node) -> its symbol node
    leaf_of = {}    # id(symbol node of a leaf) -> the leaf
    constants = {}  # id(raw array) -> symbol node: one variable for each constant array
    raw_of = {}     # id(symbol node of a constant) -> the raw array (None: not known)

    def constant(node, i):
        raw = None if node.in_data is None else node.in_data[i]  # None: freed by backward
        if raw is None or id(raw) not in constants:
            sym_node = SymNode(None, None)
            raw_of[id(sym_node)] = raw
            if raw is None:
                return sym_node
            constants[id(raw)] = sym_node
        return constants[id(raw)]

    def entry(parent):
        """The symbol entry of a tape node's output ``(node, index)``."""
        made_for = made[id(parent[0])]
        return made_for[parent[1]] if isinstance(made_for, list) else (made_for, parent[1])

    def convert(tape_node):
        # iterative depth-first conversion: graphs may be deeper than Python's stack
        stack = [tape_node]
        while stack:
            node = stack[-1]
            if id(node) in made:
                stack.pop()
                continue
            if not isinstance(node, Node):       # a leaf: named below
                made[id(node)] = SymNode(None, None)
                leaf_of[id(made[id(node)])] = node
                stack.pop()
                continue
            pending = [p[0] for p in node.parents if p is not None and id(p[0]) not in made]
            if pending:
                stack.extend(pending)
                continue
            inputs = [entry(p) if p is not None else (constant(node, i), 0)
                      for i, p in enumerate(node.parents)]
            plan = getattr(node.op, 'plan', None)
            if plan is not None:
                # a hybridized block's call: its traced graph, inlined when small
                # enough (see CachedOp's inline_limit), else one _CachedOp node
                made[id(node)] = _inline(plan, inputs) if plan.inline else \
                    cached_op_node(plan.symbol, plan.names, inputs)
                stack.pop()
                continue
            op = _symbol_op(node)
            attrs = {k: v for k, v in node.attrs.items() if k in op.defaults}
            made[id(node)] = SymNode(op, None, attrs, inputs)
            stack.pop()
    convert(x._node)
    head = entry((x._node, x._oidx))
    count = 0
    for node in topological_order([head]):  # leaves first named in this order
        if node.op is not None:
            if node.name is None:   # (the nodes of an inlined block keep their names)
                node.name, count = f'node_{count}', count + 1
        elif id(node) in leaf_of:
            node.name = _leaf_name(leaf_of[id(node)])
        else:
            raw = raw_of[id(node)]
            node.name = f'null{next(_NAME_COUNT)}' if raw is None else _constant_name(raw)
    return Symbol([head])


def _inline(plan, inputs):
    """The output entries of a copy of ``plan``'s traced graph whose variables are
    replaced by ``inputs`` (entries, in the order of ``plan.names``)."""
    symbol = plan.symbol.__copy__()
    by_name = dict(zip(plan.names, inputs))

    def read(src, i):
        return by_name.get(src.name, (src, i)) if src.op is None else (src, i)

    for node in topological_order(symbol._entries):
        node.inputs = [read(src, i) for src, i in node.inputs]
    return [read(src, i) for src, i in symbol._entries]


# ------------------------------------------------------------------ custom functions
class Function:
    """A differentiable function with a hand-written backward.

    Subclass it, define ``forward(*inputs)`` and ``backward(*output_grads)`` on
    NDArrays, and call an instance like a function::

        class Sigmoid(mx.autograd.Function):
            def forward(self, x):
                y = 1 / (1 + mx.nd.exp(-x))
                self.save_for_backward(y)
                return y

            def backward(self, dy):
                y, = self.saved_tensors
                return dy * y * (1 - y)

    ``forward`` runs with recording paused; ``backward`` must return one gradient
    per input.
    """

    def __init__(self):
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        with pause(train_mode=_STATE.training):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = (outputs,) if single else tuple(outputs)
        if _STATE.recording and _STATE.logged:  # inputs follow in-place writes first
            for x in inputs:
                _STATE.follow(x)
        if _STATE.recording and any(x._node is not None for x in inputs):
            # fresh arrays, so that outputs aliasing an input keep the input's own node
            outs = tuple(y.detach() for y in outs)
            node = _record(_FunctionOp(self, len(outs)), {}, inputs,
                           tuple(x._data for x in inputs), outs)
            node.op.epoch = node.epoch
            outputs = outs[0] if single else outs
        return outputs


class _FunctionOp:
    """Makes a :class:`Function` instance look like a registered operator to backward."""
    defaults = {}
    once_differentiable = True   # backward runs unrecorded: first-order gradients only
    epoch = 0                    # in-place writes made before the call (tape.Node.epoch)

    def __init__(self, func, num_outputs):
        self.func = func
        self.name = type(func).__name__
        self.num_outputs = num_outputs

    def full_attrs(self, attrs):
        return {}

    def backward(self, F, dy, x, y):
        dys = dy if self.num_outputs > 1 else (dy,)
        if _STATE.logged:
            # saved arrays written in place since forward: backward reads them as they
            # were, as every node does (see ndarray.py)
            self.func.saved_tensors = _as_recorded(self.func.saved_tensors, self.epoch)
        with pause(train_mode=_STATE.training):  # keep backward(train_mode=...)'s choice
            g = self.func.backward(*dys)
        shapes = ', '.join(str(a.shape) for a in x)
        if isinstance(g, NDArray):
            g = (g,)
        elif isinstance(g, (list, tuple)):
            g = tuple(g)
        else:
            raise MXNetError(f'{self.name}.backward returned {_what(g)}; it must return one '
                             f'NDArray per input of forward, here {len(x)} of shapes {shapes}')
        if len(g) != len(x):
            raise MXNetError(f'{self.name}.backward returned {len(g)} gradients for '
                             f'{len(x)} inputs (of shapes {shapes}): return one gradient per '
                             'input of forward, in the same order')
        return tuple(self._checked(i, gi, xi) for i, (gi, xi) in enumerate(zip(g, x)))

    def _checked(self, i, g, x):
        """Gradient ``g`` of input ``i``, which must fit the input ``x``. As in MXNet,
        which assigns it into the input's gradient, a gradient that broadcasts to the
        input's shape is broadcast and another dtype is converted."""
        if not isinstance(g, NDArray):
            hint = (' (nd.zeros_like(x) for an input that gets no gradient)' if g is None
                    else '')
            raise MXNetError(f'{self.name}.backward returned {_what(g)} as the gradient of input '
                             f'{i} (shape {x.shape}); it must be an NDArray{hint}')
        if g.shape != x.shape:
            try:
                fits = np.broadcast_shapes(g.shape, x.shape) == x.shape
            except ValueError:
                fits = False
            if not fits:
                raise MXNetError(f'{self.name}.backward returned a gradient of shape {g.shape} for '
                                 f'input {i}, which has shape {x.shape}: the gradient of an input '
                                 'must have its shape')
            g = g.broadcast_to(x.shape)
        if g.dtype != x.dtype:
            g = g.astype(x.dtype)
        return g


def _what(value):
    """``None``, or ``a list``: a value described for an error message."""
    if value is None:
        return 'None'
    name = type(value).__name__
    return f'{"an" if name[0] in "aeiou" else "a"} {name}'
