"""MXNet 1.x behaviours of the core API: partly known shapes in symbolic inference,
``_identity_with_attr_like_rhs``, numpy shape semantics in ``infer_shape_partial``,
and small helpers of ``test_utils`` and ``base``."""
import ctypes
import os
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd, sym


def _arg_shapes(symbol, partial=False, **shapes):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        infer = symbol.infer_shape_partial if partial else symbol.infer_shape
        args, outs, _ = infer(**shapes)
    return (None if args is None else dict(zip(symbol.list_arguments(), args))), outs


# ------------------------------------------------------------------ partly known shapes
def test_elementwise_inputs_complete_each_other():
    a = sym.var('a', shape=(0, 4))
    b = sym.var('b', shape=(6, 0))
    args, outs = _arg_shapes(a + b)
    assert args == {'a': (6, 4), 'b': (6, 4)}
    assert outs == [(6, 4)]


def test_unary_and_scalar_operators_pass_a_shape_both_ways():
    x = sym.var('x', shape=(0, 3))
    args, outs = _arg_shapes(sym.sin(x) * 2 + sym.var('y', shape=(7, 0)))
    assert args == {'x': (7, 3), 'y': (7, 3)}
    assert outs == [(7, 3)]


def test_conflicting_partial_shapes_are_an_error():
    a = sym.var('a', shape=(3, 5))
    b = sym.var('b', shape=(4, 0))
    with pytest.raises(mx.MXNetError, match='b'):
        (a + b).infer_shape()


def test_batch_size_reaches_back_through_fully_connected_layers():
    z = sym.var('z', shape=(0, 6))
    h = sym.Activation(sym.FullyConnected(z, num_hidden=5, name='fc1'), act_type='relu')
    out = sym.FullyConnected(h, num_hidden=2, name='fc2') + sym.var('w', shape=(9, 0))
    args, outs = _arg_shapes(out)
    assert args == {'z': (9, 6), 'fc1_weight': (5, 6), 'fc1_bias': (5,),
                    'fc2_weight': (2, 5), 'fc2_bias': (2,), 'w': (9, 2)}
    assert outs == [(9, 2)]


def test_fully_connected_without_flatten_shares_the_leading_axes():
    x = sym.var('x', shape=(0, 3, 10))
    out = sym.FullyConnected(x, num_hidden=4, flatten=False, name='fc') \
        + sym.var('c', shape=(2, 0, 4))
    args, _ = _arg_shapes(out)
    assert args['x'] == (2, 3, 10) and args['c'] == (2, 3, 4)


def test_partial_inference_keeps_partly_known_variables_and_infers_weights():
    x = sym.var('x', shape=(0, 10))
    args, outs = _arg_shapes(sym.FullyConnected(x, num_hidden=4, name='fc'), partial=True)
    assert args == {'x': (0, 10), 'fc_weight': (4, 10), 'fc_bias': (4,)}
    assert outs == [(0, 4)]
    # infer_shape itself gives up on a shape that stays partly known
    assert _arg_shapes(sym.FullyConnected(x, num_hidden=4, name='fc'))[0] is None


def test_convolution_recovers_the_data_shape_from_its_output():
    a = sym.var('a', shape=(0, 10, 0, 0))
    conv = sym.Convolution(a, num_filter=21, kernel=(3, 3), pad=(1, 1), name='conv')
    args, _ = _arg_shapes(conv + sym.var('c', shape=(5, 21, 32, 32)))
    assert args['a'] == (5, 10, 32, 32)
    assert args['conv_weight'] == (21, 10, 3, 3)


def test_convolution_with_stride_gives_only_the_batch_size_back():
    d = sym.var('d', shape=(0, 3, 0, 0))
    conv = sym.Convolution(d, num_filter=4, kernel=(3, 3), stride=(2, 2), name='conv')
    args, _ = _arg_shapes(conv + sym.var('e', shape=(2, 4, 5, 5)), partial=True)
    # a stride hides the input's size; the batch size comes back (MXNet 1.9.1 leaves
    # it unknown too)
    assert args['d'] == (2, 3, 0, 0)
    assert args['conv_weight'] == (4, 3, 3, 3)


def test_convolution_forward_with_a_partly_known_batch():
    d = sym.var('d')
    conv = sym.Convolution(d, num_filter=4, kernel=(3, 3), pad=(2, 2))
    _, outs = _arg_shapes(conv, partial=True, d=(0, 3, 0, 8))
    assert outs == [(0, 4, 0, 10)]     # the unknown height stays unknown, not 2
    nhwc = sym.Convolution(d, num_filter=4, kernel=(3, 3), layout='NHWC')
    assert _arg_shapes(nhwc, partial=True, d=(0, 9, 9, 3))[1] == [(0, 7, 7, 4)]


