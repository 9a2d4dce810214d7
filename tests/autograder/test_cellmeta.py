"""Reading nbgrader's markup and recognising a release: one rule for every command."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.cellmeta import (
    MATCH,
    cell_texts,
    closest_release,
    grade_id,
    graded_ids,
    is_solution_cell,
    is_test_cell,
    likeness,
    nbgrader_meta,
)


def _cell(source="x = 1", markdown=False, **meta):
    cell = new_markdown_cell(source) if markdown else new_code_cell(source)
    if meta:
        cell.metadata["nbgrader"] = meta
    return cell


@pytest.mark.parametrize("metadata", [{}, {"nbgrader": None}, {"nbgrader": "grade"},
                                      {"nbgrader": [1, 2]}, None, "text"])
def test_missing_or_malformed_markup_reads_as_none(metadata):
    cell = {"cell_type": "code", "source": "", "metadata": metadata}
    assert nbgrader_meta(cell) == {}
    assert grade_id(cell) is None
    assert not is_test_cell(cell) and not is_solution_cell(cell)


def test_a_grade_id_that_is_not_text_is_no_grade_id():
    assert grade_id(_cell(grade_id=3)) is None
    assert grade_id(_cell(grade_id="")) is None
    assert grade_id(_cell(grade_id="test_a")) == "test_a"


def test_test_and_solution_cells_are_told_apart():
    test = _cell(grade=True, grade_id="test_a", points=1, solution=False)
    answer = _cell(grade=False, grade_id="a", solution=True)
    graded_answer = _cell(grade=True, grade_id="b", solution=True, points=2)
    graded_markdown = _cell("text", markdown=True, grade=True, grade_id="m", solution=False)
    assert is_test_cell(test) and not is_solution_cell(test)
    assert is_solution_cell(answer) and not is_test_cell(answer)
    assert not is_test_cell(graded_answer)      # an answer with points is not a test
    assert not is_test_cell(graded_markdown)    # only code cells are test cells


def _release(n=4):
    cells = [_cell(f"# intro {i}", markdown=True) for i in range(2)]
    for i in range(n):
        cells.append(_cell(f"def f{i}(): raise NotImplementedError()", grade_id=f"f{i}",
                           solution=True, grade=False))
        cells.append(_cell(f"assert f{i}() == {i}", grade_id=f"test_f{i}", grade=True, points=1))
    return new_notebook(cells=cells)


def test_graded_ids_and_texts():
    nb = _release(2)
    assert graded_ids(nb) == {"f0", "test_f0", "f1", "test_f1"}
    nb.cells.append(_cell("   a  =\n 1  "))
    assert "a = 1" in cell_texts(nb)


def test_a_renamed_copy_is_recognised_by_its_ids_and_a_stripped_one_by_its_text():
    one, two = _release(4), _release(4)
    for cell in two.cells:
        cell.source = cell.source.replace("f", "g")
        if grade_id(cell):
            cell.metadata["nbgrader"]["grade_id"] = grade_id(cell).replace("f", "g")
    releases = {"one": one, "two": two}
    mine = nbformat.from_dict(one)
    for cell in mine.cells:
        if is_solution_cell(cell):
            cell.source = "def f(): return 1"   # answered: the text differs, the ids do not
    assert closest_release(mine, releases)[0] == "one"
    stripped = nbformat.from_dict(one)
    for cell in stripped.cells:
        cell.metadata = {}
    assert likeness(stripped, one) == 1.0
    assert closest_release(stripped, releases)[0] == "one"


def test_nothing_is_recognised_below_the_threshold_or_between_two_close_releases():
    one = _release(4)
    few = new_notebook(cells=[c for c in one.cells if grade_id(c) in {"f0", "test_f0"}])
    assert likeness(few, one) < MATCH
    assert closest_release(few, {"one": one}) == (None, likeness(few, one))
    assert closest_release(one, {"a": one, "b": nbformat.from_dict(one)})[0] is None
    assert closest_release(one, {}) == (None, 0.0)
