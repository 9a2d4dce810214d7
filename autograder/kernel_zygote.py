"""A kernel zygote: imported once, it forks a fresh kernel for every submission.

Starting a kernel costs about a second, most of it importing numpy,
matplotlib, ipykernel and the course's ``helpers``. A zygote does those imports
once (:func:`kernel_launcher.prepare`) and then serves one request at a time
on a listening Unix socket it inherits from the grader: a relay
(:mod:`autograder.kernel_relay`), which jupyter_client started as "the kernel",
sends the kernel's command line, its environment and its output descriptors;
the zygote forks a child, which takes the submission's policy
(:func:`kernel_launcher.launch`: limits, working folder, audit hook) and runs
ipykernel. The relay tells the zygote when the grader is done with the kernel
(it closes its connection, or dies); the zygote then kills the kernel.

Isolation between two submissions. With bubblewrap the grader starts each
zygote in a sandbox of its own, as the process of PID 1 of its PID namespace,
and a zygote serves one worker, so one kernel at a time. Before it forks the
next kernel, the zygote:

- kills every other process of the sandbox (``kill(-1, SIGKILL)`` from PID 1
  reaches all of them and nothing outside) and reaps them;
- empties the sandbox's ``/tmp`` and ``/dev/shm`` and its runs folder (where
  each submission's working and channel folders are made, by the grader)
  except the folder of the run it is about to start;
- checks that nothing is left: no other process, no System V IPC object, no
  file it could not remove. If anything is, it exits instead of serving, and
  the grader starts a new zygote in a new sandbox.

A forked kernel is a new process: its modules, globals and memory are the
zygote's pristine copy, never the previous kernel's. The zygote is not
dumpable, so a kernel (the same user inside the sandbox) cannot trace it or
read its memory; signals from inside the namespace do not reach PID 1.

Without bubblewrap (``--sandbox none``) the zygote runs as the grader's user,
as kernels then do; it kills the kernel's session and any process left behind
(it is their subreaper).

Only the standard library is imported at module level and the ``autograder``
package is never imported (see :mod:`autograder.kernel_launcher`).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sys

__all__ = ["main"]

REQUEST_LIMIT = 1 << 20   # bytes of one request (the command line and the environment)
_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36
_SYSV = ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg")


def _prctl(option: int, value: int) -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _read_request(conn: socket.socket) -> tuple[dict, list[int]]:
    """One request: a JSON line, with the kernel's stdout and stderr descriptors."""
    data, fds, _, _ = socket.recv_fds(conn, 65536, 4)
    try:
        while not data.endswith(b"\n"):
            more = conn.recv(65536)
            if not more or len(data) > REQUEST_LIMIT:
                raise ValueError("an incomplete request")
            data += more
        request = json.loads(data)
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return request, list(fds)


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall((json.dumps(message) + "\n").encode())
    except OSError:
        pass  # the relay is gone: the kernel is killed all the same


def _mount_points() -> set[str]:
    """Every mount point this process sees (bubblewrap binds folders inside the tmpfs /tmp)."""
    import re

    points = set()
    try:
        with open("/proc/self/mountinfo") as handle:
            for line in handle:
                field = line.split()[4]
                points.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field))
    except OSError:
        pass
    return points


def _empty(folder: str, keep: str = "", mounts: frozenset = frozenset()) -> list[str]:
    """Remove everything in ``folder`` but ``keep``; the entries that could not be removed.

    A mount point in it is left alone, and a folder holding one is emptied around it.
    """
    import shutil

    def writable_again(function, path, _):
        # A folder made unwritable or unreadable by the kernel (the zygote owns it).
        for target in (os.path.dirname(path), path):
            try:
                os.chmod(target, 0o700, follow_symlinks=False)
            except OSError:
                pass
        try:
            function(path)
        except FileNotFoundError:
            pass

    left = []
    try:
        os.chmod(folder, 0o700 if folder != "/tmp" and folder != "/dev/shm" else 0o1777)
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        path = os.path.join(folder, name)
        if name == keep or path in mounts:
            continue
        if any(point.startswith(path + os.sep) for point in mounts):
            left += _empty(path, "", mounts)
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
                shutil.rmtree(path, onerror=writable_again)
            else:
                os.unlink(path)
        except OSError:
            pass
        if os.path.lexists(path):
            left.append(path)
    return left


