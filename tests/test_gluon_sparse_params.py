"""Gluon parameters with row_sparse storage: their data lives in the Trainer's store,
devices pull the rows they need (values checked against MXNet 1.9.1)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon


def _sparse_param(name='w', shape=(4, 2), init='ones', ctx=None, grad_stype='row_sparse'):
    p = gluon.Parameter(name, shape=shape, stype='row_sparse', grad_stype=grad_stype)
    p.initialize(init=init, ctx=ctx)
    return p


def _embedding_sum(param, rows):
    """The sum of the rows ``rows`` of ``param`` looked up through an Embedding."""
    weight = param.row_sparse_data(rows)
    return mx.nd.Embedding(rows, weight, input_dim=param.shape[0], output_dim=param.shape[1],
                           sparse_grad=True).sum()


# ---------------------------------------------------------------- storage and access
def test_row_sparse_parameter_stores_every_row_and_a_sparse_gradient():
    p = _sparse_param(shape=(3, 2), init='zeros')
    data = p._data[0]
    assert data.stype == 'row_sparse'
    assert data.indices.asnumpy().tolist() == [0, 1, 2]   # zero rows are stored too
    assert p.grad().stype == 'row_sparse' and p.grad().indices.shape == (0,)
    assert p.var().attr('__storage_type__') == '1'


def test_data_and_list_data_refuse_a_row_sparse_parameter():
    p = _sparse_param(ctx=[mx.cpu(0), mx.cpu(1)])
    with pytest.raises(RuntimeError, match=r"Parameter 'w' on ctx cpu\(1\) via data\(\) "
                                           'because its storage type is row_sparse'):
        p.data(mx.cpu(1))
    with pytest.raises(RuntimeError, match='list_data.*Please use row_sparse_data'):
        p.list_data()
    dense = gluon.Parameter('d', shape=(4, 2))
    dense.initialize()
    assert dense.data().stype == 'default'
    with pytest.raises(RuntimeError, match='Please use data'):
        dense.row_sparse_data(mx.nd.array([0]))


def test_row_sparse_data_needs_a_trainer_and_an_ndarray():
    p = _sparse_param()
    with pytest.raises(RuntimeError, match='no Trainer'):
        p.row_sparse_data(mx.nd.array([0]))
    gluon.Trainer([p], 'sgd')
    with pytest.raises(TypeError, match='NDArray'):
        p.row_sparse_data([0])


def test_row_sparse_data_pulls_exactly_the_rows_into_that_contexts_copy():
    p = _sparse_param(init=mx.init.Constant(3.0), ctx=[mx.cpu(0), mx.cpu(1)])
    gluon.Trainer([p], 'sgd')
    got = p.row_sparse_data(mx.nd.array([3, 1, 3], ctx=mx.cpu(1)))
    assert got is p._data[1]                    # the array autograd differentiates
    assert got.indices.asnumpy().tolist() == [1, 3]
    assert got.data.asnumpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert p._data[0].indices.asnumpy().tolist() == [0, 1, 2, 3]   # the other copy as it was
    copies = p.list_row_sparse_data(mx.nd.array([2]))
    assert [c.context for c in copies] == [mx.cpu(0), mx.cpu(1)]
    assert [c.indices.asnumpy().tolist() for c in copies] == [[2], [2]]


def test_row_ids_out_of_range_raise():
    p = _sparse_param()
    gluon.Trainer([p], 'sgd')
    with pytest.raises(IndexError, match=r'\[0, 4\)'):
        p.row_sparse_data(mx.nd.array([0, 4]))


# ---------------------------------------------------------------- training
def test_a_step_updates_the_rows_in_the_store_summed_over_devices():
    ctxs = [mx.cpu(0), mx.cpu(1)]
    p = _sparse_param(ctx=ctxs)
    trainer = gluon.Trainer([p], 'sgd', {'learning_rate': 0.1, 'wd': 0.1})
    with mx.autograd.record():
        losses = [_embedding_sum(p, mx.nd.array(rows, ctx=c))
                  for rows, c in (([1, 3, 3], ctxs[0]), ([0], ctxs[1]))]
    for loss in losses:
        loss.backward()
    assert p.grad(ctxs[0]).indices.asnumpy().tolist() == [1, 3]
    trainer.step(1)
    assert trainer._update_on_kvstore is True
    # the copies keep the rows last pulled, with their old values, until the next pull
    assert p._data[0].indices.asnumpy().tolist() == [1, 3]
    assert p._data[0].data.asnumpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    # MXNet 1.9.1's numbers: lazy SGD with weight decay, row 2 untouched
    np.testing.assert_allclose(p.row_sparse_data(mx.nd.arange(0, 4)).asnumpy(),
                               [[0.89, 0.89], [0.89, 0.89], [1, 1], [0.79, 0.79]], rtol=1e-6)


def test_the_gradient_of_a_sparse_dot_trains_the_rows_it_reads():
    p = _sparse_param(shape=(3, 2))
    trainer = gluon.Trainer([p], 'sgd', {'learning_rate': 0.5})
    lhs = mx.nd.array([[0, 2, 0], [1, 0, 0]]).tostype('csr')
    with mx.autograd.record():
        y = mx.nd.sparse.dot(lhs, p.row_sparse_data(mx.nd.array([0, 1])))
    y.backward()
    assert p.grad().indices.asnumpy().tolist() == [0, 1]
    trainer.step(1)
    np.testing.assert_allclose(p.row_sparse_data(mx.nd.arange(0, 3)).asnumpy(),
                               [[0.5, 0.5], [0.0, 0.0], [1.0, 1.0]])


def test_a_dense_gradient_of_a_row_sparse_weight_updates_the_store():
    # MXNet 1.9.1 fails here (its step asks the weight for list_data())
    p = _sparse_param(shape=(4, 1), grad_stype='default')
    trainer = gluon.Trainer([p], 'sgd', {'learning_rate': 0.1})
    rows = mx.nd.arange(0, 4)
    with mx.autograd.record():
        y = p.row_sparse_data(rows) * 3
    y.backward()
    trainer.step(1)
    np.testing.assert_allclose(p.row_sparse_data(rows).asnumpy().ravel(), [0.7] * 4, rtol=1e-6)


def test_a_row_sparse_weight_needs_a_store_that_runs_the_optimizer():
    p = _sparse_param()
    gluon.Trainer([p], 'sgd', kvstore=None)
    with pytest.raises(TypeError, match="Cannot create 'None' KVStore"):
        p.row_sparse_data(mx.nd.array([0]))
    p = _sparse_param()
    gluon.Trainer([p], 'sgd', update_on_kvstore=False)
    with pytest.raises(ValueError, match='update_on_kvstore=False'):
        p.row_sparse_data(mx.nd.array([0]))


def test_set_data_on_one_parameter_keeps_the_others_trained_rows():
    # the store is made again from the parameters' values: the rows of b that were
    # not pulled last must not fall back to zero (they do in MXNet 1.9.1)
    a, b = _sparse_param('a', (2, 1)), _sparse_param('b', (2, 1))
    trainer = gluon.Trainer([a, b], 'sgd', {'learning_rate': 1.0})
    rows = mx.nd.array([1])
    with mx.autograd.record():
        y = _embedding_sum(a, rows) + _embedding_sum(b, rows)
    y.backward()
    trainer.step(1)
    assert b.row_sparse_data(rows).asnumpy().tolist() == [[0.0], [0.0]]
    a.set_data(mx.nd.array([[7], [7]]))
    all_rows = mx.nd.array([0, 1])
    assert a.row_sparse_data(all_rows).asnumpy().tolist() == [[7.0], [7.0]]
    assert b.row_sparse_data(all_rows).asnumpy().tolist() == [[1.0], [0.0]]


def test_reset_ctx_takes_the_values_of_the_store():
    p = _sparse_param(shape=(3, 2), ctx=[mx.cpu(0), mx.cpu(1)])
    trainer = gluon.Trainer([p], 'sgd', {'learning_rate': 1.0})
    with mx.autograd.record():
        losses = [_embedding_sum(p, mx.nd.array([2], ctx=c)) for c in (mx.cpu(0), mx.cpu(1))]
    for loss in losses:
        loss.backward()
    trainer.step(1)
    p.reset_ctx([mx.cpu(2)])
    assert p.list_ctx() == [mx.cpu(2)]
    assert p._data[0].asnumpy().tolist() == [[1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]]


# ---------------------------------------------------------------- blocks
def _dense_with_sparse_weight():
    params = gluon.ParameterDict('net_')
    params.get('weight', shape=(5, 5), stype='row_sparse')
    params.get('bias', shape=(5,))
    net = gluon.nn.Dense(5, params=params)
    net.initialize()
    return net


@pytest.mark.parametrize('hybridize', [False, True])
def test_a_hybrid_block_with_a_row_sparse_weight_refuses_to_run(hybridize):
    net = _dense_with_sparse_weight()
    if hybridize:
        net.hybridize()
    with pytest.raises(RuntimeError, match="'net_weight'.*row_sparse"):
        net(mx.nd.ones((2, 5)))
    assert net(mx.sym.var('data')).list_arguments() == ['data', 'net_weight', 'net_bias']


# ---------------------------------------------------------------- files
def test_save_writes_the_stores_values_and_load_fills_either_storage(tmp_path):
    fname = str(tmp_path / 'p.params')
    params = gluon.ParameterDict('net_')
    w = params.get('w', shape=(3, 1), stype='row_sparse', grad_stype='row_sparse')
    params.get('b', shape=(2,))
    params.initialize(init='ones')
    trainer = gluon.Trainer(params, 'sgd', {'learning_rate': 1.0})
    with mx.autograd.record():
        y = _embedding_sum(w, mx.nd.array([1]))
    y.backward()
    trainer.step(1, ignore_stale_grad=True)
    params.save(fname)
    saved = mx.nd.load(fname)['net_w']
    assert saved.stype == 'row_sparse'
    assert saved.asnumpy().ravel().tolist() == [1.0, 0.0, 1.0]

    dense = gluon.ParameterDict('net_')
    dense.get('w', shape=(3, 1))
    dense.get('b', shape=(2,))
    dense.load(fname)
    assert dense['net_w'].data().stype == 'default'
    assert dense['net_w'].data().asnumpy().ravel().tolist() == [1.0, 0.0, 1.0]

    # loading into a trained sparse parameter replaces the values in the store
    w.set_data(mx.nd.full((3, 1), 9))
    params.load(fname)
    assert w.row_sparse_data(mx.nd.arange(0, 3)).asnumpy().ravel().tolist() == [1.0, 0.0, 1.0]


# a file written by MXNet 1.9.1's ParameterDict.save: a row_sparse 'n_a' (3x2 of 5.0,
# written with a storage shape of no elements) and a dense 'n_b' ([1, 1])
_MXNET_SPARSE_FILE = bytes.fromhex(
    '120100000000000000000000000000000200000000000000c9fa93f901000000020000000000000000'
    '00000002000000000000000200000003000000000000000200000000000000010000000000000000'
    '000000060000000100000003000000000000000000a0400000a0400000a0400000a0400000a04000'
    '00a040000000000000000001000000000000000200000000000000c9fa93f9000000000100000002'
    '000000000000000100000000000000000000000000803f0000803f02000000000000000300000000'
    '0000006e5f6103000000000000006e5f62')


def test_reads_mxnets_row_sparse_file_whose_storage_shape_is_empty():
    loaded = mx.nd.load_frombuffer(_MXNET_SPARSE_FILE)
    assert loaded['n_a'].stype == 'row_sparse'
    assert loaded['n_a'].indices.asnumpy().tolist() == [0, 1, 2]
    assert loaded['n_a'].asnumpy().tolist() == [[5.0, 5.0]] * 3
    assert loaded['n_b'].asnumpy().tolist() == [1.0, 1.0]


def test_force_reinit_gives_the_store_the_new_values():
    p = _sparse_param(shape=(2, 1), init='ones')
    gluon.Trainer([p], 'sgd')
    rows = mx.nd.array([0, 1])
    assert p.row_sparse_data(rows).asnumpy().ravel().tolist() == [1.0, 1.0]
    p.initialize(init='zeros', force_reinit=True)
    assert p.row_sparse_data(rows).asnumpy().ravel().tolist() == [0.0, 0.0]


def test_a_csr_parameter_is_a_matrix_that_data_refuses():
    p = gluon.Parameter('c', shape=(3, 2), stype='csr')
    p.initialize(init='ones')
    assert p._data[0].stype == 'csr'
    with pytest.raises(RuntimeError, match='storage type is csr'):
        p.data()
    with pytest.raises(RuntimeError, match='Please use data'):
        p.row_sparse_data(mx.nd.array([0]))
    flat = gluon.Parameter('f', shape=(2,), stype='csr')
    with pytest.raises(ValueError, match="'f' has stype='csr', which needs a 2-D shape"):
        flat.initialize()
