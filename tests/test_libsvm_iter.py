"""io.LibSVMIter (CSR batches from LibSVM files) and NDArrayIter over CSR data, with
the batches MXNet 1.9.1 gives for the same files."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError

DATA = '1.0 0:0.5 2:1.2\n-2.0\n-3.0 0:0.6 1:2.4 2:1.2\n4 2:-1.2\n'
LABELS = '1.0\n-2.0 0:0.125\n-3.0 2:1.2\n4 1:1.0 2:-1.2\n'


@pytest.fixture
def files(tmp_path):
    data, labels = tmp_path / 'data.t', tmp_path / 'label.t'
    data.write_text(DATA)
    labels.write_text(LABELS)
    return str(data), str(labels)


def test_batches_wrap_around_and_the_next_epoch_goes_on(files):
    it = mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), batch_size=3)
    assert it.provide_data[0].shape == (3, 3) and it.provide_label[0].shape == (3,)
    first, second = list(it)
    assert first.data[0].stype == 'csr'
    np.testing.assert_allclose(first.data[0].asnumpy(),
                               [[0.5, 0, 1.2], [0, 0, 0], [0.6, 2.4, 1.2]], rtol=1e-6)
    np.testing.assert_allclose(second.data[0].asnumpy(),
                               [[0, 0, -1.2], [0.5, 0, 1.2], [0, 0, 0]], rtol=1e-6)
    assert first.label[0].asnumpy().tolist() == [1, -2, -3]
    assert (second.index.tolist(), second.pad) == ([3, 0, 1], 2)
    second.data[0].check_format(True)
    epochs = []
    for _ in range(2):
        it.reset()
        epochs.append([(b.index.tolist(), b.pad) for b in it])
    assert epochs == [[([2, 3, 0], 1)], [([1, 2, 3], 0)]]      # as MXNet 1.9.1


def test_sparse_labels_and_parts(files):
    it = mx.io.LibSVMIter(data_libsvm=files[0], label_libsvm=files[1], data_shape=(3,),
                          label_shape=(3,), batch_size=3)
    label = next(it).label[0]
    assert label.stype == 'csr'
    np.testing.assert_allclose(label.asnumpy(), [[0, 0, 0], [0.125, 0, 0], [0, 0, 1.2]],
                               rtol=1e-6)
    # the second half of the bytes starts with the last line
    part = mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), batch_size=2,
                            num_parts=2, part_index=1)
    batch = next(part)
    assert batch.label[0].asnumpy().tolist() == [4, 4]
    first = mx.io.LibSVMIter(data_libsvm=files[0], data_shape=(3,), batch_size=3,
                             num_parts=2, part_index=0)
    assert next(first).label[0].asnumpy().tolist() == [1, -2, -3]


@pytest.mark.parametrize('kwargs, match', [
    (dict(data_shape=(2,)), 'outside'),
    (dict(round_batch=False), 'round_batch'),
    (dict(data_libsvm='/nonexistent.t'), 'No such file'),
    (dict(part_index=2, num_parts=2), 'part_index'),
])
def test_bad_input_is_refused(files, kwargs, match):
    args = dict(data_libsvm=files[0], data_shape=(3,), batch_size=2)
    args.update(kwargs)
    with pytest.raises(MXNetError, match=match):
        mx.io.LibSVMIter(**args)


def test_negative_and_unsorted_indices_are_refused(tmp_path):
    for line, match in (('1 -1:0.5\n', 'outside'), ('1 2:1 0:1\n', 'increase'),
                        ('1 a:b\n', 'label index:value')):
        path = tmp_path / 'bad.t'
        path.write_text(line)
        with pytest.raises(MXNetError, match=match):
            mx.io.LibSVMIter(data_libsvm=str(path), data_shape=(3,), batch_size=1)


def test_ndarray_iter_over_csr_data():
    np.random.seed(0)
    dense = (np.random.rand(7, 5) > 0.6) * np.arange(35.0).reshape(7, 5)
    csr = mx.nd.array(dense).tostype('csr')
    with pytest.raises(NotImplementedError, match='discard'):
        mx.io.NDArrayIter(csr, np.arange(7), batch_size=3)
    it = mx.io.NDArrayIter({'data': csr}, np.arange(7), batch_size=3,
                           last_batch_handle='discard')
    batches = list(it)
    assert len(batches) == 2 and batches[0].data[0].stype == 'csr'
    np.testing.assert_array_equal(batches[1].data[0].asnumpy(), dense[3:6])
    shuffled = mx.io.NDArrayIter({'data': csr}, np.arange(7), batch_size=7, shuffle=True,
                                 last_batch_handle='discard')
    batch = next(shuffled)
    order = batch.label[0].asnumpy().astype(int)
    assert sorted(order.tolist()) == list(range(7))
    np.testing.assert_array_equal(batch.data[0].asnumpy(), dense[order])
    sp = pytest.importorskip('scipy.sparse')
    from_scipy = mx.io.NDArrayIter(sp.csr_matrix(dense), None, batch_size=2,
                                   last_batch_handle='discard')
    np.testing.assert_array_equal(next(from_scipy).data[0].asnumpy(), dense[:2])
