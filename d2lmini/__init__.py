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
from .context import Context, cpu, gpu, cpu_pinned, cpu_shared, num_gpus, current_context  # noqa: F401
from . import autograd  # noqa: F401
from . import ndarray  # noqa: F401
from . import ndarray as nd  # noqa: F401
from . import random  # noqa: F401
from . import symbol  # noqa: F401
from . import symbol as sym  # noqa: F401
from .symbol import AttrScope  # noqa: F401
from . import visualization  # noqa: F401
from . import visualization as viz  # noqa: F401
from . import initializer  # noqa: F401
from . import initializer as init  # noqa: F401
from . import test_utils  # noqa: F401
from . import optimizer, lr_scheduler, metric  # noqa: F401
from . import kvstore  # noqa: F401
from . import kvstore as kv  # noqa: F401
from . import gluon  # noqa: F401
from . import io  # noqa: F401
from . import recordio  # noqa: F401
from . import image  # noqa: F401
from . import image as img  # noqa: F401
from . import model  # noqa: F401
from . import callback  # noqa: F401
from . import monitor  # noqa: F401
from . import monitor as mon  # noqa: F401
from . import module as mod  # noqa: F401
from . import contrib  # noqa: F401
from . import rnn  # noqa: F401
from . import operator  # noqa: F401
from . import util  # noqa: F401
from . import attribute  # noqa: F401
from . import profiler  # noqa: F401
from . import engine  # noqa: F401
from .util import np_shape, use_np_shape, is_np_shape, set_np_shape  # noqa: F401
