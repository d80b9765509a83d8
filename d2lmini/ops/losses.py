"""Loss operators of MXNet's symbolic API: ``smooth_l1`` (Fast R-CNN's box
regression loss), ``softmax_cross_entropy`` (the summed cross entropy of a batch)
and ``make_loss`` (marks any value as a loss: its gradient is one, whatever the
head gradient).
"""
import numpy as np

from ..base import MXNetError, shape_str
from .registry import register


def _smooth_l1(xp, data, scalar=1.0):
    """Element-wise ``0.5 * (s * x)^2`` where ``|x| < 1 / s^2``, else
    ``|x| - 0.5 / s^2`` (``s`` is ``scalar``).

    >>> import d2lmini as mx
    >>> mx.nd.smooth_l1(mx.nd.array([-2, 0.5, 0.1]), scalar=2.0)
    <BLANKLINE>
    [1.875 0.375 0.02 ]
    <NDArray 3 @cpu(0)>
    """
    s2 = float(scalar) ** 2
    a = xp.abs(data)
    return xp.where(a < 1.0 / s2, 0.5 * s2 * data * data, a - 0.5 / s2).astype(data.dtype,
                                                                               copy=False)


def _smooth_l1_backward(F, dy, x, y, scalar):
    s2 = float(scalar) ** 2
    inner = F.abs(x[0]) < 1.0 / s2
    return [dy * F.where(inner, x[0] * s2, F.sign(x[0]))]


register('smooth_l1', _smooth_l1, backward=_smooth_l1_backward)


def _softmax_cross_entropy(xp, data, label):
    """The cross entropy of ``softmax(data)`` (N, K) against integer labels (N,),
    summed over the batch: an array of shape ``(1,)``.

    >>> import d2lmini as mx
    >>> mx.nd.softmax_cross_entropy(mx.nd.array([[0, 0], [0, 0]]), mx.nd.array([0, 1]))
    <BLANKLINE>
    [1.3862944]
    <NDArray 1 @cpu(0)>
    """
    if data.ndim != 2 or label.shape != data.shape[:1]:
        raise MXNetError(f'softmax_cross_entropy: needs data (N, K) and label (N,), got '
                         f'{shape_str(data.shape)} and {shape_str(label.shape)}')
    shifted = data - data.max(axis=1, keepdims=True)
    logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
    idx = label.astype(np.int64)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= data.shape[1]):
        raise MXNetError(f'softmax_cross_entropy: labels must lie in [0, {data.shape[1]})')
    picked = logp[xp.arange(data.shape[0]), idx]
    return -picked.sum(keepdims=True).reshape(1).astype(data.dtype, copy=False)


def _softmax_cross_entropy_backward(F, dy, x, y):
    data, label = x
    p = F.softmax(data, axis=-1) - F.one_hot(label, depth=data.shape[1], dtype=data.dtype)
    return [F.broadcast_mul(p, F.reshape(dy, shape=(1, 1))), None]


register('softmax_cross_entropy', _softmax_cross_entropy, inputs=('data', 'label'),
         infer_shape=lambda s: [(1,)], backward=_softmax_cross_entropy_backward)


def _make_loss(xp, data):
    """The identity, marked as a loss: its gradient is one for every element,
    whatever gradient arrives from above (``MakeLoss`` has scaling options).

    >>> import d2lmini as mx
    >>> x = mx.nd.array([1, 2])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.make_loss(x * x)
    >>> y.backward(mx.nd.array([5, 5])); x.grad
    <BLANKLINE>
    [2. 4.]
    <NDArray 2 @cpu(0)>
    """
    return data.copy()


register('make_loss', _make_loss, output_names=('loss',),
         backward=lambda F, dy, x, y: [F.ones_like(x[0])])
