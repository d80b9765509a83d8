"""The Trainer: applies an optimizer to a set of Parameters after each backward pass.

A training step is: compute the loss inside ``autograd.record()``, call
``loss.backward()``, then ``trainer.step(batch_size)``. The step divides the
gradients by the batch size (through the optimizer's ``rescale_grad``), and updates
every parameter in place.

A parameter may live on several devices (data parallelism): ``step`` first adds up
its gradients from all devices (*all-reduce*), so that every copy receives the same
update and the copies stay equal.

>>> import d2lmini as mx
>>> from d2lmini.gluon.parameter import Parameter
>>> w = Parameter('w', shape=(2,))
>>> w.initialize(mx.init.One())
>>> trainer = Trainer([w], 'sgd', {'learning_rate': 0.1})
>>> with mx.autograd.record():
...     loss = (w.data() * mx.nd.array([1., 2.])).sum()
>>> loss.backward()
>>> trainer.step(batch_size=1)
>>> w.data()
<BLANKLINE>
[0.9 0.8]
<NDArray 2 @cpu(0)>
"""
import weakref

from .. import autograd
from .. import optimizer as opt
from .parameter import Parameter, ParameterDict

__all__ = ['Trainer']


class Trainer:
    """Applies an optimizer to the parameters ``params``.

    params : a ParameterDict (e.g. ``net.collect_params()``), a dict, or a list of
        Parameters. A dict's parameters are numbered in the order of their sorted names.
    optimizer : an optimizer name (``'sgd'``, ``'adam'``, ...) or an Optimizer
    optimizer_params : the keyword arguments for the optimizer, e.g.
        ``{'learning_rate': 0.1, 'wd': 1e-4}`` (only with an optimizer name)
    kvstore : how gradients of parameters on several devices are combined;
        ``'device'`` or ``'local'`` sum them, ``None`` leaves every copy to its own
        gradient (the copies then drift apart)
    compression_params : gradient compression is not supported; must be None
    update_on_kvstore : in MXNet, whether the update runs where the gradients are
        summed. d2lmini always updates every copy on its own device, which gives the
        same numbers; as in MXNet, ``allreduce_grads()`` and ``update()`` need
        ``update_on_kvstore=False`` when there are several devices.
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f'First argument must be a list or dict of Parameters, '
                             f'got {type(params)}.')
        self._params = []
        self._param2idx = {}
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError(f'First argument must be a list or dict of Parameters, '
                                 f'got list of {type(param)}.')
            self._param2idx[param.name] = i
            self._params.append(param)
            param._trainer = weakref.ref(self)  # a weak link, as in MXNet: no cycle
        if compression_params is not None:
            raise ValueError('gradient compression is not supported by d2lmini: pass '
                             'compression_params=None')
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore = _kvstore_type(kvstore, len(self._contexts))
        if self._kvstore is None:
            self._update_on_kvstore = None
        else:
            self._update_on_kvstore = True if update_on_kvstore is None else update_on_kvstore

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            assert contexts is None or contexts == ctx, (
                f'All Parameters must be initialized on the same set of contexts, but '
                f'Parameter {param.name} is initialized on {ctx} while previous Parameters '
                f'are initialized on {contexts}.')
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer, optimizer_params):
        # the optimizer reads lr_mult and wd_mult from the Parameters themselves, so
        # changing them later takes effect
        param_dict = {i: param for i, param in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            assert not optimizer_params, ('optimizer_params must be None if optimizer is an '
                                          'instance of Optimizer instead of str')
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        # one updater, and so one set of states, per device
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        """The Optimizer this trainer applies."""
        return self._optimizer

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate (not allowed with a scheduler)."""
        self._optimizer.set_learning_rate(lr)

    # ------------------------------------------------------------ steps
    def step(self, batch_size, ignore_stale_grad=False):
        """One update of every parameter: sum the gradients over devices, then apply
        the optimizer with gradients divided by ``batch_size``.

        Call it after ``backward()``, outside ``record()``. Pass ``batch_size=1`` if
        the loss is already a mean. A parameter whose gradient ``backward`` has not
        written since the last step raises an error (it usually means part of the
        network was not used), unless ``ignore_stale_grad=True``, which skips it.
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each parameter's gradients over its devices, in place: the first half
        of ``step``, for work on the summed gradients (e.g. clipping) before
        ``update``."""
        self._check_not_on_kvstore('allreduce_grads()')
        self._allreduce_grads()

    def update(self, batch_size, ignore_stale_grad=False):
        """The second half of ``step``: apply the optimizer to the gradients as they
        are (call ``allreduce_grads`` first when there are several devices)."""
        self._check_not_on_kvstore('update()')
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _check_not_on_kvstore(self, what):
        assert not (self._kvstore and self._update_on_kvstore), (
            f'{what} when parameters are updated on kvstore is not supported. Try setting '
            '`update_on_kvstore` to False when creating trainer.')

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        with autograd.pause():
            for param in self._params:
                if param.grad_req == 'null':
                    continue
                grads = param.list_grad()
                if len(grads) < 2:
                    continue
                total = grads[0].copy()
                for g in grads[1:]:
                    total += g.as_in_context(total.context)
                for g in grads:
                    total.copyto(g)

    def _update(self, ignore_stale_grad=False):
        updates = [[] for _ in self._updaters]  # (index, grad, weight) per device
        for i, param in enumerate(self._params):
            if param.grad_req == 'null':
                continue
            datas = param.list_data()
            if not ignore_stale_grad:
                for data in datas:
                    if not _grad_is_fresh(data):
                        raise UserWarning(
                            f'Gradient of Parameter `{param.name}` on context {data.context} '
                            'has not been updated by backward since last `step`. This could '
                            'mean a bug in your model that made it only use a subset of the '
                            'Parameters (Blocks) for this iteration. If you are '
                            'intentionally only using a subset, call step with '
                            'ignore_stale_grad=True to suppress this warning and skip '
                            'updating of Parameters with stale gradient')
            for upd, data, grad in zip(updates, datas, param.list_grad()):
                if not ignore_stale_grad or _grad_is_fresh(data):
                    upd.append((i, grad, data))
                    _mark_grad_used(data)
        with autograd.pause():  # an update is not part of any graph
            for updater, upd in zip(self._updaters, updates):
                if upd:
                    indices, grads, weights = zip(*upd)
                    updater(list(indices), list(grads), list(weights))

    # ------------------------------------------------------------ saving
    def save_states(self, fname):
        """Save the optimizer (settings, update counts, scheduler) and its states
        (momentum, running averages) to file ``fname``.

        The file is a zip archive described in :mod:`d2lmini.optimizer`. The
        parameters' ``lr_mult`` and ``wd_mult`` are not saved, as in MXNet; the states
        of the first device are saved, the others being equal.
        """
        with open(fname, 'wb') as f:
            f.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname):
        """Load what ``save_states`` wrote: the optimizer is replaced by the saved one
        (``trainer.optimizer`` is a new object) and every device gets the states."""
        with open(fname, 'rb') as f:
            states = f.read()
        for updater in self._updaters:
            updater.set_states(states)
            updater.optimizer = self._updaters[0].optimizer
        self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = {i: param for i, param in enumerate(self._params)}


def _kvstore_type(kvstore, num_device):
    """The kind of gradient summation to use: None for a single device (nothing to
    sum) or no kvstore, else the kvstore's name."""
    if kvstore is None:
        return None
    if not isinstance(kvstore, str):
        raise TypeError('kvstore must be KVStore, str or None')
    if kvstore.startswith('dist') or kvstore in ('horovod', 'byteps'):
        raise ValueError(f"kvstore '{kvstore}' is for training on several machines, which "
                         "d2lmini does not do; use 'device' or 'local'")
    return kvstore if num_device > 1 else None


# ------------------------------------------------------------------ stale gradients
# Backward marks the weights whose gradient it writes (``NDArray._fresh_grad``, as in
# MXNet); the trainer clears the mark once it has used the gradient. A weight still
# unmarked at the next step was not reached by backward: its gradient is stale.

def _grad_is_fresh(data):
    return data._fresh_grad


def _mark_grad_used(data):
    data._fresh_grad = False
