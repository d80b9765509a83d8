"""Matrix products: ``dot`` and ``batch_dot``.

Both hand the work to ``xp.matmul`` (the ``@`` operator), which calls the BLAS
library: a hand-written loop would be thousands of times slower. A transpose flag
is passed on as a transposed *view*, which BLAS reads in place without a copy.

``dot`` follows MXNet's N-D rule: it contracts the last axis of ``lhs`` with the
first axis of ``rhs``, so ``(2, 3, 4) . (4, 5)`` is ``(2, 3, 5)``. Put differently,
``lhs`` is read as a matrix of ``prod(shape[:-1])`` rows and ``rhs`` as a matrix of
``shape[0]`` rows; ``transpose_a`` instead contracts the *first* axis of ``lhs``
and ``transpose_b`` the *last* axis of ``rhs``.
"""
import math


from ..base import MXNetError, shape_str
from .registry import needs_grad, register


def _check_types(name, lhs, rhs):
    """MXNet multiplies floating-point matrices of one dtype only; numpy would
    silently promote mixed or integer inputs, so refuse them here."""
    for a in (lhs, rhs):
        if a.dtype.kind != 'f':
            raise MXNetError(f'operator {name}: inputs must be floating point, got {a.dtype} '
                             f'(shapes {shape_str(lhs.shape)} and {shape_str(rhs.shape)})')
    if lhs.dtype != rhs.dtype:
        raise MXNetError(f'operator {name}: lhs is {lhs.dtype} but rhs is {rhs.dtype}; '
                         'cast one with astype')


# ------------------------------------------------------------------ dot
def _lhs_matrix_shape(shape, transpose):
    """The 2-D shape ``dot`` reads ``lhs`` as (before its transpose flag applies)."""
    if transpose:
        return shape[0], math.prod(shape[1:])
    return math.prod(shape[:-1]), shape[-1]


def _rhs_matrix_shape(shape, transpose):
    """The 2-D shape ``dot`` reads ``rhs`` as (before its transpose flag applies)."""
    if transpose:
        return math.prod(shape[:-1]), shape[-1]
    return shape[0], math.prod(shape[1:])


def _dot_out_shape(lshape, rshape, transpose_a, transpose_b):
    left = lshape[1:] if transpose_a else lshape[:-1]
    right = rshape[:-1] if transpose_b else rshape[1:]
    return (left + right) or (1,)


def _shape_error(name, lhs, rhs, transpose_a, transpose_b, extra=''):
    flags = f' (transpose_a={transpose_a}, transpose_b={transpose_b})' if (
        transpose_a or transpose_b) else ''
    return MXNetError(f'{name} shape error{extra}: {shape_str(lhs.shape)} X '
                      f'{shape_str(rhs.shape)}{flags}')


