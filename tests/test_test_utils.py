"""``mx.test_utils`` as MXNet 1.x test code calls it."""
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import test_utils as tu


def test_tolerances_follow_dtypes_as_mxnet():
    assert tu.get_rtol() == 1e-5 and tu.get_atol() == 1e-20
    assert tu.get_rtol(dtype=np.float32) == 1e-4 and tu.get_atol(dtype=np.float32) == 1e-3
    assert tu.get_rtol(0.5) == 0.5
    assert tu.get_tolerance(np.zeros(1, np.float16), None, tu.default_atols()) == 0.1
    assert tu.get_tolerance(np.zeros(1, np.int32), None, tu.default_atols()) == 0
    assert tu.get_tolerance(np.zeros(1), {np.dtype(np.float64): 7}, tu.default_atols()) == 7
    assert tu.default_dtype() is np.float32


def test_assert_almost_equal_broadcasts_and_names():
    tu.assert_almost_equal(np.ones((2, 3)), np.ones(3))
    tu.assert_almost_equal(mx.nd.array([1, 2]), np.array([1.0005, 2], np.float32))  # atol 1e-3
    with pytest.raises(AssertionError, match='EXP'):
        tu.assert_almost_equal(np.array([1.0]), np.array([1.1]), names=('EXP', 'GOT'))
    with pytest.raises(AssertionError, match='shapes'):
        tu.assert_almost_equal(np.ones(2), np.ones(3))
    with pytest.raises(AssertionError, match='shapes'):
        tu.assert_almost_equal(np.ones((2, 3)), np.ones(3), use_broadcast=False)
    nan = np.array([np.nan, 1.0])
    tu.assert_almost_equal(nan, nan, equal_nan=True)
    assert not tu.almost_equal(nan, nan)
    assert tu.almost_equal(np.array([1.0]), np.array([1.0 + 1e-9]))
    assert tu.same(mx.nd.array([1, 2]), np.array([1, 2], np.float32))
    assert not tu.same(np.array([1, 2]), np.array([1, 3]))


def test_contexts():
    assert tu.default_context() == mx.cpu(0)
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1)
        assert mx.nd.zeros(1).context == mx.cpu(1)
    finally:
        tu.set_default_context(mx.cpu(0))


def test_random_helpers():
    np.random.seed(0)
    x = tu.rand_ndarray((3, 4))
    assert x.shape == (3, 4) and x.dtype == np.float32
    assert tu.rand_ndarray((2,), dtype='float64').dtype == np.float64
    assert tu.rand_ndarray((2,), 'default', None, 'float16').dtype == np.float16
    r = tu.rand_ndarray((6, 2), stype='row_sparse', density=1.0)
    assert r.stype == 'row_sparse' and r.indices.asnumpy().tolist() == list(range(6))
    c, (data, indices, indptr) = tu.rand_sparse_ndarray((5, 4), 'csr', density=0.5)
    assert c.stype == 'csr' and indptr[-1] == len(data) == len(indices)
    np.testing.assert_array_equal(c.asnumpy()[c.asnumpy() != 0], data)
    assert tu.rand_ndarray((3, 3), 'csr', density=0.0).indptr.asnumpy().tolist() == [0] * 4
    with pytest.raises(ValueError, match='density'):
        tu.rand_ndarray((2, 2), stype='row_sparse', density=1.5)
    a = tu.random_arrays((2, 3))
    assert a.shape == (2, 3) and a.dtype == np.float32
    assert [b.shape for b in tu.random_arrays((1,), (2, 2))] == [(1,), (2, 2)]
    for _ in range(20):
        s2, s3, sn = tu.rand_shape_2d(3, 4), tu.rand_shape_3d(), tu.rand_shape_nd(5, dim=2)
        assert len(s2) == 2 and 1 <= s2[0] <= 3 and 1 <= s2[1] <= 4
        assert len(s3) == 3 and min(s3) >= 1 and max(s3) <= 10
        assert len(sn) == 5 and min(sn) >= 1 and max(sn) <= 2
    assert min(min(tu.rand_shape_nd(4, dim=1, allow_zero_size=True)) for _ in range(30)) == 0


