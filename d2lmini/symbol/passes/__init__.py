"""The graph compiler behind ``hybridize()``: a pipeline of small passes.

Each pass is a function ``graph -> graph`` in a module of its own:

==========================  ==================================================
``dce``                     dead-code elimination (:mod:`.dce`)
``constant_folding``        compute constant subgraphs once (:mod:`.constant_folding`)
``cse``                     merge repeated pure expressions (:mod:`.cse`)
``fusion``                  chains of element-wise operators -> one kernel (:mod:`.fusion`)
==========================  ==================================================

A plan's graphs also go through ``layout`` (:mod:`.layout`), which lets values
between convolutions keep the batch-last memory order their products come in
(with the gradient graph of a training plan, as a pair). And memory planning
(:mod:`.memory`) decides, on the final graph, where values
live. :mod:`.gradient` builds the graph that computes a graph's gradients (from the
registry's backward functions, traced with symbols); the same passes then rewrite
it. Every pass can be switched off, globally through :data:`ENABLED` or per call,
to see what it buys; :func:`run_pipeline` reports the node count and the time of
each pass, and can print the graph after each.

>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> y = mx.sym.relu(x * 2) + mx.sym.relu(x * 2)
>>> g, report = run_pipeline(Graph.from_symbol(y, {'x': (3,)}))
>>> [(r.name, r.before, r.after) for r in report]
[('dce', 6, 6), ('constant_folding', 6, 6), ('cse', 6, 4), ('fusion', 4, 3), ('dce', 3, 3)]
"""
import time
from collections import namedtuple

from .ir import Graph, is_pure  # noqa: F401
from .dce import eliminate_dead_code
from .constant_folding import fold_constants
from .cse import eliminate_common_subexpressions
from .fusion import fuse_elementwise
from .memory import plan_memory  # noqa: F401
from .layout import choose_batch_last  # noqa: F401
from .gradient import gradient_graph, layout, slot_entries, NotTraceable  # noqa: F401

# name -> pass, in the order they run; dce runs again at the end to sweep up
PASSES = {
    'dce': eliminate_dead_code,
    'constant_folding': fold_constants,
    'cse': eliminate_common_subexpressions,
    'fusion': fuse_elementwise,
}
# what runs unless a call says otherwise (switch a pass off here to compare)
ENABLED = {'dce': True, 'constant_folding': True, 'cse': True, 'fusion': True,
           'layout': True, 'memory': True}
# passes that replace operators by ones without a backward: they run only on graphs
# that autograd will not differentiate operator by operator (inference graphs, gradient
# graphs, and forward graphs once the values their compiled backward reads are outputs)
FORWARD_ONLY = ('fusion',)

PassRecord = namedtuple('PassRecord', 'name before after seconds')


def timed(name, graph, run):
    """A :class:`PassRecord` for ``run()``, a pass that rewrites ``graph`` in place."""
    before = len(graph)
    start = time.perf_counter()
    run()
    return PassRecord(name, before, len(graph), time.perf_counter() - start)


def run_pipeline(graph, enabled=None, forward_only=True, verbose=False):
    """Run the enabled passes over ``graph``; returns ``(graph, records)``, one
    :class:`PassRecord` (name, node counts before and after, seconds) per pass run.
    ``forward_only=False`` (a graph that will be differentiated) skips the passes
    whose nodes cannot be. ``verbose`` prints the graph after each pass."""
    enabled = {**ENABLED, **(enabled or {})}
    order = list(PASSES) + ['dce']
    records = []
    if verbose:
        from ..visualize import summary
        print(summary(graph, 'traced graph'))
    for name in order:
        if not enabled.get(name) or (not forward_only and name in FORWARD_ONLY):
            continue
        before = len(graph)
        start = time.perf_counter()
        graph = PASSES[name](graph)
        records.append(PassRecord(name, before, len(graph), time.perf_counter() - start))
        if verbose:
            from ..visualize import summary
            print(summary(graph, f'after {name}'))
    return graph, records
