"""Element-wise operators: unary math, binary operators with broadcasting, and the
``_X_scalar`` forms MXNet uses for ``array (op) number``.

Each backward is written with ``F`` (the ``nd`` namespace), so it can itself be
recorded and differentiated.
"""
import math

import numpy as np

from .. import parallel
from ..base import MXNetError, shape_str
from .registry import OPS, register, zero_gradient
from . import partial_shapes


def _keep_dtype(res, like):
    """numpy promotes ``int32 / 2`` to float64; MXNet keeps the input's dtype."""
    return res if res.dtype == like.dtype else res.astype(like.dtype)


# ------------------------------------------------------------------ integers as MXNet has them
# MXNet computes math on integer arrays in floating point and converts back with C's
# cast, which on x86 turns NaN and values out of range into the most negative
# integer (of 32 bits, then cut to 8 for int8/uint8; of 64 bits for int64). Numbers
# given with an operator (``x + 2.7``) reach it as doubles and are converted the same
# way before use: ``uint8 * -1`` multiplies by 255, ``int32 * 0.5`` by 0.
def _wide(dtype):
    return np.int64 if dtype.itemsize == 8 else np.int32


# membership in a set of dtypes is the cheapest test of "a float" (dtype.kind costs
# several times as much, on paths that run for every operator call)
_FLOATS = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))


def c_cast(xp, values, dtype):
    """Floating-point ``values`` converted to ``dtype`` as MXNet converts them:
    truncated toward zero, wrapped into narrow types, NaN and out-of-range values
    becoming the most negative integer. Non-integer dtypes are a plain ``astype``."""
    if dtype.kind not in 'iu':
        return values.astype(dtype, copy=False)
    values = values.astype(np.float64, copy=False)  # float16 cannot hold the limits
    info = np.iinfo(_wide(dtype))
    # NaN fails both comparisons, so it lands on info.min too
    fits = (values >= info.min) & (values < -float(info.min))
    wide = xp.where(fits, xp.trunc(xp.where(fits, values, 0)), info.min).astype(_wide(dtype))
    return wide.astype(dtype)


def int_scalar(value, dtype):
    """The number ``value`` as MXNet hands it to an operator on a ``dtype`` array
    (see :func:`c_cast`): a numpy scalar of that dtype, so numpy neither promotes
    the result nor refuses a value outside the dtype's range.

    >>> int(int_scalar(-1, np.dtype('uint8'))), int(int_scalar(2.7, np.dtype('int32')))
    (255, 2)
    """
    info = np.iinfo(_wide(dtype))
    v = float(value)
    i = int(v) if info.min <= v < -float(info.min) else info.min  # int(): toward zero
    return np.array(i, _wide(dtype)).astype(dtype)[()]


def _int_math(fn):
    """``fn(xp, data)`` with MXNet's result dtype: an integer input is computed in
    float64 and converted back with :func:`c_cast` (numpy would give a float)."""
    def forward(xp, data):
        if data.dtype in _FLOATS or data.dtype.kind not in 'iu':
            return fn(xp, data)
        with np.errstate(all='ignore'):  # log(0) and the like: C's cast decides below
            out = fn(xp, data.astype(np.float64))
        return c_cast(xp, out, data.dtype)
    forward.__doc__ = fn.__doc__
    return forward


def _int_divide(xp, lhs, rhs):
    """Integer division as C does it (truncated toward zero, exact for int64), and
    an error for a zero divisor: MXNet kills the process with SIGFPE there (or, for
    ``number / array``, returns the most negative integer)."""
    if bool((rhs == 0).any()):
        raise MXNetError('integer division by zero: a divisor of this integer division is 0 '
                         '(MXNet crashes here); convert to a float dtype with astype() to get '
                         'inf, or keep zeros out of the divisor')
    q = xp.floor_divide(lhs, rhs)
    # floor and truncation differ where the signs differ and the division is inexact
    q += ((xp.remainder(lhs, rhs) != 0) & ((lhs < 0) != (rhs < 0))).astype(q.dtype)
    return q.astype(xp.result_type(lhs, rhs), copy=False)


def _divide(xp, lhs, rhs):
    if lhs.dtype.kind in 'iu':
        return _int_divide(xp, lhs, rhs)
    return _keep_dtype(lhs / rhs, lhs)


