"""``collect``: an LMS export becomes SUBMISSIONS/<student_id>/<assignment>/, every file told.

The exports are synthetic but shaped like the real ones: Canvas's flat
``lastfirst[_LATE]_<user id>_<submission id>_<file>`` names, Moodle's
``Full Name_<number>_assignsubmission_file_/`` folders, with duplicates, late
files, renamed and stripped notebooks, another assignment's notebook, broken
files and files that are no notebook at all.
"""

from __future__ import annotations

import csv
import os
import re
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.collect import HEADER, MAPPING, PATTERNS, CollectError, collect, compile_pattern
from autograder.errors import UnknownAssignmentError
from autograder.release import release_assignment
from autograder.submissions import survey_class

from . import factories as F
from .conftest import grade_cli, run_reaped

OTHER = "02_other"


def _other_notebook():
    """A second assignment: its own cells, ids and text."""
    return nbformat.v4.new_notebook(cells=[
        F.markdown_cell("# Another assignment\nMultiply.", "title"),
        F.solution_cell("mul", "def mul(a, b):\n    ### BEGIN SOLUTION\n    return a * b\n"
                               "    ### END SOLUTION"),
        F.test_cell("test_mul", 'assert_equal(mul(2, 3), 6, "mul(2, 3)")'),
        F.markdown_cell("Done here.", "end"),
    ], metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}})


@pytest.fixture(scope="module")
def lms_course(tmp_path_factory) -> Path:
    """A course of two assignments, both released into its notebooks/."""
    root = F.make_course(tmp_path_factory.mktemp("lms-course"))
    (root / "solutions" / OTHER).mkdir()
    nbformat.write(_other_notebook(), str(root / "solutions" / OTHER / "other.ipynb"))
    for assignment in (F.ASSIGNMENT, OTHER):
        release_assignment(root, assignment, root / "notebooks" / assignment)
    return root


def _release(course: Path, assignment=F.ASSIGNMENT):
    return next((course / "notebooks" / assignment).glob("*.ipynb"))


def _answered(course, **answers) -> str:
    return nbformat.writes(F.student_notebook(_release(course), dict(F.RIGHT, **answers)))


def _stripped(course) -> str:
    nb = F.student_notebook(_release(course), F.RIGHT)
    for cell in nb.cells:
        cell.metadata = {}
    return nbformat.writes(nb)


