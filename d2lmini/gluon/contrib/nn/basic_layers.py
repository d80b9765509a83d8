"""Concurrent containers, Identity, SparseEmbedding, SyncBatchNorm, PixelShuffle.

>>> import d2lmini as mx
>>> from d2lmini.gluon import nn
>>> from d2lmini.gluon.contrib.nn import HybridConcurrent, Identity
>>> net = HybridConcurrent(axis=1)
>>> net.add(nn.Dense(3), Identity())
>>> net.initialize()
>>> net(mx.nd.ones((2, 4))).shape
(2, 7)
"""
import math
import warnings

from ....base import numeric_types
from .... import ndarray as nd
from ....ndarray import concat
from ...block import Block, HybridBlock
from ...nn import BatchNorm, HybridSequential, Sequential


def _side_by_side(concat_op, children, x, axis):
    """Every child applied to the same ``x``, the outputs joined along ``axis``."""
    return concat_op(*[child(x) for child in children.values()], dim=axis)


class Concurrent(Sequential):
    """Run every child on the same input and concatenate their outputs along
    ``axis`` (Inception's branches).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> net = Concurrent(axis=1)
    >>> net.add(nn.Lambda(lambda x: x * 2), Identity())
    >>> net(mx.nd.ones((1, 2)))
    <BLANKLINE>
    [[2. 2. 1. 1.]]
    <NDArray 1x4 @cpu(0)>
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        return _side_by_side(concat, self._children, x, self.axis)


class HybridConcurrent(HybridSequential):
    """The hybridizable :class:`Concurrent`: every child runs on the same input,
    and the outputs are concatenated along ``axis``.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> net = HybridConcurrent(axis=-1)
    >>> net.add(nn.Dense(2), nn.Dense(3))
    >>> net.initialize()
    >>> net.hybridize()
    >>> net(mx.nd.ones((4, 5))).shape
    (4, 5)
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x, *args):
        # not HybridSequential's chaining: every child sees the same input
        return HybridBlock.forward(self, x, *args)

    def hybrid_forward(self, F, x):
        return _side_by_side(F.concat, self._children, x, self.axis)


class Identity(HybridBlock):
    """Return the input unchanged: a branch of a :class:`HybridConcurrent` that
    passes the data through (a residual connection).

    >>> import d2lmini as mx
    >>> Identity()(mx.nd.array([1, 2]))
    <BLANKLINE>
    [1. 2.]
    <NDArray 2 @cpu(0)>
    """

    def hybrid_forward(self, F, x):
        return x


class SparseEmbedding(Block):
    """An embedding table for very many tokens, stored row-sparse, as MXNet 1.x's:
    the weight (``stype='row_sparse'``) lives in the store of its
    :class:`~d2lmini.gluon.Trainer`, each forward pass pulls only the rows its
    indices look up (:meth:`~d2lmini.gluon.Parameter.row_sparse_data`), and the
    gradient holds only those rows, which lazy optimizers (SGD, Adam, AdaGrad, ...)
    update. It is a :class:`~d2lmini.gluon.Block`, not a HybridBlock: which rows
    to pull depends on the values of the indices. It needs a Trainer before its
    first forward pass.

    >>> import d2lmini as mx
    >>> layer = SparseEmbedding(10, 4)
    >>> layer
    SparseEmbedding(10 -> 4, float32)
    >>> layer.initialize()
    >>> trainer = mx.gluon.Trainer(layer.collect_params(), 'sgd')
    >>> layer(mx.nd.array([1, 2])).shape
    (2, 4)
    """

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {'input_dim': input_dim, 'output_dim': output_dim, 'dtype': dtype,
                        'sparse_grad': True}
        self.weight = self.params.get('weight', shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      stype='row_sparse', grad_stype='row_sparse')

    def forward(self, x):
        weight = self.weight.row_sparse_data(x)
        return nd.Embedding(x, weight, name='fwd', **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"


class SyncBatchNorm(BatchNorm):
    """Batch normalisation whose statistics MXNet gathers across the devices of
    one machine. d2lmini runs each device's batch on its own, so this is
    :class:`~d2lmini.gluon.nn.BatchNorm` over the batch each device sees (the
    same numbers as MXNet with one device). ``num_devices`` is kept for the
    printed form; as in MXNet, leaving it out warns.

    >>> layer = SyncBatchNorm(num_devices=1, prefix='bn_')
    >>> layer
    SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, ndev=1, key='bn_', in_channels=None)
    """

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5,
                 center=True, scale=True, use_global_stats=False, beta_initializer='zeros',
                 gamma_initializer='ones', running_mean_initializer='zeros',
                 running_variance_initializer='ones', prefix=None, params=None):
        # BatchNorm's arguments in its order; SyncBatchNorm takes no axis: channels are axis 1
        super().__init__(1, momentum, epsilon, center, scale, use_global_stats,
                         beta_initializer, gamma_initializer, running_mean_initializer,
                         running_variance_initializer, in_channels,
                         prefix=prefix, params=params)
        if num_devices is None:
            warnings.warn('Caution using SyncBatchNorm: if not using all the GPUs, please '
                          'mannually set num_devices', UserWarning, stacklevel=2)
            num_devices = 1
        self._num_devices = num_devices

    def __repr__(self):
        kw = self._kwargs
        in_channels = self.gamma.shape[0] or None
        return (f"{type(self).__name__}(eps={kw['eps']!r}, momentum={kw['momentum']!r}, "
                f"fix_gamma={kw['fix_gamma']!r}, use_global_stats={kw['use_global_stats']!r}, "
                f"ndev={self._num_devices!r}, key={self.prefix!r}, in_channels={in_channels})")


