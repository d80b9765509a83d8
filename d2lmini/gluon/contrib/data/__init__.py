"""``gluon.contrib.data``: an interval sampler and the WikiText language-modelling
datasets, as in MXNet 1.x.

>>> from d2lmini.gluon.contrib import data
>>> list(data.IntervalSampler(4, 2))
[0, 2, 1, 3]
"""
from . import sampler  # noqa: F401
from . import text  # noqa: F401
from .sampler import *  # noqa: F401,F403
