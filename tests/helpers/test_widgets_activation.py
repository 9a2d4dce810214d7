"""helpers.widgets.activation: the figure and the explorer, over an ascent given to them."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import models  # noqa: E402
from helpers.widgets import (  # noqa: E402
    FINISH_MESSAGE,
    class_visualisation_explorer,
    class_visualisation_figure,
)

MODEL = models.init_cnn(filters=3, classes=4, image_shape=(1, 6, 6), seed=9)


def _image(fig):
    return next(a for a in fig.axes[0].get_images() if a.get_gid() == "image").get_array()


def _logits(fig):
    return np.array([p.get_height() for p in fig.axes[1].patches if p.get_gid() == "logits"])


def ascent(model, target, steps=200, lr=0.1, l2=0.0, tv=0.0, jitter=0, seed=0):
    """A plain ascent on the logit (the test's own; the widget holds none): which image
    comes out does not matter here, only that the figure draws it and its logits."""
    image = 0.1 * np.random.default_rng(seed).standard_normal(models.input_shape(model))
    pick = np.eye(models.num_classes(model))[[target]]
    for _ in range(steps):
        image = image + lr * (models.input_gradient(model, image[None], pick)[0] - 2 * l2 * image)
    return image


def unfinished(model, target, **settings):
    raise NotImplementedError()


@pytest.mark.parametrize("target, l2, tv, jitter, steps",
                         [(0, 0.0, 0.0, 0, 10), (3, 0.1, 0.3, 2, 25)])
def test_the_figure_draws_the_ascent_and_its_logits(target, l2, tv, jitter, steps):
    fig = class_visualisation_figure(MODEL, ascent, target, l2, tv, jitter, steps)
    want = ascent(MODEL, target, steps, l2=l2, tv=tv, jitter=jitter)
    assert np.allclose(_image(fig), want[0])
    heights = _logits(fig)
    assert np.allclose(heights, models.logits(MODEL, want[None])[0])
    assert f"class {target}" in fig.axes[0].get_title()
    assert fig.axes[0].get_xlabel() and fig.axes[1].get_ylabel() == "logit"
    assert f"{steps} steps" in fig.get_suptitle()
    plt.close(fig)


def test_the_figure_draws_the_students_image_and_leaves_an_unfinished_one_to_the_explorer():
    def finished(model, target, **settings):
        return np.full(models.input_shape(model), 0.5)

    fig = class_visualisation_figure(MODEL, finished, 1, steps=5)
    assert np.allclose(_image(fig), 0.5)
    plt.close(fig)
    with pytest.raises(NotImplementedError):
        class_visualisation_figure(MODEL, unfinished, 1, steps=5)
    with pytest.raises(ValueError, match="target"):
        class_visualisation_figure(MODEL, finished, 4)


def test_the_explorer_redraws_when_a_slider_moves():
    box = class_visualisation_explorer(MODEL, ascent, steps=10)
    controls, output = box.children[:-1], box.children[-1]
    kinds = [widgets.Dropdown, widgets.FloatSlider, widgets.FloatSlider, widgets.IntSlider,
             widgets.IntSlider]
    assert [type(c) for c in controls] == kinds
    first = output.outputs[0]["data"]["text/plain"]
    controls[0].value = 2
    now = output.outputs[0]["data"]["text/plain"]
    assert "class 2" in now and first != now
    assert FINISH_MESSAGE not in str(output.outputs)


def test_the_explorer_asks_to_finish_the_exercise_while_it_is_a_stub():
    box = class_visualisation_explorer(MODEL, unfinished, steps=10)
    assert FINISH_MESSAGE in str(box.children[-1].outputs)
