"""``mx.nd``: NDArray, its creation functions, and one function per registered operator.

The operator functions are generated from the registry when this module is imported:
``nd.exp`` is ``invoke(OPS['exp'], ...)`` with MXNet's calling convention (inputs first,
then attributes, positionally or by name; ``out=`` to write into an existing array).

>>> import d2lmini as mx
>>> mx.nd.exp(mx.nd.zeros((2,)))
<BLANKLINE>
[1. 1.]
<NDArray 2 @cpu(0)>
"""
import builtins

from .. import backend
from ..base import numeric_types
from ..ops import OPS
from ..ops.registry import front_end_doc
from ..tape import _STATE, _record
from .ndarray import NDArray, array, invoke, invoke_nullary, _scalar, _wrap, _EMPTY
from . import ndarray as _ndarray_module

_FRONT_END = {}  # name -> generated function, for the docs and the tests


def _make_function(name, op):
    """The eager ``nd.<name>`` function for registered operator ``op``."""
    n_in = len(op.inputs)
    in_names = op.inputs
    attr_names = op.attr_names

    if op.variadic:
        def fn(*args, out=None, name=None, **kwargs):
            return invoke(op, args, kwargs or _EMPTY, out)
    else:
        # inputs alone skip the binder, unless the operator needs attributes (which
        # the binder reports missing)
        fast = n_in if not op.required else -1

        def fn(*args, out=None, name=None, **kwargs):
            if len(args) == fast and not kwargs:
                return invoke(op, args, _EMPTY, out)
            inputs, attrs, _ = op.bind(args, kwargs)
            # an optional input left out before a given one (``is``: NDArray's == is
            # element-wise, and costs an operator call)
            if any(x is None for x in inputs):
                used = op.used_inputs(attrs)
                inputs = [x for n, x in zip(in_names, inputs) if x is not None or n in used]
            return invoke(op, tuple(inputs), attrs, out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = front_end_doc(name, op)
    return fn


def _export_operators():
    for name, op in OPS.items():
        if op.inputs or op.variadic or getattr(op, 'dynamic_inputs', False):
            _FRONT_END[name] = globals()[name] = _make_function(name, op)


_export_operators()


# ------------------------------------------------------------------ creation
def _creator(op_name, ctx, out, **attrs):
    return invoke_nullary(OPS[op_name], ctx, attrs, out)


def zeros(shape, ctx=None, dtype=None, out=None, stype=None, **kwargs):
    """An array of zeros (float32 unless ``dtype`` says otherwise); with ``stype``
    'csr' or 'row_sparse', a sparse one (see :mod:`d2lmini.ndarray.sparse`)."""
    if stype not in (None, 'default'):
        return sparse.zeros(stype, shape, ctx=ctx, dtype=dtype)
    return _creator('_zeros', ctx, out, shape=shape, dtype=dtype)


def ones(shape, ctx=None, dtype=None, out=None, **kwargs):
    """An array of ones."""
    return _creator('_ones', ctx, out, shape=shape, dtype=dtype)


def full(shape, val, ctx=None, dtype=None, out=None):
    """An array filled with ``val``."""
    return _creator('_full', ctx, out, shape=shape, value=val, dtype=dtype)


def empty(shape, ctx=None, dtype=None, stype=None):
    """An array whose values are not set (here: zeros, so results are reproducible)."""
    return zeros(shape, ctx, dtype, stype=stype)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=None):
    """Evenly spaced values, float32 by default: ``arange(3)`` is ``[0. 1. 2.]``."""
    return _creator('_arange', ctx, None, start=start, stop=stop, step=step, repeat=repeat,
                    dtype=dtype)


def eye(N, M=0, k=0, ctx=None, dtype=None):
    """A 2-D array with ones on the ``k``-th diagonal."""
    return _creator('_eye', ctx, None, N=N, M=M, k=k, dtype=dtype)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=None):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return _creator('_linspace', ctx, None, start=start, stop=stop, num=num,
                    endpoint=endpoint, dtype=dtype)


def waitall():
    """Wait until every queued computation on every device has finished."""
    backend.synchronize()


