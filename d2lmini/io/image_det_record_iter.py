"""``mx.io.ImageDetRecordIter``: batches of images and their objects (bounding boxes)
read from a RecordIO file, as MXNet 1.x's C++ iterator for object detection serves
them (the iterator of MXNet's SSD example).

**Records.** Each record holds an encoded image and, in its header, a raw detection
label (the layout :mod:`d2lmini.image.detection` reads, and MXNet's ``im2rec``
writes for detection)::

    [header_width, object_width, (extra header...), cls, xmin, ymin, xmax, ymax, (extra...), ...]

``header_width`` values of header, then ``object_width`` values per object, the box
in fractions of the image's width and height.

**Batches.** ``batch.label[0]`` has shape ``(batch_size, 4 + pad_width)``. Each row
is ``[channels, height, width, n]``, then the image's ``n`` label values (the header
unchanged, then the objects that are left after augmentation), then
``label_pad_value`` up to the end. ``height`` and ``width`` are the size of the
image inside the data: with ``resize_mode='force'`` (the default) every image is
resized to ``data_shape``; with ``'fit'`` it is scaled, keeping its aspect ratio, to
the largest size that fits; ``'shrink'`` does the same only for images that do not
fit already. A smaller image sits in the top-left corner of its data, the rest
holding zero pixels (normalised like the others). ``pad_width`` is the longest raw
label in the file (or ``label_width`` when it is fixed), or ``label_pad_width``
when that is larger. Objects whose box has no area (``xmax <= xmin`` or ``ymax <=
ymin``) are dropped, as MXNet drops them.

What one image goes through, in this order: the shorter side resized to
``resize`` (when > 0); colour noise (hue, saturation, illumination, contrast, each
with its probability); placed on a larger canvas of ``fill_value`` (probability
``rand_pad_prob``, each side up to ``max_pad_scale`` times as long); a random crop
(probability ``rand_crop_prob``, from the crop samplers described at
:class:`ImageDetRecordIter`); mirrored left-right (probability
``rand_mirror_prob``); fitted to ``data_shape`` by ``resize_mode``; normalised as
``(pixel - mean) / std * scale``, where a ``std`` of 0 (the default) means 1. The
boxes follow every geometric step. Batches, epochs, ``round_batch``, ``shuffle``
and ``num_parts`` work as in :class:`~d2lmini.io.ImageRecordIter`.

>>> import os, tempfile
>>> import numpy as np
>>> import d2lmini as mx
>>> from d2lmini.image import codec
>>> path = os.path.join(tempfile.mkdtemp(), 'boxes.rec')
>>> writer = mx.recordio.MXRecordIO(path, 'w')
>>> labels = [[2, 5, 0, 0.1, 0.2, 0.5, 0.6], [2, 5, 1, 0, 0, 0.5, 0.5, 2, 0.5, 0.5, 1, 1]]
>>> for i, label in enumerate(labels):
...     png = codec.encode(np.full((6, 8, 3), 50 * i, np.uint8), '.png')
...     writer.write(mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), png))
>>> writer.close()
>>> it = mx.io.ImageDetRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=2)
>>> it.provide_label
[DataDesc[softmax_label,(2, 16),<class 'numpy.float32'>,NCHW]]
>>> it.next().label[0].asnumpy()[0].astype(float).round(2).tolist()
[3.0, 4.0, 4.0, 7.0, 2.0, 5.0, 0.0, 0.1, 0.2, 0.5, 0.6, -1.0, -1.0, -1.0, -1.0, -1.0]
"""
import math
import os

import numpy as np

from .. import recordio
from ..base import MXNetError
from .image_record_iter import ImageRecordIter, _resized, _shift_hls, _shorter_side_to
from .io import DataDesc, _mt19937_outputs

__all__ = ['ImageDetRecordIter']

