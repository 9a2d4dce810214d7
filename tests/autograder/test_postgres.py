"""The whole grading path on a real PostgreSQL server, which enforces what SQLite lets through.

The server is Debian's PostgreSQL, started by the test in a temporary folder on
a free port of 127.0.0.1 (:mod:`tests.postgres`) and stopped at the end; the
grader reaches it through psycopg as an instructor's would.
"""

from __future__ import annotations

import csv
import os
import sys

import nbformat
import pytest

from tests import postgres

from . import factories as F
from .conftest import grade_cli, reap, run_reaped

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(postgres.missing() is not None,
                                 reason=f"needs {postgres.missing()}")]


@pytest.fixture(scope="module")
def server():
    running = postgres.start_server()
    try:
        yield running
    finally:
        running.stop()


def _csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def graded(server, course, released, tmp_path_factory):
    """A class of three (right, partly wrong, broken) graded twice into PostgreSQL."""
    tmp = tmp_path_factory.mktemp("postgres-class")
    for student, answers in (("ann", F.RIGHT), ("ben", F.WRONG_SCALE), ("cat", None)):
        folder = tmp / "class" / student / F.ASSIGNMENT
        folder.mkdir(parents=True)
        if answers is None:
            (folder / f"{F.NOTEBOOK}.ipynb").write_text('{"cells": [', encoding="utf-8")
        else:
            nbformat.write(F.student_notebook(released, answers),
                           str(folder / f"{F.NOTEBOOK}.ipynb"))
    url = server.create_database("course")
    out = tmp / "out"
    runs = [run_reaped(grade_cli("grade", tmp / "class", "--out", out, "--course", course,
                                 "--db", url), timeout=600) for _ in range(2)]
    return {"url": url, "out": out, "runs": runs, "tmp": tmp}


def test_grading_into_postgresql_works_and_a_rerun_changes_nothing(graded):
    first, second = graded["runs"]
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "3 graded now, 0 unchanged" in first.stdout
    assert "0 graded now, 3 unchanged" in second.stdout
    rows = {r["student_id"]: r for r in _csv(graded["out"] / "grades.csv")}
    assert [(rows[s]["score"], rows[s]["max_score"], rows[s]["status"])
            for s in ("ann", "ben", "cat")] == [("3", "3", "graded"), ("1", "3", "graded"),
                                                ("0", "3", "error")]


def test_the_gradebook_on_the_server_agrees_with_grades_csv(graded, course):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.course import COURSE_ID

    coursedir = CourseDirectory(root=str(graded["out"]))
    coursedir.db_url = graded["url"]
    coursedir.course_id = COURSE_ID
    coursedir.source_directory = str(course / "solutions")
    shown = {s["student"]: s for s in NbGraderAPI(coursedir=coursedir)
             .get_submissions(F.ASSIGNMENT)}
    for row in _csv(graded["out"] / "grades.csv"):
        assert shown[row["student_id"]]["score"] == pytest.approx(float(row["score"]))
        assert shown[row["student_id"]]["max_score"] == pytest.approx(float(row["max_score"]))


def test_nbgrader_export_from_the_server_agrees_with_grades_csv(graded):
    # grade wrote the server's URL (it holds no password) into OUT/nbgrader_config.py
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = run_reaped([sys.executable, "-m", "nbgrader", "export"], timeout=300,
                     cwd=graded["out"], env=env)
    assert run.returncode == 0, run.stderr
    exported = {r["student_id"]: r for r in _csv(graded["out"] / "nbgrader_grades.csv")}
    for row in _csv(graded["out"] / "grades.csv"):
        assert float(exported[row["student_id"]]["score"]) == float(row["score"])


