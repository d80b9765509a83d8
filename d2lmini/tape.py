"""The tape's state, below every other layer: whether operators are recorded, whether
layers act as in training, and the nodes a recording leaves behind.

The operators (``ops/``), the arrays (``ndarray/``) and autograd all read it; it
imports none of them, so none of them needs another to be imported first.
"""


class _State:
    """Whether operators are being recorded, and whether layers act as in training.

    ``writes`` counts the in-place updates made while recording, and ``logged`` says
    whether memory they changed is still alive: then ``follow`` (installed by
    ``ndarray``) brings an array that shares such memory up to date with the writes
    before a node records it (see the in-place section of ``ndarray/ndarray.py``).
    """
    recording = False
    training = False
    writes = 0
    logged = False
    follow = None
    before_backward = None


_STATE = _State()


def is_training():
    """Whether layers act as in training (dropout active, batch statistics)."""
    return _STATE.training


# ------------------------------------------------------------------ the graph
class Variable:
    """A leaf of the graph: an array whose gradient the user asked for.

    ``fresh`` says whether a backward has written the gradient since an optimizer
    last used it (the Trainer's stale-gradient check reads it). ``name`` is the
    leaf's name in ``autograd.get_symbol`` (given there, when first needed). A leaf
    without ``grad`` stands for a head gradient of ``autograd.grad(...,
    create_graph=True)``: the graph depends on it, but nothing asked for its gradient.
    """
    __slots__ = ('grad', 'grad_req', 'fresh', 'name')
    num_outputs = 1
    in_data = ()        # a leaf is never freed (see Node.in_data)

    def __init__(self, grad, grad_req, name=None):
        self.grad = grad
        self.grad_req = grad_req
        self.fresh = False
        self.name = name


class Node:
    """One recorded operator call.

    ``parents[i]`` is ``(node, output_index)`` for an input that came from the graph,
    ``None`` for a constant. ``in_data`` is None once a backward() without
    ``retain_graph`` has freed the node. The raw arrays are kept so that later in-place updates of
    the same NDArray cannot change what backward sees: ``epoch`` (the number of
    in-place writes made while recording, when the node was recorded) tells which
    later writes the arrays must be read from before.
    """
    __slots__ = ('op', 'attrs', 'ctx', 'in_data', 'parents', 'out_data', 'epoch')

    @property
    def num_outputs(self):
        return len(self.out_data)


def _record(op, attrs, inputs, in_data, outputs):
    """Add a node for ``op`` (called by the eager front end while recording)."""
    if _STATE.logged:  # an input may share memory written in place since it was made
        for x in inputs:
            _STATE.follow(x)
    node = Node()
    node.epoch = _STATE.writes
    node.op = op
    node.attrs = attrs
    node.ctx = outputs[0]._ctx
    node.in_data = in_data
    # an input made by a graph that a backward() has freed is a constant here, as in
    # MXNet: that graph's gradients were taken, and it holds no data to take them again
    node.parents = tuple([None if x._node is None or x._node.in_data is None
                          else (x._node, x._oidx) for x in inputs])
    node.out_data = tuple([y._data for y in outputs])
    for i, y in enumerate(outputs):
        y._node = node
        y._oidx = i
    return node
