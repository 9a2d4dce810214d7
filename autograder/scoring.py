"""Score executed submissions into nbgrader's gradebook: the grader's only writer.

Workers (:mod:`autograder.worker`) leave executed notebooks in
``autograded/``; this module, in the parent process, records them with
nbgrader's ``SaveAutoGrades`` one submission at a time, so the gradebook has a
single writer however many workers run. A flagged submission keeps its
per-cell record but scores 0, so tampering never earns more than a plain
wrong answer; an unreadable one scores 0 with its reason.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nbformat
from nbgrader.preprocessors import SaveAutoGrades

from .course import gradebook_lock
from .csvfiles import GradeRow, TestRow
from .results import submission_rows, zero_submission
from .worker import NotebookOutcome

__all__ = ["score_submission", "status_and_reason"]


def status_and_reason(problems: list[str], tampering: list[str]) -> tuple[str, str]:
    """``grades.csv``'s status and reason from what went wrong, tampering first."""
    if tampering:
        return "flagged", "; ".join(dict.fromkeys(tampering))
    if problems:
        return "error", "; ".join(dict.fromkeys(problems))
    return "graded", ""


def score_submission(db_url: str, out: Path, student_id: str, assignment: str,
                     staged_problems: list[str], outcomes: list[NotebookOutcome]
                     ) -> tuple[GradeRow, list[TestRow]]:
    """Record one executed submission in the gradebook and return its CSV rows.

    Parameters
    ----------
    db_url : str
        The gradebook.
    out : Path
        The grading folder (holds ``autograded/``).
    student_id, assignment : str
    staged_problems : list of str
        What staging found (missing or unreadable notebooks).
    outcomes : list of NotebookOutcome
        What the workers found while executing each gradable notebook.
    """
    problems = list(staged_problems)
    tampering: list[str] = []
    for outcome in outcomes:
        problems.extend(outcome.problems)
        tampering.extend(outcome.tampering)
    folder = out / "autograded" / student_id / assignment
    # Formgrader counts a submission as graded only when it has a folder here; without
    # one (a file that could not be read) it would show 0 of 0 points and offer to
    # autograde it with plain nbgrader, outside the sandbox.
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), gradebook_lock(db_url):
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy autoflush warnings
        # A fresh record for this submission: a regrade leaves no stale scores behind.
        zero_submission(db_url, assignment, student_id)
        for outcome in outcomes:
            path = folder / f"{outcome.name}.ipynb"
            if not path.is_file():
                continue
            nb = nbformat.read(str(path), as_version=4)
            resources = {"nbgrader": {"notebook": outcome.name, "assignment": assignment,
                                      "student": student_id, "db_url": db_url}}
            SaveAutoGrades().preprocess(nb, resources)
        status, reason = status_and_reason(problems, tampering)
        if status == "flagged":
            # Worth nothing, and in front of an instructor in formgrader.
            zero_submission(db_url, assignment, student_id, needs_review=True)
    row, tests = submission_rows(db_url, out / "autograded", student_id, assignment,
                                 status, reason)
    if status == "flagged":
        tests = [TestRow(t.student_id, t.assignment, t.notebook, t.grade_id, t.points,
                         t.max_points, f"flagged: {reason}"[:300]) for t in tests]
    return row, tests
