"""Record MXNet 1.x's deformable detection operators on small inputs, for
tests/test_deformable.py: ``tests/fixtures/deformable/<operator>.npz``.

Run with real MXNet 1.9.1 (CPU)::

    ~/mxref/bin/python tools/make_deformable_fixtures.py

Each case ``name`` stores its inputs (``name/in/<input>``), its attributes as JSON
(``name/attrs``), the output (``name/out``) and, where MXNet's CPU has a backward,
the head gradient (``name/head``) and each input's gradient (``name/grad/<input>``).
``deformable-symbol.json`` is a graph as MXNet saves it, and
``deformable-symbol.npz`` its inputs, output and gradients (``grad_<input>``, head
gradient 1).
Offsets and translations are drawn from continuous ranges, so no sample lands on an
integer position (a kink of bilinear interpolation).
"""
import json
import os

import numpy as np
import mxnet as mx

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                    'deformable')


def record(store, name, op, inputs, attrs, grad=True, wrt=None):
    """Run ``op`` on ``inputs`` (an ordered list of (name, array)) and store it all."""
    arrays = [mx.nd.array(a, dtype='float32') for _, a in inputs]
    wrt = [n for n, _ in inputs] if wrt is None else wrt
    for (n, _), a in zip(inputs, arrays):
        if grad and n in wrt:
            a.attach_grad()
    with mx.autograd.record():
        out = op(*arrays, **attrs)
    store[f'{name}/attrs'] = np.array(json.dumps(attrs))
    for n, a in inputs:
        store[f'{name}/in/{n}'] = np.asarray(a, np.float32)
    store[f'{name}/out'] = out.asnumpy()
    if grad:
        head = np.random.default_rng(len(name)).normal(size=out.shape).astype(np.float32)
        out.backward(mx.nd.array(head))
        store[f'{name}/head'] = head
        for (n, _), a in zip(inputs, arrays):
            if n in wrt:
                store[f'{name}/grad/{n}'] = a.grad.asnumpy()


