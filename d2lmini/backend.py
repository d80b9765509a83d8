"""Everything that differs between the CPU and the GPU lives here.

A context picks an *array module*: ``numpy`` for ``cpu(i)``, ``cupy`` for ``gpu(i)``.
Operators are written once against that module (conventionally called ``xp``), so
this file is the only place that knows cupy exists. cupy is imported lazily, the
first time a GPU is asked for, so a CPU-only install never touches it.
"""
import ctypes
import importlib
import os
import sys

import numpy as np

from .base import MXNetError

def _keep_freed_memory():
    """Ask glibc to keep freed array buffers instead of returning them to the system.

    By default glibc serves allocations above 128 KiB with fresh pages from the
    kernel and hands them back on free, so every training step page-faults its way
    through new buffers (a 256x256 multiply then costs 60 us instead of 5 us). Raising
    the thresholds lets freed buffers be reused. Set D2LMINI_DEFAULT_MALLOC=1 to skip.
    """
    if not sys.platform.startswith('linux') or os.environ.get('D2LMINI_DEFAULT_MALLOC'):
        return
    try:
        libc = ctypes.CDLL('libc.so.6')
        m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
        libc.mallopt(m_mmap_threshold, 64 << 20)
        libc.mallopt(m_trim_threshold, 256 << 20)
    except (OSError, AttributeError):  # not glibc (musl, ...): keep its defaults
        pass


_keep_freed_memory()

# thread counts that a user or a tool may have set for the BLAS library itself
_BLAS_THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')


def _limit_blas_threads():
    """Run numpy's BLAS (the matrix products) on one thread, unless told otherwise.

    The matrices of the book are small. Split over several threads, a product spends
    more time handing out and collecting the work than computing, and on a busy
    machine OpenBLAS's threads spin while they wait for a free core: a chapter then
    runs several times slower than on one thread. So at import d2lmini asks for one
    thread, only when you have not chosen: the number in ``D2LMINI_NUM_THREADS`` wins
    (0 leaves the BLAS's own default), and a count set for the BLAS itself
    (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) is left alone.
    The change goes through threadpoolctl, so it works even when numpy was imported
    first, as in a notebook.
    """
    wanted = os.environ.get('D2LMINI_NUM_THREADS')
    if wanted is None:
        if any(os.environ.get(v) for v in _BLAS_THREAD_VARIABLES):
            return
        wanted = '1'
    try:
        n = int(wanted)
    except ValueError:
        raise MXNetError(f'D2LMINI_NUM_THREADS must be a whole number, not {wanted!r}') \
            from None
    if n <= 0:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an install without it: keep the BLAS's default
        return
    threadpool_limits(n, user_api='blas')


_limit_blas_threads()

_cupy = None          # the cupy module once imported, else None
_cupy_error = None    # why importing it failed, for the error message


def cupy():
    """Import and return cupy, or raise a clear error when it cannot be used."""
    global _cupy, _cupy_error
    if _cupy is None:
        if _cupy_error is not None:
            raise _cupy_error
        try:
            _cupy = importlib.import_module('cupy')
        except ImportError as e:
            _cupy_error = MXNetError(
                'a GPU context needs cupy, which is not installed; '
                'install it with `pip install d2lmini[gpu]`, or use mx.cpu()')
            raise _cupy_error from e
    return _cupy


def num_gpus():
    """How many GPUs cupy can see; 0 when cupy is missing or has no device."""
    try:
        cp = cupy()
        return cp.cuda.runtime.getDeviceCount() if cp.is_available() else 0
    except Exception:  # no driver, no device, no cupy: all mean "no GPU"
        return 0


def array_module(device_type):
    """numpy for ``'cpu'``, cupy for ``'gpu'``."""
    if device_type == 'cpu':
        return np
    return cupy()


def is_host(xp):
    return xp is np


def to_host(data):
    """A numpy array with the same values (copies from the GPU when needed)."""
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):  # numpy reductions of 0-d arrays give scalars
        return np.asarray(data)
    return data.get()


def to_device(data, ctx):
    """The values of ``data`` (numpy or cupy) as an array on ``ctx``."""
    if ctx.device_type != 'gpu':
        return to_host(data)
    cp = cupy()
    with cp.cuda.Device(ctx.device_id):
        return cp.asarray(data)


def device_scope(ctx):
    """A ``with`` block that makes ``ctx``'s GPU current (nothing for the CPU)."""
    if ctx.device_type != 'gpu':
        return _NULL_SCOPE
    return cupy().cuda.Device(ctx.device_id)


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NULL_SCOPE = _NullScope()


def synchronize(ctx=None):
    """Wait for queued GPU work (numpy runs synchronously, so the CPU has none)."""
    if _cupy is None:
        return
    if ctx is None:
        for i in range(num_gpus()):
            with _cupy.cuda.Device(i):
                _cupy.cuda.Device(i).synchronize()
    elif ctx.device_type == 'gpu':
        _cupy.cuda.Device(ctx.device_id).synchronize()


# ---------------------------------------------------------------- random numbers
# One generator per array module. numpy's Generator is fast and seedable; cupy has
# its own per-device generator, which cupy.random.seed resets.
_np_rng = np.random.default_rng(0)


def rng(xp):
    """The random generator that draws arrays for array module ``xp``."""
    if xp is np:
        return _np_rng
    return xp.random.get_random_state()


def uniform01(xp, shape, dtype=np.float64):
    """Numbers drawn uniformly from [0, 1) with ``xp``'s generator (numpy's Generator
    calls this ``random``, cupy's RandomState ``random_sample``)."""
    gen = rng(xp)
    if xp is np:
        return gen.random(shape, dtype=dtype)
    return gen.random_sample(shape, dtype=dtype)


def randint(xp, low, high, shape, dtype):
    """Integers drawn uniformly from [low, high) with ``xp``'s generator (numpy's
    Generator calls this ``integers``, cupy's RandomState ``randint``)."""
    gen = rng(xp)
    draw = gen.integers if xp is np else gen.randint
    return draw(low, high, size=shape, dtype=dtype)


def seed(value, device_type='all'):
    """Reseed the CPU generator, the GPU generators, or both."""
    global _np_rng
    if device_type in ('all', 'cpu'):
        _np_rng = np.random.default_rng(value)
        # numpy's global generator too: data loaders shuffle with it, as in MXNet
        np.random.seed(value)
    if device_type in ('all', 'gpu') and _cupy is not None:
        for i in range(num_gpus()):
            with _cupy.cuda.Device(i):
                _cupy.random.seed(value)


def scatter_add(xp, out, key, values):
    """``out[key] += values`` where repeated indices in ``key`` all add up."""
    if xp is np:
        np.add.at(out, key, values)
    else:
        import cupyx
        cupyx.scatter_add(out, key, values)
