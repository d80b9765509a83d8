"""Key-value stores: where the gradients of several devices are added up.

A KVStore holds one array per key. ``push`` sends values to a key (a list of
arrays, one per device, is summed first), ``pull`` copies the stored value out
(to every array of a list). Without an optimizer a push *replaces* the stored
value with the sum; after ``set_optimizer`` the store keeps the weights and a push
of gradients updates them, as MXNet's ``update_on_kvstore`` does.

d2lmini runs in one process, so every store is local: ``'local'`` and
``'device'`` give the same numbers (``'device'`` adds the values of several GPUs
with NCCL when cupy has it, else by copying to the first device).

>>> import d2lmini as mx
>>> kv = mx.kv.create('local')
>>> kv.init(3, mx.nd.ones((2, 3)) * 2)
>>> kv.push(3, [mx.nd.ones((2, 3))] * 4)       # four devices' values, summed
>>> out = mx.nd.zeros((2, 3))
>>> kv.pull(3, out=out)
>>> out
<BLANKLINE>
[[4. 4. 4.]
 [4. 4. 4.]]
<NDArray 2x3 @cpu(0)>
>>> kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
>>> kv.push(3, mx.nd.ones((2, 3)))             # w = w - 0.1 * grad
>>> kv.pull(3, out=out)
>>> out[0]
<BLANKLINE>
[3.9 3.9 3.9]
<NDArray 3 @cpu(0)>
"""
import warnings

import numpy as np

from . import ndarray as nd
from .ndarray.sparse import _make
from . import optimizer as opt
from .base import MXNetError
from .fileio import write_bytes_atomically

__all__ = ['KVStore', 'KVStoreBase', 'TestStore', 'create']


class KVStoreBase:
    """The interface of every store, and the registry of store classes.

    ``OPTIMIZER`` names the capability of running an optimizer on push (see
    :meth:`is_capable`). A subclass decorated with :meth:`register` can be made by
    name with :func:`create`, as in MXNet 1.x; a :class:`~d2lmini.gluon.Trainer`
    accepts any store that implements ``broadcast`` and ``pushpull``.

    >>> import d2lmini as mx
    >>> @mx.kv.KVStoreBase.register
    ... class AddStore(mx.kv.KVStoreBase):
    ...     def broadcast(self, key, value, out, priority=0):
    ...         for o in (out if isinstance(out, list) else [out]):
    ...             o[:] = value
    >>> type(mx.kv.create('AddStore')).__name__
    'AddStore'
    """
    OPTIMIZER = 'optimizer'
    kv_registry = {}

    @staticmethod
    def register(klass):
        """Register a store class under its lower-case name (a decorator), so that
        ``create(name)`` makes one."""
        assert isinstance(klass, type), 'register() decorates a class'
        name = klass.__name__.lower()
        if name in KVStoreBase.kv_registry:
            old = KVStoreBase.kv_registry[name]
            warnings.warn(f'WARNING: New kvstore {klass.__module__}.{klass.__name__} is '
                          f'overriding existing kvstore {old.__module__}.{old.__name__}',
                          stacklevel=2)
        KVStoreBase.kv_registry[name] = klass
        return klass

    def broadcast(self, key, value, out, priority=0):
        """Give ``out`` (an array or a list) the value ``value`` of ``key``."""
        raise NotImplementedError()

    def pushpull(self, key, value, out=None, priority=0):
        """Sum ``value`` (a list, one array per device) and write the sum to ``out``,
        or back into ``value`` without ``out``."""
        raise NotImplementedError()

    def set_optimizer(self, optimizer):
        """Run ``optimizer`` in the store (only where ``is_capable('optimizer')``)."""
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Save the states of the store's optimizer to ``fname``."""
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        """Load what ``save_optimizer_states`` wrote."""
        raise NotImplementedError()

    @staticmethod
    def is_capable(capability):
        """Whether the store can do ``capability`` (``'optimizer'``)."""
        raise NotImplementedError()

    @property
    def type(self):
        """The store's name."""
        raise NotImplementedError()

    @property
    def rank(self):
        """This worker's number."""
        raise NotImplementedError()

    @property
    def num_workers(self):
        """The number of workers."""
        raise NotImplementedError()


def _check_capability(capability, capable):
    """``capable`` for the ``'optimizer'`` capability; MXNet's ValueError for any other."""
    if capability.lower() == KVStoreBase.OPTIMIZER:
        return capable
    raise ValueError(f'Unknown capability: {capability}')


