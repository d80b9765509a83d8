"""Semantics of the neural-network layer operators: activations, dropout,
normalisation, SoftmaxOutput, Embedding and UpSampling.

Gradients of every operator are also checked numerically by test_registry_walk.py;
here the expected values are worked out by hand (or from textbook formulas), and
MXNet's conventions (defaults, training versus prediction, running statistics,
error cases) are pinned down.
"""
import math

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.ops import registry
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

nd = mx.nd


def _grad(fn, *arrays, head=None, train_mode=True):
    """Run ``fn`` on fresh NDArrays under record(), backward with ``head`` (ones
    by default); returns the output and the inputs' gradients as numpy arrays."""
    xs = [nd.array(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record(train_mode=train_mode):
        y = fn(*xs)
    y.backward(None if head is None else nd.array(head))
    return y.asnumpy(), [x.grad.asnumpy() for x in xs]


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


# ------------------------------------------------------------------ Activation
X5 = [-2.0, -0.5, 0.0, 0.5, 3.0]
ACTIVATIONS = {
    'relu': (lambda v: max(v, 0.0), lambda v: 1.0 if v > 0 else 0.0),
    'sigmoid': (_sigmoid, lambda v: _sigmoid(v) * (1 - _sigmoid(v))),
    'tanh': (math.tanh, lambda v: 1 - math.tanh(v) ** 2),
    'softrelu': (lambda v: math.log1p(math.exp(v)), _sigmoid),
    'softsign': (lambda v: v / (1 + abs(v)), lambda v: 1 / (1 + abs(v)) ** 2),
}


@pytest.mark.parametrize('act_type', sorted(ACTIVATIONS))
def test_activation_values_and_gradients(act_type):
    f, df = ACTIVATIONS[act_type]
    y, (g,) = _grad(lambda x: nd.Activation(x, act_type=act_type), X5)
    assert_almost_equal(y, np.array([f(v) for v in X5], np.float32))
    assert_almost_equal(g, np.array([df(v) for v in X5], np.float32))   # relu'(0) = 0
    assert y.dtype == np.float32


@pytest.mark.parametrize('act_type', ['relu', 'sigmoid', 'tanh', 'softsign'])
def test_activation_is_the_elementwise_operator(act_type):
    x = nd.array(np.linspace(-3, 3, 13))
    assert (nd.Activation(x, act_type=act_type) == getattr(nd, act_type)(x)).min() == 1


def test_softrelu_does_not_overflow():
    with np.errstate(over='raise', invalid='raise'):
        y = nd.Activation(nd.array([-100.0, 100.0, 1000.0]), act_type='softrelu')
    assert_almost_equal(y, np.array([math.exp(-100.0), 100.0, 1000.0], np.float32))


@pytest.mark.parametrize('dtype', ['float16', 'float64'])
def test_activation_keeps_dtype(dtype):
    x = nd.array([-1, 0.5], dtype=dtype)
    for act_type in ACTIVATIONS:
        assert nd.Activation(x, act_type=act_type).dtype == np.dtype(dtype)
    for act_type in ('leaky', 'elu', 'selu', 'gelu'):
        assert nd.LeakyReLU(x, act_type=act_type).dtype == np.dtype(dtype)


def test_activation_errors():
    x = nd.ones((2,))
    with pytest.raises(mx.MXNetError, match=r"Activation.*act_type='swish'.*'relu'"):
        nd.Activation(x, act_type='swish')
    with pytest.raises(mx.MXNetError, match='Activation: required attribute act_type'):
        nd.Activation(x)


# ------------------------------------------------------------------ LeakyReLU
SELU_ALPHA, SELU_LAMBDA = 1.6732632423543772, 1.0507009873554805


def _gelu(v):
    return 0.5 * v * (1 + math.erf(v / math.sqrt(2)))


def _gelu_grad(v):     # Phi(v) + v * phi(v)
    return (0.5 * (1 + math.erf(v / math.sqrt(2)))
            + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi))


LEAKY = {   # act_type: (value, derivative) for slope 0.3
    'leaky': (lambda v: v if v > 0 else 0.3 * v, lambda v: 1.0 if v > 0 else 0.3),
    'elu': (lambda v: v if v > 0 else 0.3 * math.expm1(v),
            lambda v: 1.0 if v > 0 else 0.3 * math.exp(v)),
    'selu': (lambda v: SELU_LAMBDA * (v if v > 0 else SELU_ALPHA * math.expm1(v)),
             lambda v: SELU_LAMBDA * (1.0 if v > 0 else SELU_ALPHA * math.exp(v))),
    'gelu': (_gelu, _gelu_grad),
}


@pytest.mark.parametrize('act_type', sorted(LEAKY))
def test_leaky_relu_family(act_type):
    f, df = LEAKY[act_type]
    y, (g,) = _grad(lambda x: nd.LeakyReLU(x, act_type=act_type, slope=0.3), X5)
    assert_almost_equal(y, np.array([f(v) for v in X5], np.float32))
    assert_almost_equal(g, np.array([df(v) for v in X5], np.float32))


def test_leaky_relu_default_slope():
    assert_almost_equal(nd.LeakyReLU(nd.array([-4.0, 2.0])), np.array([-1.0, 2.0], np.float32))


def test_prelu_learns_one_slope_per_channel():
    x = np.arange(-12, 12, dtype=np.float64).reshape(2, 3, 2, 2)
    gamma = np.array([0.1, 0.2, 0.3])
    y, (gx, ggamma) = _grad(lambda d, g: nd.LeakyReLU(d, g, act_type='prelu'), x, gamma,
                            head=np.full(x.shape, 2.0))
    expected = np.where(x > 0, x, x * gamma.reshape(1, 3, 1, 1))
    assert_almost_equal(y, expected.astype(np.float32))
    assert_almost_equal(gx, 2 * np.where(x > 0, 1.0, np.broadcast_to(gamma.reshape(1, 3, 1, 1),
                                                                       x.shape)))
    # d/dgamma_c = sum of 2 * x over the non-positive x of channel c; in the first example
    # channel 0 holds -12..-9, channel 1 -8..-5, channel 2 -4..-1; the second is >= 0
    assert_almost_equal(ggamma, np.array([-84.0, -52.0, -20.0], np.float32))


def test_prelu_shared_slope_and_errors():
    x = nd.array([[-2.0, 4.0], [-1.0, 1.0]])
    assert_almost_equal(nd.LeakyReLU(x, nd.array([0.5]), act_type='prelu'),
                        np.array([[-1.0, 4.0], [-0.5, 1.0]], np.float32))
    with pytest.raises(mx.MXNetError, match=r'LeakyReLU.*gamma of shape \[3\].*2 channels'):
        nd.LeakyReLU(x, nd.ones(3), act_type='prelu')
    with pytest.raises(mx.MXNetError, match='prelu.*needs the gamma input'):
        nd.LeakyReLU(x, act_type='prelu')


def test_leaky_relu_errors():
    x = nd.array([1.0, -1.0])
    with pytest.raises(mx.MXNetError, match='rrelu.*not supported'):
        nd.LeakyReLU(x, act_type='rrelu')
    with pytest.raises(mx.MXNetError, match="LeakyReLU.*act_type='tanh'"):
        nd.LeakyReLU(x, act_type='tanh')
    with pytest.raises(mx.MXNetError, match='LeakyReLU.*floating-point'):
        nd.LeakyReLU(nd.array([1, -1], dtype='int32'))


# ------------------------------------------------------------------ erf
def test_erf_float32_within_one_unit_in_the_last_place():
    x = np.concatenate([np.linspace(-5, 5, 2001), [1e-30, -1e-8, 20.0, -np.inf, np.inf]])
    x = x.astype(np.float32)
    got = nd.erf(nd.array(x)).asnumpy()
    want = np.array([math.erf(v) for v in x.astype(np.float64)], np.float32)
    ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
    assert got.dtype == np.float32 and ulps.max() <= 1
    assert np.abs(got).max() <= 1.0


def test_erf_float64_is_accurate():
    x = np.concatenate([np.linspace(-7, 7, 4001), [2.5, -2.5, 1e-300, 30.0]])
    got = nd.erf(nd.array(x, dtype='float64')).asnumpy()
    want = np.array([math.erf(v) for v in x])
    assert got.dtype == np.float64
    assert np.abs(got - want).max() < 1e-14


def test_erf_gradient():
    x = [-1.5, 0.0, 0.7]
    _, (g,) = _grad(nd.erf, x)
    assert_almost_equal(g, np.array([2 / math.sqrt(math.pi) * math.exp(-v * v) for v in x],
                                    np.float32))


# ------------------------------------------------------------------ Dropout
def test_dropout_is_identity_outside_training():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    y = nd.Dropout(x, p=0.9)
    assert_almost_equal(y, x)
    y[:] = 0                          # the result is a copy, not the input itself
    assert x.asnumpy().min() == 1.0


def test_dropout_in_training_zeros_and_rescales():
    mx.random.seed(1)
    x = nd.ones((100, 100))
    with mx.autograd.train_mode():
        y = nd.Dropout(x, p=0.25).asnumpy()
    values = set(np.unique(y))
    assert values == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.03       # 10000 draws with a fixed seed


def test_dropout_same_seed_same_mask():
    x = nd.ones((20,))
    masks = []
    for _ in range(2):
        mx.random.seed(7)
        with mx.autograd.train_mode():
            masks.append(nd.Dropout(x).asnumpy())
    assert (masks[0] == masks[1]).all() and 0 < (masks[0] == 0).sum() < 20


def test_dropout_gradient_uses_the_same_mask():
    x = np.full((4, 6), 3.0)
    head = np.arange(24.0).reshape(4, 6)
    y, (g,) = _grad(lambda a: nd.Dropout(a, p=0.5), x, head=head)
    mask = y / 3.0                     # 0 or 2 for each element
    assert set(np.unique(mask)) <= {0.0, 2.0}
    assert_almost_equal(g, (head * mask).astype(np.float32))


def test_dropout_gradient_outside_training_is_the_head_gradient():
    head = np.arange(6.0).reshape(2, 3)
    y, (g,) = _grad(lambda a: nd.Dropout(a), np.ones((2, 3)), head=head, train_mode=False)
    assert_almost_equal(y, np.ones((2, 3), np.float32))
    assert_almost_equal(g, head.astype(np.float32))


def test_dropout_axes_share_the_mask():
    with mx.autograd.train_mode():
        y = nd.Dropout(nd.ones((5, 8)), p=0.5, axes=(0,)).asnumpy()
        z = nd.Dropout(nd.ones((2, 3, 40)), p=0.5, axes=(1, 2)).asnumpy()
    assert (y == y[:1]).all()                          # every column is all 0 or all 2
    assert ((z == 0).all(axis=(1, 2)) | (z == 2).all(axis=(1, 2))).all()


def test_dropout_modes_and_extremes():
    x = nd.ones((50,))
    assert (nd.Dropout(x, mode='always') == 0).sum().asscalar() > 0   # even when predicting
    with mx.autograd.train_mode():
        assert_almost_equal(nd.Dropout(x, p=0.0), x)
        assert nd.Dropout(x, p=1.0).asnumpy().max() == 0.0
    assert nd.Dropout(nd.ones((3,), dtype='float64')).dtype == np.float64


def test_dropout_errors():
    x = nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match=r'Dropout: p=1.5.*\[0, 1\]'):
        nd.Dropout(x, p=1.5)
    with pytest.raises(mx.MXNetError, match="Dropout: mode='sometimes'"):
        nd.Dropout(x, mode='sometimes')
    with pytest.raises(mx.MXNetError, match='Dropout: axis 2 is out of range'):
        with mx.autograd.train_mode():
            nd.Dropout(x, axes=(2,))


