"""Notebook 07's widget: the image a network's class logit likes, under chosen regularisers.

:func:`class_visualisation_figure` runs gradient ascent on one class's logit
of a model of :mod:`helpers.models` and draws the image with the model's
logits for it; :func:`class_visualisation_explorer` wires sliders (class, L2
and total-variation weights, jitter, steps) to it. The ascent is the
notebook's own ``activation_maximization`` when it is passed and finished;
until then the figure falls back to :func:`reference_ascent`, this module's
own version, and says so in its title.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers import models
from helpers.widgets.base import interactive_figure

__all__ = ["FALLBACK_NOTE", "class_visualisation_explorer", "class_visualisation_figure",
           "reference_ascent", "smoothness_penalty"]

FALLBACK_NOTE = "activation_maximization is not finished: showing the course's reference"


def smoothness_penalty(x) -> tuple[float, np.ndarray]:
    """The sum of squared differences of neighbouring pixels (last two axes) and its gradient.

    The widget's own measure (independent of the notebook's exercise).
    """
    x = np.asarray(x, dtype=np.float64)
    rows, cols = np.diff(x, axis=-2), np.diff(x, axis=-1)
    grad = np.zeros_like(x)
    grad[..., 1:, :] += 2 * rows
    grad[..., :-1, :] -= 2 * rows
    grad[..., :, 1:] += 2 * cols
    grad[..., :, :-1] -= 2 * cols
    return float(np.sum(rows ** 2) + np.sum(cols ** 2)), grad


def reference_ascent(model, target, steps=200, lr=0.1, l2=0.0, tv=0.0, jitter=0, seed=0):
    """Ascent on ``target``'s logit with L2, total variation and jitter: the widget's fallback.

    Follows the notebook's specification step for step (start, random draws,
    update), so that a finished exercise and this function draw the same image.

    Returns
    -------
    ndarray of shape ``models.input_shape(model)``
    """
    rng = np.random.default_rng(seed)
    image = 0.1 * rng.standard_normal(models.input_shape(model))
    pick = np.zeros((1, models.num_classes(model)))
    pick[0, int(target)] = 1.0
    for _ in range(int(steps)):
        shift = (0, 0)
        if jitter:
            shift = tuple(int(s) for s in rng.integers(-jitter, jitter + 1, size=2))
        seen = np.roll(image, shift, axis=(-2, -1))
        ascent = (models.input_gradient(model, seen[None], pick)[0] - 2 * l2 * seen
                  - tv * smoothness_penalty(seen)[1])
        image = np.roll(seen + lr * ascent, (-shift[0], -shift[1]), axis=(-2, -1))
    return image


def class_visualisation_figure(model, target=0, l2=0.0, tv=0.0, jitter=0, steps=200, lr=0.1,
                               seed=0, maximise=None, class_names=None):
    """The image that ascent on ``target``'s logit reaches, beside the model's logits for it.

    Parameters
    ----------
    model : dict
        A model of :mod:`helpers.models`.
    target : int
        The class whose logit is raised.
    l2, tv : float
        Weights of the L2 and total-variation penalties.
    jitter : int
        Largest random shift, in pixels, at every step.
    steps : int
    lr : float
    seed : int
    maximise : callable, optional
        The notebook's ``activation_maximization``; while it raises
        ``NotImplementedError`` (or when None), :func:`reference_ascent` is used
        and the title says so.
    class_names : sequence of str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left: the image (an ``AxesImage`` with gid ``"image"``, channel 0);
        right: the logits as bars (gid ``"logits"``), the target's in orange.
    """
    K = models.num_classes(model)
    if not 0 <= int(target) < K:
        raise ValueError(f"target must be a class in 0..{K - 1}, got {target}")
    settings = dict(steps=int(steps), lr=lr, l2=l2, tv=tv, jitter=int(jitter), seed=seed)
    note = None
    image = None
    if maximise is not None:
        try:
            image = np.asarray(maximise(model, int(target), **settings), dtype=np.float64)
        except NotImplementedError:
            image = None
    if image is None:
        image = reference_ascent(model, target, **settings)
        note = FALLBACK_NOTE if maximise is not None else None
    scores = models.logits(model, image[None])[0]
    names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4),
                                      gridspec_kw={"width_ratios": [1, 1.4]})
    drawn = left.imshow(image[0], cmap="gray")
    drawn.set_gid("image")
    fig.colorbar(drawn, ax=left, fraction=0.046, label="pixel value")
    left.set_title(f"class {names[int(target)]}: TV {smoothness_penalty(image)[0]:.3g}, "
                   f"squared norm {np.sum(image ** 2):.3g}", fontsize=9)
    left.set_xlabel("column (pixel)")
    left.set_ylabel("row (pixel)")
    colours = ["tab:orange" if k == int(target) else "tab:blue" for k in range(K)]
    right.bar(np.arange(K), scores, color=colours, gid="logits")
    right.axhline(0, color="0.3", linewidth=0.8)
    right.set_xticks(np.arange(K), names)
    right.set_xlabel("class")
    right.set_ylabel("logit")
    right.set_title(f"logits of the image: class {names[int(target)]} scores "
                    f"{scores[int(target)]:.3g}", fontsize=9)
    fig.suptitle(note or f"ascent: {int(steps)} steps of lr {lr:g}, L2 {l2:g}, TV {tv:g}, "
                         f"jitter {int(jitter)}", fontsize=10)
    fig.tight_layout()
    return fig


def class_visualisation_explorer(model, maximise=None, target=0, l2=0.05, tv=0.2, jitter=0,
                                 steps=200, class_names=None):
    """Sliders for the class, the regularisers' weights, the jitter and the steps over
    :func:`class_visualisation_figure`."""
    K = models.num_classes(model)
    names = list(class_names) if class_names is not None else [str(k) for k in range(K)]

    def draw(target, l2, tv, jitter, steps):
        return class_visualisation_figure(model, target, l2, tv, jitter, steps, maximise=maximise,
                                          class_names=names)

    return interactive_figure(
        draw,
        target=widgets.Dropdown(options=[(name, k) for k, name in enumerate(names)], value=target,
                                description="class"),
        l2=widgets.FloatSlider(value=l2, min=0.0, max=0.3, step=0.01, description="L2",
                               continuous_update=False),
        tv=widgets.FloatSlider(value=tv, min=0.0, max=1.0, step=0.05, description="TV",
                               continuous_update=False),
        jitter=widgets.IntSlider(value=jitter, min=0, max=3, description="jitter",
                                 continuous_update=False),
        steps=widgets.IntSlider(value=steps, min=0, max=400, step=10, description="steps",
                                continuous_update=False),
    )