@KVStoreBase.register
class TestStore(KVStoreBase):
    """MXNet's ``'teststore'``: a store without an optimizer that only sums
    (``pushpull``) and copies (``broadcast``). A Trainer given it updates the
    weights itself (``update_on_kvstore`` is False).

    >>> import d2lmini as mx
    >>> kv = mx.kv.create('teststore')
    >>> grads = [mx.nd.ones(2), mx.nd.ones(2) * 2]
    >>> kv.pushpull(0, grads)
    >>> grads[0].asnumpy().tolist(), kv.is_capable('optimizer')
    ([3.0, 3.0], False)
    """

    def broadcast(self, key, value, out, priority=0):
        for o in _as_list(out):
            o[:] = value

    def pushpull(self, key, value, out=None, priority=0):
        if isinstance(value, nd.NDArray):
            if out is not None:
                for o in _as_list(out):
                    o[:] = value
            return
        ctx = value[0].context
        total = value[0].as_in_context(ctx).copy()
        for v in value[1:]:
            total += v.as_in_context(ctx)
        for o in (value if out is None else _as_list(out)):
            o[:] = total

    @staticmethod
    def is_capable(capability):
        return _check_capability(capability, False)

    @property
    def type(self):
        return 'teststore'

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _key_value_pairs(key, value):
    """``[(key, [arrays])]`` for a key and its value(s), or lists of both: MXNet's
    calling conventions (one key with one array or a list, one array per device;
    a list of keys with a list of values)."""
    if isinstance(key, (list, tuple)):
        # AssertionError, as MXNet raises for these mistakes of the caller
        if not isinstance(value, (list, tuple)) or len(key) != len(value):
            raise AssertionError('a list of keys needs a list of values of the same length')
        return [(k, _as_list(v)) for k, v in zip(key, value)]
    return [(key, _as_list(value))]


def _two_bit(grad, residual, threshold):
    """MXNet's 2-bit compression of ``grad`` with error feedback: the gradient is
    added to ``residual``; where the sum reaches ``threshold`` (or ``-threshold``)
    the value sent is ``threshold`` (``-threshold``) and that much leaves the
    residual; elsewhere 0 is sent and everything stays in the residual."""
    residual += grad
    pos = residual >= threshold
    neg = residual <= -threshold
    sent = (pos - neg) * threshold
    residual -= sent
    return sent


