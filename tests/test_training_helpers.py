"""Training utilities (d2lmini.training) and plotting (d2lmini.plotting)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import d2lmini as mx
from d2lmini import plotting, training
from d2lmini.gluon.data import ArrayDataset, DataLoader
from d2lmini.training import Accumulator, Timer, accuracy, evaluate_accuracy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_python(code):
    """Run ``code`` in a fresh interpreter that imports this checkout's d2lmini, whatever
    the current folder and whether or how d2lmini is installed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    return subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------ Timer, Accumulator
def test_timer_records_start_stop_intervals(monkeypatch):
    clock = iter([10.0, 11.5, 20.0, 20.5, 30.0, 32.0])
    monkeypatch.setattr(training.time, 'perf_counter', lambda: next(clock))
    timer = Timer()                   # starts at 10
    assert timer.stop() == 1.5
    timer.start()                     # 20
    assert timer.stop() == 0.5
    timer.start()                     # 30
    timer.stop()
    assert timer.times == [1.5, 0.5, 2.0]
    assert timer.sum() == 4.0 and timer.avg() == 4.0 / 3
    assert timer.cumsum() == [1.5, 2.0, 4.0]


def test_accumulator():
    metric = Accumulator(3)
    metric.add(1, 2.5, np.float32(3))
    metric.add(mx.nd.array([2]), 0.5, 1)
    assert [metric[i] for i in range(3)] == [3.0, 3.0, 4.0]
    assert all(type(v) is float for v in metric.data)
    metric.reset()
    assert metric.data == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match='holds 3 sums, but add\\(\\) got 2'):
        metric.add(1, 2)


# ------------------------------------------------------------------ accuracy
def test_accuracy_counts_correct_predictions():
    scores = mx.nd.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0, 1, 0]])
    assert accuracy(scores, mx.nd.array([1, 0, 0, 1])) == 3.0
    assert accuracy(scores, mx.nd.array([1, 0, 2, 0], dtype='int32')) == 3.0
    assert type(accuracy(scores, mx.nd.array([0, 0, 0, 0]))) is float
    # predicted classes directly, as a vector or a column
    assert accuracy(mx.nd.array([2, 1, 0]), mx.nd.array([2, 1, 1])) == 2.0
    assert accuracy(mx.nd.array([[2], [1], [0]]), mx.nd.array([2, 0, 0])) == 2.0


def test_evaluate_accuracy_over_batches_and_contexts():
    X = np.array([[0, 1], [1, 0], [1, 0], [0, 1], [1, 0]], dtype='float32')
    y = np.array([1, 0, 1, 1, 1], dtype='int32')
    loader = DataLoader(ArrayDataset(X, y), batch_size=2)
    seen = []

    def net(batch):
        seen.append(batch.context)
        return batch
    assert evaluate_accuracy(net, loader) == 3 / 5
    assert evaluate_accuracy(net, loader, ctx=mx.cpu(1)) == 3 / 5
    assert evaluate_accuracy(net, loader, ctx=[mx.cpu(2), mx.cpu(3)]) == 3 / 5
    assert seen[0] == mx.cpu(0) and seen[-1] == mx.cpu(2) and mx.cpu(1) in seen

    class Param:  # what a Gluon parameter says about where it lives
        def list_ctx(self):
            return [mx.cpu(5), mx.cpu(6)]

    class Block:  # a Gluon network: its batches go where its first parameter is
        collect_params = staticmethod(lambda: {'w': Param()})
        __call__ = staticmethod(net)
    seen.clear()
    assert evaluate_accuracy(Block(), loader) == 3 / 5
    assert set(seen) == {mx.cpu(5)}


# ------------------------------------------------------------------ devices
def test_try_gpu_falls_back_to_the_cpu(monkeypatch):
    monkeypatch.setattr(training, 'num_gpus', lambda: 0)
    assert training.try_gpu() == mx.cpu() and training.try_gpu(3) == mx.cpu()
    assert training.try_all_gpus() == [mx.cpu()]
    monkeypatch.setattr(training, 'num_gpus', lambda: 2)
    assert training.try_gpu() == mx.gpu(0) and training.try_gpu(1) == mx.gpu(1)
    assert training.try_gpu(2) == mx.cpu()
    assert training.try_all_gpus() == [mx.gpu(0), mx.gpu(1)]


def test_try_gpu_without_a_gpu_in_a_fresh_interpreter():
    code = ('import d2lmini as mx; from d2lmini import training, backend; '
            'n = mx.num_gpus(); ctx = training.try_gpu(); '
            'assert (ctx == mx.cpu()) == (n == 0), (n, ctx); '
            'assert n or training.try_all_gpus() == [mx.cpu()]; print("ok")')
    out = run_python(code)
    assert out.stdout.strip() == 'ok', out.stderr


@pytest.mark.gpu
def test_try_gpu_on_a_gpu_machine():
    assert training.try_gpu() == mx.gpu(0)
    assert training.try_all_gpus()[0] == mx.gpu(0)


# ------------------------------------------------------------------ training loops
def two_class_data(n=64, seed=0):
    """Points in the unit square, labelled 1 where x1 > x0."""
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 2).astype('float32')
    return X, (X[:, 1] > X[:, 0]).astype('int32')


class TinyModel:
    """Per-feature scores ``X * w``: class k's score is w_k x_k. Learnable to
    perfection on two_class_data (w0 = w1 > 0); starts wrong (w1 < 0 < w0)."""

    def __init__(self):
        self.w = mx.nd.array([[1.0, -1.0]])
        self.w.attach_grad()
        self.batch_sizes = []

    def __call__(self, X):
        return X * self.w

    def sgd(self, batch_size, lr=0.5):
        self.batch_sizes.append(batch_size)
        self.w -= lr * self.w.grad / batch_size


