"""MXNet 1.x's symbolic recurrent cells (``mx.rnn``), the API that came before Gluon.

A cell builds one time step of a recurrent network as a :class:`~d2lmini.symbol.Symbol`:
``cell(inputs, states)`` returns ``(output, new_states)`` and names the step's nodes
``<prefix>t<step>_...``. :meth:`BaseRNNCell.unroll` repeats the step over a whole
sequence. The graphs, variable names and node names are MXNet 1.9.1's, so that
programs (and checkpoints) written for ``mx.rnn`` work unchanged:

* basic cells :class:`RNNCell`, :class:`LSTMCell`, :class:`GRUCell`, whose weights
  are ``<prefix>i2h_weight``, ``<prefix>i2h_bias``, ``<prefix>h2h_weight`` and
  ``<prefix>h2h_bias``, the gates stacked along the first axis;
* :class:`FusedRNNCell`, one ``RNN`` operator for a whole multi-layer network, whose
  weights live in one flat vector ``<prefix>parameters``;
* containers :class:`SequentialRNNCell` (a stack) and :class:`BidirectionalCell`;
* :class:`DropoutCell`, and the *modifier* cells that wrap another one
  (:class:`ZoneoutCell`, :class:`ResidualCell`).

``unpack_weights`` splits trained weights into one array per gate
(``l0_i2h_f_weight``, ...) and ``pack_weights`` joins them again; between the two
forms a fused network's weights move to the equivalent stack of cells
(:meth:`FusedRNNCell.unfuse`) and back.

>>> import d2lmini as mx
>>> cell = mx.rnn.LSTMCell(8, prefix='lstm_')
>>> outputs, states = cell.unroll(3, mx.sym.var('data'), merge_outputs=True)
>>> outputs.list_arguments()
['data', 'lstm_i2h_weight', 'lstm_i2h_bias', 'lstm_h2h_weight', 'lstm_h2h_bias']
>>> [s.name for s in states]
['lstm_t2_out', 'lstm_t2_state']

Begin states fed from outside are variables (``func=mx.sym.Variable``), numbered
from 0 again after ``reset()``:

>>> cell.reset()
>>> begin = cell.begin_state(func=mx.sym.Variable)
>>> outputs, _ = cell.unroll(3, mx.sym.var('data'), begin_state=begin, layout='TNC',
...                          merge_outputs=True)
>>> outputs.infer_shape(data=(3, 4, 5), lstm_begin_state_0=(4, 8),
...                     lstm_begin_state_1=(4, 8))[1]
[(3, 4, 8)]
"""
import warnings

import numpy as np

from .. import ndarray
from .. import symbol
from .. import initializer
from ..base import MXNetError, numeric_types
from ..ops import rnn as _rnn_op

__all__ = ['RNNParams', 'BaseRNNCell', 'RNNCell', 'LSTMCell', 'GRUCell', 'FusedRNNCell',
           'SequentialRNNCell', 'DropoutCell', 'ModifierCell', 'ZoneoutCell', 'ResidualCell',
           'BidirectionalCell', 'FusedRNN']


# ------------------------------------------------------------------ sequences
def _as_sequence(length, inputs, layout, merge, in_layout=None):
    """Bring a sequence to the form a cell needs.

    ``inputs`` is one Symbol holding the whole sequence (time on the ``T`` axis of
    ``in_layout``, which defaults to ``layout``) or a list of per-step Symbols.
    ``merge=False`` gives a list of per-step Symbols, ``merge=True`` one Symbol in
    ``layout``, ``merge=None`` leaves the form as it is. Returns the sequence and the
    time axis of ``layout``.
    """
    if inputs is None:
        raise MXNetError('unroll: inputs is None; give a Symbol holding the whole '
                         'sequence or a list of one Symbol per step')
    if 'T' not in layout or 'N' not in layout:
        raise MXNetError(f"unroll: layout must name a time axis 'T' and a batch axis 'N', "
                         f'got {layout!r}')
    axis = layout.find('T')
    in_axis = axis if in_layout is None else in_layout.find('T')
    if _is_symbol(inputs):
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise MXNetError('unroll does not accept a grouped symbol as inputs; give '
                                 'one symbol for the whole sequence or a list of symbols')
            pieces = symbol.split(inputs, axis=in_axis, num_outputs=length, squeeze_axis=1)
            inputs = [pieces[t] for t in range(length)]
    else:
        inputs = list(inputs)
        if length is not None and len(inputs) != length:
            # AssertionError, as MXNet 1.x raises
            raise AssertionError(f'unroll: length={length} but {len(inputs)} inputs were '
                                 'given')
        if merge is True:
            # one step per slice of the time axis, stacked along it
            steps = [symbol.expand_dims(x, axis=in_axis) for x in inputs]
            inputs = symbol.Concat(*steps, dim=in_axis)
    if _is_symbol(inputs) and in_axis != axis:
        inputs = symbol.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis


