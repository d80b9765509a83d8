"""The layout pass: values between convolutions keep the batch-last memory order in
compiled plans, every kernel that reads them computes the same numbers, and
nothing a caller receives is anything but C-contiguous."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, gluon, nd, sym
from d2lmini.gluon import nn
from d2lmini.ops import convolution as conv, pooling
from d2lmini.ops.elemwise import _sigmoid
from d2lmini.symbol.passes import Graph, choose_batch_last
from d2lmini.symbol.passes.layout import undo


def batch_last(a):
    """``a`` (N, C, ...) as a view of memory laid out (C, ..., N)."""
    return np.ascontiguousarray(conv._minor_view(a)).transpose(
        (a.ndim - 1,) + tuple(range(a.ndim - 1)))


# ------------------------------------------------------------------ the kernels
def test_sigmoid_of_a_transposed_view_is_right():
    # it used to write into a reshaped copy and return the negated input
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4).T
    np.testing.assert_allclose(_sigmoid(np, x), 1 / (1 + np.exp(-x)), rtol=1e-6)
    y = _sigmoid(np, batch_last(np.linspace(-3, 3, 48, dtype=np.float32).reshape(2, 3, 2, 4)))
    assert conv._is_image_minor(y)       # in its input's memory order


def test_convolution_kernels_agree_on_either_layout():
    rng = np.random.RandomState(0)
    x = rng.randn(12, 3, 9, 9).astype(np.float32)     # batch-last: 12 images >= 9 columns
    # 4 filters: the data gradient adds columns back (col2im); 2 with 'same' padding: it
    # is the convolution of the output gradient with the flipped weight
    for pad, filters in (((0, 0), 4), ((1, 1), 4), ((1, 1), 2)):
        w = rng.randn(filters, 3, 3, 3).astype(np.float32)
        b = rng.randn(filters).astype(np.float32)
        g = conv._conv_geometry('c', x.shape, (3, 3), (1, 1), (1, 1), pad)
        y = conv._conv_forward_raw(np, x, w, g, 1, b)
        y_last = conv._conv_forward_raw(np, batch_last(x), w, g, 1, b, image_minor_out=True)
        assert conv._is_image_minor(y_last) and y.flags.c_contiguous
        np.testing.assert_allclose(y_last, y, rtol=1e-5, atol=1e-5)
        dy = rng.randn(*y.shape).astype(np.float32)
        np.testing.assert_allclose(
            conv._conv_weight_grad_raw(np, batch_last(dy), batch_last(x), g, 1),
            conv._conv_weight_grad_raw(np, dy, x, g, 1), rtol=1e-4, atol=1e-4)
        dx = conv._conv_data_grad_raw(np, dy, w, g, 1, x.shape)
        dx_last = conv._conv_data_grad_raw(np, batch_last(dy), w, g, 1, x.shape,
                                           image_minor_out=True)
        assert dx_last.shape == x.shape and dx.flags.c_contiguous
        np.testing.assert_allclose(dx_last, dx, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(conv._conv_bias_grad(np, batch_last(dy)),
                                   conv._conv_bias_grad(np, dy), rtol=1e-5)


@pytest.mark.parametrize('pool_type', ['avg', 'max'])
@pytest.mark.parametrize('size', [(8,), (8, 8), (4, 6, 6)])
def test_pooling_gradient_comes_in_the_data_layout(pool_type, size):
    rng = np.random.RandomState(1)
    x = rng.randn(6, 2, *size).astype(np.float32)
    attrs = dict(kernel=(2,) * len(size), stride=(2,) * len(size), pool_type=pool_type)
    y = pooling._pooling(np, batch_last(x), **attrs)
    np.testing.assert_array_equal(y, pooling._pooling(np, x, **attrs))
    dy = rng.randn(*y.shape).astype(np.float32)
    dx = pooling._backward_pooling(np, dy, batch_last(x), batch_last(y), **attrs)
    assert conv._is_image_minor(dx)
    np.testing.assert_array_equal(dx, pooling._backward_pooling(np, dy, x, y, **attrs))


# ------------------------------------------------------------------ the pass
def lenet():
    net = nn.HybridSequential(prefix='lenet_')
    with net.name_scope():
        net.add(nn.Conv2D(6, 5, padding=2, activation='sigmoid'), nn.AvgPool2D(2, 2),
                nn.Conv2D(16, 5, activation='relu'), nn.MaxPool2D(2, 2),
                nn.Dense(32, activation='sigmoid'), nn.Dense(10))
    return net


def train_step(layout, x, y, create_graph=False):
    mx.random.seed(0)
    net = lenet()
    net.initialize(mx.init.Xavier())
    net.hybridize(passes={'layout': layout})
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        out = net(x)
        loss = gluon.loss.SoftmaxCrossEntropyLoss()(out, y)
    loss.backward()
    grads = [p.grad() for p in net.collect_params().values()]
    return net, out, x.grad, grads


def test_a_training_step_agrees_with_and_without_the_pass():
    rng = np.random.RandomState(0)
    x = nd.array(rng.rand(32, 1, 28, 28))    # 32 images >= 28 columns: batch-last
    y = nd.array(rng.randint(0, 10, size=32))
    net, out, dx, grads = train_step(True, x, y)
    _, out0, dx0, grads0 = train_step(False, x, y)
    plan = net._cached_op.last_plan
    assert [new.name for _, _, new in plan.layout_done] == \
        ['lenet_conv0_fwd', 'lenet_conv1_fwd', '_conv_data_grad0']
    assert 'batch-last results: lenet_conv0_fwd' in net._cached_op.report()
    np.testing.assert_allclose(out.asnumpy(), out0.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx.asnumpy(), dx0.asnumpy(), rtol=1e-4, atol=1e-7)
    for g, g0 in zip(grads, grads0):
        np.testing.assert_allclose(g.asnumpy(), g0.asnumpy(), rtol=1e-4, atol=1e-6)
    # what the caller holds is C-contiguous: outputs and every gradient
    assert all(a._data.flags.c_contiguous for a in [out, dx] + grads)


def test_a_convolution_whose_result_the_caller_sees_keeps_the_usual_order():
    x = sym.var('x')
    c = sym.Convolution(x, kernel=(3, 3), num_filter=4, name='c')
    seen = sym.Group([sym.Pooling(c, kernel=(2, 2), stride=(2, 2)), sym.relu(c)])
    assert choose_batch_last(Graph.from_symbol(seen, {'x': (4, 2, 9, 9)}, xp=np)) == []
    # ... and one read by an operator not known to take any memory order
    bn = sym.BatchNorm(sym.Convolution(x, kernel=(3, 3), num_filter=4, name='c'), name='bn')
    net = sym.Convolution(bn, kernel=(3, 3), num_filter=2, name='d')
    assert choose_batch_last(Graph.from_symbol(net, {'x': (4, 2, 9, 9)}, xp=np)) == []
    # a channels-last convolution is left alone
    last = sym.relu(sym.Convolution(x, kernel=(3, 3), num_filter=4, layout='NHWC', name='e'))
    g = Graph.from_symbol(sym.Convolution(last, kernel=(3, 3), num_filter=2, layout='NHWC'),
                          {'x': (4, 9, 9, 2)}, xp=np)
    assert choose_batch_last(g) == []


def test_undo_puts_the_graph_back():
    x = sym.var('x')
    net = sym.Convolution(sym.relu(sym.Convolution(x, kernel=(3, 3), num_filter=4, name='c')),
                          kernel=(3, 3), num_filter=2, name='d')
    g = Graph.from_symbol(net, {'x': (4, 2, 9, 9)}, xp=np)
    nodes, readers = list(g.nodes), [list(n.inputs) for n in g.nodes]
    done = choose_batch_last(g)
    assert len(done) == 1 and g.nodes != nodes
    undo(done)
    assert g.nodes == nodes and [list(n.inputs) for n in g.nodes] == readers


def second_order(net, x):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        g = autograd.grad(net(x).sum(), [x], create_graph=True)[0]
        z = (g * g).sum()
    z.backward()
    return x.grad


def test_inference_and_second_order_through_a_hybridized_lenet():
    rng = np.random.RandomState(2)
    x = nd.array(rng.rand(32, 1, 28, 28))    # 32 images >= 28 columns: batch-last
    mx.random.seed(0)
    net = lenet()
    net.initialize(mx.init.Xavier())
    expected, expected_grad = net(x).asnumpy(), second_order(net, x).asnumpy()
    net.hybridize()
    got = net(x)
    assert got._data.flags.c_contiguous
    np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    assert net._cached_op.last_plan.layout_done       # the inference plan used it too
    # differentiating the gradient replays the registered operators, which get
    # C-contiguous arrays even where the plan kept a value in the batch-last order
    xx = x.copy()
    xx.attach_grad()
    with autograd.record():
        call = net(xx)._node.op
    assert any(not a.flags.c_contiguous for a in call.stored)
    assert all(v is None or v.flags.c_contiguous for v in call.plan.replay(call.stored))
    grad = second_order(net, x)
    assert grad._data.flags.c_contiguous
    np.testing.assert_allclose(grad.asnumpy(), expected_grad, rtol=1e-4, atol=1e-7)
