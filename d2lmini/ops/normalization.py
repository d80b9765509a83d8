"""Normalisation layers: ``BatchNorm``, ``LayerNorm`` and ``InstanceNorm``.

All three do the same two steps and differ only in *which* elements share a mean
and a variance:

1. normalise: ``xhat = (x - mean) / sqrt(var + eps)``, with the statistics taken
   over the *normalised axes* (batch norm: every axis but the channel axis; layer
   norm: the feature axis; instance norm: the spatial axes);
2. scale and shift: ``y = gamma * xhat + beta``, with one ``gamma``/``beta`` per
   index of the *parameter axis* (the channel or feature axis).

The statistics come out as hidden outputs, so backward can reuse them. The gradient
of step 1 has a closed form (see :func:`_norm_backward`), computed by one internal
operator per layer instead of a chain of small operators. That internal operator is
differentiable in turn (see :func:`_norm_backward_grad`), so gradients of gradients
(``autograd.grad(..., create_graph=True)``) work through every normalisation.

Batch norm has a second mode: outside training (or with ``use_global_stats``) it
normalises with the running statistics ``moving_mean``/``moving_var`` instead of
the batch's. Like MXNet (on the CPU), it updates the running statistics when the
*backward* pass runs, not during forward:
``moving = moving * momentum + batch_statistic * (1 - momentum)``, where the
variance is the biased one (divided by the number of elements, not one less).
"""
from math import prod

import numpy as np

from ..base import MXNetError, shape_str
from . import cuda_kernels
from .elemwise import sum_to
from .registry import register


# ------------------------------------------------------------------ shared pieces
def _compute_dtype(data):
    """float16 data is normalised in float32 (its sums would lose too many digits)."""
    return np.dtype(np.float32) if data.dtype == np.float16 else data.dtype


def _param_shape(ndim, axis, size):
    """Shape that makes a per-channel vector broadcast along ``axis``."""
    shape = [1] * ndim
    shape[axis] = size
    return tuple(shape)


def _check_param(op, name, param, size, data):
    if param.shape != (size,):
        raise MXNetError(f'{op}: {name} has shape {shape_str(param.shape)} but data '
                         f'{shape_str(data.shape)} needs shape [{size}] (one value per '
                         'channel)')


_LETTERS = 'abcdefghijklmnopqrstuvwxyz'


def _sum_of_product(xp, arrays, keep, keepdims=False, accumulate_dtype=None):
    """``sum(arrays[0] * arrays[1] * ...)`` over every axis not in ``keep``, added
    up in ``accumulate_dtype`` when given (the result keeps the arrays' dtype).

    ``einsum`` multiplies and adds in one pass, without building the product, and
    numpy's einsum reduces several axes at once several times faster than ``sum``
    does; the same call works on cupy.
    """
    shape = arrays[0].shape
    if len(arrays) == 1 and len(keep) == len(shape):
        return arrays[0].copy()   # nothing to add up (einsum would return a view)
    sub = _LETTERS[:len(shape)]
    out = xp.einsum(','.join([sub] * len(arrays)) + '->' + ''.join(sub[i] for i in keep),
                    *arrays, dtype=accumulate_dtype)
    if accumulate_dtype is not None:
        out = out.astype(arrays[0].dtype, copy=False)
    if keepdims:
        out = out.reshape(tuple(d if i in keep else 1 for i, d in enumerate(shape)))
    return out


def _normalize(xp, data, norm_axes, eps, accumulate_dtype=None):
    """``(centered, mean, invstd)``: the data minus its mean over ``norm_axes``, the
    mean, and ``1 / sqrt(var + eps)``; the statistics keep singleton axes so that
    they broadcast against the data. The sums are added up in ``accumulate_dtype``
    when given."""
    data = data.astype(_compute_dtype(data), copy=False)
    keep = tuple(i for i in range(data.ndim) if i not in norm_axes)
    count = data.size // max(1, int(np.prod([data.shape[i] for i in keep])))
    mean = _sum_of_product(xp, [data], keep, keepdims=True, accumulate_dtype=accumulate_dtype)
    mean /= count
    centered = data - mean
    var = _sum_of_product(xp, [centered, centered], keep, keepdims=True,
                          accumulate_dtype=accumulate_dtype)
    var /= count
    var += eps
    invstd = xp.sqrt(var, out=var)
    xp.divide(1.0, invstd, out=invstd)
    return centered, mean, invstd


def _scale_shift(xp, centered, invstd, gamma, beta, param_axis, dtype):
    """``gamma * centered * invstd + beta``, computed in place in ``centered``
    (``gamma`` None means 1) and cast to ``dtype``."""
    shape = _param_shape(centered.ndim, param_axis, beta.shape[0])
    if gamma is None:
        centered *= invstd
    elif invstd.shape[param_axis] == centered.shape[param_axis]:
        # the statistics already vary along the parameter axis (batch and instance
        # norm): fold gamma into the small invstd array and pass over the data once
        centered *= invstd * gamma.reshape(shape)
    else:
        centered *= invstd
        centered *= gamma.reshape(shape)
    centered += beta.reshape(shape)
    return centered if centered.dtype == dtype else centered.astype(dtype)


