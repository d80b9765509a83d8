"""mx.mod.Module, mx.model checkpoints and mx.callback, as MXNet 1.x's classic
symbolic training API. Expected values and messages were taken from MXNet 1.9.1."""
import logging
import os
import re

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.gluon.data.vision import datasets


@pytest.fixture(scope='module')
def digits():
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)

    def arrays(ds):
        x = np.stack([ds[i][0].asnumpy() for i in range(len(ds))]).reshape(len(ds), -1)
        y = np.array([int(ds[i][1]) for i in range(len(ds))])
        return (x / 255.0).astype('float32'), y.astype('float32')
    return arrays(train), arrays(test)


def mlp(hidden=64):
    data = mx.sym.var('data')
    fc1 = mx.sym.FullyConnected(data, name='fc1', num_hidden=hidden)
    act1 = mx.sym.Activation(fc1, name='relu1', act_type='relu')
    fc2 = mx.sym.FullyConnected(act1, name='fc2', num_hidden=10)
    return mx.sym.SoftmaxOutput(fc2, name='softmax')


def small_net():
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    return mx.sym.SoftmaxOutput(fc, name='softmax')


# ------------------------------------------------------------------ the tutorial
def test_module_tutorial_trains_the_digits(digits, caplog):
    (xtr, ytr), (xte, yte) = digits
    np.random.seed(0)
    mx.random.seed(0)
    train_iter = mx.io.NDArrayIter(xtr, ytr, batch_size=32, shuffle=True)
    val_iter = mx.io.NDArrayIter(xte, yte, batch_size=32)
    mod = mx.mod.Module(symbol=mlp(), context=mx.cpu(), data_names=['data'],
                        label_names=['softmax_label'])
    with caplog.at_level(logging.INFO):
        mod.fit(train_iter, eval_data=val_iter, optimizer='sgd',
                optimizer_params={'learning_rate': 0.1}, eval_metric='acc', num_epoch=8)
    lines = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(r'Epoch\[0\] Train-accuracy=\d\.\d{6}', lines[0])
    assert re.fullmatch(r'Epoch\[0\] Time cost=\d+\.\d{3}', lines[1])
    assert re.fullmatch(r'Epoch\[0\] Validation-accuracy=\d\.\d{6}', lines[2])
    assert lines[-1].startswith('Epoch[7] Validation-accuracy=')
    (name, acc), = mod.score(val_iter, 'acc')
    assert name == 'accuracy' and acc > 0.85
    pred = mod.predict(val_iter)
    assert pred.shape == (len(yte), 10)     # the padding of the last batch is cut off
    assert (pred.asnumpy().argmax(1) == yte).mean() > 0.85
    assert mod.output_shapes == [('softmax_output', (32, 10))]
    assert mod.data_shapes[0].shape == (32, 64) and mod.label_shapes[0].name == 'softmax_label'
    assert mod.binded and mod.params_initialized and mod.optimizer_initialized


def test_training_matches_mxnet_numbers():
    """Fixed starting weights and no shuffling: the weights after training are
    MXNet 1.9.1's (rescale_grad = 1/batch_size, momentum, no weight decay on biases)."""
    rs = np.random.RandomState(0)
    x = rs.rand(12, 4).astype('float32')
    y = np.array([0, 1, 2] * 4, dtype='float32')
    args = {'fc_weight': mx.nd.array(rs.normal(0, .5, (3, 4))),
            'fc_bias': mx.nd.array([0.1, -0.2, 0.3])}
    it = mx.io.NDArrayIter(x, y, batch_size=5)
    mod = mx.mod.Module(small_net())
    mod.fit(it, num_epoch=3, arg_params=args, optimizer='sgd',
            optimizer_params={'learning_rate': 0.5, 'momentum': 0.9, 'wd': 0.1})
    arg, aux = mod.get_params()
    np.testing.assert_allclose(arg['fc_bias'].asnumpy(), MX_BIAS, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arg['fc_weight'].asnumpy(), MX_WEIGHT, rtol=1e-5, atol=1e-6)
    assert aux == {}


# what MXNet 1.9.1 gives for test_training_matches_mxnet_numbers
MX_BIAS = [0.11484061926603317, 0.0313875637948513, 0.05377188324928284]
MX_WEIGHT = [[-0.14226560294628143, 0.5161076784133911, 0.13184627890586853, -0.42350414395332336],
             [-0.6355067491531372, 0.004879225045442581, 0.34561383724212646, 0.3851263225078583],
             [1.0964449644088745, -0.312949001789093, -0.09022998809814453, -0.2745750844478607]]


