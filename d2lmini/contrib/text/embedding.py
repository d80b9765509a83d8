"""Token embeddings: a vector for every token of a vocabulary.

:class:`GloVe` and :class:`FastText` load MXNet's pre-trained embeddings, downloaded
once (checked against SHA-1 sums, written atomically) into
``$MXNET_HOME/embeddings/<name>/`` (``~/.mxnet`` by default); the environment
variable ``MXNET_GLUON_REPO`` names another server. :class:`CustomEmbedding` loads
any file of lines ``token v1 v2 ...``; :class:`CompositeEmbedding` concatenates
several embeddings for one vocabulary.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'vec.txt')
>>> with open(path, 'w') as f:
...     _ = f.write('hello 1 2\\nworld 3 4\\n')
>>> emb = CustomEmbedding(path)
>>> emb.idx_to_token, emb.vec_len
(['<unk>', 'hello', 'world'], 2)
>>> print(emb.get_vecs_by_tokens(['world', 'nope']))
<BLANKLINE>
[[3. 4.]
 [0. 0.]]
<NDArray 2x2 @cpu(0)>
"""
import copy
import logging
import os
import tarfile
import warnings
import zipfile

import numpy as np

from ... import ndarray as nd
from ...download import download, check_sha1
from ...ndarray import NDArray
from . import _pretrained as P
from . import vocab
from .vocab import UNKNOWN_IDX

__all__ = ['register', 'create', 'get_pretrained_file_names', 'GloVe', 'FastText',
           'CustomEmbedding', 'CompositeEmbedding']

_APACHE_REPO_URL = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
_REGISTRY = {}  # lower-case class name -> embedding class


def _data_dir():
    return os.getenv('MXNET_HOME', os.path.join('~', '.mxnet'))


def register(embedding_cls):
    """Class decorator: make an embedding class known to :func:`create` by its name
    in lower case.

    >>> @register
    ... class MyEmbedding(CustomEmbedding):
    ...     pretrained_file_name_sha1 = {'mine.txt': None}
    >>> 'myembedding' in get_pretrained_file_names()
    True
    """
    if not (isinstance(embedding_cls, type) and issubclass(embedding_cls, _TokenEmbedding)):
        raise AssertionError(f'Can only register subclass of _TokenEmbedding, got '
                             f'{embedding_cls!r}')
    name = embedding_cls.__name__.lower()
    if name in _REGISTRY:
        warnings.warn(f'New token embedding {embedding_cls.__module__}.'
                      f'{embedding_cls.__name__} registered with name {name} is overriding '
                      f'existing token embedding {_REGISTRY[name].__module__}.'
                      f'{_REGISTRY[name].__name__}', UserWarning, stacklevel=2)
    _REGISTRY[name] = embedding_cls
    return embedding_cls


def create(embedding_name, **kwargs):
    """An instance of the registered embedding ``embedding_name`` (``'glove'``,
    ``'fasttext'``, ...), made with ``kwargs``, e.g.
    ``create('glove', pretrained_file_name='glove.6B.50d.txt')``."""
    if isinstance(embedding_name, _TokenEmbedding):
        return embedding_name
    name = embedding_name.lower()
    if name not in _REGISTRY:
        raise ValueError(f'Cannot find token embedding {embedding_name}. Valid token '
                         f'embeddings are: {", ".join(sorted(_REGISTRY))}')
    return _REGISTRY[name](**kwargs)


def get_pretrained_file_names(embedding_name=None):
    """The pre-trained files of embedding ``embedding_name`` (a list), or of every
    registered embedding (a dict name -> list).

    >>> get_pretrained_file_names('glove')[:3]
    ['glove.42B.300d.txt', 'glove.6B.50d.txt', 'glove.6B.100d.txt']
    """
    if embedding_name is None:
        return {name: list(cls.pretrained_file_name_sha1) for name, cls in _REGISTRY.items()}
    if embedding_name not in _REGISTRY:
        raise KeyError(f'Cannot find `embedding_name` {embedding_name}; '
                       'get_pretrained_file_names() lists the files of every valid name.')
    return list(_REGISTRY[embedding_name].pretrained_file_name_sha1)


