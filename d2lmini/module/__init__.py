"""``mx.mod``: MXNet 1.x's Module, which trains a Symbol with data iterators.

>>> import numpy as np
>>> import d2lmini as mx
>>> net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
>>> net = mx.sym.SoftmaxOutput(net, name='softmax')
>>> it = mx.io.NDArrayIter(np.random.rand(8, 4), np.arange(8) % 3, batch_size=4)
>>> mod = mx.mod.Module(net)
>>> mod.fit(it, num_epoch=1)
>>> mod.predict(it).shape
(8, 3)
"""
from .base_module import BaseModule  # noqa: F401
from .module import Module  # noqa: F401
from .bucketing_module import BucketingModule  # noqa: F401
from .sequential_module import SequentialModule  # noqa: F401
from .python_module import PythonModule, PythonLossModule  # noqa: F401

__all__ = ['BaseModule', 'Module', 'BucketingModule', 'SequentialModule', 'PythonModule',
           'PythonLossModule']
