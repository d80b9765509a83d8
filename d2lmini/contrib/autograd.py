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
    """A ``with`` scope in which recording and training are both ``enter_state``;
    leaving it restores the state found on entry."""

    def __init__(self, enter_state):
        self._inside = enter_state
        self._outside = None

    def __enter__(self):
        self._outside = set_is_training(self._inside)

    def __exit__(self, *exc_info):
        if self._outside != self._inside:  # nothing to undo when they agree
            set_is_training(self._outside)


def train_section():
    """Record operators, with training behaviour, inside a ``with`` block."""
    return TrainingStateScope(enter_state=True)


def test_section():
    """Neither record nor train inside a ``with`` block."""
    return TrainingStateScope(enter_state=False)


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


def _differentiated(args, argnum):
    """The arguments ``argnum`` picks (all of them when it is None), checked to be
    NDArrays."""
    if argnum is None:
        chosen = args
    else:
        chosen = [args[i] for i in (argnum if isinstance(argnum, list) else [argnum])]
    for arg in chosen:
        if not isinstance(arg, NDArray):
            raise TypeError(f'autograd inputs must be NDArrays, not {type(arg).__name__}')
    return chosen


def grad_and_loss(func, argnum=None):
    """``func`` wrapped to return ``(gradients of its arguments, its value)``; ``argnum``
    (an int or list of ints) picks the arguments to differentiate.

    >>> import d2lmini as mx
    >>> cube = grad_and_loss(lambda x: x ** 3)
    >>> grads, value = cube(mx.nd.array([2.]))
    >>> grads[0].asnumpy().tolist(), value.asnumpy().tolist()
    ([12.0], [8.0])
    """
    @functools.wraps(func)
    def wrapped(*args):
        inputs = _differentiated(args, argnum)
        grads = [zeros_like(x) for x in inputs]
        mark_variables(inputs, grads)
        with train_section():
            value = func(*args)
        compute_gradient([value] if isinstance(value, NDArray) else value)
        return grads, value
    return wrapped


def grad(func, argnum=None):
    """``func`` wrapped to return the gradients of its arguments (see
    :func:`grad_and_loss`)."""
    with_value = grad_and_loss(func, argnum)

    @functools.wraps(with_value)
    def wrapped(*args):
        grads, _ = with_value(*args)
        return grads
    return wrapped
