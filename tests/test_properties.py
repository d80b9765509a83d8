"""Properties that must hold for any shapes and values (checked with hypothesis):
broadcasting agrees with numpy, bad shapes are refused, reshape and indexing agree
with numpy, reductions agree with numpy, and broadcast gradients sum back."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import d2lmini as mx
from d2lmini import nd

FEW = settings(max_examples=40, deadline=None, database=None)

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4, min_side=1,
                                          max_side=4)


def floats(shape, low=-3.0, high=3.0):
    return hnp.arrays(np.float32, shape, elements=st.floats(low, high, width=32))


BINARY = {
    '+': (lambda a, b: a + b, np.add),
    '-': (lambda a, b: a - b, np.subtract),
    '*': (lambda a, b: a * b, np.multiply),
    '/': (lambda a, b: a / b, np.divide),
    '**': (lambda a, b: a ** b, np.power),
    'maximum': (nd.maximum, np.maximum),
    'minimum': (nd.minimum, np.minimum),
    '>': (lambda a, b: a > b, lambda a, b: (a > b).astype(np.float32)),
    '==': (lambda a, b: a == b, lambda a, b: (a == b).astype(np.float32)),
}


@FEW
@given(pair=pairs, op=st.sampled_from(sorted(BINARY)), data=st.data())
def test_broadcasting_binary_ops_agree_with_numpy(pair, op, data):
    (sa, sb), out_shape = pair.input_shapes, pair.result_shape
    # positive operands keep / and ** away from division by zero and complex results
    low = 0.5 if op in ('/', '**') else -3.0
    a, b = data.draw(floats(sa, low)), data.draw(floats(sb, low))
    ours, numpys = BINARY[op]
    got = ours(nd.array(a), nd.array(b))
    assert got.shape == out_shape and got.dtype is np.float32
    np.testing.assert_allclose(got.asnumpy(), numpys(a, b), rtol=1e-5, atol=1e-6)


@FEW
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), data=st.data())
def test_shapes_that_do_not_broadcast_are_refused(shape, data):
    # two sizes differ on one axis and neither is 1
    axis = data.draw(st.integers(0, len(shape) - 1))
    shape = shape[:axis] + (max(shape[axis], 2),) + shape[axis + 1:]
    bad = data.draw(st.integers(2, 5).filter(lambda d: d != shape[axis]))
    other = list(shape)
    other[axis] = bad
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))   # extra leading axes are fine
    other = tuple(lead) + tuple(other)
    with pytest.raises(mx.MXNetError, match='broadcast_add'):
        nd.ones(shape) + nd.ones(other)
    with pytest.raises(mx.MXNetError, match='broadcast_mul'):
        nd.ones(other) * nd.ones(shape)


@FEW
@given(pair=pairs, data=st.data())
def test_in_place_add_agrees_with_out_of_place(pair, data):
    sa, sb = pair.input_shapes
    if pair.result_shape != sa:   # in place cannot grow the left side
        sa = pair.result_shape
    a, b = data.draw(floats(sa)), data.draw(floats(sb))
    x = nd.array(a)
    expected = (x + nd.array(b)).asnumpy()
    x += nd.array(b)
    np.testing.assert_array_equal(x.asnumpy(), expected)


@FEW
@given(shape=shapes, data=st.data())
def test_reshape_round_trips(shape, data):
    a = data.draw(floats(shape))
    x = nd.array(a)
    order = data.draw(st.permutations(range(len(shape))))
    other = tuple(shape[i] for i in order)
    for via in ((-1,), other, (1,) + other, (a.size, 1)):
        y = x.reshape(via).reshape(shape)
        assert y.shape == shape
        np.testing.assert_array_equal(y.asnumpy(), a)
    np.testing.assert_array_equal(x.reshape(other).asnumpy(), a.reshape(other))


def _basic_keys(shape):
    """Keys of integers and slices (any steps) for an array of ``shape``."""
    def one(n):
        return st.one_of(st.integers(-n, n - 1),
                         st.builds(slice, st.integers(-n, n) | st.none(),
                                   st.integers(-n, n) | st.none(),
                                   st.sampled_from([None, 1, 2, -1])))
    return st.lists(st.integers(), min_size=1, max_size=len(shape)).flatmap(
        lambda picks: st.tuples(*[one(shape[i]) for i in range(len(picks))]))


@FEW
@given(shape=shapes, data=st.data())
def test_basic_indexing_agrees_with_numpy(shape, data):
    a = data.draw(floats(shape))
    key = data.draw(_basic_keys(shape))
    expected = np.asarray(a[key])
    if expected.ndim == 0:
        expected = expected.reshape(1)
    got = nd.array(a)[key]
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.asnumpy(), expected)


@FEW
@given(shape=shapes, data=st.data())
def test_slice_assignment_agrees_with_numpy(shape, data):
    a = data.draw(floats(shape))
    key = data.draw(_basic_keys(shape))
    region = a[key]
    value = data.draw(floats(np.shape(region)[1:] if np.ndim(region) else ()))
    x, expected = nd.array(a), a.copy()
    expected[key] = value
    x[key] = nd.array(value) if np.ndim(value) else float(value)
    np.testing.assert_array_equal(x.asnumpy(), expected)


def _axes(ndim):
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                     st.lists(st.integers(0, ndim - 1), min_size=1, unique=True).map(tuple))


@FEW
@given(shape=shapes, keepdims=st.booleans(), data=st.data())
def test_sum_over_random_axes_agrees_with_numpy(shape, keepdims, data):
    a = data.draw(floats(shape))
    axis = data.draw(_axes(len(shape)))
    got = nd.sum(nd.array(a), axis=axis, keepdims=keepdims)
    expected = np.asarray(a.sum(axis=axis, keepdims=keepdims, dtype=np.float64))
    magnitude = np.asarray(np.abs(a).sum(axis=axis, keepdims=keepdims, dtype=np.float64))
    if expected.ndim == 0:   # a full reduction has shape (1,)
        expected, magnitude = expected.reshape(1), magnitude.reshape(1)
    assert got.shape == expected.shape and got.dtype is np.float32
    assert_sum_close(got.asnumpy(), expected, magnitude, a.size)


def assert_sum_close(got, exact, magnitude, n):
    """``got``, float32 sums of at most ``n`` terms, is within the rounding error any
    summation order may make of the ``exact`` sums: ``n * eps * sum|terms|``
    (``magnitude``). Tolerances relative to the result fail when terms cancel."""
    bound = n * np.finfo(np.float32).eps * magnitude
    err = np.abs(got.astype(np.float64) - exact)
    assert np.all(err <= bound), f'sum off by {err.max()} (bound {bound[np.argmax(err)]})'


def _reduce_to(g, shape):
    """numpy: sum ``g`` over the axes broadcasting added to reach ``shape``."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True)


@FEW
@given(pair=pairs, data=st.data())
def test_gradient_of_sum_of_product_is_the_other_factor_reduced(pair, data):
    (sa, sb), out_shape = pair.input_shapes, pair.result_shape
    a, b = data.draw(floats(sa)), data.draw(floats(sb))
    x, y = nd.array(a), nd.array(b)
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        z = nd.sum(x * y)
    z.backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    ones = np.ones(out_shape)  # float64: the exact sums of the float32 values
    n = int(np.prod(out_shape))
    assert_sum_close(x.grad.asnumpy(), _reduce_to(ones * b, sa), _reduce_to(ones * abs(b), sa), n)
    assert_sum_close(y.grad.asnumpy(), _reduce_to(ones * a, sb), _reduce_to(ones * abs(a), sb), n)
