"""mx.image against MXNet 1.9.1's results (tests/fixtures/recordio/
mxnet_image_expected.npz, made by tools/make_image_recordio_fixtures.py).

Tolerances: decoding PNG and the fixture's JPEG is exact; resizing is exact for
nearest (0) and Lanczos (4), and within one level for bilinear (1), bicubic (2) and
area (3), where OpenCV's vectorised fixed-point code rounds a few intermediate sums
differently from the exact integer sums used here.
"""
import json
import logging
import os
import random
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import image
from d2lmini.image import codec

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'recordio')
E = np.load(os.path.join(FIX, 'mxnet_image_expected.npz'))
TOL = {0: 0, 1: 1, 2: 1, 3: 1, 4: 0}


def nd(a):
    return mx.nd.array(a, dtype=a.dtype)


def test_decode_like_mxnet():
    png = open(os.path.join(FIX, 'a.png'), 'rb').read()
    out = image.imdecode(png)
    assert out.dtype == np.uint8 and out.shape == (7, 9, 3)
    assert (out.asnumpy() == E['decode_a']).all()
    assert (image.imdecode(png, to_rgb=False).asnumpy() == E['decode_a_bgr']).all()
    assert (image.imdecode(png, flag=0).asnumpy() == E['decode_a_gray']).all()
    assert (image.imdecode(np.frombuffer(png, np.uint8)).asnumpy() == E['decode_a']).all()
    gray = open(os.path.join(FIX, 'gray.png'), 'rb').read()
    assert (image.imdecode(gray).asnumpy() == E['decode_gray_color']).all()
    jpg = os.path.join(FIX, 'sample.jpg')
    assert (image.imread(jpg).asnumpy() == E['decode_jpg']).all()
    assert (image.imread(jpg, flag=0).asnumpy() == E['decode_jpg_gray']).all()


def test_decode_errors(tmp_path):
    with pytest.raises(mx.MXNetError, match="couldn't open file"):
        image.imread(str(tmp_path / 'missing.jpg'))
    with pytest.raises(mx.MXNetError, match='Invalid image file'):
        image.imdecode(b'garbage')
    with pytest.raises(ValueError, match='buf must be of type bytes'):
        image.imdecode('text')
    with pytest.raises(mx.MXNetError, match='greater equal to 0'):
        image.imdecode(b'x', flag=-1)


@pytest.mark.parametrize('interp', range(5))
@pytest.mark.parametrize('src', ['a', 'b'])
def test_imresize_like_mxnet(src, interp):
    for w, h in [(4, 3), (13, 11), (5, 9), (8, 6), (32, 24), (3, 17)]:
        got = image.imresize(nd(E[src]), w, h, interp=interp).asnumpy()
        want = E[f'resize_{src}_{interp}_{w}x{h}']
        assert got.shape == want.shape == (h, w, 3) and got.dtype == np.uint8
        assert np.abs(got.astype(int) - want).max() <= TOL[interp], (w, h)


def test_halving_rounds_halves_up_as_opencv_does():
    """OpenCV halves uint8 images by (sum of 2x2 + 2) >> 2: a mean of x.5 goes up
    (values from MXNet 1.9.1's imresize)."""
    img = mx.nd.array(np.arange(48).reshape((4, 4, 3)), dtype='uint8')
    want = [[[8, 9, 10], [14, 15, 16]], [[32, 33, 34], [38, 39, 40]]]
    for interp in (1, 3):
        assert image.imresize(img, 2, 2, interp=interp).asnumpy().tolist() == want
    img = mx.nd.array((np.arange(96) * 7 % 256).reshape((4, 8, 3)), dtype='uint8')
    assert image.imresize(img, 4, 2, interp=3).asnumpy().tolist() == [
        [[95, 102, 109], [137, 144, 151], [115, 58, 65], [93, 100, 107]],
        [[111, 118, 61], [89, 96, 103], [131, 138, 145], [173, 180, 187]]]


def test_imresize_float_and_errors():
    got = image.imresize(mx.nd.array(E['a'].astype(np.float32)), 5, 4, interp=1)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.asnumpy(), E['resize_a_float'], atol=1e-3)
    with pytest.raises(mx.MXNetError, match='greater equal to 1'):
        image.imresize(nd(E['a']), 0, 3)
    with pytest.raises(ValueError, match='Unknown interp'):
        image.imresize(nd(E['a']), 3, 3, interp=7)


