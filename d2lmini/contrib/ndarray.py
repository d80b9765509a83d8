"""``mx.nd.contrib`` (also ``mx.contrib.nd``): MXNet's contributed NDArray functions.

The operators registered as ``_contrib_<name>`` appear here as ``<name>``
(``isinf``, ``isnan``, ``isfinite``, ``BilinearResize2D``, ``arange_like``,
``index_copy``, ``boolean_mask``); the control-flow functions ``foreach``,
``while_loop`` and ``cond`` are written in Python over recorded operators, so
autograd differentiates through them.

>>> import d2lmini as mx
>>> mx.nd.contrib.isinf(mx.nd.array([1, float('inf')]))
<BLANKLINE>
[0. 1.]
<NDArray 2 @cpu(0)>
"""
import sys

import numpy as np

from .. import ndarray as _nd
from ..ndarray import NDArray

__all__ = ['foreach', 'while_loop', 'cond']


def _export():
    for name, fn in _nd._FRONT_END.items():
        if name.startswith('_contrib_'):
            short = name[len('_contrib_'):]
            globals()[short] = fn
            __all__.append(short)


_export()


from ..ndarray.sparse import getnnz  # noqa: E402  (the number of values a CSR matrix stores)

__all__.append('getnnz')


# ------------------------------------------------------------------ AdamW updates
def _rescale_array(rescale_grad, ctx):
    """``rescale_grad`` as the one-value array the AdamW operators read (on ``ctx``):
    MXNet 1.x's functions accept a plain number too."""
    if isinstance(rescale_grad, NDArray):
        return rescale_grad.as_in_context(ctx)
    return _nd.full((1,), rescale_grad, ctx=ctx)


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs):
    """AdamW's update of ``weight`` (see the ``_contrib_adamw_update`` operator for the
    formula); ``rescale_grad`` is a number or an array of one value, and a NaN,
    infinite or zero one skips the update.

    >>> import d2lmini as mx
    >>> w, m, v = mx.nd.array([1.]), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> _ = mx.nd.contrib.adamw_update(w, mx.nd.array([2.]), m, v, 0.5, lr=0.1, eta=1.0,
    ...                                epsilon=0, out=w)
    >>> print('%.4f' % w.asscalar())
    0.6838
    """
    return _nd._FRONT_END['_contrib_adamw_update'](
        weight, grad, mean, var, _rescale_array(rescale_grad, weight.context), lr=lr,
        eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None,
                    **kwargs):
    """:func:`adamw_update` for a float16 ``weight`` with its float32 master copy
    ``weight32``."""
    return _nd._FRONT_END['_contrib_mp_adamw_update'](
        weight, grad, mean, var, weight32, _rescale_array(rescale_grad, weight.context),
        lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
        clip_gradient=clip_gradient, out=out, name=name, **kwargs)


def _multi_adamw(op_name, groups, rescale_grad, lrs, wds, etas, out, name, size, kwargs):
    weights = groups[0]
    if not weights or any(len(g) != len(weights) for g in groups):
        raise ValueError(f'{op_name}: give one entry per weight in each list, got lists of '
                         f'lengths {[len(g) for g in groups]}')
    size = size or len(weights)
    data = [array for per_weight in zip(*groups) for array in per_weight]
    data.append(_rescale_array(rescale_grad, weights[0].context))
    return _nd._FRONT_END[op_name](*data, num_weights=size, lrs=tuple(lrs), wds=tuple(wds),
                                   etas=tuple(etas), out=out, name=name, **kwargs)


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None,
                       name=None, size=0, **kwargs):
    """:func:`adamw_update` for several weights at once: lists of weights, gradients,
    means and variances, and one learning rate, weight decay and ``eta`` per weight
    (``beta1``, ``beta2``, ``epsilon``, ``clip_gradient`` are shared). Returns the new
    weights; ``out=weights`` updates them in place, as the optimizers call it.

    >>> import d2lmini as mx
    >>> ws = [mx.nd.ones(2), mx.nd.ones(1)]
    >>> _ = mx.nd.contrib.multi_adamw_update(
    ...     ws, [mx.nd.ones(2), mx.nd.ones(1)], [mx.nd.zeros(2), mx.nd.zeros(1)],
    ...     [mx.nd.zeros(2), mx.nd.zeros(1)], 1.0, lrs=[0.1, 0.2], wds=[0, 0],
    ...     etas=[1, 1], epsilon=0, out=ws)
    >>> [[round(float(v), 4) for v in w.asnumpy()] for w in ws]   # lr * 0.1 / sqrt(0.001)
    [[0.6838, 0.6838], [0.3675]]
    """
    return _multi_adamw('_multi_adamw_update', (weights, grads, mean, var), rescale_grad,
                        lrs, wds, etas, out, name, size, kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds,
                          etas, out=None, name=None, size=0, **kwargs):
    """:func:`multi_adamw_update` for float16 weights with float32 master copies
    ``weights32``."""
    return _multi_adamw('_multi_mp_adamw_update', (weights, grads, mean, var, weights32),
                        rescale_grad, lrs, wds, etas, out, name, size, kwargs)


__all__ += ['multi_adamw_update', 'multi_mp_adamw_update']


def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """Draw ``num_sampled`` candidate classes from [0, ``range_max``) with the
    log-uniform (Zipfian) distribution, for sampled softmax; returns the samples and
    the expected counts of ``true_classes`` and of the samples. ``ctx`` is where the
    results go (the context of ``true_classes`` by default), as in MXNet.

    >>> import d2lmini as mx
    >>> samples, _, _ = mx.nd.contrib.rand_zipfian(mx.nd.array([1, 2]), 3, 10, ctx=mx.cpu())
    >>> samples.shape
    (3,)
    """
    if ctx is not None:
        true_classes = true_classes.as_in_context(ctx)
    return _nd._FRONT_END['_contrib_rand_zipfian'](true_classes, num_sampled=num_sampled,
                                                   range_max=range_max)


