"""hybridize(): the compiled graph gives the imperative path's results, gradients
and BatchNorm statistics, for every layer of gluon.nn and for whole networks."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.base import MXNetError
from d2lmini.gluon import nn
from d2lmini.gluon.parameter import DeferredInitializationError


def _params(net):
    # keyed by place in the network: names (dense3_...) differ between instances
    return {k: v.data().asnumpy().copy() for k, v in net._collect_params_with_prefix().items()}


def _grads(net, xs):
    grads = {k: v.grad().asnumpy().copy() for k, v in net._collect_params_with_prefix().items()
             if v.grad_req != 'null'}
    grads.update({f'input{i}': x.grad.asnumpy() for i, x in enumerate(xs)
                  if np.dtype(x.dtype).kind == 'f'})
    return grads


def _run(make, xs, hybridize, train=True, ctx=None, **flags):
    """Output, gradients and parameters (running statistics included) after one
    recorded step of a fresh network with fixed initial parameters."""
    mx.random.seed(0)
    np.random.seed(0)
    net = make()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize(**flags)
    xs = [x.as_in_context(ctx) if ctx is not None else x for x in xs]
    net(*xs)     # deferred initialisation (and tracing)
    xs = [x.copy() for x in xs]
    for x in xs:
        if np.dtype(x.dtype).kind == 'f':
            x.attach_grad()
    mx.random.seed(1)
    with autograd.record(train_mode=train):
        out = net(*xs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = sum((o * o).sum() for o in outs)
    loss.backward()
    with autograd.predict_mode():
        pred = net(*xs)
    pred = list(pred) if isinstance(pred, (list, tuple)) else [pred]
    return ([o.asnumpy() for o in outs], _grads(net, xs), _params(net), [p.asnumpy() for p in pred])


def _same(make, *xs, train=True, rtol=1e-5, atol=1e-6, ctx=None, **flags):
    a = _run(make, xs, False, train, ctx)
    b = _run(make, xs, True, train, ctx, **flags)
    for u, v in zip(a[0], b[0]):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol)
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        np.testing.assert_allclose(a[1][k], b[1][k], rtol=rtol, atol=atol, err_msg=k)
    for k in a[2]:    # parameters and running statistics after the step
        np.testing.assert_allclose(a[2][k], b[2][k], rtol=rtol, atol=atol, err_msg=k)
    for u, v in zip(a[3], b[3]):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol)


def _x(*shape):
    return nd.array(np.random.RandomState(sum(shape)).randn(*shape).astype(np.float32))


def _seq(layers):
    def make():
        net = nn.HybridSequential()
        net.add(*layers())
        return net
    return make


LAYERS = {
    'dense': (lambda: [nn.Dense(5, activation='relu'), nn.Dense(3, use_bias=False)], (4, 6)),
    'dense_no_flatten': (lambda: [nn.Dense(5, flatten=False)], (2, 3, 6)),
    'conv1d': (lambda: [nn.Conv1D(4, 3, padding=1, activation='tanh')], (2, 3, 8)),
    'conv2d': (lambda: [nn.Conv2D(4, 3, strides=2, padding=1)], (2, 3, 7, 7)),
    'conv3d': (lambda: [nn.Conv3D(2, 2)], (1, 2, 4, 4, 4)),
    'conv2d_transpose': (lambda: [nn.Conv2DTranspose(3, 3, strides=2)], (2, 2, 4, 4)),
    'maxpool': (lambda: [nn.MaxPool2D(2)], (2, 3, 6, 6)),
    'avgpool': (lambda: [nn.AvgPool1D(2)], (2, 3, 6)),
    'globalpool': (lambda: [nn.GlobalMaxPool2D(), nn.GlobalAvgPool2D()], (2, 3, 5, 5)),
    'batchnorm': (lambda: [nn.Conv2D(3, 1), nn.BatchNorm()], (4, 2, 3, 3)),
    'batchnormrelu': (lambda: [nn.Conv2D(3, 1), nn.BatchNormReLU()], (4, 2, 3, 3)),
    'layernorm': (lambda: [nn.Dense(6), nn.LayerNorm()], (4, 5)),
    'instancenorm': (lambda: [nn.InstanceNorm()], (2, 3, 5)),
    'dropout_p0': (lambda: [nn.Dense(4), nn.Dropout(0.0)], (3, 5)),
    'flatten': (lambda: [nn.Flatten(), nn.Dense(2)], (2, 3, 4)),
    'activation': (lambda: [nn.Activation('sigmoid'), nn.Activation('softrelu')], (3, 4)),
    'leaky': (lambda: [nn.LeakyReLU(0.1), nn.ELU(), nn.SELU(), nn.GELU(), nn.Swish()],
              (3, 4)),
    'prelu': (lambda: [nn.PReLU()], (3, 4)),
    'hybridlambda': (lambda: [nn.HybridLambda(lambda F, x: F.tanh(x) * 2 + 1),
                              nn.HybridLambda('relu')], (3, 4)),
}


@pytest.mark.parametrize('name', sorted(LAYERS))
def test_layer_matches_imperative(name):
    layers, shape = LAYERS[name]
    _same(_seq(layers), _x(*shape))


@pytest.mark.parametrize('flags', [{}, {'static_alloc': True, 'static_shape': True},
                                   {'passes': {'fusion': False, 'cse': False}}])
def test_flags_give_the_same_results(flags):
    _same(_seq(LAYERS['leaky'][0]), _x(3, 4), **flags)


def test_embedding():
    x = nd.array([[0, 2, 1], [3, 3, 0]])

    def make():
        net = nn.HybridSequential()
        net.add(nn.Embedding(5, 4), nn.Dense(2))
        return net
    _same(make, x)


def test_dropout_in_predict_mode_and_train_mode_reaches_the_graph():
    make = _seq(lambda: [nn.Dropout(0.5)])
    x = _x(50, 40)
    a = _run(make, [x], False, train=False)
    b = _run(make, [x], True, train=False)
    np.testing.assert_allclose(a[0][0], b[0][0])
    np.testing.assert_allclose(b[0][0], x.asnumpy())           # predict: identity
    net = make()
    net.initialize()
    net.hybridize()
    with autograd.record():
        y = net(x)
    dropped = (y.asnumpy() == 0).mean()
    assert 0.4 < dropped < 0.6                                  # training: drops
    mx.random.seed(3)
    with autograd.train_mode():
        y1 = net(x)
    mx.random.seed(3)
    with autograd.train_mode():
        y2 = nn.Dropout(0.5)(x)
    np.testing.assert_allclose(y1.asnumpy(), y2.asnumpy())      # same random draws


class _Lambda(nn.Block):
    def __init__(self):
        super().__init__()
        self.f = nn.Lambda(lambda x: x * 2)
        self.g = nn.Dense(3)

    def forward(self, x):
        return self.g(self.f(x))


def test_block_hybridize_reaches_hybrid_children():
    net = _Lambda()
    net.initialize()
    x = _x(2, 4)
    y = net(x)
    net.hybridize()
    assert net.g._active
    np.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-6)
    assert net.g._cached_op is not None
    net.hybridize(active=False)
    assert not net.g._active


def lenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, padding=2, activation='sigmoid'), nn.AvgPool2D(2, 2),
            nn.Conv2D(16, 5, activation='sigmoid'), nn.AvgPool2D(2, 2),
            nn.Dense(120, activation='sigmoid'), nn.Dense(84, activation='sigmoid'),
            nn.Dense(10))
    return net


class Residual(nn.HybridBlock):
    def __init__(self, channels, downsample=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels, 3, padding=1, strides=2 if downsample else 1)
            self.bn1 = nn.BatchNorm()
            self.conv2 = nn.Conv2D(channels, 3, padding=1)
            self.bn2 = nn.BatchNorm()
            self.down = nn.Conv2D(channels, 1, strides=2) if downsample else None

    def hybrid_forward(self, F, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.down is not None:
            x = self.down(x)
        return F.relu(x + y)


def resnet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
            Residual(4), Residual(8, True), nn.GlobalAvgPool2D(), nn.Dense(3))
    return net


class DenseBlock(nn.HybridBlock):
    def __init__(self, layers, growth, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.net = nn.HybridSequential()
            for _ in range(layers):
                blk = nn.HybridSequential()
                blk.add(nn.BatchNorm(), nn.Activation('relu'),
                        nn.Conv2D(growth, 3, padding=1))
                self.net.add(blk)

    def hybrid_forward(self, F, x):
        for blk in self.net:
            x = F.concat(x, blk(x), dim=1)
        return x


def densenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1), DenseBlock(2, 3), nn.BatchNorm(),
            nn.Activation('relu'), nn.GlobalAvgPool2D(), nn.Dense(3))
    return net


@pytest.mark.parametrize('make,shape', [(lenet, (2, 1, 28, 28)), (resnet, (2, 3, 8, 8)),
                                        (densenet, (2, 3, 6, 6))])
def test_networks_match_imperative(make, shape):
    _same(make, _x(*shape), rtol=1e-4, atol=1e-5)


class TwoInputs(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(3)

    def hybrid_forward(self, F, a, b):
        h = self.dense(a) + b
        return h, F.relu(h)


def test_several_inputs_and_outputs():
    net = TwoInputs()
    net.initialize()
    a, b = _x(2, 4), _x(2, 3)
    y = net(a, b)
    net.hybridize()
    z = net(a, b)
    assert net._cached_op.data_names == ['data0', 'data1']
    for u, v in zip(y, z):
        np.testing.assert_allclose(u.asnumpy(), v.asnumpy(), rtol=1e-6)
    _same(TwoInputs, a, b)


def test_retraces_for_new_shapes_and_dtypes():
    net = _seq(lambda: [nn.Dense(3, flatten=False)])()
    net.initialize()
    net.hybridize()
    net(_x(2, 4))
    net(_x(5, 4))
    net(_x(2, 6, 4))
    assert len(net._cached_op.plans) == 3
    net.cast('float64')
    y = net(_x(2, 4).astype('float64'))
    assert y.dtype == np.float64


def test_higher_order_gradient_through_a_hybridized_block():
    def run(hybrid):
        net = nn.HybridLambda(lambda F, x: F.tanh(x) * x)
        if hybrid:
            net.hybridize()
        x = nd.array([0.5, -1.0, 2.0])
        x.attach_grad()
        with autograd.record():
            y = net(x)
            g = autograd.grad(y, [x], create_graph=True)[0]
        g.backward()
        return g.asnumpy(), x.grad.asnumpy()
    for u, v in zip(run(False), run(True)):
        np.testing.assert_allclose(u, v, rtol=1e-5)


def test_one_tape_node_for_the_whole_graph():
    net = lenet()
    net.initialize()
    net.hybridize()
    x = _x(2, 1, 28, 28)
    with autograd.record():
        y = net(x)
    assert y._node.op.name == 'CachedOp'


# ---------------------------------------------------------------------- deferred init
def test_deferred_init_by_shape_inference_without_hybridize():
    net = resnet()
    net.initialize()
    net(_x(2, 3, 8, 8))
    assert net[3].conv1.weight.shape == (4, 4, 3, 3)
    assert net[4].down.weight.shape == (8, 4, 1, 1)
    assert net[6].weight.shape == (3, 8)


class Uninferable(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

    def hybrid_forward(self, F, x, w):
        return x * F.sum(w)


@pytest.mark.parametrize('hybrid', [False, True])
def test_uninferable_parameter_is_named(hybrid):
    net = Uninferable(prefix='odd_')
    net.initialize()
    if hybrid:
        net.hybridize()
    with pytest.raises(DeferredInitializationError, match="odd_w"):
        net(_x(2, 3))


# ---------------------------------------------------------------------- bad input
class Branches(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        if x.sum() > 0:
            return x
        return -x


class ReadsValues(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return x * float(x.asnumpy().max())


def test_python_branch_on_a_symbol_explains_itself():
    net = Branches(prefix='branchy_')
    net(_x(2, 2))                        # fine imperatively
    net.hybridize()
    with pytest.raises(MXNetError, match=r'branchy.*cannot be hybridized.*bool'):
        net(_x(2, 2))


def test_asnumpy_on_a_symbol_explains_itself():
    net = ReadsValues(prefix='reader_')
    net.hybridize()
    # the class MXNet 1.x raises, NotImplementedForSymbol, with the block's name
    with pytest.raises(mx.base.NotImplementedForSymbol,
                       match=r'reader.*cannot be hybridized.*no values'):
        net(_x(2, 2))


class ReadsShape(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return x * x.shape[0]            # a Symbol has no shape


def test_a_tracing_error_keeps_the_type_mxnet_lets_through():
    # MXNet 1.x raises the AttributeError itself; d2lmini's is also an MXNetError
    # that says which block could not be hybridized
    net = ReadsShape(prefix='shaper_')
    net.hybridize()
    with pytest.raises(AttributeError, match=r'shaper.*cannot be hybridized.*shape') as info:
        net(_x(2, 2))
    assert isinstance(info.value, MXNetError)


def test_shapes_that_do_not_fit_name_the_node():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=4))
    net.initialize()
    net.hybridize()
    with pytest.raises(MXNetError, match=r"node 'dense\d+_fwd'.*\[3,4\].*\[2,5\]"):
        net(_x(2, 5))


# ---------------------------------------------------------------------- GPU
@pytest.mark.gpu
@pytest.mark.parametrize('make,shape', [(lenet, (2, 1, 28, 28)), (resnet, (2, 3, 8, 8)),
                                        (_seq(LAYERS['leaky'][0]), (3, 4))])
def test_networks_match_imperative_on_gpu(make, shape):
    from d2lmini import backend
    if backend.num_gpus() == 0:
        pytest.skip('no GPU')
    _same(make, _x(*shape), rtol=1e-4, atol=1e-5, ctx=mx.gpu(0))
