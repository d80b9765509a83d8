"""Cases for d2lmini/ops/contrib.py."""
import numpy as np

from . import Case

_SPECIAL = lambda rng: [np.array([1.0, np.inf, -np.inf, np.nan, -2.0])]

CASES = {
    '_contrib_isinf': [Case(inputs=_SPECIAL, nondiff='a 0/1 test')],
    '_contrib_isnan': [Case(inputs=_SPECIAL, nondiff='a 0/1 test')],
    '_contrib_isfinite': [Case(inputs=_SPECIAL, nondiff='a 0/1 test')],
    '_contrib_BilinearResize2D': [
        Case(shapes=[(2, 1, 2, 3)], attrs=dict(height=3, width=5)),
        Case(shapes=[(1, 2, 3, 3)], attrs=dict(height=2, width=4, align_corners=False)),
        Case(shapes=[(1, 1, 2, 3)], attrs=dict(scale_height=2.0, scale_width=1.5)),
        Case(shapes=[(1, 1, 2, 2), (1, 1, 3, 4)], attrs=dict(mode='like'), wrt=[0])],
    '_backward_contrib_BilinearResize2D': [
        Case(shapes=[(2, 1, 3, 5), (2, 1, 2, 3)], wrt=[0]),
        Case(shapes=[(1, 1, 2, 4), (1, 1, 3, 3)], attrs=dict(align_corners=False), wrt=[0])],
    '_contrib_arange_like': [Case(shapes=[(2, 3)], nondiff='values do not depend on data'),
                             Case(shapes=[(2, 3)], nondiff='values do not depend on data',
                                  attrs=dict(start=1.0, step=2.0, repeat=2, axis=1))],
    '_contrib_index_copy': [Case(inputs=lambda rng: [rng.uniform(-1, 1, (4, 2)),
                                                     np.array([2.0, 0.0]),
                                                     rng.uniform(-1, 1, (2, 2))], wrt=[0, 2])],
}
