"""``mx.contrib.text``: counting tokens, vocabularies, and token embeddings.

>>> from d2lmini.contrib import text
>>> counter = text.utils.count_tokens_from_str('a b b c c c')
>>> vocab = text.vocab.Vocabulary(counter)
>>> vocab.idx_to_token
['<unk>', 'c', 'b', 'a']
"""
from . import utils, vocab, embedding  # noqa: F401
