"""Special functions: ``gamma``, ``gammaln``, ``erfinv`` (and ``_polygamma``, the
derivatives of ``gammaln`` that their gradients need).

numpy has none of them, so they are computed here in float64 from classic series:
the Lanczos approximation for the gamma function (g = 7, 9 terms, relative error
about 1e-15), the recurrence and the asymptotic (Stirling) series for the polygamma
functions, and Newton's method on ``erf`` for its inverse. An integer input is
computed in float64 and converted back, as MXNet does.
"""
import math

import numpy as np

from .activation import _erf
from .elemwise import c_cast
from .registry import register

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028,
            771.32342877765313, -176.61502916214059, 12.507343278686905,
            -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_FACTORIALS = np.array([float(math.factorial(k)) for k in range(171)])   # Gamma(1..171)


def _lanczos_log(xp, x):
    """``log Gamma(x)`` for ``x >= 0.5`` (float64)."""
    x = x - 1.0
    s = xp.full_like(x, _LANCZOS[0])
    for k in range(1, 9):
        s += _LANCZOS[k] / (x + k)
    t = x + _LANCZOS_G + 0.5
    return _HALF_LOG_2PI + (x + 0.5) * xp.log(t) - t + xp.log(s)


def _lgamma64(xp, x):
    """``log |Gamma(x)|`` in float64; ``inf`` at 0, the negative integers and both
    infinities."""
    x = x.astype(np.float64)
    with np.errstate(all='ignore'):
        small = x < 0.5
        right = _lanczos_log(xp, xp.where(small, 1.0 - x, x))
        # reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x)
        # |sin(pi x)| from x's distance to the nearest integer, which is exact: near
        # zero, x - floor(x) = 1 + x would round the tiny x away (gamma(-1e-30))
        sin = xp.abs(xp.sin(math.pi * (x - xp.rint(x))))
        left = math.log(math.pi) - xp.log(sin) - right
        out = xp.where(small, left, right)
        pole = (x <= 0) & (x == xp.floor(x))
        # log((n - 1)!) at the positive integers: exactly 0 at 1 and 2
        whole = (x >= 1) & (x <= _FACTORIALS.size) & (x == xp.floor(x))
        if bool(whole.any()):
            table = xp.log(xp.asarray(_FACTORIALS))
            exact = table[xp.clip(x, 1, _FACTORIALS.size).astype(np.int64) - 1]
            out = xp.where(whole, exact, out)
    # at +inf the Lanczos sum is inf - inf; lgamma(+inf) is +inf, as in C and MXNet
    return xp.where(pole | (x == np.inf), np.inf, out)


def _gamma64(xp, x):
    """``Gamma(x)`` in float64: NaN at the negative integers, ``inf`` at 0 (``-inf``
    at -0, as C's tgamma and MXNet have it)."""
    x = x.astype(np.float64)
    with np.errstate(all='ignore'):
        mag = xp.exp(_lgamma64(xp, x))
        # the sign alternates between the poles left of zero
        neg = (x < 0) & (xp.floor(x) % 2 == 1)
        out = xp.where(neg, -mag, mag)
        pole = (x < 0) & (x == xp.floor(x))
        # (n - 1)! exactly at the positive integers (exp(log) is off in the last bits)
        whole = (x >= 1) & (x <= _FACTORIALS.size) & (x == xp.floor(x))
        if bool(whole.any()):
            table = xp.asarray(_FACTORIALS)
            exact = table[xp.clip(x, 1, _FACTORIALS.size).astype(np.int64) - 1]
            out = xp.where(whole, exact, out)
    return xp.where(pole, np.nan, xp.where(x == 0, xp.copysign(np.inf, x), out))



def _as_input_dtype(xp, out, data):
    """The float64 result in the input's dtype: an integer input is converted as C
    converts (MXNet computes integer inputs in floating point and casts back)."""
    if data.dtype.kind in 'iub':
        return c_cast(xp, out, data.dtype)
    with np.errstate(over='ignore'):   # gamma(172) is inf in float32, as in MXNet
        return out.astype(data.dtype, copy=False)


def _gammaln(xp, data):
    """The logarithm of the absolute value of the gamma function, element-wise.

    >>> import d2lmini as mx
    >>> mx.nd.gammaln(mx.nd.array([0.5, 1, 3, 10]))
    <BLANKLINE>
    [ 0.5723649  0.         0.6931472 12.801827 ]
    <NDArray 4 @cpu(0)>
    """
    return _as_input_dtype(xp, _lgamma64(xp, data), data)


def _gamma(xp, data):
    """The gamma function, element-wise (``gamma(n) = (n - 1)!``).

    >>> import d2lmini as mx
    >>> mx.nd.gamma(mx.nd.array([0.5, 1, 5, -0.5]))
    <BLANKLINE>
    [ 1.7724539  1.        24.        -3.5449078]
    <NDArray 4 @cpu(0)>
    """
    return _as_input_dtype(xp, _gamma64(xp, data), data)


# Bernoulli numbers B_2, B_4, ... B_20 for the asymptotic series
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)


