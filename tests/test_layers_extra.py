"""GroupNorm, ReflectionPad2D, gluon.contrib.nn, CTCLoss, nested/None inputs of
hybridized blocks and op hooks. Expected numbers come from MXNet 1.9.1."""
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon
from d2lmini.gluon import nn
from d2lmini.gluon.contrib import nn as cnn
from d2lmini.test_utils import assert_almost_equal
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)


# ------------------------------------------------------------------ GroupNorm
def test_group_norm_matches_mxnet():
    x = mx.nd.arange(24).reshape((2, 4, 3))
    out, mean, std = mx.nd.GroupNorm(x, mx.nd.array([1, 2]), mx.nd.array([0, 10]),
                                     num_groups=2, output_mean_var=True)
    row = [-1.4638476, -0.8783086, -0.29276952, 0.29276952, 0.8783086, 1.4638476]
    assert_almost_equal(out[0, :2].reshape(-1), row, rtol=1e-5)
    assert_almost_equal(out[1, 2:].reshape(-1), np.array(row) * 2 + 10, rtol=1e-5)
    assert_almost_equal(mean, [[2.5, 8.5], [14.5, 20.5]])
    assert_almost_equal(std, np.full((2, 2), 1.707828), rtol=1e-5)
    g, b = mx.nd.array([1., 2]), mx.nd.array([0., 10])
    g.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = mx.nd.GroupNorm(x, g, b, num_groups=2)
    y.backward(mx.nd.arange(24).reshape((2, 4, 3)))
    assert_almost_equal(g.grad, [20.493868, 20.493866], rtol=1e-5)
    assert_almost_equal(b.grad, [102, 174])


def test_group_norm_layer():
    layer = nn.GroupNorm(num_groups=2)
    assert repr(layer) == 'GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)'
    assert sorted(layer.collect_params()) == [f'{layer.prefix}beta', f'{layer.prefix}gamma']
    assert layer.gamma.shape == (2,)      # one per group, as in MXNet 1.x
    layer.initialize()
    layer.hybridize()
    assert layer(mx.nd.ones((2, 4, 3))).shape == (2, 4, 3)
    sym = mx.sym.GroupNorm(mx.sym.var('d'), num_groups=2)
    args = sym.list_arguments()
    assert args[0] == 'd' and args[1].endswith('_gamma') and args[2].endswith('_beta')
    assert sym.infer_shape(d=(2, 4, 3))[0][1:] == [(2,), (2,)]
    with pytest.raises(mx.base.MXNetError, match='groups'):
        nn.GroupNorm(num_groups=3)(mx.nd.ones((1, 4, 2)))


# ------------------------------------------------------------------ padding
def test_reflection_pad():
    out = nn.ReflectionPad2D(1)(mx.nd.array([[[[1, 2], [3, 4]]]]))
    assert_almost_equal(out[0, 0], [[4, 3, 4, 3], [2, 1, 2, 1], [4, 3, 4, 3], [2, 1, 2, 1]])
    assert nn.ReflectionPad2D(2)(mx.nd.zeros((1, 1, 4, 4))).shape == (1, 1, 8, 8)
    with pytest.raises(AssertionError):
        nn.ReflectionPad2D((1, 2, 3, 4))


# ------------------------------------------------------------------ contrib.nn
def test_concurrent_and_identity():
    net = cnn.HybridConcurrent(axis=1)
    net.add(cnn.Identity(), nn.Dense(2))
    net.initialize(mx.init.One())
    expected = [[1, 1, 1, 3, 3], [1, 1, 1, 3, 3]]
    assert_almost_equal(net(mx.nd.ones((2, 3))), expected)
    net.hybridize()
    assert_almost_equal(net(mx.nd.ones((2, 3))), expected)
    assert repr(net).startswith('HybridConcurrent(\n  (0): Identity(')
    eager = cnn.Concurrent(axis=0)
    eager.add(nn.Lambda(lambda x: x * 2), cnn.Identity())
    assert_almost_equal(eager(mx.nd.ones((1, 2))), [[2, 2], [1, 1]])


