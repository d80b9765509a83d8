"""mx.rnn, MXNet 1.x's symbolic RNN API: names, shapes and values as MXNet 1.9.1 gives
them (the expected numbers were recorded with MXNet 1.9.1)."""
import os
import random

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError

N, T, C, H = 2, 2, 3, 2


def _w(shape, k):
    """Deterministic, not-too-regular test values."""
    n = int(np.prod(shape))
    return mx.nd.array(np.sin(np.arange(n) * 0.37 + k).reshape(shape) * 0.5)


def _run_cell(cell, gates):
    """Unroll ``cell`` over T steps of x (N, T, C), begin states fed as variables."""
    states = cell.begin_state(func=mx.sym.Variable)
    out, final = cell.unroll(T, mx.sym.Variable('data'), begin_state=states,
                             merge_outputs=True)
    feed = {'data': _w((N, T, C), 0.1), 'c_i2h_weight': _w((gates * H, C), 1),
            'c_i2h_bias': _w((gates * H,), 2), 'c_h2h_weight': _w((gates * H, H), 3),
            'c_h2h_bias': _w((gates * H,), 4)}
    for i, s in enumerate(states):
        feed[s.name] = _w((N, H), 5 + i)
    return [a.asnumpy() for a in mx.sym.Group([out] + final).eval(**feed)]


# ---------------------------------------------------------------- names and shapes
def test_basic_cell_names_match_mxnet():
    for make in (mx.rnn.RNNCell, mx.rnn.LSTMCell, mx.rnn.GRUCell):
        cell = make(4, prefix='c_')
        outputs, states = cell.unroll(3, [mx.sym.Variable(f'x{t}') for t in range(3)])
        group = mx.sym.Group(outputs)
        assert group.list_outputs() == ['c_t0_out_output', 'c_t1_out_output',
                                        'c_t2_out_output']
        assert group.list_arguments() == ['x0', 'c_i2h_weight', 'c_i2h_bias', 'c_h2h_weight',
                                          'c_h2h_bias', 'x1', 'x2']
        assert sorted(cell.params._params) == ['c_h2h_bias', 'c_h2h_weight', 'c_i2h_bias',
                                               'c_i2h_weight']
    assert [s.name for s in states] == ['c_t2_out']
    lstm = mx.rnn.LSTMCell(4, prefix='l_')
    _, states = lstm.unroll(2, mx.sym.Variable('data'))
    assert [s.name for s in states] == ['l_t1_out', 'l_t1_state']
    internals = mx.sym.Group(states).get_internals().list_outputs()
    for name in ('l_t0_slice_output0', 'l_t0_i_output', 'l_t0_f_output', 'l_t0_c_output',
                 'l_t0_o_output', 'l_t0_state_output', 'l_begin_state_1_output'):
        assert name in internals
    gru = mx.rnn.GRUCell(4, prefix='g_')
    out, _ = gru.unroll(1, mx.sym.Variable('data'))
    internals = out[0].get_internals().list_outputs()
    assert 'g_t0__i2h_output' in internals and 'g_t0__r_act_output' in internals


def test_begin_state_names_shapes_and_counter():
    cell = mx.rnn.LSTMCell(5, prefix='l_')
    assert cell.state_info == [{'shape': (0, 5), '__layout__': 'NC'}] * 2
    assert cell.state_shape == [(0, 5), (0, 5)]
    first = cell.begin_state(func=mx.sym.Variable)
    assert [s.name for s in first] == ['l_begin_state_0', 'l_begin_state_1']
    assert first[0].attr_dict()['l_begin_state_0'] == {'__layout__': 'NC', '__shape__': '(0, 5)'}
    assert [s.name for s in cell.begin_state()] == ['l_begin_state_2', 'l_begin_state_3']
    cell.reset()
    assert cell.begin_state()[0].name == 'l_begin_state_0'


