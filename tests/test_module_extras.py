"""SequentialModule, PythonModule / PythonLossModule, model.FeedForward and
mx.attribute. Expected numbers were recorded from MXNet 1.9.1 running the same code."""
import logging
import os
import warnings

import numpy as np
import pytest

import d2lmini as mx
import d2lmini.attribute  # noqa: F401  (mx.attribute)

X = (np.arange(12).reshape(6, 2) / 10).astype('float32')
Y = np.array([0, 1, 0, 1, 0, 1], 'float32')
W0 = np.array([[0.1, -0.2], [0.3, 0.4]], 'float32')
B0 = np.array([0.1, -0.1], 'float32')

# one FC layer + softmax trained 2 epochs, batch 3, sgd lr 0.5, from W0 / B0 (MXNet 1.9.1)
TRAINED_W = np.array([[0.06019442, -0.23365662], [0.3398056, 0.43365663]])
TRAINED_B = np.array([0.16148984, -0.16148983])
TRAINED_PROBS = np.array([[0.56371385, 0.43628618], [0.5167096, 0.48329034],
                          [0.46940786, 0.5305921], [0.42264953, 0.5773505],
                          [0.3772373, 0.62276274], [0.3338827, 0.66611725]])


def fc(name, num_hidden, data='data'):
    return mx.sym.FullyConnected(mx.sym.var(data), num_hidden=num_hidden, name=name)


def softmax_net():
    return mx.sym.SoftmaxOutput(fc('fc', 2), name='softmax')


def start_params():
    return {'fc_weight': mx.nd.array(W0), 'fc_bias': mx.nd.array(B0)}