def test_initializers_get_the_parameter_names():
    data = mx.sym.var('data')
    net = mx.sym.FullyConnected(data, num_hidden=4, name='fc')
    net = mx.sym.BatchNorm(net, name='bn')
    mod = mx.mod.Module(net, label_names=None)
    mod.bind([('data', (2, 3))])
    mod.init_params(mx.init.Xavier())
    arg, aux = mod.get_params()
    assert np.abs(arg['fc_weight'].asnumpy()).sum() > 0
    assert (arg['fc_bias'].asnumpy() == 0).all() and (arg['bn_beta'].asnumpy() == 0).all()
    assert (arg['bn_gamma'].asnumpy() == 1).all()
    assert (aux['bn_moving_mean'].asnumpy() == 0).all()
    assert (aux['bn_moving_var'].asnumpy() == 1).all()


def test_forward_backward_update_by_hand():
    mod = mx.mod.Module(small_net())
    mod.bind(data_shapes=[('data', (4, 2))], label_shapes=[('softmax_label', (4,))],
             inputs_need_grad=True)
    mod.init_params(mx.init.Constant(0.1))
    mod.init_optimizer(optimizer_params={'learning_rate': 1.0})
    assert mod._optimizer.rescale_grad == 0.25
    batch = mx.io.DataBatch([mx.nd.ones((4, 2))], [mx.nd.array([0, 1, 2, 0])])
    before = mod.get_params()[0]['fc_weight'].asnumpy().copy()
    mod.forward(batch, is_train=True)
    mod.backward()
    assert mod.get_input_grads()[0].shape == (4, 2)
    mod.update()
    after = mod.get_params()[0]['fc_weight'].asnumpy()
    assert not np.allclose(before, after)
    metric = mx.metric.Accuracy()
    mod.update_metric(metric, batch.label)
    assert metric.num_inst == 4
    # a batch of another size re-binds the executors, keeping the parameters
    mod.forward(mx.io.DataBatch([mx.nd.ones((3, 2))], [mx.nd.zeros(3)]), is_train=False)
    assert mod.get_outputs()[0].shape == (3, 3)
    np.testing.assert_allclose(mod.get_params()[0]['fc_weight'].asnumpy(), after)


def test_predict_options():
    mod = mx.mod.Module(small_net())
    it = mx.io.NDArrayIter(np.random.rand(10, 4), np.zeros(10), batch_size=4)
    mod.bind(it.provide_data, it.provide_label, for_training=False)
    mod.init_params()
    assert mod.predict(it).shape == (10, 3)
    batches = mod.predict(it, merge_batches=False)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert mod.predict(it, num_batch=1, always_output_list=True)[0].shape == (4, 3)
    outs = [(o[0].shape, n, b.pad) for o, n, b in mod.iter_predict(it)]
    assert outs == [((4, 3), 0, 0), ((4, 3), 1, 0), ((2, 3), 2, 2)]
    assert mod.predict(mx.nd.ones((4, 4))).shape == (4, 3)
    # the padding examples count in the metric, as in MXNet
    metric = mx.metric.Accuracy()
    mod.score(it, metric)
    assert metric.num_inst == 12


