"""Normalisations that divide each value by a norm of its neighbourhood, with no
learned parameters: ``LRN`` (AlexNet's local response normalisation across nearby
channels), ``L2Normalization`` (unit L2 norm per instance, channel or position) and
``SoftmaxActivation`` (a softmax over the last axis or the channels).

Their backwards are written with ``F`` from the same pieces as the forward, so they
can be differentiated again. LRN's sum over a window of channels is its own
operator, ``_lrn_window_sum``: the window is symmetric, so that sum is its own
adjoint and its own gradient.
"""
import numpy as np

from ..base import MXNetError, shape_str
from .registry import register


# ---------------------------------------------------------------------- LRN
def _window_sum(xp, data, nsize=5):
    """The sum over a window of ``nsize`` channels centred on each channel (axis 1;
    channels past either end count as zeros).

    >>> import d2lmini as mx
    >>> mx.nd._lrn_window_sum(mx.nd.ones((1, 4, 1, 1)), nsize=3).asnumpy().ravel()
    array([2., 3., 3., 2.], dtype=float32)
    """
    if nsize < 1 or nsize % 2 == 0:
        raise MXNetError(f'LRN: nsize={nsize} must be a positive odd number')
    if data.ndim < 2:
        raise MXNetError(f'LRN: the input needs a channel axis, got shape {shape_str(data.shape)}')
    half = nsize // 2
    c = data.shape[1]
    csum = xp.zeros((data.shape[0], c + 1) + data.shape[2:], dtype=data.dtype)
    xp.cumsum(data, axis=1, out=csum[:, 1:])
    hi = np.minimum(np.arange(c) + half + 1, c)
    lo = np.maximum(np.arange(c) - half, 0)
    return csum[:, hi] - csum[:, lo]


register('_lrn_window_sum', _window_sum,
         backward=lambda F, dy, x, y, nsize: [F._lrn_window_sum(dy, nsize=nsize)])


def _lrn_scale(F, x, alpha, knorm, nsize):
    return F._lrn_window_sum(F.square(x), nsize=nsize) * (alpha / nsize) + knorm


def _lrn(xp, data, alpha=0.0001, beta=0.75, knorm=2.0, nsize=None):
    """Local response normalisation across channels:
    ``out = x / (knorm + alpha / nsize * sum of x^2 over nsize channels) ** beta``.

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((1, 3, 1, 1))
    >>> mx.nd.LRN(x, alpha=0.3, beta=1.0, knorm=1.0, nsize=3).asnumpy().ravel()
    array([0.8333333, 0.7692308, 0.8333333], dtype=float32)
    """
    if nsize is None:
        raise MXNetError('LRN: the argument nsize is required')
    s = _window_sum(xp, data * data, nsize) * (alpha / nsize) + knorm
    return (data * s ** -beta).astype(data.dtype, copy=False)


def _lrn_backward(F, dy, x, y, alpha, beta, knorm, nsize):
    data = x[0]
    s = _lrn_scale(F, data, alpha, knorm, nsize)
    direct = dy * s ** -beta
    spread = F._lrn_window_sum(dy * data * s ** (-beta - 1), nsize=nsize)
    return [direct - spread * data * (2.0 * beta * alpha / nsize)]


register('LRN', _lrn, backward=_lrn_backward, attr_types={'nsize': 'int'}, required=('nsize',))


# ---------------------------------------------------------------------- L2Normalization
def _l2_axes(mode, ndim):
    if mode == 'instance':
        return tuple(range(1, ndim))
    if mode == 'channel':
        return (1,)
    if mode == 'spatial':
        return tuple(range(2, ndim))
    raise MXNetError(f"L2Normalization: mode={mode!r}; choose 'instance', 'channel' or "
                     "'spatial'")


def _l2_normalization(xp, data, eps=1e-10, mode='instance'):
    """Divide by the L2 norm ``sqrt(sum(x^2) + eps)`` over every value of an instance
    (``mode='instance'``), over the channels at each position (``'channel'``) or
    over the positions of each channel (``'spatial'``).

    >>> import d2lmini as mx
    >>> mx.nd.L2Normalization(mx.nd.array([[3, 4]]))
    <BLANKLINE>
    [[0.6 0.8]]
    <NDArray 1x2 @cpu(0)>
    """
    axes = _l2_axes(mode, data.ndim)
    if data.ndim < 2 or (mode == 'spatial' and data.ndim < 3):
        raise MXNetError(f'L2Normalization: mode={mode!r} does not fit an input of shape '
                         f'{shape_str(data.shape)}')
    norm = xp.sqrt((data * data).sum(axis=axes, keepdims=True) + eps)
    return (data / norm).astype(data.dtype, copy=False)


def _l2_backward(F, dy, x, y, eps, mode):
    data = x[0]
    axes = _l2_axes(mode, data.ndim)
    inv = F.rsqrt(F.sum(F.square(data), axis=axes, keepdims=True) + eps)
    proj = F.sum(dy * data, axis=axes, keepdims=True)
    return [F.broadcast_mul(dy, inv) - data * F.broadcast_mul(proj, inv ** 3)]


register('L2Normalization', _l2_normalization, backward=_l2_backward)


# ---------------------------------------------------------------------- SoftmaxActivation
def _softmax_activation(xp, data, mode='instance'):
    """A softmax over the last axis (``mode='instance'``: the input seen as rows of
    its last axis, as MXNet flattens it) or over the channels, axis 1 (``'channel'``).

    >>> import d2lmini as mx
    >>> mx.nd.SoftmaxActivation(mx.nd.array([[0, 0], [0, 1]]))
    <BLANKLINE>
    [[0.5       0.5      ]
     [0.2689414 0.7310586]]
    <NDArray 2x2 @cpu(0)>
    """
    if mode not in ('instance', 'channel'):
        raise MXNetError(f"SoftmaxActivation: mode={mode!r}; choose 'instance' or 'channel'")
    if mode == 'channel' and data.ndim < 2:
        raise MXNetError(f"SoftmaxActivation: mode='channel' needs a channel axis, "
                         f'got shape {shape_str(data.shape)}')
    axis = -1 if mode == 'instance' else 1
    e = xp.exp(data - data.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(data.dtype, copy=False)


def _softmax_activation_backward(F, dy, x, y, mode):
    axis = -1 if mode == 'instance' else 1
    return [y * F.broadcast_sub(dy, F.sum(dy * y, axis=axis, keepdims=True))]


register('SoftmaxActivation', _softmax_activation, backward=_softmax_activation_backward)
