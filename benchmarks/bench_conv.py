"""Convolution: d2lmini's ``nd.Convolution`` against ``torch.nn.functional.conv2d``.

Two layers of the book, timed as a single operator:

* ``lenet``: the first layer of LeNet, 256 images of 1x28x28, 6 filters of 5x5,
  padding 2: few channels, so the cost is mostly in laying out the windows;
* ``resnet``: a layer of a ResNet block, 128 images of 64x32x32, 64 filters of
  3x3, padding 1: about 10 GFLOP forward, so the matrix products dominate.

``*_fwd`` is the forward pass alone; ``*_fwd_bwd`` the forward pass inside
``autograd.record()`` and the backward pass with a given output gradient, which
computes the gradients of the data, the weight and the bias.

Both frameworks get the same float32 values (fixed seed) and compute the same
thing; the smoke test checks that their results agree.

    python -m benchmarks.bench_conv                 # the full comparison, CPU
    python -m benchmarks.bench_conv --quick         # a rough, fast run
    python -m benchmarks.bench_conv --device gpu    # d2lmini on mx.gpu(0), PyTorch on CUDA

This file also holds the ``--device`` option that the training benchmarks share:
:func:`main` reads it and passes it to the worker processes in the environment
variable ``D2LMINI_BENCH_DEVICE``, where :func:`selected_device` reads it back.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

from .harness import Benchmark

DEVICES = ('cpu', 'gpu')
DEVICE_VARIABLE = 'D2LMINI_BENCH_DEVICE'


# ------------------------------------------------------------------ devices
def selected_device():
    """The device the cases run on, ``'cpu'`` or ``'gpu'`` (default ``'cpu'``)."""
    device = os.environ.get(DEVICE_VARIABLE, 'cpu')
    if device not in DEVICES:
        raise ValueError(f'{DEVICE_VARIABLE}={device!r}: expected one of {", ".join(DEVICES)}')
    return device


def gpus_missing():
    """Why the GPU cases cannot run here, or ``''`` when they can: both d2lmini
    (through cupy) and PyTorch (CUDA) must see a GPU. Neither check starts the GPU."""
    import d2lmini
    reasons = []
    if d2lmini.num_gpus() == 0:
        reasons.append('d2lmini sees no GPU (it needs cupy: pip install d2lmini[gpu])')
    try:
        import torch
        if not torch.cuda.is_available():
            reasons.append('PyTorch sees no CUDA device')
    except ImportError:
        reasons.append('PyTorch is not installed')
    return '; '.join(reasons)


def gpu_name():
    """The GPU's name as ``nvidia-smi`` gives it, or ``''``."""
    if shutil.which('nvidia-smi') is None:
        return ''
    proc = subprocess.run(['nvidia-smi', '--query-gpu=name', '--format=csv,noheader', '-i', '0'],
                          capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ''


def d2lmini_device(mx):
    """``(context, sync)`` for d2lmini: the context to put the arrays on and the
    function that waits for the queued work. On the CPU every operator has finished
    when it returns, so ``sync`` does nothing; on a GPU operators are queued and
    the timed call must wait for them, or it would time only the queuing."""
    if selected_device() == 'gpu':
        return mx.gpu(0), mx.nd.waitall
    return mx.cpu(), _no_wait


def torch_device(torch):
    """``(device, sync)`` for PyTorch, as :func:`d2lmini_device`."""
    if selected_device() == 'gpu':
        # PyTorch lets cuDNN round float32 convolutions to TensorFloat-32 (10-bit
        # mantissas) by default; d2lmini computes in full float32, so must PyTorch
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        return torch.device('cuda', 0), torch.cuda.synchronize
    return torch.device('cpu'), _no_wait


def _no_wait():
    pass


def main(bench, argv=None, extra=None):
    """Run ``bench`` from the command line, with one option more than the harness:
    ``--device cpu|gpu``.

    The workers are separate processes started by the harness with the arguments
    it knows, so the device travels to them in the environment. Without a usable
    GPU, ``--device gpu`` says why and stops without timing anything (exit code 0:
    there is nothing to compare, which is not an error of the benchmark).

    ``extra(report)``, if given, returns lines to print below the table (ratios
    between two d2lmini cases, say); they are also stored in the JSON file under
    ``"extra"``.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--device', choices=DEVICES)
    known, rest = parser.parse_known_args(argv)
    if '-h' in rest or '--help' in rest:
        print('--device {cpu,gpu}  where both frameworks run (default: cpu; the gpu needs '
              'cupy and PyTorch with CUDA)\n')
    if known.device:
        os.environ[DEVICE_VARIABLE] = known.device
    device = selected_device()
    driver = '--worker' not in rest and not ('-h' in rest or '--help' in rest)
    if driver and device == 'gpu':
        missing = gpus_missing()
        if missing:
            print(f'{bench.title}: no GPU cases to run: {missing}', file=sys.stderr)
            return None
        name = gpu_name()
        bench.title += f' [GPU{": " + name if name else ""}]'
    report = bench.main(rest)
    if driver and extra is not None and report is not None:
        lines = extra(report)
        print('\n' + '\n'.join(lines))
        json_path = _option_value(rest, '--json')
        if json_path:
            with open(json_path) as f:
                saved = json.load(f)
            saved['extra'] = lines
            with open(json_path, 'w') as f:
                json.dump(saved, f, indent=1)
    return report


def _option_value(argv, option):
    """The value of ``option`` in ``argv`` (``--json PATH`` or ``--json=PATH``)."""
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(option + '='):
            return arg.split('=', 1)[1]
    return None


# ------------------------------------------------------------------ the cases
# name: (images, in channels, out channels, image size, kernel, padding)
LAYERS = {'lenet': (256, 1, 6, 28, 5, 2),
          'resnet': (128, 64, 64, 32, 3, 1)}
QUICK_IMAGES = 4     # --quick and the smoke test: same layers, fewer images
CASES = [f'{layer}_{part}' for layer in LAYERS for part in ('fwd', 'fwd_bwd')]

bench = Benchmark(
    'Convolution forward and backward (float32)', CASES,
    targets={name: 1.5 for name in CASES},
    note='lenet: 256x1x28x28, 6 filters 5x5, pad 2; resnet: 128x64x32x32, 64 filters 3x3, '
         'pad 1; fwd_bwd: gradients of data, weight and bias')


def inputs(layer, quick):
    """The values of one layer's case, float32, the same for both frameworks:
    data, weight, bias and the output gradient that the backward pass receives."""
    n, c, o, size, k, pad = LAYERS[layer]
    if quick:
        n = QUICK_IMAGES
    rng = np.random.default_rng(0)

    def draw(*shape, scale=1.0):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(scale)

    return {'data': draw(n, c, size, size),
            'weight': draw(o, c, k, k, scale=(c * k * k) ** -0.5),
            'bias': draw(o),
            'out_grad': draw(n, o, size + 2 * pad - k + 1, size + 2 * pad - k + 1)}


@bench.framework('d2lmini')
def d2lmini_cases(quick):
    import d2lmini as mx
    nd = mx.nd
    ctx, sync = d2lmini_device(mx)
    cases = {}
    for layer, (_, _, filters, _, k, pad) in LAYERS.items():
        v = {name: nd.array(value, ctx=ctx) for name, value in inputs(layer, quick).items()}
        data, weight, bias, out_grad = v['data'], v['weight'], v['bias'], v['out_grad']
        for arr in (data, weight, bias):
            arr.attach_grad()

        def conv(data=data, weight=weight, bias=bias, k=k, pad=pad, filters=filters):
            return nd.Convolution(data, weight, bias, kernel=(k, k), pad=(pad, pad),
                                  num_filter=filters)

        def forward(conv=conv):
            y = conv()
            sync()
            return y

        def forward_backward(conv=conv, out_grad=out_grad, arrays=(data, weight, bias)):
            with mx.autograd.record():
                y = conv()
            y.backward(out_grad)
            sync()
            return (y,) + tuple(a.grad for a in arrays)

        cases[f'{layer}_fwd'] = forward
        cases[f'{layer}_fwd_bwd'] = forward_backward
    return cases


@bench.framework('torch')
def torch_cases(quick):
    import torch
    import torch.nn.functional as F
    device, sync = torch_device(torch)
    cases = {}
    for layer, (_, _, _, _, _, pad) in LAYERS.items():
        v = {name: torch.from_numpy(value).to(device)
             for name, value in inputs(layer, quick).items()}
        out_grad = v['out_grad']
        consts = (v['data'], v['weight'], v['bias'])
        params = tuple(t.clone().requires_grad_() for t in consts)

        def forward(consts=consts, pad=pad):
            y = F.conv2d(*consts, padding=pad)
            sync()
            return y

        def forward_backward(params=params, out_grad=out_grad, pad=pad):
            for t in params:      # a fresh gradient each step, as grad_req='write' gives
                t.grad = None
            y = F.conv2d(*params, padding=pad)
            y.backward(out_grad)
            sync()
            return (y,) + tuple(t.grad for t in params)

        cases[f'{layer}_fwd'] = forward
        cases[f'{layer}_fwd_bwd'] = forward_backward
    return cases


if __name__ == '__main__':
    main(bench)
