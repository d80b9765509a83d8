"""Contrib operators, special functions and mx.contrib.text's extension points, with
the results MXNet 1.9.1 gives (expected values worked out by hand or read off it)."""
import collections
import hashlib
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.contrib import text

nd = mx.nd


# ---------------------------------------------------------------- contrib.text subclasses
def test_a_new_embedding_built_with_mxnets_class_hooks(tmp_path, monkeypatch):
    # a file server laid out as MXNet's: <repo>/gluon/embeddings/<class name>/<file>
    content = b'hello 1 2 3\nworld 4 5 6\n'
    served = tmp_path / 'repo' / 'gluon' / 'embeddings' / 'tinyvectors'
    served.mkdir(parents=True)
    (served / 'tiny.vec').write_bytes(content)
    monkeypatch.setenv('MXNET_GLUON_REPO', (tmp_path / 'repo').as_uri() + '/')
    monkeypatch.setattr(text.embedding, '_REGISTRY', dict(text.embedding._REGISTRY))

    @text.embedding.register
    class TinyVectors(text.embedding._TokenEmbedding):
        pretrained_file_name_sha1 = {'tiny.vec': hashlib.sha1(content).hexdigest()}

        def __init__(self, embedding_root=str(tmp_path / 'cache'), init_unknown_vec=nd.ones,
                     vocabulary=None, **kwargs):
            TinyVectors._check_pretrained_file_names('tiny.vec')
            super().__init__(**kwargs)
            path = TinyVectors._get_pretrained_file(embedding_root, 'tiny.vec')
            self._load_embedding(path, ' ', init_unknown_vec)
            self._build_embedding_for_vocabulary(vocabulary)

    emb = text.embedding.create('tinyvectors')
    assert emb.idx_to_token == ['<unk>', 'hello', 'world']
    assert emb.idx_to_vec.asnumpy().tolist() == [[1, 1, 1], [1, 2, 3], [4, 5, 6]]
    assert (tmp_path / 'cache' / 'tinyvectors' / 'tiny.vec').read_bytes() == content

    vocab = text.vocab.Vocabulary(collections.Counter(['world', 'world', 'new']))
    kept = TinyVectors(vocabulary=vocab)
    assert kept.idx_to_token == ['<unk>', 'world', 'new']
    assert kept.idx_to_vec.asnumpy().tolist() == [[1, 1, 1], [4, 5, 6], [1, 1, 1]]

    with pytest.raises(KeyError, match='tiny.vec'):
        TinyVectors._check_pretrained_file_names('other.vec')


# ---------------------------------------------------------------- special functions
def test_gamma_and_gammaln_at_the_infinities():
    x = nd.array([np.inf, -np.inf])
    assert nd.gamma(x).asnumpy()[0] == np.inf
    assert np.isnan(nd.gamma(x).asnumpy()[1])
    assert nd.gammaln(x).asnumpy().tolist() == [np.inf, np.inf]


def test_gamma_overflow_is_inf_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert nd.gamma(nd.array([172.0])).asnumpy().tolist() == [np.inf]


# ---------------------------------------------------------------- integer inputs
def test_div_sqrt_dim_on_integers_truncates_like_c():
    # the root of the last axis's length 8 is taken as an int (2), then C's division
    x = nd.array([[-7, -3, -1, 0, 1, 2, 5, 100]], dtype='int32')
    y = nd.contrib.div_sqrt_dim(x)
    assert y.dtype == np.int32
    assert y.asnumpy().tolist() == [[-3, -1, 0, 0, 0, 1, 2, 50]]


def test_quadratic_on_integers_uses_the_float_coefficients():
    x = nd.array([-7, -3, -1, 0, 1, 2, 5, 100], dtype='int32')
    y = nd.contrib.quadratic(x, a=1.5, b=-0.7, c=0.3)
    assert y.dtype == np.int32
    # 1.5 * 49 + 4.9 + 0.3 = 78.7 -> 78, ..., 15000 - 70 + 0.3 -> 14930
    assert y.asnumpy().tolist() == [78, 15, 2, 0, 1, 4, 34, 14930]


# ---------------------------------------------------------------- bad arguments
def test_arange_like_axis_out_of_range_is_a_clear_error():
    assert nd.contrib.arange_like(nd.ones((3, 2)), axis=-2).asnumpy().tolist() == [0, 1, 2]
    with pytest.raises(MXNetError, match='axis=2 is out of range'):
        nd.contrib.arange_like(nd.ones((3, 2)), axis=2)


def test_adaptive_avg_pooling_output_size():
    x = nd.ones((1, 1, 4, 4))
    assert nd.contrib.AdaptiveAvgPooling2D(x, output_size=0).shape == (1, 1, 0, 0)
    with pytest.raises(MXNetError, match='output_size'):
        nd.contrib.AdaptiveAvgPooling2D(x, output_size=(1, 2, 3))


def _hawkes(marks, valid_length):
    n, t = marks.shape
    return nd.contrib.hawkesll(
        nd.ones((n, 2)), nd.array([0.2, 0.3]), nd.array([1.0, 2.0]), nd.zeros((n, 2)),
        nd.ones((n, t)), nd.array(marks, dtype='int32'), nd.array(valid_length),
        nd.ones((n,)) * 10)[0]


def test_hawkesll_rejects_an_observed_mark_of_no_process():
    with pytest.raises(MXNetError, match=r'marks\[0, 1\] is 2'):
        _hawkes(np.array([[0, 2, 1]]), [3])


def test_hawkesll_ignores_the_padding_after_valid_length():
    padded = _hawkes(np.array([[1, 0, -1]]), [2]).asnumpy()
    zeros = _hawkes(np.array([[1, 0, 0]]), [2]).asnumpy()
    assert padded.tolist() == zeros.tolist()


def test_hawkesll_graph_infers_int32_marks():
    names = ['lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time']
    ll = mx.sym.contrib.hawkesll(*[mx.sym.var(n) for n in names])
    arg_types, out_types, _ = ll.infer_type(lda='float64')
    assert dict(zip(names, arg_types))['marks'] == np.int32
    assert dict(zip(names, arg_types))['lags'] == np.float64
    assert out_types == [np.float64, np.float64]
