"""Checks shared by the Estimator and its event handlers."""
from ....metric import CompositeEvalMetric, EvalMetric

__all__ = []


def _check_metrics(metrics):
    """``metrics`` as a list of EvalMetrics: None gives ``[]``, one metric a list of
    one, a CompositeEvalMetric the list of its parts.

    >>> import d2lmini as mx
    >>> [m.name for m in _check_metrics(mx.metric.Accuracy())]
    ['accuracy']
    """
    if metrics is None:
        return []
    if isinstance(metrics, CompositeEvalMetric):
        return list(metrics.metrics)    # its parts, as MXNet takes them
    if isinstance(metrics, EvalMetric):
        return [metrics]
    if isinstance(metrics, (list, tuple)) and all(isinstance(m, EvalMetric) for m in metrics):
        return list(metrics)
    raise ValueError('metrics must be a Metric or a list of Metric, refer to '
                     f'mxnet.metric.EvalMetric: {metrics}')


def _check_monitor(monitor, why):
    """Refuse a ``monitor`` that is not a metric object (e.g. the name ``'acc'``)."""
    if not isinstance(monitor, EvalMetric):
        message = (f'{why}please provide one of the metric objects from '
                   'estimator.train_metrics and estimator.val_metrics as monitor.')
        raise ValueError(message[0].upper() + message[1:])
