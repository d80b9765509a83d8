"""Object-detection operators of ``mx.nd.contrib`` (registered as ``_contrib_X``):
anchor boxes (``MultiBoxPrior``), their training targets (``MultiBoxTarget``), the
decoding of predictions into detections (``MultiBoxDetection``), box overlaps
(``box_iou``), non-maximum suppression (``box_nms``), greedy matching
(``bipartite_matching``), box encoding and decoding (``box_encode``,
``box_decode``), ``ROIAlign``, and for Faster R-CNN and R-FCN the region proposals
of a region proposal network (``Proposal``, ``MultiProposal``) and
position-sensitive ROI pooling (``PSROIPooling``).

Boxes are ``(xmin, ymin, xmax, ymax)`` ("corner" format) unless an operator says
``center`` (``(x, y, width, height)``). Matching and suppression are sequential,
greedy algorithms: they run on the host, in the dtype of the inputs, and copy the
result back to the inputs' device. Except for ``box_nms`` (whose output rows are
rows of the input, so the gradient goes back to the rows that were kept),
``ROIAlign`` and ``PSROIPooling`` (linear in the feature map), MXNet gives these
operators a zero gradient, and so does d2lmini.

>>> import d2lmini as mx
>>> anchors = mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 3, 2, 2)), sizes=(0.5,))
>>> anchors.shape
(1, 4, 4)
"""
import math

import numpy as np

from ..backend import to_host
from ..base import MXNetError, shape_str
from .registry import register


def _dev(xp, a):
    return a if xp is np else xp.asarray(a)


def _tuple(v):
    return (float(v),) if isinstance(v, (int, float)) else tuple(float(a) for a in v)


# ------------------------------------------------------------------ overlaps
def _corners(boxes, fmt):
    """``(l, t, r, b)`` arrays of boxes in ``fmt`` ('corner' or 'center')."""
    a, b, c, d = (boxes[..., i] for i in range(4))
    if fmt == 'center':
        return a - c / 2, b - d / 2, a + c / 2, b + d / 2
    return a, b, c, d


def _area(l, t, r, b):
    w, h = r - l, b - t
    return np.where((w < 0) | (h < 0), np.zeros_like(w), w * h)


def _iou_matrix(lhs, rhs, fmt='corner'):
    """IoU of every box of ``lhs`` (..., 4) with every box of ``rhs`` (..., 4):
    shape ``lhs.shape[:-1] + rhs.shape[:-1]``; boxes of negative size have area 0,
    and a pair whose union is not positive has IoU 0."""
    lhs = lhs.reshape(-1, 4)
    rhs = rhs.reshape(-1, 4)
    l1, t1, r1, b1 = (v[:, None] for v in _corners(lhs, fmt))
    l2, t2, r2, b2 = (v[None, :] for v in _corners(rhs, fmt))
    zero = np.zeros((), lhs.dtype)
    w = np.maximum(np.minimum(r1, r2) - np.maximum(l1, l2), zero)
    h = np.maximum(np.minimum(b1, b2) - np.maximum(t1, t2), zero)
    inter = w * h
    union = _area(l1, t1, r1, b1) + _area(l2, t2, r2, b2) - inter
    with np.errstate(all='ignore'):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1), zero)
    return out.astype(lhs.dtype)


def _box_iou(xp, lhs, rhs, format='corner'):
    """The intersection over union of every box of ``lhs`` (shape ``(..., 4)``)
    with every box of ``rhs``: the output has shape ``lhs.shape[:-1] +
    rhs.shape[:-1]``. ``format`` is 'corner' (xmin, ymin, xmax, ymax) or 'center'
    (x, y, width, height).

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 0, 2, 2], [1, 1, 3, 3]])
    >>> mx.nd.contrib.box_iou(a, mx.nd.array([[0, 0, 2, 2]])).asnumpy().ravel().tolist()
    [1.0, 0.1428571492433548]
    """
    if lhs.shape[-1] != 4 or rhs.shape[-1] != 4:
        raise MXNetError(f'box_iou: boxes must have 4 coordinates in the last axis, got '
                         f'{shape_str(lhs.shape)} and {shape_str(rhs.shape)}')
    out = _iou_matrix(to_host(lhs), to_host(rhs), format)
    return _dev(xp, out.reshape(lhs.shape[:-1] + rhs.shape[:-1]))


register('_contrib_box_iou', _box_iou, inputs=('lhs', 'rhs'), no_grad=True,
         infer_shape=lambda s, **a: [tuple(s[0][:-1]) + tuple(s[1][:-1])])


# ------------------------------------------------------------------ MultiBoxPrior
def _prior_count(sizes, ratios):
    return len(_tuple(sizes)) + len(_tuple(ratios)) - 1


def _multibox_prior(xp, data, sizes=(1.0,), ratios=(1.0,), clip=False, steps=(-1.0, -1.0),
                    offsets=(0.5, 0.5)):
    """Anchor boxes centred on every pixel of the feature map ``data`` (N, C, H, W),
    in coordinates relative to the image (0 to 1): per pixel, first one box per size
    (with the first ratio), then one per further ratio (with the first size).
    Output shape ``(1, H * W * (len(sizes) + len(ratios) - 1), 4)``.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, 1, 2)), sizes=(0.5,))
    <BLANKLINE>
    [[[0.125 0.25  0.375 0.75 ]
      [0.625 0.25  0.875 0.75 ]]]
    <NDArray 1x2x4 @cpu(0)>
    """
    sizes, ratios = _tuple(sizes), _tuple(ratios)
    steps, offsets = _tuple(steps), _tuple(offsets)
    if data.ndim != 4:
        raise MXNetError(f'MultiBoxPrior: data must be (N, C, H, W), got {shape_str(data.shape)}')
    h, w = data.shape[2], data.shape[3]
    dt = data.dtype
    step_y = steps[0] if steps[0] > 0 else 1.0 / h
    step_x = steps[1] if steps[1] > 0 else 1.0 / w
    f32 = np.float32
    cy = ((np.arange(h, dtype=f32) + f32(offsets[0])) * f32(step_y)).astype(f32)
    cx = ((np.arange(w, dtype=f32) + f32(offsets[1])) * f32(step_x)).astype(f32)
    half = []     # (half width, half height) of each anchor shape
    shapes = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    for s, r in shapes:
        ratio = np.sqrt(f32(r))
        half.append((f32(s) * f32(h) / f32(w) * ratio / f32(2), f32(s) / ratio / f32(2)))
    hw = np.array([p[0] for p in half], f32)
    hh = np.array([p[1] for p in half], f32)
    cyg = cy[:, None, None]
    cxg = cx[None, :, None]
    out = np.stack(np.broadcast_arrays(cxg - hw, cyg - hh, cxg + hw, cyg + hh), axis=-1)
    out = out.reshape(1, -1, 4)
    if clip:
        out = np.clip(out, 0, 1)
    return _dev(xp, out.astype(dt))


register('_contrib_MultiBoxPrior', _multibox_prior, no_grad=True,
         attr_types={'sizes': 'any', 'ratios': 'any', 'steps': 'any', 'offsets': 'any'},
         infer_shape=lambda s, sizes=(1.0,), ratios=(1.0,), **a: [
             (1, s[0][2] * s[0][3] * _prior_count(sizes, ratios), 4)])


