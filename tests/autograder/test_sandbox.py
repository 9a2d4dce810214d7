"""The sandboxed kernel: ordinary notebooks run, forbidden actions are refused and logged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from autograder.kernel_launcher import make_audit_hook
from autograder.sandbox import (
    SandboxPolicy,
    install_kernelspec,
    kernel_manager_for,
    read_baseline,
    read_violations,
)


class Sandbox:
    """A course-like folder tree and a kernelspec confined to its ``work`` folder."""

    def __init__(self, root: Path, memory_mb: int | None = None):
        self.root = root
        self.memory_mb = memory_mb
        self.runs = 0
        for name in ("work", "solutions/01_toy", "grading", "grader"):
            (root / name).mkdir(parents=True, exist_ok=True)
        (root / "solutions/01_toy/toy.ipynb").write_text("SECRET SOLUTION", encoding="utf-8")
        self.kernels = root / "grader/kernels"
        self._install()

    def _install(self):
        """A kernelspec with a log of its own, as the grader makes one per notebook."""
        self.runs += 1
        root = self.root
        self.policy = SandboxPolicy(work_dir=root / "work",
                                    deny=(root / "solutions", root / "grading", root / "grader"),
                                    memory_mb=self.memory_mb,
                                    log_path=root / f"grader/log-{self.runs}.jsonl")
        self.name = install_kernelspec(self.policy, self.kernels)

    def run(self, *sources: str, timeout: int = 60):
        """Execute one notebook of ``sources`` in a new sandboxed kernel; return its cells.

        ``self.policy.log_path`` is then the log of this run.
        """
        self._install()
        nb = new_notebook(cells=[new_code_cell(s) for s in sources])
        km = kernel_manager_for(self.kernels, self.name)
        NotebookClient(nb, km=km, timeout=timeout, allow_errors=True).execute()
        return nb.cells

    def log(self) -> list[dict]:
        lines = self.policy.log_path.read_text(encoding="utf-8").splitlines()
        return [entry for entry in map(json.loads, lines) if "kind" in entry]


def stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def error(cell) -> tuple[str, str] | None:
    for output in cell.outputs:
        if output.output_type == "error":
            return output.ename, output.evalue
    return None


# --- without a kernel ------------------------------------------------------------------

def test_policy_rejects_a_working_folder_inside_a_denied_one(tmp_path):
    (tmp_path / "solutions/work").mkdir(parents=True)
    with pytest.raises(ValueError, match="inside the denied folder"):
        SandboxPolicy(work_dir=tmp_path / "solutions/work", deny=(tmp_path / "solutions",),
                      memory_mb=None, log_path=tmp_path / "log")


def test_kernelspec_carries_the_policy_and_single_threaded_blas(tmp_path):
    box_root = tmp_path / "course"
    sandbox = Sandbox(box_root, memory_mb=512)
    spec = json.loads((sandbox.kernels / sandbox.name / "kernel.json").read_text())
    policy = json.loads(spec["env"]["AUTOGRADER_SANDBOX"])
    assert policy["memory_mb"] == 512
    assert policy["work_dir"] == str((box_root / "work").resolve())
    assert spec["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "{connection_file}" in spec["argv"]


def test_audit_hook_refuses_and_logs_without_a_kernel(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "work").mkdir()
    log = tmp_path / "log.jsonl"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    hook = make_audit_hook([str(tmp_path / "solutions")], [str(tmp_path / "work")], fd)
    try:
        with pytest.raises(PermissionError, match="solutions"):
            hook("open", (str(tmp_path / "solutions/x.py"), "r", 0))
        with pytest.raises(PermissionError):
            hook("open", (str(tmp_path / "elsewhere.txt"), "w", 0))
        with pytest.raises(PermissionError, match="other programs"):
            hook("subprocess.Popen", ("ls", ["ls"], None, None))
        with pytest.raises(PermissionError, match="stop other processes"):
            hook("os.kill", (1, 9))
        with pytest.raises(PermissionError, match="connect to other programs"):
            hook("socket.connect", (None, ("127.0.0.1", 5432)))
        with pytest.raises(PermissionError, match="connect to other programs"):
            hook("socket.sendto", (None, ("10.0.0.1", 53)))
        hook("open", (str(tmp_path / "work/ok.txt"), "w", 0))  # allowed
        hook("open", ("/etc/hostname", "r", 0))  # allowed
        hook("compile", (b"x", "<string>"))  # not watched
    finally:
        os.close(fd)
    assert read_violations(log) == [
        "the notebook tried to read the course's solutions or the grader's files",
        "the notebook tried to write files outside its own folder",
        "the notebook tried to start another program",
        "the notebook tried to stop another process",
        "the notebook tried to connect to another program or machine",
    ]


# --- real sandboxed kernels ------------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("sandbox"), memory_mb=1024)


@pytest.fixture(scope="module")
def hostile_run(sandbox):
    """One notebook doing one forbidden thing per cell, then an honest cell."""
    solution = sandbox.root / "solutions/01_toy/toy.ipynb"
    grading = sandbox.root / "grading"
    cells = sandbox.run(
        "import os; print(os.getcwd())",
        f"open({str(solution)!r}).read()",
        f"open({str(grading / 'gradebook.db')!r}, 'w').write('gone')",
        "os.system('echo hello')",
        "import subprocess; subprocess.run(['echo', 'hello'])",
        "os.fork()",
        "os.kill(os.getppid(), 9)",
        "import numpy as np\nbig = np.ones(400_000_000)",
        "blob = bytearray(3 * 2**30)",
        "open('answer.txt', 'w').write('mine'); print(open('answer.txt').read())",
    )
    return cells


@pytest.mark.slow
def test_ordinary_notebook_runs_in_the_sandbox(sandbox):
    cells = sandbox.run(
        "import numpy as np, matplotlib.pyplot as plt\n"
        "import helpers.grading, helpers.plots\n"
        "from helpers.data import load_digits, load_photo",
        "x, y = load_digits(); print(x.shape)",
        "photo = load_photo(); print(photo.shape)",
        "plt.plot([0, 1], [1, 0]); plt.title('line'); plt.show()",
        "from helpers.grading import assert_close\nassert_close(np.ones(3), [1, 1, 1]); "
        "print('passed')",
    )
    assert [error(c) for c in cells] == [None] * 5
    assert stdout(cells[1]).startswith("(1797")
    assert stdout(cells[2]).startswith("(128, 128)")
    # Under pytest MPLBACKEND=Agg (conftest.py) draws off screen; plotting must not fail.
    assert stdout(cells[4]).strip() == "passed"


@pytest.mark.slow
def test_kernel_runs_in_the_working_folder(sandbox, hostile_run):
    assert stdout(hostile_run[0]).strip() == str(sandbox.policy.work_dir)
    assert stdout(hostile_run[-1]).strip() == "mine"
    assert (sandbox.policy.work_dir / "answer.txt").read_text() == "mine"


@pytest.mark.slow
def test_reading_solutions_and_writing_grading_files_are_refused(sandbox, hostile_run):
    assert error(hostile_run[1])[0] == "PermissionError"
    assert error(hostile_run[2])[0] == "PermissionError"
    assert not (sandbox.root / "grading/gradebook.db").exists()
    kinds = {(e["kind"], Path(e["detail"]).name) for e in sandbox.log()}
    assert ("read", "toy.ipynb") in kinds and ("write", "gradebook.db") in kinds


@pytest.mark.slow
def test_programs_and_signals_are_refused(sandbox, hostile_run):
    for cell in hostile_run[3:7]:
        assert error(cell)[0] == "PermissionError", cell.source
    events = {e["event"] for e in sandbox.log()}
    assert {"os.system", "subprocess.Popen", "os.fork", "os.kill"} <= events
    assert read_violations(sandbox.policy.log_path) == [
        "the notebook tried to read the course's solutions or the grader's files",
        "the notebook tried to write to the grader's files",
        "the notebook tried to start another program",
        "the notebook tried to stop another process",
    ]


@pytest.mark.slow
def test_a_notebook_cannot_reach_a_server_on_this_machine(sandbox):
    # A gradebook server or the judge's port on 127.0.0.1: with the audit hook alone
    # (no network namespace) the connection is refused before it is made.
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        cells = sandbox.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)",
                            f"import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                            f"s.sendto(b'x', ('127.0.0.1', {port}))")
        with pytest.raises(OSError):   # nothing arrived
            listener.accept()
    assert [error(c)[0] for c in cells] == ["PermissionError", "PermissionError"]
    assert {e["kind"] for e in sandbox.log()} == {"network"}


@pytest.mark.slow
def test_memory_bombs_raise_memory_error_and_the_kernel_survives(hostile_run):
    assert error(hostile_run[7])[0] == "MemoryError"
    assert error(hostile_run[8])[0] == "MemoryError"
    assert error(hostile_run[9]) is None  # the next cell still ran


@pytest.mark.slow
def test_launcher_logs_a_baseline_fingerprint(sandbox, hostile_run):
    baseline = read_baseline(sandbox.policy.log_path)
    assert baseline is not None and "numpy" in baseline["modules"]
    assert "helpers.grading" in baseline["modules"]


# --- choosing the sandbox --------------------------------------------------------------

def test_auto_falls_back_to_the_audit_hook_and_says_so_when_bubblewrap_is_missing(monkeypatch):
    import autograder.sandbox as sandbox

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    mode, note = sandbox.choose_sandbox("auto")
    assert mode == "none"
    assert note == ("kernel sandbox: not available (bubblewrap (bwrap) is not installed); "
                    "student code runs with the grader's rights, watched only by an audit hook "
                    "inside its kernel")
    with pytest.raises(sandbox.SandboxError, match="--sandbox bwrap was asked for, but "
                                                   "bubblewrap"):
        sandbox.choose_sandbox("bwrap")


def test_grade_with_sandbox_bwrap_where_it_is_missing_exits_with_one_sentence(
        monkeypatch, tmp_path, capsys):
    import autograder.sandbox as sandbox
    from autograder.cli import main

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    (tmp_path / "class").mkdir()
    assert main(["grade", str(tmp_path / "class"), "--sandbox", "bwrap",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["autograder: --sandbox bwrap was asked for, but bubblewrap (bwrap) is not "
                   "installed"]


def test_a_bwrap_kernelspec_clears_the_environment_and_interrupts_by_message(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setenv("DATABASE_PASSWORD", "hunter2")
    (tmp_path / "work").mkdir()
    (tmp_path / "channel").mkdir()
    policy = SandboxPolicy(work_dir=tmp_path / "work", deny=(tmp_path / "solutions",),
                           memory_mb=256, log_path=tmp_path / "channel" / "log", mode="bwrap")
    name = install_kernelspec(policy, tmp_path / "kernels", {"NBGRADER_EXECUTION": "autograde"})
    spec = json.loads((tmp_path / "kernels" / name / "kernel.json").read_text())
    argv = spec["argv"]
    assert argv[0].endswith("bwrap") and "--clearenv" in argv and "--unshare-all" in argv
    assert "hunter2" not in json.dumps(spec)
    assert argv[argv.index("NBGRADER_EXECUTION") + 1] == "autograde"
    assert spec["interrupt_mode"] == "message"
    assert ["--bind", str(tmp_path / "work"), str(tmp_path / "work")] == argv[
        argv.index(str(tmp_path / "work")) - 1:argv.index(str(tmp_path / "work")) + 2]
