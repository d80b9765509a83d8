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
import os

from .. import autograd
from .. import kvstore as kvs
from ..kvstore import KVStoreBase
from .. import optimizer as opt
from ..fileio import write_bytes_atomically
from .parameter import Parameter, ParameterDict

__all__ = ['Trainer']


class Trainer:
    """Applies an optimizer to the parameters ``params``.

    params : a ParameterDict (e.g. ``net.collect_params()``), a dict, or a list of
        Parameters. A dict's parameters are numbered in the order of their sorted names.
    optimizer : an optimizer name (``'sgd'``, ``'adam'``, ...) or an Optimizer
    optimizer_params : the keyword arguments for the optimizer, e.g.
        ``{'learning_rate': 0.1, 'wd': 1e-4}`` (only with an optimizer name)
    kvstore : how gradients of parameters on several devices are combined: a
        store (:class:`~d2lmini.kvstore.KVStore`, or any
        :class:`~d2lmini.kvstore.KVStoreBase` such as ``'teststore'``), or the name
        of one to create (``'device'``, ``'local'``) when there are several devices; ``None``
        leaves every copy to its own gradient (the copies then drift apart)
    compression_params : gradient compression for the store, e.g.
        ``{'type': '2bit', 'threshold': 0.5}`` (see
        :meth:`~d2lmini.kvstore.KVStore.set_gradient_compression`)
    update_on_kvstore : whether the store runs the optimizer (the weights are
        pushed gradients and pulled back) instead of every device updating its own
        copy. None chooses as MXNet does: True whenever there is a store (unless
        ``MXNET_UPDATE_ON_KVSTORE=0``, or a ``'local'`` store holds a parameter of
        more than 16M elements). As in MXNet, ``allreduce_grads()`` and
        ``update()`` need it False, and True with a store that cannot run an
        optimizer (``'teststore'``) raises ``ValueError`` when the store is made.
    """

    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device',
                 compression_params=None, update_on_kvstore=None):
        self._params = _parameter_list(params)
        # index of each parameter by name: the key of its values in the store
        self._param2idx = {param.name: key for key, param in enumerate(self._params)}
        for param in self._params:
            param._set_trainer(self)
        # parameters with sparse storage change how the store is used (_init_kvstore)
        self._contains_sparse_weight = any(p._stype != 'default' for p in self._params)
        self._contains_sparse_grad = any(p._grad_stype != 'default' for p in self._params)
        self._distributed = False   # d2lmini has no distributed stores
        self._contexts = self._check_contexts()
        self._optimizer = _make_optimizer(optimizer, optimizer_params, self._params)
        # one updater, and so one set of states, per device
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]
        # step() divides this by the batch size
        self._base_rescale = self._optimizer.rescale_grad
        _check_kvstore_arg(kvstore)
        # the store is made on the first step, once every parameter has its data
        self._store_settings = (kvstore, update_on_kvstore, compression_params)
        self._kvstore = None
        self._reset_kvstore()

    @property
    def _scale(self):
        """MXNet 1.x's name for the gradient scale that ``step`` divides by the batch
        size (mixed-precision code such as MXNet's AMP sets it)."""
        return self._base_rescale

    @_scale.setter
    def _scale(self, scale):
        self._base_rescale = scale

    def _init_kvstore(self):
        """Create the store (MXNet's rules for ``update_on_kvstore``), set its
        compression and optimizer, and give it every parameter's value."""
        kvstore, asked_on_store, compression = self._store_settings
        self._contexts = self._check_contexts()
        first_copies = [p._data[0] for p in self._params if p._data is not None]
        if self._contains_sparse_weight:
            # a 'row_sparse' weight lives in a store that runs the optimizer, on one
            # device too, as in MXNet 1.x: the devices pull the rows they need
            # (Parameter.row_sparse_data) and push gradients, which update the store
            store, on_store = _create_sparse_kvstore(kvstore)
            if asked_on_store is False:
                raise ValueError('Cannot set update_on_kvstore=False when sparse weights '
                                 'are present.')
        elif self._contains_sparse_grad:
            # dense weights with 'row_sparse' gradients: MXNet 1.x prefers to update
            # on the devices (update_on_kvstore=False) unless asked otherwise
            store, _ = _create_kvstore(kvstore, len(self._contexts), first_copies)
            on_store = False if asked_on_store is None else asked_on_store
            if store is not None and not isinstance(store, kvs.KVStore):
                raise ValueError(f'Cannot use {type(store)} for multi-device training with '
                                 'sparse gradients')
        else:
            store, on_store = _create_kvstore(kvstore, len(self._contexts), first_copies)
        if store is not None:
            if asked_on_store is not None:
                if asked_on_store and not store.is_capable(KVStoreBase.OPTIMIZER):
                    raise ValueError('Please set update_on_kvstore=False when training with '
                                     f'{type(store)}')
                on_store = asked_on_store
            if compression:
                store.set_gradient_compression(compression)
            if on_store:
                store.set_optimizer(self._optimizer)
        self._kvstore = store
        self._update_on_kvstore = on_store if store is not None else None
        self._kv_initialized = True
        self._params_to_init = list(self._params)

    def _reset_kvstore(self):
        """Forget the store: the next step makes a new one and gives it the
        parameters' current values. Needed when the values change outside the
        trainer (``set_data``, ``load_parameters``) while the store holds its own
        copy of the weights (``update_on_kvstore``), as MXNet 1.x does.

        The store holds the only complete, current values of a 'row_sparse' weight
        (each device holds the rows it last pulled): they are copied out to the
        parameter first, so that the new store starts from them. (MXNet 1.x starts
        it from the rows last pulled, losing the others' updates.)"""
        if self._kvstore is not None and self._contains_sparse_weight:
            for param in self._params:
                if param._stype != 'default' and param not in self._params_to_init:
                    self._kvstore.pull(self._param2idx[param.name], out=param._data,
                                       ignore_sparse=False)
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_params(self):
        """Put the parameters' values in the store (each key once); a parameter
        still waiting for its shape waits for a later step."""
        if not self._kvstore:
            self._params_to_init = []
            return
        ready = [p for p in self._params_to_init if p._data is not None]
        self._params_to_init = [p for p in self._params_to_init if p._data is None]
        for param in ready:
            copies = param._data
            if param._stype != 'default':
                # the store keeps the weight; the devices pull rows when they need them
                self._kvstore.init(self._param2idx[param.name], copies[0])
            else:
                self._kvstore.broadcast(self._param2idx[param.name], copies[0], copies)

    def _row_sparse_pull(self, parameter, out, row_id, full_idx=False):
        """Pull the rows ``row_id`` of ``parameter`` from the store into ``out`` (an
        array or a list), making the store first if needed; ``full_idx``: every row
        is asked for, and a plain pull does it. Called in ``autograd.record()`` too
        (the rows a batch needs): making the store and writing the pulled values are
        not part of the recorded computation."""
        with autograd.pause():
            self._ready()
            key = self._param2idx[parameter.name]
            if full_idx:
                self._kvstore.pull(key, out=out, priority=-key, ignore_sparse=False)
            else:
                self._kvstore.row_sparse_pull(key, out=out, row_ids=row_id, priority=-key)

    def _ready(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

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

    def _trained(self):
        """``(key, parameter)`` for every parameter that has a gradient."""
        return [(key, p) for key, p in enumerate(self._params) if p.grad_req != 'null']

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
        self._optimizer.rescale_grad = self._base_rescale / batch_size
        self._ready()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum each parameter's gradients over its devices, in place: the first half
        of ``step``, for work on the summed gradients (e.g. clipping) before
        ``update``."""
        self._ready()
        self._refuse_on_store('allreduce_grads()')
        self._allreduce_grads()

    def update(self, batch_size, ignore_stale_grad=False):
        """The second half of ``step``: apply the optimizer to the gradients as they
        are (call ``allreduce_grads`` first when there are several devices)."""
        self._ready()
        self._refuse_on_store('update()')
        self._optimizer.rescale_grad = self._base_rescale / batch_size
        self._update(ignore_stale_grad)

    def _refuse_on_store(self, what):
        assert not (self._kvstore and self._update_on_kvstore), (
            f'{what} when parameters are updated on kvstore is not supported. Try setting '
            '`update_on_kvstore` to False when creating trainer.')

    def _allreduce_grads(self):
        """Add up each parameter's gradients from all its devices (an all-reduce)."""
        if not self._kvstore:
            return      # a single device, or kvstore=None: nothing to add up
        with autograd.pause():
            for key, param in self._trained():
                if param._stype != 'default':
                    # the store adds the gradients and updates its weight; the devices
                    # pull the rows they need next time (MXNet 1.x does so for
                    # row_sparse gradients, and fails on dense ones)
                    self._kvstore.push(key, param.list_grad(), priority=-key)
                    continue
                # the store adds the copies' gradients; with update_on_kvstore it also
                # updates its weight, and every copy receives the new weight,
                # otherwise every copy receives the summed gradient
                new_weights = param.list_data() if self._update_on_kvstore else None
                self._kvstore.pushpull(key, param.list_grad(), out=new_weights,
                                       priority=-key)

    def _update(self, ignore_stale_grad=False):
        """Apply each device's updater to the copies on that device, all at once."""
        per_device = [[] for _ in self._updaters]  # (key, grad, weight) for each device
        on_store = bool(self._kvstore and self._update_on_kvstore)
        for key, param in self._trained():
            copies = param._check_and_get(param._data, list)   # whatever the storage
            if not ignore_stale_grad:
                _refuse_stale(param, copies)
            if on_store:    # the store has updated the weights already
                for weight in copies:
                    weight._fresh_grad = False
                continue
            for work, weight, grad in zip(per_device, copies, param.list_grad()):
                if weight._fresh_grad:      # (a stale one is skipped: ignore_stale_grad)
                    work.append((key, grad, weight))
                    weight._fresh_grad = False
        with autograd.pause():  # an update is not part of any graph
            for updater, work in zip(self._updaters, per_device):
                if work:
                    keys, grads, weights = (list(column) for column in zip(*work))
                    updater(keys, grads, weights)

    # ------------------------------------------------------------ saving
    def save_states(self, fname, format=None):  # noqa: A002 (a format name)
        """Save the optimizer (settings, update counts, scheduler) and its states
        (momentum, running averages) to file ``fname``.

        ``format='d2lmini'`` writes a zip archive described in :mod:`d2lmini.optimizer`;
        ``format='mxnet'`` writes MXNet 1.x's pickle, which real MXNet's
        ``load_states`` reads (see :mod:`d2lmini.optimizer_states`); None (what MXNet
        programs give) means :func:`d2lmini.optimizer_states.get_default_format`,
        ``'d2lmini'`` unless changed. The parameters' ``lr_mult`` and ``wd_mult`` are
        not saved, as in MXNet; the states of the first device are saved, the others
        being equal. The states are turned
        into bytes before the file is touched, and the file is replaced in one step
        (:func:`d2lmini.fileio.atomic_write`): a save that fails, even halfway through
        writing, leaves the previous file as it was. (MXNet truncates it first.)

        >>> import os, tempfile
        >>> import d2lmini as mx
        >>> w = mx.gluon.Parameter('w', shape=(2,))
        >>> w.initialize(mx.init.One())
        >>> trainer = Trainer([w], 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
        >>> fname = os.path.join(tempfile.mkdtemp(), 'trainer.states')
        >>> trainer.save_states(fname)
        >>> trainer.load_states(fname)
        >>> trainer.optimizer.momentum
        0.9
        """
        self._ready()
        if self._update_on_kvstore:
            assert not self._params_to_init, ('Cannot save trainer states when some '
                                              'parameters are not yet initialized in kvstore.')
            updater = self._kvstore._updater
            assert updater is not None, 'Cannot save states for distributed training'
        else:
            updater = self._updaters[0]
        states = updater.get_states(dump_optimizer=True, format=format)
        write_bytes_atomically(fname, states)

    def load_states(self, fname):
        """Load what ``save_states`` wrote, in either format, or a file written by
        MXNet 1.x's ``save_states``: the optimizer is replaced by the saved one
        (``trainer.optimizer`` is a new object) and every device gets the states.
        MXNet's pickle is read with a restricted unpickler (nothing but arrays, MXNet's
        optimizers and schedulers; see :mod:`d2lmini.optimizer_states`).

        A damaged or forged file raises ``ValueError`` before anything is changed;
        sizes it declares are checked against its length before any allocation."""
        self._ready()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            loaded = self._kvstore._updater.optimizer
        else:
            with open(fname, 'rb') as f:
                blob = f.read()
            for updater in self._updaters:
                updater.set_states(blob)
            # every device's updater shares the first one's optimizer
            loaded = self._updaters[0].optimizer
            for updater in self._updaters[1:]:
                updater.optimizer = loaded
        loaded.param_dict = dict(enumerate(self._params))
        self._optimizer = loaded


def _parameter_list(params):
    """The Parameters to train, as a list; a dict's in the order of its sorted keys."""
    if isinstance(params, (dict, ParameterDict)):
        params = [params[name] for name in sorted(params.keys())]
    if not isinstance(params, (list, tuple)):
        raise ValueError(f'First argument must be a list or dict of Parameters, '
                         f'got {type(params)}.')
    for param in params:
        if not isinstance(param, Parameter):
            raise ValueError(f'First argument must be a list or dict of Parameters, '
                             f'got list of {type(param)}.')
    return list(params)


def _make_optimizer(optimizer, optimizer_params, params):
    """The Optimizer for ``params``: the one given, or a new one made by name. It
    reads ``lr_mult`` and ``wd_mult`` from the Parameters themselves (through
    ``param_dict``), so changing them later takes effect."""
    by_index = dict(enumerate(params))
    if not isinstance(optimizer, opt.Optimizer):
        return opt.create(optimizer, param_dict=by_index, **(optimizer_params or {}))
    assert not optimizer_params, ('optimizer_params must be None if optimizer is an '
                                  'instance of Optimizer instead of str')
    optimizer.param_dict = by_index
    return optimizer


def _check_kvstore_arg(kvstore):
    """MXNet's errors for a kvstore argument that cannot work, at construction."""
    if kvstore is None or isinstance(kvstore, KVStoreBase):
        return
    if not isinstance(kvstore, str):
        raise TypeError('kvstore must be KVStore, str or None')
    if kvstore.startswith('dist') or kvstore in ('horovod', 'byteps'):
        raise ValueError(f"kvstore '{kvstore}' is for training on several machines, which "
                         "d2lmini does not do; use 'device' or 'local'")


def _create_kvstore(kvstore, num_device, arrays):
    """``(store or None, update_on_kvstore)`` as MXNet chooses them: a store object
    is used as given; a name makes a store only for several devices; the store
    runs the optimizer unless ``MXNET_UPDATE_ON_KVSTORE=0`` or a ``'local'`` store
    would hold a parameter of more than 16M elements."""
    update_on_kvstore = bool(int(os.getenv('MXNET_UPDATE_ON_KVSTORE', '1')))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, KVStoreBase):
        kv = kvstore
    elif num_device == 1:
        kv = None       # nothing to add up on one device
    else:
        kv = kvs.create(kvstore)
        if kvstore == 'local' and arrays and max(a.size for a in arrays) > 1024 * 1024 * 16:
            update_on_kvstore = False
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable(KVStoreBase.OPTIMIZER)


