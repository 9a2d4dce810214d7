"""``--db``: the gradebook can live at any SQLAlchemy URL, and a bad one is one sentence."""

from __future__ import annotations

import csv
import warnings

import pytest
from nbgrader.api import Gradebook

from autograder.cli import main

from . import factories as F
from .conftest import write_submission


def _scores(db_url: str) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(db_url) as gb:
            return {s.student.id: s.score for s in gb.assignment_submissions(F.ASSIGNMENT)}


@pytest.mark.slow
def test_a_gradebook_elsewhere_is_used_by_grade_and_feedback(course, released, tmp_path,
                                                             capsys):
    root = tmp_path / "class"
    write_submission(root, "alice", F.student_notebook(released, F.RIGHT))
    write_submission(root, "bob", F.student_notebook(released, F.WRONG_SCALE))
    out, elsewhere = tmp_path / "grading", tmp_path / "shared" / "class.db"
    elsewhere.parent.mkdir()
    db_url = f"sqlite:///{elsewhere}"
    common = ["--out", str(out), "--course", str(course), "--db", db_url]
    assert main(["grade", str(root), "--workers", "2", "--timeout", "20", *common]) == 0
    assert elsewhere.is_file() and not (out / "gradebook.db").exists()
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        csv_scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    assert csv_scores == {"alice": 3.0, "bob": 1.0}
    assert _scores(db_url) == csv_scores
    # A rerun reuses the journal only when the gradebook it names holds the rows.
    assert main(["grade", str(root), "--workers", "2", "--timeout", "20", *common]) == 0
    assert _scores(db_url) == csv_scores
    assert main(["feedback", *common]) == 0
    page = (out / "feedback" / "bob" / F.ASSIGNMENT / f"{F.NOTEBOOK}.html").read_text(
        encoding="utf-8")
    assert "toy (Score: 1.0 / 3.0)" in page
    assert not (out / "gradebook.db").exists()
    capsys.readouterr()


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://host/db",
                                 "sqlite:////nonexistent-folder-{token}/grades.db",
                                 "postgresql://bob:s3cret@localhost:1/grades"])
def test_a_gradebook_url_that_cannot_be_opened_is_one_sentence(course, released, tmp_path,
                                                                capsys, url):
    root = tmp_path / "class"
    write_submission(root, "alice", F.student_notebook(released, F.RIGHT))
    url = url.format(token=tmp_path.name)
    status = main(["grade", str(root), "--out", str(tmp_path / "grading"), "--course",
                   str(course), "--db", url])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and err.startswith("autograder: "), err
    assert "gradebook" in err and "s3cret" not in err


def test_feedback_names_a_gradebook_url_it_cannot_open(tmp_path, course, capsys):
    out = tmp_path / "grading"
    out.mkdir()
    (out / "grades.csv").write_text("student_id,assignment,score,max_score,status,reason\n"
                                    f"alice,{F.ASSIGNMENT},3,3,graded,\n", encoding="utf-8")
    status = main(["feedback", "--out", str(out), "--course", str(course), "--db",
                   "nosuchdialect://host/db"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith("autograder: cannot use the gradebook at nosuchdialect://host/db")
