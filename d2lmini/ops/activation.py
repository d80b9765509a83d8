"""Activation functions: ``Activation`` (relu, sigmoid, tanh, softrelu, softsign),
``LeakyReLU`` (leaky, prelu, elu, selu, gelu) and ``erf``, the error function that
gelu is built on.

``Activation`` reuses the element-wise operators of ``elemwise.py`` (one definition
of sigmoid, relu ...), so ``Activation(x, act_type='sigmoid')`` and ``sigmoid(x)``
give identical numbers. Backward functions are written with ``F``, except prelu's,
whose two gradients come from one internal operator.
"""
import math

import numpy as np

from ..base import MXNetError, shape_str
from .elemwise import _relu, _sigmoid, sum_to
from .registry import OPS, register
from . import partial_shapes

_SQRT_HALF = math.sqrt(0.5)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# selu's constants (Klambauer et al., 2017), as MXNet uses them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


# ------------------------------------------------------------------ erf
# numpy has no erf, and scipy is not a dependency, so erf is built from array
# arithmetic that numpy and cupy share.
#
# float16/float32: erf(x) = x * P(x^2) / Q(x^2) on [-4, 4]; beyond 4, erf is 1 to
# float32 precision, so x is clamped there. The coefficients are a least-squares fit
# of erf(x)/x with relative error below 5e-9, well under float32's resolution (6e-8).
# The rational function is evaluated in float64 and rounded once at the end: in
# float32 its dozen rounding steps would add up to several units in the last place.
# Horner's rule with in-place updates keeps the temporaries to two arrays.
_ERF_P = (1.12837916944475, 0.18514515191201, 0.054305965701809594,
          0.0038468897854823107, 0.0003794221971489338, 4.6805938360455244e-06,
          -1.3173509143098365e-08)
_ERF_Q = (1.0, 0.4974140344274037, 0.113931552829521, 0.015455887045008953,
          0.0013067802385967396, 6.307317905472342e-05)


def _horner(t, coeffs):
    """``coeffs[0] + coeffs[1] t + coeffs[2] t^2 + ...`` in ``t``'s dtype."""
    acc = t * coeffs[-1]
    for c in coeffs[-2:0:-1]:
        acc += c
        acc *= t
    acc += coeffs[0]
    return acc


def _erf_rational(xp, x):
    z = x.astype(np.float64)
    xp.clip(z, -4.0, 4.0, out=z)
    t = z * z
    out = _horner(t, _ERF_P)
    out *= z
    out /= _horner(t, _ERF_Q)
    return out.astype(x.dtype)


# float64: full double precision from two classic expansions (about 1e-15):
#   |x| <= 2.5: erf(x) = 2/sqrt(pi) x exp(-x^2) sum_n (2x^2)^n / (1*3*...*(2n+1)),
#               a series of positive terms (no cancellation); 36 terms suffice;
#   |x| >  2.5: erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
#               a continued fraction evaluated from 25 levels deep.
# Both are computed for every element and the right one is picked, which keeps the
# code free of data-dependent indexing (cheap on a GPU, and float64 is rare).
_SERIES_TERMS, _CF_LEVELS, _SPLIT = 36, 25, 2.5


def _erf_float64(xp, x):
    a = xp.abs(x)
    s = xp.minimum(a, _SPLIT)
    s2 = s * s
    term = xp.ones_like(s)
    total = xp.ones_like(s)
    for n in range(1, _SERIES_TERMS):
        term *= s2
        term *= 2.0 / (2 * n + 1)
        total += term
    total *= s
    total *= xp.exp(-s2)
    total *= _TWO_OVER_SQRT_PI
    b = xp.maximum(a, _SPLIT)
    frac = b.copy()
    for k in range(_CF_LEVELS, 0, -1):
        xp.divide(k / 2.0, frac, out=frac)
        frac += b
    tail = xp.exp(-(b * b))
    tail /= frac
    tail *= -1.0 / math.sqrt(math.pi)
    tail += 1.0
    return xp.copysign(xp.where(a <= _SPLIT, total, tail), x)


