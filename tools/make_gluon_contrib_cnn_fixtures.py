"""Record MXNet 1.x's deformable convolution layers (``gluon.contrib.cnn``) for
tests/test_gluon_contrib_cnn.py, in ``tests/fixtures/gluon_contrib_cnn/``:

* ``<case>.params``: the layer's parameters as ``save_parameters`` writes them;
* ``cases.npz``: per case, the input (``<case>/x``), the output (``<case>/out``),
  and, for DeformableConvolution (MXNet's CPU has no backward for the modulated
  one), the head gradient (``<case>/head``), the input's gradient
  (``<case>/grad/x``) and each parameter's (``<case>/grad/<parameter>``).

The layer arguments of every case are in ``CASES`` below (the test repeats them).
Run with real MXNet 1.9.1 (CPU)::

    ~/mxref/bin/python tools/make_gluon_contrib_cnn_fixtures.py
"""
import os

import numpy as np
import mxnet as mx
from mxnet.gluon.contrib.cnn import DeformableConvolution, ModulatedDeformableConvolution

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                    'gluon_contrib_cnn')

# name: (layer class, its arguments, input shape)
CASES = {
    'dcn_groups': (DeformableConvolution,
                   dict(channels=4, kernel_size=(3, 3), padding=(1, 1), groups=2,
                        num_deformable_group=2, activation='relu'), (2, 4, 5, 5)),
    'dcn_nobias': (DeformableConvolution,
                   dict(channels=3, kernel_size=(3, 2), strides=(2, 1), dilation=(1, 2),
                        use_bias=False, offset_use_bias=False), (1, 2, 6, 7)),
    'mdcn_groups': (ModulatedDeformableConvolution,
                    dict(channels=4, kernel_size=(3, 3), padding=(1, 1), groups=2,
                         num_deformable_group=2, activation='relu'), (2, 4, 5, 5)),
    'mdcn_strided': (ModulatedDeformableConvolution,
                     dict(channels=3, kernel_size=(2, 3), strides=(2, 1), padding=(1, 0),
                          offset_use_bias=False), (1, 2, 6, 7)),
}


def main():
    os.makedirs(HERE, exist_ok=True)
    rng = np.random.default_rng(7)
    store = {}
    for name, (cls, kwargs, shape) in CASES.items():
        layer = cls(**kwargs)
        layer.initialize()
        x = mx.nd.array(rng.normal(size=shape))
        layer(x)
        params = layer._collect_params_with_prefix()
        for key in sorted(params):
            # offsets of about a pixel, so that taps really move (and cross borders)
            scale = 0.4 if key.startswith('offset') else 1.0
            params[key].set_data(mx.nd.array(rng.normal(size=params[key].shape) * scale))
            params[key].grad_req = 'write'
        layer.save_parameters(os.path.join(HERE, f'{name}.params'))
        store[f'{name}/x'] = x.asnumpy()
        store[f'{name}/out'] = layer(x).asnumpy()
        if cls is ModulatedDeformableConvolution:
            continue  # MXNet's CPU has no backward for it ("only implemented in GPU")
        head = rng.normal(size=store[f'{name}/out'].shape)
        x.attach_grad()
        with mx.autograd.record():
            out = layer(x)
        out.backward(mx.nd.array(head))
        store[f'{name}/head'] = head.astype(np.float32)
        store[f'{name}/grad/x'] = x.grad.asnumpy()
        for key in sorted(params):
            store[f'{name}/grad/{key}'] = params[key].grad().asnumpy()
    np.savez_compressed(os.path.join(HERE, 'cases.npz'), **store)


if __name__ == '__main__':
    main()
