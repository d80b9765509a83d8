"""A small harness that times d2lmini against PyTorch on the CPU.

A benchmark file names its cases once and gives, for each framework, a function
that builds the callables to time. The harness does the rest:

* every measurement runs in a fresh subprocess (a *worker*) that imports only its
  own framework. Two frameworks in one process would each start a thread pool, and
  the pools would fight over the same cores and slow both down;
* the workers take turns, d2lmini then PyTorch, for several rounds, so that a slow
  spell of the machine (another program, a warm-up of the CPU clock) hits both
  frameworks rather than one;
* each worker times each case with ``time.perf_counter``: a warm-up, then enough
  calls per repeat to last ``min_time`` seconds, several repeats, and the median
  time per call. The harness keeps the median of these over the rounds;
* the result is a table of d2lmini's time, PyTorch's time and their ratio, plus
  the machine and the versions, and optionally a JSON file.

A new benchmark file looks like this (see ``bench_eager.py`` for a full one)::

    from .harness import Benchmark

    bench = Benchmark('Vector add', cases=['add'])

    @bench.framework('d2lmini')
    def d2lmini_cases(quick):
        import d2lmini as mx
        x = mx.nd.ones((10,))
        return {'add': lambda: x + x}

    @bench.framework('torch')
    def torch_cases(quick):
        import torch
        x = torch.ones(10)
        return {'add': lambda: x + x}

    if __name__ == '__main__':
        bench.main()

and runs with ``python -m benchmarks.my_file`` (``--help`` lists the options).
The worker side can be run by hand too, and prints its timings as JSON::

    python -m benchmarks.my_file --worker d2lmini --case add
"""
import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time


# ------------------------------------------------------------------ frameworks
class Framework:
    """How to run one framework's worker.

    ``label`` is the column title, ``env`` extra environment variables for its
    process, ``setup(threads)`` runs first in the worker and returns the versions
    to report.
    """

    def __init__(self, name, label, setup, env=None):
        self.name, self.label, self.setup = name, label, setup
        self.env = env or {}


def _setup_d2lmini(threads):
    import numpy
    import d2lmini
    return {'d2lmini': d2lmini.__version__, 'numpy': numpy.__version__}


def _setup_torch(threads):
    import numpy
    import torch
    torch.set_num_threads(threads)
    return {'torch': torch.__version__, 'numpy': numpy.__version__}


# The order is the order of the turns and of the table's columns; the first is
# the one the ratio puts on top (d2lmini / PyTorch).
FRAMEWORKS = {
    'd2lmini': Framework('d2lmini', 'd2lmini', _setup_d2lmini),
    # PyTorch's OpenMP workers sleep when idle and wake up milliseconds late
    # for the next operator unless told to keep spinning.
    'torch': Framework('torch', 'PyTorch', _setup_torch, env={'OMP_WAIT_POLICY': 'ACTIVE'}),
}

# The thread count goes to every library a framework may use underneath (numpy's
# OpenBLAS, PyTorch's OpenMP and MKL). They read it when loaded, hence the
# environment and not a call inside the worker.
_THREAD_VARIABLES = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS')


# ------------------------------------------------------------------ settings
class Settings:
    """How long to time: rounds of workers, repeats per case and the least
    duration of one repeat. ``Settings.for_quick_run()`` is for a smoke run."""

    def __init__(self, rounds=5, repeats=7, min_time=0.02, warmup=0.05, quick=False):
        self.rounds, self.repeats = rounds, repeats
        self.min_time, self.warmup = min_time, warmup
        self.quick = quick   # also passed to the builders: they may use smaller inputs

    @classmethod
    def for_quick_run(cls):
        return cls(rounds=1, repeats=3, min_time=0.002, warmup=0.005, quick=True)

    def as_dict(self):
        return dict(vars(self))


# ------------------------------------------------------------------ timing
class Step:
    """A callable to time, optionally inside a ``with`` block.

    ``scope`` is a function returning a context manager, entered once around all
    the calls of a measurement. It lets a benchmark time an operator inside
    ``autograd.record()`` without also timing the ``with`` statement each call.
    """

    def __init__(self, fn, scope=None):
        self.fn = fn
        self.scope = scope

    def enter(self):
        return self.scope() if self.scope is not None else contextlib.nullcontext()


