"""Acceptance tests of ``python -m autograder grade`` on a hostile class (issue 4).

Black-box: every test runs the command line in a subprocess and reads what it
wrote (``grades.csv``, ``tests.csv``, ``gradebook.db``). One hostile class
(:data:`hostile.STUDENTS`) is graded once per module and shared; the tests that
must grade several times (rerun, zip, interrupted run, changed submission)
use the quick :data:`hostile.SMALL_CLASS`.

The score of the plain wrong student (``add`` right, ``scale`` wrong: 1 of 3)
is the baseline ``W``: no tampering may earn more.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from . import factories as F
from . import hostile as H
from .conftest import reap, tree_digest

pytestmark = pytest.mark.slow

WORKERS, TIMEOUT, MEMORY_MB = 2, 10, 1024
MAX_SCORE = 3.0
GRADES_HEADER = ["student_id", "assignment", "score", "max_score", "status", "reason"]
TESTS_HEADER = ["student_id", "assignment", "notebook", "grade_id", "points", "max_points",
                "message"]
GRADED_CELLS = {"test_add": 1.0, "test_scale": 2.0}
# A whole run must end well within this, whatever the class does.
RUN_LIMIT = 900
LARGEST_OUTPUT_FILE = 8 * 2**20


# --- running the grader ----------------------------------------------------------------------

def grade_command(submissions: Path, out: Path, course: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
            "--workers", str(WORKERS), "--timeout", str(TIMEOUT), "--memory-mb", str(MEMORY_MB),
            "--course", str(course)]


def run_grade(submissions: Path, out: Path, course: Path) -> subprocess.CompletedProcess:
    return subprocess.run(grade_command(submissions, out, course), capture_output=True,
                          text=True, timeout=RUN_LIMIT, stdin=subprocess.DEVNULL)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def grade_rows(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv as student_id -> row (a dict keyed by the header)."""
    rows = read_csv(out / "grades.csv")
    return {r[0]: dict(zip(GRADES_HEADER, r, strict=False)) for r in rows[1:]}


