"""The judge: runs graded test cells in the grader's own process, where student code cannot reach.

A student's notebook runs in its sandboxed kernel, every cell but the graded
tests. Each graded test cell runs here instead, in a fresh namespace that holds
what the course's setup cell defines (numpy, ``helpers.grading``, ...), run from
the course's own copy. A name the test needs and the namespace lacks is looked
up in the student's kernel through the agent (:mod:`autograder.agent`): plain
data comes back as a copy; a function, a class or an object comes back as a
proxy. Calling a proxy is one round trip: the arguments go over as plain data,
the result comes back as plain data (or as another proxy), and the arrays the
call wrote into come back too, so a test still sees an input modified in place.

Nothing the student's code does reaches the verdict: it never runs here, it
sees only the arguments of its calls, and what it sends back is data the tests
check like any return value. Patches, callbacks, input transformers and frame
tricks in the kernel change nothing here.

The cell's output (what the test printed, and its error) is written where
nbgrader expects it, so ``SaveAutoGrades``, feedback and formgrader work
unchanged.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import io
import json
import queue
import secrets
import select
import socket
import threading
import time
import traceback

from nbformat.v4 import new_output

from . import wire
from .agent import FRAME_LIMIT, REPLY, REQUEST, read_frame, write_frame

__all__ = ["Judge", "KernelChannel", "SocketChannel", "ChannelError", "JudgeTimeout",
           "KernelDied", "StudentError"]

class ChannelError(BaseException):
    """The student's kernel did not answer the judge as the agent would.

    Like the two below, a ``BaseException``: a test's ``except Exception`` (and
    ``grading.call``'s) must not turn the grader's own stop into a student error.
    """


class JudgeTimeout(BaseException):
    """A test cell ran past its time limit."""


class KernelDied(ChannelError):
    """The student's kernel stopped while the judge was waiting for it."""


class StudentError(Exception):
    """Base of the exceptions that stand in for an error raised in the student's code."""

    student_line = ""


# Builtin exception classes a student's error may be an instance of, by name.
_BUILTIN_ERRORS = {name: obj for name, obj in vars(builtins).items()
                   if isinstance(obj, type) and issubclass(obj, BaseException)}


def student_error(description: dict) -> BaseException:
    """An exception like the one the student's code raised: same name, same builtin bases.

    ``assert_raises(ValueError, ...)`` then behaves as it would in the kernel:
    numpy's ``AxisError`` is a ``ValueError`` and an ``IndexError`` here too.
    """
    name = str(description.get("type", "Exception"))[:100]
    message = str(description.get("message", ""))
    bases = []
    for base_name in description.get("mro", [])[1:]:
        base = _BUILTIN_ERRORS.get(base_name)
        if base is not None and base not in (BaseException, Exception, object):
            if not any(issubclass(b, base) for b in bases):
                bases.append(base)
    if name in _BUILTIN_ERRORS and name not in ("BaseException", "KeyboardInterrupt",
                                                "SystemExit", "GeneratorExit"):
        cls = type(name, (_BUILTIN_ERRORS[name], StudentError), {})
    else:
        cls = type(name, tuple(bases) + (StudentError,), {})
    try:
        error = cls(message)
    except Exception:  # noqa: BLE001 (a builtin with a special constructor)
        error = type(name, (StudentError,), {})(message)
    error.student_line = str(description.get("line", ""))[:300]
    cls.__module__ = "student"
    return error


class KernelChannel:
    """Requests to the agent in a student's kernel, over a blocking kernel client.

    Parameters
    ----------
    client : jupyter_client.BlockingKernelClient
        Connected to the student's kernel; its channels started.
    interrupt : callable
        Interrupts the kernel (a call that outlives the cell's deadline).
    """

    def __init__(self, client, interrupt, alive=lambda: True):
        self.client = client
        self.interrupt = interrupt
        self.alive = alive
        self.deadline = float("inf")

    def request(self, op: str, **fields) -> dict:
        """Send one request to the agent; return its reply (a dict).

        Request and reply travel on the shell channel, which only this client
        reads; the kernel runs no cell for them.
        """
        nonce = secrets.token_hex(8)
        text = json.dumps({"op": op, "nonce": nonce, **fields}, separators=(",", ":"))
        message = self.client.session.msg(REQUEST, {"request": text})
        msg_id = message["header"]["msg_id"]
        self.client.shell_channel.send(message)
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.interrupt()
                raise JudgeTimeout("the test ran past its time limit")
            try:
                answer = self.client.get_shell_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                if not self.alive():
                    raise KernelDied("the kernel stopped during the test's call") from None
                continue
            if answer.get("parent_header", {}).get("msg_id") == msg_id:
                break
        text = answer.get("content", {}).get("reply") if answer.get("msg_type") == REPLY else None
        reply = None
        if isinstance(text, str):
            try:
                reply = json.loads(text)
            except (ValueError, RecursionError):
                reply = None
        if not isinstance(reply, dict) or reply.get("nonce") != nonce:
            raise ChannelError("the notebook's kernel did not answer the grader's call "
                               "(did the notebook replace the grader's agent?)")
        return reply


