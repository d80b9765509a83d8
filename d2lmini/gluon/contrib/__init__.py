"""``gluon.contrib``: layers outside Gluon's core, as in MXNet 1.x.

>>> from d2lmini import gluon
>>> gluon.contrib.nn.Identity()
Identity(
<BLANKLINE>
)
"""
from . import nn  # noqa: F401
from . import rnn  # noqa: F401
from . import estimator  # noqa: F401
from . import data  # noqa: F401
from . import cnn  # noqa: F401
