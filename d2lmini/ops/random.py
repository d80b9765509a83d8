"""Random numbers: draws from uniform, normal, exponential, Poisson, gamma and
multinomial distributions, random integers, and shuffling.

Two families, as in MXNet:

* ``_random_<dist>`` take numbers as parameters and no array input; the front end
  (``mx.nd.random.uniform(0, 1, shape=(2, 3))``) runs them on a chosen context.
* ``_sample_<dist>`` take *arrays* of parameters: each parameter element gets its
  own draws, so the output shape is the parameters' shape followed by ``shape``.

Every draw comes from ``backend.rng(xp)``, the one generator per array module that
``mx.random.seed`` resets, so a seeded program repeats exactly. The calls below are
those that numpy's ``Generator`` and cupy's ``RandomState`` share, so one definition
serves CPU and GPU. Random operators have no gradient (the draws do not depend
smoothly on the parameters here), except the log-probabilities of ``multinomial``
and ``shuffle`` (a permutation, whose gradient puts every row back).
"""
import inspect

import numpy as np

from .. import backend
from ..base import MXNetError, as_dtype, as_shape, shape_str
from .registry import register

_FLOATS = ('float16', 'float32', 'float64')


def _shape(name, shape):
    """``shape`` as a tuple; MXNet has no 0-d arrays, so an empty shape is an error."""
    shape = as_shape(shape)   # a float is refused, not truncated
    if not shape:
        raise MXNetError(f'operator {name}: shape is empty; give the number of samples, '
                         'e.g. shape=(2, 3)')
    return shape


def _dtype(name, dtype, allowed=_FLOATS, default='float32'):
    dt = as_dtype(default if dtype is None else dtype)
    if dt.name not in allowed:
        raise MXNetError(f'operator {name}: dtype {dt.name} is not supported; use one of '
                         f'{", ".join(allowed)}')
    return dt


def _uniform01(xp, size):
    """Draws from [0, 1), in float64."""
    return backend.uniform01(xp, size, np.float64)


def _param_shape(shape):
    """``shape`` as a tuple, where the empty tuple is allowed (one draw per parameter)."""
    return as_shape(shape)


# Shape inference must not run forward: that would draw numbers and move the stream.
def _nullary_shape(in_shapes, shape=(), **attrs):
    return [_shape('random', shape)]


def _draw_shape(in_shapes, shape=(), **attrs):
    return [tuple(in_shapes[0]) + _param_shape(shape)]


# ------------------------------------------------------------------ numbers as parameters
@register('_random_uniform', random=True, inputs=(), aliases=('random_uniform', 'uniform'),
          infer_shape=_nullary_shape, no_grad=True)
def _random_uniform(xp, low=0.0, high=1.0, shape=(), dtype=None):
    """Draws from the uniform distribution on ``[low, high)``."""
    size, dt = _shape('_random_uniform', shape), _dtype('_random_uniform', dtype)
    if high < low:
        raise MXNetError(f'operator _random_uniform: low={low} must not exceed high={high}')
    return (low + (high - low) * _uniform01(xp, size)).astype(dt)


@register('_random_normal', random=True, inputs=(), aliases=('random_normal', 'normal'),
          infer_shape=_nullary_shape, no_grad=True)
def _random_normal(xp, loc=0.0, scale=1.0, shape=(), dtype=None):
    """Draws from the normal distribution with mean ``loc`` and standard deviation ``scale``."""
    size, dt = _shape('_random_normal', shape), _dtype('_random_normal', dtype)
    if not scale > 0:
        raise MXNetError(f'operator _random_normal: scale={scale} must be positive')
    work = np.float32 if dt == np.float16 else dt  # generators make float32 or float64 only
    z = backend.rng(xp).standard_normal(size, dtype=work)
    return (z * scale + loc).astype(dt, copy=False)


@register('_random_randint', random=True, inputs=(), aliases=('random_randint',),
          infer_shape=_nullary_shape, no_grad=True)
