"""Cases for d2lmini/ops/sort.py."""
import numpy as np

from . import Case


def _with_index(shape, index):
    """A random float input and a fixed index array (int64, so it is not differentiated)."""
    return lambda rng: [rng.normal(size=shape), np.array(index)]


def _grad_data_index(gshape, dshape, index):
    """Inputs of an internal backward operator: output gradient, input, index."""
    return lambda rng: [rng.normal(size=gshape), rng.normal(size=dshape), np.array(index)]


def _condition(cond, shape):
    return lambda rng: [np.array(cond, dtype=np.float64), rng.normal(size=shape),
                        rng.normal(size=shape)]


_NO_GRAD = 'returns indices or integers: piecewise constant, no gradient'
CASES = {
    'slice': [Case(shapes=[(3, 4, 2)], attrs=dict(begin=(0, 1), end=(2, None))),
              Case(shapes=[(3, 4)], attrs=dict(begin=(None, 3), end=(None, 0), step=(2, -2)))],
    'slice_axis': [Case(shapes=[(3, 4)], attrs=dict(axis=1, begin=1, end=None)),
                   Case(shapes=[(3, 4)], attrs=dict(axis=-2, begin=-2, end=-1))],
    'slice_like': [Case(shapes=[(3, 4), (2, 2)], wrt=[0]),
                   Case(shapes=[(3, 4), (1, 2)], attrs=dict(axes=(-1,)), wrt=[0])],
    'take': [Case(inputs=_with_index((4, 3), [[0, 3], [3, 3]])),
             Case(inputs=lambda rng: [rng.normal(size=(2, 4)), np.array([1.7, -1.0, 5.0])],
                  attrs=dict(axis=1), wrt=[0]),
             Case(inputs=_with_index((2, 4), [-1, 5, 1]), attrs=dict(axis=-1, mode='wrap'))],
    '_backward_take': [Case(inputs=_grad_data_index((2, 3), (4, 3), [1, 1]), wrt=[0]),
                       Case(inputs=_grad_data_index((2, 2, 2), (2, 4), [[0, 3], [3, 3]]),
                            attrs=dict(axis=1), wrt=[0])],
    'pick': [Case(inputs=_with_index((2, 3), [0, 2])),
             Case(inputs=_with_index((2, 3, 4), [[0, 1, 2, 3], [1, 1, 1, 5]]),
                  attrs=dict(axis=1, keepdims=True, mode='wrap'))],
    '_backward_pick': [Case(inputs=_grad_data_index((2,), (2, 3), [0, 2]), wrt=[0]),
                       Case(inputs=_grad_data_index((3, 1), (3, 4), [[1], [1], [3]]),
                            attrs=dict(keepdims=True), wrt=[0])],
    'one_hot': [Case(inputs=lambda rng: [np.array([1, 0, 2, 5])], attrs=dict(depth=3),
                     nondiff='its input holds indices')],
    'where': [Case(inputs=_condition([[1, 0, 1], [0, 0, 1]], (2, 3))),
              Case(inputs=_condition([0, 1], (2, 3)))],
    'clip': [Case(inputs=lambda rng: [np.array([-2.0, -0.3, 0.1, 0.7, 1.5])],
                  attrs=dict(a_min=-0.5, a_max=0.5))],
    'sort': [Case(shapes=[(3, 4)]),
             Case(shapes=[(3, 4)], attrs=dict(axis=0, is_ascend=False)),
             Case(shapes=[(2, 3)], attrs=dict(axis=None))],
    'argsort': [Case(shapes=[(3, 4)], nondiff=_NO_GRAD)],
    'topk': [Case(shapes=[(3, 5)], attrs=dict(k=2, ret_typ='value')),
             Case(shapes=[(3, 5)], attrs=dict(k=2, ret_typ='both', axis=0, is_ascend=True)),
             Case(shapes=[(3, 5)], attrs=dict(k=3, ret_typ='value', axis=None)),
             Case(shapes=[(3, 5)], attrs=dict(k=2)),
             Case(shapes=[(3, 5)], attrs=dict(k=2, ret_typ='mask'))],
    '_sorted_gather': [Case(shapes=[(3, 4), (3, 4)], attrs=dict(k=2, is_ascend=False), wrt=[0])],
    '_sorted_scatter': [Case(shapes=[(3, 2), (3, 4)], wrt=[0]),
                        Case(shapes=[(12,), (3, 4)], attrs=dict(axis=None), wrt=[0])],
    'shape_array': [Case(shapes=[(2, 3)], nondiff=_NO_GRAD)],
    'size_array': [Case(shapes=[(2, 3)], nondiff=_NO_GRAD)],
    'diag': [Case(shapes=[(3,)], attrs=dict(k=1)),
             Case(shapes=[(3, 4)], attrs=dict(k=-1)),
             Case(shapes=[(2, 3, 4)], attrs=dict(k=1, axis1=-1, axis2=0))],
    '_backward_diag': [Case(inputs=lambda rng: [rng.normal(size=(3, 1)),
                                                rng.normal(size=(2, 3, 4))],
                            attrs=dict(k=1, axis1=-1, axis2=0), wrt=[0])],
}
