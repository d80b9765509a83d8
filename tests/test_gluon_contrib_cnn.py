"""gluon.contrib.cnn: DeformableConvolution and ModulatedDeformableConvolution.

Expected values come from MXNet 1.9.1: literals below, and the parameters, inputs,
outputs and gradients that tools/make_gluon_contrib_cnn_fixtures.py recorded in
tests/fixtures/gluon_contrib_cnn/.
"""
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, gluon
from d2lmini.base import MXNetError
from d2lmini.gluon import nn
from d2lmini.gluon.contrib.cnn import DeformableConvolution, ModulatedDeformableConvolution

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'gluon_contrib_cnn')

# the layers of tools/make_gluon_contrib_cnn_fixtures.py
CASES = {
    'dcn_groups': (DeformableConvolution,
                   dict(channels=4, kernel_size=(3, 3), padding=(1, 1), groups=2,
                        num_deformable_group=2, activation='relu')),
    'dcn_nobias': (DeformableConvolution,
                   dict(channels=3, kernel_size=(3, 2), strides=(2, 1), dilation=(1, 2),
                        use_bias=False, offset_use_bias=False)),
    'mdcn_groups': (ModulatedDeformableConvolution,
                    dict(channels=4, kernel_size=(3, 3), padding=(1, 1), groups=2,
                         num_deformable_group=2, activation='relu')),
    'mdcn_strided': (ModulatedDeformableConvolution,
                     dict(channels=3, kernel_size=(2, 3), strides=(2, 1), padding=(1, 0),
                          offset_use_bias=False)),
}


def short_names(layer):
    """Parameter names without the layer's prefix, in declaration order, with shapes."""
    return [(name[len(layer.prefix):], p.shape) for name, p in layer.collect_params().items()]


def test_package_is_reachable_from_gluon_contrib():
    assert gluon.contrib.cnn.DeformableConvolution is DeformableConvolution
    assert gluon.contrib.cnn.ModulatedDeformableConvolution is ModulatedDeformableConvolution


def test_parameter_names_order_and_deferred_shapes():
    layer = DeformableConvolution(4, kernel_size=(3, 3))
    assert layer.prefix.startswith('deformable_conv') and layer.prefix.endswith('_')
    assert short_names(layer) == [('offset_weight', (18, 0, 3, 3)), ('offset_bias', (18,)),
                                  ('deformable_conv_weight', (4, 0, 3, 3)),
                                  ('deformable_conv_bias', (4,))]
    layer.initialize()
    assert layer(mx.nd.ones((1, 2, 5, 5))).shape == (1, 4, 3, 3)
    assert short_names(layer) == [('offset_weight', (18, 2, 3, 3)), ('offset_bias', (18,)),
                                  ('deformable_conv_weight', (4, 2, 3, 3)),
                                  ('deformable_conv_bias', (4,))]

    # DCN v2: 3 values per tap (2 offsets and a mask), parameters in MXNet's order
    layer = ModulatedDeformableConvolution(4, kernel_size=(3, 3))
    assert layer.prefix.startswith('modulated_deformable_conv')
    layer.initialize()
    layer(mx.nd.ones((1, 2, 5, 5)))
    assert short_names(layer) == [('deformable_conv_weight', (4, 2, 3, 3)),
                                  ('deformable_conv_bias', (4,)),
                                  ('offset_weight', (27, 2, 3, 3)), ('offset_bias', (27,))]


def test_deformable_groups_groups_and_no_bias():
    layer = DeformableConvolution(4, kernel_size=(3, 3), num_deformable_group=2, groups=2,
                                  offset_use_bias=False, use_bias=False, in_channels=6)
    assert short_names(layer) == [('offset_weight', (36, 3, 3, 3)),
                                  ('deformable_conv_weight', (4, 3, 3, 3))]
    assert layer.offset_bias is None and layer.deformable_conv_bias is None
    layer = DeformableConvolution(2, kernel_size=[2, 3], in_channels=1)   # a list works too
    assert short_names(layer)[0] == ('offset_weight', (12, 1, 2, 3))
    layer = ModulatedDeformableConvolution(4, kernel_size=(3, 3), num_deformable_group=2,
                                           use_bias=False, in_channels=6)
    assert short_names(layer) == [('deformable_conv_weight', (4, 6, 3, 3)),
                                  ('offset_weight', (54, 6, 3, 3)), ('offset_bias', (54,))]


def test_initializers_default_to_zero_offsets():
    layer = DeformableConvolution(2, kernel_size=(3, 3), in_channels=3,
                                  offset_bias_initializer='ones', bias_initializer='ones')
    layer.initialize()
    assert layer.offset_weight.data().asnumpy().max() == 0
    assert layer.offset_bias.data().asnumpy().min() == 1
    assert layer.deformable_conv_bias.data().asnumpy().min() == 1
    assert np.abs(layer.deformable_conv_weight.data().asnumpy()).max() > 0


