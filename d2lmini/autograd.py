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
import numpy as np

from .base import MXNetError


from .tape import _State, _STATE, Variable, Node, _record  # noqa: F401


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
    from .ndarray import NDArray
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
    from . import ndarray as nd
    from .ndarray.ndarray import _wrap_entry
    heads = [heads] if isinstance(heads, nd.NDArray) else list(heads)
    if head_grads is None or isinstance(head_grads, nd.NDArray):
        head_grads = [head_grads] + [None] * (len(heads) - 1)
    if len(head_grads) != len(heads):
        raise ValueError(f'{len(heads)} heads but {len(head_grads)} head gradients')
    grads = {}  # (node, output index) -> gradient NDArray
    for h, hg in zip(heads, head_grads):
        if h._node is None:
            raise MXNetError(
                'cannot differentiate an array that is not in a computational graph: '
                'call attach_grad() on the inputs and compute this array inside '
                'autograd.record()')
        if hg is None:
            hg = nd.ones(h.shape, ctx=h.context, dtype=h.dtype)
        elif hg.shape != h.shape:
            raise MXNetError(f'head gradient of shape {hg.shape} for an output of shape {h.shape}')
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
    finally:
        _STATE.recording, _STATE.training = saved
    if variables is not None:
        # a gradient that is one of the caller's head gradients (y = x + 1 passes it
        # straight through) is copied, so that writing into one leaves the other alone
        given = {id(hg) for hg in head_grads if hg is not None}
        return [nd.zeros_like(v) if r is None else r.copy() if id(r) in given else r
                for r, v in zip(results, variables)]
    return None


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
    if g.shape != grad.shape:
        g = g.broadcast_to(grad.shape)
    if var.grad_req == 'write':
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
    from .ndarray import NDArray
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


def get_symbol(x):
    """The computation recorded to produce ``x``, as a Symbol.

    Arrays the recording started from (attached gradients, and constants) become
    variables ``var0``, ``var1``, ...; operator calls become nodes ``node_0``,
    ``node_1``, ... in the order they ran, as MXNet names them.

    >>> import d2lmini as mx
    >>> a = mx.nd.ones((2, 3)); a.attach_grad()
    >>> with mx.autograd.record():
    ...     b = mx.nd.relu(a * 2)
    >>> s = mx.autograd.get_symbol(b)
    >>> s.list_arguments(), s.list_outputs()
    (['var0'], ['node_1_output'])
    """
    from .symbol.graph import Node as SymNode, topological_order
    from .symbol.symbol import Symbol
    from .tape import Node as TapeNode
    if x._node is None or not isinstance(x._node, TapeNode):
        raise MXNetError('get_symbol: the array was not computed while recording '
                         '(autograd.record()), so there is no graph to return')
    made = {}

    def convert(tape_node):
        # iterative depth-first conversion: graphs may be deeper than Python's stack
        stack = [tape_node]
        while stack:
            node = stack[-1]
            if id(node) in made:
                stack.pop()
                continue
            if not isinstance(node, TapeNode):       # a leaf with a gradient
                made[id(node)] = SymNode(None, None)
                stack.pop()
                continue
            pending = [p[0] for p in node.parents if p is not None and id(p[0]) not in made]
            if pending:
                stack.extend(pending)
                continue
            inputs = [(made[id(p[0])], p[1]) if p is not None else (SymNode(None, None), 0)
                      for p in node.parents]
            attrs = {k: v for k, v in node.attrs.items() if k in node.op.defaults}
            made[id(node)] = SymNode(node.op, None, attrs, inputs)
            stack.pop()
        return made[id(tape_node)]
    head = convert(x._node)
    counts = [0, 0]
    for node in topological_order([(head, 0)]):
        if node.op is None:
            node.name, counts[0] = f'var{counts[0]}', counts[0] + 1
        else:
            node.name, counts[1] = f'node_{counts[1]}', counts[1] + 1
    return Symbol([(head, x._oidx)])


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
        from .ndarray import NDArray
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
            from .ndarray.ndarray import _as_recorded
            self.func.saved_tensors = _as_recorded(self.func.saved_tensors, self.epoch)
        with pause(train_mode=_STATE.training):  # keep backward(train_mode=...)'s choice
            g = self.func.backward(*dys)
        from .ndarray import NDArray
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
        from .ndarray import NDArray
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
