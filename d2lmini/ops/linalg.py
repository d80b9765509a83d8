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

import numpy as np


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


register('dot', _dot, inputs=('lhs', 'rhs'), backward=_dot_grad, same_dtype=True)


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


register('batch_dot', _batch_dot, inputs=('lhs', 'rhs'), backward=_batch_dot_grad,
         same_dtype=True)


# ================================================================== nd.linalg
# MXNet's ``linalg`` operators (``_linalg_<name>``, also ``linalg_<name>``; the
# ``nd.linalg`` / ``sym.linalg`` namespaces show them as ``<name>``) work on stacks of
# matrices: the last two axes are the matrix, every leading axis is a batch axis.
# They take float32 and float64 only. The gradients are MXNet's formulas, written
# with these same operators, so they can be differentiated again.
def _la_check(name, *arrays):
    for a in arrays:
        if a.dtype.kind != 'f' or a.dtype.itemsize < 4:
            raise MXNetError(f'operator linalg_{name}: this operation only supports 32-bit '
                             f'and 64-bit floating point, got {a.dtype}')
        if a.ndim < 2:
            raise MXNetError(f'operator linalg_{name}: inputs need at least 2 axes (a '
                             f'matrix), got shape {shape_str(a.shape)}')
    if any(a.dtype != arrays[0].dtype for a in arrays):
        raise MXNetError(f'operator linalg_{name}: inputs have different dtypes '
                         f'({", ".join(str(a.dtype) for a in arrays)})')


def _square(name, a):
    if a.shape[-1] != a.shape[-2]:
        raise MXNetError(f'operator linalg_{name}: needs square matrices, got shape '
                         f'{shape_str(a.shape)}')


def _t(xp, a):
    return xp.swapaxes(a, -1, -2)


def _rows_last(xp, a, axis):
    """``a`` with its matrix-row axis ``axis`` moved to the second-to-last place."""
    axis = axis % a.ndim
    return a if axis == a.ndim - 2 else xp.moveaxis(a, axis, -2)


def _gemm_core(name, xp, A, B, transpose_a, transpose_b, alpha, axis):
    _la_check(name, A, B)
    if A.ndim != B.ndim or not -A.ndim <= axis < A.ndim or axis % A.ndim == A.ndim - 1:
        raise MXNetError(f'operator linalg_{name}: inputs must have the same number of axes '
                         f'and axis={axis} must not be the last one (shapes '
                         f'{shape_str(A.shape)}, {shape_str(B.shape)})')
    a, b = _rows_last(xp, A, axis), _rows_last(xp, B, axis)
    a = _t(xp, a) if transpose_a else a
    b = _t(xp, b) if transpose_b else b
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
        raise MXNetError(f'operator linalg_{name}: incompatible matrix dimensions for '
                         f'multiplication: {shape_str(A.shape)} and {shape_str(B.shape)} '
                         f'(transpose_a={transpose_a}, transpose_b={transpose_b}, axis={axis})')
    out = xp.matmul(a, b)
    if alpha != 1:
        out *= alpha
    return out


def _moved_back(xp, out, axis, ndim):
    axis = axis % ndim
    return out if axis == ndim - 2 else xp.moveaxis(out, -2, axis)


def _gemm2(xp, A, B, transpose_a=False, transpose_b=False, alpha=1.0, axis=-2):
    """``alpha * op(A) op(B)`` for every matrix of a stack; ``op`` transposes when
    asked. ``axis`` is the axis of the matrix rows (the columns are the last axis).

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.linalg.gemm2(a, a, transpose_b=True, alpha=0.5)
    <BLANKLINE>
    [[ 2.5  5.5]
     [ 5.5 12.5]]
    <NDArray 2x2 @cpu(0)>
    """
    out = _gemm_core('gemm2', xp, A, B, transpose_a, transpose_b, alpha, axis)
    return _moved_back(xp, out, axis, A.ndim)


