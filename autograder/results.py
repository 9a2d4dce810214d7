"""Read grades back from the gradebook and the autograded notebooks; write the CSVs.

Scores come from nbgrader's gradebook (what formgrader and ``nbgrader export``
see); the per-test ``message`` is the first line of the error a graded cell
printed in its autograded notebook.
"""

from __future__ import annotations

import csv
import os
import warnings
from dataclasses import astuple, dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .cellmeta import grade_id
from .failures import explain_error, failure_message

__all__ = [
    "GRADES_HEADER",
    "TESTS_HEADER",
    "GradeRow",
    "TestRow",
    "format_points",
    "explain_error",
    "failure_message",
    "submission_rows",
    "zero_submission",
    "write_csv",
    "spreadsheet_safe",
]

GRADES_HEADER = ("student_id", "assignment", "score", "max_score", "status", "reason")
TESTS_HEADER = ("student_id", "assignment", "notebook", "grade_id", "points", "max_points",
                "message")


@dataclass(frozen=True)
class GradeRow:
    """One line of ``grades.csv``."""

    student_id: str
    assignment: str
    score: str
    max_score: str
    status: str
    reason: str


@dataclass(frozen=True)
class TestRow:
    """One line of ``tests.csv``."""

    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    points: str
    max_points: str
    message: str


def format_points(value: float | None) -> str:
    """Points as short text: ``3``, ``1.5``; ``0`` for None."""
    return f"{float(value or 0.0):g}"


def _graded_cells(notebook_path: Path) -> tuple[dict[str, object], list[str]]:
    if not notebook_path.is_file():
        return {}, []
    nb = nbformat.read(str(notebook_path), as_version=4)
    cells, order = {}, []
    for cell in nb.cells:
        name = grade_id(cell)
        if name and name not in cells:
            cells[name] = cell
            order.append(name)
    return cells, order


def zero_submission(db_url: str, assignment: str, student_id: str, *,
                    needs_review: bool = False) -> None:
    """Record a submission worth nothing (created if needed): every auto score 0.

    With ``needs_review`` (a flagged submission) every grade is also marked for
    manual grading, so formgrader shows it to an instructor.
    """
    with Gradebook(db_url) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy autoflush warnings
        gb.update_or_create_student(student_id)
        submission = gb.update_or_create_submission(assignment, student_id)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = needs_review
        gb.db.commit()


def submission_rows(db_url: str, autograded_root: str | os.PathLike, student_id: str,
                    assignment: str, status: str, reason: str) -> tuple[GradeRow, list[TestRow]]:
    """The grades.csv row and tests.csv rows of one submission, read from the gradebook."""
    with Gradebook(db_url) as gb:
        try:
            max_score = gb.find_assignment(assignment).max_score
        except MissingEntry:
            return GradeRow(student_id, assignment, "0", "0", status, reason), []
        try:
            submission = gb.find_submission(assignment, student_id)
        except MissingEntry:
            return GradeRow(student_id, assignment, "0", format_points(max_score), status,
                            reason), []
        score = submission.score
        tests: list[TestRow] = []
        folder = Path(autograded_root) / student_id / assignment
        for notebook in sorted(submission.notebooks, key=lambda n: n.name):
            cells, order = _graded_cells(folder / f"{notebook.name}.ipynb")
            rank = {grade_id: i for i, grade_id in enumerate(order)}
            grades = sorted(notebook.grades, key=lambda g: (rank.get(g.name, len(rank)), g.name))
            for grade in grades:
                points = grade.score or 0.0
                message = ""
                if points < grade.max_score:
                    cell = cells.get(grade.name)
                    message = failure_message(cell) if cell is not None else "not graded"
                    message = message or "no points (the cell printed no error)"
                tests.append(TestRow(student_id, assignment, notebook.name, grade.name,
                                     format_points(points), format_points(grade.max_score),
                                     message))
    row = GradeRow(student_id, assignment, format_points(score), format_points(max_score),
                   status, reason)
    return row, tests


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """``value``, with a text a spreadsheet would run as a formula made plain text.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    is a formula to Excel and LibreOffice (``=HYPERLINK(...)`` in an exception's
    name reaches tests.csv from student code); a leading apostrophe keeps it text.
    Numbers are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def write_csv(path: str | os.PathLike, header: tuple[str, ...], rows) -> Path:
    """Write ``rows`` (dataclasses) under ``header`` to ``path``, atomically.

    Text that a spreadsheet would run as a formula is neutralised
    (:func:`spreadsheet_safe`).
    """
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([spreadsheet_safe(v) for v in astuple(row)])
    os.replace(tmp, path)
    return path