class SocketChannel:
    """Requests to the agent over its Unix socket (:func:`autograder.agent.install`).

    The same requests and replies as :class:`KernelChannel`, framed on a socket
    the agent serves from the kernel's main thread: a round trip costs tens of
    microseconds instead of a millisecond. ``key`` is the kernel's session key,
    which the agent asks for before it answers anything.

    Raises
    ------
    OSError
        From the constructor, when the agent does not answer on ``path`` (then
        use :class:`KernelChannel`).
    """

    def __init__(self, path: str, key: bytes, interrupt, alive=lambda: True,
                 connect_timeout: float = 5.0):
        self.interrupt = interrupt
        self.alive = alive
        self.deadline = float("inf")
        self.stuck = False
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(connect_timeout)
            self.sock.connect(path)
            write_frame(self.sock, json.dumps({"key": bytes(key).decode("latin-1")}))
            hello = read_frame(self.sock, 4096)
            if hello is None or json.loads(hello).get("hello") is not True:
                raise OSError("the agent did not answer on its socket")
        except (OSError, ValueError):
            self.sock.close()
            raise OSError("the agent did not answer on its socket") from None

    def close(self) -> None:
        self.sock.close()

    def request(self, op: str, **fields) -> dict:
        """Send one request to the agent; return its reply (a dict)."""
        if self.stuck:
            raise JudgeTimeout("an earlier call of the test is still running")
        nonce = secrets.token_hex(8)
        self.sock.settimeout(None)
        try:
            write_frame(self.sock, json.dumps({"op": op, "nonce": nonce, **fields},
                                              separators=(",", ":")))
        except OSError:
            self._closed()
        interrupted = False
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 and not interrupted:
                # Interrupt, then read on briefly: the reply to this request (the
                # student's code stopped by KeyboardInterrupt) must not be left
                # to be taken for the next request's.
                self.interrupt()
                interrupted = True
                self.deadline = time.monotonic() + 1.0
                continue
            if remaining <= 0:
                self._abandon()
                raise JudgeTimeout("the test ran past its time limit")
            ready, _, _ = select.select([self.sock], [], [], min(remaining, 1.0))
            if not ready:
                if not self.alive():
                    raise KernelDied("the kernel stopped during the test's call")
                continue
            # A frame, once begun, is written whole: read it to its end.
            self.sock.settimeout(30.0)
            try:
                text = read_frame(self.sock, FRAME_LIMIT)
            except OSError:
                text = None
            if text is None:
                self._closed(interrupted)
            try:
                reply = json.loads(text)
            except (ValueError, RecursionError):
                reply = None
            if isinstance(reply, dict) and reply.get("nonce") == nonce:
                if interrupted:
                    raise JudgeTimeout("the test ran past its time limit")
                return reply
            if not isinstance(reply, dict):
                raise ChannelError("the notebook's kernel did not answer the grader's call "
                                   "(did the notebook replace the grader's agent?)")

    def _abandon(self) -> None:
        """A kernel that ignores interrupts: no later reply may be read as another's."""
        self.stuck = True
        self.sock.close()

    def _closed(self, interrupted: bool = False):
        # The socket closes a moment before the process is seen to end.
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            if not self.alive():
                raise KernelDied("the kernel stopped during the test's call")
            time.sleep(0.05)
        if interrupted:
            raise JudgeTimeout("the test ran past its time limit")
        raise ChannelError("the notebook's kernel closed the grader's channel "
                           "(did the notebook replace the grader's agent?)")


