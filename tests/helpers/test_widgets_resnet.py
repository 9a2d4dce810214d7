"""helpers.widgets.resnet: the chain's gradients are right; the figures draw what they are given."""

import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.gradcheck import numerical_gradient, relative_error  # noqa: E402
from helpers.widgets import (  # noqa: E402
    ACTIVATIONS,
    LEAKY_SLOPE,
    gradient_flow_explorer,
    gradient_flow_figure,
    gradient_norms,
    singular_values_figure,
)
from helpers.widgets.resnet import _chain_gradients  # noqa: E402


def line(fig, gid):
    """The y data of the line with this gid."""
    (found,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == gid]
    return np.asarray(found.get_ydata(), dtype=float)


def texts(output):
    """Everything an Output widget shows as text (stream text and figures' plain text)."""
    return "\n".join(item.get("text") or item.get("data", {}).get("text/plain", "")
                     for item in output.outputs)


def chain_output(weights, x, activation, residual):
    """The chain's last activation, written independently of the module."""
    for W in weights:
        a = x @ W
        h = {"relu": np.maximum(a, 0), "tanh": np.tanh(a),
             "leaky relu": np.where(a > 0, a, LEAKY_SLOPE * a)}[activation]
        x = x + h if residual else h
    return x


# --------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("residual", [False, True])
def test_chain_gradients_match_central_differences(activation, residual):
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((4, 4)) / 2 for _ in range(3)]
    x, dout = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    grads = _chain_gradients(weights, x, dout, activation, residual)
    assert len(grads) == 4 and np.array_equal(grads[-1], dout)
    numeric = numerical_gradient(lambda v: chain_output(weights, v, activation, residual), x, dout)
    assert relative_error(grads[0], numeric) < 1e-7


def test_gradient_norms_are_relative_to_the_output_and_seeded():
    norms = gradient_norms(5, 0.7, "tanh", residual=False, width=8, batch=3, seed=1)
    assert norms.shape == (6,) and norms[-1] == 1.0 and np.all(norms > 0)
    np.testing.assert_array_equal(
        norms, gradient_norms(5, 0.7, "tanh", residual=False, width=8, batch=3, seed=1))
    assert not np.array_equal(
        norms, gradient_norms(5, 0.7, "tanh", residual=False, width=8, batch=3, seed=2))


def test_tiny_weights_leave_a_residual_gradient_unchanged_and_kill_a_plain_one():
    residual = gradient_norms(10, 1e-6, "tanh", residual=True)
    plain = gradient_norms(10, 1e-6, "tanh", residual=False)
    np.testing.assert_allclose(residual, 1.0, rtol=1e-4)
    assert plain[0] < 1e-50


def test_gradient_norms_of_a_huge_setting_overflow_quietly():
    with np.errstate(all="raise"):  # nothing may warn or raise
        norms = gradient_norms(60, 1e30, "relu", residual=True, width=8)
    assert not np.all(np.isfinite(norms))


# --------------------------------------------------------------------------- figure

def test_gradient_flow_figure_draws_both_chains_on_a_log_axis():
    fig = gradient_flow_figure(30, 0.5, "tanh")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(line(fig, "plain"), gradient_norms(30, 0.5, "tanh", False))
    np.testing.assert_array_equal(line(fig, "residual"), gradient_norms(30, 0.5, "tanh", True))
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend().get_texts()) == 3
    assert "30 layers, tanh, weight scale 0.5" in ax.get_title()
    assert fig.get_suptitle() == ""


@pytest.mark.parametrize(("change", "value"),
                         [("depth", 12), ("weight_scale", 1.3), ("activation", "relu")])
def test_gradient_flow_figure_changes_with_each_control(change, value):
    base = {"depth": 20, "weight_scale": 0.8, "activation": "tanh"}
    before = gradient_flow_figure(**base)
    after = gradient_flow_figure(**(base | {change: value}))
    for gid in ("plain", "residual"):
        old, new = line(before, gid), line(after, gid)
        assert old.shape != new.shape or not np.allclose(old, new)
    assert before.axes[0].get_title() != after.axes[0].get_title()


