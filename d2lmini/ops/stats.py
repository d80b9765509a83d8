"""Statistics of an array: ``moments`` (mean and variance), ``cumsum`` and the
``_histogram`` behind ``nd.histogram``."""
import numpy as np

from ..base import MXNetError, as_dtype, shape_str
from .registry import register


# ------------------------------------------------------------------ moments
def _moments_axes(name, axes, ndim):
    if axes is None or (isinstance(axes, tuple) and not axes):
        raise MXNetError(f'operator {name}: empty axes is not supported, if you would like '
                         'to do global moments, please pass all axes to axes argument')
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise MXNetError(f'operator {name}: axis {a} is out of range for an input with '
                             f'{ndim} axes')
        out.append(a % ndim)
    return tuple(sorted(set(out)))


def _moments(xp, data, axes=None, keepdims=False):
    """The mean and the (biased) variance of ``data`` over ``axes``.

    >>> import d2lmini as mx
    >>> mean, var = mx.nd.moments(mx.nd.array([[1, 2, 3], [4, 5, 7]]), axes=(1,))
    >>> mean.asnumpy().tolist(), ['%.4f' % v for v in var.asnumpy()]
    ([2.0, 5.333333492279053], ['0.6667', '1.5556'])
    """
    ax = _moments_axes('moments', axes, data.ndim)
    n = int(np.prod([data.shape[a] for a in ax]))
    if data.dtype.kind in 'iu':    # integer arithmetic, as MXNet: truncated means
        total = data.astype(np.int64).sum(axis=ax, keepdims=True)
        mean = (xp.trunc(total / n)).astype(np.int64)
        dev = (data - mean) ** 2
        var = xp.trunc(dev.sum(axis=ax, keepdims=True) / n).astype(np.int64)
    else:
        mean = data.mean(axis=ax, keepdims=True, dtype=np.float64 if data.dtype == np.float16
                         else None)
        var = ((data - mean.astype(data.dtype)) ** 2).mean(axis=ax, keepdims=True)
    if not keepdims:
        mean, var = mean.squeeze(ax), var.squeeze(ax)
        if mean.ndim == 0:
            mean, var = mean.reshape(1), var.reshape(1)
    return mean.astype(data.dtype), var.astype(data.dtype)


def _moments_grad(F, dy, x, y, axes, keepdims):
    data = x[0]
    ax = _moments_axes('moments', axes, data.ndim)
    n = float(np.prod([data.shape[a] for a in ax]))
    kept = tuple(1 if i in ax else s for i, s in enumerate(data.shape))
    gm, gv = (d if d.shape == kept else F.reshape(d, shape=kept) for d in dy)
    mean = F.mean(data, axis=ax, keepdims=True)
    return [F.broadcast_mul(gv, F.broadcast_sub(data, mean)) * (2.0 / n)
            + F.broadcast_mul(gm, F.ones_like(data)) * (1.0 / n)]


register('moments', _moments, num_outputs=2, backward=_moments_grad,
         attr_types={'axes': 'shape'})


# ------------------------------------------------------------------ cumsum
def _cumsum_axis(a, axis):
    if axis is None:
        return None
    if not -max(a.ndim, 1) <= axis < max(a.ndim, 1):
        raise MXNetError(f'operator cumsum: axis value {axis} out of range for an input of '
                         f'shape {shape_str(a.shape)}')
    return axis % max(a.ndim, 1)


def _cumsum(xp, a, axis=None, dtype=None):
    """The cumulative sum along ``axis`` (of the flattened array when ``axis`` is
    None), in ``dtype`` (default: the input's dtype; the input is converted first).

    >>> import d2lmini as mx
    >>> mx.nd.cumsum(mx.nd.array([[1, 2], [3, 4]]), axis=1)
    <BLANKLINE>
    [[1. 3.]
     [3. 7.]]
    <NDArray 2x2 @cpu(0)>
    """
    ax = _cumsum_axis(a, axis)
    dt = a.dtype if dtype in (None, 'None') else as_dtype(dtype)
    src = a.astype(dt, copy=False)
    if ax is None:
        src = src.reshape(-1)
        ax = 0
    return xp.cumsum(src, axis=ax, dtype=dt)