def _random_randint(xp, low=0, high=1, shape=(), dtype=None):
    """Random integers from ``[low, high)``, int32 unless ``dtype='int64'``."""
    size = _shape('_random_randint', shape)
    dt = _dtype('_random_randint', dtype, allowed=('int32', 'int64'), default='int32')
    if not low < high:
        raise MXNetError(f'operator _random_randint: low={low} must be less than high={high}')
    return backend.randint(xp, int(low), int(high), size, dt)


@register('_random_exponential', random=True, inputs=(), aliases=('random_exponential',),
          infer_shape=_nullary_shape, no_grad=True)
def _random_exponential(xp, lam=1.0, shape=(), dtype=None):
    """Draws from the exponential distribution with rate ``lam`` (mean ``1 / lam``)."""
    size, dt = _shape('_random_exponential', shape), _dtype('_random_exponential', dtype)
    if not lam > 0:
        raise MXNetError(f'operator _random_exponential: lam={lam} must be positive')
    return (backend.rng(xp).standard_exponential(size) / lam).astype(dt)


@register('_random_poisson', random=True, inputs=(), aliases=('random_poisson',),
          infer_shape=_nullary_shape, no_grad=True)
def _random_poisson(xp, lam=1.0, shape=(), dtype=None):
    """Draws from the Poisson distribution with mean ``lam``, as floating-point numbers."""
    size, dt = _shape('_random_poisson', shape), _dtype('_random_poisson', dtype)
    if not lam >= 0:
        raise MXNetError(f'operator _random_poisson: lam={lam} must not be negative')
    return backend.rng(xp).poisson(lam, size).astype(dt)


@register('_random_gamma', random=True, inputs=(), aliases=('random_gamma',),
          infer_shape=_nullary_shape, no_grad=True)
def _random_gamma(xp, alpha=1.0, beta=1.0, shape=(), dtype=None):
    """Draws from the gamma distribution with shape ``alpha`` and scale ``beta``
    (mean ``alpha * beta``)."""
    size, dt = _shape('_random_gamma', shape), _dtype('_random_gamma', dtype)
    if not (alpha > 0 and beta > 0):
        raise MXNetError(f'operator _random_gamma: alpha={alpha} and beta={beta} must be '
                         'positive')
    return backend.rng(xp).gamma(alpha, beta, size).astype(dt)


# ------------------------------------------------------------------ arrays as parameters
def _per_element(name, params, shape):
    """The output shape for per-element parameters, and the parameters reshaped so
    they broadcast against it (one value per leading position)."""
    first = params[0]
    for p in params[1:]:
        if p.shape != first.shape:
            raise MXNetError(f'operator {name}: parameter shapes {shape_str(first.shape)} '
                             f'and {shape_str(p.shape)} differ')
    extra = _param_shape(shape)
    trailing = (1,) * len(extra)
    return first.shape + extra, [p.reshape(p.shape + trailing) for p in params]


def _draw_type(types, dtype=None, **attrs):
    """Draws are float32 unless ``dtype`` says otherwise, whatever the parameters' dtype."""
    return [np.float32 if dtype in (None, 'None') else dtype]


@register('_sample_uniform', random=True, infer_type=_draw_type, inputs=('low', 'high'), aliases=('sample_uniform',),
          infer_shape=_draw_shape, no_grad=True)
def _sample_uniform(xp, low, high, shape=(), dtype=None):
    """For each pair ``low[i], high[i]``, draws from ``[low[i], high[i])``."""
    dt = _dtype('_sample_uniform', dtype)
    size, (lo, hi) = _per_element('_sample_uniform', (low, high), shape)
    return (lo + (hi - lo) * _uniform01(xp, size)).astype(dt)


@register('_sample_normal', random=True, infer_type=_draw_type, inputs=('mu', 'sigma'), aliases=('sample_normal',),
          infer_shape=_draw_shape, no_grad=True)
