"""Custom operators, the layers of d2lmini/ops/spatial.py, local_norm.py and
losses.py, and the Symbol namespaces; expected values were computed with MXNet 1.9.1."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.gluon import nn

nd = mx.nd


class _Softmax(mx.operator.CustomOp):
    """MXNet's documented example: a softmax loss layer."""

    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        self.assign(out_data[0], req[0], nd.array(y))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().ravel().astype(np.int64)
        y = out_data[0].asnumpy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], nd.array(y))


SEEN = {}


@mx.operator.register('test_softmax')
class _SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self, **kwargs):
        SEEN.update(kwargs)
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ['data', 'label']

    def infer_shape(self, in_shape):
        return [in_shape[0], [in_shape[0][0]]], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        SEEN['create'] = (str(ctx), shapes, dtypes)
        return _Softmax()


class _Scale(mx.operator.CustomOp):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * self.factor)
        aux[0][:] = aux[0] + 1            # counts the calls

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * self.factor)


@mx.operator.register('test_scale')
class _ScaleProp(mx.operator.CustomOpProp):
    def __init__(self, factor='1'):
        super().__init__()
        self.factor = float(factor)

    def list_auxiliary_states(self):
        return ['count']

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], [[1]]

    def create_operator(self, ctx, shapes, dtypes):
        return _Scale(self.factor)


X = [[1, 2, 3], [1, 1, 1]]
SOFTMAX = [[0.09003057, 0.24472846, 0.66524094], [0.33333334, 0.33333334, 0.33333334]]
SOFTMAX_GRAD = [[0.09003057, 0.24472846, -0.33475906], [-0.6666666, 0.33333334, 0.33333334]]


def test_custom_op_eager_autograd():
    x, label = nd.array(X), nd.array([2, 0])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.Custom(x, label, op_type='test_softmax', foo=3, bar=(1, 2))
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), SOFTMAX, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), SOFTMAX_GRAD, rtol=1e-6)
    assert SEEN['foo'] == '3' and SEEN['bar'] == '(1, 2)'   # kwargs reach the prop as strings
    assert SEEN['create'] == ('cpu(0)', [[2, 3], [2]], [0, 0])
    # inputs by name
    y2 = nd.Custom(data=x, label=label, op_type='test_softmax')
    np.testing.assert_allclose(y2.asnumpy(), SOFTMAX, rtol=1e-6)


def test_custom_op_symbol_executor_and_json():
    s = mx.sym.Custom(mx.sym.var('data'), op_type='test_softmax', name='sm', foo=1.5)
    assert s.list_arguments() == ['data', 'sm_label']
    assert s.list_outputs() == ['sm_output']
    assert s.infer_shape(data=(2, 3)) == ([(2, 3), (2,)], [(2, 3)], [])
    again = mx.sym.fromjson(s.tojson())
    assert again.tojson() == s.tojson()
    assert '"foo": "1.5"' in s.tojson()
    exe = again.simple_bind(mx.cpu(), data=(2, 3))
    exe.forward(is_train=True, data=nd.array(X), sm_label=nd.array([2, 0]))
    exe.backward()
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), SOFTMAX, rtol=1e-6)
    np.testing.assert_allclose(exe.grad_dict['data'].asnumpy(), SOFTMAX_GRAD, rtol=1e-6)
    assert exe.grad_dict['sm_label'].asnumpy().tolist() == [0, 0]


def test_custom_op_aux_states():
    s = mx.sym.Custom(mx.sym.var('x'), op_type='test_scale', factor=3, name='sc')
    assert s.list_arguments() == ['x'] and s.list_auxiliary_states() == ['sc_count']
    exe = s.simple_bind(mx.cpu(), x=(2,))
    exe.forward(is_train=False, x=nd.array([1, 2]))
    exe.forward(is_train=True, x=nd.array([1, 2]))
    exe.backward(nd.ones((2,)))
    assert exe.outputs[0].asnumpy().tolist() == [3, 6]
    assert exe.aux_dict['sc_count'].asnumpy().tolist() == [2]
    assert exe.grad_dict['x'].asnumpy().tolist() == [3, 3]


