"""MXNet 1.x behaviour of the data pipeline: gluon.data.vision transforms, mx.image
resizing (OpenCV's pixels), and the errors they raise."""
import time

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.gluon.data.vision import transforms


# ------------------------------------------------------------------ Resize transform
@pytest.mark.parametrize('interp', [2, 3, 4])
def test_resize_transform_accepts_every_opencv_method(interp):
    img = mx.nd.array(np.arange(6 * 4 * 3).reshape(6, 4, 3), dtype='float32')
    out = transforms.Resize((3, 5), interpolation=interp)(img)
    expected = mx.image.imresize(img, 3, 5, interp)
    assert out.shape == (5, 3, 3)
    np.testing.assert_allclose(out.asnumpy(), expected.asnumpy())


def test_resize_transform_method_9_picks_by_size():
    img = mx.nd.array(np.random.RandomState(0).uniform(0, 255, (8, 8, 3)), dtype='float32')
    shrunk = transforms.Resize(3, interpolation=9)(img)  # shrinking: area (3)
    np.testing.assert_allclose(shrunk.asnumpy(), mx.image.imresize(img, 3, 3, 3).asnumpy())
    grown = transforms.Resize(12, interpolation=9)(img)  # enlarging: bicubic (2)
    np.testing.assert_allclose(grown.asnumpy(), mx.image.imresize(img, 12, 12, 2).asnumpy())


def test_resize_transform_keeps_signed_integer_dtype_and_rounds():
    # a row [0, 3] widened to 4 pixels: 0, 0.75, 2.25, 3 -> rounded 0, 1, 2, 3
    img = mx.nd.array(np.array([[[0], [3]]]), dtype='int8')
    out = transforms.Resize((4, 1))(img)
    assert out.dtype == np.int8
    assert out.asnumpy().ravel().tolist() == [0, 1, 2, 3]


def test_integer_resize_saturates_instead_of_wrapping():
    # bicubic overshoots the range of int8 at a sharp edge: clipped, not wrapped
    row = np.array([-128, -128, 127, 127], np.int8).reshape(1, 4, 1)
    out = mx.image.imresize(mx.nd.array(row, dtype='int8'), 13, 1, 2).asnumpy()
    as_float = mx.image.imresize(mx.nd.array(row, dtype='float64'), 13, 1, 2).asnumpy()
    assert as_float.max() > 127 and as_float.min() < -128
    np.testing.assert_array_equal(out, np.clip(np.rint(as_float), -128, 127))


def test_resize_transform_bad_arguments_raise_mxnet_errors():
    img = mx.nd.ones((30, 20, 3))
    for resize in (lambda: transforms.Resize(-150, keep_ratio=True)(img),
                   lambda: transforms.Resize((0, 5))(img),
                   lambda: transforms.Resize((100, 100, 100)),
                   lambda: transforms.Resize(10, interpolation=5)):
        with pytest.raises(MXNetError):
            resize()


# ------------------------------------------------------------------ Normalize errors
def test_normalize_wrong_rank_is_an_mxnet_error_and_a_value_error():
    norm = transforms.Normalize(mean=(0, 1, 2), std=(3, 2, 1))
    with pytest.raises(MXNetError):
        norm(mx.nd.zeros((2, 2, 3, 4, 4)))
    with pytest.raises(ValueError):
        norm(mx.nd.zeros((2, 2, 3, 4, 4)))


def test_normalize_channel_mismatch_is_an_mxnet_error():
    with pytest.raises(MXNetError):
        transforms.Normalize(mean=(0, 1, 2), std=(3, 2, 1))(mx.nd.zeros((5, 4, 3, 3)))


# ------------------------------------------------------------------ OpenCV's pixels
def test_uint8_bilinear_border_rows_round_like_opencv():
    # rows above the first source row keep their weights in OpenCV (only the row
    # index is clipped), which rounds differently; expected values from MXNet 1.9.1
    img = np.array([[144, 73, 8], [228, 231, 190]], np.uint8)[..., None]
    out = mx.image.imresize(mx.nd.array(img, dtype='uint8'), 5, 3, 1).asnumpy()[..., 0]
    assert out.tolist() == [[144, 115, 73, 34, 8], [186, 172, 152, 120, 99],
                            [228, 229, 231, 206, 190]]


def test_float_area_shrink_is_not_rounded():
    img = mx.nd.array(np.array([[[0.], [1.], [0.]]]), dtype='float32')
    out = mx.image.imresize(img, 2, 1, 3).asnumpy().ravel()
    np.testing.assert_allclose(out, [1 / 3, 1 / 3], rtol=1e-6)


