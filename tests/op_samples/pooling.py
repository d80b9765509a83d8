"""Cases for d2lmini/ops/pooling.py."""
import numpy as np

from . import Case


def _distinct(shape):
    """Values at least 0.01 apart, so that no perturbation changes which one is largest."""
    return lambda rng: [(rng.permutation(int(np.prod(shape))) * 0.01 - 0.5).reshape(shape)]


CASES = {
    'Pooling': [
        Case(inputs=_distinct((2, 2, 5, 5)), attrs=dict(kernel=(2, 2), stride=(2, 2))),
        Case(inputs=_distinct((1, 2, 5, 6)),
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention='full')),
        Case(inputs=_distinct((2, 2, 7)), attrs=dict(kernel=(3,), stride=(2,), pad=(1,))),
        Case(inputs=_distinct((1, 2, 3, 3)), attrs=dict(global_pool=True)),
        Case(shapes=[(2, 2, 5, 5)], attrs=dict(kernel=(2, 2), pool_type='avg')),
        Case(shapes=[(1, 2, 5, 6)],
             attrs=dict(kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type='avg',
                        pooling_convention='full', count_include_pad=False)),
        Case(shapes=[(2, 2, 6)], attrs=dict(kernel=(2,), stride=(2,), pool_type='sum')),
        Case(shapes=[(1, 2, 4, 4)], attrs=dict(global_pool=True, pool_type='avg')),
        Case(shapes=[(1, 2, 4, 4)], low=0.5, high=1.5,
             attrs=dict(kernel=(2, 2), pool_type='lp', p_value=2)),
        Case(shapes=[(1, 2, 4, 4)], low=0.5, high=1.5,
             attrs=dict(kernel=(2, 2), stride=(2, 1), pool_type='lp', p_value=3)),
        Case(shapes=[(1, 2, 4)], attrs=dict(kernel=(2,), pool_type='lp', p_value=1)),
        Case(inputs=_distinct((1, 1, 3, 4, 4)), attrs=dict(kernel=(2, 2, 2), stride=(1, 2, 2))),
    ],
    '_backward_Pooling': [
        Case(shapes=[(1, 2, 2, 2), (1, 2, 4, 4), (1, 2, 2, 2)],
             attrs=dict(kernel=(2, 2), stride=(2, 2)), nondiff='internal backward'),
        Case(shapes=[(1, 2, 3, 3), (1, 2, 4, 4), (1, 2, 3, 3)],
             attrs=dict(kernel=(2, 2), pool_type='avg'), nondiff='internal backward'),
    ],
}