def test_concat_completes_its_inputs_from_its_output():
    a = sym.var('a', shape=(0, 10))
    b = sym.var('b', shape=(0, 5))
    d = sym.var('d', shape=(2, 0)) + sym.Concat(a, b, num_args=2, dim=1)
    args, _ = _arg_shapes(d)
    assert args == {'d': (2, 15), 'a': (2, 10), 'b': (2, 5)}
    # one unknown size along the joined axis follows from the output's (MXNet 1.9.1
    # gives up here)
    c = sym.Concat(sym.var('p', shape=(0, 2)), sym.var('q', shape=(0, 0)), dim=1)
    args, _ = _arg_shapes(c + sym.var('r', shape=(3, 7)))
    assert args['q'] == (3, 5)


def test_partial_shape_does_not_reach_operators_that_cannot_use_it():
    # a 0 is an unknown size, not an empty axis: sum() of it stays unknown (MXNet
    # 1.9.1 takes it for shape (1,) and then fails on the product)
    w = sym.var('w', shape=(0,))
    args, outs = _arg_shapes(sym.var('x') * sym.sum(w), partial=True, x=(2, 3))
    assert args['w'] == (0,)


# ------------------------------------------------------------------ identity like rhs
def test_identity_with_attr_like_rhs_copies_lhs_and_ties_the_shapes():
    lhs, rhs = nd.array([[1, 2, 3]]), nd.zeros((1, 3))
    lhs.attach_grad()
    rhs.attach_grad()
    with autograd.record():
        y = nd._internal._identity_with_attr_like_rhs(lhs, rhs)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [[1, 2, 3]])
    np.testing.assert_array_equal(lhs.grad.asnumpy(), [[1, 1, 1]])
    np.testing.assert_array_equal(rhs.grad.asnumpy(), [[0, 0, 0]])
    with pytest.raises(mx.MXNetError):
        nd._internal._identity_with_attr_like_rhs(lhs, nd.zeros((3,)))


def test_identity_with_attr_like_rhs_infers_a_weight_backwards():
    w = sym.var('weight')
    shifted = sym.broadcast_add(w, sym.var('wshift', shape=(1,)))
    tied = mx.symbol._internal._identity_with_attr_like_rhs(shifted, w)
    net = sym.FullyConnected(sym.var('data'), weight=tied, num_hidden=11, no_bias=True)
    args, outs = _arg_shapes(net, data=(7, 100))
    assert args['weight'] == (11, 100)
    assert outs == [(7, 11)]


# ------------------------------------------------------------------ numpy shape semantics
def test_np_shape_reads_minus_one_as_unknown_and_none_as_unknown_shape():
    x, y = sym.var('x'), sym.var('y')
    with mx.np_shape():
        args, outs, _ = sym.sin(x).infer_shape_partial()
        assert args == [None] and outs == [None]
        _, outs, _ = sym.dot(x, y).infer_shape_partial(x=(-1, 3, 4), y=(4, 5))
        assert outs == [(-1, 3, 5)]
        args, outs, _ = (x + y).infer_shape_partial(x=(-1, 3), y=(5, -1))
        assert args == [(5, 3), (5, 3)] and outs == [(5, 3)]
        # a 0 stays an empty axis
        assert (x + y).infer_shape(x=(0, 3)) == ([(0, 3), (0, 3)], [(0, 3)], [])
    # and outside, a 0 is unknown again
    assert sym.sin(x).infer_shape_partial() == ([()], [()], [])


# ------------------------------------------------------------------ helpers
def test_env_manager_sets_and_restores_a_variable():
    name = 'D2LMINI_S5_TEST_VAR'
    os.environ.pop(name, None)
    with mx.test_utils.EnvManager(name, '1'):
        assert os.environ[name] == '1'
    assert name not in os.environ
    os.environ[name] = 'before'
    try:
        with mx.test_utils.EnvManager(name, '2'):
            assert os.environ[name] == '2'
        assert os.environ[name] == 'before'
    finally:
        os.environ.pop(name, None)


def test_set_env_var_returns_the_previous_value():
    name = 'D2LMINI_S5_TEST_VAR'
    os.environ.pop(name, None)
    try:
        assert mx.test_utils.set_env_var(name, '0', 'unset') == 'unset'
        assert mx.test_utils.set_env_var(name, '1') == '0'
        assert os.environ[name] == '1'
    finally:
        os.environ.pop(name, None)


def test_base_names_the_ctypes_handle_types():
    from d2lmini.base import NDArrayHandle, SymbolHandle, c_str
    assert NDArrayHandle is ctypes.c_void_p and SymbolHandle is ctypes.c_void_p
    assert isinstance(c_str('abc'), ctypes.c_char_p) and c_str('abc').value == b'abc'
