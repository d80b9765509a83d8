"""``mx.attribute``: where MXNet 1.x keeps :class:`AttrScope`, the scope that gives
string attributes to every symbol created inside it (``mx.AttrScope`` is the same
class).

>>> import d2lmini as mx
>>> mx.attribute.AttrScope is mx.AttrScope
True
>>> with mx.attribute.AttrScope(ctx_group='stage1'):
...     x = mx.sym.var('x')
>>> x.attr('ctx_group')
'stage1'
"""
from .symbol.attribute import AttrScope

__all__ = ['AttrScope']
