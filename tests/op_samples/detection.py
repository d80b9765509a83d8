"""Cases for d2lmini/ops/detection.py."""
import numpy as np

from . import Case


def _boxes(rng, n):
    xy = rng.uniform(0, 0.6, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(0.1, 0.4, (n, 2))], axis=1)


def _anchors(rng):
    return [_boxes(rng, 6)[None]]


def _target_inputs(rng):
    label = np.array([[[0, 0.1, 0.1, 0.5, 0.6], [1, 0.4, 0.3, 0.9, 0.8], [-1, -1, -1, -1, -1]],
                      [[2, 0.2, 0.2, 0.7, 0.7], [-1, -1, -1, -1, -1], [-1, -1, -1, -1, -1]]])
    return [_boxes(rng, 8)[None], label, rng.normal(size=(2, 4, 8))]


def _detection_inputs(rng):
    p = rng.uniform(0.1, 1, (2, 3, 8))
    return [p / p.sum(axis=1, keepdims=True), rng.normal(0, 0.5, (2, 32)), _boxes(rng, 8)[None]]


def _nms_inputs(rng):
    # scores well apart, overlaps well away from the threshold: small moves change nothing
    rows = np.array([[0, 0.9, 0.00, 0.00, 0.50, 0.50],
                     [0, 0.8, 0.02, 0.01, 0.52, 0.50],   # suppressed by row 0
                     [1, 0.7, 0.01, 0.00, 0.50, 0.52],   # another class: kept
                     [0, 0.6, 0.60, 0.60, 0.90, 0.95],
                     [0, 0.02, 0.2, 0.2, 0.4, 0.4]])      # below valid_thresh
    return [np.stack([rows, rows[::-1] + 0.001])]


def _roi_inputs(rng):
    rois = np.array([[0, 0.5, 0.5, 4.2, 3.9], [1, 1.2, 0.3, 5.6, 4.7], [0, -1.3, -2.1, 3.3, 2.2]])
    return [rng.uniform(-1, 1, (2, 4, 5, 6)), rois]


def _roi_adjoint_inputs(rng):
    data, rois = _roi_inputs(rng)
    return [rng.uniform(-1, 1, (3, 4, 2, 2)), rois, data]


def _rpn_inputs(rng, n=1):
    # 2 scales x 3 ratios = 6 anchors on a 3 x 4 map with feature_stride 8; the second
    # image is smaller than the map, so some cells are padding
    fg = rng.uniform(0, 1, (n, 6, 3, 4))
    info = np.array([[24, 32, 1.0], [20, 25, 0.5]])[:n]
    return [np.concatenate([1 - fg, fg], axis=1), rng.normal(0, 0.3, (n, 24, 3, 4)), info]


_RPN = dict(scales=(2.0, 4.0), ratios=(0.5, 1.0, 2.0), feature_stride=8, rpn_min_size=4)


def _psroi_inputs(rng):
    # output_dim 2 with a 2 x 2 group grid: 8 channels
    rois = np.array([[0, 0.6, 0.4, 3.5, 2.6], [1, 2.2, 1.0, 5.7, 4.4], [0, -1.0, -1.0, 9.0, 9.0]])
    return [rng.uniform(-1, 1, (2, 8, 4, 6)), rois]


def _psroi_adjoint_inputs(rng):
    data, rois = _psroi_inputs(rng)
    return [rng.uniform(-1, 1, (3, 2, 3, 3)), rois, data]


_IOU = 'overlaps are piecewise rational with zero gradient in MXNet'

