"""Blocks: the building pieces of networks.

A :class:`Block` owns parameters and child blocks and defines ``forward``. Names come
from where a block is created: inside ``with parent.name_scope():`` a ``Dense`` is
``<parent prefix>dense0_``, outside any scope it is ``dense0_`` (a global counter).

A :class:`HybridBlock` writes its computation once, as ``hybrid_forward(F, x,
**params)``, where ``F`` is the ``nd`` namespace when run eagerly (the symbolic
namespace when hybridized). Parameters whose shapes depend on the input are created
on the first forward pass (deferred initialisation): each operator that takes a
weight tells, through the registry's ``param_shapes``, what shape it needs for the
data it is given.
"""
import re
import threading
import warnings
from collections import OrderedDict

import numpy as np

from .. import name as _name
from .. import ndarray as nd
from ..ops import OPS
from .parameter import (DeferredInitializationError, Parameter, ParameterDict, _load_into,
                        _indent)


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
        self._empty_prefix = prefix == ''
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith('_') else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()
        self._hook_id = 0

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
        prefixes."""
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
        """Load parameters written by ``save_parameters`` (here or in MXNet)."""
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
        missing = [k for k in params if k not in loaded]
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
            # containers only pass data on: their rows would repeat their last child's
            from .nn.sequential import Sequential, HybridSequential
            if not isinstance(block, (Sequential, HybridSequential)):
                hooks.append(block.register_forward_hook(hook))

        self.apply(add_hook)
        try:
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
class _PendingParam:
    """Stands in for a parameter whose shape is not known yet during the first forward."""

    def __init__(self, param, ctx):
        self.param, self.ctx = param, ctx

    def resolve(self, shape=None):
        p = self.param
        if shape is not None:
            p.shape = shape
        p._finish_deferred_init()
        return p.data(self.ctx)

    def _no_shape(self, *args, **kwargs):
        raise DeferredInitializationError(
            f"cannot infer the shape of Parameter '{self.param.name}' from how it is used: "
            'only operators with weights (FullyConnected, Convolution, BatchNorm, ...) can '
            'infer it. Give the parameter a full shape.')

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        if name == 'shape':
            return self.param.shape
        return self._no_shape


for _op in ('add', 'sub', 'mul', 'truediv', 'pow', 'matmul', 'neg', 'radd', 'rsub', 'rmul',
            'rtruediv'):
    setattr(_PendingParam, f'__{_op}__', _PendingParam._no_shape)


class _DeferredInitF:
    """The ``F`` given to ``hybrid_forward`` on the first call with unknown shapes: the
    ``nd`` namespace, except that an operator receiving a pending parameter first asks
    the registry for that parameter's shape, initialises it, then runs."""

    def __init__(self, ctx):
        self._ctx = ctx

    def __getattr__(self, name):
        fn = getattr(nd, name)
        op = OPS.get(name)
        if not callable(fn) or op is None:
            return fn

        def call(*args, **kwargs):
            pending = [a for a in list(args) + list(kwargs.values()) if isinstance(a, _PendingParam)]
            if pending:
                args, kwargs = _resolve_pending(op, args, kwargs)
            return fn(*args, **kwargs)
        return call


def _resolve_pending(op, args, kwargs):
    inputs = dict(zip(op.inputs, args[:len(op.inputs)]))
    inputs.update({k: v for k, v in kwargs.items() if k in op.inputs})
    attrs = dict(zip(op.attr_names, args[len(op.inputs):]))
    attrs.update({k: v for k, v in kwargs.items() if k in op.defaults})
    shapes = {}
    if any(isinstance(v, _PendingParam) and v.param.shape is None
           or isinstance(v, _PendingParam) and not all(d > 0 for d in v.param.shape)
           for v in inputs.values()):
        data = inputs.get(op.inputs[0])
        if op.param_shapes is None or not isinstance(data, nd.NDArray):
            raise DeferredInitializationError(
                f'operator {op.name} cannot infer the shapes of its parameters; give them '
                'full shapes (in_units, in_channels, ...)')
        shapes = op.param_shapes(data.shape, **attrs)

    def fix(key, v):
        return v.resolve(shapes.get(key)) if isinstance(v, _PendingParam) else v
    args = tuple(fix(op.inputs[i] if i < len(op.inputs) else None, a) for i, a in enumerate(args))
    kwargs = {k: fix(k, v) for k, v in kwargs.items()}
    return args, kwargs


class HybridBlock(Block):
    """A Block written as ``hybrid_forward(F, x, *args, **params)``.

    ``params`` are this block's registered parameters, passed by attribute name. ``F``
    is ``mx.nd`` when the block runs eagerly; ``hybridize()`` marks the block for
    graph execution.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._active = False
        self._flags = []

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise ValueError(
                f'Children of HybridBlock must also be HybridBlock, but {block} has type '
                f'{type(block)}. If you are using Sequential, please try HybridSequential '
                'instead.')
        super().register_child(block, name)

    def hybridize(self, active=True, **kwargs):
        """Mark this block (and its children) to run as a graph."""
        self._active = active
        self._flags = list(kwargs.items())
        super().hybridize(active, **kwargs)

    def forward(self, x, *args):
        """Run ``hybrid_forward`` with ``F = nd`` and this block's parameters on ``x``'s
        context, finishing deferred initialisation on the first call."""
        if not isinstance(x, nd.NDArray):
            return self._forward_symbolic(x, *args)
        ctx = x.context
        try:
            params = {k: v.data(ctx) for k, v in self._reg_params.items()}
        except DeferredInitializationError:
            return self._deferred_forward(ctx, x, *args)
        return self.hybrid_forward(nd, x, *args, **params)

    def _deferred_forward(self, ctx, x, *args):
        params = {}
        for k, p in self._reg_params.items():
            try:
                params[k] = p.data(ctx)
            except DeferredInitializationError:
                if p.shape is not None and all(d > 0 for d in p.shape):
                    p._finish_deferred_init()
                    params[k] = p.data(ctx)
                else:
                    params[k] = _PendingParam(p, ctx)
        return self.hybrid_forward(_DeferredInitF(ctx), x, *args, **params)

    def _forward_symbolic(self, x, *args):
        raise TypeError(f'{type(self).__name__} expects NDArray input, got {type(x).__name__}')

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, written once for ``F = nd`` (and ``F = sym``)."""
        raise NotImplementedError(f'{type(self).__name__} must define hybrid_forward()')


__all__ = ['Block', 'HybridBlock', 'HookHandle']
