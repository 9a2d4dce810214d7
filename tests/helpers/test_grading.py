"""helpers.grading: conversions that cannot be fooled and messages that explain."""

import numpy as np
import pytest

from helpers import grading
from helpers.grading import GradingError


class AlwaysEqual:
    """What a tampering student returns: equal to everything, true in every test."""

    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    __hash__ = object.__hash__


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)


def test_grading_error_is_an_assertion_error():
    assert issubclass(GradingError, AssertionError)


def test_to_float_array_returns_a_fresh_plain_float64_array():
    source = [[1, 2], [3, 4]]
    array = grading.to_float_array(source)
    assert type(array) is np.ndarray and array.dtype == np.float64
    original = np.arange(3.0)
    copy = grading.to_float_array(original)
    copy[0] = 99.0
    assert original[0] == 0.0


def test_to_float_array_drops_subclasses_that_override_equality():
    fake = np.zeros(3).view(LyingArray)
    array = grading.to_float_array(fake)
    assert type(array) is np.ndarray
    with pytest.raises(GradingError):
        grading.assert_close(fake, [1.0, 2.0, 3.0], "out")


@pytest.mark.parametrize("value, words", [
    (None, "return"), ("0.5", "text"), (AlwaysEqual(), "AlwaysEqual"), ({"a": 1}, "dict"),
])
def test_to_float_array_refuses_what_is_not_numbers(value, words):
    with pytest.raises(GradingError, match=words):
        grading.to_float_array(value, "out")


def test_to_int_accepts_python_and_numpy_integers():
    assert grading.to_int(3) == 3 and type(grading.to_int(np.int64(3))) is int


@pytest.mark.parametrize("value, words", [
    (54.0, "//"), (54.5, "float"), (True, "boolean"), (None, "return"), ("54", "str"),
    (AlwaysEqual(), "AlwaysEqual"), (np.float64(3.0), "int"),
])
def test_to_int_refuses_floats_bools_and_impostors(value, words):
    with pytest.raises(GradingError, match=words):
        grading.to_int(value, "conv_output_size(5, 3)")


def test_assert_shape_names_both_shapes_and_the_hint():
    with pytest.raises(GradingError, match=r"shape \(2, 3\), expected \(3, 2\)\. Check the axes\."):
        grading.assert_shape(np.zeros((2, 3)), (3, 2), "out", hint="Check the axes.")
    assert grading.assert_shape([[1, 2]], (1, 2)).shape == (1, 2)


def test_assert_close_passes_within_tolerance_and_returns_the_array():
    out = grading.assert_close([1.0 + 1e-9, 2.0], [1.0, 2.0], "out")
    assert out.tolist() == [1.0 + 1e-9, 2.0]


def test_assert_close_message_says_expected_got_and_where():
    with pytest.raises(GradingError) as info:
        grading.assert_close([[1.0, 2.0], [3.0, 5.0]], [[1.0, 2.0], [3.0, 4.0]], "out")
    message = str(info.value)
    assert "expected [[1., 2.], [3., 4.]]" in message
    assert "got [[1., 2.], [3., 5.]]" in message
    assert "index (1, 1)" in message and "largest difference 1" in message


def test_assert_close_names_a_known_mistake():
    flipped = [[9.0, 8.0], [7.0, 6.0]]
    with pytest.raises(GradingError, match="known mistake: kernel flipped"):
        grading.assert_close(flipped, [[6.0, 7.0], [8.0, 9.0]], "out",
                             mistakes={"missing bias": [[5.0, 6.0], [7.0, 8.0]],
                                       "kernel flipped": flipped})


def test_assert_close_known_mistake_of_another_shape_is_named_too():
    with pytest.raises(GradingError, match=r"shape \(3,\).*known mistake: off by one"):
        grading.assert_close([1.0, 2.0, 3.0], [1.0, 2.0], "out",
                             mistakes={"off by one": [1.0, 2.0, 3.0]})


def test_assert_close_rejects_nan_and_infinity():
    with pytest.raises(GradingError, match="NaN"):
        grading.assert_close([np.nan, 1.0], [0.0, 1.0], "out")


