"""Cases for d2lmini/ops/embedding.py. Index 4 and 1 repeat, so the weight
gradient must add up the contributions of repeated rows."""
import numpy as np

from . import Case

_INDICES = np.array([[0.0, 2.0, 4.0], [4.0, 1.0, 1.0]])
_DIMS = dict(input_dim=5, output_dim=3)

CASES = {
    'Embedding': [Case(inputs=lambda rng: [_INDICES, rng.normal(size=(5, 3))], attrs=_DIMS,
                       wrt=[1])],
    '_backward_Embedding': [Case(inputs=lambda rng: [rng.normal(size=(2, 3, 3)), _INDICES],
                                 attrs=_DIMS, wrt=[0])],
}