def conv_inputs(rng, data, num_filter, kernel, out, dg=1, group=1, bias=True, mask=False,
                spread=2.0):
    N, C = data[:2]
    K = kernel[0] * kernel[1]
    items = [('data', rng.normal(size=data)),
             ('offset', rng.uniform(-spread, spread, size=(N, 2 * dg * K) + out))]
    if mask:
        items.append(('mask', rng.uniform(0, 1, size=(N, dg * K) + out)))
    items.append(('weight', rng.normal(size=(num_filter, C // group) + kernel)))
    if bias:
        items.append(('bias', rng.normal(size=(num_filter,))))
    return items


CONV_CASES = [
    # name, data shape, output size, attributes
    ('plain', (2, 3, 6, 5), (4, 3), dict(kernel=(3, 3), num_filter=4)),
    ('strided', (1, 4, 7, 6), (4, 6), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1),
                                           dilate=(1, 2), num_filter=4, num_group=2,
                                           num_deformable_group=2, no_bias=True)),
    ('groups', (2, 6, 5, 5), (5, 5), dict(kernel=(3, 3), pad=(1, 1), num_filter=3,
                                          num_group=3, num_deformable_group=3)),
]


def deformable_convolution(rng):
    store = {}
    for name, data, out, attrs in CONV_CASES:
        k = attrs['kernel']
        items = conv_inputs(rng, data, attrs['num_filter'], k, out,
                            attrs.get('num_deformable_group', 1), attrs.get('num_group', 1),
                            not attrs.get('no_bias', False))
        record(store, name, mx.nd.contrib.DeformableConvolution, items, attrs)
    return store


def modulated_deformable_convolution(rng):
    # MXNet 1.9.1 computes this operator's backward on GPUs only: forward here
    store = {}
    for name, data, out, attrs in CONV_CASES:
        k = attrs['kernel']
        items = conv_inputs(rng, data, attrs['num_filter'], k, out,
                            attrs.get('num_deformable_group', 1), attrs.get('num_group', 1),
                            not attrs.get('no_bias', False), mask=True)
        record(store, name, mx.nd.contrib.ModulatedDeformableConvolution, items, attrs,
               grad=False)
    return store


def psroi_inputs(rng, data, rois, trans=None):
    N, C, H, W = data
    boxes = []
    for _ in range(rois):
        x1, y1 = rng.uniform(0, 6, size=2)
        boxes.append([rng.integers(N), x1, y1, x1 + rng.uniform(3, 9), y1 + rng.uniform(3, 9)])
    items = [('data', rng.normal(size=data)), ('rois', np.array(boxes))]
    if trans is not None:
        items.append(('trans', rng.uniform(-1, 1, size=(rois,) + trans)))
    return items


PSROI_CASES = [
    # name, data shape, regions, trans shape (per region), attributes
    ('no_trans', (2, 8, 6, 7), 3, None,
     dict(spatial_scale=0.5, output_dim=2, group_size=2, pooled_size=2, sample_per_part=2,
          no_trans=True)),
    ('parts', (1, 18, 7, 8), 2, (2, 2, 2),
     dict(spatial_scale=0.6, output_dim=2, group_size=3, pooled_size=3, part_size=2,
          sample_per_part=2, trans_std=0.1)),
    ('classes', (2, 36, 9, 9), 3, (4, 3, 3),
     dict(spatial_scale=0.75, output_dim=4, group_size=3, pooled_size=3, sample_per_part=3,
          trans_std=0.2)),
    ('coarse_groups', (1, 8, 8, 8), 2, (2, 4, 4),
     dict(spatial_scale=1.0, output_dim=2, group_size=2, pooled_size=4, sample_per_part=1,
          trans_std=0.3)),
]


def deformable_psroi_pooling(rng):
    store = {}
    for name, data, rois, trans, attrs in PSROI_CASES:
        record(store, name, mx.nd.contrib.DeformablePSROIPooling,
               psroi_inputs(rng, data, rois, trans), attrs, wrt=['data', 'trans'])
    return store


def rroi_inputs(rng, data, rois):
    N, C, H, W = data
    boxes = [[rng.integers(N), rng.uniform(-1, 2 * W), rng.uniform(-1, 2 * H),
              rng.uniform(0.5, 10), rng.uniform(0.5, 8), rng.uniform(-180, 180)]
             for _ in range(rois)]
    return [('data', rng.normal(size=data)), ('rois', np.array(boxes))]


RROI_CASES = [
    ('adaptive', (2, 3, 7, 8), 6, dict(pooled_size=(2, 3), spatial_scale=0.5)),
    ('sampled', (1, 2, 6, 6), 5, dict(pooled_size=(3, 2), spatial_scale=0.6, sampling_ratio=2)),
    ('single', (2, 2, 5, 7), 5, dict(pooled_size=(1, 1), spatial_scale=0.4, sampling_ratio=3)),
]


def rroi_align(rng):
    # no gradient in MXNet 1.x: forward only
    store = {}
    for name, data, rois, attrs in RROI_CASES:
        record(store, name, mx.nd.contrib.RROIAlign, rroi_inputs(rng, data, rois), attrs,
               grad=False)
    return store


OPERATORS = {
    'DeformableConvolution': deformable_convolution,
    'ModulatedDeformableConvolution': modulated_deformable_convolution,
    'DeformablePSROIPooling': deformable_psroi_pooling,
    'RROIAlign': rroi_align,
}


def symbol_graph():
    """A graph of DeformableConvolution then DeformablePSROIPooling, as MXNet saves it."""
    conv = mx.sym.contrib.DeformableConvolution(mx.sym.var('data'), mx.sym.var('offset'),
                                                kernel=(3, 3), pad=(1, 1), num_filter=2,
                                                num_deformable_group=1, name='dc')
    pool = mx.sym.contrib.DeformablePSROIPooling(conv, mx.sym.var('rois'), spatial_scale=0.5,
                                                 output_dim=2, group_size=1, pooled_size=2,
                                                 no_trans=True, sample_per_part=2, name='ps')
    return pool


def symbol_run(pool):
    """The graph's inputs and MXNet's output, for a check that the loaded graph runs."""
    rng = np.random.default_rng(9)
    args = {'data': rng.normal(size=(1, 3, 6, 6)),
            'offset': rng.uniform(-1.5, 1.5, size=(1, 18, 6, 6)),
            'dc_weight': rng.normal(size=(2, 3, 3, 3)), 'dc_bias': np.array([0.5, -0.5]),
            'rois': np.array([[0, 1, 1, 9, 7], [0, 0, 2, 5, 11]])}
    args = {k: np.asarray(v, np.float32) for k, v in args.items()}
    arrays = {k: mx.nd.array(v) for k, v in args.items()}
    grads = {k: mx.nd.zeros(v.shape) for k, v in args.items() if k != 'rois'}
    run = pool.bind(mx.cpu(), arrays, args_grad=grads,
                    grad_req={k: 'null' if k == 'rois' else 'write' for k in args})
    out = run.forward(is_train=True)[0].asnumpy()
    run.backward(mx.nd.ones(out.shape))
    return dict(args, out=out, **{f'grad_{k}': v.asnumpy() for k, v in grads.items()})


def main():
    os.makedirs(HERE, exist_ok=True)
    graph = symbol_graph()
    with open(os.path.join(HERE, 'deformable-symbol.json'), 'w') as f:
        f.write(graph.tojson())
    np.savez_compressed(os.path.join(HERE, 'deformable-symbol.npz'), **symbol_run(graph))
    for i, (op, make) in enumerate(OPERATORS.items()):
        store = make(np.random.default_rng(i))
        np.savez_compressed(os.path.join(HERE, f'{op}.npz'), **store)
        print(op, len(store), 'arrays')


if __name__ == '__main__':
    main()
