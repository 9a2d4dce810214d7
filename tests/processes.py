"""Processes the tests start: each in a session of its own, killed with all it started."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

__all__ = ["reap", "reap_by_environment"]


def reap(process: subprocess.Popen) -> None:
    """Kill what is left of ``process``'s session (started with ``start_new_session``)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def reap_by_environment(name: str, value: str) -> list[int]:
    """Kill every process whose environment has ``name=value``; their PIDs.

    For what escaped a session a test killed: a process started in a session of its
    own by one the test started (bubblewrap, for a kernel zygote), left behind when
    its parent was killed in the middle of starting it.
    """
    marker = f"{name}={value}".encode()
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environment:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
            killed.append(int(entry.name))
    return killed
