"""Start an IPython kernel confined by the grader's sandbox policy.

Run by the kernelspec that :func:`autograder.sandbox.install_kernelspec` writes
(``python -c BOOT -f CONNECTION_FILE``, or ``python -m autograder.kernel_launcher
-f CONNECTION_FILE``). It reads the policy from ``AUTOGRADER_SANDBOX``, then,
before any student code can run: limits the process's memory, moves into the
working folder, imports numpy and ``helpers`` so their pristine state exists,
logs a baseline fingerprint (:mod:`autograder.integrity`), and installs an audit
hook (which cannot be removed) that refuses and logs reading or writing the
denied folders, writing outside the working folder, starting programs,
signalling other processes and native-code tricks through ``ctypes``.
ipykernel is initialised before the hook is armed and started after.

Only the standard library is imported at module level, and the module does not
import the ``autograder`` package (which pulls in nbgrader): the kernel starts
fast and student code finds nothing of the grader's in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import resource
import sys

__all__ = ["POLICY_ENV", "main", "prepare", "launch", "make_audit_hook", "set_memory_limit",
           "die_with_parent"]

POLICY_ENV = "AUTOGRADER_SANDBOX"

# Imported before the hook is armed, with every module of the course's helpers
# package (found by walking it, so a new module needs no entry here).
PREIMPORTS = ("numpy", "numpy.testing", "numpy.linalg", "math", "operator", "ctypes",
              "matplotlib.font_manager",  # builds its font cache (runs fc-list) before the hook
              "matplotlib", "helpers")

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

# Events with no path to check: everything that starts another program or replaces
# this one. (multiprocessing's spawn reaches _posixsubprocess without an event, but
# it first needs os.fork or subprocess, or a pipe to a forkserver that forks.)
_PROGRAM_EVENTS = frozenset({
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "pty.spawn", "os.startfile", "_posixsubprocess.fork_exec",
})
# A Python socket sending to an address: connect (TCP, or a Unix socket's path) and
# datagrams. Bubblewrap also gives the kernel no network; without it this is the wall
# between a notebook and a gradebook server on 127.0.0.1.
_NETWORK_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
# ctypes events that read or write arbitrary memory or call native functions.
_NATIVE_EVENTS = frozenset({
    "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata", "ctypes.PyObj_FromPtr",
    "ctypes.call_function", "ctypes.set_errno", "ctypes.get_errno",
})
# event -> (index of a path read, indexes of paths written)
_PATH_EVENTS = {
    "os.listdir": ((0,), ()), "os.scandir": ((0,), ()), "os.chdir": ((0,), ()),
    "glob.glob": ((0,), ()), "os.remove": ((), (0,)), "os.rmdir": ((), (0,)),
    "os.mkdir": ((), (0,)), "os.rename": ((), (0, 1)), "os.symlink": ((), (1,)),
    "os.link": ((0,), (1,)), "os.truncate": ((), (0,)), "os.chmod": ((), (0,)),
    "os.chown": ((), (0,)), "os.utime": ((), (0,)), "os.chflags": ((), (0,)),
    "os.mkfifo": ((), (0,)), "os.mknod": ((), (0,)), "os.setxattr": ((), (0,)),
    "os.removexattr": ((), (0,)), "shutil.rmtree": ((), (0,)),
}


def set_memory_limit(memory_mb: int | None) -> None:
    """Cap this process's data segment (heap and private mappings) at ``memory_mb``.

    RLIMIT_DATA rather than RLIMIT_AS: since Linux 4.7 it counts private
    writable mappings, i.e. what numpy and Python allocate, but not address
    space merely reserved (thread stacks, shared libraries), so the limit means
    "MB of memory" rather than "MB of address space".
    """
    if not memory_mb:
        return
    limit = int(memory_mb) * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    # Files the notebook writes (in its own folder) may not fill the disk either.
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    size = min(limit, hard) if hard != resource.RLIM_INFINITY else limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    for root in roots:
        if path == root or path.startswith(root + os.sep):
            return True
    return False


def make_audit_hook(deny, writable, log_fd: int):
    """The audit hook that enforces the policy; returns ``hook(event, args)``.

    Parameters
    ----------
    deny : sequence of str
        Resolved folders that may be neither read nor written.
    writable : sequence of str
        Resolved folders where writing is allowed (the working folder).
    log_fd : int
        File descriptor, opened before the hook is armed, receiving one JSON
        line per refusal.
    """
    import _thread
    from pathlib import Path, PosixPath, PurePath, PurePosixPath

    deny = tuple(os.path.realpath(p) for p in deny)
    writable = tuple(os.path.realpath(p) for p in writable) + ("/dev/null",)
    own_pid = os.getpid()
    own_group = os.getpgid(0)
    proc_self = f"/proc/{own_pid}"
    realpath, isabs, fsdecode, write, dumps = (os.path.realpath, os.path.isabs, os.fsdecode,
                                               os.write, json.dumps)
    get_ident = _thread.get_ident
    DirEntry = type(next(os.scandir("/")))
    plain_paths = (str, bytes)
    pure_types = (Path, PosixPath, PurePath, PurePosixPath)
    prefixes = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})
    busy: set[int] = set()

    messages = {
        "read": "the grader does not let notebooks read the course's solutions or its files",
        "write": "the grader does not let notebooks write to its files",
        "outside": "the grader does not let notebooks write outside their own folder",
        "program": "the grader does not let notebooks start other programs",
        "signal": "the grader does not let notebooks stop other processes",
        "native": "the grader does not let notebooks use native code through ctypes",
        "network": "the grader does not let notebooks connect to other programs or machines",
    }

    def text_path(value):
        """``value`` as a str, None for a file descriptor, False for an odd path object."""
        kind = type(value)
        if kind in plain_paths:
            return fsdecode(value)
        if kind is int or value is None:
            return None
        if kind in pure_types:
            return str(value)
        if kind is DirEntry:
            return value.path
        return False  # a custom __fspath__ could answer differently when open() asks

    def denied_read(path):
        if path is None:
            return False
        if path is False:
            return True
        full = realpath(path)
        if _inside(full, deny):
            return True
        # Another process's memory, environment or files through /proc.
        if full.startswith("/proc/") and not _inside(full, (proc_self,)):
            part = full[6:].split("/", 1)[0]
            return part.isdigit()
        return False

    def write_kind(path):
        if path is None:
            return None
        if path is False:
            return "write"
        full = realpath(path)
        if _inside(full, deny):
            return "write"
        if not _inside(full, writable):
            return "outside"
        return None

    def check(event, args):
        if event == "open":
            path, mode, flags = args
            path = text_path(path)
            if path is None:
                return None
            if mode is None:  # os.open: flags tell; dir_fd is invisible to the hook
                writing = bool(flags & _WRITE_FLAGS)
                if path is not False and not isabs(path) and ".." in path.split(os.sep):
                    return "read", path
                if path is not False and any(d.startswith(realpath(path).rstrip(os.sep)
                                                          + os.sep) for d in deny):
                    return "read", path  # a descriptor of a folder above a denied one
            else:
                writing = any(c in mode for c in "wax+")
            if writing:
                kind = write_kind(path)
                if kind:
                    return kind, path
            if denied_read(path):
                return "read", path
            return None
        if event in _PATH_EVENTS:
            reads, writes = _PATH_EVENTS[event]
            for i in reads:
                path = text_path(args[i]) if i < len(args) else None
                if denied_read(path):
                    return "read", path
            for i in writes:
                path = text_path(args[i]) if i < len(args) else None
                kind = write_kind(path)
                if kind:
                    return kind, path
            return None
        if event in _PROGRAM_EVENTS:
            return "program", str(args[0])[:200] if args else ""
        if event == "os.kill":
            pid = args[0]
            return None if pid == own_pid else ("signal", str(pid))
        if event == "os.killpg":
            # ipykernel interrupts itself through its own process group (a sandboxed
            # kernel leads its own session); any other group is someone else's.
            return None if args[0] == own_group == own_pid else ("signal", str(args[0]))
        if event in _NETWORK_EVENTS:
            # The kernel's own channels are libzmq's, made before the hook: a Python
            # socket that reaches out is the notebook's (the gradebook's server, the
            # judge's port, another machine).
            return "network", str(args[1])[:200] if len(args) > 1 else ""
        if event in _NATIVE_EVENTS:
            return "native", event
        if event == "ctypes.dlopen":
            name = args[0]
            if isinstance(name, (str, bytes)):
                full = realpath(fsdecode(name))
                if isabs(fsdecode(name)) and _inside(full, prefixes):
                    return None
            return "native", str(name)[:200]
        return None

    watched = frozenset({"open", "os.kill", "os.killpg", "ctypes.dlopen", "sys.addaudithook"}
                        | set(_PATH_EVENTS) | _PROGRAM_EVENTS | _NATIVE_EVENTS
                        | _NETWORK_EVENTS)

    def log(entry):
        try:
            write(log_fd, (dumps(entry) + "\n").encode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 (a closed or full log must not break the kernel)
            pass

    def hook(event, args):
        if event not in watched:
            return
        thread = get_ident()
        if thread in busy:
            return
        busy.add(thread)
        try:
            if event == "sys.addaudithook":
                log({"event": event, "kind": "hook"})
                return
            try:
                found = check(event, args)
            except Exception:  # noqa: BLE001 (malformed arguments: the call fails on its own)
                found = None
            if found is None:
                return
            kind, detail = found
            log({"event": event, "kind": kind, "detail": str(detail)[:300]})
        finally:
            busy.discard(thread)
        raise PermissionError(messages[kind])

    return hook


def _load(name: str):
    """autograder/<name>.py, loaded by path so the package (and nbgrader) stay out."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_autograder_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _import_package(name: str, folder: str) -> None:
    """Import the package in ``folder`` as ``name``, whatever ``sys.path`` holds."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        name, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def _import_submodules(package: str) -> None:
    """Import every module of an imported ``package`` (an ImportError is left to the notebook)."""
    import importlib
    import pkgutil

    module = sys.modules.get(package)
    for found in pkgutil.walk_packages(getattr(module, "__path__", []), f"{package}.",
                                       onerror=lambda name: None):
        try:
            importlib.import_module(found.name)
        except ImportError:
            pass


def die_with_parent() -> None:
    """On Linux, have this process killed when the process that started it dies.

    jupyter_client starts a kernel in a session of its own, so killing a grading
    job (past its deadline, or a Ctrl-C) would otherwise leave its kernel running.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def prepare(helpers: str | None) -> None:
    """Import what every kernel imports, before any policy applies; once per process.

    The kernel's own start calls it; a zygote (:mod:`autograder.kernel_zygote`)
    calls it once and forks a kernel per submission from the result. The
    course's modules are imported before any submission's folder is on the path:
    a student's own ``ctypes.py`` or ``helpers.py`` beside the notebook must not
    replace them (nor run before the hook is armed, nor become the baseline).
    """
    if not os.environ.get("MPLBACKEND"):  # what ipykernel would set, before matplotlib loads
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    here = {"", ".", os.getcwd()}
    sys.path[:] = [p for p in sys.path if p not in here]
    import importlib
    if helpers:
        try:
            _import_package("helpers", helpers)
        except ImportError:
            pass  # as for the other modules: the notebook's own import then says what is missing
    for name in PREIMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    _import_submodules("helpers")
    # ipykernel's own modules, so that a forked kernel only initialises them.
    import ipykernel.kernelapp  # noqa: F401


