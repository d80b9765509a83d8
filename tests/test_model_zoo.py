"""``gluon.model_zoo`` against real MXNet 1.9.1 (tests/fixtures/model_zoo/, made by
tools/make_model_zoo_fixtures.py, whose docstring explains the three checks): every
constructor's parameter names and shapes, the outputs of two full networks with
weights regenerated on both sides, and MXNet's own ``.params`` files of two narrow
networks. The pretrained-weights store is tested on local files and a refused port;
nothing touches the network."""
import hashlib
import json
import os
import socket
import time
import zipfile

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import autograd, nd
from d2lmini.download import DownloadError
from d2lmini.gluon.model_zoo import model_store, vision
from fixture_tools import load_tool

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, 'fixtures', 'model_zoo')


TOOL = load_tool('make_model_zoo_fixtures')
with open(os.path.join(FIXTURES, 'names_shapes.json')) as f:
    STRUCTURE = json.load(f)
with open(os.path.join(FIXTURES, 'outputs.json')) as f:
    OUTPUTS = json.load(f)
with open(os.path.join(FIXTURES, 'graph_sha1.json')) as f:
    GRAPHS = json.load(f)


@pytest.mark.parametrize('name', sorted(GRAPHS['sha1']))
def test_exported_graphs_are_mxnets_bytes(name, tmp_path):
    """Hybridized, run once and exported, a zoo network's graph file is the one MXNet
    1.9.1 writes, byte for byte (node order, names, attributes and all)."""
    path = TOOL.export_graph(mx, name, GRAPHS['sizes'][name], str(tmp_path))
    with open(path, 'rb') as f:
        assert hashlib.sha1(f.read()).hexdigest() == GRAPHS['sha1'][name]


def test_fixtures_cover_every_constructor():
    assert sorted(STRUCTURE) == sorted(TOOL.CONSTRUCTORS)
    for name in STRUCTURE:
        assert callable(getattr(vision, name))


@pytest.mark.parametrize('name', sorted(STRUCTURE))
def test_parameter_names_and_shapes_are_mxnets(name):
    expected = STRUCTURE[name]
    with mx.name.NameManager():
        net = getattr(vision, name)(classes=TOOL.CLASSES)
    net.initialize()
    out = net(nd.array(TOOL.test_input(expected['input'])))
    assert list(out.shape) == expected['output']
    params = net.collect_params()
    got = [[k, list(params[k].shape)] for k in sorted(params.keys())]
    assert got == expected['params']


def _filled(name):
    size = OUTPUTS['full'][name]
    with mx.name.NameManager():
        net = getattr(vision, name)(classes=OUTPUTS['classes'])
    net.initialize()
    x = nd.array(TOOL.test_input(size))
    net(x)
    params = net.collect_params()
    for pname, value in TOOL.fill_parameters({k: p.shape for k, p in params.items()}).items():
        params[pname].set_data(nd.array(value))
    return net, x


@pytest.mark.parametrize('name', ['resnet18_v1', 'densenet121'])
def test_full_networks_compute_what_mxnet_computes(name):
    net, x = _filled(name)
    expected = np.array(OUTPUTS['outputs'][name], dtype=np.float32)
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-3, atol=1e-3)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize('name', ['tiny_resnet', 'tiny_densenet'])
def test_mxnet_params_files_load_and_give_mxnets_outputs(name, tmp_path):
    net, size = TOOL.tiny_nets(vision)[name]
    path = os.path.join(FIXTURES, name + '.params')
    net.load_parameters(path)
    x = nd.array(TOOL.test_input(size))
    expected = np.array(OUTPUTS['outputs'][name], dtype=np.float32)
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)
    # and saving them again writes MXNet's file, byte for byte
    net.save_parameters(str(tmp_path / 'again.params'))
    with open(path, 'rb') as a, open(tmp_path / 'again.params', 'rb') as b:
        assert a.read() == b.read()


def test_blocks_train_in_both_modes():
    net = vision.ResNetV2(vision.BottleneckV2, [1, 1], [8, 16, 32], classes=3,
                          thumbnail=True)
    net.initialize(mx.init.Xavier())
    x = nd.array(TOOL.test_input(8)[:, :, :, :])
    grads = []
    for hybrid in (False, True):
        net.hybridize(hybrid)
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        grads.append(net.output.weight.grad().asnumpy().copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


def test_get_model_knows_mxnets_names():
    assert vision.get_model('SqueezeNet1.1', classes=4).name.startswith('squeezenet')
    assert isinstance(vision.get_model('resnet18_v2'), vision.ResNetV2)
    assert isinstance(vision.get_model('mobilenetv2_0.25'), vision.MobileNetV2)
    with pytest.raises(ValueError, match='resnet18_v1'):
        vision.get_model('resnet19')


def test_names_follow_mxnets_prefixes():
    with mx.name.NameManager():
        assert vision.resnet18_v1().prefix == 'resnetv10_'
        assert vision.resnet18_v1().prefix == 'resnetv11_'
        assert vision.resnet50_v2().prefix == 'resnetv20_'
        net = vision.densenet121()
    assert net.prefix == 'densenet0_'
    assert 'densenet0_stage1_conv0_weight' in net.collect_params().keys()


# ------------------------------------------------------------------ model_store
def test_file_names_and_hashes_are_mxnets():
    assert model_store.short_hash('resnet18_v1') == 'a0666292'
    assert model_store.short_hash('mobilenetv2_0.25') == 'ae8f9392'
    assert len(model_store._model_sha1) == 34
    with pytest.raises(ValueError, match='not available'):
        model_store.short_hash('resnet19_v1')


def _sha1(path):
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).hexdigest()