def _is_symbol(x):
    return isinstance(x, symbol.Symbol)


def _swap_time_batch(x):
    """(N, T, ...) <-> (T, N, ...)."""
    return symbol.swapaxes(x, dim1=0, dim2=1)


def _split_states(cells, states):
    """``states`` (one flat list) cut into each cell's share, in order."""
    shares, at = [], 0
    for cell in cells:
        n = len(cell.state_info)
        shares.append(states[at:at + n])
        at += n
    return shares


# ---------------------------------------------------------------- parameters
class RNNParams:
    """The variables of a cell's weights, created once and shared by every step.

    ``get(name)`` returns the variable ``<prefix><name>``, making it on first use
    (keyword arguments such as ``init`` go to :func:`~d2lmini.symbol.Variable`).
    Cells given the same ``RNNParams`` share their weights.

    >>> import d2lmini as mx
    >>> params = mx.rnn.RNNParams('enc_')
    >>> params.get('i2h_weight').name
    'enc_i2h_weight'
    >>> params.get('i2h_weight') is params.get('i2h_weight')
    True
    """

    def __init__(self, prefix=''):
        self._prefix = prefix
        self._params = {}

    def get(self, name, **kwargs):
        """The variable ``prefix + name`` (made with ``kwargs`` the first time)."""
        full = self._prefix + name
        found = self._params.get(full)
        if found is None:
            found = self._params[full] = symbol.Variable(full, **kwargs)
        return found


def _check_not_wrapped(cell):
    if cell._modified:
        raise AssertionError('After applying modifier cells (e.g. DropoutCell) the base cell '
                             'cannot be called directly. Call the modifier cell instead.')


class BaseRNNCell:
    """The base of all cells: a prefix for names, shared parameters, step counters.

    Subclasses define ``state_info`` (one dict per state: its ``shape``, with 0 for the
    batch size, and ``__layout__``), ``__call__`` (one step) and, for the cells with
    gates, ``_gate_names`` and ``_num_hidden`` (used by ``unpack_weights``).
    """

    def __init__(self, prefix='', params=None):
        if params is None:
            params = RNNParams(prefix)
            self._own_params = True
        else:
            self._own_params = False
        self._prefix = prefix
        self._params = params
        self._modified = False
        self.reset()

    def reset(self):
        """Restart the step and begin-state counters (``unroll`` does it first), so
        that a new unrolling names its nodes from ``t0`` again."""
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, '_cells', ()):
            cell.reset()

    def __call__(self, inputs, states):
        """One step: ``(output, new_states)`` from the step's input and the states."""
        raise NotImplementedError(f'{type(self).__name__} does not define a step')

    @property
    def params(self):
        """The cell's :class:`RNNParams`. Once read, they count as given from outside
        (so a container given its own params refuses this cell, as in MXNet)."""
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        """One dict per state: ``shape`` (0 for the unknown batch size) and
        ``__layout__``."""
        raise NotImplementedError(f'{type(self).__name__} does not define state_info')

    @property
    def state_shape(self):
        """The states' shapes (0 where the batch size goes)."""
        return [info['shape'] for info in self.state_info]

    @property
    def _gate_names(self):
        return ()

    def begin_state(self, func=symbol.zeros, **kwargs):
        """The initial states, one symbol per state, named
        ``<prefix>begin_state_<n>``: zeros by default (of unknown batch size, which
        shape inference fills in), or ``func=mx.sym.Variable`` for states fed from
        outside (a Module's ``state_names``). ``kwargs`` go to ``func``.

        >>> import d2lmini as mx
        >>> [s.name for s in mx.rnn.LSTMCell(4, prefix='l_').begin_state(func=mx.sym.Variable)]
        ['l_begin_state_0', 'l_begin_state_1']
        """
        _check_not_wrapped(self)
        states = []
        for info in self.state_info:
            self._init_counter += 1
            if info is not None:
                kwargs.update(info)
            states.append(func(name=f'{self._prefix}begin_state_{self._init_counter}',
                               **kwargs))
        return states

    def unpack_weights(self, args):
        """A copy of the dict ``args`` with this cell's ``i2h``/``h2h`` weights and
        biases split into one array per gate (``<prefix>i2h_f_weight``...); other
        entries are kept."""
        args = dict(args)
        if not self._gate_names:
            return args
        hidden = self._num_hidden
        for group in ('i2h', 'h2h'):
            for kind in ('weight', 'bias'):
                whole = args.pop(f'{self._prefix}{group}_{kind}')
                for k, gate in enumerate(self._gate_names):
                    args[f'{self._prefix}{group}{gate}_{kind}'] = \
                        whole[k * hidden:(k + 1) * hidden].copy()
        return args

    def pack_weights(self, args):
        """The inverse of :meth:`unpack_weights`: per-gate arrays joined again."""
        args = dict(args)
        if not self._gate_names:
            return args
        for group in ('i2h', 'h2h'):
            for kind in ('weight', 'bias'):
                parts = [args.pop(f'{self._prefix}{group}{gate}_{kind}')
                         for gate in self._gate_names]
                args[f'{self._prefix}{group}_{kind}'] = ndarray.concatenate(parts)
        return args

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        """Run the cell over ``length`` steps.

        ``inputs``: one Symbol with the whole sequence in ``layout`` (``'NTC'`` or
        ``'TNC'``) or a list of ``length`` per-step Symbols ``(N, C)``.
        ``begin_state``: the initial states (default :meth:`begin_state`).
        ``merge_outputs``: True for one output Symbol in ``layout``, False for a list
        of per-step outputs, None for the form the cell produces naturally.
        Returns ``(outputs, final_states)``.
        """
        self.reset()
        inputs, _ = _as_sequence(length, inputs, layout, False)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for step in range(length):
            output, states = self(inputs[step], states)
            outputs.append(output)
        outputs, _ = _as_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, inputs, activation, **kwargs):
        """``activation`` applied to ``inputs``: a name for ``Activation``'s
        ``act_type``, or a function taking the symbol (and ``name``)."""
        if not isinstance(activation, str):
            return activation(inputs, **kwargs)
        return symbol.Activation(inputs, act_type=activation, **kwargs)

    def _step_name(self):
        self._counter += 1
        return f'{self._prefix}t{self._counter}_'