def _norm_backward(xp, dy, data, gamma, mean, invstd, norm_axes, param_axis):
    """Gradients ``(dx, dgamma, dbeta)`` of ``y = gamma * xhat + beta`` where ``xhat``
    is ``data`` standardised over ``norm_axes`` (``gamma`` None means 1).

    With ``g = dy * gamma`` and ``mean_n`` the mean over the normalised axes, the
    chain rule through the mean and the variance gives the closed form

        dx = invstd * (g - mean_n(g) - xhat * mean_n(g * xhat)).

    When gamma is constant within a normalised group (batch and instance norm), it
    factors out of both means, and for batch norm those means are just the
    per-channel sums that ``dgamma``/``dbeta`` need anyway.
    """
    dt = mean.dtype
    ndim = data.ndim
    dy = dy.astype(dt, copy=False)
    pshape = _param_shape(ndim, param_axis, data.shape[param_axis])
    keep = tuple(i for i in range(ndim) if i not in norm_axes)
    count = data.size // max(1, int(np.prod([data.shape[i] for i in keep])))
    xhat = data - mean
    xhat *= invstd
    layer_norm = gamma is not None and param_axis in norm_axes
    # LayerNorm's dgamma and dbeta add up over every example (thousands of rows in a
    # transformer), where float32 sums lose digits: they are accumulated in float64,
    # as MXNet's LayerNorm accumulates them more precisely than its inputs
    acc = np.float64 if layer_norm and dt == np.float32 else None
    dbeta = _sum_of_product(xp, [dy], (param_axis,), accumulate_dtype=acc)
    dgamma = _sum_of_product(xp, [dy, xhat], (param_axis,), accumulate_dtype=acc)
    if layer_norm:
        g = dy * gamma.reshape(pshape).astype(dt, copy=False)
        m1 = _sum_of_product(xp, [g], keep, keepdims=True)
        m2 = _sum_of_product(xp, [g, xhat], keep, keepdims=True)
        scale = invstd
    else:
        g = dy.copy()                                       # becomes dx
        if keep == (param_axis,):                           # batch norm: reuse the sums
            m1, m2 = dbeta.reshape(pshape), dgamma.reshape(pshape)
        else:                                               # instance norm
            m1 = _sum_of_product(xp, [dy], keep, keepdims=True)
            m2 = _sum_of_product(xp, [dy, xhat], keep, keepdims=True)
        scale = invstd if gamma is None else invstd * gamma.reshape(pshape)
    dx = g
    dx -= m1 / count
    xhat *= m2 / count
    dx -= xhat
    dx *= scale
    return dx.astype(data.dtype, copy=False), dgamma, dbeta


def _norm_backward_grad(F, dgrads, dy, data, gamma, norm_axes, param_axis, eps,
                        stats=None):
    """The gradients of ``(dy, data, gamma)`` of the first derivative
    ``(dx, dgamma, dbeta)`` that :func:`_norm_backward` computes, given the
    gradients ``dgrads = (a, b, c)`` of those three; ``gamma`` None means 1 (its
    gradient is then None and ``b`` is ignored: the first derivative gave zeros).

    The internal backward operators take the statistics as inputs to save work, but
    they are functions of the data, not free inputs: here they are computed again
    from ``data`` (unless ``stats``, the running ``(mean, invstd)``, says they are
    constants), so that their dependence on the data is part of the gradient, and
    of the recorded graph when gradients of third order are wanted.

    With ``m`` the mean over the normalised axes, ``r = 1 / sqrt(var + eps)``,
    ``g = dy * gamma`` and ``w = b * dy`` (``b`` broadcast along the parameter axis),
    the first derivative is ``dx = r (g - m(g) - xhat m(g xhat))``, and:

    * ``d dy = gamma q + b xhat + c`` with ``q = r (a - m(a) - xhat m(a xhat))``,
      because the map ``g -> g - m(g) - xhat m(g xhat)`` is symmetric;
    * ``d gamma = sum(dy q)`` over every axis but the parameter axis;
    * ``d data = u - m(u)`` (centring: the data enter only through ``x - m(x)``),
      with ``u = r (w - xhat m(w xhat))
      - r^2 (a m(g xhat) + g m(a xhat) + xhat (m(a g) - m(a) m(g) - 3 m(a xhat) m(g xhat)))``,
      differentiating ``r`` and ``xhat`` through the variance.
    """
    a, b, c = dgrads
    pshape = _param_shape(data.ndim, param_axis, data.shape[param_axis])
    axes = tuple(norm_axes)

    def m(t):
        return F.mean(t, axis=axes, keepdims=True)

    if stats is not None:                      # running statistics: constants
        mean, r = (F.reshape(t, pshape).astype(data.dtype) for t in stats)
        xhat = (data - mean) * r
    else:
        centered = data - m(data)
        r = F.rsqrt(m(centered * centered) + eps)
        xhat = centered * r
    gam = None if gamma is None else F.reshape(gamma, pshape)
    c = F.reshape(c, pshape)
    if gam is not None:
        b = F.reshape(b, pshape)
    if stats is not None:                      # y is affine in x: dx = dy gamma r
        q = a * r
        d_dy = (q if gam is None else q * gam) + c
        if gam is None:
            return d_dy, None, None
        d_dy = d_dy + b * xhat
        d_gamma = F.reshape(sum_to(F, q * dy, pshape), gamma.shape)
        return d_dy, b * dy * r, d_gamma
    m_ax = m(a * xhat)
    q = r * (a - m(a) - xhat * m_ax)
    g = dy if gam is None else dy * gam
    m_gx = m(g * xhat)
    inner = a * m_gx + g * m_ax + xhat * (m(a * g) - m(a) * m(g) - 3.0 * m_ax * m_gx)
    u = inner * (r * r) * -1.0
    d_dy = (q if gam is None else q * gam) + c
    d_gamma = None
    if gam is not None:
        w = b * dy
        u = u + r * (w - xhat * m(w * xhat))
        d_dy = d_dy + b * xhat
        d_gamma = F.reshape(sum_to(F, dy * q, pshape), gamma.shape)
    return d_dy, u - m(u), d_gamma


