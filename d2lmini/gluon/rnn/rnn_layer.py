"""Recurrent layers over whole sequences: ``RNN``, ``LSTM`` and ``GRU``.

A layer holds, for each layer ``l`` and direction (``l`` forward, ``r`` reverse),
the four parameters ``{l,r}{l}_i2h_weight`` (``gates * hidden, input``),
``..._h2h_weight`` (``gates * hidden, hidden``), ``..._i2h_bias`` and
``..._h2h_bias``, named and shaped as in MXNet so that saved parameters load either
way. Instead of a fused recurrent operator, ``hybrid_forward`` unrolls the time
steps with ``FullyConnected``, ``split``, the activations and ``stack``; autograd
and ``hybridize()`` then work as for any other layer. A hybridized layer traces the
number of time steps of the data it is called with, and traces again when it changes.

>>> import d2lmini as mx
>>> from d2lmini.gluon import rnn
>>> layer = rnn.LSTM(5, num_layers=2)
>>> layer.initialize()
>>> x = mx.nd.ones((3, 2, 4))                   # (time, batch, features)
>>> layer(x).shape
(3, 2, 5)
>>> out, (h, c) = layer(x, layer.begin_state(batch_size=2))
>>> h.shape, c.shape
((2, 2, 5), (2, 2, 5))
"""
from ... import ndarray as nd
from ...base import MXNetError
from ..block import HybridBlock


def _unstack(F, x, n, axis):
    """The ``n`` slices of ``x`` along ``axis``, with that axis removed."""
    if n == 1:
        # split with one output gives the array itself, not a list
        return [F.squeeze(x, axis=axis)]
    parts = F.split(x, num_outputs=n, axis=axis, squeeze_axis=True)
    return [parts[i] for i in range(n)]


def _gate_split(F, x, n):
    """The ``n`` equal blocks of the gate axis (axis 1) of ``x``."""
    parts = F.split(x, num_outputs=n, axis=1)
    return [parts[i] for i in range(n)]


def lstm_step(F, i2h, h2h, c):
    """One LSTM update from the two affine maps; the gates come in the order input,
    forget, candidate, output. Returns ``(h, c)``."""
    in_gate, forget_gate, candidate, out_gate = _gate_split(F, i2h + h2h, 4)
    c = F.sigmoid(forget_gate) * c + F.sigmoid(in_gate) * F.tanh(candidate)
    return F.sigmoid(out_gate) * F.tanh(c), c


