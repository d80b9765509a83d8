"""The operator registry: every operator is defined exactly once, here.

An operator is a name plus three functions:

* ``forward(xp, *inputs, **attrs)`` computes outputs from raw arrays. ``xp`` is the
  array module of the inputs' context (numpy or cupy), so one definition serves both.
* ``backward(F, dy, x, y, **attrs)`` returns the gradients of the inputs. It gets
  NDArrays and is written with ``F`` (the ``nd`` namespace), so when autograd runs it
  while recording, the gradient computation is itself recorded and can be
  differentiated again (higher-order gradients come for free). ``dy`` and ``y`` are
  the output gradient and output, or tuples of them for multi-output operators; ``x``
  is the tuple of inputs.
* ``infer_shape(in_shapes, **attrs)`` says the output shapes, for graphs built
  before any data exists. When an operator gives none, the shape is found by running
  ``forward`` on zeros.
* ``num_visible_outputs`` may be a function of the attributes: some operators keep
  outputs for their backward (dropout's mask) that users see only on request.
* ``param_shapes(data_shape, **attrs)``, for operators with weights, returns a dict
  from input name to shape (``{'weight': (10, 784), 'bias': (10,)}``): Gluon's
  deferred initialisation asks it once the first batch shows the data's shape.

The eager front end (``nd.X``) and the symbolic one (``sym.X``) both read this table;
no operator knows which one called it.

>>> from d2lmini.ops import registry
>>> op = registry.get('exp')
>>> op.inputs, op.attr_names
(('data',), ())
"""
import inspect

import numpy as np

from ..base import MXNetError, shape_str

OPS = {}
_EMPTY = {}


class Op:
    """One registered operator. Build it with :func:`register`, not directly."""

    __slots__ = ('name', 'forward', 'backward', 'inputs', 'variadic', 'attr_names',
                 'defaults', 'num_outputs', 'num_visible_outputs', '_infer_shape',
                 'param_shapes', 'doc')

    def __init__(self, name, forward, backward=None, inputs=('data',), num_outputs=1,
                 num_visible_outputs=None, infer_shape=None, param_shapes=None):
        self.name = name
        self.forward = forward
        self.backward = backward
        self.num_outputs = num_outputs
        self.num_visible_outputs = num_visible_outputs or num_outputs
        self._infer_shape = infer_shape
        self.param_shapes = param_shapes
        self.doc = inspect.getdoc(forward) or ''
        params = list(inspect.signature(forward).parameters.values())[1:]  # drop xp
        self.variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
        if self.variadic:
            inputs = ()
        n_in = len(inputs)
        attrs = [p for p in params[n_in:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        self.inputs = tuple(inputs)
        self.attr_names = tuple(p.name for p in attrs)
        self.defaults = {p.name: p.default for p in attrs}
        for p in attrs:
            if p.default is p.empty:
                raise TypeError(f'operator {name}: attribute {p.name!r} needs a default')

    def __repr__(self):
        return f'<Op {self.name}>'

    @property
    def differentiable(self):
        return self.backward is not None

    def full_attrs(self, attrs):
        """The attributes with defaults filled in."""
        return {**self.defaults, **attrs} if attrs else self.defaults

    def check_attrs(self, attrs):
        unknown = [k for k in attrs if k not in self.defaults]
        if unknown:
            raise TypeError(f'operator {self.name} got unknown argument(s) {", ".join(unknown)}; '
                            f'it takes {", ".join(self.inputs + self.attr_names)}')

    def infer_shape(self, in_shapes, **attrs):
        """Output shapes for inputs of ``in_shapes``, without real data."""
        if self._infer_shape is not None:
            return self._infer_shape(in_shapes, **self.full_attrs(attrs))
        zeros = [np.zeros(s, np.float32) if s is not None else None for s in in_shapes]
        out = self.forward(np, *zeros, **attrs)
        outs = out if self.num_outputs != 1 else (out,)
        return [tuple(o.shape) for o in outs]

    def error(self, exc, shapes, attrs):
        """A clear error for a failure inside ``forward``: names the operator, the
        input shapes and the attributes; the original error is chained."""
        parts = []
        if shapes:
            parts.append('input shapes ' + ' '.join(shape_str(s) for s in shapes))
        if attrs:
            parts.append(', '.join(f'{k}={v!r}' for k, v in attrs.items()))
        detail = f' ({"; ".join(parts)})' if parts else ''
        return MXNetError(f'operator {self.name}: {exc}{detail}')


def register(name, forward=None, *, backward=None, inputs=('data',), aliases=(),
             num_outputs=1, num_visible_outputs=None, infer_shape=None, param_shapes=None):
    """Add an operator to the registry; usable as a decorator on ``forward``.

    >>> @register('_demo_double', backward=lambda F, dy, x, y: [2 * dy])
    ... def _demo_double(xp, data):
    ...     return data * 2
    >>> OPS.pop('_demo_double').name
    '_demo_double'
    """
    if forward is None:
        return lambda f: register(name, f, backward=backward, inputs=inputs, aliases=aliases,
                                  num_outputs=num_outputs, num_visible_outputs=num_visible_outputs,
                                  infer_shape=infer_shape, param_shapes=param_shapes)
    op = Op(name, forward, backward, inputs, num_outputs, num_visible_outputs, infer_shape,
            param_shapes)
    for n in (name,) + tuple(aliases):
        if n in OPS:
            raise ValueError(f'operator {n} is registered twice')
        OPS[n] = op
    return forward


def needs_grad(x):
    """Whether input NDArray ``x`` of a backward call is in the graph. A backward may
    return ``None`` for inputs that are not (constants), skipping work such as one of
    the two matrix products of ``dot``'s gradient."""
    return x._node is not None


def get(name):
    """The operator called ``name``; a clear error when there is none."""
    try:
        return OPS[name]
    except KeyError:
        raise MXNetError(f'no operator named {name!r}') from None
