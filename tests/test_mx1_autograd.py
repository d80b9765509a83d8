"""Autograd as MXNet 1.x programs use it: what ``from mxnet.autograd import *`` gives,
the names of ``autograd.get_symbol``, head gradients of ``grad(create_graph=True)``,
and higher-order gradients of the unary operators."""
import itertools
import json
import math

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.base import MXNetError


@pytest.fixture
def fresh_names(monkeypatch):
    """Number graph variables from 0, as in a new process (MXNet counts on through
    the process), and leave the process's count as it was."""
    monkeypatch.setattr(autograd, '_NAME_COUNT', itertools.count())


def _leaf(values):
    x = nd.array(values)
    x.attach_grad()
    return x


def _ops(symbol):
    return [(n['op'], n['name']) for n in json.loads(symbol.tojson())['nodes']]


# ---------------------------------------------------------------- the module's names
def test_star_import_gives_the_array_and_symbol_types():
    names = {}
    exec('from d2lmini.autograd import *', names)
    assert names['NDArray'] is nd.NDArray and names['Symbol'] is mx.sym.Symbol
    for name in ('record', 'pause', 'train_mode', 'predict_mode', 'mark_variables',
                 'backward', 'grad', 'get_symbol', 'Function', 'is_recording', 'is_training'):
        assert name in names


# ---------------------------------------------------------------- get_symbol's names
def test_a_leaf_keeps_its_name_across_symbols(fresh_names):
    x, y = _leaf([1., 2.]), _leaf([3., 4.])
    with autograd.record():
        z = nd.elemwise_mul(y, x)
        w = x * 2
    # first named in the order the first symbol meets them
    assert autograd.get_symbol(z).list_arguments() == ['var0', 'var1']
    assert autograd.get_symbol(w).list_arguments() == ['var1']
    assert autograd.get_symbol(x).list_outputs() == ['var1']
    assert autograd.get_symbol(y).list_outputs() == ['var0']
    assert autograd.get_symbol(y).list_arguments() == ['var0']


def test_a_leaf_attached_again_is_a_new_variable(fresh_names):
    x = _leaf([1., 2.])
    assert autograd.get_symbol(x).list_outputs() == ['var0']
    x.attach_grad()
    assert autograd.get_symbol(x).list_outputs() == ['var1']


def test_constant_inputs_are_null_variables_one_per_array(fresh_names):
    c = nd.ones(2)
    x = _leaf([1., 2.])
    with autograd.record():
        w = x * c
        v = nd.relu(w) + c
        u = x * nd.ones(2)
    # MXNet 1.9.1 in a new process gives these names for the same recording
    assert autograd.get_symbol(w).list_arguments() == ['var0', 'null1']
    assert [name for _, name in _ops(autograd.get_symbol(v))] == [
        'var0', 'null1', 'node_0', 'node_1', 'node_2']
    assert autograd.get_symbol(u).list_arguments() == ['var0', 'null2']


def test_get_symbol_of_an_array_outside_the_graph_raises():
    with pytest.raises(MXNetError, match='record'):
        autograd.get_symbol(nd.ones(2))


# ---------------------------------------------------------------- head gradients
def test_head_gradient_is_a_variable_of_the_recorded_gradient():
    x = _leaf([1., 2.])
    head = nd.array([1., 3.])
    with autograd.record():
        y = x + 1
        g = autograd.grad(y, [x], head_grads=head, create_graph=True, retain_graph=True)[0]
    assert autograd.get_symbol(g).list_arguments() == ['_head_grad_0']
    assert [op for op, _ in _ops(autograd.get_symbol(g))] == ['null', '_copy']
    np.testing.assert_array_equal(g.asnumpy(), [1., 3.])
    # the caller's array stays out of the graph, and writing it changes nothing recorded
    with pytest.raises(MXNetError):
        autograd.get_symbol(head)
    with autograd.record():
        head[:] = 0
    np.testing.assert_array_equal(g.asnumpy(), [1., 3.])


def test_default_head_gradient_is_a_variable_too():
    x = _leaf([1., 2.])
    with autograd.record():
        z = x * 2
        g = autograd.grad(z, [x], create_graph=True, retain_graph=True)[0]
    assert autograd.get_symbol(g).list_arguments() == ['_head_grad_0']
    np.testing.assert_array_equal(g.asnumpy(), [2., 2.])


def test_gradient_that_does_not_depend_on_x_has_zero_gradient():
    # radians: dy/dx = pi / 180 whatever x is, so its derivative is 0, not an error
    x = _leaf([10., 20.])
    with autograd.record():
        y = nd.radians(x)
        g = autograd.grad(y, [x], head_grads=nd.array([1., 2.]), create_graph=True,
                          retain_graph=True)[0]
        gg = autograd.grad(g, [x], head_grads=nd.ones((2,)), create_graph=True,
                           retain_graph=True)[0]
    np.testing.assert_allclose(g.asnumpy(), [math.pi / 180, math.pi / 90], rtol=1e-6)
    np.testing.assert_array_equal(gg.asnumpy(), [0., 0.])


