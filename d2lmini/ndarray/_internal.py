"""``mx.nd._internal``: the operators whose names start with ``_``, as MXNet 1.x
keeps them there, plus :class:`CachedOp`.

Every ``_name`` operator of ``mx.nd`` is here too (``_internal._plus_scalar`` is
``nd._plus_scalar``), and so are the creation operators without array inputs,
called with keyword attributes as in MXNet:

>>> import d2lmini as mx
>>> mx.nd._internal._full(shape=(2,), value=3)
<BLANKLINE>
[3. 3.]
<NDArray 2 @cpu(0)>

``_slice_assign`` (also ``_crop_assign``) and ``_slice_assign_scalar`` (also
``_crop_assign_scalar``) write into a region given as for ``nd.slice``; with
``out=x`` they update ``x`` itself:

>>> x = mx.nd.zeros((2, 3))
>>> _ = mx.nd._internal._crop_assign_scalar(x, scalar=5, begin=(0, 1), end=(1, 3), out=x)
>>> x
<BLANKLINE>
[[0. 5. 5.]
 [0. 0. 0.]]
<NDArray 2x3 @cpu(0)>
"""
from ..base import MXNetError, numeric_types, shape_str
from ..ops import OPS
from ..ops.sort import _slice_key
from .ndarray import NDArray, array, invoke, invoke_nullary


def _nullary_function(name, op):
    """``_internal.<name>`` for an operator without array inputs: attributes by
    keyword (or positionally, in the operator's order), ``ctx``, ``out``."""
    attr_names = op.attr_names

    def fn(*args, ctx=None, out=None, name=None, **kwargs):
        if len(args) > len(attr_names):
            raise TypeError(f'{fn.__name__} takes at most {len(attr_names)} positional '
                            f'attributes ({", ".join(attr_names)}), got {len(args)}')
        attrs = dict(zip(attr_names, args))
        twice = sorted(attrs.keys() & kwargs.keys())
        if twice:
            raise TypeError(f'{fn.__name__} got attribute(s) {twice} both positionally and '
                            'by name')
        attrs.update(kwargs)
        op.check_attrs(attrs)
        if ctx is None and out is not None:
            ctx = out.context
        return invoke_nullary(op, ctx, attrs, out)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = op.doc or f'The {name} operator (no array inputs).'
    return fn


# MXNet's older, capitalised names for the arithmetic operators
_LEGACY_NAMES = {
    '_Plus': '_plus', '_Minus': '_minus', '_Mul': '_mul', '_Div': '_div',
    '_PlusScalar': '_plus_scalar', '_MinusScalar': '_minus_scalar',
    '_RMinusScalar': '_rminus_scalar', '_MulScalar': '_mul_scalar',
    '_DivScalar': '_div_scalar', '_RDivScalar': '_rdiv_scalar', '_ModScalar': '_mod_scalar',
    '_RModScalar': '_rmod_scalar', '_PowerScalar': '_power_scalar',
    '_RPowerScalar': '_rpower_scalar', '_MaximumScalar': '_maximum_scalar',
    '_MinimumScalar': '_minimum_scalar', '_HypotScalar': '_hypot_scalar',
    '_EqualScalar': '_equal_scalar', '_NotEqualScalar': '_not_equal_scalar',
    '_GreaterScalar': '_greater_scalar', '_GreaterEqualScalar': '_greater_equal_scalar',
    '_LesserScalar': '_lesser_scalar', '_LesserEqualScalar': '_lesser_equal_scalar',
    '_LogicalAndScalar': '_logical_and_scalar', '_LogicalOrScalar': '_logical_or_scalar',
    '_LogicalXorScalar': '_logical_xor_scalar'}


def _export():
    from . import _FRONT_END
    names = globals()
    for name, fn in _FRONT_END.items():
        if name.startswith('_'):
            names[name] = fn
    for name, op in OPS.items():
        if name.startswith('_') and name not in names and not (
                op.inputs or op.variadic or getattr(op, 'dynamic_inputs', False)):
            names[name] = _nullary_function(name, op)
    for old, new in _LEGACY_NAMES.items():
        if new in names:
            names[old] = names[new]


# ------------------------------------------------------------------ slice assignment
def _region(what, shape, begin, end, step):
    if begin is None or end is None:
        raise MXNetError(f'{what}: begin and end are required')
    return _slice_key(shape, begin, end, step)