# ------------------------------------------------------------------ MultiBoxTarget
def _encode(gt, anchor, variances, dt):
    """Offsets of boxes ``gt`` from ``anchor`` (both (K, 4) corners), scaled by the
    variances: ``((gx - ax) / aw / v0, (gy - ay) / ah / v1, log(gw / aw) / v2,
    log(gh / ah) / v3)``."""
    v = [dt.type(x) for x in variances]
    aw, ah = anchor[:, 2] - anchor[:, 0], anchor[:, 3] - anchor[:, 1]
    ax, ay = (anchor[:, 0] + anchor[:, 2]) / 2, (anchor[:, 1] + anchor[:, 3]) / 2
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = (gt[:, 0] + gt[:, 2]) / 2, (gt[:, 1] + gt[:, 3]) / 2
    with np.errstate(all='ignore'):
        return np.stack([(gx - ax) / aw / v[0], (gy - ay) / ah / v[1],
                         np.log(gw / aw) / v[2], np.log(gh / ah) / v[3]], axis=1).astype(dt)


def _target_one(anchors, label, cls_pred, overlap_threshold, ignore_label,
                negative_mining_ratio, negative_mining_thresh, minimum_negative_samples,
                variances):
    """Targets for one image: ``(loc_target (N, 4), loc_mask (N, 4), cls_target (N,))``."""
    dt = anchors.dtype
    n = anchors.shape[0]
    loc_target = np.zeros((n, 4), dt)
    loc_mask = np.zeros((n, 4), dt)
    cls_target = np.full(n, ignore_label, dt)
    num_gt = 0
    while num_gt < label.shape[0] and float(label[num_gt, 0]) != -1.0:
        num_gt += 1
    if num_gt == 0:
        return loc_target, loc_mask, cls_target
    gts = label[:num_gt]
    overlaps = _iou_matrix(anchors, gts[:, 1:5])           # (anchors, gts)
    flags = np.full(n, -1)                                 # 1 positive, 0 negative
    best_iou = np.full(n, -1.0, dt)
    best_gt = np.full(n, -1)
    # greedy bipartite matching: the best remaining pair, anchor by anchor on ties
    work = overlaps.copy()
    for _ in range(min(n, num_gt)):
        k = int(np.argmax(work))
        j, g = divmod(k, num_gt)
        if not work[j, g] > 1e-6:
            break
        flags[j], best_iou[j], best_gt[j] = 1, work[j, g], g
        work[j, :] = -1
        work[:, g] = -1
    rest = flags != 1
    if overlap_threshold > 0:
        g = np.argmax(overlaps, axis=1)
        m = overlaps[np.arange(n), g]
        best_iou[rest], best_gt[rest] = m[rest], g[rest]
        flags[rest & (m > dt.type(overlap_threshold))] = 1
    num_positive = int((flags == 1).sum())
    if negative_mining_ratio > 0:
        # (MXNet 1.x accepts minimum_negative_samples but does not use it)
        num_neg = int(num_positive * np.float32(negative_mining_ratio))
        num_neg = min(num_neg, n - num_positive)
        if num_neg > 0:
            cand = np.nonzero((flags != 1) & (best_iou < dt.type(negative_mining_thresh)))[0]
            # not yet compared with the ground truth (overlap_threshold <= 0)
            unset = cand[best_iou[cand] < 0]
            if len(unset):
                best_iou[unset] = overlaps[unset].max(axis=1)
                cand = cand[best_iou[cand] < dt.type(negative_mining_thresh)]
            scores = cls_pred[:, cand]
            e = np.exp(scores - scores.max(axis=0))
            prob = e[0] / e.sum(axis=0)              # background probability
            order = np.argsort(prob, kind='stable')  # hardest negatives first
            flags[cand[order[:num_neg]]] = 0
    else:
        flags[flags != 1] = 0
    pos = flags == 1
    cls_target[flags == 0] = 0
    if pos.any():
        matched = gts[best_gt[pos]]
        cls_target[pos] = matched[:, 0] + 1
        loc_mask[pos] = 1
        loc_target[pos] = _encode(matched[:, 1:5], anchors[pos], variances, dt)
    return loc_target, loc_mask, cls_target


def _multibox_target(xp, anchor, label, cls_pred, overlap_threshold=0.5, ignore_label=-1.0,
                     negative_mining_ratio=-1.0, negative_mining_thresh=0.5,
                     minimum_negative_samples=0, variances=(0.1, 0.1, 0.2, 0.2)):
    """Training targets for anchor boxes ``anchor`` (1, N, 4) from the labelled boxes
    ``label`` (B, M, 5: class, xmin, ymin, xmax, ymax; rows of -1 pad) and the class
    scores ``cls_pred`` (B, classes + 1, N), used for hard negative mining.

    Every ground-truth box first takes the free anchor that overlaps it most (greedy
    bipartite matching); every other anchor whose best IoU exceeds
    ``overlap_threshold`` is matched too. Matched anchors get the class + 1 and the
    offsets of their box (scaled by ``variances``); with ``negative_mining_ratio > 0``
    only the ``ratio x positives`` unmatched anchors with the lowest background
    probability (among those with IoU below ``negative_mining_thresh``) become
    background (class 0), the others ``ignore_label``; without, all unmatched anchors
    are background. Returns ``(loc_target (B, 4N), loc_mask (B, 4N), cls_target (B, N))``.

    >>> import d2lmini as mx
    >>> anchors = mx.nd.array([[[0, 0, 0.5, 0.5], [0.5, 0.5, 1, 1]]])
    >>> labels = mx.nd.array([[[0, 0.5, 0.5, 1, 0.9]]])
    >>> loc, mask, cls = mx.nd.contrib.MultiBoxTarget(anchors, labels, mx.nd.zeros((1, 2, 2)))
    >>> cls.asnumpy().tolist(), mask.asnumpy().tolist()
    ([[0.0, 1.0]], [[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]])
    """
    variances = _tuple(variances)
    if len(variances) != 4:
        raise MXNetError('MultiBoxTarget: variances must have 4 values')
    if label.ndim != 3 or label.shape[2] < 5:
        raise MXNetError(f'MultiBoxTarget: label must be (batch, objects, 5+), got '
                         f'{shape_str(label.shape)}')
    anchors = to_host(anchor).reshape(-1, 4)
    labels, preds = to_host(label), to_host(cls_pred)
    outs = [_target_one(anchors, labels[b].astype(anchors.dtype), preds[b],
                        overlap_threshold, ignore_label, negative_mining_ratio,
                        negative_mining_thresh, minimum_negative_samples, variances)
            for b in range(labels.shape[0])]
    bsz = labels.shape[0]
    loc_target = np.stack([o[0] for o in outs]).reshape(bsz, -1)
    loc_mask = np.stack([o[1] for o in outs]).reshape(bsz, -1)
    cls_target = np.stack([o[2] for o in outs]).reshape(bsz, -1)
    return tuple(_dev(xp, a) for a in (loc_target, loc_mask, cls_target))


register('_contrib_MultiBoxTarget', _multibox_target, inputs=('anchor', 'label', 'cls_pred'),
         num_outputs=3, no_grad=True, attr_types={'variances': 'any'},
         infer_shape=lambda s, **a: [(s[1][0], s[0][1] * 4), (s[1][0], s[0][1] * 4),
                                     (s[1][0], s[0][1])])


# ------------------------------------------------------------------ MultiBoxDetection
def _decode_center(anchors, loc, variances, clip, dt):
    """Boxes (corners) from offsets ``loc`` (K, 4) relative to ``anchors`` (K, 4)."""
    v = [dt.type(x) for x in variances]
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = (anchors[:, 0] + anchors[:, 2]) / 2, (anchors[:, 1] + anchors[:, 3]) / 2
    ox = loc[:, 0] * v[0] * aw + ax
    oy = loc[:, 1] * v[1] * ah + ay
    ow = np.exp(loc[:, 2] * v[2]) * aw / 2
    oh = np.exp(loc[:, 3] * v[3]) * ah / 2
    out = np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=1).astype(dt)
    if clip:
        out = np.clip(out, 0, 1)
    return out


