"""Fused optimizer updates: one operator per update rule, as in MXNet 1.x.

Each operator takes the weight, the gradient and the optimizer's state arrays, and
returns the new weight. Like MXNet's, they work in place on the state arrays
(``mom``, ``mean``, ``var``, ``weight32`` ...), and callers write the weight back
with ``out=weight``::

    nd.sgd_mom_update(weight, grad, mom, lr=0.1, momentum=0.9, out=weight)

The optimizers of :mod:`d2lmini.optimizer` call these operators, so each rule is
written once. The arithmetic follows MXNet's kernels: every hyper-parameter is an
operator attribute of type float, so it is rounded to float32 and then to the
weight's dtype (float32 for the ``mp_`` forms, which keep a float32 master copy
``weight32`` of a float16 weight): a float64 weight sees ``lr=0.1`` as
``0.10000000149...``, as in MXNet. The gradient is clipped
to ``[-clip_gradient, clip_gradient]`` whenever ``clip_gradient >= 0`` (so ``0``
clips every gradient to zero; the default ``-1`` does not clip).

An update is not a differentiable function of its inputs: they are all declared
``no_grad``.

>>> import d2lmini as mx
>>> w, g, mom = mx.nd.array([1., 2.]), mx.nd.array([10., -10.]), mx.nd.zeros(2)
>>> _ = mx.nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9, out=w)
>>> w.asnumpy().tolist(), mom.asnumpy().tolist()
([0.0, 3.0], [-1.0, 1.0])
"""
import numpy as np

from ..base import MXNetError
from .registry import register

_F32 = np.float32


def _required(op, **values):
    """MXNet's error for a required attribute that was not given (``lr`` ...)."""
    for name, value in values.items():
        if value is None:
            raise MXNetError(f'Required parameter {name} of float is not presented, in '
                             f'operator {op}')


def _typed(dtype, *values):
    """Hyper-parameters as scalars of ``dtype``. MXNet declares them as float
    attributes (float32) and its kernels cast them to the weight's type: float32
    rounding shows in the results, of ``1 - beta`` in float32 and of ``lr`` itself
    in float64."""
    t = np.dtype(dtype).type
    return [t(_F32(v)) for v in values]


def _rescaled(xp, grad, rescale_grad, clip_gradient, dtype):
    """``clip(rescale_grad * grad, clip_gradient)`` in ``dtype`` (a new array)."""
    # one pass: the multiplication converts to dtype as it goes (no astype copy first)
    g = xp.multiply(grad, dtype.type(_F32(rescale_grad)), dtype=dtype)
    return _clip(xp, g, clip_gradient)


def _clip(xp, a, bound):
    """``a`` clipped in place to ``[-bound, bound]`` when ``bound >= 0`` (a float32
    attribute, like the other hyper-parameters)."""
    if bound >= 0:
        bound, = _typed(a.dtype, bound)
        xp.clip(a, -bound, bound, out=a)
    return a


def _update(name, inputs, **attr_types):
    """Register an update rule (a decorator): not differentiable; the new weight has
    the weight's dtype; ``lr`` is a float even though its default is None."""
    return register(name, inputs=inputs, no_grad=True, attr_types={'lr': 'float', **attr_types},
                    infer_type=lambda types, **attrs: [types[0]])


# ------------------------------------------------------------------ SGD, momentum, NAG
def _sgd_step(xp, w, g, lr, wd, mom=None, momentum=0.0):
    """The plain and momentum SGD steps on float arrays ``w`` (a copy) and ``g``."""
    if mom is None:
        # (1 - lr * wd) * w - lr * g, as MXNet's sgd_update kernel orders it
        w *= 1 - lr * wd
        w -= lr * g
        return w
    mom *= momentum
    mom -= lr * (wd * w + g)
    w += mom
    return w


@_update('sgd_update', ('weight', 'grad'))
def sgd_update(xp, weight, grad, lr=None, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
               lazy_update=True):
    """Stochastic gradient descent: returns the updated weight.

    ::

        grad = clip(rescale_grad * grad, clip_gradient)
        weight = (1 - lr * wd) * weight - lr * grad

    weight, grad : NDArrays of one shape
    lr : the learning rate (required)
    wd : weight decay
    rescale_grad : the gradient is multiplied by this first
    clip_gradient : clip to ``[-clip_gradient, clip_gradient]`` when ``>= 0``
    lazy_update : only matters for sparse gradients (d2lmini has none)

    >>> import d2lmini as mx
    >>> w = mx.nd.array([1., 2.])
    >>> _ = mx.nd.sgd_update(w, mx.nd.array([10., -10.]), lr=0.1, out=w)
    >>> w.asnumpy().tolist()
    [0.0, 3.0]
    """
    _required('sgd_update', lr=lr)
    dt = weight.dtype
    lr, wd = _typed(dt, lr, wd)
    g = _rescaled(xp, grad, rescale_grad, clip_gradient, dt)
    if wd:
        return _sgd_step(xp, weight.copy(), g, lr, wd)
    # without weight decay (1 - lr * wd is 1) the same numbers in three passes over
    # the data instead of six: g becomes lr * g, then weight - lr * g, in place
    g *= lr
    return xp.subtract(weight, g, out=g)