def _create_sparse_kvstore(kvstore):
    """``(store, True)`` for 'row_sparse' parameters: as in MXNet 1.x, there is always
    a store (a name makes one, even for one device; None is refused) and it runs the
    optimizer."""
    if isinstance(kvstore, kvs.KVStore):
        store = kvstore
    elif isinstance(kvstore, str):
        store = kvs.create(kvstore)
    else:
        raise TypeError(f"Cannot create '{kvstore}' KVStore with row_sparse parameters. The "
                        'type must be KVStore or str.')
    if not store.is_capable(KVStoreBase.OPTIMIZER):
        raise ValueError(f'A KVStore for sparse weights must run the optimizer, but '
                         f'{type(store).__name__} cannot.')
    return store, True


# ------------------------------------------------------------------ stale gradients
# Backward marks the weights whose gradient it writes (``NDArray._fresh_grad``, as in
# MXNet); the trainer clears the mark once it has used the gradient. A weight still
# unmarked at the next step was not reached by backward: its gradient is stale.

def _refuse_stale(param, copies):
    for weight in copies:
        if not weight._fresh_grad:
            raise UserWarning(
                f'Gradient of Parameter `{param.name}` on context {weight.context} '
                'has not been updated by backward since last `step`. This could '
                'mean a bug in your model that made it only use a subset of the '
                'Parameters (Blocks) for this iteration. If you are '
                'intentionally only using a subset, call step with '
                'ignore_stale_grad=True to suppress this warning and skip '
                'updating of Parameters with stale gradient')