def _detection_one(prob, loc, anchors, clip, threshold, background_id, nms_threshold,
                   force_suppress, variances, nms_topk):
    dt = anchors.dtype
    n = anchors.shape[0]
    out = np.full((n, 6), -1, dt)
    if prob.shape[0] < 2:
        return out
    # class 0 is the background (MXNet 1.x accepts background_id but does not use it)
    cand = prob[1:]                                        # (classes, N)
    best = np.argmax(cand, axis=0)
    score = cand[best, np.arange(n)]
    valid = np.nonzero((score >= dt.type(threshold)) & (score > -1))[0]
    k = len(valid)
    if k == 0:
        return out
    out[:k, 0] = best[valid]
    out[:k, 1] = score[valid]
    out[:k, 2:] = _decode_center(anchors[valid], loc[valid], variances, clip, dt)
    if nms_threshold <= 0 or nms_threshold > 1:
        return out
    order = np.argsort(-out[:k, 1], kind='stable')
    keep = k if nms_topk <= 0 or nms_topk >= k else int(nms_topk)
    out[:keep] = out[order[:keep]].copy()
    out[keep:k, 0] = -1        # beyond nms_topk: dropped, the rest of the row left as it was
    iou = _iou_matrix(out[:k, 2:], out[:k, 2:])
    thr = dt.type(nms_threshold)
    for i in range(k):
        if out[i, 0] < 0:
            continue
        for j in range(i + 1, k):
            if out[j, 0] < 0:
                continue
            if (force_suppress or out[i, 0] == out[j, 0]) and iou[i, j] >= thr:
                out[j, 0] = -1
    return out


def _multibox_detection(xp, cls_prob, loc_pred, anchor, clip=True, threshold=0.01,
                        background_id=0, nms_threshold=0.5, force_suppress=False,
                        variances=(0.1, 0.1, 0.2, 0.2), nms_topk=-1):
    """Detections from class probabilities ``cls_prob`` (B, classes + 1, N), box
    offsets ``loc_pred`` (B, 4N) and anchors ``anchor`` (1, N, 4): one row per anchor,
    ``(class, score, xmin, ymin, xmax, ymax)``, sorted by score. Each anchor takes its
    most probable non-background class; those scoring below ``threshold`` are dropped
    (rows of -1 at the end), and non-maximum suppression (IoU >= ``nms_threshold``,
    within a class unless ``force_suppress``) sets the class of suppressed rows to -1.

    >>> import d2lmini as mx
    >>> anchors = mx.nd.array([[[0.1, 0.1, 0.5, 0.5], [0.15, 0.1, 0.55, 0.5]]])
    >>> prob = mx.nd.array([[[0.1, 0.3], [0.9, 0.7]]])
    >>> out = mx.nd.contrib.MultiBoxDetection(prob, mx.nd.zeros((1, 8)), anchors)
    >>> out.asnumpy().astype("float64").round(3).tolist()    # the second box is suppressed
    [[[0.0, 0.9, 0.1, 0.1, 0.5, 0.5], [-1.0, 0.7, 0.15, 0.1, 0.55, 0.5]]]
    """
    variances = _tuple(variances)
    anchors = to_host(anchor).reshape(-1, 4)
    probs, locs = to_host(cls_prob), to_host(loc_pred)
    n = anchors.shape[0]
    if probs.ndim != 3 or probs.shape[2] != n or locs.shape[-1] != 4 * n:
        raise MXNetError(f'MultiBoxDetection: cls_prob {shape_str(probs.shape)} and loc_pred '
                         f'{shape_str(locs.shape)} do not fit {n} anchors')
    outs = [_detection_one(probs[b].astype(anchors.dtype),
                           locs[b].reshape(n, 4).astype(anchors.dtype), anchors, clip,
                           threshold, int(background_id), nms_threshold, force_suppress,
                           variances, int(nms_topk)) for b in range(probs.shape[0])]
    return _dev(xp, np.stack(outs))


register('_contrib_MultiBoxDetection', _multibox_detection,
         inputs=('cls_prob', 'loc_pred', 'anchor'), no_grad=True,
         attr_types={'variances': 'any'},
         infer_shape=lambda s, **a: [(s[0][0], s[2][1], 6)])


# ------------------------------------------------------------------ box_nms
def _to_format(boxes, src, dst):
    """Boxes (K, 4) converted from format ``src`` to ``dst``."""
    if src == dst:
        return boxes
    a, b, c, d = (boxes[:, i] for i in range(4))
    if dst == 'corner':
        return np.stack([a - c / 2, b - d / 2, a + c / 2, b + d / 2], axis=1)
    return np.stack([(a + c) / 2, (b + d) / 2, c - a, d - b], axis=1)


def _nms_one(rows, overlap_thresh, valid_thresh, topk, coord_start, score_index, id_index,
             background_id, force_suppress, in_format, max_keep=None):
    """Indices of the rows kept (the first ``max_keep`` of them, if given), in output
    order."""
    score = rows[:, score_index]
    ok = score > rows.dtype.type(valid_thresh)
    if id_index >= 0 and background_id >= 0:
        ok &= rows[:, id_index] != background_id
    cand = np.nonzero(ok)[0]
    cand = cand[np.argsort(-score[cand], kind='stable')]
    if topk > 0:
        cand = cand[:topk]
    boxes = rows[cand, coord_start:coord_start + 4]
    ids = rows[cand, id_index] if id_index >= 0 else None
    alive = np.ones(len(cand), bool)
    thr = rows.dtype.type(overlap_thresh)
    kept = 0
    for i in range(len(cand)):
        if not alive[i]:
            continue
        kept += 1
        if max_keep is not None and kept >= max_keep:
            alive[i + 1:] = False
            break
        # overlaps of this kept box with the later boxes still alive, computed only now
        # (a whole IoU matrix of thousands of candidates would be mostly wasted)
        later = np.arange(i + 1, len(cand))
        later = later[alive[later]]
        if ids is not None and not force_suppress:
            later = later[ids[later] == ids[i]]
        iou = _iou_matrix(boxes[i:i + 1], boxes[later], in_format)[0]
        alive[later[iou > thr]] = False
    return cand[alive]


def _box_nms(xp, data, overlap_thresh=0.5, valid_thresh=0.0, topk=-1, coord_start=2,
             score_index=1, id_index=-1, background_id=-1, force_suppress=False,
             in_format='corner', out_format='corner'):
    """Non-maximum suppression of the boxes in ``data`` (``(..., N, W)``: one box per
    row, its score at ``score_index``, its 4 coordinates from ``coord_start``, its
    class at ``id_index`` if given). Rows scoring at most ``valid_thresh`` (or of
    class ``background_id``) are dropped, the rest sorted by score (ties keep their
    order), cut to the ``topk`` best, and each box suppresses the lower-scoring boxes
    (of its own class, unless ``force_suppress`` or without ``id_index``) whose IoU
    with it exceeds ``overlap_thresh``. The output has the kept rows first, in order
    of score, then rows of -1; coordinates are converted to ``out_format``. The
    gradient of an output row goes back to the input row it came from.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[0, 0.5, 0, 0, 1, 1], [0, 0.9, 0, 0, 1, 0.9], [1, 0.4, 0, 0, 1, 1]])
    >>> mx.nd.contrib.box_nms(x, id_index=0)
    <BLANKLINE>
    [[ 0.   0.9  0.   0.   1.   0.9]
     [ 1.   0.4  0.   0.   1.   1. ]
     [-1.  -1.  -1.  -1.  -1.  -1. ]]
    <NDArray 3x6 @cpu(0)>
    """
    if data.ndim < 2:
        raise MXNetError(f'box_nms: data must be (..., boxes, width), got {shape_str(data.shape)}')
    shape = data.shape
    n, w = shape[-2], shape[-1]
    if not (0 <= coord_start <= w - 4 and 0 <= score_index < w and id_index < w):
        raise MXNetError(f'box_nms: coord_start={coord_start}, score_index={score_index} and '
                         f'id_index={id_index} do not fit rows of width {w}')
    rows = to_host(data).reshape(-1, n, w)
    out = np.full(rows.shape, -1, rows.dtype)
    where = np.full(rows.shape[:2], -1, rows.dtype)    # output position of each input row
    for b in range(rows.shape[0]):
        kept = _nms_one(rows[b], overlap_thresh, valid_thresh, int(topk), coord_start,
                        score_index, id_index, background_id, force_suppress, in_format)
        k = len(kept)
        out[b, :k] = rows[b, kept]
        out[b, :k, coord_start:coord_start + 4] = _to_format(
            rows[b, kept, coord_start:coord_start + 4], in_format, out_format)
        where[b, kept] = b * n + np.arange(k)
    return _dev(xp, out.reshape(shape)), _dev(xp, where.reshape(shape[:-1]))