def _erf(xp, data):
    """The error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt``.

    >>> import d2lmini as mx
    >>> mx.nd.erf(mx.nd.array([0, 0.5, -3]))
    <BLANKLINE>
    [ 0.         0.5204999 -0.9999779]
    <NDArray 3 @cpu(0)>
    """
    if data.dtype == np.float64:
        return _erf_float64(xp, data)
    return _erf_rational(xp, data)


register('erf', _erf, partial_shape=partial_shapes.same_shape,
         backward=lambda F, dy, x, y: [dy * F.exp(-F.square(x[0])) * _TWO_OVER_SQRT_PI])


# ------------------------------------------------------------------ Activation
def _softrelu(xp, data):
    # log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): exp never overflows
    out = xp.abs(data)
    xp.negative(out, out=out)
    xp.exp(out, out=out)
    xp.log1p(out, out=out)
    out += _relu(xp, data)
    return out


def _backward_relu(xp, dy, output):
    """relu's gradient from its output: ``dy`` where the output is positive, else 0
    (0 at NaN too, as MXNet's Activation has it; ``nd.relu``'s gradient is NaN there).

    Written with F it would be two operators, ``dy * (x > 0)``, each a pass over the
    data into an array of its own (the 0/1 mask in floats); here the mask is one
    byte per element, and numpy converts it as it multiplies. The numbers are the
    same: ``dy * 1.0`` and ``dy * 0.0``."""
    return xp.multiply(dy, output > 0)


register('_backward_relu', _backward_relu, inputs=('dy', 'output'),
         # linear in dy, piecewise constant in the output
         backward=lambda F, a, x, y: [F._backward_relu(a, x[1]), F.zeros_like(x[1])])


def _backward_sigmoid(xp, dy, output):
    """sigmoid's gradient from its output ``y``: ``dy * y * (1 - y)``, in one buffer
    (three operators, and three new arrays, when written with F)."""
    out = xp.subtract(1.0, output, dtype=output.dtype)
    out *= output
    out *= dy
    return out


register('_backward_sigmoid', _backward_sigmoid, inputs=('dy', 'output'),
         # d/d dy: the same map; d/dy of y (1 - y) is 1 - 2 y
         backward=lambda F, a, x, y: [F._backward_sigmoid(a, x[1]),
                                      a * x[0] * (1.0 - 2.0 * x[1])])


# act_type -> (forward, backward); four of them are the element-wise operators. The
# backward of relu and sigmoid is one fused operator each (see above).
_ACTIVATIONS = {
    'relu': (_relu, lambda F, dy, x, y: [F._backward_relu(dy, y)]),
    'sigmoid': (_sigmoid, lambda F, dy, x, y: [F._backward_sigmoid(dy, y)]),
    'tanh': (OPS['tanh'].forward, OPS['tanh'].backward),
    'softrelu': (_softrelu, lambda F, dy, x, y: [dy * F.sigmoid(x[0])]),
    'softsign': (OPS['softsign'].forward, OPS['softsign'].backward),
}


def _check_choice(op, name, value, choices):
    if value is None:
        raise MXNetError(f'{op}: the argument {name} is required; '
                         f'choose one of {", ".join(map(repr, choices))}')
    if value not in choices:
        raise MXNetError(f'{op}: {name}={value!r} is not supported; '
                         f'choose one of {", ".join(map(repr, choices))}')


def _activation(xp, data, act_type=None):
    """An activation function applied element-wise: ``act_type`` is 'relu',
    'sigmoid', 'tanh', 'softrelu' (``log(1 + exp(x))``) or 'softsign'
    (``x / (1 + |x|)``).

    relu keeps a NaN as NaN, as ``nd.relu`` and MXNet's reference kernels do. (MXNet
    1.9.1's CPU build turns it into 0 for float32 data, through its oneDNN kernel,
    but keeps it for float16 and float64; d2lmini lets the NaN show in every dtype.)

    >>> import d2lmini as mx
    >>> mx.nd.Activation(mx.nd.array([-1, 0, 2]), act_type='relu')
    <BLANKLINE>
    [0. 0. 2.]
    <NDArray 3 @cpu(0)>
    """
    _check_choice('Activation', 'act_type', act_type, _ACTIVATIONS)
    return _ACTIVATIONS[act_type][0](xp, data)


