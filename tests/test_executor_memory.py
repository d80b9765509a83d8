"""Executors: the memory figure of debug_str, placement under group2ctx, a node whose
output shape depends on values (boolean_mask), and batch_take's gradient."""
import re

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon
from d2lmini.symbol.memory_plan import _backward_reads, planned_bytes

SHAPE = (1024, 1024)          # 4 MiB per float32 value


def allocated_mb(symbol, **kwargs):
    text = symbol.simple_bind(ctx=mx.cpu(), **kwargs).debug_str()
    return int(re.search(r'Total (\d+) MB allocated', text).group(1))


def squares(n):
    x = mx.sym.var('x')
    for _ in range(n):
        x = x * x
    return x


# ------------------------------------------------------------------ debug_str figures
@pytest.mark.parametrize('n, with_grad, without_grad', [(1, 12, 4), (3, 20, 8), (5, 28, 8)])
def test_chain_of_products_needs_n_plus_2_values_with_gradients(n, with_grad, without_grad):
    # figures MXNet 1.9.1 prints for the same graphs
    assert allocated_mb(squares(n), x=SHAPE) == with_grad
    assert allocated_mb(squares(n), x=SHAPE, grad_req='null') == without_grad


def test_stop_gradient_and_blockgrad_need_only_the_forward():
    chain = squares(3)
    assert allocated_mb(mx.sym.stop_gradient(chain), x=SHAPE) == 8
    assert allocated_mb(mx.sym.BlockGrad(chain), x=SHAPE, grad_req='add') == 8
    assert allocated_mb(chain, x=SHAPE, grad_req={'x': 'null'}) == 8


def test_in_place_and_kept_values():
    x = mx.sym.var('x')
    plus = x
    exps = x
    for _ in range(4):
        plus = plus + 1           # its gradient reads nothing: one buffer, in place
        exps = mx.sym.exp(exps)   # its gradient reads its output: every value kept
    assert allocated_mb(plus, x=SHAPE) == 8
    assert allocated_mb(plus, x=SHAPE, grad_req='null') == 4
    assert allocated_mb(exps, x=SHAPE) == 20
    assert allocated_mb(exps, x=SHAPE, grad_req='null') == 4


def test_fully_connected_and_grouped_blocked_output():
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1000, name='fc')
    assert allocated_mb(fc, data=(1000, 2000)) == 7          # 3.8 MB output and head grad
    assert allocated_mb(fc, data=(1000, 2000), grad_req='null') == 3
    x = mx.sym.var('x')
    group = mx.sym.Group([mx.sym.exp(x), mx.sym.BlockGrad(x * 2)])
    assert allocated_mb(group, x=SHAPE) == 12


def test_arguments_gradients_are_not_counted_when_written_directly():
    x, y = mx.sym.var('x'), mx.sym.var('y')
    assert allocated_mb(x * y, x=SHAPE, y=SHAPE) == 8        # output and head gradient


def test_bytes_follow_the_dtype():
    x = mx.sym.var('x')
    exe = mx.sym.exp(x).simple_bind(mx.cpu(), x=(256, 256), type_dict={'x': 'float64'})
    assert planned_bytes(exe) == 2 * 256 * 256 * 8
    exe = mx.sym.exp(x).simple_bind(mx.cpu(), x=(256, 256), grad_req='null')
    assert planned_bytes(exe) == 256 * 256 * 4


def test_debug_str_layout():
    x = mx.sym.var('x')
    net = mx.sym.exp(mx.sym.relu(x, name='r'), name='e')
    lines = net.simple_bind(mx.cpu(), x=(2, 2)).debug_str().splitlines(keepends=True)
    assert lines[:3] == ['Symbol Outputs:\n', '\toutput[0]=e(0)\n', 'Variable:x\n']
    assert '\targ[0]=x(0) version=0\n' in lines        # a variable's input
    assert '\targ[0]=r(0)\n' in lines                  # an operator's
    assert lines.count('-' * 20 + '\n') == 2
    assert lines[-2:] == ['Total 0 MB allocated\n', 'Total 0 TempSpace resource requested\n']


def _reads(symbol, **shapes):
    # the node computing symbol's output, with the shapes and dtypes of its inputs
    node = symbol._entries[0][0]
    known = {(id(src), i): shapes[src.name] for src, i in node.inputs}
    return _backward_reads(node, known, {key: np.dtype('float32') for key in known})


def test_what_a_gradient_reads():
    # traced on symbols: exp's gradient reads its output, a product its inputs, and
    # adding a constant neither
    x, y = mx.sym.var('x'), mx.sym.var('y')
    assert _reads(mx.sym.exp(x), x=(2, 3)) == (set(), {0})
    assert _reads(x * y, x=(2, 3), y=(2, 3)) == ({0, 1}, set())
    assert _reads(x + 1, x=(2, 3)) == (set(), set())
    assert _reads(mx.sym.sigmoid(x), x=(4,)) == (set(), {0})


