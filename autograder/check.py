"""The student's pre-submission check: run the notebook as the grader will, report each test.

``python -m autograder check NOTEBOOK`` (or the last cell of every notebook,
through ``helpers.runtime.check_notebook``):

1. refuses what the grader could not read (not a file, empty, invalid JSON);
2. compares the notebook with its released version (``notebooks/<topic>/``):
   a test cell that was edited or deleted, or an answer cell that is gone,
   is reported, because the grader puts the original back;
3. restores those cells, then runs the notebook under the grader's limits
   (a sandboxed kernel, the time limit per cell and per notebook, the memory
   limit), with the same integrity checks;
4. prints ``PASS`` or ``FAIL`` with the message for every visible test, the
   warnings, and the visible score; exits 1 when anything failed or was
   changed, 0 only when everything passed. Hidden tests run only when grading.

The instructor's source notebook (under ``solutions/``) is checked as it
stands, hidden tests included: it is the original the release is made from.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import compute_checksum

from .cellmeta import closest_release, grade_id, is_solution_cell, is_test_cell, nbgrader_meta
from .course import RELEASE_DIR, SOURCE_DIR, default_course_root
from .csvfiles import format_points
from .errors import NotebookError
from .failures import failure_message
from .preprocessors.restorecells import RestoreGradedCells
from .sandbox import choose_sandbox, default_deny
from .settings import DEFAULT_MEMORY_MB
from .submissions import notebook_problem
from .worker import execute_sandboxed, setup_cell_source

__all__ = ["VisibleTest", "CheckReport", "run_checks", "print_check"]


@dataclass(frozen=True)
class VisibleTest:
    """The outcome of one graded test cell."""

    grade_id: str
    passed: bool
    points: float
    message: str


@dataclass
class CheckReport:
    """Everything ``check`` found."""

    tests: list[VisibleTest]
    warnings: list[str] = field(default_factory=list)  # changed or deleted graded cells
    source: bool = False  # the instructor's source notebook, checked as it stands
    problems: list[str] = field(default_factory=list)  # time, memory, kernel death, tampering
    release: str = ""  # the released notebook compared with, and how it was recognised

    @property
    def ok(self) -> bool:
        return all(t.passed for t in self.tests) and not self.warnings and not self.problems


def _is_test(cell) -> bool:
    return is_test_cell(cell) and grade_id(cell) is not None


def find_release(path: Path, nb, course_root: Path) -> tuple[Path | None, str]:
    """The released notebook ``nb`` (read from ``path``) is a copy of, and how it was told.

    By file name when exactly one release has it; else by content
    (:func:`autograder.cellmeta.closest_release`).
    """
    released = sorted((course_root / RELEASE_DIR).glob("*/*.ipynb"))
    by_name = [p for p in released if p.name == path.name]
    if len(by_name) == 1:
        return by_name[0], "by its file name"
    candidates = {}
    for candidate in released:
        try:
            candidates[candidate] = nbformat.read(str(candidate), as_version=4)
        except Exception:  # noqa: BLE001 (an unreadable release is no candidate)
            continue
    found, _ = closest_release(nb, candidates)
    return (found, "by its content") if found is not None else (None, "")


def _compare_with_release(nb, release) -> list[str]:
    found = {grade_id(c): c for c in nb.cells if grade_id(c)}
    warnings = []
    for cell in release.cells:
        name = grade_id(cell)
        if not name:
            continue
        mine = found.get(name)
        if _is_test(cell):
            if mine is None:
                warnings.append(f"the test cell {name} was deleted; the grader puts it back")
            elif mine.source.strip() != cell.source.strip():
                warnings.append(f"the test cell {name} was changed; the grader runs the "
                                "original, so undo your change")
        elif is_solution_cell(cell) and mine is None:
            warnings.append(f"the answer cell {name} is missing or lost its grading "
                            "information; put your answer back in the released cell")
    return warnings


def _syntax_errors(nb) -> list[str]:
    """A sentence for each answer or other cell that could not even be parsed.

    Its names are then missing, and the tests that use them fail with a
    ``NameError`` that hides the real cause.
    """
    found = []
    number = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in (
                    "SyntaxError", "IndentationError", "TabError"):
                name = grade_id(cell)
                where = f"code cell {number}" + (f" ({name})" if name else "")
                found.append(f"{where} has a {output['ename']}: {output.get('evalue', '')}; "
                             "nothing in it ran, so the tests that use it fail too")
    return found


def run_checks(path: str | os.PathLike, timeout: int = 60,
               memory_mb: int | None = DEFAULT_MEMORY_MB,
               course_root: str | os.PathLike | None = None) -> CheckReport:
    """Execute the notebook at ``path`` as the grader would; report every visible test.

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
    root = Path(course_root) if course_root is not None else default_course_root()
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    report = CheckReport(tests=[])
    report.source = path.resolve().is_relative_to((root / SOURCE_DIR).resolve())
    release_path, how = (None, "") if report.source else find_release(path, nb, root)
    if release_path is not None:
        report.release = f"{release_path.relative_to(root)} (recognised {how})"
    if report.source:
        pass  # the original itself: nothing to compare with or restore
    elif release_path is not None:
        release = nbformat.read(str(release_path), as_version=4)
        # Cells that lost their metadata are recognised first, as the grader does.
        nb = RestoreGradedCells().reattach_from_notebook(nb, release)
        report.warnings = _compare_with_release(nb, release)
        nb = RestoreGradedCells().restore_from_notebook(nb, release)
    else:  # no released copy to compare with: nbgrader's checksums still tell an edit
        report.problems.append(
            "check cannot tell which assignment this notebook belongs to: no released "
            f"notebook is called {path.name} or holds most of its cells, so changed or "
            "deleted tests cannot be found and the estimate may be wrong")
        report.warnings = [
            f"the test cell {grade_id(c)} was changed; the grader runs the original, "
            "so undo your change"
            for c in nb.cells
            if _is_test(c) and nbgrader_meta(c).get("checksum")
            and compute_checksum(c) != nbgrader_meta(c)["checksum"]]
    deny = default_deny(root) if (root / "solutions").is_dir() else ()
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as tmp:
        # The kernel sees the notebook alone, as it would if handed in alone.
        alone = Path(tmp) / "submission"
        alone.mkdir()
        shutil.copyfile(path, alone / path.name)
        # The judge runs the tests, as when graded, from the course's setup cell.
        course_copy = path if report.source else release_path
        setup = setup_cell_source(course_copy) if course_copy is not None else ""
        nb, _, problems, tampering = execute_sandboxed(
            nb, {}, alone, Path(tmp) / "run", deny=deny, timeout=timeout,
            memory_mb=memory_mb, mode="validate", sandbox=choose_sandbox("auto")[0],
            judge_setup=setup)
    report.problems += problems + [f"the grader would flag this notebook: {t}"
                                   for t in tampering]
    report.problems += _syntax_errors(nb)
    for cell in nb.cells:
        if not _is_test(cell):
            continue
        points = float(nbgrader_meta(cell).get("points", 0) or 0)
        message = failure_message(cell)
        report.tests.append(VisibleTest(grade_id(cell), not message, points, message))
    return report


