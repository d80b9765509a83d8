"""``gluon.model_zoo``: predefined networks (:mod:`.vision`) and the store of their
pretrained weights (:mod:`.model_store`), as in MXNet 1.x.

>>> from d2lmini.gluon.model_zoo import vision
>>> type(vision.get_model('alexnet', classes=10)).__name__
'AlexNet'
"""
from . import model_store  # noqa: F401
from . import vision  # noqa: F401
