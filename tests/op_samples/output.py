"""Cases for d2lmini/ops/output.py."""
import numpy as np

from . import Case


def _logits_and_labels(rng):
    return [rng.normal(size=(3, 4)), np.array([0.0, 3.0, 1.0])]


CASES = {
    # Backward is the cross-entropy gradient, not the derivative of the output, so a
    # finite-difference check does not apply; tests/test_nn_ops.py checks it.
    'SoftmaxOutput': [Case(inputs=_logits_and_labels,
                           nondiff='backward is the cross-entropy gradient (tested elsewhere)')],
    '_backward_SoftmaxOutput': [
        Case(inputs=lambda rng: [rng.uniform(0.1, 0.4, size=(3, 4)), np.array([0.0, 3.0, 1.0]),
                                 rng.normal(size=(3, 4))],
             nondiff='internal backward of SoftmaxOutput')],
}
