"""Gluon parameters declared row_sparse, and the link from a parameter to its Trainer,
as MXNet 1.x programs use them (d2lmini keeps the data dense)."""
import gc

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon


# ---------------------------------------------------------------- Parameter._trainer
def test_trainer_link_is_the_trainer_itself():
    w = gluon.Parameter('w', shape=(3,))
    w.initialize()
    assert w._trainer is None
    first = gluon.Trainer([w], 'sgd')
    assert w._trainer is first
    second = gluon.Trainer([w], 'sgd')     # a dense parameter follows the latest one
    assert w._trainer is second
    w._set_trainer(None)
    assert w._trainer is None


def test_trainer_link_keeps_an_unnamed_trainer():
    # as in MXNet 1.x the parameter holds the Trainer itself, so a Trainer that no
    # variable names still updates it (and row_sparse_data still finds it)
    w = gluon.Parameter('w', shape=(3,))
    w.initialize(init='zeros')
    gluon.Trainer([w], 'sgd', {'learning_rate': 1.0})
    gc.collect()
    assert isinstance(w._trainer, gluon.Trainer)
    with mx.autograd.record():
        y = w.data() * 2
    y.backward()
    w._trainer.step(1)
    assert w.data().asnumpy().tolist() == [-2.0, -2.0, -2.0]


def test_row_sparse_parameter_takes_one_trainer():
    w = gluon.Parameter('w', shape=(4, 2), stype='row_sparse')
    w.initialize()
    trainer = gluon.Trainer([w], 'sgd')
    with pytest.raises(RuntimeError, match='More than one trainers for a row_sparse'):
        gluon.Trainer([w], 'sgd')
    w._set_trainer(trainer)              # the same one again is fine
    w._set_trainer(None)
    other = gluon.Trainer([w], 'sgd')    # once unset, another one may take it
    assert w._trainer is other


# ---------------------------------------------------------------- row_sparse_data
def test_row_sparse_data_needs_a_row_sparse_parameter_and_a_trainer():
    dense = gluon.Parameter('dense', shape=(4, 2))
    dense.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    gluon.Trainer([dense], 'sgd')
    rows = mx.nd.arange(0, 4)
    with pytest.raises(RuntimeError, match='Please use data'):
        dense.row_sparse_data(rows)
    with pytest.raises(RuntimeError, match='Please use data'):
        dense.list_row_sparse_data(rows)

    sparse = gluon.Parameter('sparse', shape=(4, 2), stype='row_sparse')
    sparse.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    with pytest.raises(RuntimeError, match='no Trainer'):
        sparse.list_row_sparse_data(rows)
    gluon.Trainer([sparse], 'sgd')
    with pytest.raises(TypeError):
        sparse.row_sparse_data([0, 1])
    with pytest.raises(IndexError):
        sparse.row_sparse_data(mx.nd.array([0, 4]))


def test_row_sparse_data_gives_the_rows_on_row_ids_context():
    w = gluon.Parameter('w', shape=(3, 2), stype='row_sparse')
    w.initialize(init=mx.init.Constant(2.0), ctx=[mx.cpu(0), mx.cpu(1)])
    gluon.Trainer([w], 'sgd')
    got = w.row_sparse_data(mx.nd.array([0, 2], ctx=mx.cpu(1)))
    assert got.context == mx.cpu(1)
    assert got.shape == (3, 2)
    assert got.asnumpy()[[0, 2]].tolist() == [[2.0, 2.0], [2.0, 2.0]]
    copies = w.list_row_sparse_data(mx.nd.arange(0, 3))
    assert [c.context for c in copies] == [mx.cpu(0), mx.cpu(1)]


def test_row_sparse_weight_trains_through_a_store_that_runs_the_optimizer():
    # one device: MXNet 1.x still makes a store for a row_sparse weight, and
    # updates the weight in it; the gradient of w*3 is 3, so w = 1 - 0.1*3
    w = gluon.Parameter('w', shape=(4, 1), stype='row_sparse')
    w.initialize(init='ones')
    trainer = gluon.Trainer([w], 'sgd', {'learning_rate': 0.1})
    rows = mx.nd.arange(0, 4)
    with mx.autograd.record():
        y = w.row_sparse_data(rows) * 3
    y.backward()
    trainer.step(1)
    assert trainer._kvstore is not None
    assert trainer._update_on_kvstore is True
    np.testing.assert_allclose(w.row_sparse_data(rows).asnumpy(), np.full((4, 1), 0.7),
                               rtol=1e-6)