class _Net(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        count = F.zeros_like(F.slice_axis(F.reshape(x, shape=(-1,)), axis=0, begin=0, end=1))
        return F.Custom(x * 2, count, op_type='test_scale', factor=0.5) + 1


def test_custom_op_in_hybridized_block():
    for hybrid in (False, True):
        net = _Net()
        if hybrid:
            net.hybridize()
        x = nd.array([[1, 2]])
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward()
        assert y.asnumpy().tolist() == [[2, 3]]
        assert x.grad.asnumpy().tolist() == [[1, 1]]


def test_custom_op_errors():
    with pytest.raises(mx.MXNetError, match='no custom operator registered'):
        nd.Custom(nd.ones((2,)), op_type='no_such_op')
    with pytest.raises(TypeError, match='op_type'):
        nd.Custom(nd.ones((2,)))
    with pytest.raises(mx.MXNetError, match='takes 2 input'):
        nd.Custom(nd.ones((2, 3)), op_type='test_softmax')
    with pytest.raises(mx.MXNetError, match='supports only first-order'):
        x = nd.array(X)
        x.attach_grad()
        with mx.autograd.record():
            y = nd.Custom(x, nd.ones((2, 1)), op_type='test_scale', factor=2)
            g = mx.autograd.grad(y, [x], create_graph=True)[0]
        g.backward()


# ---------------------------------------------------------------------- layers (MXNet values)
def test_im2col_col2im():
    x = nd.arange(2 * 2 * 4 * 5).reshape((2, 2, 4, 5))
    c = nd.im2col(x, kernel=(2, 3), stride=(1, 2), pad=(1, 0))
    assert c.shape == (2, 12, 10)
    assert c[0, :, :4].asnumpy().tolist()[3:6] == [[0, 2, 5, 7], [1, 3, 6, 8], [2, 4, 7, 9]]
    back = nd.col2im(c, output_size=(4, 5), kernel=(2, 3), stride=(1, 2), pad=(1, 0))
    assert back[0, 0].asnumpy().tolist() == [[0, 2, 8, 6, 8], [10, 12, 28, 16, 18],
                                             [20, 22, 48, 26, 28], [30, 32, 68, 36, 38]]
    s = mx.sym.im2col(mx.sym.var('x'), kernel=(2, 3), stride=(1, 2), pad=(1, 0))
    assert s.infer_shape(x=(2, 2, 4, 5))[1] == [(2, 12, 10)]
    with pytest.raises(mx.MXNetError, match='does not fit'):
        nd.im2col(nd.ones((1, 1, 2, 2)), kernel=(3, 3))


def test_crop():
    x = nd.arange(40).reshape((2, 1, 4, 5))
    assert nd.Crop(x, offset=(1, 1), h_w=(2, 3))[0, 0].asnumpy().tolist() == [[6, 7, 8],
                                                                             [11, 12, 13]]
    assert nd.Crop(x, nd.zeros((1, 1, 2, 2)), center_crop=True)[0, 0].asnumpy().tolist() == \
        [[6, 7], [11, 12]]
    assert nd.Crop(x, nd.zeros((1, 1, 3, 2)), offset=(1, 2))[0, 0].asnumpy().tolist() == \
        [[7, 8], [12, 13], [17, 18]]
    assert nd.Crop(x, h_w=(3, 3), center_crop=True)[0, 0].asnumpy().tolist() == \
        [[1, 2, 3], [6, 7, 8], [11, 12, 13]]
    with pytest.raises(mx.MXNetError, match='does not fit'):
        nd.Crop(x, offset=(3, 3), h_w=(2, 3))


def test_roi_pooling():
    data = nd.arange(36).reshape((1, 1, 6, 6))
    rois = nd.array([[0, 0, 0, 3, 3], [0, 1.4, 1.6, 4.6, 5.2]])
    out = nd.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.0)
    assert out.asnumpy().reshape(2, 4).tolist() == [[7, 9, 19, 21], [21, 23, 33, 35]]
    out = nd.ROIPooling(data, rois, pooled_size=(3, 2), spatial_scale=0.5)
    assert out.asnumpy().reshape(2, 6).tolist() == [[1, 2, 7, 8, 13, 14], [7, 8, 13, 14, 19, 20]]
    data.attach_grad()
    with mx.autograd.record():
        y = nd.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.0)
    y.backward()
    g = data.grad.asnumpy()[0, 0]
    assert g[1, 1] == 1 and g[3, 3] == 2 and g.sum() == 8


