"""gluon.contrib.data: IntervalSampler and the WikiText datasets.

Expected values were recorded from MXNet 1.9.1 on the same inputs (its WikiText
read the same small files, their checksum test bypassed).
"""
import hashlib
import io
import os
import zipfile

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.gluon.contrib import data as cdata
from d2lmini.gluon.contrib.data import text
from d2lmini.download import DownloadError

TRAIN = (' \n = Title = \n \n The cat sat on the mat . \n The dog , the cat . \n\n  \n'
         ' A b c d e f g h i j k l m n \n')
VALID = ' the cat <unk> zebra . \n'


def test_interval_sampler():
    assert list(cdata.IntervalSampler(10, 3)) == [0, 3, 6, 9, 1, 4, 7, 2, 5, 8]
    assert list(cdata.IntervalSampler(13, 4)) == [0, 4, 8, 12, 1, 5, 9, 2, 6, 10, 3, 7, 11]
    assert list(cdata.IntervalSampler(5, 1)) == [0, 1, 2, 3, 4]
    short = cdata.IntervalSampler(10, 3, rollover=False)
    assert list(short) == [0, 3, 6, 9] and len(short) == 10    # len as in MXNet
    assert isinstance(short, mx.gluon.data.Sampler)
    assert cdata.sampler.IntervalSampler is cdata.IntervalSampler
    with pytest.raises(AssertionError, match='Interval 5 must be smaller than or equal to '
                                             'length 3'):
        cdata.IntervalSampler(3, 5)
    with pytest.raises(ValueError, match='interval must be at least 1'):
        cdata.IntervalSampler(10, 0)


def test_interval_sampler_in_a_dataloader():
    data = mx.gluon.data.ArrayDataset(mx.nd.arange(6))
    loader = mx.gluon.data.DataLoader(data, batch_size=3,
                                      sampler=cdata.IntervalSampler(6, 2))
    assert [b.asnumpy().tolist() for b in loader] == [[0, 2, 4], [1, 3, 5]]


def _sha1(content):
    return hashlib.sha1(content.encode()).hexdigest()


@pytest.fixture
def wikitext_root(tmp_path, monkeypatch):
    """A root holding small token files, the checksums expected set to theirs."""
    (tmp_path / 'wiki.train.tokens').write_text(TRAIN)
    (tmp_path / 'wiki.valid.tokens').write_text(VALID)
    monkeypatch.setattr(text.WikiText2, '_data_file', {
        'train': ('wiki.train.tokens', _sha1(TRAIN)),
        'validation': ('wiki.valid.tokens', _sha1(VALID)),
        'test': ('wiki.test.tokens', '0' * 40)})
    return str(tmp_path)


def test_wikitext_reads_as_mxnet(wikitext_root):
    train = text.WikiText2(root=wikitext_root, seq_len=5)
    assert len(train) == 6
    data, label = train[0]
    assert data.dtype == np.int32 and data.shape == (5,)
    assert data.asnumpy().tolist() == [3, 9, 3, 1, 4]
    assert label.asnumpy().tolist() == [9, 3, 1, 4, 5]
    assert train[5][1].asnumpy().tolist() == [17, 18, 19, 20, 21]
    vocab = train.vocabulary
    assert vocab.idx_to_token == [
        '<unk>', '<eos>', '.', '=', 'The', 'cat', 'the', ',', 'A', 'Title', 'b', 'c', 'd',
        'dog', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'mat', 'n', 'on', 'sat']
    assert train.frequencies['cat'] == 2 and '<eos>' not in train.frequencies
    # another segment with the training vocabulary: unknown words become <unk>
    valid = text.WikiText2(root=wikitext_root, segment='validation', vocab=vocab, seq_len=2)
    assert [(d.asnumpy().tolist(), lab.asnumpy().tolist()) for d, lab in valid] == [
        ([6, 5], [5, 0]), ([0, 0], [0, 2])]
    own = text.WikiText2(root=wikitext_root, segment='validation', seq_len=2)
    assert own.vocabulary.idx_to_token == ['<unk>', '<eos>', '.', 'cat', 'the', 'zebra']
    assert train.transform_first(lambda x: x * 2)[0][0].asnumpy().tolist() == [6, 18, 6, 2, 8]


def test_wikitext_arguments(wikitext_root):
    with pytest.raises(KeyError, match='bogus'):
        text.WikiText2(root=wikitext_root, segment='bogus')
    with pytest.raises(ValueError, match='seq_len'):
        text.WikiText2(root=wikitext_root, seq_len=0)


def test_wikitext_offline_error_says_where_to_put_files(tmp_path, monkeypatch):
    # a mirror that does not exist: the error names the URL and the file to place
    monkeypatch.setenv('MXNET_GLUON_REPO', 'file://' + str(tmp_path / 'no_such_mirror'))
    with pytest.raises(DownloadError, match='wikitext-2-v1.zip'):
        text.WikiText2(root=str(tmp_path / 'root'))


def test_wikitext_download_unzips_into_root(tmp_path, monkeypatch):
    mirror = tmp_path / 'mirror' / 'gluon' / 'dataset' / 'wikitext-103'
    mirror.mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        zf.writestr('wikitext-103/wiki.train.tokens', TRAIN)
        zf.writestr('wikitext-103/wiki.valid.tokens', VALID)
    (mirror / 'wikitext-103-v1.zip').write_bytes(buffer.getvalue())
    monkeypatch.setenv('MXNET_GLUON_REPO', 'file://' + str(tmp_path / 'mirror') + '/')
    monkeypatch.setattr(text.WikiText103, '_archive_file', (
        'wikitext-103-v1.zip', hashlib.sha1(buffer.getvalue()).hexdigest()))
    monkeypatch.setattr(text.WikiText103, '_data_file', {
        'train': ('wiki.train.tokens', _sha1(TRAIN)),
        'validation': ('wiki.valid.tokens', _sha1(VALID)), 'test': ('x', '0' * 40)})
    root = tmp_path / 'root'
    dataset = text.WikiText103(root=str(root), segment='validation', seq_len=2)
    assert len(dataset) == 2
    assert sorted(os.listdir(root)) == ['wiki.train.tokens', 'wiki.valid.tokens',
                                        'wikitext-103-v1.zip']


def test_published_checksums():
    assert text.WikiText2._archive_file == ('wikitext-2-v1.zip',
                                            '3c914d17d80b1459be871a5039ac23e752a53cbe')
    assert text.WikiText103._data_file['test'] == ('wiki.test.tokens',
                                                   '8a5befc548865cec54ed4273cf87dbbad60d1e47')
