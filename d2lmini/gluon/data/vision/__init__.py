"""``gluon.data.vision``: image datasets and transforms.

>>> from d2lmini.gluon.data import vision
>>> train = vision.Digits(train=True)          # or vision.FashionMNIST(train=True)
>>> train = train.transform_first(vision.transforms.ToTensor())
>>> image, label = train[0]
>>> image.shape
(1, 8, 8)
"""
from .datasets import (MNIST, FashionMNIST, CIFAR10, CIFAR100, Digits,  # noqa: F401
                       ImageRecordDataset, ImageFolderDataset)
from . import transforms  # noqa: F401