# ---------------------------------------------------------------- basic cells
class _GatedCell(BaseRNNCell):
    """A cell with the four weights ``i2h``/``h2h`` x ``weight``/``bias``."""

    def __init__(self, num_hidden, prefix, params, bias_init=None):
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        # made in MXNet's order; only the input bias may have its own initializer
        self._weights = {}
        for name in ('i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'):
            own_init = {'init': bias_init} if name == 'i2h_bias' and bias_init else {}
            self._weights[name] = self.params.get(name, **own_init)

    @property
    def state_info(self):
        return [{'shape': (0, self._num_hidden), '__layout__': 'NC'}
                for _ in range(self._num_states)]

    _num_states = 1

    def _maps(self, inputs, h, name, gates):
        """The input and recurrent maps of a step, each ``gates * hidden`` wide."""
        w = self._weights
        return [symbol.FullyConnected(x, w[f'{kind}_weight'], w[f'{kind}_bias'],
                                      num_hidden=gates * self._num_hidden,
                                      name=f'{name}{kind}')
                for kind, x in (('i2h', inputs), ('h2h', h))]


class RNNCell(_GatedCell):
    """An Elman cell: ``h' = activation(W_i x + b_i + W_h h + b_h)``.

    ``activation``: an ``Activation`` ``act_type`` (``'tanh'``, ``'relu'``...) or a
    function of a symbol. The output is the new state, node ``<prefix>t<n>_out``.

    >>> import d2lmini as mx
    >>> cell = mx.rnn.RNNCell(6, prefix='rnn_')
    >>> out, states = cell(mx.sym.var('x'), [mx.sym.var('h')])
    >>> out.name, out.infer_shape(x=(2, 3), h=(2, 6))[1]
    ('rnn_t0_out', [(2, 6)])
    """

    def __init__(self, num_hidden, activation='tanh', prefix='rnn_', params=None):
        super().__init__(num_hidden, prefix, params)
        self._activation = activation

    @property
    def _gate_names(self):
        return ('',)

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._maps(inputs, states[0], name, 1)
        output = self._get_activation(i2h + h2h, self._activation, name=f'{name}out')
        return output, [output]


