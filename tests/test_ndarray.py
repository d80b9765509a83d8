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


@pytest.mark.parametrize('source, value', [
    (3, 3.), (2.5, 2.5), (True, 1.), (np.float32(1), 1.), (np.float64(2.5), 2.5),
    (np.int64(3), 3.), (np.ones(()), 1.), (np.array(5), 5.)])
def test_array_of_a_number_has_shape_empty(source, value):
    # MXNet 1.9.1: nd.array(3).shape == () for numbers and 0-d numpy arrays alike
    a = nd.array(source)
    check(a, value)
    assert a.shape == () and (a * 2).shape == ()
    check(nd.array(a), value)  # an NDArray source keeps its shape


def test_array_of_a_list_keeps_its_shape():
    check(nd.array([3]), [3.])
    check(nd.array([]), np.zeros((0,)))
    check(nd.array([[]]), np.zeros((1, 0)))


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


@pytest.mark.parametrize('key, error', [
    (5, IndexError), ((1, 2, 3), IndexError), (1.0, ValueError)])
def test_bad_keys_name_the_shape(key, error):
    # MXNet 1.9.1: IndexError for an index too large or too many indices, ValueError
    # for a float key; ours is also an MXNetError
    with pytest.raises(error, match=r'\[3,4\]') as info:
        grid()[key]
    assert isinstance(info.value, mx.MXNetError)


@pytest.mark.parametrize('make, key, message', [
    (lambda: nd.arange(5), 7, 'index 7 is out of bounds for axis 0 with size 5'),
    (lambda: nd.arange(5), -6, 'index -6 is out of bounds for axis 0 with size 5'),
    (grid, 3, 'index 3 is out of bounds for axis 0 with size 3'),
    (grid, (0, 4), 'index 4 is out of bounds for axis 1 with size 4'),
    (grid, (1, -5), 'index -5 is out of bounds for axis 1 with size 4'),
    (grid, (None, 3), 'index 3 is out of bounds for axis 0 with size 3'),
    (grid, (Ellipsis, 4), 'index 4 is out of bounds for axis 1 with size 4'),
    (grid, [0, 3], 'index 3 is out of bounds for axis 0 with size 3'),
    (grid, np.array([0, 3]), 'index 3 is out of bounds for axis 0 with size 3'),
    (grid, (slice(None), [0, 4]), 'index 4 is out of bounds for axis 1 with size 4'),
    (grid, (slice(1, 2), [0, 4]), 'index 4 is out of bounds for axis 1 with size 4'),
])
def test_index_out_of_range_is_an_index_error(make, key, message):
    x = make()
    with pytest.raises(IndexError, match=message):
        x[key]
    with pytest.raises(IndexError, match=message):
        x[nd.array(key) if isinstance(key, list) else key] = 1
    with pytest.raises(IndexError, match=message):
        with mx.autograd.record():
            x[key] = 1
    # the probe that code written for MXNet relies on
    try:
        x[key]
        found = True
    except IndexError:
        found = False
    assert not found


def test_index_in_range_at_the_edges():
    check(nd.arange(5)[-5], [0.])
    check(nd.arange(5)[4], [4.])
    check(grid()[-1, -1], [11.])
    check(grid()[3:5], np.zeros((0, 4)))  # slices clip, as in numpy and MXNet


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


# ------------------------------------------------------------------ integers, as MXNet 1.9.1 has them
def _i(values, dtype='int32'):
    return nd.array(values, dtype=dtype)


@pytest.mark.parametrize('dtype', ['int32', 'int64', 'uint8', 'int8'])
@pytest.mark.parametrize('divide', [
    lambda a, z: a / z, lambda a, z: a / 0, lambda a, z: 6 / z, lambda a, z: nd.divide(a, z),
    lambda a, z: nd.divide(a, 0), lambda a, z: nd.divide(6, z),
    lambda a, z: nd.elemwise_div(a, z), lambda a, z: nd.broadcast_div(a, z[0:1]),
    lambda a, z: a.__itruediv__(z), lambda a, z: a.__itruediv__(0), lambda a, z: a / 0.5])
def test_integer_division_by_zero_raises(dtype, divide):
    # MXNet 1.9.1 kills the process (SIGFPE) here, or gives -2147483648 for 6 / z
    a, z = _i([5, 7], dtype), _i([0, 1], dtype)
    with pytest.raises(mx.MXNetError, match='integer division by zero'):
        divide(a, z)
    check(a, [5, 7], np.dtype(dtype).type)   # in place: left as it was
    with pytest.raises(mx.MXNetError, match='integer division by zero'):
        with mx.autograd.record():
            divide(a, z)


