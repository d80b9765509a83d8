"""``RNN``: a whole recurrent network (Elman, LSTM or GRU; several layers; one or
both directions) over a whole sequence, as one operator.

Gluon's ``rnn.LSTM`` and friends, and symbolic code written with ``mx.sym.RNN``,
call it. Being one operator, it needs no sequence length when a graph is built: a
hybridized layer works for any length, and one call replaces the few hundred small
operators of an unrolled network.

The inputs are MXNet's (and cuDNN's):

* ``data``: ``(time, batch, features)``;
* ``parameters``: every weight and bias in one flat vector. For each layer, and in
  it each direction (forward, then reverse), the input weight ``(gates * hidden,
  input)``, the recurrent weight ``(gates * hidden, recurrent)`` and, with a
  projection (LSTMP), the projection ``(projection, hidden)``; after all weights,
  the biases in the same order (input bias, recurrent bias). :func:`param_layout`
  gives the pieces;
* ``state``: the initial ``h``, ``(layers * directions, batch, recurrent)``, and for
  LSTM ``state_cell``, the initial ``c``, ``(layers * directions, batch, hidden)``;
* ``sequence_length`` (with ``use_sequence_length=True``): each example's length.
  Steps past it leave the state alone and output zeros, and the reverse direction
  starts at the example's own last step. (MXNet 1.x's CPU operator accepts the
  lengths and ignores them; here they are honoured on every device.)

The gates come in MXNet's order: LSTM input, forget, candidate, output; GRU reset,
update, new, where the reset gate scales the recurrent term *after* its bias is
added. ``lstm_state_clip_min``/``max`` clip the LSTM cell state after each update
(an MXNet option that its CPU operator ignores; honoured here). With ``p > 0`` and
while training, dropout is applied to the output of every layer but the last.

The backward pass is back-propagation through time written directly on arrays (the
``_backward_RNN`` operator), so the operator is differentiable once.

>>> import d2lmini as mx
>>> T, N, C, H = 5, 2, 3, 4
>>> size = mx.ops.rnn.param_size('lstm', C, H, num_layers=1)
>>> size
144
>>> out, h, c = mx.nd.RNN(mx.nd.ones((T, N, C)), mx.nd.ones((size,)) * 0.1,
...                       mx.nd.zeros((1, N, H)), mx.nd.zeros((1, N, H)),
...                       state_size=H, num_layers=1, mode='lstm', state_outputs=True)
>>> out.shape, h.shape, c.shape
((5, 2, 4), (1, 2, 4), (1, 2, 4))
"""
import numpy as np

from .. import backend
from ..base import MXNetError
from .registry import register

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


def _check_mode(mode):
    if mode not in _GATES:
        raise MXNetError(f"RNN: mode={mode!r} is not one of 'rnn_relu', 'rnn_tanh', "
                         "'lstm', 'gru'")
    return _GATES[mode]


def param_layout(mode, input_size, state_size, num_layers, bidirectional=False,
                 projection_size=None):
    """Where each weight and bias sits in the flat ``parameters`` vector: a list of
    ``(name, shape)`` in order, the names as Gluon's layers call them
    (``l0_i2h_weight``, ``r1_h2h_bias``, ``l0_h2r_weight``).

    >>> [n for n, _ in param_layout('gru', 3, 2, num_layers=1)]
    ['l0_i2h_weight', 'l0_h2h_weight', 'l0_i2h_bias', 'l0_h2h_bias']
    """
    gates = _check_mode(mode) * state_size
    if projection_size and mode != 'lstm':
        raise MXNetError('RNN: projection_size is only supported with mode=\'lstm\'')
    recurrent = projection_size or state_size
    directions = 'lr' if bidirectional else 'l'
    weights, biases = [], []
    in_size = input_size
    for layer in range(num_layers):
        for d in directions:
            weights.append((f'{d}{layer}_i2h_weight', (gates, in_size)))
            weights.append((f'{d}{layer}_h2h_weight', (gates, recurrent)))
            if projection_size:
                weights.append((f'{d}{layer}_h2r_weight', (projection_size, state_size)))
            biases.append((f'{d}{layer}_i2h_bias', (gates,)))
            biases.append((f'{d}{layer}_h2h_bias', (gates,)))
        in_size = recurrent * len(directions)
    return weights + biases


