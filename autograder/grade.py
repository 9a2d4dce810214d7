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
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .archive import extract_class, is_archive
from .cluster import Lost
from .course import (
    check_gradebook_url,
    ensure_alembic_on_path,
    gradebook_lock,
    list_assignments,
    shown_url,
    solutions_dir,
    sqlite_path,
    write_nbgrader_config,
)
from .csvfiles import GRADES_HEADER, TESTS_HEADER, GradeRow, TestRow, write_rows
from .errors import AutograderError, GradebookError, SubmissionsError, first_line
from .journal import Journal, source_digest, submission_digest
from .pool import Died, Done, JobPool, Overdue
from .preprocessors.restorecells import SourceCells
from .release import record_assignment
from .sandbox import choose_sandbox, default_deny
from .scoring import score_submission
from .settings import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, NOTEBOOK_TIMEOUT_FACTOR
from .submissions import Submission, stage_submission, survey_class
from .worker import (
    Job,
    NotebookOutcome,
    NotebookSource,
    read_tree,
    run_job,
    setup_cell_source,
    warm_up_the_judge,
)
from .zygotes import Zygotes, zygotes_wanted

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


def _executed(out: Path, entry: dict) -> bool:
    """Whether every executed notebook an uncommitted journal entry names is still there."""
    folder = out / "autograded" / entry["student_id"] / entry["assignment"]
    return all((folder / f"{o['name']}.ipynb").is_file() for o in entry.get("outcomes", [])
               if not o.get("grader_fault"))


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
            tqdm.monitor_interval = 0  # no monitor thread: jobs are forked from this process
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
                sandbox: str = "auto", cluster: str | None = None) -> GradingResult:
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
        ``autograded/``, ``grades.csv``, ``tests.csv`` and ``nbgrader_config.py``.
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
        :func:`autograder.sandbox.choose_sandbox`. With ``cluster``, every
        worker decides, and ``auto`` is bubblewrap only if all of them have it.
    cluster : str, optional
        A Dask scheduler's address (``tcp://host:8786``) or scheduler file: the
        submissions run on its workers (:mod:`autograder.cluster`), ``workers``
        is not used. The parent still stages, scores and writes everything.

    Raises
    ------
    SubmissionsError
        When the folder or zip is missing, unsafe, or holds no submission.
    CourseError, NbgraderError
        When the course cannot be read or recorded.
    ClusterError
        When the cluster cannot be reached, its workers hold another course, or
        its scheduler goes away during the run (what was graded is kept).
    AutograderError
        When the run is interrupted (what was graded is kept; rerun to resume).
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout}")
    with contextlib.ExitStack() as stack:
        cluster_pool = None
        if cluster:
            from .cluster import ClusterPool
            cluster_pool = stack.enter_context(ClusterPool(cluster))
            mode, sandbox_note = cluster_pool.choose_sandbox(sandbox)
        else:
            mode, sandbox_note = choose_sandbox(sandbox)
        run = _plan(submissions_dir, course_root, Path(out_dir).resolve(), db_url,
                    _Limits(timeout, memory_mb, mode, workers or os.cpu_count() or 1))
        if cluster_pool is not None:
            from .cluster import course_stamp
            cluster_pool.check_course(course_stamp(course_root,
                                                   {s.assignment for s, _ in run.todo}))
        bar = _Progress(len(run.todo) + len(run.uncommitted), progress)
        try:
            with _remember_interrupts() as interrupted, _pool(run, cluster_pool) as pool:
                _execute(run, bar, interrupted, pool)
        except KeyboardInterrupt:
            _write(run)
            raise AutograderError(
                f"grading was interrupted; {_recorded(run)}, run the same command again to "
                "grade the rest") from None
        except AutograderError as error:   # the cluster went away
            _write(run)
            raise type(error)(f"{error}; {_recorded(run)}, run the same command again to "
                              "grade the rest") from None
        finally:
            bar.close()
    grades, tests, grades_csv, tests_csv = _write(run)
    return GradingResult(grades, tests, grades_csv, tests_csv, run.db_url,
                         graded=len(run.rows) - run.reused, reused=run.reused,
                         sandbox_note=sandbox_note, unplaced=run.unplaced)


