"""``random_pdf_<distribution>``: the probability density (or mass) of samples under
distributions given per element, or its logarithm with ``is_log=True``.

The parameters have some shape ``P``; the sample has shape ``P + E``: every
parameter set describes the ``E`` samples after it (``dirichlet``'s sample has one
more axis, the ``k`` coordinates of each point, and ``alpha`` ends with it too). As
MXNet, the formulas do not check the support (an exponential density at ``x < 0``
is ``lam * exp(-lam * x)``), and the gradient with respect to a sample of a discrete
distribution is zero. ``gamma``'s ``beta`` is a rate, ``negative_binomial``'s ``p``
the success probability of its ``k`` (MXNet's parametrisation).
"""
import math

import numpy as np

from ..base import MXNetError, shape_str
from .registry import register
from .special import _lgamma64

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _params(name, sample, params, extra=0):
    """The parameters reshaped to broadcast against ``sample`` (float64)."""
    pshape = params[0].shape
    for p in params:
        if p.shape != pshape:
            raise MXNetError(f'operator random_pdf_{name}: the parameters must have one '
                             f'shape, got {", ".join(shape_str(q.shape) for q in params)}')
    core = pshape[:len(pshape) - extra] if extra else pshape
    if sample.shape[:len(core)] != core or (
            extra and sample.shape[-extra:] != pshape[-extra:]):
        raise MXNetError(f'operator random_pdf_{name}: the sample of shape '
                         f'{shape_str(sample.shape)} must start with the parameters\' shape '
                         f'{shape_str(pshape)}')
    n_e = sample.ndim - len(pshape)
    out = []
    for p in params:
        shape = core + (1,) * n_e + (pshape[len(core):] if extra else ())
        out.append(p.astype(np.float64).reshape(shape))
    return out


def _finish(xp, logp, sample, is_log):
    with np.errstate(all='ignore'):
        out = logp if is_log else xp.exp(logp)
    return out.astype(sample.dtype, copy=False)


def _check_float(name, *arrays):
    for a in arrays:
        if a.dtype.kind != 'f':
            raise MXNetError(f'operator random_pdf_{name}: inputs must be floating point, '
                             f'got {a.dtype}')


# ------------------------------------------------------------------ the log-densities
def _log_normal(xp, x, mu, sigma):
    z = (x - mu) / sigma
    return -0.5 * z * z - xp.log(sigma) - _HALF_LOG_2PI


def _log_uniform(xp, x, low, high):
    return xp.broadcast_to(-xp.log(high - low), x.shape)


def _log_gamma(xp, x, alpha, beta):
    return alpha * xp.log(beta) + (alpha - 1) * xp.log(x) - beta * x - _lgamma64(xp, alpha)


def _log_exponential(xp, x, lam):
    return xp.log(lam) - lam * x


def _log_poisson(xp, x, lam):
    return x * xp.log(lam) - lam - _lgamma64(xp, x + 1)


def _log_negative_binomial(xp, x, k, p):
    return (_lgamma64(xp, x + k) - _lgamma64(xp, x + 1) - _lgamma64(xp, k)
            + k * xp.log(p) + x * xp.log1p(-p))


def _log_generalized_negative_binomial(xp, x, mu, alpha):
    k = 1.0 / alpha
    am = alpha * mu
    return (_lgamma64(xp, x + k) - _lgamma64(xp, x + 1) - _lgamma64(xp, k)
            - (k + x) * xp.log1p(am) + x * xp.log(am))


def _log_dirichlet(xp, x, alpha):
    return (_lgamma64(xp, alpha.sum(axis=-1)) - _lgamma64(xp, alpha).sum(axis=-1)
            + ((alpha - 1) * xp.log(x)).sum(axis=-1))


def _pdf(name, logpdf, extra=0):
    def forward(xp, sample, *args, is_log=False):
        _check_float(name, sample, *args)
        x = sample.astype(np.float64)
        ps = _params(name, sample, args, extra)
        with np.errstate(all='ignore'):
            logp = logpdf(xp, x, *ps)
        return _finish(xp, logp, sample, is_log)
    forward.__name__ = f'random_pdf_{name}'
    return forward


# ------------------------------------------------------------------ gradients, with F
def _expand(F, p, x, extra=0):
    """Parameter ``p`` reshaped to broadcast against sample ``x`` (recorded)."""
    n_e = x.ndim - p.ndim
    if n_e == 0:
        return p
    core = p.shape[:p.ndim - extra]
    return F.reshape(p, shape=core + (1,) * n_e + p.shape[p.ndim - extra:])


def _reduce(F, g, p, extra=0):
    """Sum ``g`` (shaped like the sample) back to parameter ``p``'s shape."""
    n_e = g.ndim - p.ndim
    if n_e == 0:
        return g
    core = p.ndim - extra
    return F.sum(g, axis=tuple(range(core, core + n_e)))


def _head(F, dy, y, is_log):
    """d out / d log p times the output gradient."""
    return dy if is_log else dy * y


def _grads(F, dy, x, y, is_log, dlog, extra=0):
    """The gradients from ``dlog(F, sample, *expanded params)``: d log p / d input,
    each shaped like the sample (or None for a zero gradient)."""
    sample = x[0]
    params = [_expand(F, p, sample, extra) for p in x[1:]]
    h = _head(F, dy, y, is_log)
    if extra:
        h = F.expand_dims(h, axis=-1)
    out = []
    for i, d in enumerate(dlog(F, sample, *params)):
        if d is None:
            out.append(F.zeros_like(x[i]))
            continue
        g = F.broadcast_mul(h, d)
        out.append(g if i == 0 else _reduce(F, g, x[i], extra))
    return out


