"""Output layers: ``SoftmaxOutput``, softmax whose backward is the gradient of the
cross-entropy loss.

``SoftmaxOutput(data, label)`` returns ``softmax(data)``, but its backward does NOT
differentiate that output: it returns ``softmax(data) - one_hot(label)``, the
gradient of ``-log softmax(data)[label]`` with respect to ``data``, and it ignores
the gradient arriving from above (as MXNet does). It is the loss layer of a network
trained with ``backward()`` called on the output itself.
"""
import numpy as np

from ..tape import _STATE
from ..base import MXNetError, shape_str
from .registry import register

_NORMALIZATIONS = ('null', 'batch', 'valid')


def _layout(data, multi_output, preserve_shape):
    """``(rows, classes, per_row)``: the data viewed as ``rows`` probability vectors
    of length ``classes``. For multi_output the class axis is axis 1 and each
    example holds ``per_row`` vectors (one per spatial position); otherwise the
    class axis is last (per_row is 1)."""
    if data.ndim < 2:
        raise MXNetError(f'SoftmaxOutput: data must have at least 2 dimensions (batch, '
                         f'classes), got shape {shape_str(data.shape)}')
    if multi_output:
        n, k = data.shape[:2]
        return n, k, data.size // (n * k)
    if preserve_shape:
        return data.size // data.shape[-1], data.shape[-1], 1
    return data.shape[0], data.size // data.shape[0], 1


