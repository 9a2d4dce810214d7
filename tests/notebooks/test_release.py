"""The student release: in sync with the source, and usable before anything is solved."""

from __future__ import annotations

import os

import pytest
from nbclient import NotebookClient

from autograder.release import release_assignment

from . import cells

SOURCES = cells.course_notebooks(cells.SOLUTIONS)


@pytest.mark.parametrize("source", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_committed_release_equals_a_fresh_release_of_the_source(source, tmp_path):
    topic = source.parent.name
    written = release_assignment(cells.ROOT, topic, tmp_path / topic)
    committed = sorted(p.relative_to(cells.RELEASE / topic)
                       for p in (cells.RELEASE / topic).rglob("*") if p.is_file())
    assert committed == sorted(p.relative_to(tmp_path / topic) for p in written)
    for path in written:
        fresh = path.read_text(encoding="utf-8")
        stored_path = cells.RELEASE / topic / path.relative_to(tmp_path / topic)
        assert fresh == stored_path.read_text(encoding="utf-8"), (
            f"notebooks/{topic}/{path.name} is out of date: "
            f"run `python -m autograder release {topic}`")


def _is_exercise_cell(cell) -> bool:
    return cells.is_solution(cell) or cells.is_graded_test(cell)


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_released_notebook_runs_top_to_bottom_before_any_exercise_is_done(source, tmp_path):
    """Only exercise cells may fail on the stub; every other cell runs or says what to finish."""
    released = cells.RELEASE / source.parent.name / source.name
    nb = cells.read(released)
    env_before = os.environ.get("COURSE_FAST")
    os.environ["COURSE_FAST"] = "1"  # widgets and experiments at their small size
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("COURSE_FAST", None)
        else:
            os.environ["COURSE_FAST"] = env_before
    failures = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _is_exercise_cell(cell):
            continue
        for output in cell.outputs:
            if output.output_type == "error" or (output.output_type == "stream"
                                                 and output.name == "stderr"):
                failures.append(f"cell {index}: {output.get('ename', 'stderr')} "
                                f"{output.get('evalue', output.get('text', ''))[:120]}")
    assert not failures, ("cells outside the exercises fail on the unfinished release:\n"
                          + "\n".join(failures))
    said = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Finish " in said, "cells that need an exercise should say which one to finish"
