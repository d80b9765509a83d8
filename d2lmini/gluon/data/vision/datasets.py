"""Image classification datasets: MNIST, Fashion-MNIST, CIFAR-10/100, and an offline
stand-in.

Every dataset here gives examples ``(image, label)``: the image an NDArray of shape
``(H, W, C)`` (C is 1 for the greyscale digits and clothes, 3 for CIFAR) and dtype
uint8 (0..255), the label a numpy int32, exactly as MXNet's datasets do. So switching
data is one line::

    train = vision.FashionMNIST(train=True)   # downloads 30 MB once
    train = vision.Digits(train=True, size=28)  # no network: ships with scikit-learn

MNIST and Fashion-MNIST are downloaded from MXNet's mirror (the environment variable
``MXNET_GLUON_REPO`` names another), checked against SHA-1 sums, and cached in
``root``. Without a network connection, place the four ``.gz`` files in ``root``
(CIFAR: its binary batch files, see :class:`CIFAR10`).
"""
import gzip
import math
import os
import struct
import tarfile
import warnings

import numpy as np

from .... import ndarray as nd
from ....download import download, DownloadError
from ....fileio import check_size, read_exactly
from ..dataset import Dataset, RecordFileDataset
from .transforms import resize, BILINEAR

__all__ = ['MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100', 'Digits', 'ImageRecordDataset',
           'ImageFolderDataset']

_DEFAULT_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'


def _example(transform, image, label):
    """The example ``(image, label)``, or what ``transform(image, label)`` makes of it."""
    return (image, label) if transform is None else transform(image, label)


def _repo_url():
    """Where MXNet's datasets are hosted: its S3 mirror unless MXNET_GLUON_REPO says."""
    url = os.environ.get('MXNET_GLUON_REPO', _DEFAULT_REPO)
    return url if url.endswith('/') else url + '/'


class _ImageDataset(Dataset):
    """Images (an NDArray ``(N, H, W, C)``) with labels (numpy int32), and the
    optional ``transform(image, label)`` that MXNet's datasets take."""

    def __init__(self, transform):
        self._transform = transform
        self._data = None
        self._label = None

    def __getitem__(self, idx):
        return _example(self._transform, self._data[idx], self._label[idx])

    def __len__(self):
        return len(self._label)


# ------------------------------------------------------------------ MNIST
# IDX is the file format of MNIST: a 4-byte magic number (two zero bytes, a type
# code, the number of dimensions), one big-endian uint32 per dimension, then the data.
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype('>i2'),
              0x0C: np.dtype('>i4'), 0x0D: np.dtype('>f4'), 0x0E: np.dtype('>f8')}


def _read_idx(path):
    """The array stored in IDX file ``path`` (gzip'ed when the name ends in .gz).

    The size the header declares is checked against the data actually there before
    anything is allocated, so a damaged or forged file gives a clear error.
    """
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            return _read_idx_from(f, path, compressed=opener is gzip.open)
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f'{path} is damaged ({e}); delete it and download it again') from e


def _read_idx_from(f, path, compressed):
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
        raise ValueError(f'{path} is not an IDX file (it does not start with an IDX '
                         'magic number); the download may be damaged: delete it')
    dtype, ndim = np.dtype(_IDX_TYPES[magic[2]]), magic[3]
    dims = f.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f'{path} is truncated inside its header; delete it and download '
                         'it again')
    shape = struct.unpack(f'>{ndim}I', dims)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize

    def truncated(message):
        return ValueError(f'{path} is truncated: {message}; delete it and download it again')

    what = f'the data of shape {shape}'
    if not compressed:  # the file's size is known: check it before reading
        check_size(nbytes, os.fstat(f.fileno()).st_size - 4 - 4 * ndim, what, truncated)
    # a compressed stream is read piece by piece: memory follows the real data
    raw = read_exactly(f, nbytes, what, truncated)
    if f.read(1):
        raise ValueError(f'{path} has more data than its header (shape {shape}) says; '
                         'delete it and download it again')
    data = np.frombuffer(raw, dtype=dtype, count=count).reshape(shape)
    return data.astype(dtype.newbyteorder('='))  # native byte order, and writable


class _DownloadedDataset(_ImageDataset):
    """A dataset whose files are downloaded into ``root`` (created when missing)
    the first time they are needed; ``_get_data`` reads the training or test part."""

    def __init__(self, root, train, transform):
        super().__init__(transform)
        self._train = train
        self._root = os.path.expanduser(root)
        os.makedirs(self._root, exist_ok=True)
        self._get_data()