def feedforward(symbol, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        return mx.model.FeedForward(symbol, **kwargs)


# ------------------------------------------------------------------ SequentialModule
def two_layer_chain(auto_wiring=True):
    first = mx.mod.Module(fc('fc1', 5), label_names=None)
    second_data = 'data' if auto_wiring else 'fc1_output'
    second = mx.mod.Module(fc('fc2', 3, second_data), data_names=[second_data],
                           label_names=None)
    return mx.mod.SequentialModule().add(first).add(second, auto_wiring=auto_wiring)


@pytest.mark.parametrize('auto_wiring', [True, False])
def test_sequential_wiring_forward_backward(auto_wiring):
    chain = two_layer_chain(auto_wiring)
    chain.bind([('data', (2, 4))], inputs_need_grad=True)
    chain.init_params(mx.init.One())     # weights 1, biases 0
    assert chain.data_names == ['data'] and chain.output_names == ['fc2_output']
    assert chain._modules[1].data_shapes[0].name == ('data' if auto_wiring else 'fc1_output')
    assert chain.output_shapes == [('fc2_output', (2, 3))]
    chain.forward(mx.io.DataBatch([mx.nd.ones((2, 4))]))
    np.testing.assert_allclose(chain.get_outputs()[0].asnumpy(), np.full((2, 3), 20.0))
    chain.backward([mx.nd.ones((2, 3))])
    np.testing.assert_allclose(chain.get_input_grads()[0].asnumpy(), np.full((2, 4), 15.0))
    assert sorted(chain.get_params()[0]) == ['fc1_bias', 'fc1_weight', 'fc2_bias',
                                             'fc2_weight']


def test_sequential_names_must_match_without_auto_wiring():
    first = mx.mod.Module(fc('fc1', 5), label_names=None)
    second = mx.mod.Module(fc('fc2', 3), label_names=None)   # takes 'data', gets fc1_output
    chain = mx.mod.SequentialModule().add(first).add(second)
    with pytest.raises(ValueError, match='fc1_output'):
        chain.bind([('data', (2, 4))])


def test_sequential_fit_matches_mxnet():
    features = mx.sym.Activation(fc('fc1', 3), act_type='tanh')
    classifier = mx.sym.SoftmaxOutput(fc('fc2', 2), name='softmax')
    chain = mx.mod.SequentialModule()
    chain.add(mx.mod.Module(features, label_names=None))
    chain.add(mx.mod.Module(classifier), take_labels=True, auto_wiring=True)
    start = {'fc1_weight': mx.nd.array(np.linspace(-0.5, 0.5, 6).reshape(3, 2)),
             'fc1_bias': mx.nd.array([0.1, 0, -0.1]),
             'fc2_weight': mx.nd.array(np.linspace(-0.3, 0.4, 6).reshape(2, 3)),
             'fc2_bias': mx.nd.zeros((2,))}
    chain.fit(mx.io.NDArrayIter(X, Y, batch_size=3), num_epoch=2, arg_params=start,
              optimizer_params={'learning_rate': 0.5})
    args, auxs = chain.get_params()
    assert auxs == {}
    np.testing.assert_allclose(args['fc1_bias'].asnumpy(),
                               [0.09291817, 0.00818235, -0.1132989], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(args['fc2_weight'].asnumpy(),
                               [[-0.21008345, -0.15254235, -0.09731545],
                                [0.03008345, 0.25254235, 0.4773155]], rtol=1e-5)
    probs = chain.predict(mx.io.NDArrayIter(X, Y, batch_size=3)).asnumpy()
    np.testing.assert_allclose(probs[[0, 5]], [[0.49161282, 0.5083871],
                                               [0.41684207, 0.58315796]], rtol=1e-5)
    # a batch size other than the bound one reshapes every module (MXNet 1.x fails)
    again = chain.predict(mx.io.NDArrayIter(X, Y, batch_size=4)).asnumpy()
    np.testing.assert_allclose(again, probs, rtol=1e-5)


def test_sequential_labels_and_metric():
    chain = mx.mod.SequentialModule().add(mx.mod.Module(fc('fc1', 5), label_names=None))
    chain.bind([('data', (2, 4))], [('softmax_label', (2,))])
    assert chain.label_shapes is None       # no module takes the labels
    chain.init_params()
    chain.forward(mx.io.DataBatch([mx.nd.ones((2, 4))], [mx.nd.ones((2,))]))
    metric = mx.metric.Accuracy()
    chain.update_metric(metric, [mx.nd.ones((2,))])
    assert metric.num_inst == 0             # nothing was measured
    assert chain.symbol is None


def test_sequential_errors_and_state():
    chain = mx.mod.SequentialModule()
    assert chain.add(mx.mod.Module(fc('fc1', 4), label_names=None)) is chain
    with pytest.raises(AssertionError, match='Unknown meta "take_label"'):
        chain.add(mx.mod.Module(fc('fc9', 4), label_names=None), take_label=True)
    with pytest.raises(AssertionError, match='empty'):
        mx.mod.SequentialModule().bind([('data', (2, 4))])
    with pytest.raises(AssertionError):
        chain.output_shapes
    chain = mx.mod.SequentialModule().add(mx.mod.Module(fc('fc1', 4), label_names=None))
    chain.add(mx.mod.Module(fc('fc1', 4), label_names=None), auto_wiring=True)
    chain.bind([('data', (2, 4))])
    with pytest.raises(AssertionError, match='Duplicated parameter names: name "fc1_'):
        chain.init_params()
    chain = two_layer_chain()
    chain.bind([('data', (2, 4))])
    chain.init_params()
    chain.init_optimizer()
    assert chain.binded and chain.optimizer_initialized
    chain.add(mx.mod.Module(fc('fc3', 2), label_names=None), auto_wiring=True)
    assert not (chain.binded or chain.params_initialized or chain.optimizer_initialized)
    assert mx.mod.SequentialModule.META_TAKE_LABELS == 'take_labels'
    assert mx.mod.SequentialModule.META_AUTO_WIRING == 'auto_wiring'


# ------------------------------------------------------------------ Python modules
def softmax_grad(scores, labels):
    """d(cross entropy)/d(scores): softmax(scores) - one_hot(labels)."""
    s = scores.asnumpy()
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(p)), labels.asnumpy().astype(int)] -= 1
    return p


