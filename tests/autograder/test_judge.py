"""The judge: graded test cells run in the grader's process, calling the student's code by proxy.

Each test executes a small notebook the way the grader does (``execute_sandboxed``
with a judge setup cell) and reads the outputs of its graded test cells.
"""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.sandbox import choose_sandbox
from autograder.worker import execute_sandboxed

pytestmark = pytest.mark.slow

SETUP = "import numpy as np\nfrom helpers import grading"

STUDENT = '''
import numpy as np

def double(x):
    print("computing")
    return 2 * np.asarray(x)

def scale_in_place(x):
    x *= 2
    return x

class Counter:
    def __init__(self, start=0):
        self.count = start

    def tick(self, k=1):
        self.count += k
        return self.count

class Yes:
    def __eq__(self, other):
        return True
    def __float__(self):
        import sys
        frame = sys._getframe(1)
        return float(frame.f_locals.get("expected", 0.0))

def impostor():
    return Yes()

def crash(x):
    return x @ x

def spin():
    while True:
        pass

answer_q1 = "b"
# Tampering in the student's own kernel: nothing of it may reach a verdict.
grading.assert_close = lambda *a, **k: None
np.allclose = lambda *a, **k: True
get_ipython().events.register("pre_run_cell", lambda *a: None)
'''


def _run(tests: list[str], timeout: int = 20, student: str = STUDENT):
    cells = [new_code_cell(SETUP), new_code_cell(student)]
    for k, source in enumerate(tests):
        cell = new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": f"test_{k}",
                                     "points": 1, "locked": True, "schema_version": 3,
                                     "task": False}
        cells.append(cell)
    return cells


def _outputs(nb) -> list[tuple[str, str]]:
    """(stdout, error sentence) of every graded cell."""
    found = []
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            error = next((f"{o.ename}: {o.evalue}" for o in cell.outputs
                          if o.output_type == "error"), "")
            found.append((text, error))
    return found


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    tests = [
        'out = grading.call(double, np.arange(3.0))\n'
        'grading.assert_close(out, [0, 2, 4], "double")\nprint("ok 0")',
        'x = np.ones(2)\ngrading.call(scale_in_place, x)\n'
        'grading.assert_unchanged(np.ones(2), x, "x")\nprint("ok 1")',
        'c = grading.call(Counter, 5)\ngrading.assert_equal(grading.call(c.tick, k=2), 7, "tick")\n'
        'grading.assert_equal(c.count, 7, "count")\nc.count = 1\n'
        'grading.assert_equal(c.tick(), 2, "tick")\nprint("ok 2")',
        'expected = 3.0\ngrading.assert_close(grading.call(impostor), expected, "impostor")\n'
        'print("ok 3")',
        'grading.call(crash, np.ones((2, 3)), hint="Check the shapes.")',
        'grading.assert_choice(answer_q1, "abcd", "answer_q1", right="b")\nprint("ok 5")',
        'grading.assert_close([1.0], [2.0], "a wrong value")\nprint("ok 6")',
        'grading.call(not_defined_anywhere)',
        'grading.call(spin)',
        'grading.assert_equal(grading.call(Counter, 1).tick(), 2, "after the timeout")\n'
        'print("ok 9")',
    ]
    root = tmp_path_factory.mktemp("judge")
    (root / "src").mkdir()
    nb = new_notebook(cells=_run(tests))
    nb, _, problems, tampering = execute_sandboxed(
        nb, {}, root / "src", root / "run", deny=(), timeout=4, memory_mb=1024,
        sandbox=choose_sandbox("auto")[0], judge_setup=SETUP)
    return _outputs(nb), problems, tampering


def test_calls_return_plain_data_and_the_students_prints_are_shown(judged):
    outputs, _, _ = judged
    assert outputs[0] == ("computing\nok 0\n", "")


def test_an_input_modified_in_place_is_seen_by_the_test(judged):
    text, error = judged[0][1]
    assert "ok 1" not in text and "modified x in place" in error


def test_a_students_class_is_used_through_a_proxy(judged):
    assert judged[0][2] == ("ok 2\n", "")


def test_an_impostor_object_never_reaches_the_comparison(judged):
    text, error = judged[0][3]
    assert "ok 3" not in text
    assert error.startswith("GradingError: impostor should be an array of numbers, got a Yes")


def test_a_crash_in_student_code_is_one_sentence_with_the_students_line(judged):
    _, error = judged[0][4]
    assert error.startswith("GradingError: crash(x=an array of shape (2, 3)) raised ValueError")
    assert "at the line `return x @ x`" in error and error.endswith("Check the shapes.")


def test_plain_data_of_the_notebook_is_read(judged):
    assert judged[0][5] == ("ok 5\n", "")


def test_patches_in_the_students_kernel_do_not_change_a_verdict(judged):
    outputs, _, tampering = judged
    assert outputs[6][1].startswith("GradingError: a wrong value is wrong")
    assert "numpy.allclose was replaced" in tampering        # still reported, for review


def test_a_missing_name_is_a_name_error(judged):
    assert judged[0][7][1] == "NameError: name 'not_defined_anywhere' is not defined"


def test_a_call_that_never_returns_times_out_and_the_kernel_recovers(judged):
    outputs, problems, _ = judged
    assert outputs[8][1].startswith("CellTimeoutError")
    assert outputs[9] == ("ok 9\n", "")


def test_a_kernel_that_dies_during_a_call_is_reported_where_it_died(tmp_path):
    student = "def die():\n    import os\n    os._exit(3)\n"
    nb = new_notebook(cells=_run(['print("ok")', "grading.call(die)", 'print("never")'],
                                 student=student))
    (tmp_path / "src").mkdir()
    nb, _, problems, _ = execute_sandboxed(
        nb, {}, tmp_path / "src", tmp_path / "run", deny=(), timeout=10, memory_mb=1024,
        sandbox=choose_sandbox("auto")[0], judge_setup=SETUP)
    assert problems == ["the kernel stopped while running cell 4"]
    assert _outputs(nb)[0] == ("ok\n", "")
