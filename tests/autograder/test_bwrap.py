"""The operating-system sandbox, proven from inside a graded kernel.

A notebook executed as the grader executes one (``execute_sandboxed`` with
``sandbox="bwrap"``) probes its boundaries without going through the audit
hook where it can (``os.stat`` has no audit event): it must not see the
solutions or another student's folder, write outside its folder, see other
processes, reach a server on the grader's loopback, keep a file in ``/tmp`` or
``/dev/shm`` after it ends, or raise its own limits. Skipped, naming why, where
bubblewrap cannot create namespaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.sandbox import SandboxError, bwrap_problem, choose_sandbox, default_deny
from autograder.worker import execute_sandboxed

COURSE_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(bwrap_problem() is not None,
                                reason=f"no bubblewrap sandbox here: {bwrap_problem()}")

PROBE = '''
import json, os, resource
def probe(path):
    try:
        os.stat(path)
        return "visible"
    except FileNotFoundError:
        return "absent"
    except PermissionError:
        return "refused"
def attempt(action):
    try:
        action()
        return "done"
    except Exception as error:
        return type(error).__name__
'''


def _results(nb) -> dict:
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                for line in output["text"].splitlines():
                    if line.startswith("{"):
                        found.update(json.loads(line))
    return found


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    root = tmp_path_factory.mktemp("bwrap")
    submission = root / "class" / "alice" / "01_toy"
    submission.mkdir(parents=True)
    classmate = root / "class" / "bob" / "01_toy"
    classmate.mkdir(parents=True)
    (classmate / "toy.ipynb").write_text("bob's answers", encoding="utf-8")
    elsewhere = root / "instructor_notes.txt"
    elsewhere.write_text("not for students", encoding="utf-8")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted = []
    cells = [PROBE, f'''
print(json.dumps({{
    "uid": os.getuid(),
    "solutions": probe({str(COURSE_ROOT / "solutions")!r}),
    "tests": probe({str(COURSE_ROOT / "tests")!r}),
    "classmate": probe({str(classmate / "toy.ipynb")!r}),
    "elsewhere": probe({str(elsewhere)!r}),
    "helpers": probe({str(COURSE_ROOT / "helpers" / "grading.py")!r}),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
}}))''', f'''
import socket
def connect():
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
def raise_limit():
    resource.setrlimit(resource.RLIMIT_DATA, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
def write_helpers():
    os.open({str(COURSE_ROOT / "helpers" / "planted.py")!r}, os.O_WRONLY | os.O_CREAT)
def leave_tmp():
    open("/tmp/left-behind", "w").write("x")
    open("/dev/shm/left-behind", "w").write("x")
print(json.dumps({{"connect": attempt(connect), "raise_limit": attempt(raise_limit),
                   "write_helpers": attempt(write_helpers), "leave_tmp": attempt(leave_tmp),
                   "own_folder": attempt(lambda: open("mine.txt", "w").write("ok"))}}))''']
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    deny = default_deny(COURSE_ROOT, root / "class")
    try:
        nb, _, problems, tampering = execute_sandboxed(
            nb, {}, submission, root / "run", deny=deny, timeout=30, memory_mb=512,
            sandbox="bwrap")
        server.setblocking(False)   # whatever connected is queued by now
        with contextlib.suppress(BlockingIOError):
            accepted.append(server.accept())
    finally:
        server.close()
    return {"results": _results(nb), "problems": problems, "accepted": accepted,
            "shm": os.path.exists("/dev/shm/left-behind"),
            "tmp": os.path.exists("/tmp/left-behind"),
            "planted": (COURSE_ROOT / "helpers" / "planted.py").exists()}


def test_the_kernel_runs_as_an_unprivileged_user(probed):
    assert probed["results"]["uid"] != 0 and probed["problems"] == []


def test_the_course_solutions_tests_classmates_and_other_files_do_not_exist(probed):
    results = probed["results"]
    assert results["solutions"] == results["tests"] == "absent"
    assert results["classmate"] == "absent" and results["elsewhere"] == "absent"
    assert results["helpers"] == "visible"


def test_the_kernel_sees_no_other_process(probed):
    assert max(probed["results"]["pids"]) <= 4


def test_the_kernel_cannot_reach_the_graders_loopback(probed):
    assert probed["results"]["connect"] != "done" and not probed["accepted"]


def test_the_kernel_cannot_raise_its_limits_or_write_outside_its_folder(probed):
    results = probed["results"]
    assert results["raise_limit"] in ("ValueError", "PermissionError")
    assert results["write_helpers"] in ("OSError", "PermissionError")
    assert not probed["planted"]
    assert results["own_folder"] == "done"


def test_tmp_and_shm_are_private_and_gone_with_the_kernel(probed):
    assert probed["results"]["leave_tmp"] == "done"
    assert not probed["tmp"] and not probed["shm"]


def test_choose_sandbox_names_what_it_uses():
    mode, note = choose_sandbox("auto")
    assert mode == "bwrap" and "bubblewrap" in note
    assert choose_sandbox("none")[0] == "none"
    with pytest.raises(SandboxError, match="must be one of"):
        choose_sandbox("docker")
