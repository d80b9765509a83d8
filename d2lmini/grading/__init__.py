"""Graded exercises: release them, check one, grade a class.

The exercise sets are nbgrader source notebooks (``exercises/source/``); this package
reads their markup without nbgrader:

* :func:`release_notebook` makes the students' copy (as ``nbgrader generate_assignment``);
* :func:`score_notebook` runs one notebook in a fresh kernel and grades every test cell
  (the ``d2lmini-check`` command);
* :func:`grade_folder` grades a folder of submissions, each in its own process, to a
  CSV (``d2lmini-exercises grade``).

>>> from d2lmini import grading
>>> grading.CODE_STUB
'# YOUR CODE HERE\\nraise NotImplementedError()'
"""
from .markup import CODE_STUB, MarkupError, check_source, questions, total_points
from .markup import release_notebook
from .scorer import QuestionResult, Report, Ungradable, read_notebook, score_notebook
from .sets import ExerciseSet, all_sets, find_set


def grade_folder(*args, **kwargs):
    """See :func:`d2lmini.grading.batch.grade_folder`."""
    from .batch import grade_folder as run
    return run(*args, **kwargs)


__all__ = ['CODE_STUB', 'ExerciseSet', 'MarkupError', 'QuestionResult', 'Report', 'Ungradable',
           'all_sets', 'check_source', 'find_set', 'grade_folder', 'questions', 'read_notebook',
           'release_notebook', 'score_notebook', 'total_points']
