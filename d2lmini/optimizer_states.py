"""MXNet 1.x's optimizer-states files: read safely, and written for MXNet to read.

d2lmini saves optimizer states (``Trainer.save_states``, ``Module.save_optimizer_states``,
``KVStore.save_optimizer_states``, ``Updater.get_states``) in two formats:

* ``'d2lmini'`` (the default): a zip archive of JSON and ``.npy`` arrays, described in
  :mod:`d2lmini.optimizer`. Any tool can open it and reading it never runs code.
* ``'mxnet'``: MXNet 1.x's own format, a Python pickle of the updater's states dict
  ``{index: state}`` or, when the optimizer is saved too (``Trainer.save_states``), of
  the pair ``(states, optimizer)``. Real MXNet 1.x loads these files.

Reading detects the format from the first bytes (a zip archive starts with ``PK``, a
pickle of protocol 2 or later with byte 0x80), so files written by MXNet load as they
are. The zip format stays the default because MXNet reads its format with a plain
``pickle.loads``, which runs whatever code a file names: d2lmini does not make files
that ask to be read that way unless told to, with ``format='mxnet'`` or
:func:`set_default_format` (for unchanged MXNet programs, whose calls cannot say it).

A pickle is read here with a restricted unpickler: it may name only the globals that
MXNet's files contain (checked by disassembling them with ``pickletools``)::

    mxnet.ndarray.ndarray.NDArray          an array: NDArray(None), then its state
                                           {'handle': bytearray of MXNet's binary array}
    builtins.bytearray                     that handle, from bytes
    mxnet.optimizer.optimizer.<Name>       MXNet's optimizers (contrib.GroupAdaGrad):
                                           made with NEWOBJ, then their attributes
    mxnet.lr_scheduler.<Name>              the learning-rate schedulers, likewise
    numpy.dtype, numpy.core.multiarray.scalar   a numpy number (a learning rate given
                                           as ``np.float32(0.1)``)

each mapped to (a private copy of) d2lmini's own class or a small function that checks
its arguments; the copies keep a forged file's BUILD opcodes from changing d2lmini's
classes. Any other global raises ``ValueError`` naming it, before it is looked up; what the
pickle builds is then checked (only numbers, strings, lists, tuples, dicts, arrays,
optimizers and schedulers) before the caller sees it. A damaged or forged file raises
``ValueError`` and changes nothing.

>>> import d2lmini as mx
>>> states = {0: mx.nd.array([1., 2.])}
>>> blob = dumps_mxnet_states(states, mx.optimizer.SGD(momentum=0.9))
>>> blob[:2]                   # a pickle, protocol 3
b'\\x80\\x03'
>>> loaded, optimizer = loads_mxnet_states(blob)
>>> loaded[0].asnumpy(), optimizer.momentum
(array([1., 2.], dtype=float32), 0.9)
"""
import io
import numbers
import pickle
import struct
import types

import numpy as np

from . import lr_scheduler as _lr_scheduler
from .base import MXNetError
from .ndarray import NDArray
from .ndarray.ndarray import _raw_bytes
from .ndarray.serialization import load_frombuffer

__all__ = ['FORMATS', 'set_default_format', 'get_default_format', 'dumps_mxnet_states',
           'loads_mxnet_states', 'is_mxnet_states']

FORMATS = ('d2lmini', 'mxnet')
_default = {'format': 'd2lmini'}


def set_default_format(fmt):
    """Make ``fmt`` (``'d2lmini'`` or ``'mxnet'``) the format of every optimizer-states
    file saved without an explicit ``format``; returns the previous default.

    >>> previous = set_default_format('mxnet')
    >>> get_default_format()
    'mxnet'
    >>> set_default_format(previous)
    'mxnet'
    """
    previous = _default['format']
    _default['format'] = check_format(fmt)
    return previous


def get_default_format():
    """The format optimizer states are saved in when none is given."""
    return _default['format']


def check_format(fmt):
    """``fmt``, or the default format if it is None; anything else raises ValueError."""
    if fmt is None:
        return _default['format']
    if fmt not in FORMATS:
        raise ValueError(f'unknown optimizer states format {fmt!r}: use one of {FORMATS}')
    return fmt


