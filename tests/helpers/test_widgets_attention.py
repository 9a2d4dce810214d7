"""helpers.widgets.attention: the reference softmax, patch attention and the figures."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import data  # noqa: E402
from helpers.widgets import (  # noqa: E402
    DEFAULT_SCORES,
    attention_step_explorer,
    attention_step_figure,
    patch_attention,
    patch_attention_explorer,
    patch_attention_figure,
    patch_features,
    softmax_explorer,
    softmax_figure,
    tempered_softmax,
)


def test_tempered_softmax_values_temperature_and_mask():
    x = np.array([1.0, 2.0, 3.0])
    e = np.exp(x)
    assert np.allclose(tempered_softmax(x), e / e.sum())
    assert np.allclose(tempered_softmax(x, 2.0), np.exp(x / 2) / np.exp(x / 2).sum())
    w = tempered_softmax(x, 1.0, masked=[2])
    assert w[2] == 0.0 and np.allclose(w[:2], e[:2] / e[:2].sum())
    assert np.allclose(tempered_softmax([1000.0, 1001.0]), tempered_softmax([0.0, 1.0]))
    assert np.allclose(tempered_softmax(x, 1e3), 1 / 3, atol=1e-3)
    for bad in ({"scores": [], "temperature": 1.0}, {"scores": x, "temperature": 0.0},
                {"scores": x, "temperature": 1.0, "masked": [0, 1, 2]}):
        with pytest.raises(ValueError):
            tempered_softmax(**bad)


def test_softmax_figure_draws_the_weights():
    fig = softmax_figure(DEFAULT_SCORES, 1.0, masked=(3,))
    heights = np.array([p.get_height() for p in fig.axes[1].containers[0]])
    assert np.allclose(heights, tempered_softmax(DEFAULT_SCORES, 1.0, masked=(3,)))
    assert heights[3] == 0.0 and "softmax(x / 1)" in fig.axes[1].get_title()
    plt.close(fig)


def test_attention_step_figure_shows_the_chosen_row():
    w = np.array([[0.1, 0.9], [0.7, 0.3], [0.5, 0.5]])
    fig = attention_step_figure(w, "ab", "xyz", step=1)
    heights = np.array([p.get_height() for p in fig.axes[1].containers[0]])
    assert np.allclose(heights, w[1]) and "reads position 0" in fig.axes[1].get_title()
    plt.close(fig)
    with pytest.raises(ValueError):
        attention_step_figure(w, "ab", "xyz", step=3)
    with pytest.raises(ValueError):
        attention_step_figure(w, "abc", "xyz", step=0)


def test_patch_features_are_standardised_and_attention_sums_to_one():
    photo = data.load_photo(64)
    f = patch_features(photo, 16)
    assert f.shape == (4, 4, 4)
    assert np.allclose(f.mean(axis=(0, 1)), 0) and np.allclose(f.std(axis=(0, 1)), 1)
    w = patch_attention(photo, (1, 2), patch=16)
    assert w.shape == (4, 4) and np.isclose(w.sum(), 1) and (w > 0).all()
    # the reference: softmax of the scaled dot products with the query's features
    scores = f.reshape(-1, 4) @ f[1, 2] / 2
    assert np.allclose(w.ravel(), np.exp(scores) / np.exp(scores).sum())
    # a lower temperature concentrates the weight
    assert patch_attention(photo, (1, 2), 16, 0.2).max() > w.max()
    with pytest.raises(ValueError):
        patch_attention(photo, (4, 0), patch=16)


def test_patch_attention_figure_and_the_wrappers():
    photo = data.load_photo(64)
    fig = patch_attention_figure(photo, (0, 1), patch=16)
    assert "query: patch (0, 1)" in fig.axes[0].get_title()
    plt.close(fig)
    for box in (softmax_explorer(), patch_attention_explorer(photo, patch=16),
                attention_step_explorer(np.eye(3), "abc", "abc")):
        assert isinstance(box, widgets.VBox)
        assert box.children[-1].outputs[0]["output_type"] == "display_data"
