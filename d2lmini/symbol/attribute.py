"""``mx.AttrScope``: string attributes given to every symbol created inside a scope.

>>> import d2lmini as mx
>>> with mx.AttrScope(group='4'):
...     x = mx.sym.var('x')
>>> x.attr('group')
'4'
"""
import threading
from collections import defaultdict


class _CurrentScope(type):
    """Gives ``AttrScope.current``, the scope in force in this thread, as MXNet 1.x
    does: reading it outside any scope gives an empty one, and assigning it sets the
    scope of this thread only."""

    @property
    def current(cls):
        scope = getattr(cls._current, 'value', None)
        if scope is None:
            scope = cls._current.value = cls()
        return scope

    @current.setter
    def current(cls, scope):
        cls._current.value = scope


class AttrScope(metaclass=_CurrentScope):
    """Attributes (strings) attached to the symbols created inside ``with``.

    >>> import d2lmini as mx
    >>> with mx.AttrScope(stage='1'):
    ...     mx.AttrScope.current.get()
    {'stage': '1'}
    """
    _current = threading.local()
    # MXNet's control flow counts the names it gives subgraphs here
    _subgraph_names = defaultdict(int)

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            if not isinstance(v, str):
                raise ValueError(f'Attributes need to be strings, got {k}={v!r}')
        self._attr = kwargs
        self._old = None

    def get(self, attr=None):
        """The scope's attributes merged with (and overridden by) ``attr``."""
        out = dict(self._attr)
        out.update(attr or {})
        return out

    def __enter__(self):
        self._old = getattr(AttrScope._current, 'value', None)
        merged = dict(self._old._attr) if self._old is not None else {}
        merged.update(self._attr)
        self._attr = merged
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._current.value = self._old
        return False


def current():
    """The attributes of the scope in force (empty outside any)."""
    return AttrScope.current._attr
