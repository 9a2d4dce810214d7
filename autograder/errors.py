"""Exceptions the instructor can act on.

Every error the autograder raises on purpose is an :class:`AutograderError`
whose message is one readable sentence; the command line prints it as
``autograder: <message>`` and exits with status 2, without a traceback.
"""

from __future__ import annotations

__all__ = [
    "AutograderError",
    "CourseError",
    "UnknownAssignmentError",
    "SubmissionsError",
    "NotebookError",
    "NbgraderError",
    "GradebookError",
]


class AutograderError(Exception):
    """Base class of every error the autograder reports to a person."""


class CourseError(AutograderError):
    """The course folder is missing or has no ``solutions/``."""


class UnknownAssignmentError(AutograderError):
    """An assignment name that is not a folder of ``solutions/``."""


class SubmissionsError(AutograderError):
    """The folder of submissions is missing, empty or laid out wrongly."""


class NotebookError(AutograderError):
    """A notebook file that does not exist or cannot be read."""


class NbgraderError(AutograderError):
    """nbgrader itself failed on the instructor's side (not on a submission)."""


class GradebookError(AutograderError):
    """The gradebook's database cannot be used: a bad URL, a server down, a refused password."""


def first_line(error: BaseException, limit: int = 300) -> str:
    """The first line of an error's message (at most ``limit`` characters), else its type."""
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else type(error).__name__
