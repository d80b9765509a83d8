"""Output layers through the executor, against MXNet 1.9.1's values: the forward
output, and a backward that ignores the head gradient (7 everywhere here) and gives
the gradient of the loss each layer stands for."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import nd
from d2lmini.base import MXNetError

X = np.array([[0.5, -1., 2.], [1., 0., -2.]])
L = np.array([[1., 0., 1.], [0.5, 0., 0.]])


def _run(sym, args):
    grads = {k: nd.ones(v.shape) * 9 for k, v in args.items()}  # overwritten ('write')
    exe = sym.bind(mx.cpu(), {k: nd.array(v) for k, v in args.items()}, args_grad=grads)
    out = exe.forward(is_train=True)[0]
    exe.backward(nd.ones(out.shape) * 7)
    return out.asnumpy(), {k: g.asnumpy() for k, g in grads.items()}


SIGMOID = [[0.62245935, 0.26894143, 0.88079703], [0.7310586, 0.5, 0.11920292]]
# MXNet 1.9.1, grad_scale=1
EXPECTED = {
    'LinearRegressionOutput': (X, [[-1 / 6, -1 / 3, 1 / 3], [1 / 6, 0., -2 / 3]]),
    'LogisticRegressionOutput': (SIGMOID, [[-0.12584689, 0.08964714, -0.03973433],
                                           [0.07701954, 0.16666667, 0.03973431]]),
    'MAERegressionOutput': (X, [[-1 / 3, -1 / 3, 1 / 3], [1 / 3, -1 / 3, -1 / 3]]),
}


@pytest.mark.parametrize('name', sorted(EXPECTED))
@pytest.mark.parametrize('grad_scale', [1.0, 2.0])
def test_regression_outputs_match_mxnet(name, grad_scale):
    sym = getattr(mx.sym, name)(mx.sym.var('x'), mx.sym.var('l'), grad_scale=grad_scale,
                                name='r')
    out, grads = _run(sym, {'x': X, 'l': L})
    want_out, want_grad = EXPECTED[name]
    np.testing.assert_allclose(out, want_out, rtol=1e-5)
    np.testing.assert_allclose(grads['x'], np.array(want_grad) * grad_scale, rtol=1e-5)
    np.testing.assert_array_equal(grads['l'], np.zeros_like(L))   # MXNet writes zeros


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_regression_label_shapes(name):
    fn = getattr(mx.sym, name)
    r = fn(mx.sym.var('x'), name='r')
    assert r.list_arguments() == ['x', 'r_label']
    assert r.infer_shape(x=(2, 3)) == ([(2, 3), (2, 3)], [(2, 3)], [])
    r = fn(mx.sym.var('x'), mx.sym.var('l'), name='r')
    assert r.infer_shape(x=(2, 1), l=(2,)) == ([(2, 1), (2,)], [(2, 1)], [])
    with pytest.raises(MXNetError, match=r"'r'.*\[3,2\].*\[2,3\]"):
        r.infer_shape(x=(2, 3), l=(3, 2))


def test_regression_with_a_label_per_example():
    sym = mx.sym.LinearRegressionOutput(mx.sym.var('x'), mx.sym.var('l'), name='r')
    _, grads = _run(sym, {'x': X[:, :1], 'l': L[:, 0]})
    np.testing.assert_allclose(grads['x'], [[-0.5], [0.5]])        # MXNet 1.9.1


@pytest.mark.parametrize('kwargs,want', [
    ({}, 1.0), ({'grad_scale': 3.0}, 3.0), ({'normalization': 'batch'}, 0.5),
    ({'normalization': 'valid', 'valid_thresh': 0.6}, 0.5),   # two elements above 0.6
    ({'normalization': 'valid', 'valid_thresh': 5}, 1.0),     # none: divides by 1
])
def test_make_loss_matches_mxnet(kwargs, want):
    out, grads = _run(mx.sym.MakeLoss(mx.sym.var('x'), **kwargs), {'x': X})
    np.testing.assert_array_equal(out, X.astype(np.float32))
    np.testing.assert_allclose(grads['x'], np.full(X.shape, want))


def test_make_loss_names_and_bad_normalization():
    with mx.name.NameManager():
        assert mx.sym.MakeLoss(mx.sym.var('x')).list_outputs() == ['makeloss0_output']
    with pytest.raises(MXNetError, match='normalization'):
        nd.MakeLoss(nd.ones(2), normalization='sometimes')


def test_block_grad_stops_the_gradient():
    _, grads = _run(mx.sym.BlockGrad(mx.sym.var('x')) * 2, {'x': X})
    np.testing.assert_array_equal(grads['x'], np.zeros_like(X))


# SoftmaxOutput's options through the executor, MXNet 1.9.1 with logits XS and labels
# [2, 1, 0]
XS = [[1, 2, 3], [0, 1, 0], [3, 1, 2.]]
SOFTMAX_GRAD_NULL = np.array([[0.18006115, 0.48945695, -0.6695181],
                              [0.42388314, -0.84776616, 0.42388314],
                              [-0.66951823, 0.18006113, 0.48945692]]) / 2


@pytest.mark.parametrize('kwargs,want', [
    (dict(grad_scale=2.0), SOFTMAX_GRAD_NULL * 2),
    (dict(normalization='batch'), SOFTMAX_GRAD_NULL / 3),
    (dict(normalization='valid', use_ignore=True, ignore_label=1),
     SOFTMAX_GRAD_NULL * [[1], [0], [1]] / 2),
    # without use_ignore, 'valid' still counts the labels that differ from ignore_label
    (dict(grad_scale=0.5, normalization='valid', ignore_label=1), SOFTMAX_GRAD_NULL / 4),
])
def test_softmax_output_options_match_mxnet(kwargs, want):
    sym = mx.sym.SoftmaxOutput(mx.sym.var('x'), name='sm', **kwargs)
    assert sym.list_arguments() == ['x', 'sm_label']
    _, grads = _run(sym, {'x': np.array(XS), 'sm_label': np.array([2., 1., 0.])})
    np.testing.assert_allclose(grads['x'], want, rtol=1e-5, atol=1e-7)
