"""Cases for d2lmini/ops/creation.py and d2lmini/ops/indexing.py."""
import numpy as np

from . import Case

_MADE = 'creates an array from attributes only'
CASES = {
    '_zeros': [Case(ctx_free=True, nondiff=_MADE, attrs=dict(shape=(2, 3)))],
    '_ones': [Case(ctx_free=True, nondiff=_MADE, attrs=dict(shape=(2, 3), dtype='int32'))],
    '_full': [Case(ctx_free=True, nondiff=_MADE, attrs=dict(shape=(2,), value=3.5))],
    '_arange': [Case(ctx_free=True, nondiff=_MADE, attrs=dict(start=1, stop=7, step=2,
                                                               repeat=2))],
    '_eye': [Case(ctx_free=True, nondiff=_MADE, attrs=dict(N=3, M=4, k=1))],
    '_linspace': [Case(ctx_free=True, nondiff=_MADE, attrs=dict(start=0, stop=1, num=5))],
    'zeros_like': [Case(shapes=[(2, 3)])],
    'ones_like': [Case(shapes=[(2, 3)])],
    '_getitem': [Case(shapes=[(4, 5)], attrs=dict(key=1)),
                 Case(shapes=[(4, 5)], attrs=dict(key=(slice(1, 3), slice(None, None, 2)))),
                 Case(shapes=[(4, 5)], attrs=dict(key=(np.array([0, 2, 2]),)))],
    '_index_scatter': [Case(shapes=[(2, 5), (4, 5)], attrs=dict(key=slice(1, 3)), wrt=[0]),
                       Case(shapes=[(3, 5), (4, 5)], attrs=dict(key=np.array([0, 2, 2])),
                            wrt=[0])],
    '_setitem': [Case(shapes=[(4, 5), (2, 5)], attrs=dict(key=slice(1, 3))),
                 Case(shapes=[(4, 5), (1,)], attrs=dict(key=(slice(None), 2)))],
    # positions 1, 3, 4 of a (2, 3) array take positions 0, 2, 1 of a (4,) value
    '_overlay': [Case(shapes=[(2, 3), (4,)],
                      attrs=dict(dst=np.array([1, 3, 4]), src=np.array([0, 2, 1])))],
    '_flat_zero': [Case(shapes=[(2, 3)], attrs=dict(index=np.array([0, 5])))],
    '_flat_move': [Case(shapes=[(2, 3), (4,)], wrt=[0],
                        attrs=dict(src=np.array([1, 3, 4]), dst=np.array([0, 2, 1])))],
    '_copyto': [Case(shapes=[(2, 3)])],
    '_copy': [Case(shapes=[(2, 3)])],
    'Cast': [Case(shapes=[(2, 3)], attrs=dict(dtype='float64'))],
    'BlockGrad': [Case(shapes=[(2, 3)], nondiff='stops gradients by design')],
}
