"""Write tests/fixtures/optimizer/ with real MXNet 1.9.1 (run with MXNet's Python,
not d2lmini's): three steps of every fused update operator and of every optimizer,
on small fixed weights and gradients, with the weights and states after each step.
``tests/test_update_ops.py`` replays the same calls with d2lmini and compares.

    ~/mxref/bin/python tools/make_optimizer_fixtures.py

Files: ``ops.json`` / ``ops.npz`` (operator calls) and ``optimizers.json`` /
``optimizers.npz`` (optimizer runs). The JSON files hold the calls (names,
arguments); the .npz files the arrays, keyed ``<case>:<what>``.
"""
import json
import os
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'optimizer')
SHAPE = (2, 3)
STEPS = 3

# ------------------------------------------------------------------ operator calls
# (case, operator, inputs: name -> (dtype, 'weight' | 'grad' | 'zeros' | 'positive'),
#  attributes, where the result goes: 'weight' (out=weight) or 'new' (a new array))
F32, F16 = 'float32', 'float16'
W, G = (F32, 'weight'), (F32, 'grad')
Z, P = (F32, 'zeros'), (F32, 'positive')
OP_CASES = [
    ('sgd', 'sgd_update', dict(weight=W, grad=G), dict(lr=0.1, wd=0.01), 'weight'),
    ('sgd_clip', 'sgd_update', dict(weight=W, grad=G),
     dict(lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.2), 'weight'),
    ('sgd_clip0', 'sgd_update', dict(weight=W, grad=G), dict(lr=0.1, clip_gradient=0.0),
     'weight'),
    ('sgd_mom', 'sgd_mom_update', dict(weight=W, grad=G, mom=Z),
     dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=2.0), 'weight'),
    ('sgd_mom_clip', 'sgd_mom_update', dict(weight=W, grad=G, mom=P),
     dict(lr=0.05, momentum=0.5, clip_gradient=0.3), 'weight'),
    ('nag', 'nag_mom_update', dict(weight=W, grad=G, mom=P),
     dict(lr=0.1, momentum=0.9, wd=0.1), 'weight'),
    ('nag_new', 'nag_mom_update', dict(weight=W, grad=G, mom=Z),
     dict(lr=0.1, momentum=0.9, wd=0.0, clip_gradient=0.5), 'weight'),
    ('mp_sgd', 'mp_sgd_update', dict(weight=(F16, 'weight'), grad=(F16, 'grad'),
                                      weight32=(F32, 'weight32')),
     dict(lr=0.1, wd=0.01, rescale_grad=0.5), 'weight'),
    ('mp_sgd_mom', 'mp_sgd_mom_update', dict(weight=(F16, 'weight'), grad=(F16, 'grad'),
                                              mom=Z, weight32=(F32, 'weight32')),
     dict(lr=0.1, momentum=0.9, wd=0.01, clip_gradient=0.4), 'weight'),
    ('mp_nag', 'mp_nag_mom_update', dict(weight=(F16, 'weight'), grad=(F16, 'grad'),
                                          mom=Z, weight32=(F32, 'weight32')),
     dict(lr=0.1, momentum=0.9, wd=0.01), 'weight'),
    ('adam', 'adam_update', dict(weight=W, grad=G, mean=Z, var=Z),
     dict(lr=0.01, wd=0.01, rescale_grad=0.5), 'weight'),
    ('adam_clip', 'adam_update', dict(weight=W, grad=G, mean=Z, var=Z),
     dict(lr=0.01, beta1=0.8, beta2=0.99, epsilon=1e-6, clip_gradient=0.3), 'weight'),
    ('rmsprop', 'rmsprop_update', dict(weight=W, grad=G, n=Z),
     dict(lr=0.01, gamma1=0.9, wd=0.01, clip_weights=0.5), 'weight'),
    ('rmspropalex', 'rmspropalex_update', dict(weight=W, grad=G, n=Z, g=Z, delta=Z),
     dict(lr=0.01, gamma1=0.9, gamma2=0.8, clip_gradient=0.5, rescale_grad=0.5), 'weight'),
    ('ftrl', 'ftrl_update', dict(weight=W, grad=G, z=Z, n=Z),
     dict(lr=0.1, lamda1=0.01, beta=1.0, wd=0.01), 'weight'),
    ('ftrl_clip', 'ftrl_update', dict(weight=W, grad=G, z=Z, n=P),
     dict(lr=0.5, lamda1=0.2, clip_gradient=0.3, rescale_grad=2.0), 'weight'),
    ('signsgd', 'signsgd_update', dict(weight=W, grad=G), dict(lr=0.1, wd=0.1), 'weight'),
    ('signum', 'signum_update', dict(weight=W, grad=G, mom=Z),
     dict(lr=0.1, momentum=0.9, wd=0.1, wd_lh=0.01, rescale_grad=0.5), 'weight'),
    ('ftml', 'ftml_update', dict(weight=W, grad=G, d=Z, v=Z, z=Z),
     dict(lr=0.1, beta1=0.6, beta2=0.999, wd=0.01, clip_grad=0.5, t='step'), 'weight'),
    ('lamb1', 'lamb_update_phase1', dict(weight=W, grad=G, mean=Z, var=Z),
     dict(wd=0.01, t='step', rescale_grad=0.5), 'new'),
    ('lamb1_nobias', 'lamb_update_phase1', dict(weight=W, grad=G, mean=Z, var=Z),
     dict(wd=0.01, t='step', bias_correction=False, clip_gradient=0.3), 'new'),
    ('multi_sgd', 'multi_sgd_update', dict(weight=W, grad=G),
     dict(lrs=(0.1,), wds=(0.01,), num_weights=1, rescale_grad=0.5), 'weight'),
    ('multi_sgd_mom', 'multi_sgd_mom_update', dict(weight=W, grad=G, mom=Z),
     dict(lrs=(0.1,), wds=(0.01,), momentum=0.9, num_weights=1, clip_gradient=0.3),
     'weight'),
    ('multi_mp_sgd', 'multi_mp_sgd_update',
     dict(weight=(F16, 'weight'), grad=(F16, 'grad'), weight32=(F32, 'weight32')),
     dict(lrs=(0.1,), wds=(0.01,), num_weights=1), 'weight'),
    ('multi_mp_sgd_mom', 'multi_mp_sgd_mom_update',
     dict(weight=(F16, 'weight'), grad=(F16, 'grad'), mom=Z, weight32=(F32, 'weight32')),
     dict(lrs=(0.1,), wds=(0.01,), momentum=0.9, num_weights=1), 'weight'),
]

