"""Sample inputs for every registered operator, used by ``test_registry_walk.py``.

Each module here (one per ``d2lmini/ops`` module) defines ``CASES``: a dict from an
operator's registered name to a list of :class:`Case`. The walk fails for any operator
that has no case, so a new operator cannot skip its gradient check.
"""
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np


@dataclass
class Case:
    """How to call one operator in a test.

    shapes:   input shapes; inputs are drawn uniformly from [low, high)
    inputs:   or a function ``rng -> list of numpy arrays`` for inputs that need care
              (indices, values away from kinks, positive definite ...)
    attrs:    keyword attributes for the operator
    wrt:      indices of the inputs to differentiate (default: the floating ones)
    nondiff:  a reason, for operators that have no gradient: only forward is checked
    seed:     reseed the generator before every call (random operators, dropout)
    train:    call in training mode (dropout, batch norm)
    ctx_free: the operator takes no array input (creation, random draws)
    value_shaped: the output shape depends on the input values (boolean_mask): the
              declared shape may leave dimensions unknown (0)
    """
    shapes: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    inputs: Optional[Callable] = None
    low: float = -1.0
    high: float = 1.0
    wrt: Optional[list] = None
    nondiff: Optional[str] = None
    seed: Optional[int] = None
    train: bool = True
    rtol: float = 1e-3
    atol: float = 1e-5
    eps: float = 1e-4
    ctx_free: bool = False
    value_shaped: bool = False

    def make_inputs(self, rng):
        if self.inputs is not None:
            return [np.asarray(a) for a in self.inputs(rng)]
        return [rng.uniform(self.low, self.high, size=s) for s in self.shapes]


def all_cases():
    """Every module's CASES merged into one dict."""
    cases = {}
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f'{__name__}.{info.name}')
        for name, value in getattr(mod, 'CASES', {}).items():
            if name in cases:
                raise ValueError(f'operator {name} has cases in two modules')
            cases[name] = value
    return cases
