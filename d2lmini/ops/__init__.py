"""The operator registry and every operator d2lmini defines.

Importing this package fills :data:`registry.OPS`; the front ends (``mx.nd`` now,
``mx.sym`` later) build their functions from it.
"""
from .registry import OPS, Op, register, get  # noqa: F401
from . import creation, elemwise, reduce, shape, indexing, linalg, random  # noqa: F401
