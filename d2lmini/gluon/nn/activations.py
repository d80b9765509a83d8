"""Activation layers: element-wise non-linearities as blocks.

Most of them have no parameters and simply call an operator: ``Activation`` calls
``F.Activation`` (relu, sigmoid, tanh, softrelu, softsign), the leaky family calls
``F.LeakyReLU`` with the matching ``act_type``. ``PReLU`` learns its negative slope.

>>> import d2lmini as mx
>>> from d2lmini.gluon import nn
>>> nn.LeakyReLU(0.1)(mx.nd.array([-10, 5]))
<BLANKLINE>
[-1.  5.]
<NDArray 2 @cpu(0)>
"""
from ... import initializer
from ..block import HybridBlock


class Activation(HybridBlock):
    """Apply the activation ``activation`` ('relu', 'sigmoid', 'tanh', 'softrelu'
    or 'softsign') element-wise. The block is named after it (``relu0``).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> nn.Activation('relu')(mx.nd.array([-1, 2]))
    <BLANKLINE>
    [0. 2.]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, activation, prefix=None, params=None):
        # set before Block.__init__, which asks _alias() for the block's name
        self._act_type = activation
        super().__init__(prefix=prefix, params=params)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name='fwd')

    def __repr__(self):
        return f'{type(self).__name__}({self._act_type})'


class LeakyReLU(HybridBlock):
    """``x`` where ``x >= 0``, ``alpha * x`` elsewhere: a small slope keeps some
    gradient flowing for negative inputs."""

    def __init__(self, alpha, prefix=None, params=None):
        if alpha < 0:
            raise ValueError('Slope coefficient for LeakyReLU must be no less than 0.')
        super().__init__(prefix=prefix, params=params)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='leaky', slope=self._alpha, name='fwd')

    def __repr__(self):
        return f'{type(self).__name__}({self._alpha})'


class PReLU(HybridBlock):
    """A leaky ReLU whose slope ``alpha`` is learned (one per channel, or a single
    one shared by all channels with the default ``in_channels=1``).

    >>> import d2lmini as mx
    >>> from d2lmini.gluon import nn
    >>> layer = nn.PReLU()
    >>> layer.initialize()
    >>> layer(mx.nd.array([-4, 4]))          # alpha starts at 0.25
    <BLANKLINE>
    [-1.  4.]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self, alpha_initializer=initializer.Constant(0.25), in_channels=1,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.alpha = self.params.get('alpha', shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type='prelu', name='fwd')


class ELU(HybridBlock):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)``
    otherwise (smooth at 0 when ``alpha`` is 1)."""

    def __init__(self, alpha=1.0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='elu', slope=self._alpha)


class SELU(HybridBlock):
    """Scaled ELU, with the constants that keep activations near zero mean and
    unit variance through many layers."""

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='selu', name='fwd')


class GELU(HybridBlock):
    """Gaussian error linear unit: ``x * Phi(x)``, ``Phi`` the normal CDF."""

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type='gelu', name='fwd')


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``."""

    def __init__(self, beta=1.0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name='fwd')


__all__ = ['Activation', 'LeakyReLU', 'PReLU', 'ELU', 'SELU', 'GELU', 'Swish']
