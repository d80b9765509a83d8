"""mx.contrib.svrg_optimization (SVRGModule and its optimizers) and mx.contrib.io
(DataLoaderIter), as in MXNet 1.x. Expected numbers were computed with MXNet 1.9.1
unless a test says it checks where d2lmini deliberately differs."""
import logging
import os

import numpy as np
import pytest

import d2lmini as mx
from d2lmini.contrib.io import DataLoaderIter
from d2lmini.contrib.svrg_optimization.svrg_module import SVRGModule
from d2lmini.contrib.svrg_optimization.svrg_optimizer import (_AssignmentOptimizer,
                                                              _SVRGOptimizer)
from d2lmini.gluon.data import ArrayDataset, DataLoader

# twelve examples of y = x0 + 2 x1 + 1
X = np.array([[1, 2], [3, 1], [2, 2], [4, 3], [1, 4], [2, 1],
              [3, 3], [4, 1], [1, 1], [2, 4], [3, 2], [4, 4]], 'float32')
Y = X @ np.array([1., 2.], 'float32') + 1


def regression(name='fc1'):
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=1, name=name)
    return mx.sym.LinearRegressionOutput(fc, mx.sym.var('lin_reg_label'), name='lro')


def batches(batch_size=4):
    return mx.io.NDArrayIter(X, Y, batch_size=batch_size, label_name='lin_reg_label')


def bound_module(batch_size=4, context=None, name='fc1', update_freq=2):
    it = batches(batch_size)
    mod = SVRGModule(regression(name), label_names=['lin_reg_label'], update_freq=update_freq,
                     context=context or mx.cpu())
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params(mx.init.Constant(0.5))
    return it, mod


def weights(mod, name='fc1'):
    args = mod.get_params()[0]
    return args[name + '_weight'].asnumpy().ravel(), args[name + '_bias'].asnumpy().ravel()


# ------------------------------------------------------------------ the optimizers
def test_svrg_optimizer_assigns_full_keys_and_trains_the_others_in_a_kvstore():
    svrg = _SVRGOptimizer('sgd', learning_rate=0.5, param_idx2name={0: 'w', 1: 'w_full'})
    kv = mx.kv.create('local')
    kv.set_optimizer(svrg)
    kv.init([0, 1], [mx.nd.ones(2), mx.nd.ones(2)])
    kv.push([0, 1], [[mx.nd.array([1., 2.]), mx.nd.array([1., 2.])]] * 2)
    out = [mx.nd.zeros(2), mx.nd.zeros(2)]
    kv.pull([0, 1], out=out)
    np.testing.assert_allclose(out[0].asnumpy(), [0., -1.])   # 1 - 0.5 * (sum of pushes)
    np.testing.assert_allclose(out[1].asnumpy(), [2., 4.])    # the sum of pushes


def test_svrg_optimizer_string_keys_are_names():
    svrg = _SVRGOptimizer('sgd', learning_rate=1.0)
    kv = mx.kv.create('local')
    kv.set_optimizer(svrg)
    kv.init(['fc_weight', 'fc_weight_full'], [mx.nd.zeros(3), mx.nd.ones(3)])
    kv.push(['fc_weight', 'fc_weight_full'], [mx.nd.ones(3), mx.nd.ones(3) * 2])
    out = [mx.nd.zeros(3), mx.nd.zeros(3)]
    kv.pull(['fc_weight', 'fc_weight_full'], out=out)
    np.testing.assert_allclose(out[0].asnumpy(), [-1, -1, -1])
    np.testing.assert_allclose(out[1].asnumpy(), [2, 2, 2])


def test_a_name_that_only_contains_full_is_trained_not_assigned():
    # d2lmini: MXNet 1.x assigned every name containing 'full' (fullyconnected0_weight)
    svrg = _SVRGOptimizer('sgd', learning_rate=0.1,
                          param_idx2name={0: 'fullyconnected0_weight'})
    w = mx.nd.array([1., 1.])
    svrg.update(0, w, mx.nd.array([2., 4.]), svrg.create_state(0, w))
    np.testing.assert_allclose(w.asnumpy(), [0.8, 0.6], rtol=1e-6)


def test_svrg_optimizer_settings_and_errors():
    svrg = _SVRGOptimizer('sgd', learning_rate=-1.0, momentum=0.9)
    assert svrg.default_opt.lr == -1.0 and svrg.default_opt.momentum == 0.9
    assert isinstance(svrg.aux_opt, _AssignmentOptimizer)
    assert type(mx.optimizer.create('_SVRGOptimizer', default_optimizer='adam')).__name__ \
        == '_SVRGOptimizer'
    sgd = mx.optimizer.SGD(learning_rate=0.3)
    assert _SVRGOptimizer(sgd, rescale_grad=0.5).default_opt is sgd
    with pytest.raises(TypeError, match='momentum'):
        _SVRGOptimizer(sgd, momentum=0.9)
    with pytest.raises(TypeError, match='default_optimizer'):
        _SVRGOptimizer(3)
    svrg.set_learning_rate(0.2)
    assert svrg.default_opt.lr == 0.2