def _mod(xp, lhs, rhs):
    """MXNet's modulo: the sign of the divisor, as Python's ``%``, and 0 for a zero
    divisor (numpy gives NaN for floats), for every dtype."""
    if isinstance(rhs, (int, float, np.generic)):  # a number: the divisor of x % 2
        return xp.zeros_like(lhs) if rhs == 0 else xp.mod(lhs, rhs)
    with np.errstate(divide='ignore', invalid='ignore'):
        out = xp.mod(lhs, rhs)
    return xp.where(rhs == 0, xp.zeros((), out.dtype), out)


def _mod_grads(F, dy, lhs, rhs):
    """The gradients of ``lhs % rhs``: ``dy`` and ``-dy * floor(lhs / rhs)``. For
    integer dtypes both are 0, as MXNet 1.x makes them (the remainder of integers
    does not vary smoothly), so no integer division (by zero) happens here.
    ``lhs`` may be a number (``7 % x``)."""
    if np.dtype(dy.dtype).kind in 'iu':
        return F.zeros_like(dy), F.zeros_like(dy)
    return dy, -dy * F.floor(lhs / rhs)


def _power(xp, lhs, rhs):
    """Integers are raised in float64 and converted back (MXNet: ``2 ** -1`` is 0 in
    int32, where numpy refuses a negative integer power)."""
    dt = lhs.dtype   # the array's: the number of ``x ** 2`` is already in that dtype
    if dt.kind in 'iu':
        with np.errstate(all='ignore'):  # 0 ** -1 and overflows: C's cast decides below
            out = xp.power(xp.asarray(lhs, np.float64), xp.asarray(rhs, np.float64))
        return c_cast(xp, out, dt)
    return xp.power(lhs, rhs)


def _hypot(xp, lhs, rhs):
    """hypot in the inputs' dtype; integers through float64 and C's cast."""
    dt = lhs.dtype
    if dt.kind in 'iu':
        return c_cast(xp, xp.hypot(xp.asarray(lhs, np.float64), xp.asarray(rhs, np.float64)), dt)
    return xp.hypot(lhs, rhs)


# ------------------------------------------------------------------ unary math
# numpy keeps an integer input's dtype for these; every other unary operator gives a
# float, which MXNet converts back to the input's integer dtype
_INT_PRESERVING = frozenset(('negative', 'abs', 'sign', 'square', 'relu'))


