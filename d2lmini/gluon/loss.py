"""Loss functions (``gluon.loss``): how far predictions are from the truth.

A loss is a :class:`~d2lmini.gluon.block.HybridBlock` called as ``loss(pred, label)``
(some take ``sample_weight`` or further inputs). It returns one value per example:
the element-wise losses are averaged over every axis except ``batch_axis``. Two
ways to weight them, as in MXNet 1.x:

* ``weight`` (constructor): one number multiplying every loss;
* ``sample_weight`` (call): an array broadcast against the element-wise loss,
  e.g. shape ``(batch_size, 1)`` to weight each example.

The formulas are written in numerically stable forms (log-softmax, softplus) so
that large inputs give finite losses and gradients.

>>> import d2lmini as mx
>>> from d2lmini.gluon import loss as gloss
>>> l2 = gloss.L2Loss()
>>> l2(mx.nd.array([[1, 2], [3, 4]]), mx.nd.array([[1, 0], [3, 3]]))
<BLANKLINE>
[1.   0.25]
<NDArray 2 @cpu(0)>
"""
import math

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError, numeric_types
from .block import HybridBlock

__all__ = ['Loss', 'L2Loss', 'L1Loss', 'SigmoidBinaryCrossEntropyLoss', 'SigmoidBCELoss',
           'SoftmaxCrossEntropyLoss', 'SoftmaxCELoss', 'KLDivLoss', 'HuberLoss', 'HingeLoss',
           'SquaredHingeLoss', 'LogisticLoss', 'TripletLoss', 'PoissonNLLLoss',
           'CosineEmbeddingLoss', 'SDMLLoss', 'CTCLoss']


# ---------------------------------------------------------------------- helpers
def _is_array(x):
    return isinstance(x, nd.NDArray)


def _check_broadcast(loss_name, what, shape, target_shape, target='pred'):
    """Raise a clear error when ``shape`` does not broadcast with ``target_shape``."""
    try:
        np.broadcast_shapes(tuple(shape), tuple(target_shape))
    except ValueError:
        raise MXNetError(f'{loss_name}: {what} of shape {tuple(shape)} does not broadcast '
                         f'with {target} of shape {tuple(target_shape)}') from None


def _reshape_like(F, x, y, loss_name='Loss', what='label'):
    """``x`` with ``y``'s shape. Losses accept a label of any shape with as many
    elements as ``pred`` (a label of shape (n,) for a prediction of shape (n, 1))."""
    if not _is_array(x):  # a symbol: its shape is not known until the graph runs
        return F.reshape_like(x, y)
    if x.shape == y.shape:
        return x
    if x.size != y.size:
        raise MXNetError(f'{loss_name}: {what} of shape {x.shape} does not match pred of shape '
                         f'{y.shape}: they need the same number of elements '
                         f'({x.size} vs {y.size})')
    return x.reshape(y.shape)


def _apply_weighting(F, loss, weight=None, sample_weight=None, loss_name='Loss'):
    """``loss`` times ``sample_weight`` (broadcast) and times the number ``weight``."""
    if sample_weight is not None:
        if _is_array(loss) and _is_array(sample_weight):
            _check_broadcast(loss_name, 'sample_weight', sample_weight.shape, loss.shape,
                             target='the element-wise loss')
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        loss = loss * weight
    return loss


def _softplus_of_minus_abs(F, x):
    """``log(1 + exp(-|x|))``: the part of ``softplus(x) = relu(x) + log(1 + exp(-|x|))``
    that cannot overflow, since ``exp`` only sees numbers <= 0."""
    return F.log1p(F.exp(-F.abs(x)))


# ---------------------------------------------------------------------- base class
class Loss(HybridBlock):
    """The base class of losses.

    ``weight`` is a number multiplying the loss (or None); ``batch_axis`` is the axis
    of examples, the one axis not averaged away. Subclasses write
    ``hybrid_forward(F, pred, label, sample_weight=None)``.
    """

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        if weight is not None and not isinstance(weight, numeric_types):
            raise TypeError(f'{type(self).__name__}: weight must be a number or None, got '
                            f'{type(weight).__name__}')
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self):
        return f'{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})'

    def _weighted(self, F, loss, sample_weight, weight=None):
        weight = self._weight if weight is None else weight
        return _apply_weighting(F, loss, weight, sample_weight, type(self).__name__)

    def _like_pred(self, F, x, pred, what='label'):
        return _reshape_like(F, x, pred, type(self).__name__, what)

    def _per_example(self, F, loss):
        """Average over every axis except the batch axis: one loss per example."""
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError(f'{type(self).__name__} must define hybrid_forward()')