def _gemm(xp, A, B, C, transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0, axis=-2):
    """``alpha * op(A) op(B) + beta * C`` for every matrix of a stack.

    >>> import d2lmini as mx
    >>> a = mx.nd.array([[1, 2], [3, 4]])
    >>> mx.nd.linalg.gemm(a, a, mx.nd.ones((2, 2)), beta=10)
    <BLANKLINE>
    [[17. 20.]
     [25. 32.]]
    <NDArray 2x2 @cpu(0)>
    """
    out = _gemm_core('gemm', xp, A, B, transpose_a, transpose_b, alpha, axis)
    out = _moved_back(xp, out, axis, A.ndim)
    _la_check('gemm', A, C)
    if C.shape != out.shape:
        raise MXNetError(f'operator linalg_gemm: C has shape {shape_str(C.shape)} but '
                         f'op(A) op(B) has shape {shape_str(out.shape)}')
    return out + beta * C if beta != 1 else out + C


def _gemm_grads(F, g, A, B, ta, tb, alpha, axis):
    """dA, dB of ``alpha * op(A) op(B)`` (the four transpose cases of ``dot``)."""
    mm = lambda p, q, a=False, b=False: F.linalg_gemm2(p, q, transpose_a=a, transpose_b=b,
                                                         alpha=alpha, axis=axis)
    if not ta and not tb:
        return (lambda: mm(g, B, b=True)), (lambda: mm(A, g, a=True))
    if ta and not tb:
        return (lambda: mm(B, g, b=True)), (lambda: mm(A, g))
    if not ta and tb:
        return (lambda: mm(g, B)), (lambda: mm(g, A, a=True))
    return (lambda: mm(B, g, a=True, b=True)), (lambda: mm(g, A, a=True, b=True))


def _gemm2_grad(F, dy, x, y, transpose_a, transpose_b, alpha, axis):
    A, B = x
    da, db = _gemm_grads(F, dy, A, B, transpose_a, transpose_b, alpha, axis)
    return [da() if needs_grad(A) else None, db() if needs_grad(B) else None]


def _gemm_grad(F, dy, x, y, transpose_a, transpose_b, alpha, beta, axis):
    A, B, C = x
    da, db = _gemm_grads(F, dy, A, B, transpose_a, transpose_b, alpha, axis)
    return [da() if needs_grad(A) else None, db() if needs_grad(B) else None,
            dy * beta if needs_grad(C) else None]


register('_linalg_gemm', _gemm, inputs=('A', 'B', 'C'), aliases=('linalg_gemm',),
         backward=_gemm_grad)
register('_linalg_gemm2', _gemm2, inputs=('A', 'B'), aliases=('linalg_gemm2',),
         backward=_gemm2_grad)


def _shape_from_identities(forward):
    """Shape inference that runs ``forward`` on identity matrices (zeros, the
    default, are singular: a factorisation or a solve would refuse them)."""
    def infer(in_shapes, **attrs):
        arrays = [np.broadcast_to(np.eye(s[-2], s[-1]) if len(s) >= 2 else np.ones(s),
                                  s).astype(np.float64) + 0.0 for s in in_shapes]
        out = forward(np, *arrays, **attrs)
        outs = out if isinstance(out, tuple) else (out,)
        return [tuple(o.shape) for o in outs]
    return infer


# ------------------------------------------------------------------ triangles
def _tril_of(xp, a, lower=True, k=0):
    return xp.tril(a, k) if lower else xp.triu(a, k)


def _mask_tri(F, m, lower=True):
    """``m`` with the other triangle set to zero (recorded)."""
    return F.linalg_maketrian(F.linalg_extracttrian(m, lower=lower), lower=lower)


def _copy_ltu(F, m):
    """The symmetric matrix whose lower triangle (diagonal included) is ``m``'s."""
    if m.shape[-1] == 1:
        # 1x1 matrices are their own lower triangle (and have no strict one to extract)
        return m
    low = F.linalg_maketrian(F.linalg_extracttrian(m, offset=-1), offset=-1)
    return low + F.swapaxes(low, dim1=-1, dim2=-2) + F.linalg_makediag(
        F.linalg_extractdiag(m))


