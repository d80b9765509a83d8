"""``mx.io.ImageRecordIter``: batches of images read from a RecordIO file (``.rec``,
made by ``im2rec``), decoded, augmented and normalised, as MXNet 1.x's C++ iterator
serves them (also under its older names ``ImageRecordIter_v1``, and with uint8 /
int8 pixels ``ImageRecordUInt8Iter``, ``ImageRecordUInt8Iter_v1``,
``ImageRecordInt8Iter``).

What one image goes through, in this order (the deterministic steps give MXNet's
pixels exactly; decoding is :mod:`d2lmini.image.codec`, resizing OpenCV's
arithmetic in :mod:`d2lmini.image.resize`):

1. decoded in colour (``data_shape[0] == 3``, RGB order), grey (1) or with its
   alpha channel (4);
2. ``resize > 0``: the shorter side scaled to ``resize`` (the longer one to
   ``long * resize // short``), with OpenCV interpolation ``inter_method``;
3. the random geometry that is switched on: rotation (``max_rotate_angle`` or a
   fixed ``rotate``), scale (``min/max_random_scale``), aspect ratio
   (``min/max_aspect_ratio``) and shear (``max_shear_ratio``), uncovered corners
   filled with ``fill_value``; then a border of ``pad`` pixels;
4. the crop to ``data_shape``: ``random_resized_crop`` (random area and aspect
   ratio, resized), or a square of random side in ``[min_crop_size,
   max_crop_size]`` resized, or otherwise a crop of exactly the output size. An
   image smaller than the output is first enlarged, keeping its aspect ratio, just
   enough to cover it. The crop is centred (offsets rounded down) unless
   ``rand_crop``;
5. mirrored left-right: always with ``mirror``, half of the time with
   ``rand_mirror``;
6. colour noise: ``brightness``, ``contrast``, ``saturation``, hue / lightness /
   saturation shifts in HLS (``random_h``, ``random_l``, ``random_s``),
   ``pca_noise``, ``max_random_contrast`` and ``max_random_illumination``;
7. normalised: ``(pixel - mean) / std * scale`` for float32 output, ``mean``
   being the image in file ``mean_img`` when given, else ``mean_r/g/b/a``; for
   ``dtype='int8'`` only the mean is subtracted and the result saturated to
   ``[-128, 127]``; ``dtype='uint8'`` keeps the pixels as they are (as MXNet does).

Epochs work as in MXNet: with ``round_batch`` (the default) a last, incomplete
batch is filled from the start of the data (``pad`` counts those images) and the
next epoch continues after them; without it the batch's remaining rows keep what
the previous batch held, and ``pad`` counts them too. ``shuffle`` reorders every
pass over the data, in the order MXNet's C++ code draws for ``seed``.

>>> import os, tempfile
>>> import numpy as np
>>> import d2lmini as mx
>>> from d2lmini.image import codec
>>> path = os.path.join(tempfile.mkdtemp(), 'tiny.rec')
>>> writer = mx.recordio.MXRecordIO(path, 'w')
>>> for i in range(5):
...     png = codec.encode(np.full((6, 8, 3), 10 * i, np.uint8), '.png')
...     writer.write(mx.recordio.pack(mx.recordio.IRHeader(0, float(i), i, 0), png))
>>> writer.close()
>>> it = mx.io.ImageRecordIter(path_imgrec=path, data_shape=(3, 4, 4), batch_size=2)
>>> it.provide_data
[DataDesc[data,(2, 3, 4, 4),<class 'numpy.float32'>,NCHW]]
>>> [(b.label[0].asnumpy().tolist(), b.pad) for b in it]
[([0.0, 1.0], 0), ([2.0, 3.0], 0), ([4.0, 0.0], 1)]
>>> it.reset()
>>> [b.label[0].asnumpy().tolist() for b in it]
[[1.0, 2.0], [3.0, 4.0]]
"""
import logging
import math
import os
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import ndarray as nd
from .. import recordio
from ..base import MXNetError
from ..image import codec
from ..image.resize import resize as _resize
from .io import DataBatch, DataDesc, DataIter, _mt19937_outputs

__all__ = ['ImageRecordIter', 'ImageRecordIter_v1', 'ImageRecordUInt8Iter',
           'ImageRecordUInt8Iter_v1', 'ImageRecordInt8Iter']

# MXNet seeds the engine that shuffles the records with ``seed`` plus this constant
_SHUFFLE_SEED_OFFSET = 111

