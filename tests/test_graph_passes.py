"""The compiler passes behind hybridize(): each changes the graph where it must,
and leaves impure nodes (random, training-mode, aux-updating) alone."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import nd, sym
from d2lmini.symbol import passes
from d2lmini.symbol.passes import Graph, run_pipeline
from d2lmini.symbol.passes.constant_folding import fold_constants
from d2lmini.symbol.passes.cse import eliminate_common_subexpressions
from d2lmini.symbol.passes.dce import eliminate_dead_code
from d2lmini.symbol.passes.fusion import fuse_elementwise, FusedOp
from d2lmini.symbol.passes.memory import plan_memory
from d2lmini.symbol.cached_op import CachedOp
from d2lmini.symbol import visualize


def _eval(symbol, **arrays):
    return symbol.eval(**arrays)[0].asnumpy()


def test_dce_drops_unused_nodes_but_keeps_variables():
    x = sym.var('x')
    g = Graph.from_symbol(sym.Group([sym.relu(x), sym.exp(sym.var('y'))]))
    g.outputs = g.outputs[:1]
    assert len(g) == 4
    eliminate_dead_code(g)
    assert [n.op.name if n.op else n.name for n in g.nodes] == ['x', 'relu', 'y']


def test_constant_folding_folds_creation_chains():
    y = sym.var('x') + sym.ones((2,)) * 3
    g = fold_constants(Graph.from_symbol(y, {'x': (2,)}))
    assert len(g) == 3
    const = [n for n in g.nodes if n.op is not None and n.op.name == '_constant']
    np.testing.assert_allclose(const[0].op.value, [3, 3])


def test_constant_folding_leaves_random_nodes():
    y = sym.var('x') + sym._random_uniform(shape=(2,)) * 3
    g = Graph.from_symbol(y, {'x': (2,)})
    n = len(g)
    assert len(fold_constants(g)) == n


def test_cse_merges_pure_nodes_only():
    x = sym.var('x')
    g = eliminate_common_subexpressions(Graph.from_symbol(sym.exp(x) + sym.exp(x)))
    assert len(g) == 3
    d = sym.Dropout(x, p=0.5) + sym.Dropout(x, p=0.5)
    g = Graph.from_symbol(d)
    n = len(g)
    assert len(eliminate_common_subexpressions(g)) == n      # two masks, never one


def test_cse_keeps_batchnorm_apart():
    x = sym.var('x')
    args = dict(gamma=sym.var('g'), beta=sym.var('b'), moving_mean=sym.var('m'),
                moving_var=sym.var('v'))
    y = sym.BatchNorm(x, **args) + sym.BatchNorm(x, **args)
    g = Graph.from_symbol(y)
    n = len(g)
    assert len(eliminate_common_subexpressions(g)) == n


def test_fusion_makes_one_kernel_and_agrees():
    x, b = sym.var('x'), sym.var('b')
    y = sym.tanh(sym.relu(sym.broadcast_add(x * 2, b)) - 0.5) * 3
    shapes = {'x': (4, 5), 'b': (5,)}
    g = fuse_elementwise(Graph.from_symbol(y, shapes))
    assert len(g) == 3
    fused = g.nodes[-1].op
    assert isinstance(fused, FusedOp) and len(fused.members) == 6
    xv = np.random.randn(4, 5).astype(np.float32)
    bv = np.random.randn(5).astype(np.float32)
    out = fused.forward(np, xv, bv)
    np.testing.assert_allclose(out, _eval(y, x=nd.array(xv), b=nd.array(bv)), rtol=1e-6)


def test_fusion_skips_shared_intermediates_and_integers():
    x = sym.var('x')
    a = sym.relu(x)
    y = sym.exp(a) + a          # a has two readers: exp(a) cannot absorb relu
    g = fuse_elementwise(Graph.from_symbol(y, {'x': (3,)}))
    names = [n.op.name for n in g.nodes if n.op is not None]
    assert 'relu' in names
    g = Graph.from_symbol(sym.relu(x * 2), {'x': (3,)}, {'x': np.int32})
    assert len(fuse_elementwise(g)) == 3


def test_memory_plan_frees_and_reuses():
    x = sym.var('x')
    a = sym.exp(x * 2)
    y = sym.relu(a + 1) + sym.tanh(a - 1)
    g = fuse_elementwise(Graph.from_symbol(y, {'x': (3, 4)}))
    plan = plan_memory(g, static_alloc=True)
    assert len(plan.static_buffers) == 2
    assert plan.free_after
    assert plan_memory(g, static_alloc=False).static_buffers == []


@pytest.mark.parametrize('enabled', [{}, {'fusion': False}, {'memory': False},
                                     {'cse': False, 'constant_folding': False}])
def test_cached_op_agrees_with_every_switch(enabled):
    x = sym.var('data')
    y = sym.tanh(sym.relu(x * 2 + 1) + sym.relu(x * 2 + 1)) * sym.ones((3,))
    op = CachedOp(y, ['data'], {}, {'passes': enabled, 'static_alloc': True})
    v = nd.array([-1., 0.5, 2.])
    for _ in range(2):   # the second call reuses the static buffers
        np.testing.assert_allclose(op([v]).asnumpy(), _eval(y, data=v), rtol=1e-6)


def test_pipeline_reports_counts_and_times(capsys):
    x = sym.var('x')
    y = sym.relu(x * 2) + sym.relu(x * 2)
    g, records = run_pipeline(Graph.from_symbol(y, {'x': (3,)}), verbose=True)
    assert [r.name for r in records] == ['dce', 'constant_folding', 'cse', 'fusion', 'dce']
    assert all(r.seconds >= 0 for r in records)
    assert 'after fusion' in capsys.readouterr().out
    g2, records = run_pipeline(Graph.from_symbol(y, {'x': (3,)}), {'fusion': False})
    assert 'fusion' not in [r.name for r in records]
    assert passes.ENABLED['fusion']


def test_summary_and_drawing():
    pytest.importorskip('matplotlib')
    import matplotlib
    matplotlib.use('Agg')
    x = sym.var('x')
    y = sym.relu(x * 2) + sym.ones((3,))
    records = visualize.compare(y, {'x': (3,)}, plot=True)
    assert records[-1].after < records[0].before
    g = Graph.from_symbol(y, {'x': (3,)})
    assert 'relu' in visualize.summary(g)
    assert visualize.draw(g) is not None


@pytest.mark.gpu
def test_fused_kernel_on_gpu():
    from d2lmini import backend
    if backend.num_gpus() == 0:
        pytest.skip('no GPU')
    cp = backend.cupy()
    x, b = sym.var('x'), sym.var('b')
    y = sym.tanh(sym.sigmoid(sym.broadcast_add(x * 2, b)) - 0.5) * 3
    g = fuse_elementwise(Graph.from_symbol(y, {'x': (4, 5), 'b': (5,)}))
    fused = g.nodes[-1].op
    xv = np.random.randn(4, 5).astype(np.float32)
    bv = np.random.randn(5).astype(np.float32)
    out = fused.forward(cp, cp.asarray(xv), cp.asarray(bv))
    np.testing.assert_allclose(cp.asnumpy(out), fused.forward(np, xv, bv), rtol=1e-5,
                               atol=1e-6)
