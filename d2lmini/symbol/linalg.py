"""``mx.sym.linalg``: the linear-algebra operators (registered as ``_linalg_<name>``)
under their short names, as graph nodes; the symbolic twin of ``mx.nd.linalg``.

>>> import d2lmini as mx
>>> a = mx.sym.var('a')
>>> mx.sym.linalg.det(a).eval(a=mx.nd.array([[2, 1], [1, 2]]))[0].asnumpy()
array([3.], dtype=float32)
"""
from .contrib import export_prefixed

__all__ = []
export_prefixed('_linalg_', globals(), __all__)
