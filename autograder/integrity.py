"""Fingerprints of the state a notebook could tamper with, and how to compare them.

A fingerprint records, for ``builtins``, ``math``, ``operator``, ``numpy``,
``numpy.testing``, ``numpy.linalg`` and every loaded ``helpers`` module, an
identity token of each attribute (type, ``id()`` and, for Python functions, a
hash of their code and defaults), the identity of their ``sys.modules`` entries,
IPython's input/AST transformers and the interpreter hooks (``sys.displayhook``,
``sys.excepthook``, import hooks, trace and profile functions).

:data:`FINGERPRINT_CODE` runs inside a kernel and prints one line
``AUTOGRADER-FINGERPRINT <json>``; :func:`parse_fingerprint` reads it back and
:func:`compare` turns two fingerprints of the same kernel into sentences a
student can read. Tokens hold ``id()`` values, so only fingerprints taken in the
same process can be compared. This module uses the standard library only: the
sandboxed kernel's launcher loads it before any student code runs.
"""

from __future__ import annotations

import json

__all__ = ["FINGERPRINT_CODE", "FINGERPRINT_PREFIX", "baseline_fingerprint",
           "parse_fingerprint", "compare"]

FINGERPRINT_PREFIX = "AUTOGRADER-FINGERPRINT "

# The body runs in whatever namespace the kernel gives it: it binds every name it
# uses inside one function and deletes that function afterwards.
_FINGERPRINT_BODY = r'''
def __autograder_fingerprint__(emit=True):
    import builtins, json, math, operator, sys
    FunctionType = type(__autograder_fingerprint__)
    MethodType = type(json.JSONEncoder().encode)

    def token(value):
        kind = type(value)
        text = kind.__name__ + ":" + str(id(value))
        if kind is FunctionType:
            # Same object but new code, defaults or globals is tampering too.
            code = value.__code__
            defaults = tuple(id(d) for d in (value.__defaults__ or ()))
            kwdefaults = tuple(sorted((k, id(v)) for k, v in (value.__kwdefaults__ or {}).items()))
            text += ":%x:%x:%d:%d" % (hash(code.co_code) & 0xFFFFFFFF,
                                      hash((defaults, kwdefaults)) & 0xFFFFFFFF,
                                      id(code), id(value.__globals__))
        elif kind is MethodType:
            text = "method:" + str(id(value.__func__)) + ":" + str(id(value.__self__))
        return text

    names = ["builtins", "math", "operator", "numpy", "numpy.testing", "numpy.linalg"]
    names += sorted(n for n in list(sys.modules) if n == "helpers" or n.startswith("helpers."))
    modules = {}
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            continue
        attrs = {}
        for attr, value in list(vars(module).items()):
            if attr in ("_", "__", "___", "__builtins__"):
                continue
            attrs[attr] = token(value)
        modules[name] = {"module": str(id(module)), "attrs": attrs}

    hooks = {
        "sys.displayhook": token(sys.displayhook),
        "sys.excepthook": token(sys.excepthook),
        "sys.stdout": token(sys.stdout),
        "sys.stderr": token(sys.stderr),
        "sys.audit": token(sys.audit),
        "sys.modules": str(id(sys.modules)),
    }
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        for slot in ("__eq__", "__ne__", "__bool__", "__array_ufunc__", "__array_function__"):
            hooks["numpy.ndarray." + slot] = token(numpy.ndarray.__dict__.get(slot))
    lists = {
        "sys.meta_path": [token(f) for f in sys.meta_path],
        "sys.path_hooks": [token(f) for f in sys.path_hooks],
    }
    flags = {"trace": sys.gettrace() is not None, "profile": sys.getprofile() is not None}

    shell = None
    core = sys.modules.get("IPython.core.interactiveshell")
    if core is not None and core.InteractiveShell.initialized():
        shell = core.InteractiveShell.instance()
    if shell is not None:
        manager = shell.input_transformer_manager
        lists["ipython.input_transformers_cleanup"] = [token(t) for t in
                                                       shell.input_transformers_cleanup]
        lists["ipython.input_transformers_post"] = [token(t) for t in
                                                    shell.input_transformers_post]
        lists["ipython.ast_transformers"] = [token(t) for t in shell.ast_transformers]
        lists["ipython.line_transforms"] = [token(t) for t in manager.line_transforms]
        lists["ipython.token_transformers"] = [token(t) for t in manager.token_transformers]
        lists["ipython.custom_exceptions"] = [token(t) for t in shell.custom_exceptions]
        hooks["ipython.input_transformer_manager"] = token(manager)
        for method in ("run_cell", "run_cell_async", "_run_cell", "transform_cell",
                       "transform_ast", "run_ast_nodes", "run_code", "showtraceback",
                       "should_run_async", "CustomTB"):
            hooks["ipython." + method] = token(getattr(shell, method, None))
        hooks["ipython.displayhook"] = token(shell.displayhook)
        hooks["ipython.compile"] = token(shell.compile)
    result = {"modules": modules, "hooks": hooks, "lists": lists, "flags": flags,
              "ipython": shell is not None, "context": "cell" if emit else "launcher"}
    if emit:  # one line, so that no other output can be interleaved into it
        print("AUTOGRADER-FINGERPRINT " + json.dumps(result, separators=(",", ":")))
    return result
'''

