"""mx.io: NDArrayIter, CSVIter, ResizeIter, PrefetchingIter.

Expected values were produced by MXNet 1.9.1 and are written out here."""
import gc
import threading

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


def _epochs(it, n, take=lambda b: b.data[0].asnumpy()[:, 0].tolist()):
    out = []
    for _ in range(n):
        out.append([(take(b), b.label[0].asnumpy().tolist() if b.label else None, b.pad)
                    for b in it])
        it.reset()
    return out


DATA = np.arange(20).reshape(10, 2)
LABEL = np.arange(10)


# ------------------------------------------------------------------ NDArrayIter
def test_pad_fills_from_the_beginning():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle='pad')
    epoch = [([0., 2., 4., 6.], [0., 1., 2., 3.], 0),
             ([8., 10., 12., 14.], [4., 5., 6., 7.], 0),
             ([16., 18., 0., 2.], [8., 9., 0., 1.], 2)]
    assert _epochs(it, 3) == [epoch] * 3


def test_discard_drops_the_last_batch():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle='discard')
    epoch = [([0., 2., 4., 6.], [0., 1., 2., 3.], 0),
             ([8., 10., 12., 14.], [4., 5., 6., 7.], 0)]
    assert _epochs(it, 3) == [epoch] * 3


def test_roll_over_carries_the_rest_into_the_next_epoch():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle='roll_over')
    got = _epochs(it, 3)
    assert got[0] == [([0., 2., 4., 6.], [0., 1., 2., 3.], 0),
                      ([8., 10., 12., 14.], [4., 5., 6., 7.], 0)]
    # MXNet reports the number of carried-over examples as the pad
    assert got[1] == [([16., 18., 0., 2.], [8., 9., 0., 1.], 2),
                      ([4., 6., 8., 10.], [2., 3., 4., 5.], 0),
                      ([12., 14., 16., 18.], [6., 7., 8., 9.], 0)]
    assert got[2] == got[0]


def test_roll_over_hard_reset_forgets_the_rest():
    it = mx.io.NDArrayIter(np.arange(10), batch_size=3, last_batch_handle='roll_over')
    first = [b.data[0].asnumpy().tolist() for b in it]
    it.hard_reset()
    assert [b.data[0].asnumpy().tolist() for b in it] == first == \
        [[0., 1., 2.], [3., 4., 5.], [6., 7., 8.]]


def test_pad_with_a_batch_larger_than_the_data_repeats_it():
    it = mx.io.NDArrayIter(np.arange(3), np.arange(3), batch_size=8)
    (b,) = list(it)
    assert b.data[0].asnumpy().tolist() == [0., 1., 2., 0., 1., 2., 0., 1.]
    assert b.pad == 5


def test_names_dtypes_and_descriptions():
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=4)
    assert repr(it.provide_data) == \
        "[DataDesc[data,(4, 2),<class 'numpy.float32'>,NCHW]]"
    assert repr(it.provide_label) == \
        "[DataDesc[softmax_label,(4,),<class 'numpy.float32'>,NCHW]]"
    # numpy becomes float32; an NDArray keeps its dtype
    assert it.next().data[0].dtype == np.float32
    it = mx.io.NDArrayIter(mx.nd.arange(6).reshape((3, 2)).astype('int32'), batch_size=2)
    b = it.next()
    assert b.data[0].dtype == np.int32 and b.label == [] and it.provide_label == []
    assert b.index is None
    it = mx.io.NDArrayIter([np.zeros((5, 2)), np.ones((5, 3))], [np.zeros(5)], batch_size=2)
    assert [(d.name, d.shape) for d in it.provide_data] == [('_0_data', (2, 2)),
                                                           ('_1_data', (2, 3))]
    assert [d.name for d in it.provide_label] == ['softmax_label']
    # a dict is sorted by name
    it = mx.io.NDArrayIter({'b': np.zeros((5, 2)), 'a': np.ones((5, 3))},
                           {'lab': np.zeros(5)}, batch_size=2)
    assert [d.name for d in it.provide_data] == ['a', 'b']
    assert [d.name for d in it.provide_label] == ['lab']
    it = mx.io.NDArrayIter(DATA, batch_size=3, data_name='x', label_name='y')
    assert it.provide_data[0].name == 'x'


