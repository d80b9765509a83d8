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


def retain(data=None, indices=None, name=None, **kwargs):
    """The rows of ``data`` listed in ``indices``, every other row zero (MXNet's
    ``_sparse_retain``, which keeps the stored rows of a row-sparse array). In a
    graph the values are dense, so the rows are copied into zeros; the gradient
    flows to the rows kept.

    >>> import d2lmini as mx
    >>> y = mx.sym.sparse.retain(mx.sym.var('data'), mx.sym.var('indices'))
    >>> out = y.eval(data=mx.nd.array([[1, 1], [2, 2], [3, 3]]), indices=mx.nd.array([2]))
    >>> out[0].asnumpy().tolist()
    [[0.0, 0.0], [0.0, 0.0], [3.0, 3.0]]
    """
    from .. import symbol
    if kwargs:
        raise TypeError(f'retain: unknown argument(s) {sorted(kwargs)}; it takes data and '
                        'indices')
    if data is None or indices is None:
        raise TypeError('retain needs data and indices')
    kept = symbol.take(data, indices)
    return symbol.contrib.index_copy(symbol.zeros_like(data), indices, kept, name=name)


def __getattr__(name):
    from .. import symbol
    try:
        return getattr(symbol, name)
    except AttributeError:
        raise AttributeError(f'mx.sym.sparse has no attribute {name!r}') from None
