"""``mx.sym.sparse``: the symbol functions of MXNet 1.x's sparse operators.

In MXNet these build the same graph nodes as ``mx.sym.X``; an executor then picks
sparse kernels for inputs bound with sparse storage (``var(..., stype='csr')``).
Here every graph computes on dense values, so ``mx.sym.sparse.dot`` is
``mx.sym.dot``: the results are the same numbers.

>>> import d2lmini as mx
>>> x = mx.sym.var('x', stype='csr')
>>> mx.sym.sparse.dot(x, mx.sym.var('w')).list_arguments()
['x', 'w']
"""


def __getattr__(name):
    from .. import symbol
    try:
        return getattr(symbol, name)
    except AttributeError:
        raise AttributeError(f'mx.sym.sparse has no attribute {name!r}') from None
