"""``Block.save`` / ``Block.load`` against files MXNet 1.9.1 wrote
(tests/fixtures/block_save_load/, made by tools/make_block_save_load_fixtures.py, whose
``--check`` runs our files in MXNet): MXNet's files load here into models built anew and
give its outputs; our files for the same models are MXNet's JSON, byte for byte."""
import json
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import nd
from d2lmini.gluon import nn
from d2lmini.gluon.block_files import ModelMismatchError
from fixture_tools import load_tool

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, 'fixtures', 'block_save_load')
MODELS = ['seq', 'hybrid', 'deferred', 'custom', 'twoway']


def _run(tool, net, io):
    inputs = [io[f'x{i}'] for i in range(sum(k.startswith('x') for k in io))]
    return tool.flat_outputs(net(*inputs))


@pytest.fixture(scope='module')
def tool():
    return load_tool('make_block_save_load_fixtures')


@pytest.fixture(scope='module')
def our_files(tool, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp('ours'))
    tool.save_all(mx, folder, 0)
    return folder


def _mlp(activation='relu'):
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=4, activation=activation), nn.Dense(2, in_units=3))
    return net


@pytest.mark.parametrize('name', MODELS)
def test_mxnet_files_load_and_give_mxnets_outputs(tool, name):
    net = tool.build_models(mx, named=False)[name][0]
    net.load(os.path.join(FIXTURES, name))
    io = nd.load(os.path.join(FIXTURES, f'{name}-io.params'))
    outputs = _run(tool, net, io)
    assert len(outputs) == sum(k.startswith('y') for k in io)
    for i, out in enumerate(outputs):
        np.testing.assert_allclose(out.asnumpy(), io[f'y{i}'].asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', MODELS)
def test_our_json_is_mxnets_byte_for_byte(our_files, name):
    with open(os.path.join(our_files, f'{name}-model.json')) as f:
        ours = f.read()
    with open(os.path.join(FIXTURES, f'{name}-model.json')) as f:
        assert ours == f.read()
    ours = nd.load(os.path.join(our_files, f'{name}-model.params'))
    theirs = nd.load(os.path.join(FIXTURES, f'{name}-model.params'))
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [v.shape for v in theirs.values()]


def test_the_architecture_entries():
    with open(os.path.join(FIXTURES, 'custom-model.json')) as f:
        tree = json.load(f)
    net = tree['net0']
    assert net['orig_name'] == 'net' and 'hybridized' not in net     # a Block
    assert net['children'] == {'net_hybridsequential0': 'body', 'net_dense1': 'head'}
    assert list(net) == ['orig_name', 'children', 'hybridsequential1', 'dense5']
    body = net['hybridsequential1']
    assert list(body) == ['orig_name', 'in_format', 'out_format', 'inputs', 'symbol',
                          'hybridized', 'children', 'dense2', 'batchnorm4']
    assert body['hybridized'] is True and body['in_format'] == [0]
    assert body['dense2']['children'] == {'net_dense0_relu': 'act'}
    assert body['dense2']['activation3'] == {'orig_name': 'net_dense0_relu',
                                             'hybridized': False, 'children': {}}


def test_hybridized_model_gets_its_graph_back_with_this_models_names(tool):
    net = tool.build_models(mx, named=False)['twoway'][0]
    net.load(os.path.join(FIXTURES, 'twoway'))
    assert net._active
    names, graph, single = net._cached_graph
    assert names == ['data0', 'data1'] and not single
    assert net._in_format == [0, 0] and net._out_format == [0, [0, 0]]
    assert sorted(graph.list_arguments()) == sorted(
        ['data0', 'data1'] + [p.name for p in net.collect_params().values()])
    # the names are this model's, which still traces a new graph (MXNet's cannot)
    net.hybridize()
    io = nd.load(os.path.join(FIXTURES, 'twoway-io.params'))
    np.testing.assert_allclose(_run(tool, net, io)[2].asnumpy(), io['y2'].asnumpy(),
                               rtol=1e-5)


def test_a_block_with_a_traced_graph_is_hybridized_by_load(tool):
    # a deferred Dense traces its graph to learn its shapes: MXNet saves it as
    # hybridized, and load hybridizes it
    net = tool.build_models(mx, named=False)['deferred'][0]
    net.load(os.path.join(FIXTURES, 'deferred'))
    assert not net._active and net[0]._active and net[1]._active
    assert net[0].weight.shape == (3, 4)


def test_round_trip_in_d2lmini(tmp_path):
    prefix = str(tmp_path / 'mlp')
    net = _mlp()
    net.initialize(mx.init.Uniform(1.0))
    net.hybridize()
    x = nd.array(np.arange(8).reshape(2, 4))
    y = net(x)
    net.save(prefix)
    copy = _mlp()
    copy.load(prefix)
    assert copy._active
    np.testing.assert_allclose(copy(x).asnumpy(), y.asnumpy(), rtol=1e-6)
    assert copy.prefix != net.prefix and copy[0].weight.name != net[0].weight.name


def test_the_saved_graph_is_what_runs(tmp_path):
    # as in MXNet, the graph comes from the file, not from the model's code
    prefix = str(tmp_path / 'mlp')
    net = _mlp('relu')
    net.initialize(mx.init.Uniform(1.0))
    net.hybridize()
    x = nd.array(np.linspace(-3, 3, 8).reshape(2, 4))
    y = net(x)
    net.save(prefix)
    other = _mlp('tanh')
    other.load(prefix)
    np.testing.assert_allclose(other(x).asnumpy(), y.asnumpy(), rtol=1e-6)


def test_children_get_their_saved_attribute_names(tmp_path):
    class Holder(nn.Block):
        def __init__(self, attr, **kwargs):
            super().__init__(**kwargs)
            setattr(self, attr, nn.Dense(2, in_units=2))

        def forward(self, x):
            return x

    prefix = str(tmp_path / 'holder')
    saved = Holder('fc')
    saved.initialize()
    saved.save(prefix)
    loaded = Holder('other')
    loaded.load(prefix)
    assert list(loaded._children) == ['fc']
    np.testing.assert_array_equal(loaded.other.weight.data().asnumpy(),
                                  saved.fc.weight.data().asnumpy())


def test_a_block_registered_twice_loads_back(tmp_path):
    def build():
        dense = nn.Dense(2, in_units=2)
        net = nn.Sequential()
        net.add(dense, dense)
        return net

    prefix = str(tmp_path / 'twice')
    net = build()
    net.initialize()
    net.save(prefix)
    with open(prefix + '-model.json') as f:
        entry = next(iter(json.load(f).values()))
    assert entry['children'] == {net[0].name: '1'}     # listed once, as MXNet does
    copy = build()
    copy.load(prefix)
    assert list(copy._children) == ['0', '1']
    np.testing.assert_array_equal(copy[0].weight.data().asnumpy(),
                                  net[0].weight.data().asnumpy())


def test_children_without_prefix_load_back(tmp_path):
    # as a ResNet's body and downsample: both are named after their parent
    class Residual(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.body = nn.HybridSequential(prefix='')
                self.body.add(nn.Dense(2, in_units=2))
                self.downsample = nn.HybridSequential(prefix='')
                self.downsample.add(nn.Dense(2, in_units=2))

        def hybrid_forward(self, F, x):
            return self.body(x) + self.downsample(x)

    prefix = str(tmp_path / 'residual')
    net = Residual()
    net.initialize(mx.init.Uniform(1.0))
    net.hybridize()
    x = nd.array([[1.0, -2.0]])
    y = net(x)
    net.save(prefix)
    with open(prefix + '-model.json') as f:
        entry = next(iter(json.load(f).values()))
    assert entry['children'] == {net.name: 'downsample'}
    copy = Residual()
    copy.load(prefix)
    assert list(copy._children) == ['body', 'downsample']
    np.testing.assert_allclose(copy(x).asnumpy(), y.asnumpy(), rtol=1e-6)


@pytest.fixture
def saved_mlp(tmp_path):
    prefix = str(tmp_path / 'mlp')
    net = _mlp()
    net.initialize()
    net.save(prefix)
    return prefix


def test_another_class_in_place_is_named(saved_mlp):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(3, 1, in_channels=4), nn.Dense(2, in_units=3))
    with pytest.raises(ModelMismatchError,
                       match=r"HybridSequential\.0 is a Conv2D, saved as 'conv2d1', but the "
                             r"file .* has 'dense1' there") as info:
        net.load(saved_mlp)
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)


