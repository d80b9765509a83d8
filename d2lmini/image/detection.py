"""MXNet's object-detection pipeline: augmenters that move the bounding boxes along
with the pixels, and :class:`ImageDetIter`, which batches images with their boxes.

**Labels.** An image's raw label (in a ``.lst`` file, an ``imglist`` entry or a
RecordIO header) is a flat list::

    [header_len, object_width, (more header...), cls, xmin, ymin, xmax, ymax, (extra...), ...]

``header_len`` values of header come first (at least the two shown), then one group
of ``object_width`` (at least 5) values per object: its class and its box, with
coordinates as fractions of the image's width and height, so that they survive
resizing. An augmenter sees the objects as a numpy array ``(n, object_width)`` and
returns the new array; a batch's label is ``(batch_size, max_objects,
object_width)``, rows past an image's last object filled with -1.

>>> import numpy as np
>>> import d2lmini as mx
>>> objects = np.array([[3, 0.1, 0.2, 0.5, 0.6]], dtype=np.float32)
>>> image = mx.nd.zeros((20, 30, 3), dtype='uint8')
>>> _, flipped = DetHorizontalFlipAug(1)(image, objects)
>>> flipped.astype(float).round(2).tolist()
[[3.0, 0.5, 0.2, 0.9, 0.6]]
"""
import json
import logging
import random
import warnings

import numpy as np

from .. import ndarray as nd
from .. import recordio
from ..ndarray import NDArray
from .image import (Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug, ForceResizeAug,
                    HueJitterAug, ImageIter, LightingAug, RandomGrayAug, ResizeAug,
                    copyMakeBorder, fixed_crop, _IMAGENET_EIGVAL, _IMAGENET_EIGVEC,
                    _IMAGENET_MEAN, _IMAGENET_STD, _channel_stats, _json_ready)

__all__ = ['DetAugmenter', 'DetBorrowAug', 'DetRandomSelectAug', 'DetHorizontalFlipAug',
           'DetRandomCropAug', 'DetRandomPadAug', 'CreateMultiRandCropAugmenter',
           'CreateDetAugmenter', 'ImageDetIter']

# columns of an object row
_CLS, _XMIN, _YMIN, _XMAX, _YMAX = range(5)
_BOX = slice(_XMIN, _YMAX + 1)


# ------------------------------------------------------------------ box arithmetic
# A region is (left, top, right, bottom) in the same normalised coordinates as the
# boxes: (0, 0, 1, 1) is the whole image.

def box_coverage(objects, region):
    """For each object, the fraction of its box's area that lies inside ``region``
    (0 for a box of no area).

    >>> objects = np.array([[0, 0.0, 0.0, 0.4, 0.4], [1, 0.5, 0.5, 1.0, 1.0]])
    >>> box_coverage(objects, (0.2, 0.0, 1.0, 1.0)).tolist()
    [0.5, 1.0]
    """
    boxes = np.asarray(objects, dtype=np.float64)[:, _BOX]
    left, top, right, bottom = region
    inside_w = np.clip(np.minimum(boxes[:, 2], right) - np.maximum(boxes[:, 0], left), 0, None)
    inside_h = np.clip(np.minimum(boxes[:, 3], bottom) - np.maximum(boxes[:, 1], top), 0, None)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(areas > 0, inside_w * inside_h / areas, 0.0)


def _reframe(objects, region):
    """``objects`` with their boxes re-expressed in the frame of ``region`` (whose
    corners become (0, 0) and (1, 1)); computed in float64, returned in the input's
    dtype."""
    out = np.array(objects, dtype=np.float64)
    left, top, right, bottom = region
    out[:, [_XMIN, _XMAX]] = (out[:, [_XMIN, _XMAX]] - left) / (right - left)
    out[:, [_YMIN, _YMAX]] = (out[:, [_YMIN, _YMAX]] - top) / (bottom - top)
    return out


def crop_objects(objects, region, min_eject_coverage):
    """The objects seen through the crop ``region``: boxes clipped to it, in its
    frame, and those with less than ``min_eject_coverage`` of their area inside (or
    none at all) dropped.

    >>> objects = np.array([[0, 0.0, 0.0, 0.4, 0.4], [1, 0.25, 0.5, 0.75, 1.0]])
    >>> crop_objects(objects, (0.5, 0.0, 1.0, 1.0), 0.4).tolist()
    [[1.0, 0.0, 0.5, 0.5, 1.0]]
    """
    coverage = box_coverage(objects, region)
    kept = (coverage > 0) & (coverage >= min_eject_coverage)
    out = _reframe(np.asarray(objects)[kept], region)
    out[:, _BOX] = np.clip(out[:, _BOX], 0.0, 1.0)
    return out.astype(np.asarray(objects).dtype)


