"""gluon.data: datasets, samplers, the DataLoader (with worker processes), the vision
datasets and transforms. Expected values noted "MXNet" were produced by MXNet 1.9.1."""
import gc
import gzip
import inspect
import multiprocessing
import os
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.download import DownloadError
from d2lmini.gluon import data as gdata
from d2lmini.gluon.data import (ArrayDataset, BatchSampler, DataLoader, Dataset,
                                FilterSampler, RandomSampler, SequentialSampler,
                                SimpleDataset, default_batchify_fn)
from d2lmini.gluon.data import dataloader as dataloader_module, vision
from d2lmini.gluon.data.vision import datasets as vdatasets, transforms as T

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def as_lists(loader):
    """Every batch of ``loader`` as numpy, field by field."""
    out = []
    for batch in loader:
        fields = batch if isinstance(batch, list) else [batch]
        out.append([f.asnumpy() for f in fields])
    return out


def assert_same_batches(a, b):
    assert len(a) == len(b)
    for fa, fb in zip(a, b):
        assert len(fa) == len(fb)
        for x, y in zip(fa, fb):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------ datasets
class Range(Dataset):
    """0, 1, ..., n-1, counting how often an example is read."""

    def __init__(self, n):
        self.n, self.reads = n, 0

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        self.reads += 1
        return i

    def __len__(self):
        return self.n


def test_simple_dataset_wraps_a_list():
    ds = SimpleDataset(['a', 'b', 'c'])
    assert len(ds) == 3 and ds[1] == 'b' and list(ds) == ['a', 'b', 'c']


def test_transform_is_lazy_by_default_and_eager_on_request():
    base = Range(4)
    lazy = base.transform(lambda x: x * 10)
    assert base.reads == 0
    assert lazy[3] == 30 and lazy[3] == 30 and base.reads == 2  # read again each time
    eager = Range(4)
    done = eager.transform(lambda x: x * 10, lazy=False)
    assert eager.reads == 4 and isinstance(done, SimpleDataset)
    assert [done[i] for i in range(4)] == [0, 10, 20, 30] and eager.reads == 4


def test_transform_unpacks_tuples_and_transform_first_keeps_the_rest():
    ds = ArrayDataset([1, 2], ['x', 'y'])
    assert ds.transform(lambda a, b: b * a)[1] == 'yy'
    assert ds.transform_first(lambda a: a + 100)[0] == (101, 'x')
    assert SimpleDataset([1, 2]).transform_first(lambda a: -a)[1] == -2


