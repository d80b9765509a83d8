"""gluon.contrib.rnn: convolutional cells, LSTMPCell, VariationalDropoutCell."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.gluon import rnn
from d2lmini.gluon.contrib import rnn as crnn


def wave(shape, k):
    """Deterministic values in [-0.4, 0.4] to fill inputs and weights."""
    size = int(np.prod(shape))
    return nd.array(0.4 * np.sin(np.arange(size) * k + 1).reshape(shape))


def fingerprint(cell, x_shape, layout, valid_length, hybridize):
    """Unroll 3 steps with set weights; sums of the outputs, states and gradients."""
    cell.initialize()
    x = wave(x_shape, 0.7)
    cell.unroll(3, x, layout=layout, merge_outputs=True)   # finish deferred shapes
    for i, (_, param) in enumerate(sorted(cell.collect_params().items())):
        param.set_data(wave(param.shape, 0.3 + 0.1 * i))
    if hybridize:
        cell.hybridize()
    x.attach_grad()
    length = None if valid_length is None else nd.array(valid_length)
    with autograd.record():
        out, states = cell.unroll(3, x, layout=layout, merge_outputs=True,
                                  valid_length=length)
        loss = (out * wave(out.shape, 1.3)).sum()
        for state in states:
            loss = loss + (state * wave(state.shape, 1.9)).sum()
    loss.backward()
    values = [out.sum().asscalar(), (out * out).sum().asscalar()]
    values += [state.sum().asscalar() for state in states]
    values.append(x.grad.sum().asscalar())
    values += [(p.grad() ** 2).sum().asscalar()
               for _, p in sorted(cell.collect_params().items())]
    return np.array(values)


# expected values computed with MXNet 1.9.1 on the same weights: output sum, output
# sum of squares, state sums, input-gradient sum, parameter-gradient sums of squares
# (parameters sorted by name)
MXNET_FINGERPRINTS = [
    (lambda: crnn.Conv1DRNNCell((2, 6), 3, 3, 3, i2h_pad=1), (2, 3, 2, 6), 'NTC', None,
     [60.78583, 47.73096, 19.84472, -0.16986, 0.02546, 1.23982, 0.02546, 1.21554]),
    (lambda: crnn.Conv2DLSTMCell((2, 4, 4), 2, 3, 3, i2h_pad=1), (3, 2, 2, 4, 4), 'TNC',
     [2, 3],
     [7.90568, 4.42029, 4.19805, 17.87357, 0.25383, 0.49521, 0.78608, 0.49521, 1.92591]),
    (lambda: crnn.Conv2DGRUCell((2, 5, 4), 2, (3, 1), 3, i2h_dilate=(1, 2),
                                activation='relu'), (2, 3, 2, 5, 4), 'NTC', None,
     [12.53767, 1.69627, 5.88398, -3.86373, 2.51085, 0.18213, 5.42647, 0.02576]),
    (lambda: crnn.Conv3DGRUCell((1, 3, 4, 4), 2, (1, 3, 3), 3, i2h_pad=(0, 1, 1)),
     (2, 3, 1, 3, 4, 4), 'NTC', None,
     [45.97443, 10.09174, 22.41729, 0.19602, 0.40221, 0.55271, 0.8813, 0.5061]),
    (lambda: crnn.Conv1DLSTMCell((2, 6), 2, 3, 5, h2h_dilate=2), (2, 3, 2, 6), 'NTC', [3, 1],
     [2.78779, 0.35788, 1.55176, 3.69903, 0.02822, 0.13214, 0.00814, 0.13214, 0.02929]),
    (lambda: crnn.LSTMPCell(5, 3, input_size=4), (2, 3, 4), 'NTC', [1, 3],
     [-0.14703, 0.03978, -0.07317, -1.01837, -0.00178, 0.13672, 0.00391, 0.05098, 0.13672,
      0.07882]),
]


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('make, x_shape, layout, valid_length, expected', MXNET_FINGERPRINTS)
def test_outputs_states_and_gradients_match_mxnet(make, x_shape, layout, valid_length,
                                                  expected, hybridize):
    got = fingerprint(make(), x_shape, layout, valid_length, hybridize)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-5)


def test_names_prefixes_and_repr_as_in_mxnet():
    cell = crnn.Conv2DLSTMCell((3, 5, 5), 4, 3, 3)
    assert cell.prefix.startswith('conv_lstm') and cell.prefix.endswith('_')
    assert [n[len(cell.prefix):] for n in cell.collect_params()] == \
        ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']
    assert cell.i2h_weight.shape == (16, 3, 3, 3) and cell.h2h_weight.shape == (16, 4, 3, 3)
    assert repr(cell) == 'Conv2DLSTMCell(3 -> 16, tanh, NCHW)'
    assert cell.state_info(2) == [{'shape': (2, 4, 3, 3), '__layout__': 'NCHW'}] * 2
    assert crnn.Conv1DRNNCell((3, 5), 4, 3, 3).prefix.startswith('conv_rnn')
    gru = crnn.Conv3DGRUCell((3, 5, 5, 5), 4, 3, 3)
    assert gru.prefix.startswith('conv_gru') and gru.i2h_bias.shape == (12,)
    assert repr(gru) == 'Conv3DGRUCell(3 -> 12, tanh, NCDHW)'

    lstmp = crnn.LSTMPCell(4, 2)
    assert lstmp.prefix.startswith('lstmp')
    assert [n[len(lstmp.prefix):] for n in lstmp.collect_params()] == \
        ['i2h_weight', 'h2h_weight', 'h2r_weight', 'i2h_bias', 'h2h_bias']
    assert repr(lstmp) == 'LSTMPCell(None -> 16 -> 2)'
    assert [s['shape'] for s in lstmp.state_info(3)] == [(3, 2), (3, 4)]

    base = rnn.LSTMCell(3)
    vardrop = crnn.VariationalDropoutCell(base, 0.1, 0.2, 0.3)
    assert vardrop.prefix == base.prefix + 'vardrop'
    assert repr(vardrop) == 'VariationalDropoutCell(p_out = 0.3, p_state = 0.2)'
    assert set(vardrop.collect_params()) == set(base.collect_params())


def test_channel_last_layout_equals_channel_first():
    first = crnn.Conv2DLSTMCell((2, 5, 4), 3, 3, 3, i2h_pad=1)
    last = crnn.Conv2DLSTMCell((5, 4, 2), 3, 3, 3, i2h_pad=1, conv_layout='NHWC')
    assert last.state_info(1)[0]['shape'] == (1, 5, 4, 3)
    for cell in (first, last):
        cell.initialize()
    for name in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'):
        value = wave(getattr(first, name).shape, 0.5)
        getattr(first, name).set_data(value)
        getattr(last, name).set_data(value.transpose((0, 2, 3, 1)) if value.ndim == 4
                                     else value)
    x = wave((2, 3, 2, 5, 4), 0.9)
    out_first, states_first = first.unroll(3, x, merge_outputs=True)
    out_last, states_last = last.unroll(3, x.transpose((0, 1, 3, 4, 2)), merge_outputs=True)
    np.testing.assert_allclose(out_last.asnumpy(),
                               out_first.asnumpy().transpose(0, 1, 3, 4, 2), atol=1e-6)
    np.testing.assert_allclose(states_last[1].asnumpy(),
                               states_first[1].asnumpy().transpose(0, 2, 3, 1), atol=1e-6)


def test_input_channels_inferred_on_first_call():
    cell = crnn.Conv2DRNNCell((0, 5, 5), 4, 3, 3)
    assert repr(cell) == 'Conv2DRNNCell(None -> 4, tanh, NCHW)'
    cell.initialize()
    out, _ = cell(nd.ones((2, 3, 5, 5)), cell.begin_state(2))
    assert out.shape == (2, 4, 3, 3) and cell.i2h_weight.shape == (4, 3, 3, 3)


def test_symbolic_unroll():
    cell = crnn.Conv1DGRUCell((2, 6), 3, 3, 3, prefix='cg_')
    out, states = cell.unroll(2, mx.sym.var('data'), merge_outputs=True)
    assert out.infer_shape(data=(4, 2, 2, 6))[1] == [(4, 2, 3, 4)]
    assert {'cg_i2h_weight', 'cg_h2h_bias'} <= set(out.list_arguments())
    lstmp = crnn.LSTMPCell(4, 2, prefix='p_')
    outs, _ = lstmp.unroll(2, mx.sym.var('data'), merge_outputs=False)
    assert [o.name for o in outs] == ['p_t0_out', 'p_t1_out']


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='odd'):
        crnn.Conv2DRNNCell((3, 5, 5), 4, 3, 2)
    with pytest.raises(ValueError, match='conv_layout'):
        crnn.Conv2DRNNCell((3, 5, 5), 4, 3, 3, conv_layout='NCW')
    with pytest.raises(ValueError, match='i2h_kernel'):
        crnn.Conv2DRNNCell((3, 5, 5), 4, (3, 3, 3), 3)
    with pytest.raises(ValueError, match='input_shape'):
        crnn.Conv2DRNNCell((5, 5), 4, 3, 3)
    bidirectional = rnn.BidirectionalCell(rnn.GRUCell(3), rnn.GRUCell(3))
    with pytest.raises(ValueError, match='BidirectionalCell'):
        crnn.VariationalDropoutCell(bidirectional, drop_states=0.5)


def identity_relu_vardrop(drop_inputs, drop_states, drop_outputs):
    """h' = relu(x + mask_s * h) masked as asked: the masks show in the outputs."""
    base = rnn.RNNCell(6, activation='relu', input_size=6)
    cell = crnn.VariationalDropoutCell(base, drop_inputs, drop_states, drop_outputs)
    cell.initialize()
    base.i2h_weight.set_data(nd.array(np.eye(6)))
    base.h2h_weight.set_data(nd.array(np.eye(6)))
    return cell


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('rates', [(0.5, 0, 0), (0, 0, 0.5), (0.5, 0.5, 0), (0, 0.5, 0.5)])
def test_variational_dropout_masks_are_shared_across_steps(rates, hybridize):
    mx.random.seed(7)
    cell = identity_relu_vardrop(*rates)
    if hybridize:
        cell.hybridize()
    with autograd.record():
        out, _ = cell.unroll(4, nd.ones((5, 4, 6)), merge_outputs=True)
    out = out.asnumpy()
    drop_inputs, drop_states, drop_outputs = rates
    if not drop_states:
        # out_t = t * mask: one mask for all t
        steps = out / np.arange(1, 5).reshape(1, 4, 1)
        np.testing.assert_allclose(steps, np.repeat(steps[:, :1], 4, axis=1))
        assert set(np.unique(steps)) <= {0., 2.} and 0. in steps and 2. in steps
    else:
        # with the input mask m_x, state mask m_s and output mask m_o:
        # h_1 = m_x, h_2 = m_x + m_s m_x, h_3 = m_x + m_s h_2 ...
        h = out[:, 0] if not drop_outputs else None
        if h is not None:
            m_s = np.where(h > 0, (out[:, 1] - h) / np.where(h > 0, h, 1), 0)
            np.testing.assert_allclose(out[:, 2], h + m_s * out[:, 1])
            np.testing.assert_allclose(out[:, 3], h + m_s * out[:, 2])
        else:
            zeros = out == 0
            assert (zeros == zeros[:, :1]).all()   # dropped output units stay dropped
    # with no recording, nothing is dropped
    out, _ = cell.unroll(4, nd.ones((5, 4, 6)), merge_outputs=True)
    assert (out.asnumpy()[:, 0] == 1).all()


