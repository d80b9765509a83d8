"""Contexts: where an array lives and which device runs its operators.

>>> import d2lmini as mx
>>> mx.cpu()
cpu(0)
>>> with mx.cpu(1):
...     print(mx.current_context())
cpu(1)
"""
import threading

from . import backend
from .base import MXNetError


class Context:
    """A device: ``Context('cpu', 0)`` or ``Context('gpu', 1)``.

    ``with ctx:`` makes it the default for arrays created inside the block.
    """
    devtype2str = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned', 5: 'cpu_shared'}
    devstr2type = {'cpu': 1, 'gpu': 2, 'cpu_pinned': 3, 'cpu_shared': 5}
    # per thread: ``value`` is the current default, ``saved`` the ones that
    # enclosing ``with`` blocks will restore (a Context such as cpu(0) is shared,
    # so it cannot keep that stack itself)
    _default = threading.local()

    __slots__ = ('device_type', 'device_id', '_xp')

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in ('cpu', 'gpu'):
            raise ValueError(f"unknown device type {device_type!r}: use 'cpu' or 'gpu'")
        self.device_type = device_type
        self.device_id = int(device_id)
        self._xp = None

    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]

    @property
    def xp(self):
        """The array module that holds this context's arrays (numpy or cupy)."""
        xp = self._xp
        if xp is None:
            xp = self._xp = backend.array_module(self.device_type)
            if self.device_type == 'gpu' and self.device_id >= backend.num_gpus():
                self._xp = None
                raise MXNetError(f'{self} is not available: {backend.num_gpus()} GPU(s) found')
        return xp

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __repr__(self):
        return f'{self.device_type}({self.device_id})'

    __str__ = __repr__

    def __enter__(self):
        local = Context._default
        if not hasattr(local, 'saved'):
            local.saved = []
        local.saved.append(getattr(local, 'value', None))
        local.value = self
        return self

    def __exit__(self, *exc):
        Context._default.value = Context._default.saved.pop()
        return False

    def empty_cache(self):
        """Give cached GPU memory back to the driver (nothing to do on the CPU)."""
        if self.device_type == 'gpu':
            with backend.device_scope(self):
                backend.cupy().get_default_memory_pool().free_all_blocks()


_CPU0 = Context('cpu', 0)


def cpu(device_id=0):
    """The CPU context. ``cpu(1)`` is a second name for the same processor, handy
    for teaching data parallelism without GPUs."""
    return _CPU0 if device_id == 0 else Context('cpu', device_id)


def gpu(device_id=0):
    """The ``device_id``-th GPU. Creating it is free; using it needs cupy and a GPU."""
    return Context('gpu', device_id)


def cpu_pinned(device_id=0):
    """MXNet's page-locked host memory; here the ordinary CPU context."""
    return cpu(device_id)


def num_gpus():
    """How many GPUs are usable (0 without cupy or without a device)."""
    return backend.num_gpus()


def gpu_memory_info(device_id=0):
    """``(free, total)`` bytes of memory on GPU ``device_id``.

    >>> free, total = gpu_memory_info(0)  # doctest: +SKIP
    """
    with backend.device_scope(gpu(device_id)):
        free, total = backend.cupy().cuda.runtime.memGetInfo()
    return free, total


def current_context():
    """The context arrays are created on when no ``ctx=`` is given: ``cpu(0)``
    unless a ``with ctx:`` block says otherwise."""
    ctx = getattr(Context._default, 'value', None)
    return _CPU0 if ctx is None else ctx
