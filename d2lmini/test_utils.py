"""Tools for testing code written with d2lmini (and d2lmini itself), after
``mxnet.test_utils``: comparing arrays with tolerances that follow their dtypes,
random inputs, checking gradients numerically, and checking a Symbol's forward and
backward against expected values.

>>> import numpy as np
>>> import d2lmini as mx
>>> x = mx.sym.var('x')
>>> a = np.array([[-1.0, 2.0]])
>>> _ = check_symbolic_forward(mx.sym.relu(x), [a], [np.maximum(a, 0)])
"""
import contextlib
import functools
import logging
import math
import numbers
import os
import sys

import numpy as np

from . import autograd, backend
from .context import Context, cpu, current_context, gpu, num_gpus


def _to_numpy(a):
    if hasattr(a, 'asnumpy'):
        return a.asnumpy()
    return np.asarray(backend.to_host(a) if hasattr(a, 'get') else a)


def default_context():
    """The context tests run on: the current default context (``cpu(0)`` unless
    :func:`set_default_context` or a ``with ctx:`` block says otherwise)."""
    return current_context()


def set_default_context(ctx):
    """Make ``ctx`` the default context (for arrays created without ``ctx=``).

    >>> import d2lmini as mx
    >>> set_default_context(mx.cpu(0)); default_context()
    cpu(0)
    """
    Context._default.value = ctx


def default_dtype():
    """The dtype of random test data: float32."""
    return np.float32


# MXNet's default tolerances per dtype
_RTOLS = {'float16': 1e-2, 'float32': 1e-4, 'float64': 1e-5}
_ATOLS = {'float16': 1e-1, 'float32': 1e-3, 'float64': 1e-20}


def default_rtols():
    """The relative tolerance of comparisons for each dtype (0 for integers and bools)."""
    return _tol_table(_RTOLS)


def default_atols():
    """The absolute tolerance of comparisons for each dtype (0 for integers and bools)."""
    return _tol_table(_ATOLS)


def _tol_table(floats):
    table = {np.dtype(k): v for k, v in floats.items()}
    for k in ('bool', 'int8', 'uint8', 'int32', 'uint32', 'int64', 'uint64'):
        table[np.dtype(k)] = 0
    return table


def get_tolerance(dat, tol, default_tol):
    """The tolerance for comparing ``dat``: ``tol`` when it is a number, else the entry
    for ``dat``'s dtype in the dict ``tol`` or, failing that, in ``default_tol``.

    >>> get_tolerance(np.zeros(2, np.float16), None, default_rtols())
    0.01
    """
    if isinstance(tol, numbers.Number):
        return tol
    dtype = np.dtype(dat.dtype)
    tol = {} if tol is None else tol
    return tol.get(dtype, default_tol[dtype])


def get_tols(x, y, rtol, atol):
    """``(rtol, atol)`` for comparing ``x`` and ``y``: the looser default of the two
    dtypes, unless given."""
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    return (max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
            max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())))


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol``, or the default relative tolerance of ``dtype`` (float64: 1e-5)."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol``, or the default absolute tolerance of ``dtype`` (float64: 1e-20)."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def default_numeric_eps():
    """The step of central differences for each floating dtype."""
    return {np.dtype(np.float16): 1.0 / 2 ** 6, np.dtype(np.float32): 1.0 / 2 ** 9,
            np.dtype(np.float64): 1.0 / 2 ** 14}


def list_gpus():
    """The ids of the GPUs that can be used: ``range(num_gpus())``."""
    return range(num_gpus())


def assert_almost_equal(a, b, rtol=None, atol=None, names=('a', 'b'), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Raise an AssertionError naming the worst element when ``a`` and ``b`` (NDArrays,
    numpy arrays or numbers) differ by more than ``atol + rtol * |b|``. Shapes that
    broadcast against each other are compared element by element, as in MXNet
    (``use_broadcast=False`` requires equal shapes). The default tolerances follow the
    dtypes (float32: ``rtol=1e-4, atol=1e-3``; float64: ``1e-5, 1e-20``; integers: exact).

    >>> import d2lmini as mx
    >>> assert_almost_equal(mx.nd.array([1, 2]), np.array([1, 2.0000001], np.float32))
    >>> assert_almost_equal(np.ones((2, 3)), np.ones(3))       # broadcasts
    """
    rtol, atol = get_tols(_dtype_of(a), _dtype_of(b), rtol, atol)
    a, b = _to_numpy(a), _to_numpy(b)
    if not use_broadcast and a.shape != b.shape:
        raise AssertionError(f'shapes differ: {names[0]} {a.shape}, {names[1]} {b.shape}')
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise AssertionError(f'shapes differ: {names[0]} {a.shape}, {names[1]} {b.shape}') \
            from None
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    rel = diff / (atol + rtol * np.abs(b.astype(np.float64)))
    if equal_nan:
        rel = np.where(np.isnan(a) & np.isnan(b), 0, rel)
    rel = np.where(np.isnan(rel), np.inf, rel)
    idx = np.unravel_index(np.argmax(rel), rel.shape) if rel.size else ()
    raise AssertionError(
        f'arrays differ (rtol={rtol}, atol={atol}): worst at index {idx}: '
        f'{names[0]}={a[idx]!r}, {names[1]}={b[idx]!r}; '
        f'{int((rel > 1).sum())} of {a.size} elements out of tolerance')


def _dtype_of(x):
    """Something with the dtype of ``x`` (for the tolerances), without copying it."""
    if isinstance(x, numbers.Number):
        return np.array(x)
    if hasattr(x, 'dtype'):
        return np.empty(0, dtype=x.dtype)
    return np.asarray(x)


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Whether ``a`` and ``b`` are equal within the tolerances (see
    :func:`assert_almost_equal`).

    >>> almost_equal(np.array([1.0]), np.array([1.0 + 1e-9]))
    True
    """
    try:
        assert_almost_equal(a, b, rtol, atol, equal_nan=equal_nan, use_broadcast=use_broadcast)
        return True
    except AssertionError:
        return False


def same(a, b):
    """Whether ``a`` and ``b`` are exactly equal (same shape, same values).

    >>> same(np.array([1, 2]), np.array([1, 2]))
    True
    """
    return np.array_equal(_to_numpy(a), _to_numpy(b))


def assert_exception(f, exception_type, *args, **kwargs):
    """Check that ``f(*args, **kwargs)`` raises ``exception_type``.

    >>> assert_exception(int, ValueError, 'not a number')
    """
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f'{getattr(f, "__name__", f)!s} did not raise '
                         f'{exception_type.__name__}')