def _potrf(xp, A, lower=True):
    """The Cholesky factor ``L`` (lower triangular, ``A = L L^T``) of every symmetric
    positive-definite matrix of a stack; with ``lower=False`` the upper triangular
    ``U = L^T`` (``A = U^T U``). (The symmetric part of ``A`` is factorised, so the
    gradient, MXNet's symmetric one, is the true derivative.)

    >>> import d2lmini as mx
    >>> mx.nd.linalg.potrf(mx.nd.array([[4, 2], [2, 5]]))
    <BLANKLINE>
    [[2. 0.]
     [1. 2.]]
    <NDArray 2x2 @cpu(0)>
    """
    _la_check('potrf', A)
    _square('potrf', A)
    sym = (A + _t(xp, A)) / 2
    try:
        with np.errstate(invalid='raise'):
            out = xp.linalg.cholesky(sym)
    except (np.linalg.LinAlgError, FloatingPointError):
        raise MXNetError('operator linalg_potrf: potrf failed: the input matrix is either '
                         'not symmetric or not positive definite') from None
    if xp is not np and bool(xp.isnan(out).any()):
        raise MXNetError('operator linalg_potrf: potrf failed: the input matrix is either '
                         'not symmetric or not positive definite')
    if not lower:
        out = _t(xp, out)
    return out.astype(A.dtype, copy=False)


def _potrf_grad(F, dy, x, y, lower=True):
    # dA = 0.5 * L^-T copyLTU(L^T dL) L^-1; an upper factor U is L^T, and so is its
    # gradient
    L = y
    if not lower:
        L, dy = F.swapaxes(y, dim1=-1, dim2=-2), F.swapaxes(dy, dim1=-1, dim2=-2)
    m = _copy_ltu(F, F.linalg_gemm2(L, dy, transpose_a=True))
    m = F.linalg_trsm(L, m, rightside=True)
    return [F.linalg_trsm(L, m, transpose=True, alpha=0.5)]


register('_linalg_potrf', _potrf, infer_shape=_shape_from_identities(_potrf),
         inputs=('A',), aliases=('linalg_potrf',),
         backward=_potrf_grad)


def _potri(xp, A, lower=True):
    """``(L L^T)^-1`` from a Cholesky factor ``L`` (the lower triangle of ``A``): the
    inverse of the matrix ``potrf`` factorised. With ``lower=False``, ``A``'s upper
    triangle ``U`` is the factor, and the result is ``(U^T U)^-1``.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.potri(mx.nd.array([[2, 0], [1, 2]]))
    <BLANKLINE>
    [[ 0.3125 -0.125 ]
     [-0.125   0.25  ]]
    <NDArray 2x2 @cpu(0)>
    """
    _la_check('potri', A)
    _square('potri', A)
    L = xp.tril(A) if lower else _t(xp, xp.triu(A))
    eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape)
    inv_l = _tri_solve(xp, L, eye, lower=True)
    return xp.matmul(_t(xp, inv_l), inv_l).astype(A.dtype, copy=False)


def _potri_grad(F, dy, x, y, lower=True):
    # dL = -tril(Y (G + G^T) Y L) for Y = (L L^T)^-1; an upper factor U is L^T, and
    # its gradient is dL^T
    L = x[0] if lower else F.swapaxes(x[0], dim1=-1, dim2=-2)
    g = dy + F.swapaxes(dy, dim1=-1, dim2=-2)
    m = F.linalg_gemm2(F.linalg_gemm2(F.linalg_gemm2(y, g), y), _mask_tri(F, L))
    dL = _mask_tri(F, -m)
    return [dL if lower else F.swapaxes(dL, dim1=-1, dim2=-2)]


register('_linalg_potri', _potri, infer_shape=_shape_from_identities(_potri),
         inputs=('A',), aliases=('linalg_potri',),
         backward=_potri_grad)


def _tri_solve(xp, T, B, lower=True):
    """``T^-1 B`` for triangular ``T`` (only its ``lower``/upper triangle is read)."""
    T = _tril_of(xp, T, lower)
    return xp.linalg.solve(T, B) if T.shape[:-2] == B.shape[:-2] else xp.linalg.solve(
        xp.broadcast_to(T, B.shape[:-2] + T.shape[-2:]), B)


