"""The graded tests reject every wrong answer in the zoo and accept every right one.

Each case swaps one exercise's answer in a namespace built from the solution
notebook and runs that exercise's test cells (visible and hidden) in-process.
"""

from __future__ import annotations

import importlib

import pytest

from helpers.grading import GradingError

from . import cells, zoo_01, zoo_02, zoo_03, zoo_04, zoo_05


def _zoos() -> dict:
    """Notebook folder -> its ``zoo_NN`` module, for every notebook of the course."""
    found = {}
    for path in cells.course_notebooks(cells.SOLUTIONS):
        topic = path.parent.name
        found[topic] = importlib.import_module(f"tests.notebooks.zoo_{topic[:2]}")
    return found


ZOOS = _zoos()


def _notebook(topic: str):
    return cells.read(next((cells.SOLUTIONS / topic).glob("*.ipynb")))


_NOTEBOOKS: dict = {}
_NAMESPACES: dict = {}


def _setup(topic: str):
    if topic not in _NOTEBOOKS:
        _NOTEBOOKS[topic] = _notebook(topic)
        _NAMESPACES[topic] = cells.base_namespace(_NOTEBOOKS[topic])
    return _NOTEBOOKS[topic], _NAMESPACES[topic]


def _cases(kind: str):
    for topic, zoo in ZOOS.items():
        for exercise, variants in getattr(zoo, kind).items():
            for label in variants:
                yield pytest.param(topic, exercise, label, id=f"{topic[:2]}-{exercise}-{label}")


def _run_tests_of(topic, exercise, answer):
    nb, namespace = _setup(topic)
    tests = cells.tests_of(nb, exercise)
    assert tests, f"{exercise} has no graded test cells"
    scope = dict(namespace)
    scope[exercise] = answer
    return {gid: cells.run_cell(src, scope, gid) for gid, src in tests.items()}


@pytest.mark.parametrize("topic, exercise, label", list(_cases("WRONG")))
def test_graded_tests_reject_wrong_answer_with_a_sentence(topic, exercise, label):
    # Rejected by a GradingError, the sentence a student can act on; a raw
    # exception from inside the student's code (a broadcast error, an IndexError)
    # would leave the student with numpy's words instead of the test's.
    answer = ZOOS[topic].WRONG[exercise][label]
    results = _run_tests_of(topic, exercise, answer)
    errors = [e for e in results.values() if e is not None]
    assert errors, f"every test of {exercise} passes the wrong answer {label!r}"
    first = errors[0]
    assert isinstance(first, GradingError), (
        f"the wrong answer {label!r} of {exercise} is rejected by a raw "
        f"{type(first).__name__}: {first}; call it through grading.call or compare "
        "through helpers.grading")


@pytest.mark.parametrize("topic, exercise, label", list(_cases("RIGHT")))
def test_graded_tests_accept_right_answer(topic, exercise, label):
    answer = ZOOS[topic].RIGHT[exercise][label]
    results = _run_tests_of(topic, exercise, answer)
    failed = {gid: f"{type(e).__name__}: {e}" for gid, e in results.items() if e is not None}
    assert not failed, f"a right answer ({label}) fails: {failed}"


@pytest.mark.parametrize("topic", sorted(ZOOS))
def test_zoo_covers_every_graded_exercise(topic):
    nb, _ = _setup(topic)
    zoo = ZOOS[topic]
    for exercise in cells.solution_ids(nb):
        assert len(zoo.WRONG.get(exercise, {})) >= 3, f"{exercise} needs at least 3 wrong answers"
        assert zoo.RIGHT.get(exercise), f"{exercise} needs at least one right alternative"


