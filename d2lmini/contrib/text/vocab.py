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
        assert min_freq > 0, '`min_freq` must be set to a positive value.'
        if reserved_tokens is not None:
            reserved_token_set = set(reserved_tokens)
            assert unknown_token not in reserved_token_set, \
                '`reserved_token` cannot contain `unknown_token`.'
            assert len(reserved_token_set) == len(reserved_tokens), \
                '`reserved_tokens` cannot contain duplicate reserved tokens.'
        self._index_unknown_and_reserved_tokens(unknown_token, reserved_tokens)
        if counter is not None:
            self._index_counter_keys(counter, unknown_token, reserved_tokens,
                                     most_freq_count, min_freq)

    def _index_unknown_and_reserved_tokens(self, unknown_token, reserved_tokens):
        self._unknown_token = unknown_token
        self._idx_to_token = [unknown_token]
        if reserved_tokens is None:
            self._reserved_tokens = None
        else:
            self._reserved_tokens = reserved_tokens[:]
            self._idx_to_token.extend(reserved_tokens)
        self._token_to_idx = {token: idx for idx, token in enumerate(self._idx_to_token)}

    def _index_counter_keys(self, counter, unknown_token, reserved_tokens, most_freq_count,
                            min_freq):
        assert isinstance(counter, collections.Counter), \
            '`counter` must be an instance of collections.Counter.'
        special = set(reserved_tokens) if reserved_tokens is not None else set()
        special.add(unknown_token)
        # sorted by token, then (stably) by count: ties stay in token order
        token_freqs = sorted(counter.items(), key=lambda x: x[0])
        token_freqs.sort(key=lambda x: x[1], reverse=True)
        token_cap = len(special) + (len(counter) if most_freq_count is None
                                    else most_freq_count)
        for token, freq in token_freqs:
            if freq < min_freq or len(self._idx_to_token) == token_cap:
                break
            if token not in special:
                self._idx_to_token.append(token)
                self._token_to_idx[token] = len(self._idx_to_token) - 1

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
        to_reduce = not isinstance(tokens, list)
        if to_reduce:
            tokens = [tokens]
        indices = [self.token_to_idx.get(token, UNKNOWN_IDX) for token in tokens]
        return indices[0] if to_reduce else indices

    def to_tokens(self, indices):
        """The token of an index, or the tokens of a list of indices."""
        to_reduce = not isinstance(indices, list)
        if to_reduce:
            indices = [indices]
        max_idx = len(self._idx_to_token) - 1
        tokens = []
        for idx in indices:
            if not isinstance(idx, int) or idx > max_idx:
                raise ValueError('Token index %d in the provided `indices` is invalid.' % idx)
            tokens.append(self._idx_to_token[idx])
        return tokens[0] if to_reduce else tokens