def _recorded(run: _Run) -> str:
    return f"{len(run.rows)} of {len(run.submissions)} submissions are recorded"


@contextmanager
def _pool(run: _Run, cluster_pool):
    """Where the jobs run: the cluster's workers, or processes forked here."""
    if cluster_pool is not None:   # closed by grade_class, which opened it
        yield cluster_pool
        return
    warm_up_the_judge(run.source_root, {s.assignment for s, _ in run.todo})
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(JobPool(run.limits.workers, run_job))
        count = min(run.limits.workers, len(run.todo))
        if count and zygotes_wanted():
            zygotes = stack.enter_context(Zygotes(count, run.limits.sandbox, run.deny,
                                                  run.limits.memory_mb))
            pool = _WithZygotes(pool, zygotes)
        yield pool


class _WithZygotes:
    """A :class:`JobPool` whose jobs take their kernels from this machine's zygotes."""

    def __init__(self, pool: JobPool, zygotes: Zygotes):
        self.pool = pool
        self.zygotes = zygotes

    def __getattr__(self, name):
        return getattr(self.pool, name)

    def start(self, key, job: Job, limit: float) -> None:
        self.pool.start(key, self.zygotes.assign(job), limit)


@dataclass(frozen=True)
class _Limits:
    """What a result depends on besides the submission and the source, and how many at once."""

    timeout: int
    memory_mb: int | None
    sandbox: str
    workers: int

    @property
    def key(self) -> str:
        return f"timeout={self.timeout};memory_mb={self.memory_mb};sandbox={self.sandbox}"


@dataclass
class _Run:
    """One grading run's state: planned by :func:`_plan`, advanced by :func:`_execute`,
    written by :func:`_write`."""

    out: Path
    course_root: Path
    source_root: Path
    db_url: str
    limits: _Limits
    submissions: list[Submission]
    unplaced: list[tuple[str, str]]
    sources: dict[str, str]          # assignment -> digest of its source and the limits
    journal: Journal
    deny: tuple
    todo: list[tuple[Submission, str]] = field(default_factory=list)  # (submission, digest)
    # executed by an earlier run that could not write them to the gradebook: journal entries
    uncommitted: list[dict] = field(default_factory=list)
    rows: dict[tuple[str, str], tuple[GradeRow, list[TestRow]]] = field(default_factory=dict)
    reused: int = 0  # results taken from the journal, unchanged since

    def finish(self, key, row, tests, digest, *, grader_fault: bool = False, bar=None) -> None:
        """Record one submission's result: journal first, then its rows."""
        self.journal.record(_entry(row, tests, digest, self.sources[key[1]], grader_fault))
        self.rows[key] = (row, tests)
        if bar is not None:
            bar.update(row.status)

    def commit(self, key, digest, problems: list[str], outcomes: list[NotebookOutcome],
               bar=None) -> None:
        """Score one executed submission into the gradebook, then :meth:`finish` it.

        When the gradebook cannot take it (the server went down), the result is
        kept in the journal as uncommitted, the executed notebooks stay in
        ``autograded/``, and :class:`GradebookError` stops the run: the next run
        commits it without executing it again.
        """
        from sqlalchemy.exc import SQLAlchemyError

        try:
            row, tests = score_submission(self.db_url, self.out, *key, problems, outcomes)
        except SQLAlchemyError as error:
            self.journal.record({
                "student_id": key[0], "assignment": key[1], "digest": digest,
                "source": self.sources[key[1]], "uncommitted": True, "problems": problems,
                "outcomes": [{"name": o.name, "problems": o.problems, "tampering": o.tampering,
                              "grader_fault": o.grader_fault} for o in outcomes],
                "finished_at": time.time()})
            raise GradebookError(f"cannot write to the gradebook at {shown_url(self.db_url)} "
                                 f"({first_line(getattr(error, 'orig', None) or error)})"
                                 ) from None
        self.finish(key, row, tests, digest, bar=bar,
                    grader_fault=any(o.grader_fault for o in outcomes))


