"""Grade a class: every submission in its own sandboxed kernel, N at a time, a row for each.

``python -m autograder grade SUBMISSIONS`` takes a class folder
(``<student_id>/<assignment>/<notebook>.ipynb``) or a zip of one, and:

1. records each assignment's source cells in nbgrader's gradebook
   (generate_assignment), so graded cells can be restored from them;
2. skips submissions the journal says were graded already, unchanged, against
   the same source (a rerun or a resumed run);
3. copies each remaining submission into ``OUT/submitted/`` and hands it to a
   worker process (:mod:`autograder.worker`), which restores the graded cells
   and executes the notebook in a confined kernel;
4. scores each result in the parent, the gradebook's only writer, as soon as
   it arrives (:mod:`autograder.scoring`), and appends it to the journal;
5. writes ``grades.csv`` and ``tests.csv``: one row per student and assignment.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .archive import extract_class, is_archive
from .course import (
    check_gradebook_url,
    ensure_alembic_on_path,
    list_assignments,
    solutions_dir,
    sqlite_path,
    write_nbgrader_config,
)
from .csvfiles import GRADES_HEADER, TESTS_HEADER, GradeRow, TestRow, write_rows
from .errors import AutograderError, SubmissionsError
from .journal import Journal, source_digest, submission_digest
from .release import record_assignment
from .sandbox import choose_sandbox, default_deny
from .scoring import score_submission
from .settings import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, NOTEBOOK_TIMEOUT_FACTOR
from .submissions import Submission, stage_submission, survey_class
from .worker import Job, NotebookOutcome, run_job, setup_cell_source

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB", "GradingResult", "grade_class", "job_limit"]

#: Seconds per notebook, beyond its kernel's own limit, that grading one submission may
#: take for everything else (a kernel start that is retried, restoring, scoring).
JOB_GRACE = 120



@dataclass
class GradingResult:
    """What :func:`grade_class` produced."""

    grades: list[GradeRow]
    tests: list[TestRow]
    grades_csv: Path
    tests_csv: Path
    db_url: str
    graded: int  # submissions graded in this run
    reused: int  # submissions taken from the journal, unchanged since
    sandbox_note: str = ""  # what confined the kernels, in one line
    unplaced: list[tuple[str, str]] = field(default_factory=list)  # notebooks in no row: why


def _in_gradebook(db_url: str, assignment: str, student_id: str) -> bool:
    with Gradebook(db_url) as gb:
        try:
            gb.find_submission(assignment, student_id)
        except MissingEntry:
            return False
    return True


def _grader_failed(entry: dict) -> bool:
    """Whether a recorded result was the grader's fault, to be tried again on a rerun."""
    return bool(entry.get("grader_fault"))


def _entry(row: GradeRow, tests: list[TestRow], digest: str, source: str,
           grader_fault: bool = False) -> dict:
    return {**asdict(row), "digest": digest, "source": source, "grader_fault": grader_fault,
            "tests": [asdict(t) for t in tests], "finished_at": time.time()}


def _rows_from_entry(entry: dict) -> tuple[GradeRow, list[TestRow]]:
    row = GradeRow(**{key: entry[key] for key in GRADES_HEADER})
    tests = [TestRow(**{key: t[key] for key in TESTS_HEADER}) for t in entry.get("tests", [])]
    return row, tests


