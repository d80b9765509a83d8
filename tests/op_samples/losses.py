"""Cases for d2lmini/ops/losses.py."""
import numpy as np

from . import Case

CASES = {
    # values away from the kinks at 1 / scalar^2
    'smooth_l1': [Case(inputs=lambda rng: [np.array([-1.5, -0.6, -0.1, 0.05, 0.12, 0.7, 2.0])],
                       attrs=dict(scalar=2.0)),
                  Case(inputs=lambda rng: [np.array([[-2.0, -0.5], [0.3, 1.7]])])],
    'softmax_cross_entropy': [Case(inputs=lambda rng: [rng.normal(size=(3, 4)),
                                                       np.array([0.0, 3.0, 1.0])], wrt=[0])],
    'make_loss': [Case(shapes=[(2, 3)], nondiff='backward is one whatever the head gradient: '
                                                 'the gradient of a loss')],
}
