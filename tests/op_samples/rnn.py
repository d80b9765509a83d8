"""Cases for d2lmini/ops/rnn.py."""
import numpy as np

from d2lmini.ops.rnn import param_size

from . import Case

T, N, C, H = 3, 2, 2, 3


def _rnn_inputs(mode, layers=1, bidirectional=False, projection=None, lengths=None):
    """data, parameters, state (and state_cell for LSTM, lengths when given)."""
    def make(rng):
        dirs = 2 if bidirectional else 1
        size = param_size(mode, C, H, layers, bidirectional, projection)
        arrays = [rng.normal(size=(T, N, C)), rng.normal(scale=0.5, size=(size,)),
                  rng.normal(size=(layers * dirs, N, projection or H))]
        if mode == 'lstm':
            arrays.append(rng.normal(size=(layers * dirs, N, H)))
        if lengths is not None:
            arrays.append(np.array(lengths, dtype=np.float64))
        return arrays
    return make


def _case(mode, layers=1, bidirectional=False, projection=None, lengths=None, **attrs):
    n_states = 2 if mode == 'lstm' else 1
    return Case(inputs=_rnn_inputs(mode, layers, bidirectional, projection, lengths),
                wrt=list(range(2 + n_states)),
                attrs=dict(state_size=H, num_layers=layers, bidirectional=bidirectional,
                           mode=mode, state_outputs=True, projection_size=projection,
                           use_sequence_length=lengths is not None, **attrs))


CASES = {
    'RNN': [
        _case('rnn_tanh'),
        _case('rnn_relu', layers=2),
        _case('gru', bidirectional=True),
        _case('lstm', layers=2, bidirectional=True),
        _case('lstm', projection=2),
        _case('gru', lengths=[3, 1]),
        _case('lstm', bidirectional=True, lengths=[2, 3]),
        _case('lstm', lstm_state_clip_min=-5.0, lstm_state_clip_max=5.0),
        Case(inputs=_rnn_inputs('gru', layers=2), wrt=[0, 1, 2], seed=3,
             attrs=dict(state_size=H, num_layers=2, mode='gru', p=0.4)),
    ],
    '_backward_RNN': [
        Case(inputs=lambda rng: [rng.normal(size=(T, N, H)), rng.normal(size=(1, N, H)),
                                 np.zeros(0)] + _rnn_inputs('gru')(rng) + [np.zeros(0)] * 3,
             attrs=dict(state_size=H, num_layers=1, mode='gru'),
             nondiff='the gradient of RNN, differentiable once'),
    ],
}
