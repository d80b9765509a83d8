"""mx.contrib.text: token counting, vocabularies and embeddings, with MXNet 1.9.1's
orderings and results; pre-trained files come from a local HTTP server."""
import collections
import functools
import hashlib
import http.server
import os
import threading
import zipfile

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.contrib import text


def test_count_tokens():
    c = text.utils.count_tokens_from_str(' Life is great ! \n life is good . \n')
    assert c == collections.Counter({'is': 2, 'Life': 1, 'great': 1, '!': 1, 'life': 1,
                                     'good': 1, '.': 1})
    c = text.utils.count_tokens_from_str('a,b;a', token_delim=',', seq_delim=';',
                                         to_lower=True, counter_to_update=c)
    assert c['a'] == 2 and c['is'] == 2


def test_vocabulary_order():
    counter = collections.Counter({'b': 3, 'a': 3, 'c': 1, 'd': 2, '<pad>': 5})
    v = text.vocab.Vocabulary(counter, reserved_tokens=['<pad>', '<bos>'])
    assert v.idx_to_token == ['<unk>', '<pad>', '<bos>', 'a', 'b', 'd', 'c']
    assert v.token_to_idx['d'] == 5 and len(v) == 7
    v = text.vocab.Vocabulary(counter, most_freq_count=2, min_freq=2)
    assert v.idx_to_token == ['<unk>', '<pad>', 'a']  # the cap counts '<unk>' only
    v = text.vocab.Vocabulary(counter, min_freq=3, unknown_token='UNK')
    assert v.idx_to_token == ['UNK', '<pad>', 'a', 'b']
    assert v.to_indices(['a', 'zz']) == [2, 0] and v.to_indices('b') == 3
    assert v.to_tokens([3, 0]) == ['b', 'UNK'] and v.to_tokens(2) == 'a'
    with pytest.raises(ValueError, match='invalid'):
        v.to_tokens(9)
    with pytest.raises(AssertionError):
        text.vocab.Vocabulary(counter, reserved_tokens=['<unk>'])
    assert len(text.vocab.Vocabulary()) == 1


def write_vectors(path, lines):
    with open(path, 'w', encoding='utf8') as f:
        f.write(''.join(lines))


def test_custom_embedding(tmp_path):
    path = str(tmp_path / 'vec.txt')
    write_vectors(path, ['hello 1 2\n', 'World 3 4\n', '<unk> 9 9\n', 'hello 5 5\n',
                         'header 300\n'])
    with pytest.warns(UserWarning):
        emb = text.embedding.CustomEmbedding(path)
    assert emb.idx_to_token == ['<unk>', 'hello', 'World'] and emb.vec_len == 2
    assert emb.idx_to_vec.shape == (3, 2) and emb.idx_to_vec.dtype == np.float32
    assert emb.get_vecs_by_tokens('nope').asnumpy().tolist() == [9, 9]
    assert emb.get_vecs_by_tokens(['world'], lower_case_backup=True).asnumpy().tolist() == \
        [[9, 9]]
    assert emb.get_vecs_by_tokens(['WORLD'.title()]).asnumpy().tolist() == [[3, 4]]
    emb.update_token_vectors('hello', mx.nd.array([7, 8]))
    emb.update_token_vectors(['hello', 'World'], mx.nd.array([[1, 1], [2, 2]]))
    assert emb.get_vecs_by_tokens(['hello', 'World']).asnumpy().tolist() == [[1, 1], [2, 2]]
    with pytest.raises(ValueError, match='unknown'):
        emb.update_token_vectors('nope', mx.nd.array([1, 1]))
    # restricted to a vocabulary, in its order; unknown rows get the unknown vector
    v = text.vocab.Vocabulary(collections.Counter(['World', 'x', 'World']))
    write_vectors(path, ['hello,1,2\n', 'World,3,4\n'])
    emb2 = text.embedding.CustomEmbedding(path, elem_delim=',', vocabulary=v,
                                          init_unknown_vec=mx.nd.ones)
    assert emb2.idx_to_token == ['<unk>', 'World', 'x']
    assert emb2.idx_to_vec.asnumpy().tolist() == [[1, 1], [3, 4], [1, 1]]
    comp = text.embedding.CompositeEmbedding(v, [emb2, emb2])
    assert comp.vec_len == 4 and comp.idx_to_vec.asnumpy()[1].tolist() == [3, 4, 3, 4]
    with pytest.raises(ValueError, match='valid path'):
        text.embedding.CustomEmbedding(str(tmp_path / 'missing.txt'))


