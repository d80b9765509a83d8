"""A ResNet-18 training step (CIFAR form) in d2lmini, PyTorch and real MXNet 1.9.1.

The network is ResNet-18 as it is trained on CIFAR-10: a 3x3 stem convolution
with 64 channels and no max-pool, four stages of two basic residual blocks (64,
128, 256 and 512 channels; stages 2-4 halve the image with a stride-2 convolution
and a 1x1 projection), global average pooling and a dense layer of 10 classes;
every convolution is followed by BatchNorm, no convolution has a bias. One step
on a batch of 32 images 3x32x32::

    with autograd.record():
        loss = loss_fn(net(X), y)       # SoftmaxCrossEntropyLoss, one value per image
    loss.backward()
    trainer.step(batch_size)            # SGD

PyTorch runs the same network from ``torch.nn`` with ``CrossEntropyLoss`` and
``torch.optim.SGD``. Cases:

* ``resnet18_step``: the Gluon network as written (imperative);
* ``resnet18_step_hybrid``: the same after ``net.hybridize()``.

PyTorch has nothing to hybridize, so both of its cases run the same eager step.
The Gluon code is one function of the ``mx`` module it is given, so the same
script also runs on real MXNet 1.9.1 (the third column) when an interpreter that
has it is given with ``--mxnet-python`` (default: ``~/mxref/bin/python`` where it
exists; ``--mxnet-python ''`` skips MXNet).

Unlike the other benchmarks, one run times both thread counts (1 and 2 by
default, ``--threads 1 --threads 4`` to choose), and each (framework, case)
pair runs in a worker process of its own, so that the worker's peak resident
memory (``getrusage``'s ``ru_maxrss``: the interpreter, the framework and the
step) belongs to that one case; the table shows it next to the times.

    python -m benchmarks.bench_resnet             # about 10 minutes on a quiet 2-core machine
    python -m benchmarks.bench_resnet --quick     # every worker once, with 2 images
    python -m benchmarks.bench_resnet --worker mxnet --threads 1 --case resnet18_step
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

import numpy as np

from .harness import Benchmark, Settings, format_time, machine_info, time_case, _load

BATCH = 32
QUICK_BATCH = 2          # --quick and the smoke test
IMAGE = (3, 32, 32)
CLASSES = 10
LR = 0.05
# (channels, stride of the first block) of the four stages
STAGES = [(64, 1), (128, 2), (256, 2), (512, 2)]
CASES = ['resnet18_step', 'resnet18_step_hybrid']
TARGET = 1.3
DEFAULT_MXNET_PYTHON = os.path.expanduser('~/mxref/bin/python')

bench = Benchmark(
    'ResNet-18 training step (CIFAR form, batch 32, 3x32x32, float32)', CASES,
    targets={name: TARGET for name in CASES},
    note='PyTorch: torch.nn modules, CrossEntropyLoss, torch.optim.SGD (eager in both '
         'cases)')


# ------------------------------------------------------------------ shared data
def batch(quick):
    """Images and labels, float32, the same for every framework."""
    n = QUICK_BATCH if quick else BATCH
    rng = np.random.default_rng(1)
    images = rng.standard_normal((n,) + IMAGE, dtype=np.float32)
    labels = rng.integers(0, CLASSES, n).astype(np.float32)
    return images, labels


def initial_params(shapes):
    """Starting values for parameters of the given shapes, in network order:
    He-scaled normal convolution and dense weights, gammas near 1, betas and the
    dense bias near 0 (not exactly 1 and 0, so that a swapped pair would show)."""
    rng = np.random.default_rng(0)
    values = []
    for shape in shapes:
        if len(shape) > 1:
            fan_in = int(np.prod(shape[1:]))
            values.append(rng.standard_normal(shape, dtype=np.float32)
                          * np.float32((2.0 / fan_in) ** 0.5))
        else:
            values.append(np.float32(0.1) * rng.standard_normal(shape, dtype=np.float32))
    # a 1-D parameter is a gamma when the next one has its shape (gamma, beta pairs)
    for i in range(len(values) - 1):
        if values[i].ndim == 1 and values[i + 1].shape == values[i].shape \
                and (i == 0 or values[i - 1].ndim > 1):
            values[i] += np.float32(1.0)
    return values


class _Lazy:
    """A case whose network is built at its first call. A worker timing one case
    then holds that case's network only, so its peak memory is that case's; the
    harness's warm-up makes the first call, so the building is never timed."""

    def __init__(self, build):
        self.build, self.step = build, None

    def __call__(self):
        if self.step is None:
            self.step = self.build()
        return self.step()


