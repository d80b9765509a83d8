"""Cases for d2lmini/ops/linalg.py."""
import numpy as np

from . import Case

CASES = {
    'dot': [Case(shapes=[(2, 3), (3, 4)]),
            Case(shapes=[(3, 2), (3, 4)], attrs=dict(transpose_a=True)),
            Case(shapes=[(2, 3), (4, 3)], attrs=dict(transpose_b=True)),
            Case(shapes=[(3, 2), (4, 3)], attrs=dict(transpose_a=True, transpose_b=True)),
            Case(shapes=[(2, 3, 4), (4, 5)]),
            Case(shapes=[(2, 3, 4), (2, 5)], attrs=dict(transpose_a=True)),
            Case(shapes=[(3, 4), (2, 3, 4)], attrs=dict(transpose_b=True)),
            Case(shapes=[(3,), (3, 2)]),
            Case(shapes=[(3,), (3,)])],
    'batch_dot': [Case(shapes=[(2, 3, 4), (2, 4, 5)]),
                  Case(shapes=[(2, 4, 3), (2, 4, 5)], attrs=dict(transpose_a=True)),
                  Case(shapes=[(2, 3, 4), (2, 5, 4)], attrs=dict(transpose_b=True)),
                  Case(shapes=[(2, 4, 3), (2, 5, 4)],
                       attrs=dict(transpose_a=True, transpose_b=True)),
                  Case(shapes=[(2, 2, 3, 4), (2, 2, 4, 1)])],
}


def _spd(n, batch=()):
    def make(rng):
        m = rng.uniform(-1, 1, batch + (n, n))
        return [m @ np.swapaxes(m, -1, -2) + n * np.eye(n)]
    return make


def _tri(n, batch=(), lower=True, extra=None):
    """A well-conditioned triangular matrix (the other triangle is noise that the
    operator must ignore), then more inputs."""
    def make(rng):
        t = rng.uniform(-0.5, 0.5, batch + (n, n)) + 2 * np.eye(n)
        return [t] + [rng.uniform(-1, 1, s) for s in (extra or [])]
    return make


CASES.update({
    '_linalg_gemm': [Case(shapes=[(2, 3), (3, 4), (2, 4)], attrs=dict(alpha=1.5, beta=-0.5)),
                     Case(shapes=[(2, 3, 2), (2, 4, 3), (2, 2, 4)],
                          attrs=dict(transpose_a=True, transpose_b=True)),
                     Case(shapes=[(3, 2, 4), (4, 2, 5), (3, 2, 5)], attrs=dict(axis=0))],
    '_linalg_gemm2': [Case(shapes=[(2, 3), (3, 4)], attrs=dict(alpha=2.0)),
                      Case(shapes=[(2, 3, 2), (2, 3, 4)], attrs=dict(transpose_a=True)),
                      Case(shapes=[(2, 2, 3), (2, 4, 3)], attrs=dict(transpose_b=True)),
                      Case(shapes=[(3, 2, 4), (4, 2, 5)], attrs=dict(axis=0))],
    '_linalg_potrf': [Case(inputs=_spd(3)), Case(inputs=_spd(2, (2,)))],
    '_linalg_potri': [Case(inputs=_tri(3)), Case(inputs=_tri(2, (2,)))],
    '_linalg_trsm': [Case(inputs=_tri(3, extra=[(3, 2)]), attrs=dict(alpha=1.5)),
                     Case(inputs=_tri(3, (2,), extra=[(2, 2, 3)]),
                          attrs=dict(rightside=True, transpose=True, lower=False))],
    '_linalg_trmm': [Case(inputs=_tri(3, extra=[(3, 2)]), attrs=dict(alpha=0.5)),
                     Case(inputs=_tri(3, (2,), extra=[(2, 2, 3)]),
                          attrs=dict(rightside=True, transpose=True, lower=False))],
    '_linalg_sumlogdiag': [Case(inputs=_spd(3)), Case(inputs=_spd(2, (2,)))],
    '_linalg_syrk': [Case(shapes=[(2, 3)], attrs=dict(alpha=2.0)),
                     Case(shapes=[(2, 2, 3)], attrs=dict(transpose=True))],
    '_linalg_gelqf': [Case(inputs=lambda rng: [rng.uniform(-1, 1, (2, 3)) + np.eye(2, 3)]),
                      Case(inputs=lambda rng: [rng.uniform(-1, 1, (2, 2, 2)) + 2 * np.eye(2)])],
    '_linalg_syevd': [Case(inputs=lambda rng: [np.diag([1.0, 2.5, 4.0])
                                               + 0.2 * _spd(3)(rng)[0]])],
    '_linalg_inverse': [Case(inputs=lambda rng: [rng.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)])],
    '_linalg_det': [Case(inputs=lambda rng: [rng.uniform(-1, 1, (3, 3)) + 2 * np.eye(3)]),
                    Case(inputs=lambda rng: [rng.uniform(-1, 1, (2, 2, 2)) + 2 * np.eye(2)])],
    '_linalg_slogdet': [Case(inputs=lambda rng: [rng.uniform(-1, 1, (2, 3, 3)) - 2 * np.eye(3)])],
    '_linalg_extractdiag': [Case(shapes=[(2, 3, 3)], attrs=dict(offset=-1))],
    '_linalg_makediag': [Case(shapes=[(2, 3)], attrs=dict(offset=1))],
    '_linalg_extracttrian': [Case(shapes=[(2, 3, 3)]),
                             Case(shapes=[(3, 3)], attrs=dict(lower=False)),
                             Case(shapes=[(4, 4)], attrs=dict(offset=1))],
    '_linalg_maketrian': [Case(shapes=[(2, 6)]), Case(shapes=[(6,)], attrs=dict(lower=False)),
                          Case(shapes=[(6,)], attrs=dict(offset=-1))],
    'khatri_rao': [Case(shapes=[(2, 3), (3, 3)]), Case(shapes=[(2, 2), (1, 2), (3, 2)])],
})
