"""The symbolic API (``mx.sym``) against MXNet 1.9.1: names, attributes, inference,
JSON files and executors. Expected values were produced with MXNet 1.9.1 and are
written out here; ``tests/fixtures/symbol/`` holds files MXNet wrote."""
import json
import os
import warnings

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.base import MXNetError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'symbol')


def _mlp():
    data = mx.symbol.Variable('data')
    net = mx.symbol.FullyConnected(data=data, name='fc1', num_hidden=10)
    net = mx.symbol.Activation(data=net, name='relu1', act_type='relu')
    net = mx.symbol.FullyConnected(data=net, name='fc2', num_hidden=4)
    return mx.symbol.SoftmaxOutput(data=net, name='out')


def _mlp_args():
    rng = np.random.RandomState(0)
    return {'data': rng.randn(5, 6), 'fc1_weight': rng.randn(10, 6) * .3,
            'fc1_bias': rng.randn(10) * .1, 'fc2_weight': rng.randn(4, 10) * .3,
            'fc2_bias': rng.randn(4) * .1, 'out_label': np.array([0, 1, 2, 3, 1.])}


# ---------------------------------------------------------------- the tutorial network
def test_tutorial_mlp_names_and_shapes():
    net = _mlp()
    assert net.list_arguments() == ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight',
                                    'fc2_bias', 'out_label']
    assert net.list_outputs() == ['out_output']
    assert net.infer_shape(data=(5, 6)) == (
        [(5, 6), (10, 6), (10,), (4, 10), (4,), (5,)], [(5, 4)], [])


def test_compose():
    net = _mlp()
    net2 = mx.symbol.FullyConnected(mx.symbol.Variable('data2'), name='fc3', num_hidden=6)
    composed = net(data=net2, name='compose')
    assert composed.name == 'compose'
    assert composed.list_arguments() == ['data2', 'fc3_weight', 'fc3_bias', 'fc1_weight',
                                         'fc1_bias', 'fc2_weight', 'fc2_bias', 'out_label']
    assert net.list_arguments()[0] == 'data'     # the original is left alone
    with pytest.raises(ValueError):
        net(nosuch=net2)


def test_tutorial_mlp_forward_backward_matches_mxnet_and_autograd():
    net = _mlp()
    raw = _mlp_args()
    args = {k: nd.array(v) for k, v in raw.items()}
    grads = {k: nd.zeros(v.shape) for k, v in raw.items() if k not in ('data', 'out_label')}
    exe = net.bind(mx.cpu(), args, args_grad=grads)
    out = exe.forward(is_train=True)[0]
    exe.backward()
    # MXNet 1.9.1, same arrays
    np.testing.assert_allclose(out.asnumpy()[0], [0.26827663, 0.29891264, 0.21393329,
                                                  0.21887742], rtol=1e-5)
    np.testing.assert_allclose(grads['fc2_bias'].asnumpy(),
                               [0.24658321, -0.5782478, 0.2989075, 0.03275698], rtol=1e-5)
    # the same gradients from nd and autograd on the cross-entropy loss
    params = {k: nd.array(raw[k]) for k in grads}
    for p in params.values():
        p.attach_grad()
    with autograd.record():
        h = nd.relu(nd.FullyConnected(args['data'], params['fc1_weight'], params['fc1_bias'],
                                      num_hidden=10))
        z = nd.FullyConnected(h, params['fc2_weight'], params['fc2_bias'], num_hidden=4)
        loss = -nd.pick(nd.log_softmax(z), args['out_label']).sum()
    loss.backward()
    for k, p in params.items():
        np.testing.assert_allclose(grads[k].asnumpy(), p.grad.asnumpy(), rtol=1e-4, atol=1e-6)
    # and numerically, for one weight
    w = raw['fc1_weight'].copy()

    def loss_at(wv):
        a = dict(args, fc1_weight=nd.array(wv))
        p = net.bind(mx.cpu(), a, grad_req='null').forward()[0].asnumpy()
        return -np.log(p[np.arange(5), raw['out_label'].astype(int)]).sum()
    eps, (i, j) = 1e-2, (3, 2)
    wp, wm = w.copy(), w.copy()
    wp[i, j] += eps
    wm[i, j] -= eps
    num = (loss_at(wp) - loss_at(wm)) / (2 * eps)
    assert abs(num - grads['fc1_weight'].asnumpy()[i, j]) < 1e-2


