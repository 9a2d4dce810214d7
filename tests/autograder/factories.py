"""Cell and notebook factories for the autograder tests: a tiny course in a folder.

The fixture course has one assignment, ``01_toy``, with one notebook,
``toy.ipynb``: two exercises (``add`` worth 1 point, ``scale`` worth 2), each
with a visible and a hidden test written with ``helpers.grading``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.cellmeta import grade_id

ASSIGNMENT = "01_toy"
NOTEBOOK = "toy"

ADD_SOLUTION = '''def add(a, b):
    """Return a + b."""
    ### BEGIN SOLUTION
    return a + b
    ### END SOLUTION'''

SCALE_SOLUTION = '''def scale(x, k):
    """Return the list x with every element multiplied by k."""
    ### BEGIN SOLUTION
    return [value * k for value in x]
    ### END SOLUTION'''

TEST_ADD = '''assert_equal(add(1, 2), 3, "add(1, 2)")
### BEGIN HIDDEN TESTS
_ = assert_equal(add(-4, 10), 6, "add(-4, 10)")
### END HIDDEN TESTS'''

TEST_SCALE = '''assert_close(scale([1.0, 2.0], 3), [3.0, 6.0], "scale([1.0, 2.0], 3)")
### BEGIN HIDDEN TESTS
_ = assert_close(scale([0.5], -2), [-1.0], "scale([0.5], -2)")
### END HIDDEN TESTS'''


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def solution_cell(grade_id: str, source: str):
    """A code cell the student fills in."""
    return new_code_cell(source, metadata=_meta(grade_id, grade=False, solution=True,
                                                locked=False), id=grade_id)


def test_cell(grade_id: str, source: str, points: int = 1):
    """A locked, autograded test cell."""
    return new_code_cell(source, metadata=_meta(grade_id, grade=True, solution=False,
                                                locked=True, points=points), id=grade_id)


def markdown_cell(text: str, cell_id: str):
    return new_markdown_cell(text, id=cell_id)


def code_cell(source: str, cell_id: str):
    return new_code_cell(source, id=cell_id)


def toy_notebook():
    """The source notebook of the fixture assignment."""
    nb = new_notebook(cells=[
        markdown_cell("# A toy assignment\nAdd numbers, $a + b$, then scale lists.", "title"),
        code_cell("from helpers.grading import assert_close, assert_equal", "imports"),
        solution_cell("add", ADD_SOLUTION),
        test_cell("test_add", TEST_ADD, points=1),
        solution_cell("scale", SCALE_SOLUTION),
        test_cell("test_scale", TEST_SCALE, points=2),
        markdown_cell("That is all.", "end"),
    ])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    return nb


def make_course(root: Path) -> Path:
    """Write the fixture course (``solutions/01_toy/toy.ipynb``) under ``root``."""
    folder = root / "solutions" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(toy_notebook(), str(folder / f"{NOTEBOOK}.ipynb"))
    (root / "notebooks").mkdir()
    return root


def student_notebook(released: Path, answers: dict[str, str] | None = None,
                     drop: tuple[str, ...] = ()):
    """A submission: the released notebook with some solution cells answered.

    ``answers`` maps a grade_id to the cell's new source; ``drop`` lists
    grade_ids of cells the student deleted.
    """
    nb = nbformat.read(str(released), as_version=4)
    cells = []
    for cell in nb.cells:
        name = grade_id(cell)
        if name in drop:
            continue
        if answers and name in answers:
            cell.source = answers[name]
        cells.append(cell)
    nb.cells = cells
    return nb


RIGHT = {
    "add": "def add(a, b):\n    return a + b",
    "scale": "def scale(x, k):\n    return [v * k for v in x]",
}
WRONG_SCALE = dict(RIGHT, scale="def scale(x, k):\n    return [v + k for v in x]")