class LSTMCell(_GatedCell):
    """A long short-term memory cell; states ``[h, c]``, gates in MXNet's order
    input, forget, candidate (``c``), output.

    ``forget_bias`` starts the forget gate's part of ``i2h_bias`` at that value (the
    variable carries an :class:`~d2lmini.initializer.LSTMBias` initializer), so the
    cell remembers by default. Nodes: ``<prefix>t<n>_slice``, ``_i``, ``_f``, ``_c``,
    ``_o``, ``_state`` (the new ``c``) and ``_out`` (the new ``h``).

    >>> import d2lmini as mx
    >>> cell = mx.rnn.LSTMCell(4, prefix='l_', forget_bias=2.0)
    >>> cell.params.get('i2h_bias').attr('__init__')
    '["lstmbias", {"forget_bias": 2.0}]'
    """

    _num_states = 2

    def __init__(self, num_hidden, prefix='lstm_', params=None, forget_bias=1.0):
        super().__init__(num_hidden, prefix, params,
                         bias_init=initializer.LSTMBias(forget_bias=forget_bias))

    @property
    def _gate_names(self):
        return _FUSED_GATES['lstm']

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._maps(inputs, states[0], name, 4)
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name=f'{name}slice')
        in_gate = symbol.Activation(gates[0], act_type='sigmoid', name=f'{name}i')
        forget_gate = symbol.Activation(gates[1], act_type='sigmoid', name=f'{name}f')
        candidate = symbol.Activation(gates[2], act_type='tanh', name=f'{name}c')
        out_gate = symbol.Activation(gates[3], act_type='sigmoid', name=f'{name}o')
        c_new = symbol._internal._plus(forget_gate * states[1], in_gate * candidate,
                                       name=f'{name}state')
        h_new = symbol._internal._mul(out_gate, symbol.Activation(c_new, act_type='tanh'),
                                      name=f'{name}out')
        return h_new, [h_new, c_new]


class GRUCell(_GatedCell):
    """A gated recurrent unit; gates in MXNet's order reset, update, new. The reset
    gate scales the recurrent part of the candidate after its bias is added, and
    ``h' = (1 - z) * candidate + z * h``.

    Its nodes are named ``<prefix>t<n>__i2h``, ``__r_act``, ``__z_act``, ``__h_act``
    (with a double underscore, as MXNet names them) and ``_out``.
    """

    def __init__(self, num_hidden, prefix='gru_', params=None):
        super().__init__(num_hidden, prefix, params)

    @property
    def _gate_names(self):
        return _FUSED_GATES['gru']

    def __call__(self, inputs, states):
        name = self._step_name()
        prev_h = states[0]
        i2h, h2h = self._maps(inputs, prev_h, f'{name}_', 3)
        i2h_r, i2h_z, i2h_n = symbol.SliceChannel(i2h, num_outputs=3, name=f'{name}_i2h_slice')
        h2h_r, h2h_z, h2h_n = symbol.SliceChannel(h2h, num_outputs=3, name=f'{name}_h2h_slice')
        reset = symbol.Activation(i2h_r + h2h_r, act_type='sigmoid', name=f'{name}_r_act')
        update = symbol.Activation(i2h_z + h2h_z, act_type='sigmoid', name=f'{name}_z_act')
        candidate = symbol.Activation(i2h_n + reset * h2h_n, act_type='tanh',
                                      name=f'{name}_h_act')
        next_h = symbol._internal._plus((1. - update) * candidate, update * prev_h,
                                        name=f'{name}out')
        return next_h, [next_h]


# ---------------------------------------------------------------- fused cell
_FUSED_GATES = {'rnn_relu': [''], 'rnn_tanh': [''], 'lstm': ['_i', '_f', '_c', '_o'],
                'gru': ['_r', '_z', '_o']}