def test_low_level_protocol():
    it = mx.io.NDArrayIter(np.arange(10), batch_size=3)
    assert it.iter_next()
    assert it.getdata()[0].asnumpy().tolist() == [0., 1., 2.]
    assert it.getpad() == 0 and it.getindex() is None and it.getlabel() == []


def test_shuffle_follows_numpy_seed():
    np.random.seed(3)
    a = [b.data[0].asnumpy().tolist() for b in
         mx.io.NDArrayIter(np.arange(10), batch_size=5, shuffle=True)]
    np.random.seed(3)
    b = [b.data[0].asnumpy().tolist() for b in
         mx.io.NDArrayIter(np.arange(10), batch_size=5, shuffle=True)]
    assert a == b and sorted(a[0] + a[1]) == list(map(float, range(10)))


def test_data_and_label_lengths_must_agree():
    with pytest.raises(MXNetError, match='same number of examples'):
        mx.io.NDArrayIter(np.zeros((10, 2)), np.zeros(7), batch_size=4)
    with pytest.raises(MXNetError, match='same number of examples'):
        mx.io.NDArrayIter([np.zeros((10, 2)), np.zeros((9, 2))], batch_size=4)


def test_bad_arguments():
    with pytest.raises(AssertionError):
        mx.io.NDArrayIter(None)
    with pytest.raises(TypeError, match='Input must be NDArray'):
        mx.io.NDArrayIter('abc')
    with pytest.raises(ValueError, match='last_batch_handle'):
        mx.io.NDArrayIter(np.zeros((4, 2)), last_batch_handle='foo')


def test_data_desc_and_batch():
    assert repr(mx.io.DataDesc('x', (2, 3))) == \
        "DataDesc[x,(2, 3),<class 'numpy.float32'>,NCHW]"
    d = mx.io.DataDesc.get_list([('a', (1, 2))], [('a', np.int32)])[0]
    assert d.dtype is np.int32 and d == ('a', (1, 2))
    assert mx.io.DataDesc.get_batch_axis('TNC') == 1
    assert mx.io.DataDesc.get_batch_axis(None) == 0
    b = mx.io.DataBatch([mx.nd.zeros((2, 3))], [mx.nd.zeros(2)])
    assert str(b) == 'DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]'
    with pytest.raises(AssertionError):
        mx.io.DataBatch(mx.nd.zeros((2, 3)))


# ------------------------------------------------------------------ CSVIter
@pytest.fixture
def csv_files(tmp_path):
    d, lab = tmp_path / 'd.csv', tmp_path / 'l.csv'
    np.savetxt(d, np.arange(30).reshape(10, 3), delimiter=',', fmt='%g')
    np.savetxt(lab, np.arange(10).reshape(10, 1), delimiter=',', fmt='%g')
    return str(d), str(lab)


def _labels(it, epochs):
    out = []
    for _ in range(epochs):
        out.append([(b.label[0].asnumpy().astype(int).tolist(), b.pad) for b in it])
        it.reset()
    return out


def test_csv_round_batch_wraps_and_continues(csv_files):
    d, lab = csv_files
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=lab, batch_size=3)
    assert _labels(it, 4) == [
        [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0), ([9, 0, 1], 2)],
        [([2, 3, 4], 0), ([5, 6, 7], 0), ([8, 9, 0], 1)],
        [([1, 2, 3], 0), ([4, 5, 6], 0), ([7, 8, 9], 0)],
        [([0, 1, 2], 0), ([3, 4, 5], 0), ([6, 7, 8], 0), ([9, 0, 1], 2)]]
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=lab, batch_size=12)
    assert _labels(it, 2) == [[([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], 2)],
                              [([2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3], 4)]]


def test_csv_without_round_batch_keeps_the_old_tail(csv_files):
    d, lab = csv_files
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=lab, batch_size=7,
                       round_batch=False)
    assert _labels(it, 2) == [[([0, 1, 2, 3, 4, 5, 6], 0), ([7, 8, 9, 3, 4, 5, 6], 4)]] * 2