def test_python_loss_module_basics():
    loss = mx.mod.PythonLossModule(grad_func=lambda s, l: s - l.reshape((-1, 1)))
    assert loss.data_names == ['data'] and loss.output_names == ['pyloss_output']
    assert mx.mod.PythonLossModule(name='loss').output_names == ['loss_output']
    loss.bind([('data', (3, 4))], [('softmax_label', (3,))])
    assert loss.output_shapes == [('pyloss_output', (3, 4))]
    assert loss.get_params() == ({}, {})
    scores = mx.nd.array(np.arange(12).reshape(3, 4))
    loss.forward(mx.io.DataBatch([scores], [mx.nd.array([0, 1, 3])]))
    assert loss.get_outputs()[0] is scores
    loss.backward()
    np.testing.assert_array_equal(loss.get_input_grads()[0].asnumpy(),
                                  [[0, 1, 2, 3], [3, 4, 5, 6], [5, 6, 7, 8]])
    metric = mx.metric.Accuracy()
    loss.update_metric(metric, [mx.nd.array([0, 1, 3])])
    assert metric.get() == ('accuracy', 1 / 3)       # every row's argmax is 3


def test_python_loss_module_errors():
    loss = mx.mod.PythonLossModule()
    loss.bind([('data', (3, 4))], [('softmax_label', (3,))])
    loss.forward(mx.io.DataBatch([mx.nd.ones((3, 4))], [mx.nd.ones((3,))]))
    with pytest.raises(NotImplementedError):
        loss.backward()                              # no grad_func
    with pytest.raises(AssertionError, match='out_grads should be None'):
        loss.backward([mx.nd.ones((3, 4))])
    with pytest.raises(AssertionError):
        mx.mod.PythonLossModule(data_names=('a', 'b'))
    with pytest.raises(AssertionError, match='data_names'):
        mx.mod.PythonLossModule().bind([('x', (3, 4))])
    scalar = mx.mod.PythonLossModule(grad_func=lambda s, l: 2)
    scalar.bind([('data', (3, 4))], [('softmax_label', (3,))])
    scalar.forward(mx.io.DataBatch([mx.nd.ones((3, 4))], [mx.nd.ones((3,))]))
    with pytest.raises(ValueError, match=r'shape \(\)'):
        scalar.backward()


def test_python_loss_in_chain_trains_like_softmax_output():
    # numpy softmax gradient + SGD gives what SoftmaxOutput gives (the MXNet values)
    chain = mx.mod.SequentialModule()
    chain.add(mx.mod.Module(fc('fc', 2), label_names=None))
    chain.add(mx.mod.PythonLossModule(grad_func=softmax_grad), take_labels=True,
              auto_wiring=True)
    chain.fit(mx.io.NDArrayIter(X, Y, batch_size=3), num_epoch=2, arg_params=start_params(),
              optimizer_params={'learning_rate': 0.5})
    args, _ = chain.get_params()
    np.testing.assert_allclose(args['fc_weight'].asnumpy(), TRAINED_W, rtol=1e-5)
    np.testing.assert_allclose(args['fc_bias'].asnumpy(), TRAINED_B, rtol=1e-5)
    assert chain.output_names == ['pyloss_output']
    assert chain.score(mx.io.NDArrayIter(X, Y, batch_size=3), 'acc') == [('accuracy', 0.5)]


def test_python_module_subclass():
    class Square(mx.mod.PythonModule):
        def _compute_output_shapes(self):
            return [('square_output', self._data_shapes[0][1])]

        def forward(self, data_batch, is_train=None):
            self._out = data_batch.data[0] ** 2

        def get_outputs(self, merge_multi_context=True):
            return [self._out]

    square = Square(['data'], None, ['square_output'])
    square.bind([('data', (2, 3))])
    assert square.output_shapes == [('square_output', (2, 3))]
    assert square.label_shapes is None
    square.init_params()
    out = square.predict(mx.io.NDArrayIter(np.arange(6).reshape(3, 2), batch_size=2))
    np.testing.assert_array_equal(out.asnumpy(), [[0, 1], [4, 9], [16, 25]])
    with pytest.raises(NotImplementedError):
        square.backward()
    with pytest.raises(NotImplementedError):
        mx.mod.PythonModule(['data'], None, ['o']).bind([('data', (2, 3))])


