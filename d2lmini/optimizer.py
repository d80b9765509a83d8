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
import functools
import io
import json
import logging
import math
import numbers
import os
import sys
import types
import warnings
import zipfile
import zlib

import numpy as np

from . import lr_scheduler as _lr_scheduler
from .fileio import check_size, read_exactly
from . import ndarray as nd
from .ndarray import NDArray, array, zeros
from .ndarray.ndarray import _wrap
from .ndarray.sparse import BaseSparseNDArray, RowSparseNDArray
from .ndarray import random as _random
from . import optimizer_states as _states_formats

__all__ = ['Optimizer', 'SGD', 'ccSGD', 'NAG', 'Adam', 'RMSProp', 'AdaGrad', 'AdaDelta',
           'Signum', 'FTML', 'Ftrl', 'LAMB', 'LARS', 'Adamax', 'Nadam', 'SGLD', 'DCASGD',
           'LBSGD', 'Test', 'Updater', 'create', 'register', 'get_updater']


class Optimizer:
    """The base class of every optimizer.

    rescale_grad : the gradient is multiplied by this before anything else
    param_idx2name : dict index -> parameter name; with it, weight decay applies only to
        parameters whose names end in ``_weight`` or ``_gamma``
    wd : weight decay
    clip_gradient : clip the rescaled gradient to ``[-clip_gradient, clip_gradient]``
    learning_rate : default 0.01, or the scheduler's ``base_lr`` if a scheduler is given
    lr_scheduler : an :mod:`~d2lmini.lr_scheduler` scheduler
    sym : a Symbol whose variables' ``lr_mult`` / ``wd_mult`` attributes give the
        default multipliers of the parameters of those names (as in MXNet 1.x)
    begin_num_update : the update count to start from
    multi_precision : keep a float32 master copy of float16 weights and update that
    param_dict : dict index -> Parameter, whose ``lr_mult`` and ``wd_mult`` are used

    Subclasses implement ``create_state`` and ``update``; decorate them with
    :func:`register` so that :func:`create` finds them by (lower-case) name.

    ``aggregate_num`` is MXNet's number of weights one fused update may take (SGD,
    LARS and LAMB accept lists of indices, weights, gradients and states); d2lmini
    gives the same numbers either way and keeps the attribute for code that reads
    or sets it.
    """
    opt_registry = {}
    # whether a row-sparse gradient updates only its stored rows, whatever
    # ``lazy_update`` says (MXNet's sparse AdaGrad, FTRL and GroupAdaGrad do)
    _rows_only = False

    def __init_subclass__(cls, **kwargs):
        # every optimizer's update takes sparse weights and gradients (see _sparse_step)
        super().__init_subclass__(**kwargs)
        for name in ('update', 'update_multi_precision'):   # (a mixin's too)
            method = getattr(cls, name)
            if not getattr(method, 'storage_aware', False):
                setattr(cls, name, _storage_aware(method))

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        if param_idx2name is None:
            param_idx2name = {}
        assert isinstance(param_idx2name, dict), (
            'param_idx2name should be a dict of param indexes to names.')
        # how the gradient is prepared
        self.rescale_grad, self.clip_gradient, self.wd = rescale_grad, clip_gradient, wd
        self.multi_precision, self.aggregate_num = multi_precision, 0
        # the learning rate: an explicit one wins over the scheduler's, as in MXNet
        if (lr_scheduler is not None and learning_rate is not None
                and lr_scheduler.base_lr != learning_rate):
            warnings.warn('learning rate from ``lr_scheduler`` has been overwritten by '
                          '``learning_rate`` in optimizer.', stacklevel=2)
            lr_scheduler.base_lr = learning_rate
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr, self.lr_scheduler = learning_rate, lr_scheduler
        # update counts per weight, one table per device: each device's copy of a
        # weight is updated once per step, and Adam's bias correction needs that count
        self.begin_num_update = self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._set_current_context(0)
        # where the per-weight multipliers come from: the names of the weights, the
        # symbol's attributes and argument names, and the Parameters themselves
        self.idx2name = dict(param_idx2name)
        self.sym_info = () if sym is None else (sym.attr_dict(), sym.list_arguments())
        self.param_dict = param_dict or {}
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
        key = klass.__name__.lower()
        previous = Optimizer.opt_registry.get(key)
        if previous is not None:
            warnings.warn(f'WARNING: New optimizer {klass.__module__}.{klass.__name__} is '
                          f'overriding existing optimizer '
                          f'{previous.__module__}.{previous.__name__}', stacklevel=2)
        Optimizer.opt_registry[key] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An instance of the optimizer registered as ``name`` (any case).

        >>> type(create('Adam', learning_rate=0.1)).__name__
        'Adam'
        """
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise ValueError(f'Cannot find optimizer {name}')
        return klass(**kwargs)

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The learning rate now (the scheduler's, if there is one)."""
        return self._base_lr()

    def _base_lr(self):
        """The learning rate before multipliers: the scheduler's at ``num_update``."""
        scheduler = self.lr_scheduler
        return self.lr if scheduler is None else scheduler(self.num_update)

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

        They replace any set before; the ``lr_mult`` attributes of the symbol given
        as ``sym`` are the defaults. A Parameter's own ``lr_mult`` (through
        ``param_dict``) takes precedence.
        """
        mults = self._symbol_multipliers('__lr_mult__')
        mults.update(args_lr_mult)
        self.lr_mult = mults

    def set_lr_scale(self, args_lrscale):  # pylint: disable=unused-argument
        """[Deprecated in MXNet] Raises DeprecationWarning: use :meth:`set_lr_mult`."""
        raise DeprecationWarning('set_lr_scale is deprecated: use set_lr_mult instead')

    def set_wd_mult(self, args_wd_mult):
        """Set weight-decay multipliers, a dict from index or name to a number.

        With ``param_idx2name``, every parameter whose name does not end in
        ``_weight`` or ``_gamma`` (biases, BatchNorm's beta) gets multiplier 0 unless
        the symbol given as ``sym`` (its ``wd_mult`` attributes) or this dict says
        otherwise.
        """
        self.wd_mult = self._wd_multipliers(('_weight', '_gamma'), args_wd_mult)

    def _wd_multipliers(self, decayed, explicit):
        """Weight-decay multipliers: 0 for every named parameter whose name does not
        end in one of the suffixes ``decayed``, then the symbol's, then ``explicit``."""
        mults = {name: 0.0 for name in self.idx2name.values() if not name.endswith(decayed)}
        mults.update(self._symbol_multipliers('__wd_mult__'))
        mults.update(explicit)
        return mults

    def _symbol_multipliers(self, key):
        """``{argument name: multiplier}`` from the attribute ``key`` (``'__lr_mult__'``
        or ``'__wd_mult__'``) of the variables of the symbol given as ``sym``."""
        if not getattr(self, 'sym_info', ()):
            return {}
        attrs, arg_names = self.sym_info
        return {name: float(attrs[name][key]) for name in arg_names
                if name in attrs and key in attrs[name]}

    def _set_current_context(self, device_id):
        """Count updates for the copies on device ``device_id`` from now on."""
        tables = self._all_index_update_counts
        self._index_update_count = tables.setdefault(device_id, {})

    def _update_count(self, index):
        """Count one more update of weight ``index`` (an index or a list of them);
        ``num_update`` follows the most-updated weight."""
        counts = self._index_update_count
        for key in (index if isinstance(index, (list, tuple)) else [index]):
            counts[key] = counts.get(key, self.begin_num_update) + 1
            self.num_update = max(counts[key], self.num_update)

    def _step_number(self, index):
        """Count this update of weight ``index``; which one it is (1 for the first)."""
        self._update_count(index)
        return self._index_update_count[index]

    def _get_lrs(self, indices):
        """The learning rates for weights ``indices``, multipliers applied."""
        lr = self._base_lr()
        return [lr * self._multiplier(index, self.lr_mult, 'lr_mult') for index in indices]

    def _get_lr(self, index):
        lr, = self._get_lrs([index])
        return lr

    def _get_wds(self, indices):
        """The weight decays for weights ``indices``, multipliers applied."""
        return [self.wd * self._multiplier(index, self.wd_mult, 'wd_mult') for index in indices]

    def _get_wd(self, index):
        wd, = self._get_wds([index])
        return wd

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


# ------------------------------------------------------------------ sparse weights and gradients
def _is_sparse(x):
    return isinstance(x, BaseSparseNDArray)


def _storage_aware(method):
    """``update``/``update_multi_precision`` for any storage: dense arrays go straight to
    ``method``; sparse ones through :func:`_sparse_step`. (The book shows ``method``
    itself for an optimizer's method: this routing adds nothing for dense arrays.)"""
    if getattr(method, 'storage_aware', False):
        return method

    @functools.wraps(method)
    def step(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            # several weights at once (aggregated updates): sparse ones go one by one
            if not any(_is_sparse(x) for x in list(weight) + list(grad)):
                return method(self, index, weight, grad, state)
            for one in zip(index, weight, grad, state):
                step(self, *one)
            return None
        if not (_is_sparse(weight) or _is_sparse(grad)):
            return method(self, index, weight, grad, state)
        return _sparse_step(self, method, index, weight, grad, state)
    step.storage_aware = step.shows_wrapped = True
    return step


def _densified(state, back):
    """``state`` (an NDArray, or nested tuples and lists of them) with each sparse
    array replaced by a dense copy; ``back`` collects ``(sparse, dense)`` pairs to
    write back once the update is made."""
    if isinstance(state, (tuple, list)):
        return type(state)(_densified(s, back) for s in state)
    if _is_sparse(state):
        dense = state.tostype('default')
        back.append((state, dense))
        return dense
    return state


def _rows(state, rows, shape0):
    """The rows ``rows`` of every NDArray in ``state`` that has one row per row of the
    weight (``shape0``); other parts as they are."""
    if isinstance(state, (tuple, list)):
        return type(state)(_rows(s, rows, shape0) for s in state)
    if isinstance(state, NDArray) and state.ndim and state.shape[0] == shape0:
        return _wrap(state._data[rows], state.context)
    return state


def _put_rows(state, part, rows):
    if isinstance(state, (tuple, list)):
        for s, p in zip(state, part):
            _put_rows(s, p, rows)
    elif isinstance(state, NDArray) and part is not state:
        state._data[rows] = part._data


def _sparse_step(opt, method, index, weight, grad, state):
    """One update with a sparse weight or gradient, as MXNet makes it.

    A row-sparse gradient with a *lazy* update (SGD's and Adam's ``lazy_update``,
    the default; always for AdaGrad, FTRL and GroupAdaGrad) changes only the rows it
    stores: those rows of the weight and of its states are updated by the dense rule,
    and every other row, weight decay and momentum included, stays as it was.
    Otherwise the update is the dense one on the dense values. Sparse weights and
    states keep their storage."""
    back = []
    dense_weight = _densified(weight, back)
    dense_state = _densified(state, back)
    if isinstance(grad, RowSparseNDArray) and (opt._rows_only or getattr(opt, 'lazy_update',
                                                                         False)):
        rows = grad._parts[1]
        if len(rows):
            n = weight.shape[0]
            part, part_state = _wrap(dense_weight._data[rows], weight.context), \
                _rows(dense_state, rows, n)
            method(opt, index, part, _wrap(grad._parts[0], grad.context), part_state)
            dense_weight._data[rows] = part._data
            _put_rows(dense_state, part_state, rows)
    else:
        method(opt, index, dense_weight,
               grad.tostype('default') if _is_sparse(grad) else grad, dense_state)
    for sparse, dense in back:
        sparse[:] = dense


Optimizer.update_multi_precision = _storage_aware(Optimizer.update_multi_precision)
register = Optimizer.register
create = Optimizer.create_optimizer


# ------------------------------------------------------------------ helpers for the rules
# Rules with a fused operator in MXNet (sgd_update, adam_update ...) call that same
# operator here (d2lmini/ops/update.py), so each rule is written once. The others
# (AdaGrad, AdaDelta, Adamax, Nadam, DCASGD, SGLD) are Python in MXNet too; they work
# on the raw arrays (numpy or cupy) in place: no temporary NDArrays, nothing recorded
# by autograd.

def _hyper(weight, *values):
    """Hyperparameters as scalars of the weight's dtype. MXNet computes in the
    weight's precision, so ``1 - beta2`` must be rounded as a float32 (not as a
    Python float) to reproduce MXNet's numbers."""
    to_dtype = weight._data.dtype.type
    return [to_dtype(v) for v in values]


def _fused_kwargs(opt, **extra):
    """The arguments every fused update gets from an optimizer: a clip of None or 0
    means none (``-1``), as MXNet's optimizers pass it."""
    kwargs = {'rescale_grad': opt.rescale_grad}
    if opt.clip_gradient:
        kwargs['clip_gradient'] = opt.clip_gradient
    kwargs.update(extra)
    return kwargs


def _if_set(**settings):
    """The settings that are set (not None, 0 or False): MXNet passes the others to
    the fused operators as their defaults."""
    return {name: value for name, value in settings.items() if value}


def _momentum_kwargs(opt):
    """``momentum`` for a fused update when the rule has momentum, else nothing."""
    return {'momentum': opt.momentum} if opt.momentum > 0 else {}


def _python_grad(opt, xp, weight, grad, wd=None):
    """``clip(rescale_grad * grad (+ wd * weight), clip_gradient)`` as a new raw array,
    for the rules MXNet writes in Python (which clip whenever a bound is set)."""
    rescale, = _hyper(weight, opt.rescale_grad)
    g = grad._data * rescale
    if wd is not None:
        g += wd * weight._data
    if opt.clip_gradient is not None:
        # nd.clip's bounds are float32 attributes, which shows with float64 weights
        bound = g.dtype.type(np.float32(opt.clip_gradient))
        xp.clip(g, -bound, bound, out=g)
    return g


def _zeros_like(weight):
    """A state array: zeros of the weight's shape, device and dtype."""
    return zeros(weight.shape, weight.context, dtype=weight.dtype)


def _momentum_state(momentum, weight):
    """The momentum buffer of SGD, NAG and LARS: zeros like ``weight``, or None
    without momentum."""
    return None if momentum == 0.0 else _zeros_like(weight)


def _aggregation_size(default):
    """MXNet's ``aggregate_num``: ``MXNET_OPTIMIZER_AGGREGATION_SIZE``, else ``default``."""
    return int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', str(default)))


def _as_lists(index, weight, grad, state):
    """``(indices, weights, grads, states)`` as lists: one weight, or MXNet's
    aggregated call with lists of the same length."""
    if not isinstance(index, (list, tuple)):
        return [index], [weight], [grad], [state]
    lists = [list(index), list(weight), list(grad), list(state)]
    if len({len(x) for x in lists}) != 1:
        raise ValueError('an update of several weights needs lists of indices, weights, '
                         f'gradients and states of one length, got {[len(x) for x in lists]}')
    return lists


class _MomentumMasterFirst:
    """SGD, NAG and LARS keep, for a float16 weight with ``multi_precision``, the state
    ``(momentum, float32 master copy)``: MXNet's order for these three (the other
    optimizers keep ``(master, state)``).

    Their ``update`` also takes lists (indices, weights, gradients, states), as
    MXNet's aggregated SGD and LARS updates do; ``_update_impl`` receives lists."""

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        if weight.dtype == np.float16:
            warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy '
                          'or slow convergence. Consider using multi_precision=True option '
                          f'of the {type(self).__name__} optimizer', stacklevel=2)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        self._update_impl(*_as_lists(index, weight, grad, state), multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        indices, weights, grads, states = _as_lists(index, weight, grad, state)
        # as in MXNet, the first weight decides for the whole list
        mp = (self.multi_precision and weights[0].dtype == np.float16
              and isinstance(states[0], (tuple, list)))
        self._update_impl(indices, weights, grads, states, multi_precision=mp)

    def _sgd_step(self, weight, grad, state, lr, wd, momentum, multi_precision):
        """One (momentum) SGD step with MXNet's fused operators."""
        kwargs = _fused_kwargs(self)
        if multi_precision:
            mom, master = state
            if mom is not None:
                nd.multi_mp_sgd_mom_update(weight, grad, mom, master, out=weight,
                                           lrs=(lr,), wds=(wd,), momentum=momentum,
                                           num_weights=1, **kwargs)
            else:
                nd.multi_mp_sgd_update(weight, grad, master, out=weight, lrs=(lr,),
                                       wds=(wd,), num_weights=1, **kwargs)
        elif state is not None:
            nd.multi_sgd_mom_update(weight, grad, state, out=weight, lrs=(lr,), wds=(wd,),
                                    momentum=momentum, num_weights=1, **kwargs)
        else:
            nd.multi_sgd_update(weight, grad, out=weight, lrs=(lr,), wds=(wd,),
                                num_weights=1, **kwargs)


@register
class SGD(_MomentumMasterFirst, Optimizer):
    """Stochastic gradient descent, with momentum and weight decay
    (``nd.multi_sgd_update`` and ``nd.multi_sgd_mom_update``, the operators MXNet
    1.x's SGD calls).

    Without momentum::

        grad = clip(rescale_grad * grad, clip_gradient)
        weight = weight - lr * (grad + wd * weight)

    With momentum (the state ``mom`` starts at zero)::

        mom = momentum * mom - lr * (grad + wd * weight)
        weight = weight + mom

    With ``multi_precision`` a float16 weight's state is ``(mom, float32 master
    copy)``. ``lazy_update`` only matters for sparse gradients, which d2lmini does
    not have. As in MXNet, ``update`` also takes lists (indices, weights, gradients,
    states) and updates them all.

    >>> import d2lmini as mx
    >>> sgd = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9)
    >>> w = mx.nd.array([1.])
    >>> mom = sgd.create_state(0, w)
    >>> sgd.update(0, w, mx.nd.array([2.]), mom)
    >>> round(float(w.asscalar()), 4), round(float(mom.asscalar()), 4)
    (0.8, -0.2)
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum, self.lazy_update = momentum, lazy_update
        self.aggregate_num = _aggregation_size(4)

    def create_state(self, index, weight):
        return _momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        indices, weights, grads, moms = _as_lists(index, weight, grad, state)
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        settings = _fused_kwargs(self)     # rescale_grad, clip_gradient
        for w, g, mom, lr, wd in zip(weights, grads, moms, lrs, wds):
            if mom is None:
                # w = w - lr * (g + wd * w)
                nd.multi_sgd_update(w, g, out=w, lrs=(lr,), wds=(wd,), num_weights=1,
                                    **settings)
            else:
                # mom = momentum * mom - lr * (g + wd * w), then w = w + mom
                nd.multi_sgd_mom_update(w, g, mom, out=w, lrs=(lr,), wds=(wd,),
                                        momentum=self.momentum, num_weights=1, **settings)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        if not multi_precision:
            self.update(indices, weights, grads, states)
            return
        # float16 weights: the same steps on their float32 master copies
        self._update_count(indices)
        for weight, grad, state, lr, wd in zip(weights, grads, states, self._get_lrs(indices),
                                               self._get_wds(indices)):
            self._sgd_step(weight, grad, state, lr, wd, self.momentum, multi_precision=True)


@register
class ccSGD(SGD):  # noqa: N801 (MXNet's name)
    """The same as :class:`SGD` (MXNet keeps the name for old code)."""


@register
class NAG(_MomentumMasterFirst, Optimizer):
    """Nesterov accelerated gradient (``nd.nag_mom_update``): momentum that looks one
    step ahead.

    With ``grad = clip(rescale_grad * grad, clip_gradient)`` and ``mom`` starting at
    zero::

        step = grad + wd * weight
        weight = weight + momentum * (momentum * mom - lr * step) - lr * step
        mom = momentum * mom - lr * (grad + wd * weight)

    The last line uses the *new* weight, as MXNet's fused kernel does when it writes
    the weight in place. Without momentum it is plain SGD (``nd.sgd_update``).

    >>> import d2lmini as mx
    >>> nag = mx.optimizer.NAG(learning_rate=0.1, momentum=0.5)
    >>> w = mx.nd.array([1.])
    >>> nag.update(0, w, mx.nd.array([1.]), nag.create_state(0, w))
    >>> round(float(w.asscalar()), 4)
    0.85
    """

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return _momentum_state(self.momentum, weight)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        for index, weight, grad, state in zip(indices, weights, grads, states):
            self._nag_step(index, weight, grad, state, multi_precision)

    def _nag_step(self, index, weight, grad, state, multi_precision):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = _fused_kwargs(self, **_momentum_kwargs(self))
        if not multi_precision:
            if state is not None:
                nd.nag_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
            else:
                nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
        elif state[0] is not None:
            nd.mp_nag_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd,
                                 **kwargs)
        else:
            nd.mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)


@register
class LARS(_MomentumMasterFirst, Optimizer):
    """Layer-wise adaptive rate scaling (You et al.): SGD with momentum whose learning
    rate is scaled, per weight, by the ratio of the weight's norm to its gradient's::

        lr_layer = lr * eta * |w| / (|rescale_grad * g| + wd * |w| + eps)

    (just ``lr`` when either norm is zero, and for weights whose names end in
    ``gamma``, ``beta`` or ``bias``). Weight decay applies only to names ending in
    ``_weight``. With ``momentum_correction`` and a scheduler, the momentum is
    scaled by ``lr_now / lr_before`` at each step.

    >>> import d2lmini as mx
    >>> lars = mx.optimizer.LARS(learning_rate=1.0, eta=0.5)
    >>> w = mx.nd.array([3., 4.])
    >>> lars.update(0, w, mx.nd.array([0., 10.]), None)   # lr_layer = 0.5 * 5 / 10
    >>> w.asnumpy().tolist()
    [3.0, 1.5]
    """

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum, self.lazy_update = momentum, lazy_update
        self.eta, self.eps = eta, eps
        # with a scheduler, the momentum is rescaled by cur_lr / last_lr
        self.momentum_correction = momentum_correction
        self.last_lr = self.cur_lr = None
        self.skip = 0
        self.aggregate_num = _aggregation_size(4)

    def _get_lrs(self, indices):
        # remembers the last two global learning rates, for momentum_correction
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self._base_lr()
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return [lr * self._multiplier(index, self.lr_mult, 'lr_mult') for index in indices]

    def set_wd_mult(self, args_wd_mult):
        # LARS decays only weights named ``*_weight`` (not ``*_gamma``)
        self.wd_mult = self._wd_multipliers(('_weight',), args_wd_mult)

    def create_state(self, index, weight):
        return _momentum_state(self.momentum, weight)

    def _lars(self, index, weight, grad, lr, wd):
        name = self.idx2name.get(index, str(index))
        if name.endswith(('gamma', 'beta', 'bias')):
            return lr       # no scaling for normalisation parameters and biases
        xp = weight.context.xp
        w = weight._data.astype(np.float32)
        g = grad._data.astype(np.float32) * np.float32(self.rescale_grad)
        w_norm, g_norm = float(xp.sqrt((w * w).sum())), float(xp.sqrt((g * g).sum()))
        norms_positive = w_norm > 0.0 and g_norm > 0.0
        if not norms_positive:      # a zero (or NaN) norm gives no ratio
            return lr
        return lr * (self.eta * w_norm / (g_norm + wd * w_norm + self.eps))

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        # one call, one reading of the learning rate (and so one momentum
        # correction) for all the weights, as MXNet's aggregated LARS
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        momentum = self.momentum
        if momentum > 0 and self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        for index, weight, grad, state, lr, wd in zip(indices, weights, grads, states,
                                                      lrs, wds):
            master = state[1] if multi_precision else weight
            lr = self._lars(index, master, grad, lr, wd)
            self._sgd_step(weight, grad, state, lr, wd, momentum, multi_precision)


@register
class Adam(Optimizer):
    """Adam (``nd.adam_update``): steps scaled by running averages of the gradient and
    its square.

    At the ``t``-th update of a weight (``mean`` and ``var`` start at zero)::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * grad
        var = beta2 * var + (1 - beta2) * grad ** 2
        lr_t = lr * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        weight = weight - lr_t * mean / (sqrt(var) + epsilon)

    The bias correction of ``mean`` and ``var`` is folded into ``lr_t``, as MXNet 1.x
    does, which places ``epsilon`` slightly differently from the paper.

    >>> import d2lmini as mx
    >>> adam = mx.optimizer.Adam(learning_rate=0.1)
    >>> w = mx.nd.array([1.])
    >>> adam.update(0, w, mx.nd.array([5.]), adam.create_state(0, w))
    >>> round(float(w.asscalar()), 4)            # a first step of lr, whatever the gradient
    0.9
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return _zeros_like(weight), _zeros_like(weight)     # mean, var

    def update(self, index, weight, grad, state):
        t = self._step_number(index)          # the t-th update of this weight
        # the bias corrections of mean and var, folded into the learning rate
        lr = self._get_lr(index) * math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        nd.adam_update(weight, grad, mean, var, out=weight, lr=lr, wd=self._get_wd(index),
                       lazy_update=self.lazy_update,
                       **_fused_kwargs(self, beta1=self.beta1, beta2=self.beta2,
                                       epsilon=self.epsilon))


@register
class RMSProp(Optimizer):
    """RMSProp (``nd.rmsprop_update``, ``nd.rmspropalex_update``): steps divided by a
    running root mean square of the gradient.

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

    >>> import d2lmini as mx
    >>> rms = mx.optimizer.RMSProp(learning_rate=0.1, gamma1=0.75, epsilon=0)
    >>> w = mx.nd.array([1.])
    >>> rms.update(0, w, mx.nd.array([2.]), rms.create_state(0, w))
    >>> round(float(w.asscalar()), 4)
    0.8
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
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = _fused_kwargs(self, gamma1=self.gamma1, epsilon=self.epsilon,
                               **_if_set(clip_weights=self.clip_weights))
        if not self.centered:
            nd.rmsprop_update(weight, grad, state[0], out=weight, lr=lr, wd=wd, **kwargs)
        else:
            n, g, delta = state
            nd.rmspropalex_update(weight, grad, n, g, delta, out=weight, lr=lr, wd=wd,
                                  gamma2=self.gamma2, **kwargs)


@register
class Signum(Optimizer):
    """Signum (Bernstein et al.): steps of ``lr`` along the sign of a momentum of the
    gradients (``nd.signum_update``); without momentum, signSGD
    (``nd.signsgd_update``)::

        grad = clip(rescale_grad * grad, clip_gradient)
        mom = momentum * mom - (1 - momentum) * (grad + wd * weight)
        weight = (1 - lr * wd_lh) * weight + lr * sign(mom)

    ``wd_lh`` is decoupled weight decay (Loshchilov and Hutter).

    >>> import d2lmini as mx
    >>> signum = mx.optimizer.Signum(learning_rate=0.1)
    >>> w = mx.nd.array([1., 1.])
    >>> signum.update(0, w, mx.nd.array([5., -0.01]), signum.create_state(0, w))
    >>> w.asnumpy().tolist()
    [0.8999999761581421, 1.100000023841858]
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return _momentum_state(self.momentum, weight)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = _fused_kwargs(self, **_momentum_kwargs(self))
        if state is None:   # signSGD: no momentum, and no decoupled weight decay
            nd.signsgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
        else:
            nd.signum_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs,
                             **_if_set(wd_lh=self.wd_lh))


@register
class FTML(Optimizer):
    """FTML, Follow the Moving Leader (Zheng and Kwok), with ``nd.ftml_update``::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        v = beta2 * v + (1 - beta2) * grad ** 2
        d_t = (1 - beta1 ** t) / lr * (sqrt(v / (1 - beta2 ** t)) + epsilon)
        z = beta1 * z + (1 - beta1) * grad - (d_t - beta1 * d) * weight
        weight = -z / d_t

    The state is ``(d, v, z)``, zeros at first.

    >>> import d2lmini as mx
    >>> ftml = mx.optimizer.FTML(learning_rate=0.1)
    >>> w = mx.nd.array([1.])
    >>> ftml.update(0, w, mx.nd.array([3.]), ftml.create_state(0, w))
    >>> round(float(w.asscalar()), 3)
    0.9
    """

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return tuple(_zeros_like(weight) for _ in range(3))   # d, v, z

    def update(self, index, weight, grad, state):
        t = self._step_number(index)
        d, v, z = state
        # ftml_update names its clip ``clip_grad``
        nd.ftml_update(weight, grad, d, v, z, out=weight, lr=self._get_lr(index),
                       wd=self._get_wd(index), t=t, beta1=self.beta1, beta2=self.beta2,
                       epsilon=self.epsilon, rescale_grad=self.rescale_grad,
                       **_if_set(clip_grad=self.clip_gradient))


@register
class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al.), with ``nd.ftrl_update``; the default learning
    rate is 0.1. The state is ``(z, n)``, zeros at first::

        grad = clip(rescale_grad * grad, clip_gradient)
        z = z + grad - (sqrt(n + grad ** 2) - sqrt(n)) * weight / lr
        n = n + grad ** 2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)

    >>> import d2lmini as mx
    >>> ftrl = mx.optimizer.Ftrl(learning_rate=0.5)
    >>> w = mx.nd.array([0.])
    >>> ftrl.update(0, w, mx.nd.array([1.]), ftrl.create_state(0, w))
    >>> round(float(w.asscalar()), 4)      # (0.01 - 1) / ((1 + 1) / 0.5)
    -0.2475
    """
    _rows_only = True      # a row-sparse gradient updates its rows only

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (zeros(weight.shape, weight.context),   # z
                zeros(weight.shape, weight.context))   # n

    def update(self, index, weight, grad, state):
        self._update_count(index)
        z, n = state
        nd.ftrl_update(weight, grad, z, n, out=weight, lr=self._get_lr(index),
                       wd=self._get_wd(index),
                       **_fused_kwargs(self, lamda1=self.lamda1, beta=self.beta))


@register
class LAMB(Optimizer):
    """LAMB (You et al.): Adam's direction with weight decay, scaled per weight by a
    trust ratio (``nd.lamb_update_phase1`` then ``nd.lamb_update_phase2``)::

        grad = clip(rescale_grad * grad, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * grad
        var = beta2 * var + (1 - beta2) * grad ** 2
        with bias_correction: mean_hat = mean / (1 - beta1 ** t), var_hat likewise
        g = mean_hat / (sqrt(var_hat) + epsilon) + wd * weight
        r1 = clip(|weight|, lower_bound, upper_bound); r2 = |g|
        weight = weight - lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1) * g

    ``update`` also takes lists of indices, weights, gradients and states, as in
    MXNet.

    >>> import d2lmini as mx
    >>> lamb = mx.optimizer.LAMB(learning_rate=0.1)
    >>> w = mx.nd.array([3., 4.])
    >>> lamb.update(0, w, mx.nd.array([1., 0.]), lamb.create_state(0, w))
    >>> [round(x, 4) for x in w.asnumpy().tolist()]
    [2.5, 4.0]
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.bias_correction = bias_correction
        # the trust ratio's numerator |weight| is clipped to these
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.aggregate_num = max(1, min(45, _aggregation_size(45)))

    def create_state(self, index, weight):
        return _zeros_like(weight), _zeros_like(weight)     # mean, var

    def _update_impl(self, index, weight, grad, state, multi_precision):
        t = self._step_number(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = _fused_kwargs(self, beta1=self.beta1, beta2=self.beta2,
                               epsilon=self.epsilon, bias_correction=self.bias_correction,
                               t=t)
        bounds = _if_set(lower_bound=self.lower_bound, upper_bound=self.upper_bound)
        if multi_precision:
            master, (mean, var) = state
            g = nd.mp_lamb_update_phase1(weight, grad, mean, var, master, wd=wd, **kwargs)
            nd.mp_lamb_update_phase2(weight, g, master.norm(), g.norm(), master, lr=lr,
                                     out=weight, **bounds)
        else:
            mean, var = state
            g = nd.lamb_update_phase1(weight, grad, mean, var, wd=wd, **kwargs)
            nd.lamb_update_phase2(weight, g, weight.norm(), g.norm(), lr=lr, out=weight,
                                  **bounds)

    def update(self, index, weight, grad, state):
        for i, w, g, s in zip(*_as_lists(index, weight, grad, state)):
            self._update_impl(i, w, g, s, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        indices, weights, grads, states = _as_lists(index, weight, grad, state)
        mp = self.multi_precision and weights[0].dtype == np.float16
        for i, w, g, s in zip(indices, weights, grads, states):
            self._update_impl(i, w, g, s, multi_precision=mp)


@register
class AdaGrad(Optimizer):
    """AdaGrad: each coordinate's step shrinks with its summed squared gradients.

    ``history`` starts at zero::

        grad = clip(rescale_grad * grad, clip_gradient)
        history = history + grad ** 2
        weight = weight - lr * (grad / sqrt(history + eps) + wd * weight)
    """
    _rows_only = True      # a row-sparse gradient updates its rows only

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return zeros(weight.shape, weight.context)  # history

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, eps = _hyper(weight, self._get_lr(index), self._get_wd(index),
                             self.float_stable_eps)
        g = _python_grad(self, xp, weight, grad)
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
        wd, rho, eps = _hyper(weight, wd, self.rho, self.epsilon)
        g = _python_grad(self, xp, weight, grad)
        acc_g, acc_delta = state[0]._data, state[1]._data
        acc_g *= rho
        acc_g += (1 - rho) * g * g
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(acc_g + eps) * g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        w -= delta + wd * w


@register
class Adamax(Optimizer):
    """AdaMax (Kingma and Ba): Adam with the infinity norm. At the ``t``-th update::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * grad
        u = maximum(beta2 * u, |grad|)
        weight = weight - lr / (1 - beta1 ** t) * m / u

    >>> import d2lmini as mx
    >>> adamax = mx.optimizer.Adamax(learning_rate=0.1)
    >>> w = mx.nd.array([1.])
    >>> adamax.update(0, w, mx.nd.array([-4.]), adamax.create_state(0, w))
    >>> round(float(w.asscalar()), 4)
    1.1
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return _zeros_like(weight), _zeros_like(weight)     # m, u

    def update(self, index, weight, grad, state):
        t = self._step_number(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, beta1, beta2 = _hyper(weight, self._get_lr(index) / (1. - self.beta1 ** t),
                                      self._get_wd(index), self.beta1, self.beta2)
        g = _python_grad(self, xp, weight, grad, wd)
        m, u = state[0]._data, state[1]._data
        m *= beta1
        m += (1 - beta1) * g
        xp.maximum(beta2 * u, xp.abs(g), out=u)
        w -= lr * m / u


@register
class Nadam(Optimizer):
    """Nadam (Dozat): Adam with Nesterov momentum and a momentum schedule. At the
    ``t``-th update, with ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))``
    and ``m_schedule`` the product of the ``mu`` so far::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad ** 2
        m_bar = (1 - mu_t) * grad / (1 - m_schedule)
                + mu_{t+1} * m / (1 - m_schedule * mu_{t+1})
        weight = weight - lr * m_bar / (sqrt(v / (1 - beta2 ** t)) + epsilon)

    As in MXNet, ``m_schedule`` is one number for the optimizer, advanced at every
    update of any weight.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return _zeros_like(weight), _zeros_like(weight)     # m, v

    def update(self, index, weight, grad, state):
        t = self._step_number(index)
        xp, w = weight.context.xp, weight._data
        lr, wd = self._get_lr(index), self._get_wd(index)
        mu_t = self.beta1 * (1. - 0.5 * (pow(0.96, t * self.schedule_decay)))
        mu_next = self.beta1 * (1. - 0.5 * (pow(0.96, (t + 1) * self.schedule_decay)))
        self.m_schedule = self.m_schedule * mu_t
        m_schedule_next = self.m_schedule * mu_next
        lr, wd, beta1, beta2, eps = _hyper(weight, lr, wd, self.beta1, self.beta2,
                                           self.epsilon)
        c_grad, c_m, c_v, c_mu_t, c_mu_next = _hyper(
            weight, 1. - self.m_schedule, 1. - m_schedule_next, 1. - pow(self.beta2, t),
            1. - mu_t, mu_next)
        g = _python_grad(self, xp, weight, grad, wd)
        m, v = state[0]._data, state[1]._data
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        m_bar = c_mu_t * (g / c_grad) + c_mu_next * (m / c_m)
        w -= lr * m_bar / (xp.sqrt(v / c_v) + eps)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics (Welling and Teh): half an SGD step plus
    Gaussian noise of variance ``lr``, so the weights sample from the posterior::

        grad = clip(rescale_grad * grad, clip_gradient)
        weight = weight - lr / 2 * (grad + wd * weight) + normal(0, sqrt(lr))
    """

    def create_state(self, index, weight):
        return None

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd = self._get_lr(index), self._get_wd(index)
        g = _python_grad(self, xp, weight, grad)
        half, wd_t = _hyper(weight, lr / 2, wd)
        w += -half * (g + wd_t * w)
        noise = _random.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype,
                               ctx=weight.context)
        w += noise._data


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (Zheng et al.). The state is ``(mom,
    previous weight)``; ``mom`` is None without momentum::

        grad = clip(rescale_grad * grad, clip_gradient)
        step = -lr * (grad + wd * weight + lamda * grad ** 2 * (weight - previous))
        mom = momentum * mom + step        (or just step without momentum)
        previous = weight
        weight = weight + mom

    (MXNet 1.9.1 fails with momentum, testing ``if mom:`` on an array; d2lmini runs
    the rule above.)
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        return (_momentum_state(self.momentum, weight), weight.copy())

    def update(self, index, weight, grad, state):
        self._update_count(index)
        xp, w = weight.context.xp, weight._data
        lr, wd, lamda, momentum = _hyper(weight, self._get_lr(index), self._get_wd(index),
                                         self.lamda, self.momentum)
        g = _python_grad(self, xp, weight, grad)
        mom, previous = state
        step = -lr * (g + wd * w + lamda * g * g * (w - previous._data))
        if mom is not None:
            mom._data *= momentum
            mom._data += step
            step = mom._data
        previous._data[...] = w
        w += step


@register
class LBSGD(Optimizer):
    """Large-batch SGD: momentum SGD whose learning rate is multiplied by a warm-up
    factor, emulating a batch ``batch_scale`` times larger by adding up
    ``batch_scale`` gradients of each weight before one update.

    The updates of a weight are counted from ``begin_epoch * updates_per_epoch``;
    at the ``n``-th one, ``n`` a multiple of ``batch_scale`` (the other updates only
    accumulate), with ``grad`` the mean of the accumulated gradients::

        lr_n = lr * mult(n)
        mom = momentum * mom - lr_n * (clip(rescale_grad * grad, clip_gradient) + wd * weight)
        weight = weight + mom        (without momentum: the same step without mom)

    where ``mult`` grows from 1 to ``batch_scale`` over ``warmup_epochs *
    updates_per_epoch`` updates: linearly (``warmup_strategy='linear'``), with the
    square (``'power2'``) or the square root (``'sqrt'``) of the progress. With
    ``'lars'`` it is instead ``sqrt(|w|^2 / (|grad|^2 + wd |w|^2))`` clipped to
    ``[0.01, 100]``. ``num_epochs`` is accepted as in MXNet and unused.

    >>> import d2lmini as mx
    >>> opt = mx.optimizer.LBSGD(learning_rate=0.1, batch_scale=2, warmup_epochs=0)
    >>> w = mx.nd.array([1.])
    >>> opt.update(0, w, mx.nd.array([1.]), opt.create_state(0, w))   # accumulated
    >>> opt.update(0, w, mx.nd.array([3.]), None)    # mean 2, lr 0.1 * 2
    >>> round(float(w.asscalar()), 4)
    0.6
    """

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear',
                 warmup_epochs=5, batch_scale=1, updates_per_epoch=32, begin_epoch=0,
                 num_epochs=60, **kwargs):
        super().__init__(**kwargs)
        logging.info('Running Large-Batch SGD Algorithm')
        logging.info('(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, '
                     'updates_per_epoch=%d)', batch_scale, warmup_epochs, warmup_strategy,
                     updates_per_epoch)
        self.momentum, self.multi_precision = momentum, multi_precision
        self.batch_scale = batch_scale
        # the warm-up: its curve and length, and where the count of updates starts
        self.warmup_strategy, self.warmup_epochs = warmup_strategy, warmup_epochs
        self.updates_per_epoch, self.num_epochs = updates_per_epoch, num_epochs
        self.init_updates = updates_per_epoch * begin_epoch
        # MXNet's attributes, kept for code that reads them
        self.lbmult, self.adaptive, self.admult = 1, False, 1
        # index -> {'cum_grad': the gradients added up so far, 'num_cums': their count}
        self.cumgrads = {}

    def create_state(self, index, weight):
        is_half = weight.dtype == np.float16
        if is_half and self.multi_precision:
            master = weight.astype(np.float32)
            return (_momentum_state(self.momentum, master), master)
        if is_half:
            warnings.warn('Accumulating with float16 in optimizer can lead to poor accuracy '
                          'or slow convergence. Consider using multi_precision=True option '
                          'of the SGD optimizer', stacklevel=2)
        return _momentum_state(self.momentum, weight)

    def _warmup_factor(self, count):
        """The factor of the learning rate at update ``count``: from 1 up to
        ``batch_scale`` along the warm-up curve, then ``batch_scale``."""
        warmup_updates = self.warmup_epochs * self.updates_per_epoch
        full = float(self.batch_scale)
        if count >= warmup_updates:
            return full
        if warmup_updates <= 1:
            return 1.0
        curve = self.warmup_strategy
        if curve == 'linear':
            return 1.0 + (full - 1) * count / warmup_updates
        if curve == 'power2':
            return 1.0 + (full - 1) * (count * count) / (warmup_updates * warmup_updates)
        if curve == 'sqrt':
            return 1.0 + (full - 1) * math.sqrt(float(count) / warmup_updates)
        return 1.0

    @staticmethod
    def _lars_factor(weight, grad, wd):
        """The layer-wise factor of ``warmup_strategy='lars'``, within [0.01, 100]."""
        w_sq = float((weight * weight).asnumpy().sum())
        g_sq = float((grad * grad).asnumpy().sum())
        factor = math.sqrt(w_sq / (g_sq + wd * w_sq + 1e-18))
        return min(max(factor, 0.01), 100)

    def _accumulate(self, index, grad):
        """Add ``grad`` to the sum kept for weight ``index``; the updated entry."""
        entry = self.cumgrads.get(index)
        if entry and entry['num_cums'] > 0:
            entry = {'cum_grad': entry['cum_grad'] + grad, 'num_cums': entry['num_cums'] + 1}
        else:   # a first gradient, counted from init_updates
            entry = {'cum_grad': grad, 'num_cums': self.init_updates + 1}
        self.cumgrads[index] = entry
        return entry

    def update(self, index, weight, grad, state):
        lr, wd = self._get_lr(index), self._get_wd(index)   # read before counting
        self._update_count(index)
        entry = self._accumulate(index, grad)
        if entry['num_cums'] % self.batch_scale != 0:
            return    # still accumulating: the weight does not move
        mean_grad = entry['cum_grad'] / self.batch_scale
        if self.warmup_strategy == 'lars':
            lr = lr * self._lars_factor(weight, mean_grad, wd)
        else:
            lr = lr * self._warmup_factor(entry['num_cums'])
        self._fused_step(weight, mean_grad, state, lr, wd)
        entry['cum_grad'] = 0     # start the next sum

    def _fused_step(self, weight, grad, state, lr, wd):
        """A (momentum) SGD step; ``state`` is ``(mom, float32 master)`` with
        ``multi_precision``."""
        kwargs = dict(_fused_kwargs(self), lr=lr, wd=wd)
        if self.momentum > 0:
            kwargs.update(momentum=self.momentum)
        if isinstance(state, (list, tuple)):
            mom, master = state
            if mom is None:
                nd.mp_sgd_update(weight, grad, master, out=weight, **kwargs)
            else:
                nd.mp_sgd_mom_update(weight, grad, mom, master, out=weight, **kwargs)
        elif state is None:
            nd.sgd_update(weight, grad, out=weight, **kwargs)
        else:
            nd.sgd_mom_update(weight, grad, state, out=weight, **kwargs)

class GroupAdaGrad(Optimizer):
    """AdaGrad with one learning rate per row of a 2-d weight (``mx.optimizer.contrib``
    in MXNet, registered as ``'groupadagrad'``). ``history`` has shape ``(rows, 1)``::

        grad = clip(rescale_grad * grad, clip_gradient)
        history = history + mean(grad ** 2, axis=1, keepdims=True)
        weight = weight - lr * grad / sqrt(history + eps)

    Weight decay is not supported (``wd`` must be 0), as in MXNet.

    >>> import d2lmini as mx
    >>> opt = mx.optimizer.contrib.GroupAdaGrad(learning_rate=0.5, eps=0)
    >>> w = mx.nd.ones((1, 2))
    >>> opt.update(0, w, mx.nd.array([[3., 4.]]), opt.create_state(0, w))
    >>> [round(v, 4) for v in w.asnumpy()[0].tolist()]   # history: mean(9, 16) = 12.5
    [0.5757, 0.4343]
    """
    _rows_only = True      # a row-sparse gradient updates its rows only

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise AssertionError(f'GroupAdaGrad updates 2-d weights, got shape {weight.shape}')
        return zeros((weight.shape[0], 1), weight.context)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        assert wd == 0, 'Weight decay is not supported for GroupAdaGrad'
        xp, w = weight.context.xp, weight._data
        lr, eps = _hyper(weight, lr, self.float_stable_eps)
        g = _python_grad(self, xp, weight, grad)
        history = state._data
        history += xp.square(g).mean(axis=1, keepdims=True).astype(history.dtype)
        w -= lr * g / xp.sqrt(history + eps)


Optimizer.opt_registry['groupadagrad'] = GroupAdaGrad
# MXNet keeps GroupAdaGrad in the submodule mx.optimizer.contrib: d2lmini's optimizers
# live in this one module, so that submodule is made here
contrib = types.ModuleType(__name__ + '.contrib', 'Optimizers of MXNet\'s contrib: GroupAdaGrad.')
contrib.GroupAdaGrad = GroupAdaGrad
contrib.__all__ = ['GroupAdaGrad']
sys.modules[contrib.__name__] = contrib


@register
class Test(Optimizer):
    """MXNet's optimizer for tests: ``weight += rescale_grad * grad``, and the state
    (zeros at first) becomes a copy of the new weight."""

    def create_state(self, index, weight):
        return zeros(weight.shape, ctx=weight.context)     # float32, whatever the weight

    def update(self, index, weight, grad, state):
        weight += grad * self.rescale_grad      # in place
        state[:] = weight


# ------------------------------------------------------------------ the updater
class Updater:
    """Applies an optimizer to weights by index and keeps their states.

    ``updater(index, grad, weight)`` creates the state of a new index on first use.
    Index, gradient and weight may also be lists of the same length. As in MXNet,
    an optimizer with ``aggregate_num > 0`` (SGD, LARS, LAMB) is given the weights
    of one dtype in lists of up to ``aggregate_num``; the others one at a time.

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
        self.aggregate_updates = getattr(optimizer, 'aggregate_num', 0) > 0

    def __call__(self, index, grad, weight):
        many = isinstance(index, (list, tuple))
        keys = list(index) if many else [index]
        grads = list(grad) if many else [grad]
        weights = list(weight) if many else [weight]
        keys = [key.decode() if isinstance(key, bytes) else key for key in keys]
        if weights:     # the optimizer counts the updates of each device apart
            self.optimizer._set_current_context(weights[0].context.device_id)
        for key, w in zip(keys, weights):
            self._ensure_state(key, w)
        step = self.optimizer.update_multi_precision
        # the optimizer may have been replaced (set_states) by one that cannot
        # aggregate: it then gets one weight at a time
        size = getattr(self.optimizer, 'aggregate_num', 0)
        if not (self.aggregate_updates and size > 0):
            for key, w, g in zip(keys, weights, grads):
                step(key, w, g, self.states[key])
            return
        for chunk in _aggregated_chunks(zip(keys, weights, grads), size):
            chunk_keys, chunk_weights, chunk_grads = (list(column) for column in zip(*chunk))
            step(chunk_keys, chunk_weights, chunk_grads, [self.states[k] for k in chunk_keys])

    def _ensure_state(self, key, weight):
        """Create the state of a new weight; move one loaded from a file to the
        weight's device."""
        if key not in self.states:
            self.states[key] = self.optimizer.create_state_multi_precision(key, weight)
        elif not self.states_synced[key]:
            self.states[key] = self.sync_state_context(self.states[key], weight.context)
        self.states_synced[key] = True

    def sync_state_context(self, state, context):
        """``state`` (an NDArray, or nested tuples and lists of them) on ``context``."""
        if isinstance(state, (tuple, list)):
            return type(state)(self.sync_state_context(part, context) for part in state)
        return state.as_in_context(context) if isinstance(state, NDArray) else state

    def get_states(self, dump_optimizer=False, format=None):  # noqa: A002 (a format name)
        """The states as bytes (see :func:`dumps_states`); with ``dump_optimizer``
        the optimizer's settings and counters too. ``format`` is ``'d2lmini'`` (a zip
        archive) or ``'mxnet'`` (MXNet 1.x's pickle); None means
        :func:`d2lmini.optimizer_states.get_default_format`."""
        return dumps_states(self.states, self.optimizer if dump_optimizer else None,
                            format=format)

    def set_states(self, states):
        """Load states from bytes written by ``get_states``, here or by MXNet 1.x (the
        format is told by the first bytes). If they include an optimizer, it replaces
        this updater's (its ``param_dict`` is empty)."""
        self.states, optimizer = loads_states(states)
        if optimizer is not None:
            self.optimizer = optimizer
        self.states_synced = dict.fromkeys(self.states, False)


