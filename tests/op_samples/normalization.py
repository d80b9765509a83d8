"""Cases for d2lmini/ops/normalization.py."""
from . import Case


def _bn_inputs(shape, channels):
    def make(rng):
        return [rng.normal(0.5, 2.0, size=shape),            # data
                rng.uniform(0.5, 1.5, size=(channels,)),     # gamma
                rng.normal(size=(channels,)),                # beta
                rng.normal(size=(channels,)),                # moving_mean
                rng.uniform(0.5, 2.0, size=(channels,))]     # moving_var
    return make


def _bn(train, shape=(4, 3, 2, 2), channels=3, **attrs):
    return Case(inputs=_bn_inputs(shape, channels), attrs=attrs, train=train, wrt=[0, 1, 2])


_INTERNAL = 'internal backward, checked through the public operator'

CASES = {
    'BatchNorm': [
        _bn(True, fix_gamma=False),
        _bn(True),                                   # fix_gamma=True: gamma's gradient is 0
        _bn(False, fix_gamma=False),                 # running statistics
        _bn(True, fix_gamma=False, use_global_stats=True),
        _bn(True, shape=(5, 3), fix_gamma=False, axis=-1, eps=1e-5),
    ],
    '_backward_BatchNorm': [Case(shapes=[(2, 3, 2), (2, 3, 2), (3,), (3,), (3,), (1,), (3,), (3,)],
                                 low=0.5, high=1.5, nondiff=_INTERNAL)],
    'LayerNorm': [Case(shapes=[(2, 3, 4), (4,), (4,)], low=-2.0, high=2.0),
                  Case(shapes=[(2, 3, 4), (3,), (3,)], low=-2.0, high=2.0,
                       attrs=dict(axis=1, eps=1e-3))],
    '_backward_LayerNorm': [Case(shapes=[(2, 3), (2, 3), (3,), (2, 1), (2, 1)], low=0.5,
                                 high=1.5, nondiff=_INTERNAL)],
    'InstanceNorm': [Case(shapes=[(2, 3, 4), (3,), (3,)], low=-2.0, high=2.0),
                     Case(shapes=[(2, 2, 3, 2), (2,), (2,)], low=-2.0, high=2.0,
                          attrs=dict(eps=1e-2))],
    '_backward_InstanceNorm': [Case(shapes=[(2, 3, 4), (2, 3, 4), (3,), (2, 3, 1), (2, 3, 1)],
                                    low=0.5, high=1.5, nondiff=_INTERNAL)],
}
