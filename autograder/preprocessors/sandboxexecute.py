"""nbgrader's Execute with the limits a class needs: output budget and a whole-notebook deadline.

- Stream output beyond ``max_stream_bytes`` per cell is dropped as it arrives,
  so a notebook that prints 50 MB costs neither memory nor gradebook space.
- ``notebook_timeout`` seconds after the kernel started, the kernel is killed;
  the grader reports "the notebook ran longer than N s in total".
- nbgrader's per-cell ``timeout`` still applies: the kernel is interrupted and
  the cell gets a ``CellTimeoutError``; a kernel that ignores the interrupt
  runs into the whole-notebook deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from nbclient.util import run_sync
from traitlets import Bool, Float, Integer, Unicode

from .trackedexecute import TrackedExecute

__all__ = ["SandboxExecute"]

TRUNCATED = "\n... output truncated by the grader ...\n"
MARKER = "AUTOGRADER-"  # the prefix of the lines guard.py and integrity.py print


class SandboxExecute(TrackedExecute):
    """Execute cells like nbgrader, within an output budget and a whole-notebook deadline."""

    max_stream_bytes = Integer(
        200_000, help="Characters of stdout/stderr kept per cell; the rest is dropped."
    ).tag(config=True)
    notebook_timeout = Float(
        0.0, help="Seconds the whole notebook may run (0: no limit); the kernel is then killed."
    ).tag(config=True)
    deadline_hit = Bool(False, help="True once the whole-notebook deadline killed the kernel.")
    started_at = Float(0.0, help="time.monotonic() when the kernel became ready.")

    def preprocess(self, nb, resources=None, km=None):
        self._stream_chars: dict[int, int] = {}
        self.deadline_hit = False
        self._watchdog = None
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
            # nbclient leaves a kernel it did not start running: stop it here.
            if km is not None and km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)

    kernel_log = Unicode(
        "", help="File that receives the kernel process's own output (default: discarded)."
    ).tag(config=True)

    async def async_start_new_kernel(self, **kwargs):
        # The kernel's own process output (start-up and shutdown chatter) is not the
        # student's: what student code prints reaches the notebook through the kernel.
        # It goes to a log, which says why a kernel failed to start.
        sink = open(self.kernel_log, "ab") if self.kernel_log else subprocess.DEVNULL  # noqa: SIM115
        kwargs.setdefault("stdout", sink)
        kwargs.setdefault("stderr", sink)
        try:
            await super().async_start_new_kernel(**kwargs)
        finally:
            if sink is not subprocess.DEVNULL:
                sink.close()  # the kernel holds its own copy of the descriptor

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        self.started_at = time.monotonic()
        if self.notebook_timeout > 0:
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if pid:
                self._watchdog = threading.Timer(self.notebook_timeout, self._kill, args=(pid,))
                self._watchdog.daemon = True
                self._watchdog.start()
        return client

    # nbclient binds the synchronous versions to its own coroutines; rebind them to ours.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _kill(self, pid: int) -> None:
        self.deadline_hit = True
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            used = self._stream_chars.get(cell_index, 0)
            text = msg["content"].get("text", "")
            room = self.max_stream_bytes - used
            if len(text) > room:
                # The grader's own marker lines always get through: without them a
                # passing test cell that printed a lot would count as cut short.
                markers = "".join(line for line in text[max(room, 0):].splitlines(True)
                                  if line.startswith(MARKER))
                kept = text[:max(room, 0)] + (TRUNCATED if used < self.max_stream_bytes else "")
                if not kept and not markers:
                    return None
                msg = dict(msg, content=dict(msg["content"], text=kept + markers))
                used = self.max_stream_bytes
            else:
                used += len(text)
            self._stream_chars[cell_index] = used
        return super().output(outs, msg, display_id, cell_index)
