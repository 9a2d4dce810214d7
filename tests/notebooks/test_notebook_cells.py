"""Every course notebook's graded cells, checked statically and in-process.

- Test cells pass on the reference solutions, in a namespace holding only the
  setup cell and the solution cells (so they are self-contained).
- Every graded test cell fails on the released stub, hidden parts included.
- Test cells never end in a bare expression, compare through helpers.grading
  and never write to stderr.
- Core exercises have the fixed grade_ids and test names of the syllabus.
"""

from __future__ import annotations

import ast
import re

import pytest

from . import cells

SOURCES = cells.course_notebooks(cells.SOLUTIONS)
IDS = [p.parent.name for p in SOURCES]

CORE = {
    "01_convolution_arithmetic": ["conv_output_size", "conv2d_naive", "max_pool2d_naive",
                                  "conv_param_count", "receptive_field",
                                  "transposed_conv_output_size", "conv2d_backward",
                                  "max_pool2d_backward"],
    "02_resnet_gradient_flow": ["residual_block_forward", "residual_block_backward",
                                "clip_grad_norm"],
    "03_vanilla_rnn": ["VanillaRNN", "rnn_step_forward", "rnn_step_backward", "rnn_forward",
                       "rnn_backward"],
    "04_lstm": ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
                "gru_step_forward"],
    "05_attention": ["softmax", "additive_attention", "scaled_dot_product_attention",
                     "positional_encoding", "multi_head_attention"],
    "06_embeddings": ["one_hot", "bag_of_words", "embedding_forward", "embedding_backward",
                      "cooccurrence_matrix", "ppmi", "cosine_similarity", "analogy"],
    "07_activation_maximization": ["total_variation", "total_variation_grad",
                                   "activation_maximization", "saliency_map"],
}


def _released(source):
    return cells.RELEASE / source.parent.name / source.name


@pytest.fixture(scope="module", params=SOURCES, ids=IDS)
def source(request):
    return request.param


def test_the_course_has_notebooks():
    assert SOURCES, "no notebook found under solutions/"


def test_core_exercises_have_their_fixed_grade_ids(source):
    nb = cells.read(source)
    ids = cells.solution_ids(nb)
    for name in CORE.get(source.parent.name, []):
        assert name in ids, f"core exercise {name} has no solution cell with grade_id {name!r}"
        assert cells.tests_of(nb, name), f"core exercise {name} has no test_{name} cell"
    for gid in cells.test_cells(nb):
        assert re.fullmatch(r"test_\w+?(_\d+)?", gid), f"badly named test cell {gid}"
        base = re.sub(r"_\d+$", "", gid)[len("test_"):]
        assert base in ids, f"{gid} tests no solution cell of this notebook"


def test_grade_ids_are_unique(source):
    nb = cells.read(source)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))


def test_test_cells_pass_on_the_reference_solution(source):
    nb = cells.read(source)
    namespace = cells.base_namespace(nb)
    for gid, src in cells.test_cells(nb).items():
        error = cells.run_cell(src, namespace, gid)
        assert error is None, f"{gid} fails on the reference solution: {error!r}"


def test_every_graded_test_cell_fails_on_the_released_stub(source):
    release = cells.read(_released(source))
    stub_namespace = cells.base_namespace(release, tolerate_stubs=True)
    source_tests = cells.test_cells(cells.read(source))
    released_tests = cells.test_cells(release)
    assert set(released_tests) == set(source_tests)
    for label, tests in (("released", released_tests), ("source", source_tests)):
        for gid, src in tests.items():
            error = cells.run_cell(src, stub_namespace, gid)
            assert error is not None, f"the {label} {gid} passes on the unfinished stub"


def _last_statement_is_displayed_value(src: str) -> bool:
    tree = ast.parse(src)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    value = tree.body[-1].value
    is_print = (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "print")
    return not is_print


def test_test_cells_never_end_in_a_bare_expression(source):
    nb = cells.read(source)
    for gid, src in cells.test_cells(nb).items():
        for variant, text in (("source", src), ("release", _strip_hidden(src))):
            assert not _last_statement_is_displayed_value(text), (
                f"{gid} ({variant}) ends in a bare expression: its value would be shown, "
                "not checked")


def test_test_cells_compare_through_helpers_grading_and_stay_off_stderr(source):
    nb = cells.read(source)
    for gid, src in cells.test_cells(nb).items():
        assert "grading." in src, f"{gid} does not compare through helpers.grading"
        assert "stderr" not in src, f"{gid} mentions stderr: test cells must not write there"


def _strip_hidden(src: str) -> str:
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", src, flags=re.S)


def test_the_released_notebook_has_no_solution_or_hidden_test(source):
    text = _released(source).read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{marker} found in the student release"


def test_notebooks_are_stored_without_outputs(source):
    for path in (source, _released(source)):
        nb = cells.read(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"
