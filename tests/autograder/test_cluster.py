"""grade --cluster: a class graded by real ``dask scheduler`` and ``dask worker`` processes.

Each test starts its cluster on 127.0.0.1 (:mod:`tests.dask_cluster`) and kills
every process of it at the end. The workers of the shared cluster load
``dask_faults.py``, which makes a worker SIGKILL itself when it starts grading
one of two named students, as a crash or the OOM killer would.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from autograder.cluster import ClusterError
from autograder.grade import grade_class
from tests import dask_cluster

from . import factories as F
from .conftest import grade_cli, reap, run_reaped, write_submission
from .dask_faults import KILLED_ONCE, KILLS_EVERY_WORKER

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(dask_cluster.missing() is not None,
                                 reason=f"needs {dask_cluster.missing()}")]

TIMEOUT = 20
FAULTS = Path(__file__).with_name("dask_faults.py")


@pytest.fixture(scope="module")
def faults(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def cluster(course, faults, tmp_path_factory):
    """Two workers holding the fixture course; a task that kills workers is given up after
    its second victim (Dask's default is the fourth)."""
    started = dask_cluster.start_cluster(
        tmp_path_factory.mktemp("dask"), 2, course=course, preload=str(FAULTS),
        env={"DASK_FAULTS_DIR": str(faults),
             "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"})
    yield started
    started.stop()


def _started(faults: Path) -> list[str]:
    """The student of every grading task a worker started, in order."""
    log = faults / "started.txt"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split("-01_toy-")[0].removeprefix("grade-") for line in lines]


def _journal(out: Path) -> list[dict]:
    path = out / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_class_graded_on_the_cluster_matches_a_local_run_byte_for_byte(
        course, released, cluster, faults, tmp_path):
    root = tmp_path / "class"
    write_submission(root, "alice", F.student_notebook(released, F.RIGHT))
    write_submission(root, "bob", F.student_notebook(released, F.WRONG_SCALE))
    write_submission(root, "carol", F.student_notebook(released, F.RIGHT, drop=("test_add",)))
    write_submission(root, "dan", text='{"cells": [')
    write_submission(root, "hal", F.student_notebook(
        released, dict(F.RIGHT, add="import os\nos._exit(1)")))
    local = grade_class(root, course, tmp_path / "local", workers=2, timeout=TIMEOUT)

    done = run_reaped(grade_cli("grade", root, "--course", course, "--out", tmp_path / "remote",
                                "--timeout", TIMEOUT, "--cluster", cluster.scheduler_file),
                      timeout=300)
    assert done.returncode == 0, done.stderr + cluster.log()
    assert "(on 2 Dask workers)" in done.stdout
    for name in ("grades.csv", "tests.csv"):
        assert ((tmp_path / "remote" / name).read_bytes()
                == (tmp_path / "local" / name).read_bytes()), name
    assert {r.student_id: r.status for r in local.grades} == {
        "alice": "graded", "bob": "graded", "carol": "graded", "dan": "error", "hal": "error"}
    # Done by the workers: every gradable submission was a task there, once.
    assert sorted(_started(faults)) == ["alice", "bob", "carol", "hal"]
    remote = sorted(p.relative_to(tmp_path / "remote") for p in
                    (tmp_path / "remote" / "autograded").rglob("*.ipynb"))
    assert remote == sorted(p.relative_to(tmp_path / "local") for p in
                            (tmp_path / "local" / "autograded").rglob("*.ipynb"))
    executed = nbformat.read(str(tmp_path / "remote" / "autograded" / "alice" / F.ASSIGNMENT
                                 / f"{F.NOTEBOOK}.ipynb"), as_version=4)
    assert any(c.metadata.get("execution") for c in executed.cells)   # it was run


def test_a_killed_worker_costs_one_retry_and_a_worker_killer_one_error_row(
        course, released, cluster, faults, tmp_path):
    honest = [f"honest-{k}" for k in range(3)]
    root = tmp_path / "class"
    for student in [honest[0], KILLED_ONCE, KILLS_EVERY_WORKER, *honest[1:]]:
        write_submission(root, student, F.student_notebook(released, F.RIGHT))
    before = len(_started(faults))
    out = tmp_path / "grading"
    result = grade_class(root, course, out, timeout=TIMEOUT,
                         cluster=str(cluster.scheduler_file))

    rows = {r.student_id: r for r in result.grades}
    assert sorted(rows) == sorted([*honest, KILLED_ONCE, KILLS_EVERY_WORKER])
    for student in [*honest, KILLED_ONCE]:
        assert (rows[student].status, rows[student].score) == ("graded", 3), rows[student]
    assert rows[KILLS_EVERY_WORKER].status == "error"
    assert "every Dask worker that took this submission stopped" in rows[
        KILLS_EVERY_WORKER].reason
    assert "then it was graded alone" in rows[KILLS_EVERY_WORKER].reason
    started = _started(faults)[before:]
    # Killed once, then graded by Dask's retry. It may start more often: Dask counts
    # against it a death it only waited beside, and runs it again when its worker dies
    # holding the result; it is then graded alone. Its row is one all the same.
    assert started.count(KILLED_ONCE) >= 2
    # Its own starts killed their workers until Dask gave up (2 deaths, one of which may
    # have come while it only waited), then 2 more while it was graded alone.
    assert started.count(KILLS_EVERY_WORKER) >= 3
    # one journal entry per student: nothing lost, nothing counted twice
    assert sorted(e["student_id"] for e in _journal(out)) == sorted(rows)

    again = grade_class(root, course, out, timeout=TIMEOUT, cluster=str(cluster.scheduler_file))
    assert (again.graded, again.reused) == (1, 4)   # only the grader's failure is tried again


