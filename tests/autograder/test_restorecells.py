"""RestoreGradedCells: test cells come back from the source, whatever the student did to them."""

from __future__ import annotations

import copy
import time

import nbformat
from nbformat.v4 import new_code_cell

from autograder.cellmeta import grade_id, nbgrader_meta
from autograder.preprocessors.restorecells import RestoreGradedCells


def _graded_ids(nb):
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if nbgrader_meta(c).get("grade")]


def test_an_edited_test_cell_gets_its_source_back(released):
    reference = nbformat.read(str(released), as_version=4)
    nb = copy.deepcopy(reference)
    cell = next(c for c in nb.cells if grade_id(c) == "test_add")
    cell.source = "print('all good')"
    restored = RestoreGradedCells().restore_from_notebook(nb, reference)
    again = next(c for c in restored.cells
                 if grade_id(c) == "test_add")
    original = next(c for c in reference.cells
                    if grade_id(c) == "test_add")
    assert again.source == original.source != "print('all good')"


def test_a_test_cell_that_lost_its_metadata_is_recognised_by_its_text(released):
    reference = nbformat.read(str(released), as_version=4)
    nb = copy.deepcopy(reference)
    for cell in nb.cells:
        if grade_id(cell) == "test_scale":
            del cell.metadata["nbgrader"]
    restored = RestoreGradedCells().restore_from_notebook(nb, reference)
    assert _graded_ids(restored).count("test_scale") == 1


def test_a_deleted_test_cell_is_added_back_once(released):
    reference = nbformat.read(str(released), as_version=4)
    nb = copy.deepcopy(reference)
    nb.cells = [c for c in nb.cells
                if grade_id(c) != "test_add"]
    restored = RestoreGradedCells().restore_from_notebook(nb, reference)
    assert _graded_ids(restored).count("test_add") == 1


def test_hundreds_of_large_unmarked_cells_restore_quickly(released):
    # Before any time limit applies: the comparison must stay cheap on hostile input.
    reference = nbformat.read(str(released), as_version=4)
    nb = copy.deepcopy(reference)
    test_text = "\n".join(c.source for c in reference.cells
                          if nbgrader_meta(c).get("grade"))
    filler = (test_text + "\n") * (20_000 // len(test_text))      # ~20,000 characters
    nb.cells += [new_code_cell(f"# {k}\n" + filler) for k in range(300)]
    start = time.perf_counter()
    restored = RestoreGradedCells().restore_from_notebook(nb, reference)
    assert time.perf_counter() - start < 10
    assert sorted(_graded_ids(restored)) == sorted(_graded_ids(reference))
