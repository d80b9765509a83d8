"""Contexts: naming, equality, the default context and ``with ctx:`` blocks, and
(on a machine with a GPU) arrays that live on it."""
import threading

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import nd
from d2lmini.context import Context


def test_names():
    assert repr(mx.cpu()) == 'cpu(0)' and str(mx.cpu(1)) == 'cpu(1)'
    assert repr(mx.gpu()) == 'gpu(0)' and str(mx.gpu(2)) == 'gpu(2)'
    assert repr(Context('gpu', 3)) == 'gpu(3)'
    g = mx.gpu(1)
    assert (g.device_type, g.device_id, g.device_typeid) == ('gpu', 1, 2)
    assert mx.cpu().device_typeid == 1


def test_equality_and_hash():
    assert mx.cpu() == mx.cpu(0) == Context('cpu', 0)
    assert mx.cpu() != mx.cpu(1)
    assert mx.cpu() != mx.gpu(0)
    assert mx.gpu(1) == mx.gpu(1)
    assert mx.cpu() != 'cpu(0)' and mx.cpu() != 0
    assert hash(mx.cpu(1)) == hash(Context('cpu', 1))
    assert len({mx.cpu(), mx.cpu(0), mx.cpu(1), mx.gpu(0), mx.gpu(0)}) == 3


def test_context_from_context():
    assert Context(mx.gpu(2)) == mx.gpu(2)
    assert Context(mx.cpu(1)).device_id == 1


def test_unknown_device_type():
    with pytest.raises(ValueError, match="'tpu'"):
        Context('tpu', 0)


def test_cpu_pinned_is_its_own_context():
    # MXNet 1.9.1: cpu_pinned(0) != cpu(0); device type 3 (cpu_shared is 5)
    assert mx.cpu_pinned() != mx.cpu() and mx.cpu_pinned(1) == mx.Context('cpu_pinned', 1)
    assert (mx.cpu_pinned().device_typeid, mx.cpu_shared().device_typeid) == (3, 5)


def test_num_gpus():
    n = mx.context.num_gpus()
    assert isinstance(n, int) and n >= 0
    assert mx.num_gpus() == n == len(mx.test_utils.list_gpus())


def test_default_context_and_with_blocks():
    assert mx.current_context() == mx.cpu() == mx.context.current_context()
    with mx.cpu(3) as c:
        assert c == mx.cpu(3)
        a = nd.zeros((1,))
        inner = mx.current_context()
        with mx.cpu(4):
            b = nd.ones((1,))
            assert mx.current_context() == mx.cpu(4)
        d = nd.array([1])
    assert (a.context, inner, b.context, d.context) == (mx.cpu(3), mx.cpu(3), mx.cpu(4),
                                                        mx.cpu(3))
    assert mx.current_context() == mx.cpu()


def test_with_block_restores_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with mx.cpu(5):
            1 / 0
    assert mx.current_context() == mx.cpu()


def test_same_context_object_reentered():
    ctx = mx.cpu(2)
    with ctx:
        with mx.cpu(3):
            with ctx:
                assert mx.current_context() == mx.cpu(2)
            assert mx.current_context() == mx.cpu(3)
        assert mx.current_context() == mx.cpu(2)
    assert mx.current_context() == mx.cpu()


def test_with_blocks_in_two_threads_do_not_mix():
    # Both threads enter the *same* Context object; each must get its own default back.
    shared = mx.cpu(7)
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with shared:
            a_inside.set()
            b_inside.wait(5)
        seen['a'] = mx.current_context()
        a_left.set()

    def thread_b():
        with mx.cpu(5):
            a_inside.wait(5)
            with shared:
                b_inside.set()
                a_left.wait(5)
            seen['b'] = mx.current_context()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {'a': mx.cpu(0), 'b': mx.cpu(5)}


def test_default_context_is_per_thread():
    seen = []
    with mx.cpu(6):
        t = threading.Thread(target=lambda: seen.append(mx.current_context()))
        t.start()
        t.join(10)
    assert seen == [mx.cpu(0)]


def test_context_given_as_a_string():
    assert nd.zeros((1,), ctx='cpu(1)').context == mx.cpu(1)
    assert nd.ones((1,), ctx='cpu').context == mx.cpu(0)
    with pytest.raises(TypeError, match='Context'):
        nd.zeros((1,), ctx=3)


def test_gpu_that_does_not_exist():
    with pytest.raises(mx.MXNetError, match='gpu'):
        nd.zeros((1,), ctx=mx.gpu(99))


# ------------------------------------------------------------------ on a GPU
@pytest.mark.gpu
def test_array_on_gpu_round_trip():
    g = mx.gpu(0)
    x = nd.array([[1, 2], [3, 4]], ctx=g)
    assert x.context == g and x.dtype is np.float32
    assert repr(x).endswith('<NDArray 2x2 @gpu(0)>')
    y = (x * 2 + 1).copyto(mx.cpu())
    assert y.context == mx.cpu()
    np.testing.assert_array_equal(y.asnumpy(), [[3., 5.], [7., 9.]])
    assert type(x.asnumpy()) is np.ndarray
    nd.waitall()


@pytest.mark.gpu
def test_gpu_and_cpu_do_not_mix():
    with pytest.raises(mx.MXNetError, match=r'broadcast_add.*gpu\(0\).*cpu\(0\)'):
        nd.ones((2,), ctx=mx.gpu(0)) + nd.ones((2,))


@pytest.mark.gpu
def test_gpu_creation_indexing_and_autograd():
    g = mx.gpu(0)
    with g:
        x = nd.arange(6)
        assert x.context == g
    x[1:3] = nd.array([7, 8])                      # from the CPU, copied over
    x[nd.array([0], ctx=g)] = 9
    np.testing.assert_array_equal(x.asnumpy(), [9., 7., 8., 3., 4., 5.])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x
    y.backward()
    assert x.grad.context == g
    np.testing.assert_array_equal(x.grad.asnumpy(), 2 * x.asnumpy())
    free, total = mx.context.gpu_memory_info(0)
    assert 0 < free <= total
