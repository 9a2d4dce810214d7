"""Grade on a Dask cluster: the same jobs as on this machine, run by ``dask worker`` processes.

``grade --cluster ADDRESS`` swaps the local :class:`autograder.pool.JobPool`
for a :class:`ClusterPool` with the same four calls (``has_room``, ``start``,
``wait``, ``stop_all``), so the grading loop, the journal, the progress bar and
Ctrl-C behave as they do locally. Dask (``dask.distributed``) does the
scheduling; nothing here queues work in files.

What travels: a :class:`autograder.worker.Job` is plain data (the
submission's files, the graded cells of the source, the setup cells, the
limits). Each task runs :func:`grade_on_worker` on a worker, which

1. compares the worker's course (its ``helpers`` and ``autograder`` packages,
   its ``solutions/<assignment>`` and numpy's version) with the instructor's
   :class:`CourseStamp` and refuses on any difference: a worker checked out at
   another commit must not grade against other tests;
2. runs the job in a process of its own, forked from a single-threaded fork
   server (a Dask worker runs threads), under the job's whole-submission limit,
   exactly as a local job runs;
3. returns how the job ended (:class:`~autograder.pool.Done` with the executed
   notebooks, ``Died``, ``Overdue`` or ``Failed``).

The parent writes ``autograded/`` and scores into the gradebook, its only writer.

Faults: a worker process that dies while holding a task is Dask's to handle: the
scheduler gives the task to another worker, up to its
``distributed.scheduler.allowed-failures`` (3 by default). Dask counts a death
against every task the worker held, the ones waiting behind the one that
killed it too, so a task Dask gives up on (``KilledWorker``) may be a
classmate's victim: it is graded once more, alone, with no other task of the
run in flight, and only if a worker dies under it then too does it end as one
``error`` row. A scheduler that goes away stops the run with
:class:`ClusterError`; what was graded is in the journal, and the same command
resumes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from .errors import AutograderError, first_line
from .journal import source_digest
from .pool import Failed, JobPool, Overdue
from .settings import SOURCE_DIR, default_course_root

__all__ = ["ClusterError", "ClusterPool", "CourseMismatch", "CourseStamp", "Lost",
           "course_stamp", "grade_on_worker"]

#: Seconds to wait for the scheduler to answer, and for a first worker to join it.
CONNECT_TIMEOUT = 20


class ClusterError(AutograderError):
    """The cluster cannot be reached, has no usable worker, or went away."""


class CourseMismatch(Exception):
    """A worker's course is not the instructor's; its text names what differs."""


@dataclass(frozen=True)
class Lost:
    """The job's worker died every time it held it (Dask's ``KilledWorker``)."""

    detail: str


@dataclass(frozen=True)
class CourseStamp:
    """What a result depends on besides the submission: checked on every worker."""

    helpers: str  # digest of the helpers package
    grader: str  # digest of the autograder package
    numpy: str  # numpy's version
    sources: tuple[tuple[str, str], ...]  # (assignment, digest of solutions/<assignment>)


def _package_digest(name: str) -> str:
    module = importlib.import_module(name)
    return source_digest(Path(next(iter(module.__path__))).resolve())


def course_stamp(course_root: str | os.PathLike, assignments) -> CourseStamp:
    """The stamp of the course at ``course_root``, for ``assignments``."""
    import numpy

    root = Path(course_root) / SOURCE_DIR
    return CourseStamp(_package_digest("helpers"), _package_digest("autograder"),
                       numpy.__version__,
                       tuple((a, source_digest(root / a)) for a in sorted(assignments)))


@functools.cache
def _here(assignments: tuple[str, ...]) -> CourseStamp | str:
    """This worker's own stamp, or why it has none."""
    try:
        return course_stamp(default_course_root(), assignments)
    except Exception as error:  # noqa: BLE001 (reported as the worker's refusal)
        return f"its course cannot be read ({error})"


def _differences(expected: CourseStamp, found: CourseStamp | str) -> list[str]:
    if isinstance(found, str):
        return [found]
    named = {"helpers": "helpers/", "grader": "autograder/", "numpy": "numpy's version"}
    differ = [named[f] for f in named if getattr(expected, f) != getattr(found, f)]
    theirs = dict(found.sources)
    differ += [f"solutions/{a}" for a, digest in expected.sources if theirs.get(a) != digest]
    return differ


