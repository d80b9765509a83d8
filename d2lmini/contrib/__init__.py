"""``mx.contrib``: MXNet's contributed packages. Here: :mod:`text <d2lmini.contrib.text>`
(vocabularies and pre-trained token embeddings) and :mod:`ndarray
<d2lmini.contrib.ndarray>` (``mx.contrib.nd``, also ``mx.nd.contrib``)."""
from . import text  # noqa: F401
from . import ndarray  # noqa: F401
nd = ndarray