def test_lstm_forget_bias_is_the_bias_initializer():
    cell = mx.rnn.LSTMCell(3, prefix='l_', forget_bias=2.0)
    assert cell.params.get('i2h_bias').attr('__init__') == '["lstmbias", {"forget_bias": 2.0}]'
    b = mx.nd.ones((12,))
    mx.init.Xavier()(mx.init.InitDesc('l_i2h_bias', {'__init__': '["lstmbias", '
                                                     '{"forget_bias": 2.0}]'}), b)
    assert b.asnumpy().tolist() == [0] * 3 + [2] * 3 + [0] * 6


def test_merged_layouts_and_shapes():
    cell = mx.rnn.GRUCell(4, prefix='g_')
    out, _ = cell.unroll(3, mx.sym.Variable('data'), layout='TNC', merge_outputs=True)
    states = [mx.sym.Variable('h0')]
    out, _ = cell.unroll(3, mx.sym.Variable('data'), begin_state=states, layout='TNC',
                         merge_outputs=True)
    assert out.infer_shape(data=(3, 2, 5), h0=(2, 4))[1] == [(3, 2, 4)]
    out, _ = cell.unroll(3, mx.sym.Variable('data'), begin_state=states)
    assert len(out) == 3 and out[0].infer_shape(data=(2, 3, 5), h0=(2, 4))[1] == [(2, 4)]


def test_fused_cell_symbol():
    cell = mx.rnn.FusedRNNCell(4, num_layers=2, mode='lstm', bidirectional=True,
                               get_next_state=True, prefix='f_')
    assert cell.state_info == [{'shape': (4, 0, 4), '__layout__': 'LNC'}] * 2
    out, states = cell.unroll(3, mx.sym.Variable('data'), layout='TNC', merge_outputs=True)
    group = mx.sym.Group([out] + states)
    assert group.list_arguments() == ['data', 'f_parameters']
    assert group.list_outputs() == ['f_rnn_output', 'f_rnn_state_output',
                                    'f_rnn_statecell_output']
    assert cell.params.get('parameters').attr('__init__') == (
        '["fusedrnn", {"init": null, "num_hidden": 4, "num_layers": 2, "mode": "lstm", '
        '"bidirectional": true, "forget_bias": 1.0}]')
    with pytest.raises(NotImplementedError):
        cell(mx.sym.Variable('x'), states)
    plain = mx.rnn.FusedRNNCell(4, mode='gru')
    with pytest.warns(UserWarning, match='NTC'):
        out, states = plain.unroll(3, mx.sym.Variable('data'), merge_outputs=False)
    assert states == [] and len(out) == 3
    assert plain.params.get('parameters').name == 'gru_parameters'


def test_unfuse_names_match_mxnet():
    cell = mx.rnn.FusedRNNCell(100, num_layers=3, mode='lstm', prefix='test_',
                               bidirectional=True, dropout=0.5).unfuse()
    assert [type(c).__name__ for c in cell._cells] == [
        'BidirectionalCell', 'DropoutCell', 'BidirectionalCell', 'DropoutCell',
        'BidirectionalCell']
    outputs, _ = cell.unroll(3, [mx.sym.Variable(f'rnn_t{i}_data') for i in range(3)])
    assert mx.sym.Group(outputs).list_outputs() == [
        'test_bi_l2_t0_output', 'test_bi_l2_t1_output', 'test_bi_l2_t2_output']
    one_way = mx.rnn.FusedRNNCell(4, num_layers=2, mode='gru', prefix='f_').unfuse()
    assert [c._prefix for c in one_way._cells] == ['f_l0_', 'f_l1_']


def test_containers_and_modifiers_names():
    bi = mx.rnn.BidirectionalCell(mx.rnn.GRUCell(3, prefix='l_'), mx.rnn.LSTMCell(3, prefix='r_'))
    outputs, states = bi.unroll(2, mx.sym.Variable('data'))
    assert [o.name for o in outputs] == ['bi_t0', 'bi_t1']
    assert [[s.name for s in part] for part in states] == [['l_t1_out'],
                                                           ['r_t1_out', 'r_t1_state']]
    merged, _ = bi.unroll(2, mx.sym.Variable('data'), merge_outputs=True)
    assert merged.name == 'bi_out'
    with pytest.raises(NotImplementedError):
        bi(mx.sym.Variable('x'), [])
    res = mx.rnn.ResidualCell(mx.rnn.GRUCell(3, prefix='g_'))
    outputs, _ = res.unroll(2, mx.sym.Variable('data'))
    assert [o.name for o in outputs] == ['g_t0_out_plus_residual', 'g_t1_out_plus_residual']
    drop = mx.rnn.DropoutCell(0.5)
    out, states = drop.unroll(4, mx.sym.Variable('data'))
    assert states == [] and out.get_internals().list_outputs() == ['data', out.list_outputs()[0]]


