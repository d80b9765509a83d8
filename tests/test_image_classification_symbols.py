"""Symbolic image classifiers as MXNet 1.x's image-classification programs build and
train them (Symbol graphs of Convolution, BatchNorm, LRN, Pooling, ... bound by an
executor or a Module): the JSON graph, the dtypes, the values, and Module.fit's logs
and checkpoints. Expected values were computed with MXNet 1.9.1."""
import json
import logging
import os
import re

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.base import MXNetError


def _lrn_stack():
    """conv -> relu -> LRN -> max pool -> fc -> softmax, AlexNet's first stage in small."""
    net = mx.sym.Convolution(mx.sym.var('data'), kernel=(3, 3), num_filter=4, name='conv')
    net = mx.sym.Activation(net, act_type='relu', name='relu')
    net = mx.sym.LRN(net, alpha=0.001, beta=0.75, knorm=2, nsize=3, name='norm')
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type='max', name='pool')
    net = mx.sym.FullyConnected(net, num_hidden=3, name='fc')
    return mx.sym.SoftmaxOutput(net, name='softmax')


def test_lrn_hidden_output_counts_in_the_json_graph():
    net = _lrn_stack()
    doc = json.loads(net.tojson())
    # MXNet's LRN (node 5) keeps its scale as a second, hidden output, as its max
    # pooling (node 6) keeps a workspace: MXNet counts both in node_row_ptr
    assert doc['node_row_ptr'] == [0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14]
    assert net.get_internals().list_outputs() == [
        'data', 'conv_weight', 'conv_bias', 'conv_output', 'relu_output', 'norm_output',
        'pool_output', 'fc_weight', 'fc_bias', 'fc_output', 'softmax_label',
        'softmax_output']
    lrn = mx.sym.LRN(mx.sym.var('x'), nsize=5, name='lrn')
    assert lrn.list_outputs() == ['lrn_output'] and len(lrn) == 1
    assert isinstance(mx.nd.LRN(mx.nd.ones((1, 3, 1, 1)), nsize=3), mx.nd.NDArray)
    # a graph read back from its JSON is the same graph
    assert mx.sym.load_json(net.tojson()).tojson() == net.tojson()