# Descriptions for ``help(nd.X)`` of the operators whose forward is a lambda.
_DOCS = {
    'negative': 'The negation ``-data``, element-wise.',
    'exp': '``e ** data``, element-wise.',
    'expm1': '``exp(data) - 1``, element-wise, accurate for small ``data``.',
    'log': 'The natural logarithm of ``data``, element-wise.',
    'log2': 'The base-2 logarithm of ``data``, element-wise.',
    'log10': 'The base-10 logarithm of ``data``, element-wise.',
    'log1p': '``log(1 + data)``, element-wise, accurate for small ``data``.',
    'sqrt': 'The square root of ``data``, element-wise.',
    'rsqrt': '``1 / sqrt(data)``, element-wise.',
    'cbrt': 'The cube root of ``data``, element-wise.',
    'square': '``data ** 2``, element-wise.',
    'reciprocal': '``1 / data``, element-wise.',
    'abs': 'The absolute value of ``data``, element-wise.',
    'sign': 'The sign of ``data`` (-1, 0 or 1), element-wise; its gradient is zero.',
    'sin': 'The sine of ``data`` (radians), element-wise.',
    'cos': 'The cosine of ``data`` (radians), element-wise.',
    'tan': 'The tangent of ``data`` (radians), element-wise.',
    'arcsin': 'The inverse sine of ``data``, element-wise, in ``[-pi/2, pi/2]``.',
    'arccos': 'The inverse cosine of ``data``, element-wise, in ``[0, pi]``.',
    'arctan': 'The inverse tangent of ``data``, element-wise, in ``(-pi/2, pi/2)``.',
    'sinh': 'The hyperbolic sine of ``data``, element-wise.',
    'cosh': 'The hyperbolic cosine of ``data``, element-wise.',
    'tanh': 'The hyperbolic tangent of ``data``, element-wise.',
    'arcsinh': 'The inverse hyperbolic sine of ``data``, element-wise.',
    'arccosh': 'The inverse hyperbolic cosine of ``data``, element-wise.',
    'arctanh': 'The inverse hyperbolic tangent of ``data``, element-wise.',
    'degrees': '``data`` converted from radians to degrees.',
    'radians': '``data`` converted from degrees to radians.',
    'sigmoid': 'The logistic function ``1 / (1 + exp(-data))``, element-wise.',
    'relu': 'The rectified linear unit ``max(data, 0)``, element-wise.',
    'softsign': '``data / (1 + abs(data))``, element-wise.',
    'floor': 'The largest integer not above ``data``, element-wise.',
    'ceil': 'The smallest integer not below ``data``, element-wise.',
    'trunc': '``data`` with its fractional part dropped (rounded toward zero).',
    'fix': '``data`` rounded toward zero, element-wise.',
    'broadcast_add': '``lhs + rhs``, element-wise, with broadcasting.',
    'broadcast_sub': '``lhs - rhs``, element-wise, with broadcasting.',
    'broadcast_mul': '``lhs * rhs``, element-wise, with broadcasting.',
    'broadcast_div': '``lhs / rhs``, element-wise, with broadcasting.',
    'broadcast_mod': '``lhs % rhs`` (with the sign of the divisor), element-wise, with broadcasting.',
    'broadcast_power': '``lhs ** rhs``, element-wise, with broadcasting.',
    'broadcast_maximum': 'The larger of ``lhs`` and ``rhs``, element-wise, with broadcasting.',
    'broadcast_minimum': 'The smaller of ``lhs`` and ``rhs``, element-wise, with broadcasting.',
    'broadcast_hypot': '``sqrt(lhs ** 2 + rhs ** 2)``, element-wise, with broadcasting.',
    'broadcast_equal': '``lhs == rhs`` as 1 or 0 in the dtype of the inputs, with broadcasting.',
    'broadcast_not_equal': '``lhs != rhs`` as 1 or 0 in the dtype of the inputs, with broadcasting.',
    'broadcast_greater': '``lhs > rhs`` as 1 or 0 in the dtype of the inputs, with broadcasting.',
    'broadcast_greater_equal': '``lhs >= rhs`` as 1 or 0 in the dtype of the inputs, with broadcasting.',
    'broadcast_lesser': '``lhs < rhs`` as 1 or 0 in the dtype of the inputs, with broadcasting.',
    'broadcast_lesser_equal': '``lhs <= rhs`` as 1 or 0 in the dtype of the inputs, with broadcasting.',
    'broadcast_logical_and': '``lhs and rhs`` (non-zero is true) as 1 or 0, with broadcasting.',
    'broadcast_logical_or': '``lhs or rhs`` (non-zero is true) as 1 or 0, with broadcasting.',
    'broadcast_logical_xor': '``lhs xor rhs`` (non-zero is true) as 1 or 0, with broadcasting.',
    'elemwise_add': '``lhs + rhs`` for arrays of the same shape (no broadcasting).',
    'elemwise_sub': '``lhs - rhs`` for arrays of the same shape (no broadcasting).',
    'elemwise_mul': '``lhs * rhs`` for arrays of the same shape (no broadcasting).',
    'elemwise_div': '``lhs / rhs`` for arrays of the same shape (no broadcasting).',
}


def _unary(name, forward, backward=None, aliases=()):
    if name not in _INT_PRESERVING:
        forward = _int_math(forward)
    register(name, forward, backward=backward, aliases=aliases,
             doc=None if forward.__doc__ else _DOCS.get(name),
             partial_shape=partial_shapes.same_shape)


def _sigmoid(xp, data):
    # 1 / (1 + exp(-x)), in place in one buffer. numpy's exp is about twice as fast
    # as its tanh (the other classic form, 0.5 + 0.5 tanh(x/2)), and more accurate
    # for very negative x, where sigmoid(x) is tiny. For x < -88 (float32) exp(-x)
    # overflows to inf and 1 / (1 + inf) = 0 is the right limit: only numpy's
    # warning about it is silenced.
    out = xp.negative(data)         # in the data's memory order
    # one flat view of it, whatever that order (a compiled graph may pass a transposed
    # view). reshape(-1) of an array that is not C-contiguous would be a copy, and the
    # steps below would write into the copy, not into out
    flat = out.ravel(order='K')
    if not xp.may_share_memory(flat, out):
        flat = out                  # not contiguous in any order: work on it whole

    def finish(a, b):
        part = flat[a:b] if flat.ndim == 1 else flat
        with np.errstate(over='ignore'):   # here: each thread has its own setting
            xp.exp(part, out=part)
        part += 1.0
        xp.reciprocal(part, out=part)

    if xp is np and flat.ndim == 1:  # numpy's exp runs on one thread: split over several
        parallel.split(finish, flat.size, out.nbytes)
    else:
        finish(0, None)
    return out