def _aggregated_chunks(items, size):
    """MXNet's grouping of ``(key, weight, grad)`` for an aggregated update: by
    dtype, then in chunks of ``size`` (a rule that reads the learning rate once per
    call, LARS, depends on it)."""
    by_dtype = {}
    for item in items:
        by_dtype.setdefault(np.dtype(item[1].dtype), []).append(item)
    for group in by_dtype.values():
        for start in range(0, len(group), size):
            yield group[start:start + size]


def get_updater(optimizer):
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)


# ------------------------------------------------------------------ saving states
# d2lmini's file format of ``Updater.get_states`` and ``Trainer.save_states`` (MXNet's
# pickle, the other format, is read and written by d2lmini.optimizer_states): a zip archive
# (which anything can open) holding
#
#   states.json   {"format": "d2lmini-optimizer-states", "version": 1,
#                  "states": <encoded dict index -> state>,
#                  "optimizer": null or {"class": <registered name>, "attrs": {...}}}
#   arrays/<k>.npy  the state arrays, numpy's .npy format
#
# Values are encoded in JSON with tags for what JSON lacks: {"tuple": [...]},
# {"dict": [[key, value], ...]} (keys may be ints), {"ndarray": "arrays/<k>.npy"},
# {"lr_scheduler": <class name>, "attrs": {...}} and {"optimizer": {"class": ...,
# "attrs": {...}}} (an optimizer held by another). Loading never runs code from the
# file: arrays are read with allow_pickle=False and classes are looked up among the
# registered optimizers and the schedulers of mx.lr_scheduler only.