def param_size(mode, input_size, state_size, num_layers, bidirectional=False,
               projection_size=None):
    """The length of the flat ``parameters`` vector."""
    return sum(int(np.prod(s)) for _, s in param_layout(
        mode, input_size, state_size, num_layers, bidirectional, projection_size))


def _unpack(params, layout):
    """Views of the flat vector, by name."""
    need = sum(int(np.prod(shape)) for _, shape in layout)
    if params.ndim != 1 or params.shape[0] != need:
        raise MXNetError(f'RNN: parameters has {params.size} elements (shape '
                         f'{params.shape}), but the attributes need a vector of {need}')
    views, at = {}, 0
    for name, shape in layout:
        n = int(np.prod(shape))
        views[name] = params[at:at + n].reshape(shape)
        at += n
    return views


def _sigmoid(xp, x):
    with np.errstate(over='ignore'):   # exp(-x) = inf for very negative x gives 0: right
        return 1.0 / (1.0 + xp.exp(-x))


class _Setup:
    """Everything both passes need to know about one call, checked once."""

    def __init__(self, xp, data, params, state, state_cell, lengths, attrs):
        self.mode = attrs['mode']
        self.gates = _check_mode(self.mode)
        if data.ndim != 3:
            raise MXNetError(f'RNN: data must be (time, batch, features), got shape '
                             f'{data.shape}')
        self.steps, self.batch, in_size = data.shape
        self.hidden = attrs['state_size']
        self.layers = attrs['num_layers']
        self.dirs = 2 if attrs['bidirectional'] else 1
        self.proj = attrs['projection_size'] or None
        self.recurrent = self.proj or self.hidden
        self.weights = _unpack(params, param_layout(
            self.mode, in_size, self.hidden, self.layers, attrs['bidirectional'], self.proj))
        want = (self.layers * self.dirs, self.batch, self.recurrent)
        if tuple(state.shape) != want:
            raise MXNetError(f'RNN: state must have shape {want}, got {state.shape}')
        if self.mode == 'lstm':
            want_c = (self.layers * self.dirs, self.batch, self.hidden)
            if state_cell is None or tuple(state_cell.shape) != want_c:
                raise MXNetError(f'RNN: LSTM needs state_cell of shape {want_c}, got '
                                 f'{None if state_cell is None else state_cell.shape}')
        self.clip = (attrs['lstm_state_clip_min'], attrs['lstm_state_clip_max'])
        self.clip_nan = attrs['lstm_state_clip_nan']
        self.masks = None   # (time, batch, 1) booleans: step t counts for example b
        if lengths is not None:
            lengths = lengths.astype(np.int64).reshape(-1)
            if lengths.shape[0] != self.batch:
                raise MXNetError(f'RNN: sequence_length has {lengths.shape[0]} entries for '
                                 f'a batch of {self.batch}')
            steps = xp.arange(self.steps).reshape(-1, 1, 1)
            self.masks = steps < lengths.reshape(1, -1, 1)

    def order(self, direction, reverse_steps=False):
        ts = range(self.steps)
        backwards = (direction == 1) != reverse_steps
        return reversed(ts) if backwards else ts


def _cell_clip(xp, c, setup):
    low, high = setup.clip
    if low is None and high is None:
        return c, None
    if setup.clip_nan:
        c = xp.where(xp.isnan(c), 0 if low is None else low, c)
    clipped = xp.clip(c, low, high)
    return clipped, clipped == c          # where the gradient passes


