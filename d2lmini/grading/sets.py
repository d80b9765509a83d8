"""The exercise sets: where they are, their names, their students' copies.

A set is one nbgrader source notebook ``exercises/source/chNN_<topic>.ipynb``; its
students' copy is ``exercises/release/chNN_<topic>.ipynb``, made by :func:`write_release`.
The topic is the name of the chapter the set goes with (``05_convolution.ipynb`` and
``ch05_convolution.ipynb``), so a set is found by its topic whatever the chapter's
number, and :func:`renumber` follows the chapters when they are renumbered.

>>> parse_name('ch05_convolution.ipynb')
(5, 'convolution')
>>> parse_name('notes.ipynb') is None
True
"""
import os
import re
from pathlib import Path

import nbformat

from . import markup
from ..fileio import write_bytes_atomically

_NAME = re.compile(r'ch(\d+)_([A-Za-z0-9_]+)\.ipynb')
_CHAPTER = re.compile(r'(\d+)_([A-Za-z0-9_]+)\.ipynb')


def parse_name(filename):
    """``(chapter number, topic)`` of a set's file name, or None."""
    m = _NAME.fullmatch(os.path.basename(str(filename)))
    return (int(m.group(1)), m.group(2)) if m else None


class ExerciseSet:
    """One set: ``number``, ``topic``, and the paths of its ``source`` and ``release``."""

    def __init__(self, source):
        self.source = Path(source)
        self.number, self.topic = parse_name(self.source)
        self.release = self.source.parent.parent / 'release' / self.source.name

    @property
    def name(self):
        return self.source.stem

    def __repr__(self):
        return f'ExerciseSet({self.name!r})'