def _box_nms_grad(F, dy, x, y, **attrs):
    shape = x[0].shape
    where = y[1].reshape((-1,))                 # flat output row of each input row, or -1
    kept = F.expand_dims(where >= 0, axis=1)
    rows = F.take(dy[0].reshape((-1, shape[-1])), F.relu(where), axis=0)
    return [(rows * kept).reshape(shape)]


register('_contrib_box_nms', _box_nms, aliases=('_contrib_box_non_maximum_suppression',),
         backward=_box_nms_grad, num_outputs=2, num_visible_outputs=1,
         infer_shape=lambda s, **a: [tuple(s[0]), tuple(s[0][:-1])])


# ------------------------------------------------------------------ bipartite_matching
def _bipartite_matching(xp, data, is_ascend=False, threshold=None, topk=-1):
    """Greedy matching of the rows and columns of score matrices ``data``
    (``(..., N, M)``): pairs are taken best first (highest score, or lowest with
    ``is_ascend``), skipping rows and columns already matched and stopping at a
    score that does not pass ``threshold`` or (as MXNet 1.x does) after ``topk + 1``
    matches when ``topk > 0``. Returns the
    matched column of every row and the matched row of every column (-1 for none).

    >>> import d2lmini as mx
    >>> rows, cols = mx.nd.contrib.bipartite_matching(
    ...     mx.nd.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]]), threshold=1e-12)
    >>> rows.asnumpy().tolist(), cols.asnumpy().tolist()
    ([1.0, -1.0, 0.0], [2.0, 0.0])
    """
    if threshold is None:
        raise MXNetError('bipartite_matching: the argument threshold is required')
    if data.ndim < 2:
        raise MXNetError(f'bipartite_matching: data must be (..., N, M), got '
                         f'{shape_str(data.shape)}')
    shape = data.shape
    n, m = shape[-2], shape[-1]
    scores = to_host(data).reshape(-1, n * m)
    thr = scores.dtype.type(threshold)
    row_out = np.full((scores.shape[0], n), -1, data.dtype)
    col_out = np.full((scores.shape[0], m), -1, data.dtype)
    for b in range(scores.shape[0]):
        s = scores[b]
        order = np.argsort(s if is_ascend else -s, kind='stable')
        count = 0
        for k in order:
            if (s[k] >= thr) if is_ascend else (s[k] <= thr):
                break
            i, j = divmod(int(k), m)
            if row_out[b, i] != -1 or col_out[b, j] != -1:
                continue
            row_out[b, i], col_out[b, j] = j, i
            count += 1
            if 0 < topk < count:     # as MXNet 1.x: topk + 1 matches at most
                break
    return (_dev(xp, row_out.reshape(shape[:-1])),
            _dev(xp, col_out.reshape(shape[:-2] + (m,))))


register('_contrib_bipartite_matching', _bipartite_matching, num_outputs=2, no_grad=True,
         attr_types={'threshold': 'float'},
         infer_shape=lambda s, **a: [tuple(s[0][:-1]), tuple(s[0][:-2]) + (s[0][-1],)])


# ------------------------------------------------------------------ box_encode / box_decode
def _box_encode(xp, samples, matches, anchors, refs, means, stds):
    """Regression targets of anchors: for every anchor whose sample is positive
    (``samples > 0.5``), the offsets of its matched reference box
    ``refs[matches]`` relative to the anchor (corner boxes), normalised by ``means``
    and ``stds``: ``((gx - ax) / aw - m0) / s0``, ..., ``(log(gw / aw) - m2) / s2``.
    Returns ``(targets, masks)``, both ``(B, N, 4)``; other anchors get 0.

    >>> import d2lmini as mx
    >>> t, m = mx.nd.contrib.box_encode(mx.nd.array([[1, 0]]), mx.nd.array([[0, 0]]),
    ...     mx.nd.array([[[0, 0, 1, 1], [0, 0, 1, 1]]]), mx.nd.array([[[0.5, 0.5, 1.5, 1.5]]]),
    ...     mx.nd.zeros(4), mx.nd.ones(4))
    >>> t.asnumpy().tolist(), m.asnumpy().tolist()
    ([[[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]], [[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]])
    """
    s, mt, an, rf = (to_host(a) for a in (samples, matches, anchors, refs))
    mean, std = to_host(means).reshape(-1), to_host(stds).reshape(-1)
    dt = an.dtype
    b, n = s.shape[0], s.shape[1]
    idx = np.clip(mt.astype(np.int64), 0, rf.shape[1] - 1)
    gt = np.take_along_axis(rf, idx[..., None], axis=1)          # (B, N, 4)
    aw, ah = an[..., 2] - an[..., 0], an[..., 3] - an[..., 1]
    ax, ay = an[..., 0] + aw / 2, an[..., 1] + ah / 2
    gw, gh = gt[..., 2] - gt[..., 0], gt[..., 3] - gt[..., 1]
    gx, gy = gt[..., 0] + gw / 2, gt[..., 1] + gh / 2
    with np.errstate(all='ignore'):
        t = np.stack([((gx - ax) / aw - mean[0]) / std[0], ((gy - ay) / ah - mean[1]) / std[1],
                      (np.log(gw / aw) - mean[2]) / std[2], (np.log(gh / ah) - mean[3]) / std[3]],
                     axis=-1).astype(dt)
    pos = (s > 0.5)[..., None]
    targets = np.where(pos, t, np.zeros((), dt)).reshape(b, n, 4)
    masks = np.broadcast_to(pos, targets.shape).astype(dt)
    return _dev(xp, targets), _dev(xp, masks)


register('_contrib_box_encode', _box_encode, num_outputs=2, no_grad=True,
         inputs=('samples', 'matches', 'anchors', 'refs', 'means', 'stds'),
         infer_shape=lambda s, **a: [tuple(s[2])] * 2,
         infer_type=lambda t, **a: [t[2], t[2]])


