"""Two more cells from MXNet 1.x's ``gluon.contrib.rnn``: :class:`VariationalDropoutCell`
(one dropout mask per sequence) and :class:`LSTMPCell` (an LSTM whose recurrent
state is a projection of its hidden state).

>>> import d2lmini as mx
>>> from d2lmini.gluon.contrib.rnn import LSTMPCell
>>> cell = LSTMPCell(hidden_size=6, projection_size=2, input_size=3)
>>> cell
LSTMPCell(3 -> 24 -> 2)
>>> cell.initialize()
>>> out, (r, c) = cell(mx.nd.ones((4, 3)), cell.begin_state(4))
>>> out.shape, r.shape, c.shape
((4, 2), (4, 2), (4, 6))
"""
from .... import ndarray as nd
from ...rnn.rnn_cell import (BidirectionalCell, HybridRecurrentCell, ModifierCell,
                             SequentialRNNCell, _format_sequence, _get_begin_state,
                             _is_tensor, _mask_sequence_variable_length, _module_of)

__all__ = ['VariationalDropoutCell', 'LSTMPCell']


class VariationalDropoutCell(ModifierCell):
    """Variational dropout (Gal & Ghahramani, 2016) on ``base_cell``: while
    training, the inputs, the first state (``h``) and the outputs are dropped out
    with rates ``drop_inputs``, ``drop_states``, ``drop_outputs``, each with a
    mask drawn once per sequence and reused at every step (the three masks are
    independent). A rate of 0 leaves that part alone.

    The masks are drawn at the first step and kept until :meth:`reset` (which
    :meth:`unroll` calls): when stepping the cell by hand, call ``reset()``
    before each new sequence, as in MXNet. Unlike MXNet 1.x, this holds for a
    hybridized cell too.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import rnn
    >>> from d2lmini.gluon.contrib.rnn import VariationalDropoutCell
    >>> cell = VariationalDropoutCell(rnn.GRUCell(3), drop_inputs=0.5, drop_outputs=0.5)
    >>> cell
    VariationalDropoutCell(p_out = 0.5, p_state = 0.0)
    >>> cell.initialize()
    >>> cell.unroll(4, mx.nd.ones((2, 4, 5)), merge_outputs=True)[0].shape
    (2, 4, 3)
    """

    def __init__(self, base_cell, drop_inputs=0., drop_states=0., drop_outputs=0.):
        # a bidirectional cell cannot be stepped, so its states cannot be masked step by step
        if drop_states and isinstance(base_cell, BidirectionalCell):
            raise ValueError("BidirectionalCell doesn't support variational state dropout. "
                             "Please add VariationalDropoutCell to the cells underneath "
                             "instead.")
        if drop_states and isinstance(base_cell, SequentialRNNCell) and any(
                isinstance(cell, BidirectionalCell) for cell in base_cell._children.values()):
            raise ValueError("Bidirectional SequentialRNNCell doesn't support variational "
                             "state dropout. Please add VariationalDropoutCell to the cells "
                             "underneath instead.")
        super().__init__(base_cell)
        self.drop_inputs = drop_inputs
        self.drop_states = drop_states
        self.drop_outputs = drop_outputs
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    def _alias(self):
        return 'vardrop'

    def __repr__(self):
        return (f'{type(self).__name__}(p_out = {self.drop_outputs}, '
                f'p_state = {self.drop_states})')

    def reset(self):
        """Restart the step counter and forget the masks: the next step draws new ones."""
        super().reset()
        self.drop_inputs_mask = None
        self.drop_states_mask = None
        self.drop_outputs_mask = None

    @staticmethod
    def _mask(F, mask, rate, like):
        """``mask`` if it was drawn already for this kind of array, else a new one:
        dropout of ones, 0 or ``1 / (1 - rate)`` per unit (1 outside training)."""
        if mask is None or _module_of(mask) is not F:
            mask = F.Dropout(F.ones_like(like), p=rate)
        return mask

    def forward(self, inputs, states):
        # With NDArrays the masking runs eagerly, outside any compiled graph, so the
        # masks drawn at the first step serve the whole sequence even when the cell
        # is hybridized (a hybridized MXNet 1.x cell redraws them at every step); the
        # base cell still runs its own compiled graph. Symbols are traced as usual.
        if isinstance(inputs, nd.NDArray):
            self._counter += 1
            return self.hybrid_forward(nd, inputs, states)
        return super().forward(inputs, states)

    def hybrid_forward(self, F, inputs, states):
        if self.drop_states:
            self.drop_states_mask = self._mask(F, self.drop_states_mask, self.drop_states,
                                               states[0])
            # only h, always the first state, is dropped out
            states = [F.elemwise_mul(states[0], self.drop_states_mask)] + list(states[1:])
        if self.drop_inputs:
            self.drop_inputs_mask = self._mask(F, self.drop_inputs_mask, self.drop_inputs,
                                               inputs)
            inputs = F.elemwise_mul(inputs, self.drop_inputs_mask)
        output, next_states = self.base_cell(inputs, states)
        if self.drop_outputs:
            self.drop_outputs_mask = self._mask(F, self.drop_outputs_mask, self.drop_outputs,
                                                output)
            output = F.elemwise_mul(output, self.drop_outputs_mask)
        return output, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """As :meth:`RecurrentCell.unroll`. Without state dropout the inputs and
        outputs are dropped out as whole sequences, their mask shared along the
        time axis, around one unroll of the base cell (as MXNet 1.x does)."""
        if self.drop_states:
            return super().unroll(length, inputs, begin_state, layout, merge_outputs,
                                  valid_length=valid_length)
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, True)
        states = _get_begin_state(self, F, begin_state, inputs, batch_size)
        if self.drop_inputs:
            inputs = F.Dropout(inputs, p=self.drop_inputs, axes=(axis,))
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs, states, layout,
                                                    merge_outputs=True,
                                                    valid_length=valid_length)
        finally:
            self.base_cell._modified = True
        if self.drop_outputs:
            outputs = F.Dropout(outputs, p=self.drop_outputs, axes=(axis,))
        if merge_outputs is None:
            merge_outputs = _is_tensor(outputs)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        if valid_length is not None:
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis,
                                                     merge_outputs)
        return outputs, states