# ------------------------------------------------------------------ BatchNorm
def _bn_arrays():
    # two examples, two channels: batch means [2, 4], biased variances [1, 4]
    return (nd.array([[1.0, 2.0], [3.0, 6.0]]), nd.array([2.0, 3.0]), nd.array([0.5, -1.0]),
            nd.array([0.0, 1.0]), nd.array([1.0, 3.0]))


def test_batch_norm_training_uses_batch_statistics():
    x, gamma, beta, mm, mv = _bn_arrays()
    with mx.autograd.train_mode():
        y = nd.BatchNorm(x, gamma, beta, mm, mv, eps=0.0, fix_gamma=False)
        y_fixed = nd.BatchNorm(x, gamma, beta, mm, mv, eps=0.0)   # fix_gamma=True by default
    # (x - mean) / std is [[-1, -1], [1, 1]]; then gamma * . + beta
    assert_almost_equal(y, np.array([[-1.5, -4.0], [2.5, 2.0]], np.float32))
    assert_almost_equal(y_fixed, np.array([[-0.5, -2.0], [1.5, 0.0]], np.float32))
    # forward alone leaves the running statistics alone (MXNet updates them in backward)
    assert_almost_equal(mm, np.array([0.0, 1.0], np.float32))
    assert_almost_equal(mv, np.array([1.0, 3.0], np.float32))


