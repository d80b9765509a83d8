"""The compiled backward of a hybridized block: its gradient graph, traced from the
registry's backward functions, gives autograd's gradients, running statistics and
random draws; higher-order gradients and backward functions that cannot be traced
go operator by operator."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, gluon, nd
from d2lmini.gluon import nn, rnn
from d2lmini.ops import registry
from d2lmini.symbol import cached_op

from test_hybridize import LAYERS, _same, _seq, _x, densenet, lenet, resnet


def _plan(net):
    return net._cached_op.last_plan


def _recorded_plan(make, shape):
    """The plan of a fresh hybridized network after one recorded step on data that
    needs a gradient."""
    net = make()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = _x(*shape)
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward()
    return net, _plan(net)


NETWORKS = {'lenet': (lenet, (2, 1, 28, 28)), 'resnet': (resnet, (2, 3, 8, 8)),
            'densenet': (densenet, (2, 3, 6, 6)),
            # recurrent layers: split (an attribute's count of outputs) and indexing
            'lstm': (lambda: rnn.LSTM(6, 2), (4, 2, 3)),
            'gru': (lambda: rnn.GRU(5, 1, bidirectional=True), (4, 2, 3)),
            'rnn': (lambda: rnn.RNN(5, 1, activation='tanh'), (4, 2, 3))}


@pytest.mark.parametrize('name', ['lstm', 'gru', 'rnn'])
def test_recurrent_layers_match_imperative(name):
    make, shape = NETWORKS[name]
    _same(make, _x(*shape), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', sorted(LAYERS) + sorted(NETWORKS))
def test_every_layer_and_network_compiles_its_backward(name):
    make, shape = (_seq(LAYERS[name][0]), LAYERS[name][1]) if name in LAYERS \
        else NETWORKS[name]
    _, plan = _recorded_plan(make, shape)
    assert plan.backward is not None, plan.backward_fallback
    assert plan.backward_fallback is None


def test_lenet_training_step_runs_the_compiled_backward(monkeypatch):
    calls = []
    run = cached_op.BackwardPlan.run
    monkeypatch.setattr(cached_op.BackwardPlan, 'run',
                        lambda self, *a: calls.append(1) or run(self, *a))
    monkeypatch.setattr(cached_op._GraphCall, '_op_by_op', None)   # would fail if used
    net = lenet()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    x, y = _x(4, 1, 28, 28), nd.array([0, 1, 2, 3])
    for _ in range(2):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(4)
    assert len(calls) == 2
    plan = _plan(net)
    # the data needs no gradient: no gradient graph node computes one for it
    assert plan.backward.grad_of[0] is None
    # the backward went through the passes, and the forward keeps only what it reads
    assert [r.name for r in plan.backward.records][-2:] == ['fusion', 'dce']
    assert len(plan.kept) < len(plan.steps)


def test_element_wise_gradients_are_fused():
    # exp(2x) * 3: the backward is dy * 3 * y * 2, a chain of three element-wise nodes
    make = _seq(lambda: [nn.HybridLambda(lambda F, x: F.exp(x * 2) * 3)])
    _same(make, _x(3, 4))
    _, plan = _recorded_plan(make, (3, 4))
    fusion = [r for r in plan.backward.records if r.name == 'fusion'][0]
    assert fusion.after == fusion.before - 2
    assert 'fused' in plan.backward.source


def test_compiled_gradients_equal_autograds_with_static_alloc():
    _same(lenet, _x(2, 1, 28, 28), rtol=1e-4, atol=1e-5, static_alloc=True,
          static_shape=True)
    _same(resnet, _x(2, 3, 8, 8), rtol=1e-4, atol=1e-5, static_alloc=True,
          static_shape=True)


def test_report_shows_the_backward_passes():
    net, _ = _recorded_plan(lenet, (2, 1, 28, 28))
    text = net._cached_op.report()
    assert 'backward: compiled' in text
    after = text.split('backward: compiled', 1)[1]
    for name in ('dce', 'cse', 'fusion'):
        assert name in after


def test_forward_fusion_under_record_keeps_what_backward_reads():
    # *2 and +1 fuse (their backward reads no value); tanh's output and the sum are
    # read by the backward, so they stay values of their own
    make = _seq(lambda: [nn.HybridLambda(lambda F, x: F.relu(F.tanh(x * 2 + 1) * 3 - 1))])
    _same(make, _x(3, 4))
    net, plan = _recorded_plan(make, (3, 4))
    assert any(r.name == 'fusion' and r.after < r.before for r in plan.records)
    assert 'fused' in plan.source


# ---------------------------------------------------------------------- fallbacks
def _second_order(f, hybrid, x0):
    net = nn.HybridLambda(f)
    if hybrid:
        net.hybridize()
    x = nd.array(x0)
    x.attach_grad()
    with autograd.record():
        y = net(x)
        g = autograd.grad(y, [x], create_graph=True)[0]
    g.backward()
    plan = _plan(net) if hybrid else None
    return g.asnumpy(), x.grad.asnumpy(), plan


@pytest.mark.parametrize('f', [lambda F, x: F.tanh(x) * x,
                               lambda F, x: F.sigmoid(F.tanh(x * 2 + 1) * x) * 3 - x,
                               lambda F, x: F.exp(F.sin(x) * 0.5) + F.square(x)])
def test_create_graph_goes_operator_by_operator(f, monkeypatch):
    x0 = [0.5, -1.0, 2.0, 0.1]
    a = _second_order(f, False, x0)
    calls = []
    op_by_op = cached_op._GraphCall._op_by_op
    monkeypatch.setattr(cached_op._GraphCall, '_op_by_op',
                        lambda self, *args: calls.append(1) or op_by_op(self, *args))
    b = _second_order(f, True, x0)
    assert b[2].backward is not None and calls     # compiled, but not used here
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-5, atol=1e-6)


def test_create_graph_with_random_and_batchnorm_nodes_replays_their_kept_values():
    class Net(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.bn = nn.BatchNorm(in_channels=3)
                self.drop = nn.Dropout(0.5)

        def hybrid_forward(self, F, x):
            return F.tanh(self.drop(self.bn(x * 2)))

    def run(hybrid):
        mx.random.seed(0)
        net = Net()
        net.initialize()
        if hybrid:
            net.hybridize()
        x = _x(4, 3, 2)
        x.attach_grad()
        mx.random.seed(5)
        with autograd.record():
            y = net(x)
            g = autograd.grad(y, [x], create_graph=True)[0]
            z = (g * g).sum()
        z.backward()
        return (y.asnumpy(), g.asnumpy(), x.grad.asnumpy(),
                net.bn.running_mean.data().asnumpy(), net.bn.running_var.data().asnumpy())
    for u, v in zip(run(False), run(True)):
        np.testing.assert_allclose(u, v, rtol=1e-4, atol=1e-5)


@pytest.fixture
def untraceable_op():
    """An operator whose backward reads values (``asnumpy``): it cannot be traced."""
    def backward(F, dy, x, y):
        scale = float(np.abs(x[0].asnumpy()).max())
        return [dy * scale]
    registry.register('_test_untraceable', lambda xp, data: data * 1.0, backward=backward)
    mx.sym._test_untraceable = mx.symbol._make_function('_test_untraceable',
                                                        registry.OPS['_test_untraceable'])
    mx.nd._test_untraceable = lambda x: mx.nd.ndarray.invoke(
        registry.OPS['_test_untraceable'], (x,))
    yield
    registry.OPS.pop('_test_untraceable')
    del mx.sym._test_untraceable, mx.nd._test_untraceable


def test_an_untraceable_backward_falls_back_for_the_whole_graph(untraceable_op):
    make = _seq(lambda: [nn.Dense(4, activation='tanh'),
                         nn.HybridLambda(lambda F, x: F._test_untraceable(x) * 2)])
    _same(make, _x(3, 5))
    net, plan = _recorded_plan(make, (3, 5))
    assert plan.backward is None
    assert '_test_untraceable' in plan.backward_fallback
    assert 'operator by operator' in net._cached_op.report()


# ---------------------------------------------------------------------- semantics
def test_grad_req_add_accumulates_over_steps():
    def run(hybrid):
        mx.random.seed(0)
        net = lenet()
        net.initialize(mx.init.Xavier())
        net.collect_params().setattr('grad_req', 'add')
        if hybrid:
            net.hybridize()
        x = _x(2, 1, 28, 28)
        for _ in range(3):
            with autograd.record():
                y = net(x)
            y.backward()
        return {k: p.grad().asnumpy() for k, p in net._collect_params_with_prefix().items()}
    a, b = run(False), run(True)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-5, err_msg=k)


class _TwoOutputsOneUnusedInput(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(3)

    def hybrid_forward(self, F, a, unused, b):
        h = self.dense(a) + b
        return F.sigmoid(h), h * h


@pytest.mark.parametrize('use', [(1, 1), (1, 0), (0, 1)])
def test_several_outputs_unused_inputs_and_outputs_without_gradient(use):
    def run(hybrid):
        mx.random.seed(0)
        net = _TwoOutputsOneUnusedInput()
        net.initialize()
        if hybrid:
            net.hybridize()
        a, u, b = _x(2, 4), _x(2, 3, 1), _x(2, 3)
        for v in (a, u, b):
            v.attach_grad()
        with autograd.record():
            p, q = net(a, u, b)
            loss = use[0] * p.sum() + use[1] * (q * 2).sum()
        loss.backward()
        return [a.grad.asnumpy(), u.grad.asnumpy(), b.grad.asnumpy(),
                net.dense.weight.grad().asnumpy()]
    for u, v in zip(run(False), run(True)):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_labels_int_inputs_and_inputs_that_need_no_gradient():
    class WithLoss(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.emb = nn.Embedding(6, 4)
                self.dense = nn.Dense(3)
                self.loss = gluon.loss.SoftmaxCrossEntropyLoss()

        def hybrid_forward(self, F, tokens, x, label):
            return self.loss(self.dense(F.concat(self.emb(tokens).flatten(), x, dim=1)),
                             label)

    def run(hybrid, x_grad):
        mx.random.seed(0)
        net = WithLoss()
        net.initialize()
        if hybrid:
            net.hybridize()
        tokens = nd.array([[0, 5], [3, 3]], dtype='int32')
        x, label = _x(2, 2), nd.array([2, 0])
        if x_grad:
            x.attach_grad()
        with autograd.record():
            loss = net(tokens, x, label)
        loss.backward()
        out = [net.emb.weight.grad().asnumpy(), net.dense.weight.grad().asnumpy()]
        return out + ([x.grad.asnumpy()] if x_grad else [])
    for x_grad in (True, False):
        for u, v in zip(run(False, x_grad), run(True, x_grad)):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_a_plan_per_pattern_of_inputs_that_need_gradients():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, activation='sigmoid'))
    net.initialize()
    net.hybridize()
    x = _x(2, 4)
    with autograd.record():
        net(x).backward()
    without = _plan(net)
    x.attach_grad()
    with autograd.record():
        net(x).backward()
    with_x = _plan(net)
    assert without is not with_x
    assert without.backward.grad_of[0] is None and with_x.backward.grad_of[0] is not None
    w = net[0].weight.data().asnumpy()
    y = 1 / (1 + np.exp(-(x.asnumpy() @ w.T + net[0].bias.data().asnumpy())))
    np.testing.assert_allclose(x.grad.asnumpy(), (y * (1 - y)) @ w, rtol=1e-5, atol=1e-6)


def test_dropout_gradient_follows_the_forward_mask():
    net = nn.HybridSequential()
    net.add(nn.Dropout(0.5))
    net.initialize()
    net.hybridize()
    x = _x(30, 20)
    x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward()
    kept = y.asnumpy() != 0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(x.grad.asnumpy(), kept * 2.0)


def test_head_gradient_passed_straight_through_is_copied():
    net = nn.HybridLambda(lambda F, x: F.identity(x) if hasattr(F, 'identity') else x + 0)
    net.hybridize()
    x = _x(3)
    x.attach_grad()
    head = nd.array([1.0, 2.0, 3.0])
    with autograd.record():
        y = net(x)
    (g,) = autograd.grad(y, [x], head_grads=head)
    g[:] = 0
    np.testing.assert_allclose(head.asnumpy(), [1.0, 2.0, 3.0])


def test_operator_with_a_variable_output_count_giving_one_output():
    """``split`` returns a tuple even for one output: plans must unpack it."""
    class Half(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.split(x, num_outputs=1, axis=1) * 2

    block = Half()
    x = mx.nd.array(np.arange(6.).reshape(2, 3))
    want = block(x).asnumpy()
    block.hybridize()
    x.attach_grad()
    with mx.autograd.record():
        y = block(x)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), want)
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 3), 2.))
