"""``mx.nd.contrib`` (also ``mx.contrib.nd``): MXNet's contributed NDArray functions.

The operators registered as ``_contrib_<name>`` appear here as ``<name>``
(``isinf``, ``isnan``, ``isfinite``, ``BilinearResize2D``, ``arange_like``,
``index_copy``); ``boolean_mask`` and the control-flow functions ``foreach``,
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

__all__ = ['foreach', 'while_loop', 'cond', 'boolean_mask']


def _export():
    for name, fn in _nd._FRONT_END.items():
        if name.startswith('_contrib_'):
            short = name[len('_contrib_'):]
            globals()[short] = fn
            __all__.append(short)


_export()


from ..ndarray.sparse import getnnz  # noqa: E402  (the number of values a CSR matrix stores)

__all__.append('getnnz')


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


def boolean_mask(data, index, axis=0):
    """The rows of ``data`` where ``index`` (one value per row) is non-zero. The
    gradient flows back to the rows that were kept.

    >>> import d2lmini as mx
    >>> data = mx.nd.array([[1, 2], [3, 4], [5, 6]])
    >>> mx.nd.contrib.boolean_mask(data, mx.nd.array([0, 1, 1]))
    <BLANKLINE>
    [[3. 4.]
     [5. 6.]]
    <NDArray 2x2 @cpu(0)>
    """
    if axis != 0:
        raise ValueError(f'boolean_mask: axis={axis}; only axis 0 is supported, as in MXNet')
    flags = index.asnumpy()
    if flags.ndim != 1 or flags.shape[0] != data.shape[0]:
        raise ValueError(f'boolean_mask: index of shape {flags.shape} must have one value per '
                         f'row of data {data.shape}')
    # the kept rows are known only now, from the values of index: the selection is
    # then an ordinary ``take``, which autograd records
    rows = np.flatnonzero(flags).astype(np.int64)
    return _nd.take(data, _nd.array(rows, ctx=data.context, dtype='int64'), axis=0)


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