def test_crops_like_mxnet():
    b = nd(E['b'])
    assert np.abs(image.resize_short(b, 5).asnumpy().astype(int)
                  - E['resize_short_b_5']).max() <= 1
    out, rect = image.center_crop(b, (6, 4))
    assert rect == (5, 4, 6, 4) and (out.asnumpy() == E['center_crop_b']).all()
    out, rect = image.center_crop(b, (20, 10))
    assert rect == (0, 2, 16, 8)
    assert np.abs(out.asnumpy().astype(int) - E['center_crop_b_resized']).max() <= 1
    out = image.fixed_crop(b, 2, 3, 7, 5, size=(10, 6))
    assert np.abs(out.asnumpy().astype(int) - E['fixed_crop_b']).max() <= 1
    assert image.scale_down((640, 480), (720, 120)) == (640, 106)
    random.seed(0)
    out, (x0, y0, w, h) = image.random_crop(b, (5, 5))
    assert out.shape == (5, 5, 3) and (out.asnumpy() == E['b'][y0:y0 + 5, x0:x0 + 5]).all()
    out, _ = image.random_size_crop(b, (6, 6), 0.3, (0.75, 1.33))
    assert out.shape == (6, 6, 3)


@pytest.mark.parametrize('border', range(5))
def test_copy_make_border(border):
    out = image.copyMakeBorder(nd(E['b']), 1, 2, 3, 4, type=border, value=7)
    assert (out.asnumpy() == E[f'border_{border}']).all()


def test_color_normalize_in_place():
    x = mx.nd.ones((2, 2, 3)) * 10
    y = image.color_normalize(x, mx.nd.array([1, 2, 3]), mx.nd.array([3, 4, 7]))
    assert y is x
    np.testing.assert_allclose(x.asnumpy()[0, 0], [3, 2, 1])


def test_augmenters():
    random.seed(1)
    np.random.seed(1)
    src = nd(E['b'])
    augs = image.CreateAugmenter((3, 8, 8), resize=10, rand_crop=True, rand_resize=True,
                                 rand_mirror=True, mean=True, std=True, brightness=0.2,
                                 contrast=0.2, saturation=0.2, hue=0.1, pca_noise=0.1,
                                 rand_gray=0.5)
    names = [a.__class__.__name__ for a in augs]
    assert names == ['ResizeAug', 'RandomSizedCropAug', 'HorizontalFlipAug', 'CastAug',
                     'ColorJitterAug', 'HueJitterAug', 'LightingAug', 'RandomGrayAug',
                     'ColorNormalizeAug']
    out = image.SequentialAug(augs)(src)
    assert out.shape == (8, 8, 3) and out.dtype == np.float32
    # dumps is MXNet's, as MXNet 1.9.1 prints it
    assert augs[0].dumps() == '["resizeaug", {"size": 10, "interp": 2}]'
    assert augs[4].dumps()[0] == 'colorjitteraug'
    assert json.loads(augs[-1].dumps())[1]['std'] == pytest.approx([58.395, 57.12, 57.375])
    flip = image.HorizontalFlipAug(1.0)(src)
    assert (flip.asnumpy() == E['b'][:, ::-1]).all()
    f = src.astype('float32')
    assert (image.BrightnessJitterAug(0)(f.copy()).asnumpy() == f.asnumpy()).all()
    g = image.RandomGrayAug(1.0)(f.copy()).asnumpy()
    assert np.allclose(g[..., 0], g[..., 1])
    # MXNet's YIQ matrices are rounded, so no rotation is not quite the identity
    np.testing.assert_allclose(image.HueJitterAug(0)(f.copy()).asnumpy(), f.asnumpy(),
                               atol=1)
    assert image.ForceResizeAug((5, 7))(src).shape == (7, 5, 3)
    assert image.CenterCropAug((4, 4))(src).shape == (4, 4, 3)
    assert image.RandomCropAug((4, 4))(src).shape == (4, 4, 3)
    assert image.CastAug('float64')(src).dtype == np.float64


def write_images(root, n):
    colours = []
    for i in range(n):
        img = np.full((10, 12, 3), 20 * i, np.uint8)
        with open(os.path.join(root, f'{i}.png'), 'wb') as f:
            f.write(codec.encode(img, '.png'))
        colours.append(20 * i)
    return colours