def test_integer_division_truncates_exactly():
    check(_i([-5, 5, -7]) / _i([2, -2, 7]), [-2, -2, -1], np.int32)
    check(_i([-5, 5]) / 2, [-2, 2], np.int32)
    check(7 / _i([-2, 2]), [-3, 3], np.int32)
    check(_i([7]) / 2.7, [3], np.int32)                      # the number becomes 2
    big = 2 ** 62 + 1                                          # beyond float64's precision
    check(_i([big], 'int64') / _i([1], 'int64'), [big], np.int64)
    check(_i([big], 'int64') / 1, [big], np.int64)
    a = _i([7, -7])
    a /= 2
    check(a, [3, -3], np.int32)


@pytest.mark.parametrize('expr, expected, dtype', [
    (lambda: _i([5, -5]) % _i([0, 0]), [0, 0], np.int32),
    (lambda: _i([5, -5]) % 0, [0, 0], np.int32),
    (lambda: 5 % _i([0, 1]), [0, 0], np.int32),
    (lambda: nd.modulo(_i([5, -5]), 0), [0, 0], np.int32),
    (lambda: nd.array([1., 2., -3.]) % 0.0, [0., 0., 0.], np.float32),
    (lambda: nd.array([1., 2., -3.]) % nd.array([0., 0., 0.]), [0., 0., 0.], np.float32),
    (lambda: 5. % nd.array([0., 1., 2.]), [0., 0., 1.], np.float32),
    (lambda: nd.array([7.], dtype='float16') % 0, [0.], np.float16),
    (lambda: nd.array([5., -5.]) % nd.array([-3., 3.]), [-1., 1.], np.float32),
    (lambda: _i([7, -7]) % -3, [-2, -1], np.int32),
    (lambda: -7 % _i([3, -3]), [2, -1], np.int32),
])
def test_modulo_by_zero_is_zero_as_in_mxnet(expr, expected, dtype):
    check(expr(), expected, dtype)


def test_modulo_in_place_by_zero():
    a, b = nd.array([1.5, 2.]), _i([3, 4])
    a %= 0
    b %= 0
    check(a, [0., 0.])
    check(b, [0, 0], np.int32)


@pytest.mark.parametrize('expr, expected, dtype', [
    # a number is converted to the array's dtype as C converts a double: it wraps
    (lambda: _i([1, 2, 250], 'uint8') * -1, [255, 254, 6], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') + -1, [0, 1, 249], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') - 5, [252, 253, 245], np.uint8),
    (lambda: 5 - _i([1, 2, 250], 'uint8'), [4, 3, 11], np.uint8),
    (lambda: -1 - _i([1, 2, 250], 'uint8'), [254, 253, 5], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') / -1, [0, 0, 0], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') * -1.5, [255, 254, 6], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') + 300, [45, 46, 38], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') * 256, [0, 0, 0], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') > -1, [0, 0, 0], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') == -1, [0, 0, 0], np.uint8),
    (lambda: nd.maximum(_i([1, 2, 250], 'uint8'), -1), [255, 255, 255], np.uint8),
    (lambda: _i([1, 2, 250], 'uint8') % -3, [1, 2, 250], np.uint8),
    (lambda: _i([1, -128, 5], 'int8') * -1, [-1, -128, -5], np.int8),
    (lambda: _i([1, -128, 5], 'int8') + 200, [-55, 72, -51], np.int8),
    (lambda: _i([1]) + 2 ** 40, [-2147483647], np.int32),
    (lambda: _i([1]) + float('nan'), [-2147483647], np.int32),
    (lambda: _i([3]) * 1e10, [-2147483648], np.int32),
    (lambda: _i([3]) * -0.5, [0], np.int32),
    (lambda: _i([1], 'int64') + 1e30, [-9223372036854775807], np.int64),
    (lambda: _i([1], 'uint8') + 1e10, [1], np.uint8),
    (lambda: nd.full((2,), -1, dtype='uint8'), [255, 255], np.uint8),
    (lambda: nd.full((2,), 300, dtype='uint8'), [44, 44], np.uint8),
    (lambda: nd.full((2,), 2.7, dtype='int32'), [2, 2], np.int32),
    (lambda: nd.array([-1, 300], dtype='uint8'), [255, 44], np.uint8),
    (lambda: nd.array(np.array([-1, 300]), dtype='uint8'), [255, 44], np.uint8),
    (lambda: nd.array([2.7, -2.7], dtype='int32'), [2, -2], np.int32),
    (lambda: nd.clip(_i([1, 200, 50], 'uint8'), -1, 100), [1, 100, 50], np.uint8),
    (lambda: nd.clip(_i([1, 200, 50], 'uint8'), -10, -5), [251, 251, 251], np.uint8),
    (lambda: nd.clip(_i([1, 200, 50], 'uint8'), 260, 270), [4, 4, 4], np.uint8),
    (lambda: nd.clip(_i([1, -200, 50]), 2.7, 40.9), [2, 2, 40], np.int32),
])
def test_numbers_with_integer_arrays_wrap_as_in_mxnet(expr, expected, dtype):
    check(expr(), expected, dtype)