def _channel_axis(op, data, axis):
    if not -data.ndim <= axis < data.ndim:
        raise MXNetError(f'{op}: axis {axis} is out of range for data of shape '
                         f'{shape_str(data.shape)}')
    return axis % data.ndim


# ------------------------------------------------------------------ batch norm, row by row
# Batch norm's statistics and parameters are per channel. Seen as a 2-D array of
# shape (A, C * B) -- A the product of the axes before the channel axis (the batch),
# B of those after it (the pixels) -- each row of the data holds the B elements of
# every channel in turn. A per-channel vector repeated B times, ``repeat(v, B)``,
# then lines up with every row, and numpy applies it with one long contiguous loop
# per row: 1.3 to 2.5 times faster than broadcasting a (1, C, 1, 1) array, whose
# inner loops are only B elements long (16 for a 4x4 image). The per-channel sums
# are einsums over the (A, C, B) view of the same memory.
def _rows(data, axis):
    """``data`` as an ``(A, C, B)`` view and an ``(A, C * B)`` view (copies when the
    data is not contiguous)."""
    x3 = data.reshape(prod(data.shape[:axis]), data.shape[axis], -1)
    return x3, x3.reshape(x3.shape[0], -1)


def _along_rows(xp, v, b):
    """Per-channel vector ``v`` repeated to line up with a row of the ``(A, C * B)``
    view: each value ``b`` times."""
    return v if b == 1 else xp.repeat(v, b)


def _batch_normalize(xp, data, gamma, beta, axis, eps):
    """Batch norm with the batch's statistics: ``(out, mean, invstd)``, the same
    arithmetic as :func:`_normalize` then :func:`_scale_shift` (``gamma`` None means
    1), in five passes over the data: the mean, the centred data (which becomes the
    output), the variance, the scaling and the shift."""
    x3, x2 = _rows(data.astype(_compute_dtype(data), copy=False), axis)
    a, c, b = x3.shape
    count = max(1, a * b)
    mean = xp.einsum('acb->c', x3)
    mean /= count
    result = xp.empty(data.shape, x3.dtype)
    out = result.reshape(x2.shape)                  # a view, as is centered
    xp.subtract(x2, _along_rows(xp, mean, b), out=out)
    centered = out.reshape(x3.shape)
    var = xp.einsum('acb,acb->c', centered, centered)
    var /= count
    var += eps
    invstd = xp.sqrt(var, out=var)
    xp.divide(1.0, invstd, out=invstd)
    out *= _along_rows(xp, invstd if gamma is None else invstd * gamma, b)
    out += _along_rows(xp, beta, b)
    return result.astype(data.dtype, copy=False), mean, invstd