def _tri_check(name, A, B, rightside):
    _la_check(name, A, B)
    _square(name, A)
    n = B.shape[-1] if rightside else B.shape[-2]
    if A.ndim != B.ndim or A.shape[:-2] != B.shape[:-2] or n != A.shape[-1]:
        raise MXNetError(f'operator linalg_{name}: shapes {shape_str(A.shape)} (triangular) '
                         f'and {shape_str(B.shape)} do not match (rightside={rightside})')


def _trsm(xp, A, B, transpose=False, rightside=False, lower=True, alpha=1.0):
    """Solves ``op(A) X = alpha B`` (or ``X op(A) = alpha B`` with ``rightside``) for
    triangular ``A``; only its lower (``lower``) or upper triangle is read.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.trsm(mx.nd.array([[2, 0], [1, 1]]), mx.nd.array([[2], [3]]))
    <BLANKLINE>
    [[1.]
     [2.]]
    <NDArray 2x1 @cpu(0)>
    """
    _tri_check('trsm', A, B, rightside)
    T = _tril_of(xp, A, lower)
    T = _t(xp, T) if transpose else T
    if rightside:   # X T = B  <=>  T^T X^T = B^T
        out = _t(xp, xp.linalg.solve(_t(xp, T), _t(xp, B)))
    else:
        out = xp.linalg.solve(T, B)
    if alpha != 1:
        out = out * alpha
    return out.astype(A.dtype, copy=False)


def _trsm_grad(F, dy, x, y, transpose, rightside, lower, alpha):
    A, B = x
    db = F.linalg_trsm(A, dy, transpose=not transpose, rightside=rightside, lower=lower,
                       alpha=alpha)
    da = None
    if needs_grad(A):
        if rightside:        # grad of op(A): -X^T dB / alpha
            g = F.linalg_gemm2(y, db, transpose_a=True, alpha=-1.0 / alpha)
        else:                # -dB X^T / alpha
            g = F.linalg_gemm2(db, y, transpose_b=True, alpha=-1.0 / alpha)
        if transpose:
            g = F.swapaxes(g, dim1=-1, dim2=-2)
        da = _mask_tri(F, g, lower)
    return [da, db if needs_grad(B) else None]


register('_linalg_trsm', _trsm, infer_shape=_shape_from_identities(_trsm),
         inputs=('A', 'B'), aliases=('linalg_trsm',),
         backward=_trsm_grad)


def _trmm(xp, A, B, transpose=False, rightside=False, lower=True, alpha=1.0):
    """``alpha * op(A) B`` (or ``alpha * B op(A)`` with ``rightside``) for triangular
    ``A``; only its lower (``lower``) or upper triangle is read.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.trmm(mx.nd.array([[1, 5], [2, 3]]), mx.nd.array([[1], [1]]))
    <BLANKLINE>
    [[1.]
     [5.]]
    <NDArray 2x1 @cpu(0)>
    """
    _tri_check('trmm', A, B, rightside)
    T = _tril_of(xp, A, lower)
    T = _t(xp, T) if transpose else T
    out = xp.matmul(B, T) if rightside else xp.matmul(T, B)
    if alpha != 1:
        out = out * alpha
    return out


def _trmm_grad(F, dy, x, y, transpose, rightside, lower, alpha):
    A, B = x
    db = F.linalg_trmm(A, dy, transpose=not transpose, rightside=rightside, lower=lower,
                       alpha=alpha)
    da = None
    if needs_grad(A):
        if rightside:        # grad of op(A): alpha B^T G
            g = F.linalg_gemm2(B, dy, transpose_a=True, alpha=alpha)
        else:                # alpha G B^T
            g = F.linalg_gemm2(dy, B, transpose_b=True, alpha=alpha)
        if transpose:
            g = F.swapaxes(g, dim1=-1, dim2=-2)
        da = _mask_tri(F, g, lower)
    return [da, db if needs_grad(B) else None]


