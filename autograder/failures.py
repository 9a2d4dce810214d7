"""What a failed test cell says, in one place: for ``tests.csv``, ``check`` and feedback.

:func:`find_failure` reads a cell's outputs once into a :class:`Failure`; the
CSV and ``check`` show its first line (:func:`failure_message`), a feedback
page its whole sentence and traceback (:func:`failure_text`). Common errors
get words a student can act on (:func:`explain_error`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Failure", "find_failure", "explain_error", "failure_message", "failure_text",
           "strip_ansi"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")


@dataclass(frozen=True)
class Failure:
    """A failed cell's error (``name`` and ``value``), or its first stderr text."""

    name: str = ""        # the exception's name; "" when the cell only wrote to stderr
    value: str = ""
    traceback: str = ""
    stderr: str = ""


def find_failure(outputs) -> Failure | None:
    """The failure in a cell's outputs, None when it passed: a timeout first, then the
    first error, then what it wrote to stderr (which nbgrader scores as a failure)."""
    outputs = list(outputs or [])
    if any(o.get("ename") == "CellTimeoutError" for o in outputs):
        return Failure("CellTimeoutError")
    for output in outputs:
        if output.get("output_type") == "error":
            return Failure(output.get("ename", "Error") or "Error",
                           strip_ansi(output.get("evalue", "") or ""),
                           strip_ansi("\n".join(output.get("traceback", []) or [])))
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = strip_ansi(output.get("text", "")).strip()
            if text:
                return Failure(stderr=text)
    return None


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes."""
    return _ANSI.sub("", text)


def explain_error(ename: str, evalue: str) -> str:
    """What an error in a test cell means, in words for the student.

    A ``GradingError`` already is such a sentence; a few other errors are common
    enough in test cells to deserve one.
    """
    evalue = (evalue or "").strip()
    if ename == "GradingError" and evalue:
        return f"GradingError: {evalue}"
    if ename == "NotImplementedError" and not evalue:
        return ("NotImplementedError: this exercise is not done yet (its cell still raises "
                "NotImplementedError)")
    if ename == "NameError":
        return (f"NameError: {evalue}; the test needs a name that your notebook does not "
                "define: finish the cell that defines it, and keep its name")
    if ename == "CellTimeoutError":
        return "CellTimeoutError: the cell ran longer than the time limit"
    return f"{ename}: {evalue}" if evalue else ename


def failure_message(cell) -> str:
    """First line of what a graded cell reported (for ``tests.csv`` and ``check``)."""
    failure = find_failure(cell.get("outputs", []))
    if failure is None:
        return ""
    if failure.name:
        text = explain_error(failure.name, failure.value)
        return text.splitlines()[0].rstrip(": ") if text else "Error"
    return f"stderr: {failure.stderr.splitlines()[0].strip()}"


def failure_text(outputs) -> tuple[str, str]:
    """What a failed cell says to the student, and its raw traceback (both plain text).

    A ``GradingError`` gives its sentence alone; another error gives
    ``Name: value``; a cell without an error gives its stderr.
    """
    failure = find_failure(outputs)
    if failure is None:
        return "", ""
    if failure.name:
        message = (failure.value if failure.name == "GradingError" and failure.value
                   else explain_error(failure.name, failure.value))
        return message.strip(), failure.traceback
    return ("The test wrote to the error stream, which counts as a failure:\n"
            f"{failure.stderr}", "")
