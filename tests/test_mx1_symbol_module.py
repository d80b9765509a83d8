"""Symbols, executors and Modules behaving as in MXNet 1.x: attributes given to operator
functions, pickling, old JSON graphs, executors (backward after an inference forward,
reshape sharing memory, ctx groups) and multi-device Modules with a KVStore.
Expected values were taken from MXNet 1.9.1 or worked out by hand."""
import json
import pickle

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


# ---------------------------------------------------------------------- attributes
def test_hidden_keys_given_to_an_operator_become_attributes():
    data = mx.sym.var('data')
    conv = mx.sym.Convolution(data, name='conv', kernel=(1, 1), num_filter=1,
                              attr={'__mood__': 'so so'}, lr_mult=1)
    attrs = conv.attr_dict()
    for name in ('conv', 'conv_weight', 'conv_bias'):
        assert attrs[name]['__lr_mult__'] == '1'
        assert attrs[name]['lr_mult'] == '1'
        assert attrs[name]['__mood__'] == 'so so'
    assert 'lr_mult' not in conv.list_arguments()


def test_dunder_keyword_is_an_attribute_not_a_parameter():
    act = mx.sym.Activation(mx.sym.var('data'), act_type='relu', __layout__='TNC')
    assert act.attr('__layout__') == 'TNC'
    assert '__layout__' in json.loads(act.tojson())['nodes'][1]['attrs']


def test_hidden_key_as_suffix_is_refused():
    with pytest.raises(MXNetError, match='lr_mult'):
        mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, my_lr_mult=1)


# ---------------------------------------------------------------------- structure
def test_symbol_pickles_through_its_json():
    net = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4,
                                                  name='fc'), act_type='relu', name='act')
    again = pickle.loads(pickle.dumps(net))
    assert again.tojson() == net.tojson()
    assert again.list_arguments() == ['data', 'fc_weight', 'fc_bias']


def test_get_children_lists_a_multi_output_node_once():
    sliced = mx.sym.SliceChannel(mx.sym.var('data'), num_outputs=3, name='slice')
    assert sliced.get_children().list_outputs() == ['data']
    concat = mx.sym.Concat(*list(sliced))
    assert concat.get_children().list_outputs() == ['slice_output0', 'slice_output1',
                                                    'slice_output2']


def test_internal_module_holds_the_underscore_operators():
    y = mx.symbol._internal._mul_scalar(mx.sym.var('x'), scalar=3)
    assert y.eval(x=mx.nd.array([1, 2]))[0].asnumpy().tolist() == [3, 6]
    assert not hasattr(mx.symbol._internal, 'FullyConnected')


# ---------------------------------------------------------------------- old JSON
_LEGACY = {
    'nodes': [
        {'op': 'null', 'param': {}, 'name': 'data', 'inputs': [], 'backward_source_id': -1,
         'attr': {'ctx_group': 'stage1', 'lr_mult': '0.2'}},
        {'op': 'null', 'param': {}, 'name': 'fc1_weight', 'inputs': [],
         'backward_source_id': -1,
         'attr': {'ctx_group': 'stage1', 'wd_mult': '0.3', 'weight_lr_mult': '1.2'}},
        {'op': 'null', 'param': {}, 'name': 'fc1_bias', 'inputs': [], 'backward_source_id': -1,
         'attr': {'ctx_group': 'stage1', 'wd_mult': '0.3', 'weight_lr_mult': '1.2'}},
        {'op': 'FullyConnected', 'param': {'no_bias': 'False', 'num_hidden': '4'},
         'name': 'fc1', 'inputs': [[0, 0], [1, 0], [2, 0]], 'backward_source_id': -1,
         'attr': {'ctx_group': 'stage1', 'wd_mult': '0.3', 'weight_lr_mult': '1.2'}},
        {'op': 'null', 'param': {}, 'name': 'bn_gamma', 'inputs': [], 'backward_source_id': -1,
         'attr': {}},
        {'op': 'null', 'param': {}, 'name': 'bn_beta', 'inputs': [], 'backward_source_id': -1,
         'attr': {}},
        {'op': 'BatchNorm', 'param': {'eps': '0.001', 'fix_gamma': 'True'}, 'name': 'bn',
         'inputs': [[3, 0], [4, 0], [5, 0]], 'backward_source_id': -1,
         'attr': {'ctx_group': 'stage2'}},
    ],
    'arg_nodes': [0, 1, 2, 4, 5],
    'heads': [[6, 0]],
}