# ------------------------------------------------------------------ FeedForward
def test_feedforward_fit_matches_mxnet(caplog):
    model = feedforward(softmax_net(), num_epoch=2, learning_rate=0.5,
                        arg_params=start_params())
    with caplog.at_level(logging.INFO):
        model.fit(mx.io.NDArrayIter(X, Y, batch_size=3), eval_data=(X, Y))
    np.testing.assert_allclose(model.arg_params['fc_weight'].asnumpy(), TRAINED_W, rtol=1e-5)
    np.testing.assert_allclose(model.arg_params['fc_bias'].asnumpy(), TRAINED_B, rtol=1e-5)
    np.testing.assert_allclose(model.predict(X), TRAINED_PROBS, rtol=1e-5)
    messages = [r.getMessage().split('=')[0] for r in caplog.records]
    assert messages == ['Start training with [cpu(0)]',
                        'Epoch[0] Resetting Data Iterator', 'Epoch[0] Time cost',
                        'Epoch[0] Validation-accuracy',
                        'Epoch[1] Resetting Data Iterator', 'Epoch[1] Time cost',
                        'Epoch[1] Validation-accuracy']


def test_feedforward_epoch_size_and_callbacks(caplog):
    seen = []
    model = feedforward(softmax_net(), num_epoch=3, epoch_size=2, begin_epoch=1)
    data = mx.io.NDArrayIter(np.random.rand(10, 4), np.arange(10) % 2, batch_size=4)
    with caplog.at_level(logging.INFO):
        model.fit(data, batch_end_callback=lambda p: seen.append(('batch', p.epoch, p.nbatch)),
                  epoch_end_callback=lambda e, s, a, x: seen.append(('epoch', e, sorted(a))))
    # 3 batches per pass: epoch 2 runs out after one batch and resets (as MXNet 1.x)
    assert seen == [('batch', 1, 1), ('batch', 1, 2), ('epoch', 1, ['fc_bias', 'fc_weight']),
                    ('batch', 2, 1), ('batch', 2, 2), ('epoch', 2, ['fc_bias', 'fc_weight'])]
    resets = [r.getMessage() for r in caplog.records if 'Resetting' in r.getMessage()]
    assert resets == ['Epoch[2] Resetting Data Iterator']


def test_feedforward_predict_score_and_padding():
    W = np.zeros((3, 4), 'float32')
    W[0, 0] = W[1, 1] = W[2, 2] = 10
    Xs = np.eye(4, dtype='float32')[[0, 1, 2, 0, 1, 2, 0, 1, 2, 0]]
    ys = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 1], 'float32')
    net = mx.sym.SoftmaxOutput(fc('fc', 3), name='softmax')
    model = feedforward(net, numpy_batch_size=4,
                        arg_params={'fc_weight': mx.nd.array(W), 'fc_bias': mx.nd.zeros((3,))})
    # as MXNet 1.x: the 2 padding examples of the last batch are scored too
    assert model.score(mx.io.NDArrayIter(Xs, ys, batch_size=4)) == pytest.approx(11 / 12)
    assert model.score(mx.io.NDArrayIter(Xs, ys, batch_size=4), num_batch=1) == 1.0
    probs = model.predict(Xs)
    assert isinstance(probs, np.ndarray) and probs.shape == (10, 3)
    assert model.predict(Xs, num_batch=1).shape == (4, 3)
    assert model.predict(Xs, num_batch=0).shape == (10, 3)     # 0 means all, as MXNet
    outputs, data, label = model.predict(mx.io.NDArrayIter(Xs, ys, batch_size=3),
                                         return_data=True)
    assert outputs.shape == (10, 3)
    np.testing.assert_array_equal(data, Xs)
    np.testing.assert_array_equal(label, ys)


def test_feedforward_multi_output_predict():
    data = mx.sym.var('data')
    net = mx.sym.Group([mx.sym.FullyConnected(data, num_hidden=3, name='fc'), data * 2])
    model = feedforward(net, numpy_batch_size=4,
                        arg_params={'fc_weight': mx.nd.ones((3, 4)), 'fc_bias': mx.nd.zeros((3,))})
    outputs = model.predict(np.ones((10, 4)))
    assert [o.shape for o in outputs] == [(10, 3), (10, 4)]
    outputs, data_out, label = model.predict(np.ones((10, 4)), return_data=True)
    assert isinstance(outputs, list) and data_out.shape == (10, 4)
    np.testing.assert_array_equal(label, np.zeros(10))      # numpy X without y