class KVStore(KVStoreBase):
    """A single-process key-value store (see the module's description). Make one
    with :func:`create`.

    >>> import d2lmini as mx
    >>> kv = mx.kv.create('device')
    >>> kv.type, kv.rank, kv.num_workers
    ('device', 0, 1)
    """

    def __init__(self, name='local'):
        self._type = name
        self._store = {}
        self._key_type = None
        self._updater = None
        self._compression = None
        self._residuals = {}

    # ------------------------------------------------------------ identity
    @property
    def type(self):
        """The name the store was created with."""
        return self._type

    @property
    def rank(self):
        """This worker's number: always 0 (one process)."""
        return 0

    @property
    def num_workers(self):
        """The number of workers: always 1 (one process)."""
        return 1

    def is_capable(self, capability):
        """Whether the store can do ``capability``: ``'optimizer'`` (updates on push)."""
        return _check_capability(capability, True)

    def _check_key(self, key):
        kind = str if isinstance(key, str) else int
        if kind is int and not isinstance(key, int):
            raise AssertionError(f'unexpected type for keys: {type(key)} (keys are int or str)')
        if self._key_type is None:
            self._key_type = kind
        elif self._key_type is not kind:
            raise MXNetError('Mixed key types are not allowed')

    def _stored(self, key):
        self._check_key(key)
        if key not in self._store:
            raise MXNetError(f'key {key} has not been inited')
        return self._store[key]

    # ------------------------------------------------------------ data
    def init(self, key, value):
        """Store the initial value of ``key`` (int or str; or lists of keys and
        values). A key is initialised once.

        >>> import d2lmini as mx
        >>> kv = mx.kv.create()
        >>> kv.init(['a', 'b'], [mx.nd.ones(2), mx.nd.zeros(3)])
        """
        for k, vals in _key_value_pairs(key, value):
            self._check_key(k)
            if k in self._store:
                raise MXNetError(f'duplicate init of key {k}. Please double check if you '
                                 'called kv.init or kv.broadcast with this key multiple times')
            self._store[k] = vals[0].copy()

    def broadcast(self, key, value, out, priority=0):
        """Initialise ``key`` with ``value``, then pull it into ``out``."""
        self.init(key, value)
        self.pull(key, out=out, priority=priority)

    def push(self, key, value, priority=0):
        """Send ``value`` to ``key``: a list of arrays (one per device) is summed;
        with an optimizer (``set_optimizer``) the sum is a gradient that updates the
        stored weight, otherwise it replaces the stored value. ``priority`` is
        accepted for MXNet's signature (the work is done at once)."""
        for k, vals in _key_value_pairs(key, value):
            stored = self._stored(k)
            if self._compression is not None:
                vals = [self._compress(k, i, v) for i, v in enumerate(vals)]
            merged = self._reduce(vals, stored.context)
            if self._updater is not None:
                self._updater(k, merged, stored)
            else:
                stored[:] = merged

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the value of ``key`` into ``out`` (an array, or a list of arrays,
        e.g. one per device)."""
        if out is None:
            raise AssertionError('pull needs out: the arrays to receive the value')
        pairs = _key_value_pairs(key, out)
        for k, outs in pairs:
            stored = self._stored(k)
            for o in outs:
                # as in MXNet, row-sparse arrays are left to row_sparse_pull unless
                # ignore_sparse=False (a whole row-sparse value is rarely wanted)
                if ignore_sparse and o.stype == 'row_sparse':
                    continue
                stored.copyto(o)

    def pushpull(self, key, value, out=None, priority=0):
        """``push(key, value)`` then ``pull(key, out)``; without ``out`` the result
        is written back into ``value`` (the all-reduce of gradients).

        >>> import d2lmini as mx
        >>> kv = mx.kv.create('device')
        >>> kv.init(0, mx.nd.zeros(2))
        >>> grads = [mx.nd.ones(2), mx.nd.ones(2) * 2]
        >>> kv.pushpull(0, grads)
        >>> grads[1]
        <BLANKLINE>
        [3. 3.]
        <NDArray 2 @cpu(0)>
        """
        self.push(key, value, priority)
        # the result goes back whatever the storage (pull alone leaves row-sparse
        # arrays to row_sparse_pull)
        self.pull(key, value if out is None else out, priority, ignore_sparse=False)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Pull only the rows ``row_ids`` of ``key``'s value into ``out``, row-sparse
        arrays that then store exactly those rows (dense arrays are refused, as MXNet
        refuses them: ``pull`` fills those). ``row_ids`` is an array of row numbers,
        or a list of them, one per ``out``; with a list of keys, a list of those, one
        per key.

        >>> import d2lmini as mx
        >>> kv = mx.kv.create('local')
        >>> kv.init('w', mx.nd.array([[1, 1], [2, 2], [3, 3]]))
        >>> out = mx.nd.sparse.zeros('row_sparse', (3, 2))
        >>> kv.row_sparse_pull('w', out=out, row_ids=mx.nd.array([2, 0, 2]))
        >>> out.indices.asnumpy().tolist(), out.data.asnumpy().tolist()
        ([0, 2], [[1.0, 1.0], [3.0, 3.0]])
        """
        if row_ids is None:
            raise MXNetError('row_sparse_pull needs row_ids')
        pairs = _key_value_pairs(key, out)
        ids = list(row_ids) if isinstance(key, (list, tuple)) else [row_ids]
        if len(ids) != len(pairs):
            raise MXNetError(f'row_sparse_pull: {len(pairs)} keys but {len(ids)} row_ids')
        for (k, outs), rows_per_out in zip(pairs, ids):
            stored = self._stored(k)
            rows_per_out = _as_list(rows_per_out)
            if len(rows_per_out) == 1:
                rows_per_out = rows_per_out * len(outs)
            if len(rows_per_out) != len(outs):
                raise MXNetError(f'row_sparse_pull: {len(outs)} arrays for key {k!r} but '
                                 f'{len(rows_per_out)} row_ids')
            for o, rows in zip(outs, rows_per_out):
                if o.stype != 'row_sparse':
                    raise MXNetError(f'row_sparse_pull writes row_sparse arrays, but an out '
                                     f'array of key {k!r} has storage {o.stype!r}; use '
                                     'pull for it')
                self._pull_rows(stored, o, rows)

    @staticmethod
    def _pull_rows(stored, out, rows):
        values = stored._data        # dense values, whatever the storage
        xp = stored.context.xp
        index = xp.unique(xp.asarray(rows.as_in_context(stored.context)._data)
                          .astype(np.int64).reshape(-1))
        if len(index) and (index[0] < 0 or index[-1] >= stored.shape[0]):
            raise MXNetError(f'row_sparse_pull: row ids must be in [0, {stored.shape[0]}), '
                             f'got {rows.asnumpy().tolist()}')
        # unique() sorted the rows: the parts are those of a row-sparse array as they are
        picked = _make('row_sparse', (values[index], index), stored.shape, values.dtype,
                       stored.context)
        picked.copyto(out)

    def _reduce(self, vals, ctx):
        """The sum of ``vals`` on ``ctx``; several GPUs are added with NCCL when
        cupy provides it."""
        if len(vals) == 1:
            return vals[0].as_in_context(ctx)
        total = _nccl_sum(vals) if self._type == 'device' else None
        if total is None:
            total = vals[0].as_in_context(ctx).copy()
            for v in vals[1:]:
                total += v.as_in_context(ctx)
        return total.as_in_context(ctx)

    # ------------------------------------------------------------ compression
    def set_gradient_compression(self, compression_params):
        """Compress pushed values as MXNet does: ``{'type': '2bit', 'threshold':
        0.5}`` sends each element as ``-threshold``, 0 or ``+threshold`` and keeps
        what was not sent in a residual (per key and device) that is added to the
        next push. Only the ``'device'`` store (and MXNet's distributed ones)
        compress.

        >>> import d2lmini as mx
        >>> kv = mx.kv.create('device')
        >>> kv.set_gradient_compression({'type': '2bit', 'threshold': 0.5})
        >>> kv.init(0, mx.nd.zeros(4))
        >>> kv.push(0, mx.nd.array([0.3, 0.6, -1.2, 0.1]))
        >>> out = mx.nd.zeros(4); kv.pull(0, out=out); out
        <BLANKLINE>
        [ 0.   0.5 -0.5  0. ]
        <NDArray 4 @cpu(0)>
        """
        if 'device' not in self._type and 'dist' not in self._type:
            raise Exception('Gradient compression is not supported for this type of kvstore')
        params = dict(compression_params)
        kind = params.pop('type', None)
        if kind == 'none':
            self._compression = None
            return
        if kind != '2bit':
            raise MXNetError(f'Unknown type for gradient compression {kind}')
        threshold = float(params.pop('threshold', 0.5))
        if threshold <= 0:
            raise MXNetError('threshold must be greater than 0')
        self._compression = threshold

    def _compress(self, key, device, value):
        residual = self._residuals.get((key, device))
        if residual is None or residual.shape != value.shape:
            residual = nd.zeros(value.shape, ctx=value.context, dtype=value.dtype)
            self._residuals[(key, device)] = residual
        return _two_bit(value, residual, self._compression)

    # ------------------------------------------------------------ optimizer
    def set_optimizer(self, optimizer):
        """Run ``optimizer`` in the store: from now on a push of gradients updates
        the stored weights (``updater(key, grad, weight)``)."""
        if not isinstance(optimizer, opt.Optimizer):
            raise TypeError('optimizer must be an Optimizer')
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """Use ``updater(key, merged_value, stored_value)`` on every push."""
        self._updater = updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Save the optimizer's states (and with ``dump_optimizer`` the optimizer)
        to ``fname``; the file is replaced in one step."""
        assert self._updater is not None, 'Cannot save states for distributed training'
        write_bytes_atomically(fname, self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Load what :meth:`save_optimizer_states` wrote."""
        assert self._updater is not None, 'Cannot load states for distributed training'
        with open(fname, 'rb') as f:
            self._updater.set_states(f.read())

    def _barrier(self):
        """Wait for the other workers: there are none."""

    def __repr__(self):
        return f'<KVStore {self._type}>'


