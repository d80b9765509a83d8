"""Operators that MXNet 1.x programs meet outside the book's main path:

* the **interleaved attention products** of GluonNLP's transformer
  (``_contrib_interleaved_matmul_selfatt_qk`` and friends), which read queries,
  keys and values packed head by head in one projection;
* **mixed precision** casts (``amp_cast``, ``amp_multicast``) and ``cast_storage``;
* the **version-1 layers** ``Convolution_v1`` and ``Pooling_v1`` that old model files
  name, ``IdentityAttachKLSparseReg``, the sparse auto-encoder's regulariser, and
  ``_contrib_BatchNormWithReLU`` (Gluon's ``nn.BatchNormReLU``);
* signal processing: ``_contrib_fft`` / ``_contrib_ifft`` and ``_contrib_count_sketch``;
* ``_contrib_rand_zipfian``, the log-uniform candidate sampler of sampled softmax;
* ``_contrib_hawkesll``, the log-likelihood of a marked Hawkes process.

>>> import d2lmini as mx
>>> qkv = mx.nd.ones((2, 1, 6))       # 2 steps, batch 1, heads=1 of size 2
>>> mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=1).shape
(1, 2, 2)
"""
import math

import numpy as np

from .. import backend
from ..base import MXNetError, as_dtype, shape_str
from .registry import register, OPS
from .convolution import _spatial
from .pooling import _pooling


def _required(op, name, value):
    if value is None:
        raise MXNetError(f'operator {op}: the parameter {name} is required')
    return value


# ====================================================================== interleaved attention
# GluonNLP projects the inputs of multi-head attention with one dense layer and
# lays the result out as (length, batch, heads * parts * head_dim), where for each
# head the query, key and value (``parts`` of them) follow one another. These
# operators read the heads out of that layout and multiply them, batch by head:
# the scores come out as (batch * heads, query length, key length), and the
# attended values go back to (length, batch, heads * head_dim).
def _check_packed(op, name, array, heads, parts):
    if array.ndim != 3:
        raise MXNetError(f'operator {op}: {name} must be 3-D (length, batch, projection), '
                         f'got shape {shape_str(array.shape)}')
    heads = int(_required(op, 'heads', heads))
    if heads < 1 or array.shape[2] % (heads * parts):
        raise MXNetError(f'operator {op}: the last axis of {name} ({array.shape[2]}) must '
                         f'hold {parts} part(s) for each of heads={heads} heads')
    return heads, array.shape[2] // (heads * parts)


def _heads(array, heads, parts, which):
    """Part ``which`` of every head of a packed ``array`` (numpy or cupy), as
    ``(batch * heads, length, head_dim)``."""
    length, batch, width = array.shape
    dim = width // (heads * parts)
    one = array.reshape(length, batch, heads, parts, dim)[:, :, :, which, :]
    return one.transpose(1, 2, 0, 3).reshape(batch * heads, length, dim)


def _unheads(array, batch, heads):
    """Inverse of :func:`_heads` for one part: ``(batch * heads, length, dim)`` to
    ``(length, batch, heads * dim)``."""
    _, length, dim = array.shape
    return array.reshape(batch, heads, length, dim).transpose(2, 0, 1, 3) \
                .reshape(length, batch, heads * dim)


def _F_heads(F, array, heads, parts, which):
    """:func:`_heads` written with ``F``, so that gradients are recorded."""
    length, batch, width = array.shape
    dim = width // (heads * parts)
    five = F.reshape(array, shape=(length, batch, heads, parts, dim))
    one = F.reshape(F.slice_axis(five, axis=3, begin=which, end=which + 1),
                    shape=(length, batch, heads, dim))
    return F.reshape(F.transpose(one, axes=(1, 2, 0, 3)), shape=(batch * heads, length, dim))


def _F_pack(F, parts, batch, heads):
    """Put per-head gradients ``parts`` (each ``(batch * heads, length, dim)``, or
    None for a part that gets none) back into the packed layout."""
    known = next(p for p in parts if p is not None)
    _, length, dim = known.shape
    zero = F.zeros_like(known)
    four = [F.transpose(F.reshape(zero if p is None else p, shape=(batch, heads, length, dim)),
                        axes=(2, 0, 1, 3)) for p in parts]
    stacked = F.stack(*four, axis=3)     # (length, batch, heads, parts, dim)
    return F.reshape(stacked, shape=(length, batch, heads * len(parts) * dim))


def _selfatt_qk(xp, queries_keys_values, heads=None):
    """Attention scores of packed self-attention: for every batch element and head,
    ``q k^T / sqrt(head_dim)``, shape ``(batch * heads, length, length)``. The input
    ``(length, batch, heads * 3 * head_dim)`` holds each head's query, key and value
    one after the other.

    >>> import d2lmini as mx
    >>> q, k, v = [2, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]        # head_dim 4
    >>> q2, k2 = [0, 2, 0, 0], [0, 3, 0, 0]
    >>> qkv = mx.nd.array([[q + k + v], [q2 + k2 + v]])          # 2 steps, batch 1
    >>> mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=1).asnumpy().tolist()
    [[[1.0, 0.0], [0.0, 3.0]]]
    """
    heads, dim = _check_packed('interleaved_matmul_selfatt_qk', 'queries_keys_values',
                               queries_keys_values, heads, 3)
    q = _heads(queries_keys_values, heads, 3, 0)
    k = _heads(queries_keys_values, heads, 3, 1)
    return xp.matmul(q, k.transpose(0, 2, 1)) * queries_keys_values.dtype.type(1 / math.sqrt(dim))


