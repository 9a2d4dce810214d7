"""Kernel zygotes for a grading run: one per worker, each forking a fresh kernel per notebook.

:class:`Zygotes` starts the zygotes (:mod:`autograder.kernel_zygote`), with
bubblewrap each in a sandbox of its own, and keeps them running: one that has
ended (it found its sandbox unclean after a kernel, or was killed) is started
again before the next job. A grading job takes a free zygote with
:func:`take_slot` (a lock held for the job's life, so a zygote serves one job,
one kernel, at a time) and :func:`execute_sandboxed
<autograder.worker.execute_sandboxed>` starts its kernels through it with a
kernelspec whose command is the relay (:mod:`autograder.kernel_relay`).

When no zygote answers, the job starts a kernel of its own as before: a
zygote makes kernels start faster, never a result different.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .sandbox import (
    _BOOT,
    _LAUNCHER,
    KERNEL_ENV,
    PASSED_ENV,
    SandboxPolicy,
    bwrap_command,
    course_helpers,
    default_readable,
)

__all__ = ["Zygotes", "ZygoteSlot", "take_slot", "remove_abandoned", "ZYGOTES_ENV",
           "zygotes_wanted"]

#: ``AUTOGRADER_ZYGOTES=off`` makes every kernel start from scratch (for comparison).
ZYGOTES_ENV = "AUTOGRADER_ZYGOTES"

_HERE = Path(__file__).resolve().parent
RELAY = _HERE / "kernel_relay.py"


def zygotes_wanted() -> bool:
    """False when ``AUTOGRADER_ZYGOTES`` says off (``0``, ``off``, ``no``, ``false``)."""
    return os.environ.get(ZYGOTES_ENV, "").strip().lower() not in {"0", "off", "no", "false"}


@dataclass(frozen=True)
class ZygoteSlot:
    """A zygote a job holds: where to reach it and where its runs' folders go."""

    socket: Path
    runs: Path   # bound into the zygote's sandbox; a run's working and channel folders

    def new_run(self) -> Path:
        """A fresh folder for one kernel's working and channel folders."""
        return Path(tempfile.mkdtemp(prefix="run-", dir=self.runs))


def take_slot(base: str | os.PathLike, wait: float = 60.0) -> ZygoteSlot | None:
    """Lock a free zygote of the run in ``base`` for this process's life; None if none is free.

    The lock (``flock``) goes with the process: a job killed at its deadline
    frees its zygote at once. So the zygote is asked first whether it is idle,
    and answers only once the previous job's kernel is dead and its sandbox
    empty: nothing of this job is written where that kernel could read it.
    None too when the zygote does not answer within ``wait`` seconds (it has
    ended): the job then starts its kernels from scratch.
    """
    base = Path(base)
    for lock in sorted(base.glob("*.lock")):
        handle = open(lock, "a")  # noqa: SIM115 (kept open: the lock lives as long as the job)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held.append(handle)
        slot = base / lock.stem
        if not _idle(slot / "zygote.sock", wait):
            return None
        return ZygoteSlot(socket=slot / "zygote.sock", runs=slot / "runs")
    return None