def _psi(F, a):
    return F._polygamma(a, n=0)


def _b(F, op, a, b):
    return getattr(F, 'broadcast_' + op)(a, b)


def _d_normal(F, x, mu, sigma):
    z = _b(F, 'div', _b(F, 'sub', x, mu), sigma)
    dx = -_b(F, 'div', z, sigma)
    return [dx, -dx, _b(F, 'div', z * z - 1, sigma)]


def _d_uniform(F, x, low, high):
    inv = F.broadcast_like(F.reciprocal(high - low), x)
    return [None, inv, -inv]


def _d_gamma(F, x, alpha, beta):
    dx = _b(F, 'sub', _b(F, 'div', alpha - 1, x), beta)
    da = _b(F, 'add', F.log(x), F.log(beta) - _psi(F, alpha))
    db = _b(F, 'sub', alpha / beta, x)
    return [dx, da, db]


def _d_exponential(F, x, lam):
    return [F.broadcast_like(-lam, x), _b(F, 'sub', F.reciprocal(lam), x)]


def _d_poisson(F, x, lam):
    return [None, _b(F, 'div', x, lam) - 1]


def _d_negative_binomial(F, x, k, p):
    dk = _b(F, 'add', _psi(F, _b(F, 'add', x, k)), F.log(p) - _psi(F, k))
    dp = _b(F, 'sub', k / p, _b(F, 'div', x, 1 - p))
    return [None, dk, dp]


def _d_generalized_negative_binomial(F, x, mu, alpha):
    k = F.reciprocal(alpha)
    one_am = 1 + alpha * mu
    kx = _b(F, 'add', x, k)
    dmu = _b(F, 'sub', _b(F, 'div', x, mu), _b(F, 'mul', kx, alpha / one_am))
    inner = _b(F, 'sub', _psi(F, kx), _psi(F, k) + F.log(one_am))
    dalpha = (_b(F, 'div', x, alpha) - _b(F, 'mul', kx, mu / one_am)
              - _b(F, 'div', inner, F.square(alpha)))
    return [None, dmu, dalpha]


def _d_dirichlet(F, x, alpha):
    dx = _b(F, 'div', alpha - 1, x)
    total = F.expand_dims(F.sum(alpha, axis=-1), axis=-1)
    da = _b(F, 'add', F.log(x), _b(F, 'sub', _psi(F, total), _psi(F, alpha)))
    return [dx, da]


_DISTS = {
    # name: (parameter names, log-density, its derivatives d log p / d input)
    'normal': (('mu', 'sigma'), _log_normal, _d_normal),
    'uniform': (('low', 'high'), _log_uniform, _d_uniform),
    'gamma': (('alpha', 'beta'), _log_gamma, _d_gamma),
    'exponential': (('lam',), _log_exponential, _d_exponential),
    'poisson': (('lam',), _log_poisson, _d_poisson),
    'negative_binomial': (('k', 'p'), _log_negative_binomial, _d_negative_binomial),
    'generalized_negative_binomial': (('mu', 'alpha'), _log_generalized_negative_binomial,
                                      _d_generalized_negative_binomial),
    'dirichlet': (('alpha',), _log_dirichlet, _d_dirichlet),
}

_EXAMPLE = """

>>> import d2lmini as mx
>>> mx.nd.random_pdf_normal(mx.nd.array([[0.5, 1.5], [2, 0.1]]), mx.nd.array([0, 1]),
...                         mx.nd.array([1, 2]))
<BLANKLINE>
[[0.35206532 0.1295176 ]
 [0.17603266 0.18026347]]
<NDArray 2x2 @cpu(0)>"""


def _register(name, names, logpdf, dlog):
    extra = 1 if name == 'dirichlet' else 0
    forward = _pdf(name, logpdf, extra)

    def backward(F, dy, x, y, is_log):
        return _grads(F, dy, x, y, is_log, dlog, extra)

    def infer_shape(shapes, is_log=False):
        s = tuple(shapes[0])
        return [s[:-1] if extra else s]

    doc = (f'The density of ``sample`` under the {name.replace("_", " ")} distributions '
           f'with parameters {", ".join(names)} (one set per leading index of the sample; '
           'see :mod:`d2lmini.ops.densities`); its logarithm with ``is_log=True``.'
           + (_EXAMPLE if name == 'normal' else ''))
    register(f'_random_pdf_{name}', _variadic_free(forward, len(names)),
             inputs=('sample',) + names, aliases=(f'random_pdf_{name}',),
             backward=backward, infer_shape=infer_shape, doc=doc)


def _variadic_free(forward, n):
    """A forward with one named parameter per input (the registry reads the inputs
    and the attributes from the signature)."""
    if n == 1:
        def one(xp, sample, p0, is_log=False):
            return forward(xp, sample, p0, is_log=is_log)
        return one

    def two(xp, sample, p0, p1, is_log=False):
        return forward(xp, sample, p0, p1, is_log=is_log)
    return two


for _name, (_names, _logpdf, _dlog) in _DISTS.items():
    _register(_name, _names, _logpdf, _dlog)
