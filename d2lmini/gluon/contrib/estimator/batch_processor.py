"""The BatchProcessor: what the Estimator does with one batch.

``fit_batch`` runs the forward and backward passes of a training batch (the
parameter update is left to :class:`GradientUpdateHandler`), ``evaluate_batch`` the
forward pass of a validation batch. Subclass it to train differently (several
inputs, a custom loss) and pass it as ``Estimator(..., batch_processor=...)``.
"""
from .... import autograd
from ... import utils as gluon_utils

__all__ = ['BatchProcessor']


class BatchProcessor:
    """Processes one batch ``(data, label)`` for an Estimator.

    >>> import d2lmini as mx
    >>> from d2lmini.gluon.contrib.estimator import Estimator
    >>> net = mx.gluon.nn.Dense(2, in_units=3)
    >>> net.initialize()
    >>> est = Estimator(net, mx.gluon.loss.L2Loss(), context=mx.cpu(),
    ...                 trainer=mx.gluon.Trainer(net.collect_params(), 'sgd'))
    >>> data, label, pred, loss = BatchProcessor().evaluate_batch(
    ...     est, [mx.nd.ones((4, 3)), mx.nd.zeros((4, 2))])
    >>> pred[0].shape, loss[0].shape
    ((4, 2), (4,))
    """

    def _get_data_and_label(self, batch, ctx, batch_axis=0):
        """The batch's data and label, each split into one part per context (the
        last parts may be smaller when the batch does not divide evenly)."""
        return tuple(gluon_utils.split_and_load(part, ctx_list=ctx, batch_axis=batch_axis,
                                                even_split=False)
                     for part in batch[:2])

    def _forward(self, estimator, batch, batch_axis, net, loss_fn):
        """``(data, label, pred, loss)``: lists with one entry per context."""
        inputs, targets = self._get_data_and_label(batch, estimator.context, batch_axis)
        outputs = [net(x) for x in inputs]
        losses = [loss_fn(out, target) for out, target in zip(outputs, targets)]
        return inputs, targets, outputs, losses

    def evaluate_batch(self, estimator, val_batch, batch_axis=0):
        """Forward pass of ``estimator.val_net`` and ``estimator.val_loss``; returns
        ``(data, label, pred, loss)``, each a list with one entry per context."""
        return self._forward(estimator, val_batch, batch_axis, estimator.val_net,
                             estimator.val_loss)

    def fit_batch(self, estimator, train_batch, batch_axis=0):
        """Forward pass under ``autograd.record()`` and backward pass of the training
        network; returns ``(data, label, pred, loss)`` like ``evaluate_batch``."""
        with autograd.record():
            result = self._forward(estimator, train_batch, batch_axis, estimator.net,
                                   estimator.loss)
        for loss in result[3]:
            loss.backward()
        return result