def gru_step(F, i2h, h2h, h):
    """One GRU update, gates in the order reset, update, new. The reset gate scales
    the hidden map *after* its bias is added (``n = tanh(W_in x + b_in + r * (W_hn h
    + b_hn))``), the variant MXNet and cuDNN compute."""
    i_r, i_z, i_n = _gate_split(F, i2h, 3)
    h_r, h_z, h_n = _gate_split(F, h2h, 3)
    reset = F.sigmoid(i_r + h_r)
    update = F.sigmoid(i_z + h_z)
    new = F.tanh(i_n + reset * h_n)
    # (1 - z) * n + z * h, written with one product fewer
    return new + update * (h - new)


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share; ``mode`` is 'rnn_relu', 'rnn_tanh', 'lstm' or
    'gru'."""

    _gates = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, dtype='float32', prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        if layout not in ('TNC', 'NTC'):
            raise MXNetError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        self._hidden_size = hidden_size
        self._num_layers = num_layers
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._mode = mode
        self._dtype = dtype
        self._seq_len = None       # time steps of the last NDArray input (for tracing)
        self._trace_key = None
        gates = self._gates[mode] * hidden_size
        with self.name_scope():
            in_size = input_size
            for layer in range(num_layers):
                for direction in 'lr'[:self._dir]:
                    name = f'{direction}{layer}_'
                    # declared in MXNet's order, so that collect_params lists them alike
                    self._declare(name + 'i2h_weight', (gates, in_size), i2h_weight_initializer)
                    self._declare(name + 'h2h_weight', (gates, hidden_size),
                                  h2h_weight_initializer)
                    self._declare(name + 'i2h_bias', (gates,), i2h_bias_initializer)
                    self._declare(name + 'h2h_bias', (gates,), h2h_bias_initializer)
                in_size = hidden_size * self._dir

    def _declare(self, name, shape, init):
        setattr(self, name, self.params.get(name, shape=shape, init=init, dtype=self._dtype,
                                            allow_deferred_init=True))

    def __repr__(self):
        in_size = getattr(self, 'l0_i2h_weight').shape[1]
        extra = [self._layout]
        if self._num_layers != 1:
            extra.append(f'num_layers={self._num_layers}')
        if self._dropout != 0:
            extra.append(f'dropout={self._dropout}')
        if self._dir == 2:
            extra.append('bidirectional')
        return (f'{type(self).__name__}({in_size or None} -> {self._hidden_size}, '
                f'{", ".join(extra)})')

    def state_info(self, batch_size=0):
        """The shape, layout and type of each state: ``h`` (and ``c`` for LSTM),
        each ``(num_layers * directions, batch, hidden)``."""
        info = {'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                '__layout__': 'LNC', 'dtype': self._dtype}
        return [dict(info) for _ in range(2 if self._mode == 'lstm' else 1)]

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states made by ``func`` (zeros by default) with the shapes of
        :meth:`state_info`; ``kwargs`` (``ctx=``, ``dtype=``) go to ``func``.

        >>> from d2lmini.gluon import rnn
        >>> [s.shape for s in rnn.LSTM(4, num_layers=3).begin_state(batch_size=2)]
        [(3, 2, 4), (3, 2, 4)]
        """
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info.update(kwargs)
            states.append(func(name=f'{self.prefix}h0_{i}', **info))
        return states

    def forward(self, inputs, states=None):
        """``layer(x)`` gives the output; ``layer(x, states)`` gives ``(output,
        new_states)``. Leaving out the states starts from zeros."""
        if states is not None and not isinstance(states, (list, tuple)):
            states = [states]
        states = list(states) if states is not None else []
        if isinstance(inputs, nd.NDArray):
            self._seq_len = inputs.shape[self._layout.find('T')]
            key = (self._seq_len, len(states))
            if key != self._trace_key:
                # the unrolled graph is fixed to one length and one set of inputs
                self._clear_cached_op()
                self._trace_key = key
        if states:
            expected = self.state_info()
            if len(states) != len(expected):
                raise MXNetError(f'{self.name} ({type(self).__name__}): expects '
                                 f'{len(expected)} state(s), got {len(states)}')
        return super().forward(inputs, *states)

    def hybrid_forward(self, F, inputs, *states, **params):
        if self._seq_len is None:
            raise MXNetError(
                f'{self.name} ({type(self).__name__}): the number of time steps is not known '
                'while tracing; call the layer once on an NDArray of the sequence length first')
        steps = self._seq_len
        if self._layout == 'NTC':
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        # states[k] has (layer, direction) at index layer * directions + direction
        given = [_unstack(F, s, self._num_layers * self._dir, 0) for s in states]
        finals = [[] for _ in range(2 if self._mode == 'lstm' else 1)]
        x = inputs
        for layer in range(self._num_layers):
            outs = []
            for d, direction in enumerate('lr'[:self._dir]):
                k = layer * self._dir + d
                init = [g[k] for g in given] if given else None
                out, last = self._one_direction(F, x, f'{direction}{layer}_', params, steps,
                                                init, reverse=d == 1)
                outs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            x = outs[0] if len(outs) == 1 else F.concat(*outs, dim=2)
            if self._dropout and layer < self._num_layers - 1:
                # between layers only, and only while training (mode 'training')
                x = F.Dropout(x, p=self._dropout)
        if self._layout == 'NTC':
            x = F.swapaxes(x, dim1=0, dim2=1)
        if not states:
            return x
        return x, [F.stack(*f, axis=0) for f in finals]

    def _one_direction(self, F, x, name, params, steps, init, reverse):
        """Run one layer in one direction over ``x`` (TNC): returns the outputs
        (TNC) and the final states."""
        gates = self._gates[self._mode] * self._hidden_size
        # the input map of every step at once: one product instead of ``steps``
        i2h = F.FullyConnected(x, params[name + 'i2h_weight'], params[name + 'i2h_bias'],
                               num_hidden=gates, flatten=False)
        i2h = _unstack(F, i2h, steps, 0)
        if init is None:
            # zeros of shape (batch, hidden), taken from the data so that no batch
            # size needs to be known when tracing
            zero = F.zeros_like(F.slice_axis(i2h[0], axis=1, begin=0, end=self._hidden_size))
            init = [zero, zero] if self._mode == 'lstm' else [zero]
        h = init[0]
        c = init[1] if self._mode == 'lstm' else None
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        outputs = [None] * steps
        for t in order:
            h2h = F.FullyConnected(h, params[name + 'h2h_weight'], params[name + 'h2h_bias'],
                                   num_hidden=gates)
            if self._mode == 'lstm':
                h, c = lstm_step(F, i2h[t], h2h, c)
            elif self._mode == 'gru':
                h = gru_step(F, i2h[t], h2h, h)
            else:
                h = F.Activation(i2h[t] + h2h, act_type=self._mode[4:])
            outputs[t] = h
        return F.stack(*outputs, axis=0), ([h, c] if self._mode == 'lstm' else [h])