# ------------------------------------------------------------------ control flow
def _flatten(args, what):
    """A nested list of NDArrays as a flat list and the format to rebuild it."""
    if isinstance(args, NDArray):
        return [args], 0
    if not isinstance(args, (list, tuple)):
        raise TypeError(f'{what} must be an NDArray or a (nested) list of NDArrays, got '
                        f'{type(args).__name__}')
    flat, fmts = [], []
    for a in args:
        sub, fmt = _flatten(a, what)
        flat.extend(sub)
        fmts.append(fmt)
    return flat, fmts


def _regroup(flat, fmt):
    if isinstance(fmt, int):
        return (flat[0], flat[1:]) if fmt == 0 else (flat[:fmt], flat[fmt:])
    out = []
    for f in fmt:
        res, flat = _regroup(flat, f)
        out.append(res)
    return out, flat


def foreach(body, data, init_states):
    """Run ``body(item, states) -> (outputs, new_states)`` over the first axis of
    ``data`` (an NDArray or a list of them, sliced together). Returns the outputs of
    every step stacked along a new first axis, and the final states.

    >>> import d2lmini as mx
    >>> step = lambda x, s: (x + s[0], [x + s[0]])          # a running sum
    >>> outs, states = mx.nd.contrib.foreach(step, mx.nd.array([1, 2, 3]), [mx.nd.zeros(1)])
    >>> outs.asnumpy().ravel().tolist(), states[0].asnumpy().tolist()
    ([1.0, 3.0, 6.0], [6.0])
    """
    flat, _ = _flatten(data, 'foreach data')
    _flatten(init_states, 'foreach init_states')
    single = isinstance(data, NDArray)
    steps = flat[0].shape[0]
    states, outputs, fmt = init_states, [], None
    for i in range(steps):
        item = data[i] if single else [d[i] for d in data]
        outs, states = body(item, states)
        outs, fmt = _flatten(outs, 'foreach output')
        outputs.append(outs)
    stacked = [_nd.stack(*column, axis=0) for column in zip(*outputs)]
    if fmt is not None:
        stacked, _ = _regroup(stacked, fmt)
    return stacked, states


def _as_bool(value, what):
    if hasattr(value, 'asscalar'):
        value = value.asscalar()
    try:
        return bool(value)
    except Exception:
        raise ValueError(f'cannot convert {what} to a Python bool') from None


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Repeat ``func(*loop_vars) -> (step_output, new_loop_vars)`` while
    ``cond(*loop_vars)`` is true, at most ``max_iterations`` times (required).
    Returns the step outputs stacked along a new first axis, padded to
    ``max_iterations`` rows (the padding is zeros here; MXNet leaves it unset), and
    the final loop variables.

    >>> import d2lmini as mx
    >>> outs, (i, total) = mx.nd.contrib.while_loop(
    ...     cond=lambda i, s: i < 3,
    ...     func=lambda i, s: (s, (i + 1, s + i)),
    ...     loop_vars=(mx.nd.array([0]), mx.nd.array([0])), max_iterations=5)
    >>> outs.asnumpy().ravel().tolist(), float(i.asscalar()), float(total.asscalar())
    ([0.0, 0.0, 1.0, 0.0, 0.0], 3.0, 3.0)
    """
    if max_iterations is None:
        raise ValueError('max_iterations should be specified')
    max_iterations = int(max_iterations.asscalar() if hasattr(max_iterations, 'asscalar')
                         else max_iterations)
    single = isinstance(loop_vars, NDArray)
    loop_vars = [loop_vars] if single else list(loop_vars)
    if not loop_vars:
        raise ValueError('loop_vars should contain at least one element')
    steps, outputs, fmt = 0, [], None
    while steps < max_iterations and _as_bool(cond(*loop_vars), 'the value of cond'):
        out, new_vars = func(*loop_vars)
        out = [] if out is None else out
        new_vars = [] if new_vars is None else new_vars
        new_vars = [new_vars] if isinstance(new_vars, NDArray) else list(new_vars)
        if len(new_vars) != len(loop_vars):
            raise ValueError('The length of loop_vars should be consistent during the loop')
        loop_vars = new_vars
        flat, fmt = _flatten(list(out) if isinstance(out, tuple) else out, 'while output')
        if outputs and len(flat) != len(outputs[0]):
            raise ValueError('Number of elements in step_output should be the same in each '
                             'step')
        outputs.append(flat)
        steps += 1
    stacked = []
    for column in zip(*outputs):
        items = [x.expand_dims(0) for x in column]
        if steps != max_iterations:
            items.append(_nd.zeros((max_iterations - steps,) + items[0].shape[1:],
                                   ctx=items[0].context, dtype=items[0].dtype))
        stacked.append(_nd.concat(*items, dim=0))
    if fmt is not None:
        stacked, _ = _regroup(stacked, fmt)
    return stacked, (loop_vars[0] if single else loop_vars)


def cond(pred, then_func, else_func):
    """``then_func()`` if ``pred`` (a one-element NDArray or a number) is true, else
    ``else_func()``; only the branch taken runs, and autograd records it.

    >>> import d2lmini as mx
    >>> a, b = mx.nd.array([1]), mx.nd.array([2])
    >>> float(mx.nd.contrib.cond(a < b, lambda: a + b, lambda: a - b).asscalar())
    3.0
    """
    return then_func() if _as_bool(pred, 'pred') else else_func()


# ``mx.nd.contrib``, as in MXNet
_nd.contrib = sys.modules[__name__]
