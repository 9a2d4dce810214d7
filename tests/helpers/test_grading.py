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
    with pytest.raises(GradingError, match=r"raised TypeError\(boom\), expected ValueError"):
        grading.assert_raises(ValueError, lambda: (_ for _ in ()).throw(TypeError("boom")))


def test_assert_raises_reports_an_unfinished_exercise():
    def stub():
        raise NotImplementedError()

    with pytest.raises(GradingError, match="not implemented yet"):
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
