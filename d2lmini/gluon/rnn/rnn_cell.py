"""Recurrent cells: one time step at a time.

A cell maps ``(input, states)`` to ``(output, new_states)`` for one step;
:meth:`RecurrentCell.unroll` loops it over a sequence, with NDArrays or with
Symbols. The cells share the update rules of the layers in :mod:`.rnn_layer`, and
MXNet's parameter names (``i2h_weight``, ``h2h_weight``, ``i2h_bias``,
``h2h_bias``) and output names (``<prefix>t<step>_out``).

Besides the three basic cells there are containers (:class:`SequentialRNNCell`,
:class:`HybridSequentialRNNCell`, :class:`BidirectionalCell`) and *modifier* cells
that wrap another cell (:class:`ResidualCell`, :class:`ZoneoutCell`); once wrapped,
a cell is used through its wrapper only, as in MXNet.

>>> import d2lmini as mx
>>> from d2lmini.gluon import rnn
>>> cell = rnn.GRUCell(5)
>>> cell.initialize()
>>> out, states = cell(mx.nd.ones((2, 3)), cell.begin_state(batch_size=2))
>>> out.shape, len(states)
((2, 5), 1)
"""
from ... import ndarray as nd
from ... import symbol
from ...base import MXNetError, numeric_types
from ..block import Block, HybridBlock
from ..parameter import _indent
from .rnn_layer import _unstack

__all__ = ['RecurrentCell', 'HybridRecurrentCell', 'RNNCell', 'LSTMCell', 'GRUCell',
           'SequentialRNNCell', 'HybridSequentialRNNCell', 'DropoutCell', 'ModifierCell',
           'ZoneoutCell', 'ResidualCell', 'BidirectionalCell']


# ---------------------------------------------------------------------- sequences
def _is_tensor(x):
    return isinstance(x, (nd.NDArray, symbol.Symbol))


def _module_of(x):
    """``nd`` for NDArrays, ``symbol`` for Symbols (x: an array or a list of them)."""
    first = x if _is_tensor(x) else x[0]
    return symbol if isinstance(first, symbol.Symbol) else nd


def _format_sequence(length, inputs, layout, merge, in_layout=None):
    """Bring ``inputs`` to the form the caller wants: a list of per-step ``(N, ...)``
    arrays (``merge=False``), one array in ``layout`` (``merge=True``), or whichever
    it already is (``merge=None``). Returns ``(inputs, time_axis, F, batch_size)``;
    ``batch_size`` is 0 for Symbols, whose shapes are not known yet."""
    if inputs is None:
        raise MXNetError('unroll: inputs=None is not supported; create the input '
                         'variables before unrolling')
    axis = layout.find('T')
    batch_axis = layout.find('N')
    in_axis = in_layout.find('T') if in_layout is not None else axis
    batch_size = 0
    if _is_tensor(inputs):
        F = _module_of(inputs)
        if F is nd:
            batch_size = inputs.shape[batch_axis]
            if length is not None and inputs.shape[in_axis] != length:
                raise MXNetError(f'unroll: length={length} but the inputs have '
                                 f'{inputs.shape[in_axis]} steps on axis {in_axis} '
                                 f'(layout {layout})')
        elif merge is False and len(inputs.list_outputs()) != 1:
            raise MXNetError('unroll does not take a grouped symbol as inputs; give a list '
                             'of symbols, or one symbol holding the whole sequence')
        if merge is False:
            inputs = _unstack(F, inputs, length if F is symbol else inputs.shape[in_axis],
                              in_axis)
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            raise MXNetError(f'unroll: length={length} but {len(inputs)} inputs were given')
        F = _module_of(inputs)
        if F is nd:
            batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if _is_tensor(inputs) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _mask_sequence_variable_length(F, data, length, valid_length, time_axis, merge):
    """Zero the steps past each sequence's ``valid_length``."""
    if not _is_tensor(data):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                             axis=time_axis)
    if not merge:
        outputs = _unstack(F, outputs, length, time_axis)
    return outputs