def test_repr():
    assert repr(DeformableConvolution(4, kernel_size=(3, 3))) == \
        'DeformableConvolution(None -> 4, kernel_size=(3, 3), stride=(1, 1))'
    layer = DeformableConvolution(4, kernel_size=3, strides=2, padding=1, dilation=2,
                                  groups=2, use_bias=False, activation='relu')
    assert repr(layer) == ('DeformableConvolution(None -> 4, kernel_size=(3, 3), '
                           'stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2, '
                           'bias=False, Activation(relu))')
    layer.initialize()
    layer(mx.nd.ones((1, 4, 7, 7)))
    assert repr(layer).startswith('DeformableConvolution(2 -> 4,')   # one group's inputs
    # as in MXNet 1.x, the modulated layer prints as a plain block
    assert repr(ModulatedDeformableConvolution(4)) == 'ModulatedDeformableConvolution(\n\n)'
    assert repr(ModulatedDeformableConvolution(4, activation='relu')) == \
        'ModulatedDeformableConvolution(\n  (act): Activation(relu)\n)'


def set_literal_weights(layer, offset_channels):
    layer.offset_weight.set_data(mx.nd.full((offset_channels, 1, 2, 2), 0.25))
    layer.offset_bias.set_data(mx.nd.arange(offset_channels) / offset_channels - 0.5)
    layer.deformable_conv_weight.set_data(mx.nd.array([[[[1, 2], [3, 4]]]]) / 10)
    layer.deformable_conv_bias.set_data(mx.nd.array([0.5]))


@pytest.mark.parametrize('cls, offset_channels, expected', [
    (DeformableConvolution, 8, [0.9890625, 1.1140625, 1.3390625, 1.021875]),
    (ModulatedDeformableConvolution, 12, [1.0288839, 1.0492046, 1.1526704, 0.9094280]),
])
def test_output_on_fixed_weights_matches_mxnet(cls, offset_channels, expected):
    layer = cls(1, kernel_size=(2, 2), in_channels=1)
    layer.initialize()
    set_literal_weights(layer, offset_channels)
    x = mx.nd.arange(9).reshape((1, 1, 3, 3)) / 8
    np.testing.assert_allclose(layer(x).asnumpy().ravel(), expected, rtol=1e-6)
    layer.hybridize()
    np.testing.assert_allclose(layer(x).asnumpy().ravel(), expected, rtol=1e-6)


@pytest.mark.parametrize('cls', [DeformableConvolution, ModulatedDeformableConvolution])
def test_fresh_layer_is_a_plain_convolution(cls):
    # zero offsets read the grid, and the modulated layer's masks are 2*sigmoid(0) = 1
    layer = cls(3, kernel_size=(3, 3), padding=(1, 1), strides=(2, 2), in_channels=2)
    conv = nn.Conv2D(3, kernel_size=3, padding=1, strides=2, in_channels=2)
    layer.initialize()
    conv.initialize()
    conv.weight.set_data(layer.deformable_conv_weight.data())
    conv.bias.set_data(mx.nd.array([0.1, -0.2, 0.3]))
    layer.deformable_conv_bias.set_data(conv.bias.data())
    x = mx.nd.array(np.random.default_rng(0).normal(size=(2, 2, 7, 7)))
    np.testing.assert_allclose(layer(x).asnumpy(), conv(x).asnumpy(), rtol=1e-5, atol=1e-6)


def load_case(name):
    cls, kwargs = CASES[name]
    layer = cls(**kwargs)
    layer.load_parameters(os.path.join(FIXTURES, f'{name}.params'))
    return layer


