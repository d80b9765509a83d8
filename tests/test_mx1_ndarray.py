"""NDArray behaviour that MXNet 1.x programs rely on: whole-array writes to 0-d
arrays, ``mx.nd._internal`` (slice assignment, creation operators, older names) and
``mx.nd.CachedOp``. Expected values were worked out by hand or taken from MXNet 1.9.1.
"""
import struct

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


# ------------------------------------------------------------------ 0-d arrays
def test_full_slice_writes_a_0d_array():
    x = mx.nd.zeros(())
    x[:] = np.ones(())
    assert x.shape == ()
    assert x.asscalar() == 1.0
    x[:] = 3
    assert x.asscalar() == 3.0
    x[:] = mx.nd.array(np.array(5.0))
    assert x.asscalar() == 5.0


def test_full_slice_reads_a_0d_array():
    x = mx.nd.array(np.array(2.5))
    y = x[:]
    assert y.shape == ()
    assert y.asscalar() == 2.5


def test_other_keys_on_a_0d_array_still_fail():
    x = mx.nd.zeros(())
    with pytest.raises(IndexError):
        x[0] = 1
    with pytest.raises(IndexError):
        x[1:] = 1


def test_0d_operator_results_can_be_written_in_place():
    # numpy computes a scalar for a 0-d result; the NDArray must still hold an array
    y = mx.nd.zeros(()) * 3
    assert isinstance(y._data, np.ndarray)
    y[:] = 2
    assert y.asscalar() == 2.0
    z = mx.nd.exp(mx.nd.zeros(()))
    z += 1
    assert z.asscalar() == 2.0


def test_0d_whole_write_while_recording_passes_the_gradient():
    x = mx.nd.array(np.array(1.0))
    x.attach_grad()
    y = mx.nd.zeros(())
    with mx.autograd.record():
        y[:] = x * 2
        z = y * 3
    z.backward()
    assert x.grad.asscalar() == 6.0


# ------------------------------------------------------------------ _internal: slice assignment
def test_crop_assign_writes_the_region():
    x = mx.nd.arange(12).reshape((3, 4))
    y = mx.nd._internal._crop_assign(x, mx.nd.zeros((2, 2)), begin=(0, 1), end=(2, 3))
    assert y.asnumpy().tolist() == [[0, 0, 0, 3], [4, 0, 0, 7], [8, 9, 10, 11]]
    assert x.asnumpy()[0].tolist() == [0, 1, 2, 3]  # a new array unless out= says otherwise


def test_slice_assign_with_steps_and_none():
    x = mx.nd.arange(12).reshape((3, 4))
    y = mx.nd._internal._slice_assign(x, mx.nd.zeros((2, 2)), begin=(0, None),
                                      end=(2, None), step=(1, 3))
    assert y.asnumpy().tolist() == [[0, 1, 2, 0], [0, 5, 6, 0], [8, 9, 10, 11]]


def test_crop_assign_out_updates_in_place():
    x = mx.nd.ones((2, 3, 4))
    mx.nd._internal._crop_assign(x, mx.nd.zeros((2, 1, 3)), begin=(0, 0, 0), end=(2, 1, 3),
                                 out=x)
    expected = np.ones((2, 3, 4), np.float32)
    expected[:, 0:1, 0:3] = 0
    assert (x.asnumpy() == expected).all()


def test_crop_assign_refuses_a_wrong_shape_or_dtype():
    x = mx.nd.zeros((3, 4))
    with pytest.raises(MXNetError, match='shape'):
        mx.nd._internal._crop_assign(x, mx.nd.zeros((1, 2)), begin=(0, 1), end=(2, 3))
    with pytest.raises(MXNetError, match='int32'):
        mx.nd._internal._crop_assign(x, mx.nd.zeros((2, 2), dtype='int32'), begin=(0, 1),
                                     end=(2, 3))
    with pytest.raises(MXNetError, match='begin and end'):
        mx.nd._internal._crop_assign(x, mx.nd.zeros((2, 2)))


def test_crop_assign_scalar_fills_the_region():
    x = mx.nd.arange(12).reshape((3, 4))
    y = mx.nd._internal._crop_assign_scalar(x, scalar=7, begin=(1,), end=(None,))
    assert y.asnumpy().tolist() == [[0, 1, 2, 3], [7, 7, 7, 7], [7, 7, 7, 7]]
    z = mx.nd._internal._slice_assign_scalar(x, begin=(1,), end=(None,))  # scalar: 0
    assert z.asnumpy()[1:].sum() == 0
    x = mx.nd.ones((2, 3, 4))
    mx.nd._internal._crop_assign_scalar(x, scalar=5, begin=(0, 0, 0), end=(2, 1, 3), out=x)
    assert x.asnumpy()[:, 0, :3].tolist() == [[5, 5, 5], [5, 5, 5]]
    assert x.asnumpy().sum() == 2 * 3 * 5 + (24 - 6)


