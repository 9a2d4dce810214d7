"""The class report: where a graded class struggled, as a static web page and a terminal summary.

``python -m autograder report`` reads ``OUT/grades.csv`` and ``OUT/tests.csv``
(written by ``grade``) and writes ``OUT/report/index.html``: per assignment the
counts, the score distribution, the failure rate of every test (hardest first),
the most common failure messages per exercise and the students whose submission
could not be graded or was flagged. The page is one file that opens from disk:
inline CSS, figures as embedded PNGs, no script, no network. The same input
gives the same bytes.

Failure rates and messages count only ``graded`` and ``flagged`` rows: the tests
of an ``error`` row never ran (their message is ``not graded``), so they would
make every test look equally hard. Scores count every row, as recorded.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .errors import AutograderError
from .results import GRADES_HEADER, TESTS_HEADER

__all__ = ["ReportError", "build_report", "summary_text", "exercise_of", "message_pattern",
           "known_mistake"]

STATUSES = ("graded", "flagged", "error")
COLORS = {"graded": "#4c72b0", "flagged": "#dd8452", "error": "#c44e52"}
BINS = np.linspace(0.0, 100.0, 11)  # histogram edges, % of the maximum score
TOP_MESSAGES = 5  # message groups shown per exercise in the page
MAX_LISTED = 10  # error/flagged rows listed per assignment in the terminal summary


class ReportError(AutograderError):
    """grades.csv or tests.csv is missing or cannot be read."""


@dataclass(frozen=True)
class Grade:
    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str
    reason: str


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # a row of tests.csv, not a pytest class

    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    points: float
    max_points: float
    message: str


# --------------------------------------------------------------------------- reading
def _read_csv(path: Path, header: tuple[str, ...], numeric: tuple[str, ...]) -> list[dict]:
    if not path.is_file():
        raise ReportError(f"no {path.name} in {path.parent}: run `python -m autograder grade` "
                          "first")
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            names = next(reader, None)
            if names is None:
                raise ReportError(f"{path} is empty: line 1 should be the header "
                                  f"{','.join(header)}")
            missing = [name for name in header if name not in names]
            if missing:
                raise ReportError(f"{path} line 1 is not the expected header: it lacks "
                                  f"{', '.join(missing)}")
            for fields in reader:
                line = reader.line_num
                if not fields:
                    continue
                if len(fields) != len(names):
                    raise ReportError(f"{path} line {line} has {len(fields)} fields, expected "
                                      f"{len(names)}")
                row = dict(zip(names, fields, strict=True))
                for name in numeric:
                    try:
                        row[name] = float(row[name])
                    except ValueError:
                        raise ReportError(f"{path} line {line} has {name} {row[name]!r}, "
                                          "which is not a number") from None
                    if not np.isfinite(row[name]):
                        raise ReportError(f"{path} line {line} has {name} {row[name]!r}, "
                                          "which is not a finite number")
                if "status" in row and row["status"] not in STATUSES:
                    raise ReportError(f"{path} line {line} has status {row['status']!r}, "
                                      f"expected one of {', '.join(STATUSES)}")
                rows.append({name: row[name] for name in header})
        except csv.Error as error:
            raise ReportError(f"{path} line {reader.line_num} is not valid CSV ({error})") from None
    return rows


def _load(out: Path) -> tuple[list[Grade], list[TestResult]]:
    grades = [Grade(**r) for r in _read_csv(out / "grades.csv", GRADES_HEADER,
                                            ("score", "max_score"))]
    tests = [TestResult(**r) for r in _read_csv(out / "tests.csv", TESTS_HEADER,
                                          ("points", "max_points"))]
    return grades, tests


# --------------------------------------------------------------------------- analysis
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w)")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b")
_KNOWN = re.compile(r"known mistake: (.+?)\.(?:\s|$)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def exercise_of(grade_id: str) -> str:
    """The exercise a test cell belongs to: ``test_conv2d_naive_2`` -> ``conv2d_naive``."""
    name = grade_id[len("test_"):] if grade_id.startswith("test_") else grade_id
    return re.sub(r"_\d+$", "", name) or grade_id


def message_pattern(message: str) -> str:
    """A message with its numbers replaced by ``#``, so one mistake groups across inputs.

    ``f(7, 3) is wrong: expected 3, got 5.`` -> ``f(#, #) is wrong: expected #, got #.``;
    digits inside names (``conv2d``) are kept.
    """
    return _NUMBER.sub("#", _HEX.sub("0x#", message))


def known_mistake(message: str) -> str | None:
    """The label after "known mistake: " in a ``helpers.grading`` message, if any."""
    match = _KNOWN.search(message)
    return match.group(1).strip() if match else None


def _clean(text: str) -> str:
    """Text without control characters (terminal escapes, characters HTML forbids)."""
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text.replace("\r\n", " ").replace("\n", " "))


@dataclass
class _Assignment:
    name: str
    grades: list[Grade]
    tests: list[TestResult]  # graded and flagged rows only

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
                message = _clean(t.message) or "(no message)"
                grouped[exercise_of(t.grade_id)].append(message)
        return {exercise: messages for exercise, messages in grouped.items() if messages}


def _ranked(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _message_groups(messages: list[str]) -> list[tuple[str, int, str, int]]:
    """(pattern, count, most common exact message, its count), most common first."""
    by_pattern: dict[str, Counter] = {}
    for message in messages:
        by_pattern.setdefault(message_pattern(message), Counter())[message] += 1
    groups = []
    for pattern, exact in by_pattern.items():
        example, seen = _ranked(exact)[0]
        groups.append((pattern, sum(exact.values()), example, seen))
    return sorted(groups, key=lambda g: (-g[1], g[0]))


def _assignments(grades: list[Grade], tests: list[TestResult]) -> list[_Assignment]:
    scored = {(g.student_id, g.assignment) for g in grades if g.status != "error"}
    result = []
    for name in sorted({g.assignment for g in grades}):
        result.append(_Assignment(
            name, sorted((g for g in grades if g.assignment == name),
                         key=lambda g: g.student_id),
            [t for t in tests if t.assignment == name and (t.student_id, name) in scored]))
    return result


def _problems(grades: list[Grade]) -> list[Grade]:
    return sorted((g for g in grades if g.status != "graded"),
                  key=lambda g: (g.assignment, g.status, g.student_id))


# --------------------------------------------------------------------------- figures
def _tex_safe(text: str) -> str:
    return text.replace("$", r"\$")  # a pair of $ would switch matplotlib to mathtext


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _histogram(a: _Assignment) -> str:
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    data = [a.percents(s) for s in STATUSES]
    labels = [f"{s} ({len(d)})" for s, d in zip(STATUSES, data, strict=True)]
    ax.hist(data, bins=BINS, stacked=True, color=[COLORS[s] for s in STATUSES], label=labels,
            edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the maximum)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(_tex_safe(f"Scores in {a.name} (maximum {a.max_score:g} points)"))
    ax.legend(title="status", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _png(fig)


def _failure_chart(a: _Assignment, rates: list[tuple[str, int, int]]) -> str:
    fig = Figure(figsize=(8.0, max(2.6, 1.4 + 0.32 * len(rates))), layout="constrained")
    ax = fig.add_subplot()
    labels = [_tex_safe(label) for label, _, _ in rates]
    percent = [100.0 * f / n for _, f, n in rates]
    bars = ax.barh(range(len(rates)), percent, color=COLORS["graded"])
    ax.bar_label(bars, labels=[f"{p:.0f}%" for p in percent], padding=3, fontsize=8)
    ax.set_yticks(range(len(rates)), labels, fontsize=8)
    ax.invert_yaxis()  # hardest at the top
    ax.set_xlim(0, 110)
    ax.set_xlabel("students who lost points on the test (%)")
    ax.set_ylabel("test cell (grade_id)")
    fig.suptitle(_tex_safe(f"Failure rate per test in {a.name}\n(hardest first)"))
    return _png(fig)


# --------------------------------------------------------------------------- HTML
CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1,h2,h3{line-height:1.2} h2{border-top:2px solid #ddd;padding-top:1em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em} td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top} th{background:#f3f3f3} td.n{text-align:right}
img{max-width:100%;height:auto} .note{color:#555;font-size:.9em} code{font-size:.95em}
"""


def _e(value) -> str:
    return html.escape(_clean(str(value)), quote=True)


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if i in numeric else
                                    f"<td>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"


def _img(data: str, alt: str) -> str:
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></p>\n'


def _score_line(a: _Assignment) -> tuple[str, str]:
    scores = [g.score for g in a.grades]
    return f"{statistics.fmean(scores):.1f}", f"{statistics.median(scores):g}"


def _section(a: _Assignment) -> str:
    mean, median = _score_line(a)
    parts = [f'<h2 id="{_e(a.name)}">{_e(a.name)}</h2>\n',
             _table(["students", "graded", "error", "flagged", "mean score", "median score",
                     "maximum"],
                    [[len(a.grades), a.count("graded"), a.count("error"), a.count("flagged"),
                      mean, median, f"{a.max_score:g}"]], numeric=set(range(7))),
             '<h3>Score distribution</h3>\n']
    if a.max_score > 0:
        parts.append(_img(_histogram(a), f"histogram of the scores in {a.name}"))
    else:
        parts.append("<p>No score to plot: this assignment has no points.</p>\n")
    parts.append("<h3>Failure rate per test</h3>\n")
    rates = a.failure_rates()
    if rates:
        parts.append(_img(_failure_chart(a, rates), f"failure rate per test in {a.name}"))
        parts.append(_table(["test", "failed", "out of", "failure rate"],
                            [[label, f, n, f"{100.0 * f / n:.0f}%"] for label, f, n in rates],
                            numeric={1, 2, 3}))
    else:
        parts.append("<p>No test results: no submission of this assignment was graded.</p>\n")
    parts.append('<h3>Most common failure messages per exercise</h3>\n<p class="note">Messages '
                 "are grouped after replacing their numbers by #; each group shows its most "
                 "common exact message.</p>\n")
    exercises = a.failures_by_exercise()
    if not exercises:
        parts.append("<p>No test failed.</p>\n")
    for exercise, messages in exercises.items():
        groups = _message_groups(messages)
        parts.append(f"<h4>{_e(exercise)} ({len(messages)} failures)</h4>\n")
        rows = [[count, pattern, f"{seen}\u00d7 {example}"]
                for pattern, count, example, seen in groups[:TOP_MESSAGES]]
        parts.append(_table(["count", "message (numbers as #)", "most common exact message"],
                            rows, numeric={0}))
        if len(groups) > TOP_MESSAGES:
            rest = sum(g[1] for g in groups[TOP_MESSAGES:])
            parts.append(f'<p class="note">and {rest} failures with '
                         f"{len(groups) - TOP_MESSAGES} other messages.</p>\n")
        mistakes = _ranked(Counter(m for m in map(known_mistake, messages) if m))
        if mistakes:
            parts.append(_table(["count", "known mistake"], [[n, m] for m, n in mistakes],
                                numeric={0}))
    problems = _problems(a.grades)
    parts.append("<h3>Submissions with status error or flagged</h3>\n")
    parts.append(_table(["student", "status", "reason"],
                        [[g.student_id, g.status, g.reason or "(no reason given)"]
                         for g in problems]) if problems else "<p>None.</p>\n")
    return "".join(parts)


def _page(body: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Class report</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<h1>Class report</h1>\n{body}</body>\n</html>\n")


def build_report(out_dir: str | os.PathLike = "grading") -> Path:
    """Write ``OUT/report/index.html`` from ``OUT/grades.csv`` and ``OUT/tests.csv``.

    Parameters
    ----------
    out_dir : path
        The folder ``python -m autograder grade --out`` wrote.

    Returns
    -------
    Path
        The page written.

    Raises
    ------
    ReportError
        When a CSV is missing or malformed (the message names the file and line).
    """
    out = Path(out_dir)
    grades, tests = _load(out)
    assignments = _assignments(grades, tests)
    if not assignments:
        body = "<p>Nothing to report: grades.csv has no rows yet.</p>\n"
    else:
        overview = _table(
            ["assignment", "students", "graded", "error", "flagged", "mean score", "median score",
             "maximum"],
            [[a.name, len(a.grades), a.count("graded"), a.count("error"), a.count("flagged"),
              *_score_line(a), f"{a.max_score:g}"] for a in assignments],
            numeric=set(range(1, 8)))
        body = ('<p class="note">Scores count every submission as recorded. Failure rates and '
                "messages count only submissions with status graded or flagged: the tests of "
                "an error row never ran.</p>\n" + overview
                + "".join(_section(a) for a in assignments))
    folder = out / "report"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(_page(body), encoding="utf-8", newline="\n")
    os.replace(tmp, path)
    return path


def _short(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _text_histogram(a: _Assignment, width: int = 30) -> list[str]:
    counts, _ = np.histogram(a.percents(), bins=BINS[::2])  # five bins of 20%
    top = max(int(counts.max()), 1) if counts.size else 1
    return [f"    {lo:3.0f}-{hi:3.0f}% |{'#' * round(width * int(c) / top):<{width}}| {int(c)}"
            for lo, hi, c in zip(BINS[::2][:-1], BINS[::2][1:], counts, strict=True)]


def summary_text(out_dir: str | os.PathLike = "grading") -> str:
    """A plain-text summary of the class for the terminal, ending with the report's path.

    Raises
    ------
    ReportError
        When a CSV is missing or malformed.
    """
    out = Path(out_dir)
    grades, tests = _load(out)
    lines: list[str] = []
    assignments = _assignments(grades, tests)
    if not assignments:
        lines.append("Nothing to report: grades.csv has no rows yet.")
    for a in assignments:
        mean, median = _score_line(a)
        lines.append(f"{_clean(a.name)}: {len(a.grades)} students, {a.count('graded')} graded, "
                     f"{a.count('error')} error, {a.count('flagged')} flagged; mean score "
                     f"{mean} / {a.max_score:g}, median {median}")
        if a.max_score > 0:
            lines.extend(_text_histogram(a))
        rates = a.failure_rates()[:5]
        if rates:
            lines.append("  hardest tests: " + ", ".join(
                f"{_clean(label)} {100.0 * f / n:.0f}%" for label, f, n in rates))
        messages = [m for ms in a.failures_by_exercise().values() for m in ms]
        for pattern, count, _, _ in _message_groups(messages)[:3]:
            lines.append(f"  {count:4d}x {_short(pattern)}")
        problems = _problems(a.grades)
        for g in problems[:MAX_LISTED]:
            lines.append(_short(f"  {g.status}: {_clean(g.student_id)}: {_clean(g.reason)}"))
        if len(problems) > MAX_LISTED:
            lines.append(f"  ... and {len(problems) - MAX_LISTED} more error/flagged rows "
                         "(all in the report)")
    lines.append(f"report: {out / 'report' / 'index.html'}")
    return "\n".join(lines) + "\n"