register('_linalg_trmm', _trmm, infer_shape=_shape_from_identities(_trmm),
         inputs=('A', 'B'), aliases=('linalg_trmm',),
         backward=_trmm_grad)


def _sumlogdiag(xp, A):
    """The sum of the logarithms of the diagonal of every square matrix of a stack
    (``log det`` of a triangular matrix, half ``log det`` of ``L L^T``).

    >>> import d2lmini as mx
    >>> mx.nd.linalg.sumlogdiag(mx.nd.array([[1, 0], [0, 7.389056]]))
    <BLANKLINE>
    [2.]
    <NDArray 1 @cpu(0)>
    """
    _la_check('sumlogdiag', A)
    _square('sumlogdiag', A)
    out = xp.log(xp.diagonal(A, axis1=-2, axis2=-1)).sum(axis=-1)
    return out.reshape(out.shape or (1,)).astype(A.dtype, copy=False)


def _sumlogdiag_grad(F, dy, x, y):
    A = x[0]
    g = F.expand_dims(dy, axis=-1) if A.ndim > 2 else F.reshape(dy, shape=(1,))
    return [F.linalg_makediag(F.broadcast_mul(g, F.reciprocal(F.linalg_extractdiag(A))))]


register('_linalg_sumlogdiag', _sumlogdiag, infer_shape=_shape_from_identities(_sumlogdiag),
         inputs=('A',), aliases=('linalg_sumlogdiag',),
         backward=_sumlogdiag_grad)


def _syrk(xp, A, transpose=False, alpha=1.0):
    """``alpha * A A^T`` (or ``alpha * A^T A`` with ``transpose``) for every matrix.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.syrk(mx.nd.array([[1, 2, 3]]))
    <BLANKLINE>
    [[14.]]
    <NDArray 1x1 @cpu(0)>
    """
    _la_check('syrk', A)
    out = xp.matmul(_t(xp, A), A) if transpose else xp.matmul(A, _t(xp, A))
    return out * alpha if alpha != 1 else out


def _syrk_grad(F, dy, x, y, transpose, alpha):
    A = x[0]
    g = dy + F.swapaxes(dy, dim1=-1, dim2=-2)
    if transpose:
        return [F.linalg_gemm2(A, g, alpha=alpha)]
    return [F.linalg_gemm2(g, A, alpha=alpha)]


register('_linalg_syrk', _syrk, inputs=('A',), aliases=('linalg_syrk',), backward=_syrk_grad)


# ------------------------------------------------------------------ factorisations
def _gelqf(xp, A):
    """The LQ factorisation ``A = L Q`` of every ``m x n`` matrix (``m <= n``):
    ``Q`` has orthonormal rows, ``L`` is lower triangular. Returns ``(Q, L)``, with
    LAPACK's signs (those of its Householder reflections).

    >>> import d2lmini as mx
    >>> q, l = mx.nd.linalg.gelqf(mx.nd.array([[3, 4]]))
    >>> q.asnumpy().tolist(), l.asnumpy().tolist()
    ([[-0.6000000238418579, -0.800000011920929]], [[-5.0]])
    """
    _la_check('gelqf', A)
    if A.shape[-2] > A.shape[-1]:
        raise MXNetError(f'operator linalg_gelqf: input shape {shape_str(A.shape)}: the '
                         'last dimension must be >= the second to last')
    q, r = xp.linalg.qr(_t(xp, A))     # A^T = Q R  <=>  A = R^T Q^T, the same reflections
    return (_t(xp, q).astype(A.dtype, copy=False), _t(xp, r).astype(A.dtype, copy=False))


def _gelqf_grad(F, dy, x, y):
    # dA = L^-T (dQ + copyLTU(M) Q),  M = L^T dL - dQ Q^T
    Q, L = y
    dQ, dL = dy
    m = F.linalg_gemm2(L, dL, transpose_a=True) - F.linalg_gemm2(dQ, Q, transpose_b=True)
    inner = dQ + F.linalg_gemm2(_copy_ltu(F, m), Q)
    return [F.linalg_trsm(L, inner, transpose=True)]


