"""Memory planning: when each value can be freed, and where fused kernels write.

The plan runs the nodes in order, so each value's last reader is known in advance.
This pass decides, for a graph that runs forward only:

* ``free_after[k]``: the values no node after the ``k``-th operator reads; the plan
  drops them there, so their memory returns to the allocator while the graph is
  still running, for the next arrays to reuse;
* ``out_of[node]``: the buffer a fused kernel writes into, for a value that only
  fused kernels read (an operator may return a view of its input, and a view would
  outlive the buffer's turn). *In place* into one of its inputs when that input
  dies there, has the output's shape and dtype, was itself written by a fused
  kernel (so it is no parameter, no graph input and no view of one) and is read
  only by the kernel's first step. Otherwise, with ``static_alloc``, a buffer
  allocated once for the plan and shared by values whose lifetimes do not overlap;
  otherwise a fresh array each call.

Graph outputs are always fresh arrays: the caller keeps them, so no later call may
write into them.

>>> import d2lmini as mx
>>> from d2lmini.symbol.passes.ir import Graph
>>> from d2lmini.symbol.passes.fusion import fuse_elementwise
>>> x = mx.sym.var('x')
>>> a = mx.sym.exp(x * 2)              # fused, read by two fused kernels
>>> y = mx.sym.relu(a + 1) + mx.sym.tanh(a - 1)
>>> g = fuse_elementwise(Graph.from_symbol(y, {'x': (3, 4)}))
>>> plan = plan_memory(g, static_alloc=True)
>>> plan.static_buffers
[((3, 4), dtype('float32')), ((3, 4), dtype('float32'))]
>>> sorted(plan.out_of.values())     # a, and tanh(a - 1): both live until the last kernel
[('static', 0), ('static', 1)]
"""


class MemoryPlan:
    def __init__(self):
        self.free_after = {}        # index of an operator node -> entry keys to drop
        self.out_of = {}            # id(fused node) -> ('inplace', k) | ('static', b)
        self.static_buffers = []    # (shape, dtype) of each static buffer


def plan_memory(graph, static_alloc=False):
    plan = MemoryPlan()
    ops = [n for n in graph.nodes if n.op is not None]
    outputs = {(id(n), i) for n, i in graph.outputs}
    last, fused_only = {}, {}
    for k, node in enumerate(ops):
        is_fused = getattr(node.op, 'inplace_inputs', None) is not None
        for src, i in node.inputs:
            last[(id(src), i)] = k
            fused_only[(id(src), i)] = fused_only.get((id(src), i), True) and is_fused
    for key, k in last.items():
        if key not in outputs:
            plan.free_after.setdefault(k, []).append(key)
    fresh = set()                   # entries in buffers a fused kernel wrote
    owner = {}                      # entry key -> static buffer it occupies
    free = {}                       # (shape, dtype) -> static buffers not in use
    for k, node in enumerate(ops):
        key = (id(node), 0)
        if (getattr(node.op, 'inplace_inputs', None) is not None and key not in outputs
                and fused_only.get(key, False)):
            want = (node.op.shape, node.op.dtype)
            choice = None
            for pos in node.op.inplace_inputs:
                src, i = node.inputs[pos]
                ikey = (id(src), i)
                if (ikey in fresh and last.get(ikey) == k and fused_only.get(ikey)
                        and (graph.shape((src, i)), graph.dtype((src, i))) == want):
                    choice = ('inplace', pos)
                    if ikey in owner:
                        owner[key] = owner.pop(ikey)
                    break
            if choice is None and static_alloc:
                pool = free.setdefault(want, [])
                if pool:
                    b = pool.pop()
                else:
                    b = len(plan.static_buffers)
                    plan.static_buffers.append(want)
                owner[key] = b
                choice = ('static', b)
            if choice is not None:
                plan.out_of[id(node)] = choice
            fresh.add(key)
        for dead in plan.free_after.get(k, ()):
            b = owner.pop(dead, None)
            if b is not None:
                free.setdefault(plan.static_buffers[b], []).append(b)
    return plan