def _box_decode(xp, data, anchors, std0=1.0, std1=1.0, std2=1.0, std3=1.0, clip=-1.0,
                format='center'):
    """Boxes (corners) from the offsets ``data`` (B, N, 4) relative to ``anchors``
    (1, N, 4), in ``format`` 'corner' or 'center'): the inverse of
    ``box_encode`` with zero means and stds ``std0..3``; with ``clip > 0`` the
    log-size offsets are capped at ``clip`` before the exponential.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.box_decode(mx.nd.array([[[0.5, 0.5, 0, 0]]]),
    ...                          mx.nd.array([[[0, 0, 1, 1]]]), format='corner')
    <BLANKLINE>
    [[[0.5 0.5 1.5 1.5]]]
    <NDArray 1x1x4 @cpu(0)>
    """
    if anchors.ndim != 3 or anchors.shape[0] != 1 or data.ndim != 3 or \
            anchors.shape[1:] != data.shape[1:]:
        raise MXNetError(f'box_decode: anchors must be (1, N, 4) for data (B, N, 4), got '
                         f'{shape_str(anchors.shape)} and {shape_str(data.shape)}')
    d, an = to_host(data), to_host(anchors)
    dt = d.dtype
    if format == 'corner':
        aw, ah = an[..., 2] - an[..., 0], an[..., 3] - an[..., 1]
        ax, ay = an[..., 0] + aw / 2, an[..., 1] + ah / 2
    else:
        ax, ay, aw, ah = (an[..., i] for i in range(4))
    ox = d[..., 0] * dt.type(std0) * aw + ax
    oy = d[..., 1] * dt.type(std1) * ah + ay
    dw, dh = d[..., 2] * dt.type(std2), d[..., 3] * dt.type(std3)
    if clip > 0:
        dw, dh = np.minimum(dw, dt.type(clip)), np.minimum(dh, dt.type(clip))
    ow, oh = np.exp(dw) * aw / 2, np.exp(dh) * ah / 2
    return _dev(xp, np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1).astype(dt))


register('_contrib_box_decode', _box_decode, inputs=('data', 'anchors'), no_grad=True,
         infer_shape=lambda s, **a: [tuple(s[0])])


# ------------------------------------------------------------------ ROIAlign
def _pair(v):
    if v is None:
        raise MXNetError('ROIAlign: the argument pooled_size is required')
    v = (v,) if isinstance(v, int) else tuple(v)
    return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))


def _roi_weights(roi, h, w, ph, pw, spatial_scale, sample_ratio, aligned):
    """The ``(ph * pw, h * w)`` matrix that averages, for each output bin of one
    region, the bilinear samples of the feature map taken in that bin."""
    f = np.float32
    off = f(0.5) if aligned else f(0)
    x0, y0 = f(roi[1]) * f(spatial_scale) - off, f(roi[2]) * f(spatial_scale) - off
    x1, y1 = f(roi[3]) * f(spatial_scale) - off, f(roi[4]) * f(spatial_scale) - off
    rw, rh = x1 - x0, y1 - y0
    if aligned and not (rw > 0 and rh > 0):
        raise MXNetError(f'ROIAlign: with aligned=True a region must have a positive size, '
                         f'got {rw} x {rh}')
    if not aligned:
        rw, rh = max(rw, f(1)), max(rh, f(1))
    bh, bw = rh / f(ph), rw / f(pw)
    gh = sample_ratio if sample_ratio > 0 else int(math.ceil(rh / f(ph)))
    gw = sample_ratio if sample_ratio > 0 else int(math.ceil(rw / f(pw)))
    out = np.zeros((ph, pw, h * w))
    count = max(gh * gw, 1)
    # sample positions along each axis, for every bin: (bins, samples)
    ys = y0 + np.arange(ph, dtype=f)[:, None] * bh + \
        (np.arange(gh, dtype=f)[None, :] + f(0.5)) * bh / f(gh)
    xs = x0 + np.arange(pw, dtype=f)[:, None] * bw + \
        (np.arange(gw, dtype=f)[None, :] + f(0.5)) * bw / f(gw)

    def axis_weights(pos, size):
        """Per sample: (low index, high index, low weight, high weight, inside)."""
        inside = (pos >= -1.0) & (pos <= size)
        p = np.maximum(pos, 0).astype(f)
        lo = p.astype(np.int64)
        top = lo >= size - 1
        lo = np.where(top, size - 1, lo)
        hi = np.where(top, size - 1, lo + 1)
        p = np.where(top, lo.astype(f), p)
        frac = p - lo
        return lo, hi, f(1) - frac, frac, inside

    ylo, yhi, wyl, wyh, yin = axis_weights(ys, h)
    xlo, xhi, wxl, wxh, xin = axis_weights(xs, w)
    for i in range(ph):
        for j in range(pw):
            row = out[i, j]
            for a in range(gh):
                if not yin[i, a]:
                    continue
                for b in range(gw):
                    if not xin[j, b]:
                        continue
                    for yy, wy in ((ylo[i, a], wyl[i, a]), (yhi[i, a], wyh[i, a])):
                        for xx, wx in ((xlo[j, b], wxl[j, b]), (xhi[j, b], wxh[j, b])):
                            row[yy * w + xx] += float(wy) * float(wx)
    return (out / count).reshape(ph * pw, h * w)


def _roi_align_plan(data_shape, rois, pooled_size, spatial_scale, sample_ratio,
                    position_sensitive, aligned):
    n, c, h, w = data_shape
    ph, pw = _pair(pooled_size)
    if position_sensitive and c % (ph * pw):
        raise MXNetError(f'ROIAlign: with position_sensitive, the {c} channels must be a '
                         f'multiple of pooled_size {ph}x{pw}')
    plan = []
    for r in to_host(rois).astype(np.float64):
        b = int(r[0])
        plan.append((b, None if b < 0 or b >= n else
                     _roi_weights(r, h, w, ph, pw, spatial_scale, sample_ratio, aligned)))
    return plan, ph, pw


def _roi_align(xp, data, rois, pooled_size=None, spatial_scale=None, sample_ratio=-1,
               position_sensitive=False, aligned=False):
    """Features of regions of interest ``rois`` (R, 5: batch index, x1, y1, x2, y2 in
    image coordinates, scaled by ``spatial_scale`` onto ``data`` (N, C, H, W)): each
    region is divided into ``pooled_size`` bins and each bin averages bilinear samples
    (``sample_ratio`` per axis, or enough to cover the bin). With
    ``position_sensitive`` bin ``(i, j)`` reads its own group of channels; with
    ``aligned`` pixel centres are shifted by half a pixel. Output ``(R, C, ph, pw)``.
    The gradient goes to ``data`` (the region boxes get none).

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(16).reshape((1, 1, 4, 4))
    >>> mx.nd.contrib.ROIAlign(x, mx.nd.array([[0, 0, 0, 2, 2]]), pooled_size=(1, 1),
    ...                        spatial_scale=1.0)
    <BLANKLINE>
    [[[[5.]]]]
    <NDArray 1x1x1x1 @cpu(0)>
    """
    if spatial_scale is None:
        raise MXNetError('ROIAlign: the argument spatial_scale is required')
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
        raise MXNetError(f'ROIAlign: data must be (N, C, H, W) and rois (R, 5), got '
                         f'{shape_str(data.shape)} and {shape_str(rois.shape)}')
    plan, ph, pw = _roi_align_plan(data.shape, rois, pooled_size, spatial_scale, sample_ratio,
                                   position_sensitive, aligned)
    n, c, h, w = data.shape
    co = c // (ph * pw) if position_sensitive else c
    out = xp.zeros((len(plan), co, ph * pw), data.dtype)
    flat = data.reshape(n, c, h * w)
    for r, (b, wts) in enumerate(plan):
        if wts is None:
            continue
        wd = xp.asarray(wts.astype(data.dtype))
        if position_sensitive:
            out[r] = (flat[b].reshape(co, ph * pw, h * w) * wd[None]).sum(axis=-1)
        else:
            out[r] = flat[b] @ wd.T
    return out.reshape(len(plan), co, ph, pw)


def _roi_align_shape(in_shapes, pooled_size=None, position_sensitive=False, **attrs):
    ph, pw = _pair(pooled_size)
    c = in_shapes[0][1] // (ph * pw) if position_sensitive else in_shapes[0][1]
    return [(in_shapes[1][0], c, ph, pw)]


_ROI_ATTRS = ('pooled_size', 'spatial_scale', 'sample_ratio', 'position_sensitive', 'aligned')


def _roi_align_grad(F, dy, x, y, **attrs):
    return [F._backward_contrib_ROIAlign(dy, x[1], x[0], **attrs), F.zeros_like(x[1])]


