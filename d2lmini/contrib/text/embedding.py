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
_REGISTRY = {}


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
    if embedding_name is not None:
        if embedding_name not in _REGISTRY:
            raise KeyError('Cannot find `embedding_name` %s. Use '
                           '`get_pretrained_file_names(embedding_name=None).keys()` to get '
                           'all the valid embedding names.' % embedding_name)
        return list(_REGISTRY[embedding_name].pretrained_file_name_sha1.keys())
    return {name: list(cls.pretrained_file_name_sha1.keys())
            for name, cls in _REGISTRY.items()}


class _TokenEmbedding(vocab.Vocabulary):
    """A vocabulary with a vector per token (``idx_to_vec``, one row per index)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    @classmethod
    def _get_download_file_name(cls, pretrained_file_name):
        return pretrained_file_name

    @classmethod
    def _get_pretrained_file_url(cls, pretrained_file_name):
        repo_url = os.environ.get('MXNET_GLUON_REPO', _APACHE_REPO_URL)
        if not repo_url.endswith('/'):
            repo_url += '/'
        return '{}gluon/embeddings/{}/{}'.format(
            repo_url, cls.__name__.lower(), cls._get_download_file_name(pretrained_file_name))

    @classmethod
    def _get_pretrained_file(cls, embedding_root, pretrained_file_name):
        """The path of the pre-trained file, downloaded (and unpacked) if missing or
        damaged."""
        embedding_dir = os.path.join(os.path.expanduser(embedding_root),
                                     cls.__name__.lower())
        pretrained_file_path = os.path.join(embedding_dir, pretrained_file_name)
        url = cls._get_pretrained_file_url(pretrained_file_name)
        downloaded_file = os.path.basename(url)
        downloaded_file_path = os.path.join(embedding_dir, downloaded_file)
        expected_file_hash = cls.pretrained_file_name_sha1[pretrained_file_name]
        archive_hashes = getattr(cls, 'pretrained_archive_name_sha1', None)
        expected_downloaded_hash = (archive_hashes[downloaded_file] if archive_hashes
                                    else expected_file_hash)
        if not os.path.exists(pretrained_file_path) or \
                not check_sha1(pretrained_file_path, expected_file_hash):
            os.makedirs(embedding_dir, exist_ok=True)
            download(url, downloaded_file_path, sha1_hash=expected_downloaded_hash)
            ext = os.path.splitext(downloaded_file)[1]
            if ext == '.zip':
                with zipfile.ZipFile(downloaded_file_path, 'r') as zf:
                    zf.extractall(embedding_dir)  # zipfile drops '..' and absolute paths
            elif ext == '.gz':
                with tarfile.open(downloaded_file_path, 'r:gz') as tar:
                    kwargs = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
                    tar.extractall(path=embedding_dir, **kwargs)
            if not check_sha1(pretrained_file_path, expected_file_hash):
                raise OSError(f'{pretrained_file_path}, unpacked from {downloaded_file_path}, '
                              'does not have the expected SHA-1 sum; delete both and retry')
        return pretrained_file_path

    def _load_embedding(self, pretrained_file_path, elem_delim, init_unknown_vec,
                        encoding='utf8'):
        pretrained_file_path = os.path.expanduser(pretrained_file_path)
        if not os.path.isfile(pretrained_file_path):
            raise ValueError('`pretrained_file_path` must be a valid path to '
                             'the pre-trained token embedding file.')
        logging.info('Loading pre-trained token embedding vectors from %s',
                     pretrained_file_path)
        vec_len = None
        all_elems = []
        tokens = set()
        loaded_unknown_vec = None
        with open(pretrained_file_path, 'r', encoding=encoding) as f:
            for line_num, line in enumerate(f, 1):
                elems = line.rstrip().split(elem_delim)
                assert len(elems) > 1, (
                    'At line %d of the pre-trained text embedding file: the data format of '
                    'the pre-trained token embedding file %s is unexpected.'
                    % (line_num, pretrained_file_path))
                token, elems = elems[0], [float(i) for i in elems[1:]]
                if token == self.unknown_token and loaded_unknown_vec is None:
                    loaded_unknown_vec = elems
                    tokens.add(self.unknown_token)
                elif token in tokens:
                    warnings.warn('At line %d of the pre-trained token embedding file: the '
                                  'embedding vector for token %s has been loaded and a '
                                  'duplicate embedding for the  same token is seen and '
                                  'skipped.' % (line_num, token))
                elif len(elems) == 1:
                    warnings.warn('At line %d of the pre-trained text embedding file: token '
                                  '%s with 1-dimensional vector %s is likely a header and is '
                                  'skipped.' % (line_num, token, elems))
                else:
                    if vec_len is None:
                        vec_len = len(elems)
                        all_elems.extend([0] * vec_len)  # the unknown token's row
                    else:
                        assert len(elems) == vec_len, (
                            'At line %d of the pre-trained token embedding file: the '
                            'dimension of token %s is %d but the dimension of previous '
                            'tokens is %d. Dimensions of all the tokens must be the same.'
                            % (line_num, token, len(elems), vec_len))
                    all_elems.extend(elems)
                    self._idx_to_token.append(token)
                    self._token_to_idx[token] = len(self._idx_to_token) - 1
                    tokens.add(token)
        self._vec_len = vec_len
        self._idx_to_vec = nd.array(np.asarray(all_elems, np.float32).reshape(-1, vec_len))
        if loaded_unknown_vec is None:
            self._idx_to_vec[UNKNOWN_IDX] = init_unknown_vec(shape=self.vec_len)
        else:
            self._idx_to_vec[UNKNOWN_IDX] = nd.array(loaded_unknown_vec)

    def _index_tokens_from_vocabulary(self, vocabulary):
        self._token_to_idx = vocabulary.token_to_idx.copy() \
            if vocabulary.token_to_idx is not None else None
        self._idx_to_token = vocabulary.idx_to_token[:] \
            if vocabulary.idx_to_token is not None else None
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = vocabulary.reserved_tokens[:] \
            if vocabulary.reserved_tokens is not None else None

    def _set_idx_to_vec_by_embeddings(self, token_embeddings, vocab_len, vocab_idx_to_token):
        new_vec_len = sum(embed.vec_len for embed in token_embeddings)
        new_idx_to_vec = np.zeros((vocab_len, new_vec_len), np.float32)
        col_start = 0
        for embed in token_embeddings:
            col_end = col_start + embed.vec_len
            # row 0 is each embedding's own unknown vector
            new_idx_to_vec[0, col_start:col_end] = embed.idx_to_vec[0].asnumpy()
            new_idx_to_vec[1:, col_start:col_end] = \
                embed.get_vecs_by_tokens(vocab_idx_to_token[1:]).asnumpy()
            col_start = col_end
        self._vec_len = new_vec_len
        self._idx_to_vec = nd.array(new_idx_to_vec)

    def _build_embedding_for_vocabulary(self, vocabulary):
        if vocabulary is not None:
            assert isinstance(vocabulary, vocab.Vocabulary), \
                'The argument `vocabulary` must be an instance of ' \
                'mxnet.contrib.text.vocab.Vocabulary.'
            self._set_idx_to_vec_by_embeddings([self], len(vocabulary), vocabulary.idx_to_token)
            self._index_tokens_from_vocabulary(vocabulary)

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
        token not known as written is looked up in lower case."""
        to_reduce = not isinstance(tokens, list)
        if to_reduce:
            tokens = [tokens]
        if not lower_case_backup:
            indices = [self.token_to_idx.get(token, UNKNOWN_IDX) for token in tokens]
        else:
            indices = [self.token_to_idx[token] if token in self.token_to_idx
                       else self.token_to_idx.get(token.lower(), UNKNOWN_IDX)
                       for token in tokens]
        vecs = nd.Embedding(nd.array(indices), self.idx_to_vec, self.idx_to_vec.shape[0],
                            self.idx_to_vec.shape[1])
        return vecs[0] if to_reduce else vecs

    def update_token_vectors(self, tokens, new_vectors):
        """Replace the vectors of known ``tokens`` (a token, or a list) by
        ``new_vectors`` (an NDArray: 1-D or 2-D for one token, 2-D for several)."""
        assert self.idx_to_vec is not None, \
            'The property `idx_to_vec` has not been properly set.'
        if not isinstance(tokens, list) or len(tokens) == 1:
            assert isinstance(new_vectors, NDArray) and len(new_vectors.shape) in [1, 2], \
                '`new_vectors` must be a 1-D or 2-D NDArray if `tokens` is a singleton.'
            if not isinstance(tokens, list):
                tokens = [tokens]
            if len(new_vectors.shape) == 1:
                new_vectors = nd.expand_dims(new_vectors, axis=0)
        else:
            assert isinstance(new_vectors, NDArray) and len(new_vectors.shape) == 2, \
                '`new_vectors` must be a 2-D NDArray if `tokens` is a list of multiple strings.'
        assert new_vectors.shape == (len(tokens), self.vec_len), \
            'The length of new_vectors must be equal to the number of tokens and the width ' \
            'of new_vectors must be equal to the dimension of embeddings of the glossary.'
        indices = []
        for token in tokens:
            if token in self.token_to_idx:
                indices.append(self.token_to_idx[token])
            else:
                raise ValueError('Token %s is unknown. To update the embedding vector for an '
                                 'unknown token, please specify it explicitly as the '
                                 '`unknown_token` %s in `tokens`. This is to avoid unintended '
                                 'updates.' % (token, self.idx_to_token[UNKNOWN_IDX]))
        vecs = self._idx_to_vec.asnumpy()
        vecs[indices] = new_vectors.asnumpy()
        self._idx_to_vec = nd.array(vecs, ctx=self._idx_to_vec.context)

    @classmethod
    def _check_pretrained_file_names(cls, pretrained_file_name):
        name = cls.__name__.lower()
        if pretrained_file_name not in cls.pretrained_file_name_sha1:
            raise KeyError('Cannot find pretrained file %s for token embedding %s. Valid '
                           'pretrained files for embedding %s: %s' %
                           (pretrained_file_name, name, name,
                            ', '.join(cls.pretrained_file_name_sha1.keys())))


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
        # 'glove.6B.50d.txt' comes in 'glove.6B.zip'
        src_archive = {archive.split('.')[1]: archive
                       for archive in GloVe.pretrained_archive_name_sha1}
        return src_archive[pretrained_file_name.split('.')[1]]

    def __init__(self, pretrained_file_name='glove.840B.300d.txt',
                 embedding_root=os.path.join(_data_dir(), 'embeddings'),
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        GloVe._check_pretrained_file_names(pretrained_file_name)
        super().__init__(**kwargs)
        path = GloVe._get_pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, ' ', init_unknown_vec)
        if vocabulary is not None:
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
        return '.'.join(pretrained_file_name.split('.')[:-1]) + '.zip'

    def __init__(self, pretrained_file_name='wiki.simple.vec',
                 embedding_root=os.path.join(_data_dir(), 'embeddings'),
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        FastText._check_pretrained_file_names(pretrained_file_name)
        super().__init__(**kwargs)
        path = FastText._get_pretrained_file(embedding_root, pretrained_file_name)
        self._load_embedding(path, ' ', init_unknown_vec)
        if vocabulary is not None:
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
        if vocabulary is not None:
            self._build_embedding_for_vocabulary(vocabulary)


class CompositeEmbedding(_TokenEmbedding):
    """The tokens of ``vocabulary``, each with the concatenation of its vectors in
    ``token_embeddings`` (one embedding or a list)."""

    def __init__(self, vocabulary, token_embeddings):
        assert isinstance(vocabulary, vocab.Vocabulary), \
            'The argument `vocabulary` must be an instance of ' \
            'mxnet.contrib.text.indexer.Vocabulary.'
        if not isinstance(token_embeddings, list):
            token_embeddings = [token_embeddings]
        for embed in token_embeddings:
            assert isinstance(embed, _TokenEmbedding), \
                'The argument `token_embeddings` must be an instance or a list of ' \
                'instances of `mxnet.contrib.text.embedding.TextEmbedding` whose ' \
                'embedding vectors will be loaded or concatenated-then-loaded to map to ' \
                'the indexed tokens.'
        self._index_tokens_from_vocabulary(vocabulary)
        self._set_idx_to_vec_by_embeddings(token_embeddings, len(self), self.idx_to_token)