# MXNet's detection iterator seeds the engine that shuffles the records with ``seed``
# plus this constant (its classification iterator uses another)
_SHUFFLE_SEED_OFFSET = 233
# Values before the label in each row of batch.label[0]: channels, height, width, n
_ROW_PREFIX = 4
# a raw label holds at least a header of 2 and one object of 5
_MIN_LABEL_SIZE = 7
_RESIZE_MODES = ('force', 'shrink', 'fit')
_EMIT_MODES = ('center', 'overlap')

# The crop sampler parameters (each a tuple, one value per sampler or one for all)
_SAMPLER_DEFAULTS = {
    'min_crop_scales': (0.0,), 'max_crop_scales': (1.0,),
    'min_crop_aspect_ratios': (1.0,), 'max_crop_aspect_ratios': (1.0,),
    'min_crop_overlaps': (0.0,), 'max_crop_overlaps': (1.0,),
    'min_crop_sample_coverages': (0.0,), 'max_crop_sample_coverages': (1.0,),
    'min_crop_object_coverages': (0.0,), 'max_crop_object_coverages': (1.0,),
    'max_crop_trials': (25,),
}

# The augmentation parameters and their defaults, MXNet's
_AUGMENT_DEFAULTS = dict(_SAMPLER_DEFAULTS, **{
    'resize': -1, 'rand_crop_prob': 0.0, 'num_crop_sampler': 1, 'crop_emit_mode': 'center',
    'emit_overlap_thresh': 0.3, 'rand_pad_prob': 0.0, 'max_pad_scale': 1.0,
    'max_random_hue': 0, 'random_hue_prob': 0.0, 'max_random_saturation': 0,
    'random_saturation_prob': 0.0, 'max_random_illumination': 0,
    'random_illumination_prob': 0.0, 'max_random_contrast': 0.0, 'random_contrast_prob': 0.0,
    'rand_mirror_prob': 0.0, 'fill_value': 127, 'inter_method': 1, 'resize_mode': 'force',
    'mean_img': '', 'mean_r': 0.0, 'mean_g': 0.0, 'mean_b': 0.0, 'mean_a': 0.0,
    'std_r': 0.0, 'std_g': 0.0, 'std_b': 0.0, 'std_a': 0.0, 'scale': 1.0,
    'seed_aug': None,
})
# accepted for compatibility; they change nothing here (performance or device hints)
_IGNORED = {'shuffle_chunk_size', 'shuffle_chunk_seed', 'verbose', 'device_id', 'ctx'}

# columns of an object row
_CLS, _XMIN, _YMIN, _XMAX, _YMAX = range(5)


def split_label(raw):
    """``(header, objects)`` of a raw detection label: the header values, and the
    objects ``(n, object_width)`` whose box has an area. MXNetError for a label
    that cannot be read so.

    >>> header, objects = split_label([2, 5, 7, 0.1, 0.2, 0.5, 0.6, 8, 0.5, 0.5, 0.5, 0.9])
    >>> header.tolist(), objects.shape
    ([2.0, 5.0], (1, 5))
    """
    raw = np.asarray(raw, np.float32).ravel()
    if raw.size < _MIN_LABEL_SIZE:
        raise MXNetError(f'ImageDetRecordIter: a detection label needs at least '
                         f'{_MIN_LABEL_SIZE} values (header_width, object_width, cls, xmin, '
                         f'ymin, xmax, ymax), got {raw.size}: {raw.tolist()}')
    header_width, object_width = int(raw[0]), int(raw[1])
    if not 2 <= header_width <= raw.size:
        raise MXNetError(f'ImageDetRecordIter: header_width {raw[0]} must be at least 2 '
                         f'and at most the label length {raw.size}')
    if object_width < 5:
        raise MXNetError(f'ImageDetRecordIter: object_width {raw[1]} must be at least 5 '
                         '(cls, xmin, ymin, xmax, ymax)')
    body = raw[header_width:]
    if body.size % object_width:
        raise MXNetError(f'ImageDetRecordIter: a label of {raw.size} values with a header of '
                         f'{header_width} does not hold whole objects of {object_width} '
                         'values')
    objects = body.reshape(-1, object_width)
    has_area = (objects[:, _XMAX] > objects[:, _XMIN]) & (objects[:, _YMAX] > objects[:, _YMIN])
    return raw[:header_width], objects[has_area]