def test_feedback_and_report_read_the_class_graded_on_the_server(graded, course):
    out = graded["out"]
    feedback = run_reaped(grade_cli("feedback", "--out", out, "--course", course,
                                    "--db", graded["url"]), timeout=300)
    assert feedback.returncode == 0, feedback.stderr
    assert "wrote 3 feedback pages" in feedback.stdout
    page = (out / "feedback" / "ben" / F.ASSIGNMENT / f"{F.NOTEBOOK}.html").read_text()
    assert "scale" in page
    report = run_reaped(grade_cli("report", "--out", out), timeout=300)
    assert report.returncode == 0, report.stderr
    assert "3 students, 2 graded, 1 error, 0 flagged" in report.stdout


def _other_notebook():
    return nbformat.v4.new_notebook(cells=[
        F.markdown_cell("# Another assignment", "title"),
        F.code_cell("from helpers.grading import assert_equal", "imports"),
        F.solution_cell("mul", "def mul(a, b):\n    ### BEGIN SOLUTION\n    return a * b\n"
                               "    ### END SOLUTION"),
        F.test_cell("test_mul", 'assert_equal(mul(2, 3), 6, "mul(2, 3)")', points=2),
    ], metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}})


def test_two_instructors_grading_two_notebooks_into_one_database_at_once_lose_nothing(
        server, released, tmp_path):
    import subprocess

    from autograder.release import release_assignment

    course = F.make_course(tmp_path / "course")
    (course / "solutions" / "02_other").mkdir()
    nbformat.write(_other_notebook(), str(course / "solutions" / "02_other" / "other.ipynb"))
    release_assignment(course, "02_other", tmp_path / "release" / "02_other")
    other = nbformat.read(str(tmp_path / "release" / "02_other" / "other.ipynb"), as_version=4)
    for cell in other.cells:
        if "mul" in cell.source and "def mul" in cell.source:
            cell.source = "def mul(a, b):\n    return a * b"
    classes = {"01": tmp_path / "class01", "02": tmp_path / "class02"}
    for student in ("dee", "eli", "fay"):
        folder = classes["01"] / student / F.ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(F.student_notebook(released, F.RIGHT), str(folder / f"{F.NOTEBOOK}.ipynb"))
        folder = classes["02"] / student / "02_other"
        folder.mkdir(parents=True)
        nbformat.write(other, str(folder / "other.ipynb"))
    url = server.create_database("shared")
    runs = [subprocess.Popen(grade_cli("grade", classes[k], "--out", tmp_path / f"out{k}",
                                       "--course", course, "--db", url, "--workers", "1"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True) for k in ("01", "02")]
    try:
        results = [run.communicate(timeout=600) for run in runs]
    finally:
        for run in runs:
            reap(run)
    for run, (_, stderr) in zip(runs, results, strict=True):
        assert run.returncode == 0, stderr
    scores = {k: {r["student_id"]: r["score"] for r in _csv(tmp_path / f"out{k}" / "grades.csv")}
              for k in ("01", "02")}
    assert scores == {"01": dict.fromkeys(("dee", "eli", "fay"), "3"),
                      "02": dict.fromkeys(("dee", "eli", "fay"), "2")}
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        recorded = {(s.student.id, s.assignment.name): s.score
                    for a in ("01_toy", "02_other") for s in gb.assignment_submissions(a)}
    assert recorded == {(s, a): p for s in ("dee", "eli", "fay")
                        for a, p in (("01_toy", 3), ("02_other", 2))}


def _default_sigint():
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)   # as a foreground job has it


