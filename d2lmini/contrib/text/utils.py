"""Counting the tokens of a text."""
import collections
import re


def count_tokens_from_str(source_str, token_delim=' ', seq_delim='\n', to_lower=False,
                          counter_to_update=None):
    """A ``collections.Counter`` of the tokens in ``source_str``, which are separated
    by ``token_delim`` or ``seq_delim`` (both regular expressions; empty tokens are
    dropped). ``counter_to_update`` is updated and returned when given.

    >>> count_tokens_from_str(' Life is great ! \\n life is good . \\n')
    Counter({'is': 2, 'Life': 1, 'great': 1, '!': 1, 'life': 1, 'good': 1, '.': 1})
    >>> count_tokens_from_str('Life is\\nlife', to_lower=True)
    Counter({'life': 2, 'is': 1})
    """
    tokens = filter(None, re.split(token_delim + '|' + seq_delim, source_str))
    if to_lower:
        tokens = [t.lower() for t in tokens]
    if counter_to_update is None:
        return collections.Counter(tokens)
    counter_to_update.update(tokens)
    return counter_to_update