def test_csv_shapes_index_dtype(csv_files, tmp_path):
    d, lab = csv_files
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), label_csv=lab, batch_size=4)
    assert repr(it.provide_data) == "[DataDesc[data,(4, 3),<class 'numpy.float32'>,NCHW]]"
    assert repr(it.provide_label) == \
        "[DataDesc[softmax_label,(4,),<class 'numpy.float32'>,NCHW]]"
    b = it.next()
    assert b.data[0].asnumpy()[:, 0].tolist() == [0., 3., 6., 9.]
    assert b.index.dtype == np.uint64 and b.index.tolist() == [0, 1, 2, 3]
    # no label file: zero labels
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), batch_size=5)
    assert it.next().label[0].asnumpy().tolist() == [0.] * 5
    l2 = tmp_path / 'l2.csv'
    np.savetxt(l2, np.arange(20).reshape(10, 2), delimiter=',', fmt='%g')
    it = mx.io.CSVIter(data_csv=d, data_shape=(1, 3), label_csv=str(l2), label_shape=(2,),
                       batch_size=5)
    assert it.provide_data[0].shape == (5, 1, 3) and it.provide_label[0].shape == (5, 2)
    assert it.next().label[0].asnumpy()[1].tolist() == [2., 3.]
    it = mx.io.CSVIter(data_csv=d, data_shape=(3,), batch_size=4, dtype='int32')
    assert it.next().data[0].dtype == np.int32


def test_csv_errors(csv_files):
    d, _ = csv_files
    with pytest.raises(MXNetError, match='do not match size of shape'):
        mx.io.CSVIter(data_csv=d, data_shape=(4,), batch_size=5)
    with pytest.raises(MXNetError, match='No such file'):
        mx.io.CSVIter(data_csv=d + '.missing', data_shape=(3,), batch_size=5)
    with pytest.raises(TypeError):
        mx.io.CSVIter(d, (3,), batch_size=5)   # keyword arguments only, as in MXNet


# ------------------------------------------------------------------ wrappers
def test_resize_iter():
    base = mx.io.NDArrayIter(np.arange(10), batch_size=4, last_batch_handle='discard')
    it = mx.io.ResizeIter(base, 5)
    got = [b.data[0].asnumpy().tolist()[0] for b in it]
    assert got == [0., 4., 0., 4., 0.]   # restarts the inner iterator when it runs out
    it.reset()
    assert len(list(it)) == 5
    it = mx.io.ResizeIter(mx.io.NDArrayIter(np.arange(10), batch_size=2), 2,
                          reset_internal=False)
    list(it)
    it.reset()
    assert [b.data[0].asnumpy()[0] for b in it] == [4., 6.]
    assert it.batch_size == 2 and it.provide_data[0].shape == (2,)


def test_prefetching_iter_joins_and_renames():
    a = mx.io.NDArrayIter(np.arange(10), np.arange(10), batch_size=4)
    b = mx.io.NDArrayIter(np.arange(10) * 2, np.arange(10), batch_size=4)
    with mx.io.PrefetchingIter([a, b], rename_data=[{'data': 'x'}, {'data': 'y'}],
                               rename_label=[{'softmax_label': 'l1'},
                                             {'softmax_label': 'l2'}]) as it:
        assert [d.name for d in it.provide_data] == ['x', 'y']
        assert [d.name for d in it.provide_label] == ['l1', 'l2']
        assert it.batch_size == 4
        for _ in range(2):
            batches = list(it)
            assert [bt.pad for bt in batches] == [0, 0, 2]
            assert batches[2].data[1].asnumpy().tolist() == [16., 18., 0., 2.]
            assert len(batches[0].label) == 2
            it.reset()


def test_prefetching_iter_threads_end():
    before = threading.active_count()
    it = mx.io.PrefetchingIter(mx.io.NDArrayIter(np.arange(100), batch_size=5))
    it.next()
    it.close()
    assert threading.active_count() == before
    with pytest.raises(MXNetError, match='closed'):
        it.next()
    # dropped half-way through an epoch: garbage collection stops the thread
    it = mx.io.PrefetchingIter(mx.io.NDArrayIter(np.arange(100), batch_size=5))
    it.next()
    del it
    gc.collect()
    assert threading.active_count() == before


def test_prefetching_iter_passes_errors_on():
    class Broken(mx.io.DataIter):
        provide_data = [mx.io.DataDesc('data', (2,))]
        provide_label = []

        def next(self):
            raise OSError('disk gone')

    with mx.io.PrefetchingIter(Broken()) as it:
        with pytest.raises(OSError, match='disk gone'):
            it.next()