class Zygote:
    """The serving loop; ``sandboxed`` when it is PID 1 of a bubblewrap sandbox."""

    def __init__(self, listener: socket.socket, config: dict, launcher, lifeline: int = -1):
        self.listener = listener
        self.lifeline = lifeline
        self.config = config
        self.launcher = launcher
        self.sandboxed = config.get("mode") == "bwrap" and os.getpid() == 1
        self.runs = config.get("runs") or ""
        self.child = 0

    # -- between two kernels ---------------------------------------------------
    def kill_all(self) -> None:
        """Kill the kernel and everything it started, and reap them all."""
        import time

        for _ in range(1000):
            if self.sandboxed:
                targets = [-1]   # from PID 1: every other process of the sandbox
            else:
                targets = ([-self.child] if self.child else []) + self._children()
            for target in targets:
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            self._reap()
            if not self._children():
                break
            time.sleep(0.002)
        self.child = 0

    @staticmethod
    def _children() -> list[int]:
        found = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as handle:
                    found += [int(p) for p in handle.read().split()]
            except OSError:
                pass
        return found

    @staticmethod
    def _reap() -> dict[int, int]:
        """Collect every child that has ended: pid -> wait status."""
        ended = {}
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return ended
            if pid == 0:
                return ended
            ended[pid] = status

    def leftovers(self, keep: str | None = None) -> list[str]:
        """Empty the shared places; what a previous kernel left that cannot be removed.

        The runs folder is emptied (but for ``keep``) only before a kernel starts:
        after one, the grader still reads its run's folder.
        """
        left = []
        if self.runs and keep is not None:
            left += _empty(self.runs, keep)
        if self.sandboxed:
            mounts = frozenset(_mount_points())
            for folder in ("/tmp", "/dev/shm"):
                left += _empty(folder, "", mounts)
            for table in _SYSV:
                try:
                    with open(table) as handle:
                        if len(handle.read().strip().splitlines()) > 1:
                            left.append(table)
                except OSError:
                    pass
            others = [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
            left += [f"/proc/{p}" for p in others]
        return left

    # -- one kernel ------------------------------------------------------------
    def serve(self, conn: socket.socket) -> bool:
        """Run one kernel for the relay on ``conn``; False when the zygote must stop."""
        try:
            request, fds = _read_request(conn)
        except (OSError, ValueError) as error:
            _send(conn, {"error": f"unreadable request ({error})"})
            return True
        if request.get("ping") and not fds:
            # A job that has just taken this zygote: answered only now that the previous
            # job's kernel is dead and the sandbox empty, before the new job makes its
            # run's folder (which a kernel still alive could otherwise read).
            _send(conn, {"idle": True})
            return True
        try:
            problem = self._check(request, fds)
            if problem:
                _send(conn, {"error": problem})
                return True
            left = self.leftovers(keep=request.get("run", ""))
            if left:
                _send(conn, {"error": f"the zygote's sandbox is not clean ({left[0]})"})
                return False
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                self._become_kernel(request, fds, conn)
            self.child = pid
        finally:
            for fd in fds:
                os.close(fd)
        _send(conn, {"started": True})
        status = self._watch(conn, pid)
        self.kill_all()
        if status is not None:
            _send(conn, {"exited": os.waitstatus_to_exitcode(status)})
        return not self.leftovers()

    def _check(self, request: dict, fds: list[int]) -> str:
        if len(fds) != 2:
            return "a request needs the kernel's stdout and stderr"
        if not isinstance(request.get("argv"), list) or not isinstance(request.get("env"), dict):
            return "a request needs the kernel's argv and env"
        try:
            policy = json.loads(request["env"][self.launcher.POLICY_ENV])
        except (KeyError, TypeError, ValueError):
            return "a request needs the kernel's sandbox policy"
        if policy.get("helpers") != self.config.get("helpers"):
            return "this zygote imported another helpers package than the policy names"
        if (policy.get("mode") == "bwrap") != self.sandboxed:
            return "this zygote's sandbox is not the policy's"
        run = request.get("run", "")
        if self.runs and (not run or os.sep in run or run in (".", "..")):
            return "a request needs the name of its run's folder"
        return ""

    def _watch(self, conn: socket.socket, pid: int) -> int | None:
        """Wait until the kernel ends (its wait status) or the relay goes (None)."""
        import select

        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        try:
            while True:
                watched = ([conn] + ([pidfd] if pidfd is not None else [])
                           + ([self.lifeline] if self.lifeline >= 0 else []))
                ready, _, _ = select.select(watched, [], [], 0.2 if pidfd is None else None)
                if self.lifeline >= 0 and self.lifeline in ready:
                    return None   # the grader is gone: the kernel goes too
                if conn in ready:
                    try:
                        if not conn.recv(4096):
                            return None   # the relay is gone: so is the kernel
                    except OSError:
                        return None
                ended = self._reap()
                if pid in ended:
                    return ended[pid]
        finally:
            if pidfd is not None:
                os.close(pidfd)

    def _become_kernel(self, request: dict, fds: list[int], conn: socket.socket) -> None:
        """In the forked child: become the submission's kernel; never returns."""
        code = 1
        try:
            self.listener.close()
            conn.close()
            if self.lifeline >= 0:
                os.close(self.lifeline)
            os.setsid()
            for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
                signal.signal(number, signal.SIG_DFL)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(fds[0], 1)
            os.dup2(fds[1], 2)
            for fd in (null, *fds):
                os.close(fd)
            _prctl(_PR_SET_DUMPABLE, 1)   # the kernel's /proc/self is its own, as usual
            # A forked kernel would share the zygote's random state with every other one;
            # a kernel started anew seeds from the system's entropy, so this one does too
            # (Python's `random` reseeds itself in a forked child; numpy's legacy global
            # state exists once something has imported numpy.random).
            if "numpy.random" in sys.modules:
                sys.modules["numpy.random"].seed()
            self.launcher.die_with_parent()
            os.environ.clear()
            os.environ.update({str(k): str(v) for k, v in request["env"].items()})
            policy = json.loads(os.environ[self.launcher.POLICY_ENV])
            sys.argv = [sys.argv[0], *request["argv"]]
            self.launcher.launch(policy, list(request["argv"]))
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0
        except BaseException:  # noqa: BLE001 (said on the kernel's stderr, the grader's log)
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)


