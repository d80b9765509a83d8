"""Small utilities MXNet keeps in ``mxnet.util``.

MXNet reads some settings from environment variables through its C runtime;
d2lmini has no separate runtime, so :func:`getenv` and :func:`setenv` act on this
process's environment (``os.environ``).

>>> setenv('D2LMINI_EXAMPLE', '1'); getenv('D2LMINI_EXAMPLE')
'1'
>>> setenv('D2LMINI_EXAMPLE', None); getenv('D2LMINI_EXAMPLE') is None
True
"""
import os

from .base import py_str  # noqa: F401  (MXNet's util module offers it too)


def getenv(name):
    """The value of the environment variable ``name``, or None when it is not set."""
    return os.environ.get(name)


def setenv(name, value):
    """Set the environment variable ``name`` to ``value``; None unsets it."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


def is_np_array():
    """False: d2lmini has MXNet 1.x's NDArray semantics only (no ``mx.np``)."""
    return False


def is_np_shape():
    """False: shapes follow MXNet 1.x's legacy semantics (no ``mx.np``)."""
    return False


def get_gpu_count():
    """The number of GPUs d2lmini can use (0 without cupy)."""
    from .context import num_gpus
    return num_gpus()
