"""Basic layers: Dense, Dropout, the normalisation layers, Embedding, Flatten, Lambda.

Each layer is a :class:`HybridBlock` that declares its parameters in ``__init__``
and calls one operator in ``hybrid_forward``. A dimension the layer cannot know in
advance (the number of input features or channels) is declared as 0 and filled in
from the first batch: that is *deferred initialisation*.

>>> import d2lmini as mx
>>> from d2lmini.gluon import nn
>>> layer = nn.Dense(3)
>>> layer
Dense(None -> 3, linear)
>>> layer.initialize()
>>> layer(mx.nd.ones((2, 5))).shape
(2, 3)
>>> layer
Dense(5 -> 3, linear)
"""
import numpy as np

from ... import ndarray as nd
from ...base import MXNetError, ShapeError, shape_str
from ..block import Block, HybridBlock
from ..parameter import DeferredInitializationError
from .activations import Activation


class _Layer(HybridBlock):
    """A built-in layer: it checks its data before running and names itself in the
    errors of the operators it calls, so that a wrong shape deep inside a network
    says which layer it reached."""

    def forward(self, x, *args):
        if isinstance(x, nd.NDArray):
            self._inspect(x)
        try:
            return super().forward(x, *args)
        except DeferredInitializationError:   # an MXNetError the caller handles
            raise
        except MXNetError as e:
            raise MXNetError(f'{self.name} ({type(self).__name__}): {e}') from e

    def _inspect(self, x):
        """Check the data ``x`` before the first operator runs, so that a wrong
        shape is reported by the layer; layers override it."""

    def _input_error(self, x, expected):
        # (MXNet 1.x: a ValueError, from the deferred initialisation it fails in)
        return ShapeError(f'{self.name} ({type(self).__name__}): expects {expected}, got '
                          f'input of shape {shape_str(x.shape)}')

    def _scale_and_shift(self, in_channels, scale, center, gamma_initializer,
                         beta_initializer, **extra):
        """Declare the per-channel ``gamma`` (scale) and ``beta`` (shift) of a
        normalisation layer; as in MXNet, ``scale``/``center`` only decide whether
        they are trained."""
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null',
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True, **extra.get('gamma', {}))
        self.beta = self.params.get('beta', grad_req='write' if center else 'null',
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True, **extra.get('beta', {}))

    def _channel_axis(self, x, axis):
        """``axis`` of ``x`` as a non-negative number, with an error naming the layer."""
        if not -x.ndim <= axis < x.ndim:
            raise self._input_error(x, f'data with an axis {axis}')
        return axis % x.ndim


