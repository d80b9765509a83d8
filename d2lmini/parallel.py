"""Large copies and element-wise loops split over a few threads, on the CPU.

numpy runs the matrix products on several threads (its BLAS library does), but
every other loop -- the copies of im2col, the additions of col2im, an element-wise
``tanh`` -- on one. In a convolutional network those loops take a quarter of the
time, so on two cores the second core idles a quarter of the time. numpy releases
Python's global lock while it loops over an array, so a few Python threads can
each run the same loop over their own slice of the arrays, truly in parallel.

:func:`split` does that: it cuts ``range(length)`` into one piece per thread and
runs ``fn(start, stop)`` for each piece, one on the calling thread and the others
on a small pool of threads kept for the next call. Every piece writes its own
part of the output, so the results are exactly those of one call over the whole
range. Small jobs (below ``MIN_BYTES``) run as one call on the calling thread:
handing a piece to another thread costs some tens of microseconds.

How many threads: **one unless you choose more**, with the environment variable
``D2LMINI_SPLIT_THREADS`` (read at import) or :func:`set_num_threads`; with one thread
there is no pool and every loop runs exactly as before. More is not the default
because it was measured to be slower: on two cores, with the BLAS on two threads,
splitting the copies made a ResNet-18 training step about 12% slower and a LeNet step
about 10% slower. After each matrix product OpenBLAS's threads keep spinning for a
while, waiting for the next one, and a copy thread then fights them for a core. Split
loops pay off when cores are free: the BLAS on one thread, or more cores than BLAS
threads.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

MIN_BYTES = 1 << 18          # smaller jobs are not worth handing to another thread

_pool = None                 # the ThreadPoolExecutor, or None with one thread
_pool_threads = 1            # the thread count that _pool was made for
_pool_lock = threading.Lock()
_state = threading.local()   # .busy: this thread is running a piece (no nesting)


def _threads_from_environment():
    wanted = os.environ.get('D2LMINI_SPLIT_THREADS', '1')
    try:
        return max(1, int(wanted))
    except ValueError:
        raise ValueError(f'D2LMINI_SPLIT_THREADS must be a whole number, not {wanted!r}') \
            from None


_threads = _threads_from_environment()


def set_num_threads(n):
    """Use ``n`` threads (at most the number of cores) for the split loops from now on.

    >>> from d2lmini import parallel
    >>> parallel.set_num_threads(1); parallel.num_threads()
    1
    """
    global _threads
    if int(n) < 1:
        raise ValueError(f'the number of threads must be at least 1, not {n!r}')
    _threads = int(n)


_CORES = os.cpu_count() or 1   # asked once: each call takes tens of microseconds


def num_threads():
    """How many threads the split loops use: :func:`set_num_threads`'s, or
    ``D2LMINI_SPLIT_THREADS``'s (1 unless set), at most the number of cores."""
    return min(_threads, _CORES)


def _get_pool(threads):
    """The pool for ``threads`` threads in all: ``threads - 1`` workers, since the
    calling thread runs a piece too. A changed thread count replaces the pool."""
    global _pool, _pool_threads
    if _pool_threads != threads:
        with _pool_lock:
            if _pool_threads != threads:
                old = _pool
                _pool = (ThreadPoolExecutor(threads - 1, thread_name_prefix='d2lmini')
                         if threads > 1 else None)
                _pool_threads = threads
                if old is not None:
                    old.shutdown(wait=False)
    return _pool


def shutdown():
    """Stop the pool's threads (a later split starts a new pool when needed)."""
    global _pool, _pool_threads
    with _pool_lock:
        old, _pool, _pool_threads = _pool, None, 1
    if old is not None:
        old.shutdown(wait=True)


def _forget_pool_after_fork():
    # a forked child (a DataLoader worker, say) has no copies of the pool's threads
    global _pool, _pool_threads
    _pool, _pool_threads = None, 1


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _run_piece(fn, start, stop):
    _state.busy = True
    try:
        fn(start, stop)
    finally:
        _state.busy = False


def split(fn, length, nbytes):
    """Run ``fn(start, stop)`` so that the calls cover ``range(length)``.

    ``nbytes`` is the size of the job (the bytes it writes, say). With one thread,
    a small job, or a call from inside a piece, that is one call ``fn(0, length)``
    here; otherwise one piece per thread, the first on this thread. ``fn`` must
    write disjoint outputs for disjoint ranges and may not rely on running alone.
    """
    threads = 1
    if nbytes >= MIN_BYTES and length > 1 and not getattr(_state, 'busy', False):
        threads = min(num_threads(), length)
    if threads <= 1:
        fn(0, length)
        return
    pool = _get_pool(threads)
    bounds = [length * i // threads for i in range(threads + 1)]
    futures = [pool.submit(_run_piece, fn, bounds[i], bounds[i + 1])
               for i in range(1, threads)]
    try:
        _run_piece(fn, bounds[0], bounds[1])
    finally:
        for f in futures:       # wait for all, even when one failed: they share buffers
            f.exception()
    for f in futures:
        f.result()              # raises the first piece's error, if any

