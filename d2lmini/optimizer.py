"""``mx.optimizer``: the rules that turn gradients into weight updates.

An optimizer updates one weight at a time, in place: ``update(index, weight, grad,
state)``. ``index`` names the weight (the trainer numbers its parameters), ``state``
is what the rule remembers between steps (momentum, running averages), made once by
``create_state(index, weight)``. An :class:`Updater` keeps those states and is what a
trainer calls.

Every rule uses these settings (each class's docstring shows exactly where; the
order and the float32 arithmetic are MXNet 1.x's, so the numbers are MXNet's too):

* ``rescale_grad``: the gradient is multiplied by it first (a trainer sets it to
  ``1 / batch_size``);
* ``clip_gradient``: the gradient is clipped to ``[-clip_gradient, clip_gradient]``;
* ``wd``: weight decay, the gradient of an L2 penalty ``wd / 2 * ||w||^2``;
* the learning rate ``learning_rate``, or ``lr_scheduler(num_update)`` if a
  scheduler is given; ``num_update`` counts the updates of the most-updated weight.

Per-weight multipliers scale the learning rate and weight decay: ``set_lr_mult``
and ``set_wd_mult`` (by index or name), or a Parameter's ``lr_mult`` and ``wd_mult``
when the optimizer knows the parameters (``param_dict``, which a trainer fills in).

>>> import d2lmini as mx
>>> sgd = mx.optimizer.create('sgd', learning_rate=0.1)
>>> w, g = mx.nd.array([1., 2.]), mx.nd.array([10., -10.])
>>> sgd.update(0, w, g, sgd.create_state(0, w))
>>> w
<BLANKLINE>
[0. 3.]
<NDArray 2 @cpu(0)>
"""
import io
import json
import math
import numbers
import warnings
import zipfile

import numpy as np

from . import lr_scheduler as _lr_scheduler
from .ndarray import NDArray, array, zeros

__all__ = ['Optimizer', 'SGD', 'NAG', 'Adam', 'RMSProp', 'AdaGrad', 'AdaDelta', 'Updater',
           'create', 'register', 'get_updater']