class _Proxy:
    """What stands in, in a test, for a function, class or object of the student's."""

    __slots__ = ("_judge", "_target", "_described")

    def __init__(self, judge, target: dict, described: dict):
        object.__setattr__(self, "_judge", judge)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_described", described)

    def __call__(self, *args, **kwargs):
        if not self._described.get("callable", False):
            raise TypeError(f"'{type(self).__name__}' object is not callable")
        return self._judge.call(self._target, args, kwargs)

    def __call_many__(self, calls):
        if not self._described.get("callable", False):
            raise TypeError(f"'{type(self).__name__}' object is not callable")
        return self._judge.call_many(self._target, calls)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if "handle" not in self._target:
            raise AttributeError(name)
        return self._judge.get_attribute(self._target["handle"], name, type(self).__name__)

    def __setattr__(self, name, value):
        if "handle" not in self._target:
            raise AttributeError(f"cannot set {name} on a function")
        self._judge.set_attribute(self._target["handle"], name, value)

    def __repr__(self):
        return f"<{type(self).__name__} of the student's notebook>"


def _signature(described: dict):
    parameters = []
    for name, kind, has_default in described.get("signature") or []:
        try:
            parameters.append(inspect.Parameter(
                str(name), inspect._ParameterKind(int(kind)),
                default=None if has_default else inspect.Parameter.empty))
        except (ValueError, TypeError):
            return None
    try:
        return inspect.Signature(parameters)
    except (ValueError, TypeError):
        return None