def test_batch_norm_backward_updates_running_statistics():
    x, gamma, beta, mm, mv = _bn_arrays()
    x.attach_grad()
    with mx.autograd.record():
        y = nd.BatchNorm(x, gamma, beta, mm, mv, momentum=0.8, fix_gamma=False)
    assert_almost_equal(mm, np.array([0.0, 1.0], np.float32))
    y.backward()
    # moving = 0.8 * moving + 0.2 * batch statistic (the biased variance)
    assert_almost_equal(mm, np.array([0.8 * 0 + 0.2 * 2, 0.8 * 1 + 0.2 * 4], np.float32))
    assert_almost_equal(mv, np.array([0.8 * 1 + 0.2 * 1, 0.8 * 3 + 0.2 * 4], np.float32))


def test_batch_norm_prediction_uses_running_statistics():
    x, gamma, beta, mm, mv = _bn_arrays()
    y = nd.BatchNorm(x, gamma, beta, mm, mv, eps=1e-3, fix_gamma=False)
    std = np.sqrt(np.array([1.0, 3.0]) + 1e-3)
    expected = (np.array([[1.0, 2.0], [3.0, 6.0]]) - [0.0, 1.0]) / std * [2.0, 3.0] + [0.5, -1.0]
    assert_almost_equal(y, expected.astype(np.float32))
    with mx.autograd.train_mode():   # use_global_stats: running statistics even in training
        z = nd.BatchNorm(x, gamma, beta, mm, mv, eps=1e-3, fix_gamma=False,
                         use_global_stats=True)
    assert_almost_equal(z, y)