class MNIST(_DownloadedDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of
    28x28 pixels, labels 0 to 9.

    root : folder for the downloaded files (created when missing)
    train : the training set (True) or the test set (False)
    transform : called as ``transform(image, label)`` on every example read

    Each example is ``(image, label)``: an NDArray ``(28, 28, 1)`` uint8 and an int32.
    """

    _namespace = 'mnist'
    # (file name, SHA-1 of the .gz file), as published with MXNet
    _train_data = ('train-images-idx3-ubyte.gz', '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d')
    _train_label = ('train-labels-idx1-ubyte.gz', '2a80914081dc54586dbdf242f9805a6b8d2a15fc')
    _test_data = ('t10k-images-idx3-ubyte.gz', 'c3a25af1f52dad7f726cce8cacb138654b760d48')
    _test_label = ('t10k-labels-idx1-ubyte.gz', '763e7fa3757d93b0cdec073cef058b2004252c17')

    def __init__(self, root=os.path.join('~', '.mxnet', 'datasets', 'mnist'),
                 train=True, transform=None):
        super().__init__(root, train, transform)

    def _fetch(self, name, sha1):
        url = f'{_repo_url()}gluon/dataset/{self._namespace}/{name}'
        try:
            return download(url, path=self._root, sha1_hash=sha1)
        except DownloadError as e:
            files = ', '.join(f[0] for f in (self._train_data, self._train_label,
                                             self._test_data, self._test_label))
            raise DownloadError(
                f'{e}\n{type(self).__name__} needs its files in {self._root}: {files}. '
                'Without network access, copy them there from another machine, or set '
                'MXNET_GLUON_REPO to a mirror; gluon.data.vision.Digits needs no download.'
            ) from e

    def _get_data(self):
        data, label = ((self._train_data, self._train_label) if self._train
                       else (self._test_data, self._test_label))
        labels = _read_idx(self._fetch(*label)).astype(np.int32)
        images = _read_idx(self._fetch(*data))
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f'{type(self).__name__}: {images.shape[0]} images but '
                             f'{labels.shape[0]} labels in {self._root}')
        self._data = nd.array(images[..., None], dtype=np.uint8)  # (N, 28, 28, 1)
        self._label = labels


class FashionMNIST(MNIST):
    """Fashion-MNIST: 28x28 greyscale photos of 10 kinds of clothing, a drop-in,
    harder replacement for :class:`MNIST` (same sizes, same example format)."""

    _namespace = 'fashion-mnist'
    _train_data = ('train-images-idx3-ubyte.gz', '0cf37b0d40ed5169c6b3aba31069a9770ac9043d')
    _train_label = ('train-labels-idx1-ubyte.gz', '236021d52f1e40852b06a4c3008d8de8aef1e40b')
    _test_data = ('t10k-images-idx3-ubyte.gz', '626ed6a7c06dd17c0eec72fa3be1740f146a2863')
    _test_label = ('t10k-labels-idx1-ubyte.gz', '17f9ab60e7257a1620f4ad76bbbaf857c3920701')

    def __init__(self, root=os.path.join('~', '.mxnet', 'datasets', 'fashion-mnist'),
                 train=True, transform=None):
        super().__init__(root, train, transform)


# ------------------------------------------------------------------ CIFAR
class CIFAR10(_DownloadedDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels in 10
    classes (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck).

    root : folder for the files (created when missing)
    train : the training set (True) or the test set (False)
    transform : called as ``transform(image, label)`` on every example read

    Each example is ``(image, label)``: an NDArray ``(32, 32, 3)`` uint8 and an int32.
    The data is MXNet's: the binary batches ``data_batch_1.bin`` ...
    ``data_batch_5.bin`` and ``test_batch.bin`` in ``root`` (each record a label byte
    and 3072 pixel bytes, channel by channel); when one is missing, MXNet's archive is
    downloaded (SHA-1 checked) and unpacked there. Files already in ``root`` are read
    as they are (MXNet also compares them with SHA-1 sums, which means reading
    150 MB each time); a file that is not a whole number of records is an error.
    """

    _namespace = 'cifar10'
    _archive = ('cifar-10-binary.tar.gz', 'fab780a1e191a7eda0f345501ccd62d20f7ed891')
    _train_files = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin',
                    'data_batch_4.bin', 'data_batch_5.bin']
    _test_files = ['test_batch.bin']
    _label_bytes = 1  # bytes before the pixels of each record

    def __init__(self, root=os.path.join('~', '.mxnet', 'datasets', 'cifar10'),
                 train=True, transform=None):
        super().__init__(root, train, transform)

    def _fetch_archive(self):
        name, sha1 = self._archive
        url = f'{_repo_url()}gluon/dataset/{self._namespace}/{name}'
        files = ', '.join(self._train_files + self._test_files)
        try:
            path = download(url, path=self._root, sha1_hash=sha1)
        except DownloadError as e:
            raise DownloadError(
                f'{e}\n{type(self).__name__} needs {files} in {self._root} (or the '
                f'archive {name} they come in). Without network access, copy them there '
                'from another machine, or set MXNET_GLUON_REPO to a mirror.') from e
        with tarfile.open(path) as tar:
            if hasattr(tarfile, 'data_filter'):  # refuse paths that leave root
                tar.extractall(self._root, filter='data')
            else:
                tar.extractall(self._root)

    def _label_of(self, records):
        return records[:, 0]

    def _read_batch(self, path):
        record = self._label_bytes + 3 * 32 * 32
        with open(path, 'rb') as f:
            raw = np.frombuffer(f.read(), dtype=np.uint8)
        if raw.size % record:
            raise ValueError(f'{path} is not a whole number of {record}-byte records; '
                             'delete it and download it again')
        records = raw.reshape(-1, record)
        # pixels are stored channel by channel: (N, C, H, W) -> (N, H, W, C)
        images = records[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, self._label_of(records).astype(np.int32)

    def _get_data(self):
        names = self._train_files + self._test_files
        if not all(os.path.exists(os.path.join(self._root, n)) for n in names):
            self._fetch_archive()
        chosen = self._train_files if self._train else self._test_files
        images, labels = zip(*(self._read_batch(os.path.join(self._root, n)) for n in chosen))
        images = np.concatenate(images)
        self._data = nd.array(images, dtype=images.dtype)
        self._label = np.concatenate(labels)


class CIFAR100(CIFAR10):
    """CIFAR-100: CIFAR-10's sizes (:class:`CIFAR10`), 100 classes grouped into 20
    superclasses. ``fine_label=False`` (the default, as in MXNet) gives the superclass
    (0..19), ``fine_label=True`` the class (0..99). The files are ``train.bin`` and
    ``test.bin`` (each record a coarse and a fine label byte, then the pixels)."""

    _namespace = 'cifar100'
    _archive = ('cifar-100-binary.tar.gz', 'a0bb982c76b83111308126cc779a992fa506b90b')
    _train_files = ['train.bin']
    _test_files = ['test.bin']
    _label_bytes = 2

    def __init__(self, root=os.path.join('~', '.mxnet', 'datasets', 'cifar100'),
                 fine_label=False, train=True, transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_of(self, records):
        return records[:, 1 if self._fine_label else 0]


# ------------------------------------------------------------------ Digits
class Digits(_ImageDataset):
    """Handwritten digits that need no download: the 1,797 8x8 images that ship with
    scikit-learn (``sklearn.datasets.load_digits``), in MNIST's example format.

    train : the training part (1,437 images) or the test part (360 images). The
        split is fixed: the same 20% of every digit is held out on every machine.
    transform : called as ``transform(image, label)`` on every example read
    size : None keeps 8x8 pixels; an int (28, say) scales the images up, bilinearly,
        so that code written for MNIST runs unchanged.

    Each example is ``(image, label)``: an NDArray ``(size, size, 1)`` uint8 in 0..255
    and an int32.

    >>> train = Digits(train=True, size=28)
    >>> image, label = train[0]
    >>> len(train), image.shape, image.dtype.__name__, label.dtype.name
    (1437, (28, 28, 1), 'uint8', 'int32')
    """

    _TEST_FRACTION = 0.2
    _SPLIT_SEED = 0

    def __init__(self, train=True, transform=None, size=None):
        super().__init__(transform)
        images, labels = _load_sklearn_digits()
        keep = ~_test_mask(labels, self._TEST_FRACTION, self._SPLIT_SEED)
        if not train:
            keep = ~keep
        # sklearn's pixel values are counts 0..16; scale them to MNIST's 0..255
        images = np.rint(images[keep] * (255 / 16)).astype(np.uint8)[..., None]
        if size is not None:
            if int(size) != size or size < 1:
                raise ValueError(f'Digits: size must be a positive int or None, got {size!r}')
            images = resize(images, int(size), int(size), BILINEAR)
        self._data = nd.array(images, dtype=np.uint8)
        self._label = labels[keep].astype(np.int32)


def _load_sklearn_digits():
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError('vision.Digits reads the digits that ship with scikit-learn, '
                          'which is not installed: pip install scikit-learn') from e
    digits = load_digits()
    return digits.images, digits.target


def _test_mask(labels, fraction, seed):
    """A fixed, stratified choice of ``ceil(fraction * n)`` test examples among ``n``.

    Every class gives its share (rounded by largest remainder, so the total is exact),
    picked by a seeded permutation. ``RandomState`` rather than ``default_rng``,
    because numpy promises that its streams never change: the split is the same with
    every numpy version.
    """
    classes, counts = np.unique(labels, return_counts=True)
    total = int(np.ceil(fraction * len(labels)))
    exact = counts * total / len(labels)
    share = np.floor(exact).astype(int)
    largest_remainders = np.argsort(-(exact - share), kind='stable')
    share[largest_remainders[:total - share.sum()]] += 1
    rng = np.random.RandomState(seed)
    mask = np.zeros(len(labels), dtype=bool)
    for c, k in zip(classes, share):
        members = np.flatnonzero(labels == c)
        rng.shuffle(members)
        mask[members[:k]] = True
    return mask


# ------------------------------------------------------------------ your own images
class ImageRecordDataset(RecordFileDataset):
    """The images of a RecordIO file made by ``im2rec`` or :func:`mx.recordio.pack_img
    <d2lmini.recordio.pack_img>` (its index, ``.idx``, next to it).

    filename : the ``.rec`` file
    flag : 1 colour images ``(H, W, 3)``, 0 greyscale ``(H, W, 1)``
    transform : called as ``transform(image, label)`` on every example read

    Each example is ``(image, label)``: an NDArray uint8 (RGB) and the record's label
    (a float, or a numpy float32 array for several labels).
    """

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        from .... import image, recordio
        header, encoded = recordio.unpack(super().__getitem__(idx))
        return _example(self._transform, image.imdecode(encoded, self._flag), header.label)


class ImageFolderDataset(Dataset):
    """Images stored one folder per class: ``root/<class name>/<image file>``.

    root : the folder holding the class folders
    flag : 1 colour images ``(H, W, 3)``, 0 greyscale ``(H, W, 1)``
    transform : called as ``transform(image, label)`` on every example read

    Classes are numbered in the sorted order of their folders' names (``synsets``);
    ``items`` lists ``(file path, label)``. Only ``.jpg``, ``.jpeg`` and ``.png`` files
    are read; other files, and files directly in ``root``, are skipped with a warning.

    >>> import os, tempfile
    >>> import numpy as np
    >>> from d2lmini.image import codec
    >>> root = tempfile.mkdtemp()
    >>> for cls in ['dog', 'cat']:
    ...     os.makedirs(os.path.join(root, cls))
    ...     with open(os.path.join(root, cls, '1.png'), 'wb') as f:
    ...         _ = f.write(codec.encode(np.zeros((4, 5, 3), np.uint8), '.png'))
    >>> ds = ImageFolderDataset(root)
    >>> ds.synsets, len(ds), ds[1][0].shape, ds[1][1]
    (['cat', 'dog'], 2, (4, 5, 3), 1)
    """

    def __init__(self, root, flag=1, transform=None):
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        self._exts = ['.jpg', '.jpeg', '.png']  # compared in lower case
        self._list_images(self._root)

    def _list_images(self, root):
        # a method, as in MXNet, so that a subclass can find its images its own way
        self.synsets, self.items = _scan_class_folders(root, self._exts)

    def __getitem__(self, idx):
        from .... import image
        path, label = self.items[idx]
        return _example(self._transform, image.imread(path, self._flag), label)

    def __len__(self):
        return len(self.items)


def _scan_class_folders(root, exts):
    """``(class names, [(image path, class number), ...])`` for the folders in
    ``root``, both in sorted order; entries that do not fit are skipped with a
    warning."""
    synsets, items = [], []
    for name in sorted(os.listdir(root)):
        class_dir = os.path.join(root, name)
        if not os.path.isdir(class_dir):
            # stacklevel: the warning points at the ImageFolderDataset(...) call
            warnings.warn(f'Ignoring {class_dir}, which is not a directory.', stacklevel=3)
            continue
        synsets.append(name)
        for entry in sorted(os.listdir(class_dir)):
            path = os.path.join(class_dir, entry)
            suffix = os.path.splitext(entry)[1]
            if suffix.lower() in exts:
                items.append((path, len(synsets) - 1))
            else:
                warnings.warn(f'Ignoring {path} of type {suffix}. Only support '
                              f'{", ".join(exts)}')
    return synsets, items