def _step(xp, setup, x_part, h, c, w, cache):
    """One time step of one layer and direction: returns the new ``(h, c)``;
    ``cache`` (a list, or None) gets what the backward step needs."""
    hh = h @ w['h2h_weight'].T
    hh += w['h2h_bias']
    mode = setup.mode
    if mode == 'lstm':
        a = x_part + hh
        H = setup.hidden
        i, f, o = (_sigmoid(xp, a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        g = xp.tanh(a[:, 2 * H:3 * H])
        c_new, passed = _cell_clip(xp, f * c + i * g, setup)
        tc = xp.tanh(c_new)
        h_full = o * tc
        h_new = h_full @ w['h2r_weight'].T if setup.proj else h_full
        if cache is not None:
            cache.append((h, c, i, f, g, o, tc, passed, h_full))
        return h_new, c_new
    if mode == 'gru':
        H = setup.hidden
        r = _sigmoid(xp, x_part[:, :H] + hh[:, :H])
        z = _sigmoid(xp, x_part[:, H:2 * H] + hh[:, H:2 * H])
        n = xp.tanh(x_part[:, 2 * H:] + r * hh[:, 2 * H:])
        h_new = n + z * (h - n)
        if cache is not None:
            cache.append((h, r, z, n, hh[:, 2 * H:]))
        return h_new, None
    a = x_part + hh
    h_new = xp.tanh(a) if mode == 'rnn_tanh' else xp.maximum(a, 0)
    if cache is not None:
        cache.append((h, h_new))
    return h_new, None


def _direction_forward(xp, setup, x, layer, d, h, c, caches):
    """Run one layer in one direction over ``x`` ``(T, N, in)``: returns the outputs
    ``(T, N, recurrent)`` and the final ``(h, c)``."""
    name = f'{"lr"[d]}{layer}_'
    w = {k[len(name):]: v for k, v in setup.weights.items() if k.startswith(name)}
    x_proj = x @ w['i2h_weight'].T           # every step's input map in one product
    x_proj += w['i2h_bias']
    out = xp.zeros((setup.steps, setup.batch, setup.recurrent), dtype=x.dtype)
    cache = [] if caches is not None else None
    for t in setup.order(d):
        h_new, c_new = _step(xp, setup, x_proj[t], h, c, w, cache)
        if setup.masks is not None:        # steps past an example's end change nothing
            m = setup.masks[t]
            h_new = xp.where(m, h_new, h)
            if c is not None:
                c_new = xp.where(m, c_new, c)
            out[t] = xp.where(m, h_new, 0)
        else:
            out[t] = h_new
        h, c = h_new, c_new
    if caches is not None:
        caches[layer, d] = (x, w, cache)
    return out, h, c


def _forward(xp, data, params, state, state_cell, lengths, attrs, drop_masks, caches=None):
    """The whole network; ``drop_masks`` (or None) scale each layer's output but the
    last. Returns ``(out, hy, cy)``."""
    setup = _Setup(xp, data, params, state, state_cell, lengths, attrs)
    hy = xp.empty_like(state)
    cy = xp.empty_like(state_cell) if setup.mode == 'lstm' else None
    x = data
    for layer in range(setup.layers):
        outs = []
        for d in range(setup.dirs):
            k = layer * setup.dirs + d
            c0 = state_cell[k] if cy is not None else None
            out, h, c = _direction_forward(xp, setup, x, layer, d, state[k], c0, caches)
            outs.append(out)
            hy[k] = h
            if cy is not None:
                cy[k] = c
        x = outs[0] if len(outs) == 1 else xp.concatenate(outs, axis=2)
        if drop_masks is not None and layer < setup.layers - 1:
            x = x * drop_masks[layer]
    return x, hy, cy, setup


def _split_optional(mode, use_sequence_length, state_cell, sequence_length):
    """The optional inputs by meaning. Like MXNet, the inputs given are taken in
    order: for a network without cell state, a fourth input is the lengths."""
    given = [a for a in (state_cell, sequence_length) if a is not None]
    cell = given.pop(0) if mode == 'lstm' and given else None
    lengths = given.pop(0) if use_sequence_length and given else None
    if use_sequence_length and lengths is None:
        raise MXNetError('RNN: use_sequence_length=True needs the sequence_length input')
    if given:
        raise MXNetError('RNN: too many inputs for these attributes (state_cell is for '
                         "mode='lstm', sequence_length for use_sequence_length=True)")
    return cell, lengths


def _rnn(xp, data, parameters, state, state_cell=None, sequence_length=None, state_size=0,
         num_layers=0, bidirectional=False, mode='lstm', p=0.0, state_outputs=False,
         projection_size=None, lstm_state_clip_min=None, lstm_state_clip_max=None,
         lstm_state_clip_nan=False, use_sequence_length=False, is_train=False):
    """A recurrent network over a whole sequence (see the module's description).
    Outputs: the top layer's outputs ``(T, N, directions * recurrent)``; with
    ``state_outputs`` the final ``h`` (and ``c`` for LSTM) of every layer and
    direction."""
    attrs = dict(state_size=state_size, num_layers=num_layers, bidirectional=bidirectional,
                 mode=mode, projection_size=projection_size,
                 lstm_state_clip_min=lstm_state_clip_min,
                 lstm_state_clip_max=lstm_state_clip_max,
                 lstm_state_clip_nan=lstm_state_clip_nan)
    if not 0 <= p < 1:
        raise MXNetError(f'RNN: dropout p={p} must be in [0, 1)')
    if state_size <= 0 or num_layers <= 0:
        raise MXNetError('RNN: state_size and num_layers must be positive')
    state_cell, lengths = _split_optional(mode, use_sequence_length, state_cell,
                                          sequence_length)
    drop = None
    if p > 0 and is_train and num_layers > 1:
        T, N, _ = data.shape
        width = (2 if bidirectional else 1) * (projection_size or state_size)
        kept = backend.uniform01(xp, (num_layers - 1, T, N, width), np.float32) >= p
        drop = xp.multiply(kept, 1.0 / (1.0 - p), dtype=data.dtype)
    out, hy, cy, _ = _forward(xp, data, parameters, state, state_cell, lengths, attrs, drop)
    if cy is None:
        cy = xp.zeros((0,), dtype=data.dtype)
    # the dropout masks travel to backward in a hidden output (empty without dropout)
    return out, hy, cy, drop if drop is not None else xp.zeros((0,), dtype=data.dtype)


# ---------------------------------------------------------------- backward
def _step_backward(xp, setup, w, grads, entry, dh, dc):
    """Back through one step: from the gradients of the new ``(h, c)`` to those of
    the step's input map (returned) and of the old ``(h, c)``; weight gradients
    accumulate into ``grads``."""
    mode = setup.mode
    if mode == 'lstm':
        h, c, i, f, g, o, tc, passed, h_full = entry
        if setup.proj:
            grads['h2r_weight'] += dh.T @ h_full
            dh = dh @ w['h2r_weight']
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        if passed is not None:
            dc = dc * passed
        da = xp.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f),
                             dc * i * (1 - g * g), do * o * (1 - o)], axis=1)
        dc_old = dc * f
        d_hh = da
    elif mode == 'gru':
        h, r, z, n, hh_n = entry
        dn = dh * (1 - z)
        dz = dh * (h - n)
        dan = dn * (1 - n * n)
        dar = dan * hh_n * r * (1 - r)
        daz = dz * z * (1 - z)
        da = xp.concatenate([dar, daz, dan], axis=1)
        d_hh = xp.concatenate([dar, daz, dan * r], axis=1)
        dh_direct = dh * z
        dc_old = None
    else:
        h, h_new = entry
        da = dh * (1 - h_new * h_new) if mode == 'rnn_tanh' else dh * (h_new > 0)
        d_hh = da
        dc_old = None
    grads['h2h_weight'] += d_hh.T @ h
    grads['h2h_bias'] += d_hh.sum(axis=0)
    dh_old = d_hh @ w['h2h_weight']
    if mode == 'gru':
        dh_old += dh_direct
    return da, dh_old, dc_old