# ------------------------------------------------------------------ optimizer runs
# (case, optimizer, keyword arguments, weight dtype). Every run updates two weights,
# index 0 and index 1, and index 1 has lr_mult 0.5 and wd_mult 2.
OPT_CASES = [
    ('sgd', 'sgd', dict(learning_rate=0.1, wd=0.01), F32),
    ('sgd_mom', 'sgd', dict(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5,
                            clip_gradient=0.3), F32),
    ('sgd_mp', 'sgd', dict(learning_rate=0.1, momentum=0.9, wd=0.01, multi_precision=True),
     F16),
    ('sgd_mp_nomom', 'sgd', dict(learning_rate=0.1, wd=0.01, multi_precision=True), F16),
    ('nag', 'nag', dict(learning_rate=0.1, momentum=0.9, wd=0.01, clip_gradient=0.4), F32),
    ('nag_nomom', 'nag', dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5), F32),
    ('nag_mp', 'nag', dict(learning_rate=0.1, momentum=0.9, wd=0.01, multi_precision=True),
     F16),
    ('adam', 'adam', dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5, clip_gradient=0.3),
     F32),
    ('adam_mp', 'adam', dict(learning_rate=0.01, wd=0.01, multi_precision=True), F16),
    ('rmsprop', 'rmsprop', dict(learning_rate=0.01, wd=0.01, clip_weights=0.5), F32),
    ('rmsprop_centered', 'rmsprop', dict(learning_rate=0.01, centered=True,
                                         clip_gradient=0.3, rescale_grad=0.5), F32),
    ('adagrad', 'adagrad', dict(learning_rate=0.1, wd=0.01, clip_gradient=0.3), F32),
    ('adadelta', 'adadelta', dict(wd=0.01, rescale_grad=0.5, clip_gradient=0.3), F32),
    ('signum', 'signum', dict(learning_rate=0.01, momentum=0.9, wd=0.01, wd_lh=0.01), F32),
    ('signsgd', 'signum', dict(learning_rate=0.01, momentum=0.0, wd=0.01), F32),
    ('ftml', 'ftml', dict(learning_rate=0.01, wd=0.01, clip_gradient=0.3), F32),
    ('ftrl', 'ftrl', dict(learning_rate=0.1, lamda1=0.01, wd=0.01, rescale_grad=0.5), F32),
    ('adamax', 'adamax', dict(learning_rate=0.01, wd=0.01, clip_gradient=0.3), F32),
    ('nadam', 'nadam', dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5), F32),
    ('lamb', 'lamb', dict(learning_rate=0.01, wd=0.01), F32),
    ('lamb_bounds', 'lamb', dict(learning_rate=0.01, wd=0.01, lower_bound=0.5,
                                 upper_bound=1.0, bias_correction=False,
                                 clip_gradient=0.3), F32),
    ('lamb_mp', 'lamb', dict(learning_rate=0.01, wd=0.01, multi_precision=True), F16),
    ('lars', 'lars', dict(learning_rate=0.1, momentum=0.9, wd=0.01, eta=0.01), F32),
    ('lars_nomom', 'lars', dict(learning_rate=0.1, wd=0.01, rescale_grad=0.5), F32),
    # (DCASGD with momentum fails in MXNet 1.9.1 itself: ``if mom:`` on an NDArray)
    ('dcasgd_nomom', 'dcasgd', dict(learning_rate=0.1, wd=0.01, clip_gradient=0.3), F32),
]


