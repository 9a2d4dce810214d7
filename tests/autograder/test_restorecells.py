"""RestoreGradedCells: test cells come back from the source, whatever the student did to them."""

from __future__ import annotations

import copy
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.cellmeta import grade_id, is_solution_cell, is_test_cell, nbgrader_meta
from autograder.preprocessors.restorecells import RestoreGradedCells
from autograder.release import record_assignment

from . import factories as F


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


# ------------------------------------------------ the grading path: the gradebook's source cells


@pytest.fixture(scope="module")
def recorded(course, tmp_path_factory):
    """A gradebook holding the fixture assignment's source cells, as grading has it."""
    tmp = tmp_path_factory.mktemp("restore")
    db_url = f"sqlite:///{tmp / 'gradebook.db'}"
    release = record_assignment(course, F.ASSIGNMENT, tmp, tmp / "release", db_url)
    return db_url, next(release.glob("*.ipynb"))


def _restore(recorded, nb):
    db_url, _ = recorded
    resources = {"nbgrader": {"notebook": F.NOTEBOOK, "assignment": F.ASSIGNMENT,
                              "db_url": db_url}}
    return RestoreGradedCells().preprocess(nb, resources)[0]


def _student(recorded):
    return F.student_notebook(recorded[1], F.RIGHT)


def _tests(nb):
    return [(grade_id(c), nbgrader_meta(c).get("points")) for c in nb.cells
            if is_test_cell(c)]


def test_grading_restores_a_test_cell_the_student_edited_retagged_or_repointed(recorded):
    reference = _tests(nbformat.read(str(recorded[1]), as_version=4))
    nb = _student(recorded)
    for cell in nb.cells:
        if grade_id(cell) == "test_add":
            cell.source = "pass"
            cell.metadata["nbgrader"]["points"] = 100
        if grade_id(cell) == "test_scale":
            cell.metadata["nbgrader"].update(solution=True, grade=False)   # made an answer
    restored = _restore(recorded, nb)
    assert _tests(restored) == reference == [("test_add", 1), ("test_scale", 2)]
    add = next(c for c in restored.cells if grade_id(c) == "test_add")
    assert add.source != "pass" and "add(1, 2)" in add.source


def test_grading_puts_a_deleted_test_back_after_the_answer_it_tests(recorded):
    nb = _student(recorded)
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_add"]
    restored = _restore(recorded, nb)
    order = [grade_id(c) for c in restored.cells if grade_id(c)]
    assert order == ["add", "test_add", "scale", "test_scale"]
    put_back = restored.cells[[grade_id(c) for c in restored.cells].index("test_add")]
    assert put_back.source.startswith("# This test cell was missing from the submission")


def test_grading_recognises_cells_whose_metadata_was_stripped(recorded):
    nb = _student(recorded)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    restored = _restore(recorded, nb)
    assert [grade_id(c) for c in restored.cells if grade_id(c)] == [
        "add", "test_add", "scale", "test_scale"]
    answers = {grade_id(c): c.source for c in restored.cells if is_solution_cell(c)}
    assert answers["add"] == F.RIGHT["add"]          # the student's answer stays


def test_a_students_own_cell_under_a_tests_grade_id_does_not_replace_the_test(recorded):
    nb = _student(recorded)
    impostor = nbformat.v4.new_code_cell("print('my own cell')")
    impostor.metadata["nbgrader"] = {"grade": True, "grade_id": "test_add", "points": 1,
                                     "solution": False, "locked": True, "schema_version": 3}
    nb.cells.insert(0, impostor)
    restored = _restore(recorded, nb)
    tests = [c for c in restored.cells if grade_id(c) == "test_add"]
    assert all("my own cell" not in c.source for c in tests)
    assert all("add(1, 2)" in c.source for c in tests)