_FORMAT, _VERSION = 'd2lmini-optimizer-states', 1
# attributes an optimizer rebuilds instead of saving: the Parameters (not saved,
# as in MXNet) and an alias of one table in _all_index_update_counts
_NOT_SAVED = ('param_dict', '_index_update_count')


def dumps_states(states, optimizer=None, format=None):  # noqa: A002 (a format name)
    """``states`` (dict index -> state) and optionally ``optimizer`` as bytes: a zip
    archive (``format='d2lmini'``) or MXNet 1.x's pickle (``format='mxnet'``); None
    means :func:`d2lmini.optimizer_states.get_default_format`."""
    if _states_formats.check_format(format) == 'mxnet':
        return _states_formats.dumps_mxnet_states(states, optimizer)
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
    """The ``(states, optimizer or None)`` in bytes written by :func:`dumps_states`,
    or by MXNet 1.x (a pickle, read with a restricted unpickler: see
    :mod:`d2lmini.optimizer_states`)."""
    if _states_formats.is_mxnet_states(data):
        return _states_formats.loads_mxnet_states(data)
    if bytes(data[:2]) != b'PK':
        raise ValueError('not an optimizer states file: it is neither a zip archive written '
                         'by d2lmini nor a pickle written by MXNet 1.x')
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        doc = json.loads(_read_entry(zf, 'states.json', len(data)))
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, zlib.error) as e:
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