def test_assert_close_is_not_fooled_by_rebinding_numpy(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    with pytest.raises(GradingError):
        grading.assert_close([0.0], [1.0], "out")


def test_assert_equal_exact_int_with_mistake_and_hint():
    assert grading.assert_equal(np.int32(54), 54, "size") == 54
    with pytest.raises(GradingError, match="expected 54, got 55.*ceil.*Use floor"):
        grading.assert_equal(55, 54, "size", mistakes={"ceil instead of floor": 55},
                             hint="Use floor.")


def test_assert_raises_checks_type_and_message():
    def bad(n):
        raise ValueError(f"kernel {n} does not fit")

    error = grading.assert_raises(ValueError, bad, 5, match="does not fit")
    assert isinstance(error, ValueError)
    with pytest.raises(GradingError, match="does not say what is wrong"):
        grading.assert_raises(ValueError, bad, 5, match="stride")
    with pytest.raises(GradingError, match="should raise ValueError, but it returned 3"):
        grading.assert_raises(ValueError, lambda: 3, name="f()")
    with pytest.raises(GradingError, match=r"raised TypeError\(boom\).*, expected ValueError"):
        grading.assert_raises(ValueError, lambda: (_ for _ in ()).throw(TypeError("boom")))


def test_assert_raises_reports_an_unfinished_exercise():
    def stub():
        raise NotImplementedError()

    with pytest.raises(GradingError, match="stub is not done yet"):
        grading.assert_raises(ValueError, stub, name="conv_output_size(1, 5)")


def test_assert_unchanged_detects_in_place_modification():
    x = np.arange(4.0)
    grading.assert_unchanged(x, x.copy(), "x")
    with pytest.raises(GradingError, match="modified x in place"):
        grading.assert_unchanged(x, x + 1, "x")


def test_assert_choice_checks_the_form_of_an_answer():
    assert grading.assert_choice(" B ", "abcd") == "b"
    with pytest.raises(GradingError, match="one of 'a', 'b'"):
        grading.assert_choice("e", "ab", "answer_q1")
    with pytest.raises(GradingError, match="one letter in quotes"):
        grading.assert_choice(2, "ab", "answer_q1")


def test_assert_choice_says_an_unanswered_question_is_not_answered_yet():
    with pytest.raises(GradingError, match="answer_q2 is not answered yet: set it to one of 'a'"):
        grading.assert_choice(None, "abcd", "answer_q2")


def test_assert_choice_with_the_right_letter_checks_it():
    assert grading.assert_choice("C", "abcd", "answer_q3", right="c") == "c"
    with pytest.raises(GradingError, match="answer_q3 is not the right answer"):
        grading.assert_choice("b", "abcd", "answer_q3", right="c")


def test_assert_unchanged_message_fits_the_exercise_when_given_a_hint():
    with pytest.raises(GradingError, match=r"modified dh in place; dh\[:, t\] \+= ... writes"):
        grading.assert_unchanged(np.zeros(2), np.ones(2), "dh", hint="dh[:, t] += ... writes")
    with pytest.raises(GradingError) as info:
        grading.assert_unchanged(np.zeros(2), np.ones(2), "x")
    assert "np.pad" not in str(info.value) and "in-place operation" in str(info.value)


def test_assert_close_on_a_large_array_shows_where_it_differs():
    expected = np.linspace(-0.6, 0.6, 60).reshape(3, 4, 5)
    got = expected.copy()
    got[1, 2, 3] += 0.5
    got[2, 0, 0] -= 0.1
    with pytest.raises(GradingError) as info:
        grading.assert_close(got, expected, "dx")
    message = str(info.value)
    assert "2 of its 60 entries (shape (3, 4, 5)) differ" in message
    assert "at (1, 2, 3) expected" in message and "at (2, 0, 0) expected" in message
    assert "largest difference is 0.5, at index (1, 2, 3)" in message
    assert "min" not in message


def test_a_grading_error_renders_as_its_sentence_alone():
    lines = GradingError("out is wrong: expected 1, got 2.")._render_traceback_()
    assert len(lines) == 1
    assert lines[0].endswith("GradingError\x1b[0m: out is wrong: expected 1, got 2.")


def test_call_returns_what_the_function_returns():
    assert grading.call(lambda x, y=1: x + y, 2, y=3) == 5


def test_call_turns_a_crash_inside_student_code_into_one_sentence():
    def conv2d_naive(x, w, b, stride=1, pad=0):
        return x[:, :, :3, :3] * w[0]   # shapes that do not broadcast

    x, w, b = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 2)), np.zeros(4)
    with pytest.raises(GradingError) as info:
        grading.call(conv2d_naive, x, w, b, pad=1, hint="Check the kernel's axes (F, C, KH, KW).")
    message = str(info.value)
    assert message.startswith("conv2d_naive(x=an array of shape (2, 3, 5, 5), "
                              "w=an array of shape (4, 3, 3, 2), b=an array of shape (4,), pad=1) "
                              "raised ValueError: operands could not be broadcast")
    assert "at the line `return x[:, :, :3, :3] * w[0]" in message
    assert message.endswith("Check the kernel's axes (F, C, KH, KW).")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_call_says_an_unfinished_stub_is_not_done_yet():
    def rnn_forward(x, h0, Wx, Wh, b):
        raise NotImplementedError()

    with pytest.raises(GradingError, match=r"^rnn_forward is not done yet: replace the line "
                                           r"`raise NotImplementedError\(\)`"):
        grading.call(rnn_forward, 1, 2, 3, 4, 5)


