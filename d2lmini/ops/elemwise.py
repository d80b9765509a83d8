"""Element-wise operators: unary math, binary operators with broadcasting, and the
``_X_scalar`` forms MXNet uses for ``array (op) number``.

Each backward is written with ``F`` (the ``nd`` namespace), so it can itself be
recorded and differentiated.
"""
import math

import numpy as np

from ..base import MXNetError, shape_str
from .registry import register


def _keep_dtype(res, like):
    """numpy promotes ``int32 / 2`` to float64; MXNet keeps the input's dtype."""
    return res if res.dtype == like.dtype else res.astype(like.dtype)


# ------------------------------------------------------------------ unary math
def _unary(name, forward, backward=None, aliases=()):
    register(name, forward, backward=backward, aliases=aliases)


def _sigmoid(xp, data):
    # 0.5 * (1 + tanh(x/2)) equals 1 / (1 + exp(-x)) but never overflows
    out = xp.multiply(data, 0.5)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _relu(xp, data):
    return xp.maximum(data, 0, dtype=data.dtype)


def _zero_grad(F, dy, x, y, **attrs):
    """The gradient of a piecewise-constant function such as ``floor``."""
    return [F.zeros_like(x[0])]


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
_unary('relu', _relu,
       lambda F, dy, x, y: [dy * (x[0] > 0)])
_unary('softsign', lambda xp, data: data / (1 + xp.abs(data)),
       lambda F, dy, x, y: [dy / F.square(1 + F.abs(x[0]))])


def _round_half_away(xp, data):
    """MXNet's ``round``: halves go away from zero (numpy's go to the even number)."""
    t = xp.trunc(data)
    return xp.where(xp.abs(data - t) == 0.5, t + xp.sign(data), xp.rint(data))


_unary('round', _round_half_away, _zero_grad)
_unary('rint', lambda xp, data: xp.rint(data), _zero_grad)
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
def _binary(name, forward, backward=None, aliases=()):
    def same_dtype(xp, lhs, rhs):
        # numpy would promote int32 + float32 to float64; MXNet refuses mixed dtypes
        if lhs.dtype != rhs.dtype:
            raise MXNetError(f'operator {name}: inputs have different dtypes {lhs.dtype} and '
                             f'{rhs.dtype} (shapes {shape_str(lhs.shape)} and '
                             f'{shape_str(rhs.shape)}); convert one with astype()')
        return forward(xp, lhs, rhs)
    same_dtype.__doc__ = forward.__doc__
    same_dtype.__wrapped__ = forward
    register(name, same_dtype, backward=backward, inputs=('lhs', 'rhs'), aliases=aliases)


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
_binary('broadcast_div', lambda xp, lhs, rhs: _keep_dtype(lhs / rhs, lhs),
        lambda F, dy, x, y: [sum_to(F, dy / x[1], x[0].shape),
                             sum_to(F, -dy * y / x[1], x[1].shape)])
_binary('broadcast_mod', lambda xp, lhs, rhs: xp.mod(lhs, rhs),
        lambda F, dy, x, y: [sum_to(F, dy, x[0].shape),
                             sum_to(F, -dy * F.floor(x[0] / x[1]), x[1].shape)])
_binary('broadcast_power', lambda xp, lhs, rhs: xp.power(lhs, rhs),
        lambda F, dy, x, y: [sum_to(F, dy * x[1] * x[0] ** (x[1] - 1), x[0].shape),
                             sum_to(F, dy * y * F.log(x[0]), x[1].shape)])
_binary('broadcast_maximum', lambda xp, lhs, rhs: xp.maximum(lhs, rhs),
        lambda F, dy, x, y: [sum_to(F, dy * (x[0] >= x[1]), x[0].shape),
                             sum_to(F, dy * (x[0] < x[1]), x[1].shape)])
_binary('broadcast_minimum', lambda xp, lhs, rhs: xp.minimum(lhs, rhs),
        lambda F, dy, x, y: [sum_to(F, dy * (x[0] <= x[1]), x[0].shape),
                             sum_to(F, dy * (x[0] > x[1]), x[1].shape)])