def test_filter_take_shard_and_sample():
    ds = SimpleDataset(list(range(10)))
    assert list(ds.filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    assert list(ds.take(3)) == [0, 1, 2] and len(ds.take(None)) == 10
    assert len(ds.take(50)) == 10
    shards = [list(ds.shard(3, i)) for i in range(3)]
    assert shards == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(ValueError, match='shard index'):
        ds.shard(3, 3)
    assert list(ds.sample(SequentialSampler(2, start=5))) == [5, 6]
    with pytest.raises(TypeError, match='Invalid sampler type'):
        ds.sample([1, 2])


def test_array_dataset_reads_arrays_in_step():
    X = mx.nd.array(np.arange(6).reshape(3, 2))
    y = mx.nd.array([7, 8, 9])
    ds = ArrayDataset(X, y, ['a', 'b', 'c'])
    x1, y1, s1 = ds[1]
    assert isinstance(x1, mx.nd.NDArray) and x1.asnumpy().tolist() == [2, 3]
    # a 1-D NDArray is kept as numpy, as in MXNet: its examples are float32 scalars
    assert isinstance(y1, np.float32) and y1 == 8 and s1 == 'b'
    assert len(ds) == 3
    single = ArrayDataset(np.arange(4))
    assert single[2] == 2 and not isinstance(single[2], tuple)


def test_array_dataset_checks_lengths():
    with pytest.raises(ValueError, match=r'array\[0\] has length 3 while array\[1\] has 2'):
        ArrayDataset([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match='at least 1'):
        ArrayDataset()


# ------------------------------------------------------------------ samplers
def test_sequential_sampler():
    assert list(SequentialSampler(3)) == [0, 1, 2]
    assert list(SequentialSampler(3, start=4)) == [4, 5, 6]
    assert len(SequentialSampler(3, start=4)) == 3


def test_random_sampler_matches_mxnet_after_np_random_seed():
    np.random.seed(1)
    first = list(RandomSampler(6))
    assert first == [2, 1, 4, 0, 3, 5]  # MXNet after np.random.seed(1)
    second = list(RandomSampler(6))
    assert sorted(second) == list(range(6)) and second != first
    assert all(type(i) is int for i in first)


def test_filter_sampler():
    sampler = FilterSampler(lambda x: x > 'b', ['a', 'c', 'b', 'd'])
    assert list(sampler) == [1, 3] and len(sampler) == 2


@pytest.mark.parametrize('last_batch, batches', [
    ('keep', [[0, 1, 2], [3, 4, 5], [6]]),
    ('discard', [[0, 1, 2], [3, 4, 5]]),
])
def test_batch_sampler_keep_and_discard(last_batch, batches):
    sampler = BatchSampler(SequentialSampler(7), 3, last_batch)
    assert list(sampler) == batches and len(sampler) == len(batches)
    assert list(sampler) == batches  # the same on every pass


def test_batch_sampler_rollover_carries_the_rest_into_the_next_pass():
    sampler = BatchSampler(SequentialSampler(7), 3, 'rollover')
    assert len(sampler) == 2
    assert list(sampler) == [[0, 1, 2], [3, 4, 5]]
    assert len(sampler) == 2  # (1 left over + 7) // 3
    assert list(sampler) == [[6, 0, 1], [2, 3, 4]]
    assert len(sampler) == 3  # (2 left over + 7) // 3
    assert list(sampler) == [[5, 6, 0], [1, 2, 3], [4, 5, 6]]


def test_batch_sampler_checks_its_arguments():
    with pytest.raises(ValueError, match="last_batch must be one of 'keep', 'discard', or "
                                         "'rollover', but got last"):
        BatchSampler(SequentialSampler(4), 2, 'last')
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match='batch_size must be a positive integer'):
            BatchSampler(SequentialSampler(4), bad)


# ------------------------------------------------------------------ batchify
def batch_of(dataset, batch_size=2):
    return next(iter(DataLoader(dataset, batch_size)))


@pytest.mark.parametrize('dataset, dtypes', [
    # the dtypes MXNet's default_batchify_fn gives (checked with MXNet 1.9.1)
    (lambda: ArrayDataset([1.5, 2.5, 3.5], [1, 2, 3]), ('float64', 'int64')),
    (lambda: ArrayDataset(np.ones((3, 2)), np.arange(3)), ('float64', 'int64')),
    (lambda: ArrayDataset(np.ones((3, 2), 'float32'), np.arange(3, dtype='int32')),
     ('float32', 'int32')),
    (lambda: ArrayDataset(mx.nd.ones((3, 2)), mx.nd.array([0, 1, 2])), ('float32', 'float32')),
    (lambda: ArrayDataset(mx.nd.ones((3, 2), dtype='uint8'),
                          mx.nd.array([0, 1, 2], dtype='int32')), ('uint8', 'int32')),
    (lambda: [np.float32(1), np.float32(2)], ('float32',)),
    (lambda: [True, False], ('bool',)),
])
def test_default_batchify_keeps_dtypes_as_mxnet(dataset, dtypes):
    batch = batch_of(dataset())
    fields = batch if isinstance(batch, list) else [batch]
    assert all(isinstance(f, mx.nd.NDArray) for f in fields)
    assert tuple(f.dtype.__name__ if f.dtype is not np.bool_ else 'bool'
                 for f in fields) == dtypes


def test_default_batchify_stacks_fields():
    X, y = default_batchify_fn([(mx.nd.ones((2, 3)), 4), (mx.nd.zeros((2, 3)), 5)])
    assert X.shape == (2, 2, 3) and X.asnumpy()[0].sum() == 6 and X.asnumpy()[1].sum() == 0
    assert y.asnumpy().tolist() == [4, 5]
    nested = default_batchify_fn([(1, (2., 3)), (4, (5., 6))])
    assert nested[0].asnumpy().tolist() == [1, 4]
    assert [f.asnumpy().tolist() for f in nested[1]] == [[2, 5], [3, 6]]


def test_default_batchify_explains_what_it_cannot_stack():
    with pytest.raises(MXNetError, match=r'cannot stack examples of shapes \[2\], \[3\]'):
        default_batchify_fn([np.ones(2), np.ones(3)])
    with pytest.raises(MXNetError, match='cannot be stacked into an NDArray'):
        default_batchify_fn(['cat', 'dog'])


# ------------------------------------------------------------------ DataLoader
def test_dataloader_batches_in_order():
    ds = ArrayDataset(np.arange(10, dtype='float32').reshape(5, 2), np.arange(5, dtype='int32'))
    loader = DataLoader(ds, batch_size=2)
    batches = as_lists(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[0][0].tolist() == [[0, 1], [2, 3]] and batches[2][1].tolist() == [4]
    assert as_lists(DataLoader(ds, 2, last_batch='discard'))[-1][1].tolist() == [2, 3]
    assert len(DataLoader(ds, 2, last_batch='discard')) == 2


def test_dataloader_argument_checks_match_mxnet():
    ds = list(range(4))
    with pytest.raises(ValueError, match='batch_size must be specified unless batch_sampler '
                                         'is specified'):
        DataLoader(ds)
    with pytest.raises(ValueError, match='shuffle must not be specified if sampler is '
                                         'specified'):
        DataLoader(ds, 2, shuffle=True, sampler=SequentialSampler(4))
    bs = BatchSampler(SequentialSampler(4), 2)
    for kwargs in ({'batch_size': 2}, {'shuffle': True}, {'sampler': SequentialSampler(4)},
                   {'last_batch': 'keep'}):
        with pytest.raises(ValueError, match='batch_size, shuffle, sampler and last_batch '
                                             'must not be specified if batch_sampler is '
                                             'specified.'):
            DataLoader(ds, batch_sampler=bs, **kwargs)
    with pytest.raises(ValueError, match='timeout must be positive, given 0'):
        DataLoader(ds, 2, timeout=0)


def test_dataloader_takes_a_sampler_a_batch_sampler_and_a_batchify_fn():
    ds = list(range(6))
    by_sampler = as_lists(DataLoader(ds, 2, sampler=SequentialSampler(4, start=2)))
    assert [b[0].tolist() for b in by_sampler] == [[2, 3], [4, 5]]
    bs = BatchSampler(SequentialSampler(6), 4, 'discard')
    assert [b[0].tolist() for b in as_lists(DataLoader(ds, batch_sampler=bs))] == [[0, 1, 2, 3]]
    assert list(DataLoader(ds, 4, batchify_fn=sum)) == [6, 9]


def test_dataloader_rollover_over_epochs():
    loader = DataLoader(list(range(5)), 2, last_batch='rollover')
    assert [b.asnumpy().tolist() for b in loader] == [[0, 1], [2, 3]]
    assert [b.asnumpy().tolist() for b in loader] == [[4, 0], [1, 2], [3, 4]]


def test_shuffle_is_reproducible_with_np_random_seed():
    def epoch():
        return [b.asnumpy().tolist() for b in DataLoader(list(range(6)), 3, shuffle=True)]
    np.random.seed(1)
    first = epoch()
    assert first == [[2, 1, 4], [0, 3, 5]]  # MXNet after np.random.seed(1)
    np.random.seed(1)
    assert epoch() == first
    assert sorted(sum(epoch(), [])) == list(range(6))


def test_shuffle_is_reproducible_with_mx_random_seed():
    def epoch():
        return [b.asnumpy().tolist() for b in DataLoader(list(range(20)), 5, shuffle=True)]
    mx.random.seed(3)
    first = epoch()
    mx.random.seed(3)
    assert epoch() == first
    mx.random.seed(4)
    assert epoch() != first


# ------------------------------------------------------------------ worker processes
class Squares(Dataset):
    """(x, x * x) pairs as float32 NDArray and int32, built slowly enough that
    workers finish out of order now and then."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if i % 7 == 3:
            time.sleep(0.002)
        return mx.nd.array([i, i + 0.5]), np.int32(i * i)

    def __len__(self):
        return self.n


class Faulty(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f'example {i} is broken')
        return np.float32(i)


class PickyError(Exception):
    """An exception whose constructor needs two arguments (cannot be rebuilt from a
    message) and which carries something that cannot be pickled."""

    def __init__(self, what, lock):
        super().__init__(what)
        self.lock = lock


class Picky(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        import threading
        raise PickyError('picky', threading.Lock())


class Sleepy(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(5)
        return i


def test_workers_give_the_same_batches_as_the_main_process():
    ds = Squares(23)
    expected = as_lists(DataLoader(ds, 4))
    with DataLoader(ds, 4, num_workers=2) as loader:
        got = as_lists(loader)
        assert_same_batches(got, expected)
        assert all(isinstance(b, mx.nd.NDArray) for batch in loader for b in batch)
        assert len(loader) == len(expected)


def test_workers_follow_the_shuffled_order_of_the_main_process():
    ds = Squares(23)
    np.random.seed(7)
    expected = as_lists(DataLoader(ds, 3, shuffle=True, last_batch='discard'))
    np.random.seed(7)
    with DataLoader(ds, 3, shuffle=True, last_batch='discard', num_workers=2,
                    prefetch=1) as loader:
        assert_same_batches(as_lists(loader), expected)


def worker_processes(loader):
    return [w for workers in loader._idle for w in workers.workers]


def test_workers_are_kept_between_epochs_and_stopped_by_close():
    loader = DataLoader(Squares(10), 3, num_workers=2)
    as_lists(loader)
    workers = worker_processes(loader)
    assert len(workers) == 2 and all(p.is_alive() for p in workers)
    as_lists(loader)
    assert worker_processes(loader) == workers  # the same processes serve every epoch
    loader.close()
    assert all(not p.is_alive() for p in workers) and worker_processes(loader) == []
    assert len(as_lists(loader)) == 4  # a new pass starts new workers
    workers = worker_processes(loader)
    del loader
    gc.collect()
    assert all(not p.is_alive() for p in workers)


def test_a_pass_left_early_returns_its_workers_ready_for_the_next():
    ds = Squares(40)
    loader = DataLoader(ds, 2, num_workers=2, prefetch=2)
    first = next(iter(loader))  # the d2l way to peek at one batch
    assert first[0].shape == (2, 2)
    workers = worker_processes(loader)
    assert len(workers) == 2
    for _ in loader:
        break
    assert_same_batches(as_lists(loader), as_lists(DataLoader(ds, 2)))  # no stale batches
    assert worker_processes(loader) == workers
    loader.close()
    assert all(not p.is_alive() for p in workers)


def test_two_passes_at_once_get_their_own_workers():
    ds = Squares(9)
    expected = as_lists(DataLoader(ds, 3))
    with DataLoader(ds, 3, num_workers=1) as loader:
        pairs = [(a[1].asnumpy(), b[1].asnumpy()) for a, b in zip(loader, loader)]
        assert len(loader._idle) == 2
    for (a, b), batch in zip(pairs, expected):
        np.testing.assert_array_equal(a, batch[1])
        np.testing.assert_array_equal(b, batch[1])


class FirstFast(Dataset):
    """Example 0 at once, the others only after a long time."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i:
            time.sleep(30)
        return np.float32(i)


def test_a_pass_left_while_a_worker_is_busy_stops_that_worker(monkeypatch):
    monkeypatch.setattr(dataloader_module, '_DRAIN_WAIT', 0.05)
    loader = DataLoader(FirstFast(), 1, num_workers=1)
    it = iter(loader)
    assert next(it).asnumpy().tolist() == [0]  # the worker now builds batch 1
    process, = [w for w in it.gi_frame.f_locals['workers'].workers]
    it.close()
    assert not process.is_alive() and loader._idle == []


def test_worker_exception_reaches_the_main_process_with_its_traceback():
    with DataLoader(Faulty(), 2, num_workers=2) as loader:
        with pytest.raises(ValueError) as info:
            as_lists(loader)
    message = str(info.value)
    assert 'Caught ValueError in DataLoader worker process' in message
    assert 'Traceback (most recent call last)' in message
    assert 'example 5 is broken' in message and 'in __getitem__' in message


def test_worker_exception_that_cannot_travel_becomes_runtime_error():
    with DataLoader(Picky(), 2, num_workers=1) as loader:
        with pytest.raises(RuntimeError, match='Caught PickyError in DataLoader worker') as info:
            as_lists(loader)
    assert 'picky' in str(info.value)


def test_key_error_from_a_worker_keeps_its_line_breaks():
    with DataLoader({0: 1.0}, 1, sampler=SequentialSampler(2), num_workers=1) as loader:
        with pytest.raises(KeyError) as info:
            as_lists(loader)
    assert '\nTraceback (most recent call last)' in str(info.value)


class Fatal(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            os._exit(3)  # the process ends at once, as when the system kills it
        return np.float32(i)


def test_a_worker_that_dies_is_reported():
    with DataLoader(Fatal(), 1, num_workers=1) as loader:
        with pytest.raises(RuntimeError, match='worker process .* died unexpectedly '
                                               r'\(exit code 3'):
            as_lists(loader)
        assert loader._idle == []  # the workers of a failed pass are not reused
        assert len(as_lists(DataLoader(Fatal(), 2, sampler=SequentialSampler(2),
                                       num_workers=1))) == 1


def test_slow_worker_times_out_with_advice():
    with DataLoader(Sleepy(), 1, num_workers=1, timeout=0.2) as loader:
        with pytest.raises(multiprocessing.TimeoutError, match='raise `timeout`'):
            as_lists(loader)


def test_lambdas_and_custom_batchify_work_in_forked_workers():
    if 'fork' not in multiprocessing.get_all_start_methods():
        pytest.skip('no fork on this platform')
    ds = ArrayDataset(np.arange(6, dtype='float32')).transform(lambda x: x * 2)
    with DataLoader(ds, 4, num_workers=2) as loader:
        assert [b.asnumpy().tolist() for b in loader] == [[0, 2, 4, 6], [8, 10]]
    with DataLoader(ds, 4, num_workers=2, batchify_fn=lambda s: mx.nd.array(s) + 1) as loader:
        batches = list(loader)
    assert isinstance(batches[0], mx.nd.NDArray)
    assert [b.asnumpy().tolist() for b in batches] == [[1, 3, 5, 7], [9, 11]]


def test_thread_pool_workers():
    ds = Squares(11)
    with DataLoader(ds, 3, num_workers=2, thread_pool=True) as loader:
        assert_same_batches(as_lists(loader), as_lists(DataLoader(ds, 3)))
    with DataLoader(Faulty(), 4, num_workers=2, thread_pool=True) as loader:
        with pytest.raises(ValueError, match='Caught ValueError in DataLoader worker thread'):
            as_lists(loader)


SPAWN_SCRIPT = '''
import multiprocessing, sys
import numpy as np
import d2lmini as mx
from d2lmini.gluon.data import ArrayDataset, DataLoader, Dataset


class Doubled(Dataset):
    def __init__(self, n):
        self.x = np.arange(n, dtype='float32')

    def __getitem__(self, i):
        if self.x[i] == 13:
            raise ZeroDivisionError('thirteen')
        return mx.nd.array([self.x[i] * 2]), np.int32(i)

    def __len__(self):
        return len(self.x)


def batches(loader):
    return [[f.asnumpy().tolist() for f in b] for b in loader]


if __name__ == '__main__':
    multiprocessing.set_start_method(sys.argv[1])
    ds = Doubled(12)
    loader = DataLoader(ds, 5, num_workers=2)
    assert batches(loader) == batches(DataLoader(ds, 5)), 'wrong batches'
    assert batches(loader) == batches(DataLoader(ds, 5)), 'wrong second epoch'
    try:
        batches(DataLoader(Doubled(16), 4, num_workers=2))
        raise SystemExit('no error')
    except ZeroDivisionError as e:
        assert 'thirteen' in str(e) and 'Traceback' in str(e), str(e)
    try:
        list(DataLoader(ArrayDataset([1, 2]).transform(lambda x: x), 1, num_workers=1))
        if sys.argv[1] == 'spawn':
            raise SystemExit('a lambda was pickled')
    except Exception as e:
        assert 'module level' in str(e), str(e)
    print('ok')
    # the loader is left open on purpose: the workers must still end with the program
'''


@pytest.mark.parametrize('method', ['spawn', 'fork'])
def test_workers_under_each_start_method_in_a_fresh_interpreter(tmp_path, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f'{method} is not available here')
    script = tmp_path / 'spawned.py'
    script.write_text(SPAWN_SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, str(script), method], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok'
    assert result.stderr == ''  # no warnings, no traceback from a worker at exit


# ------------------------------------------------------------------ IDX files and MNIST
IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path, array):
    """``array`` as an IDX file: magic, big-endian dimensions, big-endian data."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    body = array.astype(array.dtype.newbyteorder('>')).tobytes()
    opener = gzip.open if str(path).endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(header + body)


@pytest.mark.parametrize('dtype', [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
def test_read_idx_round_trip(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    for name in ('a.idx', 'a.idx.gz'):
        write_idx(tmp_path / name, array)
        got = vdatasets._read_idx(str(tmp_path / name))
        assert got.dtype == np.dtype(dtype) and got.dtype.isnative
        np.testing.assert_array_equal(got, array)


def test_read_idx_rejects_damaged_files(tmp_path):
    bad = tmp_path / 'bad.gz'
    with gzip.open(bad, 'wb') as f:
        f.write(b'<html>not found</html>')
    with pytest.raises(ValueError, match='not an IDX file'):
        vdatasets._read_idx(str(bad))
    short = tmp_path / 'short.idx'
    write_idx(short, np.zeros((3, 4), np.uint8))
    short.write_bytes(short.read_bytes()[:-2])
    with pytest.raises(ValueError, match='truncated'):
        vdatasets._read_idx(str(short))


def fake_mnist_files(folder, n_train=5, n_test=3):
    """Tiny MNIST-format files in ``folder``; returns {file name: SHA-1}."""
    import hashlib
    os.makedirs(folder, exist_ok=True)
    rng = np.random.RandomState(0)
    arrays = {
        'train-images-idx3-ubyte.gz': rng.randint(0, 256, (n_train, 28, 28)).astype(np.uint8),
        'train-labels-idx1-ubyte.gz': np.arange(n_train, dtype=np.uint8) % 10,
        't10k-images-idx3-ubyte.gz': rng.randint(0, 256, (n_test, 28, 28)).astype(np.uint8),
        't10k-labels-idx1-ubyte.gz': np.arange(n_test, dtype=np.uint8) + 7,
    }
    sums = {}
    for name, array in arrays.items():
        write_idx(os.path.join(folder, name), array)
        with open(os.path.join(folder, name), 'rb') as f:
            sums[name] = hashlib.sha1(f.read()).hexdigest()
    return arrays, sums


def mnist_class(base, sums):
    """``base`` (MNIST or FashionMNIST) expecting the checksums of our tiny files."""
    return type('Tiny' + base.__name__, (base,), {
        attr: (getattr(base, attr)[0], sums[getattr(base, attr)[0]])
        for attr in ('_train_data', '_train_label', '_test_data', '_test_label')})


def test_mnist_reads_files_already_in_root(tmp_path, monkeypatch):
    arrays, sums = fake_mnist_files(tmp_path / 'root')
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://127.0.0.1:9/nowhere/')  # never reached
    train = mnist_class(vision.MNIST, sums)(root=str(tmp_path / 'root'))
    assert len(train) == 5
    image, label = train[2]
    assert isinstance(image, mx.nd.NDArray) and image.shape == (28, 28, 1)
    assert image.dtype == np.uint8 and isinstance(label, np.int32) and label == 2
    np.testing.assert_array_equal(image.asnumpy()[..., 0],
                                  arrays['train-images-idx3-ubyte.gz'][2])
    test = mnist_class(vision.MNIST, sums)(root=str(tmp_path / 'root'), train=False,
                                           transform=lambda x, y: (x.shape, int(y) * 2))
    assert len(test) == 3 and test[1] == ((28, 28, 1), 16)


def test_fashion_mnist_downloads_from_its_namespace_into_root(tmp_path, monkeypatch):
    repo = tmp_path / 'repo'
    arrays, sums = fake_mnist_files(repo / 'gluon' / 'dataset' / 'fashion-mnist')
    monkeypatch.setenv('MXNET_GLUON_REPO', (repo.as_uri()))  # no trailing '/': added
    root = tmp_path / 'cache' / 'fm'
    ds = mnist_class(vision.FashionMNIST, sums)(root=str(root), train=False)
    assert sorted(os.listdir(root)) == ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
    assert [int(ds[i][1]) for i in range(3)] == [7, 8, 9]


def test_mnist_download_failure_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_GLUON_REPO', (tmp_path / 'empty-repo').as_uri() + '/')
    root = tmp_path / 'root'
    with pytest.raises(DownloadError) as info:
        vision.MNIST(root=str(root))
    message = str(info.value)
    assert str(root) in message and 'train-images-idx3-ubyte.gz' in message
    assert 'copy them there' in message and 'Digits' in message
    assert os.listdir(root) == []  # nothing half-written


def test_mnist_uses_mxnet_urls_hashes_and_roots(monkeypatch, tmp_path):
    calls = []

    def fake_download(url, path=None, sha1_hash=None, **kwargs):
        calls.append((url, sha1_hash))
        raise DownloadError('stop here')

    monkeypatch.delenv('MXNET_GLUON_REPO', raising=False)
    monkeypatch.setattr(vdatasets, 'download', fake_download)
    for cls in (vision.MNIST, vision.FashionMNIST):
        with pytest.raises(DownloadError):
            cls(root=str(tmp_path / cls.__name__))
    base = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/'
    assert calls == [
        (base + 'mnist/train-labels-idx1-ubyte.gz', '2a80914081dc54586dbdf242f9805a6b8d2a15fc'),
        (base + 'fashion-mnist/train-labels-idx1-ubyte.gz',
         '236021d52f1e40852b06a4c3008d8de8aef1e40b')]
    assert vision.MNIST._train_data[1] == '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d'
    assert vision.FashionMNIST._test_data[1] == '626ed6a7c06dd17c0eec72fa3be1740f146a2863'
    roots = [inspect.signature(c).parameters['root'].default
             for c in (vision.MNIST, vision.FashionMNIST)]
    assert roots == [os.path.join('~', '.mxnet', 'datasets', 'mnist'),
                     os.path.join('~', '.mxnet', 'datasets', 'fashion-mnist')]


# ------------------------------------------------------------------ Digits
@pytest.fixture(scope='module')
def sk_digits():
    pytest.importorskip('sklearn')
    from sklearn.datasets import load_digits
    return load_digits()


@pytest.fixture(scope='module')
def digits(sk_digits):
    return vision.Digits(train=True), vision.Digits(train=False)


def test_digits_examples_look_like_mnist(digits):
    train, test = digits
    assert (len(train), len(test)) == (1437, 360)
    image, label = train[0]
    assert isinstance(image, mx.nd.NDArray) and image.shape == (8, 8, 1)
    assert image.dtype == np.uint8 and isinstance(label, np.int32)
    images = train._data.asnumpy()
    assert images.max() == 255 and images.min() == 0


def test_digits_split_is_fixed_stratified_and_complete(digits, sk_digits):
    train, test = digits
    counts = np.bincount(sk_digits.target)
    test_counts = np.bincount(test._label, minlength=10)
    assert np.all(np.abs(test_counts - 0.2 * counts) <= 1)  # every digit gives 20%
    assert np.array_equal(np.bincount(train._label, minlength=10) + test_counts, counts)
    # together the two parts are exactly scikit-learn's images, scaled to 0..255
    ours = np.concatenate([train._data.asnumpy(), test._data.asnumpy()]).reshape(-1, 64)
    theirs = np.rint(sk_digits.images.reshape(-1, 64) * 255 / 16).astype(np.uint8)
    key = lambda rows: rows[np.lexsort(rows.T[::-1])]  # noqa: E731
    np.testing.assert_array_equal(key(ours), key(theirs))
    again = vision.Digits(train=False)
    np.testing.assert_array_equal(again._data.asnumpy(), test._data.asnumpy())
    np.testing.assert_array_equal(again._label, test._label)


def test_digits_scale_up_and_transform(digits):
    big = vision.Digits(train=False, size=28)
    image, label = big[5]
    assert image.shape == (28, 28, 1) and image.dtype == np.uint8
    assert label == digits[1][5][1]
    same = vision.Digits(train=False, size=8)  # resizing to the same size changes nothing
    np.testing.assert_array_equal(same._data.asnumpy(), digits[1]._data.asnumpy())
    t = vision.Digits(train=False, transform=lambda x, y: (x.astype('float32') / 255, y))
    assert t[0][0].dtype == np.float32 and float(t[0][0].asnumpy().max()) <= 1
    with pytest.raises(ValueError, match='size must be a positive int'):
        vision.Digits(size=0)


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'sklearn.datasets', None)
    with pytest.raises(ImportError, match='pip install scikit-learn'):
        vision.Digits()


def test_lenet_style_pipeline_on_digits(digits):
    """The one-line switch: code written for MNIST runs on Digits(size=28)."""
    train = vision.Digits(train=True, size=28)
    pipeline = T.Compose([T.ToTensor(), T.Normalize(0.5, 0.5)])
    with DataLoader(train.transform_first(pipeline), 64, shuffle=True, num_workers=2) as it:
        X, y = next(iter(it))
    assert X.shape == (64, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int32
    assert -1 <= float(X.asnumpy().min()) and float(X.asnumpy().max()) <= 1


# ------------------------------------------------------------------ transforms
IMG = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)


def test_to_tensor():
    out = T.ToTensor()(mx.nd.array(IMG, dtype='uint8'))
    assert out.shape == (3, 2, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), IMG.transpose(2, 0, 1) / 255, rtol=1e-6)
    batch = T.ToTensor()(mx.nd.array(IMG[None].repeat(2, 0), dtype='uint8'))
    assert batch.shape == (2, 3, 2, 4)
    floats = T.ToTensor()(IMG.astype(np.float64))  # numpy in, NDArray out; floats too
    assert isinstance(floats, mx.nd.NDArray) and floats.dtype == np.float32
    np.testing.assert_allclose(floats.asnumpy(), out.asnumpy())


@pytest.mark.parametrize('transform, layout', [
    (T.ToTensor(), r'\(H, W, C\)'), (T.Normalize(), r'\(C, H, W\)'),
    (T.Resize(3), r'\(H, W, C\)'), (T.RandomFlipLeftRight(), r'\(H, W, C\)')])
def test_transforms_reject_non_images_naming_themselves_and_the_shape(transform, layout):
    name = type(transform).__name__
    with pytest.raises(ValueError, match=rf'{name}: input must be .*{layout}.*\[5,3\]'):
        transform(mx.nd.ones((5, 3)))
    with pytest.raises(TypeError, match=f'{name} expects an image NDArray, got list'):
        transform([[1, 2]])
    with pytest.raises(TypeError, match=rf'{name}: .*\[2,2,1\] has dtype bool'):
        transform(np.ones((2, 2, 1), dtype=bool))


def test_normalize():
    x = np.random.RandomState(0).rand(3, 4, 2).astype(np.float32)
    out = T.Normalize(mean=(0, 1, 2), std=(3, 2, 1))(mx.nd.array(x))
    expected = (x - np.array([0, 1, 2])[:, None, None]) / np.array([3, 2, 1])[:, None, None]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)
    scalar = T.Normalize(0.5, 0.25)(mx.nd.array(x[None]))
    assert scalar.shape == (1, 3, 4, 2)
    np.testing.assert_allclose(scalar.asnumpy()[0], (x - 0.5) / 0.25, rtol=1e-6)
    with pytest.raises(ValueError, match=r'mean must have either 1 or 3 elements for input of '
                                         r'shape \[3,4,2\], but got 2'):
        T.Normalize((0.1, 0.2), 1)(mx.nd.array(x))
    with pytest.raises(TypeError, match=r'float tensor.*uint8.*\[3,4,2\].*ToTensor first'):
        T.Normalize()(mx.nd.array(x, dtype='uint8'))


# 4x4 ramp (0, 16, ..., 240) resized by MXNet 1.9.1 (OpenCV) in float32
RAMP = (np.arange(16).reshape(4, 4, 1) * 16).astype(np.float32)
MXNET_RAMP_TO_3 = [13.333333, 34.666668, 56., 98.66666, 120., 141.33334, 184., 205.33333,
                   226.66667]
MXNET_RAMP_TO_7_FIRST_ROWS = [0., 5.714286, 14.857142, 24., 33.142857, 42.285713, 48.,
                              22.857143, 28.57143, 37.714287, 46.857143, 56., 65.14285,
                              70.85715]
MXNET_RAMP_TO_7_UINT8_FIRST_ROWS = [0, 5, 15, 24, 33, 42, 48, 23, 28, 38, 47, 56, 65, 71]


def test_resize_bilinear_matches_mxnet():
    down = T.Resize(3)(mx.nd.array(RAMP))
    assert down.shape == (3, 3, 1) and down.dtype == np.float32
    np.testing.assert_allclose(down.asnumpy().ravel(), MXNET_RAMP_TO_3, rtol=1e-5)
    up = T.Resize(7)(mx.nd.array(RAMP)).asnumpy().ravel()
    np.testing.assert_allclose(up[:14], MXNET_RAMP_TO_7_FIRST_ROWS, rtol=1e-5, atol=1e-5)
    up8 = T.Resize(7)(mx.nd.array(RAMP, dtype='uint8'))
    assert up8.dtype == np.uint8
    # OpenCV's fixed-point arithmetic may round differently by one grey level
    assert np.abs(up8.asnumpy().ravel()[:14].astype(int)
                  - MXNET_RAMP_TO_7_UINT8_FIRST_ROWS).max() <= 1


def test_resize_sizes_and_nearest_match_mxnet():
    img = mx.nd.array(IMG, dtype='uint8')
    assert T.Resize((3, 5))(img).shape == (5, 3, 3)  # size is (width, height)
    nearest = T.Resize((3, 5), interpolation=0)(img).asnumpy()
    assert nearest.ravel()[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2]  # MXNet
    wide = mx.nd.array(np.zeros((3, 5, 3)), dtype='uint8')
    assert T.Resize(4, keep_ratio=True)(wide).shape == (4, 6, 3)  # MXNet truncates 6.67
    tall = mx.nd.array(np.zeros((5, 3, 3)), dtype='uint8')
    assert T.Resize(4, keep_ratio=True)(tall).shape == (6, 4, 3)
    assert T.Resize(2, keep_ratio=True)(wide).shape == (2, 3, 3)
    assert T.Resize((4, 4), keep_ratio=True)(wide).shape == (4, 4, 3)
    assert T.Resize((3, 5))(mx.nd.array(IMG[None], dtype='uint8')).shape == (1, 5, 3, 3)


def test_resize_checks_its_arguments():
    img = mx.nd.ones((4, 4, 1))
    with pytest.raises(ValueError, match='unknown interpolation method 5'):
        T.Resize(3, interpolation=5)
    with pytest.raises(ValueError, match='size must be an int or'):
        T.Resize((1, 2, 3))
    with pytest.raises(ValueError, match=r'output size must be positive.*\[4,4,1\]'):
        T.Resize((0, 5))(img)


def test_cast_and_compose():
    img = mx.nd.array(IMG, dtype='uint8')
    assert T.Cast()(img).dtype == np.float32 and T.Cast('float16')(img).dtype == np.float16
    pipeline = T.Compose([T.Resize(3), T.ToTensor(), T.Normalize(0.5, 0.5)])
    out = pipeline(img)
    expected = T.Normalize(0.5, 0.5)(T.ToTensor()(T.Resize(3)(img)))
    np.testing.assert_array_equal(out.asnumpy(), expected.asnumpy())
    assert 'Resize(size=3' in repr(pipeline)


def test_random_flip_left_right():
    img = mx.nd.array(IMG, dtype='uint8')
    np.random.seed(0)
    outs = [T.RandomFlipLeftRight()(img).asnumpy() for _ in range(20)]
    flipped = [np.array_equal(o, IMG[:, ::-1]) for o in outs]
    kept = [np.array_equal(o, IMG) for o in outs]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    np.random.seed(0)
    again = [T.RandomFlipLeftRight()(img).asnumpy() for _ in range(20)]
    assert all(np.array_equal(a, b) for a, b in zip(outs, again))


def test_gluon_namespace():
    import d2lmini.gluon as gluon
    assert gluon.data is gdata and gdata.vision is vision
    assert gdata.vision.transforms is T
    assert vision.Digits is vdatasets.Digits


@pytest.mark.gpu
def test_transforms_and_batchify_keep_gpu_arrays_on_the_gpu():
    img = mx.nd.array(IMG, ctx=mx.gpu(0), dtype='uint8')
    for t in (T.ToTensor(), T.Resize(3), T.Cast()):
        assert t(img).context == mx.gpu(0)
    X, y = default_batchify_fn([(img, 1), (img, 2)])
    assert X.context == mx.gpu(0) and X.shape == (2, 2, 4, 3)
    np.testing.assert_array_equal(X.asnumpy()[1], IMG)
