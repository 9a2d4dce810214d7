"""Processes the tests start: each in a session of its own, killed with all it started."""

from __future__ import annotations

import os
import signal
import subprocess

__all__ = ["reap"]


def reap(process: subprocess.Popen) -> None:
    """Kill what is left of ``process``'s session (started with ``start_new_session``)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
