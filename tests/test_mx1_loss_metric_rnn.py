"""MXNet 1.x API coverage for metrics (MCC, Perplexity, PearsonCorrelation, PCC,
Torch, Caffe, alias), gluon.loss.SDMLLoss and the gluon.rnn cells (symbolic unroll,
containers, modifiers, valid_length, _unfuse, infer_shape).

Expected numbers were computed with MXNet 1.9.1 on the same inputs, or by hand."""
import json
import math

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon, metric
from d2lmini.base import MXNetError
from d2lmini.gluon import rnn

nd = mx.nd.array


# ---------------------------------------------------------------------- metrics
def test_mcc_binary_value_and_registry():
    m = metric.create('mcc')
    assert isinstance(m, metric.MCC) and m.name == 'mcc'
    assert math.isnan(m.get()[1])
    m.update([nd([0, 1, 1, 0])], [nd([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])])
    # tp=1 fp=0 fn=1 tn=2: (2 - 0) / sqrt(1 * 2 * 2 * 3)
    assert m.get()[1] == pytest.approx(0.5773502691896258)


def test_mcc_macro_and_micro_and_degenerate_cases():
    micro, macro = metric.MCC(average='micro'), metric.MCC(average='macro')
    batches = [([nd([1, 0, 1, 0])], [nd([[0.1, 0.9], [0.5, 0.5], [0.85, 0.15], [1., 0.]])]),
               ([nd([0, 1])], [nd([[0.6, 0.4], [0.2, 0.8]])])]
    for labels, preds in batches:
        micro.update(labels, preds)
        macro.update(labels, preds)
    mcc1 = 2 / math.sqrt(1 * 2 * 2 * 3)          # tp=1 fp=0 fn=1 tn=2
    mcc_all = 6 / math.sqrt(2 * 3 * 3 * 4)       # tp=2 fp=0 fn=1 tn=3
    assert micro.get()[1] == pytest.approx(mcc_all) and micro.num_inst == 6
    assert macro.get()[1] == pytest.approx((mcc1 + 1.0) / 2) and macro.num_inst == 2
    # a classifier that always answers 1: 0 rather than NaN (zero factors count as 1)
    always = metric.MCC(average='micro')
    always.update([nd([1, 1])], [nd([[0.2, 0.8], [0.3, 0.7]])])
    assert always.get()[1] == 0.0
    with pytest.raises(ValueError, match='MCC currently only supports binary'):
        metric.MCC().update([nd([0, 1, 2])], [nd([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])])


def test_mcc_local_and_global_statistics():
    m = metric.MCC(average='micro')
    m.update([nd([0, 1, 1, 0])], [nd([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])])
    m.reset_local()
    assert math.isnan(m.get()[1])
    assert m.get_global()[1] == pytest.approx(0.5773502691896258)


def test_perplexity_values():
    preds = nd([[0.3, 0.7], [0, 1.], [0.4, 0.6]])
    perp = metric.create('perplexity', None)
    perp.update([nd([0, 1, 1])], [preds])
    assert perp.get() == ('perplexity', pytest.approx(1.7710976285155853))
    ignoring = metric.Perplexity(ignore_label=1)   # the label-1 row is left out
    ignoring.update([nd([0, 1, 0])], [preds])
    assert ignoring.get()[1] == pytest.approx(math.exp(-(math.log(0.3) + math.log(0.4)) / 2))
    clipped = metric.Perplexity(ignore_label=None)  # p = 0 is clipped to 1e-10
    clipped.update([nd([0])], [nd([[0., 1.]])])
    assert clipped.get()[1] == pytest.approx(1e10, rel=1e-6)


