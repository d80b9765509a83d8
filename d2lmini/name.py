"""Automatic names: ``dense0``, ``dense1``, ``conv0`` ... as MXNet gives them.

A :class:`NameManager` counts, per hint, how many names it has handed out. Blocks
use it for their prefixes (``dense0_``) and symbols for their node names. Inside a
:class:`Prefix` manager every name gets a prefix, which is how a block's children
end up as ``sequential0_dense0_``.
"""
import threading


class _CurrentManager(type):
    """Gives ``NameManager.current``, the manager in force in this thread, as MXNet
    1.x does: assigning it sets the manager of this thread only."""

    @property
    def current(cls):
        return current()

    @current.setter
    def current(cls, manager):
        NameManager._current.value = manager


class NameManager(metaclass=_CurrentManager):
    """Hands out ``hint + count`` names; usable as a ``with`` block to make it current.

    >>> with NameManager():
    ...     NameManager.current.get(None, 'conv'), NameManager.current.get(None, 'conv')
    ('conv0', 'conv1')
    """
    _current = threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """``name`` if given, else the next unused ``hint<N>``."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f'{hint}{count}'

    def __enter__(self):
        self._old_manager = current()
        NameManager._current.value = self
        return self

    def __exit__(self, *exc):
        NameManager._current.value = self._old_manager
        return False


class Prefix(NameManager):
    """A name manager that puts ``prefix`` in front of every name."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


def current():
    """The name manager in force (a global one unless a ``with`` block chose another)."""
    manager = getattr(NameManager._current, 'value', None)
    if manager is None:
        manager = NameManager._current.value = NameManager()
    return manager
