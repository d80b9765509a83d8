"""``mx.image``: MXNet's image functions, augmenters and :class:`ImageIter`
(see :mod:`d2lmini.image.image`), and the object-detection augmenters and
:class:`ImageDetIter` (see :mod:`d2lmini.image.detection`, also ``mx.image.det``)."""
from . import image as _image, detection as _detection
from .image import *  # noqa: F401,F403
from .detection import *  # noqa: F401,F403
from . import codec, resize, detection  # noqa: F401

det = detection
__all__ = _image.__all__ + _detection.__all__