def _selfatt_qk_backward(F, dy, x, y, heads):
    qkv, = x
    heads = int(heads)
    dim = qkv.shape[2] // (3 * heads)
    scale = 1 / math.sqrt(dim)
    q, k = _F_heads(F, qkv, heads, 3, 0), _F_heads(F, qkv, heads, 3, 1)
    dq = F.batch_dot(dy, k) * scale
    dk = F.batch_dot(dy, q, transpose_a=True) * scale
    return [_F_pack(F, [dq, dk, None], qkv.shape[1], heads)]


register('_contrib_interleaved_matmul_selfatt_qk', _selfatt_qk, backward=_selfatt_qk_backward,
         inputs=('queries_keys_values',))


def _check_attention(op, attention, batch, heads, rows, cols):
    want = (batch * heads, rows, cols)
    if tuple(attention.shape) != want:
        raise MXNetError(f'operator {op}: attention must have shape {shape_str(want)} '
                         f'(batch * heads, query length, key length), got '
                         f'{shape_str(attention.shape)}')


def _selfatt_valatt(xp, queries_keys_values, attention, heads=None):
    """Attended values of packed self-attention: each head's attention weights
    ``(batch * heads, length, length)`` times its values, laid out again as
    ``(length, batch, heads * head_dim)``.

    >>> import d2lmini as mx
    >>> qkv = mx.nd.array([[[0, 0, 1]], [[0, 0, 3]]])          # heads=1, head_dim 1
    >>> att = mx.nd.array([[[0.5, 0.5], [0, 1]]])
    >>> mx.nd.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=1).asnumpy().ravel()
    array([2., 3.], dtype=float32)
    """
    op = 'interleaved_matmul_selfatt_valatt'
    heads, _ = _check_packed(op, 'queries_keys_values', queries_keys_values, heads, 3)
    length, batch = queries_keys_values.shape[:2]
    _check_attention(op, attention, batch, heads, length, length)
    v = _heads(queries_keys_values, heads, 3, 2)
    return _unheads(xp.matmul(attention, v), batch, heads)


def _valatt_grads(F, dy, v, attention, heads):
    """``(d attention, d values)`` of ``attention @ v`` per head: what both value-attention
    operators' backward passes compute once their values are split into heads."""
    dout = _F_heads(F, dy, heads, 1, 0)
    return (F.batch_dot(dout, v, transpose_b=True),
            F.batch_dot(attention, dout, transpose_a=True))


def _selfatt_valatt_backward(F, dy, x, y, heads):
    qkv, attention = x
    heads = int(heads)
    d_att, dv = _valatt_grads(F, dy, _F_heads(F, qkv, heads, 3, 2), attention, heads)
    return [_F_pack(F, [None, None, dv], qkv.shape[1], heads), d_att]


register('_contrib_interleaved_matmul_selfatt_valatt', _selfatt_valatt,
         backward=_selfatt_valatt_backward, inputs=('queries_keys_values', 'attention'))


def _encdec_qk(xp, queries, keys_values, heads=None):
    """Attention scores of packed encoder-decoder attention: the queries
    ``(query length, batch, heads * head_dim)`` against the keys of ``keys_values``
    ``(key length, batch, heads * 2 * head_dim)`` (each head's key, then its value),
    scaled by ``1 / sqrt(head_dim)``: shape ``(batch * heads, query length, key length)``.

    >>> import d2lmini as mx
    >>> q = mx.nd.array([[[1, 2]]])                     # heads=2, head_dim 1
    >>> kv = mx.nd.array([[[3, 0, 4, 0]], [[5, 0, 6, 0]]])
    >>> mx.nd.contrib.interleaved_matmul_encdec_qk(q, kv, heads=2).asnumpy().tolist()
    [[[3.0, 5.0]], [[8.0, 12.0]]]
    """
    op = 'interleaved_matmul_encdec_qk'
    heads, dim = _check_packed(op, 'queries', queries, heads, 1)
    _, kdim = _check_packed(op, 'keys_values', keys_values, heads, 2)
    if kdim != dim or keys_values.shape[1] != queries.shape[1]:
        raise MXNetError(f'operator {op}: queries {shape_str(queries.shape)} and keys_values '
                         f'{shape_str(keys_values.shape)} must share the batch size and have '
                         f'heads * head_dim and heads * 2 * head_dim entries')
    q = _heads(queries, heads, 1, 0)
    k = _heads(keys_values, heads, 2, 0)
    return xp.matmul(q, k.transpose(0, 2, 1)) * queries.dtype.type(1 / math.sqrt(dim))


def _encdec_qk_backward(F, dy, x, y, heads):
    queries, keys_values = x
    heads = int(heads)
    dim = queries.shape[2] // heads
    scale = 1 / math.sqrt(dim)
    q, k = _F_heads(F, queries, heads, 1, 0), _F_heads(F, keys_values, heads, 2, 0)
    batch = queries.shape[1]
    dq = F.batch_dot(dy, k) * scale
    dk = F.batch_dot(dy, q, transpose_a=True) * scale
    return [_F_pack(F, [dq], batch, heads), _F_pack(F, [dk, None], batch, heads)]


register('_contrib_interleaved_matmul_encdec_qk', _encdec_qk, backward=_encdec_qk_backward,
         inputs=('queries', 'keys_values'))


