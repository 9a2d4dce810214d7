"""Tests of autograder/report.py: the class report, from synthetic CSVs (no grading)."""

from __future__ import annotations

import base64
import csv
import html
import io
import re

import matplotlib.image
import pytest

from autograder.csvfiles import GRADES_HEADER, TESTS_HEADER
from autograder.errors import AutograderError
from autograder.report import (
    ReportError,
    build_report,
    exercise_of,
    known_mistake,
    message_pattern,
    summary_text,
)

A1, A2 = "01_convolution_arithmetic", "02_resnet_gradient_flow"
XSS = "<script>alert(1)</script>"
ZOE = "Zoë \"Q\" O'Brien"
STRIDE = ("GradingError: conv_output_size({n}, 3, s=2) is wrong: expected 3, got {got}. Your "
          "result matches a known mistake: stride ignored. Divide the free room N - K by S.")
NOT_IMPLEMENTED = "NotImplementedError"


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def test_row(student, assignment, grade_id, points, max_points, message=""):
    return [student, assignment, assignment[3:], grade_id, points, max_points, message]


test_row.__test__ = False  # a row factory, not a test


@pytest.fixture
def out(tmp_path):
    """A class of seven: A1 has tests of different difficulty, an error, two flags; A2 is small."""
    grades = [
        ["alice", A1, "4", "4", "graded", ""],
        ["bob", A1, "2", "4", "graded", ""],
        ["carol", A1, "0", "4", "graded", ""],
        ["dave", A1, "3", "4", "graded", ""],
        [ZOE, A1, "1", "4", "flagged", "the notebook's \"==\" was replaced"],
        [XSS, A1, "0", "4", "error", "the file is not valid notebook JSON"],
        ["mallory", A1, "0", "4", "flagged", "a test cell was edited <b>by hand</b>"],
        ["alice", A2, "3", "3", "graded", ""],
        ["bob", A2, "0", "3", "graded", ""],
    ]
    tests = [
        test_row("alice", A1, "test_conv_output_size", 1, 1),
        test_row("alice", A1, "test_conv_output_size_2", 1, 1),
        test_row("alice", A1, "test_conv2d_naive", 2, 2),
        test_row("bob", A1, "test_conv_output_size", 0, 1, STRIDE.format(n=7, got=5)),
        test_row("bob", A1, "test_conv_output_size_2", 1, 1),
        test_row("bob", A1, "test_conv2d_naive", 1, 2, "AssertionError: out has the wrong sign"),
        test_row("carol", A1, "test_conv_output_size", 0, 1, NOT_IMPLEMENTED),
        test_row("carol", A1, "test_conv_output_size_2", 0, 1, STRIDE.format(n=9, got=7)),
        test_row("carol", A1, "test_conv2d_naive", 0, 2, NOT_IMPLEMENTED),
        test_row("dave", A1, "test_conv_output_size", 0, 1, STRIDE.format(n=7, got=5)),
        test_row("dave", A1, "test_conv_output_size_2", 1, 1),
        test_row("dave", A1, "test_conv2d_naive", 2, 2),
        # Flagged rows: held back from the tables of the class's own mistakes.
        test_row(ZOE, A1, "test_conv_output_size", 0, 1, STRIDE.format(n=7, got=5)),
        test_row(ZOE, A1, "test_conv_output_size_2", 0, 1, STRIDE.format(n=9, got=7)),
        test_row(ZOE, A1, "test_conv2d_naive", 1, 2, NOT_IMPLEMENTED),
        # An error row's tests never ran: they must not count as failures.
        test_row(XSS, A1, "test_conv_output_size", 0, 1, "not graded"),
        test_row(XSS, A1, "test_conv_output_size_2", 0, 1, "not graded"),
        test_row(XSS, A1, "test_conv2d_naive", 0, 2, "not graded"),
        test_row("mallory", A1, "test_conv_output_size", 0, 1, NOT_IMPLEMENTED),
        test_row("mallory", A1, "test_conv_output_size_2", 0, 1, NOT_IMPLEMENTED),
        test_row("mallory", A1, "test_conv2d_naive", 0, 2, NOT_IMPLEMENTED),
        test_row("alice", A2, "test_residual_block", 3, 3),
        test_row("bob", A2, "test_residual_block", 0, 3, NOT_IMPLEMENTED),
    ]
    write(tmp_path / "grades.csv", GRADES_HEADER, grades)
    write(tmp_path / "tests.csv", TESTS_HEADER, tests)
    return tmp_path


@pytest.fixture
def page(out) -> str:
    return build_report(out).read_text(encoding="utf-8")


def pngs(text: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r"data:image/png;base64,([^\"]+)", text)]


def table_after(text: str, heading: str) -> str:
    start = text.index(heading)
    return text[start:text.index("</table>", start)]


def test_report_embeds_a_histogram_and_a_failure_chart_per_assignment(out, page):
    assert (out / "report" / "index.html").is_file()
    assert page.count("data:image/png;base64") == 4  # two assignments, two figures each
    assert page.count('alt="histogram of the scores in') == 2
    assert page.count('alt="failure rate per test in') == 2


def test_embedded_figures_are_pngs_that_decode(page):
    for data in pngs(page):
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        image = matplotlib.image.imread(io.BytesIO(data), format="png")
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_report_lists_tests_hardest_first_and_ignores_error_rows(page):
    table = table_after(page, "Failure rate per test")
    # graded rows only: conv_output_size 3/4 failed, conv2d_naive 2/4, conv_output_size_2 1/4;
    # counting the flagged and error rows would make them 6/7, 5/7 and 4/7.
    order = [table.index(f"<td>{name}</td>") for name in
             ("test_conv_output_size", "test_conv2d_naive", "test_conv_output_size_2")]
    assert order == sorted(order)
    assert '<td class="n">3</td><td class="n">4</td><td class="n">75%</td>' in table
    assert "not graded" not in page


