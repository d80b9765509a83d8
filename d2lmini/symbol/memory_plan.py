"""How much memory a bound executor needs for the values it computes.

``Executor.debug_str()`` ends, as in MXNet 1.x, with ``Total N MB allocated``. The
figure comes from a memory plan of the executor's graph, made the way MXNet 1.x
plans its executors: every value the graph computes gets a buffer, a buffer is given
back once nothing reads its value any more, and a later value takes a free buffer
before a new one is made. What the plan counts:

* the forward values: every output of every operator node (the arguments, the
  auxiliary states and the gradient arrays belong to the caller and are not
  counted; the graph's outputs are kept for the caller, so their buffers are never
  given back);
* when some argument takes a gradient (``grad_req`` other than ``'null'``), the
  backward too: the forward values an operator's gradient reads stay alive until
  that gradient has run; each graph output that a gradient flows back from gets a
  buffer for its head gradient; each operator sends one gradient value to every
  input that leads to a gradient-taking argument. Gradients arriving at one value
  from several readers are summed into the first one's buffer; a single gradient
  for an argument is written straight into the argument's gradient array;
* nothing behind ``BlockGrad``/``stop_gradient`` (nor an output that no gradient
  reaches) is planned for the backward, so such a graph needs no more than its
  forward pass.

An element-by-element operator (``exp``, ``+``, ``Activation``, ``Reshape``, ...) may
write its result over an input that nothing reads afterwards, as MXNet's in-place
operators do; other operators always get a buffer of their own. Which forward values
an operator's gradient reads is found by tracing its ``backward`` function on symbols
(as :mod:`d2lmini.symbol.passes.gradient` builds gradient graphs): the values its
gradient graph takes as variables; a backward that cannot be traced keeps every input
and output.

MB are whole mebibytes rounded down (``bytes >> 20``), as MXNet 1.x prints them.
Checked against MXNet 1.9.1, float32, the figures agree for: chains of ``x = x * x``
(``(n + 2)`` values with gradients, two without or behind ``stop_gradient``), chains
of ``exp``, ``tanh`` and ``+ 1``, ``FullyConnected``, ``BatchNorm``, and an output
behind ``BlockGrad`` grouped with one that takes gradients. Where they differ:

* MXNet counts 4 bytes per element whatever the dtype; d2lmini counts the dtype's
  size (a float64 ``exp`` of 1M elements: 16 MB here, 8 MB in MXNet);
* MXNet plans a scratch buffer for the gradient of an input that takes none
  (``x * y`` with ``y``'s ``grad_req='null'``: 12 MB in MXNet, 8 MB here for 4 MB
  values);
* an operator's gradient keeps what d2lmini's backward reads, which is not always
  what MXNet's keeps (``Activation``'s gradient reads its input, so a ReLU after
  ``FullyConnected`` cannot work in place: 11 MB here, 7 MB in MXNet, for 4 MB
  values), so a deep network may differ by a few values either way.

>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> exe = (x * x).simple_bind(mx.cpu(), x=(1024, 1024))          # 4 MB per value
>>> planned_bytes(exe) >> 20     # x * x, its head gradient, a second gradient for x
12
>>> planned_bytes((x * x).simple_bind(mx.cpu(), x=(1024, 1024), grad_req='null')) >> 20
4
"""
import numpy as np

from . import graph as _graph

# MXNet's planner reuses a free buffer at most this many times larger or smaller
# than the value (MXNET_EXEC_MATCH_RANGE)
_MATCH_RANGE = 16

# element-by-element operators outside ops.elemwise, and operators whose result is
# the input seen differently: they may write over an input nothing reads afterwards
_IN_PLACE_OPS = frozenset({
    'Activation', 'LeakyReLU', 'Reshape', 'reshape', 'Flatten', 'flatten', 'expand_dims',
    'squeeze', 'identity', '_copy', 'BlockGrad', 'stop_gradient', 'clip'})


def planned_bytes(executor):
    """The bytes ``executor`` needs for the values its graph computes (see the
    module's docstring for what is counted)."""
    symbol = executor._symbol
    known_shapes = {n: a.shape for n, a in zip(executor._arg_names, executor.arg_arrays)}
    known_shapes.update({n: a.shape for n, a in zip(executor._aux_names, executor.aux_arrays)})
    known_types = {n: a.dtype for n, a in zip(executor._arg_names + executor._aux_names,
                                              executor.arg_arrays + executor.aux_arrays)}
    shapes = _graph.infer_shapes(symbol._entries, known_shapes)
    try:
        types = _graph.infer_types(symbol._entries, known_types)
    except Exception:       # dtypes that cannot be told now: count 4-byte values
        types = {}
    sizes = {key: _nbytes(shape, types.get(key))
             for key, shape in shapes.items() if shape is not None}
    grad_args = {id_ for id_, req in zip(executor._arg_ids, executor._grad_req)
                 if req != 'null'}
    plan = _Plan(executor._order, symbol._entries, sizes, grad_args, shapes, types)
    return plan.run()


