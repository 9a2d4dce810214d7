"""Tests of autograder/release.py and autograder/course.py."""

from __future__ import annotations

import pytest

from autograder.course import list_assignments, resolve_assignments
from autograder.errors import CourseError, UnknownAssignmentError
from autograder.release import release_assignment, release_course

from . import factories as F


def test_release_strips_solutions_and_hidden_tests(released):
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "return a + b" not in text
    assert "HIDDEN TESTS" not in text and "add(-4, 10)" not in text
    assert "raise NotImplementedError()" in text
    assert 'add(1, 2)' in text  # the visible test stays


def test_release_is_byte_identical_twice_and_leaves_no_gradebook(course, released, tmp_path):
    again = release_assignment(course, F.ASSIGNMENT, tmp_path / "again")
    assert [p.name for p in again] == [released.name]
    assert again[0].read_bytes() == released.read_bytes()
    assert not list(course.rglob("gradebook.db"))
    assert not list(tmp_path.rglob("gradebook.db"))


def test_release_course_writes_notebooks_folder(course):
    written = release_course(course)
    assert written == [course / "notebooks" / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb"]
    assert not (course / "gradebook.db").exists()


def test_release_of_unknown_assignment_lists_known_ones(course, tmp_path):
    with pytest.raises(UnknownAssignmentError, match="known assignments: 01_toy"):
        release_assignment(course, "99_nothing", tmp_path / "x")


def test_course_without_solutions_is_refused(tmp_path):
    with pytest.raises(CourseError, match="no solutions/ folder"):
        list_assignments(tmp_path)


def test_resolve_assignments_defaults_to_all(course):
    assert resolve_assignments(course) == [F.ASSIGNMENT]