@_update('sgd_mom_update', ('weight', 'grad', 'mom'))
def sgd_mom_update(xp, weight, grad, mom, lr=None, momentum=0.0, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0, lazy_update=True):
    """SGD with momentum; updates ``mom`` in place and returns the new weight.

    ::

        grad = clip(rescale_grad * grad, clip_gradient)
        mom = momentum * mom - lr * (wd * weight + grad)
        weight = weight + mom

    mom : the momentum buffer (starts at zeros), written in place
    momentum : the decay of ``mom``
    (the other arguments as in ``sgd_update``)

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w, mom = mx.nd.array([1.]), mx.nd.array([0.5])
    >>> _ = mx.nd.sgd_mom_update(w, mx.nd.array([1.]), mom, lr=0.1, momentum=0.9, out=w)
    >>> round(float(mom.asscalar()), 4), round(float(w.asscalar()), 4)
    (0.35, 1.35)
    """
    _required('sgd_mom_update', lr=lr)
    dt = weight.dtype
    lr, wd, momentum = _typed(dt, lr, wd, momentum)
    return _sgd_step(xp, weight.copy(), _rescaled(xp, grad, rescale_grad, clip_gradient, dt),
                     lr, wd, mom, momentum)


def _nag_step(xp, w, g, mom, lr, wd, momentum):
    """MXNet's NAG kernel. It writes the weight before it updates the momentum, and
    optimizers call it with ``out=weight``, so the momentum sees the *new* weight."""
    mom *= momentum
    w_new = w - mom + (momentum + 1) * (mom - lr * (g + wd * w))
    mom -= lr * (g + wd * w_new)
    return w_new


@_update('nag_mom_update', ('weight', 'grad', 'mom'))
def nag_mom_update(xp, weight, grad, mom, lr=None, momentum=0.0, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0):
    """Nesterov accelerated gradient; updates ``mom`` in place, returns the new weight.

    ::

        grad = clip(rescale_grad * grad, clip_gradient)
        mom = momentum * mom
        new_weight = weight + momentum * (mom - lr * (grad + wd * weight))
                     - lr * (grad + wd * weight)
        mom = mom - lr * (grad + wd * new_weight)

    The momentum is updated with the *new* weight, which is what MXNet computes when
    called as optimizers call it, with ``out=weight`` (MXNet with a separate ``out``
    uses the old weight there).

    mom : the momentum buffer, written in place
    (the other arguments as in ``sgd_mom_update``)

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w, mom = mx.nd.array([1.]), mx.nd.zeros(1)
    >>> _ = mx.nd.nag_mom_update(w, mx.nd.array([1.]), mom, lr=0.1, momentum=0.5, out=w)
    >>> round(float(w.asscalar()), 4), round(float(mom.asscalar()), 4)
    (0.85, -0.1)
    """
    _required('nag_mom_update', lr=lr)
    dt = weight.dtype
    lr, wd, momentum = _typed(dt, lr, wd, momentum)
    g = _rescaled(xp, grad, rescale_grad, clip_gradient, dt)
    return _nag_step(xp, weight, g, mom, lr, wd, momentum)


def _mp(weight, weight32, w32_new):
    """Write the float32 master copy in place; the new weight is its cast."""
    weight32[...] = w32_new
    return w32_new.astype(weight.dtype)


@_update('mp_sgd_update', ('weight', 'grad', 'weight32'))
def mp_sgd_update(xp, weight, grad, weight32, lr=None, wd=0.0, rescale_grad=1.0,
                  clip_gradient=-1.0, lazy_update=True):
    """``sgd_update`` for a float16 weight with a float32 master copy ``weight32``.

    The step is computed in float32 on ``weight32`` (written in place); the result
    is ``weight32`` cast to the weight's dtype.

    >>> import d2lmini as mx
    >>> w = mx.nd.array([1.], dtype='float16'); w32 = w.astype('float32')
    >>> _ = mx.nd.mp_sgd_update(w, mx.nd.array([1.], dtype='float16'), w32, lr=0.5, out=w)
    >>> w.dtype.__name__, float(w32.asscalar())
    ('float16', 0.5)
    """
    _required('mp_sgd_update', lr=lr)
    f32 = np.dtype(_F32)
    lr, wd = _typed(f32, lr, wd)
    w = _sgd_step(xp, weight32.copy(), _rescaled(xp, grad, rescale_grad, clip_gradient, f32),
                  lr, wd)
    return _mp(weight, weight32, w)