def test_perplexity_along_another_axis_and_of_3d_predictions():
    by_column = metric.Perplexity(ignore_label=None, axis=0)
    by_column.update([nd([0, 1, 1])], [nd([[0.5, 0.2, 0.1], [0.5, 0.8, 0.9]])])
    assert by_column.get()[1] == pytest.approx(math.exp(-np.log([0.5, 0.8, 0.9]).mean()))
    seq = metric.Perplexity(ignore_label=None)   # (batch, time, vocab) with (batch, time)
    seq.update([nd([[0, 1], [1, 0]])], [nd([[[0.25, 0.75], [0.5, 0.5]], [[0.2, 0.8], [1, 0]]])])
    assert seq.get()[1] == pytest.approx(math.exp(-np.log([0.25, 0.5, 0.8, 1.0]).mean()))
    with pytest.raises(ValueError, match='do not match'):
        metric.Perplexity(None).update([nd([0, 1])], [nd([[0.5, 0.5]])])


def test_perplexity_config_keeps_the_axis():
    perp = metric.Perplexity(ignore_label=-1, axis=0)
    again = metric.create(json.dumps(perp.get_config()))
    assert again.axis == 0 and again.ignore_label == -1
    assert again.get_config() == perp.get_config()


def test_pearson_correlation_macro_and_micro():
    label1, pred1 = nd([[1, 0], [0, 1], [0, 1]]), nd([[0.3, 0.7], [0, 1.], [0.4, 0.6]])
    label2, pred2 = nd([[1, 0], [0, 1], [0, 1]]), nd([[1, 2], [3, 2], [4, 6]])
    macro = metric.create('pearsonr')
    assert isinstance(macro, metric.PearsonCorrelation)
    macro.update([label1], [pred1])
    assert macro.get() == ('pearsonr', pytest.approx(0.4216370454401618))
    micro = metric.PearsonCorrelation(average='micro')
    assert math.isnan(micro.get()[1])
    micro.update([label1], [pred1])
    micro.update([label2], [pred2])
    everything = np.corrcoef(np.concatenate([pred1.asnumpy().ravel(), pred2.asnumpy().ravel()]),
                             np.concatenate([label1.asnumpy().ravel(),
                                             label2.asnumpy().ravel()]))[0, 1]
    assert micro.get()[1] == pytest.approx(everything)
    # local statistics are forgotten by reset_local, the global ones are not
    micro.reset_local()
    assert math.isnan(micro.get()[1])
    assert micro.get_global()[1] == pytest.approx(everything)
    micro.update([label2], [pred2])
    assert micro.get()[1] == pytest.approx(np.corrcoef(pred2.asnumpy().ravel(),
                                                       label2.asnumpy().ravel())[0, 1])


def test_pcc_values_and_growth():
    pcc = metric.create('pcc')
    pcc.update([nd([0, 1, 2, 2])], [nd([0, 1, 2, 1])])   # the matrix grows to 3 classes
    assert pcc.get() == ('pcc', pytest.approx(0.7))
    assert pcc.get_config() == {'metric': 'PCC', 'name': 'pcc', 'output_names': None,
                                'label_names': None}
    constant = metric.PCC()
    constant.update([nd([0, 0, 0])], [nd([0, 0, 0])])
    assert math.isnan(constant.get()[1])
    column = metric.PCC()                                 # (n, 1) labels and predictions
    column.update([nd([[0], [1], [1]])], [nd([[0], [1], [0]])])
    assert column.get()[1] == pytest.approx(0.5)


def test_pcc_agrees_with_micro_mcc_whatever_the_batching():
    labels = nd([0, 0, 1, 1, 1, 0, 1])
    scores = nd([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4], [0.1, 0.9], [0.8, 0.2],
                 [0.4, 0.6]])
    mcc = metric.MCC(average='micro')
    mcc.update([labels], [scores])
    pcc = metric.PCC()
    for i in range(7):          # one example at a time: same confusion matrix
        pcc.update([labels[i:i + 1]], [scores[i:i + 1]])
    assert pcc.get()[1] == pytest.approx(mcc.get()[1])
    pcc.reset_local()
    assert math.isnan(pcc.get()[1]) and pcc.get_global()[1] == pytest.approx(mcc.get()[1])
    with pytest.raises(ValueError, match='negative'):
        metric.PCC().update([nd([-1, 0])], [nd([0, 1])])


