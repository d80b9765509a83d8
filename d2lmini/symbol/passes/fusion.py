"""Element-wise fusion: a chain of element-wise operators becomes one kernel.

``relu(x * 2 + b)`` runs three operators, each reading and writing a whole array
(and, in Python, each paying a call). Fused, it is one generated function that
writes every step into a single output buffer (numpy's ``out=``) on the CPU, or
one generated ``cupy.ElementwiseKernel`` on a GPU, where the whole chain becomes a
single pass over memory.

A chain grows while the next node reads the previous one's output, that output has
no other reader, and the shape stays the same (the first node may broadcast its
inputs up to that shape). Only floating-point data is fused. The table below says,
for the operators it knows, how to write them as numpy calls and as C; the
registry is not asked to know about fusion.

Fused nodes have no backward: the compiler fuses only graphs that are not
differentiated operator by operator (inference graphs, gradient graphs), or
forward graphs once every value their compiled backward reads is an output,
which no chain swallows (an output has a reader outside the chain).

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> x = mx.sym.var('x')
>>> y = mx.sym.relu(mx.sym._plus_scalar(mx.sym._mul_scalar(x, scalar=2, name='double'),
...                                     scalar=1, name='inc'), name='act')
>>> g = Graph.from_symbol(y, {'x': (3,)})
>>> len(g), len(fuse_elementwise(g))
(4, 2)
>>> print(g.nodes[1].op.source)
def fused(xp, i0, out):
    xp.multiply(i0, 2.0, out=out)  # double
    xp.add(out, 1.0, out=out)  # inc
    xp.maximum(out, 0, out=out)  # act
    return out
"""
import numpy as np

from ..graph import Node
from .ir import GraphOp

# operator -> (numpy statements, C expression); {a}/{b} are the inputs, {o} the
# output buffer, {s} the scalar attribute
_UNARY = {
    'relu': (['xp.maximum({a}, 0, out={o})'], 'max({a}, (T)0)'),
    # the registered sigmoid's formula, so that fused and unfused results agree
    'sigmoid': (['xp.negative({a}, out={o})', 'xp.exp({o}, out={o})',
                 'xp.add({o}, 1.0, out={o})', 'xp.reciprocal({o}, out={o})'],
                '(T)1 / ((T)1 + exp(-{a}))'),
    'tanh': (['xp.tanh({a}, out={o})'], 'tanh({a})'),
    'exp': (['xp.exp({a}, out={o})'], 'exp({a})'),
    'log': (['xp.log({a}, out={o})'], 'log({a})'),
    'sqrt': (['xp.sqrt({a}, out={o})'], 'sqrt({a})'),
    'abs': (['xp.absolute({a}, out={o})'], 'abs({a})'),
    'negative': (['xp.negative({a}, out={o})'], '-{a}'),
    'square': (['xp.square({a}, out={o})'], '{a} * {a}'),
}
_SCALAR = {
    '_plus_scalar': ('xp.add({a}, {s}, out={o})', '{a} + (T){s}'),
    '_minus_scalar': ('xp.subtract({a}, {s}, out={o})', '{a} - (T){s}'),
    '_rminus_scalar': ('xp.subtract({s}, {a}, out={o})', '(T){s} - {a}'),
    '_mul_scalar': ('xp.multiply({a}, {s}, out={o})', '{a} * (T){s}'),
    '_div_scalar': ('xp.true_divide({a}, {s}, out={o})', '{a} / (T){s}'),
    '_rdiv_scalar': ('xp.true_divide({s}, {a}, out={o})', '(T){s} / {a}'),
}
_BINARY = {
    'add': ('xp.add({a}, {b}, out={o})', '{a} + {b}'),
    'subtract': ('xp.subtract({a}, {b}, out={o})', '{a} - {b}'),
    'multiply': ('xp.multiply({a}, {b}, out={o})', '{a} * {b}'),
    'true_divide': ('xp.true_divide({a}, {b}, out={o})', '{a} / {b}'),
    'maximum': ('xp.maximum({a}, {b}, out={o})', 'max({a}, {b})'),
    'minimum': ('xp.minimum({a}, {b}, out={o})', 'min({a}, {b})'),
}
_BINARY_OPS = {'elemwise_add': 'add', 'broadcast_add': 'add', 'elemwise_sub': 'subtract',
               'broadcast_sub': 'subtract', 'elemwise_mul': 'multiply',
               'broadcast_mul': 'multiply', 'elemwise_div': 'true_divide',
               'broadcast_div': 'true_divide', 'broadcast_maximum': 'maximum',
               'broadcast_minimum': 'minimum'}


def _kernel(node):
    """``(numpy statements, C expression)`` templates for ``node``, or None when it is
    not an element-wise operator this pass knows."""
    name = node.op.name
    if name == 'Activation':
        name = node.attrs.get('act_type')
    if name in _UNARY and len(node.inputs) == 1 and (name != node.op.name or not node.attrs):
        return _UNARY[name]
    if name in _SCALAR:
        s = node.attrs.get('scalar', 0.0)
        if not isinstance(s, (int, float)):
            return None
        s = repr(float(s))
        return [_SCALAR[name][0].replace('{s}', s)], _SCALAR[name][1].replace('{s}', s)
    if name in _BINARY_OPS:
        py, c = _BINARY[_BINARY_OPS[name]]
        return [py], c
    return None


