"""Check by hand that MXNet 1.9.1 loads and runs what d2lmini exports, with the same
outputs. Run with MXNet's Python; it runs d2lmini's (``.venv/bin/python``) to export
the networks of tools/make_symbol_fixtures.py with random weights, then imports each
in MXNet with ``SymbolBlock.imports`` and compares the outputs.

    ~/mxref/bin/python tools/check_export_in_mxnet.py
"""
import os
import subprocess
import sys
import tempfile

import mxnet as mx
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
EXPORT = r'''
import os, sys
import numpy as np
import d2lmini as mx
sys.path.insert(0, os.path.join(sys.argv[2], 'tools'))
from make_symbol_fixtures import build_nets, randomize
for seed, (name, (net, shape)) in enumerate(sorted(build_nets(mx).items())):
    net.initialize()
    randomize(mx, net, 10 + seed)
    x = mx.nd.array(np.random.RandomState(200 + seed).normal(size=shape).astype(np.float32))
    y = net(x)
    net.export(os.path.join(sys.argv[1], name))
    mx.nd.save(os.path.join(sys.argv[1], name + '-io.params'), {'input': x, 'output': y})
'''


def main():
    folder = tempfile.mkdtemp()
    python = os.path.join(ROOT, '.venv', 'bin', 'python')
    subprocess.run([python, '-c', EXPORT, folder, ROOT], check=True, cwd=ROOT)
    worst = 0.0
    for name in ('lenet', 'mlp', 'res'):
        base = os.path.join(folder, name)
        net = mx.gluon.SymbolBlock.imports(base + '-symbol.json', ['data'],
                                           base + '-0000.params')
        io = mx.nd.load(base + '-io.params')
        diff = float(np.abs(net(io['input']).asnumpy() - io['output'].asnumpy()).max())
        print(f'{name}: MXNet loaded and ran it; largest difference {diff:.2e}')
        worst = max(worst, diff)
    if worst > 1e-4:
        sys.exit('outputs differ')
    print('ok')


if __name__ == '__main__':
    main()