def as_step(case):
    """A :class:`Step` for a plain callable; a Step stays as it is."""
    return case if isinstance(case, Step) else Step(case)


def run_once(case):
    """Call a case once (in its scope) and return what it returns."""
    step = as_step(case)
    with step.enter():
        return step.fn()


def elapsed(fn, number):
    """Seconds that ``number`` calls of ``fn`` take."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def time_case(case, settings):
    """Seconds per call of ``case``: the median over ``settings.repeats`` repeats,
    each of enough calls to last at least ``settings.min_time``.

    Returns ``(median, per-repeat times)``.
    """
    step = as_step(case)
    fn = step.fn
    with step.enter():
        # warm-up: caches, lazy initialisation, the CPU's clock
        deadline = time.perf_counter() + settings.warmup
        fn()
        while time.perf_counter() < deadline:
            fn()
        # find how many calls fill one repeat; double until it is long enough
        number = 1
        while elapsed(fn, number) < settings.min_time:
            number *= 2
        times = [elapsed(fn, number) / number for _ in range(settings.repeats)]
    return statistics.median(times), times


def time_in_turns(cases, settings):
    """Seconds per call of each case: the median of ``settings.repeats`` turns, each
    of enough calls to last ``settings.min_time``. The cases take turns (one turn of
    each, then the next), so that all see the same machine: on a shared one its
    speed drifts by tens of percent within a minute, which timing the cases one
    after the other would turn into differences between them. A case that fails
    is reported as its error."""
    numbers, out = {}, {}
    for name, fn in cases.items():
        try:
            fn()                                # warm-up: builds plans, fills caches
            number = 1
            while elapsed(fn, number) < settings.min_time:
                number *= 2
            numbers[name] = number
        except Exception as e:      # report it, keep timing the rest
            out[name] = f'{type(e).__name__}: {e}'
    times = {name: [] for name in numbers}
    for _ in range(settings.repeats):
        for name, number in numbers.items():
            times[name].append(elapsed(cases[name], number) / number)
    out.update((name, statistics.median(t)) for name, t in times.items())
    return {name: out[name] for name in cases}


# ------------------------------------------------------------------ benchmarks
class Benchmark:
    """A set of named cases, each built once per framework.

    ``cases`` fixes the names and the order of the table. ``targets`` maps case
    names to the largest acceptable ratio d2lmini / PyTorch; the table marks
    each case as within it or over it.
    """

    def __init__(self, title, cases, targets=None, note=''):
        self.title = title
        self.cases = list(cases)
        if len(set(self.cases)) != len(self.cases):
            raise ValueError(f'{title}: case names repeat')
        self.targets = dict(targets or {})
        self.note = note
        self.builders = {}

    def framework(self, name):
        """Decorator: ``fn(quick)`` returns ``{case name: callable or Step}`` for
        framework ``name``."""
        if name not in FRAMEWORKS:
            raise ValueError(f'unknown framework {name!r}; known: {", ".join(FRAMEWORKS)}')

        def decorate(fn):
            self.builders[name] = fn
            return fn
        return decorate

    def build(self, framework, quick=False):
        """The cases of ``framework``; checks that the names are exactly the
        benchmark's, so that both columns of the table time the same cases."""
        cases = self.builders[framework](quick)
        if list(cases) != self.cases:
            missing = [c for c in self.cases if c not in cases]
            extra = [c for c in cases if c not in self.cases]
            raise ValueError(f'{self.title}: the {framework} cases differ from the declared '
                             f'ones (missing {missing}, extra {extra}, or another order)')
        return cases

    # -------------------------------------------------------------- worker side
    def run_worker(self, framework, names, settings, threads):
        """Time the cases ``names`` of ``framework`` in this process.

        A case that raises is reported with its error instead of a time, so that
        one broken case does not hide the others.
        """
        versions = FRAMEWORKS[framework].setup(threads)
        cases = self.build(framework, settings.quick)
        results = {}
        for name in names:
            try:
                median, times = time_case(cases[name], settings)
                results[name] = {'median': median, 'times': times}
            except Exception as e:  # report it, keep timing the rest
                results[name] = {'error': f'{type(e).__name__}: {e}'}
        return {'framework': framework, 'versions': versions, 'threads': threads,
                'results': results}

    # -------------------------------------------------------------- driver side
    def main(self, argv=None):
        """Command line: run the comparison, or (``--worker``) one worker."""
        args = _parser(self).parse_args(argv)
        names = args.case or self.cases
        unknown = [n for n in names if n not in self.cases]
        if unknown:
            sys.exit(f'unknown case(s) {", ".join(unknown)}; the cases are: '
                     f'{", ".join(self.cases)}')
        settings = Settings.for_quick_run() if args.quick else Settings()
        if args.rounds is not None:
            settings.rounds = args.rounds
        if args.worker:
            out = self.run_worker(args.worker, names, settings, args.threads)
            # one line of JSON, last on stdout, so stray prints cannot break it
            print(json.dumps(out))
            return out
        if importlib.util.find_spec('torch') is None:
            sys.exit('PyTorch is not installed in this environment: '
                     'pip install torch==2.13.0  (the d2lmini side alone runs with '
                     '--worker d2lmini)')
        report = self.compare(names, settings, args.threads, module=_main_module())
        print(format_table(report))
        if args.json:
            with open(args.json, 'w') as f:
                json.dump(report, f, indent=1)
            print(f'\nresults written to {args.json}')
        return report

    def compare(self, names, settings, threads, module):
        """Run the workers in turns and collect the medians into a report (a dict,
        what ``--json`` writes)."""
        load_before = _load()
        per_round = {fw: {n: [] for n in names} for fw in FRAMEWORKS}
        errors = {fw: {} for fw in FRAMEWORKS}
        versions = {}
        for r in range(settings.rounds):
            for fw in FRAMEWORKS:       # A B, A B, ...: both see the same machine
                out = _spawn_worker(module, fw, names, settings, threads)
                versions.update(out['versions'])
                for n, res in out['results'].items():
                    if 'error' in res:
                        errors[fw][n] = res['error']
                    else:
                        per_round[fw][n].append(res['median'])
            print(f'round {r + 1}/{settings.rounds} done', file=sys.stderr, flush=True)
        cases = []
        for n in names:
            row = {'name': n, 'target': self.targets.get(n), 'rounds': {}}
            for fw in FRAMEWORKS:
                times = per_round[fw][n]
                row[fw] = statistics.median(times) if times else None
                row['rounds'][fw] = times
                if n in errors[fw]:
                    row.setdefault('errors', {})[fw] = errors[fw][n]
            first, second = (row[fw] for fw in FRAMEWORKS)
            row['ratio'] = first / second if first and second else None
            cases.append(row)
        machine = machine_info(versions, threads)
        machine['load'] = [load_before, _load()]
        return {'benchmark': self.title, 'note': self.note, 'module': module,
                'machine': machine,
                'settings': settings.as_dict(), 'cases': cases}


