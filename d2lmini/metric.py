"""``mx.metric``: running evaluation metrics (accuracy, errors, cross-entropy, F1).

A metric accumulates over mini-batches: ``update(labels, preds)`` adds a batch
(lists of NDArrays, or single NDArrays), ``get()`` returns ``(name, value)`` for
everything seen since ``reset()``. Values are computed in numpy on the host and
returned as Python floats.

>>> import d2lmini as mx
>>> acc = mx.metric.Accuracy()
>>> acc.update(labels=mx.nd.array([0, 1, 1]),
...            preds=mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]]))
>>> acc.get()
('accuracy', 0.6666666666666666)
"""
import json
import math
import warnings
from collections import OrderedDict

import numpy

from .base import numeric_types
from .ndarray import NDArray

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'Accuracy', 'TopKAccuracy', 'F1', 'MCC',
           'Perplexity', 'MAE', 'MSE', 'RMSE', 'CrossEntropy', 'NegativeLogLikelihood',
           'PearsonCorrelation', 'PCC', 'Loss', 'Torch', 'Caffe', 'CustomMetric',
           'create', 'register', 'alias', 'np', 'check_label_shapes']


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that there are as many labels as predictions (or, with ``shape``, that
    the shapes agree); with ``wrap``, single NDArrays become one-element lists.

    >>> import d2lmini as mx
    >>> labels, preds = check_label_shapes(mx.nd.zeros(3), mx.nd.ones(3), wrap=True)
    >>> len(labels), len(preds)
    (1, 1)
    """
    measure = (lambda a: a.shape) if shape else len
    if measure(labels) != measure(preds):
        raise ValueError(f'Shape of labels {measure(labels)} does not match shape of '
                         f'predictions {measure(preds)}')
    if not wrap:
        return labels, preds
    return tuple([a] if isinstance(a, NDArray) else a for a in (labels, preds))


def _outputs(labels, preds):
    """The (label, pred) pairs of a batch: one per network output. A single NDArray
    on either side counts as a list of one."""
    labels, preds = check_label_shapes(labels, preds, wrap=True)
    return zip(labels, preds)


def _select(named, names):
    """The arrays of dict ``named`` listed in ``names`` (all of them when None)."""
    if names is None:
        return list(named.values())
    return [named[name] for name in names]


class EvalMetric:
    """The base class of metrics: a sum and a count, and ``get()`` their ratio.

    name : the name ``get()`` reports
    output_names, label_names : which entries ``update_dict`` uses (default: all)

    Each metric keeps *local* statistics (cleared by ``reset_local``) and *global*
    ones (cleared only by ``reset``); ``get_global()`` reads the latter.
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names, self.label_names = output_names, label_names
        self._has_global_stats = kwargs.pop('has_global_stats', False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return f'EvalMetric: {dict(self.get_name_value())}'

    def get_config(self):
        """The arguments that recreate this metric with ``create(**config)``."""
        config = self._kwargs.copy()
        config.update({'metric': type(self).__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """``update`` from dicts name -> NDArray, keeping the names asked for."""
        preds = _select(pred, self.output_names)
        self.update(_select(label, self.label_names), preds)

    def update(self, labels, preds):
        """Add a batch: ``labels`` and ``preds`` are lists of NDArrays."""
        raise NotImplementedError()

    def reset(self):
        """Forget everything seen so far."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Forget the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)``; the value is a float, NaN before any update."""
        return (self.name, self._value(self.sum_metric, self.num_inst))

    def get_global(self):
        """``(name, value)`` over everything since the last ``reset``."""
        if not self._has_global_stats:
            return self.get()
        return (self.name, self._value(self.global_sum_metric, self.global_num_inst))

    @staticmethod
    def _value(total, count):
        """The metric's value from its statistics: here the mean."""
        return float(total / count) if count else float('nan')

    def get_name_value(self):
        """A list of ``(name, value)`` pairs."""
        return _pairs(self.get())

    def get_global_name_value(self):
        """A list of ``(name, value)`` pairs of the global values."""
        return _pairs(self.get_global())

    def _add(self, sum_metric, num_inst):
        """Add to the local and the global statistics. Sums are Python floats
        (float64), so that float32 batch values do not lose precision as they add up."""
        sum_metric = float(sum_metric)
        self.sum_metric += sum_metric
        self.global_sum_metric += sum_metric
        self.num_inst += num_inst
        self.global_num_inst += num_inst


def _pairs(name_value):
    names, values = ((x if isinstance(x, list) else [x]) for x in name_value)
    return list(zip(names, values))


# ------------------------------------------------------------------ registry
_REGISTRY = {}


def register(klass, name=None):
    """Make metric class ``klass`` available to :func:`create` under ``name``
    (default: its class name; names are case-insensitive)."""
    assert issubclass(klass, EvalMetric), 'Can only register subclass of EvalMetric'
    name = (klass.__name__ if name is None else name).lower()
    if name in _REGISTRY:
        old = _REGISTRY[name]
        warnings.warn(f'New metric {klass.__module__}.{klass.__name__} registered with name '
                      f'{name} is overriding existing metric {old.__module__}.{old.__name__}',
                      UserWarning, stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*names):
    """A decorator that also registers a metric class under other names, as
    ``mx.metric.alias`` does in MXNet 1.x.

    >>> @register
    ... @alias('half_acc')
    ... class HalfAccuracy(Accuracy):
    ...     pass
    >>> type(create('half_acc')).__name__
    'HalfAccuracy'
    """
    def reg(klass):
        for name in names:
            register(klass, name)
        return klass
    return reg


def create(metric, *args, **kwargs):
    """A metric from a name (``'acc'``, ``'mse'``, ...), an EvalMetric (returned as
    is), a function ``feval(label, pred)`` on numpy arrays, or a list of these
    (giving a :class:`CompositeEvalMetric`).

    >>> create(['acc', 'mse']).get()[0]
    ['accuracy', 'mse']
    """
    if callable(metric) and not isinstance(metric, type):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, EvalMetric):
        assert not args and not kwargs, \
            'metric is already an instance. Additional arguments are invalid'
        return metric
    if isinstance(metric, dict):
        return create(**metric)
    assert isinstance(metric, str), 'metric must be of string type'
    if metric.startswith('['):
        name, kwargs = json.loads(metric)
        return create(name, **kwargs)
    if metric.startswith('{'):
        return create(**json.loads(metric))
    name = metric.lower()
    assert name in _REGISTRY, \
        f'{name} is not registered. Please register with metric.register first'
    return _REGISTRY[name](*args, **kwargs)


# ------------------------------------------------------------------ composite
@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values.

    >>> m = CompositeEvalMetric([Accuracy(), F1()])
    >>> import d2lmini as mx
    >>> m.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> m.get()
    (['accuracy', 'f1'], [0.6666666666666666, 0.8])
    """

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric):
        """Add a child metric (anything :func:`create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """The ``index``-th child metric."""
        try:
            return self.metrics[index]
        except IndexError:
            raise ValueError(f'Metric index {index} is out of range 0 and '
                             f'{len(self.metrics)}') from None

    def update_dict(self, labels, preds):
        # narrow the dicts to the names asked for; each child narrows further
        def keep(named, names):
            if names is None:
                return named
            return OrderedDict((k, v) for k, v in named.items() if k in names)
        labels, preds = keep(labels, self.label_names), keep(preds, self.output_names)
        for child in self.metrics:
            child.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', ()):  # reset() runs before metrics exist
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def _collect(self, get):
        names, values = [], []
        for metric in self.metrics:
            name, value = get(metric)
            names.extend([name] if isinstance(name, str) else name)
            values.extend([value] if isinstance(value, numeric_types) else value)
        return (names, values)

    def get_config(self):
        config = super().get_config()
        config.update({'metrics': [m.get_config() for m in self.metrics]})
        return config


# ------------------------------------------------------------------ classification
@register
@alias('acc')
class Accuracy(EvalMetric):
    """The fraction of correct predictions.

    A prediction is a class index, or a vector of scores along ``axis`` whose
    largest entry is the predicted class.
    """

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        """Add a batch: count the predictions that equal their labels."""
        for label, pred in _outputs(labels, preds):  # one pair per network output
            predicted = _predicted_class(pred.asnumpy(), label.shape, self.axis)
            predicted = predicted.astype('int32').ravel()
            label = label.asnumpy().astype('int32').ravel()
            check_label_shapes(label, predicted)
            self._add((predicted == label).sum(), len(predicted))  # a sum and a count


def _predicted_class(pred, label_shape, axis):
    """Class indices from predictions: ``pred`` itself if it is shaped like the
    labels, else the index of the largest score along ``axis``."""
    if pred.shape == label_shape:
        return pred
    if not -pred.ndim <= axis < pred.ndim:
        raise ValueError(f'predictions of shape {pred.shape} have no axis {axis} to take '
                         f'the class from (labels have shape {label_shape})')
    return pred.argmax(axis=axis)


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """The fraction of examples whose label is among the ``top_k`` highest scores.

    >>> import d2lmini as mx
    >>> m = TopKAccuracy(top_k=2)
    >>> m.update([mx.nd.array([2, 0])], [mx.nd.array([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])])
    >>> m.get()
    ('top_k_accuracy_2', 0.5)
    """

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        assert self.top_k > 1, 'Please use Accuracy if top_k is no more than 1'
        self.name += f'_{self.top_k}'

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            assert len(pred.shape) <= 2, 'Predictions should be no more than 2 dims'
            # argpartition puts the k largest scores last, in no particular order,
            # which is all that is needed (and faster than a full sort)
            scores = pred.asnumpy().astype('float32')
            ranked = numpy.argpartition(scores, -min(self.top_k, scores.shape[-1]))
            truth = label.asnumpy().astype('int32')
            check_label_shapes(truth, ranked)
            if ranked.ndim == 1:
                hits = (ranked.flat == truth.flat).sum()
            else:
                width = ranked.shape[1]
                best = ranked[:, width - min(width, self.top_k):]  # the top_k columns
                hits = sum((best[:, j].flat == truth.flat).sum()
                           for j in reversed(range(best.shape[1])))
            self._add(hits, ranked.shape[0])


_COUNTS = ('true_positives', 'false_positives', 'false_negatives', 'true_negatives')


class _BinaryStats:
    """True/false positive/negative counts of a binary classifier, local and global
    (attributes ``true_positives``, ..., ``global_true_negatives``)."""

    def __init__(self, metric_name='F1'):
        self.metric_name = metric_name  # for error messages
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        """Add one batch: ``pred`` holds scores (batch, 2), class 1 is positive."""
        said_yes = numpy.argmax(pred.asnumpy(), axis=1) == 1
        truth = label.asnumpy().astype('int32')
        check_label_shapes(truth, said_yes)
        if len(numpy.unique(truth)) > 2:
            raise ValueError(f'{self.metric_name} currently only supports binary '
                             'classification.')
        is_yes = truth == 1
        batch = ((said_yes & is_yes).sum(), (said_yes & ~is_yes).sum(),
                 (~said_yes & is_yes).sum(), (~said_yes & ~is_yes).sum())
        for key, n in zip(_COUNTS, batch):
            for attr in (key, 'global_' + key):
                setattr(self, attr, getattr(self, attr) + n)

    def counts(self, use_global=False):
        """``(tp, fp, fn, tn)``, local or global."""
        prefix = 'global_' if use_global else ''
        return tuple(getattr(self, prefix + key) for key in _COUNTS)

    def f1(self, use_global=False):
        """The F1 score of the local (or global) counts; 0 where it is undefined."""
        tp, fp, fn, _ = self.counts(use_global)
        precision = float(tp) / (tp + fp) if tp + fp > 0 else 0.
        recall = float(tp) / (tp + fn) if tp + fn > 0 else 0.
        if precision + recall == 0:
            return 0.
        return 2 * precision * recall / (precision + recall)

    fscore = property(f1)
    global_fscore = property(lambda self: self.f1(use_global=True))

    def matthewscc(self, use_global=False):
        """Matthews correlation coefficient of the local (or global) counts; factors
        of the denominator that are 0 count as 1, as in MXNet, so that a classifier
        that always answers the same class scores 0 instead of NaN."""
        tp, fp, fn, tn = map(float, self.counts(use_global))
        if tp + fp + fn + tn == 0:
            return 0.
        denominator = 1.
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            denominator *= term or 1.
        return (tp * tn - fp * fn) / math.sqrt(denominator)

    total_examples = property(lambda self: sum(self.counts()))
    global_total_examples = property(lambda self: sum(self.counts(use_global=True)))

    def local_reset_stats(self):
        for key in _COUNTS:
            setattr(self, key, 0)

    def reset_stats(self):
        for key in _COUNTS:
            setattr(self, key, 0)
            setattr(self, 'global_' + key, 0)

    def score_into(self, metric, average, score):
        """Set ``metric``'s sums from the counts, with ``score(stats, use_global)``.

        ``'macro'``: the batch just counted is one instance, scored on its own, and
        the counts start afresh. Otherwise (``'micro'``): one score of all the counts
        so far, weighted by how many examples they hold."""
        if average == 'macro':
            metric._add(score(self, False), 1)
            self.reset_stats()
            return
        metric.num_inst = self.total_examples
        metric.global_num_inst = self.global_total_examples
        metric.sum_metric = score(self, False) * metric.num_inst
        metric.global_sum_metric = score(self, True) * metric.global_num_inst


@register
class F1(EvalMetric):
    """The F1 score (harmonic mean of precision and recall) of a binary classifier;
    predictions are scores of shape (batch, 2), class 1 is the positive one.

    average : ``'macro'`` (default) averages the scores of the mini-batches;
        ``'micro'`` computes one score from the counts of all of them.
    """

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        self.average = average
        self.metrics = _BinaryStats()
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            self.metrics.update_binary_stats(label, pred)
        self.metrics.score_into(self, self.average, _BinaryStats.f1)

    def reset(self):
        super().reset()
        self.metrics.reset_stats()

    def reset_local(self):
        super().reset_local()
        self.metrics.local_reset_stats()


@register
class MCC(EvalMetric):
    """The Matthews correlation coefficient of a binary classifier: predictions are
    scores of shape (batch, 2), class 1 is the positive one.

    ``(TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))``, where factors of the
    denominator that are 0 count as 1. Unlike F1 it is symmetric in the two classes,
    and 0 for a classifier that always answers the same class.

    average : ``'macro'`` (default) averages the coefficients of the mini-batches;
        ``'micro'`` computes one coefficient from the counts of all of them.

    >>> import d2lmini as mx
    >>> mcc = MCC()
    >>> mcc.update([mx.nd.array([0, 1, 1, 0])],
    ...            [mx.nd.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])])
    >>> round(mcc.get()[1], 6)
    0.57735
    """

    def __init__(self, name='mcc', output_names=None, label_names=None, average='macro'):
        self._average = average
        self._metrics = _BinaryStats('MCC')
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            self._metrics.update_binary_stats(label, pred)
        self._metrics.score_into(self, self._average, _BinaryStats.matthewscc)

    def reset(self):
        super().reset()
        self._metrics.reset_stats()

    def reset_local(self):
        super().reset_local()
        self._metrics.local_reset_stats()


@register
class Perplexity(EvalMetric):
    """Perplexity: ``exp`` of the mean of ``-log p``, where ``p`` is the probability
    a prediction gives to the true label (a language model's usual score).

    ignore_label : labels equal to it are left out (``None``: use every label)
    axis : the axis of the predictions that holds the class probabilities

    Probabilities are clipped below at 1e-10, as in MXNet, so that a zero
    probability gives a large but finite perplexity.

    >>> import d2lmini as mx
    >>> perp = Perplexity(ignore_label=None)
    >>> perp.update([mx.nd.array([0, 1, 1])], [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(perp.get()[1], 6)
    1.771098
    """

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None,
                 label_names=None):
        # MXNet 1.x leaves ``axis`` out of get_config(); it is kept here so that a
        # metric recreated from its config picks along the same axis
        super().__init__(name, ignore_label=ignore_label, axis=axis, has_global_stats=True,
                         output_names=output_names, label_names=label_names)
        self.ignore_label, self.axis = ignore_label, axis

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            pred = pred.asnumpy()
            label = label.asnumpy().reshape(-1)
            if label.size * pred.shape[self.axis] != pred.size:
                raise ValueError(f'Perplexity: labels of shape {label.shape} do not match '
                                 f'predictions of shape {pred.shape} (one label per '
                                 f'prediction along axis {self.axis})')
            # one probability per label: move the class axis last, then pick
            probs = numpy.moveaxis(pred, self.axis, -1).reshape(label.size, -1)
            picked = probs[numpy.arange(label.size), label.astype('int64')
                           % probs.shape[1]]  # wrap like nd.pick; ignored labels may be -1
            if self.ignore_label is None:
                keep = numpy.ones(label.size, dtype=bool)
            else:
                keep = label != self.ignore_label
            log_probs = numpy.log(numpy.maximum(picked[keep], pred.dtype.type(1e-10)))
            self._add(-log_probs.sum(), int(keep.sum()))

    @staticmethod
    def _value(total, count):
        return math.exp(total / count) if count else float('nan')  # exp(mean of -log p)


# ------------------------------------------------------------------ regression
def _as_columns(label, pred):
    """Labels and predictions as numpy arrays, 1-d ones made columns (so that a
    (n,) label and a (n, 1) prediction line up instead of broadcasting to (n, n))."""
    def column(a):
        a = a.asnumpy()
        return a.reshape(-1, 1) if a.ndim == 1 else a
    return column(label), column(pred)


class _BatchMean(EvalMetric):
    """A metric that averages a per-batch value over batches (each batch counts once,
    whatever its size, as in MXNet)."""

    def __init__(self, name, output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            self._add(self._batch_value(*_as_columns(label, pred)), 1)

    def _batch_value(self, label, pred):
        raise NotImplementedError()


@register
class MAE(_BatchMean):
    """Mean absolute error, averaged over batches."""

    def __init__(self, name='mae', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _batch_value(self, label, pred):
        return numpy.abs(label - pred).mean()


@register
class MSE(_BatchMean):
    """Mean squared error, averaged over batches.

    >>> import d2lmini as mx
    >>> m = MSE()
    >>> m.update(mx.nd.array([2.5, 0.0, 2, 8]), mx.nd.array([3, -0.5, 2, 7]))
    >>> m.get()
    ('mse', 0.375)
    """

    def __init__(self, name='mse', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _batch_value(self, label, pred):
        return ((label - pred) ** 2.0).mean()


@register
class RMSE(_BatchMean):
    """Root mean squared error of each batch, averaged over batches."""

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    def _batch_value(self, label, pred):
        return numpy.sqrt(((label - pred) ** 2.0).mean())


# ------------------------------------------------------------------ probabilities
class _LogLoss(EvalMetric):
    """-log of the probability given to the true class, averaged over examples."""

    def __init__(self, name, eps, output_names, label_names):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            classes = label.asnumpy().ravel().astype(numpy.int64)
            probs = pred.asnumpy()
            count = len(classes)
            if count != len(probs):
                raise ValueError(f'{self.name}: {count} labels for {len(probs)} predictions')
            true_prob = probs[numpy.arange(count), classes]
            self._add((-numpy.log(true_prob + self.eps)).sum(), count)


@register
@alias('ce')
class CrossEntropy(_LogLoss):
    """Cross-entropy of predicted probabilities (batch, classes) and class labels;
    ``eps`` keeps log away from 0.

    >>> import d2lmini as mx
    >>> ce = CrossEntropy()
    >>> ce.update([mx.nd.array([0, 1])], [mx.nd.array([[0.5, 0.5], [0.2, 0.8]])])
    >>> round(ce.get()[1], 6)
    0.458145
    """

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super().__init__(name, eps, output_names, label_names)


@register
@alias('nll_loss')
class NegativeLogLikelihood(_LogLoss):
    """Negative log-likelihood: the same number as :class:`CrossEntropy`."""

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super().__init__(name, eps, output_names, label_names)


# ------------------------------------------------------------------ correlation
class _Moments:
    """Running count, means, sums of squared deviations and co-deviation of paired
    samples (label, pred), merged batch by batch (Chan et al.'s parallel formulas:
    exact, whatever the batch sizes)."""

    def __init__(self):
        self.count = 0
        self.mean_label = self.mean_pred = 0.
        self.sq_label = self.sq_pred = self.co = 0.

    def add(self, label, pred):
        n = label.size
        if n == 0:
            return
        mean_label, mean_pred = label.mean(), pred.mean()
        total = self.count + n
        d_label, d_pred = mean_label - self.mean_label, mean_pred - self.mean_pred
        weight = self.count * n / total
        self.sq_label += ((label - mean_label) ** 2).sum() + d_label * d_label * weight
        self.sq_pred += ((pred - mean_pred) ** 2).sum() + d_pred * d_pred * weight
        self.co += ((label - mean_label) * (pred - mean_pred)).sum() + d_label * d_pred * weight
        self.mean_label += d_label * n / total
        self.mean_pred += d_pred * n / total
        self.count = total

    def correlation(self):
        return float(self.co / numpy.sqrt(self.sq_label * self.sq_pred))


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """The Pearson correlation coefficient of predictions and labels (both
    flattened; they must have the same shape).

    average : ``'macro'`` (default) averages the coefficients of the mini-batches;
        ``'micro'`` computes one coefficient over all the values seen.

    In ``'micro'`` mode MXNet 1.x keeps one set of running sums, so that
    ``reset_local`` does not forget them and ``get_global`` answers 0; here local
    and global sums are kept apart, as for every other metric.

    >>> import d2lmini as mx
    >>> pr = PearsonCorrelation()
    >>> pr.update([mx.nd.array([[1, 0], [0, 1], [0, 1]])],
    ...           [mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
    >>> round(pr.get()[1], 6)
    0.421637
    """

    def __init__(self, name='pearsonr', output_names=None, label_names=None,
                 average='macro'):
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def reset(self):
        super().reset()
        self._local, self._global = _Moments(), _Moments()

    def reset_local(self):
        super().reset_local()
        self._local = _Moments()

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            check_label_shapes(label, pred, shape=True)
            label, pred = (a.asnumpy().ravel().astype(numpy.float64) for a in (label, pred))
            if self.average == 'macro':
                self._add(numpy.corrcoef(pred, label)[0, 1], 1)
            else:
                self._local.add(label, pred)
                self._global.add(label, pred)
                self.num_inst += 1
                self.global_num_inst += 1

    def get(self):
        if self.average == 'macro' or self.num_inst == 0:
            return super().get()
        return (self.name, self._local.correlation())

    def get_global(self):
        if self.average == 'macro' or self.global_num_inst == 0:
            return super().get_global()
        return (self.name, self._global.correlation())


@register
class PCC(EvalMetric):
    """A multiclass Matthews correlation coefficient, computed from the confusion
    matrix of all the batches seen (so batch sizes and order do not matter). For two
    classes it equals :class:`MCC` with ``average='micro'``.

    Predictions are class scores (batch, classes) or class indices shaped like the
    labels. The confusion matrix grows as larger class indices appear. ``get()``
    is NaN while every label, or every prediction, is the same class.

    >>> import d2lmini as mx
    >>> pcc = PCC()
    >>> pcc.update([mx.nd.array([0, 1, 2, 2])], [mx.nd.array([0, 1, 2, 1])])
    >>> round(pcc.get()[1], 6)
    0.7
    """

    def __init__(self, name='pcc', output_names=None, label_names=None,
                 has_global_stats=True):
        self.k = 2  # the number of classes the confusion matrices cover
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    @staticmethod
    def _coefficient(confusion):
        """The coefficient of a confusion matrix (rows: predicted, columns: true)."""
        total = confusion.sum()
        predicted, actual = confusion.sum(axis=1), confusion.sum(axis=0)
        spread_pred = numpy.sum(predicted * (total - predicted))
        spread_true = numpy.sum(actual * (total - actual))
        if spread_pred == 0 or spread_true == 0:  # one class only: undefined
            return float('nan')
        agreement = numpy.sum(confusion.diagonal() * total - predicted * actual)
        return float(agreement / (spread_pred * spread_true) ** 0.5)

    def update(self, labels, preds):
        for label, pred in _outputs(labels, preds):
            truth = label.asnumpy().astype('int64')
            guess = _predicted_class(pred.asnumpy(), truth.shape, 1)
            truth, guess = truth.ravel(), guess.astype('int64').ravel()
            check_label_shapes(truth, guess)
            if truth.size:
                self._count(truth, guess)
        self.num_inst += 1
        self.global_num_inst += 1

    def _count(self, truth, guess):
        """Add a batch of class indices to both confusion matrices."""
        if min(guess.min(), truth.min()) < 0:
            raise ValueError('PCC: class indices must not be negative')
        needed = int(max(guess.max(), truth.max())) + 1
        if needed > self.k:  # a class not seen before: widen the matrices
            pad = [(0, needed - self.k)] * 2
            self.lcm, self.gcm = numpy.pad(self.lcm, pad), numpy.pad(self.gcm, pad)
            self.k = needed
        batch = numpy.zeros((self.k, self.k))
        numpy.add.at(batch, (guess, truth), 1)
        self.lcm += batch
        self.gcm += batch

    # the sums are recomputed from the confusion matrices on each read; EvalMetric.reset
    # assigns them, which changes nothing
    sum_metric = property(lambda self: self._coefficient(self.lcm) * self.num_inst,
                          lambda self, value: None)
    global_sum_metric = property(
        lambda self: self._coefficient(self.gcm) * self.global_num_inst,
        lambda self, value: None)

    def reset(self):
        self.global_num_inst = 0
        self.gcm = numpy.zeros((self.k,) * 2)
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0
        self.lcm = numpy.zeros((self.k,) * 2)


@register
class Loss(EvalMetric):
    """The mean of loss values: ``update(_, losses)`` ignores the labels."""

    def __init__(self, name='loss', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _, preds):
        if isinstance(preds, NDArray):
            preds = [preds]
        for pred in preds:
            self._add(float(pred.asnumpy().sum()), pred.size)


@register
class Torch(Loss):
    """:class:`Loss` named ``'torch'`` (MXNet 1.x's metric for Torch criterions)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """:class:`Loss` named ``'caffe'`` (MXNet 1.x's metric for Caffe criterions)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)


# ------------------------------------------------------------------ custom
@register
class CustomMetric(EvalMetric):
    """A metric from a function ``feval(label, pred)`` on numpy arrays, which returns
    a value (each batch counts once) or a tuple ``(sum, count)``.

    >>> import d2lmini as mx
    >>> m = CustomMetric(lambda label, pred: (label + pred).mean())
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([3, 4])])
    >>> m.get()
    ('custom(<lambda>)', 5.0)
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None,
                 label_names=None):
        if name is None:
            name = feval.__name__
            if '<' in name:
                name = f'custom({name})'
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         has_global_stats=True, output_names=output_names,
                         label_names=label_names)
        self._feval, self._allow_extra_outputs = feval, allow_extra_outputs

    def update(self, labels, preds):
        # with allow_extra_outputs there may be more predictions than labels: zip
        # pairs the first ones and leaves the extra outputs out
        pairs = (zip(labels, preds) if self._allow_extra_outputs
                 else _outputs(labels, preds))
        for label, pred in pairs:
            result = self._feval(label.asnumpy(), pred.asnumpy())
            self._add(*(result if isinstance(result, tuple) else (result, 1)))

    def get_config(self):
        raise NotImplementedError('CustomMetric cannot be serialized')


def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A :class:`CustomMetric` from a function ``numpy_feval(label, pred)`` on numpy
    arrays, named after the function unless ``name`` is given.

    >>> def mean_abs(label, pred):
    ...     return abs(label - pred).mean()
    >>> np(mean_abs).name
    'mean_abs'
    """
    return CustomMetric(numpy_feval, name=name, allow_extra_outputs=allow_extra_outputs)
