"""``mx.nd.random``: random arrays, as in MXNet.

Parameters may be numbers, giving one distribution for the whole array, or NDArrays,
giving one distribution per element: ``uniform(low, high, shape=2)`` with ``low``
and ``high`` of shape ``(3,)`` draws an array of shape ``(3, 2)``. Without a
``shape`` a call with numbers draws a single value, of shape ``(1,)``. Results are
float32 unless ``dtype`` says otherwise.

>>> import d2lmini as mx
>>> mx.random.seed(42)
>>> a = mx.nd.random.uniform(-1, 1, shape=(2, 3))
>>> mx.random.seed(42)
>>> b = mx.nd.random.uniform(-1, 1, shape=(2, 3))
>>> bool((a == b).min())                 # the same seed, the same numbers
True
"""
from .. import backend
from ..base import integer_types, numeric_types
from ..context import Context
from ..ops import OPS
from .ndarray import NDArray, invoke, invoke_nullary

__all__ = ['uniform', 'normal', 'randn', 'randint', 'exponential', 'poisson', 'gamma',
           'negative_binomial', 'generalized_negative_binomial', 'multinomial', 'shuffle',
           'seed', 'uniform_like', 'normal_like', 'gamma_like', 'exponential_like',
           'poisson_like', 'negative_binomial_like', 'generalized_negative_binomial_like']


