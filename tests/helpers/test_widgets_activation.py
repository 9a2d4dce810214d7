"""helpers.widgets.activation: the reference ascent, the figure and the explorer."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import gradcheck, models  # noqa: E402
from helpers.widgets import (  # noqa: E402
    FALLBACK_NOTE,
    FINISH_MESSAGE,
    class_visualisation_explorer,
    class_visualisation_figure,
    reference_ascent,
    smoothness_penalty,
)

MODEL = models.init_cnn(filters=3, classes=4, image_shape=(1, 6, 6), seed=9)


def _image(fig):
    return next(a for a in fig.axes[0].get_images() if a.get_gid() == "image").get_array()


def _logits(fig):
    return np.array([p.get_height() for p in fig.axes[1].patches if p.get_gid() == "logits"])


def test_smoothness_penalty_and_its_gradient():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    value, grad = smoothness_penalty(x)
    assert value == pytest.approx(np.sum(np.diff(x, axis=1) ** 2) + np.sum(np.diff(x, axis=2) ** 2))
    numeric = gradcheck.numerical_gradient(lambda v: smoothness_penalty(v)[0], x.copy())
    assert gradcheck.relative_error(grad, numeric) < 1e-7


def test_reference_ascent_raises_the_logit_and_the_penalties_smooth_it():
    start = reference_ascent(MODEL, 2, steps=0)
    plain = reference_ascent(MODEL, 2, steps=60)
    smooth = reference_ascent(MODEL, 2, steps=60, l2=0.05, tv=0.5, jitter=1)
    assert start.shape == (1, 6, 6)
    assert np.array_equal(start, 0.1 * np.random.default_rng(0).standard_normal((1, 6, 6)))
    assert models.logits(MODEL, plain[None])[0, 2] > models.logits(MODEL, start[None])[0, 2] + 1
    assert smoothness_penalty(smooth)[0] < smoothness_penalty(plain)[0]


@pytest.mark.parametrize("target, l2, tv, jitter, steps",
                         [(0, 0.0, 0.0, 0, 10), (3, 0.1, 0.3, 2, 25)])
def test_the_figure_draws_the_ascent_and_its_logits(target, l2, tv, jitter, steps):
    fig = class_visualisation_figure(MODEL, target, l2, tv, jitter, steps)
    want = reference_ascent(MODEL, target, steps, l2=l2, tv=tv, jitter=jitter)
    assert np.allclose(_image(fig), want[0])
    heights = _logits(fig)
    assert np.allclose(heights, models.logits(MODEL, want[None])[0])
    assert f"class {target}" in fig.axes[0].get_title()
    assert fig.axes[0].get_xlabel() and fig.axes[1].get_ylabel() == "logit"
    assert FALLBACK_NOTE not in fig.get_suptitle()
    plt.close(fig)


def test_the_figure_uses_the_students_function_and_falls_back_with_a_note():
    def finished(model, target, **settings):
        return np.full(models.input_shape(model), 0.5)

    def unfinished(model, target, **settings):
        raise NotImplementedError()

    fig = class_visualisation_figure(MODEL, 1, steps=5, maximise=finished)
    assert np.allclose(_image(fig), 0.5) and FALLBACK_NOTE not in fig.get_suptitle()
    fig = class_visualisation_figure(MODEL, 1, steps=5, maximise=unfinished)
    assert np.allclose(_image(fig), reference_ascent(MODEL, 1, steps=5)[0])
    assert fig.get_suptitle() == FALLBACK_NOTE
    with pytest.raises(ValueError, match="target"):
        class_visualisation_figure(MODEL, 4)


def test_the_explorer_redraws_when_a_slider_moves():
    box = class_visualisation_explorer(MODEL, steps=10)
    controls, output = box.children[:-1], box.children[-1]
    kinds = [widgets.Dropdown, widgets.FloatSlider, widgets.FloatSlider, widgets.IntSlider,
             widgets.IntSlider]
    assert [type(c) for c in controls] == kinds
    first = output.outputs[0]["data"]["text/plain"]
    controls[0].value = 2
    now = output.outputs[0]["data"]["text/plain"]
    assert "class 2" in now and first != now
    assert FINISH_MESSAGE not in str(output.outputs)
