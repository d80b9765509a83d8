"""Cases for d2lmini/ops/random.py. Draws have no gradient: only forward runs."""
import numpy as np

from . import Case

_DRAW = 'random draws have no gradient'


def _drawn(**attrs):
    return [Case(ctx_free=True, nondiff=_DRAW, seed=0, attrs=attrs)]


def _positive(*shapes):
    return lambda rng: [rng.uniform(0.5, 2.0, size=s) for s in shapes]


def _probabilities(rng):
    return [np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])]


CASES = {
    '_random_uniform': _drawn(low=-1.0, high=2.0, shape=(2, 3)),
    '_random_normal': _drawn(loc=1.0, scale=2.0, shape=(4,), dtype='float64'),
    '_random_randint': _drawn(low=-3, high=5, shape=(2, 2), dtype='int64'),
    '_random_exponential': _drawn(lam=2.0, shape=(3,)),
    '_random_poisson': _drawn(lam=4.0, shape=(3,)),
    '_random_gamma': _drawn(alpha=2.0, beta=0.5, shape=(3,), dtype='float16'),
    '_sample_uniform': [Case(inputs=lambda rng: [np.zeros(3), np.ones(3)], nondiff=_DRAW,
                             seed=0, attrs=dict(shape=(2,)))],
    '_sample_normal': [Case(inputs=_positive((2, 2), (2, 2)), nondiff=_DRAW, seed=0)],
    '_sample_exponential': [Case(inputs=_positive((3,)), nondiff=_DRAW, seed=0,
                                 attrs=dict(shape=4))],
    '_sample_poisson': [Case(inputs=_positive((3,)), nondiff=_DRAW, seed=0,
                             attrs=dict(shape=(2, 2)))],
    '_sample_gamma': [Case(inputs=_positive((3,), (3,)), nondiff=_DRAW, seed=0)],
    '_shuffle': [Case(shapes=[(5, 2)], seed=0), Case(shapes=[(4,)], seed=3)],
    '_sample_multinomial': [
        Case(inputs=_probabilities, seed=0, attrs=dict(shape=(4,), get_prob=True)),
        Case(inputs=_probabilities, seed=0, attrs=dict(shape=2),
             nondiff='the drawn indices alone have no gradient')],
    '_backward_sample_multinomial': [
        Case(inputs=lambda rng: [rng.normal(size=(2, 3)), np.array([[0, 2, 2], [1, 1, 0]]),
                                 rng.uniform(0.1, 1.0, size=(2, 4))], wrt=[0, 2])],
    '_random_negative_binomial': _drawn(k=3, p=0.4, shape=(3,)),
    '_random_generalized_negative_binomial': _drawn(mu=2.0, alpha=0.5, shape=(2, 2),
                                                    dtype='float64'),
    '_sample_negative_binomial': [Case(inputs=lambda rng: [np.array([1.0, 3.0]),
                                                           np.array([0.5, 0.2])],
                                       nondiff=_DRAW, seed=0, attrs=dict(shape=(2,)))],
    '_sample_generalized_negative_binomial': [
        Case(inputs=lambda rng: [np.array([1.0, 3.0]), np.array([0.0, 0.5])], nondiff=_DRAW,
             seed=0)],
    '_random_uniform_like': [Case(shapes=[(2, 3)], nondiff=_DRAW, seed=0,
                                  attrs=dict(low=-1.0, high=2.0))],
    '_random_normal_like': [Case(shapes=[(4,)], nondiff=_DRAW, seed=0)],
    '_random_gamma_like': [Case(shapes=[(3,)], nondiff=_DRAW, seed=0, attrs=dict(alpha=2.0))],
    '_random_exponential_like': [Case(shapes=[(3,)], nondiff=_DRAW, seed=0,
                                      attrs=dict(lam=2.0))],
    '_random_poisson_like': [Case(shapes=[(3,)], nondiff=_DRAW, seed=0, attrs=dict(lam=4.0))],
    '_random_negative_binomial_like': [Case(shapes=[(3,)], nondiff=_DRAW, seed=0,
                                            attrs=dict(k=2, p=0.5))],
    '_random_generalized_negative_binomial_like': [Case(shapes=[(3,)], nondiff=_DRAW, seed=0)],
}