def retry(n):
    """A decorator for tests of random draws: run the test up to ``n`` times, until
    it passes; the last ``AssertionError`` is raised.

    >>> tries = []
    >>> @retry(3)
    ... def flaky():
    ...     tries.append(1)
    ...     assert len(tries) == 2
    >>> flaky(); len(tries)
    2
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f'retry: n must be a positive integer, not {n!r}')

    def decorate(test):
        @functools.wraps(test)
        def run(*args, **kwargs):
            for attempt in range(n):
                try:
                    return test(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
        return run
    return decorate


@contextlib.contextmanager
def environment(*args):
    """Set environment variables for the body of a ``with`` block and restore them
    after it, even when it raises: ``environment('NAME', 'value')`` or
    ``environment({'NAME': 'value', ...})``; a value of None unsets the variable.

    >>> with environment('D2LMINI_DEMO_VAR', '1'):
    ...     os.environ['D2LMINI_DEMO_VAR']
    '1'
    >>> 'D2LMINI_DEMO_VAR' in os.environ
    False
    """
    if len(args) == 1 and isinstance(args[0], dict):
        env = dict(args[0])
    elif len(args) == 2:
        env = {args[0]: args[1]}
    else:
        raise ValueError('environment() takes one dict, or a name and a value')

    def apply(values):
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)
    saved = {name: os.environ.get(name) for name in env}
    apply(env)
    try:
        yield
    finally:
        apply(saved)



class EnvManager:
    """Set one environment variable for the body of a ``with`` block and restore its
    previous state after it, as MXNet 1.x's ``test_utils.EnvManager`` does (the older
    spelling of :func:`environment`).

    >>> with EnvManager('D2LMINI_DEMO_VAR', '1'):
    ...     os.environ['D2LMINI_DEMO_VAR']
    '1'
    >>> 'D2LMINI_DEMO_VAR' in os.environ
    False
    """

    def __init__(self, key, val):
        self._key = key
        self._next_val = val
        self._prev_val = None

    def __enter__(self):
        self._prev_val = os.environ.get(self._key)
        os.environ[self._key] = str(self._next_val)
        return self

    def __exit__(self, ptype, value, trace):
        # unlike MXNet 1.x, a variable that was set to '' before is restored to ''
        # rather than removed
        if self._prev_val is None:
            os.environ.pop(self._key, None)
        else:
            os.environ[self._key] = self._prev_val


def set_env_var(key, val, default_val=''):
    """Set environment variable ``key`` to ``val`` and return its value before, or
    ``default_val`` when it was not set, as MXNet 1.x's ``test_utils.set_env_var`` does.

    >>> set_env_var('D2LMINI_DEMO_VAR', '1', 'unset')
    'unset'
    >>> set_env_var('D2LMINI_DEMO_VAR', '2')
    '1'
    >>> del os.environ['D2LMINI_DEMO_VAR']
    """
    previous = os.environ.get(key, default_val)
    os.environ[key] = val
    return previous


def numeric_grad(f, inputs, eps=1e-4):
    """Central-difference gradients of scalar function ``f(list of numpy arrays)``:
    ``(f(x + eps) - f(x - eps)) / (2 eps)`` per element.

    >>> [g.round(6).tolist() for g in numeric_grad(lambda xs: float((xs[0] ** 2).sum()),
    ...                                             [np.array([1.0, -2.0])])]
    [[2.0, -4.0]]
    """
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


def check_numeric_gradient(sym, location, *args, **kwargs):
    """Compare computed gradients with central differences. Two forms:

    * MXNet's, for a Symbol: ``check_numeric_gradient(sym, location, aux_states=None,
      numeric_eps=None, rtol=None, atol=None, grad_nodes=None, use_forward_train=True,
      ctx=None, grad_stype_dict=None, dtype=np.float32)``, where ``location`` lists
      the arguments' values (numpy arrays or NDArrays) in ``sym.list_arguments()``
      order, or maps their names to values; the outputs are projected on a random
      direction and the executor's backward is checked;
    * for a Python function of NDArrays: ``check_numeric_gradient(fn, location,
      numeric_eps=1e-4, rtol=1e-3, atol=1e-5, grad_nodes=None, ctx=None,
      dtype=np.float64, head_grads=None, train_mode=True, seed=None)``, checked
      through autograd (described below).

    >>> import d2lmini as mx
    >>> check_numeric_gradient(mx.sym.exp(mx.sym.var('x')), [np.array([0.5, -1.0])],
    ...                        dtype=np.float64)
    """
    from .symbol import Symbol
    if isinstance(sym, Symbol):
        return _check_numeric_gradient_symbol(sym, location, *args, **kwargs)
    return _check_numeric_gradient_fn(sym, location, *args, **kwargs)


def _check_numeric_gradient_fn(fn, location, numeric_eps=1e-4, rtol=1e-3, atol=1e-5,
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


def _check_numeric_gradient_symbol(sym, location, aux_states=None, numeric_eps=None,
                                   rtol=None, atol=None, grad_nodes=None,
                                   use_forward_train=True, ctx=None, grad_stype_dict=None,
                                   dtype=np.float32):
    from . import ndarray as nd
    ctx = ctx or default_context()
    dtype = np.dtype(dtype)
    location = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    if grad_nodes is None:
        grad_req = {k: 'write' for k in sym.list_arguments()}
    elif isinstance(grad_nodes, dict):
        grad_req = dict(grad_nodes)
    else:
        grad_req = {k: 'write' for k in grad_nodes}
    checked = [k for k, r in grad_req.items() if r != 'null']
    start = {k: v.asnumpy() for k, v in location.items()}
    aux_start = {k: v.asnumpy() for k, v in (aux or {}).items()}
    exe = sym.bind(ctx, location, args_grad={k: nd.zeros(location[k].shape, ctx, dtype=dtype)
                                             for k in checked},
                   grad_req={k: ('write' if k in checked else 'null') for k in location},
                   aux_states=aux)
    rs = np.random.RandomState(1234)

    def run(values, is_train):
        for k, v in values.items():
            exe.arg_dict[k][:] = v
        for k, v in aux_start.items():   # a forward may move the running statistics
            exe.aux_dict[k][:] = v
        return exe.forward(is_train=is_train)

    outs = run(start, True)
    proj = [rs.rand(*o.shape) + 0.1 for o in outs]
    exe.backward([nd.array(p, ctx, dtype=o.dtype) for p, o in zip(proj, outs)])
    analytic = {k: exe.grad_dict[k].asnumpy() for k in checked}
    eps = get_tolerance(np.empty(0, dtype), numeric_eps, default_numeric_eps())

    def scalar(values):
        outs = run(values, use_forward_train)
        return sum(float((o.asnumpy().astype(np.float64) * p).sum()) for o, p in zip(outs, proj))

    for name in checked:
        def f(sub, name=name):
            return scalar(dict(start, **{name: sub[0].astype(dtype)}))
        # MXNet's steps: eps/2 either side, the difference divided by eps
        numeric = numeric_grad(f, [start[name].astype(np.float64)], eps / 2)[0]
        assert_almost_equal(numeric.astype(dtype), analytic[name], rtol, atol,
                            (f'NUMERICAL_{name}', f'BACKWARD_{name}'))


def _parse_location(sym, location, ctx, dtype):
    """The arguments' values as a dict of NDArrays of ``dtype``, from a list in
    ``sym.list_arguments()`` order or a dict."""
    from . import ndarray as nd
    names = sym.list_arguments()
    if isinstance(location, dict):
        if set(location) != set(names):
            raise ValueError(f'location names {sorted(location)} differ from the symbol\'s '
                             f'arguments {names}')
    else:
        if len(location) != len(names):
            raise ValueError(f'location has {len(location)} values but the symbol has '
                             f'{len(names)} arguments {names}')
        location = dict(zip(names, location))
    return {k: _as_ndarray(v, ctx, dtype) for k, v in location.items()}


def _as_ndarray(value, ctx, dtype):
    """``value`` (numpy array, NDArray or list) as an NDArray on ``ctx``. ``dtype``
    is a numpy dtype, or ``'asnumpy'`` to keep each value's own dtype, as MXNet's
    checkers accept."""
    from . import ndarray as nd
    value = _to_numpy(value)
    if isinstance(dtype, str) and dtype == 'asnumpy':
        return nd.array(value, ctx=ctx, dtype=value.dtype)
    return nd.array(value, ctx=ctx, dtype=dtype)


def _as_dtype_or_asnumpy(dtype):
    """``np.dtype(dtype)``, except that the string ``'asnumpy'`` is passed through."""
    if isinstance(dtype, str) and dtype == 'asnumpy':
        return dtype
    return np.dtype(dtype)


def _parse_aux_states(sym, aux_states, ctx, dtype):
    from . import ndarray as nd
    names = sym.list_auxiliary_states()
    if aux_states is None:
        return None
    if not isinstance(aux_states, dict):
        if len(aux_states) != len(names):
            raise ValueError(f'aux_states has {len(aux_states)} values; the symbol has '
                             f'{names}')
        aux_states = dict(zip(names, aux_states))
    return {k: _as_ndarray(v, ctx, dtype) for k, v in aux_states.items()}


def _expected_list(expected, names, what):
    if isinstance(expected, dict):
        return [expected[n] for n in names]
    if len(expected) != len(names):
        raise ValueError(f'{what}: {len(expected)} expected values for {len(names)} '
                         f'({names})')
    return list(expected)


def check_symbolic_forward(sym, location, expected, rtol=None, atol=None, aux_states=None,
                           ctx=None, equal_nan=False, dtype=np.float32):
    """Run ``sym`` forward (not training) on ``location`` (a list in
    ``sym.list_arguments()`` order, or a dict) and compare each output with
    ``expected`` (a list, or a dict by output name). Returns the outputs (NDArrays,
    as MXNet's returns the executor's).

    >>> import d2lmini as mx
    >>> a, b = mx.sym.var('a'), mx.sym.var('b')
    >>> outs = check_symbolic_forward(a * b, [np.array([2.0]), np.array([3.0])], [np.array([6.0])])
    >>> outs[0].asnumpy().tolist()
    [6.0]
    """
    ctx = ctx or default_context()
    dtype = _as_dtype_or_asnumpy(dtype)
    location = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    exe = sym.bind(ctx, location, grad_req='null', aux_states=aux)
    outputs = exe.forward(is_train=False)
    expected = _expected_list(expected, sym.list_outputs(), 'check_symbolic_forward')
    for name, want, got in zip(sym.list_outputs(), expected, outputs):
        assert_almost_equal(want, got.asnumpy(), rtol, atol,
                            (f'EXPECTED_{name}', f'FORWARD_{name}'), equal_nan=equal_nan)
    return outputs


def check_symbolic_backward(sym, location, out_grads, expected, rtol=None, atol=None,
                            aux_states=None, grad_req='write', ctx=None, grad_stypes=None,
                            equal_nan=False, dtype=np.float32):
    """Run ``sym`` forward (training) and backward with the output gradients
    ``out_grads``, and compare the arguments' gradients with ``expected`` (a list in
    ``sym.list_arguments()`` order, or a dict; with ``grad_req='add'`` the gradient
    is checked as added to what the gradient array held). Returns the gradients, a
    dict of NDArrays by argument name (as MXNet's).

    >>> import d2lmini as mx
    >>> x = mx.sym.var('x')
    >>> a = np.array([[-1.0, 2.0]])
    >>> g = check_symbolic_backward(mx.sym.relu(x), [a], [np.ones((1, 2))], [np.array([[0, 1.0]])])
    >>> g['x'].asnumpy().tolist()
    [[0.0, 1.0]]
    """
    from . import ndarray as nd
    ctx = ctx or default_context()
    dtype = _as_dtype_or_asnumpy(dtype)
    location = _parse_location(sym, location, ctx, dtype)
    aux = _parse_aux_states(sym, aux_states, ctx, dtype)
    names = sym.list_arguments()
    if isinstance(grad_req, str):
        grad_req = {k: grad_req for k in names}
    elif isinstance(grad_req, (list, tuple)):
        grad_req = dict(zip(names, grad_req))
    expected = dict(zip(names, _expected_list(expected, names, 'check_symbolic_backward'))) \
        if not isinstance(expected, dict) else expected
    rs = np.random.RandomState(0)
    start = {k: rs.normal(size=location[k].shape) for k in names}
    # with dtype='asnumpy' each gradient takes the dtype of its argument
    args_grad = {k: nd.array(start[k], ctx=ctx, dtype=location[k].dtype) for k in names}
    exe = sym.bind(ctx, location, args_grad=args_grad, grad_req=grad_req, aux_states=aux)
    exe.forward(is_train=True)
    if isinstance(out_grads, dict):
        out_grads = [out_grads[n] for n in sym.list_outputs()]
    exe.backward([nd.array(_to_numpy(g), ctx=ctx, dtype=o.dtype)
                  for g, o in zip(out_grads, exe.outputs)])
    grads = {k: exe.grad_dict[k] for k in names if grad_req[k] != 'null'}
    for name, want in expected.items():
        if want is None or grad_req.get(name) == 'null':
            continue
        got = grads[name].asnumpy()
        if grad_req[name] == 'add':
            got = got - start[name].astype(location[name].dtype)
        assert_almost_equal(want, got, rtol, atol, (f'EXPECTED_{name}', f'BACKWARD_{name}'),
                            equal_nan=equal_nan)
    return grads


def check_consistency(sym, ctx_list, scale=1.0, grad_req='write', arg_params=None,
                      aux_params=None, tol=None, raise_on_err=True, ground_truth=None,
                      equal_nan=False, use_uniform=False, rand_type=np.float64):
    """Run ``sym`` (or a list of symbols, one per entry) forward and backward on
    every entry of ``ctx_list`` and check that the results agree with those of the
    most precise dtype. Each entry is a dict: ``{'ctx': mx.cpu(0), 'data': (2, 3),
    'type_dict': {'data': np.float32}}`` (the argument shapes by name, and their
    dtypes). On a machine without a GPU the list holds CPU contexts. Returns the
    ground truth: a dict of numpy arrays of the outputs and gradients.

    >>> import d2lmini as mx
    >>> x = mx.sym.var('x')
    >>> gt = check_consistency(mx.sym.tanh(x, name='y'), [{'ctx': mx.cpu(0), 'x': (2, 3),
    ...                                          'type_dict': {'x': np.float64}},
    ...                                         {'ctx': mx.cpu(0), 'x': (2, 3),
    ...                                          'type_dict': {'x': np.float32}}])
    >>> sorted(gt)
    ['x', 'y_output']
    """
    from . import ndarray as nd
    if tol is None:
        tol = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
               np.dtype(np.float64): 1e-5, np.dtype(np.uint8): 0, np.dtype(np.int32): 0,
               np.dtype(np.int64): 0}
    elif isinstance(tol, numbers.Number):
        tol = {np.dtype(t): tol for t in (np.float16, np.float32, np.float64, np.uint8,
                                          np.int32, np.int64)}
    syms = list(sym) if isinstance(sym, (list, tuple)) else [sym] * len(ctx_list)
    if len(syms) != len(ctx_list):
        raise ValueError('check_consistency: one symbol per entry of ctx_list')
    names = syms[0].list_arguments()
    outputs_names = syms[0].list_outputs()
    exes = []
    for s, spec in zip(syms, ctx_list):
        spec = dict(spec)
        ctx = spec.pop('ctx')
        types = {k: np.dtype(v) for k, v in spec.pop('type_dict', {}).items()}
        exes.append(s.simple_bind(ctx, grad_req=grad_req, type_dict=types, **spec))
    arg_params = {} if arg_params is None else dict(arg_params)
    aux_params = {} if aux_params is None else dict(aux_params)
    for n, arr in exes[0].arg_dict.items():
        if n not in arg_params:
            arg_params[n] = (np.random.uniform(-0.1, 0.1, arr.shape) if use_uniform
                             else np.random.normal(size=arr.shape)).astype(rand_type) * scale
    for n, arr in exes[0].aux_dict.items():
        aux_params.setdefault(n, np.zeros(arr.shape, rand_type))
    for e in exes:
        for n, arr in e.arg_dict.items():
            arr[:] = arg_params[n].astype(arr.dtype)
        for n, arr in e.aux_dict.items():
            arr[:] = aux_params[n].astype(arr.dtype)
    results = []
    head = None
    for e in exes:
        outs = e.forward(is_train=True)
        if head is None:
            head = [np.random.normal(size=o.shape) for o in outs]
        if grad_req != 'null':
            e.backward([nd.array(h, ctx=o.context, dtype=o.dtype) for h, o in zip(head, outs)])
        res = {f'{n}': o.asnumpy() for n, o in zip(outputs_names, outs)}
        if grad_req != 'null':
            res.update((n, g.asnumpy()) for n, g in e.grad_dict.items() if g is not None)
        results.append(res)
    dtypes = [np.dtype(next(iter(e.arg_dict.values())).dtype) for e in exes]
    best = max(range(len(exes)), key=lambda i: dtypes[i].itemsize)
    gt = ground_truth if ground_truth is not None else results[best]
    for i, res in enumerate(results):
        if i == best and ground_truth is None:
            continue
        t = tol[dtypes[i]]
        for name, value in res.items():
            try:
                assert_almost_equal(value, gt[name], rtol=t, atol=t, equal_nan=equal_nan,
                                    names=(f'ctx {i} {name}', f'ground truth {name}'))
            except AssertionError:
                if raise_on_err:
                    raise
                print(f'check_consistency: ctx_list entry {i} ({name}) differs')
    return gt


def random_arrays(*shapes):
    """Standard-normal numpy arrays of the given shapes, float32 (one array for one
    shape, else a list).

    >>> random_arrays((2, 3)).shape, len(random_arrays((1,), (2,)))
    ((2, 3), 2)
    """
    arrays = [np.array(np.random.randn(), dtype=default_dtype()) if len(s) == 0
              else np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes, low=0.0, high=1.0, dtype=None):
    """A list of numpy arrays of the given shapes, uniform in ``[low, high)``, of
    ``dtype`` (float32 by default).

    >>> [a.shape for a in random_uniform_arrays((2,), (3, 1), low=-1, high=1)]
    [(2,), (3, 1)]
    """
    return [np.random.uniform(low, high, size=s).astype(dtype or default_dtype())
            for s in shapes]


# numpy's random module, under the short name MXNet's tests use
rnd = np.random


def effective_dtype(dat):
    """The dtype that sets the tolerance of comparisons with ``dat``: its own.
    (On GPUs that multiply float32 at TensorFloat-32 precision MXNet answers float16;
    d2lmini's GPU products are full float32.)"""
    return np.dtype(dat.dtype)


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """:func:`assert_almost_equal` with numpy's defaults for ``assert_allclose``."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


@contextlib.contextmanager
def discard_stderr():
    """Silence what the code inside writes to standard error (file descriptor 2,
    so output from C libraries too)."""
    with open(os.devnull, 'w') as sink:
        try:
            fd = sys.stderr.fileno()
        except (AttributeError, ValueError, OSError):  # not a real file (captured)
            yield
            return
        saved = os.dup(fd)
        try:
            sys.stderr.flush()
            os.dup2(sink.fileno(), fd)
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Download ``url`` to ``dirname/fname`` (the URL's file name, in the current
    folder, by default) and return the path; an existing file is kept unless
    ``overwrite``. (The downloader of :mod:`d2lmini.download`: atomic, with retries.)"""
    from .download import download as _download
    fname = fname or url.split('/')[-1]
    if dirname:
        os.makedirs(dirname, exist_ok=True)
        fname = os.path.join(dirname, fname)
    return _download(url, path=fname, overwrite=overwrite, retries=retries)


def rand_ndarray(shape, stype='default', density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None, low=None, high=None):
    """A random NDArray of ``shape``: standard-normal draws from numpy's global
    generator (as MXNet's), or uniform on ``[low, high)`` when those are given;
    ``modifier_func`` is applied to the numpy values first. With ``stype``
    'row_sparse' or 'csr', a sparse array (see :func:`rand_sparse_ndarray`).

    >>> rand_ndarray((2, 3)).shape, rand_ndarray((2,), dtype='float64').dtype.__name__
    ((2, 3), 'float64')
    >>> rand_ndarray((4, 3), 'csr', density=0.5).stype
    'csr'
    """
    from . import ndarray as nd
    if stype != 'default':
        return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype,
                                   modifier_func=modifier_func,
                                   shuffle_csr_indices=shuffle_csr_indices,
                                   distribution=distribution, ctx=ctx)[0]
    if low is not None or high is not None:
        values = np.random.uniform(-1.0 if low is None else low, 1.0 if high is None else high,
                                   size=shape)
    else:
        values = random_arrays(shape)
    if modifier_func is not None:
        values = modifier_func(values)
    return nd.array(values, ctx=ctx, dtype=np.float32 if dtype is None else dtype)


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, distribution=None,
                        data_init=None, rsp_indices=None, modifier_func=None,
                        shuffle_csr_indices=False, ctx=None):
    """A random sparse array and its parts as numpy arrays: ``(array, (data,
    indices))`` for 'row_sparse', ``(array, (data, indices, indptr))`` for 'csr'.

    ``density`` (drawn uniformly from [0, 1) when None) is the chance that a row
    (row sparse) or an entry (CSR) is stored; ``rsp_indices`` chooses the stored rows
    instead. Stored values are uniform on [0, 1), or ``data_init``; then
    ``modifier_func`` maps them. ``distribution`` may be 'uniform' (the default) or
    'powerlaw' (CSR: row ``i`` stores about twice as many entries as row ``i - 1``).

    >>> a, (data, indices) = rand_sparse_ndarray((5, 2), 'row_sparse', density=1.0)
    >>> indices.tolist(), a.data.shape
    ([0, 1, 2, 3, 4], (5, 2))
    """
    from .ndarray import sparse
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    density = np.random.rand() if density is None else density
    if not 0 <= density <= 1:
        raise ValueError(f'rand_sparse_ndarray: density must be in [0, 1], not {density}')

    def values(n):
        v = (np.full(n, data_init, dtype=np.float64) if data_init is not None
             else np.random.uniform(size=n))
        # as MXNet: modifier_func maps one value at a time (see assign_each)
        return (assign_each(v, modifier_func) if modifier_func is not None else v
                ).astype(dtype)

    if stype == 'row_sparse':
        if rsp_indices is not None:
            indices = np.unique(np.asarray(rsp_indices, np.int64))
        else:
            indices = np.nonzero(np.random.rand(shape[0]) < density)[0].astype(np.int64)
        data = values((len(indices),) + tuple(shape[1:]))
        return sparse.row_sparse_array((data, indices), shape=shape, ctx=ctx,
                                       dtype=dtype), (data, indices)
    if stype != 'csr':
        raise ValueError(f"rand_sparse_ndarray: stype must be 'row_sparse' or 'csr', not "
                         f'{stype!r}')
    if len(shape) != 2:
        raise ValueError(f'rand_sparse_ndarray: a CSR matrix is 2-D, not of shape {shape}')
    rows, cols = shape
    if distribution in (None, 'uniform'):
        mask = np.random.rand(rows, cols) < density
    elif distribution == 'powerlaw':
        return _powerlaw_csr(rows, cols, density, dtype, data_init, modifier_func, ctx)
    else:
        raise ValueError(f"rand_sparse_ndarray: distribution must be 'uniform' or "
                         f"'powerlaw', not {distribution!r}")
    indptr = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int64)
    indices = np.nonzero(mask)[1].astype(np.int64)
    data = values(len(indices))
    if shuffle_csr_indices:      # the order of columns within each row, scrambled
        for i in range(rows):
            np.random.shuffle(indices[indptr[i]:indptr[i + 1]])
    arr = sparse._make('csr', (data, indices, indptr), shape, dtype,
                       ctx if ctx is not None else current_context())
    return arr, (data, indices, indptr)