def test_variational_dropout_masks_kept_until_reset():
    mx.random.seed(3)
    cell = identity_relu_vardrop(0, 0, 0.5)
    states = cell.begin_state(8)
    with autograd.record():
        first, states = cell(nd.ones((8, 6)), states)
        second, _ = cell(nd.ones((8, 6)), states)
        cell.reset()
        third, _ = cell(nd.ones((8, 6)), cell.begin_state(8))
    kept = first.asnumpy() != 0
    assert ((second.asnumpy() != 0) == kept).all()
    assert ((third.asnumpy() != 0) != kept).any()


@pytest.mark.parametrize('rates', [(0., 0., 0.), (0., 0.5, 0.)])
def test_variational_dropout_at_rate_zero_or_predicting_is_the_base_cell(rates):
    reference = rnn.LSTMCell(4, input_size=3)
    reference.initialize()
    base = rnn.LSTMCell(4, input_size=3)
    base.initialize()
    for name in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'):
        value = wave(getattr(base, name).shape, 0.8)
        getattr(base, name).set_data(value)
        getattr(reference, name).set_data(value)
    cell = crnn.VariationalDropoutCell(base, drop_states=rates[1])
    x = wave((2, 5, 3), 1.1)
    length = nd.array([3, 5])
    want_out, want_states = reference.unroll(5, x, merge_outputs=True, valid_length=length)
    got_out, got_states = cell.unroll(5, x, merge_outputs=True, valid_length=length)
    np.testing.assert_allclose(got_out.asnumpy(), want_out.asnumpy(), atol=1e-6)
    for got, want in zip(got_states, want_states):
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), atol=1e-6)
    if not rates[1]:
        with autograd.record():   # training, but all rates are 0
            got_out, _ = cell.unroll(5, x, merge_outputs=False)
        assert isinstance(got_out, list) and len(got_out) == 5
        np.testing.assert_allclose(got_out[4].asnumpy()[1], want_out.asnumpy()[1, 4],
                                   atol=1e-6)
