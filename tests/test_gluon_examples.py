"""Behaviour that MXNet 1.x's Gluon example programs rely on: the estimator's
checkpoint logging order, and the LSTM/GRU layer options (state clipping, sequence
lengths) that language and speech models pass.

Expected log lines and file lists were recorded from MXNet 1.9.1 running the same
small programs. MXNet 1.9.1 on CPU ignores ``state_clip_*`` and ``sequence_length``
(they act only with cuDNN), so those tests check the documented meaning instead:
the cell state stays in range, and a layer with lengths agrees with cells unrolled
with ``valid_length``.
"""
import io
import logging
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon, nd
from d2lmini.base import MXNetError
from d2lmini.gluon import rnn
from d2lmini.gluon.contrib.estimator import Estimator, CheckpointHandler


# ------------------------------------------------------------ estimator checkpoints
def _fit_once(net, model_dir):
    data = gluon.data.DataLoader(
        gluon.data.ArrayDataset(np.ones((4, 3), 'f'), np.zeros(4, 'f')), batch_size=2)
    est = Estimator(net, gluon.loss.L2Loss(),
                    trainer=gluon.Trainer(net.collect_params(), 'sgd',
                                          {'learning_rate': 0.1}))
    log = io.StringIO()
    est.logger.addHandler(logging.StreamHandler(log))
    # epoch_period=3 with one epoch: no checkpoint is due during this fit
    est.fit(data, epochs=1, event_handlers=[CheckpointHandler(model_dir, 'm',
                                                              epoch_period=3)])
    return [line for line in log.getvalue().splitlines()
            if not line.startswith(('Training begin', 'Train '))]


def test_checkpoint_handler_writes_symbol_after_first_batch(tmp_path):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(1))
    net.initialize(mx.init.One())
    net.hybridize()
    _fit_once(net, str(tmp_path))
    # MXNet 1.9.1 lists ['m-symbol.json']: the graph is written although no
    # checkpoint was saved
    assert sorted(os.listdir(tmp_path)) == ['m-symbol.json']


def test_checkpoint_handler_logs_missing_symbol_during_first_epoch(tmp_path):
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(1))
    net.initialize(mx.init.One())
    lines = _fit_once(net, str(tmp_path))
    # MXNet 1.9.1's order: the note comes after the first batch, before the epoch ends
    assert lines[0] == '[Epoch 0] Begin, current learning rate: 0.1000'
    assert lines[1] == (
        'Model architecture(symbol file) is not saved, please use HybridBlock to '
        'construct your model, and call net.hybridize() before passing to Estimator in '
        'order to save model architecture as %s.' % os.path.join(str(tmp_path),
                                                                 'm-symbol.json'))
    assert lines[2].startswith('[Epoch 0] Finished in ')
    assert lines[2].endswith('training l2loss: 3.0600')
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------ LSTM / GRU layer options
def _copy_layer_weights(layer, cell, prefix):
    for name in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'):
        getattr(cell, name).set_data(getattr(layer, prefix + name).data())


def _inputs():
    rs = np.random.RandomState(0)
    return nd.array(rs.normal(size=(5, 2, 3))), nd.array([5, 3])


def test_lstm_sequence_length_matches_cells_with_valid_length():
    x, lengths = _inputs()
    layer = rnn.LSTM(4, input_size=3, bidirectional=True, use_sequence_length=True)
    layer.initialize(mx.init.Xavier())
    out, (h, c) = layer(x, layer.begin_state(2), lengths)
    cells = rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3),
                                  rnn.LSTMCell(4, input_size=3))
    cells.initialize()
    _copy_layer_weights(layer, cells._children['l_cell'], 'l0_')
    _copy_layer_weights(layer, cells._children['r_cell'], 'r0_')
    expected, states = cells.unroll(5, x, layout='TNC', merge_outputs=True,
                                    valid_length=lengths)
    np.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)
    assert np.all(out.asnumpy()[3:, 1] == 0)          # past the second example's end
    np.testing.assert_allclose(h.asnumpy()[0], states[0].asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.asnumpy()[1], states[3].asnumpy(), rtol=1e-5, atol=1e-6)


