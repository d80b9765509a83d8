"""Cases for d2lmini/ops/output.py."""
import numpy as np

from . import Case


def _logits_and_labels(rng):
    return [rng.normal(size=(3, 4)), np.array([0.0, 3.0, 1.0])]


def _positions(rng):
    """Logits (batch 2, 3 classes, 2x2 positions) and a label per position (the
    positions flattened)."""
    return [rng.normal(size=(2, 3, 2, 2)), np.array([[0.0, 2.0, 1.0, 1.0],
                                                     [2.0, 0.0, 0.0, 1.0]])]


def _rows(rng):
    """Logits (2x3 vectors of 4 classes) and a label per vector, one of them 1."""
    return [rng.normal(size=(2, 3, 4)), np.array([[0.0, 3.0, 1.0], [1.0, 2.0, 1.0]])]


# Backward is the cross-entropy gradient, not the derivative of the output, so a
# finite-difference check of it does not apply (tests/test_nn_ops.py checks it); the
# walk still checks the derivative of that gradient. The labels are not differentiated.
_CE = 'backward is the cross-entropy gradient (tested elsewhere)'


def _ce(inputs, **attrs):
    return Case(inputs=inputs, attrs=attrs, wrt=[0], nondiff=_CE)


def _backward_inputs(make):
    """``(prob, label, dy)`` for ``_backward_SoftmaxOutput``."""
    def inputs(rng):
        logits, label = make(rng)
        return [rng.uniform(0.1, 0.4, size=logits.shape), label, rng.normal(size=logits.shape)]
    return inputs


CASES = {
    'SoftmaxOutput': [
        _ce(_logits_and_labels),
        _ce(_logits_and_labels, grad_scale=2.0, use_ignore=True, ignore_label=3.0,
            normalization='valid', out_grad=True),
        _ce(_positions, multi_output=True, normalization='batch', smooth_alpha=0.1),
        _ce(_rows, preserve_shape=True, use_ignore=True, ignore_label=1.0, out_grad=True),
    ],
    '_backward_SoftmaxOutput': [
        Case(inputs=_backward_inputs(_logits_and_labels), wrt=[0, 2]),
        Case(inputs=_backward_inputs(_positions), wrt=[0, 2],
             attrs=dict(multi_output=True, use_ignore=True, ignore_label=2.0,
                        normalization='valid', out_grad=True)),
        Case(inputs=_backward_inputs(_rows), wrt=[0, 2],
             attrs=dict(preserve_shape=True, grad_scale=0.5, normalization='batch',
                        out_grad=True, smooth_alpha=0.2)),
    ],
}


def _regression_inputs(rng):
    return [rng.normal(size=(3, 4)), rng.normal(size=(3, 4))]


def _mae_inputs(rng):
    """Data kept away from the label, where the sign does not change."""
    label = rng.normal(size=(3, 4))
    return [label + rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.2, 1.0, (3, 4)), label]


def _loss_values(rng):
    """Values away from the threshold 0.1 that 'valid' counts against."""
    return [rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.3, 1.0, (3, 4))]


# Output layers' backward ignores the head gradient (it is the loss's gradient), so a
# finite-difference check of it does not apply (tests/test_output_layers.py checks the
# values against MXNet); the walk still checks the derivative of that gradient.
_LOSS = 'backward is the gradient of the loss the layer stands for (tests/test_output_layers.py)'


def _loss_case(inputs, **attrs):
    return Case(inputs=inputs, attrs=attrs, wrt=[0], nondiff=_LOSS)


CASES.update({
    'LinearRegressionOutput': [_loss_case(_regression_inputs),
                               _loss_case(_regression_inputs, grad_scale=2.0)],
    'LogisticRegressionOutput': [_loss_case(_regression_inputs),
                                 _loss_case(_regression_inputs, grad_scale=0.5)],
    'MAERegressionOutput': [_loss_case(_mae_inputs, grad_scale=3.0)],
    'MakeLoss': [_loss_case(_loss_values), _loss_case(_loss_values, normalization='batch'),
                 _loss_case(_loss_values, grad_scale=2.0, normalization='valid',
                            valid_thresh=0.1)],
})


def _svm_inputs(rng):
    """Scores (3 examples, 4 classes) away from the hinge's kinks at +-margin, and a
    class per example."""
    signs = rng.choice([-1.0, 1.0], size=(3, 4))
    return [signs * rng.uniform(0.0, 0.8, (3, 4)) + signs * 1.1 * (rng.uniform(size=(3, 4)) > 0.5),
            np.array([0.0, 3.0, 1.0])]


CASES.update({
    'SVMOutput': [_loss_case(_svm_inputs), _loss_case(_svm_inputs, use_linear=True),
                  _loss_case(_svm_inputs, margin=0.5, regularization_coefficient=2.0)],
    # first order only (the registry says so): its own derivative is not checked
    '_backward_SVMOutput': [Case(inputs=_svm_inputs, wrt=[0],
                                 nondiff='the gradient of the hinge loss, checked through '
                                         'SVMOutput (tests/test_mx1_operator.py)')],
})