def test_wrapped_cell_is_used_through_its_wrapper_only():
    base = mx.rnn.LSTMCell(3, prefix='l_')
    zone = mx.rnn.ZoneoutCell(base, zoneout_outputs=0.2)
    with pytest.raises(AssertionError, match='modifier'):
        base.begin_state()
    assert [s.name for s in zone.begin_state()] == ['l_begin_state_0', 'l_begin_state_1']
    with pytest.raises(AssertionError):
        mx.rnn.ZoneoutCell(mx.rnn.FusedRNNCell(3))


def test_sequential_params_given_to_both_is_refused():
    stack = mx.rnn.SequentialRNNCell(params=mx.rnn.RNNParams('s_'))
    with pytest.raises(AssertionError, match='not both'):
        stack.add(mx.rnn.LSTMCell(3, params=mx.rnn.RNNParams('x_')))


def test_bad_input_is_refused():
    cell = mx.rnn.RNNCell(3)
    with pytest.raises(AssertionError, match='length=3'):
        cell.unroll(3, [mx.sym.Variable('a')])
    with pytest.raises(AssertionError, match='must be a number'):
        mx.rnn.DropoutCell('0.5')
    with pytest.raises(MXNetError, match='mode'):
        mx.rnn.FusedRNNCell(3, mode='bogus')
    with pytest.raises(MXNetError, match='layout'):
        cell.unroll(2, mx.sym.Variable('a'), layout='NC')


# ---------------------------------------------------------------- values (MXNet 1.9.1's)
def test_rnn_relu_values():
    out, h = _run_cell(mx.rnn.RNNCell(H, activation='relu', prefix='c_'), 1)
    np.testing.assert_allclose(out, [[[0.402669, 0.32024], [0.739118, 0.053376]],
                                     [[0.348797, 0.215921], [0.0, 0.0]]], atol=1e-5)
    np.testing.assert_allclose(h, out[:, -1], atol=0)


def test_lstm_values():
    out, h, c = _run_cell(mx.rnn.LSTMCell(H, prefix='c_'), 4)
    np.testing.assert_allclose(out, [[[-0.124935, -0.08755], [-0.281036, -0.077324]],
                                     [[-0.101079, -0.049222], [-0.073262, -0.131959]]],
                               atol=1e-5)
    np.testing.assert_allclose(c, [[-0.597221, -0.177982], [-0.26827, -0.360017]], atol=1e-5)


def test_gru_values():
    out, h = _run_cell(mx.rnn.GRUCell(H, prefix='c_'), 3)
    np.testing.assert_allclose(out, [[[-0.441652, -0.361559], [-0.52481, -0.242093]],
                                     [[-0.389203, -0.251898], [-0.282078, -0.433169]]],
                               atol=1e-5)


def _fused(mode, gates):
    cell = mx.rnn.FusedRNNCell(H, num_layers=2, mode=mode, bidirectional=True,
                               get_next_state=True, prefix='f_')
    states = cell.begin_state(func=mx.sym.Variable)
    out, final = cell.unroll(T, mx.sym.Variable('data'), begin_state=states, layout='NTC',
                             merge_outputs=True)
    size = 2 * gates * H * (C + H + 2) + 2 * gates * H * (3 * H + 2)
    feed = {'data': _w((N, T, C), 0.1), 'f_parameters': _w((size,), 0.7)}
    for i, s in enumerate(states):
        feed[s.name] = _w((4, N, H), 8 + i)
    return cell, feed, [a.asnumpy() for a in mx.sym.Group([out] + final).eval(**feed)]


