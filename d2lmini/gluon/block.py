"""Blocks: the building pieces of networks.

A :class:`Block` owns parameters and child blocks and defines ``forward``. Names come
from where a block is created: inside ``with parent.name_scope():`` a ``Dense`` is
``<parent prefix>dense0_``, outside any scope it is ``dense0_`` (a global counter).

A :class:`HybridBlock` writes its computation once, as ``hybrid_forward(F, x,
**params)``, where ``F`` is the ``nd`` namespace when run eagerly (the symbolic
namespace when hybridized). Parameters whose shapes depend on the input are created
on the first forward pass (deferred initialisation): the block is traced with
symbols and shape inference over that graph (each operator that takes a weight
tells, through the registry, what shape it needs for its data) gives their shapes.
"""
import re
import threading
import warnings
from collections import OrderedDict

import numpy as np

from .. import name as _name
from .. import ndarray as nd
from ..base import MXNetError, mxnet_error_twin
from ..context import current_context
from .parameter import (DeferredInitializationError, Parameter, ParameterDict, _load_into,
                        _indent)


class _EagerPass(threading.local):
    """Set while a hybridized block runs once eagerly to learn its parameters'
    shapes (see ``HybridBlock._eager_shape_pass``): every block skips its graph."""
    active = False


_EAGER = _EagerPass()


class _BlockScope:
    """The scope entered by ``with block.name_scope():``; children created inside get
    the block's prefix and a per-block counter (``dense0_``, ``dense1_``)."""
    _current = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def create(prefix, params, hint):
        """The prefix and ParameterDict for a new block, given the current scope."""
        current = getattr(_BlockScope._current, 'value', None)
        if current is None:
            if prefix is None:
                prefix = _name.current().get(None, hint) + '_'
            params = ParameterDict(prefix) if params is None else ParameterDict(
                params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f'{hint}{count}_'
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, 'value', None)
        _BlockScope._current.value = self
        self._name_scope = _name.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return False
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope
        return False


def _tracing_error(exc, message):
    """The error for a ``hybrid_forward`` that failed on symbols: an MXNetError that
    explains, and also of ``exc``'s own type, which MXNet 1.x lets through (code
    catching an AttributeError keeps catching it)."""
    base = type(exc)
    if isinstance(exc, MXNetError):    # its own class (NotImplementedForSymbol, say)
        try:
            return base(message)
        except TypeError:               # a class that needs other arguments
            return MXNetError(message)
    return mxnet_error_twin(base, 'raised while tracing hybrid_forward')(message)


class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def detach(self):
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()