# The largest ratio of uncompressed to compressed size that deflate can reach; an entry
# claiming more is forged.
_MAX_DEFLATE_RATIO = 1032


def _entry_size(zf, name, archive_size):
    """The uncompressed size entry ``name`` declares, once checked against the bytes the
    archive really holds: nothing is allocated for a size a forged file merely claims."""
    info = zf.getinfo(name)
    check_size(info.compress_size, archive_size - info.header_offset, f'entry {name}')
    most = (info.compress_size if info.compress_type == zipfile.ZIP_STORED
            else info.compress_size * _MAX_DEFLATE_RATIO + 64)
    if info.file_size > most:
        raise ValueError(f'entry {name} claims {info.file_size} bytes but holds at most {most}')
    return info, info.file_size


def _archive_size(zf):
    where = zf.fp.tell()
    size = zf.fp.seek(0, io.SEEK_END)
    zf.fp.seek(where)
    return size


def _read_entry(zf, name, archive_size):
    info, size = _entry_size(zf, name, archive_size)
    with zf.open(info) as f:
        return read_exactly(f, size, f'entry {name}')


def _read_npy(zf, name):
    """The array in .npy entry ``name``: its header's shape is checked against the
    entry's size before the array is allocated, and nothing is unpickled."""
    info, size = _entry_size(zf, name, _archive_size(zf))
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f'entry {name}: .npy format version {version} is not supported')
        if dtype.hasobject:
            raise ValueError(f'entry {name} holds Python objects, which are never unpickled')
        nbytes = math.prod(shape) * dtype.itemsize
        what = f'entry {name} (dtype {dtype}, shape {shape})'
        check_size(nbytes, size - f.tell(), what)
        raw = read_exactly(f, nbytes, what)
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(shape))
    order = 'F' if fortran_order else 'C'
    return data.reshape(shape, order=order).astype(dtype.newbyteorder('='), order='C')


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
    if isinstance(value, Optimizer):
        # an optimizer that delegates to others (contrib.svrg_optimization's) holds them
        return {'optimizer': _encode_optimizer(value, arrays)}
    if isinstance(value, _lr_scheduler.LRScheduler):
        name = type(value).__name__
        if getattr(_lr_scheduler, name, None) is not type(value):
            raise TypeError(f'cannot save learning-rate scheduler {name}: only the schedulers '
                            'of mx.lr_scheduler can be saved')
        return {'lr_scheduler': name, 'attrs': _encode(vars(value), arrays, where)}
    raise TypeError(f'cannot save a {type(value).__name__} in the {where}: optimizer states '
                    'hold numbers, strings, lists, tuples, dicts, NDArrays, registered '
                    'optimizers and schedulers of mx.lr_scheduler')


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
            data = _read_npy(zf, value['ndarray'])
        except (KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
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
    if 'optimizer' in value:
        return _decode_optimizer(value['optimizer'], zf)
    raise ValueError(f'corrupt optimizer states file: unexpected entry {value!r}')