def _direction_backward(xp, setup, layer, d, caches, d_out, dh, dc, grads):
    """Back through one layer and direction; returns the gradient of its input and
    of its initial ``(h, c)``."""
    x, w, cache = caches[layer, d]
    d_xproj = xp.zeros((setup.steps, setup.batch, setup.gates * setup.hidden), x.dtype)
    mine = {k: grads[f'{"lr"[d]}{layer}_{k}'] for k in w}
    # the cache holds the steps in the order they ran; walk it backwards
    for entry, t in zip(reversed(cache), setup.order(d, reverse_steps=True)):
        if setup.masks is not None:
            m = setup.masks[t]
            dh_step = xp.where(m, dh + d_out[t], 0)
            dc_step = xp.where(m, dc, 0) if dc is not None else None
        else:
            dh_step = dh + d_out[t]
            dc_step = dc
        da, dh_old, dc_old = _step_backward(xp, setup, w, mine, entry, dh_step, dc_step)
        if setup.masks is not None:     # a skipped step passes the gradient straight on
            dh_old = xp.where(m, dh_old, dh)
            if dc is not None:
                dc_old = xp.where(m, dc_old, dc)
        dh, dc = dh_old, dc_old
        d_xproj[t] = da
    flat = d_xproj.reshape(-1, d_xproj.shape[2])
    mine['i2h_weight'] += flat.T @ x.reshape(-1, x.shape[2])
    mine['i2h_bias'] += flat.sum(axis=0)
    dx = (flat @ w['i2h_weight']).reshape(x.shape)
    return dx, dh, dc


