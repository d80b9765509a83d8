"""``mx.symbol._internal``: the operators whose names start with an underscore
(``_plus_scalar``, ``_square_sum``, ...), as MXNet 1.x keeps them in this module.

They are the same functions as ``mx.sym._plus_scalar`` and so on.

>>> import d2lmini as mx
>>> y = mx.symbol._internal._plus_scalar(mx.sym.var('x'), scalar=1)
>>> y.eval(x=mx.nd.array([1, 2]))[0].asnumpy()
array([2., 3.], dtype=float32)
"""
from . import _FRONT_END

globals().update({name: fn for name, fn in _FRONT_END.items() if name.startswith('_')})
