"""mx.metric: each metric on small batches worked out by hand, accumulation over batches,
local and global statistics, names, the registry behind create(), and clear errors."""
import math

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import metric

nd = mx.nd.array
SCORES = nd([[0.3, 0.7], [0., 1.], [0.4, 0.6]])  # predicted classes 1, 1, 1
LABELS = nd([0, 1, 1])


def test_accuracy_from_scores_and_from_class_indices():
    acc = metric.Accuracy()
    assert acc.name == 'accuracy'
    assert math.isnan(acc.get()[1])
    acc.update([LABELS], [SCORES])
    assert acc.get() == ('accuracy', 2 / 3)
    acc.update(nd([2, 0]), nd([2, 1]))  # predictions of the labels' shape are classes
    assert acc.get() == ('accuracy', 3 / 5)
    assert type(acc.get()[1]) is float
    acc.reset()
    assert math.isnan(acc.get()[1])


def test_accuracy_along_another_axis():
    acc = metric.Accuracy(axis=0)
    acc.update([nd([2, 0])], [nd([[0.1, 0.9], [0.2, 0.1], [0.7, 0.0]])])  # argmax: 2, 0
    assert acc.get()[1] == 1.0


def test_local_and_global_statistics():
    acc = metric.Accuracy()
    acc.update([LABELS], [SCORES])
    acc.reset_local()
    assert math.isnan(acc.get()[1])
    assert acc.get_global() == ('accuracy', 2 / 3)
    assert acc.get_global_name_value() == [('accuracy', 2 / 3)]
    acc.update([nd([0])], [nd([[1., 0.]])])
    assert acc.get() == ('accuracy', 1.0)
    assert acc.get_global() == ('accuracy', 3 / 4)


def test_top_k_accuracy():
    m = metric.TopKAccuracy(top_k=2)
    assert m.name == 'top_k_accuracy_2'
    # the top two of row 0 are classes 1 and 2; of row 1, classes 2 and 1
    m.update([nd([2, 0])], [nd([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])])
    assert m.get()[1] == 0.5
    m = metric.TopKAccuracy(top_k=5)  # more than the number of classes: every label is in
    m.update([nd([2, 0])], [nd([[0.1, 0.5, 0.4], [0.2, 0.3, 0.5]])])
    assert m.get()[1] == 1.0
    with pytest.raises(AssertionError, match='use Accuracy'):
        metric.TopKAccuracy(top_k=1)


def test_f1_macro_and_micro():
    # batch 1: labels 1 1 0 0, predicted 1 0 1 0 -> tp 1, fp 1, fn 1: F1 = 0.5
    # batch 2: labels 1 0, predicted 1 0 -> F1 = 1
    batches = [(nd([1, 1, 0, 0]), nd([[0, 1], [1, 0], [0, 1], [1, 0]])),
               (nd([1, 0]), nd([[0.2, 0.8], [0.9, 0.1]]))]
    macro, micro = metric.F1(), metric.F1(average='micro')
    for label, pred in batches:
        macro.update([label], [pred])
        micro.update([label], [pred])
    assert macro.get() == ('f1', 0.75)        # the mean of the batches' scores
    assert micro.get()[1] == pytest.approx(2 / 3)  # tp 2, fp 1, fn 1 over all
    f1 = metric.F1()
    f1.update([LABELS], [SCORES])
    assert f1.get()[1] == pytest.approx(0.8)  # precision 2/3, recall 1
    with pytest.raises(ValueError, match='binary classification'):
        f1.update([nd([0, 1, 2])], [nd(np.ones((3, 2)))])
    macro.reset()
    assert math.isnan(macro.get()[1]) and macro.metrics.global_total_examples == 0


def test_regression_metrics_average_over_batches():
    label, pred = nd([2.5, 0.0, 2, 8]), nd([[3], [-0.5], [2], [7]])  # (4,) and (4, 1)
    errors = np.array([-0.5, 0.5, 0, 1])
    mae, mse, rmse = metric.MAE(), metric.MSE(), metric.RMSE()
    for m in (mae, mse, rmse):
        m.update([label], [pred])
    assert mae.get() == ('mae', pytest.approx(np.abs(errors).mean()))
    assert mse.get() == ('mse', pytest.approx((errors ** 2).mean()))
    assert rmse.get() == ('rmse', pytest.approx(math.sqrt((errors ** 2).mean())))
    # each batch counts once, whatever its size
    mse.update([nd([0.])], [nd([3.])])
    assert mse.get()[1] == pytest.approx(((errors ** 2).mean() + 9) / 2)


