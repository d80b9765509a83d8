"""Operators over lists of arrays that optimizers and mixed-precision training use
between steps: ``all_finite`` / ``multi_all_finite`` (is every value finite?),
``multi_sum_sq`` (the squared norm of each array). ``nd.reset_arrays`` (set every
array to zero, in place) is a plain function in :mod:`d2lmini.ndarray`: it has no
output, so it cannot be a node of a graph."""
import numpy as np

from ..base import MXNetError
from .registry import register

_FLOAT_KINDS = 'f'


def _floats_only(name, arrays):
    for a in arrays:
        if a.dtype.kind not in _FLOAT_KINDS:
            raise MXNetError(f'operator {name}: this operation only supports floating point '
                             f'types, not {a.dtype}')


def _count(name, arrays, num_arrays):
    if num_arrays is None:
        raise MXNetError(f'operator {name}: the parameter num_arrays is required')
    if int(num_arrays) != len(arrays):
        raise MXNetError(f'operator {name} expects {num_arrays} inputs (num_arrays), but got '
                         f'{len(arrays)} instead')


def _all_finite(xp, data, init_output=True):
    """``[1.]`` when every value of ``data`` is finite, ``[0.]`` otherwise (float32).

    >>> import d2lmini as mx
    >>> mx.nd.all_finite(mx.nd.array([1, float('inf')]))
    <BLANKLINE>
    [0.]
    <NDArray 1 @cpu(0)>
    """
    _floats_only('all_finite', (data,))
    return xp.asarray([float(bool(xp.isfinite(data).all()))], dtype=np.float32)


def _multi_all_finite(xp, *data, num_arrays=1, init_output=True):
    """``[1.]`` when every value of every input is finite, ``[0.]`` otherwise.

    >>> import d2lmini as mx
    >>> mx.nd.multi_all_finite(mx.nd.ones(2), mx.nd.ones(3), num_arrays=2)
    <BLANKLINE>
    [1.]
    <NDArray 1 @cpu(0)>
    """
    _count('multi_all_finite', data, num_arrays)
    _floats_only('multi_all_finite', data)
    ok = all(bool(xp.isfinite(a).all()) for a in data)
    return xp.asarray([float(ok)], dtype=np.float32)


register('all_finite', _all_finite, no_grad=True,
         infer_type=lambda types, **attrs: [np.float32],
         infer_shape=lambda shapes, **attrs: [(1,)])
register('multi_all_finite', _multi_all_finite, no_grad=True,
         infer_type=lambda types, **attrs: [np.float32],
         infer_shape=lambda shapes, **attrs: [(1,)])


def _multi_sum_sq(xp, *data, num_arrays=None):
    """The sum of the squares of each input, as one float32 array of ``num_arrays``
    values (the inputs share one floating-point dtype).

    >>> import d2lmini as mx
    >>> mx.nd.multi_sum_sq(mx.nd.array([1, 2]), mx.nd.array([[3, 4.5]]), num_arrays=2)
    <BLANKLINE>
    [ 5.   29.25]
    <NDArray 2 @cpu(0)>
    """
    _count('multi_sum_sq', data, num_arrays)
    _floats_only('multi_sum_sq', data)
    if any(a.dtype != data[0].dtype for a in data):
        raise MXNetError('operator multi_sum_sq: this layer requires uniform type, got '
                         + ', '.join(str(a.dtype) for a in data))
    sums = [xp.square(a.astype(np.float32, copy=False)).sum(dtype=np.float32) for a in data]
    return xp.stack(sums).astype(np.float32) if sums else xp.zeros(0, np.float32)


def _multi_sum_sq_grad(F, dy, x, y, num_arrays):
    grads = []
    for i, a in enumerate(x):
        g = F.slice_axis(dy, axis=0, begin=i, end=i + 1)
        if g.dtype != a.dtype:
            g = F.cast(g, dtype=a.dtype)
        grads.append(F.broadcast_mul(a, F.reshape(g, shape=(1,) * a.ndim)) * 2)
    return grads


register('multi_sum_sq', _multi_sum_sq, backward=_multi_sum_sq_grad,
         infer_type=lambda types, **attrs: [np.float32],
         infer_shape=lambda shapes, num_arrays=None, **attrs: [(len(shapes),)])


def _multi_lars(xp, lrs, weights_sum_sq, grads_sum_sq, wds, eta=None, eps=None,
                rescale_grad=1.0):
    """LARS's layer-wise learning rates, one per weight (``nd.multi_lars``)::

        w_norm = sqrt(weights_sum_sq); g_norm = rescale_grad * sqrt(grads_sum_sq)
        lr = lrs * eta * w_norm / (g_norm + wds * w_norm + eps)   (lrs where a norm is 0)

    All four inputs have one value per weight (``multi_sum_sq`` gives the sums of
    squares); ``eta`` and ``eps`` are required.

    >>> import d2lmini as mx
    >>> mx.nd.multi_lars(mx.nd.array([0.1, 0.2]), mx.nd.array([4., 0.]), mx.nd.array([1., 1.]),
    ...                  mx.nd.array([0., 0.]), eta=0.5, eps=0).asnumpy().tolist()
    [0.10000000149011612, 0.20000000298023224]
    """
    if eta is None or eps is None:
        raise MXNetError('operator multi_lars: the parameters eta and eps are required')
    f32 = np.float32
    w_norm = xp.sqrt(weights_sum_sq.astype(f32))
    g_norm = xp.sqrt(grads_sum_sq.astype(f32)) * f32(rescale_grad)
    lrs32, wds32 = lrs.astype(f32), wds.astype(f32)
    scaled = lrs32 * f32(eta) * w_norm / (g_norm + wds32 * w_norm + f32(eps))
    return xp.where((w_norm > 0) & (g_norm > 0), scaled, lrs32).astype(lrs.dtype, copy=False)


register('multi_lars', _multi_lars, no_grad=True,
         inputs=('lrs', 'weights_sum_sq', 'grads_sum_sq', 'wds'),
         attr_types={'eta': 'float', 'eps': 'float'},
         infer_shape=lambda shapes, **attrs: [shapes[0]],
         infer_type=lambda types, **attrs: [types[0]])