def test_feedforward_save_load_create(tmp_path, caplog):
    prefix = str(tmp_path / 'ff')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        model = mx.model.FeedForward.create(softmax_net(), X, Y, num_epoch=2,
                                            numpy_batch_size=3, learning_rate=0.1)
    assert isinstance(model, mx.model.FeedForward)
    model.save(prefix)                                       # epoch = num_epoch
    model.save(prefix, 7)
    assert sorted(os.listdir(tmp_path)) == ['ff-0002.params', 'ff-0007.params',
                                            'ff-symbol.json']
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        loaded = mx.model.FeedForward.load(prefix, 7, numpy_batch_size=5)
    assert (loaded.begin_epoch, loaded.num_epoch, loaded.numpy_batch_size) == (7, None, 5)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), rtol=1e-6)


def test_feedforward_numpy_input_rules():
    model = feedforward(softmax_net(), num_epoch=1, numpy_batch_size=4)
    with pytest.warns(DeprecationWarning, match='Please use mxnet.mod.Module'):
        mx.model.FeedForward(softmax_net())
    train = model._init_iter(X, Y.reshape(6, 1), is_train=True)
    assert (train.batch_size, train.shuffle, train.last_batch_handle) == (4, True, 'roll_over')
    assert [d.name for d in train.provide_label] == ['softmax_label']
    with pytest.raises(ValueError, match='y must be specified'):
        model.fit(X)
    with pytest.raises(ValueError, match='not equal'):
        model.fit(X, Y.reshape(3, 2))
    with pytest.raises(TypeError, match='X must be DataIter'):
        model.fit(X.tolist(), Y)
    with pytest.raises(TypeError, match='Eval data must be'):
        model.fit(X, Y, eval_data=X)
    with pytest.raises(ValueError, match='no parameters yet'):
        feedforward(softmax_net()).predict(X)
    with pytest.raises(TypeError, match='num_epoch'):
        feedforward(softmax_net()).fit(X, Y)
    # the label is fed to the symbol's own label input
    lro = mx.sym.LinearRegressionOutput(fc('fc', 1), name='lro')
    regression = feedforward(lro, num_epoch=1, numpy_batch_size=3)
    regression.fit(X, Y)
    assert sorted(regression.arg_params) == ['fc_bias', 'fc_weight']
    with pytest.raises(ValueError, match='input named "data"'):
        feedforward(fc('fc', 1, data='x'), num_epoch=1).fit(X, Y)


def test_feedforward_duplicate_arguments():
    net = fc('fc', 2) + fc('fc', 2)
    if len(set(net.list_arguments())) == len(net.list_arguments()):
        pytest.skip('this symbol lists each argument name once')
    with pytest.raises(ValueError, match='Find duplicated argument name'):
        feedforward(net)


# ------------------------------------------------------------------ small pieces
def test_model_namespace_and_attribute():
    assert mx.model.LogValidationMetricsCallback is mx.callback.LogValidationMetricsCallback
    assert mx.attribute.AttrScope is mx.AttrScope
    with mx.attribute.AttrScope(ctx_group='dev1'):
        x = mx.sym.var('x')
    assert x.attr('ctx_group') == 'dev1'


@pytest.mark.parametrize('kvstore, expected', [
    (None, [0.29781, 0.32987]),      # each device steps with its own gradient
    ('local', [0.48646, 0.54781]),   # the devices' gradients summed
])
def test_module_on_two_devices_with_and_without_a_kvstore(kvstore, expected):
    # MXNet 1.9.1's weights after three epochs
    x = np.random.RandomState(0).uniform(size=(8, 2)).astype('float32')
    it = mx.io.NDArrayIter(x, x @ np.array([1.5, 2.0], dtype='float32'), batch_size=4,
                           label_name='lin_label')
    net = mx.sym.LinearRegressionOutput(
        mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1, name='fc'),
        mx.sym.var('lin_label'), name='lro')
    mod = mx.mod.Module(net, label_names=['lin_label'], context=[mx.cpu(0), mx.cpu(1)])
    mod.fit(it, kvstore=kvstore, initializer=mx.init.Zero(), optimizer='sgd',
            optimizer_params={'learning_rate': 0.1}, num_epoch=3)
    np.testing.assert_allclose(mod.get_params()[0]['fc_weight'].asnumpy()[0], expected,
                               atol=1e-5)
