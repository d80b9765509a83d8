"""WikiText-2 and WikiText-103: word-level language-modelling datasets, as in MXNet 1.x.

The text of a segment ('train', 'validation' or 'test') is read as one long stream
of words, every non-empty line ending with the token ``<eos>``. Words become
indices in a :class:`~d2lmini.contrib.text.vocab.Vocabulary` (``<unk>`` is 0,
``<eos>`` 1, then the words by decreasing count), and the stream is cut into rows
of ``seq_len`` words: example ``i`` is ``(data, label)``, two int32 NDArrays of
length ``seq_len``, the label being the data shifted by one word.

The archive is downloaded from MXNet's mirror (or the one the environment variable
``MXNET_GLUON_REPO`` names) into ``root`` the first time, and
every file is checked against its SHA-1 sum. Without a network connection, unzip
the archive yourself and put the ``wiki.*.tokens`` files in ``root``.
"""
import collections
import os
import zipfile

import numpy as np

from ....ndarray import array as nd_array
from ....base import data_dir
from ....contrib.text.vocab import Vocabulary
from ....download import check_sha1, download
from ...data.dataset import Dataset

__all__ = ['WikiText2', 'WikiText103']

_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
EOS = '<eos>'


class _WikiText(Dataset):
    """A WikiText segment as rows of ``seq_len`` word indices (see the module)."""

    _namespace = None
    _archive_file = None    # (file name, SHA-1)
    _data_file = None       # segment -> (file name, SHA-1)

    def __init__(self, root, segment, vocab, seq_len):
        if segment not in self._data_file:
            raise KeyError(f'segment {segment!r} is not one of {sorted(self._data_file)}')
        if not (isinstance(seq_len, int) and seq_len > 0):
            raise ValueError(f'seq_len must be a positive integer, got {seq_len!r}')
        self._root = os.path.expanduser(str(root))    # a str or a pathlib.Path
        self._segment = segment
        self._seq_len = seq_len
        self._vocab = vocab
        self._counter = None
        os.makedirs(self._root, exist_ok=True)
        self._data, self._label = self._read()

    @property
    def vocabulary(self):
        """The Vocabulary mapping words to indices."""
        return self._vocab

    @property
    def frequencies(self):
        """A ``collections.Counter`` of the words of this segment."""
        return self._counter

    def __len__(self):
        return self._data.shape[0]

    def __getitem__(self, idx):
        data, label = self._data[idx], self._label[idx]
        return data, label

    # ------------------------------------------------------------ reading
    def _token_file(self):
        """The path of this segment's file, downloaded and unzipped if needed."""
        fname, sha1 = self._data_file[self._segment]
        path = os.path.join(self._root, fname)
        if not (os.path.exists(path) and check_sha1(path, sha1)):
            self._download_archive()
            if not check_sha1(path, sha1):
                raise ValueError(f'{path} does not have the SHA-1 sum {sha1} of the '
                                 'published file; delete it to download it again')
        return path

    def _download_archive(self):
        name, sha1 = self._archive_file
        repo = os.environ.get('MXNET_GLUON_REPO', _REPO)    # another mirror, as in MXNet
        url = f"{repo.rstrip('/')}/gluon/dataset/{self._namespace}/{name}"
        archive = download(url, path=os.path.join(self._root, name), sha1_hash=sha1)
        wanted = {fname for fname, _ in self._data_file.values()}
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                fname = os.path.basename(member.filename)
                if fname in wanted:  # the files go straight into root, whatever folders
                    with zf.open(member) as src, \
                            open(os.path.join(self._root, fname), 'wb') as dst:
                        dst.write(src.read())

    def _read(self):
        with open(self._token_file(), encoding='utf8') as f:
            lines = [line.split() for line in f]
        lines = [words for words in lines if words]
        self._counter = collections.Counter(w for words in lines for w in words)
        if self._vocab is None:
            self._vocab = Vocabulary(self._counter, reserved_tokens=[EOS])
        stream = [w for words in lines for w in words + [EOS]]
        indices = np.asarray(self._vocab.to_indices(stream), dtype=np.int32)
        rows = (len(indices) - 1) // self._seq_len
        used = rows * self._seq_len
        data = indices[:used].reshape(rows, self._seq_len)
        label = indices[1:used + 1].reshape(rows, self._seq_len)
        return nd_array(data, dtype='int32'), nd_array(label, dtype='int32')


def _token_files(**sha1_of_segment):
    """segment -> (file name, SHA-1): the files are wiki.{train,valid,test}.tokens."""
    short = {'train': 'train', 'validation': 'valid', 'test': 'test'}
    return {segment: (f'wiki.{short[segment]}.tokens', sha1)
            for segment, sha1 in sha1_of_segment.items()}


class WikiText2(_WikiText):
    """WikiText-2 (2 million words of Wikipedia articles, Salesforce research;
    CC BY-SA licence).

    root : where the files are kept (default ``$MXNET_HOME/datasets/wikitext-2``)
    segment : 'train', 'validation' or 'test'
    vocab : the Vocabulary to use; default: one built from this segment
    seq_len : the number of words of every example
    """

    _namespace = 'wikitext-2'
    _archive_file = ('wikitext-2-v1.zip', '3c914d17d80b1459be871a5039ac23e752a53cbe')
    _data_file = _token_files(train='863f29c46ef9d167fff4940ec821195882fe29d1',
                              validation='0418625c8b4da6e4b5c7a0b9e78d4ae8f7ee5422',
                              test='c7b8ce0aa086fb34dab808c5c49224211eb2b172')

    def __init__(self, root=os.path.join(data_dir(), 'datasets', 'wikitext-2'),
                 segment='train', vocab=None, seq_len=35):
        super().__init__(root, segment, vocab, seq_len)


class WikiText103(_WikiText):
    """WikiText-103 (103 million words; otherwise as :class:`WikiText2`), default
    ``root`` ``$MXNET_HOME/datasets/wikitext-103``."""

    _namespace = 'wikitext-103'
    _archive_file = ('wikitext-103-v1.zip', '0aec09a7537b58d4bb65362fee27650eeaba625a')
    _data_file = _token_files(train='b7497e2dfe77e72cfef5e3dbc61b7b53712ac211',
                              validation='c326ac59dc587676d58c422eb8a03e119582f92b',
                              test='8a5befc548865cec54ed4273cf87dbbad60d1e47')

    def __init__(self, root=os.path.join(data_dir(), 'datasets', 'wikitext-103'),
                 segment='train', vocab=None, seq_len=35):
        super().__init__(root, segment, vocab, seq_len)