def _main_module():
    """The dotted name of the benchmark being run (``python -m benchmarks.x``
    makes it ``__main__``, but its spec keeps the real name, which the workers
    need to import it)."""
    spec = getattr(sys.modules['__main__'], '__spec__', None)
    if spec is None:
        raise RuntimeError('run benchmarks as modules: python -m benchmarks.<name>')
    return spec.name


def _parser(bench):
    p = argparse.ArgumentParser(description=f'{bench.title}: d2lmini against PyTorch '
                                '(CPU), each in its own process, in turns.')
    p.add_argument('--quick', action='store_true',
                   help='one short round: checks that everything runs, times are rough')
    p.add_argument('--rounds', type=int, help='rounds of turns (default 5, quick 1)')
    p.add_argument('--threads', type=int, default=os.cpu_count(),
                   help='threads for both frameworks (default: all cores)')
    p.add_argument('--case', action='append', metavar='NAME',
                   help='time only this case (repeatable); default: all')
    p.add_argument('--json', metavar='PATH', help='also write the results as JSON')
    p.add_argument('--worker', choices=list(FRAMEWORKS),
                   help='internal: time one framework in this process, print JSON')
    return p


def worker_env(framework, threads):
    """The environment of a worker process: ours, with the thread count set for
    every library and the framework's own variables."""
    env = dict(os.environ)
    for var in _THREAD_VARIABLES:
        env[var] = str(threads)
    env.update(FRAMEWORKS[framework].env)
    return env


