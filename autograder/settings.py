"""The grader's default limits, in one place for every command that applies them.

Kept free of imports so that ``python -m autograder --help`` stays fast.
"""

from __future__ import annotations

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB", "NOTEBOOK_TIMEOUT_FACTOR"]

#: Seconds one cell may run.
DEFAULT_TIMEOUT = 60
#: Memory limit of a notebook's kernel, in MB.
DEFAULT_MEMORY_MB = 2048
#: The whole notebook may run this many times a cell's limit.
NOTEBOOK_TIMEOUT_FACTOR = 5