def test_pretrained_downloads_unzips_and_loads(tmp_path, monkeypatch):
    # a "store" on disk holding a resnet18_v1 with 10 classes under MXNet's file name
    source = vision.resnet18_v1(classes=10)
    source.initialize(mx.init.Xavier())
    x = nd.array(TOOL.test_input(32))
    source(x)
    params_path = str(tmp_path / 'weights.params')
    source.save_parameters(params_path)
    sha1 = _sha1(params_path)
    monkeypatch.setitem(model_store._model_sha1, 'resnet18_v1', sha1)
    file_name = f'resnet18_v1-{sha1[:8]}'
    store = tmp_path / 'repo' / 'gluon' / 'models'
    store.mkdir(parents=True)
    with zipfile.ZipFile(store / (file_name + '.zip'), 'w') as zf:
        zf.write(params_path, file_name + '.params')
    monkeypatch.setenv('MXNET_GLUON_REPO', 'file://' + str(tmp_path / 'repo'))
    root = tmp_path / 'models'

    net = vision.resnet18_v1(classes=10, pretrained=True, root=str(root))
    assert sorted(os.listdir(root)) == [file_name + '.params']   # nothing left over
    np.testing.assert_allclose(net(x).asnumpy(), source(x).asnumpy(), rtol=1e-5)
    # present with the right sum: not downloaded again
    monkeypatch.setenv('MXNET_GLUON_REPO', 'file:///nowhere/')
    assert model_store.get_model_file('resnet18_v1', root=str(root)) == \
        str(root / (file_name + '.params'))
    model_store.purge(str(root))
    assert os.listdir(root) == []


def _refused_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]   # closed again: connecting is refused


def test_pretrained_offline_fails_fast_and_says_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_GLUON_REPO', f'http://127.0.0.1:{_refused_port()}')
    start = time.perf_counter()
    with pytest.raises(DownloadError) as info:
        vision.alexnet(pretrained=True, root=str(tmp_path))
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert 'gluon/models/alexnet-44335d1f.zip' in message
    assert 'alexnet-44335d1f.params' in message and str(tmp_path) in message
    assert os.listdir(tmp_path) == []


def _has_dropout(block):
    from d2lmini.gluon import nn
    return isinstance(block, nn.Dropout) or any(_has_dropout(c)
                                                for c in block._children.values())


@pytest.mark.gpu
@pytest.mark.parametrize('name', sorted(STRUCTURE))
def test_one_training_step_agrees_on_cpu_and_gpu(name, tmp_path):
    """The same weights give the same loss and gradients on the CPU and the GPU, for
    every network of the zoo, after one training step (Dropout, whose random masks
    differ between the two devices, is switched off by predict mode in those nets)."""
    from d2lmini import backend, gluon
    if backend.num_gpus() == 0:
        pytest.skip('no GPU')
    size = STRUCTURE[name]['input']
    x = np.concatenate([TOOL.test_input(size, seed=1), TOOL.test_input(size, seed=2)])
    y = np.array([1, 3], dtype=np.float32)
    path = str(tmp_path / 'start.params')
    results = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        mx.random.seed(0)
        with mx.name.NameManager():
            net = getattr(vision, name)(classes=TOOL.CLASSES)
        if ctx == mx.cpu():
            net.initialize(mx.init.Xavier(), ctx=ctx)
            net(nd.array(x, ctx=ctx))
            net.save_parameters(path)
        else:
            net.load_parameters(path, ctx=ctx)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01})
        with autograd.record(train_mode=not _has_dropout(net)):
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(nd.array(x, ctx=ctx)),
                                                         nd.array(y, ctx=ctx))
        loss.backward()
        params = net.collect_params()
        grads = {k: p.grad(ctx).asnumpy() for k, p in params.items() if p.grad_req != 'null'}
        trainer.step(len(x))
        results.append((loss.asnumpy(), grads,
                        {k: p.data(ctx).asnumpy() for k, p in params.items()}))
    (loss_c, grads_c, after_c), (loss_g, grads_g, after_g) = results
    np.testing.assert_allclose(loss_g, loss_c, rtol=1e-3, atol=1e-4)
    assert sorted(grads_g) == sorted(grads_c)
    for k in grads_c:
        # float32 sums in other orders: compare relative to the gradient's scale
        scale = float(np.abs(grads_c[k]).max()) + 1e-6
        assert np.abs(grads_g[k] - grads_c[k]).max() <= 1e-3 * scale + 1e-5, k
    for k in after_c:   # includes BatchNorm's moving statistics
        scale = float(np.abs(after_c[k]).max()) + 1e-6
        assert np.abs(after_g[k] - after_c[k]).max() <= 1e-3 * scale + 1e-5, k
