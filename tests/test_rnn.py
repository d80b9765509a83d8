"""gluon.rnn: the recurrent layers and cells, checked against MXNet 1.9.1's outputs
for fixed weights, and for names, shapes, states, layouts, autograd and hybridize."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.gluon import rnn

T, N, C, H = 3, 2, 4, 5
X = np.random.RandomState(1).uniform(-1, 1, (T, N, C)).astype('float32')


def _fill(block):
    """Every parameter from RandomState(0), in sorted-name order: the same setup
    gave the MXNet values below."""
    rs = np.random.RandomState(0)
    params = block.collect_params()
    for name in sorted(params.keys()):
        params[name].set_data(nd.array(rs.uniform(-0.5, 0.5, params[name].shape)))


def _states(shape, n):
    rs = np.random.RandomState(2)
    return [nd.array(rs.uniform(-1, 1, shape)) for _ in range(n)]


def _layer(cls, x=X, **kwargs):
    layer = getattr(rnn, cls)(H, prefix='l_', **kwargs)
    layer.initialize()
    layer(nd.array(x))          # finish the deferred input size
    _fill(layer)
    return layer


def _close(a, expected):
    np.testing.assert_allclose(a.asnumpy().ravel(), expected, rtol=1e-4, atol=2e-6)


# MXNet 1.9.1 outputs (rounded to 6 decimals, flattened) for the setup of _fill()
REF = {
    'rnn_relu': [0., 0.382164, 0.14928, 0.202075, 0.180791, 0., 0.453983, 0.216025, 0.589798,
        0., 0.050521, 0.554013, 0.017197, 0.319884, 0., 0.199132, 0.681437, 0.203044, 0.638781,
        0.072, 0., 0.536878, 0.0114, 0.487655, 0., 0.470013, 0.899302, 0., 0.238179, 0.],
    'rnn_tanh': [-0.421155, 0.364586, 0.14818, 0.199368, 0.178847, -0.516512, 0.425167,
        0.212727, 0.52975, -0.517361, -0.011284, 0.405531, 0.19514, 0.112599, -0.594415,
        0.155472, 0.620657, 0.217368, 0.510733, 0.051332, -0.357467, 0.60018, -0.10981,
        0.519426, -0.034314, 0.393628, 0.68589, -0.339131, 0.168883, -0.19426],
    'lstm': [0.127995, -0.028011, -0.080761, 0.096172, 0.012316, 0.117906, -0.119728,
        -0.038046, -0.026472, 0.082845, 0.152728, -0.046654, -0.184741, 0.162637, -0.054117,
        0.185071, -0.092383, -0.225001, 0.212153, 0.024242, 0.229651, -0.059037, -0.118302,
        0.163784, 0.00111, 0.165832, 0.019248, -0.249622, 0.22457, -0.110028],
    'gru': [-0.212764, -0.250221, -0.197892, 0.243581, -0.538981, 0.070646, -0.171721,
        0.089573, 0.269831, -0.50057, 0.125977, -0.419929, 0.127618, 0.364529, -0.405203,
        -0.193098, -0.470835, -0.060442, 0.404837, -0.509169, -0.028936, -0.390246, -0.042071,
        0.484728, -0.679518, 0.016909, -0.513279, 0.060297, 0.484228, -0.379216],
    'lstm_2layer': [-0.039236, -0.127145, -0.004817, -0.069777, -0.080173, -0.037501,
        -0.117854, -0.005111, -0.087011, -0.092774, -0.033848, -0.191468, -0.011342, -0.083614,
        -0.111358, -0.040544, -0.17859, -0.011143, -0.093972, -0.120611, -0.044917, -0.22585,
        -0.009691, -0.093428, -0.134479, -0.024879, -0.227532, -0.010729, -0.083208, -0.120591],
    'gru_bidirectional': [-0.212764, -0.250221, -0.197892, 0.243581, -0.538981, 0.399532,
        -0.299743, 0.587337, -0.134544, 0.010496, 0.070646, -0.171721, 0.089573, 0.269831,
        -0.50057, 0.34744, -0.219921, 0.183853, 0.040728, -0.053165, 0.125977, -0.419929,
        0.127618, 0.364529, -0.405203, 0.098794, -0.261398, 0.308606, -0.185831, -0.076509,
        -0.193098, -0.470835, -0.060442, 0.404837, -0.509169, 0.057737, -0.342831, 0.436579,
        -0.12476, 0.034256, -0.028936, -0.390246, -0.042071, 0.484728, -0.679518, 0.320575,
        -0.202086, 0.443263, -0.019056, 0.018077, 0.016909, -0.513279, 0.060297, 0.484228,
        -0.379216, -0.053296, -0.244893, 0.330784, -0.393468, 0.063415],
    'rnn_2layer_bidirectional': [-0.360158, -0.020049, -0.548289, 0.552743, -0.032118,
        -0.016738, -0.47374, -0.303612, 0.398068, -0.119863, -0.47336, 0.583151, -0.663319,
        0.456797, -0.236572, 0.080015, -0.45633, -0.789213, 0.391159, 0.419962, -0.736433,
        0.79844, -0.847904, 0.628537, 0.286608, 0.292466, -0.408976, -0.719654, 0.192033,
        0.442935, -0.765076, 0.843656, -0.828166, 0.743548, 0.30548, -0.205836, -0.47871,
        -0.340068, 0.255358, 0.481622, -0.586227, 0.736667, -0.883286, 0.525318, 0.468239,
        0.19059, -0.548288, -0.168396, 0.174217, 0.194852, -0.695262, 0.692239, -0.900296,
        0.593863, 0.655568, 0.18469, -0.380477, -0.374195, -0.082394, 0.419736],
    'lstm_ntc_states': {
        'out': [0.19452, -0.195723, 0.02675, -0.079679, -0.029973, 0.190255, -0.166064,
            0.099017, -0.268974, 0.196327, 0.107903, -0.213719, 0.006482, -0.127542, -0.027181,
            0.161192, -0.176299, 0.084088, -0.256807, 0.231887, 0.05131, -0.238009, -0.006331,
            -0.139004, -0.043748, 0.065342, -0.166483, -0.030769, -0.211444, 0.222694,
            -0.044497, -0.286195, -0.063719, 0.201292, 0.141282, 0.283645, -0.168321, 0.131069,
            -0.21416, 0.209828, -0.027229, -0.205066, -0.052949, 0.049911, 0.000863, 0.269516,
            -0.183258, 0.106921, -0.18629, 0.193399, 0.003843, -0.244951, -0.025623, -0.046185,
            -0.12119, 0.21312, -0.160537, -0.050187, -0.102455, 0.070908],
        'h': [0.288818, -0.061862, -0.108217, 0.041511, -0.030023, 0.14285, 0.020588, -0.23314,
            0.225366, -0.096909, 0.348904, -0.169669, -0.198486, -0.108449, 0.207921, 0.21995,
            -0.092079, -0.176714, 0.061088, 0.316654, 0.05131, -0.238009, -0.006331, -0.139004,
            -0.043748, 0.003843, -0.244951, -0.025623, -0.046185, -0.12119, 0.190255,
            -0.166064, 0.099017, -0.268974, 0.196327, 0.283645, -0.168321, 0.131069, -0.21416,
            0.209828],
        'c': [0.639159, -0.158658, -0.190276, 0.067312, -0.060645, 0.340582, 0.083004,
            -0.385203, 0.380318, -0.177436, 1.095064, -0.729433, -0.451532, -0.288475,
            0.375657, 0.570489, -0.625075, -0.553403, 0.110484, 0.598018, 0.098853, -0.635464,
            -0.018584, -0.498286, -0.064583, 0.006921, -0.582959, -0.063301, -0.121242,
            -0.173013, 0.379584, -0.39607, 0.232443, -0.575068, 0.501508, 0.537353, -0.364851,
            0.332311, -0.424771, 0.477783],
    },
    'gru_states': {
        'out': [-0.325185, -0.82637, -0.047868, 0.171053, -0.525135, -0.17549, -0.533592,
            0.29399, -0.009451, -0.613122, 0.018606, -0.717003, 0.223059, 0.315997, -0.419235,
            -0.313827, -0.671718, 0.139329, 0.190078, -0.560119, -0.101833, -0.576029,
            0.037398, 0.454522, -0.669668, -0.091096, -0.61074, 0.181445, 0.310407, -0.428549],
        'h': [-0.101833, -0.576029, 0.037398, 0.454522, -0.669668, -0.091096, -0.61074,
            0.181445, 0.310407, -0.428549],
    },
    'RNNCelltanh': {
        'out': [-0.389402, 0.325197, 0.533598, -0.121555, 0.504978, -0.552647, 0.365888,
            0.409382, 0.297793, -0.265877],
        'state0': [-0.389402, 0.325197, 0.533598, -0.121555, 0.504978, -0.552647, 0.365888,
            0.409382, 0.297793, -0.265877],
    },
    'RNNCellrelu': {
        'out': [0., 0.337448, 0.595162, 0., 0.555965, 0., 0.383667, 0.434869, 0.307096, 0.],
        'state0': [0., 0.337448, 0.595162, 0., 0.555965, 0., 0.383667, 0.434869, 0.307096, 0.],
    },
    'LSTMCell': {
        'out': [0.158932, 0.059802, -0.248307, 0.053607, -0.125036, 0.200115, 0.144515,
            -0.062564, 0.253536, -0.079774],
        'state0': [0.158932, 0.059802, -0.248307, 0.053607, -0.125036, 0.200115, 0.144515,
            -0.062564, 0.253536, -0.079774],
        'state1': [0.330719, 0.157685, -0.499857, 0.091625, -0.314059, 0.458113, 0.263141,
            -0.143624, 0.427893, -0.164901],
    },
    'GRUCell': {
        'out': [-0.325185, -0.82637, -0.047868, 0.171053, -0.525135, -0.17549, -0.533592,
            0.29399, -0.009451, -0.613122],
        'state0': [-0.325185, -0.82637, -0.047868, 0.171053, -0.525135, -0.17549, -0.533592,
            0.29399, -0.009451, -0.613122],
    },
    'seq_unroll': {
        'out': [0.097917, -0.058261, 0.158508, 0.198931, -0.357264, 0.148993, -0.144075,
            0.188983, 0.218018, -0.291549, 0.180171, -0.077578, 0.240978, 0.340534, -0.52377,
            0.18214, -0.113631, 0.257266, 0.365212, -0.512418, 0.216244, -0.057943, 0.289765,
            0.440453, -0.61274, 0.212675, -0.058305, 0.29543, 0.455503, -0.603989],
        'state0': [0.075201, -0.208246, -0.232149, 0.075913, 0.202081, 0.079749, -0.221467,
            -0.177517, 0.080162, 0.220243],
        'state1': [0.234273, -0.628015, -0.486354, 0.149558, 0.303655, 0.188971, -0.531008,
            -0.405202, 0.134193, 0.459844],
        'state2': [0.216244, -0.057943, 0.289765, 0.440453, -0.61274, 0.212675, -0.058305,
            0.29543, 0.455503, -0.603989],
    },
}


LAYER_CASES = {
    'rnn_relu': ('RNN', dict(activation='relu')),
    'rnn_tanh': ('RNN', dict(activation='tanh')),
    'lstm': ('LSTM', {}),
    'gru': ('GRU', {}),
    'lstm_2layer': ('LSTM', dict(num_layers=2)),
    'gru_bidirectional': ('GRU', dict(bidirectional=True)),
    'rnn_2layer_bidirectional': ('RNN', dict(num_layers=2, bidirectional=True,
                                             activation='tanh')),
}


@pytest.mark.parametrize('case', sorted(LAYER_CASES))
def test_layer_matches_mxnet(case):
    cls, kwargs = LAYER_CASES[case]
    layer = _layer(cls, **kwargs)
    out = layer(nd.array(X))
    assert isinstance(out, nd.NDArray)     # no states given: the output alone
    _close(out, REF[case])


@pytest.mark.parametrize('case', sorted(LAYER_CASES))
def test_layer_hybridized_matches_mxnet(case):
    cls, kwargs = LAYER_CASES[case]
    layer = _layer(cls, **kwargs)
    layer.hybridize()
    _close(layer(nd.array(X)), REF[case])
    _close(layer(nd.array(X)), REF[case])     # the compiled plan, second call


def test_lstm_ntc_with_states_matches_mxnet():
    x = X.transpose(1, 0, 2)
    layer = _layer('LSTM', x, num_layers=2, bidirectional=True, layout='NTC')
    states = _states((4, N, H), 2)
    for hybrid in (False, True):
        layer.hybridize(hybrid)
        out, (h, c) = layer(nd.array(x), states)
        assert out.shape == (N, T, 2 * H) and h.shape == c.shape == (4, N, H)
        ref = REF['lstm_ntc_states']
        _close(out, ref['out'])
        _close(h, ref['h'])
        _close(c, ref['c'])


def test_gru_with_states_matches_mxnet():
    layer = _layer('GRU')
    state = _states((1, N, H), 1)[0]
    # one state may be given bare, as in MXNet; the new states come back in a list
    out, new = layer(nd.array(X), state)
    assert isinstance(new, list) and len(new) == 1
    _close(out, REF['gru_states']['out'])
    _close(new[0], REF['gru_states']['h'])


def test_layer_parameter_names_shapes_and_repr():
    layer = rnn.RNN(5, 2, bidirectional=True)
    names = [(k, v.shape) for k, v in layer.collect_params().items()]
    prefix = layer.prefix
    assert prefix.startswith('rnn')
    expected = []
    for layer_i, in_size in ((0, 0), (1, 10)):
        for d in 'lr':
            expected += [(f'{prefix}{d}{layer_i}_i2h_weight', (5, in_size)),
                         (f'{prefix}{d}{layer_i}_h2h_weight', (5, 5)),
                         (f'{prefix}{d}{layer_i}_i2h_bias', (5,)),
                         (f'{prefix}{d}{layer_i}_h2h_bias', (5,))]
    assert names == expected
    assert repr(layer) == 'RNN(None -> 5, TNC, num_layers=2, bidirectional)'
    assert repr(rnn.LSTM(5, dropout=0.2, input_size=3)) == 'LSTM(3 -> 5, TNC, dropout=0.2)'
    lstm, gru = rnn.LSTM(5), rnn.GRU(5)
    assert lstm.l0_i2h_weight.shape == (20, 0) and gru.l0_h2h_weight.shape == (15, 5)
    lstm.initialize()
    lstm(nd.ones((3, 2, 7)))
    assert lstm.l0_i2h_weight.shape == (20, 7) and repr(lstm) == 'LSTM(7 -> 5, TNC)'


def test_state_info_and_begin_state():
    layer = rnn.LSTM(5, 2)
    assert layer.state_info(3) == [{'shape': (2, 3, 5), '__layout__': 'LNC',
                                    'dtype': 'float32'}] * 2
    states = layer.begin_state(3)
    assert [s.shape for s in states] == [(2, 3, 5)] * 2 and states[0].asnumpy().sum() == 0
    ones = rnn.GRU(4, bidirectional=True).begin_state(2, func=nd.ones)
    assert len(ones) == 1 and ones[0].shape == (2, 2, 4) and ones[0].asnumpy().min() == 1
    with pytest.raises(mx.base.MXNetError):
        rnn.RNN(3, layout='CTN')


def test_layer_gradients_reach_every_parameter():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True)
    layer.initialize()
    x = nd.array(X)
    x.attach_grad()
    with autograd.record():
        out, states = layer(x, layer.begin_state(N))
        loss = (out ** 2).sum() + (states[1] ** 2).sum()
    loss.backward()
    assert np.abs(x.grad.asnumpy()).sum() > 0
    for name, p in layer.collect_params().items():
        assert np.abs(p.grad().asnumpy()).sum() > 0, name


def test_layer_gradient_matches_finite_differences():
    layer = _layer('GRU', bidirectional=True)
    w = layer.collect_params()['l_r0_h2h_weight']
    with autograd.record():
        loss = layer(nd.array(X)).sum()
    loss.backward()
    grad = w.grad().asnumpy()[2, 3]
    base = w.data().asnumpy().astype(np.float64)
    eps, values = 1e-2, []
    for sign in (1, -1):
        v = base.copy()
        v[2, 3] += sign * eps
        w.set_data(nd.array(v))
        values.append(float(layer(nd.array(X)).sum().asscalar()))
    assert abs((values[0] - values[1]) / (2 * eps) - grad) < 1e-3


def test_dropout_between_layers_only_in_training():
    layer = rnn.RNN(8, num_layers=2, dropout=0.5, activation='tanh')
    layer.initialize()
    x = nd.array(np.random.RandomState(3).uniform(-1, 1, (4, 3, 2)))
    a, b = layer(x), layer(x)
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())    # predicting: no dropout
    mx.random.seed(0)
    with autograd.train_mode():
        c = layer(x)
    assert not np.allclose(a.asnumpy(), c.asnumpy())
    one = rnn.RNN(8, dropout=0.5)       # a single layer has nowhere to drop
    one.initialize()
    with autograd.train_mode():
        np.testing.assert_array_equal(one(x).asnumpy(), one(x).asnumpy())


def test_hybridized_layer_follows_sequence_length_and_state_arguments():
    layer = rnn.GRU(4, layout='NTC')
    layer.initialize()
    layer.hybridize()
    for steps in (3, 5):
        assert layer(nd.ones((2, steps, 3))).shape == (2, steps, 4)
    out, states = layer(nd.ones((2, 2, 3)), layer.begin_state(2))
    assert out.shape == (2, 2, 4) and states[0].shape == (1, 2, 4)


def test_layer_inside_hybridized_sequential():
    from d2lmini.gluon import nn
    net = nn.HybridSequential()
    net.add(rnn.LSTM(4), nn.Dense(2, flatten=False))
    net.initialize()
    x = nd.array(X)
    eager = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-5, atol=1e-6)


def test_layer_in_network_hybridized_before_any_call():
    """The input size of the layer is deferred and the network is hybridized before it
    ever ran: the first call infers the shapes, and one graph serves every length."""
    from d2lmini.gluon import nn
    mx.random.seed(7)
    net = nn.HybridSequential()
    net.add(rnn.LSTM(4, bidirectional=True), nn.Dense(2, flatten=False))
    net.initialize()
    net.hybridize()
    for steps in (3, 6):
        x = nd.array(np.random.default_rng(steps).normal(size=(steps, 2, 5)))
        with mx.autograd.record():
            y = net(x)
        y.backward()
        assert y.shape == (steps, 2, 2)
    assert net[0].l0_i2h_weight.shape == (16, 5)
    # the same weights run imperatively give the same result
    mx.random.seed(7)
    plain = nn.HybridSequential()
    plain.add(rnn.LSTM(4, bidirectional=True), nn.Dense(2, flatten=False))
    plain.initialize()
    np.testing.assert_allclose(plain(x).asnumpy(), net(x).asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('cls,act', [('RNNCell', 'tanh'), ('RNNCell', 'relu'),
                                     ('LSTMCell', None), ('GRUCell', None)])
def test_cell_step_matches_mxnet(cls, act):
    kwargs = {'activation': act} if act else {}
    cell = getattr(rnn, cls)(H, input_size=C, prefix='c_', **kwargs)
    cell.initialize()
    _fill(cell)
    states = _states((N, H), len(cell.state_info(N)))
    ref = REF[cls + (act or '')]
    for hybrid in (False, True):
        cell.hybridize(hybrid)
        out, new = cell(nd.array(X[0]), states)
        _close(out, ref['out'])
        for i, s in enumerate(new):
            _close(s, ref[f'state{i}'])


def test_cell_names_state_info_and_repr():
    lstm = rnn.LSTMCell(5)
    assert lstm.prefix.startswith('lstm')
    assert [(k[len(lstm.prefix):], v.shape) for k, v in lstm.collect_params().items()] == [
        ('i2h_weight', (20, 0)), ('h2h_weight', (20, 5)), ('i2h_bias', (20,)),
        ('h2h_bias', (20,))]
    assert lstm.state_info(2) == [{'shape': (2, 5), '__layout__': 'NC'}] * 2
    assert repr(lstm) == 'LSTMCell(None -> 20)'
    assert repr(rnn.RNNCell(5)) == 'RNNCell(None -> 5, tanh)'
    assert repr(rnn.GRUCell(5, input_size=4)) == 'GRUCell(4 -> 15)'
    assert rnn.GRUCell(3).prefix.startswith('gru')
    assert rnn.DropoutCell(0.5).prefix.startswith('dropout')


def test_sequential_cell_unroll_matches_mxnet():
    seq = rnn.SequentialRNNCell(prefix='s_')
    with seq.name_scope():
        seq.add(rnn.LSTMCell(H, input_size=C))
        seq.add(rnn.GRUCell(H, input_size=H))
    assert sorted(seq.collect_params().keys()) == sorted(
        f's_{c}0_{n}' for c in ('lstm', 'gru')
        for n in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'))
    seq.initialize()
    _fill(seq)
    out, states = seq.unroll(T, nd.array(X), layout='TNC', merge_outputs=True)
    assert out.shape == (T, N, H) and len(states) == 3
    _close(out, REF['seq_unroll']['out'])
    for i, s in enumerate(states):
        _close(s, REF['seq_unroll'][f'state{i}'])


def test_unroll_outputs_and_layouts():
    cell = rnn.GRUCell(5)
    cell.initialize()
    x = nd.array(np.random.RandomState(4).uniform(-1, 1, (2, 3, 4)))
    outs, states = cell.unroll(3, x)                  # NTC, outputs as a list
    assert isinstance(outs, list) and len(outs) == 3 and len(states) == 1
    merged, _ = cell.unroll(3, x, merge_outputs=True)
    assert merged.shape == (2, 3, 5)
    steps = [x[:, t] for t in range(3)]
    listed, last = cell.unroll(3, steps, begin_state=cell.begin_state(2))
    for a, b in zip(listed, outs):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(last[0].asnumpy(), outs[-1].asnumpy(), rtol=1e-6)
    # the layer runs the same recurrence as the cell with the same weights
    layer = rnn.GRU(5, layout='NTC', input_size=4)
    layer.initialize()
    for name in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'):
        getattr(layer, 'l0_' + name).set_data(getattr(cell, name).data())
    np.testing.assert_allclose(layer(x).asnumpy(), merged.asnumpy(), rtol=1e-5, atol=1e-6)


def test_dropout_and_residual_cells():
    drop = rnn.DropoutCell(0.5)
    x = nd.ones((4, 6))
    out, states = drop(x, [])
    assert states == [] and drop.state_info(2) == []
    np.testing.assert_array_equal(out.asnumpy(), x.asnumpy())
    with autograd.train_mode():
        kept = drop(x, [])[0].asnumpy()
    assert set(np.unique(kept)) <= {0., 2.}
    base = rnn.GRUCell(4, input_size=4)
    res = rnn.ResidualCell(base)
    assert res.prefix == base.prefix + 'residualcell'
    assert list(res.collect_params().keys()) == list(base.collect_params().keys())
    res.initialize()
    x = nd.array(np.random.RandomState(5).uniform(-1, 1, (2, 4)))
    states = res.begin_state(2)
    out, _ = res(x, states)
    plain, _ = base(x, states)
    np.testing.assert_allclose(out.asnumpy(), plain.asnumpy() + x.asnumpy(), rtol=1e-6)


def test_rnn_operator_honours_sequence_lengths():
    """Steps past an example's length leave its state alone and output zeros; the
    reverse direction starts at the example's own end. Each example then matches a
    run on its own, cut to its length."""
    rng = np.random.default_rng(0)
    T, N, C, H = 5, 3, 2, 3
    size = mx.ops.rnn.param_size('lstm', C, H, 1, bidirectional=True)
    x = nd.array(rng.normal(size=(T, N, C)))
    w = nd.array(rng.normal(scale=0.5, size=(size,)))
    h0, c0 = nd.array(rng.normal(size=(2, N, H))), nd.array(rng.normal(size=(2, N, H)))
    lengths = [5, 2, 3]
    out, hy, cy = nd.RNN(x, w, h0, c0, nd.array(lengths), state_size=H, num_layers=1,
                         bidirectional=True, mode='lstm', state_outputs=True,
                         use_sequence_length=True)
    for b, n in enumerate(lengths):
        alone = nd.RNN(x[:n, b:b + 1], w, h0[:, b:b + 1], c0[:, b:b + 1], state_size=H,
                       num_layers=1, bidirectional=True, mode='lstm', state_outputs=True)
        np.testing.assert_allclose(out[:n, b].asnumpy(), alone[0][:, 0].asnumpy(), rtol=1e-5,
                                   atol=1e-6)
        assert not out[n:, b].asnumpy().any()
        np.testing.assert_allclose(hy[:, b].asnumpy(), alone[1][:, 0].asnumpy(), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(cy[:, b].asnumpy(), alone[2][:, 0].asnumpy(), rtol=1e-5,
                                   atol=1e-6)


def test_rnn_operator_refuses_mismatched_inputs():
    x = nd.ones((4, 2, 3))
    size = mx.ops.rnn.param_size('gru', 3, 5, 1)
    with pytest.raises(mx.base.MXNetError, match='parameters has 7 elements'):
        nd.RNN(x, nd.ones((7,)), nd.zeros((1, 2, 5)), state_size=5, num_layers=1, mode='gru')
    with pytest.raises(mx.base.MXNetError, match=r'state must have shape \(1, 2, 5\)'):
        nd.RNN(x, nd.ones((size,)), nd.zeros((1, 3, 5)), state_size=5, num_layers=1,
               mode='gru')
    with pytest.raises(mx.base.MXNetError, match='state_cell'):
        nd.RNN(x, nd.ones((mx.ops.rnn.param_size('lstm', 3, 5, 1),)), nd.zeros((1, 2, 5)),
               state_size=5, num_layers=1, mode='lstm')
    with pytest.raises(mx.base.MXNetError, match='mode'):
        mx.ops.rnn.param_size('elman', 3, 5, 1)


def test_lstm_cell_state_clipping():
    x = nd.ones((6, 1, 2)) * 3
    size = mx.ops.rnn.param_size('lstm', 2, 2, 1)
    w = nd.ones((size,))
    _, _, c = nd.RNN(x, w, nd.zeros((1, 1, 2)), nd.zeros((1, 1, 2)), state_size=2,
                     num_layers=1, mode='lstm', state_outputs=True)
    assert c.asnumpy().max() > 3          # the cell state grows by about 1 a step
    _, _, c = nd.RNN(x, w, nd.zeros((1, 1, 2)), nd.zeros((1, 1, 2)), state_size=2,
                     num_layers=1, mode='lstm', state_outputs=True,
                     lstm_state_clip_min=-1.5, lstm_state_clip_max=1.5)
    np.testing.assert_allclose(c.asnumpy(), 1.5)


def test_symbolic_rnn_lists_mxnets_inputs_and_outputs():
    out = mx.sym.RNN(mx.sym.var('data'), mx.sym.var('parameters'), mx.sym.var('state'),
                     mx.sym.var('state_cell'), state_size=5, num_layers=1, mode='lstm',
                     state_outputs=True, name='rnn')
    assert out.list_outputs() == ['rnn_output', 'rnn_state_output', 'rnn_statecell_output']
    args, outs, _ = out.infer_shape(data=(3, 2, 4))
    assert args == [(3, 2, 4), (220,), (1, 2, 5), (1, 2, 5)]
    assert outs == [(3, 2, 5), (1, 2, 5), (1, 2, 5)]
    gru = mx.sym.RNN(state_size=5, num_layers=2, mode='gru', bidirectional=True, name='r2')
    assert gru.list_arguments() == ['r2_data', 'r2_parameters', 'r2_state']
    assert gru.infer_shape(r2_data=(3, 2, 4))[0][1] == (840,)


def test_layer_refuses_input_without_three_dimensions():
    layer = rnn.LSTM(4)
    layer.initialize()
    with pytest.raises(mx.base.MXNetError, match='3 dimensions.*got shape \\(3, 4\\)'):
        layer(nd.ones((3, 4)))
