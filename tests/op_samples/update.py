"""Cases for d2lmini/ops/update.py. Updates are not differentiable: only forward runs
(tests/test_update_ops.py checks their numbers against MXNet)."""
import numpy as np

from . import Case

_WHY = 'an optimizer update is not differentiable'
S = (2, 3)


def _arrays(*kinds, dtype=np.float64):
    """Inputs: 'w' weights, 'g' gradients, 'z' zero states, 'p' positive states,
    'w16'/'g16' float16 weights and gradients, 'w32' float32 master copies, 'n' norms."""
    def make(rng):
        out = []
        for k in kinds:
            if k == 'z':
                out.append(np.zeros(S, dtype))
            elif k == 'p':
                out.append(rng.uniform(0.1, 0.5, S).astype(dtype))
            elif k == 'n':
                out.append(rng.uniform(0.5, 2.0, (1,)).astype(dtype))
            elif k in ('w16', 'g16'):
                out.append(rng.uniform(-1, 1, S).astype(np.float16))
            elif k == 'w32':
                out.append(rng.uniform(-1, 1, S).astype(np.float32))
            elif k == 'z32':
                out.append(np.zeros(S, np.float32))
            else:
                out.append(rng.uniform(-1, 1, S).astype(dtype))
        return out
    return make


def _case(kinds, dtype=np.float64, **attrs):
    return [Case(inputs=_arrays(*kinds, dtype=dtype), attrs=attrs, nondiff=_WHY)]


CASES = {
    'sgd_update': _case('wg', lr=0.1, wd=0.01, clip_gradient=0.5),
    'sgd_mom_update': _case('wgz', lr=0.1, momentum=0.9, rescale_grad=0.5),
    'nag_mom_update': _case('wgp', lr=0.1, momentum=0.9, wd=0.1),
    'mp_sgd_update': _case(['w16', 'g16', 'w32'], lr=0.1, wd=0.01),
    'mp_sgd_mom_update': _case(['w16', 'g16', 'z32', 'w32'], lr=0.1, momentum=0.9),
    'mp_nag_mom_update': _case(['w16', 'g16', 'z32', 'w32'], lr=0.1, momentum=0.9),
    'multi_sgd_update': _case('wgwg', lrs=(0.1, 0.2), wds=(0.0, 0.01), num_weights=2),
    'multi_sgd_mom_update': _case('wgz', lrs=(0.1,), wds=(0.01,), momentum=0.9,
                                  num_weights=1),
    'multi_mp_sgd_update': _case(['w16', 'g16', 'w32'], lrs=(0.1,), wds=(0.0,),
                                 num_weights=1),
    'multi_mp_sgd_mom_update': _case(['w16', 'g16', 'z32', 'w32'], lrs=(0.1,), wds=(0.0,),
                                     momentum=0.5, num_weights=1),
    'signsgd_update': _case('wg', lr=0.1, wd=0.01),
    'preloaded_multi_sgd_update': _case('wgnn', clip_gradient=0.5, num_weights=1),
    'preloaded_multi_sgd_mom_update': _case('wgznn', momentum=0.9, num_weights=1),
    'preloaded_multi_mp_sgd_update': _case(['w16', 'g16', 'w32', 'n', 'n'], num_weights=1),
    'preloaded_multi_mp_sgd_mom_update': _case(['w16', 'g16', 'z32', 'w32', 'n', 'n'],
                                               momentum=0.5, num_weights=1),
    '_contrib_adamw_update': _case('wgzzn', lr=0.01, eta=0.5, wd=0.01),
    '_contrib_mp_adamw_update': _case(['w16', 'g16', 'z32', 'z32', 'w32', 'n'], lr=0.01,
                                      eta=1.0),
    '_multi_adamw_update': _case('wgzzn', lrs=(0.01,), wds=(0.01,), etas=(0.5,),
                                 num_weights=1),
    '_multi_mp_adamw_update': _case(['w16', 'g16', 'z32', 'z32', 'w32', 'n'], lrs=(0.01,),
                                    wds=(0.0,), etas=(1.0,), num_weights=1),
    'signum_update': _case('wgz', lr=0.1, momentum=0.9, wd_lh=0.01),
    'adam_update': _case('wgzz', lr=0.01, wd=0.01),
    'rmsprop_update': _case('wgz', lr=0.01, clip_weights=0.5),
    'rmspropalex_update': _case('wgzzz', lr=0.01, gamma2=0.8),
    'ftrl_update': _case('wgzz', lr=0.1, wd=0.01),
    'ftml_update': _case('wgzzz', lr=0.1, t=2, clip_grad=0.5),
    'lamb_update_phase1': _case('wgzz', t=1, wd=0.01),
    'lamb_update_phase2': _case('wgnn', lr=0.1, lower_bound=0.5),
    'mp_lamb_update_phase1': _case(['w16', 'g16', 'z32', 'z32', 'w32'], t=1, wd=0.01),
    'mp_lamb_update_phase2': [Case(inputs=lambda rng: [
        rng.uniform(-1, 1, S).astype(np.float16), rng.uniform(-1, 1, S).astype(np.float32),
        np.array([1.5], np.float32), np.array([0.5], np.float32),
        rng.uniform(-1, 1, S).astype(np.float32)], attrs=dict(lr=0.1), nondiff=_WHY)],
}
