"""gluon.nn layers: parameter names and shapes (deferred ones too), printed forms as
MXNet 1.9 prints them, outputs against numpy, gradients reaching every parameter,
errors that name the layer, and the model-building code of the book (custom blocks,
name scopes and prefixes, custom initializers, shared parameters, constant
parameters, nested and residual blocks, LeNet)."""
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, init
from d2lmini.base import MXNetError
from d2lmini.gluon import nn
from d2lmini.name import NameManager
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

nd = mx.nd
RNG = np.random.RandomState(7)


def randn(*shape):
    return RNG.randn(*shape).astype(np.float32)


def run(block, x, train=False):
    """``block(x)`` with the gradients of ``(y * head).sum()`` computed; returns
    ``(y, head, dx)`` as numpy arrays."""
    x = nd.array(x)
    x.attach_grad()
    with autograd.record(train_mode=train):
        y = block(x)
    head = randn(*y.shape)
    y.backward(nd.array(head))
    return y.asnumpy(), head, x.grad.asnumpy()


def set_params(block, **values):
    """Overwrite a layer's parameters (by attribute name) with numpy arrays."""
    for name, value in values.items():
        getattr(block, name).set_data(nd.array(value))


# ---------------------------------------------------------------------- references
def ref_conv(x, w, b, stride, pad, dilate=None, groups=1):
    """Convolution of NC+spatial data, one output position at a time."""
    nsp = x.ndim - 2
    dilate = dilate or (1,) * nsp
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(xp.shape[2 + a] - dilate[a] * (k[a] - 1) - 1) // stride[a] + 1 for a in range(nsp)]
    y = np.zeros((x.shape[0], w.shape[0]) + tuple(out), np.float64)
    cin, cout = x.shape[1] // groups, w.shape[0] // groups
    for pos in np.ndindex(*out):
        win = xp[(Ellipsis,) + tuple(slice(p * s, p * s + d * (kk - 1) + 1, d)
                                     for p, s, d, kk in zip(pos, stride, dilate, k))]
        for g in range(groups):
            part = win[:, g * cin:(g + 1) * cin].reshape(len(x), -1)
            wg = w[g * cout:(g + 1) * cout].reshape(cout, -1)
            y[(slice(None), slice(g * cout, (g + 1) * cout)) + pos] = part @ wg.T
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nsp)
    return y


def ref_conv_transpose(x, w, b, stride, pad, adj):
    """Transposed convolution: every input element adds its weighted kernel to the
    output, which is then cropped by ``pad`` (and extended by ``adj`` at the end)."""
    nsp = x.ndim - 2
    k = w.shape[2:]
    full = [s * (n - 1) + kk + a for s, n, kk, a in zip(stride, x.shape[2:], k, adj)]
    y = np.zeros((x.shape[0], w.shape[1]) + tuple(full), np.float64)
    for pos in np.ndindex(*x.shape[2:]):
        win = (slice(None), slice(None)) + tuple(slice(p * s, p * s + kk)
                                                 for p, s, kk in zip(pos, stride, k))
        y[win] += np.einsum('nc,cf...->nf...', x[(slice(None), slice(None)) + pos], w)
    y = y[(Ellipsis,) + tuple(slice(p, f - p) for p, f in zip(pad, full))]
    return y + b.reshape((1, -1) + (1,) * nsp)


