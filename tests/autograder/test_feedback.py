"""Tests of autograder/feedback.py: pages for a small graded class, and the guards."""

from __future__ import annotations

import csv
import html
import re

import pytest

from autograder.cli import main
from autograder.csvfiles import GRADES_HEADER, GradeRow
from autograder.errors import AutograderError
from autograder.feedback import (
    HIDDEN_NOTE,
    FeedbackError,
    failure_text,
    generate_feedback,
    hide_hidden_tests,
    strip_ansi,
)
from autograder.grade import grade_class

from . import factories as F
from .conftest import tree_digest, write_submission

ODD_ID = "Zoë \"Q\" O'Neil <b>&"
TAMPER = dict(F.RIGHT, add="import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                           "def add(a, b):\n    return a + b")
SCALE_MESSAGE = "scale([1.0, 2.0], 3) is wrong: expected [3., 6.], got [4., 5.]"


def write_grades(out, rows):
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(GRADES_HEADER)
        writer.writerows(rows)


def page_of(out, student):
    return (out / "feedback" / student / F.ASSIGNMENT / f"{F.NOTEBOOK}.html").read_text(
        encoding="utf-8")


def banner_of(page):
    match = re.search(r'<div class="ag-banner[^"]*" id="ag-banner">.*?</div>', page, re.S)
    assert match, "the page has no banner"
    return match.group(0)


# ---------------------------------------------------------------- fast tests


def test_strip_ansi_removes_colour_codes():
    assert strip_ansi("\x1b[0;31mGradingError\x1b[0m: x \x1b[38;5;241m1\x1b[39m") == (
        "GradingError: x 1")


def test_failure_text_gives_the_grading_error_sentence_and_a_plain_traceback():
    outputs = [{"output_type": "error", "ename": "GradingError", "evalue": "add(1, 2) is wrong.",
                "traceback": ["\x1b[0;31mTraceback\x1b[0m", "GradingError: add(1, 2) is wrong."]}]
    message, traceback = failure_text(outputs)
    assert message == "add(1, 2) is wrong."
    assert traceback == "Traceback\nGradingError: add(1, 2) is wrong."


def test_failure_text_names_other_errors_and_stderr():
    assert failure_text([{"output_type": "error", "ename": "NameError",
                          "evalue": "name 'add' is not defined", "traceback": []}])[0].startswith(
        "NameError: name 'add' is not defined; the test needs a name that your notebook")
    assert failure_text([{"output_type": "error", "ename": "NotImplementedError",
                          "evalue": "", "traceback": []}])[0].startswith(
        "NotImplementedError: this exercise is not done yet")
    assert "oops" in failure_text([{"output_type": "stream", "name": "stderr",
                                    "text": "oops\n"}])[0]


def _failed_cell(ename, evalue, traceback):
    from nbformat.v4 import new_code_cell, new_output

    cell = new_code_cell("check()")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_x", "points": 1, "score": 0}
    cell.outputs = [new_output("error", ename=ename, evalue=evalue, traceback=traceback)]
    return cell


def test_a_grading_error_is_shown_as_its_sentence_with_nothing_to_unfold():
    from autograder.feedback import _mark_test_cell

    cell = _failed_cell("GradingError", "add(1, 2) is wrong.",
                        ["\x1b[0;31mGradingError\x1b[0m: add(1, 2) is wrong."])
    _mark_test_cell(cell, "graded", "")
    box = cell.outputs[0]["data"]["text/html"]
    assert "add(1, 2) is wrong." in box and "<details>" not in box


def test_another_error_keeps_its_traceback_folded_under_the_sentence():
    from autograder.feedback import _mark_test_cell

    cell = _failed_cell("KeyError", "'w'", ["Traceback (most recent call last)", "KeyError: 'w'"])
    _mark_test_cell(cell, "graded", "")
    box = cell.outputs[0]["data"]["text/html"]
    assert box.index("KeyError: &#x27;w&#x27;") < box.index("<details>")
    assert "Traceback (most recent call last)" in box


def test_hide_hidden_tests_replaces_each_region_by_one_note():
    source = ("check(1)\n### BEGIN HIDDEN TESTS\nsecret(2)\n### END HIDDEN TESTS\nafter(3)\n"
              "if x:\n    # BEGIN HIDDEN TESTS\n    secret(4)\n    # END HIDDEN TESTS")
    hidden, found = hide_hidden_tests(source)
    assert found
    assert hidden == (f"check(1)\n{HIDDEN_NOTE}\nafter(3)\nif x:\n    {HIDDEN_NOTE}")
    assert hide_hidden_tests("check(1)\ncheck(2)") == ("check(1)\ncheck(2)", False)
    # An unterminated region hides everything after its start.
    assert hide_hidden_tests("a\n### BEGIN HIDDEN TESTS\nsecret") == (f"a\n{HIDDEN_NOTE}", True)


def test_missing_grades_csv_says_to_run_grade_first(tmp_path):
    with pytest.raises(FeedbackError, match="run `python -m autograder grade` first"):
        generate_feedback(tmp_path, tmp_path)
    assert issubclass(FeedbackError, AutograderError)


@pytest.mark.parametrize("student", ["../evil", "a/b", "..", ""])
def test_ids_that_could_leave_the_feedback_folder_are_refused(tmp_path, course, student):
    out = tmp_path / "out"
    write_grades(out, [[student, F.ASSIGNMENT, "0", "3", "error", "x"]])
    with pytest.raises(FeedbackError, match="refusing"):
        generate_feedback(out, course)
    assert not (tmp_path / "evil").exists()
    assert not (out / "feedback").exists()


def test_error_row_without_gradebook_or_notebook_gets_an_escaped_banner_page(tmp_path, course):
    out = tmp_path / "out"
    write_grades(out, [[ODD_ID, F.ASSIGNMENT, "0", "3", "error", "not <valid> JSON"],
                       ["amy", "99_unknown", "0", "0", "error", "no such assignment"]])
    paths = generate_feedback(out, course)
    assert paths == [out / "feedback" / ODD_ID / F.ASSIGNMENT / f"{F.NOTEBOOK}.html",
                     out / "feedback" / "amy" / "99_unknown" / "index.html"]
    page = paths[0].read_text(encoding="utf-8")
    assert html.escape("not <valid> JSON") in banner_of(page)
    assert html.escape(ODD_ID) in page and ODD_ID not in page
    assert "no such assignment" in banner_of(paths[1].read_text(encoding="utf-8"))
    assert not (out / "gradebook.db").exists()


# ------------------------------------------------------- a graded class (slow)


@pytest.fixture(scope="module")
def feedback(course, released, tmp_path_factory):
    root = tmp_path_factory.mktemp("feedback_class")
    write_submission(root, "alice", F.student_notebook(released, F.RIGHT))
    write_submission(root, "bob", F.student_notebook(released, F.WRONG_SCALE))
    write_submission(root, ODD_ID, F.student_notebook(released, F.WRONG_SCALE))
    write_submission(root, "dan", text='{"cells": [')
    write_submission(root, "tess", F.student_notebook(released, TAMPER))
    out = tmp_path_factory.mktemp("feedback_out")
    grade_class(root, course, out, workers=2, timeout=20)
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    paths = generate_feedback(out, course)
    first = tree_digest(out / "feedback")
    again = generate_feedback(out, course)
    # Through the command line, as an instructor asks for it.
    assert main(["feedback", "--out", str(out), "--course", str(course),
                 "--hide-hidden-tests"]) == 0
    hidden = {path: path.read_text(encoding="utf-8") for path in paths}
    generate_feedback(out, course)
    return {"out": out, "rows": rows, "paths": paths, "again": again, "first": first,
            "hidden": hidden}


@pytest.mark.slow
def test_one_page_per_grades_row_at_its_path(feedback):
    out, rows = feedback["out"], feedback["rows"]
    assert {r["status"] for r in rows.values()} == {"graded", "error", "flagged"}
    assert rows["dan"]["status"] == "error" and rows["tess"]["status"] == "flagged"
    expected = [out / "feedback" / s / F.ASSIGNMENT / f"{F.NOTEBOOK}.html" for s in rows]
    assert feedback["paths"] == expected
    assert all(p.is_file() for p in expected)
    found = sorted(p for p in (out / "feedback").rglob("*") if p.is_file())
    assert found == sorted(expected)


@pytest.mark.slow
def test_partly_wrong_page_shows_the_sentence_alone_and_the_points(feedback):
    # A GradingError draws itself as its sentence (GradingError._render_traceback_):
    # no traceback through helpers/grading.py, and nothing to unfold under it.
    page = page_of(feedback["out"], "bob")
    message = page.find(SCALE_MESSAGE)
    assert message >= 0 and page.find('class="ag-fail"') < message
    assert "Traceback (most recent call last)" not in page
    assert "grading.py" not in page
    assert "Show the full traceback" not in page
    assert "\x1b[" not in page
    assert "Failed — 0 / 2 points" in page
    assert "passed" in page and "1 / 1 points" in page
    assert "toy (Score: 1.0 / 3.0)" in page  # nbgrader's total
    assert "Score for the assignment: 1 of 3 points." in page


@pytest.mark.slow
def test_right_answer_page_shows_full_marks_and_no_failure(feedback):
    page = page_of(feedback["out"], "alice")
    assert "toy (Score: 3.0 / 3.0)" in page
    assert "Score for the assignment: 3 of 3 points." in page
    assert page.count('class="ag-pass"') == 2
    assert 'class="ag-fail"' not in page


@pytest.mark.slow
def test_invalid_json_and_flagged_pages_say_why_in_the_banner(feedback):
    out, rows = feedback["out"], feedback["rows"]
    dan = page_of(out, "dan")
    assert "ag-error" in banner_of(dan)
    assert html.escape(rows["dan"]["reason"]) in banner_of(dan)
    tess = page_of(out, "tess")
    banner = banner_of(tess)
    assert "ag-flagged" in banner and html.escape(rows["tess"]["reason"]) in banner
    assert "allclose" in banner
    assert tess.find(banner) < tess.find('id="notebook"')  # the notebook comes below
    assert 'class="ag-pass"' not in tess  # a flagged submission passes nothing


@pytest.mark.slow
def test_odd_student_ids_work_and_are_escaped(feedback):
    page = page_of(feedback["out"], ODD_ID)
    assert html.escape(ODD_ID) in banner_of(page)
    assert ODD_ID not in page
    assert SCALE_MESSAGE in page


@pytest.mark.slow
def test_formulas_are_drawn_without_mathjax(feedback):
    page = page_of(feedback["out"], "alice")
    assert re.search(r'<img alt="a \+ b" class="ag-math ag-depth-\d+" '
                     r'src="data:image/svg\+xml;base64,', page)
    assert ".ag-depth-1 {" in page
    assert "$a + b$" not in page
    assert not re.search(r"<script\b(?:(?!</script).)*MathJax", page, re.S | re.I)


@pytest.mark.slow
def test_pages_load_nothing_from_the_network(feedback):
    for path in feedback["paths"]:
        page = path.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]*\bsrc=", page, re.I), path
        assert not re.search(r"<link[^>]*href=[\"']?(https?:)?//", page, re.I), path
        assert not re.search(r"url\([\"']?(https?:)?//", page, re.I), path
        assert "<style" in page