def _powerlaw_row_counts(rows, cols, density):
    """How many values each row of MXNet's 'powerlaw' CSR matrix stores, filled as
    MXNet's test_utils fills them: ``int(rows * cols * density)`` values, first one
    at the start of every row, then rows 0, 1, 2, ... up to 2, 4, 8, ... values (a
    row that would reach the width is filled whole and the doubling pauses), until
    the values run out."""
    total = int(rows * cols * density)
    if total < 2 * rows:
        raise ValueError(f"rand_sparse_ndarray: the 'powerlaw' distribution needs "
                         f'rows * cols * density >= 2 * rows, not {rows} * {cols} * '
                         f'{density}')
    counts = np.ones(rows, np.int64)
    left = total - rows
    limit = 2
    for row in range(rows):
        if left <= 0:
            break
        width = min(cols, limit)
        if width == cols and left > width:
            counts[row] = cols
            left -= cols - 1
            continue
        extra = min(width - 1, left)
        counts[row] = 1 + extra
        left -= extra
        limit *= 2
    if left > 0:
        raise ValueError(f"rand_sparse_ndarray: the 'powerlaw' distribution cannot place "
                         f'density {density} in a matrix of shape ({rows}, {cols})')
    return counts


def _powerlaw_csr(rows, cols, density, dtype, data_init, modifier_func, ctx):
    """A CSR matrix whose row ``i`` stores its first ``counts[i]`` columns (see
    :func:`_powerlaw_row_counts`), and its parts ``(data, indices, indptr)``."""
    from .ndarray import sparse
    counts = _powerlaw_row_counts(rows, cols, density)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    indices = np.concatenate([np.arange(k) for k in counts]).astype(np.int64)
    if data_init is not None:
        data = np.full(len(indices), data_init, dtype=np.float64)
    else:               # as MXNet: values in (1, 3), never zero
        data = 1 + np.random.uniform(0.001, 2, size=len(indices))
    data = (assign_each(data, modifier_func) if modifier_func is not None else data
            ).astype(dtype)
    arr = sparse._make('csr', (data, indices, indptr), (rows, cols), dtype,
                       ctx if ctx is not None else current_context())
    return arr, (data, indices, indptr)