def squared_loss(y_hat, y):
    """Per-example squared error against one-hot labels."""
    one_hot = mx.nd.array(np.eye(2, dtype='float32')[y.asnumpy()])
    return ((y_hat - one_hot) ** 2).sum(axis=1)


def test_train_epoch_updates_and_reports_mean_loss_and_accuracy():
    X, y = two_class_data()
    loader = DataLoader(ArrayDataset(X, y), batch_size=16)
    model = TinyModel()
    before = evaluate_accuracy(model, loader)
    loss, acc = training.train_epoch(model, loader, squared_loss, model.sgd)
    assert model.batch_sizes == [16, 16, 16, 16]
    assert 0 < loss and 0 <= acc <= 1
    loss2, acc2 = training.train_epoch(model, loader, squared_loss, model.sgd)
    assert loss2 < loss and acc2 >= acc
    assert evaluate_accuracy(model, loader) > before


def test_train_accepts_an_object_with_step_and_feeds_the_animator():
    np.random.seed(0)  # the shuffling
    X, y = two_class_data()
    train_iter = DataLoader(ArrayDataset(X, y), batch_size=32, shuffle=True)
    test_iter = DataLoader(ArrayDataset(*two_class_data(seed=1)), batch_size=32)
    model = TinyModel()

    class Trainer:  # the shape of gluon.Trainer: step(batch_size)
        def step(self, batch_size):
            model.sgd(batch_size)

    class Recorder:
        calls = []

        def add(self, x, y):
            self.calls.append((x, tuple(y)))

    animator = Recorder()
    result = training.train(model, train_iter, test_iter, squared_loss, 8, Trainer(),
                            animator)
    assert [c[0] for c in animator.calls] == list(range(1, 9))
    assert result == animator.calls[-1][1]
    train_loss, train_acc, test_acc = result
    first_loss = animator.calls[0][1][0]
    assert train_loss < first_loss and train_acc > 0.9 and test_acc > 0.9


def test_train_checks_its_arguments():
    loader = DataLoader(ArrayDataset(*two_class_data(8)), batch_size=4)
    with pytest.raises(TypeError, match='updater must be a function'):
        training.train_epoch(TinyModel(), loader, squared_loss, updater=3)
    with pytest.raises(ValueError, match='num_epochs must be at least 1'):
        training.train(TinyModel(), loader, loader, squared_loss, 0, lambda n: None)


# ------------------------------------------------------------------ plotting
def test_importing_d2lmini_does_not_import_matplotlib():
    code = ('import sys, d2lmini, d2lmini.plotting, d2lmini.training, d2lmini.gluon; '
            'print("matplotlib" in sys.modules, "IPython" in sys.modules)')
    out = run_python(code)
    assert out.stdout.split() == ['False', 'False'], out.stderr


def test_animator_outside_jupyter_draws_quietly(capsys):
    animator = plotting.Animator(xlabel='epoch', legend=['loss', 'acc'], xlim=[1, 3],
                                 ylim=[0, 2], fmts=('-', 'm--'), figsize=(3, 2))
    for epoch in (1, 2, 3):
        animator.add(epoch, (1 / epoch, None if epoch == 2 else 0.5 * epoch))
    assert capsys.readouterr() == ('', '')
    axes = animator.axes[0]
    loss, acc = axes.get_lines()
    assert list(loss.get_xdata()) == [1, 2, 3] and list(acc.get_xdata()) == [1, 3]
    assert list(acc.get_ydata()) == [0.5, 1.5] and acc.get_linestyle() == '--'
    assert axes.get_xlabel() == 'epoch' and tuple(axes.get_xlim()) == (1, 3)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ['loss', 'acc']
    assert tuple(animator.fig.get_size_inches()) == (3, 2)
    with pytest.raises(ValueError, match='2 lines, but add\\(\\) got 3'):
        animator.add(4, (1, 2, 3))
    grid = plotting.Animator(nrows=2, ncols=2)
    grid.add(1, 5)
    assert len(grid.axes) == 4 and grid.Y == [[5.0]]


def test_animator_in_jupyter_replaces_its_picture(monkeypatch):
    pytest.importorskip('IPython')
    from IPython import display
    shown = []
    monkeypatch.setattr(plotting, '_in_notebook', lambda: True)
    monkeypatch.setattr(display, 'display', lambda obj: shown.append(('display', obj)))
    monkeypatch.setattr(display, 'clear_output',
                        lambda wait=False: shown.append(('clear', wait)))
    animator = plotting.Animator(legend=['a'])
    animator.add(1, 0.5)
    animator.add(2, 0.25)
    assert shown == [('clear', True), ('display', animator.fig)] * 2


def test_plot_draws_series():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    x = np.arange(5)
    _, axes = plt.subplots()
    assert plotting.plot(x, [x ** 2, 2 * x], 'x', 'f(x)', legend=['x^2', '2x'],
                         axes=axes) is None  # nothing to echo in a notebook
    assert [list(line.get_ydata()) for line in axes.get_lines()] == \
        [[0, 1, 4, 9, 16], [0, 2, 4, 6, 8]]
    assert [line.get_linestyle() for line in axes.get_lines()] == ['-', '--']
    assert axes.get_xlabel() == 'x' and axes.get_ylabel() == 'f(x)'
    plt.close('all')
    plotting.plot(mx.nd.array([3, 1, 2]))  # on pyplot's current axes; x counts 0, 1, 2
    line, = plt.gca().get_lines()
    assert list(line.get_xdata()) == [0, 1, 2] and list(line.get_ydata()) == [3, 1, 2]
    plotting.set_figsize((2, 1))
    assert tuple(plt.rcParams['figure.figsize']) == (2, 1)
    plt.close('all')