def _batch_norm_grads(xp, dy, data, gamma, mean, invstd, axis):
    """Gradients ``(dx, dgamma, dbeta)`` of batch norm with the batch's statistics:
    :func:`_norm_backward`'s closed form, rearranged to read the data few times.
    With ``xc = x - mean``, ``s = gamma * invstd`` and sums over all but the channels,

        dbeta = sum(dy),    dgamma = invstd * sum(dy * xc),
        dx = s * dy - (s * invstd * dgamma / count) * xc - s * dbeta / count,

    where every factor of ``dy``, ``xc`` and the last term is one number per channel:
    seven passes over the data (nine, and more temporaries, in the general form).
    """
    dt = mean.dtype
    x3, x2 = _rows(data.astype(dt, copy=False), axis)
    d3, d2 = _rows(dy.astype(dt, copy=False), axis)
    a, c, b = x3.shape
    count = max(1, a * b)
    centered = xp.subtract(x2, _along_rows(xp, mean, b))
    dbeta = xp.einsum('acb->c', d3)
    dgamma = xp.einsum('acb,acb->c', d3, centered.reshape(x3.shape))
    dgamma *= invstd
    s = invstd if gamma is None else invstd * gamma.astype(dt, copy=False)
    result = xp.empty(data.shape, dt)
    dx = result.reshape(d2.shape)                   # a view
    xp.multiply(d2, _along_rows(xp, s, b), out=dx)
    centered *= _along_rows(xp, s * invstd * dgamma / count, b)
    dx -= centered
    dx -= _along_rows(xp, s * dbeta / count, b)
    return result.astype(data.dtype, copy=False), dgamma, dbeta


# ------------------------------------------------------------------ BatchNorm
def _batch_norm(xp, data, gamma, beta, moving_mean, moving_var, eps=1e-3, momentum=0.9,
                fix_gamma=True, use_global_stats=False, output_mean_var=False, axis=1,
                cudnn_off=False, min_calib_range=None, max_calib_range=None, is_train=False):
    """Batch normalisation over every axis but ``axis`` (the channels).

    While training it normalises with the batch's mean and (biased) variance, and
    the running ``moving_mean``/``moving_var`` are updated in place when backward
    runs; otherwise (or with ``use_global_stats``) it uses the running statistics.
    With ``fix_gamma`` (the default, as in MXNet) gamma is taken to be 1.
    The hidden outputs are the mean and the inverse standard deviation
    ``1 / sqrt(var + eps)`` that were used.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 2], [3, 6]])
    >>> gamma, beta = mx.nd.ones(2), mx.nd.zeros(2)
    >>> mean, var = mx.nd.zeros(2), mx.nd.ones(2)
    >>> with mx.autograd.train_mode():
    ...     y = mx.nd.BatchNorm(x, gamma, beta, mean, var, eps=0)
    >>> y
    <BLANKLINE>
    [[-1. -1.]
     [ 1.  1.]]
    <NDArray 2x2 @cpu(0)>
    """
    axis = _channel_axis('BatchNorm', data, axis)
    channels = data.shape[axis]
    for name, p in (('gamma', gamma), ('beta', beta), ('moving_mean', moving_mean),
                    ('moving_var', moving_var)):
        _check_param('BatchNorm', name, p, channels, data)
    dt = _compute_dtype(data)
    pshape = _param_shape(data.ndim, axis, channels)
    g = None if fix_gamma else gamma
    if fix_gamma:
        # MXNet writes the ones it computes with into gamma itself, so the array a
        # caller reads (Gluon's BatchNorm(scale=False) too) shows them
        gamma[...] = 1
    batch_stats = is_train and not use_global_stats
    # Backward must differentiate what forward computed, so forward records which
    # statistics it used in the LENGTH of a hidden output: 1 for the batch's, 0 for
    # the running ones. (A length is known without reading GPU memory.)
    used_batch = xp.empty((1 if batch_stats else 0,), dtype=dt)
    if batch_stats and xp is not np:  # on a GPU: CUDA kernels when they handle the case
        res = cuda_kernels.batch_norm_forward(data, g, beta, axis, eps)
        if res is not None:
            return res + (used_batch,)
    if batch_stats:
        out, mean, invstd = _batch_normalize(xp, data, g, beta, axis, eps)
        return out, mean, invstd, used_batch
    # running statistics: y = data * scale + shift with per-channel scale and shift
    invstd = xp.divide(1.0, xp.sqrt(moving_var.astype(dt, copy=False) + eps))
    scale = invstd if g is None else invstd * g
    shift = beta - moving_mean * scale
    out = xp.multiply(data, scale.reshape(pshape).astype(data.dtype, copy=False))
    out += shift.reshape(pshape).astype(data.dtype, copy=False)
    return out, moving_mean.astype(dt), invstd, used_batch


def _batch_norm_infer_shape(in_shapes, axis=1, **attrs):
    shape = in_shapes[0]
    channels = (shape[axis % len(shape)],)
    return [shape, channels, channels, (1,)]


def _batch_norm_backward(F, dy, x, y, eps, momentum, fix_gamma, axis, **attrs):
    dx, dgamma, dbeta = F._backward_BatchNorm(
        dy[0], x[0], x[1], y[1], y[2], y[3], x[3], x[4], eps=eps, momentum=momentum,
        fix_gamma=fix_gamma, axis=axis)
    return [dx, dgamma, dbeta, None, None]   # the running statistics get no gradient


