"""Parameters: the named, trainable arrays of a network, and dictionaries of them.

A :class:`Parameter` knows its name, shape, dtype, how to initialise itself and on
which contexts its data lives. Its shape may have unknown dimensions (0) until the
first batch arrives: that is *deferred initialisation*.

>>> import d2lmini as mx
>>> w = mx.gluon.Parameter('w', shape=(2, 3))
>>> w.initialize(mx.init.One())
>>> w.data()
<BLANKLINE>
[[1. 1. 1.]
 [1. 1. 1.]]
<NDArray 2x3 @cpu(0)>
"""
import re
import warnings
from collections import OrderedDict

import numpy as np

from .. import autograd
from ..base import AssertedValueError, MXNetError
from ..context import Context, cpu, current_context
from .. import ndarray as nd


class DeferredInitializationError(MXNetError):
    """A parameter was used before its shape, and so its data, is known (an
    MXNetError, as in MXNet 1.x)."""


_STORAGE_TYPES = ('default', 'row_sparse', 'csr')


def shape_is_known(shape):
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _indent(text, spaces):
    return text.replace('\n', '\n' + ' ' * spaces)


class Parameter:
    """A trainable array with a name.

    ``shape`` may contain 0 for dimensions that are filled in later from data;
    ``init`` is this parameter's own initializer, which wins over the one given to
    ``initialize``. ``grad_req`` is ``'write'``, ``'add'`` or ``'null'``.

    ``stype`` is the storage of the data and ``grad_stype`` that of the gradient:
    ``'default'`` (dense), ``'row_sparse'`` or ``'csr'``. As in MXNet 1.x, a
    ``stype='row_sparse'`` parameter (a large embedding table, say) keeps its
    values in the store of its :class:`~d2lmini.gluon.Trainer`, which updates them
    there: :meth:`data` and :meth:`list_data` refuse it, and
    :meth:`row_sparse_data` pulls the rows a batch needs. A
    ``grad_stype='row_sparse'`` gradient stores only the rows that receive a
    gradient, so that optimizers update only those.

    >>> import d2lmini as mx
    >>> table = mx.gluon.Parameter('table', shape=(5, 2), stype='row_sparse')
    >>> table.initialize(mx.init.One())
    >>> trainer = mx.gluon.Trainer([table], 'sgd')
    >>> rows = table.row_sparse_data(mx.nd.array([3, 1]))
    >>> rows.stype, rows.indices.asnumpy().tolist()
    ('row_sparse', [1, 3])
    """

    def __init__(self, name, grad_req='write', shape=None, dtype=np.float32, lr_mult=1.0,
                 wd_mult=1.0, init=None, allow_deferred_init=False, differentiable=True,
                 stype='default', grad_stype='default'):
        self._data = None        # list of NDArrays, one per context
        self._grad = None
        self._ctx_list = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        for arg, value in (('stype', stype), ('grad_stype', grad_stype)):
            if value not in _STORAGE_TYPES:
                raise AssertionError(f"{arg} for Parameter '{name}' must be one of 'default', "
                                     f"'row_sparse', or 'csr', but got '{value}'")
        self._stype, self._grad_stype = stype, grad_stype
        if stype != 'default':
            # As in MXNet 1.x, a sparse parameter's values are read through
            # row_sparse_data(): data() and list_data() refuse. The refusals replace
            # the two methods on this parameter only, so that a dense parameter's
            # data(), called at every forward pass, checks nothing.
            self.data = self._refuse_data
            self.list_data = self._refuse_list_data
        self._grad_req = None
        # the Trainer that updates this parameter, as MXNet 1.x keeps it (a plain
        # reference: Python's garbage collector frees the parameter-Trainer cycle)
        self._trainer = None
        self._var = None            # (settings, the symbol var() made for them)
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = None if shape is None else tuple(shape)
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init

    def __repr__(self):
        return f'Parameter {self.name} (shape={self.shape}, dtype={self.dtype})'

    # ------------------------------------------------------------ attributes
    @property
    def grad_req(self):
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ('write', 'add', 'null'):
            raise AssertedValueError(f"grad_req must be one of 'write', 'add', or 'null', but "
                                     f"got {req!r}")
        if not self._differentiable:
            req = 'null'
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == 'null' and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def shape(self):
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = tuple(new_shape)
        if self._shape is not None:
            if len(self._shape) != len(new_shape) or not all(
                    old in (0, new) for new, old in zip(new_shape, self._shape)):
                raise AssertionError(f'Expected shape {new_shape} is incompatible with given shape '
                                 f'{self._shape} of Parameter {self.name!r}')
        self._shape = new_shape

    @property
    def stype(self):
        """The storage type of the data: ``'default'`` (dense), ``'row_sparse'`` or
        ``'csr'``."""
        return self._stype

    def _set_trainer(self, trainer):
        """Record ``trainer`` (or None) as the one that updates this parameter. As in
        MXNet 1.x, a 'row_sparse' parameter takes only one Trainer: another one raises
        ``RuntimeError`` (a dense parameter simply follows the latest Trainer)."""
        current = self._trainer
        if (self._stype != 'default' and current is not None and trainer is not None
                and current is not trainer):
            raise RuntimeError(
                f"Failed to set the trainer for Parameter '{self.name}' because it was "
                f'already set. More than one trainers for a {self._stype} Parameter is not '
                'supported.')
        self._trainer = trainer

    @property
    def dtype(self):
        """The parameter's type; setting it casts the data, as ``cast`` does (and as in
        MXNet), so that the data and the declared type never disagree."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    # ------------------------------------------------------------ initialisation
    def initialize(self, init=None, ctx=None, default_init=None, force_reinit=False):
        """Create the data on ``ctx`` (a context or a list; default: the current one).

        The initializer used is this parameter's own ``init`` if it has one, else
        ``init``, else ``default_init`` (uniform in [-0.07, 0.07]). If the shape is not
        known yet and deferral is allowed, the work waits for the first forward pass.
        """
        from .. import initializer
        if default_init is None:
            default_init = initializer.Uniform()
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. "
                          'Set force_reinit=True to re-initialize.', stacklevel=2)
            return
        if self._data is not None and self._stype != 'default':
            # the values of a sparse parameter live in its Trainer's store, which
            # must take the new ones (MXNet 1.x keeps pulling the old ones)
            self._values_replaced()
        self._data = self._grad = None
        if ctx is None:
            ctx = [current_context()]
        if isinstance(ctx, Context):
            ctx = [ctx]
        if init is None:
            init = default_init if self.init is None else self.init
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                self._deferred_init = (init, list(ctx), default_init, None)
                return
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has "
                             f'invalid shape: {self.shape}.')
        self._deferred_init = (init, list(ctx), default_init, None)
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        """Run the initialisation that ``initialize`` postponed (shape now known)."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        if not shape_is_known(self.shape):
            raise DeferredInitializationError(
                f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                f'{self.shape}. Please specify in_units, in_channels, etc for `Block`s.')
        self._deferred_init = ()
        from .. import initializer
        with autograd.pause():
            if data is None:
                data = nd.zeros(self.shape, ctx=cpu(), dtype=self.dtype)
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {'__init__': init}), data)
                if self._stype == 'row_sparse':
                    # every row is stored, zero rows too, as MXNet 1.x's initializers
                    # write a row_sparse array
                    data = nd.sparse.row_sparse_array(
                        (data, nd.arange(self.shape[0], dtype='int64')), shape=self.shape,
                        ctx=cpu(), dtype=self.dtype)
            self._init_impl(data, ctx)

    def _init_impl(self, data, ctx_list):
        """Give every context in ``ctx_list`` a copy of ``data`` in this parameter's
        storage type, and a gradient buffer."""
        if self._stype == 'csr' and data.ndim != 2:
            raise ValueError(f"Parameter '{self.name}' has stype='csr', which needs a 2-D "
                             f'shape, not {data.shape}')
        if data.stype != self._stype:
            data = data.tostype(self._stype)
        self._ctx_list = list(ctx_list)
        self._data = [data.copyto(c) for c in self._ctx_list]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == 'null':
            self._grad = None
            return
        # a grad_stype='row_sparse' gradient stores the rows that receive a gradient,
        # so that optimizers update only those (MXNet's lazy updates); a 'csr' one
        # is kept dense (no operator of MXNet's produces CSR gradients)
        stype = 'row_sparse' if self._grad_stype == 'row_sparse' else 'default'
        self._grad = [nd.zeros(d.shape, ctx=d.context, dtype=d.dtype, stype=stype)
                      for d in self._data]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    # ------------------------------------------------------------ access
    def _check_and_get(self, arr_list, ctx):
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            for c, a in zip(self._ctx_list, arr_list):
                if c == ctx:
                    return a
            raise RuntimeError(f"Parameter '{self.name}' was not initialized on context {ctx}. "
                               f'It was only initialized on {self._ctx_list}.')
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization "
                'was deferred. Actual initialization happens during the first forward pass. '
                'Please pass one batch of data through the network before accessing '
                'Parameters. You can also avoid deferred initialization by specifying '
                'in_units, num_features, etc., for network layers.')
        raise RuntimeError(
            f"Parameter '{self.name}' has not been initialized. Note that you should "
            'initialize parameters and create Trainer with Block.collect_params() instead of '
            'Block.params because the later does not include Parameters of nested child Blocks')

    def data(self, ctx=None):
        """This parameter's array on ``ctx`` (the only one if it lives on one context).
        A sparse parameter (``stype='row_sparse'``) refuses with ``RuntimeError``, as in
        MXNet 1.x: its values live in its Trainer's store; use :meth:`row_sparse_data`.
        """
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """This parameter's arrays on all its contexts, in the order of creation (a
        sparse parameter refuses, as :meth:`data` does)."""
        return self._check_and_get(self._data, list)

    def _refuse_data(self, ctx=None):
        """:meth:`data` of a sparse parameter (see ``__init__``)."""
        raise RuntimeError(f"Cannot return a copy of Parameter '{self.name}' on ctx {ctx} via "
                           f'data() because its storage type is {self._stype}. Please use '
                           'row_sparse_data() instead.')

    def _refuse_list_data(self):
        """:meth:`list_data` of a sparse parameter (see ``__init__``)."""
        raise RuntimeError(f"Cannot return copies of Parameter '{self.name}' on all contexts "
                           f'via list_data() because its storage type is {self._stype}. '
                           'Please use row_sparse_data() instead.')

    def row_sparse_data(self, row_id):
        """The array of a ``stype='row_sparse'`` parameter on ``row_id``'s context,
        holding exactly the rows ``row_id`` (an NDArray of row numbers, repeats
        allowed), pulled from the store of the parameter's Trainer, as in MXNet 1.x.

        It is the parameter's own array on that context, which autograd
        differentiates: use it in ``autograd.record()`` (with ``nd.sparse.dot`` or
        ``nd.Embedding``) and the gradient reaches :meth:`grad`. The Trainer updates
        the values in its store; the next pull brings the new ones. A dense parameter
        raises ``RuntimeError`` here (use :meth:`data`), and so does a parameter
        without a Trainer. Row numbers out of range raise ``IndexError`` (MXNet gives
        undefined values for them).

        >>> import d2lmini as mx
        >>> w = mx.gluon.Parameter('w', shape=(3, 2), stype='row_sparse')
        >>> w.initialize(mx.init.One())
        >>> trainer = mx.gluon.Trainer([w], 'sgd')
        >>> w.row_sparse_data(mx.nd.array([0, 2])).asnumpy()
        array([[1., 1.],
               [0., 0.],
               [1., 1.]], dtype=float32)
        """
        if self._stype != 'row_sparse':
            raise RuntimeError(f"Cannot return a copy of Parameter {self.name} via "
                               f'row_sparse_data() because its storage type is {self._stype}. '
                               'Please use data() instead.')
        return self._get_row_sparse(row_id, every_copy=False)

    def list_row_sparse_data(self, row_id):
        """:meth:`row_sparse_data` on every context, in the order of creation: every
        copy gets the rows ``row_id``."""
        if self._stype != 'row_sparse':
            raise RuntimeError(f"Cannot return copies of Parameter '{self.name}' on all "
                               'contexts via list_row_sparse_data() because its storage type '
                               f'is {self._stype}. Please use data() instead.')
        return self._get_row_sparse(row_id, every_copy=True)

    def _get_row_sparse(self, row_id, every_copy):
        """Pull the rows ``row_id`` from the Trainer's store into the copy on
        ``row_id``'s context (``every_copy``: into every copy), and return it (them)."""
        if not isinstance(row_id, nd.NDArray):
            raise TypeError(f'row_id must have NDArray type, but {type(row_id)} is given')
        if self._trainer is None:
            raise RuntimeError(f"Cannot get row_sparse data for Parameter '{self.name}' when "
                               'no Trainer is created with it.')
        results = self._check_and_get(self._data, list if every_copy else row_id.context)
        rows, num_rows = row_id.asnumpy(), self.shape[0]
        if rows.size and (rows.min() < 0 or rows.max() >= num_rows):
            raise IndexError(f"row_sparse_data: the row ids for Parameter '{self.name}' must "
                             f'lie in [0, {num_rows}), but they range from {rows.min()} to '
                             f'{rows.max()}')
        self._trainer._row_sparse_pull(self, results, row_id)
        return results

    def grad(self, ctx=None):
        """The gradient buffer on ``ctx``."""
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' "
                               "because grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        if self._data is not None and self._grad is None:
            raise RuntimeError(f"Cannot get gradient array for Parameter '{self.name}' "
                               "because grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
        return self._ctx_list

    def zero_grad(self):
        """Set the gradient buffers to zero (in place, so references stay valid)."""
        if self._grad is None:
            return
        for g in self._grad:
            if g.stype == 'default':
                g._data[...] = 0
            else:
                g[:] = 0

    def set_data(self, data):
        """Overwrite the values on every context (shape may fill unknown dims).

        As an assignment ``arr[:] = data`` does, and as MXNet's ``set_data`` does, the
        values are converted to this parameter's dtype; loading from a file
        (``load_parameters``) instead refuses another dtype unless asked to cast.
        """
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise RuntimeError(f"Parameter '{self.name}' has not been initialized")
            init, ctx, default_init, _ = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
            return
        self._values_replaced()
        for arr in self._data:
            arr[:] = data.as_in_context(arr.context) if isinstance(data, nd.NDArray) else data

    def _values_replaced(self):
        """The values are about to change outside the Trainer: a store that holds its
        own copy of the weights (``update_on_kvstore``) must take them again, or its
        next update would start from the old ones (as MXNet 1.x resets it)."""
        trainer = self._trainer
        if (trainer is not None and trainer._kv_initialized and trainer._update_on_kvstore
                and self not in trainer._params_to_init):
            trainer._reset_kvstore()

    def reset_ctx(self, ctx):
        """Move the data (and gradients) to ``ctx`` (a context or a list)."""
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data is not None:
            # a sparse parameter's copies hold only the rows last pulled: its values
            # come from the store
            data = self._data[0].copyto(cpu()) if self._stype == 'default' else self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, list(ctx), default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter '{self.name}' because it "
                             'has not been initialized.')

    def cast(self, dtype):
        """Change the dtype of the data and gradients."""
        self._dtype = dtype
        if self._data is None:
            return
        with autograd.pause():
            self._data = [d.astype(dtype) for d in self._data]
            self._init_grad()

    def var(self):
        """This parameter as a symbolic variable (for hybridized graphs). The same
        variable every time, as in MXNet, so that a graph that reads the parameter at
        several places (an RNN cell unrolled over time) has it as one argument; a new
        one once its shape or settings change (a deferred shape becomes known)."""
        from .. import symbol
        key = (self.name, self.shape, self.dtype, self.lr_mult, self.wd_mult,
               id(self.init) if not isinstance(self.init, str) else self.init)
        if self._var is None or self._var[0] != key:
            self._var = (key, symbol.var(self.name, shape=self.shape, dtype=self.dtype,
                                         lr_mult=self.lr_mult, wd_mult=self.wd_mult,
                                         init=self.init, stype=self._stype))
        return self._var[1]

    def _reduce(self):
        """The data averaged over the contexts, on the CPU (for saving). A sparse
        parameter's values are those of its Trainer's store, every row pulled, as
        MXNet 1.x saves them; without a Trainer its copies still hold every row (only
        row_sparse_data, which needs one, narrows them), and d2lmini saves those where
        MXNet fails."""
        copies = self._check_and_get(self._data, list)
        if self._stype != 'default':
            data = copies[0].copyto(cpu())
            if self._trainer is not None:
                self._trainer._row_sparse_pull(self, data, nd.arange(self.shape[0],
                                                                     dtype='int64'),
                                               full_idx=True)
            return data
        data = [d.copyto(cpu()) for d in copies]
        if len(data) == 1:
            return data[0]
        return nd.add_n(*data) / len(data)


