"""Grade a class: nbgrader's Autograde, one submission at a time, a row for each.

``python -m autograder grade SUBMISSIONS`` records every assignment's source
cells in the gradebook (generate_assignment), copies each submission into
``OUT/submitted/``, autogrades it with the graded cells restored from the
source (deleted ones added back), and writes ``grades.csv`` and ``tests.csv``.
A submission that breaks nbgrader costs only its own row, marked ``error``
with a reason. Later versions add workers, memory limits and tamper checks
around :func:`autograde_submission`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from .course import ensure_alembic_on_path, list_assignments, make_coursedir, solutions_dir
from .nbgrader_run import run_converter
from .preprocessors import TrackedExecute
from .release import record_assignment
from .results import (GRADES_HEADER, TESTS_HEADER, GradeRow, TestRow, submission_rows,
                      write_csv, zero_submission)
from .submissions import Submission, find_submissions, stage_submission

__all__ = ["DEFAULT_TIMEOUT", "GradingResult", "grade_class", "autograde_submission",
           "autograde_config"]

DEFAULT_TIMEOUT = 60


@dataclass
class GradingResult:
    """What :func:`grade_class` produced."""

    grades: list[GradeRow]
    tests: list[TestRow]
    grades_csv: Path
    tests_csv: Path
    db_url: str


def autograde_config(timeout: int) -> Config:
    """nbgrader configuration for one Autograde run."""
    config = Config()
    config.OverwriteCells.add_missing_cells = True
    config.Execute.timeout = int(timeout)
    config.Autograde.create_student = True
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = [
        TrackedExecute if step is Execute else step for step in steps]
    return config


def _timeout_cell(notebook_path: Path) -> int | None:
    """1-based number of the first cell nbclient stopped for taking too long."""
    if not notebook_path.is_file():
        return None
    nb = nbformat.read(str(notebook_path), as_version=4)
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                return number
    return None


def _failure_reason(converter, log: str) -> str:
    """A student-readable phrase for an Autograde run that raised."""
    executor = next((p for p in getattr(converter.exporter, "_preprocessors", [])
                     if isinstance(p, TrackedExecute)), None)
    if "DeadKernelError" in log or "Kernel died" in log:
        cell = executor.current_cell + 1 if executor is not None else 0
        return f"the kernel stopped while running cell {cell}" if cell else \
            "the kernel stopped while running the notebook"
    if "SchemaTooOld" in log or "old version" in log:
        return ("the notebook's grading metadata is damaged (duplicated or edited graded "
                "cells); start again from the released notebook")
    return "the grader could not run this notebook"


def autograde_submission(submission: Submission, out_dir: Path, db_url: str, source_root: Path,
                         expected: list[str], timeout: int) -> tuple[str, str]:
    """Stage and autograde one submission; return ``(status, reason)``.

    Scores land in the gradebook at ``db_url``; the autograded notebooks in
    ``out_dir/autograded/<student>/<assignment>/``.
    """
    staged = stage_submission(submission, out_dir / "submitted", expected)
    reasons = list(staged.problems)
    if not staged.notebooks:
        zero_submission(db_url, submission.assignment, submission.student_id)
        return "error", "; ".join(reasons)
    coursedir = make_coursedir(out_dir, source=source_root, db_url=db_url)
    coursedir.assignment_id = submission.assignment
    coursedir.student_id = submission.student_id
    converter = Autograde(coursedir=coursedir, config=autograde_config(timeout))
    converter.force = True
    converter.create_student = True
    result = run_converter(converter)
    if not result.success:
        zero_submission(db_url, submission.assignment, submission.student_id)
        return "error", "; ".join(reasons + [_failure_reason(converter, result.log)])
    folder = out_dir / "autograded" / submission.student_id / submission.assignment
    for name in staged.notebooks:
        cell = _timeout_cell(folder / f"{name}.ipynb")
        if cell is not None:
            where = "" if len(expected) == 1 else f"{name}.ipynb: "
            reasons.append(f"{where}the notebook ran longer than {timeout} s in cell {cell}")
    return ("error" if reasons else "graded"), "; ".join(reasons)


def grade_class(submissions_dir: str | os.PathLike, course_root: str | os.PathLike,
                out_dir: str | os.PathLike = "grading", *, timeout: int = DEFAULT_TIMEOUT,
                db_url: str | None = None, progress: bool = False) -> GradingResult:
    """Grade every ``<student>/<assignment>/`` folder of ``submissions_dir``.

    Parameters
    ----------
    submissions_dir : path
        ``SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb``; only read.
    course_root : path
        Course folder holding ``solutions/``.
    out_dir : path
        Receives ``gradebook.db``, ``submitted/``, ``autograded/``,
        ``grades.csv`` and ``tests.csv``.
    timeout : int
        Seconds each cell may run.
    db_url : str, optional
        SQLAlchemy URL of the gradebook; default ``sqlite:///OUT/gradebook.db``.
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    GradingResult

    Raises
    ------
    SubmissionsError
        When the folder is missing or holds no submission.
    CourseError, NbgraderError
        When the course cannot be read or released.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    submissions = find_submissions(submissions_dir)
    source_root = solutions_dir(course_root)
    known = list_assignments(course_root)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{out / 'gradebook.db'}"
    ensure_alembic_on_path()

    wanted = sorted({s.assignment for s in submissions if s.assignment in known})
    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp:
        for assignment in wanted:
            record_assignment(course_root, assignment, out, Path(tmp) / "release", db_url)

    iterator = submissions
    if progress:
        from tqdm import tqdm
        iterator = tqdm(submissions, desc="grading", unit="submission")
    grades: list[GradeRow] = []
    tests: list[TestRow] = []
    for submission in iterator:
        if submission.assignment not in known:
            grades.append(GradeRow(submission.student_id, submission.assignment, "0", "0",
                                   "error", f"there is no assignment called "
                                   f"{submission.assignment!r} in this course"))
            continue
        expected = [p.stem for p in sorted((source_root / submission.assignment).glob("*.ipynb"))]
        status, reason = autograde_submission(submission, out, db_url, source_root, expected,
                                              timeout)
        row, test_rows = submission_rows(db_url, out / "autograded", submission.student_id,
                                         submission.assignment, status, reason)
        grades.append(row)
        tests.extend(test_rows)
    grades.sort(key=lambda r: (r.student_id, r.assignment))
    grades_csv = write_csv(out / "grades.csv", GRADES_HEADER, grades)
    tests_csv = write_csv(out / "tests.csv", TESTS_HEADER, tests)
    return GradingResult(grades, tests, grades_csv, tests_csv, db_url)