_RELU_CHUNK = 1 << 17
_ZEROS = {}     # dtype -> _RELU_CHUNK zeros, never written


def _relu(xp, data):
    # max(x, 0). numpy's maximum runs its vectorised loop only when both operands
    # are arrays: against the number 0 it is 2 to 2.5 times slower. So a large array
    # is compared, a chunk at a time, with a small array of zeros that stays in the
    # cache. The results are the same bits (NaN stays NaN, -0 gives 0).
    if (xp is not np or data.size < 1024 or data.dtype not in _FLOATS
            or not data.flags.c_contiguous):
        return xp.maximum(data, 0, dtype=data.dtype)
    zeros = _ZEROS.get(data.dtype)
    if zeros is None:
        zeros = _ZEROS[data.dtype] = np.zeros(_RELU_CHUNK, data.dtype)
    out = np.empty_like(data)
    x, y = data.reshape(-1), out.reshape(-1)       # views: both are contiguous

    def run(a, b):
        for start in range(a, b, _RELU_CHUNK):
            stop = min(b, start + _RELU_CHUNK)
            np.maximum(x[start:stop], zeros[:stop - start], out=y[start:stop])

    parallel.split(run, x.size, out.nbytes)        # and over threads, when several
    return out


def _relu_slope(F, x):
    """relu's derivative as ``nd.relu``'s backward has it in MXNet: 1 above zero, 0
    at or below it, and NaN at NaN (a NaN input must not pass as a zero gradient)."""
    return F.where(x == x, x > 0, x)


_zero_grad = zero_gradient   # floor, round, sign, ...: see the registry


_LN2, _LN10 = math.log(2.0), math.log(10.0)

_unary('negative', lambda xp, data: xp.negative(data),
       lambda F, dy, x, y: [-dy])
_unary('exp', lambda xp, data: xp.exp(data),
       lambda F, dy, x, y: [dy * y])
_unary('expm1', lambda xp, data: xp.expm1(data),
       lambda F, dy, x, y: [dy * (y + 1)])
_unary('log', lambda xp, data: xp.log(data),
       lambda F, dy, x, y: [dy / x[0]])
_unary('log2', lambda xp, data: xp.log2(data),
       lambda F, dy, x, y: [dy / (x[0] * _LN2)])
_unary('log10', lambda xp, data: xp.log10(data),
       lambda F, dy, x, y: [dy / (x[0] * _LN10)])
_unary('log1p', lambda xp, data: xp.log1p(data),
       lambda F, dy, x, y: [dy / (x[0] + 1)])
_unary('sqrt', lambda xp, data: xp.sqrt(data),
       lambda F, dy, x, y: [dy / (2 * y)])
_unary('rsqrt', lambda xp, data: _keep_dtype(1 / xp.sqrt(data), data),
       lambda F, dy, x, y: [dy * (-0.5) * y * y * y])
_unary('cbrt', lambda xp, data: xp.cbrt(data),
       lambda F, dy, x, y: [dy / (3 * y * y)])
_unary('square', lambda xp, data: xp.square(data),
       lambda F, dy, x, y: [dy * 2 * x[0]])
_unary('reciprocal', lambda xp, data: _keep_dtype(xp.reciprocal(data), data),
       lambda F, dy, x, y: [-dy * y * y])
_unary('abs', lambda xp, data: xp.abs(data),
       lambda F, dy, x, y: [dy * F.sign(x[0])])
_unary('sign', lambda xp, data: xp.sign(data), _zero_grad)
_unary('sin', lambda xp, data: xp.sin(data),
       lambda F, dy, x, y: [dy * F.cos(x[0])])
_unary('cos', lambda xp, data: xp.cos(data),
       lambda F, dy, x, y: [-dy * F.sin(x[0])])
_unary('tan', lambda xp, data: xp.tan(data),
       lambda F, dy, x, y: [dy * (1 + y * y)])
_unary('arcsin', lambda xp, data: xp.arcsin(data),
       lambda F, dy, x, y: [dy / F.sqrt(1 - x[0] * x[0])])
_unary('arccos', lambda xp, data: xp.arccos(data),
       lambda F, dy, x, y: [-dy / F.sqrt(1 - x[0] * x[0])])