# ------------------------------------------------------------------ checkpoints
def test_checkpoint_round_trip(tmp_path, digits):
    (xtr, ytr), _ = digits
    it = mx.io.NDArrayIter(xtr[:200], ytr[:200], batch_size=50)
    mod = mx.mod.Module(mlp(16))
    mod.fit(it, num_epoch=2, optimizer='sgd',
            optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    prefix = str(tmp_path / 'mlp')
    mod.save_checkpoint(prefix, 2, save_optimizer_states=True)
    assert sorted(os.listdir(tmp_path)) == ['mlp-0002.params', 'mlp-0002.states',
                                           'mlp-symbol.json']
    keys = sorted(mx.nd.load(prefix + '-0002.params'))
    assert keys == ['arg:fc1_bias', 'arg:fc1_weight', 'arg:fc2_bias', 'arg:fc2_weight']
    expected = mod.predict(it).asnumpy()

    sym, arg, aux = mx.model.load_checkpoint(prefix, 2)
    assert sym.tojson() == mod.symbol.tojson() and aux == {}
    np.testing.assert_array_equal(arg['fc1_weight'].asnumpy(),
                                  mod.get_params()[0]['fc1_weight'].asnumpy())

    loaded = mx.mod.Module.load(prefix, 2, load_optimizer_states=True)
    loaded.bind(it.provide_data, it.provide_label)
    np.testing.assert_allclose(loaded.predict(it).asnumpy(), expected, rtol=1e-6)
    loaded.init_optimizer(optimizer='sgd',
                          optimizer_params={'learning_rate': 0.1, 'momentum': 0.9})
    assert set(loaded._updater.states) == set(mod._updater.states)

    # mx.model.save_checkpoint writes the same pair, through do_checkpoint too
    mx.model.save_checkpoint(prefix + '2', 1, sym, arg, aux)
    assert mx.nd.load(prefix + '2-0001.params').keys() == mx.nd.load(
        prefix + '-0002.params').keys()
    mx.callback.do_checkpoint(prefix + '3', period=2)(1, sym, arg, aux)
    assert os.path.exists(prefix + '3-0002.params')


def test_set_params_and_files(tmp_path):
    mod = mx.mod.Module(small_net())
    mod.bind([('data', (2, 4))], [('softmax_label', (2,))])
    with pytest.raises(RuntimeError, match='fc_bias is not presented'):
        mod.set_params({'fc_weight': mx.nd.ones((3, 4))}, {})
    with pytest.raises(ValueError, match='Find name "zz"'):
        mod.set_params({'fc_weight': mx.nd.ones((3, 4)), 'zz': mx.nd.ones(1)}, {},
                       allow_missing=True)
    mod.set_params({'fc_weight': mx.nd.ones((3, 4)), 'fc_bias': mx.nd.zeros(3),
                    'zz': mx.nd.ones(1)}, {})   # extras are ignored here, as in MXNet
    fname = str(tmp_path / 'p.params')
    mod.save_params(fname)
    other = mx.mod.Module(small_net())
    other.bind([('data', (2, 4))], [('softmax_label', (2,))])
    other.init_params()
    other.load_params(fname)
    assert (other.get_params()[0]['fc_weight'].asnumpy() == 1).all()


# ------------------------------------------------------------------ callbacks
def test_speedometer_log_format(caplog):
    metric = mx.metric.Accuracy()
    metric.update([mx.nd.array([0, 1])], [mx.nd.array([[1, 0], [1, 0]])])
    speed = mx.callback.Speedometer(batch_size=8, frequent=2)
    with caplog.at_level(logging.INFO):
        for n in range(5):
            speed(mx.model.BatchEndParam(epoch=1, nbatch=n, eval_metric=metric, locals={}))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert re.fullmatch(r'Epoch\[1\] Batch \[0-2\]\tSpeed: \d+\.\d\d samples/sec'
                        r'\taccuracy=0\.500000', lines[0])
    assert re.fullmatch(r'Epoch\[1\] Batch \[2-4\]\tSpeed: \S+ samples/sec\taccuracy=nan',
                        lines[1])   # auto_reset cleared the metric after the first line
    caplog.clear()
    with caplog.at_level(logging.INFO):
        mx.callback.log_train_metric(1)(mx.model.BatchEndParam(0, 3, metric, {}))
        mx.callback.ProgressBar(4, length=4)(mx.model.BatchEndParam(0, 2, metric, {}))
    assert caplog.records[0].getMessage() == 'Iter[0] Batch[3] Train-accuracy=nan'
    assert caplog.records[1].getMessage() == '[==--] 50%\r'


def test_fit_calls_the_callbacks():
    it = mx.io.NDArrayIter(np.random.rand(10, 4), np.arange(10) % 3, batch_size=5)
    seen, epochs = [], []
    mod = mx.mod.Module(small_net())
    mod.fit(it, num_epoch=2, batch_end_callback=lambda p: seen.append((p.epoch, p.nbatch)),
            epoch_end_callback=lambda e, s, a, x: epochs.append((e, sorted(a))))
    assert seen == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert epochs == [(0, ['fc_bias', 'fc_weight']), (1, ['fc_bias', 'fc_weight'])]


# ------------------------------------------------------------------ bad use
def test_clear_errors():
    net = small_net()
    mod = mx.mod.Module(net)
    batch = mx.io.DataBatch([mx.nd.ones((2, 4))], [mx.nd.zeros(2)])
    with pytest.raises(AssertionError, match='bind'):
        mod.forward(batch)
    with pytest.raises(ValueError, match="don't match names specified by data_names"):
        mod.bind([('x', (2, 4))])
    with pytest.raises(ValueError, match="input with name 'x' is not found"):
        mx.mod.Module(net, data_names=['x'])
    mod.bind([('data', (2, 4))], [('softmax_label', (2,))])
    mod.init_params()
    with pytest.raises(AssertionError, match='init_optimizer'):
        mod.update()
    with pytest.raises(AssertionError, match='inputs_need_grad'):
        mod.get_input_grads()
    with pytest.raises(AssertionError, match='number of epochs'):
        mx.mod.Module(net).fit(mx.io.NDArrayIter(np.zeros((4, 4)), batch_size=2))
    with pytest.raises(ValueError,
                       match=r"2 data array\(s\) but the module takes 1 \(\['data'\]\)"):
        mod.forward(mx.io.DataBatch([mx.nd.ones((2, 4)), mx.nd.ones((2, 4))]))
    infer = mx.mod.Module(net)
    infer.bind([('data', (2, 4))], [('softmax_label', (2,))], for_training=False)
    infer.init_params()
    infer.forward(batch)
    with pytest.raises(AssertionError, match='for_training=True'):
        infer.backward()
    with pytest.warns(UserWarning, match='already initialized'):
        infer.init_params()