class _PixelShuffle(HybridBlock):
    """Pixel shuffling in ``len(factors)`` spatial dimensions: the channels
    ``(N, f1*...*fk*C, s1, ..., sk)`` are spread over space, giving
    ``(N, C, s1*f1, ..., sk*fk)``. Reshape codes (0 keep, -4 split, -3 merge) keep the
    batch, channel and spatial sizes unknown, so that it also runs on symbols."""

    def __init__(self, factors):
        super().__init__()
        self._factors = factors

    def hybrid_forward(self, F, x):
        factors, k = self._factors, len(self._factors)
        keep_space = (0,) * k
        # (N, C*f1*...*fk, s...) -> (N, C, f1*...*fk, s...) -> (N, C, f1, ..., fk, s...)
        x = F.reshape(x, (0, -4, -1, math.prod(factors)) + keep_space)
        for i in range(k - 1):
            rest = math.prod(factors[i + 1:])
            x = F.reshape(x, (0, 0) + (0,) * i + (-4, factors[i], rest) + keep_space)
        # pair each spatial axis with its factor: (N, C, s1, f1, ..., sk, fk)
        order = [0, 1]
        for i in range(k):
            order += [2 + k + i, 2 + i]
        x = F.transpose(x, tuple(order))
        return F.reshape(x, (0, 0) + (-3,) * k)  # (N, C, s1*f1, ..., sk*fk)


def _factor_tuple(factor, ndim):
    """``factor`` as ``ndim`` ints: one number stands for all the dimensions."""
    if isinstance(factor, numeric_types):
        factor = (factor,) * ndim
    factors = tuple(int(f) for f in factor)
    assert len(factors) == ndim, f'wrong length {len(factors)}'
    return factors


class PixelShuffle1D(_PixelShuffle):
    """Move channels into width: ``(N, f*C, W)`` becomes ``(N, C, W*f)``.

    >>> import d2lmini as mx
    >>> PixelShuffle1D(2)(mx.nd.arange(6).reshape((1, 2, 3)))
    <BLANKLINE>
    [[[0. 3. 1. 4. 2. 5.]]]
    <NDArray 1x1x6 @cpu(0)>
    """

    def __init__(self, factor):
        super().__init__((int(factor),))  # a single number

    def __repr__(self):
        return f'{type(self).__name__}({self._factors[0]})'


class PixelShuffle2D(_PixelShuffle):
    """Move channels into space (sub-pixel convolution's upsampling):
    ``(N, f1*f2*C, H, W)`` becomes ``(N, C, H*f1, W*f2)``; ``factor`` is a number
    or a pair ``(f1, f2)``.

    >>> import d2lmini as mx
    >>> PixelShuffle2D((2, 3))(mx.nd.zeros((1, 12, 3, 5))).shape
    (1, 2, 6, 15)
    """

    def __init__(self, factor):
        super().__init__(_factor_tuple(factor, 2))

    def __repr__(self):
        return f'{type(self).__name__}({self._factors})'


class PixelShuffle3D(_PixelShuffle):
    """Move channels into a volume: ``(N, f1*f2*f3*C, D, H, W)`` becomes
    ``(N, C, D*f1, H*f2, W*f3)``; ``factor`` is a number or a triple.

    >>> import d2lmini as mx
    >>> PixelShuffle3D((1, 2, 3))(mx.nd.zeros((1, 12, 2, 3, 4))).shape
    (1, 2, 2, 6, 12)
    """

    def __init__(self, factor):
        super().__init__(_factor_tuple(factor, 3))

    def __repr__(self):
        return f'{type(self).__name__}({self._factors})'


__all__ = ['Concurrent', 'HybridConcurrent', 'Identity', 'SparseEmbedding', 'SyncBatchNorm',
           'PixelShuffle1D', 'PixelShuffle2D', 'PixelShuffle3D']
