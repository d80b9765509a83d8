"""``mx.sym`` / ``mx.symbol``: the symbolic front end of the operator registry.

Every registered operator is a function here that adds a node to a graph instead of
computing (``sym.FullyConnected``, ``sym.relu``, ...), with the same arguments as its
``nd`` twin. See :mod:`d2lmini.symbol.symbol` for the Symbol itself and
:mod:`d2lmini.symbol.executor` for running a graph.

>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> y = mx.sym.relu(x * 2 - 1)
>>> y.eval(x=mx.nd.array([0, 1, 2]))[0].asnumpy()
array([0., 1., 3.], dtype=float32)
"""
from ..ops import OPS
from .symbol import (Symbol, var, Variable, Group, load, load_json, fromjson,  # noqa: F401
                     MXNET_VERSION, NotImplementedForSymbol, _make_function, _call)
from .attribute import AttrScope  # noqa: F401
from .executor import Executor  # noqa: F401

_FRONT_END = {}


def _export_operators():
    for name, op in OPS.items():
        if name.isidentifier():
            _FRONT_END[name] = globals()[name] = _make_function(name, op)


_export_operators()


def _creator(op_name):
    def fn(shape=None, dtype=None, name=None, **kwargs):
        if shape is not None:
            kwargs['shape'] = shape
        if dtype is not None:
            kwargs['dtype'] = dtype
        return _call(op_name, (), dict(kwargs, name=name))
    fn.__name__ = op_name.strip('_')
    fn.__doc__ = f'A symbol for ``nd.{fn.__name__}``: a constant array made when the graph runs.'
    return fn


zeros, ones = _creator('_zeros'), _creator('_ones')


def full(shape, val, dtype=None, name=None, **kwargs):
    """A symbol for an array of ``shape`` filled with ``val``."""
    return _call('_full', (), dict(kwargs, shape=shape, value=val, dtype=dtype, name=name))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, name=None, dtype=None):
    """A symbol for ``nd.arange``."""
    return _call('_arange', (), dict(start=start, stop=stop, step=step, repeat=repeat,
                                     dtype=dtype, name=name))


def _attach_methods():
    from ..ndarray import _METHODS
    for name in _METHODS:
        fn = _FRONT_END.get(name)
        if fn is not None and not hasattr(Symbol, name):
            method = (lambda f: lambda self, *args, **kwargs: f(self, *args, **kwargs))(fn)
            method.__name__ = name
            method.__doc__ = fn.__doc__
            setattr(Symbol, name, method)


_attach_methods()
