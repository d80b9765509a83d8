"""NDArray as MXNet 1.x code and other libraries use it: in-place shape views, pickling,
DLPack and numpy, numpy interop, the pinned and shared host contexts, and a GPU that is
not there. Expected values are MXNet 1.9.1's (hard-coded); where d2lmini goes further
(``__array__``, ``__dlpack__``), the test says so."""
import copy
import gc
import json
import os
import pickle
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import nd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------------ inplace= views
@pytest.mark.parametrize('make, shape', [
    (lambda x, ip: x.expand_dims(1, inplace=ip), (2, 1, 1, 3)),
    (lambda x, ip: x.squeeze(inplace=ip), (2, 3)),
    (lambda x, ip: x.flatten(inplace=ip), (2, 3)),
])
@pytest.mark.parametrize('inplace', [False, True])
def test_inplace_gives_a_view_that_shares_memory(make, shape, inplace):
    x = nd.arange(6).reshape((2, 1, 3))
    y = make(x, inplace)
    assert y.shape == shape
    y[:] = 7
    # MXNet 1.9.1: the write shows in x only with inplace=True
    assert x.asnumpy().ravel().tolist() == ([7.] * 6 if inplace else [0., 1., 2., 3., 4., 5.])


def test_inplace_shapes_and_errors_as_mxnet():
    a = nd.zeros((2, 1, 3, 1))
    assert a.squeeze(axis=1, inplace=True).shape == (2, 3, 1)
    assert a.squeeze(axis=(1, 3), inplace=True).shape == (2, 3)
    assert a.squeeze(axis=-1, inplace=True).shape == (2, 1, 3)
    assert a.expand_dims(-1, inplace=True).shape == (2, 1, 3, 1, 1)
    assert nd.zeros((1, 1)).squeeze(inplace=True).shape == (1,)   # never 0-d
    assert nd.zeros((2, 3, 4)).flatten(inplace=True).shape == (2, 12)
    assert nd.zeros((2,)).flatten(inplace=True).shape == (2, 1)
    with pytest.raises(AssertionError, match='Squeeze target axis 0 must be size 1, got 2.'):
        a.squeeze(axis=0, inplace=True)
    with pytest.raises(AssertionError, match='axis 5 is out of range for 4d array'):
        a.expand_dims(5, inplace=True)
    with pytest.raises(AssertionError, match='duplicate'):
        a.squeeze(axis=(1, 1), inplace=True)


def test_inplace_view_is_recorded():
    x = nd.array([[1., 2., 3.]])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * 1).squeeze(inplace=True)
        z = (y * y).sum()
    z.backward()
    assert x.grad.asnumpy().tolist() == [[2., 4., 6.]]


# ------------------------------------------------------------------ pickling
def test_pickle_state_is_mxnets():
    # MXNet 1.9.1: x.__getstate__() is {'handle': bytearray} holding MXNet's binary form of
    # one array; these are the first 40 bytes it gives for [[1, 2], [3, 4]]
    state = nd.array([[1, 2], [3, 4]]).__getstate__()
    assert list(state) == ['handle'] and isinstance(state['handle'], bytearray)
    assert len(state['handle']) == 56
    assert bytes(state['handle'][:40]).hex() == (
        'c9fa93f9000000000200000002000000000000000200000000000000010000000000000000000000')
    # and all of it for a 0-d array, and for an array on cpu_pinned(0)
    assert bytes(nd.array(np.float32(3)).__getstate__()['handle']).hex() == (
        'c9fa93f9000000000000000001000000000000000000000000004040')
    assert bytes(nd.ones((2,), ctx=mx.cpu_pinned(0)).__getstate__()['handle']).hex() == (
        'c9fa93f9000000000100000002000000000000000300000000000000000000000000803f0000803f')


