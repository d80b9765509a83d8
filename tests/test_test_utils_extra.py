"""More of ``mx.test_utils``: the helpers MXNet 1.x test code uses besides the
comparisons (expected values recorded from MXNet 1.9.1 where they are exact)."""
import gzip
import os
import struct
import zipfile

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import test_utils as tu
from d2lmini.download import DownloadError


def test_small_arrays():
    v = tu.create_vector(4)
    assert v.dtype == np.int64 and v.asnumpy().tolist() == [0, 1, 2, 3]
    t = tu.create_2d_tensor(3, 2, np.float32)
    assert t.dtype == np.float32 and t.asnumpy().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert tu.get_identity_mat(2).asnumpy().tolist() == [[1, 0], [0, 1]]
    batch = tu.get_identity_mat_batch(3)
    assert batch.shape == (2, 3, 3) and batch.dtype == np.float32
    np.random.seed(0)
    # MXNet 1.9.1 after np.random.seed(0): (5, 100), (3, 103), (7, 109)
    assert [tu.rand_coord_2d(0, 10, 100, 110) for _ in range(3)] == \
        [(5, 100), (3, 103), (7, 109)]


def test_random_matrices():
    q = tu.new_orthonormal_matrix_2d(5)
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)
    m = tu.new_matrix_with_real_eigvals_2d(5)
    eig = np.linalg.eigvals(m)
    assert np.isrealobj(eig) or np.abs(eig.imag).max() < 1e-9
    assert np.linalg.cond(m) < 1e3
    s = tu.new_sym_matrix_with_real_eigvals_2d(4)
    np.testing.assert_allclose(s, s.T, atol=1e-12)
    assert tu.new_matrix_with_real_eigvals_nd((2, 3, 3)).shape == (2, 3, 3)
    batch = tu.new_sym_matrix_with_real_eigvals_nd((2, 1, 3, 3))
    np.testing.assert_allclose(batch, np.swapaxes(batch, -1, -2), atol=1e-12)
    with pytest.raises(ValueError, match='square'):
        tu.new_matrix_with_real_eigvals_nd((2, 3))


def test_collapse_sum_like():
    out = tu.collapse_sum_like(np.ones((2, 3, 4)), (3, 1))
    assert out.shape == (3, 1) and out.ravel().tolist() == [8, 8, 8]
    assert tu.collapse_sum_like(np.ones((2, 3)), (1,)).tolist() == [6]
    assert tu.collapse_sum_like(np.ones((2, 3)), (2, 3)).shape == (2, 3)
    with pytest.raises(ValueError, match='broadcast'):
        tu.collapse_sum_like(np.ones((2, 3)), (2,))


def test_error_rate_tolerance():
    a, b = np.zeros(10), np.eye(10)[3]      # one element in ten differs
    for etol in (None, 0.05):
        with pytest.raises(AssertionError):
            tu.assert_almost_equal_with_err(a, b, etol=etol)
    for etol in (0.1, 0.2):     # MXNet passes an error rate equal to etol
        tu.assert_almost_equal_with_err(a, b, etol=etol)
    assert tu.get_etol() == 0 and tu.get_etol(0.3) == 0.3


def test_same_array_and_tuples():
    a = mx.nd.ones((2, 3))
    assert tu.same_array(a, a)
    assert not tu.same_array(a, a.copy())
    assert not tu.same_array(a, a.reshape((3, 2)))      # shapes differ, as in MXNet
    assert a.asnumpy().tolist() == [[1, 1, 1]] * 2      # left as it was
    tu.compare_ndarray_tuple((mx.nd.ones(2), None), (mx.nd.ones(2), None))
    tu.compare_ndarray_tuple(mx.nd.ones(2), mx.nd.ones(2))
    with pytest.raises(AssertionError):
        tu.compare_ndarray_tuple((mx.nd.ones(2),), (mx.nd.zeros(2),))


def test_compare_optimizer():
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                         mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), (3, 4), np.float32)
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1), mx.optimizer.SGD(learning_rate=0.1),
                         [(3, 4), (2,)], np.float32, ntensors=2)
    tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
                         mx.optimizer.SGD(learning_rate=0.1), (3,), np.float32,
                         compare_states=False)
    with pytest.raises(AssertionError):
        tu.compare_optimizer(mx.optimizer.SGD(learning_rate=0.1),
                             mx.optimizer.SGD(learning_rate=0.2), (3, 4), np.float32)


