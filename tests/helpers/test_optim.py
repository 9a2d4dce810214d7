"""helpers.optim: clipping keeps directions and inputs; Adam minimises."""

import numpy as np
import pytest

from helpers import optim


def test_clip_grad_norm_scales_to_the_global_norm_and_keeps_the_input():
    grads = [np.array([3.0, 4.0]), np.array([[12.0]])]
    clipped, norm = optim.clip_grad_norm(grads, 6.5)
    assert norm == pytest.approx(13.0)
    assert np.allclose(clipped[0], [1.5, 2.0]) and np.allclose(clipped[1], [[6.0]])
    assert grads[0].tolist() == [3.0, 4.0]
    same, norm = optim.clip_grad_norm(grads, 20.0)
    assert norm == pytest.approx(13.0) and same[0] is not grads[0]
    assert np.array_equal(same[0], grads[0])


def test_clip_grad_norm_rejects_a_non_positive_bound():
    with pytest.raises(ValueError, match="max_norm must be positive"):
        optim.clip_grad_norm([np.ones(2)], 0.0)


@pytest.mark.parametrize("as_dict", [True, False])
def test_adam_minimises_a_quadratic(as_dict):
    target = np.array([1.0, -2.0, 0.5])
    w = np.zeros(3)
    params = {"w": w} if as_dict else [w]
    opt = optim.Adam(params, lr=0.05)
    for _ in range(500):
        grad = 2 * (w - target)
        opt.step({"w": grad} if as_dict else [grad])
    assert np.abs(w - target).max() < 1e-3


def test_adam_first_step_moves_every_parameter_by_lr_against_its_gradient_sign():
    w = np.array([0.0, 0.0])
    optim.Adam([w], lr=0.1).step([np.array([5.0, -0.01])])
    assert np.allclose(w, [-0.1, 0.1], atol=1e-6)


def test_adam_refuses_mismatched_gradients():
    opt = optim.Adam({"a": np.zeros(2)})
    with pytest.raises(ValueError, match=r"no gradient for \['a'\]"):
        opt.step({"b": np.zeros(2)})
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        opt.step({"a": np.zeros(3)})
    with pytest.raises(TypeError, match="float64"):
        optim.Adam([np.zeros(2, dtype=int)])
