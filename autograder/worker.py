"""Execute one staged submission in a sandboxed kernel: the part of grading that runs in workers.

A :class:`Job` is plain data: the submission's files, the source cells of each
notebook to grade (read from the gradebook by the parent), the course's setup
cells and the limits. A worker, a process forked on this machine or a task on a
Dask worker elsewhere (:mod:`autograder.cluster`), needs nothing else of the
grader's: it never opens the gradebook. It restores and marks the graded
cells, runs the notebook in a kernel confined by :mod:`autograder.sandbox` (a
fresh working folder holding only the submission, a memory limit, no access to
the solutions or the grader's files), checks what ran, and returns the
executed notebook. The parent writes it to ``autograded/`` and scores it
(:mod:`autograder.scoring`), one writer for the gradebook.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, LimitOutput
from nbgrader.utils import setenv

from .cellmeta import is_test_cell
from .preprocessors.guard import MarkGradedCells, VerifyGradedCells
from .preprocessors.restorecells import RestoreGradedCells, SourceCells
from .preprocessors.sandboxexecute import SandboxExecute
from .preprocessors.sanitize import DropEmptyMetadata
from .sandbox import (
    SandboxPolicy,
    default_readable,
    install_kernelspec,
    kernel_manager_for,
    read_baseline,
    read_violations,
)
from .settings import NOTEBOOK_TIMEOUT_FACTOR
from .zygotes import take_slot

__all__ = ["Job", "NotebookSource", "NotebookOutcome", "run_job", "execute_sandboxed",
           "setup_cell_source", "read_tree", "warm_up_the_judge", "NOTEBOOK_TIMEOUT_FACTOR"]

# A kernel that fails to start is started again, up to this many attempts in all.
KERNEL_START_ATTEMPTS = 3


@dataclass(frozen=True)
class NotebookSource:
    """What grading one notebook needs of the course."""

    name: str  # the notebook's name, without .ipynb
    cells: SourceCells  # its graded cells as recorded in the gradebook
    setup: str = ""  # the course's setup cell: the judge runs it before the graded tests


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to execute one student's assignment, as plain data."""

    student_id: str
    assignment: str
    files: tuple[tuple[str, bytes], ...]  # the staged submission: relative path, content
    sources: tuple[NotebookSource, ...]  # the notebooks to grade, in order
    timeout: int
    memory_mb: int | None
    deny: tuple[Path, ...] = ()  # folders the student's code may not touch
    sandbox: str = "none"  # "bwrap" or "none", as autograder.sandbox.choose_sandbox decided
    zygotes: str = ""  # the folder of this machine's kernel zygotes (autograder.zygotes), if any

    @property
    def notebooks(self) -> tuple[str, ...]:
        return tuple(source.name for source in self.sources)


@dataclass
class NotebookOutcome:
    """What happened while executing one notebook."""

    name: str
    problems: list[str] = field(default_factory=list)  # why it could not be graded in full
    tampering: list[str] = field(default_factory=list)  # what the integrity checks found
    grader_fault: bool = False  # the grader failed, not the notebook: tried again on a rerun
    notebook: str = ""  # the executed notebook (nbformat JSON), for autograded/; "" if none


def read_tree(folder: Path) -> tuple[tuple[str, bytes], ...]:
    """Every file under ``folder`` as (relative posix path, bytes), sorted: a job's files."""
    return tuple(sorted((path.relative_to(folder).as_posix(), path.read_bytes())
                        for path in folder.rglob("*") if path.is_file()
                        and not path.is_symlink()))


