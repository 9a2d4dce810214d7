"""Fixtures for the autograder tests: a tiny course and one graded class shared per module."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.release import release_assignment
from tests.processes import reap  # noqa: F401 (the tests of this folder import it from here)

from . import factories as F


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (a link by its target's name).

    Links are never followed: a submission may hold ``loop -> .`` or ``zeros -> /dev/zero``.
    """
    digest = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if path.is_symlink():
                value = "link:" + os.readlink(path)
            elif path.is_file():
                value = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                value = "special"
            digest[str(path.relative_to(root))] = value
    return dict(sorted(digest.items()))


def run_reaped(command: list[str], timeout: float, **popen) -> subprocess.CompletedProcess:
    """``subprocess.run`` in a session of its own, every process of which is gone after it.

    The grader's workers and kernels outlive a killed grader unless its whole session
    is killed, whether the run ended, failed or timed out.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                               **popen)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        reap(process)
        stdout, stderr = process.communicate()
        stderr += f"\n(killed after {timeout:.0f} s)"
    finally:
        reap(process)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Wait until ``url`` answers 200; fail at once if ``process`` ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s")


def grade_cli(*args) -> list[str]:
    """The command line of ``python -m autograder`` with ``args``."""
    return [sys.executable, "-m", "autograder", *map(str, args)]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A fixture course with ``solutions/01_toy/toy.ipynb``."""
    return F.make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def released(course, tmp_path_factory) -> Path:
    """The released student notebook of the fixture assignment."""
    dest = tmp_path_factory.mktemp("released") / F.ASSIGNMENT
    release_assignment(course, F.ASSIGNMENT, dest)
    return dest / f"{F.NOTEBOOK}.ipynb"


def write_submission(root: Path, student: str, nb=None, text: str | None = None,
                     name: str = f"{F.NOTEBOOK}.ipynb") -> Path:
    folder = root / student / F.ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    if nb is not None:
        nbformat.write(nb, str(folder / name))
    elif text is not None:
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def class_folder(released, tmp_path_factory) -> Path:
    """A class with one student per situation the grader must handle."""
    root = tmp_path_factory.mktemp("submissions")
    write_submission(root, "alice", F.student_notebook(released, F.RIGHT))
    write_submission(root, "bob", F.student_notebook(released, F.WRONG_SCALE))
    write_submission(root, "carol", F.student_notebook(released, F.RIGHT, drop=("test_add",)))
    write_submission(root, "dan", text='{"cells": [')
    write_submission(root, "erin", text="")
    write_submission(root, "frank", text="print('hello')", name="answer.py")
    write_submission(root, "gina", F.student_notebook(
        released, dict(F.RIGHT, add="def add(a, b):\n    while True:\n        pass")))
    write_submission(root, "hal", F.student_notebook(
        released, dict(F.RIGHT, add="import os\nos._exit(1)")))
    return root