register('_linalg_gelqf', _gelqf, infer_shape=_shape_from_identities(_gelqf),
         inputs=('A',), num_outputs=2, aliases=('linalg_gelqf',),
         backward=_gelqf_grad)


def _syevd(xp, A):
    """The eigendecomposition ``A = U^T diag(lam) U`` of every symmetric matrix:
    returns ``(U, lam)``, the eigenvalues ascending and the eigenvectors as the rows of
    ``U``, each signed so that its entry of largest magnitude is positive (as MXNet).

    >>> import d2lmini as mx
    >>> u, lam = mx.nd.linalg.syevd(mx.nd.array([[2, 1], [1, 2]]))
    >>> lam.asnumpy().tolist()
    [1.0, 3.0]
    """
    _la_check('syevd', A)
    _square('syevd', A)
    sym = (A + _t(xp, A)) / 2
    lam, v = xp.linalg.eigh(sym.astype(np.float64))
    u = _t(xp, v)
    big = xp.take_along_axis(u, xp.abs(u).argmax(axis=-1)[..., None], axis=-1)
    u = u * xp.where(big < 0, -1.0, 1.0)
    return u.astype(A.dtype), lam.astype(A.dtype)


def _syevd_grad(F, dy, x, y):
    # dA = U^T (diag(dlam) + sym(F o (dU U^T))) U,  F_ij = 1 / (lam_i - lam_j), i != j
    U, lam = y
    dU, dlam = dy
    eye = F.linalg_makediag(F.ones_like(lam))
    diff = F.broadcast_sub(F.expand_dims(lam, axis=-1), F.expand_dims(lam, axis=-2)) + eye
    inv = F.reciprocal(diff) * (1 - eye)
    w = inv * F.linalg_gemm2(dU, U, transpose_b=True)
    w = (w + F.swapaxes(w, dim1=-1, dim2=-2)) * 0.5
    w = w + F.linalg_makediag(dlam)
    return [F.linalg_gemm2(U, F.linalg_gemm2(w, U), transpose_a=True)]


register('_linalg_syevd', _syevd, infer_shape=_shape_from_identities(_syevd),
         inputs=('A',),
         num_outputs=2, backward=_syevd_grad)


# ------------------------------------------------------------------ inverse, det
def _inverse(xp, A):
    """The inverse of every square matrix of a stack.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.inverse(mx.nd.array([[2, 0], [0, 4]]))
    <BLANKLINE>
    [[0.5  0.  ]
     [0.   0.25]]
    <NDArray 2x2 @cpu(0)>
    """
    _la_check('inverse', A)
    _square('inverse', A)
    try:
        return xp.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise MXNetError('operator linalg_inverse: the input matrix is non-convertible '
                         '(singular)') from None


register('_linalg_inverse', _inverse, infer_shape=_shape_from_identities(_inverse),
         inputs=('A',), aliases=('linalg_inverse',),
         backward=lambda F, dy, x, y: [-F.linalg_gemm2(
             y, F.linalg_gemm2(dy, y, transpose_b=True), transpose_a=True)])


def _scalar_shape(out):
    return out.reshape(out.shape or (1,))


def _det(xp, A):
    """The determinant of every square matrix of a stack.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.det(mx.nd.array([[1, 2], [3, 4]]))
    <BLANKLINE>
    [-2.]
    <NDArray 1 @cpu(0)>
    """
    _la_check('det', A)
    _square('det', A)
    return _scalar_shape(xp.linalg.det(A)).astype(A.dtype, copy=False)


def _det_grad(F, dy, x, y):
    A = x[0]
    inv_t = F.swapaxes(F.linalg_inverse(A), dim1=-1, dim2=-2)
    if A.ndim > 2:
        scale = F.expand_dims(F.expand_dims(dy * y, axis=-1), axis=-1)
    else:
        scale = F.reshape(dy * y, shape=(1, 1))
    return [F.broadcast_mul(scale, inv_t)]


register('_linalg_det', _det, infer_shape=_shape_from_identities(_det),
         inputs=('A',), aliases=('linalg_det',), backward=_det_grad)