class Block:
    """Base class of all layers and models.

    Subclass it, create children and parameters in ``__init__`` (assigning them to
    attributes registers them) and write ``forward``::

        class MLP(nn.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.hidden = nn.Dense(256, activation='relu')
                self.output = nn.Dense(10)

            def forward(self, x):
                return self.output(self.hidden(x))

    ``prefix`` names the block's parameters; ``params`` shares another block's.
    """

    def __init__(self, prefix=None, params=None):
        # naming: the prefix (from the enclosing name scope unless given), the name
        # without its trailing '_', and the parameter dict the block adds to
        self._empty_prefix = prefix == ''
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix.removesuffix('_')
        self._scope = _BlockScope(self)
        # structure: child blocks and own parameters, by attribute name, in order
        self._children, self._reg_params = OrderedDict(), {}
        # hooks: run before and after forward, keyed by the handle's id
        self._forward_pre_hooks, self._forward_hooks = OrderedDict(), OrderedDict()
        self._hook_id = 0
        self._op_hook = None     # (callback, monitor_all) of register_op_hook

    def __repr__(self):
        lines = [f'  ({key}): {_indent(repr(block), 2)}'
                 for key, block in self.__dict__.items() if isinstance(block, Block)]
        return f'{type(self).__name__}(\n' + '\n'.join(lines) + '\n)'

    def __setattr__(self, name, value):
        """Assigning a Block registers it as a child; a Parameter, as a parameter."""
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(f'Changing attribute type for {name} from {type(existing)} to '
                                f'{type(value)} is not allowed.')
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise AssertionError(f'Overriding Parameter attribute {name} is not allowed. If '
                                     'you want to share parameters between blocks, please set '
                                     "'params' at Block construction instead.")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self):
        """Warn about Blocks hidden in a list/tuple/dict attribute: they are not
        registered, so their parameters would silently be left out."""
        children = set(self._children.values())

        def hides_block(data):
            if isinstance(data, (list, tuple)):
                return any(hides_block(d) for d in data)
            if isinstance(data, dict):
                return any(hides_block(d) for d in data.values())
            return isinstance(data, Block) and data not in children

        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith('__') or k == '_children'):
                if hides_block(v):
                    warnings.warn(f'"{type(self).__name__}.{k}" is an unregistered container with '
                                  'Blocks. Note that Blocks inside the list, tuple or dict will '
                                  'not be registered automatically. Make sure to register them '
                                  'using register_child() or switching to '
                                  'nn.Sequential/nn.HybridSequential instead. ', stacklevel=3)

    def _alias(self):
        return type(self).__name__.lower()

    @property
    def prefix(self):
        return self._prefix

    @property
    def name(self):
        return self._name

    def name_scope(self):
        """``with self.name_scope():`` gives children created inside this block's prefix."""
        return self._scope

    @property
    def params(self):
        """This block's own parameters (not its children's): see ``collect_params``."""
        return self._params

    def collect_params(self, select=None):
        """A ParameterDict of this block's and all its descendants' parameters,
        optionally only the names matching regular expression ``select``
        (e.g. ``'.*weight|.*bias'``)."""
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({k: v for k, v in self.params.items() if pattern.match(k)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        return ret

    def _collect_params_with_prefix(self, prefix=''):
        """Parameters keyed by their place in the tree (``'0.weight'``), as saved."""
        if prefix:
            prefix += '.'
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def save_parameters(self, filename, deduplicate=False):
        """Save the parameters in MXNet's .params format, keyed by structure
        (``'0.weight'``), so a model built the same way can load them whatever its
        prefixes. The file is replaced in one step (see ``nd.save``): a save that
        fails leaves the previous file intact."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            seen, unique = set(), {}
            for k, v in params.items():
                if id(v) not in seen:
                    seen.add(id(v))
                    unique[k] = v
            params = unique
        nd.save(filename, {k: v._reduce() for k, v in params.items()})

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source='current'):
        """Load parameters written by ``save_parameters`` (here or in MXNet).

        Saved values must have the parameters' dtypes, as in MXNet: a float64 or int32
        file raises ``AssertionError`` for a float32 model instead of being cast
        silently. ``cast_dtype=True`` allows it: with ``dtype_source='current'`` the
        values are cast to the model's dtypes, with ``'saved'`` the model takes the
        file's. Everything is checked first: a file that does not fit (names, shapes,
        dtypes) leaves the model unchanged, where MXNet may have loaded some
        parameters before failing.

        >>> import os, tempfile
        >>> import d2lmini as mx
        >>> net = mx.gluon.nn.Dense(2, in_units=3)
        >>> net.initialize()
        >>> fname = os.path.join(tempfile.mkdtemp(), 'dense.params')
        >>> net.cast('float64')
        >>> net.save_parameters(fname)
        >>> net.cast('float32')
        >>> net.load_parameters(fname, cast_dtype=True)
        >>> net.weight.data().dtype
        <class 'numpy.float32'>
        >>> net.load_parameters(fname, cast_dtype=True, dtype_source='saved')
        >>> net.weight.data().dtype
        <class 'numpy.float64'>
        """
        loaded = nd.load(filename)
        if not isinstance(loaded, dict):
            raise ValueError(f"'{filename}' holds arrays without names; it is not a parameter file")
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if not any('.' in k for k in loaded):
            # a file of full names (ParameterDict.save / MXNet's legacy format)
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self.prefix,
                                       cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        loaded = {k.split(':', 1)[-1]: v for k, v in loaded.items()}
        # a parameter shared by several blocks is saved once with deduplicate=True (as
        # MXNet does): it is missing only if none of the places it is used is in the file
        in_file = {id(v) for k, v in params.items() if k in loaded}
        missing = [k for k, v in params.items() if id(v) not in in_file]
        if missing and not allow_missing:
            raise AssertionError(
                f"Parameter(s) {', '.join(map(repr, missing))} missing in file '{filename}', which "
                f"contains parameters: {_brief(loaded)}. Set allow_missing=True to ignore "
                'missing parameters.')
        extra = [k for k in loaded if k not in params]
        if extra and not ignore_extra:
            raise ValueError(
                f"Parameter(s) {', '.join(map(repr, extra))} loaded from file '{filename}' not "
                f'present in this model, which contains parameters {_brief(params)}. Set '
                'ignore_extra=True to ignore. ')
        _load_into(params, loaded, filename, ctx, True, True, cast_dtype, dtype_source)

    def save(self, prefix):
        """Save the architecture to ``<prefix>-model.json`` and the parameters to
        ``<prefix>-model.params``, the files of MXNet 1.x's ``Block.save``: one nested
        entry per block, keyed by its class name in lower case and its place in a
        depth-first walk (``dense1``), with the name it had, its children's attribute
        names and, for a HybridBlock with a traced graph, that graph. Load them with
        :meth:`load` into a model built the same way (see
        :mod:`d2lmini.gluon.block_files`).

        >>> import os, tempfile
        >>> from d2lmini.gluon import nn
        >>> net = nn.Sequential()
        >>> net.add(nn.Dense(3, in_units=4), nn.Dense(2, in_units=3))
        >>> net.initialize()
        >>> folder = tempfile.mkdtemp()
        >>> net.save(os.path.join(folder, 'mlp'))
        >>> sorted(os.listdir(folder))
        ['mlp-model.json', 'mlp-model.params']
        """
        from .block_files import save_block
        save_block(self, prefix)

    def load(self, prefix):
        """Load a model saved by :meth:`save` (here or in MXNet) into this one, which
        must be built as the saved one was (the same classes in the same order): the
        children get the attribute names they had when saved, the parameters their
        values, and a block saved hybridized its traced graph back. A model that does
        not fit raises ``ModelMismatchError`` (a ``KeyError`` and a ``ValueError``)
        and is left unchanged.

        >>> import os, tempfile
        >>> import d2lmini as mx
        >>> from d2lmini.gluon import nn
        >>> net = nn.Dense(2, in_units=3)
        >>> net.initialize()
        >>> prefix = os.path.join(tempfile.mkdtemp(), 'dense')
        >>> net.save(prefix)
        >>> copy = nn.Dense(2, in_units=3)
        >>> copy.load(prefix)
        >>> bool((copy.weight.data() == net.weight.data()).asnumpy().all())
        True
        """
        from .block_files import load_block
        load_block(self, prefix)

    def save_params(self, filename):
        """MXNet's deprecated way to save: every parameter under its full name less
        this block's prefix (``dense0_weight``), as ``collect_params().save`` writes
        it. Prefer ``save_parameters``, whose keys follow the structure instead."""
        warnings.warn('save_params is deprecated. Please use save_parameters. Note that if '
                      'you want to load from a SymbolBlock later, please use export '
                      'instead.', stacklevel=2)
        try:
            self.collect_params().save(filename, strip_prefix=self.prefix)
        except ValueError as e:
            raise ValueError(f'{e}\nsave_params is deprecated. Using save_parameters may '
                             'resolve this error.') from e

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """MXNet's deprecated name for ``load_parameters`` (which reads both formats)."""
        warnings.warn('load_params is deprecated. Please use load_parameters.', stacklevel=2)
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def register_child(self, block, name=None):
        """Register ``block`` as a child (what attribute assignment does for you)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before every forward."""
        return self._add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, output)`` after every forward."""
        return self._add_hook(self._forward_hooks, hook)

    def register_op_hook(self, callback, monitor_all=False):
        """Call ``callback(node_name, op_name, array)`` for every operator output of
        this block and its descendants while they run hybridized (MXNet gives
        nothing for blocks that run eagerly). Names are bytes, as MXNet passes
        them (``b'dense0_fwd_output'``, ``b'FullyConnected'``); ``array`` is the
        NDArray. ``monitor_all=True`` reports every operator's inputs too
        (``b'dense0_fwd_weight'``).

        >>> import d2lmini as mx
        >>> from d2lmini.gluon import nn
        >>> net = nn.Dense(2, in_units=3, prefix='dense0_')
        >>> net.initialize()
        >>> net.hybridize()
        >>> seen = []
        >>> net.register_op_hook(lambda name, op, arr: seen.append((name, op, arr.shape)))
        >>> _ = net(mx.nd.ones((1, 3)))
        >>> seen
        [(b'dense0_fwd_output', b'FullyConnected', (1, 2))]
        """
        for child in self._children.values():
            child.register_op_hook(callback, monitor_all)
        self._op_hook = (callback, monitor_all)

    def _add_hook(self, hooks, hook):
        self._hook_id += 1
        hooks[self._hook_id] = hook
        return HookHandle(hooks, self._hook_id)

    def apply(self, fn):
        """Call ``fn(block)`` on every descendant, then on this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialise all parameters of this block and its descendants."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Hybridize every HybridBlock below this block."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast every parameter (and the block's computation) to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for p in self.params.values():
            p.cast(dtype)

    def __call__(self, *args):
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args):
        """The computation; subclasses override it."""
        raise NotImplementedError(f'{type(self).__name__} must define forward()')

    def summary(self, *inputs):
        """Print each layer's output shape and parameter count for ``inputs``."""
        rows, seen, hooks = [], set(), []

        def count(block):
            total = trainable = shared = 0
            for p in block.params.values():
                n = int(np.prod(p.shape)) if p.shape else 0
                total += n
                trainable += n if p.grad_req != 'null' else 0
                if id(p) in seen:
                    shared += n
                seen.add(id(p))
            return total, trainable, shared

        def shape_text(data):
            # MXNet's form: one shape as is, several without the enclosing brackets
            def shapes(x):
                if isinstance(x, (list, tuple)):
                    return [shapes(i) for i in x]
                return x.shape if isinstance(x, nd.NDArray) else x
            found = shapes(data)
            return str(found)[1:-1] if isinstance(found, list) else str(found)

        def hook(block, _, out):
            rows.append((f'{type(block).__name__}-{len(rows) + 1}', shape_text(out)) + count(block))

        def add_hook(block):
            # a hybridized block runs as one graph: its children's hooks would never
            # fire, so the table would be silently incomplete (MXNet refuses too)
            if isinstance(block, HybridBlock) and block._active:
                raise AssertionError(f'"{block.name}" must not be hybridized to print summary.')
            # containers only pass data on: their rows would repeat their last child's
            from .nn.sequential import Sequential, HybridSequential
            if not isinstance(block, (Sequential, HybridSequential)):
                hooks.append(block.register_forward_hook(hook))

        try:
            self.apply(add_hook)
            self(*inputs)
        finally:
            for h in hooks:
                h.detach()
        line = '-' * 80
        row = '{:>20}  {:>42} {:>15}'.format
        print(line)
        print(row('Layer (type)', 'Output Shape', 'Param #'))
        print('=' * 80)
        print(row('Input', shape_text(inputs), 0))
        for name, shape, n, _, _ in rows:
            print(row(name, shape, n))
        total = sum(r[2] for r in rows)
        trainable = sum(r[3] for r in rows)
        shared = sum(r[4] for r in rows)
        print('=' * 80)
        print('Parameters in forward computation graph, duplicate included')
        print(f'   Total params: {total}')
        print(f'   Trainable params: {trainable}')
        print(f'   Non-trainable params: {total - trainable}')
        print(f'Shared params in forward computation graph: {shared}')
        print(f'Unique parameters in model: {total - shared}')
        print(line)