def pad_objects(objects, image_size, canvas_box):
    """The objects of an image of ``image_size`` (w, h) placed on a larger canvas at
    ``canvas_box`` (x, y, canvas width, canvas height), in the canvas's frame.

    >>> pad_objects(np.array([[0, 0.0, 0.0, 1.0, 1.0]]), (10, 10), (5, 0, 20, 10)).tolist()
    [[0.0, 0.25, 0.0, 0.75, 1.0]]
    """
    width, height = image_size
    x, y, canvas_w, canvas_h = canvas_box
    # the canvas, in the original image's frame
    region = (-x / width, -y / height, (canvas_w - x) / width, (canvas_h - y) / height)
    return _reframe(objects, region).astype(np.asarray(objects).dtype)


# ------------------------------------------------------------------ augmenters
class DetAugmenter:
    """The base of the detection augmenters: ``aug(image, objects)`` returns the
    new ``(image, objects)``; :meth:`dumps` describes it as JSON, as
    :class:`~d2lmini.image.Augmenter` does."""

    def __init__(self, **kwargs):
        self._kwargs = {name: _json_ready(value) for name, value in kwargs.items()}

    def dumps(self):
        """``[class name in lower case, arguments]`` as a JSON string."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, src, label):
        raise NotImplementedError('Must override implementation.')


class DetBorrowAug(DetAugmenter):
    """A classification :class:`~d2lmini.image.Augmenter` (resizing, colour, ...) that
    leaves the boxes where they are, applied to the image only.

    >>> aug = DetBorrowAug(CastAug())
    >>> aug.dumps()
    ['detborrowaug', '["castaug", {"type": "float32"}]']
    """

    def __init__(self, augmenter):
        if not isinstance(augmenter, Augmenter):
            raise TypeError('Borrowing from invalid Augmenter')
        super().__init__(augmenter=augmenter.dumps())
        self.augmenter = augmenter

    def dumps(self):
        return [type(self).__name__.lower(), self.augmenter.dumps()]

    def __call__(self, src, label):
        return self.augmenter(src), label


class DetRandomSelectAug(DetAugmenter):
    """One of ``aug_list``, picked at random on each call (the list is shuffled in
    place, as in MXNet 1.x); with probability ``skip_prob`` none of them (the input
    comes back unchanged)."""

    def __init__(self, aug_list, skip_prob=0):
        super().__init__(skip_prob=skip_prob)
        if not isinstance(aug_list, (list, tuple)):
            aug_list = [aug_list]
        if not all(isinstance(aug, DetAugmenter) for aug in aug_list):
            raise ValueError('Allow DetAugmenter in list only')
        self.aug_list = list(aug_list)
        self.skip_prob = skip_prob

    def dumps(self):
        return [type(self).__name__.lower(), [aug.dumps() for aug in self.aug_list]]

    def __call__(self, src, label):
        if not self.aug_list or random.random() < self.skip_prob:
            return src, label
        # as in MXNet 1.x: shuffle the list in place, then apply its first augmenter
        random.shuffle(self.aug_list)
        return self.aug_list[0](src, label)


class DetHorizontalFlipAug(DetAugmenter):
    """With probability ``p``, mirror the image left to right, and the boxes with it."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src, label):
        if random.random() >= self.p:
            return src, label
        flipped = np.array(label, copy=True)
        # the left edge comes from the right edge's mirror image, and vice versa
        flipped[:, _XMIN] = 1.0 - label[:, _XMAX]
        flipped[:, _XMAX] = 1.0 - label[:, _XMIN]
        return nd.flip(src, axis=1), flipped


def _is_range(pair):
    return len(pair) == 2 and pair[0] <= pair[1]