def _spawn_worker(module, framework, names, settings, threads):
    """Run one worker subprocess and return its parsed JSON."""
    cmd = [sys.executable, '-m', module, '--worker', framework, '--threads', str(threads)]
    if settings.quick:
        cmd.append('--quick')
    for n in names:
        cmd += ['--case', n]
    # run from the folder holding the benchmarks package, so `-m` finds it
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, env=worker_env(framework, threads), cwd=root,
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f'the {framework} worker failed (exit code {proc.returncode}):\n'
                           f'{" ".join(cmd)}\n{proc.stderr.strip()}')
    return json.loads(lines[-1])


# ------------------------------------------------------------------ report
def machine_info(versions, threads):
    """Cores, CPU, OS, Python and library versions: what a reader needs to judge
    the numbers."""
    cpu = platform.processor()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return {'cores': os.cpu_count(), 'cpu': cpu or 'unknown', 'threads': threads,
            'os': platform.platform(), 'python': platform.python_version(),
            'versions': versions}


def _load():
    """The 1-minute load average (None where the system does not say)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def format_time(seconds):
    """``1.23 us``, ``45.6 ms``: three significant digits in a fitting unit."""
    if seconds is None:
        return '-'
    for unit, scale in (('s', 1.0), ('ms', 1e-3), ('us', 1e-6)):
        if seconds >= scale:
            return f'{seconds / scale:.3g} {unit}'
    return f'{seconds / 1e-9:.3g} ns'


def format_table(report):
    """The report as a text table, with the machine above it."""
    m = report['machine']
    fws = list(FRAMEWORKS.values())
    versions = ', '.join(f'{k} {v}' for k, v in sorted(m['versions'].items()))
    lines = [f"{report['benchmark']}: median time per call, ratio = "
             f"{fws[0].label} / {fws[1].label}",
             f"machine: {m['cores']} cores ({m['cpu']}), {m['os']}, Python {m['python']}",
             f"versions: {versions}",
             f"threads per framework: {m['threads']}; rounds: {report['settings']['rounds']}"]
    load = m.get('load')
    if load and None not in load:
        busy = max(load) > 0.5 * m['cores']
        lines.append(f'load average before and after: {load[0]:g}, {load[1]:g}'
                     + (' -- other programs were running: expect noisy times' if busy else ''))
    if report.get('note'):
        lines.append(report['note'])
    width = max([len(c['name']) for c in report['cases']] + [4])
    header = (f"{'case':<{width}}  {fws[0].label:>10}  {fws[1].label:>10}  "
              f"{'ratio':>6}  target")
    lines += ['', header, '-' * len(header)]
    errors = []
    for c in report['cases']:
        ratio = f"{c['ratio']:.2f}" if c['ratio'] is not None else '-'
        target = ''
        if c['target'] is not None:
            verdict = '-' if c['ratio'] is None else 'ok' if c['ratio'] <= c['target'] else 'OVER'
            target = f"<= {c['target']:g} {verdict}"
        lines.append(f"{c['name']:<{width}}  {format_time(c[fws[0].name]):>10}  "
                     f"{format_time(c[fws[1].name]):>10}  {ratio:>6}  {target}".rstrip())
        for fw, msg in c.get('errors', {}).items():
            errors.append(f"  {c['name']} ({FRAMEWORKS[fw].label}): {msg}")
    if errors:
        lines += ['', 'errors:'] + errors
    return '\n'.join(lines)