def test_pixel_shuffle_matches_mxnet_layout():
    x = mx.nd.arange(12).reshape((1, 4, 1, 3))
    out = cnn.PixelShuffle2D(2)(x)
    # channel c*4 + i*2 + j lands at (h*2 + i, w*2 + j)
    assert_almost_equal(out[0, 0], [[0, 3, 1, 4, 2, 5], [6, 9, 7, 10, 8, 11]])
    assert_almost_equal(cnn.PixelShuffle1D(2)(mx.nd.arange(6).reshape((1, 2, 3))),
                        [[[0, 3, 1, 4, 2, 5]]])
    assert cnn.PixelShuffle3D((1, 2, 3))(mx.nd.zeros((1, 12, 2, 3, 4))).shape == \
        (1, 2, 2, 6, 12)
    assert repr(cnn.PixelShuffle2D(2)) == 'PixelShuffle2D((2, 2))'
    assert repr(cnn.PixelShuffle1D(2)) == 'PixelShuffle1D(2)'


def test_sparse_embedding_trains_the_rows_it_looks_up():
    emb = cnn.SparseEmbedding(5, 3, weight_initializer=mx.init.One())
    emb.initialize()
    assert emb.weight.stype == 'row_sparse'
    trainer = gluon.Trainer(emb.collect_params(), 'sgd', {'learning_rate': 0.5})
    with mx.autograd.record():
        y = emb(mx.nd.array([0, 4, 4]))
    y.backward()
    grad = emb.weight.grad()
    assert grad.stype == 'row_sparse' and grad.indices.asnumpy().tolist() == [0, 4]
    assert grad.data.asnumpy().tolist() == [[1.0] * 3, [2.0] * 3]
    trainer.step(1)
    # MXNet 1.9.1's values: only rows 0 and 4 moved
    assert emb.weight.row_sparse_data(mx.nd.arange(5)).asnumpy().tolist() == \
        [[0.5] * 3, [1.0] * 3, [1.0] * 3, [1.0] * 3, [0.0] * 3]


def test_sparse_embedding_and_sync_batch_norm():
    emb = cnn.SparseEmbedding(5, 3)
    assert repr(emb) == 'SparseEmbedding(5 -> 3, float32)'
    emb.initialize()
    with pytest.raises(RuntimeError, match='no Trainer'):   # its rows live in the store
        emb(mx.nd.array([0, 4]))
    with pytest.warns(UserWarning, match='num_devices'):
        bn = cnn.SyncBatchNorm()
    assert repr(bn) == ("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, "
                        f"use_global_stats=False, ndev=1, key='{bn.prefix}', "
                        "in_channels=None)")
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        sync = cnn.SyncBatchNorm(num_devices=1)
    plain = nn.BatchNorm()
    x = mx.nd.array(np.random.RandomState(0).randn(4, 3, 2))
    for layer in (sync, plain):
        layer.initialize()
    with mx.autograd.record():
        a, b = sync(x), plain(x)
    assert_almost_equal(a, b)


# ------------------------------------------------------------------ CTC
_DATA = np.random.RandomState(0).randn(5, 3, 4).astype('float32')   # T, N, C
_LABEL_FIRST = np.array([[1, 2, 0], [3, 3, 0], [1, 0, 0]], 'float32')
_LABEL_LAST = np.array([[0, 1, -1], [2, 2, -1], [0, -1, -1]], 'float32')


def test_ctc_loss_operator_matches_mxnet():
    d = mx.nd.array(_DATA)
    d.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(d, mx.nd.array(_LABEL_FIRST))
    loss.backward(mx.nd.array([1., 2., 3.]))
    assert_almost_equal(loss, [4.4008512, 3.6060655, 6.1162577], rtol=1e-5)
    assert_almost_equal(d.grad[0, 0], [-0.43115503, -0.19093123, 0.13723415, 0.484852],
                        rtol=1e-4, atol=1e-6)
    assert_almost_equal(d.grad[4, 2], [-1.4509423, 0.44267863, 0.43609294, 0.5721701],
                        rtol=1e-4, atol=1e-6)
    last = mx.nd.ctc_loss(mx.nd.array(_DATA), mx.nd.array(_LABEL_LAST), blank_label='last')
    assert_almost_equal(last, [1.8537612, 5.259657, 4.633718], rtol=1e-5)
    d = mx.nd.array(_DATA)
    d.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(d, mx.nd.array(_LABEL_FIRST), mx.nd.array([5, 3, 4]),
                             mx.nd.array([1, 2, 1]), use_data_lengths=True,
                             use_label_lengths=True)
    loss.backward()
    assert_almost_equal(loss, [3.6938648, 5.016987, 5.1413875], rtol=1e-5)
    assert_almost_equal(d.grad[3:, 1], np.zeros((2, 4)))      # past the data length
    assert_almost_equal(d.grad[4, 2], np.zeros(4))
    only_labels = mx.nd.CTCLoss(mx.nd.array(_DATA), mx.nd.array(_LABEL_FIRST),
                                label_lengths=mx.nd.array([1, 2, 1]),
                                use_label_lengths=True)
    assert_almost_equal(only_labels, [3.6938648, 3.6060655, 6.1162577], rtol=1e-5)


