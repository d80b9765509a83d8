"""Cases for d2lmini/ops/ctc.py."""
import numpy as np

from . import Case


def _ctc_inputs(blank_label, data_lengths=None, label_lengths=None):
    def make(rng):
        data = rng.normal(size=(5, 3, 4))
        if blank_label == 'first':
            label = np.array([[1, 2, 0], [3, 3, 0], [1, 0, 0]], dtype=np.float64)
        else:
            label = np.array([[0, 1, -1], [2, 2, -1], [0, -1, -1]], dtype=np.float64)
        extra = [np.array(v, dtype=np.float64) for v in (data_lengths, label_lengths)
                 if v is not None]
        return [data, label] + extra
    return make


CASES = {
    'CTCLoss': [
        Case(inputs=_ctc_inputs('first'), wrt=[0]),
        Case(inputs=_ctc_inputs('last'), wrt=[0], attrs=dict(blank_label='last')),
        Case(inputs=_ctc_inputs('first', [5, 3, 4], [1, 2, 1]), wrt=[0],
             attrs=dict(use_data_lengths=True, use_label_lengths=True)),
        Case(inputs=_ctc_inputs('last', None, [2, 1, 1]), wrt=[0],
             attrs=dict(use_label_lengths=True, blank_label='last')),
    ],
}
