"""``mx.contrib.svrg_optimization``: training with SVRG, stochastic variance-reduced
gradient, as MXNet 1.x's package of that name. :mod:`svrg_module
<d2lmini.contrib.svrg_optimization.svrg_module>` holds
:class:`~d2lmini.contrib.svrg_optimization.svrg_module.SVRGModule`;
:mod:`svrg_optimizer <d2lmini.contrib.svrg_optimization.svrg_optimizer>` the
optimizers it runs in a KVStore.

>>> import d2lmini as mx
>>> from d2lmini.contrib.svrg_optimization.svrg_module import SVRGModule
>>> SVRGModule is mx.contrib.svrg_optimization.svrg_module.SVRGModule
True
"""
from . import svrg_optimizer  # noqa: F401
from . import svrg_module  # noqa: F401
