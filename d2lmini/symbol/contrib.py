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


def rand_zipfian(true_classes, num_sampled, range_max, name=None):
    """Draw ``num_sampled`` candidate classes from [0, ``range_max``) with the
    log-uniform (Zipfian) distribution, for sampled softmax. Returns a list of three
    Symbols, as MXNet 1.x does: the samples (int64) and the expected counts (float64)
    of ``true_classes`` and of the samples.

    >>> import d2lmini as mx
    >>> samples, count_true, count_sampled = mx.sym.contrib.rand_zipfian(
    ...     mx.sym.var('t'), 4, 10)
    >>> mx.sym.Group([samples, count_true]).eval(t=mx.nd.array([3]))[1].shape
    (1,)
    """
    from .symbol import Symbol
    if not isinstance(true_classes, Symbol):
        raise TypeError(f'rand_zipfian: true_classes must be a Symbol, got '
                        f'{type(true_classes).__name__}')
    node = _make_function('_contrib_rand_zipfian', OPS['_contrib_rand_zipfian'])(
        true_classes, num_sampled=num_sampled, range_max=range_max, name=name)
    return [node[i] for i in range(3)]
