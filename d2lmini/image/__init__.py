"""``mx.image``: MXNet's image functions, augmenters and :class:`ImageIter`
(see :mod:`d2lmini.image.image`), and :class:`ImageDetIter` with the detection
augmenters (:mod:`d2lmini.image.detection`)."""
from .image import *  # noqa: F401,F403
from .image import __all__ as _image_all
from .detection import *  # noqa: F401,F403
from .detection import __all__ as _detection_all
from . import codec, resize  # noqa: F401
from . import detection as det  # noqa: F401  (MXNet's short name)

__all__ = _image_all + _detection_all