class RNN(_RNNLayer):
    r"""A multi-layer Elman network: ``h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``
    with ``act`` ``'relu'`` (the default) or ``'tanh'``.

    Input ``(T, N, C)`` for ``layout='TNC'``, ``(N, T, C)`` for ``'NTC'``; output has
    ``hidden_size * directions`` features. ``dropout`` is applied to the outputs of
    every layer but the last while training.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> layer = rnn.RNN(8, num_layers=2, activation='tanh', bidirectional=True)
    >>> layer.initialize()
    >>> out, [h] = layer(mx.nd.ones((5, 3, 4)), layer.begin_state(3))
    >>> out.shape, h.shape
    ((5, 3, 16), (4, 3, 8))
    """

    def __init__(self, hidden_size, num_layers=1, activation='relu', layout='TNC', dropout=0,
                 bidirectional=False, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, dtype='float32', **kwargs):
        if activation not in ('relu', 'tanh'):
            raise MXNetError(f"RNN: activation must be 'relu' or 'tanh', got {activation!r}")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'rnn_' + activation, dtype=dtype, **kwargs)


class LSTM(_RNNLayer):
    """A multi-layer long short-term memory network; states ``[h, c]``. The four gate
    blocks of each weight are, in order, input, forget, candidate (``tanh``), output.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> layer = rnn.LSTM(6, layout='NTC')
    >>> layer.initialize()
    >>> layer(mx.nd.ones((2, 7, 3))).shape, layer.l0_i2h_weight.shape
    ((2, 7, 6), (24, 3))
    """

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 projection_size=None, dtype='float32', **kwargs):
        if projection_size:
            raise NotImplementedError('LSTM: projection_size is not supported')
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'lstm', dtype=dtype, **kwargs)


class GRU(_RNNLayer):
    """A multi-layer gated recurrent unit network; gate blocks in the order reset,
    update, new (see :func:`gru_step` for where the reset gate applies).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> layer = rnn.GRU(4, input_size=3)
    >>> layer.initialize()
    >>> layer(mx.nd.ones((5, 2, 3))).shape, layer.l0_h2h_weight.shape
    ((5, 2, 4), (12, 4))
    """

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', dtype='float32',
                 **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'gru', dtype=dtype, **kwargs)


__all__ = ['RNN', 'LSTM', 'GRU']
