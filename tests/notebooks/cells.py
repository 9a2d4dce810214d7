"""Read a course notebook's graded cells and run them in-process.

The zoo tests and the release tests execute test cells with ``exec`` against a
namespace built from the notebook's first code cell (its imports) and its
solution cells, instead of starting a kernel per case: hundreds of cases then
run in seconds. Test cells are written to depend on nothing else, and
``test_notebook_cells.py`` proves that they pass in such a namespace.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat

from autograder.cellmeta import is_test_cell

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "notebooks"


def course_notebooks(folder: Path = SOLUTIONS) -> list[Path]:
    """Every notebook of the course below ``folder``, in syllabus order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*/*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def read(path: Path):
    return nbformat.read(str(path), as_version=4)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and bool(_nbgrader(cell).get("solution"))


def is_graded_test(cell) -> bool:
    return is_test_cell(cell)


def setup_cell(nb):
    """The first code cell: the notebook's imports."""
    return next(c for c in nb.cells if c.cell_type == "code")


def test_cells(nb) -> dict[str, str]:
    """grade_id -> source of every graded test cell, in notebook order."""
    return {_nbgrader(c)["grade_id"]: c.source for c in nb.cells if is_graded_test(c)}


def solution_ids(nb) -> list[str]:
    return [_nbgrader(c)["grade_id"] for c in nb.cells if is_solution(c)]


def tests_of(nb, exercise: str) -> dict[str, str]:
    """The test cells of one exercise: ``test_<name>``, ``test_<name>_2``, ..."""
    pattern = re.compile(rf"test_{re.escape(exercise)}(_\d+)?")
    return {gid: src for gid, src in test_cells(nb).items() if pattern.fullmatch(gid)}


def base_namespace(nb, tolerate_stubs: bool = False) -> dict:
    """Execute the setup cell and every solution cell; return the namespace.

    With ``tolerate_stubs`` a solution cell that raises ``NotImplementedError``
    at top level (a released multiple-choice stub) is skipped, as a student
    who has not answered would leave it.
    """
    namespace: dict = {"__name__": "__notebook__"}
    cells = [setup_cell(nb)] + [c for c in nb.cells if is_solution(c)]
    for cell in cells:
        code = compile(cell.source, f"<cell {cell.get('id', '?')}>", "exec")
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)  # noqa: S102 (course notebooks, run by the course's tests)
        except NotImplementedError:
            if not tolerate_stubs:
                raise
    return namespace


def provided_namespace(path: Path, provided) -> dict:
    """:func:`base_namespace` plus the notebook's provided (not graded) cells ``provided`` picks.

    ``provided`` is a set of cell ids or a predicate on a code cell. The claims
    tests use it to run the notebook's own experiment code on small seeded cases.
    """
    nb = read(path)
    namespace = base_namespace(nb)
    picks = provided if callable(provided) else (lambda cell: cell.get("id") in provided)
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code" and not is_solution(cell) and picks(cell):
                exec(compile(cell.source, f"<cell {cell.get('id', '?')}>", "exec"),  # noqa: S102
                     namespace)
    return namespace


def run_cell(source: str, namespace: dict, label: str = "cell") -> BaseException | None:
    """Run one cell's code in a copy of ``namespace``; return the exception it raised, if any.

    Output to stdout and stderr is captured; a cell that writes to stderr counts as
    failed (``AssertionError``), as nbgrader would score it.
    """
    scope = dict(namespace)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(source, f"<{label}>", "exec"), scope)  # noqa: S102
    except Exception as error:  # noqa: BLE001 (any exception is a failed test cell)
        return error
    if err.getvalue():
        return AssertionError(f"the cell wrote to stderr: {err.getvalue()[:200]}")
    return None