def is_mxnet_states(data):
    """Whether ``data`` starts like a pickle of protocol 2 or later, as MXNet writes."""
    return bytes(data[:1]) == b'\x80'


# ------------------------------------------------------------------ MXNet's names
# MXNet's optimizers live in mxnet.optimizer.optimizer, except GroupAdaGrad.
_MXNET_OPTIMIZERS = ('SGD', 'ccSGD', 'NAG', 'Adam', 'RMSProp', 'AdaGrad', 'AdaDelta', 'Signum',
                     'FTML', 'Ftrl', 'LAMB', 'LARS', 'Adamax', 'Nadam', 'SGLD', 'DCASGD', 'LBSGD',
                     'Test')
_MXNET_SCHEDULERS = ('LRScheduler', 'FactorScheduler', 'MultiFactorScheduler', 'PolyScheduler',
                     'CosineScheduler')


def _optimizer_module(name):
    return 'mxnet.optimizer.contrib' if name == 'GroupAdaGrad' else 'mxnet.optimizer.optimizer'


def _optimizer_classes():
    """``{(MXNet module, name): d2lmini class}`` for MXNet's built-in optimizers."""
    from . import optimizer as opt   # optimizer.py imports this module
    names = _MXNET_OPTIMIZERS + ('GroupAdaGrad',)
    return {(_optimizer_module(n), n): getattr(opt, n) for n in names}


def _scheduler_classes():
    return {('mxnet.lr_scheduler', n): getattr(_lr_scheduler, n) for n in _MXNET_SCHEDULERS}


# ------------------------------------------------------------------ reading
class _PickledArray:
    """What ``NDArray(None)`` builds while unpickling; ``__setstate__`` then receives
    ``{'handle': bytearray}`` and the array is read from those bytes."""
    array = None

    def __setstate__(self, state):
        if not (isinstance(state, dict) and set(state) == {'handle'}
                and isinstance(state['handle'], (bytes, bytearray))):
            raise ValueError('an NDArray in the file has no {"handle": bytes} state')
        self.array = _array_from_handle(state['handle'])


def _array_from_handle(handle):
    """The NDArray in MXNet's binary form of one array (magic, storage type, shape,
    context, dtype, values). It is read by ``nd.load``'s checked reader, wrapped in
    the list header of an ``nd.save`` file; an array saved from a GPU that is not here
    loads on the CPU (the updater moves states to their weights' devices anyway)."""
    header = struct.pack('<QQQ', 0x112, 0, 1)
    try:
        arrays = load_frombuffer(header + bytes(handle) + struct.pack('<Q', 0))
    except MXNetError as e:
        raise ValueError(f'an NDArray in the file is damaged: {e}') from None
    return arrays[0]


def _new_ndarray(handle=None):
    if handle is not None:
        raise ValueError('an NDArray in the file is built from an argument, not a state')
    return _PickledArray()


def _bytearray(data=b'', encoding=None):
    """``bytearray(data)`` for the handle of an array: from bytes (or, as protocol 2
    writes it, from a str and 'latin-1'), never from a number, which would allocate."""
    if isinstance(data, bytes) and encoding is None:
        return bytearray(data)
    if isinstance(data, str) and encoding == 'latin-1':
        return bytearray(data, 'latin-1')
    raise ValueError(f'bytearray({type(data).__name__}) in the file: only bytes are allowed')


def _numpy_dtype(name, align=False, copy=True):  # pylint: disable=unused-argument
    # always a copy (as numpy's own pickles ask): the BUILD that follows sets its
    # state, which must not change numpy's shared float32 dtype
    dtype = np.dtype(name, bool(align), True) if isinstance(name, str) else None
    if dtype is None or dtype.kind not in 'biuf':
        raise ValueError(f'numpy dtype {name!r} in the file: only numeric dtypes are allowed')
    return dtype


def _numpy_scalar(dtype, data=None):
    if not (isinstance(dtype, np.dtype) and dtype.kind in 'biuf' and isinstance(data, bytes)
            and len(data) == dtype.itemsize):
        raise ValueError('a numpy number in the file is damaged')
    return np.frombuffer(data, dtype=dtype)[0]


