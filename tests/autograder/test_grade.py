"""Tests of autograder/grade.py: one class graded twice, shared by the module."""

from __future__ import annotations

import csv
import json
import os
import time

import pytest
from nbgrader.api import Gradebook, SubmittedAssignment

from autograder import worker
from autograder.csvfiles import GRADES_HEADER, TESTS_HEADER
from autograder.grade import grade_class

from . import factories as F
from .conftest import tree_digest, write_submission

pytestmark = pytest.mark.slow

TIMEOUT = 4


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def graded(course, class_folder, tmp_path_factory):
    before = tree_digest(class_folder)
    out = tmp_path_factory.mktemp("grading")
    first = grade_class(class_folder, course, out, timeout=TIMEOUT)
    first_csv = (first.grades_csv.read_text(), first.tests_csv.read_text())
    second = grade_class(class_folder, course, out, timeout=TIMEOUT)
    return {"before": before, "out": out, "first": first, "first_csv": first_csv,
            "second": second}


def row(graded, student):
    rows = {r.student_id: r for r in graded["second"].grades}
    return rows[student]


def test_csv_headers_are_exact_and_one_row_per_submission(graded):
    grades = read_csv(graded["out"] / "grades.csv")
    tests = read_csv(graded["out"] / "tests.csv")
    assert tuple(grades[0]) == GRADES_HEADER
    assert tuple(tests[0]) == TESTS_HEADER
    students = [r[0] for r in grades[1:]]
    assert students == sorted(students) == ["alice", "bob", "carol", "dan", "erin", "frank",
                                            "gina", "hal"]


def test_correct_submission_gets_full_marks(graded):
    alice = row(graded, "alice")
    assert (alice.score, alice.max_score, alice.status, alice.reason) == (3, 3, "graded", "")


def test_partly_wrong_submission_gets_partial_marks_and_a_message(graded):
    bob = row(graded, "bob")
    assert (bob.score, bob.status) == (1, "graded")
    failed = [t for t in graded["second"].tests if t.student_id == "bob" and t.points == 0]
    assert [t.grade_id for t in failed] == ["test_scale"]
    assert failed[0].message.startswith("GradingError: scale([1.0, 2.0], 3) is wrong")
    assert "\n" not in failed[0].message


def test_deleted_test_cell_is_restored_not_scored_zero(graded):
    assert row(graded, "carol").score == 3


@pytest.mark.parametrize("student, reason", [
    ("dan", "the file is not valid notebook JSON"),
    ("erin", "the file is empty"),
    ("frank", "the folder holds no notebook"),
    ("gina", f"the notebook ran longer than {TIMEOUT} s in cell 4"),
    ("hal", "the kernel stopped while running cell 3"),
])
def test_broken_submission_gets_an_error_row_with_a_reason(graded, student, reason):
    result = row(graded, student)
    assert (result.status, result.reason) == ("error", reason)


def test_rerun_gives_identical_csvs_and_no_duplicate_gradebook_rows(graded):
    second = graded["second"]
    assert (second.grades_csv.read_text(), second.tests_csv.read_text()) == graded["first_csv"]
    with Gradebook(second.db_url) as gb:
        assert gb.db.query(SubmittedAssignment).count() == 8
        assert len(gb.students) == 8


def test_submissions_folder_is_left_unchanged(graded, class_folder):
    assert tree_digest(class_folder) == graded["before"]


def test_gradebook_lives_in_the_output_folder_only(graded, course):
    assert (graded["out"] / "gradebook.db").is_file()
    assert not list(course.rglob("gradebook.db"))


# --- a worker process that dies takes only its own submission ------------------------------

KILLER = "kills-its-worker"
STUCK = "never-ends"


def run_job_or_die(job):
    """The real job, except for one student whose job kills the worker process itself."""
    if job.student_id == KILLER:
        os._exit(7)
    if job.student_id == STUCK:  # stuck outside the kernel, where no cell limit applies
        import time
        time.sleep(3600)
    return worker.run_job(job)


def test_a_worker_that_dies_takes_only_its_own_submission(course, released, tmp_path,
                                                          monkeypatch):
    honest = [f"honest-{k:02d}" for k in range(6)]
    for student in honest[:3] + [KILLER] + honest[3:]:
        write_submission(tmp_path / "class", student, F.student_notebook(released, F.RIGHT))
    monkeypatch.setattr("autograder.grade.run_job", run_job_or_die)
    out = tmp_path / "grading"
    result = grade_class(tmp_path / "class", course, out, workers=2, timeout=TIMEOUT)
    rows = {r.student_id: r for r in result.grades}
    assert sorted(rows) == sorted(honest + [KILLER])
    assert all((rows[s].status, rows[s].score) == ("graded", 3) for s in honest), rows
    assert rows[KILLER].status == "error"
    assert "the grader's worker stopped" in rows[KILLER].reason
    entries = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    faults = {e["student_id"] for e in entries if e.get("grader_fault")}
    assert faults == {KILLER}, "the fault is recorded as a field, for the rerun to retry"
    assert (result.graded, result.reused) == (7, 0)

    again = grade_class(tmp_path / "class", course, out, workers=2, timeout=TIMEOUT)
    assert (again.graded, again.reused) == (1, 6)   # only the grader's failure is retried
    assert {r.student_id: r for r in again.grades}[KILLER].status == "error"


def test_a_submission_stuck_outside_its_kernel_is_stopped_at_the_whole_job_limit(
        course, released, tmp_path, monkeypatch):
    for student in ("honest-a", STUCK, "honest-b"):
        write_submission(tmp_path / "class", student, F.student_notebook(released, F.RIGHT))
    monkeypatch.setattr("autograder.grade.run_job", run_job_or_die)
    monkeypatch.setattr("autograder.grade.JOB_GRACE", 6)   # the limit: 5 x 2 s + 6 s = 16 s
    result = grade_class(tmp_path / "class", course, tmp_path / "grading", workers=2, timeout=2)
    rows = {r.student_id: r for r in result.grades}
    assert rows[STUCK].status == "error"
    assert rows[STUCK].reason == ("grading took longer than 16 s, the grader's limit for one "
                                  "submission")
    assert all(rows[s].status == "graded" for s in ("honest-a", "honest-b")), rows


def _kernels() -> set[int]:
    """Pids of the grader's kernels alive now (their command line names the launcher)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if b"kernel_launcher.py" in handle.read():
                        found.add(int(entry))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="counts kernels through /proc")
@pytest.mark.parametrize("sandbox", ["none", "bwrap"])
def test_a_job_stopped_at_its_limit_leaves_no_kernel_running(course, released, tmp_path,
                                                             monkeypatch, sandbox):
    from autograder.sandbox import choose_sandbox

    if sandbox == "bwrap" and choose_sandbox("auto")[0] != "bwrap":
        pytest.skip("bubblewrap cannot confine kernels here")
    sleeper = dict(F.RIGHT, add="import time\ntime.sleep(600)\n" + F.RIGHT["add"])
    write_submission(tmp_path / "class", "sleeper", F.student_notebook(released, sleeper))
    # The kernel's own limit (5 x 20 s) is far off; the whole job's limit is 6 s.
    monkeypatch.setattr("autograder.grade.JOB_GRACE", 6 - 5 * 20)
    before = _kernels()
    result = grade_class(tmp_path / "class", course, tmp_path / "grading", workers=1,
                         timeout=20, sandbox=sandbox)
    assert result.grades[0].reason == ("grading took longer than 6 s, the grader's limit "
                                       "for one submission")
    deadline = time.monotonic() + 10
    while _kernels() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _kernels() - before, "a kernel outlived the job that started it"
