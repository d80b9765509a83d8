"""d2lmini.parallel: large loops split over the chosen number of threads give exactly
the results of one thread, the pool stops cleanly, and one thread (the default) means
no pool."""
import threading

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import parallel

threadpoolctl = pytest.importorskip('threadpoolctl')


@pytest.fixture
def split_threads():
    """Run the test with the split loops on ``n`` threads (back to 1 afterwards)."""
    def use(n):
        parallel.set_num_threads(n)
        return parallel.num_threads()

    yield use
    parallel.set_num_threads(1)
    parallel.shutdown()


@pytest.fixture
def blas_two_threads():
    """The BLAS on two threads for the test (its own sums depend on the count)."""
    limit = threadpoolctl.threadpool_limits(2, user_api='blas')
    yield
    limit.restore_original_limits()


def _pool_threads():
    return [t for t in threading.enumerate() if t.name.startswith('d2lmini')]


def test_thread_count_is_one_unless_chosen(split_threads, monkeypatch):
    import subprocess
    import sys
    code = 'from d2lmini import parallel; print(parallel.num_threads())'
    env = dict(__import__('os').environ)
    env.pop('D2LMINI_SPLIT_THREADS', None)
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '1'
    env['D2LMINI_SPLIT_THREADS'] = '2'
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == str(min(2, __import__('os').cpu_count()))
    env['D2LMINI_SPLIT_THREADS'] = 'two'
    bad = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True)
    assert bad.returncode != 0 and 'D2LMINI_SPLIT_THREADS must be a whole number' in bad.stderr
    assert split_threads(1) == 1
    assert split_threads(10 ** 6) == __import__('os').cpu_count()
    with pytest.raises(ValueError, match='at least 1'):
        parallel.set_num_threads(0)


def test_split_covers_the_range_once(monkeypatch):
    monkeypatch.setattr(parallel, 'num_threads', lambda: 3)
    seen = []
    parallel.split(lambda a, b: seen.append((a, b)), 10, parallel.MIN_BYTES)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 10)]
    seen.clear()      # a small job: one call, here
    parallel.split(lambda a, b: seen.append((a, b, threading.current_thread())), 10, 8)
    assert seen == [(0, 10, threading.current_thread())]


def test_split_raises_a_piece_error(monkeypatch):
    monkeypatch.setattr(parallel, 'num_threads', lambda: 2)

    def fail(a, b):
        if a > 0:
            raise ValueError('piece failed')

    with pytest.raises(ValueError, match='piece failed'):
        parallel.split(fail, 4, parallel.MIN_BYTES)
    parallel.shutdown()


def test_one_thread_makes_no_pool(split_threads):
    parallel.shutdown()
    split_threads(1)
    x = mx.nd.ones((8, 16, 32, 32))
    w = mx.nd.ones((16, 16, 3, 3))
    mx.nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=16, no_bias=True)
    assert parallel._pool is None and not _pool_threads()


def test_shutdown_stops_the_threads(monkeypatch):
    monkeypatch.setattr(parallel, 'num_threads', lambda: 2)
    parallel.split(lambda a, b: None, 4, parallel.MIN_BYTES)
    assert parallel._pool is not None and _pool_threads()
    parallel.shutdown()
    assert parallel._pool is None and not _pool_threads()


def _conv_step(shape, kernel, pad, stride, filters):
    """Output and gradients of a convolution (with bias), float32, fixed values."""
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.standard_normal(shape, dtype=np.float32))
    w = mx.nd.array(rng.standard_normal((filters, shape[1]) + kernel, dtype=np.float32))
    b = mx.nd.array(rng.standard_normal((filters,), dtype=np.float32))
    for a in (x, w, b):
        a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, b, kernel=kernel, pad=pad, stride=stride,
                              num_filter=filters)
    dy = mx.nd.array(rng.standard_normal(y.shape, dtype=np.float32))
    y.backward(dy)
    return [a.asnumpy() for a in (y, x.grad, w.grad, b.grad)]


@pytest.mark.parametrize('shape, kernel, pad, stride, filters', [
    ((8, 64, 16, 16), (3, 3), (1, 1), (1, 1), 64),      # ResNet 3x3: flipped data gradient
    ((8, 32, 16, 16), (3, 3), (1, 1), (2, 2), 64),      # stride 2: col2im
    ((16, 6, 28, 28), (5, 5), (0, 0), (1, 1), 16),      # LeNet's second layer
])
def test_convolution_is_the_same_on_two_threads(blas_two_threads, split_threads, monkeypatch,
                                                shape, kernel, pad, stride, filters):
    # the BLAS stays on two threads in both runs (its own sums depend on the count);
    # only the split copies and additions change, and they must not change a bit
    if split_threads(2) < 2:
        pytest.skip('one core')
    monkeypatch.setattr(parallel, 'MIN_BYTES', 1)    # split even these small arrays
    parallel_result = _conv_step(shape, kernel, pad, stride, filters)
    assert parallel._pool is not None
    monkeypatch.setattr(parallel, 'num_threads', lambda: 1)
    serial_result = _conv_step(shape, kernel, pad, stride, filters)
    for p, s in zip(parallel_result, serial_result, strict=True):
        np.testing.assert_array_equal(p, s)


def test_sigmoid_is_the_same_on_two_threads(monkeypatch):
    # exp computes each element alone, so pieces cut anywhere give the same bits
    x = mx.nd.array(np.random.default_rng(0).standard_normal((7, 6, 29, 31)) * 4)
    monkeypatch.setattr(parallel, 'MIN_BYTES', 1)
    monkeypatch.setattr(parallel, 'num_threads', lambda: 2)
    split = mx.nd.sigmoid(x).asnumpy()
    assert parallel._pool is not None
    monkeypatch.setattr(parallel, 'num_threads', lambda: 1)
    np.testing.assert_array_equal(split, mx.nd.sigmoid(x).asnumpy())
    parallel.shutdown()
