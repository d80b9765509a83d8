"""The profiler: how long each operator takes, as MXNet 1.x's ``mx.profiler`` tells.

Configure it, switch it on, run some code, switch it off, then read the results::

    mx.profiler.set_config(profile_all=True, aggregate_stats=True,
                           filename='profile.json')
    mx.profiler.set_state('run')
    ...                                 # eager calls, hybridized blocks, executors
    mx.profiler.set_state('stop')
    print(mx.profiler.dumps())          # a table: count and times per operator
    mx.profiler.dump()                  # profile.json, for chrome://tracing or Perfetto

While it runs, every operator d2lmini executes is timed: eager ``nd.X`` calls, the
operators of a hybridized block's compiled plan (fused kernels included, under
their ``_fused_...`` names), and the nodes an executor runs. Off, the cost is one
flag check per operator, in ``invoke`` and in a plan's ``run``. On a GPU, kernels
are queued, not run, when the Python call returns: the profiler waits for the
device before reading the clock on either side of an operator, so the time is the
kernel's own (and so profiling slows a GPU program down, as it does in MXNet).

Like MXNet 1.x, the operators of ``nd`` calls and of hybridized blocks count as
*imperative* (``profile_imperative``), those an executor runs (``Symbol.bind``,
``Module``, forward and backward) as *symbolic* (``profile_symbolic``); a custom
operator's Python code and the operators it calls are listed under
``'Custom Operator'``. MXNet's engine also lists its own bookkeeping
(``WaitForVar``, ``DeleteVariable``, ``CopyCPU2CPU``...), which d2lmini does not have.

Your own code can be measured too: :class:`Event` (a named span), :class:`Task`
and :class:`Frame` (spans in a :class:`Domain`), :class:`Counter` (a value plotted
over time) and :class:`Marker` (an instant).

>>> import d2lmini as mx
>>> mx.profiler.set_config(profile_all=True, aggregate_stats=True)
>>> mx.profiler.set_state('run')
>>> y = mx.nd.relu(mx.nd.ones((2, 2)) * 3)
>>> mx.profiler.set_state('stop')
>>> stats = json.loads(mx.profiler.dumps(reset=True, format='json'))
>>> sorted(stats['Time']['operator'])
['_mul_scalar', '_ones', 'relu']
>>> stats['Time']['operator']['relu']['Count']
1
>>> mx.profiler.set_config()        # back to MXNet's defaults

Where d2lmini differs from MXNet 1.x (see the functions' docstrings): ``dump()``
always writes one complete JSON file, replacing the old one in a single step;
``continuous_dump`` and ``dump_period`` are accepted but the file is written only by
``dump()``; there is no C API and no memory pool to watch, so ``profile_api`` and
``profile_memory`` record nothing; counters are summarised by their values, not by
times; ``start``/``stop`` are short names for ``set_state``.
"""
import functools
import json
import os
import tempfile
import threading
import time
import types
import warnings
import weakref

import numpy as np

from . import backend
from .base import MXNetError

__all__ = ['set_config', 'set_state', 'start', 'stop', 'pause', 'resume', 'dump', 'dumps',
           'Domain', 'Task', 'Frame', 'Event', 'Counter', 'Marker',
           'profiler_set_config', 'profiler_set_state', 'dump_profile']

# ---------------------------------------------------------------- configuration
# set_config's settings and their defaults (those of MXNet 1.x); each call starts
# from these again, as MXNet's does
_DEFAULTS = {
    'profile_all': False,
    'profile_symbolic': True,
    'profile_imperative': True,
    'profile_memory': True,
    'profile_api': True,
    'filename': 'profile.json',
    'continuous_dump': True,
    'dump_period': 1.0,
    'aggregate_stats': False,
    'profile_process': 'worker',
}
_PROCESSES = ('worker', 'server')
_STATES = ('stop', 'run')
_SORT_KEYS = ('total', 'avg', 'min', 'max', 'count')
_MARKER_SCOPES = {'global': 'g', 'process': 'p', 'thread': 't', 'task': 't', 'marker': 't'}


