"""Channels-last layouts ('NWC', 'NHWC', 'NDHWC') of Convolution, Deconvolution and
Pooling, and the Gluon layers' ``layout=``.

MXNet 1.9.1 runs channels-last pooling on the CPU: those values are recorded from it.
Its channels-last (de)convolutions run on GPUs only (cuDNN); on the CPU only their
shape inference works, so the shapes are recorded from MXNet and the values must
equal the channels-first results with the channel axes moved. (The registry walk
checks every layout's gradients against finite differences.)
"""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd
from d2lmini.gluon import nn
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)

nd = mx.nd


def _first(a):
    """Channels last -> channels first (data or weight)."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def _last(a):
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


# ------------------------------------------------------------------ shape inference
@pytest.mark.parametrize('op, layout, data, attrs, args, out', [
    # recorded from MXNet 1.9.1's infer_shape
    ('Convolution', 'NHWC', (2, 6, 5, 3), dict(kernel=(3, 2), num_filter=4),
     [(2, 6, 5, 3), (4, 3, 2, 3), (4,)], (2, 4, 4, 4)),
    ('Convolution', 'NHWC', (1, 6, 6, 4), dict(kernel=(3, 3), num_filter=4, num_group=2),
     [(1, 6, 6, 4), (4, 3, 3, 2), (4,)], (1, 4, 4, 4)),
    ('Convolution', 'NDHWC', (1, 4, 5, 6, 3), dict(kernel=(2, 2, 2), num_filter=4),
     [(1, 4, 5, 6, 3), (4, 2, 2, 2, 3), (4,)], (1, 3, 4, 5, 4)),
    ('Deconvolution', 'NHWC', (2, 6, 5, 3), dict(kernel=(3, 2), num_filter=4),
     [(2, 6, 5, 3), (3, 3, 2, 4)], (2, 8, 6, 4)),
    ('Deconvolution', 'NHWC', (1, 6, 6, 6),
     dict(kernel=(3, 3), num_filter=4, num_group=2, no_bias=False),
     [(1, 6, 6, 6), (6, 3, 3, 2), (4,)], (1, 8, 8, 4)),
    ('Deconvolution', 'NHWC', (1, 6, 6, 6),
     dict(kernel=(3, 3), stride=(2, 2), num_filter=4, target_shape=(12, 11)),
     [(1, 6, 6, 6), (6, 3, 3, 4)], (1, 12, 11, 4)),
    ('Deconvolution', 'NDHWC', (1, 4, 5, 6, 3), dict(kernel=(2, 2, 2), num_filter=4),
     [(1, 4, 5, 6, 3), (3, 2, 2, 2, 4)], (1, 5, 6, 7, 4)),
    ('Pooling', 'NWC', (2, 7, 3), dict(kernel=(3,)), [(2, 7, 3)], (2, 5, 3)),
    ('Pooling', 'NWC', (2, 7, 3), dict(kernel=(3,), global_pool=True), [(2, 7, 3)], (2, 1, 3)),
    ('Pooling', 'NHWC', (2, 6, 5, 3), dict(kernel=(3, 2)), [(2, 6, 5, 3)], (2, 4, 4, 3)),
    ('Pooling', 'NHWC', (1, 5, 5, 2),
     dict(kernel=(2, 2), stride=(2, 2), pooling_convention='full'), [(1, 5, 5, 2)],
     (1, 3, 3, 2)),
    ('Pooling', 'NDHWC', (1, 4, 5, 6, 3), dict(kernel=(2, 2, 2)), [(1, 4, 5, 6, 3)],
     (1, 3, 4, 5, 3)),
])
def test_infer_shape_matches_mxnet(op, layout, data, attrs, args, out):
    s = getattr(mx.sym, op)(mx.sym.var('data'), layout=layout, **attrs)
    arg_shapes, out_shapes, _ = s.infer_shape(data=data)
    assert [tuple(a) for a in arg_shapes] == args
    assert [tuple(o) for o in out_shapes] == [out]


def test_param_shapes_follow_the_layout():
    from d2lmini.ops.convolution import convolution_param_shapes, deconvolution_param_shapes
    assert convolution_param_shapes((8, 32, 32, 6), kernel=(3, 5), num_filter=4, num_group=2,
                                    layout='NHWC') == {'weight': (4, 3, 5, 3), 'bias': (4,)}
    assert deconvolution_param_shapes((8, 7, 7, 16), kernel=(4, 4), num_filter=3,
                                      layout='NHWC') == {'weight': (16, 4, 4, 3)}


# ------------------------------------------------------------------ pooling values (MXNet)
def test_pooling_channels_last_values_match_mxnet():
    x = (np.arange(2 * 4 * 5 * 3) * 7 % 11).reshape(2, 4, 5, 3).astype('f4')
    y = nd.Pooling(nd.array(x), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                   pooling_convention='full', layout='NHWC')
    assert y.asnumpy()[0].tolist() == [
        [[10, 7, 9], [10, 10, 8], [8, 10, 10]], [[7, 8, 10], [10, 10, 9], [9, 10, 7]],
        [[7, 3, 10], [6, 2, 9], [4, 10, 7]]]
    g = nd.Pooling(nd.array(x), global_pool=True, pool_type='avg', layout='NHWC')
    assert_almost_equal(g.asnumpy().ravel(), [5.35, 4.65, 5.05, 5.15, 5.0, 4.85], rtol=1e-6)

    x1 = (np.arange(12) * 5 % 7).reshape(1, 6, 2).astype('f4')
    y1 = nd.Pooling(nd.array(x1), kernel=(3,), stride=(2,), pad=(1,), pool_type='avg',
                    count_include_pad=False, layout='NWC')
    assert_almost_equal(y1.asnumpy(), [[[1.5, 3.0], [11 / 3, 5 / 3], [8 / 3, 3.0]]], rtol=1e-6)

    x3 = (np.arange(24) % 5).reshape(1, 3, 2, 2, 2).astype('f4')
    y3 = nd.Pooling(nd.array(x3), kernel=(2, 2, 2), pool_type='sum', layout='NDHWC')
    assert y3.asnumpy().tolist() == [[[[[16, 14]]], [[[15, 18]]]]]


def test_max_pooling_channels_last_gradient_matches_mxnet():
    x = nd.array((np.arange(32) * 7 % 11).reshape(1, 4, 4, 2))
    x.attach_grad()
    with autograd.record():
        y = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), layout='NHWC')
    y.backward(nd.array(np.arange(8).reshape(1, 2, 2, 2) + 1))
    assert y.asnumpy().tolist() == [[[[4, 10], [10, 6]], [[6, 10], [9, 8]]]]
    assert x.grad.asnumpy().astype(int).tolist() == [[
        [[0, 0], [0, 2], [0, 0], [0, 0]], [[0, 0], [1, 0], [0, 0], [3, 4]],
        [[0, 0], [0, 0], [0, 0], [0, 0]], [[0, 6], [5, 0], [7, 0], [0, 8]]]]


@pytest.mark.parametrize('layout, shape', [('NWC', (2, 7, 3)), ('NHWC', (2, 6, 5, 4)),
                                           ('NDHWC', (1, 4, 5, 6, 2))])
@pytest.mark.parametrize('pool_type', ['max', 'avg', 'sum', 'lp'])
def test_pooling_channels_last_is_channels_first_transposed(layout, shape, pool_type):
    x = np.random.RandomState(0).rand(*shape).astype('f4')
    nsp = len(shape) - 2
    attrs = dict(kernel=(3,) * nsp, stride=(2,) * nsp, pad=(1,) * nsp, pool_type=pool_type,
                 p_value=2 if pool_type == 'lp' else None)
    got = nd.Pooling(nd.array(x), layout=layout, **attrs)
    want = nd.Pooling(nd.array(_first(x)), **attrs)
    assert_almost_equal(got.asnumpy(), _last(want.asnumpy()), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ (de)convolution values
@pytest.mark.parametrize('layout, shape, kernel', [('NHWC', (2, 6, 5, 4), (3, 2)),
                                                   ('NDHWC', (1, 4, 5, 6, 2), (2, 2, 2))])
@pytest.mark.parametrize('groups', [1, 2])
def test_convolution_channels_last_is_channels_first_transposed(layout, shape, kernel, groups):
    rng = np.random.RandomState(1)
    nsp, C = len(kernel), shape[-1]
    x = rng.rand(*shape).astype('f4')
    w = rng.rand(*((4,) + kernel + (C // groups,))).astype('f4')
    b = rng.rand(4).astype('f4')
    attrs = dict(kernel=kernel, num_filter=4, num_group=groups, pad=(1,) * nsp,
                 stride=(2,) + (1,) * (nsp - 1))
    dy = rng.rand(*nd.Convolution(nd.array(x), nd.array(w), nd.array(b), layout=layout,
                                  **attrs).shape).astype('f4')

    def run(x, w, dy, **layout):
        args = [nd.array(a) for a in (x, w, b)]
        for a in args:
            a.attach_grad()
        with autograd.record():
            y = nd.Convolution(*args, **attrs, **layout)
        y.backward(nd.array(dy))
        return [y.asnumpy()] + [a.grad.asnumpy() for a in args]

    y, dx, dw, db = run(x, w, dy, layout=layout)
    y0, dx0, dw0, db0 = run(_first(x), _first(w), _first(dy))
    for got, want in [(y, _last(y0)), (dx, _last(dx0)), (dw, _last(dw0)), (db, db0)]:
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('layout, shape, kernel', [('NHWC', (2, 3, 4, 4), (3, 2)),
                                                   ('NDHWC', (1, 2, 3, 2, 2), (2, 2, 2))])
def test_deconvolution_channels_last_is_channels_first_transposed(layout, shape, kernel):
    rng = np.random.RandomState(2)
    nsp, C = len(kernel), shape[-1]
    x = rng.rand(*shape).astype('f4')
    w = rng.rand(*((C,) + kernel + (3,))).astype('f4')
    b = rng.rand(6).astype('f4')
    attrs = dict(kernel=kernel, num_filter=6, num_group=2, stride=(2,) * nsp,
                 adj=(1,) * nsp, no_bias=False)
    got = nd.Deconvolution(nd.array(x), nd.array(w), nd.array(b), layout=layout, **attrs)
    want = nd.Deconvolution(nd.array(_first(x)), nd.array(_first(w)), nd.array(b), **attrs)
    assert_almost_equal(got.asnumpy(), _last(want.asnumpy()), rtol=1e-5, atol=1e-6)


def test_channels_last_second_order_gradient():
    rng = np.random.RandomState(3)
    x, w = nd.array(rng.rand(1, 4, 4, 2)), nd.array(rng.rand(3, 2, 2, 2))
    x.attach_grad()
    with autograd.record():
        y = nd.Convolution(x, w, kernel=(2, 2), num_filter=3, no_bias=True, layout='NHWC')
        dx, = autograd.grad((y * y).sum(), [x], create_graph=True)
        z = (dx * dx).sum()
    z.backward()
    x0, w0 = nd.array(_first(x.asnumpy())), nd.array(_first(w.asnumpy()))
    x0.attach_grad()
    with autograd.record():
        y0 = nd.Convolution(x0, w0, kernel=(2, 2), num_filter=3, no_bias=True)
        dx0, = autograd.grad((y0 * y0).sum(), [x0], create_graph=True)
        z0 = (dx0 * dx0).sum()
    z0.backward()
    assert_almost_equal(x.grad.asnumpy(), _last(x0.grad.asnumpy()), rtol=1e-5)


# ------------------------------------------------------------------ errors
def test_layout_errors_match_mxnet():
    # MXNet's attribute check: Convolution and Deconvolution have no 'NWC'
    with pytest.raises(mx.MXNetError, match="Invalid Input: 'NWC', valid values are"):
        nd.Convolution(nd.ones((1, 5, 2)), nd.ones((2, 3, 2)), kernel=(3,), num_filter=2,
                       no_bias=True, layout='NWC')
    with pytest.raises(mx.MXNetError, match="Invalid Input: 'NWC'"):
        nd.Deconvolution(nd.ones((1, 5, 2)), nd.ones((2, 3, 2)), kernel=(3,), num_filter=2,
                         layout='NWC')
    with pytest.raises(mx.MXNetError, match="Invalid Input: 'CHWN'"):
        nd.Pooling(nd.ones((1, 2, 4, 4)), kernel=(2, 2), layout='CHWN')
    # a layout for another number of spatial axes
    with pytest.raises(mx.MXNetError, match="layout 'NCW' does not fit 2-D data"):
        nd.Pooling(nd.ones((1, 2, 4, 4)), kernel=(2, 2), layout='NCW')
    with pytest.raises(mx.MXNetError, match="layout 'NHWC' does not fit 3-D data"):
        nd.Convolution(nd.ones((1, 4, 4, 4, 2)), nd.ones((2, 2, 2, 2, 2)), kernel=(2, 2, 2),
                       num_filter=2, no_bias=True, layout='NHWC')
    # a channels-first weight for channels-last data
    with pytest.raises(mx.MXNetError, match=r'expected \[4,3,3,2\] \(num_filter, \*kernel'):
        nd.Convolution(nd.ones((1, 5, 5, 2)), nd.ones((4, 2, 3, 3)), kernel=(3, 3),
                       num_filter=4, no_bias=True, layout='NHWC')


# ------------------------------------------------------------------ Gluon layers
@pytest.mark.parametrize('make, message', [
    (lambda: nn.Conv1D(4, 3, layout='NWC'), "Only supports 'NCW' layout for now"),
    (lambda: nn.Conv1DTranspose(4, 3, layout='NWC'), "Only supports 'NCW' layout for now"),
    (lambda: nn.Conv2D(4, 3, layout='NWC'), "Only supports 'NCHW' and 'NHWC' layout for now"),
    (lambda: nn.Conv3DTranspose(4, 3, layout='NHWC'),
     "Only supports 'NCDHW' and 'NDHWC' layout for now"),
    (lambda: nn.MaxPool2D(layout='NCW'), 'Only NCHW and NHWC layouts are valid for 2D Pooling'),
    (lambda: nn.GlobalAvgPool3D(layout='NHWC'),
     'Only NCDHW and NDHWC layouts are valid for 3D Pooling'),
])
def test_layer_layouts_are_asserted_as_in_mxnet(make, message):
    with pytest.raises(AssertionError, match=message):
        make()


def test_layer_weight_shapes_and_repr_match_mxnet():
    # recorded from MXNet 1.9.1, including repr's reading of weight.shape[1] (a kernel
    # size for channels-last weights)
    conv = nn.Conv2D(4, 3, layout='NHWC', in_channels=2)
    assert conv.weight.shape == (4, 3, 3, 2)
    assert repr(nn.Conv2D(4, 3, layout='NHWC')) == \
        'Conv2D(3 -> 4, kernel_size=(3, 3), stride=(1, 1))'
    up = nn.Conv2DTranspose(4, 3, layout='NHWC', in_channels=2, groups=2)
    assert up.weight.shape == (2, 3, 3, 2)
    assert repr(up) == 'Conv2DTranspose(3 -> 2, kernel_size=(3, 3), stride=(1, 1), groups=2)'
    assert nn.Conv3DTranspose(4, 3, layout='NDHWC').weight.shape == (0, 3, 3, 3, 4)
    assert repr(nn.GlobalAvgPool1D(layout='NWC')) == (
        'GlobalAvgPool1D(size=(1,), stride=(1,), padding=(0,), ceil_mode=True, '
        'global_pool=True, pool_type=avg, layout=NWC)')


@pytest.mark.parametrize('hybridize', [False, True])
def test_channels_last_network_defers_and_trains(hybridize):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1, layout='NHWC', activation='relu'),
            nn.MaxPool2D(layout='NHWC'),
            nn.Conv2DTranspose(3, 2, strides=2, layout='NHWC'),
            nn.AvgPool2D(layout='NHWC'),
            nn.GlobalMaxPool2D(layout='NHWC'))
    net.initialize()
    if hybridize:
        net.hybridize()
    x = nd.array(np.random.RandomState(4).rand(2, 6, 6, 5))
    with autograd.record():
        y = net(x)
    y.backward()
    assert y.shape == (2, 1, 1, 3)
    assert [p.shape for p in net.collect_params().values()] == \
        [(4, 3, 3, 5), (4,), (4, 2, 2, 3), (3,)]
    assert float(np.abs(net[0].weight.grad().asnumpy()).sum()) > 0


def test_channels_last_layers_equal_channels_first_ones():
    rng = np.random.RandomState(5)
    x = rng.rand(2, 7, 6, 3).astype('f4')
    last = nn.Conv3D(2, 2, layout='NDHWC')
    first = nn.Conv3D(2, 2)
    for layer in (last, first):
        layer.initialize()
    x5 = x[None].repeat(2, axis=0)                     # (2, 2, 7, 6, 3) as N D H W C
    last(nd.array(x5))
    first(nd.array(_first(x5)))
    first.weight.set_data(nd.array(_first(last.weight.data().asnumpy())))
    first.bias.set_data(last.bias.data())
    assert_almost_equal(last(nd.array(x5)).asnumpy(),
                        _last(first(nd.array(_first(x5))).asnumpy()), rtol=1e-5, atol=1e-6)
