"""``mx.contrib``: MXNet's contributed packages. Here: :mod:`text <d2lmini.contrib.text>`
(vocabularies and pre-trained token embeddings), :mod:`ndarray
<d2lmini.contrib.ndarray>` (``mx.contrib.nd``, also ``mx.nd.contrib``), ``mx.contrib.sym``
(the same module as ``mx.sym.contrib``) and
:mod:`autograd <d2lmini.contrib.autograd>` (MXNet's first, deprecated autograd API)."""
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