class FusedRNNCell(BaseRNNCell):
    """A whole multi-layer (optionally bidirectional) network as one ``RNN``
    operator; it cannot be stepped, only unrolled.

    ``mode``: ``'rnn_relu'``, ``'rnn_tanh'``, ``'lstm'`` or ``'gru'`` (another is
    refused at once; MXNet 1.x accepts it and fails later). ``dropout``
    applies between layers while training. With ``get_next_state`` the unrolling
    returns the final states (shape ``(layers * directions, N, hidden)``), otherwise
    an empty list. The weights are one vector ``<prefix>parameters`` in the ``RNN``
    operator's layout, initialised by :class:`FusedRNN`; :meth:`unpack_weights`
    splits it into the per-gate arrays of the equivalent unfused stack
    (:meth:`unfuse`), with names ``<prefix>l0_i2h_i_weight``, ``<prefix>r1_h2h_o_bias``.

    >>> import d2lmini as mx
    >>> cell = mx.rnn.FusedRNNCell(4, num_layers=2, mode='gru', prefix='g_',
    ...                            get_next_state=True)
    >>> out, states = cell.unroll(5, mx.sym.var('data'), layout='TNC', merge_outputs=True)
    >>> mx.sym.Group([out] + states).list_outputs()
    ['g_rnn_output', 'g_rnn_state_output']
    """

    def __init__(self, num_hidden, num_layers=1, mode='lstm', bidirectional=False,
                 dropout=0., get_next_state=False, forget_bias=1.0, prefix=None,
                 params=None):
        if mode not in _FUSED_GATES:
            raise MXNetError(f"FusedRNNCell: mode={mode!r} is not one of 'rnn_relu', "
                             "'rnn_tanh', 'lstm', 'gru'")
        if prefix is None:
            prefix = f'{mode}_'
        super().__init__(prefix=prefix, params=params)
        self._num_hidden, self._num_layers, self._mode = num_hidden, num_layers, mode
        self._bidirectional, self._dropout = bidirectional, dropout
        self._get_next_state, self._forget_bias = get_next_state, forget_bias
        self._directions = list('lr' if bidirectional else 'l')
        weights_init = FusedRNN(None, num_hidden, num_layers, mode, bidirectional, forget_bias)
        self._parameter = self.params.get('parameters', init=weights_init)

    @property
    def state_info(self):
        shape = (len(self._directions) * self._num_layers, 0, self._num_hidden)
        count = 2 if self._mode == 'lstm' else 1
        return [{'shape': shape, '__layout__': 'LNC'} for _ in range(count)]

    @property
    def _gate_names(self):
        return _FUSED_GATES[self._mode]

    @property
    def _num_gates(self):
        return len(self._gate_names)

    def _layout(self, size):
        """The ``RNN`` operator's pieces ``(name, shape)`` for a parameter vector of
        ``size`` elements; the input width is what makes the sizes add up."""
        dirs, gates, hidden = len(self._directions), self._num_gates, self._num_hidden
        per_unit = dirs * gates * hidden
        later = (self._num_layers - 1) * (dirs * hidden + hidden + 2)
        if size % per_unit or size // per_unit - later - hidden - 2 <= 0:
            raise MXNetError(f'FusedRNNCell: a parameter vector of {size} elements does not '
                             f'fit {self._num_layers} {self._mode} layer(s) of {hidden} '
                             f'units{" in both directions" if dirs == 2 else ""}')
        num_input = size // per_unit - later - hidden - 2
        return _rnn_op.param_layout(self._mode, num_input, hidden, self._num_layers,
                                    self._bidirectional)

    def unpack_weights(self, args):
        """``<prefix>parameters`` split into the per-gate weights and biases of each
        layer and direction (``<prefix>l0_i2h_f_weight``...), as copies."""
        args = dict(args)
        flat = args.pop(self._parameter.name)
        hidden, at = self._num_hidden, 0
        for piece, shape in self._layout(flat.size):
            count = int(np.prod(shape))
            whole = flat[at:at + count].reshape(shape)
            at += count
            group, kind = piece.rsplit('_', 1)        # 'l0_i2h', 'weight'
            for k, gate in enumerate(self._gate_names):
                args[f'{self._prefix}{group}{gate}_{kind}'] = \
                    whole[k * hidden:(k + 1) * hidden].copy()
        return args

    def pack_weights(self, args):
        """The per-gate arrays of :meth:`unpack_weights` joined into
        ``<prefix>parameters``."""
        args = dict(args)
        first = f'{self._prefix}l0_i2h{self._gate_names[0]}_weight'
        if first not in args:
            raise MXNetError(f'FusedRNNCell.pack_weights: {first!r} is missing')
        num_input = args[first].shape[1]
        layout = _rnn_op.param_layout(self._mode, num_input, self._num_hidden,
                                      self._num_layers, self._bidirectional)
        parts = []
        for piece, _ in layout:
            group, kind = piece.rsplit('_', 1)
            for gate in self._gate_names:
                parts.append(args.pop(f'{self._prefix}{group}{gate}_{kind}').reshape((-1,)))
        args[self._parameter.name] = ndarray.concatenate(parts)
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError('FusedRNNCell cannot be stepped. Please use unroll')

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        # the operator wants (time, batch, features): swap the axes if need be
        inputs, time_axis = _as_sequence(length, inputs, layout, True)
        if time_axis == 1:
            warnings.warn('NTC layout detected. Consider using TNC for FusedRNNCell for '
                          'faster speed')
            inputs = _swap_time_batch(inputs)
        elif time_axis != 0:
            raise MXNetError(f'FusedRNNCell: unsupported layout {layout!r}')
        states = self.begin_state() if begin_state is None else begin_state
        state_inputs = {'state': states[0]}
        if self._mode == 'lstm':
            state_inputs['state_cell'] = states[1]
        if self._get_next_state:
            # the states it outputs are (layer, batch, channel): MXNet marks the node so
            state_inputs['__layout__'] = 'LNC'
        rnn = symbol.RNN(data=inputs, parameters=self._parameter, state_size=self._num_hidden,
                         num_layers=self._num_layers, bidirectional=self._bidirectional,
                         p=self._dropout, state_outputs=self._get_next_state, mode=self._mode,
                         name=f'{self._prefix}rnn', **state_inputs)
        if self._get_next_state:
            outputs = rnn[0]
            states = [rnn[k] for k in range(1, 1 + len(self.state_info))]
        else:
            outputs, states = rnn, []
        if time_axis == 1:
            outputs = _swap_time_batch(outputs)
        outputs, _ = _as_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def unfuse(self):
        """The same network as a :class:`SequentialRNNCell` of basic cells (with
        :class:`BidirectionalCell` and :class:`DropoutCell` where needed), whose
        weights are what :meth:`unpack_weights` gives after ``pack_weights`` of the
        stack: ``<prefix>l<k>_`` and ``<prefix>r<k>_`` cells."""
        makers = {
            'rnn_relu': lambda p: RNNCell(self._num_hidden, activation='relu', prefix=p),
            'rnn_tanh': lambda p: RNNCell(self._num_hidden, activation='tanh', prefix=p),
            'lstm': lambda p: LSTMCell(self._num_hidden, prefix=p),
            'gru': lambda p: GRUCell(self._num_hidden, prefix=p)}
        make = makers[self._mode]
        stack = SequentialRNNCell()
        last = self._num_layers - 1
        for layer in range(last + 1):
            if self._bidirectional:
                stack.add(BidirectionalCell(make(f'{self._prefix}l{layer}_'),
                                            make(f'{self._prefix}r{layer}_'),
                                            output_prefix=f'{self._prefix}bi_l{layer}_'))
            else:
                stack.add(make(f'{self._prefix}l{layer}_'))
            if self._dropout > 0 and layer < last:
                stack.add(DropoutCell(self._dropout, prefix=f'{self._prefix}_dropout{layer}_'))
        return stack


