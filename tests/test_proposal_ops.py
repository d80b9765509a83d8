"""Region proposals (``contrib.Proposal``, ``contrib.MultiProposal``) and
position-sensitive ROI pooling (``contrib.PSROIPooling``), as MXNet 1.x computes them
for Faster R-CNN and R-FCN. Expected values were produced by MXNet 1.9.1 on the same
inputs and are hard-coded (boxes as MXNet printed them, float32)."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.base import MXNetError
from d2lmini.test_utils import check_numeric_gradient

C = nd.contrib


def rpn_inputs():
    """Two anchors (scales 1 and 2) on a 3 x 3 map of stride 8, fixed scores and deltas."""
    fg = (np.arange(18).reshape(2, 3, 3) * 7 % 17 / 17.0 + 0.01).astype(np.float32)
    prob = np.concatenate([1 - fg, fg])[None]
    deltas = (np.sin(np.arange(72)) * 0.4).reshape(1, 8, 3, 3).astype(np.float32)
    return nd.array(prob), nd.array(deltas)


RPN = dict(scales=(1, 2), ratios=(1,), feature_stride=8, rpn_min_size=6)


def test_proposal_orders_by_score_and_repeats_to_fill():
    # one 16 x 16 anchor per cell, no deltas, no overlaps: all four boxes kept by score,
    # then repeated from the first to fill rpn_post_nms_top_n rows
    fg = np.array([[0.5, 0.9], [0.7, 0.2]], np.float32)
    rois, score = C.Proposal(nd.array(np.stack([1 - fg, fg])[None]), nd.zeros((1, 4, 2, 2)),
                             nd.array([[32, 32, 1]]), scales=(1,), ratios=(1,),
                             rpn_min_size=1, rpn_post_nms_top_n=6, output_score=True)
    assert rois.asnumpy().tolist() == [
        [0, 16, 0, 31, 15], [0, 0, 16, 15, 31], [0, 0, 0, 15, 15], [0, 16, 16, 31, 31],
        [0, 16, 0, 31, 15], [0, 0, 16, 15, 31]]
    np.testing.assert_allclose(score.asnumpy().ravel(), [0.9, 0.7, 0.5, 0.2, 0.9, 0.7],
                               rtol=1e-6)


def test_proposal_matches_mxnet_with_suppression_min_size_and_padding():
    prob, deltas = rpn_inputs()
    # im_info 20 x 24: the map's last row is padding; boxes under 6 pixels score -1 and
    # grow by 3 on each side, as MXNet does
    rois, score = C.Proposal(prob, deltas, nd.array([[20, 24, 1.0]]), rpn_post_nms_top_n=8,
                             threshold=0.3, output_score=True, **RPN)
    expected = [[0, 0.6434097, 0, 18.693172, 13.998655],
                [0, 5.592369, 9.941461, 12.564095, 15.747609],
                [0, 15.403132, 0, 23, 14.926756],
                [0, 10.44557, 0, 17.939844, 5.716938],
                [0, -3, -2.1080875, 6.050235, 19.999653],
                [0, 14.146669, -3, 26, 5.8674636],
                [0, 11.080053, 7.1827917, 21.782831, 22],
                [0, -2.6786149, 13.113832, 7.890356, 22]]
    np.testing.assert_allclose(rois.asnumpy(), expected, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(score.asnumpy().ravel(),
                               [0.9511765, 0.6570588, 0.5394118, 0.4217647, -1, -1, -1, -1],
                               rtol=1e-6)
    assert rois.dtype == np.float32 and score.shape == (8, 1)


def test_proposal_iou_loss_adds_deltas_to_corners():
    prob, deltas = rpn_inputs()
    rois = C.Proposal(prob, deltas, nd.array([[20, 24, 1.0]]), rpn_post_nms_top_n=4,
                      rpn_pre_nms_top_n=10, iou_loss=True, **RPN)
    assert isinstance(rois, nd.NDArray)      # the score is hidden without output_score
    np.testing.assert_allclose(rois.asnumpy(), [[0, 0, 3.692698, 11.174466, 18.98938],
                                                [0, 16.363718, 0, 23, 6.7345467],
                                                [0, 11.936551, 3.89505, 23, 18.64083],
                                                [0, 0, 0, 10.7764845, 11.066942]],
                               rtol=1e-6, atol=1e-5)


def test_multi_proposal_treats_each_image():
    prob, deltas = rpn_inputs()
    probs = nd.concat(prob, prob[:, :, ::-1], dim=0)
    rois, score = C.MultiProposal(probs, nd.concat(deltas, -deltas, dim=0),
                                  nd.array([[20, 24, 1.0], [24, 24, 0.5]]),
                                  rpn_post_nms_top_n=3, threshold=0.3, output_score=True, **RPN)
    np.testing.assert_allclose(rois.asnumpy(), [
        [0, 0.6434097, 0, 18.693172, 13.998655],
        [0, 5.592369, 9.941461, 12.564095, 15.747609],
        [0, 15.403132, 0, 23, 14.926756],
        [1, 0, 8.831413, 3.5509534, 23],
        [1, 5.5400496, 2.1516578, 12.074536, 8.330077],
        [1, 13.885629, 18.329212, 18.782478, 23]], rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(score.asnumpy().ravel(), [0.9511765, 0.6570588, 0.5394118,
                                                         0.9511765, 0.8923529, 0.8335294],
                               rtol=1e-6)
    # Proposal gives the same rows for a batch (MXNet 1.x would read only image 0)
    one = C.Proposal(probs, nd.concat(deltas, -deltas, dim=0),
                     nd.array([[20, 24, 1.0], [24, 24, 0.5]]), rpn_post_nms_top_n=3,
                     threshold=0.3, **RPN)
    assert np.array_equal(one.asnumpy(), rois.asnumpy())


def test_proposal_has_no_gradient():
    prob, deltas = rpn_inputs()
    prob.attach_grad()
    with autograd.record():
        rois = C.Proposal(prob, deltas, nd.array([[20, 24, 1.0]]), **RPN)
    rois.backward()
    assert prob.grad.asnumpy().sum() == 0


def test_proposal_symbol_outputs_and_shapes():
    sym = mx.sym.contrib.Proposal(mx.sym.var('cls_prob'), mx.sym.var('bbox_pred'),
                                  mx.sym.var('im_info'), rpn_post_nms_top_n=7, output_score=True)
    assert [n.split('_')[-1] for n in sym.list_outputs()] == ['output', 'score']
    _, out, _ = sym.infer_shape(cls_prob=(1, 24, 5, 5), bbox_pred=(1, 48, 5, 5), im_info=(1, 3))
    assert out == [(7, 5), (7, 1)]
    multi = mx.sym.contrib.MultiProposal(mx.sym.var('c'), mx.sym.var('b'), mx.sym.var('i'),
                                         rpn_post_nms_top_n=7)
    assert len(multi.list_outputs()) == 1
    assert multi.infer_shape(c=(2, 24, 5, 5), b=(2, 48, 5, 5), i=(2, 3))[1] == [(14, 5)]


def test_proposal_rejects_bad_input():
    prob, deltas = rpn_inputs()
    info = nd.array([[20, 24, 1.0]])
    with pytest.raises(MXNetError, match='anchors per cell'):
        C.Proposal(prob, deltas, info, scales=(1, 2, 3), ratios=(1,))
    with pytest.raises(MXNetError, match='bbox_pred'):
        C.Proposal(prob, deltas[:, :4], info, **RPN)
    with pytest.raises(MXNetError, match='feature map'):
        C.Proposal(prob, deltas, nd.array([[40, 24, 1.0]]), **RPN)     # 5 rows needed, 3 given


def psroi_data():
    return nd.array(np.arange(2 * 8 * 4 * 5).reshape(2, 8, 4, 5) % 11)


ROIS = [[1, 0.6, 0.4, 3.5, 2.6], [0, 2, 1, 2, 1], [0, -1, -1, 9, 9]]


def test_psroi_pooling_matches_mxnet():
    y = C.PSROIPooling(psroi_data(), nd.array(ROIS), spatial_scale=1.0, output_dim=2,
                       pooled_size=2)
    np.testing.assert_allclose(y.asnumpy(), [
        [[[4.5, 4.5], [5, 5]], [[4.75, 4.75], [5.25, 5.25]]],
        [[[7, 5], [3, 1]], [[10, 8], [6, 4]]],
        [[[4.55, 4], [0, 0]], [[5.35, 7], [0, 0]]]], rtol=1e-6)
    # a 3 x 3 output over a 2 x 2 grid of channel groups, at half scale
    y = C.PSROIPooling(psroi_data(), nd.array(ROIS), spatial_scale=0.5, output_dim=2,
                       pooled_size=3, group_size=2)
    np.testing.assert_allclose(y.asnumpy()[2], [
        [[3, 4.5, 4], [5, 4.6666665, 4.1666665], [0.5, 2, 1.5]],
        [[6, 5.6666665, 7], [6.1666665, 6.4444447, 7.1666665], [3.5, 5, 4.5]]], rtol=1e-6)


def test_psroi_pooling_gradient_matches_mxnet():
    x = psroi_data()
    x.attach_grad()
    with autograd.record():
        y = C.PSROIPooling(x, nd.array(ROIS), spatial_scale=1.0, output_dim=2, pooled_size=2)
    y.backward(nd.arange(24).reshape((3, 2, 2, 2)))
    g = x.grad.asnumpy()
    assert g.sum() == 194          # every non-empty bin passes its whole gradient on
    assert g[0, 3, 1, 2] == 11 and g[0, 3].sum() == 11
    assert not g[1, 0].any()


def test_psroi_pooling_numeric_gradient():
    rng = np.random.default_rng(0)
    rois = np.array(ROIS)
    check_numeric_gradient(
        lambda x, r: C.PSROIPooling(x, r, spatial_scale=0.5, output_dim=2, pooled_size=3,
                                    group_size=2),
        [rng.uniform(-1, 1, (2, 8, 4, 5)), rois], grad_nodes=[0], numeric_eps=1e-4,
        rtol=1e-3, atol=1e-5)


def test_psroi_pooling_rejects_bad_input():
    x, rois = psroi_data(), nd.array(ROIS)
    with pytest.raises(MXNetError, match='required'):
        C.PSROIPooling(x, rois, spatial_scale=1.0, output_dim=2)
    with pytest.raises(MXNetError, match='channels'):
        C.PSROIPooling(x, rois, spatial_scale=1.0, output_dim=3, pooled_size=2)
    with pytest.raises(MXNetError, match='image 2'):
        C.PSROIPooling(x, nd.array([[2, 0, 0, 1, 1]]), spatial_scale=1.0, output_dim=2,
                       pooled_size=2)