def _idle(path: Path, wait: float) -> bool:
    """True once the zygote listening at ``path`` says it is idle."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(wait)
        try:
            conn.connect(str(path))
            conn.sendall(json.dumps({"ping": True}).encode() + b"\n")
            answer = conn.makefile("rb").readline()
        except OSError:
            return False
    try:
        return json.loads(answer).get("idle") is True
    except ValueError:
        return False


_held: list = []   # the locks this process holds

_PREFIX = "autograder-zygotes-"
OWNER_LOCK = "owner"   # not *.lock: those are the zygotes' own (take_slot)
ABANDONED_AFTER = 60.0   # seconds: a folder younger than that may be one just being made


def remove_abandoned(parent: Path) -> list[Path]:
    """Remove the zygotes' folders in ``parent`` whose grader is gone; the ones removed.

    A folder is abandoned when nobody holds its owner lock and it is older than
    :data:`ABANDONED_AFTER` (a grader killed outright, a Dask worker killed by the
    system, leave theirs behind).
    """
    import time

    removed = []
    for folder in parent.glob(f"{_PREFIX}*"):
        lock = folder / OWNER_LOCK
        try:
            if time.time() - lock.stat().st_mtime < ABANDONED_AFTER:
                continue
            with open(lock, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:   # no lock file (not ours), or a grader holds it
            continue
        removed.append(folder)
    return removed


class Zygotes:
    """``count`` zygotes for kernels confined by ``mode`` (``"bwrap"`` or ``"none"``).

    Parameters
    ----------
    count : int
        How many at once: one per worker.
    mode : str
        The run's sandbox, as :func:`autograder.sandbox.choose_sandbox` chose it.
    deny : tuple of Path
        The course's folders no kernel may see (hidden in the zygote's sandbox
        where a bound folder holds them).
    memory_mb : int or None
        The size of each sandbox's ``/tmp`` and ``/dev/shm`` (each kernel gets
        its own memory limit from its policy).
    """

    def __init__(self, count: int, mode: str, deny=(), memory_mb: int | None = None):
        if count <= 0:
            raise ValueError(f"expected at least one zygote, got {count}")
        self.count = count
        self.mode = mode
        self.deny = tuple(deny)
        self.memory_mb = memory_mb
        self.helpers = course_helpers()
        self.base = Path(tempfile.mkdtemp(prefix=_PREFIX)).resolve()
        # Held for the zygotes' life (and so by every process this one forks): a grader
        # killed outright cannot remove its folder, the next one does (remove_abandoned).
        self._owner = open(self.base / OWNER_LOCK, "w")  # noqa: SIM115 (held until close)
        fcntl.flock(self._owner, fcntl.LOCK_EX)
        remove_abandoned(self.base.parent)
        self.processes: dict[int, subprocess.Popen] = {}
        # Each zygote's PID (outside its namespace); with bubblewrap also held as a pidfd.
        self.pids: dict[int, int] = {}
        self._pidfds: dict[int, int] = {}
        # Each zygote holds the read end; only this process (and the jobs it forks)
        # hold the write end, so a zygote sees end of file once the grader is gone.
        self._lifeline_read, self._lifeline_write = os.pipe()
        self.started = 0   # zygotes started, the first ones included

    def __enter__(self) -> Zygotes:
        for number in range(self.count):
            self._start(number)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, number: int) -> None:
        slot = self.base / str(number)
        if slot.exists():
            shutil.rmtree(slot, ignore_errors=True)
        runs, spare = slot / "runs", slot / "spare"
        runs.mkdir(parents=True)
        spare.mkdir()
        (self.base / f"{number}.lock").touch()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(slot / "zygote.sock"))
            listener.listen(8)
            config = {"fd": listener.fileno(), "lifeline": self._lifeline_read,
                      "mode": self.mode, "runs": str(runs),
                      "helpers": str(self.helpers) if self.helpers else None}
            argv = [sys.executable, "-c", _BOOT, str(_LAUNCHER), "--zygote", json.dumps(config)]
            env = dict(os.environ, **KERNEL_ENV)
            if self.mode == "bwrap":
                policy = SandboxPolicy(work_dir=runs, deny=self.deny + (slot / "zygote.sock",),
                                       memory_mb=self.memory_mb,
                                       log_path=spare / "unused.log", mode="bwrap",
                                       readable=default_readable())
                inner = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
                inner.update(KERNEL_ENV, HOME="/tmp")
                command = bwrap_command(policy, inner)
                status_read, status_write = os.pipe()
                argv = [command[0], "--as-pid-1", "--json-status-fd", str(status_write),
                        *command[1:], *argv]
                env = {}
            passed = (listener.fileno(), self._lifeline_read)
            try:
                with open(slot / "zygote.log", "ab") as log:
                    self.processes[number] = subprocess.Popen(
                        argv, env=env or None, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                        pass_fds=passed + ((status_write,) if self.mode == "bwrap" else ()),
                        start_new_session=True, cwd=str(runs))
            finally:
                if self.mode == "bwrap":
                    os.close(status_write)
            if self.mode == "bwrap":
                with open(status_read, "rb") as status:
                    self._hold(number, status)
            else:
                self.pids[number] = self.processes[number].pid
            self.started += 1
        finally:
            listener.close()   # the zygote holds it: once it is gone, connecting is refused

    def _hold(self, number: int, status) -> None:
        """Keep a pidfd of the zygote bubblewrap started, from its ``--json-status-fd``.

        bubblewrap asks the kernel to kill its child when it dies, but only once the
        child is set up: killed in its first milliseconds, it leaves the zygote running
        (PID 1 of its namespace, it ignores its own end). :meth:`revive` and
        :meth:`close` kill it through this pidfd.
        """
        import select

        line = b""
        while not line.endswith(b"\n") and select.select([status], [], [], 10)[0]:
            more = os.read(status.fileno(), 4096)
            if not more:
                break
            line += more
        try:
            pid = int(json.loads(line.splitlines()[0])["child-pid"])
            self._pidfds[number] = os.pidfd_open(pid)
            self.pids[number] = pid
        except (IndexError, KeyError, TypeError, ValueError, OSError):
            pass   # bubblewrap ended before it started the zygote: nothing to kill

    def _end(self, number: int) -> None:
        """Kill the zygote ``number`` (and with it its sandbox), reaped or not."""
        pidfd = self._pidfds.pop(number, None)
        self.pids.pop(number, None)
        if pidfd is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            os.close(pidfd)

    def assign(self, job):
        """``job`` (a :class:`autograder.worker.Job`) to run on these zygotes, every one running."""
        import dataclasses

        self.revive()
        return dataclasses.replace(job, zygotes=str(self.base))

    def revive(self) -> None:
        """Start again every zygote that has ended (and reap it)."""
        for number, process in list(self.processes.items()):
            if process.poll() is not None:
                self._end(number)   # bubblewrap has ended: its zygote must have too
                self._start(number)

    def close(self) -> None:
        """Stop every zygote (and with it every kernel it forked); remove their folders."""
        for fd in (self._lifeline_write, self._lifeline_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._lifeline_write = self._lifeline_read = -1
        for number, process in self.processes.items():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            self._end(number)
            process.wait()
        self.processes.clear()
        shutil.rmtree(self.base, ignore_errors=True)
        self._owner.close()