def test_graph_from_before_mxnet_0_9_is_upgraded():
    net = mx.sym.load_json(json.dumps(_LEGACY))
    attrs = net.attr_dict()
    assert attrs['data']['__lr_mult__'] == '0.2'
    assert attrs['data']['__ctx_group__'] == 'stage1'
    # a weight's own weight_lr_mult becomes its lr_mult; the bias keeps the plain key
    assert attrs['fc1_weight']['__lr_mult__'] == '1.2'
    assert '__lr_mult__' not in attrs['fc1_bias']
    assert attrs['fc1_bias']['weight_lr_mult'] == '1.2'
    assert attrs['fc1']['__wd_mult__'] == '0.3'
    assert 'weight_lr_mult' not in attrs['fc1']
    # the moving statistics the old graph leaves out are added
    assert net.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']
    assert attrs['bn_moving_var']['__init__'] == '["one", {}]'
    assert attrs['bn_moving_mean']['__ctx_group__'] == 'stage2'
    _, out, aux = net.infer_shape(data=(2, 3))
    assert out == [(2, 4)] and aux == [(4,), (4,)]


# ---------------------------------------------------------------------- inference
def test_elementwise_inputs_share_a_known_shape():
    a = mx.sym.var('a', shape=(2, 3))
    c = mx.sym.elemwise_add(a, mx.sym.var('b'))
    args, outs, _ = c.infer_shape()
    assert args == [(2, 3), (2, 3)] and outs == [(2, 3)]


def test_partial_inference_reaches_through_an_elementwise_sum():
    x2h = mx.sym.FullyConnected(mx.sym.var('data'), name='x2h', num_hidden=8)
    h2h = mx.sym.FullyConnected(mx.sym.var('prev'), name='h2h', num_hidden=8)
    out = mx.sym.Activation(mx.sym.elemwise_add(x2h, h2h), act_type='relu')
    args, outs, _ = out.infer_shape_partial(data=(5, 3))
    named = dict(zip(out.list_arguments(), args))
    assert named['h2h_weight'] == () and outs == [(5, 8)]
    args, _, _ = out.infer_shape(data=(5, 3), prev=(5, 8))
    assert dict(zip(out.list_arguments(), args))['h2h_weight'] == (8, 8)


def test_simple_bind_defaults_unreached_dtypes_to_float32():
    y = mx.sym.sin(mx.sym.var('data'))
    exe = y.simple_bind(mx.cpu(), type_dict={}, data=(2, 2))
    assert exe.arg_dict['data'].dtype == np.float32


# ---------------------------------------------------------------------- executors
def test_backward_after_an_inference_forward():
    x, w = mx.sym.var('x'), mx.sym.var('w')
    exe = (x * w).bind(mx.cpu(), args={'x': mx.nd.array([1, 2]), 'w': mx.nd.array([3, 4])},
                       args_grad={'x': mx.nd.zeros(2), 'w': mx.nd.zeros(2)})
    exe.forward()
    exe.backward([mx.nd.ones(2)])
    assert exe.grad_dict['x'].asnumpy().tolist() == [3, 4]
    assert exe.grad_dict['w'].asnumpy().tolist() == [1, 2]


def test_executor_owns_its_outputs_from_bind():
    exe = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4).simple_bind(
        mx.cpu(), x=(5, 4), grad_req='null')
    first = exe.outputs[0]
    assert first.shape == (5, 4)
    exe.arg_arrays[0][:] = 1
    exe.arg_arrays[1][:] = 1
    exe.forward()
    assert first.asnumpy().min() == 4    # the array handed out sees the result


def test_executor_reshape_shares_memory():
    exe = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=4).simple_bind(
        mx.cpu(), x=(5, 4), grad_req='null')
    exe.arg_arrays[0][:] = 1
    exe.arg_arrays[1][:] = 1
    exe.arg_arrays[2][:] = 0
    small = exe.reshape(x=(3, 4))
    small.forward()
    assert small.outputs[0].asnumpy().tolist() == [[4.0] * 4] * 3
    assert exe.outputs[0].asnumpy()[:3].tolist() == [[4.0] * 4] * 3
    big = exe.reshape(allow_up_sizing=True, x=(6, 4))
    big.arg_arrays[0][:] = 0                     # a new array: the old data stays
    assert exe.arg_arrays[0].asnumpy().min() == 1
    big.arg_arrays[1][:] = 2                     # the weight is shared
    assert exe.arg_arrays[1].asnumpy().min() == 2
    with pytest.raises(MXNetError, match='allow_up_sizing'):
        exe.reshape(x=(6, 4))