class Optimizer:
    """The base class of every optimizer.

    rescale_grad : the gradient is multiplied by this before anything else
    param_idx2name : dict index -> parameter name; with it, weight decay applies only to
        parameters whose names end in ``_weight`` or ``_gamma``
    wd : weight decay
    clip_gradient : clip the rescaled gradient to ``[-clip_gradient, clip_gradient]``
    learning_rate : default 0.01, or the scheduler's ``base_lr`` if a scheduler is given
    lr_scheduler : an :mod:`~d2lmini.lr_scheduler` scheduler
    sym : accepted for compatibility (d2lmini has no symbolic graphs); must be None
    begin_num_update : the update count to start from
    multi_precision : keep a float32 master copy of float16 weights and update that
    param_dict : dict index -> Parameter, whose ``lr_mult`` and ``wd_mult`` are used

    Subclasses implement ``create_state`` and ``update``; decorate them with
    :func:`register` so that :func:`create` finds them by (lower-case) name.
    """
    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                warnings.warn('learning rate from ``lr_scheduler`` has been overwritten by '
                              '``learning_rate`` in optimizer.', stacklevel=2)
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # update counts per weight, one table per device: each device's copy of a
        # weight is updated once per step, and Adam's bias correction needs that count
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        if param_idx2name is None:
            param_idx2name = {}
        assert isinstance(param_idx2name, dict), \
            'param_idx2name should be a dict of param indexes to names.'
        self.idx2name = param_idx2name.copy()
        if sym is not None:
            raise ValueError('d2lmini has no symbolic graphs: pass sym=None and set '
                             'multipliers with set_lr_mult/set_wd_mult')
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ------------------------------------------------------------ registry
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-case name (a decorator).

        >>> @register
        ... class MySGD(SGD):
        ...     pass
        >>> type(create('mysgd')).__name__
        'MySGD'
        """
        assert isinstance(klass, type), 'register() decorates a class'
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn(f'WARNING: New optimizer {klass.__module__}.{klass.__name__} is '
                          f'overriding existing optimizer {old.__module__}.{old.__name__}',
                          stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An instance of the optimizer registered as ``name`` (any case).

        >>> type(create('Adam', learning_rate=0.1)).__name__
        'Adam'
        """
        if name.lower() in Optimizer.opt_registry:
            return Optimizer.opt_registry[name.lower()](**kwargs)
        raise ValueError(f'Cannot find optimizer {name}')

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The learning rate now (the scheduler's, if there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set a new learning rate (not allowed when a scheduler decides it)."""
        if self.lr_scheduler is not None:
            raise UserWarning('LRScheduler of the optimizer has already been defined. Note '
                              'that set_learning_rate can mutate the value of the learning '
                              'rate of the optimizer only when the LRScheduler of the '
                              'optimizer is undefined.')
        self.lr = lr

    def set_lr_mult(self, args_lr_mult):
        """Set learning-rate multipliers, a dict from index or name to a number.

        They replace any set before. A Parameter's own ``lr_mult`` (through
        ``param_dict``) takes precedence.
        """
        self.lr_mult = {}
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Set weight-decay multipliers, a dict from index or name to a number.

        With ``param_idx2name``, every parameter whose name does not end in
        ``_weight`` or ``_gamma`` (biases, BatchNorm's beta) gets multiplier 0 unless
        this dict says otherwise.
        """
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith('_weight') or n.endswith('_gamma')):
                self.wd_mult[n] = 0.0
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        """Count updates for the copies on device ``device_id`` from now on."""
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Count one more update of weight ``index`` (an index or a list of them)."""
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices):
        """The learning rates for weights ``indices``, multipliers applied."""
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return [lr * self._multiplier(index, self.lr_mult, 'lr_mult') for index in indices]

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        """The weight decays for weights ``indices``, multipliers applied."""
        return [self.wd * self._multiplier(index, self.wd_mult, 'wd_mult') for index in indices]

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    def _multiplier(self, index, by_key, attr):
        """The multiplier of weight ``index``: its Parameter's, else the one set for
        its index, else the one set for its name, else 1."""
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in by_key:
            return by_key[index]
        if index in self.idx2name:
            return by_key.get(self.idx2name[index], 1.0)
        return 1.0

    # ------------------------------------------------------------ states and updates
    def create_state(self, index, weight):
        """The state the rule keeps for ``weight`` (None if it needs none)."""

    def create_state_multi_precision(self, index, weight):
        """Like ``create_state``; with ``multi_precision``, a float16 weight also gets
        a float32 master copy: the state is ``(master, inner_state)``."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16:
            warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy '
                          'or slow convergence. Consider using multi_precision=True option '
                          'of the optimizer', stacklevel=2)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Update NDArray ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError()

    def update_multi_precision(self, index, weight, grad, state):
        """``update``, going through the float32 master copy of a float16 weight."""
        if self.multi_precision and weight.dtype == np.float16:
            master, inner = state
            self.update(index, master, grad.astype(np.float32), inner)
            weight._data[...] = master._data
        else:
            self.update(index, weight, grad, state)


register = Optimizer.register
create = Optimizer.create_optimizer


# ------------------------------------------------------------------ helpers for the rules
# The built-in rules work on the raw arrays (numpy or cupy) in place, as MXNet's fused
# update kernels do: no temporary NDArrays, nothing recorded by autograd.

def _hyper(weight, *values):
    """Hyperparameters as scalars of the weight's dtype. MXNet's kernels compute in
    the weight's precision, so ``1 - beta2`` must be rounded as a float32 (not as a
    Python float) to reproduce MXNet's numbers."""
    to_dtype = weight._data.dtype.type
    return [to_dtype(v) for v in values]


def _clip_fused(xp, g, bound):
    """Clip ``g`` in place as MXNet's fused kernels do: only for a positive bound."""
    if bound is not None and bound > 0:
        xp.clip(g, -bound, bound, out=g)