@pytest.mark.filterwarnings('ignore:NTC layout')
def test_fused_values():
    _, _, (out, h, c) = _fused('lstm', 4)
    np.testing.assert_allclose(out[0], [[-0.207713, -0.154149, 0.002172, 0.038527],
                                        [-0.156455, -0.119197, 0.073005, 0.102907]], atol=1e-5)
    np.testing.assert_allclose(c[:, 0], [[-0.278179, 0.237548], [0.152017, -0.036294],
                                         [-0.345637, -0.237277], [0.004143, 0.073729]],
                               atol=1e-5)
    _, _, (out, h) = _fused('gru', 3)
    np.testing.assert_allclose(out[1], [[-0.213837, -0.296564, 0.184572, 0.102428],
                                        [-0.265237, -0.362921, 0.170759, 0.190291]], atol=1e-5)


@pytest.mark.filterwarnings('ignore:NTC layout')
def test_fused_equals_unfused_through_unpack_and_pack():
    for mode, gates in (('lstm', 4), ('gru', 3), ('rnn_tanh', 1)):
        fused, feed, (want, *_) = _fused(mode, gates)
        stack = fused.unfuse()
        args = stack.pack_weights(fused.unpack_weights({'f_parameters': feed['f_parameters']}))
        states = stack.begin_state(func=mx.sym.Variable)
        out, _ = stack.unroll(T, mx.sym.Variable('data'), begin_state=states,
                              merge_outputs=True)
        # the fused states are (layer * direction, N, H) for h, then for c
        per_cell = len(states) // 4
        for k, s in enumerate(states):
            which, layer_dir = divmod(k, per_cell)
            name = 'f_begin_state_1' if per_cell == 2 and layer_dir == 1 else 'f_begin_state_0'
            args[s.name] = feed[name][which]
        got = out.eval(data=feed['data'], **args)[0].asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_unpack_pack_round_trip_and_names():
    cell = mx.rnn.FusedRNNCell(2, num_layers=1, mode='gru', prefix='f_')
    flat = _w((2 * 3 * 2 * (3 + 2 + 2) // 2,), 0.7)
    parts = cell.unpack_weights({'f_parameters': flat, 'other': mx.nd.ones((1,))})
    assert sorted(parts)[:3] == ['f_l0_h2h_o_bias', 'f_l0_h2h_o_weight', 'f_l0_h2h_r_bias']
    assert parts['f_l0_i2h_z_weight'].shape == (2, 3) and 'other' in parts
    assert round(float(parts['f_l0_h2h_o_weight'].sum().asscalar()), 4) == -1.8195
    packed = cell.pack_weights(parts)
    assert sorted(packed) == ['f_parameters', 'other']
    np.testing.assert_array_equal(packed['f_parameters'].asnumpy(), flat.asnumpy())
    lstm = mx.rnn.LSTMCell(2, prefix='l_')
    args = {'l_i2h_weight': mx.nd.arange(24).reshape((8, 3)), 'l_i2h_bias': mx.nd.arange(8),
            'l_h2h_weight': mx.nd.arange(16).reshape((8, 2)), 'l_h2h_bias': mx.nd.arange(8)}
    parts = lstm.unpack_weights(args)
    assert parts['l_i2h_f_bias'].asnumpy().tolist() == [2, 3]
    assert parts['l_h2h_o_weight'].asnumpy().ravel().tolist() == [12, 13, 14, 15]
    assert sorted(lstm.pack_weights(parts)) == sorted(args)
    with pytest.raises(MXNetError, match='does not fit'):
        cell.unpack_weights({'f_parameters': mx.nd.ones((7,))})


def test_fused_initializer():
    init = mx.rnn.rnn_cell.FusedRNN(mx.init.Constant(0.5), 2, 1, 'lstm', forget_bias=3.0)
    arr = mx.nd.zeros((4 * 2 * (3 + 2 + 2),))
    init._init_weight(mx.init.InitDesc('f_parameters'), arr)
    assert arr.asnumpy().tolist() == [0.5] * 40 + [0, 0, 3, 3, 0, 0, 0, 0] * 2
    assert mx.init.create(init.dumps()).dumps() == init.dumps()
    # without its own initializer, the one the parameters are initialised with
    desc = mx.init.InitDesc('f_parameters', global_init=mx.init.Constant(0.25))
    mx.rnn.rnn_cell.FusedRNN(None, 2, 1, 'gru')._init_weight(desc, arr[:42])
    assert arr.asnumpy()[:42].tolist() == [0.25] * 30 + [0] * 12


def test_fused_cell_in_a_module_is_initialised_as_mxnet_does():
    cell = mx.rnn.FusedRNNCell(2, num_layers=1, mode='lstm', prefix='f_', forget_bias=3.0)
    out, _ = cell.unroll(2, mx.sym.Variable('data'), layout='TNC', merge_outputs=True)
    mod = mx.mod.Module(out, label_names=None)
    mod.bind([('data', (2, 1, 3))])
    mod.init_params(mx.init.Constant(0.7))
    flat = mod.get_params()[0]['f_parameters'].asnumpy()
    np.testing.assert_allclose(flat[:40], 0.7)
    assert flat[40:].tolist() == [0, 0, 3, 3, 0, 0, 0, 0] * 2   # i2h then h2h biases
    mod.forward(mx.io.DataBatch([mx.nd.ones((2, 1, 3))]))
    assert mod.get_outputs()[0].shape == (2, 1, 2)


def test_zoneout_outside_training_is_the_base_cell():
    feed = {'data': _w((N, T, C), 0.1), 'h0': _w((N, H), 5), 'c_i2h_weight': _w((H, C), 1),
            'c_i2h_bias': _w((H,), 2), 'c_h2h_weight': _w((H, H), 3), 'c_h2h_bias': _w((H,), 4)}
    base, _ = mx.rnn.RNNCell(H, prefix='c_').unroll(
        T, mx.sym.Variable('data'), begin_state=[mx.sym.Variable('h0')], merge_outputs=True)
    zone, _ = mx.rnn.ZoneoutCell(mx.rnn.RNNCell(H, prefix='c_'), 0.5, 0.5).unroll(
        T, mx.sym.Variable('data'), begin_state=[mx.sym.Variable('h0')], merge_outputs=True)
    np.testing.assert_allclose(zone.eval(**feed)[0].asnumpy(), base.eval(**feed)[0].asnumpy())


def test_residual_adds_the_input():
    cell = mx.rnn.ResidualCell(mx.rnn.GRUCell(3, prefix='g_'))
    out, _ = cell.unroll(2, mx.sym.Variable('data'), begin_state=[mx.sym.Variable('h0')],
                         merge_outputs=True)
    zeros = {n: mx.nd.zeros(s) for n, s in (('g_i2h_weight', (9, 3)), ('g_i2h_bias', (9,)),
                                            ('g_h2h_weight', (9, 3)), ('g_h2h_bias', (9,)))}
    got = out.eval(data=mx.nd.ones((1, 2, 3)) * 5, h0=mx.nd.zeros((1, 3)), **zeros)[0]
    assert got.asnumpy().tolist() == [[[5, 5, 5], [5, 5, 5]]]   # GRU of zero weights: 0


def test_default_begin_state_shape_is_inferred():
    out, _ = mx.rnn.LSTMCell(4, prefix='l_').unroll(3, mx.sym.Variable('data'),
                                                    merge_outputs=True)
    assert out.infer_shape(data=(2, 3, 5))[1] == [(2, 3, 4)]


# ---------------------------------------------------------------- data and checkpoints
def test_encode_sentences():
    sentences = [['a', 'b', 'c'], ['b', 'd'], ['a', '\n', 'e', 'a', 'b']]
    assert mx.rnn.encode_sentences(sentences) == (
        [[0, 1, 2], [1, 3], [0, -1, 4, 0, 1]], {'\n': -1, 'a': 0, 'b': 1, 'c': 2, 'd': 3, 'e': 4})
    assert mx.rnn.encode_sentences([['x', 'y', 'z']], invalid_label=1, start_label=0) == (
        [[0, 2, 3]], {'\n': 1, 'x': 0, 'y': 2, 'z': 3})
    assert mx.rnn.encode_sentences([['x', 'y'], ['q']], vocab={'x': 5, 'y': 2},
                                   unknown_token='<u>', start_label=7) == (
        [[5, 2], [7]], {'x': 5, 'y': 2, '<u>': 7})
    with pytest.raises(AssertionError, match='Unknown token zz'):
        mx.rnn.encode_sentences([['a', 'zz']], vocab={'a': 3})


def test_bucket_sentence_iter_matches_mxnet_order(capsys):
    random.seed(3)
    np.random.seed(3)
    sentences = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [1], [2, 2, 2], [3] * 7, [5, 6],
                 [7, 8, 9, 1], [2]]
    it = mx.rnn.BucketSentenceIter(sentences, 2, buckets=[2, 4], invalid_label=0)
    assert 'discarded 2 sentences' in capsys.readouterr().out
    assert it.default_bucket_key == 4
    assert it.provide_data[0].shape == (2, 4) and it.provide_label[0].name == 'softmax_label'
    it.reset()
    batches = [(b.bucket_key, b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist())
               for b in it]
    assert batches == [(2, [[1, 0], [2, 0]], [[0, 0], [0, 0]]),
                       (2, [[5, 6], [4, 5]], [[6, 0], [5, 0]]),
                       (4, [[2, 2, 2, 0], [7, 8, 9, 1]], [[2, 2, 0, 0], [8, 9, 1, 0]])]
    by_time = mx.rnn.BucketSentenceIter(sentences, 2, layout='TN', dtype='int32')
    assert by_time.buckets == [1, 2, 3] and by_time.provide_data[0].shape == (3, 2)
    batch = next(iter(by_time))
    assert batch.data[0].shape == (batch.bucket_key, 2) and batch.data[0].dtype == np.int32


def test_rnn_checkpoints_hold_unpacked_weights(tmp_path):
    cell = mx.rnn.FusedRNNCell(2, num_layers=1, mode='gru', prefix='f_')
    prefix = str(tmp_path / 'ck')
    flat = mx.nd.arange(42)
    mx.rnn.save_rnn_checkpoint([cell], prefix, 3, None, {'f_parameters': flat},
                               {'aux1': mx.nd.ones((1,))})
    saved = sorted(mx.nd.load(prefix + '-0003.params'))
    assert saved[0] == 'arg:f_l0_h2h_o_bias' and len(saved) == 13 and saved[-1] == 'aux:aux1'
    save_every_2 = mx.rnn.do_rnn_checkpoint(cell, prefix, period=2)
    for epoch in range(2):
        save_every_2(epoch, mx.sym.Variable('z'), {'f_parameters': flat}, {})
    assert sorted(os.listdir(tmp_path)) == ['ck-0002.params', 'ck-0003.params',
                                            'ck-symbol.json']
    sym, args, aux = mx.rnn.load_rnn_checkpoint(cell, prefix, 2)
    assert sym.list_arguments() == ['z'] and aux == {}
    assert args['f_parameters'].asnumpy().tolist() == list(range(42))


@pytest.mark.parametrize('layout, shape', [('NTC', (2, 4)), ('TNC', (4, 2)), ('NT', (2, 4))])
def test_bucket_sentence_iter_reads_the_batch_axis_from_the_layout(layout, shape):
    # MXNet 1.x: only the position of 'N' matters ('NTC' is batch major)
    it = mx.rnn.BucketSentenceIter([[1, 2, 3], [4, 5], [1, 2, 3, 4]], 2, buckets=[3, 4],
                                   layout=layout)
    assert it.provide_data[0].shape == shape and it.provide_data[0].layout == layout
    with pytest.raises(ValueError, match='invalid layout'):
        mx.rnn.BucketSentenceIter([[1, 2, 3]], 1, buckets=[3], layout='TCN')