def test_torch_and_caffe_are_named_losses_and_alias_registers():
    for name in ('torch', 'caffe'):
        m = metric.create(name)
        assert isinstance(m, metric.Loss) and m.name == name
        m.update(None, [nd([1., 3.])])
        assert m.get()[1] == 2.0

    @metric.register
    @metric.alias('mx1_test_twice_acc')
    class TwiceAccuracy(metric.Accuracy):
        pass
    assert type(metric.create('mx1_test_twice_acc')) is TwiceAccuracy


# ---------------------------------------------------------------------- SDMLLoss
X1 = [[0.1, 0.2], [0.5, -0.3], [1.0, 0.4]]
X2 = [[0.0, 0.3], [0.4, -0.2], [0.2, 0.1]]


def test_sdml_loss_values_and_gradient():
    loss = gluon.loss.SDMLLoss()
    assert repr(loss) == 'SDMLLoss(batch_axis=0, w=1.0)'
    x1, x2 = nd(X1), nd(X2)
    np.testing.assert_allclose(loss(x1, x2).asnumpy(),
                               [0.2433595061, 0.1581204534, 0.2390318215], rtol=1e-4)
    weighted = gluon.loss.SDMLLoss(smoothing_parameter=0.1, weight=2.)
    np.testing.assert_allclose(weighted(x1, x2).asnumpy(),
                               [0.6447702646, 0.5005311370, 0.6364425421], rtol=1e-4)
    x1.attach_grad()
    with mx.autograd.record():
        out = loss(x1, x2)
    out.backward()
    np.testing.assert_allclose(x1.grad.asnumpy(),
                               [[0.19058977, -0.21745302], [-0.14410484, 0.19895735],
                                [0.03676951, -0.07981147]], rtol=1e-3, atol=1e-5)


def test_sdml_loss_hybridized_and_bad_inputs():
    loss = gluon.loss.SDMLLoss()
    eager = loss(nd(X1), nd(X2)).asnumpy()
    loss.hybridize()
    np.testing.assert_allclose(loss(nd(X1), nd(X2)).asnumpy(), eager, rtol=1e-6)
    with pytest.raises(MXNetError, match='at least 2 pairs'):
        gluon.loss.SDMLLoss()(nd([[1., 2.]]), nd([[1., 2.]]))
    with pytest.raises(MXNetError, match='same|shape'):
        gluon.loss.SDMLLoss()(nd(X1), nd(X2)[:2])


# ---------------------------------------------------------------------- rnn cells
def _step_symbols(n):
    return [mx.sym.Variable(f'rnn_t{i}_data') for i in range(n)]


@pytest.mark.parametrize('make', [lambda: rnn.RNNCell(100, prefix='rnn_'),
                                  lambda: rnn.LSTMCell(100, prefix='rnn_'),
                                  lambda: rnn.GRUCell(100, prefix='rnn_')])
def test_symbolic_unroll_without_begin_state(make):
    cell = make()
    outputs, states = cell.unroll(3, _step_symbols(3))
    group = mx.sym.Group(outputs)
    assert group.list_outputs() == ['rnn_t0_out_output', 'rnn_t1_out_output',
                                    'rnn_t2_out_output']
    assert sorted(cell.collect_params().keys()) == ['rnn_h2h_bias', 'rnn_h2h_weight',
                                                    'rnn_i2h_bias', 'rnn_i2h_weight']
    # the zero begin states add no arguments: only data and parameters
    assert set(group.list_arguments()) == set(
        ['rnn_t0_data', 'rnn_t1_data', 'rnn_t2_data', 'rnn_h2h_bias', 'rnn_h2h_weight',
         'rnn_i2h_bias', 'rnn_i2h_weight'])
    _, out_shapes, _ = group.infer_shape(rnn_t0_data=(10, 50), rnn_t1_data=(10, 50),
                                         rnn_t2_data=(10, 50))
    assert out_shapes == [(10, 100)] * 3


