"""Output layers: ``SoftmaxOutput``, softmax whose backward is the gradient of the
cross-entropy loss.

``SoftmaxOutput(data, label)`` returns ``softmax(data)``, but its backward does NOT
differentiate that output: it returns ``softmax(data) - one_hot(label)``, the
gradient of ``-log softmax(data)[label]`` with respect to ``data``, and it ignores
the gradient arriving from above (as MXNet does). It is the loss layer of a network
trained with ``backward()`` called on the output itself.
"""
import numpy as np

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
    to ``ignore_label`` get no gradient when ``use_ignore``. ``normalization``
    divides by the number of probability vectors ('batch') or of labels that are
    not ``ignore_label`` ('valid'); with ``multi_output``, 'null' divides by the
    number of positions per example, as MXNet does.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 2, 3]])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     p = mx.nd.SoftmaxOutput(x, mx.nd.array([2]))
    >>> p.backward()
    >>> x.grad          # softmax minus the one-hot label
    <BLANKLINE>
    [[ 0.09003057  0.24472846 -0.33475906]]
    <NDArray 1x3 @cpu(0)>
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
    return [F._backward_SoftmaxOutput(y, x[1], dy, **attrs), None]   # no label gradient


register('SoftmaxOutput', _softmax_output, backward=_softmax_output_backward,
         inputs=('data', 'label'), aliases=('Softmax',),
         infer_shape=lambda shapes, **attrs: [shapes[0]])
register('_backward_SoftmaxOutput', _softmax_output_backward_op,
         inputs=('prob', 'label', 'dy'))