register('_contrib_ROIAlign', _roi_align, inputs=('data', 'rois'), backward=_roi_align_grad,
         attr_types={'pooled_size': 'shape', 'spatial_scale': 'float'},
         infer_shape=_roi_align_shape)


def _roi_align_adjoint(xp, dy, rois, data, pooled_size=None, spatial_scale=None,
                       sample_ratio=-1, position_sensitive=False, aligned=False):
    """The gradient of ``ROIAlign`` with respect to its feature map: every output
    bin's gradient spread back over the pixels its samples read (``data`` gives the
    shape only).

    >>> import d2lmini as mx
    >>> g = mx.nd._backward_contrib_ROIAlign(mx.nd.ones((1, 1, 1, 1)),
    ...     mx.nd.array([[0, 0, 0, 2, 2]]), mx.nd.zeros((1, 1, 3, 3)),
    ...     pooled_size=(1, 1), spatial_scale=1.0)
    >>> g.asnumpy().reshape(3, 3).tolist()     # four samples around the centre pixel
    [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]]
    """
    plan, ph, pw = _roi_align_plan(data.shape, rois, pooled_size, spatial_scale, sample_ratio,
                                   position_sensitive, aligned)
    n, c, h, w = data.shape
    co = c // (ph * pw) if position_sensitive else c
    grad = xp.zeros((n, c, h * w), dy.dtype)
    g = dy.reshape(len(plan), co, ph * pw)
    for r, (b, wts) in enumerate(plan):
        if wts is None:
            continue
        wd = xp.asarray(wts.astype(dy.dtype))
        if position_sensitive:
            grad[b] += (g[r][..., None] * wd[None]).reshape(c, h * w)
        else:
            grad[b] += g[r] @ wd
    return grad.reshape(data.shape)


def _roi_align_adjoint_grad(F, ddx, x, y, **attrs):
    # linear in dy: its derivative is ROIAlign itself; rois and data (shape only) get none
    return [F._contrib_ROIAlign(ddx, x[1], **attrs), F.zeros_like(x[1]), F.zeros_like(x[2])]


register('_backward_contrib_ROIAlign', _roi_align_adjoint, inputs=('dy', 'rois', 'data'),
         backward=_roi_align_adjoint_grad,
         attr_types={'pooled_size': 'shape', 'spatial_scale': 'float'},
         infer_shape=lambda s, **a: [tuple(s[2])])


# ------------------------------------------------------------------ Proposal, MultiProposal
# Region proposals of a region proposal network (Faster R-CNN). MXNet computes them
# in float32 with its "inclusive pixel" convention: a box (x1, y1, x2, y2) covers
# x2 - x1 + 1 pixels across. Where MXNet's C++ mixes float and double in one
# expression, the arithmetic below does the same, so that the boxes agree bit for bit.
_F32 = np.float32


def _rpn_base_anchors(scales, ratios, feature_stride):
    """The ``(len(ratios) * len(scales), 4)`` anchors of the cell at the origin, as
    MXNet 1.x makes them: each ratio (outer loop) with each scale (inner loop),
    centred on the cell ``(0, 0, stride - 1, stride - 1)``, sides rounded to whole
    pixels before scaling."""
    side = _F32(feature_stride)
    centre = _F32(0.5 * float(side - _F32(1)))
    area = side * side
    half = _F32(0.5)
    anchors = []
    for ratio in ratios:
        for scale in scales:
            ratio, scale = _F32(ratio), _F32(scale)
            w = np.floor(np.sqrt(np.floor(area / ratio)) + half) * scale
            h = np.floor(w / scale * ratio + half) * scale
            anchors.append([centre - half * (w - _F32(1)), centre - half * (h - _F32(1)),
                            centre + half * (w - _F32(1)), centre + half * (h - _F32(1))])
    return np.array(anchors, _F32)


def _rpn_shifted_anchors(base, height, width, feature_stride):
    """Anchors of every cell, ``(height * width * A, 4)``, ordered by row, column,
    then anchor (the order of MXNet's proposals before sorting)."""
    ys, xs = np.meshgrid(np.arange(height) * feature_stride, np.arange(width) * feature_stride,
                         indexing='ij')
    shift = np.stack([xs, ys, xs, ys], axis=-1).astype(_F32)        # (H, W, 4)
    return (base[None, None] + shift[:, :, None]).reshape(-1, 4)


def _rpn_apply_deltas(anchors, deltas, iou_loss):
    """Boxes predicted from ``anchors`` and ``deltas`` (both (K, 4), float32): centre
    offsets and log-scale sizes relative to the anchor, or (``iou_loss``) offsets
    added to the corners."""
    if iou_loss:
        return anchors + deltas
    x1, y1, x2, y2 = anchors.T
    dx, dy, dw, dh = deltas.T
    w = x2 - x1 + _F32(1)
    h = y2 - y1 + _F32(1)
    cx = (x1 + 0.5 * (w.astype(np.float64) - 1.0)).astype(_F32)
    cy = (y1 + 0.5 * (h.astype(np.float64) - 1.0)).astype(_F32)
    pcx = dx * w + cx
    pcy = dy * h + cy
    pw = (np.exp(dw.astype(np.float64)) * w).astype(_F32)
    ph = (np.exp(dh.astype(np.float64)) * h).astype(_F32)
    half_w = 0.5 * (pw.astype(np.float64) - 1.0)
    half_h = 0.5 * (ph.astype(np.float64) - 1.0)
    return np.stack([pcx - half_w, pcy - half_h, pcx + half_w, pcy + half_h],
                    axis=1).astype(_F32)


def _rpn_one_image(name, scores, deltas, info, anchors, height, width, num_anchors, pre_nms_top_n,
                   post_nms_top_n, threshold, rpn_min_size, feature_stride, iou_loss):
    """Proposals of one image: the boxes kept (at most ``post_nms_top_n``, best
    first) and their scores."""
    im_h, im_w, im_scale = (_F32(v) for v in info)
    real_h = int(im_h / _F32(feature_stride))
    real_w = int(im_w / _F32(feature_stride))
    if real_h > height or real_w > width:
        raise MXNetError(f'{name}: im_info {im_h:g} x {im_w:g} needs a feature map of at least '
                         f'{real_h} x {real_w} cells at feature_stride {feature_stride}, '
                         f'got {height} x {width}')
    boxes = _rpn_apply_deltas(anchors, deltas, iou_loss)
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], _F32(0), im_w - _F32(1))
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], _F32(0), im_h - _F32(1))
    score = scores.copy()
    # cells of the padding around the image, beyond im_info's size, score -1
    cell_y = np.repeat(np.arange(height), width * num_anchors)
    cell_x = np.tile(np.repeat(np.arange(width), num_anchors), height)
    score[(cell_y >= real_h) | (cell_x >= real_w)] = _F32(-1)
    # boxes smaller than rpn_min_size (in image pixels) score -1 and, as in MXNet,
    # grow by min_size on each axis: they still take part in the suppression
    min_size = _F32(rpn_min_size * im_scale)
    small = ((boxes[:, 2] - boxes[:, 0] + _F32(1) < min_size) |
             (boxes[:, 3] - boxes[:, 1] + _F32(1) < min_size))
    grow = np.array([-1, -1, 1, 1], _F32) * (min_size / _F32(2))
    boxes[small] += grow
    score[small] = _F32(-1)
    # MXNet's overlap counts whole pixels (x2 - x1 + 1 wide): moving the far corners by
    # one turns it into box_nms's overlap of continuous boxes
    rows = np.concatenate([score[:, None], boxes[:, :2], boxes[:, 2:] + _F32(1)], axis=1)
    kept = _nms_one(rows, threshold, -np.inf, pre_nms_top_n, 1, 0, -1, -1, False, 'corner',
                    max_keep=post_nms_top_n)
    return boxes[kept], score[kept]