def _draw_crop_size(width, height, area_range, aspect_ratio_range):
    """A crop size (w, h) in pixels: the aspect ratio w / h uniformly from
    ``aspect_ratio_range``, then the height uniformly among those that give an area
    in ``area_range`` (fractions of the image's) and fit the image (the sizes come
    out distributed as MXNet 1.x's); None when no height does."""
    ratio = random.uniform(*aspect_ratio_range)
    image_area = width * height
    lowest = np.sqrt(area_range[0] * image_area / ratio)
    highest = min(np.sqrt(area_range[1] * image_area / ratio), height, width / ratio)
    if lowest > highest:
        return None
    crop_h = int(round(random.uniform(lowest, highest)))
    return int(round(crop_h * ratio)), crop_h


def _draw_canvas_size(width, height, area_range, aspect_ratio_range):
    """A canvas size (w, h) in pixels for padding: the aspect ratio w / h uniformly
    from ``aspect_ratio_range``, then the area uniformly among those in
    ``area_range`` (multiples of the image's) at which the canvas holds the image
    (the sizes come out distributed as MXNet 1.x's); None when none does."""
    ratio = random.uniform(*aspect_ratio_range)
    image_area = width * height
    # the canvas holds the image when its height is at least height and width / ratio
    least = max(area_range[0] * image_area, max(height, width / ratio) ** 2 * ratio)
    most = area_range[1] * image_area
    if least > most:
        return None
    canvas_h = int(np.ceil(np.sqrt(random.uniform(least, most) / ratio)))
    return int(np.ceil(canvas_h * ratio)), canvas_h


class _SamplingAug(DetAugmenter):
    """An augmenter that draws up to ``max_attempts`` proposals and applies the first
    one that is acceptable; when none is, or when its parameters are invalid
    (``enabled`` False, with a warning), the input comes back unchanged."""

    def __init__(self, **settings):
        super().__init__(**settings)
        aspect_ratio_range = self.aspect_ratio_range = settings['aspect_ratio_range']
        area_range = self.area_range = settings['area_range']
        self.max_attempts = settings['max_attempts']
        self.enabled = (_is_range(aspect_ratio_range) and aspect_ratio_range[0] > 0
                        and _is_range(area_range) and self._area_range_ok(area_range))
        if not self.enabled:
            warnings.warn(f'Skip {type(self).__name__} due to invalid parameters: '
                          f'aspect_ratio_range={aspect_ratio_range}, area_range={area_range}')

    def __call__(self, src, label):
        if self.enabled:
            height, width = src.shape[:2]
            for _ in range(self.max_attempts):
                result = self._attempt(src, label, width, height)
                if result is not None:
                    return result
        return src, label


class DetRandomCropAug(_SamplingAug):
    """Crop a random region (its area a fraction of the image's drawn from
    ``area_range``, its aspect ratio w / h from ``aspect_ratio_range``) that keeps the
    objects recognisable.

    A region is acceptable when every object it reaches has at least
    ``min_object_covered`` of its area inside, and at least one object keeps
    ``min_eject_coverage`` of its area; the objects below ``min_eject_coverage`` are
    dropped, the others clipped to the region. After ``max_attempts`` unacceptable
    regions the input comes back unchanged.

    >>> import d2lmini as mx
    >>> objects = np.array([[0, 0.2, 0.2, 0.8, 0.8]], dtype=np.float32)
    >>> aug = DetRandomCropAug(min_object_covered=0.9, area_range=(0.3, 1.0))
    >>> image, cropped = aug(mx.nd.zeros((40, 40, 3), dtype='uint8'), objects)
    >>> cropped.shape, bool(((cropped[:, 1:] >= 0) & (cropped[:, 1:] <= 1)).all())
    ((1, 5), True)
    """

    def __init__(self, min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                 area_range=(0.05, 1.0), min_eject_coverage=0.3, max_attempts=50):
        super().__init__(min_object_covered=min_object_covered,
                         aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         min_eject_coverage=min_eject_coverage, max_attempts=max_attempts)
        self.min_object_covered = min_object_covered
        self.min_eject_coverage = min_eject_coverage

    @staticmethod
    def _area_range_ok(area_range):
        return area_range[0] >= 0  # above 1 simply never fits: no crop

    def _acceptable(self, coverage):
        """Whether a region with these object coverages may be used."""
        reached = coverage > 0
        return (reached.any() and (coverage[reached] >= self.min_object_covered).all()
                and (coverage[reached] >= self.min_eject_coverage).any())

    def _attempt(self, src, label, width, height):
        size = _draw_crop_size(width, height, self.area_range, self.aspect_ratio_range)
        if size is None or not (0 < size[0] <= width and 0 < size[1] <= height):
            return None
        crop_w, crop_h = size
        x0 = random.randint(0, width - crop_w)
        y0 = random.randint(0, height - crop_h)
        region = (x0 / width, y0 / height, (x0 + crop_w) / width, (y0 + crop_h) / height)
        if not self._acceptable(box_coverage(label, region)):
            return None
        return (fixed_crop(src, x0, y0, crop_w, crop_h),
                crop_objects(label, region, self.min_eject_coverage))


