"""The command-line tools: ``d2lmini-check`` for students, ``d2lmini-exercises`` for
instructors.

``d2lmini-check exercises/release/ch05_convolution.ipynb`` (or ``d2lmini-check 5``, or
``d2lmini-check convolution``) runs one notebook in a fresh kernel and prints each
question's result and ``SCORE: x/y``.

``d2lmini-exercises release`` writes the students' copies, ``d2lmini-exercises grade
convolution submissions/ -o grades.csv`` grades a class, ``d2lmini-exercises list``
shows the sets.
"""
import argparse
import os
import sys
from pathlib import Path

from . import markup, sets
from .scorer import DEFAULT_CELL_TIMEOUT, Ungradable, read_notebook, score_notebook


def _notebook_for(target, use_source):
    """The path a ``d2lmini-check`` argument names: a file, or a set's notebook."""
    if os.path.exists(target):
        return Path(target)
    if target.endswith('.ipynb') or os.sep in target:
        raise LookupError(f'no such file: {target}')
    found = sets.find_set(target)
    return found.source if use_source else found.release


def check_notebook(target, *, cell_timeout=DEFAULT_CELL_TIMEOUT, use_source=False, out=print):
    """Grade one notebook for its author and print the report; returns the Report.

    ``target`` is a notebook's path, a chapter number or a set's topic. The notebook is
    graded against its set's tests (the hidden ones too when it is the source).

    Example (it starts a kernel)::

        check_notebook('convolution')     # prints a line per question, then SCORE: 0/10
    """
    path = _notebook_for(str(target), use_source)
    root = sets.exercises_dir(path)
    try:
        nb = read_notebook(path)
    except Ungradable:
        nb = None
    found = sets.set_of(path, nb, root) if root else None
    reference = None
    if found is not None:
        if nb is not None:
            reference, _ = sets.reference_for(nb, found)
        else:
            reference = markup.release_notebook(sets.read_set_notebook(found.source))
    report = score_notebook(path, reference, cell_timeout=cell_timeout)
    report.notebook = str(path)
    out(report.text())
    return report


def check_main(argv=None):
    """``d2lmini-check``: exit code 0 when every notebook could be graded, 1 when one
    could not, 2 for a notebook or set that does not exist."""
    p = argparse.ArgumentParser(
        prog='d2lmini-check',
        description='Run exercise notebooks, each in a fresh kernel, and print their scores.')
    p.add_argument('notebook', nargs='+',
                   help='a notebook, or a chapter number or topic (e.g. 5 or convolution) '
                        'for exercises/release/chNN_<topic>.ipynb')
    p.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT,
                   help=f'seconds each cell may run (default {DEFAULT_CELL_TIMEOUT})')
    p.add_argument('--source', action='store_true',
                   help='with a number or topic: check the source (with solutions) instead')
    args = p.parse_args(argv)
    status, score_sum, max_sum = 0, 0.0, 0.0
    for i, target in enumerate(args.notebook):
        if i:
            print(flush=True)
        try:
            report = check_notebook(target, cell_timeout=args.timeout, use_source=args.source)
        except LookupError as e:
            print(f'd2lmini-check: {e}', file=sys.stderr)
            status = 2
            continue
        sys.stdout.flush()
        score_sum, max_sum = score_sum + report.score, max_sum + report.max_score
        if report.ungradable:
            status = max(status, 1)
    if len(args.notebook) > 1:
        print(f'\nTOTAL: {score_sum:g}/{max_sum:g}')
    return status


def _cmd_list(args):
    root = sets.exercises_dir()
    print(f'{"chapter":>7}  {"set":<28} {"questions":>9} {"points":>6}')
    for s in sets.all_sets(root):
        nb = sets.read_set_notebook(s.source)
        print(f'{s.number:>7}  {s.name:<28} {len(markup.questions(nb)):>9} '
              f'{markup.total_points(nb):>6g}')
    return 0


def _cmd_release(args):
    root = sets.exercises_dir()
    if root is None:
        print('no exercises/source folder found', file=sys.stderr)
        return 2
    if args.check:
        stale = sets.stale_releases(root)
        for p in stale:
            print(f'out of date: {p}')
        if stale:
            print('run: d2lmini-exercises release', file=sys.stderr)
        return 1 if stale else 0
    for p in sets.write_release(root):
        print(f'{"wrote" if p.exists() else "removed"} {p}')
    return 0


def _cmd_renumber(args):
    root = sets.exercises_dir()
    renames = sets.renumber(root, args.chapters)
    for old, new in renames:
        print(f'{old} -> {new}')
    for s, number in sets.numbering_problems(root, args.chapters):
        print(f'{s.name}: no chapter named *_{s.topic}.ipynb', file=sys.stderr)
    return 0


def _cmd_grade(args):
    from .batch import grade_folder
    found = sets.find_set(args.set)

    def progress(student, report):
        what = f'ungradable: {report.ungradable}' if report.ungradable else \
            f'{report.score:g}/{report.max_score:g}'
        print(f'{student}: {what}', flush=True)

    grade_folder(found.source, args.submissions, args.output, cell_timeout=args.timeout,
                 time_limit=args.time_limit, memory_mb=args.memory_mb, jobs=args.jobs,
                 set_filename=found.source.name, progress=progress)
    print(f'wrote {args.output}')
    return 0


def exercises_main(argv=None):
    """``d2lmini-exercises``."""
    p = argparse.ArgumentParser(prog='d2lmini-exercises',
                                description="The book's graded exercises.")
    sub = p.add_subparsers(dest='command', required=True)
    sub.add_parser('list', help='the exercise sets').set_defaults(run=_cmd_list)
    r = sub.add_parser('release', help='write exercises/release/ from exercises/source/')
    r.add_argument('--check', action='store_true', help='only say whether it is up to date')
    r.set_defaults(run=_cmd_release)
    n = sub.add_parser('renumber', help="rename the sets after their chapters' numbers")
    n.add_argument('--chapters', help='the chapters folder (default: next to exercises/)')
    n.set_defaults(run=_cmd_renumber)
    g = sub.add_parser('grade', help='grade a folder of submissions to a CSV')
    g.add_argument('set', help='chapter number or topic of the set')
    g.add_argument('submissions', help='folder of <student>.ipynb or <student>/.../*.ipynb')
    g.add_argument('-o', '--output', default='grades.csv')
    g.add_argument('--timeout', type=float, default=DEFAULT_CELL_TIMEOUT,
                   help='seconds each cell may run')
    g.add_argument('--time-limit', type=float, default=600,
                   help='seconds one submission may take in all')
    g.add_argument('--memory-mb', type=int, default=4096,
                   help='address-space limit of each grading process (0: none)')
    g.add_argument('--jobs', type=int, default=1, help='submissions graded at once')
    g.set_defaults(run=_cmd_grade)
    args = p.parse_args(argv)
    try:
        return args.run(args)
    except LookupError as e:
        print(f'd2lmini-exercises: {e}', file=sys.stderr)
        return 2