def _channel_params(names):
    """``param_shapes`` for a normalisation: one value per channel of ``axis``."""
    def param_shapes(data_shape, axis=1, **attrs):
        channels = data_shape[axis]
        return {name: (channels,) for name in names}
    return param_shapes


# MXNet 1.x keeps BatchNorm's gamma, beta and running statistics in the data's
# *accumulation* type: float32 for float16 data (float16 statistics lose too many
# digits), the data's own type otherwise. A graph of float16 layers therefore gets
# float32 parameters for its BatchNorms, and a parameter given in another type is an
# error. The output has the data's type; the mean and variance (``output_mean_var``)
# the parameters'.
_BN_PARAMS = ('gamma', 'beta', 'moving_mean', 'moving_var')


def _bn_param_dtype(data):
    data = np.dtype(data)
    return np.dtype(np.float32) if data == np.float16 else data


def _bn_param_dtypes(attrs, data):
    return {} if data is None else dict.fromkeys(_BN_PARAMS, _bn_param_dtype(data))


def _bn_infer_type(types, **attrs):
    """BatchNorm's output dtypes; its parameters must be in the accumulation type.

    >>> import d2lmini as mx
    >>> bn = mx.sym.BatchNorm(mx.sym.var('data'), name='bn')
    >>> [t.__name__ for t in bn.infer_type(data='float16')[0]]
    ['float16', 'float32', 'float32']
    """
    data = np.dtype(types[0])
    param = _bn_param_dtype(data)
    for name, given in zip(_BN_PARAMS, types[1:]):
        if given is not None and np.dtype(given) != param:
            raise MXNetError(f'BatchNorm: {name} must be {param.name} for {data.name} data '
                             f'(the parameters and statistics are kept in {param.name}), '
                             f'got {np.dtype(given).name}')
    return [data, param, param, param]


register('BatchNorm', _batch_norm, backward=_batch_norm_backward,
         inputs=('data', 'gamma', 'beta', 'moving_mean', 'moving_var'),
         num_outputs=4, infer_shape=_batch_norm_infer_shape,
         num_visible_outputs=lambda attrs: 3 if attrs['output_mean_var'] else 1,
         param_shapes=_channel_params(('gamma', 'beta', 'moving_mean', 'moving_var')),
         aux_inputs=('moving_mean', 'moving_var'), train_mode=True,
         param_dtypes=_bn_param_dtypes, infer_type=_bn_infer_type,
         output_names=('output', 'mean', 'var'), aliases=('BatchNorm_v1',))


def _sync_batch_norm(xp, data, gamma, beta, moving_mean, moving_var, eps=1e-3, momentum=0.9,
                     fix_gamma=True, use_global_stats=False, output_mean_var=False, ndev=1,
                     key='', is_train=False):
    """Batch normalisation over the channels (axis 1) whose batch statistics MXNet
    shares across the ``ndev`` devices that call it with the same ``key``. d2lmini
    runs it on one device (``ndev=1``), where it is :func:`BatchNorm`; unlike
    BatchNorm, its second statistic output is the variance, as in MXNet.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1.], [3.]])
    >>> with mx.autograd.record():
    ...     y, mean, var = mx.nd.contrib.SyncBatchNorm(x, mx.nd.ones(1), mx.nd.zeros(1),
    ...         mx.nd.zeros(1), mx.nd.ones(1), eps=0, key='bn', output_mean_var=True)
    >>> y.asnumpy().ravel().tolist(), mean.asnumpy().tolist(), var.asnumpy().tolist()
    ([-1.0, 1.0], [2.0], [1.0])
    """
    if int(ndev) != 1:
        raise MXNetError(f'SyncBatchNorm: ndev={ndev}, but d2lmini computes batch statistics '
                         'on one device only; use ndev=1 (or BatchNorm per device)')
    out, mean, invstd, used_batch = _batch_norm(
        xp, data, gamma, beta, moving_mean, moving_var, eps=eps, momentum=momentum,
        fix_gamma=fix_gamma, use_global_stats=use_global_stats, axis=1, is_train=is_train)
    var = xp.divide(1.0, invstd * invstd) - eps
    return out, mean, var.astype(invstd.dtype, copy=False), used_batch


def _sync_batch_norm_backward(F, dy, x, y, eps, momentum, fix_gamma, **attrs):
    invstd = F.rsqrt(y[2] + eps)
    dx, dgamma, dbeta = F._backward_BatchNorm(
        dy[0], x[0], x[1], y[1], invstd, y[3], x[3], x[4], eps=eps, momentum=momentum,
        fix_gamma=fix_gamma, axis=1)
    return [dx, dgamma, dbeta, None, None]


