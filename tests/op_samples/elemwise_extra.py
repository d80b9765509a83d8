"""Cases for the operators appended to d2lmini/ops/elemwise.py (rcbrt, logical_not,
hard_sigmoid), kept apart from the elemwise cases being edited elsewhere."""
from . import Case

CASES = {
    'rcbrt': [Case(shapes=[(2, 3)], low=0.5, high=3.0),
              Case(shapes=[(3,)], low=-3.0, high=-0.5)],
    'logical_not': [Case(shapes=[(2, 3)])],
    # away from the kinks at alpha * x + beta = 0 and 1 (x = -2.5 and 2.5)
    'hard_sigmoid': [Case(shapes=[(2, 3)], low=-2.0, high=2.0),
                     Case(shapes=[(4,)], low=2.7, high=4.0),
                     Case(shapes=[(4,)], low=-1.5, high=1.5, attrs=dict(alpha=0.5, beta=0.4))],
}