def test_mlp_json_is_byte_identical_to_mxnet():
    with open(os.path.join(FIXTURES, 'tutorial_mlp-symbol.json')) as f:
        assert _mlp().tojson() == f.read()


# ---------------------------------------------------------------- variables, names, attributes
def test_variable_attributes():
    x = mx.sym.var('x', shape=(2, 3), dtype='float16', init=mx.init.Xavier(), lr_mult=2,
                   wd_mult=0.5)
    init = '["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
    assert x.list_attr() == {'__init__': init, '__dtype__': '2', '__wd_mult__': '0.5',
                             'wd_mult': '0.5', '__lr_mult__': '2', 'lr_mult': '2',
                             '__shape__': '(2, 3)'}
    assert x.attr('lr_mult') == '2' and x.attr('__lr_mult__') == '2'
    assert x.attr('nosuch') is None
    assert x.infer_shape()[0] == [(2, 3)]
    assert x.infer_type()[0] == [np.float16]
    y = mx.sym.var('y', attr={'lr_mult': '3', 'foo': 'bar'})
    assert y.list_attr() == {'__lr_mult__': '3', 'foo': 'bar', 'lr_mult': '3'}
    with pytest.raises(ValueError):
        mx.sym.var('z', foo='bar')
    with pytest.raises(TypeError):
        mx.sym.var(3)


def test_operator_attributes_reach_its_variables():
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc',
                               attr={'ctx_group': 'dev1'})
    both = {'__ctx_group__': 'dev1', 'ctx_group': 'dev1'}
    assert fc.list_attr() == dict(both, num_hidden='3')
    assert fc.attr_dict() == {'fc': dict(both, num_hidden='3'),
                              'fc_weight': dict(both, num_hidden='3'),
                              'fc_bias': dict(both, num_hidden='3')}
    with mx.AttrScope(group='4'):
        v = mx.sym.var('v')
    assert v.attr('group') == '4'


def test_automatic_names():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    with mx.name.NameManager():
        names = {e: eval(e, {'a': a, 'b': b}).name for e in [
            'a==b', 'a!=b', 'a>b', 'a>=b', 'a<b', 'a<=b', 'a==1', 'a!=1', 'a>1', 'a>=1',
            'a<1', 'a<=1', 'a%b', 'a%2', '2%a', 'a**b', '2**a', 'a/b', '1/a', 'abs(a)',
            'a-b', 'a*b', '-a', 'a+b', 'a+1', '2-a']}
    assert names == {  # MXNet 1.9.1
        'a==b': '_equal0', 'a!=b': '_not_equal0', 'a>b': '_greater0',
        'a>=b': '_greater_equal0', 'a<b': '_lesser0', 'a<=b': '_lesser_equal0',
        'a==1': '_equal_scalar0', 'a!=1': '_not_equal_scalar0', 'a>1': '_greater_scalar0',
        'a>=1': '_greater_equal_scalar0', 'a<1': '_lesser_scalar0',
        'a<=1': '_lesser_equal_scalar0', 'a%b': '_mod0', 'a%2': '_modscalar0',
        '2%a': '_rmodscalar0', 'a**b': '_power0', '2**a': '_rpower_scalar0', 'a/b': '_div0',
        '1/a': '_rdivscalar0', 'abs(a)': 'abs0', 'a-b': '_minus0', 'a*b': '_mul0',
        '-a': '_mulscalar0', 'a+b': '_plus0', 'a+1': '_plusscalar0', '2-a': '_rminusscalar0'}
    with mx.name.NameManager():
        conv = mx.sym.Convolution(mx.sym.var('x'), kernel=(3, 3), num_filter=2)
        assert conv.list_arguments() == ['x', 'convolution0_weight', 'convolution0_bias']
        assert mx.sym.split(mx.sym.var('d'), num_outputs=3).list_outputs() == [
            'split0_output0', 'split0_output1', 'split0_output2']


