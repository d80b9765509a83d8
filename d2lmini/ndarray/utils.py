"""``mx.nd.utils``: the creation and file functions that MXNet 1.x also keeps in
this module (``zeros``, ``empty``, ``array``, ``load``, ``load_frombuffer``,
``save``), the same functions as ``mx.nd``'s.

>>> import d2lmini as mx
>>> mx.nd.utils.zeros is mx.nd.zeros
True
"""
# imported at the end of the package's __init__, once zeros and empty exist there
from . import empty, zeros  # noqa: F401
from .ndarray import NDArray, array  # noqa: F401
from .serialization import load, load_frombuffer, save  # noqa: F401
