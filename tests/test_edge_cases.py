"""Edge cases of the imperative and symbolic front ends, with MXNet 1.x's answers."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


def test_sequence_mask_without_its_lengths_is_refused():
    x = mx.nd.ones((3, 2, 2))
    with pytest.raises(MXNetError, match='sequence_length input'):
        mx.nd.SequenceMask(x, use_sequence_length=True)
    with pytest.raises(MXNetError, match='sequence_length input'):
        mx.nd.SequenceLast(x, use_sequence_length=True)
    # with the lengths, the steps past each length are masked
    out = mx.nd.SequenceMask(x, mx.nd.array([1, 3]), use_sequence_length=True, value=-1)
    assert out[:, 0, 0].asnumpy().tolist() == [1, -1, -1]
    assert out[:, 1, 0].asnumpy().tolist() == [1, 1, 1]


@pytest.mark.parametrize('make', [
    lambda a: mx.nd.argmax(a, axis=1, keepdims=True),     # a zero gradient
    lambda a: mx.nd.shape_array(a),                        # no gradient at all
])
def test_head_gradient_of_any_shape_for_an_operator_without_gradient(make):
    # the head gradient of argmax or shape_array is never read: MXNet accepts any
    # shape, and the input's gradient is zero
    a = mx.nd.array(np.arange(12.0).reshape(2, 3, 2))
    a.attach_grad()
    with mx.autograd.record():
        y = make(a)
    y.backward(mx.nd.ones((7, 7)))
    assert a.grad.asnumpy().tolist() == np.zeros((2, 3, 2)).tolist()


def test_head_gradient_of_the_wrong_shape_is_still_an_error_where_it_is_read():
    a = mx.nd.ones((2, 3))
    a.attach_grad()
    with mx.autograd.record():
        y = a * 2
    with pytest.raises(MXNetError, match='head gradient of shape'):
        y.backward(mx.nd.ones((3, 2)))


def test_variables_sharing_a_name_are_bound_by_position():
    a, b = mx.sym.Variable('data'), mx.sym.Variable('data')
    net = mx.sym.maximum(a, b) + 10 * mx.sym.minimum(a, b)
    assert net.list_arguments() == ['data', 'data']
    exe = net.bind(mx.cpu(), args=[mx.nd.full((2,), 2.0), mx.nd.full((2,), 3.0)],
                   args_grad=[mx.nd.zeros(2), mx.nd.zeros(2)])
    exe.forward(is_train=True)
    assert exe.outputs[0].asnumpy().tolist() == [23.0, 23.0]   # max 3 + 10 * min 2
    exe.backward(mx.nd.ones(2))
    # the first (2) is the minimum, the second (3) the maximum
    assert [g.asnumpy().tolist() for g in exe.grad_arrays] == [[10.0, 10.0], [1.0, 1.0]]
    # a dict by name would lose one of them
    with pytest.raises(ValueError, match='Duplicate names'):
        exe.arg_dict



def test_arange_takes_its_length_from_the_graph():
    net = mx.sym.arange(start=2, stop=None, step=3, infer_range=True) + mx.sym.zeros((4,))
    assert net.eval()[0].asnumpy().tolist() == [2, 5, 8, 11]


def test_a_control_flow_graph_binds_and_lists_its_attributes():
    out, states = mx.sym.contrib.foreach(lambda x, s: (x + s[0], [x + s[0]]),
                                         mx.sym.var('data'), [mx.sym.var('h')])
    net = mx.sym.Group([out, states[0]])
    exe = net.simple_bind(mx.cpu(), data=(3, 2), h=(2,))
    assert [o.shape for o in exe.forward()] == [(3, 2), (2,)]
    assert list(net.attr_dict().values())[-1]['num_outputs'] == '2'


def test_creation_symbols_take_a_context_as_mxnet_does():
    assert mx.sym.zeros(shape=(2,), ctx=mx.cpu()).eval()[0].asnumpy().tolist() == [0, 0]
    assert mx.sym.random.uniform(shape=(2,), ctx=mx.cpu()).eval()[0].shape == (2,)


def test_an_unverified_download_warns(tmp_path):
    from d2lmini.download import download
    target = tmp_path / 'kept.txt'
    target.write_text('here')
    with pytest.warns(UserWarning, match='verify_ssl=False'):
        download('https://example.invalid/kept.txt', path=str(target), verify_ssl=False)


@pytest.mark.parametrize('interp', [-1, 7])
def test_an_unknown_interpolation_is_both_errors_mxnet_raises(interp):
    with pytest.raises(MXNetError, match='interp') as caught:
        mx.image.imresize(mx.nd.ones((12, 16, 3)), 4, 4, interp=interp)
    assert isinstance(caught.value, ValueError)


def test_the_current_attribute_scope_belongs_to_its_thread():
    import threading
    seen = []
    mx.AttrScope.current = mx.AttrScope(y='hi')
    try:
        def other():
            seen.append(dict(mx.AttrScope.current.get()))   # a new thread: empty
            mx.AttrScope.current = mx.AttrScope(x='there')
            seen.append(dict(mx.AttrScope.current.get()))
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert seen == [{}, {'x': 'there'}]
        assert mx.AttrScope.current.get() == {'y': 'hi'}
        assert mx.sym.var('v').attr('y') == 'hi'
    finally:
        mx.AttrScope.current = mx.AttrScope()
    assert mx.sym.var('w').attr('y') is None


def test_add_n_refuses_inputs_of_different_dtypes():
    # += would cast the float16 input silently; MXNet 1.x refuses it too
    with pytest.raises(MXNetError, match='add_n.*one dtype.*float32.*float16'):
        mx.nd.add_n(mx.nd.ones((2,)), mx.nd.ones((2,), dtype='float16'))
    assert mx.nd.add_n(mx.nd.ones((2,)), mx.nd.ones((2,))).asnumpy().tolist() == [2, 2]
