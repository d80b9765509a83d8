"""NDArray: creation, attributes, conversion, printing, indexing, arithmetic and
dtype rules, each compared with what MXNet 1.x gives (expected values written out
by hand)."""
import pickle

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import nd
from d2lmini.base import DTypeError


def check(a, values, dtype=np.float32, ctx=None):
    """``a`` is an NDArray with exactly these values, this dtype and context."""
    assert isinstance(a, nd.NDArray)
    assert a.dtype is dtype, (a.dtype, dtype)
    expected = np.array(values, dtype=dtype)
    assert a.shape == expected.shape, (a.shape, expected.shape)
    np.testing.assert_array_equal(a.asnumpy(), expected)
    assert a.context == (mx.cpu() if ctx is None else ctx)


def grid():
    """[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] as float32."""
    return nd.array(np.arange(12).reshape(3, 4))


# ------------------------------------------------------------------ nd.array
@pytest.mark.parametrize('source', [
    [1, 2, 3], (1, 2, 3), np.array([1, 2, 3]), np.array([1, 2, 3], dtype=np.int8),
    np.array([1., 2., 3.]), np.array([1., 2., 3.], dtype=np.float16)])
def test_array_defaults_to_float32(source):
    check(nd.array(source), [1., 2., 3.])


def test_array_from_booleans_and_nested_lists():
    check(nd.array(np.array([True, False])), [1., 0.])
    check(nd.array([[1, 2], [3, 4]]), [[1., 2.], [3., 4.]])


def test_array_from_ndarray_keeps_its_dtype():
    src = nd.array([1, 2], dtype='int32')
    check(nd.array(src), [1, 2], np.int32)
    check(nd.array(src, dtype='float64'), [1., 2.], np.float64)


def test_array_is_a_copy():
    src = np.array([1., 2.])
    a = nd.array(src)
    src[0] = 5
    b = nd.array(a)
    a[:] = 7
    check(b, [1., 2.])


@pytest.mark.parametrize('dtype, expected', [
    ('int32', np.int32), (np.int64, np.int64), (np.dtype('float16'), np.float16),
    ('uint8', np.uint8), ('float64', np.float64)])
def test_array_dtype_argument(dtype, expected):
    check(nd.array([1, 2], dtype=dtype), [1, 2], expected)


def test_array_of_a_number_has_shape_1():
    check(nd.array(3), [3.])
    check(nd.array(np.float64(2.5)), [2.5])


def test_array_on_a_context():
    check(nd.array([1, 2], ctx=mx.cpu(1)), [1., 2.], ctx=mx.cpu(1))
    check(nd.array([1, 2], ctx='cpu(2)'), [1., 2.], ctx=mx.cpu(2))


@pytest.mark.parametrize('dtype', ['complex64', 'foo', np.uint16, 'float'])
def test_unknown_dtype_is_refused(dtype):
    if dtype == 'float':  # numpy's name for float64 is fine
        check(nd.array([1], dtype=dtype), [1.], np.float64)
        return
    with pytest.raises(DTypeError, match='unknown dtype'):
        nd.array([1, 2], dtype=dtype)
    with pytest.raises(KeyError):  # the type MXNet raises
        nd.zeros((2,), dtype=dtype)
    with pytest.raises(TypeError):
        nd.ones((2,)).astype(dtype)


@pytest.mark.parametrize('source', ['abc', None, object()])
def test_array_from_non_numbers_is_refused(source):
    with pytest.raises(TypeError, match='NDArray'):
        nd.array(source)


def test_ragged_list_is_refused():
    with pytest.raises(ValueError, match='cannot make an NDArray'):
        nd.array([[1, 2], [3]])


def test_ndarray_cannot_be_built_directly():
    with pytest.raises(TypeError, match='nd.array'):
        nd.NDArray()


