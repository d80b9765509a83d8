"""Write tests/fixtures/model_zoo/ with real MXNet 1.9.1 (run with MXNet's Python, not
d2lmini's). The tests read these files and never import MXNet.

    ~/mxref/bin/python tools/make_model_zoo_fixtures.py

Full-size parameter files are tens of megabytes, too big to keep in the repository,
so the zoo is checked three ways, each with small files:

* ``names_shapes.json``: for every constructor of ``gluon.model_zoo.vision`` (with
  ``classes=10``, built in a fresh ``NameManager``), the sorted parameter names with their shapes, the input size used
  to infer them, and the output shape. This checks structure and naming.
* ``outputs.json``: ``resnet18_v1`` and ``densenet121`` at full size, every parameter
  filled by :func:`fill_parameters` (a seeded ``RandomState``, parameters in sorted-name
  order, the same on both sides), applied to :func:`test_input`: MXNet's outputs.
  This checks the computation of the whole networks without storing their weights.
* ``tiny_resnet.params`` and ``tiny_densenet.params``: two narrow networks built
  from the zoo's classes, initialised and saved by MXNet's ``save_parameters`` (a few
  kilobytes), with their outputs in ``outputs.json``. This checks that MXNet's own
  files load byte for byte.
"""
import json
import os

import numpy as np

try:
    import mxnet as mx
    from mxnet.gluon.model_zoo import vision
except ImportError:   # the tests import fill_parameters and friends from here
    mx = vision = None

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'model_zoo')

# every constructor, with the smallest square input its last pooling layer accepts
CONSTRUCTORS = {
    'alexnet': 64,
    'vgg11': 32, 'vgg13': 32, 'vgg16': 32, 'vgg19': 32,
    'vgg11_bn': 32, 'vgg13_bn': 32, 'vgg16_bn': 32, 'vgg19_bn': 32,
    **{f'resnet{n}_v{v}': 32 for v in (1, 2) for n in (18, 34, 50, 101, 152)},
    'densenet121': 224, 'densenet161': 224, 'densenet169': 224, 'densenet201': 224,
    'squeezenet1_0': 224, 'squeezenet1_1': 224,
    'mobilenet1_0': 32, 'mobilenet0_75': 32, 'mobilenet0_5': 32, 'mobilenet0_25': 32,
    'mobilenet_v2_1_0': 32, 'mobilenet_v2_0_75': 32, 'mobilenet_v2_0_5': 32,
    'mobilenet_v2_0_25': 32,
    'inception_v3': 299,
}

FULL_NETS = {'resnet18_v1': 32, 'densenet121': 224}
CLASSES = 10


def tiny_nets(vision):
    """Narrow networks built from the zoo's classes (``vision`` is MXNet's or
    d2lmini's module), with the input size each takes."""
    resnet = vision.ResNetV1(vision.BasicBlockV1, [1, 1, 1, 1], [4, 6, 8, 12, 16],
                             classes=CLASSES, thumbnail=True, prefix='resnetv10_')
    densenet = vision.DenseNet(4, 2, [2, 2], bn_size=2, classes=CLASSES,
                               prefix='densenet0_')
    return {'tiny_resnet': (resnet, 16), 'tiny_densenet': (densenet, 56)}


def fill_parameters(params, seed=0):
    """Values for every parameter, from one ``RandomState(seed)`` drawn in sorted-name
    order: He-scaled normal weights, gammas and running variances in [0.5, 1.5), small
    normal betas, biases and running means. ``params`` maps names to shapes; returns
    name -> float32 array."""
    rng = np.random.RandomState(seed)
    values = {}
    for name in sorted(params):
        shape = tuple(params[name])
        if name.endswith('weight'):
            fan_in = int(np.prod(shape[1:]))
            value = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
        elif name.endswith(('gamma', 'running_var')):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0, 0.1, shape)
        values[name] = value.astype(np.float32)
    return values


def test_input(size, seed=1):
    """The input every output check uses: ``(1, 3, size, size)`` float32."""
    return np.random.RandomState(seed).uniform(-1, 1, (1, 3, size, size)).astype(np.float32)


def names_and_shapes(net, size):
    net.initialize()
    out = net(mx.nd.array(test_input(size)))
    params = net.collect_params()
    return {'input': size, 'output': list(out.shape),
            'params': [[name, list(params[name].shape)] for name in sorted(params.keys())]}


def main():
    os.makedirs(OUT, exist_ok=True)
    structure = {}
    for name, size in CONSTRUCTORS.items():
        with mx.name.NameManager():   # counters from 0: resnetv10_, densenet0_, ...
            net = getattr(vision, name)(classes=CLASSES)
        structure[name] = names_and_shapes(net, size)
        print(name, len(structure[name]['params']), 'parameters')
    with open(os.path.join(OUT, 'names_shapes.json'), 'w') as f:
        json.dump(structure, f, separators=(',', ':'))

    outputs = {}
    for name, size in FULL_NETS.items():
        with mx.name.NameManager():
            net = getattr(vision, name)(classes=CLASSES)
        net.initialize()
        net(mx.nd.array(test_input(size)))   # shapes known
        params = net.collect_params()
        for pname, value in fill_parameters({k: p.shape for k, p in params.items()}).items():
            params[pname].set_data(mx.nd.array(value))
        outputs[name] = net(mx.nd.array(test_input(size))).asnumpy().tolist()
    mx.random.seed(0)
    np.random.seed(0)
    for name, (net, size) in tiny_nets(vision).items():
        net.initialize(mx.init.Xavier())
        x = mx.nd.array(test_input(size))
        net(x)
        # running statistics that are not 0 and 1, so that loading them matters
        for pname, p in net.collect_params().items():
            if pname.endswith(('running_mean', 'running_var', 'beta')):
                p.set_data(mx.nd.random.uniform(0.1, 0.9, p.shape))
        net.save_parameters(os.path.join(OUT, name + '.params'))
        outputs[name] = net(x).asnumpy().tolist()
    with open(os.path.join(OUT, 'outputs.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'classes': CLASSES, 'full': FULL_NETS,
                   'outputs': outputs}, f, indent=1)


# The graphs MXNet exports for these networks (hybridized, run once on an input of
# this size), compared by SHA-1: d2lmini's export must be the same bytes.
GRAPHS = {'resnet18_v1': 32, 'resnet50_v1': 32, 'resnet18_v2': 32, 'densenet121': 224,
          'mobilenetv2_0.25': 32, 'squeezenet1.1': 224, 'vgg11_bn': 32, 'inceptionv3': 299}


def export_graph(mx, name, size, folder):
    """Export ``name`` as MXNet does after one hybridized call; the symbol file's path."""
    with mx.name.NameManager():
        net = mx.gluon.model_zoo.vision.get_model(name, classes=CLASSES)
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 3, size, size)))
    net.export(os.path.join(folder, 'net'))   # MXNet returns nothing; d2lmini the names
    return os.path.join(folder, 'net-symbol.json')


def graph_digests():
    import hashlib
    import tempfile
    digests = {}
    for name, size in GRAPHS.items():
        with open(export_graph(mx, name, size, tempfile.mkdtemp()), 'rb') as f:
            digests[name] = hashlib.sha1(f.read()).hexdigest()
    with open(os.path.join(OUT, 'graph_sha1.json'), 'w') as f:
        json.dump({'sizes': GRAPHS, 'sha1': digests}, f, indent=1)


if __name__ == '__main__':
    main()
    graph_digests()
