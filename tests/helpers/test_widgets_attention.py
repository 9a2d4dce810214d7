"""helpers.widgets.attention: tempered weights by the notebook's softmax, attention maps,
positional encodings, patch attention and the figures."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import data  # noqa: E402
from helpers.widgets import (  # noqa: E402
    DEFAULT_SCORES,
    attention_example_explorer,
    attention_maps_figure,
    attention_step_explorer,
    attention_step_figure,
    patch_attention,
    patch_attention_explorer,
    patch_attention_figure,
    patch_features,
    positional_encoding_figure,
    softmax_explorer,
    softmax_figure,
    tempered_weights,
)
from helpers.widgets.base import FINISH_MESSAGE  # noqa: E402


def _softmax(x, axis=-1, mask=None):
    """The softmax a finished notebook passes to the widgets (a test's own, not helpers')."""
    x = np.asarray(x, dtype=float)
    allowed = np.ones(x.shape, dtype=bool) if mask is None else np.broadcast_to(mask, x.shape)
    z = np.where(allowed, x, -np.inf)
    e = np.where(allowed, np.exp(z - z.max(axis=axis, keepdims=True)), 0.0)
    return e / e.sum(axis=axis, keepdims=True)


def _unfinished(x, axis=-1, mask=None):
    raise NotImplementedError()


def test_tempered_weights_divide_by_the_temperature_and_hide_the_masked():
    x = np.array([1.0, 2.0, 3.0])
    e = np.exp(x)
    assert np.allclose(tempered_weights(_softmax, x), e / e.sum())
    assert np.allclose(tempered_weights(_softmax, x, 2.0), np.exp(x / 2) / np.exp(x / 2).sum())
    w = tempered_weights(_softmax, x, 1.0, masked=[2])
    assert w[2] == 0.0 and np.allclose(w[:2], e[:2] / e[:2].sum())
    seen = []
    tempered_weights(lambda z, mask: seen.append(mask) or z, x, 1.0, masked=[0])
    assert seen[0].tolist() == [False, True, True]     # mask: True where attending is allowed
    for bad in ({"scores": [], "temperature": 1.0}, {"scores": x, "temperature": 0.0}):
        with pytest.raises(ValueError):
            tempered_weights(_softmax, **bad)
    with pytest.raises(ValueError, match=r"softmax returned shape \(1, 3\)"):
        tempered_weights(lambda z, mask: z[None], x)
    with pytest.raises(NotImplementedError):
        tempered_weights(_unfinished, x)


def test_softmax_figure_draws_the_notebooks_weights():
    fig = softmax_figure(_softmax, DEFAULT_SCORES, 1.0, masked=(3,))
    heights = np.array([p.get_height() for p in fig.axes[1].containers[0]])
    assert np.allclose(heights, tempered_weights(_softmax, DEFAULT_SCORES, 1.0, masked=(3,)))
    assert heights[3] == 0.0 and "softmax(x / 1)" in fig.axes[1].get_title()
    plt.close(fig)


def test_the_softmax_widgets_ask_to_finish_an_unfinished_softmax():
    photo = data.load_photo(64)
    for box in (softmax_explorer(_unfinished), patch_attention_explorer(photo, _unfinished, 16)):
        assert box.children[-1].outputs[0]["text"].strip() == FINISH_MESSAGE
    with pytest.raises(ValueError, match="temperature must be positive"):
        softmax_explorer(_softmax, temperature=0)


def _bar_heights(ax):
    return {c.get_label(): [p.get_height() for p in c] for c in ax.containers}


def test_attention_step_figure_shows_the_chosen_row_with_a_legend():
    w = np.array([[0.1, 0.9], [0.7, 0.3], [0.5, 0.5]])
    fig = attention_step_figure(w, "ab", "xyz", step=1)
    bars = fig.axes[1]
    assert np.allclose(_bar_heights(bars)["weights of output step 1"], w[1])
    assert "reads position 0" in bars.get_title()
    assert bars.get_legend() is not None and bars.get_xlabel() and bars.get_ylabel()
    assert len(fig.axes) == 3                            # the map, its colour bar, the bars
    plt.close(fig)
    with pytest.raises(ValueError):
        attention_step_figure(w, "ab", "xyz", step=3)
    with pytest.raises(ValueError):
        attention_step_figure(w, "abc", "xyz", step=0)


def test_attention_step_figure_sets_the_asked_pair_apart():
    w = np.array([[0.1, 0.9], [0.7, 0.3], [0.5, 0.5]])
    fig = attention_step_figure(w, "ab", "xyz", step=0, match=[1, 0, 0])
    heights = _bar_heights(fig.axes[1])
    assert heights["the pair asked for"] == [0.9] and heights["other inputs"] == [0.1]
    outlined = sorted((int(p.get_y() + 0.5), int(p.get_x() + 0.5)) for p in fig.axes[0].patches
                      if p.get_gid() == "match")
    assert outlined == [(0, 1), (1, 0), (2, 0)]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "the pair asked for" in labels and "output step 0" in labels
    plt.close(fig)
    with pytest.raises(ValueError, match="match"):
        attention_step_figure(w, "ab", "xyz", step=0, match=[1, 2, 0])


def test_attention_maps_figure_outlines_each_examples_matches_with_a_colorbar():
    maps = np.stack([np.eye(3), np.eye(3)[::-1]])
    fig = attention_maps_figure(maps, ["abc", "def"], ["xyz", "uvw"],
                                matches=[[0, 1, 2], [2, 1, 0]], title="two maps")
    panels = [ax for ax in fig.axes if ax.get_title().startswith("example")]
    assert len(panels) == 2
    for panel, match in zip(panels, [[0, 1, 2], [2, 1, 0]], strict=True):
        outlined = sorted((int(p.get_y() + 0.5), int(p.get_x() + 0.5)) for p in panel.patches
                          if p.get_gid() == "match")
        assert outlined == sorted(enumerate(match))
        assert panel.get_xlabel() and panel.get_ylabel()
    assert len(fig.axes) == 3                            # the two maps and one shared colour bar
    assert fig.get_suptitle() == "two maps" and fig.legends
    plt.close(fig)
    with pytest.raises(ValueError):
        attention_maps_figure(np.eye(3), ["abc"], ["xyz"])


def test_positional_encoding_figure_is_signed_and_centred():
    t = np.arange(20)[:, None]
    pe = np.concatenate([np.sin(t), np.cos(t), np.sin(t / 10), np.cos(t / 10)], axis=1)
    fig = positional_encoding_figure(pe)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    for image in images:
        assert image.norm.vcenter == 0                   # white is zero
    assert np.allclose(images[1].get_array(), pe @ pe.T)
    assert len(fig.axes) == 4                            # two images, two colour bars
    plt.close(fig)
    with pytest.raises(ValueError):
        positional_encoding_figure(np.zeros(3))


def test_patch_features_are_standardised_and_attention_sums_to_one():
    photo = data.load_photo(64)
    f = patch_features(photo, 16)
    assert f.shape == (4, 4, 4)
    assert np.allclose(f.mean(axis=(0, 1)), 0) and np.allclose(f.std(axis=(0, 1)), 1)
    w = patch_attention(photo, (1, 2), _softmax, patch=16, temperature=1.0, normalise=False)
    assert w.shape == (4, 4) and np.isclose(w.sum(), 1) and (w > 0).all()
    # without normalising: softmax of the scaled dot products with the query's features
    scores = f.reshape(-1, 4) @ f[1, 2] / 2
    assert np.allclose(w.ravel(), np.exp(scores) / np.exp(scores).sum())
    # a lower temperature concentrates the weight
    assert patch_attention(photo, (1, 2), _softmax, 16, 0.2, normalise=False).max() > w.max()
    with pytest.raises(ValueError):
        patch_attention(photo, (4, 0), _softmax, patch=16)


def test_normalised_patch_attention_is_a_softmax_of_cosines():
    photo = data.load_photo(64)
    unit = patch_features(photo, 16).reshape(-1, 4)
    unit = unit / np.linalg.norm(unit, axis=1, keepdims=True)
    w = patch_attention(photo, (1, 2), _softmax, patch=16, temperature=0.1)
    cosines = unit @ unit[1 * 4 + 2]
    assert np.allclose(w.ravel(), np.exp(cosines / 0.1) / np.exp(cosines / 0.1).sum())
    assert w[1, 2] == w.max()                   # nothing is more like the query than itself
    # a brighter, higher-contrast copy of the image describes each patch in the same direction
    assert np.allclose(patch_attention(0.2 + 0.5 * photo, (1, 2), _softmax, patch=16,
                                       temperature=0.1), w)


def test_patch_attention_figure_and_the_wrappers():
    photo = data.load_photo(64)
    fig = patch_attention_figure(photo, _softmax, (0, 1), patch=16)
    assert "query: patch (0, 1)" in fig.axes[0].get_title()
    assert "cosine" in fig.axes[1].get_title() and len(fig.axes) == 3       # with a colour bar
    plt.close(fig)
    fig = patch_attention_figure(photo, _softmax, (0, 1), patch=16, normalise=False)
    assert "dot product" in fig.axes[1].get_title()
    plt.close(fig)
    maps = np.stack([np.eye(3), np.eye(3)[::-1]])
    for box in (softmax_explorer(_softmax), patch_attention_explorer(photo, _softmax, patch=16),
                attention_step_explorer(np.eye(3), "abc", "abc"),
                attention_example_explorer(maps, ["abc", "def"], ["xyz", "uvw"],
                                           [[0, 1, 2], [2, 1, 0]])):
        assert isinstance(box, widgets.VBox)
        assert box.children[-1].outputs[0]["output_type"] == "display_data"


def test_the_example_explorer_redraws_for_another_example():
    maps = np.stack([np.eye(3), np.eye(3)[::-1]])
    box = attention_example_explorer(maps, ["abc", "def"], ["xyz", "uvw"], [[0, 1, 2], [2, 1, 0]])
    example, step, output = box.children
    first = output.outputs[0]["data"]["text/plain"]
    assert "(x) reads position 0" in first
    example.value = 1
    assert "(u) reads position 2" in output.outputs[0]["data"]["text/plain"]
    step.value = 2
    assert "(w) reads position 0" in output.outputs[0]["data"]["text/plain"]