def test_symbolic_unroll_of_one_merged_symbol_runs():
    # zero begin states are made from the data, whose batch size is only known at bind
    cell = rnn.RNNCell(4, prefix='g_')
    outputs, states = cell.unroll(1, mx.sym.Variable('data'), layout='NTC', merge_outputs=True)
    exe = outputs.bind(mx.cpu(), {'data': mx.nd.ones((2, 1, 5)),
                                  'g_i2h_weight': mx.nd.ones((4, 5)),
                                  'g_i2h_bias': mx.nd.zeros((4,)),
                                  'g_h2h_weight': mx.nd.ones((4, 4)),
                                  'g_h2h_bias': mx.nd.zeros((4,))})
    out = exe.forward()[0]
    assert out.shape == (2, 1, 4)
    np.testing.assert_allclose(out.asnumpy(), np.tanh(5.0) * np.ones((2, 1, 4)), rtol=1e-6)


def test_stack_and_bidirectional_output_names():
    stack = rnn.SequentialRNNCell()
    for i in range(3):
        cell = rnn.LSTMCell(100, prefix=f'rnn_stack{i}_')
        stack.add(rnn.ResidualCell(cell) if i == 1 else cell)
    outputs, _ = stack.unroll(3, _step_symbols(3))
    assert mx.sym.Group(outputs).list_outputs() == [
        'rnn_stack2_t0_out_output', 'rnn_stack2_t1_out_output', 'rnn_stack2_t2_out_output']
    bi = rnn.BidirectionalCell(rnn.LSTMCell(100, prefix='rnn_l0_'),
                               rnn.LSTMCell(100, prefix='rnn_r0_'), output_prefix='rnn_bi_')
    outputs, _ = bi.unroll(3, _step_symbols(3))
    group = mx.sym.Group(outputs)
    assert group.list_outputs() == ['rnn_bi_t0_output', 'rnn_bi_t1_output', 'rnn_bi_t2_output']
    assert group.infer_shape(rnn_t0_data=(10, 50), rnn_t1_data=(10, 50),
                             rnn_t2_data=(10, 50))[1] == [(10, 200)] * 3


def test_reprs_and_modifier_prefixes():
    assert repr(rnn.ZoneoutCell(rnn.RNNCell(3), 0.5, 0.25)) == \
        'ZoneoutCell(p_out=0.5, p_state=0.25, RNNCell(None -> 3, tanh))'
    assert repr(rnn.BidirectionalCell(rnn.RNNCell(3), rnn.GRUCell(3))) == \
        'BidirectionalCell(forward=RNNCell(None -> 3, tanh), backward=GRUCell(None -> 9))'
    stack = rnn.HybridSequentialRNNCell()
    stack.add(rnn.LSTMCell(3))
    assert repr(stack) == 'HybridSequentialRNNCell(\n(0): LSTMCell(None -> 12)\n)'
    gru = rnn.GRUCell(3, prefix='g_')
    assert rnn.ResidualCell(gru).prefix == 'g_residualcell'
    assert rnn.ZoneoutCell(rnn.GRUCell(3, prefix='h_')).prefix == 'h_zoneout'


def test_modified_cell_is_used_through_its_modifier():
    base = rnn.GRUCell(3, input_size=3)
    residual = rnn.ResidualCell(base)
    with pytest.raises(MXNetError, match='modifier'):
        base.begin_state(batch_size=2)
    with pytest.raises(MXNetError, match='already modified'):
        rnn.ZoneoutCell(base)
    states = residual.begin_state(batch_size=2)     # NDArrays, not MXNet's Symbols
    assert isinstance(states[0], mx.nd.NDArray) and states[0].shape == (2, 3)
    with pytest.raises(NotImplementedError, match='unroll'):
        rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2))(nd([[1.]]), [])