def test_ctx_groups_run_on_their_contexts():
    a, b, c = mx.sym.var('a'), mx.sym.var('b'), mx.sym.var('c')
    with mx.AttrScope(ctx_group='dev1'):
        net = (a + b) * 3
    with mx.AttrScope(ctx_group='dev2'):
        net = net + c
    args = [mx.nd.ones((2, 2)), mx.nd.ones((2, 2)) * 2, mx.nd.ones((2, 2), ctx=mx.cpu(1)) * 3]
    grads = [mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2), ctx=mx.cpu(1))]
    exe = net.bind(mx.cpu(0), args=args, args_grad=grads,
                   group2ctx={'dev1': mx.cpu(0), 'dev2': mx.cpu(1)})
    out = exe.forward(is_train=True)[0]
    assert out.context == mx.cpu(1)
    assert out.asnumpy().tolist() == [[12.0, 12.0]] * 2
    exe.backward([mx.nd.ones((2, 2), ctx=mx.cpu(1))])
    assert [g.asnumpy()[0, 0] for g in grads] == [3, 3, 1]


# ---------------------------------------------------------------------- Module, KVStore
def _lr_mult_net():
    weight = mx.sym.var('fc_weight', lr_mult=0.5)
    net = mx.sym.FullyConnected(mx.sym.var('data'), weight=weight, num_hidden=3, name='fc')
    return mx.sym.SoftmaxOutput(net, name='softmax')


def test_create_kvstore_as_mxnet_decides():
    from d2lmini.model import _create_kvstore
    assert _create_kvstore('local', 1, {}) == (None, False)
    kv, on_kv = _create_kvstore('local', 2, {'w': mx.nd.zeros((2, 2))})
    assert kv.type == 'local' and on_kv
    _, on_kv = _create_kvstore('local', 2, {'w': mx.nd.zeros((4097, 4097))})
    assert not on_kv        # too large to keep a second copy in the store
    assert _create_kvstore(None, 2, {}) == (None, False)


