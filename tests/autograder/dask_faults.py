"""Preloaded into a test's Dask workers (``dask worker --preload <this file>``).

A worker process kills itself with SIGKILL, as the kernel's OOM killer or a
crash would, when it starts a grading task of one of two students:

- ``killed-once``: only the first time, of all workers (a marker file in
  ``$DASK_FAULTS_DIR`` says it happened); the retry is graded;
- ``kills-every-worker``: every time, on every worker.

The worker's nanny starts it again, as in a real deployment. Every grading
task a worker starts is also listed in ``$DASK_FAULTS_DIR/started.txt``, one
key per line, so a test can tell the work was done on the cluster.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

KILLED_ONCE = "killed-once"
KILLS_EVERY_WORKER = "kills-every-worker"


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class Faults(WorkerPlugin):
    def transition(self, key, start, finish, **kwargs) -> None:
        if finish != "executing":
            return
        name = str(key)
        if name.startswith("grade-"):
            with open(Path(os.environ["DASK_FAULTS_DIR"]) / "started.txt", "a") as log:
                log.write(name + "\n")
        if name.startswith(f"grade-{KILLS_EVERY_WORKER}-"):
            _die()
        if name.startswith(f"grade-{KILLED_ONCE}-"):
            marker = Path(os.environ["DASK_FAULTS_DIR"]) / KILLED_ONCE
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
            _die()


async def dask_setup(worker) -> None:
    await worker.plugin_add(plugin=Faults(), name="faults")
