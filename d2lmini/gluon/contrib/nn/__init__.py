"""``gluon.contrib.nn``: containers that run their children side by side, the
identity, pixel shuffling, and the single-process forms of MXNet's sparse and
synchronised layers."""
from .basic_layers import *  # noqa: F401,F403