@pytest.mark.parametrize('a', [
    nd.array([[1, 2], [3, 4]]), nd.array(np.float32(3)), nd.zeros((0, 3)),
    nd.array([1, 2], dtype='int64', ctx=mx.cpu(1)), nd.array([True, False], dtype='bool'),
    nd.array([1.5], dtype='float16'), nd.ones((2,), ctx=mx.cpu_pinned(0)),
    nd.ones((1,), ctx=mx.cpu_shared(2)),
], ids=lambda a: f'{a.shape}-{a.dtype.__name__}-{a.context}')
def test_pickle_round_trip(a):
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        b = pickle.loads(pickle.dumps(a, protocol))
        assert (b.shape, b.dtype, b.context) == (a.shape, a.dtype, a.context)
        np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


def test_pickle_drops_autograd_and_copies():
    x = nd.array([1., 2.])
    x.attach_grad()
    y = pickle.loads(pickle.dumps(x))
    assert y.grad is None
    z = copy.deepcopy(x)
    z[0] = 5
    assert x.asnumpy().tolist() == [1., 2.]
    assert pickle.loads(pickle.dumps([x, x]))[1].shape == (2,)
    assert pickle.loads(pickle.dumps(mx.cpu_pinned(1))) == mx.cpu_pinned(1)


def test_unpickle_on_a_missing_gpu_raises():
    state = bytearray(nd.array([1., 2.]).__getstate__()['handle'])
    state[20:24] = (2).to_bytes(4, 'little')     # device type: a GPU
    state[24:28] = (99).to_bytes(4, 'little')    # id 99: on no machine here
    blob = pickle.dumps(nd.array([1., 2.])).replace(
        bytes(nd.array([1., 2.]).__getstate__()['handle']), bytes(state))
    with pytest.raises(mx.MXNetError, match=r'pickled on gpu\(99\).*not available'):
        pickle.loads(blob)


def test_unpickle_refuses_damaged_state():
    x = nd.zeros((2,))
    for bad in (b'', b'\x00' * 8, bytes(x.__getstate__()['handle'])[:-2]):
        with pytest.raises(mx.MXNetError):
            x.__setstate__({'handle': bytearray(bad)})


# ------------------------------------------------------------------ DLPack and numpy
def test_dlpack_capsules_round_trip_sharing_memory():
    x = nd.ones((2, 3))
    cap = x.to_dlpack_for_read()
    assert type(cap).__name__ == 'PyCapsule' and '"dltensor"' in repr(cap)
    z = nd.from_dlpack(cap)
    assert '"used_dltensor"' in repr(cap)
    assert (z.shape, z.dtype, z.context) == ((2, 3), np.float32, mx.cpu())
    u = nd.from_dlpack(nd.to_dlpack_for_write(x))
    u += 1                                    # MXNet's docstring example
    assert x.asnumpy().tolist() == [[2.] * 3] * 2
    x[0, 0] = 9                               # and the other way
    assert z[0, 0].asscalar() == 9 and u[0, 0].asscalar() == 9
    with pytest.raises(AssertionError, match='consumed only once'):
        nd.from_dlpack(cap)


@pytest.mark.parametrize('src', [
    np.arange(6, dtype='float32').reshape(2, 3).T,        # strides
    np.arange(6, dtype='int64')[::-2],                    # negative strides
    np.array(3.5),                                        # 0-d
    np.zeros((0, 4), dtype='float16'),                    # empty
    np.array([True, False, True]),
])
def test_from_dlpack_reads_any_numpy_layout(src):
    x = nd.from_dlpack(src.__dlpack__())
    assert x.shape == src.shape and x.dtype == src.dtype.type
    np.testing.assert_array_equal(x.asnumpy(), src)


def test_from_dlpack_keeps_the_producer_alive_until_the_last_view():
    a = np.arange(4.)
    alive = weakref.ref(a)
    x = nd.from_dlpack(a.__dlpack__())
    v = x[1:3]
    del a, x
    gc.collect()
    assert alive() is not None and v.asnumpy().tolist() == [1., 2.]
    del v
    gc.collect()
    assert alive() is None


def test_dlpack_protocol_with_numpy():
    # an extension (MXNet 1.9.1's NDArray has no __dlpack__): np.from_dlpack shares memory
    x = nd.zeros((2, 2))
    assert x.__dlpack_device__() == (1, 0)
    y = np.from_dlpack(x)
    y[0, 1] = 4
    assert x.asnumpy().tolist() == [[0., 4.], [0., 0.]]
    a = np.arange(3, dtype='float32')
    z = nd.from_dlpack(a)                     # anything with __dlpack__
    a[0] = 8
    assert z.asnumpy().tolist() == [8., 1., 2.]
    assert np.from_dlpack(nd.array(2.5)).shape == ()


