"""The grader's two CSV files, ``grades.csv`` and ``tests.csv``: their rows, written and read.

Each file's header is the field names of its row class, in order, so the
writer, the reader, the journal and the README's table cannot disagree. Points
are numbers in memory and written short (``3``, ``1.5``). Every command that
reads the files (``feedback``, ``report``) reads them through :func:`read_rows`,
which checks every line and names the first one that is wrong.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from .errors import AutograderError

__all__ = ["GradeRow", "TestRow", "GRADES_HEADER", "TESTS_HEADER", "STATUSES", "CsvError",
           "header_of", "format_points", "spreadsheet_safe", "write_rows", "read_rows"]

#: What ``grades.csv``'s status column may hold.
STATUSES = ("graded", "flagged", "error")


class CsvError(AutograderError):
    """grades.csv or tests.csv is missing or cannot be read."""


def _points(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r}, which is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} {value!r}, which is not a finite number")
    return number


@dataclass(frozen=True)
class GradeRow:
    """One line of ``grades.csv``: one student's hand-in of one assignment."""

    student_id: str
    assignment: str
    score: float
    max_score: float
    status: str      # one of STATUSES
    reason: str      # why, when the status is not "graded"

    def __post_init__(self):
        object.__setattr__(self, "score", _points("score", self.score))
        object.__setattr__(self, "max_score", _points("max_score", self.max_score))
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r}, expected one of {', '.join(STATUSES)}")


@dataclass(frozen=True)
class TestRow:
    """One line of ``tests.csv``: one graded test cell of one hand-in."""

    __test__ = False  # a row, not a pytest class

    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    points: float
    max_points: float
    message: str     # the first line of what failed; "" when it passed

    def __post_init__(self):
        object.__setattr__(self, "points", _points("points", self.points))
        object.__setattr__(self, "max_points", _points("max_points", self.max_points))


def header_of(row_type) -> tuple[str, ...]:
    """A row class's CSV header: its field names, in order."""
    return tuple(f.name for f in fields(row_type))


GRADES_HEADER = header_of(GradeRow)
TESTS_HEADER = header_of(TestRow)
_FILES = {GradeRow: "grades.csv", TestRow: "tests.csv"}


def format_points(value: float | None) -> str:
    """Points as short text: ``3``, ``1.5``; ``0`` for None."""
    return f"{float(value or 0.0):g}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """``value``, with a text a spreadsheet would run as a formula made plain text.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    is a formula to Excel and LibreOffice (``=HYPERLINK(...)`` in an exception's
    name reaches tests.csv from student code); a leading apostrophe keeps it text.
    Numbers are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def _cell(value) -> str:
    return format_points(value) if isinstance(value, float) else spreadsheet_safe(value)


def write_rows(path: str | os.PathLike, row_type, rows) -> Path:
    """Write ``rows`` of ``row_type`` under its header to ``path``, atomically."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header_of(row_type))
        for row in rows:
            writer.writerow([_cell(v) for v in astuple(row)])
    os.replace(tmp, path)
    return path


def read_rows(path: str | os.PathLike, row_type, error: type[CsvError] = CsvError) -> list:
    """The rows of a grades.csv or tests.csv, every line checked.

    Raises
    ------
    CsvError
        (or the subclass ``error``, the reading command's own) naming the file
        and line: missing, empty, a header without the row's
        columns, a line with the wrong number of fields, points that are not
        finite numbers, an unknown status, text that is not CSV.
    """
    path = Path(path)
    header = header_of(row_type)
    if not path.is_file():
        raise error(f"no {path.name} in {path.parent}: run `python -m autograder grade` first")
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            names = next(reader, None)
            if names is None:
                raise error(f"{path} is empty: line 1 should be the header {','.join(header)}")
            missing = [name for name in header if name not in names]
            if missing:
                raise error(f"{path} line 1 is not the expected header: it lacks "
                               f"{', '.join(missing)}")
            for values in reader:
                if not values:
                    continue
                if len(values) != len(names):
                    raise error(f"{path} line {reader.line_num} has {len(values)} fields, "
                                   f"expected {len(names)}")
                found = dict(zip(names, values, strict=True))
                try:
                    rows.append(row_type(**{name: found[name] for name in header}))
                except ValueError as problem:
                    raise error(f"{path} line {reader.line_num} has {problem}") from None
        except csv.Error as problem:
            raise error(f"{path} line {reader.line_num} is not valid CSV ({problem})") from None
    return rows
