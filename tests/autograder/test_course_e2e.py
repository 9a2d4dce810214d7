"""The autograder on the course's real notebooks: the demo class, end to end."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from autograder.course import default_course_root, list_assignments

from .conftest import free_port, reap, run_reaped, wait_for_http

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
def test_nbgrader_export_started_in_the_output_folder_agrees_with_grades_csv(demo):
    # The README's command, as an instructor types it: no options, from the folder.
    _, grades, _, out = demo
    before = (out / "grades.csv").read_bytes()
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = run_reaped([sys.executable, "-m", "nbgrader", "export"], timeout=300, cwd=out, env=env)
    assert run.returncode == 0, run.stderr
    assert (out / "grades.csv").read_bytes() == before   # the grader's own file is untouched
    with open(out / "nbgrader_grades.csv", newline="", encoding="utf-8") as f:
        rows = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}
    assert set(rows) == {(g["student_id"], g["assignment"]) for g in grades}
    for g in grades:
        r = rows[(g["student_id"], g["assignment"])]
        assert float(r["score"]) == float(g["score"]), g["student_id"]
        assert float(r["max_score"]) == float(g["max_score"])


@pytest.mark.slow
def test_formgrader_served_from_the_output_folder_shows_grades_csv(demo, tmp_path):
    # A real Jupyter server started in the folder, as the README says, and
    # formgrader's own HTTP API: the class it shows is the class graded.
    _, grades, _, out = demo
    port, token = free_port(), "formgrader-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--allow-root",
         "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"],
        cwd=out, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "w"),
        start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/api/status?token={token}", server, timeout=60)
        for assignment in sorted({g["assignment"] for g in grades}):
            with urllib.request.urlopen(f"{base}/formgrader/api/submissions/{assignment}"
                                        f"?token={token}", timeout=30) as response:
                shown = {s["student"]: s for s in json.load(response)}
            for g in (g for g in grades if g["assignment"] == assignment):
                assert shown[g["student_id"]]["score"] == pytest.approx(float(g["score"]))
                assert shown[g["student_id"]]["max_score"] == pytest.approx(float(g["max_score"]))
        assert not (out / "gradebook.db-journal").exists()
    finally:
        reap(server)
    assert not (ROOT / "gradebook.db").exists()


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