# The augmentation parameters and their defaults, MXNet's
_AUGMENT_DEFAULTS = {
    'resize': -1, 'rand_crop': False, 'random_resized_crop': False,
    'max_rotate_angle': 0, 'rotate': -1, 'max_aspect_ratio': 0.0, 'min_aspect_ratio': None,
    'max_shear_ratio': 0.0, 'max_crop_size': -1, 'min_crop_size': -1,
    'max_random_scale': 1.0, 'min_random_scale': 1.0, 'max_random_area': 1.0,
    'min_random_area': 1.0, 'max_img_size': 1e10, 'min_img_size': 0.0,
    'brightness': 0.0, 'contrast': 0.0, 'saturation': 0.0, 'pca_noise': 0.0,
    'random_h': 0, 'random_s': 0, 'random_l': 0, 'max_random_contrast': 0.0,
    'max_random_illumination': 0.0,
    'fill_value': 255, 'inter_method': 1, 'pad': 0, 'mirror': False, 'rand_mirror': False,
    'mean_img': '', 'mean_r': 0.0, 'mean_g': 0.0, 'mean_b': 0.0, 'mean_a': 0.0,
    'std_r': 1.0, 'std_g': 1.0, 'std_b': 1.0, 'std_a': 1.0, 'scale': 1.0,
    'seed_aug': None,
}
# accepted for compatibility; they change nothing here (performance or device hints)
_IGNORED = {'shuffle_chunk_size', 'shuffle_chunk_seed', 'verbose', 'device_id', 'ctx',
            'aug_seq'}

# ImageNet's RGB colour PCA (eigenvalues, eigenvectors as columns), for pca_noise
_PCA_EIGVAL = np.array([55.46, 4.794, 1.148])
_PCA_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                        [-0.5836, -0.6948, 0.4203]])

_OUTPUT_DTYPES = {None: np.float32, 'float32': np.float32, 'uint8': np.uint8,
                  'int8': np.int8}


# ------------------------------------------------------------------ the records
def _record_offsets(path):
    """The byte offset of every record in RecordIO file ``path``, read from the
    record headers alone (see :mod:`d2lmini.recordio` for the format)."""
    offsets = []
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        pos, in_record = 0, False
        while pos < size:
            head = f.read(8)
            if len(head) < 8:
                raise MXNetError(f'Invalid RecordIO File {path}: it ends inside a record '
                                 'header')
            magic, lrec = struct.unpack('<II', head)
            if magic != 0xced7230a:
                raise MXNetError(f'Invalid RecordIO File {path}: no magic number at byte '
                                 f'{pos}')
            cflag, length = lrec >> 29, lrec & ((1 << 29) - 1)
            if not in_record:           # a whole record (0) or the first part of one (1)
                offsets.append(pos)
            in_record = cflag in (1, 2)
            pos += 8 + length + (-length) % 4
            f.seek(pos)
    return offsets


