"""Small utilities MXNet keeps in ``mxnet.util``.

MXNet reads some settings from environment variables through its C runtime;
d2lmini has no separate runtime, so :func:`getenv` and :func:`setenv` act on this
process's environment (``os.environ``).

>>> setenv('D2LMINI_EXAMPLE', '1'); getenv('D2LMINI_EXAMPLE')
'1'
>>> setenv('D2LMINI_EXAMPLE', None); getenv('D2LMINI_EXAMPLE') is None
True
"""
import contextlib
import functools
import os
import threading

from .base import py_str  # noqa: F401  (MXNet's util module offers it too)
from .base import MXNetError


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


# MXNet's numpy-shape switch, per thread. NDArrays here always have numpy's shapes
# (a 0 is an empty axis, () a scalar); the switch only changes what a 0 means in the
# shapes given to symbolic shape inference: off (MXNet 1.x's default), an unknown size.
_NP_SHAPE = threading.local()


def is_np_shape():
    """Whether a 0 in a shape given to symbolic inference means an empty axis (on)
    or an unknown size (off, the default, as in MXNet 1.x)."""
    return getattr(_NP_SHAPE, 'active', False)


def set_np_shape(active):
    """Switch numpy shape semantics on or off; returns the previous state."""
    prev, _NP_SHAPE.active = is_np_shape(), bool(active)
    return prev


@contextlib.contextmanager
def np_shape(active=True):
    """``with np_shape():`` numpy shape semantics inside the block.

    >>> import d2lmini as mx
    >>> with mx.np_shape():
    ...     mx.sym.var('x').infer_shape(x=(0, 3))[1]
    [(0, 3)]
    """
    prev = set_np_shape(active)
    try:
        yield
    finally:
        set_np_shape(prev)


def use_np_shape(func):
    """A decorator: ``func`` runs with numpy shape semantics (a class: each method)."""
    if isinstance(func, type):
        for name, member in list(vars(func).items()):
            if callable(member) and not name.startswith('__'):
                setattr(func, name, use_np_shape(member))
        return func

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        with np_shape(True):
            return func(*args, **kwargs)
    return wrapped


def get_gpu_count():
    """The number of GPUs d2lmini can use (0 without cupy)."""
    from .context import num_gpus
    return num_gpus()


def get_gpu_memory(gpu_dev_id):
    """``(free, total)`` bytes of memory on GPU ``gpu_dev_id``, as MXNet's
    ``util.get_gpu_memory``; a clear error without a GPU (cupy and a device)."""
    from . import backend
    if get_gpu_count() <= gpu_dev_id:
        raise MXNetError(f'get_gpu_memory: there is no GPU {gpu_dev_id} (d2lmini sees '
                         f'{get_gpu_count()}; GPUs need cupy and a CUDA device)')
    cp = backend.cupy()
    with cp.cuda.Device(gpu_dev_id):
        free, total = cp.cuda.runtime.memGetInfo()
    return free, total


def get_cuda_compute_capability(ctx):
    """The CUDA compute capability of a GPU context as an int (``80`` for 8.0), as
    MXNet's ``util.get_cuda_compute_capability``."""
    if ctx.device_type != 'gpu':
        raise ValueError(f'Expecting a gpu context to get cuda compute capability, while '
                         f'received ctx {ctx}')
    from . import backend
    if get_gpu_count() <= ctx.device_id:
        raise MXNetError(f'get_cuda_compute_capability: there is no GPU {ctx.device_id}')
    cp = backend.cupy()
    return int(cp.cuda.Device(ctx.device_id).compute_capability)
