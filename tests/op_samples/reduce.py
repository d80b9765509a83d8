"""Cases for d2lmini/ops/reduce.py."""
import numpy as np

from . import Case


def _distinct(*shape):
    """Values at least 0.05 apart, so that no small step changes which one is largest."""
    n = int(np.prod(shape))
    return lambda rng: [(rng.permutation(n) * 0.05 - 0.3).reshape(shape)]


def _away_from_zero(*shape):
    return lambda rng: [rng.uniform(0.2, 1.0, size=shape) * rng.choice([-1, 1], size=shape)]


def _with_nan(rng):
    x = rng.uniform(0.5, 1.5, size=(3, 4))
    x[1, 2] = x[0, 0] = np.nan
    return [x]


def _with_length(rng):
    return [rng.normal(size=(2, 3, 4)), np.array([[1, 4, 2], [3, 0, 4]], dtype=np.int32)]


_REDUCE = [Case(shapes=[(2, 3, 4)]),
           Case(shapes=[(2, 3, 4)], attrs=dict(axis=1)),
           Case(shapes=[(2, 3, 4)], attrs=dict(axis=(0, 2), keepdims=True)),
           Case(shapes=[(2, 3, 4)], attrs=dict(axis=-1, exclude=True))]

CASES = {
    'sum': _REDUCE,
    'mean': _REDUCE,
    '_square_sum': _REDUCE,
    'prod': [Case(shapes=[(2, 3, 4)], low=0.5, high=1.5),
             Case(shapes=[(2, 3, 4)], low=0.5, high=1.5, attrs=dict(axis=(0, 2)))],
    'nansum': [Case(inputs=_with_nan, attrs=dict(axis=1)), Case(inputs=_with_nan)],
    'nanprod': [Case(inputs=_with_nan, attrs=dict(axis=1)), Case(inputs=_with_nan)],
    'max': [Case(inputs=_distinct(2, 3, 4), attrs=dict(axis=1)),
            Case(inputs=_distinct(2, 3, 4))],
    'min': [Case(inputs=_distinct(2, 3, 4), attrs=dict(axis=(0, 2), keepdims=True)),
            Case(inputs=_distinct(3, 4), attrs=dict(axis=0, exclude=True))],
    'norm': [Case(shapes=[(2, 3, 4)]),
             Case(shapes=[(2, 3, 4)], attrs=dict(axis=1, keepdims=True)),
             Case(inputs=_away_from_zero(3, 4), attrs=dict(ord=1, axis=(0, 1)))],
    'argmax': [Case(inputs=_distinct(3, 4), attrs=dict(axis=1)),
               Case(inputs=_distinct(3, 4))],
    'argmin': [Case(inputs=_distinct(3, 4), attrs=dict(axis=0, keepdims=True))],
    'argmax_channel': [Case(inputs=_distinct(3, 4))],
    'softmax': [Case(shapes=[(3, 4)]),
                Case(shapes=[(2, 3, 4)], attrs=dict(axis=1, temperature=2.0)),
                Case(inputs=_with_length, attrs=dict(use_length=True), wrt=[0])],
    'log_softmax': [Case(shapes=[(3, 4)]),
                    Case(shapes=[(2, 3, 4)], attrs=dict(axis=0, temperature=0.5))],
    'softmin': [Case(shapes=[(3, 4)], attrs=dict(temperature=3.0))],
}