IMG = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
GRID = [[[[-1, -0.5, 0.3, 1.2], [0.1, 0.9, -1.1, 0]], [[-1, 0.2, 0.5, 0.7], [1, -0.3, 0.4, -1.5]]]]
THETA = [[1, 0.2, 0.1, 0.1, 0.9, -0.2]]


def test_bilinear_sampler_and_grids():
    img, grid = nd.array(IMG), nd.array(GRID)
    img.attach_grad()
    grid.attach_grad()
    with mx.autograd.record():
        y = nd.BilinearSampler(img, grid)
    y.backward(nd.array(np.arange(16).reshape(1, 2, 2, 4) / 10))
    np.testing.assert_allclose(y.asnumpy()[0, 0], [[0, 5.55, 7.95, 6.859998],
                                                   [9.65, 5.65, 4.76, 0.75]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(img.grad.asnumpy()[0, 0], [[0, 0.175, 0.1975, 0.1275],
                                                          [0.326, 0.065, 0.1475, 0.3605],
                                                          [0.209, 0.16, 0.355, 0.147]], rtol=1e-5)
    np.testing.assert_allclose(grid.grad.asnumpy()[0], [[[1.2, 1.5, 1.8, -40.38],
                                                         [2.4, 2.7, 42, 1.65]],
                                                        [[3.2, 4, 4.8, 3.919999],
                                                         [-29.840002, 7.2, 6.8, 21.3]]], rtol=1e-5)
    g = nd.GridGenerator(nd.array(THETA), transform_type='affine', target_shape=(2, 3))
    np.testing.assert_allclose(g.asnumpy()[0], [[[-1.1, -0.1, 0.9], [-0.7, 0.3, 1.3]],
                                                [[-1.2, -1.1, -1], [0.6, 0.7, 0.8]]], rtol=1e-6)
    flow = nd.array(np.arange(12).reshape(1, 2, 2, 3) / 10)
    np.testing.assert_allclose(nd.GridGenerator(flow, transform_type='warp').asnumpy()[0],
                               [[[-1, 0.1, 1.2], [-0.7, 0.4, 1.5]],
                                [[0.2, 0.4, 0.6], [2.8, 3, 3.2]]], rtol=1e-6, atol=1e-6)
    st = nd.SpatialTransformer(nd.array(IMG), nd.array(THETA), target_shape=(2, 3),
                               transform_type='affine', sampler_type='bilinear')
    np.testing.assert_allclose(st.asnumpy()[0, 1], [[8.159999, 12.014999, 14.85],
                                                    [18.85, 20.75, 12.209993]], rtol=1e-5)
    with pytest.raises(mx.MXNetError, match='grid must be'):
        nd.BilinearSampler(nd.array(IMG), nd.ones((1, 3, 2, 2)))


def test_spatial_transformer_symbol_backward():
    net = mx.sym.SpatialTransformer(mx.sym.var('data'), mx.sym.var('loc'), target_shape=(2, 3),
                                    transform_type='affine', sampler_type='bilinear')
    assert net.infer_shape(data=(1, 2, 3, 4), loc=(1, 6))[1] == [(1, 2, 2, 3)]
    exe = net.simple_bind(mx.cpu(), data=(1, 2, 3, 4), loc=(1, 6))
    exe.forward(is_train=True, data=nd.array(IMG), loc=nd.array(THETA))
    exe.backward(nd.ones((1, 2, 2, 3)))
    # the same gradient as the two pieces chained eagerly
    loc, img = nd.array(THETA), nd.array(IMG)
    loc.attach_grad()
    img.attach_grad()
    with mx.autograd.record():
        y = nd.BilinearSampler(img, nd.GridGenerator(loc, transform_type='affine',
                                                     target_shape=(2, 3)))
    y.backward()
    np.testing.assert_allclose(exe.grad_dict['loc'].asnumpy(), loc.grad.asnumpy(), rtol=1e-5)
    np.testing.assert_allclose(exe.grad_dict['data'].asnumpy(), img.grad.asnumpy(), rtol=1e-5)


def test_local_normalisations():
    a = nd.array(np.arange(24).reshape(2, 3, 4) / 10)
    np.testing.assert_allclose(nd.SoftmaxActivation(a).asnumpy()[0, 0],
                               [0.213838, 0.236328, 0.261183, 0.288651], rtol=1e-5)
    np.testing.assert_allclose(nd.SoftmaxActivation(a, mode='channel').asnumpy()[0, :, 0],
                               [0.211983, 0.316241, 0.471776], rtol=1e-5)
    want = {'instance': [0, 0.044451, 0.088902, 0.133353],
            'channel': [0, 0.096629, 0.168971, 0.224168],
            'spatial': [0, 0.266312, 0.532624, 0.798935]}
    for mode, row in want.items():
        np.testing.assert_allclose(nd.L2Normalization(a, mode=mode, eps=1e-3).asnumpy()[0, 0],
                                   row, rtol=1e-5, atol=1e-6)
    b = nd.array(np.arange(20).reshape(1, 5, 2, 2) / 10)
    np.testing.assert_allclose(nd.LRN(b, alpha=0.1, beta=0.75, knorm=2, nsize=3).asnumpy()
                               [0, :, 0, 0], [0, 0.23549, 0.462784, 0.674755, 0.906413],
                               rtol=1e-5)
    with pytest.raises(mx.MXNetError, match='mode'):
        nd.L2Normalization(a, mode='pixel')
    with pytest.raises(mx.MXNetError, match='odd'):
        nd.LRN(b, nsize=2)


def test_losses():
    s = nd.array([-2, -0.5, -0.1, 0, 0.1, 0.5, 2])
    np.testing.assert_allclose(nd.smooth_l1(s, scalar=2.0).asnumpy(),
                               [1.875, 0.375, 0.02, 0, 0.02, 0.375, 1.875], rtol=1e-6)
    np.testing.assert_allclose(nd.smooth_l1(s).asnumpy(),
                               [1.5, 0.125, 0.005, 0, 0.005, 0.125, 1.5], rtol=1e-6)
    s.attach_grad()
    with mx.autograd.record():
        y = nd.smooth_l1(s, scalar=2.0)
    y.backward()
    np.testing.assert_allclose(s.grad.asnumpy(), [-1, -1, -0.4, 0, 0.4, 1, 1], rtol=1e-6)
    d, label = nd.array([[1, 2, 3], [0, 0, 1]]), nd.array([2, 0])
    d.attach_grad()
    with mx.autograd.record():
        y = nd.softmax_cross_entropy(d, label)
    y.backward(nd.array([2.0]))
    assert y.shape == (1,)
    np.testing.assert_allclose(y.asnumpy(), [1.959051], rtol=1e-6)
    np.testing.assert_allclose(d.grad.asnumpy(), [[0.180061, 0.489457, -0.669518],
                                                  [-1.576117, 0.423883, 1.152234]], rtol=1e-5)
    m = nd.array([1, 2, 3])
    m.attach_grad()
    with mx.autograd.record():
        y = nd.make_loss(m * m)
    y.backward(nd.array([5, 5, 5]))           # make_loss ignores the head gradient
    assert m.grad.asnumpy().tolist() == [2, 4, 6]
    assert mx.sym.make_loss(mx.sym.var('x'), name='ml').list_outputs() == ['ml_loss']
    assert mx.sym.make_loss(mx.sym.var('x')).name.startswith('make_loss')


def test_symbol_layers_bind_backward():
    x = mx.sym.var('x')
    net = mx.sym.smooth_l1(mx.sym.L2Normalization(x, mode='channel'), scalar=1.0)
    exe = net.simple_bind(mx.cpu(), x=(2, 3, 2))
    exe.forward(is_train=True, x=nd.array(np.arange(12).reshape(2, 3, 2) / 10))
    exe.backward(nd.ones((2, 3, 2)))
    xx = nd.array(np.arange(12).reshape(2, 3, 2) / 10)
    xx.attach_grad()
    with mx.autograd.record():
        y = nd.smooth_l1(nd.L2Normalization(xx, mode='channel'), scalar=1.0)
    y.backward()
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), y.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(exe.grad_dict['x'].asnumpy(), xx.grad.asnumpy(), rtol=1e-6)


# ---------------------------------------------------------------------- symbol namespaces
def test_symbol_functions_dispatch_like_mxnet():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    args = dict(a=nd.array([1, 2]), b=nd.array([3, 1]))
    cases = {'maximum': ([3, 2], [2, 2], [2, 2], 3), 'minimum': ([1, 1], [1, 2], [1, 2], 2),
             'pow': ([1, 2], [1, 4], [2, 4], 8), 'power': ([1, 2], [1, 4], [2, 4], 8)}
    for name, (both, right, left, numbers) in cases.items():
        fn = getattr(mx.sym, name)
        assert fn(a, b).eval(**args)[0].asnumpy().tolist() == both
        assert fn(a, 2).eval(a=args['a'])[0].asnumpy().tolist() == right
        assert fn(2, a).eval(a=args['a'])[0].asnumpy().tolist() == left
        assert fn(2, 3) == numbers
    assert mx.sym.maximum(a, 2).name.startswith('_maximumscalar')
    assert mx.sym.pow(2, a).name.startswith('_rpowerscalar')
    np.testing.assert_allclose(mx.sym.hypot(a, b).eval(**args)[0].asnumpy(),
                               [3.1622777, 2.236068], rtol=1e-6)
    assert mx.sym.eye(3, 4, 1).eval()[0].asnumpy().tolist() == [[0, 1, 0, 0], [0, 0, 1, 0],
                                                                [0, 0, 0, 1]]
    assert mx.sym.linspace(0, 1, 5).eval()[0].asnumpy().tolist() == [0, 0.25, 0.5, 0.75, 1]
    with pytest.raises(TypeError):
        mx.sym.maximum(a, 'x')


def test_symbol_random_and_contrib():
    u = mx.sym.random.uniform(0, 1, shape=(2, 3))
    assert u.name.startswith('_random_uniform') and u.eval()[0].shape == (2, 3)
    n = mx.sym.random.normal(mx.sym.var('a'), mx.sym.var('b'), shape=(2,))
    assert n.list_arguments() == ['a', 'b']
    assert n.infer_shape(a=(3,), b=(3,))[1] == [(3, 2)]
    assert mx.sym.random.randint(0, 5, shape=(4,)).eval()[0].dtype == np.int32
    assert mx.sym.random.exponential(2.0, shape=(3,)).eval()[0].shape == (3,)
    with pytest.raises(TypeError):
        mx.sym.random.uniform(mx.sym.var('a'), 1)
    x = mx.sym.var('x')
    got = mx.sym.contrib.isinf(x).eval(x=nd.array([1, float('inf')]))[0]
    assert got.asnumpy().tolist() == [0, 1]

    class Noise(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + F.random.uniform(0, 0, shape=(2,)) + F.contrib.isnan(x)
    net = Noise()
    net.hybridize()
    assert net(nd.array([1, 2])).asnumpy().tolist() == [1, 2]