class Judge:
    """Runs graded test cells against a student's kernel; see the module's docstring.

    Parameters
    ----------
    setup_source : str
        The course's setup cell (the notebook's first code cell, from the
        course's own copy): run once here, its names offered to every test.
    channel : KernelChannel
    """

    def __init__(self, setup_source: str, channel: KernelChannel):
        self.channel = channel
        self.setup: dict = {"__name__": "__judge__"}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(setup_source, "<setup>", "exec"), self.setup)  # noqa: S102 (course code)
        self._proxy_types: dict[str, type] = {}

    # -- proxies -------------------------------------------------------------------
    def _proxy(self, target: dict, described: dict) -> _Proxy:
        """A proxy whose type is named like the student's object (or function), with its signature.

        Messages then read as in the kernel: ``got a VanillaRNN``,
        ``conv2d_naive(x=an array of shape (2, 3, 5, 5), ...) raised ...``.
        """
        name = described.get("name") if described.get("callable") else None
        name = str(name or described.get("type") or "object")[:100]
        signature = described.get("signature") if described.get("callable") else None
        key = (name, json.dumps(signature))
        cls = self._proxy_types.get(key)
        if cls is None:
            cls = type(name, (_Proxy,), {"__slots__": ()})
            cls.__qualname__ = name
            cls.__module__ = "student"
            built = _signature(described) if signature is not None else None
            if built is not None:
                cls.__signature__ = built
            self._proxy_types[key] = cls
        return cls(self, target, described)

    def _resolve(self, described: dict):
        if not isinstance(described, dict) or not isinstance(described.get("id"), int):
            raise wire.WireError("a handle of an unknown form")
        return self._proxy({"handle": {"id": described["id"]}}, described)

    def _outgoing(self, value):
        """Wire data for an argument: our proxies go back as the handles they stand for."""
        def handle(obj):
            if isinstance(obj, _Proxy) and "handle" in obj._target:
                return obj._target["handle"]
            raise wire.WireError(f"a {type(obj).__name__} cannot be sent to the notebook")
        return wire.encode(value, handle)

    def _value(self, reply: dict, what: str):
        self._show_printed(reply)
        if "error" in reply:
            raise student_error(reply["error"])
        if reply.get("missing"):
            raise KeyError(what)
        return wire.decode(reply.get("value"), self._resolve)

    def _show_printed(self, reply: dict) -> None:
        for key in ("stdout", "stderr"):
            text = reply.get(key)
            if isinstance(text, str) and text:
                print(text, end="" if text.endswith("\n") else "\n")

    def lookup(self, name: str):
        reply = self.channel.request("lookup", name=name)
        if "error" in reply:
            raise student_error(reply["error"])
        if reply.get("missing"):
            raise KeyError(name)
        data = reply.get("value")
        if isinstance(data, dict) and "__handle__" in data:
            described = data["__handle__"]
            if described.get("callable") and described.get("type") in ("function", "type"):
                return self._named_proxy(name, described)
            return self._resolve(described)
        return wire.decode(data, self._resolve)

    def _named_proxy(self, name: str, described: dict) -> _Proxy:
        # A function or class defined in the notebook is called by name, as a test
        # cell in the kernel would: the latest definition answers.
        return self._proxy({"name": name}, dict(described, name=name))

    def call(self, target: dict, args: tuple, kwargs: dict):
        sent_args = self._outgoing(list(args))
        reply = self.channel.request("call", target=target, args=sent_args,
                                     kwargs=self._outgoing(dict(kwargs)))
        self._write_back(reply, args, kwargs)
        return self._value(reply, "the call")

    def call_many(self, target: dict, calls) -> list:
        """Many calls of one target in one round trip; the first error stops them."""
        reply = self.channel.request("call_many", target=target,
                                     calls=self._outgoing([list(args) for args in calls]))
        self._show_printed(reply)
        if "error" in reply:
            error = student_error(reply["error"])
            error.call_index = int(reply.get("index", 0)) if isinstance(
                reply.get("index"), int) else 0
            raise error
        results = wire.decode(reply.get("value"), self._resolve)
        if not isinstance(results, list) or len(results) != len(calls):
            raise ChannelError("the notebook's kernel answered a batch of calls with "
                               "the wrong number of results")
        return results

    def _write_back(self, reply: dict, args, kwargs) -> None:
        """Copy into our arrays what the student's call wrote into its copies of them."""
        import numpy as np

        arrays = wire.arrays_in(args, kwargs)
        for entry in reply.get("changed") or []:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)):
                continue
            index, data = entry
            if 0 <= index < len(arrays):
                new = wire.decode(data)
                target = arrays[index]
                if isinstance(new, np.ndarray) and new.shape == target.shape \
                        and target.flags.writeable:
                    np.copyto(target, new, casting="unsafe")

    def get_attribute(self, handle: dict, name: str, owner: str):
        reply = self.channel.request("getattr", handle=handle, name=name)
        if reply.get("missing"):
            raise AttributeError(f"'{owner}' object has no attribute '{name}'")
        return self._value(reply, name)

    def set_attribute(self, handle: dict, name: str, value) -> None:
        reply = self.channel.request("setattr", handle=handle, name=name,
                                     value=self._outgoing(value))
        self._value(reply, name)

    # -- test cells ----------------------------------------------------------------
    def namespace(self) -> dict:
        """A fresh namespace for one test cell: the setup's names, the rest from the kernel."""
        judge = self

        class Namespace(dict):
            def __missing__(self, name):
                if hasattr(builtins, name):
                    raise KeyError(name)
                value = judge.lookup(name)
                self[name] = value
                return value

        return Namespace(self.setup)

    def run_cell(self, source: str, timeout: float) -> list:
        """Run one test cell; return its outputs (stream and error) as nbformat outputs."""
        self.channel.deadline = time.monotonic() + timeout
        outcome: dict = {}
        printed = io.StringIO()

        def target():
            try:
                with contextlib.redirect_stdout(printed):
                    exec(compile(source, "<test cell>", "exec"), self.namespace())  # noqa: S102
            except BaseException as error:  # noqa: BLE001 (the cell's error, recorded)
                outcome["error"] = error

        worker = threading.Thread(target=target, daemon=True)
        worker.start()
        worker.join(timeout + 5)
        if worker.is_alive():
            self.channel.interrupt()
            outcome["error"] = JudgeTimeout("the test ran past its time limit")
        if isinstance(outcome.get("error"), KernelDied):
            raise outcome["error"]
        # Handles of this cell are dropped; a kernel still stuck in the cell's call
        # (it ignored the interrupt) is the next cell's business, not this one's.
        with contextlib.suppress(Exception, JudgeTimeout, ChannelError):
            self.channel.deadline = time.monotonic() + 10
            self.channel.request("release")
        outputs = []
        text = printed.getvalue()
        if text:
            outputs.append(new_output("stream", name="stdout", text=text))
        error = outcome.get("error")
        if error is not None:
            outputs.append(_error_output(error))
        return outputs


def _error_output(error: BaseException):
    if isinstance(error, JudgeTimeout):
        return new_output("error", ename="CellTimeoutError", evalue="",
                          traceback=["CellTimeoutError: the test ran past its time limit"])
    render = getattr(type(error), "_render_traceback_", None)
    if callable(render):
        lines = error._render_traceback_()
    else:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        lines = ["".join(lines).rstrip()]
    return new_output("error", ename=type(error).__name__, evalue=str(error), traceback=lines)