def test_a_submission_beside_the_one_that_kills_its_worker_is_graded_not_blamed(
        course, released, tmp_path):
    """Dask counts a worker's death against every task it held: graded alone, it is cleared.

    One worker of two threads holds both tasks at once, so each death of the worker
    under the killer counts against the honest submission too, and Dask gives up on
    both (after 2 deaths here). Graded alone, the honest one gets its marks and
    the killer its error row.
    """
    faults = tmp_path / "faults"
    faults.mkdir()
    crowded = dask_cluster.start_cluster(
        tmp_path / "dask", 1, course=course, preload=str(FAULTS), threads=2,
        env={"DASK_FAULTS_DIR": str(faults),
             "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"})
    try:
        root = tmp_path / "class"
        for student in ("honest", KILLS_EVERY_WORKER):
            write_submission(root, student, F.student_notebook(released, F.RIGHT))
        result = grade_class(root, course, tmp_path / "grading", timeout=TIMEOUT,
                             cluster=str(crowded.scheduler_file))
    finally:
        crowded.stop()
    rows = {r.student_id: r for r in result.grades}
    assert (rows["honest"].status, rows["honest"].score) == ("graded", 3), rows["honest"]
    assert rows[KILLS_EVERY_WORKER].status == "error"
    assert "then it was graded alone" in rows[KILLS_EVERY_WORKER].reason
    started = _started(faults)
    assert started.count(KILLS_EVERY_WORKER) == 4
    assert started.count("honest") >= 2   # at least once beside the killer, once alone


def test_a_worker_holding_another_course_refuses_before_anything_is_graded(
        course, released, tmp_path):
    other = tmp_path / "other-course"
    shutil.copytree(course, other)
    source = other / "solutions" / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb"
    nb = nbformat.read(str(source), as_version=4)
    nb.cells[-1].source += "\n# changed at another commit"
    nbformat.write(nb, str(source))
    write_submission(tmp_path / "class", "alice", F.student_notebook(released, F.RIGHT))

    elsewhere = dask_cluster.start_cluster(tmp_path / "dask", 1, course=other)
    try:
        with pytest.raises(ClusterError, match=f"differs from the instructor's in "
                                               f"solutions/{F.ASSIGNMENT}"):
            grade_class(tmp_path / "class", course, tmp_path / "grading", timeout=TIMEOUT,
                        cluster=elsewhere.address)
    finally:
        elsewhere.stop()
    assert not _journal(tmp_path / "grading")


def test_a_scheduler_that_cannot_load_the_grader_stops_the_run_in_one_sentence(
        course, released, tmp_path):
    """Every task would fail the same way: not a row per student, but one sentence."""
    root = tmp_path / "class"
    for student in ("alice", "bob"):
        write_submission(root, student, F.student_notebook(released, F.RIGHT))
    foreign = dask_cluster.start_cluster(
        tmp_path / "dask", 1, course=course,
        scheduler_preload=str(Path(__file__).with_name("dask_no_grader.py")))
    try:
        done = run_reaped(grade_cli("grade", root, "--course", course, "--out",
                                    tmp_path / "grading", "--timeout", TIMEOUT,
                                    "--cluster", foreign.address), timeout=300)
    finally:
        foreign.stop()
    assert done.returncode != 0
    assert done.stderr.strip().startswith(
        f"autograder: the Dask cluster at {foreign.address} cannot load the grader's tasks"), \
        done.stderr
    assert "install the course on the scheduler and on every worker" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "grading" / "grades.csv").exists() or "alice" not in (
        tmp_path / "grading" / "grades.csv").read_text()


def test_losing_the_scheduler_stops_the_run_in_one_sentence_and_the_journal_resumes(
        course, released, tmp_path):
    root = tmp_path / "class"
    slow = dict(F.RIGHT, add="import time\ntime.sleep(1)\n" + F.RIGHT["add"])
    students = [f"s{k}" for k in range(6)]
    for student in students:
        write_submission(root, student, F.student_notebook(released, slow))
    out = tmp_path / "grading"

    doomed = dask_cluster.start_cluster(tmp_path / "dask", 1, course=course)
    grader = subprocess.Popen(
        grade_cli("grade", root, "--course", course, "--out", out, "--timeout", TIMEOUT,
                  "--cluster", doomed.address),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not _journal(out) and grader.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        doomed.kill_scheduler()
        _, stderr = grader.communicate(timeout=120)
    finally:
        reap(grader)
        doomed.stop()
    recorded = len(_journal(out))
    assert grader.returncode not in (0, None)
    assert 1 <= recorded < len(students)
    assert stderr.strip() == (
        f"autograder: lost the Dask scheduler at {doomed.address}; {recorded} of "
        f"{len(students)} submissions are recorded, run the same command again to grade "
        "the rest"), stderr

    resumed = grade_class(root, course, out, workers=2, timeout=TIMEOUT)
    assert (resumed.graded, resumed.reused) == (len(students) - recorded, recorded)
    assert [(r.student_id, r.status, r.score) for r in resumed.grades] == [
        (s, "graded", 3) for s in students]