def test_second_derivative_of_a_difference_is_zero():
    x, y = _leaf([1., 2.]), _leaf([5., 7.])
    with autograd.record():
        z = nd.elemwise_sub(x, y)
        dx, dy = autograd.grad(z, [x, y], head_grads=nd.array([2., 3.]), create_graph=True,
                               retain_graph=True)
        ddx = autograd.grad(dy, [x, y], create_graph=True, retain_graph=True)
    np.testing.assert_array_equal(dx.asnumpy(), [2., 3.])
    np.testing.assert_array_equal(dy.asnumpy(), [-2., -3.])
    for d in ddx:
        np.testing.assert_array_equal(d.asnumpy(), [0., 0.])


def test_backward_through_a_recorded_gradient_skips_the_head_gradient():
    x = _leaf([1., 2.])
    with autograd.record():
        z = x * x
        g = autograd.grad(z, [x], head_grads=nd.array([1., 3.]), create_graph=True,
                          retain_graph=True)[0]       # 2 x head
    g.backward()
    np.testing.assert_array_equal(g.asnumpy(), [2., 12.])
    np.testing.assert_array_equal(x.grad.asnumpy(), [2., 6.])


# ---------------------------------------------------------------- higher-order values
def _second_derivative(op, values):
    x = _leaf(values)
    with autograd.record():
        g = autograd.grad(op(x), [x], create_graph=True, retain_graph=True)[0]
    g.backward()
    return x.grad.asnumpy()


def test_arcsinh_and_arccosh_second_derivatives_are_the_true_ones():
    # d/dx 1 / sqrt(x^2 + 1) = -x / (x^2 + 1)^1.5 (MXNet 1.x has the opposite sign)
    np.testing.assert_allclose(_second_derivative(nd.arcsinh, [0.5, -1.]),
                               [-0.5 / 1.25 ** 1.5, 1 / 2 ** 1.5], rtol=1e-5)
    # d/dx 1 / sqrt(x^2 - 1) = -x / (x^2 - 1)^1.5
    np.testing.assert_allclose(_second_derivative(nd.arccosh, [2., 3.]),
                               [-2 / 3 ** 1.5, -3 / 8 ** 1.5], rtol=1e-5)


def test_selu_gradient_is_the_derivative():
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    x = _leaf([-0.3, -1., 0.5])
    with autograd.record():
        y = nd.LeakyReLU(x, act_type='selu')
    y.backward()
    # lambda alpha exp(x) below zero (MXNet 1.x gives lambda (y + alpha): 1.279 at -0.3)
    np.testing.assert_allclose(x.grad.asnumpy(),
                               [lam * alpha * math.exp(-0.3), lam * alpha * math.exp(-1.), lam],
                               rtol=1e-6)


def test_gamma_gradients_at_the_poles_are_infinite_as_in_mxnet():
    x = _leaf([0., -1., -2., 1.])
    with autograd.record():
        y = nd.gammaln(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [np.inf, np.inf, np.inf, -0.5772157],
                               rtol=1e-6)
    x = _leaf([0., -0., -1., 2.])
    with autograd.record():
        y = nd.gamma(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [np.inf, -np.inf, np.nan, 0.42278433],
                               rtol=1e-6)


def test_gamma_near_zero_and_at_minus_zero():
    # C's tgamma, as MXNet: gamma(-0) = -inf; gamma(x) ~ 1/x for tiny x of either sign
    out = nd.gamma(nd.array([-0., 0., -1e-30, 1e-30, -2.5])).asnumpy()
    np.testing.assert_allclose(out, [-np.inf, np.inf, -1e30, 1e30, -0.9453087], rtol=1e-6)
    np.testing.assert_allclose(nd.gammaln(nd.array([-1e-30, -2.5])).asnumpy(),
                               [69.07755, -0.05624372], rtol=1e-5)


def test_get_symbol_shows_a_function_as_custom_function(fresh_names):
    class Square(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return 2 * x * dy

    x = _leaf([1., 2.])
    with autograd.record():
        y = Square()(x) + 1
    s = autograd.get_symbol(y)
    assert _ops(s) == [('null', 'var0'), ('_CustomFunction', 'node_0'),
                       ('_plus_scalar', 'node_1')]
    assert s.list_outputs() == ['node_1_output']
    with pytest.raises(MXNetError, match='cannot be computed'):
        s.eval(var0=x)
    with autograd.record():
        g = autograd.grad(Square()(x), [x], create_graph=True, retain_graph=True)[0]
    assert ('_backward_CustomFunction', 'node_0') in _ops(autograd.get_symbol(g))
