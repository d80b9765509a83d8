"""Initializers (``mx.init``): the rules that give parameters their first values.

An initializer is called as ``init(desc, arr)``: ``desc`` is an :class:`InitDesc`,
the parameter's name (a ``str``) with extra attributes, and ``arr`` is the NDArray
to fill in place. What it writes depends on the name, as in MXNet 1.x:

* if ``desc.attrs['__init__']`` names an initializer (Gluon always sets it), that
  initializer's ``_init_weight`` fills the array, whatever the name;
* otherwise the end of the name decides: ``..._weight`` gets ``_init_weight``
  (the random rule of this initializer), ``..._bias`` and ``..._beta`` zeros,
  ``..._gamma`` ones.

Random initializers draw through ``mx.nd.random``, so ``mx.random.seed`` makes
them repeat.

>>> import d2lmini as mx
>>> w = mx.nd.zeros((2, 3))
>>> mx.init.Constant(0.5)(mx.init.InitDesc('dense0_weight'), w)
>>> w
<BLANKLINE>
[[0.5 0.5 0.5]
 [0.5 0.5 0.5]]
<NDArray 2x3 @cpu(0)>

A new rule is a subclass that overrides ``_init_weight`` and writes into the array::

    class MyInit(mx.init.Initializer):
        def _init_weight(self, name, data):
            print('Init', name, data.shape)
            data[:] = mx.nd.random.uniform(-10, 10, shape=data.shape)
"""
import json
import logging
import math
import re
import warnings

import numpy as np

from . import ndarray as nd
from .base import numeric_types


class InitDesc(str):
    """A parameter's name together with how to initialise it.

    It *is* the name (a ``str``), so ``desc.endswith('weight')`` and
    ``print(desc)`` work as on the name. ``attrs`` holds extra settings, notably
    ``'__init__'``, an initializer (object, name or JSON) that overrides the
    suffix rules; ``global_init`` is the initializer that was called first.

    >>> d = InitDesc('dense0_weight', {'__init__': 'zeros'})
    >>> d, d.attrs, d.global_init
    ('dense0_weight', {'__init__': 'zeros'}, None)
    """

    def __new__(cls, name, attrs=None, global_init=None):
        desc = super().__new__(cls, name)
        desc.attrs = attrs or {}
        desc.global_init = global_init
        return desc