def _brief(names, limit=5):
    names = list(names)
    shown = ', '.join(map(repr, names[:limit]))
    return f'[{shown}{", ..." if len(names) > limit else ""}]'


# ---------------------------------------------------------------------- HybridBlock
def _flatten_symbols(out):
    """The Symbols of what ``hybrid_forward`` returned (one, or a nested list/tuple
    of them) and the nesting, to give the outputs back in the same structure."""
    from .. import symbol
    if isinstance(out, symbol.Symbol):
        return [out], 0
    if isinstance(out, (list, tuple)):
        flat, fmt = [], []
        for o in out:
            f, sub = _flatten_symbols(o)
            flat.extend(f)
            fmt.append(sub)
        return flat, fmt
    raise MXNetError(f'hybrid_forward must return Symbols (or a list of them) when traced, '
                     f'got {type(out).__name__}')


def _flatten_inputs(args):
    """The arrays (or Symbols) of a hybridized call's arguments, which may be nested
    lists and may hold None, and their structure as MXNet writes it: 0 for an
    array, -1 for None, a list for a list."""
    from .. import symbol
    flat, fmt = [], []
    for a in args:
        if a is None:
            fmt.append(-1)
        elif isinstance(a, (nd.NDArray, symbol.Symbol)):
            flat.append(a)
            fmt.append(0)
        elif isinstance(a, (list, tuple)):
            f, sub = _flatten_inputs(a)
            flat.extend(f)
            fmt.append(sub)
        else:
            raise ValueError('When hybridized, the input of HybridBlock input must be '
                             f'(nested) list of Symbol or NDArray, but got {a} of type '
                             f'{type(a)}')
    return flat, fmt