def _momentum_state(momentum, weight):
    """The momentum buffer of SGD and NAG: zeros like ``weight``, or None without momentum."""
    if momentum == 0.0:
        return None
    return zeros(weight.shape, weight.context, dtype=weight.dtype)


@register
class SGD(Optimizer):
    """Stochastic gradient descent, with momentum and weight decay.

    Without momentum::

        grad = clip(rescale_grad * grad, clip_gradient)
        weight = weight - lr * (grad + wd * weight)

    With momentum (the state ``mom`` starts at zero)::

        mom = momentum * mom - lr * wd * weight - lr * grad
        weight = weight + mom

    ``lazy_update`` only matters for sparse gradients, which d2lmini does not have.
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return _momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, rescale, momentum = _hyper(weight, self._get_lr(index), self._get_wd(index),
                                           self.rescale_grad, self.momentum)
        if state is None and not (self.clip_gradient is not None and self.clip_gradient > 0):
            # MXNet's multi_sgd_update order, which the Trainer uses:
            # w + (-(lr * wd) * w - (lr * rescale) * grad); one pass when wd is 0
            step = (lr * rescale) * grad._data
            if wd:
                step += (lr * wd) * w
            w -= step
            return
        g = grad._data * rescale
        _clip_fused(xp, g, self.clip_gradient)
        if state is None:
            w -= lr * (g + wd * w)
        else:
            mom = state._data
            mom *= momentum
            mom -= lr * wd * w
            mom -= lr * g
            w += mom


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient: momentum that looks one step ahead.

    With ``grad = clip(rescale_grad * grad, clip_gradient)`` and ``mom`` starting at
    zero::

        step = grad + wd * weight
        weight = weight + momentum * (momentum * mom - lr * step) - lr * step
        mom = momentum * mom - lr * (grad + wd * weight)

    The last line uses the *new* weight: MXNet's fused kernel writes the weight
    before it updates the momentum, and d2lmini follows it to give the same numbers.
    Without momentum it is plain SGD.
    """

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return _momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, rescale, momentum = _hyper(weight, self._get_lr(index), self._get_wd(index),
                                           self.rescale_grad, self.momentum)
        g = grad._data * rescale
        _clip_fused(xp, g, self.clip_gradient)
        if state is None:  # SGD's step, in the order of MXNet's sgd_update kernel
            w *= 1 - lr * wd
            w -= lr * g
            return
        mom = state._data
        step = g + wd * w
        w += momentum * (momentum * mom - lr * step) - lr * step
        mom *= momentum
        mom -= lr * (g + wd * w)


@register
class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and its square.

    At the ``t``-th update of a weight (``mean`` and ``var`` start at zero)::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * grad
        var = beta2 * var + (1 - beta2) * grad ** 2
        lr_t = lr * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        weight = weight - lr_t * mean / (sqrt(var) + epsilon)

    The bias correction of ``mean`` and ``var`` is folded into ``lr_t``, as MXNet 1.x
    does, which places ``epsilon`` slightly differently from the paper.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (zeros(weight.shape, weight.context, dtype=weight.dtype),   # mean
                zeros(weight.shape, weight.context, dtype=weight.dtype))   # var

    def update(self, index, weight, grad, state):
        self._update_count(index)
        t = self._index_update_count[index]
        lr = self._get_lr(index) * math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        xp, w = weight.context.xp, weight._data
        lr, wd, rescale, beta1, beta2, eps = _hyper(
            weight, lr, self._get_wd(index), self.rescale_grad, self.beta1, self.beta2,
            self.epsilon)
        g = grad._data * rescale + wd * w
        _clip_fused(xp, g, self.clip_gradient)
        mean, var = state[0]._data, state[1]._data
        mean *= beta1
        mean += (1 - beta1) * g
        var *= beta2
        var += (1 - beta2) * g * g
        w -= lr * mean / (xp.sqrt(var) + eps)


