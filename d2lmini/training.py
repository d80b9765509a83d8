"""Tools the chapters share for training and evaluating classifiers.

They are written with NDArray operations only, so they work for a network built from
scratch (a Python function and a list of parameters) as well as for a Gluon block.

>>> import d2lmini as mx
>>> y_hat = mx.nd.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
>>> accuracy(y_hat, mx.nd.array([1, 0, 0]))
2.0
"""
import time

import numpy as np

from . import autograd
from .context import cpu, gpu, num_gpus

__all__ = ['Timer', 'Accumulator', 'synthetic_data', 'linreg', 'squared_loss', 'sgd',
           'accuracy', 'evaluate_accuracy', 'evaluate_loss', 'try_gpu', 'try_all_gpus',
           'train_epoch', 'train']


class Timer:
    """Record running times: ``start()`` and ``stop()`` around the work, as often
    as needed; then ``avg()``, ``sum()`` and ``cumsum()`` of the recorded times.

    >>> timer = Timer()          # starts at once
    >>> t = timer.stop()         # seconds since start()
    >>> len(timer.times), timer.sum() == t
    (1, True)
    """

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """Start (or restart) the clock."""
        self._tik = time.perf_counter()

    def stop(self):
        """Stop the clock, record the time since ``start()`` and return it."""
        self.times.append(time.perf_counter() - self._tik)
        return self.times[-1]

    def avg(self):
        """The average recorded time."""
        return sum(self.times) / len(self.times)

    def sum(self):
        """The total recorded time."""
        return sum(self.times)

    def cumsum(self):
        """The running totals of the recorded times, as a list."""
        return np.cumsum(self.times).tolist()


