"""``mx.nd.op``: the registered operators under their public names, as MXNet 1.x
groups them there (``mx.nd.op.broadcast_add`` is ``mx.nd.broadcast_add``); the
``_``-prefixed ones are in ``mx.nd._internal``.

>>> import d2lmini as mx
>>> mx.nd.op.broadcast_add is mx.nd.broadcast_add
True
"""


def _export():
    from . import _FRONT_END
    names = globals()
    for name, fn in _FRONT_END.items():
        if not name.startswith('_'):
            names[name] = fn


_export()


def __getattr__(name):
    # the samplers made without an operator of their own name (random_uniform, ...),
    # defined after this module is imported
    if name.startswith('random_'):
        from .. import ndarray
        if hasattr(ndarray, name):
            return getattr(ndarray, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
