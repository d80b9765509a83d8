"""Small pieces of MXNet 1.x's API that code written for it reaches for: base and util
names, Context.default_ctx, the deprecated contrib.autograd, graphs freed by backward,
gradients across contexts."""
import threading

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd


def test_base_names():
    from d2lmini.base import py_str, mx_real_t, NotImplementedForSymbol, MXNetError
    assert py_str(b'caf\xc3\xa9') == 'café' and py_str('x') == 'x'
    assert mx_real_t is np.float32
    assert issubclass(NotImplementedForSymbol, MXNetError)
    with pytest.raises(NotImplementedForSymbol):
        mx.sym.var('x').asnumpy()


def test_data_dir_follows_mxnet_home(monkeypatch, tmp_path):
    from d2lmini.base import data_dir, data_dir_default
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    assert data_dir() == str(tmp_path)
    monkeypatch.delenv('MXNET_HOME')
    assert data_dir() == data_dir_default() and data_dir().endswith('.mxnet')


def test_util_environment(monkeypatch):
    monkeypatch.delenv('D2LMINI_TEST_VAR', raising=False)
    assert mx.util.getenv('D2LMINI_TEST_VAR') is None
    mx.util.setenv('D2LMINI_TEST_VAR', 'on')
    assert mx.util.getenv('D2LMINI_TEST_VAR') == 'on'
    mx.util.setenv('D2LMINI_TEST_VAR', None)
    assert mx.util.getenv('D2LMINI_TEST_VAR') is None
    assert mx.util.is_np_array() is False and mx.util.is_np_shape() is False


def test_context_default_ctx_reads_and_sets_this_threads_default():
    assert mx.Context.default_ctx == mx.cpu(0)
    with mx.cpu(3):
        assert mx.Context.default_ctx == mx.cpu(3)
    seen = []
    try:
        mx.Context.default_ctx = mx.cpu(2)
        assert mx.nd.ones(1).context == mx.cpu(2)
        t = threading.Thread(target=lambda: seen.append(mx.Context.default_ctx))
        t.start()
        t.join()
    finally:
        mx.Context.default_ctx = mx.cpu(0)
    assert seen == [mx.cpu(0)]          # other threads keep their own default
    with pytest.raises(TypeError, match='Context'):
        mx.Context.default_ctx = 'cpu'


def test_contrib_autograd_sections_and_grad():
    from d2lmini.contrib import autograd as cag
    x = nd.array([1., 2., 3.])
    dx = nd.zeros_like(x)
    cag.mark_variables([x], [dx])
    with cag.train_section():
        assert autograd.is_recording() and autograd.is_training()
        y = x * x * x
    assert not autograd.is_recording()
    cag.backward([y])
    np.testing.assert_allclose(dx.asnumpy(), [3., 12., 27.])
    with cag.test_section():
        assert not autograd.is_recording() and not autograd.is_training()

    grads, loss = cag.grad_and_loss(lambda a, b: (a * b).sum())(nd.array([1., 2.]),
                                                                nd.array([3., 4.]))
    np.testing.assert_allclose(grads[0].asnumpy(), [3., 4.])
    np.testing.assert_allclose(grads[1].asnumpy(), [1., 2.])
    assert loss.asscalar() == 11.
    only_b = cag.grad(lambda a, b: (a * b).sum(), argnum=1)(nd.array([1., 2.]),
                                                             nd.array([3., 4.]))
    np.testing.assert_allclose(only_b[0].asnumpy(), [1., 2.])
    with pytest.raises(TypeError, match='NDArray'):
        cag.grad(lambda a: a)(np.ones(2))


def test_an_array_from_a_freed_graph_is_a_constant_in_a_new_recording():
    w = nd.ones(3)
    w.attach_grad()
    with autograd.record():
        b = w + 1
        out = b * 2
    out.backward()                       # frees the graph that made b
    with autograd.record():
        out2 = (b + 1) * w               # b counts as the constant [2, 2, 2]
    out2.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [3., 3., 3.])
    with pytest.raises(mx.MXNetError, match='freed'):
        out.backward()                   # the freed graph itself cannot run again