def _sample_normal(xp, mu, sigma, shape=(), dtype=None):
    """For each pair ``mu[i], sigma[i]``, draws from that normal distribution."""
    dt = _dtype('_sample_normal', dtype)
    size, (m, s) = _per_element('_sample_normal', (mu, sigma), shape)
    return (m + s * backend.rng(xp).standard_normal(size)).astype(dt)


@register('_sample_exponential', random=True, infer_type=_draw_type, inputs=('lam',), aliases=('sample_exponential',),
          infer_shape=_draw_shape, no_grad=True)
def _sample_exponential(xp, lam, shape=(), dtype=None):
    """For each rate ``lam[i]``, draws from that exponential distribution."""
    dt = _dtype('_sample_exponential', dtype)
    size, (rate,) = _per_element('_sample_exponential', (lam,), shape)
    return (backend.rng(xp).standard_exponential(size) / rate).astype(dt)


@register('_sample_poisson', random=True, infer_type=_draw_type, inputs=('lam',), aliases=('sample_poisson',),
          infer_shape=_draw_shape, no_grad=True)
def _sample_poisson(xp, lam, shape=(), dtype=None):
    """For each mean ``lam[i]``, draws from that Poisson distribution."""
    dt = _dtype('_sample_poisson', dtype)
    size, (mean,) = _per_element('_sample_poisson', (lam,), shape)
    return backend.rng(xp).poisson(mean, size).astype(dt)


@register('_sample_gamma', random=True, infer_type=_draw_type, inputs=('alpha', 'beta'), aliases=('sample_gamma',),
          infer_shape=_draw_shape, no_grad=True)
def _sample_gamma(xp, alpha, beta, shape=(), dtype=None):
    """For each pair ``alpha[i], beta[i]`` (shape, scale), draws from that gamma
    distribution."""
    dt = _dtype('_sample_gamma', dtype)
    size, (a, b) = _per_element('_sample_gamma', (alpha, beta), shape)
    return backend.rng(xp).gamma(a, b, size).astype(dt)


# ------------------------------------------------------------------ shuffle, multinomial
def _shuffle_grad(F, dy, x, y, **attrs):
    # row i of the output is row perm[i] of the input (perm is the hidden output), so
    # input row j gets the gradient of the output row argsort(perm)[j]
    return [F.take(dy[0], F.argsort(y[1], dtype='int64'), axis=0)]


@register('_shuffle', random=True, aliases=('shuffle',), num_outputs=2, num_visible_outputs=1,
          backward=_shuffle_grad,
          infer_shape=lambda in_shapes, **attrs: [in_shapes[0], tuple(in_shapes[0][:1])])
def _shuffle(xp, data):
    """A copy of ``data`` with its first axis in random order (rows stay intact).
    The hidden second output is the permutation, which backward undoes."""
    perm = backend.rng(xp).permutation(data.shape[0])
    return data[perm], perm


def _multinomial_shape(in_shapes, shape=(), **attrs):
    out = (tuple(in_shapes[0][:-1]) + _param_shape(shape)) or (1,)
    return [out, out] if attrs.get('get_prob') else [out]


def _multinomial_grad(F, dy, x, y, shape, get_prob, dtype):
    if not get_prob:  # the drawn indices alone carry no gradient
        return [F.zeros_like(x[0])]
    return [F._backward_sample_multinomial(dy[1], y[0], x[0])]


@register('_sample_multinomial', random=True, aliases=('sample_multinomial',), num_outputs=0,
          num_visible_outputs=lambda attrs: 2 if attrs['get_prob'] else 1,
          backward=_multinomial_grad, infer_shape=_multinomial_shape)
