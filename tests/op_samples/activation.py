"""Cases for d2lmini/ops/activation.py."""

from . import Case


def _away_from_zero(*shape):
    """Values with |x| in [0.1, 1.5]: the kink at 0 stays farther than the
    finite-difference step."""
    return lambda rng: [rng.uniform(0.1, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)]


def _prelu_inputs(gamma_size):
    return lambda rng: _away_from_zero(2, 3, 4)(rng) + [rng.uniform(0.1, 0.9, size=(gamma_size,))]


def _prelu_backward_inputs(gamma_size):
    """``(dy, data, gamma)`` for ``_backward_prelu``, the data away from the kink."""
    return lambda rng: [rng.normal(size=(2, 3, 4))] + _prelu_inputs(gamma_size)(rng)


CASES = {
    'erf': [Case(shapes=[(3, 4)], low=-3.0, high=3.0)],
    'Activation': [
        Case(inputs=_away_from_zero(3, 4), attrs=dict(act_type='relu')),
        Case(shapes=[(3, 4)], low=-4.0, high=4.0, attrs=dict(act_type='sigmoid')),
        Case(shapes=[(3, 4)], low=-2.0, high=2.0, attrs=dict(act_type='tanh')),
        Case(shapes=[(3, 4)], low=-5.0, high=5.0, attrs=dict(act_type='softrelu')),
        Case(inputs=_away_from_zero(3, 4), attrs=dict(act_type='softsign')),
    ],
    'LeakyReLU': [
        Case(inputs=_away_from_zero(3, 4), attrs=dict(act_type='leaky', slope=0.1)),
        Case(inputs=_prelu_inputs(3), attrs=dict(act_type='prelu')),
        Case(inputs=_prelu_inputs(1), attrs=dict(act_type='prelu')),
        Case(inputs=_away_from_zero(3, 4), attrs=dict(act_type='elu', slope=0.7)),
        Case(inputs=_away_from_zero(3, 4), attrs=dict(act_type='selu')),
        Case(shapes=[(3, 4)], low=-3.0, high=3.0, attrs=dict(act_type='gelu')),
    ],
    '_backward_prelu': [Case(inputs=_prelu_backward_inputs(3)),
                        Case(inputs=_prelu_backward_inputs(1))],
    # (dy, output): the output away from the kink at 0 (negative values stand for
    # relu's zeros: the mask is 0 for both), so central differences do not cross it
    '_backward_relu': [Case(inputs=lambda rng: [rng.normal(size=(3, 4))]
                            + _away_from_zero(3, 4)(rng))],
    # (dy, output): a sigmoid's output lies in (0, 1)
    '_backward_sigmoid': [Case(inputs=lambda rng: [rng.normal(size=(3, 4)),
                                                   rng.uniform(0.05, 0.95, size=(3, 4))])],
}