def test_lrn_stack_forward_and_backward_match_mxnet():
    net = _lrn_stack()
    rng = np.random.RandomState(7)
    x = rng.uniform(-1, 1, (2, 2, 6, 6)).astype('float32')
    exe = net.simple_bind(mx.cpu(), data=x.shape)
    for name in sorted(exe.arg_dict):
        if name != 'softmax_label':
            exe.arg_dict[name][:] = rng.uniform(-1, 1, exe.arg_dict[name].shape)
    exe.arg_dict['data'][:] = x
    exe.arg_dict['softmax_label'][:] = [0, 2]
    exe.forward(is_train=True)
    exe.backward()
    np.testing.assert_allclose(exe.outputs[0].asnumpy(),
                               [[0.1149889, 0.6489654, 0.2360457],
                                [0.0020820, 0.7223498, 0.2755682]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(exe.grad_dict['conv_weight'].asnumpy().sum(axis=(1, 2, 3)),
                               [-3.1086669, 2.5084920, -1.4624699, -1.9408324], rtol=1e-5)
    gdata = exe.grad_dict['data'].asnumpy()
    np.testing.assert_allclose([gdata.sum(), np.abs(gdata).sum()], [-7.0292554, 43.292049],
                               rtol=1e-5)


def test_batchnorm_keeps_float32_parameters_for_float16_data():
    data = mx.sym.var('data')
    bn = mx.sym.BatchNorm(mx.sym.Cast(data, dtype='float16'), name='bn', output_mean_var=True)
    args, outs, aux = bn.infer_type(data='float32')
    assert [t.__name__ for t in args] == ['float32', 'float32', 'float32']
    assert [t.__name__ for t in outs] == ['float16', 'float32', 'float32']
    assert [t.__name__ for t in aux] == ['float32', 'float32']
    # other dtypes keep the data's
    args, outs, aux = mx.sym.BatchNorm(data, name='bn').infer_type(data='float64')
    assert {t.__name__ for t in args + outs + aux} == {'float64'}
    # a float16 parameter for float16 data is refused, as in MXNet
    with pytest.raises(MXNetError, match='gamma must be float32'):
        mx.sym.BatchNorm(data, name='bn').infer_type(data='float16', bn_gamma='float16')
    # SyncBatchNorm keeps its parameters the same way
    sync = mx.sym.contrib.SyncBatchNorm(data, name='sbn', key='k')
    assert [t.__name__ for t in sync.infer_type(data='float16')[2]] == ['float32', 'float32']


def test_float16_network_binds_float32_batchnorm_arrays_and_trains():
    data = mx.sym.var('data')
    net = mx.sym.Convolution(mx.sym.Cast(data, dtype='float16'), num_filter=4,
                             kernel=(3, 3), no_bias=True, name='conv')
    net = mx.sym.BatchNorm(net, fix_gamma=False, name='bn')
    net = mx.sym.Cast(mx.sym.FullyConnected(net, num_hidden=3, name='fc'), dtype='float32')
    net = mx.sym.SoftmaxOutput(net, name='softmax')
    exe = net.simple_bind(mx.cpu(), data=(2, 3, 6, 6), type_dict={'data': 'float32'})
    dtypes = {k: v.dtype.__name__ for k, v in exe.arg_dict.items()}
    assert dtypes == {'data': 'float32', 'conv_weight': 'float16', 'bn_gamma': 'float32',
                      'bn_beta': 'float32', 'fc_weight': 'float16', 'fc_bias': 'float16',
                      'softmax_label': 'float32'}
    assert {v.dtype.__name__ for v in exe.aux_dict.values()} == {'float32'}
    rng = np.random.RandomState(0)
    for v in exe.arg_dict.values():
        v[:] = rng.uniform(0, 1, v.shape)
    exe.forward(is_train=True)
    exe.backward()
    assert exe.grad_dict['bn_gamma'].dtype == np.float32
    assert np.isfinite(exe.grad_dict['conv_weight'].asnumpy()).all()
    assert np.isfinite(exe.aux_dict['bn_moving_var'].asnumpy()).all()


def test_module_fit_logs_and_checkpoints_as_mxnet(tmp_path):
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (12, 5)).astype('float32')
    y = (x[:, 0] > 0).astype('float32')
    train = mx.io.NDArrayIter(x, y, batch_size=4, label_name='softmax_label')
    val = mx.io.NDArrayIter(x[:8], y[:8], batch_size=4, label_name='softmax_label')
    net = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=4, name='fc1')
    net = mx.sym.Activation(net, act_type='tanh', name='tanh1')
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(net, num_hidden=2, name='fc2'),
                               name='softmax')
    arg = {'fc1_weight': mx.nd.array(rng.uniform(-1, 1, (4, 5))), 'fc1_bias': mx.nd.zeros(4),
           'fc2_weight': mx.nd.array(rng.uniform(-1, 1, (2, 4))), 'fc2_bias': mx.nd.zeros(2)}
    prefix = str(tmp_path / 'tiny')
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    root = logging.getLogger()
    handler, level = Keep(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        mx.mod.Module(net, context=mx.cpu()).fit(
            train, eval_data=val, num_epoch=2, arg_params=arg, optimizer='sgd',
            optimizer_params={'learning_rate': 0.5, 'momentum': 0.9, 'wd': 1e-4},
            eval_metric=['accuracy', mx.metric.create('ce')],
            batch_end_callback=mx.callback.Speedometer(4, 2),
            epoch_end_callback=mx.callback.do_checkpoint(prefix))
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    speed = r'Speed: \d+\.\d\d samples/sec'
    want = [
        rf'Epoch\[0\] Batch \[0-2\]\t{speed}\taccuracy=0\.583333\tcross-entropy=0\.784104',
        r'Epoch\[0\] Train-accuracy=0\.583333', r'Epoch\[0\] Train-cross-entropy=0\.784104',
        r'Epoch\[0\] Time cost=\d+\.\d\d\d', r'Saved checkpoint to ".*tiny-0001\.params"',
        r'Epoch\[0\] Validation-accuracy=1\.000000',
        r'Epoch\[0\] Validation-cross-entropy=0\.250454',
        rf'Epoch\[1\] Batch \[0-2\]\t{speed}\taccuracy=1\.000000\tcross-entropy=0\.229443',
        r'Epoch\[1\] Train-accuracy=1\.000000', r'Epoch\[1\] Train-cross-entropy=0\.229443',
        r'Epoch\[1\] Time cost=\d+\.\d\d\d', r'Saved checkpoint to ".*tiny-0002\.params"',
        r'Epoch\[1\] Validation-accuracy=0\.875000',
        r'Epoch\[1\] Validation-cross-entropy=0\.160364']
    assert len(records) == len(want), records
    for line, pattern in zip(records, want):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert sorted(os.listdir(tmp_path)) == ['tiny-0001.params', 'tiny-0002.params',
                                            'tiny-symbol.json']
    sym, args, aux = mx.model.load_checkpoint(prefix, 2)
    assert sym.tojson() == net.tojson() and aux == {}
    assert sorted(args) == ['fc1_bias', 'fc1_weight', 'fc2_bias', 'fc2_weight']
    assert args['fc2_weight'].asnumpy().sum() == pytest.approx(0.0323439, abs=1e-5)
