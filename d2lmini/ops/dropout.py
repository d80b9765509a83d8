"""Dropout: during training, zero each element with probability ``p`` and scale the
survivors by ``1 / (1 - p)``, so that the expected value of every element is
unchanged; outside training, pass the data through.

The operator has two outputs, as in MXNet: the result and a hidden *mask* (the
factor each element was multiplied by: 0 or ``1 / (1 - p)``). Backward multiplies
the output gradient by the same mask, so the gradient flows exactly through the
elements that were kept.
"""
import numpy as np

from .. import backend
from ..base import MXNetError
from .registry import register


def _mask_shape(data, axes):
    """The mask's shape: the data's, with 1 on ``axes`` so that one random draw is
    shared along each of them (variational dropout)."""
    shape = list(data.shape)
    for a in axes:
        if not -data.ndim <= a < data.ndim:
            raise MXNetError(f'Dropout: axis {a} is out of range for data with '
                             f'{data.ndim} dimensions')
        shape[a] = 1
    return tuple(shape)


def _dropout(xp, data, p=0.5, mode='training', axes=(), cudnn_off=False, is_train=False):
    """Randomly zero elements with probability ``p`` while training (or always,
    with ``mode='always'``), scaling the kept ones by ``1 / (1 - p)``; ``axes``
    shares one draw along the given axes. Outside training it returns the data.

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((2, 4))
    >>> mx.nd.Dropout(x, p=0.5)          # not training: unchanged
    <BLANKLINE>
    [[1. 1. 1. 1.]
     [1. 1. 1. 1.]]
    <NDArray 2x4 @cpu(0)>
    >>> with mx.autograd.train_mode():
    ...     y = mx.nd.Dropout(x, p=0.5)
    >>> sorted(set(y.asnumpy().ravel()) - {0.0, 2.0})   # every element is 0 or 2
    []
    """
    if mode not in ('training', 'always'):
        raise MXNetError(f"Dropout: mode={mode!r} is not supported; choose 'training' or "
                         "'always'")
    if not 0 <= p <= 1:
        raise MXNetError(f'Dropout: p={p} must be a probability in [0, 1]')
    axes = (axes,) if isinstance(axes, int) else tuple(axes or ())
    mask_shape = _mask_shape(data, axes)
    if p == 0 or (mode == 'training' and not is_train):
        # A mask of ones with a single element: backward's ``dy * mask`` is then dy.
        # The data is copied so that writing into the result cannot change the input.
        return data.copy(), xp.ones((1,) * data.ndim, dtype=data.dtype)
    keep = 1.0 - p
    if keep == 0:
        mask = xp.zeros(mask_shape, dtype=data.dtype)   # everything dropped
    else:
        kept = backend.uniform01(xp, mask_shape, np.float32) < keep
        mask = xp.multiply(kept, 1.0 / keep, dtype=data.dtype)
    return data * mask, mask


def _dropout_infer_shape(in_shapes, axes=(), **attrs):
    shape = in_shapes[0]
    axes = (axes,) if isinstance(axes, int) else tuple(axes or ())
    mask = tuple(1 if (i in axes or i - len(shape) in axes) else d for i, d in enumerate(shape))
    return [shape, mask]


register('Dropout', _dropout,
         backward=lambda F, dy, x, y, **attrs: [dy[0] * y[1]],
         num_outputs=2, num_visible_outputs=1, infer_shape=_dropout_infer_shape,
         random=True, train_mode=True)
