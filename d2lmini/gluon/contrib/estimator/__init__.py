"""``gluon.contrib.estimator``: a ready-made training loop (MXNet 1.6+).

An :class:`Estimator` holds a network, its loss, metrics and trainer; ``fit`` runs
the loop, and event handlers (logging, validation, checkpoints, early stopping) do
the work around each step. See :mod:`.event_handler` for writing new ones.

>>> from d2lmini.gluon.contrib import estimator
>>> estimator.Estimator.fit.__name__
'fit'
"""
from . import batch_processor, estimator, event_handler, utils  # noqa: F401
from .batch_processor import *  # noqa: F401,F403
from .estimator import *  # noqa: F401,F403
from .event_handler import *  # noqa: F401,F403