class LSTMPCell(HybridRecurrentCell):
    r"""LSTM with a projection (Sak et al., 2014): the LSTM step of
    :class:`~d2lmini.gluon.rnn.LSTMCell`, whose output ``r = W_hr h`` (no bias,
    ``projection_size`` units) replaces ``h`` as the recurrent state.

    States ``[r, c]``, of shapes ``(N, projection_size)`` and ``(N, hidden_size)``;
    parameters ``i2h_weight (4H, input_size)``, ``h2h_weight (4H, projection_size)``,
    ``h2r_weight (projection_size, H)``, ``i2h_bias``, ``h2h_bias`` (``4H``), with
    the gate blocks input, forget, candidate, output. Default prefix ``lstmp<n>_``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon.contrib.rnn import LSTMPCell
    >>> cell = LSTMPCell(5, 3)
    >>> [s['shape'] for s in cell.state_info(2)]
    [(2, 3), (2, 5)]
    >>> [name[len(cell.prefix):] for name in cell.collect_params()]
    ['i2h_weight', 'h2h_weight', 'h2r_weight', 'i2h_bias', 'h2h_bias']
    """

    def __init__(self, hidden_size, projection_size, i2h_weight_initializer=None,
                 h2h_weight_initializer=None, h2r_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        self._projection_size = projection_size
        rows = 4 * hidden_size
        get = self.params.get
        self.i2h_weight = get('i2h_weight', shape=(rows, input_size),
                              init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = get('h2h_weight', shape=(rows, projection_size),
                              init=h2h_weight_initializer, allow_deferred_init=True)
        self.h2r_weight = get('h2r_weight', shape=(projection_size, hidden_size),
                              init=h2r_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = get('i2h_bias', shape=(rows,), init=i2h_bias_initializer,
                            allow_deferred_init=True)
        self.h2h_bias = get('h2h_bias', shape=(rows,), init=h2h_bias_initializer,
                            allow_deferred_init=True)

    def _alias(self):
        return 'lstmp'

    def __repr__(self):
        rows, in_size = self.i2h_weight.shape
        return f'{type(self).__name__}({in_size or None} -> {rows} -> {self.h2r_weight.shape[0]})'

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._projection_size), '__layout__': 'NC'},
                {'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}]

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias,
                       h2h_bias):
        prefix = f't{self._counter}_'
        rows = 4 * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=rows,
                               name=prefix + 'i2h')
        h2h = F.FullyConnected(states[0], h2h_weight, h2h_bias, num_hidden=rows,
                               name=prefix + 'h2h')
        gates = F.split(F.elemwise_add(i2h, h2h), num_outputs=4, axis=1, name=prefix + 'slice')
        in_gate = F.sigmoid(gates[0], name=prefix + 'i')
        forget_gate = F.sigmoid(gates[1], name=prefix + 'f')
        candidate = F.tanh(gates[2], name=prefix + 'c')
        out_gate = F.sigmoid(gates[3], name=prefix + 'o')
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1]),
                                F.elemwise_mul(in_gate, candidate), name=prefix + 'state')
        hidden = F.elemwise_mul(out_gate, F.tanh(next_c), name=prefix + 'hidden')
        next_r = F.FullyConnected(hidden, h2r_weight, num_hidden=self._projection_size,
                                  no_bias=True, name=prefix + 'out')
        return next_r, [next_r, next_c]


