"""The DataLoader: mini-batches from a dataset, optionally built by worker processes.

Each batch is a list of indices from a batch sampler; the loader reads those
examples and *batchifies* them: stacks them into one NDArray per field (image,
label, ...).

With ``num_workers > 0`` that work happens in worker processes, so reading and
augmenting data overlaps with training in the main process. Each worker is joined to
the main process by a pipe of its own and builds one batch at a time: the main
process sends it a list of indices, the worker sends back the batch as numpy arrays,
and the main process wraps them into NDArrays. Batches are handed to workers in
turn and collected in the same order, so they come out in sampler order.

Nothing is shared between the processes but those pipes (no locks), so a worker can
be stopped at any moment without leaving anything blocked.

>>> import numpy as np
>>> from d2lmini.gluon.data import ArrayDataset, DataLoader
>>> ds = ArrayDataset(np.arange(10, dtype='float32').reshape(5, 2), np.arange(5, dtype='int32'))
>>> for X, y in DataLoader(ds, batch_size=2, last_batch='discard'):
...     print(X.shape, X.dtype.__name__, y.asnumpy())
(2, 2) float32 [0 1]
(2, 2) float32 [2 3]
"""
import collections
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback

import numpy as np

from ... import backend, ndarray as nd
from ...base import MXNetError, shape_str
from ...context import cpu
from ...ndarray import NDArray
from . import sampler as _sampler

__all__ = ['DataLoader', 'default_batchify_fn', 'default_mp_batchify_fn']


# ------------------------------------------------------------------ batchify
def _stack_numpy(data):
    """The examples in list ``data`` stacked into numpy arrays, one per field.

    This is the part of batching that worker processes do: it needs no NDArray, so
    its result crosses a process boundary as plain numpy.
    """
    first = data[0]
    if isinstance(first, tuple):  # (image, label, ...): batch each field on its own
        return [_stack_numpy(list(field)) for field in zip(*data)]
    if isinstance(first, NDArray):
        data = [x.asnumpy() for x in data]
    try:
        return np.stack(data) if isinstance(data[0], np.ndarray) else np.asarray(data)
    except ValueError as e:
        shapes = sorted({shape_str(np.shape(x)) for x in data})
        raise MXNetError(f'default_batchify_fn: cannot stack examples of shapes '
                         f'{", ".join(shapes)} into one batch; make them the same shape '
                         '(e.g. with transforms.Resize) or pass a batchify_fn') from e


def _to_nd(batch, ctx=None):
    """Numpy arrays (possibly in nested lists) as NDArrays of the same dtype."""
    if isinstance(batch, list):
        return [_to_nd(b, ctx) for b in batch]
    if batch.dtype == object or batch.dtype.kind in 'USV':
        raise MXNetError(f'default_batchify_fn: examples of type {batch.dtype} cannot be '
                         'stacked into an NDArray; pass a batchify_fn that handles them')
    return nd.array(batch, ctx=ctx, dtype=batch.dtype)


def _first_ctx(data):
    """The context of the first NDArray field of the first example, else None."""
    first = data[0]
    while isinstance(first, tuple) and first:
        first = first[0]
    return first.context if isinstance(first, NDArray) else None


def default_batchify_fn(data):
    """Stack a list of examples into a batch, as MXNet does.

    NDArrays are stacked keeping their dtype; numbers and numpy arrays become an
    NDArray with numpy's dtype for them (so int32 labels stay int32, and Python
    floats give float64, exactly as in MXNet); tuple examples give a list with one
    batch per field.

    >>> import d2lmini as mx
    >>> X, y = default_batchify_fn([(mx.nd.ones((2,)), 1), (mx.nd.zeros((2,)), 0)])
    >>> X.shape, y.dtype.__name__
    ((2, 2), 'int64')
    """
    return _to_nd(_stack_numpy(data), _first_ctx(data))


# MXNet keeps a second default for workers that stacks into shared memory. Here
# workers always send numpy, so both defaults are the same function.
default_mp_batchify_fn = default_batchify_fn


# ------------------------------------------------------------------ inside a worker
class _WorkerError:
    """An exception raised in a worker, sent back as plain text (its class's name
    and the traceback), so that any exception, even one that cannot be pickled,
    reaches the main process."""

    def __init__(self, exc, where):
        cls = type(exc)
        self.module, self.name = cls.__module__, cls.__qualname__
        self.text = f'Caught {cls.__name__} in DataLoader {where}:\n{traceback.format_exc()}'

    def _exception_class(self):
        """The same class in this process, so `except ValueError:` still works;
        RuntimeError when it cannot be found without importing anything."""
        # a 'spawn' worker runs the main script under the name __mp_main__
        module = sys.modules.get('__main__' if self.module == '__mp_main__' else self.module)
        cls = module
        for part in self.name.split('.'):
            cls = getattr(cls, part, None)
        return cls if isinstance(cls, type) and issubclass(cls, Exception) else RuntimeError

    def reraise(self):
        message = _Message(self.text)
        try:
            exc = self._exception_class()(message)
        except Exception:  # a class that needs other arguments
            exc = RuntimeError(message)
        raise exc