def test_call_many_returns_every_result_and_names_the_call_that_crashed():
    def halve(n):
        if n == 0:
            raise ZeroDivisionError("division by zero")
        return 10 // n

    assert grading.call_many(halve, [(1,), (2,), (5,)]) == [10, 5, 2]
    with pytest.raises(GradingError, match=r"^halve\(n=0\) raised ZeroDivisionError: division "
                                           r"by zero.* Mind zero\.$"):
        grading.call_many(halve, [(1,), (0,)], hint="Mind zero.")


def test_call_many_says_an_unfinished_stub_is_not_done_yet():
    def conv_output_size(n, k, s=1, p=0):
        raise NotImplementedError()

    with pytest.raises(GradingError, match=r"^conv_output_size is not done yet"):
        grading.call_many(conv_output_size, [(5, 3)])


def test_call_many_sends_a_batch_to_an_object_that_takes_one():
    class Remote:
        """Stands in for the judge's proxy of a student's function."""
        __name__ = "double"

        def __init__(self):
            self.batches = []

        def __call_many__(self, calls):
            self.batches.append(calls)
            return [2 * x for (x,) in calls]

    remote = Remote()
    assert grading.call_many(remote, [[1], [2], [3]]) == [2, 4, 6]
    assert remote.batches == [[(1,), (2,), (3,)]]   # one round trip, argument tuples


def test_call_names_a_class_and_a_method():
    class VanillaRNN:
        def __init__(self, input_size=5):
            self.size = input_size

        def forward(self, x):
            return x[self.size]

    rnn = grading.call(VanillaRNN, 3)
    with pytest.raises(GradingError, match=r"VanillaRNN.forward\(x=an array of shape \(2,\)\) "
                                           r"raised IndexError"):
        grading.call(rnn.forward, np.zeros(2))


def test_call_passes_a_grading_error_through_and_prints_warnings_to_stdout(capsys):
    def noisy(x):
        return np.log(x)

    grading.call(noisy, np.zeros(1))
    captured = capsys.readouterr()
    assert "note: noisy warned: RuntimeWarning: divide by zero" in captured.out
    assert captured.err == ""

    def strict():
        raise GradingError("already a sentence")

    with pytest.raises(GradingError, match="^already a sentence$"):
        grading.call(strict)


def test_call_describes_arguments_it_cannot_bind():
    def f(x):
        return x

    with pytest.raises(GradingError, match=r"f\(1, 2, y=\[1, 2\]\) raised TypeError"):
        grading.call(f, 1, 2, y=[1, 2])


@pytest.mark.parametrize("condition", [True, np.bool_(True)])
def test_check_passes_on_a_true_boolean(condition):
    grading.check(condition, "never shown")


@pytest.mark.parametrize("condition", [False, np.bool_(False), AlwaysEqual(), 1, "yes"])
def test_check_fails_on_anything_but_a_true_boolean(condition):
    with pytest.raises(GradingError, match="^the loss did not fall$"):
        grading.check(condition, "the loss did not fall")


def test_unpack_returns_the_values_or_says_how_many_were_expected():
    assert grading.unpack((1, 2), ("dx", "db"), "f") == (1, 2)
    assert grading.unpack([1, 2, 3], 3) == (1, 2, 3)
    with pytest.raises(GradingError, match=r"^f should return 2 values \(dx, db\), got 3\.$"):
        grading.unpack((1, 2, 3), ("dx", "db"), "f")
    with pytest.raises(GradingError, match="returned None: return the 2 values"):
        grading.unpack(None, ("dx", "db"), "f")
    with pytest.raises(GradingError, match="should return 2 values, got a ndarray"):
        grading.unpack(np.zeros(2), 2, "f")


def test_attribute_reads_or_says_what_is_missing():
    class RNN:
        def __init__(self):
            self.W_hh = 1

    assert grading.attribute(RNN(), "W_hh", "VanillaRNN") == 1
    with pytest.raises(GradingError, match="^VanillaRNN has no attribute W_xh: set self.W_xh in"):
        grading.attribute(RNN(), "W_xh", "VanillaRNN")