def _encdec_valatt(xp, keys_values, attention, heads=None):
    """Attended values of packed encoder-decoder attention: each head's weights
    ``(batch * heads, query length, key length)`` times the values of
    ``keys_values``, laid out as ``(query length, batch, heads * head_dim)``.

    >>> import d2lmini as mx
    >>> kv = mx.nd.array([[[0, 1]], [[0, 3]]])          # heads=1, head_dim 1
    >>> att = mx.nd.array([[[0.25, 0.75]]])
    >>> mx.nd.contrib.interleaved_matmul_encdec_valatt(kv, att, heads=1).asnumpy().ravel()
    array([2.5], dtype=float32)
    """
    op = 'interleaved_matmul_encdec_valatt'
    heads, _ = _check_packed(op, 'keys_values', keys_values, heads, 2)
    length, batch = keys_values.shape[:2]
    if attention.ndim != 3:
        raise MXNetError(f'operator {op}: attention must be 3-D (batch * heads, query length, '
                         f'key length), got {shape_str(attention.shape)}')
    _check_attention(op, attention, batch, heads, attention.shape[1], length)
    v = _heads(keys_values, heads, 2, 1)
    return _unheads(xp.matmul(attention, v), batch, heads)


def _encdec_valatt_backward(F, dy, x, y, heads):
    keys_values, attention = x
    heads = int(heads)
    d_att, dv = _valatt_grads(F, dy, _F_heads(F, keys_values, heads, 2, 1), attention, heads)
    return [_F_pack(F, [None, dv], keys_values.shape[1], heads), d_att]


register('_contrib_interleaved_matmul_encdec_valatt', _encdec_valatt,
         backward=_encdec_valatt_backward, inputs=('keys_values', 'attention'))


# ====================================================================== mixed precision
# AMP (automatic mixed precision) inserts these casts into a graph. They convert
# only between the low-precision float and float32; every other dtype (float64,
# integers) passes through unchanged, so a cast inserted in front of an integer
# index input does no harm.
_AMP_FLOATS = (np.dtype(np.float16), np.dtype(np.float32))


def _amp_target(dtype):
    return as_dtype(_required('amp_cast', 'dtype', dtype))


def _amp_cast(xp, data, dtype=None):
    """``data`` cast to ``dtype`` when it is float16 or float32; any other dtype is
    returned unchanged. The gradient is cast back to the dtype of ``data``.

    >>> import d2lmini as mx
    >>> mx.nd.amp_cast(mx.nd.array([1.5]), dtype='float16').dtype.__name__
    'float16'
    >>> mx.nd.amp_cast(mx.nd.array([1], dtype='int32'), dtype='float16').dtype.__name__
    'int32'
    """
    target = _amp_target(dtype)
    if data.dtype not in _AMP_FLOATS:
        return data.copy()
    with np.errstate(over='ignore'):    # too large for float16 becomes inf, silently
        return data.astype(target)


def _amp_cast_type(types, dtype=None):
    return [_amp_target(dtype) if types[0] in _AMP_FLOATS else types[0]]


register('amp_cast', _amp_cast, infer_type=_amp_cast_type,
         backward=lambda F, dy, x, y, dtype: [F.amp_cast(dy, dtype=x[0].dtype)])


def _multicast_types(types, num_outputs=None, cast_narrow=False):
    """The dtype of each output: float16 and float32 inputs all become the widest of
    them (the narrowest with ``cast_narrow``); the others keep theirs."""
    if num_outputs is None:
        raise MXNetError('operator amp_multicast: the parameter num_outputs is required')
    if int(num_outputs) != len(types):
        raise MXNetError(f'operator amp_multicast: num_outputs={num_outputs} but '
                         f'{len(types)} inputs were given')
    amp = [np.dtype(t) for t in types if np.dtype(t) in _AMP_FLOATS]
    if not amp:
        return [np.dtype(t) for t in types]
    common = min(amp, key=lambda t: t.itemsize) if cast_narrow else \
        max(amp, key=lambda t: t.itemsize)
    return [common if np.dtype(t) in _AMP_FLOATS else np.dtype(t) for t in types]


def _amp_multicast(xp, *data, num_outputs=None, cast_narrow=False):
    """Cast the float16 and float32 inputs to one dtype, the widest of theirs (or,
    with ``cast_narrow=True``, the narrowest), so that an operator mixing them sees
    one type; float64 and integer inputs pass through. ``num_outputs`` must equal
    the number of inputs.

    >>> import d2lmini as mx
    >>> a, b = mx.nd.ones(2, dtype='float16'), mx.nd.ones(2)
    >>> [o.dtype.__name__ for o in mx.nd.amp_multicast(a, b, num_outputs=2)]
    ['float32', 'float32']
    """
    types = _multicast_types([d.dtype for d in data], num_outputs, cast_narrow)
    with np.errstate(over='ignore'):
        return tuple(d.astype(t) if d.dtype != t else d.copy() for d, t in zip(data, types))


def _amp_multicast_backward(F, dy, x, y, num_outputs, cast_narrow):
    dys = dy if isinstance(dy, tuple) else (dy,)
    return [F.amp_cast(d, dtype=xi.dtype) for d, xi in zip(dys, x)]


register('amp_multicast', _amp_multicast, num_outputs=0, backward=_amp_multicast_backward,
         infer_type=lambda types, **attrs: _multicast_types(types, **attrs),
         infer_shape=lambda shapes, **attrs: [tuple(s) for s in shapes])


