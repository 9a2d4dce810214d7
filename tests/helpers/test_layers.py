"""helpers.layers: every backward pass agrees with numerical gradients."""

import numpy as np
import pytest

from helpers import gradcheck
from helpers.layers import losses, rnn


def _check_all(forward, args, dout, backward_grads, names):
    for i, name in enumerate(names):
        def output(value, i=i):
            return forward(*args[:i], value, *args[i + 1:])[0]

        numeric = gradcheck.numerical_gradient(output, args[i], dout)
        assert gradcheck.relative_error(backward_grads[i], numeric) < 1e-7, name


def test_rnn_step_backward_matches_numerical_gradients():
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    args = [rng.standard_normal((N, D)), rng.standard_normal((N, H)),
            0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H)),
            rng.standard_normal(H)]
    out, cache = rnn.rnn_step_forward(*args)
    assert out.shape == (N, H)
    dout = rng.standard_normal((N, H))
    _check_all(rnn.rnn_step_forward, args, dout, rnn.rnn_step_backward(dout, cache),
               ["x", "h_prev", "Wx", "Wh", "b"])


def test_rnn_backward_matches_numerical_gradients_through_time():
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 4, 3, 5
    args = [rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
            0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H)),
            rng.standard_normal(H)]
    h, cache = rnn.rnn_forward(*args)
    assert h.shape == (N, T, H)
    dh = rng.standard_normal((N, T, H))
    _check_all(rnn.rnn_forward, args, dh, rnn.rnn_backward(dh, cache),
               ["x", "h0", "Wx", "Wh", "b"])


def test_rnn_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="expected h_prev"):
        rnn.rnn_step_forward(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((3, 5)),
                             np.zeros((4, 4)), np.zeros(4))


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(2)
    scores, targets = rng.standard_normal((2, 3, 5)), rng.integers(0, 5, (2, 3))
    loss, dscores = losses.softmax_cross_entropy(scores, targets)
    p = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    assert loss == pytest.approx(-np.log(np.take_along_axis(p, targets[..., None], -1)).mean())
    numeric = gradcheck.numerical_gradient(
        lambda s: losses.softmax_cross_entropy(s, targets)[0], scores)
    assert gradcheck.relative_error(dscores, numeric) < 1e-7
    huge, _ = losses.softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([0]))
    assert huge == pytest.approx(0.0, abs=1e-12)


def test_softmax_cross_entropy_rejects_bad_targets():
    with pytest.raises(ValueError, match="targets of shape"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="0..2"):
        losses.softmax_cross_entropy(np.zeros((1, 3)), np.array([3]))


def test_mean_squared_error_value_and_gradient():
    rng = np.random.default_rng(3)
    pred, target = rng.standard_normal((4, 1)), rng.standard_normal((4, 1))
    loss, dpred = losses.mean_squared_error(pred, target)
    assert loss == pytest.approx(np.mean((pred - target) ** 2))
    numeric = gradcheck.numerical_gradient(lambda p: losses.mean_squared_error(p, target)[0], pred)
    assert gradcheck.relative_error(dpred, numeric) < 1e-7
