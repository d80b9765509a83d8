"""MXNet's ``mx.image`` for object detection: :class:`ImageDetIter` and the detection
augmenters, which change an image and its boxes together.

A detection label is a numpy array with one row per object, ``[class_id, xmin, ymin,
xmax, ymax, ...]``, the corners as fractions (0..1) of the image's width and height.
In a list file or a record the label of an image is stored flat, after a header:
``[header_width, object_width, ...header..., object 1, object 2, ...]``, for example
``[2, 5, 0, 0.1, 0.2, 0.5, 0.6]`` (a header of 2 numbers, objects of 5 numbers, one
object of class 0).

:class:`ImageDetIter` pads the labels of a batch with rows of -1 to the largest
number of objects it found in its data (``provide_label`` is
``(batch_size, max_objects, object_width)``).

>>> import numpy as np
>>> import d2lmini as mx
>>> label = np.array([[0, 0.1, 0.2, 0.5, 0.6]])
>>> img = mx.nd.zeros((10, 20, 3), dtype='uint8')
>>> _, flipped = DetHorizontalFlipAug(1.0)(img, label.copy())
>>> flipped.round(2).tolist()
[[0.0, 0.5, 0.2, 0.9, 0.6]]
"""
import json
import logging
import random
import warnings
from math import sqrt

import numpy as np

from .. import io
from .. import ndarray as nd
from ..base import numeric_types
from ..ndarray import NDArray
from .image import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug, ForceResizeAug,
                    HueJitterAug, ImageIter, LightingAug, RandomGrayAug, ResizeAug,
                    copyMakeBorder, fixed_crop)

__all__ = ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
           'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter',
           'CreateDetAugmenter', 'ImageDetIter']


def _range_pair(value, name, aug_name):
    """A ``(low, high)`` range; a single number stands for a fixed value."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    if not isinstance(value, numeric_types):
        raise TypeError(f'{aug_name}: {name} must be a number or a (low, high) pair, '
                        f'got {value!r}')
    logging.info('Using fixed %s: %s in %s', name, value, aug_name)
    return (value, value)


def _areas(boxes):
    """Areas of boxes ``[xmin, ymin, xmax, ymax, ...]`` (rows), 0 for empty ones."""
    heights = np.maximum(0, boxes[:, 3] - boxes[:, 1])
    widths = np.maximum(0, boxes[:, 2] - boxes[:, 0])
    return heights * widths


class DetAugmenter:
    """The base of detection augmenters: ``aug(image, label)`` returns the changed
    ``(image, label)``; the label is a numpy array of objects (module docstring)."""

    def __init__(self, **kwargs):
        # arrays as lists, so that dumps() can write them as JSON
        self._kwargs = {k: (v.asnumpy().tolist() if isinstance(v, NDArray)
                            else v.tolist() if isinstance(v, np.ndarray) else v)
                        for k, v in kwargs.items()}

    def dumps(self):
        """The augmenter as a JSON string: ``[name, parameters]``."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, src, label):
        raise NotImplementedError('a DetAugmenter must define __call__(src, label)')


class DetBorrowAug(DetAugmenter):
    """An image-only :class:`~d2lmini.image.Augmenter` used for detection: it changes
    the image and leaves the label alone (right for colour changes and for resizing,
    since box corners are fractions of the image size).

    >>> import d2lmini as mx
    >>> aug = DetBorrowAug(mx.image.ForceResizeAug((4, 2)))
    >>> img, label = aug(mx.nd.zeros((8, 8, 3), dtype='uint8'), np.zeros((1, 5)))
    >>> img.shape
    (2, 4, 3)
    """

    def __init__(self, augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError('DetBorrowAug borrows an image Augmenter, got '
                            f'{type(augmenter).__name__}')
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self):
        return [self.__class__.__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src, label):
        return (self.augmenter(src), label)