def exercises_dir(start=None):
    """The ``exercises`` folder: ``$D2LMINI_EXERCISES``, else the first
    ``exercises/source`` found from ``start`` (default: the current folder) upwards,
    else the one next to the package (an editable install). None if there is none."""
    env = os.environ.get('D2LMINI_EXERCISES')
    if env:
        return Path(env)
    here = Path(start or os.getcwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in [here, *here.parents]:
        if (folder / 'exercises' / 'source').is_dir():
            return folder / 'exercises'
        if folder.name == 'exercises' and (folder / 'source').is_dir():
            return folder
    beside = Path(__file__).resolve().parents[2] / 'exercises'
    return beside if (beside / 'source').is_dir() else None


def all_sets(root=None):
    """Every set in ``root`` (an ``exercises`` folder), ordered by chapter."""
    root = Path(root) if root else exercises_dir()
    if root is None:
        return []
    found = [ExerciseSet(p) for p in (root / 'source').glob('ch*_*.ipynb') if parse_name(p)]
    return sorted(found, key=lambda s: (s.number, s.topic))


def find_set(arg, root=None):
    """The set named by ``arg``: a chapter number (``5``, ``05``, ``ch05``), a topic
    (``convolution``) or a set name (``ch05_convolution``). LookupError if none.

    Example, in the repository::

        find_set('ndarray').release     # .../exercises/release/ch01_ndarray.ipynb
        find_set(1).topic               # 'ndarray'
    """
    sets = all_sets(root)
    text = str(arg).strip().lower()
    if text.endswith('.ipynb'):
        text = text[:-len('.ipynb')]
    m = re.fullmatch(r'(?:ch)?(\d+)', text)
    for s in sets:
        if (m and s.number == int(m.group(1))) or text in (s.topic.lower(), s.name.lower()):
            return s
    names = ', '.join(f'{s.number} ({s.topic})' for s in sets) or 'none found'
    raise LookupError(f'no exercise set {arg!r}; the sets are: {names}')


def set_of(path, nb=None, root=None):
    """The set a notebook belongs to: by the topic in its file name, else by the
    grade ids it shares with a set. None if it matches none."""
    sets = all_sets(root)
    name = os.path.basename(str(path)).lower()
    for s in sets:
        if name == s.source.name.lower():
            return s
    for s in sorted(sets, key=lambda s: -len(s.topic)):
        if s.topic.lower() in name:
            return s
    if nb is None:
        return None
    ids = {markup.grade_id(c) for c in nb.cells} - {None}
    best, overlap = None, 0
    for s in sets:
        source_ids = {markup.grade_id(c) for c in read_set_notebook(s.source).cells} - {None}
        n = len(ids & source_ids)
        if n > overlap:
            best, overlap = s, n
    return best


def read_set_notebook(path):
    return nbformat.read(str(path), as_version=4)


def reference_for(nb, exercise_set):
    """What to grade a notebook of ``exercise_set`` against: the source itself when
    the notebook holds the source's test cells (hidden tests included), else the
    students' copy made from the source (so a student's edits to their copy cannot
    change the tests)."""
    source = read_set_notebook(exercise_set.source)
    tests = {markup.grade_id(c): c.source for c in source.cells if markup.is_grade(c)}
    given = {markup.grade_id(c): c.source for c in nb.cells if markup.is_grade(c)}
    if tests and all(given.get(k) == v for k, v in tests.items()):
        return source, 'source'
    return markup.release_notebook(source), 'release'


def _dumps(nb):
    return nbformat.writes(nb) + '\n'


def release_text(exercise_set):
    """The students' copy of a set, as the text of the file."""
    return _dumps(markup.release_notebook(read_set_notebook(exercise_set.source)))


def stale_releases(root=None):
    """Paths under ``release/`` that are missing, out of date, or left over from a set
    that no longer exists."""
    root = Path(root) if root else exercises_dir()
    stale = []
    wanted = set()
    for s in all_sets(root):
        wanted.add(s.release.name)
        if not s.release.exists() or s.release.read_text(encoding='utf-8') != release_text(s):
            stale.append(s.release)
    stale += [p for p in sorted((root / 'release').glob('*.ipynb')) if p.name not in wanted]
    return stale


def write_release(root=None):
    """Write ``release/`` from ``source/``; returns the paths written or removed.

    Example, in the repository after editing a source::

        write_release('exercises')      # [PosixPath('exercises/release/ch07_convolution.ipynb')]
    """
    root = Path(root) if root else exercises_dir()
    (root / 'release').mkdir(exist_ok=True)
    changed = []
    for path in stale_releases(root):
        s = ExerciseSet(root / 'source' / path.name) if parse_name(path) else None
        if s is not None and s.source.exists():
            write_bytes_atomically(path, release_text(s).encode('utf-8'))
        else:
            path.unlink()
        changed.append(path)
    return changed


def chapter_numbers(chapters_dir):
    """``{topic: number}`` for the chapter notebooks ``NN_<topic>.ipynb`` in a folder."""
    found = {}
    for p in Path(chapters_dir).glob('*.ipynb'):
        m = _CHAPTER.fullmatch(p.name)
        if m:
            found[m.group(2)] = int(m.group(1))
    return found


def numbering_problems(root=None, chapters_dir=None):
    """``[(set, chapter number or None)]`` for the sets whose number is not their
    chapter's (None: no chapter has the set's topic)."""
    root = Path(root) if root else exercises_dir()
    chapters = chapter_numbers(chapters_dir or root.parent / 'chapters')
    return [(s, chapters.get(s.topic)) for s in all_sets(root)
            if chapters.get(s.topic) != s.number]


def renumber(root=None, chapters_dir=None):
    """Rename each set after its chapter's current number, then rewrite ``release/``.
    Returns ``[(old name, new name)]``; sets without a chapter are left alone."""
    root = Path(root) if root else exercises_dir()
    renames = []
    for s, number in numbering_problems(root, chapters_dir):
        if number is None:
            continue
        new = s.source.with_name(f'ch{number:02d}_{s.topic}.ipynb')
        s.source.rename(new)
        renames.append((s.source.name, new.name))
    write_release(root)
    return renames
