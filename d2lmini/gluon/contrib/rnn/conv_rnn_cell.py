"""Convolutional recurrent cells (Shi et al., 2015): the RNN, LSTM and GRU steps of
:mod:`d2lmini.gluon.rnn` with the two affine maps replaced by convolutions, so the
input and the states keep their spatial layout.

Each cell convolves the input (``i2h``, kernel ``i2h_kernel``, padding ``i2h_pad``)
and the hidden state (``h2h``, an odd ``h2h_kernel`` padded so that the state keeps
its size), then applies its gates channel by channel. ``input_shape`` is one
step's input without the batch axis, e.g. ``(C, H, W)`` for ``'NCHW'``; it fixes
the state shapes. Parameter names are MXNet's (``conv_lstm0_i2h_weight``, ...).

>>> import d2lmini as mx
>>> from d2lmini.gluon.contrib.rnn import Conv2DLSTMCell
>>> cell = Conv2DLSTMCell((3, 8, 8), 4, i2h_kernel=3, h2h_kernel=3, i2h_pad=1)
>>> cell.initialize()
>>> out, states = cell.unroll(2, mx.nd.ones((1, 2, 3, 8, 8)), merge_outputs=True)
>>> out.shape, [s.shape for s in states]
((1, 2, 4, 8, 8), [(1, 4, 8, 8), (1, 4, 8, 8)])
"""
from ....base import numeric_types
from ...rnn.rnn_cell import HybridRecurrentCell

__all__ = ['Conv1DRNNCell', 'Conv2DRNNCell', 'Conv3DRNNCell',
           'Conv1DLSTMCell', 'Conv2DLSTMCell', 'Conv3DLSTMCell',
           'Conv1DGRUCell', 'Conv2DGRUCell', 'Conv3DGRUCell']

_LAYOUTS = {1: ('NCW', 'NWC'), 2: ('NCHW', 'NHWC'), 3: ('NCDHW', 'NDHWC')}


def _as_tuple(name, spec, dims):
    """A convolution setting as a ``dims``-tuple: an int repeats on every axis."""
    if isinstance(spec, numeric_types):
        return (int(spec),) * dims
    spec = tuple(spec)
    if len(spec) != dims:
        raise ValueError(f'For {dims}D convolution, {name} must be an int or a tuple of '
                         f'length {dims}, got {spec}')
    return spec


def _conv_out_size(sizes, kernels, pads, dilates):
    """Spatial size after a stride-1 convolution; 0 (unknown) stays 0."""
    return tuple(x + 2 * p - d * (k - 1) if x else 0
                 for x, k, p, d in zip(sizes, kernels, pads, dilates))