def _rpn_proposals(name, xp, cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n, rpn_post_nms_top_n,
                   threshold, rpn_min_size, scales, ratios, feature_stride, iou_loss):
    """The proposals of every image of the batch (see ``MultiProposal``); ``name``
    names the operator in error messages."""
    if cls_prob.ndim != 4 or cls_prob.shape[1] % 2:
        raise MXNetError(f'{name}: cls_prob must be (N, 2 * anchors, H, W), '
                         f'got {shape_str(cls_prob.shape)}')
    n, two_a, height, width = cls_prob.shape
    num_anchors = two_a // 2
    scales, ratios = _tuple(scales), _tuple(ratios)
    if num_anchors != len(scales) * len(ratios):
        raise MXNetError(f'{name}: cls_prob has {num_anchors} anchors per cell but scales '
                         f'{scales} and ratios {ratios} make {len(scales) * len(ratios)}')
    if tuple(bbox_pred.shape) != (n, 4 * num_anchors, height, width):
        want = shape_str((n, 4 * num_anchors, height, width))
        raise MXNetError(f'{name}: bbox_pred must be {want}, got {shape_str(bbox_pred.shape)}')
    if tuple(im_info.shape) != (n, 3):
        raise MXNetError(f'{name}: im_info must be ({n}, 3), got {shape_str(im_info.shape)}')
    if int(rpn_post_nms_top_n) <= 0:
        raise MXNetError(f'{name}: rpn_post_nms_top_n must be positive, got {rpn_post_nms_top_n}')
    count = num_anchors * height * width
    pre = min(int(rpn_pre_nms_top_n) if rpn_pre_nms_top_n > 0 else count, count)
    post = int(rpn_post_nms_top_n)
    anchors = _rpn_shifted_anchors(_rpn_base_anchors(scales, ratios, feature_stride),
                                   height, width, feature_stride)
    # per image: (H, W, A) scores of the foreground and (H, W, A, 4) deltas, flattened
    # in the anchors' order
    fg = to_host(cls_prob).astype(_F32)[:, num_anchors:].transpose(0, 2, 3, 1).reshape(n, -1)
    deltas = to_host(bbox_pred).astype(_F32).reshape(n, num_anchors, 4, height, width) \
        .transpose(0, 3, 4, 1, 2).reshape(n, -1, 4)
    info = to_host(im_info).astype(_F32)
    rois = np.zeros((n, post, 5), _F32)
    scores = np.zeros((n, post, 1), _F32)
    for b in range(n):
        boxes, score = _rpn_one_image(name, fg[b], deltas[b], info[b], anchors, height, width,
                                      num_anchors, pre, min(post, pre), threshold,
                                      rpn_min_size, feature_stride, iou_loss)
        # MXNet repeats the kept proposals cyclically to fill all rpn_post_nms_top_n rows
        picks = np.arange(post) % len(boxes)
        rois[b, :, 0] = b
        rois[b, :, 1:] = boxes[picks]
        scores[b, :, 0] = score[picks]
    dt = cls_prob.dtype
    return (_dev(xp, rois.reshape(n * post, 5).astype(dt)),
            _dev(xp, scores.reshape(n * post, 1).astype(dt)))


def _multi_proposal(xp, cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n=6000,
                    rpn_post_nms_top_n=300, threshold=0.7, rpn_min_size=16,
                    scales=(4.0, 8.0, 16.0, 32.0), ratios=(0.5, 1.0, 2.0), feature_stride=16,
                    output_score=False, iou_loss=False):
    """Region proposals from a region proposal network's outputs, for a batch of
    images. ``cls_prob`` ``(N, 2A, H, W)`` holds background then foreground
    probabilities of the ``A = len(scales) * len(ratios)`` anchors of every cell of the
    feature map, ``bbox_pred`` ``(N, 4A, H, W)`` the box deltas of each anchor and
    ``im_info`` ``(N, 3)`` each image's height, width and scale. For each image, as
    MXNet 1.x does: the anchors are moved by their deltas and clipped to the image;
    those of cells outside the image or smaller than ``rpn_min_size * scale`` get
    score -1; the ``rpn_pre_nms_top_n`` best go through non-maximum suppression at
    IoU ``threshold`` and the first ``rpn_post_nms_top_n`` kept are returned,
    repeated cyclically when fewer were kept.

    Outputs: rois ``(N * rpn_post_nms_top_n, 5)`` rows ``(image index, x1, y1, x2,
    y2)`` and, with ``output_score``, their scores ``(N * rpn_post_nms_top_n, 1)``.
    Ties in score keep the order of the anchors. There is no gradient, as in MXNet.

    >>> import d2lmini as mx
    >>> prob = mx.nd.array([[[[0.2]], [[0.8]]]])           # one anchor, one cell
    >>> rois, score = mx.nd.contrib.MultiProposal(prob, mx.nd.zeros((1, 4, 1, 1)),
    ...     mx.nd.array([[16, 16, 1]]), scales=(1,), ratios=(1,), rpn_min_size=1,
    ...     rpn_post_nms_top_n=2, output_score=True)
    >>> rois.asnumpy().tolist(), score.asnumpy().ravel().tolist()
    ([[0.0, 0.0, 0.0, 15.0, 15.0], [0.0, 0.0, 0.0, 15.0, 15.0]], [0.800000011920929, 0.800000011920929])
    """
    return _rpn_proposals('MultiProposal', xp, cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n,
                          rpn_post_nms_top_n, threshold, rpn_min_size, scales, ratios,
                          feature_stride, iou_loss)


def _proposal(xp, cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n=6000, rpn_post_nms_top_n=300,
              threshold=0.7, rpn_min_size=16, scales=(4.0, 8.0, 16.0, 32.0),
              ratios=(0.5, 1.0, 2.0), feature_stride=16, output_score=False, iou_loss=False):
    """Region proposals from a region proposal network's outputs: the algorithm of
    ``MultiProposal`` (see there), giving rois ``(rpn_post_nms_top_n, 5)`` (image
    index 0, x1, y1, x2, y2) and, with ``output_score``, scores
    ``(rpn_post_nms_top_n, 1)``. MXNet 1.x reads only the first image of a batch
    (and says ``(rpn_post_nms_top_n, 5)`` for any batch); d2lmini treats every image,
    as ``MultiProposal`` does: ``(N * rpn_post_nms_top_n, 5)``. There is no gradient,
    as in MXNet.

    >>> import d2lmini as mx
    >>> prob = mx.nd.array([[[[0.4, 0.1]], [[0.6, 0.9]]]])   # one anchor, cells 1 x 2
    >>> mx.nd.contrib.Proposal(prob, mx.nd.zeros((1, 4, 1, 2)), mx.nd.array([[16, 32, 1]]),
    ...     scales=(1,), ratios=(1,), rpn_min_size=1, rpn_post_nms_top_n=2).asnumpy().tolist()
    [[0.0, 16.0, 0.0, 31.0, 15.0], [0.0, 0.0, 0.0, 15.0, 15.0]]
    """
    return _rpn_proposals('Proposal', xp, cls_prob, bbox_pred, im_info, rpn_pre_nms_top_n,
                          rpn_post_nms_top_n, threshold, rpn_min_size, scales, ratios,
                          feature_stride, iou_loss)


def _proposal_shape(in_shapes, rpn_post_nms_top_n=300, **attrs):
    n = in_shapes[0][0] * int(rpn_post_nms_top_n)
    return [(n, 5), (n, 1)]


for _name, _forward in (('_contrib_Proposal', _proposal),
                        ('_contrib_MultiProposal', _multi_proposal)):
    register(_name, _forward, inputs=('cls_prob', 'bbox_pred', 'im_info'), no_grad=True,
             num_outputs=2, num_visible_outputs=lambda attrs: 2 if attrs['output_score'] else 1,
             output_names=('output', 'score'),
             attr_types={'scales': 'any', 'ratios': 'any', 'threshold': 'float'},
             infer_shape=_proposal_shape)