# A warning raised while reading attributes (a deprecated numpy name, say) makes
# Python add __warningregistry__ to the namespace: remove it unless it was there.
FINGERPRINT_CODE = _FINGERPRINT_BODY + '''
try:
    __autograder_fingerprint__.had_registry = "__warningregistry__" in globals()
    __autograder_fingerprint__()
finally:
    if not __autograder_fingerprint__.had_registry:
        globals().pop("__warningregistry__", None)
    del __autograder_fingerprint__
'''


def baseline_fingerprint() -> dict:
    """The fingerprint of this process, computed without printing it.

    The sandboxed kernel's launcher logs it before any student code runs.
    """
    namespace: dict = {}
    exec(compile(_FINGERPRINT_BODY, "<autograder-fingerprint>", "exec"), namespace)
    return namespace["__autograder_fingerprint__"](emit=False)


def parse_fingerprint(text: str) -> dict | None:
    """The fingerprint printed in ``text`` (the last one if several), or None."""
    if not isinstance(text, str):
        raise TypeError(f"expected the text of a cell's output, got {type(text).__name__}")
    found = None
    for line in text.splitlines():
        if line.startswith(FINGERPRINT_PREFIX):
            try:
                value = json.loads(line[len(FINGERPRINT_PREFIX):])
            except ValueError:
                continue
            if isinstance(value, dict) and "modules" in value:
                found = value
    return found


_LIST_REASONS = {
    "ipython.input_transformers_cleanup": "an IPython input transformer",
    "ipython.input_transformers_post": "an IPython input transformer",
    "ipython.line_transforms": "an IPython input transformer",
    "ipython.token_transformers": "an IPython input transformer",
    "ipython.ast_transformers": "an IPython AST transformer",
    "ipython.custom_exceptions": "an IPython exception handler",
    "sys.meta_path": "an import hook",
    "sys.path_hooks": "an import hook",
}

MAX_REASONS = 8

# What IPython and ipykernel swap in while a cell runs and back afterwards: a
# fingerprint taken by the launcher (between cells) differs there from one taken
# by a cell, without any student code involved.
EXECUTION_STATE = frozenset({"builtins.input", "builtins.exit", "builtins.quit",
                             "builtins.get_ipython", "builtins.display",
                             "sys.displayhook", "sys.excepthook"})


def _list_reason(name: str, before: list, after: list) -> str | None:
    what = _LIST_REASONS.get(name)
    if what is None and name.startswith("ipython.events."):
        what = f"an IPython {name.rsplit('.', 1)[1]} callback"
    what = what or name
    if before == after:
        return None
    if len(after) > len(before) and after[:len(before)] == before:
        return f"{what} was added"
    if len(after) < len(before) and set(after) <= set(before):
        return f"{what} was removed"
    return f"{what} was changed"


def compare(baseline: dict, current: dict | None) -> list[str]:
    """Reasons, for a student, why ``current`` differs from ``baseline``.

    Attributes added since the baseline are fine; replaced or deleted ones are
    not, nor are changed transformer lists or interpreter hooks. Sections the
    baseline lacks (e.g. IPython's, when it was taken before IPython started)
    are not compared.

    Parameters
    ----------
    baseline : dict
        A fingerprint taken before any student code ran.
    current : dict or None
        A later fingerprint of the same kernel; None when it could not be read.

    Returns
    -------
    list of str
        Deduplicated sentences, at most ``MAX_REASONS`` plus one summary line.
    """
    if not isinstance(baseline, dict) or "modules" not in baseline:
        raise ValueError("expected a baseline fingerprint with a 'modules' section")
    if current is None:
        return ["the grader's integrity check did not run: something in the notebook, such "
                "as an IPython input transformer, stopped cells from running as written"]
    reasons: list[str] = []
    skip = EXECUTION_STATE if baseline.get("context") != current.get("context") else frozenset()
    modules = current.get("modules", {})
    for name, before in baseline["modules"].items():
        after = modules.get(name)
        if after is None:
            reasons.append(f"the module {name} was removed from sys.modules")
            continue
        if after.get("module") != before.get("module"):
            reasons.append(f"the module {name} was replaced in sys.modules")
            continue
        attrs = after.get("attrs", {})
        for attr, token in before.get("attrs", {}).items():
            if f"{name}.{attr}" in skip:
                continue
            if attr not in attrs:
                reasons.append(f"{name}.{attr} was deleted")
            elif attrs[attr] != token:
                reasons.append(f"{name}.{attr} was replaced")
    hooks = current.get("hooks", {})
    for name, token in baseline.get("hooks", {}).items():
        if (name.startswith("ipython.") and not current.get("ipython")) or name in skip:
            continue
        if hooks.get(name) != token:
            reasons.append(f"{name.replace('ipython.', 'IPython ')} was replaced")
    lists = current.get("lists", {})
    for name, before in baseline.get("lists", {}).items():
        reason = _list_reason(name, before, lists.get(name, []))
        if reason:
            reasons.append(reason)
    for flag, what in (("trace", "a trace function"), ("profile", "a profile function")):
        if current.get("flags", {}).get(flag) and not baseline.get("flags", {}).get(flag):
            reasons.append(f"{what} was installed")
    unique = list(dict.fromkeys(reasons))
    if len(unique) > MAX_REASONS:
        unique = unique[:MAX_REASONS] + [f"and {len(unique) - MAX_REASONS} more changes"]
    return unique