class DetRandomPadAug(_SamplingAug):
    """Place the image at a random spot on a larger canvas filled with ``pad_val``
    (one value per channel, or one for all channels, where MXNet 1.x fills the
    first channel only), its area ``area_range`` times the
    image's (so at least 1) and its aspect ratio w / h from ``aspect_ratio_range``;
    the boxes shrink with the image. After ``max_attempts`` canvas sizes that do not
    hold the image, the input comes back unchanged.

    >>> import d2lmini as mx
    >>> objects = np.array([[0, 0.0, 0.0, 1.0, 1.0]], dtype=np.float32)
    >>> image, padded = DetRandomPadAug(area_range=(2.0, 3.0))(mx.nd.zeros((20, 20, 3)), objects)
    >>> image.shape[0] > 20 or image.shape[1] > 20, padded.shape
    (True, (1, 5))
    """

    def __init__(self, aspect_ratio_range=(0.75, 1.33), area_range=(1.0, 3.0),
                 max_attempts=50, pad_val=(128, 128, 128)):
        super().__init__(aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                         max_attempts=max_attempts, pad_val=pad_val)
        self.pad_val = pad_val

    @staticmethod
    def _area_range_ok(area_range):
        return area_range[0] >= 1.0  # a canvas smaller than the image cannot hold it

    def _fill_values(self, channels):
        """The canvas colour, one value per channel (a single number fills all)."""
        values = np.atleast_1d(np.asarray(self.pad_val, dtype=np.float64))
        if values.size == 1:
            return [float(values[0])] * channels
        if values.size < channels:
            raise ValueError(f'pad_val {self.pad_val} has fewer values than the image\'s '
                             f'{channels} channels')
        return values[:channels].tolist()

    def _attempt(self, src, label, width, height):
        size = _draw_canvas_size(width, height, self.area_range, self.aspect_ratio_range)
        if size is None or size[0] < width or size[1] < height:
            return None
        canvas_w, canvas_h = size
        y0 = random.randint(0, canvas_h - height)  # y first, as in MXNet 1.x
        x0 = random.randint(0, canvas_w - width)
        channels = src.shape[2] if src.ndim == 3 else 1
        canvas = copyMakeBorder(src, y0, canvas_h - height - y0, x0, canvas_w - width - x0,
                                type=0, values=self._fill_values(channels))
        return canvas, pad_objects(label, (width, height), (x0, y0, canvas_w, canvas_h))


def _per_augmenter(value, is_list):
    """``value`` as a list (one per augmenter), and whether it was one already."""
    return (list(value), True) if is_list(value) else ([value], False)


def CreateMultiRandCropAugmenter(min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                                 area_range=(0.05, 1.0), min_eject_coverage=0.3,
                                 max_attempts=50, skip_prob=0):
    """A :class:`DetRandomSelectAug` of several :class:`DetRandomCropAug`: each
    argument is one value for all of them, or a list with one value per augmenter
    (lists must have the same length; ranges are then lists of pairs).

    >>> aug = CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.5, 0.9])
    >>> [crop.min_object_covered for crop in aug.aug_list]
    [0.1, 0.5, 0.9]
    """
    def is_number_list(v):
        return isinstance(v, (list, tuple))

    def is_range_list(v):
        return isinstance(v, (list, tuple)) and len(v) > 0 and isinstance(v[0], (list, tuple))

    columns = [_per_augmenter(min_object_covered, is_number_list),
               _per_augmenter(aspect_ratio_range, is_range_list),
               _per_augmenter(area_range, is_range_list),
               _per_augmenter(min_eject_coverage, is_number_list),
               _per_augmenter(max_attempts, is_number_list)]
    lengths = {len(values) for values, was_list in columns if was_list}
    assert len(lengths) <= 1, f'the lists of settings differ in length: {sorted(lengths)}'
    count = lengths.pop() if lengths else 1
    columns = [values if was_list else values * count for values, was_list in columns]
    crops = [DetRandomCropAug(min_object_covered=moc, aspect_ratio_range=ratio,
                              area_range=area, min_eject_coverage=eject, max_attempts=tries)
             for moc, ratio, area, eject, tries in zip(*columns)]
    return DetRandomSelectAug(crops, skip_prob=skip_prob)


