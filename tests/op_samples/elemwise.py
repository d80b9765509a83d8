"""Cases for d2lmini/ops/elemwise.py."""
import numpy as np

from . import Case


def _away_from_kinks(shape):
    """Values whose distance from every integer and from 0 exceeds the finite-difference step."""
    return lambda rng: [rng.uniform(0.1, 0.9, size=shape) + rng.integers(-3, 3, size=shape)]


def _pos(*shapes, low=0.5, high=2.0):
    return Case(shapes=list(shapes), low=low, high=high)


_UNIT = ['negative', 'exp', 'expm1', 'square', 'sin', 'cos', 'tan', 'sinh', 'cosh', 'tanh',
         'arcsinh', 'arctan', 'degrees', 'radians', 'sigmoid', 'softsign']
CASES = {name: [Case(shapes=[(3, 4)])] for name in _UNIT}
CASES.update({
    'log': [_pos((3, 4))], 'log2': [_pos((3, 4))], 'log10': [_pos((3, 4))],
    'log1p': [_pos((3, 4))], 'sqrt': [_pos((3, 4))], 'rsqrt': [_pos((3, 4))],
    'cbrt': [_pos((3, 4))], 'reciprocal': [_pos((3, 4))],
    'arcsin': [Case(shapes=[(3, 4)], low=-0.8, high=0.8)],
    'arccos': [Case(shapes=[(3, 4)], low=-0.8, high=0.8)],
    'arctanh': [Case(shapes=[(3, 4)], low=-0.8, high=0.8)],
    'arccosh': [_pos((3, 4), low=1.5, high=3.0)],
    'abs': [Case(inputs=_away_from_kinks((3, 4)))],
    'relu': [Case(inputs=_away_from_kinks((3, 4)))],
    'sign': [Case(inputs=_away_from_kinks((3, 4)))],
    **{n: [Case(inputs=lambda rng: [rng.uniform(0.1, 0.4, size=(3, 4))
                                   + rng.integers(-3, 3, size=(3, 4))])]
       for n in ('floor', 'ceil', 'rint', 'trunc', 'fix', 'round')},
    '_sum_to': [Case(shapes=[(2, 3, 4)], attrs=dict(shape=(3, 1))),
                Case(shapes=[(2, 3)], attrs=dict(shape=(2, 3)))],
    'broadcast_add': [Case(shapes=[(2, 3), (3,)]), Case(shapes=[(2, 1, 4), (3, 1)])],
    'broadcast_sub': [Case(shapes=[(2, 3), (2, 1)])],
    'broadcast_mul': [Case(shapes=[(2, 3), (1, 3)])],
    'broadcast_div': [Case(inputs=lambda rng: [rng.normal(size=(2, 3)),
                                               rng.uniform(0.5, 2, size=(3,))])],
    'broadcast_mod': [Case(inputs=lambda rng: [rng.uniform(0.1, 0.9, size=(2, 3)) + 3,
                                               np.full((3,), 1.3)])],
    'broadcast_power': [Case(inputs=lambda rng: [rng.uniform(0.5, 2, size=(2, 3)),
                                                 rng.uniform(-1, 2, size=(2, 3))])],
    'broadcast_maximum': [Case(shapes=[(2, 3), (2, 3)])],
    'broadcast_minimum': [Case(shapes=[(2, 3), (3,)])],
    'broadcast_hypot': [Case(shapes=[(2, 3), (3,)], low=0.5, high=2)],
    '_maximum': [Case(shapes=[(2, 3), (2, 3)])],
    '_minimum': [Case(shapes=[(2, 3), (2, 3)])],
    '_hypot': [Case(shapes=[(2, 3), (2, 3)], low=0.5, high=2)],
    'elemwise_add': [Case(shapes=[(2, 3), (2, 3)])],
    'elemwise_sub': [Case(shapes=[(2, 3), (2, 3)])],
    'elemwise_mul': [Case(shapes=[(2, 3), (2, 3)])],
    'elemwise_div': [Case(inputs=lambda rng: [rng.normal(size=(2, 3)),
                                              rng.uniform(0.5, 2, size=(2, 3))])],
    'add_n': [Case(shapes=[(2, 3), (2, 3), (2, 3)])],
    '_plus_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=2.0))],
    '_minus_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=2.0))],
    '_rminus_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=2.0))],
    '_mul_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=-1.5))],
    '_div_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=4.0))],
    '_rdiv_scalar': [_pos((3,))],
    '_mod_scalar': [Case(inputs=lambda rng: [rng.uniform(0.1, 0.9, size=(3,)) + 2],
                         attrs=dict(scalar=1.3))],
    '_rmod_scalar': [Case(inputs=lambda rng: [np.array([0.7, 0.9, 1.1])],
                          attrs=dict(scalar=2.5))],
    '_power_scalar': [Case(shapes=[(3,)], low=0.5, high=2, attrs=dict(scalar=2.5))],
    '_rpower_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=1.7))],
    '_maximum_scalar': [Case(inputs=_away_from_kinks((3,)), attrs=dict(scalar=0.0))],
    '_minimum_scalar': [Case(inputs=_away_from_kinks((3,)), attrs=dict(scalar=0.0))],
    '_hypot_scalar': [Case(shapes=[(3,)], attrs=dict(scalar=1.5))],
})
_rdiv = CASES['_rdiv_scalar'][0]
_rdiv.attrs = dict(scalar=3.0)
for _n in ('equal', 'not_equal', 'greater', 'greater_equal', 'lesser', 'lesser_equal',
           'logical_and', 'logical_or', 'logical_xor'):
    CASES['broadcast_' + _n] = [Case(shapes=[(2, 3), (3,)])]
    CASES[f'_{_n}_scalar'] = [Case(shapes=[(2, 3)], attrs=dict(scalar=0.2))]