def test_gru_sequence_length_hybridized_matches_imperative():
    x, lengths = _inputs()
    layer = rnn.GRU(4, num_layers=2, input_size=3, use_sequence_length=True)
    layer.initialize(mx.init.Xavier())
    begin = [nd.ones((2, 2, 4)) * 0.3]
    out, [h] = layer(x, begin, lengths)
    layer.hybridize()
    out2, [h2] = layer(x, begin, lengths)
    np.testing.assert_allclose(out.asnumpy(), out2.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), h2.asnumpy(), rtol=1e-6)
    # the second example stops after 3 steps: its final state is its step-3 output
    np.testing.assert_allclose(h.asnumpy()[1, 1], out.asnumpy()[2, 1], rtol=1e-6)


def test_sequence_length_needs_the_option_and_the_option_needs_it():
    x, lengths = _inputs()
    with_lengths = rnn.LSTM(4, input_size=3, use_sequence_length=True)
    with_lengths.initialize()
    with pytest.raises(MXNetError, match='needs sequence_length'):
        with_lengths(x)
    plain = rnn.LSTM(4, input_size=3)
    plain.initialize()
    with pytest.raises(MXNetError, match='use_sequence_length=True'):
        plain(x, None, lengths)


def test_lstm_state_clip_bounds_the_cell_state():
    x, _ = _inputs()
    clipped = rnn.LSTM(4, input_size=3, state_clip_min=-0.05, state_clip_max=0.05)
    clipped.initialize(mx.init.Xavier())
    _, (_, c) = clipped(x * 10, clipped.begin_state(2))
    assert c.asnumpy().min() >= -0.05 and c.asnumpy().max() <= 0.05
    assert np.isclose(np.abs(c.asnumpy()).max(), 0.05)
    # bounds that are never reached change nothing
    wide = rnn.LSTM(4, input_size=3, state_clip_min=-100, state_clip_max=100)
    plain = rnn.LSTM(4, input_size=3)
    wide.initialize(mx.init.Xavier())
    plain.initialize()
    for name, param in wide.collect_params().items():
        plain.params.get(name[len(wide.prefix):]).set_data(param.data())
    np.testing.assert_allclose(wide(x).asnumpy(), plain(x).asnumpy(), rtol=1e-6)


def test_lstm_state_clip_cannot_unfuse():
    layer = rnn.LSTM(4, input_size=3, state_clip_min=-1, state_clip_max=1)
    with pytest.raises(NotImplementedError, match='state clipping'):
        layer._unfuse()


def test_exported_rnn_layer_takes_its_zero_states_as_inputs(tmp_path):
    # MXNet 1.9.1 exports a hybridized layer called without states with the data and
    # the states as inputs (data0, data1, data2 for an LSTM) and the output alone as
    # the graph's head
    import json
    x, _ = _inputs()
    layer = rnn.LSTM(4, input_size=3)
    layer.initialize()
    layer.hybridize()
    out = layer(x)
    assert out.shape == (5, 2, 4)
    prefix = str(tmp_path / 'lstm')
    layer.export(prefix)
    graph = json.load(open(prefix + '-symbol.json'))
    inputs = [n['name'] for n in graph['nodes'] if n['op'] == 'null'
              and not n['name'].startswith(layer.prefix)]
    assert inputs == ['data0', 'data1', 'data2']
    assert len(graph['heads']) == 1
    rnn_node = [n for n in graph['nodes'] if n['op'] == 'RNN'][0]
    assert rnn_node['attrs']['use_sequence_length'] == 'False'
    loaded = gluon.SymbolBlock.imports(prefix + '-symbol.json', inputs,
                                       prefix + '-0000.params')
    np.testing.assert_allclose(loaded(x, *layer.begin_state(2)).asnumpy(), out.asnumpy(),
                               rtol=1e-6)


def test_hybridized_layer_switches_between_with_and_without_states():
    x, _ = _inputs()
    layer = rnn.GRU(4, input_size=3)
    layer.initialize()
    layer.hybridize()
    without = layer(x)
    out, [h] = layer(x, layer.begin_state(2))
    again = layer(x)
    np.testing.assert_allclose(without.asnumpy(), out.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(again.asnumpy(), out.asnumpy(), rtol=1e-6)
    assert h.shape == (1, 2, 4)


def test_wrong_state_shape_is_a_value_error_as_in_mxnet():
    x, _ = _inputs()
    layer = rnn.LSTM(4, input_size=3)
    layer.initialize()
    with pytest.raises(ValueError, match=r'Invalid recurrent state shape. Expecting '
                                         r'\(1, 2, 4\), got \(1, 3, 4\)\.'):
        layer(x, [nd.zeros((1, 3, 4)), nd.zeros((1, 2, 4))])