# ---------------------------------------------------------------------- regression
class L2Loss(Loss):
    r"""Squared error with MXNet's factor one half: :math:`L = \frac{1}{2}(label - pred)^2`,
    averaged per example (so the gradient is simply ``pred - label``).

    ``label`` may have any shape with as many elements as ``pred``.

    >>> import d2lmini as mx
    >>> L2Loss()(mx.nd.array([[0, 2]]), mx.nd.array([[1, 0]]))   # (1 + 4) / 2 / 2
    <BLANKLINE>
    [1.25]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = self._like_pred(F, label, pred)
        loss = F.square(label - pred)
        half = 0.5 if self._weight is None else self._weight / 2
        return self._per_example(F, self._weighted(F, loss, sample_weight, half))


class L1Loss(Loss):
    r"""Absolute error :math:`L = |label - pred|`, averaged per example.

    >>> import d2lmini as mx
    >>> L1Loss()(mx.nd.array([[0, 2]]), mx.nd.array([[1, 0]]))
    <BLANKLINE>
    [1.5]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = self._like_pred(F, label, pred)
        loss = F.abs(label - pred)
        return self._per_example(F, self._weighted(F, loss, sample_weight))


class HuberLoss(Loss):
    r"""Smooth L1: quadratic near zero, linear far away, so outliers pull less.

    .. math:: L = \begin{cases} \frac{1}{2\rho}(label - pred)^2 & |label - pred| \le \rho \\
                                |label - pred| - \frac{\rho}{2} & \text{otherwise} \end{cases}

    >>> import d2lmini as mx
    >>> HuberLoss()(mx.nd.array([[0.5, 3]]), mx.nd.array([[0, 0]]))  # (0.125 + 2.5) / 2
    <BLANKLINE>
    [1.3125]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = self._like_pred(F, label, pred)
        err = F.abs(label - pred)
        loss = F.where(err > self._rho, err - 0.5 * self._rho, (0.5 / self._rho) * F.square(err))
        return self._per_example(F, self._weighted(F, loss, sample_weight))


# ---------------------------------------------------------------------- classification
class SoftmaxCrossEntropyLoss(Loss):
    r"""Softmax followed by cross-entropy, computed together as
    :math:`L = -\log \mathrm{softmax}(pred)_{label}` with a log-softmax, so no
    probability ever underflows to ``log(0)``. Alias: ``SoftmaxCELoss``.

    ``axis`` is the class axis. With ``sparse_label=True`` the label holds class
    indices, with ``pred``'s shape minus that axis (or with that axis of size 1);
    otherwise it holds a distribution over classes, shaped like ``pred``, and
    :math:`L = -\sum_j label_j \log \mathrm{softmax}(pred)_j`.
    ``from_logits=True`` says ``pred`` is already a log-softmax.

    >>> import d2lmini as mx
    >>> loss = SoftmaxCrossEntropyLoss()
    >>> loss(mx.nd.array([[0, 0], [10, -10]]), mx.nd.array([1, 0]))   # [log 2, ~0]
    <BLANKLINE>
    [0.6931472 0.       ]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None,
                 batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def _check_sparse_label(self, pred, label):
        axis = self._axis % pred.ndim
        without_axis = pred.shape[:axis] + pred.shape[axis + 1:]
        size_one_axis = pred.shape[:axis] + (1,) + pred.shape[axis + 1:]
        if label.shape not in (without_axis, size_one_axis):
            raise MXNetError(
                f'{type(self).__name__}: label of shape {label.shape} does not fit pred of shape '
                f'{pred.shape} with class axis {self._axis}: class indices need shape '
                f'{without_axis} (or {size_one_axis}); a distribution over classes '
                '(sparse_label=False) needs the shape of pred')

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            if _is_array(pred) and _is_array(label):
                self._check_sparse_label(pred, label)
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            label = self._like_pred(F, label, pred)
            loss = -F.sum(pred * label, axis=self._axis, keepdims=True)
        return self._per_example(F, self._weighted(F, loss, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class SigmoidBinaryCrossEntropyLoss(Loss):
    r"""Binary cross-entropy of independent yes/no labels (in ``[0, 1]``).
    Alias: ``SigmoidBCELoss``.

    With ``from_sigmoid=False`` ``pred`` holds scores :math:`x` and, with
    :math:`p = \sigma(x)`, :math:`L = -(w\, y \log p + (1 - y) \log(1 - p))`, computed
    in the stable form :math:`\max(x, 0) - x y + \log(1 + e^{-|x|})` (for
    :math:`w = 1`). With ``from_sigmoid=True`` ``pred`` holds the probabilities
    :math:`p`, and 1e-12 guards the logarithms.

    The call takes ``(pred, label, sample_weight=None, pos_weight=None)``;
    ``pos_weight`` (:math:`w`, broadcast against ``label``, e.g. shape
    ``(1, classes)``) weights positive labels: above 1 it favours recall.

    The losses below are log 2 and 100 (the last digit of log 2 may vary with the
    machine's vectorised ``log1p``):

    >>> import d2lmini as mx
    >>> SigmoidBCELoss()(mx.nd.array([[0], [100]]), mx.nd.array([[1], [0]]))  # doctest: +ELLIPSIS
    <BLANKLINE>
    [  0.693147... 100. ...]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = self._like_pred(F, label, pred)
        if pos_weight is not None and _is_array(pos_weight) and _is_array(label):
            _check_broadcast(type(self).__name__, 'pos_weight', pos_weight.shape, label.shape,
                             target='label')
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + _softplus_of_minus_abs(F, pred)
            else:
                # -log(1 - p) = x + softplus(-x) and -log(p) = softplus(-x), where
                # softplus(-x) = log(1 + e^-|x|) + relu(-x); positives weigh w.
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (
                    _softplus_of_minus_abs(F, pred) + F.relu(-pred))
        else:
            eps = 1e-12
            log_p = F.log(pred + eps) * label
            if pos_weight is not None:
                log_p = F.broadcast_mul(log_p, pos_weight)
            loss = -(log_p + F.log(1. - pred + eps) * (1. - label))
        return self._per_example(F, self._weighted(F, loss, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class LogisticLoss(Loss):
    r"""Logistic loss :math:`L = \log(1 + e^{-pred \cdot label})` for labels -1/1
    (``label_format='signed'``) or 0/1 (``'binary'``), computed stably.

    The losses below are log 2 and 100 (the last digit of log 2 may vary with the
    machine's vectorised ``log1p``):

    >>> import d2lmini as mx
    >>> LogisticLoss()(mx.nd.array([[0], [-100]]), mx.nd.array([[1], [1]]))  # doctest: +ELLIPSIS
    <BLANKLINE>
    [  0.693147... 100. ...]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ('signed', 'binary'):
            raise ValueError(f"LogisticLoss: label_format must be 'signed' (labels -1/1) or "
                             f"'binary' (labels 0/1), got {label_format!r}")
        self._label_format = label_format

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = self._like_pred(F, label, pred)
        if self._label_format == 'signed':
            label = (label + 1.0) / 2.0  # -1/1 -> 0/1
        loss = F.relu(pred) - pred * label + _softplus_of_minus_abs(F, pred)
        return self._per_example(F, self._weighted(F, loss, sample_weight))


class HingeLoss(Loss):
    r"""The SVM's hinge loss :math:`L = \max(0, margin - pred \cdot label)` for labels
    -1 or 1: zero once an example is on the right side by at least ``margin``.

    >>> import d2lmini as mx
    >>> HingeLoss()(mx.nd.array([[2, 0.5, -1]]), mx.nd.array([[1, 1, 1]]))  # (0 + .5 + 2) / 3
    <BLANKLINE>
    [0.8333333]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = self._like_pred(F, label, pred)
        loss = F.relu(self._margin - pred * label)
        return self._per_example(F, self._weighted(F, loss, sample_weight))


class SquaredHingeLoss(Loss):
    r"""The squared hinge loss :math:`L = \max(0, margin - pred \cdot label)^2`
    (labels -1 or 1): smooth at the margin.

    >>> import d2lmini as mx
    >>> SquaredHingeLoss()(mx.nd.array([[2, 0.5, -1]]), mx.nd.array([[1, 1, 1]]))
    <BLANKLINE>
    [1.4166666]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = self._like_pred(F, label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        return self._per_example(F, self._weighted(F, loss, sample_weight))


# ---------------------------------------------------------------------- distributions
class KLDivLoss(Loss):
    r"""Kullback-Leibler divergence :math:`L = \sum_i label_i (\log label_i - pred_i)`
    of ``pred`` (log-probabilities) from ``label`` (probabilities).

    With ``from_logits=False`` ``pred`` holds scores, turned into log-probabilities
    with a log-softmax over ``axis``. As in MXNet 1.9, the terms are *summed* (not
    averaged) over the non-batch axes, so the result is the true divergence.

    >>> import d2lmini as mx
    >>> p = mx.nd.array([[0.5, 0.5]])
    >>> KLDivLoss()(mx.nd.log(p), p)                        # equal distributions
    <BLANKLINE>
    [0.]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if _is_array(pred) and _is_array(label):
            _check_broadcast(type(self).__name__, 'label', label.shape, pred.shape)
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        # 1e-12 keeps log finite where label is 0 (the term is 0 there anyway)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = self._weighted(F, loss, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class PoissonNLLLoss(Loss):
    r"""Negative log-likelihood of counts ``target`` under Poisson distributions with
    means ``pred``: :math:`L = pred - target \log(pred)` (``from_logits=False``), or,
    when ``pred`` is the log of the mean (``from_logits=True``, the default),
    :math:`L = e^{pred} - target \cdot pred`.

    ``compute_full=True`` adds Stirling's approximation of :math:`\log(target!)`,
    :math:`t \log t - t + \frac{1}{2}\log(2\pi t)`, for targets above 1 (it is taken
    as 0 for targets of 0 and 1). The result is the mean over *all* elements,
    of shape (1,). The call takes ``(pred, target, sample_weight=None,
    epsilon=1e-08)``; ``epsilon`` guards ``log(pred)``.

    >>> import d2lmini as mx
    >>> PoissonNLLLoss()(mx.nd.array([[0, 0]]), mx.nd.array([[1, 3]]))  # e^0 - 0
    <BLANKLINE>
    [1.]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False,
                 **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = self._like_pred(F, target, pred, what='target')
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            above_one = target > 1
            # Evaluate the formula at 1 where it is not used: log(0) would give
            # 0 * -inf = nan for zero counts.
            t = F.where(above_one, target, F.ones_like(target))
            stirling = t * F.log(t) - t + 0.5 * F.log(2 * math.pi * t)
            loss = loss + stirling * above_one
        loss = self._weighted(F, loss, sample_weight)
        return F.mean(loss)


# ---------------------------------------------------------------------- embeddings
class TripletLoss(Loss):
    r"""Triplet loss: ``pred`` should be closer to ``positive`` than to ``negative`` by
    at least ``margin`` (in squared Euclidean distance over the non-batch axes):

    .. math:: L = \max(\Vert positive - pred \Vert^2 - \Vert negative - pred \Vert^2
                       + margin, 0)

    The call takes ``(pred, positive, negative)``, all with as many elements.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[0, 0]])
    >>> TripletLoss()(a, mx.nd.array([[1, 0]]), mx.nd.array([[0, 3]]))  # 1 - 9 + 1 < 0
    <BLANKLINE>
    [0.]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative):
        positive = self._like_pred(F, positive, pred, what='positive')
        negative = self._like_pred(F, negative, pred, what='negative')
        gap = F.sum(F.square(positive - pred) - F.square(negative - pred),
                    axis=self._batch_axis, exclude=True)
        return self._weighted(F, F.relu(gap + self._margin), None)


class CosineEmbeddingLoss(Loss):
    r"""Similarity loss for pairs ``(input1, input2)`` with labels 1 (similar) or -1
    (dissimilar), from the cosine similarity :math:`c` of each pair's last axis:

    .. math:: L = \begin{cases} 1 - c & label = 1 \\ \max(0, c - margin) & label = -1
                  \end{cases}

    The call takes ``(input1, input2, label, sample_weight=None)``. As in MXNet, the
    result has shape ``(batch_size, 1)``.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 0], [1, 0]])
    >>> y = mx.nd.array([[1, 0], [0, 1]])
    >>> CosineEmbeddingLoss()(x, y, mx.nd.array([1, -1])).asnumpy().tolist()
    [[0.0], [0.0]]
    """

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input1 = self._like_pred(F, input1, input2, what='input1')
        label = label.reshape((-1, 1))
        cos_sim = self._cosine_similarity(F, input1, input2)
        if _is_array(label) and label.shape[0] != cos_sim.shape[0]:
            raise MXNetError(f'{type(self).__name__}: label of shape {label.shape} does not '
                             f'match inputs of shape {input2.shape}: it needs one value per '
                             f'pair ({cos_sim.shape[0]})')
        similar = label == 1
        dissimilar = label == -1
        loss = (1 - cos_sim) * similar + F.relu(dissimilar * (cos_sim - self._margin))
        return self._weighted(F, loss, sample_weight)

    @staticmethod
    def _cosine_similarity(F, x, y, axis=-1):
        """Cosine of the angle between ``x`` and ``y`` along ``axis``, shape (n, 1);
        the norms' product is kept above 1e-12 so zero vectors give 0, not nan."""
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)


