"""Connectionist temporal classification: ``CTCLoss``.

CTC scores an unsegmented label sequence (``"cat"``) against a sequence of
per-frame class scores: it adds up the probabilities of every alignment that
collapses to the label once repeats are merged and blanks removed. With the
label padded by blanks, ``l' = (blank, l1, blank, l2, ..., blank)`` of length
``S = 2L + 1``, the forward variables ``alpha_t(s)`` (the probability of the
alignments of frames ``0..t`` that end in state ``s``) obey

    alpha_t(s) = y_t(l'_s) * (alpha_{t-1}(s) + alpha_{t-1}(s-1) [+ alpha_{t-1}(s-2)])

where the last term is there when ``l'_s`` is not a blank and differs from
``l'_{s-2}`` (a blank can be skipped only between different labels). The
backward variables ``beta`` run the same recursion from the end, and
``alpha_t(s) beta_t(s) / y_t(l'_s)`` is the probability of the alignments that
pass through state ``s`` at frame ``t``. Everything is computed with logarithms,
so long sequences do not underflow.

The loss is ``-log p(label | data)``; its gradient with respect to the scores
before the softmax is ``softmax(data) - occupancy``, where the occupancy of class
``k`` at frame ``t`` adds up the posterior of the states labelled ``k``. As in
MXNet, the forward pass computes that gradient too (a hidden output) and the
backward pass scales it by the output gradient.
"""
import numpy as np

from ..base import MXNetError, shape_str
from .registry import register

_NEG_INF = -np.inf


def _lengths(xp, label, label_lengths, blank_label, use_label_lengths):
    """Each label's length: given, or up to the first padding value (0 when the blank
    is the first class, -1 when it is the last)."""
    n, max_len = label.shape
    if use_label_lengths:
        return label_lengths.astype(np.int64).reshape(n)
    pad = 0 if blank_label == 'first' else -1
    is_pad = label == pad
    first = xp.argmax(is_pad, axis=1)
    return xp.where(is_pad.any(axis=1), first, max_len).astype(np.int64)


def _log_softmax(xp, data):
    shifted = data - data.max(axis=2, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=2, keepdims=True))


def _logsumexp3(xp, a, b, c):
    m = xp.maximum(xp.maximum(a, b), c)
    safe = xp.where(xp.isfinite(m), m, 0.0)
    with np.errstate(invalid='ignore'):
        total = xp.exp(a - safe) + xp.exp(b - safe) + xp.exp(c - safe)
    with np.errstate(divide='ignore'):
        return xp.where(xp.isfinite(m), safe + xp.log(total), _NEG_INF)


def _shift(xp, a, k, right=True):
    """``a`` moved ``k`` states along the last axis, filled with -inf."""
    fill = xp.full(a.shape[:-1] + (k,), _NEG_INF, dtype=a.dtype)
    if right:
        return xp.concatenate([fill, a[..., :-k]], axis=-1)
    return xp.concatenate([a[..., k:], fill], axis=-1)


def _ctc(xp, data, label, data_lengths, label_lengths, blank_label):
    """``(loss, gradient of the loss with respect to data)`` for ``data`` of shape
    ``(T, N, C)``; the arrays are float64."""
    T, N, C = data.shape
    blank = 0 if blank_label == 'first' else C - 1
    lab = label.astype(np.int64)
    L = lab.shape[1]
    S = 2 * L + 1
    seq_len = (data_lengths.astype(np.int64).reshape(N) if data_lengths is not None
               else xp.full((N,), T, dtype=np.int64))
    logp = _log_softmax(xp, data.astype(np.float64))
    # the extended labels; positions past a label's length are never reached
    ext = xp.full((N, S), blank, dtype=np.int64)
    ext[:, 1::2] = xp.clip(lab, 0, C - 1)
    valid = xp.arange(S)[None, :] < (2 * label_lengths[:, None] + 1)
    skip = xp.zeros((N, S), dtype=bool)
    if S > 2:
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    lp = xp.take_along_axis(logp, xp.broadcast_to(ext[None], (T, N, S)), axis=2)
    lp = xp.where(valid[None], lp, _NEG_INF)
    # forward variables
    alpha = xp.full((T, N, S), _NEG_INF)
    alpha[0, :, :2] = lp[0, :, :2]
    for t in range(1, T):
        a = alpha[t - 1]
        a2 = xp.where(skip, _shift(xp, a, 2), _NEG_INF)
        alpha[t] = _logsumexp3(xp, a, _shift(xp, a, 1), a2) + lp[t]
    # the last frame of each sequence ends in the last label or the blank after it
    last_t = xp.clip(seq_len - 1, 0, T - 1)
    a_end = alpha[last_t, xp.arange(N)]                                   # (N, S)
    end_state = 2 * label_lengths
    end = xp.take_along_axis(a_end, end_state[:, None], axis=1)[:, 0]
    before = xp.take_along_axis(a_end, xp.maximum(end_state - 1, 0)[:, None], axis=1)[:, 0]
    before = xp.where(label_lengths > 0, before, _NEG_INF)
    log_like = xp.logaddexp(end, before)
    # backward variables, each sequence starting from its own last frame
    states = xp.arange(S)[None, :]
    beta_init = (states == end_state[:, None]) | ((states == end_state[:, None] - 1)
                                                  & (label_lengths[:, None] > 0))
    beta = xp.full((T, N, S), _NEG_INF)
    skip_next = _shift(xp, skip.astype(np.float64), 2, right=False) > 0
    for t in range(T - 1, -1, -1):
        if t == T - 1:
            rec = xp.full((N, S), _NEG_INF)
        else:
            b = beta[t + 1]
            b2 = xp.where(skip_next, _shift(xp, b, 2, right=False), _NEG_INF)
            rec = _logsumexp3(xp, b, _shift(xp, b, 1, right=False), b2)
        start = (seq_len - 1 == t)[:, None]
        beta[t] = xp.where(start, xp.where(beta_init, 0.0, _NEG_INF), rec) + lp[t]
    # occupancy of each class: the posterior of the states that carry it
    with np.errstate(invalid='ignore', over='ignore'):
        post = xp.exp(alpha + beta - xp.where(xp.isfinite(lp), lp, 0.0)
                      - log_like[None, :, None])
    post = xp.where(xp.isfinite(post), post, 0.0)
    onehot = (ext[:, :, None] == xp.arange(C)[None, None, :]).astype(np.float64)
    occupancy = xp.einsum('tns,nsc->tnc', post, onehot)
    grad = xp.exp(logp) - occupancy
    in_seq = (xp.arange(T)[:, None] < seq_len[None, :])[:, :, None]
    feasible = xp.isfinite(log_like)[None, :, None]
    grad = xp.where(in_seq & feasible, grad, 0.0)
    return -log_like, grad


