"""Operator and executor behaviour of MXNet 1.x programs: partly known shapes through
reshape and slices, ``arange(infer_range=True)`` in graphs, ``ones(shape=3)`` in a
graph, ``simple_bind`` with keyword attributes, gradients of integer modulo,
``diag``'s bounds, custom operators without inputs and the input names the monitor
reports. Expected values were worked out by hand or taken from MXNet 1.9.1."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


# ---------------------------------------------------------------- partly known shapes
@pytest.mark.parametrize('src, codes, reverse, dst, unknown_axis', [
    ((2, 3, 5, 5), (0, -1), False, (2, 75), 1),
    ((2, 3, 5, 6), (-3, -3), False, (6, 30), 2),
    ((64, 1, 2, 3), (-4, 16, -1, -2), False, (16, 4, 1, 2, 3), 0),
    ((2, 3, 5, 5), (0, 0, -1), True, (3, 5, 10), 0),
    ((1, 2, 3, 64), (-2, -1, 16, -4), True, (1, 2, 3, 4, 16), 3),
])
def test_reshape_completes_an_unknown_input_dimension_from_its_output(
        src, codes, reverse, dst, unknown_axis):
    # the output's shape comes from the array added to it; the input's unknown (0)
    # dimension follows from the element count, as MXNet 1.x infers it
    held_out = tuple(0 if i == unknown_axis else d for i, d in enumerate(src))
    net = mx.sym.elemwise_add(mx.sym.var('data').reshape(codes, reverse=reverse),
                              mx.sym.ones(shape=dst))
    arg_shapes, out_shapes, _ = net.infer_shape(data=held_out)
    assert arg_shapes == [src]
    assert out_shapes == [dst]


def test_reshape_of_a_partly_known_input_keeps_the_known_output_dimensions():
    data = mx.sym.var('data', shape=(0, 20))
    assert mx.sym.reshape(data, shape=(-1, 4, 5)).infer_shape_partial()[1] == [(0, 4, 5)]
    assert mx.sym.reshape(data, shape=(-4, 2, -1, -2)).infer_shape_partial()[1] == \
        [(2, 0, 20)]
    assert mx.sym.reshape(data, shape=(5, -1)).infer_shape_partial()[1] == [(5, 0)]


@pytest.mark.parametrize('begin, end, step, expected', [
    ((None, None), (None, 10), (), (0, 10)),
    ((None, None), (None, 10), (None, 2), (0, 5)),
    ((None, 3), (5, 10), (), (0, 7)),
    ((2, 3), (None, 10), (3, 3), (0, 3)),
])
def test_slice_of_a_partly_known_input(begin, end, step, expected):
    data = mx.sym.var('data', shape=(0, 20))
    out = mx.sym.slice(data, begin=begin, end=end, step=step)
    assert out.infer_shape_partial()[1] == [expected]


def test_slice_axis_of_a_partly_known_input():
    data = mx.sym.var('data', shape=(10, 0))
    assert mx.sym.slice_axis(data, axis=0, begin=0, end=5).infer_shape_partial()[1] == \
        [(5, 0)]
    assert mx.sym.slice_axis(data, axis=1, begin=0, end=5).infer_shape_partial()[1] == \
        [(10, 0)]


# ---------------------------------------------------------------- creation in graphs
@pytest.mark.parametrize('start, step, repeat, expected', [
    (0, 1, 1, [0, 1, 2, 3, 4]),
    (2, 3, 1, [2, 5, 8, 11, 14]),
    (2, 3, 2, [2, 2, 5, 5, 8]),
    (1.5, 0.5, 3, [1.5, 1.5, 1.5, 2.0, 2.0]),
])
def test_arange_infer_range_takes_its_length_from_its_user(start, step, repeat, expected):
    values = mx.sym._internal._arange(start=start, step=step, repeat=repeat, infer_range=True)
    net = mx.sym.elemwise_add(values, mx.sym.zeros(shape=(5,)))
    assert net.infer_shape()[1] == [(5,)]
    out = net.bind(mx.cpu(), {}).forward()[0]
    assert out.asnumpy().tolist() == expected


def test_arange_without_infer_range_is_unchanged_in_a_graph():
    net = mx.sym._internal._arange(start=3, stop=9, step=2, repeat=2)
    assert net.infer_shape()[1] == [(6,)]
    assert net.bind(mx.cpu(), {}).forward()[0].asnumpy().tolist() == [3, 3, 5, 5, 7, 7]


def test_ones_with_an_int_shape_binds():
    exe = mx.sym.ones(shape=3, dtype='int32').bind(mx.cpu(), args=[], args_grad=[])
    out = exe.forward(is_train=True)[0]
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1, 1, 1]


# ---------------------------------------------------------------- the executor
def test_simple_bind_ignores_keyword_values_that_are_not_shapes():
    data, indices = mx.sym.var('a'), mx.sym.var('indices')
    net = mx.sym.take(a=data, indices=indices, axis=0, mode='clip')
    exe = net.simple_bind(mx.cpu(), a=(3, 4), indices=(2,), axis=0, mode='clip')
    assert exe.outputs[0].shape == (2, 4)


# ---------------------------------------------------------------- integer modulo
@pytest.mark.parametrize('dtype', ['int32', 'int64'])
def test_integer_modulo_has_zero_gradients_even_for_zero_divisors(dtype):
    x = mx.nd.array([5, -3, 0, 7], dtype=dtype)
    y = mx.nd.array([0, 2, 0, -2], dtype=dtype)
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        z = x % y
    z.backward(mx.nd.ones((4,), dtype=dtype))
    assert z.asnumpy().tolist() == [0, 1, 0, -1]
    assert x.grad.asnumpy().tolist() == [0, 0, 0, 0]
    assert y.grad.asnumpy().tolist() == [0, 0, 0, 0]
    with mx.autograd.record():
        z = 7 % y
    z.backward(mx.nd.ones((4,), dtype=dtype))
    assert y.grad.asnumpy().tolist() == [0, 0, 0, 0]


def test_float_modulo_gradients_are_unchanged():
    x = mx.nd.array([5, -3, 7])
    y = mx.nd.array([3, 2, -2])
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        z = x % y
    z.backward()
    assert x.grad.asnumpy().tolist() == [1, 1, 1]
    assert y.grad.asnumpy().tolist() == [-1, 2, 4]     # -floor(x / y)


# ---------------------------------------------------------------- diag
def test_diag_accepts_k_up_to_the_matrix_edges():
    a = mx.nd.array(np.arange(15).reshape(3, 5))
    assert mx.nd.diag(a, k=5).shape == (0,)
    assert mx.nd.diag(a, k=-3).shape == (0,)
    assert mx.nd.diag(a, k=4).asnumpy().tolist() == [4]


@pytest.mark.parametrize('shape, k', [((3, 5), 6), ((3, 5), -4), ((2, 3, 4), 4),
                                      ((2, 3, 4), -3)])
def test_diag_refuses_k_beyond_the_matrix(shape, k):
    with pytest.raises(MXNetError, match='out of bounds'):
        mx.nd.diag(mx.nd.ones(shape), k=k)


# ---------------------------------------------------------------- custom operators
class _Constant(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], mx.nd.full((2, 3), 7))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        pass


@mx.operator.register('graph_constant')
class _ConstantProp(mx.operator.CustomOpProp):
    def list_arguments(self):
        return []

    def infer_shape(self, in_shape):
        return [], [(2, 3)], []

    def create_operator(self, ctx, shapes, dtypes):
        return _Constant()


def test_custom_operator_without_inputs():
    net = mx.sym.Custom(op_type='graph_constant')
    assert net.infer_shape() == ([], [(2, 3)], [])
    assert net.bind(mx.cpu(), {}).forward()[0].asnumpy().tolist() == [[7] * 3] * 2
    # and imperatively
    assert mx.nd.Custom(op_type='graph_constant').asnumpy().tolist() == [[7] * 3] * 2


# ---------------------------------------------------------------- monitor names
def _monitored_names(net):
    names = []
    exe = net.simple_bind(mx.cpu(), grad_req='null')
    exe.set_monitor_callback(lambda name, _: names.append(mx.base.py_str(name)),
                             monitor_all=True)
    exe.forward()
    return names


@pytest.mark.parametrize('make, expected', [
    (lambda x: mx.sym.softmax(x, name='op'), ['x', 'op_data', 'op_output']),
    (lambda x: mx.sym.SoftmaxActivation(x, name='op'), ['x', 'op_input0', 'op_output']),
    (lambda x: mx.sym.softmin(x, name='op'), ['x', 'op_input0', 'op_output']),
    (lambda x: mx.sym.UpSampling(x, scale=2, sample_type='nearest', name='op'),
     ['x', 'op_arg0', 'op_output']),
    (lambda x: mx.sym.stack(x, x, name='op'), ['x', 'op_arg0', 'x', 'op_arg1', 'op_output']),
    (lambda x: mx.sym.tile(x, reps=(1, 2), name='op'), ['x', 'op_data', 'op_output']),
    (lambda x: mx.sym.cumsum(x, name='op'), ['x', 'op_a', 'op_output']),
    (lambda x: mx.sym.multi_sum_sq(x, x, num_arrays=2, name='op'),
     ['x', 'op_array_0', 'x', 'op_array_1', 'op_output']),
])
def test_monitor_all_names_inputs_as_mxnet(make, expected):
    x = mx.sym.var('x', shape=(1, 2, 2, 2))
    assert _monitored_names(make(x)) == expected
