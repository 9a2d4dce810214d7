"""The student's side of the judge's channel: answers calls with plain data only.

The kernel launcher loads this file by path and installs an :class:`Agent` as
the kernel's handler of one more shell message type, ``autograder_request``.
The judge (in the grader's own process, :mod:`autograder.judge`) sends such a
message on the shell channel; the agent looks up a name, calls a function,
reads or sets an attribute, and answers with an ``autograder_reply`` on the same
channel, which reaches only the judge (JSON, with values through
:mod:`autograder.wire`). No code is compiled and no cell is run for a call. What
is not plain data stays here and is named by a handle.

Nothing here is trusted by the judge: student code can replace this object or
answer in its stead. All it can ever send is plain data, which the judge checks
as it would check a return value.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import linecache
import os
import sys
import traceback
import warnings

__all__ = ["Agent", "install", "REQUEST", "REPLY", "read_frame", "write_frame", "FRAME_LIMIT"]

REQUEST, REPLY = "autograder_request", "autograder_reply"
_HERE = os.path.abspath(__file__)


def _load_wire():
    import importlib.util

    path = os.path.join(os.path.dirname(_HERE), "wire.py")
    spec = importlib.util.spec_from_file_location("_autograder_wire", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Agent:
    """Serves the judge's requests against the namespace ``user_ns``."""

    def __init__(self, user_ns: dict, wire=None):
        self.user_ns = user_ns
        self.reply = ""                 # the last reply (JSON text)
        self.wire = wire or _load_wire()
        self.handles: dict[int, object] = {}
        self.next_id = 1

    # -- handles -----------------------------------------------------------------
    def _handle(self, obj) -> dict:
        number = self.next_id
        self.next_id += 1
        self.handles[number] = obj
        described = {"id": number, "type": type(obj).__name__, "callable": callable(obj)}
        name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
        if callable(obj) and isinstance(name, str):
            described["name"] = name.rsplit("<locals>.", 1)[-1]
        signature = self._signature(obj) if callable(obj) else None
        if signature is not None:
            described["signature"] = signature
        return described

    @staticmethod
    def _signature(obj):
        try:
            parameters = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):
            return None
        return [[p.name, int(p.kind), p.default is not inspect.Parameter.empty]
                for p in parameters]

    def _resolve(self, handle: dict):
        number = handle.get("id") if isinstance(handle, dict) else None
        if number not in self.handles:
            raise KeyError(f"no object with handle {number!r}")
        return self.handles[number]

    # -- requests ----------------------------------------------------------------
    def serve(self, text: str) -> None:
        """Answer one request (JSON text) with one reply message (JSON text).

        The envelope is plain JSON; the values in it (``value``, ``args``,
        ``kwargs``, the ``changed`` arrays) are :mod:`autograder.wire` data.
        """
        nonce = ""
        try:
            request = json.loads(text)
            nonce = str(request.get("nonce", ""))[:64]
            reply = getattr(self, f"_op_{request['op']}")(request)
            if "value" in reply:
                reply["value"] = self.wire.encode(reply["value"], self._handle)
            reply["changed"] = [[i, self.wire.encode(a)] for i, a in reply.get("changed", [])]
        except Exception as error:  # noqa: BLE001 (reported to the judge as data)
            reply = {"error": self._describe_error(error)}
        self.reply = json.dumps({"nonce": nonce, **reply}, separators=(",", ":"))

    def _op_lookup(self, request):
        name = request["name"]
        if name not in self.user_ns:
            return {"missing": True}
        return {"value": self.user_ns[name]}

    def _op_getattr(self, request):
        obj = self._resolve(request["handle"])
        try:
            return {"value": getattr(obj, request["name"])}
        except AttributeError:
            return {"missing": True}

    def _op_setattr(self, request):
        setattr(self._resolve(request["handle"]), request["name"],
                self.wire.decode(request["value"], self._resolve))
        return {"value": None}

    def _op_release(self, request):
        self.handles.clear()
        return {"value": None}

    def _function(self, target: dict):
        """What a call's target names: a name of the notebook, or a handle (and attribute)."""
        if "name" in target:
            if target["name"] not in self.user_ns:
                raise NameError(f"name {target['name']!r} is not defined")
            return self.user_ns[target["name"]]
        function = self._resolve(target["handle"])
        return getattr(function, target["attr"]) if "attr" in target else function

    def _op_call(self, request):
        function = self._function(request["target"])
        args = self.wire.decode(request.get("args", []), self._resolve)
        kwargs = self.wire.decode(request.get("kwargs", {"__dict__": []}), self._resolve)
        arrays = self.wire.arrays_in(args, kwargs)
        before = [a.copy() for a in arrays]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = function(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 (the student's error, as data)
                if isinstance(error, (SystemExit, GeneratorExit)):
                    error = RuntimeError(f"the function called {type(error).__name__}")
                failed = {"error": self._describe_error(error)}
                return {**failed, "stdout": out.getvalue()[-20_000:],
                        "stderr": err.getvalue()[-20_000:],
                        "changed": self._changed(arrays, before)}
        notes = [f"{w.category.__name__}: {w.message}" for w in caught]
        return {"value": result, "stdout": out.getvalue()[-20_000:],
                "stderr": (err.getvalue() + "".join(n + "\n" for n in notes))[-20_000:],
                "changed": self._changed(arrays, before)}

    def _op_call_many(self, request):
        function = self._function(request["target"])
        calls = self.wire.decode(request.get("calls", []), self._resolve)
        results = []
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, args in enumerate(calls):
                try:
                    results.append(function(*args))
                except BaseException as error:  # noqa: BLE001 (the student's error, as data)
                    if isinstance(error, (SystemExit, GeneratorExit)):
                        error = RuntimeError(f"the function called {type(error).__name__}")
                    return {"error": self._describe_error(error), "index": index,
                            "stdout": out.getvalue()[-20_000:], "stderr": err.getvalue()[-20_000:]}
        return {"value": results, "stdout": out.getvalue()[-20_000:],
                "stderr": err.getvalue()[-20_000:]}

    @staticmethod
    def _changed(arrays, before):
        """Indexes and new contents of the argument arrays the call wrote into."""
        changed = []
        for index, (array, old) in enumerate(zip(arrays, before, strict=True)):
            same = array.shape == old.shape and bool(
                ((array == old) | ((array != array) & (old != old))).all())
            if not same:
                changed.append([index, array])
        return changed

    @staticmethod
    def _describe_error(error: BaseException) -> dict:
        mro = [cls.__name__ for cls in type(error).__mro__]
        line = ""
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename == _HERE or "site-packages" in frame.filename:
                continue
            line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
            if line:
                break
        message = str(error)
        return {"type": type(error).__name__, "mro": mro, "message": message[:2000],
                "line": line[:300]}


def install(kernel, socket_path: str | None = None) -> Agent:
    """Create the agent for an ipykernel ``kernel``; serve the shell message and the socket.

    With ``socket_path``, the agent also listens there (a Unix socket, bound
    now, before the sandbox's audit hook is armed) and answers on the kernel's
    main thread, between cells: the judge's fast path, which skips the shell
    channel's threads, signatures and status messages. The first frame of a
    connection must carry the kernel's session key.
    """
    agent = Agent(kernel.shell.user_ns)

    def handle(stream, ident, parent):
        content = parent.get("content", {}) if isinstance(parent, dict) else {}
        agent.serve(str(content.get("request", "")))
        kernel.session.send(stream, REPLY, {"reply": agent.reply}, parent, ident)

    kernel.shell_handlers[REQUEST] = handle
    if socket_path:
        try:
            _SocketServer(agent, socket_path, bytes(kernel.session.key)).listen()
        except OSError:
            pass  # the judge then uses the shell channel
    return agent


def write_frame(sock, text: str) -> None:
    """One frame: 4-byte big-endian length, then the UTF-8 text."""
    data = text.encode("utf-8")
    sock.sendall(len(data).to_bytes(4, "big") + data)


def read_frame(sock, limit: int) -> str | None:
    """The next frame's text; None at the end of the stream or for a frame over ``limit``."""
    head = _read_exactly(sock, 4)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > limit:
        return None
    body = _read_exactly(sock, size)
    return None if body is None else body.decode("utf-8", errors="replace")


def _read_exactly(sock, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


#: Largest request frame the agent reads (arrays travel base64-encoded in JSON).
FRAME_LIMIT = 160 * 2**20


class _SocketServer:
    """The agent's Unix socket, served from the kernel's main-thread event loop."""

    def __init__(self, agent: Agent, path: str, key: bytes):
        self.agent, self.path, self.key = agent, path, key
        self.server = None
        self.connection = None

    def listen(self) -> None:
        import socket

        from tornado.ioloop import IOLoop

        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if os.path.exists(self.path):
                os.unlink(self.path)
            server.bind(self.path)
            os.chmod(self.path, 0o600)
            server.listen(1)
            server.setblocking(False)
        except OSError:
            server.close()
            raise
        self.server = server
        self.loop = IOLoop.current()
        self.loop.add_handler(server.fileno(), self._accept, IOLoop.READ)

    def _accept(self, fd, events) -> None:
        from tornado.ioloop import IOLoop

        try:
            connection, _ = self.server.accept()
        except OSError:
            return
        connection.setblocking(True)
        connection.settimeout(10.0)  # a frame, once begun, arrives whole
        try:
            hello = json.loads(read_frame(connection, 4096) or "{}")
            import hmac

            if not hmac.compare_digest(str(hello.get("key", "")).encode("latin-1"), self.key):
                raise ValueError("wrong key")
            write_frame(connection, json.dumps({"hello": True}))
        except BaseException:  # noqa: BLE001 (whatever it was, the caller is not the judge)
            connection.close()
            return
        if self.connection is not None:  # one judge at a time: the newest
            self.loop.remove_handler(self.connection.fileno())
            self.connection.close()
        self.connection = connection
        self.loop.add_handler(connection.fileno(), self._serve, IOLoop.READ)

    def _serve(self, fd, events) -> None:
        import signal
        import threading

        connection = self.connection
        if connection is None or connection.fileno() != fd:
            self.loop.remove_handler(fd)
            return
        # As ipykernel does around its handlers: an interrupt (the judge's timeout)
        # raises KeyboardInterrupt in the student's code, not nothing.
        main = threading.current_thread() is threading.main_thread()
        saved = None
        try:
            if main:
                saved = signal.signal(signal.SIGINT, signal.default_int_handler)
            text = read_frame(connection, FRAME_LIMIT)
            if text is None:
                raise OSError("the judge closed the channel")
            self.agent.serve(text)
            write_frame(connection, self.agent.reply)
        except BaseException:  # noqa: BLE001 (a late interrupt or a closed channel)
            self.loop.remove_handler(fd)
            connection.close()
            self.connection = None
        finally:
            if saved is not None:
                signal.signal(signal.SIGINT, saved)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("load this file from the kernel launcher")