@pytest.mark.parametrize('update, expected', [
    (lambda a: a.__iadd__(-1), [0, 1]), (lambda a: a.__isub__(2), [255, 0]),
    (lambda a: a.__imul__(-1), [255, 254]), (lambda a: a.__setitem__(0, -1), [255, 2]),
    (lambda a: a.__setitem__(slice(None), 300), [44, 44]),
    (lambda a: a.__setitem__(slice(None), [300, -1]), [44, 255])])
def test_updates_of_uint8_wrap_as_in_mxnet(update, expected):
    for recording in (False, True):
        a = _i([1, 2], 'uint8')
        with mx.autograd.record() if recording else mx.autograd.pause():
            update(a)
        check(a, expected, np.uint8)


@pytest.mark.parametrize('expr, expected', [
    (lambda: _i([2]) ** -1, [0]), (lambda: _i([-1]) ** -1, [-1]), (lambda: _i([0]) ** -1, [-2 ** 31]),
    (lambda: _i([3]) ** 40, [-2 ** 31]), (lambda: _i([4]) ** 0.5, [1]),
    (lambda: 2 ** _i([-1, 3]), [0, 8]),
    (lambda: nd.broadcast_power(_i([3, 2, 0, -2]), _i([40, -1, -1, 3])), [-2 ** 31, 0, -2 ** 31, -8]),
    (lambda: nd.broadcast_hypot(_i([3, 4]), _i([4, 3])), [5, 5]),
    (lambda: nd.hypot(_i([3]), 4.9), [5]),
])
def test_integer_powers_and_hypot_keep_int32(expr, expected):
    check(expr(), expected, np.int32)


def test_hypot_keeps_uint8_and_float16():
    check(nd.broadcast_hypot(_i([3, 4], 'uint8'), _i([4, 3], 'uint8')), [5, 5], np.uint8)
    check(nd.broadcast_hypot(nd.array([3], dtype='float16'), nd.array([4], dtype='float16')),
          [5.], np.float16)


@pytest.mark.parametrize('op, values, expected', [
    ('sqrt', [4, 5], [2, 2]), ('exp', [1, 0], [2, 1]), ('reciprocal', [2, 1], [0, 1]),
    ('sigmoid', [2, -2], [0, 0]), ('log', [-3, 0, 2, 5], [-2 ** 31, -2 ** 31, 0, 1]),
    ('cbrt', [8, -27], [2, -3]), ('degrees', [1, 2], [57, 114]), ('rsqrt', [4, 1], [0, 1]),
    ('round', [-3, 2], [-3, 2]), ('floor', [-1, 2], [-1, 2]), ('cos', [0, 3], [1, 0]),
    ('arctan', [5, -5], [1, -1]), ('sign', [-3, 0], [-1, 0]), ('relu', [-1, 2], [0, 2])])
def test_math_on_integers_keeps_the_dtype(op, values, expected):
    check(getattr(nd, op)(_i(values)), expected, np.int32)
    assert getattr(nd, op)(_i(values, 'uint8' if min(values) >= 0 else 'int8')).dtype in (
        np.uint8, np.int8)


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize('make', [
    lambda: nd.zeros((2.5, 2)), lambda: nd.zeros((2.0, 2)), lambda: nd.ones((2.5,)),
    lambda: nd.full((2.5,), 1), lambda: nd.empty((2.5,)), lambda: nd.zeros(3.0),
    lambda: nd.random.uniform(shape=(2.5,)), lambda: nd.random.normal(shape=(2, 1.5)),
    lambda: nd.zeros((3,)).reshape((1.5, 2)), lambda: nd.zeros((6,)).reshape((2.0, 3.0)),
    lambda: nd.reshape(nd.zeros((6,)), shape=(2.0, 3)),
    lambda: nd.broadcast_to(nd.ones((1, 3)), shape=(2.0, 3)),
    lambda: nd.tile(nd.ones((1, 3)), reps=(2.5,)), lambda: nd.zeros((-1, 2))])
