"""Walk the whole operator registry: every operator has sample cases, every
differentiable one matches central differences in float64 (its gradient, and the
gradient of its gradient), every other one declares why it has no backward, and on
a GPU every operator matches its CPU results."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError
from d2lmini.ops import OPS
from d2lmini.ndarray.ndarray import invoke, invoke_nullary
from d2lmini.test_utils import assert_almost_equal, check_numeric_gradient
from strict import assert_almost_equal  # noqa: E402,F811  (equal shapes, tight float32 tolerance)
from op_samples import all_cases

CASES = all_cases()
# one entry per operator object (aliases share it), under the name it was registered with
UNIQUE = {}
for _name, _op in OPS.items():
    UNIQUE.setdefault(_op.name, _op)


def _cases_for(op):
    for n, o in OPS.items():
        if o is op and n in CASES:
            return CASES[n]
    return None


def test_every_operator_has_cases():
    missing = sorted(name for name, op in UNIQUE.items() if _cases_for(op) is None)
    assert not missing, f'operators without test cases in tests/op_samples: {missing}'


def test_cases_name_real_operators():
    assert not sorted(set(CASES) - set(OPS)), 'cases for operators that do not exist'


def _params():
    for name, op in sorted(UNIQUE.items()):
        for i, case in enumerate(_cases_for(op) or []):
            yield pytest.param(op, case, id=f'{name}-{i}')


def _call(op, case, arrays, ctx):
    if case.ctx_free:
        return invoke_nullary(op, ctx, case.attrs)
    return invoke(op, tuple(arrays), case.attrs)


@pytest.mark.parametrize('op,case', list(_params()))
def test_gradient(op, case):
    rng = np.random.default_rng(0)
    location = case.make_inputs(rng)
    if case.nondiff is not None or op.backward is None:
        assert case.nondiff, f'{op.name} has no backward: give its case a nondiff reason'
        if case.seed is not None:
            mx.random.seed(case.seed)
        xs = [mx.nd.array(a, dtype=a.dtype) for a in location]
        with mx.autograd.train_mode() if case.train else mx.autograd.predict_mode():
            _call(op, case, xs, mx.cpu())
        return
    wrt = case.wrt
    if wrt is None:
        wrt = [i for i, a in enumerate(location) if np.issubdtype(a.dtype, np.floating)]
    check_numeric_gradient(lambda *xs: _call(op, case, xs, mx.cpu()), location,
                           numeric_eps=case.eps, rtol=case.rtol, atol=case.atol,
                           grad_nodes=wrt, seed=case.seed, train_mode=case.train)


def test_every_operator_without_backward_says_why():
    """An operator without a backward must declare its gradient zero (``no_grad``)
    or itself first-order only (``once_differentiable``): autograd raises for any
    other, and this walk would have nothing to check."""
    undeclared = sorted(name for name, op in UNIQUE.items()
                        if op.backward is None and not (op.no_grad or op.once_differentiable))
    assert not undeclared, (f'operators without a backward that declare neither no_grad nor '
                            f'once_differentiable: {undeclared}')


def _floating(a):
    return np.issubdtype(a.dtype, np.floating)


def _projected_gradient(op, case, location, wrt, heads, vs, create_graph, attach_heads=False):
    """``s = sum_i <d<y, heads>/dx_i, vs[i]>`` over the inputs ``wrt``: the first
    derivative seen through fixed directions. Returns ``s``, the inputs and the head
    gradients (NDArrays); with ``create_graph`` it is recorded, to be differentiated."""
    if case.seed is not None:
        mx.random.seed(case.seed)
    xs = [mx.nd.array(a, dtype=a.dtype) for a in location]
    hs = [mx.nd.array(h, dtype=h.dtype) for h in heads]
    for i in wrt:
        xs[i].attach_grad()
    if attach_heads:
        for h in hs:
            if _floating(h):
                h.attach_grad()
    with mx.autograd.record(train_mode=case.train):
        out = _call(op, case, xs, mx.cpu())
        outs = [out] if isinstance(out, mx.nd.NDArray) else list(out)
        gs = mx.autograd.grad(outs, [xs[i] for i in wrt], head_grads=hs,
                              create_graph=create_graph, train_mode=case.train)
        s = sum((g * mx.nd.array(v, dtype=g.dtype)).sum() for g, v in zip(gs, vs))
    return s, xs, hs


@pytest.mark.parametrize('op,case', list(_params()))
def test_second_derivative(op, case):
    """The gradient of the gradient (through ``autograd.grad(create_graph=True)``)
    matches central differences of the gradient, with respect to every input that
    is differentiated and to the head gradients, along random directions; an
    operator that is first-order only says so with a clear error."""
    rng = np.random.default_rng(1)
    location = case.make_inputs(np.random.default_rng(0))
    wrt = case.wrt
    if wrt is None:
        wrt = [i for i, a in enumerate(location) if _floating(a)]
    if op.backward is None:
        assert op.no_grad or op.once_differentiable, f'{op.name} declares no gradient rule'
    if op.no_grad or not wrt:
        return
    if op.once_differentiable:
        xs = [mx.nd.array(a, dtype=a.dtype) for a in location]
        for i in wrt:
            xs[i].attach_grad()
        with mx.autograd.record(train_mode=case.train):
            out = _call(op, case, xs, mx.cpu())
            outs = [out] if isinstance(out, mx.nd.NDArray) else list(out)
            if op.backward is not None:   # the gradient is there, not its derivative
                gs = mx.autograd.grad(outs, [xs[i] for i in wrt], create_graph=True,
                                      train_mode=case.train)
                outs = [sum(g.sum() for g in gs)]
        with pytest.raises(MXNetError, match=f'{op.name} supports only first-order'):
            mx.autograd.backward(outs, train_mode=case.train)
        return
    if case.seed is not None:
        mx.random.seed(case.seed)
    with mx.autograd.train_mode() if case.train else mx.autograd.predict_mode():
        out = _call(op, case, [mx.nd.array(a, dtype=a.dtype) for a in location], mx.cpu())
    outs = [out] if isinstance(out, mx.nd.NDArray) else list(out)
    heads = [rng.normal(size=o.shape).astype(o.dtype) if np.issubdtype(o.dtype, np.floating)
             else np.zeros(o.shape, o.dtype) for o in outs]
    vs = [rng.normal(size=location[i].shape) for i in wrt]
    s, xs, hs = _projected_gradient(op, case, location, wrt, heads, vs, True, True)
    leaves = [xs[i] for i in wrt] + [h for h in hs if _floating(h.asnumpy())]
    if s._node is None:       # the first derivative does not depend on anything
        analytic = [np.zeros(v.shape) for v in leaves]
    else:
        analytic = [g.asnumpy() for g in mx.autograd.grad(s, leaves, train_mode=case.train)]
    eps = case.eps
    for k, i in enumerate(wrt):
        u = rng.uniform(-1, 1, size=location[i].shape)
        ends = []
        for sign in (1, -1):
            moved = list(location)
            moved[i] = location[i] + sign * eps * u
            ends.append(_projected_gradient(op, case, moved, wrt, heads, vs, False)[0])
        numeric = float((ends[0] - ends[1]).asscalar()) / (2 * eps)
        terms = analytic[k] * u
        _assert_close(float(terms.sum()), numeric, float(np.abs(terms).sum()), case,
                      f'{op.name}: d/d input {i} of the gradient')
    for k, h in enumerate(hk for hk in heads if _floating(hk)):
        w = rng.uniform(-1, 1, size=h.shape).astype(h.dtype)
        ends = []
        for sign in (1, -1):
            moved = [hh + sign * w if _floating(hh) and hh is h else hh for hh in heads]
            ends.append(_projected_gradient(op, case, location, wrt, moved, vs, False)[0])
        numeric = float((ends[0] - ends[1]).asscalar()) / 2   # s is linear in the heads
        terms = analytic[len(wrt) + k] * w
        _assert_close(float(terms.sum()), numeric, float(np.abs(terms).sum()), case,
                      f'{op.name}: d/d head gradient {k} of the gradient')


def _assert_close(analytic, numeric, scale, case, what):
    tol = case.atol + case.rtol * max(scale, abs(numeric))
    assert abs(analytic - numeric) <= tol, (
        f'{what}: autograd {analytic!r}, central differences {numeric!r}')


def _forward_backward(op, case, location, ctx):
    if case.seed is not None:
        mx.random.seed(case.seed)
    xs = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in location]
    differentiable = case.nondiff is None and op.backward is not None
    wrt = case.wrt if case.wrt is not None else [
        i for i, a in enumerate(location) if np.issubdtype(a.dtype, np.floating)]
    if differentiable:
        for i in wrt:
            xs[i].attach_grad()
    with mx.autograd.record(train_mode=case.train):
        out = _call(op, case, xs, ctx)
    outs = [out] if isinstance(out, mx.nd.NDArray) else list(out)
    if differentiable:
        mx.autograd.backward(outs)
        return [o.asnumpy() for o in outs], [xs[i].grad.asnumpy() for i in wrt]
    return [o.asnumpy() for o in outs], []


@pytest.mark.gpu
@pytest.mark.parametrize('op,case', list(_params()))
def test_cpu_gpu_parity(op, case):
    if case.seed is not None:
        pytest.skip('random streams differ between numpy and cupy')
    location = [a.astype(np.float32) if np.issubdtype(a.dtype, np.floating) else a
                for a in case.make_inputs(np.random.default_rng(0))]
    cpu_out, cpu_grad = _forward_backward(op, case, location, mx.cpu())
    gpu_out, gpu_grad = _forward_backward(op, case, location, mx.gpu(0))
    for a, b in zip(cpu_out + cpu_grad, gpu_out + gpu_grad):
        assert_almost_equal(b, a, rtol=1e-3, atol=1e-4, names=('gpu', 'cpu'))
