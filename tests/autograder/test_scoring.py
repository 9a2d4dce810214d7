"""Tests of autograder/scoring.py: the row a submission gets from what its run found."""

from __future__ import annotations

import pytest

from autograder.course import sqlite_path
from autograder.scoring import status_and_reason


@pytest.mark.parametrize("problems, tampering, expected", [
    ([], [], ("graded", "")),
    (["the file is empty"], [], ("error", "the file is empty")),
    (["a", "b", "a"], [], ("error", "a; b")),
    (["the notebook ran longer than 60 s in cell 4"], ["numpy.allclose was replaced"],
     ("flagged", "numpy.allclose was replaced")),
])
def test_status_and_reason_put_tampering_before_problems(problems, tampering, expected):
    status, reason = status_and_reason(problems, tampering)
    assert (status, reason) == expected


def test_sqlite_path_names_the_file_of_a_sqlite_gradebook_only(tmp_path):
    assert sqlite_path(f"sqlite:///{tmp_path}/gradebook.db") == tmp_path / "gradebook.db"
    assert sqlite_path("postgresql://user@localhost/gradebook") is None
