"""A real Dask cluster for the tests: ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

:func:`start_cluster` starts a scheduler on a free port (``--port 0``, its
address read from its scheduler file) and workers that join it, each in a
session of its own; :meth:`Cluster.stop` kills every process of every
session, whatever state the test left them in, and any process that escaped
them with the cluster's environment. No mocks: the grader reaches
the workers through ``dask.distributed`` as an instructor's grader would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import reap, reap_by_environment

__all__ = ["Cluster", "start_cluster", "missing"]


def missing() -> str | None:
    """Why a cluster cannot be started here, or None."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return "Dask (pip install -r requirements-cluster.txt)"
    if shutil.which("dask") is None:
        return "the dask command"
    return None


@dataclass
class Cluster:
    folder: Path
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def scheduler_file(self) -> Path:
        return self.folder / "scheduler.json"

    @property
    def address(self) -> str:
        return json.loads(self.scheduler_file.read_text())["address"]

    def kill_scheduler(self) -> None:
        reap(self.scheduler)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            reap(process)
        # A worker killed while it started a kernel zygote can leave bubblewrap's child,
        # in a session of its own, waiting forever for its killed parent: it still has
        # the environment every process of this cluster has.
        reap_by_environment("DASK_TEMPORARY_DIRECTORY", str(self.folder))

    def log(self) -> str:
        """The scheduler's and the workers' output, for a failing test's message."""
        return "\n".join(p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.folder.glob("*.log")))


def _start(command: list[str], log: Path, env: dict) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=env)


def start_cluster(folder: Path, workers: int = 2, *, course: Path | None = None,
                  env: dict | None = None, preload: str | None = None,
                  timeout: float = 60, threads: int = 1,
                  scheduler_preload: str | None = None) -> Cluster:
    """A scheduler and ``workers`` workers of ``threads`` threads (each under a nanny), running.

    ``course`` becomes the workers' ``AUTOGRADER_COURSE``; ``env`` is added to
    every process's environment; ``preload`` is a module every worker imports,
    ``scheduler_preload`` one the scheduler imports.
    """
    folder.mkdir(parents=True, exist_ok=True)
    base = {**os.environ, **(env or {})}
    # The workers' temporary folders and Dask's own files stay inside ``folder``.
    base["DASK_TEMPORARY_DIRECTORY"] = str(folder)
    base.pop("PYTEST_CURRENT_TEST", None)
    command = ["dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
               "--scheduler-file", str(folder / "scheduler.json")]
    if scheduler_preload:
        command += ["--preload", scheduler_preload]
    cluster = Cluster(folder, _start(command, folder / "scheduler.log", base))
    try:
        deadline = time.monotonic() + timeout
        while not cluster.scheduler_file.exists():
            if cluster.scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Dask scheduler did not start:\n{cluster.log()}")
            time.sleep(0.1)
        worker_env = dict(base, **({"AUTOGRADER_COURSE": str(course)} if course else {}))
        for number in range(workers):
            command = ["dask", "worker", "--scheduler-file", str(cluster.scheduler_file),
                       "--nthreads", str(threads), "--no-dashboard", "--name", f"worker-{number}"]
            if preload:
                command += ["--preload", preload]
            cluster.workers.append(_start(command, folder / f"worker-{number}.log", worker_env))
        wait_for_workers(cluster, workers, deadline - time.monotonic())
    except BaseException:
        cluster.stop()
        raise
    return cluster


def wait_for_workers(cluster: Cluster, count: int, timeout: float) -> None:
    """Wait until ``count`` workers are connected to the scheduler."""
    from distributed import Client

    with Client(cluster.address, timeout=timeout, set_as_default=False) as client:
        try:
            client.wait_for_workers(count, timeout=max(timeout, 1))
        except TimeoutError:
            raise RuntimeError(f"{count} Dask workers did not join:\n{cluster.log()}") from None