def _allowed_globals():
    allowed = {('mxnet.ndarray.ndarray', 'NDArray'): _new_ndarray,
               ('builtins', 'bytearray'): _bytearray,
               ('numpy', 'dtype'): _numpy_dtype,
               ('numpy.core.multiarray', 'scalar'): _numpy_scalar,
               ('numpy._core.multiarray', 'scalar'): _numpy_scalar}
    allowed.update(_optimizer_classes())
    allowed.update(_scheduler_classes())
    return allowed


class _RefusedGlobal(ValueError):
    pass


def _private_copy(obj):
    """A copy of class or function ``obj`` that only one load sees. A pickle's BUILD
    opcode sets attributes on whatever it is given, a global too: it must not be able
    to change d2lmini's own classes and functions for the rest of the program. A class
    is copied as an empty subclass; its instances get the real class back once loaded."""
    if isinstance(obj, type):
        return type(obj.__name__, (obj,), {'__module__': obj.__module__})
    return types.FunctionType(obj.__code__, obj.__globals__, obj.__name__, obj.__defaults__,
                              obj.__closure__)


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that knows only the globals of MXNet's optimizer-states files."""

    def __init__(self, file):
        super().__init__(file)
        self.allowed = {key: _private_copy(obj) for key, obj in _allowed_globals().items()}
        # the real class of each private copy of a class
        self.real_classes = {copy: copy.__base__ for copy in self.allowed.values()
                             if isinstance(copy, type)}

    def find_class(self, module, name):
        found = self.allowed.get((module, name))
        if found is None:
            raise _RefusedGlobal(f'refusing to load the global {module}.{name} named by the '
                                 'optimizer states file: MXNet states files hold only arrays, '
                                 "MXNet's optimizers and learning-rate schedulers")
        return found

    def persistent_load(self, pid):
        raise _RefusedGlobal(f'refusing the persistent id {pid!r} in the optimizer states file')


def loads_mxnet_states(data):
    """The ``(states, optimizer or None)`` in a pickle written by MXNet 1.x's
    ``Updater.get_states`` (or :func:`dumps_mxnet_states`); see the module docstring."""
    unpickler = _RestrictedUnpickler(io.BytesIO(data))
    try:
        loaded = unpickler.load()
    except _RefusedGlobal:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, KeyError,
            IndexError, struct.error, OverflowError, UnicodeDecodeError, RecursionError,
            MemoryError) as e:
        raise ValueError('not an optimizer states file written by MXNet, or a damaged one: '
                         f'{e!r}') from None
    try:
        return _checked(loaded, _Restorer(unpickler.real_classes))
    except RecursionError:
        raise ValueError('corrupt MXNet optimizer states file: it nests lists, tuples or '
                         'dicts too deeply') from None


def _checked(loaded, restore):
    """``(states, optimizer or None)`` from what the unpickler built, checked."""
    from .optimizer import Optimizer
    optimizer = None
    if type(loaded) is tuple and len(loaded) == 2:
        loaded, optimizer = loaded
        optimizer = restore(optimizer, 'the optimizer')
        if not isinstance(optimizer, Optimizer):
            raise ValueError('corrupt MXNet optimizer states file: the second item of the '
                             f'pair is a {type(optimizer).__name__}, not an optimizer')
    if type(loaded) is not dict:
        raise ValueError('corrupt MXNet optimizer states file: it holds a '
                         f'{type(loaded).__name__}, not a dict of states')
    states = restore(loaded, 'the states')
    for key, state in states.items():
        if not isinstance(key, (int, str)):
            raise ValueError(f'corrupt MXNet optimizer states file: state key {key!r}')
        _check_state(state, key)
    if optimizer is not None:
        optimizer = _finish_optimizer(optimizer)
    return states, optimizer


def _check_state(state, key):
    """A state is None, an NDArray, or tuples and lists of them."""
    if isinstance(state, (tuple, list)):
        for part in state:
            _check_state(part, key)
    elif not (state is None or isinstance(state, NDArray)):
        raise ValueError(f'corrupt MXNet optimizer states file: the state of {key!r} holds a '
                         f'{type(state).__name__}')


