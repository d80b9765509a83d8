"""Cases for d2lmini/ops/normalization.py."""
import numpy as np

from . import Case


def _bn_inputs(shape, channels):
    def make(rng):
        return [rng.normal(0.5, 2.0, size=shape),            # data
                rng.uniform(0.5, 1.5, size=(channels,)),     # gamma
                rng.normal(size=(channels,)),                # beta
                rng.normal(size=(channels,)),                # moving_mean
                rng.uniform(0.5, 2.0, size=(channels,))]     # moving_var
    return make


def _bn(train, shape=(4, 3, 2, 2), channels=3, **attrs):
    return Case(inputs=_bn_inputs(shape, channels), attrs=attrs, train=train, wrt=[0, 1, 2])


def _stats(data, axes, eps):
    """The mean and ``1 / sqrt(var + eps)`` over ``axes``, with those axes kept."""
    mean = data.mean(axis=axes, keepdims=True)
    return mean, 1.0 / np.sqrt(data.var(axis=axes, keepdims=True) + eps)


def _bn_backward(batch, fix_gamma, shape=(4, 3, 2), eps=1e-3):
    """A case for ``_backward_BatchNorm(dy, data, gamma, mean, invstd, used_batch,
    moving_mean, moving_var)``. The statistics are those of the data (or the running
    ones), as forward hands them over: they stand for the data, not for free inputs,
    so only dy and gamma are perturbed (and the data too with running statistics,
    which are constants); the data's gradient is checked through BatchNorm's second
    derivative."""
    def make(rng):
        dy, data = rng.normal(size=shape), rng.normal(0.5, 2.0, size=shape)
        gamma = rng.uniform(0.5, 1.5, size=shape[1])
        moving_mean, moving_var = rng.normal(size=shape[1]), rng.uniform(0.5, 2, size=shape[1])
        if batch:
            mean, invstd = (t.reshape(-1) for t in _stats(data, (0, 2), eps))
        else:
            mean, invstd = moving_mean.copy(), 1.0 / np.sqrt(moving_var + eps)
        used_batch = np.empty(1 if batch else 0)
        return [dy, data, gamma, mean, invstd, used_batch, moving_mean, moving_var]
    wrt = [0, 1, 2] if not batch else [0, 2]
    if fix_gamma:
        wrt.remove(2)
    return Case(inputs=make, attrs=dict(fix_gamma=fix_gamma, eps=eps), wrt=wrt, train=batch)


def _layer_backward(rng):
    """``_backward_LayerNorm(dy, data, gamma, mean, std)`` with the data's statistics."""
    dy, data, gamma = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.uniform(0.5, 1.5, 3)
    mean, invstd = _stats(data, (1,), 1e-5)
    return [dy, data, gamma, mean, 1.0 / invstd]


def _instance_backward(rng):
    """``_backward_InstanceNorm(dy, data, gamma, mean, invstd)`` with the data's statistics."""
    dy, data = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    return [dy, data, rng.uniform(0.5, 1.5, 3), *_stats(data, (2,), 1e-3)]


def _group_backward(rng):
    """``_backward_GroupNorm(dy, data, gamma, mean, std)`` with the data's statistics
    (two groups of two channels)."""
    dy, data = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    mean, invstd = _stats(data.reshape(2, 2, 6), (2,), 1e-5)
    return [dy, data, rng.uniform(0.5, 1.5, 2), mean.reshape(2, 2), 1.0 / invstd.reshape(2, 2)]


CASES = {
    'BatchNorm': [
        _bn(True, fix_gamma=False),
        _bn(True),                                   # fix_gamma=True: gamma's gradient is 0
        _bn(False, fix_gamma=False),                 # running statistics
        _bn(True, fix_gamma=False, use_global_stats=True),
        _bn(True, shape=(5, 3), fix_gamma=False, axis=-1, eps=1e-5),
    ],
    '_backward_BatchNorm': [_bn_backward(True, False), _bn_backward(True, True),
                            _bn_backward(False, False), _bn_backward(False, True)],
    'LayerNorm': [Case(shapes=[(2, 3, 4), (4,), (4,)], low=-2.0, high=2.0),
                  Case(shapes=[(2, 3, 4), (3,), (3,)], low=-2.0, high=2.0,
                       attrs=dict(axis=1, eps=1e-3))],
    # as for _backward_BatchNorm: the statistics stand for the data
    '_backward_LayerNorm': [Case(inputs=_layer_backward, wrt=[0, 2])],
    'InstanceNorm': [Case(shapes=[(2, 3, 4), (3,), (3,)], low=-2.0, high=2.0),
                     Case(shapes=[(2, 2, 3, 2), (2,), (2,)], low=-2.0, high=2.0,
                          attrs=dict(eps=1e-2))],
    '_backward_InstanceNorm': [Case(inputs=_instance_backward, wrt=[0, 2])],
    'GroupNorm': [Case(shapes=[(2, 4, 3), (2,), (2,)], low=-2.0, high=2.0,
                       attrs=dict(num_groups=2)),
                  Case(shapes=[(2, 3, 2, 2), (1,), (1,)], low=-2.0, high=2.0,
                       attrs=dict(eps=1e-3))],
    '_backward_GroupNorm': [Case(inputs=_group_backward, wrt=[0, 2],
                                 attrs=dict(num_groups=2))],
}

CASES.update({
    # one device: BatchNorm, with the variance as its second statistic
    '_contrib_SyncBatchNorm': [_bn(True, fix_gamma=False, key='s'), _bn(True, key='s'),
                               _bn(False, fix_gamma=False, key='s')],
})