def test_multi_device_module_updates_on_a_kvstore(tmp_path):
    mod = mx.mod.Module(_lr_mult_net(), context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[('data', (4, 5))], label_shapes=[('softmax_label', (4,))])
    mod.init_params(initializer=mx.init.Constant(0.1))
    mod.init_optimizer(optimizer_params={'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01})
    assert mod._update_on_kvstore and mod._updater is None
    x = mx.nd.array(np.arange(20).reshape(4, 5) / 20.)
    y = mx.nd.array([0, 1, 2, 1])
    for _ in range(3):
        mod.forward_backward(mx.io.DataBatch([x], [y]))
        mod.update()
    args, _ = mod.get_params()
    # MXNet 1.9.1's values for the same three steps
    np.testing.assert_allclose(args['fc_weight'].asnumpy()[0],
                               [0.06559, 0.06452, 0.06345, 0.06238, 0.06131], atol=1e-5)
    np.testing.assert_allclose(args['fc_bias'].asnumpy(), [-0.04292, 0.08808, -0.04516],
                               atol=1e-5)
    # the store keeps one state per weight, under its name, and a one-device module
    # reads them back
    assert sorted(mod._kvstore._updater.states) == ['fc_bias', 'fc_weight']
    prefix = str(tmp_path / 'net')
    mod.save_checkpoint(prefix, 0, save_optimizer_states=True)
    single = mx.mod.Module.load(prefix, 0, load_optimizer_states=True)
    single.bind(data_shapes=[('data', (4, 5))], label_shapes=[('softmax_label', (4,))])
    single.init_optimizer(optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    assert single._kvstore is None
    for name, state in mod._kvstore._updater.states.items():
        np.testing.assert_array_equal(state.asnumpy(),
                                      single._updater.states[name].asnumpy())


def test_executor_group_shares_arrays_with_another_group():
    from d2lmini.module.executor_group import DataParallelExecutorGroup
    small = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=2, name='fc')
    big = mx.sym.FullyConnected(small, num_hidden=2, name='fc2')
    contexts = [mx.cpu(0), mx.cpu(1)]
    first = DataParallelExecutorGroup(small, contexts, [1, 1], [('data', (4, 3))], None,
                                      ['fc_weight', 'fc_bias'], True, False)
    second = DataParallelExecutorGroup(big, contexts, [1, 1], [('data', (4, 3))], None,
                                       ['fc_weight', 'fc_bias'], True, False,
                                       shared_group=first)
    for i in range(2):
        e1, e2 = first.execs[i], second.execs[i]
        assert e1.arg_dict['fc_weight'] is e2.arg_dict['fc_weight']
        assert e1.grad_dict['fc_weight'] is e2.grad_dict['fc_weight']
        assert e1.arg_dict['data'] is e2.arg_dict['data']
        # one dict for both groups, holding every argument that is not a parameter
        assert second.shared_data_arrays[i] is first.shared_data_arrays[i]
        assert sorted(first.shared_data_arrays[i]) == ['data', 'fc2_bias', 'fc2_weight']


def _pooled_net(seq_len):
    pooled = mx.sym.sum(mx.sym.var('data'), axis=1, keepdims=True)   # any length -> 1
    out = mx.sym.FullyConnected(pooled, num_hidden=2, name='fc')
    return mx.sym.SoftmaxOutput(out, name='softmax'), ('data',), ('softmax_label',)


def test_bucketing_module_trains_shared_parameters_as_mxnet():
    mod = mx.mod.BucketingModule(_pooled_net, default_bucket_key=5,
                                 context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[('data', (4, 5))], label_shapes=[('softmax_label', (4,))])
    mod.init_params()
    mod.set_params({'fc_weight': mx.nd.array([[0.1], [-0.2]]),
                    'fc_bias': mx.nd.array([0.05, 0.0])}, {})
    mod.init_optimizer(optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    for key in (5, 3, 5, 3):
        batch = mx.io.DataBatch(
            [mx.nd.array(np.arange(4 * key).reshape(4, key) / 10.)], [mx.nd.array([0, 1, 1, 0])],
            bucket_key=key, provide_data=[mx.io.DataDesc('data', (4, key))],
            provide_label=[mx.io.DataDesc('softmax_label', (4,))])
        mod.forward(batch, is_train=True)
        mod.backward()
        mod.update()
    assert sorted(mod._buckets) == [3, 5]
    assert mod._buckets[3]._optimizer is mod._buckets[5]._optimizer
    args, _ = mod.get_params()
    # MXNet 1.9.1's values for the same four steps
    np.testing.assert_allclose(args['fc_weight'].asnumpy().ravel(), [-0.107965, 0.007965],
                               atol=1e-6)
    np.testing.assert_allclose(args['fc_bias'].asnumpy(), [0.025928, 0.024072], atol=1e-6)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy()[:, 0],
                               [0.4726, 0.41789, 0.36514, 0.31543], atol=1e-5)


def test_module_bound_to_a_shared_module_uses_its_parameters():
    first = mx.mod.Module(_pooled_net(5)[0])
    first.bind(data_shapes=[('data', (2, 5))], label_shapes=[('softmax_label', (2,))])
    first.init_params()
    second = mx.mod.Module(_pooled_net(3)[0])
    second.bind(data_shapes=[('data', (2, 3))], label_shapes=[('softmax_label', (2,))],
                shared_module=first)
    assert second.params_initialized
    w1 = first._exec_group.execs[0].arg_dict['fc_weight']
    assert second._exec_group.execs[0].arg_dict['fc_weight'] is w1
    with pytest.raises(AssertionError, match='shared_module'):
        mx.mod.Module(_pooled_net(3)[0]).bind(data_shapes=[('data', (2, 3))],
                                              shared_module=mx.mod.Module(_pooled_net(5)[0]))


def test_module_state_inputs():
    net = mx.sym.var('data') * 2 + mx.sym.var('h')
    mod = mx.mod.Module(net, label_names=None, state_names=['h'],
                        context=[mx.cpu(0), mx.cpu(1)])
    mod.bind(data_shapes=[('data', (4, 3))], for_training=False)
    mod.init_params()
    assert mod._param_names == []
    mod.set_states(value=1)
    mod.forward(mx.io.DataBatch([mx.nd.ones((4, 3))]))
    assert mod.get_outputs()[0].asnumpy().tolist() == [[3.0] * 3] * 4
    per_device = mod.get_outputs(merge_multi_context=False)
    mod.set_states(states=per_device)           # feed the outputs back, per device
    mod.forward(mx.io.DataBatch([mx.nd.ones((4, 3))]))
    assert mod.get_outputs()[0].asnumpy().tolist() == [[5.0] * 3] * 4
    assert mod.get_states()[0].shape == (4, 3)
    with pytest.raises(ValueError):
        mod.set_states(states=per_device, value=0)


def test_a_zero_is_an_unknown_dimension():
    z = mx.sym.dot(mx.sym.var('x'), mx.sym.var('y'))
    _, outs, _ = z.infer_shape_partial(x=(0, 3, 4), y=(4, 5))
    assert outs == [(0, 3, 5)]
    with pytest.warns(UserWarning):
        assert z.infer_shape(x=(0, 3, 4), y=(4, 5)) == (None, None, None)
    # an operator that cannot work with the unknown dimension leaves its output unknown
    b = mx.sym.batch_dot(mx.sym.var('x'), mx.sym.var('y'))
    assert b.infer_shape_partial(x=(0, 3, 4), y=(0, 0, 5))[1] == [()]
    with pytest.raises(MXNetError, match='batch_dot'):     # known shapes still must fit
        b.infer_shape_partial(x=(2, 3, 4), y=(2, 7, 5))