def _sample_multinomial(xp, data, shape=(), get_prob=False, dtype='int32'):
    """Indices drawn from the categorical distributions in the last axis of ``data``
    (each row holds ``k`` probabilities). The output shape is ``data.shape[:-1]``
    followed by ``shape``. With ``get_prob=True`` a second output holds the log
    probability of each draw, whose gradient (REINFORCE) flows back to ``data``.

    Returns a tuple of one or two arrays; ``mx.nd.random.multinomial`` unpacks it.
    """
    k = data.shape[-1]
    out_dtype = as_dtype(dtype)
    # every index 0 .. k-1 must be stored exactly: uint8 holds 256 categories, float16
    # 2049 (MXNet wraps or rounds such indices silently)
    largest = np.iinfo(out_dtype).max if out_dtype.kind in 'iu' else \
        2 ** (np.finfo(out_dtype).nmant + 1)
    if k - 1 > largest:
        raise MXNetError(f'operator _sample_multinomial: {k} categories do not fit dtype '
                         f'{out_dtype.name}, whose exact whole numbers stop at {largest}; '
                         "use dtype='int32'")
    out_shape = (data.shape[:-1] + _param_shape(shape)) or (1,)
    probs = data.reshape(-1, k)
    cdf = xp.cumsum(probs, axis=1, dtype=np.float64)
    u = _uniform01(xp, (probs.shape[0], int(np.prod(_param_shape(shape)))))
    # index = the first position whose cumulative probability exceeds u (MXNet's rule,
    # which also fixes what happens when a row does not sum to exactly 1)
    idx = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
    idx = xp.minimum(idx, k - 1)
    sample = idx.reshape(out_shape).astype(out_dtype)
    if not get_prob:
        return (sample,)
    logp = xp.log(xp.take_along_axis(probs, idx, axis=1)).reshape(out_shape)
    return sample, logp.astype(data.dtype, copy=False)


def _backward_sample_multinomial_grad(F, dgrad, x, y, **attrs):
    """The gradient of ``out = scatter(grad / p)``, ``p`` being the probabilities of
    the drawn indices: ``grad`` gets ``dgrad / p`` read at those indices, and the
    probabilities get ``-dgrad grad / p^2`` there (the draws get nothing)."""
    grad, sample, data = x
    k = data.shape[-1]
    rows = data.size // k
    idx = F.reshape(sample, (rows, -1))

    def at_draws(t):   # the values of ``t`` (shaped like data) at the drawn indices
        t = F.broadcast_to(F.reshape(t, (rows, 1, k)), (rows, idx.shape[1], k))
        return F.pick(t, idx, axis=2)

    p, a = at_draws(data), at_draws(dgrad)
    d_grad = F.reshape_like(a / p, grad)
    d_data = F._backward_sample_multinomial(
        F.reshape_like(-a * F.reshape(grad, idx.shape) / p, grad), sample, data)
    return [d_grad, None, d_data]


@register('_backward_sample_multinomial', inputs=('grad', 'sample', 'data'),
          backward=_backward_sample_multinomial_grad)
def _backward_sample_multinomial(xp, grad, sample, data):
    """The gradient of ``log(data[sample])``: ``grad / p`` added at each drawn index."""
    k = data.shape[-1]
    probs = data.reshape(-1, k)
    idx = sample.reshape(probs.shape[0], -1).astype(np.int64)
    g = grad.reshape(idx.shape) / xp.take_along_axis(probs, idx, axis=1)
    out = xp.zeros_like(probs)
    rows = xp.arange(probs.shape[0])[:, None]
    backend.scatter_add(xp, out, (xp.broadcast_to(rows, idx.shape), idx), g)
    return out.reshape(data.shape)


# ------------------------------------------------------------------ negative binomial
# Both are drawn as MXNet draws them, as a gamma-Poisson mixture: a Poisson draw whose
# mean is itself a gamma draw. That needs only the generator calls numpy and cupy share.
def _negative_binomial(xp, k, p, size):
    """Failures before the ``k``-th success, each trial succeeding with probability
    ``p``: Poisson draws with gamma(k, (1 - p) / p) means."""
    rng = backend.rng(xp)
    k = xp.broadcast_to(xp.asarray(k, np.float64), size)
    p = xp.broadcast_to(xp.asarray(p, np.float64), size)
    return rng.poisson(rng.gamma(k, (1 - p) / p, size))


