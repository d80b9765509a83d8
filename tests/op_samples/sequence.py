"""Cases for d2lmini/ops/sequence.py: the lengths are inputs without a gradient."""
import numpy as np

from . import Case


def _padded(shape, lengths):
    return lambda rng: [rng.uniform(-1, 1, size=shape), np.array(lengths, dtype=np.float64)]


_ON = dict(use_sequence_length=True)

CASES = {
    'SequenceMask': [Case(inputs=_padded((4, 2, 3), [2, 3]), wrt=[0], attrs=dict(_ON, value=-1.0)),
                     Case(inputs=_padded((2, 4), [1, 4]), wrt=[0], attrs=dict(_ON, axis=1)),
                     Case(shapes=[(3, 2)])],
    'SequenceLast': [Case(inputs=_padded((4, 2, 3), [2, 3]), wrt=[0], attrs=_ON),
                     Case(inputs=_padded((2, 4, 3), [4, 1]), wrt=[0], attrs=dict(_ON, axis=1)),
                     Case(shapes=[(3, 2)])],
    '_sequence_last_mask': [Case(inputs=_padded((4, 2, 3), [2, 3]), attrs=_ON,
                                 nondiff='a constant mask')],
    'SequenceReverse': [Case(inputs=_padded((4, 2, 3), [2, 3]), wrt=[0], attrs=_ON),
                        Case(shapes=[(3, 2)])],
}
