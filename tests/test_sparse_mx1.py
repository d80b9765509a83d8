"""Sparse storage as MXNet 1.x's Python API behaves: which operators keep CSR or
row-sparse storage, how sparse arrays are made and checked, and the sparse helpers
of ``test_utils``. Expected values are worked out by hand (storage types as MXNet
1.9.1 gives them)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import test_utils as tu
from d2lmini.base import MXNetError
from d2lmini.ndarray import sparse

DENSE = [[0., 2., 0.], [0., 0., 0.], [4., 0., -1.]]


def csr():
    return mx.nd.array(DENSE).tostype('csr')


def rsp():
    return mx.nd.array(DENSE).tostype('row_sparse')


# ------------------------------------------------------------------ the arrays
def test_num_aux_counts_the_index_arrays():
    assert csr()._num_aux == 2 and rsp()._num_aux == 1


@pytest.mark.parametrize('make', [csr, rsp])
def test_comparisons_with_a_number_keep_the_storage_when_zero_stays_zero(make):
    y = make()
    expect = {'>': (y > 1, 'sparse', [[0, 1, 0], [0, 0, 0], [1, 0, 0]]),
              '<': (y < 0, 'sparse', [[0, 0, 0], [0, 0, 0], [0, 0, 1]]),
              '!=0': (y != 0, 'sparse', [[0, 1, 0], [0, 0, 0], [1, 0, 1]]),
              '!=2': (y != 2, 'default', [[1, 0, 1], [1, 1, 1], [1, 1, 1]]),
              '==': (y == 2, 'sparse', [[0, 1, 0], [0, 0, 0], [0, 0, 0]]),
              '>=': (y >= 0, 'default', [[1, 1, 1], [1, 1, 1], [1, 1, 0]]),
              '0==': (0 == y, 'default', [[1, 0, 1], [1, 1, 1], [0, 1, 0]]),
              '0<': (0 < y, 'sparse', [[0, 1, 0], [0, 0, 0], [1, 0, 0]])}
    for what, (z, stype, values) in expect.items():
        assert z.stype == (y.stype if stype == 'sparse' else 'default'), what
        assert z.asnumpy().tolist() == values, what
        assert z.dtype == np.float32, what


@pytest.mark.filterwarnings('ignore:divide by zero', 'ignore:invalid value')
@pytest.mark.parametrize('make', [csr, rsp])
def test_arithmetic_with_numbers_keeps_the_storage_only_when_zeros_stay(make):
    y = make()
    for z in (y + 0, y - 0, 0 + y, y * 3, 3 * y, y / 2, -y, abs(y)):
        assert z.stype == y.stype
    for z in (y + 1, 1 - y, 0 - y, y ** 2, 2 / y):
        assert z.stype == 'default'
    assert (y * 3).asnumpy().tolist() == [[0, 6, 0], [0, 0, 0], [12, 0, -3]]
    assert abs(y).asnumpy().tolist() == [[0, 2, 0], [0, 0, 0], [4, 0, 1]]
    assert (y + 1).asnumpy().tolist() == [[1, 3, 1], [1, 1, 1], [5, 1, 0]]


@pytest.mark.filterwarnings('ignore:divide by zero', 'ignore:invalid value')
@pytest.mark.parametrize('make', [csr, rsp])
def test_two_sparse_arrays_of_different_shapes_broadcast_densely(make):
    y = make()
    col = mx.nd.array([[1.], [0.], [2.]]).tostype(y.stype)
    total = y + col
    assert total.stype == 'default'
    assert total.asnumpy().tolist() == [[1, 3, 1], [0, 0, 0], [6, 2, 1]]
    assert (y == y).stype == 'default' and (y / y).stype == 'default'


@pytest.mark.filterwarnings('ignore:invalid value')
def test_sparse_times_dense_keeps_the_storage_of_the_sparse_one():
    dense = mx.nd.array([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])
    for y in (csr(), rsp()):
        z = y * dense
        assert z.stype == y.stype
        assert z.asnumpy().tolist() == [[0, 4, 0], [0, 0, 0], [28, 0, -9]]
        assert (dense * y).stype == 'default'           # as MXNet: dense on the left
        assert mx.nd.elemwise_mul(dense, y).stype == y.stype
    # a CSR matrix times a dense row or column stays CSR; row sparse does not
    row = mx.nd.array([[10., 100., 1000.]])
    assert (csr() * row).stype == 'csr'
    assert (csr() * row).asnumpy().tolist() == [[0, 200, 0], [0, 0, 0], [40, 0, -1000]]
    assert (rsp() * row).stype == 'default'
    # row sparse divided by dense is dense, with the dense NaN and inf of 0 / 0, 0 / 1
    quotient = rsp() / mx.nd.array([[1., 1., 1.], [0., 1., 1.], [1., 1., 1.]])
    assert quotient.stype == 'default' and np.isnan(quotient.asnumpy()[1, 0])
    half = csr() / mx.nd.array([[2.], [1.], [4.]])
    assert half.stype == 'csr' and half.asnumpy().tolist() == [[0, 1, 0], [0, 0, 0],
                                                                [1, 0, -0.25]]


def test_tostype_csr_of_a_vector_is_a_value_error():
    with pytest.raises(ValueError, match='2-D'):
        mx.nd.ones((3,)).tostype('csr')


# ------------------------------------------------------------------ making them
def test_csr_from_coo_sorts_and_sums_repeated_entries():
    a = sparse.csr_matrix(([5., 1., 2., 3.], ([1, 0, 1, 0], [2, 0, 2, 1])), shape=(2, 3),
                          dtype='float64')
    assert a.dtype == np.float64
    assert a.indptr.asnumpy().tolist() == [0, 2, 3]
    assert a.indices.asnumpy().tolist() == [0, 1, 2]
    assert a.data.asnumpy().tolist() == [1, 3, 7]
    assert sparse.csr_matrix(([1.], ([2], [4]))).shape == (3, 5)


def test_a_shape_that_differs_from_the_data_is_a_value_error():
    with pytest.raises(ValueError, match='shape mismatch'):
        sparse.csr_matrix(mx.nd.ones((2, 2)), shape=(3, 2))
    with pytest.raises(ValueError, match='shape mismatch'):
        sparse.csr_matrix((2, 2), shape=(3, 2))
    with pytest.raises(ValueError, match='shape mismatch'):
        sparse.row_sparse_array((np.int32(2), np.int64(2)), shape=(3, 2))
    assert sparse.row_sparse_array((np.int32(2), np.int64(2)), shape=(2, 2)).shape == (2, 2)


def test_csr_without_values_needs_a_shape():
    with pytest.raises(ValueError, match='pass shape'):
        sparse.csr_matrix(([], [], [0, 0]))
    assert sparse.csr_matrix(([], [], [0, 0]), shape=(1, 4)).shape == (1, 4)


def test_parts_are_kept_as_given_and_check_format_reports_them():
    a = sparse.csr_matrix(([7., 8., 9.], [0, 2, 1], [0, 5, 2, 3]), shape=(3, 4))
    with pytest.raises(MXNetError, match='indptr'):
        a.check_format()
    with pytest.raises(MXNetError, match='cannot be used'):
        a.asnumpy()
    unsorted = sparse.csr_matrix(([7., 8., 9.], [2, 1, 1], [0, 2, 2, 3]), shape=(3, 4))
    with pytest.raises(MXNetError, match='increase'):
        unsorted.check_format()
    assert unsorted.asnumpy()[0].tolist() == [0, 8, 7, 0]   # the values are still clear
    negative = sparse.row_sparse_array(([[1., 2.], [3., 4.]], [1, -2]), shape=(3, 2))
    with pytest.raises(MXNetError, match='row numbers'):
        negative.check_format()
    with pytest.raises(MXNetError, match='cannot be used'):   # never row 1 by wrapping
        negative.asnumpy()


def test_nd_array_keeps_sparse_storage():
    sp = pytest.importorskip('scipy.sparse')
    m = sp.csr_matrix(np.array(DENSE))
    a = mx.nd.array(m)
    assert a.stype == 'csr' and a.asnumpy().tolist() == DENSE
    assert mx.nd.array(rsp()).stype == 'row_sparse'
    assert mx.nd.array(DENSE).stype == 'default'


# ------------------------------------------------------------------ operators
def test_retain_rejects_unknown_arguments_and_takes_float_indices():
    with pytest.raises(MXNetError, match='invalid_arg'):
        sparse.retain(rsp(), indices=mx.nd.array([0]), invalid_arg='x')
    with pytest.raises(MXNetError, match='row_sparse'):
        sparse.retain(mx.nd.ones((2, 2)), mx.nd.array([0]))
    kept = mx.nd._internal._sparse_retain(rsp(), mx.nd.array([2., 1.]))
    assert kept.stype == 'row_sparse' and kept.indices.asnumpy().tolist() == [2]
    assert kept.asnumpy().tolist() == [[0, 0, 0], [0, 0, 0], [4, 0, -1]]


def test_zeros_like_and_clip_keep_the_storage():
    for y in (csr(), rsp()):
        assert mx.nd.zeros_like(y).stype == y.stype
        assert y.zeros_like().stype == y.stype
        c = y.clip(-0.5, 1)
        assert c.stype == y.stype
        assert c.asnumpy().tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, -0.5]]
        assert mx.nd.clip(y, 1, 2).stype == 'default'     # zeros would become 1


def test_slicing_a_csr_matrix_stays_csr():
    s = mx.nd.slice(csr(), begin=(1, 1), end=(3, 3))
    assert s.stype == 'csr' and s.asnumpy().tolist() == [[0, 0], [0, -1]]
    assert s.indptr.asnumpy().tolist() == [0, 0, 1]
    assert mx.nd.crop(csr(), begin=2, end=3).asnumpy().tolist() == [[4, 0, -1]]
    stepped = mx.nd.sparse.slice(csr(), begin=(0,), end=(3,), step=(2,))
    assert stepped.stype == 'default' and stepped.asnumpy().tolist() == [DENSE[0], DENSE[2]]
    assert mx.nd.slice(rsp(), begin=(0,), end=(1,)).stype == 'default'


def test_concat_of_csr_rows_stays_csr():
    both = mx.nd.concat(csr(), csr()[2], dim=0)
    assert both.stype == 'csr' and both.shape == (4, 3)
    assert both.asnumpy().tolist() == DENSE + [DENSE[2]]
    both.check_format()
    assert mx.nd.concat(csr(), csr(), dim=1).stype == 'default'


def test_take_rows_of_a_csr_matrix():
    t = mx.nd.take(csr(), mx.nd.array([2, -1, 7]), mode='clip')
    assert t.stype == 'csr' and t.asnumpy().tolist() == [DENSE[2], DENSE[0], DENSE[2]]
    w = mx.nd.take(csr(), mx.nd.array([4, -1]), mode='wrap')
    assert w.asnumpy().tolist() == [DENSE[1], DENSE[2]]
    assert t.indptr[0].asscalar() == 0


def test_square_sum_of_rows_is_row_sparse():
    r = sparse.row_sparse_array(([[1., 2.], [3., 0.]], [0, 2]), shape=(4, 2))
    s = mx.nd._internal._square_sum(r, axis=1, keepdims=True)
    assert s.stype == 'row_sparse' and s.asnumpy().ravel().tolist() == [5, 0, 9, 0]
    d = mx.nd._internal._square_sum(r, axis=0)
    assert d.stype == 'default' and d.asnumpy().tolist() == [10, 4]


def test_dot_storage_follows_mxnet():
    ones = mx.nd.ones((2, 3))
    out = mx.nd.dot(ones, csr())
    assert out.stype == 'csr' and out.asnumpy().tolist() == [[4, 2, -1], [4, 2, -1]]
    assert mx.nd.dot(ones, csr(), transpose_b=True).stype == 'csr'
    t = mx.nd.dot(csr(), mx.nd.ones((3, 1)).tostype('row_sparse'), transpose_a=True)
    assert t.stype == 'row_sparse' and t.asnumpy().ravel().tolist() == [4, 2, -1]


def test_add_n_is_row_sparse_only_for_row_sparse_inputs():
    assert mx.nd.add_n(rsp(), rsp(), rsp()).stype == 'row_sparse'
    total = mx.nd.add_n(csr(), csr())
    assert total.stype == 'default' and total.asnumpy()[2].tolist() == [8, 0, -2]


def test_getnnz_counts_stored_values():
    assert sparse.getnnz(csr()).asnumpy().tolist() == [3]
    assert sparse.getnnz(csr(), axis=1).asnumpy().tolist() == [1, 0, 2]
    with pytest.raises(MXNetError, match='axis'):
        sparse.getnnz(csr(), axis=0)


def test_symbol_retain_keeps_listed_rows_and_their_gradient():
    y = mx.sym.sparse.retain(data=mx.sym.var('data'), indices=mx.sym.var('indices'))
    data = mx.nd.array([[1., 2.], [3., 4.], [5., 6.]])
    grad = mx.nd.zeros((3, 2))
    ex = y.bind(mx.cpu(), {'data': data, 'indices': mx.nd.array([2, 0])},
                args_grad={'data': grad}, grad_req={'data': 'write', 'indices': 'null'})
    assert ex.forward(is_train=True)[0].asnumpy().tolist() == [[1, 2], [0, 0], [5, 6]]
    ex.backward(mx.nd.ones((3, 2)))
    assert grad.asnumpy().tolist() == [[1, 1], [0, 0], [1, 1]]


# ------------------------------------------------------------------ test_utils
def test_powerlaw_rows_double_as_mxnet_fills_them():
    # 5 x 5 at density 0.5: 12 values; one per row, then rows 0, 1, 2 grow to 2, 4
    # and (with the 3 values left) 4 values
    a, (data, indices, indptr) = tu.rand_sparse_ndarray((5, 5), 'csr', density=0.5,
                                                        distribution='powerlaw')
    assert np.diff(indptr).tolist() == [2, 4, 4, 1, 1]
    assert indices[:6].tolist() == [0, 1, 0, 1, 2, 3]       # each row from column 0
    assert (data > 1).all()
    big, _ = tu.rand_sparse_ndarray((32, 10000), 'csr', density=0.01,
                                    distribution='powerlaw')
    assert len(big.data) == 3200
    with pytest.raises(ValueError, match='powerlaw'):
        tu.rand_sparse_ndarray((4, 4), 'csr', density=0.1, distribution='powerlaw')


def test_assign_each_maps_one_value_at_a_time():
    assert tu.assign_each(np.array([[0.1, -2.]]), lambda a: a if abs(a) > .25 else 9
                          ).tolist() == [[9., -2.]]
    assert tu.assign_each2(np.array([1., 5.]), np.array([3., 4.]), max).tolist() == [3, 5]
    # modifier_func of the sparse generators gets single values too
    r = tu.create_sparse_array((3, 2), 'row_sparse', rsp_indices=[1],
                               modifier_func=lambda a: 7 if a < 2 else 0)
    assert r.asnumpy().tolist() == [[0, 0], [7, 7], [0, 0]]


def test_create_sparse_array_zd_stores_exactly_the_rows_given():
    r = tu.create_sparse_array_zd((4, 2), 'row_sparse', density=1.0, rsp_indices=[3, 1],
                                  data_init=2)
    assert r.indices.asnumpy().tolist() == [1, 3]
    assert tu.create_sparse_array_zd((4, 2), 'row_sparse', density=1.0).indices.shape == (0,)


def test_test_utils_star_import_offers_context():
    namespace = {}
    exec('from d2lmini.test_utils import *', namespace)
    assert namespace['Context'] is mx.Context
    assert 'create_sparse_array_zd' in namespace and 'assign_each' in namespace


def test_contrib_names_of_sparse_helpers():
    a = mx.nd.array([[0, 1, 2], [0, 0, 0]]).tostype('csr')
    assert mx.nd.contrib.getnnz(a, axis=1).asnumpy().tolist() == [2, 0]
    w = mx.nd.arange(8).reshape((4, 2))
    out = mx.nd.contrib.SparseEmbedding(mx.nd.array([3, 0]), w, input_dim=4, output_dim=2)
    assert out.asnumpy().tolist() == [[6, 7], [0, 1]]
    net = mx.sym.contrib.SparseEmbedding(mx.sym.var('d'), input_dim=4, output_dim=2, name='se')
    assert net.list_arguments() == ['d', 'se_weight']