def _nbytes(shape, dtype):
    itemsize = np.dtype(dtype).itemsize if dtype is not None else 4
    return int(np.prod(shape, dtype=np.int64)) * itemsize


class _Pool:
    """Buffers handed out and given back; ``total`` is the bytes of all buffers made."""

    def __init__(self):
        self.sizes = []       # size of buffer i
        self.free = set()
        self.total = 0

    def request(self, nbytes):
        # the smallest free buffer large enough, else the largest smaller one, grown
        larger = [b for b in self.free
                  if nbytes <= self.sizes[b] <= nbytes * _MATCH_RANGE]
        smaller = [b for b in self.free
                   if nbytes / _MATCH_RANGE <= self.sizes[b] < nbytes]
        if larger:
            buf = min(larger, key=lambda b: (self.sizes[b], b))
        elif smaller:
            buf = max(smaller, key=lambda b: (self.sizes[b], -b))
            self.total += nbytes - self.sizes[buf]
            self.sizes[buf] = nbytes
        else:
            buf = len(self.sizes)
            self.sizes.append(nbytes)
            self.total += nbytes
            return buf
        self.free.discard(buf)
        return buf

    def release(self, buf):
        self.free.add(buf)


class _Plan:
    """One pass over the forward nodes and, when gradients are taken, the backward
    ones in reverse, handing out and taking back buffers as values come and go."""

    def __init__(self, order, heads, sizes, grad_args, shapes, dtypes):
        self.order = order
        self.shapes, self.dtypes = shapes, dtypes
        self.heads = [(id(node), i) for node, i in heads]
        self.sizes = sizes
        self.pool = _Pool()
        self.buffer = {}          # forward value -> buffer
        self.needs_grad = self._needs_grad(grad_args)
        self.tape = self._tape()
        self.kept = self._kept_for_backward()

    # ------------------------------------------------------------ which nodes
    def _needs_grad(self, grad_args):
        """The values a gradient must reach: the gradient-taking arguments and the
        outputs of differentiable operators that read one."""
        needs = {(i, 0) for i in grad_args}
        for node in self.order:
            if node.op is not None and _differentiable(node.op) and \
                    any((id(src), i) in needs for src, i in node.inputs):
                needs.update((id(node), k) for k in range(node.num_outputs))
        return needs

    def _tape(self):
        """The operator nodes whose gradient runs: they read a value that needs a
        gradient, and a gradient flows back to them from an output."""
        reached = {key for key in self.heads if key in self.needs_grad}
        tape = []
        for node in reversed(self.order):
            if node.op is None or not _differentiable(node.op):
                continue
            outs = [(id(node), k) for k in range(node.num_outputs)]
            if any(o in reached for o in outs) and \
                    any((id(src), i) in self.needs_grad for src, i in node.inputs):
                tape.append(node)
                reached.update((id(src), i) for src, i in node.inputs)
        return tape          # in backward order

    def _kept_for_backward(self):
        """Forward value -> the last tape node (in backward order) whose gradient
        reads it."""
        kept = {}
        for node in self.tape:
            inputs_read, outputs_read = _backward_reads(node, self.shapes, self.dtypes)
            keys = [(id(src), i) for pos, (src, i) in enumerate(node.inputs)
                    if src.op is not None and pos in inputs_read]
            keys += [(id(node), k) for k in outputs_read]
            for key in keys:
                kept[key] = node     # later in backward order wins
        return kept

    # ------------------------------------------------------------ the passes
    def run(self):
        self._forward()
        if self.tape:
            self._backward()
        return self.pool.total

    def _forward(self):
        outputs = set(self.heads)
        reads = {}
        for node in self.order:
            for src, i in node.inputs:
                reads[(id(src), i)] = reads.get((id(src), i), 0) + 1
        for node in self.order:
            if node.op is None:
                continue
            in_keys = [(id(src), i) for src, i in node.inputs]
            for k in range(node.num_outputs):
                key = (id(node), k)
                if key not in self.sizes:
                    continue
                donor = self._in_place_donor(node, in_keys, key, reads, outputs)
                if donor is not None:
                    self.buffer[key] = self.buffer.pop(donor)
                else:
                    self.buffer[key] = self.pool.request(self.sizes[key])
            for key in in_keys:
                reads[key] -= 1
                self._forget_if_dead(key, reads, outputs)
            for k in range(node.num_outputs):
                self._forget_if_dead((id(node), k), reads, outputs)

    def _in_place_donor(self, node, in_keys, out_key, reads, outputs):
        """An input whose buffer the output may take: the operator works element by
        element, this node is the input's last reader, and the backward does not
        need the input."""
        if not _works_in_place(node.op):
            return None
        for key in in_keys:
            if key in self.buffer and reads[key] == 1 and in_keys.count(key) == 1 and \
                    key not in outputs and key not in self.kept and \
                    self.sizes.get(key) == self.sizes[out_key]:
                return key
        return None

    def _forget_if_dead(self, key, reads, outputs):
        if key in self.buffer and reads.get(key, 0) == 0 and key not in outputs and \
                key not in self.kept:
            self.pool.release(self.buffer.pop(key))

    def _backward(self):
        outputs = set(self.heads)
        grad = {}                  # value -> buffer of its gradient (None: not planned)
        for key in self.heads:     # the head gradients: the first gradient of an output
            if key in self.needs_grad and key in self.sizes and key not in grad:
                grad[key] = self.pool.request(self.sizes[key])
        arg_grads = {}             # argument -> gradients to be summed into its array
        arrivals = {}              # argument -> how many gradients reach it
        for node in self.tape:
            for src, i in node.inputs:
                if src.op is None and (id(src), i) in self.needs_grad:
                    arrivals[id(src)] = arrivals.get(id(src), 0) + 1
        for node in self.tape:
            out_grads = [grad.pop((id(node), k), None) for k in range(node.num_outputs)]
            donors = [b for b, k in zip(out_grads, range(node.num_outputs))
                      if b is not None and _works_in_place(node.op)]
            fresh = []             # buffers this node's gradients were written into
            for src, i in node.inputs:
                key = (id(src), i)
                if key not in self.needs_grad:
                    continue
                if src.op is None and arrivals[id(src)] == 1:
                    continue       # written straight into the argument's gradient array
                size = self.sizes.get(key)
                if size is None:
                    continue
                donor = next((b for b in donors if self.pool.sizes[b] == size), None)
                if donor is not None:
                    donors.remove(donor)
                    buf = donor
                else:
                    buf = self.pool.request(size)
                fresh.append(buf)
                if src.op is None:
                    arg_grads.setdefault(id(src), []).append(buf)
                elif key in grad:     # summed into the first gradient's buffer
                    self.pool.release(buf)
                else:
                    grad[key] = buf
            for buf in out_grads:
                if buf is not None and buf not in fresh:
                    self.pool.release(buf)
            for src, i in node.inputs:    # all gradients of an argument summed: give back
                if src.op is None and id(src) in arg_grads and \
                        len(arg_grads[id(src)]) == arrivals[id(src)]:
                    for buf in arg_grads.pop(id(src)):
                        self.pool.release(buf)
            for key, last in list(self.kept.items()):
                if last is node:
                    del self.kept[key]
                    if key in self.buffer and key not in outputs:
                        self.pool.release(self.buffer.pop(key))


