"""Cases for d2lmini/ops/densities.py: parameters inside their domains; discrete
samples are whole numbers (their gradient is zero by definition)."""
import numpy as np

from . import Case


def _make(sample, *params):
    return lambda rng: [sample(rng)] + [p(rng) for p in params]


_pos = lambda lo, hi, shape: (lambda rng: rng.uniform(lo, hi, shape))   # noqa: E731
_counts = lambda rng: rng.integers(0, 5, (2, 3)).astype(np.float64)      # noqa: E731

CASES = {
    '_random_pdf_normal': [Case(inputs=_make(_pos(-1, 1, (2, 3)), _pos(-1, 1, (2,)),
                                             _pos(0.5, 2, (2,)))),
                           Case(inputs=_make(_pos(-1, 1, (2,)), _pos(-1, 1, (2,)),
                                             _pos(0.5, 2, (2,))), attrs=dict(is_log=True))],
    '_random_pdf_uniform': [Case(inputs=_make(_pos(0, 1, (2, 3)), _pos(-1, 0, (2,)),
                                              _pos(1, 2, (2,))))],
    '_random_pdf_gamma': [Case(inputs=_make(_pos(0.5, 2, (2, 3)), _pos(1, 3, (2,)),
                                            _pos(0.5, 2, (2,)))),
                          Case(inputs=_make(_pos(0.5, 2, (2, 3)), _pos(1, 3, (2,)),
                                            _pos(0.5, 2, (2,))), attrs=dict(is_log=True))],
    '_random_pdf_exponential': [Case(inputs=_make(_pos(0, 2, (2, 3)), _pos(0.5, 2, (2,))))],
    '_random_pdf_poisson': [Case(inputs=_make(_counts, _pos(0.5, 3, (2,))), wrt=[1])],
    '_random_pdf_negative_binomial': [Case(inputs=_make(_counts, _pos(1, 4, (2,)),
                                                        _pos(0.2, 0.8, (2,))), wrt=[1, 2])],
    '_random_pdf_generalized_negative_binomial': [
        Case(inputs=_make(_counts, _pos(0.5, 3, (2,)), _pos(0.2, 1, (2,))), wrt=[1, 2]),
        Case(inputs=_make(_counts, _pos(0.5, 3, (2,)), _pos(0.2, 1, (2,))), wrt=[1, 2],
             attrs=dict(is_log=True))],
    '_random_pdf_dirichlet': [Case(inputs=lambda rng: [
        rng.dirichlet([2, 3, 4], size=(2, 2)), rng.uniform(1, 3, (2, 3))])],
}
