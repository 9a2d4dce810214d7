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

__all__ = ["Agent", "install", "REQUEST", "REPLY"]

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

    def _op_call(self, request):
        target = request["target"]
        if "name" in target:
            if target["name"] not in self.user_ns:
                raise NameError(f"name {target['name']!r} is not defined")
            function = self.user_ns[target["name"]]
        else:
            function = self._resolve(target["handle"])
            if "attr" in target:
                function = getattr(function, target["attr"])
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
        target = request["target"]
        if "name" in target:
            if target["name"] not in self.user_ns:
                raise NameError(f"name {target['name']!r} is not defined")
            function = self.user_ns[target["name"]]
        else:
            function = self._resolve(target["handle"])
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


def install(kernel) -> Agent:
    """Create the agent for an ipykernel ``kernel`` and register its message handler."""
    agent = Agent(kernel.shell.user_ns)

    def handle(stream, ident, parent):
        content = parent.get("content", {}) if isinstance(parent, dict) else {}
        agent.serve(str(content.get("request", "")))
        kernel.session.send(stream, REPLY, {"reply": agent.reply}, parent, ident)

    kernel.shell_handlers[REQUEST] = handle
    return agent


if __name__ == "__main__":  # pragma: no cover
    sys.exit("load this file from the kernel launcher")
