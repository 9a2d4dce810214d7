"""Tests of autograder/submissions.py (no kernel)."""

from __future__ import annotations

import pytest

from autograder.archive import extract_class
from autograder.errors import SubmissionsError
from autograder.submissions import notebook_problem, survey_class

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


def test_survey_class_refuses_a_missing_folder_and_finds_nothing_in_an_empty_one(tmp_path):
    with pytest.raises(SubmissionsError, match="does not exist"):
        survey_class(tmp_path / "missing")
    assert survey_class(tmp_path).submissions == []


def test_survey_class_lists_student_and_assignment_sorted(tmp_path):
    for student in ("zoe", "adam"):
        (tmp_path / student / F.ASSIGNMENT).mkdir(parents=True)
    found = survey_class(tmp_path).submissions
    assert [(s.student_id, s.assignment) for s in found] == [
        ("adam", F.ASSIGNMENT), ("zoe", F.ASSIGNMENT)]


# --- hostile folders: links, special files, sizes ----------------------------------------

def _submission(tmp_path, student="alice"):
    from autograder.submissions import Submission

    folder = tmp_path / "class" / student / F.ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "toy.ipynb").write_text('{"cells": []}')
    return Submission(student, F.ASSIGNMENT, folder)


def test_links_are_reported_and_never_followed(tmp_path):
    from autograder.submissions import stage_submission

    secret = tmp_path / "solutions" / "answers.txt"
    secret.parent.mkdir()
    secret.write_text("the answers")
    submission = _submission(tmp_path)
    (submission.path / "data.txt").symlink_to(secret)
    (submission.path / "loop").symlink_to(".")
    (submission.path / "zeros.bin").symlink_to("/dev/zero")
    staged = stage_submission(submission, tmp_path / "submitted", ["toy"])
    copy = tmp_path / "submitted" / "alice" / F.ASSIGNMENT
    assert sorted(p.name for p in copy.iterdir()) == ["toy.ipynb"]
    assert staged.notebooks == ["toy"]
    assert sorted(staged.problems) == [
        "data.txt is a link, which the grader does not follow; it was left out",
        "loop is a link, which the grader does not follow; it was left out",
        "zeros.bin is a link, which the grader does not follow; it was left out"]


def test_special_files_are_not_opened(tmp_path):
    import os

    from autograder.submissions import copy_safely

    submission = _submission(tmp_path)
    os.mkfifo(submission.path / "pipe")         # opening it for reading would hang
    problems = copy_safely(submission.path, tmp_path / "copy")
    assert problems == ["pipe is not a regular file; it was left out"]
    assert not (tmp_path / "copy" / "pipe").exists()


def test_copying_stops_at_the_file_limit(tmp_path, monkeypatch):
    import autograder.submissions as submissions

    monkeypatch.setattr(submissions, "MAX_FILES", 3)
    submission = _submission(tmp_path)
    for k in range(5):
        (submission.path / f"f{k}.txt").write_text("x")
    problems = submissions.copy_safely(submission.path, tmp_path / "copy")
    assert problems == ["the folder holds more than 3 files or 200 MB; the rest was left out"]
    assert len(list((tmp_path / "copy").iterdir())) == 3


def test_a_linked_student_folder_is_not_followed_and_odd_ids_are_graded(tmp_path):
    outside = tmp_path / "elsewhere" / F.ASSIGNMENT
    outside.mkdir(parents=True)
    root = tmp_path / "class"
    for student in ("_alice", ".bob", "carol"):
        (root / student / F.ASSIGNMENT).mkdir(parents=True)
    (root / "__MACOSX" / F.ASSIGNMENT).mkdir(parents=True)
    (root / "mallory").symlink_to(tmp_path / "elsewhere")
    found = [s.student_id for s in survey_class(root).submissions]
    assert found == [".bob", "_alice", "carol"]


def test_notebooks_too_large_or_with_too_many_cells_are_refused_before_parsing(tmp_path,
                                                                               monkeypatch):
    import json

    import autograder.submissions as submissions

    monkeypatch.setattr(submissions, "MAX_CELLS", 10)
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "raw", "source": ""}] * 11}))
    assert notebook_problem(path) == "the notebook has more than 10 cells"
    monkeypatch.setattr(submissions, "MAX_NOTEBOOK_MB", 0)
    assert notebook_problem(path) == "the file is larger than 0 MB"


def test_an_nbformat_3_notebook_is_a_notebook(tmp_path):
    import nbformat

    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=[nbformat.v3.new_code_cell(input="x = 1")])])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.v3.writes_json(v3) if hasattr(nbformat.v3, "writes_json")
                    else nbformat.writes(v3, version=3))
    assert notebook_problem(path) is None


@pytest.mark.parametrize("value, safe", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+cmd", "'+cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("-2+3", "'-2+3"), ("\tx", "'\tx"),
    ("-1.5", "-1.5"), ("3", "3"), ("plain text", "plain text"), (3.0, 3.0),
])
def test_spreadsheet_formulas_are_neutralised(value, safe):
    from autograder.csvfiles import spreadsheet_safe

    assert spreadsheet_safe(value) == safe


# --- every notebook accounted for: placed in a submission, or listed with why -------------

NAMES = {"toy": F.ASSIGNMENT}


def _touch(root, *paths):
    for path in paths:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text('{"cells": []}')


def test_a_notebook_in_no_assignment_folder_is_listed_with_where_it_belongs(tmp_path):
    _touch(tmp_path, "dave/toy.ipynb", f"erin/{F.ASSIGNMENT}/toy.ipynb", "stray.ipynb",
           f"erin/{F.ASSIGNMENT}/extra/deeper.ipynb", "dave/notes.txt")
    survey = survey_class(tmp_path, NAMES)
    assert [(s.student_id, s.assignment) for s in survey.submissions] == [("erin", F.ASSIGNMENT)]
    assert survey.unplaced == [
        ("dave/toy.ipynb", "a notebook in dave's folder but in no assignment folder "
                           f"(move it to dave/{F.ASSIGNMENT}/)"),
        ("stray.ipynb", "a notebook outside any student's folder")]


def test_a_wrapped_folder_is_read_like_the_same_tree_zipped(tmp_path):
    import zipfile

    tree = tmp_path / "tree"
    _touch(tree, f"export/gina/{F.ASSIGNMENT}/toy.ipynb", f"export/hal/{F.ASSIGNMENT}/toy.ipynb")
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as zf:
        for path in sorted(tree.rglob("*.ipynb")):
            zf.write(path, path.relative_to(tree).as_posix())
    from_folder = survey_class(tree)
    from_zip = survey_class(extract_class(tmp_path / "class.zip", tmp_path / "unpacked"))
    expected = [("gina", F.ASSIGNMENT), ("hal", F.ASSIGNMENT)]
    assert [(s.student_id, s.assignment) for s in from_folder.submissions] == expected
    assert [(s.student_id, s.assignment) for s in from_zip.submissions] == expected
    assert from_folder.unplaced == from_zip.unplaced == []


def test_a_link_in_the_class_folder_is_not_followed_when_surveying(tmp_path):
    _touch(tmp_path, f"erin/{F.ASSIGNMENT}/toy.ipynb")
    (tmp_path / "loop").symlink_to(".")
    survey = survey_class(tmp_path)
    assert [s.student_id for s in survey.submissions] == ["erin"] and survey.unplaced == []