# ------------------------------------------------------------------ Gluon (d2lmini, MXNet)
def gluon_resnet18(mx):
    """ResNet-18, CIFAR form, with the Gluon API of ``mx`` (d2lmini or mxnet)."""
    nn = mx.gluon.nn

    class Residual(mx.gluon.HybridBlock):
        def __init__(self, channels, stride, project, **kwargs):
            super().__init__(**kwargs)
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(channels, 3, stride, 1, use_bias=False), nn.BatchNorm(),
                          nn.Activation('relu'),
                          nn.Conv2D(channels, 3, 1, 1, use_bias=False), nn.BatchNorm())
            self.project = None
            if project:
                self.project = nn.HybridSequential()
                self.project.add(nn.Conv2D(channels, 1, stride, use_bias=False),
                                 nn.BatchNorm())

        def hybrid_forward(self, F, x):
            y = self.body(x)
            if self.project is not None:
                x = self.project(x)
            return F.Activation(x + y, act_type='relu')

    net = nn.HybridSequential()
    net.add(nn.Conv2D(64, 3, 1, 1, use_bias=False), nn.BatchNorm(), nn.Activation('relu'))
    in_channels = 64
    for channels, stride in STAGES:
        net.add(Residual(channels, stride, stride != 1 or channels != in_channels),
                Residual(channels, 1, False))
        in_channels = channels
    net.add(nn.GlobalAvgPool2D(), nn.Dense(CLASSES))
    return net


def gluon_step(mx, quick, hybridize):
    """One Gluon training step of ResNet-18 with ``mx``; returns the per-image losses
    and the updated (trained) parameters."""
    from_numpy, sync = mx.nd.array, mx.nd.waitall    # MXNet computes asynchronously
    images, labels = batch(quick)
    x, y = from_numpy(images), from_numpy(labels)
    net = gluon_resnet18(mx)
    net.initialize()
    net(x)                              # the first call gives the layers their shapes
    params = [p for p in net.collect_params().values()
              if not p.name.endswith(('running_mean', 'running_var'))]
    for p, value in zip(params, initial_params([p.shape for p in params]), strict=True):
        p.set_data(from_numpy(value))
    if hybridize:
        net.hybridize()
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': LR})
    n = images.shape[0]

    def step():
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(n)
        sync()
        return [loss] + [p.data() for p in params]

    return step


@bench.framework('d2lmini')
def d2lmini_cases(quick):
    import d2lmini as mx
    return {'resnet18_step': _Lazy(lambda: gluon_step(mx, quick, False)),
            'resnet18_step_hybrid': _Lazy(lambda: gluon_step(mx, quick, True))}


def mxnet_cases(quick):
    """The same cases on real MXNet (run under an interpreter that has it)."""
    import mxnet as mx
    return {'resnet18_step': _Lazy(lambda: gluon_step(mx, quick, False)),
            'resnet18_step_hybrid': _Lazy(lambda: gluon_step(mx, quick, True))}


# ------------------------------------------------------------------ PyTorch
def torch_resnet18(nn):
    """The same network with torch.nn, its parameters in the Gluon order."""

    class Residual(nn.Module):
        def __init__(self, in_channels, channels, stride, project):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False),
                nn.BatchNorm2d(channels), nn.ReLU(),
                nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels))
            self.project = None
            if project:
                self.project = nn.Sequential(
                    nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                    nn.BatchNorm2d(channels))

        def forward(self, x):
            y = self.body(x)
            if self.project is not None:
                x = self.project(x)
            return (x + y).relu()

    layers = [nn.Conv2d(IMAGE[0], 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    in_channels = 64
    for channels, stride in STAGES:
        layers += [Residual(in_channels, channels, stride,
                            stride != 1 or channels != in_channels),
                   Residual(channels, channels, 1, False)]
        in_channels = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, CLASSES)]
    return nn.Sequential(*layers)


