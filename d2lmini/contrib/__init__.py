"""``mx.contrib``: MXNet's contributed packages. Here: :mod:`text <d2lmini.contrib.text>`
(vocabularies and pre-trained token embeddings), :mod:`ndarray
<d2lmini.contrib.ndarray>` (``mx.contrib.nd``, also ``mx.nd.contrib``) and
:mod:`autograd <d2lmini.contrib.autograd>` (MXNet's first, deprecated autograd API)."""
from . import text  # noqa: F401
from . import autograd  # noqa: F401
from . import ndarray  # noqa: F401
nd = ndarray