def _cast_storage(xp, data, stype=None):
    """``data`` in storage type ``stype`` ('default', 'csr' or 'row_sparse'). The
    values do not change. ``nd.cast_storage`` makes sparse arrays (see
    :mod:`d2lmini.ndarray.sparse`); inside a graph, where every operator computes on
    dense values, this operator is a copy.

    >>> import d2lmini as mx
    >>> mx.nd.cast_storage(mx.nd.array([0, 2]), stype='default').asnumpy().tolist()
    [0.0, 2.0]
    """
    _check_stype(stype)
    if stype == 'csr' and data.ndim != 2:
        raise MXNetError(f'operator cast_storage: a CSR matrix is 2-D, not of shape '
                         f'{tuple(data.shape)}')
    return data.copy()


def _check_stype(stype):
    if stype is None:
        raise MXNetError('operator cast_storage: the parameter stype is required')
    if stype not in ('default', 'csr', 'row_sparse'):
        raise MXNetError(f"operator cast_storage: invalid stype {stype!r}; valid values are "
                         "'csr', 'default', 'row_sparse'")


register('cast_storage', _cast_storage, backward=lambda F, dy, x, y, stype: [dy])


# ====================================================================== version-1 layers
# Model files from early MXNet name Convolution_v1 and Pooling_v1. Convolution_v1
# computes what Convolution computes (MXNet's own results agree), so it shares its
# definition; d2lmini also accepts the 1-D and 3-D cases that MXNet's version 1 refused.
_conv = OPS['Convolution']
register('Convolution_v1', _conv.forward, backward=_conv.backward, inputs=_conv.inputs,
         infer_shape=_conv._infer_shape, param_shapes=_conv.param_shapes,
         doc='The version-1 name of :func:`Convolution`, with the same arguments and '
             'results.', required=('kernel', 'num_filter'))


def _v1_geometry(data, kernel, global_pool, stride, pad):
    if data.ndim not in (4, 5):
        raise MXNetError(f'operator Pooling_v1: data must be 4-D (N, C, H, W) or 5-D, got '
                         f'{shape_str(data.shape)}')
    nsp = data.ndim - 2
    if global_pool:
        return tuple(data.shape[2:]), (1,) * nsp, (0,) * nsp
    if not kernel:
        raise MXNetError('operator Pooling_v1: the kernel attribute is required unless '
                         'global_pool=True')
    kernel = _spatial('Pooling_v1', 'kernel', kernel, nsp, 1, 1)
    return (kernel, _spatial('Pooling_v1', 'stride', stride, nsp, 1, 1),
            _spatial('Pooling_v1', 'pad', pad, nsp, 0, 0))


def _v1_check(pool_type, pooling_convention):
    if pool_type not in ('max', 'avg', 'sum'):
        raise MXNetError(f"operator Pooling_v1: pool_type={pool_type!r}; valid values are "
                         "'avg', 'max', 'sum'")
    if pooling_convention not in ('valid', 'full'):
        raise MXNetError(f"operator Pooling_v1: pooling_convention={pooling_convention!r}; "
                         "valid values are 'full', 'valid'")


def _pooling_v1(xp, data, kernel=(), pool_type='max', global_pool=False,
                pooling_convention='valid', stride=(), pad=()):
    """Pooling as MXNet's first version computes it. It differs from :func:`Pooling`
    in two ways: max pooling pads with zeros (not with the lowest value), and
    average pooling always divides by the kernel's size, even for a window that
    ``pooling_convention='full'`` lets run past the input.

    >>> import d2lmini as mx
    >>> x = -mx.nd.arange(1, 5).reshape((1, 1, 2, 2))
    >>> mx.nd.Pooling_v1(x, kernel=(2, 2), pad=(1, 1), pool_type='max').asnumpy().ravel()
    array([ 0.,  0.,  0.,  0., -1.,  0.,  0.,  0.,  0.], dtype=float32)
    """
    _v1_check(pool_type, pooling_convention)
    kernel, stride, pad = _v1_geometry(data, kernel, global_pool, stride, pad)
    if pool_type == 'max' and any(pad):
        data = xp.pad(data, [(0, 0), (0, 0)] + [(p, p) for p in pad])
        pad = (0,) * len(pad)
    out = _pooling(xp, data, kernel=kernel, pool_type='sum' if pool_type == 'avg' else pool_type,
                   pooling_convention=pooling_convention, stride=stride, pad=pad)
    if pool_type == 'avg':
        out = out / data.dtype.type(np.prod(kernel))
    return out


def _pooling_v1_backward(F, dy, x, y, kernel, pool_type, global_pool, pooling_convention,
                         stride, pad):
    data, = x
    kernel, stride, pad = _v1_geometry(data, kernel, global_pool, stride, pad)
    attrs = dict(kernel=kernel, stride=stride, pooling_convention=pooling_convention)
    if pool_type == 'max' and any(pad):   # the gradient of max pooling the zero-padded data
        padded = F.pad(data, mode='constant', pad_width=(0, 0, 0, 0) + tuple(
            v for p in pad for v in (p, p)))
        grad = F._backward_Pooling(dy, padded, y, pool_type='max', pad=(0,) * len(pad), **attrs)
        for axis, (p, n) in enumerate(zip(pad, data.shape[2:]), start=2):
            grad = F.slice_axis(grad, axis=axis, begin=p, end=p + n)
        return [grad]
    if pool_type == 'max':
        return [F._backward_Pooling(dy, data, y, pool_type='max', pad=pad, **attrs)]
    if pool_type == 'avg':
        dy = dy / float(np.prod(kernel))
    return [F._backward_Pooling(dy, data, y, pool_type='sum', pad=pad, **attrs)]