_unary('arctan', lambda xp, data: xp.arctan(data),
       lambda F, dy, x, y: [dy / (1 + x[0] * x[0])])
_unary('sinh', lambda xp, data: xp.sinh(data),
       lambda F, dy, x, y: [dy * F.cosh(x[0])])
_unary('cosh', lambda xp, data: xp.cosh(data),
       lambda F, dy, x, y: [dy * F.sinh(x[0])])
_unary('tanh', lambda xp, data: xp.tanh(data),
       lambda F, dy, x, y: [dy * (1 - y * y)])
# These backwards are differentiated as written, so their second derivatives are the
# true ones: -x / (x^2 + 1)^1.5 for arcsinh, -x / (x^2 - 1)^1.5 for arccosh. MXNet
# 1.x's second derivatives of these two have the opposite sign (a bug in
# _backward_arcsinh's and _backward_arccosh's own gradients), which d2lmini does not copy.
_unary('arcsinh', lambda xp, data: xp.arcsinh(data),
       lambda F, dy, x, y: [dy / F.sqrt(x[0] * x[0] + 1)])
_unary('arccosh', lambda xp, data: xp.arccosh(data),
       lambda F, dy, x, y: [dy / F.sqrt(x[0] * x[0] - 1)])
_unary('arctanh', lambda xp, data: xp.arctanh(data),
       lambda F, dy, x, y: [dy / (1 - x[0] * x[0])])
_unary('degrees', lambda xp, data: xp.degrees(data),
       lambda F, dy, x, y: [dy * (180 / math.pi)])
_unary('radians', lambda xp, data: xp.radians(data),
       lambda F, dy, x, y: [dy * (math.pi / 180)])
_unary('sigmoid', _sigmoid,
       lambda F, dy, x, y: [dy * y * (1 - y)])
_unary('relu', _relu, lambda F, dy, x, y: [dy * _relu_slope(F, x[0])])
_unary('softsign', lambda xp, data: data / (1 + xp.abs(data)),
       lambda F, dy, x, y: [dy / F.square(1 + F.abs(x[0]))])


def _round_half_away(xp, data):
    """MXNet's ``round``: halves go away from zero (numpy's go to the even number)."""
    t = xp.trunc(data)
    return xp.where(xp.abs(data - t) == 0.5, t + xp.sign(data), xp.rint(data))


_unary('round', _round_half_away, _zero_grad)
def _rint(xp, data):
    """Round to the nearest integer, halves downwards, as MXNet's ``rint`` does
    (``rint([-1.5, 0.5, 1.5, 2.6])`` is ``[-2, 0, 1, 3]``; numpy's rint, which
    rounds halves to even, would give ``[-2, 0, 2, 3]``)."""
    low = xp.floor(data)
    return xp.where(data - low <= 0.5, low, xp.ceil(data)).astype(data.dtype, copy=False)


_unary('rint', _rint, _zero_grad)
_unary('floor', lambda xp, data: xp.floor(data), _zero_grad)
_unary('ceil', lambda xp, data: xp.ceil(data), _zero_grad)
_unary('trunc', lambda xp, data: xp.trunc(data), _zero_grad)
_unary('fix', lambda xp, data: xp.fix(data), _zero_grad)


# ------------------------------------------------------------------ reduce to a shape
def _sum_to_forward(xp, data, shape=()):
    """Sum ``data`` over the axes that broadcasting added to reach ``shape``."""
    shape = tuple(shape)
    if data.shape == shape:
        return data
    lead = data.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and data.shape[lead + i] != 1)
    return data.sum(axis=axes, keepdims=True).reshape(shape)


def _sum_to_backward(F, dy, x, y, shape):
    # dy has the reduced shape; give it the input's rank before broadcasting back
    lead = (1,) * (x[0].ndim - dy.ndim)
    return [F.broadcast_to(F.reshape(dy, lead + dy.shape), x[0].shape)]


register('_sum_to', _sum_to_forward, backward=_sum_to_backward)


def sum_to(F, g, shape):
    """Gradient ``g`` of a broadcast result, summed back to the input's ``shape``."""
    return g if g.shape == shape else F._sum_to(g, shape=shape)