def test_slice_assign_has_a_gradient():
    # MXNet registers none; here lhs gets dy outside the region, rhs dy inside it
    a = mx.nd.ones((3, 4))
    b = mx.nd.ones((2, 2))
    a.attach_grad()
    b.attach_grad()
    dy = mx.nd.arange(12).reshape((3, 4))
    with mx.autograd.record():
        y = mx.nd._internal._slice_assign(a, b * 3, begin=(0, 1), end=(2, 3))
    y.backward(dy)
    assert a.grad.asnumpy().tolist() == [[0, 0, 0, 3], [4, 0, 0, 7], [8, 9, 10, 11]]
    assert b.grad.asnumpy().tolist() == [[3, 6], [15, 18]]


# ------------------------------------------------------------------ _internal: other operators
def test_internal_holds_underscore_and_creation_operators():
    internal = mx.nd._internal
    assert internal._plus_scalar(mx.nd.ones(2), scalar=3).asnumpy().tolist() == [4, 4]
    assert internal._zeros(shape=(2,)).asnumpy().tolist() == [0, 0]
    assert internal._full(shape=(2,), value=3).asnumpy().tolist() == [3, 3]
    assert internal._arange(start=0, stop=3).asnumpy().tolist() == [0, 1, 2]
    assert internal._ones(shape=(2,), dtype='int32').dtype == np.int32
    assert internal._zeros(shape=(1,), ctx=mx.cpu()).context == mx.cpu()


def test_internal_older_capitalised_names():
    internal = mx.nd._internal
    assert internal._PlusScalar(mx.nd.ones(2), scalar=2).asnumpy().tolist() == [3, 3]
    assert internal._RMinusScalar(mx.nd.ones(2), scalar=5).asnumpy().tolist() == [4, 4]
    assert internal._Mul(mx.nd.ones(2) * 2, mx.nd.ones(2) * 3).asnumpy().tolist() == [6, 6]


def test_internal_creation_refuses_unknown_attributes():
    with pytest.raises(TypeError, match='foo'):
        mx.nd._internal._zeros(shape=(2,), foo=1)
    with pytest.raises(TypeError, match='both'):
        mx.nd._internal._zeros((2,), shape=(2,))


def test_internal_is_importable_as_a_module():
    import d2lmini.ndarray._internal as internal
    assert internal is mx.nd._internal
    assert internal.CachedOp is mx.nd.CachedOp


# ------------------------------------------------------------------ CachedOp
def _fc_graph():
    x, w = mx.sym.var('x'), mx.sym.var('w')
    return mx.sym.FullyConnected(x, w, no_bias=True, num_hidden=2)


X = [[1., 2.], [3., 4.]]
W = [[1., 0.], [1., 1.]]


def test_cached_op_takes_the_inputs_in_list_inputs_order():
    op = mx.nd.CachedOp(_fc_graph())
    y = op(mx.nd.array(X), mx.nd.array(W))
    assert y.asnumpy().tolist() == [[1, 3], [3, 7]]       # x @ w.T


def test_cached_op_sees_new_input_values():
    op = mx.nd.CachedOp(mx.sym.var('a') + 2)
    b = mx.nd.ones((2,))
    first = op(b)
    b[:] = 2
    second = op(b)
    assert (second.asnumpy() == first.asnumpy() + 1).all()


def test_cached_op_several_outputs_and_out():
    s = _fc_graph()
    op = mx.nd.CachedOp(mx.sym.Group([s * 2, s + 1]), flags=[('static_alloc', True)])
    a, b = op(mx.nd.array(X), mx.nd.array(W))
    assert a.asnumpy().tolist() == [[2, 6], [6, 14]]
    assert b.asnumpy().tolist() == [[2, 4], [4, 8]]
    o1, o2 = mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))
    res = op(mx.nd.array(X), mx.nd.array(W), out=[o1, o2])
    assert res[0] is o1 and res[1] is o2
    assert o2.asnumpy().tolist() == [[2, 4], [4, 8]]


def test_cached_op_gradient():
    s = _fc_graph()
    op = mx.nd.CachedOp(mx.sym.Group([s * 2, s + 1]))
    w = mx.nd.array(W)
    w.attach_grad()
    with mx.autograd.record():
        a, b = op(mx.nd.array(X), w)
        loss = (a * b).sum()
    loss.backward()
    assert w.grad.asnumpy().tolist() == [[48, 68], [104, 148]]   # MXNet 1.9.1's values