def test_dlpack_protocol_with_torch():
    torch = pytest.importorskip('torch')
    x = nd.arange(4)
    t = torch.from_dlpack(x)
    t[0] = 7
    assert x.asnumpy().tolist() == [7., 1., 2., 3.]
    y = nd.from_dlpack(torch.utils.dlpack.to_dlpack(t))
    y[1] = -1
    assert t.tolist() == [7., -1., 2., 3.]


def test_from_numpy_as_mxnet():
    a = np.arange(6, dtype='float32').reshape(2, 3)
    x = nd.from_numpy(a)
    # MXNet 1.9.1: no copy, and the numpy array turns read-only
    assert (x.context, x.dtype, a.flags.writeable) == (mx.cpu(), np.float32, False)
    x[0, 0] = 100
    assert a[0, 0] == 100
    with pytest.raises(ValueError, match='read-only'):
        a[0, 1] = 5
    with pytest.raises(ValueError, match='Only c-contiguous arrays are supported for zero-copy'):
        nd.from_numpy(np.ones((3, 4))[:, ::2])
    with pytest.raises(ValueError, match='int8 is not supported.'):
        nd.from_numpy(np.ones(3, dtype=np.int8))
    assert nd.from_numpy(np.array([True])).dtype is np.bool_
    assert nd.from_numpy(np.array(2., dtype='float32')).shape == ()
    b = np.ones(3, dtype='int32')
    c = nd.from_numpy(b, zero_copy=False)
    c[0] = 5
    assert b.tolist() == [1, 1, 1] and b.flags.writeable and c.dtype is np.int32


# ------------------------------------------------------------------ numpy interop
def test_numpy_operators_defer_to_ndarray_as_in_mxnet():
    x = nd.array([1., 2., 3.])
    # MXNet 1.9.1: a numpy scalar on either side gives a float32 NDArray
    for r in (x + np.float32(1), np.float32(1) + x, np.float64(1) + x, np.int64(1) * x,
              np.float32(2) - x, np.float32(2) / x, np.float32(2) ** x, np.float32(1) < x,
              np.float32(2) == x):
        assert type(r) is nd.NDArray and r.dtype is np.float32 and r.shape == (3,)
    assert (np.float32(2) - x).asnumpy().tolist() == [1., 0., -1.]
    # ... and a numpy array is refused: TypeError "type <class 'numpy.ndarray'> not supported"
    for op in (lambda: np.ones(3) + x, lambda: x + np.ones(3), lambda: np.ones(3) * x,
               lambda: np.ones(3) == x, lambda: x == np.ones(3), lambda: np.ones(3) < x):
        with pytest.raises(TypeError, match="numpy.ndarray'> not supported"):
            op()


def test_numpy_functions_on_ndarrays():
    x = nd.array([1., 2., 3.])
    # numpy's reductions call the NDArray's method (MXNet 1.9.1: an NDArray of shape (1,))
    for r, v in ((np.sum(x), 6.), (np.max(x), 3.), (np.argmax(x), 2.)):
        assert type(r) is nd.NDArray and r.shape == (1,) and r.asscalar() == v
    assert np.shape(x) == (3,)
    # ufuncs give numpy arrays, as in MXNet (where the values are garbage objects; here
    # they are read through __array__, an extension)
    e = np.exp(x)
    assert type(e) is np.ndarray and e.dtype == np.float32
    np.testing.assert_allclose(e, np.exp([1., 2., 3.]), rtol=1e-6)
    assert type(np.add(x, 1)) is np.ndarray and np.add(x, 1).tolist() == [2., 3., 4.]
    assert not np.all(x == 1) and np.all(x > 0)
    a = np.asarray(x)
    assert a.dtype == np.float32 and a.tolist() == [1., 2., 3.]
    a[0] = 5                                  # a copy: x is unchanged
    assert x[0].asscalar() == 1
    assert np.array(x, dtype='int32').dtype == np.int32
    assert x.__array__('float64').dtype == np.float64
    shared = np.asarray(x, copy=False)        # no copy asked for: the same memory
    shared[0] = 7
    assert x[0].asscalar() == 7
    np.testing.assert_allclose(x, [7., 2., 3.])
    assert np.concatenate([x, x]).shape == (6,)