# ------------------------------------------------------------------ binary, broadcasting
def _binary(name, forward, backward=None, aliases=(), partial_shape=None):
    def same_dtype(xp, lhs, rhs):
        # numpy would promote int32 + float32 to float64; MXNet refuses mixed dtypes
        if lhs.dtype != rhs.dtype:
            raise MXNetError(f'operator {name}: inputs have different dtypes {lhs.dtype} and '
                             f'{rhs.dtype} (shapes {shape_str(lhs.shape)} and '
                             f'{shape_str(rhs.shape)}); convert one with astype()')
        return forward(xp, lhs, rhs)
    same_dtype.__doc__ = forward.__doc__
    same_dtype.__wrapped__ = forward
    register(name, same_dtype, backward=backward, inputs=('lhs', 'rhs'), aliases=aliases,
             doc=None if forward.__doc__ else _DOCS.get(name), partial_shape=partial_shape,
             same_dtype=True)


def _cmp(ufunc):
    """Comparison as MXNet does it: 0/1 in the inputs' dtype, not booleans."""
    def forward(xp, lhs, rhs):
        return getattr(xp, ufunc)(lhs, rhs).astype(lhs.dtype)
    return forward


def _no_grad2(F, dy, x, y):
    return [F.zeros_like(x[0]), F.zeros_like(x[1])]


_binary('broadcast_add', lambda xp, lhs, rhs: lhs + rhs,
        lambda F, dy, x, y: [sum_to(F, dy, x[0].shape), sum_to(F, dy, x[1].shape)],
        aliases=('broadcast_plus',))
_binary('broadcast_sub', lambda xp, lhs, rhs: lhs - rhs,
        lambda F, dy, x, y: [sum_to(F, dy, x[0].shape), sum_to(F, -dy, x[1].shape)],
        aliases=('broadcast_minus',))
_binary('broadcast_mul', lambda xp, lhs, rhs: lhs * rhs,
        lambda F, dy, x, y: [sum_to(F, dy * x[1], x[0].shape),
                             sum_to(F, dy * x[0], x[1].shape)])
_binary('broadcast_div', _divide,
        lambda F, dy, x, y: [sum_to(F, dy / x[1], x[0].shape),
                             sum_to(F, -dy * y / x[1], x[1].shape)])
_binary('broadcast_mod', _mod,
        lambda F, dy, x, y: [sum_to(F, g, x_i.shape)
                             for g, x_i in zip(_mod_grads(F, dy, x[0], x[1]), x)])
_binary('broadcast_power', _power,
        lambda F, dy, x, y: [sum_to(F, dy * x[1] * x[0] ** (x[1] - 1), x[0].shape),
                             sum_to(F, dy * y * F.log(x[0]), x[1].shape)])
_binary('broadcast_maximum', lambda xp, lhs, rhs: xp.maximum(lhs, rhs),
        lambda F, dy, x, y: [sum_to(F, dy * (x[0] >= x[1]), x[0].shape),
                             sum_to(F, dy * (x[0] < x[1]), x[1].shape)])
_binary('broadcast_minimum', lambda xp, lhs, rhs: xp.minimum(lhs, rhs),
        lambda F, dy, x, y: [sum_to(F, dy * (x[0] <= x[1]), x[0].shape),
                             sum_to(F, dy * (x[0] > x[1]), x[1].shape)])
_binary('broadcast_hypot', _hypot,
        lambda F, dy, x, y: [sum_to(F, dy * x[0] / y, x[0].shape),
                             sum_to(F, dy * x[1] / y, x[1].shape)])
for _name, _ufunc in (('equal', 'equal'), ('not_equal', 'not_equal'),
                      ('greater', 'greater'), ('greater_equal', 'greater_equal'),
                      ('lesser', 'less'), ('lesser_equal', 'less_equal'),
                      ('logical_and', 'logical_and'), ('logical_or', 'logical_or'),
                      ('logical_xor', 'logical_xor')):
    _binary('broadcast_' + _name, _cmp(_ufunc), _no_grad2)


# ------------------------------------------------------------------ same-shape only
def _same_shape(name, ufunc):
    def forward(xp, lhs, rhs):
        if lhs.shape != rhs.shape:
            raise MXNetError(f'operator {name}: shapes {shape_str(lhs.shape)} and '
                             f'{shape_str(rhs.shape)} differ; elemwise operators do not '
                             'broadcast (use broadcast_* or the +, -, *, / operators)')
        if ufunc == 'true_divide':
            return _divide(xp, lhs, rhs)
        return _keep_dtype(getattr(xp, ufunc)(lhs, rhs), lhs)
    return forward