@register
class RMSProp(Optimizer):
    """RMSProp: steps divided by a running root mean square of the gradient.

    With ``grad = clip(rescale_grad * grad + wd * weight, clip_gradient)`` and all
    states starting at zero, Tieleman and Hinton's version (``centered=False``)::

        n = (1 - gamma1) * grad ** 2 + gamma1 * n
        weight = weight - lr * grad / sqrt(n + epsilon)

    and Graves's (``centered=True``), which also tracks the mean gradient ``g`` and
    a momentum ``delta``::

        n = (1 - gamma1) * grad ** 2 + gamma1 * n
        g = (1 - gamma1) * grad + gamma1 * g
        delta = gamma2 * delta - lr * grad / sqrt(n - g ** 2 + epsilon)
        weight = weight + delta

    ``clip_weights`` then clips the weight to ``[-clip_weights, clip_weights]``.
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return tuple(zeros(weight.shape, weight.context) for _ in range(3))  # n, g, delta
        return (zeros(weight.shape, weight.context),)  # n

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, rescale, gamma1, gamma2, eps = _hyper(
            weight, self._get_lr(index), self._get_wd(index), self.rescale_grad,
            self.gamma1, self.gamma2, self.epsilon)
        g = grad._data * rescale + wd * w
        _clip_fused(xp, g, self.clip_gradient)
        n = state[0]._data
        n *= gamma1
        n += (1 - gamma1) * xp.square(g)
        if not self.centered:
            w -= lr * (g / xp.sqrt(n + eps))
        else:
            mean_g, delta = state[1]._data, state[2]._data
            mean_g *= gamma1
            mean_g += (1 - gamma1) * g
            delta *= gamma2
            delta -= lr * g / xp.sqrt(n - xp.square(mean_g) + eps)
            w += delta
        _clip_fused(xp, w, self.clip_weights)


@register
class AdaGrad(Optimizer):
    """AdaGrad: each coordinate's step shrinks with its summed squared gradients.

    ``history`` starts at zero::

        grad = clip(rescale_grad * grad, clip_gradient)
        history = history + grad ** 2
        weight = weight - lr * (grad / sqrt(history + eps) + wd * weight)
    """

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context)  # history

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, rescale, eps = _hyper(weight, self._get_lr(index), self._get_wd(index),
                                      self.rescale_grad, self.float_stable_eps)
        g = grad._data * rescale
        if self.clip_gradient is not None:
            xp.clip(g, -self.clip_gradient, self.clip_gradient, out=g)
        history = state._data
        history += xp.square(g)
        w += (g / xp.sqrt(history + eps) + w * wd) * -lr


@register
class AdaDelta(Optimizer):
    """AdaDelta: AdaGrad's idea with running averages, and no learning rate.

    ``acc_g`` and ``acc_delta`` start at zero::

        grad = clip(rescale_grad * grad, clip_gradient)
        acc_g = rho * acc_g + (1 - rho) * grad ** 2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * grad
        acc_delta = rho * acc_delta + (1 - rho) * delta ** 2
        weight = weight - (delta + wd * weight)

    (MXNet 1.x also multiplies the caller's gradient array by ``rescale_grad`` in
    place; d2lmini leaves the gradient untouched.)
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (zeros(weight.shape, weight.context),   # accumulated squared gradients
                zeros(weight.shape, weight.context))   # accumulated squared steps

    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        wd, rescale, rho, eps = _hyper(weight, wd, self.rescale_grad, self.rho, self.epsilon)
        g = grad._data * rescale
        if self.clip_gradient is not None:
            xp.clip(g, -self.clip_gradient, self.clip_gradient, out=g)
        acc_g, acc_delta = state[0]._data, state[1]._data
        acc_g *= rho
        acc_g += (1 - rho) * g * g
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(acc_g + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        w -= delta + wd * w


# ------------------------------------------------------------------ the updater
class Updater:
    """Applies an optimizer to weights by index and keeps their states.

    ``updater(index, grad, weight)`` creates the state of a new index on first use.
    Index, gradient and weight may also be lists of the same length.

    >>> import d2lmini as mx
    >>> updater = get_updater(create('sgd', learning_rate=0.5, momentum=0.9))
    >>> w = mx.nd.array([1.])
    >>> updater(0, mx.nd.array([1.]), w)
    >>> updater.states[0]            # SGD's momentum
    <BLANKLINE>
    [-0.5]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}  # False for states loaded from a file, not yet moved

    def __call__(self, index, grad, weight):
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
        else:
            indices, grads, weights = [index], [grad], [weight]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, w, g in zip(indices, weights, grads):
            if i not in self.states:
                self.states[i] = self.optimizer.create_state_multi_precision(i, w)
                self.states_synced[i] = True
            elif not self.states_synced[i]:
                self.states[i] = self.sync_state_context(self.states[i], w.context)
                self.states_synced[i] = True
            self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def sync_state_context(self, state, context):
        """``state`` (an NDArray, or nested tuples and lists of them) on ``context``."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            return type(state)(self.sync_state_context(s, context) for s in state)
        return state

    def get_states(self, dump_optimizer=False):
        """The states as bytes (see :func:`dumps_states`); with ``dump_optimizer``
        the optimizer's settings and counters too."""
        return dumps_states(self.states, self.optimizer if dump_optimizer else None)

    def set_states(self, states):
        """Load states from bytes written by ``get_states``. If they include an
        optimizer, it replaces this updater's (its ``param_dict`` is empty)."""
        self.states, optimizer = loads_states(states)
        if optimizer is not None:
            self.optimizer = optimizer
        self.states_synced = dict.fromkeys(self.states, False)


def get_updater(optimizer):
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)