def _reverse_sequences(sequences, length, valid_length=None):
    """The list of steps reversed; with ``valid_length``, each sequence is reversed
    within its own length and its padding stays at the end."""
    if valid_length is None:
        return list(reversed(sequences))
    F = _module_of(sequences)
    reversed_steps = F.SequenceReverse(F.stack(*sequences, axis=0),
                                       sequence_length=valid_length, use_sequence_length=True)
    return _unstack(F, reversed_steps, length, 0)


def _zeros_like_batch(data, batch_axis):
    """A ``func`` for :meth:`RecurrentCell.begin_state` that makes zero states for
    Symbols: ``(batch, ...)`` zeros whose batch size comes from ``data`` when the
    graph runs (MXNet makes ``zeros((0, ...))`` and lets shape inference fill the 0)."""
    def zeros(shape=None, name=None, **kwargs):  # pylint: disable=unused-argument
        per_example = symbol.sum(symbol.zeros_like(data), axis=batch_axis, exclude=True)
        rest = tuple(shape[1:])
        state = symbol.reshape(per_example, shape=(-1,) + (1,) * len(rest))
        for axis, size in enumerate(rest, 1):
            state = symbol.broadcast_axis(state, axis=axis, size=size)
        return state
    return zeros


def _get_begin_state(cell, F, begin_state, inputs, batch_size, batch_axis=0):
    """``begin_state`` if given, else zero states for a batch of ``inputs`` (a list
    of steps, or one tensor whose batch axis is ``batch_axis``)."""
    if begin_state is not None:
        return begin_state
    if F is nd:
        first = inputs if _is_tensor(inputs) else inputs[0]
        return cell.begin_state(batch_size=batch_size, func=nd.zeros, ctx=first.context,
                                dtype=first.dtype)
    data = inputs if _is_tensor(inputs) else inputs[0]
    if not _is_tensor(inputs):
        batch_axis = 0
    return cell.begin_state(batch_size=0, func=_zeros_like_batch(data, batch_axis))


