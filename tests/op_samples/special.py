"""Cases for d2lmini/ops/special.py: away from the poles of gamma (0, -1, ...)."""
from . import Case

CASES = {
    'gamma': [Case(shapes=[(2, 3)], low=0.3, high=4.0),
              Case(shapes=[(3,)], low=-0.9, high=-0.1)],
    'gammaln': [Case(shapes=[(2, 3)], low=0.3, high=6.0),
                Case(shapes=[(3,)], low=-1.9, high=-1.1)],
    '_polygamma': [Case(shapes=[(4,)], low=0.5, high=5.0),
                   Case(shapes=[(3,)], low=1.0, high=30.0, attrs=dict(n=1))],
    'erfinv': [Case(shapes=[(2, 3)], low=-0.8, high=0.8)],
}