# ------------------------------------------------------------------ saving states
# The file format of ``Updater.get_states`` and ``Trainer.save_states``: a zip archive
# (which anything can open) holding
#
#   states.json   {"format": "d2lmini-optimizer-states", "version": 1,
#                  "states": <encoded dict index -> state>,
#                  "optimizer": null or {"class": <registered name>, "attrs": {...}}}
#   arrays/<k>.npy  the state arrays, numpy's .npy format
#
# Values are encoded in JSON with tags for what JSON lacks: {"tuple": [...]},
# {"dict": [[key, value], ...]} (keys may be ints), {"ndarray": "arrays/<k>.npy"} and
# {"lr_scheduler": <class name>, "attrs": {...}}. Loading never runs code from the
# file: arrays are read with allow_pickle=False and classes are looked up among the
# registered optimizers and the schedulers of mx.lr_scheduler only.

_FORMAT, _VERSION = 'd2lmini-optimizer-states', 1
# attributes an optimizer rebuilds instead of saving: the Parameters (not saved,
# as in MXNet) and an alias of one table in _all_index_update_counts
_NOT_SAVED = ('param_dict', '_index_update_count')


def dumps_states(states, optimizer=None):
    """``states`` (dict index -> state) and optionally ``optimizer`` as bytes."""
    arrays = []
    doc = {'format': _FORMAT, 'version': _VERSION,
           'states': _encode(states, arrays, 'states'),
           'optimizer': None if optimizer is None else _encode_optimizer(optimizer, arrays)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as zf:
        zf.writestr('states.json', json.dumps(doc))
        for name, value in arrays:
            with zf.open(name, 'w') as f:
                np.lib.format.write_array(f, value, allow_pickle=False)
    return buf.getvalue()


def loads_states(data):
    """The ``(states, optimizer or None)`` in bytes written by :func:`dumps_states`."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        doc = json.loads(zf.read('states.json'))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise ValueError(f'not an optimizer states file written by d2lmini: {e}') from None
    if not isinstance(doc, dict) or doc.get('format') != _FORMAT:
        raise ValueError('not an optimizer states file written by d2lmini')
    if doc.get('version') != _VERSION:
        raise ValueError(f"optimizer states file version {doc.get('version')!r} is not "
                         f'supported (this d2lmini reads version {_VERSION})')
    try:
        with zf:
            states = _decode(doc['states'], zf)
            optimizer = (None if doc['optimizer'] is None
                         else _decode_optimizer(doc['optimizer'], zf))
    except (KeyError, TypeError, AttributeError) as e:  # entries of the wrong shape
        raise ValueError(f'corrupt optimizer states file: {e!r}') from None
    if not isinstance(states, dict):
        raise ValueError('corrupt optimizer states file: states must be a dict')
    return states, optimizer


def _encode_optimizer(optimizer, arrays):
    name = type(optimizer).__name__.lower()
    if Optimizer.opt_registry.get(name) is not type(optimizer):
        raise TypeError(f'cannot save optimizer {type(optimizer).__name__}: only registered '
                        'optimizers can be saved (decorate the class with '
                        'mx.optimizer.register)')
    attrs = {k: v for k, v in vars(optimizer).items() if k not in _NOT_SAVED}
    return {'class': name, 'attrs': _encode(attrs, arrays, 'optimizer')}


def _decode_optimizer(doc, zf):
    cls = Optimizer.opt_registry.get(doc.get('class'))
    if cls is None:
        raise ValueError(f"optimizer {doc.get('class')!r} in the states file is not registered")
    attrs = _decode(doc['attrs'], zf)
    opt = cls.__new__(cls)  # restored from its attributes, as unpickling would
    opt.__dict__.update(attrs)
    opt.param_dict = {}
    opt._set_current_context(0)
    return opt


def _encode(value, arrays, where):
    """``value`` as JSON-ready data; NDArrays go to ``arrays`` as (name, numpy)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, NDArray):
        name = f'arrays/{len(arrays)}.npy'
        arrays.append((name, value.asnumpy()))
        return {'ndarray': name}
    if isinstance(value, list):
        return [_encode(v, arrays, where) for v in value]
    if isinstance(value, tuple):
        return {'tuple': [_encode(v, arrays, where) for v in value]}
    if isinstance(value, dict):
        return {'dict': [[_encode(k, arrays, where), _encode(v, arrays, where)]
                         for k, v in value.items()]}
    if isinstance(value, _lr_scheduler.LRScheduler):
        name = type(value).__name__
        if getattr(_lr_scheduler, name, None) is not type(value):
            raise TypeError(f'cannot save learning-rate scheduler {name}: only the schedulers '
                            'of mx.lr_scheduler can be saved')
        return {'lr_scheduler': name, 'attrs': _encode(vars(value), arrays, where)}
    raise TypeError(f'cannot save a {type(value).__name__} in the {where}: optimizer states '
                    'hold numbers, strings, lists, tuples, dicts, NDArrays and schedulers '
                    'of mx.lr_scheduler')


