"""Plots for the chapters: line plots, and an :class:`Animator` that redraws a figure
as training goes.

matplotlib is imported only when a plot is made, so ``import d2lmini`` stays fast.
In Jupyter the figures are shown inline as SVG; elsewhere (a script, a test run) the
Animator draws quietly into its figure, which ``animator.fig.savefig`` can save.

>>> animator = Animator(xlabel='epoch', legend=['train loss', 'test acc'], xlim=[1, 3])
>>> for epoch in range(1, 4):
...     animator.add(epoch, (1 / epoch, 0.3 * epoch))
>>> animator.Y[0]
[1.0, 0.5, 0.3333333333333333]
"""
__all__ = ['use_svg_display', 'set_figsize', 'set_axes', 'plot', 'Animator']


def _in_notebook():
    """Whether we run in a Jupyter kernel (where figures can be shown inline)."""
    import sys
    if 'IPython' not in sys.modules:  # not even IPython: certainly no notebook
        return False
    from IPython import get_ipython
    shell = get_ipython()
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


def use_svg_display():
    """Show inline figures as SVG (sharp at any zoom) in Jupyter; elsewhere nothing."""
    if _in_notebook():
        from matplotlib_inline import backend_inline
        backend_inline.set_matplotlib_formats('svg')


def set_figsize(figsize=(3.5, 2.5)):
    """The size, in inches, of figures made from now on with ``plot``."""
    import matplotlib.pyplot as plt
    use_svg_display()
    plt.rcParams['figure.figsize'] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Labels, ranges, scales and legend of matplotlib ``axes``, in one call."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _has_one_axis(X):
    """True for a single series (a 1-D array or a flat list), False for several."""
    return (hasattr(X, 'ndim') and X.ndim == 1
            or isinstance(X, list) and not hasattr(X[0], '__len__'))


def _as_list(v):
    return v.asnumpy() if hasattr(v, 'asnumpy') else v


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
         figsize=(3.5, 2.5), axes=None):
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
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


class Animator:
    """A figure of lines that grow point by point: ``add(x, ys)`` appends one point
    to every line and redraws. In Jupyter the figure is replaced in place in the
    cell's output; elsewhere nothing is shown or printed.

    ``legend`` names the lines; the other arguments are matplotlib's, as in
    :func:`plot`. ``nrows``/``ncols`` make a grid of plots, of which the first is used.
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'),
                 nrows=1, ncols=1, figsize=(3.5, 2.5)):
        # A Figure made directly, not through pyplot: pyplot would keep every
        # animator's figure alive, and Jupyter would show it a second time at the
        # end of the cell.
        from matplotlib.figure import Figure
        use_svg_display()
        self.fig = Figure(figsize=figsize)
        axes = self.fig.subplots(nrows, ncols, squeeze=False)
        self.axes = list(axes.ravel())
        self._config = (xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])
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
