"""Parameter, ParameterDict, Block, HybridBlock and Sequential as real layers use
them: creating and sharing parameters, selecting them, initialisation order and
warnings, deferred initialisation, several contexts, naming rules, hooks, apply,
cast, save/load and the summary table (texts as MXNet 1.9 prints them)."""
import re
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, init
from d2lmini.gluon import nn, Constant, DeferredInitializationError, Parameter, ParameterDict
from d2lmini.name import NameManager
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

nd = mx.nd
CTXS = [mx.cpu(0), mx.cpu(1)]


def two_layer_net(**kwargs):
    with NameManager():
        net = nn.Sequential()
        net.add(nn.Dense(4, activation='relu', in_units=3, **kwargs), nn.Dense(2, in_units=4))
    return net


# ---------------------------------------------------------------------- ParameterDict
def test_get_creates_then_returns_the_same_parameter():
    params = ParameterDict('net_')
    w = params.get('w', shape=(2, 3))
    assert w.name == 'net_w' and params.get('w') is w and list(params) == ['net_w']
    assert params.get('w', shape=(2, 0)).shape == (2, 3)     # 0 matches any size
    with pytest.raises(AssertionError, match="attribute 'shape': desired '\\(3, 3\\)' vs "
                                             "stored '\\(2, 3\\)'"):
        params.get('w', shape=(3, 3))
    v = params.get('v', shape=(0, 3), allow_deferred_init=True)
    assert params.get('v', shape=(4, 0)) is v and v.shape == (4, 3)   # known sizes fill in
    shared = ParameterDict('net_', shared=params)
    assert shared.get('w') is w and list(shared) == ['net_w']


def test_blocks_share_parameters_through_params():
    first = nn.Dense(3, in_units=2)
    second = nn.Dense(3, in_units=2, params=first.params)
    assert second.weight is first.weight and second.prefix != first.prefix
    with pytest.raises(AssertionError, match='Cannot retrieve Parameter'):
        nn.Dense(4, in_units=2, params=first.params)


def test_collect_params_selects_by_regular_expression():
    net = two_layer_net()
    assert list(net.collect_params()) == ['dense0_weight', 'dense0_bias', 'dense1_weight',
                                          'dense1_bias']
    assert list(net.collect_params('.*weight')) == ['dense0_weight', 'dense1_weight']
    assert list(net.collect_params('dense1_.*|.*0_bias')) == ['dense0_bias', 'dense1_weight',
                                                               'dense1_bias']
    assert list(net.collect_params().select('.*bias')) == ['dense0_bias', 'dense1_bias']
    assert repr(net.collect_params('.*weight')) == (
        'sequential0_ (\n  Parameter dense0_weight (shape=(4, 3), dtype=float32)\n'
        '  Parameter dense1_weight (shape=(2, 4), dtype=float32)\n)')


# ---------------------------------------------------------------------- initialisation
def test_a_parameters_own_initializer_beats_the_global_one():
    net = two_layer_net(weight_initializer=init.One())
    net.initialize(init.Constant(3))
    assert (net[0].weight.data().asnumpy() == 1).all()          # its own init
    assert (net[0].bias.data().asnumpy() == 0).all()            # bias_initializer='zeros'
    assert (net[1].weight.data().asnumpy() == 3).all()          # the global one


def test_second_initialize_warns_unless_forced():
    net = two_layer_net()
    net.initialize(init.Zero())
    with pytest.warns(UserWarning) as record:
        net.initialize(init.One())
    assert str(record[0].message) == ("Parameter 'dense0_weight' is already initialized, "
                                      'ignoring. Set force_reinit=True to re-initialize.')
    assert len(record) == 4 and (net[1].weight.data().asnumpy() == 0).all()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        net.initialize(init.One(), force_reinit=True)
    assert (net[1].weight.data().asnumpy() == 1).all()