def _fitted_size(height, width, max_h, max_w):
    """The largest (height, width) with the aspect ratio of ``height`` by
    ``width`` (sizes rounded down) that fits in ``max_h`` by ``max_w``."""
    if max_h * width <= max_w * height:        # the height is the tighter limit
        return max_h, max(1, width * max_h // height)
    return max(1, height * max_w // width), max_w


def _detection():
    """:mod:`d2lmini.image.detection` (its box arithmetic), imported when first
    needed: ``d2lmini.image`` itself imports ``d2lmini.io``."""
    from ..image import detection  # noqa: PLC0415
    return detection


def _in_range(values, low, high):
    return (values >= low) & (values <= high)


class ImageDetRecordIter(ImageRecordIter):
    """Batches ``(batch_size, C, H, W)`` of the images in RecordIO file
    ``path_imgrec`` and their detection labels ``(batch_size, 4 + pad_width)``, as
    MXNet 1.x's ``mx.io.ImageDetRecordIter`` serves them; the module's docstring
    describes the label rows and what each image goes through.

    path_imgrec : the ``.rec`` file (required)
    data_shape : ``(channels, height, width)`` of one output image (required)
    batch_size : images per batch (required)
    path_imglist : a ``.lst`` file whose labels replace those in the records
        (matched by the record's id)
    path_imgidx : accepted; records are read in file order
    label_width : label values per image; -1 (the default) for labels of any length
    label_pad_width : at least this many label values per row (0 or -1: the
        longest label); smaller than the longest label is an error
    label_pad_value : the value after an image's label in its row
    shuffle, seed, round_batch, num_parts, part_index, preprocess_threads,
    prefetch_buffer, dtype, data_name, label_name : as for
        :class:`~d2lmini.io.ImageRecordIter`
    resize : the shorter side resized to this first (> 0), as for ImageRecordIter
    resize_mode : ``'force'``, ``'shrink'`` or ``'fit'`` (module docstring)
    inter_method : the OpenCV interpolation of every resize (1: bilinear)
    mean_r/g/b/a, std_r/g/b/a, scale, mean_img : the normalisation (a std of 0
        means 1); ``mean_img`` must name an existing file saved by ``mx.nd.save``

    Random augmentation (each step drawn with its probability; seeded by
    ``seed``, repeatable, but not MXNet's stream of random numbers):

    rand_mirror_prob : mirror the image and its boxes left-right
    rand_pad_prob, max_pad_scale, fill_value : place the image at a random spot
        of a canvas of ``fill_value`` whose sides are a random factor in
        ``[1, max_pad_scale]`` times the image's
    max_random_hue / random_hue_prob, max_random_saturation /
    random_saturation_prob, max_random_illumination /
    random_illumination_prob : shift H (OpenCV's units: 2 degrees), S or L (0..255)
        by a random integer in ``[-max, max]``, in HLS
    max_random_contrast / random_contrast_prob : multiply the pixels by ``1 +
        delta``, ``delta`` in ``[-max, max]``
    rand_crop_prob, num_crop_sampler : crop with one of ``num_crop_sampler``
        samplers. Each sampler ``i`` tries up to ``max_crop_trials[i]`` boxes of
        ``scale`` squared times the image's area (``scale`` in
        ``[min_crop_scales[i], max_crop_scales[i]]``) and aspect ratio
        (width / height, in pixels) in ``[min_crop_aspect_ratios[i],
        max_crop_aspect_ratios[i]]``, and keeps the first that lies inside the
        image and for which some object has its IoU with the box, the share of
        the box it covers and the share of it the box covers within
        ``[min_crop_overlaps[i], max_crop_overlaps[i]]``,
        ``[min_crop_sample_coverages[i], ...]``, ``[min_crop_object_coverages[i],
        ...]``; one of the samplers' boxes is used. Each tuple holds one value
        per sampler, or one for all.
    crop_emit_mode, emit_overlap_thresh : which objects a crop drops: ``'center'``
        those whose centre is outside it, ``'overlap'`` those with less than
        ``emit_overlap_thresh`` of their area inside; a box that would drop every
        object is not used. The others are clipped to the crop.

    Differences from MXNet 1.9.1: labels are checked when the iterator is made
    (MXNet checks each as it is read, and fails in the middle of an epoch); the
    random augmentations draw their own random numbers; ``mean_img`` is not
    computed when its file is missing; ``dtype='uint8'`` and ``'int8'`` work as for
    :class:`~d2lmini.io.ImageRecordIter` (MXNet 1.9.1 fails with them here); the
    batch details listed at :class:`~d2lmini.io.ImageRecordIter` (``pad``,
    ``reset``) apply here too.
    """

    def __init__(self, *, path_imgrec='', data_shape=None, batch_size=None, path_imglist='',
                 path_imgidx='', label_width=-1, label_pad_width=0, label_pad_value=-1.0,
                 shuffle=False, seed=0, round_batch=True, num_parts=1, part_index=0,
                 preprocess_threads=4, prefetch_buffer=4, dtype=None, data_name='data',
                 label_name='softmax_label', aug_seq='det_aug_default', **kwargs):
        if aug_seq != 'det_aug_default':
            raise MXNetError(f"ImageDetRecordIter: aug_seq must be 'det_aug_default' (the "
                             f"detection augmenter, the only one d2lmini has), got {aug_seq!r}")
        self._raw_label_width = int(label_width)
        if self._raw_label_width == 0 or self._raw_label_width < -1:
            raise MXNetError(f'ImageDetRecordIter: label_width must be -1 (labels of any '
                             f'length) or positive, got {label_width}')
        super().__init__(path_imgrec=path_imgrec, data_shape=data_shape,
                         batch_size=batch_size, path_imglist=path_imglist,
                         path_imgidx=path_imgidx, label_width=1, shuffle=shuffle, seed=seed,
                         round_batch=round_batch, num_parts=num_parts, part_index=part_index,
                         preprocess_threads=preprocess_threads,
                         prefetch_buffer=prefetch_buffer, dtype=dtype, data_name=data_name,
                         label_name=label_name, **kwargs)
        self.label_width = self._raw_label_width
        self._shuffle_outputs = _mt19937_outputs(_SHUFFLE_SEED_OFFSET + int(seed))
        self.label_pad_value = float(label_pad_value)
        self.label_pad_width = self._pad_width(int(label_pad_width))
        self._samplers = self._crop_samplers()
        label_shape = (self.batch_size, _ROW_PREFIX + self.label_pad_width)
        self.provide_label = [DataDesc(label_name, label_shape, np.float32)]
        self._label = np.full(label_shape, self.label_pad_value, np.float32)

    # -- construction
    _augment_defaults, _ignored_params = _AUGMENT_DEFAULTS, _IGNORED

    def _augment_params(self, kwargs):
        aug = super()._augment_params(kwargs)
        if aug['resize_mode'] not in _RESIZE_MODES:
            raise MXNetError(f"ImageDetRecordIter: resize_mode must be one of "
                             f"{list(_RESIZE_MODES)}, got {aug['resize_mode']!r}")
        if aug['crop_emit_mode'] not in _EMIT_MODES:
            raise MXNetError(f"ImageDetRecordIter: crop_emit_mode must be one of "
                             f"{list(_EMIT_MODES)}, got {aug['crop_emit_mode']!r}")
        for name in ('rand_crop_prob', 'rand_pad_prob', 'rand_mirror_prob', 'random_hue_prob',
                     'random_saturation_prob', 'random_illumination_prob',
                     'random_contrast_prob'):
            if not 0 <= aug[name] <= 1:
                raise MXNetError(f'ImageDetRecordIter: {name} is a probability, in [0, 1]; '
                                 f'got {aug[name]}')
        if aug['max_pad_scale'] < 1:
            raise MXNetError(f"ImageDetRecordIter: max_pad_scale must be at least 1, got "
                             f"{aug['max_pad_scale']}")
        if aug['mean_img'] and not os.path.isfile(aug['mean_img']):
            raise MXNetError(f"ImageDetRecordIter: mean_img {aug['mean_img']}: no such file "
                             '(d2lmini does not compute it for detection data)')
        # a std of 0 (MXNet's default here) leaves the pixels undivided
        for name in ('std_r', 'std_g', 'std_b', 'std_a'):
            aug[name] = aug[name] or 1.0
        return aug

    def _crop_samplers(self):
        """One dict of crop settings per sampler (class docstring)."""
        aug = self._aug
        count = int(aug['num_crop_sampler'])
        if count < 1:
            raise MXNetError(f'ImageDetRecordIter: num_crop_sampler must be positive, got '
                             f'{count}')
        columns = {}
        for name in _SAMPLER_DEFAULTS:
            values = tuple(np.atleast_1d(aug[name]).tolist())
            if len(values) == 1:
                values *= count
            if len(values) != count:
                raise MXNetError(f'ImageDetRecordIter: {name} holds {len(values)} values; '
                                 f'give one, or one per sampler (num_crop_sampler={count})')
            columns[name] = values
        samplers = [{name: columns[name][i] for name in columns} for i in range(count)]
        for i, s in enumerate(samplers):
            if not 0 <= s['min_crop_scales'] < s['max_crop_scales'] <= 1:
                raise MXNetError(f'ImageDetRecordIter: crop sampler {i}: need 0 <= '
                                 f"min_crop_scales ({s['min_crop_scales']}) < max_crop_scales "
                                 f"({s['max_crop_scales']}) <= 1")
            if not 0 < s['min_crop_aspect_ratios'] <= s['max_crop_aspect_ratios']:
                raise MXNetError(f'ImageDetRecordIter: crop sampler {i}: need 0 < '
                                 f"min_crop_aspect_ratios ({s['min_crop_aspect_ratios']}) <= "
                                 f"max_crop_aspect_ratios ({s['max_crop_aspect_ratios']})")
            for kind in ('overlaps', 'sample_coverages', 'object_coverages'):
                low, high = s[f'min_crop_{kind}'], s[f'max_crop_{kind}']
                if not 0 <= low <= high <= 1:
                    raise MXNetError(f'ImageDetRecordIter: crop sampler {i}: need 0 <= '
                                     f'min_crop_{kind} ({low}) <= max_crop_{kind} ({high}) <= 1')
        return samplers

    def _pad_width(self, label_pad_width):
        """The label values per row after the prefix: the longest raw label (every
        label is read and checked once here), or ``label_pad_width`` if larger."""
        longest = 0
        for i in range(len(self._offsets)):
            raw = self._label_of(self._record(i))[0]
            split_label(raw)
            longest = max(longest, raw.size)
        if label_pad_width > 0:
            if label_pad_width < longest:
                raise MXNetError(f'ImageDetRecordIter: label_pad_width: {label_pad_width} '
                                 f'smaller than estimated width: {longest}')
            return label_pad_width
        return longest

    # -- reading records
    def _label_of(self, record):
        """``(raw label, record id, encoded image)``; the label from the image list
        when there is one."""
        header, payload = recordio.unpack(record)
        if self._labels_from_list is not None:
            raw = self._labels_from_list.get(int(header.id))
            if raw is None:
                raise MXNetError(f'ImageDetRecordIter: the image list has no label for '
                                 f'record id {header.id}')
        else:
            raw = header.label
        raw = np.atleast_1d(np.asarray(raw, np.float32))
        if self._raw_label_width > 0 and raw.size != self._raw_label_width:
            raise MXNetError(f'rec file provide {raw.size}-dimensional label but label_width '
                             f'is set to {self._raw_label_width}')
        return raw, header.id, payload

    # -- the image pipeline (module docstring)
    def _augment_with_boxes(self, img, raw):
        """``(image, label)``: ``img`` augmented, and its raw label with the objects
        that are left, their boxes moved with the pixels."""
        aug, rng = self._aug, self._rng
        header, objects = split_label(raw)
        if aug['resize'] > 0:
            img = _shorter_side_to(img, int(aug['resize']), aug['inter_method'], rng)
        img = self._colour_noise(img)
        if self._happens('rand_pad_prob'):
            img, objects = self._random_pad(img, objects)
        if self._happens('rand_crop_prob'):
            img, objects = self._random_crop(img, objects)
        if self._happens('rand_mirror_prob'):
            img = img[:, ::-1]
            mirrored = objects.copy()
            mirrored[:, _XMIN], mirrored[:, _XMAX] = 1 - objects[:, _XMAX], 1 - objects[:, _XMIN]
            objects = mirrored
        return img, np.concatenate([header, objects.astype(np.float32).ravel()])

    def _happens(self, probability_name):
        """Whether a step with probability ``aug[probability_name]`` happens this
        time (no random number is drawn for a step that is off)."""
        p = self._aug[probability_name]
        return p > 0 and self._rng.uniform() < p

    def _colour_noise(self, img):
        aug, rng = self._aug, self._rng
        shifts = [0, 0, 0]      # hue, lightness, saturation
        for slot, prob, most in ((0, 'random_hue_prob', 'max_random_hue'),
                                 (1, 'random_illumination_prob', 'max_random_illumination'),
                                 (2, 'random_saturation_prob', 'max_random_saturation')):
            if aug[most] and self._happens(prob):
                shifts[slot] = rng.randint(-int(aug[most]), int(aug[most]) + 1)
        contrast = aug['max_random_contrast'] and self._happens('random_contrast_prob')
        if not any(shifts) and not contrast:
            return img
        out = img.astype(np.float64)
        if any(shifts) and out.shape[2] >= 3:
            out[..., :3] = _shift_hls(out[..., :3], *shifts)
        if contrast:
            out *= 1 + rng.uniform(-aug['max_random_contrast'], aug['max_random_contrast'])
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    def _random_pad(self, img, objects):
        """``img`` at a random spot of a canvas of ``fill_value``, each side up to
        ``max_pad_scale`` times as long."""
        factor = self._rng.uniform(1, self._aug['max_pad_scale'])
        height, width = img.shape[:2]
        canvas_h, canvas_w = int(height * factor), int(width * factor)
        y0 = self._rng.randint(canvas_h - height + 1)
        x0 = self._rng.randint(canvas_w - width + 1)
        canvas = np.full((canvas_h, canvas_w, img.shape[2]), self._aug['fill_value'], img.dtype)
        canvas[y0:y0 + height, x0:x0 + width] = img
        moved = _detection().pad_objects(objects, (width, height), (x0, y0, canvas_w, canvas_h))
        return canvas, moved

    def _random_crop(self, img, objects):
        """``img`` cropped to a box one of the samplers accepts (class docstring),
        or unchanged when none accepts any."""
        height, width = img.shape[:2]
        boxes = [box for box in (self._sample_box(s, height, width, objects)
                                 for s in self._samplers) if box is not None]
        if not boxes:
            return img, objects
        x0, y0, crop_w, crop_h, kept = boxes[self._rng.randint(len(boxes))]
        region = (x0 / width, y0 / height, (x0 + crop_w) / width, (y0 + crop_h) / height)
        cropped = img[y0:y0 + crop_h, x0:x0 + crop_w]
        return cropped, _detection().crop_objects(kept, region, 0.0)

    def _sample_box(self, sampler, height, width, objects):
        """``(x0, y0, w, h, objects kept)`` of the first box ``sampler`` accepts
        within its trials, or None."""
        rng = self._rng
        for _ in range(int(sampler['max_crop_trials'])):
            scale = rng.uniform(sampler['min_crop_scales'], sampler['max_crop_scales'])
            low, high = sampler['min_crop_aspect_ratios'], sampler['max_crop_aspect_ratios']
            ratio = rng.uniform(low, high) if high > low else low
            area = scale * scale * height * width
            crop_w = int(round(math.sqrt(area * ratio)))
            crop_h = int(round(math.sqrt(area / ratio)))
            if not (0 < crop_w <= width and 0 < crop_h <= height):
                continue
            x0 = rng.randint(width - crop_w + 1)
            y0 = rng.randint(height - crop_h + 1)
            region = (x0 / width, y0 / height, (x0 + crop_w) / width, (y0 + crop_h) / height)
            if not self._box_accepted(sampler, region, objects):
                continue
            kept = self._objects_kept(region, objects)
            if len(objects) and not len(kept):
                continue
            return x0, y0, crop_w, crop_h, kept
        return None

    @staticmethod
    def _box_accepted(sampler, region, objects):
        """Whether some object meets all of the sampler's overlap and coverage
        ranges for the crop ``region`` (any crop is, for an image without objects)."""
        if not len(objects):
            return True
        left, top, right, bottom = region
        boxes = objects[:, _XMIN:_YMAX + 1].astype(np.float64)
        object_area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        crop_area = (right - left) * (bottom - top)
        inside = _detection().box_coverage(objects, region) * object_area
        iou = inside / (object_area + crop_area - inside)
        fits = (_in_range(iou, sampler['min_crop_overlaps'], sampler['max_crop_overlaps'])
                & _in_range(inside / crop_area, sampler['min_crop_sample_coverages'],
                            sampler['max_crop_sample_coverages'])
                & _in_range(inside / object_area, sampler['min_crop_object_coverages'],
                            sampler['max_crop_object_coverages']))
        return bool(fits.any())

    def _objects_kept(self, region, objects):
        """The objects a crop to ``region`` keeps, by ``crop_emit_mode``."""
        if self._aug['crop_emit_mode'] == 'center':
            left, top, right, bottom = region
            cx = (objects[:, _XMIN] + objects[:, _XMAX]) / 2
            cy = (objects[:, _YMIN] + objects[:, _YMAX]) / 2
            keep = _in_range(cx, left, right) & _in_range(cy, top, bottom)
        else:
            coverage = _detection().box_coverage(objects, region)
            keep = (coverage > 0) & (coverage >= self._aug['emit_overlap_thresh'])
        return objects[keep]

    def _fitted(self, img):
        """``img`` resized by ``resize_mode`` to fit ``data_shape``."""
        aug, rng = self._aug, self._rng
        _, max_h, max_w = self.data_shape
        height, width = img.shape[:2]
        if aug['resize_mode'] == 'force':
            return _resized(img, max_w, max_h, aug['inter_method'], rng)
        if aug['resize_mode'] == 'shrink' and height <= max_h and width <= max_w:
            return img
        new_h, new_w = _fitted_size(height, width, max_h, max_w)
        return _resized(img, new_w, new_h, aug['inter_method'], rng)

    # -- batches
    def _fill(self, chosen):
        records, images = self._read(chosen)
        channels, max_h, max_w = self.data_shape
        for row, ((raw, record_id, _), img) in enumerate(zip(records, images)):
            img, label = self._augment_with_boxes(img, raw)
            img = self._fitted(img)
            height, width = img.shape[:2]
            # a smaller image sits top-left on zero pixels, normalised with it
            canvas = np.zeros((max_h, max_w, channels), np.float64)
            canvas[:height, :width] = img
            self._data[row] = self._normalised(canvas)
            self._label[row] = self.label_pad_value
            self._label[row, :_ROW_PREFIX] = (channels, height, width, label.size)
            self._label[row, _ROW_PREFIX:_ROW_PREFIX + label.size] = label
            self._index[row] = record_id