def test_gradient_through_a_copy_between_contexts_returns_to_the_source():
    x = nd.array([-1., 2.], ctx=mx.cpu(1))
    x.attach_grad()
    with autograd.record():
        y = nd.relu(x).as_in_context(mx.cpu(2)) * 3
    y.backward()
    assert x.grad.context == mx.cpu(1)
    np.testing.assert_array_equal(x.grad.asnumpy(), [0., 3.])


def test_prelu_gamma_shape_and_initializer_are_inferred():
    s = mx.sym.LeakyReLU(mx.sym.var('data'), act_type='prelu', name='act')
    args, outs, _ = s.infer_shape(data=(10, 4, 3))
    assert args == [(10, 4, 3), (4,)] and outs == [(10, 4, 3)]
    assert s.infer_shape(data=(10, 4, 3), act_gamma=(1,))[0][1] == (1,)   # one shared slope
    with pytest.raises(mx.MXNetError, match=r'needs \[4\] or \[1\]'):
        s.infer_shape(data=(10, 4, 3), act_gamma=(3,))
    gamma = s.get_internals()['act_gamma']
    assert gamma.attr('__init__') == '["Constant", {"value": 0.25}]'
    assert mx.sym.LeakyReLU(mx.sym.var('d'), act_type='leaky').list_arguments() == ['d']


def test_create_kvstore_runs_the_optimizer_in_the_store_only_when_it_can():
    kv, on_kv = mx.model._create_kvstore(mx.kv.create('teststore'), 2, {})
    assert kv is not None and on_kv is False
    kv, on_kv = mx.model._create_kvstore('local', 2, {})
    assert kv.type == 'local' and on_kv is True


def test_trace_graph_of_a_create_graph_gradient():
    from d2lmini import book
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        g = autograd.grad(x * x, [x], create_graph=True)[0]
    graph = book.trace_graph(g)
    assert ('variable', '_head_grad_0') in graph.nodes


def test_rnn_layers_save_under_the_names_of_their_cells(tmp_path):
    from d2lmini import gluon
    net = gluon.nn.Sequential()
    net.add(gluon.rnn.LSTM(4, bidirectional=True, input_size=3))
    net.initialize()
    fname = str(tmp_path / 'lstm.params')
    net.save_parameters(fname)
    assert sorted(nd.load(fname)) == sorted(
        f'0._unfused.0.{d}_cell.{k}_{w}' for d in 'lr' for k in ('i2h', 'h2h')
        for w in ('weight', 'bias'))
    other = gluon.nn.Sequential()
    other.add(gluon.rnn.LSTM(4, bidirectional=True, input_size=3))
    other.load_parameters(fname)
    x = nd.array(np.random.RandomState(0).rand(2, 1, 3))
    np.testing.assert_allclose(other(x).asnumpy(), net(x).asnumpy())
    gru = gluon.rnn.GRU(5, num_layers=2, input_size=2)
    gru.initialize()
    gru.save_parameters(fname)
    assert '_unfused.1.h2h_weight' in nd.load(fname)


def test_symbol_repr_names_nodes_as_mxnet_does():
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='fc')
    assert repr(fc) == '<Symbol fc>'
    assert repr(mx.sym.Group([fc, fc * 2])).startswith('<Symbol group [fc, _mulscalar')
    assert repr(mx.sym.split(mx.sym.var('y'), num_outputs=2, name='cut')) == '<Symbol cut>'


def test_executor_backward_takes_head_gradients_of_another_dtype():
    a = mx.sym.var('a')
    exe = mx.sym.dot(a, a).bind(mx.cpu(), {'a': nd.ones((2, 2), dtype='float64')},
                                args_grad={'a': nd.zeros((2, 2), dtype='float64')})
    exe.forward(is_train=True)
    exe.backward(nd.ones((2, 2)))        # float32 head gradient for a float64 output
    assert exe.grad_dict['a'].dtype == np.float64
    np.testing.assert_array_equal(exe.grad_dict['a'].asnumpy(), np.full((2, 2), 4.))


