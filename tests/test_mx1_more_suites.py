"""Random draws and their seeding, mx.contrib's symbol side, symbolic control flow
(shape inference through the loop body, loops that run no step, 1-d data, bodies
that leave a state unread) and graph JSON that reads back as written: each as
MXNet 1.9.1 behaves (values recorded from it), or, where MXNet gives a silent wrong
answer, with a clear error."""
import json

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


# ---------------------------------------------------------------- random
def test_symbolic_random_accepts_ctx_and_draws_on_the_bound_context():
    # MXNet records ctx on the node and uses it only for imperative calls
    x = mx.sym.var('x')
    y = mx.sym.random.uniform(low=-1.5, high=3.0, shape=(4, 5), dtype='float64',
                              ctx=mx.cpu()) + x
    out = y.eval(x=mx.nd.zeros((4, 5), dtype='float64'))[0]
    assert out.shape == (4, 5) and out.dtype == np.float64
    assert out.min() >= -1.5 and out.max() < 3.0


def test_seed_is_taken_modulo_two_to_the_32_as_mxnet_does():
    def draws(seed):
        mx.random.seed(seed)
        return mx.nd.random.uniform(shape=(5,)).asnumpy()
    assert (draws(-1) == draws(2 ** 32 - 1)).all()
    assert (draws(2 ** 32 + 5) == draws(5)).all()
    assert not (draws(5) == draws(6)).all()
    with pytest.raises(ValueError):
        mx.random.seed(1.5)


def test_seed_for_one_context_repeats_the_draws():
    mx.random.seed(7, ctx=mx.cpu())
    a = mx.nd.random.normal(shape=(6,)).asnumpy()
    mx.random.seed(7, ctx=mx.cpu())
    assert (a == mx.nd.random.normal(shape=(6,)).asnumpy()).all()


def test_negative_binomial_with_no_success_to_wait_for_draws_zeros():
    # k = 0 is allowed in MXNet: every draw is 0
    assert mx.nd.random.negative_binomial(0, 0.5, shape=(4,)).asnumpy().tolist() == [0] * 4
    with pytest.raises(MXNetError):
        mx.nd.random.negative_binomial(-1, 0.5, shape=(4,))
    with pytest.raises(MXNetError):
        mx.nd.random.negative_binomial(2, 1.5, shape=(4,))    # p outside (0, 1]


def test_multinomial_refuses_a_dtype_that_cannot_hold_every_category():
    assert mx.nd.random.multinomial(mx.nd.ones(256) / 256, dtype='uint8').dtype == np.uint8
    for n, dtype in [(257, 'uint8'), (2050, 'float16')]:
        with pytest.raises(MXNetError, match='categories'):
            mx.nd.random.multinomial(mx.nd.ones(n) / n, dtype=dtype)
    draw = mx.nd.random.multinomial(mx.nd.ones(2049) / 2049, shape=50, dtype='float16')
    assert draw.dtype == np.float16 and draw.asnumpy().max() <= 2048


# ---------------------------------------------------------------- mx.contrib
def test_contrib_sym_is_the_symbol_side_of_contrib():
    assert mx.contrib.sym is mx.sym.contrib
    assert mx.contrib.symbol is mx.sym.contrib
    data = mx.sym.var('data')
    out = mx.contrib.sym.box_nms(data, overlap_thresh=0.5)
    boxes = mx.nd.array([[0, 0.5, 0.1, 0.1, 0.2, 0.2], [0, 0.6, 0.1, 0.1, 0.2, 0.2]])
    assert out.eval(data=boxes)[0].asnumpy()[0].tolist() == pytest.approx(
        [0, 0.6, 0.1, 0.1, 0.2, 0.2])


def test_symbolic_rand_zipfian_returns_three_symbols():
    true_classes = mx.sym.var('t')
    outputs = mx.sym.contrib.rand_zipfian(true_classes, 6, 20)
    assert isinstance(outputs, list) and len(outputs) == 3
    samples, count_true, count_sampled = mx.sym.Group(outputs).eval(
        t=mx.nd.array([0, 3]))
    assert samples.shape == (6,) and samples.dtype == np.int64
    assert count_true.dtype == np.float64
    # expected count = num_sampled * (log(c + 2) - log(c + 1)) / log(range_max + 1)
    expect = 6 * (np.log([2, 5]) - np.log([1, 4])) / np.log(21)
    assert count_true.asnumpy() == pytest.approx(expect)
    s = samples.asnumpy()
    assert count_sampled.asnumpy() == pytest.approx(
        6 * (np.log(s + 2) - np.log(s + 1)) / np.log(21))
    with pytest.raises(TypeError):
        mx.sym.contrib.rand_zipfian(mx.nd.array([1]), 6, 20)


# ---------------------------------------------------------------- control flow
def _fc_loop():
    data, h = mx.sym.var('data'), mx.sym.var('h')
    w, b = mx.sym.var('w'), mx.sym.var('b')

    def body(x, states):
        y = mx.sym.FullyConnected(x, weight=w, bias=b, num_hidden=3) + states[0]
        return y, [y]
    outs, final = mx.sym.contrib.foreach(body, data, [h])
    return mx.sym.Group([outs, final[0]])


