"""The course's autograder: nbgrader driven from one command line.

``python -m autograder release | collect | grade | feedback | report | check | demo``
(see :mod:`autograder.cli`).
The Python entry points are re-exported here for scripts and tests.
"""

from .errors import (
    AutograderError,
    CourseError,
    GradebookError,
    NbgraderError,
    NotebookError,
    SubmissionsError,
    UnknownAssignmentError,
)

# The entry points load their module (and nbgrader) when first used, so that the
# command line starts fast and each command imports only what it needs.
_LAZY = {
    "build_report": "report",
    "print_check": "check",
    "generate_feedback": "feedback",
    "grade_class": "grade",
    "release_assignment": "release",
    "release_course": "release",
    "run_checks": "check",
    "summary_text": "report",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AutograderError",
    "CourseError",
    "GradebookError",
    "NbgraderError",
    "NotebookError",
    "SubmissionsError",
    "UnknownAssignmentError",
    "build_report",
    "generate_feedback",
    "grade_class",
    "print_check",
    "release_assignment",
    "release_course",
    "run_checks",
    "summary_text",
]
