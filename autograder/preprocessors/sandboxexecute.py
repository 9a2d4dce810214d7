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
import threading
import time

from traitlets import Bool, Float, Integer

from .trackedexecute import TrackedExecute

__all__ = ["SandboxExecute"]

TRUNCATED = "\n... output truncated by the grader ...\n"


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

    def _kill(self, pid: int) -> None:
        self.deadline_hit = True
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            used = self._stream_chars.get(cell_index, 0)
            if used >= self.max_stream_bytes:
                return None
            text = msg["content"].get("text", "")
            room = self.max_stream_bytes - used
            if len(text) > room:
                msg = dict(msg, content=dict(msg["content"], text=text[:room] + TRUNCATED))
                used = self.max_stream_bytes
            else:
                used += len(text)
            self._stream_chars[cell_index] = used
        return super().output(outs, msg, display_id, cell_index)