class FusedOp(GraphOp):
    """One generated kernel for a chain of element-wise nodes.

    ``forward(xp, *inputs, out=None)`` writes into ``out`` (allocated when None):
    numpy runs the generated Python function, cupy a generated ElementwiseKernel,
    built on first use (cupy is imported only then)."""

    def __init__(self, members, inputs, shape, dtype):
        super().__init__('_fused_' + '_'.join(m.op.hint.strip('_') for m in members))
        self.members = [m.name for m in members]
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)
        self.source, self.c_source = _generate(members, inputs)
        env = {}
        exec(compile(self.source, f'<{self.name}>', 'exec'), env)   # noqa: S102
        self._numpy = env['fused']
        self._gpu = None
        # exp(-x) overflows to inf for very negative x, and 1 / (1 + inf) = 0 is the
        # right sigmoid: only numpy's warning about it is silenced, as the operator does
        self._quiet = any(m.op.name == 'sigmoid' for m in members)
        # inputs that may be overwritten in place: read once, by the first member
        # only, so nothing reads them after the first step has written ``out``
        first = members[0]
        self.inplace_inputs = [k for k, e in enumerate(inputs)
                               if sum(1 for m in members for x in m.inputs if x == e) == 1
                               and e in first.inputs]

    def forward(self, xp, *inputs, out=None):
        if out is None:
            out = xp.empty(self.shape, self.dtype)
        if xp is np:
            if self._quiet:
                with np.errstate(over='ignore'):
                    return self._numpy(xp, *inputs, out)
            return self._numpy(xp, *inputs, out)
        return self._cupy_kernel()(*inputs, out)

    def _cupy_kernel(self):
        if self._gpu is None:
            from ... import backend
            cp = backend.cupy()
            params, body = self.c_source
            self._gpu = cp.ElementwiseKernel(params, 'T out', body, self.name)
        return self._gpu


def _generate(members, inputs):
    """The numpy function and the cupy kernel's (inputs, body) for a chain."""
    index = {e: k for k, e in enumerate(inputs)}
    lines = [f'def fused(xp, {", ".join(f"i{k}" for k in range(len(inputs)))}, out):']
    c_lines, prev = [], None

    def ref(e, c):
        if prev is not None and e == (prev, 0):
            return 'out' if not c else 't'
        return f'i{index[e]}'
    for m in members:
        py, cexpr = _kernel(m)
        a = ref(m.inputs[0], False)
        b = ref(m.inputs[1], False) if len(m.inputs) > 1 else None
        for stmt in py:
            lines.append('    ' + stmt.format(a=a, b=b, o='out') + f'  # {m.name}')
        ca = ref(m.inputs[0], True)
        cb = ref(m.inputs[1], True) if len(m.inputs) > 1 else None
        c_lines.append(f'{"t = " if c_lines else "T t = "}{cexpr.format(a=ca, b=cb)};')
        prev = m
    lines.append('    return out')
    c_params = ', '.join(f'T i{k}' for k in range(len(inputs)))
    c_lines.append('out = t;')
    return '\n'.join(lines), (c_params, '\n'.join(c_lines))


def fuse_elementwise(graph):
    consumers = graph.consumers()
    chain_of = {}           # id(last member) -> chain (list of nodes)
    chains = []
    for node in graph.nodes:
        if node.op is None or node.op.num_outputs != 1 or _kernel(node) is None:
            continue
        shape, dtype = graph.shape((node, 0)), graph.dtype((node, 0))
        if shape is None or dtype is None or dtype.kind != 'f':
            continue
        joined = None
        for src, i in node.inputs:
            chain = chain_of.get(id(src))
            if (chain is not None and consumers.get((id(src), i)) == 1
                    and graph.shape((src, i)) == shape and graph.dtype((src, i)) == dtype
                    and sum(1 for e in node.inputs if e == (src, i)) == 1):
                joined = chain
                del chain_of[id(src)]
                break
        if joined is None:
            joined = []
            chains.append(joined)
        joined.append(node)
        chain_of[id(node)] = joined
    fused, mapping, replaced = {}, {}, set()
    for chain in chains:
        if len(chain) < 2:
            continue
        members = {id(m) for m in chain}
        inputs = []
        for m in chain:
            for e in m.inputs:
                if id(e[0]) not in members and e not in inputs:
                    inputs.append(e)
        last = chain[-1]
        op = FusedOp(chain, inputs, graph.shape((last, 0)), graph.dtype((last, 0)))
        new = Node(op, last.name + '_fused', inputs=inputs)
        graph.shapes[(id(new), 0)] = op.shape
        graph.dtypes[(id(new), 0)] = op.dtype
        mapping[(id(last), 0)] = (new, 0)
        fused[id(last)] = new
        replaced |= members
    if not fused:
        return graph
    graph.nodes = [fused.get(id(n), n) for n in graph.nodes
                   if id(n) not in replaced or id(n) in fused]
    graph.replace_entries(mapping)
    return graph
