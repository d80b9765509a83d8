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
* ``partial_shape(attrs, in_shapes, out_shapes)``, for graphs, completes shapes
  that MXNet 1.x marks partly unknown (a 0 dimension) from either side of the
  operator: it returns the input and output shapes as far as they follow (an
  input's unknown batch size from a known output, say); None is a shape not known
  at all.
* ``num_visible_outputs`` may be a function of the attributes: some operators keep
  outputs for their backward (dropout's mask) that users see only on request.
* ``doc`` describes the operator for ``help(nd.X)`` when ``forward`` has no
  docstring of its own (a lambda).
* ``param_shapes(data_shape, **attrs)``, for operators with weights, returns a dict
  from input name to shape (``{'weight': (10, 784), 'bias': (10,)}``): Gluon's
  deferred initialisation asks it once the first batch shows the data's shape.
  An input that accepts several shapes gives a list of them, the one to infer first
  (prelu's gamma: one slope per channel, or one shared by all).
  Operators with a variable number of inputs key it by position instead
  (``{1: (3, 1, 4, 4)}``, bilinear UpSampling's kernel).

An operator without a ``backward`` must say why, because autograd cannot tell a
gradient that is zero from one that is missing:

* ``no_grad=True``: the gradient is zero or undefined (random draws, creation,
  ``BlockGrad``, ``argsort``, ``one_hot``); autograd sends nothing back.
* ``once_differentiable=True``: a gradient operator (``_backward_*``) that cannot be
  differentiated itself, so the operator it belongs to has first-order gradients
  only; a gradient that reaches it (through ``autograd.grad(..., create_graph=True)``)
  raises an error naming it. (With a ``backward``, the flag says that backward cannot
  be differentiated: its results, when recorded, raise in the same way.)

An operator with neither is treated as MXNet treats one without a gradient: a
gradient that reaches it raises an error, never a silent zero.

The eager front end (``nd.X``) and the symbolic one (``sym.X``) both read this table;
no operator knows which one called it.

>>> from d2lmini.ops import registry
>>> op = registry.get('exp')
>>> op.inputs, op.attr_names
(('data',), ())
"""
import ast
import inspect
import warnings

import numpy as np

from ..base import ArgumentError, IndexingError, MXNetError, shape_str

OPS = {}
_EMPTY = {}


_NAMESPACES = ('_contrib_', '_linalg_', '_image_')


def _without_namespace(name):
    for prefix in _NAMESPACES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


class Op:
    """One registered operator. Build it with :func:`register`, not directly."""

    __slots__ = ('name', 'forward', 'backward', 'inputs', 'variadic', 'attr_names',
                 'defaults', 'num_outputs', 'num_visible_outputs', '_infer_shape',
                 'param_shapes', 'doc', 'no_grad', 'once_differentiable', 'aux_inputs',
                 '_optional_inputs', 'attr_types', '_infer_type', 'random', 'train_mode',
                 'output_names', 'hint', 'param_dtypes', 'partial_shape', 'required',
                 'same_dtype')

    def __init__(self, name, forward, backward=None, inputs=('data',), num_outputs=1,
                 num_visible_outputs=None, infer_shape=None, param_shapes=None,
                 no_grad=False, once_differentiable=False, aux_inputs=(), optional_inputs=None,
                 attr_types=None, infer_type=None, random=False, train_mode=False,
                 output_names=None, doc=None, param_dtypes=None, partial_shape=None,
                 required=(), same_dtype=False):
        if backward is not None and no_grad:
            raise TypeError(f'operator {name}: no_grad says the gradient is zero, but the '
                            'operator has a backward')
        if no_grad and once_differentiable:
            raise TypeError(f'operator {name}: a gradient cannot be both zero (no_grad) and '
                            'first-order only (once_differentiable)')
        self.name = name
        self.forward = forward
        self.backward = backward
        self.no_grad = bool(no_grad)
        self.once_differentiable = bool(once_differentiable)
        self.num_outputs = num_outputs
        self.num_visible_outputs = num_visible_outputs or num_outputs
        self._infer_shape = infer_shape
        self.param_shapes = param_shapes
        # ``doc=`` documents a forward that cannot carry a docstring (a lambda)
        self.doc = inspect.cleandoc(doc) if doc else inspect.getdoc(forward) or ''
        # what a graph needs to know beyond the computation (see the graph section below)
        self.aux_inputs = tuple(aux_inputs)
        self._optional_inputs = optional_inputs
        self._infer_type = infer_type
        # ``param_dtypes(attrs, data dtype) -> {input name: dtype}``: inputs whose
        # dtype, when nobody gave it, comes from an attribute or a rule rather than
        # from the data (Embedding's float32 weight for integer indices, BatchNorm's
        # float32 statistics for float16 data); the data dtype may be None (unknown)
        self.param_dtypes = param_dtypes
        # attributes a call must give (FullyConnected's num_hidden): refused when the
        # call is made, by every front end, as MXNet 1.x refuses them
        self.required = tuple(required)
        # whether every input must have one dtype (an element-wise operator on two
        # arrays, FullyConnected, concat ...): type inference refuses a graph that
        # gives them different ones, as the operator refuses such arrays when it runs
        self.same_dtype = bool(same_dtype)
        self.random = bool(random)
        self.train_mode = bool(train_mode)
        self.output_names = output_names
        # ``partial_shape(attrs, in_shapes, out_shapes) -> (in_shapes, out_shapes)``
        # completes shapes with unknown (0) dimensions from either side of the
        # operator, as MXNet 1.x's inference does (see ``partial_shape`` above)
        self.partial_shape = partial_shape
        # automatic symbol names: a namespace's operators are named without its prefix
        # (``_contrib_Proposal`` makes ``proposal0``), as in MXNet
        self.hint = _without_namespace(name).lower()
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
        self.attr_types = {a: attr_type(d) for a, d in self.defaults.items()}
        for a, t in (attr_types or {}).items():
            if a not in self.defaults or t not in _PARSERS:
                raise TypeError(f'operator {name}: attr_types names {a!r} as {t!r}')
            self.attr_types[a] = t

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
            raise ArgumentError(f'operator {self.name} got unknown argument(s) '
                                f'{", ".join(unknown)}; it takes '
                                f'{", ".join(self.inputs + self.attr_names)}')

    def infer_shape(self, in_shapes, **attrs):
        """Output shapes for inputs of ``in_shapes``, without real data."""
        if self._infer_shape is not None:
            return self._infer_shape(in_shapes, **self.full_attrs(attrs))
        zeros = [np.zeros(s, np.float32) if s is not None else None for s in in_shapes]
        with np.errstate(all='ignore'):   # zeros are not data: 1/0 here means nothing
            out = self.forward(np, *zeros, **attrs)
        outs = out if self.num_outputs != 1 else (out,)
        return [tuple(o.shape) for o in outs]

    # ------------------------------------------------------------ calling convention
    def bind(self, args, kwargs):
        """MXNet's calling convention, for every front end (``nd``, ``sym``, ``F``):
        inputs first, then attributes, positionally or by name; ``name`` is taken out.
        Returns ``(inputs, attrs, name)``; a missing optional input (``bias``) is None
        and trailing ones are dropped.

        >>> get('FullyConnected').bind(('x', 'w'), {'num_hidden': 3, 'no_bias': True})
        (['x', 'w'], {'num_hidden': 3, 'no_bias': True}, None)
        """
        name = kwargs.pop('name', None) if 'name' in kwargs else None
        if self.variadic:
            attrs = dict(kwargs)
            if 'num_args' in self.defaults and 'num_args' not in attrs:
                attrs['num_args'] = len(args)
            return list(args), attrs, name
        n_in = len(self.inputs)
        inputs = list(args[:n_in])
        attrs = {}
        for i, value in enumerate(args[n_in:]):
            if i >= len(self.attr_names):
                raise TypeError(f'{self.name}() takes {n_in} input(s) and '
                                f'{len(self.attr_names)} attribute(s) but {len(args)} '
                                'positional arguments were given')
            attrs[self.attr_names[i]] = value
        inputs += [None] * (n_in - len(inputs))
        for key, value in kwargs.items():
            if key in self.defaults:
                if key in attrs:
                    raise TypeError(f'{self.name}() got attribute {key!r} twice')
                attrs[key] = value
                continue
            try:
                i = self.inputs.index(key)
            except ValueError:
                if not self.attr_names and not self.variadic:
                    # MXNet 1.x ignores keywords given to an operator without
                    # attributes (broadcast_maximum(a, b, axis=1)); so does d2lmini,
                    # but it says so
                    warnings.warn(f'operator {self.name} takes no attributes: {key}={value!r} '
                                  'is ignored', stacklevel=3)
                    continue
                self.check_attrs({key: value})
                raise
            if inputs[i] is not None:
                raise TypeError(f'{self.name}() got input {key!r} twice')
            inputs[i] = value
        missing = [key for key in self.required if key not in attrs]
        if missing:
            raise MXNetError(f'{self.name}: required attribute {missing[0]} is not given (the '
                             f'operator takes {", ".join(self.attr_names)})')
        while inputs and inputs[-1] is None:  # optional trailing inputs (bias)
            inputs.pop()
        return inputs, attrs, name

    def used_inputs(self, attrs):
        """The input names this call takes: ``bias`` only without ``no_bias``, and so on."""
        if self._optional_inputs is not None:
            return tuple(self._optional_inputs(self.full_attrs(attrs)))
        if 'bias' in self.inputs and self.full_attrs(attrs).get('no_bias'):
            return tuple(n for n in self.inputs if n != 'bias')
        return self.inputs

    def visible_outputs(self, attrs):
        """How many outputs a caller sees (the others are kept for backward). For an
        operator whose output count is an attribute (``split``), that attribute."""
        nv = self.num_visible_outputs
        if callable(nv):
            return nv(self.full_attrs(attrs))
        if self.num_outputs == 0:
            return self.full_attrs(attrs).get('num_outputs', 1)
        return nv

    def list_outputs(self, attrs, n=None):
        """Output names as MXNet writes them after the node's name (``output``,
        ``output0``, ``mean``)."""
        n = self.visible_outputs(attrs) if n is None else n
        if callable(self.output_names):   # names that depend on the node (_CachedOp)
            return list(self.output_names(self.full_attrs(attrs))[:n])
        if self.output_names is not None:
            return list(self.output_names[:n])
        return ['output'] if n == 1 else [f'output{i}' for i in range(n)]

    # ------------------------------------------------------------ graph inference
    def infer_shape_partial(self, in_shapes, attrs):
        """Shape inference both ways: ``(input shapes, output shapes)``, where an
        unknown input shape (None), such as a weight's, is filled in from the data's
        when the operator can tell it; output shapes are None until every input is
        known."""
        in_shapes = list(in_shapes)
        full = self.full_attrs(attrs)
        if self.param_shapes is not None and in_shapes and in_shapes[0] is not None \
                and any(s is None for s in in_shapes[1:]):
            want = self.param_shapes(tuple(in_shapes[0]), **full)
            # operators with a variable number of inputs name them by position
            names = self.used_inputs(attrs) if not self.variadic else range(len(in_shapes))
            for i, n in enumerate(names):
                if i < len(in_shapes) and in_shapes[i] is None and n in want:
                    shape = want[n]     # a list: the shapes accepted, the first inferred
                    in_shapes[i] = tuple(shape[0] if isinstance(shape, list) else shape)
        if any(s is None for s in in_shapes):
            return in_shapes, None
        return in_shapes, [tuple(o) for o in self.infer_shape(in_shapes, **attrs)]

    def infer_type(self, in_dtypes, attrs):
        """``(input dtypes, output dtypes)`` as numpy dtypes. Unknown inputs take the
        first known input's dtype (weights follow the data, unless the operator's
        ``param_dtypes`` names theirs), outputs follow the inputs unless the operator
        declares otherwise or has a ``dtype`` attribute."""
        if self.param_dtypes is not None and not self.variadic:
            want = self.param_dtypes(self.full_attrs(attrs), in_dtypes[0] if in_dtypes else None)
            names = self.used_inputs(attrs)
            in_dtypes = [np.dtype(want[names[i]]) if d is None and i < len(names)
                         and names[i] in want else d for i, d in enumerate(in_dtypes)]
        known = next((d for d in in_dtypes if d is not None), None)
        if self.same_dtype:
            given = {np.dtype(d) for d in in_dtypes if d is not None}
            if len(given) > 1:
                names = self.used_inputs(attrs) if not self.variadic else ()
                parts = [f'{names[i] if i < len(names) else i}: {np.dtype(d)}'
                         for i, d in enumerate(in_dtypes) if d is not None]
                raise MXNetError(f'operator {self.name}: inputs need one dtype, got '
                                 f'{", ".join(parts)}')
        in_dtypes = [known if d is None else d for d in in_dtypes]
        n_out = self.num_outputs if self.num_outputs > 0 else None
        if self._infer_type is not None:
            return in_dtypes, [np.dtype(d) for d in self._infer_type(in_dtypes,
                                                                     **self.full_attrs(attrs))]
        dt = self.full_attrs(attrs).get('dtype')
        if dt is not None and dt != 'None':
            from ..base import as_dtype
            known = as_dtype(dt)
        if known is None:
            known = np.dtype(np.float32)
        return in_dtypes, [np.dtype(known)] * (n_out or 1)

    # ------------------------------------------------------------ attribute strings
    def parse_attrs(self, strings):
        """Typed attributes from the strings of a JSON graph (``"(3, 3)"`` -> (3, 3))."""
        attrs = {}
        for key, text in strings.items():
            if key not in self.defaults:
                raise MXNetError(f'operator {self.name} has no attribute {key!r} (value '
                                 f'{text!r}); it takes {", ".join(self.attr_names)}')
            attrs[key] = parse_attr(self.attr_types[key], text) if isinstance(text, str) else text
        return attrs

    def error(self, exc, shapes, attrs):
        """A clear error for a failure inside ``forward``: names the operator, the
        input shapes and the attributes; the original error is chained."""
        parts = []
        if shapes:
            parts.append('input shapes ' + ' '.join(shape_str(s) for s in shapes))
        if attrs:
            parts.append(', '.join(f'{k}={v!r}' for k, v in attrs.items()))
        detail = f' ({"; ".join(parts)})' if parts else ''
        # an index out of range stays an IndexError too, as MXNet raises it
        kind = IndexingError if isinstance(exc, IndexError) else MXNetError
        return kind(f'operator {self.name}: {exc}{detail}')


def register(name, forward=None, *, backward=None, inputs=('data',), aliases=(),
             num_outputs=1, num_visible_outputs=None, infer_shape=None, param_shapes=None,
             no_grad=False, once_differentiable=False, **graph):
    """Add an operator to the registry; usable as a decorator on ``forward``.

    Without a ``backward``, pass ``no_grad=True`` (the gradient is zero) or
    ``once_differentiable=True`` (a gradient operator with no gradient of its own).

    >>> @register('_demo_double', backward=lambda F, dy, x, y: [2 * dy])
    ... def _demo_double(xp, data):
    ...     return data * 2
    >>> OPS.pop('_demo_double').name
    '_demo_double'
    """
    if forward is None:
        return lambda f: register(name, f, backward=backward, inputs=inputs, aliases=aliases,
                                  num_outputs=num_outputs, num_visible_outputs=num_visible_outputs,
                                  infer_shape=infer_shape, param_shapes=param_shapes,
                                  no_grad=no_grad, once_differentiable=once_differentiable,
                                  **graph)
    op = Op(name, forward, backward, inputs, num_outputs, num_visible_outputs, infer_shape,
            param_shapes, no_grad=no_grad, once_differentiable=once_differentiable, **graph)
    for n in (name,) + tuple(aliases):
        if n in OPS:
            raise ValueError(f'operator {n} is registered twice')
        OPS[n] = op
    return forward


def front_end_doc(name, op, extra='out=None', returns='NDArray'):
    """The docstring of a generated front-end function (``nd.X``, ``sym.X``): the
    signature, the operator's own description, then its inputs and attributes.

    >>> print(front_end_doc('exp', get('exp')).splitlines()[0])
    exp(data, out=None)
    """
    sig = ', '.join(op.inputs + tuple(f'{a}={op.defaults[a]!r}' for a in op.attr_names))
    head = f'{name}({sig + ", " if sig else ""}{extra})' if not op.variadic else \
        f'{name}(*data, {", ".join(f"{a}={op.defaults[a]!r}" for a in op.attr_names)}' \
        f'{", " if op.attr_names else ""}{extra})'
    lines = [head, '', op.doc or f'The {name} operator.', '', 'Parameters', '----------']
    if op.variadic:
        lines += ['*data : NDArray', '    the input arrays']
    for i in op.inputs:
        lines += [f'{i} : NDArray', f'    input {i!r}']
    for a in op.attr_names:
        lines += [f'{a} : optional, default {op.defaults[a]!r}', f'    attribute {a!r}']
    lines += ['', 'Returns', '-------', returns]
    return '\n'.join(lines)


def zero_gradient(F, dy, x, y, **attrs):
    """The backward of a piecewise-constant operator (``floor``, ``sign``, ``argmax``):
    small changes of the input do not change the output, so its gradient is zero.
    The output gradient ``dy`` is never read (autograd then accepts one of any
    shape, as MXNet does).

    >>> import d2lmini as mx
    >>> x = mx.nd.array([1.5, -0.5])
    >>> x.attach_grad()
    >>> with mx.autograd.record():
    ...     y = mx.nd.floor(x)
    >>> y.backward()
    >>> x.grad
    <BLANKLINE>
    [0. 0.]
    <NDArray 2 @cpu(0)>
    """
    return [F.zeros_like(a) for a in x]


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


# ---------------------------------------------------------------------- typed attributes
# A graph file stores every attribute as a string, as MXNet writes it (``str`` of the
# Python value: "(3, 3)", "True", "0.5", "relu"). Each attribute has a type, taken
# from its default unless the operator says otherwise, so the string parses back to
# the value the operator expects.
def _parse_bool(text):
    low = text.strip().lower()
    if low in ('true', '1'):
        return True
    if low in ('false', '0'):
        return False
    raise ValueError(f'not a boolean: {text!r}')


def _parse_shape(text):
    text = text.strip()
    if text in ('None', ''):
        return None
    value = ast.literal_eval(text)
    if isinstance(value, int):
        return (value,)
    if not isinstance(value, (tuple, list)):
        raise ValueError(f'not a shape: {text!r}')
    return tuple(None if v is None else int(v) for v in value)


def _parse_any(text):
    """A literal when the text is one (numbers, tuples, None, booleans), else the text."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        low = text.strip().lower()
        return {'true': True, 'false': False, 'none': None}.get(low, text)


def _none_or(parse):
    return lambda text: None if text.strip() == 'None' else parse(text)


_PARSERS = {
    'bool': _parse_bool,
    'int': _none_or(lambda t: int(float(t)) if t.strip().lstrip('-').replace('.', '', 1).isdigit()
                    else int(t)),
    # an integral literal stays an int, so that a graph read from JSON writes "2"
    # back as it was written, as MXNet (which keeps the strings) does
    'float': _none_or(lambda t: int(t) if t.strip().lstrip('+-').isdigit() else float(t)),
    'shape': _parse_shape,
    'str': lambda t: t,
    'any': _parse_any,
}


def attr_type(default):
    """The type of an attribute, from its default value."""
    if isinstance(default, bool):
        return 'bool'
    if isinstance(default, int):
        return 'int'
    if isinstance(default, float):
        return 'float'
    if isinstance(default, tuple):
        return 'shape'
    if isinstance(default, str):
        return 'str'
    return 'any'


def parse_attr(kind, text):
    """Parse the string form of an attribute of type ``kind``.

    >>> parse_attr('shape', '(3, 3)'), parse_attr('bool', 'True'), parse_attr('any', '0.5')
    ((3, 3), True, 0.5)
    """
    try:
        return _PARSERS[kind](text)
    except (ValueError, SyntaxError, TypeError) as e:
        raise MXNetError(f'cannot read attribute value {text!r} as {kind}: {e}') from None


def format_attr(value):
    """The string MXNet writes for an attribute value (``str`` of the Python value;
    a dtype by its name).

    >>> format_attr((3, 3)), format_attr(True), format_attr(np.float16)
    ('(3, 3)', 'True', 'float16')
    """
    if isinstance(value, type) and issubclass(value, np.generic) or isinstance(value, np.dtype):
        return np.dtype(value).name
    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, np.generic):
        value = value.item()
    if not _is_literal(value):
        raise MXNetError(f'attribute value {value!r} cannot be written into a graph file; '
                         'only numbers, strings, booleans, None and tuples of them can')
    return str(value)


def _is_literal(value):
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))