# ------------------------------------------------------------------ PSROIPooling
def _c_round(v):
    """C's ``round``: halves away from zero (numpy rounds them to even)."""
    return np.sign(v) * np.floor(np.abs(v) + v.dtype.type(0.5))


def _psroi_plan(data_shape, rois, dtype, spatial_scale, output_dim, pooled_size, group_size):
    """For every region: its image and, for every output bin ``(i, j)``, the channels
    it reads (one per output channel), its pixel window (row and column slices) and
    the window's area; empty bins are left out (their output is 0). Computed in
    ``dtype``, as MXNet 1.x does."""
    if spatial_scale is None or output_dim is None or pooled_size is None:
        raise MXNetError('PSROIPooling: the arguments spatial_scale, output_dim and '
                         'pooled_size are required')
    n, c, h, w = data_shape
    size = int(pooled_size)
    group = int(group_size) if group_size > 0 else size
    if c < output_dim * group * group:
        raise MXNetError(f'PSROIPooling: data has {c} channels, fewer than output_dim * '
                         f'group_size**2 = {output_dim * group * group}')
    t = np.dtype(dtype).type
    boxes = to_host(rois).astype(dtype)
    bins = np.arange(size + 1).astype(dtype)
    # the group (channel block) of each bin: bins share a group when pooled_size > group_size
    g = np.clip(np.floor(bins[:size] * t(group) / t(size)).astype(int), 0, group - 1)
    plan = []
    for roi in boxes:
        b = int(roi[0])
        if not 0 <= b < n:
            raise MXNetError(f'PSROIPooling: a region names image {b}, but data has {n}')
        x0, y0 = _c_round(roi[1:3]) * t(spatial_scale)
        x1, y1 = (_c_round(roi[3:5]) + t(1)) * t(spatial_scale)
        bin_h = max(y1 - y0, t(0.1)) / t(size)
        bin_w = max(x1 - x0, t(0.1)) / t(size)
        hs = np.clip(np.floor(bins[:-1] * bin_h + y0).astype(int), 0, h)
        he = np.clip(np.ceil(bins[1:] * bin_h + y0).astype(int), 0, h)
        ws = np.clip(np.floor(bins[:-1] * bin_w + x0).astype(int), 0, w)
        we = np.clip(np.ceil(bins[1:] * bin_w + x0).astype(int), 0, w)
        cells = []
        for i in range(size):
            for j in range(size):
                if he[i] <= hs[i] or we[j] <= ws[j]:
                    continue
                chans = (np.arange(output_dim) * group + g[i]) * group + g[j]
                cells.append((i, j, chans, slice(hs[i], he[i]), slice(ws[j], we[j]),
                              (he[i] - hs[i]) * (we[j] - ws[j])))
        plan.append((b, cells))
    return plan, size


def _psroi_pooling(xp, data, rois, spatial_scale=None, output_dim=None, pooled_size=None,
                   group_size=0):
    """Position-sensitive region-of-interest pooling (R-FCN). ``rois`` (R, 5) holds
    ``(image index, x1, y1, x2, y2)`` in image pixels; rounded and scaled by
    ``spatial_scale`` onto ``data`` (N, C, H, W), each region is cut into
    ``pooled_size x pooled_size`` bins and bin ``(i, j)`` of output channel ``k``
    averages channel ``(k * G + gi) * G + gj`` of the data over the bin, where
    ``(gi, gj)`` is the bin's cell in a ``G x G`` grid (``G = group_size``, or
    ``pooled_size`` when 0); an empty bin gives 0. ``C`` must be at least
    ``output_dim * G * G``. Output ``(R, output_dim, pooled_size, pooled_size)``.
    The gradient goes to ``data``, spread evenly over each bin (the regions get none).

    >>> import d2lmini as mx
    >>> x = mx.nd.arange(64).reshape((1, 4, 4, 4))       # 4 channels = 1 x 2 x 2 groups
    >>> y = mx.nd.contrib.PSROIPooling(x, mx.nd.array([[0, 0, 0, 3, 3]]), spatial_scale=1.0,
    ...                                output_dim=1, pooled_size=2)
    >>> y.asnumpy().tolist()     # bin (i, j) reads channel 2 i + j
    [[[[2.5, 20.5], [42.5, 60.5]]]]
    """
    if data.ndim != 4 or rois.ndim != 2 or rois.shape[1] != 5:
        raise MXNetError(f'PSROIPooling: data must be (N, C, H, W) and rois (R, 5), got '
                         f'{shape_str(data.shape)} and {shape_str(rois.shape)}')
    plan, size = _psroi_plan(data.shape, rois, data.dtype, spatial_scale, output_dim,
                             pooled_size, group_size)
    out = xp.zeros((len(plan), output_dim, size, size), data.dtype)
    for r, (b, cells) in enumerate(plan):
        for i, j, chans, rows, cols, area in cells:
            out[r, :, i, j] = data[b, chans, rows, cols].sum(axis=(1, 2)) / data.dtype.type(area)
    return out


def _psroi_shape(in_shapes, output_dim=None, pooled_size=None, **attrs):
    return [(in_shapes[1][0], int(output_dim), int(pooled_size), int(pooled_size))]


def _psroi_grad(F, dy, x, y, **attrs):
    return [F._backward_contrib_PSROIPooling(dy, x[1], x[0], **attrs), F.zeros_like(x[1])]


_PSROI_TYPES = {'spatial_scale': 'float', 'output_dim': 'int', 'pooled_size': 'int'}

register('_contrib_PSROIPooling', _psroi_pooling, inputs=('data', 'rois'),
         backward=_psroi_grad, attr_types=_PSROI_TYPES, infer_shape=_psroi_shape)


def _psroi_pooling_adjoint(xp, dy, rois, data, spatial_scale=None, output_dim=None,
                           pooled_size=None, group_size=0):
    """The gradient of ``PSROIPooling`` with respect to its feature map: each output
    bin's gradient shared equally by the pixels of its window (``data`` gives the
    shape only).

    >>> import d2lmini as mx
    >>> g = mx.nd._backward_contrib_PSROIPooling(mx.nd.ones((1, 1, 1, 1)),
    ...     mx.nd.array([[0, 0, 0, 1, 0]]), mx.nd.zeros((1, 1, 2, 2)),
    ...     spatial_scale=1.0, output_dim=1, pooled_size=1)
    >>> g.asnumpy().reshape(2, 2).tolist()
    [[0.5, 0.5], [0.0, 0.0]]
    """
    plan, size = _psroi_plan(data.shape, rois, dy.dtype, spatial_scale, output_dim,
                             pooled_size, group_size)
    grad = xp.zeros(data.shape, dy.dtype)
    for r, (b, cells) in enumerate(plan):
        for i, j, chans, rows, cols, area in cells:
            # the channels of one bin are distinct, so the += below adds to each once
            grad[b, chans, rows, cols] += (dy[r, :, i, j] / dy.dtype.type(area))[:, None, None]
    return grad


def _psroi_pooling_adjoint_grad(F, ddx, x, y, **attrs):
    # linear in dy: its derivative is PSROIPooling itself; rois and data (shape only) get none
    return [F._contrib_PSROIPooling(ddx, x[1], **attrs), F.zeros_like(x[1]), F.zeros_like(x[2])]


register('_backward_contrib_PSROIPooling', _psroi_pooling_adjoint,
         inputs=('dy', 'rois', 'data'), backward=_psroi_pooling_adjoint_grad,
         attr_types=_PSROI_TYPES, infer_shape=lambda s, **a: [tuple(s[2])])