@initializer.register
class FusedRNN(initializer.Initializer):
    """Initialise a :class:`FusedRNNCell`'s flat parameter vector piece by piece:
    each gate's weight with ``init`` (an Initializer, its JSON, or None for the
    initializer the parameters are being initialised with), biases with zeros, and
    for LSTM the forget gate's biases with ``forget_bias``. It is what the
    ``__init__`` attribute of a fused cell's ``parameters`` names (``"fusedrnn"``), as
    MXNet 1.x's ``mx.init.FusedRNN``.

    >>> import d2lmini as mx
    >>> arr = mx.nd.zeros((mx.ops.rnn.param_size('gru', 3, 2, 1),))
    >>> FusedRNN(mx.init.One(), 2, 1, 'gru')._init_weight(mx.init.InitDesc('p'), arr)
    >>> arr.asnumpy()[-12:].tolist() == [0.0] * 12     # the biases
    True
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False,
                 forget_bias=1.0):
        if isinstance(init, str):
            init = initializer.create(init)
        super().__init__(init=None if init is None else init.dumps(), num_hidden=num_hidden,
                         num_layers=num_layers, mode=mode, bidirectional=bidirectional,
                         forget_bias=forget_bias)
        self._init = init
        self._shape_args = (num_hidden, num_layers, mode, bidirectional)
        self._forget_bias = forget_bias
        self._mode = mode

    def _init_weight(self, desc, arr):
        cell = FusedRNNCell(*self._shape_args, forget_bias=self._forget_bias, prefix='')
        pieces = cell.unpack_weights({'parameters': arr})
        fill = self._init if self._init is not None else getattr(desc, 'global_init', None)
        if fill is None:
            raise MXNetError(f'FusedRNN: no initializer for the weights of {desc}; give one '
                             'or initialise through Module.init_params/initializer')
        for name, piece in pieces.items():
            if self._mode == 'lstm' and name.endswith('_f_bias'):
                piece[:] = self._forget_bias
            else:
                fill(initializer.InitDesc(name, global_init=getattr(desc, 'global_init', None)),
                     piece)
        arr[:] = cell.pack_weights(pieces)['parameters']


# ---------------------------------------------------------------- containers
# ---------------------------------------------------------------- containers
class _CellGroup(BaseRNNCell):
    """A cell made of the cells in ``self._cells``: their states one after the other,
    their weights (un)packed in turn, their parameters gathered into this cell's."""

    def _adopt(self, cell, override):
        """Take in ``cell``'s parameters; with ``override`` (the group was given its own
        ``params``), give it the group's instead."""
        if override:
            if not cell._own_params:
                raise AssertionError(f'Either specify params for {type(self).__name__} or '
                                     'child cells, not both.')
            cell.params._params.update(self.params._params)
        self.params._params.update(cell.params._params)

    @property
    def state_info(self):
        return [info for cell in self._cells for info in cell.state_info]

    def begin_state(self, **kwargs):
        _check_not_wrapped(self)
        return [s for cell in self._cells for s in cell.begin_state(**kwargs)]

    def unpack_weights(self, args):
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args):
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args