def test_area_resize_of_a_large_image_is_fast():
    img = mx.nd.zeros((600, 640, 3), dtype='uint8')
    start = time.time()
    out = mx.image.imresize(img, 200, 210, 3)
    assert out.shape == (210, 200, 3)
    assert time.time() - start < 20  # a pixel-by-pixel product takes minutes


# ------------------------------------------------------------------ MNISTIter
def _write_mnist(tmp_path, n, images=None):
    import struct
    if images is None:
        images = np.zeros((n, 28, 28), np.uint8)
    img, lab = tmp_path / 'images-idx3-ubyte', tmp_path / 'labels-idx1-ubyte'
    img.write_bytes(struct.pack('>IIII', 2051, n, 28, 28) + images.tobytes())
    lab.write_bytes(struct.pack('>II', 2049, n) + bytes(range(n)))
    return str(img), str(lab)


def test_mnist_iter_scales_by_256_and_serves_only_full_batches(tmp_path):
    pixels = np.zeros((7, 28, 28), np.uint8)
    pixels[:, 0, :3] = (0, 1, 255)
    img, lab = _write_mnist(tmp_path, 7, pixels)
    it = mx.io.MNISTIter(image=img, label=lab, batch_size=3, shuffle=False, silent=True)
    assert it.provide_data[0].shape == (3, 1, 28, 28)
    assert it.provide_label[0].name == 'softmax_label'
    batches = list(it)
    assert [b.label[0].asnumpy().tolist() for b in batches] == [[0, 1, 2], [3, 4, 5]]
    assert batches[0].data[0][0, 0, 0, :3].asnumpy().tolist() == [0, 1 / 256, 255 / 256]
    it.reset()
    assert it.iter_next() and isinstance(it.getlabel(), mx.nd.NDArray)


def test_mnist_iter_flat_shape(tmp_path):
    img, lab = _write_mnist(tmp_path, 4)
    it = mx.io.MNISTIter(image=img, label=lab, batch_size=2, flat=True, silent=True)
    assert it.provide_data[0].shape == (2, 784)
    assert next(iter(it)).data[0].shape == (2, 784)


def test_mnist_iter_shuffles_in_mxnets_order(tmp_path):
    # MXNet 1.9.1 gives this order for seed 1 (C++ std::shuffle with mt19937(1))
    img, lab = _write_mnist(tmp_path, 10)
    it = mx.io.MNISTIter(image=img, label=lab, batch_size=3, seed=1, silent=True)
    first = [b.label[0].asnumpy().tolist() for b in it]
    assert first == [[6, 9, 7], [2, 4, 1], [5, 3, 8]]
    it.reset()
    assert [b.label[0].asnumpy().tolist() for b in it] == first  # same order each epoch


def test_mnist_iter_parts_are_cut_as_in_mxnet(tmp_path):
    img, lab = _write_mnist(tmp_path, 23)
    it = mx.io.MNISTIter(image=img, label=lab, batch_size=1, shuffle=False,
                         num_parts=3, part_index=1, silent=True)
    assert [int(b.label[0].asscalar()) for b in it] == list(range(7, 15))


def test_mnist_iter_errors(tmp_path):
    img, lab = _write_mnist(tmp_path, 4)
    with pytest.raises(MXNetError, match='cannot open'):
        mx.io.MNISTIter(image=str(tmp_path / 'missing'), label=lab)
    with pytest.raises(TypeError):
        mx.io.MNISTIter(img, lab)  # keyword arguments only, as in MXNet


def test_copy_make_border_accepts_the_isolated_flag():
    img = mx.nd.ones((1, 1, 3), dtype='uint8')
    out = mx.image.copyMakeBorder(img, 1, 0, 0, 1, 16, values=(7, 8, 9)).asnumpy()
    assert out.shape == (2, 2, 3)
    assert out[0, 0].tolist() == [7, 8, 9] and out[1, 0].tolist() == [1, 1, 1]


# ------------------------------------------------------------------ CIFAR
def test_cifar10_reads_mxnets_binary_batches(tmp_path):
    # record: label byte, then 3072 pixel bytes channel by channel (R plane, G, B)
    names = [f'data_batch_{i}.bin' for i in range(1, 6)] + ['test_batch.bin']
    for k, name in enumerate(names):
        record = np.zeros(3073, np.uint8)
        record[0] = k                      # label
        record[1] = 10 + k                 # red of the top-left pixel
        record[1 + 1024] = 20              # green of the top-left pixel
        record[1 + 2048 + 1] = 30          # blue of the pixel right of it
        (tmp_path / name).write_bytes(record.tobytes() * 2)
    train = mx.gluon.data.vision.CIFAR10(root=str(tmp_path))
    test = mx.gluon.data.vision.CIFAR10(root=str(tmp_path), train=False)
    assert len(train) == 10 and len(test) == 2
    image, label = train[2]
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert label.dtype == np.int32 and int(label) == 1
    assert image.asnumpy()[0, 0].tolist() == [11, 20, 0]
    assert image.asnumpy()[0, 1].tolist() == [0, 0, 30]
    assert int(test[0][1]) == 5