# ------------------------------------------------------------------ creation functions
@pytest.mark.parametrize('make, values, dtype', [
    (lambda: nd.zeros((2, 3)), [[0.] * 3] * 2, np.float32),
    (lambda: nd.zeros(3), [0., 0., 0.], np.float32),
    (lambda: nd.zeros((2,), dtype='int32'), [0, 0], np.int32),
    (lambda: nd.ones((2,), dtype=np.float16), [1., 1.], np.float16),
    (lambda: nd.ones((1, 2)), [[1., 1.]], np.float32),
    (lambda: nd.full((2, 2), 7), [[7., 7.], [7., 7.]], np.float32),
    (lambda: nd.full((2,), 2.5, dtype='int32'), [2, 2], np.int32),
    (lambda: nd.arange(5), [0., 1., 2., 3., 4.], np.float32),
    (lambda: nd.arange(1, 4, 0.5), [1., 1.5, 2., 2.5, 3., 3.5], np.float32),
    (lambda: nd.arange(3, repeat=2), [0., 0., 1., 1., 2., 2.], np.float32),
    (lambda: nd.arange(0, 5, 2, dtype='int32'), [0, 2, 4], np.int32),
    (lambda: nd.arange(5, 0, -1), [5., 4., 3., 2., 1.], np.float32),
    (lambda: nd.eye(2), [[1., 0.], [0., 1.]], np.float32),
    (lambda: nd.eye(2, 3, 1), [[0., 1., 0.], [0., 0., 1.]], np.float32),
    (lambda: nd.eye(3, k=-1, dtype='int32'), [[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.int32),
    (lambda: nd.linspace(0, 1, 5), [0., 0.25, 0.5, 0.75, 1.], np.float32),
    (lambda: nd.linspace(0, 1, 4, endpoint=False), [0., 0.25, 0.5, 0.75], np.float32),
    (lambda: nd.linspace(0, 10, 3, dtype='int32'), [0, 5, 10], np.int32),
    (lambda: nd.zeros_like(nd.array([1, 2], dtype='int32')), [0, 0], np.int32),
    (lambda: nd.ones_like(nd.zeros((2, 2))), [[1., 1.], [1., 1.]], np.float32),
])
def test_creation_functions(make, values, dtype):
    check(make(), values, dtype)


@pytest.mark.parametrize('make', [
    lambda ctx: nd.zeros((2,), ctx=ctx), lambda ctx: nd.ones((2,), ctx=ctx),
    lambda ctx: nd.full((2,), 3, ctx=ctx), lambda ctx: nd.empty((2,), ctx=ctx),
    lambda ctx: nd.arange(2, ctx=ctx), lambda ctx: nd.eye(2, ctx=ctx),
    lambda ctx: nd.linspace(0, 1, 2, ctx=ctx),
    lambda ctx: nd.zeros_like(nd.ones((2,), ctx=ctx)),
    lambda ctx: nd.ones_like(nd.ones((2,), ctx=ctx))])
def test_creation_functions_take_ctx(make):
    assert make(mx.cpu(3)).context == mx.cpu(3)
    with mx.cpu(4):
        assert make(None).context == mx.cpu(4)


def test_empty_has_shape_and_dtype():
    e = nd.empty((2, 3), dtype='int32')
    assert e.shape == (2, 3) and e.dtype is np.int32
    assert nd.empty((4,)).dtype is np.float32


def test_creation_with_out():
    out = nd.ones((2,))
    assert nd.zeros((2,), out=out) is out
    check(out, [0., 0.])


# ------------------------------------------------------------------ attributes
def test_attributes():
    x = grid()
    assert x.shape == (3, 4) and x.size == 12 and x.ndim == 2
    assert x.dtype is np.float32
    assert x.context == mx.cpu() and x.ctx == mx.cpu()
    assert x.stype == 'default' and x.writable
    assert x.grad is None
    assert nd.array([]).size == 0


def test_transpose_attribute():
    check(grid().T, np.arange(12).reshape(3, 4).T)
    assert nd.zeros((2, 3, 4)).T.shape == (4, 3, 2)


# ------------------------------------------------------------------ conversion
def test_asnumpy_is_a_copy():
    x = grid()
    a = x.asnumpy()
    assert type(a) is np.ndarray and a.dtype == np.float32
    a[0, 0] = 100
    assert x.asnumpy()[0, 0] == 0


def test_asscalar():
    v = nd.array([2.5]).asscalar()
    assert v == 2.5 and type(v) is np.float32
    assert type(nd.array([2], dtype='int32').asscalar()) is np.int32
    with pytest.raises(ValueError, match='not a scalar'):
        grid().asscalar()


def test_astype():
    check(grid().astype('int32'), np.arange(12).reshape(3, 4), np.int32)
    check(nd.array([1.7, -1.7, 2.5]).astype('int32'), [1, -1, 2], np.int32)  # truncates
    assert grid().astype(np.float64).dtype is np.float64
    x = grid()
    assert x.astype('float32', copy=False) is x
    assert x.astype('float32') is not x
    assert x.astype('int32', copy=False) is not x


def test_copy_is_independent():
    x = grid()
    c = x.copy()
    c[0] = 9
    check(x, np.arange(12).reshape(3, 4))
    check(c[0], [9.] * 4)


def test_copyto_context_and_array():
    x = grid()
    check(x.copyto(mx.cpu(1)), np.arange(12).reshape(3, 4), ctx=mx.cpu(1))
    y = nd.zeros((3, 4), dtype='int32')
    assert x.copyto(y) is y
    check(y, np.arange(12).reshape(3, 4), np.int32)  # converted to the target's dtype
    other = nd.zeros((3, 4), ctx=mx.cpu(2))
    x.copyto(other)
    check(other, np.arange(12).reshape(3, 4), ctx=mx.cpu(2))
    with pytest.raises(mx.MXNetError, match=r'\[3,4\].*\[4,3\]'):
        x.copyto(nd.zeros((4, 3)))


def test_as_in_context():
    x = grid()
    assert x.as_in_context(mx.cpu()) is x
    y = x.as_in_context(mx.cpu(1))
    assert y.context == mx.cpu(1)
    y[:] = 0
    assert x.asnumpy().sum() == 66  # a copy, not a view


def test_wait_to_read_and_waitall():
    x = grid() * 2
    assert x.wait_to_read() is None
    assert nd.waitall() is None
    check(x, np.arange(0, 24, 2).reshape(3, 4))


def test_repr_and_str():
    x = grid()
    assert repr(x) == '\n[[ 0.  1.  2.  3.]\n [ 4.  5.  6.  7.]\n [ 8.  9. 10. 11.]]\n<NDArray 3x4 @cpu(0)>'
    assert str(x) == repr(x)
    assert repr(nd.array([1])) == '\n[1.]\n<NDArray 1 @cpu(0)>'
    assert repr(nd.array([1, 2], dtype='int32')) == '\n[1 2]\n<NDArray 2 @cpu(0)>'
    assert repr(nd.ones((2,), ctx=mx.cpu(1))) == '\n[1. 1.]\n<NDArray 2 @cpu(1)>'


def test_python_protocols():
    x = grid()
    assert len(x) == 3
    rows = list(x)
    assert [r.shape for r in rows] == [(4,)] * 3
    check(rows[2], [8., 9., 10., 11.])
    assert bool(nd.array([1.])) and not bool(nd.array([0.]))
    with pytest.raises(ValueError, match='ambiguous'):
        bool(nd.array([1., 2.]))
    assert np.array(x).dtype == np.float32
    assert {x: 1}[x] == 1  # hashable by identity, like MXNet


def test_pickle_round_trip():
    for a in (grid(), nd.array([1], dtype='int64'), nd.ones((2,), ctx=mx.cpu(1))):
        b = pickle.loads(pickle.dumps(a))
        assert b.dtype is a.dtype and b.context == a.context
        np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


# ------------------------------------------------------------------ indexing
@pytest.mark.parametrize('key, expected', [
    (1, [4., 5., 6., 7.]),
    ((1, 2), [6.]),                          # no axes left: shape (1,), not a scalar
    (-1, [8., 9., 10., 11.]),
    (slice(1, 3), [[4., 5., 6., 7.], [8., 9., 10., 11.]]),
    ((slice(None), 1), [1., 5., 9.]),
    ((slice(None), slice(1, 3)), [[1., 2.], [5., 6.], [9., 10.]]),
    (slice(None, None, 2), [[0., 1., 2., 3.], [8., 9., 10., 11.]]),
    ((1, slice(None, None, -1)), [7., 6., 5., 4.]),
    ((Ellipsis, 1), [1., 5., 9.]),
    (slice(1, 1), np.zeros((0, 4))),
    ([0, 2], [[0., 1., 2., 3.], [8., 9., 10., 11.]]),
    (np.array([0, 2]), [[0., 1., 2., 3.], [8., 9., 10., 11.]]),
    (([0, 2], [1, 3]), [1., 11.]),
    ((slice(None), [0, 3]), [[0., 3.], [4., 7.], [8., 11.]]),
    ((slice(1, 2), [0, 3]), [[4., 7.]]),
    # MXNet 1.x reads a numpy boolean key as positions 1 and 0, not as a mask
    (np.array([True, False, True]), [[4., 5., 6., 7.], [0., 1., 2., 3.], [4., 5., 6., 7.]]),
])
def test_getitem(key, expected):
    check(grid()[key], expected)


def test_getitem_with_ndarray_keys():
    x = grid()
    rows = [[0., 1., 2., 3.], [8., 9., 10., 11.]]
    check(x[nd.array([0, 2], dtype='int32')], rows)
    check(x[nd.array([0, 2])], rows)  # float positions, as MXNet allows
    check(x[nd.array([0, 2]), nd.array([1, 3])], [1., 11.])
    check(x[nd.array([0, 2], ctx=mx.cpu(1))], rows)
    check(nd.array([1, 2, 3])[2], [3.])
    assert x[None].shape == (1, 3, 4)
    assert x[np.int64(1)].shape == (4,)
    assert x[nd.array([[0], [1]])].shape == (2, 1, 4)


def test_getitem_with_a_comparison_result_uses_positions():
    # x > 5 is a float 0/1 array: MXNet indexes with those values as positions
    x = nd.array([3., 7.])
    check(x[x > 5], [3., 7.])


def test_boolean_ndarray_key_is_refused():
    mask = nd.array([1, 0, 1], dtype='bool')
    with pytest.raises(ValueError, match=r"\[3,4\] with a boolean NDArray"):
        grid()[mask]


@pytest.mark.parametrize('key', [5, (1, 2, 3), 1.0])
def test_bad_keys_name_the_operator(key):
    with pytest.raises(mx.MXNetError, match=r'_getitem.*\[3,4\]'):
        grid()[key]


@pytest.mark.parametrize('key', [1, slice(1, 3), slice(0, 1)])
def test_first_axis_keys_give_views(key):
    x = grid()
    v = x[key]
    v[:] = -1          # writing the view changes x ...
    assert (x[key].asnumpy() == -1).all()
    x[:] = 5           # ... and writing x changes the view
    assert (v.asnumpy() == 5).all()
    v += 1
    assert (x[key].asnumpy() == 6).all()


@pytest.mark.parametrize('key', [(slice(None), 1), slice(None, None, 2), [0, 1],
                                 (slice(None), slice(1, 3))])
def test_other_keys_give_copies(key):
    x = grid()
    c = x[key]
    c[:] = -1
    check(x, np.arange(12).reshape(3, 4))


@pytest.mark.parametrize('key', [(1, 2), (1, slice(1, 3))])
def test_contiguous_keys_give_views(key):
    x = grid()
    v = x[key]
    x[:] = 0
    assert (v.asnumpy() == 0).all()


@pytest.mark.parametrize('key, value, expected', [
    (slice(None), 1, np.ones((3, 4))),
    (slice(None), nd.ones((3, 4)) * 2, np.full((3, 4), 2.)),
    (slice(None), nd.array([1, 2, 3, 4]), [[1., 2., 3., 4.]] * 3),       # broadcast
    (slice(None), nd.array([1, 2, 3, 4], dtype='int32'), [[1., 2., 3., 4.]] * 3),
    (slice(1, 3), nd.ones((2, 4)) * 7, [[0., 1., 2., 3.], [7.] * 4, [7.] * 4]),
    (1, [9, 9, 9, 9], [[0., 1., 2., 3.], [9.] * 4, [8., 9., 10., 11.]]),
    (1, np.array([9, 9, 9, 9]), [[0., 1., 2., 3.], [9.] * 4, [8., 9., 10., 11.]]),
    ((slice(None), 1), 5, [[0., 5., 2., 3.], [4., 5., 6., 7.], [8., 5., 10., 11.]]),
    ((1, 2), 5, [[0., 1., 2., 3.], [4., 5., 5., 7.], [8., 9., 10., 11.]]),
    ([0, 2], 5, [[5.] * 4, [4., 5., 6., 7.], [5.] * 4]),
    (nd.array([0, 2]), 5, [[5.] * 4, [4., 5., 6., 7.], [5.] * 4]),
    (slice(None, None, 2), 1, [[1.] * 4, [4., 5., 6., 7.], [1.] * 4]),
    # a value on another device is copied over, as MXNet does
    (0, nd.ones((4,), ctx=mx.cpu(1)), [[1.] * 4, [4., 5., 6., 7.], [8., 9., 10., 11.]]),
])
def test_setitem(key, value, expected):
    x = grid()
    x[key] = value
    check(x, expected)


def test_setitem_converts_to_the_array_dtype():
    x = nd.zeros((2,), dtype='int32')
    x[:] = 2.7
    check(x, [2, 2], np.int32)


@pytest.mark.parametrize('value', [nd.ones((3, 4)), nd.ones((8,)), nd.ones((1, 8))])
def test_setitem_with_wrong_shape_names_operator_and_shapes(value):
    x = grid()
    with pytest.raises(mx.MXNetError, match=r'_setitem.*\[3,4\]'):
        x[1:3] = value


def test_setitem_with_text_is_refused():
    with pytest.raises(ValueError):
        grid()[:] = 'a'


# ------------------------------------------------------------------ arithmetic
A = [1., 2., 3.]


@pytest.mark.parametrize('fn, expected', [
    (lambda a: a + 1, [2., 3., 4.]), (lambda a: 1 + a, [2., 3., 4.]),
    (lambda a: a - 2, [-1., 0., 1.]), (lambda a: 2 - a, [1., 0., -1.]),
    (lambda a: a * 2, [2., 4., 6.]), (lambda a: 2 * a, [2., 4., 6.]),
    (lambda a: a / 2, [0.5, 1., 1.5]), (lambda a: 3 / a, [3., 1.5, 1.]),
    (lambda a: a ** 2, [1., 4., 9.]), (lambda a: 2 ** a, [2., 4., 8.]),
    (lambda a: a % 2, [1., 0., 1.]), (lambda a: 5 % a, [0., 1., 2.]),
    (lambda a: -a, [-1., -2., -3.]), (lambda a: +a, [1., 2., 3.]),
    (lambda a: abs(-a), [1., 2., 3.]),
    (lambda a: a + np.float64(2.5), [3.5, 4.5, 5.5]),   # numpy scalars do not widen
    (lambda a: np.float64(2.5) + a, [3.5, 4.5, 5.5]),
    (lambda a: np.int32(3) * a, [3., 6., 9.]),
    (lambda a: a + True, [2., 3., 4.]),
    (lambda a: a / 0, [np.inf] * 3),
])
def test_operators_with_numbers_on_either_side(fn, expected):
    with np.errstate(divide='ignore'):
        check(fn(nd.array(A)), expected)


@pytest.mark.parametrize('fn, expected', [
    (lambda a, b: a + b, [[2., 3., 4.], [3., 4., 5.]]),
    (lambda a, b: a - b, [[0., 1., 2.], [-1., 0., 1.]]),
    (lambda a, b: a * b, [[1., 2., 3.], [2., 4., 6.]]),
    (lambda a, b: a / b, [[1., 2., 3.], [0.5, 1., 1.5]]),
    (lambda a, b: a ** b, [[1., 2., 3.], [1., 4., 9.]]),
    (lambda a, b: a % b, [[0., 0., 0.], [1., 0., 1.]]),
])
def test_operators_broadcast(fn, expected):
    check(fn(nd.array(A), nd.array([[1.], [2.]])), expected)


@pytest.mark.parametrize('fn, expected', [
    (lambda a: a == 2, [0., 1., 0.]), (lambda a: a != 2, [1., 0., 1.]),
    (lambda a: a > 2, [0., 0., 1.]), (lambda a: a >= 2, [0., 1., 1.]),
    (lambda a: a < 2, [1., 0., 0.]), (lambda a: a <= 2, [1., 1., 0.]),
    (lambda a: 2 < a, [0., 0., 1.]), (lambda a: 2 >= a, [1., 1., 0.]),
    (lambda a: a == nd.array([[1.], [2.]]), [[1., 0., 0.], [0., 1., 0.]]),
    (lambda a: a > nd.array([[1.], [2.]]), [[0., 1., 1.], [0., 0., 1.]]),
])
def test_comparisons_give_float_zeros_and_ones(fn, expected):
    check(fn(nd.array(A)), expected)


def test_comparison_with_none_is_false():
    assert (nd.array(A) == None) is False  # noqa: E711


@pytest.mark.parametrize('fn, expected', [
    (lambda i: i + 2.7, [3, 4, 5]),   # MXNet keeps int32 and converts the number to int
    (lambda i: 2.7 + i, [3, 4, 5]),
    (lambda i: i / 2, [0, 1, 1]),
    (lambda i: 7 / i, [7, 3, 2]),
    (lambda i: i % 2, [1, 0, 1]),
    (lambda i: -i, [-1, -2, -3]),
    (lambda i: i > 1.5, [0, 1, 1]),
    (lambda i: i == i, [1, 1, 1]),
    # the number becomes an int32 first: i * 2.7 is i * 2, not (i * 2.7) truncated
    (lambda i: i * 2.7, [2, 4, 6]), (lambda i: i - 2.7, [-1, 0, 1]),
    (lambda i: i ** 1.5, [1, 2, 3]), (lambda i: 1.5 ** i, [1, 1, 1]),
])
def test_int32_keeps_its_dtype(fn, expected):
    check(fn(nd.array([1, 2, 3], dtype='int32')), expected, np.int32)


@pytest.mark.parametrize('fn, expected', [
    (lambda i: i == 1.5, [1, 0, 0]), (lambda i: i < 2.5, [1, 0, 0]),
    (lambda i: i >= 1.5, [1, 1, 1])])
def test_int32_compared_with_a_fraction(fn, expected):
    check(fn(nd.array([1, 2, 3], dtype='int32')), expected, np.int32)


def test_other_dtypes_are_kept():
    check(nd.array(A, dtype='float64') + 1, [2., 3., 4.], np.float64)
    check(nd.array([1], dtype='uint8') - 2, [255], np.uint8)
    check(nd.array(A, dtype='float16') * 2, [2., 4., 6.], np.float16)


@pytest.mark.parametrize('other', ['int32', 'float16', 'float64'])
def test_mixed_dtypes_are_refused(other):
    with pytest.raises(mx.MXNetError, match='dtype'):
        nd.array(A) + nd.array(A, dtype=other)


@pytest.mark.parametrize('fn', [lambda a, b: a + b, lambda a, b: a * b,
                                lambda a, b: a > b, lambda a, b: nd.elemwise_add(a, b)])
def test_mixing_contexts_names_operator_and_contexts(fn):
    a, b = nd.ones((3,)), nd.ones((3,), ctx=mx.cpu(1))
    with pytest.raises(mx.MXNetError, match=r'operator \w+ .*cpu\(0\).*cpu\(1\)'):
        fn(a, b)


def test_shapes_that_do_not_broadcast_name_the_operator():
    with pytest.raises(mx.MXNetError, match=r'broadcast_add.*\[3\] \[2\]'):
        nd.ones((3,)) + nd.ones((2,))
    with pytest.raises(mx.MXNetError, match=r'broadcast_mul.*\[3\] \[2,2\]'):
        nd.ones((3,)) * nd.ones((2, 2))


@pytest.mark.parametrize('other', [[1, 2, 3], np.array([1., 2., 3.]), None, 'a'])
def test_operators_refuse_lists_and_numpy_arrays(other):
    with pytest.raises(TypeError):
        nd.array(A) + other
    with pytest.raises(TypeError):
        other * nd.array(A)


@pytest.mark.parametrize('fn, expected', [
    (lambda a: nd.add(a, 1), [2., 3., 4.]), (lambda a: nd.add(1, a), [2., 3., 4.]),
    (lambda a: nd.subtract(1, a), [0., -1., -2.]), (lambda a: nd.subtract(a, 1), [0., 1., 2.]),
    (lambda a: nd.multiply(a, a), [1., 4., 9.]),
    (lambda a: nd.divide(1, a), [1., 0.5, 1. / 3]), (lambda a: nd.true_divide(a, 2), [.5, 1., 1.5]),
    (lambda a: nd.power(2, a), [2., 4., 8.]), (lambda a: nd.power(a, 2), [1., 4., 9.]),
    (lambda a: nd.modulo(5, a), [0., 1., 2.]),
    (lambda a: nd.maximum(a, 2), [2., 2., 3.]), (lambda a: nd.maximum(2, a), [2., 2., 3.]),
    (lambda a: nd.minimum(a, nd.array([[1.], [2.]])), [[1., 1., 1.], [1., 2., 2.]]),
    (lambda a: nd.greater(2, a), [1., 0., 0.]), (lambda a: nd.lesser(2, a), [0., 0., 1.]),
    (lambda a: nd.greater_equal(2, a), [1., 1., 0.]),
    (lambda a: nd.lesser_equal(2, a), [0., 1., 1.]),
    (lambda a: nd.equal(a, 2), [0., 1., 0.]), (lambda a: nd.not_equal(2, a), [1., 0., 1.]),
    (lambda a: nd.logical_and(a, 0), [0., 0., 0.]), (lambda a: nd.logical_or(a, 0), [1., 1., 1.]),
])
def test_function_forms_take_numbers_on_either_side(fn, expected):
    check(fn(nd.array(A)), np.array(expected, dtype=np.float32))


def test_function_forms_on_two_numbers():
    assert nd.add(1, 2) == 3 and nd.maximum(1, 2) == 2
    with pytest.raises(TypeError, match='add'):
        nd.add('a', [1])


def test_out_argument_writes_in_place():
    a = nd.array(A)
    out = nd.zeros((3,))
    assert nd.exp(nd.zeros((3,)), out=out) is out
    check(out, [1., 1., 1.])
    assert nd.add(a, 1, out=out) is out
    check(out, [2., 3., 4.])


# ------------------------------------------------------------------ in place
@pytest.mark.parametrize('op, other, expected', [
    ('+', 2, [3., 4., 5.]), ('+', nd.array([2., 2., 2.]), [3., 4., 5.]),
    ('-', 2, [-1., 0., 1.]), ('-', nd.array([2., 2., 2.]), [-1., 0., 1.]),
    ('*', 2, [2., 4., 6.]), ('*', nd.array([2., 2., 2.]), [2., 4., 6.]),
    ('/', 2, [0.5, 1., 1.5]), ('/', nd.array([2., 2., 2.]), [0.5, 1., 1.5]),
    ('%', 2, [1., 0., 1.]), ('%', nd.array([2., 2., 2.]), [1., 0., 1.]),
])
def test_in_place_operators_keep_the_array(op, other, expected):
    x = nd.array(A)
    same, first = x, x[0:1]
    if op == '+':
        x += other
    elif op == '-':
        x -= other
    elif op == '*':
        x *= other
    elif op == '/':
        x /= other
    else:
        x %= other
    assert x is same
    check(x, expected)
    check(first, expected[:1])  # a view taken before sees the new values


def test_in_place_broadcasts_the_right_side_only():
    x = nd.ones((2, 3))
    x += nd.array([1., 2., 3.])
    check(x, [[2., 3., 4.], [2., 3., 4.]])
    y = nd.array(A)
    with pytest.raises(mx.MXNetError, match=r'broadcast_add.*\[3\] \[2,3\]'):
        y += nd.ones((2, 3))


@pytest.mark.parametrize('op, expected', [('+', [3, 4, 5]), ('-', [-1, 0, 1]),
                                          ('*', [2, 4, 6]), ('/', [0, 1, 1]), ('%', [1, 0, 1])])
def test_in_place_on_int32_converts_the_number_first(op, expected):
    i = nd.array([1, 2, 3], dtype='int32')
    if op == '+':
        i += 2.7
    elif op == '-':
        i -= 2.7
    elif op == '*':
        i *= 2.7
    elif op == '/':
        i /= 2.7
    else:
        i %= 2.7
    check(i, expected, np.int32)


def test_in_place_with_another_dtype_is_refused():
    i = nd.array([1, 2, 3], dtype='int32')
    with pytest.raises(mx.MXNetError, match=r'broadcast_add.*int32.*float32'):
        i += nd.array(A)
    check(i, [1, 2, 3], np.int32)


def test_in_place_across_contexts_is_refused():
    x = nd.array(A)
    with pytest.raises(mx.MXNetError, match=r'broadcast_mul.*cpu\(0\).*cpu\(1\)'):
        x *= nd.ones((3,), ctx=mx.cpu(1))


@pytest.mark.parametrize('other', [[1, 2, 3], np.array([1., 2., 3.]), 'a'])
def test_in_place_refuses_lists_and_numpy_arrays(other):
    x = nd.array(A)
    with pytest.raises(TypeError):
        x += other


# ------------------------------------------------------------------ reshape
@pytest.mark.parametrize('args, kwargs, shape', [
    (((3, 2),), {}, (3, 2)), ((3, 2), {}, (3, 2)), (([6],), {}, (6,)), ((-1,), {}, (6,)),
    ((), {'shape': (0, -1)}, (2, 3)), ((-3,), {}, (6,)), (((3, -1),), {'reverse': True}, (3, 2))])
def test_reshape_method_forms(args, kwargs, shape):
    y = nd.array(np.arange(6).reshape(2, 3)).reshape(*args, **kwargs)
    check(y, np.arange(6).reshape(shape))


def test_reshape_method_shares_memory_and_nd_reshape_copies():
    x = nd.zeros((2, 3))
    y = x.reshape(-1)
    y[0] = 5
    x[1, 2] = 9
    check(x, [[5., 0., 0.], [0., 0., 9.]])
    check(y, [5., 0., 0., 0., 0., 9.])
    z = nd.reshape(x, shape=(6,))
    z[1] = 7
    check(x, [[5., 0., 0.], [0., 0., 9.]])


def test_reshape_method_errors():
    with pytest.raises(mx.MXNetError, match=r'reshape.*\[6\]'):
        nd.zeros((6,)).reshape((4, 2))
    with pytest.raises(TypeError, match='foo'):
        nd.zeros((6,)).reshape((2, 3), foo=1)


# ------------------------------------------------------------------ module-level helpers
def test_concatenate():
    a, b = nd.array([[1, 2]]), nd.array([[3, 4]])
    check(nd.concatenate([a, b]), [[1., 2.], [3., 4.]])
    check(nd.concatenate([a, b], axis=1), [[1., 2., 3., 4.]])
    assert nd.concatenate([a], always_copy=False) is a
    c = nd.concatenate([a])
    c[:] = 0
    check(a, [[1., 2.]])
    with pytest.raises(ValueError, match='list'):
        nd.concatenate([])


def test_moveaxis():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    check(nd.moveaxis(x, 0, 1), [[1., 4.], [2., 5.], [3., 6.]])
    assert nd.moveaxis(nd.zeros((3, 4, 5)), [0, 1], [-1, -2]).shape == (5, 4, 3)
    assert nd.moveaxis(nd.zeros((2, 3, 4)), -1, 0).shape == (4, 2, 3)
    with pytest.raises(ValueError, match='out of range'):
        nd.moveaxis(x, 2, 0)
    with pytest.raises(ValueError, match='same number'):
        nd.moveaxis(x, [0, 1], [0])


def test_save_and_load_are_exported(tmp_path):
    path = str(tmp_path / 'arrays.params')
    nd.save(path, {'w': nd.array([1, 2], dtype='int32')})
    loaded = nd.load(path)
    assert list(loaded) == ['w']
    check(loaded['w'], [1, 2], np.int32)


def test_as_nd_ndarray_is_the_array():
    x = nd.ones((2,))
    assert x.as_nd_ndarray() is x


def test_assigning_a_length_one_array_to_one_element():
    # d2l's classic Y[i, j] = (X[i:i+h, j:j+w] * K).sum(): the sum has shape (1,)
    y = nd.zeros((2, 3))
    y[0, 1] = nd.array([5])
    y[1] = nd.ones((1, 3))
    check(y, [[0, 5, 0], [1, 1, 1]])
    with pytest.raises(mx.MXNetError, match='_setitem'):
        y[0, 1] = nd.ones((2,))