def test_row_sparse_weight_refuses_updates_off_the_store():
    w = gluon.Parameter('w', shape=(4, 1), stype='row_sparse')
    w.initialize()
    gluon.Trainer([w], 'sgd', update_on_kvstore=False)
    # the first pull sets up the store, which a row_sparse weight needs, as in MXNet
    with pytest.raises(ValueError, match='update_on_kvstore=False'):
        w.row_sparse_data(mx.nd.arange(0, 4))


@pytest.mark.parametrize('asked, expected', [(None, False), (True, True), (False, False)])
def test_row_sparse_gradients_update_on_the_devices_by_default(asked, expected):
    w = gluon.Parameter('w', shape=(5, 1), grad_stype='row_sparse')
    w.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init='zeros')
    trainer = gluon.Trainer([w], 'sgd', {'learning_rate': 0.1}, kvstore='local',
                            update_on_kvstore=asked)
    with mx.autograd.record():
        for copy in w.list_data():
            (copy + 1).backward()
    trainer.step(1)
    assert trainer._update_on_kvstore is expected
    # the two copies' gradients (1 each) are summed: 0 - 0.1 * 2
    for copy in w.list_data():
        np.testing.assert_allclose(copy.asnumpy(), np.full((5, 1), -0.2), rtol=1e-6)


# ---------------------------------------------------------------- ParameterDict
def test_parameter_dict_compares_the_declared_storage_type():
    params = gluon.ParameterDict('net_')
    w = params.get('w', shape=(2, 2), stype='row_sparse')
    assert w.stype == 'row_sparse'
    assert params.get('w', stype='row_sparse') is w
    with pytest.raises(AssertionError, match="attribute 'stype'"):
        params.get('w', stype='default')


def test_shared_embedding_weight_may_differ_in_gradient_storage():
    # as in MXNet 1.x, a dense-gradient Embedding can share a sparse-gradient one's weight
    first = gluon.nn.Embedding(5, 2, sparse_grad=True)
    second = gluon.nn.Embedding(5, 2, params=first.collect_params())
    assert second.weight is first.weight


def test_row_sparse_parameter_is_refused_in_a_hybridized_block():
    # its data is row_sparse and read through row_sparse_data(): a graph, which reads
    # weights with data(), cannot take it (MXNet 1.x refuses it so, with RuntimeError)
    params = gluon.ParameterDict('net_')
    params.get('weight', shape=(2, 3), stype='row_sparse', init=mx.init.One())
    net = gluon.nn.Dense(2, in_units=3, params=params)
    net.initialize()
    net.hybridize()
    with pytest.raises(RuntimeError, match='row_sparse'):
        net(mx.nd.ones((1, 3)))


def test_row_sparse_parameter_saves_and_loads(tmp_path):
    # without a Trainer: its initial values are saved (MXNet 1.9.1 fails here, asking
    # the missing Trainer for the rows)
    fname = str(tmp_path / 'p.params')
    params = gluon.ParameterDict('net_')
    params.get('w', shape=(3, 2), stype='row_sparse', init=mx.init.Constant(5.0))
    params.initialize()
    params.save(fname)
    dense = gluon.ParameterDict('net_')
    dense.get('w', shape=(3, 2))
    dense.load(fname)
    assert dense['net_w'].data().asnumpy().tolist() == [[5.0, 5.0]] * 3


# ---------------------------------------------------------------- transforms
def test_colour_transforms_take_mxnet_keyword_names():
    from d2lmini.gluon.data.vision import transforms
    img = mx.nd.full((2, 2, 3), 100, dtype='uint8')
    for cls, name in ((transforms.RandomBrightness, 'brightness'),
                      (transforms.RandomContrast, 'contrast'),
                      (transforms.RandomSaturation, 'saturation'),
                      (transforms.RandomHue, 'hue')):
        t = cls(**{name: 0.0})          # no jitter: the image comes back unchanged
        assert t(img).asnumpy().tolist() == img.asnumpy().tolist(), name


