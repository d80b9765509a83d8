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

_STE = 'straight-through: the gradient is the identity by definition, not the derivative'
CASES.update({
    '_contrib_AdaptiveAvgPooling2D': [
        Case(shapes=[(2, 2, 5, 7)], attrs=dict(output_size=(2, 3))),
        Case(shapes=[(1, 1, 3, 3)]),
        Case(shapes=[(1, 2, 3, 2)], attrs=dict(output_size=4))],
    '_backward_contrib_AdaptiveAvgPooling2D': [
        Case(shapes=[(2, 2, 2, 3), (2, 2, 5, 7)], wrt=[0])],
    '_contrib_index_array': [
        Case(shapes=[(2, 3)], nondiff='indices do not depend on data'),
        Case(shapes=[(2, 3, 2)], attrs=dict(axes=(2, 0)), nondiff='indices do not depend on data')],
    '_contrib_div_sqrt_dim': [Case(shapes=[(2, 3, 4)])],
    '_contrib_allclose': [
        Case(shapes=[(2, 3), (2, 3)], nondiff='a 0/1 test'),
        Case(inputs=lambda rng: [np.ones(3), np.ones(3) + 1e-9], attrs=dict(rtol=1e-3, atol=0.0,
                                                                            equal_nan=False),
             nondiff='a 0/1 test')],
    '_contrib_gradientmultiplier': [Case(shapes=[(2, 3)]),
                                    Case(shapes=[(2, 3)], attrs=dict(scalar=-0.5), nondiff=_STE)],
    '_contrib_quadratic': [Case(shapes=[(2, 3)], attrs=dict(a=1.5, b=-2.0, c=0.5))],
    '_contrib_round_ste': [Case(shapes=[(2, 3)], low=-3, high=3, nondiff=_STE)],
    '_contrib_sign_ste': [Case(shapes=[(2, 3)], nondiff=_STE)],
})
