"""The fused update operators and the optimizers, step by step against MXNet 1.9.1.

``tests/fixtures/optimizer`` holds three steps of each operator call and of each
optimizer run as real MXNet computed them (``tools/make_optimizer_fixtures.py``);
here d2lmini replays the same calls and must reach the same weights and states.
"""
import json
import os
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError

HERE = os.path.join(os.path.dirname(__file__), 'fixtures', 'optimizer')
RTOL, ATOL = 1e-5, 1e-6


def _load(what):
    with open(os.path.join(HERE, f'{what}.json')) as f:
        spec = json.load(f)
    packed = np.load(os.path.join(HERE, f'{what}.npz'))
    cases = []
    for entry in spec:
        flat, pos, arrays = packed[entry['case']], 0, {}
        for key, dtype, shape in entry['arrays']:
            n = int(np.prod(shape))
            arrays[key] = flat[pos:pos + n].reshape(shape).astype(dtype)
            pos += n
        cases.append((entry, arrays))
    return cases


OP_CASES = _load('ops')
OPT_CASES = _load('optimizers')


def _close(got, want, what):
    tol = dict(rtol=1e-3, atol=1e-3) if want.dtype == np.float16 else dict(rtol=RTOL, atol=ATOL)
    assert got.dtype == want.dtype, f'{what}: dtype {got.dtype}, MXNet {want.dtype}'
    np.testing.assert_allclose(got, want, err_msg=what, **tol)


@pytest.mark.parametrize('entry,arrays', OP_CASES, ids=[e['case'] for e, _ in OP_CASES])
def test_update_operator_matches_mxnet(entry, arrays):
    nds = {k: mx.nd.array(arrays[f'start:{k}'], dtype=arrays[f'start:{k}'].dtype)
           for k in entry['mutated']}
    op = getattr(mx.nd, entry['op'])
    step = 0
    while f'grad{step}' in arrays:
        g = arrays[f'grad{step}']
        attrs = {k: (step + 1 if v == 'step' else tuple(v) if isinstance(v, list) else v)
                 for k, v in entry['attrs'].items()}
        args = [nds[n] if n != 'grad' else mx.nd.array(g, dtype=g.dtype)
                for n in entry['inputs']]
        if entry['result'] == 'weight':
            res = op(*args, out=nds['weight'], **attrs)
            assert res is nds['weight'] or (isinstance(res, list) and res[0] is nds['weight'])
        else:
            _close(op(*args, **attrs).asnumpy(), arrays[f'step{step}:out'],
                   f'{entry["case"]} step {step} result')
        for k, v in nds.items():
            _close(v.asnumpy(), arrays[f'step{step}:{k}'], f'{entry["case"]} step {step} {k}')
        step += 1
    assert step == 3


def _flatten(state, out):
    if state is None:
        return 'N'
    if isinstance(state, (tuple, list)):
        return 'T(' + ','.join(_flatten(s, out) for s in state) + ')'
    out.append(state.asnumpy())
    return 'A'


@pytest.mark.parametrize('entry,arrays', OPT_CASES, ids=[e['case'] for e, _ in OPT_CASES])
def test_optimizer_matches_mxnet(entry, arrays):
    kwargs = {k: v for k, v in entry['kwargs'].items()}
    opt = mx.optimizer.create(entry['optimizer'], **kwargs)
    opt.set_lr_mult({1: 0.5})
    opt.set_wd_mult({1: 2.0})
    updater = mx.optimizer.get_updater(opt)
    dtype = entry['dtype']
    weights = [mx.nd.array(arrays[f'start:{i}'], dtype=dtype) for i in range(2)]
    for step in range(3):
        for i in range(2):
            g = arrays[f'grad{step}:{i}']
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                updater(i, mx.nd.array(g, dtype=dtype), weights[i])
            what = f'{entry["case"]} step {step} weight {i}'
            _close(weights[i].asnumpy(), arrays[f'step{step}:weight:{i}'], what)
            flat = []
            assert _flatten(updater.states[i], flat) == entry['layouts'][i], \
                f'{what}: the state is laid out differently from MXNet'
            for k, a in enumerate(flat):
                _close(a, arrays[f'step{step}:state:{i}:{k}'], f'{what} state {k}')


# ------------------------------------------------------------------ beyond the fixtures
def test_update_operators_are_declared_without_gradient():
    from d2lmini.ops import OPS
    for name in ('sgd_update', 'sgd_mom_update', 'nag_mom_update', 'adam_update',
                 'rmsprop_update', 'rmspropalex_update', 'ftrl_update', 'signsgd_update',
                 'signum_update', 'mp_sgd_update', 'mp_sgd_mom_update', 'mp_nag_mom_update',
                 'ftml_update', 'multi_sgd_update', 'multi_mp_sgd_mom_update',
                 'lamb_update_phase1', 'lamb_update_phase2'):
        assert OPS[name].no_grad, name
        assert hasattr(mx.sym, name), name


def test_lr_is_required_as_in_mxnet():
    w = mx.nd.ones(2)
    with pytest.raises(MXNetError, match='Required parameter lr'):
        mx.nd.sgd_update(w, w)


def test_out_is_the_weight_and_states_change_in_place():
    w, g, mom = mx.nd.array([1., 2.]), mx.nd.array([1., -1.]), mx.nd.zeros(2)
    res = mx.nd.sgd_mom_update(w, g, mom, lr=0.5, momentum=0.9, out=w)
    assert res is w
    assert w.asnumpy().tolist() == [0.5, 2.5] and mom.asnumpy().tolist() == [-0.5, 0.5]
    # without out=, the weight is left alone (the state still moves, as in MXNet)
    new = mx.nd.sgd_update(w, g, lr=1.0)
    assert new.asnumpy().tolist() == [-0.5, 3.5] and w.asnumpy().tolist() == [0.5, 2.5]


def test_sgld_adds_noise_of_variance_lr():
    mx.random.seed(0)
    opt = mx.optimizer.create('sgld', learning_rate=0.01, wd=0.1)
    w = mx.nd.ones((20000,))
    g = mx.nd.ones((20000,))
    opt.update(0, w, g, opt.create_state(0, w))
    drift = 1 - 0.01 / 2 * (1 + 0.1)
    noise = w.asnumpy() - drift
    assert abs(noise.mean()) < 3e-3 and abs(noise.std() - 0.1) < 3e-3


def test_dcasgd_with_momentum_follows_its_formula():
    # MXNet 1.9.1 fails on this path (``if mom:`` on an NDArray); d2lmini runs the
    # documented rule
    opt = mx.optimizer.create('dcasgd', learning_rate=0.1, momentum=0.9, lamda=0.1)
    w0, g = np.array([1., -2.], np.float32), np.array([0.5, 0.3], np.float32)
    w = mx.nd.array(w0)
    state = opt.create_state(0, w)
    opt.update(0, w, mx.nd.array(g), state)
    mom = -0.1 * (g + 0.1 * g * g * (w0 - w0))
    np.testing.assert_allclose(w.asnumpy(), w0 + mom, rtol=1e-6)
    np.testing.assert_allclose(state[0].asnumpy(), mom, rtol=1e-6)
    np.testing.assert_allclose(state[1].asnumpy(), w0)


def test_every_mxnet_optimizer_is_registered():
    for name in ('sgd', 'nag', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'signum', 'ftml',
                 'ftrl', 'adamax', 'nadam', 'lamb', 'lars', 'sgld', 'dcasgd', 'ccsgd'):
        assert name in mx.optimizer.Optimizer.opt_registry, name
