"""Cases for d2lmini/ops/gather.py: index inputs have no gradient."""
import numpy as np

from . import Case


def _with_index(shape, index, *more):
    return lambda rng: [rng.uniform(-1, 1, size=shape), np.array(index, dtype=np.float64)] + [
        np.asarray(m) for m in more]


CASES = {
    'gather_nd': [Case(inputs=_with_index((3, 4), [[0, 2, 2], [1, 3, 3]]), wrt=[0]),
                  Case(inputs=_with_index((3, 2, 2), [[2, 0]]), wrt=[0])],
    '_backward_gather_nd': [Case(inputs=_with_index((3,), [[0, 2, 2], [1, 3, 3]]), wrt=[0],
                                 attrs=dict(shape=(3, 4)))],
    'scatter_nd': [Case(inputs=_with_index((2,), [[0, 2], [1, 3]]), wrt=[0],
                        attrs=dict(shape=(3, 4))),
                   Case(inputs=_with_index((2, 3), [[1, 0]]), wrt=[0], attrs=dict(shape=(4, 3)))],
    'fill_element_0index': [Case(inputs=lambda rng: [rng.uniform(-1, 1, size=(3, 4)),
                                                     rng.uniform(-1, 1, size=(3,)),
                                                     np.array([0.0, 3.0, 1.0])], wrt=[0, 1])],
    '_onehot_encode': [Case(inputs=lambda rng: [np.array([1.0, 0.0, 2.0]), np.zeros((3, 4))],
                            nondiff='one-hot rows are constants')],
}

CASES.update({
    'ravel_multi_index': [Case(inputs=lambda rng: [np.array([[3., 6, 6], [4, 5, 1]])],
                               attrs=dict(shape=(7, 6)), nondiff='indices')],
    'unravel_index': [Case(inputs=lambda rng: [np.array([22., 41, 37])],
                           attrs=dict(shape=(7, 6)), nondiff='indices')],
    'batch_take': [Case(inputs=lambda rng: [rng.uniform(-1, 1, (3, 4)),
                                            np.array([0, 3, 9], dtype=np.int32)]),
                   Case(inputs=lambda rng: [rng.uniform(-1, 1, (2, 3, 2)),
                                            np.array([[0, 1, 1], [1, 0, -2]], dtype=np.int32)])],
})