def gradebook_scores(out: Path) -> dict[str, float]:
    """student_id -> score of every submission of the fixture assignment in the gradebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
            return {s.student.id: s.score for s in gb.assignment_submissions(F.ASSIGNMENT)}


def gradebook_submission_count(out: Path) -> int:
    """Rows of nbgrader's submitted_assignment table, read with plain SQL (duplicates count)."""
    with sqlite3.connect(f"file:{out / 'gradebook.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0]


def sqlite_integrity(path: Path) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


@dataclass
class Run:
    """What one grade command left behind, read right after it ended."""

    out: Path
    process: subprocess.CompletedProcess
    grades_text: str = ""
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    tests: list[dict[str, str]] = field(default_factory=list)
    tests_header: list[str] = field(default_factory=list)
    grades_header: list[str] = field(default_factory=list)
    n_grade_lines: int = 0

    @classmethod
    def read(cls, out: Path, process: subprocess.CompletedProcess) -> Run:
        run = cls(out, process)
        if (out / "grades.csv").is_file():
            run.grades_text = (out / "grades.csv").read_text(encoding="utf-8")
            lines = read_csv(out / "grades.csv")
            run.grades_header, run.n_grade_lines = lines[0] if lines else [], len(lines) - 1
            run.rows = grade_rows(out)
        if (out / "tests.csv").is_file():
            lines = read_csv(out / "tests.csv")
            run.tests_header = lines[0] if lines else []
            run.tests = [dict(zip(TESTS_HEADER, r, strict=False)) for r in lines[1:]]
        return run

    def explain(self) -> str:
        return (f"grade exited {self.process.returncode}; stderr ends with:\n"
                + "\n".join(self.process.stderr.strip().splitlines()[-15:]))

    def row(self, student_id: str) -> dict[str, str]:
        assert self.rows, f"no grades.csv in {self.out}. {self.explain()}"
        assert student_id in self.rows, f"no row for {student_id!r}. {self.explain()}"
        return self.rows[student_id]

    def score(self, student_id: str) -> float:
        return float(self.row(student_id)["score"])


def grade_and_read(submissions: Path, out: Path, course: Path) -> Run:
    return Run.read(out, run_grade(submissions, out, course))


def comparable(rows: dict[str, dict[str, str]]) -> dict[str, tuple]:
    """Rows with scores as numbers, so ``3`` and ``3.0`` compare equal."""
    return {k: (r["assignment"], float(r["score"]), float(r["max_score"]), r["status"],
                r["reason"]) for k, r in rows.items()}


# --- the hostile class, graded once ---------------------------------------------------------

@dataclass
class Hostile:
    base: Path
    submissions: Path
    out: Path
    first: Run
    before: dict[str, str]
    after: dict[str, str]
    course_before: dict[str, str]
    course_after: dict[str, str]
    gradebook: dict[str, float] | str
    integrity: str
    submission_count: int | str


def _gradebook_state(out: Path) -> tuple[dict[str, float] | str, str, int | str]:
    path = out / "gradebook.db"
    if not path.is_file():
        return "no gradebook.db", "missing", "missing"
    try:
        integrity = sqlite_integrity(path)
        return gradebook_scores(out), integrity, gradebook_submission_count(out)
    except Exception as error:  # noqa: BLE001 (a broken gradebook is what the tests report)
        return f"{type(error).__name__}: {error}", "unreadable", "unreadable"


@pytest.fixture(scope="module")
def hostile(course, released, tmp_path_factory) -> Hostile:
    base = tmp_path_factory.mktemp("hostile")
    out = base / "grading"
    submissions = H.write_class(base / "class", H.STUDENTS, H.Context(released, course, out))
    before, course_before = tree_digest(submissions), tree_digest(course)
    first = grade_and_read(submissions, out, course)
    gradebook, integrity, count = _gradebook_state(out)
    return Hostile(base, submissions, out, first, before, tree_digest(submissions),
                   course_before, tree_digest(course), gradebook, integrity, count)


@pytest.fixture(scope="module")
def baseline(hostile) -> float:
    """W: the score of the plain wrong answer."""
    return hostile.first.score("wrong")


def ids_in(group: str) -> list[str]:
    return [s.student_id for s in H.STUDENTS if s.group == group]


def test_grade_exits_zero_without_traceback(hostile):
    assert hostile.first.process.returncode == 0, hostile.first.explain()
    assert "Traceback" not in hostile.first.process.stderr


def test_exactly_one_row_per_student_with_exact_headers(hostile):
    run = hostile.first
    assert run.grades_header == GRADES_HEADER, run.explain()
    assert run.tests_header == TESTS_HEADER
    assert run.n_grade_lines == len(H.STUDENTS)
    assert sorted(run.rows) == sorted(s.student_id for s in H.STUDENTS)
    assert {r["assignment"] for r in run.rows.values()} == {F.ASSIGNMENT}


def test_every_row_has_the_assignments_max_score_and_a_known_status(hostile):
    for student_id, row in hostile.first.rows.items():
        assert float(row["max_score"]) == MAX_SCORE, student_id
        assert row["status"] in ("graded", "error", "flagged"), student_id
        assert (row["status"] == "graded") == (row["reason"] == ""), (student_id, row)


@pytest.mark.parametrize("student_id", ids_in("honest"))
def test_honest_student_keeps_full_marks_next_to_the_hostile_ones(hostile, student_id):
    row = hostile.first.row(student_id)
    assert (float(row["score"]), row["status"], row["reason"]) == (MAX_SCORE, "graded", "")


def test_plain_wrong_answer_earns_the_baseline(hostile, baseline):
    row = hostile.first.row("wrong")
    assert (baseline, row["status"]) == (1.0, "graded")


# Where the issue says a kind of tampering must be detected, the reason must name it.
FLAGGED = {
    "tamper-numpy": r"numpy\.\S*allclose",
    "tamper-helpers": r"helpers\.grading",
    "tamper-builtins": r"builtins",
    "tamper-input-transformer": r"input transformer",
    "tamper-reads-solutions": r"solution",
    "tamper-writes-grader-files": r"grader's files|gradebook|grades\.csv",
    "tamper-starts-program": r"program",
}


@pytest.mark.parametrize("student_id", ids_in("tamper"))
def test_tampering_never_earns_more_than_a_plain_wrong_answer(hostile, baseline, student_id):
    assert hostile.first.score(student_id) <= baseline


@pytest.mark.parametrize("student_id, reason", sorted(FLAGGED.items()))
def test_tampering_is_flagged_with_a_reason_naming_it(hostile, student_id, reason):
    row = hostile.first.row(student_id)
    assert row["status"] == "flagged", row
    assert re.search(reason, row["reason"], re.IGNORECASE), row


def test_object_that_always_says_yes_is_not_an_error(hostile):
    assert hostile.first.row("tamper-always-yes")["status"] in ("graded", "flagged")


ERRORS = {
    "broken-invalid-json": r"not valid notebook JSON",
    "broken-empty-file": r"empty",
    "broken-not-a-notebook": r"holds no notebook",
    "broken-empty-folder": r"holds no notebook",
    "abuse-infinite-loop": r"ran longer than",
    "abuse-ignores-sigint": r"ran longer than|kernel stopped",
    "abuse-memory-bomb": rf"more than {MEMORY_MB} MB of memory",
    "abuse-os-exit": r"kernel stopped",
    "abuse-segfault": r"kernel stopped",
}


@pytest.mark.parametrize("student_id, reason", sorted(ERRORS.items()))
def test_broken_or_abusive_submission_gets_an_error_row_with_its_reason(hostile, student_id,
                                                                       reason):
    row = hostile.first.row(student_id)
    assert row["status"] == "error", row
    assert re.search(reason, row["reason"], re.IGNORECASE), row


def test_stripped_metadata_with_right_answers_earns_full_marks(hostile):
    row = hostile.first.row("damaged-stripped-metadata")
    assert (float(row["score"]), row["status"]) == (MAX_SCORE, "graded"), row


@pytest.mark.parametrize("student_id", ["damaged-duplicated-cells", "damaged-deleted-tests",
                                        "damaged-changed-points"])
def test_restored_graded_cells_keep_a_right_answers_full_marks(hostile, student_id):
    row = hostile.first.row(student_id)
    assert (float(row["score"]), float(row["max_score"])) == (MAX_SCORE, MAX_SCORE), row
    assert row["status"] in ("graded", "flagged"), row


@pytest.mark.parametrize("student_id", ["damaged-edited-tests", "damaged-skip-execution",
                                        "damaged-raises-exception"])
def test_edited_or_tagged_test_cells_earn_a_wrong_answer_no_more(hostile, baseline, student_id):
    row = hostile.first.row(student_id)
    assert float(row["score"]) == baseline, row
    assert row["status"] in ("graded", "flagged"), row


@pytest.mark.parametrize("student_id", ids_in("noise"))
def test_output_noise_does_not_cost_a_right_answer_its_marks(hostile, student_id):
    row = hostile.first.row(student_id)
    assert (float(row["score"]), row["status"]) == (MAX_SCORE, "graded"), row


def test_fifty_megabytes_of_output_do_not_blow_up_the_output_folder(hostile):
    assert (hostile.out / "gradebook.db").stat().st_size < 4 * 2**20
    big = {str(p.relative_to(hostile.out)): p.stat().st_size for p in hostile.out.rglob("*")
           if p.is_file() and p.stat().st_size >= LARGEST_OUTPUT_FILE}
    assert not big
    autograded = [p for p in hostile.out.rglob("*.ipynb") if "noise-50mb" in str(p)
                  and "autograded" in p.parts]
    assert autograded, "the autograded notebook of noise-50mb is missing"
    assert all(p.stat().st_size < 4 * 2**20 for p in autograded)


def test_tests_csv_has_one_row_per_graded_cell_with_the_source_points(hostile):
    run = hostile.first
    for student_id, row in run.rows.items():
        if row["status"] == "error":
            continue
        mine = [t for t in run.tests if t["student_id"] == student_id]
        assert sorted(t["grade_id"] for t in mine) == sorted(GRADED_CELLS), student_id
        for t in mine:
            assert float(t["max_points"]) == GRADED_CELLS[t["grade_id"]], (student_id, t)
            assert "\n" not in t["message"]
        if row["status"] == "graded":
            assert sum(float(t["points"]) for t in mine) == float(row["score"]), student_id


def test_gradebook_survives_the_students_who_write_to_it(hostile):
    assert hostile.integrity == "ok", hostile.gradebook
    assert isinstance(hostile.gradebook, dict), hostile.gradebook
    assert set(hostile.gradebook) <= set(hostile.first.rows)
    assert hostile.submission_count == len(hostile.gradebook)


def test_gradebook_holds_the_score_of_every_graded_row(hostile):
    assert isinstance(hostile.gradebook, dict), hostile.gradebook
    for student_id, row in hostile.first.rows.items():
        if row["status"] != "error":
            assert hostile.gradebook.get(student_id) == pytest.approx(float(row["score"])), \
                student_id


def test_nothing_is_written_outside_the_output_folder(hostile):
    assert hostile.after == hostile.before, "the submissions folder was changed"
    assert hostile.course_after == hostile.course_before, "the course folder was changed"
    assert sorted(p.name for p in hostile.base.iterdir()) == ["class", "grading"]


# --- a rerun over the same folder (after every test of the first run) --------------------

@pytest.fixture(scope="module")
def rerun_hostile(hostile, course) -> tuple[Run, tuple]:
    run = grade_and_read(hostile.submissions, hostile.out, course)
    return run, _gradebook_state(hostile.out)


def test_rerun_gives_identical_grades_and_no_duplicate_submissions(hostile, rerun_hostile):
    run, (gradebook, integrity, count) = rerun_hostile
    assert run.process.returncode == 0, run.explain()
    assert run.grades_text == hostile.first.grades_text
    assert integrity == "ok", gradebook
    assert gradebook == hostile.gradebook
    assert count == hostile.submission_count


# --- the small class: zip, interrupted runs, a changed submission -------------------------

@pytest.fixture(scope="module")
def small_class(course, released, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("small")
    return H.write_class(base / "class", H.SMALL_CLASS,
                         H.Context(released, course, base / "grading"))


@pytest.fixture(scope="module")
def small_reference(small_class, course, tmp_path_factory) -> Run:
    """The small class graded once, from its folder, without interruption."""
    run = grade_and_read(small_class, tmp_path_factory.mktemp("small-out") / "grading", course)
    assert run.process.returncode == 0, run.explain()
    assert sorted(run.rows) == sorted(s.student_id for s in H.SMALL_CLASS), run.explain()
    return run


def zip_folder(folder: Path, archive: Path, extra: dict[str, str] | None = None) -> Path:
    """Zip ``folder`` as an LMS would (directory entries included, UTF-8 names)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_dir():
                handle.writestr(zipfile.ZipInfo(name + "/"), "")
            else:
                handle.write(path, name)
        for name, text in (extra or {}).items():
            handle.writestr(zipfile.ZipInfo(name), text)
    return archive


def test_zip_of_the_class_grades_like_the_folder(small_class, small_reference, course, tmp_path):
    archive = zip_folder(small_class, tmp_path / "class.zip")
    run = grade_and_read(archive, tmp_path / "grading", course)
    assert run.process.returncode == 0, run.explain()
    assert comparable(run.rows) == comparable(small_reference.rows)


def _symlink_entry(handle: zipfile.ZipFile, name: str, target: str) -> None:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so that external_attr holds a file mode
    info.external_attr = (0o120777 << 16)
    handle.writestr(info, target)


def test_zip_entries_escaping_the_output_folder_are_left_out(small_class, course, tmp_path):
    # Every way out at once, in one class zip (test_archive checks each alone): each is
    # left out and listed, nothing lands outside the output folder, the class is graded.
    token = f"escape-{uuid.uuid4().hex}"
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    archive = zip_folder(small_class, work / "class.zip")
    entries = {
        "parent": f"../{token}-parent.ipynb",
        "deep-parent": f"../../../{token}-deep.ipynb",
        "inside-then-out": f"with space/{F.ASSIGNMENT}/../../../../{token}-inside.ipynb",
        "absolute": str(tmp_path / f"{token}-absolute.ipynb"),
    }
    link = f"with space/{F.ASSIGNMENT}/{token}-link.ipynb"
    with zipfile.ZipFile(archive, "a") as handle:
        _symlink_entry(handle, link, "../../../../../../../../../../tmp")
        for name in entries.values():
            handle.writestr(zipfile.ZipInfo(name), '{"cells": []}')
    out = work / "grading"
    before = {k: v for k, v in tree_digest(tmp_path).items()}
    result = run_grade(archive, out, course)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder:"), result.stderr
    # Only the unsafe entries are left out, each listed; the class is graded.
    listed = [line for line in result.stdout.splitlines()
              if "an entry of the zip that was left out" in line]
    assert len(listed) == 5, result.stdout
    for name in [*entries.values(), link]:
        assert any(f"class.zip: {name}:" in line for line in listed), name
    assert len(read_csv(out / "grades.csv")) == len(H.SMALL_CLASS) + 1
    after = {k: v for k, v in tree_digest(tmp_path).items()
             if not (tmp_path / k).resolve().is_relative_to(out.resolve())}
    assert after == before
    for place in (Path(tempfile.gettempdir()), Path.cwd(), Path("/tmp")):
        assert not list(place.glob(f"{token}*"))


def _progressed(out: Path) -> bool:
    journal = out / "journal.jsonl"
    if journal.is_file() and journal.read_text(encoding="utf-8", errors="replace").strip():
        return True
    grades = out / "grades.csv"
    try:
        return grades.is_file() and len(read_csv(grades)) >= 2
    except (OSError, csv.Error, UnicodeDecodeError):
        return False


def _as_foreground_job() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_resumes_without_losing_or_duplicating(small_class, small_reference,
                                                               course, tmp_path, signum):
    out = tmp_path / "grading"
    log = open(tmp_path / "stderr.txt", "w+", encoding="utf-8")
    # Its own process group, as a terminal's Ctrl-C reaches the grader and its workers, and
    # SIGINT's default action, which a foreground job has. A test run started in the
    # background (as CI may start it) passes SIGINT on ignored, and Python keeps it ignored.
    process = subprocess.Popen(grade_command(small_class, out, course), stdout=subprocess.DEVNULL,
                               stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                               preexec_fn=_as_foreground_job)
    try:
        deadline = time.monotonic() + RUN_LIMIT
        while not _progressed(out):
            if process.poll() is not None:
                log.seek(0)
                pytest.fail("the run ended before it showed progress to interrupt "
                            f"(exit {process.returncode}): {log.read()[-2000:]}")
            assert time.monotonic() < deadline, "no progress within the run limit"
            time.sleep(0.1)
        os.killpg(process.pid, signum)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the grader was still running 60 s after {signal.Signals(signum).name}")
    finally:
        reap(process)  # the workers and kernels of a grader that ended or not
        log.seek(0)
        said = log.read()
        log.close()
    # Killed before the end: the run cannot have given every student a row and exited 0.
    assert process.returncode != 0, f"the run ended before the signal reached it: {said[-3000:]}"
    resumed = grade_and_read(small_class, out, course)
    assert resumed.process.returncode == 0, resumed.explain()
    assert resumed.n_grade_lines == len(H.SMALL_CLASS)
    assert comparable(resumed.rows) == comparable(small_reference.rows)
    gradebook, integrity, count = _gradebook_state(out)
    assert integrity == "ok", gradebook
    assert gradebook == gradebook_scores(small_reference.out)
    assert count == len(gradebook)


def test_changed_submission_is_regraded(small_class, small_reference, released, course,
                                        tmp_path):
    folder = shutil.copytree(small_class, tmp_path / "class")
    out = tmp_path / "grading"
    first = grade_and_read(folder, out, course)
    assert first.process.returncode == 0, first.explain()
    assert first.score("wrong") == 1.0
    H.write_notebook(folder, "wrong", F.student_notebook(released, F.RIGHT))
    second = grade_and_read(folder, out, course)
    assert second.process.returncode == 0, second.explain()
    row = second.row("wrong")
    assert (float(row["score"]), row["status"]) == (MAX_SCORE, "graded")
    unchanged = {k: v for k, v in comparable(first.rows).items() if k != "wrong"}
    assert {k: v for k, v in comparable(second.rows).items() if k != "wrong"} == unchanged
    assert gradebook_scores(out)["wrong"] == MAX_SCORE
    assert gradebook_submission_count(out) == len(gradebook_scores(out))


@pytest.mark.slow
def test_feedback_and_report_cover_every_student_of_the_hostile_class(hostile, course):
    import html

    for command in ("feedback", "report"):
        run = subprocess.run([sys.executable, "-m", "autograder", command, "--out",
                              str(hostile.out), "--course", str(course)],
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    for student_id, row in hostile.first.rows.items():
        pages = list((hostile.out / "feedback" / student_id / row["assignment"]).glob("*.html"))
        assert pages, f"no feedback page for {student_id!r}"
        if row["status"] != "graded":
            assert html.escape(row["reason"], quote=False)[:40] in pages[0].read_text("utf-8")
    report = (hostile.out / "report" / "index.html").read_text(encoding="utf-8")
    for student_id, row in hostile.first.rows.items():
        if row["status"] != "graded":
            assert html.escape(student_id) in report, student_id