class Constant(Parameter):
    """A parameter that never changes (``grad_req='null'``), created from a value."""

    def __init__(self, name, value):
        if not isinstance(value, nd.NDArray):
            value = nd.array(value)
        self.value = value
        from .. import initializer

        class _Init(initializer.Initializer):
            def _init_weight(self, _, arr):
                value.copyto(arr)

        super().__init__(name, grad_req='null', shape=value.shape, dtype=value.dtype,
                         init=_Init())

    def __repr__(self):
        return f'Constant {self.name} (shape={self.shape}, dtype={self.dtype})'

    @property
    def grad_req(self):
        return 'null'

    @grad_req.setter
    def grad_req(self, req):
        if req != 'null':
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other '
                          f'than "null", and new value "{req}" is ignored.')
        self._grad_req = 'null'


class ParameterDict:
    """An ordered dictionary of Parameters whose names share a prefix.

    ``get`` creates a parameter or returns the existing one, also from the ``shared``
    dictionary: that is how blocks share weights (``params=other.params``).
    """

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + ' ' if self._prefix else ''
        body = '\n'.join(_indent(f'  {v}', 2) for v in self.values())
        return f'{name}(\n{body}\n)'

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The parameter ``prefix + name``, created with ``kwargs`` if it does not exist.

        An existing parameter must agree with ``kwargs``; a 0 in a requested shape
        matches any size, and a known size fills an unknown one.
        """
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
                continue
            if k == 'shape':
                v = (v,) if isinstance(v, int) else tuple(v)
                if len(v) == len(existing) and all(a == b or a <= 0 or b <= 0
                                                   for a, b in zip(v, existing)):
                    param._shape = tuple(b if a <= 0 else a for a, b in zip(v, existing))
                    continue
            elif k == 'dtype' and np.dtype(v) == np.dtype(existing):
                continue
            if v is not None and v != existing:
                raise AssertionError(
                    f"Cannot retrieve Parameter '{name}' because desired attribute does not "
                    f"match with stored for attribute '{k}': desired '{v}' vs stored "
                    f"'{existing}'.")
        return param

    def get_constant(self, name, value=None):
        """A :class:`Constant` called ``prefix + name``."""
        name = self.prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named '{name}'. Please specify value if you want "
                               'to create a new constant.')
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None and not isinstance(param, Constant):
            raise TypeError(f"Parameter '{name}' already exists but it is not a constant.")
        return param

    def update(self, other):
        """Add ``other``'s parameters (the same name must mean the same Parameter)."""
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise AssertionError(f'Cannot update self with other because they have '
                                     f"different Parameters with the same name '{k}'")
        for k, v in other.items():
            self._params[k] = v

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialise every parameter; ``init`` is the default for those without their own."""
        from .. import initializer
        if init is None:
            init = initializer.Uniform()
        if verbose:
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx):
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self):
        ctxs = []
        for p in self.values():
            for c in p.list_ctx():
                if c not in ctxs:
                    ctxs.append(c)
        return ctxs

    def setattr(self, name, value):
        """Set attribute ``name`` (e.g. ``grad_req``, ``lr_mult``) on every parameter."""
        for p in self.values():
            setattr(p, name, value)

    def select(self, pattern):
        """The parameters whose names match regular expression ``pattern``."""
        out = ParameterDict(self._prefix)
        regex = re.compile(pattern)
        out.update({k: v for k, v in self.items() if regex.match(k)})
        return out

    def save(self, filename, strip_prefix=''):
        """Write every parameter to ``filename`` in MXNet's .params format."""
        arrays = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(f"Prefix '{strip_prefix}' is to be striped before saving, but "
                                 f"Parameter's name '{param.name}' does not start with it.")
            arrays[param.name[len(strip_prefix):]] = param._reduce()
        nd.save(filename, arrays)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix='', cast_dtype=False, dtype_source='current'):
        """Read parameters saved by ``save`` (or by MXNet) from ``filename``.

        ``restore_prefix`` is put before every saved name. Saved values must have the
        parameters' dtypes (``AssertionError`` otherwise, as in MXNet) unless
        ``cast_dtype=True``: ``dtype_source='current'`` then casts them to each
        parameter's dtype, ``'saved'`` changes the parameter to the saved dtype. When
        anything does not fit (names, shapes, dtypes), nothing is loaded.

        >>> import os, tempfile
        >>> import d2lmini as mx
        >>> params = ParameterDict('net_')
        >>> w = params.get('w', shape=(2,))
        >>> params.initialize(mx.init.One())
        >>> fname = os.path.join(tempfile.mkdtemp(), 'w.params')
        >>> mx.nd.save(fname, {'net_w': mx.nd.array([0.5, 2], dtype='float64')})
        >>> params.load(fname)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: Failed loading Parameter 'net_w' ... expected float32 vs saved float64. ...
        >>> params.load(fname, cast_dtype=True)
        >>> w.data()
        <BLANKLINE>
        [0.5 2. ]
        <NDArray 2 @cpu(0)>
        """
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise ValueError(f'{filename} holds a list of arrays without names; it cannot be '
                             'loaded into parameters')
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename,
                       cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix='', filename=None, cast_dtype=False, dtype_source='current'):
        """Load parameters from ``param_dict`` (name -> NDArray, names possibly marked
        ``arg:``/``aux:`` as in exported files), with the checks and options of
        ``load``; ``filename`` only names the source in error messages.

        >>> import d2lmini as mx
        >>> params = ParameterDict('net_')
        >>> w = params.get('w', shape=(2,))
        >>> params.load_dict({'arg:w': mx.nd.array([1, 2])}, restore_prefix='net_')
        >>> w.data()
        <BLANKLINE>
        [1. 2.]
        <NDArray 2 @cpu(0)>
        """
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise AssertedValueError(f"restore_prefix is '{restore_prefix}' but "
                                             f"Parameter's name '{name}' does not start with it")
        loaded = {restore_prefix + k.split(':', 1)[-1]: v for k, v in param_dict.items()}
        _load_into(self._params, loaded, filename or 'param_dict', ctx, allow_missing,
                   ignore_extra, cast_dtype, dtype_source)