# ---------------------------------------------------------------------- base classes
class RecurrentCell(Block):
    """Base class of the cells: subclasses define :meth:`state_info` and ``forward``
    (or ``hybrid_forward``) computing one step.

    A cell counts its steps (``_counter``, from 0 after :meth:`reset`) so that the
    symbols of step ``t`` are named ``t<t>_...``, as in MXNet.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Restart the step counter (unroll calls this), here and in the children."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            if isinstance(cell, RecurrentCell):
                cell.reset()

    def _check_not_modified(self):
        if self._modified:
            raise MXNetError(f'{self.name}: after applying modifier cells (e.g. ZoneoutCell) '
                             'the base cell cannot be called directly. Call the modifier '
                             'cell instead.')

    def state_info(self, batch_size=0):
        """One dict per state with its ``shape`` and ``__layout__``."""
        raise NotImplementedError

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states made by ``func`` (zeros by default); ``kwargs`` (``ctx=``,
        ``dtype=``) go to ``func``.

        >>> from d2lmini.gluon import rnn
        >>> [s.shape for s in rnn.LSTMCell(4).begin_state(batch_size=3)]
        [(3, 4), (3, 4)]
        """
        self._check_not_modified()
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            info = dict(info or {})
            info.update(kwargs)
            states.append(func(name=f'{self.prefix}begin_state_{self._init_counter}', **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Run the cell over ``length`` steps of ``inputs``: one array (or Symbol) laid
        out as ``layout`` (``'NTC'`` or ``'TNC'``), or a list of ``(N, C)`` steps.

        Returns ``(outputs, states)``: the outputs stacked along the time axis when
        ``merge_outputs`` is True, a list of the steps' outputs when False, and
        whichever is at hand when None. ``valid_length`` (shape ``(N,)``) gives each
        sequence's length: the outputs past it are zeros and the states returned are
        those at its last valid step.

        >>> import d2lmini as mx
        >>> from d2lmini.gluon import rnn
        >>> cell = rnn.LSTMCell(4)
        >>> cell.initialize()
        >>> out, states = cell.unroll(3, mx.nd.ones((2, 3, 5)), merge_outputs=True)
        >>> out.shape, [s.shape for s in states]
        ((2, 3, 4), [(2, 4), (2, 4)])
        """
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        outputs, all_states = [], []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [F.SequenceLast(F.stack(*per_step, axis=0), sequence_length=valid_length,
                                     use_sequence_length=True, axis=0)
                      for per_step in zip(*all_states)]
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis,
                                                     True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    @staticmethod
    def _get_activation(F, inputs, activation, **kwargs):
        """Apply ``activation``: a name ('tanh', 'relu', 'sigmoid', 'softsign' or any
        ``Activation`` type), a LeakyReLU block, or a function of an array."""
        named = {'tanh': F.tanh, 'relu': F.relu, 'sigmoid': F.sigmoid,
                 'softsign': F.softsign}.get(activation)
        if named is not None:
            return named(inputs, **kwargs)
        if isinstance(activation, str):
            return F.Activation(inputs, act_type=activation, **kwargs)
        alpha = getattr(activation, '_alpha', None)
        if alpha is not None and type(activation).__name__ == 'LeakyReLU':
            return F.LeakyReLU(inputs, act_type='leaky', slope=alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs, states):
        """One step: ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A cell whose step is written as ``hybrid_forward(F, inputs, states, ...)``."""

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError(f'{type(self).__name__} must define hybrid_forward()')


# ---------------------------------------------------------------------- basic cells
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

    def _maps(self, F, inputs, h, i2h_weight, h2h_weight, i2h_bias, h2h_bias, prefix):
        rows = self._gates * self._hidden_size
        return (F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=rows,
                                 name=prefix + 'i2h'),
                F.FullyConnected(h, h2h_weight, h2h_bias, num_hidden=rows,
                                 name=prefix + 'h2h'))


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
        prefix = f't{self._counter}_'
        i2h, h2h = self._maps(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                              h2h_bias, prefix)
        h = self._get_activation(F, F.elemwise_add(i2h, h2h, name=prefix + 'plus0'),
                                 self._activation, name=prefix + 'out')
        return h, [h]


class LSTMCell(_GatedCell):
    """One LSTM step; states ``[h, c]``, gate blocks input, forget, candidate, output.
    ``recurrent_activation`` (default sigmoid) squashes the three gates,
    ``activation`` (default tanh) the candidate and the cell state.

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
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f't{self._counter}_'
        i2h, h2h = self._maps(F, inputs, states[0], i2h_weight, h2h_weight, i2h_bias,
                              h2h_bias, prefix)
        gates = F.split(F.elemwise_add(i2h, h2h, name=prefix + 'plus0'), num_outputs=4,
                        name=prefix + 'slice')
        gate = self._recurrent_activation
        in_gate = self._get_activation(F, gates[0], gate, name=prefix + 'i')
        forget_gate = self._get_activation(F, gates[1], gate, name=prefix + 'f')
        candidate = self._get_activation(F, gates[2], self._activation, name=prefix + 'c')
        out_gate = self._get_activation(F, gates[3], gate, name=prefix + 'o')
        c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1], name=prefix + 'mul0'),
                           F.elemwise_mul(in_gate, candidate, name=prefix + 'mul1'),
                           name=prefix + 'state')
        h = F.elemwise_mul(out_gate, self._get_activation(F, c, self._activation,
                                                          name=prefix + 'activation0'),
                           name=prefix + 'out')
        return h, [h, c]