def check_course(stamp: CourseStamp) -> str:
    """On a worker: "" when its course is the instructor's, else what differs, in words."""
    differ = _differences(stamp, _here(tuple(a for a, _ in stamp.sources)))
    if not differ:
        return ""
    return (f"its course at {default_course_root()} differs from the instructor's in "
            + ", ".join(differ))


@functools.lru_cache(maxsize=1)
def _fork_server_ready() -> str:
    """Start this worker's fork server, which imports what jobs need once; its method."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "forkserver":
        from multiprocessing import forkserver

        multiprocessing.get_context(method).set_forkserver_preload(
            ["autograder.pool", "autograder.forkserver_preload"])
        forkserver.ensure_running()
    return method


def prepare_worker() -> str:
    """Run on every worker once its course is checked: the fork server starts importing
    while the instructor's machine stages the class."""
    return _fork_server_ready()


def _worker_deny() -> tuple[Path, ...]:
    """What a kernel on this worker may not touch: the worker's course (but its helpers
    and release) and the Dask worker's own folder."""
    from .sandbox import default_deny

    others = []
    with contextlib.suppress(ValueError, ImportError):
        from distributed import get_worker

        others.append(get_worker().local_directory)
    return default_deny(default_course_root(), *others)


def grade_on_worker(job, stamp: CourseStamp, limit: float):
    """A Dask task: run ``job`` on this worker as a local job runs, and say how it ended.

    It raises only :class:`CourseMismatch`; anything else that goes wrong in it is
    returned as :class:`~autograder.pool.Failed`. So an exception of any other
    type on the task's future was raised by Dask around it (the task could not be
    loaded, or its result not sent), never by the grading.
    """
    differ = check_course(stamp)
    if differ:
        raise CourseMismatch(differ)
    try:
        return _grade_here(job, limit)
    except Exception as error:  # noqa: BLE001 (the grader's fault, on this submission's row)
        return Failed(f"{type(error).__name__}: {first_line(error)}")


def _grade_here(job, limit: float):
    from .worker import run_job

    job = dataclasses.replace(job, deny=tuple(dict.fromkeys(job.deny + _worker_deny())))
    zygotes = _worker_zygotes(job)
    if zygotes is not None:
        job = zygotes.assign(job)
    # A worker under a nanny is a daemonic process, which multiprocessing forbids to have
    # children; Dask's own ``distributed.worker.daemon: False`` lifts the same flag. Each
    # job process dies with its worker all the same (``die_with_parent``).
    multiprocessing.current_process().daemon = False
    with JobPool(1, run_job, start_method=_fork_server_ready()) as pool:
        pool.start(job.student_id, job, limit)
        while True:
            ended = pool.wait()
            if ended:
                return ended[0][1]


_zygotes_lock = threading.Lock()
_zygotes: dict = {}   # on a worker: (sandbox, deny, memory) -> its Zygotes


def _worker_zygotes(job):
    """This worker's kernel zygotes for ``job``'s limits (one per thread), started on first use.

    They outlive the task, as the fork server does, and die with the worker; one
    that has ended is started again by :meth:`Zygotes.assign`, before the job.
    """
    from .zygotes import Zygotes, zygotes_wanted

    if not zygotes_wanted():
        return None
    key = (job.sandbox, job.deny, job.memory_mb)
    with _zygotes_lock:
        zygotes = _zygotes.get(key)
        if zygotes is None:
            for old in _zygotes.values():   # another run's limits: one set at a time
                old.close()
            _zygotes.clear()
            threads = 1
            with contextlib.suppress(ValueError, ImportError):
                from distributed import get_worker

                threads = max(1, int(get_worker().state.nthreads))
            zygotes = _zygotes[key] = Zygotes(threads, job.sandbox, job.deny,
                                              job.memory_mb).__enter__()
    return zygotes


def _sandbox_on_worker(requested: str):
    from .sandbox import choose_sandbox

    try:
        return choose_sandbox(requested)
    except AutograderError as error:
        return ("refused", str(error))


@dataclass
class _Task:
    future: object
    deadline: float
    limit: float
    job: object = None
    alone: bool = False   # the second chance of a task Dask gave up on: nothing else in flight


