"""Fingerprints catch tampering; MarkGradedCells/VerifyGradedCells make it cost the points."""

from __future__ import annotations

import copy

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.cellmeta import nbgrader_meta
from autograder.integrity import FINGERPRINT_CODE, baseline_fingerprint, compare, parse_fingerprint
from autograder.preprocessors.guard import MarkGradedCells, VerifyGradedCells, is_integrity_cell
from autograder.sandbox import read_baseline, read_violations

from .test_sandbox import Sandbox, error, stdout

NONCE = "0123456789abcdef"


def graded_test(grade_id: str, source: str, tags=()):
    cell = new_code_cell(source, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": grade_id,
        "schema_version": 3}})
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def solution(grade_id: str, source: str):
    return new_code_cell(source, metadata={"nbgrader": {
        "grade": False, "solution": True, "locked": False, "grade_id": grade_id,
        "schema_version": 3}})


# --- fingerprints, in this process -----------------------------------------------------

def test_fingerprint_code_prints_one_parsable_line_in_a_fresh_namespace(capsys):
    namespace: dict = {}
    exec(FINGERPRINT_CODE, namespace)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    found = parse_fingerprint(out)
    assert found is not None and "builtins" in found["modules"]
    assert [k for k in namespace if k != "__builtins__"] == []  # cleans up after itself


def test_compare_names_what_was_replaced_and_ignores_additions(monkeypatch):
    import numpy as np

    import helpers.grading

    before = baseline_fingerprint()
    monkeypatch.setattr(np, "autograder_test_extra", 1, raising=False)
    assert compare(before, baseline_fingerprint()) == []
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(helpers.grading, "assert_close", lambda *a, **k: None)
    assert compare(before, baseline_fingerprint()) == [
        "numpy.allclose was replaced", "helpers.grading.assert_close was replaced"]
    reasons = compare(before, None)
    assert len(reasons) == 1 and reasons[0].startswith("the grader's integrity check did not run")


def test_compare_sees_a_function_whose_code_was_swapped(monkeypatch):
    import helpers.grading

    before = baseline_fingerprint()
    monkeypatch.setattr(helpers.grading.to_int, "__code__", (lambda value, name="": 0).__code__)
    assert compare(before, baseline_fingerprint()) == ["helpers.grading.to_int was replaced"]


def test_fingerprint_takes_a_few_milliseconds():
    import time

    import helpers.grading  # noqa: F401

    start = time.perf_counter()
    for _ in range(10):
        baseline_fingerprint()
    assert (time.perf_counter() - start) / 10 < 0.05


# --- preprocessors without a kernel ----------------------------------------------------

def test_mark_strips_tags_appends_markers_and_integrity_cells():
    nb = new_notebook(cells=[solution("add", "def add(a, b): return a + b"),
                             graded_test("test_add", "assert add(1, 2) == 3",
                                         tags=("skip-execution", "raises-exception"))])
    nb.cells[1].metadata["jupyter"] = {"source_hidden": True}
    nb, _ = MarkGradedCells(nonce=NONCE).preprocess(nb, {})
    assert [is_integrity_cell(c) for c in nb.cells] == [True, False, False, True, True]
    test = nb.cells[2]
    assert "tags" not in test.metadata and "jupyter" not in test.metadata
    assert test.source.splitlines()[-1] == f'print("AUTOGRADER-DONE {NONCE} test_add")'


def test_mark_refuses_a_missing_nonce():
    with pytest.raises(Exception, match="nonce"):
        MarkGradedCells(nonce="has spaces")


# --- fingerprints and guards in real sandboxed kernels -----------------------------------

@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("integrity"), memory_mb=2048)


TAMPERING = {
    "numpy.allclose": "import numpy as np\nnp.allclose = lambda *a, **k: True",
    "helpers.grading.assert_close": "import helpers.grading as g\n"
                                    "g.assert_close = lambda *a, **k: None",
    # Delegating: a kernel whose isinstance always says yes stops answering at all.
    "builtins.isinstance": "import builtins\n_real = builtins.isinstance\n"
                           "builtins.isinstance = lambda o, t: _real(o, t)",
    "an IPython input transformer": "get_ipython().input_transformers_cleanup.append("
                                    "lambda lines: lines)",
}


@pytest.fixture(scope="module")
def fingerprints(sandbox):
    """Fingerprint cells after ordinary code, then after each kind of tampering."""
    ordinary = ("def helper(x):\n    return 2 * x\n"
                "import json, collections, numpy.random\n"
                "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\n"
                "from helpers.data import load_digits\nx, y = load_digits(n=10)")
    ndarray_eq = ("import numpy as np\ntry:\n    np.ndarray.__eq__ = lambda a, b: True\n"
                  "except TypeError as e:\n    print('refused:', e)")
    sources = [FINGERPRINT_CODE, ordinary, FINGERPRINT_CODE, ndarray_eq, FINGERPRINT_CODE]
    for code in TAMPERING.values():
        sources += [code, FINGERPRINT_CODE]
    cells = sandbox.run(*sources)
    assert all(error(c) is None for c in cells), [error(c) for c in cells]
    return [parse_fingerprint(stdout(c)) for c in cells], cells


@pytest.mark.slow
def test_launcher_baseline_matches_the_first_cell(sandbox, fingerprints):
    found, _ = fingerprints
    assert compare(read_baseline(sandbox.policy.log_path), found[0]) == []