def dynamic_unroll(cell, inputs, begin_state, drop_inputs=0, drop_outputs=0, layout='TNC',
                   valid_length=None):
    """Run ``cell`` over every step of ``inputs`` with one ``F.contrib.foreach`` loop:
    unlike :meth:`~d2lmini.gluon.rnn.RecurrentCell.unroll`, whose Python loop becomes
    one copy of the cell per step in a hybridized graph, the graph holds the cell
    once, and the sequence length is known only when data arrives.

    ``inputs`` is one array in ``layout`` ('TNC' or 'NTC'); ``begin_state`` the
    cell's states. With ``valid_length`` (one length per batch element) the states
    stop changing after each sequence's last step, so the states returned are those
    of its last valid step, and outputs past it are zeros. ``drop_inputs`` and
    ``drop_outputs`` apply dropout with one mask shared by all the steps of a
    sequence. Returns ``(outputs, states)``, the outputs in ``layout``.

    >>> import d2lmini as mx
    >>> cell = mx.gluon.rnn.RNNCell(3)
    >>> cell.initialize()
    >>> x = mx.nd.ones((4, 2, 5))                     # 4 steps, batch 2
    >>> out, states = dynamic_unroll(cell, x, cell.begin_state(2),
    ...                              valid_length=mx.nd.array([4, 2]))
    >>> out.shape, states[0].shape
    ((4, 2, 3), (2, 3))
    >>> float(out[2:, 1].sum().asscalar())           # past the second sequence's end
    0.0
    """
    if layout not in ('TNC', 'NTC'):
        raise ValueError(f"dynamic_unroll: layout must be 'TNC' or 'NTC', not {layout!r}")
    if not _is_tensor(inputs):
        raise TypeError('dynamic_unroll: inputs must be one NDArray or Symbol holding the '
                        'whole sequence, not a list of steps')
    F = _module_of(inputs)
    time_major = layout == 'TNC'
    if not time_major:
        inputs = F.swapaxes(inputs, dim1=0, dim2=1)
    if drop_inputs:     # one mask for all steps: shared along the time axis (0 here)
        inputs = F.Dropout(inputs, p=drop_inputs, axes=(0,))
    states = list(begin_state) if isinstance(begin_state, (list, tuple)) else [begin_state]
    if valid_length is None:
        def step(x, states):
            return cell(x, states)
    else:
        # the step number travels with the states: a state is replaced by the new
        # one only while the step is inside the sequence
        states = states + [F.zeros((1,))]

        def step(x, carried):
            old, t = carried[:-1], carried[-1]
            out, new = cell(x, old)
            inside = F.broadcast_greater(valid_length, t)
            new = [F.where(inside, n, o) for n, o in zip(new, old)]
            return out, new + [t + 1]
    outputs, states = F.contrib.foreach(step, inputs, states)
    if drop_outputs:
        outputs = F.Dropout(outputs, p=drop_outputs, axes=(0,))
    if valid_length is not None:
        outputs = F.SequenceMask(outputs, sequence_length=valid_length,
                                 use_sequence_length=True, axis=0)
        states = states[:-1]
    if not time_major:
        outputs = F.swapaxes(outputs, dim1=0, dim2=1)
    return outputs, states