def _slice_assign(lhs, rhs, begin=None, end=None, step=(), out=None, name=None):
    """A copy of ``lhs`` with the region ``[begin, end)`` (strides ``step``, as in
    ``nd.slice``) replaced by ``rhs``, whose shape must be the region's (MXNet does
    not broadcast here). ``out=lhs`` writes ``lhs`` itself.

    MXNet registers no gradient for this operator; here the gradient flows to
    ``lhs`` outside the region and to ``rhs`` from inside it.

    >>> import d2lmini as mx
    >>> x = mx.nd.zeros((2, 3))
    >>> mx.nd._internal._slice_assign(x, mx.nd.ones((2, 1)), begin=(0, 2), end=(2, 3))
    <BLANKLINE>
    [[0. 0. 1.]
     [0. 0. 1.]]
    <NDArray 2x3 @cpu(0)>
    """
    if not isinstance(lhs, NDArray) or not isinstance(rhs, NDArray):
        raise TypeError(f'_slice_assign expects NDArrays for lhs and rhs, got '
                        f'{type(lhs).__name__} and {type(rhs).__name__}')
    key = _region('_slice_assign', lhs.shape, begin, end, step)
    region = lhs._data[key].shape  # a basic key: a view, nothing copied
    if rhs.shape != region:
        raise MXNetError(f'_slice_assign: rhs has shape {shape_str(rhs.shape)}, but the region '
                         f'begin={begin}, end={end}, step={step} of an array of shape '
                         f'{shape_str(lhs.shape)} has shape {shape_str(region)}')
    if rhs.dtype != lhs.dtype:
        raise MXNetError(f'_slice_assign: rhs is {rhs.dtype.__name__} but lhs is '
                         f'{lhs.dtype.__name__}; convert one with astype()')
    return invoke(OPS['_setitem'], (lhs, rhs), {'key': key}, out)


def _slice_assign_scalar(data, scalar=0, begin=None, end=None, step=(), out=None, name=None):
    """A copy of ``data`` with the region ``[begin, end)`` (strides ``step``, as in
    ``nd.slice``) set to the number ``scalar``. ``out=data`` writes ``data`` itself.

    >>> import d2lmini as mx
    >>> mx.nd._internal._slice_assign_scalar(mx.nd.zeros((3,)), scalar=7, begin=(1,),
    ...                                      end=(None,))
    <BLANKLINE>
    [0. 7. 7.]
    <NDArray 3 @cpu(0)>
    """
    if not isinstance(data, NDArray):
        raise TypeError(f'_slice_assign_scalar expects an NDArray for data, got '
                        f'{type(data).__name__}')
    if not isinstance(scalar, numeric_types):
        raise TypeError(f'_slice_assign_scalar: scalar must be a number, got '
                        f'{type(scalar).__name__}')
    key = _region('_slice_assign_scalar', data.shape, begin, end, step)
    value = array([scalar], ctx=data.context, dtype=data.dtype)
    return invoke(OPS['_setitem'], (data, value), {'key': key}, out)


_crop_assign = _slice_assign
_crop_assign_scalar = _slice_assign_scalar


# ------------------------------------------------------------------ CachedOp
class CachedOp:
    """A symbol made callable on NDArrays, as MXNet's ``mx.nd.CachedOp``: call it
    with one NDArray per input of ``sym.list_inputs()``, in that order. The graph is
    compiled once per input signature and runs under ``autograd.record()`` like any
    operator. ``flags`` are ``(name, value)`` pairs (``static_alloc``,
    ``static_shape``). One output gives an NDArray, several a list; ``out=`` writes
    the outputs into given arrays and returns them.

    >>> import d2lmini as mx
    >>> x = mx.sym.var('x')
    >>> op = mx.nd.CachedOp(x * 2 + 1)
    >>> op(mx.nd.array([1., 2.]))
    <BLANKLINE>
    [3. 5.]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, sym, flags=(), thread_safe=False):
        from ..symbol.cached_op import CachedOp as _CompiledGraph  # symbol imports ndarray
        self._input_names = sym.list_inputs()
        self._num_outputs = len(sym.list_outputs())
        self._graph = _CompiledGraph(sym, self._input_names, {}, dict(flags), single=False)

    def __call__(self, *args, out=None, default_ctx=None, **kwargs):
        if kwargs:
            raise TypeError('CachedOp.__call__ got unexpected keyword argument(s): '
                            + ', '.join(kwargs))
        if len(args) != len(self._input_names):
            raise MXNetError(f'CachedOp expects {len(self._input_names)} inputs '
                             f'({", ".join(self._input_names)}), got {len(args)}')
        if not args:
            raise MXNetError('CachedOp: a graph without inputs cannot be run here')
        outs = self._graph(list(args))
        if out is None:
            return outs[0] if self._num_outputs == 1 else outs
        targets = [out] if isinstance(out, NDArray) else list(out)
        if len(targets) != len(outs):
            raise MXNetError(f'CachedOp: out has {len(targets)} arrays, the graph has '
                             f'{len(outs)} outputs')
        for target, value in zip(targets, outs):
            value.copyto(target)
        return out


_export()