def _spanning_range(range_or_ranges):
    """A range as it is; a list of ranges (one per crop augmenter) as the range that
    spans them all."""
    if isinstance(range_or_ranges[0], (list, tuple)):
        return (min(low for low, _ in range_or_ranges),
                max(high for _, high in range_or_ranges))
    return range_or_ranges


def _normalising_stats(value, imagenet):
    """``True`` means ImageNet's values (kept in float64, so that :meth:`dumps`
    shows them as written); otherwise None or one value per channel."""
    return np.array(imagenet) if value is True else _channel_stats(value, imagenet)


def CreateDetAugmenter(data_shape, resize=0, rand_crop=0, rand_pad=0, rand_gray=0,
                       rand_mirror=False, mean=None, std=None, brightness=0, contrast=0,
                       saturation=0, pca_noise=0, hue=0, inter_method=2,
                       min_object_covered=0.1, aspect_ratio_range=(0.75, 1.33),
                       area_range=(0.05, 3.0), min_eject_coverage=0.3, max_attempts=50,
                       pad_val=(127, 127, 127)):
    """MXNet's standard detection augmenters for ``data_shape`` (C, H, W), in order:
    resize the short side, random crop (probability ``rand_crop``), mirror, random pad
    (probability ``rand_pad``; the part of ``area_range`` above 1), force the size, cast to
    float32, colour jitter, hue, PCA noise, grey, normalise. ``mean=True`` /
    ``std=True`` use ImageNet's values. ``pad_val`` is in pixel values: padding comes
    before normalising.

    >>> [type(a).__name__ for a in CreateDetAugmenter((3, 300, 300), rand_crop=0.5,
    ...                                               rand_mirror=True)]
    ['DetRandomSelectAug', 'DetHorizontalFlipAug', 'DetBorrowAug', 'DetBorrowAug']
    """
    height, width = data_shape[1], data_shape[2]
    mean = _normalising_stats(mean, _IMAGENET_MEAN)
    std = _normalising_stats(std, _IMAGENET_STD)
    # crop settings may be lists, one per crop augmenter; padding takes the widest
    most_attempts = max(max_attempts) if isinstance(max_attempts, (list, tuple)) else max_attempts

    def borrowed(augmenter):
        return DetBorrowAug(augmenter)

    steps = [
        borrowed(ResizeAug(resize, inter_method)) if resize > 0 else None,
        CreateMultiRandCropAugmenter(min_object_covered, aspect_ratio_range, area_range,
                                     min_eject_coverage, max_attempts, skip_prob=1 - rand_crop)
        if rand_crop > 0 else None,
        DetHorizontalFlipAug(0.5) if rand_mirror else None,
        DetRandomSelectAug([DetRandomPadAug(_spanning_range(aspect_ratio_range),
                                            (1.0, _spanning_range(area_range)[1]),
                                            most_attempts, pad_val)],
                           1 - rand_pad) if rand_pad > 0 else None,
        borrowed(ForceResizeAug((width, height), inter_method)),
        borrowed(CastAug()),
        borrowed(ColorJitterAug(brightness, contrast, saturation))
        if brightness or contrast or saturation else None,
        borrowed(HueJitterAug(hue)) if hue else None,
        borrowed(LightingAug(pca_noise, np.array(_IMAGENET_EIGVAL),
                             np.array(_IMAGENET_EIGVEC))) if pca_noise > 0 else None,
        borrowed(RandomGrayAug(rand_gray)) if rand_gray > 0 else None,
        borrowed(ColorNormalizeAug(mean, std)) if mean is not None or std is not None else None,
    ]
    return [step for step in steps if step is not None]


# ------------------------------------------------------------------ labels
_MIN_LABEL_SIZE = 7  # a header of 2 and one object of 5


def _numpy(value):
    return value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)