def _regroup(flat, fmt):
    """Rebuild the nested structure ``fmt`` (see :func:`_flatten_inputs`) from the
    flat list ``flat``; returns ``(value, rest of flat)``."""
    if fmt == 0:
        return flat[0], flat[1:]
    if fmt == -1:
        return None, flat
    out = []
    for sub in fmt:
        value, flat = _regroup(flat, sub)
        out.append(value)
    return out, flat


def _formats_agree(stored, given):
    """Whether a call's argument structure fits the one the graph was traced with:
    the same, or the same but for trailing Nones (arguments left to their defaults,
    ``f(x)`` for ``f(x, None)``), as MXNet allows."""
    if len(stored) < len(given):
        stored, given = given, stored
    return stored[:len(given)] == given and all(f == -1 for f in stored[len(given):])


def _gather_type_ctx_info(args):
    """What (nested lists of) arguments hold: ``(has a Symbol, has an NDArray, the
    set of the NDArrays' contexts, the first NDArray's context)``."""
    from .. import symbol
    if isinstance(args, nd.NDArray):
        return False, True, {args.context}, args.context
    if isinstance(args, symbol.Symbol):
        return True, False, set(), None
    has_symbol = has_ndarray = False
    contexts, first = set(), None
    if isinstance(args, (list, tuple)):
        for a in args:
            a_sym, a_nd, a_contexts, a_first = _gather_type_ctx_info(a)
            has_symbol, has_ndarray = has_symbol or a_sym, has_ndarray or a_nd
            contexts |= a_contexts
            first = a_first if first is None else first
    return has_symbol, has_ndarray, contexts, first


