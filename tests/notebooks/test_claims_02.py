"""The claims notebook 02 makes about its experiments, asserted on small seeded cases.

The fast tests use the notebook's own code (its solutions and provided cells) on
configurations small enough for the fast suite; the slow ones rerun the
full-size training experiment whose numbers the prose quotes.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import gradcheck, widgets

from . import cells

SOURCE = cells.SOLUTIONS / "02_resnet_gradient_flow" / "resnet_gradient_flow.ipynb"


@pytest.fixture(scope="module")
def nb02():
    # the provided (not graded) experiment code: definitions only
    return cells.provided_namespace(
        SOURCE, lambda cell: "nbgrader" not in cell.metadata and cell.source.startswith("def "))


# --------------------------------------------------------------------------- gradient flow widget

def test_thirty_tanh_layers_with_small_weights_vanish_plain_and_not_residual():
    plain = widgets.gradient_norms(30, 0.5, "tanh", residual=False)
    residual = widgets.gradient_norms(30, 0.5, "tanh", residual=True)
    assert 1e-10 < plain[0] < 1e-8  # "about 10^-9"
    assert residual.min() >= 1.0 - 1e-12  # never below its size at the output
    assert 2.0 < residual[0] < 10.0  # "grows a little (about 5 times)"
    assert residual[0] / plain[0] > 1e8  # orders of magnitude apart


def test_the_plain_tanh_chain_decays_layer_after_layer_and_more_with_depth():
    plain = widgets.gradient_norms(30, 0.5, "tanh", residual=False)
    assert np.all(np.diff(plain) > 0)  # smaller at every step towards the input
    deeper = widgets.gradient_norms(60, 0.5, "tanh", residual=False)
    assert deeper[0] < plain[0] * 1e-6
    assert widgets.gradient_norms(60, 0.5, "tanh", residual=True).min() >= 1.0 - 1e-12


def test_relu_at_he_scale_keeps_the_plain_gradient_and_explodes_the_residual_one():
    plain = widgets.gradient_norms(30, 1.4, "relu", residual=False)
    residual = widgets.gradient_norms(30, 1.4, "relu", residual=True)
    assert 0.5 < plain.min() and plain.max() < 2.0  # "within a factor of 2"
    assert residual[0] > 1e5  # "grows more than 10^5-fold"


@pytest.mark.parametrize("scale", [0.5, 1.0, 1.4])
@pytest.mark.parametrize("residual", [False, True])
def test_leaky_relu_draws_nearly_the_same_picture_as_relu(scale, residual):
    relu = widgets.gradient_norms(30, scale, "relu", residual)
    leaky = widgets.gradient_norms(30, scale, "leaky relu", residual)
    assert np.abs(np.log10(leaky) - np.log10(relu)).max() < 0.3


# --------------------------------------------------------------------------- singular values

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_products_of_jacobians_collapse_without_the_identity_and_stay_near_one_with_it(nb02, seed):
    spectrum = nb02["jacobian_product_singular_values"]
    unit_plain = spectrum(30, 1.0, identity=False, seed=seed)
    small_residual = spectrum(30, 0.1, identity=True, seed=seed)
    floor = unit_plain[0] * 64 * np.finfo(float).eps
    assert 1.0 < unit_plain.max() < 10.0                          # "a few units"
    assert np.sum(unit_plain > 0.1 * unit_plain[0]) < 10          # "under ten within 10x"
    assert 20 <= np.sum(unit_plain < 1e-6 * unit_plain[0]) <= 40  # "about half a million times"
    assert 1 <= np.sum(unit_plain < floor) <= 16                  # "the last few below the floor"
    assert 0.3 < small_residual.min() and small_residual.max() < 3.0   # "within a few of 1"
    assert np.all(np.diff(small_residual) <= 0)                   # largest first, as plotted


@pytest.mark.parametrize("seed", [0, 1])
def test_without_the_identity_the_scale_factors_out_of_the_product(nb02, seed):
    # "the s = 0.1 curve is the s = 1 curve moved down by exactly 0.1^30"
    spectrum = nb02["jacobian_product_singular_values"]
    unit_plain = spectrum(30, 1.0, identity=False, seed=seed)
    small_plain = spectrum(30, 0.1, identity=False, seed=seed)
    # Exact in arithmetic; in float64 only where the values are far above round-off.
    clear = unit_plain > 1e-6 * unit_plain[0]
    np.testing.assert_allclose(small_plain[clear], 1e-30 * unit_plain[clear], rtol=1e-6)
    assert small_plain.max() < 1e-28                              # "a few times 10^-30"


# --------------------------------------------------------------------------- training on digits

def test_the_plain_block_is_the_residual_block_minus_its_skip(nb02):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    W1, b1 = rng.standard_normal((3, 5)), rng.standard_normal(5)
    W2, b2 = rng.standard_normal((5, 3)), rng.standard_normal(3)
    out, cache = nb02["plain_block_forward"](x, W1, b1, W2, b2)
    np.testing.assert_allclose(out, np.maximum(x @ W1 + b1, 0) @ W2 + b2, atol=1e-12)
    dout = rng.standard_normal((4, 3))
    dx = nb02["plain_block_backward"](dout, cache)[0]
    numeric = gradcheck.numerical_gradient(
        lambda v: nb02["plain_block_forward"](v, W1, b1, W2, b2)[0], x, dout)
    assert gradcheck.relative_error(dx, numeric) < 1e-7


def test_the_network_gradients_match_numerical_ones(nb02):
    rng = np.random.default_rng(1)
    x, y = rng.random((6, 64)), rng.integers(0, 10, 6)
    for residual in (False, True):
        params = nb02["init_mlp"](2, residual, np.random.default_rng(2), width=4)
        _, grads = nb02["mlp_loss_and_grads"](params, x, y, residual)

        def loss(_, params=params, residual=residual):  # params are perturbed in place
            return nb02["mlp_loss_and_grads"](params, x, y, residual)[0]

        for group, grad_group in zip(params, grads, strict=True):
            for p, g in zip(group, grad_group, strict=True):
                numeric = gradcheck.numerical_gradient(loss, p)
                assert gradcheck.relative_error(g, numeric) < 1e-6


def test_a_deep_plain_net_trains_worse_than_a_shallow_one_and_a_residual_one(nb02):
    # A smaller version of section 9 (1 and 16 blocks, 100 steps).
    train = nb02["train_mlp"]
    plain_1, plain_16 = (train(depth, False, steps=100) for depth in (1, 16))
    residual_1, residual_16 = (train(depth, True, steps=100) for depth in (1, 16))
    assert plain_16 > 3 * plain_1
    assert residual_16 < plain_16 / 3
    assert residual_16 < 2 * residual_1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_full_size_training_gives_the_numbers_the_prose_quotes(nb02, seed):
    depths = [1, 2, 4, 8, 16, 32]
    plain = [nb02["train_mlp"](depth, False, seed=seed) for depth in depths]
    residual = [nb02["train_mlp"](depth, True, seed=seed) for depth in depths]
    assert plain[0] < 0.1 and plain[1] < 0.1 and residual[0] < 0.1 and residual[1] < 0.1
    assert 0.4 < plain[4] < 1.0  # "roughly 0.5-0.9 at 16 blocks"
    assert 1.0 < plain[5] < np.log(10)  # "above 1 at 32, approaching ln 10"
    assert plain[5] > plain[4] > plain[2] > plain[0]  # "climbs with depth"
    assert max(residual) < 0.1  # "below 0.1 at every depth"


@pytest.mark.slow
@pytest.mark.parametrize("lr", [0.01, 0.02, 0.05, 0.1, 0.2])
def test_the_plain_net_with_16_blocks_ends_worse_at_every_learning_rate_tried(nb02, lr):
    assert nb02["train_mlp"](16, False, lr=lr) > nb02["train_mlp"](16, True, lr=lr)


# --------------------------------------------------------------------------- questions

def test_q1_a_zero_branch_stops_the_plain_gradient_and_not_the_residual_one(nb02):
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    W1, b1 = rng.standard_normal((3, 5)), rng.standard_normal(5)
    tiny = 1e-8 * rng.standard_normal((5, 3))
    _, cache = nb02["residual_block_forward"](x, W1, b1, tiny, np.zeros(3))
    dx_residual = nb02["residual_block_backward"](dout, cache)[0]
    dx_plain = nb02["plain_block_backward"](dout, cache)[0]
    assert np.allclose(dx_residual, dout, atol=1e-6)
    assert np.abs(dx_plain).max() < 1e-6


def test_q3_a_dead_relu_gets_no_gradient_even_with_a_skip_and_a_leaky_one_does(nb02):
    rng = np.random.default_rng(4)
    x, dout = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    W1, W2 = rng.standard_normal((3, 2)), rng.standard_normal((2, 3))
    b1 = np.array([-100.0, 0.0])  # unit 0 is dead on every example
    _, cache = nb02["residual_block_forward"](x, W1, b1, W2, np.zeros(3))
    _, dW1, db1, _, _ = nb02["residual_block_backward"](dout, cache)
    assert np.all(dW1[:, 0] == 0) and db1[0] == 0
    a = x @ W1 + b1
    slope = np.where(a > 0, 1.0, widgets.LEAKY_SLOPE)
    leaky_dW1 = x.T @ ((dout @ W2.T) * slope)
    assert np.all(np.abs(leaky_dW1[:, 0]) > 0)