def parse_objects(raw_label):
    """The objects ``(n, object_width)`` float32 of a raw label ``[header_len,
    object_width, ..., objects...]`` (module docstring), keeping those whose box has
    an area (xmax > xmin and ymax > ymin). RuntimeError for a label that cannot be
    read so, or has no such object.

    >>> parse_objects([2, 5, 7, 0.1, 0.2, 0.5, 0.6, 8, 0.5, 0.5, 0.5, 0.9]).tolist()
    [[7.0, 0.10000000149011612, 0.20000000298023224, 0.5, 0.6000000238418579]]
    """
    flat = np.asarray(_numpy(raw_label), dtype=np.float32).ravel()
    if flat.size < _MIN_LABEL_SIZE:
        raise RuntimeError(f'Label shape is invalid: {flat.shape}')
    header_len, width = int(flat[0]), int(flat[1])
    if header_len < 2:
        raise RuntimeError(f'Label header length {header_len} is invalid: the header holds '
                           'at least header_len and object_width')
    if width < 5:
        raise RuntimeError(f'Label object width {width} is invalid: an object needs at least '
                           '5 values (cls, xmin, ymin, xmax, ymax)')
    body = flat[header_len:]
    if body.size % width:
        raise RuntimeError(f'Label shape {flat.shape} inconsistent with annotation width '
                           f'{width}.')
    objects = body.reshape(-1, width)
    has_area = ((objects[:, _XMAX] > objects[:, _XMIN])
                & (objects[:, _YMAX] > objects[:, _YMIN]))
    if not has_area.any():
        raise RuntimeError('Encounter sample with no valid label.')
    return objects[has_area]


def _check_objects(objects):
    """RuntimeError unless at least one object has a class (>= 0) and a box."""
    objects = np.asarray(objects)
    if objects.ndim != 2 or objects.shape[1] < 5:
        raise RuntimeError(f'Invalid label occurs: objects of shape {objects.shape}')
    real = ((objects[:, _CLS] >= 0) & (objects[:, _XMAX] > objects[:, _XMIN])
            & (objects[:, _YMAX] > objects[:, _YMIN]))
    if not real.any():
        raise RuntimeError('Invalid label occurs.')


def _box_pixels(obj, width, height):
    """An object's box as pixel bounds (left, top, right, bottom), inside the image."""
    left, right = (int(np.clip(v * width, 0, width - 1)) for v in (obj[_XMIN], obj[_XMAX]))
    top, bottom = (int(np.clip(v * height, 0, height - 1)) for v in (obj[_YMIN], obj[_YMAX]))
    return left, top, right, bottom


def _draw_rectangle(pixels, box, color, thickness):
    """Draw the outline of ``box`` (pixel bounds) into ``pixels`` (H, W, 3), in place;
    the lines grow inwards from the box's edges."""
    left, top, right, bottom = box
    t = max(int(thickness), 1)
    pixels[top:min(top + t, bottom + 1), left:right + 1] = color
    pixels[max(bottom - t + 1, top):bottom + 1, left:right + 1] = color
    pixels[top:bottom + 1, left:min(left + t, right + 1)] = color
    pixels[top:bottom + 1, max(right - t + 1, left):right + 1] = color


