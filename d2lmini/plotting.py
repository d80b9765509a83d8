"""Plots for the chapters: line plots, and an :class:`Animator` that redraws a figure
as training goes.

matplotlib is imported only when a plot is made, so ``import d2lmini`` stays fast.
In Jupyter the figures are shown inline as PNG images at twice the screen's
resolution; elsewhere (a script, a test run) the Animator draws quietly into its
figure, which ``animator.fig.savefig`` can save.

>>> animator = Animator(xlabel='epoch', legend=['train loss', 'test acc'], xlim=[1, 3])
>>> for epoch in range(1, 4):
...     animator.add(epoch, (1 / epoch, 0.3 * epoch))
>>> animator.Y[0]
[1.0, 0.5, 0.3333333333333333]
"""
__all__ = ['use_png_display', 'use_svg_display', 'set_figsize', 'set_axes', 'plot',
           'Animator']


def _in_notebook():
    """Whether we run in a Jupyter kernel (where figures can be shown inline)."""
    import sys
    if 'IPython' not in sys.modules:  # not even IPython: certainly no notebook
        return False
    from IPython import get_ipython
    shell = get_ipython()
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


def _png(fig):
    """``(PNG bytes, {'width', 'height'})`` of a matplotlib figure, for Jupyter.

    The picture is drawn at twice the figure's size and shown at its size, so it
    stays sharp on high-density screens; it is then reduced to at most 256 colours,
    which line plots never use up, for a file about a third as large (a notebook
    stores every figure it shows). The file names no software version, so the same
    figure gives the same bytes with any matplotlib.
    """
    import io
    from PIL import Image
    from IPython.core.pylabtools import print_figure
    data = print_figure(fig, 'retina', bbox_inches='tight', metadata={'Software': None})
    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(out, 'png')
    return out.getvalue(), {'width': image.width // 2, 'height': image.height // 2}


def _inline_formats(*formats):
    """Show figures inline in the ``formats`` that matplotlib-inline knows, with
    ``'png'`` made by :func:`_png`."""
    from IPython import get_ipython
    from matplotlib.figure import Figure
    from matplotlib_inline import backend_inline
    backend_inline.set_matplotlib_formats(*formats)
    if 'png' in formats:
        get_ipython().display_formatter.formatters['image/png'].for_type(Figure, _png)


def use_png_display():
    """Show inline figures in Jupyter as PNG images drawn at twice the screen's
    resolution, so that they stay sharp on high-density screens; elsewhere nothing.

    This is what the chapters use. JupyterLab shows a PNG in every notebook, while it
    hides SVG images in a notebook that it does not trust, which is any notebook you
    did not run yourself (a fresh clone, a download). PNGs are also what a notebook
    converted to HTML and most notebook viewers show.
    """
    if _in_notebook():
        _inline_formats('png')


def use_svg_display():
    """Show inline figures in Jupyter as SVG (sharp at any zoom), each with a PNG
    copy beside it for where SVG is not shown (an untrusted notebook in JupyterLab);
    elsewhere nothing."""
    if _in_notebook():
        _inline_formats('svg', 'png')


def set_figsize(figsize=(3.5, 2.5)):
    """The size, in inches, of figures made from now on with ``plot``."""
    import matplotlib.pyplot as plt
    use_png_display()
    plt.rcParams['figure.figsize'] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend, legend_loc=None):
    """Labels, ranges, scales and legend of matplotlib ``axes``, in one call.

    ``legend_loc`` is where the legend goes, as matplotlib's ``loc`` (``'best'`` by
    default), or ``'outside'``: to the right of the axes, where it hides no line.
    """
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:  # else matplotlib fits the range to the data
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        if legend_loc == 'outside':
            axes.legend(legend, loc='upper left', bbox_to_anchor=(1.02, 1), borderaxespad=0)
        else:
            axes.legend(legend, loc=legend_loc)
    axes.grid()


def _has_one_axis(X):
    """True for a single series (a 1-D array or a flat list), False for several."""
    return (hasattr(X, 'ndim') and X.ndim == 1
            or isinstance(X, list) and not hasattr(X[0], '__len__'))


def _as_list(v):
    return v.asnumpy() if hasattr(v, 'asnumpy') else v


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
         figsize=(3.5, 2.5), axes=None, legend_loc=None):
    """Plot one or several series. ``X`` and ``Y`` are arrays or lists of them; with
    ``Y`` omitted, ``X`` holds the values and the x axis counts 0, 1, 2, ...

    It draws on ``axes``, or on pyplot's current axes, which Jupyter shows at the
    end of the cell.
    """
    import matplotlib.pyplot as plt
    if legend is None:
        legend = []
    set_figsize(figsize)
    axes = axes if axes is not None else plt.gca()
    X = _as_list(X) if not isinstance(X, list) else [_as_list(x) for x in X]
    if Y is not None:
        Y = _as_list(Y) if not isinstance(Y, list) else [_as_list(y) for y in Y]
    if _has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif _has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend, legend_loc)


class Animator:
    """A figure of lines that grow point by point: ``add(x, ys)`` appends one point
    to every line and redraws. In Jupyter the figure is replaced in place in the
    cell's output; elsewhere nothing is shown or printed.

    ``legend`` names the lines; the other arguments are matplotlib's, as in
    :func:`plot`. Without ``ylim`` the y axis grows with the values, so that no
    point falls outside the picture (``yscale='log'`` suits a loss that falls by
    orders of magnitude). ``legend_loc='outside'`` puts the legend right of the plot,
    where it cannot hide a line. ``nrows``/``ncols`` make a grid of plots, of which
    the first is used.
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
                 nrows=1, ncols=1, figsize=(3.5, 2.5), legend_loc=None):
        # A Figure made directly, not through pyplot: pyplot would keep every
        # animator's figure alive, and Jupyter would show it a second time at the
        # end of the cell.
        from matplotlib.figure import Figure
        use_png_display()
        # a legend outside the axes needs room: the constrained layout shrinks the
        # axes so that the figure keeps its size and still holds the legend
        self.fig = Figure(figsize=figsize,
                          layout='constrained' if legend_loc == 'outside' else None)
        axes = self.fig.subplots(nrows, ncols, squeeze=False)
        self.axes = list(axes.ravel())
        self._config = (xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [], legend_loc)
        self.fmts = fmts
        self.X, self.Y = None, None

    def add(self, x, y):
        """Append point ``(x, y[i])`` to line ``i``; ``y`` is a number or a sequence
        (``x`` likewise, or one ``x`` for all lines). ``None`` in ``y`` leaves a gap."""
        if not hasattr(y, '__len__'):
            y = [y]
        n = len(y)
        if not hasattr(x, '__len__'):
            x = [x] * n
        if self.X is None:
            self.X = [[] for _ in range(n)]
            self.Y = [[] for _ in range(n)]
        if n != len(self.Y):
            raise ValueError(f'Animator has {len(self.Y)} lines, but add() got {n} values')
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(float(a))
                self.Y[i].append(float(b))
        self._draw()

    def _draw(self):
        axes = self.axes[0]
        axes.cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            axes.plot(x, y, fmt)
        set_axes(axes, *self._config)
        if _in_notebook():
            self._show()

    def _show(self):
        from IPython import display
        # clear_output(wait=True) replaces the previous picture only when the new one
        # is ready, so the figure does not flicker
        display.clear_output(wait=True)
        display.display(self.fig)