def test_arithmetic_and_comparisons_evaluate():
    a, b = mx.sym.var('a'), mx.sym.var('b')
    av, bv = nd.array([1., 2., 3.]), nd.array([3., 2., 1.])
    cases = {'a+b': [4, 4, 4], 'a-b': [-2, 0, 2], 'a*b': [3, 4, 3], 'a/b': [1 / 3, 1, 3],
             'a**2': [1, 4, 9], '2**a': [2, 4, 8], 'a%2': [1, 0, 1], '1-a': [0, -1, -2],
             '6/a': [6, 3, 2], '-a': [-1, -2, -3], 'a>b': [0, 0, 1], 'a>=b': [0, 1, 1],
             'a<b': [1, 0, 0], 'a<=b': [1, 1, 0], 'a==b': [0, 1, 0], 'a!=b': [1, 0, 1],
             'a==2': [0, 1, 0], 'a>1': [0, 1, 1], 'abs(-a)': [1, 2, 3]}
    for expr, want in cases.items():
        got = eval(expr, {'a': a, 'b': b}).eval(ctx=mx.cpu(), a=av, b=bv)
        assert isinstance(got, list)
        np.testing.assert_allclose(got[0].asnumpy(), want, rtol=1e-6, err_msg=expr)
    with pytest.raises(TypeError):
        a + 'x'


def test_outputs_group_internals_children():
    a = mx.sym.var('a')
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    g = mx.sym.Group([fc, a])
    assert g.list_outputs() == ['fc_output', 'a'] and len(g) == 2
    assert g[1].name == 'a' and g['fc_output'].name == 'fc' and g.name is None
    assert [s.name for s in g] == ['fc', 'a']
    with pytest.raises(IndexError):
        g[2]
    assert fc.get_children().list_outputs() == ['data', 'fc_weight', 'fc_bias']
    assert a.get_children() is None
    internals = _mlp().get_internals()
    assert internals.list_outputs() == [
        'data', 'fc1_weight', 'fc1_bias', 'fc1_output', 'relu1_output', 'fc2_weight',
        'fc2_bias', 'fc2_output', 'out_label', 'out_output']
    fc1 = internals['fc1_output']
    assert fc1.infer_shape(data=(2, 6))[1] == [(2, 10)]
    with pytest.raises(TypeError):
        mx.sym.Group([fc, 1])


# ---------------------------------------------------------------- inference
def test_infer_shape_incomplete_warns():
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    with pytest.warns(UserWarning, match='Cannot decide shape') as rec:
        assert fc.infer_shape() == (None, None, None)
    assert 'data: ()' in str(rec[0].message) and 'fc_weight: ()' in str(rec[0].message)
    assert fc.infer_shape_partial() == ([(), (), ()], [()], [])
    assert fc.infer_shape_partial(fc_weight=(3, 4)) == ([(), (3, 4), ()], [()], [])
    assert fc.infer_shape(data=(2, 5)) == ([(2, 5), (3, 5), (3,)], [(2, 3)], [])
    assert fc.infer_shape((2, 5)) == ([(2, 5), (3, 5), (3,)], [(2, 3)], [])


def test_infer_shape_conflicts_name_the_node():
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    with pytest.raises(MXNetError, match=r"'fc'.*fc_weight.*\[3,4\].*\[3,5\]"):
        fc.infer_shape(data=(2, 5), fc_weight=(3, 4))
    add = mx.sym.elemwise_add(mx.sym.var('p'), mx.sym.var('q'), name='add')
    with pytest.raises(MXNetError, match=r"'add'.*\[2,3\].*\[3,2\]"):
        add.infer_shape(p=(2, 3), q=(3, 2))
    with pytest.raises(MXNetError):
        fc.infer_shape(nosuch=(1,))