def _dot(xp, lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    """The matrix product of ``lhs`` and ``rhs``; for N-D inputs, the sum over the
    last axis of ``lhs`` and the first axis of ``rhs``.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.dot(x, x, transpose_a=True)
    <BLANKLINE>
    [[10. 14.]
     [14. 20.]]
    <NDArray 2x2 @cpu(0)>
    """
    _check_types('dot', lhs, rhs)
    if lhs.ndim == 2 and rhs.ndim == 2:  # the common case, without reshapes
        a = lhs.T if transpose_a else lhs
        b = rhs.T if transpose_b else rhs
        if a.shape[1] != b.shape[0]:
            raise _shape_error('dot', lhs, rhs, transpose_a, transpose_b)
        return xp.matmul(a, b)
    if lhs.ndim == 1 and rhs.ndim == 1 and (transpose_a or transpose_b):
        raise MXNetError('operator dot: cannot transpose vectors (both inputs are 1-D)')
    a = lhs.reshape(_lhs_matrix_shape(lhs.shape, transpose_a))
    b = rhs.reshape(_rhs_matrix_shape(rhs.shape, transpose_b))
    if transpose_a:
        a = a.T
    if transpose_b:
        b = b.T
    if a.shape[1] != b.shape[0]:
        raise _shape_error('dot', lhs, rhs, transpose_a, transpose_b)
    return xp.matmul(a, b).reshape(_dot_out_shape(lhs.shape, rhs.shape, transpose_a,
                                                  transpose_b))


def _as_shape(F, a, shape):
    """``a`` reshaped to ``shape`` (recorded, so higher-order gradients still work)."""
    return a if a.shape == shape else F.reshape(a, shape=shape)


def _dot_grad(F, dy, x, y, transpose_a, transpose_b, forward_stype):
    """With ``A``, ``B`` the matrices ``dot`` reads and ``G`` the output gradient
    (``C = op(A) op(B)``, ``op`` a transpose or not): ``dA``, ``dB`` are again
    products of ``G``, ``A``, ``B``, and the transpose flags do the transposes."""
    lhs, rhs = x
    want_a, want_b = needs_grad(lhs), needs_grad(rhs)
    a = _as_shape(F, lhs, _lhs_matrix_shape(lhs.shape, transpose_a))
    b = _as_shape(F, rhs, _rhs_matrix_shape(rhs.shape, transpose_b))
    m = a.shape[1] if transpose_a else a.shape[0]
    n = b.shape[0] if transpose_b else b.shape[1]
    g = _as_shape(F, dy, (m, n))
    # each gradient is computed only for an input in the graph (constants need none)
    if not transpose_a and not transpose_b:    # C = A B
        da = want_a and F.dot(g, b, transpose_b=True)
        db = want_b and F.dot(a, g, transpose_a=True)
    elif transpose_a and not transpose_b:      # C = A^T B
        da = want_a and F.dot(b, g, transpose_b=True)
        db = want_b and F.dot(a, g)
    elif not transpose_a and transpose_b:      # C = A B^T
        da = want_a and F.dot(g, b)
        db = want_b and F.dot(g, a, transpose_a=True)
    else:                                      # C = A^T B^T
        da = want_a and F.dot(b, g, transpose_a=True, transpose_b=True)
        db = want_b and F.dot(g, a, transpose_a=True, transpose_b=True)
    return [_as_shape(F, da, lhs.shape) if want_a else None,
            _as_shape(F, db, rhs.shape) if want_b else None]


register('dot', _dot, inputs=('lhs', 'rhs'), backward=_dot_grad)


# ------------------------------------------------------------------ batch_dot
def _batch_dot(xp, lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    """One matrix product per batch element: ``(B, n, k) x (B, k, m) -> (B, n, m)``.
    More leading batch axes are allowed when both inputs have them.

    >>> import d2lmini as mx
    >>> x = mx.nd.ones((2, 3, 4))
    >>> mx.nd.batch_dot(x, x, transpose_b=True).shape
    (2, 3, 3)
    """
    _check_types('batch_dot', lhs, rhs)
    if lhs.ndim < 3 or lhs.ndim != rhs.ndim:
        raise MXNetError(f'operator batch_dot: needs two arrays with the same number of '
                         f'axes, at least 3; got {shape_str(lhs.shape)} and '
                         f'{shape_str(rhs.shape)}')
    if lhs.shape[:-2] != rhs.shape[:-2]:
        raise _shape_error('batch_dot', lhs, rhs, transpose_a, transpose_b,
                           ' (the leading batch dimensions must be equal)')
    a = xp.swapaxes(lhs, -1, -2) if transpose_a else lhs
    b = xp.swapaxes(rhs, -1, -2) if transpose_b else rhs
    if a.shape[-1] != b.shape[-2]:
        raise _shape_error('batch_dot', lhs, rhs, transpose_a, transpose_b)
    return xp.matmul(a, b)


def _batch_dot_grad(F, dy, x, y, transpose_a, transpose_b, forward_stype):
    """The rules of ``dot``'s backward, applied to every batch element."""
    a, b = x
    if not transpose_a and not transpose_b:
        da, db = (lambda: F.batch_dot(dy, b, transpose_b=True),
                  lambda: F.batch_dot(a, dy, transpose_a=True))
    elif transpose_a and not transpose_b:
        da, db = (lambda: F.batch_dot(b, dy, transpose_b=True),
                  lambda: F.batch_dot(a, dy))
    elif not transpose_a and transpose_b:
        da, db = (lambda: F.batch_dot(dy, b),
                  lambda: F.batch_dot(dy, a, transpose_a=True))
    else:
        da, db = (lambda: F.batch_dot(b, dy, transpose_a=True, transpose_b=True),
                  lambda: F.batch_dot(dy, a, transpose_a=True, transpose_b=True))
    return [da() if needs_grad(a) else None, db() if needs_grad(b) else None]


register('batch_dot', _batch_dot, inputs=('lhs', 'rhs'), backward=_batch_dot_grad)