def assign_each(the_input, function):
    """``function`` applied to every element of the numpy array ``the_input``, one
    by one (a float64 array; a copy when ``function`` is None).

    >>> assign_each(np.array([1, -2]), abs).tolist()
    [1.0, 2.0]
    """
    if function is None:
        return np.array(the_input)
    flat = np.asarray(the_input).reshape(-1)
    return np.array([function(v) for v in flat], dtype=np.float64).reshape(
        np.shape(the_input))


def assign_each2(input1, input2, function):
    """``function(a, b)`` for every pair of elements of two numpy arrays of the same
    shape (a float64 array; a copy of ``input1`` when ``function`` is None).

    >>> assign_each2(np.array([1, 2]), np.array([3, 4]), max).tolist()
    [3.0, 4.0]
    """
    if function is None:
        return np.array(input1)
    if np.shape(input1) != np.shape(input2):
        raise ValueError(f'assign_each2: shapes {np.shape(input1)} and {np.shape(input2)} '
                         'differ')
    pairs = zip(np.asarray(input1).reshape(-1), np.asarray(input2).reshape(-1))
    return np.array([function(a, b) for a, b in pairs], dtype=np.float64).reshape(
        np.shape(input1))


def create_sparse_array(shape, stype, data_init=None, rsp_indices=None, dtype=None,
                        modifier_func=None, density=0.5, shuffle_csr_indices=False):
    """A random sparse array (see :func:`rand_sparse_ndarray`), without its parts."""
    return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype,
                               data_init=data_init, rsp_indices=rsp_indices,
                               modifier_func=modifier_func,
                               shuffle_csr_indices=shuffle_csr_indices)[0]


