"""``histogram`` and ``split_v2`` through both front ends (``nd`` and ``sym``).

The expected values were printed by MXNet 1.9.1 running the same calls: counts'
and edges' dtypes, which values are counted, the parts' shapes, the errors and
the gradients.
"""
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError

nd = mx.nd
DATA = [1, 2, 3, 4.5, 0.2, 2.2, -1, 9, 4]


def values(arrays):
    return [(a.dtype, a.shape, a.asnumpy().tolist()) for a in arrays]


# ------------------------------------------------------------------ nd.histogram
def test_histogram_with_range_counts_int64_closes_last_bin_and_ignores_outside():
    counts, edges = nd.histogram(nd.array(DATA), bins=4, range=(0, 4))
    # -1, 4.5 and 9 are outside; 4 falls in the last bin, closed on the right
    assert values([counts, edges]) == [(np.int64, (4,), [1, 1, 2, 2]),
                                       (np.float32, (5,), [0.0, 1.0, 2.0, 3.0, 4.0])]


@pytest.mark.parametrize('dtype', ['float64', 'float16', 'int32', 'int64', 'uint8'])
def test_histogram_edges_take_the_data_dtype(dtype):
    counts, edges = nd.histogram(nd.array([1, 2, 3, 7], dtype=dtype), bins=3, range=(0, 6))
    assert counts.dtype == np.int64 and counts.asnumpy().tolist() == [1, 2, 0]
    assert edges.dtype == np.dtype(dtype) and edges.asnumpy().tolist() == [0, 2, 4, 6]


def test_histogram_fractional_range_list_range_and_numpy_integer_bins():
    counts, edges = nd.histogram(nd.array(DATA), bins=3, range=(0.5, 2.5))
    assert counts.asnumpy().tolist() == [1, 0, 2]
    np.testing.assert_allclose(edges.asnumpy(), [0.5, 7 / 6, 11 / 6, 2.5], rtol=1e-6)
    counts, _ = nd.histogram(nd.array(DATA), bins=np.int64(2), range=[0, 4])
    assert counts.asnumpy().tolist() == [2, 4]


def test_histogram_flattens_and_skips_nan():
    counts, _ = nd.histogram(nd.array([[0, 1], [2, 3]]), bins=2, range=(0, 3))
    assert counts.asnumpy().tolist() == [2, 2]
    counts, _ = nd.histogram(nd.array([np.nan, 1, 2]), bins=2, range=(0, 2))
    assert counts.asnumpy().tolist() == [0, 2]


def test_histogram_with_edge_array():
    counts, edges = nd.histogram(nd.array(DATA), bins=nd.array([0, 1, 2.5, 5]))
    assert values([counts, edges]) == [(np.int64, (3,), [1, 3, 3]),
                                       (np.float32, (4,), [0.0, 1.0, 2.5, 5.0])]
    counts, _ = nd.histogram(nd.array([5, 5, 0]), bins=nd.array([0, 2.5, 5]))
    assert counts.asnumpy().tolist() == [1, 2]      # the last edge is inside the last bin


def test_histogram_without_range_is_numpys_with_float32_counts():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        counts, edges = nd.histogram(nd.array(DATA), bins=4)
    assert any('range is not specified' in str(w.message) for w in caught)
    assert values([counts, edges]) == [(np.float32, (4,), [3.0, 3.0, 2.0, 1.0]),
                                       (np.float32, (5,), [-1.0, 1.5, 4.0, 6.5, 9.0])]


@pytest.mark.parametrize('bins', [[0, 1, 2], 2.0, 2.5, True])
def test_histogram_refuses_bins_that_are_neither_int_nor_ndarray(bins):
    with pytest.raises(ValueError, match='integer or an NDArray'):
        nd.histogram(nd.array(DATA), bins=bins, range=(0, 4))


def test_histogram_refuses_a_reversed_range():
    with pytest.raises(MXNetError, match='range'):
        nd.histogram(nd.array(DATA), bins=3, range=(2, 1))


