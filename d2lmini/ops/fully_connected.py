"""FullyConnected, the dense layer: ``y = x @ W^T + b``.

With ``flatten=True`` (the default) every axis after the first is flattened, so a
batch of images ``(N, C, H, W)`` meets a weight ``(num_hidden, C*H*W)``; with
``flatten=False`` the product acts on the last axis only and the leading axes are
kept.

Its gradients are two more matrix products,

    dx = dy @ W            (_fc_data_grad)
    dW = dy^T @ x          (_fc_weight_grad)

and, as for convolution, each of the three products is the adjoint of another, so
their backward passes are written with each other (gradients of any order).
"""
from math import prod

from ..base import MXNetError, shape_str
from .elemwise import sum_to
from .registry import needs_grad, register
from . import partial_shapes


def _rows(data, flatten):
    """``data`` as the matrix the product uses: ``(N, rest)`` with ``flatten``,
    otherwise unchanged (the product then acts on the last axis)."""
    if flatten:
        return data.reshape(data.shape[0], prod(data.shape[1:]))
    return data


def _in_units(data_shape, flatten):
    if flatten:
        return prod(data_shape[1:])
    return data_shape[-1]


def _fully_connected(xp, data, weight, bias=None, num_hidden=None, no_bias=False,
                     flatten=True):
    """The dense layer ``y = x @ weight^T + bias``; ``weight`` is
    ``(num_hidden, in_units)`` and ``bias`` ``(num_hidden,)``.

    >>> import d2lmini as mx
    >>> x = mx.nd.array([[1, 2]])
    >>> w = mx.nd.array([[1, 1], [2, 0]])
    >>> mx.nd.FullyConnected(x, w, mx.nd.array([10, 20]), num_hidden=2)
    <BLANKLINE>
    [[13. 22.]]
    <NDArray 1x2 @cpu(0)>
    """
    op = 'FullyConnected'
    expected_inputs = 2 if no_bias else 3
    given = 2 if bias is None else 3
    if given != expected_inputs:
        raise MXNetError(f'{op}: expects {expected_inputs} inputs (data, weight'
                         f'{"" if no_bias else ", bias"}) with no_bias={no_bias}, got {given}')
    if num_hidden is None:
        raise MXNetError(f'{op}: the num_hidden attribute is required')
    if data.ndim == 0:
        raise MXNetError(f'{op}: data must have at least one axis')
    expected = (num_hidden, _in_units(data.shape, flatten))
    if weight.shape != expected:
        raise MXNetError(f'{op}: weight has shape {shape_str(weight.shape)}, expected '
                         f'{shape_str(expected)} (num_hidden, in_units) for data '
                         f'{shape_str(data.shape)} with flatten={flatten}')
    # a (num_hidden, 1) column is accepted too, as MXNet 1.x's operator accepts it (a
    # graph infers and checks the (num_hidden,) vector)
    if bias is not None and bias.shape not in ((num_hidden,), (num_hidden, 1)):
        raise MXNetError(f'{op}: bias has shape {shape_str(bias.shape)}, expected '
                         f'{shape_str((num_hidden,))}')
    arrays = [data, weight] + ([] if bias is None else [bias])
    if any(a.dtype != data.dtype for a in arrays):
        given = ', '.join(f'{n} {a.dtype}' for n, a in zip(('data', 'weight', 'bias'), arrays))
        raise MXNetError(f'{op}: inputs must share one dtype, got {given}')
    out = xp.matmul(_rows(data, flatten), weight.T)  # BLAS reads weight^T in place
    if bias is not None:
        out += bias.reshape(-1)
    return out


def _fully_connected_backward(F, dy, x, y, num_hidden, no_bias, flatten):
    data, weight = x[0], x[1]
    grads = [F._fc_data_grad(dy, weight, flatten=flatten, data_shape=data.shape)
             if needs_grad(data) else None,
             F._fc_weight_grad(dy, data, flatten=flatten) if needs_grad(weight) else None]
    if len(x) == 3:
        bias_grad = sum_to(F, dy, (num_hidden,)) if needs_grad(x[2]) else None
        if bias_grad is not None and len(x[2].shape) == 2:   # a (num_hidden, 1) column
            bias_grad = F.reshape(bias_grad, shape=x[2].shape)
        grads.append(bias_grad)
    return grads


def param_shapes(data_shape, num_hidden=None, no_bias=False, flatten=True, **attrs):
    """The shapes of FullyConnected's weight and bias for data of ``data_shape``.

    >>> param_shapes((32, 1, 28, 28), num_hidden=256)
    {'weight': (256, 784), 'bias': (256,)}
    """
    if num_hidden is None:
        raise MXNetError('FullyConnected: num_hidden is required to infer the weight shape')
    shapes = {'weight': (num_hidden, _in_units(tuple(data_shape), flatten))}
    if not no_bias:
        shapes['bias'] = (num_hidden,)
    return shapes


def _fully_connected_infer_shape(in_shapes, num_hidden=None, flatten=True, **attrs):
    """The output shape from the data shape alone (weight and bias may be unknown)."""
    data_shape = tuple(in_shapes[0])
    if num_hidden is None:
        raise MXNetError('FullyConnected: the num_hidden attribute is required')
    lead = data_shape[:1] if flatten else data_shape[:-1]
    return [lead + (num_hidden,)]


register('FullyConnected', _fully_connected, backward=_fully_connected_backward,
         inputs=('data', 'weight', 'bias'), infer_shape=_fully_connected_infer_shape,
         param_shapes=param_shapes, partial_shape=partial_shapes.fully_connected,
         required=('num_hidden',), same_dtype=True)


# ------------------------------------------------------------------ gradient products
def _fc_data_grad(xp, out_grad, weight, flatten=True, data_shape=()):
    """The gradient with respect to the data: ``out_grad @ weight``, in ``data_shape``."""
    return xp.matmul(out_grad, weight).reshape(tuple(data_shape))


def _fc_weight_grad(xp, out_grad, data, flatten=True):
    """The gradient with respect to the weight: ``out_grad^T @ data`` summed over
    every row (every leading position when ``flatten=False``)."""
    g = out_grad.reshape(-1, out_grad.shape[-1])
    return xp.matmul(g.T, _rows(data, flatten).reshape(g.shape[0], -1))


def _plain_fc(F, data, weight, flatten):
    return F.FullyConnected(data, weight, num_hidden=weight.shape[0], no_bias=True,
                            flatten=flatten)


def _fc_data_grad_backward(F, dz, x, z, flatten, data_shape):
    # z = g @ W is linear in g and in W: dg = dz @ W^T, dW = g^T @ dz
    g, weight = x
    return [_plain_fc(F, dz, weight, flatten) if needs_grad(g) else None,
            F._fc_weight_grad(g, dz, flatten=flatten) if needs_grad(weight) else None]


def _fc_weight_grad_backward(F, dz, x, z, flatten):
    # z = g^T @ x: dg = x @ dz^T, dx = g @ dz
    g, data = x
    return [_plain_fc(F, data, dz, flatten) if needs_grad(g) else None,
            F._fc_data_grad(g, dz, flatten=flatten, data_shape=data.shape)
            if needs_grad(data) else None]


register('_fc_data_grad', _fc_data_grad, backward=_fc_data_grad_backward,
         inputs=('out_grad', 'weight'))
register('_fc_weight_grad', _fc_weight_grad, backward=_fc_weight_grad_backward,
         inputs=('out_grad', 'data'))
