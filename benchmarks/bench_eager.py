"""Eager overhead per operator: d2lmini against PyTorch on the CPU.

On a 10-element array the arithmetic takes nanoseconds, so the time per call is
almost all framework overhead: looking the operator up, checking the inputs,
wrapping the result, and, inside ``autograd.record()``, adding a node to the
graph. That overhead is what makes a small model fast or slow in eager mode, and
it is what these cases measure, once outside recording and once inside
(``name@record``; for PyTorch: inputs with ``requires_grad=True``, no
``no_grad``). Two chains on 256x256 arrays (matmul, add bias, relu, multiply,
sum) show the same code when the arithmetic dominates, forward only and forward
plus backward.

Both frameworks get the same input values and run the same expressions; the
smoke test checks that their results agree.

    python -m benchmarks.bench_eager            # the full comparison
    python -m benchmarks.bench_eager --quick    # a rough, fast run
"""
import types

import numpy as np

from .harness import Benchmark, Step

# The operators timed one call at a time, on 10 elements (dot: 10x10 matrices).
OPS = ('add', 'mul', 'mul_scalar', 'exp', 'relu', 'maximum', 'sum', 'mean',
       'reshape', 'transpose', 'dot', 'slice')
CHAINS = ('chain_fwd', 'chain_fwd_bwd')
CASES = OPS + tuple(f'{name}@record' for name in OPS) + CHAINS

bench = Benchmark(
    'Eager overhead per operator (10 elements; chains on 256x256)', CASES,
    # the goal: at most twice PyTorch's overhead, with or without recording
    targets={name: 2.0 for name in CASES if name not in CHAINS},
    note='name@record: inside autograd.record() (PyTorch: inputs requiring grad)')


def inputs():
    """The input values, float32, the same for both frameworks."""
    rng = np.random.default_rng(0)

    def draw(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    return {'a': draw(10), 'b': draw(10), 'm': draw(10, 10),
            'x': draw(256, 256), 'w': draw(256, 256) / 16, 'bias': draw(256),
            'c': draw(256, 256)}


def torch_as_nd():
    """PyTorch's functions under the ``mx.nd`` names the cases use."""
    import torch
    return types.SimpleNamespace(exp=torch.exp, relu=torch.relu, maximum=torch.maximum,
                                 dot=torch.mm)


def op_calls(nd, a, b, m):
    """The operator calls, written once for both frameworks: ``nd`` is ``mx.nd``
    or :func:`torch_as_nd`. Functions are looked up at each call, as user code
    does (and an operator missing from ``nd`` fails its case only)."""
    return {
        'add': lambda: a + b,
        'mul': lambda: a * b,
        'mul_scalar': lambda: a * 2.0,
        'exp': lambda: nd.exp(a),
        'relu': lambda: nd.relu(a),
        'maximum': lambda: nd.maximum(a, b),
        'sum': lambda: a.sum(),
        'mean': lambda: a.mean(),
        'reshape': lambda: a.reshape((2, 5)),
        'transpose': lambda: m.T,
        'dot': lambda: nd.dot(m, m),
        'slice': lambda: a[2:7],
    }


def chain(nd, x, w, bias, c):
    """A dense layer with relu, scaled and summed: a loss in miniature."""
    return (nd.relu(nd.dot(x, w) + bias) * c).sum()


@bench.framework('d2lmini')
def d2lmini_cases(quick):
    import d2lmini as mx
    nd = mx.nd
    data = {k: nd.array(v) for k, v in inputs().items()}
    cases = op_calls(nd, data['a'], data['b'], data['m'])
    # the same calls on arrays that need a gradient, timed inside record()
    grad_data = {k: nd.array(v) for k, v in inputs().items()}
    for arr in grad_data.values():
        arr.attach_grad()
    for name, fn in op_calls(nd, grad_data['a'], grad_data['b'], grad_data['m']).items():
        cases[f'{name}@record'] = Step(fn, scope=mx.autograd.record)

    x, c = data['x'], data['c']
    w, bias = grad_data['w'], grad_data['bias']

    def chain_fwd_bwd():
        with mx.autograd.record():
            loss = chain(nd, x, w, bias, c)
        loss.backward()
        return loss, w.grad, bias.grad

    cases['chain_fwd'] = lambda: chain(nd, x, data['w'], data['bias'], c)
    cases['chain_fwd_bwd'] = chain_fwd_bwd
    return cases


@bench.framework('torch')
def torch_cases(quick):
    import torch
    nd = torch_as_nd()
    data = {k: torch.from_numpy(v) for k, v in inputs().items()}
    cases = op_calls(nd, data['a'], data['b'], data['m'])
    # requires_grad and no torch.no_grad(): PyTorch records these calls
    grad_data = {k: torch.from_numpy(v).requires_grad_() for k, v in inputs().items()}
    for name, fn in op_calls(nd, grad_data['a'], grad_data['b'], grad_data['m']).items():
        cases[f'{name}@record'] = fn

    x, c = data['x'], data['c']
    w, bias = grad_data['w'], grad_data['bias']

    def chain_fwd_bwd():
        # a fresh gradient each step, as MXNet's grad_req='write' gives
        w.grad = bias.grad = None
        loss = chain(nd, x, w, bias, c)
        loss.backward()
        return loss, w.grad, bias.grad

    cases['chain_fwd'] = lambda: chain(nd, x, data['w'], data['bias'], c)
    cases['chain_fwd_bwd'] = chain_fwd_bwd
    return cases


if __name__ == '__main__':
    bench.main()