def test_assert_exception_and_environment():
    tu.assert_exception(int, ValueError, 'x')
    tu.assert_exception(mx.nd.array([1]).reshape, mx.MXNetError, (5,))
    with pytest.raises(AssertionError):
        tu.assert_exception(int, ValueError, '3')
    os.environ.pop('D2LMINI_TU_A', None)
    os.environ['D2LMINI_TU_B'] = 'old'
    try:
        with pytest.raises(RuntimeError):
            with tu.environment({'D2LMINI_TU_A': '1', 'D2LMINI_TU_B': None}):
                assert os.environ['D2LMINI_TU_A'] == '1'
                assert 'D2LMINI_TU_B' not in os.environ
                raise RuntimeError('restored even so')
        assert 'D2LMINI_TU_A' not in os.environ and os.environ['D2LMINI_TU_B'] == 'old'
        with tu.environment('D2LMINI_TU_B', 'new'):
            assert os.environ['D2LMINI_TU_B'] == 'new'
        assert os.environ['D2LMINI_TU_B'] == 'old'
    finally:
        os.environ.pop('D2LMINI_TU_B', None)


# in the style of MXNet's tests/python/unittest/test_operator.py
def test_check_symbolic_forward_and_backward():
    x = mx.sym.var('x')
    a = np.array([[-1.0, 2.0], [3.0, -4.0]], np.float32)
    tu.check_symbolic_forward(mx.sym.relu(x), [a], [np.maximum(a, 0)])
    y = mx.sym.relu(x, name='y')
    tu.check_symbolic_forward(y, {'x': a}, {'y_output': np.maximum(a, 0)})
    og = np.ones_like(a)
    grads = tu.check_symbolic_backward(mx.sym.relu(x), [a], [og], [(a > 0).astype(np.float32)])
    assert set(grads) == {'x'}
    tu.check_symbolic_backward(mx.sym.relu(x), [a], [og], {'x': (a > 0) * 1.0}, grad_req='add')
    lhs, rhs = mx.sym.var('lhs'), mx.sym.var('rhs')
    b = np.array([[2.0, 3.0], [1.0, 5.0]], np.float32)
    tu.check_symbolic_backward(lhs * rhs, [a, b], [og], [b, a])
    with pytest.raises(AssertionError, match='FORWARD'):
        tu.check_symbolic_forward(mx.sym.relu(x), [a], [a])
    with pytest.raises(ValueError):
        tu.check_symbolic_forward(lhs * rhs, [a], [a])


def test_check_numeric_gradient_on_symbols_and_callables():
    x, w = mx.sym.var('x'), mx.sym.var('w')
    rs = np.random.RandomState(0)
    net = mx.sym.tanh(mx.sym.FullyConnected(x, w, num_hidden=3, no_bias=True))
    loc = [rs.normal(size=(2, 4)), rs.normal(size=(3, 4))]
    tu.check_numeric_gradient(net, loc, dtype=np.float64)
    tu.check_numeric_gradient(net, {'x': loc[0], 'w': loc[1]}, grad_nodes=['w'],
                              numeric_eps=1e-3, rtol=1e-2, atol=1e-3)   # float32
    tu.check_numeric_gradient(lambda a: mx.nd.tanh(a) * a, [rs.normal(size=(3,))])
    # a wrong gradient is caught: BlockGrad hides the dependence from backward
    with pytest.raises(AssertionError, match='NUMERICAL_x'):
        tu.check_numeric_gradient(mx.sym.BlockGrad(x) * x, [rs.normal(size=(3,))],
                                  dtype=np.float64)


def test_check_consistency_on_cpu_contexts():
    x = mx.sym.var('data')
    net = mx.sym.sigmoid(mx.sym.FullyConnected(x, num_hidden=4, name='fc'))
    ctx_list = [{'ctx': mx.cpu(0), 'data': (2, 3), 'type_dict': {'data': np.float64}},
                {'ctx': mx.cpu(0), 'data': (2, 3), 'type_dict': {'data': np.float32}}]
    gt = tu.check_consistency(net, ctx_list)
    assert set(gt) >= {'data', 'fc_weight', 'fc_bias'}
    assert gt['data'].dtype == np.float64


def test_list_gpus_and_exports():
    assert list(tu.list_gpus()) == list(range(mx.num_gpus()))
    for name in tu.__all__:
        assert hasattr(mx.test_utils, name)


def test_the_project_s_own_comparison_is_strict():
    """MXNet's assert_almost_equal broadcasts and allows atol=1e-3 for float32; the
    comparison this project's tests use refuses both."""
    from strict import assert_almost_equal as strict
    mx.test_utils.assert_almost_equal(np.ones((2, 3), np.float32), np.ones(3, np.float32))
    with pytest.raises(AssertionError, match='shape'):
        strict(np.ones((2, 3), np.float32), np.ones(3, np.float32))
    mx.test_utils.assert_almost_equal(np.float32([0.0005]), np.float32([0.0]))
    with pytest.raises(AssertionError):
        strict(np.float32([0.0005]), np.float32([0.0]))
