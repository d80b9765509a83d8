"""Cases for d2lmini/ops/dropout.py. ``seed`` makes every evaluation of the
finite differences draw the same mask."""
from . import Case

CASES = {
    'Dropout': [
        Case(shapes=[(4, 5)], attrs=dict(p=0.3), seed=3),
        Case(shapes=[(2, 3, 4)], attrs=dict(p=0.5, axes=(1,)), seed=4),
        Case(shapes=[(3, 4)], attrs=dict(p=0.4, mode='always'), seed=5, train=False),
        Case(shapes=[(3, 4)], attrs=dict(p=0.5), train=False),      # identity
    ],
}