def test_gradient_flow_figure_says_when_the_gradient_overflowed():
    fig = gradient_flow_figure(60, 1e30, "relu", width=8)
    assert "overflowed" in fig.get_suptitle()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"depth": 0}, "depth must be an integer of at least 1, got 0"),
     ({"depth": 2.5}, "depth must be an integer of at least 1, got 2.5"),
     ({"weight_scale": 0.0}, "weight_scale must be a positive number, got 0.0"),
     ({"weight_scale": -1.0}, "weight_scale must be a positive number, got -1.0"),
     ({"weight_scale": float("nan")}, "weight_scale must be a positive number, got nan"),
     ({"activation": "sigmoid"}, "activation must be one of relu, tanh, leaky relu; got 'sigmoid'"),
     ({"width": 0}, "width must be an integer of at least 1, got 0")],
)
def test_gradient_flow_figure_rejects_bad_parameters_by_name(kwargs, message):
    arguments = {"depth": 5, "weight_scale": 1.0, "activation": "relu"} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        gradient_flow_figure(**arguments)


def test_gradient_norms_rejects_a_bad_batch():
    with pytest.raises(ValueError, match="batch must be an integer of at least 1, got 0"):
        gradient_norms(3, 1.0, "tanh", residual=False, batch=0)


# --------------------------------------------------------------------------- explorer

def test_gradient_flow_explorer_redraws_when_a_control_moves():
    box = gradient_flow_explorer()
    controls = {c.description: c for c in box.children[:-1]}
    assert list(controls) == ["depth", "weight scale", "activation"]
    assert isinstance(controls["activation"], widgets.Dropdown)
    assert list(controls["activation"].options) == list(ACTIVATIONS)
    assert (controls["depth"].value, controls["weight scale"].value) == (30, 0.5)
    output = box.children[-1]
    assert "30 layers, tanh, weight scale 0.5" in texts(output)
    before = output.outputs[0]["data"]["image/png"]
    controls["activation"].value = "relu"
    assert "30 layers, relu" in texts(output)
    assert output.outputs[0]["data"]["image/png"] != before
    controls["depth"].value = 10
    controls["weight scale"].value = 1.4
    assert "10 layers, relu, weight scale 1.4" in texts(output)
    assert plt.get_fignums() == []


def test_gradient_flow_explorer_rejects_a_bad_start():
    with pytest.raises(ValueError, match="activation must be one of"):
        gradient_flow_explorer(activation="elu")


# --------------------------------------------------------------------------- singular values

def spectra():
    falling = [np.logspace(0, -20, 8), np.logspace(0.3, -18, 8)]
    flat = [np.linspace(2.0, 0.5, 8)]
    return {"plain": falling, "residual": flat}


def test_singular_values_figure_draws_every_seed_in_one_colour_per_kind_on_a_log_axis():
    fig = singular_values_figure(spectra(), {"float64 floor": 1e-16}, "a title",
                                 dashed={"residual"})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "a title"
    assert ax.get_xlabel() and ax.get_ylabel()
    for label, seeds in spectra().items():
        for i, values in enumerate(seeds):
            (drawn,) = [ln for ln in ax.lines if ln.get_gid() == f"{label}|{i}"]
            np.testing.assert_array_equal(drawn.get_xdata(), np.arange(1, 9))
            np.testing.assert_array_equal(drawn.get_ydata(), values)
            assert drawn.get_linestyle() == ("--" if label == "residual" else "-")
    colours = {gid: ln.get_color() for ln in ax.lines if "|" in (gid := ln.get_gid())}
    assert colours["plain|0"] == colours["plain|1"] != colours["residual|0"]
    (floor,) = [ln for ln in ax.lines if ln.get_gid() == "floor|float64 floor"]
    assert np.allclose(floor.get_ydata(), 1e-16)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["plain (2 seeds)", "residual", "float64 floor"]
    plt.close(fig)


@pytest.mark.parametrize(("spectra_", "floors", "dashed", "message"), [
    ({}, {}, (), "expected at least one kind of product, got an empty dict"),
    ({"a": []}, {}, (), "'a' has no spectrum: give one array per seed"),
    ({"a": [np.ones((2, 2))]}, {}, (), "'a': expected 1-D arrays of positive singular values"),
    ({"a": [np.array([1.0, 0.0])]}, {}, (), "'a': expected 1-D arrays of positive singular values"),
    ({"a": [np.ones(3)]}, {"floor": 0.0}, (), "floor 'floor' must be a positive number, got 0.0"),
    ({"a": [np.ones(3)]}, {}, ("b",), "dashed names ['b'], which are not among the spectra"),
])
def test_singular_values_figure_rejects_bad_input_by_name(spectra_, floors, dashed, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        singular_values_figure(spectra_, floors, "title", dashed=dashed)