# ------------------------------------------------------------------ helpers written in Python
def concatenate(arrays, axis=0, always_copy=True):
    """Join a list of arrays along ``axis`` (MXNet's older name for ``concat``).

    >>> import d2lmini as mx
    >>> mx.nd.concatenate([mx.nd.ones((1, 2)), mx.nd.zeros((1, 2))]).shape
    (2, 2)
    """
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise ValueError('concatenate expects a non-empty list of NDArrays')
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    return _FRONT_END['concat'](*arrays, dim=axis)


def onehot_encode(indices, out):
    """Write the one-hot rows of ``indices`` into ``out`` and return ``out`` (MXNet's
    older form of ``one_hot``): ``out[i, indices[i]] = 1``, zeros elsewhere.

    >>> import d2lmini as mx
    >>> mx.nd.onehot_encode(mx.nd.array([1, 0]), mx.nd.zeros((2, 3)))
    <BLANKLINE>
    [[0. 1. 0.]
     [1. 0. 0.]]
    <NDArray 2x3 @cpu(0)>
    """
    return _FRONT_END['_onehot_encode'](indices, out, out=out)


def moveaxis(tensor, source, destination):
    """Move axes ``source`` to positions ``destination``, keeping the order of the others.

    >>> import d2lmini as mx
    >>> mx.nd.moveaxis(mx.nd.zeros((3, 4, 5)), [0, 1], [-1, -2]).shape
    (5, 4, 3)
    """
    ndim = tensor.ndim

    def axes(a, what):
        a = [a] if isinstance(a, int) else list(a)
        if any(not -ndim <= i < ndim for i in a):
            raise ValueError(f'moveaxis: {what} {a} out of range for an array of {ndim} axes')
        a = [i % ndim for i in a]
        if len(set(a)) != len(a):
            raise ValueError(f'moveaxis: repeated axis in {what} {a}')
        return a
    source, destination = axes(source, 'source'), axes(destination, 'destination')
    if len(source) != len(destination):
        raise ValueError('`source` and `destination` arguments must have the same number '
                         'of elements')
    order = [n for n in range(ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return _FRONT_END['transpose'](tensor, axes=tuple(order))


# ------------------------------------------------------------------ operators on numbers too
def _ufunc(name, array_op, scalar_op, rscalar_op=None, py=None):
    """``nd.<name>(lhs, rhs)`` where either side may be a number, as in MXNet."""
    array_op, scalar_op = OPS[array_op], OPS[scalar_op]
    rscalar_op = scalar_op if rscalar_op is None else OPS[rscalar_op]

    def fn(lhs, rhs, out=None):
        if isinstance(lhs, NDArray):
            if isinstance(rhs, NDArray):
                return invoke(array_op, (lhs, rhs), _EMPTY, out)
            return invoke(scalar_op, (lhs,), {'scalar': _scalar(rhs)}, out)
        if isinstance(rhs, NDArray):
            return invoke(rscalar_op, (rhs,), {'scalar': _scalar(lhs)}, out)
        if isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types) and py:
            return py(lhs, rhs)
        raise TypeError(f'{name}: expected NDArrays or numbers, got {type(lhs).__name__} '
                        f'and {type(rhs).__name__}')
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f'``{name}(lhs, rhs)`` element-wise with broadcasting; either side may be a number.'
    return fn


add = _ufunc('add', 'broadcast_add', '_plus_scalar', py=lambda a, b: a + b)
subtract = _ufunc('subtract', 'broadcast_sub', '_minus_scalar', '_rminus_scalar',
                  py=lambda a, b: a - b)
multiply = _ufunc('multiply', 'broadcast_mul', '_mul_scalar', py=lambda a, b: a * b)
divide = _ufunc('divide', 'broadcast_div', '_div_scalar', '_rdiv_scalar',
                py=lambda a, b: a / b)
true_divide = divide
modulo = _ufunc('modulo', 'broadcast_mod', '_mod_scalar', '_rmod_scalar',
                py=lambda a, b: a % b)
power = _ufunc('power', 'broadcast_power', '_power_scalar', '_rpower_scalar',
               py=lambda a, b: a ** b)
# builtins.: nd.max and nd.min (the reductions) shadow Python's max and min here
maximum = _ufunc('maximum', 'broadcast_maximum', '_maximum_scalar', py=builtins.max)
minimum = _ufunc('minimum', 'broadcast_minimum', '_minimum_scalar', py=builtins.min)
hypot = _ufunc('hypot', 'broadcast_hypot', '_hypot_scalar')
equal = _ufunc('equal', 'broadcast_equal', '_equal_scalar')
not_equal = _ufunc('not_equal', 'broadcast_not_equal', '_not_equal_scalar')
greater = _ufunc('greater', 'broadcast_greater', '_greater_scalar', '_lesser_scalar')
greater_equal = _ufunc('greater_equal', 'broadcast_greater_equal', '_greater_equal_scalar',
                       '_lesser_equal_scalar')
lesser = _ufunc('lesser', 'broadcast_lesser', '_lesser_scalar', '_greater_scalar')
lesser_equal = _ufunc('lesser_equal', 'broadcast_lesser_equal', '_lesser_equal_scalar',
                      '_greater_equal_scalar')
logical_and = _ufunc('logical_and', 'broadcast_logical_and', '_logical_and_scalar')
logical_or = _ufunc('logical_or', 'broadcast_logical_or', '_logical_or_scalar')
logical_xor = _ufunc('logical_xor', 'broadcast_logical_xor', '_logical_xor_scalar')


# ------------------------------------------------------------------ NDArray methods
_METHODS = (
    'abs', 'sign', 'flatten', 'expand_dims', 'tile', 'transpose', 'flip', 'diag',
    'sum', 'nansum', 'prod', 'nanprod', 'mean', 'max', 'min', 'norm',
    'round', 'rint', 'fix', 'floor', 'ceil', 'trunc', 'sin', 'cos', 'tan', 'arcsin',
    'arccos', 'arctan', 'degrees', 'radians', 'sinh', 'cosh', 'tanh', 'arcsinh',
    'arccosh', 'arctanh', 'exp', 'expm1', 'log', 'log10', 'log2', 'log1p', 'sqrt',
    'rsqrt', 'cbrt', 'square', 'reciprocal', 'relu', 'sigmoid', 'softmax', 'log_softmax',
    'softmin', 'squeeze', 'zeros_like', 'ones_like', 'broadcast_to', 'broadcast_like',
    'broadcast_axes', 'repeat', 'pad', 'swapaxes', 'split', 'slice', 'slice_axis',
    'slice_like', 'take', 'one_hot', 'pick', 'sort', 'topk', 'argmax', 'argmax_channel',
    'argmin', 'argsort', 'clip', 'reshape_like', 'shape_array', 'size_array',
    'rcbrt', 'split_v2', 'depth_to_space', 'space_to_depth', 'slice_assign',
    'slice_assign_scalar')


def _attach_methods():
    for name in _METHODS:
        fn = _FRONT_END.get(name)
        if fn is not None and not hasattr(NDArray, name):
            method = (lambda f: lambda self, *args, **kwargs: f(self, *args, **kwargs))(fn)
            method.__name__ = name
            method.__doc__ = fn.__doc__
            setattr(NDArray, name, method)


def _reshape_method(self, *shape, **kwargs):
    """``x.reshape((2, 3))``, ``x.reshape(2, 3)`` or ``x.reshape(shape=(2, 3))``; the
    special codes 0, -1, -2, -3, -4 work as in ``nd.reshape``.

    As in MXNet, the result shares memory with ``x`` (``nd.reshape`` makes a copy):

    >>> import d2lmini as mx
    >>> x = mx.nd.zeros((2, 3))
    >>> y = x.reshape(-1)
    >>> y[0] = 5
    >>> print(x[0, 0].asscalar())
    5.0
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    if shape:
        kwargs['shape'] = tuple(shape)
    op = OPS['reshape']
    if kwargs.keys() - op.defaults.keys():
        op.check_attrs(kwargs)
    new_shape = op.infer_shape([self.shape], **kwargs)[0]   # checks the special codes
    y = _wrap(self._data.reshape(new_shape), self._ctx)     # a view, no copy
    if _STATE.recording:
        if _STATE.logged:  # memory written in place while recording: see ndarray.py
            _ndarray_module._follow(self)
            y._ver = _STATE.writes
        if self._node is not None:
            _record(op, kwargs, (self,), (self._data,), (y,))
    return y


if 'reshape' in _FRONT_END:
    NDArray.reshape = _reshape_method
_attach_methods()

from . import random  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
from . import image  # noqa: E402,F401
from .serialization import save, load, load_frombuffer  # noqa: E402,F401
from .dlpack import (from_dlpack, from_numpy, to_dlpack_for_read,  # noqa: E402,F401
                     to_dlpack_for_write)
from . import _internal, op, utils  # noqa: E402,F401
from . import sparse  # noqa: E402,F401
# casts to a sparse storage make a sparse array (the registered operator, used by
# graphs, keeps arrays dense)
cast_storage = sparse.cast_storage  # noqa: E305
sparse.install(globals(), vars(_internal))   # also _internal._square_sum, ...
from ._internal import CachedOp  # noqa: E402,F401


# ------------------------------------------------------------------ MXNet's older names
# ``nd.random_uniform`` and friends are the ``_random_*`` operators under their
# pre-``nd.random`` names; they take numbers (MXNet's ``nd.uniform`` is the same).
def random_uniform(low=0.0, high=1.0, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Uniform draws on ``[low, high)`` (also ``nd.uniform``; see ``nd.random.uniform``).

    >>> import d2lmini as mx
    >>> mx.nd.random_uniform(0, 1, shape=(2, 3)).shape
    (2, 3)
    """
    return random.uniform(low, high, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_normal(loc=0.0, scale=1.0, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Normal draws of mean ``loc``, standard deviation ``scale`` (also ``nd.normal``).

    >>> import d2lmini as mx
    >>> mx.nd.random_normal(0, 1, shape=(4,)).shape
    (4,)
    """
    return random.normal(loc, scale, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_exponential(lam=1.0, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Exponential draws of *rate* ``lam`` (mean ``1 / lam``; ``nd.random.exponential``
    takes the mean, ``scale``, instead).

    >>> import d2lmini as mx
    >>> bool(mx.nd.random_exponential(lam=4.0, shape=(1000,)).mean() < 0.5)
    True
    """
    return random.exponential(1.0 / lam, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_gamma(alpha=1.0, beta=1.0, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Gamma draws with shape ``alpha`` and scale ``beta``.

    >>> import d2lmini as mx
    >>> mx.nd.random_gamma(2.0, 1.0, shape=(3,)).shape
    (3,)
    """
    return random.gamma(alpha, beta, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_poisson(lam=1.0, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Poisson draws of mean ``lam`` (whole numbers stored as floats).

    >>> import d2lmini as mx
    >>> mx.nd.random_poisson(3.0, shape=(2,)).dtype.__name__
    'float32'
    """
    return random.poisson(lam, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_randint(low, high, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Integers from ``[low, high)``, int32 unless ``dtype`` says otherwise.

    >>> import d2lmini as mx
    >>> mx.nd.random_randint(0, 5, shape=(3,)).dtype.__name__
    'int32'
    """
    return random.randint(low, high, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_negative_binomial(k=1, p=1, shape=None, ctx=None, dtype=None, out=None, **kwargs):
    """Negative binomial draws (see ``nd.random.negative_binomial``).

    >>> import d2lmini as mx
    >>> mx.nd.random_negative_binomial(2, 0.5, shape=(3,)).shape
    (3,)
    """
    return random.negative_binomial(k, p, shape=shape, dtype=dtype, ctx=ctx, out=out, **kwargs)


def random_generalized_negative_binomial(mu=1, alpha=1, shape=None, ctx=None, dtype=None,
                                         out=None, **kwargs):
    """Generalized negative binomial draws (see
    ``nd.random.generalized_negative_binomial``).

    >>> import d2lmini as mx
    >>> mx.nd.random_generalized_negative_binomial(2, 0.5, shape=(3,)).shape
    (3,)
    """
    return random.generalized_negative_binomial(mu, alpha, shape=shape, dtype=dtype, ctx=ctx,
                                                out=out, **kwargs)


uniform = random_uniform
normal = random_normal


# ------------------------------------------------------------------ histogram, split_v2
from ..base import integer_types as _integer_types  # noqa: E402


def histogram(a, bins=10, range=None):
    """Counts of the values of ``a`` (flattened) in bins, and the bin edges.

    ``bins`` is a number of equal bins over ``range`` (as MXNet: without a
    ``range``, numpy's ``histogram`` decides, and the counts come back as float32)
    or an NDArray of edges (the last bin includes its right edge). With a range or
    edges the counts are int64 and the edges have ``a``'s dtype.

    >>> import d2lmini as mx
    >>> counts, edges = mx.nd.histogram(mx.nd.array([0, 1, 2, 3, 4]), bins=4, range=(0, 4))
    >>> counts.asnumpy().tolist(), edges.asnumpy().tolist()
    ([1, 1, 1, 2], [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    import numpy as np
    import warnings
    if isinstance(bins, NDArray):
        return invoke(OPS['_histogram'], (a, bins))
    # a float count of bins is refused, as MXNet does, rather than rounded
    if isinstance(bins, _integer_types) and not isinstance(bins, (bool, np.bool_)):
        if range is None:
            warnings.warn("range is not specified, using numpy's result to ensure "
                          'consistency with numpy')
            counts, edges = np.histogram(a.asnumpy(), bins=int(bins))
            return array(counts, ctx=a.context), array(edges, ctx=a.context)
        return invoke(OPS['_histogram'], (a,), {'bin_cnt': int(bins), 'range': tuple(range)})
    raise ValueError('bins argument should be either an integer or an NDArray')


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split ``ary`` along ``axis`` into ``N`` equal parts (``indices_or_sections``
    an int ``N``) or at the sorted positions of a tuple (``(2, 3)``: ``ary[:2]``,
    ``ary[2:3]``, ``ary[3:]``), as numpy's ``split``. Equal positions give an empty
    part; a position past the end of the axis is an error, as in MXNet 1.x (whose
    docstring promises an empty part instead). ``squeeze_axis`` drops the axis
    from parts of length 1. The gradient joins the parts' gradients back.

    >>> import d2lmini as mx
    >>> [p.shape for p in mx.nd.split_v2(mx.nd.zeros((6, 2)), (1, 3))]
    [(1, 2), (2, 2), (3, 2)]
    """
    if isinstance(indices_or_sections, _integer_types) and not isinstance(
            indices_or_sections, bool):
        n = int(indices_or_sections)
        size = ary.shape[axis]
        if n <= 0 or size % n:
            raise ValueError('array split does not result in an equal division')
        indices = tuple(i * (size // n) for i in builtins.range(n))
    elif isinstance(indices_or_sections, tuple):
        indices = (0,) + tuple(int(i) for i in indices_or_sections)
    else:
        raise ValueError('indices_or_sections must either int or tuple of ints')
    return _FRONT_END['_split_v2'](ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis)


def _split_v2_method(self, *args, **kwargs):
    """``nd.split_v2(self, ...)``."""
    return split_v2(self, *args, **kwargs)


_split_v2_method.__name__ = 'split_v2'
NDArray.split_v2 = _split_v2_method
del _split_v2_method


def reset_arrays(*data, num_arrays=None, out=None, name=None):
    """Set every array of ``data`` to zero, in place; returns an empty list, as
    MXNet (whose optimizers use it to clear gradients). ``num_arrays`` must be the
    number of arrays.

    >>> import d2lmini as mx
    >>> a = mx.nd.ones(2)
    >>> mx.nd.reset_arrays(a, num_arrays=1)
    []
    >>> a
    <BLANKLINE>
    [0. 0.]
    <NDArray 2 @cpu(0)>
    """
    from ..base import MXNetError
    if num_arrays is None:
        raise MXNetError('reset_arrays: the parameter num_arrays is required')
    if int(num_arrays) != len(data):
        raise MXNetError(f'reset_arrays expects {num_arrays} inputs (num_arrays), but got '
                         f'{len(data)} instead')
    for a in data:
        a[:] = 0
    return []