def _load_into(params, loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype,
               dtype_source):
    """Copy ``loaded`` (name -> NDArray) into ``params`` (name -> Parameter) with clear
    errors listing missing, extra, mis-shaped and mis-typed parameters.

    Every check runs before any parameter changes, so a file that does not fit leaves
    the model as it was (MXNet stops at the first bad parameter, after loading the
    ones before it). A saved dtype that differs from the parameter's is an error, as
    in MXNet, unless ``cast_dtype``: then ``dtype_source='current'`` casts the saved
    values to the parameter's dtype and ``'saved'`` gives the parameter the saved one.
    """
    if cast_dtype and dtype_source not in ('current', 'saved'):
        raise AssertionError(f"dtype_source must be 'current' or 'saved', got {dtype_source!r}")
    missing = [n for n in params if n not in loaded]
    if missing and not allow_missing:
        raise AssertionError(f"Parameter(s) {', '.join(repr(m) for m in missing)} are missing in "
                             f"file '{filename}'. Set allow_missing=True to ignore missing "
                             'parameters.')
    extra = [n for n in loaded if n not in params]
    if extra and not ignore_extra:
        raise AssertionError(f"Parameter(s) {', '.join(repr(e) for e in extra)} loaded from file "
                             f"'{filename}' are not present in this model. Set ignore_extra=True "
                             'to ignore.')
    bad = [f'{n}: file has {loaded[n].shape}, model expects {params[n].shape}'
           for n in params if n in loaded and params[n].shape is not None
           and not _shape_fits(params[n].shape, loaded[n].shape)]
    if bad:
        raise AssertionError(f"shape mismatch loading '{filename}': " + '; '.join(bad))
    if not cast_dtype:
        _check_dtypes(params, loaded)
    for name, param in params.items():
        if name not in loaded:
            continue
        value = loaded[name]
        if np.dtype(value.dtype) != np.dtype(param.dtype):  # only with cast_dtype
            if dtype_source == 'current':
                value = value.astype(param.dtype)
            else:
                param.dtype = value.dtype
        _load_one(param, value, ctx)


