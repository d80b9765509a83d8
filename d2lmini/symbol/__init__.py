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
        # the graph names the dtype, float32 by default, as MXNet 1.x writes it
        kwargs['dtype'] = 'float32' if dtype is None else dtype
        return _call(op_name, (), dict(kwargs, name=name))
    fn.__name__ = op_name.strip('_')
    fn.__doc__ = f'A symbol for ``nd.{fn.__name__}``: a constant array made when the graph runs.'
    return fn


zeros, ones = _creator('_zeros'), _creator('_ones')


def full(shape, val, dtype=None, name=None, **kwargs):
    """A symbol for an array of ``shape`` filled with ``val``."""
    return _call('_full', (), dict(kwargs, shape=shape, value=val, dtype=dtype, name=name))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, name=None, dtype=None):
    """A symbol for ``nd.arange``; with ``infer_range=True`` and no ``stop``, its
    length comes from the operator that uses it, as in MXNet 1.x."""
    attrs = dict(start=start, stop=stop, step=step, repeat=repeat, dtype=dtype, name=name)
    if infer_range:
        attrs['infer_range'] = True
    return _call('_arange', (), attrs)


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


# ---------------------------------------------------------------------- functions on numbers too
def _ufunc(name, array_op, array_hint, scalar_op, scalar_hint, rscalar_op=None,
           rscalar_hint=None, py=None):
    """``sym.<name>(lhs, rhs)`` where either side may be a number, as in MXNet: two
    Symbols give the element-wise node, a Symbol and a number the ``_scalar`` one,
    two numbers the Python result."""
    def fn(lhs, rhs):
        if isinstance(lhs, Symbol):
            if isinstance(rhs, Symbol):
                return _call(array_op, (lhs, rhs), {}, hint=array_hint)
            if isinstance(rhs, _numeric_types):
                return _call(scalar_op, (lhs,), {'scalar': _plain(rhs)}, hint=scalar_hint)
        elif isinstance(rhs, Symbol) and isinstance(lhs, _numeric_types):
            return _call(rscalar_op or scalar_op, (rhs,), {'scalar': _plain(lhs)},
                         hint=rscalar_hint or scalar_hint)
        elif isinstance(lhs, _numeric_types) and isinstance(rhs, _numeric_types) and py:
            return py(lhs, rhs)
        raise TypeError(f'{name}: expected Symbols or numbers, got {type(lhs).__name__} and '
                        f'{type(rhs).__name__}')
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f'``{name}(lhs, rhs)`` element-wise; either side may be a number (two '
                  'numbers give the Python result).')
    return fn


def _plain(v):
    return v.item() if hasattr(v, 'item') else v


from ..base import numeric_types as _numeric_types  # noqa: E402
import builtins as _builtins  # noqa: E402
import math as _math  # noqa: E402

maximum = _ufunc('maximum', 'broadcast_maximum', '_maximum', '_maximum_scalar',
                 '_maximumscalar', py=_builtins.max)
minimum = _ufunc('minimum', 'broadcast_minimum', '_minimum', '_minimum_scalar',
                 '_minimumscalar', py=_builtins.min)
power = _ufunc('power', 'broadcast_power', '_power', '_power_scalar', '_powerscalar',
               '_rpower_scalar', '_rpowerscalar', py=lambda a, b: a ** b)
pow = power  # noqa: A001  (MXNet's name)
hypot = _ufunc('hypot', 'broadcast_hypot', '_hypot', '_hypot_scalar', '_hypotscalar',
               py=_math.hypot)


def eye(N, M=0, k=0, dtype=None, name=None, **kwargs):
    """A symbol for a 2-D array with ones on the ``k``-th diagonal.

    >>> import d2lmini as mx
    >>> mx.sym.eye(2, 3, 1).eval()[0].asnumpy()
    array([[0., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    return _call('_eye', (), dict(kwargs, N=N, M=M, k=k, dtype=dtype, name=name))


def linspace(start, stop, num, endpoint=True, name=None, dtype=None, **kwargs):
    """A symbol for ``num`` evenly spaced values from ``start`` to ``stop``.

    >>> import d2lmini as mx
    >>> mx.sym.linspace(0, 1, 5).eval()[0].asnumpy()
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return _call('_linspace', (), dict(kwargs, start=start, stop=stop, num=num,
                                       endpoint=endpoint, dtype=dtype, name=name))


# ---------------------------------------------------------------------- histogram, split_v2
from ..base import integer_types as _integer_types  # noqa: E402


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002  (MXNet's name)
    """A symbol for ``nd.histogram``: its two outputs are the counts (int64) and the
    bin edges. ``bins`` is a Symbol of edges, or a number of equal bins over ``range``;
    a graph cannot look at its data first, so, as in MXNet, the range is required.

    >>> import d2lmini as mx
    >>> h = mx.sym.histogram(mx.sym.var('d'), bins=2, range=(0, 4))
    >>> [x.asnumpy().tolist() for x in h.eval(d=mx.nd.array([0, 1, 3, 4, 5]))]
    [[2, 2], [0.0, 2.0, 4.0]]
    """
    if isinstance(bins, Symbol):
        return _call('_histogram', (a, bins), kwargs)
    if isinstance(bins, _integer_types) and not isinstance(bins, bool):
        if range is None:
            raise ValueError('null range is not supported in symbol mode')
        return _call('_histogram', (a,), dict(kwargs, bin_cnt=int(bins), range=tuple(range)))
    raise ValueError('bins argument should be either an integer or an NDArray')


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """A symbol for ``nd.split_v2``: ``ary`` cut along ``axis`` into ``N`` equal parts
    (an int ``N``, checked when the shape is known) or at the sorted positions of a
    tuple, one output per part.

    >>> import d2lmini as mx
    >>> s = mx.sym.split_v2(mx.sym.var('d'), (1, 3), axis=1)
    >>> s.infer_shape(d=(2, 6))[1]
    [(2, 1), (2, 2), (2, 3)]
    """
    indices, sections = (), 0
    if isinstance(indices_or_sections, _integer_types) and not isinstance(
            indices_or_sections, bool):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f'split_v2: the number of sections must be positive, '
                             f'got {indices_or_sections}')
    elif isinstance(indices_or_sections, tuple):
        indices = (0,) + tuple(int(i) for i in indices_or_sections)
    else:
        raise ValueError('indices_or_sections must either int or tuple of ints')
    return _call('_split_v2', (ary,), dict(indices=indices, axis=axis,
                                           squeeze_axis=squeeze_axis, sections=sections))


def _split_v2_method(self, *args, **kwargs):
    """``sym.split_v2(self, ...)``, a method of Symbol as in MXNet."""
    return split_v2(self, *args, **kwargs)


_split_v2_method.__name__ = 'split_v2'
Symbol.split_v2 = _split_v2_method
del _split_v2_method


from . import random, contrib, linalg, image, _internal  # noqa: E402,F401
from . import op, sparse  # noqa: E402,F401