def _unpack(archive, folder):
    """Unpack a ``.zip`` or ``.tar.gz`` ``archive`` into ``folder``; a file of any
    other kind is the embedding itself and stays as it is."""
    kind = os.path.splitext(archive)[1]
    if kind == '.zip':
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(folder)  # zipfile drops '..' and absolute paths itself
    elif kind == '.gz':
        # the 'data' filter (Python 3.12+, and backports) refuses paths leaving folder
        safe = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
        with tarfile.open(archive, 'r:gz') as tarred:
            tarred.extractall(path=folder, **safe)


def _parse_line(line, elem_delim, line_num, path):
    """The token of one line of an embedding file and its numbers, as floats."""
    fields = line.rstrip().split(elem_delim)
    assert len(fields) > 1, (
        f'Line {line_num} of the token embedding file {path} has an unexpected format: '
        f'expected a token and its numbers separated by {elem_delim!r}.')
    return fields[0], [float(x) for x in fields[1:]]


class _TokenEmbedding(vocab.Vocabulary):
    """A vocabulary with a vector per token (``idx_to_vec``, one row per index).

    A new kind of pre-trained embedding is a subclass, as in MXNet 1.x: it names its
    files and their SHA-1 sums in ``pretrained_file_name_sha1`` and builds itself with
    the class methods below, e.g.

    >>> @register
    ... class Tiny(_TokenEmbedding):
    ...     pretrained_file_name_sha1 = {'tiny.vec': None}
    ...     def __init__(self, path, **kwargs):
    ...         Tiny._check_pretrained_file_names('tiny.vec')
    ...         super().__init__(**kwargs)
    ...         self._load_embedding(path, ' ', nd.zeros)
    >>> 'tiny' in get_pretrained_file_names()
    True

    (a real one gets ``path`` from ``Tiny._get_pretrained_file(embedding_root,
    'tiny.vec')``, which downloads the file into ``embedding_root/tiny/``).
    """

    # ---------------------------------------------------------- the files
    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        """The name of the file on the server: the embedding, or the archive it is in."""
        return pretrained_file_name

    @classmethod
    def _get_pretrained_file_url(cls, pretrained_file_name):
        repo = os.environ.get('MXNET_GLUON_REPO', _APACHE_REPO_URL)
        if not repo.endswith('/'):
            repo += '/'
        remote_name = cls._get_download_file_name(pretrained_file_name)
        return f'{repo}gluon/embeddings/{cls.__name__.lower()}/{remote_name}'

    @classmethod
    def _check_pretrained_file_names(cls, pretrained_file_name):
        """Raise KeyError unless ``pretrained_file_name`` is one of this embedding's
        files (the keys of ``pretrained_file_name_sha1``)."""
        known = cls.pretrained_file_name_sha1
        if pretrained_file_name not in known:
            name = cls.__name__.lower()
            raise KeyError(f'Cannot find pretrained file {pretrained_file_name} for token '
                           f'embedding {name}. Valid pretrained files for embedding {name}: '
                           f'{", ".join(known)}')

    @classmethod
    def _get_pretrained_file(cls, embedding_root, pretrained_file_name):
        """The local path of a pre-trained file, in ``embedding_root/<class name>/``.

        The file is downloaded (and unpacked) only when it is missing or its SHA-1 sum
        is wrong; GloVe and FastText come in archives that have sums of their own.
        """
        folder = os.path.join(os.path.expanduser(embedding_root), cls.__name__.lower())
        path = os.path.join(folder, pretrained_file_name)
        sha1 = cls.pretrained_file_name_sha1[pretrained_file_name]
        url = cls._get_pretrained_file_url(pretrained_file_name)
        remote_name = os.path.basename(url)
        archive_sums = getattr(cls, 'pretrained_archive_name_sha1', None)
        remote_sha1 = archive_sums[remote_name] if archive_sums else sha1
        if os.path.exists(path) and check_sha1(path, sha1):
            return path
        os.makedirs(folder, exist_ok=True)
        fetched = os.path.join(folder, remote_name)
        download(url, fetched, sha1_hash=remote_sha1)
        _unpack(fetched, folder)
        if not check_sha1(path, sha1):
            raise OSError(f'{path}, unpacked from {fetched}, does not have the expected '
                          'SHA-1 sum; delete both and retry')
        return path

    # ---------------------------------------------------------- building
    def _load_embedding(self, pretrained_file_path, elem_delim, init_unknown_vec,
                        encoding='utf8'):
        """Append the tokens of a file of lines ``token v1 v2 ...`` and set their
        vectors. A line for the unknown token gives row 0; otherwise row 0 is
        ``init_unknown_vec(shape=vec_len)``."""
        path = os.path.expanduser(pretrained_file_path)
        if not os.path.isfile(path):
            raise ValueError('`pretrained_file_path` must be a valid path to the '
                             f'pre-trained token embedding file, not {path}.')
        logging.info('Loading pre-trained token embedding vectors from %s', path)
        rows = []  # the vectors of the tokens appended, in order
        seen = set()
        unknown_vec = None
        with open(path, 'r', encoding=encoding) as f:
            for line_num, line in enumerate(f, 1):
                token, vec = _parse_line(line, elem_delim, line_num, path)
                if token in seen:
                    warnings.warn(f'Line {line_num} of the pre-trained token embedding file '
                                  f'repeats token {token}, whose vector is already loaded; '
                                  'the line is skipped.')
                    continue
                if token == self.unknown_token:
                    unknown_vec = vec
                elif len(vec) == 1:
                    # fastText files start with a line "<count> <dimension>"
                    warnings.warn(f'Line {line_num} of the pre-trained text embedding file: '
                                  f'token {token} with 1-dimensional vector {vec} is likely '
                                  'a header and is skipped.')
                    continue
                else:
                    assert not rows or len(vec) == len(rows[0]), (
                        f'Line {line_num} of the pre-trained token embedding file: token '
                        f'{token} has {len(vec)} numbers but the tokens before it have '
                        f'{len(rows[0])}. All the tokens must have the same dimension.')
                    rows.append(vec)
                    self._token_to_idx[token] = len(self._idx_to_token)
                    self._idx_to_token.append(token)
                seen.add(token)
        self._vec_len = len(rows[0]) if rows else None
        matrix = np.zeros((1 + len(rows), self._vec_len), np.float32)  # row 0: unknown
        matrix[1:] = rows
        self._idx_to_vec = nd.array(matrix)
        self._idx_to_vec[UNKNOWN_IDX] = (init_unknown_vec(shape=self.vec_len)
                                         if unknown_vec is None else nd.array(unknown_vec))

    def _build_embedding_for_vocabulary(self, vocabulary):
        """Keep only the tokens of ``vocabulary``, numbered as it numbers them, with
        their vectors loaded so far (the unknown vector for tokens not loaded)."""
        if vocabulary is None:
            return
        assert isinstance(vocabulary, vocab.Vocabulary), \
            'The argument `vocabulary` must be a mx.contrib.text.vocab.Vocabulary.'
        # vectors first: the lookup needs this embedding's own tokens
        self._set_idx_to_vec_by_embeddings([self], len(vocabulary), vocabulary.idx_to_token)
        self._index_tokens_from_vocabulary(vocabulary)

    def _index_tokens_from_vocabulary(self, vocabulary):
        """Number the tokens exactly as ``vocabulary`` does (copies of its tables)."""
        self._token_to_idx = copy.copy(vocabulary.token_to_idx)
        self._idx_to_token = copy.copy(vocabulary.idx_to_token)
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = copy.copy(vocabulary.reserved_tokens)

    def _set_idx_to_vec_by_embeddings(self, token_embeddings, vocab_len, vocab_idx_to_token):
        """Set ``idx_to_vec`` (``vocab_len`` rows): row ``i`` is the vectors of
        ``vocab_idx_to_token[i]`` in each of ``token_embeddings``, side by side. Row 0
        (the unknown token) takes each embedding's own unknown vector."""
        assert len(vocab_idx_to_token) == vocab_len, \
            f'`vocab_len` is {vocab_len} but `vocab_idx_to_token` has ' \
            f'{len(vocab_idx_to_token)} tokens'
        self._vec_len = sum(emb.vec_len for emb in token_embeddings)
        matrix = np.zeros((vocab_len, self._vec_len), np.float32)
        start = 0
        for emb in token_embeddings:
            columns = slice(start, start + emb.vec_len)
            matrix[0, columns] = emb.idx_to_vec[UNKNOWN_IDX].asnumpy()
            matrix[1:, columns] = emb.get_vecs_by_tokens(vocab_idx_to_token[1:]).asnumpy()
            start += emb.vec_len
        self._idx_to_vec = nd.array(matrix)

    # ---------------------------------------------------------- the vectors
    @property
    def vec_len(self):
        """The length of each vector."""
        return self._vec_len

    @property
    def idx_to_vec(self):
        """An NDArray ``(len(self), vec_len)``: row ``i`` is token ``i``'s vector."""
        return self._idx_to_vec

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """The vector of a token (1-D), or the vectors of a list of tokens (2-D); the
        unknown token's vector for tokens not known. With ``lower_case_backup``, a
        token not known as written is looked up in lower case.

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), 'vec.txt')
        >>> with open(path, 'w') as f:
        ...     _ = f.write('paris 1 2\\n')
        >>> emb = CustomEmbedding(path)
        >>> emb.get_vecs_by_tokens('Paris', lower_case_backup=True).asnumpy().tolist()
        [1.0, 2.0]
        """
        def index(token):
            if lower_case_backup and token not in self.token_to_idx:
                token = token.lower()
            return self.token_to_idx.get(token, UNKNOWN_IDX)

        several = isinstance(tokens, list)
        indices = [index(t) for t in tokens] if several else [index(tokens)]
        vecs = nd.Embedding(nd.array(indices), self.idx_to_vec, *self.idx_to_vec.shape)
        return vecs if several else vecs[0]

    def update_token_vectors(self, tokens, new_vectors):
        """Replace the vectors of known ``tokens`` (a token, or a list) by
        ``new_vectors`` (an NDArray: 1-D or 2-D for one token, 2-D for several)."""
        assert self.idx_to_vec is not None, \
            'The property `idx_to_vec` has not been properly set.'
        if isinstance(tokens, list) and len(tokens) != 1:
            assert isinstance(new_vectors, NDArray) and new_vectors.ndim == 2, \
                '`new_vectors` must be a 2-D NDArray when `tokens` lists several tokens.'
        else:
            assert isinstance(new_vectors, NDArray) and new_vectors.ndim in (1, 2), \
                '`new_vectors` must be a 1-D or 2-D NDArray for a single token.'
            tokens = tokens if isinstance(tokens, list) else [tokens]
            if new_vectors.ndim == 1:
                new_vectors = nd.expand_dims(new_vectors, axis=0)
        assert new_vectors.shape == (len(tokens), self.vec_len), \
            f'`new_vectors` must have one row per token and {self.vec_len} columns (the ' \
            f'embedding dimension), not the shape {new_vectors.shape}.'
        for token in tokens:
            if token not in self.token_to_idx:
                # updates of the unknown token's vector must be asked for by name
                raise ValueError(f'Token {token} is unknown. To update the vector of '
                                 'unknown tokens, name the `unknown_token` '
                                 f'{self.idx_to_token[UNKNOWN_IDX]} in `tokens`.')
        vecs = self._idx_to_vec.asnumpy()
        vecs[[self.token_to_idx[t] for t in tokens]] = new_vectors.asnumpy()
        self._idx_to_vec = nd.array(vecs, ctx=self._idx_to_vec.context)