register('Pooling_v1', _pooling_v1, backward=_pooling_v1_backward)


# ====================================================================== KL sparseness
def _kl_sparse_reg(xp, data, moving_avg, sparseness_target=0.1, penalty=0.001, momentum=0.9):
    """The identity in the forward pass. In the backward pass it adds the gradient of
    a KL-divergence penalty that pulls the mean activation of every unit (axis 1)
    towards ``sparseness_target``: ``penalty * (-t / a + (1 - t) / (1 - a))``, where
    ``a`` is the running mean activation kept in the auxiliary state ``moving_avg``
    and updated by ``momentum`` in each backward pass, as MXNet does.

    >>> import d2lmini as mx
    >>> x = mx.sym.var('x')
    >>> mx.sym.IdentityAttachKLSparseReg(x, name='kl').list_auxiliary_states()
    ['kl_moving_avg']
    """
    if data.ndim < 2 or tuple(moving_avg.shape) != (data.shape[1],):
        raise MXNetError(f'operator IdentityAttachKLSparseReg: data {shape_str(data.shape)} '
                         f'needs a moving_avg of shape [{data.shape[1] if data.ndim > 1 else "?"}]'
                         f', got {shape_str(moving_avg.shape)}')
    return data.copy()


def _kl_sparse_reg_backward(F, dy, x, y, sparseness_target, penalty, momentum):
    data, moving_avg = x
    return [F._backward_IdentityAttachKLSparseReg(
        dy, data, moving_avg, sparseness_target=sparseness_target, penalty=penalty,
        momentum=momentum), None]


register('IdentityAttachKLSparseReg', _kl_sparse_reg, backward=_kl_sparse_reg_backward,
         inputs=('data', 'moving_avg'), aux_inputs=('moving_avg',), once_differentiable=True,
         param_shapes=lambda shape, **attrs: {'moving_avg': (shape[1],)})


def _kl_sparse_reg_grad(xp, out_grad, data, moving_avg, sparseness_target=0.1, penalty=0.001,
                        momentum=0.9):
    """The gradient of IdentityAttachKLSparseReg: it first updates ``moving_avg`` in
    place with the batch's mean activation per unit."""
    axes = (0,) + tuple(range(2, data.ndim))
    moving_avg *= momentum
    moving_avg += (data.mean(axis=axes) * (1 - momentum)).astype(moving_avg.dtype)
    a = moving_avg.reshape((1, -1) + (1,) * (data.ndim - 2))
    t = sparseness_target
    return (out_grad + penalty * (-t / a + (1 - t) / (1 - a))).astype(out_grad.dtype)


register('_backward_IdentityAttachKLSparseReg', _kl_sparse_reg_grad,
         inputs=('out_grad', 'data', 'moving_avg'), once_differentiable=True)


# ====================================================================== FFT and count sketch
# MXNet stores a complex vector of length d as 2d real numbers, each real part
# followed by its imaginary part: [re0, im0, re1, im1, ...]. fft maps real data
# (..., d) to that layout (..., 2d); ifft maps it back to real data (..., d),
# keeping the real part of the inverse transform WITHOUT the 1/d factor (as
# cuFFT computes it, so ifft(fft(x)) is d * x). The two are each other's
# adjoints, so each one's gradient is the other applied to the output gradient.
def _interleave(xp, z, dtype):
    out = xp.empty(z.shape[:-1] + (2 * z.shape[-1],), dtype=dtype)
    out[..., 0::2] = z.real
    out[..., 1::2] = z.imag
    return out


def _fft(xp, data, compute_size=128):
    """The discrete Fourier transform of real ``data`` along its last axis, its
    complex result written as [real0, imag0, real1, imag1, ...] (the last axis
    doubles). ``compute_size`` (how many rows MXNet's GPU kernel takes at a time)
    does not change the result.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.fft(mx.nd.array([[1, 2]])).asnumpy().tolist()
    [[3.0, 0.0, -1.0, 0.0]]
    """
    if data.ndim < 1:
        raise MXNetError('operator fft: data must have at least one axis')
    return _interleave(xp, xp.fft.fft(data, axis=-1), data.dtype)


def _ifft(xp, data, compute_size=128):
    """The inverse discrete Fourier transform along the last axis of complex data
    written as [real0, imag0, real1, imag1, ...] (an even length 2d), unnormalised
    (no 1/d factor, as in MXNet); only the real part is kept, so the result has d
    entries per row.

    >>> import d2lmini as mx
    >>> mx.nd.contrib.ifft(mx.nd.array([[3, 0, -1, 0]])).asnumpy().tolist()
    [[2.0, 4.0]]
    """
    if data.ndim < 1 or data.shape[-1] % 2:
        raise MXNetError(f'operator ifft: the last axis of data must have an even length '
                         f'(real and imaginary parts), got shape {shape_str(data.shape)}')
    z = data[..., 0::2] + 1j * data[..., 1::2]
    d = z.shape[-1]
    return (xp.fft.ifft(z, axis=-1).real * d).astype(data.dtype)


