"""Walk the whole operator registry: every operator has sample cases, every
differentiable one matches central differences in float64, and on a GPU every
operator matches its CPU results."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini.ops import OPS
from d2lmini.ndarray.ndarray import invoke, invoke_nullary
from d2lmini.test_utils import assert_almost_equal, check_numeric_gradient
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