def test_batch_norm_gradients():
    x = np.array([[1.0, 2.0], [3.0, 6.0], [2.0, 7.0]])
    head = np.array([[1.0, 0.5], [2.0, -1.0], [0.0, 3.0]])
    gamma, beta, mm, mv = [2.0, 3.0], [0.5, -1.0], [0.0, 1.0], [1.0, 3.0]
    arrays = [x, gamma, beta]

    def bn(train, **kw):
        m, v = nd.array(mm), nd.array(mv)
        return _grad(lambda a, g, b: nd.BatchNorm(a, g, b, m, v, eps=0.0, **kw), *arrays,
                     head=head, train_mode=train)[1]
    # training: dbeta = sum(dy), dgamma = sum(dy * xhat); a constant head gives dx = 0
    gx, gg, gb = bn(True, fix_gamma=False)
    xhat = (x - x.mean(0)) / x.std(0)
    assert_almost_equal(gb, head.sum(0).astype(np.float32))
    assert_almost_equal(gg, (head * xhat).sum(0).astype(np.float32))
    m = x.shape[0]
    dx = gamma / x.std(0) * (head - head.mean(0) - xhat * (head * xhat).sum(0) / m)
    assert_almost_equal(gx, dx.astype(np.float32), atol=1e-5)
    assert bn(True)[1].max() == 0.0                 # fix_gamma: gamma gets no gradient
    # prediction: the normalisation is an affine map with constant statistics
    gx, gg, gb = bn(False, fix_gamma=False)
    assert_almost_equal(gx, (head * np.array(gamma) / np.sqrt(mv)).astype(np.float32))
    assert_almost_equal(gg, (head * (x - mm) / np.sqrt(mv)).sum(0).astype(np.float32))