# ------------------------------------------------------------------ ImageDetIter
class ImageDetIter(ImageIter):
    """Batches of augmented images with their objects, for object detection.

    The images and raw labels (module docstring) come from the same places as for
    :class:`~d2lmini.image.ImageIter`: a RecordIO file ``path_imgrec``, a ``.lst``
    file ``path_imglist`` (``index<TAB>label values...<TAB>path`` per line), or
    ``imglist`` (a list of ``[label values..., path]`` or ``[[label values], path]``).

    Each batch's label is ``(batch_size,) + label_shape``: ``label_shape`` is
    ``(most objects in any image, object_width)``, found by reading every label once
    when the iterator is made, and rows past an image's objects are -1.
    ``aug_list`` defaults to ``CreateDetAugmenter(data_shape, **kwargs)``. An image
    left with no object that has a class (>= 0) is skipped.

    >>> import os, tempfile
    >>> from d2lmini.image import codec
    >>> root = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     with open(os.path.join(root, f'{i}.png'), 'wb') as f:
    ...         _ = f.write(codec.encode(np.full((8, 8, 3), 100, np.uint8), '.png'))
    >>> labels = [[2, 5, 0, 0.1, 0.1, 0.6, 0.6], [2, 5, 1, 0.0, 0.0, 0.5, 0.5, 2, 0.5, 0.5, 1, 1]]
    >>> it = ImageDetIter(2, (3, 4, 4), imglist=[lab + [f'{i}.png'] for i, lab in
    ...                                          enumerate(labels)], path_root=root)
    >>> it.label_shape, it.provide_label
    ((2, 5), [('label', (2, 2, 5))])
    >>> it.next().label[0][0].asnumpy().astype(float).round(2).tolist()
    [[0.0, 0.1, 0.1, 0.6, 0.6], [-1.0, -1.0, -1.0, -1.0, -1.0]]
    """

    def __init__(self, batch_size, data_shape, path_imgrec=None, path_imglist=None,
                 path_root=None, path_imgidx=None, shuffle=False, part_index=0, num_parts=1,
                 aug_list=None, imglist=None, data_name='data', label_name='label',
                 last_batch_handle='pad', **kwargs):
        # checked and made first, so that a wrong argument fails before any file is read
        self.check_data_shape(data_shape)
        self._default_augs = None
        if aug_list is None:
            aug_list = CreateDetAugmenter(data_shape, **kwargs)
            self._default_augs = (aug_list, kwargs)
        super().__init__(batch_size, data_shape, label_width=1, path_imgrec=path_imgrec,
                         path_imglist=path_imglist, path_root=path_root,
                         path_imgidx=path_imgidx, shuffle=shuffle, part_index=part_index,
                         num_parts=num_parts, aug_list=aug_list, imglist=imglist,
                         data_name=data_name, label_name=label_name,
                         last_batch_handle=last_batch_handle)
        self.label_shape = self._largest_label_shape()
        self.provide_label = [(label_name, (batch_size,) + self.label_shape)]

    # -- the label shape
    def _raw_labels(self):
        """Every image's raw label, read without disturbing the reading position."""
        if self.imglist is not None:
            for label, _path in self.imglist.values():
                yield label
        elif self.seq is not None:
            for key in self.seq:
                yield recordio.unpack(self.imgrec.read_idx(key))[0].label
        else:
            self.imgrec.reset()
            record = self.imgrec.read()
            while record is not None:
                yield recordio.unpack(record)[0].label
                record = self.imgrec.read()
            self.imgrec.reset()

    def _largest_label_shape(self):
        """``(most objects in one image, object_width)`` over all labels."""
        most, widths = 0, set()
        for raw_label in self._raw_labels():
            objects = parse_objects(raw_label)
            most = max(most, objects.shape[0])
            widths.add(objects.shape[1])
        if not widths:
            raise RuntimeError('ImageDetIter found no image to read')
        if len(widths) > 1:
            raise RuntimeError(f'The labels have objects of different widths: {sorted(widths)}')
        return most, widths.pop()

    def check_label_shape(self, label_shape):
        """ValueError unless ``label_shape`` is ``(count, object_width)`` with the
        current width and at least the current count."""
        if len(label_shape) != 2:
            raise ValueError('label_shape should have length 2')
        count, width = self.label_shape
        if label_shape[0] < count:
            raise ValueError(f'Attempts to reduce label count from {count} to '
                             f'{label_shape[0]}, not allowed.')
        if label_shape[1] != width:
            raise ValueError(f'label_shape object width inconsistent: {width} vs '
                             f'{label_shape[1]}.')

    def reshape(self, data_shape=None, label_shape=None):
        """Change the batches' image shape ``data_shape`` (C, H, W) and/or label shape
        ``label_shape`` (:meth:`check_label_shape`).

        The default augmenters are remade for the new ``data_shape`` (MXNet 1.x keeps
        resizing to the old one, and then fails); an ``aug_list`` given by the user is
        kept, and must produce the new shape.
        """
        if data_shape is not None:
            self.check_data_shape(data_shape)
            self.data_shape = tuple(data_shape)
            self.provide_data = [(self.provide_data[0][0],
                                  (self.batch_size,) + self.data_shape)]
            if self._default_augs is not None and self.auglist is self._default_augs[0]:
                self.auglist = CreateDetAugmenter(self.data_shape, **self._default_augs[1])
                self._default_augs = (self.auglist, self._default_augs[1])
        if label_shape is not None:
            self.check_label_shape(label_shape)
            self.label_shape = tuple(label_shape)
            self.provide_label = [(self.provide_label[0][0],
                                   (self.batch_size,) + self.label_shape)]

    def sync_label_shape(self, it, verbose=False):
        """Give this iterator and ``it`` (another ImageDetIter, e.g. validation data)
        the same label shape, the larger of the two counts; returns ``it``."""
        assert isinstance(it, ImageDetIter), 'Synchronize with invalid iterator.'
        assert self.label_shape[1] == it.label_shape[1], 'object width mismatch.'
        shape = (max(self.label_shape[0], it.label_shape[0]), self.label_shape[1])
        if verbose and shape != self.label_shape:
            logging.info('Resize label_shape from %s to %s', self.label_shape, shape)
        if verbose and shape != it.label_shape:
            logging.info('Resize label_shape of the other iterator from %s to %s',
                         it.label_shape, shape)
        self.reshape(label_shape=shape)
        it.reshape(label_shape=shape)
        return it

    # -- reading
    def augmentation_transform(self, data, label):
        """``(data, label)`` passed through every augmenter."""
        for aug in self.auglist:
            data, label = aug(data, label)
        return data, label

    def _next_example(self):
        """The next image that keeps an object after augmenting, as ``(image,
        objects)``; the others are skipped."""
        while True:
            raw_label, encoded = self.next_sample()
            image = self.imdecode(encoded)
            objects = parse_objects(raw_label)
            try:
                self.check_valid_image(image)
                image, objects = self.augmentation_transform(image, objects)
                _check_objects(objects)
            except RuntimeError as err:
                logging.debug('Invalid image, skipping:  %s', err)
                continue
            return image, objects

    def _add_sample(self, data, labels, row):
        image, objects = self._next_example()
        chw = self.postprocess_data(image)
        if chw.shape != data.shape[1:]:
            raise ValueError(f'The augmenters made an image of shape {chw.shape} (C, H, W), '
                             f'but data_shape is {data.shape[1:]}')
        count, width = labels.shape[1:]
        if objects.shape[0] > count or objects.shape[1] != width:
            raise ValueError(f'An image has objects of shape {objects.shape}, more than '
                             f'label_shape {(count, width)} holds')
        labels[row] = -1
        labels[row, :objects.shape[0]] = objects
        data[row] = chw
        return True

    def draw_next(self, color=None, thickness=2, mean=None, std=None, clip=True,
                  waitKey=None, window_name='draw_next', id2labels=None):
        """Yield the next images, augmented, with their boxes drawn: numpy arrays
        ``(H, W, 3)`` uint8, RGB.

        color : the boxes' colour (R, G, B); None gives each class a random one
        thickness : the boxes' line width in pixels
        mean, std : undo the augmenters' normalisation (``True``: ImageNet's values)
        clip : clip to [0, 255] before converting to uint8
        waitKey : also show each image in an OpenCV window ``window_name`` for
            ``waitKey`` milliseconds (needs OpenCV, ``cv2``); None shows nothing
        id2labels : {class id: name}, written next to the boxes (needs OpenCV)
        """
        mean = _channel_stats(mean, _IMAGENET_MEAN)
        std = _channel_stats(std, _IMAGENET_STD)
        cv2 = _opencv() if waitKey is not None or id2labels else None
        colors = {}
        while True:
            try:
                image, objects = self._next_example()
            except StopIteration:
                return
            pixels = _numpy(image).astype(np.float64)
            if std is not None:
                pixels *= _numpy(std)
            if mean is not None:
                pixels += _numpy(mean)
            if clip:
                pixels = np.clip(pixels, 0, 255)
            pixels = np.ascontiguousarray(pixels.astype(np.uint8))
            height, width = pixels.shape[:2]
            for obj in objects:
                if obj[_CLS] < 0:
                    continue
                cls = int(obj[_CLS])
                box_color = color or colors.setdefault(
                    cls, tuple(random.randint(0, 255) for _ in range(3)))
                box = _box_pixels(obj, width, height)
                _draw_rectangle(pixels, box, box_color, thickness)
                if id2labels:
                    cv2.putText(pixels, str(id2labels.get(cls, cls)), (box[0], box[1] + 12),
                                cv2.FONT_HERSHEY_SIMPLEX, 0.4, box_color, 1)
            if waitKey is not None:
                cv2.imshow(window_name, pixels[:, :, ::-1])  # OpenCV shows BGR
                cv2.waitKey(waitKey)
            yield pixels


def _opencv():
    try:
        import cv2  # noqa: PLC0415 (optional: only for showing images)
    except ImportError as err:
        raise ImportError('draw_next needs OpenCV (the cv2 module) to show images or write '
                          'label names; install opencv-python') from err
    return cv2