class DetRandomSelectAug(DetAugmenter):
    """Apply one augmenter of ``aug_list``, picked at random, or with probability
    ``skip_prob`` none (an empty list never changes anything)."""

    def __init__(self, aug_list, skip_prob=0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        for aug in aug_list:
            if not isinstance(aug, DetAugmenter):
                raise ValueError('Allow DetAugmenter in list only')
        if not aug_list:
            skip_prob = 1  # nothing to choose from
        self.aug_list = list(aug_list)
        self.skip_prob = skip_prob

    def dumps(self):
        return [self.__class__.__name__.lower(), [x.dumps() for x in self.aug_list]]

    def __call__(self, src, label):
        if random.random() < self.skip_prob:
            return (src, label)
        random.shuffle(self.aug_list)
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """Mirror the image and its boxes left to right with probability ``p``."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src, label):
        if random.random() < self.p:
            src = nd.flip(src, axis=1)
            self._flip_label(label)
        return (src, label)

    def _flip_label(self, label):
        """Mirror the boxes of ``label`` in place: xmin, xmax become 1 - xmax, 1 - xmin."""
        left = 1.0 - label[:, 3]
        label[:, 3] = 1.0 - label[:, 1]
        label[:, 1] = left


class DetRandomCropAug(DetAugmenter):
    """Crop a random region that keeps at least ``min_object_covered`` of every
    object it cuts into (SSD's sampling).

    The region's aspect ratio (width / height) is drawn from ``aspect_ratio_range``
    and its area, as a fraction of the image's, lies in ``area_range``; up to
    ``max_attempts`` regions are tried, and the image stays whole when none fits.
    Boxes are moved into the region's coordinates and clipped to it; an object of
    which no more than ``min_eject_coverage`` stays inside is dropped.
    """

    def __init__(self, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                 area_range=(0.05, 1.0), min_eject_coverage=0.3, max_attempts=50):
        aspect_ratio_range = _range_pair(aspect_ratio_range, 'aspect ratio',
                                         'DetRandomCropAug')
        area_range = _range_pair(area_range, 'area range', 'DetRandomCropAug')
        super().__init__(min_object_covered=min_object_covered,
                         aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage
        self.max_attempts = max_attempts
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.enabled = False
        if area_range[1] <= 0 or area_range[0] > area_range[1]:
            warnings.warn(f'Skip DetRandomCropAug due to invalid area_range: {area_range}')
        elif aspect_ratio_range[0] > aspect_ratio_range[1] or aspect_ratio_range[0] <= 0:
            warnings.warn('Skip DetRandomCropAug due to invalid aspect_ratio_range: '
                          f'{aspect_ratio_range}')
        else:
            self.enabled = True

    def __call__(self, src, label):
        crop = self._random_crop_proposal(label, src.shape[0], src.shape[1])
        if crop:
            x, y, w, h, label = crop
            src = fixed_crop(src, x, y, w, h, None)
        return (src, label)

    @staticmethod
    def _intersect(boxes, xmin, ymin, xmax, ymax):
        """``boxes`` clipped to the region; boxes outside it become all zeros."""
        left = np.maximum(boxes[:, 0], xmin)
        right = np.minimum(boxes[:, 2], xmax)
        top = np.maximum(boxes[:, 1], ymin)
        bot = np.minimum(boxes[:, 3], ymax)
        outside = np.logical_or(left >= right, top >= bot)
        out = boxes.copy()
        out[:, 0], out[:, 1], out[:, 2], out[:, 3] = left, top, right, bot
        out[outside, :] = 0
        return out

    def _check_satisfy_constraints(self, label, xmin, ymin, xmax, ymax, width, height):
        """Whether the region (in pixels) keeps enough of every object it touches."""
        if (xmax - xmin) * (ymax - ymin) < 2:
            return False
        x1, y1 = float(xmin) / width, float(ymin) / height
        x2, y2 = float(xmax) / width, float(ymax) / height
        object_areas = _areas(label[:, 1:])
        valid_objects = np.where(object_areas * width * height > 2)[0]
        if valid_objects.size < 1:
            return False
        intersects = self._intersect(label[valid_objects, 1:], x1, y1, x2, y2)
        coverages = _areas(intersects) / object_areas[valid_objects]
        coverages = coverages[coverages > 0]
        return coverages.size > 0 and np.amin(coverages) > self.min_object_covered

    def _update_labels(self, label, crop_box, height, width):
        """The objects in the coordinates of ``crop_box`` (x, y, w, h in pixels), or
        None when none stays."""
        xmin, ymin = float(crop_box[0]) / width, float(crop_box[1]) / height
        w, h = float(crop_box[2]) / width, float(crop_box[3]) / height
        out = label.copy()
        out[:, (1, 3)] -= xmin
        out[:, (2, 4)] -= ymin
        out[:, (1, 3)] /= w
        out[:, (2, 4)] /= h
        out[:, 1:5] = np.clip(out[:, 1:5], 0, 1)
        coverage = _areas(out[:, 1:]) * w * h / _areas(label[:, 1:])
        valid = np.logical_and(out[:, 3] > out[:, 1], out[:, 4] > out[:, 2])
        valid = np.where(np.logical_and(valid, coverage > self.min_eject_coverage))[0]
        if valid.size < 1:
            return None
        return out[valid, :]

    def _random_crop_proposal(self, label, height, width):
        """``(x, y, w, h, new_label)`` of a region that satisfies the constraints, or
        ``()``; the draws are MXNet's, from Python's :mod:`random`."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(sqrt(min_area / ratio)))
            max_h = int(round(sqrt(max_area / ratio)))
            if round(max_h * ratio) > width:
                # the largest height whose width, rounded, still fits
                max_h = int((width + 0.4999999) / ratio)
            max_h = min(max_h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            # rounding may leave the area just outside its range: one step back in
            area = w * h
            if area < min_area:
                h += 1
                w = int(round(h * ratio))
                area = w * h
            if area > max_area:
                h -= 1
                w = int(round(h * ratio))
                area = w * h
            if not (min_area <= area <= max_area and 0 <= w <= width and 0 <= h <= height):
                continue
            y = random.randint(0, max(0, height - h))
            x = random.randint(0, max(0, width - w))
            if self._check_satisfy_constraints(label, x, y, x + w, y + h, width, height):
                new_label = self._update_labels(label, (x, y, w, h), height, width)
                if new_label is not None:
                    return (x, y, w, h, new_label)
        return ()


class DetRandomPadAug(DetAugmenter):
    """Place the image at a random spot of a larger canvas filled with ``pad_val``
    (zooming out): the canvas's aspect ratio is drawn from ``aspect_ratio_range`` and
    its area, as a multiple of the image's, lies in ``area_range`` (above 1)."""

    def __init__(self, aspect_ratio_range=(0.75, 1.33), area_range=(1.0, 3.0),
                 max_attempts=50, pad_val=(128, 128, 128)):
        if not isinstance(pad_val, (list, tuple)):
            if not isinstance(pad_val, numeric_types):
                raise TypeError(f'DetRandomPadAug: pad_val must be a number or one per '
                                f'channel, got {pad_val!r}')
            pad_val = (pad_val,)
        aspect_ratio_range = _range_pair(aspect_ratio_range, 'aspect ratio',
                                         'DetRandomPadAug')
        area_range = _range_pair(area_range, 'area range', 'DetRandomPadAug')
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         max_attempts=max_attempts, pad_val=pad_val)
        self.pad_val = pad_val
        self.aspect_ratio_range = aspect_ratio_range
        self.area_range = area_range
        self.max_attempts = max_attempts
        self.enabled = False
        if area_range[1] <= 1.0 or area_range[0] > area_range[1]:
            warnings.warn(f'Skip DetRandomPadAug due to invalid parameters: {area_range}')
        elif aspect_ratio_range[0] <= 0 or aspect_ratio_range[0] > aspect_ratio_range[1]:
            warnings.warn('Skip DetRandomPadAug due to invalid aspect_ratio_range: '
                          f'{aspect_ratio_range}')
        else:
            self.enabled = True

    def __call__(self, src, label):
        height, width, _ = src.shape
        pad = self._random_pad_proposal(label, height, width)
        if pad:
            x, y, w, h, label = pad
            src = copyMakeBorder(src, y, h - y - height, x, w - x - width, 16,
                                 values=self.pad_val)
        return (src, label)

    @staticmethod
    def _update_labels(label, pad_box, height, width):
        out = label.copy()
        out[:, (1, 3)] = (out[:, (1, 3)] * width + pad_box[0]) / pad_box[2]
        out[:, (2, 4)] = (out[:, (2, 4)] * height + pad_box[1]) / pad_box[3]
        return out

    def _random_pad_proposal(self, label, height, width):
        """``(x, y, w, h, new_label)``: the canvas size and where the image goes."""
        if not self.enabled or height <= 0 or width <= 0:
            return ()
        min_area = self.area_range[0] * height * width
        max_area = self.area_range[1] * height * width
        for _ in range(self.max_attempts):
            ratio = random.uniform(*self.aspect_ratio_range)
            if ratio <= 0:
                continue
            h = int(round(sqrt(min_area / ratio)))
            max_h = int(round(sqrt(max_area / ratio)))
            if round(h * ratio) < width:
                h = int((width + 0.499999) / ratio)
            h = max(h, height)
            h = min(h, max_h)
            if h < max_h:
                h = random.randint(h, max_h)
            w = int(round(h * ratio))
            if (h - height) < 2 or (w - width) < 2:
                continue  # a padding of a pixel or two does not help
            y = random.randint(0, max(0, h - height))
            x = random.randint(0, max(0, w - width))
            return (x, y, w, h, self._update_labels(label, (x, y, w, h), height, width))
        return ()


def CreateMultiRandCropAugmenter(min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                                 area_range=(0.05, 1.0), min_eject_coverage=0.3,
                                 max_attempts=50, skip_prob=0):
    """One :class:`DetRandomCropAug` per set of parameters, one of them applied at
    random (:class:`DetRandomSelectAug`). Give a list for a parameter to vary it;
    single values are shared by all the crops.

    >>> aug = CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.5, 0.9])
    >>> len(aug.aug_list)
    3
    """
    params = [min_object_covered, aspect_ratio_range, area_range, min_eject_coverage,
              max_attempts]
    params = [p if isinstance(p, list) else [p] for p in params]
    count = max(len(p) for p in params)
    for p in params:
        if len(p) not in (1, count):
            raise ValueError(f'CreateMultiRandCropAugmenter: parameter lists must have '
                             f'1 or {count} elements, got {p!r}')
    params = [p * count if len(p) == 1 else p for p in params]
    augs = [DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=arr,
                             area_range=ar, min_eject_coverage=mec, max_attempts=ma)
            for moc, arr, ar, mec, ma in zip(*params)]
    return DetRandomSelectAug(augs, skip_prob=skip_prob)


def CreateDetAugmenter(data_shape, resize=0, rand_crop=0, rand_pad=0, rand_gray=0,
                       rand_mirror=False, mean=None, std=None, brightness=0, contrast=0,
                       saturation=0, pca_noise=0, hue=0, inter_method=2,
                       min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                       area_range=(0.05, 3.0), min_eject_coverage=0.3, max_attempts=50,
                       pad_val=(127, 127, 127)):
    """MXNet's standard list of detection augmenters for images of ``data_shape``
    (C, H, W): resize, random crop (with probability ``rand_crop``), mirror, random
    pad (probability ``rand_pad``), forced resize to ``data_shape``, cast to float32,
    colour jitter, hue, PCA noise, grey, normalise (``mean=True`` / ``std=True`` use
    ImageNet's values).

    >>> [type(a).__name__ for a in CreateDetAugmenter((3, 300, 300), rand_crop=0.5,
    ...                                               rand_mirror=True)]
    ['DetRandomSelectAug', 'DetHorizontalFlipAug', 'DetBorrowAug', 'DetBorrowAug']
    """
    auglist = []
    if resize > 0:
        auglist.append(DetBorrowAug(ResizeAug(resize, inter_method)))
    if rand_crop > 0:
        auglist.append(CreateMultiRandCropAugmenter(
            min_object_covered, aspect_ratio_range, area_range, min_eject_coverage,
            max_attempts, skip_prob=(1 - rand_crop)))
    if rand_mirror > 0:
        auglist.append(DetHorizontalFlipAug(0.5))
    # pad as late as possible: the larger canvas costs time in every later step
    if rand_pad > 0:
        pad_aug = DetRandomPadAug(aspect_ratio_range, (1.0, area_range[1]), max_attempts,
                                  pad_val)
        auglist.append(DetRandomSelectAug([pad_aug], 1 - rand_pad))
    auglist.append(DetBorrowAug(ForceResizeAug((data_shape[2], data_shape[1]), inter_method)))
    auglist.append(DetBorrowAug(CastAug()))
    if brightness or contrast or saturation:
        auglist.append(DetBorrowAug(ColorJitterAug(brightness, contrast, saturation)))
    if hue:
        auglist.append(DetBorrowAug(HueJitterAug(hue)))
    if pca_noise > 0:
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009],
                           [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        auglist.append(DetBorrowAug(LightingAug(pca_noise, eigval, eigvec)))
    if rand_gray > 0:
        auglist.append(DetBorrowAug(RandomGrayAug(rand_gray)))
    if mean is True:
        mean = np.array([123.68, 116.28, 103.53])
    elif mean is not None and not (isinstance(mean, (np.ndarray, NDArray))
                                   and mean.shape[0] in (1, 3)):
        raise ValueError('mean must be True or an array of 1 or 3 values')
    if std is True:
        std = np.array([58.395, 57.12, 57.375])
    elif std is not None and not (isinstance(std, (np.ndarray, NDArray))
                                  and std.shape[0] in (1, 3)):
        raise ValueError('std must be True or an array of 1 or 3 values')
    if mean is not None or std is not None:
        auglist.append(DetBorrowAug(ColorNormalizeAug(mean, std)))
    return auglist


class ImageDetIter(ImageIter):
    """Batches of images and their object boxes, for detection: data
    ``(batch_size, C, H, W)`` float32 and labels ``(batch_size, max_objects,
    object_width)``, rows of -1 after an image's objects.

    The images come from a RecordIO file (``path_imgrec``), a list file
    (``path_imglist``: index, flat label, path, separated by tabs) or ``imglist``
    (``[flat label..., path]`` per image), as for :class:`~d2lmini.image.ImageIter`;
    the flat labels are described in the module docstring. Without ``aug_list`` the
    augmenters are :func:`CreateDetAugmenter` ``(data_shape, **kwargs)``.

    >>> import os, tempfile
    >>> import d2lmini as mx
    >>> from d2lmini.image import codec
    >>> root = tempfile.mkdtemp()
    >>> with open(os.path.join(root, 'a.png'), 'wb') as f:
    ...     _ = f.write(codec.encode(np.zeros((20, 30, 3), np.uint8), '.png'))
    >>> imglist = [[2, 5, 0, 0.1, 0.1, 0.5, 0.5, 1, 0.2, 0.2, 0.9, 0.8, 'a.png'],
    ...            [2, 5, 1, 0.3, 0.3, 0.6, 0.6, 'a.png']]
    >>> it = ImageDetIter(2, (3, 16, 16), imglist=imglist, path_root=root)
    >>> it.provide_label
    [('label', (2, 2, 5))]
    >>> batch = it.next()
    >>> batch.label[0][1].asnumpy()[1].tolist()
    [-1.0, -1.0, -1.0, -1.0, -1.0]
    """

    def __init__(self, batch_size, data_shape, path_imgrec=None, path_imglist=None,
                 path_root=None, path_imgidx=None, shuffle=False, part_index=0,
                 num_parts=1, aug_list=None, imglist=None, data_name='data',
                 label_name='label', last_batch_handle='pad', **kwargs):
        super().__init__(batch_size=batch_size, data_shape=data_shape,
                         path_imgrec=path_imgrec, path_imglist=path_imglist,
                         path_root=path_root, path_imgidx=path_imgidx, shuffle=shuffle,
                         part_index=part_index, num_parts=num_parts, aug_list=[],
                         imglist=imglist, data_name=data_name, label_name=label_name,
                         last_batch_handle=last_batch_handle)
        self.auglist = CreateDetAugmenter(data_shape, **kwargs) if aug_list is None \
            else aug_list
        # every label is read once to find the largest number of objects
        label_shape = self._estimate_label_shape()
        self.provide_label = [(label_name, (self.batch_size,) + label_shape)]
        self.label_shape = label_shape

    def _check_valid_label(self, label):
        """Raise RuntimeError unless ``label`` has a valid object left."""
        if len(label.shape) != 2 or label.shape[1] < 5:
            raise RuntimeError(f'Label with shape (1+, 5+) required, {label} received.')
        valid = np.logical_and(label[:, 0] >= 0, label[:, 3] > label[:, 1])
        valid = np.logical_and(valid, label[:, 4] > label[:, 2])
        if not valid.any():
            raise RuntimeError('Invalid label occurs.')

    def _estimate_label_shape(self):
        """``(max_objects, object_width)`` over all the labels."""
        max_count, width = 0, None
        self.reset()
        try:
            while True:
                label, _ = self.next_sample()
                label = self._parse_label(label)
                max_count = max(max_count, label.shape[0])
                width = label.shape[1]
        except StopIteration:
            pass
        self.reset()
        if width is None:
            raise RuntimeError('ImageDetIter found no images to read labels from')
        return (max_count, width)

    def _parse_label(self, label):
        """A flat label (header, objects) as an array of its valid objects."""
        raw = (label.asnumpy() if isinstance(label, NDArray) else np.asarray(label)).ravel()
        if raw.size < 7:
            raise RuntimeError(f'Label shape is invalid: {raw.shape}')
        header_width, obj_width = int(raw[0]), int(raw[1])
        if obj_width < 5 or (raw.size - header_width) % obj_width != 0:
            raise RuntimeError(f'Label shape {raw.shape} inconsistent with annotation '
                               f'width {obj_width}.')
        out = np.reshape(raw[header_width:], (-1, obj_width)).astype(np.float64)
        valid = np.logical_and(out[:, 3] > out[:, 1], out[:, 4] > out[:, 2])
        if not valid.any():
            raise RuntimeError('Encounter sample with no valid label.')
        return out[valid, :]

    def reshape(self, data_shape=None, label_shape=None):
        """Change the data shape ``(C, H, W)`` or the label shape
        ``(max_objects, object_width)`` of later batches."""
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.provide_data = [(self.provide_data[0][0], (self.batch_size,)
                                  + tuple(data_shape))]
            self.data_shape = tuple(data_shape)
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.provide_label = [(self.provide_label[0][0], (self.batch_size,)
                                   + tuple(label_shape))]
            self.label_shape = tuple(label_shape)

    def check_label_shape(self, label_shape):
        """Raise ValueError unless ``label_shape`` can hold every label."""
        if len(label_shape) != 2:
            raise ValueError('label_shape should have length 2')
        if label_shape[0] < self.label_shape[0]:
            raise ValueError(f'Attempts to reduce label count from {self.label_shape[0]} '
                             f'to {label_shape[0]}, not allowed.')
        if label_shape[1] != self.provide_label[0][1][2]:
            raise ValueError(f'label_shape object width inconsistent: '
                             f'{self.provide_label[0][1][2]} vs {label_shape[1]}.')

    def _batchify(self, batch_data, batch_label, start=0):
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image([data])
                    label = self._parse_label(label)
                    data, label = self.augmentation_transform(data, label)
                    self._check_valid_label(label)
                except RuntimeError as e:
                    logging.debug('Invalid image, skipping:  %s', str(e))
                    continue
                batch_data[i] = self.postprocess_data(data)
                num_objects = label.shape[0]
                batch_label[i, :num_objects] = label
                batch_label[i, num_objects:] = -1
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def _empty_labels(self):
        # -1 marks the rows of a batch's label that no object fills
        return np.full(self.provide_label[0][1], -1, np.float32)

    def _label_dtype(self):
        return np.float32

    def augmentation_transform(self, data, label):  # pylint: disable=arguments-differ
        """``(data, label)`` passed through every detection augmenter."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return (data, label)

    def sync_label_shape(self, it, verbose=False):
        """Give this iterator and ``it`` (another ImageDetIter, say for validation) the
        same label shape, the larger of the two; returns ``it``."""
        if not isinstance(it, ImageDetIter):
            raise TypeError('Synchronize with invalid iterator.')
        train_shape, val_shape = self.label_shape, it.label_shape
        if train_shape[1] != val_shape[1]:
            raise ValueError(f'object width mismatch: {train_shape[1]} vs {val_shape[1]}')
        max_count = max(train_shape[0], val_shape[0])
        if max_count > train_shape[0]:
            self.reshape(None, (max_count, train_shape[1]))
        if max_count > val_shape[0]:
            it.reshape(None, (max_count, val_shape[1]))
        if verbose and max_count > min(train_shape[0], val_shape[0]):
            logging.info('Resized label_shape to (%d, %d).', max_count, train_shape[1])
        return it
