"""Layout: let values between convolutions keep the batch-last memory order.

On the CPU a convolution multiplies the weights with the columns of a whole chunk
of images, ordered image-minor: its product is laid out ``(C, H, W, N)``, the
batch last. The usual ``(N, C, H, W)`` order costs a transposing copy of the
output; the next convolution's im2col, and the gradient kernels, transpose back
again. In a LeNet training step such copies are about 1.3 ms of 9 ms.

An NDArray a user holds must be C-contiguous (its reshapes share memory, as in
MXNet), so the operators always pay for those copies. Inside a compiled plan the
values are the plan's own: this pass lets a convolution (and, in a gradient
graph, a convolution's data gradient) return its result in the batch-last order,
as a transposed view with the usual shape. Everything downstream computes the
same numbers on it: an element-wise kernel writes its result in its input's
order, pooling and its gradient too, and the next convolution copies its columns
from it with long contiguous runs, or not at all.

A value may come in that order only where every reader takes any memory order
(:data:`ANY_ORDER`: the kernels audited for it; a kernel that reshaped such a view
and wrote into the reshape would write into a copy). The pass follows each
candidate's value through the operators that keep their input's order
(:data:`KEEPS_ORDER`), across to the gradient graph where it reads forward values,
and gives up on the candidate if any reader is not known to take any order, or if
the value reaches an output the caller receives (those must be C-contiguous).
Results are those of the plan without the pass up to rounding: a batch-last
convolution computes the whole batch as one chunk of images, and BLAS may order
the sums of a larger product differently (in float64 they agree to the bit).

The pass runs on the CPU only: on a GPU, im2col is a kernel that writes any order.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> x = mx.sym.var('x')
>>> c = mx.sym.Convolution(x, kernel=(3, 3), num_filter=4, name='c')
>>> net = mx.sym.Pooling(mx.sym.Activation(c, act_type='relu'), kernel=(2, 2), stride=(2, 2))
>>> g = Graph.from_symbol(mx.sym.Convolution(net, kernel=(3, 3), num_filter=2, name='d'),
...                       {'x': (8, 1, 12, 12)}, xp=np)
>>> [new.name for _, _, new in choose_batch_last(g)]
['c']
"""
import numpy as np

from ...ops import convolution as _conv
from ..graph import Node
from .fusion import FusedOp
from .ir import GraphOp

# operators whose kernels compute the right numbers on inputs in any memory order
ANY_ORDER = frozenset({
    'Activation', 'relu', 'sigmoid', 'tanh', 'softrelu', 'softsign',
    '_backward_sigmoid', '_backward_relu',
    'Pooling', '_backward_Pooling',
    'Convolution', '_conv_weight_grad', '_conv_data_grad', '_conv_bias_grad',
    'FullyConnected', '_fc_weight_grad', 'Flatten', 'Reshape',
})
# ... and those whose result may keep the order of an input (an element-wise
# kernel writes in its input's order; pooling and its gradient in the data's)
KEEPS_ORDER = frozenset({
    'Activation', 'relu', 'sigmoid', 'tanh', 'softrelu', 'softsign',
    '_backward_sigmoid', '_backward_relu', 'Pooling', '_backward_Pooling',
})
# the producers: operator -> its kernel that may return the batch-last order
_PRODUCERS = {
    'Convolution': _conv.convolution_batch_last,
    '_conv_data_grad': _conv.conv_data_grad_batch_last,
}


class BatchLast(GraphOp):
    """A convolution kernel (forward or data gradient) whose result may come in the
    batch-last order. It keeps its operator's name, for the profiler and the plan's
    source."""

    def __init__(self, name, kernel, shape, dtype):
        super().__init__(name)
        self.forward = kernel
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)


def _reads_any_order(node):
    op = node.op
    return isinstance(op, FusedOp) or (op is not None and op.name in ANY_ORDER)


def _keeps_order(node):
    return node.op is not None and node.op.name in KEEPS_ORDER


def _channels_first(node):
    try:
        return not _conv._channels_last(node.op.name, node.op.full_attrs(node.attrs)
                                        .get('layout'))
    except Exception:           # an unknown layout: the operator will say so when it runs
        return False


class _Readers:
    """Who reads each entry: nodes of the forward graph and, for a forward value
    the gradient graph reads, the nodes of the gradient graph that read it."""

    def __init__(self, graphs, value_entry):
        self.of = {}
        for graph in graphs:
            for node in graph.nodes:
                for src, i in node.inputs:
                    self.of.setdefault((id(src), i), []).append(node)
        if len(graphs) == 2:       # a gradient-graph variable standing for a forward value
            for var in graphs[1].nodes:
                entry = value_entry(var.name) if var.op is None else None
                if entry is not None:
                    self.of.setdefault((id(entry[0]), entry[1]), []).append(var)
        self.visible = set()
        for graph in graphs:
            self.visible.update((id(n), i) for n, i in graph.outputs)


def _may_batch_last(node, readers):
    """Whether ``node``'s output (and every value that may inherit its order) is read
    only by kernels that take any order, and reaches no output."""
    todo, seen = [(id(node), 0)], set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        if key in readers.visible:
            return False
        for reader in readers.of.get(key, ()):
            if reader.op is None:                   # a gradient-graph variable
                todo.append((id(reader), 0))
            elif not _reads_any_order(reader):
                return False
            elif _keeps_order(reader):
                todo.extend((id(reader), i) for i in range(reader.op.num_outputs or 1))
    return True


def choose_batch_last(forward, backward=None, value_entry=None):
    """Rewrite the convolutions of ``forward`` (and the convolution data gradients of
    its gradient graph ``backward``, whose variable ``name`` stands for the forward
    entry ``value_entry(name)``, None for an output gradient) whose results may keep
    the batch-last order. Graphs must be inferred. Returns the nodes rewritten (the
    originals) as ``(graph, original, new)``; the new nodes replace the originals in
    their graph's node list and outputs (:func:`undo` puts them back)."""
    graphs = [forward] if backward is None else [forward, backward]
    readers = _Readers(graphs, value_entry)
    chosen = []
    for graph in graphs:
        if graph.xp is not None and graph.xp is not np:
            return []
        for node in graph.nodes:
            if (node.op is not None and node.op.name in _PRODUCERS and _channels_first(node)
                    and len(graph.shape((node, 0)) or ()) >= 3
                    and _may_batch_last(node, readers)):
                chosen.append((graph, node))
    done = []
    for graph, node in chosen:
        entry = (node, 0)
        new = Node(BatchLast(node.op.name, _PRODUCERS[node.op.name], graph.shape(entry),
                             graph.dtype(entry)), node.name, node.attrs, node.inputs)
        graph.nodes[graph.nodes.index(node)] = new
        graph.shapes[(id(new), 0)], graph.dtypes[(id(new), 0)] = graph.shape(entry), \
            graph.dtype(entry)
        graph.replace_entries({(id(node), 0): (new, 0)})
        done.append((graph, node, new))
    return done


def undo(done):
    """Put back the nodes :func:`choose_batch_last` rewrote (``done``, what it returned)."""
    for graph, node, new in reversed(done):
        graph.nodes[graph.nodes.index(new)] = node
        graph.replace_entries({(id(new), 0): (node, 0)})
