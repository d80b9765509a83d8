"""d2lmini: a small deep-learning framework, written to be read, with MXNet 1.x's API.

>>> import d2lmini as mx
>>> x = mx.nd.ones((2, 3), ctx=mx.cpu())
>>> (x * 2).sum()
<BLANKLINE>
[12.]
<NDArray 1 @cpu(0)>
"""
__version__ = '0.1.0'

from .base import MXNetError  # noqa: F401
from . import base, backend, context, ops  # noqa: F401
from .context import Context, cpu, gpu, cpu_pinned, num_gpus, current_context  # noqa: F401
from . import autograd  # noqa: F401
from . import ndarray  # noqa: F401
from . import ndarray as nd  # noqa: F401
from . import random  # noqa: F401
from . import initializer  # noqa: F401
from . import initializer as init  # noqa: F401
from . import test_utils  # noqa: F401
from . import optimizer, lr_scheduler, metric  # noqa: F401
from . import gluon  # noqa: F401