def test_lstm_cell_activations():
    cell = rnn.LSTMCell(3, activation='relu', recurrent_activation='tanh', input_size=2)
    cell.initialize(mx.init.Constant(0.2))
    out, states = cell.unroll(2, nd([[[1, -1], [0.5, 2]]]), merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), [[[0, 0, 0], [0.1067761] * 3]], rtol=1e-5)
    np.testing.assert_allclose(states[1].asnumpy(), [[0.2310586] * 3], rtol=1e-5)


SEQ = [[[1, 2], [3, 4], [5, 6]], [[-1, 0], [0, 1], [1, 1]]]


def test_unroll_with_valid_length():
    cell = rnn.GRUCell(2, input_size=2)
    cell.initialize(mx.init.Constant(0.3))
    out, states = cell.unroll(3, nd(SEQ), valid_length=nd([2, 3]), merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), [
        [[0.2070462, 0.2070462], [0.2821238, 0.2821238], [0, 0]],
        [[-0.1673424, -0.1673424], [0.0160828, 0.0160828], [0.2010968, 0.2010968]]],
        rtol=1e-5, atol=1e-7)
    # the states are those of each sequence's last valid step
    np.testing.assert_allclose(states[0].asnumpy(), [[0.2821238] * 2, [0.2010968] * 2],
                               rtol=1e-5)


def test_bidirectional_unroll_with_valid_length():
    bi = rnn.BidirectionalCell(rnn.RNNCell(2, input_size=2, prefix='l_'),
                               rnn.RNNCell(2, input_size=2, prefix='r_'))
    bi.initialize(mx.init.Constant(0.25))
    out, states = bi.unroll(3, nd(SEQ), valid_length=nd([2, 3]), merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), [
        [[0.635149, 0.635149, 0.8398569, 0.8398569],
         [0.9685034, 0.9685034, 0.9413756, 0.9413756], [0, 0, 0, 0]],
        [[-0.2449186, -0.2449186, -0.0264483, -0.0264483],
         [0.1268536, 0.1268536, 0.447091, 0.447091],
         [0.5105155, 0.5105155, 0.4621172, 0.4621172]]], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(states[1].asnumpy(), [[0.8398569] * 2, [-0.0264483] * 2],
                               rtol=1e-5)


def test_hybrid_sequential_cell_inside_a_hybrid_block():
    class BiStack(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                left, right = rnn.HybridSequentialRNNCell(), rnn.HybridSequentialRNNCell()
                for stack in (left, right):
                    stack.add(rnn.LSTMCell(6))
                    stack.add(rnn.GRUCell(6))
                self.cell = rnn.BidirectionalCell(left, right)

        def hybrid_forward(self, F, x):
            return self.cell.unroll(3, x, layout='NTC', merge_outputs=True)[0]

    net = BiStack()
    net.initialize()
    x = mx.nd.random.uniform(shape=(4, 3, 5))
    eager = net(x)
    assert eager.shape == (4, 3, 12)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager.asnumpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='HybridBlock'):
        rnn.HybridSequentialRNNCell().add(rnn.SequentialRNNCell())


def test_zoneout_and_dropout_cells_outside_training_change_nothing():
    base = rnn.RNNCell(3, input_size=2)
    zoneout = rnn.ZoneoutCell(base, zoneout_outputs=0.5, zoneout_states=0.5)
    zoneout.initialize()
    x = mx.nd.random.uniform(shape=(2, 4, 2))
    out, _ = zoneout.unroll(4, x, merge_outputs=True)
    base._modified = False     # only to compare with the plain cell
    plain, _ = base.unroll(4, x, merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), plain.asnumpy(), rtol=1e-6)
    dropped, states = rnn.DropoutCell(0.5).unroll(4, x, merge_outputs=True)
    assert isinstance(dropped, mx.nd.NDArray) and states == []
    np.testing.assert_array_equal(dropped.asnumpy(), x.asnumpy())


