"""How the running notebook should behave: full size for a student, small under the grader.

nbgrader sets ``NBGRADER_EXECUTION`` while it validates or autogrades; the
course's own tests set ``COURSE_FAST=1``. Experiments and widgets consult
:func:`fast_mode` (through :func:`pick`) to shrink; graded cells never do.
:class:`requires` lets a cell that builds on an exercise run, and say what to
finish, before the exercise is done. :func:`check_notebook` runs the grader's
pre-submission check from a notebook's last cell.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["fast_mode", "pick", "requires", "check_notebook"]


def fast_mode() -> bool:
    """True under nbgrader's autograde/validate or when ``COURSE_FAST=1``."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return True
    return os.environ.get("COURSE_FAST", "").strip().lower() in {"1", "true", "yes"}


def pick(full, fast):
    """Return ``fast`` in fast mode (see :func:`fast_mode`), else ``full``."""
    return fast if fast_mode() else full


class requires:  # noqa: N801 (used like a statement: ``with requires("conv2d_naive"):``)
    """Run a block that needs finished exercises; explain instead of failing if one is a stub.

    Inside the block, a ``NotImplementedError`` (what an unfinished exercise
    raises) is caught and replaced by one printed line naming what to finish.
    Any other error is a real bug in the student's code and propagates.

    Examples
    --------
    >>> with requires("conv_output_size"):
    ...     raise NotImplementedError()
    Finish conv_output_size above to see this cell's result.
    """

    def __init__(self, *names: str):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is not None and issubclass(kind, NotImplementedError):
            what = ", ".join(self.names) or "the exercises above"
            print(f"Finish {what} above to see this cell's result.")
            return True
        return False


def check_notebook(filename: str, timeout: int = 600) -> bool:
    """Run ``python -m autograder check`` on a saved notebook and print its report.

    Called from the last cell of every notebook, with the notebook's own file
    name (the kernel runs in the notebook's folder). The check runs the saved
    file, not the cells in memory: save first. Skipped (returns True) in fast
    mode, i.e. while the notebook is itself being graded or checked.

    Returns
    -------
    bool
        True when every visible test passed and no graded cell was changed.
    """
    if fast_mode():
        print("The pre-submission check is skipped while this notebook is graded or tested.")
        return True
    path = Path(filename).resolve()
    if not path.is_file():
        print(f"There is no file {filename} in {Path.cwd()}: pass this notebook's file name.")
        return False
    print(f"Checking the saved file {path.name} (save the notebook first) ...", flush=True)
    try:
        run = subprocess.run([sys.executable, "-m", "autograder", "check", str(path)],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"The check did not finish within {timeout} s.")
        return False
    # Everything goes to stdout: a notebook cell that writes to stderr looks failed.
    print(run.stdout + run.stderr)
    return run.returncode == 0
