"""Cases for d2lmini/ops/linalg.py."""
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