def torch_step(quick):
    import torch
    images, labels = batch(quick)
    x, y = torch.from_numpy(images), torch.from_numpy(labels).long()
    net = torch_resnet18(torch.nn)
    params = list(net.parameters())
    with torch.no_grad():
        for p, value in zip(params, initial_params([tuple(p.shape) for p in params]),
                            strict=True):
            p.copy_(torch.from_numpy(value))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(params, lr=LR)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        return [loss] + params

    return step


@bench.framework('torch')
def torch_cases(quick):
    return {'resnet18_step': _Lazy(lambda: torch_step(quick)),
            'resnet18_step_hybrid': _Lazy(lambda: torch_step(quick))}


# ------------------------------------------------------------------ workers
def _setup_mxnet(threads):
    import mxnet
    return {'mxnet': mxnet.__version__, 'numpy (mxnet)': np.__version__}


# the order of the turns and of the columns
WORKERS = ['d2lmini', 'torch', 'mxnet']
LABELS = {'d2lmini': 'd2lmini', 'torch': 'PyTorch', 'mxnet': 'MXNet'}


def peak_rss_mib():
    """This process's peak resident memory in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == 'darwin' else peak / 1024


def run_worker(framework, names, settings, threads):
    """Time ``names`` of ``framework`` here; adds the peak memory to the report."""
    if framework == 'mxnet':
        versions = _setup_mxnet(threads)
        cases = mxnet_cases(settings.quick)
        results = {}
        for name in names:
            try:
                median, times = time_case(cases[name], settings)
                results[name] = {'median': median, 'times': times}
            except Exception as e:  # report it, keep timing the rest
                results[name] = {'error': f'{type(e).__name__}: {e}'}
        out = {'framework': framework, 'versions': versions, 'threads': threads,
               'results': results}
    else:
        out = bench.run_worker(framework, names, settings, threads)
    out['peak_rss_mib'] = peak_rss_mib()
    return out


def worker_env(framework, threads):
    from . import harness
    if framework == 'mxnet':
        env = harness.worker_env('d2lmini', threads)    # the thread variables alone
        env['MXNET_ENGINE_TYPE'] = env.get('MXNET_ENGINE_TYPE', 'ThreadedEnginePerDevice')
        return env
    return harness.worker_env(framework, threads)


def _spawn(python, framework, case, settings, threads):
    cmd = [python, '-m', 'benchmarks.bench_resnet', '--worker', framework,
           '--threads', str(threads), '--case', case]
    if settings.quick:
        cmd.append('--quick')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, env=worker_env(framework, threads), cwd=root,
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {'versions': {}, 'results': {case: {'error': (
            f'worker failed (exit code {proc.returncode}): {proc.stderr.strip()[-500:]}')}}}
    return json.loads(lines[-1])


def compare(names, settings, thread_counts, pythons):
    """Every (thread count, round, framework, case) in its own worker; the report
    keeps per thread count and case the median time and the largest peak memory."""
    load = [_load()]
    versions = {}
    runs = {}
    for threads in thread_counts:
        per = {fw: {n: {'times': [], 'rss': [], 'errors': []} for n in names}
               for fw in pythons}
        for r in range(settings.rounds):
            for n in names:
                for fw, python in pythons.items():
                    out = _spawn(python, fw, n, settings, threads)
                    versions.update(out.get('versions', {}))
                    res = out['results'][n]
                    slot = per[fw][n]
                    if 'error' in res:
                        slot['errors'].append(res['error'])
                    else:
                        slot['times'].append(res['median'])
                        slot['rss'].append(out['peak_rss_mib'])
            print(f'{threads} thread(s): round {r + 1}/{settings.rounds} done',
                  file=sys.stderr, flush=True)
        runs[threads] = [{'name': n, **{fw: {
            'time': statistics.median(s['times']) if s['times'] else None,
            'rounds': s['times'],
            'peak_rss_mib': max(s['rss']) if s['rss'] else None,
            'errors': s['errors'][:1]} for fw, s in ((fw, per[fw][n]) for fw in pythons)}}
            for n in names]
    load.append(_load())
    machine = machine_info(versions, list(thread_counts))
    machine['load'] = load
    return {'benchmark': bench.title, 'note': bench.note, 'machine': machine,
            'settings': settings.as_dict(), 'frameworks': list(pythons), 'runs': runs}


def _ratio(row, fw, ref='torch'):
    a, b = row.get(fw, {}).get('time'), row.get(ref, {}).get('time')
    return a / b if a and b else None


def format_report(report):
    m = report['machine']
    fws = report['frameworks']
    versions = ', '.join(f'{k} {v}' for k, v in sorted(m['versions'].items()))
    lines = [f"{report['benchmark']}: median time per step; ratios are over PyTorch",
             f"machine: {m['cores']} cores ({m['cpu']}), {m['os']}, Python {m['python']}",
             f'versions: {versions}', f"rounds: {report['settings']['rounds']}, "
             f"load average before and after: {m['load'][0]}, {m['load'][1]}",
             report['note'], f'target: d2lmini / PyTorch <= {TARGET:g}, and no slower '
             'than MXNet; peak memory (peak RSS of the worker) <= 1.5x PyTorch\'s']
    head = f"{'case':<22}" + ''.join(f'{LABELS[fw]:>10}' for fw in fws) + ''.join(
        f'{LABELS[fw] + "/PT":>12}' for fw in fws if fw != 'torch') + ''.join(
        f'{"MiB " + LABELS[fw]:>14}' for fw in fws)
    errors = []
    for threads, rows in report['runs'].items():
        lines += ['', f'{threads} thread(s)', head, '-' * len(head)]
        for row in rows:
            cells = ''.join(f"{format_time(row[fw]['time']):>10}" for fw in fws)
            for fw in fws:
                if fw != 'torch':
                    r = _ratio(row, fw)
                    cells += f"{'-' if r is None else f'{r:.2f}':>12}"
            for fw in fws:
                rss = row[fw]['peak_rss_mib']
                cells += f"{'-' if rss is None else f'{rss:.0f}':>14}"
            lines.append(f"{row['name']:<22}{cells}")
            for fw in fws:
                for e in row[fw]['errors']:
                    errors.append(f"  {threads} thread(s), {row['name']} ({LABELS[fw]}): {e}")
    if errors:
        lines += ['', 'errors:'] + errors
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=f'{bench.title}: d2lmini, PyTorch and MXNet, '
                                'each case in its own process, in turns.')
    p.add_argument('--quick', action='store_true', help='one round with 2 images')
    p.add_argument('--rounds', type=int, help='rounds of turns (default 3, quick 1)')
    p.add_argument('--threads', type=int, action='append',
                   help='thread count (repeatable; default: 1 and 2)')
    p.add_argument('--case', action='append', choices=CASES, help='default: both')
    p.add_argument('--mxnet-python', default=DEFAULT_MXNET_PYTHON,
                   help='an interpreter with mxnet 1.9 ("" skips MXNet)')
    p.add_argument('--no-torch', action='store_true', help='skip PyTorch')
    p.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    p.add_argument('--worker', choices=WORKERS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    names = args.case or CASES
    settings = Settings.for_quick_run() if args.quick else Settings(rounds=3, repeats=5)
    if args.rounds is not None:
        settings.rounds = args.rounds
    if args.worker:
        out = run_worker(args.worker, names, settings, (args.threads or [1])[0])
        print(json.dumps(out))
        return out
    pythons = {'d2lmini': sys.executable}
    if not args.no_torch:
        pythons['torch'] = sys.executable
    if args.mxnet_python and os.path.exists(args.mxnet_python):
        pythons['mxnet'] = args.mxnet_python
    elif args.mxnet_python:
        print(f'no interpreter at {args.mxnet_python}: MXNet is skipped', file=sys.stderr)
    report = compare(names, settings, args.threads or [1, 2], pythons)
    print(format_report(report))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
        print(f'\nresults written to {args.json}')
    return report


if __name__ == '__main__':
    main()