def test_svrg_optimizer_keeps_a_lazy_row_sparse_update_lazy():
    svrg = _SVRGOptimizer('sgd', learning_rate=0.5, wd=0.1)
    w = mx.nd.ones((3, 2))
    grad = mx.nd.sparse.row_sparse_array((np.ones((1, 2)), [1]), shape=(3, 2))
    svrg.update(0, w, grad, svrg.create_state(0, w))
    # only row 1 moves: 1 - 0.5 * (1 + 0.1 * 1)
    np.testing.assert_allclose(w.asnumpy(), [[1, 1], [0.45, 0.45], [1, 1]], rtol=1e-6)


def test_svrg_optimizer_is_saved_with_the_optimizers_it_holds():
    svrg = _SVRGOptimizer('sgd', learning_rate=0.5, momentum=0.9,
                          param_idx2name={0: 'w', 1: 'w_full'})
    updater = mx.optimizer.get_updater(svrg)
    updater([0, 1], [mx.nd.ones(2), mx.nd.ones(2)], [mx.nd.ones(2), mx.nd.ones(2)])
    again = mx.optimizer.get_updater(_SVRGOptimizer('sgd'))
    again.set_states(updater.get_states(dump_optimizer=True, format='d2lmini'))
    restored = again.optimizer
    assert type(restored.default_opt).__name__ == 'SGD'
    assert restored.default_opt.momentum == 0.9 and restored.default_opt.lr == 0.5
    assert isinstance(restored.aux_opt, _AssignmentOptimizer)
    assert restored.idx2name == {0: 'w', 1: 'w_full'}
    np.testing.assert_allclose(again.states[0].asnumpy(), [-0.5, -0.5])   # the momentum
    assert again.states[1] is None


# ------------------------------------------------------------------ SVRGModule
def test_update_freq_must_be_a_positive_int():
    for bad, error in ((None, TypeError), (2.0, TypeError), (True, TypeError),
                       (0, ValueError), (-1, ValueError)):
        with pytest.raises(error, match='update_freq'):
            SVRGModule(regression(), label_names=['lin_reg_label'], update_freq=bad)


def test_binding_binds_the_snapshot_module_for_training_only():
    _, mod = bound_module()
    assert mod.binded and mod._mod_aux.binded
    infer = SVRGModule(regression(), label_names=['lin_reg_label'], update_freq=1)
    infer.bind([('data', (4, 2))], [('lin_reg_label', (4,))], for_training=False)
    assert not infer._mod_aux.binded


def test_init_optimizer_wraps_the_named_optimizer():
    _, mod = bound_module()
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.01,
                                                          'momentum': 0.5})
    assert type(mod._optimizer).__name__ == '_SVRGOptimizer'
    assert type(mod._optimizer.default_opt).__name__ == 'SGD'
    assert mod._optimizer.default_opt.rescale_grad == 0.25
    assert sorted(mod._optimizer.idx2name.values()) == [
        'fc1_bias', 'fc1_bias_full', 'fc1_weight', 'fc1_weight_full']


def test_full_gradient_and_two_epochs_match_mxnet():
    it, mod = bound_module()
    mod.init_optimizer(optimizer='sgd', optimizer_params={'learning_rate': 0.01,
                                                          'momentum': 0.5})
    mod.update_full_grads(it)
    np.testing.assert_allclose(mod._param_dict[0]['fc1_weight'].asnumpy(),
                               [[-60.5, -62.166668]], rtol=1e-6)
    np.testing.assert_allclose(mod._param_dict[0]['fc1_bias'].asnumpy(), [-23.0], rtol=1e-6)
    for _ in range(2):
        it.reset()
        for batch in it:
            mod.forward_backward(batch)
            mod.update()
    w, b = weights(mod)
    np.testing.assert_allclose(w, [1.442513, 1.4963397], rtol=1e-5)
    np.testing.assert_allclose(b, [0.36794716], rtol=1e-5)


def test_a_padded_last_batch_counts_as_the_part_it_fills():
    it, mod = bound_module(batch_size=5)   # 12 examples: the third batch has 3 pads
    mod.init_optimizer()
    mod.update_full_grads(it)
    np.testing.assert_allclose(mod._param_dict[0]['fc1_weight'].asnumpy(),
                               [[-86.666664, -87.291664]], rtol=1e-6)
    np.testing.assert_allclose(mod._param_dict[0]['fc1_bias'].asnumpy(), [-34.375], rtol=1e-6)


