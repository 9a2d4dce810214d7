"""A graded class's results, read back from the grader's CSVs and summarised.

:func:`load_class` reads ``OUT/grades.csv`` and ``OUT/tests.csv`` (checking
every line), and :func:`group_by_assignment` groups them per assignment with what the
report shows: counts, scores, failure rates and grouped failure messages.
:mod:`autograder.report` draws and writes them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .csvfiles import STATUSES, CsvError, GradeRow, TestRow, read_rows

__all__ = ["ReportError", "AssignmentResults", "load_class",
           "group_by_assignment", "error_rows", "message_groups", "ranked", "exercise_of",
           "message_pattern", "known_mistake", "clean_text", "STATUSES", "COLORS", "BINS",
           "TOP_MESSAGES", "MAX_LISTED"]

COLORS = {"graded": "#4c72b0", "flagged": "#dd8452", "error": "#c44e52"}
BINS = np.linspace(0.0, 100.0, 11)  # histogram edges, % of the maximum score
TOP_MESSAGES = 5  # message groups shown per exercise in the page
MAX_LISTED = 10  # error/flagged rows listed per assignment in the terminal summary


class ReportError(CsvError):
    """grades.csv or tests.csv is missing or cannot be read."""


# --------------------------------------------------------------------------- reading
def load_class(out: Path) -> tuple[list[GradeRow], list[TestRow]]:
    """The rows of ``OUT/grades.csv`` and ``OUT/tests.csv``, every line checked."""
    return (read_rows(out / "grades.csv", GradeRow, ReportError),
            read_rows(out / "tests.csv", TestRow, ReportError))


# --------------------------------------------------------------------------- analysis
_KNOWN = re.compile(r"known mistake: (.+?)\.(?:\s|$)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def exercise_of(grade_id: str) -> str:
    """The exercise a test cell belongs to: ``test_conv2d_naive_2`` -> ``conv2d_naive``."""
    name = grade_id[len("test_"):] if grade_id.startswith("test_") else grade_id
    return re.sub(r"_\d+$", "", name) or grade_id


def message_pattern(message: str) -> str:
    """The template of a failure message, so that one mistake groups across inputs.

    The known mistake a ``helpers.grading`` message names, when it names one
    (``known mistake: stride ignored``); else the message's first line up to
    the values it reports (``expected ...``), with the arguments of calls
    left out: ``scale([1.0], 3) is wrong: expected [3.], got [4.]`` ->
    ``scale(…) is wrong``. Names and numbers that belong to the text
    (``LeNet-5``, ``3*3``) are kept as they are.
    """
    mistake = known_mistake(message)
    if mistake:
        return f"known mistake: {mistake}"
    text = message.strip().splitlines()[0] if message.strip() else message
    text = re.split(r"(?:^|[:,;]\s*|\s)expected\b", text, maxsplit=1)[0]
    previous = None
    while previous != text:  # innermost parentheses first: f(x=g(1), y=2) -> f(…)
        previous, text = text, re.sub(r"\([^()]*\)", "\0", text)
    text = text.replace("\0", "(…)")
    return text.strip().rstrip(":,;").strip() or message.strip()


def known_mistake(message: str) -> str | None:
    """The label after "known mistake: " in a ``helpers.grading`` message, if any."""
    match = _KNOWN.search(message)
    return match.group(1).strip() if match else None


def clean_text(text: str) -> str:
    """Text without control characters (terminal escapes, characters HTML forbids)."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text.replace("\r\n", " ").replace("\n", " "))


@dataclass
class AssignmentResults:
    name: str
    grades: list[GradeRow]
    tests: list[TestRow]  # of graded rows only: what the class's own work shows
    held_back: list[TestRow] = field(default_factory=list)  # of flagged rows

    def count(self, status: str) -> int:
        return sum(g.status == status for g in self.grades)

    @property
    def max_score(self) -> float:
        return max(g.max_score for g in self.grades)

    def percents(self, status: str | None = None) -> list[float]:
        return [100.0 * g.score / g.max_score for g in self.grades
                if g.max_score > 0 and status in (None, g.status)]

    def failure_rates(self) -> list[tuple[str, int, int]]:
        """(test, failures, attempts), hardest first; ties in notebook order."""
        notebooks = {t.notebook for t in self.tests}
        stats: dict[str, list[int]] = {}
        for t in self.tests:
            label = t.grade_id if len(notebooks) == 1 else f"{t.notebook}/{t.grade_id}"
            entry = stats.setdefault(label, [0, 0])
            entry[0] += t.points < t.max_points
            entry[1] += 1
        order = {label: i for i, label in enumerate(stats)}
        rows = [(label, f, n) for label, (f, n) in stats.items()]
        return sorted(rows, key=lambda r: (-r[1] / r[2], order[r[0]]))

    def failures_by_exercise(self) -> dict[str, list[str]]:
        """Exercise -> failure messages, exercises in notebook order."""
        grouped: dict[str, list[str]] = {exercise_of(t.grade_id): [] for t in self.tests}
        for t in self.tests:
            if t.points < t.max_points:
                message = clean_text(t.message) or "(no message)"
                grouped[exercise_of(t.grade_id)].append(message)
        return {exercise: messages for exercise, messages in grouped.items() if messages}


def ranked(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def message_groups(messages: list[str]) -> list[tuple[str, int, str, int]]:
    """(pattern, count, most common exact message, its count), most common first."""
    by_pattern: dict[str, Counter] = {}
    for message in messages:
        by_pattern.setdefault(message_pattern(message), Counter())[message] += 1
    groups = []
    for pattern, exact in by_pattern.items():
        example, seen = ranked(exact)[0]
        groups.append((pattern, sum(exact.values()), example, seen))
    return sorted(groups, key=lambda g: (-g[1], g[0]))


def group_by_assignment(grades: list[GradeRow], tests: list[TestRow]) -> list[AssignmentResults]:
    """Each assignment's rows. Failure rates and messages come from graded rows only: a
    flagged student's failures are held back for their own section, and an error row's
    tests never ran."""
    status = {(g.student_id, g.assignment): g.status for g in grades}
    result = []
    for name in sorted({g.assignment for g in grades}):
        mine = [t for t in tests if t.assignment == name]
        result.append(AssignmentResults(
            name, sorted((g for g in grades if g.assignment == name),
                         key=lambda g: g.student_id),
            [t for t in mine if status.get((t.student_id, name)) == "graded"],
            [t for t in mine if status.get((t.student_id, name)) == "flagged"]))
    return result


def error_rows(grades: list[GradeRow]) -> list[GradeRow]:
    return sorted((g for g in grades if g.status != "graded"),
                  key=lambda g: (g.assignment, g.status, g.student_id))