def test_shapes_that_are_not_integers_are_refused(make):
    # MXNet 1.9.1 raises MXNetError (nd.zeros) or TypeError (x.reshape, nd.full) here,
    # where int() would quietly make another shape
    with pytest.raises(mx.MXNetError) as info:
        make()
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize('make', [
    lambda: nd.eye(2.0), lambda: nd.eye(3, k=1.5), lambda: nd.linspace(0, 1, 3.5),
    lambda: nd.arange(3, repeat=2.5)])
def test_integer_attributes_that_are_floats_are_refused(make):
    with pytest.raises(mx.MXNetError, match='must be an integer'):
        make()


def test_shapes_given_as_numpy_integers_are_fine():
    assert nd.zeros((np.int64(2), np.int32(3))).shape == (2, 3)
    assert nd.zeros(np.int64(3)).shape == (3,)
    assert nd.zeros((6,)).reshape((np.int64(2), 3)).shape == (2, 3)


@pytest.mark.parametrize('reshape', [
    lambda x: x.reshape((5,)), lambda x: x.reshape((5, -1)), lambda x: x.reshape((-1, -1)),
    lambda x: x.reshape((13,)), lambda x: x.reshape((-7,)), lambda x: nd.reshape(x, shape=(5,)),
    lambda x: nd.reshape_like(x, nd.ones((5,)))])
def test_bad_reshape_is_a_value_error_and_an_mxnet_error(reshape):
    # MXNet 1.9.1: x.reshape((5,)) raises ValueError, x.reshape((13,)) and bad codes
    # MXNetError (and nd.reshape silently drops or invents elements)
    with pytest.raises(ValueError, match=r'\[3,4\]') as info:
        reshape(nd.zeros((3, 4)))
    assert isinstance(info.value, mx.MXNetError)


def test_broadcast_to_method_pads_leading_axes():
    check(nd.array([1, 2, 3]).broadcast_to((2, 3)), [[1, 2, 3], [1, 2, 3]])
    assert nd.ones((1, 3)).broadcast_to((5, 2, 3)).shape == (5, 2, 3)
    for cur, shape in (((2, 3), (4, 3)), ((2, 3), (3,)), ((1, 3), (2, 0))):
        with pytest.raises(ValueError, match='could not be broadcast'):
            nd.ones(cur).broadcast_to(shape)
    with pytest.raises(mx.MXNetError):      # the operator itself does not pad
        nd.broadcast_to(nd.ones((3,)), shape=(2, 3))
    x = nd.array([1., 2., 3.])
    x.attach_grad()
    with mx.autograd.record():
        y = x.broadcast_to((2, 3)) * nd.array([[1.], [10.]])
    y.backward()
    check(x.grad, [11., 11., 11.])


def test_pick_from_a_1d_array_has_shape_1():
    check(nd.pick(nd.array([1, 2, 3]), nd.array([1])), [2.])
    check(nd.pick(nd.array([1, 2, 3]), nd.array([2]), keepdims=True), [3.])
    check(nd.pick(nd.array([1, 2, 3]), nd.array(2)), [3.])
    x = nd.array([1., 2., 3.])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.pick(x, nd.array([1])) * 5
    y.backward()
    check(x.grad, [0., 5., 0.])


def test_relu_gradient_at_nan():
    # MXNet 1.9.1: nd.relu passes NaN to the gradient, Activation(relu) gives 0
    for f, at_nan in ((nd.relu, np.nan), (lambda a: nd.Activation(a, act_type='relu'), 0.)):
        x = nd.array([np.nan, -1., 0., 2.])
        x.attach_grad()
        with mx.autograd.record():
            y = f(x)
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), [at_nan, 0., 0., 1.])
    x = nd.array([np.inf, -np.inf])
    x.attach_grad()
    with mx.autograd.record():
        y = nd.relu(x)
    y.backward()
    check(x.grad, [1., 0.])


def test_errors_mxnet_raises_as_value_errors_are_value_errors():
    # MXNet 1.9.1 raises ValueError for a slice step of 0 and for a value that does
    # not broadcast into x[key]; ours are also MXNetErrors, naming the shapes
    x = nd.arange(6)
    for record in (False, True):
        with mx.autograd.record() if record else mx.autograd.pause():
            with pytest.raises(ValueError, match=r'step cannot be zero.*\[6\]'):
                x[::0]
            with pytest.raises(ValueError, match=r'step cannot be zero.*\[6\]'):
                x[::0] = 1
            with pytest.raises(ValueError, match=r'_setitem.*\[6\]'):
                x[0:2] = nd.ones((3,))
    check(x, [0., 1., 2., 3., 4., 5.])
