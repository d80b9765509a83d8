"""Write the fixtures of tests/test_block_save_load.py with real MXNet 1.9.1's
``Block.save``, and check by hand that MXNet loads what d2lmini's ``Block.save`` writes.

    ~/mxref/bin/python tools/make_block_save_load_fixtures.py           # the fixtures
    ~/mxref/bin/python tools/make_block_save_load_fixtures.py --check   # the other way

Each model ``NAME`` gives ``NAME-model.json`` and ``NAME-model.params`` (what
``Block.save`` writes) and ``NAME-io.params``: the input ``x`` and the outputs
``y0``, ``y1``, ... the saved model gives for it. ``build_models(mx)`` builds the
models with either library (``mx`` is mxnet or d2lmini), so the tests build the same.
With ``--check``, d2lmini's Python saves the models (random weights, run once) into a
temporary folder; MXNet then loads each into a model built anew and compares its
outputs with d2lmini's, and the JSON files with those MXNet writes.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
FOLDER = os.path.join(ROOT, 'tests', 'fixtures', 'block_save_load')


def build_models(mx, named=True):
    """``{name: (model, inputs, hybridize)}``, small models of every kind ``save``
    describes differently. ``named``: top-level prefixes given (``seq_``), so that
    the names do not depend on what was built before; else the automatic ones."""
    nn = mx.gluon.nn

    def prefix(text):
        return text if named else None

    class Net(nn.Block):
        """A Block whose children are a hybridized HybridSequential and a Dense."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.body = nn.HybridSequential()
                self.body.add(nn.Dense(4, in_units=3, activation='relu'),
                              nn.BatchNorm(in_channels=4))
                self.head = nn.Dense(2, in_units=4)

        def forward(self, x):
            return self.head(self.body(x))

    class TwoWay(nn.HybridBlock):
        """Two inputs, a nested pair of outputs, a child and a parameter of its own."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.fc = nn.Dense(2, in_units=3)
                self.scale = self.params.get('scale', shape=(2,))

        def hybrid_forward(self, F, x, y, scale):
            z = F.broadcast_mul(self.fc(x), scale.expand_dims(axis=0))
            return [z + y, [F.relu(y - z), z * 2]]

    seq = nn.Sequential(prefix=prefix('seq_'))
    with seq.name_scope():
        seq.add(nn.Dense(3, in_units=4, activation='tanh'), nn.Dense(2, in_units=3))
    hybrid = nn.HybridSequential(prefix=prefix('hybrid_'))
    with hybrid.name_scope():
        hybrid.add(nn.Dense(5, activation='relu'), nn.Dropout(0.5), nn.Dense(2))
    deferred = nn.HybridSequential(prefix=prefix('deferred_'))
    with deferred.name_scope():
        deferred.add(nn.Dense(3), nn.Dense(2))
    x4 = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    x3 = np.linspace(-2, 1, 6, dtype=np.float32).reshape(2, 3)
    y2 = np.linspace(0, 1, 4, dtype=np.float32).reshape(2, 2)
    return {
        'seq': (seq, [x4], False),
        'hybrid': (hybrid, [x4], True),
        'deferred': (deferred, [x4], False),
        'custom': (Net(prefix=prefix('net_')), [x3], 'body'),
        'twoway': (TwoWay(prefix=prefix('twoway_')), [x3, y2], True),
    }


def flat_outputs(out):
    if isinstance(out, (list, tuple)):
        return [o for item in out for o in flat_outputs(item)]
    return [out]


def save_all(mx, folder, seed):
    """Initialise each model with random weights, hybridize it as its entry says, run
    it once, save it with ``Block.save`` and its input and outputs beside it."""
    for number, (name, (net, inputs, hybridize)) in enumerate(build_models(mx).items()):
        mx.random.seed(seed + number)
        net.initialize(mx.init.Uniform(0.5))
        if hybridize is True:
            net.hybridize()
        elif hybridize:
            getattr(net, hybridize).hybridize()
        arrays = [mx.nd.array(a) for a in inputs]
        outputs = flat_outputs(net(*arrays))
        base = os.path.join(folder, name)
        net.save(base)
        io = {f'x{i}': a for i, a in enumerate(arrays)}
        io.update({f'y{i}': o for i, o in enumerate(outputs)})
        mx.nd.save(base + '-io.params', io)


SAVE_WITH_D2LMINI = r'''
import sys
import d2lmini as mx
sys.path.insert(0, sys.argv[2])
from make_block_save_load_fixtures import save_all
save_all(mx, sys.argv[1], 100)
'''


def check_d2lmini_files():
    import mxnet as mx
    folder, mxnet_folder = tempfile.mkdtemp(), tempfile.mkdtemp()
    python = os.path.join(ROOT, '.venv', 'bin', 'python')
    subprocess.run([python, '-c', SAVE_WITH_D2LMINI, folder, os.path.join(ROOT, 'tools')],
                   check=True, cwd=ROOT)
    save_all(mx, mxnet_folder, 100)
    worst = 0.0
    for name, (net, _, _) in build_models(mx, named=False).items():
        base = os.path.join(folder, name)
        net.load(base)
        io = mx.nd.load(base + '-io.params')
        inputs = [io[f'x{i}'] for i in range(sum(k.startswith('x') for k in io))]
        outputs = flat_outputs(net(*inputs))
        diff = max(float(np.abs(o.asnumpy() - io[f'y{i}'].asnumpy()).max())
                   for i, o in enumerate(outputs))
        with open(base + '-model.json') as f, \
                open(os.path.join(mxnet_folder, name + '-model.json')) as g:
            same_json = json.load(f) == json.load(g)
        print(f'{name}: MXNet loaded it, largest difference {diff:.2e}, '
              f'JSON {"as MXNet writes it" if same_json else "DIFFERENT from MXNet"}')
        worst = max(worst, diff, 0.0 if same_json else 1.0)
    if worst > 1e-5:
        sys.exit('differences found')
    print('ok')


def main():
    if '--check' in sys.argv[1:]:
        check_d2lmini_files()
        return
    import mxnet as mx
    os.makedirs(FOLDER, exist_ok=True)
    save_all(mx, FOLDER, 0)
    print('wrote', sorted(os.listdir(FOLDER)))


if __name__ == '__main__':
    main()