def test_cached_op_wrong_number_of_inputs():
    op = mx.nd.CachedOp(_fc_graph())
    with pytest.raises(MXNetError, match='expects 2 inputs'):
        op(mx.nd.array(X))
    with pytest.raises(TypeError, match='unexpected keyword'):
        op(mx.nd.array(X), mx.nd.array(W), foo=1)


# ------------------------------------------------------------------ the oldest file format
def test_load_reads_the_original_unversioned_format(tmp_path):
    # no array magic: each array starts with ndim, uint32 dims, then context and dtype
    buf = struct.pack('<QQQ', 0x112, 0, 2)
    for start in (0, 10):
        buf += struct.pack('<IIiii', 1, 4, 1, 0, 0)
        buf += np.arange(start, start + 4, dtype='<f4').tobytes()
    buf += struct.pack('<Q', 0)
    path = tmp_path / 'old.v0'
    path.write_bytes(buf)
    arrays = mx.nd.load(str(path))
    assert [a.asnumpy().tolist() for a in arrays] == [[0, 1, 2, 3], [10, 11, 12, 13]]
    assert arrays[0].dtype == np.float32


# ------------------------------------------------------------------ nd.array's sources
def test_array_from_a_range():
    x = mx.nd.array(range(3))
    assert x.dtype == np.float32
    assert x.asnumpy().tolist() == [0, 1, 2]
    assert mx.nd.array(range(1, 3), dtype='int32').asnumpy().tolist() == [1, 2]


def test_ragged_data_raises_a_type_error_as_mxnet():
    with pytest.raises(TypeError, match='cannot make an NDArray'):
        mx.nd.array([[1, 2], [3]])
    with pytest.raises(ValueError):   # and still a ValueError, as numpy's
        mx.nd.array([[1], [2, 3]])


# ------------------------------------------------------------ reshape's deprecated target_shape
def test_reshape_target_shape_infers_its_zero():
    a = mx.nd.arange(24).reshape((2, 3, 4))
    assert mx.nd.reshape(a, target_shape=(4, 6)).shape == (4, 6)
    assert mx.nd.reshape(a, target_shape=(4, 0)).shape == (4, 6)
    assert mx.nd.reshape(a, target_shape=(0, 4)).shape == (6, 4)
    assert mx.nd.reshape(a, target_shape=(0, 4)).asnumpy().ravel().tolist() == list(range(24))


def test_reshape_keep_highest_keeps_the_first_dimension():
    a = mx.nd.arange(24).reshape((2, 3, 4))
    assert mx.nd.reshape(a, target_shape=(7, 12), keep_highest=True).shape == (2, 12)
    assert mx.nd.reshape(a, target_shape=(5, 0, 2), keep_highest=True).shape == (2, 6, 2)


def test_reshape_shape_wins_over_target_shape():
    a = mx.nd.arange(24)
    assert mx.nd.reshape(a, shape=(4, 6), target_shape=(3, 8)).shape == (4, 6)


def test_reshape_target_shape_errors():
    a = mx.nd.arange(24)
    with pytest.raises(MXNetError, match='25 elements'):   # MXNet reads past the data
        mx.nd.reshape(a, target_shape=(5, 5))
    with pytest.raises(MXNetError, match='one 0'):
        mx.nd.reshape(a, target_shape=(0, 0))
    with pytest.raises(MXNetError, match='keep_highest'):
        mx.nd.reshape(a, shape=(2, 12), keep_highest=True)


def test_reshape_target_shape_gradient_and_symbol_shape():
    a = mx.nd.arange(6).reshape((2, 3))
    a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.reshape(a, target_shape=(3, 0)) * mx.nd.array([[1., 2.]])
    y.backward()
    assert a.grad.asnumpy().tolist() == [[1, 2, 1], [2, 1, 2]]
    x = mx.sym.var('x')
    _, out_shapes, _ = mx.sym.reshape(x, target_shape=(0, 6)).infer_shape(x=(2, 3, 4))
    assert out_shapes == [(4, 6)]


# ------------------------------------------------------------------ mx.nd.op, mx.nd.utils
def test_nd_op_holds_the_public_operators():
    assert mx.nd.op.broadcast_add is mx.nd.broadcast_add
    assert mx.nd.op.Convolution is mx.nd.Convolution
    assert not hasattr(mx.nd.op, '_plus_scalar')   # that one lives in _internal


def test_nd_utils_holds_creation_and_file_functions(tmp_path):
    utils = mx.nd.utils
    assert utils.zeros((2,), dtype='int32').dtype == np.int32
    assert utils.empty((3,)).shape == (3,)
    path = str(tmp_path / 'x.params')
    utils.save(path, {'a': utils.array([1, 2])})
    assert utils.load(path)['a'].asnumpy().tolist() == [1, 2]