def test_pretrained_names():
    names = text.embedding.get_pretrained_file_names()
    assert {'glove', 'fasttext'} <= set(names)
    assert 'glove.6B.50d.txt' in names['glove'] and len(names['glove']) == 10
    assert 'wiki.simple.vec' in names['fasttext'] and len(names['fasttext']) == 327
    with pytest.raises(KeyError):
        text.embedding.get_pretrained_file_names('nope')
    with pytest.raises(KeyError, match='Cannot find pretrained file'):
        text.embedding.create('glove', pretrained_file_name='glove.xx.txt')
    with pytest.raises(ValueError, match='Cannot find token embedding'):
        text.embedding.create('nope')


def sha1(data):
    return hashlib.sha1(data).hexdigest()


@pytest.fixture
def server(tmp_path):
    """An HTTP server of the folder ``served``, counting requests."""
    root = tmp_path / 'served'
    os.makedirs(root / 'gluon' / 'embeddings' / 'glove')
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{httpd.server_address[1]}/', requests
    httpd.shutdown()
    httpd.server_close()


def test_glove_download(server, tmp_path, monkeypatch):
    root, url, requests = server
    vectors = b'the 0.1 0.2 0.3\nof 1 2 3\n'
    archive = root / 'gluon' / 'embeddings' / 'glove' / 'glove.6B.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        zf.writestr('glove.6B.50d.txt', vectors)
    monkeypatch.setenv('MXNET_GLUON_REPO', url)
    monkeypatch.setattr(text.embedding.GloVe, 'pretrained_file_name_sha1',
                        {'glove.6B.50d.txt': sha1(vectors)})
    monkeypatch.setattr(text.embedding.GloVe, 'pretrained_archive_name_sha1',
                        {'glove.6B.zip': sha1(archive.read_bytes())})
    cache = tmp_path / 'cache'
    emb = text.embedding.create('glove', pretrained_file_name='glove.6B.50d.txt',
                                embedding_root=str(cache))
    assert requests == ['/gluon/embeddings/glove/glove.6B.zip']
    assert emb.idx_to_token == ['<unk>', 'the', 'of'] and emb.vec_len == 3
    np.testing.assert_allclose(emb.get_vecs_by_tokens('of').asnumpy(), [1, 2, 3])
    assert (cache / 'glove' / 'glove.6B.50d.txt').read_bytes() == vectors
    # cached: no second download
    text.embedding.GloVe('glove.6B.50d.txt', embedding_root=str(cache))
    assert len(requests) == 1
    # a damaged archive on the server is rejected by its checksum
    (cache / 'glove' / 'glove.6B.50d.txt').write_bytes(b'damaged')
    (cache / 'glove' / 'glove.6B.zip').unlink()
    archive.write_bytes(b'not the archive')
    monkeypatch.setattr('d2lmini.download._RETRY_DELAY', 0.0)
    with pytest.raises(OSError, match='SHA-1'):
        text.embedding.GloVe('glove.6B.50d.txt', embedding_root=str(cache))


def test_fasttext_url(monkeypatch):
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://mirror/')
    assert text.embedding.FastText._get_pretrained_file_url('wiki.en.vec') == \
        'http://mirror/gluon/embeddings/fasttext/wiki.en.zip'
    assert text.embedding.GloVe._get_pretrained_file_url('glove.6B.100d.txt') == \
        'http://mirror/gluon/embeddings/glove/glove.6B.zip'