def create_sparse_array_zd(shape, stype, density, data_init=None, rsp_indices=None,
                           dtype=None, modifier_func=None, shuffle_csr_indices=False):
    """As :func:`create_sparse_array`, but a row-sparse array stores exactly the rows
    ``rsp_indices`` (none when it is None); ``density`` applies to CSR only."""
    if stype == 'row_sparse':
        rsp_indices = [] if rsp_indices is None else rsp_indices
        if len(rsp_indices) > shape[0]:
            raise ValueError(f'create_sparse_array_zd: {len(rsp_indices)} rows for an array '
                             f'of {shape[0]} rows')
    return create_sparse_array(shape, stype, data_init=data_init, rsp_indices=rsp_indices,
                               dtype=dtype, modifier_func=modifier_func, density=density,
                               shuffle_csr_indices=shuffle_csr_indices)


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-D shape, each length from 1 (0 with ``allow_zero_size``) to ``dim``.

    >>> len(rand_shape_2d())
    2
    """
    low = 0 if allow_zero_size else 1
    return np.random.randint(low, dim0 + 1), np.random.randint(low, dim1 + 1)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-D shape (see :func:`rand_shape_2d`)."""
    low = 0 if allow_zero_size else 1
    return (np.random.randint(low, dim0 + 1), np.random.randint(low, dim1 + 1),
            np.random.randint(low, dim2 + 1))


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random shape of ``num_dim`` axes, each of length at most ``dim``.

    >>> len(rand_shape_nd(4))
    4
    """
    low = 0 if allow_zero_size else 1
    return tuple(np.random.randint(low, dim + 1, size=num_dim))


def random_sample(population, k):
    """``k`` elements of the list ``population`` chosen at random (numpy's RNG), as
    ``mxnet.test_utils.random_sample`` does.

    >>> len(random_sample([4, 5, 6], 2))
    2
    """
    if not 0 <= k <= len(population):
        raise ValueError(f'random_sample: k={k} is not within 0..{len(population)}')
    shuffled = list(population)
    np.random.shuffle(shuffled)
    return shuffled[:k]


def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce the numpy array ``dat`` over ``axis`` (None, an int or a sequence of
    ints) with ``numpy_reduce_func`` (``np.sum``, ``np.max``, ...) one axis at a time,
    keeping the reduced axes as size 1 when ``keepdims``: the reference MXNet's tests
    compare reductions with.

    >>> np_reduce(np.ones((2, 3)), 1, True, np.sum).tolist()
    [[3.0], [3.0]]
    """
    if isinstance(axis, numbers.Integral):
        axis = [int(axis)]
    else:
        axis = list(axis) if axis is not None else list(range(dat.ndim))
    axis = [a % dat.ndim for a in axis]
    result = dat
    for a in sorted(axis, reverse=True):
        result = numpy_reduce_func(result, axis=a)
    if keepdims:
        kept = list(dat.shape)
        for a in axis:
            kept[a] = 1
        result = np.reshape(result, kept)
    return result


def _zero_nans_in_both(a, b):
    a = np.array(_to_numpy(a), copy=True)
    b = np.array(_to_numpy(b), copy=True)
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    return a, b


def almost_equal_ignore_nan(a, b, rtol=None, atol=None):
    """:func:`almost_equal`, treating positions where either array is NaN as equal.

    >>> almost_equal_ignore_nan(np.array([1.0, np.nan]), np.array([1.0, 5.0]))
    True
    """
    a, b = _zero_nans_in_both(a, b)
    return almost_equal(a, b, rtol, atol)


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=('a', 'b')):
    """:func:`assert_almost_equal`, treating positions where either array is NaN as
    equal."""
    a, b = _zero_nans_in_both(a, b)
    assert_almost_equal(a, b, rtol, atol, names)


# ---------------------------------------------------------------- more of MXNet's helpers
def get_etol(etol=None):
    """The share of elements allowed to be out of tolerance in
    :func:`assert_almost_equal_with_err`: ``etol``, or 0 by default.

    >>> get_etol(), get_etol(0.1)
    (0, 0.1)
    """
    return 0 if etol is None else etol


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=('a', 'b'),
                                 equal_nan=False, mismatches=(10, 10)):
    """:func:`assert_almost_equal`, except that up to a share ``etol`` of the elements
    may be out of tolerance (an error rate of exactly ``etol`` passes).

    >>> assert_almost_equal_with_err(np.zeros(10), np.eye(10)[3], etol=0.1)
    """
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol, atol, names, equal_nan, mismatches=mismatches)
        return
    rtol, atol = get_tols(_dtype_of(a), _dtype_of(b), rtol, atol)
    a, b = np.broadcast_arrays(_to_numpy(a), _to_numpy(b))
    close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    error_rate = 1.0 - close.mean() if close.size else 0.0
    if error_rate > etol:
        raise AssertionError(f'{names[0]} and {names[1]} differ in {error_rate:.2%} of their '
                             f'elements (rtol={rtol}, atol={atol}), more than etol={etol}')


def same_array(array1, array2):
    """Whether the NDArrays ``array1`` and ``array2`` (of the same shape) share their
    memory: a change written into the first shows in the second.

    >>> import d2lmini as mx
    >>> a = mx.nd.ones((2, 3))
    >>> same_array(a, a), same_array(a, a.copy())
    (True, False)
    """
    if array1.shape != array2.shape:
        return False
    saved = array1.copy()
    before = array2.asnumpy()
    array1[:] = saved + 1
    try:
        changed = not np.array_equal(array2.asnumpy(), before)
    finally:
        array1[:] = saved       # leave the values exactly as they were
    return changed


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """Assert that ``t1`` and ``t2`` (NDArrays, or nested tuples of them, with
    None where there is none, as optimizer states are) are almost equal."""
    if t1 is None or t2 is None:
        return
    if not isinstance(t1, tuple):
        assert_almost_equal(t1, t2, rtol, atol)
        return
    for part1, part2 in zip(t1, t2):
        compare_ndarray_tuple(part1, part2, rtol=rtol, atol=atol)


