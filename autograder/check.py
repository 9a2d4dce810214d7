"""The student's pre-submission check: run the notebook, report each graded test.

``python -m autograder check NOTEBOOK`` executes the notebook the way
``nbgrader validate`` would (``NBGRADER_EXECUTION=validate``, errors allowed,
a time limit per cell), prints ``PASS test_x`` or ``FAIL test_x: <why>`` for
every graded test cell, a summary, and exits 1 when anything failed.
Hidden tests are not in the student's copy, so passing here is necessary, not
sufficient.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbgrader.utils import compute_checksum

from .errors import NotebookError
from .results import failure_message, format_points
from .submissions import notebook_problem

__all__ = ["TestResult", "run_checks", "check_notebook"]

_TIMEOUT_ERROR = {"ename": "CellTimeoutError", "evalue": "",
                  "traceback": ["CellTimeoutError: the cell ran longer than the time limit"]}


@dataclass(frozen=True)
class TestResult:
    """The outcome of one graded test cell."""

    grade_id: str
    passed: bool
    points: float
    message: str


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution") and bool(meta.get("grade_id"))


def run_checks(path: str | os.PathLike, timeout: int = 60) -> list[TestResult]:
    """Execute the notebook at ``path`` and return the result of each graded test cell.

    Raises
    ------
    NotebookError
        When ``path`` does not exist or is not a valid notebook.
    """
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"there is no notebook file at {path}")
    problem = notebook_problem(path)
    if problem is not None:
        raise NotebookError(f"{path} cannot be checked: {problem}")
    nb = nbformat.read(str(path), as_version=4)
    altered = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if _is_test(cell) and meta.get("checksum") and compute_checksum(cell) != meta["checksum"]:
            altered[meta["grade_id"]] = ("this test cell was edited; the grader will put the "
                                         "original back, so undo your change")
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                            error_on_timeout=_TIMEOUT_ERROR, kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    previous = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"
    died = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.execute()
    except DeadKernelError:
        died = True
    finally:
        if previous is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = previous
    results = []
    for cell in nb.cells:
        if not _is_test(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        points = float(cell.metadata.nbgrader.get("points", 0) or 0)
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        message = altered.get(grade_id) or failure_message(cell)
        if not message and not ran:
            message = "the kernel stopped before this cell ran" if died else "this cell did not run"
        results.append(TestResult(grade_id, not message, points, message))
    return results


def check_notebook(path: str | os.PathLike, timeout: int = 60,
                   echo: Callable[[str], None] = print) -> int:
    """Run :func:`run_checks`, print one line per test and a summary; return the exit code.

    Returns
    -------
    int
        0 when every graded test cell passed, 1 otherwise.
    """
    results = run_checks(path, timeout)
    for result in results:
        echo(f"PASS {result.grade_id}" if result.passed
             else f"FAIL {result.grade_id}: {result.message}")
    passed = sum(r.passed for r in results)
    earned = sum(r.points for r in results if r.passed)
    total = sum(r.points for r in results)
    if not results:
        echo("No graded test cells found in this notebook.")
        return 0
    echo(f"{passed}/{len(results)} tests passed, {format_points(earned)}/{format_points(total)} "
         "visible points (hidden tests run only when grading).")
    return 0 if passed == len(results) else 1
