"""The grader's default limits, in one place for every command that applies them.

Kept free of imports so that ``python -m autograder --help`` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB", "NOTEBOOK_TIMEOUT_FACTOR", "COURSE_ENV",
           "SOURCE_DIR", "default_course_root"]

#: Seconds one cell may run.
DEFAULT_TIMEOUT = 60
#: Memory limit of a notebook's kernel, in MB.
DEFAULT_MEMORY_MB = 2048
#: The whole notebook may run this many times a cell's limit.
NOTEBOOK_TIMEOUT_FACTOR = 5

#: Names the course root where no ``--course`` does: on a Dask worker, say.
COURSE_ENV = "AUTOGRADER_COURSE"
#: The course's source notebooks, one folder per assignment, under the course root.
SOURCE_DIR = "solutions"


def default_course_root() -> Path:
    """``$AUTOGRADER_COURSE`` if set, else the repository root (above ``autograder/``)."""
    given = os.environ.get(COURSE_ENV)
    return Path(given).resolve() if given else Path(__file__).resolve().parent.parent