def _generalized_negative_binomial(xp, mu, alpha, size):
    """Draws of mean ``mu`` and variance ``mu + alpha * mu ** 2``: Poisson draws with
    gamma(1 / alpha, alpha * mu) means; ``alpha = 0`` is Poisson(mu)."""
    rng = backend.rng(xp)
    mu = xp.broadcast_to(xp.asarray(mu, np.float64), size)
    alpha = xp.broadcast_to(xp.asarray(alpha, np.float64), size)
    safe = xp.where(alpha > 0, alpha, 1.0)   # gamma's shape 1 / alpha for alpha = 0
    lam = xp.where(alpha > 0, rng.gamma(1.0 / safe, safe * mu, size), mu)
    return rng.poisson(lam)


def _check_nb(name, k, p):
    # k = 0 (no success to wait for) is allowed, as in MXNet: every draw is 0
    if not (k >= 0 and 0 < p <= 1):
        raise MXNetError(f'operator {name}: k={k} must not be negative and p={p} must be '
                         'in (0, 1]')


def _check_gnb(name, mu, alpha):
    if not (mu >= 0 and alpha >= 0):
        raise MXNetError(f'operator {name}: mu={mu} and alpha={alpha} must not be negative')


@register('_random_negative_binomial', random=True, inputs=(),
          aliases=('random_negative_binomial',), infer_shape=_nullary_shape, no_grad=True)
def _random_negative_binomial(xp, k=1, p=1.0, shape=(), dtype=None):
    """Draws from the negative binomial distribution: the number of failures before
    the ``k``-th success in trials that succeed with probability ``p`` (mean
    ``k (1 - p) / p``), as floating-point numbers."""
    name = '_random_negative_binomial'
    size, dt = _shape(name, shape), _dtype(name, dtype)
    _check_nb(name, k, p)
    return _negative_binomial(xp, k, p, size).astype(dt)


@register('_random_generalized_negative_binomial', random=True, inputs=(),
          aliases=('random_generalized_negative_binomial',), infer_shape=_nullary_shape,
          no_grad=True)
def _random_generalized_negative_binomial(xp, mu=1.0, alpha=1.0, shape=(), dtype=None):
    """Draws from the generalized negative binomial distribution of mean ``mu`` and
    dispersion ``alpha`` (variance ``mu + alpha * mu ** 2``), as floating-point numbers."""
    name = '_random_generalized_negative_binomial'
    size, dt = _shape(name, shape), _dtype(name, dtype)
    _check_gnb(name, mu, alpha)
    return _generalized_negative_binomial(xp, mu, alpha, size).astype(dt)


@register('_sample_negative_binomial', random=True, infer_type=_draw_type, inputs=('k', 'p'),
          aliases=('sample_negative_binomial',), infer_shape=_draw_shape, no_grad=True)
def _sample_negative_binomial(xp, k, p, shape=(), dtype=None):
    """For each pair ``k[i], p[i]``, draws from that negative binomial distribution."""
    dt = _dtype('_sample_negative_binomial', dtype)
    size, (kk, pp) = _per_element('_sample_negative_binomial', (k, p), shape)
    return _negative_binomial(xp, kk, pp, size).astype(dt)


@register('_sample_generalized_negative_binomial', random=True, infer_type=_draw_type,
          inputs=('mu', 'alpha'), aliases=('sample_generalized_negative_binomial',),
          infer_shape=_draw_shape, no_grad=True)
def _sample_generalized_negative_binomial(xp, mu, alpha, shape=(), dtype=None):
    """For each pair ``mu[i], alpha[i]``, draws from that generalized negative
    binomial distribution."""
    dt = _dtype('_sample_generalized_negative_binomial', dtype)
    size, (m, a) = _per_element('_sample_generalized_negative_binomial', (mu, alpha), shape)
    return _generalized_negative_binomial(xp, m, a, size).astype(dt)