@_update('mp_sgd_mom_update', ('weight', 'grad', 'mom', 'weight32'))
def mp_sgd_mom_update(xp, weight, grad, mom, weight32, lr=None, momentum=0.0, wd=0.0,
                      rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    """``sgd_mom_update`` for a float16 weight: ``mom`` and ``weight32`` are float32
    and written in place; the result is ``weight32`` cast to the weight's dtype.

    >>> import d2lmini as mx
    >>> w = mx.nd.array([1.], dtype='float16')
    >>> mom, w32 = mx.nd.zeros(1), w.astype('float32')
    >>> _ = mx.nd.mp_sgd_mom_update(w, w, mom, w32, lr=0.5, momentum=0.9, out=w)
    >>> float(mom.asscalar()), float(w.asscalar())
    (-0.5, 0.5)
    """
    _required('mp_sgd_mom_update', lr=lr)
    f32 = np.dtype(_F32)
    lr, wd, momentum = _typed(f32, lr, wd, momentum)
    w = _sgd_step(xp, weight32.copy(), _rescaled(xp, grad, rescale_grad, clip_gradient, f32),
                  lr, wd, mom, momentum)
    return _mp(weight, weight32, w)


@_update('mp_nag_mom_update', ('weight', 'grad', 'mom', 'weight32'))
def mp_nag_mom_update(xp, weight, grad, mom, weight32, lr=None, momentum=0.0, wd=0.0,
                      rescale_grad=1.0, clip_gradient=-1.0):
    """``nag_mom_update`` for a float16 weight: ``mom`` and ``weight32`` are float32
    and written in place; the result is ``weight32`` cast to the weight's dtype.

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w = mx.nd.array([1.], dtype='float16')
    >>> mom, w32 = mx.nd.zeros(1), w.astype('float32')
    >>> _ = mx.nd.mp_nag_mom_update(w, w, mom, w32, lr=0.1, momentum=0.5, out=w)
    >>> round(float(w32.asscalar()), 4)
    0.85
    """
    _required('mp_nag_mom_update', lr=lr)
    f32 = np.dtype(_F32)
    lr, wd, momentum = _typed(f32, lr, wd, momentum)
    g = _rescaled(xp, grad, rescale_grad, clip_gradient, f32)
    return _mp(weight, weight32, _nag_step(xp, weight32, g, mom, lr, wd, momentum))


# ------------------------------------------------------------------ the multi_ forms
def _multi(name, per_weight, with_mom, with_w32):
    """``multi_*sgd*_update``: the data are the weights, gradients (and momenta, and
    float32 master copies) of ``num_weights`` weights, interleaved; one output each."""
    stride = 2 + with_mom + with_w32

    def forward(xp, *data, lrs=(), wds=(), momentum=0.0, rescale_grad=1.0,
                clip_gradient=-1.0, num_weights=1):
        if len(data) != stride * num_weights:
            raise MXNetError(f'{name}: expected {stride * num_weights} inputs for '
                             f'num_weights={num_weights}, got {len(data)}')
        if len(lrs) != num_weights or len(wds) != num_weights:
            raise MXNetError(f'{name}: lrs and wds need num_weights={num_weights} values')
        outs = []
        for k in range(num_weights):
            group = data[k * stride:(k + 1) * stride]
            attrs = dict(lr=lrs[k], wd=wds[k], rescale_grad=rescale_grad,
                         clip_gradient=clip_gradient)
            if with_mom:
                attrs['momentum'] = momentum
            outs.append(per_weight(xp, *group, **attrs))
        return tuple(outs)
    forward.__name__ = name
    forward.__doc__ = (
        f'``{per_weight.__name__}`` for ``num_weights`` weights at once; one output '
        'per weight.\n\n'
        f'data : for each weight, its {", ".join(_PER_WEIGHT_INPUTS[per_weight.__name__])} '
        '(interleaved)\n'
        'lrs, wds : one learning rate and one weight decay per weight\n'
        'momentum, rescale_grad, clip_gradient : shared by all the weights\n'
        'num_weights : how many weights\n\n'
        'The optimizers call it as MXNet 1.x does, with ``out=`` the list of weights.')
    register(name, forward, no_grad=True, num_outputs=0,
             attr_types={'lrs': 'any', 'wds': 'any'},   # tuples of floats, not a shape
             num_visible_outputs=lambda attrs: attrs['num_weights'],
             infer_shape=lambda shapes, num_weights=1, **attrs: [
                 shapes[k * stride] for k in range(num_weights)],
             infer_type=lambda types, num_weights=1, **attrs: [
                 types[k * stride] for k in range(num_weights)])


_PER_WEIGHT_INPUTS = {'sgd_update': ('weight', 'grad'),
                     'sgd_mom_update': ('weight', 'grad', 'mom'),
                     'mp_sgd_update': ('weight', 'grad', 'weight32'),
                     'mp_sgd_mom_update': ('weight', 'grad', 'mom', 'weight32')}
_multi('multi_sgd_update', sgd_update, False, False)
_multi('multi_sgd_mom_update', sgd_mom_update, True, False)
_multi('multi_mp_sgd_update', mp_sgd_update, False, True)
_multi('multi_mp_sgd_mom_update', mp_sgd_mom_update, True, True)


def _preloaded(name, per_weight, with_mom, with_w32):
    """``preloaded_multi_*sgd*_update``: as ``multi_*``, but the learning rates and
    weight decays are two arrays given after the weights' data (MXNet computes them
    on the device, e.g. with ``multi_lars``)."""
    stride = 2 + with_mom + with_w32

    def forward(xp, *data, momentum=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                num_weights=1):
        if len(data) != stride * num_weights + 2:
            raise MXNetError(f'{name}: expected {stride * num_weights + 2} inputs for '
                             f'num_weights={num_weights} (the weights\' data, then lrs and '
                             f'wds), got {len(data)}')
        lrs, wds = (xp.asarray(a).reshape(-1) for a in data[-2:])
        if lrs.size != num_weights or wds.size != num_weights:
            raise MXNetError(f'{name}: lrs and wds need num_weights={num_weights} values')
        outs = []
        for k in range(num_weights):
            attrs = dict(lr=float(lrs[k]), wd=float(wds[k]), rescale_grad=rescale_grad,
                         clip_gradient=clip_gradient)
            if with_mom:
                attrs['momentum'] = momentum
            outs.append(per_weight(xp, *data[k * stride:(k + 1) * stride], **attrs))
        return tuple(outs)
    forward.__name__ = name
    forward.__doc__ = (
        f'``{per_weight.__name__}`` for ``num_weights`` weights at once, with the '
        'learning rates and weight decays in arrays; one output per weight.\n\n'
        f'data : for each weight, its {", ".join(_PER_WEIGHT_INPUTS[per_weight.__name__])} '
        '(interleaved), then the array of learning rates and the array of weight decays\n'
        'momentum, rescale_grad, clip_gradient : shared by all the weights\n'
        'num_weights : how many weights')
    register(name, forward, no_grad=True, num_outputs=0,
             num_visible_outputs=lambda attrs: attrs['num_weights'],
             infer_shape=lambda shapes, num_weights=1, **attrs: [
                 shapes[k * stride] for k in range(num_weights)],
             infer_type=lambda types, num_weights=1, **attrs: [
                 types[k * stride] for k in range(num_weights)])


_preloaded('preloaded_multi_sgd_update', sgd_update, False, False)
_preloaded('preloaded_multi_sgd_mom_update', sgd_mom_update, True, False)
_preloaded('preloaded_multi_mp_sgd_update', mp_sgd_update, False, True)
_preloaded('preloaded_multi_mp_sgd_mom_update', mp_sgd_mom_update, True, True)


# ------------------------------------------------------------------ sign methods
@_update('signsgd_update', ('weight', 'grad'))
def signsgd_update(xp, weight, grad, lr=None, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    """signSGD: a step of ``lr`` against the sign of the gradient.

    ::

        weight = (1 - lr * wd) * weight - lr * sign(grad)

    (``rescale_grad`` and ``clip_gradient`` are accepted; a sign does not change
    under them.)

    >>> import d2lmini as mx
    >>> w = mx.nd.array([1., 1.])
    >>> mx.nd.signsgd_update(w, mx.nd.array([3., -0.1]), lr=0.5).asnumpy().tolist()
    [0.5, 1.5]
    """
    _required('signsgd_update', lr=lr)
    lr, wd = _typed(weight.dtype, lr, wd)
    return ((1 - lr * wd) * weight - lr * xp.sign(grad)).astype(weight.dtype, copy=False)


@_update('signum_update', ('weight', 'grad', 'mom'))
def signum_update(xp, weight, grad, mom, lr=None, momentum=0.0, wd=0.0, rescale_grad=1.0,
                  clip_gradient=-1.0, wd_lh=0.0):
    """Signum: signSGD on a momentum of the gradients; ``mom`` is written in place.

    ::

        grad = clip(rescale_grad * grad, clip_gradient)
        mom = momentum * mom - (1 - momentum) * (wd * weight + grad)
        weight = (1 - lr * wd_lh) * weight + lr * sign(mom)

    wd_lh : decoupled weight decay (Loshchilov and Hutter)

    >>> import d2lmini as mx
    >>> w, mom = mx.nd.array([1.]), mx.nd.zeros(1)
    >>> mx.nd.signum_update(w, mx.nd.array([2.]), mom, lr=0.1, momentum=0.9).asnumpy()
    array([0.9], dtype=float32)
    """
    _required('signum_update', lr=lr)
    dt = weight.dtype
    lr, wd, momentum, wd_lh = _typed(dt, lr, wd, momentum, wd_lh)
    g = _rescaled(xp, grad, rescale_grad, clip_gradient, dt)
    mom *= momentum
    mom -= (1 - momentum) * (wd * weight + g)
    return (1 - lr * wd_lh) * weight + lr * xp.sign(mom)


# ------------------------------------------------------------------ adaptive methods
@_update('adam_update', ('weight', 'grad', 'mean', 'var'))
def adam_update(xp, weight, grad, mean, var, lr=None, beta1=0.9, beta2=0.999, epsilon=1e-8,
                wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    """Adam; ``mean`` and ``var`` are written in place.

    ::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * grad
        var = beta2 * var + (1 - beta2) * grad ** 2
        weight = weight - lr * mean / (sqrt(var) + epsilon)

    There is no bias correction here: ``mx.optimizer.Adam`` folds it into ``lr``.

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w, m, v = mx.nd.array([1.]), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> _ = mx.nd.adam_update(w, mx.nd.array([2.]), m, v, lr=0.1, out=w)
    >>> round(float(m.asscalar()), 4), round(float(v.asscalar()), 4)
    (0.2, 0.004)
    """
    _required('adam_update', lr=lr)
    dt = weight.dtype
    lr, beta1, beta2, epsilon, wd, rescale = _typed(dt, lr, beta1, beta2, epsilon, wd,
                                                    rescale_grad)
    g = _clip(xp, grad.astype(dt) * rescale + wd * weight, clip_gradient)
    mean *= beta1
    mean += (1 - beta1) * g
    var *= beta2
    var += (1 - beta2) * g * g
    return weight - lr * mean / (xp.sqrt(var) + epsilon)


@_update('rmsprop_update', ('weight', 'grad', 'n'))
def rmsprop_update(xp, weight, grad, n, lr=None, gamma1=0.95, epsilon=1e-8, wd=0.0,
                   rescale_grad=1.0, clip_gradient=-1.0, clip_weights=-1.0):
    """RMSProp (Tieleman and Hinton); ``n`` is written in place.

    ::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        n = (1 - gamma1) * grad ** 2 + gamma1 * n
        weight = clip(weight - lr * grad / sqrt(n + epsilon), clip_weights)

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w, n = mx.nd.array([1.]), mx.nd.zeros(1)
    >>> _ = mx.nd.rmsprop_update(w, mx.nd.array([2.]), n, lr=0.1, gamma1=0.75, out=w)
    >>> round(float(n.asscalar()), 4), round(float(w.asscalar()), 4)
    (1.0, 0.8)
    """
    _required('rmsprop_update', lr=lr)
    dt = weight.dtype
    lr, gamma1, epsilon, wd, rescale = _typed(dt, lr, gamma1, epsilon, wd, rescale_grad)
    g = _clip(xp, grad.astype(dt) * rescale + wd * weight, clip_gradient)
    n *= gamma1
    n += (1 - gamma1) * g * g
    return _clip(xp, weight - lr * g / xp.sqrt(n + epsilon), clip_weights)


@_update('rmspropalex_update', ('weight', 'grad', 'n', 'g', 'delta'))
def rmspropalex_update(xp, weight, grad, n, g, delta, lr=None, gamma1=0.95, gamma2=0.9,
                       epsilon=1e-8, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                       clip_weights=-1.0):
    """Centred RMSProp (Graves); ``n``, ``g`` and ``delta`` are written in place.

    ::

        grad = clip(rescale_grad * grad + wd * weight, clip_gradient)
        n = (1 - gamma1) * grad ** 2 + gamma1 * n
        g = (1 - gamma1) * grad + gamma1 * g
        delta = gamma2 * delta - lr * grad / sqrt(n - g ** 2 + epsilon)
        weight = clip(weight + delta, clip_weights)

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w = mx.nd.array([1.]); n, g, d = mx.nd.zeros(1), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> _ = mx.nd.rmspropalex_update(w, mx.nd.array([1.]), n, g, d, lr=0.1, out=w)
    >>> round(float(g.asscalar()), 4)
    0.05
    """
    _required('rmspropalex_update', lr=lr)
    dt = weight.dtype
    lr, gamma1, gamma2, epsilon, wd, rescale = _typed(dt, lr, gamma1, gamma2, epsilon, wd,
                                                      rescale_grad)
    gr = _clip(xp, grad.astype(dt) * rescale + wd * weight, clip_gradient)
    n *= gamma1
    n += (1 - gamma1) * gr * gr
    g *= gamma1
    g += (1 - gamma1) * gr
    delta *= gamma2
    delta -= lr * gr / xp.sqrt(n - g * g + epsilon)
    return _clip(xp, weight + delta, clip_weights)


@_update('ftrl_update', ('weight', 'grad', 'z', 'n'))
def ftrl_update(xp, weight, grad, z, n, lr=None, lamda1=0.01, beta=1.0, wd=0.0,
                rescale_grad=1.0, clip_gradient=-1.0):
    """FTRL-proximal (McMahan et al.); ``z`` and ``n`` are written in place.

    ::

        grad = clip(rescale_grad * grad, clip_gradient)
        z = z + grad - (sqrt(n + grad ** 2) - sqrt(n)) * weight / lr
        n = n + grad ** 2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)

    lamda1 : the L1 regularisation
    beta : added to ``sqrt(n)`` in the per-coordinate learning rate

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w, z, n = mx.nd.array([0.]), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> _ = mx.nd.ftrl_update(w, mx.nd.array([1.]), z, n, lr=0.5, out=w)
    >>> round(float(w.asscalar()), 4)      # (0.01 - 1) / ((1 + 1) / 0.5)
    -0.2475
    """
    _required('ftrl_update', lr=lr)
    dt = weight.dtype
    lr, lamda1, beta, wd = _typed(dt, lr, lamda1, beta, wd)
    g = _rescaled(xp, grad, rescale_grad, clip_gradient, dt)
    z += g - (xp.sqrt(n + g * g) - xp.sqrt(n)) * weight / lr
    n += g * g
    new = (xp.sign(z) * lamda1 - z) / ((beta + xp.sqrt(n)) / lr + wd)
    return (new * (xp.abs(z) > lamda1)).astype(dt, copy=False)


@_update('ftml_update', ('weight', 'grad', 'd', 'v', 'z'), t='int')
def ftml_update(xp, weight, grad, d, v, z, lr=None, beta1=0.6, beta2=0.999, epsilon=1e-8,
                t=None, wd=0.0, rescale_grad=1.0, clip_grad=-1.0):
    """FTML, Follow the Moving Leader (Zheng and Kwok); ``d``, ``v`` and ``z`` are
    written in place. ``t`` (required) counts the updates, from 1.

    ::

        grad = clip(rescale_grad * grad + wd * weight, clip_grad)
        v = beta2 * v + (1 - beta2) * grad ** 2
        d_t = (1 - beta1 ** t) / lr * (sqrt(v / (1 - beta2 ** t)) + epsilon)
        z = beta1 * z + (1 - beta1) * grad - (d_t - beta1 * d) * weight
        d = d_t
        weight = -z / d_t

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> w = mx.nd.array([1.]); d, v, z = mx.nd.zeros(1), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> _ = mx.nd.ftml_update(w, mx.nd.array([1.]), d, v, z, lr=0.1, t=1, out=w)
    >>> round(float(w.asscalar()), 3)
    0.9
    """
    _required('ftml_update', lr=lr, t=t)
    dt = weight.dtype
    lr, beta1, beta2, epsilon, wd, rescale = _typed(dt, lr, beta1, beta2, epsilon, wd,
                                                    rescale_grad)
    g = _clip(xp, grad.astype(dt) * rescale + wd * weight, clip_grad)
    v *= beta2
    v += (1 - beta2) * g * g
    d_t = (1 - beta1 ** t) / lr * (xp.sqrt(v / (1 - beta2 ** t)) + epsilon)
    z *= beta1
    z += (1 - beta1) * g - (d_t - beta1 * d) * weight
    d[...] = d_t
    return (-z / d_t).astype(dt, copy=False)


# ------------------------------------------------------------------ LAMB
def _lamb_phase1(xp, weight, grad, mean, var, beta1, beta2, epsilon, t, bias_correction, wd,
                 rescale_grad, clip_gradient, dt):
    beta1, beta2, epsilon, wd = _typed(dt, beta1, beta2, epsilon, wd)
    g = _rescaled(xp, grad, rescale_grad, clip_gradient, dt)
    mean *= beta1
    mean += (1 - beta1) * g
    var *= beta2
    var += (1 - beta2) * g * g
    if bias_correction:
        m_hat = mean / (1 - beta1 ** t)
        v_hat = var / (1 - beta2 ** t)
        return (m_hat / (xp.sqrt(v_hat) + epsilon) + wd * weight).astype(dt, copy=False)
    return mean / (xp.sqrt(var) + epsilon) + wd * weight


@register('lamb_update_phase1', inputs=('weight', 'grad', 'mean', 'var'), no_grad=True,
          attr_types={'wd': 'float', 't': 'int'},
          infer_type=lambda types, **attrs: [types[0]])
def lamb_update_phase1(xp, weight, grad, mean, var, beta1=0.9, beta2=0.999, epsilon=1e-6,
                       t=None, bias_correction=True, wd=None, rescale_grad=1.0,
                       clip_gradient=-1.0):
    """LAMB's first phase: Adam's direction plus weight decay; ``mean`` and ``var``
    are written in place and the direction ``g`` is returned (``t`` and ``wd`` are
    required).

    ::

        grad = clip(rescale_grad * grad, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * grad
        var = beta2 * var + (1 - beta2) * grad ** 2
        with bias_correction: mean /= 1 - beta1 ** t; var /= 1 - beta2 ** t
        g = mean / (sqrt(var) + epsilon) + wd * weight

    >>> import d2lmini as mx
    >>> from builtins import round   # nd.round shadows it in mx.nd
    >>> m, v = mx.nd.zeros(1), mx.nd.zeros(1)
    >>> g = mx.nd.lamb_update_phase1(mx.nd.array([1.]), mx.nd.array([2.]), m, v, t=1, wd=0)
    >>> round(float(g.asscalar()), 4)
    1.0
    """
    _required('lamb_update_phase1', t=t, wd=wd)
    return _lamb_phase1(xp, weight, grad, mean, var, beta1, beta2, epsilon, t,
                        bias_correction, wd, rescale_grad, clip_gradient, weight.dtype)


def _lamb_phase2(xp, weight, g, r1, r2, lr, lower_bound, upper_bound, dt):
    r1 = r1.astype(dt).reshape(())
    r2 = r2.astype(dt).reshape(())
    lr, lower_bound, upper_bound = _typed(dt, lr, lower_bound, upper_bound)
    if lower_bound >= 0:
        r1 = xp.maximum(r1, lower_bound)
    if upper_bound >= 0:
        r1 = xp.minimum(r1, upper_bound)
    ratio = xp.where((r1 == 0) | (r2 == 0), dt.type(1), r1 / xp.where(r2 == 0, 1, r2))
    return (weight - lr * ratio * g).astype(dt, copy=False)


@register('lamb_update_phase2', inputs=('weight', 'g', 'r1', 'r2'), no_grad=True,
          attr_types={'lr': 'float'},
          infer_type=lambda types, **attrs: [types[0]])
def lamb_update_phase2(xp, weight, g, r1, r2, lr=None, lower_bound=-1.0, upper_bound=-1.0):
    """LAMB's second phase: a step along ``g`` scaled by the trust ratio.

    ``r1`` and ``r2`` are the norms of the weight and of ``g`` (arrays of one
    element). ``r1`` is first clipped to ``[lower_bound, upper_bound]`` (each bound
    only when ``>= 0``)::

        weight = weight - lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1) * g

    >>> import d2lmini as mx
    >>> w, g = mx.nd.array([3., 4.]), mx.nd.array([1., 0.])
    >>> mx.nd.lamb_update_phase2(w, g, w.norm(), g.norm(), lr=0.1).asnumpy().tolist()
    [2.5, 4.0]
    """
    _required('lamb_update_phase2', lr=lr)
    return _lamb_phase2(xp, weight, g, r1, r2, lr, lower_bound, upper_bound, weight.dtype)


@register('mp_lamb_update_phase1', inputs=('weight', 'grad', 'mean', 'var', 'weight32'),
          no_grad=True, attr_types={'wd': 'float', 't': 'int'},
          infer_type=lambda types, **attrs: [np.dtype(_F32)])
def mp_lamb_update_phase1(xp, weight, grad, mean, var, weight32, beta1=0.9, beta2=0.999,
                          epsilon=1e-6, t=None, bias_correction=True, wd=None,
                          rescale_grad=1.0, clip_gradient=-1.0):
    """``lamb_update_phase1`` for a float16 weight with float32 master copy
    ``weight32``: float32 arithmetic, and the direction is float32."""
    _required('mp_lamb_update_phase1', t=t, wd=wd)
    return _lamb_phase1(xp, weight32, grad, mean, var, beta1, beta2, epsilon, t,
                        bias_correction, wd, rescale_grad, clip_gradient, np.dtype(_F32))


@register('mp_lamb_update_phase2', inputs=('weight', 'g', 'r1', 'r2', 'weight32'),
          no_grad=True, attr_types={'lr': 'float'},
          infer_type=lambda types, **attrs: [types[0]])
def mp_lamb_update_phase2(xp, weight, g, r1, r2, weight32, lr=None, lower_bound=-1.0,
                          upper_bound=-1.0):
    """``lamb_update_phase2`` on the float32 master copy ``weight32`` (written in
    place); the result is its cast to the weight's dtype."""
    _required('mp_lamb_update_phase2', lr=lr)
    w = _lamb_phase2(xp, weight32, g, r1, r2, lr, lower_bound, upper_bound, np.dtype(_F32))
    return _mp(weight, weight32, w)


# ------------------------------------------------------------------ AdamW (contrib)
def _adamw_scale(xp, rescale_grad):
    """The rescale factor, an array of one value (or a number): None when it is NaN,
    infinite or zero, and MXNet skips the update."""
    scale = float(xp.asarray(rescale_grad).reshape(-1)[0]) if not isinstance(
        rescale_grad, (int, float)) else float(rescale_grad)
    return scale if np.isfinite(scale) and scale != 0 else None


def _adamw_step(xp, weight, grad, mean, var, scale, lr, eta, beta1, beta2, epsilon, wd,
                clip_gradient, dt):
    lr, eta, beta1, beta2, epsilon, wd = _typed(dt, lr, eta, beta1, beta2, epsilon, wd)
    g = _rescaled(xp, grad, scale, clip_gradient, dt)
    mean *= beta1
    mean += (1 - beta1) * g
    var *= beta2
    var += (1 - beta2) * g * g
    return (weight - eta * (lr * mean / (xp.sqrt(var) + epsilon) + wd * weight)).astype(
        dt, copy=False)


@register('_contrib_adamw_update', inputs=('weight', 'grad', 'mean', 'var', 'rescale_grad'),
          no_grad=True, attr_types={'lr': 'float', 'eta': 'float'},
          infer_type=lambda types, **attrs: [types[0]])
def adamw_update(xp, weight, grad, mean, var, rescale_grad, lr=None, eta=None, beta1=0.9,
                 beta2=0.999, epsilon=1e-8, wd=0.0, clip_gradient=-1.0):
    """AdamW (``nd.contrib.adamw_update``): Adam with weight decay decoupled from the
    gradient, the learning rate scaled by the schedule multiplier ``eta``::

        grad = clip(rescale_grad * grad, clip_gradient)
        mean = beta1 * mean + (1 - beta1) * grad
        var = beta2 * var + (1 - beta2) * grad ** 2
        weight = weight - eta * (lr * mean / (sqrt(var) + epsilon) + wd * weight)

    ``rescale_grad`` is an array of one value (so that loss scaling can set it on the
    device); when it is NaN, infinite or 0 the update is skipped: ``mean`` and
    ``var`` are left alone and the weight is returned unchanged. (MXNet then
    returns an output it never wrote, uninitialised memory unless ``out=weight``.)
    ``lr`` and ``eta`` are required.

    >>> import d2lmini as mx
    >>> w, m, v = mx.nd.array([1.]), mx.nd.zeros(1), mx.nd.zeros(1)
    >>> w = mx.nd.contrib.adamw_update(w, mx.nd.array([2.]), m, v, mx.nd.array([0.5]),
    ...                                lr=0.1, eta=1.0, epsilon=0)
    >>> print('%.4f' % w.asscalar())   # mean 0.1, sqrt(var) 0.0316: a step of 0.316
    0.6838
    """
    _required('adamw_update', lr=lr, eta=eta)
    scale = _adamw_scale(xp, rescale_grad)
    if scale is None:
        return weight.copy()
    return _adamw_step(xp, weight, grad, mean, var, scale, lr, eta, beta1, beta2, epsilon,
                       wd, clip_gradient, weight.dtype)


@register('_contrib_mp_adamw_update',
          inputs=('weight', 'grad', 'mean', 'var', 'weight32', 'rescale_grad'), no_grad=True,
          attr_types={'lr': 'float', 'eta': 'float'},
          infer_type=lambda types, **attrs: [types[0]])
def mp_adamw_update(xp, weight, grad, mean, var, weight32, rescale_grad, lr=None, eta=None,
                    beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, clip_gradient=-1.0):
    """``adamw_update`` for a float16 weight with a float32 master copy ``weight32``
    (written in place): float32 arithmetic, the result cast to the weight's dtype."""
    _required('mp_adamw_update', lr=lr, eta=eta)
    scale = _adamw_scale(xp, rescale_grad)
    if scale is None:
        return weight.copy()
    w = _adamw_step(xp, weight32, grad, mean, var, scale, lr, eta, beta1, beta2, epsilon,
                    wd, clip_gradient, np.dtype(_F32))
    return _mp(weight, weight32, w)


def _multi_adamw(name, with_w32):
    """``_multi_adamw_update`` / ``_multi_mp_adamw_update``: AdamW for ``num_weights``
    weights at once. The data are each weight's weight, grad, mean and var (and
    float32 master copy), interleaved, then one ``rescale_grad`` array shared by all."""
    stride = 4 + with_w32
    per_weight = mp_adamw_update if with_w32 else adamw_update

    def forward(xp, *data, lrs=(), wds=(), etas=(), beta1=0.9, beta2=0.999, epsilon=1e-8,
                clip_gradient=-1.0, num_weights=1):
        if len(data) != stride * num_weights + 1:
            raise MXNetError(f'{name}: expected {stride * num_weights + 1} inputs for '
                             f'num_weights={num_weights} (the weights\' data, then '
                             f'rescale_grad), got {len(data)}')
        if not len(lrs) == len(wds) == len(etas) == num_weights:
            raise MXNetError(f'{name}: lrs, wds and etas need num_weights={num_weights} '
                             f'values each, got {len(lrs)}, {len(wds)} and {len(etas)}')
        rescale_grad = data[-1]
        return tuple(per_weight(xp, *data[k * stride:(k + 1) * stride], rescale_grad,
                                lr=float(lrs[k]), eta=float(etas[k]), beta1=beta1,
                                beta2=beta2, epsilon=epsilon, wd=float(wds[k]),
                                clip_gradient=clip_gradient)
                     for k in range(num_weights))
    forward.__name__ = name
    forward.__doc__ = (
        f'``{per_weight.__name__}`` for ``num_weights`` weights at once; one output per '
        'weight (``nd.contrib.multi_' + ('mp_' if with_w32 else '') + 'adamw_update``).\n\n'
        'data : for each weight, its weight, grad, mean, var' + (', weight32' if with_w32
                                                                  else '') +
        ' (interleaved), then rescale_grad, an array of one value shared by all\n'
        'lrs, wds, etas : one learning rate, weight decay and schedule multiplier per '
        'weight\n'
        'beta1, beta2, epsilon, clip_gradient : shared by all the weights\n'
        'num_weights : how many weights')
    register(name, forward, no_grad=True, num_outputs=0,
             attr_types={'lrs': 'any', 'wds': 'any', 'etas': 'any'},
             num_visible_outputs=lambda attrs: attrs['num_weights'],
             infer_shape=lambda shapes, num_weights=1, **attrs: [
                 shapes[k * stride] for k in range(num_weights)],
             infer_type=lambda types, num_weights=1, **attrs: [
                 types[k * stride] for k in range(num_weights)])


_multi_adamw('_multi_adamw_update', with_w32=False)
_multi_adamw('_multi_mp_adamw_update', with_w32=True)
