"""The course's autograder: nbgrader driven from one command line.

``python -m autograder release | grade | feedback | report | check | demo``
(see :mod:`autograder.cli`).
The Python entry points are re-exported here for scripts and tests.
"""

from .check import check_notebook, run_checks
from .errors import (
    AutograderError,
    CourseError,
    GradebookError,
    NbgraderError,
    NotebookError,
    SubmissionsError,
    UnknownAssignmentError,
)
from .feedback import generate_feedback
from .grade import grade_class
from .release import release_assignment, release_course
from .report import build_report, summary_text

__all__ = [
    "AutograderError",
    "CourseError",
    "GradebookError",
    "NbgraderError",
    "NotebookError",
    "SubmissionsError",
    "UnknownAssignmentError",
    "build_report",
    "check_notebook",
    "generate_feedback",
    "grade_class",
    "release_assignment",
    "release_course",
    "run_checks",
    "summary_text",
]