class SequentialRNNCell(_CellGroup):
    """Cells stacked: each one's output is the next one's input; the states are all
    the cells' states in order. ``unroll`` unrolls one cell after the other.

    With ``params`` given, the stack's parameters are shared with every cell added
    (which must then not have parameters of their own).

    >>> import d2lmini as mx
    >>> stack = mx.rnn.SequentialRNNCell()
    >>> stack.add(mx.rnn.GRUCell(4, prefix='g0_'))
    >>> stack.add(mx.rnn.GRUCell(4, prefix='g1_'))
    >>> out, states = stack.unroll(2, mx.sym.var('data'))
    >>> [o.name for o in out], [s.name for s in states]
    (['g1_t0_out', 'g1_t1_out'], ['g0_t1_out', 'g1_t1_out'])
    """

    def __init__(self, params=None):
        super().__init__(prefix='', params=params)
        self._override_cell_params = params is not None
        self._cells = []

    def add(self, cell):
        """Append ``cell`` to the stack."""
        self._cells.append(cell)
        self._adopt(cell, self._override_cell_params)

    def __call__(self, inputs, states):
        self._counter += 1
        new_states = []
        for cell, share in zip(self._cells, _split_states(self._cells, states)):
            if isinstance(cell, BidirectionalCell):
                raise NotImplementedError('Bidirectional cannot be stepped. Please use unroll')
            inputs, share = cell(inputs, share)
            new_states += share
        return inputs, new_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        final_states = []
        shares = _split_states(self._cells, begin_state)
        for k, (cell, share) in enumerate(zip(self._cells, shares)):
            # the cells in between hand on whatever form is cheapest for them
            merge = merge_outputs if k == len(self._cells) - 1 else None
            inputs, share = cell.unroll(length, inputs, begin_state=share, layout=layout,
                                        merge_outputs=merge)
            final_states += share
        return inputs, final_states


class DropoutCell(BaseRNNCell):
    """Dropout (probability ``dropout``) on each step's input; no states. Unrolled
    over a whole-sequence Symbol it is one ``Dropout`` node."""

    def __init__(self, dropout, prefix='dropout_', params=None):
        super().__init__(prefix, params)
        if not isinstance(dropout, numeric_types):
            raise AssertionError(f'dropout probability must be a number, got {dropout!r}')
        self.dropout = dropout

    @property
    def state_info(self):
        return []

    def __call__(self, inputs, states):
        dropped = symbol.Dropout(inputs, p=self.dropout) if self.dropout > 0 else inputs
        return dropped, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        sequence, _ = _as_sequence(length, inputs, layout, merge_outputs)
        if not _is_symbol(sequence):
            return super().unroll(length, sequence, begin_state=begin_state, layout=layout,
                                  merge_outputs=merge_outputs)
        return self(sequence, [])


class _Unwrapped:
    """``with _Unwrapped(cell):`` lets the wrapper use its wrapped cell directly."""

    def __init__(self, cell):
        self.cell = cell

    def __enter__(self):
        self.cell._modified = False
        return self.cell

    def __exit__(self, *exc):
        self.cell._modified = True


class ModifierCell(BaseRNNCell):
    """A cell that changes how another (``base_cell``) works. Once wrapped, the base
    cell is used through the wrapper only: calling or unrolling it directly raises
    AssertionError. Parameters and states are the base cell's."""

    def __init__(self, base_cell):
        super().__init__()
        base_cell._modified = True
        self.base_cell = base_cell

    @property
    def params(self):
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self):
        return self.base_cell.state_info

    def begin_state(self, init_sym=symbol.zeros, **kwargs):
        _check_not_wrapped(self)
        with _Unwrapped(self.base_cell) as base:
            return base.begin_state(init_sym, **kwargs)

    def unpack_weights(self, args):
        with _Unwrapped(self.base_cell) as base:
            return base.unpack_weights(args)

    def pack_weights(self, args):
        with _Unwrapped(self.base_cell) as base:
            return base.pack_weights(args)

    def __call__(self, inputs, states):
        raise NotImplementedError(f'{type(self).__name__} does not define a step')


