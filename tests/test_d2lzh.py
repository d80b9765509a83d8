"""The calls that the 1.x edition of Dive into Deep Learning (its ``d2lzh`` helper
package and image and text chapters) makes, with ``mxnet`` mapped to d2lmini, on small
local data."""
import collections
import os
import sys

import numpy as np
import pytest

import d2lmini


@pytest.fixture
def mxnet(monkeypatch):
    """``import mxnet`` gives d2lmini, for the duration of a test."""
    monkeypatch.setitem(sys.modules, 'mxnet', d2lmini)
    for name in list(sys.modules):
        if name.startswith('d2lmini.'):
            monkeypatch.setitem(sys.modules, 'mxnet' + name[len('d2lmini'):], sys.modules[name])
    return d2lmini


def test_imports(mxnet):
    import mxnet as mx
    from mxnet import autograd, gluon, image, init, nd  # noqa: F401
    from mxnet.contrib import text  # noqa: F401
    from mxnet.gluon import data as gdata, loss as gloss, nn, utils as gutils  # noqa: F401
    from mxnet.gluon import rnn
    assert mx.image is image and text.vocab.Vocabulary
    assert rnn.LSTM and rnn.GRUCell and gluon.rnn is rnn
    assert callable(gutils.split_and_load) and callable(gutils.download)


def test_image_augmentation_chapter(mxnet, tmp_path):
    from mxnet import gluon, image, nd
    from mxnet.gluon import data as gdata
    from d2lmini.image import codec
    yy, xx = np.mgrid[0:40, 0:60]
    pixels = np.stack([xx * 4, yy * 6, (xx + yy) * 2], -1).astype(np.uint8)
    path = tmp_path / 'cat1.jpg'
    path.write_bytes(codec.encode(pixels, '.jpg'))
    img = image.imread(str(path))
    assert img.shape == (40, 60, 3) and img.dtype == np.uint8
    # the chapter's apply(): augment the same image several times
    aug = gdata.vision.transforms.RandomFlipLeftRight()
    Y = [aug(img) for _ in range(4)]
    assert all(y.shape == img.shape for y in Y)
    # voc_rand_crop: a random crop and the same crop of the label image
    feature, rect = image.random_crop(img, (20, 10))
    label = image.fixed_crop(img, *rect)
    assert feature.shape == (10, 20, 3) and (label.asnumpy() == feature.asnumpy()).all()
    # VOCSegDataset.normalize_image
    rgb_mean, rgb_std = nd.array([0.485, 0.456, 0.406]), nd.array([0.229, 0.224, 0.225])
    normed = (img.astype('float32') / 255 - rgb_mean) / rgb_std
    assert normed.transpose((2, 0, 1)).shape == (3, 40, 60)
    # the augmenters of mx.image, as the chapter's predecessors used them
    augs = image.CreateAugmenter(data_shape=(3, 32, 32), rand_crop=True, rand_mirror=True,
                                 brightness=0.5, mean=True, std=True)
    out = img
    for a in augs:
        out = a(out)
    assert out.shape == (32, 32, 3)
    # load_data_fashion_mnist's transform pipeline on an image dataset
    transformer = gdata.vision.transforms.Compose([
        gdata.vision.transforms.Resize(28), gdata.vision.transforms.ToTensor()])
    ds = gdata.ArrayDataset(nd.array(np.stack([pixels] * 4), dtype='uint8'), np.arange(4))
    X, y = next(iter(gdata.DataLoader(ds.transform_first(transformer), 2, shuffle=False)))
    assert X.shape == (2, 3, 28, 28) and X.dtype == np.float32
    assert gluon.utils.split_and_load(X, [d2lmini.cpu()])[0].shape == X.shape


def test_text_chapter(mxnet, tmp_path):
    from mxnet import nd
    from mxnet.contrib import text
    from mxnet.gluon import nn
    # get_vocab_imdb / preprocess_imdb
    data = [['this movie is great', 1], ['this movie is bad bad', 0]] * 5
    tokenized = [[tok.lower() for tok in review.split(' ')] for review, _ in data]
    counter = collections.Counter([tk for st in tokenized for tk in st])
    vocab = text.vocab.Vocabulary(counter, min_freq=5)
    assert vocab.idx_to_token == ['<unk>', 'bad', 'is', 'movie', 'this', 'great']
    max_l = 8

    def pad(x):
        return x[:max_l] if len(x) > max_l else x + [0] * (max_l - len(x))
    features = nd.array([pad(vocab.to_indices(x)) for x in tokenized])
    assert features.shape == (10, 8)
    # the pre-trained embedding section, with a local embedding file in GloVe's format
    path = tmp_path / 'glove.6B.50d.txt'
    path.write_text('the 0.1 0.2\nmovie 1 2\nbad -1 -2\n')
    glove = text.embedding.CustomEmbedding(str(path), vocabulary=vocab)
    assert glove.idx_to_vec.shape == (len(vocab), 2)
    embedding = nn.Embedding(len(vocab), 2)
    embedding.initialize()
    embedding.weight.set_data(glove.idx_to_vec)
    embedding.collect_params().setattr('grad_req', 'null')
    out = embedding(features)
    assert out.shape == (10, 8, 2)
    np.testing.assert_allclose(out.asnumpy()[0, 1], [1, 2])
    # knn / get_analogy use idx_to_vec and get_vecs_by_tokens
    vecs = glove.get_vecs_by_tokens(['movie', 'bad'])
    cos = nd.dot(glove.idx_to_vec, vecs[0]) / (
        (nd.sum(glove.idx_to_vec * glove.idx_to_vec, axis=1) + 1e-9).sqrt()
        * nd.sum(vecs[0] * vecs[0]).sqrt())
    assert int(nd.topk(cos, k=1).asscalar()) == vocab.token_to_idx['movie']
    assert 'glove.6B.50d.txt' in text.embedding.get_pretrained_file_names('glove')