def _polygamma64(xp, x, n):
    """The ``n``-th derivative of ``digamma`` (``n = 0``: digamma) in float64."""
    x = x.astype(np.float64)
    with np.errstate(all='ignore'):
        if n == 0:   # reflection for x < 0.5: psi(1 - x) - psi(x) = pi cot(pi x)
            small = x < 0.5
            cot = 1.0 / xp.tan(math.pi * x)
            x0 = xp.where(small, 1.0 - x, x)
        else:
            x0 = x
        big = 20.0 + n
        acc = xp.zeros_like(x0)
        sign = -1.0 if n % 2 == 0 else 1.0   # psi_n(x) = psi_n(x + 1) - (-1)^n n! x^-(n+1)
        fact = math.factorial(n)
        shift = xp.clip(xp.ceil(big - x0), 0, None)
        shift = xp.where(xp.isfinite(shift), shift, 0)
        steps = int(shift.max()) if shift.size else 0
        steps = min(steps, 100000)
        y = x0.copy()
        for _ in range(steps):
            m = y < big
            if not bool(m.any()):
                break
            acc += xp.where(m, sign * fact / xp.power(y, n + 1), 0.0)
            y = xp.where(m, y + 1.0, y)
        # asymptotic series at y >= big
        if n == 0:
            s = xp.log(y) - 0.5 / y
            y2 = y * y
            p = xp.ones_like(y)
            for k, b in enumerate(_BERNOULLI, start=1):
                p = p * y2
                s -= b / (2 * k * p)
        else:
            s = math.factorial(n - 1) / xp.power(y, n) + fact / (2 * xp.power(y, n + 1))
            for k, b in enumerate(_BERNOULLI, start=1):
                s += b * math.factorial(2 * k + n - 1) / (
                    math.factorial(2 * k) * xp.power(y, 2 * k + n))
            s = s * (1.0 if n % 2 == 1 else -1.0)
        out = s + acc
        if n == 0:
            out = xp.where(small, out - math.pi * cot, out)
        pole = (x <= 0) & (x == xp.floor(x))
    # at a pole (0, -1, -2, ...) digamma is +inf as MXNet has it (cephes' convention),
    # so the gradients of gammaln and gamma there are infinite, not NaN; an odd order
    # tends to +inf from both sides; an even order >= 2 to opposite infinities: NaN
    at_pole = math.inf if n == 0 or n % 2 == 1 else np.nan
    return xp.where(pole, at_pole, out)


def _polygamma(xp, data, n=0):
    """The polygamma function of order ``n``: the ``n + 1``-th derivative of
    ``gammaln`` (``n = 0`` is the digamma function). The gradients of ``gamma``,
    ``gammaln`` and the ``random_pdf_*`` densities use it.

    >>> import d2lmini as mx
    >>> mx.nd._polygamma(mx.nd.array([1, 2]), n=0)
    <BLANKLINE>
    [-0.5772157   0.42278433]
    <NDArray 2 @cpu(0)>
    """
    if n < 0:
        from ..base import MXNetError
        raise MXNetError(f'operator _polygamma: the order n={n} must be >= 0')
    return _as_input_dtype(xp, _polygamma64(xp, data, n), data)


register('_polygamma', _polygamma,
         backward=lambda F, dy, x, y, n: [dy * F._polygamma(x[0], n=n + 1)])
register('gammaln', _gammaln,
         backward=lambda F, dy, x, y: [dy * F._polygamma(x[0], n=0)])
register('gamma', _gamma,
         backward=lambda F, dy, x, y: [dy * F.gamma(x[0]) * F._polygamma(x[0], n=0)])


def _erfinv64(xp, y):
    """The inverse error function in float64: a rational first guess refined by
    Newton steps on ``erf`` (float64 ``erf`` from the activation module)."""
    y = y.astype(np.float64)
    with np.errstate(all='ignore'):
        a = xp.clip(xp.abs(y), 0, 1)
        # Giles' single-precision approximation as the starting point
        w = -xp.log((1.0 - a) * (1.0 + a))
        w1 = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p1 = c + p1 * w1
        w2 = xp.sqrt(w) - 3.0
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p2 = c + p2 * w2
        x = xp.where(w < 5.0, p1, p2) * a
        inner = a < 1
        for _ in range(3):   # Newton: x -= (erf(x) - a) / erf'(x)
            err = _erf(xp, x) - a
            step = err / (2.0 / math.sqrt(math.pi) * xp.exp(-x * x))
            x = xp.where(inner & xp.isfinite(step), x - step, x)
        x = xp.where(a == 1, np.inf, x)
        x = xp.where(xp.abs(y) > 1, np.nan, x)
    return xp.copysign(x, y)


def _erfinv(xp, data):
    """The inverse error function, element-wise: ``erfinv(erf(x)) = x`` on
    ``(-1, 1)``; ``+-inf`` at ``+-1`` and NaN outside.

    >>> import d2lmini as mx
    >>> mx.nd.erfinv(mx.nd.array([0, 0.5, -0.9]))
    <BLANKLINE>
    [ 0.          0.47693628 -1.1630871 ]
    <NDArray 3 @cpu(0)>
    """
    return _as_input_dtype(xp, _erfinv64(xp, data), data)


# d erfinv(y) / dy = sqrt(pi) / 2 * exp(erfinv(y)^2)
register('erfinv', _erfinv,
         backward=lambda F, dy, x, y: [dy * (math.sqrt(math.pi) / 2) * F.exp(F.square(y))])