@register
class GloVe(_TokenEmbedding):
    """GloVe embeddings (Pennington, Socher and Manning, 2014), from Stanford.

    pretrained_file_name : one of ``get_pretrained_file_names('glove')``
    embedding_root : the cache folder (files go in its ``glove/`` subfolder)
    init_unknown_vec : makes the unknown token's vector, called with ``shape=vec_len``
    vocabulary : keep only the tokens of this :class:`~.vocab.Vocabulary`, in its order
    """

    pretrained_archive_name_sha1 = P.GLOVE_ARCHIVE_SHA1
    pretrained_file_name_sha1 = P.GLOVE_FILE_SHA1

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        # the files of one corpus share an archive: 'glove.6B.50d.txt' is in 'glove.6B.zip'
        corpus = pretrained_file_name.split('.')[1]
        by_corpus = {name.split('.')[1]: name for name in GloVe.pretrained_archive_name_sha1}
        return by_corpus[corpus]

    def __init__(self, pretrained_file_name='glove.840B.300d.txt',
                 embedding_root=os.path.join(_data_dir(), 'embeddings'),
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        GloVe._check_pretrained_file_names(pretrained_file_name)
        super().__init__(**kwargs)
        self._load_embedding(GloVe._get_pretrained_file(embedding_root, pretrained_file_name),
                             ' ', init_unknown_vec)
        self._build_embedding_for_vocabulary(vocabulary)


@register
class FastText(_TokenEmbedding):
    """fastText embeddings (Bojanowski et al., 2016; Joulin et al., 2016), from
    Facebook; arguments as for :class:`GloVe` (``get_pretrained_file_names('fasttext')``).
    """

    pretrained_archive_name_sha1 = P.FAST_TEXT_ARCHIVE_SHA1
    pretrained_file_name_sha1 = P.FAST_TEXT_FILE_SHA1

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        # 'wiki.en.vec' comes zipped as 'wiki.en.zip'
        return pretrained_file_name.rsplit('.', 1)[0] + '.zip'

    def __init__(self, pretrained_file_name='wiki.simple.vec',
                 embedding_root=os.path.join(_data_dir(), 'embeddings'),
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        FastText._check_pretrained_file_names(pretrained_file_name)
        super().__init__(**kwargs)
        self._load_embedding(FastText._get_pretrained_file(embedding_root,
                                                           pretrained_file_name),
                             ' ', init_unknown_vec)
        self._build_embedding_for_vocabulary(vocabulary)


class CustomEmbedding(_TokenEmbedding):
    """The embedding in a text file of lines ``token<elem_delim>v1<elem_delim>v2...``
    (see the module's example). A line for ``unknown_token`` sets its vector; a
    repeated token and a line with a single number (a header) are skipped with a
    warning."""

    def __init__(self, pretrained_file_path, elem_delim=' ', encoding='utf8',
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super().__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim, init_unknown_vec, encoding)
        self._build_embedding_for_vocabulary(vocabulary)


class CompositeEmbedding(_TokenEmbedding):
    """The tokens of ``vocabulary``, each with the concatenation of its vectors in
    ``token_embeddings`` (one embedding or a list).

    >>> import collections, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'vec.txt')
    >>> with open(path, 'w') as f:
    ...     _ = f.write('a 1 2\\nb 3 4\\n')
    >>> emb = CustomEmbedding(path)
    >>> v = vocab.Vocabulary(collections.Counter(['b', 'c']))
    >>> CompositeEmbedding(v, [emb, emb]).idx_to_vec.asnumpy().tolist()[1:]
    [[3.0, 4.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]]
    """

    def __init__(self, vocabulary, token_embeddings):
        assert isinstance(vocabulary, vocab.Vocabulary), \
            'The argument `vocabulary` must be a mx.contrib.text.vocab.Vocabulary.'
        embeddings = token_embeddings if isinstance(token_embeddings, list) \
            else [token_embeddings]
        assert all(isinstance(emb, _TokenEmbedding) for emb in embeddings), \
            'The argument `token_embeddings` must be a token embedding (such as GloVe, ' \
            'FastText or CustomEmbedding) or a list of them, whose vectors are ' \
            'concatenated for the tokens of `vocabulary`.'
        self._index_tokens_from_vocabulary(vocabulary)
        self._set_idx_to_vec_by_embeddings(embeddings, len(self), self.idx_to_token)