def _draw(dist, params, shape, dtype, ctx, out, kwargs):
    """Call ``_random_<dist>`` for number parameters or ``_sample_<dist>`` for NDArrays.

    ``params`` is a dict from the operator's parameter names to values.
    """
    names, values = list(params), list(params.values())
    if isinstance(values[0], NDArray):
        if not all(isinstance(v, NDArray) for v in values):
            raise TypeError(f'{dist}: distribution parameters must all be NDArrays or all '
                            f'numbers, got {", ".join(type(v).__name__ for v in values)}')
        attrs = dict(kwargs, shape=() if shape is None else shape)
        if dtype is not None:
            attrs['dtype'] = dtype
        return invoke(OPS['_sample_' + dist], tuple(values), attrs, out)
    if not all(isinstance(v, numeric_types) for v in values):
        raise TypeError(f'{dist}: distribution parameters must be numbers or NDArrays, '
                        f'got {", ".join(type(v).__name__ for v in values)}')
    if shape is None:
        shape = 1 if out is None else out.shape
    if out is not None:
        ctx = out.context if ctx is None else ctx
        dtype = out.dtype if dtype is None else dtype
    attrs = dict(kwargs, shape=shape, dtype=dtype)
    attrs.update((n, v.item() if hasattr(v, 'item') else v) for n, v in zip(names, values))
    return invoke_nullary(OPS['_random_' + dist], ctx, attrs, out)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws from the uniform distribution on ``[low, high)``.

    >>> import d2lmini as mx
    >>> x = mx.nd.random.uniform(0, 10, shape=(1000,))
    >>> bool(x.min() >= 0), bool(x.max() < 10)
    (True, True)
    """
    return _draw('uniform', {'low': low, 'high': high}, shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws from the normal (Gaussian) distribution with mean ``loc`` and standard
    deviation ``scale``.

    >>> import d2lmini as mx
    >>> mx.nd.random.normal(0, 0.01, shape=(256, 10)).shape
    (256, 10)
    """
    return _draw('normal', {'loc': loc, 'scale': scale}, shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Draws from a normal distribution; the shape is given as separate arguments.

    >>> import d2lmini as mx
    >>> mx.nd.random.randn(2, 3, loc=5, scale=1).shape
    (2, 3)
    """
    loc = kwargs.pop('loc', 0)
    scale = kwargs.pop('scale', 1)
    dtype = kwargs.pop('dtype', None)
    ctx = kwargs.pop('ctx', None)
    out = kwargs.pop('out', None)
    return _draw('normal', {'loc': loc, 'scale': scale}, shape, dtype, ctx, out, kwargs)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Random integers from ``[low, high)``, int32 unless ``dtype='int64'``.

    >>> import d2lmini as mx
    >>> x = mx.nd.random.randint(0, 3, shape=(100,))
    >>> x.dtype.__name__, sorted(set(x.asnumpy().tolist()))
    ('int32', [0, 1, 2])
    """
    if isinstance(low, NDArray) or isinstance(high, NDArray):
        raise TypeError('randint: low and high must be numbers (there is no per-element form)')
    return _draw('randint', {'low': low, 'high': high}, shape, dtype, ctx, out, kwargs)


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws from the exponential distribution with mean ``scale`` (rate ``1 / scale``).

    >>> import d2lmini as mx
    >>> bool(mx.nd.random.exponential(2, shape=(100,)).min() >= 0)
    True
    """
    return _draw('exponential', {'lam': 1.0 / scale}, shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws from the Poisson distribution with mean ``lam`` (whole numbers, stored as floats).

    >>> import d2lmini as mx
    >>> mx.nd.random.poisson(3, shape=(2,)).dtype.__name__
    'float32'
    """
    return _draw('poisson', {'lam': lam}, shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws from the gamma distribution with shape ``alpha`` and scale ``beta``.

    >>> import d2lmini as mx
    >>> mx.nd.random.gamma(mx.nd.array([1, 2]), mx.nd.array([1, 1]), shape=3).shape
    (2, 3)
    """
    return _draw('gamma', {'alpha': alpha, 'beta': beta}, shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Draws from the negative binomial distribution: failures before the ``k``-th
    success, each trial succeeding with probability ``p`` (mean ``k (1 - p) / p``).

    >>> import d2lmini as mx
    >>> mx.random.seed(0)
    >>> x = mx.nd.random.negative_binomial(k=3, p=0.4, shape=(10000,))
    >>> abs(float(x.mean().asscalar()) - 4.5) < 0.2      # the mean is k (1 - p) / p
    True
    """
    return _draw('negative_binomial', {'k': k, 'p': p}, shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None,
                                  **kwargs):
    """Draws from the generalized negative binomial distribution of mean ``mu`` and
    dispersion ``alpha`` (variance ``mu + alpha * mu ** 2``).

    >>> import d2lmini as mx
    >>> mx.nd.random.generalized_negative_binomial(mu=2, alpha=0.5, shape=(2, 2)).shape
    (2, 2)
    """
    return _draw('generalized_negative_binomial', {'mu': mu, 'alpha': alpha}, shape, dtype,
                 ctx, out, kwargs)


def _like(dist, names):
    op = OPS[f'_random_{dist}_like']

    def fn(data=None, *args, out=None, name=None, **kwargs):
        attrs = dict(zip(names, args), **kwargs)
        return invoke(op, (data,), attrs, out)
    fn.__name__ = fn.__qualname__ = f'{dist}_like'
    fn.__doc__ = (f'{dist}_like(data, {", ".join(f"{n}={op.defaults[n]!r}" for n in names)}, '
                  f'out=None)\n\n{op.doc}\n\n'
                  f'>>> import d2lmini as mx\n'
                  f'>>> mx.nd.random.{dist}_like(mx.nd.zeros((2, 3), dtype=\'float64\')).dtype.__name__\n'
                  f"'float64'\n")
    return fn


# the distributions with a ``*_like`` form, and their parameters (mx.sym.random uses it too)
LIKE_PARAMS = {'uniform': ('low', 'high'), 'normal': ('loc', 'scale'),
               'gamma': ('alpha', 'beta'), 'exponential': ('lam',), 'poisson': ('lam',),
               'negative_binomial': ('k', 'p'),
               'generalized_negative_binomial': ('mu', 'alpha')}
for _dist, _names in LIKE_PARAMS.items():
    globals()[f'{_dist}_like'] = _like(_dist, _names)


def multinomial(data, shape=None, get_prob=False, out=None, dtype='int32', **kwargs):
    """Draws indices from the categorical distributions in the last axis of ``data``.

    ``data`` of shape ``(..., k)`` holds ``k`` probabilities per distribution; the
    result has shape ``data.shape[:-1] + shape``. With ``get_prob=True`` it returns
    ``[indices, log_probabilities]``, and the log probabilities can be differentiated.

    >>> import d2lmini as mx
    >>> mx.nd.random.multinomial(mx.nd.array([[0, 1], [1, 0]]), shape=3)
    <BLANKLINE>
    [[1 1 1]
     [0 0 0]]
    <NDArray 2x3 @cpu(0)>
    """
    attrs = dict(kwargs, shape=() if shape is None else shape, get_prob=get_prob,
                 dtype=dtype)
    res = invoke(OPS['_sample_multinomial'], (data,), attrs, out)
    if get_prob or isinstance(res, NDArray):
        return res
    return res[0]  # the operator's outputs come as a list, even when there is one


def shuffle(data, **kwargs):
    """A copy of ``data`` with its first axis in random order; ``data`` is unchanged.

    >>> import d2lmini as mx
    >>> x = mx.nd.random.shuffle(mx.nd.arange(10))
    >>> sorted(x.asnumpy().tolist()) == list(range(10))
    True
    """
    return invoke(OPS['_shuffle'], (data,), kwargs)


def seed(seed_state, ctx='all'):
    """Reset the random generators so that the following draws repeat.

    ``ctx='all'`` reseeds every device; a context reseeds the generators of its kind
    of device only (``mx.cpu()`` or ``mx.gpu()``).

    >>> import d2lmini as mx
    >>> mx.random.seed(1)
    >>> a = mx.nd.random.normal(shape=(3,))
    >>> mx.random.seed(1)
    >>> bool((a == mx.nd.random.normal(shape=(3,))).min())
    True
    """
    if not isinstance(seed_state, integer_types):
        raise ValueError(f'seed_state must be int, got {type(seed_state).__name__}')
    # MXNet hands the seed to its engine as a 32-bit C int, so every integer is a
    # valid seed and those equal modulo 2**32 (-1 and 2**32 - 1) seed alike
    seed_state = int(seed_state) % 2 ** 32
    if ctx == 'all':
        backend.seed(seed_state, 'all')
    else:
        if not isinstance(ctx, Context):
            raise TypeError(f"seed: ctx must be 'all' or a Context such as mx.cpu(), got "
                            f'{ctx!r}')
        backend.seed(seed_state, ctx.device_type)
