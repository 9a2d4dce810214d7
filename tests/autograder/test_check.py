"""Tests of autograder/check.py."""

from __future__ import annotations

import nbformat
import pytest

from autograder.cellmeta import grade_id
from autograder.check import print_check
from autograder.errors import NotebookError

from . import factories as F


def _write_tampered(released, answers, folder, delete=None):
    """A student's notebook whose test_scale cell was emptied (and ``delete`` removed)."""
    nb = F.student_notebook(released, answers)
    nb.cells = [c for c in nb.cells
                if delete is None or grade_id(c) != delete]
    for cell in nb.cells:
        if grade_id(cell) == "test_scale":
            cell.source = "pass"
    path = folder / "toy.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def course_with_release(tmp_path_factory):
    """The fixture course with its release in notebooks/, as a student's check finds it."""
    from autograder.release import release_course

    course = tmp_path_factory.mktemp("released-course")
    F.make_course(course)
    release_course(course)
    return course


@pytest.mark.slow
def test_check_fails_on_an_unfinished_notebook(released, course_with_release, tmp_path):
    path = tmp_path / "toy.ipynb"
    nbformat.write(F.student_notebook(released, {"add": F.RIGHT["add"]}), str(path))
    lines = []
    assert print_check(path, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 1
    assert lines[0] == f"Compared with the release notebooks/{F.ASSIGNMENT}/toy.ipynb " \
                       "(recognised by its file name)."
    lines = lines[1:]
    assert lines[0] == "PASS test_add"
    assert lines[1].startswith(
        "FAIL test_scale: NotImplementedError: this exercise is not done yet")
    assert lines[2].startswith("1/2 visible tests passed; estimated score 1/3")


@pytest.mark.slow
def test_check_passes_on_a_finished_notebook(released, course_with_release, tmp_path):
    path = tmp_path / "toy.ipynb"
    nbformat.write(F.student_notebook(released, F.RIGHT), str(path))
    lines = []
    assert print_check(path, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 0
    assert lines[-2].startswith("2/2 visible tests passed; estimated score 3/3")
    assert lines[-1].startswith("Everything passes")


@pytest.mark.slow
def test_check_fails_on_an_edited_test_cell(released, course_with_release, tmp_path):
    path = _write_tampered(released, F.RIGHT, tmp_path)
    lines = []
    assert print_check(path, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 1
    assert ("WARNING: the test cell test_scale was changed; the grader runs the original, "
            "so undo your change") in lines


def test_check_refuses_missing_and_invalid_files(tmp_path):
    with pytest.raises(NotebookError, match="there is no notebook file"):
        print_check(tmp_path / "nope.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    with pytest.raises(NotebookError, match="not valid notebook JSON"):
        print_check(bad)


@pytest.mark.slow
def test_check_restores_and_reports_test_cells_changed_against_the_release(released, tmp_path):
    # The course's own release is the reference: a deleted and an edited test cell are
    # reported, and the originals run, so a wrong answer cannot pass by editing its test.
    course = tmp_path / "course"
    F.make_course(course)
    from autograder.release import release_course
    release_course(course)
    path = _write_tampered(released, F.WRONG_SCALE, tmp_path, delete="test_add")
    lines = []
    assert print_check(path, timeout=20, echo=lines.append, course_root=course) == 1
    assert any(line.startswith("FAIL test_scale") for line in lines)
    assert "PASS test_add" in lines  # put back from the release, and the answer is right
    assert any("test_add was deleted" in line for line in lines)
    assert any("test_scale was changed" in line for line in lines)


@pytest.mark.slow
def test_the_source_notebook_is_checked_as_it_stands(tmp_path):
    # The instructor's original holds the hidden tests: no "changed" warning for them.
    course = tmp_path / "course"
    F.make_course(course)
    from autograder.release import release_course
    release_course(course)
    source = course / "solutions" / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb"
    lines = []
    assert print_check(source, timeout=20, echo=lines.append, course_root=course) == 0
    assert lines[0].startswith("This is the instructor's source notebook")
    assert not any(line.startswith("WARNING") for line in lines)
    assert "2/2 tests passed; score 3/3." in lines


@pytest.mark.slow
def test_a_renamed_notebook_is_recognised_by_its_content(released, course_with_release,
                                                         tmp_path):
    path = _write_tampered(released, F.RIGHT, tmp_path, delete="test_add")
    renamed = path.with_name("toy (1).ipynb")
    path.rename(renamed)
    lines = []
    assert print_check(renamed, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 1
    assert lines[0] == f"Compared with the release notebooks/{F.ASSIGNMENT}/toy.ipynb " \
                       "(recognised by its content)."
    assert any("test_add was deleted" in line for line in lines)
    assert "2/2 visible tests passed; estimated score 3/3 if the hidden tests pass too." in lines


@pytest.mark.slow
def test_stripped_metadata_under_another_name_is_checked_as_the_grader_grades_it(
        released, course_with_release, tmp_path):
    nb = F.student_notebook(released, F.RIGHT)
    for cell in nb.cells:
        cell.metadata = {}
    path = tmp_path / "my copy.ipynb"
    nbformat.write(nb, str(path))
    lines = []
    assert print_check(path, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 0, lines
    assert not any(line.startswith(("WARNING", "PROBLEM")) for line in lines), lines
    assert "2/2 visible tests passed; estimated score 3/3 if the hidden tests pass too." in lines


@pytest.mark.slow
def test_a_notebook_check_cannot_place_never_passes(course_with_release, tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    path = tmp_path / "unrelated.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), str(path))
    lines = []
    assert print_check(path, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 1
    assert any(line.startswith("PROBLEM: check cannot tell which assignment") for line in lines)


@pytest.mark.slow
def test_a_syntax_error_is_reported_in_its_cell(released, course_with_release, tmp_path):
    path = tmp_path / "toy.ipynb"
    broken = dict(F.RIGHT, add="def add(a, b)\n    return a + b")  # the colon is missing
    nbformat.write(F.student_notebook(released, broken), str(path))
    lines = []
    assert print_check(path, timeout=20, echo=lines.append,
                          course_root=course_with_release) == 1
    problem = next(line for line in lines if line.startswith("PROBLEM"))
    assert "(add) has a SyntaxError" in problem and "nothing in it ran" in problem
