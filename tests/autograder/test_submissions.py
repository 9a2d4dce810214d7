"""Tests of autograder/submissions.py (no kernel)."""

from __future__ import annotations

import pytest

from autograder.errors import SubmissionsError
from autograder.submissions import find_submissions, notebook_problem

from . import factories as F


@pytest.mark.parametrize("content, reason", [
    ("", "the file is empty"),
    ("   \n", "the file is empty"),
    ('{"cells": [', "the file is not valid notebook JSON"),
    ("[1, 2, 3]", "the file is not valid notebook JSON"),
    ('{"cells": "nope"}', "the file is not valid notebook JSON"),
])
def test_notebook_problem_names_what_is_wrong(tmp_path, content, reason):
    path = tmp_path / "x.ipynb"
    path.write_text(content)
    assert notebook_problem(path) == reason


def test_notebook_problem_accepts_a_notebook(released):
    assert notebook_problem(released) is None


def test_find_submissions_refuses_missing_and_empty_folders(tmp_path):
    with pytest.raises(SubmissionsError, match="does not exist"):
        find_submissions(tmp_path / "missing")
    with pytest.raises(SubmissionsError, match="holds no submissions"):
        find_submissions(tmp_path)


def test_find_submissions_lists_student_and_assignment_sorted(tmp_path):
    for student in ("zoe", "adam"):
        (tmp_path / student / F.ASSIGNMENT).mkdir(parents=True)
    found = find_submissions(tmp_path)
    assert [(s.student_id, s.assignment) for s in found] == [
        ("adam", F.ASSIGNMENT), ("zoe", F.ASSIGNMENT)]