class _Profile:
    """Everything the profiler knows, in one place.

    ``active`` is THE flag the operator paths check: True while the profiler runs,
    is not paused, and some kind of operator is to be measured."""

    def __init__(self):
        self.config = dict(_DEFAULTS)
        self.running = False
        self.paused = False
        self.active = False
        self.ever_ran = False
        self.threads = threading.local()   # what each thread is running: _thread_state
        self.events = []     # (phase, name, category, process, thread, start, end, extra)
        self.stats = {}      # category -> name -> [count, total, min, max] (seconds)
        self.counters = {}   # domain -> name -> [count, min, max, last]
        self.lock = threading.Lock()

    def wants(self, kind):
        """Whether operators of ``kind`` ('imperative' or 'symbolic') are measured."""
        return self.config['profile_all'] or self.config[f'profile_{kind}']

    def refresh(self):
        self.active = (self.running and not self.paused
                       and (self.wants('imperative') or self.wants('symbolic')))


_PROFILE = _Profile()

# the trace's times are microseconds since the epoch, as MXNet's; the clock is the
# precise perf_counter, anchored to the wall clock once
_EPOCH_SECONDS = time.time() - time.perf_counter()
_clock = time.perf_counter


def set_config(**kwargs):
    """Set up the profiler (MXNet 1.x's settings; the others go back to their defaults).

    - ``profile_all``: measure everything (default False);
    - ``profile_imperative``: operators of ``nd`` calls and hybridized blocks (True);
    - ``profile_symbolic``: operators run by executors (``bind``, ``Module``) (True);
    - ``profile_memory``, ``profile_api``: accepted; d2lmini has no memory pool and no
      C API, so they record nothing;
    - ``filename``: where :func:`dump` writes the trace (``'profile.json'``);
    - ``continuous_dump``, ``dump_period``: accepted; the file is written by ``dump()``;
    - ``aggregate_stats``: keep per-operator counts and times for :func:`dumps` (False);
    - ``profile_process``: ``'worker'`` (``'server'`` profiles a parameter server,
      which d2lmini does not have).

    >>> set_config(profile_all=True, filename='run1.json')
    >>> set_config(bogus=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    d2lmini.base.MXNetError: profiler.set_config: unknown setting 'bogus'; the settings are ...
    >>> set_config()
    """
    unknown = [k for k in kwargs if k not in _DEFAULTS]
    if unknown:
        raise MXNetError(f'profiler.set_config: unknown setting {unknown[0]!r}; the settings '
                         f'are {", ".join(_DEFAULTS)}')
    config = dict(_DEFAULTS)
    for key, value in kwargs.items():
        if key == 'filename':
            if not isinstance(value, (str, os.PathLike)):
                raise TypeError(f'profiler.set_config: filename must be a path, got {value!r}')
            value = os.fspath(value)
        elif key == 'dump_period':
            value = float(value)
        elif key == 'profile_process':
            _check_process(value)
        else:
            value = bool(value)
        config[key] = value
    _PROFILE.config = config
    _PROFILE.refresh()


def _check_process(profile_process):
    if profile_process not in _PROCESSES:
        raise KeyError(f"profile_process must be 'worker' or 'server', "
                       f'not {profile_process!r}')
    if profile_process == 'server':
        raise MXNetError("profile_process='server' profiles a distributed parameter "
                         "server, which d2lmini does not have; use 'worker'")


def set_state(state='stop', profile_process='worker'):
    """Start (``'run'``) or stop (``'stop'``) profiling.

    Another state is refused with a KeyError, as in MXNet 1.x, that names the two.

    >>> set_state('go')
    Traceback (most recent call last):
    ...
    KeyError: "profiler state must be 'run' or 'stop', not 'go'"
    """
    if state not in _STATES:
        raise KeyError(f"profiler state must be 'run' or 'stop', not {state!r}")
    _check_process(profile_process)
    _PROFILE.running = state == 'run'
    _PROFILE.paused = False
    _PROFILE.ever_ran = _PROFILE.ever_ran or _PROFILE.running
    _PROFILE.refresh()


def start(profile_process='worker'):
    """``set_state('run')``."""
    set_state('run', profile_process)


def stop(profile_process='worker'):
    """``set_state('stop')``."""
    set_state('stop', profile_process)


def pause(profile_process='worker'):
    """Stop recording for a while, without ending the profile (see :func:`resume`)."""
    _check_process(profile_process)
    _PROFILE.paused = True
    _PROFILE.refresh()


def resume(profile_process='worker'):
    """Record again after :func:`pause`."""
    _check_process(profile_process)
    _PROFILE.paused = False
    _PROFILE.refresh()