def test_same_symbol_structure():
    fc1 = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=3)
    fc2 = mx.sym.FullyConnected(mx.sym.var('y'), num_hidden=5, name='other')
    relu = mx.sym.relu(mx.sym.var('x'))
    assert tu.same_symbol_structure(fc1, fc2)
    assert not tu.same_symbol_structure(fc1, relu)
    assert tu.same_symbol_structure(mx.sym.Activation(mx.sym.var('x'), act_type='relu'),
                                    mx.sym.Activation(mx.sym.var('x'), act_type='tanh'))
    # MXNet 1.9.1 answers True here (it compares only the first graph's nodes)
    assert not tu.same_symbol_structure(relu, mx.sym.relu(relu))


def test_dummy_iter():
    real = mx.io.NDArrayIter(np.arange(12).reshape(6, 2), np.arange(6), batch_size=2)
    it = tu.DummyIter(real)
    assert it.batch_size == 2 and it.provide_label == real.provide_label
    batches = [b for _, b in zip(range(7), it)]
    assert len(batches) == 7 and all(b is it.the_batch for b in batches)
    it.reset()
    assert it.next().label[0].asnumpy().tolist() == [0, 1]


class _Scaled(mx.gluon.HybridBlock):
    def __init__(self, differ=False, **kwargs):
        super().__init__(**kwargs)
        self.differ = differ
        with self.name_scope():
            self.dense = mx.gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x):
        out = F.tanh(self.dense(x))
        # a block that computes something else once hybridized
        return out * 2 if self.differ and F is mx.sym else out


def test_hybridize_consistency():
    x = mx.nd.array(np.random.RandomState(0).uniform(size=(2, 4)))
    tu.check_gluon_hybridize_consistency(lambda prefix: _Scaled(prefix=prefix), [x])
    with pytest.raises(AssertionError, match='hybridized output'):
        tu.check_gluon_hybridize_consistency(
            lambda prefix: _Scaled(differ=True, prefix=prefix), [x])
    with pytest.raises(AssertionError, match='numpy_func'):
        tu.check_gluon_hybridize_consistency(lambda prefix: _Scaled(prefix=prefix), [x],
                                             numpy_func=lambda a: np.zeros((2, 3)))


def test_chi_square_and_moments():
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda q: 10 * q, 4)
    assert buckets == [(0.0, 2.5), (2.5, 5.0), (5.0, 7.5), (7.5, 10.0)]
    assert probs == [0.25] * 4
    # counts 983, 1014, 1003 of 3000: MXNet (scipy) gives p = 0.7811406935313764
    fixed = np.repeat([0, 1, 2], [983, 1014, 1003])
    p, observed, expected = tu.chi_square_check(lambda n: fixed, [0, 1, 2], [1 / 3] * 3,
                                                nsamples=3000)
    assert p == pytest.approx(0.7811406935313764, rel=1e-12)
    assert observed.tolist() == [983, 1014, 1003] and expected.tolist() == [1000] * 3
    # ranges: low <= x < high; samples outside every range are not counted
    p, observed, _ = tu.chi_square_check(lambda n: np.array([0.5, 1.5, 2.5, 3.5]),
                                         [(0, 1), (1, 2), (2, 3)], [1 / 3] * 3, nsamples=4)
    assert observed.tolist() == [1, 1, 1] and p == pytest.approx(1.0)
    skewed = np.repeat([0, 1, 2], [1020, 1045, 935])
    assert tu.chi_square_check(lambda n: skewed, [0, 1, 2], [0.1, 0.1, 0.8], 3000)[0] < 1e-12
    with pytest.raises(AssertionError, match='Generator test fails'):
        tu.verify_generator(lambda n: skewed, [0, 1, 2], [0.1, 0.1, 0.8], 3000, nrepeat=2)
    assert len(tu.verify_generator(lambda n: fixed, [0, 1, 2], [1 / 3] * 3, 3000,
                                   nrepeat=2)) == 2
    symmetric = np.array([-1.0, 1.0] * 5000)            # mean 0, variance ~1
    assert tu.mean_check(lambda n: symmetric, 0, 1, nsamples=10000)
    assert not tu.mean_check(lambda n: symmetric + 0.1, 0, 1, nsamples=10000)
    assert tu.var_check(lambda n: symmetric, 1, nsamples=10000)
    assert not tu.var_check(lambda n: 2 * symmetric, 1, nsamples=10000)