# ------------------------------------------------------------------ group2ctx
def staged_net():
    with mx.AttrScope(ctx_group='stage1'):
        data = mx.sym.var('data')
        fc1 = mx.sym.FullyConnected(data, name='fc1', num_hidden=4)
    with mx.AttrScope(ctx_group='stage2'):
        fc2 = mx.sym.FullyConnected(fc1, name='fc2', num_hidden=3)
        bn = mx.sym.BatchNorm(fc2, name='bn')
        return mx.sym.SoftmaxOutput(bn, name='softmax')


def test_simple_bind_places_arrays_by_ctx_group():
    net = staged_net()
    groups = {'stage1': mx.cpu(1), 'stage2': mx.cpu(2)}
    exe = net.simple_bind(mx.cpu(0), group2ctx=groups, data=(2, 5))
    places = {n: (a.context, g.context) for n, a, g in
              zip(net.list_arguments(), exe.arg_arrays, exe.grad_arrays)}
    assert places['data'] == places['fc1_weight'] == (mx.cpu(1), mx.cpu(1))
    assert places['fc2_bias'] == places['softmax_label'] == (mx.cpu(2), mx.cpu(2))
    assert [a.context for a in exe.aux_arrays] == [mx.cpu(2), mx.cpu(2)]
    assert exe.outputs[0].context == mx.cpu(2)
    exe.forward(is_train=True)
    exe.backward()
    assert exe.grad_dict['fc1_weight'].context == mx.cpu(1)
    assert exe.outputs[0].shape == (2, 3)


def test_simple_bind_without_groups_stays_on_ctx():
    exe = staged_net().simple_bind(mx.cpu(0), data=(2, 5))
    assert {a.context for a in exe.arg_arrays} == {mx.cpu(0)}


# ------------------------------------------------------------------ boolean_mask
DATA = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_symbolic_boolean_mask_forward_and_backward():
    x, i = mx.sym.var('x'), mx.sym.var('i')
    rows = mx.sym.contrib.boolean_mask(x, i)
    with pytest.warns(UserWarning):       # known only when it runs, as in MXNet
        assert rows.infer_shape(x=(3, 3), i=(3,))[1] is None
    exe = rows.simple_bind(mx.cpu(), x=(3, 3), i=(3,))
    exe.arg_dict['x'][:] = mx.nd.array(DATA)
    exe.arg_dict['i'][:] = mx.nd.array([1, 0, 2])
    assert exe.forward(is_train=True)[0].asnumpy().tolist() == [[1, 2, 3], [7, 8, 9]]
    exe.backward(mx.nd.array([[1, 1, 1], [2, 2, 2]]))
    assert exe.grad_dict['x'].asnumpy().tolist() == [[1, 1, 1], [0, 0, 0], [2, 2, 2]]


def test_boolean_mask_rejects_an_index_of_the_wrong_length():
    x, i = mx.sym.var('x'), mx.sym.var('i')
    with pytest.raises(mx.base.MXNetError, match='one value per row'):
        mx.sym.contrib.boolean_mask(x, i).eval(x=mx.nd.ones((3, 2)), i=mx.nd.ones((2,)))


class Masked(gluon.HybridBlock):
    def hybrid_forward(self, F, data, index):
        return F.contrib.boolean_mask(data, index) * 2


def test_hybridized_boolean_mask_gives_each_call_its_own_shape():
    block = Masked()
    block.hybridize()
    data = mx.nd.array(DATA)
    data.attach_grad()
    for index, kept in (([0, 1, 1], [1, 2]), ([1, 0, 0], [0]), ([0, 0, 0], [])):
        with mx.autograd.record():
            out = block(data, mx.nd.array(index))
        out.backward()
        assert out.shape == (len(kept), 3)
        expected = np.zeros((3, 3))
        expected[kept] = 2
        assert data.grad.asnumpy().tolist() == expected.tolist()


# ------------------------------------------------------------------ batch_take
def test_batch_take_binds_with_gradients_and_scatters_them():
    # MXNet 1.9.1 refuses to bind batch_take with gradients; d2lmini has its gradient
    x, idx = mx.sym.var('x'), mx.sym.var('idx')
    exe = mx.sym.batch_take(x, idx).simple_bind(
        mx.cpu(), x=(3, 4), idx=(3,), type_dict={'x': np.float32, 'idx': np.int32})
    exe.arg_dict['x'][:] = mx.nd.array(np.arange(12).reshape(3, 4))
    exe.arg_dict['idx'][:] = mx.nd.array([3, 0, 9], dtype='int32')   # 9 is clipped to 3
    assert exe.forward(is_train=True)[0].asnumpy().tolist() == [3, 4, 11]
    exe.backward(mx.nd.array([1, 2, 3]))
    assert exe.grad_dict['x'].asnumpy().tolist() == [[0, 0, 0, 1], [2, 0, 0, 0],
                                                     [0, 0, 0, 3]]