def _rnn_backward_op(xp, dy, dhy, dcy, data, parameters, state, state_cell, sequence_length,
                     drop, state_size=0, num_layers=0, bidirectional=False, mode='lstm',
                     projection_size=None, lstm_state_clip_min=None,
                     lstm_state_clip_max=None, lstm_state_clip_nan=False,
                     use_sequence_length=False):
    """The gradients of ``(data, parameters, state, state_cell)``: back-propagation
    through time, after running the forward pass again to keep its intermediates
    (cheaper in memory than keeping them from the first run)."""
    attrs = dict(state_size=state_size, num_layers=num_layers, bidirectional=bidirectional,
                 mode=mode, projection_size=projection_size,
                 lstm_state_clip_min=lstm_state_clip_min,
                 lstm_state_clip_max=lstm_state_clip_max,
                 lstm_state_clip_nan=lstm_state_clip_nan)
    lengths = sequence_length if use_sequence_length else None
    cell = state_cell if mode == 'lstm' else None
    drop_masks = drop if drop.size else None
    caches = {}
    _, _, _, setup = _forward(xp, data, parameters, state, cell, lengths, attrs, drop_masks,
                              caches)
    d_params = xp.zeros_like(parameters)
    grads = _unpack(d_params, param_layout(mode, data.shape[2], state_size, num_layers,
                                           bidirectional, projection_size))
    d_state = xp.zeros_like(state)
    d_cell = xp.zeros_like(state_cell) if mode == 'lstm' else xp.zeros((0,), data.dtype)
    width = setup.recurrent
    d_x = dy
    for layer in reversed(range(setup.layers)):
        if drop_masks is not None and layer < setup.layers - 1:
            d_x = d_x * drop_masks[layer]
        d_in = None
        for d in range(setup.dirs):
            k = layer * setup.dirs + d
            d_out = d_x[:, :, d * width:(d + 1) * width]
            dc0 = dcy[k] if mode == 'lstm' else None
            dx, dh, dc = _direction_backward(xp, setup, layer, d, caches, d_out, dhy[k], dc0,
                                             grads)
            d_state[k] = dh
            if mode == 'lstm':
                d_cell[k] = dc
            d_in = dx if d_in is None else d_in + dx
        d_x = d_in
    return d_x, d_params, d_state, d_cell