def test_more_or_fewer_children_are_refused(saved_mlp):
    more = _mlp()
    more.add(nn.Dense(2, in_units=2))
    with pytest.raises(KeyError, match='has 3 children, but the file .* saved 2'):
        more.load(saved_mlp)
    fewer = nn.HybridSequential()
    fewer.add(nn.Dense(3, in_units=4, activation='relu'))
    with pytest.raises(ValueError, match='has 1 children, but the file .* saved 2'):
        fewer.load(saved_mlp)
    no_act = nn.HybridSequential()
    no_act.add(nn.Dense(3, in_units=4), nn.Dense(2, in_units=3))
    with pytest.raises(ModelMismatchError, match=r'HybridSequential\.0 \(Dense\) has 0 children'):
        no_act.load(saved_mlp)


def test_a_failed_load_leaves_the_model_unchanged(tmp_path):
    class Pair(nn.Block):
        def __init__(self, first, width, **kwargs):
            super().__init__(**kwargs)
            setattr(self, first, nn.Dense(width, in_units=2))
            self.last = nn.Dense(2, in_units=width)

    prefix = str(tmp_path / 'pair')
    saved = Pair('a', 3)
    saved.initialize()
    saved.save(prefix)
    target = Pair('b', 5)          # same structure, other shapes
    target.initialize()
    before = target.b.weight.data().asnumpy().copy()
    with pytest.raises(AssertionError, match='shape'):
        target.load(prefix)
    assert list(target._children) == ['b', 'last']
    np.testing.assert_array_equal(target.b.weight.data().asnumpy(), before)