def _part_of(offsets, file_size, num_parts, part_index):
    """The records of part ``part_index`` of ``num_parts``: MXNet cuts the file into
    equal byte ranges (rounded up to 4 bytes) and a part holds the records that
    start in its range."""
    step = -(-file_size // num_parts)
    step += (-step) % 4
    begin, end = step * part_index, step * (part_index + 1)
    return [off for off in offsets if begin <= off < end]


class _Reader(recordio.MXRecordIO):
    """A RecordIO reader that can jump to a record's byte offset."""

    def read_at(self, offset):
        self._file.seek(offset)
        return self.read()


def _shuffled(count, outputs):
    """``0..count-1`` shuffled as C++'s ``std::shuffle`` does (GCC's library), with
    the raw 32-bit ``outputs`` of its ``std::mt19937``: each position ``i`` from 1 on
    is swapped with one drawn uniformly from ``0..i``."""
    order = list(range(count))
    for i in range(1, count):
        choices = i + 1
        bucket = 0xFFFFFFFF // choices
        raw = next(outputs)
        while raw >= choices * bucket:      # the incomplete last bucket: draw again
            raw = next(outputs)
        j = raw // bucket
        order[i], order[j] = order[j], order[i]
    return order


def _read_image_list(path):
    """``{record id: [labels]}`` from a ``.lst`` file (index, labels, path per line)."""
    table = {}
    with open(path) as f:
        for line in f:
            fields = line.strip().split('\t')
            if len(fields) < 3:
                continue
            table[int(float(fields[0]))] = [float(v) for v in fields[1:-1]]
    return table


# ------------------------------------------------------------------ image steps
def _interp(method, old_hw, new_hw, rng):
    """The OpenCV method that ``inter_method`` stands for (9: by the change in size,
    10: at random)."""
    if method == 10:
        return int(rng.randint(0, 5))
    if method == 9:
        (old_h, old_w), (new_h, new_w) = old_hw, new_hw
        if new_h > old_h and new_w > old_w:
            return 2
        if new_h < old_h and new_w < old_w:
            return 3
        return 1
    return method


def _resized(img, width, height, method, rng):
    if img.shape[:2] == (height, width):
        return img
    method = _interp(method, img.shape[:2], (height, width), rng)
    return _resize(img, width, height, method)


def _shorter_side_to(img, size, method, rng):
    height, width = img.shape[:2]
    if height < width:
        return _resized(img, width * size // height, size, method, rng)
    return _resized(img, size, height * size // width, method, rng)


def _covering(img, height, width, method, rng):
    """``img`` enlarged, keeping its aspect ratio (sizes rounded down), just enough
    to hold a ``height`` by ``width`` crop; unchanged when it already does."""
    old_h, old_w = img.shape[:2]
    if old_h >= height and old_w >= width:
        return img
    if height * old_w >= width * old_h:     # the height needs the larger factor
        return _resized(img, old_w * height // old_h, height, method, rng)
    return _resized(img, width, old_h * width // old_w, method, rng)


def _warp_affine(img, inverse, out_h, out_w, fill):
    """``img`` resampled bilinearly: output pixel (x, y) takes the source point
    ``inverse @ (x, y, 1)``; points off the image take ``fill``."""
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
    src_x = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    src_y = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
    fx, fy = (src_x - x0)[..., None], (src_y - y0)[..., None]
    height, width = img.shape[:2]
    source = img.astype(np.float64)

    def tap(y, x):
        inside = ((y >= 0) & (y < height) & (x >= 0) & (x < width))[..., None]
        values = source[np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)]
        return np.where(inside, values, float(fill))
    out = ((1 - fy) * ((1 - fx) * tap(y0, x0) + fx * tap(y0, x0 + 1))
           + fy * ((1 - fx) * tap(y0 + 1, x0) + fx * tap(y0 + 1, x0 + 1)))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _aspect_range(aug):
    if aug['min_aspect_ratio'] is not None:
        return aug['min_aspect_ratio'], aug['max_aspect_ratio']
    return 1 - aug['max_aspect_ratio'], 1 + aug['max_aspect_ratio']


_COLOUR_PARAMS = ('brightness', 'contrast', 'saturation', 'pca_noise', 'random_h',
                  'random_s', 'random_l', 'max_random_contrast', 'max_random_illumination')


def _shift_hls(rgb, dh, dl, ds):
    """RGB pixels (floats 0..255) with hue turned by ``dh`` units of 2 degrees
    (OpenCV's 8-bit hue) and lightness and saturation moved by ``dl``, ``ds`` (on a
    0..255 scale), through HLS."""
    unit = rgb / 255.0
    high, low = unit.max(axis=-1), unit.min(axis=-1)
    light = (high + low) / 2
    spread = high - low
    grey = spread == 0
    safe = np.where(grey, 1, spread)
    # saturation = spread / (1 - |2 L - 1|); grey pixels (no spread) have none
    denominator = np.where(grey, 1, np.where(light < 0.5, high + low, 2 - high - low))
    sat = np.where(grey, 0, spread / denominator)
    r, g, b = unit[..., 0], unit[..., 1], unit[..., 2]
    hue = np.where(high == r, (g - b) / safe, np.where(high == g, 2 + (b - r) / safe,
                                                       4 + (r - g) / safe))
    hue = np.where(grey, 0, hue * 60) % 360
    hue = (hue + 2 * dh) % 360
    light = np.clip(light + dl / 255.0, 0, 1)
    sat = np.clip(sat + ds / 255.0, 0, 1)
    # back to RGB (the standard HLS formulas)
    q = np.where(light < 0.5, light * (1 + sat), light + sat - light * sat)
    p = 2 * light - q

    def channel(t):
        t = t % 1.0
        return np.where(t < 1 / 6, p + (q - p) * 6 * t,
                        np.where(t < 1 / 2, q,
                                 np.where(t < 2 / 3, p + (q - p) * (2 / 3 - t) * 6, p)))
    h = hue / 360
    return np.stack([channel(h + 1 / 3), channel(h), channel(h - 1 / 3)], axis=-1) * 255


# ------------------------------------------------------------------ the iterator
class ImageRecordIter(DataIter):
    """Batches ``(batch_size, C, H, W)`` of the images in RecordIO file
    ``path_imgrec``, with their labels ``(batch_size,)`` (or ``(batch_size,
    label_width)``), as MXNet 1.x's ``mx.io.ImageRecordIter`` serves them; the
    module's docstring says what each image goes through.

    path_imgrec : the ``.rec`` file (required)
    data_shape : ``(channels, height, width)`` of one output image; 3 channels
        RGB, 1 grey, 4 RGBA (required)
    batch_size : images per batch (required)
    path_imglist : a ``.lst`` file whose labels replace those in the records
        (matched by the record's id)
    path_imgidx : the ``.idx`` file; accepted (records are read in file order
        either way, as MXNet does)
    label_width : labels per image; records must hold that many
    shuffle, seed : reorder each pass over the data, as MXNet does for ``seed``
    round_batch : how a last, incomplete batch is handled (module docstring)
    num_parts, part_index : read only part ``part_index`` of ``num_parts``, cut
        from the file by bytes, as MXNet cuts it (for distributed training)
    preprocess_threads : threads that decode images
    prefetch_buffer : accepted; batches are made when asked for
    dtype : None or ``'float32'``, ``'uint8'``, ``'int8'``
    data_name, label_name : the names in ``provide_data`` / ``provide_label``

    The augmentation parameters (``resize``, ``rand_crop``, ``rand_mirror``,
    ``max_rotate_angle``, ``mean_r``, ``std_r``, ``scale``, ``mean_img``, ... with
    MXNet's names and defaults) are keyword arguments too. Random augmentation
    draws from a generator seeded with ``seed_aug`` (else ``seed``); it is random
    as MXNet's is, not the same draws. ``mean_img`` names a file saved by
    :func:`mx.nd.save <d2lmini.ndarray.save>`; when it does not exist yet, the mean
    of the (un-augmented, centre-cropped) images is computed and saved there first,
    as MXNet does.

    Differences from MXNet 1.9.1, where its behaviour is a defect: ``pad`` is the
    number of filler images for every batch (MXNet 1.9.1's default iterator
    sometimes reports a stale ``pad`` for a full batch, and without
    ``round_batch`` reports 0 for a batch of uninitialised filler), as MXNet's
    ``ImageRecordIter_v1`` does; a batch larger than the data wraps around as often
    as needed (MXNet fails after two epochs); :meth:`reset` in the middle of an
    epoch starts the next one at the beginning of the data (MXNet's two versions
    disagree); unknown parameters give a warning (MXNet ignores them silently);
    ``getindex()`` gives the records' ids (as ``ImageRecordIter_v1``); a computed
    ``mean_img`` is the mean of the raw pixels (MXNet saves the mean of pixels
    already multiplied by ``scale / std``, and then subtracts it from raw pixels,
    so that its data are not centred unless ``scale`` and ``std`` are 1).
    """

    def __init__(self, *, path_imgrec='', data_shape=None, batch_size=None, path_imglist='',
                 path_imgidx='', label_width=1, shuffle=False, seed=0, round_batch=True,
                 num_parts=1, part_index=0, preprocess_threads=4, prefetch_buffer=4,
                 dtype=None, data_name='data', label_name='softmax_label', **kwargs):
        self._check_arguments(data_shape, batch_size, path_imgrec, num_parts, part_index)
        super().__init__(int(batch_size))
        self._aug = self._augment_params(kwargs)
        key = None if dtype is None else np.dtype(dtype).name
        if key not in _OUTPUT_DTYPES:
            raise MXNetError(f"{type(self).__name__}: dtype must be None, 'float32', "
                             f"'uint8' or 'int8', got {dtype!r} (MXNet 1.9.1 rejects the "
                             "others too)")
        self._dtype = np.dtype(_OUTPUT_DTYPES[key])
        self.data_shape = tuple(int(d) for d in data_shape)
        self.label_width = int(label_width)
        self.shuffle = bool(shuffle)
        self.round_batch = bool(round_batch)
        self._threads = max(1, int(preprocess_threads))
        self._labels_from_list = _read_image_list(path_imglist) if path_imglist else None

        self._path = os.fspath(path_imgrec)
        offsets = _record_offsets(self._path)
        self._offsets = _part_of(offsets, os.path.getsize(self._path), num_parts, part_index)
        if not self._offsets:
            raise MXNetError(f'{type(self).__name__}: part {part_index} of {num_parts} of '
                             f'{self._path} holds no record ({len(offsets)} records in all)')
        self._reader = _Reader(self._path, 'r')
        self._shuffle_outputs = _mt19937_outputs(_SHUFFLE_SEED_OFFSET + int(seed))
        seed_aug = self._aug['seed_aug']
        self._rng = np.random.RandomState(int(seed if seed_aug is None else seed_aug))

        channels, height, width = self.data_shape
        label_shape = (self.batch_size,) if self.label_width == 1 else \
            (self.batch_size, self.label_width)
        self.provide_data = [DataDesc(data_name, (self.batch_size,) + self.data_shape,
                                      self._dtype.type)]
        self.provide_label = [DataDesc(label_name, label_shape, np.float32)]
        self._mean = self._load_mean()
        # the batch buffers: without round_batch a last batch keeps their old rows
        self._data = np.zeros((self.batch_size,) + self.data_shape, self._dtype)
        self._label = np.zeros(label_shape, np.float32)
        self._index = np.zeros(self.batch_size, np.uint64)
        self._order, self._pos = [], 0      # this pass's order, and the place in it
        self._epoch_over = False
        self._served = 0                    # batches served in this epoch
        self._pad = 0
        self._label_of(self._record(0))     # a wrong label_width fails now, as in MXNet

    # -- construction
    @staticmethod
    def _check_arguments(data_shape, batch_size, path_imgrec, num_parts, part_index):
        if data_shape is None:
            raise MXNetError('Required parameter data_shape of Shape(tuple) is not presented')
        if batch_size is None:
            raise MXNetError('Required parameter batch_size of int (non-negative) is not '
                             'presented')
        if len(tuple(data_shape)) != 3:
            raise MXNetError(f'value {list(data_shape)} for Parameter data_shape has wrong '
                             'dimensions, expected dimension=3')
        if data_shape[0] not in (1, 3, 4):
            raise MXNetError(f'Invalid output shape {list(data_shape)}: images have 1 '
                             '(grey), 3 (RGB) or 4 (RGBA) channels')
        if int(batch_size) < 1:
            raise MXNetError(f'batch_size must be positive, got {batch_size}')
        if not path_imgrec:
            raise MXNetError('ImageRecordIter: must specify path_imgrec')
        if os.path.isdir(path_imgrec):
            raise MXNetError(f'ImageRecordIter: {path_imgrec} is a folder; d2lmini reads '
                             'one .rec file')
        if not os.path.isfile(path_imgrec):
            raise MXNetError(f'ImageRecordIter: {path_imgrec}: No such file or directory')
        if not 0 <= part_index < num_parts:
            raise MXNetError(f'part_index {part_index} is not in [0, num_parts={num_parts})')

    # the augmentation settings a subclass takes instead (ImageDetRecordIter's)
    _augment_defaults, _ignored_params = _AUGMENT_DEFAULTS, _IGNORED

    def _augment_params(self, kwargs):
        aug = dict(self._augment_defaults)
        unknown = []
        for name, value in kwargs.items():
            if name in aug:
                aug[name] = value
            elif name not in self._ignored_params:
                unknown.append(name)
        if unknown:
            warnings.warn(f'{type(self).__name__} ignores the unknown parameters '
                          f'{sorted(unknown)}, as MXNet does', stacklevel=3)
        return aug

    def _load_mean(self):
        """The mean subtracted from every image: the image in file ``mean_img``
        (computed and saved first when the file does not exist), else one value per
        channel."""
        aug, channels = self._aug, self.data_shape[0]
        path = aug['mean_img']
        if not path:
            means = [aug['mean_r'], aug['mean_g'], aug['mean_b'], aug['mean_a']]
            if channels == 1:
                means = means[:1]
            return np.array(means[:channels], np.float64).reshape(channels, 1, 1)
        if not os.path.exists(path):
            logging.info('%s: computing the mean image into %s', type(self).__name__, path)
            nd.save(path, {'mean_img': nd.array(self._mean_of_images())})
        loaded = nd.load(path)
        arrays = list(loaded.values()) if isinstance(loaded, dict) else list(loaded)
        if not arrays or arrays[0].shape != self.data_shape:
            raise MXNetError(f'{type(self).__name__}: mean_img {path} must hold an array of '
                             f'shape {self.data_shape}, got '
                             f'{arrays[0].shape if arrays else "no array"}')
        return arrays[0].asnumpy().astype(np.float64)

    def _mean_of_images(self):
        total = np.zeros(self.data_shape, np.float64)
        for i in range(len(self._offsets)):
            _, payload = recordio.unpack(self._record(i))
            total += self._fixed_crop(self._decode(payload)).transpose(2, 0, 1)
        return (total / len(self._offsets)).astype(np.float32)

    # -- reading records
    def _record(self, i):
        return self._reader.read_at(self._offsets[i])

    def _label_of(self, record):
        header, payload = recordio.unpack(record)
        width = self.label_width
        if self._labels_from_list is not None:
            labels = self._labels_from_list.get(int(header.id))
            if labels is None or len(labels) < width:
                raise MXNetError(f'{type(self).__name__}: the image list has no '
                                 f'{width} label(s) for record id {header.id}')
            return np.array(labels[:width], np.float32), header.id, payload
        labels = np.atleast_1d(np.asarray(header.label, np.float32))
        if labels.size != width:
            raise MXNetError(f'rec file provide {labels.size}-dimensional label but '
                             f'label_width is set to {width}')
        return labels, header.id, payload

    def _decode(self, payload):
        channels = self.data_shape[0]
        img = codec.decode(payload, {3: 1, 1: 0, 4: -1}[channels])
        if img.shape[2] != channels:
            raise MXNetError(f'{type(self).__name__}: expected {channels} channels, an '
                             f'image has {img.shape[2]}')
        return img

    # -- the image pipeline (module docstring)
    def _fixed_crop(self, img):
        """The deterministic steps: resize, enlarge to cover, centre crop."""
        aug, rng = self._aug, self._rng
        _, height, width = self.data_shape
        if aug['resize'] > 0:
            img = _shorter_side_to(img, int(aug['resize']), aug['inter_method'], rng)
        img = _covering(img, height, width, aug['inter_method'], rng)
        y0, x0 = (img.shape[0] - height) // 2, (img.shape[1] - width) // 2
        return img[y0:y0 + height, x0:x0 + width]

    def _augment(self, img):
        aug, rng = self._aug, self._rng
        _, height, width = self.data_shape
        if aug['resize'] > 0:
            img = _shorter_side_to(img, int(aug['resize']), aug['inter_method'], rng)
        img = self._random_geometry(img)
        if aug['pad'] > 0:
            p = int(aug['pad'])
            img = np.pad(img, ((p, p), (p, p), (0, 0)), constant_values=aug['fill_value'])
        img = self._crop(img, height, width)
        if aug['mirror'] or (aug['rand_mirror'] and rng.randint(2)):
            img = img[:, ::-1]
        return self._colour_noise(img)

    def _random_geometry(self, img):
        """Rotation, scale, aspect ratio and shear, when any is switched on."""
        aug, rng = self._aug, self._rng
        angle = aug['rotate'] if aug['rotate'] >= 0 else \
            rng.uniform(-aug['max_rotate_angle'], aug['max_rotate_angle'])
        scale = rng.uniform(aug['min_random_scale'], aug['max_random_scale'])
        low, high = _aspect_range(aug)
        aspect = rng.uniform(low, high) if (low, high) != (1, 1) else 1.0
        shear = rng.uniform(-aug['max_shear_ratio'], aug['max_shear_ratio'])
        if (angle, scale, aspect, shear) == (0, 1, 1, 0) or aug['random_resized_crop']:
            return img
        height, width = img.shape[:2]
        new_w = int(np.clip(width * scale * math.sqrt(aspect), aug['min_img_size'],
                            aug['max_img_size']))
        new_h = int(np.clip(height * scale / math.sqrt(aspect), aug['min_img_size'],
                            aug['max_img_size']))
        theta = math.radians(angle)
        rotation = np.array([[math.cos(theta), math.sin(theta)],
                             [-math.sin(theta), math.cos(theta)]])
        forward = rotation @ np.array([[1, shear], [0, 1]]) @ \
            np.diag([new_w / width, new_h / height])
        inverse = np.linalg.inv(forward)
        # output centre maps to the source centre
        shift = np.array([(width - 1) / 2, (height - 1) / 2]) - \
            inverse @ np.array([(new_w - 1) / 2, (new_h - 1) / 2])
        return _warp_affine(img, np.hstack([inverse, shift[:, None]]), max(new_h, 1),
                            max(new_w, 1), aug['fill_value'])

    def _crop(self, img, height, width):
        aug, rng = self._aug, self._rng
        if aug['random_resized_crop']:
            box = self._random_area_box(img)
            y0, x0, box_h, box_w = box
            return _resized(img[y0:y0 + box_h, x0:x0 + box_w], width, height,
                            aug['inter_method'], rng)
        if aug['min_crop_size'] > 0 and aug['max_crop_size'] > 0:
            side = rng.randint(aug['min_crop_size'], aug['max_crop_size'] + 1)
            side = min(side, *img.shape[:2])
            y0, x0 = self._corner(img, side, side)
            return _resized(img[y0:y0 + side, x0:x0 + side], width, height,
                            aug['inter_method'], rng)
        img = _covering(img, height, width, aug['inter_method'], rng)
        y0, x0 = self._corner(img, height, width)
        return img[y0:y0 + height, x0:x0 + width]

    def _corner(self, img, height, width):
        room_y, room_x = img.shape[0] - height, img.shape[1] - width
        if self._aug['rand_crop']:
            return self._rng.randint(room_y + 1), self._rng.randint(room_x + 1)
        return room_y // 2, room_x // 2

    def _random_area_box(self, img):
        """(y0, x0, h, w) of a box with a random share of the area, in
        ``[min_random_area, max_random_area]``, and a random aspect ratio; the
        centred largest square-ish box after 10 failed draws."""
        aug, rng = self._aug, self._rng
        height, width = img.shape[:2]
        low, high = _aspect_range(aug)
        for _ in range(10):
            area = rng.uniform(aug['min_random_area'], aug['max_random_area']) * height * width
            aspect = rng.uniform(low, high) if high > low else max(low, 1e-3)
            box_w = int(round(math.sqrt(area * aspect)))
            box_h = int(round(math.sqrt(area / aspect)))
            if 0 < box_w <= width and 0 < box_h <= height:
                return rng.randint(height - box_h + 1), rng.randint(width - box_w + 1), \
                    box_h, box_w
        side = min(height, width)
        return (height - side) // 2, (width - side) // 2, side, side

    def _colour_noise(self, img):
        aug, rng = self._aug, self._rng
        if not any(aug[name] for name in _COLOUR_PARAMS):
            return img
        out = img.astype(np.float64)
        rgb = out[..., :3] if out.shape[2] >= 3 else None
        grey_weights = np.array([0.299, 0.587, 0.114])
        if aug['brightness']:
            out *= 1 + rng.uniform(-aug['brightness'], aug['brightness'])
        if aug['contrast'] and rgb is not None:
            alpha = 1 + rng.uniform(-aug['contrast'], aug['contrast'])
            grey_mean = (rgb @ grey_weights).mean()
            rgb[...] = rgb * alpha + grey_mean * (1 - alpha)
        if aug['saturation'] and rgb is not None:
            alpha = 1 + rng.uniform(-aug['saturation'], aug['saturation'])
            grey = (rgb @ grey_weights)[..., None]
            rgb[...] = rgb * alpha + grey * (1 - alpha)
        if (aug['random_h'] or aug['random_s'] or aug['random_l']) and rgb is not None:
            # shifts in OpenCV's 8-bit HLS units: hue in half degrees, L and S 0..255
            shifts = [rng.randint(-int(aug[k]), int(aug[k]) + 1)
                      for k in ('random_h', 'random_l', 'random_s')]
            rgb[...] = _shift_hls(np.clip(rgb, 0, 255), *shifts)
        if aug['pca_noise'] and rgb is not None:
            alpha = rng.normal(0, aug['pca_noise'], size=3)
            rgb += _PCA_EIGVEC @ (alpha * _PCA_EIGVAL)
        if aug['max_random_contrast'] or aug['max_random_illumination']:
            contrast = rng.uniform(-aug['max_random_contrast'], aug['max_random_contrast'])
            light = rng.uniform(-aug['max_random_illumination'],
                                aug['max_random_illumination'])
            out = out * (1 + contrast) + light
        return np.clip(out, 0, 255)

    def _normalised(self, img):
        """CHW output pixels of dtype ``dtype`` (module docstring)."""
        chw = np.asarray(img).transpose(2, 0, 1)
        if self._dtype == np.uint8:
            return np.clip(np.rint(chw), 0, 255)
        if self._dtype == np.int8:
            return np.clip(np.rint(chw - self._mean), -128, 127)
        aug, channels = self._aug, self.data_shape[0]
        std = np.array([aug['std_r'], aug['std_g'], aug['std_b'], aug['std_a']][:channels])
        return (chw - self._mean) / std.reshape(-1, 1, 1) * aug['scale']

    # -- epochs and batches
    def _next_position(self):
        """The record to read next, in this pass's order."""
        key = self._order[self._pos]
        self._pos += 1
        return key

    def _pass_done(self):
        return self._pos == len(self._order)

    def _new_pass(self):
        count = len(self._offsets)
        self._order = _shuffled(count, self._shuffle_outputs) if self.shuffle \
            else list(range(count))
        self._pos = 0

    def reset(self):
        """Start the next epoch: after a finished one, where its last batch stopped
        (with ``round_batch``, after the images that filled it up); in the middle
        of one, at the beginning of the data."""
        if not self._epoch_over and self._served:
            self._order, self._pos = [], 0
        self._epoch_over = False
        self._served = 0

    def iter_next(self):
        if self._epoch_over:
            return False
        if self._pass_done():
            self._new_pass()
        chosen, filler = [], 0
        while len(chosen) < self.batch_size:
            if self._pass_done():
                if not self.round_batch:
                    break
                self._new_pass()
                filler = filler or self.batch_size - len(chosen)
            chosen.append(self._next_position())
        self._epoch_over = bool(filler) or self._pass_done()
        self._pad = filler if self.round_batch else self.batch_size - len(chosen)
        self._fill(chosen)
        self._served += 1
        return True

    def _read(self, chosen):
        """The records at positions ``chosen``: ``(label, record id, image bytes)``
        each, and the decoded images (on the ``preprocess_threads`` threads)."""
        records = [self._label_of(self._record(i)) for i in chosen]
        if self._threads > 1 and len(records) > 1:
            with ThreadPoolExecutor(min(self._threads, len(records))) as pool:
                images = list(pool.map(self._decode, [r[2] for r in records]))
        else:
            images = [self._decode(r[2]) for r in records]
        return records, images

    def _fill(self, chosen):
        records, images = self._read(chosen)
        for row, ((labels, record_id, _), img) in enumerate(zip(records, images)):
            self._data[row] = self._normalised(self._augment(img))
            self._label[row] = labels if self.label_width > 1 else labels[0]
            self._index[row] = record_id

    def getdata(self):
        return nd.array(self._data, dtype=self._dtype)

    def getlabel(self):
        return nd.array(self._label, dtype=np.float32)

    def getpad(self):
        return self._pad

    def getindex(self):
        return self._index.copy()

    def next(self):
        if self.iter_next():
            return DataBatch(data=[self.getdata()], label=[self.getlabel()],
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration


class ImageRecordIter_v1(ImageRecordIter):  # noqa: N801 - MXNet's name
    """MXNet 1.x's first version of :class:`ImageRecordIter`; the same iterator."""


class _FixedDtypeIter(ImageRecordIter):
    """An :class:`ImageRecordIter` whose pixels have one dtype, ``_DTYPE``."""
    _DTYPE = 'uint8'

    def __init__(self, **kwargs):
        dtype = kwargs.pop('dtype', None)
        if dtype is not None and np.dtype(dtype).name != self._DTYPE:
            raise MXNetError(f'{type(self).__name__} serves {self._DTYPE} pixels; use '
                             f'ImageRecordIter(dtype={dtype!r})')
        super().__init__(dtype=self._DTYPE, **kwargs)


class ImageRecordUInt8Iter(_FixedDtypeIter):
    """:class:`ImageRecordIter` with uint8 pixels, not normalised (MXNet's older
    spelling of ``ImageRecordIter(dtype='uint8')``)."""


class ImageRecordUInt8Iter_v1(ImageRecordUInt8Iter):  # noqa: N801 - MXNet's name
    """The same as :class:`ImageRecordUInt8Iter`."""


class ImageRecordInt8Iter(_FixedDtypeIter):
    """:class:`ImageRecordIter` with int8 pixels (MXNet's older spelling of
    ``ImageRecordIter(dtype='int8')``)."""
    _DTYPE = 'int8'