def launch(policy: dict, argv: list[str]) -> None:
    """Apply ``policy`` to this process and run ipykernel with ``argv`` until it ends.

    :func:`prepare` has run (in this process, or in the zygote it was forked from).
    """
    work_dir = os.path.realpath(policy["work_dir"])
    set_memory_limit(policy.get("memory_mb"))

    # Per-kernel IPython and temp folders inside the working folder: nothing one
    # submission writes there can reach the next one's kernel.
    import shutil
    import tempfile
    for name, sub in (("IPYTHONDIR", ".ipython"), ("TMPDIR", ".tmp")):
        folder = os.path.join(work_dir, sub)
        shutil.rmtree(folder, ignore_errors=True)  # never a student's startup files
        os.makedirs(folder)
        os.environ[name] = folder
    tempfile.tempdir = None
    os.chdir(work_dir)
    here = {"", ".", work_dir}
    sys.path[:] = [p for p in sys.path if p not in here]
    # A module imported later (by the notebook) is compiled in memory: its bytecode
    # cache would be a write into the course's or Python's folders.
    sys.dont_write_bytecode = True
    sys.path.insert(0, work_dir)
    # The kernel is set up completely (sockets, IPython shell, network interfaces)
    # before the hook is armed: its own start-up opens files and runs `uname`.
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize(list(argv) + ["--HistoryManager.enabled=False"])

    log_fd = os.open(policy["log_path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                     0o600)
    # The judge's calls are answered by the agent (autograder/agent.py).
    # Its socket sits beside the connection file, in the channel folder only the
    # grader and this kernel can reach; it is bound now, before the hook is armed.
    _load("agent").install(app.kernel, os.path.join(os.path.dirname(policy["log_path"]),
                                                    "judge.sock"))
    baseline = _load("integrity").baseline_fingerprint()
    os.write(log_fd, (json.dumps({"baseline": baseline}) + "\n").encode())
    # Under bubblewrap /tmp and /dev/shm are the kernel's own (a zygote's are emptied
    # between two kernels).
    private = ["/tmp", "/dev/shm"] if policy.get("mode") == "bwrap" else []
    sys.addaudithook(make_audit_hook(policy.get("deny", []), [work_dir, *private], log_fd))
    app.start()


def main(argv: list[str] | None = None) -> None:
    """Apply the policy in ``AUTOGRADER_SANDBOX`` and start ipykernel with ``argv``.

    ``--zygote CONFIG`` instead makes this process a kernel zygote
    (:mod:`autograder.kernel_zygote`), which forks a kernel per request.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--zygote"]:
        import types

        this = types.SimpleNamespace(prepare=prepare, launch=launch,
                                     die_with_parent=die_with_parent, POLICY_ENV=POLICY_ENV)
        _load("kernel_zygote").main(argv[1:], this)
        return
    die_with_parent()
    policy = json.loads(os.environ[POLICY_ENV])
    prepare(policy.get("helpers"))
    launch(policy, argv)

if __name__ == "__main__":
    main()