def test_broken_or_missing_files(tmp_path, saved_mlp):
    with pytest.raises(FileNotFoundError):
        _mlp().load(str(tmp_path / 'nothing'))
    bad = str(tmp_path / 'bad')
    with open(bad + '-model.json', 'w') as f:
        f.write('{"hybridsequential0": {"orig_name": "x"}}')
    with pytest.raises(ValueError, match="lacks 'orig_name' or 'children'"):
        _mlp().load(bad)
    with open(bad + '-model.json', 'w') as f:
        f.write('not json')
    with pytest.raises(ValueError, match='not a model file written by Block.save'):
        _mlp().load(bad)


def test_save_is_all_or_nothing(tmp_path):
    prefix = str(tmp_path / 'mlp')
    net = _mlp()
    net.initialize()
    net.save(prefix)
    with open(prefix + '-model.json') as f:
        old_json = f.read()
    with open(prefix + '-model.params', 'rb') as f:
        old_params = f.read()
    fresh = nn.HybridSequential()
    fresh.add(nn.Dense(1, in_units=1))
    with pytest.raises(RuntimeError, match='has not been initialized'):
        fresh.save(prefix)
    with open(prefix + '-model.json') as f:
        assert f.read() == old_json
    with open(prefix + '-model.params', 'rb') as f:
        assert f.read() == old_params
    assert sorted(os.listdir(tmp_path)) == ['mlp-model.json', 'mlp-model.params']


def test_a_model_without_parameters(tmp_path):
    class Identity(nn.Block):
        def forward(self, x):
            return x

    prefix = str(tmp_path / 'identity')
    Identity(prefix='identity0_').save(prefix)
    with open(prefix + '-model.json') as f:
        assert f.read() == '{"identity0": {"orig_name": "identity0", "children": {}}}'
    assert nd.load(prefix + '-model.params') == []     # as MXNet writes it
    Identity().load(prefix)