class Initializer:
    """The base class of all initializers.

    Subclasses override ``_init_weight(name, arr)`` (and, rarely, ``_init_bias``,
    ``_init_gamma`` ...). The keyword arguments given to ``__init__`` are what
    :meth:`dumps` saves, so that :func:`create` can rebuild the initializer.

    >>> import d2lmini as mx
    >>> class Twos(mx.init.Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 2
    >>> b = mx.nd.ones((2,))
    >>> Twos()(mx.init.InitDesc('fc_bias'), b)   # a bias still gets zeros
    >>> b
    <BLANKLINE>
    [0. 0.]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log a line (with ``logging.info``) for each array initialised.

        ``print_func(arr) -> str`` summarises the array; by default it is the
        root mean square, ``norm(arr) / sqrt(arr.size)``. Returns ``self``.
        """
        self._verbose = verbose
        self._print_func = _root_mean_square if print_func is None else print_func
        return self

    def _verbose_print(self, desc, how, arr):
        # getattr: a subclass may define __init__ without calling Initializer's
        if getattr(self, '_verbose', False) and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, how, self._print_func(arr))

    def dumps(self):
        """This initializer as a JSON string, which :func:`create` turns back into it.

        >>> Xavier(magnitude=2.24).dumps()
        '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 2.24}]'
        """
        return json.dumps([type(self).__name__.lower(), getattr(self, '_kwargs', {})])

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and (getattr(self, '_kwargs', {}) ==
                                              getattr(other, '_kwargs', {}))

    __hash__ = None  # equal initializers need not be the same object

    def __call__(self, desc, arr):
        """Fill NDArray ``arr`` in place, as ``desc`` (an :class:`InitDesc`) asks."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            # The parameter chose its own initializer: its weight rule applies to the
            # whole array, whatever the name says (how Gluon gives biases zeros).
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in _SUFFIX_RULES:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """``init('fc1_weight', arr)`` with a plain string: MXNet's old calling
        convention, still accepted (with a DeprecationWarning)."""
        warnings.warn('Calling an initializer with init(str, NDArray) is deprecated; use '
                      'init(mx.init.InitDesc(name), NDArray) instead.', DeprecationWarning,
                      stacklevel=3)
        if not isinstance(name, str):
            raise TypeError(f'initializer: the name must be a string, got {type(name).__name__}')
        if not isinstance(arr, nd.NDArray):
            raise TypeError(f'initializer: the array must be an NDArray, got '
                            f'{type(arr).__name__}')
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
            return
        if name.startswith('stn_loc') and name.endswith('weight'):
            # the localisation layer of a spatial transformer starts as the identity
            self._init_zero(name, arr)
            return
        if name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
            return
        for suffix, method in _LEGACY_SUFFIX_RULES:
            if name.endswith(suffix):
                getattr(self, method)(name, arr)
                return
        self._init_default(name, arr)

    # The rules for each kind of parameter. Subclasses override _init_weight.
    def _init_weight(self, name, arr):
        raise NotImplementedError(f'{type(self).__name__} must override _init_weight')

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bilinear(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)

    def _init_loc_bias(self, _, arr):
        # the identity affine transform [[1, 0, 0], [0, 1, 0]], flattened
        if arr.shape[0] != 6:
            raise AssertionError(f'a spatial transformer localisation bias has 6 values, '
                                 f'got shape {arr.shape}')
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_default(self, name, _):
        raise ValueError(
            f'Unknown initialization pattern for {name}. Default initialization is limited to '
            'names ending in "weight", "bias", "gamma" (1.0) and "beta" (0.0). Give the '
            'parameter its own initializer (init=mx.init.*) to set it.')


# Name endings and the method that initialises them, checked in this order.
_SUFFIX_RULES = (('weight', '_init_weight'), ('bias', '_init_bias'), ('gamma', '_init_gamma'),
                 ('beta', '_init_beta'), ('min', '_init_zero'), ('max', '_init_one'))
_LEGACY_SUFFIX_RULES = (('bias', '_init_bias'), ('gamma', '_init_gamma'),
                        ('beta', '_init_beta'), ('weight', '_init_weight'),
                        ('moving_mean', '_init_zero'), ('moving_var', '_init_one'),
                        ('moving_inv_var', '_init_zero'), ('moving_avg', '_init_zero'),
                        ('min', '_init_zero'), ('max', '_init_one'))


def _root_mean_square(arr):
    return str((nd.norm(arr) / math.sqrt(arr.size)).asscalar())


# ---------------------------------------------------------------------- the registry
_REGISTRY = {}


def register(klass, name=None):
    """Make an Initializer subclass known to :func:`create` by its lower-case class
    name (or ``name``); usable as a class decorator.

    >>> import d2lmini as mx
    >>> @mx.init.register
    ... class Halves(mx.init.Initializer):
    ...     def _init_weight(self, _, arr):
    ...         arr[:] = 0.5
    >>> type(mx.init.create('halves')).__name__
    'Halves'
    """
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError(f'register: can only register subclasses of Initializer, got {klass!r}')
    name = (klass.__name__ if name is None else name).lower()
    old = _REGISTRY.get(name)
    if old is not None and old is not klass:
        warnings.warn(f'New initializer {klass.__module__}.{klass.__name__} registered with name '
                      f'{name} is overriding existing initializer {old.__module__}.'
                      f'{old.__name__}', UserWarning, stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """A class decorator registering the class under extra names:
    ``@alias('zeros')`` lets ``create('zeros')`` build a ``Zero``."""
    def decorate(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return decorate


def create(*args, **kwargs):
    """An Initializer from a description.

    The description (first argument, or keyword ``initializer``) may be an
    Initializer (returned as is), a registered name (``'xavier'``, ``'zeros'``;
    further arguments go to the constructor), the JSON that :meth:`Initializer.dumps`
    writes (``'["normal", {"sigma": 0.5}]'``), a JSON object or a dict with key
    ``'initializer'`` and the constructor's arguments.

    >>> create('normal', sigma=0.5).dumps()
    '["normal", {"sigma": 0.5}]'
    >>> create('["xavier", {"magnitude": 2}]').magnitude
    2.0
    """
    if args:
        spec, args = args[0], args[1:]
    elif 'initializer' in kwargs:
        spec = kwargs.pop('initializer')
    else:
        raise TypeError('create() needs an initializer: an Initializer, a name or JSON')
    if isinstance(spec, Initializer):
        if args or kwargs:
            raise ValueError(f'create: {type(spec).__name__} is already an initializer; extra '
                             'arguments are not allowed')
        return spec
    if isinstance(spec, dict):
        return create(**spec)
    if not isinstance(spec, str):
        raise TypeError(f'create: an initializer must be an Initializer, a name or JSON, got '
                        f'{type(spec).__name__}')
    if spec.startswith('[') or spec.startswith('{'):
        if args or kwargs:
            raise ValueError('create: a JSON description takes no extra arguments')
        loaded = json.loads(spec)
        if isinstance(loaded, list):
            name, params = loaded
            return create(name, **params)
        return create(**loaded)
    klass = _REGISTRY.get(spec.lower())
    if klass is None:
        raise ValueError(f'{spec} is not a registered initializer (known: '
                         f'{", ".join(sorted(_REGISTRY))}); register it with '
                         'mx.init.register first')
    return klass(*args, **kwargs)


# ---------------------------------------------------------------------- constant rules
@register
@alias('zeros')
class Zero(Initializer):
    """Fills weights with 0 (names: ``'zero'``, ``'zeros'``)."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias('ones')
