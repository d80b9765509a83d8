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
smoothly on the parameters here), except the log-probabilities of ``multinomial``.
"""
import numpy as np

from .. import backend
from ..base import MXNetError, as_dtype, shape_str
from .registry import register

_FLOATS = ('float16', 'float32', 'float64')


def _shape(name, shape):
    """``shape`` as a tuple; MXNet has no 0-d arrays, so an empty shape is an error."""
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(
        int(d) for d in shape)
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
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(
        int(d) for d in shape)


# Shape inference must not run forward: that would draw numbers and move the stream.
def _nullary_shape(in_shapes, shape=(), **attrs):
    return [_shape('random', shape)]


def _draw_shape(in_shapes, shape=(), **attrs):
    return [tuple(in_shapes[0]) + _param_shape(shape)]


# ------------------------------------------------------------------ numbers as parameters
@register('_random_uniform', inputs=(), aliases=('random_uniform', 'uniform'),
          infer_shape=_nullary_shape)
def _random_uniform(xp, low=0.0, high=1.0, shape=(), dtype=None):
    """Draws from the uniform distribution on ``[low, high)``."""
    size, dt = _shape('_random_uniform', shape), _dtype('_random_uniform', dtype)
    if high < low:
        raise MXNetError(f'operator _random_uniform: low={low} must not exceed high={high}')
    return (low + (high - low) * _uniform01(xp, size)).astype(dt)


@register('_random_normal', inputs=(), aliases=('random_normal', 'normal'),
          infer_shape=_nullary_shape)
def _random_normal(xp, loc=0.0, scale=1.0, shape=(), dtype=None):
    """Draws from the normal distribution with mean ``loc`` and standard deviation ``scale``."""
    size, dt = _shape('_random_normal', shape), _dtype('_random_normal', dtype)
    if not scale > 0:
        raise MXNetError(f'operator _random_normal: scale={scale} must be positive')
    work = np.float32 if dt == np.float16 else dt  # generators make float32 or float64 only
    z = backend.rng(xp).standard_normal(size, dtype=work)
    return (z * scale + loc).astype(dt, copy=False)


@register('_random_randint', inputs=(), aliases=('random_randint',),
          infer_shape=_nullary_shape)
def _random_randint(xp, low=0, high=1, shape=(), dtype=None):
    """Random integers from ``[low, high)``, int32 unless ``dtype='int64'``."""
    size = _shape('_random_randint', shape)
    dt = _dtype('_random_randint', dtype, allowed=('int32', 'int64'), default='int32')
    if not low < high:
        raise MXNetError(f'operator _random_randint: low={low} must be less than high={high}')
    return backend.randint(xp, int(low), int(high), size, dt)


@register('_random_exponential', inputs=(), aliases=('random_exponential',),
          infer_shape=_nullary_shape)
def _random_exponential(xp, lam=1.0, shape=(), dtype=None):
    """Draws from the exponential distribution with rate ``lam`` (mean ``1 / lam``)."""
    size, dt = _shape('_random_exponential', shape), _dtype('_random_exponential', dtype)
    if not lam > 0:
        raise MXNetError(f'operator _random_exponential: lam={lam} must be positive')
    return (backend.rng(xp).standard_exponential(size) / lam).astype(dt)


@register('_random_poisson', inputs=(), aliases=('random_poisson',),
          infer_shape=_nullary_shape)
def _random_poisson(xp, lam=1.0, shape=(), dtype=None):
    """Draws from the Poisson distribution with mean ``lam``, as floating-point numbers."""
    size, dt = _shape('_random_poisson', shape), _dtype('_random_poisson', dtype)
    if not lam >= 0:
        raise MXNetError(f'operator _random_poisson: lam={lam} must not be negative')
    return backend.rng(xp).poisson(lam, size).astype(dt)


@register('_random_gamma', inputs=(), aliases=('random_gamma',),
          infer_shape=_nullary_shape)
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


@register('_sample_uniform', inputs=('low', 'high'), aliases=('sample_uniform',),
          infer_shape=_draw_shape)
def _sample_uniform(xp, low, high, shape=(), dtype=None):
    """For each pair ``low[i], high[i]``, draws from ``[low[i], high[i])``."""
    dt = _dtype('_sample_uniform', dtype)
    size, (lo, hi) = _per_element('_sample_uniform', (low, high), shape)
    return (lo + (hi - lo) * _uniform01(xp, size)).astype(dt)


@register('_sample_normal', inputs=('mu', 'sigma'), aliases=('sample_normal',),
          infer_shape=_draw_shape)
def _sample_normal(xp, mu, sigma, shape=(), dtype=None):
    """For each pair ``mu[i], sigma[i]``, draws from that normal distribution."""
    dt = _dtype('_sample_normal', dtype)
    size, (m, s) = _per_element('_sample_normal', (mu, sigma), shape)
    return (m + s * backend.rng(xp).standard_normal(size)).astype(dt)


@register('_sample_exponential', inputs=('lam',), aliases=('sample_exponential',),
          infer_shape=_draw_shape)
def _sample_exponential(xp, lam, shape=(), dtype=None):
    """For each rate ``lam[i]``, draws from that exponential distribution."""
    dt = _dtype('_sample_exponential', dtype)
    size, (rate,) = _per_element('_sample_exponential', (lam,), shape)
    return (backend.rng(xp).standard_exponential(size) / rate).astype(dt)


@register('_sample_poisson', inputs=('lam',), aliases=('sample_poisson',),
          infer_shape=_draw_shape)
def _sample_poisson(xp, lam, shape=(), dtype=None):
    """For each mean ``lam[i]``, draws from that Poisson distribution."""
    dt = _dtype('_sample_poisson', dtype)
    size, (mean,) = _per_element('_sample_poisson', (lam,), shape)
    return backend.rng(xp).poisson(mean, size).astype(dt)


@register('_sample_gamma', inputs=('alpha', 'beta'), aliases=('sample_gamma',),
          infer_shape=_draw_shape)
def _sample_gamma(xp, alpha, beta, shape=(), dtype=None):
    """For each pair ``alpha[i], beta[i]`` (shape, scale), draws from that gamma
    distribution."""
    dt = _dtype('_sample_gamma', dtype)
    size, (a, b) = _per_element('_sample_gamma', (alpha, beta), shape)
    return backend.rng(xp).gamma(a, b, size).astype(dt)


# ------------------------------------------------------------------ shuffle, multinomial
@register('_shuffle', aliases=('shuffle',), infer_shape=lambda in_shapes, **attrs: [in_shapes[0]])
def _shuffle(xp, data):
    """A copy of ``data`` with its first axis in random order (rows stay intact)."""
    return data[backend.rng(xp).permutation(data.shape[0])]


def _multinomial_shape(in_shapes, shape=(), **attrs):
    out = (tuple(in_shapes[0][:-1]) + _param_shape(shape)) or (1,)
    return [out, out] if attrs.get('get_prob') else [out]


def _multinomial_grad(F, dy, x, y, shape, get_prob, dtype):
    if not get_prob:  # the drawn indices alone carry no gradient
        return [F.zeros_like(x[0])]
    return [F._backward_sample_multinomial(dy[1], y[0], x[0])]


@register('_sample_multinomial', aliases=('sample_multinomial',), num_outputs=0,
          backward=_multinomial_grad, infer_shape=_multinomial_shape)
def _sample_multinomial(xp, data, shape=(), get_prob=False, dtype='int32'):
    """Indices drawn from the categorical distributions in the last axis of ``data``
    (each row holds ``k`` probabilities). The output shape is ``data.shape[:-1]``
    followed by ``shape``. With ``get_prob=True`` a second output holds the log
    probability of each draw, whose gradient (REINFORCE) flows back to ``data``.

    Returns a tuple of one or two arrays; ``mx.nd.random.multinomial`` unpacks it.
    """
    k = data.shape[-1]
    out_shape = (data.shape[:-1] + _param_shape(shape)) or (1,)
    probs = data.reshape(-1, k)
    cdf = xp.cumsum(probs, axis=1, dtype=np.float64)
    u = _uniform01(xp, (probs.shape[0], int(np.prod(_param_shape(shape)))))
    # index = the first position whose cumulative probability exceeds u (MXNet's rule,
    # which also fixes what happens when a row does not sum to exactly 1)
    idx = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
    idx = xp.minimum(idx, k - 1)
    sample = idx.reshape(out_shape).astype(as_dtype(dtype))
    if not get_prob:
        return (sample,)
    logp = xp.log(xp.take_along_axis(probs, idx, axis=1)).reshape(out_shape)
    return sample, logp.astype(data.dtype, copy=False)


@register('_backward_sample_multinomial', inputs=('grad', 'sample', 'data'))
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