def test_batch_norm_hidden_outputs_are_mean_and_inverse_std():
    op = registry.get('BatchNorm')
    x, gamma, beta, mm, mv = (a.asnumpy() for a in _bn_arrays())
    # the training flag is an argument of the operator: the global mode does not reach it
    with mx.autograd.train_mode():
        _, mean, invstd, _ = op.forward(np, x, gamma, beta, mm, mv, eps=0.0)
    assert_almost_equal(mean, mm)
    _, mean, invstd, _ = op.forward(np, x, gamma, beta, mm, mv, eps=0.0, is_train=True)
    assert_almost_equal(mean, np.array([2.0, 4.0], np.float32))
    assert_almost_equal(invstd, np.array([1.0, 0.5], np.float32))
    _, mean, invstd, _ = op.forward(np, x, gamma, beta, mm, mv, eps=0.0)
    assert_almost_equal(mean, mm)
    assert_almost_equal(invstd, 1 / np.sqrt(mv))


def test_batch_norm_channel_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3, 5))
    args = [nd.ones(5), nd.zeros(5), nd.zeros(5), nd.ones(5)]
    with mx.autograd.train_mode():
        last = nd.BatchNorm(nd.array(x), *args, axis=-1).asnumpy()
        moved = nd.BatchNorm(nd.array(x.transpose(0, 2, 1)), *args).asnumpy()
    assert_almost_equal(last, moved.transpose(0, 2, 1), atol=1e-5)
    assert_almost_equal(last.mean(axis=(0, 1)), np.zeros(5, np.float32), atol=1e-5)


def test_batch_norm_half_precision_data():
    x = nd.array([[1.0, 2.0], [3.0, 6.0]], dtype='float16')
    _, gamma, beta, mm, mv = _bn_arrays()
    with mx.autograd.train_mode():
        y = nd.BatchNorm(x, gamma, beta, mm, mv, eps=0.0)
    assert y.dtype == np.float16
    assert_almost_equal(y.astype('float32'), np.array([[-0.5, -2.0], [1.5, 0.0]], np.float32))


def test_batch_norm_errors():
    x, gamma, beta, mm, mv = _bn_arrays()
    with pytest.raises(mx.MXNetError, match=r'BatchNorm: gamma has shape \[3\].*\[2,2\]'):
        nd.BatchNorm(x, nd.ones(3), beta, mm, mv)
    with pytest.raises(mx.MXNetError, match='BatchNorm: axis 2 is out of range'):
        nd.BatchNorm(x, gamma, beta, mm, mv, axis=2)


# ------------------------------------------------------------------ LayerNorm, InstanceNorm
def test_layer_norm_normalises_each_example():
    x = nd.array([[1.0, 3.0], [0.0, 10.0]])
    y = nd.LayerNorm(x, nd.array([2.0, 1.0]), nd.array([0.0, 5.0]), eps=0.0)
    assert_almost_equal(y, np.array([[-2.0, 6.0], [-2.0, 6.0]], np.float32))
    # along axis 0 (each column normalised separately)
    z = nd.LayerNorm(x, nd.ones(2), nd.zeros(2), axis=0, eps=0.0)
    assert_almost_equal(z, np.array([[1.0, -1.0], [-1.0, 1.0]], np.float32))


def test_layer_norm_hidden_outputs_and_gradient():
    x = np.array([[1.0, 3.0, 8.0], [0.0, 10.0, -2.0]], np.float32)
    out, mean, std = registry.get('LayerNorm').forward(np, x, np.ones(3), np.zeros(3))
    assert mean.shape == std.shape == (2, 1)
    assert_almost_equal(mean, np.array([[4.0], [8 / 3]], np.float32))
    assert_almost_equal(std, np.sqrt(x.var(axis=1, keepdims=True) + 1e-5))
    # the output does not change when a constant is added to an example,
    # so the gradient of any head sums to zero along the normalised axis
    _, (g, _, gbeta) = _grad(lambda a, b, c: nd.LayerNorm(a, b, c), x, [1.0, 2.0, 3.0],
                             [0.0, 0.0, 0.0], head=[[1.0, -2.0, 0.5], [3.0, 1.0, 1.0]])
    assert_almost_equal(g.sum(axis=1), np.zeros(2, np.float32), atol=1e-5)
    assert_almost_equal(gbeta, np.array([4.0, -1.0, 1.5], np.float32))