register('_contrib_SyncBatchNorm', _sync_batch_norm, backward=_sync_batch_norm_backward,
         inputs=('data', 'gamma', 'beta', 'moving_mean', 'moving_var'),
         num_outputs=4, infer_shape=_batch_norm_infer_shape,
         num_visible_outputs=lambda attrs: 3 if attrs['output_mean_var'] else 1,
         param_shapes=_channel_params(('gamma', 'beta', 'moving_mean', 'moving_var')),
         aux_inputs=('moving_mean', 'moving_var'), train_mode=True,
         param_dtypes=_bn_param_dtypes, infer_type=_bn_infer_type,
         output_names=('output', 'mean', 'var'))




def _batch_norm_backward_op(xp, dy, data, gamma, mean, invstd, used_batch, moving_mean,
                            moving_var, eps=1e-3, momentum=0.9, fix_gamma=True, axis=1):
    """Batch norm's gradients ``(d data, d gamma, d beta)``. After a forward with
    batch statistics it also updates the running statistics in place, as MXNet does
    in its backward pass."""
    axis = _channel_axis('BatchNorm', data, axis)
    if used_batch.shape[0] and xp is not np:  # on a GPU: CUDA kernels when they fit
        res = cuda_kernels.batch_norm_backward(dy, data, gamma, mean, invstd, moving_mean,
                                               moving_var, eps, momentum, fix_gamma, axis)
        if res is not None:
            return res
    channels = data.shape[axis]
    pshape = _param_shape(data.ndim, axis, channels)
    g = None if fix_gamma else gamma
    if used_batch.shape[0]:
        dx, dgamma, dbeta = _batch_norm_grads(xp, dy, data, g, mean, invstd, axis)
        var = 1.0 / (invstd * invstd) - eps   # the biased batch variance
        moving_mean *= momentum
        moving_mean += (mean * (1.0 - momentum)).astype(moving_mean.dtype, copy=False)
        moving_var *= momentum
        moving_var += (var * (1.0 - momentum)).astype(moving_var.dtype, copy=False)
    else:   # running statistics are constants: y is affine in x
        scale = invstd if g is None else invstd * g
        dx = xp.multiply(dy, scale.reshape(pshape).astype(dy.dtype, copy=False))
        dyc = dy.astype(invstd.dtype, copy=False)
        dbeta = _sum_of_product(xp, [dyc], (axis,))
        xhat = data - mean.reshape(pshape)
        xhat *= invstd.reshape(pshape)
        dgamma = _sum_of_product(xp, [dyc, xhat.astype(invstd.dtype, copy=False)], (axis,))
    if fix_gamma:
        dgamma = xp.zeros_like(gamma)
    return dx, dgamma.astype(gamma.dtype, copy=False), dbeta.astype(gamma.dtype, copy=False)


def _batch_norm_backward_grad(F, dgrads, x, y, eps, fix_gamma, axis, **attrs):
    dy, data, gamma, mean, invstd, used_batch = x[:6]
    axis = axis % data.ndim
    norm_axes = tuple(i for i in range(data.ndim) if i != axis)
    stats = None if used_batch.shape[0] else (mean, invstd)
    d_dy, d_data, d_gamma = _norm_backward_grad(
        F, dgrads, dy, data, None if fix_gamma else gamma, norm_axes, axis, eps, stats)
    return [d_dy, d_data, d_gamma, None, None, None, None, None]


register('_backward_BatchNorm', _batch_norm_backward_op,
         inputs=('dy', 'data', 'gamma', 'mean', 'invstd', 'used_batch', 'moving_mean',
                 'moving_var'),
         num_outputs=3, backward=_batch_norm_backward_grad)


# ------------------------------------------------------------------ LayerNorm
_LONG_ROW = 2048


def _layer_norm(xp, data, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False):
    """Layer normalisation: each example is standardised along ``axis`` (the
    features), then scaled by ``gamma`` and shifted by ``beta`` (one per feature).
    The hidden outputs are the mean and the standard deviation ``sqrt(var + eps)``,
    with ``axis`` kept as size 1.

    >>> import d2lmini as mx
    >>> mx.nd.LayerNorm(mx.nd.array([[1, 3], [0, 10]]), mx.nd.ones(2), mx.nd.zeros(2),
    ...                 eps=0)
    <BLANKLINE>
    [[-1.  1.]
     [-1.  1.]]
    <NDArray 2x2 @cpu(0)>
    """
    axis = _channel_axis('LayerNorm', data, axis)
    _check_param('LayerNorm', 'gamma', gamma, data.shape[axis], data)
    _check_param('LayerNorm', 'beta', beta, data.shape[axis], data)
    # a float32 sum of n numbers loses about n * 6e-8 of its size: over long rows
    # (thousands of features with a large common offset) the statistics are added up
    # in float64, as MXNet's LayerNorm accumulates more precisely than its inputs;
    # short rows keep float32, where converting would cost more than the sums
    acc = np.float64 if data.dtype == np.float32 and data.shape[axis] > _LONG_ROW else None
    centered, mean, invstd = _normalize(xp, data, (axis,), eps, accumulate_dtype=acc)
    std = xp.divide(1.0, invstd)
    out = _scale_shift(xp, centered, invstd, gamma, beta, axis, data.dtype)
    return out, mean.astype(data.dtype, copy=False), std.astype(data.dtype, copy=False)