class _BaseConvRNNCell(HybridRecurrentCell):
    """What the convolutional cells share: the convolution settings, the four
    parameters (``num_gates * hidden_channels`` filters each) and the ``i2h`` /
    ``h2h`` convolutions. Subclasses name their gates and write the step."""

    _gate_names = ('',)

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                 i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout, activation,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        if conv_layout not in _LAYOUTS[dims]:
            raise ValueError(f'{type(self).__name__}: conv_layout must be one of '
                             f'{_LAYOUTS[dims]}, got {conv_layout!r}')
        input_shape = tuple(input_shape)
        if len(input_shape) != dims + 1:
            raise ValueError(f'{type(self).__name__}: input_shape is one step of one example '
                             f'in layout {conv_layout} without N ({dims + 1} numbers), got '
                             f'{input_shape}')
        self._hidden_channels = hidden_channels
        self._input_shape = input_shape
        self._conv_layout = conv_layout
        self._activation = activation
        self._i2h_kernel = _as_tuple('i2h_kernel', i2h_kernel, dims)
        self._i2h_pad = _as_tuple('i2h_pad', i2h_pad, dims)
        self._i2h_dilate = _as_tuple('i2h_dilate', i2h_dilate, dims)
        self._h2h_kernel = _as_tuple('h2h_kernel', h2h_kernel, dims)
        self._h2h_dilate = _as_tuple('h2h_dilate', h2h_dilate, dims)
        self._stride = (1,) * dims
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise ValueError(f'{type(self).__name__}: h2h_kernel must be odd (the state keeps '
                             f'its size), got {h2h_kernel}')
        # 'same' padding for the state's convolution
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate,
                                                                 self._h2h_kernel))

        self._channel_axis = conv_layout.find('C')
        channel_first = self._channel_axis == 1
        in_channels = input_shape[0] if channel_first else input_shape[-1]
        spatial = input_shape[1:] if channel_first else input_shape[:-1]
        out_size = _conv_out_size(spatial, self._i2h_kernel, self._i2h_pad, self._i2h_dilate)
        self._in_channels = in_channels
        if channel_first:
            i2h_shape = (in_channels,) + self._i2h_kernel
            h2h_shape = (hidden_channels,) + self._h2h_kernel
            self._state_shape = (hidden_channels,) + out_size
        else:
            i2h_shape = self._i2h_kernel + (in_channels,)
            h2h_shape = self._h2h_kernel + (hidden_channels,)
            self._state_shape = out_size + (hidden_channels,)

        filters = hidden_channels * self._num_gates
        get = self.params.get
        self.i2h_weight = get('i2h_weight', shape=(filters,) + i2h_shape,
                              init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = get('h2h_weight', shape=(filters,) + h2h_shape,
                              init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = get('i2h_bias', shape=(filters,), init=i2h_bias_initializer,
                            allow_deferred_init=True)
        self.h2h_bias = get('h2h_bias', shape=(filters,), init=h2h_bias_initializer,
                            allow_deferred_init=True)

    @property
    def _num_gates(self):
        return len(self._gate_names)

    def __repr__(self):
        shape = self.i2h_weight.shape
        in_channels = shape[1 if self._channel_axis == 1 else -1]
        return (f'{type(self).__name__}({in_channels or None} -> {shape[0]}, '
                f'{self._activation}, {self._conv_layout})')

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size,) + self._state_shape, '__layout__': self._conv_layout}
                for _ in range(self._num_states)]

    _num_states = 1

    def _conv_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias,
                      prefix):
        """The input's and the hidden state's convolutions, every gate's filters in one."""
        filters = self._hidden_channels * self._num_gates
        i2h = F.Convolution(data=inputs, weight=i2h_weight, bias=i2h_bias,
                            num_filter=filters, kernel=self._i2h_kernel, stride=self._stride,
                            pad=self._i2h_pad, dilate=self._i2h_dilate,
                            layout=self._conv_layout, name=prefix + 'i2h')
        h2h = F.Convolution(data=states[0], weight=h2h_weight, bias=h2h_bias,
                            num_filter=filters, kernel=self._h2h_kernel, stride=self._stride,
                            pad=self._h2h_pad, dilate=self._h2h_dilate,
                            layout=self._conv_layout, name=prefix + 'h2h')
        return i2h, h2h

    def _split_gates(self, F, x, name):
        """The per-gate blocks of channels of ``x``."""
        parts = F.split(x, num_outputs=self._num_gates, axis=self._channel_axis, name=name)
        return [parts[i] for i in range(self._num_gates)]


class _ConvRNNCell(_BaseConvRNNCell):
    """``h' = activation(conv(x) + conv(h))``."""

    def _alias(self):
        return 'conv_rnn'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f't{self._counter}_'
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        output = self._get_activation(F, F.elemwise_add(i2h, h2h, name=prefix + 'plus0'),
                                      self._activation, name=prefix + 'out')
        return output, [output]


class _ConvLSTMCell(_BaseConvRNNCell):
    """The LSTM step on convolutions; states ``[h, c]``. The gates are sigmoids,
    ``activation`` squashes the candidate and the cell state."""

    _gate_names = ('_i', '_f', '_c', '_o')
    _num_states = 2

    def _alias(self):
        return 'conv_lstm'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f't{self._counter}_'
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        gates = self._split_gates(F, F.elemwise_add(i2h, h2h, name=prefix + 'plus0'),
                                  prefix + 'slice')
        in_gate = F.sigmoid(gates[0], name=prefix + 'i')
        forget_gate = F.sigmoid(gates[1], name=prefix + 'f')
        candidate = self._get_activation(F, gates[2], self._activation, name=prefix + 'c')
        out_gate = F.sigmoid(gates[3], name=prefix + 'o')
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1]),
                                F.elemwise_mul(in_gate, candidate), name=prefix + 'state')
        next_h = F.elemwise_mul(out_gate, self._get_activation(F, next_c, self._activation),
                                name=prefix + 'out')
        return next_h, [next_h, next_c]