class _Message(str):
    """A message that prints as itself even where Python shows the repr (KeyError
    does), so the worker's traceback keeps its line breaks."""

    def __repr__(self):
        return str(self)


def _serve(conn, dataset, batchify_fn, where):
    """A worker's loop: receive a list of indices, send back its batch, until told
    to stop (``None``) or until the main process closes the pipe.

    ``batchify_fn=None`` means the default, which here stops at numpy arrays.
    """
    try:
        while True:
            indices = conn.recv()
            if indices is None:
                return
            try:
                samples = [dataset[i] for i in indices]
                batch = _stack_numpy(samples) if batchify_fn is None else batchify_fn(samples)
                conn.send(batch)  # pickles first, so a failure sends nothing
            except Exception as e:
                conn.send(_WorkerError(e, where))
    except (EOFError, OSError):  # the main process has closed the pipe: stop quietly
        pass


def _worker_process(conn, dataset, batchify_fn):
    """The body of a worker process."""
    # Ctrl-C goes to the whole process group; only the main process should react
    # to it (and then stop the workers), or every worker prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Forked workers inherit the parent's random state: reseed from the OS so that
    # random augmentations differ between workers instead of repeating.
    np.random.seed()
    backend.seed(None, 'cpu')
    _serve(conn, dataset, batchify_fn, f'worker process {os.getpid()}')


# ------------------------------------------------------------------ the main side
_DRAIN_WAIT = 1.0  # seconds to wait for a batch nobody wants before stopping its worker


class _Workers:
    """A set of workers, each joined to this process by its own pipe and given at
    most one batch at a time, so that a pipe never holds more than one request and one
    result (and neither side can block the other for good)."""

    def __init__(self, n, dataset, batchify_fn, use_threads, timeout):
        self.timeout = timeout
        self.conns, self.workers = [], []
        self.busy = [False] * n  # whether worker i owes us a batch
        try:
            for _ in range(n):
                conn, child = multiprocessing.Pipe()
                self.conns.append(conn)
                if use_threads:
                    self.workers.append(threading.Thread(target=_serve, daemon=True, args=(
                        child, dataset, batchify_fn, 'worker thread')))
                    self.workers[-1].start()
                    continue
                self.workers.append(multiprocessing.Process(
                    target=_worker_process, args=(child, dataset, batchify_fn), daemon=True))
                try:
                    self.workers[-1].start()
                finally:
                    child.close()  # the worker has its own copy; ours would hide its exit
        except Exception:
            self.close()
            raise

    def submit(self, i, indices):
        self.conns[i].send(indices)
        self.busy[i] = True

    def result(self, i, timeout=None):
        """The batch worker ``i`` was given; raises what the worker raised."""
        conn, timeout = self.conns[i], self.timeout if timeout is None else timeout
        if not conn.poll(timeout):
            raise multiprocessing.TimeoutError(
                f'a DataLoader worker took more than timeout={timeout} seconds for one '
                'batch: the transform may be slow (then raise `timeout`)')
        try:
            batch = conn.recv()
        except EOFError:  # the pipe closed without a batch: the process is gone
            worker = self.workers[i]
            worker.join(1)
            raise RuntimeError(
                f'DataLoader worker process {worker.pid} died unexpectedly (exit code '
                f'{worker.exitcode}; -9 usually means out of memory); num_workers=0 '
                'runs the same code in this process, where errors are easier to see') from None
        self.busy[i] = False
        if isinstance(batch, _WorkerError):
            batch.reraise()
        return batch

    def close(self):
        """Stop every worker now. A busy process is terminated (its batch is not
        wanted); an idle one is told to stop. Threads stop at their next message."""
        for conn, worker, busy in zip(self.conns, self.workers, self.busy):
            if busy and hasattr(worker, 'terminate'):
                worker.terminate()
            else:
                try:
                    conn.send(None)
                except OSError:  # it has gone already
                    pass
            conn.close()
        for worker, busy in zip(self.workers, self.busy):
            if worker.ident is not None and not (busy and isinstance(worker, threading.Thread)):
                worker.join()
        self.conns, self.workers = [], []


