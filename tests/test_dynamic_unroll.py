"""gluon.contrib.rnn.rnn_cell.dynamic_unroll: one foreach loop over the steps, the
same results as the cell's own unroll, imperatively and hybridized."""
import numpy as np
import pytest

import d2lmini as mx
from d2lmini import gluon
from d2lmini.gluon.contrib.rnn.rnn_cell import dynamic_unroll


class Unrolled(gluon.HybridBlock):
    def __init__(self, cell, layout, **kwargs):
        super().__init__(**kwargs)
        self.layout = layout
        with self.name_scope():
            self.cell = cell

    def hybrid_forward(self, F, x, states, valid_length):
        return dynamic_unroll(self.cell, x, states, layout=self.layout,
                              valid_length=valid_length)


@pytest.mark.parametrize('layout', ['TNC', 'NTC'])
@pytest.mark.parametrize('cell_type,num_states', [(gluon.rnn.LSTMCell, 2),
                                                   (gluon.rnn.GRUCell, 1)])
@pytest.mark.parametrize('hybridize', [False, True])
def test_dynamic_unroll_equals_unroll(layout, cell_type, num_states, hybridize):
    rng = np.random.RandomState(0)
    T, N, C, H = 5, 3, 4, 6
    shape = (T, N, C) if layout == 'TNC' else (N, T, C)
    x = mx.nd.array(rng.randn(*shape))
    states = [mx.nd.array(rng.randn(N, H)) for _ in range(num_states)]
    lengths = mx.nd.array([5, 2, 3])

    reference = cell_type(H, prefix='rnn_')
    reference.initialize()
    block = Unrolled(cell_type(H, prefix='rnn_'), layout)
    block.initialize()
    reference(x[0] if layout == 'TNC' else x[:, 0], states)     # shapes known
    block(x, states, lengths)
    for name, p in reference.collect_params().items():
        block.cell.collect_params()[name].set_data(p.data())
    if hybridize:
        block.hybridize()

    for params in (reference, block):
        for p in params.collect_params().values():
            p.zero_grad()
    with mx.autograd.record():
        want, want_states = reference.unroll(T, x, states, layout=layout,
                                             merge_outputs=True, valid_length=lengths)
        (want.sum() + sum(s.sum() for s in want_states)).backward()
    with mx.autograd.record():
        got, got_states = block(x, states, lengths)
        (got.sum() + sum(s.sum() for s in got_states)).backward()

    np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-6)
    for g, w in zip(got_states, want_states):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-5, atol=1e-6)
    # past each sequence's end: zeros
    steps = got.asnumpy() if layout == 'TNC' else got.asnumpy().swapaxes(0, 1)
    assert not steps[2:, 1].any() and not steps[3:, 2].any()
    for name, p in reference.collect_params().items():
        np.testing.assert_allclose(block.cell.collect_params()[name].grad().asnumpy(),
                                   p.grad().asnumpy(), rtol=1e-4, atol=1e-5)


def test_dynamic_unroll_without_lengths_keeps_every_step():
    cell = gluon.rnn.RNNCell(2)
    cell.initialize()
    x = mx.nd.ones((3, 1, 2))
    out, (h,) = dynamic_unroll(cell, x, cell.begin_state(1))
    np.testing.assert_allclose(out[-1].asnumpy(), h.asnumpy())
    assert out.shape == (3, 1, 2)


def test_dynamic_unroll_refuses_what_it_cannot_unroll():
    cell = gluon.rnn.RNNCell(2)
    cell.initialize()
    with pytest.raises(ValueError, match='layout'):
        dynamic_unroll(cell, mx.nd.ones((3, 1, 2)), cell.begin_state(1), layout='NCT')
    with pytest.raises(TypeError, match='whole sequence'):
        dynamic_unroll(cell, [mx.nd.ones((1, 2))] * 3, cell.begin_state(1))