register('_backward_RNN', _rnn_backward_op,
         inputs=('dy', 'dhy', 'dcy', 'data', 'parameters', 'state', 'state_cell',
                 'sequence_length', 'drop'),
         num_outputs=4, once_differentiable=True)


_STRUCTURE = ('state_size', 'num_layers', 'bidirectional', 'projection_size',
              'lstm_state_clip_min', 'lstm_state_clip_max', 'lstm_state_clip_nan')


def _rnn_backward(F, dy, x, y, mode, use_sequence_length, **attrs):
    data, params, state = x[:3]
    extra = list(x[3:])
    # inputs the call did not have are filled with an output of the right kind
    # (the empty cell state of a network without one), and never read
    cell = extra.pop(0) if mode == 'lstm' else y[2]
    lengths = extra.pop(0) if use_sequence_length else y[2]
    d_data, d_params, d_state, d_cell = F._backward_RNN(
        dy[0], dy[1], dy[2], data, params, state, cell, lengths, y[3], mode=mode,
        use_sequence_length=use_sequence_length, **{k: attrs[k] for k in _STRUCTURE})
    grads = [d_data, d_params, d_state]
    if mode == 'lstm':
        grads.append(d_cell)
    if use_sequence_length:
        grads.append(None)       # lengths are integers: no gradient
    return grads


def _used_inputs(attrs):
    names = ['data', 'parameters', 'state']
    if attrs['mode'] == 'lstm':
        names.append('state_cell')
    if attrs['use_sequence_length']:
        names.append('sequence_length')
    return tuple(names)


def _visible(attrs):
    if not attrs['state_outputs']:
        return 1
    return 3 if attrs['mode'] == 'lstm' else 2


def _infer_shape(in_shapes, state_size, num_layers, bidirectional, mode, p, projection_size,
                 **attrs):
    T, N, _ = in_shapes[0]
    dirs = 2 if bidirectional else 1
    recurrent = projection_size or state_size
    cell = (num_layers * dirs, N, state_size) if mode == 'lstm' else (0,)
    drop = (num_layers - 1, T, N, dirs * recurrent) if p > 0 and num_layers > 1 else (0,)
    return [(T, N, dirs * recurrent), (num_layers * dirs, N, recurrent), cell, drop]


def _param_shapes(data_shape, state_size, num_layers, bidirectional, mode,
                  projection_size, use_sequence_length, **attrs):
    if len(data_shape) != 3:
        raise MXNetError(f'RNN: data must be (time, batch, features), got {data_shape}')
    _, N, C = data_shape
    dirs = 2 if bidirectional else 1
    shapes = {'parameters': (param_size(mode, C, state_size, num_layers, bidirectional,
                                        projection_size),),
              'state': (num_layers * dirs, N, projection_size or state_size)}
    if mode == 'lstm':
        shapes['state_cell'] = (num_layers * dirs, N, state_size)
    if use_sequence_length:
        shapes['sequence_length'] = (N,)
    return shapes


register('RNN', _rnn, backward=_rnn_backward, once_differentiable=True,
         inputs=('data', 'parameters', 'state', 'state_cell', 'sequence_length'),
         num_outputs=4, num_visible_outputs=_visible, optional_inputs=_used_inputs,
         infer_shape=_infer_shape, param_shapes=_param_shapes, random=True, train_mode=True,
         output_names=('output', 'state_output', 'statecell_output'),
         attr_types={'projection_size': 'int', 'lstm_state_clip_min': 'float',
                     'lstm_state_clip_max': 'float'},
         required=('state_size', 'num_layers', 'mode'))