class One(Initializer):
    """Fills weights with 1 (names: ``'one'``, ``'ones'``)."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Fills weights with ``value``: a number, or an array that broadcasts to the
    parameter's shape.

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros((2, 2))
    >>> Constant(mx.nd.array([1, 2]))(InitDesc('fc_weight'), w)
    >>> w.asnumpy().tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        value = self._kwargs['value']
        if not isinstance(value, numeric_types):
            # JSON holds numbers and lists, not arrays
            value = value.asnumpy().tolist() if isinstance(value, nd.NDArray) else (
                np.asarray(value).tolist())
        return json.dumps([type(self).__name__.lower(), dict(self._kwargs, value=value)])


# ---------------------------------------------------------------------- random rules
@register
class Uniform(Initializer):
    """Weights drawn uniformly from ``[-scale, scale]``; Gluon's default, with
    ``scale=0.07``.

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros((100,))
    >>> Uniform(0.1)(InitDesc('fc_weight'), w)
    >>> bool(w.abs().max() <= 0.1)
    True
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        nd.random.uniform(-self.scale, self.scale, shape=arr.shape, out=arr)


@register
class Normal(Initializer):
    """Weights drawn from a normal distribution with mean 0 and standard deviation
    ``sigma``.

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros((10000,))
    >>> Normal(0.5)(InitDesc('fc_weight'), w)
    >>> round(float(w.asnumpy().std()), 1)
    0.5
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        nd.random.normal(0, self.sigma, shape=arr.shape, out=arr)


def _fans(shape):
    """(fan_in, fan_out) of a weight: a dense weight is (out, in); a convolution
    kernel (out, in, k1, k2, ...) counts every kernel position as a connection."""
    receptive_field = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
    return shape[1] * receptive_field, shape[0] * receptive_field


@register
class Xavier(Initializer):
    """Xavier (Glorot) initialisation: keeps the scale of signals and gradients about
    the same from layer to layer.

    With ``n = (fan_in + fan_out) / 2`` (``factor_type='avg'``), ``fan_in`` (``'in'``)
    or ``fan_out`` (``'out'``), and ``s = sqrt(magnitude / n)``, the weights are
    uniform on ``[-s, s]`` (``rnd_type='uniform'``) or normal with standard
    deviation ``s`` (``rnd_type='gaussian'``). The defaults give Glorot's uniform
    rule, ``s = sqrt(6 / (fan_in + fan_out))``.

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros((30, 20))
    >>> Xavier()(InitDesc('dense0_weight'), w)
    >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
    True
    """

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ('uniform', 'gaussian'):
            raise ValueError(f"Xavier: rnd_type must be 'uniform' or 'gaussian', got {rnd_type!r}")
        if factor_type not in ('avg', 'in', 'out'):
            raise ValueError(f"Xavier: factor_type must be 'avg', 'in' or 'out', got "
                             f'{factor_type!r}')
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        if len(arr.shape) < 2:
            raise ValueError(f'{type(self).__name__} initializer cannot be applied to vector '
                             f'{name} of shape {arr.shape}. It requires at least 2D.')
        fan_in, fan_out = _fans(arr.shape)
        factor = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}[self.factor_type]
        scale = math.sqrt(self.magnitude / factor)
        if self.rnd_type == 'uniform':
            nd.random.uniform(-scale, scale, shape=arr.shape, out=arr)
        else:
            nd.random.normal(0, scale, shape=arr.shape, out=arr)


@register
class MSRAPrelu(Xavier):
    """He (MSRA) initialisation, for layers followed by ReLU or PReLU.

    Gaussian weights with variance ``2 / ((1 + slope**2) * n)``, where ``n`` is
    chosen by ``factor_type`` as in :class:`Xavier` and ``slope`` is the PReLU's
    initial negative slope (``slope=0`` gives the ReLU rule ``2 / n``).
    """

    def __init__(self, factor_type='avg', slope=0.25):
        super().__init__('gaussian', factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Orthogonal(Initializer):
    """An orthogonal weight matrix times ``scale`` (Saxe et al., 2013).

    The weight is seen as a matrix ``(shape[0], prod(shape[1:]))``; its rows are
    orthonormal when it is wide and its columns when it is tall. It is the
    orthogonal factor of the SVD of a random matrix, uniform on ``[-1, 1]``
    (``rand_type='uniform'``) or standard normal (``'normal'``).

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros((3, 5))
    >>> Orthogonal(scale=1)(InitDesc('w_weight'), w)
    >>> np.allclose(mx.nd.dot(w, w.T).asnumpy(), np.eye(3), atol=1e-5)
    True
    """

    def __init__(self, scale=1.414, rand_type='uniform'):
        super().__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ('uniform', 'normal'):
            raise ValueError(f"Orthogonal: rand_type must be 'uniform' or 'normal', got "
                             f'{rand_type!r}')
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name, arr):
        rows, cols = arr.shape[0], int(np.prod(arr.shape[1:]))
        draw = nd.random.uniform if self.rand_type == 'uniform' else nd.random.normal
        low_or_mean, high_or_std = (-1.0, 1.0) if self.rand_type == 'uniform' else (0.0, 1.0)
        rnd = draw(low_or_mean, high_or_std, shape=(rows, cols), ctx=arr.context).asnumpy()
        u, _, vt = np.linalg.svd(rnd, full_matrices=False)
        # u is (rows, k) and vt is (k, cols) with k = min(rows, cols): the one with the
        # random matrix's shape has orthonormal columns (tall) or rows (wide).
        q = u if u.shape == rnd.shape else vt
        arr[:] = (self.scale * q).reshape(arr.shape)


# ---------------------------------------------------------------------- special-purpose rules
def _bilinear_kernel(shape):
    """The weights of bilinear upsampling, for a (…, kh, kw) transposed-convolution
    kernel: each axis gets the tent ``1 - |i / f - c|`` and the kernel is their
    outer product (``f`` and ``c`` come from the kernel width, as in MXNet)."""
    if len(shape) != 4:
        raise ValueError(f'Bilinear initializer needs a 4-D kernel (out, in, kh, kw), got '
                         f'shape {shape}')
    f = math.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    tent_x = 1 - np.abs(np.arange(shape[3]) / f - c)
    tent_y = 1 - np.abs(np.arange(shape[2]) / f - c)
    return np.broadcast_to(np.outer(tent_y, tent_x), shape).astype(np.float32)


@register
class Bilinear(Initializer):
    """Weights of bilinear interpolation, so that a transposed convolution with
    stride ``s`` and kernel ``2s`` starts as bilinear upsampling (used in FCN).

    >>> import d2lmini as mx
    >>> w = mx.nd.zeros((1, 1, 4, 4))
    >>> Bilinear()(InitDesc('up_weight'), w)
    >>> w[0, 0, 0].asnumpy().tolist()
    [0.0625, 0.1875, 0.1875, 0.0625]
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = _bilinear_kernel(arr.shape)


