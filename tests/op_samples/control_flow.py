"""Cases for d2lmini/ops/control_flow.py: the programs come from the symbolic API (and
for ``_CachedOp``, from the node ``autograd.get_symbol`` makes of a traced graph)."""
import d2lmini as mx

from . import Case


def _attrs(symbol):
    node = symbol._entries[0][0]
    return {'program': node.attrs['program'], 'num_outputs': node.attrs['num_outputs']}


def _foreach():
    data, state, w = mx.sym.var('data'), mx.sym.var('state'), mx.sym.var('w')

    def body(x, states):
        h = mx.sym.tanh(mx.sym.broadcast_mul(x, w) + states[0])
        return h * h, [h]
    outs, _ = mx.sym.contrib.foreach(body, data, [state])
    return _attrs(outs)


def _while():
    i, t = mx.sym.var('i'), mx.sym.var('t')
    outs, _ = mx.sym.contrib.while_loop(lambda i, t: i < 3, lambda i, t: (t * t, (i + 1, t * i)),
                                        (i, t), max_iterations=4)
    return _attrs(outs)


def _cond():
    p, a, b = mx.sym.var('p'), mx.sym.var('a'), mx.sym.var('b')
    return _attrs(mx.sym.contrib.cond(p, lambda: a * b, lambda: a - b))


def _cached_op():
    from d2lmini.symbol.control_flow import cached_op_node
    x, w = mx.sym.var('x'), mx.sym.var('w')
    graph = mx.sym.broadcast_mul(mx.sym.tanh(mx.sym.FullyConnected(x, w, num_hidden=2,
                                                                   no_bias=True)), x.sum())
    inputs = [(mx.sym.var(n)._entries[0][0], 0) for n in ('a', 'b')]
    node = cached_op_node(graph, ['x', 'w'], inputs)[0][0]
    return {'program': node.attrs['program'], 'num_outputs': node.attrs['num_outputs']}


CASES = {
    # data (steps, 3), initial state (3,), w (3,)
    '_foreach': [Case(shapes=[(4, 3), (3,), (3,)], attrs=_foreach())],
    # the counter i is a whole number below 3 at the start: 2 steps of 4
    '_while_loop': [Case(inputs=lambda rng: [[1.0], rng.uniform(0.5, 1, size=1)],
                         attrs=_while(), wrt=[1])],
    '_cond': [Case(inputs=lambda rng: [[1.0], rng.normal(size=2), rng.normal(size=2)],
                   attrs=_cond(), wrt=[1, 2]),
              Case(inputs=lambda rng: [[0.0], rng.normal(size=2), rng.normal(size=2)],
                   attrs=_cond(), wrt=[1, 2])],
    # x (3, 4), w (2, 4): a block's graph held by one node
    '_CachedOp': [Case(shapes=[(3, 4), (2, 4)], attrs=_cached_op())],
}
