"""Write tests/fixtures/symbol/ with real MXNet 1.9.1 (run with MXNet's Python, not
d2lmini's): graphs as MXNet lays them out, networks MXNet exported with their inputs
and outputs. The tests read these files and never import MXNet.

    ~/mxref/bin/python tools/make_symbol_fixtures.py
"""
import os

import numpy as np

try:
    import mxnet as mx
except ImportError:   # d2lmini's tests import build_nets from here, without MXNet
    mx = None

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'symbol')


def tutorial_mlp():
    data = mx.symbol.Variable('data')
    net = mx.symbol.FullyConnected(data=data, name='fc1', num_hidden=10)
    net = mx.symbol.Activation(data=net, name='relu1', act_type='relu')
    net = mx.symbol.FullyConnected(data=net, name='fc2', num_hidden=4)
    net = mx.symbol.SoftmaxOutput(data=net, name='out')
    net.save(os.path.join(OUT, 'tutorial_mlp-symbol.json'))


def layout():
    with mx.name.NameManager():
        net = mx.sym.FullyConnected(mx.sym.var('data'), name='fc1', num_hidden=10)
        net = mx.sym.Activation(net, name='relu1', act_type='relu')
        net = mx.sym.Convolution(net, kernel=(3, 3), num_filter=4, pad=(1, 1))
        net = mx.sym.BatchNorm(net, fix_gamma=False)
        parts = mx.sym.split(net, num_outputs=2)
        out = mx.sym.SoftmaxOutput(parts[1], name='out')
        xs = [mx.sym.var(f'x{i}') for i in range(12)]
        cat = mx.sym.concat(*xs)
    mx.sym.Group([out, parts[0], cat]).get_internals().save(
        os.path.join(OUT, 'layout-symbol.json'))


# ---------------------------------------------------------------------- exported networks
# The same three networks are built with d2lmini in tests/test_export_import.py (the
# definitions below run there unchanged with ``import d2lmini as mx``).
def build_nets(mx):
    """``{name: (net, input shape)}``: an MLP, a LeNet and a residual block with
    BatchNorm, named by explicit prefixes so both frameworks give the same names."""
    nn = mx.gluon.nn

    class ResBlock(mx.gluon.HybridBlock):
        def __init__(self, channels, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.conv1 = nn.Conv2D(channels, 3, padding=1, in_channels=channels)
                self.bn1 = nn.BatchNorm(in_channels=channels)
                self.conv2 = nn.Conv2D(channels, 3, padding=1, in_channels=channels)
                self.bn2 = nn.BatchNorm(in_channels=channels)

        def hybrid_forward(self, F, x):
            out = F.Activation(self.bn1(self.conv1(x)), act_type='relu')
            out = self.bn2(self.conv2(out))
            return F.Activation(out + x, act_type='relu')

    mlp = nn.HybridSequential(prefix='mlp_')
    with mlp.name_scope():
        mlp.add(nn.Dense(8, activation='relu', in_units=5), nn.Dense(3, in_units=8))
    lenet = nn.HybridSequential(prefix='lenet_')
    with lenet.name_scope():
        lenet.add(nn.Conv2D(4, 3, activation='relu', in_channels=1), nn.MaxPool2D(2),
                  nn.Conv2D(6, 3, activation='relu', in_channels=4), nn.MaxPool2D(2),
                  nn.Flatten(), nn.Dense(10, activation='relu', in_units=24),
                  nn.Dense(3, in_units=10))
    res = nn.HybridSequential(prefix='res_')
    with res.name_scope():
        res.add(nn.Conv2D(4, 3, padding=1, in_channels=2), ResBlock(4, prefix='block_'),
                nn.GlobalAvgPool2D(), nn.Dense(3, in_units=4))
    return {'mlp': (mlp, (2, 5)), 'lenet': (lenet, (2, 1, 14, 14)), 'res': (res, (2, 2, 6, 6))}


def randomize(mx, net, seed):
    """Random weights, and random BatchNorm statistics (so that they matter)."""
    rng = np.random.RandomState(seed)
    for name, p in sorted(net.collect_params().items()):
        if name.endswith('running_var') or name.endswith('moving_var'):
            value = rng.uniform(0.5, 2.0, p.shape)
        else:
            value = rng.normal(0, 0.5, p.shape)
        p.set_data(mx.nd.array(value.astype(np.float32)))


def export_nets():
    for seed, (name, (net, shape)) in enumerate(sorted(build_nets(mx).items())):
        net.initialize()
        randomize(mx, net, seed)
        x = mx.nd.array(np.random.RandomState(100 + seed).normal(size=shape).astype(np.float32))
        net.hybridize()
        y = net(x)
        net.export(os.path.join(OUT, name))
        mx.nd.save(os.path.join(OUT, f'{name}-io.params'), {'input': x, 'output': y})


def build_rnn(mx):
    """A two-layer bidirectional GRU and a Dense on top: MXNet exports the layer as
    one ``RNN`` node fed by its flattened weights, with zero begin states whose batch
    size is left unknown (0)."""
    rnn = mx.gluon.nn.HybridSequential(prefix='rnn_')
    with rnn.name_scope():
        rnn.add(mx.gluon.rnn.GRU(4, num_layers=2, bidirectional=True, input_size=3),
                mx.gluon.nn.Dense(2, flatten=False, in_units=8))
    return rnn, (5, 2, 3)


def export_rnn():
    net, shape = build_rnn(mx)
    net.initialize()
    randomize(mx, net, 10)
    x = mx.nd.array(np.random.RandomState(110).normal(size=shape).astype(np.float32))
    net.hybridize()
    y = net(x)
    net.export(os.path.join(OUT, 'rnn'))
    mx.nd.save(os.path.join(OUT, 'rnn-io.params'), {'input': x, 'output': y})


def control_flow():
    """A foreach, a while_loop and a cond, as MXNet writes their subgraphs."""
    with mx.name.NameManager():
        data, s0, w, q = (mx.sym.var(n) for n in ('data', 's0', 'w', 'q'))

        def body(xs, states):
            x, y = xs
            h = mx.sym.broadcast_mul(x, w) + states[0] + y
            return [h * 2, h + q], [h, states[1] * 2]
        outs, states = mx.sym.contrib.foreach(body, [data, mx.sym.var('r') * 3],
                                              [s0, mx.sym.var('s1')])
        mx.sym.Group(outs + states).save(os.path.join(OUT, 'foreach-symbol.json'))
        i, t, b = (mx.sym.var(n) for n in ('i', 't', 'b'))
        outs, loop_vars = mx.sym.contrib.while_loop(
            lambda i, t: (i < 3) * b, lambda i, t: ([t * w, i], (i + 1, t + i * w)), (i, t),
            max_iterations=5)
        mx.sym.Group(outs + list(loop_vars)).save(os.path.join(OUT, 'while_loop-symbol.json'))
        mx.sym.contrib.cond(i < t, lambda: i * w + t, lambda: i - b).save(
            os.path.join(OUT, 'cond-symbol.json'))


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    control_flow()
    tutorial_mlp()
    layout()
    export_nets()
    export_rnn()
