"""MXNet 1.x's deformable detection operators (``mx.nd.contrib``):
DeformableConvolution, ModulatedDeformableConvolution, DeformablePSROIPooling and
RROIAlign. The expected values come from MXNet 1.9.1 on the CPU, recorded in
tests/fixtures/deformable/ by tools/make_deformable_fixtures.py; these tests never
import mxnet."""
import json
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, gluon, nd
from d2lmini.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'deformable')
INPUTS = {
    'DeformableConvolution': ('data', 'offset', 'weight', 'bias'),
    'ModulatedDeformableConvolution': ('data', 'offset', 'mask', 'weight', 'bias'),
    'DeformablePSROIPooling': ('data', 'rois', 'trans'),
    'RROIAlign': ('data', 'rois'),
}


def _cases():
    for op in INPUTS:
        with np.load(os.path.join(FIXTURES, f'{op}.npz')) as f:
            for name in sorted({k.split('/')[0] for k in f.files}):
                yield pytest.param(op, name, id=f'{op}-{name}')


@pytest.mark.parametrize('op,case', list(_cases()))
def test_matches_mxnet(op, case):
    """Output, and each input's gradient where MXNet's CPU computes one, as MXNet 1.9.1
    gives them."""
    with np.load(os.path.join(FIXTURES, f'{op}.npz')) as f:
        stored = {k[len(case) + 1:]: f[k] for k in f.files if k.startswith(case + '/')}
    attrs = json.loads(str(stored['attrs']))
    names = [n for n in INPUTS[op] if f'in/{n}' in stored]
    xs = [nd.array(stored[f'in/{n}']) for n in names]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = getattr(nd.contrib, op)(*xs, **attrs)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy(), stored['out'], rtol=1e-5, atol=1e-5)
    if 'head' not in stored:
        return
    y.backward(nd.array(stored['head']))
    checked = 0
    for n, x in zip(names, xs):
        if f'grad/{n}' in stored:
            assert x.grad.dtype == np.float32
            np.testing.assert_allclose(x.grad.asnumpy(), stored[f'grad/{n}'], rtol=1e-5,
                                       atol=1e-5, err_msg=f'gradient of {n}')
            checked += 1
    assert checked


