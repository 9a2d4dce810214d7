"""Read a submission's grades back from the gradebook and its autograded notebooks.

Scores come from nbgrader's gradebook (what formgrader and ``nbgrader export``
see); the per-test ``message`` is the first line of the error a graded cell
printed in its autograded notebook.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .cellmeta import grade_id
from .csvfiles import GradeRow, TestRow
from .failures import explain_error, failure_message

__all__ = ["explain_error", "failure_message", "submission_rows", "zero_submission"]

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
            return GradeRow(student_id, assignment, 0, 0, status, reason), []
        try:
            submission = gb.find_submission(assignment, student_id)
        except MissingEntry:
            return GradeRow(student_id, assignment, 0, max_score, status, reason), []
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
                                     points, grade.max_score, message))
    row = GradeRow(student_id, assignment, score, max_score, status, reason)
    return row, tests


