import os
import sys

# One BLAS thread for the test run: under CPU contention OpenBLAS's spinning threads make
# the small matrix products of the tests and notebooks up to 10x slower. The notebook
# kernels that nbval starts inherit this environment.
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import pytest

sys.path.insert(0, os.path.dirname(__file__))

# needs real MXNet: run by hand to regenerate the fixtures, never collected
collect_ignore = ['fixtures/make_fixtures.py']


def _gpu_usable():
    """True when cupy imports and sees a working GPU. Only asked when a gpu test runs."""
    try:
        import cupy
        return bool(cupy.is_available())
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    gpu_items = [it for it in items if 'gpu' in it.keywords]
    if gpu_items and not _gpu_usable():
        skip = pytest.mark.skip(reason='needs cupy and a working GPU')
        for it in gpu_items:
            it.add_marker(skip)