class DataLoader:
    """Load a dataset in mini-batches.

    Parameters are MXNet's:

    dataset : Dataset, or anything with ``len()`` and ``[]``
    batch_size : int, the examples per batch (unless ``batch_sampler`` is given)
    shuffle : bool, visit examples in a new random order every epoch
        (numpy's global generator: ``np.random.seed`` makes it reproducible)
    sampler : Sampler, the order of examples; not together with ``shuffle``
    last_batch : 'keep' (default), 'discard' or 'rollover', for an incomplete last batch
    batch_sampler : Sampler of lists of indices; replaces the four arguments above
    batchify_fn : function from a list of examples to a batch
        (default: :func:`default_batchify_fn`)
    num_workers : int, worker processes that build batches (0: build them here)
    pin_memory, pin_device_id : accepted for compatibility (page-locked memory is
        not used)
    prefetch : int, batches being built ahead; at most one per worker, which is
        also the default
    thread_pool : bool, use threads rather than processes for the workers
    timeout : seconds to wait for one batch from a worker before giving up
    auto_reload : accepted for compatibility (workers start on the first pass)

    Worker processes use Python's default start method ('fork' on Linux, 'spawn' on
    macOS and Windows). With 'spawn' the dataset, its transforms and ``batchify_fn``
    are pickled, so they must be defined at module level (no lambdas), and a script
    must start its work under ``if __name__ == '__main__':``. The workers start on the
    first pass and stay for later epochs; ``close()`` (or leaving a ``with`` block,
    or deleting the loader) stops them. Each worker reseeds numpy's generator when it
    starts, so random augmentations differ between workers (and, unlike the
    shuffling, do not repeat after ``np.random.seed``).

    >>> from d2lmini.gluon.data import DataLoader
    >>> loader = DataLoader(list(range(5)), batch_size=2)
    >>> len(loader), [b.asnumpy().tolist() for b in loader]
    (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None,
                 num_workers=0, pin_memory=False, pin_device_id=0,
                 prefetch=None, thread_pool=False, timeout=120, auto_reload=False):
        if timeout <= 0:
            raise ValueError(f'timeout must be positive, given {timeout}')
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError('batch_size must be specified unless '
                                 'batch_sampler is specified')
            if sampler is None:
                if shuffle:
                    sampler = _sampler.RandomSampler(len(dataset))
                else:
                    sampler = _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError('shuffle must not be specified if sampler is specified')
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch or 'keep')
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError('batch_size, shuffle, sampler and last_batch must '
                             'not be specified if batch_sampler is specified.')
        self._dataset = dataset
        self._batch_sampler = batch_sampler
        self._num_workers = max(0, num_workers)
        self._prefetch = self._num_workers if prefetch is None else int(prefetch)
        self._thread_pool = thread_pool
        self._timeout = timeout
        self._pin_memory, self._pin_device_id = pin_memory, pin_device_id
        if batchify_fn in (default_batchify_fn, default_mp_batchify_fn):
            batchify_fn = None
        self._batchify_fn = batchify_fn
        self._idle = []  # sets of workers that no pass is using at the moment

    def __len__(self):
        return len(self._batch_sampler)

    # -------------------------------------------------------------- iteration
    def __iter__(self):
        if self._num_workers == 0:
            return self._same_process_iter()
        return self._worker_iter()

    def _same_process_iter(self):
        batchify = self._batchify_fn or default_batchify_fn
        for indices in self._batch_sampler:
            yield batchify([self._dataset[i] for i in indices])

    def _worker_iter(self):
        workers = self._idle.pop() if self._idle else self._start_workers()
        todo = iter(self._batch_sampler)
        in_flight = collections.deque()  # which worker builds each batch, in sampler order
        finished = False
        try:
            for i in range(max(1, min(self._prefetch, self._num_workers))):
                indices = next(todo, None)
                if indices is None:
                    break
                workers.submit(i, indices)
                in_flight.append(i)
            while in_flight:
                i = in_flight.popleft()
                batch = workers.result(i)
                indices = next(todo, None)
                if indices is not None:  # the worker that just finished gets the next one
                    workers.submit(i, indices)
                    in_flight.append(i)
                # Default batches arrive as numpy; they become NDArrays here, on the
                # CPU, as MXNet's do.
                yield _to_nd(batch, cpu()) if self._batchify_fn is None else batch
            finished = True
        except GeneratorExit:
            # The pass was left early. Collect the batches in flight, so the workers
            # can serve the next pass; workers that take long are stopped instead.
            try:
                for i in in_flight:
                    workers.result(i, timeout=min(self._timeout, _DRAIN_WAIT))
                finished = True
            except Exception:
                pass
            raise
        finally:
            if finished:
                self._idle.append(workers)  # keep them for the next pass
            else:  # an error: the workers may be stuck, so start afresh next time
                workers.close()

    def _start_workers(self):
        try:
            return _Workers(self._num_workers, self._dataset, self._batchify_fn,
                            self._thread_pool, self._timeout)
        except (pickle.PicklingError, AttributeError, TypeError) as e:
            raise type(e)(
                f'{e}\nDataLoader(num_workers={self._num_workers}) sends the dataset and '
                "batchify_fn to its worker processes with pickle (start method "
                f"'{multiprocessing.get_start_method()}'): define the dataset class, its "
                'transforms and batchify_fn at module level (no lambdas or local '
                'functions), or use num_workers=0 or thread_pool=True') from e

    # -------------------------------------------------------------- shutdown
    def refresh(self):
        """Start new workers for the next pass (after the dataset changed), as
        MXNet's ``DataLoader.refresh``: the idle ones are stopped."""
        self.close()

    def clean(self):
        """Stop the workers, as MXNet's ``DataLoader.clean``."""
        self.close()

    def close(self):
        """Stop the worker processes (a later pass starts new ones). A pass that is
        still running keeps its workers until it ends."""
        while self._idle:
            self._idle.pop().close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:  # at interpreter exit multiprocessing may be gone already
            pass