def test_a_kernel_larger_than_its_input_is_an_error_not_an_unknown_shape():
    conv = mx.sym.Convolution(mx.sym.var('x'), kernel=(3, 3), num_filter=4, name='c')
    for infer in (conv.infer_shape, conv.infer_shape_partial):
        with pytest.raises(MXNetError, match=r"'c'.*kernel \(3, 3\).*larger than the padded"):
            infer(x=(1, 3, 2, 2))
    # padding makes room; an unknown size (0) stays unknown
    assert mx.sym.Convolution(mx.sym.var('x'), kernel=(3, 3), pad=(1, 1), num_filter=4) \
        .infer_shape(x=(1, 3, 2, 2))[1] == [(1, 4, 2, 2)]
    assert conv.infer_shape_partial(x=(1, 3, 0, 3))[1] == [(1, 4, 0, 1)]


def test_slicing_a_symbol_picks_outputs_as_mxnet_does():
    x = mx.sym.var('x')
    with mx.name.NameManager():
        g = mx.sym.Group([x, x * 2, x + 1])
    assert g[1:].list_outputs() == ['_mulscalar0_output', '_plusscalar0_output']
    assert g[::2].list_outputs() == ['x', '_plusscalar0_output']
    with pytest.raises(IndexError):          # no clipping at the end
        x[0:2]
    with pytest.raises(TypeError):           # an empty group
        g[2:1]
    with pytest.raises(ValueError):
        g[::0]


def test_infer_type_refuses_inputs_that_must_share_a_dtype():
    # as MXNet 1.x's inference refuses them, and as the operators refuse such arrays
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=3, name='fc')
    with pytest.raises(MXNetError, match=r"'fc'.*one dtype.*data: float32, weight: float16"):
        fc.infer_type(x='float32', fc_weight='float16')
    add = mx.sym.var('p') + mx.sym.var('q')
    with pytest.raises(MXNetError, match='one dtype'):
        add.infer_type(p='float32', q='int32')
    # unknown inputs still follow the known ones; indices may differ from the data
    assert fc.infer_type(x='float16')[0] == [np.float16] * 3
    take = mx.sym.take(mx.sym.var('a'), mx.sym.var('i'))
    assert take.infer_type(a='float32', i='int32')[1] == [np.float32]