def _layer_norm_infer_shape(in_shapes, axis=-1, **attrs):
    shape = in_shapes[0]
    stat = tuple(1 if i == axis % len(shape) else d for i, d in enumerate(shape))
    return [shape, stat, stat]


def _layer_norm_backward_op(xp, dy, data, gamma, mean, std, axis=-1, eps=1e-5):
    """LayerNorm's gradients ``(d data, d gamma, d beta)``. (``eps`` is for the
    gradient of this gradient, which recomputes the statistics.)"""
    axis = axis % data.ndim
    dt = _compute_dtype(data)
    invstd = xp.divide(1.0, std, dtype=dt)
    dx, dgamma, dbeta = _norm_backward(xp, dy, data, gamma, mean.astype(dt, copy=False),
                                       invstd, (axis,), axis)
    return dx, dgamma.astype(gamma.dtype, copy=False), dbeta.astype(gamma.dtype, copy=False)


register('LayerNorm', _layer_norm, inputs=('data', 'gamma', 'beta'),
         backward=lambda F, dy, x, y, axis, eps, **attrs: F._backward_LayerNorm(
             dy[0], x[0], x[1], y[1], y[2], axis=axis, eps=eps),
         num_outputs=3, infer_shape=_layer_norm_infer_shape,
         num_visible_outputs=lambda attrs: 3 if attrs['output_mean_var'] else 1,
         param_shapes=lambda data_shape, axis=-1, **attrs: {
             'gamma': (data_shape[axis],), 'beta': (data_shape[axis],)})
register('_backward_LayerNorm', _layer_norm_backward_op,
         inputs=('dy', 'data', 'gamma', 'mean', 'std'), num_outputs=3,
         backward=lambda F, dgrads, x, y, axis, eps, **attrs: list(_norm_backward_grad(
             F, dgrads, x[0], x[1], x[2], (axis % x[1].ndim,), axis % x[1].ndim, eps)) + [
             None, None])


# ------------------------------------------------------------------ InstanceNorm
def _instance_norm(xp, data, gamma, beta, eps=1e-3):
    """Instance normalisation: every channel of every example (``data`` is
    ``(batch, channel, spatial...)``) is standardised over its spatial positions,
    then scaled by ``gamma`` and shifted by ``beta`` (one per channel).

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[[1, 3], [5, 9]]])         # 1 example, 2 channels, 2 positions
    >>> mx.nd.InstanceNorm(x, mx.nd.ones(2), mx.nd.array([0, 7]), eps=0)
    <BLANKLINE>
    [[[-1.  1.]
      [ 6.  8.]]]
    <NDArray 1x2x2 @cpu(0)>
    """
    if data.ndim < 3:
        raise MXNetError(f'InstanceNorm: data must have at least 3 dimensions (batch, '
                         f'channel, spatial...), got shape {shape_str(data.shape)}')
    _check_param('InstanceNorm', 'gamma', gamma, data.shape[1], data)
    _check_param('InstanceNorm', 'beta', beta, data.shape[1], data)
    norm_axes = tuple(range(2, data.ndim))
    centered, mean, invstd = _normalize(xp, data, norm_axes, eps)
    return _scale_shift(xp, centered, invstd, gamma, beta, 1, data.dtype), mean, invstd


def _instance_norm_backward_op(xp, dy, data, gamma, mean, invstd, eps=1e-3):
    """InstanceNorm's gradients ``(d data, d gamma, d beta)``. (``eps`` is for the
    gradient of this gradient, which recomputes the statistics.)"""
    dx, dgamma, dbeta = _norm_backward(xp, dy, data, gamma, mean, invstd,
                                       tuple(range(2, data.ndim)), 1)
    return dx, dgamma.astype(gamma.dtype, copy=False), dbeta.astype(gamma.dtype, copy=False)


register('InstanceNorm', _instance_norm, inputs=('data', 'gamma', 'beta'),
         backward=lambda F, dy, x, y, eps, **attrs: F._backward_InstanceNorm(
             dy[0], x[0], x[1], y[1], y[2], eps=eps),
         num_outputs=3, num_visible_outputs=1,
         param_shapes=lambda data_shape, **attrs: {
             'gamma': (data_shape[1],), 'beta': (data_shape[1],)},
         infer_shape=lambda shapes, **attrs: [
             shapes[0], shapes[0][:2] + (1,) * (len(shapes[0]) - 2),
             shapes[0][:2] + (1,) * (len(shapes[0]) - 2)])
