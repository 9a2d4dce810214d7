"""The autograder on the course's real notebooks: the demo class, end to end."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from autograder.course import default_course_root, list_assignments

ROOT = default_course_root()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    run = subprocess.run([sys.executable, "-m", "autograder", "demo", "--out", str(out)],
                         capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        grades = list(csv.DictReader(f))
    with open(out / "tests.csv", newline="", encoding="utf-8") as f:
        tests = list(csv.DictReader(f))
    return run.stdout, grades, tests, out



@pytest.mark.slow
def test_demo_grades_every_student_of_every_notebook_once(demo):
    stdout, grades, _, _ = demo
    assignments = list_assignments(ROOT)
    assert list(grades[0]) == ["student_id", "assignment", "score", "max_score", "status", "reason"]
    pairs = [(g["student_id"], g["assignment"]) for g in grades]
    assert len(pairs) == len(set(pairs))
    assert {a for _, a in pairs} == set(assignments)
    students = {s for s, _ in pairs}
    assert len(pairs) == len(students) * len(assignments)
    assert "reference" in stdout and "broken_json" in stdout


@pytest.mark.slow
def test_demo_scores_are_believable(demo):
    _, grades, _, _ = demo
    for assignment in list_assignments(ROOT):
        rows = {g["student_id"]: g for g in grades if g["assignment"] == assignment}
        full = float(rows["reference"]["max_score"])
        assert full > 0
        assert float(rows["reference"]["score"]) == full and rows["reference"]["status"] == "graded"
        assert float(rows["deleted_tests"]["score"]) == full
        assert 0 < float(rows["partial"]["score"]) < full
        assert float(rows["tamperer"]["score"]) < full
        assert float(rows["wrong"]["score"]) < float(rows["partial"]["score"])
        for broken in ("broken_json", "empty_file"):
            assert rows[broken]["status"] == "error" and rows[broken]["reason"]
            assert float(rows[broken]["score"]) == 0


@pytest.mark.slow
def test_demo_tests_csv_has_one_row_per_graded_cell_with_messages_for_failures(demo):
    _, grades, tests, _ = demo
    assert list(tests[0]) == ["student_id", "assignment", "notebook", "grade_id", "points",
                              "max_points", "message"]
    reference = [t for t in tests if t["student_id"] == "reference"]
    partial = [t for t in tests if t["student_id"] == "partial"]
    assert reference and len(reference) == len(partial)
    assert all(t["message"] == "" and t["points"] == t["max_points"] for t in reference)
    failed = [t for t in partial if float(t["points"]) < float(t["max_points"])]
    assert failed and all(t["message"] for t in failed)
    # per-cell points add up to the score in grades.csv
    for student in ("reference", "partial", "wrong"):
        for assignment in list_assignments(ROOT):
            key = (student, assignment)
            cells = [t for t in tests if (t["student_id"], t["assignment"]) == key]
            row = next(g for g in grades if (g["student_id"], g["assignment"]) == key)
            assert sum(float(t["points"]) for t in cells) == pytest.approx(float(row["score"]))


@pytest.mark.slow
def test_demo_flags_the_student_who_rebinds_numpy(demo):
    _, grades, _, _ = demo
    for row in (g for g in grades if g["student_id"] == "patcher"):
        assert row["status"] == "flagged" and "numpy.allclose was replaced" in row["reason"]
        assert float(row["score"]) == 0


@pytest.mark.slow
def test_nbgrader_export_of_the_gradebook_agrees_with_grades_csv(demo, tmp_path):
    _, grades, _, out = demo
    exported = tmp_path / "export.csv"
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export",
         f"--CourseDirectory.db_url=sqlite:///{out / 'gradebook.db'}", f"--to={exported}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    with open(exported, newline="", encoding="utf-8") as f:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    assert set(rows) == {(g["student_id"], g["assignment"]) for g in grades}
    for g in grades:
        r = rows[(g["student_id"], g["assignment"])]
        assert float(r["score"]) == float(g["score"]), g["student_id"]
        assert float(r["max_score"]) == float(g["max_score"])


@pytest.mark.slow
def test_formgrader_api_reads_the_gradebook(demo):
    # What nbgrader's formgrader shows comes from NbGraderAPI over the same folder.
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _, grades, _, out = demo
    coursedir = CourseDirectory(root=str(out))
    coursedir.db_url = f"sqlite:///{out / 'gradebook.db'}"
    coursedir.source_directory = str(ROOT / "solutions")
    api = NbGraderAPI(coursedir=coursedir)
    for assignment in list_assignments(ROOT):
        submissions = {s["student"]: s for s in api.get_submissions(assignment)}
        for g in (g for g in grades if g["assignment"] == assignment):
            assert submissions[g["student_id"]]["score"] == pytest.approx(float(g["score"]))
