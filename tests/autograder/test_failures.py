"""Tests of autograder/failures.py: one reading of a failed cell, two ways to show it."""

from __future__ import annotations

import pytest

from autograder.failures import Failure, failure_message, failure_text, find_failure

GRADING = {"output_type": "error", "ename": "GradingError",
           "evalue": "add(1, 2) is wrong: expected 3, got 4.\nsecond line",
           "traceback": ["\x1b[31mGradingError\x1b[0m: add(1, 2) is wrong"]}
STDERR = {"output_type": "stream", "name": "stderr", "text": "oops\nmore"}
TIMEOUT = {"output_type": "error", "ename": "CellTimeoutError", "evalue": "", "traceback": []}


def cell(*outputs):
    return {"cell_type": "code", "outputs": list(outputs)}


@pytest.mark.parametrize("outputs, found", [
    ([], None),
    ([{"output_type": "stream", "name": "stdout", "text": "fine"}], None),
    ([STDERR, GRADING], Failure("GradingError", GRADING["evalue"],
                                "GradingError: add(1, 2) is wrong")),
    ([GRADING, TIMEOUT], Failure("CellTimeoutError")),
    ([STDERR], Failure(stderr="oops\nmore")),
])
def test_find_failure_reads_a_timeout_then_an_error_then_stderr(outputs, found):
    assert find_failure(outputs) == found


def test_the_csv_and_the_feedback_page_tell_the_same_cause():
    assert failure_message(cell(GRADING)) == "GradingError: add(1, 2) is wrong: expected 3, got 4."
    assert failure_text([GRADING])[0] == GRADING["evalue"]
    assert failure_message(cell(STDERR)) == "stderr: oops"
    assert failure_text([STDERR])[0].endswith("counts as a failure:\noops\nmore")
    assert failure_message(cell(TIMEOUT)).startswith("CellTimeoutError: the cell ran longer")
    assert failure_message(cell()) == "" and failure_text([]) == ("", "")