class GRUCell(_GatedCell):
    """One GRU step; gate blocks reset, update, new, with the reset gate applied to
    the hidden map after its bias (as MXNet does):
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

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
        prefix = f't{self._counter}_'
        h = states[0]
        i2h, h2h = self._maps(F, inputs, h, i2h_weight, h2h_weight, i2h_bias, h2h_bias, prefix)
        i2h_r, i2h_z, i2h_n = _unstack_gates(F.split(i2h, num_outputs=3,
                                                     name=prefix + 'i2h_slice'), 3)
        h2h_r, h2h_z, h2h_n = _unstack_gates(F.split(h2h, num_outputs=3,
                                                     name=prefix + 'h2h_slice'), 3)
        reset = F.sigmoid(F.elemwise_add(i2h_r, h2h_r, name=prefix + 'plus0'),
                          name=prefix + 'r_act')
        update = F.sigmoid(F.elemwise_add(i2h_z, h2h_z, name=prefix + 'plus1'),
                           name=prefix + 'z_act')
        new = F.tanh(F.elemwise_add(i2h_n, F.elemwise_mul(reset, h2h_n, name=prefix + 'mul0'),
                                    name=prefix + 'plus2'), name=prefix + 'h_act')
        keep = F.elemwise_sub(F.ones_like(update), update, name=prefix + 'minus0')
        h = F.elemwise_add(F.elemwise_mul(keep, new, name=prefix + 'mul1'),
                           F.elemwise_mul(update, h, name=prefix + 'mul20'),
                           name=prefix + 'out')
        return h, [h]


def _unstack_gates(parts, n):
    return [parts[i] for i in range(n)]


# ---------------------------------------------------------------------- containers
class _StackedCells:
    """What the two sequential containers share: cells run one after the other, each
    step's output of one cell being the next cell's input; the states are the
    cells' states, concatenated in order."""

    def add(self, cell):
        """Append a cell."""
        self.register_child(cell)

    def __repr__(self):
        lines = [f'({i}): {_indent(repr(c), 2)}' for i, c in self._children.items()]
        return f'{type(self).__name__}(\n' + '\n'.join(lines) + '\n)'

    def __getitem__(self, i):
        return list(self._children.values())[i]

    def __len__(self):
        return len(self._children)

    def state_info(self, batch_size=0):
        return [info for c in self._children.values() for info in c.state_info(batch_size)]

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        self._check_not_modified()
        return [s for c in self._children.values()
                for s in c.begin_state(batch_size=batch_size, func=func, **kwargs)]

    def _step(self, inputs, states):
        next_states, start = [], 0
        for cell in self._children.values():
            if isinstance(cell, BidirectionalCell):
                raise MXNetError(f'{self.name}: a BidirectionalCell cannot be stepped; '
                                 'use unroll')
            n = len(cell.state_info())
            inputs, cell_states = cell(inputs, list(states[start:start + n]))
            start += n
            next_states.extend(cell_states)
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Unroll each cell over the whole sequence in turn (see
        :meth:`RecurrentCell.unroll`)."""
        self.reset()
        inputs, _, F, batch_size = _format_sequence(length, inputs, layout, None)
        begin_state = _get_begin_state(self, F, begin_state, inputs, batch_size,
                                       batch_axis=layout.find('N'))
        cells = list(self._children.values())
        start, next_states = 0, []
        for i, cell in enumerate(cells):
            n = len(cell.state_info())
            inputs, states = cell.unroll(length, inputs=inputs,
                                         begin_state=begin_state[start:start + n],
                                         layout=layout,
                                         merge_outputs=None if i < len(cells) - 1
                                         else merge_outputs,
                                         valid_length=valid_length)
            start += n
            next_states.extend(states)
        return inputs, next_states


class SequentialRNNCell(_StackedCells, RecurrentCell):
    """Cells stacked: each step's output of one cell is the next cell's input.

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

    def forward(self, inputs, states):
        self._counter += 1
        return self._step(inputs, states)


