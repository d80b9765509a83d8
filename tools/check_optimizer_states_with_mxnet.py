"""Check that real MXNet 1.x loads optimizer states that d2lmini saved in MXNet's format.

    python tools/check_optimizer_states_with_mxnet.py write DIR     # with d2lmini's Python
    python tools/check_optimizer_states_with_mxnet.py check DIR     # with MXNet 1.9.1's

``write`` trains two parameters for two steps with d2lmini, saves the states with
``format='mxnet'`` (``Trainer.save_states``, or ``Module.save_optimizer_states``), takes
two more steps and records the weights. ``check`` loads each file into real MXNet, takes
the same two steps from the saved weights and compares with d2lmini's weights.
The same code runs on either library (``import d2lmini as mx`` / ``import mxnet as mx``).
"""
import os
import sys

import numpy as np

STAGE, FOLDER = sys.argv[1], sys.argv[2]
if STAGE == 'write':
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    import d2lmini as mx
else:
    import mxnet as mx


def cases():
    return {
        'sgd_momentum': ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01,
                                 'lr_scheduler': mx.lr_scheduler.FactorScheduler(3, 0.5)}),
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
        'module_adam': ('adam', {'learning_rate': 0.05}),
    }


def gradient(step, shape, dtype):
    g = np.arange(np.prod(shape), dtype='float64').reshape(shape) * (0.5 - 0.25 * step) + step
    return mx.nd.array(g.astype(dtype), dtype=dtype)


def trainer_case(name, opt, kwargs, record):
    dtype = 'float16' if 'float16' in name else 'float32'
    shapes = {'w': (2, 3), 'b': (3,)}
    params = [mx.gluon.Parameter(n, shape=s, dtype=dtype) for n, s in shapes.items()]
    for p in params:
        p.initialize(mx.init.Constant(0))
        start = record[p.name + ':saved'] if STAGE == 'check' else mx.nd.ones(p.shape) * 0.5
        p.set_data(start.astype(dtype))
    trainer = mx.gluon.Trainer(params, opt, dict(kwargs))
    fname = os.path.join(FOLDER, name + '.states')

    def step(k):
        with mx.autograd.record():
            loss = sum((p.data() * gradient(k, p.shape, dtype)).sum() for p in params)
        loss.backward()
        trainer.step(1)

    if STAGE == 'write':
        step(1), step(2)
        trainer.save_states(fname, format='mxnet')
        for p in params:
            record[p.name + ':saved'] = p.data().copy()
    else:
        trainer.load_states(fname)
        # the optimizer came from the file: it has counted d2lmini's two steps
        assert trainer.optimizer.num_update == 2, trainer.optimizer.num_update
    step(3), step(4)
    return {p.name: p.data().copy() for p in params}


def module_case(name, opt, kwargs, record):
    data = mx.sym.Variable('data')
    w, b = mx.sym.Variable('w', shape=(1, 2, 3)), mx.sym.Variable('b', shape=(3,))
    loss = mx.sym.MakeLoss(mx.sym.sum(mx.sym.broadcast_mul(data, w)) + mx.sym.sum(b))
    mod = mx.mod.Module(loss, data_names=['data'], label_names=None)
    mod.bind(data_shapes=[('data', (1, 2, 3))])
    if STAGE == 'write':
        mod.init_params(arg_params={'w': mx.nd.ones((1, 2, 3)), 'b': mx.nd.ones((3,))})
    else:
        mod.init_params(arg_params={'w': record['w:saved'], 'b': record['b:saved']})
        kwargs = dict(kwargs, begin_num_update=2)   # the file holds no update counts
    mod.init_optimizer(optimizer=opt, optimizer_params=dict(kwargs))
    fname = os.path.join(FOLDER, name + '.states')

    def step(k):
        mod.forward_backward(mx.io.DataBatch([gradient(k, (1, 2, 3), 'float32')]))
        mod.update()

    if STAGE == 'write':
        step(1), step(2)
        mod.save_optimizer_states(fname, format='mxnet')
        args, _ = mod.get_params()
        record.update({'w:saved': args['w'].copy(), 'b:saved': args['b'].copy()})
    else:
        mod.load_optimizer_states(fname)
    step(3), step(4)
    args, _ = mod.get_params()
    return {'w': args['w'].copy(), 'b': args['b'].copy()}


def main():
    os.makedirs(FOLDER, exist_ok=True)
    failures = 0
    for name, (opt, kwargs) in cases().items():
        record_file = os.path.join(FOLDER, name + '.params')
        record = mx.nd.load(record_file) if STAGE == 'check' else {}
        make = module_case if name.startswith('module_') else trainer_case
        final = make(name, opt, kwargs, record)
        if STAGE == 'write':
            record.update({k + ':final': v for k, v in final.items()})
            mx.nd.save(record_file, record)
            continue
        tol = 1e-3 if 'float16' in name else 1e-6
        worst = max(float(np.abs(final[k].asnumpy().astype('float64')
                                 - record[k + ':final'].asnumpy()).max()) for k in final)
        ok = worst <= tol
        failures += not ok
        print(f'{name}: MXNet loaded d2lmini\'s file; largest difference {worst:.3g} '
              f'{"OK" if ok else "FAILED"}')
    if STAGE == 'check':
        print('all agree' if not failures else f'{failures} cases differ')
        sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
