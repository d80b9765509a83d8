"""``mx.engine``: MXNet 1.x's knobs for its execution engine.

MXNet runs operators asynchronously on a C++ engine and can *bulk* consecutive
operators into one engine task, saving the cost of scheduling each: ``bulk(n)``
groups up to ``n``. d2lmini has no engine: an operator runs when it is called
(chapter 14), and a hybridized block already runs its whole graph as one compiled
function. So the bulk size is recorded and reported, as MXNet does, and changes
nothing else; code that sets it runs unchanged.

>>> import d2lmini as mx
>>> with mx.engine.bulk(16):
...     y = mx.nd.ones((2,)) * 2
>>> mx.engine.set_bulk_size(0)
0
"""
import contextlib
import threading


class _Bulk(threading.local):
    size = 0


_BULK = _Bulk()


def set_bulk_size(size):
    """Set the number of operators to bulk (MXNet's engine setting) and return the
    previous one. In d2lmini it is only remembered: see the module's description."""
    size = int(size)
    if size < 0:
        raise ValueError(f'set_bulk_size: the bulk size must be 0 or more, not {size}')
    previous, _BULK.size = _BULK.size, size
    return previous


@contextlib.contextmanager
def bulk(size):
    """``with mx.engine.bulk(size):`` sets the bulk size inside the block and restores
    the previous one after it."""
    previous = set_bulk_size(size)
    try:
        yield
    finally:
        set_bulk_size(previous)


__all__ = ['bulk', 'set_bulk_size']
