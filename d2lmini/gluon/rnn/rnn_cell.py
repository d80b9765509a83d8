"""Recurrent cells: one time step at a time.

A cell maps ``(input, states)`` to ``(output, new_states)`` for one step;
:meth:`RecurrentCell.unroll` loops it over a sequence. The cells share the update
rules of the layers in :mod:`.rnn_layer`, and MXNet's parameter names
(``i2h_weight``, ``h2h_weight``, ``i2h_bias``, ``h2h_bias``).

>>> import d2lmini as mx
>>> from d2lmini.gluon import rnn
>>> cell = rnn.GRUCell(5)
>>> cell.initialize()
>>> out, states = cell(mx.nd.ones((2, 3)), cell.begin_state(batch_size=2))
>>> out.shape, len(states)
((2, 5), 1)
"""
from ... import ndarray as nd
from ...base import MXNetError
from ..block import Block, HybridBlock
from ..parameter import _indent
from .rnn_layer import _unstack, gru_step, lstm_step


def _steps(inputs, length, layout):
    """The list of per-step inputs, and the time axis, from a tensor in ``layout``
    or a list of ``length`` tensors."""
    axis = layout.find('T')
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != length:
            raise MXNetError(f'unroll: length={length} but {len(inputs)} inputs were given')
        return list(inputs), axis
    if isinstance(inputs, nd.NDArray) and inputs.shape[axis] != length:
        raise MXNetError(f'unroll: length={length} but the inputs have {inputs.shape[axis]} '
                         f'steps on axis {axis} (layout {layout})')
    from ... import symbol
    F = nd if isinstance(inputs, nd.NDArray) else symbol
    return _unstack(F, inputs, length, axis), axis


