"""The sandboxed kernel a submission runs in: its policy, its kernelspec, its log.

A :class:`SandboxPolicy` names the working folder (a fresh copy of the
submission), the folders student code may neither read nor write, the memory
limit and the log where refusals are written. :func:`install_kernelspec`
writes a kernelspec whose kernel is :mod:`autograder.kernel_launcher`; run a
notebook in it with nbgrader's ``Execute`` / nbclient and
``km=kernel_manager_for(kernels_dir, name)`` (or ``JUPYTER_PATH``, see
:func:`install_kernelspec`). Afterwards :func:`read_violations` gives the
refusals as sentences for the student and :func:`read_baseline` the
fingerprint taken before any student code ran.

The sandbox is an audit hook inside the kernel's own interpreter: it stops the
classes of tampering the course has seen (reading the solutions, writing the
gradebook, starting programs, killing the grader, memory bombs), not an
attacker with a kernel exploit. Run the grader as a user without write access
to the course when that matters.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SandboxPolicy", "install_kernelspec", "kernel_manager_for", "default_deny",
           "read_violations", "read_baseline", "KERNEL_ENV"]

# Kept single-threaded: N workers times a BLAS pool each would oversubscribe the cores.
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_LAUNCHER = Path(__file__).resolve().parent / "kernel_launcher.py"
# Loads the launcher by path: ``-m autograder.kernel_launcher`` would import the
# ``autograder`` package and nbgrader with it (about 1.5 s per kernel).
_BOOT = ("import importlib.util as u, sys; "
         "s = u.spec_from_file_location('_autograder_kernel_launcher', sys.argv[1]); "
         "m = u.module_from_spec(s); s.loader.exec_module(m); m.main(sys.argv[2:])")

_REASONS = {
    "read": "the notebook tried to read the course's solutions or the grader's files",
    "write": "the notebook tried to write to the grader's files",
    "outside": "the notebook tried to write files outside its own folder",
    "program": "the notebook tried to start another program",
    "signal": "the notebook tried to stop another process",
    "native": "the notebook tried to run native code through ctypes",
    "hook": "the notebook installed an audit hook",
}


@dataclass
class SandboxPolicy:
    """What a sandboxed kernel may do.

    Parameters
    ----------
    work_dir : Path
        A fresh folder holding only the submission copy; the kernel's cwd and
        the only place it may write.
    deny : tuple of Path
        Folders it may neither read nor write (``solutions/``, the grading
        output, the submissions, the course's ``.git``, the sandbox's own
        folder).
    memory_mb : int or None
        Limit of the kernel's data segment in MB; None for no limit.
    log_path : Path
        File, outside ``work_dir`` (best inside a denied folder), to which
        refusals are appended as JSON lines.
    """

    work_dir: Path
    deny: tuple[Path, ...]
    memory_mb: int | None
    log_path: Path

    def __post_init__(self):
        self.work_dir = Path(self.work_dir).resolve()
        self.deny = tuple(Path(p).resolve() for p in self.deny)
        self.log_path = Path(self.log_path).resolve()
        if not self.work_dir.is_dir():
            raise ValueError(f"the sandbox's working folder {self.work_dir} does not exist")
        if self.memory_mb is not None and int(self.memory_mb) <= 0:
            raise ValueError(f"expected a positive memory limit in MB, got {self.memory_mb}")
        for denied in self.deny:
            if self.work_dir == denied or denied in self.work_dir.parents:
                raise ValueError(f"the working folder {self.work_dir} is inside the denied "
                                 f"folder {denied}")
        if self.work_dir in self.log_path.parents:
            raise ValueError(f"the sandbox log {self.log_path} must be outside the working "
                             f"folder {self.work_dir}")

    def to_json(self) -> str:
        return json.dumps({"work_dir": str(self.work_dir),
                           "deny": [str(p) for p in self.deny],
                           "memory_mb": self.memory_mb,
                           "log_path": str(self.log_path)})


def default_deny(course_root: str | os.PathLike, *others: str | os.PathLike) -> tuple[Path, ...]:
    """Everything of the course a kernel need not read, plus ``others``.

    Every entry of ``course_root`` except ``helpers/`` (imported by the
    notebooks), ``notebooks/`` (the released versions) and ``autograder/``
    (the launcher itself): ``solutions/``, ``tests/`` (which hold right
    answers), ``.git`` (whose history holds the hidden tests), ...
    """
    root = Path(course_root).resolve()
    keep = {"helpers", "notebooks", "autograder"}
    denied = [p for p in root.iterdir() if p.name not in keep]
    return tuple(denied) + tuple(Path(p).resolve() for p in others)


def install_kernelspec(policy: SandboxPolicy, kernels_dir: str | os.PathLike) -> str:
    """Write a kernelspec for ``policy`` into ``kernels_dir/<name>/``; return ``<name>``.

    Use it with ``km=kernel_manager_for(kernels_dir, name)`` (nbclient's
    ``NotebookClient`` or nbgrader's ``Execute.preprocess(nb, resources, km=km)``),
    or, for code that builds its own kernel manager, name ``kernels_dir`` as
    ``X/kernels`` and put ``X`` first on ``JUPYTER_PATH``.
    """
    if not isinstance(policy, SandboxPolicy):
        raise TypeError(f"expected a SandboxPolicy, got {type(policy).__name__}")
    name = "autograder-sandbox"
    folder = Path(kernels_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(KERNEL_ENV)
    env["AUTOGRADER_SANDBOX"] = policy.to_json()
    spec = {
        "argv": [sys.executable, "-c", _BOOT, str(_LAUNCHER), "-f", "{connection_file}"],
        "display_name": "Python 3 (autograder sandbox)",
        "language": "python",
        "env": env,
        "metadata": {"debugger": False},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return name


def kernel_manager_for(kernels_dir: str | os.PathLike, kernel_name: str, **kwargs):
    """An ``AsyncKernelManager`` that starts ``kernel_name`` from ``kernels_dir``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    specs = KernelSpecManager(kernel_dirs=[str(kernels_dir)])
    return AsyncKernelManager(kernel_name=kernel_name, kernel_spec_manager=specs, **kwargs)


def _log_entries(log_path: str | os.PathLike) -> list[dict]:
    path = Path(log_path)
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def read_violations(log_path: str | os.PathLike) -> list[str]:
    """The refusals logged by a sandboxed kernel, as deduplicated sentences for a student."""
    reasons = [_REASONS.get(e.get("kind"), "the notebook did something the grader forbids")
               for e in _log_entries(log_path) if "kind" in e]
    return list(dict.fromkeys(reasons))


def read_baseline(log_path: str | os.PathLike) -> dict | None:
    """The fingerprint the launcher logged before the kernel ran any cell, or None."""
    for entry in _log_entries(log_path):
        if isinstance(entry.get("baseline"), dict):
            return entry["baseline"]
    return None
