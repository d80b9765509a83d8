"""``HybridBlock.export`` and ``gluon.SymbolBlock`` against files MXNet 1.9.1 wrote
(tests/fixtures/symbol/, made by tools/make_symbol_fixtures.py): MXNet's exports load
here and give its outputs; our exports of the same networks are MXNet's files, byte for
byte. (tools/check_export_in_mxnet.py runs our exports in MXNet itself.)"""
import importlib.util
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, gluon, nd
from d2lmini.base import MXNetError

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, 'fixtures', 'symbol')
NETS = ['lenet', 'mlp', 'res']


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        'make_symbol_fixtures', os.path.join(HERE, '..', 'tools', 'make_symbol_fixtures.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _build_nets():
    return _fixture_module().build_nets(mx)


def _fixture(name, kind):
    return os.path.join(FIXTURES, f'{name}-{kind}')


@pytest.mark.parametrize('name', NETS)
def test_mxnet_exports_import_and_give_mxnets_outputs(name):
    net = gluon.SymbolBlock.imports(_fixture(name, 'symbol.json'), ['data'],
                                    _fixture(name, '0000.params'))
    io = nd.load(_fixture(name, 'io.params'))
    np.testing.assert_allclose(net(io['input']).asnumpy(), io['output'].asnumpy(),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('hybridize', [False, True])
def test_mxnet_rnn_export_imports_for_any_batch_and_length(hybridize):
    """MXNet exports a GRU layer as one RNN node with zero begin states of unknown
    batch size (0): the shape is completed from the data, for every batch size."""
    net = gluon.SymbolBlock.imports(_fixture('rnn', 'symbol.json'), ['data'],
                                    _fixture('rnn', '0000.params'))
    if hybridize:
        net.hybridize()
    io = nd.load(_fixture('rnn', 'io.params'))
    np.testing.assert_allclose(net(io['input']).asnumpy(), io['output'].asnumpy(),
                               rtol=1e-4, atol=1e-5)
    x = io['input']
    longer = nd.concat(x, x, dim=0)[:, :1]          # 10 steps, batch 1
    out = net(longer).asnumpy()
    assert out.shape == (10, 1, 2)
    # the first five steps of the forward direction do not see the later ones, but
    # the reverse direction does: only the shapes are comparable, and the values finite
    assert np.isfinite(out).all()


def test_rnn_layer_gives_mxnets_outputs_and_exports_a_graph_mxnet_reads(tmp_path):
    net, _ = _fixture_module().build_rnn(mx)
    net.initialize()
    saved = nd.load(_fixture('rnn', '0000.params'))
    params = net.collect_params()
    assert sorted(k.split(':', 1)[1] for k in saved) == sorted(params.keys())
    for key, value in saved.items():
        params[key.split(':', 1)[1]].set_data(value)
    io = nd.load(_fixture('rnn', 'io.params'))
    for hybridize in (False, True):
        net.hybridize(hybridize)
        np.testing.assert_allclose(net(io['input']).asnumpy(), io['output'].asnumpy(),
                                   rtol=1e-4, atol=1e-5)
    sym_file, params_file = net.export(str(tmp_path / 'rnn'))
    back = gluon.SymbolBlock.imports(sym_file, ['data'], params_file)
    np.testing.assert_allclose(back(io['input']).asnumpy(), io['output'].asnumpy(),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', NETS)
def test_our_exports_are_mxnets_files(name, tmp_path):
    net, _ = _build_nets()[name]
    net.initialize()
    saved = nd.load(_fixture(name, '0000.params'))
    params = net.collect_params()
    assert sorted(k.split(':', 1)[1] for k in saved) == sorted(params.keys())
    for key, value in saved.items():
        params[key.split(':', 1)[1]].set_data(value)
    io = nd.load(_fixture(name, 'io.params'))
    np.testing.assert_allclose(net(io['input']).asnumpy(), io['output'].asnumpy(),
                               rtol=1e-4, atol=1e-5)
    sym_file, params_file = net.export(str(tmp_path / name), epoch=3)
    assert sym_file.endswith(f'{name}-symbol.json') and params_file.endswith(f'{name}-0003.params')
    with open(sym_file) as ours, open(_fixture(name, 'symbol.json')) as theirs:
        assert ours.read() == theirs.read()
    with open(params_file, 'rb') as ours, open(_fixture(name, '0000.params'), 'rb') as theirs:
        assert ours.read() == theirs.read()
    assert sorted(os.listdir(tmp_path)) == sorted([f'{name}-symbol.json', f'{name}-0003.params'])


def test_params_are_keyed_arg_and_aux(tmp_path):
    net, _ = _build_nets()['res']
    net.initialize()
    _, params_file = net.export(str(tmp_path / 'res'))
    keys = sorted(nd.load(params_file))
    assert 'aux:res_block_batchnorm0_running_mean' in keys
    assert 'arg:res_block_batchnorm0_gamma' in keys
    assert all(k.startswith(('arg:', 'aux:')) for k in keys)


def test_symbol_block_trains_with_autograd():
    data = mx.sym.var('data')
    out = mx.sym.FullyConnected(data, num_hidden=2, name='fc')
    net = gluon.SymbolBlock(out, data)
    assert sorted(net.collect_params().keys()) == ['fc_bias', 'fc_weight']
    net.initialize(mx.init.One())
    x = nd.array([[1., 2., 3.]])
    with autograd.record():
        y = net(x)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [[7., 7.]])
    np.testing.assert_array_equal(net.collect_params()['fc_weight'].grad().asnumpy(),
                                  [[1., 2., 3.], [1., 2., 3.]])
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    trainer.step(1)
    np.testing.assert_allclose(net.collect_params()['fc_bias'].data().asnumpy(), [0.9, 0.9])


def test_symbol_block_batchnorm_states_and_symbol_input():
    net = gluon.SymbolBlock.imports(_fixture('res', 'symbol.json'), 'data',
                                    _fixture('res', '0000.params'))
    params = net.collect_params()
    assert params['res_block_batchnorm0_running_mean'].grad_req == 'null'
    assert params['res_block_batchnorm0_gamma'].grad_req == 'write'
    composed = net(mx.sym.var('x'))
    assert composed.list_arguments()[0] == 'x'
    io = nd.load(_fixture('res', 'io.params'))
    before = params['res_block_batchnorm0_running_mean'].data().asnumpy().copy()
    with autograd.record():              # training: batch statistics, and the moving
        net(io['input']).sum().backward()  # averages move
    assert not np.allclose(params['res_block_batchnorm0_running_mean'].data().asnumpy(),
                           before)


def test_several_outputs_and_deferred_shapes():
    data = mx.sym.var('data')
    fc = mx.sym.FullyConnected(data, num_hidden=4, name='fc')
    net = gluon.SymbolBlock([fc, mx.sym.relu(fc)], [data])
    net.initialize()
    a, b = net(nd.ones((2, 5)))
    assert a.shape == b.shape == (2, 4)
    assert net.collect_params()['fc_weight'].shape == (4, 5)


def test_mismatched_files_are_refused(tmp_path):
    net, _ = _build_nets()['mlp']
    net.initialize()
    sym_file, params_file = net.export(str(tmp_path / 'mlp'))
    arrays = nd.load(params_file)
    missing = dict(arrays)
    del missing['arg:mlp_dense1_bias']
    nd.save(str(tmp_path / 'missing.params'), missing)
    with pytest.raises(AssertionError, match='mlp_dense1_bias'):
        gluon.SymbolBlock.imports(sym_file, ['data'], str(tmp_path / 'missing.params'))
    gluon.SymbolBlock.imports(sym_file, ['data'], str(tmp_path / 'missing.params'),
                              allow_missing=True)
    extra = dict(arrays, **{'arg:stranger': nd.ones(2)})
    nd.save(str(tmp_path / 'extra.params'), extra)
    with pytest.raises(AssertionError, match='stranger'):
        gluon.SymbolBlock.imports(sym_file, ['data'], str(tmp_path / 'extra.params'))
    gluon.SymbolBlock.imports(sym_file, ['data'], str(tmp_path / 'extra.params'),
                              ignore_extra=True)
    bad = dict(arrays, **{'arg:mlp_dense1_weight': nd.ones((3, 7))})
    nd.save(str(tmp_path / 'bad.params'), bad)
    # a shape only the data can contradict is refused at the first call, naming both
    loaded = gluon.SymbolBlock.imports(sym_file, ['data'], str(tmp_path / 'bad.params'))
    with pytest.raises(MXNetError, match=r'mlp_dense1_weight.*\[3,7\].*\[3,8\]'):
        loaded(nd.ones((2, 5)))
    bad = dict(arrays, **{'arg:mlp_dense1_bias': nd.ones(4)})
    nd.save(str(tmp_path / 'bad_bias.params'), bad)
    loaded = gluon.SymbolBlock.imports(sym_file, ['data'], str(tmp_path / 'bad_bias.params'))
    with pytest.raises(MXNetError, match=r'mlp_dense1_bias.*\[4\].*\[3\]'):
        loaded(nd.ones((2, 5)))
    with pytest.raises(MXNetError, match='nosuch'):
        gluon.SymbolBlock.imports(sym_file, ['nosuch'], params_file)