def test_infer_shape_with_auxiliary_states():
    bn = mx.sym.BatchNorm(mx.sym.var('d'), name='bn')
    assert bn.list_arguments() == ['d', 'bn_gamma', 'bn_beta']
    assert bn.list_auxiliary_states() == ['bn_moving_mean', 'bn_moving_var']
    assert bn.list_inputs() == ['d', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var']
    assert bn.infer_shape(d=(2, 3)) == ([(2, 3), (3,), (3,)], [(2, 3)], [(3,), (3,)])


def test_infer_type():
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    assert fc.infer_type(data='float16') == ([np.float16] * 3, [np.float16], [])
    assert fc.infer_type(data=np.float64) == ([np.float64] * 3, [np.float64], [])
    with pytest.warns(UserWarning, match='Cannot decide type'):
        assert fc.infer_type() == (None, None, None)


# ---------------------------------------------------------------- files
def test_json_round_trip_and_save_load(tmp_path):
    net = _mlp()
    text = net.tojson()
    back = mx.sym.fromjson(text)
    assert back.tojson() == text
    assert mx.sym.load_json(text).list_arguments() == net.list_arguments()
    path = str(tmp_path / 'net-symbol.json')
    net.save(path)
    assert mx.sym.load(path).tojson() == text
    assert os.listdir(tmp_path) == ['net-symbol.json']


def test_json_layout_of_a_larger_graph_is_mxnets():
    """BatchNorm (hidden outputs, auxiliary states), split, more than ten inputs,
    attributes written on several lines: what MXNet 1.9.1 writes."""
    with mx.name.NameManager():
        net = mx.sym.FullyConnected(mx.sym.var('data'), name='fc1', num_hidden=10)
        net = mx.sym.Activation(net, name='relu1', act_type='relu')
        net = mx.sym.Convolution(net, kernel=(3, 3), num_filter=4, pad=(1, 1))
        net = mx.sym.BatchNorm(net, fix_gamma=False)
        parts = mx.sym.split(net, num_outputs=2)
        out = mx.sym.SoftmaxOutput(parts[1], name='out')
        xs = [mx.sym.var(f'x{i}') for i in range(12)]
        cat = mx.sym.concat(*xs)
    with open(os.path.join(FIXTURES, 'layout-symbol.json')) as f:
        want = f.read()
    got = mx.sym.Group([out, parts[0], cat]).get_internals().tojson()
    assert got == want


def test_fromjson_refuses_bad_graphs():
    doc = json.loads(_mlp().tojson())
    doc['nodes'][4]['op'] = 'NoSuchOp'
    with pytest.raises(MXNetError, match="'relu1'.*NoSuchOp"):
        mx.sym.fromjson(json.dumps(doc))
    doc = json.loads(_mlp().tojson())
    doc['attrs']['mxnet_version'] = ['int', 20000]
    with pytest.raises(MXNetError, match='newer'):
        mx.sym.fromjson(json.dumps(doc))
    doc = json.loads(_mlp().tojson())
    doc['nodes'][4]['attrs']['nosuch'] = '1'
    with pytest.raises(MXNetError, match='nosuch'):
        mx.sym.fromjson(json.dumps(doc))
    with pytest.raises(MXNetError):
        mx.sym.fromjson('{"nodes": ')


def test_symbol_is_not_data():
    s = mx.sym.var('x') + 1
    with pytest.raises(mx.sym.NotImplementedForSymbol, match='asnumpy'):
        s.asnumpy()
    with pytest.raises(MXNetError):
        s.asscalar()
    with pytest.raises(MXNetError):
        bool(s)


# ---------------------------------------------------------------- executors
def _fc_no_bias():
    return mx.sym.FullyConnected(mx.sym.var('x'), mx.sym.var('w'), num_hidden=2,
                                 no_bias=True, name='fc')


def test_bind_refuses_missing_or_misshaped_arguments():
    y = _fc_no_bias()
    with pytest.raises(ValueError, match='`w` is missing'):
        y.bind(mx.cpu(), {'x': nd.ones((3, 4))})
    with pytest.raises(MXNetError, match=r"'fc'.*\[2,5\].*\[2,4\]"):
        y.bind(mx.cpu(), {'x': nd.ones((3, 4)), 'w': nd.ones((2, 5))})
    # a list of the wrong length: MXNet 1.x's ValueError, and an MXNetError
    with pytest.raises(ValueError, match='args has 1 arrays for 2 names') as info:
        y.bind(mx.cpu(), [nd.ones((3, 4))])
    assert isinstance(info.value, MXNetError)
    with pytest.raises(ValueError, match='args_grad has 1 arrays'):
        y.bind(mx.cpu(), [nd.ones((3, 4)), nd.ones((2, 4))], args_grad=[nd.ones((3, 4))])
    with pytest.raises(TypeError):
        y.bind('cpu', {'x': nd.ones((3, 4)), 'w': nd.ones((2, 4))})


def test_simple_bind_grad_req_add_and_write():
    y = _fc_no_bias()
    exe = y.simple_bind(mx.cpu(), x=(3, 4), grad_req='add')
    assert sorted(exe.arg_dict) == ['w', 'x'] and exe.arg_dict['w'].shape == (2, 4)
    exe.arg_dict['x'][:] = 1
    exe.arg_dict['w'][:] = 2
    for _ in range(2):
        exe.forward(is_train=True)
        exe.backward(nd.ones((3, 2)))
    np.testing.assert_array_equal(exe.grad_dict['w'].asnumpy(), np.full((2, 4), 6.))  # MXNet
    exe = y.simple_bind(mx.cpu(), x=(3, 4), grad_req='write')
    exe.arg_dict['x'][:] = 1
    for _ in range(2):
        exe.forward(is_train=True)
        exe.backward(nd.ones((3, 2)))
    np.testing.assert_array_equal(exe.grad_dict['w'].asnumpy(), np.full((2, 4), 3.))
    exe = y.simple_bind(mx.cpu(), x=(3, 4), grad_req={'x': 'null', 'w': 'write'})
    assert sorted(exe.grad_dict) == ['w', 'x'] and exe.grad_dict['x'] is None
    with pytest.raises(ValueError):
        y.simple_bind(mx.cpu(), x=(3, 4), grad_req='sometimes')


def test_forward_kwargs_outputs_and_reshape():
    y = _fc_no_bias()
    exe = y.simple_bind(mx.cpu(), x=(3, 4), grad_req='null')
    exe.arg_dict['w'][:] = 2
    out = exe.forward(x=np.ones((3, 4)))
    assert out is exe.outputs and list(exe.output_dict) == ['fc_output']
    np.testing.assert_array_equal(out[0].asnumpy(), np.full((3, 2), 8.))
    small = exe.reshape(x=(1, 4))
    assert small.arg_dict['x'].shape == (1, 4)
    # a smaller shape shares the original's memory, as in MXNet: x's first row is ones
    np.testing.assert_array_equal(small.forward()[0].asnumpy(), [[8., 8.]])
    small.arg_dict['x'][:] = 0.5
    np.testing.assert_array_equal(small.forward()[0].asnumpy(), [[4., 4.]])
    with pytest.raises(MXNetError, match='allow_up_sizing'):
        exe.reshape(x=(5, 4))
    assert exe.reshape(x=(5, 4), allow_up_sizing=True).arg_dict['x'].shape == (5, 4)
    # MXNet 1.x raises ValueError for a new shape and TypeError for an unknown name
    with pytest.raises(ValueError, match="'x' has shape") as info:
        exe.forward(x=np.ones((2, 4)))
    assert isinstance(info.value, MXNetError)
    with pytest.raises(TypeError, match="'q' is not an argument") as info:
        exe.forward(q=np.ones((2, 4)))
    assert isinstance(info.value, MXNetError)


def test_a_missing_file_is_an_mxnet_error_and_a_file_not_found_error(tmp_path):
    for load, name in ((mx.sym.load, 'net-symbol.json'), (mx.nd.load, 'net-0000.params')):
        with pytest.raises(FileNotFoundError, match=f'cannot read .*{name}') as info:
            load(str(tmp_path / name))
        assert isinstance(info.value, MXNetError)
        assert info.value.filename == str(tmp_path / name)


def test_copy_params_from_and_aux_dict():
    bn = mx.sym.BatchNorm(mx.sym.var('d'), name='bn', fix_gamma=False)
    exe = bn.simple_bind(mx.cpu(), d=(2, 3))
    assert sorted(exe.aux_dict) == ['bn_moving_mean', 'bn_moving_var']
    exe.copy_params_from({'bn_gamma': nd.ones(3) * 2, 'bn_beta': nd.ones(3)},
                         {'bn_moving_mean': nd.ones(3), 'bn_moving_var': nd.ones(3) * 4})
    out = exe.forward(is_train=False, d=np.full((2, 3), 3.))[0].asnumpy()
    np.testing.assert_allclose(out, np.full((2, 3), 2 * 2 / np.sqrt(4 + 1e-3) + 1), rtol=1e-5)
    with pytest.raises(ValueError, match='Find name "zz"'):
        exe.copy_params_from({'zz': nd.ones(2)})
    exe.copy_params_from({'zz': nd.ones(2)}, allow_extra_params=True)
    with pytest.raises(MXNetError):
        exe.copy_params_from({'bn_gamma': nd.ones(4)})


def test_backward_needs_a_forward_first():
    exe = _fc_no_bias().simple_bind(mx.cpu(), x=(3, 4))
    with pytest.raises(MXNetError):
        exe.backward(nd.ones((3, 2)))
    # after a forward in predict mode the gradients are still there, as in MXNet
    exe.arg_dict['x'][:] = 1
    exe.arg_dict['w'][:] = 1
    exe.forward(is_train=False)
    exe.backward(nd.ones((3, 2)))
    np.testing.assert_array_equal(exe.grad_dict['w'].asnumpy(), np.full((2, 4), 3.))


# ---------------------------------------------------------------- recorded graphs, drawings
def test_get_symbol_matches_mxnet_names():
    x = nd.ones((2, 3))
    x.attach_grad()
    w = nd.ones((4, 3))
    w.attach_grad()
    with autograd.record():
        y = nd.FullyConnected(x, w, num_hidden=4, no_bias=True)
        z = nd.relu(y * 2 + x.sum())
    s = autograd.get_symbol(z)
    # MXNet 1.9.1 for the same recording (in a fresh process var0 and var1: the numbers
    # count on through the process)
    a, b = s.list_arguments()
    assert a.startswith('var') and b == f'var{int(a[3:]) + 1}'
    assert s.list_outputs() == ['node_4_output']
    ops = [(n['op'], n['name']) for n in json.loads(s.tojson())['nodes']]
    assert ops == [('null', a), ('null', b), ('FullyConnected', 'node_0'),
                   ('_mul_scalar', 'node_1'), ('sum', 'node_2'), ('broadcast_add', 'node_3'),
                   ('relu', 'node_4')]
    np.testing.assert_array_equal(s.eval(ctx=mx.cpu(), **{a: x, b: w})[0].asnumpy(),
                                  np.full((2, 4), 12.))
    with pytest.raises(MXNetError, match='record'):
        autograd.get_symbol(nd.ones(2))


_SUMMARY = """\
________________________________________________________________________________
Layer (type)                       Output Shape    Param # Previous Layer       
================================================================================
x(null)                            5               0                            
________________________________________________________________________________
_plus0(elemwise_add)               5               0       x                    
________________________________________________________________________________
f(FullyConnected)                  3               18      _plus0               
================================================================================
Total params: 18
________________________________________________________________________________
"""


def test_print_summary_is_mxnets_table(capsys):
    x, y = mx.sym.var('x'), mx.sym.var('y')
    with mx.name.NameManager():
        net = mx.sym.FullyConnected(x + y, num_hidden=3, name='f')
    mx.viz.print_summary(net, shape={'x': (2, 5), 'y': (2, 5)}, line_length=80)
    assert capsys.readouterr().out == _SUMMARY      # MXNet 1.9.1, same call
    data = mx.sym.var('data')
    net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name='conv1')
    net = mx.sym.BatchNorm(net, name='bn1')
    net = mx.sym.FullyConnected(mx.sym.flatten(net, name='flat'), name='fc2', num_hidden=4)
    mx.viz.print_summary(net, shape={'data': (1, 2, 8, 8)})
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if '(' in line and 'Layer' not in line]
    assert rows == [['data(null)', '2x8x8', '0'], ['conv1(Convolution)', '4x6x6', '76', 'data'],
                    ['bn1(BatchNorm)', '4x6x6', '8', 'conv1'],
                    ['flat(Flatten)', '144', '0', 'bn1'], ['fc2(FullyConnected)', '4', '580',
                                                         'flat']]
    with pytest.raises(TypeError):
        mx.viz.print_summary('net')
    with pytest.warns(UserWarning), pytest.raises(ValueError, match='incomplete'):
        mx.viz.print_summary(net, shape={})


