"""Imperative against hybridized, in d2lmini and in MXNet 1.9.1.

Cases (time per call):

* ``mlp_small``: inference of four ``Dense(64, relu)`` and a ``LayerNorm`` on a
  batch of 4: tiny arrays, so the cost per operator (the framework) dominates;
* ``mlp_wide``: inference of ``Dense(2048, relu)`` x 2 on a batch of 256: the
  matrix products dominate;
* ``lenet_step``: a LeNet training step (record, loss, backward, SGD), batch 64.

Each runs imperatively and hybridized; for d2lmini also hybridized with each pass
of the compiler switched off in turn (``-no_fusion`` ...), to see what it buys.
The same file runs on MXNet (``--framework mxnet``, in MXNet's own Python):

    python -m benchmarks.bench_hybridize                        # both, 1 and 2 threads
    python -m benchmarks.bench_hybridize --mxnet-python ~/mxref/bin/python
    python -m benchmarks.bench_hybridize --worker d2lmini --threads 1   # one side, JSON

Workers run in their own processes, in turns (d2lmini, MXNet, d2lmini, ...), with
the thread count set through the environment, as in ``harness.py``.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from .harness import Benchmark, Settings, time_in_turns

PASS_NAMES = ('dce', 'constant_folding', 'cse', 'fusion', 'layout', 'memory')


def _cases(mx, framework):
    """``{case:variant: callable}`` for ``mx`` (d2lmini or mxnet)."""
    import numpy as np
    nn, autograd, gluon = mx.gluon.nn, mx.autograd, mx.gluon
    rng = np.random.RandomState(0)
    cases = {}

    def mlp_small():
        net = nn.HybridSequential()
        for _ in range(4):
            net.add(nn.Dense(64, activation='relu'))
        net.add(nn.LayerNorm())
        return net, mx.nd.array(rng.randn(4, 32))

    def mlp_wide():
        net = nn.HybridSequential()
        net.add(nn.Dense(2048, activation='relu'), nn.Dense(2048, activation='relu'))
        return net, mx.nd.array(rng.randn(256, 512))

    def lenet():
        net = nn.HybridSequential()
        net.add(nn.Conv2D(6, 5, padding=2, activation='sigmoid'), nn.AvgPool2D(2, 2),
                nn.Conv2D(16, 5, activation='sigmoid'), nn.AvgPool2D(2, 2),
                nn.Dense(120, activation='sigmoid'), nn.Dense(84, activation='sigmoid'),
                nn.Dense(10))
        return net, mx.nd.array(rng.rand(64, 1, 28, 28))

    variants = [('imperative', None), ('hybridized', {})]
    if framework == 'd2lmini-harness':
        framework = 'd2lmini'
    elif framework == 'd2lmini':
        variants += [(f'hybridized-no_{p}', {p: False}) for p in PASS_NAMES]
        variants += [('hybridized-static', 'static')]

    def make(builder, variant):
        net, x = builder()
        net.initialize(mx.init.Xavier())
        if variant is not None:
            if variant == 'static':
                net.hybridize(static_alloc=True, static_shape=True)
            elif framework == 'd2lmini':
                net.hybridize(passes=variant)
            else:
                net.hybridize()
        return net, x

    for label, variant in variants:
        for name, builder in (('mlp_small', mlp_small), ('mlp_wide', mlp_wide)):
            net, x = make(builder, variant)
            if framework == 'mxnet':
                cases[f'{name}:{label}'] = (lambda n, x: lambda: n(x).wait_to_read())(net, x)
            else:
                cases[f'{name}:{label}'] = (lambda n, x: lambda: n(x))(net, x)
        net, x = make(lenet, variant)
        y = mx.nd.array(rng.randint(0, 10, size=64))
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})

        def step(net=net, x=x, y=y, loss_fn=loss_fn, trainer=trainer):
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(64)
            if framework == 'mxnet':
                loss.wait_to_read()
            return loss
        cases[f'lenet_step:{label}'] = step
    return cases


# The harness's view (d2lmini against PyTorch's eager equivalents), so that
# ``python -m benchmarks.bench_hybridize --worker d2lmini``-style smoke tests and the
# common table work too; PyTorch has no hybridize, its two columns are both eager.
HARNESS_CASES = [f'{c}:{v}' for v in ('imperative', 'hybridized')
                 for c in ('mlp_small', 'mlp_wide', 'lenet_step')]
bench = Benchmark('Imperative and hybridized Gluon', HARNESS_CASES)


@bench.framework('d2lmini')
def d2lmini_cases(quick):
    import d2lmini as mx
    cases = _cases(mx, 'd2lmini-harness')
    return {n: cases[n] for n in HARNESS_CASES}


@bench.framework('torch')
def torch_cases(quick):
    import torch
    from torch import nn
    g = torch.Generator().manual_seed(0)
    small = nn.Sequential(*[m for _ in range(4) for m in (nn.LazyLinear(64), nn.ReLU())],
                          nn.LayerNorm(64))
    xs = torch.randn(4, 32, generator=g)
    wide = nn.Sequential(nn.Linear(512, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU())
    xw = torch.randn(256, 512, generator=g)
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
                          nn.Linear(84, 10))
    xl, yl = torch.rand(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g)
    opt = torch.optim.SGD(lenet.parameters(), lr=0.1)
    small(xs)

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(lenet(xl), yl)
        loss.backward()
        opt.step()
        return loss

    def infer(net, x):
        def run():
            with torch.no_grad():
                return net(x)
        return run
    out = {}
    for v in ('imperative', 'hybridized'):
        out[f'mlp_small:{v}'] = infer(small, xs)
        out[f'mlp_wide:{v}'] = infer(wide, xw)
        out[f'lenet_step:{v}'] = step
    return out


def worker(framework, threads, quick):
    if framework == 'mxnet':
        import mxnet as mx
    else:
        import d2lmini as mx
    settings = Settings.for_quick_run() if quick else Settings(repeats=9, min_time=0.03)
    return {'framework': framework, 'threads': threads,
            'results': time_in_turns(_cases(mx, framework), settings)}


def _spawn(python, framework, threads, quick):
    env = dict(os.environ)
    for k in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS'):
        env[k] = str(threads)
    env['MXNET_ENGINE_TYPE'] = env.get('MXNET_ENGINE_TYPE', 'ThreadedEnginePerDevice')
    cmd = [python, '-m', 'benchmarks.bench_hybridize', '--worker', framework,
           '--threads', str(threads)] + (['--quick'] if quick else [])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    res = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f'{framework} worker failed:\n{res.stderr[-2000:]}')
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--worker', choices=['d2lmini', 'mxnet'])
    p.add_argument('--threads', type=int, action='append')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--quick', action='store_true')
    p.add_argument('--mxnet-python', default=os.path.expanduser('~/mxref/bin/python'))
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, (args.threads or [1])[0], args.quick)))
        return
    pythons = {'d2lmini': sys.executable}
    if os.path.exists(args.mxnet_python):
        pythons['mxnet'] = args.mxnet_python
    for threads in args.threads or [1, 2]:
        rounds = {fw: [] for fw in pythons}
        for _ in range(args.rounds):
            for fw, python in pythons.items():       # in turns: both see the same machine
                rounds[fw].append(_spawn(python, fw, threads, args.quick)['results'])
        print(f'\n== {threads} thread(s), median of {args.rounds} rounds, microseconds per call')
        for fw, results in rounds.items():
            names = list(results[0])
            for case in ('mlp_small', 'mlp_wide', 'lenet_step'):
                row = {}
                for n in names:
                    if n.startswith(case + ':'):
                        vals = [r[n] for r in results if isinstance(r[n], float)]
                        row[n.split(':', 1)[1]] = (statistics.median(vals) * 1e6 if vals
                                                   else results[0][n])
                imp = row.get('imperative')
                cells = []
                for k, v in row.items():
                    if isinstance(v, float):
                        speed = f' ({imp / v:.2f}x)' if isinstance(imp, float) else ''
                        cells.append(f'{k}={v:.1f}{speed}')
                    else:
                        cells.append(f'{k}=ERROR {v}')
                print(f'{fw:>8} {case:<11} ' + '  '.join(cells))


if __name__ == '__main__':
    main()
