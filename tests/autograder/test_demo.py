"""Tests of autograder/demo.py."""

from __future__ import annotations

import pytest

from autograder.demo import run_demo, solution_source

from . import factories as F


def test_solution_source_rewrites_only_the_solution_region():
    assert solution_source(F.ADD_SOLUTION, "solution") == (
        'def add(a, b):\n    """Return a + b."""\n    return a + b')
    assert solution_source(F.ADD_SOLUTION, "wrong").endswith('"""Return a + b."""\n    return 0')
    tampered = solution_source(F.ADD_SOLUTION, "tamper")
    assert "class _AlwaysYes" in tampered and tampered.endswith("return _AlwaysYes()")
    compile(tampered, "<tamper>", "exec")


@pytest.mark.slow
def test_demo_prints_a_table_and_tells_students_apart(course, tmp_path):
    lines = []
    result = run_demo(course, tmp_path / "demo", timeout=20, echo=lines.append)
    rows = {r.student_id: r for r in result.grades}
    lines = "\n".join(lines).splitlines()
    assert lines[0].startswith("kernel sandbox: ")  # what confined the kernels, first
    assert lines[1].split() == ["student", "assignment", "score", "status", "reason"]
    assert any(line.startswith("tamperer") for line in lines)
    assert (rows["reference"].score, rows["reference"].status) == (3, "graded")
    assert rows["deleted_tests"].score == 3
    assert rows["tamperer"].score != rows["tamperer"].max_score
    assert rows["wrong"].score == 0
    assert rows["broken_json"].status == rows["empty_file"].status == "error"
