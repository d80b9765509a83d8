"""``mx.sym.random``: random draws as graph nodes, the symbolic twin of
``mx.nd.random``.

Parameters may be numbers, giving one distribution for the whole array
(``_random_<dist>``, of ``shape``), or Symbols, giving one distribution per element
(``_sample_<dist>``, of shape ``param.shape + shape``). Draws are made each time the
graph runs.

>>> import d2lmini as mx
>>> u = mx.sym.random.uniform(0, 1, shape=(2, 3))
>>> u.eval()[0].shape
(2, 3)
"""
from ..ndarray.random import LIKE_PARAMS
from ..base import numeric_types
from .symbol import Symbol, _call

__all__ = ['uniform', 'normal', 'randn', 'randint', 'exponential', 'poisson', 'gamma',
           'negative_binomial', 'generalized_negative_binomial', 'multinomial', 'shuffle',
           'uniform_like', 'normal_like', 'gamma_like', 'exponential_like', 'poisson_like',
           'negative_binomial_like', 'generalized_negative_binomial_like']


def _draw(dist, params, shape, dtype, kwargs):
    """A ``_random_<dist>`` node for number parameters, ``_sample_<dist>`` for Symbols."""
    values = list(params.values())
    name = kwargs.pop('name', None)
    if isinstance(values[0], Symbol):
        if not all(isinstance(v, Symbol) for v in values):
            raise TypeError(f'{dist}: distribution parameters must all be Symbols or all '
                            f'numbers, got {", ".join(type(v).__name__ for v in values)}')
        attrs = dict(kwargs, shape=() if shape is None else shape, name=name)
        if dtype is not None:
            attrs['dtype'] = dtype
        return _call('_sample_' + dist, tuple(values), attrs)
    if not all(isinstance(v, numeric_types) for v in values):
        raise TypeError(f'{dist}: distribution parameters must be numbers or Symbols, got '
                        f'{", ".join(type(v).__name__ for v in values)}')
    # MXNet takes a ``ctx`` here too but uses it only for imperative calls: a graph
    # draws on the context it is bound to, so the symbolic form accepts and drops it.
    kwargs.pop('ctx', None)
    attrs = dict(kwargs, shape=1 if shape is None else shape, dtype=dtype, name=name)
    attrs.update((k, v.item() if hasattr(v, 'item') else v) for k, v in params.items())
    return _call('_random_' + dist, (), attrs)


def uniform(low=0, high=1, shape=None, dtype=None, **kwargs):
    """Uniform draws on ``[low, high)``."""
    return _draw('uniform', {'low': low, 'high': high}, shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, **kwargs):
    """Normal draws of mean ``loc`` and standard deviation ``scale``."""
    return _draw('normal', {'loc': loc, 'scale': scale}, shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """Normal draws; the shape given as separate arguments."""
    loc, scale = kwargs.pop('loc', 0), kwargs.pop('scale', 1)
    dtype = kwargs.pop('dtype', None)
    return normal(loc, scale, shape=shape, dtype=dtype, **kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Integers from ``[low, high)`` (int32 unless ``dtype`` says otherwise)."""
    return _draw('randint', {'low': low, 'high': high}, shape, dtype, kwargs)


def exponential(scale=1, shape=None, dtype=None, **kwargs):
    """Exponential draws of mean ``scale``."""
    return _draw('exponential', {'lam': 1.0 / scale}, shape, dtype, kwargs)


def poisson(lam=1, shape=None, dtype=None, **kwargs):
    """Poisson draws of mean ``lam``."""
    return _draw('poisson', {'lam': lam}, shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, **kwargs):
    """Gamma draws of shape ``alpha`` and scale ``beta``."""
    return _draw('gamma', {'alpha': alpha, 'beta': beta}, shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, **kwargs):
    """Negative binomial draws."""
    return _draw('negative_binomial', {'k': k, 'p': p}, shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, **kwargs):
    """Generalized negative binomial draws."""
    return _draw('generalized_negative_binomial', {'mu': mu, 'alpha': alpha}, shape, dtype,
                 kwargs)


def _like(dist, names):
    def fn(data=None, *args, name=None, **kwargs):
        attrs = dict(zip(names, args))
        attrs.update(kwargs)
        return _call(f'_random_{dist}_like', (data,), dict(attrs, name=name))
    fn.__name__ = f'{dist}_like'
    fn.__doc__ = f'Draws of the {dist} distribution of ``data``\'s shape and dtype.'
    return fn


for _dist, _names in LIKE_PARAMS.items():
    globals()[f'{_dist}_like'] = _like(_dist, _names)


def multinomial(data, shape=None, get_prob=True, dtype='int32', **kwargs):
    """Draws from the categorical distributions in the last axis of ``data``.

    As in MXNet 1.x, the symbolic form gives by default two outputs, the draws and
    their log-probabilities (``get_prob=True``, where ``mx.nd.random.multinomial``
    has ``False``); pass ``get_prob=False`` for the draws alone.

    >>> import d2lmini as mx
    >>> len(mx.sym.random.multinomial(mx.sym.var('p'), shape=3).list_outputs())
    2
    """
    return _call('_sample_multinomial', (data,),
                 dict(kwargs, shape=() if shape is None else shape, get_prob=get_prob,
                      dtype=dtype))


def shuffle(data, **kwargs):
    """``data`` with its first axis shuffled."""
    return _call('_shuffle', (data,), kwargs)