def test_test_utils_offers_what_mxnet_tests_import():
    from d2lmini import test_utils
    names = {}
    exec('from d2lmini.test_utils import *', names)
    for name in ('mx', 'np', 'array', 'rnd', 'assert_allclose', 'random_uniform_arrays',
                 'effective_dtype', 'discard_stderr', 'np_reduce', 'random_sample'):
        assert name in names, name
    assert names['mx'] is mx and test_utils.effective_dtype(nd.ones(1)) == np.float32
    a, = test_utils.random_uniform_arrays((3, 2), low=2, high=3)
    assert a.shape == (3, 2) and a.dtype == np.float32 and 2 <= a.min() and a.max() < 3
    with pytest.raises(AssertionError):
        test_utils.assert_allclose(np.ones(2), np.array([1., 1.1]))


def test_get_symbol_inlines_a_hybridized_block():
    from d2lmini.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=4), nn.Activation('relu'))
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.RandomState(0).rand(2, 4))
    x.attach_grad()
    for _ in range(2):                   # the traced graph itself stays as it was
        with autograd.record():
            y = net(x) * 2
        s = autograd.get_symbol(y)
    assert [n['op'] for n in __import__('json').loads(s.tojson())['nodes']
            if n['op'] != 'null'] == ['FullyConnected', 'Activation', '_mul_scalar']
    args = dict(zip(s.list_arguments(), [x, net[0].weight.data(), net[0].bias.data()]))
    np.testing.assert_allclose(s.eval(ctx=mx.cpu(), **args)[0].asnumpy(), y.asnumpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(net(x).asnumpy() * 2, y.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize('flags, ops', [
    ({'inline_limit': 3}, ['FullyConnected'] * 3),
    ({}, ['_CachedOp']),                      # 3 operators, more than the default 2
    ({'inline_limit': 3, 'static_alloc': True}, ['_CachedOp']),
])
def test_get_symbol_shows_a_larger_block_as_one_cached_op(flags, ops):
    # MXNet 1.9.1: 10 nodes when inlined, 8 (7 variables and one _CachedOp) otherwise
    from d2lmini.gluon import nn
    net = nn.HybridSequential(prefix='mlp_')
    with net.name_scope():
        net.add(nn.Dense(4), nn.Dense(4), nn.Dense(2))
    net.initialize()
    net.hybridize(**flags)
    x = nd.array(np.random.RandomState(0).rand(3, 5))
    with autograd.record():
        y = net(x)
    s = autograd.get_symbol(y)
    nodes = __import__('json').loads(s.tojson())['nodes']
    assert [n['op'] for n in nodes if n['op'] != 'null'] == ops
    assert len(nodes) == 7 + len(ops)
    if ops == ['_CachedOp']:
        assert s.list_outputs() == ['node_0_mlp_dense2_fwd_output']
    # the symbol runs, and runs again once written and read back
    args = dict(zip(s.list_arguments(), [x] + [p.data() for p in
                                             net.collect_params().values()]))
    for sym in (s, mx.sym.fromjson(s.tojson())):
        np.testing.assert_allclose(sym.eval(ctx=mx.cpu(), **args)[0].asnumpy(), y.asnumpy(),
                                   rtol=1e-6)


def test_a_cached_op_node_without_its_graph_is_refused_when_run():
    # MXNet 1.x writes _CachedOp nodes without the graph they run
    doc = {'nodes': [{'op': 'null', 'name': 'x', 'inputs': []},
                     {'op': '_CachedOp', 'name': 'node_0', 'inputs': [[0, 0, 0]]}],
           'arg_nodes': [0], 'node_row_ptr': [0, 1, 2], 'heads': [[1, 0, 0]]}
    s = mx.sym.fromjson(__import__('json').dumps(doc))
    with pytest.raises(mx.MXNetError, match='does not hold its graph'):
        s.eval(ctx=mx.cpu(), x=nd.ones((2,)))


def test_simple_bind_keeps_a_variables_declared_dtype():
    x = mx.sym.Variable('x', dtype=np.int32)
    exe = mx.sym.Cast(x, dtype='float32').simple_bind(mx.cpu(), x=(2,))
    assert exe.arg_dict['x'].dtype == np.int32 and exe.grad_dict['x'].dtype == np.int32
    exe = (mx.sym.var('a') * 2).simple_bind(mx.cpu(), a=(2,))
    assert exe.arg_dict['a'].dtype == np.float32


@pytest.mark.parametrize('replace', ['load', 'set_data'])
def test_values_replaced_outside_the_trainer_reach_the_store(tmp_path, replace):
    from d2lmini import gluon
    params = gluon.ParameterDict()
    x = params.get('x', shape=(3,))
    params.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init='zeros')
    trainer = gluon.Trainer(params, 'sgd', {'learning_rate': 0.1}, kvstore='device')
    fname = str(tmp_path / 'zeros.params')
    params.save(fname)
    for step in range(2):
        with autograd.record():
            for w in x.list_data():
                (w + 1).backward()
        trainer.step(1)
        if step == 0:    # the store updates its own copy: it must forget the old one
            if replace == 'load':
                params.load(fname)
            else:
                x.set_data(nd.zeros(3))
    # one step from the zeros put back, as in MXNet (the stale copy would give -0.2 twice)
    for w in x.list_data():
        np.testing.assert_allclose(w.asnumpy(), [-0.2] * 3, rtol=1e-6)


def test_np_shape_makes_a_zero_an_empty_axis_in_symbolic_inference():
    x = mx.sym.var('x')
    assert x.infer_shape(x=(0, 3)) == (None, None, None)     # MXNet 1.x: 0 is unknown
    assert not mx.is_np_shape()
    with mx.np_shape():
        assert mx.is_np_shape()
        assert x.infer_shape(x=(0, 3)) == ([(0, 3)], [(0, 3)], [])
    assert not mx.is_np_shape()

    @mx.use_np_shape
    def inside():
        return mx.is_np_shape()
    assert inside() and not mx.is_np_shape()
    assert mx.set_np_shape(True) is False
    assert mx.set_np_shape(False) is True


def test_an_unknown_operator_argument_is_an_mxnet_error_and_a_type_error():
    with pytest.raises(mx.MXNetError, match='unknown argument.*indices'):
        nd.split(nd.ones((2, 6)), axis=1, indices=(1, 3))
    with pytest.raises(TypeError, match='unknown argument'):
        nd.split(nd.ones((2, 6)), num_outputs=2, bogus=1)


def test_an_index_out_of_range_is_an_mxnet_error_and_an_index_error():
    for error in (IndexError, mx.MXNetError):
        with pytest.raises(error, match='out of bounds'):
            nd.gather_nd(nd.zeros((2, 3)), nd.array([[5], [0]]))


def test_a_namespaces_operators_are_named_without_its_prefix():
    x = mx.sym.var('x')
    with mx.name.NameManager():
        assert mx.sym.contrib.box_nms(x).name == 'box_nms0'
        assert mx.sym.linalg.gemm2(x, x).name == 'gemm20'
        assert mx.sym.image.to_tensor(x).name == 'to_tensor0'
        assert mx.sym.random.uniform().name == '_random_uniform0'   # as MXNet names it
        assert mx.sym.contrib.ROIAlign(x, x, pooled_size=(2, 2),
                                       spatial_scale=1.0).list_arguments() == ['x']


def test_symbol_refuses_ndarray_only_methods_and_infers_types_partially():
    import d2lmini as mx
    from d2lmini.base import NotImplementedForSymbol
    x = mx.sym.var('x')
    for name in ('as_in_context', 'detach', 'backward', 'wait_to_read'):
        with pytest.raises(NotImplementedForSymbol, match=name):
            getattr(x, name)()
    y = mx.sym.FullyConnected(x, num_hidden=3, name='fc')
    assert y.infer_type_partial() == ([None, None, None], [None], [])
    args, outs, _ = y.infer_type_partial(x='float64')
    assert args == [np.float64] * 3 and outs == [np.float64]


def test_ndarray_slice_assign_writes_in_place():
    import d2lmini as mx
    a = mx.nd.zeros((3, 4))
    assert a.slice_assign(mx.nd.ones((2, 2)), (0, 1), (2, 3), (None, None)) is a
    assert a.slice_assign_scalar(5, (1, 0), (3, 2), ()) is a
    np.testing.assert_array_equal(a.asnumpy(), [[0, 1, 1, 0], [5, 5, 1, 0], [5, 5, 0, 0]])
    with pytest.raises(ValueError, match='same length'):
        a.slice_assign_scalar(1, (0,), (1, 2), ())


def test_optimize_for_builds_the_graph_and_refuses_backends():
    import d2lmini as mx
    net = mx.gluon.nn.Dense(3, in_units=4)
    net.initialize()
    with pytest.raises(mx.base.MXNetError, match='no backend'):
        net.optimize_for(mx.nd.ones((2, 4)), backend='MKLDNN')
    net.optimize_for(mx.nd.ones((2, 4)), static_alloc=True)
    assert net._cached_graph is not None
    assert net(mx.nd.ones((2, 4))).shape == (2, 3)


def test_engine_bulk_size_is_kept_and_restored():
    import d2lmini as mx
    assert mx.engine.set_bulk_size(10) == 0
    assert mx.engine.set_bulk_size(15) == 10
    with mx.engine.bulk(5):
        assert mx.engine.set_bulk_size(5) == 5
    assert mx.engine.set_bulk_size(0) == 15
    with pytest.raises(ValueError, match='0 or more'):
        mx.engine.set_bulk_size(-1)


def test_gluon_utils_and_util_extras(tmp_path):
    import d2lmini as mx
    src, dst = tmp_path / 'new', tmp_path / 'old'
    src.write_text('new')
    dst.write_text('old')
    mx.gluon.utils.replace_file(str(src), str(dst))
    assert dst.read_text() == 'new' and not src.exists()
    assert mx.gluon.utils.shape_is_known((2, 3)) and not mx.gluon.utils.shape_is_known((2, 0))
    assert mx.gluon.utils.HookHandle is mx.gluon.block.HookHandle
    with pytest.raises(ValueError, match='gpu context'):
        mx.util.get_cuda_compute_capability(mx.cpu())
    if mx.util.get_gpu_count() == 0:
        with pytest.raises(mx.MXNetError, match='no GPU 0'):
            mx.util.get_gpu_memory(0)


def test_operators_without_attributes_ignore_keywords_with_a_warning():
    # MXNet 1.x ignores them silently (broadcast_maximum(a, b, axis=1) in its own tests)
    x = mx.nd.array([[1.], [-1.]])
    with pytest.warns(UserWarning, match='broadcast_maximum takes no attributes: axis=1'):
        y = mx.nd.broadcast_maximum(mx.nd.array([0]), x, axis=1)
    assert y.asnumpy().ravel().tolist() == [1.0, 0.0]
    with pytest.warns(UserWarning, match='relu takes no attributes'):
        mx.sym.relu(mx.sym.var('x'), foo=1)
    with pytest.raises(mx.MXNetError, match='unknown argument.*foo'):
        mx.nd.sum(x, foo=1)            # an operator with attributes still refuses


def test_storage_type_tables_are_mxnets():
    from d2lmini.ndarray.ndarray import _STORAGE_TYPE_ID_TO_STR, _STORAGE_TYPE_STR_TO_ID
    assert _STORAGE_TYPE_STR_TO_ID == {'undefined': -1, 'default': 0, 'row_sparse': 1, 'csr': 2}
    assert _STORAGE_TYPE_ID_TO_STR[0] == 'default'
    assert mx.nd.ones(2).stype == 'default'
