"""Tests of autograder/scoring.py: the row a submission gets from what its run found,
recorded in a real (SQLite) gradebook."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_output
from nbgrader.api import Gradebook, SubmittedAssignment

from autograder.cellmeta import grade_id
from autograder.course import sqlite_path
from autograder.release import record_assignment
from autograder.scoring import score_submission, status_and_reason
from autograder.worker import NotebookOutcome

from . import factories as F


@pytest.mark.parametrize("problems, tampering, expected", [
    ([], [], ("graded", "")),
    (["the file is empty"], [], ("error", "the file is empty")),
    (["a", "b", "a"], [], ("error", "a; b")),
    (["the notebook ran longer than 60 s in cell 4"], ["numpy.allclose was replaced"],
     ("flagged", "numpy.allclose was replaced")),
])
def test_status_and_reason_put_tampering_before_problems(problems, tampering, expected):
    status, reason = status_and_reason(problems, tampering)
    assert (status, reason) == expected


def test_sqlite_path_names_the_file_of_a_sqlite_gradebook_only(tmp_path):
    assert sqlite_path(f"sqlite:///{tmp_path}/gradebook.db") == tmp_path / "gradebook.db"
    assert sqlite_path("postgresql://user@localhost/gradebook") is None


# ------------------------------------------------- score_submission against a real gradebook


@pytest.fixture(scope="module")
def gradebook(course, tmp_path_factory):
    """A SQLite gradebook holding the fixture assignment, and the grading folder (each
    test scores students of its own)."""
    tmp = tmp_path_factory.mktemp("scoring")
    out = tmp / "grading"
    db_url = f"sqlite:///{out / 'gradebook.db'}"
    out.mkdir()
    record_assignment(course, F.ASSIGNMENT, out, tmp / "release", db_url)
    return out, db_url


def _executed(released, failing: dict[str, str]):
    """The released notebook with right answers, as if run: ``failing`` maps a test's
    grade_id to the error its cell raised."""
    nb = F.student_notebook(released, F.RIGHT)
    for cell in nb.cells:
        if cell.cell_type == "code":
            name = grade_id(cell)
            cell.outputs = ([new_output("error", ename="GradingError", evalue=failing[name],
                                        traceback=[f"GradingError: {failing[name]}"])]
                            if name in failing else [])
    return nb


def _autograded(out, student, nb):
    folder = out / "autograded" / student / F.ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{F.NOTEBOOK}.ipynb"))


def _api(out, db_url, course):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(root=str(out))
    coursedir.db_url = db_url
    coursedir.source_directory = str(course / "solutions")
    return NbGraderAPI(coursedir=coursedir)


def test_a_run_is_scored_per_test_cell_with_its_message(gradebook, released):
    out, db_url = gradebook
    _autograded(out, "amy", _executed(released, {"test_scale": "scale([1.0, 2.0], 3) is wrong"}))
    row, tests = score_submission(db_url, out, "amy", F.ASSIGNMENT, [],
                                  [NotebookOutcome(F.NOTEBOOK)])
    assert (row.score, row.max_score, row.status, row.reason) == (1, 3, "graded", "")
    by_test = {t.grade_id: t for t in tests}
    assert (by_test["test_add"].points, by_test["test_add"].message) == (1, "")
    assert by_test["test_scale"].points == 0
    assert "scale([1.0, 2.0], 3) is wrong" in by_test["test_scale"].message


def test_a_regrade_replaces_the_scores_and_keeps_one_submission(gradebook, released):
    out, db_url = gradebook
    _autograded(out, "al", _executed(released, {}))
    first, _ = score_submission(db_url, out, "al", F.ASSIGNMENT, [], [NotebookOutcome(F.NOTEBOOK)])
    _autograded(out, "al", _executed(released, {"test_add": "add(1, 2) is wrong"}))
    second, _ = score_submission(db_url, out, "al", F.ASSIGNMENT, [],
                                 [NotebookOutcome(F.NOTEBOOK)])
    assert (first.score, second.score) == (3, 2)
    with Gradebook(db_url) as gb:
        assert len([s for s in gb.db.query(SubmittedAssignment) if s.student_id == "al"]) == 1
        assert gb.find_submission(F.ASSIGNMENT, "al").score == 2


def test_an_unreadable_hand_in_is_worth_nothing_of_the_full_maximum(gradebook, course):
    out, db_url = gradebook
    row, tests = score_submission(db_url, out, "bo", F.ASSIGNMENT,
                                  ["the file is not valid notebook JSON"], [])
    assert (row.score, row.max_score, row.status) == (0, 3, "error")
    assert row.reason == "the file is not valid notebook JSON"
    # formgrader shows it as graded, 0 of 3, not as "0 of 0, autograde me"
    shown = {s["student"]: s for s in _api(out, db_url, course).get_submissions(F.ASSIGNMENT)}
    assert shown["bo"]["autograded"] and shown["bo"]["max_score"] == 3
    assert shown["bo"]["score"] == 0


def test_a_flagged_run_is_worth_nothing_and_waits_for_an_instructor(gradebook, released):
    out, db_url = gradebook
    _autograded(out, "cy", _executed(released, {}))
    row, tests = score_submission(
        db_url, out, "cy", F.ASSIGNMENT, [],
        [NotebookOutcome(F.NOTEBOOK, tampering=["numpy.allclose was replaced"])])
    assert (row.score, row.status, row.reason) == (0, "flagged", "numpy.allclose was replaced")
    assert all(t.message == "flagged: numpy.allclose was replaced" for t in tests)
    with Gradebook(db_url) as gb:
        grades = [g for n in gb.find_submission(F.ASSIGNMENT, "cy").notebooks for g in n.grades]
        assert grades and all(g.needs_manual_grade and g.auto_score == 0 for g in grades)


def test_a_notebook_whose_run_left_no_file_scores_zero_with_the_others_kept(gradebook, released):
    out, db_url = gradebook
    row, _ = score_submission(db_url, out, "di", F.ASSIGNMENT, [],
                              [NotebookOutcome(F.NOTEBOOK, problems=[
                                  "the grader could not start a kernel for this notebook"],
                                  grader_fault=True)])
    assert (row.score, row.status) == (0, "error")
    assert "could not start a kernel" in row.reason
