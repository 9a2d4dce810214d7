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

Two layers confine a kernel:

- **bubblewrap** (``mode="bwrap"``, Debian's ``bubblewrap``, what Flatpak uses):
  the kernel runs in its own user, mount, PID, IPC and network namespaces as
  an unprivileged user. It sees the operating system and the Python
  environment read-only, the course's ``helpers`` read-only, its working folder
  and its channel folder (connection file, IPC sockets, log) writable, and a
  private ``/tmp`` and ``/dev/shm`` of limited size; ``solutions/``, the output
  folder, other students' folders and the gradebook do not exist in it. It has
  no network (it talks to the grader over Unix sockets), cannot see or signal
  other processes, gets only the environment variables the grader names, and
  dies with the grader. Its memory and file-size limits are set inside it,
  where it cannot raise them.
- **An audit hook** inside the kernel's own interpreter (always on): it refuses
  and logs reading the solutions, writing outside the working folder, starting
  programs, signalling other processes and native code through ctypes. PEP 578
  says it plainly: audit hooks are not a sandbox. Student code can find ways
  around it; it is defence in depth, and the only layer where bubblewrap is
  missing (macOS, a container without user namespaces): :func:`choose_sandbox`
  says so in one line at the start of every run.

In a grading run the kernel is usually forked by a zygote
(:mod:`autograder.kernel_zygote`, :mod:`autograder.zygotes`), which bubblewrap
confines once per worker; the audit hook, the limits and the working folder
are then set in the forked kernel, and the zygote empties its sandbox between
two kernels.

Neither layer protects the verdicts of test cells that run in the student's
own kernel: whatever runs there can be undone by the student's code.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AutograderError

__all__ = ["SandboxPolicy", "install_kernelspec", "kernel_manager_for", "default_deny",
           "default_readable", "course_helpers", "read_violations", "read_baseline", "KERNEL_ENV",
           "SANDBOX_CHOICES", "SandboxError", "bwrap_problem", "choose_sandbox",
           "bwrap_command"]

SANDBOX_CHOICES = ("auto", "bwrap", "none")
# The unprivileged user and group the kernel runs as inside its namespaces.
SANDBOX_UID = SANDBOX_GID = 65534
# Environment variables a sandboxed kernel receives from the grader's (all others
# are cleared: the grader's environment may hold a database password).
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "NBGRADER_EXECUTION", "COURSE_FAST",
              "MPLBACKEND", "PYTHONHASHSEED", "OPENBLAS_CORETYPE")
# Read-only system folders; each is bound when it exists (a symbolic link as a link).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt")


class SandboxError(AutograderError):
    """The sandbox asked for cannot be set up on this machine."""