def _write_tree(files: tuple[tuple[str, bytes], ...], folder: Path) -> None:
    root = folder.resolve()
    for name, content in files:
        target = (root / name).resolve()
        if root not in target.parents:   # a job's names are relative and stay inside
            raise ValueError(f"a job's file {name!r} lies outside its folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def setup_cell_source(path: Path) -> str:
    """The first code cell of the course's notebook at ``path``: what the judge runs first.

    Read from the course's own file, never from a submission, which a student
    may have edited.
    """
    nb = nbformat.read(str(path), as_version=4)
    return next((c.source for c in nb.cells if c.cell_type == "code"), "")


def _cell_number(nb, index: int) -> int:
    """1-based position of cell ``index`` among the cells the student sees."""
    shown = [i for i, c in enumerate(nb.cells)
             if not c.metadata.get("autograder", {}).get("integrity")]
    return shown.index(index) + 1 if index in shown else index + 1


def _fail_unexecuted(nb, start: int, why: str) -> None:
    """Give every graded test cell from ``start`` on that has no output an error.

    nbgrader scores a test cell without an error as passed, so cells that never
    ran (the kernel died or the deadline struck first) must fail explicitly.
    """
    for cell in nb.cells[start:]:
        if is_test_cell(cell):
            if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                cell.outputs = [nbformat.v4.new_output(
                    "error", ename="NotRun", evalue=why, traceback=[f"NotRun: {why}"])]


def _first_error(nb, ename: str) -> int | None:
    """Index of the first cell with an error output named ``ename``, if any."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == ename:
                return index
    return None


class KernelStartError(RuntimeError):
    """The kernel did not start; the notebook may be run again."""


def _explain_stop(error, executor, nb, timeout: int, problems: list[str]) -> None:
    """Turn an execution that stopped early into a reason; fail the cells that never ran."""
    index = max(executor.current_cell, 0)
    number = _cell_number(nb, index)
    if isinstance(error, CellTimeoutError):
        # The kernel did not answer even after the interrupt (it ignores SIGINT).
        problems.append(f"the notebook ran longer than {timeout} s in cell {number} "
                        "and did not stop when interrupted")
        why = "the notebook was stopped at the grader's time limit before this cell ran"
    elif isinstance(error, DeadKernelError) and executor.deadline_hit:
        total = NOTEBOOK_TIMEOUT_FACTOR * timeout
        problems.append(f"the notebook ran longer than {total} s in total "
                        f"(stopped in cell {number})")
        why = "the notebook was stopped at the grader's time limit before this cell ran"
    elif isinstance(error, DeadKernelError):
        problems.append(f"the kernel stopped while running cell {number}")
        why = "the kernel stopped before this cell ran"
    else:
        raise error
    _fail_unexecuted(nb, index, why)


def execute_sandboxed(nb, resources, source: Path, tmp: Path, *, deny: tuple[Path, ...],
                      timeout: int, memory_mb: int | None, mode: str = "autograde",
                      sandbox: str = "none", judge_setup: str = "", zygote=None):
    """Run a restored notebook in a confined kernel, as the grader and ``check`` both do.

    Parameters
    ----------
    nb : NotebookNode
        The notebook, graded cells already restored; executed in place.
    resources : dict
        nbconvert resources; ``resources["metadata"]["path"]`` is set here.
    source : Path
        The folder whose files the kernel gets a copy of (the submission).
    tmp : Path
        An empty private folder for this run.
    deny : tuple of Path
        Folders the notebook may not read or write.
    timeout : int
        Seconds per cell; the whole notebook gets ``NOTEBOOK_TIMEOUT_FACTOR`` times that.
    memory_mb : int or None
        Memory limit of the kernel.
    mode : str
        ``NBGRADER_EXECUTION`` for the kernel: ``"autograde"`` or ``"validate"``.
    sandbox : str
        ``"bwrap"`` to confine the kernel with bubblewrap, ``"none"`` for the
        audit hook alone (see :func:`autograder.sandbox.choose_sandbox`).
    judge_setup : str
        The course's setup cell of this notebook. When given, the graded test
        cells run in the judge (:mod:`autograder.judge`), out of the student's
        reach; when empty, in the kernel, as nbgrader runs them.
    zygote : autograder.zygotes.ZygoteSlot or None
        The zygote that forks the kernel (its sandbox and imports made once);
        None to start the kernel from scratch. Its working and channel folders
        are then made in the zygote's runs folder, and removed at the end.

    Returns
    -------
    (NotebookNode, dict, list of str, list of str)
        The executed notebook (marker lines and integrity cells removed), the
        resources, the problems (time, memory, kernel death) and the tampering found.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    run = zygote.new_run() if zygote is not None else tmp
    try:
        return _execute_in(nb, resources, source, tmp, run, deny=deny, timeout=timeout,
                           memory_mb=memory_mb, mode=mode, sandbox=sandbox,
                           judge_setup=judge_setup, zygote=zygote)
    finally:
        if run != tmp:
            shutil.rmtree(run, ignore_errors=True)


def _execute_in(nb, resources, source: Path, tmp: Path, run: Path, *, deny, timeout: int,
                memory_mb: int | None, mode: str, sandbox: str, judge_setup: str, zygote):
    problems: list[str] = []
    work = run / "work"
    private = tmp / "grader"  # the kernelspec and the kernel's output: denied to the student
    channel = run / "channel"  # connection file, sockets and log, shared with the kernel
    shutil.copytree(source, work, symlinks=False,
                    ignore=shutil.ignore_patterns(".*", "__pycache__"))
    private.mkdir()
    channel.mkdir()
    # The channel is denied to student code too: the kernel reads it only while it
    # starts, before the audit hook is armed.
    policy = SandboxPolicy(work_dir=work, deny=tuple(deny) + (private, channel),
                           memory_mb=memory_mb,
                           log_path=channel / "violations.jsonl", mode=sandbox,
                           readable=default_readable() if sandbox == "bwrap" else ())
    kernel_name = install_kernelspec(policy, private / "kernels", {"NBGRADER_EXECUTION": mode},
                                     zygote=zygote)
    resources.setdefault("metadata", {})["path"] = str(work)
    resources.setdefault("autograder", {})

    nonce = secrets.token_hex(16)
    # With the judge, no test runs in the kernel: a fingerprint at the start and at the
    # end tells what the notebook changed; one after every test would tell nothing more.
    nb, resources = MarkGradedCells(nonce=nonce, fingerprint_every_test=not judge_setup
                                    ).preprocess(nb, resources)
    executor = SandboxExecute(timeout=timeout, interrupt_on_timeout=True,
                              notebook_timeout=NOTEBOOK_TIMEOUT_FACTOR * timeout,
                              kernel_name=kernel_name, startup_timeout=30,
                              kernel_log=str(private / "kernel.log"), judge_setup=judge_setup)
    km = kernel_manager_for(private / "kernels", kernel_name, policy)
    try:
        with setenv(NBGRADER_EXECUTION=mode):
            nb, resources = executor.preprocess(nb, resources, km=km)
    except (CellTimeoutError, DeadKernelError, RuntimeError) as error:
        if executor.current_cell < 0:
            # No cell ran: the kernel itself failed to start (e.g. two kernels started at
            # the same moment picked the same free port). Not the student's doing.
            log = private / "kernel.log"
            text = log.read_text(errors="replace") if log.is_file() else ""
            last = text.strip().splitlines()[-1:]
            detail = "; ".join([str(error) or type(error).__name__] + last)
            raise KernelStartError(detail) from error
        _explain_stop(error, executor, nb, timeout, problems)

    resources["autograder"]["baseline"] = read_baseline(policy.log_path)
    nb, resources = VerifyGradedCells(nonce=nonce).preprocess(nb, resources)
    tampering = list(resources["autograder"].get("tampering", []))
    tampering.extend(v for v in read_violations(policy.log_path) if v not in tampering)

    timed_out = _first_error(nb, "CellTimeoutError")
    if timed_out is not None and not problems:
        problems.append(f"the notebook ran longer than {timeout} s in cell {timed_out + 1}")
    memory = _first_error(nb, "MemoryError")
    if memory is not None and memory_mb:
        problems.append(f"the notebook used more than {memory_mb} MB of memory "
                        f"(in cell {memory + 1})")
    return nb, resources, problems, tampering


def _execute_notebook(job: Job, source: NotebookSource, submitted: Path,
                      tmp: Path, zygote) -> NotebookOutcome:
    nb = nbformat.read(str(submitted / f"{source.name}.ipynb"), as_version=4)
    resources = {"nbgrader": {"notebook": source.name, "assignment": job.assignment,
                              "student": job.student_id}}
    for step in (ClearOutput(), DeduplicateIds(), DropEmptyMetadata()):
        nb, resources = step.preprocess(nb, resources)
    if source.cells.kernelspec:   # what nbgrader's OverwriteKernelspec does
        nb.metadata["kernelspec"] = dict(source.cells.kernelspec)
    nb = RestoreGradedCells().restore(nb, resources, source.cells)
    nb, resources = CheckCellMetadata().preprocess(nb, resources)
    nb, resources, problems, tampering = execute_sandboxed(
        nb, resources, submitted, tmp, deny=job.deny + (submitted,), timeout=job.timeout,
        memory_mb=job.memory_mb, sandbox=job.sandbox, judge_setup=source.setup, zygote=zygote)
    for step in (LimitOutput(), CheckCellMetadata()):
        nb, resources = step.preprocess(nb, resources)
    return NotebookOutcome(source.name, problems=problems, tampering=tampering,
                           notebook=nbformat.writes(nb))


def run_job(job: Job) -> list[NotebookOutcome]:
    """Execute every gradable notebook of ``job``; never raises for a student's doing.

    Returns one :class:`NotebookOutcome` per notebook, holding the executed
    notebook. An unexpected failure of the grader itself on one notebook
    becomes a problem of that notebook.
    """
    zygote = take_slot(job.zygotes) if job.zygotes else None
    with tempfile.TemporaryDirectory(prefix="autograder-job-") as folder:
        submitted = Path(folder) / "submitted"
        submitted.mkdir()
        _write_tree(job.files, submitted)
        return [_run_notebook(job, source, submitted, zygote) for source in job.sources]


def _run_notebook(job: Job, source: NotebookSource, submitted: Path,
                  zygote) -> NotebookOutcome:
    """One notebook, its kernel started again up to ``KERNEL_START_ATTEMPTS`` times.

    A kernel the zygote could not give is started from scratch on the next attempt.
    """
    why = "the grader could not start a kernel for this notebook"
    for _ in range(KERNEL_START_ATTEMPTS):
        with tempfile.TemporaryDirectory(prefix="autograder-run-") as tmp:
            try:
                return _execute_notebook(job, source, submitted, Path(tmp), zygote)
            except KernelStartError:
                zygote = None
                continue
            except Exception as error:  # noqa: BLE001 (one notebook's failure must not stop the class)
                detail = str(error).splitlines()[0] if str(error) else type(error).__name__
                why = f"the grader could not run this notebook ({detail[:200]})"
                break
    return NotebookOutcome(source.name, problems=[why], grader_fault=True)


def warm_up_the_judge(source_root: Path, assignments: set[str]) -> None:
    """Import what the judges' setup cells import, once, before the workers are forked.

    Each judge runs its notebook's setup cell (numpy, matplotlib, helpers):
    imported here, the forked workers find it done instead of paying for it
    per submission.
    """
    import contextlib
    import io

    for assignment in sorted(assignments):
        for path in sorted((source_root / assignment).glob("*.ipynb")):
            source = setup_cell_source(path)
            lines = [line for line in source.splitlines()
                     if line.startswith(("import ", "from ")) and "(" not in line]
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                exec("\n".join(lines), {})  # noqa: S102 (the course's own imports)