@pytest.mark.parametrize('name', sorted(CASES))
@pytest.mark.parametrize('hybridize', [False, True])
def test_mxnet_params_load_and_give_mxnet_outputs(name, hybridize):
    recorded = np.load(os.path.join(FIXTURES, 'cases.npz'))
    layer = load_case(name)
    if hybridize:
        layer.hybridize()
    out = layer(mx.nd.array(recorded[f'{name}/x'])).asnumpy()
    np.testing.assert_allclose(out, recorded[f'{name}/out'], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', ['dcn_groups', 'dcn_nobias'])
@pytest.mark.parametrize('hybridize', [False, True])
def test_gradients_match_mxnet(name, hybridize):
    recorded = np.load(os.path.join(FIXTURES, 'cases.npz'))
    layer = load_case(name)
    if hybridize:
        layer.hybridize()
    x = mx.nd.array(recorded[f'{name}/x'])
    x.attach_grad()
    with autograd.record():
        out = layer(x)
    out.backward(mx.nd.array(recorded[f'{name}/head']))
    np.testing.assert_allclose(x.grad.asnumpy(), recorded[f'{name}/grad/x'],
                               rtol=1e-4, atol=1e-4)
    for key, param in layer._collect_params_with_prefix().items():
        np.testing.assert_allclose(param.grad().asnumpy(), recorded[f'{name}/grad/{key}'],
                                   rtol=1e-4, atol=1e-4, err_msg=key)


def gradients(layer, x, head):
    x = x.copy()
    x.attach_grad()
    with autograd.record():
        out = layer(x)
    out.backward(head)
    grads = {k: p.grad().asnumpy().copy() for k, p in layer.collect_params().items()}
    return out.asnumpy(), x.grad.asnumpy(), grads


@pytest.mark.parametrize('name', ['mdcn_groups', 'mdcn_strided'])
def test_hybridize_gives_the_same_output_and_gradients(name):
    recorded = np.load(os.path.join(FIXTURES, 'cases.npz'))
    layer = load_case(name)
    x = mx.nd.array(recorded[f'{name}/x'])
    head = mx.nd.array(np.random.default_rng(1).normal(size=recorded[f'{name}/out'].shape))
    out, dx, grads = gradients(layer, x, head)
    assert np.abs(dx).max() > 0 and np.abs(grads[layer.offset_weight.name]).max() > 0
    layer.hybridize()
    out_h, dx_h, grads_h = gradients(layer, x, head)
    np.testing.assert_allclose(out_h, out, rtol=1e-6)
    np.testing.assert_allclose(dx_h, dx, rtol=1e-5, atol=1e-6)
    for key in grads:
        np.testing.assert_allclose(grads_h[key], grads[key], rtol=1e-5, atol=1e-6,
                                   err_msg=key)


def test_modulated_gradient_by_finite_differences():
    # MXNet's CPU has no backward for this layer: check the offset bias's gradient
    # (which moves both the offsets and the masks) against central differences
    layer = load_case('mdcn_groups')
    recorded = np.load(os.path.join(FIXTURES, 'cases.npz'))
    x = mx.nd.array(recorded['mdcn_groups/x']).astype('float64')
    layer.cast('float64')
    _, _, grads = gradients(layer, x, mx.nd.ones(recorded['mdcn_groups/out'].shape,
                                                 dtype='float64'))
    bias = layer.offset_bias.data().asnumpy()
    for i in (0, 17, 36, 53):   # offsets of both groups, then masks of both groups
        step = np.zeros_like(bias)
        step[i] = 1e-6
        layer.offset_bias.set_data(mx.nd.array(bias + step, dtype='float64'))
        up = layer(x).asnumpy().sum()
        layer.offset_bias.set_data(mx.nd.array(bias - step, dtype='float64'))
        down = layer(x).asnumpy().sum()
        layer.offset_bias.set_data(mx.nd.array(bias, dtype='float64'))
        assert grads[layer.offset_bias.name][i] == pytest.approx((up - down) / 2e-6,
                                                                 rel=1e-4, abs=1e-6)


def test_hybridized_graph_names():
    layer = ModulatedDeformableConvolution(4, kernel_size=(3, 3), activation='relu')
    internals = layer(mx.sym.var('data')).get_internals().list_outputs()
    p = layer.prefix
    assert internals == ['data', p + 'offset_weight', p + 'offset_bias',
                         p + 'convolution0_output', p + 'slice_axis0_output',
                         p + 'slice_axis1_output', p + 'sigmoid0_output',
                         p + '_mulscalar0_output', p + 'deformable_conv_weight',
                         p + 'deformable_conv_bias', p + 'fwd_output', p + 'relu_fwd_output']


def test_in_a_hybrid_sequential_with_deferred_shapes():
    net = nn.HybridSequential()
    net.add(DeformableConvolution(6, kernel_size=(3, 2), activation='relu'),
            ModulatedDeformableConvolution(5, kernel_size=(3, 3), num_deformable_group=3,
                                           use_bias=False))
    net.initialize()
    net.hybridize()
    x = mx.nd.random.uniform(shape=(2, 5, 9, 8))
    with autograd.record():
        y = net(x)
    y.backward()
    assert y.shape == (2, 5, 5, 5)
    assert net[1].offset_weight.shape == (81, 6, 3, 3)


def test_errors():
    with pytest.raises(MXNetError, match='layout'):
        DeformableConvolution(4, layout='NHWC')
    with pytest.raises(MXNetError, match='adj'):
        ModulatedDeformableConvolution(4, adj=(1, 1))
    with pytest.raises(ValueError, match='kernel_size'):
        DeformableConvolution(4, kernel_size=(3, 3, 3))
    with pytest.raises(MXNetError, match='groups=2 must divide in_channels=3'):
        DeformableConvolution(4, groups=2, in_channels=3)
    layer = DeformableConvolution(4, kernel_size=(3, 3))
    layer.initialize()
    with pytest.raises(MXNetError, match=r'expects 4-D input \(NCHW\)'):
        layer(mx.nd.ones((1, 2, 5)))