register('_contrib_fft', _fft, backward=lambda F, dy, x, y, compute_size: [F._contrib_ifft(dy)])
register('_contrib_ifft', _ifft, backward=lambda F, dy, x, y, compute_size: [F._contrib_fft(dy)])


def _sketch_tables(op, data, h, s, out_dim):
    out_dim = int(_required(op, 'out_dim', out_dim))
    if data.ndim != 2:
        raise MXNetError(f'operator {op}: data must be 2-D (N, d), got {shape_str(data.shape)}')
    d = data.shape[1]
    if h.size != d or s.size != d:
        raise MXNetError(f'operator {op}: h and s need one entry per input feature ({d}), '
                         f'got shapes {shape_str(h.shape)} and {shape_str(s.shape)}')
    return out_dim, h.reshape(-1).astype(np.int64), s.reshape(-1)


def _count_sketch(xp, data, h, s, out_dim=None, processing_batch_size=32):
    """Count sketch: feature ``i`` of every row of ``data`` (N, d) is multiplied by
    the sign ``s[i]`` (+1 or -1) and added into output column ``h[i]`` (in
    ``[0, out_dim)``). ``h`` and ``s`` have shape (1, d). ``processing_batch_size``
    (how many rows MXNet's GPU kernel takes at a time) does not change the result.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1.5, 2.5, 3.25]])
    >>> h, s = mx.nd.array([[0, 3, 4]]), mx.nd.array([[1, -1, 1]])
    >>> mx.nd.contrib.count_sketch(x, h, s, out_dim=5).asnumpy().tolist()
    [[1.5, 0.0, 0.0, -2.5, 3.25]]
    """
    out_dim, h, s = _sketch_tables('count_sketch', data, h, s, out_dim)
    if h.size and (int(h.min()) < 0 or int(h.max()) >= out_dim):
        raise MXNetError(f'operator count_sketch: the entries of h must lie in [0, {out_dim}), '
                         f'got values from {int(h.min())} to {int(h.max())}')
    table = xp.zeros((data.shape[1], out_dim), dtype=data.dtype)
    table[xp.arange(data.shape[1]), h] = s.astype(data.dtype)
    return data @ table


def _count_sketch_backward(F, dy, x, y, out_dim, processing_batch_size):
    data, h, s = x
    picked = F.take(dy, F.reshape(h, shape=(-1,)), axis=1)
    return [picked * F.reshape(s, shape=(1, -1)), None, None]


register('_contrib_count_sketch', _count_sketch, backward=_count_sketch_backward,
         inputs=('data', 'h', 's'))


# ====================================================================== log-uniform sampling
def _zipf_probability(xp, classes, range_max):
    """P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1)."""
    c = classes.astype(np.float64)
    return (xp.log(c + 2) - xp.log(c + 1)) / math.log(range_max + 1)


def _rand_zipfian(xp, true_classes, num_sampled=None, range_max=None):
    """Draw ``num_sampled`` candidates from [0, ``range_max``), with replacement, from
    the approximately log-uniform (Zipfian) distribution
    ``P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1)``, which
    suits classes sorted by decreasing frequency (the words of a vocabulary).
    Returns the samples (int64), and the expected counts ``num_sampled * P`` of
    ``true_classes`` and of the samples (float64), as sampled softmax needs.

    >>> import d2lmini as mx
    >>> mx.random.seed(0)
    >>> s, count_true, count_sampled = mx.nd.contrib.rand_zipfian(mx.nd.array([3]), 4, 5)
    >>> s.shape, s.dtype.__name__, count_true.asnumpy().round(4).tolist()
    ((4,), 'int64', [0.4982])
    """
    num_sampled = int(_required('rand_zipfian', 'num_sampled', num_sampled))
    range_max = int(_required('rand_zipfian', 'range_max', range_max))
    if num_sampled < 1 or range_max < 1:
        raise MXNetError(f'operator rand_zipfian: num_sampled={num_sampled} and '
                         f'range_max={range_max} must be positive')
    # exp(u * log(range_max + 1)) - 1 for uniform u has exactly that distribution
    # after rounding down; it stays below range_max because u < 1
    u = backend.uniform01(xp, (num_sampled,))
    samples = xp.floor(xp.exp(u * math.log(range_max + 1))).astype(np.int64) - 1
    samples = xp.clip(samples, 0, range_max - 1)
    count_true = _zipf_probability(xp, true_classes, range_max) * num_sampled
    count_sampled = _zipf_probability(xp, samples, range_max) * num_sampled
    return samples, count_true, count_sampled


def _rand_zipfian_shapes(in_shapes, num_sampled=None, range_max=None):
    n = int(_required('rand_zipfian', 'num_sampled', num_sampled))
    return [(n,), tuple(in_shapes[0]), (n,)]


register('_contrib_rand_zipfian', _rand_zipfian, inputs=('true_classes',), num_outputs=3,
         random=True, no_grad=True, infer_shape=_rand_zipfian_shapes,
         infer_type=lambda types, **attrs: [np.int64, np.float64, np.float64],
         output_names=('samples', 'expected_count_true', 'expected_count_sample'))


# ====================================================================== BatchNorm with ReLU
_bn = OPS['BatchNorm']