def test_instance_norm_normalises_each_channel_of_each_example():
    x = nd.array([[[1.0, 3.0], [5.0, 9.0]], [[0.0, 4.0], [2.0, 2.5]]])
    y = nd.InstanceNorm(x, nd.array([1.0, 2.0]), nd.array([0.0, 7.0]), eps=0.0)
    assert_almost_equal(y, np.array([[[-1, 1], [5, 9]], [[-1, 1], [5, 9]]], np.float32))


def test_norm_errors():
    with pytest.raises(mx.MXNetError, match=r'LayerNorm: gamma has shape \[3\]'):
        nd.LayerNorm(nd.ones((2, 4)), nd.ones(3), nd.zeros(4))
    with pytest.raises(mx.MXNetError, match='InstanceNorm: data must have at least 3'):
        nd.InstanceNorm(nd.ones((2, 3)), nd.ones(3), nd.zeros(3))
    with pytest.raises(mx.MXNetError, match=r'InstanceNorm: beta has shape \[2\]'):
        nd.InstanceNorm(nd.ones((2, 3, 4)), nd.ones(3), nd.zeros(2))


# ------------------------------------------------------------------ SoftmaxOutput
LOGITS = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])


def _softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _so_grad(data, label, head=None, **kw):
    x = nd.array(data)
    x.attach_grad()
    with mx.autograd.record():
        y = nd.SoftmaxOutput(x, nd.array(label), **kw)
    y.backward(None if head is None else nd.array(head))
    return y.asnumpy(), x.grad.asnumpy()


def test_softmax_output_gradient_is_cross_entropy_gradient():
    p = _softmax(LOGITS)
    onehot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    y, g = _so_grad(LOGITS, [2, 0])
    assert_almost_equal(y, p.astype(np.float32))
    assert_almost_equal(g, (p - onehot).astype(np.float32))
    # the gradient arriving from above is ignored ...
    _, g5 = _so_grad(LOGITS, [2, 0], head=np.full((2, 3), 5.0))
    assert_almost_equal(g5, g)
    # ... and scaled by grad_scale
    _, g3 = _so_grad(LOGITS, [2, 0], grad_scale=3.0)
    assert_almost_equal(g3, 3 * g)


def test_softmax_output_label_gets_no_gradient():
    x, label = nd.array(LOGITS), nd.array([2, 0])
    x.attach_grad()
    label.attach_grad()
    with mx.autograd.record():
        y = nd.SoftmaxOutput(x, label)
    y.backward()
    assert label.grad.asnumpy().max() == 0.0 and label.grad.asnumpy().min() == 0.0


def test_softmax_output_ignore_and_normalization():
    data = np.zeros((4, 2))                    # p = 0.5 everywhere
    label = [0, -1, 1, -1]
    _, g = _so_grad(data, label, use_ignore=True)
    assert_almost_equal(g, np.array([[-0.5, 0.5], [0, 0], [0.5, -0.5], [0, 0]], np.float32))
    _, gv = _so_grad(data, label, use_ignore=True, normalization='valid')
    assert_almost_equal(gv, g / 2)             # two labels are valid
    _, gb = _so_grad(data, label, use_ignore=True, normalization='batch')
    assert_almost_equal(gb, g / 4)             # four examples


def test_softmax_output_label_smoothing():
    # 3 classes, alpha 0.3: target 0.7 at the label and 0.15 at the two others
    _, g = _so_grad(np.zeros((1, 3)), [1], smooth_alpha=0.3)
    assert_almost_equal(g, np.array([[1 / 3 - 0.15, 1 / 3 - 0.7, 1 / 3 - 0.15]], np.float32))


def test_softmax_output_multi_output_and_preserve_shape():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(2, 3, 4))             # 3 classes at 4 positions
    label = rng.integers(0, 3, size=(2, 4)).astype(np.float64)
    y, g = _so_grad(data, label, multi_output=True)
    p = _softmax(data.transpose(0, 2, 1)).transpose(0, 2, 1)
    onehot = (label[:, None, :] == np.arange(3)[None, :, None])
    assert_almost_equal(y, p.astype(np.float32))
    # as MXNet: without normalisation the gradient is divided by the number of positions
    assert_almost_equal(g, ((p - onehot) / 4).astype(np.float32), atol=1e-6)
    y, g = _so_grad(data, label[:, :3], preserve_shape=True)   # softmax over the last axis
    onehot = (label[:, :3, None] == np.arange(4))
    assert_almost_equal(y, _softmax(data).astype(np.float32))
    assert_almost_equal(g, (_softmax(data) - onehot).astype(np.float32), atol=1e-6)


