"""``gluon.contrib.cnn``: convolution layers outside Gluon's core, as in MXNet 1.x:
the deformable convolutions (DCN v1 and v2).

>>> from d2lmini import gluon
>>> gluon.contrib.cnn.DeformableConvolution(8, kernel_size=(3, 3))
DeformableConvolution(None -> 8, kernel_size=(3, 3), stride=(1, 1))
"""
from .conv_layers import *  # noqa: F401,F403
from .conv_layers import __all__  # noqa: F401