def print_check(path: str | os.PathLike, timeout: int = 60,
                   memory_mb: int | None = DEFAULT_MEMORY_MB,
                   echo: Callable[[str], None] = print,
                   course_root: str | os.PathLike | None = None) -> int:
    """Run :func:`run_checks`, print one line per test and a summary; return the exit code.

    Returns
    -------
    int
        0 when every visible test passed and nothing was changed, 1 otherwise.
    """
    report = run_checks(path, timeout, memory_mb, course_root)
    if report.source:
        echo("This is the instructor's source notebook: its tests run as they stand, "
             "hidden tests included.")
    elif report.release:
        echo(f"Compared with the release {report.release}.")
    for result in report.tests:
        echo(f"PASS {result.grade_id}" if result.passed
             else f"FAIL {result.grade_id}: {result.message}")
    for warning in report.warnings:
        echo(f"WARNING: {warning}")
    for problem in report.problems:
        echo(f"PROBLEM: {problem}")
    if not report.tests:
        echo("No graded test cells found in this notebook.")
        return 1
    passed = sum(r.passed for r in report.tests)
    earned = sum(r.points for r in report.tests if r.passed)
    total = sum(r.points for r in report.tests)
    if report.source:
        echo(f"{passed}/{len(report.tests)} tests passed; score "
             f"{format_points(earned)}/{format_points(total)}.")
    else:
        echo(f"{passed}/{len(report.tests)} visible tests passed; estimated score "
             f"{format_points(earned)}/{format_points(total)} if the hidden tests pass too.")
    if report.ok:
        echo("Everything passes: your notebook is ready to hand in.")
    return 0 if report.ok else 1
