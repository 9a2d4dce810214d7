"""Notebook 07's widget: the image a network's class logit likes, under chosen regularisers.

:func:`class_visualisation_figure` runs gradient ascent on one class's logit
of a model of :mod:`helpers.models` and draws the image with the model's
logits for it; :func:`class_visualisation_explorer` wires sliders (class, L2
and total-variation weights, jitter, steps) to it. The ascent is always
the notebook's own ``activation_maximization``: the widget holds no version of
its own, which would be the exercise's answer in an importable module. While
the exercise raises ``NotImplementedError``, the explorer shows
:data:`helpers.widgets.FINISH_MESSAGE` instead of a figure.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers import models
from helpers.widgets.base import interactive_figure

__all__ = ["class_visualisation_explorer", "class_visualisation_figure"]


def class_visualisation_figure(model, maximise, target=0, l2=0.0, tv=0.0, jitter=0, steps=200,
                               lr=0.1, seed=0, class_names=None):
    """The image that ascent on ``target``'s logit reaches, beside the model's logits for it.

    Parameters
    ----------
    model : dict
        A model of :mod:`helpers.models`.
    maximise : callable
        The notebook's ``activation_maximization``; its ``NotImplementedError``
        (an unfinished exercise) is left to :func:`interactive_figure`.
    target : int
        The class whose logit is raised.
    l2, tv : float
        Weights of the L2 and total-variation penalties.
    jitter : int
        Largest random shift, in pixels, at every step.
    steps : int
    lr : float
    seed : int
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
    image = np.asarray(maximise(model, int(target), **settings), dtype=np.float64)
    scores = models.logits(model, image[None])[0]
    names = list(class_names) if class_names is not None else [str(k) for k in range(K)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.4),
                                      gridspec_kw={"width_ratios": [1, 1.4]})
    drawn = left.imshow(image[0], cmap="gray")
    drawn.set_gid("image")
    fig.colorbar(drawn, ax=left, fraction=0.046, label="pixel value")
    left.set_title(f"class {names[int(target)]}: squared norm {np.sum(image ** 2):.3g}",
                   fontsize=9)
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
    fig.suptitle(f"ascent: {int(steps)} steps of lr {lr:g}, L2 {l2:g}, TV {tv:g}, "
                         f"jitter {int(jitter)}", fontsize=10)
    fig.tight_layout()
    return fig


def class_visualisation_explorer(model, maximise, target=0, l2=0.05, tv=0.2, jitter=0,
                                 steps=200, class_names=None):
    """Sliders for the class, the regularisers' weights, the jitter and the steps over
    :func:`class_visualisation_figure`."""
    K = models.num_classes(model)
    names = list(class_names) if class_names is not None else [str(k) for k in range(K)]

    def draw(target, l2, tv, jitter, steps):
        return class_visualisation_figure(model, maximise, target, l2, tv, jitter, steps,
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