# ------------------------------------------------------------------ draws shaped like an array
# ``_random_<dist>_like(data, ...)``: draws with the shape and dtype of ``data`` (its
# values are not read), as MXNet's ``nd.random.<dist>_like``.
def _like(dist, draw, doc, **params):
    def forward(xp, data, **attrs):
        attrs = {**params, **attrs}   # forward gets only the attributes that were given
        return draw(xp, data.shape, **attrs).astype(data.dtype, copy=False)
    # the attributes (with their defaults) become keyword parameters after ``data``
    forward.__signature__ = inspect.Signature(
        [inspect.Parameter('xp', inspect.Parameter.POSITIONAL_OR_KEYWORD),
         inspect.Parameter('data', inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d)
           for n, d in params.items()])
    forward.__doc__ = doc
    forward.__name__ = f'_random_{dist}_like'
    register(f'_random_{dist}_like', forward, random=True, no_grad=True,
             infer_shape=lambda in_shapes, **attrs: [tuple(in_shapes[0])],
             infer_type=lambda types, **attrs: [types[0] or np.float32])


def _checked(check, name, fn):
    def draw(xp, size, **params):
        check(name, *params.values())
        return fn(xp, size, **params)
    return draw


def _pos(name, *values):
    if not all(v > 0 for v in values):
        raise MXNetError(f'operator {name}: parameters {values} must be positive')


def _nonneg(name, *values):
    if not all(v >= 0 for v in values):
        raise MXNetError(f'operator {name}: parameter {values} must not be negative')


_like('uniform', lambda xp, size, low, high: low + (high - low) * _uniform01(xp, size),
      'Uniform draws on ``[low, high)`` with the shape and dtype of ``data``.',
      low=0.0, high=1.0)
_like('normal', _checked(lambda name, loc, scale: _pos(name, scale), '_random_normal_like',
                         lambda xp, size, loc, scale:
                         loc + scale * backend.rng(xp).standard_normal(size)),
      'Normal draws of mean ``loc`` and standard deviation ``scale`` with the shape and '
      'dtype of ``data``.', loc=0.0, scale=1.0)
_like('gamma', _checked(_pos, '_random_gamma_like', lambda xp, size, alpha, beta:
                        backend.rng(xp).gamma(alpha, beta, size)),
      'Gamma draws of shape ``alpha`` and scale ``beta`` with the shape and dtype of ``data``.',
      alpha=1.0, beta=1.0)
_like('exponential', _checked(_pos, '_random_exponential_like', lambda xp, size, lam:
                              backend.rng(xp).standard_exponential(size) / lam),
      'Exponential draws of rate ``lam`` (mean ``1 / lam``) with the shape and dtype of '
      '``data``.', lam=1.0)
_like('poisson', _checked(_nonneg, '_random_poisson_like', lambda xp, size, lam:
                          backend.rng(xp).poisson(lam, size)),
      'Poisson draws of mean ``lam`` with the shape and dtype of ``data``.', lam=1.0)
_like('negative_binomial',
      _checked(_check_nb, '_random_negative_binomial_like',
               lambda xp, size, k, p: _negative_binomial(xp, k, p, size)),
      'Negative binomial draws (failures before the ``k``-th success, success '
      'probability ``p``) with the shape and dtype of ``data``.', k=1, p=1.0)
_like('generalized_negative_binomial',
      _checked(_check_gnb, '_random_generalized_negative_binomial_like',
               lambda xp, size, mu, alpha: _generalized_negative_binomial(xp, mu, alpha, size)),
      'Generalized negative binomial draws of mean ``mu`` and dispersion ``alpha`` with the '
      'shape and dtype of ``data``.', mu=1.0, alpha=1.0)