def _batch_norm_relu(xp, data, gamma, beta, moving_mean, moving_var, eps=1e-3, momentum=0.9,
                     fix_gamma=True, use_global_stats=False, output_mean_var=False, axis=1,
                     cudnn_off=False, min_calib_range=None, max_calib_range=None,
                     is_train=False):
    """:func:`BatchNorm` followed by ``relu`` in one operator (Gluon's
    ``nn.BatchNormReLU``); the arguments and the hidden outputs are BatchNorm's.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 10], [3, 30]])
    >>> with mx.autograd.train_mode():
    ...     y = mx.nd.contrib.BatchNormWithReLU(x, mx.nd.ones(2), mx.nd.zeros(2),
    ...                                         mx.nd.zeros(2), mx.nd.ones(2), eps=0)
    >>> y.asnumpy().tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    out, *hidden = _bn.forward(xp, data, gamma, beta, moving_mean, moving_var, eps=eps,
                               momentum=momentum, fix_gamma=fix_gamma,
                               use_global_stats=use_global_stats, axis=axis,
                               is_train=is_train)
    return (xp.maximum(out, out.dtype.type(0)),) + tuple(hidden)


def _batch_norm_relu_backward(F, dy, x, y, **attrs):
    # relu lets the gradient through where its output is positive; what reaches
    # BatchNorm's output is then differentiated as BatchNorm does
    masked = dy[0] * (y[0] > 0)
    attrs = {k: attrs[k] for k in ('eps', 'momentum', 'fix_gamma', 'axis')}
    return _bn.backward(F, (masked,) + tuple(dy[1:]), x, y, **attrs)


register('_contrib_BatchNormWithReLU', _batch_norm_relu, backward=_batch_norm_relu_backward,
         inputs=_bn.inputs, num_outputs=4, infer_shape=_bn._infer_shape,
         num_visible_outputs=_bn.num_visible_outputs, param_shapes=_bn.param_shapes,
         aux_inputs=_bn.aux_inputs, train_mode=True, output_names=_bn.output_names,
         param_dtypes=_bn.param_dtypes, infer_type=_bn._infer_type)


# ====================================================================== Hawkes log-likelihood
def _hawkes_pass(xp, lda, alpha, beta, state, lags, marks, valid_length, max_time,
                 derivatives=False):
    """One pass over the events of every sequence (vectorised over the batch).

    ``s`` is the memory ``s_k(t) = sum_{t_i < t} exp(-beta_k (t - t_i))`` of each
    process. Between events it decays; at an event of process m the intensity is
    ``lda_m + alpha_m beta_m s_m`` and ``s_m`` grows by one. The integral of
    ``beta_k s_k`` over a gap of length d starting from memory s is ``s (1 - exp(-beta_k d))``,
    which sums to the compensator. With ``derivatives``, the derivatives of the
    memory with respect to beta and to the initial state ride along (forward mode),
    and the function returns the gradients of the log-likelihood and of the final
    state instead of their values."""
    n, k = lda.shape
    dt = lda.dtype
    rows = xp.arange(n)
    marks = marks.astype(np.int64)
    valid_length = valid_length.astype(np.int64)
    s = state.astype(dt, copy=True)
    compensator = xp.zeros((n, k), dt)
    log_sum = xp.zeros((n,), dt)
    elapsed = xp.zeros((n,), dt)
    if derivatives:
        ds_dbeta, ds_dstate = xp.zeros((n, k), dt), xp.ones((n, k), dt)
        dcomp_dbeta, dcomp_dstate = xp.zeros((n, k), dt), xp.zeros((n, k), dt)
        g_lda, g_alpha = xp.zeros((n, k), dt), xp.zeros((n, k), dt)
        g_beta, g_state = xp.zeros((n, k), dt), xp.zeros((n, k), dt)

    def decay(gap):
        """Let every memory decay over ``gap`` (N,), adding to the compensator."""
        nonlocal s, compensator
        gap = gap[:, None]
        e = xp.exp(-beta[None, :] * gap)
        if derivatives:
            nonlocal ds_dbeta, ds_dstate, dcomp_dbeta, dcomp_dstate
            dcomp_dbeta += ds_dbeta * (1 - e) + s * gap * e
            dcomp_dstate += ds_dstate * (1 - e)
            ds_dbeta = ds_dbeta * e - gap * s * e
            ds_dstate = ds_dstate * e
        compensator = compensator + s * (1 - e)
        s = s * e

    for t in range(lags.shape[1]):
        live = t < valid_length
        decay(xp.where(live, lags[:, t], 0))
        elapsed = elapsed + xp.where(live, lags[:, t], 0)
        m = xp.clip(marks[:, t], 0, k - 1)
        s_m = s[rows, m]
        intensity = lda[rows, m] + alpha[m] * beta[m] * s_m
        log_sum = log_sum + xp.where(live, xp.log(xp.where(live, intensity, 1)), 0)
        if derivatives:
            w = xp.where(live, 1 / intensity, 0)
            g_lda[rows, m] += w
            g_alpha[rows, m] += w * beta[m] * s_m
            g_beta[rows, m] += w * alpha[m] * (s_m + beta[m] * ds_dbeta[rows, m])
            g_state[rows, m] += w * alpha[m] * beta[m] * ds_dstate[rows, m]
        s[rows, m] += xp.where(live, 1, 0).astype(dt)
    # the observation window must hold the events (up to float rounding of the sum)
    if bool((max_time < elapsed - 1e-5 * xp.maximum(elapsed, 1)).any()):
        raise MXNetError('operator hawkesll: the valid lags of a sample add up to more than '
                         'its max_time; max_time must cover the observed events')
    decay(xp.maximum(max_time - elapsed, 0))
    if not derivatives:
        background = (lda * max_time[:, None]).sum(axis=1)
        ll = log_sum - background - (alpha[None, :] * compensator).sum(axis=1)
        return ll, s
    g_lda -= max_time[:, None]
    g_alpha -= compensator
    g_beta -= alpha[None, :] * dcomp_dbeta
    g_state -= alpha[None, :] * dcomp_dstate
    return (g_lda, g_alpha, g_beta, g_state), (ds_dbeta, ds_dstate)


def _check_hawkes(lda, alpha, beta, state, lags, marks, valid_length, max_time):
    n, k = lda.shape if lda.ndim == 2 else (None, None)
    ok = (n is not None and alpha.shape == (k,) and beta.shape == (k,) and state.shape == (n, k)
          and lags.ndim == 2 and lags.shape[0] == n and marks.shape == lags.shape
          and valid_length.shape == (n,) and max_time.shape == (n,))
    if not ok:
        raise MXNetError('operator hawkesll: expected lda (N, K), alpha (K,), beta (K,), state '
                         '(N, K), lags and marks (N, T), valid_length and max_time (N,); got '
                         + ', '.join(shape_str(a.shape) for a in (lda, alpha, beta, state, lags,
                                                                   marks, valid_length,
                                                                   max_time)))


def _check_marks(xp, marks, valid_length, k):
    """Every mark of an observed event (the first ``valid_length`` of its row) must
    name one of the ``k`` processes: MXNet 1.x reads memory outside its arrays for
    any other mark. Marks after ``valid_length`` are padding and may be anything."""
    observed = xp.arange(marks.shape[1])[None, :] < valid_length[:, None]
    bad = observed & ((marks < 0) | (marks >= k) | (marks != xp.floor(marks)))
    if bool(bad.any()):
        row, col = (int(i[0]) for i in xp.nonzero(bad))
        raise MXNetError(f'operator hawkesll: marks[{row}, {col}] is {marks[row, col]}, but '
                         f'a mark must be a whole number from 0 to {k - 1} (the processes '
                         f'of lda, which has K={k} columns)')


def _hawkesll(xp, lda, alpha, beta, state, lags, marks, valid_length, max_time):
    """The log-likelihood of K independent univariate Hawkes processes per sample,
    with conditional intensities
    ``lda_k + alpha_k sum_{t_i < t, y_i = k} beta_k exp(-beta_k (t - t_i))``.
    ``lags`` (N, T) are the times between events and ``marks`` (N, T) the process
    of each event; only the first ``valid_length[i]`` entries of row i count, and
    the observation ends at ``max_time[i]``. ``state`` (N, K) is the memory
    ``sum exp(-beta_k (t - t_i))`` of earlier events at time 0. Returns the
    log-likelihood (N,) and the memory at ``max_time`` (N, K).

    >>> import d2lmini as mx
    >>> ll, state = mx.nd.contrib.hawkesll(
    ...     mx.nd.array([[1.0]]), mx.nd.array([0.5]), mx.nd.array([1.0]), mx.nd.zeros((1, 1)),
    ...     mx.nd.array([[1.0]]), mx.nd.zeros((1, 1), dtype='int32'), mx.nd.array([1]),
    ...     mx.nd.array([2.0]))
    >>> print(f'{float(ll.asscalar()):.4f} {float(state.asscalar()):.4f}')
    -2.3161 0.3679
    """
    _check_hawkes(lda, alpha, beta, state, lags, marks, valid_length, max_time)
    _check_marks(xp, marks, valid_length, lda.shape[1])
    ll, s = _hawkes_pass(xp, lda, alpha, beta, state, lags, marks, valid_length, max_time)
    return ll.astype(lda.dtype), s.astype(lda.dtype)


def _hawkesll_backward(F, dy, x, y):
    d_ll, d_state = dy
    grads = F._contrib_backward_hawkesll(d_ll, d_state, *x)
    return list(grads) + [None] * 4


register('_contrib_hawkesll', _hawkesll, backward=_hawkesll_backward,
         inputs=('lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time'),
         num_outputs=2, output_names=('output', 'out_state'), once_differentiable=True,
         infer_shape=lambda shapes: [(shapes[0][0],), tuple(shapes[0])],
         # marks are int32 in MXNet 1.x's graphs (a bound executor allocates them so)
         param_dtypes=lambda attrs, data: {'marks': np.int32})


def _hawkesll_grad(xp, ll_grad, state_grad, lda, alpha, beta, state, lags, marks, valid_length,
                   max_time):
    """The gradients of hawkesll with respect to lda, alpha, beta and state, given
    the gradients of its two outputs (none flow to the observations)."""
    (g_lda, g_alpha, g_beta, g_state), (ds_dbeta, ds_dstate) = _hawkes_pass(
        xp, lda, alpha, beta, state, lags, marks, valid_length, max_time, derivatives=True)
    w = ll_grad[:, None]
    return ((g_lda * w).astype(lda.dtype), (g_alpha * w).sum(axis=0).astype(alpha.dtype),
            (g_beta * w + ds_dbeta * state_grad).sum(axis=0).astype(beta.dtype),
            (g_state * w + ds_dstate * state_grad).astype(state.dtype))


register('_contrib_backward_hawkesll', _hawkesll_grad, num_outputs=4, once_differentiable=True,
         inputs=('ll_grad', 'state_grad', 'lda', 'alpha', 'beta', 'state', 'lags', 'marks',
                 'valid_length', 'max_time'))