def test_ctc_loss_symbol():
    s = mx.sym.CTCLoss(mx.sym.var('d'), mx.sym.var('l'), use_label_lengths=True)
    args = s.list_arguments()
    assert args[:2] == ['d', 'l'] and args[2].endswith('_label_lengths')
    assert len(s.list_outputs()) == 1 and s.list_outputs()[0].endswith('_output0')


def test_gluon_ctc_loss_matches_mxnet():
    loss = mx.gluon.loss.CTCLoss()
    assert repr(loss) == 'CTCLoss(batch_axis=0, w=None)'
    pred = mx.nd.array(_DATA.transpose(1, 0, 2))
    label = mx.nd.array(_LABEL_LAST)
    assert_almost_equal(loss(pred, label), [1.8537612, 5.259657, 4.633718], rtol=1e-5)
    assert_almost_equal(loss(pred, label, mx.nd.array([5, 3, 4]), mx.nd.array([2, 2, 1])),
                        [1.8537612, 6.4869313, 3.9881299], rtol=1e-5)
    weighted = mx.gluon.loss.CTCLoss(weight=0.5)
    expected = [0.9268806, 5.259657, 6.950577]
    assert_almost_equal(weighted(pred, label, None, None, mx.nd.array([1., 2., 3.])),
                        expected, rtol=1e-5)
    weighted.hybridize()
    assert_almost_equal(weighted(pred, label, None, None, mx.nd.array([1., 2., 3.])),
                        expected, rtol=1e-5)
    tnc = mx.gluon.loss.CTCLoss(layout='TNC', label_layout='TN')
    assert_almost_equal(tnc(mx.nd.array(_DATA), label.T), [1.8537612, 5.259657, 4.633718],
                        rtol=1e-5)


# ------------------------------------------------------------------ hybridized calls
class _Nested(nn.HybridBlock):
    def hybrid_forward(self, F, x, pair, opt=None):
        a, b = pair
        out = x + a * b
        if opt is not None:
            out = out + opt
        return out, [a, b + 1]


def test_nested_and_none_inputs_as_mxnet():
    args = (mx.nd.ones(2), [mx.nd.ones(2) * 2, mx.nd.ones(2) * 3], None)
    eager = _Nested()(*args)
    hybrid = _Nested()
    hybrid.hybridize()
    out = hybrid(*args)
    assert isinstance(out, list) and isinstance(out[1], list)   # MXNet regroups as lists
    assert_almost_equal(out[0], eager[0])
    assert_almost_equal(out[1][1], [4, 4])
    assert_almost_equal(hybrid(*args[:2])[0], [7, 7])   # a trailing None is a default
    with pytest.raises(ValueError, match='argument structure of HybridBlock does not match'):
        hybrid(*args[:2], mx.nd.ones(2))
    other = _Nested()
    other.hybridize()
    with pytest.raises(ValueError, match='must be \\(nested\\) list of Symbol or NDArray'):
        other(mx.nd.ones(2), [mx.nd.ones(2), mx.nd.ones(2)], 3)


def test_register_op_hook():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, activation='relu'), nn.Dense(1))
    net.initialize()
    calls = []
    net.register_op_hook(lambda n, o, a: calls.append((n, o, a.shape)))
    net(mx.nd.ones((3, 4)))
    assert calls == []                       # as in MXNet: only when hybridized
    net.hybridize()
    x = mx.nd.ones((3, 4))
    with mx.autograd.record():
        y = net(x)
    y.backward()
    p0 = net[0].prefix
    p1 = net[1].prefix
    assert calls == [(f'{p0}fwd_output'.encode(), b'FullyConnected', (3, 2)),
                     (f'{p0}relu_fwd_output'.encode(), b'Activation', (3, 2)),
                     (f'{p1}fwd_output'.encode(), b'FullyConnected', (3, 1))]
    assert net[0].weight.grad().shape == (2, 4)     # still differentiable
    calls.clear()
    net.register_op_hook(lambda n, o, a: calls.append(n), monitor_all=True)
    net(x)
    assert calls[:4] == [f'{p0}fwd_{s}'.encode() for s in ('data', 'weight', 'bias', 'output')]