# ---------------------------------------------------------------- Trainer internals
def test_trainer_keeps_mxnet_private_names():
    # some MXNet 1.x programs (GluonNLP's mixed-precision trainer) read or set these
    a = gluon.Parameter('a', shape=(2,))
    b = gluon.Parameter('b', shape=(2,), grad_stype='row_sparse')
    for p in (a, b):
        p.initialize(init='ones')
    trainer = gluon.Trainer([a, b], 'sgd', {'learning_rate': 1.0, 'rescale_grad': 4.0})
    assert trainer._param2idx == {'a': 0, 'b': 1}
    assert trainer._scale == 4.0
    assert trainer._contains_sparse_grad and not trainer._contains_sparse_weight
    assert trainer._distributed is False
    trainer._scale = 1.0        # step divides the scale, not the first rescale_grad
    with mx.autograd.record():
        y = a.data() * 3
    y.backward()
    trainer.step(2, ignore_stale_grad=True)
    np.testing.assert_allclose(a.data().asnumpy(), [-0.5, -0.5])


def test_symbol_block_refuses_a_row_sparse_variable():
    data = mx.sym.var('data')
    weight = mx.sym.var('weight', stype='row_sparse')
    out = mx.sym.dot(data, weight)
    with pytest.raises(AssertionError, match="Parameter 'weight'.*row_sparse"):
        gluon.SymbolBlock(out, data)
    dense = mx.sym.dot(data, mx.sym.var('weight'))
    assert sorted(gluon.SymbolBlock(dense, data).collect_params()) == ['weight']


# ---------------------------------------------------------------- row-sparse gradients
def _embedding_step(ctxs, indices):
    net = gluon.nn.Embedding(5, 2, sparse_grad=True)
    net.initialize(mx.init.One(), ctx=ctxs)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1, 'wd': 0.1})
    with mx.autograd.record():
        losses = [net(mx.nd.array(i, ctx=c)).sum() for i, c in zip(indices, ctxs)]
    for loss in losses:
        loss.backward()
    return net, trainer


def test_embedding_with_sparse_grad_updates_only_the_rows_it_looked_up():
    net, trainer = _embedding_step([mx.cpu()], [[1, 3, 3]])
    grad = net.weight.grad()
    assert grad.stype == 'row_sparse' and grad.indices.asnumpy().tolist() == [1, 3]
    assert grad.data.asnumpy().tolist() == [[1, 1], [2, 2]]
    trainer.step(1)
    # MXNet 1.9.1's numbers: rows not looked up keep their values, weight decay too
    np.testing.assert_allclose(net.weight.data().asnumpy(),
                               [[1, 1], [-0.1, -0.1], [1, 1], [-1.1, -1.1], [1, 1]],
                               rtol=1e-6)
    net.collect_params().zero_grad()
    assert net.weight.grad().indices.shape == (0,)


def test_row_sparse_gradients_are_summed_over_devices():
    net, trainer = _embedding_step([mx.cpu(0), mx.cpu(1)], [[1], [3]])
    trainer.step(1)
    for w in net.weight.list_data():
        np.testing.assert_allclose(w.asnumpy(), [[1, 1], [-0.1, -0.1], [1, 1], [-0.1, -0.1],
                                                 [1, 1]], rtol=1e-6)


def test_attach_grad_with_a_row_sparse_buffer():
    x = mx.nd.ones((3, 2))
    x.attach_grad(stype='row_sparse')
    with mx.autograd.record():
        y = (x[1:2] * 2).sum()
    y.backward()
    assert x.grad.stype == 'row_sparse' and x.grad.indices.asnumpy().tolist() == [1]
    x.attach_grad('add', stype='row_sparse')
    for row in (0, 2):
        with mx.autograd.record():
            y = x[row:row + 1].sum()
        y.backward()
    assert x.grad.indices.asnumpy().tolist() == [0, 2]


def test_a_sparse_array_gets_a_gradient_of_its_storage_and_detaches_as_itself():
    for stype in ('csr', 'row_sparse'):
        x = mx.nd.zeros((2, 2), stype=stype)
        x.attach_grad()
        assert x.grad.stype == stype
        assert x.detach().stype == stype
    x = mx.nd.zeros((2, 2), stype='csr')
    x.attach_grad(stype='default')
    assert x.grad.stype == 'default'


def test_the_gradient_of_a_sparse_dot_goes_to_a_row_sparse_buffer():
    lhs = mx.nd.array([[0, 2], [0, 0], [1, 0]]).tostype('csr')
    rhs = mx.nd.ones((2, 3))
    rhs.attach_grad(stype='row_sparse')
    with mx.autograd.record():
        y = mx.nd.sparse.dot(lhs, rhs, transpose_a=False).sum()
    y.backward()
    assert rhs.grad.stype == 'row_sparse'
    np.testing.assert_array_equal(rhs.grad.asnumpy(), [[1, 1, 1], [2, 2, 2]])
