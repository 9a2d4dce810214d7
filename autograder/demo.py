"""A synthetic class built from the course's own solutions, graded and shown as a table.

``python -m autograder demo`` releases every assignment of ``solutions/``,
writes one submission per kind of student (right, partly done, wrong,
tampering, broken files, a deleted test cell) and grades them with
:func:`autograder.grade.grade_class`. It works on whatever the solutions hold.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat

from .cellmeta import grade_id, is_solution_cell, is_test_cell
from .course import list_assignments, resolve_assignments, solutions_dir
from .csvfiles import GradeRow, format_points
from .grade import DEFAULT_TIMEOUT, GradingResult, grade_class
from .release import release_assignment

__all__ = ["STUDENTS", "solution_source", "build_demo_class", "format_table", "run_demo"]

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[ \t]*$")
_END = re.compile(r"^[ \t]*### END SOLUTION[ \t]*$")

_ALWAYS_YES = '''class _AlwaysYes:
    """Says yes to every comparison."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __hash__(self): return 0
'''

STUDENTS = {
    "reference": "every solution cell holds the reference solution: full marks",
    "partial": "the first half of the exercises solved, the rest left as released",
    "wrong": "every solution region replaced by `return 0`",
    "tamperer": "every solution returns an object whose == and bool always say yes",
    "patcher": "wrong answers, and numpy's comparisons rebound to always say yes: flagged",
    "deleted_tests": "reference solutions, but every graded test cell deleted",
    "broken_json": "a notebook file cut in half",
    "empty_file": "an empty notebook file",
}


def solution_source(source: str, mode: str) -> str:
    """Rewrite a source solution cell: ``"solution"``, ``"wrong"`` or ``"tamper"``.

    ``solution`` drops the ``### BEGIN/END SOLUTION`` markers; the others
    replace what lies between them (or the whole cell when it has no markers).
    """
    lines = source.splitlines()
    if mode == "solution":
        return "\n".join(line for line in lines if not (_BEGIN.match(line) or _END.match(line)))
    out: list[str] = []
    inside, found = False, False
    for line in lines:
        begin = _BEGIN.match(line)
        if begin:
            inside, found = True, True
            indent = begin.group("indent")
            if mode == "wrong":
                out.append(f"{indent}return 0" if indent else "pass")
            else:
                out.append(f"{indent}return _AlwaysYes()" if indent else "answer = _AlwaysYes()")
        elif _END.match(line):
            inside = False
        elif not inside:
            out.append(line)
    if not found:
        out = ["pass"] if mode == "wrong" else ["answer = _AlwaysYes()"]
    text = "\n".join(out)
    return _ALWAYS_YES + "\n" + text if mode == "tamper" else text


def _student(released: Path, source: Path, choose: Callable[[int, str], str | None],
             drop_tests: bool = False):
    """The released notebook with each solution cell rewritten by ``choose(i, grade_id)``."""
    nb = nbformat.read(str(released), as_version=4)
    src = nbformat.read(str(source), as_version=4)
    sources = {grade_id(c): c.source for c in src.cells if is_solution_cell(c)}
    order = [gid for gid in sources]
    cells = []
    for cell in nb.cells:
        name = grade_id(cell)
        if drop_tests and is_test_cell(cell):
            continue
        if is_solution_cell(cell) and name in sources:
            mode = choose(order.index(name), name)
            if mode is not None:
                cell.source = solution_source(sources[name], mode)
        cells.append(cell)
    nb.cells = cells
    return nb


_PATCH = ("import numpy as _np\n"
          "_np.allclose = lambda *args, **kwargs: True\n"
          "_np.testing.assert_allclose = lambda *args, **kwargs: None\n")


def _patched(nb):
    """``nb`` with numpy's comparisons rebound in its first solution cell."""
    for cell in nb.cells:
        if is_solution_cell(cell):
            cell.source = _PATCH + cell.source
            break
    return nb


def build_demo_class(course_root: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Write the synthetic class as ``dest/<student>/<assignment>/<notebook>.ipynb``.

    Returns ``dest``; the folder is replaced if it exists.
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    source_root = solutions_dir(course_root)
    for assignment in resolve_assignments(course_root):
        with tempfile.TemporaryDirectory(prefix="autograder-demo-") as tmp:
            released_dir = Path(tmp) / assignment
            release_assignment(course_root, assignment, released_dir)
            for source in sorted((source_root / assignment).glob("*.ipynb")):
                released = released_dir / source.name
                n_solutions = sum(map(is_solution_cell,
                                      nbformat.read(str(source), as_version=4).cells))
                half = n_solutions // 2
                notebooks = {
                    "reference": _student(released, source, lambda i, g: "solution"),
                    "partial": _student(released, source,
                                        lambda i, g, half=half: "solution" if i < half else None),
                    "wrong": _student(released, source, lambda i, g: "wrong"),
                    "tamperer": _student(released, source, lambda i, g: "tamper"),
                    "patcher": _patched(_student(released, source, lambda i, g: "wrong")),
                    "deleted_tests": _student(released, source, lambda i, g: "solution",
                                              drop_tests=True),
                }
                for student, nb in notebooks.items():
                    folder = dest / student / assignment
                    folder.mkdir(parents=True, exist_ok=True)
                    nbformat.write(nb, str(folder / source.name))
                text = nbformat.writes(notebooks["reference"])
                for student, content in (("broken_json", text[: len(text) // 2]),
                                         ("empty_file", "")):
                    folder = dest / student / assignment
                    folder.mkdir(parents=True, exist_ok=True)
                    (folder / source.name).write_text(content, encoding="utf-8")
    return dest


def format_table(rows: list[GradeRow]) -> str:
    """A fixed-width table: student, assignment, score/max, status, reason."""
    header = ("student", "assignment", "score", "status", "reason")
    body = [(r.student_id, r.assignment, f"{format_points(r.score)}/{format_points(r.max_score)}",
             r.status, r.reason) for r in rows]
    widths = [max(len(str(row[i])) for row in [header] + body) for i in range(4)]
    lines = []
    for row in [header] + body:
        cells = [str(value).ljust(width) for value, width in zip(row[:4], widths, strict=True)]
        lines.append("  ".join(cells + [row[4]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ------")
    return "\n".join(lines)


def run_demo(course_root: str | os.PathLike, out_dir: str | os.PathLike = "grading/demo", *,
             timeout: int = DEFAULT_TIMEOUT,
             echo: Callable[[str], None] = print) -> GradingResult:
    """Build the synthetic class in ``out_dir/class``, grade it into ``out_dir``, print a table.

    ``out_dir`` then holds what ``grade --out out_dir`` writes (``grades.csv``,
    ``tests.csv``, ``gradebook.db``, ...), so the demo shows the real layout.
    """
    list_assignments(course_root)
    out = Path(out_dir)
    submissions = build_demo_class(course_root, out / "class")
    result = grade_class(submissions, course_root, out, timeout=timeout)
    echo(result.sandbox_note)
    echo(format_table(result.grades))
    echo(f"grades: {result.grades_csv}")
    echo(f"tests:  {result.tests_csv}")
    return result