# ------------------------------------------------------------------ sym.histogram
def test_sym_histogram_outputs_and_values():
    d = mx.sym.var('d')
    h = mx.sym.histogram(d, bins=3, range=(0, 3))
    outputs = h.list_outputs()
    assert len(outputs) == 2 and outputs[0].startswith('_histogram')
    assert [o[-7:] for o in outputs] == ['output0', 'output1']
    assert h.list_arguments() == ['d']
    counts, edges = h.eval(d=nd.array([0, 1, 2, 3]))
    assert counts.asnumpy().tolist() == [1, 1, 2]
    assert edges.asnumpy().tolist() == [0.0, 1.0, 2.0, 3.0]
    h = mx.sym.histogram(d, bins=mx.sym.var('e'))
    assert h.list_arguments() == ['d', 'e']
    counts, _ = h.eval(d=nd.array(DATA), e=nd.array([0, 1, 2.5, 5]))
    assert counts.asnumpy().tolist() == [1, 3, 3]


def test_sym_histogram_needs_a_range_or_edges():
    with pytest.raises(ValueError, match='null range'):
        mx.sym.histogram(mx.sym.var('d'), bins=3)
    with pytest.raises(ValueError, match='integer or an NDArray'):
        mx.sym.histogram(mx.sym.var('d'), bins=2.0, range=(0, 1))


# ------------------------------------------------------------------ nd.split_v2
A = np.arange(24, dtype=np.float32).reshape(2, 6, 2)


def test_split_v2_sections_and_indices():
    parts = nd.split_v2(nd.array(A), 3, axis=1)
    assert [p.shape for p in parts] == [(2, 2, 2)] * 3
    assert parts[1].asnumpy().tolist() == A[:, 2:4].tolist()
    parts = nd.split_v2(nd.array(A), (1, 4), axis=1)
    assert [p.shape for p in parts] == [(2, 1, 2), (2, 3, 2), (2, 2, 2)]
    assert parts[2].asnumpy().tolist() == A[:, 4:].tolist()
    parts = nd.split_v2(nd.array(A), (1,), axis=-1)
    assert [p.asnumpy().tolist() for p in parts] == [A[..., :1].tolist(), A[..., 1:].tolist()]


def test_split_v2_one_section_is_the_array_and_dtype_is_kept():
    whole = nd.split_v2(nd.array(A), 1)
    assert isinstance(whole, nd.NDArray) and whole.shape == (2, 6, 2)
    parts = nd.split_v2(nd.array(A, dtype='int64'), 2)
    assert [(p.dtype, p.shape) for p in parts] == [(np.int64, (1, 6, 2))] * 2


def test_split_v2_equal_positions_give_empty_parts():
    parts = nd.split_v2(nd.array(A), (2, 2), axis=1)
    assert [p.shape for p in parts] == [(2, 2, 2), (2, 0, 2), (2, 4, 2)]
    parts = nd.split_v2(nd.array(A), (0, 2), axis=1)
    assert [p.shape for p in parts] == [(2, 0, 2), (2, 2, 2), (2, 4, 2)]
    parts = nd.split_v2(nd.ones((2, 6)), (6,), axis=1)
    assert [p.shape for p in parts] == [(2, 6), (2, 0)]


def test_split_v2_squeeze_axis():
    parts = nd.split_v2(nd.array(A), 2, squeeze_axis=True)
    assert [p.shape for p in parts] == [(6, 2), (6, 2)]
    assert parts[1].asnumpy().tolist() == A[1].tolist()
    with pytest.raises(MXNetError, match='squeeze_axis'):
        nd.split_v2(nd.array(A), 2, axis=1, squeeze_axis=True)