def test_cross_entropy_and_negative_log_likelihood():
    probs = nd([[0.5, 0.5], [0.2, 0.8], [1.0, 0.0]])
    labels = nd([0, 1, 1])  # the last one is given probability 0
    ce, nll = metric.CrossEntropy(eps=1e-8), metric.create('nll_loss', eps=1e-8)
    ce.update([labels], [probs])
    nll.update([labels], [probs])
    expected = -(math.log(0.5 + 1e-8) + math.log(0.8 + 1e-8) + math.log(1e-8)) / 3
    assert ce.get() == ('cross-entropy', pytest.approx(expected, rel=1e-6))
    assert nll.get() == ('nll-loss', pytest.approx(expected, rel=1e-6))
    with pytest.raises(ValueError, match='2 labels for 3 predictions'):
        ce.update([nd([0, 1])], [probs])


def test_loss_metric_averages_every_value():
    m = metric.Loss()
    m.update(None, nd([1, 2, 3]))
    m.update(None, [nd([[4.]])])
    assert m.get() == ('loss', 2.5)


def test_composite():
    m = metric.CompositeEvalMetric([metric.Accuracy(), 'f1'])
    m.add('mse')
    assert isinstance(m.get_metric(1), metric.F1)
    with pytest.raises(ValueError, match='out of range'):
        m.get_metric(5)
    m = metric.CompositeEvalMetric([metric.Accuracy(), metric.F1()])
    m.update([LABELS], [SCORES])
    names, values = m.get()
    assert names == ['accuracy', 'f1']
    assert values == [2 / 3, pytest.approx(0.8)]
    assert m.get_name_value() == [('accuracy', 2 / 3), ('f1', pytest.approx(0.8))]
    assert str(m).startswith("EvalMetric: {'accuracy': 0.66")
    m.reset()
    assert all(math.isnan(v) for v in m.get()[1])
    assert m.get_config()['metrics'][0]['metric'] == 'Accuracy'


def test_update_dict_picks_named_outputs():
    acc = metric.Accuracy(output_names=['score'], label_names=['y'])
    acc.update_dict({'y': LABELS, 'other': nd([9, 9, 9])},
                    {'score': SCORES, 'aux': nd([0, 0, 0])})
    assert acc.get()[1] == 2 / 3


def test_create():
    assert isinstance(metric.create('acc'), metric.Accuracy)
    assert isinstance(metric.create('ACCURACY'), metric.Accuracy)
    assert isinstance(metric.create('ce'), metric.CrossEntropy)
    assert metric.create('top_k_acc', top_k=3).name == 'top_k_accuracy_3'
    acc = metric.Accuracy()
    assert metric.create(acc) is acc
    composite = metric.create(['acc', 'rmse'])
    assert composite.get()[0] == ['accuracy', 'rmse']
    assert metric.create({'metric': 'acc', 'axis': 0}).axis == 0
    assert metric.create('["acc", {"axis": 0}]').axis == 0
    again = metric.create(**metric.Accuracy(axis=2, name='a2').get_config())
    assert (again.axis, again.name) == (2, 'a2')
    with pytest.raises(AssertionError, match='nosuch is not registered'):
        metric.create('nosuch')


def test_custom_metrics():
    def absolute_error(label, pred):
        return float(np.abs(label - pred).sum()), label.size  # (sum, count)

    m = metric.create(absolute_error)
    assert m.name == 'absolute_error'
    m.update([nd([1, 2])], [nd([2, 2])])
    m.update([nd([0])], [nd([3])])
    assert m.get() == ('absolute_error', 4 / 3)
    m = metric.CustomMetric(lambda label, pred: 7.0)  # a value: each batch counts once
    m.update([nd([1])], [nd([1])])
    assert m.get() == ('custom(<lambda>)', 7.0)
    with pytest.raises(NotImplementedError):
        m.get_config()

    def three(label, pred):
        return 3.0

    assert metric.np(three).name == 'three'


def test_register_a_new_metric():
    class Zero(metric.EvalMetric):
        def __init__(self):
            super().__init__('zero')

        def update(self, labels, preds):
            self.num_inst += 1

    metric.register(Zero)
    try:
        m = metric.create('zero')
        m.update([], [])
        assert m.get() == ('zero', 0.0)
        with pytest.warns(UserWarning, match='overriding existing metric'):
            metric.register(Zero)
    finally:
        del metric._REGISTRY['zero']


def test_shape_mismatch_errors():
    with pytest.raises(ValueError, match='Shape of labels 2 does not match shape of '
                                         'predictions 1'):
        metric.Accuracy().update([LABELS, LABELS], [SCORES])
    with pytest.raises(ValueError, match=r'predictions of shape \(3,\) have no axis 1'):
        metric.Accuracy().update([nd([1, 2])], [nd([1, 2, 3])])
