"""Cases for d2lmini/ops/fully_connected.py."""
from . import Case

CASES = {
    'FullyConnected': [
        Case(shapes=[(3, 4), (5, 4), (5,)], attrs=dict(num_hidden=5)),
        Case(shapes=[(2, 3, 2, 2), (4, 12), (4,)], attrs=dict(num_hidden=4)),
        Case(shapes=[(2, 3, 4), (5, 4), (5,)], attrs=dict(num_hidden=5, flatten=False)),
        Case(shapes=[(3, 4), (2, 4)], attrs=dict(num_hidden=2, no_bias=True)),
        Case(shapes=[(4,), (3, 4)], attrs=dict(num_hidden=3, no_bias=True, flatten=False)),
    ],
    '_fc_data_grad': [
        Case(shapes=[(2, 4), (4, 6)], attrs=dict(data_shape=(2, 3, 2))),
        Case(shapes=[(2, 3, 4), (4, 5)], attrs=dict(flatten=False, data_shape=(2, 3, 5))),
    ],
    '_fc_weight_grad': [
        Case(shapes=[(2, 4), (2, 3, 2)]),
        Case(shapes=[(2, 3, 4), (2, 3, 5)], attrs=dict(flatten=False)),
    ],
}