def _check_label(data, label, multi_output, preserve_shape):
    if label.shape == data.shape:   # probabilities per class (soft labels)
        return
    if multi_output:      # one label per position: (batch, positions...) or flattened
        want = [data.shape[:1] + data.shape[2:],
                (data.shape[0], data.size // (data.shape[0] * data.shape[1]))]
    elif preserve_shape:  # one label per probability vector
        want = [data.shape[:-1]]
    else:                 # one label per example
        want = [data.shape[:1]]
    if label.shape not in want:
        raise MXNetError(f'SoftmaxOutput: label of shape {shape_str(label.shape)} does not '
                         f'fit data of shape {shape_str(data.shape)}; expected a label of '
                         f'shape {shape_str(want[0])}')


def _softmax_output(xp, data, label, grad_scale=1.0, ignore_label=-1.0, multi_output=False,
                    use_ignore=False, preserve_shape=False, normalization='null',
                    out_grad=False, smooth_alpha=0.0):
    """Softmax over the classes (axis 1 with ``multi_output``, the last axis with
    ``preserve_shape``, else everything after the batch axis).

    Backward gives the cross-entropy gradient ``grad_scale * (softmax - target)``
    whatever gradient arrives from above (unless ``out_grad``, which multiplies by
    it). The target is the one-hot label, smoothed by ``smooth_alpha``; labels equal
    to ``ignore_label`` get no gradient when ``use_ignore``. A label of the data's own
    shape is the target itself (class probabilities, as in distillation): the
    gradient is then ``grad_scale * (softmax - label)``, with no normalisation or
    ignoring, as in MXNet. ``normalization``
    divides by the number of probability vectors ('batch') or of labels that are
    not ``ignore_label`` ('valid'); with ``multi_output``, 'null' divides by the
    number of positions per example, as MXNet does.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 2, 3]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     p = mx.nd.SoftmaxOutput(x, mx.nd.array([2]))
    >>> p.backward()
    >>> x.grad.asnumpy().round(4)   # softmax minus the one-hot label
    array([[ 0.09  ,  0.2447, -0.3348]], dtype=float32)
    """
    if normalization not in _NORMALIZATIONS:
        raise MXNetError(f'SoftmaxOutput: normalization={normalization!r} is not supported; '
                         f"choose one of {', '.join(map(repr, _NORMALIZATIONS))}")
    _layout(data, multi_output, preserve_shape)
    _check_label(data, label, multi_output, preserve_shape)
    axis = 1 if multi_output else -1
    x = data if multi_output or preserve_shape else data.reshape(data.shape[0], -1)
    out = x - x.max(axis=axis, keepdims=True)   # shift so exp cannot overflow
    xp.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out.reshape(data.shape)


def _softmax_output_backward_op(xp, prob, label, dy, grad_scale=1.0, ignore_label=-1.0,
                                multi_output=False, use_ignore=False, preserve_shape=False,
                                normalization='null', out_grad=False, smooth_alpha=0.0):
    """The gradient of SoftmaxOutput with respect to its data."""
    rows, k, per_row = _layout(prob, multi_output, preserve_shape)
    if label.shape == prob.shape:   # the label is the target distribution itself
        grad = prob - label.astype(prob.dtype, copy=False)
        if grad_scale != 1:
            grad *= grad_scale
        if out_grad:
            grad *= dy
        return grad
    # (batch, classes, positions) for multi_output, else (rows, classes, 1)
    p = prob.reshape(prob.shape[0], k, per_row) if multi_output else prob.reshape(rows, k, 1)
    lab = label.reshape(p.shape[0], p.shape[2]).astype(np.int64)  # truncates, as MXNet
    ignore = int(ignore_label)
    ignored = (lab == ignore) if use_ignore else None
    bad = (lab < 0) | (lab >= k)
    if ignored is not None:
        bad &= ~ignored
    if bool(bad.any()):
        value = label.reshape(lab.shape)[bad][0].item()
        raise MXNetError(f'SoftmaxOutput: label {value:g} is out of range for {k} classes '
                         f'(labels must be in [0, {k - 1}]'
                         + (f' or equal ignore_label={ignore_label:g})' if use_ignore else ')'))
    # target: 1 - alpha at the label, alpha / (k - 1) elsewhere (alpha = smooth_alpha)
    off = smooth_alpha / (k - 1) if smooth_alpha and k > 1 else 0.0
    grad = p - off if off else p.copy()
    hit = lab[:, None, :] == xp.arange(k)[None, :, None]   # the one-hot labels
    grad -= xp.multiply(hit, 1.0 - smooth_alpha - off, dtype=grad.dtype)
    if ignored is not None:
        grad *= (~ignored)[:, None, :].astype(grad.dtype)
    # MXNet's normalisation: 'null' divides by nothing (by the number of positions per
    # example for multi_output), 'batch' by the number of probability vectors,
    # 'valid' by the number of labels that differ from ignore_label
    scale = grad_scale
    if normalization == 'valid':
        # counted without reading it back to the host (a GPU keeps running)
        valid = xp.maximum((lab != ignore).sum(), 1).astype(grad.dtype)
        grad /= valid
    elif normalization == 'batch':
        scale /= p.shape[0] * p.shape[2]
    elif multi_output:
        scale /= per_row
    grad = grad.reshape(prob.shape)
    if scale != 1:
        grad *= scale
    if out_grad:
        grad *= dy
    return grad


def _softmax_output_backward(F, dy, x, y, **attrs):
    prob = y
    if _STATE.recording:
        # The gradient is being recorded to be differentiated again, and its
        # derivative with respect to the data goes through the softmax. SoftmaxOutput's
        # own backward is not the softmax's derivative, so the probabilities are
        # computed again with the differentiable softmax operator (only here: plain
        # backward reuses the output).
        prob = _softmax_of(F, x[0], attrs['multi_output'], attrs['preserve_shape'])
    return [F._backward_SoftmaxOutput(prob, x[1], dy, **attrs), None]   # no label gradient


def _softmax_of(F, data, multi_output, preserve_shape):
    """The softmax that SoftmaxOutput computes, with the ``softmax`` operator."""
    if multi_output:
        return F.softmax(data, axis=1)
    if preserve_shape:
        return F.softmax(data, axis=-1)
    return F.reshape_like(F.softmax(F.reshape(data, (data.shape[0], -1)), axis=-1), data)


def _label_shape(data_shape, multi_output=False, preserve_shape=False, **attrs):
    """The label shape a graph infers from the data's, as MXNet does."""
    if multi_output:
        return {'label': (data_shape[0], int(np.prod(data_shape[2:], dtype=np.int64)))}
    if preserve_shape:
        return {'label': tuple(data_shape[:-1])}
    return {'label': tuple(data_shape[:1])}


register('SoftmaxOutput', _softmax_output, backward=_softmax_output_backward,
         inputs=('data', 'label'), aliases=('Softmax',),
         infer_shape=lambda shapes, **attrs: [shapes[0]], param_shapes=_label_shape)


def _softmax_output_backward_grad(F, dgrad, x, y, grad_scale, ignore_label, multi_output,
                                  use_ignore, preserve_shape, normalization, out_grad,
                                  smooth_alpha, **attrs):
    """The gradient of ``_backward_SoftmaxOutput``, whose output is
    ``w * (prob - target)`` (times ``dy`` with ``out_grad``): ``w`` holds the scale,
    the normalisation and the mask of ignored labels, and depends on the labels
    only. So ``prob`` gets ``w * dgrad``, ``dy`` gets ``dgrad`` times the output
    without ``dy``, and the labels get nothing."""
    prob, label, dy = x
    rows, k, per_row = _layout(prob, multi_output, preserve_shape)
    shape = (prob.shape[0], k, per_row) if multi_output else (rows, k, 1)
    lab = F.reshape(label, (shape[0], 1, shape[2]))
    weight = grad_scale
    if normalization == 'batch':
        weight /= shape[0] * shape[2]
    elif normalization == 'null' and multi_output:
        weight /= per_row
    mask = None
    if use_ignore:
        mask = (lab != ignore_label).astype(dgrad.dtype)
    if normalization == 'valid':
        valid = F.maximum(F.sum(lab != ignore_label), 1.0).astype(dgrad.dtype)
        mask = (1.0 if mask is None else mask) / valid
    d_prob = F.reshape(dgrad, shape) * weight
    if mask is not None:
        d_prob = d_prob * mask
    d_prob = F.reshape_like(d_prob, prob)
    d_dy = None
    if out_grad:
        d_prob = d_prob * dy
        d_dy = dgrad * F._backward_SoftmaxOutput(
            prob, label, dy, grad_scale=grad_scale, ignore_label=ignore_label,
            multi_output=multi_output, use_ignore=use_ignore, preserve_shape=preserve_shape,
            normalization=normalization, out_grad=False, smooth_alpha=smooth_alpha)
    return [d_prob, None, d_dy]


register('_backward_SoftmaxOutput', _softmax_output_backward_op,
         inputs=('prob', 'label', 'dy'), backward=_softmax_output_backward_grad)


# ---------------------------------------------------------------------- regression outputs
# ``LinearRegressionOutput``, ``LogisticRegressionOutput`` and ``MAERegressionOutput``
# return their prediction (the data, its sigmoid, the data) and, like SoftmaxOutput,
# ignore the gradient from above: backward gives the gradient of the loss they stand for,
# ``grad_scale / m * (prediction - label)`` (its sign for MAE), where ``m`` is the number
# of outputs per example (``label.size / label.shape[0]``), as MXNet scales it. The label
# gets a zero gradient.
def _check_regression_label(name, data, label):
    if label.shape != data.shape and (label.size != data.size or label.shape[:1] != data.shape[:1]):
        raise MXNetError(f'{name}: label of shape {shape_str(label.shape)} does not fit data of '
                         f'shape {shape_str(data.shape)}; it must have the same shape (or the '
                         'same size and batch size)')


def _regression_infer_shape(name):
    def infer(shapes, **attrs):
        data, label = shapes[0], shapes[1] if len(shapes) > 1 else None
        if label is not None and tuple(label) != tuple(data) and (
                int(np.prod(label)) != int(np.prod(data)) or label[:1] != data[:1]):
            raise MXNetError(f'{name}: Shape inconsistent, Provided={shape_str(label)}, '
                             f'inferred shape={shape_str(data)}')
        return [tuple(data)]
    return infer


def _regression(name, predict, delta, doc):
    def forward(xp, data, label, grad_scale=1.0):
        _check_regression_label(name, data, label)
        return predict(xp, data)
    forward.__doc__ = doc

    def backward(F, dy, x, y, grad_scale=1.0):
        data, label = x
        pred = y
        if _STATE.recording:
            # differentiated again: the prediction must come from the data through
            # operators whose derivatives are their own (this one's is not)
            pred = data if predict is _identity else F.sigmoid(data)
        per_example = label.size // label.shape[0] if label.shape else 1
        grad = delta(F, pred - F.reshape_like(label, pred)) * (grad_scale / per_example)
        return [grad, F.zeros_like(label)]

    register(name, forward, backward=backward, inputs=('data', 'label'),
             infer_shape=_regression_infer_shape(name),
             param_shapes=lambda data_shape, **attrs: {'label': tuple(data_shape)})


def _identity(xp, data):
    return data.copy()


def _sigmoid(xp, data):
    return 1 / (1 + xp.exp(-data))


_regression('LinearRegressionOutput', _identity, lambda F, d: d, """The data unchanged;
    backward gives the squared loss's gradient ``grad_scale / m * (data - label)``.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1., 2.]]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.LinearRegressionOutput(x, mx.nd.array([[0., 4.]]))
    >>> y.backward(); x.grad.asnumpy()
    array([[ 0.5, -1. ]], dtype=float32)
    """)
_regression('LogisticRegressionOutput', _sigmoid, lambda F, d: d, """``sigmoid(data)``;
    backward gives the logistic loss's gradient ``grad_scale / m * (sigmoid(data) -
    label)``.

    >>> import d2lmini as mx
    >>> mx.nd.LogisticRegressionOutput(mx.nd.array([0.]), mx.nd.array([1.])).asnumpy()
    array([0.5], dtype=float32)
    """)
# MXNet's sign here is -1 at 0 (a prediction equal to its label still moves)
_regression('MAERegressionOutput', _identity, lambda F, d: (d > 0) * 2.0 - 1.0, """The data
    unchanged; backward gives the absolute loss's gradient ``grad_scale / m *
    sign(data - label)``, with ``sign(0) = -1`` as in MXNet.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1., 2.]]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.MAERegressionOutput(x, mx.nd.array([[0., 4.]]))
    >>> y.backward(); x.grad.asnumpy()
    array([[ 0.5, -0.5]], dtype=float32)
    """)


# ---------------------------------------------------------------------- SVMOutput
def _svm_output(xp, data, label, margin=1.0, regularization_coefficient=1.0,
                use_linear=False):
    """The data unchanged; backward gives the gradient of a one-vs-all hinge loss
    for the class scores ``data`` (examples along the first axis, the rest flattened
    into classes) and the class indices ``label``: squared hinge (L2-SVM) by
    default, plain hinge (L1-SVM) with ``use_linear``, times
    ``regularization_coefficient``. The gradient from above is ignored, as for the
    other output layers.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[0.5, -2.0]]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.SVMOutput(x, mx.nd.array([0]))
    >>> y.backward(); x.grad.asnumpy()
    array([[-1.,  0.]], dtype=float32)
    """
    if label.size != data.shape[0]:
        raise MXNetError(f'SVMOutput: label of shape {shape_str(label.shape)} needs one class '
                         f'index per example of data of shape {shape_str(data.shape)}')
    return data.copy()


def _svm_output_backward_op(xp, data, label, margin=1.0, regularization_coefficient=1.0,
                            use_linear=False):
    scores = data.reshape(data.shape[0], -1)
    classes = xp.arange(scores.shape[1])
    # +1 for each example's own class, -1 for the others: the hinge is on sign * score
    sign = xp.where(label.reshape(-1, 1).astype(np.int64) == classes[None, :], 1.0, -1.0)
    slack = margin - sign * scores
    if use_linear:
        grad = -sign * (slack > 0)
    else:
        grad = -2.0 * sign * xp.maximum(slack, 0)
    grad = grad * regularization_coefficient
    return grad.reshape(data.shape).astype(data.dtype, copy=False)


register('SVMOutput', _svm_output, inputs=('data', 'label'), once_differentiable=True,
         backward=lambda F, dy, x, y, **attrs: [F._backward_SVMOutput(x[0], x[1], **attrs),
                                               F.zeros_like(x[1])],
         infer_shape=lambda shapes, **attrs: [tuple(shapes[0])],
         param_shapes=lambda data_shape, **attrs: {'label': (data_shape[0],)})
register('_backward_SVMOutput', _svm_output_backward_op, inputs=('data', 'label'),
         once_differentiable=True)


# ---------------------------------------------------------------------- MakeLoss
def _make_loss(xp, data, grad_scale=1.0, valid_thresh=0.0, normalization='null'):
    """Marks ``data`` as a loss: returns it unchanged, and backward gives
    ``grad_scale`` for every element whatever arrives from above, divided by the batch
    size (``normalization='batch'``) or by the number of elements above
    ``valid_thresh`` (``'valid'``, at least 1).

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1., -2.], [3., 0.]]); x.attach_grad()
    >>> with mx.autograd.record():
    ...     loss = mx.nd.MakeLoss(x * x, normalization='batch')
    >>> loss.backward(); x.grad.asnumpy()      # d(x*x)/dx / batch size
    array([[ 1., -2.],
           [ 3.,  0.]], dtype=float32)
    """
    if normalization not in _NORMALIZATIONS:
        raise MXNetError(f'MakeLoss: normalization={normalization!r} is not supported; '
                         f"choose one of {', '.join(map(repr, _NORMALIZATIONS))}")
    return data.copy()


def _make_loss_backward(F, dy, x, y, grad_scale=1.0, valid_thresh=0.0, normalization='null'):
    data = x[0]
    grad = F.ones_like(data) * grad_scale
    if normalization == 'batch':
        grad = grad / data.shape[0]
    elif normalization == 'valid':
        grad = grad / F.maximum(F.sum(data > valid_thresh), 1.0)
    return [grad]


register('MakeLoss', _make_loss, backward=_make_loss_backward,
         infer_shape=lambda shapes, **attrs: [tuple(shapes[0])])