def test_float_and_int_refuse_ndarrays_as_mxnet():
    # MXNet 1.9.1's NDArray has no __float__/__int__/__index__: use asscalar()
    one = nd.array([2.])
    for conv in (float, int, complex):
        with pytest.raises(TypeError):
            conv(one)
    with pytest.raises(TypeError):
        [1, 2, 3][nd.array([1], dtype='int32')]
    assert one.asscalar() == 2. and type(one.asscalar()) is np.float32
    assert bool(one)


def test_zero_dim_arrays():
    s = nd.array(np.float32(2))
    assert s.shape == () and s.asscalar() == 2. and bool(s)
    for r, v in ((s + 1, 3.), (s * s, 4.), (-s, -2.), (nd.exp(s * 0), 1.), (1 - s, -1.)):
        assert r.shape == () and r.asscalar() == v
    assert (s + nd.ones((3,))).shape == (3,)
    assert s.sum().shape == (1,)              # full reductions have shape (1,), as in MXNet
    assert repr(s) == '\n2.0\n<NDArray  @cpu(0)>'


# ------------------------------------------------------------------ pinned and shared
def test_pinned_and_shared_contexts():
    p, s = mx.cpu_pinned(0), mx.cpu_shared(1)
    assert (repr(p), str(s)) == ('cpu_pinned(0)', 'cpu_shared(1)')
    assert (p.device_type, p.device_typeid, s.device_typeid) == ('cpu_pinned', 3, 5)
    assert mx.Context('cpu_pinned', 0) == p != mx.cpu(0) and hash(p) != hash(mx.cpu(0))
    assert mx.Context(p) == p and mx.Context.devtype2str[3] == 'cpu_pinned'
    with p:
        assert nd.ones((1,)).context == p


def test_arrays_on_pinned_memory_work_as_cpu_arrays():
    p = mx.cpu_pinned(1)
    a = nd.ones((2, 3), ctx=p)
    assert repr(a).endswith('<NDArray 2x3 @cpu_pinned(1)>')
    assert nd.array([1, 2], ctx='cpu_pinned(1)').context == p
    # MXNet 1.9.1: an operator's result goes to the plain cpu(i); a view stays
    assert (a + a).context == mx.cpu(1) and nd.exp(a).context == mx.cpu(1)
    assert a.sum().context == mx.cpu(1) and a.T.context == mx.cpu(1)
    assert a[0].context == p and a.reshape((3, 2)).context == p
    b = nd.ones((2, 3), ctx=mx.cpu_shared(1))
    assert (b * 2).context == mx.cpu(1) and b[1].context == mx.cpu_shared(1)
    # pinned memory mixes with its own CPU: a batch from a pinned loader meets cpu(1) weights
    c = a + nd.ones((2, 3), ctx=mx.cpu(1))
    assert c.context == mx.cpu(1) and c.asnumpy().sum() == 12
    a += nd.ones((2, 3), ctx=mx.cpu(1))
    assert a.context == p and a.asnumpy().sum() == 12
    with pytest.raises(mx.MXNetError, match='one context'):
        a + nd.ones((2, 3), ctx=mx.cpu(0))


def test_copies_between_host_contexts():
    a = nd.ones((2,), ctx=mx.cpu_pinned(0))
    assert a.as_in_context(mx.cpu_pinned(0)) is a
    b = a.as_in_context(mx.cpu())
    c = a.copyto(mx.cpu_shared(0))
    b[0], c[1] = 5, 7                         # copies, as in MXNet
    assert (b.context, c.context) == (mx.cpu(), mx.cpu_shared(0))
    assert a.asnumpy().tolist() == [1., 1.]
    d = nd.arange(2).as_in_context(mx.cpu_pinned(0))
    assert d.context == mx.cpu_pinned(0) and d.asnumpy().tolist() == [0., 1.]