def _check_dtypes(params, loaded):
    """MXNet's error for saved values of another dtype: loading never casts silently
    (float64 values squeezed into float32, or integers into floats, lose information)."""
    wrong = [(n, np.dtype(params[n].dtype).name, np.dtype(loaded[n].dtype).name)
             for n in params if n in loaded
             and np.dtype(loaded[n].dtype) != np.dtype(params[n].dtype)]
    if not wrong:
        return
    name, expected, saved = wrong[0]
    others = ''.join(f", '{n}' ({s})" for n, _, s in wrong[1:])
    raise AssertionError(
        f"Failed loading Parameter '{name}' from saved params: dtype incompatible expected "
        f'{expected} vs saved {saved}. Set cast_dtype=True to cast the dtype of saved params.'
        + (f' Other parameters saved with another dtype: {others[2:]}.' if others else '')
        + ' Nothing was loaded.')


def _shape_fits(expected, actual):
    return len(expected) == len(actual) and all(e in (0, a) for e, a in zip(expected, actual))


def _load_one(param, value, ctx):
    if ctx is None:
        ctx = param._ctx_list if param._data is not None else (
            param._deferred_init[1] if param._deferred_init else [current_context()])
    if isinstance(ctx, Context):
        ctx = [ctx]
    param.shape = value.shape
    param._deferred_init = ()
    param._values_replaced()
    with autograd.pause():
        param._init_impl(value.copyto(cpu()), ctx)


__all__ = ['Parameter', 'Constant', 'ParameterDict', 'DeferredInitializationError']
