"""``mx.sym.op``: the registered operators under their public names, as MXNet 1.x
groups them there (``mx.sym.op.broadcast_add`` is ``mx.sym.broadcast_add``); the
``_``-prefixed ones are in ``mx.sym._internal``.

>>> import d2lmini as mx
>>> mx.sym.op.broadcast_add is mx.sym.broadcast_add
True
"""


def _export():
    from .. import symbol
    names = globals()
    for name, fn in symbol._FRONT_END.items():
        if not name.startswith('_'):
            names[name] = fn


_export()


def __getattr__(name):
    # the samplers made without an operator of their own name (random_uniform, ...),
    # defined after this module is imported
    if name.startswith('random_'):
        from .. import symbol
        if hasattr(symbol, name):
            return getattr(symbol, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