def current_state():
    """``'run'`` or ``'stop'`` (d2lmini's; MXNet 1.x has no way to ask)."""
    return 'run' if _PROFILE.running else 'stop'


# ---------------------------------------------------------------- recording
def _recording():
    """Whether user spans, counters and markers are recorded now."""
    return _PROFILE.running and not _PROFILE.paused


def _record(phase, name, category, process, start, end=None, extra=None):
    """Keep one trace event; spans (with ``end``) also count in the statistics."""
    thread = threading.get_ident()
    _PROFILE.events.append((phase, name, category, process, thread, start, end, extra))
    if end is not None and _PROFILE.config['aggregate_stats']:
        seconds = end - start
        with _PROFILE.lock:
            entry = _PROFILE.stats.setdefault(category, {}).get(name)
            if entry is None:
                _PROFILE.stats[category][name] = [1, seconds, seconds, seconds]
            else:
                entry[0] += 1
                entry[1] += seconds
                entry[2] = min(entry[2], seconds)
                entry[3] = max(entry[3], seconds)


def _device_name(ctx):
    return f'{ctx.device_type}/{ctx.device_id}'


def _operator_measured():
    """Whether the operator running now is measured, by its kind."""
    return _PROFILE.wants('symbolic' if _thread_state().symbolic else 'imperative')


def _thread_state():
    """This thread's ``symbolic`` (how many executor runs are in progress: their
    operators are symbolic ones) and ``custom`` (the names of the custom operators
    running, innermost last)."""
    state = _PROFILE.threads
    if not hasattr(state, 'custom'):
        state.symbolic, state.custom = 0, []
    return state


def run_op(op, ctx, xp, args, attrs):
    """``op.forward(xp, *args, **attrs)`` on ``ctx``, timed: ``nd``'s operator calls
    come here instead while ``_PROFILE.active``."""
    if not _operator_measured():
        with backend.device_scope(ctx):
            return op.forward(xp, *args, **attrs)
    return _measure(op.name, op.forward, ctx, xp is not np, xp, args, attrs)


def _measure(name, function, ctx, on_gpu, xp, args, kwargs):
    """Time the operator ``name`` (calling ``function``) under the name MXNet 1.x gives it.

    A custom operator (``nd.Custom``) is listed as MXNet lists it, under
    ``'Custom Operator'``: its Python code as ``<op_type>::pure_python`` (its backward
    ``_backward_<op_type>::pure_python``), the operators that code calls as
    ``<op_type>::<operator>`` (``_backward_<op_type>::<operator>``)."""
    inside = _thread_state().custom
    if name in _CUSTOM_OPS:
        prefix = _CUSTOM_OPS[name] + str(kwargs.get('op_type'))
        inside.append(prefix)
        try:
            return _timed_call(f'{prefix}::pure_python', function, ctx, on_gpu, xp, args,
                               kwargs, _CUSTOM_CATEGORY)
        finally:
            inside.pop()
    if inside:
        return _timed_call(f'{inside[-1]}::{name}', function, ctx, on_gpu, xp, args, kwargs,
                           _CUSTOM_CATEGORY)
    return _timed_call(name, function, ctx, on_gpu, xp, args, kwargs)


# the custom operator's entries in the registry, and the prefix of their names
_CUSTOM_OPS = {'Custom': '', '_backward_Custom': '_backward_'}
_CUSTOM_CATEGORY = 'Custom Operator'


def _timed_call(name, function, ctx, on_gpu, xp, args, kwargs, category='operator'):
    if not on_gpu:
        start = _clock()
        result = function(xp, *args, **kwargs)
        end = _clock()
    else:
        # a GPU runs kernels later than Python asks: wait for earlier work, then
        # for this operator's, so the time between the two readings is its own
        with backend.device_scope(ctx):
            backend.synchronize(ctx)
            start = _clock()
            result = function(xp, *args, **kwargs)
            backend.synchronize(ctx)
            end = _clock()
    _record('X', name, category, _device_name(ctx), start, end)
    return result


def symbolic_section(function):
    """Decorate an executor entry point: the operators it runs are symbolic ones.

    Off, the decorated function costs one flag check more per call (not per operator).
    """
    @functools.wraps(function)
    def section(*args, **kwargs):
        if not _PROFILE.active:
            return function(*args, **kwargs)
        state = _thread_state()
        state.symbolic += 1
        try:
            return function(*args, **kwargs)
        finally:
            state.symbolic -= 1
    return section


