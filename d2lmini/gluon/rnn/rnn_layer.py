"""Recurrent layers over whole sequences: ``RNN``, ``LSTM`` and ``GRU``.

A layer holds, for each layer ``l`` and direction (``l`` forward, ``r`` reverse),
the four parameters ``{l,r}{l}_i2h_weight`` (``gates * hidden, input``),
``..._h2h_weight`` (``gates * hidden, hidden``), ``..._i2h_bias`` and
``..._h2h_bias``, named and shaped as in MXNet so that saved parameters load either
way. ``hybrid_forward`` flattens them into one vector and calls the ``RNN``
operator, which runs the whole network over the whole sequence: a hybridized layer
works for any sequence length, with one operator instead of a few per time step.

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
from ...ops import rnn as rnn_ops
from ..block import HybridBlock


def _unstack(F, x, n, axis):
    """The ``n`` slices of ``x`` along ``axis``, with that axis removed."""
    if n == 1:
        # split with one output gives the array itself, not a list
        return [F.squeeze(x, axis=axis)]
    parts = F.split(x, num_outputs=n, axis=axis, squeeze_axis=True)
    return [parts[i] for i in range(n)]


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share; ``mode`` is 'rnn_relu', 'rnn_tanh', 'lstm' or
    'gru'."""

    _gates = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, dtype='float32', projection_size=None,
                 h2r_weight_initializer=None, lstm_state_clip_min=None,
                 lstm_state_clip_max=None, lstm_state_clip_nan=False,
                 use_sequence_length=False, prefix=None, params=None):
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
        # clipping of the LSTM cell state after each step (MXNet's RNN operator options)
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        # with it, the layer is called as layer(x, states, sequence_length)
        self._use_sequence_length = use_sequence_length
        self._initializers = {'i2h_weight_initializer': i2h_weight_initializer,
                              'h2h_weight_initializer': h2h_weight_initializer,
                              'i2h_bias_initializer': i2h_bias_initializer,
                              'h2h_bias_initializer': h2h_bias_initializer}
        # (how many states the compiled graph takes, whether it returns them)
        self._traced_states = None
        self._skip_states = False  # called without states: return the output only
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
        if self._lstm_state_clip_min is not None or self._lstm_state_clip_max is not None:
            raise NotImplementedError('_unfuse does not support state clipping '
                                      '(state_clip_min/max) yet, as in MXNet')
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

    def forward(self, inputs, states=None, sequence_length=None):
        """``layer(x)`` gives the output; ``layer(x, states)`` gives ``(output,
        new_states)``. Leaving out the states starts from zeros. A layer made with
        ``use_sequence_length=True`` takes each example's length as
        ``sequence_length`` (shape ``(batch,)``): steps past it give zero outputs and
        leave the states as they were, and a bidirectional layer's backward pass starts
        at each example's last valid step."""
        states = self._check_states(states)
        if self._use_sequence_length:
            if sequence_length is None:
                raise MXNetError(f'{self.name} ({type(self).__name__}): made with '
                                 'use_sequence_length=True, it needs sequence_length '
                                 '(each example\'s length)')
        elif sequence_length is not None:
            # MXNet 1.x ignores it silently; the lengths would have no effect
            raise MXNetError(f'{self.name} ({type(self).__name__}): sequence_length is '
                             'only used by a layer made with use_sequence_length=True')
        if isinstance(inputs, nd.NDArray) and inputs.ndim != 3:
            raise MXNetError(f'{self.name} ({type(self).__name__}): the input must have 3 '
                             f'dimensions ({self._layout}: time, batch, features in that '
                             f'layout), got shape {inputs.shape}')
        if not isinstance(inputs, nd.NDArray):
            self._shapes_from_symbol(inputs)
        elif states:
            # the same check, error type and message as MXNet 1.x
            batch = inputs.shape[self._layout.find('N')]
            for state, info in zip(states, self.state_info(batch)):
                if isinstance(state, nd.NDArray) and state.shape != info['shape']:
                    raise ValueError(f"Invalid recurrent state shape. Expecting "
                                     f"{info['shape']}, got {state.shape}.")
        self._skip_states = not states
        if self._skip_states and isinstance(inputs, nd.NDArray):
            # As MXNet 1.x does, zero states made here are inputs of the graph: an
            # exported layer takes data0 (the data) and data1... (the states). Inside a
            # bigger graph (symbol inputs) the zeros are made in the graph instead.
            states = self.begin_state(inputs.shape[self._layout.find('N')],
                                      ctx=inputs.context, dtype=inputs.dtype)
        if (len(states), self._skip_states) != self._traced_states:
            # a compiled graph takes a fixed list of inputs and gives fixed outputs
            self._clear_cached_op()
            self._traced_states = (len(states), self._skip_states)
        if self._use_sequence_length:
            return super().forward(inputs, *states, sequence_length)
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
        self._deferred_infer_shape(inputs, *self._check_states(states))

    def _deferred_infer_shape(self, inputs, *states):
        # Only the first layer's input weights can be unknown, and the data's last
        # axis (features, in both layouts) is their second dimension.
        features = inputs.shape[2]
        for direction in 'lr'[:self._dir]:
            weight = self.params.get(f'{direction}0_i2h_weight')
            if weight.shape[1] == 0:
                weight.shape = (weight.shape[0], features)
        for param in self._reg_params.values():
            if param._data is None and param._deferred_init:
                param._finish_deferred_init()

    def _shapes_from_symbol(self, inputs):
        """Called on a Symbol whose shape is known (``mx.sym.var('data', shape=...)``),
        give deferred input weights their shapes, so that the graph's shapes can be
        inferred."""
        try:
            _, out_shapes, _ = inputs.infer_shape_partial()
        except (MXNetError, AttributeError, TypeError, ValueError):
            return
        shape = out_shapes[0] if out_shapes else None
        if shape is not None and len(shape) == 3 and shape[2]:
            for direction in 'lr'[:self._dir]:
                weight = self.params.get(f'{direction}0_i2h_weight')
                if weight.shape[1] == 0:
                    weight.shape = (weight.shape[0], shape[2])

    def _check_states(self, states):
        if states is None:
            return []
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        expected = self.state_info()
        if len(states) != len(expected):
            raise MXNetError(f'{self.name} ({type(self).__name__}): expects '
                             f'{len(expected)} state(s), got {len(states)}')
        return states

    def _flat_parameters(self, F, params):
        """Every weight, then every bias, flattened into one vector in the order the
        ``RNN`` operator reads them (MXNet's and cuDNN's)."""
        names = [name for name, _ in rnn_ops.param_layout(
            self._mode, 1, self._hidden_size, self._num_layers, self._dir == 2,
            self._projection_size)]
        return F._internal._rnn_param_concat(*[F.reshape(params[n], shape=-1)
                                               for n in names], dim=0)

    def _zero_states(self, F, inputs):
        """Zeros of the states' shapes, taken from the data so that tracing needs no
        batch size."""
        # (1, batch, 1) zeros from the first time step, then tiled to each state's shape
        column = F.slice_axis(F.zeros_like(F.slice_axis(inputs, axis=0, begin=0, end=1)),
                              axis=2, begin=0, end=1)
        return [F.tile(column, reps=(info['shape'][0], 1, info['shape'][2]))
                for info in self.state_info()]

    def hybrid_forward(self, F, inputs, *states, **params):
        if self._layout == 'NTC':
            inputs = F.swapaxes(inputs, dim1=0, dim2=1)
        lengths = {}
        if self._use_sequence_length:       # forward passed it after the states
            lengths, states = {'sequence_length': states[-1]}, states[:-1]
        if not states:
            states = self._zero_states(F, inputs)
        outs = F.RNN(inputs, self._flat_parameters(F, params), *states, **lengths,
                     use_sequence_length=self._use_sequence_length,
                     state_size=self._hidden_size, projection_size=self._projection_size,
                     num_layers=self._num_layers, bidirectional=self._dir == 2,
                     p=self._dropout, state_outputs=True, mode=self._mode,
                     lstm_state_clip_min=self._lstm_state_clip_min,
                     lstm_state_clip_max=self._lstm_state_clip_max,
                     lstm_state_clip_nan=self._lstm_state_clip_nan)
        out = outs[0]
        if self._layout == 'NTC':
            out = F.swapaxes(out, dim1=0, dim2=1)
        if self._skip_states:
            return out
        return out, [outs[i] for i in range(1, 3 if self._mode == 'lstm' else 2)]


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

    ``state_clip_min``/``state_clip_max`` clip the cell state ``c`` into that range
    after every step (``state_clip_nan=True`` also turns NaN into the bounds), as
    MXNet 1.x's LSTM layer does.

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
                 projection_size=None, h2r_weight_initializer=None, state_clip_min=None,
                 state_clip_max=None, state_clip_nan=False, dtype='float32', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'lstm', dtype=dtype,
                         projection_size=projection_size,
                         h2r_weight_initializer=h2r_weight_initializer,
                         lstm_state_clip_min=state_clip_min,
                         lstm_state_clip_max=state_clip_max,
                         lstm_state_clip_nan=state_clip_nan, **kwargs)


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
