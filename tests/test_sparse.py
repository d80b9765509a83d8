"""Sparse storage (mx.nd.sparse): CSR and row-sparse arrays, their operators, and
their file format (checked against bytes MXNet 1.9.1 writes)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.ndarray import sparse

DENSE = np.array([[1, 0, 2], [0, 0, 0], [0, 3, 0]], np.float32)


def csr():
    return sparse.csr_matrix(([1., 2., 3.], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 3))


def rsp():
    return sparse.row_sparse_array(([[1., 2.], [3., 4.]], [0, 2]), shape=(4, 2))


def test_csr_parts_and_values():
    a = csr()
    assert a.stype == 'csr' and a.shape == (3, 3) and a.dtype == np.float32
    assert a.data.asnumpy().tolist() == [1, 2, 3]
    assert a.indices.asnumpy().tolist() == [0, 2, 1]
    assert a.indptr.asnumpy().tolist() == [0, 2, 2, 3]
    assert a.indices.dtype == np.int64 and a.indptr.dtype == np.int64
    np.testing.assert_array_equal(a.asnumpy(), DENSE)
    assert repr(a) == '\n<CSRNDArray 3x3 @cpu(0)>'


@pytest.mark.parametrize('source', [DENSE, DENSE.tolist(), mx.nd.array(DENSE)])
def test_csr_from_dense_data(source):
    a = sparse.csr_matrix(source)
    assert a.indptr.asnumpy().tolist() == [0, 2, 2, 3]
    np.testing.assert_array_equal(a.asnumpy(), DENSE)
    np.testing.assert_array_equal(mx.nd.array(DENSE).tostype('csr').asnumpy(), DENSE)


def test_csr_from_scipy_and_back():
    sp = pytest.importorskip('scipy.sparse')
    m = sp.csr_matrix(DENSE.astype(np.float64))
    a = sparse.csr_matrix(m)
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a.asscipy().toarray(), DENSE)
    assert sparse.array(m).stype == 'csr'


def test_row_sparse_keeps_stored_zero_rows_and_the_order_given():
    # as MXNet: the parts are kept as given; check_format says they are out of order
    r = sparse.row_sparse_array(([[0., 0.], [3., 4.]], [3, 1]), shape=(4, 2))
    assert r.indices.asnumpy().tolist() == [3, 1]
    assert r.data.asnumpy().tolist() == [[0, 0], [3, 4]]
    assert r.asnumpy().tolist() == [[0, 0], [3, 4], [0, 0], [0, 0]]
    with pytest.raises(MXNetError, match='increasing'):
        r.check_format()
    # from dense data only the non-zero rows are stored
    assert mx.nd.array([[0, 0], [5, 0]]).tostype('row_sparse').indices.asnumpy().tolist() == [1]


def test_zeros_empty_and_conversions():
    z = mx.nd.zeros((3, 2), stype='row_sparse')
    assert z.stype == 'row_sparse' and z.indices.shape == (0,) and z.data.shape == (0, 2)
    c = sparse.zeros('csr', (2, 3))
    assert c.indptr.asnumpy().tolist() == [0, 0, 0] and c.asnumpy().sum() == 0
    assert mx.nd.empty((2, 2), stype='csr').stype == 'csr'
    x = mx.nd.ones((2, 2))
    d = x.tostype('default')
    assert d is not x and d.stype == 'default'
    assert csr().tostype('default').asnumpy().tolist() == DENSE.tolist()
    assert mx.nd.cast_storage(x, stype='row_sparse').stype == 'row_sparse'
    with pytest.raises(MXNetError, match='2-D'):
        mx.nd.ones((2, 2, 2)).tostype('csr')
    with pytest.raises(MXNetError, match='invalid stype'):
        x.tostype('coo')


def test_csr_row_slices():
    a = csr()
    part = a[1:3]
    assert part.stype == 'csr' and part.shape == (2, 3)
    assert part.indptr.asnumpy().tolist() == [0, 0, 1]
    np.testing.assert_array_equal(part.asnumpy(), DENSE[1:3])
    np.testing.assert_array_equal(a[-1].asnumpy(), DENSE[2:3])
    with pytest.raises(ValueError, match='step 1'):
        a[::2]
    with pytest.raises(IndexError):
        a[3]
    with pytest.raises(ValueError, match=r'\[:\]'):
        rsp()[1:2]


def test_operators_that_keep_the_storage():
    a, r = csr(), rsp()
    assert (a + a).stype == 'csr' and (a * 2).stype == 'csr' and (-a).stype == 'csr'
    np.testing.assert_array_equal((a + a).asnumpy(), 2 * DENSE)
    np.testing.assert_array_equal((a / 2).asnumpy(), DENSE / 2)
    s = r + sparse.row_sparse_array(([[1., 1.]], [1]), shape=(4, 2))
    assert s.stype == 'row_sparse' and s.indices.asnumpy().tolist() == [0, 1, 2]
    assert s.asnumpy().tolist() == [[1, 2], [1, 1], [3, 4], [0, 0]]
    p = r * sparse.row_sparse_array(([[2., 2.]], [2]), shape=(4, 2))
    assert p.indices.asnumpy().tolist() == [2] and p.data.asnumpy().tolist() == [[6, 8]]
    assert sparse.sqrt(r).stype == 'row_sparse'
    np.testing.assert_allclose(sparse.sqrt(r).asnumpy(), np.sqrt(r.asnumpy()))
    assert sparse.add_n(r, r, r).asnumpy().tolist() == (3 * r.asnumpy()).tolist()


def test_other_operators_compute_on_the_dense_values():
    a, r = csr(), rsp()
    assert (a + 1).stype == 'default'
    np.testing.assert_array_equal((a + 1).asnumpy(), DENSE + 1)
    np.testing.assert_allclose(mx.nd.exp(r).asnumpy(), np.exp(r.asnumpy()))
    assert float(a.sum().asscalar()) == 6.0
    np.testing.assert_array_equal(mx.nd.dot(a, mx.nd.ones((3, 2))).asnumpy(),
                                  DENSE @ np.ones((3, 2)))


def test_sparse_dot():
    a = csr()
    b = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = sparse.dot(a, mx.nd.array(b))
    assert out.stype == 'default'
    np.testing.assert_array_equal(out.asnumpy(), DENSE @ b)
    t = sparse.dot(a, mx.nd.array(b), transpose_a=True)
    assert t.stype == 'row_sparse' and t.indices.asnumpy().tolist() == [0, 1, 2]
    np.testing.assert_array_equal(t.asnumpy(), DENSE.T @ b)
    rows_only = sparse.csr_matrix(([5.], [1], [0, 1, 1, 1]), shape=(3, 3))
    assert sparse.dot(rows_only, mx.nd.array(b), transpose_a=True).indices.asnumpy().tolist() \
        == [1]
    with pytest.raises(MXNetError, match='do not multiply'):
        sparse.dot(a, mx.nd.ones((2, 2)))


def test_sparse_dot_records_its_gradient():
    a = csr()
    w = mx.nd.ones((3, 2))
    w.attach_grad()
    with mx.autograd.record():
        y = sparse.dot(a, w).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), DENSE.T @ np.ones((3, 2)))


def test_retain():
    r = sparse.row_sparse_array(([[1., 1.], [2., 2.]], [0, 3]), shape=(4, 2))
    kept = sparse.retain(r, mx.nd.array([3, 1]))
    assert kept.indices.asnumpy().tolist() == [3]
    assert kept.asnumpy().tolist() == [[0, 0], [0, 0], [0, 0], [2, 2]]
    assert r.retain(mx.nd.array([0])).indices.asnumpy().tolist() == [0]
    with pytest.raises(MXNetError, match='row_sparse'):
        sparse.retain(csr(), mx.nd.array([0]))


def test_writes_keep_the_parts_in_step():
    c = sparse.zeros('csr', (2, 2))
    mx.nd.array([[0, 1], [2, 0]]).copyto(c)
    assert c.stype == 'csr' and c.indptr.asnumpy().tolist() == [0, 1, 2]
    c[:] = 0
    assert c.indptr.asnumpy().tolist() == [0, 0, 0]
    r = rsp()
    r += rsp()
    assert r.stype == 'row_sparse' and r.data.asnumpy().tolist() == [[2, 4], [6, 8]]
    with pytest.raises(ValueError, match=r'x\[:\] = value'):
        r[0] = 1
    dense = mx.nd.zeros((3, 3))
    csr().copyto(dense)
    np.testing.assert_array_equal(dense.asnumpy(), DENSE)


def test_copies_and_casts_keep_the_storage():
    a = csr()
    assert a.copy().stype == 'csr' and a.copyto(mx.cpu()).stype == 'csr'
    b = a.astype('float64')
    assert b.stype == 'csr' and b.dtype == np.float64
    assert a.as_in_context(mx.cpu()) is a


def test_check_format_catches_broken_parts():
    # as MXNet, broken parts make an array; check_format (and any use) reports them
    broken = sparse.csr_matrix(([1., 2.], [0, 1], [0, 1, 3]), shape=(2, 3))
    with pytest.raises(MXNetError, match='indptr'):
        broken.check_format(full_check=False)
    with pytest.raises(MXNetError, match='cannot be used'):
        broken.asnumpy()
    bad = sparse.csr_matrix(([1., 2.], [5, 0], [0, 1, 2]), shape=(2, 3))
    with pytest.raises(MXNetError, match='out of range'):
        bad.check_format()
    with pytest.raises(ValueError, match='rows of an array'):
        sparse.row_sparse_array(([[1., 2.]], [0, 1]), shape=(4, 2))


# the bytes MXNet 1.9.1 writes for nd.save(f, {'a': csr(), 'r': rsp()})
MXNET_FILE = bytes.fromhex(
    '120100000000000000000000000000000200000000000000c9fa93f902000000'
    '0100000003000000000000000200000003000000000000000300000000000000'
    '0100000000000000000000000600000001000000040000000000000006000000'
    '0100000003000000000000000000803f00000040000040400000000000000000'
    '0200000000000000020000000000000003000000000000000000000000000000'
    '02000000000000000100000000000000c9fa93f9010000000200000002000000'
    '0000000002000000000000000200000004000000000000000200000000000000'
    '010000000000000000000000060000000100000002000000000000000000803f'
    '0000004000004040000080400000000000000000020000000000000002000000'
    '00000000010000000000000061010000000000000072')


def test_files_match_mxnet_both_ways(tmp_path):
    loaded = mx.nd.load_frombuffer(MXNET_FILE)
    assert loaded['a'].stype == 'csr' and loaded['r'].stype == 'row_sparse'
    np.testing.assert_array_equal(loaded['a'].asnumpy(), DENSE)
    assert loaded['r'].indices.asnumpy().tolist() == [0, 2]
    path = tmp_path / 'sparse.params'
    mx.nd.save(str(path), {'a': csr(), 'r': rsp()})
    assert path.read_bytes() == MXNET_FILE


def test_a_damaged_sparse_file_is_refused():
    damaged = bytearray(MXNET_FILE)
    at = MXNET_FILE.index(bytes.fromhex('00000000000000000200000000000000'
                                        '02000000000000000300000000000000'))
    damaged[at + 8] = 9          # indptr [0, 9, 2, 3]: decreasing, past the values
    with pytest.raises(MXNetError, match='damaged'):
        mx.nd.load_frombuffer(bytes(damaged))


def test_pickles_and_copies_keep_the_storage():
    import copy
    import pickle
    for a in (csr(), rsp()):
        for b in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
            assert b.stype == a.stype
            np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
            np.testing.assert_array_equal(b.indices.asnumpy(), a.indices.asnumpy())


def test_nd_functions_keep_the_storage_where_mxnet_does():
    r = mx.nd.array([[0, 0], [1, -2]]).tostype('row_sparse')
    assert mx.nd.relu(r).stype == 'row_sparse'
    assert mx.nd.abs(r).asnumpy().tolist() == [[0, 0], [1, 2]]
    assert mx.nd.elemwise_add(r, r).stype == 'row_sparse'
    assert mx.nd.add_n(r, r).stype == 'row_sparse'
    assert mx.nd.exp(r).stype == 'default'           # exp(0) is 1: no longer sparse
    assert mx.nd.relu(mx.nd.ones(2)).stype == 'default'
    out = mx.nd.zeros((2, 2))
    mx.nd.relu(r, out=out)
    assert out.stype == 'default' and out.asnumpy().tolist() == [[0, 0], [1, 0]]


def test_the_dense_values_of_a_sparse_array_cannot_be_written_behind_its_back():
    r = rsp()
    with pytest.raises(ValueError, match='read-only'):
        r._data[0, 0] = 5


@pytest.mark.parametrize('make', [
    lambda: mx.optimizer.SGD(learning_rate=0.5, wd=0.1, momentum=0.9),
    lambda: mx.optimizer.Adam(learning_rate=0.5, wd=0.1),
    lambda: mx.optimizer.AdaGrad(learning_rate=0.5),
    lambda: mx.optimizer.Ftrl(learning_rate=0.5),
])
def test_a_row_sparse_gradient_updates_only_its_rows(make):
    w0 = np.arange(8, dtype=np.float32).reshape(4, 2) + 1
    g = sparse.row_sparse_array(([[1., -1.]], [2]), shape=(4, 2))
    lazy, dense = make(), make()
    w_lazy, w_dense = mx.nd.array(w0), mx.nd.array(w0)
    lazy.update_multi_precision(0, w_lazy, g, lazy.create_state_multi_precision(0, w_lazy))
    dense.update_multi_precision(0, w_dense, g.tostype('default'),
                                 dense.create_state_multi_precision(0, w_dense))
    # the stored row: the dense rule; every other row, weight decay included: untouched
    np.testing.assert_allclose(w_lazy.asnumpy()[2], w_dense.asnumpy()[2], rtol=1e-6)
    np.testing.assert_array_equal(w_lazy.asnumpy()[[0, 1, 3]], w0[[0, 1, 3]])


def test_lazy_update_false_makes_the_dense_update():
    w0 = np.ones((3, 2), np.float32)
    g = sparse.row_sparse_array(([[1., 1.]], [0]), shape=(3, 2))
    opt = mx.optimizer.SGD(learning_rate=0.5, wd=0.1, lazy_update=False)
    w = mx.nd.array(w0)
    opt.update(0, w, g, opt.create_state(0, w))
    np.testing.assert_allclose(w.asnumpy()[1], w0[1] * (1 - 0.5 * 0.1), rtol=1e-6)


def test_a_sparse_weight_keeps_its_storage_through_an_update():
    w = mx.nd.array([[1., 2.], [3., 4.]]).tostype('row_sparse')
    opt = mx.optimizer.SGD(learning_rate=1.0)
    opt.update(0, w, mx.nd.ones((2, 2)), opt.create_state(0, w))
    assert w.stype == 'row_sparse' and w.asnumpy().tolist() == [[0, 1], [2, 3]]
