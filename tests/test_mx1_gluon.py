"""Gluon behaviours that MXNet 1.x programs rely on: parameter storage types, the
arguments a HybridBlock accepts, names traced inside containers, SymbolBlock and
legacy parameter files, summary of hybridized blocks. Expected values were checked
against MXNet 1.9."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon
from d2lmini.gluon import nn


# ---------------------------------------------------------------- Parameter
@pytest.mark.parametrize('arg', ['stype', 'grad_stype'])
def test_parameter_rejects_unknown_storage_type(arg):
    with pytest.raises(AssertionError, match=f"{arg} for Parameter 'w' must be one of"):
        gluon.Parameter('w', shape=(2, 2), **{arg: 'dense'})


def test_parameter_accepts_mxnet_storage_types():
    for stype in ('default', 'row_sparse', 'csr'):
        p = gluon.Parameter('w', shape=(2, 2), stype=stype, grad_stype=stype)
        p.initialize(mx.init.One())
        if stype == 'default':
            assert p.data().asnumpy().tolist() == [[1.0, 1.0]] * 2
        else:   # sparse data is read otherwise (row_sparse_data), as in MXNet 1.x
            assert p.list_ctx() == [mx.cpu()]
            with pytest.raises(RuntimeError, match=stype):
                p.data()


# ---------------------------------------------------------------- HybridBlock inputs
class _AddOptional(gluon.HybridBlock):
    """a + b, where either may be None."""

    def hybrid_forward(self, F, a, b=None):
        if a is None:
            return b
        if b is None:
            return a
        return a + b


class _Nested(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.f1 = _AddOptional()
        self.f2 = _AddOptional()

    def hybrid_forward(self, F, a, b):
        return self.f2(self.f1(a, b), b)


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('a_is_none', [False, True])
def test_hybrid_block_takes_none_arguments(hybridize, a_is_none):
    net = _Nested()
    if hybridize:
        net.hybridize()
    a = None if a_is_none else mx.nd.array([1., 2.])
    b = mx.nd.array([10., 20.])
    expected = [20., 40.] if a_is_none else [21., 42.]
    for _ in range(2):  # the second call runs the compiled graph
        assert net(a, b).asnumpy().tolist() == expected


def test_hybridized_block_accepts_left_out_default_arguments():
    net = _AddOptional()
    net.hybridize()
    x = mx.nd.array([3.])
    assert net(x, None).asnumpy().tolist() == [3.]
    assert net(x).asnumpy().tolist() == [3.]        # same structure but for a trailing None
    with pytest.raises(ValueError, match='does not match the cached version'):
        net(x, x)


@pytest.mark.parametrize('hybridize', [False, True])
def test_hybrid_block_needs_an_array(hybridize):
    net = _Nested()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match='at least one NDArray or one Symbol'):
        net(None, None)


@pytest.mark.parametrize('hybridize', [False, True])
def test_hybrid_block_refuses_mixed_arrays_and_symbols(hybridize):
    net = _AddOptional()
    if hybridize:
        net.hybridize()
    with pytest.raises(ValueError, match='mix of NDArrays and Symbols'):
        net(mx.nd.ones((2,)), mx.sym.var('b'))
    with pytest.raises(ValueError, match='mix of NDArrays and Symbols'):
        net(mx.sym.var('a'), mx.nd.ones((2,)))


class _SumAll(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b):
        a = sum(a) if isinstance(a, (list, tuple)) else a
        b = sum(b) if isinstance(b, (list, tuple)) else b
        return a + b


def test_eager_hybrid_block_takes_lists_and_scalars():
    net = _SumAll()
    ones = mx.nd.ones((2,))
    assert net([ones, ones], [ones, ones, ones]).asnumpy().tolist() == [5., 5.]
    assert net(ones, 3).asnumpy().tolist() == [4., 4.]


def test_hybridized_block_refuses_scalars_and_several_contexts():
    net = _SumAll()
    net.hybridize()
    with pytest.raises(ValueError, match='list of Symbol or NDArray'):
        net(mx.nd.ones((2,)), 1)
    net = _SumAll()
    net.hybridize()
    with pytest.raises(ValueError, match='one context only'):
        net(mx.nd.ones((2,), ctx=mx.cpu(1)), mx.nd.ones((2,), ctx=mx.cpu(2)))


def test_hybridized_block_takes_nested_lists():
    net = _SumAll()
    net.hybridize()
    ones = mx.nd.ones((2,))
    assert net([ones, ones], ones).asnumpy().tolist() == [3., 3.]


# ---------------------------------------------------------------- names in containers
class _Relu(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type='relu')


def test_hybrid_sequential_traces_children_in_its_name_scope():
    stage = nn.HybridSequential(prefix='stage1_')
    with stage.name_scope():
        stage.add(_Relu(prefix=''))     # as model-zoo ResNets build their stages
    assert stage(mx.sym.var('data')).list_outputs() == ['stage1_activation0_output']


def test_resnet_stage_outputs_have_mxnet_names():
    net = gluon.model_zoo.vision.resnet18_v1(prefix='resnetv10_')
    names = net(mx.sym.var('data')).get_internals().list_outputs()
    assert 'resnetv10_stage1_activation0_output' in names
    assert 'resnetv10_stage4_activation1_output' in names


# ---------------------------------------------------------------- SymbolBlock
def _fc_block(name):
    data = mx.sym.var('data')
    return gluon.SymbolBlock(mx.sym.FullyConnected(data, num_hidden=2, name=name), data)


class _Wrap(gluon.HybridBlock):
    def __init__(self, body, **kwargs):
        super().__init__(**kwargs)
        self.body = body

    def hybrid_forward(self, F, x):
        return self.body(x)


def test_symbol_block_registers_parameters_without_their_common_prefix(tmp_path):
    block = _fc_block('net0_fc')
    assert sorted(block._reg_params) == ['bias', 'weight']
    assert sorted(block.collect_params().keys()) == ['net0_fc_bias', 'net0_fc_weight']
    block.initialize(mx.init.One())
    block(mx.nd.ones((1, 3)))
    fname = str(tmp_path / 'wrapped.params')
    _Wrap(block).save_parameters(fname)
    assert sorted(mx.nd.load(fname)) == ['body.bias', 'body.weight']
    # so a network built with other prefixes loads the file
    other = _Wrap(_fc_block('net1_fc'))
    other.load_parameters(fname)
    assert other(mx.nd.ones((1, 3))).asnumpy().tolist() == [[4., 4.]]


def test_symbol_block_is_in_gluon_nn():
    assert nn.SymbolBlock is gluon.SymbolBlock


# ---------------------------------------------------------------- legacy files
def test_save_params_writes_names_without_the_block_prefix(tmp_path):
    net = nn.HybridSequential(prefix='model_')
    with net.name_scope():
        net.add(nn.Dense(2, in_units=3))
    net.initialize()
    fname = str(tmp_path / 'legacy.params')
    with pytest.warns(UserWarning, match='save_params is deprecated'):
        net.save_params(fname)
    assert sorted(mx.nd.load(fname)) == ['dense0_bias', 'dense0_weight']
    other = nn.HybridSequential(prefix='other_')
    with other.name_scope():
        other.add(nn.Dense(2, in_units=3))
    with pytest.warns(UserWarning, match='load_params is deprecated'):
        other.load_params(fname)
    np.testing.assert_array_equal(other[0].weight.data().asnumpy(),
                                  net[0].weight.data().asnumpy())


# ---------------------------------------------------------------- summary
def test_summary_refuses_a_hybridized_block(capsys):
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2))
    net.initialize()
    net.summary(mx.nd.ones((1, 2)))
    assert 'Dense-1' in capsys.readouterr().out
    net.hybridize()
    with pytest.raises(AssertionError, match='must not be hybridized'):
        net.summary(mx.nd.ones((1, 2)))
    # the refused call left no hook behind
    assert not net[0]._forward_hooks and not net._forward_hooks


def test_symbol_block_takes_parameter_dtypes_from_its_inputs(tmp_path):
    data64 = mx.sym.var('data', dtype='float64')
    graph = mx.sym.FullyConnected(mx.sym.BatchNorm(data64, name='bn'), num_hidden=2, name='fc')
    block = gluon.SymbolBlock(graph, data64)
    assert {p.name: np.dtype(p.dtype).name for p in block.collect_params().values()} == {
        'bn_gamma': 'float64', 'bn_beta': 'float64', 'bn_moving_mean': 'float64',
        'bn_moving_var': 'float64', 'fc_weight': 'float64', 'fc_bias': 'float64'}
    # so the parameters of a model exported in float64 load without casting
    fname = str(tmp_path / 'fc64.params')
    mx.nd.save(fname, {'fc_weight': mx.nd.ones((2, 3), dtype='float64'),
                       'fc_bias': mx.nd.zeros((2,), dtype='float64')})
    plain = mx.sym.var('data')
    block = gluon.SymbolBlock(mx.sym.FullyConnected(plain, num_hidden=2, name='fc'), plain)
    assert np.dtype(block.collect_params()['fc_weight'].dtype) == np.float32
    fc64 = mx.sym.FullyConnected(data64, num_hidden=2, name='fc')
    block = gluon.SymbolBlock(fc64, data64)
    block.collect_params().load(fname)
    out = block(mx.nd.ones((1, 3), dtype='float64'))
    assert out.dtype == np.float64 and out.asnumpy().tolist() == [[3., 3.]]


def test_symbol_block_repr_shows_the_graph():
    data = mx.sym.var('data')
    block = gluon.SymbolBlock(mx.sym.FullyConnected(data, num_hidden=2, name='fc'), data)
    assert str(block).splitlines() == ['SymbolBlock(', '<Symbol fc> : 1 -> 1', ')']


# ---------------------------------------------------------------- more of MXNet 1.x's API
def test_setting_a_parameter_dtype_casts_its_data():
    p = gluon.Parameter('w', shape=(2,))
    p.initialize(mx.init.One())
    p.dtype = 'float16'
    assert p.data().dtype == np.float16 and p.grad().dtype == np.float16
    later = gluon.Parameter('v', shape=(2,))
    later.dtype = 'float64'
    later.initialize()
    assert later.data().dtype == np.float64


def test_parameter_dict_load_dict():
    params = gluon.ParameterDict('net_')
    w = params.get('w', shape=(2,))
    params.load_dict({'arg:w': mx.nd.array([1., 2.])}, restore_prefix='net_')
    assert w.data().asnumpy().tolist() == [1., 2.]
    with pytest.raises(AssertionError, match="'net_w'"):
        params.load_dict({'other': mx.nd.array([1., 2.])}, ignore_extra=True)


def test_hybrid_block_infer_shape_leaves_initialization_to_forward():
    net = nn.HybridSequential()
    net.add(nn.Dense(3), nn.BatchNorm())
    net.initialize()
    net.infer_shape(mx.nd.ones((2, 5)))
    assert [p.shape for p in net.collect_params().values()] == [(3, 5), (3,), (3,), (3,),
                                                                 (3,), (3,)]
    with pytest.raises(gluon.DeferredInitializationError):
        net[0].weight.data()
    assert net(mx.nd.ones((2, 5))).shape == (2, 3)


class _Holder(gluon.Block):
    def __init__(self, params=None):
        super().__init__(params=params)
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(2,))


class _Pair(gluon.Block):
    def __init__(self, first, second):
        super().__init__()
        self.b1, self.b2 = first, second


def _shared_pair():
    first = _Holder()
    return _Pair(first, _Holder(params=first.collect_params()))


def test_load_parameters_of_a_deduplicated_shared_parameter(tmp_path):
    pair = _shared_pair()
    pair.initialize(mx.init.Constant(3.0))
    fname = str(tmp_path / 'shared.params')
    pair.save_parameters(fname, deduplicate=True)
    assert list(mx.nd.load(fname)) == ['b1.weight']
    other = _shared_pair()
    other.load_parameters(fname)    # 'b2.weight' is the same parameter, loaded once
    assert other.b2.weight.data().asnumpy().tolist() == [3.0, 3.0]
    with pytest.raises(AssertionError, match="'b1.weight', 'b2.weight' missing"):
        _shared_pair().load_parameters(_empty_params_file(tmp_path))


def _empty_params_file(tmp_path):
    fname = str(tmp_path / 'other.params')
    mx.nd.save(fname, {'c.weight': mx.nd.ones((2,))})
    return fname


def test_symbol_block_reset_ctx():
    block = _fc_block('fc')
    block.initialize(ctx=mx.cpu(0))
    block(mx.nd.ones((1, 3)))
    block.reset_ctx([mx.cpu(1), mx.cpu(2)])
    assert block.collect_params()['fc_weight'].list_ctx() == [mx.cpu(1), mx.cpu(2)]
    assert block(mx.nd.ones((1, 3), ctx=mx.cpu(2))).context == mx.cpu(2)


def test_error_types_are_mxnets():
    # MXNet 1.x: DeferredInitializationError is an MXNetError; ArrayDataset checks
    # with assert
    net = gluon.nn.Dense(3)
    net.initialize()
    with pytest.raises(mx.MXNetError, match='deferred'):
        net.weight.data()
    with pytest.raises(AssertionError, match='same length'):
        gluon.data.ArrayDataset(np.arange(3), np.arange(2))
    with pytest.raises(ValueError, match='same length'):   # and a ValueError still
        gluon.data.ArrayDataset(np.arange(3), np.arange(2))
    # a deferred layer still initialises from its first input inside a network
    seq = gluon.nn.Sequential()
    seq.add(gluon.nn.Dense(2), gluon.nn.Dense(1))
    seq.initialize()
    assert seq(mx.nd.ones((4, 5))).shape == (4, 1)
