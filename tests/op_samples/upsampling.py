"""Cases for d2lmini/ops/upsampling.py."""
from . import Case

_NEAREST = dict(sample_type='nearest')

CASES = {
    'UpSampling': [
        Case(shapes=[(2, 2, 3, 2)], attrs=dict(scale=2, **_NEAREST)),
        Case(shapes=[(1, 1, 2, 2)], attrs=dict(scale=3, **_NEAREST)),
        # the second input is already at the output size (its factor is 1)
        Case(shapes=[(1, 2, 2, 3), (1, 1, 4, 6)], attrs=dict(scale=2, num_args=2, **_NEAREST)),
        Case(shapes=[(1, 2, 2, 2), (1, 2, 1, 1)],
             attrs=dict(scale=2, num_args=2, multi_input_mode='sum', **_NEAREST)),
    ],
    # the inputs after the output gradient give only their shapes: their gradient is 0
    '_backward_UpSampling': [Case(shapes=[(1, 3, 4, 6), (1, 2, 2, 3), (1, 1, 4, 6)],
                                  attrs=dict(scale=2)),
                             Case(shapes=[(1, 2, 4, 4), (1, 2, 2, 2), (1, 2, 1, 1)],
                                  attrs=dict(scale=2, multi_input_mode='sum')),
                             Case(shapes=[(2, 1, 6, 3), (2, 1, 2, 1)], attrs=dict(scale=3))],
}
