"""Training steps written with raw operators: d2lmini's ``nd`` against PyTorch's
functional API.

One step is what a training loop repeats for every mini-batch: the forward pass
inside ``autograd.record()``, the softmax cross-entropy loss averaged over the
batch, the backward pass, and a plain SGD update ``param -= lr * grad`` of every
hand-made parameter. Two networks of the book, batch 256 of 1x28x28 images:

* ``lenet_step``: LeNet, conv(6, 5x5, pad 2) - sigmoid - avgpool 2 -
  conv(16, 5x5) - sigmoid - avgpool 2 - dense 120 - sigmoid - dense 84 -
  sigmoid - dense 10;
* ``mlp_step``: a multilayer perceptron 784 - 256 (relu) - 10.

Both frameworks start from the same float32 parameters and the same batch
(fixed seeds), and run the same math; the smoke test checks that one step gives
both the same loss and the same updated parameters.

    python -m benchmarks.bench_train                # the full comparison, CPU
    python -m benchmarks.bench_train --quick        # a rough, fast run
    python -m benchmarks.bench_train --device gpu   # d2lmini on mx.gpu(0), PyTorch on CUDA
"""
import numpy as np

from .bench_conv import d2lmini_device, main, torch_device
from .harness import Benchmark

BATCH = 256
QUICK_BATCH = 8          # --quick and the smoke test
CLASSES = 10
LR = 0.1

# The parameters, in the order both frameworks list them. Weights are laid out as
# (outputs, inputs, ...) in both: MXNet's FullyConnected and PyTorch's linear agree.
LENET_PARAMS = [('conv1_weight', (6, 1, 5, 5)), ('conv1_bias', (6,)),
                ('conv2_weight', (16, 6, 5, 5)), ('conv2_bias', (16,)),
                ('dense1_weight', (120, 16 * 5 * 5)), ('dense1_bias', (120,)),
                ('dense2_weight', (84, 120)), ('dense2_bias', (84,)),
                ('dense3_weight', (10, 84)), ('dense3_bias', (10,))]
MLP_PARAMS = [('dense1_weight', (256, 28 * 28)), ('dense1_bias', (256,)),
              ('dense2_weight', (10, 256)), ('dense2_bias', (10,))]
NETWORKS = {'lenet': LENET_PARAMS, 'mlp': MLP_PARAMS}

CASES = ['lenet_step', 'mlp_step']

bench = Benchmark(
    'Training step with raw operators (batch 256, float32)', CASES,
    targets={'lenet_step': 1.3, 'mlp_step': 1.0},
    note='one step: forward, softmax cross-entropy, backward, SGD on hand-made parameters')


# ------------------------------------------------------------------ shared values
def batch(quick):
    """A mini-batch of images ``(n, 1, 28, 28)`` and integer labels ``(n,)``."""
    n = QUICK_BATCH if quick else BATCH
    rng = np.random.default_rng(1)
    images = rng.standard_normal((n, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, CLASSES, size=n)
    return images, labels


def initial_params(network):
    """The starting values of ``network``'s parameters, float32: weights drawn
    with standard deviation 1/sqrt(fan-in), biases small."""
    rng = np.random.default_rng(2)
    values = []
    for name, shape in NETWORKS[network]:
        scale = np.prod(shape[1:]) ** -0.5 if name.endswith('weight') else 0.1
        values.append(rng.standard_normal(shape, dtype=np.float32) * np.float32(scale))
    return values


# ------------------------------------------------------------------ d2lmini
def lenet_nd(nd, x, p):
    """LeNet with raw operators; ``p`` lists the parameters as LENET_PARAMS does."""
    h = nd.sigmoid(nd.Convolution(x, p[0], p[1], kernel=(5, 5), pad=(2, 2), num_filter=6))
    h = nd.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    h = nd.sigmoid(nd.Convolution(h, p[2], p[3], kernel=(5, 5), num_filter=16))
    h = nd.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type='avg')
    h = nd.sigmoid(nd.FullyConnected(h, p[4], p[5], num_hidden=120))  # flattens h
    h = nd.sigmoid(nd.FullyConnected(h, p[6], p[7], num_hidden=84))
    return nd.FullyConnected(h, p[8], p[9], num_hidden=10)


def mlp_nd(nd, x, p):
    """The MLP with raw operators; FullyConnected flattens the images."""
    h = nd.relu(nd.FullyConnected(x, p[0], p[1], num_hidden=256))
    return nd.FullyConnected(h, p[2], p[3], num_hidden=10)


def d2lmini_step(network, quick):
    """A callable doing one raw-nd training step of ``network`` ('lenet' or 'mlp');
    it returns the loss and the updated parameters."""
    import d2lmini as mx
    nd = mx.nd
    ctx, sync = d2lmini_device(mx)
    forward = {'lenet': lenet_nd, 'mlp': mlp_nd}[network]
    images, labels = batch(quick)
    x = nd.array(images, ctx=ctx)
    y = nd.array(labels, ctx=ctx)            # MXNet's pick takes float32 indices
    params = [nd.array(v, ctx=ctx) for v in initial_params(network)]
    for p in params:
        p.attach_grad()

    def step():
        with mx.autograd.record():
            out = forward(nd, x, params)
            loss = -nd.pick(nd.log_softmax(out), y).mean()
        loss.backward()
        for p in params:
            p -= LR * p.grad
        sync()
        return [loss] + params

    return step


# ------------------------------------------------------------------ PyTorch
def lenet_torch(F, x, p):
    """LeNet with PyTorch's functional API, the same math as :func:`lenet_nd`."""
    import torch
    h = torch.sigmoid(F.conv2d(x, p[0], p[1], padding=2))
    h = F.avg_pool2d(h, kernel_size=2, stride=2)
    h = torch.sigmoid(F.conv2d(h, p[2], p[3]))
    h = F.avg_pool2d(h, kernel_size=2, stride=2)
    h = torch.sigmoid(F.linear(h.flatten(1), p[4], p[5]))
    h = torch.sigmoid(F.linear(h, p[6], p[7]))
    return F.linear(h, p[8], p[9])


def mlp_torch(F, x, p):
    h = F.relu(F.linear(x.flatten(1), p[0], p[1]))
    return F.linear(h, p[2], p[3])


def torch_step(network, quick):
    """The PyTorch twin of :func:`d2lmini_step`."""
    import torch
    import torch.nn.functional as F
    device, sync = torch_device(torch)
    forward = {'lenet': lenet_torch, 'mlp': mlp_torch}[network]
    images, labels = batch(quick)
    x = torch.from_numpy(images).to(device)
    y = torch.from_numpy(labels).to(device)
    params = [torch.from_numpy(v).to(device).requires_grad_() for v in initial_params(network)]

    def step():
        for p in params:          # a fresh gradient each step, as grad_req='write' gives
            p.grad = None
        loss = F.cross_entropy(forward(F, x, params), y)    # mean over the batch
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        sync()
        return [loss] + params

    return step


# ------------------------------------------------------------------ the cases
@bench.framework('d2lmini')
def d2lmini_cases(quick):
    return {'lenet_step': d2lmini_step('lenet', quick), 'mlp_step': d2lmini_step('mlp', quick)}


@bench.framework('torch')
def torch_cases(quick):
    return {'lenet_step': torch_step('lenet', quick), 'mlp_step': torch_step('mlp', quick)}


if __name__ == '__main__':
    main(bench)