def ref_pool(x, k, stride, pad, kind, ceil=False, count_pad=True):
    """2-D max or average pooling, one window at a time."""
    fill = -np.inf if kind == 'max' else 0.0
    xp = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])], constant_values=fill)
    ones = np.pad(np.ones(x.shape[2:]), [(p, p) for p in pad])   # 1 where data is real
    rnd = np.ceil if ceil else np.floor
    out = [int(rnd((x.shape[2 + a] + 2 * pad[a] - k[a]) / stride[a])) + 1 for a in range(2)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for i, j in np.ndindex(*out):
        rows = slice(i * stride[0], i * stride[0] + k[0])
        cols = slice(j * stride[1], j * stride[1] + k[1])
        win = xp[:, :, rows, cols]
        if kind == 'max':
            y[:, :, i, j] = win.max(axis=(2, 3))
        else:
            count = k[0] * k[1] if count_pad else ones[rows, cols].sum()
            y[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return y


def ref_norm(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), mean, var


# ---------------------------------------------------------------------- names, shapes
def test_parameter_names_and_deferred_shapes():
    with NameManager():
        net = nn.Sequential()
        net.add(nn.Conv2D(6, kernel_size=5), nn.BatchNorm(), nn.MaxPool2D(),
                nn.Conv2DTranspose(3, 2), nn.Dense(10), nn.PReLU(), nn.Embedding(7, 3))
    params = net.collect_params()
    before = {k: v.shape for k, v in params.items()}
    assert before == {
        'conv0_weight': (6, 0, 5, 5), 'conv0_bias': (6,),
        'batchnorm0_gamma': (0,), 'batchnorm0_beta': (0,),
        'batchnorm0_running_mean': (0,), 'batchnorm0_running_var': (0,),
        'conv1_weight': (0, 3, 2, 2), 'conv1_bias': (3,),
        'dense0_weight': (10, 0), 'dense0_bias': (10,),
        'prelu0_alpha': (1,), 'embedding0_weight': (7, 3)}
    net.initialize()
    x = nd.ones((2, 1, 12, 12))
    for layer in list(net)[:5]:
        x = layer(x)
    assert x.shape == (2, 10)
    after = {k: v.shape for k, v in params.items()}
    assert after['conv0_weight'] == (6, 1, 5, 5)
    assert after['batchnorm0_gamma'] == after['batchnorm0_running_var'] == (6,)
    assert after['conv1_weight'] == (6, 3, 2, 2)
    assert after['dense0_weight'] == (10, 3 * 5 * 5)


def test_initializers_of_each_parameter():
    bn = nn.BatchNorm(in_channels=3)
    dense = nn.Dense(2, in_units=3)
    prelu = nn.PReLU(in_channels=3)
    for layer in (bn, dense, prelu):
        layer.initialize(init.Constant(5))   # a layer's own initializers win
    assert bn.gamma.data().asnumpy().tolist() == [1, 1, 1]
    assert bn.beta.data().asnumpy().tolist() == [0, 0, 0]
    assert bn.running_mean.data().asnumpy().tolist() == [0, 0, 0]
    assert bn.running_var.data().asnumpy().tolist() == [1, 1, 1]
    assert (dense.weight.data().asnumpy() == 5).all()   # weight_initializer=None
    assert dense.bias.data().asnumpy().tolist() == [0, 0]
    assert_almost_equal(prelu.alpha.data(), np.full(3, 0.25))
    custom = nn.Dense(2, in_units=3, weight_initializer=init.One(), bias_initializer='ones')
    custom.initialize(init.Zero())
    assert custom.weight.data().asnumpy().sum() == 6 and custom.bias.data().asnumpy().sum() == 2


def test_grad_req_of_normalisation_parameters():
    bn = nn.BatchNorm(scale=False, center=False)
    assert [p.grad_req for p in bn.collect_params().values()] == ['null'] * 4
    bn = nn.BatchNorm()
    assert [p.grad_req for p in bn.collect_params().values()] == ['write', 'write', 'null',
                                                                  'null']
    # what is not trained stays so when every parameter is asked to train
    fixed = nn.BatchNorm(scale=False)
    fixed.collect_params().setattr('grad_req', 'write')
    assert [p.grad_req for p in fixed.collect_params().values()] == ['null', 'write', 'null',
                                                                     'null']
    assert nn.InstanceNorm().gamma.grad_req == 'null'      # scale=False by default there
    assert nn.LayerNorm(center=False).beta.grad_req == 'null'


@pytest.mark.parametrize('make, before, after, shape', [
    (lambda: nn.Dense(256, activation='relu'), 'Dense(None -> 256, Activation(relu))',
     'Dense(12 -> 256, Activation(relu))', (2, 3, 4)),
    (lambda: nn.Dense(10, in_units=20, use_bias=False), 'Dense(20 -> 10, linear)',
     'Dense(20 -> 10, linear)', (2, 20)),
    (lambda: nn.Conv2D(6, kernel_size=5), 'Conv2D(None -> 6, kernel_size=(5, 5), stride=(1, 1))',
     'Conv2D(3 -> 6, kernel_size=(5, 5), stride=(1, 1))', (1, 3, 8, 8)),
    (lambda: nn.Conv2D(6, 3, padding=1, strides=2, dilation=2, groups=2, use_bias=False,
                       activation='relu', in_channels=4),
     'Conv2D(2 -> 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), '
     'groups=2, bias=False, Activation(relu))', None, None),
    (lambda: nn.Conv1D(4, [3], strides=[2], padding=[1]),
     'Conv1D(None -> 4, kernel_size=[3], stride=[2], padding=[1])',
     'Conv1D(5 -> 4, kernel_size=[3], stride=[2], padding=[1])', (1, 5, 9)),
    # MXNet prints a transposed convolution's mapping from its weight's shape
    # (in_channels, channels, ...) read the other way, and never its output_padding
    (lambda: nn.Conv2DTranspose(3, 4, strides=2, output_padding=1),
     'Conv2DTranspose(3 -> 0, kernel_size=(4, 4), stride=(2, 2))',
     'Conv2DTranspose(3 -> 5, kernel_size=(4, 4), stride=(2, 2))', (1, 5, 3, 3)),
    (lambda: nn.MaxPool2D(), 'MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), '
     'ceil_mode=False, global_pool=False, pool_type=max, layout=NCHW)', None, None),
    (lambda: nn.MaxPool2D(3, 2, 1, ceil_mode=True), 'MaxPool2D(size=(3, 3), stride=(2, 2), '
     'padding=(1, 1), ceil_mode=True, global_pool=False, pool_type=max, layout=NCHW)', None,
     None),
    (lambda: nn.AvgPool1D(), 'AvgPool1D(size=(2,), stride=(2,), padding=(0,), '
     'ceil_mode=False, global_pool=False, pool_type=avg, layout=NCW)', None, None),
    (lambda: nn.GlobalAvgPool2D(), 'GlobalAvgPool2D(size=(1, 1), stride=(1, 1), '
     'padding=(0, 0), ceil_mode=True, global_pool=True, pool_type=avg, layout=NCHW)', None,
     None),
    (lambda: nn.BatchNorm(), 'BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, '
     'use_global_stats=False, in_channels=None)', 'BatchNorm(axis=1, eps=1e-05, '
     'momentum=0.9, fix_gamma=False, use_global_stats=False, in_channels=3)', (2, 3, 4)),
    (lambda: nn.BatchNorm(axis=2, scale=False, in_channels=3), 'BatchNorm(axis=2, '
     'eps=1e-05, momentum=0.9, fix_gamma=True, use_global_stats=False, in_channels=3)', None,
     None),
    (lambda: nn.LayerNorm(), 'LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, '
     'in_channels=0)', 'LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, '
     'in_channels=4)', (2, 3, 4)),
    (lambda: nn.InstanceNorm(), 'InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, '
     'in_channels=0)', 'InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, '
     'in_channels=3)', (2, 3, 4)),
    (lambda: nn.Dropout(0.5), 'Dropout(p = 0.5, axes=())', None, None),
    (lambda: nn.Dropout(0.2, axes=(1,)), 'Dropout(p = 0.2, axes=(1,))', None, None),
    (lambda: nn.Embedding(10, 4), 'Embedding(10 -> 4, float32)', None, None),
    (lambda: nn.Flatten(), 'Flatten', None, None),
    (lambda: nn.Activation('tanh'), 'Activation(tanh)', None, None),
    (lambda: nn.LeakyReLU(0.1), 'LeakyReLU(0.1)', None, None),
    (lambda: nn.PReLU(), 'PReLU(\n\n)', None, None),
    (lambda: nn.Swish(), 'Swish(\n\n)', None, None),
    (lambda: nn.Lambda('tanh'), 'Lambda(tanh)', None, None),
    (lambda: nn.HybridLambda(lambda F, x: x), 'HybridLambda(<lambda>)', None, None),
])
def test_repr_as_mxnet_prints_it(make, before, after, shape):
    layer = make()
    assert repr(layer) == before
    if shape is not None:
        layer.initialize()
        layer(nd.ones(shape))
        assert repr(layer) == after


def test_sequential_repr_and_block_names():
    with NameManager():
        net = nn.Sequential()
        net.add(nn.Dense(256, activation='relu'), nn.Dense(10))
        assert [nn.Conv2D(2, 3).name, nn.MaxPool2D().name, nn.AvgPool1D().name,
                nn.Activation('sigmoid').name, nn.Conv1DTranspose(2, 3).name] == \
            ['conv0', 'pool0', 'pool1', 'sigmoid0', 'conv1']
    assert repr(net) == ('Sequential(\n  (0): Dense(None -> 256, Activation(relu))\n'
                         '  (1): Dense(None -> 10, linear)\n)')
    assert net[0].act.name == 'dense0_relu'


# ---------------------------------------------------------------------- values
def test_dense_against_numpy():
    x, w, b = randn(3, 2, 3), randn(4, 6), randn(4)
    layer = nn.Dense(4, activation='relu')
    layer.initialize()
    layer(nd.array(x))
    set_params(layer, weight=w, bias=b)
    y, head, dx = run(layer, x)
    z = x.reshape(3, 6) @ w.T + b
    assert_almost_equal(y, np.maximum(z, 0))
    dz = head * (z > 0)
    assert_almost_equal(dx, (dz @ w).reshape(x.shape))
    assert_almost_equal(layer.weight.grad(), dz.T @ x.reshape(3, 6))
    assert_almost_equal(layer.bias.grad(), dz.sum(axis=0))


def test_dense_without_flatten_acts_on_last_axis():
    x, w = randn(2, 3, 5), randn(4, 5)
    layer = nn.Dense(4, flatten=False, use_bias=False, in_units=5)
    layer.initialize()
    set_params(layer, weight=w)
    y, head, _ = run(layer, x)
    assert y.shape == (2, 3, 4)
    assert_almost_equal(y, x @ w.T)
    assert_almost_equal(layer.weight.grad(), np.einsum('abo,abi->oi', head, x))


@pytest.mark.parametrize('kwargs, shape', [
    (dict(channels=4, kernel_size=3), (2, 3, 7, 6)),
    (dict(channels=4, kernel_size=(3, 2), strides=2, padding=(1, 0)), (2, 3, 7, 6)),
    (dict(channels=6, kernel_size=3, padding=2, dilation=2, groups=3), (1, 3, 6, 6)),
])
def test_conv2d_against_numpy(kwargs, shape):
    layer = nn.Conv2D(**kwargs)
    layer.initialize()
    x = randn(*shape)
    layer(nd.array(x))
    w, b = randn(*layer.weight.shape), randn(*layer.bias.shape)
    set_params(layer, weight=w, bias=b)
    y, head, _ = run(layer, x)
    op = layer._kwargs
    expected = ref_conv(x, w, b, op['stride'], op['pad'], op['dilate'], op['num_group'])
    assert_almost_equal(y, expected, rtol=1e-4, atol=1e-5)
    # the bias gradient is the output gradient summed over batch and positions
    assert_almost_equal(layer.bias.grad(), head.sum(axis=(0, 2, 3)), rtol=1e-4, atol=1e-5)


def test_conv1d_and_conv3d_against_numpy():
    for layer, shape in ((nn.Conv1D(3, 3, strides=2, padding=1), (2, 4, 9)),
                         (nn.Conv3D(2, (2, 3, 2)), (1, 2, 4, 4, 3))):
        layer.initialize()
        x = randn(*shape)
        y = layer(nd.array(x)).asnumpy()
        op = layer._kwargs
        expected = ref_conv(x, layer.weight.data().asnumpy(), layer.bias.data().asnumpy(),
                            op['stride'], op['pad'])
        assert_almost_equal(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('layer, shape', [
    (lambda: nn.Conv2DTranspose(4, 3, strides=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    (lambda: nn.Conv1DTranspose(2, 4, strides=3), (2, 3, 4)),
])
def test_transposed_conv_against_numpy(layer, shape):
    layer = layer()
    layer.initialize()
    x = randn(*shape)
    layer(nd.array(x))
    assert layer.weight.shape[0] == shape[1]      # (in_channels, channels, *kernel)
    w, b = randn(*layer.weight.shape), randn(*layer.bias.shape)
    set_params(layer, weight=w, bias=b)
    y, _, _ = run(layer, x)
    op = layer._kwargs
    expected = ref_conv_transpose(x, w, b, op['stride'], op['pad'], op['adj'])
    assert_almost_equal(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('layer, kind, k, stride, pad, ceil, count_pad', [
    (nn.MaxPool2D(), 'max', (2, 2), (2, 2), (0, 0), False, True),
    (nn.MaxPool2D(3, 2, 1, ceil_mode=True), 'max', (3, 3), (2, 2), (1, 1), True, True),
    (nn.MaxPool2D((2, 3), strides=1), 'max', (2, 3), (1, 1), (0, 0), False, True),
    (nn.AvgPool2D(3, 1, 1), 'avg', (3, 3), (1, 1), (1, 1), False, True),
    (nn.AvgPool2D(3, 2, 1, count_include_pad=False), 'avg', (3, 3), (2, 2), (1, 1), False,
     False),
])
def test_pooling_against_numpy(layer, kind, k, stride, pad, ceil, count_pad):
    x = randn(2, 3, 7, 8)
    y, _, dx = run(layer, x)
    assert_almost_equal(y, ref_pool(x.astype(np.float64), k, stride, pad, kind, ceil,
                                    count_pad))
    assert dx.shape == x.shape and np.abs(dx).sum() > 0


def test_pooling_1d_3d_and_global():
    x = randn(2, 3, 6, 5)
    assert_almost_equal(nn.GlobalAvgPool2D()(nd.array(x)), x.mean(axis=(2, 3), keepdims=True))
    assert_almost_equal(nn.GlobalMaxPool2D()(nd.array(x)), x.max(axis=(2, 3), keepdims=True))
    x1 = randn(2, 3, 7)
    assert_almost_equal(nn.MaxPool1D(3, 2)(nd.array(x1)),
                        np.stack([x1[..., i:i + 3].max(-1) for i in (0, 2, 4)], -1))
    assert_almost_equal(nn.AvgPool1D()(nd.array(x1)),
                        np.stack([x1[..., i:i + 2].mean(-1) for i in (0, 2, 4)], -1))
    assert_almost_equal(nn.GlobalAvgPool1D()(nd.array(x1)), x1.mean(-1, keepdims=True))
    assert_almost_equal(nn.GlobalMaxPool1D()(nd.array(x1)), x1.max(-1, keepdims=True))
    x3 = randn(1, 2, 4, 4, 4)
    assert nn.MaxPool3D()(nd.array(x3)).shape == (1, 2, 2, 2, 2)
    assert_almost_equal(nn.AvgPool3D(4)(nd.array(x3)).reshape((1, 2)), x3.mean(axis=(2, 3, 4)))
    assert_almost_equal(nn.GlobalMaxPool3D()(nd.array(x3)).reshape((1, 2)),
                        x3.max(axis=(2, 3, 4)))
    assert_almost_equal(nn.GlobalAvgPool3D()(nd.array(x3)).reshape((1, 2)),
                        x3.mean(axis=(2, 3, 4)))


def test_batchnorm_training_then_prediction():
    x = randn(4, 3, 2, 2) * 3 + 1
    gamma, beta = randn(3), randn(3)
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    set_params(bn, gamma=gamma, beta=beta)
    y, head, dx = run(bn, x, train=True)
    xhat, mean, var = ref_norm(x.astype(np.float64), (0, 2, 3), 1e-5)
    c = (1, 3, 1, 1)
    assert_almost_equal(y, xhat * gamma.reshape(c) + beta.reshape(c), rtol=1e-4, atol=1e-5)
    assert_almost_equal(bn.beta.grad(), head.sum(axis=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert_almost_equal(bn.gamma.grad(), (head * xhat).sum(axis=(0, 2, 3)), rtol=1e-4,
                        atol=1e-4)
    # backward updated the running statistics: momentum 0.9 on the old values
    assert_almost_equal(bn.running_mean.data(), 0.1 * mean.ravel(), rtol=1e-4, atol=1e-6)
    assert_almost_equal(bn.running_var.data(), 0.9 + 0.1 * var.ravel(), rtol=1e-4, atol=1e-6)
    # prediction normalises with the running statistics
    rm, rv = bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy()
    x2 = randn(2, 3, 2, 2)
    expected = (x2 - rm.reshape(c)) / np.sqrt(rv.reshape(c) + 1e-5) * gamma.reshape(c) + \
        beta.reshape(c)
    assert_almost_equal(bn(nd.array(x2)), expected, rtol=1e-4, atol=1e-5)
    # and a forward in prediction mode leaves them alone
    run(bn, x2, train=False)
    assert_almost_equal(bn.running_mean.data(), rm)


def test_batchnorm_options():
    x = randn(5, 4) * 2
    bn = nn.BatchNorm(axis=-1, scale=False, momentum=0.5, epsilon=0.1)
    bn.initialize()
    bn(nd.array(x))
    bn.gamma.set_data(nd.full((4,), 3.0))          # ignored: scale=False fixes gamma at 1
    y, _, _ = run(bn, x, train=True)
    xhat, mean, _ = ref_norm(x.astype(np.float64), (0,), 0.1)
    assert_almost_equal(y, xhat, rtol=1e-4, atol=1e-5)
    assert_almost_equal(bn.running_mean.data(), 0.5 * mean.ravel(), rtol=1e-4, atol=1e-6)
    frozen = nn.BatchNorm(use_global_stats=True, in_channels=4, axis=1)
    frozen.initialize()
    y, _, _ = run(frozen, x, train=True)           # running statistics even in training
    assert_almost_equal(y, x / np.sqrt(1 + 1e-5))


def test_layernorm_and_instancenorm_against_numpy():
    x = randn(2, 3, 4)
    gamma, beta = randn(4), randn(4)
    ln = nn.LayerNorm()
    ln.initialize()
    ln(nd.array(x))
    set_params(ln, gamma=gamma, beta=beta)
    assert_almost_equal(ln(nd.array(x)), ref_norm(x, (2,), 1e-5)[0] * gamma + beta, rtol=1e-4,
                        atol=1e-5)
    ln1 = nn.LayerNorm(axis=1, in_channels=3)
    ln1.initialize()
    assert_almost_equal(ln1(nd.array(x)), ref_norm(x, (1,), 1e-5)[0], rtol=1e-4, atol=1e-5)
    inn = nn.InstanceNorm()
    inn.initialize()
    inn(nd.array(x))
    g3, b3 = randn(3), randn(3)
    set_params(inn, gamma=g3, beta=b3)
    assert_almost_equal(inn(nd.array(x)), ref_norm(x, (2,), 1e-5)[0] * g3[:, None] +
                        b3[:, None], rtol=1e-4, atol=1e-5)
    # the channels on another axis: statistics over the remaining non-batch axes
    x4 = randn(2, 3, 4, 2)
    inn2 = nn.InstanceNorm(axis=2)
    inn2.initialize()
    assert inn2(nd.array(x4)).shape == x4.shape and inn2.gamma.shape == (4,)
    assert_almost_equal(inn2(nd.array(x4)), ref_norm(x4, (1, 3), 1e-5)[0], rtol=1e-4,
                        atol=1e-5)


def test_embedding_lookup_and_summed_gradient():
    layer = nn.Embedding(5, 3)
    layer.initialize()
    w = layer.weight.data().asnumpy()
    idx = np.array([[1, 4, 1], [0, 1, 2]], np.float32)
    y, head, _ = run(layer, idx)
    assert_almost_equal(y, w[idx.astype(int)])
    expected = np.zeros((5, 3))
    np.add.at(expected, idx.astype(int).ravel(), head.reshape(-1, 3))
    assert_almost_equal(layer.weight.grad(), expected)


def test_dropout_in_training_and_prediction():
    x = np.ones((200, 50), np.float32)
    layer = nn.Dropout(0.3)
    assert (layer(nd.array(x)).asnumpy() == 1).all()     # prediction: identity
    with autograd.record():
        y = layer(nd.array(x)).asnumpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.03
    with autograd.record():
        shared = nn.Dropout(0.5, axes=(1,))(nd.array(x)).asnumpy()
    # one draw per row, shared along axis 1
    assert (shared == shared[:, :1]).all() and 0 < (shared[:, 0] == 0).mean() < 1
    with autograd.record():
        assert (nn.Dropout(0)(nd.array(x)).asnumpy() == 1).all()


def test_activation_layers_against_numpy():
    x = np.linspace(-3, 3, 13).astype(np.float32)
    sig = 1 / (1 + np.exp(-x))
    alpha = 1.6732632423543772
    lam = 1.0507009873554805
    from math import erf
    cases = [
        (nn.Activation('relu'), np.maximum(x, 0)),
        (nn.Activation('sigmoid'), sig),
        (nn.Activation('tanh'), np.tanh(x)),
        (nn.Activation('softrelu'), np.log1p(np.exp(x))),
        (nn.Activation('softsign'), x / (1 + np.abs(x))),
        (nn.LeakyReLU(0.1), np.where(x > 0, x, 0.1 * x)),
        (nn.ELU(0.5), np.where(x > 0, x, 0.5 * np.expm1(x))),
        (nn.SELU(), lam * np.where(x > 0, x, alpha * np.expm1(x))),
        (nn.GELU(), x * 0.5 * (1 + np.array([erf(v / np.sqrt(2)) for v in x]))),
        (nn.Swish(2.0), x / (1 + np.exp(-2 * x))),
    ]
    for layer, expected in cases:
        assert_almost_equal(layer(nd.array(x)), expected, rtol=1e-4, atol=1e-5)


def test_prelu_learns_one_slope_per_channel():
    layer = nn.PReLU(in_channels=3)
    layer.initialize()
    x = randn(2, 3, 4)
    y, head, _ = run(layer, x)
    assert_almost_equal(y, np.where(x > 0, x, 0.25 * x))
    assert_almost_equal(layer.alpha.grad(), (head * np.minimum(x, 0)).sum(axis=(0, 2)),
                        rtol=1e-4, atol=1e-5)


def test_flatten_and_lambdas():
    x = randn(2, 3, 4)
    assert nn.Flatten()(nd.array(x)).shape == (2, 12)
    assert_almost_equal(nn.Lambda('tanh')(nd.array(x)), np.tanh(x))
    assert_almost_equal(nn.Lambda(lambda a, b: a * b)(nd.array(x), nd.array(x)), x * x)
    assert_almost_equal(nn.HybridLambda('relu')(nd.array(x)), np.maximum(x, 0))
    both = nn.HybridLambda(lambda F, a, b: F.broadcast_add(a, b))
    assert_almost_equal(both(nd.array(x), nd.ones((1, 1, 4))), x + 1)
    with pytest.raises(AssertionError, match='no_such_op'):
        nn.Lambda('no_such_op')
    with pytest.raises(ValueError, match='Unrecognized function'):
        nn.HybridLambda(3)


def _autograd_and_numeric_grads(net, x, head):
    """For every trainable parameter of float64 network ``net``: autograd's gradient of
    ``sum(net(x) * head)`` (in training mode) and central differences of it."""
    def loss():
        with autograd.train_mode():
            return float((net(x) * head).sum().asscalar())

    with autograd.record():
        y = (net(x) * head).sum()
    y.backward()
    out = []
    for p in net.collect_params().values():
        if p.grad_req == 'null':
            continue
        data = p.data()
        numeric = np.zeros(p.shape)
        for i in np.ndindex(*p.shape):
            old = float(data[i].asscalar())
            data[i] = old + 1e-5
            up = loss()
            data[i] = old - 1e-5
            down = loss()
            data[i] = old
            numeric[i] = (up - down) / 2e-5
        out.append((p, p.grad().asnumpy(), numeric))
    return out


def _float64_net(*layers, seed=3):
    mx.random.seed(seed)
    rng = np.random.RandomState(seed)
    net = nn.HybridSequential()
    net.add(*layers)
    net.initialize(init.Normal(0.5))
    x = nd.array(rng.randn(2, 1, 4, 4))
    net(x)
    net.cast('float64')
    return net, x.astype('float64'), nd.array(rng.randn(2, 3), dtype='float64')


# A gradient that is mathematically non-zero is at least this large in these small
# networks (the smallest is about 1e-4); the noise of central differences in float64
# is below 1e-9.
_SURELY_NONZERO = 1e-6


def test_every_parameter_receives_its_gradient():
    """A float64 network with every kind of trainable layer: autograd's gradient
    of every parameter matches central differences.

    The biases of the two convolutions feed a normalisation (BatchNorm in training,
    InstanceNorm), which subtracts every per-channel constant again: those biases
    cannot change the output, and their gradient is exactly zero in exact arithmetic.
    In floating point it is zero or a rounding residue (about 1e-15, depending on
    the machine's BLAS), so it is checked against zero with a tolerance; that these
    biases do receive gradients is checked by the next test, without normalisation.
    """
    # the PReLU follows a normalisation, so that negative values (where its slope
    # matters) surely reach it
    net, x, head = _float64_net(
        nn.Conv2D(3, 2, padding=1), nn.BatchNorm(), nn.MaxPool2D(),
        nn.Conv2DTranspose(2, 2, strides=2), nn.InstanceNorm(scale=True), nn.PReLU(),
        nn.LayerNorm(), nn.Dense(3, activation='tanh'))
    grads = _autograd_and_numeric_grads(net, x, head)
    assert len(grads) == 13
    provably_zero = {net[0].bias.name, net[3].bias.name}
    scale = max(np.abs(g).max() for _, g, _ in grads)
    for p, grad, numeric in grads:
        if p.name in provably_zero:
            # rounding residues: autograd sums O(1) terms in float64, central
            # differences divide rounding noise of the loss by the step
            assert np.abs(grad).max() <= 1e-12 * scale, p.name
            assert np.abs(numeric).max() <= 1e-8 * scale, p.name
            continue
        assert np.abs(numeric).max() > _SURELY_NONZERO, p.name
        assert_almost_equal(grad, numeric, rtol=1e-4, atol=1e-7, names=(p.name, 'numeric'))


def test_convolution_biases_receive_their_gradient():
    """The layers whose biases a normalisation cancels above, without normalisation:
    every gradient is non-zero and matches central differences."""
    net, x, head = _float64_net(
        nn.Conv2D(3, 2, padding=1), nn.MaxPool2D(), nn.Conv2DTranspose(2, 2, strides=2),
        nn.PReLU(), nn.Dense(3, activation='tanh'))
    grads = _autograd_and_numeric_grads(net, x, head)
    assert {p.name for p, _, _ in grads} >= {net[0].bias.name, net[2].bias.name}
    for p, grad, numeric in grads:
        assert np.abs(numeric).max() > _SURELY_NONZERO, p.name
        assert_almost_equal(grad, numeric, rtol=1e-4, atol=1e-7, names=(p.name, 'numeric'))


# ---------------------------------------------------------------------- errors
def test_wrong_rank_names_the_layer():
    with NameManager():
        conv, pool, bn = nn.Conv2D(3, 3), nn.MaxPool2D(), nn.InstanceNorm()
    conv.initialize()
    bn.initialize()
    with pytest.raises(MXNetError, match=r'conv0 \(Conv2D\).*4-D input \(NCHW\).*\[4,5,6\]'):
        conv(nd.ones((4, 5, 6)))
    assert conv.weight.shape == (3, 0, 3, 3)        # the bad batch fixed nothing
    with pytest.raises(MXNetError, match=r'pool0 .*4-D .*\[4,5\]'):
        pool(nd.ones((4, 5)))
    with pytest.raises(MXNetError, match=r'instancenorm0 .*at least 3 axes.*\[4,5\]'):
        bn(nd.ones((4, 5)))
    with pytest.raises(MXNetError, match=r'axis 3.*\[4,5\]'):
        nn.BatchNorm(axis=3)(nd.ones((4, 5)))


def test_operator_errors_name_the_layer():
    with NameManager():
        dense = nn.Dense(2, in_units=3)
        conv = nn.Conv1D(2, 3, in_channels=4)
    dense.initialize()
    conv.initialize()
    with pytest.raises(MXNetError, match=r'dense0 \(Dense\): .*FullyConnected.*\[2,3\]'):
        dense(nd.ones((5, 4)))
    with pytest.raises(MXNetError, match=r'conv0 \(Conv1D\): .*Convolution'):
        conv(nd.ones((1, 3, 8)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match='kernel_size must be a number or a list of 2 ints'):
        nn.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match='pool_size must be a number or a list of 1 ints'):
        nn.MaxPool1D((2, 2))
    # MXNet asserts the layout: channels last is 'NHWC'/'NDHWC', and no 'NWC' convolution
    with pytest.raises(AssertionError, match="Only supports 'NCHW' and 'NHWC' layout"):
        nn.Conv2D(2, 3, layout='NWC')
    with pytest.raises(AssertionError, match="Only supports 'NCW' layout"):
        nn.Conv1D(2, 3, layout='NWC')
    with pytest.raises(AssertionError, match='Only NCW and NWC layouts are valid for 1D'):
        nn.AvgPool1D(layout='NCHW')
    with pytest.raises(ValueError, match='no less than 0'):
        nn.LeakyReLU(-1)


def test_dtype_of_layers():
    dense = nn.Dense(2, dtype='float64', in_units=3)
    dense.initialize()
    assert dense(nd.ones((1, 3), dtype='float64')).dtype == np.float64
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize()
    bn.cast('float16')                      # statistics stay float32
    assert bn.running_var.data().dtype == np.float32
    emb = nn.Embedding(4, 2, dtype='float64')
    emb.initialize()
    assert emb(nd.array([1, 2])).dtype == np.float64


# ---------------------------------------------------------------------- the book's models
class MLP(nn.Block):
    """The book's first custom block."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.hidden = nn.Dense(256, activation='relu')
            self.output = nn.Dense(10)

    def forward(self, x):
        return self.output(self.hidden(x))


def test_custom_block_with_name_scope_and_prefix():
    with NameManager():
        net = MLP()
        other = MLP(prefix='another_mlp_')
    assert net.name == 'mlp0' and net.hidden.name == 'mlp0_dense0'
    assert list(net.collect_params()) == ['mlp0_dense0_weight', 'mlp0_dense0_bias',
                                          'mlp0_dense1_weight', 'mlp0_dense1_bias']
    assert list(other.collect_params())[0] == 'another_mlp_dense0_weight'
    net.initialize()
    x = randn(2, 20)
    y = net(nd.array(x)).asnumpy()
    w1, b1 = net.hidden.weight.data().asnumpy(), net.hidden.bias.data().asnumpy()
    w2, b2 = net.output.weight.data().asnumpy(), net.output.bias.data().asnumpy()
    assert_almost_equal(y, np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, rtol=1e-4, atol=1e-6)
    assert repr(net) == ('MLP(\n  (hidden): Dense(20 -> 256, Activation(relu))\n'
                         '  (output): Dense(256 -> 10, linear)\n)')


def test_custom_initializer_sees_weights_only():
    seen = []

    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            seen.append((name, data.shape))
            data[:] = nd.random.uniform(low=-10, high=10, shape=data.shape)
            data *= data.abs() >= 5

    with NameManager():
        net = nn.Sequential()
        net.add(nn.Dense(8, activation='relu'), nn.Dense(2))
    net.initialize(MyInit())
    assert seen == []                                  # deferred until the first batch
    net(nd.ones((3, 4)))
    assert seen == [('dense0_weight', (8, 4)), ('dense1_weight', (2, 8))]
    w = net[0].weight.data().asnumpy()
    assert ((np.abs(w) >= 5) | (w == 0)).all()
    assert (net[0].bias.data().asnumpy() == 0).all()
    net.initialize(init.Constant(1), force_reinit=True)
    assert (net[1].weight.data().asnumpy() == 1).all()


def test_shared_parameters_receive_summed_gradients():
    shared = nn.Dense(4, activation='relu')
    net = nn.Sequential()
    net.add(nn.Dense(4, activation='relu'), shared,
            nn.Dense(4, activation='relu', params=shared.params), nn.Dense(2))
    net.initialize()
    x = nd.array(randn(3, 5))
    net(x)
    assert net[2].weight is net[1].weight and net[2].bias is net[1].bias
    assert len(net.collect_params()) == 6
    with autograd.record():
        y = net(x).sum()
    y.backward()
    # the same weight used twice: its gradient is the sum of both uses' gradients
    w, b = net[1].weight.data(), net[1].bias.data()
    h = net[0](x)
    w1, w2 = w.copy(), w.copy()
    w1.attach_grad()
    w2.attach_grad()
    with autograd.record():
        h1 = nd.relu(nd.dot(h, w1, transpose_b=True) + b)
        h2 = nd.relu(nd.dot(h1, w2, transpose_b=True) + b)
        z = net[3](h2).sum()
    z.backward()
    assert_almost_equal(net[1].weight.grad(), (w1.grad + w2.grad).asnumpy(), rtol=1e-4,
                        atol=1e-6)


class CenteredLayer(nn.Block):
    def forward(self, x):
        return x - x.mean()


def test_centered_layer_without_parameters():
    layer = CenteredLayer()
    assert_almost_equal(layer(nd.array([1, 2, 3, 4, 5])), np.array([-2, -1, 0, 1, 2]))
    net = nn.Sequential()
    net.add(nn.Dense(16), CenteredLayer())
    net.initialize()
    data = nd.array(randn(4, 8))
    y = net(data)
    # zero up to float32 rounding: the two means of n terms and the subtraction are
    # each off by at most about (n / 2) * eps * mean|x|, x the centred layer's input
    x = net[0](data).asnumpy()
    bound = 2 * x.size * np.finfo(np.float32).eps * np.abs(x).mean()
    assert abs(y.mean().asscalar()) <= bound
    assert len(layer.collect_params()) == 0


class FancyMLP(nn.Block):
    """Constant parameters and Python control flow."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rand_weight = self.params.get_constant(
            'rand_weight', nd.random.uniform(shape=(20, 20)))
        self.dense = nn.Dense(20, activation='relu')

    def forward(self, x):
        x = self.dense(x)
        x = nd.relu(nd.dot(x, self.rand_weight.data()) + 1)
        x = self.dense(x)          # the same layer again: its parameters are shared
        while x.norm().asscalar() > 1:
            x /= 2
        if x.norm().asscalar() < 0.8:
            x *= 10
        return x.sum()


def test_fancy_mlp_constant_parameter_and_control_flow():
    # fixed values, whose norms (1.18, then 0.59) stay far from the thresholds of the
    # control flow: rounding cannot send the two computations down different branches
    mx.random.seed(2)
    net = FancyMLP()
    net.initialize()
    x = nd.array(np.random.RandomState(2).uniform(size=(2, 20)))
    const = net.rand_weight
    assert const.grad_req == 'null' and const.name.endswith('rand_weight')
    before = const.data().asnumpy().copy()
    with autograd.record():
        y = net(x)
    y.backward()
    assert (const.data().asnumpy() == before).all()
    # the same computation by hand
    w, b = net.dense.weight.data().asnumpy(), net.dense.bias.data().asnumpy()
    h = np.maximum(x.asnumpy() @ w.T + b, 0)
    h = np.maximum(h @ before + 1, 0)
    h = np.maximum(h @ w.T + b, 0)
    while np.linalg.norm(h) > 1:
        h /= 2
    if np.linalg.norm(h) < 0.8:
        h *= 10
    assert_almost_equal(y, np.array([h.sum()]), rtol=1e-4)
    assert np.abs(net.dense.weight.grad().asnumpy()).sum() > 0


class NestMLP(nn.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.net = nn.Sequential()
        self.net.add(nn.Dense(64, activation='relu'), nn.Dense(32, activation='relu'))
        self.dense = nn.Dense(16, activation='relu')

    def forward(self, x):
        return self.dense(self.net(x))


def test_nested_sequentials():
    chimera = nn.Sequential()
    chimera.add(NestMLP(), nn.Dense(20), FancyMLP())
    chimera.initialize()
    x = nd.array(RNG.uniform(size=(2, 20)))
    assert chimera(x).shape == (1,)
    inner = chimera[0].net
    assert [p.shape for p in inner.collect_params().values()] == [(64, 20), (64,), (32, 64),
                                                                  (32,)]
    assert len(chimera.collect_params()) == 6 + 2 + 3
    assert len(chimera[0:2]) == 2 and chimera[0:2][1] is chimera[1]


class MyDense(nn.Block):
    def __init__(self, units, in_units, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get('weight', shape=(in_units, units))
        self.bias = self.params.get('bias', shape=(units,))

    def forward(self, x):
        return nd.relu(nd.dot(x, self.weight.data()) + self.bias.data())


def test_custom_dense_with_its_own_parameters():
    with NameManager():
        dense = MyDense(units=3, in_units=5)
    assert [(k, v.shape) for k, v in dense.params.items()] == [('mydense0_weight', (5, 3)),
                                                               ('mydense0_bias', (3,))]
    dense.initialize()
    x = randn(2, 5)
    w, b = dense.weight.data().asnumpy(), dense.bias.data().asnumpy()
    assert_almost_equal(dense(nd.array(x)), np.maximum(x @ w + b, 0))
    net = nn.Sequential()
    net.add(MyDense(8, in_units=64), MyDense(1, in_units=8))
    net.initialize()
    assert net(nd.ones((2, 64))).shape == (2, 1)


class Residual1D(nn.HybridBlock):
    """conv-BN-relu-conv-BN plus a shortcut (a 1x1 convolution when the channels
    or the stride change)."""

    def __init__(self, channels, use_1x1conv=False, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = nn.Conv1D(channels, 3, padding=1, strides=strides)
        self.conv2 = nn.Conv1D(channels, 3, padding=1)
        self.conv3 = nn.Conv1D(channels, 1, strides=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm()
        self.bn2 = nn.BatchNorm()

    def hybrid_forward(self, F, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3:
            x = self.conv3(x)
        return F.relu(y + x)


def test_residual_conv1d_block():
    mx.random.seed(1)  # fixed values: the bounds below hold with a wide margin for them
    blk = Residual1D(6, use_1x1conv=True, strides=2)
    blk.initialize()
    x = nd.array(np.random.RandomState(1).randn(4, 3, 10).astype(np.float32))
    with autograd.record():
        y = blk(x)
        loss = (y * y).sum()
    loss.backward()
    assert y.shape == (4, 6, 5)
    assert blk.conv3.weight.shape == (6, 3, 1) and blk.bn2.gamma.shape == (6,)
    # conv1 and conv2 feed BatchNorm, which cancels their biases: those gradients are
    # zero in exact arithmetic (rounding leaves 0 or a residue, depending on the BLAS)
    cancelled = {blk.conv1.bias.name, blk.conv2.bias.name}
    grads = {p.name: p.grad().asnumpy() for p in blk.collect_params().values()
             if p.grad_req != 'null'}
    scale = max(np.abs(g).max() for g in grads.values())
    for name, g in grads.items():
        if name in cancelled:
            assert np.abs(g).max() <= 1e-4 * scale, name  # float32 residue at most
        else:
            assert np.abs(g).max() > 1e-3 * scale, name
    plain = Residual1D(3)
    plain.initialize()
    assert plain(x).shape == (4, 3, 10)
    net = nn.HybridSequential()
    net.add(Residual1D(3), Residual1D(6, True, 2), nn.GlobalAvgPool1D(), nn.Dense(2))
    net.initialize()
    y = net(x)
    assert y.shape == (4, 2)
    net.hybridize()                     # the same computation, run as a graph
    assert_almost_equal(net(x), y.asnumpy())


def test_lenet_shapes_and_training_step():
    net = nn.Sequential()
    net.add(nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='sigmoid'),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=5, activation='sigmoid'),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation='sigmoid'),
            nn.Dense(84, activation='sigmoid'),
            nn.Dense(10))
    net.initialize(init.Xavier())
    x = nd.array(RNG.uniform(size=(2, 1, 28, 28)))
    shapes = []
    out = x
    for layer in net:
        out = layer(out)
        shapes.append(out.shape)
    assert shapes == [(2, 6, 28, 28), (2, 6, 14, 14), (2, 16, 10, 10), (2, 16, 5, 5),
                      (2, 120), (2, 84), (2, 10)]
    assert net[4].weight.shape == (120, 400)
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    before = net[0].weight.data().asnumpy()
    for p in net.collect_params().values():
        p.data()[:] = p.data() - 0.1 * p.grad()
    assert not np.allclose(before, net[0].weight.data().asnumpy())


def test_blocks_in_a_list_warn():
    class Hidden(nn.Block):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Dense(2), nn.Dense(3)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    with pytest.warns(UserWarning, match=r'"Hidden.layers".*register_child\(\).*Sequential'):
        params = Hidden().collect_params()
    assert len(params) == 0        # the hidden blocks' parameters are left out

    class Registered(Hidden):
        def __init__(self):
            super().__init__()
            for i, layer in enumerate(self.layers):
                self.register_child(layer, str(i))

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(Registered().collect_params()) == 4


@pytest.mark.gpu
def test_layers_on_a_gpu_match_the_cpu():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation('relu'),
            nn.MaxPool2D(), nn.Conv2DTranspose(2, 2, strides=2), nn.GlobalAvgPool2D(),
            nn.Dense(3))
    ctxs = [mx.cpu(), mx.gpu(0)]
    net.initialize(ctx=ctxs)
    x = randn(2, 3, 8, 8)
    outs = []
    for ctx in ctxs:
        with autograd.record():
            y = net(nd.array(x, ctx=ctx))
        y.backward()
        outs.append(y.asnumpy())
    assert_almost_equal(outs[1], outs[0], rtol=1e-4, atol=1e-5)
    for p in net.collect_params().values():
        copies = [d.asnumpy() for d in (p.list_grad() if p.grad_req != 'null'
                                        else p.list_data())]
        assert_almost_equal(copies[1], copies[0], rtol=1e-3, atol=1e-5, names=(p.name, 'cpu'))