def _cumsum_grad(F, dy, x, y, axis, dtype):
    a = x[0]
    ax = _cumsum_axis(a, axis)
    g = dy if ax is not None else F.reshape(dy, shape=(-1,))
    ax = 0 if ax is None else ax
    g = F.flip(F.cumsum(F.flip(g, axis=ax), axis=ax), axis=ax)
    g = g if g.shape == a.shape else F.reshape(g, shape=a.shape)
    return [g if g.dtype == a.dtype else F.cast(g, dtype=a.dtype)]


register('cumsum', _cumsum, inputs=('a',), backward=_cumsum_grad,
         attr_types={'axis': 'int', 'dtype': 'any'},
         infer_type=lambda types, axis=None, dtype=None: [
             types[0] if dtype in (None, 'None') else as_dtype(dtype)])


# ------------------------------------------------------------------ histogram
def _histogram(xp, data, bins=None, bin_cnt=None, range=None):
    """Counts of ``data`` (flattened) in bins: either the edges ``bins`` (an array,
    the last bin closed on the right) or ``bin_cnt`` equal bins over ``range``.
    Returns ``(counts, edges)``: int64 counts, edges in the data's dtype.
    ``nd.histogram`` is the friendlier front end.

    >>> import d2lmini as mx
    >>> counts, edges = mx.nd.histogram(mx.nd.array([0, 1, 2, 3, 4]), bins=4, range=(0, 4))
    >>> counts.asnumpy().tolist(), edges.asnumpy().tolist()
    ([1, 1, 1, 2], [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    flat = data.reshape(-1)
    if bins is None:
        if bin_cnt is None or range is None:
            raise MXNetError('operator _histogram: give either the bin edges (bins) or '
                             'bin_cnt and range')
        lo, hi = float(range[0]), float(range[1])
        if lo > hi:
            raise MXNetError(f'operator _histogram: range {range}: the lower bound must '
                             'not exceed the upper')
        n = int(bin_cnt)
        if n < 1:
            raise MXNetError(f'operator _histogram: bin_cnt={bin_cnt}: at least one bin '
                             'is needed')
        if lo == hi:            # an empty range is widened by half a unit each way, as numpy
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.linspace(lo, hi, n + 1).astype(data.dtype)
        x = flat.astype(np.float64)
        keep = (x >= lo) & (x <= hi)
        width = (hi - lo) if hi > lo else 1.0
        idx = xp.floor((x[keep] - lo) * n / width).astype(np.int64)
        idx = xp.clip(idx, 0, n - 1)
    else:
        if bins.ndim != 1 or bins.shape[0] < 2:
            raise MXNetError('operator _histogram: bins must be a 1-D array of at least 2 '
                             f'edges, got shape {tuple(bins.shape)}')
        edges = bins.astype(data.dtype, copy=False)
        e = bins.astype(np.float64).reshape(-1)
        n = e.size - 1
        x = flat.astype(np.float64)
        keep = (x >= e[0]) & (x <= e[-1])
        idx = xp.clip(xp.searchsorted(e, x[keep], side='right') - 1, 0, n - 1)
    counts = xp.bincount(idx, minlength=n)[:n].astype(np.int64)
    return counts, xp.ascontiguousarray(edges)


register('_histogram', _histogram, inputs=('data', 'bins'), num_outputs=2, no_grad=True,
         optional_inputs=lambda attrs: ('data',) if attrs['bin_cnt'] is not None
         else ('data', 'bins'),
         attr_types={'bin_cnt': 'int', 'range': 'any'},
         infer_type=lambda types, **attrs: [np.int64, types[0]],
         infer_shape=lambda shapes, bin_cnt=None, range=None: (
             [(bin_cnt,), (bin_cnt + 1,)] if len(shapes) < 2 or shapes[1] is None
             else [(shapes[1][0] - 1,), tuple(shapes[1])]))
