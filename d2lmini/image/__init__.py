"""``mx.image``: MXNet's image functions, augmenters and :class:`ImageIter`
(see :mod:`d2lmini.image.image`)."""
from .image import *  # noqa: F401,F403
from .image import __all__  # noqa: F401
from . import codec, resize  # noqa: F401
