"""Kernels forked by a zygote (issue 13, section 3): faster, and nothing passes between them.

One worker, so one zygote, grades the students in turn. The first leaves
everything a notebook can leave behind without breaking out of its kernel;
the next ones earn full marks only if they find none of it. Their kernels
print where they came from, which shows they were forked by the same zygote.
The other tests start kernels through the relay by hand: a relay that dies
takes its kernel along, a zygote answers "idle" only once that kernel is dead,
a job without a zygote starts its own kernel, a zygote ends with its grader (killed
outright), and one whose bubblewrap was killed too early to take it along is killed
when the zygotes are revived.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.sandbox import SandboxPolicy, choose_sandbox, install_kernelspec
from autograder.zygotes import Zygotes, ZygoteSlot, _idle, take_slot

from . import factories as F
from .conftest import grade_cli, reap, run_reaped, write_submission

pytestmark = pytest.mark.slow

SANDBOX = choose_sandbox("auto")[0]
SHARED = ["/tmp", "/dev/shm"] if SANDBOX == "bwrap" else []

# Everything the first student leaves: a global, a builtin, the process's
# environment, the course's module, numpy's random state, matplotlib's settings,
# files in the shared folders of the sandbox, and a thread that keeps running.
LEAVE = f'''
import builtins, os, threading, time
import numpy as np, matplotlib, helpers
LEFT_BEHIND = 1
builtins.LEFT_BEHIND = 1
os.environ["LEFT_BEHIND"] = "1"
helpers.LEFT_BEHIND = 1
np.random.seed(1234)
matplotlib.rcParams["lines.linewidth"] = 17.0
for folder in {SHARED!r}:
    with open(os.path.join(folder, "left-behind.txt"), "w") as handle:
        handle.write("1")
threading.Thread(target=lambda: time.sleep(3600), daemon=True).start()
print("KERNEL", os.getpid(), os.getppid())

def add(a, b):
    return a + b
'''

# What the next students check: right answers only when nothing is left.
CHECK = f'''
import builtins, os, json
import numpy as np, matplotlib, helpers
found = []
if "LEFT_BEHIND" in globals(): found.append("global")
if hasattr(builtins, "LEFT_BEHIND"): found.append("builtin")
if "LEFT_BEHIND" in os.environ: found.append("environment")
if hasattr(helpers, "LEFT_BEHIND"): found.append("helpers")
if matplotlib.rcParams["lines.linewidth"] == 17.0: found.append("matplotlib")
if np.random.randint(2**31) == np.random.RandomState(1234).randint(2**31): found.append("numpy")
for folder in {SHARED!r}:
    if os.path.exists(os.path.join(folder, "left-behind.txt")): found.append(folder)
print("FOUND", json.dumps(found))
import random
print("RANDOM", np.random.randint(2**31), random.getrandbits(31))
print("KERNEL", os.getpid(), os.getppid())

def add(a, b):
    return a + b if not found else a - b
'''


def _kernel_lines(out: Path, student: str) -> list[str]:
    nb = nbformat.read(str(out / "autograded" / student / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb"),
                       as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    return [line for line in text.splitlines() if line.startswith(("KERNEL", "FOUND", "RANDOM"))]


@pytest.fixture(scope="module")
def graded(released, course, tmp_path_factory):
    root = tmp_path_factory.mktemp("zygote-class")
    write_submission(root, "a-leaves", F.student_notebook(released, dict(F.RIGHT, add=LEAVE)))
    for student in ("b-checks", "c-checks"):
        write_submission(root, student, F.student_notebook(released, dict(F.RIGHT, add=CHECK)))
    out = tmp_path_factory.mktemp("zygote-out")
    run = run_reaped(grade_cli("grade", root, "--course", course, "--out", out, "--workers", 1,
                               "--timeout", 60), timeout=300)
    assert run.returncode == 0, run.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    return out, rows


def test_nothing_one_submission_leaves_reaches_the_next(graded):
    out, rows = graded
    assert {s: rows[s]["score"] for s in rows} == {
        "a-leaves": "3", "b-checks": "3", "c-checks": "3"}
    for student in ("b-checks", "c-checks"):
        assert 'FOUND []' in _kernel_lines(out, student)


def test_forked_kernels_draw_different_random_numbers(graded):
    """As kernels started anew do: each seeds from the system's entropy, not the zygote's state.

    Today it holds without the zygote's help (Python's ``random`` reseeds itself in a
    fork, numpy 2 imports ``numpy.random`` on first use); it guards the reseed the
    zygote makes should it ever import ``numpy.random`` before forking.
    """
    out, _ = graded
    draws = [next(line for line in _kernel_lines(out, s) if line.startswith("RANDOM"))
             for s in ("b-checks", "c-checks")]
    numpy_draws, python_draws = zip(*(line.split()[1:] for line in draws), strict=True)
    assert numpy_draws[0] != numpy_draws[1] and python_draws[0] != python_draws[1], draws


def test_the_kernels_came_from_one_zygote(graded):
    out, _ = graded
    kernels = [next(line.split()[1:] for line in _kernel_lines(out, s) if line.startswith("KERNEL"))
               for s in ("a-leaves", "b-checks", "c-checks")]
    pids = [int(pid) for pid, _ in kernels]
    parents = {int(parent) for _, parent in kernels}
    assert len(parents) == 1, kernels   # one parent: the zygote
    if SANDBOX == "bwrap":
        # PID 1 of one namespace, which keeps counting: not a new sandbox per kernel.
        assert parents == {1} and pids == sorted(pids) and len(set(pids)) == 3, kernels
    else:
        assert parents != {os.getpid()}


def _relay(slot, policy: SandboxPolicy, folder: Path) -> subprocess.Popen:
    """Start a kernel through the relay, as jupyter_client would, without a client."""
    from jupyter_client.connect import write_connection_file

    connection, _ = write_connection_file(str(policy.channel_dir / "connection.json"),
                                          transport="ipc" if SANDBOX == "bwrap" else "tcp",
                                          ip=str(policy.channel_dir / "kernel")
                                          if SANDBOX == "bwrap" else "127.0.0.1")
    name = install_kernelspec(policy, folder / "kernels", {}, zygote=slot)
    spec = json.loads((folder / "kernels" / name / "kernel.json").read_text())
    argv = [a.replace("{connection_file}", connection) for a in spec["argv"]]
    return subprocess.Popen(argv, env=dict(os.environ, **spec["env"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _policy(slot, deny: Path) -> SandboxPolicy:
    run = slot.new_run()
    (run / "work").mkdir()
    (run / "channel").mkdir()
    return SandboxPolicy(work_dir=run / "work", deny=(deny,), memory_mb=512,
                         log_path=run / "channel" / "violations.jsonl", mode=SANDBOX)


def _kernels_of(zygote_pid: int) -> list[int]:
    """Processes under the zygote's process (bubblewrap's, or the zygote itself)."""
    found, todo = [], [zygote_pid]
    while todo:
        pid = todo.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def _wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_killed_relay_takes_its_kernel_and_the_zygote_serves_again(tmp_path):
    """A job killed at its deadline kills its relay: the kernel goes, the zygote stays."""
    with Zygotes(1, SANDBOX, (), 512) as zygotes:
        slot = take_slot(zygotes.base)
        top = zygotes.processes[0].pid
        zygote_count = 1 if SANDBOX == "bwrap" else 0   # bubblewrap's child: the zygote
        for attempt in range(2):
            relay = _relay(slot, _policy(slot, tmp_path), tmp_path / str(attempt))
            try:
                assert _wait_for(lambda: len(_kernels_of(top)) > zygote_count, 30), \
                    "the zygote forked no kernel"
                os.kill(relay.pid, signal.SIGKILL)
                relay.wait(10)
                assert _wait_for(lambda: len(_kernels_of(top)) == zygote_count, 10), \
                    "the kernel outlived its relay"
            finally:
                relay.kill()
                relay.wait()
        assert zygotes.processes[0].poll() is None and zygotes.started == 1


def test_a_relay_without_a_zygote_says_so_and_exits(tmp_path):
    """No zygote listening: the relay exits with UNAVAILABLE and the grader starts a kernel."""
    from autograder.kernel_relay import UNAVAILABLE
    from autograder.zygotes import RELAY

    run = subprocess.run([sys.executable, "-I", "-S", str(RELAY), str(tmp_path / "none.sock"),
                          "-", "run-x", "-f", str(tmp_path / "connection.json")],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == UNAVAILABLE
    assert "no zygote at" in run.stderr


def test_a_job_whose_zygote_is_gone_starts_its_own_kernel(released, course, tmp_path):
    """The kernel then starts from scratch: the same grade, only slower."""
    from autograder import worker

    with Zygotes(1, SANDBOX, (), 512) as zygotes:
        assert _idle(zygotes.base / "0" / "zygote.sock", 60)
        os.kill(zygotes.pids[0], signal.SIGKILL)   # the zygote (bubblewrap then ends too)
        zygotes.processes[0].wait(timeout=30)
        assert take_slot(zygotes.base, wait=5) is None   # it does not answer: no zygote
        slot = ZygoteSlot(socket=zygotes.base / "0" / "zygote.sock",
                          runs=zygotes.base / "0" / "runs")
        submitted = write_submission(tmp_path / "class", "alice",
                                     F.student_notebook(released, F.RIGHT))
        from autograder.preprocessors.restorecells import SourceCells

        source = worker.NotebookSource(
            F.NOTEBOOK, SourceCells.from_notebook(nbformat.read(str(released), as_version=4)))
        job = worker.Job("alice", F.ASSIGNMENT, files=worker.read_tree(submitted),
                         sources=(source,), timeout=60, memory_mb=512, sandbox=SANDBOX)
        outcome = worker._run_notebook(job, source, submitted, slot)
    assert outcome.problems == [] and not outcome.grader_fault
    nb = nbformat.reads(outcome.notebook, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []


def _gone(pid: int) -> bool:
    """No such process, or a zombie (one the machine's init has not reaped yet)."""
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


@pytest.mark.skipif(SANDBOX != "bwrap", reason="the zygote is bubblewrap's child only there")
def test_a_zygote_whose_bubblewrap_is_killed_at_once_is_killed_at_the_next_revive():
    """Killed in its first milliseconds, bubblewrap has not yet tied its child's life to its
    own: the zygote would live on, unused, as long as the grader."""
    for _ in range(5):
        with Zygotes(1, SANDBOX, (), 512) as zygotes:
            zygote = zygotes.pids[0]
            zygotes.processes[0].kill()
            zygotes.processes[0].wait()
            if not _idle(zygotes.base / "0" / "zygote.sock", 60):
                continue   # bubblewrap had set up its child: it died along; try again
            zygotes.revive()   # the orphan served: now it must go
            assert _wait_for(lambda z=zygote: _gone(z), 10), "the zygote outlived its bubblewrap"
            assert zygotes.started == 2 and _idle(zygotes.base / "0" / "zygote.sock", 60)
            return
    pytest.skip("bubblewrap was never killed early enough to leave its zygote behind")


GRADER = """
import sys, time
from autograder.zygotes import Zygotes
zygotes = Zygotes(1, sys.argv[1], (), 512).__enter__()
print(zygotes.base, zygotes.processes[0].pid, flush=True)
time.sleep(600)
"""


def test_a_zygote_ends_when_its_grader_is_gone():
    """A grader killed outright (no close): its zygote, and the zygote's sandbox, end too."""
    grader = subprocess.Popen([sys.executable, "-c", GRADER, SANDBOX], stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    base, started = None, None
    try:
        base, pid = grader.stdout.readline().split()
        base, started = Path(base), int(pid)   # bubblewrap, or the zygote itself
        socket_path = base / "0" / "zygote.sock"
        assert _idle(socket_path, 60)   # it serves
        reap(grader)
        assert _wait_for(lambda: not _idle(socket_path, 5), 60), "the zygote outlived its grader"
        assert _wait_for(lambda: _gone(started), 30)
    finally:
        reap(grader)
        if started is not None:   # the zygote's own session, should the test have failed
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(started, signal.SIGKILL)
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)


def test_a_zygote_says_it_is_idle_only_once_the_previous_kernel_is_dead(tmp_path):
    """The next job's files are written only after the last job's kernel is gone."""
    with Zygotes(1, SANDBOX, (), 512) as zygotes:
        slot = take_slot(zygotes.base)
        assert slot is not None
        relay = _relay(slot, _policy(slot, tmp_path), tmp_path / "kernel")
        try:
            top = zygotes.processes[0].pid
            zygote_count = 1 if SANDBOX == "bwrap" else 0
            assert _wait_for(lambda: len(_kernels_of(top)) > zygote_count, 30)
            assert not _idle(slot.socket, wait=1.0)   # busy with the kernel
            os.kill(relay.pid, signal.SIGKILL)
            assert _idle(slot.socket, wait=30.0)
            assert len(_kernels_of(top)) == zygote_count   # the kernel is dead by then
        finally:
            relay.kill()
            relay.wait()


def test_a_killed_graders_folder_is_removed_by_the_next_one(tmp_path):
    """Only a folder nobody holds and old enough: a running grader's, or a new one, stay."""
    from autograder.zygotes import OWNER_LOCK, remove_abandoned

    folders = {name: tmp_path / f"autograder-zygotes-{name}" for name in ("dead", "alive", "new")}
    for folder in folders.values():
        (folder / "0" / "runs").mkdir(parents=True)
        (folder / OWNER_LOCK).touch()
    for name in ("dead", "alive"):
        os.utime(folders[name] / OWNER_LOCK, (time.time() - 3600,) * 2)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; h = open(sys.argv[1], 'a'); "
         "fcntl.flock(h, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)",
         str(folders["alive"] / OWNER_LOCK)],
        stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        other = tmp_path / "autograder-zygotes-not-ours"   # no owner file: not a grader's
        other.mkdir()
        assert remove_abandoned(tmp_path) == [folders["dead"]]
        assert [f.exists() for f in folders.values()] == [False, True, True] and other.exists()
    finally:
        reap(holder)