class RecurrentCell(Block):
    """Base class of the cells: subclasses define :meth:`state_info` and ``forward``
    (or ``hybrid_forward``) computing one step."""

    def state_info(self, batch_size=0):
        """One dict per state with its ``shape`` and ``__layout__``."""
        raise NotImplementedError

    def reset(self):
        """Kept for MXNet's API: cells here keep no per-unroll counters."""
        for cell in self._children.values():
            if isinstance(cell, RecurrentCell):
                cell.reset()

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states made by ``func`` (zeros by default); ``kwargs`` (``ctx=``,
        ``dtype=``) go to ``func``.

        >>> from d2lmini.gluon import rnn
        >>> [s.shape for s in rnn.LSTMCell(4).begin_state(batch_size=3)]
        [(3, 4), (3, 4)]
        """
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info = dict(info or {})
            info.update(kwargs)
            states.append(func(name=f'{self.prefix}begin_state_{i}', **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Run the cell over ``length`` steps of ``inputs`` (one tensor with layout
        ``'NTC'`` or ``'TNC'``, or a list of ``(N, C)`` tensors). Returns ``(outputs,
        states)``: the outputs stacked along the time axis when ``merge_outputs`` is
        True, else a list of the steps' outputs.

        >>> import d2lmini as mx
        >>> from d2lmini.gluon import rnn
        >>> cell = rnn.LSTMCell(4)
        >>> cell.initialize()
        >>> out, states = cell.unroll(3, mx.nd.ones((2, 3, 5)), merge_outputs=True)
        >>> out.shape, [s.shape for s in states]
        ((2, 3, 4), [(2, 4), (2, 4)])
        """
        if valid_length is not None:
            raise NotImplementedError('unroll: valid_length is not supported')
        self.reset()
        steps, axis = _steps(inputs, length, layout)
        if begin_state is None:
            if not isinstance(steps[0], nd.NDArray):
                raise MXNetError('unroll: give begin_state when unrolling symbols')
            begin_state = self.begin_state(steps[0].shape[0], ctx=steps[0].context,
                                           dtype=steps[0].dtype)
        states = list(begin_state)
        outputs = []
        for x in steps:
            out, states = self(x, states)
            outputs.append(out)
        if merge_outputs:
            from ... import symbol
            F = nd if isinstance(outputs[0], nd.NDArray) else symbol
            outputs = F.stack(*outputs, axis=axis)
        return outputs, states

    def forward(self, inputs, states):
        raise NotImplementedError(f'{type(self).__name__} must define forward()')


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A cell whose step is written as ``hybrid_forward(F, inputs, states, ...)``."""

    def forward(self, inputs, states):
        return HybridBlock.forward(self, inputs, states)


class _GatedCell(HybridRecurrentCell):
    """The cells with the four affine parameters; ``gates`` blocks of
    ``hidden_size`` rows in each weight."""

    _gates = 1

    def __init__(self, hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        rows = self._gates * hidden_size
        get = self.params.get
        self.i2h_weight = get('i2h_weight', shape=(rows, input_size),
                              init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = get('h2h_weight', shape=(rows, hidden_size),
                              init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = get('i2h_bias', shape=(rows,), init=i2h_bias_initializer,
                            allow_deferred_init=True)
        self.h2h_bias = get('h2h_bias', shape=(rows,), init=h2h_bias_initializer,
                            allow_deferred_init=True)

    def _alias(self):
        # RNNCell is named rnn0_, LSTMCell lstm0_, as the layers are
        return type(self).__name__[:-len('Cell')].lower()

    def __repr__(self):
        rows, in_size = self.i2h_weight.shape
        return f'{type(self).__name__}({in_size or None} -> {rows}{self._repr_extra()})'

    def _repr_extra(self):
        return ''

    def state_info(self, batch_size=0):
        n = 2 if self._gates == 4 else 1
        return [{'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}
                for _ in range(n)]

    def _maps(self, F, inputs, h, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        rows = self._gates * self._hidden_size
        return (F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=rows),
                F.FullyConnected(h, h2h_weight, h2h_bias, num_hidden=rows))


class RNNCell(_GatedCell):
    """One step of an Elman network: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``;
    the output is ``h'``. ``activation`` defaults to ``'tanh'``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> cell = rnn.RNNCell(3, activation='relu', input_size=2)
    >>> cell
    RNNCell(2 -> 3, relu)
    >>> cell.initialize()
    >>> cell(mx.nd.ones((4, 2)), cell.begin_state(4))[0].shape
    (4, 3)
    """

    def __init__(self, hidden_size, activation='tanh', i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation

    def _repr_extra(self):
        return f', {self._activation}'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._maps(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        h = F.Activation(i2h + h2h, act_type=self._activation)
        return h, [h]


class LSTMCell(_GatedCell):
    """One LSTM step; states ``[h, c]``, gate blocks input, forget, candidate, output.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> cell = rnn.LSTMCell(3)
    >>> cell.initialize()
    >>> out, (h, c) = cell(mx.nd.ones((2, 4)), cell.begin_state(2))
    >>> out.shape, cell.i2h_weight.shape
    ((2, 3), (12, 4))
    """

    _gates = 4

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None, activation='tanh', recurrent_activation='sigmoid'):
        if (activation, recurrent_activation) != ('tanh', 'sigmoid'):
            raise NotImplementedError('LSTMCell: only tanh/sigmoid activations are supported')
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._maps(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        h, c = lstm_step(F, i2h, h2h, states[1])
        return h, [h, c]


class GRUCell(_GatedCell):
    """One GRU step; gate blocks reset, update, new, with the reset gate applied to
    the hidden map after its bias (as MXNet does).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> cell = rnn.GRUCell(3, input_size=4)
    >>> cell
    GRUCell(4 -> 9)
    """

    _gates = 3

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._maps(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        h = gru_step(F, i2h, h2h, states[0])
        return h, [h]


class SequentialRNNCell(RecurrentCell):
    """Cells stacked: each step's output of one cell is the next cell's input; the
    states are the cells' states, concatenated in order.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> stack = rnn.SequentialRNNCell()
    >>> with stack.name_scope():
    ...     stack.add(rnn.LSTMCell(4))
    ...     stack.add(rnn.DropoutCell(0.5))
    ...     stack.add(rnn.GRUCell(3))
    >>> stack.initialize()
    >>> out, states = stack(mx.nd.ones((2, 5)), stack.begin_state(2))
    >>> out.shape, [s.shape for s in states]
    ((2, 3), [(2, 4), (2, 4), (2, 3)])
    """

    def add(self, cell):
        """Append a cell."""
        self.register_child(cell)

    def __repr__(self):
        lines = [f'({i}): {_indent(repr(c), 2)}' for i, c in enumerate(self._children.values())]
        return f'{type(self).__name__}(\n' + '\n'.join(lines) + '\n)'

    def __getitem__(self, i):
        return list(self._children.values())[i]

    def __len__(self):
        return len(self._children)

    def state_info(self, batch_size=0):
        return [info for c in self._children.values() for info in c.state_info(batch_size)]

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        return [s for c in self._children.values()
                for s in c.begin_state(batch_size, func=func, **kwargs)]

    def forward(self, inputs, states):
        new_states, start = [], 0
        for cell in self._children.values():
            n = len(cell.state_info())
            inputs, st = cell(inputs, list(states[start:start + n]))
            start += n
            new_states.extend(st)
        return inputs, new_states


class DropoutCell(HybridRecurrentCell):
    """Dropout on the step's input, while training; it has no states. Put it
    between the cells of a :class:`SequentialRNNCell`.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> rnn.DropoutCell(0.5)(mx.nd.ones((1, 2)), [])[0]   # not training: unchanged
    <BLANKLINE>
    [[1. 1.]]
    <NDArray 1x2 @cpu(0)>
    """

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._rate = rate
        self._axes = axes

    def _alias(self):
        return 'dropout'

    def __repr__(self):
        return f'{type(self).__name__}(rate={self._rate}, axes={self._axes})'

    def state_info(self, batch_size=0):
        return []

    def hybrid_forward(self, F, inputs, states):
        if self._rate > 0:
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes)
        return inputs, states


class ResidualCell(HybridRecurrentCell):
    """Adds the step's input to the output of ``base_cell`` (a skip connection);
    the states and parameters are the base cell's.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> cell = rnn.ResidualCell(rnn.GRUCell(3, input_size=3))
    >>> cell.initialize()
    >>> cell(mx.nd.ones((2, 3)), cell.begin_state(2))[0].shape
    (2, 3)
    """

    def __init__(self, base_cell):
        super().__init__(prefix=base_cell.prefix + 'residualcell', params=None)
        self.base_cell = base_cell

    def __repr__(self):
        return f'{type(self).__name__}({self.base_cell!r})'

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        return self.base_cell.begin_state(batch_size, func=func, **kwargs)

    def hybrid_forward(self, F, inputs, states):
        out, states = self.base_cell(inputs, states)
        return out + inputs, states


__all__ = ['RecurrentCell', 'HybridRecurrentCell', 'RNNCell', 'LSTMCell', 'GRUCell',
           'SequentialRNNCell', 'DropoutCell', 'ResidualCell']