def test_flags_and_im2rec(monkeypatch, tmp_path):
    assert tu.is_op_runnable() and not tu.has_tvm_ops()
    monkeypatch.setenv('CD_JOB', '1')
    assert tu.is_cd_run()
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    with pytest.raises(IOError, match='im2rec'):
        tu.get_im2rec_path()
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools' / 'im2rec.py').write_text('')
    assert tu.get_im2rec_path() == str(tmp_path / 'tools' / 'im2rec.py')


def _idx_images(n):
    return struct.pack('>IIII', 2051, n, 28, 28) + (bytes(range(256)) * (n * 4))[:n * 784]


def _idx_labels(n):
    return struct.pack('>II', 2049, n) + bytes(i % 10 for i in range(n))


def _offline(url, *args, **kwargs):
    raise DownloadError(f'cannot reach {url}')


def test_downloads_fail_clearly_offline(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tu, 'download', _offline)
    for fetch, name in ((tu.get_mnist_ubyte, 'mnist.zip'), (tu.get_cifar10, 'cifar10.zip'),
                        (tu.get_mnist, 'train-labels-idx1-ubyte.gz'),
                        (tu.get_mnist_pkl, 'mnist.pkl.gz')):
        with pytest.raises(DownloadError, match=name.replace('.', r'\.') + '.*copy'):
            fetch()


def test_mnist_from_local_files(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tu, 'download', _offline)
    for name, blob in (('train-images-idx3-ubyte', _idx_images(20)),
                       ('train-labels-idx1-ubyte', _idx_labels(20)),
                       ('t10k-images-idx3-ubyte', _idx_images(10)),
                       ('t10k-labels-idx1-ubyte', _idx_labels(10))):
        with gzip.open(name + '.gz', 'wb') as f:
            f.write(blob)
    mnist = tu.get_mnist()
    assert mnist['train_data'].shape == (20, 1, 28, 28)
    assert mnist['train_data'].dtype == np.float32
    assert mnist['train_data'][0, 0, 0, :3].tolist() == pytest.approx([0, 1 / 255, 2 / 255])
    assert mnist['test_label'].dtype == np.int8 and mnist['test_label'].tolist() == \
        list(range(10))
    # the same files, unzipped, under data/ for get_mnist_iterator
    os.mkdir('data')
    for name in os.listdir('.'):
        if name.endswith('.gz'):
            with gzip.open(name) as src, open(os.path.join('data', name[:-3]), 'wb') as out:
                out.write(src.read())
    train, val = tu.get_mnist_iterator(4, (784,))
    assert train.provide_data[0].shape == (4, 784)
    # MXNet 1.9.1's batches for these files
    assert [b.label[0].asnumpy().tolist() for b in train] == \
        [[6, 2, 3, 5], [4, 8, 3, 9], [4, 7, 6, 8], [9, 0, 5, 2], [0, 7, 1, 1]]
    assert [b.label[0].asnumpy().tolist() for b in val] == [[0, 2, 3, 5], [9, 1, 6, 8]]
    train, val = tu.get_mnist_iterator(4, (1, 28, 28), num_parts=2, part_index=1)
    assert train.provide_data[0].shape == (4, 1, 28, 28)
    assert [b.label[0].asnumpy().tolist() for b in val] == [[5, 7, 8, 6]]


def test_cifar10_and_zip_data(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / 'source.zip'
    with zipfile.ZipFile(archive, 'w') as z:
        for name in ('train.rec', 'test.rec', 'train.lst', 'test.lst'):
            z.writestr('cifar/' + name, b'x')
    fetched = []

    def local_download(url, fname=None, dirname=None, overwrite=False, retries=5):
        fetched.append(url)
        target = os.path.join(dirname, url.split('/')[-1])
        with open(archive, 'rb') as src, open(target, 'wb') as out:
            out.write(src.read())
        return target
    monkeypatch.setattr(tu, 'download', local_download)
    tu.get_cifar10()
    assert sorted(os.listdir('data/cifar')) == ['test.lst', 'test.rec', 'train.lst', 'train.rec']
    tu.get_cifar10()                     # everything there: nothing downloaded again
    assert fetched == ['http://data.mxnet.io/mxnet/data/cifar10.zip']
    tu.get_zip_data('zipped', archive.as_uri(), 'copy.zip')
    assert os.path.isfile('zipped/cifar/train.rec')
