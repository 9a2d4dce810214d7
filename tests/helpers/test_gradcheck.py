"""helpers.gradcheck against functions whose derivatives are known in closed form."""

import numpy as np
import pytest

from helpers.gradcheck import check_gradient, numerical_gradient, relative_error
from helpers.grading import GradingError


def test_numerical_gradient_of_sum_of_squares_is_twice_x():
    x = np.random.default_rng(0).standard_normal((3, 4))
    grad = numerical_gradient(lambda v: (v ** 2).sum(), x)
    assert relative_error(grad, 2 * x) < 1e-9


def test_numerical_gradient_of_tanh_with_upstream_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(5)
    dout = rng.standard_normal(5)
    grad = numerical_gradient(np.tanh, x, dout)
    assert relative_error(grad, dout * (1 - np.tanh(x) ** 2)) < 1e-8


def test_numerical_gradient_of_matrix_product_matches_transpose_rule():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    dout = rng.standard_normal((4, 2))
    assert relative_error(numerical_gradient(lambda v: v @ w, x, dout), dout @ w.T) < 1e-8
    assert relative_error(numerical_gradient(lambda v: x @ v, w, dout), x.T @ dout) < 1e-8


def test_numerical_gradient_restores_its_input_exactly():
    x = np.random.default_rng(3).standard_normal((2, 2))
    before = x.copy()
    numerical_gradient(lambda v: np.sin(v).sum(), x)
    assert np.array_equal(x, before)


def test_numerical_gradient_rejects_integer_arrays_and_bad_steps():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: v.sum(), np.arange(3))
    with pytest.raises(ValueError, match="positive"):
        numerical_gradient(lambda v: v.sum(), np.zeros(3), h=0)


def test_relative_error_is_scale_free_and_zero_for_zeros():
    a = np.array([1.0, 2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a * 1e6, a * 1e6 * (1 + 1e-6)) == pytest.approx(5e-7, rel=1e-3)
    assert relative_error(a, -a) == 1.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))


def test_check_gradient_passes_right_and_rejects_wrong_analytic_gradient(capsys):
    x = np.linspace(-1, 1, 5)
    error = check_gradient(lambda v: (v ** 3).sum(), x, 3 * x ** 2, name="cube")
    assert error < 1e-7
    assert "cube: relative error" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="above"):
        check_gradient(lambda v: (v ** 3).sum(), x, 2 * x ** 2, verbose=False)


def test_check_gradient_says_where_the_gradients_differ_most_and_gives_the_hint():
    x = np.array([0.5, -1.0, 2.0])
    wrong = 3 * x ** 2
    wrong[2] = 0.0
    with pytest.raises(GradingError) as caught:
        check_gradient(lambda v: (v ** 3).sum(), x, wrong, name="dcube", verbose=False,
                       hint="d(v^3)/dv = 3 v^2.")
    message = str(caught.value)
    assert "dcube does not match the numerical gradient" in message
    assert "at dcube[2]: expected 12, got 0." in message
    assert message.endswith("d(v^3)/dv = 3 v^2.")
    with pytest.raises(GradingError, match=r"shape \(2,\), but .* shape \(3,\)"):
        check_gradient(lambda v: (v ** 3).sum(), x, [1.0, 2.0], name="dcube", verbose=False)


def test_check_gradient_converts_the_answer_before_comparing():
    class AlwaysClose(float):  # a value whose comparisons always say yes
        def __lt__(self, other):
            return True

    x = np.array([1.0, 2.0])
    with pytest.raises(GradingError):
        check_gradient(lambda v: (v ** 2).sum(), x, [AlwaysClose(0.0), AlwaysClose(0.0)],
                       verbose=False)
    with pytest.raises(GradingError, match="dx"):
        check_gradient(lambda v: (v ** 2).sum(), x, "not numbers", name="dx", verbose=False)