@register
class LSTMBias(Initializer):
    """An LSTM's bias: zeros, except ``forget_bias`` for the forget gate, the second
    of the four gates (i, f, c, o), so the cell remembers by default.

    >>> import d2lmini as mx
    >>> b = mx.nd.ones((8,))
    >>> LSTMBias()(InitDesc('lstm_i2h_bias', {'__init__': LSTMBias()}), b)
    >>> b.asnumpy().tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        hidden = arr.shape[0] // 4
        arr[:] = 0.0
        arr[hidden:2 * hidden] = self.forget_bias


class Load:
    """Initialise parameters with the values of a saved file or dict (name ->
    NDArray), as MXNet 1.x's ``mx.init.Load`` does; the ``arg:`` and ``aux:``
    prefixes of ``mx.model.save_checkpoint`` files are dropped. A name not found is
    given to ``default_init`` (an error without one).

    param : a file name (read with ``mx.nd.load``) or a dict name -> NDArray
    default_init : the initializer for the names not found
    verbose : log each name, loaded or initialised by default

    >>> import d2lmini as mx
    >>> init = mx.init.Load({'arg:fc_weight': mx.nd.ones((2, 2))}, default_init=mx.init.Zero())
    >>> w, b = mx.nd.empty((2, 2)), mx.nd.empty(2)
    >>> init(mx.init.InitDesc('fc_weight'), w); init(mx.init.InitDesc('fc_bias'), b)
    >>> w.asnumpy().tolist(), b.asnumpy().tolist()
    ([[1.0, 1.0], [1.0, 1.0]], [0.0, 0.0])
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = nd.load(param)
        if not isinstance(param, dict):
            raise AssertionError(f'Load needs a dict of name -> NDArray (or a file holding '
                                 f'one), got {type(param).__name__}')
        self.param = {}
        for name, arr in param.items():
            if name.startswith('arg:') or name.startswith('aux:'):
                name = name[4:]
            self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            if arr.shape != self.param[name].shape:
                raise AssertionError(
                    f'Parameter {name} cannot be initialized from loading. Shape mismatch, '
                    f'target {arr.shape} vs loaded {self.param[name].shape}')
            arr[:] = self.param[name]
            if self.verbose:
                logging.info('Initialized %s by loading', name)
            return
        if self.default_init is None:
            raise AssertionError(f'Cannot Initialize {name}. Not found in loaded param and no '
                                 'default Initializer is provided.')
        self.default_init(name, arr)
        if self.verbose:
            logging.info('Initialized %s by default', name)


