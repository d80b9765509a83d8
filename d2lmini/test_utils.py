"""Tools for testing code written with d2lmini (and d2lmini itself), after
``mxnet.test_utils``: comparing arrays and checking gradients numerically."""
import numpy as np

from . import autograd, backend
from .context import cpu, gpu, num_gpus


def _to_numpy(a):
    if hasattr(a, 'asnumpy'):
        return a.asnumpy()
    return np.asarray(backend.to_host(a) if hasattr(a, 'get') else a)


def default_context():
    return cpu()


def list_gpus():
    """The ids of the GPUs that can be used: ``range(num_gpus())``."""
    return range(num_gpus())


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False):
    """Raise an AssertionError naming the worst element when ``a`` and ``b`` (NDArrays
    or numpy arrays) differ by more than ``atol + rtol * |b|``.

    >>> import d2lmini as mx
    >>> assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.0000001]))
    """
    a, b = _to_numpy(a), _to_numpy(b)
    if rtol is None:
        rtol = 1e-5 if a.dtype == np.float64 and b.dtype == np.float64 else 1e-4
    if atol is None:
        atol = 1e-20 if a.dtype == np.float64 and b.dtype == np.float64 else 1e-6
    if a.shape != b.shape:
        raise AssertionError(f'shapes differ: {names[0]} {a.shape}, {names[1]} {b.shape}')
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    rel = diff / (atol + rtol * np.abs(b.astype(np.float64)))
    rel = np.where(np.isnan(rel), np.inf, rel)
    idx = np.unravel_index(np.argmax(rel), rel.shape) if rel.size else ()
    raise AssertionError(
        f'arrays differ (rtol={rtol}, atol={atol}): worst at index {idx}: '
        f'{names[0]}={a[idx]!r}, {names[1]}={b[idx]!r}; '
        f'{int((rel > 1).sum())} of {a.size} elements out of tolerance')


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False):
    try:
        assert_almost_equal(a, b, rtol, atol, equal_nan=equal_nan)
        return True
    except AssertionError:
        return False


def numeric_grad(f, inputs, eps=1e-4):
    """Central-difference gradients of scalar function ``f(list of numpy arrays)``."""
    grads = []
    for x in inputs:
        g = np.zeros_like(x, dtype=np.float64)
        flat, gflat = x.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = f(inputs)
            flat[i] = old - eps
            fm = f(inputs)
            flat[i] = old
            gflat[i] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def check_numeric_gradient(fn, location, numeric_eps=1e-4, rtol=1e-3, atol=1e-5,
                           grad_nodes=None, ctx=None, dtype=np.float64, head_grads=None,
                           train_mode=True, seed=None):
    """Compare autograd's gradients of ``fn`` with central differences.

    ``fn`` maps NDArrays to an NDArray (or a list of them); ``location`` is a list of
    numpy arrays (the inputs). Every output is projected onto a fixed random
    direction, so one scalar is differentiated. ``grad_nodes`` lists the indices of
    the inputs to check (default: all). ``seed`` reseeds the random generator before
    every evaluation, for operators that draw random numbers (dropout).

    >>> import d2lmini as mx
    >>> check_numeric_gradient(lambda x: mx.nd.exp(x), [np.array([0.5, -1.0])])
    """
    from . import ndarray as nd
    ctx = ctx or cpu()
    location = [np.array(x, dtype=dtype if np.issubdtype(np.asarray(x).dtype, np.floating)
                         else np.asarray(x).dtype) for x in location]
    grad_nodes = list(range(len(location))) if grad_nodes is None else list(grad_nodes)
    rs = np.random.RandomState(1234)
    heads = {}

    def run(arrays, record):
        if seed is not None:
            backend.seed(seed)
        xs = [nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
        if record:
            for i in grad_nodes:
                xs[i].attach_grad()
            with autograd.record(train_mode=train_mode):
                outs = fn(*xs)
        else:
            with autograd.train_mode() if train_mode else autograd.predict_mode():
                outs = fn(*xs)
        outs = [outs] if isinstance(outs, nd.NDArray) else list(outs)
        for k, o in enumerate(outs):
            if k not in heads:
                heads[k] = rs.normal(size=o.shape) if head_grads is None else _to_numpy(
                    head_grads[k])
        return xs, outs

    def scalar(arrays):
        _, outs = run(arrays, False)
        return sum(float((o.asnumpy().astype(np.float64) * heads[k]).sum())
                   for k, o in enumerate(outs))

    xs, outs = run(location, True)
    autograd.backward(outs, [nd.array(heads[k], ctx=ctx, dtype=o.dtype)
                             for k, o in enumerate(outs)])
    analytic = [xs[i].grad.asnumpy() for i in grad_nodes]

    def f_sub(sub):
        full = list(location)
        for j, i in enumerate(grad_nodes):
            full[i] = sub[j]
        return scalar(full)

    numeric = numeric_grad(f_sub, [location[i] for i in grad_nodes], numeric_eps)
    for i, a, n in zip(grad_nodes, analytic, numeric):
        assert_almost_equal(a, n, rtol=rtol, atol=atol,
                            names=(f'autograd d/d input {i}', f'numeric d/d input {i}'))


def rand_ndarray(shape, dtype='float32', ctx=None, low=-1.0, high=1.0):
    """A uniformly random NDArray (drawn with numpy's global generator)."""
    from . import ndarray as nd
    return nd.array(np.random.uniform(low, high, size=shape), ctx=ctx, dtype=dtype)


def same(a, b):
    return np.array_equal(_to_numpy(a), _to_numpy(b))


__all__ = ['assert_almost_equal', 'almost_equal', 'check_numeric_gradient', 'numeric_grad',
           'list_gpus', 'default_context', 'rand_ndarray', 'same', 'gpu', 'cpu']