def _finish_optimizer(opt):
    """Check that the unpickled optimizer has its class's attributes, then drop what
    MXNet alone uses and rebuild what is not saved."""
    missing = set(vars(type(opt)())) - set(vars(opt)) - {'param_dict'}
    if missing:
        raise ValueError(f'corrupt MXNet optimizer states file: the {type(opt).__name__} '
                         f'lacks {sorted(missing)}')
    vars(opt).pop('allow_np_array', None)    # MXNet's numpy-array mode, not d2lmini's
    opt.param_dict = {}
    opt._set_current_context(0)
    return opt


class _Restorer:
    """Turns what the unpickler built into d2lmini values, refusing anything else:
    arrays become NDArrays, optimizers and schedulers get their attributes checked.
    Objects shared in the pickle stay shared; a cycle is refused."""

    _PLAIN = (type(None), bool, int, float, str, np.number, np.bool_)

    def __init__(self, real_classes):
        self.real_classes = real_classes
        self.done, self.active = {}, set()

    def __call__(self, value, where):
        if isinstance(value, self._PLAIN):
            return value
        if id(value) in self.done:
            return self.done[id(value)]
        if id(value) in self.active:
            raise ValueError(f'corrupt MXNet optimizer states file: {where} refers to itself')
        self.active.add(id(value))
        result = self._restore(value, where)
        self.active.discard(id(value))
        self.done[id(value)] = result
        return result

    def _restore(self, value, where):
        from .optimizer import Optimizer
        if isinstance(value, _PickledArray):
            if value.array is None:
                raise ValueError(f'corrupt MXNet optimizer states file: an NDArray in {where} '
                                 'has no data')
            return value.array
        if type(value) in (tuple, list):
            return type(value)(self(v, where) for v in value)
        if type(value) is dict:
            return {self(k, where): self(v, where) for k, v in value.items()}
        if type(value) in self.real_classes:
            value.__class__ = self.real_classes[type(value)]
        if type(value) in self.real_classes.values() and isinstance(
                value, (Optimizer, _lr_scheduler.LRScheduler)):
            what = f'{where} ({type(value).__name__})'
            attrs = {k: self(v, what) for k, v in vars(value).items()}
            if not all(isinstance(k, str) for k in attrs):
                raise ValueError(f'corrupt MXNet optimizer states file: {what} has an '
                                 'attribute whose name is not a string')
            vars(value).update(attrs)
            return value
        raise ValueError(f'corrupt MXNet optimizer states file: {where} holds a '
                         f'{type(value).__name__}, which MXNet states files do not hold')


# ------------------------------------------------------------------ writing
def dumps_mxnet_states(states, optimizer=None):
    """``states`` (dict index -> state), and ``optimizer`` if given, as the pickle that
    MXNet 1.x's ``Updater.get_states`` writes: real MXNet loads it with
    ``Trainer.load_states`` / ``Module.load_optimizer_states``.

    Arrays are saved as CPU arrays (MXNet moves states to their weights' devices when
    it loads them). Only MXNet's own optimizers and schedulers can be written: MXNet
    could not find any other class.
    """
    value = states if optimizer is None else (states, optimizer)
    return _PickleWriter().dump(value)