CASES = {
    '_contrib_box_iou': [
        Case(inputs=lambda rng: [_boxes(rng, 3), _boxes(rng, 4)], nondiff=_IOU),
        Case(inputs=lambda rng: [_boxes(rng, 6).reshape(2, 3, 4), _boxes(rng, 2)],
             attrs=dict(format='center'), nondiff=_IOU)],
    '_contrib_MultiBoxPrior': [
        Case(shapes=[(1, 2, 3, 4)], nondiff='anchors depend on the shape only'),
        Case(shapes=[(2, 1, 2, 2)], attrs=dict(sizes=(0.5, 0.25), ratios=(1.0, 2.0, 0.5),
                                               clip=True, steps=(0.4, 0.3),
                                               offsets=(0.25, 0.75)),
             nondiff='anchors depend on the shape only')],
    '_contrib_MultiBoxTarget': [
        Case(inputs=_target_inputs, nondiff='matching: zero gradient in MXNet'),
        Case(inputs=_target_inputs, attrs=dict(overlap_threshold=0.3, negative_mining_ratio=2.0,
                                               ignore_label=-2.0,
                                               variances=(0.1, 0.1, 0.3, 0.3)),
             nondiff='matching: zero gradient in MXNet')],
    '_contrib_MultiBoxDetection': [
        Case(inputs=_detection_inputs, nondiff='sorting and suppression: zero gradient in MXNet'),
        Case(inputs=_detection_inputs, attrs=dict(force_suppress=True, nms_topk=3, clip=False,
                                                  threshold=0.2),
             nondiff='sorting and suppression: zero gradient in MXNet')],
    '_contrib_box_nms': [
        # (ids are compared for equality: a move of one makes a suppressed row reappear,
        # so the differentiated cases suppress across classes)
        Case(inputs=_nms_inputs, attrs=dict(valid_thresh=0.05, id_index=0,
                                            force_suppress=True), wrt=[0]),
        Case(inputs=_nms_inputs, attrs=dict(valid_thresh=0.05, topk=3), wrt=[0]),
        Case(inputs=_nms_inputs, attrs=dict(valid_thresh=0.05, id_index=0, topk=3,
                                            out_format='center'),
             nondiff='as MXNet, the gradient is routed back unconverted by out_format')],
    '_contrib_bipartite_matching': [
        Case(shapes=[(2, 3, 4)], low=0, high=1, attrs=dict(threshold=0.2),
             nondiff='matching: zero gradient in MXNet'),
        Case(shapes=[(4, 3)], low=0, high=1, attrs=dict(threshold=0.9, is_ascend=True, topk=1),
             nondiff='matching: zero gradient in MXNet')],
    '_contrib_box_encode': [
        Case(inputs=lambda rng: [np.array([[1.0, 0, 1, -1]]), np.array([[0.0, 1, 1, 0]]),
                                 _boxes(rng, 4)[None], _boxes(rng, 2)[None],
                                 np.zeros(4), np.array([0.1, 0.1, 0.2, 0.2])],
             nondiff='zero gradient in MXNet')],
    '_contrib_box_decode': [
        Case(inputs=lambda rng: [rng.normal(size=(2, 3, 4)), _boxes(rng, 3)[None]],
             nondiff='zero gradient in MXNet'),
        Case(inputs=lambda rng: [rng.normal(size=(1, 3, 4)), _boxes(rng, 3)[None]],
             attrs=dict(std0=0.1, std1=0.1, std2=0.2, std3=0.2, clip=0.5, format='corner'),
             nondiff='zero gradient in MXNet')],
    '_contrib_ROIAlign': [
        Case(inputs=_roi_inputs, attrs=dict(pooled_size=(2, 2), spatial_scale=1.0), wrt=[0]),
        Case(inputs=_roi_inputs, attrs=dict(pooled_size=(2, 3), spatial_scale=0.8,
                                            sample_ratio=2, aligned=True), wrt=[0]),
        Case(inputs=_roi_inputs, attrs=dict(pooled_size=(1, 2), spatial_scale=1.0,
                                            position_sensitive=True), wrt=[0])],
    '_backward_contrib_ROIAlign': [
        Case(inputs=_roi_adjoint_inputs, attrs=dict(pooled_size=(2, 2), spatial_scale=1.0),
             wrt=[0])],
    '_contrib_Proposal': [
        Case(inputs=_rpn_inputs, attrs=dict(_RPN, rpn_pre_nms_top_n=30, rpn_post_nms_top_n=10,
                                            threshold=0.5),
             nondiff='sorting and suppression: no gradient in MXNet'),
        Case(inputs=_rpn_inputs, attrs=dict(_RPN, rpn_post_nms_top_n=5, output_score=True,
                                            iou_loss=True),
             nondiff='sorting and suppression: no gradient in MXNet')],
    '_contrib_MultiProposal': [
        Case(inputs=lambda rng: _rpn_inputs(rng, 2),
             attrs=dict(_RPN, rpn_pre_nms_top_n=20, rpn_post_nms_top_n=8, output_score=True),
             nondiff='sorting and suppression: no gradient in MXNet')],
    '_contrib_PSROIPooling': [
        Case(inputs=_psroi_inputs, attrs=dict(spatial_scale=1.0, output_dim=2, pooled_size=2),
             wrt=[0]),
        Case(inputs=_psroi_inputs, attrs=dict(spatial_scale=0.6, output_dim=2, pooled_size=3,
                                              group_size=2), wrt=[0])],
    '_backward_contrib_PSROIPooling': [
        Case(inputs=_psroi_adjoint_inputs, attrs=dict(spatial_scale=0.6, output_dim=2,
                                                      pooled_size=3, group_size=2), wrt=[0])],
}