class ClusterPool:
    """Jobs on a Dask cluster, with :class:`~autograder.pool.JobPool`'s calls.

    ``address`` is a scheduler's address (``tcp://host:8786``) or the path of a
    scheduler file (``dask scheduler --scheduler-file``). At most as many jobs
    are in flight as the cluster has threads, so a job's deadline counts from
    about when it starts.
    """

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("grading on a cluster needs Dask: pip install -r "
                               "requirements-cluster.txt") from None
        self.address = address
        # Dask logs a lost scheduler with tracebacks on stderr; the grader says it in a
        # sentence instead (ClusterError), so Dask's client is quiet while the pool is open.
        self._quiet = _Quiet("distributed")
        self.running: dict[Hashable, _Task] = {}
        # Tasks Dask gave up on (KilledWorker), waiting to be graded alone: (key, job, limit)
        self.suspects: list[tuple[Hashable, object, float]] = []
        self.stamp: CourseStamp | None = None
        self._capacity = (0.0, 1)  # (when read, threads)
        as_file = address.endswith(".json") or Path(address).is_file()
        if as_file and not Path(address).is_file():
            raise ClusterError(f"the scheduler file {address} does not exist")
        try:
            if as_file:
                self.client = Client(scheduler_file=address, timeout=CONNECT_TIMEOUT,
                                     set_as_default=False)
            else:
                self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} "
                               f"({first_line(error)})") from None
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError):
            self.close()
            raise ClusterError(f"the Dask cluster at {address} has no worker "
                               f"(none joined in {CONNECT_TIMEOUT} s)") from None

    def __enter__(self) -> ClusterPool:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        self._quiet.restore()

    # -- before the run -------------------------------------------------------------
    def choose_sandbox(self, requested: str) -> tuple[str, str]:
        """The sandbox every worker can provide: like :func:`choose_sandbox`, per worker."""
        answers = self._ask_workers(_sandbox_on_worker, requested)
        refused = {w: a[1] for w, a in answers.items() if a[0] == "refused"}
        if refused:
            worker, why = sorted(refused.items())[0]
            raise ClusterError(f"the worker {worker} cannot confine kernels: {why}")
        modes = {a[0] for a in answers.values()}
        mode = "bwrap" if modes == {"bwrap"} else "none"
        note = (next(a[1] for a in answers.values() if a[0] == mode)
                + f" (on {len(answers)} Dask workers)")
        return mode, note

    def check_course(self, stamp: CourseStamp) -> None:
        """Refuse a cluster whose workers hold another course; keep ``stamp`` for the tasks."""
        answers = self._ask_workers(check_course, stamp)
        wrong = {w: why for w, why in answers.items() if why}
        if wrong:
            worker, why = sorted(wrong.items())[0]
            more = f" (and {len(wrong) - 1} more workers)" if len(wrong) > 1 else ""
            raise ClusterError(f"the worker {worker} will not grade: {why}{more}; give every "
                               "worker the instructor's course")
        self.stamp = stamp
        self._ask_workers(prepare_worker)

    def _ask_workers(self, function, *args) -> dict:
        try:
            return self.client.run(function, *args, on_error="return")
        except (OSError, TimeoutError) as error:
            raise self._gone(error) from None

    # -- the pool's calls -----------------------------------------------------------
    @property
    def has_room(self) -> bool:
        if self.suspects or any(t.alone for t in self.running.values()):
            return False   # a task Dask gave up on is graded alone first
        when, threads = self._capacity
        if time.monotonic() - when > 2:
            with contextlib.suppress(Exception):
                threads = max(1, sum(self.client.nthreads().values()))
            self._capacity = (time.monotonic(), threads)
        return len(self.running) < self._capacity[1]

    def start(self, key: Hashable, job, limit: float) -> None:
        if key in self.running or any(key == k for k, _, _ in self.suspects):
            raise ValueError(f"the job {key!r} is running already")
        self._submit(key, job, limit, alone=False)

    def _submit(self, key: Hashable, job, limit: float, alone: bool) -> None:
        if self.client.status != "running":
            raise self._gone()
        future = self.client.submit(grade_on_worker, job, self.stamp, limit, pure=False,
                                    key=f"grade-{job.student_id}-{job.assignment}-"
                                        f"{os.urandom(4).hex()}")
        # The worker stops the job at ``limit``; this is the backstop for a task that is
        # neither running nor answering (requeued after a lost worker, a stuck worker).
        self.running[key] = _Task(future, time.monotonic() + 2 * limit + 60, limit, job, alone)

    def _next_suspect(self) -> None:
        """Once nothing else is in flight, grade the next task Dask gave up on, alone."""
        if self.suspects and not self.running:
            self._submit(*self.suspects.pop(0), alone=True)

    def wait(self, timeout: float | None = None) -> list[tuple[Hashable, object]]:
        from distributed import wait
        from distributed.client import FuturesCancelledError
        from distributed.scheduler import KilledWorker

        self._next_suspect()
        if not self.running:
            return []
        if self.client.status != "running":
            raise self._gone()
        try:
            with self.client.as_current():
                wait([t.future for t in self.running.values()], timeout=timeout,
                     return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        except FuturesCancelledError:   # cancelled by the client: the scheduler went away
            raise self._gone() from None
        except OSError as error:
            raise self._gone(error) from None
        ended = []
        for key, task in list(self.running.items()):
            status = task.future.status
            if status == "pending":
                if time.monotonic() > task.deadline:
                    task.future.cancel()
                    del self.running[key]
                    ended.append((key, Overdue(task.limit)))
                continue
            if status == "cancelled":
                raise self._gone()
            del self.running[key]
            if status == "finished":
                ended.append((key, task.future.result()))
                continue
            error = task.future.exception()
            if isinstance(error, CourseMismatch):
                raise ClusterError(f"a worker joined the cluster that will not grade: {error}; "
                                   "give every worker the instructor's course")
            if isinstance(error, KilledWorker) and not task.alone:
                # Maybe only queued behind the task that killed its workers: graded again
                # with nothing else in flight, where a death can only be its own doing.
                self.suspects.append((key, task.job, task.limit))
            elif isinstance(error, KilledWorker):
                ended.append((key, Lost(f"{first_line(error)}; then it was graded alone, "
                                        "and its worker stopped again")))
            elif _unloadable(error):
                # Raised by Dask, not by the task (grade_on_worker returns its own errors):
                # the scheduler or a worker cannot import the grader's code, for every task.
                cause = error.__cause__ or error
                raise ClusterError(f"the Dask cluster at {self.address} cannot load the grader's "
                                   f"tasks ({type(cause).__name__}: {first_line(cause)}); "
                                   "install the course on the scheduler and on every worker")
            else:   # raised by Dask around this task alone: the grader's failure, on its row
                ended.append((key, Failed(f"{type(error).__name__}: {first_line(error)}")))
        if self.client.status != "running":
            raise self._gone()
        self._next_suspect()
        return ended

    def stop_all(self) -> None:
        futures = [t.future for t in self.running.values()]
        self.running.clear()
        self.suspects.clear()
        if futures and self.client.status == "running":
            with contextlib.suppress(Exception):
                self.client.cancel(futures)

    def _gone(self, error: BaseException | None = None) -> ClusterError:
        why = f" ({first_line(error)})" if error is not None and str(error) else ""
        return ClusterError(f"lost the Dask scheduler at {self.address}{why}")


def _unloadable(error: BaseException) -> bool:
    """An error (or its cause) of loading code: the module, or a name in it, is missing."""
    import pickle

    return any(isinstance(e, ImportError | AttributeError | pickle.UnpicklingError)
               for e in (error, error.__cause__) if e is not None)


class _Quiet:
    """Silence a logger and its children until :meth:`restore`."""

    def __init__(self, name: str):
        self.logger = logging.getLogger(name)
        self.level = self.logger.level
        self.logger.setLevel(logging.CRITICAL + 1)
        self.children = {n: logging.getLogger(n).level for n in logging.root.manager.loggerDict
                         if n.startswith(name + ".")}
        for child in self.children:
            logging.getLogger(child).setLevel(logging.CRITICAL + 1)

    def restore(self) -> None:
        self.logger.setLevel(self.level)
        for child, level in self.children.items():
            logging.getLogger(child).setLevel(level)
