"""``python -m d2lmini.grading``: ``check NOTEBOOK`` (as ``d2lmini-check``), ``score ...``
(one submission, for the batch grader), or the ``d2lmini-exercises`` commands."""
import sys

from .cli import check_main, exercises_main
from .scorer import main_json

if __name__ == '__main__':
    command = sys.argv[1:2]
    if command == ['score']:
        sys.exit(main_json(sys.argv[2:]))
    if command == ['check']:
        sys.exit(check_main(sys.argv[2:]))
    sys.exit(exercises_main())
