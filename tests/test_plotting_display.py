"""How figures reach the reader: PNG output in Jupyter, legends that hide no line, axes
that hold every point, and the BLAS thread count that d2lmini picks at import."""
import io
import json
import os
import subprocess
import sys

import matplotlib
import pytest

from d2lmini import plotting

matplotlib.use('Agg')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _figure():
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.plot([0, 1, 2], [2, 0, 1], 'C0-')
    ax.plot([0, 1, 2], [0, 1, 2], 'm--')
    return fig


# ------------------------------------------------------------------ PNG for Jupyter
def test_png_is_drawn_at_twice_the_size_it_is_shown():
    from PIL import Image
    data, size = plotting._png(_figure())
    image = Image.open(io.BytesIO(data))
    assert image.format == 'PNG'
    assert (size['width'], size['height']) == (image.width // 2, image.height // 2)
    assert 200 <= size['width'] <= 300    # about 3 inches at 72 dpi, cropped to the drawing


def test_png_is_small_and_names_no_software_version():
    from PIL import Image
    data, _ = plotting._png(_figure())
    image = Image.open(io.BytesIO(data))
    assert image.mode == 'P'              # a palette of at most 256 colours
    assert 'Software' not in image.info
    assert b'matplotlib' not in data.lower()
    assert plotting._png(_figure())[0] == data   # the same figure, the same bytes


@pytest.fixture
def shell(monkeypatch):
    """An IPython shell, as in a notebook, removed afterwards."""
    pytest.importorskip('IPython')
    from IPython.core.interactiveshell import InteractiveShell
    had_one = InteractiveShell.initialized()
    shell = InteractiveShell.instance()
    monkeypatch.setattr(plotting, '_in_notebook', lambda: True)
    yield shell
    if not had_one:
        InteractiveShell.clear_instance()


def _formats_for_figures(shell):
    from matplotlib.figure import Figure
    formatters = shell.display_formatter.formatters
    return sorted(mime for mime in ('image/png', 'image/svg+xml', 'application/pdf')
                  if _has(formatters[mime], Figure))


def _has(formatter, cls):
    try:
        formatter.lookup_by_type(cls)
        return True
    except KeyError:
        return False


def test_use_png_display_shows_figures_as_png_only(shell):
    plotting.use_png_display()
    assert _formats_for_figures(shell) == ['image/png']
    data, metadata = shell.display_formatter.format(_figure())
    assert 'image/png' in data and 'image/svg+xml' not in data
    assert metadata['image/png']['width'] > 0


def test_use_svg_display_keeps_a_png_beside_the_svg(shell):
    plotting.use_svg_display()
    assert _formats_for_figures(shell) == ['image/png', 'image/svg+xml']
    data, _ = shell.display_formatter.format(_figure())
    assert {'image/png', 'image/svg+xml'} <= set(data)
    plotting.use_png_display()
    assert _formats_for_figures(shell) == ['image/png']


# ------------------------------------------------------------------ axes and legends
def test_animator_without_ylim_holds_every_point():
    animator = plotting.Animator(xlabel='epoch', xlim=[1, 3],
                                 legend=['train loss', 'train acc', 'test acc'])
    for epoch, row in enumerate([(2.3, 0.1, 0.1), (0.6, 0.8, 0.8), (0.2, 0.95, 0.93)], 1):
        animator.add(epoch, row)
    low, high = animator.axes[0].get_ylim()
    assert low <= 0.1 and high >= 2.3     # the first loss is not cut off


def test_log_axes_need_no_limits():
    import warnings
    animator = plotting.Animator(yscale='log', legend=['loss'])
    with warnings.catch_warnings():
        warnings.simplefilter('error')    # no 'non-positive ylim on a log-scaled axis'
        for epoch, loss in enumerate([2.3, 0.1, 0.001], 1):
            animator.add(epoch, loss)
    low, high = animator.axes[0].get_ylim()
    assert 0 < low <= 0.001 and high >= 2.3


def test_legend_outside_leaves_the_axes_free():
    animator = plotting.Animator(legend=['a', 'b'], legend_loc='outside', figsize=(5, 3))
    for x in range(1, 4):
        animator.add(x, (x, 2 * x))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig = animator.fig
    FigureCanvasAgg(fig).draw()          # as Jupyter draws it, layout included
    axes_box = animator.axes[0].get_window_extent()
    legend_box = animator.axes[0].get_legend().get_window_extent()
    assert legend_box.x0 >= axes_box.x1                  # right of the plot
    assert legend_box.x1 <= fig.bbox.x1                  # and still inside the figure
    assert tuple(fig.get_size_inches()) == (5, 3)


def test_plot_passes_the_legend_place_on():
    import matplotlib.pyplot as plt
    _, axes = plt.subplots()
    plotting.plot([0, 1], [[0, 1], [1, 0]], legend=['up', 'down'], axes=axes,
                  legend_loc='lower left')
    assert axes.get_legend()._loc == 3    # matplotlib's code for 'lower left'
    plt.close('all')


# ------------------------------------------------------------------ BLAS threads
def _blas_threads(env_changes):
    """The thread counts of the BLAS libraries after ``import d2lmini``, in a fresh
    interpreter with the given environment changes (None removes a variable)."""
    pytest.importorskip('threadpoolctl')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    for name in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
                 'D2LMINI_NUM_THREADS'):
        env.pop(name, None)
    env.update(env_changes)
    code = ('import numpy, json; import d2lmini; from threadpoolctl import threadpool_info; '
            'print(json.dumps([i["num_threads"] for i in threadpool_info() '
            'if i["user_api"] == "blas"]))')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_import_runs_the_blas_on_one_thread_by_default():
    assert set(_blas_threads({})) <= {1}


def test_a_thread_count_the_user_chose_is_kept():
    cores = os.cpu_count() or 1
    if cores < 2:
        pytest.skip('needs two cores to tell the counts apart')
    assert set(_blas_threads({'OPENBLAS_NUM_THREADS': '2', 'OMP_NUM_THREADS': '2'})) <= {2}
    assert set(_blas_threads({'D2LMINI_NUM_THREADS': '2'})) <= {2}


def test_a_bad_thread_count_is_an_error():
    with pytest.raises(subprocess.CalledProcessError) as e:
        _blas_threads({'D2LMINI_NUM_THREADS': 'many'})
    assert 'D2LMINI_NUM_THREADS' in e.value.stderr