def _decode(value, zf):
    """The inverse of :func:`_encode`; arrays come back as NDArrays on the CPU."""
    if isinstance(value, list):
        return [_decode(v, zf) for v in value]
    if not isinstance(value, dict):
        return value
    if 'tuple' in value:
        return tuple(_decode(v, zf) for v in value['tuple'])
    if 'dict' in value:
        return {_decode(k, zf): _decode(v, zf) for k, v in value['dict']}
    if 'ndarray' in value:
        try:
            with zf.open(value['ndarray']) as f:
                data = np.lib.format.read_array(f, allow_pickle=False)
        except (KeyError, ValueError) as e:
            raise ValueError(f'corrupt optimizer states file: {e}') from None
        return array(data, dtype=data.dtype)
    if 'lr_scheduler' in value:
        cls = getattr(_lr_scheduler, str(value['lr_scheduler']), None)
        if not (isinstance(cls, type) and issubclass(cls, _lr_scheduler.LRScheduler)):
            raise ValueError(f"unknown learning-rate scheduler {value['lr_scheduler']!r} in "
                             'the states file')
        sched = cls.__new__(cls)
        sched.__dict__.update(_decode(value['attrs'], zf))
        return sched
    raise ValueError(f'corrupt optimizer states file: unexpected entry {value!r}')