def _nccl_sum(vals):
    """The sum of arrays on distinct GPUs by an NCCL all-reduce, on the first
    array's device; None when that cannot be done (CPU arrays, a device twice, no
    NCCL in cupy), and the caller adds by copying."""
    devices = [(v.context.device_type, v.context.device_id) for v in vals]
    if any(t != 'gpu' for t, _ in devices) or len(set(devices)) != len(devices):
        return None
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError:
        return None
    import numpy as np
    dtype = {'float32': nccl.NCCL_FLOAT32, 'float64': nccl.NCCL_FLOAT64,
             'float16': nccl.NCCL_FLOAT16}.get(np.dtype(vals[0].dtype).name)
    if dtype is None:
        return None
    outs = [v.copy() for v in vals]
    comms = nccl.NcclCommunicator.initAll([i for _, i in devices])
    nccl.groupStart()
    for comm, o in zip(comms, outs):
        with cupy.cuda.Device(o.context.device_id):
            buf = o._data
            comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dtype, nccl.NCCL_SUM,
                           cupy.cuda.Stream.null.ptr)
    nccl.groupEnd()
    return outs[0]


def create(name='local'):
    """A key-value store: ``'local'`` or ``'device'`` (the same in one process;
    ``'device'`` also supports gradient compression), or a class registered with
    :meth:`KVStoreBase.register` (``'teststore'``), by its lower-case name. Other
    names (``'local_allreduce_cpu'``, ...) give a local store of that name, as in
    MXNet. Names of distributed stores (``'dist_sync'``, ...) raise: d2lmini trains
    on one machine.

    >>> import d2lmini as mx
    >>> mx.kv.create('local').type
    'local'
    """
    if not isinstance(name, str):
        raise TypeError('name must be a string')
    name = name.lower()     # MXNet's names are case-insensitive: 'Local' is 'local'
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()
    if name.startswith('dist') or name in ('horovod', 'byteps'):
        raise ValueError(f"kvstore '{name}' is for training on several machines, which "
                         "d2lmini does not do; use 'device' or 'local'")
    return KVStore(name)