def _count_leaves(fmt):
    if fmt == 0:
        return 1
    if fmt == -1:
        return 0
    return sum(_count_leaves(f) for f in fmt)


class HybridBlock(Block):
    """A Block written as ``hybrid_forward(F, x, *args, **params)``.

    ``params`` are this block's registered parameters, passed by attribute name. ``F``
    is ``mx.nd`` when the block runs eagerly. After ``hybridize()``, the first call
    traces ``hybrid_forward`` with ``F = mx.sym`` (inputs named ``data``, or
    ``data0``, ``data1``, ... for several) and compiles the graph into a
    :class:`~d2lmini.symbol.cached_op.CachedOp`; later calls run the compiled plan.

    Parameters whose shapes depend on the data (``in_units=0``) get them on the first
    call, hybridized or not, from shape inference over the traced graph: the
    registry says, for each operator with weights, the weights' shapes for the
    data's.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> net = nn.HybridSequential()
    >>> net.add(nn.Dense(4, activation='relu'), nn.Dense(2))
    >>> net.initialize()
    >>> net.hybridize()
    >>> net(mx.nd.ones((3, 5))).shape, net[0].weight.shape
    ((3, 2), (4, 5))
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = []
        self._cached_graph = None
        self._cached_op = None

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise ValueError(
                f'Children of HybridBlock must also be HybridBlock, but {block} has type '
                f'{type(block)}. If you are using Sequential, please try HybridSequential '
                'instead.')
        super().register_child(block, name)
        self._clear_cached_op()

    def optimize_for(self, x, *args, backend=None, clear=False, static_alloc=False,
                     static_shape=False, inline_limit=2, forward_bulk_size=None,
                     backward_bulk_size=None, **kwargs):
        """Hybridize and build the compiled graph for inputs like ``x`` now, without
        running it, as MXNet's ``optimize_for`` does. d2lmini has no partitioning
        backends (MXNet's are C++ libraries such as oneDNN or TensorRT): ``backend``
        must be None, and the graph passes of ``hybridize`` do the optimising.

        >>> import d2lmini as mx
        >>> net = mx.gluon.nn.Dense(3, in_units=4)
        >>> net.initialize()
        >>> net.optimize_for(mx.nd.ones((2, 4)))
        >>> net(mx.nd.ones((2, 4))).shape
        (2, 3)
        """
        if backend is not None:
            raise MXNetError(f'optimize_for: no backend named {backend!r}; d2lmini has no '
                             'graph partitioning backends (use backend=None)')
        self.hybridize(True, static_alloc=static_alloc, static_shape=static_shape)
        self._get_graph(x, *args)

    def hybridize(self, active=True, **kwargs):
        """Run this block (and its children) as a compiled graph from the next call.

        ``static_alloc=True``: the compiled plan allocates its intermediate buffers once
        and reuses them; ``static_shape=True``: the inputs keep their shapes, so the
        plan is reused without checking them; ``passes={'fusion': False, ...}``
        switches compiler passes off (see :mod:`d2lmini.symbol.passes`).
        ``active=False`` goes back to running ``hybrid_forward`` eagerly."""
        self._active = active
        self._flags = list(kwargs.items())
        self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn(f'"{self.name}" is being hybridized while still having forward '
                          f'hook/pre-hook. If "{self.name}" is a child of HybridBlock, the '
                          'hooks will not take effect.', stacklevel=2)
        super().hybridize(active, **kwargs)

    def _clear_cached_op(self):
        self._cached_graph = None
        self._cached_op = None

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def forward(self, x, *args):
        """Run the block on NDArrays: through the compiled graph when hybridized,
        else ``hybrid_forward`` with ``F = nd``; on the first call, finish the deferred
        initialisation of parameters from the data's shapes. With Symbols, trace.

        As in MXNet, the arguments may be nested lists and may hold None or other
        values, but they must hold at least one NDArray or Symbol, and not both; a
        hybridized block also needs all its arrays on one context.
        """
        if isinstance(x, nd.NDArray) and (not args or all(isinstance(a, nd.NDArray)
                                                          for a in args)):
            ctx = x._ctx            # the usual call, arrays only: checked quickly
            if self._active and args and any(a._ctx != ctx for a in args):
                self._check_one_context({ctx} | {a._ctx for a in args})
        else:
            has_symbol, has_ndarray, contexts, ctx = _gather_type_ctx_info([x] + list(args))
            if has_symbol and has_ndarray:
                raise ValueError(f'{self.name}: a HybridBlock does not accept a mix of '
                                 'NDArrays and Symbols as input. Please check the type of '
                                 'the args.')
            if not has_symbol and not has_ndarray:
                raise ValueError(f'{self.name}: a HybridBlock needs at least one NDArray or '
                                 'one Symbol in its input. Please check the type of the args.')
            if has_symbol:
                return self._forward_symbolic(x, *args)
            if self._active:
                self._check_one_context(contexts)
        # arrays made inside (F.zeros) go to the inputs' context, as in MXNet; entering
        # it costs a few microseconds a block, so only where it is not the default yet
        current = current_context()
        if ctx is current or ctx == current:
            return self._forward_arrays(ctx, x, args)
        with ctx:
            return self._forward_arrays(ctx, x, args)

    def _check_one_context(self, contexts):
        if len(contexts) > 1:
            raise ValueError(f'{self.name}: a hybridized HybridBlock takes inputs on one '
                             f'context only, but they are on {sorted(map(str, contexts))}.')

    def _forward_arrays(self, ctx, x, args):
        if self._active and not _EAGER.active:
            return self._call_cached_op(x, *args)
        try:
            arrays = self._param_arrays(ctx)
        except DeferredInitializationError:   # the first call: shapes come from x
            self._deferred_infer_shape(x, *args)
            arrays = self._param_arrays(ctx)
        return self.hybrid_forward(nd, x, *args, **arrays)

    def _param_arrays(self, ctx):
        return {name: param.data(ctx) for name, param in self._reg_params.items()}

    # ------------------------------------------------------------ tracing
    def _get_graph(self, *args):
        """``(input names, graph, single output)``, traced once with symbols.
        The arguments may be nested lists of arrays with None among them, as in
        MXNet: each array becomes a variable, None stays None."""
        in_fmt = _flatten_inputs(args)[1]
        if self._cached_graph is None:
            from .. import symbol
            n = _count_leaves(in_fmt)
            names = ['data'] if n == 1 else [f'data{i}' for i in range(n)]
            inputs = _regroup([symbol.var(n) for n in names], in_fmt)[0]
            try:
                out = self._forward_symbolic(*inputs)
                outs, out_fmt = _flatten_symbols(out)
            except (MXNetError, AttributeError, TypeError, ValueError, IndexError) as e:
                raise _tracing_error(
                    e, f'{self.name} ({type(self).__name__}) cannot be hybridized: running '
                    f'hybrid_forward with symbols (F = mx.sym) failed: {e}') from e
            self._in_format, self._out_format = in_fmt, out_fmt
            self._cached_graph = (names, symbol.Group(outs), out_fmt == 0)
        elif not _formats_agree(self._in_format, in_fmt):
            raise ValueError('The argument structure of HybridBlock does not match the cached '
                             f'version. Stored format = {self._in_format}, input format = '
                             f'{in_fmt}')
        return self._cached_graph

    def infer_shape(self, *args):
        """Give the parameters of this block and its children the shapes that inputs
        like ``args`` imply, without running the block (their data are still created
        at the first forward pass, as in MXNet).

        >>> import d2lmini as mx
        >>> from d2lmini.gluon import nn
        >>> net = nn.Dense(3)
        >>> net.infer_shape(mx.nd.ones((2, 5)))
        >>> net.weight.shape
        (3, 5)
        """
        self._infer_attrs('infer_shape', 'shape', *args)

    def infer_type(self, *args):
        """Give the parameters the dtypes that inputs like ``args`` imply (casting any
        data they already have)."""
        self._infer_attrs('infer_type', 'dtype', *args)

    def _infer_attrs(self, infer_fn, attr, *args):
        names, graph, _ = self._get_graph(*args)
        arrays = _flatten_inputs(args)[0]
        arg_attrs, _, aux_attrs = getattr(graph, infer_fn)(
            **{n: getattr(a, attr) for n, a in zip(names, arrays)})
        if arg_attrs is None:
            raise ValueError(f'{self.name}: cannot infer the {attr} of its parameters from '
                             f'inputs of {attr}s {[getattr(a, attr) for a in arrays]}')
        found = dict(zip(graph.list_arguments(), arg_attrs))
        found.update(zip(graph.list_auxiliary_states(), aux_attrs))
        for param in self.collect_params().values():
            if found.get(param.name) is not None:
                setattr(param, attr, found[param.name])

    def _deferred_infer_shape(self, *args):
        """Give every parameter of unknown shape the shape that inference over the
        traced graph finds for these inputs, and finish its initialisation. Where the
        graph cannot tell a shape (an operator fed by a reshaped weight, as the
        ``RNN`` layers' flat parameter vector), the block runs once eagerly instead,
        each child finishing its own parameters from the arrays it sees."""
        from ..symbol.graph import infer_shapes, topological_order
        from .parameter import shape_is_known
        names, graph, _ = self._get_graph(*args)
        known = {n: a.shape for n, a in zip(names, _flatten_inputs(args)[0])}
        try:
            shapes = infer_shapes(graph._entries, known)
        except MXNetError as e:
            raise MXNetError(f'{self.name} ({type(self).__name__}): shape inference for '
                             f'inputs of shapes {list(known.values())} failed: {e}') from e
        params = {p.name: p for p in self.collect_params().values()}
        pending = []
        for node in topological_order(graph._entries):
            p = params.get(node.name) if node.op is None else None
            if p is None or p._data is not None or not p._deferred_init:
                continue
            shape = shapes.get((id(node), 0))
            if shape is None or not shape_is_known(shape):
                if self._eager_shape_pass(args):
                    return
                raise DeferredInitializationError(
                    f"cannot infer the shape of Parameter '{p.name}' (shape {p.shape}) in "
                    f'{self.name} from inputs of shapes {list(known.values())}: no operator '
                    'that reads it tells its shape. Give it a full shape (in_units, '
                    'in_channels, ...)')
            p.shape = shape
            pending.append(p)
        # initialise in the order the parameters were declared (the imperative path's
        # order), so that a seeded network gets the same values either way
        pending = set(map(id, pending))
        for p in params.values():
            if id(p) in pending:
                p._finish_deferred_init()

    def _eager_shape_pass(self, args):
        """Run the block once on ``args`` without its compiled graph, in predict mode
        and without recording (no running statistics change, no random draws), so that
        every parameter is initialised as the imperative path would. False when that
        cannot help: the inputs are not all arrays, or this is already such a run."""
        flat = _flatten_inputs(args)[0]
        if _EAGER.active or not flat or not all(isinstance(a, nd.NDArray) for a in flat):
            return False
        from .. import autograd
        _EAGER.active = True
        try:
            with autograd.pause(train_mode=False):
                self.forward(*args)
        finally:
            _EAGER.active = False
        return True

    def _call_cached_op(self, *args):
        names, graph, single = self._get_graph(*args)
        flat = _flatten_inputs(args)[0]
        if self._op_hook is not None:
            try:
                out = self._run_with_op_hook(names, graph, flat)
            except DeferredInitializationError:
                self._deferred_infer_shape(*args)
                out = self._run_with_op_hook(names, graph, flat)
        else:
            if self._cached_op is None:
                from ..symbol.cached_op import CachedOp
                params = {p.name: p for p in self.collect_params().values()}
                self._cached_op = CachedOp(graph, names, params, dict(self._flags), single)
            try:
                out = self._cached_op(flat)
            except DeferredInitializationError:
                self._deferred_infer_shape(*args)
                out = self._cached_op(flat)
        if single or self._out_format == [0] * len(self._out_format):
            return out
        return _regroup(list(out), self._out_format)[0]

    def _run_with_op_hook(self, names, graph, flat):
        """Run the traced graph one operator at a time (recorded by autograd as any
        eager call is), reporting each operator's outputs, and with ``monitor_all``
        its inputs, to the hook of :meth:`register_op_hook`."""
        from ..ndarray.ndarray import invoke
        from ..symbol.graph import topological_order
        callback, monitor_all = self._op_hook
        ctx = flat[0].context
        params = {p.name: p for p in self.collect_params().values()}
        values = {}
        for node in topological_order(graph._entries):
            if node.op is None:
                if node.name in names:
                    values[(id(node), 0)] = flat[names.index(node.name)]
                else:
                    values[(id(node), 0)] = params[node.name].data(ctx)
                continue
            inputs = [values[(id(n), i)] for n, i in node.inputs]
            op_name = node.op.name.encode()
            if monitor_all:
                in_names = (node.op.used_inputs(node.attrs) if not node.op.variadic
                            else [f'input{i}' for i in range(len(inputs))])
                for in_name, x in zip(in_names, inputs):
                    callback(f'{node.name}_{in_name}'.encode(), op_name, x)
            out = invoke(node.op, tuple(inputs), node.attrs)
            outs = [out] if isinstance(out, nd.NDArray) else list(out)
            for i, (o, oname) in enumerate(zip(outs, node.output_names())):
                values[(id(node), i)] = o
                callback(oname.encode(), op_name, o)
        outs = [values[(id(n), i)] for n, i in graph._entries]
        return outs[0] if len(outs) == 1 and self._out_format == 0 else outs

    def _forward_symbolic(self, x, *args):
        """Called with Symbols: trace ``hybrid_forward`` with ``F = sym`` and the
        parameters as variables; the nodes get this block's prefix (``dense0_fwd``)."""
        from .. import symbol
        params = {k: v.var() for k, v in self._reg_params.items()}
        with self.name_scope():
            return self.hybrid_forward(symbol, x, *args, **params)

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write the graph to ``path-symbol.json`` and the parameters to
        ``path-%04d.params`` (keys ``arg:<name>`` and ``aux:<name>``), the files MXNet's
        ``SymbolBlock.imports`` and Module read. Returns the two file names.

        >>> import os, tempfile
        >>> from d2lmini import gluon
        >>> net = gluon.nn.Dense(2, in_units=3, prefix='dense0_'); net.initialize()
        >>> [os.path.basename(f) for f in net.export(os.path.join(tempfile.mkdtemp(), 'net'))]
        ['net-symbol.json', 'net-0000.params']
        """
        from .symbol_block import export_block
        return export_block(self, path, epoch, remove_amp_cast)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, written once for ``F = nd`` (and ``F = sym``)."""
        raise NotImplementedError(f'{type(self).__name__} must define hybrid_forward()')


__all__ = ['Block', 'HybridBlock', 'HookHandle']