def test_softmax_output_errors():
    with pytest.raises(mx.MXNetError, match=r'SoftmaxOutput: label of shape \[3\].*\[2\]'):
        nd.SoftmaxOutput(nd.array(LOGITS), nd.array([0, 1, 2]))
    with pytest.raises(mx.MXNetError, match='SoftmaxOutput: label 3 is out of range for 3 '
                                            'classes'):
        _so_grad(LOGITS, [3, 0])
    with pytest.raises(mx.MXNetError, match='SoftmaxOutput: label -1 is out of range'):
        _so_grad(LOGITS, [-1, 0])           # -1 is only skipped with use_ignore
    with pytest.raises(mx.MXNetError, match="normalization='mean'"):
        nd.SoftmaxOutput(nd.array(LOGITS), nd.array([0, 1]), normalization='mean')


# ------------------------------------------------------------------ Embedding
WEIGHT = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 4.0], [3.0, 9.0]])


def test_embedding_looks_up_rows():
    y = nd.Embedding(nd.array([[3, 0], [2.7, 1]]), nd.array(WEIGHT), input_dim=4, output_dim=2)
    assert y.shape == (2, 2, 2)
    # 2.7 is truncated to row 2, as in MXNet
    assert_almost_equal(y, WEIGHT[[[3, 0], [2, 1]]].astype(np.float32))
    w64 = nd.array(WEIGHT, dtype='float64')
    assert nd.Embedding(nd.array([1]), w64, 4, 2).dtype == np.float64


def test_embedding_gradient_adds_repeated_rows():
    head = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    _, (g,) = _grad(lambda w: nd.Embedding(nd.array([2, 0, 2]), w, input_dim=4, output_dim=2),
                    WEIGHT, head=head)
    assert_almost_equal(g, np.array([[10, 20], [0, 0], [101, 202], [0, 0]], np.float32))


def test_embedding_errors():
    w = nd.array(WEIGHT)
    with pytest.raises(mx.MXNetError, match=r'Embedding: index 4 is out of range for '
                                            r'input_dim=4'):
        nd.Embedding(nd.array([1, 4]), w, input_dim=4, output_dim=2)
    with pytest.raises(mx.MXNetError, match='Embedding: index -1 is out of range'):
        nd.Embedding(nd.array([-1]), w, input_dim=4, output_dim=2)
    with pytest.raises(mx.MXNetError, match=r'Embedding: weight has shape \[4,2\].*\[5,2\]'):
        nd.Embedding(nd.array([1]), w, input_dim=5, output_dim=2)
    with pytest.raises(mx.MXNetError, match='Embedding: required attribute input_dim'):
        nd.Embedding(nd.array([1]), w)


# ------------------------------------------------------------------ UpSampling
def test_upsampling_repeats_pixels():
    x = nd.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = nd.UpSampling(x, scale=2, sample_type='nearest')
    assert_almost_equal(y, np.array([[[[1, 1, 2, 2], [1, 1, 2, 2],
                                       [3, 3, 4, 4], [3, 3, 4, 4]]]], np.float32))
    assert nd.UpSampling(nd.ones((2, 3, 2, 5)), scale=3, sample_type='nearest').shape == \
        (2, 3, 6, 15)


