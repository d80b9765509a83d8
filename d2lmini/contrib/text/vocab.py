"""A vocabulary: the tokens of a text, numbered."""
import collections

UNKNOWN_IDX = 0  # the unknown token is always first


class Vocabulary:
    """Tokens numbered from 0: first ``unknown_token``, then ``reserved_tokens`` in
    their order, then the tokens of ``counter`` by decreasing count (ties in token
    order), keeping at most ``most_freq_count`` of them and only those counted at
    least ``min_freq`` times.

    >>> import collections
    >>> counter = collections.Counter(['b', 'a', 'c', 'a', 'b', 'a', 'd'])
    >>> v = Vocabulary(counter, most_freq_count=2, reserved_tokens=['<pad>'])
    >>> v.idx_to_token, len(v)
    (['<unk>', '<pad>', 'a', 'b'], 4)
    >>> v.to_indices(['a', 'zzz']), v.to_tokens(3)
    ([2, 0], 'b')
    """

    def __init__(self, counter=None, most_freq_count=None, min_freq=1, unknown_token='<unk>',
                 reserved_tokens=None):
        assert min_freq > 0, f'`min_freq` must be positive, got {min_freq}'
        if reserved_tokens is not None:
            assert unknown_token not in reserved_tokens, \
                f'`reserved_tokens` must not contain the `unknown_token` {unknown_token!r}'
            assert len(set(reserved_tokens)) == len(reserved_tokens), \
                '`reserved_tokens` must not repeat a token'
            reserved_tokens = reserved_tokens[:]  # our own copy
        self._unknown_token = unknown_token
        self._reserved_tokens = reserved_tokens
        self._idx_to_token = [unknown_token, *(reserved_tokens or ())]
        self._token_to_idx = {tok: i for i, tok in enumerate(self._idx_to_token)}
        if counter is not None:
            assert isinstance(counter, collections.Counter), \
                f'`counter` must be a collections.Counter, not {type(counter).__name__}'
            self._add_frequent(counter, most_freq_count, min_freq)

    def _add_frequent(self, counter, most_freq_count, min_freq):
        """Append the tokens of ``counter``, most frequent first."""
        # equal counts keep the tokens' sorted order, so the numbering is reproducible
        by_count = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        added = 0
        for tok, count in by_count:
            if count < min_freq or added == most_freq_count:
                return
            if tok in self._token_to_idx:  # the unknown or a reserved token
                continue
            self._token_to_idx[tok] = len(self._idx_to_token)
            self._idx_to_token.append(tok)
            added += 1

    def __len__(self):
        return len(self._idx_to_token)

    @property
    def token_to_idx(self):
        """A dict from token to index."""
        return self._token_to_idx

    @property
    def idx_to_token(self):
        """The list of tokens, by index."""
        return self._idx_to_token

    @property
    def unknown_token(self):
        return self._unknown_token

    @property
    def reserved_tokens(self):
        return self._reserved_tokens

    def to_indices(self, tokens):
        """The index of a token, or the list of indices of a list of tokens (0, the
        unknown token's, for tokens not in the vocabulary)."""
        if not isinstance(tokens, list):
            return self._token_to_idx.get(tokens, UNKNOWN_IDX)
        return [self._token_to_idx.get(tok, UNKNOWN_IDX) for tok in tokens]

    def to_tokens(self, indices):
        """The token of an index, or the tokens of a list of indices."""
        if not isinstance(indices, list):
            return self._token_of(indices)
        return [self._token_of(i) for i in indices]

    def _token_of(self, idx):
        if not isinstance(idx, int) or idx >= len(self._idx_to_token):
            raise ValueError('Token index %d in `indices` is invalid: the vocabulary has '
                             '%d tokens.' % (idx, len(self._idx_to_token)))
        return self._idx_to_token[idx]
