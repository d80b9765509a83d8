"""``gluon.model_zoo.vision``: the image classifiers of MXNet 1.x's zoo, built so
that their parameters carry MXNet's names and shapes; MXNet's ``.params`` files,
its pretrained ImageNet weights among them, load into them unchanged.

=========================  ===============================================
module                     networks
=========================  ===============================================
:mod:`.alexnet`            AlexNet
:mod:`.vgg`                VGG-11, 13, 16, 19, each with or without batch
                           normalisation
:mod:`.resnet`             ResNet V1 and V2, 18, 34, 50, 101, 152 layers
:mod:`.densenet`           DenseNet-121, 161, 169, 201
:mod:`.squeezenet`         SqueezeNet 1.0 and 1.1
:mod:`.mobilenet`          MobileNet and MobileNetV2, widths 0.25 to 1.0
:mod:`.inception`          Inception V3
=========================  ===============================================

Each network is a class taking its sizes (``ResNetV1``, ``DenseNet``, ...) and a
function per standard variant (``resnet18_v1``); :func:`get_model` finds the
function by the name the weights are stored under. The functions take
``classes`` (the width of the output layer) and ``pretrained=True`` to load
MXNet's weights (from :mod:`..model_store`, downloaded once, onto ``ctx``).
Those weights expect RGB images of at least 224x224 pixels (299 for Inception V3),
scaled to [0, 1] and normalised with mean ``(0.485, 0.456, 0.406)`` and standard
deviation ``(0.229, 0.224, 0.225)``.

Parameter names depend on how many networks were made before (``resnetv10_``,
``resnetv11_``, ...); a fresh :class:`~d2lmini.name.NameManager` counts from 0:

>>> import d2lmini as mx
>>> from d2lmini.gluon.model_zoo import vision
>>> with mx.name.NameManager():
...     net = vision.resnet18_v1(classes=10)
>>> net.initialize()
>>> net(mx.nd.ones((1, 3, 32, 32))).shape
(1, 10)
>>> sorted(net.collect_params())[:2]
['resnetv10_batchnorm0_beta', 'resnetv10_batchnorm0_gamma']
"""

from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403

from ..model_store import _model_sha1


def _function_name(stored_name):
    # the store's names, with the dots and the two exceptions mapped to Python's
    # identifiers: 'squeezenet1.1' -> squeezenet1_1, 'mobilenetv2_0.5' ->
    # mobilenet_v2_0_5, 'inceptionv3' -> inception_v3
    name = stored_name.replace('.', '_').replace('mobilenetv2', 'mobilenet_v2')
    return 'inception_v3' if name == 'inceptionv3' else name


# every network the store has weights for: its name there -> the function that builds it
_MODELS = {name: globals()[_function_name(name)] for name in _model_sha1}


def get_model(name, **kwargs):
    """The network whose weights the store keeps under ``name`` (any case:
    ``'resnet18_v1'``, ``'MobileNet0.5'``, ``'squeezenet1.1'``, ``'inceptionv3'``);
    ``kwargs`` go to its function (``classes``, ``pretrained``, ``ctx``, ``root``).
    An unknown name raises ``ValueError`` listing the known ones.

    >>> net = get_model('VGG11_bn', classes=10)
    >>> type(net).__name__, net.output
    ('VGG', Dense(None -> 10, linear))
    """
    name = name.lower()
    if name not in _MODELS:
        raise ValueError('Model %s is not supported. Available options are\n\t%s' % (
            name, '\n\t'.join(sorted(_MODELS))))
    return _MODELS[name](**kwargs)
