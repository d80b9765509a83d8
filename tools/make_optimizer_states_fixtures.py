"""Write tests/fixtures/optimizer_states/: optimizer-states files saved by real MXNet 1.x.

Run with MXNet 1.9.1's Python: ``python tools/make_optimizer_states_fixtures.py``.

For each case, two parameters (``w`` of shape (2, 3) and ``b`` of shape (3,)) take two
steps with known gradients; the optimizer states are saved to ``<case>.states`` (with
``Trainer.save_states``, or ``Module.save_optimizer_states`` for ``module_*`` cases) and
two more steps follow. ``<case>.params`` (an ``nd.save`` file) holds what a reader needs
to repeat those last two steps: the weights at the time of the save (``w:saved``,
``b:saved``), the gradients of steps 3 and 4 (``w:grad3`` ...) and the weights MXNet
reached (``w:final``, ``b:final``).
"""
import os
import pickletools

import numpy as np
import mxnet as mx

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                    'optimizer_states')

CASES = {
    'sgd_momentum': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01,
                             'lr_scheduler': mx.lr_scheduler.FactorScheduler(step=3,
                                                                             factor=0.5)}),
    'adam': ('adam', {'learning_rate': 0.05, 'clip_gradient': 2.0}),
    'nag': ('nag', {'learning_rate': 0.1, 'momentum': 0.8}),
    'rmsprop_centered': ('rmsprop', {'learning_rate': 0.01, 'centered': True,
                                     'lr_scheduler': mx.lr_scheduler.PolyScheduler(
                                         max_update=10, base_lr=0.01, pwr=2,
                                         warmup_steps=2)}),
    'adagrad': ('adagrad', {'learning_rate': 0.1,
                            'lr_scheduler': mx.lr_scheduler.MultiFactorScheduler(
                                step=[2, 3], factor=0.5)}),
    'adam_cosine': ('adam', {'learning_rate': 0.05,
                             'lr_scheduler': mx.lr_scheduler.CosineScheduler(
                                 max_update=8, base_lr=0.05, final_lr=0.001)}),
    'sgd_float16_multi_precision': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9,
                                            'multi_precision': True}),
    # a numpy learning rate: the pickle names numpy.dtype and numpy's scalar
    'sgd_numpy_lr': ('sgd', {'learning_rate': np.float32(0.1), 'momentum': 0.9}),
    'module_sgd_momentum': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9}),
    'module_adam': ('adam', {'learning_rate': 0.05}),
}


def gradients(step, dtype):
    """The gradients of step ``step`` (1 to 4): fixed numbers, different each step."""
    w = np.arange(6, dtype='float64').reshape(2, 3) * (0.5 - 0.25 * step) + step
    b = np.array([1.5, -2.0, 0.25]) * (-1) ** step
    return w.astype(dtype), b.astype(dtype)


def start_values(dtype):
    return (np.linspace(-1, 1, 6).reshape(2, 3).astype(dtype),
            np.array([0.5, -0.5, 1.0], dtype=dtype))


def trainer_case(name, opt, kwargs):
    dtype = 'float16' if 'float16' in name else 'float32'
    params = [mx.gluon.Parameter(n, shape=s, dtype=dtype) for n, s in (('w', (2, 3)), ('b', (3,)))]
    for p, v in zip(params, start_values(dtype)):
        p.initialize(mx.init.Constant(0))
        p.set_data(mx.nd.array(v, dtype=dtype))
    trainer = mx.gluon.Trainer(params, opt, dict(kwargs))
    record = {}

    def step(k):
        grads = [mx.nd.array(g, dtype=dtype) for g in gradients(k, dtype)]
        with mx.autograd.record():
            loss = sum((p.data() * g).sum() for p, g in zip(params, grads))
        loss.backward()
        trainer.step(1)
        return grads

    for k in (1, 2):
        step(k)
    fname = os.path.join(HERE, name + '.states')
    trainer.save_states(fname)
    for p in params:
        record[p.name + ':saved'] = p.data().copy()
    for k in (3, 4):
        for p, g in zip(params, step(k)):
            record[f'{p.name}:grad{k}'] = g
    for p in params:
        record[p.name + ':final'] = p.data().copy()
    return fname, record


def module_case(name, opt, kwargs):
    """A Module whose loss is sum(data * w) + sum(b): the gradient of w is the data
    (summed over the batch of one), that of b is ones."""
    data = mx.sym.Variable('data')
    w, b = mx.sym.Variable('w', shape=(1, 2, 3)), mx.sym.Variable('b', shape=(3,))
    loss = mx.sym.MakeLoss(mx.sym.sum(mx.sym.broadcast_mul(data, w)) + mx.sym.sum(b))
    mod = mx.mod.Module(loss, data_names=['data'], label_names=None)
    mod.bind(data_shapes=[('data', (1, 2, 3))])
    w0, b0 = start_values('float32')
    mod.init_params(arg_params={'w': mx.nd.array(w0.reshape(1, 2, 3)), 'b': mx.nd.array(b0)})
    mod.init_optimizer(optimizer=opt, optimizer_params=dict(kwargs))
    record = {}

    def step(k):
        g = gradients(k, 'float32')[0].reshape(1, 2, 3)
        mod.forward_backward(mx.io.DataBatch([mx.nd.array(g)]))
        mod.update()
        return g

    for k in (1, 2):
        step(k)
    fname = os.path.join(HERE, name + '.states')
    mod.save_optimizer_states(fname)
    args, _ = mod.get_params()
    record.update({'w:saved': args['w'].copy(), 'b:saved': args['b'].copy()})
    for k in (3, 4):
        record[f'data:{k}'] = mx.nd.array(step(k))
    args, _ = mod.get_params()
    record.update({'w:final': args['w'].copy(), 'b:final': args['b'].copy()})
    return fname, record


def global_names(fname):
    """The globals a pickle file names (what its reader has to allow)."""
    with open(fname, 'rb') as f:
        ops = list(pickletools.genops(f.read()))
    names, strings = set(), []
    for op, arg, _ in ops:
        if op.name in ('SHORT_BINUNICODE', 'BINUNICODE', 'UNICODE'):
            strings.append(arg)
        elif op.name == 'STACK_GLOBAL':
            names.add('.'.join(strings[-2:]))
        elif op.name == 'GLOBAL':
            names.add(arg.replace(' ', '.'))
    return sorted(names)


def main():
    os.makedirs(HERE, exist_ok=True)
    for name, (opt, kwargs) in CASES.items():
        make = module_case if name.startswith('module_') else trainer_case
        fname, record = make(name, opt, kwargs)
        mx.nd.save(os.path.join(HERE, name + '.params'), record)
        print(f'{name}: {os.path.getsize(fname)} bytes, globals {global_names(fname)}')


if __name__ == '__main__':
    main()