class _ConvGRUCell(_BaseConvRNNCell):
    """The GRU step on convolutions (reset gate applied after the ``h2h`` bias, as
    in :class:`~d2lmini.gluon.rnn.GRUCell`); ``activation`` makes the new state."""

    _gate_names = ('_r', '_z', '_o')

    def _alias(self):
        return 'conv_gru'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f't{self._counter}_'
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        i2h_r, i2h_z, i2h_n = self._split_gates(F, i2h, prefix + 'i2h_slice')
        h2h_r, h2h_z, h2h_n = self._split_gates(F, h2h, prefix + 'h2h_slice')
        reset = F.sigmoid(F.elemwise_add(i2h_r, h2h_r), name=prefix + 'r_act')
        update = F.sigmoid(F.elemwise_add(i2h_z, h2h_z), name=prefix + 'z_act')
        new = self._get_activation(F, F.elemwise_add(i2h_n, F.elemwise_mul(reset, h2h_n)),
                                   self._activation, name=prefix + 'h_act')
        keep = F.elemwise_sub(F.ones_like(update), update)
        next_h = F.elemwise_add(F.elemwise_mul(keep, new), F.elemwise_mul(update, states[0]),
                                name=prefix + 'out')
        return next_h, [next_h]


def _public_cell(base, dims, kind, formula):
    """A ``Conv{dims}D{kind}Cell`` class: ``base`` with MXNet's signature and
    defaults for ``dims`` spatial axes (the first layout of ``_LAYOUTS``)."""
    layout = _LAYOUTS[dims][0]
    zeros, ones = (0,) * dims, (1,) * dims

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel,
                 i2h_pad=zeros, i2h_dilate=ones, h2h_dilate=ones,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 conv_layout=layout, activation='tanh', prefix=None, params=None):
        base.__init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                      i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                      i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout,
                      activation, prefix=prefix, params=params)

    name = f'Conv{dims}D{kind}Cell'
    spatial = {1: '(W,)', 2: '(H, W)', 3: '(D, H, W)'}[dims]
    doc = f"""{dims}D convolutional {kind} cell: {formula}

    Parameters: ``input_shape`` (one step's input without N, e.g. ``(C,) + {spatial}``
    for ``'{layout}'``), ``hidden_channels``, ``i2h_kernel``, ``h2h_kernel`` (odd),
    ``i2h_pad={zeros}``, ``i2h_dilate={ones}``, ``h2h_dilate={ones}``, the four
    initializers (biases ``'zeros'``), ``conv_layout='{layout}'`` (or
    ``'{_LAYOUTS[dims][1]}'``), ``activation='tanh'`` (a name or a block),
    ``prefix`` (default ``'{base._alias(None)}<n>_'``), ``params``.
    """
    __init__.__doc__ = doc
    return type(name, (base,), {'__init__': __init__, '__doc__': doc,
                                '__module__': __name__, '__qualname__': name})


_RNN = '``h\' = act(W * x + R * h + b)``.'
_LSTM = ('``i, f, o = sigmoid(W * x + R * h + b)`` (per gate), '
         '``c\' = f c + i act(W_c * x + R_c * h + b_c)``, ``h\' = o act(c\')``.')
_GRU = ('``r, z = sigmoid(W * x + R * h + b)`` (per gate), '
        '``n = act(W_n * x + b_n + r (R_n * h + b_rn))``, ``h\' = (1 - z) n + z h``.')

Conv1DRNNCell = _public_cell(_ConvRNNCell, 1, 'RNN', _RNN)
Conv2DRNNCell = _public_cell(_ConvRNNCell, 2, 'RNN', _RNN)
Conv3DRNNCell = _public_cell(_ConvRNNCell, 3, 'RNN', _RNN)
Conv1DLSTMCell = _public_cell(_ConvLSTMCell, 1, 'LSTM', _LSTM)
Conv2DLSTMCell = _public_cell(_ConvLSTMCell, 2, 'LSTM', _LSTM)
Conv3DLSTMCell = _public_cell(_ConvLSTMCell, 3, 'LSTM', _LSTM)
Conv1DGRUCell = _public_cell(_ConvGRUCell, 1, 'GRU', _GRU)
Conv2DGRUCell = _public_cell(_ConvGRUCell, 2, 'GRU', _GRU)
Conv3DGRUCell = _public_cell(_ConvGRUCell, 3, 'GRU', _GRU)