@register
class Mixed(Initializer):
    """Different initializers for different parameter names.

    ``patterns`` are regular expressions matched (``re.match``) against the name in
    order; the first that matches chooses the initializer at the same position.
    Initializers may be given as objects, names or JSON.

    >>> import d2lmini as mx
    >>> init = Mixed(['.*bias', '.*'], [mx.init.Zero(), mx.init.One()])
    >>> b, w = mx.nd.ones((2,)), mx.nd.zeros((2,))
    >>> init(InitDesc('fc_bias'), b); init(InitDesc('fc_weight'), w)
    >>> b.asnumpy().tolist(), w.asnumpy().tolist()
    ([0.0, 0.0], [1.0, 1.0])
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError(f'Mixed: {len(patterns)} patterns but {len(initializers)} '
                             'initializers; they go in pairs')
        inits = [create(i) for i in initializers]
        super().__init__(patterns=list(patterns), initializers=inits)
        self.map = [(re.compile(p), i) for p, i in zip(patterns, inits)]

    def dumps(self):
        kwargs = dict(self._kwargs, initializers=[i.dumps() for i in self._kwargs['initializers']])
        return json.dumps([type(self).__name__.lower(), kwargs])

    def _choose(self, name):
        for pattern, init in self.map:
            if pattern.match(name):
                return init
        raise ValueError(f'Parameter name {name} did not match any pattern of Mixed '
                         f'{[p.pattern for p, _ in self.map]}. Add a ".*" pattern at the end '
                         'with a default initializer.')

    def __call__(self, desc, arr):
        self._choose(desc)(desc, arr)

    def _init_weight(self, name, arr):
        # Reached through Gluon's '__init__': the chosen initializer's weight rule.
        self._choose(name)._init_weight(name, arr)


__all__ = ['InitDesc', 'Initializer', 'register', 'alias', 'create', 'Zero', 'One', 'Constant',
           'Uniform', 'Normal', 'Xavier', 'MSRAPrelu', 'Orthogonal', 'Bilinear', 'LSTMBias',
           'Load', 'Mixed']


def __getattr__(name):
    # FusedRNN initialises the parameters of mx.rnn.FusedRNNCell, so it lives with the
    # cells (d2lmini.rnn), which are built after this module
    if name == 'FusedRNN':
        from .rnn.rnn_cell import FusedRNN
        return FusedRNN
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