_binary('elemwise_add', _same_shape('elemwise_add', 'add'),
        lambda F, dy, x, y: [dy, dy], aliases=('_plus', '_add'),
        partial_shape=partial_shapes.same_shape)
_binary('elemwise_sub', _same_shape('elemwise_sub', 'subtract'),
        lambda F, dy, x, y: [dy, -dy], aliases=('_minus', '_sub'),
        partial_shape=partial_shapes.same_shape)
_binary('elemwise_mul', _same_shape('elemwise_mul', 'multiply'),
        lambda F, dy, x, y: [dy * x[1], dy * x[0]], aliases=('_mul',),
        partial_shape=partial_shapes.same_shape)
_binary('elemwise_div', _same_shape('elemwise_div', 'true_divide'),
        lambda F, dy, x, y: [dy / x[1], -dy * y / x[1]], aliases=('_div',),
        partial_shape=partial_shapes.same_shape)
# MXNet's same-shape forms of maximum, minimum and hypot (nd.maximum(a, b) of two
# arrays of one shape uses them); their gradients are the broadcasting forms' own
for _name, _ufunc in (('_maximum', 'maximum'), ('_minimum', 'minimum'), ('_hypot', 'hypot')):
    _binary(_name, _same_shape(_name, _ufunc), OPS['broadcast' + _name].backward,
            aliases=('_' + _name[1:].capitalize(),), partial_shape=partial_shapes.same_shape)


def _add_n(xp, *args, num_args=None):
    """The sum of any number of same-shaped arrays."""
    if num_args is not None and num_args != len(args):
        raise MXNetError(f'add_n: num_args={num_args} but {len(args)} arrays were given')
    out = args[0].copy()
    for a in args[1:]:
        if a.shape != out.shape:
            raise MXNetError(f'add_n: shapes {shape_str(out.shape)} and {shape_str(a.shape)} '
                             'differ')
        if a.dtype != out.dtype:    # += would cast silently
            raise MXNetError(f'add_n: all inputs need one dtype, got {out.dtype} and {a.dtype}; '
                             'convert one with astype()')
        out += a
    return out


register('add_n', _add_n, backward=lambda F, dy, x, y, num_args: [dy] * len(x),
         aliases=('ElementWiseSum',), partial_shape=partial_shapes.same_shape, same_dtype=True)


# ------------------------------------------------------------------ array (op) scalar
def _scalar_op(name, forward, backward):
    register(name, forward, backward=backward, partial_shape=partial_shapes.same_shape)


def _s(fn):
    """``fn(xp, data, scalar)`` with the result in the data's dtype. As in MXNet, the
    scalar is first converted to that dtype: ``int32 array * 0.5`` multiplies by 0."""
    def forward(xp, data, scalar=0.0):
        if data.dtype not in _FLOATS:
            kind = data.dtype.kind
            if kind in 'iu':
                scalar = int_scalar(scalar, data.dtype)
            elif kind == 'b' and isinstance(scalar, float):
                scalar = int(scalar)
        return _keep_dtype(fn(xp, data, scalar), data)
    return forward


def _as_lhs(xp, scalar, data):
    """The number of ``number (op) array`` as a 0-d array of the array's dtype, the
    type MXNet converts it to."""
    return xp.asarray(scalar, data.dtype)


def _scalar_cmp(ufunc):
    """A comparison with a number, 0/1 in the data's dtype (the number converted first)."""
    return _s(lambda xp, d, s: getattr(xp, ufunc)(d, s))


_scalar_op('_plus_scalar', _s(lambda xp, d, s: d + s),
           lambda F, dy, x, y, scalar: [dy])
_scalar_op('_minus_scalar', _s(lambda xp, d, s: d - s),
           lambda F, dy, x, y, scalar: [dy])
_scalar_op('_rminus_scalar', _s(lambda xp, d, s: s - d),
           lambda F, dy, x, y, scalar: [-dy])
_scalar_op('_mul_scalar', _s(lambda xp, d, s: d * s),
           lambda F, dy, x, y, scalar: [dy * scalar])
_scalar_op('_div_scalar', _s(_divide),
           lambda F, dy, x, y, scalar: [dy / scalar])
_scalar_op('_rdiv_scalar', _s(lambda xp, d, s: _divide(xp, _as_lhs(xp, s, d), d)),
           lambda F, dy, x, y, scalar: [-dy * y / x[0]])