# Kept single-threaded: N workers times a BLAS pool each would oversubscribe the cores.
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_LAUNCHER = Path(__file__).resolve().parent / "kernel_launcher.py"
_RELAY = Path(__file__).resolve().parent / "kernel_relay.py"
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
    "network": "the notebook tried to connect to another program or machine",
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
        refusals are appended as JSON lines. With bubblewrap its folder is the
        kernel's channel folder (connection file and sockets), writable by the
        kernel: the log is evidence, never the ground for a verdict.
    mode : str
        ``"bwrap"`` (bubblewrap namespaces plus the audit hook) or ``"none"``
        (the audit hook alone); see :func:`choose_sandbox`.
    readable : tuple of Path
        Folders a bubblewrap kernel sees read-only besides the system and the
        Python environment: the course's ``helpers`` and the kernel launcher's
        folder (:func:`default_readable`).
    helpers : Path or None
        The course's ``helpers`` package folder (:func:`course_helpers`), which
        the kernel imports by this path before the working folder is on
        ``sys.path`` (by default the one the grader imports); None to leave
        ``helpers`` to ``sys.path``.
    """

    work_dir: Path
    deny: tuple[Path, ...]
    memory_mb: int | None
    log_path: Path
    mode: str = "none"
    readable: tuple[Path, ...] = ()
    helpers: Path | None = field(default_factory=lambda: course_helpers())

    def __post_init__(self):
        self.work_dir = Path(self.work_dir).resolve()
        self.deny = tuple(Path(p).resolve() for p in self.deny)
        self.log_path = Path(self.log_path).resolve()
        self.readable = tuple(Path(p).resolve() for p in self.readable)
        self.helpers = Path(self.helpers).resolve() if self.helpers else None
        if self.helpers and not (self.helpers / "__init__.py").is_file():
            raise ValueError(f"the course's helpers folder {self.helpers} has no __init__.py")
        if self.mode not in ("bwrap", "none"):
            raise ValueError(f"expected sandbox mode 'bwrap' or 'none', got {self.mode!r}")
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

    @property
    def channel_dir(self) -> Path:
        """The folder shared with the kernel: connection file, IPC sockets, log."""
        return self.log_path.parent

    def to_json(self) -> str:
        return json.dumps({"work_dir": str(self.work_dir),
                           "deny": [str(p) for p in self.deny],
                           "memory_mb": self.memory_mb,
                           "log_path": str(self.log_path),
                           "mode": self.mode,
                           "helpers": str(self.helpers) if self.helpers else None})


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


def course_helpers() -> Path | None:
    """The folder of the ``helpers`` package the grader itself imports (and the judge uses).

    The kernel imports this very package by its path, whatever its ``sys.path``
    says: a stale editable install or a student's ``helpers/`` must not decide it.
    """
    spec = importlib.util.find_spec("helpers")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]).resolve() if locations else None


def default_readable() -> tuple[Path, ...]:
    """What a bubblewrap kernel must read besides the system and Python: helpers, the launcher."""
    helpers = course_helpers()
    found = [Path(__file__).resolve().parent] + ([helpers] if helpers else [])
    return tuple(dict.fromkeys(found))


def _python_roots() -> list[Path]:
    """The folders of the running Python: its prefixes and site-packages, nothing else.

    Not every folder on ``sys.path``: the grader's working directory is often on
    it, and the instructor's files there are none of the kernel's business.
    """
    import site

    roots = [Path(os.path.realpath(p)) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)]
    roots.append(Path(os.path.realpath(sys.executable)).parent)
    packages = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        packages.append(site.getusersitepackages())
    roots += [Path(os.path.realpath(p)) for p in packages if os.path.isdir(p)]
    roots = [r for r in roots if r.exists()]
    kept: list[Path] = []
    for root in sorted(set(roots), key=lambda p: len(p.parts)):
        if not any(root == k or k in root.parents for k in kept):
            kept.append(root)
    return kept


def _system_binds() -> list[str]:
    args: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    return args


def bwrap_command(policy: SandboxPolicy, env: dict[str, str] | None = None) -> list[str]:
    """The ``bwrap`` command line (without the program) that confines a kernel to ``policy``.

    ``env`` is the whole environment the kernel gets: bubblewrap clears the
    grader's and sets only these variables.
    """
    exe = shutil.which("bwrap") or "bwrap"
    size = str((policy.memory_mb or 1024) * 2**20)
    args = [exe, "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--hostname", "sandbox"]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", "/dev/shm"]
    bound = [r for r in _python_roots() + list(policy.readable)
             if not any(r.is_relative_to(p) for p in ("/usr", "/etc", "/opt"))]
    for root in bound:
        # A folder the kernel may not see is never bound, even inside the environment.
        if any(root == d or d in root.parents for d in policy.deny):
            continue
        args += ["--ro-bind", str(root), str(root)]
    for denied in policy.deny:  # hidden where a bound folder holds it
        if denied.is_dir() and any(root in denied.parents for root in bound):
            args += ["--tmpfs", str(denied)]
    args += ["--bind", str(policy.work_dir), str(policy.work_dir),
             "--bind", str(policy.channel_dir), str(policy.channel_dir),
             "--chdir", str(policy.work_dir), "--clearenv"]
    for name, value in sorted((env or {}).items()):
        args += ["--setenv", name, value]
    return args


@functools.cache
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot confine kernels on this machine, or None when it can."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed"
    probe = [exe, "--unshare-all", "--die-with-parent", "--uid", str(SANDBOX_UID),
             "--gid", str(SANDBOX_GID), *_system_binds(), "--proc", "/proc", "--dev", "/dev",
             "--tmpfs", "/tmp", "true"]
    try:
        run = subprocess.run(probe, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not be started ({error})"
    if run.returncode != 0:
        detail = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
        return f"bubblewrap cannot create namespaces here ({detail})"
    return None


def choose_sandbox(requested: str = "auto") -> tuple[str, str]:
    """The sandbox mode for ``--sandbox requested`` and one line saying what it guarantees.

    ``auto`` takes bubblewrap when it works here and falls back to the audit
    hook alone otherwise; ``bwrap`` raises :class:`SandboxError` when it does
    not work; ``none`` keeps the audit hook alone.
    """
    if requested not in SANDBOX_CHOICES:
        raise SandboxError(f"--sandbox must be one of {', '.join(SANDBOX_CHOICES)}, "
                           f"got {requested!r}")
    if requested == "none":
        return "none", ("kernel sandbox: off (--sandbox none); student code runs with the "
                        "grader's rights, watched only by an audit hook inside its kernel")
    problem = bwrap_problem()
    if problem is None:
        return "bwrap", ("kernel sandbox: bubblewrap (an unprivileged user, read-only Python, "
                         "only its own folder writable, private /tmp, no network, no other "
                         "processes)")
    if requested == "bwrap":
        raise SandboxError(f"--sandbox bwrap was asked for, but {problem}")
    return "none", (f"kernel sandbox: not available ({problem}); student code runs with the "
                    "grader's rights, watched only by an audit hook inside its kernel")


def install_kernelspec(policy: SandboxPolicy, kernels_dir: str | os.PathLike,
                       env: dict[str, str] | None = None, zygote=None) -> str:
    """Write a kernelspec for ``policy`` into ``kernels_dir/<name>/``; return ``<name>``.

    Use it with ``km=kernel_manager_for(kernels_dir, name)`` (nbclient's
    ``NotebookClient`` or nbgrader's ``Execute.preprocess(nb, resources, km=km)``),
    or, for code that builds its own kernel manager, name ``kernels_dir`` as
    ``X/kernels`` and put ``X`` first on ``JUPYTER_PATH``. ``env`` adds
    variables the kernel must see (``NBGRADER_EXECUTION``): a bubblewrap kernel
    gets no others but :data:`PASSED_ENV` from the grader's environment.

    With ``zygote`` (a :class:`autograder.zygotes.ZygoteSlot`), the kernel is
    forked by that zygote: the kernelspec starts the relay
    (:mod:`autograder.kernel_relay`), which hands the zygote the same command
    line and environment. The policy's working and channel folders must then
    lie in the slot's runs folder, in one run folder.
    """
    if not isinstance(policy, SandboxPolicy):
        raise TypeError(f"expected a SandboxPolicy, got {type(policy).__name__}")
    name = "autograder-sandbox"
    folder = Path(kernels_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(KERNEL_ENV, **(env or {}))
    env["AUTOGRADER_SANDBOX"] = policy.to_json()
    argv = [sys.executable, "-c", _BOOT, str(_LAUNCHER), "-f", "{connection_file}"]
    spec = {
        "argv": argv,
        "display_name": "Python 3 (autograder sandbox)",
        "language": "python",
        "env": env,
        "metadata": {"debugger": False},
    }
    inner = None
    if policy.mode == "bwrap":
        inner = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        inner.update(env, HOME="/tmp")
        spec["argv"] = bwrap_command(policy, inner) + argv
        # No signal reaches a kernel in its own PID namespace and session: interrupts
        # travel as messages on the control channel.
        spec["interrupt_mode"] = "message"
        spec["env"] = {}
    if zygote is not None:
        run = policy.work_dir.parent
        if run.parent != Path(zygote.runs).resolve() or policy.channel_dir.parent != run:
            raise ValueError(f"a zygote's kernel works in one folder of {zygote.runs}")
        env_file = "-"
        if inner is not None:   # the whole environment, as bubblewrap would set it
            env_file = str(folder / "kernel-env.json")
            Path(env_file).write_text(json.dumps(inner), encoding="utf-8")
        spec["argv"] = [sys.executable, "-I", "-S", str(_RELAY), str(zygote.socket), env_file,
                        run.name, "-f", "{connection_file}"]
        # The relay is not the kernel: a signal would stop the relay, and the kernel with it.
        spec["interrupt_mode"] = "message"
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return name


def kernel_manager_for(kernels_dir: str | os.PathLike, kernel_name: str,
                       policy: SandboxPolicy | None = None, **kwargs):
    """An ``AsyncKernelManager`` that starts ``kernel_name`` from ``kernels_dir``.

    With a ``policy``, the connection file (and the judge's socket beside it)
    lives in the policy's channel folder, which student code may not read. With
    a bubblewrap policy the kernel has no network: it is reached over Unix
    sockets (ZeroMQ's ``ipc`` transport) in that folder too.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    specs = KernelSpecManager(kernel_dirs=[str(kernels_dir)])
    kwargs.setdefault("client_class", "autograder.kernelclient.ReadyClient")
    if policy is not None:
        kwargs.setdefault("connection_file", str(policy.channel_dir / "connection.json"))
    if policy is not None and policy.mode == "bwrap":
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", str(policy.channel_dir / "kernel"))
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