def _slogdet(xp, A):
    """``(sign, log|det|)`` of every square matrix of a stack.

    >>> import d2lmini as mx
    >>> sign, logdet = mx.nd.linalg.slogdet(mx.nd.array([[1, 2], [3, 4]]))
    >>> sign.asnumpy().tolist(), '%.4f' % logdet.asscalar()
    ([-1.0], '0.6931')
    """
    _la_check('slogdet', A)
    _square('slogdet', A)
    sign, logdet = xp.linalg.slogdet(A)
    return (_scalar_shape(sign).astype(A.dtype, copy=False),
            _scalar_shape(logdet).astype(A.dtype, copy=False))


def _slogdet_grad(F, dy, x, y):
    A = x[0]
    g = dy[1]
    inv_t = F.swapaxes(F.linalg_inverse(A), dim1=-1, dim2=-2)
    if A.ndim > 2:
        return [F.broadcast_mul(F.expand_dims(F.expand_dims(g, axis=-1), axis=-1), inv_t)]
    return [F.broadcast_mul(F.reshape(g, shape=(1, 1)), inv_t)]


register('_linalg_slogdet', _slogdet, infer_shape=_shape_from_identities(_slogdet),
         inputs=('A',), num_outputs=2,
         aliases=('linalg_slogdet',), backward=_slogdet_grad)


# ------------------------------------------------------------------ diagonals, triangles
def _extractdiag(xp, A, offset=0):
    """The ``offset``-th diagonal of every square matrix of a stack (above the main
    one for ``offset > 0``).

    >>> import d2lmini as mx
    >>> mx.nd.linalg.extractdiag(mx.nd.array([[1, 2], [3, 4]]), offset=1)
    <BLANKLINE>
    [2.]
    <NDArray 1 @cpu(0)>
    """
    _la_check('extractdiag', A)
    _square('extractdiag', A)
    if abs(offset) >= A.shape[-1]:
        raise MXNetError(f'operator linalg_extractdiag: offset={offset} is too large for '
                         f'matrices of shape {shape_str(A.shape[-2:])}')
    return xp.ascontiguousarray(xp.diagonal(A, offset, axis1=-2, axis2=-1))


