"""Cases for d2lmini/ops/pooling.py."""
import numpy as np

import d2lmini as mx
from . import Case


def _distinct(shape):
    """Values at least 0.01 apart, so that no perturbation changes which one is largest."""
    return lambda rng: [(rng.permutation(int(np.prod(shape))) * 0.01 - 0.5).reshape(shape)]


def _uniform(shape):
    """Values in [0.5, 1.5): positive, as Lp pooling's division by the output needs."""
    return lambda rng: [rng.uniform(0.5, 1.5, size=shape)]


def _pooled(make, attrs):
    """``(data, Pooling(data))`` for the data that ``make`` draws."""
    def inputs(rng):
        data, = make(rng)
        return data, mx.nd.Pooling(mx.nd.array(data, dtype=data.dtype), **attrs).asnumpy()
    return inputs


def _backward(make, wrt=None, **attrs):
    """A case for ``_backward_Pooling(out_grad, data, output)``: the output is the
    pooled data, as in Pooling's backward."""
    def inputs(rng):
        data, output = _pooled(make, attrs)(rng)
        return [rng.normal(size=output.shape), data, output]
    return Case(inputs=inputs, attrs=attrs, wrt=wrt)


def _gather_inputs(make, **attrs):
    """``(grad, data, output)`` for ``_pooling_gather``: ``grad`` is shaped like the data."""
    def inputs(rng):
        data, output = _pooled(make, attrs)(rng)
        return [rng.normal(size=data.shape), data, output]
    return inputs


CASES = {
    'Pooling': [
        Case(inputs=_distinct((2, 2, 5, 5)), attrs=dict(kernel=(2, 2), stride=(2, 2))),
        Case(inputs=_distinct((1, 2, 5, 6)),
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention='full')),
        Case(inputs=_distinct((2, 2, 7)), attrs=dict(kernel=(3,), stride=(2,), pad=(1,))),
        Case(inputs=_distinct((1, 2, 3, 3)), attrs=dict(global_pool=True)),
        Case(shapes=[(2, 2, 5, 5)], attrs=dict(kernel=(2, 2), pool_type='avg')),
        Case(shapes=[(1, 2, 5, 6)],
             attrs=dict(kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type='avg',
                        pooling_convention='full', count_include_pad=False)),
        Case(shapes=[(2, 2, 6)], attrs=dict(kernel=(2,), stride=(2,), pool_type='sum')),
        Case(shapes=[(1, 2, 4, 4)], attrs=dict(global_pool=True, pool_type='avg')),
        Case(shapes=[(1, 2, 4, 4)], low=0.5, high=1.5,
             attrs=dict(kernel=(2, 2), pool_type='lp', p_value=2)),
        Case(shapes=[(1, 2, 4, 4)], low=0.5, high=1.5,
             attrs=dict(kernel=(2, 2), stride=(2, 1), pool_type='lp', p_value=3)),
        Case(shapes=[(1, 2, 4)], attrs=dict(kernel=(2,), pool_type='lp', p_value=1)),
        Case(inputs=_distinct((1, 1, 3, 4, 4)), attrs=dict(kernel=(2, 2, 2), stride=(1, 2, 2))),
        # channels last
        Case(inputs=_distinct((2, 7, 3)), attrs=dict(kernel=(3,), stride=(2,), pad=(1,),
                                                     layout='NWC')),
        Case(inputs=_distinct((1, 5, 6, 2)),
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention='full',
                        layout='NHWC')),
        Case(shapes=[(1, 5, 6, 2)],
             attrs=dict(kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type='avg',
                        count_include_pad=False, layout='NHWC')),
        Case(shapes=[(1, 4, 4, 3)], low=0.5, high=1.5,
             attrs=dict(kernel=(2, 2), pool_type='lp', p_value=2, layout='NHWC')),
        Case(inputs=_distinct((1, 3, 3, 2)), attrs=dict(global_pool=True, layout='NHWC')),
        Case(shapes=[(1, 3, 4, 4, 2)], attrs=dict(kernel=(2, 2, 2), pool_type='sum',
                                                 layout='NDHWC')),
    ],
    # the gradient operator, differentiated itself (Pooling's second derivative)
    '_backward_Pooling': [
        # max: piecewise constant in the data and the output (which must be the pooled
        # data, for the routing to find each maximum), so only out_grad is perturbed
        _backward(_distinct((1, 2, 4, 4)), wrt=[0], kernel=(2, 2), stride=(2, 2)),
        _backward(_distinct((1, 2, 5, 6)), wrt=[0], kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                  pooling_convention='full'),
        _backward(_distinct((1, 2, 3, 3)), wrt=[0], global_pool=True),
        _backward(_uniform((1, 2, 4, 4)), kernel=(2, 2), pool_type='avg'),
        _backward(_uniform((1, 2, 5, 6)), kernel=(3, 2), stride=(2, 2), pad=(1, 1),
                  pool_type='avg', pooling_convention='full', count_include_pad=False),
        _backward(_uniform((2, 2, 6)), kernel=(2,), stride=(2,), pool_type='sum'),
        _backward(_uniform((1, 2, 4, 4)), global_pool=True, pool_type='avg'),
        _backward(_uniform((1, 2, 4, 4)), kernel=(2, 2), pool_type='lp', p_value=2),
        _backward(_uniform((1, 2, 4, 4)), kernel=(2, 2), stride=(2, 1), pool_type='lp',
                  p_value=3),
        _backward(_uniform((1, 2, 4)), kernel=(2,), pool_type='lp', p_value=1),
        _backward(_distinct((1, 4, 4, 2)), wrt=[0], kernel=(2, 2), stride=(2, 2),
                  layout='NHWC'),
        _backward(_uniform((1, 5, 6, 2)), kernel=(3, 2), stride=(2, 2), pad=(1, 1),
                  pool_type='avg', layout='NHWC'),
        _backward(_uniform((1, 4, 4, 2)), kernel=(2, 2), stride=(2, 1), pool_type='lp',
                  p_value=3, layout='NHWC'),
        _backward(_uniform((2, 6, 2)), kernel=(2,), stride=(2,), pool_type='sum',
                  layout='NWC'),
    ],
    # max pooling's second derivative: reads a gradient at every window's maximum
    '_pooling_gather': [
        Case(inputs=_gather_inputs(_distinct((1, 2, 4, 4)), kernel=(2, 2), stride=(2, 2)),
             attrs=dict(kernel=(2, 2), stride=(2, 2)), wrt=[0]),
        Case(inputs=_gather_inputs(_distinct((1, 2, 5, 6)), kernel=(3, 3), stride=(2, 2),
                                   pad=(1, 1), pooling_convention='full'),
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention='full'),
             wrt=[0]),
        Case(inputs=_gather_inputs(_distinct((1, 2, 3, 3)), global_pool=True),
             attrs=dict(global_pool=True), wrt=[0]),
        Case(inputs=_gather_inputs(_distinct((1, 5, 6, 2)), kernel=(3, 3), stride=(2, 2),
                                   pad=(1, 1), layout='NHWC'),
             attrs=dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), layout='NHWC'), wrt=[0]),
        Case(inputs=_gather_inputs(_distinct((1, 3, 3, 2)), global_pool=True, layout='NHWC'),
             attrs=dict(global_pool=True, layout='NHWC'), wrt=[0]),
    ],
}