def test_each_full_gradient_is_computed_afresh():
    # d2lmini: MXNet 1.x gave [-80.67, -82.89] the second time (it added the first
    # full gradient, divided by the number of batches)
    it, mod = bound_module()
    mod.init_optimizer()
    for _ in range(2):
        mod.update_full_grads(it)
        np.testing.assert_allclose(mod._param_dict[0]['fc1_weight'].asnumpy(),
                                   [[-60.5, -62.166668]], rtol=1e-6)


def test_two_devices_with_a_kvstore_match_mxnet():
    it = batches()
    mod = SVRGModule(regression(), label_names=['lin_reg_label'], update_freq=2,
                     context=[mx.cpu(0), mx.cpu(1)])
    mod.fit(it, num_epoch=2, initializer=mx.init.Zero(), optimizer='sgd',
            optimizer_params={'learning_rate': 0.01}, eval_metric='mse')
    assert mod._kvstore is not None and mod._update_on_kvstore
    w, b = weights(mod)
    np.testing.assert_allclose(w, [0.9095523, 0.9166793], rtol=1e-5)
    np.testing.assert_allclose(b, [0.34508315], rtol=1e-5)
    for device in range(2):   # each device holds half of the whole full gradient
        np.testing.assert_allclose(mod._param_dict[device]['fc1_weight'].asnumpy(),
                                   [[-43.666668, -43.833336]], rtol=1e-6)


def test_init_optimizer_on_two_devices_keeps_the_weights():
    # d2lmini: MXNet 1.x overwrote the devices' weights with zeros here
    _, mod = bound_module(context=[mx.cpu(0), mx.cpu(1)])
    mod.init_optimizer()
    for copy in mod._exec_group.param_arrays[0]:
        np.testing.assert_allclose(copy.asnumpy(), [[0.5, 0.5]])


def test_accumulate_kvstore_sums_the_pushed_values():
    _, mod = bound_module()
    mod.init_optimizer(kvstore=mx.kv.create('local'))
    parts = [mx.nd.ones((1, 2)) for _ in range(3)]
    mod._accumulate_kvstore('fc1_weight', parts)
    np.testing.assert_allclose(mod._param_dict[0]['fc1_weight'].asnumpy(), [[3., 3.]])


def test_forward_runs_the_snapshot_when_training():
    it, mod = bound_module()
    mod.init_optimizer()
    mod.update_full_grads(it)
    it.reset()
    first = next(it)
    mod.forward(first)   # is_train defaults to for_training (MXNet ran only the module)
    np.testing.assert_allclose(mod._mod_aux.get_outputs()[0].asnumpy(),
                               mod.get_outputs()[0].asnumpy())
    # 0.5 x0 + 0.5 x1 (Constant initializes weights only: the bias starts at 0)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy().ravel(), [1.5, 2., 2., 3.5])


def test_training_before_a_snapshot_says_what_to_call():
    it, mod = bound_module()
    mod.init_optimizer()
    with pytest.raises(AssertionError, match='update_full_grads'):
        mod.forward_backward(next(it))
    with pytest.raises(AssertionError, match='init_optimizer'):
        bound_module()[1].update_full_grads(it)


def test_fit_trains_and_may_start_at_any_epoch(caplog):
    it = batches()
    mod = SVRGModule(regression(), label_names=['lin_reg_label'], update_freq=3)
    with caplog.at_level(logging.INFO):
        # epoch 1 is no multiple of 3: the first snapshot is taken at once anyway
        mod.fit(it, num_epoch=4, begin_epoch=1, eval_metric='mse',
                initializer=mx.init.Constant(0.5), optimizer_params={'learning_rate': 0.005})
    assert 'Epoch[3] Train-mse' in caplog.text
    assert mod.score(it, 'mse')[0][1] < 12.0   # 36.6 with the initial weights


def test_the_symbols_lr_mult_applies_as_in_a_module():
    # d2lmini: MXNet 1.x's SVRGModule ignored it (the weight became [0.64125, 0.61375])
    weight = mx.sym.var('fc1_weight', lr_mult=0.0)
    fc = mx.sym.FullyConnected(mx.sym.var('data'), weight=weight, num_hidden=1, name='fc1')
    net = mx.sym.LinearRegressionOutput(fc, mx.sym.var('lin_reg_label'), name='lro')
    mod = SVRGModule(net, label_names=['lin_reg_label'], update_freq=1)
    mod.fit(batches(), num_epoch=1, initializer=mx.init.Constant(0.5),
            optimizer_params={'learning_rate': 0.01})
    np.testing.assert_allclose(weights(mod)[0], [0.5, 0.5])
    assert weights(mod)[1][0] != 0.0   # the bias (no lr_mult) is trained