def initial(kind, dtype, rng):
    """The starting value of an input of ``kind``."""
    if kind in ('weight', 'weight32'):
        return rng.uniform(-1, 1, SHAPE).astype(np.float16).astype(dtype)
    if kind == 'zeros':
        return np.zeros(SHAPE, dtype)
    if kind == 'positive':
        return rng.uniform(0.1, 0.5, SHAPE).astype(dtype)
    raise ValueError(kind)


def gradients(rng, dtype, n=STEPS):
    return [rng.uniform(-1, 1, SHAPE).astype(dtype) for _ in range(n)]


def flatten_state(state, out):
    """The arrays of a state, in order, and its layout: N (None), A (an array),
    T(...) (a tuple or list)."""
    if state is None:
        return 'N'
    if isinstance(state, (tuple, list)):
        return 'T(' + ','.join(flatten_state(s, out) for s in state) + ')'
    out.append(state.asnumpy())
    return 'A'


def make_ops():
    import mxnet as mx
    arrays, spec = {}, []
    for case, op, inputs, attrs, result in OP_CASES:
        rng = np.random.RandomState(len(spec))
        start = {}
        for name, (dtype, kind) in inputs.items():
            if kind == 'grad':
                continue
            start[name] = initial('weight' if kind == 'weight32' else kind, dtype, rng)
        if 'weight32' in start:   # the master copy holds the weight's value
            start['weight32'] = start['weight'].astype(np.float32)
        grads = gradients(rng, inputs['grad'][0])
        nds = {k: mx.nd.array(v, dtype=v.dtype) for k, v in start.items()}
        for k, v in start.items():
            arrays[f'{case}:start:{k}'] = v
        for step, g in enumerate(grads):
            arrays[f'{case}:grad{step}'] = g
            kw = {k: (step + 1 if v == 'step' else v) for k, v in attrs.items()}
            args = [nds[n] if n != 'grad' else mx.nd.array(g, dtype=g.dtype) for n in inputs]
            if result == 'weight':
                getattr(mx.nd, op)(*args, out=nds['weight'], **kw)
            else:
                arrays[f'{case}:step{step}:out'] = getattr(mx.nd, op)(*args, **kw).asnumpy()
            for k, v in nds.items():
                arrays[f'{case}:step{step}:{k}'] = v.asnumpy()
        spec.append(dict(case=case, op=op, inputs=list(inputs), attrs=attrs, result=result,
                         mutated=list(start)))
    return spec, arrays


def make_optimizers():
    import mxnet as mx
    arrays, spec = {}, []
    for case, name, kwargs, dtype in OPT_CASES:
        rng = np.random.RandomState(100 + len(spec))
        opt = mx.optimizer.create(name, **kwargs)
        opt.set_lr_mult({1: 0.5})
        opt.set_wd_mult({1: 2.0})
        updater = mx.optimizer.get_updater(opt)
        weights = [initial('weight', dtype, rng) for _ in range(2)]
        nds = [mx.nd.array(w, dtype=dtype) for w in weights]
        layouts = {}
        for i, w in enumerate(weights):
            arrays[f'{case}:start:{i}'] = w
        for step in range(STEPS):
            for i in range(2):
                g = rng.uniform(-1, 1, SHAPE).astype(dtype)
                arrays[f'{case}:grad{step}:{i}'] = g
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    updater(i, mx.nd.array(g, dtype=dtype), nds[i])
                arrays[f'{case}:step{step}:weight:{i}'] = nds[i].asnumpy()
                flat = []
                layouts[i] = flatten_state(updater.states[i], flat)
                for k, a in enumerate(flat):
                    arrays[f'{case}:step{step}:state:{i}:{k}'] = a
        spec.append(dict(case=case, optimizer=name, kwargs=kwargs, dtype=dtype,
                         layouts=[layouts[0], layouts[1]]))
    return spec, arrays


def pack(spec, arrays):
    """One float64 vector per case (float16 and float32 values are exact in it),
    with the keys, dtypes and shapes in the case's ``arrays`` entry: a few entries
    keep the file small."""
    packed = {}
    for entry in spec:
        case = entry['case']
        keys = [k for k in arrays if k.split(':', 1)[0] == case]
        entry['arrays'] = [[k.split(':', 1)[1], arrays[k].dtype.name, list(arrays[k].shape)]
                           for k in keys]
        packed[case] = np.concatenate([arrays[k].astype(np.float64).ravel() for k in keys])
    return packed


def main():
    os.makedirs(OUT, exist_ok=True)
    for what, make in (('ops', make_ops), ('optimizers', make_optimizers)):
        spec, arrays = make()
        packed = pack(spec, arrays)
        with open(os.path.join(OUT, f'{what}.json'), 'w') as f:
            json.dump(spec, f, separators=(',', ':'))
        np.savez_compressed(os.path.join(OUT, f'{what}.npz'), **packed)
        print(what, len(spec), 'cases,', len(arrays), 'arrays')


if __name__ == '__main__':
    main()
