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
import re

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
                 h2h_bias_initializer, mode, dtype='float32', projection_size=None,
                 h2r_weight_initializer=None, prefix=None, params=None):
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
        self._projection_size = projection_size
        self._initializers = {'i2h_weight_initializer': i2h_weight_initializer,
                              'h2h_weight_initializer': h2h_weight_initializer,
                              'i2h_bias_initializer': i2h_bias_initializer,
                              'h2h_bias_initializer': h2h_bias_initializer}
        self._seq_len = None       # time steps of the last NDArray input (for tracing)
        self._trace_key = None
        gates = self._gates[mode] * hidden_size
        # what each step passes on: h, or its projection r = W_hr h (LSTMP)
        recurrent_size = projection_size or hidden_size
        with self.name_scope():
            in_size = input_size
            for layer in range(num_layers):
                for direction in 'lr'[:self._dir]:
                    name = f'{direction}{layer}_'
                    # declared in MXNet's order, so that collect_params lists them alike
                    self._declare(name + 'i2h_weight', (gates, in_size), i2h_weight_initializer)
                    self._declare(name + 'h2h_weight', (gates, recurrent_size),
                                  h2h_weight_initializer)
                    self._declare(name + 'i2h_bias', (gates,), i2h_bias_initializer)
                    self._declare(name + 'h2h_bias', (gates,), h2h_bias_initializer)
                    if projection_size:
                        self._declare(name + 'h2r_weight', (projection_size, hidden_size),
                                      h2r_weight_initializer)
                in_size = recurrent_size * self._dir

    # The names a saved file gives the parameters: MXNet keeps those of the cells the
    # layer would unfuse into ('_unfused.0.l_cell.i2h_weight' when bidirectional,
    # '_unfused.0.i2h_weight' otherwise), so files go both ways between MXNet 1.x and
    # d2lmini.
    _PARAM_NAME = re.compile(r'(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z')

    def _collect_params_with_prefix(self, prefix=''):
        if prefix:
            prefix += '.'
        ret = {}
        for key, val in self._reg_params.items():
            direction, layer, kind, what = self._PARAM_NAME.match(key).groups()
            cell = f'{direction}_cell.' if self._dir == 2 else ''
            ret[f'{prefix}_unfused.{layer}.{cell}{kind}_{what}'] = val
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

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

    def _unfuse(self):
        """The same network as a :class:`~.rnn_cell.HybridSequentialRNNCell` of cells
        (one per layer; a :class:`~.rnn_cell.BidirectionalCell` of two when
        bidirectional, with a :class:`~.rnn_cell.DropoutCell` between layers), sharing
        this layer's parameters, as MXNet's ``_unfuse``.

        >>> import d2lmini as mx
        >>> from d2lmini.gluon import rnn
        >>> layer = rnn.GRU(3, num_layers=2, input_size=4)
        >>> layer.initialize()
        >>> cells = layer._unfuse()
        >>> x = mx.nd.ones((5, 2, 4))
        >>> out = cells.unroll(5, x, layout='TNC', merge_outputs=True)[0]
        >>> bool(abs(out - layer(x)).max() < 1e-6)
        True
        """
        from . import rnn_cell
        if self._projection_size:
            raise NotImplementedError('_unfuse does not support the projection layer '
                                      '(projection_size) yet, as in MXNet')
        hidden = self._hidden_size
        make_cell = {
            'rnn_relu': lambda **kw: rnn_cell.RNNCell(hidden, activation='relu', **kw),
            'rnn_tanh': lambda **kw: rnn_cell.RNNCell(hidden, activation='tanh', **kw),
            'lstm': lambda **kw: rnn_cell.LSTMCell(hidden, **kw),
            'gru': lambda **kw: rnn_cell.GRUCell(hidden, **kw)}[self._mode]
        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            in_size = self._input_size
            for layer in range(self._num_layers):
                kwargs = dict(self._initializers, input_size=in_size)
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(make_cell(prefix=f'l{layer}_', **kwargs),
                                                         make_cell(prefix=f'r{layer}_', **kwargs)))
                else:
                    stack.add(make_cell(prefix=f'l{layer}_', **kwargs))
                if self._dropout > 0 and layer != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                in_size = hidden * self._dir
        return stack

    def state_info(self, batch_size=0):
        """The shape, layout and type of each state: ``h`` (and ``c`` for LSTM),
        each ``(num_layers * directions, batch, hidden)``."""
        sizes = [self._projection_size or self._hidden_size]      # h (or its projection)
        if self._mode == 'lstm':
            sizes.append(self._hidden_size)                       # c
        return [{'shape': (self._num_layers * self._dir, batch_size, size),
                 '__layout__': 'LNC', 'dtype': self._dtype} for size in sizes]

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
        states = self._prepare(inputs, states)
        return super().forward(inputs, *states)

    def infer_shape(self, inputs, states=None):
        """Give the parameters of unknown shape (``input_size=0``) their shapes from
        ``inputs`` (and ``states``), without running the layer, as MXNet's
        ``HybridBlock.infer_shape`` does.

        >>> import d2lmini as mx
        >>> from d2lmini.gluon import rnn
        >>> layer = rnn.GRU(4)
        >>> layer.initialize()
        >>> layer.infer_shape(mx.nd.ones((5, 2, 3)))
        >>> layer.l0_i2h_weight.shape
        (12, 3)
        """
        states = self._prepare(inputs, states)
        self._deferred_infer_shape(inputs, *states)

    def _prepare(self, inputs, states):
        """The states as a list (checked), after noting the sequence length of NDArray
        inputs for tracing."""
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
        else:
            steps = self._symbol_steps(inputs)
            if steps:
                self._seq_len = steps
        if states:
            expected = self.state_info()
            if len(states) != len(expected):
                raise MXNetError(f'{self.name} ({type(self).__name__}): expects '
                                 f'{len(expected)} state(s), got {len(states)}')
        return states

    def _symbol_steps(self, inputs):
        """The number of time steps of a Symbol input when its shape can be inferred
        (``mx.sym.var('data', shape=...)``), else None."""
        try:
            _, out_shapes, _ = inputs.infer_shape_partial()
        except (MXNetError, AttributeError, TypeError, ValueError):
            return None
        shape = out_shapes[0] if out_shapes else ()
        if len(shape) != 3:
            return None
        return shape[self._layout.find('T')] or None

    def hybrid_forward(self, F, inputs, *states, **params):
        if self._seq_len is None:
            raise MXNetError(
                f'{self.name} ({type(self).__name__}): the number of time steps is not known '
                'while tracing; call the layer once on an NDArray of the sequence length '
                "first, or give the input symbol its shape (mx.sym.var('data', shape=...))")
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
        projection = self._projection_size
        if init is None:
            # zeros of shape (batch, size), taken from the data so that no batch
            # size needs to be known when tracing
            def zeros(size):
                return F.zeros_like(F.slice_axis(i2h[0], axis=1, begin=0, end=size))
            init = [zeros(projection or self._hidden_size)]
            if self._mode == 'lstm':
                init.append(zeros(self._hidden_size))
        h = init[0]
        c = init[1] if self._mode == 'lstm' else None
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        outputs = [None] * steps
        for t in order:
            h2h = F.FullyConnected(h, params[name + 'h2h_weight'], params[name + 'h2h_bias'],
                                   num_hidden=gates)
            if self._mode == 'lstm':
                h, c = lstm_step(F, i2h[t], h2h, c)
                if projection:
                    h = F.FullyConnected(h, params[name + 'h2r_weight'], no_bias=True,
                                         num_hidden=projection)
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

    With ``projection_size`` (LSTMP, Sak et al., 2014) each step passes on
    ``r = W_hr h`` (parameters ``..._h2r_weight`` of shape (projection_size,
    hidden_size), no bias) instead of ``h``: the output and the ``h`` state have
    ``projection_size`` features, the ``c`` state keeps ``hidden_size``.

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
                 projection_size=None, h2r_weight_initializer=None, dtype='float32', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'lstm', dtype=dtype,
                         projection_size=projection_size,
                         h2r_weight_initializer=h2r_weight_initializer, **kwargs)


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