def compare_optimizer(opt1, opt2, shape, dtype, w_stype='default', g_stype='default',
                      rtol=1e-4, atol=1e-5, compare_states=True, ntensors=1):
    """Assert that optimizers ``opt1`` and ``opt2`` make the same update: both start
    from the same random weights of ``shape`` and ``dtype`` (with ``ntensors > 1``,
    ``shape`` is a list of shapes, updated together) and take one step with the same
    gradients; their states (when ``compare_states``) and new weights must agree.
    ``opt2`` gets them in storage ``w_stype`` and ``g_stype`` (a row-sparse gradient
    has about half its rows zero, and not stored).

    >>> import d2lmini as mx
    >>> compare_optimizer(mx.optimizer.SGD(learning_rate=0.1),
    ...                   mx.optimizer.SGD(learning_rate=0.1), (2, 3), np.float32)
    """
    from . import ndarray as nd
    shapes = [shape] if ntensors == 1 else list(shape)
    if len(shapes) != ntensors:
        raise ValueError(f'compare_optimizer: ntensors={ntensors} needs that many shapes, '
                         f'got {shapes}')
    weights = [np.random.uniform(size=s).astype(dtype) for s in shapes]
    grads = [np.random.uniform(-1, 1, size=s).astype(dtype) for s in shapes]
    if g_stype == 'row_sparse':   # about half the rows of a sparse gradient are zero
        for g in grads:
            g[np.random.rand(g.shape[0]) < 0.5] = 0
    results = []
    for opt, stypes in ((opt1, ('default', 'default')), (opt2, (w_stype, g_stype))):
        # as MXNet's: the first optimizer gets dense arrays, the second the storage types
        w = [nd.array(v, dtype=dtype).tostype(stypes[0]) for v in weights]
        g = [nd.array(v, dtype=dtype).tostype(stypes[1]) for v in grads]
        states = [opt.create_state_multi_precision(i, w[i]) for i in range(ntensors)]
        if ntensors == 1:
            opt.update_multi_precision(0, w[0], g[0], states[0])
        else:
            opt.update_multi_precision(list(range(ntensors)), w, g, states)
        results.append((w, states))
    (w1, states1), (w2, states2) = results
    if compare_states:
        for s1, s2 in zip(states1, states2):
            compare_ndarray_tuple(s1, s2, rtol=rtol, atol=atol)
    for a, b in zip(w1, w2):
        assert_almost_equal(a, b, rtol=rtol, atol=atol)


def same_symbol_structure(sym1, sym2):
    """Whether two Symbols are the same graph of operators: node for node, the same
    operator (names and attributes may differ).

    MXNet 1.9.1 compares only as many nodes as the first graph has, so a longer
    second graph passes; here graphs of different sizes are different.

    >>> import d2lmini as mx
    >>> a = mx.sym.relu(mx.sym.var('x'))
    >>> same_symbol_structure(a, mx.sym.relu(mx.sym.var('y')))
    True
    >>> same_symbol_structure(a, mx.sym.sigmoid(mx.sym.var('x')))
    False
    """
    import json
    nodes1 = json.loads(sym1.tojson())['nodes']
    nodes2 = json.loads(sym2.tojson())['nodes']
    return len(nodes1) == len(nodes2) and \
        all(n1['op'] == n2['op'] for n1, n2 in zip(nodes1, nodes2))


def collapse_sum_like(a, shape):
    """The numpy array ``a`` summed over the axes that ``shape`` broadcasts along, so
    that the result has ``shape``: the gradient of broadcasting to ``a.shape``.

    >>> collapse_sum_like(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    shape = tuple(shape)
    extra = a.ndim - len(shape)
    if extra < 0:
        raise ValueError(f'collapse_sum_like: shape {shape} has more axes than {a.shape}')
    axes = list(range(extra))
    for i, length in enumerate(shape):
        if length == 1 and a.shape[extra + i] != 1:
            axes.append(extra + i)
        elif length != a.shape[extra + i]:
            raise ValueError(f'collapse_sum_like: shape {shape} does not broadcast to '
                             f'{a.shape}')
    return a.sum(axis=tuple(axes)).reshape(shape) if axes else a.reshape(shape)


def create_vector(size, dtype=np.int64):
    """The NDArray ``[0, 1, ..., size - 1]`` of ``dtype``.

    >>> create_vector(3).asnumpy().tolist()
    [0, 1, 2]
    """
    from . import ndarray as nd
    return nd.array(np.arange(size), dtype=dtype)


def create_2d_tensor(rows, columns, dtype=np.int64):
    """An NDArray ``(rows, columns)`` of ``dtype`` whose row ``i`` holds ``i``.

    >>> create_2d_tensor(2, 3).asnumpy().tolist()
    [[0, 0, 0], [1, 1, 1]]
    """
    from . import ndarray as nd
    return nd.array(np.repeat(np.arange(rows)[:, None], columns, axis=1), dtype=dtype)


def get_identity_mat(size):
    """The identity matrix NDArray ``(size, size)``, float32."""
    from . import ndarray as nd
    return nd.array(np.eye(size))


def get_identity_mat_batch(size):
    """Two identity matrices stacked: an NDArray ``(2, size, size)``, float32."""
    from . import ndarray as nd
    return nd.array(np.stack([np.eye(size)] * 2))


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random point ``(x, y)`` of integers, ``x`` in ``[x_low, x_high)`` and ``y``
    in ``[y_low, y_high)`` (numpy's global generator).

    >>> x, y = rand_coord_2d(0, 10, 100, 110)
    >>> 0 <= x < 10 and 100 <= y < 110
    True
    """
    # x drawn first, then y, each as one int64 from numpy's global generator
    return tuple(int(np.random.randint(low, high, dtype=np.int64))
                 for low, high in ((x_low, x_high), (y_low, y_high)))


def new_orthonormal_matrix_2d(n):
    """A random ``n`` by ``n`` orthonormal matrix (numpy, float64), the Q of the QR
    decomposition of a random matrix.

    >>> q = new_orthonormal_matrix_2d(3)
    >>> np.allclose(q @ q.T, np.eye(3))
    True
    """
    q, r = np.linalg.qr(np.random.uniform(-10, 10, (n, n)))
    return q * np.sign(np.diag(r))     # fix the signs so that Q is uniformly random


def new_matrix_with_real_eigvals_2d(n):
    """A well-conditioned ``n`` by ``n`` matrix (numpy, float64) whose eigenvalues are
    real and small: ``Q D Q^-1`` for a random invertible Q and D in ``[2, 10]``.

    >>> bool(np.isreal(np.linalg.eigvals(new_matrix_with_real_eigvals_2d(4))).all())
    True
    """
    eigvals = np.diag(np.random.uniform(2, 10, n))
    basis = new_orthonormal_matrix_2d(n) + np.eye(n) * 0.5
    basis /= np.linalg.norm(basis, axis=0)
    return basis @ eigvals @ np.linalg.inv(basis)


def new_sym_matrix_with_real_eigvals_2d(n):
    """A random symmetric ``n`` by ``n`` matrix (numpy, float64), eigenvalues in
    ``[-10, 10]``.

    >>> m = new_sym_matrix_with_real_eigvals_2d(3)
    >>> np.allclose(m, m.T)
    True
    """
    q = new_orthonormal_matrix_2d(n)
    return q @ np.diag(np.random.uniform(-10, 10, n)) @ q.T


def _batch_of_matrices(shape, make):
    shape = tuple(shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f'need a shape (..., n, n) of square matrices, got {shape}')
    n = shape[-1]
    count = int(np.prod(shape[:-2], dtype=np.int64))
    return np.stack([make(n) for _ in range(count)]).reshape(shape) if count else \
        np.zeros(shape)


def new_matrix_with_real_eigvals_nd(shape):
    """Matrices as :func:`new_matrix_with_real_eigvals_2d`, of ``shape``
    ``(..., n, n)``."""
    return _batch_of_matrices(shape, new_matrix_with_real_eigvals_2d)


def new_sym_matrix_with_real_eigvals_nd(shape):
    """Matrices as :func:`new_sym_matrix_with_real_eigvals_2d`, of ``shape``
    ``(..., n, n)``."""
    return _batch_of_matrices(shape, new_sym_matrix_with_real_eigvals_2d)


def is_op_runnable():
    """Whether operators built for the current context can run: always, here (MXNet
    answers False for some TVM operators on old GPUs)."""
    return True


def has_tvm_ops():
    """Whether operators compiled with TVM exist: never in d2lmini."""
    return False


def is_cd_run():
    """Whether the tests run as a continuous-delivery job (``CD_JOB=1``)."""
    return os.environ.get('CD_JOB', '0') == '1'