# (topic, exercise, wrong answer, graded test cell, words its message must hold)
NAMED_MISTAKES = [
    ("01_convolution_arithmetic", "conv2d_naive", zoo_01.WRONG_CONV2D,
     "kernel flipped (true convolution)", "test_conv2d_naive", "kernel flipped"),
    ("01_convolution_arithmetic", "conv_output_size", zoo_01.WRONG_CONV_OUTPUT_SIZE,
     "ceil instead of floor", "test_conv_output_size", "ceil"),
    ("01_convolution_arithmetic", "conv2d_naive", zoo_01.WRONG_CONV2D,
     "padding repeats edge pixels instead of zeros", "test_conv2d_naive_2",
     "padding repeats the edge pixels"),
    ("01_convolution_arithmetic", "conv2d_backward", zoo_01.WRONG_CONV_BACKWARD,
     "dx overwritten where windows overlap", "test_conv2d_backward_2",
     "dx overwritten where windows overlap"),
    ("01_convolution_arithmetic", "conv2d_backward", zoo_01.WRONG_CONV_BACKWARD,
     "db not summed over the batch", "test_conv2d_backward_2", "db not summed over the batch"),
    ("01_convolution_arithmetic", "conv2d_backward", zoo_01.WRONG_CONV_BACKWARD,
     "KH and KW swapped (crashes)", "test_conv2d_backward", "3 rows and 2 columns"),
    ("01_convolution_arithmetic", "max_pool2d_backward", zoo_01.WRONG_POOL_BACKWARD,
     "gradient sent to every tied maximum", "test_max_pool2d_backward",
     "gradient sent to every tied maximum"),
    ("01_convolution_arithmetic", "max_pool2d_backward", zoo_01.WRONG_POOL_BACKWARD,
     "overlapping windows overwritten instead of accumulated", "test_max_pool2d_backward",
     "overwritten instead of accumulated"),
    ("02_resnet_gradient_flow", "residual_block_forward", zoo_02.WRONG_FORWARD,
     "a ReLU after the sum", "test_residual_block_forward", "a ReLU applied after the sum"),
    ("02_resnet_gradient_flow", "residual_block_backward", zoo_02.WRONG_BACKWARD,
     "the skip's dout is missing from dx", "test_residual_block_backward_2",
     "the skip's term dout is missing"),
    ("02_resnet_gradient_flow", "clip_grad_norm", zoo_02.WRONG_CLIP,
     "each array clipped by its own norm", "test_clip_grad_norm",
     "each array clipped by its own norm"),
    ("02_resnet_gradient_flow", "clip_grad_norm", zoo_02.WRONG_CLIP,
     "the norm reported after clipping", "test_clip_grad_norm", "measured after clipping"),
    ("02_resnet_gradient_flow", "residual_block_forward", zoo_02.WRONG_FORWARD,
     "h @ W1 instead of h @ W2 (crashes when D != H)", "test_residual_block_forward",
     "each weight is used once"),
    ("02_resnet_gradient_flow", "residual_block_forward", zoo_02.WRONG_FORWARD,
     "out = x then out += ... changes x in place", "test_residual_block_forward_2",
     "writes into the caller's x"),
    ("02_resnet_gradient_flow", "residual_block_backward", zoo_02.WRONG_BACKWARD,
     "dout @ W2 without the transpose (crashes when D != H)", "test_residual_block_backward",
     "multiplies by the other factor transposed"),
    ("02_resnet_gradient_flow", "residual_block_backward", zoo_02.WRONG_BACKWARD,
     "dx = dout then dx += ... changes dout in place", "test_residual_block_backward",
     "changes the caller's dout"),
    ("02_resnet_gradient_flow", "clip_grad_norm", zoo_02.WRONG_CLIP,
     "the input arrays modified in place (g *= scale)", "test_clip_grad_norm",
     "multiplying each gradient by the factor in place"),
    ("02_resnet_gradient_flow", "clip_grad_norm", zoo_02.WRONG_CLIP,
     "np.linalg.norm of the list itself (crashes on mixed shapes)", "test_clip_grad_norm",
     "cannot be joined or stacked"),
    ("03_vanilla_rnn", "VanillaRNN", zoo_03.WRONG_CLASS,
     "the new state is not stored", "test_VanillaRNN_2", "the new state is not stored"),
    ("03_vanilla_rnn", "rnn_step_backward", zoo_03.WRONG_STEP_BACKWARD,
     "tanh's derivative 1 - h_next, not squared", "test_rnn_step_backward_2", "(not squared)"),
    ("03_vanilla_rnn", "rnn_step_backward", zoo_03.WRONG_STEP_BACKWARD,
     "dWh uses h_next instead of h_prev", "test_rnn_step_backward_2", "dWh uses h_next"),
    ("03_vanilla_rnn", "rnn_backward", zoo_03.WRONG_BACKWARD,
     "gradients overwritten at each step, not summed", "test_rnn_backward_2", "dWx overwritten"),
    ("03_vanilla_rnn", "rnn_backward", zoo_03.WRONG_BACKWARD,
     "dh modified in place", "test_rnn_backward", "add into a new array"),
    ("03_vanilla_rnn", "rnn_forward", zoo_03.WRONG_FORWARD,
     "x[t] instead of x[:, t]", "test_rnn_forward", "a slice along axis 1"),
    ("03_vanilla_rnn", "VanillaRNN", zoo_03.WRONG_CLASS,
     "standard_normal(H, H): the shape as two arguments (crashes in __init__)", "test_VanillaRNN",
     "shape as one tuple"),
    ("04_lstm", "lstm_step_forward", zoo_04.WRONG_STEP_FORWARD,
     "gates in the order i, f, o, g", "test_lstm_step_forward", "gates in the order i, f, o, g"),
    ("04_lstm", "lstm_step_backward", zoo_04.WRONG_STEP_BACKWARD,
     "the path from h_next into the cell is missing", "test_lstm_step_backward_2",
     "the path from h_next into the cell is missing"),
    ("04_lstm", "lstm_backward", zoo_04.WRONG_BACKWARD,
     "dc is not carried across steps", "test_lstm_backward_2", "dc is not carried across steps"),
    ("04_lstm", "lstm_step_forward", zoo_04.WRONG_STEP_FORWARD,
     "gate blocks D columns wide instead of H (crashes when D != H)", "test_lstm_step_forward",
     "each gate is a block of H = 2 columns"),
    ("04_lstm", "lstm_step_backward", zoo_04.WRONG_STEP_BACKWARD,
     "dx without the transpose of Wx (crashes when D != 4H)", "test_lstm_step_backward",
     "through the transposed weights"),
    ("04_lstm", "lstm_forward", zoo_04.WRONG_FORWARD,
     "x[t] instead of x[:, t] (crashes when N != T)", "test_lstm_forward", "a slice along axis 1"),
    ("04_lstm", "gru_step_forward", zoo_04.WRONG_GRU_FORWARD,
     "z and 1 - z swapped", "test_gru_step_forward", "z and 1 - z swapped"),
    ("04_lstm", "gru_step_forward", zoo_04.WRONG_GRU_FORWARD,
     "the candidate's bias inside the reset gate's product", "test_gru_step_forward",
     "the candidate's bias inside the reset gate's product"),
    ("05_attention", "softmax", zoo_05.WRONG_SOFTMAX,
     "mask inverted", "test_softmax_2", "the mask inverted"),
    ("05_attention", "scaled_dot_product_attention", zoo_05.WRONG_SDPA,
     "divided by d", "test_scaled_dot_product_attention", "divided by d instead of sqrt(d)"),
    ("05_attention", "additive_attention", zoo_05.WRONG_ADDITIVE,
     "the state's time axis missing (crashes)", "test_additive_attention",
     "give the state a time axis"),
    ("05_attention", "additive_attention_backward", zoo_05.WRONG_BACKWARD,
     "only the diagonal of the softmax's Jacobian", "test_additive_attention_backward_2",
     "only the diagonal of the softmax's Jacobian"),
    ("05_attention", "additive_attention_backward", zoo_05.WRONG_BACKWARD,
     "the context's own path missing from dH", "test_additive_attention_backward_2",
     "the context's own path is missing"),
    ("05_attention", "multi_head_attention", zoo_05.WRONG_MHA,
     "reshape into heads without a transpose", "test_multi_head_attention",
     "without moving the head axis (no transpose)"),
    ("05_attention", "multi_head_attention", zoo_05.WRONG_MHA,
     "mask tiled instead of repeated for the heads", "test_multi_head_attention_2",
     "the mask tiled instead of repeated"),
    ("05_attention", "positional_encoding", zoo_05.WRONG_PE,
     "exponent i/d instead of 2i/d", "test_positional_encoding",
     "the exponent i/d instead of 2i/d"),
    ("05_attention", "positional_encoding", zoo_05.WRONG_PE,
     "one rate too many for the cosines when d is odd (crashes)", "test_positional_encoding",
     "the cosines use only the first d//2 rates"),
]
# A later notebook's zoo lists its own: (exercise, wrong answers, mistake, test, words).
for _topic, _zoo in ZOOS.items():
    NAMED_MISTAKES += [(_topic, *named) for named in getattr(_zoo, "NAMED_MISTAKES", [])]


@pytest.mark.parametrize("topic, exercise, zoo, mistake, test, words", NAMED_MISTAKES,
                         ids=[f"{m[0][:2]}-{m[3]}" for m in NAMED_MISTAKES])
def test_a_known_mistake_gets_a_message_naming_it(topic, exercise, zoo, mistake, test, words):
    # The visible tests name the mistake, so the student learns what to fix.
    results = _run_tests_of(topic, exercise, zoo[mistake])
    assert words in str(results[test])