def test_upsampling_gradient_sums_each_block():
    head = np.arange(16.0).reshape(1, 1, 4, 4)
    _, (g,) = _grad(lambda a: nd.UpSampling(a, scale=2, sample_type='nearest'),
                    np.ones((1, 1, 2, 2)), head=head)
    assert_almost_equal(g, np.array([[[[0 + 1 + 4 + 5, 2 + 3 + 6 + 7],
                                       [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]]], np.float32))


def test_upsampling_several_inputs():
    small = np.array([[[[1.0, 2.0]]]])                  # 1x2, enlarged by 2
    big = np.arange(8.0).reshape(1, 1, 2, 4)           # already 2x4: factor 1
    y = nd.UpSampling(nd.array(small), nd.array(big), scale=2, sample_type='nearest',
                      num_args=2)
    enlarged = np.array([[[[1, 1, 2, 2], [1, 1, 2, 2]]]])
    assert_almost_equal(y, np.concatenate([enlarged, big], axis=1).astype(np.float32))
    s = nd.UpSampling(nd.array(small), nd.array(big), scale=2, sample_type='nearest',
                      multi_input_mode='sum')
    assert_almost_equal(s, (enlarged + big).astype(np.float32))
    head = np.ones((1, 2, 2, 4))
    _, (gs, gb) = _grad(lambda a, b: nd.UpSampling(a, b, scale=2, sample_type='nearest'),
                        small, big, head=head)
    assert_almost_equal(gs, np.full((1, 1, 1, 2), 4.0, np.float32))
    assert_almost_equal(gb, np.ones((1, 1, 2, 4), np.float32))


def test_upsampling_errors():
    x = nd.ones((1, 1, 2, 2))
    with pytest.raises(mx.MXNetError, match="UpSampling: sample_type='bilinear' is not "
                                            'supported'):
        nd.UpSampling(x, scale=2, sample_type='bilinear', num_filter=1)
    with pytest.raises(mx.MXNetError, match='scale and sample_type are required'):
        nd.UpSampling(x, scale=2)
    with pytest.raises(mx.MXNetError, match=r'UpSampling: input 0 must be 4-D.*\[2,2\]'):
        nd.UpSampling(nd.ones((2, 2)), scale=2, sample_type='nearest')
    with pytest.raises(mx.MXNetError, match='same number of channels'):
        nd.UpSampling(x, nd.ones((1, 2, 4, 4)), scale=2, sample_type='nearest',
                      multi_input_mode='sum')
    with pytest.raises(mx.MXNetError, match='input 1 of shape .* by a whole factor'):
        nd.UpSampling(x, nd.ones((1, 1, 3, 3)), scale=2, sample_type='nearest')
    with pytest.raises(mx.MXNetError, match='num_args=2 but 1 arrays'):
        nd.UpSampling(x, scale=2, sample_type='nearest', num_args=2)


def test_output_mean_var_shows_the_statistics():
    # values from MXNet 1.9.1: BatchNorm shows the batch mean and 1/sqrt(var + eps),
    # LayerNorm the per-example mean and standard deviation
    x = nd.array([[1, 2], [3, 5.]])
    g, b = nd.ones(2), nd.zeros(2)
    with mx.autograd.record():
        out, mean, invstd = nd.BatchNorm(x, g, b, nd.zeros(2), nd.ones(2),
                                         output_mean_var=True, fix_gamma=False)
    assert_almost_equal(mean, np.array([2., 3.5], np.float32))
    assert_almost_equal(invstd, np.array([0.9995004, 0.66651857], np.float32))
    assert_almost_equal(out, np.array([[-0.9995004, -0.99977785],
                                       [0.9995004, 0.99977785]], np.float32))
    out, mean, std = nd.LayerNorm(x, g, b, output_mean_var=True)
    assert_almost_equal(mean, np.array([[1.5], [4.]], np.float32))
    assert_almost_equal(std, np.array([[0.50001], [1.000005]], np.float32), rtol=1e-5)
    assert isinstance(nd.BatchNorm(x, g, b, nd.zeros(2), nd.ones(2)), nd.NDArray)


def test_fully_connected_takes_a_column_bias():
    # MXNet 1.x's operator accepts a (num_hidden, 1) bias; its gradient keeps that shape
    x = nd.array(np.arange(6.0).reshape(2, 3))
    w = nd.ones((4, 3))
    b = nd.array([[1.0], [2.0], [3.0], [4.0]])
    b.attach_grad()
    with mx.autograd.record():
        y = nd.FullyConnected(x, w, b, num_hidden=4)
    y.backward()
    assert y.asnumpy().tolist() == [[4, 5, 6, 7], [13, 14, 15, 16]]
    assert b.grad.shape == (4, 1) and b.grad.asnumpy().ravel().tolist() == [2] * 4
    with pytest.raises(mx.MXNetError, match='bias has shape'):
        nd.FullyConnected(x, w, nd.ones((4, 2)), num_hidden=4)