@pytest.mark.slow
def test_rerun_gives_identical_files(feedback):
    assert feedback["again"] == feedback["paths"]
    assert tree_digest(feedback["out"] / "feedback") == feedback["first"]


@pytest.mark.slow
def test_hidden_tests_can_be_kept_from_the_pages(feedback):
    hidden_code = ("add(-4, 10)", "scale([0.5], -2)", "BEGIN HIDDEN TESTS")
    shown = page_of(feedback["out"], "bob")
    assert all(code in shown for code in hidden_code)  # nbgrader's default shows them
    for path, page in feedback["hidden"].items():
        assert not any(code in page for code in hidden_code), path
        assert "Traceback (most recent call last)" not in page, path
    bob = feedback["hidden"][feedback["out"] / "feedback" / "bob" / F.ASSIGNMENT /
                             f"{F.NOTEBOOK}.html"]
    assert HIDDEN_NOTE in bob
    # What the student needs stays: the visible test, the sentence and the points.
    assert "scale([1.0, 2.0], 3)" in bob and SCALE_MESSAGE in bob
    assert "Failed — 0 / 2 points" in bob and "toy (Score: 1.0 / 3.0)" in bob


def test_student_outputs_that_a_browser_would_run_are_made_inert():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from autograder.feedback import make_outputs_inert

    cell = new_code_cell("display(...)")
    cell.outputs = [
        new_output("display_data", data={"application/javascript": "alert(1)"}),
        new_output("display_data", data={"text/html": "<img src=x onerror=alert(1)>"}),
        new_output("execute_result", data={"text/html": "<b>table</b>", "text/plain": "table"},
                   execution_count=1),
        new_output("display_data", data={"image/png": "iVBORw0KGgo="}),
    ]
    nb = new_notebook(cells=[cell])
    make_outputs_inert(nb)
    kinds = [set(o.get("data", {})) for o in nb.cells[0].outputs]
    assert kinds == [set(), {"text/plain"}, {"text/plain"}, {"image/png"}]
    assert nb.cells[0].outputs[1]["data"]["text/plain"] == "<img src=x onerror=alert(1)>"


def test_every_page_forbids_scripts_and_fetches(tmp_path):
    from autograder.feedback import CSP, _banner_page, _insert

    row = GradeRow("s", "a", 1, 2, "graded", "")
    page = _insert("<html><head><title>t</title></head><body></body></html>", row, "nb")
    assert page.index(CSP) < page.index("<title>")
    assert "script-src" not in CSP and "default-src 'none'" in CSP
    assert CSP in _banner_page(row, "nb", "note")


@pytest.mark.slow
def test_the_graded_pages_carry_the_policy(feedback):
    from autograder.feedback import CSP

    assert CSP in page_of(feedback["out"], "bob")
