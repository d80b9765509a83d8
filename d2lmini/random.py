"""``mx.random``: the random draws of ``mx.nd.random`` plus :func:`seed`, which makes
them (and everything else that draws, such as dropout) repeat.

>>> import d2lmini as mx
>>> mx.random.seed(0)
>>> mx.random.uniform(shape=(2, 2)).shape
(2, 2)
"""
from .ndarray.random import (uniform, normal, randn, randint, exponential,  # noqa: F401
                             poisson, gamma, negative_binomial, generalized_negative_binomial,
                             multinomial, shuffle, seed)

__all__ = ['uniform', 'normal', 'randn', 'randint', 'exponential', 'poisson', 'gamma',
           'negative_binomial', 'generalized_negative_binomial', 'multinomial', 'shuffle',
           'seed']
