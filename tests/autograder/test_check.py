"""Tests of autograder/check.py."""

from __future__ import annotations

import nbformat
import pytest

from autograder.check import check_notebook
from autograder.errors import NotebookError

from . import factories as F


@pytest.mark.slow
def test_check_fails_on_an_unfinished_notebook(released, tmp_path):
    path = tmp_path / "toy.ipynb"
    nbformat.write(F.student_notebook(released, {"add": F.RIGHT["add"]}), str(path))
    lines = []
    assert check_notebook(path, timeout=20, echo=lines.append) == 1
    assert lines[:2] == ["PASS test_add", "FAIL test_scale: NotImplementedError"]
    assert lines[2].startswith("1/2 tests passed, 1/3 visible points")


@pytest.mark.slow
def test_check_passes_on_a_finished_notebook(released, tmp_path):
    path = tmp_path / "toy.ipynb"
    nbformat.write(F.student_notebook(released, F.RIGHT), str(path))
    lines = []
    assert check_notebook(path, timeout=20, echo=lines.append) == 0
    assert lines[-1].startswith("2/2 tests passed, 3/3 visible points")


@pytest.mark.slow
def test_check_fails_on_an_edited_test_cell(released, tmp_path):
    nb = F.student_notebook(released, F.RIGHT)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_scale":
            cell.source = "pass"
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, str(path))
    lines = []
    assert check_notebook(path, timeout=20, echo=lines.append) == 1
    assert lines[1].startswith("FAIL test_scale: this test cell was edited")


def test_check_refuses_missing_and_invalid_files(tmp_path):
    with pytest.raises(NotebookError, match="there is no notebook file"):
        check_notebook(tmp_path / "nope.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    with pytest.raises(NotebookError, match="not valid notebook JSON"):
        check_notebook(bad)