# compiled plan function -> the same function with every operator call timed
_TIMED_PLANS = weakref.WeakKeyDictionary()


def timed_plan(plan):
    """The function of a hybridized block's compiled plan (``plan.fn``) with each
    operator call timed, made once per plan.

    The plan's code calls the operators by name, ``f0``, ``f1``, ... (``fn.ops`` says
    which): the same code, run with those names bound to timed versions, measures
    each operator without changing the plan."""
    fn = plan.fn
    timed = _TIMED_PLANS.get(fn)
    if timed is None:
        names = dict(fn.__globals__)
        names.pop(fn.__name__, None)      # the plan itself: kept weakly, by the table
        on_gpu = plan.xp is not np
        for k, op in enumerate(fn.ops):
            if f'f{k}' in names:          # constants (c0, ...) are not calls
                names[f'f{k}'] = _timed_kernel(op.name, names[f'f{k}'], plan.ctx, on_gpu)
        timed = types.FunctionType(fn.__code__, names, fn.__name__)
        _TIMED_PLANS[fn] = timed
    return timed


def _timed_kernel(name, function, ctx, on_gpu):
    def kernel(xp, *args, **kwargs):
        if not _PROFILE.active or not _operator_measured():
            return function(xp, *args, **kwargs)
        return _measure(name, function, ctx, on_gpu, xp, args, kwargs)
    return kernel


# ---------------------------------------------------------------- your own spans
class Domain:
    """A group of tasks, frames, counters and markers: one row group of the trace.

    >>> d = Domain('loading')
    >>> d.new_task('decode'), d.new_counter('queued', 0)
    (decode, queued)
    """

    def __init__(self, name):
        self.name = str(name)

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)

    def __str__(self):
        return self.name

    __repr__ = __str__


class _Span:
    """Something that starts and stops: recorded as one complete ('X') event."""

    def __init__(self, name, category, process):
        self.name = str(name)
        self._category, self._process = category, process
        self._start = None

    def start(self):
        self._start = _clock()

    def stop(self):
        if self._start is None:
            raise MXNetError(f'{type(self).__name__} {self.name!r}: stop() without start()')
        start, self._start = self._start, None
        if _recording():
            _record('X', self.name, self._category, self._process, start, _clock())

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def __str__(self):
        return self.name

    __repr__ = __str__


class Task(_Span):
    """A span of work in ``domain``; ``start()`` then ``stop()`` (or ``with task:``).

    >>> task = Task(Domain('pipeline'), 'augment')
    >>> with task:
    ...     pass
    """

    def __init__(self, domain, name):
        super().__init__(name, domain.name, domain.name)


class Frame(_Span):
    """A span that repeats, such as one training iteration, in ``domain``."""

    def __init__(self, domain, name):
        super().__init__(name, f'{domain.name},frame', f'{domain.name},frame')


class Event(_Span):
    """A named span outside any domain."""

    def __init__(self, name):
        super().__init__(name, 'event', 'event')


class Counter:
    """A value followed over time in ``domain`` (shown as a plot in the trace).

    >>> c = Counter(Domain('data'), 'batches', 0)
    >>> c += 2
    >>> c.decrement()
    >>> c.value
    1
    """

    def __init__(self, domain, name, value=None):
        self.domain, self.name = domain, str(name)
        self.value = None
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        if not isinstance(value, (int, np.integer)):
            raise TypeError(f'Counter {self.name!r}: the value must be a whole number, '
                            f'got {value!r}')
        self.value = int(value)
        if _recording():
            _record('C', self.name, self.domain.name, self.domain.name, _clock(),
                    extra={self.name: self.value})
            if _PROFILE.config['aggregate_stats']:
                with _PROFILE.lock:
                    entry = _PROFILE.counters.setdefault(self.domain.name, {}).get(self.name)
                    v = self.value
                    if entry is None:
                        _PROFILE.counters[self.domain.name][self.name] = [1, v, v, v]
                    else:
                        entry[:] = [entry[0] + 1, min(entry[1], v), max(entry[2], v), v]

    def increment(self, delta=1):
        self.set_value((self.value or 0) + delta)

    def decrement(self, delta=1):
        self.set_value((self.value or 0) - delta)

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return self.name

    __repr__ = __str__