class DummyIter:
    """An iterator that yields the first batch of ``real_iter`` again and again,
    without end (to time a model without the cost of reading data).

    >>> import d2lmini as mx
    >>> it = DummyIter(mx.io.NDArrayIter(np.arange(6).reshape(3, 2), batch_size=2))
    >>> it.next() is it.next(), it.provide_data[0].shape
    (True, (2, 2))
    """

    def __init__(self, real_iter):
        self.real_iter = real_iter
        # it describes its batches as the iterator it copies
        for attr in ('provide_data', 'provide_label', 'batch_size'):
            setattr(self, attr, getattr(real_iter, attr))
        self.the_batch = real_iter.next()

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self):
        """The same batch, every time."""
        return self.the_batch

    def reset(self):
        """Nothing to do: the batch never changes."""

    def iter_next(self):
        return True

    def getdata(self):
        return self.the_batch.data

    def getlabel(self):
        return self.the_batch.label

    def getindex(self):
        return self.the_batch.index

    def getpad(self):
        return self.the_batch.pad


def check_gluon_hybridize_consistency(net_builder, data_l, numpy_func=None, test_grad=True,
                                      rtol=1e-4, atol=1e-4):
    """Assert that a HybridBlock gives the same outputs (and, with ``test_grad``, the
    same gradients of its inputs and parameters) hybridized and not, and the same
    outputs as ``numpy_func`` when it is given.

    net_builder : makes the block; called as ``net_builder(prefix='net_')``, so that
        every copy has the same parameter names
    data_l : the inputs (NDArrays); the block must use no random numbers

    >>> import d2lmini as mx
    >>> check_gluon_hybridize_consistency(
    ...     lambda prefix: mx.gluon.nn.Dense(2, in_units=3, prefix=prefix),
    ...     [mx.nd.ones((4, 3))])
    """
    import tempfile
    from . import autograd as ag
    from . import ndarray as nd
    first = net_builder(prefix='net_')
    first.initialize()
    first(*[x.copy() for x in data_l])       # completes deferred initialisation
    results = []
    with tempfile.TemporaryDirectory() as folder:
        saved = os.path.join(folder, 'net.params')
        first.save_parameters(saved)
        out_grads = None
        for hybridize in (False, True):
            net = net_builder(prefix='net_')
            net.load_parameters(saved)
            if hybridize:
                net.hybridize()
            inputs = [x.copy() for x in data_l]
            for x in inputs:
                x.attach_grad()
            with ag.record():
                outs = net(*inputs)
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            if out_grads is None:
                out_grads = [nd.array(np.random.normal(size=o.shape), dtype=o.dtype)
                             for o in outs]
            grads = {}
            if test_grad:
                ag.backward(outs, out_grads)
                grads = {f'input {i}': x.grad.asnumpy() for i, x in enumerate(inputs)}
                for name, param in net.collect_params().items():
                    if param.grad_req != 'null':
                        grads[name] = param.grad().asnumpy()
            results.append(([o.asnumpy() for o in outs], grads))
    (outs0, grads0), (outs1, grads1) = results
    for i, (a, b) in enumerate(zip(outs0, outs1)):
        assert_almost_equal(a, b, rtol=rtol, atol=atol,
                            names=(f'output {i}', f'hybridized output {i}'))
    for name in grads0:
        assert_almost_equal(grads0[name], grads1[name], rtol=rtol, atol=atol,
                            names=(f'gradient of {name}', f'hybridized gradient of {name}'))
    if numpy_func is not None:
        expected = numpy_func(*[x.asnumpy() for x in data_l])
        expected = list(expected) if isinstance(expected, (list, tuple)) else [expected]
        for i, (got, want) in enumerate(zip(outs0, expected)):
            assert_almost_equal(got, want, rtol=rtol, atol=atol,
                                names=(f'output {i}', f'numpy_func output {i}'))


# ---------------------------------------------------------------- testing random numbers
def _upper_incomplete_gamma(a, x):
    """The regularised upper incomplete gamma function ``Q(a, x)``: a series below
    ``x = a + 1``, a continued fraction (modified Lentz) above it."""
    if x <= 0:
        return 1.0
    log_prefactor = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        denominator = a
        for _ in range(10000):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefactor))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return math.exp(log_prefactor) * h


def _chi_square_p_value(observed, expected):
    """The p value of Pearson's chi-square statistic, ``len - 1`` degrees of freedom."""
    observed = np.asarray(observed, np.float64)
    expected = np.asarray(expected, np.float64)
    statistic = float(((observed - expected) ** 2 / expected).sum())
    return _upper_incomplete_gamma((len(observed) - 1) / 2.0, statistic / 2.0)