_scalar_op('_mod_scalar', _s(_mod),
           lambda F, dy, x, y, scalar: [_mod_grads(F, dy, x[0], scalar)[0]])
_scalar_op('_rmod_scalar', _s(lambda xp, d, s: _mod(xp, s, d)),
           lambda F, dy, x, y, scalar: [_mod_grads(F, dy, scalar, x[0])[1]])
_scalar_op('_power_scalar', _s(_power),
           lambda F, dy, x, y, scalar: [dy * scalar * x[0] ** (scalar - 1)])
_scalar_op('_rpower_scalar', _s(lambda xp, d, s: _power(xp, _as_lhs(xp, s, d), d)),
           lambda F, dy, x, y, scalar: [dy * y * math.log(scalar)])
_scalar_op('_maximum_scalar', _s(lambda xp, d, s: xp.maximum(d, s)),
           lambda F, dy, x, y, scalar: [dy * (x[0] >= scalar)])
_scalar_op('_minimum_scalar', _s(lambda xp, d, s: xp.minimum(d, s)),
           lambda F, dy, x, y, scalar: [dy * (x[0] <= scalar)])
_scalar_op('_hypot_scalar', _s(_hypot),
           lambda F, dy, x, y, scalar: [dy * x[0] / y])
for _name, _ufunc in (('equal', 'equal'), ('not_equal', 'not_equal'),
                      ('greater', 'greater'), ('greater_equal', 'greater_equal'),
                      ('lesser', 'less'), ('lesser_equal', 'less_equal'),
                      ('logical_and', 'logical_and'), ('logical_or', 'logical_or'),
                      ('logical_xor', 'logical_xor')):
    _scalar_op(f'_{_name}_scalar', _scalar_cmp(_ufunc),
               lambda F, dy, x, y, scalar: [F.zeros_like(x[0])])


# ------------------------------------------------------------------ rcbrt, logical_not, hard_sigmoid
def _rcbrt(xp, data):
    """The reciprocal cube root ``1 / cbrt(data)``, element-wise.

    >>> import d2lmini as mx
    >>> mx.nd.rcbrt(mx.nd.array([-8, 1, 27]))
    <BLANKLINE>
    [-0.5         1.          0.33333334]
    <NDArray 3 @cpu(0)>
    """
    with np.errstate(divide='ignore'):
        return _keep_dtype(1 / xp.cbrt(data), data)


# d/dx x^(-1/3) = -1/3 x^(-4/3) = -y / (3 x)
_unary('rcbrt', _rcbrt, lambda F, dy, x, y: [dy * (-1.0 / 3) * y / x[0]])


def _logical_not(xp, data):
    """``not data`` (non-zero is true; NaN too) as 1 or 0, in the input's dtype.

    >>> import d2lmini as mx
    >>> mx.nd.logical_not(mx.nd.array([-1, 0, 2.5]))
    <BLANKLINE>
    [0. 1. 0.]
    <NDArray 3 @cpu(0)>
    """
    return (data == 0).astype(data.dtype)


register('logical_not', _logical_not, backward=_zero_grad,
         partial_shape=partial_shapes.same_shape)


def _hard_sigmoid(xp, data, alpha=0.2, beta=0.5):
    """``max(0, min(1, alpha * data + beta))``, element-wise; floating point only.

    >>> import d2lmini as mx
    >>> mx.nd.hard_sigmoid(mx.nd.array([-5, 0, 1, 5]))
    <BLANKLINE>
    [0.  0.5 0.7 1. ]
    <NDArray 4 @cpu(0)>
    """
    if data.dtype not in _FLOATS:
        raise MXNetError(f'operator hard_sigmoid: this operation only supports floating '
                         f'point types, not {data.dtype}')
    # MXNet keeps alpha and beta as float32 numbers, also for float64 data
    out = data * data.dtype.type(np.float32(alpha))
    out += data.dtype.type(np.float32(beta))
    return xp.clip(out, 0, 1, out=out)


def _hard_sigmoid_grad(F, dy, x, y, alpha, beta):
    # alpha where 0 < y < 1 (as MXNet: no gradient at the kinks)
    return [dy * ((y > 0) * (y < 1)) * float(np.float32(alpha))]


register('hard_sigmoid', _hard_sigmoid, backward=_hard_sigmoid_grad,
         partial_shape=partial_shapes.same_shape,
         attr_types={'alpha': 'float', 'beta': 'float'})
