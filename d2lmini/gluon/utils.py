"""``gluon.utils``: helpers for data parallelism, gradient clipping and downloads.

To train on several devices, cut each batch into one slice per device with
:func:`split_and_load`, run the network on every slice, and let the ``Trainer`` sum
the gradients.

>>> import d2lmini as mx
>>> x = mx.nd.arange(6).reshape((3, 2))
>>> [part.shape for part in split_data(x, 2, even_split=False)]
[(2, 2), (1, 2)]
"""
import warnings

import numpy as np

from .. import ndarray
from ..download import check_sha1, download
from ..fileio import replace_file  # noqa: F401  (an atomic os.replace, as MXNet's)
from .block import HookHandle  # noqa: F401
from .parameter import shape_is_known  # noqa: F401

__all__ = ['split_data', 'split_and_load', 'clip_global_norm', 'check_sha1', 'download',
           'replace_file', 'HookHandle', 'shape_is_known']


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Cut NDArray ``data`` into ``num_slice`` slices along ``batch_axis``.

    With ``even_split`` the size along that axis must be a multiple of
    ``num_slice``; otherwise the first slices get one element more than the last.
    Slices along axis 0 share memory with ``data``. Always returns a list.
    """
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f'data with shape {data.shape} cannot be evenly split into {num_slice} slices '
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or "
            'set even_split=False to allow uneven partitioning of data.')
    each, extras = divmod(size, num_slice)
    sizes = [each + 1] * extras + [each] * (num_slice - extras)
    bounds = np.cumsum([0] + sizes).tolist()
    if batch_axis == 0:
        return [data[bounds[i]:bounds[i + 1]] for i in range(num_slice)]
    return [ndarray.slice_axis(data, axis=batch_axis, begin=bounds[i], end=bounds[i + 1])
            for i in range(num_slice)]


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Cut ``data`` (an NDArray, or anything ``nd.array`` accepts) into one slice per
    context of ``ctx_list`` and copy each slice to its context.

    >>> import d2lmini as mx
    >>> parts = split_and_load(mx.nd.ones((4, 3)), [mx.cpu(0), mx.cpu(1)])
    >>> [(p.shape, p.context) for p in parts]
    [((2, 3), cpu(0)), ((2, 3), cpu(1))]
    """
    if not isinstance(data, ndarray.NDArray):
        data = ndarray.array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scale NDArrays ``arrays`` in place so that their joint 2-norm is at most
    ``max_norm``; returns the norm they had before.

    The joint norm is ``sqrt(sum of squares of every element of every array)``;
    arrays whose norm is already small enough are left as they are. With
    ``check_isfinite`` the norm is returned as a numpy float32 scalar, as MXNet 1.x
    returns it (a NaN or infinite norm gives a warning); otherwise as an NDArray of
    shape (1,), which does not wait for the device.

    >>> import d2lmini as mx
    >>> g = [mx.nd.array([3., 0.]), mx.nd.array([4.])]
    >>> float(clip_global_norm(g, 1.0))
    5.0
    >>> g[0]
    <BLANKLINE>
    [0.6 0. ]
    <NDArray 2 @cpu(0)>
    """
    assert len(arrays) > 0, 'clip_global_norm needs at least one array'
    ctx = arrays[0].context

    def squared_norm(arr):  # as float32 on ctx, so that arrays of any dtype add up
        flat = arr.reshape((-1,))
        return ndarray.dot(flat, flat).as_in_context(ctx).astype('float32', copy=False)

    total_norm = ndarray.sqrt(ndarray.add_n(*[squared_norm(arr) for arr in arrays]))
    if check_isfinite and not np.isfinite(total_norm.asscalar()):
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be '
                                  'undefined.'), stacklevel=2)
    # the 1e-8 keeps the division finite for all-zero arrays
    scale = ndarray.minimum(max_norm / (total_norm + 1e-8), 1.0)
    for arr in arrays:
        arr *= scale.as_in_context(arr.context).astype(arr.dtype, copy=False)
    if check_isfinite:
        return total_norm.asscalar()
    return total_norm