class HybridSequentialRNNCell(_StackedCells, HybridRecurrentCell):
    """:class:`SequentialRNNCell` for hybrid cells: it can be a child of a
    HybridBlock, and hybridized as a whole.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> stack = rnn.HybridSequentialRNNCell()
    >>> stack.add(rnn.LSTMCell(4, prefix='l0_'))
    >>> stack.add(rnn.RNNCell(3, prefix='l1_'))
    >>> stack.initialize()
    >>> out, states = stack.unroll(5, mx.nd.ones((2, 5, 6)), merge_outputs=True)
    >>> out.shape, [s.shape for s in states]
    ((2, 5, 3), [(2, 4), (2, 4), (2, 3)])
    """

    def hybrid_forward(self, F, inputs, states):
        return self._step(inputs, states)


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward over the sequence and
    concatenates their outputs along the feature axis. It can only be unrolled
    (a step needs the whole sequence). Output symbols are named
    ``<output_prefix>t<step>`` (``<output_prefix>out`` when merged).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> bi = rnn.BidirectionalCell(rnn.GRUCell(3, prefix='l_'), rnn.GRUCell(3, prefix='r_'))
    >>> bi.initialize()
    >>> out, states = bi.unroll(4, mx.nd.ones((2, 4, 5)), merge_outputs=True)
    >>> out.shape, len(states)
    ((2, 4, 6), 2)
    """

    def __init__(self, l_cell, r_cell, output_prefix='bi_'):
        super().__init__(prefix='', params=None)
        self.register_child(l_cell, 'l_cell')
        self.register_child(r_cell, 'r_cell')
        self._output_prefix = output_prefix

    def __call__(self, inputs, states):
        raise NotImplementedError('BidirectionalCell cannot be stepped. Please use unroll')

    def __repr__(self):
        return (f"{type(self).__name__}(forward={self._children['l_cell']!r}, "
                f"backward={self._children['r_cell']!r})")

    # the states are the two cells' states, in order, as for stacked cells
    state_info = _StackedCells.state_info
    begin_state = _StackedCells.begin_state

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        reversed_inputs = _reverse_sequences(inputs, length, valid_length)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        l_cell, r_cell = self._children.values()
        n_left = len(l_cell.state_info(batch_size))
        l_outputs, l_states = l_cell.unroll(length, inputs=inputs, begin_state=states[:n_left],
                                            layout=layout, merge_outputs=merge_outputs,
                                            valid_length=valid_length)
        r_outputs, r_states = r_cell.unroll(length, inputs=reversed_inputs,
                                            begin_state=states[n_left:], layout=layout,
                                            merge_outputs=False, valid_length=valid_length)
        reversed_r_outputs = _reverse_sequences(r_outputs, length, valid_length)
        if merge_outputs is None:
            merge_outputs = _is_tensor(l_outputs)
            l_outputs, _, _, _ = _format_sequence(None, l_outputs, layout, merge_outputs)
            reversed_r_outputs, _, _, _ = _format_sequence(None, reversed_r_outputs, layout,
                                                           merge_outputs)
        if merge_outputs:
            if not _is_tensor(reversed_r_outputs):
                reversed_r_outputs = F.stack(*reversed_r_outputs, axis=axis)
            outputs = F.concat(l_outputs, reversed_r_outputs, dim=2,
                               name=f'{self._output_prefix}out')
        else:
            outputs = [F.concat(l_o, r_o, dim=1, name=f'{self._output_prefix}t{i}')
                       for i, (l_o, r_o) in enumerate(zip(l_outputs, reversed_r_outputs))]
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis,
                                                     merge_outputs)
        return outputs, l_states + r_states


class DropoutCell(HybridRecurrentCell):
    """Dropout on the step's input, while training; it has no states. Put it
    between the cells of a :class:`SequentialRNNCell`. ``axes`` share the mask.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> rnn.DropoutCell(0.5)(mx.nd.ones((1, 2)), [])[0]   # not training: unchanged
    <BLANKLINE>
    [[1. 1.]]
    <NDArray 1x2 @cpu(0)>
    """

    def __init__(self, rate, axes=(), prefix=None, params=None):
        if not isinstance(rate, numeric_types):
            raise TypeError(f'DropoutCell: rate must be a number, got {type(rate).__name__}')
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
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes,
                               name=f't{self._counter}_fwd')
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        # a whole sequence is dropped out in one go (it has no states to thread)
        self.reset()
        inputs, _, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if _is_tensor(inputs):
            return self.hybrid_forward(F, inputs, begin_state if begin_state else [])
        return super().unroll(length, inputs, begin_state=begin_state, layout=layout,
                              merge_outputs=merge_outputs, valid_length=None)


# ---------------------------------------------------------------------- modifiers
class ModifierCell(HybridRecurrentCell):
    """Base class of the cells that wrap a ``base_cell`` and change what it
    computes (:class:`ZoneoutCell`, :class:`ResidualCell`). The base cell's
    parameters and states are the modifier's; once wrapped, the base cell is
    used through the modifier only."""

    def __init__(self, base_cell):
        if base_cell._modified:
            raise MXNetError(f'Cell {base_cell.name} is already modified. One cell cannot be '
                             'modified twice')
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias(), params=None)
        self.base_cell = base_cell

    @property
    def params(self):
        return self.base_cell.params

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        # MXNet 1.x defaults ``func`` to symbol.zeros here; NDArrays, as for every
        # other cell, are what ``begin_state(batch_size)`` is called for
        self._check_not_modified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size=batch_size, func=func, **kwargs)
        finally:
            self.base_cell._modified = True

    def hybrid_forward(self, F, inputs, states):
        raise NotImplementedError(f'{type(self).__name__} must define hybrid_forward()')

    def __repr__(self):
        return f'{type(self).__name__}({self.base_cell!r})'


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al., 2016) on ``base_cell``: while training, each unit of
    the output (probability ``zoneout_outputs``) and of the states
    (``zoneout_states``) keeps its previous value instead of the new one.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> cell = rnn.ZoneoutCell(rnn.RNNCell(3, input_size=2), 0.5, 0.5)
    >>> cell.initialize()
    >>> cell.unroll(4, mx.nd.ones((2, 4, 2)), merge_outputs=True)[0].shape
    (2, 4, 3)
    """

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        if isinstance(base_cell, BidirectionalCell):
            raise MXNetError('BidirectionalCell does not support zoneout since it cannot be '
                             'stepped. Please add ZoneoutCell to the cells underneath instead.')
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def __repr__(self):
        return (f'{type(self).__name__}(p_out={self.zoneout_outputs}, '
                f'p_state={self.zoneout_states}, {self.base_cell!r})')

    def _alias(self):
        return 'zoneout'

    def reset(self):
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F, inputs, states):
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, like):
            # dropout of ones: nonzero (keep the new value) with probability 1 - p
            return F.Dropout(F.ones_like(like), p=p)

        prev_output = self._prev_output
        if prev_output is None or _module_of(prev_output) is not F:
            # first step, or a previous step of another kind (before hybridize)
            prev_output = F.zeros_like(next_output)
        output = (F.where(keep_new(self.zoneout_outputs, next_output), next_output, prev_output)
                  if self.zoneout_outputs != 0. else next_output)
        new_states = ([F.where(keep_new(self.zoneout_states, new), new, old)
                       for new, old in zip(next_states, states)]
                      if self.zoneout_states != 0. else next_states)
        self._prev_output = output
        return output, new_states


class ResidualCell(ModifierCell):
    """Adds the step's input to the output of ``base_cell`` (a skip connection, Wu
    et al., 2016); the states and parameters are the base cell's.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> cell = rnn.ResidualCell(rnn.GRUCell(3, input_size=3))
    >>> cell.initialize()
    >>> cell(mx.nd.ones((2, 3)), cell.begin_state(2))[0].shape
    (2, 3)
    """

    def hybrid_forward(self, F, inputs, states):
        output, states = self.base_cell(inputs, states)
        return F.elemwise_add(output, inputs, name=f't{self._counter}_fwd'), states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs=inputs,
                                                    begin_state=begin_state, layout=layout,
                                                    merge_outputs=merge_outputs,
                                                    valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        if merge_outputs is None:
            merge_outputs = _is_tensor(outputs)
        inputs, axis, F, _ = _format_sequence(length, inputs, layout, merge_outputs)
        if valid_length is not None:
            # the padded steps of the output are zeros: so must the added inputs be
            inputs = _mask_sequence_variable_length(F, inputs, length, valid_length, axis,
                                                    merge_outputs)
        if merge_outputs:
            return F.elemwise_add(outputs, inputs), states
        return [F.elemwise_add(o, i) for o, i in zip(outputs, inputs)], states
