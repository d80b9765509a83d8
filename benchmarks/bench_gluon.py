"""Training steps with Gluon: ``nn`` layers, a loss block and a ``Trainer``,
against PyTorch's ``nn.Sequential`` and ``torch.optim.SGD``.

The step is the one the book's training loops repeat::

    with autograd.record():
        loss = loss_fn(net(X), y)       # SoftmaxCrossEntropyLoss, one value per image
    loss.backward()
    trainer.step(batch_size)            # SGD; divides the gradients by batch_size

and in PyTorch ``optimizer.zero_grad()``, ``CrossEntropyLoss`` (the batch mean),
``backward()``, ``optimizer.step()``: the same math. Cases, batch 256:

* ``mlp_step_raw``: the raw-operator MLP step of ``bench_train`` (PyTorch: its
  functional twin), timed here again so that the Gluon MLP can be compared with
  it in the same kind of process;
* ``mlp_step_gluon``: ``nn.Sequential`` of ``Dense(256, relu)`` and ``Dense(10)``;
* ``lenet_step_gluon``: LeNet as a ``HybridSequential`` of ``Conv2D``,
  ``AvgPool2D`` and ``Dense`` layers with sigmoid activations.

Below the table, the ratio of d2lmini's Gluon MLP step to its raw MLP step shows
what the layers, the loss block and the Trainer cost on top of the operators.
Both frameworks start from the same parameters (those of ``bench_train``); the
smoke test checks that one step gives both the same loss and parameters.

    python -m benchmarks.bench_gluon                # the full comparison, CPU
    python -m benchmarks.bench_gluon --quick        # a rough, fast run
    python -m benchmarks.bench_gluon --device gpu   # d2lmini on mx.gpu(0), PyTorch on CUDA
"""
from . import bench_train
from .bench_conv import d2lmini_device, main, torch_device
from .harness import Benchmark

CASES = ['mlp_step_raw', 'mlp_step_gluon', 'lenet_step_gluon']
# d2lmini's Gluon MLP step may take at most this much longer than its raw one
GLUON_OVER_RAW_TARGET = 1.15

bench = Benchmark(
    'Training step with Gluon (batch 256, float32)', CASES,
    targets={'mlp_step_raw': 1.0, 'lenet_step_gluon': 1.3},
    note='PyTorch: torch.nn.Sequential, CrossEntropyLoss, torch.optim.SGD '
         '(mlp_step_raw: the functional step of bench_train)')


# ------------------------------------------------------------------ d2lmini
def d2lmini_nets(nn):
    """The Gluon networks, built as the book builds them; their parameters come in
    the order of bench_train's MLP_PARAMS and LENET_PARAMS."""
    mlp = nn.Sequential()
    mlp.add(nn.Dense(256, activation='relu'), nn.Dense(10))
    lenet = nn.HybridSequential()
    lenet.add(nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='sigmoid'),
              nn.AvgPool2D(pool_size=2, strides=2),
              nn.Conv2D(channels=16, kernel_size=5, activation='sigmoid'),
              nn.AvgPool2D(pool_size=2, strides=2),
              nn.Dense(120, activation='sigmoid'),
              nn.Dense(84, activation='sigmoid'),
              nn.Dense(10))
    return {'mlp': mlp, 'lenet': lenet}


def d2lmini_gluon_step(mx, net, network, quick):
    """One Gluon training step of ``net``, whose parameters start at
    ``bench_train.initial_params(network)``; returns the per-image losses and the
    updated parameters."""
    from d2lmini import autograd, gluon
    nd = mx.nd
    ctx, sync = d2lmini_device(mx)
    images, labels = bench_train.batch(quick)
    x, y = nd.array(images, ctx=ctx), nd.array(labels, ctx=ctx)
    net.initialize(ctx=ctx)
    net(x)                              # the first call gives the layers their shapes
    params = list(net.collect_params().values())
    for param, value in zip(params, bench_train.initial_params(network), strict=True):
        if param.shape != value.shape:
            raise ValueError(f'{param.name} has shape {param.shape}, bench_train gives '
                             f'{value.shape}')
        param.set_data(nd.array(value, ctx=ctx))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': bench_train.LR})
    batch_size = images.shape[0]

    def step():
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(batch_size)
        sync()
        return [loss] + [p.data() for p in params]

    return step


@bench.framework('d2lmini')
def d2lmini_cases(quick):
    import d2lmini as mx
    from d2lmini.gluon import nn
    nets = d2lmini_nets(nn)
    return {'mlp_step_raw': bench_train.d2lmini_step('mlp', quick),
            'mlp_step_gluon': d2lmini_gluon_step(mx, nets['mlp'], 'mlp', quick),
            'lenet_step_gluon': d2lmini_gluon_step(mx, nets['lenet'], 'lenet', quick)}


# ------------------------------------------------------------------ PyTorch
def torch_nets(nn):
    """The same networks with torch.nn."""
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))
    lenet = nn.Sequential(nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
                          nn.AvgPool2d(kernel_size=2, stride=2),
                          nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
                          nn.AvgPool2d(kernel_size=2, stride=2),
                          nn.Flatten(),
                          nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
                          nn.Linear(120, 84), nn.Sigmoid(),
                          nn.Linear(84, 10))
    return {'mlp': mlp, 'lenet': lenet}


def torch_module_step(torch, net, network, quick):
    """The PyTorch twin of :func:`d2lmini_gluon_step`."""
    device, sync = torch_device(torch)
    images, labels = bench_train.batch(quick)
    x, y = torch.from_numpy(images).to(device), torch.from_numpy(labels).to(device)
    net.to(device)
    params = list(net.parameters())
    with torch.no_grad():
        for param, value in zip(params, bench_train.initial_params(network), strict=True):
            param.copy_(torch.from_numpy(value))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(params, lr=bench_train.LR)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        sync()
        return [loss] + params

    return step


@bench.framework('torch')
def torch_cases(quick):
    import torch
    nets = torch_nets(torch.nn)
    return {'mlp_step_raw': bench_train.torch_step('mlp', quick),
            'mlp_step_gluon': torch_module_step(torch, nets['mlp'], 'mlp', quick),
            'lenet_step_gluon': torch_module_step(torch, nets['lenet'], 'lenet', quick)}


# ------------------------------------------------------------------ report
def gluon_over_raw(report):
    """The line below the table: d2lmini's Gluon MLP step time over its raw one."""
    times = {c['name']: c['d2lmini'] for c in report['cases']}
    gluon, raw = times.get('mlp_step_gluon'), times.get('mlp_step_raw')
    if not gluon or not raw:
        return ['d2lmini Gluon MLP / raw MLP: - (time both mlp_step_gluon and mlp_step_raw)']
    ratio = gluon / raw
    verdict = 'ok' if ratio <= GLUON_OVER_RAW_TARGET else 'OVER'
    return [f'd2lmini Gluon MLP step / raw-nd MLP step: {ratio:.2f}  '
            f'<= {GLUON_OVER_RAW_TARGET:g} {verdict}']


if __name__ == '__main__':
    main(bench, extra=gluon_over_raw)
