"""The operator registry and every operator d2lmini defines.

Importing this package fills :data:`registry.OPS`; the front ends (``mx.nd`` now,
``mx.sym`` later) build their functions from it. The modules follow the book: plain
array math first, then the neural-network layers of chapters 3 to 8.
"""
from .registry import OPS, Op, register, get  # noqa: F401
from . import creation, elemwise, indexing, reduce, shape, sort, linalg, random  # noqa: F401
from . import (fully_connected, activation, dropout, convolution, pooling,  # noqa: F401
               normalization, embedding, upsampling, output)
from . import update  # noqa: F401,E402
from . import sequence, gather, contrib  # noqa: F401,E402
from . import ctc  # noqa: F401,E402
from . import spatial, local_norm, losses  # noqa: F401,E402
from . import special, stats, multi_tensor, densities  # noqa: F401,E402
from . import rnn  # noqa: F401,E402
from . import control_flow  # noqa: F401,E402

from . import detection  # noqa: F401,E402
from . import deformable  # noqa: F401,E402
from . import image  # noqa: F401,E402
from .. import operator as _custom  # noqa: F401,E402  (Custom: operators written in Python)
from . import extra_ops  # noqa: F401,E402