def test_a_fixed_parameter_is_left_alone():
    it = batches()
    mod = SVRGModule(regression(), label_names=['lin_reg_label'], update_freq=1,
                     fixed_param_names=['fc1_bias'])
    mod.fit(it, num_epoch=1, initializer=mx.init.Constant(0.5),
            optimizer_params={'learning_rate': 0.01})
    assert weights(mod)[1] == pytest.approx([0.0])   # Constant leaves biases at 0
    assert weights(mod)[0][0] != pytest.approx(0.5)


def test_checkpoint_with_optimizer_states_loads_into_a_module(tmp_path):
    it, mod = bound_module()
    mod.init_optimizer(optimizer_params={'learning_rate': 0.01, 'momentum': 0.9})
    mod.update_full_grads(it)
    it.reset()
    mod.forward_backward(next(it))
    mod.update()
    prefix = os.path.join(str(tmp_path), 'svrg')
    mod.save_checkpoint(prefix, 1, save_optimizer_states=True)
    again = SVRGModule.load(prefix, 1, load_optimizer_states=True,
                            label_names=['lin_reg_label'])
    again.bind(it.provide_data, it.provide_label)
    again.init_optimizer(optimizer_params={'learning_rate': 0.01, 'momentum': 0.9})
    np.testing.assert_allclose(weights(again)[0], weights(mod)[0])
    assert again._symbol.tojson() == mod._symbol.tojson()


def test_contrib_exposes_the_packages():
    assert mx.contrib.svrg_optimization.svrg_module.SVRGModule is SVRGModule
    assert mx.contrib.io.DataLoaderIter is DataLoaderIter
    with pytest.raises(AttributeError):
        mx.contrib.no_such_package   # noqa: B018


# ------------------------------------------------------------------ DataLoaderIter
def image_dataset(n=100):
    images = np.arange(n * 12, dtype='uint8').reshape(n, 2, 6, 1)
    return ArrayDataset(mx.nd.array(images, dtype='uint8'), np.arange(n, dtype='int32') % 10)


@pytest.mark.parametrize('last_batch, count, pad', [('discard', 100 // 7, 0),
                                                     ('rollover', 100 // 7, 0),
                                                     ('keep', 100 // 7 + 1, 5)])
def test_dataloader_iter_counts_batches_like_the_loader(last_batch, count, pad):
    it = DataLoaderIter(DataLoader(image_dataset(), 7, last_batch=last_batch))
    first = next(it)
    assert first.data[0].shape == (7, 2, 6, 1) and first.label[0].shape == (7,)
    assert first.data[0].dtype == np.float32 and first.label[0].dtype == np.float32
    it.reset()
    seen = list(it)
    assert len(seen) == count
    assert seen[-1].pad == pad and seen[-1].index is None
    assert seen[-1].data[0].shape == (7, 2, 6, 1)


def test_dataloader_iter_pads_with_zeros_in_its_dtype():
    loader = DataLoader(image_dataset(10), 4, last_batch='keep')
    it = DataLoaderIter(loader, data_name='x', label_name='y', dtype='float16')
    assert [(d.name, d.shape, np.dtype(d.dtype)) for d in it.provide_data + it.provide_label] \
        == [('x', (4, 2, 6, 1), np.float16), ('y', (4,), np.float16)]
    last = list(it)[-1]
    assert last.pad == 2
    assert last.data[0].dtype == np.float16 and last.label[0].dtype == np.float16
    np.testing.assert_array_equal(last.data[0].asnumpy()[2:], 0)
    np.testing.assert_array_equal(last.label[0].asnumpy(), [8, 9, 0, 0])


def test_dataloader_iter_feeds_a_module():
    loader = DataLoader(ArrayDataset(X, Y), batch_size=4)
    it = DataLoaderIter(loader, label_name='lin_reg_label')
    mod = mx.mod.Module(regression(), label_names=['lin_reg_label'])
    mod.fit(it, num_epoch=2, initializer=mx.init.Constant(0.5),
            optimizer_params={'learning_rate': 0.005}, eval_metric='mse')
    assert mod.predict(it).shape == (12, 1)


def test_dataloader_iter_rejects_what_it_cannot_read():
    with pytest.raises(ValueError, match='yields no batch'):
        DataLoaderIter(DataLoader(image_dataset(3), 4, last_batch='discard'))
    with pytest.raises(ValueError, match=r'\(data, label\)'):
        DataLoaderIter(DataLoader(ArrayDataset(X), 4))
