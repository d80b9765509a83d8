"""Cases for d2lmini/ops/stats.py."""
import numpy as np

from . import Case

CASES = {
    'moments': [Case(shapes=[(2, 3)], attrs=dict(axes=(1,))),
                Case(shapes=[(2, 3, 4)], attrs=dict(axes=(0, 2), keepdims=True))],
    'cumsum': [Case(shapes=[(2, 3)], attrs=dict(axis=1)), Case(shapes=[(2, 3)]),
               Case(shapes=[(3, 2)], attrs=dict(axis=0, dtype='float64'))],
    '_histogram': [Case(inputs=lambda rng: [rng.uniform(0, 5, (10,)), np.array([0., 1, 2.5, 5])],
                        nondiff='counts are piecewise constant'),
                   Case(shapes=[(3, 4)], attrs=dict(bin_cnt=4, range=(-1, 1)),
                        nondiff='counts are piecewise constant')],
}
