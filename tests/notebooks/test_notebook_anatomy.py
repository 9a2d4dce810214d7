"""Every notebook shares its opening instructions, its closing cells and its question form,
and its test cells keep the answers off the page.

- The first cell ends with the same "How this notebook works" paragraph; the
  last two cells are the same "Before you hand in" text and the check of the
  notebook's own file.
- A multiple-choice answer cell starts as ``answer_qN = None``, so an unanswered
  question is reported as such, not as a NameError.
- Test cells call the student's functions only through ``grading.call`` (or
  ``grading.assert_raises``), so a crash inside them becomes one sentence.
- Strings in test cells (hints, messages) carry no code: a hint explains, it
  does not print the answer.
"""

from __future__ import annotations

import ast
import re

import pytest

from . import anatomy, cells

SOURCES = cells.course_notebooks(cells.SOLUTIONS)
IDS = [p.parent.name for p in SOURCES]

# What code looks like inside a string: a numpy call, a matrix product, a
# transpose, a slice over a batch axis, an assignment or update of a name.
CODE_IN_TEXT = re.compile(r"np\.\w+\(|\w\)? @ \(?\w|\w\.T\b|\[:, |^\s*\w+(\[[^\]]*\])? [-+*/]?= \S"
                          r"|\b\w+ [-+*/]?= \w+[\[(@*]", re.M)


@pytest.fixture(scope="module", params=SOURCES, ids=IDS)
def source(request):
    return request.param


def _both(source):
    return [(source, cells.read(source)),
            (cells.RELEASE / source.parent.name / source.name,
             cells.read(cells.RELEASE / source.parent.name / source.name))]


def test_the_first_cell_ends_with_the_shared_instructions(source):
    for path, nb in _both(source):
        first = nb.cells[0]
        assert first.cell_type == "markdown" and first.source.startswith("# ")
        assert first.source.rstrip().endswith(anatomy.HOW_IT_WORKS), (
            f"{path}: the first cell must end with tests/notebooks/anatomy.py's HOW_IT_WORKS")


def test_the_last_cells_are_the_shared_hand_in_text_and_the_check(source):
    for path, nb in _both(source):
        hand_in, last = nb.cells[-2], nb.cells[-1]
        assert hand_in.get("id") == anatomy.HAND_IN_ID and hand_in.source == anatomy.HAND_IN, (
            f"{path}: the second-to-last cell must be anatomy.HAND_IN")
        assert last.get("id") == anatomy.LAST_ID, path
        assert last.source == anatomy.last_cell_source(source.name), path


def test_multiple_choice_answers_start_as_none(source):
    nb = cells.read(source)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and re.fullmatch(r"answer_q\d+", gid):
            assert cell.source.startswith(f"{gid} = None"), (
                f"{gid} must start with `{gid} = None` so an unanswered question says so")


def _student_names(nb) -> set[str]:
    """Every function or class a solution cell defines at its top level."""
    names = set()
    for cell in nb.cells:
        if cells.is_solution(cell):
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names.add(node.name)
    return names


def test_test_cells_call_student_code_only_through_grading(source):
    nb = cells.read(source)
    names = _student_names(nb)
    for gid, src in cells.test_cells(nb).items():
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in names, (
                    f"{gid} line {node.lineno} calls {node.func.id}(...) directly: use "
                    f"grading.call({node.func.id}, ...) so a crash inside it is one sentence")


def _strings(src: str):
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_strings_in_test_cells_carry_no_code(source):
    nb = cells.read(source)
    for gid, src in cells.test_cells(nb).items():
        for lineno, text in _strings(src):
            match = CODE_IN_TEXT.search(text)
            assert match is None, (f"{gid} line {lineno}: the text {text!r} shows code "
                                   f"({match.group(0)!r}); hints explain, they do not print code")


@pytest.mark.parametrize("text, is_code", [
    ("dx = da @ Wx.T, with da = dh_next * (1 - h_next ** 2).", True),
    ("db = da.sum(axis=0): b is added to every row of the batch.", True),
    ("h_next = np.tanh(x @ Wx + h_prev @ Wh + b)", True),
    ("Use x[:, t], the step t of every sequence.", True),
    ("dc += f * dc_next", True),
    ("P zeros go on each side: the padded size is N + 2P.", False),
    ("With dilation D a kernel of K taps spans D(K-1) + 1 positions.", False),
    ("Return the tuple (dx, dh_prev, dWx, dWh, db).", False),
    ("The bias is added to every row of the batch, so its gradient sums over the batch.", False),
    ("expected (N, T, H) = (2, 3, 5)", False),
])
def test_the_code_detector_tells_code_from_prose(text, is_code):
    assert bool(CODE_IN_TEXT.search(text)) is is_code