def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """``nbuckets`` buckets of equal probability for :func:`chi_square_check`, cut
    by the quantile function ``ppf``: ``([(low, high), ...], [1/nbuckets, ...])``.

    >>> gen_buckets_probs_with_ppf(lambda q: 10 * q, 2)
    ([(0.0, 5.0), (5.0, 10.0)], [0.5, 0.5])
    """
    probs = [1.0 / nbuckets] * nbuckets
    edges = [ppf(i / nbuckets) for i in range(nbuckets + 1)]
    return list(zip(edges[:-1], edges[1:])), probs


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Pearson's chi-square test of ``generator`` (``generator(n)`` gives ``n``
    samples): ``(p value, observed counts, expected counts)``. ``buckets`` are
    ranges ``(low, high)`` (a sample counts where ``low <= x < high``) for a
    continuous distribution, or the possible values of a discrete one; ``probs`` are
    their probabilities. A p value above 0.05 is the usual pass.

    >>> np.random.seed(0)
    >>> p, observed, expected = chi_square_check(lambda n: np.random.randint(0, 2, n),
    ...                                          [0, 1], [0.5, 0.5], nsamples=1000)
    >>> bool(p > 0.05), expected.tolist()
    (True, [500, 500])
    """
    if len(buckets) != len(probs):
        raise ValueError(f'chi_square_check: {len(buckets)} buckets but {len(probs)} probs')
    samples = np.asarray(_to_numpy(generator(nsamples))).reshape(-1)
    if isinstance(buckets[0], (tuple, list)):
        observed = np.array([np.count_nonzero((samples >= low) & (samples < high))
                             for low, high in buckets])
    else:
        observed = np.array([np.count_nonzero(samples == value) for value in buckets])
    expected = (np.asarray(probs, np.float64) * nsamples).astype(np.int32)
    return _chi_square_p_value(observed, expected), observed, expected


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5,
                     success_rate=0.2, alpha=0.05):
    """Run :func:`chi_square_check` ``nrepeat`` times; raise AssertionError unless at
    least a share ``success_rate`` of the runs have a p value above ``alpha``.
    Returns the p values."""
    runs = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    p_values = [run[0] for run in runs]
    if np.mean(np.array(p_values) > alpha) < success_rate:
        raise AssertionError(f'Generator test fails, Chi-square p={p_values}, '
                             f'obs_freq={[run[1] for run in runs]}, '
                             f'expected_freq={[run[2] for run in runs]}')
    return p_values


def mean_check(generator, mu, sigma, nsamples=1000000):
    """Whether the mean of ``nsamples`` samples of ``generator`` lies within
    ``mu +- 3 sigma / sqrt(nsamples)``.

    >>> np.random.seed(0)
    >>> mean_check(lambda n: np.random.normal(0, 1, n), 0, 1, nsamples=10000)
    True
    """
    samples = np.asarray(_to_numpy(generator(nsamples)), np.float64)
    bound = 3 * sigma / np.sqrt(nsamples)
    return bool(mu - bound < samples.mean() < mu + bound)


def var_check(generator, sigma, nsamples=1000000):
    """Whether the variance of ``nsamples`` samples of ``generator`` lies within
    ``sigma^2 +- 3 sqrt(2 sigma^4 / (nsamples - 1))``.

    >>> np.random.seed(0)
    >>> var_check(lambda n: np.random.normal(0, 2, n), 2, nsamples=10000)
    True
    """
    samples = np.asarray(_to_numpy(generator(nsamples)), np.float64)
    bound = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(sigma ** 2 - bound < samples.var(ddof=1) < sigma ** 2 + bound)


# ---------------------------------------------------------------- data sets for tests
def _fetch(url, dirname, what):
    """``download(url)`` into ``dirname``; when it fails, say what to put where."""
    from .download import DownloadError
    try:
        return download(url, dirname=dirname)
    except (DownloadError, OSError) as err:
        place = os.path.join(dirname or '.', url.split('/')[-1])
        raise type(err)(f'{what} could not download {url} ({err}); without internet '
                        f'access, copy that file to {place}') from err


def _unzip(path, folder):
    import zipfile
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)


def get_mnist_ubyte():
    """MNIST's four IDX files in folder ``data`` (downloaded as ``data/mnist.zip``
    and unpacked, unless all four are already there)."""
    names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
             't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
    if all(os.path.isfile(os.path.join('data', n)) for n in names):
        return
    os.makedirs('data', exist_ok=True)
    _unzip(_fetch('http://data.mxnet.io/mxnet/data/mnist.zip', 'data', 'get_mnist_ubyte'),
           'data')


def get_cifar10():
    """CIFAR-10 as RecordIO files in folder ``data/cifar`` (``train.rec``,
    ``test.rec`` and their ``.lst`` files), downloaded as ``data/cifar10.zip`` and
    unpacked unless they are already there."""
    names = ['train.rec', 'test.rec', 'train.lst', 'test.lst']
    if all(os.path.isfile(os.path.join('data', 'cifar', n)) for n in names):
        return
    os.makedirs('data', exist_ok=True)
    _unzip(_fetch('http://data.mxnet.io/mxnet/data/cifar10.zip', 'data', 'get_cifar10'),
           'data')


def get_mnist_pkl():
    """``data/mnist.pkl.gz``, downloaded unless it is there."""
    if not os.path.isfile(os.path.join('data', 'mnist.pkl.gz')):
        os.makedirs('data', exist_ok=True)
        _fetch('http://deeplearning.net/data/mnist/mnist.pkl.gz', 'data', 'get_mnist_pkl')


def get_mnist():
    """MNIST as a dict of numpy arrays: ``train_data`` ``(60000, 1, 28, 28)`` and
    ``test_data`` ``(10000, 1, 28, 28)``, float32 in ``[0, 1]`` (pixels / 255), and
    ``train_label`` / ``test_label``, int8. The four gzip'ed IDX files are read from
    the current folder, downloaded there first when missing."""
    from .gluon.data.vision.datasets import _read_idx
    base = 'http://data.mxnet.io/data/mnist/'
    arrays = {}
    for key, name in (('train_label', 'train-labels-idx1-ubyte.gz'),
                      ('train_data', 'train-images-idx3-ubyte.gz'),
                      ('test_label', 't10k-labels-idx1-ubyte.gz'),
                      ('test_data', 't10k-images-idx3-ubyte.gz')):
        path = name if os.path.isfile(name) else _fetch(base + name, None, 'get_mnist')
        values = _read_idx(path)
        if key.endswith('data'):
            values = values.reshape(len(values), 1, 28, 28).astype(np.float32) / 255
        else:
            values = values.astype(np.int8)
        arrays[key] = values
    return arrays


def get_mnist_iterator(batch_size, input_shape, num_parts=1, part_index=0):
    """``(train, val)`` :class:`~d2lmini.io.MNISTIter` iterators over MNIST's IDX
    files in folder ``data`` (see :func:`get_mnist_ubyte`), each shuffled as
    ``MNISTIter`` does by default and cut into ``num_parts``; the images are flat
    unless ``input_shape`` has 3 axes."""
    from . import io
    get_mnist_ubyte()
    flat = len(input_shape) != 3

    def make(prefix):
        # both shuffled, as MXNet's are (MNISTIter's default), with the default seed
        return io.MNISTIter(image=f'data/{prefix}-images-idx3-ubyte',
                            label=f'data/{prefix}-labels-idx1-ubyte', batch_size=batch_size,
                            flat=flat, num_parts=num_parts, part_index=part_index)
    return make('train'), make('t10k')


def get_zip_data(data_dir, url, data_origin_name):
    """Download the zip file ``url`` as ``data_dir/data_origin_name`` and unpack it
    into ``data_dir``."""
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, data_origin_name)
    if not os.path.isfile(path):
        from .download import download as _download
        _download(url, path=path)
    _unzip(path, data_dir)


def get_bz2_data(data_dir, data_name, url, data_origin_name):
    """``data_dir/data_name``: the bz2 file ``url``, downloaded as
    ``data_dir/data_origin_name`` and decompressed, unless it is already there."""
    import bz2
    import shutil
    os.makedirs(data_dir, exist_ok=True)
    target = os.path.join(data_dir, data_name)
    if os.path.isfile(target):
        return
    packed = os.path.join(data_dir, data_origin_name)
    if not os.path.isfile(packed):
        from .download import download as _download
        _download(url, path=packed)
    with bz2.BZ2File(packed) as source, open(target, 'wb') as out:
        shutil.copyfileobj(source, out)
    os.remove(packed)


def get_im2rec_path(home_env='MXNET_HOME'):
    """The path of MXNet's ``tools/im2rec.py`` under the folder that environment
    variable ``home_env`` names. d2lmini ships no such tool (make RecordIO files with
    :mod:`d2lmini.recordio`); without it this raises IOError."""
    home = os.environ.get(home_env)
    if home:
        path = os.path.join(home, 'tools', 'im2rec.py')
        if os.path.isfile(path):
            return path
    raise IOError('Could not find path to tools/im2rec.py: d2lmini has no im2rec tool; '
                  f'set {home_env} to an MXNet source folder, or write RecordIO files '
                  'with d2lmini.recordio (pack_img and MXIndexedRecordIO)')


# MXNet's test_utils has no __all__, so ``from mxnet.test_utils import *`` also hands
# out the modules it imports; tests written for it use ``sys``, ``os`` and ``logging``
# from there without importing them.
__all__ = ['np', 'sys', 'os', 'logging', 'mx', 'array', 'random_sample', 'np_reduce',
           'random_uniform_arrays', 'rnd', 'effective_dtype', 'assert_allclose',
           'discard_stderr', 'download',
           'almost_equal_ignore_nan', 'assert_almost_equal_ignore_nan',
           'assert_almost_equal', 'almost_equal', 'check_numeric_gradient', 'numeric_grad',
           'list_gpus', 'default_context', 'set_default_context', 'default_dtype',
           'get_tolerance', 'get_tols', 'get_rtol', 'get_atol', 'default_rtols',
           'default_atols', 'rand_ndarray', 'random_arrays', 'rand_shape_2d', 'rand_shape_3d',
           'rand_shape_nd', 'same', 'assert_exception', 'environment', 'EnvManager',
           'set_env_var', 'check_consistency',
           'check_symbolic_forward', 'check_symbolic_backward', 'gpu', 'cpu',
           'get_etol', 'assert_almost_equal_with_err', 'same_array', 'compare_ndarray_tuple',
           'compare_optimizer', 'same_symbol_structure', 'collapse_sum_like', 'create_vector',
           'create_2d_tensor', 'get_identity_mat', 'get_identity_mat_batch', 'rand_coord_2d',
           'new_orthonormal_matrix_2d', 'new_matrix_with_real_eigvals_2d',
           'new_sym_matrix_with_real_eigvals_2d', 'new_matrix_with_real_eigvals_nd',
           'new_sym_matrix_with_real_eigvals_nd', 'is_op_runnable', 'has_tvm_ops',
           'is_cd_run', 'DummyIter', 'check_gluon_hybridize_consistency',
           'gen_buckets_probs_with_ppf', 'chi_square_check', 'verify_generator',
           'mean_check', 'var_check', 'get_mnist_ubyte', 'get_cifar10', 'get_mnist_pkl',
           'get_mnist', 'get_mnist_iterator', 'get_zip_data', 'get_bz2_data',
           'get_im2rec_path', 'rand_sparse_ndarray', 'create_sparse_array',
           'create_sparse_array_zd', 'assign_each', 'assign_each2', 'Context', 'retry']


def __getattr__(name):
    # ``mx`` and ``array`` as MXNet's test_utils offers them; looked up when first asked
    # for, since d2lmini itself imports this module while it is being imported
    if name == 'mx':
        import d2lmini
        return d2lmini
    if name == 'array':
        from .ndarray import array
        return array
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