def _makediag(xp, A, offset=0):
    """Square matrices with the vectors of ``A`` (its last axis) on their
    ``offset``-th diagonal, zeros elsewhere.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.makediag(mx.nd.array([1, 2]))
    <BLANKLINE>
    [[1. 0.]
     [0. 2.]]
    <NDArray 2x2 @cpu(0)>
    """
    if A.dtype.kind != 'f' or A.dtype.itemsize < 4:
        raise MXNetError('operator linalg_makediag: this operation only supports 32-bit '
                         f'and 64-bit floating point, got {A.dtype}')
    n = A.shape[-1] + abs(offset)
    out = xp.zeros(A.shape[:-1] + (n, n), A.dtype)
    i = xp.arange(A.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    out[..., r, c] = A
    return out


register('_linalg_extractdiag', _extractdiag, inputs=('A',), aliases=('linalg_extractdiag',),
         backward=lambda F, dy, x, y, offset: [F.linalg_makediag(dy, offset=offset)])
register('_linalg_makediag', _makediag, inputs=('A',), aliases=('linalg_makediag',),
         backward=lambda F, dy, x, y, offset: [F.linalg_extractdiag(dy, offset=offset)])


def _trian_index(xp, n, offset, lower):
    """Indices of the triangle, in MXNet's order: the lower one (``offset < 0``, or
    ``offset == 0`` and ``lower``) row by row, the upper one column by column."""
    if offset < 0 or (offset == 0 and lower):
        return np.tril_indices(n, offset)
    c, r = np.tril_indices(n, -offset)
    return r, c


def _extracttrian(xp, A, offset=0, lower=True):
    """The triangle of every square matrix as a vector: the lower one (``offset < 0``;
    ``offset == 0`` with ``lower``) row by row, or the upper one column by column.

    >>> import d2lmini as mx
    >>> mx.nd.linalg.extracttrian(mx.nd.array([[1, 2], [3, 4]]))
    <BLANKLINE>
    [1. 3. 4.]
    <NDArray 3 @cpu(0)>
    """
    _la_check('extracttrian', A)
    _square('extracttrian', A)
    if abs(offset) >= A.shape[-1]:
        raise MXNetError(f'operator linalg_extracttrian: offset={offset} is too large for '
                         f'matrices of shape {shape_str(A.shape[-2:])}')
    r, c = _trian_index(xp, A.shape[-1], offset, lower)
    return xp.ascontiguousarray(A[..., r, c])


def _maketrian(xp, A, offset=0, lower=True):
    """Triangular matrices filled from the vectors of ``A``, in the order of
    ``extracttrian`` (it is its inverse).

    >>> import d2lmini as mx
    >>> mx.nd.linalg.maketrian(mx.nd.array([1, 2, 3]))
    <BLANKLINE>
    [[1. 0.]
     [2. 3.]]
    <NDArray 2x2 @cpu(0)>
    """
    if A.dtype.kind != 'f' or A.dtype.itemsize < 4:
        raise MXNetError('operator linalg_maketrian: this operation only supports 32-bit '
                         f'and 64-bit floating point, got {A.dtype}')
    m = A.shape[-1]
    k = int(round((math.isqrt(8 * m + 1) - 1) / 2))
    if k * (k + 1) // 2 != m:
        raise MXNetError(f'operator linalg_maketrian: the last axis has {m} entries, not a '
                         'triangular number n(n+1)/2')
    n = k + abs(offset)
    out = xp.zeros(A.shape[:-1] + (n, n), A.dtype)
    r, c = _trian_index(xp, n, offset, lower)
    out[..., r, c] = A
    return out


register('_linalg_extracttrian', _extracttrian, inputs=('A',),
         aliases=('linalg_extracttrian',),
         backward=lambda F, dy, x, y, offset, lower: [
             F.linalg_maketrian(dy, offset=offset, lower=lower)])
register('_linalg_maketrian', _maketrian, inputs=('A',), aliases=('linalg_maketrian',),
         backward=lambda F, dy, x, y, offset, lower: [
             F.linalg_extracttrian(dy, offset=offset, lower=lower)])


# ------------------------------------------------------------------ khatri_rao
def _khatri_rao(xp, *args):
    """The column-wise Kronecker product of matrices with the same number of columns:
    for ``(n_1, k), ..., (n_m, k)`` inputs an ``(n_1 ... n_m, k)`` matrix whose
    column ``j`` is ``kron(A_1[:, j], ..., A_m[:, j])``.

    >>> import d2lmini as mx
    >>> mx.nd.khatri_rao(mx.nd.array([[1, 2]]), mx.nd.array([[1, 2], [3, 4]]))
    <BLANKLINE>
    [[1. 4.]
     [3. 8.]]
    <NDArray 2x2 @cpu(0)>
    """
    if not args:
        raise MXNetError('operator khatri_rao: needs at least one input matrix')
    k = args[0].shape[-1]
    for a in args:
        if a.ndim != 2 or a.shape[1] != k:
            shapes = ', '.join(shape_str(b.shape) for b in args)
            raise MXNetError(f'operator khatri_rao: inputs must be matrices with the same '
                             f'number of columns, got {shapes}')
    out = args[0]
    for a in args[1:]:
        out = (out[:, None, :] * a[None, :, :]).reshape(-1, k)
    return out


def _khatri_rao_grad(F, dy, x, y):
    rows = tuple(a.shape[0] for a in x)
    k = x[0].shape[1]
    g = F.reshape(dy, shape=rows + (k,))
    grads = []
    for i, a in enumerate(x):
        if not needs_grad(a):
            grads.append(None)
            continue
        t = g
        for j, b in enumerate(x):
            if j != i:
                shape = tuple(b.shape[0] if m == j else 1 for m in range(len(x))) + (k,)
                t = F.broadcast_mul(t, F.reshape(b, shape=shape))
        others = tuple(j for j in range(len(x)) if j != i)
        grads.append(F.sum(t, axis=others) if others else t)
    return grads


register('khatri_rao', _khatri_rao, backward=_khatri_rao_grad)