register('Activation', _activation, partial_shape=partial_shapes.same_shape,
         backward=lambda F, dy, x, y, act_type: _ACTIVATIONS[act_type][1](F, dy, x, y),
         required=('act_type',))


# ------------------------------------------------------------------ LeakyReLU
_LEAKY_TYPES = ('leaky', 'prelu', 'elu', 'selu', 'gelu')


def _prelu_gamma(data, gamma):
    """``gamma`` shaped to broadcast along the channel axis (axis 1; axis 0 for
    1-D data). A single value is shared by all channels."""
    if gamma is None:
        raise MXNetError("LeakyReLU: act_type='prelu' needs the gamma input "
                         '(one slope per channel)')
    if gamma.size == 1:
        return gamma.reshape((1,) * data.ndim)
    axis = 1 if data.ndim > 1 else 0
    if gamma.ndim != 1 or gamma.shape[0] != data.shape[axis]:
        raise MXNetError(f'LeakyReLU: prelu gamma of shape {shape_str(gamma.shape)} does not '
                         f'match the {data.shape[axis]} channels of data '
                         f'{shape_str(data.shape)}; give one slope per channel or a single one')
    shape = [1] * data.ndim
    shape[axis] = gamma.shape[0]
    return gamma.reshape(shape)


def _leaky_relu(xp, data, gamma=None, act_type='leaky', slope=0.25, lower_bound=0.125,
                upper_bound=0.334):
    """Leaky rectifiers and their smooth relatives, chosen by ``act_type``:

    * 'leaky': ``x`` for ``x > 0``, else ``slope * x``;
    * 'prelu': like 'leaky' with a learned slope per channel (the ``gamma`` input);
    * 'elu':   ``x`` for ``x > 0``, else ``slope * (exp(x) - 1)``;
    * 'selu':  ``lambda * x`` for ``x > 0``, else ``lambda * alpha * (exp(x) - 1)``
      with the fixed constants that make activations self-normalising;
    * 'gelu':  ``x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))``.

    >>> import d2lmini as mx
    >>> mx.nd.LeakyReLU(mx.nd.array([-2, 3]), act_type='leaky', slope=0.1)
    <BLANKLINE>
    [-0.2  3. ]
    <NDArray 2 @cpu(0)>
    """
    if act_type == 'rrelu':
        raise MXNetError("LeakyReLU: act_type='rrelu' (random slopes) is not supported; "
                         "use 'leaky' or 'prelu'")
    _check_choice('LeakyReLU', 'act_type', act_type, _LEAKY_TYPES)
    if not np.issubdtype(data.dtype, np.floating):
        raise MXNetError(f'LeakyReLU: needs floating-point data, not {data.dtype}')
    if act_type == 'leaky':
        return xp.where(data > 0, data, data * slope)
    if act_type == 'prelu':
        return xp.where(data > 0, data, data * _prelu_gamma(data, gamma).astype(data.dtype))
    if act_type == 'gelu':
        out = _erf(xp, data * _SQRT_HALF)
        out += 1.0
        out *= data
        out *= 0.5
        return out
    neg = xp.expm1(xp.minimum(data, 0))  # min: exp of a large positive x would overflow
    if act_type == 'elu':
        neg *= slope
        return xp.where(data > 0, data, neg)
    neg *= _SELU_ALPHA
    out = xp.where(data > 0, data, neg)
    out *= _SELU_LAMBDA
    return out


