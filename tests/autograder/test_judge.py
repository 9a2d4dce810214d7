"""The judge: graded test cells run in the grader's process, calling the student's code by proxy.

Each test executes a small notebook the way the grader does (``execute_sandboxed``
with a judge setup cell) and reads the outputs of its graded test cells.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import wire
from autograder.agent import Agent, _SocketServer
from autograder.cellmeta import nbgrader_meta
from autograder.judge import SocketChannel
from autograder.sandbox import choose_sandbox
from autograder.worker import execute_sandboxed

slow = pytest.mark.slow

SETUP = "import numpy as np\nfrom helpers import grading"

STUDENT = '''
import numpy as np
from autograder.cellmeta import nbgrader_meta

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


def _judge(root, tests: list[str], student: str, timeout: int):
    """Execute the setup, ``student`` and ``tests`` as the grader does; (notebook, problems)."""
    (root / "src").mkdir()
    nb, _, problems, _ = execute_sandboxed(
        new_notebook(cells=_run(tests, student=student)), {}, root / "src", root / "run",
        deny=(), timeout=timeout, memory_mb=1024, sandbox=choose_sandbox("auto")[0],
        judge_setup=SETUP)
    return nb, problems


def _outputs(nb) -> list[tuple[str, str]]:
    """(stdout, error sentence) of every graded cell."""
    found = []
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            error = next((f"{o.ename}: {o.evalue}" for o in cell.outputs
                          if o.output_type == "error"), "")
            found.append((text, error))
    return found


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """The test cells below, run by the judge; and how many requests took the fast socket."""
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
        'out = grading.call_many(double, [(1.0,), (2.5,)])\n'
        'grading.assert_close(out, [2.0, 5.0], "double in a batch")\nprint("ok 10")',
        'grading.call_many(crash, [(np.ones(2),), (np.ones((2, 3)),)])',
    ]
    root = tmp_path_factory.mktemp("judge")
    (root / "src").mkdir()
    nb = new_notebook(cells=_run(tests))
    counted = []
    real = SocketChannel.request

    def request(self, op, **fields):
        counted.append(op)
        return real(self, op, **fields)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SocketChannel, "request", request)
        nb, _, problems, tampering = execute_sandboxed(
            nb, {}, root / "src", root / "run", deny=(), timeout=4, memory_mb=1024,
            sandbox=choose_sandbox("auto")[0], judge_setup=SETUP)
    return _outputs(nb), problems, tampering, counted


@slow
def test_calls_return_plain_data_and_the_students_prints_are_shown(judged):
    outputs, _, _, _ = judged
    assert outputs[0] == ("computing\nok 0\n", "")


@slow
def test_an_input_modified_in_place_is_seen_by_the_test(judged):
    text, error = judged[0][1]
    assert "ok 1" not in text and "modified x in place" in error


@slow
def test_a_students_class_is_used_through_a_proxy(judged):
    assert judged[0][2] == ("ok 2\n", "")


@slow
def test_an_impostor_object_never_reaches_the_comparison(judged):
    text, error = judged[0][3]
    assert "ok 3" not in text
    assert error.startswith("GradingError: impostor should be an array of numbers, got a Yes")


@slow
def test_a_crash_in_student_code_is_one_sentence_with_the_students_line(judged):
    _, error = judged[0][4]
    assert error.startswith("GradingError: crash(x=an array of shape (2, 3)) raised ValueError")
    assert "at the line `return x @ x`" in error and error.endswith("Check the shapes.")


@slow
def test_plain_data_of_the_notebook_is_read(judged):
    assert judged[0][5] == ("ok 5\n", "")


@slow
def test_patches_in_the_students_kernel_do_not_change_a_verdict(judged):
    outputs, _, tampering, _ = judged
    assert outputs[6][1].startswith("GradingError: a wrong value is wrong")
    assert "numpy.allclose was replaced" in tampering        # still reported, for review


@slow
def test_a_missing_name_is_a_name_error(judged):
    assert judged[0][7][1] == "NameError: name 'not_defined_anywhere' is not defined"


@slow
def test_a_call_that_never_returns_times_out_and_the_kernel_recovers(judged):
    outputs, problems, _, _ = judged
    assert outputs[8][1].startswith("CellTimeoutError")
    assert outputs[9] == ("ok 9\n", "")


@slow
def test_the_calls_take_the_agents_socket_not_the_shell_channel(judged):
    assert judged[3].count("call") >= 8 and "lookup" in judged[3]


@slow
def test_a_batch_of_calls_is_one_round_trip_and_a_crash_names_its_call(judged):
    outputs, _, _, requests = judged
    assert outputs[10] == ("computing\ncomputing\nok 10\n", "")
    assert requests.count("call_many") == 2
    assert outputs[11][1].startswith("GradingError: crash(x=an array of shape (2, 3)) raised "
                                     "ValueError")


@slow
def test_a_call_that_ignores_interrupts_times_out_and_the_notebook_still_ends(tmp_path):
    student = ("import signal\n\ndef stubborn():\n"
               "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n")
    nb, problems = _judge(tmp_path, ['print("ok")', "grading.call(stubborn)", 'print("after")'],
                          student, timeout=3)
    outputs = _outputs(nb)
    assert outputs[0] == ("ok\n", "")
    assert outputs[1][1].startswith("CellTimeoutError")
    assert outputs[2] == ("after\n", "")     # a test that needs nothing of the kernel
    assert len(problems) == 1 and "ran longer than" in problems[0]


@slow
def test_a_kernel_that_dies_during_a_call_is_reported_where_it_died(tmp_path):
    student = "def die():\n    import os\n    os._exit(3)\n"
    nb, problems = _judge(tmp_path, ['print("ok")', "grading.call(die)", 'print("never")'],
                          student, timeout=10)
    assert problems == ["the kernel stopped while running cell 4"]
    assert _outputs(nb)[0] == ("ok\n", "")


# --- the agent's socket, without a kernel --------------------------------------------------

@pytest.fixture
def served(tmp_path):
    """An agent serving ``double`` on a Unix socket from an event loop of its own thread."""
    agent = Agent({"double": lambda x: 2 * x, "answer": 42}, wire=wire)
    path = str(tmp_path / "judge.sock")
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        _SocketServer(agent, path, b"the-session-key").listen()
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    yield path
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_the_socket_answers_the_judge_with_plain_data(served):
    channel = SocketChannel(served, b"the-session-key", interrupt=lambda: None)
    try:
        reply = channel.request("call", target={"name": "double"},
                                args=wire.encode([21]))
        assert wire.decode(reply["value"]) == 42
        assert wire.decode(channel.request("lookup", name="answer")["value"]) == 42
    finally:
        channel.close()


def test_the_socket_answers_nothing_without_the_kernels_session_key(served):
    with pytest.raises(OSError, match="did not answer"):
        SocketChannel(served, b"a-guessed-key", interrupt=lambda: None, connect_timeout=2)
