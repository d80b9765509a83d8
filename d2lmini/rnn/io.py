"""Text data for recurrent networks: turning sentences into integer ids, and a bucketing
iterator for :class:`~d2lmini.module.BucketingModule`.

>>> import d2lmini as mx
>>> ids, vocab = mx.rnn.encode_sentences([['a', 'b'], ['b', 'c', 'a']], invalid_label=0,
...                                      start_label=1)
>>> ids, vocab
([[1, 2], [2, 3, 1]], {'\\n': 0, 'a': 1, 'b': 2, 'c': 3})
"""
import bisect
import random

import numpy as np

from .. import ndarray
from ..base import MXNetError
from ..io import DataBatch, DataDesc, DataIter

__all__ = ['encode_sentences', 'BucketSentenceIter']


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key='\n', start_label=0,
                     unknown_token=None):
    """Replace each word of each sentence (lists of strings) by its id.

    Without ``vocab``, a vocabulary is built as the words come: ids from
    ``start_label`` up, skipping ``invalid_label``, which ``invalid_key`` gets. With
    ``vocab`` (a dict word -> id) an unknown word is an error, unless
    ``unknown_token`` is given: such words get that token's id (the token is added to
    the vocabulary if need be). Returns ``(encoded_sentences, vocab)``.
    """
    growing = vocab is None
    if growing:
        vocab = {invalid_key: invalid_label}
    next_id = start_label
    encoded = []
    for sentence in sentences:
        ids = []
        for word in sentence:
            if word not in vocab:
                if not growing and unknown_token is None:
                    raise AssertionError(f'Unknown token {word}')
                key = word if growing else unknown_token
                if key not in vocab:
                    if next_id == invalid_label:
                        next_id += 1
                    vocab[key] = next_id
                    next_id += 1
                word = key
            ids.append(vocab[word])
        encoded.append(ids)
    return encoded, vocab


class BucketSentenceIter(DataIter):
    """Batches of sentences (lists of integer ids) grouped by length into buckets, for
    language models trained with :class:`~d2lmini.module.BucketingModule`.

    Each sentence goes to the smallest bucket it fits, padded with ``invalid_label``;
    sentences longer than the largest bucket are dropped (with a printed warning).
    Without ``buckets``, every length that at least ``batch_size`` sentences have is
    a bucket. The label is the sentence shifted left by one (the next word), ending
    with ``invalid_label``. Each batch has ``bucket_key`` = its bucket's length;
    ``provide_data`` describes the largest bucket (``default_bucket_key``). Batches
    come in random order, reshuffled (with Python's and NumPy's global generators) at
    every :meth:`reset`. ``layout``: ``'NT'`` (batch, time) or ``'TN'`` (more letters,
as in ``'NTC'``, name the axes an embedding adds).
    """

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1, data_name='data',
                 label_name='softmax_label', dtype='float32', layout='NT'):
        super().__init__()
        # the layout's 'N' (batch) axis comes first or second; the rest is a name only
        # ('NTC' is 'NT' for an embedding that follows), as MXNet 1.x reads it
        if not isinstance(layout, str) or layout.find('N') not in (0, 1):
            raise ValueError(f"BucketSentenceIter: invalid layout {layout!r}: its 'N' (the "
                             "batch axis) must come first (batch major, 'NT') or second "
                             "(time major, 'TN')")
        if not buckets:
            lengths = np.bincount([len(s) for s in sentences])
            buckets = [n for n, count in enumerate(lengths) if count >= batch_size]
        buckets = sorted(buckets)
        if not buckets:
            raise MXNetError('BucketSentenceIter: no bucket; give buckets, or a batch_size '
                             'that enough sentences of one length reach')
        self.data = [[] for _ in buckets]
        discarded = 0
        for sentence in sentences:
            which = bisect.bisect_left(buckets, len(sentence))
            if which == len(buckets):
                discarded += 1
                continue
            row = np.full((buckets[which],), invalid_label, dtype=dtype)
            row[:len(sentence)] = sentence
            self.data[which].append(row)
        self.data = [np.asarray(rows, dtype=dtype) for rows in self.data]
        print(f'WARNING: discarded {discarded} sentences longer than the largest bucket.')

        self.batch_size = batch_size
        self.buckets = buckets
        self.data_name = data_name
        self.label_name = label_name
        self.dtype = dtype
        self.invalid_label = invalid_label
        self.nddata = []
        self.ndlabel = []
        self.major_axis = layout.find('N')
        self.layout = layout
        self.default_bucket_key = max(buckets)
        shape = ((batch_size, self.default_bucket_key) if self.major_axis == 0
                 else (self.default_bucket_key, batch_size))
        self.provide_data = [DataDesc(data_name, shape, layout=layout)]
        self.provide_label = [DataDesc(label_name, shape, layout=layout)]
        # (bucket, first row) of every full batch; incomplete batches are left out
        self.idx = [(b, start) for b, rows in enumerate(self.data)
                    for start in range(0, len(rows) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.reset()

    def reset(self):
        """Start again: new order of batches, rows shuffled within each bucket."""
        self.curr_idx = 0
        random.shuffle(self.idx)
        for rows in self.data:
            np.random.shuffle(rows)
        self.nddata, self.ndlabel = [], []
        for rows in self.data:
            label = np.empty_like(rows)
            label[:, :-1] = rows[:, 1:]           # the next word...
            label[:, -1] = self.invalid_label     # ...and nothing after the last
            self.nddata.append(ndarray.array(rows, dtype=self.dtype))
            self.ndlabel.append(ndarray.array(label, dtype=self.dtype))

    def next(self):
        """The next :class:`~d2lmini.io.DataBatch`; StopIteration at the end."""
        if self.curr_idx == len(self.idx):
            raise StopIteration
        bucket, start = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[bucket][start:start + self.batch_size]
        label = self.ndlabel[bucket][start:start + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[bucket],
                         provide_data=[DataDesc(self.data_name, data.shape,
                                                layout=self.layout)],
                         provide_label=[DataDesc(self.label_name, label.shape,
                                                 layout=self.layout)])