# ------------------------------------------------------------------ DeformableConvolution
def _conv_pair(attrs, data_shape, out_size, seed=0, integer=False, mask=False):
    """Inputs for a deformable convolution and the matching plain one, zero offsets."""
    rs = np.random.RandomState(seed)
    draw = (lambda s: rs.randint(-3, 4, s)) if integer else (lambda s: rs.normal(size=s))
    N, C = data_shape[:2]
    kh, kw = attrs['kernel']
    groups = attrs.get('num_deformable_group', 1)
    data = nd.array(draw(data_shape))
    weight = nd.array(draw((attrs['num_filter'], C // attrs.get('num_group', 1), kh, kw)))
    bias = nd.array(draw((attrs['num_filter'],)))
    offset = nd.zeros((N, 2 * groups * kh * kw) + out_size)
    extra = [nd.ones((N, groups * kh * kw) + out_size)] if mask else []
    return data, offset, extra, weight, bias


ZERO_OFFSET_CASES = [
    (dict(kernel=(3, 3), num_filter=4), (2, 3, 6, 5), (4, 3)),
    (dict(kernel=(3, 2), stride=(2, 1), pad=(2, 1), dilate=(1, 2), num_filter=4, num_group=2,
          num_deformable_group=2), (1, 4, 7, 6), (5, 6)),
]


@pytest.mark.parametrize('attrs,data_shape,out_size', ZERO_OFFSET_CASES)
def test_zero_offsets_give_convolution_exactly(attrs, data_shape, out_size):
    """With zero offsets every tap reads its own pixel: DeformableConvolution is
    Convolution, bit for bit on whole numbers (exact in float32), and its data and
    weight gradients are Convolution's."""
    data, offset, _, weight, bias = _conv_pair(attrs, data_shape, out_size, integer=True)
    plain = nd.Convolution(data, weight, bias, **{k: v for k, v in attrs.items()
                                                  if k != 'num_deformable_group'})
    deformed = nd.contrib.DeformableConvolution(data, offset, weight, bias, **attrs)
    assert deformed.shape == plain.shape
    np.testing.assert_array_equal(deformed.asnumpy(), plain.asnumpy())

    data, offset, _, weight, bias = _conv_pair(attrs, data_shape, out_size, seed=1)
    head = nd.array(np.random.RandomState(2).normal(size=plain.shape))
    grads = []
    for deformable in (False, True):
        xs = [data.copy(), weight.copy(), bias.copy()]
        for x in xs:
            x.attach_grad()
        with autograd.record():
            if deformable:
                y = nd.contrib.DeformableConvolution(xs[0], offset, xs[1], xs[2], **attrs)
            else:
                y = nd.Convolution(*xs, **{k: v for k, v in attrs.items()
                                           if k != 'num_deformable_group'})
        y.backward(head)
        grads.append([y.asnumpy()] + [x.grad.asnumpy() for x in xs])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_modulated_with_zero_offsets_and_unit_mask_is_convolution():
    attrs, data_shape, out_size = ZERO_OFFSET_CASES[1]
    data, offset, mask, weight, bias = _conv_pair(attrs, data_shape, out_size, integer=True,
                                                  mask=True)
    plain = nd.Convolution(data, weight, bias, **{k: v for k, v in attrs.items()
                                                  if k != 'num_deformable_group'})
    y = nd.contrib.ModulatedDeformableConvolution(data, offset, mask[0], weight, bias, **attrs)
    np.testing.assert_array_equal(y.asnumpy(), plain.asnumpy())


def test_offset_channels_move_taps_down_then_right():
    """Channel 2k moves kernel tap k (row-major) down, channel 2k+1 right."""
    x = nd.arange(25).reshape((1, 1, 5, 5))
    w = nd.zeros((1, 1, 3, 3))
    w[0, 0, 0, 1] = 1                               # tap k = 1
    offset = nd.zeros((1, 18, 3, 3))
    offset[0, 3] = 0.25                             # tap 1 moves a quarter pixel right
    y = nd.contrib.DeformableConvolution(x, offset, w, kernel=(3, 3), num_filter=1,
                                         no_bias=True)
    assert y.asnumpy()[0, 0].tolist() == [[1.25, 2.25, 3.25], [6.25, 7.25, 8.25],
                                          [11.25, 12.25, 13.25]]


@pytest.mark.parametrize('point,v1,v2', [
    # (y, x) read on a 4 x 4 image of 1..16, a 1 x 1 kernel, mask 0.5 for DCN v2
    ((1.25, 1.5), 7.5, 3.75),
    ((-0.5, 1.5), 0.0, 0.625),     # above the image: v1 reads nothing, v2 fades out
    ((3.5, 1.5), 14.5, 3.625),     # past the last row: v1 reads it, v2 fades out
    ((2.5, 3.5), 14.0, 3.5),
    ((4.0, 1.5), 0.0, 0.0),
])
def test_border_reads_as_mxnet(point, v1, v2):
    """Values MXNet 1.9.1 gives at points near the border, for both versions."""
    x = nd.arange(1, 17).reshape((1, 1, 4, 4))
    offset = nd.zeros((1, 2, 4, 4))
    offset[0, 0, 0, 0], offset[0, 1, 0, 0] = point
    w = nd.ones((1, 1, 1, 1))
    kw = dict(kernel=(1, 1), num_filter=1, no_bias=True)
    a = nd.contrib.DeformableConvolution(x, offset, w, **kw)[0, 0, 0, 0].asscalar()
    b = nd.contrib.ModulatedDeformableConvolution(x, offset, nd.full((1, 1, 4, 4), 0.5), w,
                                                  **kw)[0, 0, 0, 0].asscalar()
    assert (a, b) == pytest.approx((v1, v2))


def test_offset_gradient_at_whole_pixels_as_mxnet():
    """On a pixel row or column the offset gradient is the slope towards the next
    pixel (values from MXNet 1.9.1)."""
    x = nd.array(np.arange(1, 17).reshape(1, 1, 4, 4) ** 1.5)
    expected = {(1.0, 0.5): [21.18615, 4.860096], (0.5, 1.0): [17.962612, 4.5967503],
                (0.0, 0.5): [17.444225, 3.8233213], (0.5, 0.0): [16.925838, 4.341709]}
    for point, grad in expected.items():
        offset = nd.zeros((1, 2, 4, 4))
        offset[0, 0, 1, 1], offset[0, 1, 1, 1] = point
        offset.attach_grad()
        with autograd.record():
            y = nd.contrib.DeformableConvolution(x, offset, nd.ones((1, 1, 1, 1)),
                                                 kernel=(1, 1), num_filter=1, no_bias=True)
            z = y[0, 0, 1, 1]
        z.backward()
        np.testing.assert_allclose(offset.grad.asnumpy()[0, :, 1, 1], grad, rtol=1e-5)


def test_deformable_convolution_is_first_order_only():
    x, offset = nd.ones((1, 1, 4, 4)), nd.full((1, 8, 3, 3), 0.3)
    w = nd.ones((1, 1, 2, 2))
    for a in (x, offset, w):
        a.attach_grad()
    with autograd.record():
        y = nd.contrib.DeformableConvolution(x, offset, w, kernel=(2, 2), num_filter=1,
                                             no_bias=True)
        g = autograd.grad(y, [offset], create_graph=True)[0]
        z = g.sum()
    with pytest.raises(MXNetError, match='supports only first-order'):
        z.backward()


def test_symbol_names_and_shapes_as_mxnet():
    s = mx.sym.contrib.DeformableConvolution(data=mx.sym.var('data'), offset=mx.sym.var('off'),
                                             kernel=(3, 3), num_filter=4, name='dc')
    assert s.list_arguments() == ['data', 'off', 'dc_weight', 'dc_bias']
    args, outs, _ = s.infer_shape(data=(1, 2, 5, 5), off=(1, 18, 3, 3))
    assert args == [(1, 2, 5, 5), (1, 18, 3, 3), (4, 2, 3, 3), (4,)]
    assert outs == [(1, 4, 3, 3)]
    # the offset can have one shape only: d2lmini fills it in from the data's too
    assert s.infer_shape_partial(data=(1, 2, 5, 5))[0][1] == (1, 18, 3, 3)
    s = mx.sym.contrib.ModulatedDeformableConvolution(kernel=(3, 3), num_filter=4, name='m',
                                                      no_bias=True)
    assert s.list_arguments() == ['m_data', 'm_offset', 'm_mask', 'm_weight']
    s = mx.sym.contrib.DeformablePSROIPooling(name='p', spatial_scale=1, output_dim=2,
                                              group_size=2, pooled_size=2, no_trans=True)
    assert s.list_arguments() == ['p_data', 'p_rois']
    s = mx.sym.contrib.DeformablePSROIPooling(name='p', spatial_scale=1, output_dim=2,
                                              group_size=2, pooled_size=2)
    assert s.infer_shape(p_data=(1, 8, 6, 6), p_rois=(3, 5), p_trans=(3, 2, 2, 2))[1] == \
        [(3, 2, 2, 2)]
    s = mx.sym.contrib.RROIAlign(name='r', pooled_size=(2, 3), spatial_scale=1)
    assert s.infer_shape(r_data=(2, 3, 8, 8), r_rois=(4, 6))[1] == [(4, 3, 2, 3)]


def test_graph_saved_by_mxnet_loads_and_runs():
    """A graph file MXNet 1.9.1 saved (DeformableConvolution into DeformablePSROIPooling)
    loads with its arguments and gives MXNet's output and gradients."""
    graph = mx.sym.load(os.path.join(FIXTURES, 'deformable-symbol.json'))
    assert graph.list_arguments() == ['data', 'offset', 'dc_weight', 'dc_bias', 'rois']
    with np.load(os.path.join(FIXTURES, 'deformable-symbol.npz')) as f:
        stored = {k: f[k] for k in f.files}
    args = {k: nd.array(v) for k, v in stored.items() if k != 'out' and
            not k.startswith('grad_')}
    grads = {k: nd.zeros(v.shape) for k, v in args.items() if k != 'rois'}
    run = graph.bind(mx.cpu(), args, args_grad=grads,
                     grad_req={k: 'null' if k == 'rois' else 'write' for k in args})
    expected = stored['out']
    np.testing.assert_allclose(run.forward(is_train=True)[0].asnumpy(), expected, rtol=1e-5,
                               atol=1e-5)
    run.backward(nd.ones(expected.shape))
    for k, g in grads.items():
        np.testing.assert_allclose(g.asnumpy(), stored[f'grad_{k}'], rtol=1e-5, atol=1e-5,
                                   err_msg=k)
    again = mx.sym.load_json(graph.tojson())
    np.testing.assert_allclose(again.eval(**args)[0].asnumpy(), expected, rtol=1e-5, atol=1e-5)


class _Deformable(gluon.HybridBlock):
    """A block whose weight's input channels are left for the first batch to tell."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(4, 0, 3, 3),
                                          allow_deferred_init=True)
            self.bias = self.params.get('bias', shape=(4,), init='zeros')

    def hybrid_forward(self, F, x, offset, weight, bias):
        return F.contrib.DeformableConvolution(x, offset, weight, bias, kernel=(3, 3),
                                               num_filter=4, pad=(1, 1))


@pytest.mark.parametrize('hybridize', [False, True])
def test_gluon_deferred_weight_shape(hybridize):
    net = _Deformable(prefix='dc_')
    net.initialize()
    if hybridize:
        net.hybridize()
    y = net(nd.ones((2, 3, 5, 5)), nd.zeros((2, 18, 5, 5)))
    assert y.shape == (2, 4, 5, 5)
    assert net.weight.shape == (4, 3, 3, 3)
    assert sorted(net.collect_params().keys()) == ['dc_bias', 'dc_weight']


@pytest.mark.parametrize('call,message', [
    (lambda: nd.contrib.DeformableConvolution(nd.ones((1, 2, 5, 5)), nd.zeros((1, 18, 4, 4)),
                                              nd.ones((2, 2, 3, 3)), kernel=(3, 3),
                                              num_filter=2, no_bias=True), 'offset has shape'),
    (lambda: nd.contrib.DeformableConvolution(nd.ones((1, 2, 5)), nd.zeros((1, 6, 3)),
                                              nd.ones((2, 2, 3)), kernel=(3,), num_filter=2,
                                              no_bias=True), '2-D'),
    (lambda: nd.contrib.DeformableConvolution(nd.ones((1, 3, 5, 5)), nd.zeros((1, 36, 3, 3)),
                                              nd.ones((2, 3, 3, 3)), kernel=(3, 3),
                                              num_filter=2, num_deformable_group=2,
                                              no_bias=True), 'num_deformable_group'),
    (lambda: nd.contrib.ModulatedDeformableConvolution(
        nd.ones((3, 2, 5, 5)), nd.zeros((3, 18, 3, 3)), nd.ones((3, 9, 3, 3)),
        nd.ones((2, 2, 3, 3)), kernel=(3, 3), num_filter=2, no_bias=True, im2col_step=2),
     'im2col_step'),
    (lambda: nd.contrib.ModulatedDeformableConvolution(
        nd.ones((1, 2, 5, 5)), nd.zeros((1, 18, 3, 3)), nd.ones((1, 18, 3, 3)),
        nd.ones((2, 2, 3, 3)), kernel=(3, 3), num_filter=2, no_bias=True), 'mask has shape'),
    (lambda: nd.contrib.DeformablePSROIPooling(
        nd.ones((1, 4, 4, 4)), nd.array([[0, 0, 0, 3, 3]]), nd.zeros((1, 2, 2, 2)),
        spatial_scale=1.0, output_dim=1, group_size=2, pooled_size=2, no_trans=True),
     'no_trans'),
    (lambda: nd.contrib.DeformablePSROIPooling(
        nd.ones((1, 4, 4, 4)), nd.array([[0, 0, 0, 3, 3]]), spatial_scale=1.0, output_dim=1,
        group_size=2, pooled_size=2), 'trans input is required'),
    (lambda: nd.contrib.DeformablePSROIPooling(
        nd.ones((1, 4, 4, 4)), nd.array([[0, 0, 0, 3, 3]]), nd.zeros((1, 2, 3, 3)),
        spatial_scale=1.0, output_dim=1, group_size=2, pooled_size=2), 'trans has shape'),
    (lambda: nd.contrib.RROIAlign(nd.ones((1, 1, 4, 4)), nd.array([[0, 1, 1, 2, 2]]),
                                  pooled_size=(2, 2), spatial_scale=1.0), 'rois'),
    (lambda: nd.contrib.RROIAlign(nd.ones((1, 1, 4, 4)), nd.array([[1, 1, 1, 2, 2, 0]]),
                                  pooled_size=(2, 2), spatial_scale=1.0), 'names image 1'),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(MXNetError, match=message):
        call()


# ------------------------------------------------------------------ DeformablePSROIPooling
def test_psroi_without_translation_samples_bin_corners():
    """Bin (i, j) reads channel 2i + j at sample_per_part**2 points from its top-left
    corner (values from MXNet 1.9.1)."""
    x = nd.arange(64).reshape((1, 4, 4, 4))
    rois = nd.array([[0, 0, 0, 3, 3]])
    got = [nd.contrib.DeformablePSROIPooling(x, rois, spatial_scale=1.0, output_dim=1,
                                             group_size=2, pooled_size=2, sample_per_part=s,
                                             no_trans=True).asnumpy().ravel().tolist()
           for s in (1, 2, 4)]
    assert got == [[0.0, 17.5, 38.0, 55.5], [1.25, 19.0, 40.25, 58.0],
                   [1.875, 19.75, 41.375, 59.25]]


def test_psroi_translation_gradient_as_mxnet():
    """One bin, one sample: the trans gradient is the slope of the bilinear read times
    trans_std times the region's size (values from MXNet 1.9.1)."""
    x = nd.array(np.random.RandomState(0).normal(size=(1, 1, 5, 5)))
    trans = nd.array([[[[0.3]], [[0.7]]]])
    trans.attach_grad()
    with autograd.record():
        y = nd.contrib.DeformablePSROIPooling(x, nd.array([[0, 1, 1, 2, 2]]), trans,
                                              spatial_scale=1.0, output_dim=1, group_size=1,
                                              pooled_size=1, part_size=1, trans_std=0.1)
    y.backward()
    assert y.asscalar() == pytest.approx(0.42540783, rel=1e-5)
    np.testing.assert_allclose(trans.grad.asnumpy().ravel(), [0.14850245, -0.17964478],
                               rtol=1e-5)


# ------------------------------------------------------------------ RROIAlign
def test_rroi_align_quarter_turn():
    x = nd.arange(36).reshape((1, 1, 6, 6))
    got = nd.contrib.RROIAlign(x, nd.array([[0, 2.5, 2.5, 2, 2, 90], [0, 2.5, 2.5, 4, 2, 30]]),
                               pooled_size=(2, 2), spatial_scale=1.0).asnumpy()
    np.testing.assert_allclose(got.reshape(2, 4), [[20, 14, 21, 15],
                                                   [16.7859, 12.517949, 22.482052, 18.214102]],
                               rtol=1e-5)


def test_unrotated_rroi_align_is_roi_align():
    """A box at angle 0 is ROIAlign's box ``(cx - w/2, cy - h/2, cx + w/2, cy + h/2)``:
    the same output and the same data gradient. (Not for sides under a pixel:
    RROIAlign widens them to one about the centre, ROIAlign from the first corner.)"""
    rs = np.random.RandomState(0)
    data = nd.array(rs.normal(size=(2, 3, 7, 8)))
    centred = np.array([[0, 3.1, 2.6, 4.4, 3.0, 0], [1, 5.2, 4.3, 2.5, 6.2, 0],
                        [0, 1.0, 1.5, 1.6, 1.4, 0]])
    corners = np.stack([centred[:, 0], centred[:, 1] - centred[:, 3] / 2,
                        centred[:, 2] - centred[:, 4] / 2, centred[:, 1] + centred[:, 3] / 2,
                        centred[:, 2] + centred[:, 4] / 2], axis=1)
    results = []
    for op, rois in ((nd.contrib.RROIAlign, centred), (nd.contrib.ROIAlign, corners)):
        x = data.copy()
        x.attach_grad()
        with autograd.record():
            y = op(x, nd.array(rois), pooled_size=(2, 3), spatial_scale=0.9)
        y.backward(nd.arange(y.size).reshape(y.shape))
        results.append((y.asnumpy(), x.grad.asnumpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_rroi_align_gradient_reaches_data_only():
    """MXNet 1.x has no gradient for RROIAlign; d2lmini gives the data one (the boxes
    get zero): the gradient of the sum is the weights each pixel was read with."""
    x = nd.ones((1, 1, 5, 5))
    rois = nd.array([[0, 2.0, 2.0, 2, 2, 45]])
    x.attach_grad()
    rois.attach_grad()
    with autograd.record():
        y = nd.contrib.RROIAlign(x, rois, pooled_size=(1, 1), spatial_scale=1.0)
    y.backward()
    assert y.asscalar() == pytest.approx(1.0)
    assert x.grad.sum().asscalar() == pytest.approx(1.0)
    assert not rois.grad.asnumpy().any()
