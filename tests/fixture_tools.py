"""What the tests that compare with recorded MXNet output share: loading the tool
under ``tools/`` that recorded a fixture (its tables and helpers are the test's
too), and reading the batches an iterator yielded, as the tools store them."""
import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_tool(name):
    """The module ``tools/<name>.py`` (it must not import mxnet at its top level)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, 'tools',
                                                                     name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_epochs(expected, key):
    """``[[(label, pad, data) per batch] per epoch]`` of case ``key`` in the arrays
    ``expected`` (an ``.npz``), stored as ``key/epoch/batch/part``."""
    epochs = []
    while f'{key}/{len(epochs)}/0/pad' in expected.files:
        e, batches = len(epochs), []
        while f'{key}/{e}/{len(batches)}/pad' in expected.files:
            b = len(batches)
            batches.append(tuple(expected[f'{key}/{e}/{b}/{part}']
                                 for part in ('label', 'pad', 'data')))
        epochs.append(batches)
    return epochs