class Accumulator:
    """``n`` running sums, added to together: ``add(loss, correct, count)``.
    The values may be numbers or one-element NDArrays.

    >>> metric = Accumulator(2)
    >>> metric.add(3, 1.5)
    >>> metric.add(1, 0.5)
    >>> metric[0], metric[1]
    (4.0, 2.0)
    """

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        if len(args) != len(self.data):
            raise ValueError(f'Accumulator holds {len(self.data)} sums, but add() got '
                             f'{len(args)} values')
        self.data = [a + _number(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def _number(v):
    """A Python float from a number or a one-element NDArray (``l.sum()``, say)."""
    return float(v.asscalar() if hasattr(v, 'asscalar') else v)


def synthetic_data(w, b, num_examples):
    """Examples of a linear model with noise: features ``X`` drawn from N(0, 1), one
    row per example, and labels ``y = Xw + b + noise`` as a column, with noise drawn
    from N(0, 0.01^2).

    >>> import d2lmini as mx
    >>> X, y = synthetic_data(mx.nd.array([2, -3.4]), 4.2, 5)
    >>> X.shape, y.shape
    ((5, 2), (5, 1))
    """
    from . import ndarray as nd
    X = nd.random.normal(0, 1, shape=(num_examples, len(w)))
    y = nd.dot(X, w) + b
    y += nd.random.normal(0, 0.01, shape=y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    """The linear regression model: ``Xw + b``, with ``b`` added to every row."""
    from . import ndarray as nd
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    """Half the squared error of each example. ``y`` is reshaped like ``y_hat``, so
    that a label vector ``(n,)`` and a column of predictions ``(n, 1)`` are not
    broadcast to an ``(n, n)`` table.

    >>> import d2lmini as mx
    >>> squared_loss(mx.nd.array([[1.0], [2.0]]), mx.nd.array([1.0, 4.0]))
    <BLANKLINE>
    [[0.]
     [2.]]
    <NDArray 2x1 @cpu(0)>
    """
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def accuracy(y_hat, y):
    """The number of correct predictions, as a float.

    ``y_hat`` holds one row of class scores per example (the predicted class is the
    largest), or already the predicted classes; ``y`` holds the true classes.
    """
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    if y_hat.shape != y.shape:
        y_hat = y_hat.reshape(y.shape)  # a (n, 1) column of predictions
    cmp = y_hat.astype(y.dtype) == y
    return float(cmp.astype('float32').sum().asscalar())


def evaluate_accuracy(net, data_iter, ctx=None):
    """The fraction of examples in ``data_iter`` that ``net`` classifies correctly.

    Every batch is first moved to ``ctx`` (a context, or a list whose first one is
    used), where the network's parameters live. Without ``ctx`` a Gluon network's
    first parameter says where that is; other batches stay where they are.
    """
    if ctx is None and hasattr(net, 'collect_params'):
        params = list(net.collect_params().values())
        ctx = params[0].list_ctx() if params else None
    if isinstance(ctx, (list, tuple)):
        ctx = ctx[0]
    metric = Accumulator(2)  # correct predictions, examples
    for X, y in data_iter:
        if ctx is not None:
            X, y = X.as_in_context(ctx), y.as_in_context(ctx)
        metric.add(accuracy(net(X), y), y.size)
    return metric[0] / metric[1]


def evaluate_loss(net, data_iter, loss):
    """The mean of ``loss(net(X), y)`` over every example of ``data_iter``.

    ``loss`` gives one value per example (or one per element of ``y``, as
    ``squared_loss`` does for a column of labels); the mean is over all of them.
    """
    metric = Accumulator(2)  # sum of losses, number of losses
    for X, y in data_iter:
        l = loss(net(X), y)
        metric.add(l.sum(), l.size)
    return metric[0] / metric[1]


def try_gpu(i=0):
    """GPU ``i`` if there is one, else the CPU.

    >>> try_gpu(10_000)
    cpu(0)
    """
    return gpu(i) if num_gpus() >= i + 1 else cpu()


def try_all_gpus():
    """All GPUs, or ``[cpu()]`` when there are none."""
    devices = [gpu(i) for i in range(num_gpus())]
    return devices if devices else [cpu()]


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent: ``p -= lr * p.grad / batch_size`` for each
    array in ``params``, in place (so the arrays stay the leaves autograd knows).

    >>> import d2lmini as mx
    >>> w = mx.nd.array([1.0, 2.0])
    >>> w.attach_grad()
    >>> with mx.autograd.record():
    ...     loss = (w * w).sum()
    >>> loss.backward()
    >>> sgd([w], lr=0.1, batch_size=1)
    >>> w
    <BLANKLINE>
    [0.8 1.6]
    <NDArray 2 @cpu(0)>
    """
    for p in params:
        p[:] = p - lr * p.grad / batch_size


def _as_updater(updater):
    """A function ``update(batch_size)``: ``updater`` itself, or its ``step`` method
    (a Gluon ``Trainer`` has one)."""
    step = getattr(updater, 'step', updater)
    if not callable(step):
        raise TypeError(f'updater must be a function update(batch_size) or have a '
                        f'step(batch_size) method, got {type(updater).__name__}')
    return step


def train_epoch(net, train_iter, loss, updater):
    """One pass over ``train_iter``; returns (mean loss, accuracy) on it.

    ``loss(y_hat, y)`` gives one loss per example; their gradients are summed, so
    ``updater(batch_size)`` should divide by the batch size (as ``sgd`` and a Gluon
    ``Trainer`` do).
    """
    update = _as_updater(updater)
    metric = Accumulator(3)  # sum of losses, correct predictions, examples
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        update(X.shape[0])
        metric.add(l.sum(), accuracy(y_hat, y), y.size)
    return metric[0] / metric[2], metric[1] / metric[2]


def train(net, train_iter, test_iter, loss, num_epochs, updater, animator=None):
    """Train for ``num_epochs`` epochs, evaluating on ``test_iter`` after each.

    ``animator`` (a :class:`d2lmini.plotting.Animator` with three lines, say) gets
    ``add(epoch, (train loss, train accuracy, test accuracy))`` after every epoch.
    Returns the last epoch's ``(train loss, train accuracy, test accuracy)``.
    """
    if num_epochs < 1:
        raise ValueError(f'num_epochs must be at least 1, got {num_epochs}')
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        if animator is not None:
            animator.add(epoch + 1, (train_loss, train_acc, test_acc))
    return train_loss, train_acc, test_acc
