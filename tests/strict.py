"""The comparison the project's own tests use.

``mx.test_utils.assert_almost_equal`` behaves as MXNet's: it broadcasts the two sides
against each other and, for float32, allows ``atol=1e-3``. That suits code written
for MXNet, but a test of this project must also catch a wrong shape and a small
error, so here the shapes must be equal and float32 gets ``atol=1e-6`` unless a
test says otherwise.
"""
import numpy as np

from d2lmini.test_utils import assert_almost_equal as _mxnet_assert_almost_equal


def _dtype(x):
    dt = getattr(x, 'dtype', None)
    return np.dtype(dt) if dt is not None else np.asarray(x).dtype


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False):
    both64 = _dtype(a) == np.float64 and _dtype(b) == np.float64
    if rtol is None:
        rtol = 1e-5 if both64 else 1e-4
    if atol is None:
        atol = 1e-20 if both64 else 1e-6
    _mxnet_assert_almost_equal(a, b, rtol=rtol, atol=atol, names=names, equal_nan=equal_nan,
                               use_broadcast=False)
