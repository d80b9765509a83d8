"""Cases for d2lmini/ops/multi_tensor.py."""
import numpy as np

from . import Case

CASES = {
    'all_finite': [Case(shapes=[(2, 3)], nondiff='a flag'),
                   Case(inputs=lambda rng: [np.array([1.0, np.inf])], nondiff='a flag')],
    'multi_all_finite': [Case(shapes=[(2,), (3, 1)], attrs=dict(num_arrays=2),
                              nondiff='a flag')],
    'multi_sum_sq': [Case(shapes=[(2,), (2, 3)], attrs=dict(num_arrays=2))],
    'multi_lars': [Case(inputs=lambda rng: [rng.uniform(0.1, 1, (3,)), rng.uniform(0, 4, (3,)),
                                            rng.uniform(0, 4, (3,)), rng.uniform(0, 0.1, (3,))],
                        attrs=dict(eta=0.5, eps=1e-3), nondiff='learning rates for an update')],
}