def test_image_iter_folder_and_list(tmp_path):
    colours = write_images(str(tmp_path), 5)
    lst = tmp_path / 'data.lst'
    lst.write_text(''.join(f'{i}\t{i * 2}.0\t{i}.png\n' for i in range(5)))
    it = image.ImageIter(2, (3, 6, 6), path_imglist=str(lst), path_root=str(tmp_path))
    assert it.provide_data == [('data', (2, 3, 6, 6))]
    assert it.provide_label == [('softmax_label', (2,))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 1]
    data = batches[0].data[0]
    assert data.shape == (2, 3, 6, 6) and data.dtype == np.float32
    assert batches[1].data[0].asnumpy()[1].max() == colours[3]
    assert batches[2].label[0].asnumpy().tolist() == [8.0, 0.0]
    it.reset()
    assert len(list(it)) == 3
    it = image.ImageIter(2, (3, 6, 6), imglist=[[i, f'{i}.png'] for i in range(5)],
                         path_root=str(tmp_path), last_batch_handle='discard')
    assert len(list(it)) == 2


def test_image_iter_recordio(tmp_path):
    from d2lmini import recordio
    idx, rec = str(tmp_path / 'x.idx'), str(tmp_path / 'x.rec')
    w = recordio.MXIndexedRecordIO(idx, rec, 'w')
    for i in range(4):
        w.write_idx(i, recordio.pack_img((0, [i, i + 1], i, 0),
                                         np.full((9, 9, 3), 30 * i, np.uint8), img_fmt='.png'))
    w.close()
    it = image.ImageIter(3, (3, 4, 4), label_width=2, path_imgrec=rec, path_imgidx=idx,
                         shuffle=True, rand_mirror=True)
    batches = list(it)
    assert len(batches) == 2 and batches[1].pad == 2
    labels = np.concatenate([b.label[0].asnumpy() for b in batches])[:4]
    assert sorted(labels[:, 0].tolist()) == [0, 1, 2, 3]
    it = image.ImageIter(4, (3, 4, 4), label_width=2, path_imgrec=rec)  # no index
    (batch,) = list(it)
    assert batch.label[0].asnumpy()[:, 0].tolist() == [0, 1, 2, 3]
    assert batch.data[0].asnumpy()[3].max() == 90


def test_image_folder_dataset(tmp_path):
    for cls in ['b_dogs', 'a_cats']:
        os.makedirs(tmp_path / cls)
        write_images(str(tmp_path / cls), 2)
    (tmp_path / 'a_cats' / 'notes.txt').write_text('not an image')
    (tmp_path / 'stray.png').write_bytes(b'')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ds = mx.gluon.data.vision.ImageFolderDataset(str(tmp_path))
    messages = [str(w.message) for w in caught]
    assert any('which is not a directory' in m for m in messages)
    assert any('Only support .jpg, .jpeg, .png' in m for m in messages)
    assert ds.synsets == ['a_cats', 'b_dogs'] and len(ds) == 4
    assert [label for _, label in ds.items] == [0, 0, 1, 1]
    img, label = ds[3]
    assert img.shape == (10, 12, 3) and label == 1
    gray = mx.gluon.data.vision.ImageFolderDataset(str(tmp_path), flag=0)[0][0]
    assert gray.shape == (10, 12, 1)
    ds = mx.gluon.data.vision.ImageFolderDataset(
        str(tmp_path), transform=lambda x, y: (x.astype('float32') / 255, y))
    assert ds[0][0].dtype == np.float32


def test_grey_png_decoding_uses_libpngs_weights():
    # levels MXNet 1.9.1 (OpenCV with libpng) decodes these RGB pixels to, in grey
    import io
    from PIL import Image
    pixels = np.array([[[20, 210, 68], [144, 153, 238]]], dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format='PNG')
    grey = mx.image.imdecode(buf.getvalue(), flag=0).asnumpy()[..., 0]
    assert grey.tolist() == [[136, 160]]


def test_decoding_a_png_logs_nothing_at_debug_level(caplog):
    import io as _io
    from PIL import Image
    buf = _io.BytesIO()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(buf, format='PNG')
    with caplog.at_level(logging.DEBUG):
        mx.image.imdecode(buf.getvalue())
    assert not [r for r in caplog.records if r.name.startswith('PIL')]
