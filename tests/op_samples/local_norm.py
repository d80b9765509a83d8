"""Cases for d2lmini/ops/local_norm.py."""
from . import Case

CASES = {
    '_lrn_window_sum': [Case(shapes=[(1, 4, 2, 1)], attrs=dict(nsize=3)),
                        Case(shapes=[(2, 6, 1, 2)], attrs=dict(nsize=5))],
    'LRN': [Case(shapes=[(2, 5, 2, 2)], attrs=dict(alpha=0.1, beta=0.75, knorm=2.0, nsize=3)),
            Case(shapes=[(1, 3, 2, 1)], attrs=dict(nsize=5, alpha=0.5))],
    'L2Normalization': [Case(shapes=[(2, 3, 2, 2)], low=0.1, attrs=dict(mode=m, eps=1e-3))
                        for m in ('instance', 'channel', 'spatial')]
                       + [Case(shapes=[(3, 4)])],
    'SoftmaxActivation': [Case(shapes=[(2, 3, 4)]), Case(shapes=[(2, 3)]),
                          Case(shapes=[(2, 3, 2)], attrs=dict(mode='channel'))],
}