def _plan(given, course_root, out: Path, db_url: str | None, limits: _Limits) -> _Run:
    """Find the submissions, record the assignments, and take what the journal holds."""
    source_root = solutions_dir(course_root)
    known = list_assignments(course_root)
    given = Path(given)
    if not given.exists():
        raise SubmissionsError(f"the submissions folder {given} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    refused: list[tuple[str, str]] = []
    if given.is_file() and is_archive(given):
        # The grader's own copy of the zip's tree, made afresh on every run.
        unpacked = out / "class"
        if unpacked.exists():
            shutil.rmtree(unpacked)
        folder = extract_class(given, unpacked, refused=refused)
    elif given.is_file():
        raise SubmissionsError(f"{given} is neither a folder of submissions nor a zip file")
    else:
        folder = given.resolve()
    names = {path.stem: a for a in known for path in (source_root / a).glob("*.ipynb")}
    survey = survey_class(folder, names)
    survey.unplaced[:0] = [(f"{given.name}: {entry}", f"an entry of the zip that was left out: "
                            f"it {why}") for entry, why in refused]
    if not survey.submissions:
        listed = "; ".join(f"{path}: {why}" for path, why in survey.unplaced[:5])
        raise SubmissionsError(
            f"{given} holds no submissions; expected <student_id>/<assignment>/<notebook>.ipynb"
            + (f" ({len(survey.unplaced)} notebooks could not be placed: {listed})"
               if survey.unplaced else ""))
    db_url = db_url or f"sqlite:///{out / 'gradebook.db'}"
    check_gradebook_url(db_url)
    ensure_alembic_on_path()

    wanted = sorted({s.assignment for s in survey.submissions if s.assignment in known})
    sources = {a: source_digest(sorted((source_root / a).glob("*.ipynb"))) + ";" + limits.key
               for a in wanted}
    with tempfile.TemporaryDirectory(prefix="autograder-grade-") as tmp, gradebook_lock(db_url):
        for assignment in wanted:
            record_assignment(course_root, assignment, out, Path(tmp) / "release", db_url)
    # The kernel may read the course's helpers and release, nothing else of the course,
    # the class or the grader's files.
    deny = default_deny(course_root, *(p for p in (out, folder, given.resolve(),
                                                   sqlite_path(db_url)) if p is not None))
    run = _Run(out, Path(course_root), source_root, db_url, limits, survey.submissions,
               survey.unplaced, sources, Journal(out / "journal.jsonl"), deny)
    for submission in survey.submissions:
        key = (submission.student_id, submission.assignment)
        if submission.assignment not in known:
            run.rows[key] = (GradeRow(*key, 0, 0, "error",
                                      f"there is no assignment called {submission.assignment!r} "
                                      "in this course"), [])
            continue
        digest = submission_digest(submission.path)
        entry = run.journal.lookup(*key, digest, sources[submission.assignment])
        if entry is not None and entry.get("uncommitted") and _executed(out, entry):
            run.uncommitted.append(entry)
        elif (entry is not None and not _grader_failed(entry) and not entry.get("uncommitted")
                and _in_gradebook(db_url, submission.assignment, submission.student_id)):
            run.rows[key] = _rows_from_entry(entry)
            run.reused += 1
        else:
            run.todo.append((submission, digest))
    return run


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


def _write(run: _Run):
    """``grades.csv`` and ``tests.csv`` from the run's rows, and nbgrader's settings for OUT."""
    ordered = [run.rows[key] for key in sorted(run.rows)]
    grades = [row for row, _ in ordered]
    tests = [t for _, ts in ordered for t in ts]
    grades_csv = write_rows(run.out / "grades.csv", GradeRow, grades)
    tests_csv = write_rows(run.out / "tests.csv", TestRow, tests)
    write_nbgrader_config(run.out, run.course_root, run.db_url)
    return grades, tests, grades_csv, tests_csv


def _execute(run: _Run, bar: _Progress, interrupted: _Interrupted, pool) -> None:
    """Stage each submission, run the gradable ones side by side, score each as it ends."""
    for entry in run.uncommitted:
        run.commit((entry["student_id"], entry["assignment"]), entry["digest"],
                   entry.get("problems", []),
                   [NotebookOutcome(o["name"], problems=o["problems"], tampering=o["tampering"],
                                    grader_fault=o["grader_fault"]) for o in entry["outcomes"]],
                   bar)
    pending: dict[tuple[str, str], tuple[str, list[str], Job]] = {}
    sources: dict[tuple[str, str], NotebookSource] = {}
    for submission, digest in run.todo:
        key = (submission.student_id, submission.assignment)
        folder = run.source_root / submission.assignment
        expected = [p.stem for p in sorted(folder.glob("*.ipynb"))]
        staged = stage_submission(submission, run.out / "submitted", expected)
        if not staged.notebooks:
            run.commit(key, digest, staged.problems, [], bar)
            continue
        for name in staged.notebooks:
            if (submission.assignment, name) not in sources:
                sources[submission.assignment, name] = NotebookSource(
                    name, SourceCells.from_gradebook(run.db_url, submission.assignment, name),
                    setup_cell_source(folder / f"{name}.ipynb"))
        submitted = run.out / "submitted" / submission.student_id / submission.assignment
        job = Job(student_id=submission.student_id, assignment=submission.assignment,
                  files=read_tree(submitted),
                  sources=tuple(sources[submission.assignment, n] for n in staged.notebooks),
                  timeout=run.limits.timeout, memory_mb=run.limits.memory_mb,
                  deny=run.deny, sandbox=run.limits.sandbox)
        pending[key] = (digest, staged.problems, job)

    queue = list(pending)  # jobs not started yet, in order
    while queue or pool.running:
        interrupted.check()
        while queue and pool.has_room:
            key = queue.pop(0)
            pool.start(key, pending[key][2], job_limit(pending[key][2]))
        for key, ended in pool.wait(timeout=1.0):
            digest, problems, job = pending.pop(key)
            outcomes = _outcomes(job, ended)
            _store_autograded(run.out / "autograded" / key[0] / key[1], outcomes)
            run.commit(key, digest, problems, outcomes, bar)


def _store_autograded(folder: Path, outcomes: list[NotebookOutcome]) -> None:
    """Put a submission's executed notebooks in ``autograded/``, replacing an earlier run's."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for outcome in outcomes:
        if outcome.notebook:   # ending in a newline, as nbformat.write leaves a file
            text = outcome.notebook if outcome.notebook.endswith("\n") else outcome.notebook + "\n"
            (folder / f"{outcome.name}.ipynb").write_text(text, encoding="utf-8")


def _outcomes(job: Job, ended) -> list[NotebookOutcome]:
    """What became of each notebook of ``job``, from how its process ended."""
    if isinstance(ended, Done):
        return ended.value
    if isinstance(ended, Overdue):
        # Past the limit of a whole submission, whatever step it was in (staging,
        # restoring, the kernel, scoring): its process was stopped.
        why, fault = (f"grading took longer than {job_limit(job)} s, the grader's limit for "
                      "one submission"), False
    elif isinstance(ended, Died):
        # Its own process, and only it, died: never a classmate's doing.
        why, fault = "the grader's worker stopped while grading this notebook", True
    elif isinstance(ended, Lost):
        # On a cluster: every Dask worker that took it died, each time given to another.
        why, fault = ("every Dask worker that took this submission stopped while grading it "
                      f"({ended.detail})"), True
    else:
        why, fault = f"the grader could not run this notebook ({ended.error})", True
    return [NotebookOutcome(name, problems=[why], grader_fault=fault) for name in job.notebooks]


def job_limit(job: Job) -> int:
    """Seconds a whole submission may take, every step included: each notebook's own
    limit (``NOTEBOOK_TIMEOUT_FACTOR`` times a cell's) plus :data:`JOB_GRACE` per notebook
    for starting kernels, restoring cells and writing results."""
    return len(job.notebooks) * (NOTEBOOK_TIMEOUT_FACTOR * job.timeout + JOB_GRACE)