def test_cifar100_coarse_and_fine_labels(tmp_path):
    for name in ('train.bin', 'test.bin'):
        record = np.zeros(3074, np.uint8)
        record[:2] = (7, 42)  # coarse label, fine label
        (tmp_path / name).write_bytes(record.tobytes() * 3)
    coarse = mx.gluon.data.vision.CIFAR100(root=str(tmp_path))
    fine = mx.gluon.data.vision.CIFAR100(root=str(tmp_path), fine_label=True)
    assert len(coarse) == 3 and int(coarse[0][1]) == 7 and int(fine[0][1]) == 42


def test_cifar_refuses_a_truncated_file(tmp_path):
    (tmp_path / 'train.bin').write_bytes(bytes(3074 + 5))
    (tmp_path / 'test.bin').write_bytes(bytes(3074))
    with pytest.raises(ValueError, match='whole number'):
        mx.gluon.data.vision.CIFAR100(root=str(tmp_path))


# ------------------------------------------------------------------ rotation
def test_imrotate_quarter_turn_is_counter_clockwise():
    img = mx.nd.array(np.arange(9).reshape(1, 3, 3))
    out = mx.image.imrotate(img, 90).asnumpy()[0]
    np.testing.assert_allclose(out, np.rot90(np.arange(9).reshape(3, 3)), atol=1e-5)


def test_imrotate_batch_angles_and_zoom():
    batch = mx.nd.ones((2, 1, 5, 5))
    out = mx.image.imrotate(batch, mx.nd.array([0, 45])).asnumpy()
    np.testing.assert_allclose(out[0], 1, atol=1e-6)
    assert out[1, 0, 0, 0] < 0.5  # a corner from outside the image
    zoomed = mx.image.imrotate(batch, mx.nd.array([0, 45]), zoom_in=True).asnumpy()
    np.testing.assert_allclose(zoomed, 1, atol=1e-5)  # zoomed in: no empty corner
    with pytest.raises(TypeError):
        mx.image.imrotate(mx.nd.ones((1, 3, 3), dtype='uint8'), 10)
    with pytest.raises(ValueError):
        mx.image.imrotate(batch, 10, zoom_in=True, zoom_out=True)


def test_rotation_transforms():
    img = mx.nd.array(np.arange(9).reshape(1, 3, 3))
    np.testing.assert_allclose(transforms.Rotate(90)(img).asnumpy(),
                               mx.image.imrotate(img, 90).asnumpy())
    assert transforms.RandomRotation((-5, 5), rotate_with_proba=0.0)(img) is img
    with pytest.raises(ValueError):
        transforms.RandomRotation((5, -5))
    with pytest.raises(TypeError):
        transforms.Rotate(10)(mx.nd.ones((1, 3, 3), dtype='uint8'))
    assert transforms.RandomApply(transforms.Rotate(90), p=0.0)(img) is img
    applied = transforms.RandomApply([transforms.Rotate(90)], p=1.0)(img)
    np.testing.assert_allclose(applied.asnumpy(), mx.image.imrotate(img, 90).asnumpy())


def test_uint8_bicubic_rounds_like_opencv():
    # OpenCV computes the cubic weights in float32, rounds them half to even, and
    # sums the rows in float32; expected values from MXNet 1.9.1
    img = np.array([[27, 121], [214, 67], [109, 57]], np.uint8)[..., None]
    out = mx.image.imresize(mx.nd.array(img, dtype='uint8'), 11, 3, 2).asnumpy()[..., 0]
    assert out.tolist() == [[17, 17, 24, 38, 55, 74, 93, 110, 124, 131, 131],
                            [230, 229, 219, 197, 170, 140, 111, 84, 62, 52, 51],
                            [115, 114, 111, 103, 93, 83, 73, 63, 55, 52, 51]]


def test_uint8_area_shrink_sums_in_float32_like_opencv():
    # 4 columns to 3: OpenCV adds the weighted pixels one by one in float32 and
    # rounds half to even; expected values from MXNet 1.9.1
    img = np.array([[134, 115, 114, 32], [165, 183, 95, 135], [21, 139, 28, 54],
                    [221, 67, 169, 66]], np.uint8)[..., None]
    out = mx.image.imresize(mx.nd.array(img, dtype='uint8'), 3, 4, 3).asnumpy()[..., 0]
    assert out.tolist() == [[129, 114, 52], [170, 139, 125], [50, 84, 48], [182, 118, 92]]
