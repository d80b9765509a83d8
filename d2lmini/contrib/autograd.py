"""``mx.contrib.autograd``: MXNet's first, deprecated autograd API, kept so that code
written for it runs. New code uses :mod:`mx.autograd <d2lmini.autograd>`.

Here one switch turns both recording and training behaviour on or off, as in MXNet:
``train_section()`` records with dropout active, ``test_section()`` does neither.

>>> import d2lmini as mx
>>> from d2lmini.contrib import autograd as cag
>>> x = mx.nd.array([1., 2.])
>>> dx = mx.nd.zeros_like(x)
>>> cag.mark_variables([x], [dx])
>>> with cag.train_section():
...     y = x * x
>>> cag.backward([y])
>>> dx.asnumpy().tolist()
[2.0, 4.0]
"""
import functools

from .. import autograd as _autograd
from ..ndarray import NDArray, zeros_like

__all__ = ['set_is_training', 'TrainingStateScope', 'train_section', 'test_section',
           'mark_variables', 'backward', 'compute_gradient', 'grad_and_loss', 'grad']


def set_is_training(is_train):
    """Turn recording and training behaviour both on or off; returns the previous
    state (of recording)."""
    _autograd.set_training(is_train)
    return _autograd.set_recording(is_train)


class TrainingStateScope:
    """A ``with`` scope in which recording and training are both ``enter_state``."""

    def __init__(self, enter_state):
        self._enter_state = enter_state
        self._prev = None

    def __enter__(self):
        self._prev = set_is_training(self._enter_state)

    def __exit__(self, ptype, value, trace):
        if self._prev != self._enter_state:
            set_is_training(self._prev)


def train_section():
    """Record operators, with training behaviour, inside a ``with`` block."""
    return TrainingStateScope(True)


def test_section():
    """Neither record nor train inside a ``with`` block."""
    return TrainingStateScope(False)


mark_variables = _autograd.mark_variables


def backward(outputs, out_grads=None, retain_graph=False):
    """Gradients of ``outputs`` (a list) into the marked variables' gradients."""
    if not isinstance(outputs, (list, tuple)):
        raise TypeError('outputs must be a list or tuple of NDArrays')
    if out_grads is not None and len(out_grads) != len(outputs):
        raise ValueError('outputs and out_grads must have the same length')
    _autograd.backward(list(outputs), out_grads, retain_graph=retain_graph)


def compute_gradient(outputs):
    """Deprecated name of :func:`backward`."""
    backward(outputs)


def grad_and_loss(func, argnum=None):
    """``func`` wrapped to return ``(gradients of its arguments, its value)``; ``argnum``
    (an int or list of ints) picks the arguments to differentiate."""
    @functools.wraps(func)
    def wrapped(*args):
        variables = args
        if argnum is not None:
            argnum_ = argnum if isinstance(argnum, list) else [argnum]
            variables = [args[i] for i in argnum_]
        for x in variables:
            if not isinstance(x, NDArray):
                raise TypeError(f'autograd inputs must be NDArrays, not {type(x).__name__}')
        grads = [zeros_like(x) for x in variables]
        mark_variables(variables, grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if isinstance(outputs, NDArray) else outputs)
        return grads, outputs
    return wrapped


def grad(func, argnum=None):
    """``func`` wrapped to return the gradients of its arguments (see
    :func:`grad_and_loss`)."""
    grad_with_loss_func = grad_and_loss(func, argnum)

    @functools.wraps(grad_with_loss_func)
    def wrapped(*args):
        return grad_with_loss_func(*args)[0]
    return wrapped