class Marker:
    """An instant in ``domain``: ``mark(scope)``, scope one of ``'global'``,
    ``'process'``, ``'thread'``, ``'task'``, ``'marker'`` (how far the line is drawn)."""

    def __init__(self, domain, name):
        self.domain, self.name = domain, str(name)

    def mark(self, scope='process'):
        if scope not in _MARKER_SCOPES:
            raise MXNetError(f'Marker.mark: invalid scope {scope!r}; the scopes are '
                             f'{", ".join(_MARKER_SCOPES)}')
        if _recording():
            category = f'{self.domain.name},instant_marker'
            now = _clock()
            _record('i', self.name, category, category, now, extra=_MARKER_SCOPES[scope])
            if _PROFILE.config['aggregate_stats']:   # an instant: counted, no time
                with _PROFILE.lock:
                    entry = _PROFILE.stats.setdefault(category, {}).setdefault(
                        self.name, [0, 0.0, 0.0, 0.0])
                    entry[0] += 1

    def __str__(self):
        return self.name

    __repr__ = __str__


# ---------------------------------------------------------------- the trace file
def _microseconds(seconds):
    return round((_EPOCH_SECONDS + seconds) * 1e6, 3)


def _trace_events(events):
    """Chrome trace events (the format chrome://tracing and Perfetto read): one
    process per device or domain, named by a metadata ('M') event."""
    process_ids = {}
    out = []

    def pid(process):
        if process not in process_ids:
            process_ids[process] = len(process_ids)
            out.append({'ph': 'M', 'name': 'process_name', 'pid': process_ids[process],
                        'args': {'name': process}})
        return process_ids[process]

    for phase, name, category, process, thread, start, end, extra in events:
        event = {'name': name, 'cat': category, 'ph': phase, 'ts': _microseconds(start),
                 'pid': pid(process), 'tid': thread}
        if phase == 'X':
            event['dur'] = round((end - start) * 1e6, 3)
        elif phase == 'C':
            event['args'] = extra
        elif phase == 'i':
            event['s'] = extra
        out.append(event)
    return out


def dump(finished=True, profile_process='worker'):
    """Write what was recorded to the ``filename`` of :func:`set_config`, as a Chrome
    trace: ``{"traceEvents": [...], "displayTimeUnit": "ms"}``, to open in
    chrome://tracing or https://ui.perfetto.dev.

    Operators and user spans are complete events (``ph`` ``'X'``, with ``dur``),
    counters ``'C'``, markers ``'i'``; times are in microseconds. The file is
    written beside its final name and then renamed over it, so a reader never sees
    half a file. ``finished=True`` (the default) ends this profile: what was recorded
    is dropped after writing, and the next dump starts afresh; ``finished=False``
    keeps it, so a later dump writes it again with what came after.
    """
    _check_process(profile_process)
    if not _PROFILE.ever_ran:
        raise MXNetError("profiler.dump: the profiler has not run; call "
                         "set_state('run') first (and set_config to choose the file)")
    with _PROFILE.lock:
        events = list(_PROFILE.events)
        if finished:
            _PROFILE.events.clear()
    _write_atomically(_PROFILE.config['filename'],
                      {'traceEvents': _trace_events(events), 'displayTimeUnit': 'ms'})


def _write_atomically(filename, document):
    folder = os.path.dirname(os.path.abspath(filename))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=os.path.basename(filename) + '.',
                                         suffix='.tmp')
    try:
        with os.fdopen(handle, 'w') as f:
            json.dump(document, f, indent=1)
            f.write('\n')
        os.replace(temporary, filename)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


# ---------------------------------------------------------------- statistics
_TIME_HEADER = ('Name', 'Total Count', 'Time (ms)', 'Min Time (ms)', 'Max Time (ms)',
                'Avg Time (ms)')
_COUNTER_HEADER = ('Name', 'Total Count', 'Min Value', 'Max Value', 'Last Value')


