"""Cases for the boolean-mask operators of d2lmini/ops/indexing.py (the cases of the
other indexing operators are in creation.py); the index input has no gradient.
``_contrib_boolean_mask`` keeps the rows its index marks, so the number of rows of its
output depends on values: it declares that dimension unknown (0, as MXNet 1.x does)."""
import numpy as np

from . import Case


def _masked(data_shape, index):
    return lambda rng: [rng.uniform(-1, 1, size=data_shape), np.array(index, dtype=np.float64)]


CASES = {
    '_contrib_boolean_mask': [
        Case(inputs=_masked((4, 3), [0, 1, 0, 2]), wrt=[0], value_shaped=True),
        Case(inputs=_masked((3, 2, 2), [1, 1, 1]), wrt=[0], value_shaped=True),
        Case(inputs=_masked((3, 2), [0, 0, 0]), wrt=[0], value_shaped=True)],
    '_backward_contrib_boolean_mask': [
        Case(inputs=lambda rng: [rng.uniform(-1, 1, size=(2, 3)),
                                 rng.uniform(-1, 1, size=(4, 3)),
                                 np.array([0.0, 1.0, 0.0, 3.0])], wrt=[0])],
}