def _leaky_relu_backward(F, dy, x, y, act_type, slope, **attrs):
    data = x[0]
    if act_type == 'prelu':
        return F._backward_prelu(dy, data, x[1])
    if act_type == 'gelu':
        cdf = (F.erf(data * _SQRT_HALF) + 1.0) * 0.5
        pdf = F.exp(F.square(data) * -0.5) * _INV_SQRT_2PI
        return [dy * (cdf + data * pdf)]
    pos = data > 0  # 1 where x > 0, else 0
    if act_type == 'leaky':
        return [dy * (pos * (1.0 - slope) + slope)]
    if act_type == 'elu':       # d/dx slope (exp(x) - 1) = y + slope
        return [dy * (pos + (1.0 - pos) * (y + slope))]
    # selu: d/dx lambda alpha (exp(x) - 1) = y + lambda alpha. MXNet 1.x's backward
    # gives lambda (y + alpha) for x <= 0, which is not the derivative (1.279 instead
    # of 1.302 at x = -0.3): d2lmini keeps the true one
    return [dy * (pos * _SELU_LAMBDA + (1.0 - pos) * (y + _SELU_LAMBDA * _SELU_ALPHA))]


def _leaky_relu_param_shapes(data_shape, act_type='leaky', **attrs):
    """prelu's gamma: one slope per channel (axis 1), as MXNet infers it, or a single
    slope shared by every channel (Gluon's ``PReLU``)."""
    if act_type != 'prelu':
        return {}
    if len(data_shape) < 2:
        raise MXNetError(f"LeakyReLU: act_type='prelu' cannot infer gamma's shape for data "
                         f'{shape_str(data_shape)}: it needs a channel axis (axis 1)')
    return {'gamma': [(data_shape[1],), (1,)]}


register('LeakyReLU', _leaky_relu, backward=_leaky_relu_backward, inputs=('data', 'gamma'),
         infer_shape=lambda shapes, **attrs: [shapes[0]],
         param_shapes=_leaky_relu_param_shapes,
         optional_inputs=lambda attrs: ('data', 'gamma') if attrs['act_type'] == 'prelu'
         else ('data',))


def _prelu_backward_op(xp, dy, data, gamma):
    """prelu's gradients ``(d data, d gamma)`` in one pass over the data."""
    g = _prelu_gamma(data, gamma).astype(data.dtype)
    neg = data <= 0
    ddata = xp.where(neg, dy * g, dy)
    contrib = xp.where(neg, dy * data, 0)
    if gamma.size == 1:
        dgamma = contrib.sum(dtype=gamma.dtype).reshape(gamma.shape)
    else:
        axis = 1 if data.ndim > 1 else 0
        others = tuple(i for i in range(data.ndim) if i != axis)
        dgamma = contrib.sum(axis=others, dtype=gamma.dtype)
    return ddata, dgamma


def _prelu_backward_grad(F, dys, x, y, **attrs):
    """The gradient of ``_backward_prelu``, whose outputs are
    ``d data = dy * (gamma where x <= 0 else 1)`` and
    ``d gamma = sum(dy * x where x <= 0)`` (summed to gamma's shape): both linear in
    ``dy``, the first linear in gamma, the second in ``x`` (the kink at 0 aside)."""
    a, b = dys
    dy, data, gamma = x
    neg = data <= 0                                  # 1 where the slope applies, else 0
    if gamma.size == 1:
        g = F.reshape(gamma, (1,) * data.ndim)
    else:
        shape = [1] * data.ndim
        shape[1 if data.ndim > 1 else 0] = gamma.shape[0]
        g = F.reshape(gamma, tuple(shape))
    b = F.reshape(b, g.shape)
    slope = neg * (g - 1.0) + 1.0
    bneg = b * neg
    d_dy = a * slope + bneg * data
    d_data = bneg * dy
    d_gamma = F.reshape(sum_to(F, a * dy * neg, g.shape), gamma.shape)
    return [d_dy, d_data, d_gamma]


register('_backward_prelu', _prelu_backward_op, inputs=('dy', 'data', 'gamma'),
         num_outputs=2, backward=_prelu_backward_grad)
