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


class _ContextClass(type):
    """Gives the class :class:`Context` MXNet's ``Context.default_ctx``: the default
    context of this thread, which may also be assigned."""

    @property
    def default_ctx(cls):
        return current_context()

    @default_ctx.setter
    def default_ctx(cls, ctx):
        if not isinstance(ctx, Context):
            raise TypeError(f'Context.default_ctx must be a Context, not {type(ctx).__name__}')
        cls._default.value = ctx


class Context(metaclass=_ContextClass):
    """A device: ``Context('cpu', 0)``, ``Context('gpu', 1)``, or MXNet's host-memory
    kinds ``Context('cpu_pinned', 0)`` and ``Context('cpu_shared', 0)``.

    ``with ctx:`` makes it the default for arrays created inside the block. Creating a
    context is free and checks nothing; using a GPU that is not there raises
    ``MXNetError`` at the first array made or copied there.

    >>> import d2lmini as mx
    >>> mx.gpu(1).device_typeid, mx.cpu_pinned(0).device_typeid
    (2, 3)
    >>> with mx.cpu(1):
    ...     print(mx.Context.default_ctx)
    cpu(1)
    """
    devtype2str = {1: 'cpu', 2: 'gpu', 3: 'cpu_pinned', 5: 'cpu_shared'}
    devstr2type = {'cpu': 1, 'gpu': 2, 'cpu_pinned': 3, 'cpu_shared': 5}
    # per thread: ``value`` is the current default, ``saved`` the ones that
    # enclosing ``with`` blocks will restore (a Context such as cpu(0) is shared,
    # so it cannot keep that stack itself)
    _default = threading.local()

    # _compute: the context operators put their results on. MXNet's pinned and
    # shared host memory only matter for copies to and from a GPU, so an operator on
    # such arrays writes an ordinary cpu(i) array, as in MXNet; for the others, itself
    __slots__ = ('device_type', 'device_id', '_xp', '_compute')

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devstr2type:
            raise ValueError(f'unknown device type {device_type!r}: use one of '
                             f"{', '.join(map(repr, self.devstr2type))}")
        self.device_type = device_type
        self.device_id = int(device_id)
        self._xp = None
        self._compute = self if device_type in ('cpu', 'gpu') else cpu(self.device_id)

    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]

    @property
    def xp(self):
        """The array module that holds this context's arrays (numpy or cupy).

        For a GPU this is where a missing device is found: without cupy, without a
        GPU, or with an id past the last GPU, it raises ``MXNetError``, which code
        such as d2l's ``try_gpu`` catches."""
        xp = self._xp
        if xp is None:
            if self.device_type != 'gpu':
                xp = self._xp = backend.array_module('cpu')
                return xp
            xp = backend.array_module('gpu')   # MXNetError without cupy
            n = backend.num_gpus()
            if not 0 <= self.device_id < n:
                raise MXNetError(f'{self} is not available: {n} GPU(s) found' +
                                 (f', with ids 0 to {n - 1}' if n else ''))
            self._xp = xp
        return xp

    def __reduce__(self):
        # the cached array module cannot be pickled, and need not be
        return Context, (self.device_type, self.device_id)

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
    """MXNet's page-locked host memory, which a GPU copies from faster.

    Here it is ordinary host memory: arrays on it work as CPU arrays, and an operator
    on them writes its result to ``cpu(device_id)``, as in MXNet.

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((2,), ctx=mx.cpu_pinned(0))
    >>> x.context, (x + 1).context
    (cpu_pinned(0), cpu(0))
    """
    return Context('cpu_pinned', device_id)


def cpu_shared(device_id=0):
    """MXNet's shared-memory host context (where its data loader's worker processes put
    batches); here ordinary host memory, as for :func:`cpu_pinned`.

    >>> import d2lmini as mx
    >>> mx.cpu_shared(0), mx.cpu_shared(0).device_typeid
    (cpu_shared(0), 5)
    """
    return Context('cpu_shared', device_id)


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