@pytest.mark.slow
def test_ordinary_student_code_leaves_the_fingerprint_unchanged(fingerprints):
    found, _ = fingerprints
    assert compare(found[0], found[2]) == []


@pytest.mark.slow
def test_ndarray_eq_cannot_be_replaced(fingerprints):
    found, cells = fingerprints
    assert stdout(cells[3]).startswith("refused:")
    assert compare(found[0], found[4]) == []


@pytest.mark.slow
def test_each_kind_of_tampering_is_named(fingerprints):
    found, _ = fingerprints
    seen: set[str] = set()
    for k, what in enumerate(TAMPERING):
        reasons = set(compare(found[0], found[6 + 2 * k])) - seen
        assert any(r.startswith(what) for r in reasons), (what, reasons)
        seen |= reasons


TEST_ADD = "from helpers.grading import assert_equal\nassert_equal(add(1, 2), 3, 'add(1, 2)')"


def graded_notebook(*before_tests: str, test_source: str = TEST_ADD, tags=()):
    cells = [solution("add", "def add(a, b):\n    return a + b")]
    cells += [new_code_cell(s) for s in before_tests]
    cells += [graded_test("test_add", test_source, tags=tags),
              graded_test("test_add_again", TEST_ADD)]
    return new_notebook(cells=cells)


def grade(sandbox: Sandbox, nb):
    """Mark, execute in the sandbox, verify: the worker's sequence in miniature."""
    from nbclient import NotebookClient

    from autograder.sandbox import kernel_manager_for

    nb = copy.deepcopy(nb)
    nb, resources = MarkGradedCells(nonce=NONCE).preprocess(nb, {"autograder": {}})
    sandbox._install()
    km = kernel_manager_for(sandbox.kernels, sandbox.name)
    NotebookClient(nb, km=km, timeout=60, allow_errors=True).execute()
    resources["autograder"]["baseline"] = read_baseline(sandbox.policy.log_path)
    nb, resources = VerifyGradedCells(nonce=NONCE).preprocess(nb, resources)
    tests = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
    return tests, resources["autograder"]["tampering"], nb


@pytest.mark.slow
def test_honest_notebook_passes_clean(sandbox):
    tests, tampering, nb = grade(sandbox, graded_notebook())
    assert tampering == []
    assert [error(c) for c in tests] == [None, None]
    assert not any(is_integrity_cell(c) for c in nb.cells)
    assert all("AUTOGRADER" not in c.source and "AUTOGRADER" not in stdout(c) for c in nb.cells)


@pytest.mark.slow
def test_blanking_transformer_scores_zero_and_is_reported(sandbox):
    blank = "get_ipython().input_transformers_cleanup.append(lambda lines: [])"
    tests, tampering, _ = grade(sandbox, graded_notebook(blank))
    assert [error(c)[0] for c in tests] == ["GradingError", "GradingError"]
    assert any(t.startswith("the grader's integrity check did not run") for t in tampering)
    assert "the test cell test_add stopped before its end without an error" in tampering


@pytest.mark.slow
def test_keep_last_line_transformer_is_reported(sandbox):
    keep_last = "get_ipython().input_transformers_cleanup.append(lambda lines: lines[-1:])"
    _, tampering, _ = grade(sandbox, graded_notebook(keep_last))
    assert any(t.startswith("the grader's integrity check did not run") for t in tampering)


@pytest.mark.slow
def test_trace_function_is_flagged(sandbox):
    # (sys.displayhook needs no check: IPython sets its own around every cell.)
    trace = "import sys\nsys.settrace(lambda *args: None)"
    _, tampering, _ = grade(sandbox, graded_notebook(trace))
    assert "a trace function was installed" in tampering


@pytest.mark.slow
def test_stderr_warning_in_a_passing_test_cell_keeps_it_passing(sandbox):
    warn = "import sys\nprint('careful', file=sys.stderr)\n" + TEST_ADD
    tests, tampering, _ = grade(sandbox, graded_notebook(test_source=warn))
    assert tampering == []
    assert error(tests[0]) is None
    assert all(o.get("name") != "stderr" for o in tests[0].outputs)
    assert "(stderr) careful" in stdout(tests[0])


@pytest.mark.slow
def test_execute_result_and_skip_tags_are_removed(sandbox):
    with_value = TEST_ADD + "\n0.5"
    nb = graded_notebook(test_source=with_value, tags=("skip-execution", "raises-exception"))
    tests, tampering, _ = grade(sandbox, nb)
    assert tampering == []
    assert "tags" not in tests[0].metadata
    assert tests[0].execution_count is not None  # ran despite skip-execution
    assert all(o.output_type != "execute_result" for o in tests[0].outputs)


@pytest.mark.slow
def test_monkeypatched_numpy_is_flagged(sandbox):
    patch = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    tests, tampering, _ = grade(sandbox, graded_notebook(patch))
    assert "numpy.allclose was replaced" in tampering
    assert [error(c) for c in tests] == [None, None]  # the answer itself is right


@pytest.mark.slow
def test_reading_solutions_is_reported_as_a_violation(sandbox):
    path = sandbox.root / "solutions/01_toy/toy.ipynb"
    grade(sandbox, graded_notebook(f"try:\n    open({str(path)!r}).read()\nexcept OSError:\n"
                                   "    pass"))
    assert ("the notebook tried to read the course's solutions or the grader's files"
            in read_violations(sandbox.policy.log_path))
