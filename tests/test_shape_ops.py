"""Semantics of the shape and selection operators (d2lmini/ops/shape.py and
d2lmini/ops/sort.py): shapes, MXNet's special codes and conventions, dtypes, error
messages and gradients, with expected values written out by hand (they agree with
MXNet 1.9). The registry walk checks every gradient numerically; this file checks
what the operators compute."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.ops.shape import infer_reshape

nd = mx.nd


def A(values, dtype='float32'):
    return nd.array(values, dtype=dtype)


def check(out, expected, dtype=np.float32):
    expected = np.asarray(expected)
    assert out.shape == expected.shape
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.asnumpy(), expected)


def grad_of(fn, x, head=None):
    """The gradient of ``fn(x)`` (an NDArray output) with head gradient ``head``."""
    x = x.copy()
    x.attach_grad()
    with mx.autograd.record():
        y = fn(x)
    y.backward(head)
    return x.grad.asnumpy()


# ------------------------------------------------------------------ reshape codes
@pytest.mark.parametrize('src,shape,reverse,expected', [
    ((2, 3, 4), (4, 0, 2), False, (4, 3, 2)),
    ((2, 3, 4), (2, 0, 0), False, (2, 3, 4)),
    ((2, 3, 4), (6, 1, -1), False, (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), False, (3, 1, 8)),
    ((2, 3, 4), (-1,), False, (24,)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1)),
    ((2, 3, 4), (-3, 4), False, (6, 4)),
    ((2, 3, 4, 5), (-3, -3), False, (6, 20)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4, 5), (-3, -2), False, (6, 4, 5)),
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (2, -4, -1, 3, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, -4, -1, 1, 0), False, (2, 3, 1, 4)),
    ((2, 3, 4), (-3, -1), False, (6, 4)),
    ((2, 3, 4), (0, -1, 0), False, (2, 3, 4)),
    ((6,), (2, -1, 1), False, (2, 3, 1)),
    ((2, 3, 4), (-2, -1), False, (2, 3, 4, 1)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((2, 3, 4), (1, -1, 4), True, (1, 6, 4)),
    ((2, 3, 4), (-3, 0), True, (6, 4)),
    ((2, 3, 4), (-2, -3), True, (2, 12)),
    ((4,), (-1, 2, -4), True, (2, 2)),
    ((2, 0, 3), (-1, 3), False, (0, 3)),
    ((2, 0, 3), (0, -1), False, (2, 0)),
    ((2, 3, 4), [4, 6], False, (4, 6)),
    ((6,), 6, False, (6,)),
])
def test_infer_reshape(src, shape, reverse, expected):
    assert infer_reshape(src, shape, reverse) == expected


@pytest.mark.parametrize('src,shape,reverse,why', [
    ((2, 3, 4), (5, 5), False, '25 elements'),
    ((2, 3, 4), (-1, -1), False, 'only one dimension can be -1'),
    ((2, 3, 4), (0, 0, 0, 0), False, 'no input dimension to copy'),
    ((2, 3, 4), (-3, -3), False, 'two input dimensions'),
    ((2, 3, 4), (-4, -1, -1, 0, 0), False, 'cannot both be -1'),
    ((2, 3, 4), (-4, 4, 1, 0, 0), False, 'cannot split dimension 2'),
    ((2, 3, 4), (-4, 2), False, 'two values after it'),
    ((2, 3, 4), (-5,), False, 'not a valid code'),
    ((2, 3, 4), (), False, 'empty'),
    ((2, 3, 4), (5, -1), False, 'cannot infer -1'),
    ((2, 3, 4), (-4, 3, -1, 0), True, 'two values after it'),
    ((2, 3, 4), (-3, -2), True, 'two input dimensions'),
    ((2, 0, 3), (-1, 0, 0), False, 'cannot infer -1'),
])
def test_infer_reshape_errors_name_operator_and_shapes(src, shape, reverse, why):
    with pytest.raises(mx.MXNetError) as e:
        infer_reshape(src, shape, reverse)
    msg = str(e.value)
    assert 'reshape' in msg and why in msg
    assert '[' + ','.join(map(str, src)) + ']' in msg
    assert str(tuple(shape)) in msg


def test_reshape_values_and_forms():
    x = nd.arange(24).reshape((2, 3, 4))
    check(nd.reshape(x, shape=(-1, 0), reverse=True), np.arange(24).reshape(6, 4))
    assert nd.Reshape(x, shape=(4, -1)).shape == (4, 6)
    assert nd.reshape(x, (-3, -2)).shape == (6, 4)           # shape as positional attribute
    assert x.reshape(4, 6).shape == x.reshape((4, 6)).shape == x.reshape(shape=(4, 6)).shape
    assert x.reshape((-1,), reverse=True).shape == (24,)
    check(nd.reshape(nd.arange(4, dtype='int32'), shape=(2, 2)), [[0, 1], [2, 3]], np.int32)


def test_reshape_error_from_the_front_end():
    with pytest.raises(mx.MXNetError, match=r'reshape.*\[2,3,4\].*\(5, 5\)'):
        nd.zeros((2, 3, 4)).reshape((5, 5))


def test_reshape_like():
    a = nd.arange(6)
    check(nd.reshape_like(a, nd.zeros((3, 2))), np.arange(6).reshape(3, 2))
    x = nd.zeros((2, 3, 4))
    assert nd.reshape_like(x, nd.zeros((6, 5)), lhs_begin=0, lhs_end=2,
                           rhs_begin=0, rhs_end=1).shape == (6, 4)
    assert nd.reshape_like(x, nd.zeros((6, 5)), lhs_begin=-3, lhs_end=-1,
                           rhs_begin=-2, rhs_end=-1).shape == (6, 4)
    with pytest.raises(mx.MXNetError, match=r'reshape_like.*\[6\].*\[3,3\]'):
        nd.reshape_like(a, nd.zeros((3, 3)))


# ------------------------------------------------------------------ copies, not views
_COPYING = {
    'reshape': lambda x: nd.reshape(x, shape=(3, 2)),
    'reshape_like': lambda x: nd.reshape_like(x, nd.zeros((6,))),
    'transpose': lambda x: nd.transpose(x, axes=(0, 1)),
    'swapaxes': lambda x: nd.swapaxes(x, 0, 0),
    'expand_dims': lambda x: nd.expand_dims(x, axis=0),
    'squeeze': lambda x: nd.squeeze(x),
    'flatten': lambda x: nd.flatten(x),
    'split': lambda x: nd.split(x, num_outputs=2, axis=0)[0],
    'broadcast_to': lambda x: nd.broadcast_to(x, shape=(2, 3)),
    'broadcast_like': lambda x: nd.broadcast_like(x, nd.zeros((2, 3))),
    'broadcast_axis': lambda x: nd.broadcast_axis(x, axis=(), size=()),
    'flip': lambda x: nd.flip(x, axis=()),
    'tile': lambda x: nd.tile(x, reps=(1,)),
    'slice': lambda x: nd.slice(x, begin=(0,), end=(1,)),
    'slice_axis': lambda x: nd.slice_axis(x, axis=0, begin=0, end=1),
    'slice_like': lambda x: nd.slice_like(x, nd.zeros((1, 3))),
    'diag': lambda x: nd.diag(x),
    'depth_to_space': lambda x: nd.depth_to_space(x, 1),
    'space_to_depth': lambda x: nd.space_to_depth(x, 1),
    'pad': lambda x: nd.pad(x, mode='edge', pad_width=(0,) * 8),
}
_FOUR_D = ('depth_to_space', 'space_to_depth', 'pad')


@pytest.mark.parametrize('name', sorted(_COPYING))
def test_results_do_not_share_memory_with_the_input(name):
    """MXNet returns new arrays: a later in-place update of the input must not show."""
    x = nd.arange(6).reshape((1, 1, 2, 3) if name in _FOUR_D else (2, 3))
    y = _COPYING[name](x)
    before = y.asnumpy()
    x += 100
    x[0] = -1
    np.testing.assert_array_equal(y.asnumpy(), before)


# ------------------------------------------------------------------ axes
def test_transpose_and_swapaxes():
    x = nd.arange(6).reshape((1, 2, 3))
    check(nd.transpose(x, axes=(2, 0, 1)), [[[0, 3]], [[1, 4]], [[2, 5]]])
    check(nd.swapaxes(x, 0, 2), [[[0], [3]], [[1], [4]], [[2], [5]]])
    check(nd.SwapAxis(x, dim1=-1, dim2=0), [[[0], [3]], [[1], [4]], [[2], [5]]])
    assert nd.transpose(x).shape == x.T.shape == (3, 2, 1)
    assert nd.transpose(nd.arange(3)).shape == (3,)
    assert x.transpose(axes=(1, 0, 2)).shape == (2, 1, 3)


@pytest.mark.parametrize('call,match', [
    (lambda x: nd.transpose(x, axes=(0, 1)), r'transpose: axes=\(0, 1\).*\[2,3,4\]'),
    (lambda x: nd.transpose(x, axes=(0, 1, 1)), 'repeats an axis'),
    (lambda x: nd.transpose(x, axes=(-1, 0, 1)), 'no negative axes'),
    (lambda x: nd.transpose(x, axes=(0, 1, 3)), r'axis 3 must be in \[0, 3\)'),
    (lambda x: nd.swapaxes(x, 0, 3), r'swapaxes: axis 3 is out of range.*\[2,3,4\]'),
    (lambda x: nd.expand_dims(x, axis=4), r'expand_dims: axis must be in \[-4, 3\]'),
    (lambda x: nd.expand_dims(x), 'expand_dims: required attribute axis'),
    (lambda x: nd.squeeze(x, axis=1), r'squeeze: axis 1 .*\[2,3,4\] has size 3'),
])
def test_axis_errors(call, match):
    with pytest.raises(mx.MXNetError, match=match):
        call(nd.zeros((2, 3, 4)))


def test_expand_dims_squeeze_flatten():
    x = nd.zeros((2, 3))
    assert [nd.expand_dims(x, axis=a).shape for a in (0, 2, -1, -3)] == [
        (1, 2, 3), (2, 3, 1), (2, 3, 1), (1, 2, 3)]
    z = nd.zeros((1, 3, 1))
    assert nd.squeeze(z).shape == (3,)
    assert nd.squeeze(z, axis=0).shape == (3, 1)
    assert nd.squeeze(z, axis=(0, -1)).shape == (3,)
    assert nd.squeeze(nd.zeros((1, 1))).shape == (1,)     # never 0-d
    assert z.squeeze(axis=2).shape == (1, 3)
    with pytest.raises(mx.MXNetError, match='repeats an axis'):
        nd.squeeze(z, axis=(0, -3))
    check(nd.flatten(nd.arange(12).reshape((2, 3, 2))), np.arange(12).reshape(2, 6))
    assert nd.Flatten(nd.zeros((3,))).shape == (3, 1)
    assert nd.zeros((2, 3, 4)).flatten().shape == (2, 12)


# ------------------------------------------------------------------ join and split
def test_concat_and_stack():
    check(nd.concat(A([[1, 2]]), A([[3, 4], [5, 6]]), dim=0), [[1, 2], [3, 4], [5, 6]])
    assert nd.concat(nd.zeros((2, 3)), nd.zeros((2, 1))).shape == (2, 4)   # dim=1 by default
    assert nd.Concat(nd.zeros((2, 3)), nd.zeros((2, 3)), dim=-1, num_args=2).shape == (2, 6)
    assert nd.concat(nd.zeros((2, 3))).shape == (2, 3)
    check(nd.stack(A([1, 2]), A([3, 4]), axis=1), [[1, 3], [2, 4]])
    assert nd.stack(nd.zeros((2, 3)), nd.zeros((2, 3)), axis=-1).shape == (2, 3, 2)
    assert nd.stack(nd.zeros((2, 3))).shape == (1, 2, 3)
    check(nd.concat(A([1], 'int32'), A([2], 'int32'), dim=0), [1, 2], np.int32)


@pytest.mark.parametrize('call,match', [
    (lambda: nd.concat(nd.zeros((2, 3)), nd.zeros((3, 3))), r'concat: input 1 .*\[3,3\]'),
    (lambda: nd.concat(nd.zeros((2, 3)), nd.zeros((2, 3)), num_args=3), 'num_args=3 but 2'),
    (lambda: nd.concat(nd.zeros((2, 3)), nd.zeros((2, 3)), dim=2), 'axis 2 is out of range'),
    (lambda: nd.concat(nd.zeros((2,)), nd.zeros((2,), dtype='int32'), dim=0), 'one dtype'),
    (lambda: nd.stack(nd.zeros((2, 3)), nd.zeros((3, 2))), r'stack: input 1 .*\[3,2\]'),
    (lambda: nd.stack(nd.zeros((2, 3)), nd.zeros((2, 3)), axis=3), 'axis 3 is out of range'),
])
def test_join_errors(call, match):
    with pytest.raises(mx.MXNetError, match=match):
        call()


def test_split():
    x = nd.arange(12).reshape((2, 6))
    parts = nd.split(x, num_outputs=3, axis=1)
    assert isinstance(parts, list) and len(parts) == 3
    for p, expected in zip(parts, ([[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10, 11]])):
        check(p, expected)
    assert [p.shape for p in nd.split(x, 2)] == [(2, 3), (2, 3)]   # num_outputs positional
    assert [p.shape for p in nd.SliceChannel(x, num_outputs=2, axis=0, squeeze_axis=True)] \
        == [(6,), (6,)]
    assert [p.shape for p in x.split(num_outputs=3, axis=-1)] == [(2, 2)] * 3


def test_split_into_one_part_returns_an_array():
    out = nd.split(nd.zeros((2, 3)), num_outputs=1, axis=0)
    assert isinstance(out, nd.NDArray) and out.shape == (2, 3)


@pytest.mark.parametrize('attrs,match', [
    (dict(num_outputs=5, axis=1), r'split: cannot split axis 1 .*\[2,3,4\] into 5'),
    (dict(num_outputs=2, axis=2, squeeze_axis=True), 'squeeze_axis=True needs axis 2'),
    (dict(num_outputs=0), 'at least 1'),
    (dict(axis=1), 'required attribute num_outputs'),
    (dict(num_outputs=2, axis=3), 'axis 3 is out of range'),
])
def test_split_errors(attrs, match):
    with pytest.raises(mx.MXNetError, match=match):
        nd.split(nd.zeros((2, 3, 4)), **attrs)


def test_split_gradient_fills_missing_outputs_with_zeros():
    def f(x):
        return nd.split(x, num_outputs=3, axis=1)[1] * 2
    np.testing.assert_array_equal(grad_of(f, nd.ones((2, 3))), [[0, 2, 0], [0, 2, 0]])


# ------------------------------------------------------------------ tile, repeat, flip
def test_tile_and_repeat():
    m = A([[1, 2], [3, 4]])
    check(nd.tile(m, reps=(2, 1, 2)), [[[1, 2, 1, 2], [3, 4, 3, 4]]] * 2)
    check(nd.tile(m, 2), [[1, 2, 1, 2], [3, 4, 3, 4]])
    check(nd.tile(A([1, 2]), reps=(2,)), [1, 2, 1, 2])
    check(m.tile(reps=()), [[1, 2], [3, 4]])
    check(nd.repeat(m, repeats=2), [1, 1, 2, 2, 3, 3, 4, 4])
    check(nd.repeat(m, 2, axis=0), [[1, 2], [1, 2], [3, 4], [3, 4]])
    check(m.repeat(repeats=2, axis=-1), [[1, 1, 2, 2], [3, 3, 4, 4]])
    assert nd.repeat(m, repeats=0, axis=1).shape == (0,)    # as MXNet does
    with pytest.raises(mx.MXNetError, match='reps=.* must be positive'):
        nd.tile(m, reps=(0, 2))
    with pytest.raises(mx.MXNetError, match='repeats=-1 cannot be negative'):
        nd.repeat(m, repeats=-1)
    with pytest.raises(mx.MXNetError, match='repeat: axis 2 is out of range'):
        nd.repeat(m, repeats=2, axis=2)


def test_tile_and_repeat_gradients_sum_the_copies():
    x = A([[1, 2, 3]])
    np.testing.assert_array_equal(grad_of(lambda v: nd.tile(v, reps=(2, 1, 2)), x), [[4, 4, 4]])
    head = nd.arange(6).reshape((1, 6))
    np.testing.assert_array_equal(grad_of(lambda v: nd.repeat(v, 2, axis=1), x, head),
                                  [[1, 5, 9]])


def test_flip():
    x = nd.arange(8).reshape((2, 2, 2))
    check(nd.flip(x, axis=(0, 2)), [[[5, 4], [7, 6]], [[1, 0], [3, 2]]])
    check(nd.reverse(A([[1, 2], [3, 4]]), axis=1), [[2, 1], [4, 3]])
    check(nd.flip(A([[1, 2], [3, 4]]), axis=(0, 0)), [[1, 2], [3, 4]])  # twice: unchanged
    with pytest.raises(mx.MXNetError, match='no negative axes'):
        nd.flip(x, axis=-1)
    with pytest.raises(mx.MXNetError, match='required attribute axis'):
        nd.flip(x)


# ------------------------------------------------------------------ broadcast
def test_broadcast_to():
    row = A([[1, 2, 3]])
    check(nd.broadcast_to(row, shape=(2, 3)), [[1, 2, 3], [1, 2, 3]])
    check(nd.broadcast_to(row, shape=(2, 0)), [[1, 2, 3], [1, 2, 3]])  # 0 keeps the dim
    check(row.broadcast_to((0, 3)), [[1, 2, 3]])
    with pytest.raises(mx.MXNetError, match=r'broadcast_to: .*\[3\] to \[2,3\]'):
        nd.broadcast_to(A([1, 2, 3]), shape=(2, 3))
    with pytest.raises(mx.MXNetError, match=r'\[1,3\] to \[2,4\]'):
        nd.broadcast_to(row, shape=(2, 4))


def test_broadcast_like_and_axis():
    check(nd.broadcast_like(A([[1], [2]]), nd.zeros((2, 3))), [[1, 1, 1], [2, 2, 2]])
    check(nd.broadcast_like(A([[1], [2]]), nd.zeros((4, 2, 3)), lhs_axes=(1,), rhs_axes=(2,)),
          [[1, 1, 1], [2, 2, 2]])
    assert nd.broadcast_like(nd.zeros((1, 1)), nd.zeros((4, 5)), lhs_axes=(0, 1),
                             rhs_axes=(1, 0)).shape == (5, 4)
    with pytest.raises(mx.MXNetError, match='same length'):
        nd.broadcast_like(nd.zeros((1, 1)), nd.zeros((4, 5)), lhs_axes=(0, 1), rhs_axes=(1,))
    with pytest.raises(mx.MXNetError, match='axis 1 of lhs'):
        nd.broadcast_like(nd.zeros((1, 3)), nd.zeros((4, 5)), lhs_axes=(1,), rhs_axes=(1,))
    z = nd.zeros((1, 3, 1), dtype='int32')
    out = nd.broadcast_axis(z, axis=(0, 2), size=(2, 4))
    assert out.shape == (2, 3, 4) and out.dtype == np.int32
    assert nd.broadcast_axes(z, axis=0, size=5).shape == (5, 3, 1)
    with pytest.raises(mx.MXNetError, match='axis 1 .* must have size 1'):
        nd.broadcast_axis(z, axis=1, size=2)
    with pytest.raises(mx.MXNetError, match='no negative axes'):
        nd.broadcast_axis(z, axis=-1, size=2)


def test_broadcast_gradients_sum_over_the_copies():
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.broadcast_to(v, shape=(4, 2)), A([[1, 2]])), [[4, 4]])
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.broadcast_axis(v, axis=0, size=3), A([[1, 2]])), [[3, 3]])


# ------------------------------------------------------------------ pad, depth/space
def test_pad_modes():
    x = nd.arange(6).reshape((1, 1, 2, 3))
    width = (0, 0, 0, 0, 1, 0, 0, 2)
    check(nd.pad(x, mode='constant', pad_width=width, constant_value=-1),
          [[[[-1, -1, -1, -1, -1], [0, 1, 2, -1, -1], [3, 4, 5, -1, -1]]]])
    check(nd.Pad(x, mode='edge', pad_width=width),
          [[[[0, 1, 2, 2, 2], [0, 1, 2, 2, 2], [3, 4, 5, 5, 5]]]])
    check(nd.pad(x, 'reflect', width), [[[[3, 4, 5, 4, 3], [0, 1, 2, 1, 0], [3, 4, 5, 4, 3]]]])
    assert nd.pad(nd.zeros((1, 1, 2, 2, 4)), mode='edge',
                  pad_width=(0, 0, 0, 0, 1, 1, 1, 0, 0, 2)).shape == (1, 1, 4, 3, 6)


def test_pad_gradient_adds_up_the_copied_borders():
    row = A([[[[1, 2, 3]]]])
    edge = (0, 0, 0, 0, 0, 0, 2, 1)      # [a a a b c c]
    np.testing.assert_array_equal(grad_of(lambda v: nd.pad(v, 'edge', edge), row),
                                  [[[[3, 1, 2]]]])
    reflect = (0, 0, 0, 0, 0, 0, 2, 1)   # [c b a b c b]
    np.testing.assert_array_equal(grad_of(lambda v: nd.pad(v, 'reflect', reflect), row),
                                  [[[[1, 3, 2]]]])
    np.testing.assert_array_equal(grad_of(lambda v: nd.pad(v, 'constant', edge), row),
                                  [[[[1, 1, 1]]]])


@pytest.mark.parametrize('shape,attrs,match', [
    ((1, 2, 4), dict(mode='constant', pad_width=(0, 0, 0, 0, 1, 1)), r'4-D or 5-D.*\[1,2,4\]'),
    ((1, 1, 2, 4), dict(mode='constant', pad_width=(0, 0, 1, 0, 1, 1, 2, 2)), 'first two axes'),
    ((1, 1, 2, 4), dict(mode='constant', pad_width=(0, 0, 0, 0, 1, 1)), 'two numbers per axis'),
    ((1, 1, 2, 4), dict(mode='reflect', pad_width=(0, 0, 0, 0, 2, 2, 1, 1)), 'smaller than'),
    ((1, 1, 2, 4), dict(mode='wrap', pad_width=(0,) * 8), "mode='wrap' must be one of"),
    ((1, 1, 2, 4), dict(pad_width=(0,) * 8), 'required attribute mode'),
])
def test_pad_errors(shape, attrs, match):
    with pytest.raises(mx.MXNetError, match=match):
        nd.pad(nd.zeros(shape), **attrs)


def test_pad_refuses_integers():
    with pytest.raises(mx.MXNetError, match='floating-point inputs only, not int32'):
        nd.pad(nd.zeros((1, 1, 2, 2), dtype='int32'), mode='edge', pad_width=(0,) * 8)


def test_depth_to_space_and_back():
    x = nd.arange(8).reshape((1, 4, 1, 2))
    y = nd.depth_to_space(x, 2)
    check(y, [[[[0, 2, 1, 3], [4, 6, 5, 7]]]])
    check(nd.space_to_depth(nd.arange(8).reshape((1, 1, 2, 4)), 2),
          [[[[0, 2]], [[1, 3]], [[4, 6]], [[5, 7]]]])
    check(nd.space_to_depth(y, block_size=2), x.asnumpy())
    with pytest.raises(mx.MXNetError, match=r'depth_to_space: channels 4 .*block_size\^2 = 9'):
        nd.depth_to_space(nd.zeros((1, 4, 2, 2)), 3)
    with pytest.raises(mx.MXNetError, match=r'space_to_depth: .*\[1,1,4,4\].*block_size=3'):
        nd.space_to_depth(nd.zeros((1, 1, 4, 4)), 3)
    with pytest.raises(mx.MXNetError, match='4-D input'):
        nd.depth_to_space(nd.zeros((4, 2, 2)), 2)


# ------------------------------------------------------------------ slices
def test_slice():
    x = nd.arange(12).reshape((3, 4))
    check(nd.slice(x, begin=(None, 3), end=(None, 0), step=(2, -2)), [[3, 1], [11, 9]])
    check(nd.slice(x, (1,), (None,)), [[4, 5, 6, 7], [8, 9, 10, 11]])
    check(nd.crop(x, begin=(0, -10), end=(1, 10)), [[0, 1, 2, 3]])  # clamped like Python
    assert nd.slice(x, begin=(0, 3), end=(2, 1)).shape == (2, 0)
    check(x.slice(begin=(), end=()), x.asnumpy())
    for attrs, match in [(dict(begin=(0, 0), end=(1,)), 'same length'),
                         (dict(begin=(0,), end=(1,), step=(1, 1)), 'same length'),
                         (dict(begin=(0, 0, 0), end=(1, 1, 1)), r'more entries .*\[3,4\]'),
                         (dict(begin=(0,), end=(2,), step=(0,)), 'cannot contain 0'),
                         (dict(begin=(0,)), 'required attribute end')]:
        with pytest.raises(mx.MXNetError, match=match):
            nd.slice(x, **attrs)


def test_slice_axis_and_slice_like():
    x = nd.arange(12).reshape((3, 4))
    check(nd.slice_axis(x, axis=1, begin=1, end=3), [[1, 2], [5, 6], [9, 10]])
    check(nd.slice_axis(x, 0, -1, None), [[8, 9, 10, 11]])
    check(x.slice_axis(axis=-1, begin=-3, end=-2), [[1], [5], [9]])
    for begin, end in [(3, 1), (0, 10), (-10, 2), (2, 2)]:
        with pytest.raises(mx.MXNetError, match=rf'slice_axis: begin={begin}, end={end}'):
            nd.slice_axis(x, axis=1, begin=begin, end=end)
    check(nd.slice_like(x, nd.zeros((2, 2))), [[0, 1], [4, 5]])
    assert nd.slice_like(x, nd.zeros((1, 2)), axes=(-1,)).shape == (3, 2)
    with pytest.raises(mx.MXNetError, match='same number of axes'):
        nd.slice_like(x, nd.zeros((2,)))
    with pytest.raises(mx.MXNetError, match=r'axis 1 .*\[3,4\].*\[1,5\]'):
        nd.slice_like(x, nd.zeros((1, 5)))


def test_slice_gradients_land_in_place():
    x = nd.zeros((3, 4))
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.slice(v, begin=(1, None), end=(None, None), step=(1, 2)), x),
        [[0, 0, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]])
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.slice_axis(v, axis=1, begin=3, end=None), x),
        [[0, 0, 0, 1]] * 3)


# ------------------------------------------------------------------ take and pick
def test_take_modes_and_float_indices():
    a = nd.arange(6).reshape((3, 2))
    idx = A([[0, 5], [-1, 1]])
    check(nd.take(a, idx), [[[0, 1], [4, 5]], [[0, 1], [2, 3]]])          # clip
    check(nd.take(a, idx, mode='wrap'), [[[0, 1], [4, 5]], [[4, 5], [2, 3]]])
    m = nd.arange(6).reshape((2, 3))
    check(nd.take(m, A([1.7, 0.2]), axis=1), [[1, 0], [4, 3]])           # truncated
    check(nd.take(m, A([-0.7, 2.6]), axis=1), [[0, 2], [3, 5]])
    check(nd.take(m, A([-1.5, 2.6]), axis=1, mode='wrap'), [[2, 2], [5, 5]])
    check(nd.take(m, A([2]), axis=-1, mode='raise'), [[2], [5]])
    check(nd.take(m.astype('int32'), A([0, 1], 'int32'), axis=1), [[0, 1], [3, 4]], np.int32)
    for bad in ([-1], [3]):
        with pytest.raises(mx.MXNetError, match=r"take: an index is out of range \[0, 3\)"):
            nd.take(m, A(bad), axis=1, mode='raise')
    with pytest.raises(mx.MXNetError, match="mode='foo' must be one of"):
        nd.take(m, A([0]), mode='foo')
    with pytest.raises(mx.MXNetError, match='take: axis 2 is out of range'):
        nd.take(m, A([0]), axis=2)


def test_take_gradient_adds_up_repeated_indices():
    x = nd.arange(6).reshape((3, 2))
    np.testing.assert_array_equal(grad_of(lambda v: nd.take(v, A([0, 2, 2, 2])), x),
                                  [[1, 1], [0, 0], [3, 3]])
    np.testing.assert_array_equal(grad_of(lambda v: nd.take(v, A([0, 0, 1]), axis=1), x),
                                  [[2, 1]] * 3)


def test_pick():
    y_hat = A([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    check(nd.pick(y_hat, A([0, 2])), np.array([0.1, 0.5], np.float32))
    a = nd.arange(6).reshape((2, 3))
    check(nd.pick(a, A([0, 1, 1]), axis=0), [0, 4, 5])
    check(nd.pick(a, A([0, 2]), keepdims=True), [[0], [5]])
    check(nd.pick(a, A([-1, 5])), [0, 5])
    check(nd.pick(a, A([-1, 5]), mode='wrap'), [2, 5])
    check(nd.pick(a, A([1.6, 0.4])), [1, 3])
    check(nd.pick(a, A([[0], [2]])), [0, 5])                             # keepdims-shaped index
    x = nd.arange(24).reshape((2, 3, 4))
    check(nd.pick(x, A([[0, 1, 2, 3], [1, 1, 1, 5]]), axis=1, keepdims=True, mode='wrap'),
          [[[0, 5, 10, 3]], [[16, 17, 18, 23]]])
    check(a.pick(A([2, 0], 'int32')), [2, 3])


@pytest.mark.parametrize('index,attrs,match', [
    ([0, 2, 1], {}, r'pick: index of shape \[3\] .*\[2,3\].*\[2\]'),
    ([[0, 2]], {}, r'index of shape \[1,2\]'),
    ([0, 2], dict(axis=None), 'axis=None is not supported'),
    ([0, 2], dict(axis=2), 'pick: axis 2 is out of range'),
    ([0, 2], dict(mode='raise'), "mode='raise' must be one of clip, wrap"),
])
def test_pick_errors(index, attrs, match):
    with pytest.raises(mx.MXNetError, match=match):
        nd.pick(nd.zeros((2, 3)), A(index), **attrs)


def test_pick_gradient_marks_the_picked_elements():
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.pick(v, A([1, 1, 1]), axis=0), nd.zeros((2, 3)), A([1, 2, 3])),
        [[0, 0, 0], [1, 2, 3]])


def test_second_order_gradients_through_take_and_pick():
    """The internal backward operators have gradients too, so grad-of-grad works."""
    for op in (lambda v: nd.take(v, A([0, 2, 2]), axis=1),
               lambda v: nd.pick(v, A([2, 0]), axis=1)):
        x = A([[1, 2, 3], [4, 5, 6]])
        x.attach_grad()
        with mx.autograd.record():
            g = mx.autograd.grad((op(x) ** 3).sum(), [x], create_graph=True)[0]
        g.backward()
        # d/dx sum(g) where g = scatter(3 t^2): scatter(6 t), with repeats summed
        t = op(A([[1, 2, 3], [4, 5, 6]]))
        expected = grad_of(op, nd.zeros((2, 3)), 6 * t)
        np.testing.assert_allclose(x.grad.asnumpy(), expected)


# ------------------------------------------------------------------ one_hot, where, clip
def test_one_hot():
    check(nd.one_hot(A([1, 0, 2, -1, 5]), 3),
          [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    check(nd.one_hot(A([[1, 0], [2, 1]]), depth=3, on_value=5, off_value=-1, dtype='int32'),
          [[[-1, 5, -1], [5, -1, -1]], [[-1, -1, 5], [-1, 5, -1]]], np.int32)
    check(nd.one_hot(A([1.7, 0.2]), depth=2), [[0, 1], [1, 0]])
    check(nd.one_hot(A([1, 0]), 3, 2.5, 0.5, 'int32'), [[0, 2, 0], [2, 0, 0]], np.int32)
    assert nd.one_hot(A([1, 0]), depth=0).shape == (2, 0)
    assert A([1, 0], 'int32').one_hot(3).dtype == np.float32
    with pytest.raises(mx.MXNetError, match='depth=-1 cannot be negative'):
        nd.one_hot(A([1]), depth=-1)
    with pytest.raises(mx.MXNetError, match='required attribute depth'):
        nd.one_hot(A([1]))
    with pytest.raises(mx.MXNetError, match="dtype='bool' must be one of"):
        nd.one_hot(A([1]), 2, dtype='bool')


def test_where():
    a = nd.arange(6).reshape((2, 3))
    check(nd.where(A([1, 0, 1]), A([1, 2, 3]), A([4, 5, 6])), [1, 5, 3])
    check(nd.where(A([[1, 0, 1], [0, 0.5, -1]]), a, -a), [[0, -1, 2], [-3, 4, 5]])
    check(nd.where(A([1, 0]), a, -a), [[0, 1, 2], [-3, -4, -5]])         # 1-D: whole rows
    check(nd.where(A([0, 1], 'int32'), a.astype('int32'), -a.astype('int32')),
          [[0, -1, -2], [3, 4, 5]], np.int32)
    for c, x, y, match in [([1, 0, 1], a, -a, r'condition of shape \[3\]'),
                           ([[1, 0]], a, -a, r'condition of shape \[1,2\]'),
                           ([1, 0], a, nd.zeros((2, 1)), 'same shape and dtype'),
                           ([1, 0], a, a.astype('int32'), 'same shape and dtype')]:
        with pytest.raises(mx.MXNetError, match=match):
            nd.where(A(c), x, y)


def test_where_gradient_goes_to_the_chosen_side():
    c, x, y = A([1, 0]), nd.ones((2, 2)), nd.ones((2, 2))
    for v in (c, x, y):
        v.attach_grad()
    with mx.autograd.record():
        out = nd.where(c, x * 2, y * 3)
    out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[2, 2], [0, 0]])
    np.testing.assert_array_equal(y.grad.asnumpy(), [[0, 0], [3, 3]])
    np.testing.assert_array_equal(c.grad.asnumpy(), [0, 0])


def test_clip():
    check(nd.clip(A([-2, 0.5, 3]), -1, 1), np.array([-1, 0.5, 1], np.float32))
    check(nd.clip(A([-2, 0.5, 3]), a_min=1, a_max=-1), [1, -1, -1])      # MXNet's order
    check(nd.clip(A([-2, 0, 3], 'int32'), a_min=-1.5, a_max=1.5), [-1, 0, 1], np.int32)
    check(A([4, -4]).clip(0, 2), [2, 0])
    assert np.isnan(nd.clip(A([np.nan]), 0, 1).asnumpy()[0])
    with pytest.raises(mx.MXNetError, match='required attribute a_max'):
        nd.clip(A([1]), 0)
    np.testing.assert_array_equal(grad_of(lambda v: nd.clip(v, -1, 1), A([-1, 0, 1, 2, -2])),
                                  [1, 1, 1, 0, 0])


# ------------------------------------------------------------------ sorting
def test_sort_and_argsort():
    x = A([[1, 3, 3, 0], [2, 2, 5, 2]])
    check(nd.sort(x), [[0, 1, 3, 3], [2, 2, 2, 5]])
    check(nd.sort(x, axis=None, is_ascend=False), [5, 3, 3, 2, 2, 2, 1, 0])
    check(nd.sort(x, axis=0), [[1, 2, 3, 0], [2, 3, 5, 2]])
    check(x.sort(is_ascend=0), [[3, 3, 1, 0], [5, 2, 2, 2]])
    check(nd.argsort(x), [[3, 0, 1, 2], [0, 1, 3, 2]])                    # stable
    check(nd.argsort(x, axis=0, is_ascend=False, dtype='int32'), [[1, 0, 1, 1], [0, 1, 0, 0]],
          np.int32)
    check(nd.argsort(A([1, 1, 0, 1, 1]), is_ascend=False), [0, 1, 3, 4, 2])  # stable too
    check(nd.argsort(x, axis=None, dtype='int64'), [3, 0, 4, 5, 7, 1, 2, 6], np.int64)
    check(nd.sort(A([3, 1, 2], 'int32')), [1, 2, 3], np.int32)
    with pytest.raises(mx.MXNetError, match='sort: axis 2 is out of range'):
        nd.sort(x, axis=2)


def test_topk():
    x = A([[1, 3, 3, 0], [2, 2, 5, 2]])
    check(nd.topk(x), [[1], [2]])
    value, index = nd.topk(x, k=3, ret_typ='both')
    check(value, [[3, 3, 1], [5, 2, 2]])
    check(index, [[1, 2, 0], [2, 0, 1]])
    check(nd.topk(x, k=2, ret_typ='mask', is_ascend=True), [[1, 0, 0, 1], [1, 1, 0, 0]])
    check(nd.topk(x, axis=0), [[1, 0, 1, 1]])
    check(nd.topk(x, k=2, ret_typ='value', axis=None), [5, 3])
    check(nd.topk(x, k=2, axis=None), [6, 1])
    check(nd.topk(x, k=0, ret_typ='value'), [[3, 3, 1, 0], [5, 2, 2, 2]])  # k <= 0: all
    check(nd.topk(x, k=2, ret_typ='indices', dtype='int32'), [[1, 2], [2, 0]], np.int32)
    v, i = nd.topk(x.astype('int32'), k=1, ret_typ='both', dtype='int64')
    assert v.dtype == np.int32 and i.dtype == np.int64
    assert nd.topk(x.astype('int32'), ret_typ='mask', dtype='float64').dtype == np.int32
    assert isinstance(x.topk(k=2, ret_typ='value'), nd.NDArray)
    with pytest.raises(mx.MXNetError, match=r'topk: k=5 exceeds the 4 elements.*\[2,4\]'):
        nd.topk(x, k=5)
    with pytest.raises(mx.MXNetError, match="ret_typ='foo' must be one of"):
        nd.topk(x, ret_typ='foo')


def test_sort_and_topk_gradients_follow_the_elements():
    x = A([[3, 1, 2], [0, 5, 4]])
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.topk(v, k=2, ret_typ='value'), x, A([[1, 2], [3, 4]])),
        [[1, 0, 2], [0, 3, 4]])
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.sort(v, is_ascend=False), x, A([[1, 2, 3], [4, 5, 6]])),
        [[1, 3, 2], [6, 4, 5]])
    np.testing.assert_array_equal(
        grad_of(lambda v: nd.topk(v, k=2, ret_typ='both')[0], x), [[1, 0, 1], [0, 1, 1]])
    # only the sum carries a gradient: every element gets the sum of the indices
    np.testing.assert_array_equal(grad_of(lambda v: nd.topk(v, k=2) * v.sum(), x),
                                  [[5, 5, 5], [5, 5, 5]])


# ------------------------------------------------------------------ shape queries, diag
def test_shape_array_and_size_array():
    x = nd.zeros((2, 3, 4))
    check(nd.shape_array(x), [2, 3, 4], np.int64)
    check(x.size_array(), [24], np.int64)
    check(nd.shape_array(nd.zeros((5,))), [5], np.int64)


def test_diag():
    m = nd.arange(12).reshape((3, 4))
    check(nd.diag(m), [0, 5, 10])
    check(nd.diag(m, k=-1), [4, 9])
    check(nd.diag(m, 1), [1, 6, 11])
    assert nd.diag(m, k=4).shape == (0,)
    check(nd.diag(A([1, 2]), k=-1), [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    check(A([1, 2], 'int32').diag(), [[1, 0], [0, 2]], np.int32)
    x = nd.arange(24).reshape((2, 3, 4))
    check(nd.diag(x, k=1, axis1=-1, axis2=0), [[12], [16], [20]])
    assert nd.diag(x).shape == (4, 2)
    assert nd.diag(x, axis1=1, axis2=2).shape == (2, 3)
    with pytest.raises(mx.MXNetError, match='axis1 and axis2 both name axis 1'):
        nd.diag(x, axis1=1, axis2=-2)
    np.testing.assert_array_equal(grad_of(lambda v: nd.diag(v, k=1), nd.zeros((2, 3))),
                                  [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(grad_of(lambda v: nd.diag(v, k=-1), nd.zeros((3,)),
                                          nd.arange(16).reshape((4, 4))), [4, 9, 14])