def _differentiable(op):
    return op.backward is not None and not op.no_grad


def _works_in_place(op):
    return op.name in _IN_PLACE_OPS or op.forward.__module__.endswith('.ops.elemwise')


def _backward_reads(node, shapes, dtypes):
    """``(input positions, output positions)``: the forward values ``node``'s
    gradient reads, found by tracing its backward on a graph of ``node`` alone (every
    input taking a gradient). Everything, when the backward cannot be traced."""
    from .passes.gradient import gradient_graph, layout
    from .passes.ir import Graph
    from .symbol import Symbol
    every = set(range(len(node.inputs))), set(range(node.num_outputs))
    names = [f'in{pos}' for pos in range(len(node.inputs))]
    alone = _graph.Node(node.op, node.name, dict(node.attrs),
                        [(_graph.Node(None, n), 0) for n in names])
    in_shapes = {n: shapes.get((id(src), i)) for n, (src, i) in zip(names, node.inputs)}
    if any(s is None for s in in_shapes.values()):
        return every
    in_types = {n: dtypes[(id(src), i)] for n, (src, i) in zip(names, node.inputs)
                if (id(src), i) in dtypes}
    try:
        g = Graph.from_symbol(Symbol([(alone, k) for k in range(node.num_outputs)]),
                              in_shapes, in_types)
        index, steps = layout(g, names)
        traced = gradient_graph(g, names, set(index.values()), index, steps)
    except Exception:        # a backward that reads values, or has no symbolic form
        return every
    slots = {traced.reads[v.name][1] for v in traced.graph.nodes
             if v.op is None and traced.reads.get(v.name, (None,))[0] == 'value'}
    n_in = len(names)
    return ({pos for pos in range(n_in) if pos in slots},
            {j - n_in for j in slots if j >= n_in})