def test_a_run_interrupted_by_ctrl_c_resumes_on_the_server_without_losing_or_duplicating(
        server, course, released, tmp_path):
    import signal
    import subprocess
    import time

    from nbgrader.api import Gradebook, SubmittedAssignment

    students = {f"s{k}": (F.RIGHT if k % 2 == 0 else F.WRONG_SCALE) for k in range(6)}
    for student, answers in students.items():
        folder = tmp_path / "class" / student / F.ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(F.student_notebook(released, answers), str(folder / f"{F.NOTEBOOK}.ipynb"))
    url = server.create_database("interrupted")
    out = tmp_path / "out"
    command = grade_cli("grade", tmp_path / "class", "--out", out, "--course", course,
                        "--db", url, "--workers", "1")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                               preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 300
        journal = out / "journal.jsonl"
        while not (journal.is_file() and journal.read_text().count("\n") >= 1):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no progress to interrupt"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)
        _, said = process.communicate(timeout=60)
    finally:
        reap(process)
    assert process.returncode != 0 and "run the same command again" in said, said
    resumed = run_reaped(command, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    rows = {r["student_id"]: r["score"] for r in _csv(out / "grades.csv")}
    assert rows == {s: ("3" if a is F.RIGHT else "1") for s, a in students.items()}
    with Gradebook(url) as gb:
        submitted = gb.db.query(SubmittedAssignment).all()
        assert sorted(s.student.id for s in submitted) == sorted(students)
        assert {s.student.id: s.score for s in submitted} == {k: float(v) for k, v in rows.items()}


def _class(root, released, students) -> None:
    for student, answers in students.items():
        folder = root / student / F.ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(F.student_notebook(released, answers), str(folder / f"{F.NOTEBOOK}.ipynb"))


def test_a_refused_password_is_said_in_one_sentence_that_hides_it(server, course, released,
                                                                  tmp_path):
    server.require_password("assistant", "the-right-one")
    _class(tmp_path / "class", released, {"ann": F.RIGHT})
    url = f"postgresql+psycopg://assistant:not-the-password@127.0.0.1:{server.port}/postgres"
    done = run_reaped(grade_cli("grade", tmp_path / "class", "--out", tmp_path / "out",
                                "--course", course, "--db", url), timeout=120)
    assert done.returncode != 0
    said = done.stderr.strip().splitlines()
    assert len(said) == 1, done.stderr
    assert f"assistant:***@127.0.0.1:{server.port}/postgres" in said[0], said
    assert "password authentication failed" in said[0], said
    assert "not-the-password" not in done.stdout + done.stderr


def test_a_server_that_goes_down_mid_run_loses_no_result_and_the_next_run_commits_it(
        server, course, released, tmp_path):
    import json
    import subprocess
    import time

    from nbgrader.api import Gradebook, SubmittedAssignment

    students = {f"s{k}": F.RIGHT for k in range(6)}
    _class(tmp_path / "class", released, students)
    url = server.create_database("goes_down")
    out = tmp_path / "out"
    command = grade_cli("grade", tmp_path / "class", "--out", out, "--course", course,
                        "--db", url, "--workers", "1")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    journal = out / "journal.jsonl"
    try:
        deadline = time.monotonic() + 300
        while not (journal.is_file() and journal.read_text().count("\n") >= 1):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no progress before the server went down"
            time.sleep(0.1)
        server.pause()
        _, said = process.communicate(timeout=120)
    finally:
        reap(process)
        server.resume()
    assert process.returncode != 0
    assert said.strip().startswith(f"autograder: cannot write to the gradebook at {url}"), said
    assert len(said.strip().splitlines()) == 1 and said.strip().endswith(
        "run the same command again to grade the rest"), said

    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    waiting = [e["student_id"] for e in entries if e.get("uncommitted")]
    assert len(waiting) == 1, entries   # executed, kept, not yet in the gradebook
    executed = out / "autograded" / waiting[0] / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb"
    before = executed.stat().st_mtime_ns

    resumed = run_reaped(command, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert executed.stat().st_mtime_ns == before     # committed, not executed again
    rows = {r["student_id"]: (r["score"], r["status"]) for r in _csv(out / "grades.csv")}
    assert rows == {s: ("3", "graded") for s in students}
    with Gradebook(url) as gb:
        submitted = gb.db.query(SubmittedAssignment).all()
        assert sorted(s.student.id for s in submitted) == sorted(students)
        assert all(s.score == 3 for s in submitted)
