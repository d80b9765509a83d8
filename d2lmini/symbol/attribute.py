"""``mx.AttrScope``: string attributes given to every symbol created inside a scope.

>>> import d2lmini as mx
>>> with mx.AttrScope(group='4'):
...     x = mx.sym.var('x')
>>> x.attr('group')
'4'
"""
import threading


class AttrScope:
    """Attributes (strings) attached to the symbols created inside ``with``."""
    _current = threading.local()

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
    scope = getattr(AttrScope._current, 'value', None)
    return {} if scope is None else scope._attr