# ------------------------------------------------------------------ a GPU that is not there
def _gpu_paths(ctx):
    x = nd.ones((2,))
    return {
        'zeros': lambda: nd.zeros((1,), ctx=ctx),
        'array': lambda: nd.array([1, 2], ctx=ctx),
        'as_in_context': lambda: x.as_in_context(ctx),
        'copyto': lambda: x.copyto(ctx),
        'ones.asnumpy': lambda: nd.ones((1,), ctx=ctx).asnumpy(),
        'random': lambda: nd.random.uniform(shape=(2,), ctx=ctx),
        'with': lambda: ctx.__enter__() and nd.arange(2),
    }


def test_a_missing_gpu_raises_mxnet_error_everywhere():
    ctx = mx.gpu(mx.context.num_gpus())       # one past the last GPU: on no machine
    for name, fn in _gpu_paths(ctx).items():
        try:
            with pytest.raises(mx.MXNetError):
                fn()
        finally:
            if name == 'with':
                ctx.__exit__(None, None, None)
    assert mx.current_context() == mx.cpu()


def test_try_gpu_as_d2l_writes_it():
    def try_gpu(i=0):
        try:
            nd.zeros((1,), ctx=mx.gpu(i))
            return mx.gpu(i)
        except mx.base.MXNetError:
            return mx.cpu()

    def try_all_gpus():
        ctxs = []
        for i in range(16):
            try:
                nd.zeros((1,), ctx=mx.gpu(i))
                ctxs.append(mx.gpu(i))
            except mx.base.MXNetError:
                pass
        return ctxs or [mx.cpu()]
    n = mx.num_gpus()
    assert try_gpu(n) == mx.cpu()
    assert try_all_gpus() == ([mx.gpu(i) for i in range(n)] or [mx.cpu()])


def test_no_cupy_means_no_gpu(tmp_path):
    # a fresh interpreter in which `import cupy` fails, as on a CPU-only install
    code = textwrap.dedent('''
        import json, sys
        sys.modules['cupy'] = None
        import d2lmini as mx
        from d2lmini import nd
        x = nd.ones((2,))
        tries = {
            'zeros': lambda: nd.zeros((1,), ctx=mx.gpu(0)),
            'array': lambda: nd.array([1], ctx=mx.gpu(0)),
            'as_in_context': lambda: x.as_in_context(mx.gpu(0)),
            'copyto': lambda: x.copyto(mx.gpu(1)),
            'ones.asnumpy': lambda: nd.ones((1,), ctx=mx.gpu(0)).asnumpy(),
        }
        errors = {}
        for name, fn in tries.items():
            try:
                fn()
                errors[name] = None
            except mx.MXNetError as e:
                errors[name] = type(e).__name__
        print(json.dumps({'errors': errors, 'num_gpus': [mx.context.num_gpus(), mx.num_gpus()],
                          'cupy': sys.modules['cupy'] is None}))
    ''')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['num_gpus'] == [0, 0] and out['cupy']
    assert all(v == 'MXNetError' for v in out['errors'].values()), out['errors']


# ------------------------------------------------------------------ on a GPU
@pytest.mark.gpu
def test_dlpack_on_a_gpu():
    import cupy
    g = mx.gpu(0)
    x = nd.zeros((2, 3), ctx=g)
    assert x.__dlpack_device__() == (2, 0)
    y = nd.from_dlpack(x.to_dlpack_for_write())
    assert y.context == g
    y[0, 0] = 5
    c = cupy.from_dlpack(x)
    c[1, 1] = 6
    assert x.asnumpy().tolist() == [[5., 0., 0.], [0., 6., 0.]]
    z = pickle.loads(pickle.dumps(x))
    assert z.context == g and z.asnumpy().tolist() == x.asnumpy().tolist()


@pytest.mark.gpu
def test_invalid_gpu_id_on_a_gpu_machine():
    ctx = mx.gpu(mx.num_gpus())
    for name, fn in _gpu_paths(ctx).items():
        if name == 'with':
            continue
        with pytest.raises(mx.MXNetError, match='not available'):
            fn()
