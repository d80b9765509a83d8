"""``mx.contrib``: MXNet's contributed packages. Here: :mod:`text <d2lmini.contrib.text>`
(vocabularies and pre-trained token embeddings), :mod:`ndarray
<d2lmini.contrib.ndarray>` (``mx.contrib.nd``, also ``mx.nd.contrib``), ``mx.contrib.sym``
(the same module as ``mx.sym.contrib``),
:mod:`autograd <d2lmini.contrib.autograd>` (MXNet's first, deprecated autograd API),
:mod:`io <d2lmini.contrib.io>` (``DataLoaderIter``: a Gluon DataLoader as a DataIter) and
:mod:`svrg_optimization <d2lmini.contrib.svrg_optimization>` (``SVRGModule``)."""
from . import text  # noqa: F401
from . import autograd  # noqa: F401
from . import ndarray  # noqa: F401
nd = ndarray
# As in MXNet 1.x, ``mx.contrib.symbol`` (``mx.contrib.sym``) names the contributed
# operators as graph nodes: the module ``mx.sym.contrib``.
import sys as _sys  # noqa: E402
from ..symbol import contrib as symbol  # noqa: E402
sym = symbol
# ``import d2lmini.contrib.symbol`` (``mxnet.contrib.symbol``) finds it too
_sys.modules[__name__ + '.symbol'] = symbol


# ``io`` and ``svrg_optimization`` build on mx.io and mx.mod, which are not ready yet
# when Gluon first imports this package (for ``text``): they load on first use.
_ON_FIRST_USE = ('io', 'svrg_optimization')


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