class ZoneoutCell(ModifierCell):
    """Zoneout: while training, each unit of the output (probability
    ``zoneout_outputs``) and of the states (``zoneout_states``) keeps its previous
    value instead of the new one. The masks are ``Dropout`` of ones, so outside
    training every unit takes its new value."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        refused = {FusedRNNCell: "FusedRNNCell doesn't support zoneout. Please unfuse first.",
                   BidirectionalCell: "BidirectionalCell doesn't support zoneout since it "
                   "doesn't support step. Please add ZoneoutCell to the cells underneath "
                   "instead."}
        for kind, message in refused.items():
            if isinstance(base_cell, kind):
                raise AssertionError(message)
        if isinstance(base_cell, SequentialRNNCell) and any(
                isinstance(c, BidirectionalCell) for c in base_cell._cells):
            raise AssertionError("Bidirectional SequentialRNNCell doesn't support zoneout. "
                                 'Please add ZoneoutCell to the cells underneath instead.')
        super().__init__(base_cell)
        self.zoneout_outputs, self.zoneout_states = zoneout_outputs, zoneout_states
        self.prev_output = None

    def reset(self):
        super().reset()
        self.prev_output = None

    @staticmethod
    def _keep_new(p, new, old):
        """``new`` where a dropout mask of ones survives, else ``old``."""
        mask = symbol.Dropout(symbol.ones_like(new), p=p)
        return symbol.where(mask, new, old)

    def __call__(self, inputs, states):
        step_out, step_states = self.base_cell(inputs, states)
        if self.zoneout_outputs:
            # before the first step there is no previous output: zeros of any shape
            prev = symbol.zeros((0, 0)) if self.prev_output is None else self.prev_output
            step_out = self._keep_new(self.zoneout_outputs, step_out, prev)
        if self.zoneout_states:
            step_states = [self._keep_new(self.zoneout_states, new, old)
                           for new, old in zip(step_states, states)]
        self.prev_output = step_out
        return step_out, step_states


def _plus_residual(output, inputs):
    return symbol.elemwise_add(output, inputs, name=f'{output.name}_plus_residual')


class ResidualCell(ModifierCell):
    """Adds each step's input to the base cell's output (a residual connection): the
    output node is ``<output name>_plus_residual``. Input and output widths must
    agree."""

    def __call__(self, inputs, states):
        step_out, step_states = self.base_cell(inputs, states)
        return _plus_residual(step_out, inputs), step_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        with _Unwrapped(self.base_cell) as base:
            outputs, states = base.unroll(length, inputs, begin_state=begin_state,
                                          layout=layout, merge_outputs=merge_outputs)
        merged = _is_symbol(outputs) if merge_outputs is None else merge_outputs
        # the inputs in the outputs' form, to add them step by step or all at once
        inputs, _ = _as_sequence(length, inputs, layout, merged)
        if merged:
            return _plus_residual(outputs, inputs), states
        return [_plus_residual(o, x) for o, x in zip(outputs, inputs)], states


class BidirectionalCell(_CellGroup):
    """Two cells over the sequence, ``l_cell`` forwards and ``r_cell`` backwards,
    their outputs concatenated on the feature axis (nodes
    ``<output_prefix>t<n>``, or ``<output_prefix>out`` when merged). The final states
    are ``[l_states, r_states]``, two lists. It cannot be stepped.

    >>> import d2lmini as mx
    >>> bi = mx.rnn.BidirectionalCell(mx.rnn.GRUCell(3, prefix='l_'),
    ...                               mx.rnn.GRUCell(3, prefix='r_'))
    >>> out, _ = bi.unroll(4, mx.sym.var('data'), merge_outputs=True)
    >>> out.name, out.list_arguments()[:2]
    ('bi_out', ['data', 'l_i2h_weight'])
    """

    def __init__(self, l_cell, r_cell, params=None, output_prefix='bi_'):
        super().__init__('', params=params)
        self._output_prefix = output_prefix
        self._override_cell_params = params is not None
        for cell in (l_cell, r_cell):
            self._adopt(cell, self._override_cell_params)
        self._cells = [l_cell, r_cell]

    def __call__(self, inputs, states):
        raise NotImplementedError('Bidirectional cannot be stepped. Please use unroll')

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        steps, axis = _as_sequence(length, inputs, layout, False)
        if begin_state is None:
            begin_state = self.begin_state()
        (l_cell, r_cell), (l_begin, r_begin) = self._cells, _split_states(self._cells,
                                                                           begin_state)
        l_out, l_states = l_cell.unroll(length, steps, begin_state=l_begin, layout=layout,
                                        merge_outputs=merge_outputs)
        r_out, r_states = r_cell.unroll(length, steps[::-1], begin_state=r_begin,
                                        layout=layout, merge_outputs=merge_outputs)
        merge = merge_outputs
        if merge is None:
            merge = _is_symbol(l_out) and _is_symbol(r_out)
            if not merge:
                l_out, _ = _as_sequence(length, l_out, layout, False)
                r_out, _ = _as_sequence(length, r_out, layout, False)
        prefix = self._output_prefix
        if merge:
            # r_cell saw the sequence backwards: turn its outputs round in time
            outputs = symbol.Concat(l_out, symbol.reverse(r_out, axis=axis), dim=2,
                                    name=f'{prefix}out')
        else:
            outputs = [symbol.Concat(a, b, dim=1, name=f'{prefix}t{t}')
                       for t, (a, b) in enumerate(zip(l_out, r_out[::-1]))]
        return outputs, [l_states, r_states]