register('_backward_InstanceNorm', _instance_norm_backward_op,
         inputs=('dy', 'data', 'gamma', 'mean', 'invstd'), num_outputs=3,
         backward=lambda F, dgrads, x, y, eps, **attrs: list(_norm_backward_grad(
             F, dgrads, x[0], x[1], x[2], tuple(range(2, x[1].ndim)), 1, eps)) + [None, None])


# ------------------------------------------------------------------ GroupNorm
def _groups(op, data, num_groups):
    """``data`` as ``(batch, num_groups, everything else of the group)``."""
    if data.ndim < 2 or num_groups < 1 or data.shape[1] % num_groups:
        raise MXNetError(f'{op}: data of shape {shape_str(data.shape)} cannot be split into '
                         f'{num_groups} groups of channels (axis 1)')
    return data.reshape(data.shape[0], num_groups, -1)


def _group_norm(xp, data, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False):
    """Group normalisation: the channels (axis 1) are split into ``num_groups``
    groups, and every group of every example is standardised over its channels and
    positions, then scaled by ``gamma`` and shifted by ``beta``. As in MXNet 1.x,
    ``gamma`` and ``beta`` have one value per *group*. The hidden outputs are the
    mean and the standard deviation ``sqrt(var + eps)``, of shape
    ``(batch, num_groups)``.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[[1, 3], [5, 9]]])         # 1 example, 2 channels, 2 positions
    >>> mx.nd.GroupNorm(x, mx.nd.ones(2), mx.nd.array([0, 7]), num_groups=2, eps=0)
    <BLANKLINE>
    [[[-1.  1.]
      [ 6.  8.]]]
    <NDArray 1x2x2 @cpu(0)>
    """
    grouped = _groups('GroupNorm', data, num_groups)
    _check_param('GroupNorm', 'gamma', gamma, num_groups, grouped)
    _check_param('GroupNorm', 'beta', beta, num_groups, grouped)
    centered, mean, invstd = _normalize(xp, grouped, (2,), eps)
    out = _scale_shift(xp, centered, invstd, gamma, beta, 1, data.dtype).reshape(data.shape)
    n = data.shape[0]
    std = xp.divide(1.0, invstd).reshape(n, num_groups)
    return (out, mean.reshape(n, num_groups).astype(data.dtype, copy=False),
            std.astype(data.dtype, copy=False))


def _group_norm_backward_op(xp, dy, data, gamma, mean, std, num_groups=1, eps=1e-5):
    """GroupNorm's gradients ``(d data, d gamma, d beta)``. (``eps`` is for the
    gradient of this gradient, which recomputes the statistics.)"""
    grouped = _groups('GroupNorm', data, num_groups)
    dt = _compute_dtype(data)
    shape = grouped.shape[:2] + (1,)
    invstd = xp.divide(1.0, std, dtype=dt).reshape(shape)
    dx, dgamma, dbeta = _norm_backward(xp, dy.reshape(grouped.shape), grouped, gamma,
                                       mean.astype(dt, copy=False).reshape(shape), invstd,
                                       (2,), 1)
    return (dx.reshape(data.shape), dgamma.astype(gamma.dtype, copy=False),
            dbeta.astype(gamma.dtype, copy=False))


def _group_norm_backward_grad(F, dgrads, x, y, num_groups, eps, **attrs):
    dy, data, gamma = x[:3]
    shape = data.shape
    grouped = (shape[0], num_groups, -1)
    a, b, c = dgrads
    d_dy, d_data, d_gamma = _norm_backward_grad(
        F, (F.reshape(a, grouped), b, c), F.reshape(dy, grouped), F.reshape(data, grouped),
        gamma, (2,), 1, eps)
    return [F.reshape(d_dy, shape), F.reshape(d_data, shape), d_gamma, None, None]


def _group_norm_infer_shape(in_shapes, num_groups=1, **attrs):
    shape = in_shapes[0]
    return [shape, (shape[0], num_groups), (shape[0], num_groups)]


register('GroupNorm', _group_norm, inputs=('data', 'gamma', 'beta'),
         backward=lambda F, dy, x, y, num_groups, eps, **attrs: F._backward_GroupNorm(
             dy[0], x[0], x[1], y[1], y[2], num_groups=num_groups, eps=eps),
         num_outputs=3, infer_shape=_group_norm_infer_shape,
         num_visible_outputs=lambda attrs: 3 if attrs['output_mean_var'] else 1,
         param_shapes=lambda data_shape, num_groups=1, **attrs: {
             'gamma': (num_groups,), 'beta': (num_groups,)})
register('_backward_GroupNorm', _group_norm_backward_op,
         inputs=('dy', 'data', 'gamma', 'mean', 'std'), num_outputs=3,
         backward=_group_norm_backward_grad)