class _PickleWriter:
    """Writes the pickle opcodes of protocol 3 for the few kinds of values optimizer
    states hold, naming MXNet's classes (which need not be importable here, as the
    standard pickler would require).

    An array is ``NDArray(None)`` followed by BUILD with ``{'handle': bytearray(raw)}``,
    an optimizer or scheduler ``cls.__new__(cls)`` (NEWOBJ) followed by BUILD with its
    attributes: what MXNet's own files hold. Dicts and lists are memoized, so that an
    object referred to twice (the optimizer's current update counts, which are one of
    its per-device tables) is one object again when read.
    """

    def __init__(self):
        self.out = bytearray()
        self.memo = {}      # id -> memo index
        self.alive = []     # the memoized objects, so that no id is reused meanwhile

    def dump(self, value):
        self.out += b'\x80\x03'                 # PROTO 3
        self.save(value)
        self.out += b'.'                        # STOP
        return bytes(self.out)

    def memoize(self, value):
        self.memo[id(value)] = len(self.memo)
        self.alive.append(value)
        self.out += b'r' + struct.pack('<I', self.memo[id(value)])   # LONG_BINPUT

    def save(self, value):
        from .optimizer import Optimizer
        if id(value) in self.memo:
            self.out += b'j' + struct.pack('<I', self.memo[id(value)])  # LONG_BINGET
        elif value is None:
            self.out += b'N'
        elif isinstance(value, (bool, np.bool_)):
            self.out += b'\x88' if value else b'\x89'
        elif isinstance(value, numbers.Integral):
            self.save_int(int(value))
        elif isinstance(value, numbers.Real):
            self.out += b'G' + struct.pack('>d', float(value))      # BINFLOAT
        elif isinstance(value, str):
            self.save_str(value)
        elif isinstance(value, NDArray):
            self.save_array(value)
        elif type(value) is tuple:
            self.out += b'('
            for item in value:
                self.save(item)
            self.out += b't'
        elif type(value) is list:
            self.out += b']'
            self.memoize(value)
            self.out += b'('
            for item in value:
                self.save(item)
            self.out += b'e'                                         # APPENDS
        elif type(value) is dict:
            self.save_dict(value)
        elif isinstance(value, Optimizer):
            self.save_object(value, _optimizer_module(type(value).__name__),
                             _optimizer_classes(), extra={'allow_np_array': False})
        elif isinstance(value, _lr_scheduler.LRScheduler):
            self.save_object(value, 'mxnet.lr_scheduler', _scheduler_classes())
        else:
            raise TypeError(f'cannot save a {type(value).__name__} in MXNet\'s optimizer states '
                            'format: it holds numbers, strings, lists, tuples, dicts, NDArrays, '
                            "MXNet's optimizers and schedulers")

    def save_int(self, n):
        if -2 ** 31 <= n < 2 ** 31:
            self.out += b'J' + struct.pack('<i', n)                  # BININT
        else:
            raw = n.to_bytes((n.bit_length() + 8) // 8, 'little', signed=True)
            self.out += b'\x8a' + bytes([len(raw)]) + raw            # LONG1

    def save_str(self, s):
        raw = s.encode('utf-8', 'surrogatepass')
        self.out += b'X' + struct.pack('<I', len(raw)) + raw         # BINUNICODE

    def save_global(self, module, name):
        self.out += b'c' + f'{module}\n{name}\n'.encode()           # GLOBAL

    def save_dict(self, d):
        self.out += b'}'
        self.memoize(d)
        self.out += b'('
        for key, item in d.items():
            self.save(key)
            self.save(item)
        self.out += b'u'                                             # SETITEMS

    def save_array(self, a):
        raw = _raw_bytes(a.as_in_context(_cpu()))
        self.save_global('mxnet.ndarray.ndarray', 'NDArray')
        self.out += b'(Nt'                     # the argument tuple (None,)
        self.out += b'R'                       # REDUCE: NDArray(None)
        self.memoize(a)
        self.out += b'}('
        self.save_str('handle')
        self.save_global('builtins', 'bytearray')
        self.out += b'(B' + struct.pack('<I', len(raw)) + raw + b'tR'  # bytearray(bytes)
        self.out += b'ub'                      # SETITEMS, BUILD

    def save_object(self, obj, module, known, extra=()):
        name = type(obj).__name__
        if known.get((module, name)) is not type(obj):
            raise TypeError(f'cannot save {name} in MXNet\'s optimizer states format: MXNet '
                            f'has no class {module}.{name} to load it with')
        self.save_global(module, name)
        self.out += b')\x81'                   # EMPTY_TUPLE, NEWOBJ: cls.__new__(cls)
        self.memoize(obj)
        attrs = {k: v for k, v in vars(obj).items() if k != 'param_dict'}
        for key, value in dict(extra).items():
            attrs.setdefault(key, value)
        self.save_dict(attrs)
        self.out += b'b'                       # BUILD


def _cpu():
    from .context import cpu
    return cpu()
