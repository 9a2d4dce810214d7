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
import html
import io
import os
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .classresults import (
    BINS,
    COLORS,
    MAX_LISTED,
    STATUSES,
    TOP_MESSAGES,
    AssignmentResults,
    ReportError,
    clean_text,
    error_rows,
    exercise_of,
    group_by_assignment,
    known_mistake,
    load_class,
    message_groups,
    message_pattern,
    ranked,
)

__all__ = ["ReportError", "build_report", "summary_text", "exercise_of", "message_pattern",
           "known_mistake"]


# --------------------------------------------------------------------------- figures
def _tex_safe(text: str) -> str:
    return text.replace("$", r"\$")  # a pair of $ would switch matplotlib to mathtext


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _histogram(a: AssignmentResults) -> str:
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


def _failure_chart(a: AssignmentResults, rates: list[tuple[str, int, int]]) -> str:
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
    return html.escape(clean_text(str(value)), quote=True)


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(c)}</td>' if i in numeric else
                                    f"<td>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n"


def _img(data: str, alt: str) -> str:
    return f'<p><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></p>\n'


def _score_line(a: AssignmentResults) -> tuple[str, str]:
    scores = [g.score for g in a.grades]
    return f"{statistics.fmean(scores):.1f}", f"{statistics.median(scores):g}"


def _section(a: AssignmentResults) -> str:
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
    parts.append('<h3>Most common failure messages per exercise</h3>\n<p class="note">Graded '
                 "submissions only. Messages are grouped by the known mistake they name, or "
                 "by what the test said without its inputs and values; each group shows its "
                 "most common exact message.</p>\n")
    exercises = a.failures_by_exercise()
    if not exercises:
        parts.append("<p>No test failed.</p>\n")
    for exercise, messages in exercises.items():
        groups = message_groups(messages)
        parts.append(f"<h4>{_e(exercise)} ({len(messages)} failures)</h4>\n")
        rows = [[count, pattern, f"{seen}\u00d7 {example}"]
                for pattern, count, example, seen in groups[:TOP_MESSAGES]]
        parts.append(_table(["count", "message", "most common exact message"],
                            rows, numeric={0}))
        if len(groups) > TOP_MESSAGES:
            rest = sum(g[1] for g in groups[TOP_MESSAGES:])
            parts.append(f'<p class="note">and {rest} failures with '
                         f"{len(groups) - TOP_MESSAGES} other messages.</p>\n")
        mistakes = ranked(Counter(m for m in map(known_mistake, messages) if m))
        if mistakes:
            parts.append(_table(["count", "known mistake"], [[n, m] for m, n in mistakes],
                                numeric={0}))
    problems = error_rows(a.grades)
    parts.append("<h3>Submissions with status error or flagged</h3>\n<p class=\"note\">Their "
                 "test results are not in the tables above: an error row's tests did not "
                 "run, and a flagged row's are held back for review here.</p>\n")
    failed = Counter(t.student_id for t in a.held_back if t.points < t.max_points)
    parts.append(_table(["student", "status", "reason", "tests failed"],
                        [[g.student_id, g.status, g.reason or "(no reason given)",
                          failed[g.student_id] if g.status == "flagged" else "-"]
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
    grades, tests = load_class(out)
    assignments = group_by_assignment(grades, tests)
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


def _text_histogram(a: AssignmentResults, width: int = 30) -> list[str]:
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
    grades, tests = load_class(out)
    lines: list[str] = []
    assignments = group_by_assignment(grades, tests)
    if not assignments:
        lines.append("Nothing to report: grades.csv has no rows yet.")
    for a in assignments:
        mean, median = _score_line(a)
        lines.append(f"{clean_text(a.name)}: {len(a.grades)} students, {a.count('graded')} graded, "
                     f"{a.count('error')} error, {a.count('flagged')} flagged; mean score "
                     f"{mean} / {a.max_score:g}, median {median}")
        if a.max_score > 0:
            lines.extend(_text_histogram(a))
        rates = a.failure_rates()[:5]
        if rates:
            lines.append("  hardest tests: " + ", ".join(
                f"{clean_text(label)} {100.0 * f / n:.0f}%" for label, f, n in rates))
        messages = [m for ms in a.failures_by_exercise().values() for m in ms]
        for pattern, count, _, _ in message_groups(messages)[:3]:
            lines.append(f"  {count:4d}x {_short(pattern)}")
        problems = error_rows(a.grades)
        for g in problems[:MAX_LISTED]:
            who, why = clean_text(g.student_id), clean_text(g.reason)
            lines.append(_short(f"  {g.status}: {who}: {why}"))
        if len(problems) > MAX_LISTED:
            lines.append(f"  ... and {len(problems) - MAX_LISTED} more error/flagged rows "
                         "(all in the report)")
    lines.append(f"report: {out / 'report' / 'index.html'}")
    return "\n".join(lines) + "\n"