_binary('broadcast_hypot', lambda xp, lhs, rhs: xp.hypot(lhs, rhs),
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
        return _keep_dtype(getattr(xp, ufunc)(lhs, rhs), lhs)
    return forward


_binary('elemwise_add', _same_shape('elemwise_add', 'add'),
        lambda F, dy, x, y: [dy, dy], aliases=('_plus', '_add'))
_binary('elemwise_sub', _same_shape('elemwise_sub', 'subtract'),
        lambda F, dy, x, y: [dy, -dy], aliases=('_minus', '_sub'))
_binary('elemwise_mul', _same_shape('elemwise_mul', 'multiply'),
        lambda F, dy, x, y: [dy * x[1], dy * x[0]], aliases=('_mul',))
_binary('elemwise_div', _same_shape('elemwise_div', 'true_divide'),
        lambda F, dy, x, y: [dy / x[1], -dy * y / x[1]], aliases=('_div',))


def _add_n(xp, *args, num_args=None):
    """The sum of any number of same-shaped arrays."""
    if num_args is not None and num_args != len(args):
        raise MXNetError(f'add_n: num_args={num_args} but {len(args)} arrays were given')
    out = args[0].copy()
    for a in args[1:]:
        if a.shape != out.shape:
            raise MXNetError(f'add_n: shapes {shape_str(out.shape)} and {shape_str(a.shape)} '
                             'differ')
        out += a
    return out


register('add_n', _add_n, backward=lambda F, dy, x, y, num_args: [dy] * len(x),
         aliases=('ElementWiseSum',))


# ------------------------------------------------------------------ array (op) scalar
def _scalar_op(name, forward, backward):
    register(name, forward, backward=backward)


def _s(fn):
    """``fn(xp, data, scalar)`` with the result in the data's dtype. As in MXNet, the
    scalar is first converted to that dtype: ``int32 array * 0.5`` multiplies by 0."""
    def forward(xp, data, scalar=0.0):
        if data.dtype.kind in 'iub' and isinstance(scalar, float):
            scalar = int(scalar)
        return _keep_dtype(fn(xp, data, scalar), data)
    return forward


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
_scalar_op('_div_scalar', _s(lambda xp, d, s: d / s),
           lambda F, dy, x, y, scalar: [dy / scalar])
_scalar_op('_rdiv_scalar', _s(lambda xp, d, s: s / d),
           lambda F, dy, x, y, scalar: [-dy * y / x[0]])
_scalar_op('_mod_scalar', _s(lambda xp, d, s: xp.mod(d, s)),
           lambda F, dy, x, y, scalar: [dy])
_scalar_op('_rmod_scalar', _s(lambda xp, d, s: xp.mod(s, d)),
           lambda F, dy, x, y, scalar: [-dy * F.floor(scalar / x[0])])
_scalar_op('_power_scalar', _s(lambda xp, d, s: xp.power(d, s)),
           lambda F, dy, x, y, scalar: [dy * scalar * x[0] ** (scalar - 1)])
_scalar_op('_rpower_scalar', _s(lambda xp, d, s: xp.power(s, d)),
           lambda F, dy, x, y, scalar: [dy * y * math.log(scalar)])
_scalar_op('_maximum_scalar', _s(lambda xp, d, s: xp.maximum(d, s)),
           lambda F, dy, x, y, scalar: [dy * (x[0] >= scalar)])
_scalar_op('_minimum_scalar', _s(lambda xp, d, s: xp.minimum(d, s)),
           lambda F, dy, x, y, scalar: [dy * (x[0] <= scalar)])
_scalar_op('_hypot_scalar', _s(lambda xp, d, s: xp.hypot(d, s)),
           lambda F, dy, x, y, scalar: [dy * x[0] / y])
for _name, _ufunc in (('equal', 'equal'), ('not_equal', 'not_equal'),
                      ('greater', 'greater'), ('greater_equal', 'greater_equal'),
                      ('lesser', 'less'), ('lesser_equal', 'less_equal'),
                      ('logical_and', 'logical_and'), ('logical_or', 'logical_or'),
                      ('logical_xor', 'logical_xor')):
    _scalar_op(f'_{_name}_scalar', _scalar_cmp(_ufunc),
               lambda F, dy, x, y, scalar: [F.zeros_like(x[0])])