def test_plot_network_without_graphviz():
    net = mx.sym.relu(mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc'))
    drawing = mx.viz.plot_network(net, shape={'data': (1, 3)})
    try:
        import graphviz
    except ImportError:
        from matplotlib.figure import Figure
        assert isinstance(drawing, Figure)
        texts = [t.get_text() for t in drawing.axes[0].texts]
        assert {'data', 'FullyConnected\n4', 'relu', '3', '4'} <= set(texts)
    else:
        assert isinstance(drawing, graphviz.Digraph)


def test_backward_runs_again_after_one_forward():
    """MXNet lets an executor's backward run several times after one forward."""
    x = mx.sym.var('x')
    exe = (x * x).simple_bind(mx.cpu(), x=(2,), grad_req='add')
    exe.arg_dict['x'][:] = mx.nd.array([1, 2])
    exe.forward(is_train=True)
    exe.backward(mx.nd.ones(2))
    exe.backward(mx.nd.ones(2))
    assert exe.grad_dict['x'].asnumpy().tolist() == [4.0, 8.0]


@pytest.mark.parametrize('make, count', [
    (lambda x: mx.sym.LRN(x, nsize=3), 2),
    (lambda x: mx.sym.L2Normalization(x), 2),
    (lambda x: mx.sym.SpatialTransformer(data=x, loc=mx.sym.var('l'), target_shape=(2, 2),
                                         transform_type='affine', sampler_type='bilinear'), 3),
    (lambda x: mx.sym.GridGenerator(x, transform_type='affine', target_shape=(2, 2)), 2),
    (lambda x: mx.sym.BilinearSampler(x, mx.sym.var('g')), 2),
    (lambda x: mx.sym.Correlation(x, mx.sym.var('y')), 3),
    (lambda x: mx.sym.ROIPooling(x, mx.sym.var('r'), pooled_size=(2, 2), spatial_scale=1.0), 2),
    (lambda x: mx.sym.LeakyReLU(x, act_type='rrelu'), 2),
    (lambda x: mx.sym.LeakyReLU(x, act_type='prelu'), 1),
    (lambda x: mx.sym.RNN(x, state_size=2, num_layers=1, mode='lstm'), 1),
    (lambda x: mx.sym.RNN(x, state_size=2, num_layers=1, mode='lstm', state_outputs=True), 3),
    (lambda x: mx.sym.RNN(x, state_size=2, num_layers=1, mode='gru', state_outputs=True), 2),
    (lambda x: mx.sym.contrib.SyncBatchNorm(x, key='k'), 3),
    (lambda x: mx.sym.linalg.slogdet(x), 4),
    (lambda x: mx.sym.BatchNorm(x), 3),
])
def test_json_counts_the_outputs_mxnet_keeps(make, count):
    # node_row_ptr counts every output MXNet 1.9.1's node has, hidden ones too
    doc = json.loads(make(mx.sym.var('x')).tojson())
    assert doc['node_row_ptr'][-1] - doc['node_row_ptr'][-2] == count


@pytest.mark.parametrize('make, op, attrs', [
    (lambda x: mx.sym.swapaxes(x, dim1=0, dim2=1), 'SwapAxis', {'dim1': '0', 'dim2': '1'}),
    (lambda x: mx.sym.choose_element_0index(x, x), 'pick', None),
    (lambda x: mx.sym._internal._rnn_param_concat(x, x, dim=0), '_rnn_param_concat',
     {'dim': '0', 'num_args': '2'}),
    (lambda x: mx.sym.zeros(3), '_zeros', {'dtype': 'float32', 'shape': '3'}),
    (lambda x: x.reshape(-1), 'Reshape', {'shape': '-1'}),
    (lambda x: x.reshape((2, -1)), 'Reshape', {'shape': '(2, -1)'}),
])
def test_json_names_operators_and_attributes_as_mxnet_writes_them(make, op, attrs):
    # MXNet 1.9.1's files: an alias is written under the operator's own name
    node = json.loads(make(mx.sym.var('x')).tojson())['nodes'][-1]
    assert node['op'] == op and node.get('attrs') == attrs