def test_report_groups_identical_messages_with_counts(page):
    # Graded rows only: three stride messages group (two identical, one with other inputs),
    # one NotImplementedError; the flagged students' four failures are not counted here.
    exercise = table_after(page, "<h4>conv_output_size (4 failures)</h4>")
    pattern = html.escape(message_pattern(STRIDE.format(n=7, got=5)))
    assert f'<td class="n">3</td><td>{pattern}</td>' in exercise
    assert "2× " + html.escape(STRIDE.format(n=7, got=5)) in exercise
    assert f'<td class="n">1</td><td>{NOT_IMPLEMENTED}</td>' in exercise
    mistakes = page[page.index("<h4>conv_output_size"):page.index("<h4>conv2d_naive")]
    assert '<td class="n">3</td><td>stride ignored</td>' in mistakes
    conv2d = table_after(page, "<h4>conv2d_naive (2 failures)</h4>")
    assert f'<td class="n">1</td><td>{NOT_IMPLEMENTED}</td>' in conv2d


def test_flagged_students_failures_are_held_back_in_their_own_section(page):
    table = table_after(page, "Submissions with status error or flagged")
    assert "<td>mallory</td><td>flagged</td>" in table
    row = table[table.index("<td>mallory</td>"):].split("</tr>")[0]
    assert row.endswith("<td>3</td>")           # its three failed tests, counted here
    xss = table[table.index(html.escape(XSS)):].split("</tr>")[0]
    assert xss.endswith("<td>-</td>")           # an error row's tests never ran


def test_report_lists_error_and_flagged_students_with_reasons(page):
    table = table_after(page, "Submissions with status error or flagged")
    assert html.escape(XSS) in table and "the file is not valid notebook JSON" in table
    assert "mallory" in table and "a test cell was edited &lt;b&gt;by hand&lt;/b&gt;" in table
    assert "the notebook&#x27;s &quot;==&quot; was replaced" in table
    assert "alice" not in table


def test_report_escapes_student_ids_and_reasons(page):
    assert XSS not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ZOE not in page  # the quotes are escaped
    assert "Zoë &quot;Q&quot; O&#x27;Brien" in page  # non-ASCII kept as is (UTF-8 page)
    assert "<script" not in page.lower()


def test_report_is_self_contained(page):
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "src=\"data:image/png;base64," in page


def test_report_is_byte_identical_on_rebuild(out):
    first = build_report(out).read_bytes()
    second = build_report(out).read_bytes()
    assert first == second


def test_summary_text_gives_counts_and_hardest_test(out):
    text = summary_text(out)
    assert f"{A1}: 7 students, 4 graded, 1 error, 2 flagged" in text
    assert f"{A2}: 2 students, 2 graded, 0 error, 0 flagged" in text
    assert "hardest tests: test_conv_output_size 75%" in text
    assert "3x " + message_pattern(STRIDE.format(n=7, got=5))[:40] in text
    assert "flagged: mallory: a test cell was edited" in text
    assert text.rstrip().endswith(str(out / "report" / "index.html"))
    assert 10 <= len(text.splitlines()) <= 40


def test_missing_grades_csv_raises_a_sentence(tmp_path):
    with pytest.raises(ReportError, match=r"no grades\.csv in .*: run `python -m autograder "
                                          r"grade` first"):
        build_report(tmp_path)
    assert issubclass(ReportError, AutograderError)


@pytest.mark.parametrize("content, line", [
    ("student_id,assignment,score,max_score,status,reason\nalice,01_x,1,2,graded\n", 2),
    ("student_id,assignment,score,max_score,status,reason\nalice,01_x,1,2,graded,\n"
     "bob,01_x,lots,2,graded,\n", 3),
    ("name,score\nalice,1\n", 1),
])
def test_malformed_grades_csv_names_file_and_line(out, content, line):
    (out / "grades.csv").write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=rf"grades\.csv line {line} "):
        build_report(out)


def test_empty_class_gives_a_page_with_nothing_to_report(tmp_path):
    write(tmp_path / "grades.csv", GRADES_HEADER, [])
    write(tmp_path / "tests.csv", TESTS_HEADER, [])
    text = build_report(tmp_path).read_text(encoding="utf-8")
    assert "Nothing to report" in text and "data:image/png" not in text
    assert "Nothing to report" in summary_text(tmp_path)


def test_message_helpers():
    assert exercise_of("test_conv2d_naive_2") == "conv2d_naive"
    assert exercise_of("test_answer_q1") == "answer_q1"
    assert message_pattern(STRIDE.format(n=7, got=5)) == message_pattern(STRIDE.format(n=9, got=7))
    assert message_pattern(STRIDE.format(n=7, got=5)) == "known mistake: stride ignored"
    # The template keeps the text's own names and numbers, and drops inputs and values.
    assert message_pattern("GradingError: LeNet-5's output size is wrong: expected 10, got 12."
                           ) == "GradingError: LeNet-5's output size is wrong"
    assert message_pattern("GradingError: ones(3*3) is wrong: expected 9 ones, got 8"
                           ) == "GradingError: ones(…) is wrong"
    assert message_pattern("GradingError: f(x=g(1), y=2) is wrong: expected 3, got 4") == \
        message_pattern("GradingError: f(x=g(7), y=5) is wrong: expected 1, got 0")
    assert known_mistake(STRIDE) == "stride ignored"
    assert known_mistake(NOT_IMPLEMENTED) is None