# ---------------------------------------------------------------------- Dense
class Dense(_Layer):
    """A fully connected layer: ``activation(x @ weight.T + bias)``.

    ``weight`` has shape ``(units, in_units)``. With ``flatten=True`` every axis of
    ``x`` after the first is flattened into the features; with ``flatten=False``
    the product acts on the last axis and the leading axes are kept. ``in_units=0``
    (the default) defers the weight's shape to the first batch.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> net = nn.Dense(256, activation='relu')
    >>> net
    Dense(None -> 256, Activation(relu))
    >>> net.initialize()
    >>> net(mx.nd.ones((2, 1, 28, 28))).shape, net.weight.shape
    ((2, 256), (256, 784))
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', in_units=0, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get('weight', shape=(units, in_units),
                                          init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get('bias', shape=(units,), init=bias_initializer,
                                            dtype=dtype, allow_deferred_init=True)
            else:
                self.bias = None
            # the activation is a child block, named e.g. dense0_relu
            self.act = Activation(activation, prefix=activation + '_') if activation else None

    def hybrid_forward(self, F, x, weight, bias=None):
        out = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name='fwd')
        return self.act(out) if self.act is not None else out

    def __repr__(self):
        units, in_units = self.weight.shape
        return f'{type(self).__name__}({in_units or None} -> {units}, {self.act or "linear"})'


# ---------------------------------------------------------------------- Dropout
class Dropout(HybridBlock):
    """While training, zero each element with probability ``rate`` and scale the
    others by ``1 / (1 - rate)``; otherwise pass the data through unchanged.
    ``axes`` shares one random draw along the given axes.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.Dropout(0.5)(mx.nd.ones((1, 3)))     # not training: unchanged
    <BLANKLINE>
    [[1. 1. 1.]]
    <NDArray 1x3 @cpu(0)>
    """

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name='fwd', cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return f'{type(self).__name__}(p = {self._rate}, axes={self._axes})'


# ---------------------------------------------------------------------- normalisation
class BatchNorm(_Layer):
    """Batch normalisation: standardise every channel (``axis``) with the batch's
    mean and variance while training, then scale by ``gamma`` and shift by
    ``beta``. Outside training it uses ``running_mean`` and ``running_var``, moving
    averages (weight ``momentum`` on the old value) that the backward pass of each
    training step updates.

    ``scale=False`` fixes gamma at 1, ``center=False`` keeps beta at its initial 0;
    ``use_global_stats=True`` always uses the running statistics.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> bn = nn.BatchNorm()
    >>> bn.initialize()
    >>> x = mx.nd.array([[1, 10], [3, 30]])
    >>> with mx.autograd.record():      # training: the batch's statistics
    ...     y = bn(x)
    >>> y.asnumpy().round(4)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> y.backward()                    # ... which also updates the running ones
    >>> bn.running_mean.data()
    <BLANKLINE>
    [0.2 2. ]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer='zeros', gamma_initializer='ones',
                 running_mean_initializer='zeros', running_variance_initializer='ones',
                 in_channels=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        # the operator's arguments, in the order MXNet prints them
        self._kwargs = {'axis': axis, 'eps': epsilon, 'momentum': momentum,
                        'fix_gamma': not scale, 'use_global_stats': use_global_stats}
        if in_channels != 0:
            self.in_channels = in_channels
        self._scale_and_shift(in_channels, scale, center, gamma_initializer, beta_initializer,
                              gamma={'differentiable': scale}, beta={'differentiable': center})
        # the running statistics are state, not trained: the operator updates them
        self.running_mean = self.params.get('running_mean', grad_req='null',
                                            shape=(in_channels,),
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get('running_var', grad_req='null',
                                           shape=(in_channels,),
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def _inspect(self, x):
        self._channel_axis(x, self._kwargs['axis'])

    def cast(self, dtype):
        # float16 statistics lose too many digits: they stay float32, as in MXNet
        if np.dtype(dtype).name == 'float16':
            dtype = 'float32'
        super().cast(dtype)

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name='fwd',
                           **self._kwargs)

    def __repr__(self):
        content = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        in_channels = self.gamma.shape[0]
        return f'{type(self).__name__}({content}, in_channels={in_channels or None})'


class BatchNormReLU(BatchNorm):
    """:class:`BatchNorm` followed by ``relu``, computed by one operator
    (``_contrib_BatchNormWithReLU``); same arguments, parameters and names
    (``batchnormrelu0_gamma``, ...) as MXNet 1.9.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> layer = nn.BatchNormReLU(in_channels=2)
    >>> layer.initialize()
    >>> with mx.autograd.record():
    ...     y = layer(mx.nd.array([[1, 10], [3, 30]]))
    >>> y.asnumpy().round(4).tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F._contrib_BatchNormWithReLU(x, gamma, beta, running_mean, running_var,
                                            name='fwd', **self._kwargs)


class InstanceNorm(_Layer):
    """Instance normalisation: standardise every channel of every example over
    its spatial positions, then scale by ``gamma`` and shift by ``beta``. ``axis``
    is the channel axis; data needs at least 3 axes (batch, channel, spatial...).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> layer = nn.InstanceNorm()
    >>> layer.initialize()
    >>> layer(mx.nd.array([[[1, 3]], [[0, 10]]])).asnumpy().round(4)
    array([[[-1.,  1.]],
    <BLANKLINE>
           [[-1.,  1.]]], dtype=float32)
    """

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self._scale_and_shift(in_channels, scale, center, gamma_initializer, beta_initializer)

    def _inspect(self, x):
        if x.ndim < 3:
            raise self._input_error(x, 'data with at least 3 axes (batch, channel, spatial...)')
        self._channel_axis(x, self._axis)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name='fwd', eps=self._epsilon)
        # the operator normalises with the channels on axis 1: move them there and back
        x = x.swapaxes(1, self._axis)
        return F.InstanceNorm(x, gamma, beta, name='fwd',
                              eps=self._epsilon).swapaxes(1, self._axis)

    def __repr__(self):
        content = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        return f'{type(self).__name__}({content}, in_channels={self.gamma.shape[0]})'


class LayerNorm(_Layer):
    """Layer normalisation: standardise every example along ``axis`` (its
    features), then scale by ``gamma`` and shift by ``beta``, one per feature.
    Unlike batch normalisation it behaves the same in training and prediction.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> layer = nn.LayerNorm()
    >>> layer.initialize()
    >>> layer(mx.nd.array([[1, 3], [0, 10]])).asnumpy().round(4)
    array([[-1.,  1.],
           [-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'axis': axis, 'center': center, 'scale': scale}
        self._axis = axis
        self._epsilon = epsilon
        self._center = center
        self._scale = scale
        self._scale_and_shift(in_channels, scale, center, gamma_initializer, beta_initializer)

    def _inspect(self, x):
        self._channel_axis(x, self._axis)

    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self):
        content = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        return f'{type(self).__name__}({content}, in_channels={self.gamma.shape[0]})'


class GroupNorm(_Layer):
    """Group normalisation: the channels (axis 1) are split into ``num_groups``
    groups, and every group of every example is standardised over its channels
    and positions, then scaled by ``gamma`` and shifted by ``beta``. As in MXNet
    1.x, ``gamma`` and ``beta`` have one value per group (shape
    ``(num_groups,)``), so their shapes are known before any data. It behaves the
    same in training and prediction.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> layer = nn.GroupNorm(num_groups=2)
    >>> layer
    GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)
    >>> layer.initialize()
    >>> layer(mx.nd.array([[[1, 3], [0, 10]]])).asnumpy().round(4)
    array([[[-1.,  1.],
            [-1.,  1.]]], dtype=float32)
    >>> layer.gamma.shape
    (2,)
    """

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'eps': epsilon, 'num_groups': num_groups, 'center': center,
                        'scale': scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self._scale_and_shift(num_groups, scale, center, gamma_initializer, beta_initializer)

    def _inspect(self, x):
        if x.ndim < 2 or x.shape[1] % self._num_groups:
            raise self._input_error(x, f'data whose axis 1 splits into {self._num_groups} '
                                       'groups')

    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups,
                           eps=self._epsilon)

    def __repr__(self):
        content = ', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())
        return f'{type(self).__name__}({content})'


# ---------------------------------------------------------------------- Embedding
class Embedding(_Layer):
    """Map integer indices (tokens) to dense vectors: row ``i`` of ``weight``
    (shape ``(input_dim, output_dim)``) for index ``i``. Data of shape ``s`` gives
    an output of shape ``s + (output_dim,)``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> layer = nn.Embedding(10, 4)
    >>> layer.initialize()
    >>> layer(mx.nd.array([[1, 2, 3], [4, 5, 6]])).shape
    (2, 3, 4)
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None,
                 sparse_grad=False, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        grad_stype = 'row_sparse' if sparse_grad else 'default'
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': sparse_grad}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      allow_deferred_init=True, grad_stype=grad_stype)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"


# ---------------------------------------------------------------------- Flatten, Lambda
class Flatten(HybridBlock):
    """Flatten every axis but the first: ``(N, a, b, ...)`` becomes ``(N, a*b*...)``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.Flatten()(mx.nd.zeros((2, 3, 4))).shape
    (2, 12)
    """

    def hybrid_forward(self, F, x):
        return F.flatten(x)

    def __repr__(self):
        return type(self).__name__


def _nd_function(function):
    """The ``nd`` function called ``function`` (MXNet's error when there is none)."""
    if not hasattr(nd, function):
        raise AssertionError(f'Function name {function} is not found in ndarray.')
    return getattr(nd, function)


class Lambda(Block):
    """Wrap a function as a block: an ``nd`` function's name (``Lambda('tanh')``)
    or any callable taking the block's inputs (``Lambda(lambda x: x * 2)``).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.Lambda('tanh')(mx.nd.zeros(2))
    <BLANKLINE>
    [0. 0.]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            self._func_impl = _nd_function(function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(f'Unrecognized function in lambda: {function} of type '
                             f'{type(function)}')

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return f'{type(self).__name__}({self._func_impl.__name__})'


class HybridLambda(HybridBlock):
    """Wrap a function as a hybrid block: an operator's name
    (``HybridLambda('tanh')``) or a callable ``function(F, x, *args)`` written
    with ``F`` so that it runs on either front end.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.1))(mx.nd.array([-1, 1]))
    <BLANKLINE>
    [-0.1  1. ]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            _nd_function(function)
            # looked up on F at each call, so the same block serves every front end
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError(f'Unrecognized function in lambda: {function} of type '
                             f'{type(function)}')

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return f'{type(self).__name__}({self._func_name})'


__all__ = ['Dense', 'Dropout', 'BatchNorm', 'BatchNormReLU', 'InstanceNorm', 'LayerNorm',
           'GroupNorm', 'Embedding', 'Flatten', 'Lambda', 'HybridLambda']
