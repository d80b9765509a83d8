"""``mx.sym.contrib``: the contributed operators (registered as ``_contrib_<name>``)
under their short names, as graph nodes; the symbolic twin of ``mx.nd.contrib``.

>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> mx.sym.contrib.isinf(x).eval(x=mx.nd.array([1, float('inf')]))[0].asnumpy()
array([0., 1.], dtype=float32)
"""
from ..ops import OPS
from .symbol import _make_function

__all__ = []


def export_prefixed(prefix, namespace, names):
    """Put the symbol function of every operator registered as ``prefix + name`` into
    the dict ``namespace`` under ``name``, and append ``name`` to ``names``."""
    for op_name, op in OPS.items():
        if op_name.startswith(prefix) and op_name.isidentifier():
            short = op_name[len(prefix):]
            namespace[short] = _make_function(op_name, op)
            names.append(short)


export_prefixed('_contrib_', globals(), __all__)

# control flow: subgraphs as nodes (not registered as _contrib_ operators)
from .control_flow import foreach, while_loop, cond  # noqa: E402,F401
__all__ += ['foreach', 'while_loop', 'cond']