def test_foreach_infers_the_shapes_of_states_and_weights_from_the_data():
    # recorded from MXNet 1.9.1
    g = _fc_loop()
    assert g.list_arguments() == ['data', 'h', 'w', 'b']
    assert g.infer_shape(data=(5, 2, 4)) == (
        [(5, 2, 4), (2, 3), (3, 4), (3,)], [(5, 2, 3), (2, 3)], [])
    arrays = {n: mx.nd.ones(s) for n, s in zip(g.list_arguments(), g.infer_shape(
        data=(5, 2, 4))[0])}
    outs = g.bind(mx.cpu(), arrays).forward()
    assert outs[1].asnumpy()[0].tolist() == [26.0, 26.0, 26.0]   # 1 + 5 steps of 4 + 1


def test_foreach_with_an_unknown_number_of_steps_infers_partly():
    data = mx.sym.var('data', shape=(0, 3, 8))
    outs, states = mx.sym.contrib.foreach(lambda d, s: (d + s[0], [s[0] * 2]), data,
                                          [mx.sym.var('state')])
    assert outs.infer_shape_partial() == ([(0, 3, 8), (3, 8)], [(0, 3, 8)], [])
    assert states[0].infer_shape_partial()[1] == [(3, 8)]


def test_foreach_over_one_dimensional_data_steps_over_items_of_shape_one():
    d, s = mx.sym.var('d'), mx.sym.var('s')
    out, final = mx.sym.contrib.foreach(lambda a, st: (a * st[0], [st[0] * 2]), d, [s])
    g = mx.sym.Group([out, final[0]])
    assert g.infer_shape(d=(3,)) == ([(3,), (1,)], [(3, 1), (1,)], [])
    res = g.bind(mx.cpu(), {'d': mx.nd.array([1, 2, 3]), 's': mx.nd.array([0.5])}).forward()
    assert [r.asnumpy().tolist() for r in res] == [[[0.5], [2.0], [6.0]], [4.0]]


def test_foreach_refuses_a_body_that_leaves_a_state_or_the_data_unread():
    data, s = mx.sym.var('data'), mx.sym.var('s')
    with pytest.raises(AssertionError, match='state arrays'):
        mx.sym.contrib.foreach(lambda a, st: (a * 2, [a + 1]), data, [s])
    with pytest.raises(AssertionError, match='data arrays'):
        mx.sym.contrib.foreach(lambda a, st: (st[0] * 2, [st[0] + 1]), data, [s])


def test_symbolic_while_loop_that_runs_no_step_gives_zero_outputs():
    i, s = mx.sym.var('i'), mx.sym.var('s')
    outs, (i_end, s_end) = mx.sym.contrib.while_loop(
        cond=lambda i, s: i > 5, func=lambda i, s: (i * 2, (i + 1, s + i)),
        loop_vars=[i, s], max_iterations=3)
    res = mx.sym.Group([outs, i_end, s_end]).eval(i=mx.nd.array([1], dtype='int64'),
                                                  s=mx.nd.array([0], dtype='int64'))
    assert res[0].shape == (3, 1) and res[0].dtype == np.int64
    assert res[0].asnumpy().tolist() == [[0], [0], [0]]
    assert res[1].asscalar() == 1 and res[2].asscalar() == 0


def test_hybridized_while_loop_that_runs_no_step():
    class Loop(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, i, s):
            return F.contrib.while_loop(lambda i, s: i > 5,
                                        lambda i, s: (i, (i + 1, s + i)), (i, s),
                                        max_iterations=4)
    net = Loop()
    net.hybridize()
    outs, (i_end, s_end) = net(mx.nd.array([1]), mx.nd.array([0]))
    assert outs.shape == (4, 1) and i_end.asscalar() == 1 and s_end.asscalar() == 0


# ---------------------------------------------------------------- graph JSON
def test_a_graph_read_from_json_writes_the_same_json():
    x = mx.sym.var('x')
    for y in (x * 2, x * 2.5, x + (-3)):
        text = y.tojson()
        assert mx.sym.load_json(text).tojson() == text
    attrs = [n.get('attrs') for n in json.loads(mx.sym.load_json((x * 2).tojson())
                                                .tojson())['nodes']]
    assert attrs == [None, {'scalar': '2'}]        # as MXNet writes it
    loaded = mx.sym.load_json((x * 2).tojson())
    assert loaded.eval(x=mx.nd.array([1.5]))[0].asnumpy().tolist() == [3.0]


def test_foreach_graph_reads_back_as_written():
    def step(a, states):
        out = a * 2 + states[0]
        return out, [out]
    outs, states = mx.sym.contrib.foreach(step, mx.sym.var('v0'), [mx.sym.var('v1')])
    g = mx.sym.Group([outs * 2] + states)
    text = g.tojson()
    assert mx.sym.load_json(text).tojson() == text

def test_symbolic_multinomial_gives_draws_and_log_probabilities_by_default():
    # MXNet 1.x's mx.sym.random.multinomial defaults to get_prob=True
    p = mx.sym.var('p')
    both = mx.sym.random.multinomial(p, shape=4)
    assert len(both.list_outputs()) == 2
    draws, logp = both.eval(p=mx.nd.array([0.25, 0.75]))
    assert draws.shape == logp.shape == (4,) and draws.dtype == np.int32
    assert logp.asnumpy() == pytest.approx(np.log(np.where(draws.asnumpy() == 1, 0.75, 0.25)))
    assert len(mx.sym.random.multinomial(p, shape=4, get_prob=False).list_outputs()) == 1


def test_contrib_symbol_imports_as_a_module():
    import importlib
    assert importlib.import_module('d2lmini.contrib.symbol') is mx.sym.contrib