class _Progress:
    """A tqdm bar showing done/total, rate and failures; silent when disabled."""

    def __init__(self, total: int, enabled: bool):
        self.failures = 0
        self.bar = None
        if enabled and total:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc="grading", unit="submission", file=sys.stderr,
                            dynamic_ncols=True)

    def update(self, status: str) -> None:
        if status != "graded":
            self.failures += 1
        if self.bar is not None:
            self.bar.set_postfix(not_graded=self.failures, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_class(submissions_dir: str | os.PathLike, course_root: str | os.PathLike,
                out_dir: str | os.PathLike = "grading", *, workers: int | None = None,
                timeout: int = DEFAULT_TIMEOUT, memory_mb: int | None = DEFAULT_MEMORY_MB,
                db_url: str | None = None, progress: bool = False,
                sandbox: str = "auto") -> GradingResult:
    """Grade every ``<student>/<assignment>/`` folder of a class folder or zip.

    Parameters
    ----------
    submissions_dir : path
        ``SUBMISSIONS/<student_id>/<assignment>/<notebook>.ipynb``, or a zip of
        that tree; only read.
    course_root : path
        Course folder holding ``solutions/``.
    out_dir : path
        Receives ``gradebook.db``, ``journal.jsonl``, ``submitted/``,
        ``autograded/``, ``grades.csv`` and ``tests.csv``.
    workers : int, optional
        Submissions graded at once; default the number of cores.
    timeout : int
        Seconds each cell may run; the whole notebook gets
        ``settings.NOTEBOOK_TIMEOUT_FACTOR`` times that.
    memory_mb : int or None
        Memory limit of each notebook's kernel, in MB.
    db_url : str, optional
        SQLAlchemy URL of the gradebook; default ``sqlite:///OUT/gradebook.db``.
    progress : bool
        Show a progress bar on stderr.
    sandbox : str
        ``auto`` (bubblewrap where it works, else the audit hook alone),
        ``bwrap`` (refuse to grade without it) or ``none``; see
        :func:`autograder.sandbox.choose_sandbox`.

    Raises
    ------
    SubmissionsError
        When the folder or zip is missing, unsafe, or holds no submission.
    CourseError, NbgraderError
        When the course cannot be read or recorded.
    AutograderError
        When the run is interrupted (what was graded is kept; rerun to resume).
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    mode, sandbox_note = choose_sandbox(sandbox)
    workers = workers or os.cpu_count() or 1
    out = Path(out_dir).resolve()
    source_root = solutions_dir(course_root)
    known = list_assignments(course_root)
    given = Path(submissions_dir)
    if not given.exists():
        raise SubmissionsError(f"the submissions folder {given} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    if given.is_file() and is_archive(given):
        # The grader's own copy of the zip's tree, made afresh on every run.
        unpacked = out / "class"
        if unpacked.exists():
            shutil.rmtree(unpacked)
        refused: list[tuple[str, str]] = []
        folder = extract_class(given, unpacked, refused=refused)
    elif given.is_file():
        raise SubmissionsError(f"{given} is neither a folder of submissions nor a zip file")
    else:
        folder = given.resolve()
        refused = []
    names = {path.stem: a for a in known for path in (source_root / a).glob("*.ipynb")}
    survey = survey_class(folder, names)
    survey.unplaced[:0] = [(f"{given.name}: {entry}", f"an entry of the zip that was left out: "
                            f"it {why}") for entry, why in refused]
    submissions = survey.submissions
    if not submissions:
        listed = "; ".join(f"{path}: {why}" for path, why in survey.unplaced[:5])
        raise SubmissionsError(
            f"{given} holds no submissions; expected <student_id>/<assignment>/<notebook>.ipynb"
            + (f" ({len(survey.unplaced)} notebooks could not be placed: {listed})"
               if survey.unplaced else ""))
    db_url = db_url or f"sqlite:///{out / 'gradebook.db'}"
    check_gradebook_url(db_url)
    ensure_alembic_on_path()

    wanted = sorted({s.assignment for s in submissions if s.assignment in known})
    # What a result depends on besides the submission: the source and the limits.
    settings = f"timeout={timeout};memory_mb={memory_mb};sandbox={mode}"
    sources = {a: source_digest(sorted((source_root / a).glob("*.ipynb"))) + ";" + settings
               for a in wanted}
    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp:
        for assignment in wanted:
            record_assignment(course_root, assignment, out, Path(tmp) / "release", db_url)

    journal = Journal(out / "journal.jsonl")
    # The kernel may read the course's helpers and release, nothing else of the course,
    # the class or the grader's files.
    deny = default_deny(course_root, *(p for p in (out, folder, given.resolve(),
                                                   sqlite_path(db_url)) if p is not None))
    rows: dict[tuple[str, str], tuple[GradeRow, list[TestRow]]] = {}
    todo: list[tuple[Submission, str]] = []
    reused = 0  # results taken from the journal, unchanged since
    for submission in submissions:
        key = (submission.student_id, submission.assignment)
        if submission.assignment not in known:
            rows[key] = (GradeRow(*key, 0, 0, "error",
                                  f"there is no assignment called {submission.assignment!r} "
                                  "in this course"), [])
            continue
        digest = submission_digest(submission.path)
        entry = journal.lookup(*key, digest, sources[submission.assignment])
        if (entry is not None and not _grader_failed(entry)
                and _in_gradebook(db_url, submission.assignment, submission.student_id)):
            rows[key] = _rows_from_entry(entry)
            reused += 1
        else:
            todo.append((submission, digest))

    bar = _Progress(len(todo), progress)
    try:
        with _remember_interrupts() as interrupted:
            _grade_all(todo, rows, out, db_url, source_root, sources, journal, deny, workers,
                       timeout, memory_mb, bar, interrupted, sandbox=mode)
    except KeyboardInterrupt:
        _write_csvs(out, rows)
        raise AutograderError(
            f"grading was interrupted; {len(rows)} of {len(submissions)} submissions are "
            "recorded, run the same command again to grade the rest") from None
    finally:
        bar.close()
    grades, tests, grades_csv, tests_csv = _write_csvs(out, rows)
    write_nbgrader_config(out, course_root, db_url)
    return GradingResult(grades, tests, grades_csv, tests_csv, db_url,
                         graded=len(rows) - reused, reused=reused, sandbox_note=sandbox_note,
                         unplaced=survey.unplaced)


class _Interrupted:
    """Whether Ctrl-C was pressed during the run."""

    def __init__(self) -> None:
        self.seen = False

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed, whatever became of it."""
        if self.seen:
            raise KeyboardInterrupt


@contextmanager
def _remember_interrupts() -> Iterator[_Interrupted]:
    """Remember a Ctrl-C even when its ``KeyboardInterrupt`` is swallowed.

    Python reports and drops an exception raised inside an at-fork hook, so a
    Ctrl-C that arrives while a worker is being forked would be lost: the worker
    dies of it, the pool is restarted, and the run ends as if nobody had pressed
    anything. The grading loop checks what this records at every step instead.
    SIGINT that the caller ignores (``nohup``) or handles itself is left alone.
    """
    interrupted = _Interrupted()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield interrupted
        return

    def on_sigint(signum, frame):
        interrupted.seen = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield interrupted
        interrupted.check()
    finally:
        signal.signal(signal.SIGINT, previous)


def _write_csvs(out: Path, rows: dict):
    ordered = [rows[key] for key in sorted(rows)]
    grades = [row for row, _ in ordered]
    tests = [t for _, ts in ordered for t in ts]
    return (grades, tests, write_rows(out / "grades.csv", GradeRow, grades),
            write_rows(out / "tests.csv", TestRow, tests))


def _grade_all(todo, rows, out, db_url, source_root, sources, journal, deny, workers,
               timeout, memory_mb, bar, interrupted=None, sandbox="none") -> None:
    """Run the jobs in a process pool; score and journal each as it finishes."""
    if interrupted is None:
        interrupted = _Interrupted()
    pending: dict[tuple[str, str], tuple[Submission, str, list[str], Job]] = {}
    for submission, digest in todo:
        expected = [p.stem for p in sorted((source_root / submission.assignment).glob("*.ipynb"))]
        staged = stage_submission(submission, out / "submitted", expected)
        key = (submission.student_id, submission.assignment)
        if not staged.notebooks:
            row, tests = score_submission(db_url, out, *key, staged.problems, [])
            _finish(key, row, tests, digest, sources, journal, rows, bar)
            continue
        job = Job(student_id=submission.student_id, assignment=submission.assignment,
                  notebooks=tuple(staged.notebooks),
                  submitted=out / "submitted" / submission.student_id / submission.assignment,
                  autograded=out / "autograded" / submission.student_id / submission.assignment,
                  db_url=db_url, timeout=timeout, memory_mb=memory_mb, deny=deny,
                  sandbox=sandbox, setups=tuple(
                      (name, setup_cell_source(source_root / submission.assignment
                                               / f"{name}.ipynb"))
                      for name in staged.notebooks))
        pending[key] = (submission, digest, staged.problems, job)

    _warm_up_the_judge(source_root, {s.assignment for s, _ in todo})
    # fork: workers start at once with the grader's modules already imported (the
    # parent has no threads of its own at this point); spawn where fork is missing.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

    def finish(key, outcomes):
        _, digest, problems, _ = pending.pop(key)
        row, tests = score_submission(db_url, out, *key, problems, outcomes)
        fault = any(o.grader_fault for o in outcomes)
        _finish(key, row, tests, digest, sources, journal, rows, bar, grader_fault=fault)

    queue = list(pending)  # jobs not started yet, in order
    suspects: list[tuple[str, str]] = []  # jobs running when a worker died: each tried alone
    while queue or suspects:
        interrupted.check()
        alone = bool(suspects)
        source = suspects if alone else queue
        size = 1 if alone else min(workers, len(queue))
        pool = ProcessPoolExecutor(max_workers=size, mp_context=context)
        running: dict = {}
        deadlines: dict = {}
        overdue: set[tuple[str, str]] = set()
        try:
            while source or running:
                # No more jobs in flight than workers: when a worker dies, only the
                # jobs it may have been running are suspects.
                while source and len(running) < size:
                    key = source.pop(0)
                    future = pool.submit(run_job, pending[key][3])
                    running[future] = key
                    deadlines[future] = time.monotonic() + job_limit(pending[key][3])
                soonest = min(deadlines[f] for f in running)
                done, _ = wait(running, timeout=max(soonest - time.monotonic(), 0.0),
                               return_when=FIRST_COMPLETED)
                interrupted.check()
                late = [f for f in running if f not in done and deadlines[f] <= time.monotonic()]
                if late:
                    # A job past the limit of a whole submission, whatever step it is in
                    # (staging, restoring, the kernel, scoring): its worker is stopped.
                    overdue.update(running[f] for f in late)
                    _stop_workers(pool)
                    continue
                for future in done:
                    try:
                        outcomes = future.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as error:  # noqa: BLE001 (the grader's bug costs one row, not the class)
                        outcomes = [NotebookOutcome(name, problems=[
                            f"the grader could not run this notebook ({type(error).__name__})"],
                            grader_fault=True) for name in pending[running[future]][3].notebooks]
                    finish(running.pop(future), outcomes)
        except BrokenProcessPool:
            # A worker process died (not a kernel: those are processes of their own).
            # Alone, the job it ran is the cause: it gets an error row. With others, every
            # job in flight is tried again, alone; a worker killed by Ctrl-C is no reason.
            interrupted.check()
            in_flight = list(running.values())
            for key in [k for k in in_flight if k in overdue]:
                in_flight.remove(key)
                finish(key, [NotebookOutcome(name, problems=[
                    f"grading took longer than {job_limit(pending[key][3])} s, the grader's "
                    "limit for one submission"]) for name in pending[key][3].notebooks])
            if alone:
                for key in in_flight:
                    finish(key, [NotebookOutcome(name, problems=[
                        "the grader's worker stopped while grading this notebook"],
                        grader_fault=True) for name in pending[key][3].notebooks])
            else:
                suspects.extend(in_flight)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def job_limit(job: Job) -> int:
    """Seconds a whole submission may take, every step included: each notebook's own
    limit (``NOTEBOOK_TIMEOUT_FACTOR`` times a cell's) plus :data:`JOB_GRACE` per notebook
    for starting kernels, restoring cells and writing results."""
    return len(job.notebooks) * (NOTEBOOK_TIMEOUT_FACTOR * job.timeout + JOB_GRACE)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes: the pool breaks, its jobs are accounted for."""
    # ProcessPoolExecutor keeps its processes in ``_processes`` (pid -> Process) and has
    # no public way to stop one that is busy.
    for process in list(getattr(pool, "_processes", {}).values()):
        with contextlib.suppress(Exception):
            process.kill()


def _warm_up_the_judge(source_root: Path, assignments: set[str]) -> None:
    """Import what the judges' setup cells import, once, before the workers are forked.

    Each judge runs its notebook's setup cell (numpy, matplotlib, helpers):
    imported here, the forked workers find it done instead of paying for it
    per submission.
    """
    import io

    for assignment in sorted(assignments):
        for path in sorted((source_root / assignment).glob("*.ipynb")):
            source = setup_cell_source(path)
            lines = [line for line in source.splitlines()
                     if line.startswith(("import ", "from ")) and "(" not in line]
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                exec("\n".join(lines), {})  # noqa: S102 (the course's own imports)


def _finish(key, row, tests, digest, sources, journal, rows, bar, *,
            grader_fault: bool = False) -> None:
    journal.record(_entry(row, tests, digest, sources[key[1]], grader_fault))
    rows[key] = (row, tests)
    bar.update(row.status)