# ---------------------------------------------------------------------- rnn layers
def test_unfuse_shares_the_parameters_and_computes_the_same():
    layer = rnn.LSTM(2, num_layers=2, bidirectional=True)
    cells = layer._unfuse()
    assert [type(c).__name__ for c in cells] == ['BidirectionalCell', 'BidirectionalCell']
    assert sorted(cells.collect_params().keys()) == sorted(layer.collect_params().keys())
    layer.initialize(mx.init.Constant(0.1))
    x = nd(np.arange(12).reshape(3, 2, 2) / 10.)
    expected = [[[0.001675, 0.001675, 0.0056638, 0.0056638],
                 [0.0033755, 0.0033755, 0.0091485, 0.0091485]],
                [[0.0049172, 0.0049172, 0.0072445, 0.0072445],
                 [0.0079115, 0.0079115, 0.0104421, 0.0104421]],
                [[0.0086398, 0.0086398, 0.005885, 0.005885],
                 [0.0123961, 0.0123961, 0.0079409, 0.0079409]]]
    np.testing.assert_allclose(layer(x).asnumpy(), expected, rtol=1e-4)
    unrolled = cells.unroll(3, x, layout='TNC', merge_outputs=True)[0]
    np.testing.assert_allclose(unrolled.asnumpy(), expected, rtol=1e-4)


def test_unfuse_puts_dropout_between_layers():
    cells = rnn.GRU(3, num_layers=3, dropout=0.2)._unfuse()
    assert [type(c).__name__ for c in cells] == ['GRUCell', 'DropoutCell', 'GRUCell',
                                                 'DropoutCell', 'GRUCell']


def test_layer_infer_shape_with_and_without_states():
    layer = rnn.LSTM(4, num_layers=2)
    layer.initialize()
    layer.infer_shape(mx.nd.ones((5, 2, 3)), layer.begin_state(2))
    assert layer.l0_i2h_weight.shape == (16, 3) and layer.l1_i2h_weight.shape == (16, 4)
    layer.l0_i2h_weight.data()      # initialised, not deferred any more


def test_lstm_with_projection():
    layer = rnn.LSTM(3, projection_size=2, num_layers=2, bidirectional=True, input_size=4)
    shapes = {k[len(layer.prefix):]: v.shape for k, v in layer.collect_params().items()}
    assert list(shapes)[:5] == ['l0_i2h_weight', 'l0_h2h_weight', 'l0_i2h_bias', 'l0_h2h_bias',
                                'l0_h2r_weight']
    assert shapes['l0_h2h_weight'] == (12, 2) and shapes['l0_h2r_weight'] == (2, 3)
    assert shapes['l1_i2h_weight'] == (12, 4)      # the layer below gives 2 * 2
    layer.initialize(mx.init.Constant(0.1))
    x = nd(np.arange(24).reshape(3, 2, 4) / 10.)
    out, (h, c) = layer(x, layer.begin_state(2))
    assert out.shape == (3, 2, 4) and h.shape == (4, 2, 2) and c.shape == (4, 2, 3)
    np.testing.assert_allclose(out.asnumpy()[2], [[0.003956, 0.003956, 0.0027921, 0.0027921],
                                                  [0.0055266, 0.0055266, 0.0036521, 0.0036521]],
                               rtol=1e-4)
    np.testing.assert_allclose(h.asnumpy()[0], [[0.1029058] * 2, [0.1371159] * 2], rtol=1e-5)
    np.testing.assert_allclose(c.asnumpy()[0], [[0.5653904] * 3, [0.7714191] * 3], rtol=1e-5)
    with pytest.raises(NotImplementedError, match='projection'):
        layer._unfuse()


def test_layer_on_a_symbol_with_a_known_shape():
    layer = rnn.GRU(4, layout='NTC', prefix='gru_sym_')
    out = layer(mx.sym.var('data', shape=(2, 5, 3)))
    assert out.infer_shape(data=(2, 5, 3))[1] == [(2, 5, 4)]
    assert 'gru_sym_l0_i2h_weight' in out.list_arguments()
    # no sequence length is needed to build the graph: one graph serves any length
    out = rnn.GRU(4, input_size=3)(mx.sym.var('data'))
    assert out.infer_shape(data=(7, 2, 3))[1] == [(7, 2, 4)]