def main(argv: list[str], launcher) -> None:
    """Serve kernels on the inherited listening socket; ``argv`` is ``[CONFIG]``.

    Started as ``kernel_launcher.py --zygote CONFIG``: ``launcher`` is the kernel
    launcher that loaded this file by path (its ``prepare``, ``launch``,
    ``die_with_parent`` and ``POLICY_ENV``).

    CONFIG is JSON: ``fd`` (the listening socket), ``lifeline`` (the read end of
    a pipe whose write end only the grader holds: at its end of file the grader
    is gone and so is the zygote; as PID 1 of its namespace the zygote would
    otherwise outlive bubblewrap), ``helpers`` (the course's package folder),
    ``mode`` (``"bwrap"`` or ``"none"``), ``runs`` (the folder where the grader
    makes each run's folders, emptied between kernels).
    """
    config = json.loads(argv[0])
    launcher.die_with_parent()
    listener = socket.socket(fileno=int(config["fd"]))
    os.set_inheritable(listener.fileno(), False)
    lifeline = int(config.get("lifeline", -1))
    _prctl(_PR_SET_DUMPABLE, 0)   # no kernel may trace the zygote or read its memory
    if os.getpid() != 1:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)   # orphans of a kernel come back here, to be killed
    launcher.prepare(config.get("helpers"))
    zygote = Zygote(listener, config, launcher, lifeline)
    left = zygote.leftovers()   # the runs folder may hold the first run's folder already
    if left:
        print(f"kernel zygote: its sandbox is not clean at the start ({left[0]})", file=sys.stderr)
        return
    import select

    while True:
        try:
            ready, _, _ = select.select([listener] + ([lifeline] if lifeline >= 0 else []),
                                        [], [])
            if lifeline in ready:
                return   # the grader is gone
            conn, _ = listener.accept()
        except OSError as error:
            if error.errno == errno.EINTR:
                continue
            return
        with conn:
            serving = zygote.serve(conn)
        if not serving:
            return

