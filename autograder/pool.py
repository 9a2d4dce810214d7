"""Run grading jobs side by side, each in a process of its own that nothing outlives.

:class:`JobPool` keeps at most ``size`` jobs running. Every job gets a fresh
process forked from the grader (its modules already imported), so a job that
kills its process, leaks memory or leaves a module changed costs that job
alone and never reaches the next one. The pool reports how each job ended:

- :class:`Done` with what the job returned;
- :class:`Died` when its process ended without an answer (``os._exit``, a
  signal, the kernel's OOM killer), with the exit code;
- :class:`Overdue` when it was still running at its deadline and was killed;
- :class:`Failed` when the job raised: a bug of the grader's, named by its type.

Unlike :class:`concurrent.futures.ProcessPoolExecutor`, one job's process can
be stopped without breaking the others, which the deadline needs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import wait

from .kernel_launcher import die_with_parent

__all__ = ["JobPool", "Done", "Died", "Overdue", "Failed"]


@dataclass(frozen=True)
class Done:
    value: object


@dataclass(frozen=True)
class Died:
    exitcode: int | None


@dataclass(frozen=True)
class Overdue:
    seconds: float


@dataclass(frozen=True)
class Failed:
    error: str  # the exception's type and first line


def _child(run: Callable, job, conn) -> None:
    # Ctrl-C reaches the whole process group: the parent decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()  # a grader (or Dask worker) killed outright takes its jobs along
    try:
        answer = Done(run(job))
    except BaseException as error:  # noqa: BLE001 (reported to the parent, which decides)
        first = str(error).splitlines()[0] if str(error) else ""
        answer = Failed(f"{type(error).__name__}: {first}"[:300] if first
                        else type(error).__name__)
    try:
        conn.send(answer)
    finally:
        conn.close()


@dataclass
class _Running:
    process: multiprocessing.Process
    conn: object
    deadline: float
    limit: float


class JobPool:
    """At most ``size`` jobs at once, each ``run(job)`` in a process of its own.

    ``start_method`` is multiprocessing's: ``fork`` (the default where there is
    one) starts a job at once with the grader's modules imported; a
    multi-threaded process, such as a Dask worker, asks for ``forkserver``,
    which forks from a single-threaded server instead. Except with ``fork``,
    ``run`` and the job must pickle.
    """

    def __init__(self, size: int, run: Callable, start_method: str | None = None):
        if size <= 0:
            raise ValueError(f"a pool needs at least one process, got {size}")
        self.size = size
        self.run = run
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = "fork" if "fork" in methods else "spawn"
        self.context = multiprocessing.get_context(start_method)
        self.running: dict[Hashable, _Running] = {}

    def __enter__(self) -> JobPool:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    @property
    def has_room(self) -> bool:
        return len(self.running) < self.size

    def start(self, key: Hashable, job, limit: float) -> None:
        """Start ``run(job)``; it is killed if still running ``limit`` seconds from now."""
        if key in self.running:
            raise ValueError(f"the job {key!r} is running already")
        if not self.has_room:
            raise RuntimeError("the pool is full; wait for a job to end first")
        receive, send = self.context.Pipe(duplex=False)
        process = self.context.Process(target=_child, args=(self.run, job, send), daemon=True)
        process.start()
        send.close()  # the child's end: EOF once the child is gone
        self.running[key] = _Running(process, receive, time.monotonic() + limit, limit)

    def wait(self, timeout: float | None = None) -> list[tuple[Hashable, object]]:
        """The jobs that ended (or passed their deadline) within ``timeout`` seconds."""
        if not self.running:
            return []
        soonest = min(r.deadline for r in self.running.values()) - time.monotonic()
        limit = max(soonest, 0.0) if timeout is None else max(min(timeout, soonest), 0.0)
        by_conn = {id(r.conn): key for key, r in self.running.items()}
        ready = wait([r.conn for r in self.running.values()], timeout=limit)
        ended = []
        for conn in ready:
            key = by_conn[id(conn)]
            entry = self.running.pop(key)
            try:
                answer = entry.conn.recv()
            except (EOFError, OSError):
                answer = None
            entry.conn.close()
            entry.process.join(timeout=5)
            if entry.process.is_alive():   # answered but will not exit: no matter
                entry.process.kill()
                entry.process.join()
            ended.append((key, answer if answer is not None else Died(entry.process.exitcode)))
        now = time.monotonic()
        for key in [k for k, r in self.running.items() if r.deadline <= now]:
            entry = self.running.pop(key)
            self._kill(entry)
            ended.append((key, Overdue(entry.limit)))
        return ended

    def stop_all(self) -> None:
        """Kill every running job (an interrupted run): nothing is left behind."""
        for entry in self.running.values():
            self._kill(entry)
        self.running.clear()

    @staticmethod
    def _kill(entry: _Running) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(entry.process.pid, signal.SIGKILL)
        entry.process.join()
        entry.conn.close()