def _zip(path: Path, entries: list[tuple[str, str | bytes, tuple]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, when in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


MARCH = (2026, 3, 1, 12, 0, 0)
LATER = (2026, 3, 2, 9, 30, 0)


@pytest.fixture
def canvas_export(lms_course, tmp_path) -> Path:
    late_answer = "def add(a, b):\n    return b + a  # resubmitted"
    return _zip(tmp_path / "submissions.zip", [
        # two hand-ins, the second late and renamed by Canvas: the late one is kept
        ("smithjane_1001_5001_toy.ipynb", _answered(lms_course), MARCH),
        ("smithjane_LATE_1001_5002_toy-1.ipynb", _answered(lms_course, add=late_answer), LATER),
        # a browser's download name: recognised by its cells
        ("doejohn_1002_5003_toy (1).ipynb", _answered(lms_course), MARCH),
        # renamed and its markup stripped: recognised by its cells' text
        ("leeann_1003_5004_my_work.ipynb", _stripped(lms_course), MARCH),
        # another assignment's notebook, and a PDF: nothing of this assignment
        ("kimbo_1004_5005_other.ipynb", nbformat.writes(_other_notebook()), MARCH),
        ("kimbo_1004_5006_notes.pdf", b"%PDF-1.4 not a notebook", MARCH),
        # broken JSON under the notebook's name: filed so that grading reports on it
        ("parkmin_1005_5007_toy.ipynb", '{"cells": [', MARCH),
        # a notebook and its PDF print-out: the PDF is ignored
        ("ngohuy_1006_5008_toy.ipynb", _answered(lms_course), MARCH),
        ("ngohuy_1006_5009_toy.pdf", b"%PDF-1.4", MARCH),
        # what is no student's: an instructor's note and macOS's litter
        ("README.txt", "exported from Canvas", MARCH),
        ("__MACOSX/._smithjane_1001_5001_toy.ipynb", b"\0", MARCH),
    ])


def _rows(into: Path) -> list[dict]:
    with open(into / MAPPING, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _by_source(rows):
    return {row["source"]: row for row in rows}


def test_a_canvas_export_is_filed_per_student_and_every_file_accounted_for(
        lms_course, canvas_export, tmp_path):
    into = tmp_path / "class"
    result = collect(canvas_export, F.ASSIGNMENT, into, lms_course)
    toy = f"{F.ASSIGNMENT}/{F.NOTEBOOK}.ipynb"
    placed = sorted(p.relative_to(into).as_posix() for p in into.glob("*/*/*.ipynb"))
    assert placed == [f"{sid}/{toy}" for sid in ("1001", "1002", "1003", "1005", "1006")]
    assert "resubmitted" in (into / "1001" / toy).read_text()
    rows = _by_source(_rows(into))
    # one row per file of the export, junk aside
    assert len(rows) == 10 and len(result.rows) == 10
    assert rows["smithjane_LATE_1001_5002_toy-1.ipynb"]["status"] == "placed"
    assert rows["smithjane_LATE_1001_5002_toy-1.ipynb"]["late"] == "yes"
    assert rows["smithjane_1001_5001_toy.ipynb"]["status"] == "left out"
    assert rows["doejohn_1002_5003_toy (1).ipynb"]["late"] == "no"
    assert rows["doejohn_1002_5003_toy (1).ipynb"]["name"] == "doejohn"
    assert rows["leeann_1003_5004_my_work.ipynb"]["target"] == f"1003/{toy}"
    assert "grader reports on it" in rows["parkmin_1005_5007_toy.ipynb"]["note"]
    assert rows["ngohuy_1006_5009_toy.pdf"]["status"] == "ignored"
    unplaced = {r.source: r.note for r in result.unplaced}
    assert sorted(unplaced) == ["README.txt", "kimbo_1004_5005_other.ipynb",
                                "kimbo_1004_5006_notes.pdf"]
    assert f"a hand-in of {OTHER}, not of {F.ASSIGNMENT}" in unplaced["kimbo_1004_5005_other.ipynb"]
    assert "handed in no notebook" in unplaced["kimbo_1004_5006_notes.pdf"]
    assert "does not match the canvas pattern" in unplaced["README.txt"]
    # the grader reads the result as a class, with nothing left over
    survey = survey_class(into)
    assert [s.student_id for s in survey.submissions] == ["1001", "1002", "1003", "1005", "1006"]
    assert survey.unplaced == []


def test_the_placed_file_keeps_the_time_the_export_records(lms_course, canvas_export, tmp_path):
    into = tmp_path / "class"
    collect(canvas_export, F.ASSIGNMENT, into, lms_course)
    stamp = os.stat(into / "1001" / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb").st_mtime
    assert time.localtime(stamp)[:6] == LATER


def test_collecting_again_changes_nothing_and_never_overwrites_without_replace(
        lms_course, canvas_export, tmp_path):
    into = tmp_path / "class"
    collect(canvas_export, F.ASSIGNMENT, into, lms_course)
    again = collect(canvas_export, F.ASSIGNMENT, into, lms_course)
    assert again.count("unchanged") == 5 and again.count("placed") == 0
    target = into / "1002" / F.ASSIGNMENT / f"{F.NOTEBOOK}.ipynb"
    newer = _zip(tmp_path / "newer.zip", [
        ("doejohn_1002_6001_toy.ipynb", _answered(lms_course, add="def add(a, b):\n  return a+b"),
         LATER)])
    kept = target.read_bytes()
    refused = collect(newer, F.ASSIGNMENT, into, lms_course)
    assert [r.status for r in refused.rows] == ["unplaced"]
    assert "pass --replace" in refused.rows[0].note and target.read_bytes() == kept
    replaced = collect(newer, F.ASSIGNMENT, into, lms_course, replace=True)
    assert [r.status for r in replaced.rows] == ["replaced"] and b"a+b" in target.read_bytes()
    # the mapping keeps every run's rows
    assert len(_rows(into)) == 10 + 10 + 1 + 1


def test_a_moodle_export_is_filed_by_name_and_the_next_assignment_adds_to_the_class(
        lms_course, tmp_path):
    folder = "Zoë Smith-Jones_31_assignsubmission_file_"
    export = _zip(tmp_path / "moodle.zip", [
        (f"{folder}/toy.ipynb", _answered(lms_course), MARCH),
        (f"{folder}/toy (2).ipynb", _answered(lms_course, add="def add(a, b):\n  return a+b"),
         LATER),
        ("Al Li_32_assignsubmission_file_/answers/toy.ipynb", _answered(lms_course), MARCH),
        ("Al Li_32_assignsubmission_file_/onlinetext.html", "<p>see the notebook</p>", MARCH),
    ])
    into = tmp_path / "class"
    result = collect(export, F.ASSIGNMENT, into, lms_course, pattern="moodle")
    assert not result.unplaced
    toy = f"{F.ASSIGNMENT}/{F.NOTEBOOK}.ipynb"
    assert b"a+b" in (into / "zoe_smith_jones" / toy).read_bytes()
    assert (into / "al_li" / toy).is_file()
    assert {r.late for r in result.rows} == {""}    # Moodle's names do not say
    # The next assignment's export goes into the same class folder.
    nxt = _zip(tmp_path / "moodle2.zip", [
        ("Zoë Smith-Jones_77_assignsubmission_file_/other.ipynb",
         nbformat.writes(_other_notebook()), LATER)])
    collect(nxt, OTHER, into, lms_course, pattern="moodle")
    survey = survey_class(into)
    assert [(s.student_id, s.assignment) for s in survey.submissions] == [
        ("al_li", F.ASSIGNMENT), ("zoe_smith_jones", F.ASSIGNMENT), ("zoe_smith_jones", OTHER)]


def test_two_moodle_students_with_one_name_are_both_reported(lms_course, tmp_path):
    export = _zip(tmp_path / "moodle.zip", [
        ("Sam Lee_1_assignsubmission_file_/toy.ipynb", _answered(lms_course), MARCH),
        ("Sam Lee_2_assignsubmission_file_/toy.ipynb", _answered(lms_course), MARCH)])
    result = collect(export, F.ASSIGNMENT, tmp_path / "class", lms_course, pattern="moodle")
    assert len(result.unplaced) == 2
    assert all("both called 'Sam Lee'" in r.note for r in result.unplaced)
    assert not list((tmp_path / "class").glob("*/*"))


def test_an_unpacked_folder_and_an_own_pattern_work_too(lms_course, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "s123-toy.ipynb").write_text(_answered(lms_course), encoding="utf-8")
    (export / "s124-whatever.ipynb").write_text(_stripped(lms_course), encoding="utf-8")
    result = collect(export, F.ASSIGNMENT, tmp_path / "class", lms_course,
                     pattern=r"(?P<student>s\d+)-.*")
    assert result.count("placed") == 2 and not result.unplaced


def test_a_refused_archive_entry_and_an_unsafe_student_id_are_rows(lms_course, tmp_path):
    export = _zip(tmp_path / "x.zip", [
        ("ok_1_2_toy.ipynb", _answered(lms_course), MARCH),
        ("..\\evil_3_4_toy.ipynb", _answered(lms_course), MARCH)])
    result = collect(export, F.ASSIGNMENT, tmp_path / "class", lms_course)
    assert result.count("placed") == 1
    assert "backslash" in result.unplaced[0].note
    odd = _zip(tmp_path / "odd.zip", [(".hidden-toy.ipynb", _answered(lms_course), MARCH)])
    result = collect(odd, F.ASSIGNMENT, tmp_path / "class2", lms_course,
                     pattern=r"(?P<student>[^-]+)-.*")
    assert "not a safe folder name" in result.unplaced[0].note


@pytest.mark.parametrize("pattern, words", [
    ("(unclosed", "is not a regular expression"),
    (r"(?P<who>\w+)_.*", "has no group (?P<student>...)"),
])
def test_a_pattern_that_cannot_be_used_is_one_sentence(pattern, words):
    with pytest.raises(CollectError, match=re.escape(words)):
        compile_pattern(pattern)


def test_the_named_patterns_read_real_names():
    canvas = compile_pattern("canvas").fullmatch("garciamaria_late_4242_99_toy (3).ipynb")
    assert canvas["student"] == "4242" and canvas["late"] and canvas["file"] == "toy (3).ipynb"
    board = compile_pattern("blackboard").fullmatch(
        "Toy Assignment_jdoe_attempt_2026-01-30-15-30-10_toy.ipynb")
    assert board["student"] == "jdoe" and board["time"] == "2026-01-30-15-30-10"
    assert set(PATTERNS) == {"canvas", "moodle", "blackboard"}


def test_bad_inputs_are_one_sentence(lms_course, tmp_path):
    with pytest.raises(UnknownAssignmentError):
        collect(tmp_path, "99_nothing", tmp_path / "c", lms_course)
    with pytest.raises(CollectError, match="neither a zip nor a folder"):
        collect(tmp_path / "missing.zip.d", F.ASSIGNMENT, tmp_path / "c", lms_course)
    (tmp_path / "file").write_text("x")
    with pytest.raises(CollectError, match="is not a folder to collect into"):
        collect(tmp_path, F.ASSIGNMENT, tmp_path / "file", lms_course)


def test_the_mapping_header_is_the_rows_fields(lms_course, canvas_export, tmp_path):
    collect(canvas_export, F.ASSIGNMENT, tmp_path / "class", lms_course)
    with open(tmp_path / "class" / MAPPING, encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == HEADER


def test_the_command_lists_what_it_could_not_place_and_exits_1(lms_course, canvas_export,
                                                                tmp_path):
    into = tmp_path / "class"
    result = run_reaped(grade_cli("collect", canvas_export, "--assignment", F.ASSIGNMENT,
                                  "--into", into, "--course", lms_course), timeout=120)
    assert result.returncode == 1, result.stderr
    assert "5 notebooks placed (1 late, 0 replacing an earlier one)" in result.stdout
    assert "3 files could not be placed:" in result.stdout
    assert "  kimbo_1004_5006_notes.pdf: not a notebook" in result.stdout
    assert result.stderr.count("\n") == 1 and "were not placed" in result.stderr
    clean = _zip(tmp_path / "clean.zip", [("a_1_2_toy.ipynb", _answered(lms_course), MARCH)])
    result = run_reaped(grade_cli("collect", clean, "--assignment", F.ASSIGNMENT,
                                  "--into", tmp_path / "c2", "--course", lms_course), timeout=120)
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.slow
def test_every_student_of_an_export_ends_as_a_grade_row_or_a_listed_file(lms_course,
                                                                         canvas_export, tmp_path):
    into = tmp_path / "class"
    collected = collect(canvas_export, F.ASSIGNMENT, into, lms_course)
    result = run_reaped(grade_cli("grade", into, "--out", tmp_path / "out",
                                  "--course", lms_course), timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    with open(tmp_path / "out" / "grades.csv", newline="", encoding="utf-8") as handle:
        graded = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert sorted(graded) == ["1001", "1002", "1003", "1005", "1006"]
    assert graded["1003"]["status"] == "graded" and float(graded["1003"]["score"]) == 3
    assert graded["1005"]["status"] == "error"   # the broken file: a row with its reason
    listed = {row.source.split("_")[1] for row in collected.unplaced if "_" in row.source}
    assert listed == {"1004"}
