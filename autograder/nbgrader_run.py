"""Run one nbgrader converter quietly and turn its failure into our own error.

nbgrader's converters log through traitlets and report failure by raising a
generic exception after logging a traceback. :func:`run_converter` captures
that log (nbgrader's own ``capture_log``), keeps the console quiet, and gives
the caller the outcome so each module decides what the failure means.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

from nbgrader.utils import capture_log

__all__ = ["ConverterResult", "run_converter", "last_error_line"]


@dataclass
class ConverterResult:
    """What a converter run produced: success, the captured log and traceback."""

    success: bool
    log: str
    error: str


def run_converter(converter) -> ConverterResult:
    """Start ``converter`` (an nbgrader ``BaseConverter``) with its log captured.

    The converter's own console handlers are silenced for the run; only the
    captured text is returned.
    """
    log = converter.log
    saved = (log.level, log.propagate, list(log.handlers))
    for handler in saved[2]:
        log.removeHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            # nbgrader's own SQLAlchemy and nbformat warnings are not the instructor's concern.
            warnings.simplefilter("ignore")
            result = capture_log(converter)
    finally:
        for handler in saved[2]:
            log.addHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]
    return ConverterResult(bool(result.get("success")), result.get("log", ""),
                           result.get("error", ""))


def last_error_line(result: ConverterResult) -> str:
    """The most telling single line of a failed run, for an instructor's message."""
    for line in result.log.splitlines():
        if line.startswith("[ERROR]") and "Traceback" not in line and "Please see" not in line:
            return line.removeprefix("[ERROR]").strip()
    lines = [line.strip() for line in result.error.splitlines() if line.strip()]
    return lines[-1] if lines else "nbgrader failed without a message"