def test_deferred_initialisation_errors():
    with NameManager():
        pending = nn.Dense(3)
        never = nn.Dense(3, in_units=2)
    with pytest.raises(RuntimeError, match="Parameter 'dense1_weight' has not been "
                                           'initialized. Note that you should initialize'):
        never.weight.data()
    pending.initialize()
    message = ("Parameter 'dense0_weight' has not been initialized yet because "
               'initialization was deferred. Actual initialization happens during the first '
               'forward pass.')
    with pytest.raises(DeferredInitializationError, match=re.escape(message)):
        pending.weight.data()
    with pytest.raises(DeferredInitializationError):
        pending.weight.grad()
    assert pending.weight.list_ctx() == [mx.cpu(0)]
    pending(nd.ones((1, 5)))
    assert pending.weight.data().shape == (3, 5)


def test_a_parameter_used_without_its_shape_says_so():
    class Bad(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.w = self.params.get('w', shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            # broadcasting says nothing of w's shape (x * w would: the same as x's)
            return F.broadcast_mul(x, w)

    bad = Bad()
    bad.initialize()
    with pytest.raises(DeferredInitializationError, match="cannot infer the shape of "
                                                          "Parameter 'bad0_w'|bad\\d+_w"):
        bad(nd.ones(3))


# ---------------------------------------------------------------------- contexts and data
def test_data_on_several_contexts():
    with NameManager():
        layer = nn.Dense(2, in_units=3)
    layer.initialize(ctx=CTXS)
    w = layer.weight
    assert w.list_ctx() == CTXS
    assert [a.context for a in w.list_data()] == CTXS
    assert [g.context for g in w.list_grad()] == CTXS
    assert_almost_equal(w.data(CTXS[1]), w.data(CTXS[0]))      # the same initial values
    assert w.data() is w.data(CTXS[0])                          # the current context
    with pytest.raises(RuntimeError, match=re.escape(
            "Parameter 'dense0_weight' was not initialized on context cpu(2). It was only "
            'initialized on [cpu(0), cpu(1)].')):
        w.data(mx.cpu(2))
    # each copy gets the gradient of the data that ran on its context
    xs = [nd.ones((1, 3), ctx=CTXS[0]), nd.ones((2, 3), ctx=CTXS[1]) * 2]
    with autograd.record():
        losses = [layer(x).sum() for x in xs]
    autograd.backward(losses)
    assert w.list_grad()[0].asnumpy().tolist() == [[1, 1, 1]] * 2
    assert w.list_grad()[1].asnumpy().tolist() == [[4, 4, 4]] * 2


def test_set_data_zero_grad_and_reset_ctx():
    layer = nn.Dense(2, in_units=3)
    layer.initialize(ctx=CTXS)
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer.weight.set_data(nd.array(value))
    for a in layer.weight.list_data():
        assert a.asnumpy().tolist() == value.tolist()
    with pytest.raises(AssertionError, match="incompatible"):
        layer.weight.set_data(nd.ones((3, 3)))
    with autograd.record():
        y = layer(nd.ones((1, 3))).sum()
    y.backward()
    assert layer.weight.grad().asnumpy().sum() == 6
    layer.collect_params().zero_grad()
    assert all(g.asnumpy().sum() == 0 for g in layer.weight.list_grad())
    layer.collect_params().reset_ctx(mx.cpu(3))
    assert layer.weight.list_ctx() == [mx.cpu(3)]
    assert layer.weight.data().context == mx.cpu(3) and layer.bias.grad().context == mx.cpu(3)
    assert layer.weight.data().asnumpy().tolist() == value.tolist()


def test_set_data_before_a_deferred_initialisation():
    layer = nn.Dense(2)
    layer.initialize()
    layer.weight.set_data(nd.ones((2, 3)) * 7)
    assert layer.weight.shape == (2, 3)
    assert layer(nd.ones((1, 3))).asnumpy().tolist() == [[21, 21]]


def test_grad_req_null():
    layer = nn.Dense(2, in_units=3)
    layer.initialize()
    layer.weight.grad_req = 'null'
    with pytest.raises(RuntimeError, match="Cannot get gradient array for Parameter "
                                           "'dense\\d+_weight' because grad_req='null'"):
        layer.weight.grad()
    x = nd.ones((1, 3))
    x.attach_grad()
    with autograd.record():
        y = layer(x).sum()
    y.backward()
    assert layer.bias.grad().asnumpy().tolist() == [1, 1]
    assert_almost_equal(x.grad, layer.weight.data().sum(axis=0, keepdims=True))
    layer.collect_params().setattr('grad_req', 'add')
    assert layer.weight.grad_req == layer.bias.grad_req == 'add'
    # MXNet 1.x asserts: an AssertionError, and a ValueError here too
    with pytest.raises(AssertionError, match='grad_req must be one of') as info:
        layer.weight.grad_req = 'sometimes'
    assert isinstance(info.value, ValueError)


def test_wrong_inputs_and_prefixes_raise_the_types_mxnet_raises(tmp_path):
    conv = nn.Conv2D(3, 3)
    conv.initialize()
    with pytest.raises(ValueError, match=r'expects 4-D input') as info:   # MXNet: ValueError
        conv(mx.nd.ones((2, 5, 5)))
    assert isinstance(info.value, mx.MXNetError)
    dense = nn.Dense(3, in_units=2, prefix='dense_')
    dense.initialize()
    dense.save_parameters(str(tmp_path / 'dense.params'))
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Dense(3, in_units=2))
    with pytest.raises(AssertionError, match="restore_prefix is 'other_'"):
        net.collect_params().load(str(tmp_path / 'dense.params'), restore_prefix='other_')


def test_constant_parameter():
    const = Constant('c', nd.array([1, 2]))
    assert repr(const) == "Constant c (shape=(2,), dtype=<class 'numpy.float32'>)"
    assert const.grad_req == 'null'
    params = ParameterDict('net_')
    kept = params.get_constant('k', [3, 4])
    params.initialize(init.One())      # the global initializer does not touch a constant
    assert kept.data().asnumpy().tolist() == [3, 4] and kept.name == 'net_k'
    p = Parameter('p', shape=(2,))
    assert repr(p) == "Parameter p (shape=(2,), dtype=<class 'numpy.float32'>)"


# ---------------------------------------------------------------------- blocks
def test_naming_global_counters_and_name_scopes():
    class Net(nn.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.a = nn.Dense(2)
                self.b = nn.Dense(2)
                self.seq = nn.Sequential()
                with self.seq.name_scope():
                    self.seq.add(nn.Dense(3), nn.Conv2D(2, 1))
            self.outside = nn.Dense(2)       # created outside the scope: global counter

    with NameManager():
        first, second = nn.Dense(1), nn.Dense(1)
        net = Net()
        named = Net(prefix='model_')
        bare = nn.Dense(3, prefix='')
    assert (first.name, second.name) == ('dense0', 'dense1')
    assert [net.name, net.a.name, net.b.name, net.seq.name, net.seq[0].name,
            net.seq[1].name, net.outside.name] == [
        'net0', 'net0_dense0', 'net0_dense1', 'net0_sequential0', 'net0_sequential0_dense0',
        'net0_sequential0_conv0', 'dense2']
    assert named.name == 'model' and named.a.prefix == 'model_dense0_'   # counters per block
    assert bare.name == '' and bare.weight.name == 'weight'


def test_attribute_rules():
    class Net(nn.Block):
        def __init__(self):
            super().__init__()
            self.layer = nn.Dense(2)
            self.w = self.params.get('w', shape=(1,))

    net = Net()
    with pytest.raises(TypeError, match='Changing attribute type for layer'):
        net.layer = 3
    with pytest.raises(AssertionError, match='Overriding Parameter attribute w'):
        net.w = Parameter('other', shape=(1,))
    with pytest.raises(ValueError, match='Children of HybridBlock must also be HybridBlock'):
        nn.HybridSequential().add(nn.Sequential())


def test_forward_hooks_and_apply():
    net = two_layer_net()
    net.initialize()
    calls = []
    pre = net[0].register_forward_pre_hook(lambda b, inputs: calls.append(('pre', b.name)))
    post = net[0].register_forward_hook(
        lambda b, inputs, out: calls.append(('post', b.name, inputs[0].shape, out.shape)))
    net(nd.ones((5, 3)))
    assert calls == [('pre', 'dense0'), ('post', 'dense0', (5, 3), (5, 4))]
    post.detach()
    with pre:
        net(nd.ones((1, 3)))
    net(nd.ones((1, 3)))
    assert calls[2:] == [('pre', 'dense0')]        # detached, then removed by the with
    order = []
    net.apply(lambda b: order.append(b.name))
    assert order == ['dense0_relu', 'dense0', 'dense1', 'sequential0']   # children first
    net.apply(lambda b: b.collect_params('.*bias').setattr('lr_mult', 0.5))
    assert net[1].bias.lr_mult == 0.5 and net[1].weight.lr_mult == 1


def test_hybridize_a_sequential_of_hybrid_blocks_warns():
    net = two_layer_net()
    with pytest.warns(UserWarning, match="All children of this Sequential layer "
                                         "'sequential0_' are HybridBlocks"):
        net.hybridize()
    assert net[0]._active and net[0].act._active


def test_cast_changes_parameters_and_computation():
    net = two_layer_net()
    net.initialize()
    net.cast('float64')
    assert net[0].weight.data().dtype == np.float64 and net[1].bias.grad().dtype == np.float64
    assert net(nd.ones((1, 3), dtype='float64')).dtype == np.float64
    with autograd.record():
        y = net(nd.ones((2, 3), dtype='float64')).sum()
    y.backward()
    assert net[0].weight.grad().dtype == np.float64


def test_save_and_load_parameters(tmp_path):
    net = two_layer_net()
    net.initialize()
    x = nd.array(np.random.RandomState(0).randn(2, 3))
    y = net(x).asnumpy()
    net.save_parameters(str(tmp_path / 'net.params'))
    fresh = nn.Sequential()                      # other prefixes: loaded by structure
    fresh.add(nn.Dense(4, activation='relu'), nn.Dense(2))
    fresh.load_parameters(str(tmp_path / 'net.params'))
    assert_almost_equal(fresh(x), y)


def save_as(fname, dtype, **changes):
    """Ones for a two-layer net's parameters, saved in ``dtype`` (``changes``: per-name
    dtypes)."""
    net = two_layer_net()
    nd.save(fname, {k: nd.ones(p.shape, dtype=changes.get(k, dtype))
                    for k, p in net._collect_params_with_prefix().items()})


@pytest.mark.parametrize('dtype', ['float64', 'int32', 'float16'])
def test_load_parameters_refuses_another_dtype_as_mxnet_does(tmp_path, dtype):
    fname = str(tmp_path / 'net.params')
    save_as(fname, dtype)
    net = two_layer_net()
    net.initialize(init.Zero())
    with pytest.raises(AssertionError, match=rf"Failed loading Parameter '0.weight' from "
                                             rf"saved params: dtype incompatible expected "
                                             rf"float32 vs saved {dtype}\. Set cast_dtype=True"):
        net.load_parameters(fname)
    assert all((p.data().asnumpy() == 0).all() for p in net.collect_params().values())
    # a layer waiting for its first batch, and one never initialised, as in MXNet
    dense_file = str(tmp_path / 'dense.params')
    nd.save(dense_file, {'weight': nd.ones((4, 3), dtype=dtype),
                         'bias': nd.ones((4,), dtype=dtype)})
    waiting, bare = nn.Dense(4), nn.Dense(4)
    waiting.initialize()
    for dense in (waiting, bare):
        with pytest.raises(AssertionError, match='dtype incompatible'):
            dense.load_parameters(dense_file)
        dense.load_parameters(dense_file, cast_dtype=True)
        assert dense.weight.data().dtype == np.float32 and dense.weight.shape == (4, 3)


def test_load_parameters_checks_every_dtype_before_loading_any(tmp_path):
    fname = str(tmp_path / 'net.params')
    save_as(fname, 'float32', **{'1.bias': 'float64'})
    net = two_layer_net()
    net.initialize(init.Zero())
    # MXNet would load '0.weight', '0.bias' and '1.weight' before failing on '1.bias'
    with pytest.raises(AssertionError, match="'1.bias'.*Nothing was loaded"):
        net.load_parameters(fname)
    assert all((p.data().asnumpy() == 0).all() for p in net.collect_params().values())


def test_load_parameters_casts_when_asked(tmp_path):
    fname = str(tmp_path / 'net.params')
    save_as(fname, 'float64')
    net = two_layer_net()
    net.initialize(init.Zero())
    net.load_parameters(fname, cast_dtype=True)  # dtype_source='current'
    for p in net.collect_params().values():
        assert np.dtype(p.dtype) == np.float32 and p.data().dtype == np.float32
        assert (p.data().asnumpy() == 1).all()
    net.load_parameters(fname, cast_dtype=True, dtype_source='saved')
    for p in net.collect_params().values():
        assert np.dtype(p.dtype) == np.float64 and p.data().dtype == np.float64
        assert p.grad().dtype == np.float64
    assert net(nd.ones((1, 3), dtype='float64')).dtype == np.float64
    with pytest.raises(AssertionError, match="dtype_source must be 'current' or 'saved'"):
        net.load_parameters(fname, cast_dtype=True, dtype_source='file')
    net.load_parameters(fname, dtype_source='file')  # ignored without cast_dtype, as in MXNet


def test_parameter_dict_load_refuses_another_dtype_too(tmp_path):
    fname = str(tmp_path / 'net.params')
    net = two_layer_net()
    net.initialize(init.One())
    net.cast('float64')
    net.collect_params().save(fname)
    net.cast('float32')
    with pytest.raises(AssertionError, match="'dense0_weight'.*expected float32 vs saved "
                                             "float64.*Other parameters saved with another "
                                             "dtype: 'dense0_bias'"):
        net.collect_params().load(fname)
    net.collect_params().load(fname, cast_dtype=True)
    assert net[0].weight.data().dtype == np.float32
    # set_data assigns, converting to the parameter's dtype, as in MXNet
    net[0].bias.set_data(nd.array([1, 2, 3, 4], dtype='float64'))
    assert net[0].bias.data().dtype == np.float32


SUMMARY = '''\
--------------------------------------------------------------------------------
        Layer (type)                                Output Shape         Param #
================================================================================
               Input                                      (2, 3)               0
        Activation-1                                      (2, 4)               0
             Dense-2                                      (2, 4)              16
             Dense-3                                      (2, 2)              10
         BatchNorm-4                                      (2, 2)               8
================================================================================
Parameters in forward computation graph, duplicate included
   Total params: 34
   Trainable params: 30
   Non-trainable params: 4
Shared params in forward computation graph: 0
Unique parameters in model: 34
--------------------------------------------------------------------------------
'''

SHARED_SUMMARY = '''\
--------------------------------------------------------------------------------
        Layer (type)                                Output Shape         Param #
================================================================================
               Input                              (2, 3), (4, 3)               0
             Dense-1                                      (2, 2)               8
             Dense-2                                      (4, 2)               8
               Two-3                              (2, 2), (4, 2)               0
================================================================================
Parameters in forward computation graph, duplicate included
   Total params: 16
   Trainable params: 16
   Non-trainable params: 0
Shared params in forward computation graph: 8
Unique parameters in model: 8
--------------------------------------------------------------------------------
'''


def test_summary_as_mxnet_prints_it(capsys):
    net = nn.Sequential()
    net.add(nn.Dense(4, activation='relu', in_units=3), nn.Sequential())
    net[1].add(nn.Dense(2, in_units=4), nn.BatchNorm(in_channels=2))
    net.initialize()
    net.summary(nd.ones((2, 3)))     # containers get no row of their own
    assert capsys.readouterr().out == SUMMARY
    assert not net[0]._forward_hooks       # the hooks are removed afterwards

    class Two(nn.Block):
        def __init__(self):
            super().__init__()
            self.a = nn.Dense(2, in_units=3)
            self.b = nn.Dense(2, in_units=3, params=self.a.params)

        def forward(self, x, y):
            return self.a(x), self.b(y)

    two = Two()
    two.initialize()
    two.summary(nd.ones((2, 3)), nd.ones((4, 3)))
    assert capsys.readouterr().out == SHARED_SUMMARY