def _ctc_loss(xp, data, label, data_lengths=None, label_lengths=None, use_data_lengths=False,
              use_label_lengths=False, blank_label='first'):
    """The CTC loss of every sequence of a batch: ``data`` holds unnormalised class
    scores of shape ``(sequence length, batch, classes)`` (a softmax is applied
    inside), ``label`` the label sequences ``(batch, label length)``.

    ``blank_label='first'`` makes class 0 the blank (labels are 1..C-1, padded
    with 0); ``'last'`` makes class C-1 the blank (labels 0..C-2, padded with -1).
    ``data_lengths``/``label_lengths`` (read with ``use_data_lengths`` /
    ``use_label_lengths``) give each sequence's length; without them every
    sequence fills the data, and a label ends at its first padding value.

    >>> import d2lmini as mx
    >>> data = mx.nd.zeros((2, 1, 3))       # 2 frames, 1 sequence, 3 classes
    >>> mx.nd.CTCLoss(data, mx.nd.array([[1]]))   # 3 of 9 paths give label 1
    <BLANKLINE>
    [1.0986123]
    <NDArray 1 @cpu(0)>
    """
    if blank_label not in ('first', 'last'):
        raise MXNetError(f"CTCLoss: blank_label must be 'first' or 'last', got {blank_label!r}")
    if data.ndim != 3 or label.ndim != 2 or label.shape[0] != data.shape[1]:
        raise MXNetError(f'CTCLoss: expects data (sequence length, batch, classes) and label '
                         f'(batch, label length), got {shape_str(data.shape)} and '
                         f'{shape_str(label.shape)}')
    # the lengths that are used arrive in order, whichever of them are given
    given = [a for a in (data_lengths, label_lengths) if a is not None]
    dl = given.pop(0) if use_data_lengths and given else None
    ll = given.pop(0) if use_label_lengths and given else None
    if use_data_lengths and dl is None or use_label_lengths and ll is None:
        raise MXNetError('CTCLoss: use_data_lengths/use_label_lengths need the lengths '
                         'as inputs')
    lengths = _lengths(xp, label, ll, blank_label, use_label_lengths)
    loss, grad = _ctc(xp, data, label, dl, lengths, blank_label)
    return loss.astype(data.dtype), grad.astype(data.dtype)


def _ctc_used_inputs(attrs):
    names = ['data', 'label']
    if attrs['use_data_lengths']:
        names.append('data_lengths')
    if attrs['use_label_lengths']:
        names.append('label_lengths')
    return tuple(names)


def _ctc_backward(F, dy, x, y, **attrs):
    # the gradient forward computed, scaled per sequence by the output gradient
    grad = F.broadcast_mul(y[1], F.reshape(dy[0], (1, -1, 1)))
    return [grad] + [None] * (len(x) - 1)


register('CTCLoss', _ctc_loss, backward=_ctc_backward, once_differentiable=True,
         aliases=('ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss'),
         inputs=('data', 'label', 'data_lengths', 'label_lengths'),
         num_outputs=2, num_visible_outputs=1, optional_inputs=_ctc_used_inputs,
         infer_shape=lambda shapes, **attrs: [(shapes[0][1],), tuple(shapes[0])],
         output_names=('output0', 'output1'))
