"""``mx.sym.image``: the image operators (registered as ``_image_<name>``) under their
short names, as graph nodes; the symbolic twin of ``mx.nd.image``.

>>> import d2lmini as mx
>>> img = mx.sym.var('img')
>>> out = mx.sym.image.flip_left_right(img)
>>> out.eval(img=mx.nd.array([[[1], [2], [3]]]))[0].reshape((3,)).asnumpy()
array([3., 2., 1.], dtype=float32)
"""
from .contrib import export_prefixed

__all__ = []
export_prefixed('_image_', globals(), __all__)