@pytest.mark.parametrize('call, error, message', [
    (lambda a: nd.split_v2(a, 4, axis=1), ValueError, 'equal division'),
    (lambda a: nd.split_v2(a, [1, 3], axis=1), ValueError, 'int or tuple of ints'),
    (lambda a: nd.split_v2(a, 2.0, axis=1), ValueError, 'int or tuple of ints'),
    (lambda a: nd.split_v2(a, (2, 8), axis=1), MXNetError, 'within the axis'),
    (lambda a: nd.split_v2(a, (3, 1), axis=1), MXNetError, 'sorted'),
])
def test_split_v2_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(nd.array(A))


def test_split_v2_gradient_joins_the_parts_gradients():
    x = nd.array(np.arange(12).reshape(6, 2))
    x.attach_grad()
    with mx.autograd.record():
        p = nd.split_v2(x, (1, 3))
        loss = p[0].sum() + (p[1] * 2).sum() + (p[2] * 3).sum()
    loss.backward()
    assert x.grad.asnumpy().tolist() == [[1, 1], [2, 2], [2, 2], [3, 3], [3, 3], [3, 3]]


def test_split_v2_gradient_of_unused_and_squeezed_parts():
    x = nd.array(np.arange(6).reshape(3, 2))
    x.attach_grad()
    with mx.autograd.record():
        p = nd.split_v2(x, 3, squeeze_axis=True)
        loss = p[0].sum() + (p[2] * 3).sum()
    loss.backward()
    assert x.grad.asnumpy().tolist() == [[1, 1], [0, 0], [3, 3]]
    with mx.autograd.record():
        loss = (nd.split_v2(x, (1,))[1] * 5).sum()
    loss.backward()
    assert x.grad.asnumpy().tolist() == [[0, 0], [5, 5], [5, 5]]


def test_split_v2_is_an_ndarray_method_only_under_its_name():
    parts = nd.array(A).split_v2(3, axis=1)
    assert [p.shape for p in parts] == [(2, 2, 2)] * 3
    assert not hasattr(nd, '_split_v2_method')


# ------------------------------------------------------------------ sym.split_v2
def test_sym_split_v2_shapes_outputs_and_values():
    d = mx.sym.var('d')
    s = mx.sym.split_v2(d, 3, axis=1)
    assert len(s.list_outputs()) == 3
    assert s.infer_shape(d=(2, 6))[1] == [(2, 2), (2, 2), (2, 2)]
    s = mx.sym.split_v2(d, (1, 3), axis=1)
    assert s.infer_shape(d=(2, 6))[1] == [(2, 1), (2, 2), (2, 3)]
    out = s.eval(d=nd.array(np.arange(12).reshape(2, 6)))
    assert out[2].asnumpy().tolist() == [[3, 4, 5], [9, 10, 11]]
    assert len(d.split_v2(2, axis=1).list_outputs()) == 2


def test_sym_split_v2_round_trips_through_json():
    s = mx.sym.split_v2(mx.sym.var('d'), 3, axis=1)
    loaded = mx.sym.load_json(s.tojson())
    assert loaded.infer_shape(d=(2, 6))[1] == [(2, 2)] * 3
    with pytest.raises(ValueError, match='int or tuple of ints'):
        mx.sym.split_v2(mx.sym.var('d'), [1, 2])


def test_histogram_widens_an_empty_range_and_checks_its_edges():
    counts, edges = mx.nd.histogram(mx.nd.array([1, 1, 2]), bins=3, range=(1, 1))
    # as MXNet and numpy: half a unit on each side
    np.testing.assert_array_equal(counts.asnumpy(), [0, 2, 0])
    np.testing.assert_allclose(edges.asnumpy(), [0.5, 5 / 6, 7 / 6, 1.5], rtol=1e-6)
    with pytest.raises(mx.MXNetError, match='1-D'):
        mx.nd.histogram(mx.nd.ones(3), bins=mx.nd.array([[0, 3], [4, 5]]))
    with pytest.raises(mx.MXNetError, match='at least 2'):
        mx.nd.histogram(mx.nd.ones(3), bins=mx.nd.array([1]))