class SDMLLoss(Loss):
    r"""Smoothed deep metric learning loss (Bonadiman et al., 2019) for a batch of
    aligned pairs: ``x1[i]`` and ``x2[i]`` are a positive pair, and every other
    ``x2[j]`` in the batch serves as a negative for ``x1[i]``.

    Each row of ``-distances`` (squared Euclidean distances from ``x1[i]`` to all of
    ``x2``) becomes log-probabilities by a log-softmax; the loss is their
    :class:`KLDivLoss` from smoothed one-hot targets: ``1 - smoothing_parameter`` on
    the partner, the rest spread evenly over the others.

    The call takes ``(x1, x2)``, both of shape (batch_size, dim), batch_size > 1;
    the result has shape (batch_size,).

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[0, 0], [3, 0]])
    >>> SDMLLoss(smoothing_parameter=0.)(x, x)  # partners far closer than the others
    <BLANKLINE>
    [0.00012337 0.00012337]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def hybrid_forward(self, F, x1, x2):
        if _is_array(x1) and _is_array(x2):
            if x1.shape != x2.shape or x1.ndim != 2:
                raise MXNetError(f'{type(self).__name__}: x1 and x2 must both have shape '
                                 f'(batch_size, dim), got {x1.shape} and {x2.shape}')
            if x1.shape[0] < 2:
                raise MXNetError(f'{type(self).__name__}: needs at least 2 pairs in the '
                                 f'batch (the other pairs are the negatives), got {x1.shape[0]}')
        # distances[i, j] = |x1[i] - x2[j]|^2, by broadcasting (batch, 1, dim) - (1, batch, dim)
        differences = F.broadcast_sub(F.expand_dims(x1, axis=1), F.expand_dims(x2, axis=0))
        distances = F.sum(F.square(differences), axis=2)
        log_probabilities = F.log_softmax(-distances, axis=1)
        return self.kl_loss(log_probabilities, self._smoothed_targets(F, distances))

    def _smoothed_targets(self, F, distances):
        """The identity matrix of the batch, smoothed: ``1 - s`` on the diagonal and
        ``s / (batch_size - 1)`` elsewhere. Built from ``distances`` with shape-free
        operators so that the loss also runs in a hybridized graph."""
        ones = F.ones_like(F.sum(distances, axis=1))       # (batch_size,)
        gold = F.diag(ones)                                # identity (batch, batch)
        others = F.sum(ones) - 1                           # batch_size - 1, shape (1,)
        spread = F.broadcast_div((1 - gold) * self.smoothing_parameter, others)
        return gold * (1 - self.smoothing_parameter) + spread


# ---------------------------------------------------------------------- sequences
class CTCLoss(Loss):
    """Connectionist temporal classification loss (see :mod:`d2lmini.ops.ctc`):
    ``-log p(label | pred)``, summed over every alignment of the label to the
    frames, one value per sequence.

    ``pred`` holds unnormalised class scores, laid out as ``layout`` (``'NTC'``
    or ``'TNC'``); the last class is the blank. ``label`` (``label_layout``
    ``'NT'`` or ``'TN'``) holds classes ``0 .. C-2`` padded with -1.
    ``pred_lengths`` and ``label_lengths`` (optional, one per sequence) give the
    lengths; without them every sequence fills ``pred`` and a label ends at its
    first -1.

    >>> import d2lmini as mx
    >>> from d2lmini import gluon
    >>> loss = gluon.loss.CTCLoss()
    >>> loss
    CTCLoss(batch_axis=0, w=None)
    >>> pred = mx.nd.zeros((1, 2, 3))       # 1 sequence, 2 frames, 3 classes
    >>> loss(pred, mx.nd.array([[0, -1]]))  # 3 of the 9 paths give label [0]
    <BLANKLINE>
    [1.0986123]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, layout='NTC', label_layout='NT', weight=None, **kwargs):
        assert layout in ['NTC', 'TNC'], f'Only \'NTC\' and \'TNC\' layouts for pred are ' \
            f'supported. Got: {layout}'
        assert label_layout in ['NT', 'TN'], f'Only \'NT\' and \'TN\' layouts for label ' \
            f'are supported. Got: {label_layout}'
        self._layout = layout
        self._label_layout = label_layout
        batch_axis = label_layout.find('N')
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None,
                       sample_weight=None):
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None,
                         blank_label='last')
        return self._weighted(F, loss, sample_weight)
