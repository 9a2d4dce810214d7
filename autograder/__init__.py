"""The course's autograder: nbgrader driven from one command line.

``python -m autograder release | grade | check | demo`` (see :mod:`autograder.cli`).
The Python entry points are re-exported here for scripts and tests.
"""

from .check import check_notebook, run_checks
from .errors import (AutograderError, CourseError, NbgraderError, NotebookError,
                     SubmissionsError, UnknownAssignmentError)
from .grade import grade_class
from .release import release_assignment, release_course

__all__ = [
    "AutograderError",
    "CourseError",
    "NbgraderError",
    "NotebookError",
    "SubmissionsError",
    "UnknownAssignmentError",
    "check_notebook",
    "grade_class",
    "release_assignment",
    "release_course",
    "run_checks",
]
