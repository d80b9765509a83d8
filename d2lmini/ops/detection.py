"""Object-detection operators of ``mx.nd.contrib`` (registered as ``_contrib_X``):
anchor boxes (``MultiBoxPrior``), their training targets (``MultiBoxTarget``), the
decoding of predictions into detections (``MultiBoxDetection``), box overlaps
(``box_iou``), non-maximum suppression (``box_nms``), greedy matching
(``bipartite_matching``), box encoding and decoding (``box_encode``,
``box_decode``) and ``ROIAlign``.

Boxes are ``(xmin, ymin, xmax, ymax)`` ("corner" format) unless an operator says
``center`` (``(x, y, width, height)``). Matching and suppression are sequential,
greedy algorithms: they run on the host, in the dtype of the inputs, and copy the
result back to the inputs' device. Except for ``box_nms`` (whose output rows are
rows of the input, so the gradient goes back to the rows that were kept) and
``ROIAlign`` (linear in the feature map), MXNet gives these operators a zero
gradient, and so does d2lmini.

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
             background_id, force_suppress, in_format):
    """Indices of the rows kept, in output order."""
    score = rows[:, score_index]
    ok = score > rows.dtype.type(valid_thresh)
    if id_index >= 0 and background_id >= 0:
        ok &= rows[:, id_index] != background_id
    cand = np.nonzero(ok)[0]
    cand = cand[np.argsort(-score[cand], kind='stable')]
    if topk > 0:
        cand = cand[:topk]
    boxes = rows[cand, coord_start:coord_start + 4]
    iou = _iou_matrix(boxes, boxes, in_format)
    ids = rows[cand, id_index] if id_index >= 0 else None
    alive = np.ones(len(cand), bool)
    thr = rows.dtype.type(overlap_thresh)
    for i in range(len(cand)):
        if not alive[i]:
            continue
        later = np.arange(i + 1, len(cand))
        hit = alive[later] & (iou[i, later] > thr)
        if ids is not None and not force_suppress:
            hit &= ids[later] == ids[i]
        alive[later[hit]] = False
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
