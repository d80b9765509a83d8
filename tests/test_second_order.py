"""Gradients of gradients through the layers whose backward is one fused internal
operator (pooling, the normalisations, upsampling, prelu, SoftmaxOutput), checked
against the same layers written with elementary operators; and the errors for
operators that cannot be differentiated (again).

test_registry_walk.py checks every operator's second derivative against central
differences; these tests pin down the layers one by one, with exact values where
they are easy to see."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.base import MXNetError
from d2lmini.ndarray.ndarray import invoke
from d2lmini.ops import OPS, register
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)


def _cube_sum(y):
    return (y * y * y).sum()


def _second(f, arrays, loss=_cube_sum, train=True, order=2):
    """The gradient with respect to ``arrays`` of ``sum_i <d loss(f(x)) / dx_i, v_i>``
    for fixed random ``v`` (a Hessian-vector product); ``order=3`` differentiates
    that once more in the same way."""
    rng = np.random.default_rng(5)
    xs = [nd.array(a, dtype='float64') for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record(train_mode=train):
        value = loss(f(*xs))
        for _ in range(order - 1):
            gs = autograd.grad(value, xs, create_graph=True, train_mode=train)
            value = sum((g * nd.array(rng.normal(size=g.shape), dtype='float64')).sum()
                        for g in gs)
    return [g.asnumpy() for g in autograd.grad(value, xs, train_mode=train)]


def _assert_same(fused, reference, rtol=1e-7, atol=1e-9):
    for a, b in zip(fused, reference):
        assert np.abs(b).max() > 1e-3, 'the reference second derivative is trivially zero'
        assert_almost_equal(a, b, rtol=rtol, atol=atol, names=('fused', 'elementary'))


# ------------------------------------------------------------------ pooling
def test_max_pooling_second_derivative_exact():
    """y = max(x) = 4; d/dx sum(y^2) = 2y at the maximum; the sum of that gradient
    is 2 max(x), whose gradient is 2 at the maximum."""
    x = nd.array([[[[1, 2], [3, 4]]]])
    x.attach_grad()
    with autograd.record():
        y = nd.Pooling(x, kernel=(2, 2), pool_type='max')
        g = autograd.grad((y * y).sum(), [x], create_graph=True)[0]
        s = g.sum()
    s.backward()
    assert g.asnumpy().ravel().tolist() == [0, 0, 0, 8]
    assert x.grad.asnumpy().ravel().tolist() == [0, 0, 0, 2]


def _windows(x):
    """(N, C, 4, 4) as (N, C, 2, 2, 2, 2): the 2x2 windows of a stride-2 pooling."""
    return x.reshape((2, 3, 2, 2, 2, 2)).transpose((0, 1, 2, 4, 3, 5)).reshape((2, 3, 2, 2, 4))


@pytest.mark.parametrize('pool_type,reference', [
    ('max', lambda x: _windows(x).max(axis=-1)),
    ('avg', lambda x: _windows(x).mean(axis=-1)),
    ('sum', lambda x: _windows(x).sum(axis=-1)),
    ('lp', lambda x: nd.sqrt((_windows(x) ** 2).sum(axis=-1))),
])
def test_pooling_second_derivative(pool_type, reference):
    x = np.random.default_rng(0).permutation(96).reshape(2, 3, 4, 4) * 0.01 + 0.2
    attrs = dict(kernel=(2, 2), stride=(2, 2), pool_type=pool_type)
    if pool_type == 'lp':
        attrs['p_value'] = 2
    _assert_same(_second(lambda d: nd.Pooling(d, **attrs), [x]), _second(reference, [x]))


def test_global_pooling_second_derivative():
    x = np.random.default_rng(1).normal(size=(2, 3, 3, 3))
    fused = _second(lambda d: nd.Pooling(d, global_pool=True, pool_type='avg'), [x])
    _assert_same(fused, _second(lambda d: d.mean(axis=(2, 3), keepdims=True), [x]))


# ------------------------------------------------------------------ normalisation
def _standardise(x, axes, eps):
    centered = x - x.mean(axis=axes, keepdims=True)
    return centered / nd.sqrt((centered * centered).mean(axis=axes, keepdims=True) + eps)


def _bn_arrays(rng):
    return [rng.normal(0.5, 2.0, size=(4, 3, 2, 2)), rng.uniform(0.5, 1.5, size=3),
            rng.normal(size=3)]


@pytest.mark.parametrize('order', [2, 3])
def test_batch_norm_training_second_and_third_derivative(order):
    arrays = _bn_arrays(np.random.default_rng(2))
    moving = [nd.zeros(3, dtype='float64'), nd.ones(3, dtype='float64')]

    def fused(x, gamma, beta):
        return nd.BatchNorm(x, gamma, beta, *moving, fix_gamma=False, eps=1e-3)

    def elementary(x, gamma, beta):
        return (_standardise(x, (0, 2, 3), 1e-3) * gamma.reshape((1, 3, 1, 1))
                + beta.reshape((1, 3, 1, 1)))
    _assert_same(_second(fused, arrays, order=order),
                 _second(elementary, arrays, order=order), rtol=1e-6)


def test_batch_norm_fix_gamma_second_derivative():
    arrays = _bn_arrays(np.random.default_rng(3))[:1]
    gamma, beta = nd.array([2.0, 3.0, 4.0], dtype='float64'), nd.zeros(3, dtype='float64')
    moving = [nd.zeros(3, dtype='float64'), nd.ones(3, dtype='float64')]
    fused = _second(lambda x: nd.BatchNorm(x, gamma, beta, *moving, eps=1e-3), arrays)
    _assert_same(fused, _second(lambda x: _standardise(x, (0, 2, 3), 1e-3), arrays))


def test_batch_norm_running_statistics_second_derivative():
    rng = np.random.default_rng(4)
    arrays = _bn_arrays(rng)
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    moving = [nd.array(mean, dtype='float64'), nd.array(var, dtype='float64')]

    def fused(x, gamma, beta):
        return nd.BatchNorm(x, gamma, beta, *moving, fix_gamma=False, eps=1e-3)

    def elementary(x, gamma, beta):
        shape = (1, 3, 1, 1)
        scale = gamma / nd.array(np.sqrt(var + 1e-3), dtype='float64')
        return ((x - nd.array(mean, dtype='float64').reshape(shape)) * scale.reshape(shape)
                + beta.reshape(shape))
    _assert_same(_second(fused, arrays, train=False), _second(elementary, arrays, train=False))


def test_layer_norm_second_derivative():
    rng = np.random.default_rng(5)
    arrays = [rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 1.5, size=4), rng.normal(size=4)]
    _assert_same(_second(lambda x, g, b: nd.LayerNorm(x, g, b, eps=1e-5), arrays),
                 _second(lambda x, g, b: _standardise(x, -1, 1e-5) * g + b, arrays),
                 rtol=1e-6)


def test_instance_norm_second_derivative():
    rng = np.random.default_rng(6)
    arrays = [rng.normal(size=(2, 3, 2, 3)), rng.uniform(0.5, 1.5, size=3), rng.normal(size=3)]

    def elementary(x, gamma, beta):
        shape = (1, 3, 1, 1)
        return (_standardise(x, (2, 3), 1e-3) * gamma.reshape(shape) + beta.reshape(shape))
    _assert_same(_second(lambda x, g, b: nd.InstanceNorm(x, g, b, eps=1e-3), arrays),
                 _second(elementary, arrays), rtol=1e-6)


# ------------------------------------------------------------------ upsampling
def test_upsampling_second_derivative():
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=(2, 2, 2, 3)), rng.normal(size=(2, 1, 4, 6))]

    def fused(a, b):
        return nd.UpSampling(a, b, scale=2, sample_type='nearest', num_args=2)

    def elementary(a, b):
        return nd.concat(nd.repeat(nd.repeat(a, 2, axis=2), 2, axis=3), b, dim=1)
    _assert_same(_second(fused, arrays), _second(elementary, arrays))


# ------------------------------------------------------------------ LeakyReLU
def _away_from_zero(rng, shape):
    return rng.uniform(0.1, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def test_prelu_second_derivative_for_data_and_slopes():
    rng = np.random.default_rng(8)
    arrays = [_away_from_zero(rng, (2, 3, 4)), rng.uniform(0.1, 0.9, size=3)]

    def elementary(x, gamma):
        return nd.where(x > 0, x, x * gamma.reshape((1, 3, 1)))
    _assert_same(_second(lambda x, g: nd.LeakyReLU(x, g, act_type='prelu'), arrays),
                 _second(elementary, arrays))


_LAMBDA, _ALPHA = 1.0507009873554805, 1.6732632423543772


@pytest.mark.parametrize('act_type,reference', [
    ('leaky', lambda x: nd.where(x > 0, x, 0.3 * x)),
    ('elu', lambda x: nd.where(x > 0, x, 0.3 * (nd.exp(x) - 1))),
    ('selu', lambda x: _LAMBDA * nd.where(x > 0, x, _ALPHA * (nd.exp(x) - 1))),
    ('gelu', lambda x: 0.5 * x * (1 + nd.erf(x / np.sqrt(2)))),
])
def test_leaky_relu_second_derivative(act_type, reference):
    x = _away_from_zero(np.random.default_rng(9), (3, 4))
    _assert_same(_second(lambda d: nd.LeakyReLU(d, act_type=act_type, slope=0.3), [x]),
                 _second(reference, [x]))


# ------------------------------------------------------------------ SoftmaxOutput
def test_softmax_output_second_derivative_goes_through_softmax():
    """SoftmaxOutput's gradient is ``softmax(x) - onehot(label)`` whatever comes from
    above, so its derivative is that of the softmax."""
    rng = np.random.default_rng(10)
    x = rng.normal(size=(3, 4))
    label = nd.array([0, 3, 1], dtype='float64')
    v = rng.normal(size=(3, 4))

    def hvp(f):
        d = nd.array(x, dtype='float64')
        d.attach_grad()
        with autograd.record():
            g = autograd.grad(f(d), [d], create_graph=True)[0]
            s = (g * nd.array(v, dtype='float64')).sum()
        return autograd.grad(s, [d])[0].asnumpy()
    fused = hvp(lambda d: nd.SoftmaxOutput(d, label))
    elementary = hvp(lambda d: -nd.log(nd.pick(nd.softmax(d), label)).sum())
    _assert_same([fused], [elementary])


# ------------------------------------------------------------------ declarations
@pytest.fixture
def demo_ops():
    """A doubling operator whose gradient operator cannot be differentiated, and an
    operator that declares nothing about its gradient."""
    register('_demo_grad_once', lambda xp, dy: dy * 2, once_differentiable=True)
    register('_demo_twice', lambda xp, data: data * 2,
             backward=lambda F, dy, x, y: [invoke(OPS['_demo_grad_once'], (dy,))])
    register('_demo_undeclared', lambda xp, data: data * 3)
    yield lambda name, x: invoke(OPS[name], (x,))
    for name in ('_demo_grad_once', '_demo_twice', '_demo_undeclared'):
        OPS.pop(name)


def test_once_differentiable_operator_raises_when_differentiated_again(demo_ops):
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = demo_ops('_demo_twice', x) * x
        g = autograd.grad(y.sum(), [x], create_graph=True)[0]
        s = g.sum()
    assert g.asnumpy().tolist() == [4.0, 8.0]            # first order works
    with pytest.raises(MXNetError, match='_demo_grad_once supports only first-order'):
        s.backward()


def test_once_differentiable_backward_raises_when_differentiated_again():
    """A backward that is computed but not recorded (here numpy, not nd operators)."""
    register('_demo_numpy_backward', lambda xp, data: data * data,
             backward=lambda F, dy, x, y: [nd.array(2 * dy.asnumpy() * x[0].asnumpy())],
             once_differentiable=True)
    try:
        x = nd.array([1.0, 2.0])
        x.attach_grad()
        with autograd.record():
            y = invoke(OPS['_demo_numpy_backward'], (x,)).sum()
            g = autograd.grad(y, [x], create_graph=True)[0]
            s = (g * x).sum()
        assert g.asnumpy().tolist() == [2.0, 4.0]
        with pytest.raises(MXNetError, match='_demo_numpy_backward supports only first-order'):
            s.backward()
    finally:
        OPS.pop('_demo_numpy_backward')


def test_custom_function_is_first_order_only():
    """autograd.Function's backward runs unrecorded: its gradient cannot be
    differentiated, and saying so beats a silent zero."""
    class Square(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return 2 * x * dy
    x = nd.array([1.0, 3.0])
    x.attach_grad()
    with autograd.record():
        g = autograd.grad(Square()(x).sum(), [x], create_graph=True)[0]
        s = g.sum()
    assert g.asnumpy().tolist() == [2.0, 6.0]
    with pytest.raises(MXNetError, match='Square supports only first-order'):
        s.backward()


def test_operator_without_declared_gradient_raises(demo_ops):
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = demo_ops('_demo_undeclared', x)
    with pytest.raises(MXNetError, match='_demo_undeclared is not differentiable'):
        y.backward()


def test_operator_without_gradient_is_no_error_where_its_gradient_is_not_needed(demo_ops):
    x, w = nd.array([1.0, 2.0]), nd.array([3.0, 4.0])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = (demo_ops('_demo_undeclared', x) * w).sum()
    assert autograd.grad(y, [w], retain_graph=True)[0].asnumpy().tolist() == [3.0, 6.0]
    with pytest.raises(MXNetError, match='_demo_undeclared is not differentiable'):
        autograd.grad(y, [x, w])


def test_zero_gradient_operators_send_nothing_back():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (nd.BlockGrad(x) * x + nd.argsort(x)).sum()
    y.backward()
    assert x.grad.asnumpy().tolist() == [1.0, 2.0]


def test_register_rejects_contradicting_gradient_declarations():
    with pytest.raises(TypeError, match='has a backward'):
        register('_demo_bad', lambda xp, data: data, backward=lambda F, dy, x, y: [dy],
                 no_grad=True)
    with pytest.raises(TypeError, match='both'):
        register('_demo_bad', lambda xp, data: data, no_grad=True, once_differentiable=True)
    assert '_demo_bad' not in OPS


def test_shuffle_gradient_puts_rows_back():
    x = nd.arange(10).reshape((5, 2))
    x.attach_grad()
    mx.random.seed(0)
    with autograd.record():
        y = nd.random.shuffle(x)
        loss = (y * nd.arange(5).reshape((5, 1))).sum()
    loss.backward()
    order = y[:, 0].asnumpy() / 2          # the input row each output row came from
    expected = np.zeros(5)
    expected[order.astype(int)] = np.arange(5)
    assert x.grad.asnumpy().tolist() == np.stack([expected, expected], 1).tolist()
