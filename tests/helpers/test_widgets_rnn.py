"""helpers.widgets.rnn: right Jacobian norms; the figure and the sampler follow their controls."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.gradcheck import numerical_gradient  # noqa: E402
from helpers.widgets import (  # noqa: E402
    FINISH_MESSAGE,
    REFERENCE_RADII,
    hidden_jacobian_norms,
    recurrent_matrix,
    sampling_explorer,
    spectral_radius_explorer,
    spectral_radius_figure,
)


def line(fig, gid):
    (found,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == gid]
    return np.asarray(found.get_ydata(), dtype=float)


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.3])
def test_recurrent_matrix_has_the_requested_spectral_radius(radius):
    W = recurrent_matrix(16, radius, seed=3)
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(W))), radius)
    assert np.allclose(W / radius, recurrent_matrix(16, 1.0, seed=3))


def test_linear_jacobian_is_the_matrix_power():
    W = recurrent_matrix(8, 1.05, seed=0)
    norms = hidden_jacobian_norms(12, 1.05, "linear", hidden_size=8, seed=0)
    assert norms.shape == (12,) and norms[0] == 1.0
    for T in (2, 5, 12):
        assert np.isclose(norms[T - 1], np.linalg.norm(np.linalg.matrix_power(W, T - 1), 2))


def test_tanh_jacobian_matches_finite_differences_of_the_recurrence():
    steps, size, scale, seed = 6, 5, 0.7, 2
    W = recurrent_matrix(size, 1.2, seed)
    rng = np.random.default_rng(seed + 1)
    h1 = scale * rng.standard_normal(size)
    inputs = [scale * rng.standard_normal(size) for _ in range(steps - 1)]

    def run(h):
        for x in inputs:
            h = np.tanh(W @ h + x)
        return h

    jacobian = np.stack([numerical_gradient(run, h1.copy(), dout=np.eye(size)[i])
                         for i in range(size)])  # row i: d h_T[i] / d h_1
    norms = hidden_jacobian_norms(steps, 1.2, "tanh", hidden_size=size, input_scale=scale,
                                  seed=seed)
    assert np.isclose(norms[-1], np.linalg.norm(jacobian, 2), rtol=1e-5)


def test_the_figure_draws_the_three_reference_radii_and_the_chosen_one():
    fig = spectral_radius_figure(steps=30, radius=0.95, activation="linear")
    for radius in REFERENCE_RADII:
        assert np.allclose(line(fig, f"radius {radius:g}"),
                           hidden_jacobian_norms(30, radius, "linear"))
    assert np.allclose(line(fig, "chosen"), hidden_jacobian_norms(30, 0.95, "linear"))
    assert np.allclose(line(fig, "one"), 1.0)                  # the level where nothing changes
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    labels = ax.get_legend_handles_labels()[1]
    assert [label for label in labels if "radius" in label] == [
        "spectral radius 0.9", "spectral radius 1", "spectral radius 1.1", "slider: radius 0.95"]
    assert f"{hidden_jacobian_norms(30, 0.95, 'linear')[-1]:.1e} at T = 30" in ax.get_title()
    plt.close(fig)


def test_the_title_names_the_input_scale_only_where_it_matters():
    linear = spectral_radius_figure(steps=10, activation="linear", input_scale=2.0)
    tanh = spectral_radius_figure(steps=10, activation="tanh", input_scale=2.0)
    assert "input scale" not in linear.axes[0].get_title()
    assert "input scale 2" in tanh.axes[0].get_title()
    plt.close("all")


@pytest.mark.parametrize("kwargs, word", [({"steps": 0}, "steps"), ({"radius": -1.0}, "radius"),
                                          ({"activation": "relu"}, "activation"),
                                          ({"input_scale": -0.5}, "input_scale")])
def test_the_figure_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        spectral_radius_figure(**kwargs)


def test_the_explorer_redraws_when_the_radius_slider_moves():
    box = spectral_radius_explorer(steps=20)
    controls = {c.description: c for c in box.children[:-1]}
    before = box.children[-1].outputs
    controls["radius"].value = 1.2
    after = box.children[-1].outputs
    assert before != after and "image/png" in after[0]["data"]
    plt.close("all")


def test_the_sampling_explorer_shows_the_text_of_its_temperature_and_the_finish_message():
    box = sampling_explorer(lambda t: f"sampled at {t:.2f}", temperature=0.5)
    slider, output = box.children
    assert isinstance(slider, widgets.FloatSlider)
    assert "sampled at 0.50" in output.outputs[0]["text"]
    slider.value = 1.5
    assert "sampled at 1.50" in output.outputs[0]["text"]

    def unfinished(_):
        raise NotImplementedError()

    assert FINISH_MESSAGE in sampling_explorer(unfinished).children[1].outputs[0]["text"]
    with pytest.raises(ValueError, match="temperature"):
        sampling_explorer(unfinished, temperature=0.0)