def dumps(reset=False, format='table', sort_by='total', ascending=False):
    """The aggregate statistics (needs ``set_config(aggregate_stats=True)``), in MXNet
    1.x's layout: per category (``operator``, your domains, ``event``), per name, the
    count and the total, minimum, maximum and average time in milliseconds.

    ``format``: ``'table'`` (text) or ``'json'``; ``sort_by``: ``'total'``, ``'avg'``,
    ``'min'``, ``'max'`` or ``'count'``, ``ascending`` or not; ``reset=True`` clears the
    statistics after reading them. Counters are listed by their values (count of
    changes, minimum, maximum, last value), under ``"Counter"`` in the JSON.

    Without ``aggregate_stats``, there is nothing to show: a warning says so and the
    result is empty, as MXNet's.
    """
    assert format in ('table', 'json'), \
        f"Invalid value provided for format: {format}. Support: 'table', 'json'"
    assert sort_by in _SORT_KEYS, \
        f"Invalid value provided for sort_by: {sort_by}. Support: 'total', 'avg', 'min', " \
        "'max', 'count'"
    assert ascending in (False, True), \
        f'Invalid value provided for ascending: {ascending}. Support: False, True'
    if not _PROFILE.config['aggregate_stats']:
        warnings.warn('profiler.dumps: aggregate statistics are off; call '
                      'set_config(aggregate_stats=True) before profiling', stacklevel=2)
        return ''
    with _PROFILE.lock:
        times = {c: {n: _summary(e) for n, e in names.items()}
                 for c, names in _PROFILE.stats.items()}
        counters = {d: {n: dict(zip(('Count', 'Min', 'Max', 'Last'), e))
                        for n, e in names.items()}
                    for d, names in _PROFILE.counters.items()}
        if reset:
            _PROFILE.stats.clear()
            _PROFILE.counters.clear()
    key = {'total': 'Total', 'avg': 'Avg', 'min': 'Min', 'max': 'Max', 'count': 'Count'}[sort_by]
    times = {c: dict(sorted(times[c].items(), key=lambda kv: kv[1][key],
                            reverse=not ascending)) for c in sorted(times)}
    counters = {d: dict(sorted(counters[d].items())) for d in sorted(counters)}
    if format == 'json':
        document = {'Time': times, 'Memory': {}, 'Unit': {'Time': 'ms', 'Memory': 'kB'}}
        if counters:
            document['Counter'] = counters
        return json.dumps(document, indent=4) + '\n'
    return _table(times, counters)


def _summary(entry):
    """Count and times in milliseconds of a statistics entry (seconds)."""
    count, total, low, high = entry
    ms = [round(v * 1e3, 6) for v in (total, low, high, total / count)]
    return dict(zip(('Count', 'Total', 'Min', 'Max', 'Avg'), [count] + ms))


def _row(cells, numbers=False):
    name, count, *rest = cells
    text = f'{name:<25}{count:>16}'
    return text + ''.join(f'{v:>17.4f}' if numbers else f'{v:>17}' for v in rest)


def _block(title, header, rows):
    lines = [title, '=' * 17, _row(header), _row(['-' * len(h) for h in header])]
    return '\n'.join(lines + rows) + '\n\n'


def _table(times, counters):
    text = '\nProfile Statistics:\n\tNote the difference in units for different entries.\n'
    for category, names in times.items():
        rows = [_row([n, s['Count'], s['Total'], s['Min'], s['Max'], s['Avg']], True)
                for n, s in names.items()]
        text += _block(category, _TIME_HEADER, rows)
    for domain, names in counters.items():
        rows = [_row([n, c['Count'], c['Min'], c['Max'], c['Last']]) for n, c in names.items()]
        text += _block(f'{domain} (counters)', _COUNTER_HEADER, rows)
    return text


# ---------------------------------------------------------------- MXNet's old names
def profiler_set_config(mode='symbolic', filename='profile.json'):
    """Deprecated (MXNet 1.x): ``set_config(profile_<mode>=True, filename=filename)``;
    ``mode`` is ``'symbolic'``, ``'imperative'``, ``'api'``, ``'memory'`` or ``'all'``."""
    warnings.warn('profiler.profiler_set_config() is deprecated. Please use '
                  'profiler.set_config() instead', stacklevel=2)
    key = f'profile_{mode}'
    if key not in _DEFAULTS:
        raise MXNetError(f"profiler_set_config: unknown mode {mode!r}; the modes are "
                         "'symbolic', 'imperative', 'api', 'memory', 'all'")
    set_config(**{key: True, 'filename': filename})


def profiler_set_state(state='stop'):
    """Deprecated (MXNet 1.x): :func:`set_state`."""
    warnings.warn('profiler.profiler_set_state() is deprecated. Please use '
                  'profiler.set_state() instead', stacklevel=2)
    set_state(state)


def dump_profile():
    """Deprecated (MXNet 1.x): :func:`dump`."""
    warnings.warn('profiler.dump_profile() is deprecated. Please use profiler.dump() '
                  'instead', stacklevel=2)
    dump(True)
