"""Widgets of notebook 05 (attention): softmax temperature and masks, attention maps, image patches.

Each ``*_figure`` function is pure (parameters in, a new figure out) and is what
the tests call; the wrappers only wire controls to it through
:func:`helpers.widgets.base.interactive_figure`.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.widgets.base import interactive_figure

__all__ = [
    "DEFAULT_SCORES",
    "attention_step_explorer",
    "attention_step_figure",
    "patch_attention",
    "patch_attention_explorer",
    "patch_attention_figure",
    "patch_features",
    "softmax_explorer",
    "softmax_figure",
    "tempered_softmax",
]

DEFAULT_SCORES = (2.0, 1.0, 0.5, 3.0, -1.0, 0.0)


def tempered_softmax(scores, temperature=1.0, masked=()):
    """softmax(scores / temperature) over a 1-D array, with the indices in ``masked`` hidden.

    The reference the widgets use (independent of the notebook's exercise).
    Hidden entries get weight exactly 0; hiding every entry is a ValueError.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"expected a non-empty 1-D array of scores, got shape {scores.shape}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    allowed = np.ones(scores.size, dtype=bool)
    allowed[list(masked)] = False
    if not allowed.any():
        raise ValueError("every entry is masked: no weights can sum to 1")
    z = np.where(allowed, scores / temperature, -np.inf)
    e = np.where(allowed, np.exp(z - z[allowed].max()), 0.0)
    return e / e.sum()


def softmax_figure(scores=DEFAULT_SCORES, temperature=1.0, masked=()):
    """The scores and their softmax weights at one temperature, masked entries greyed out."""
    scores = np.asarray(scores, dtype=float)
    weights = tempered_softmax(scores, temperature, masked)
    hidden = np.zeros(scores.size, dtype=bool)
    hidden[list(masked)] = True
    positions = np.arange(scores.size)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.bar(positions, scores, color=np.where(hidden, "0.8", "tab:blue"), gid="scores")
    left.set_title("scores x (grey: masked)")
    left.set_xlabel("position j")
    right.bar(positions, weights, color=np.where(hidden, "0.8", "tab:orange"), gid="weights")
    right.set_ylim(0, 1)
    entropy = -np.sum(weights[weights > 0] * np.log(weights[weights > 0]))
    right.set_title(f"softmax(x / {temperature:g}): max {weights.max():.2f}, entropy {entropy:.2f}")
    right.set_xlabel("position j")
    for ax in (left, right):
        ax.set_xticks(positions)
    fig.tight_layout()
    return fig


def softmax_explorer(scores=DEFAULT_SCORES, temperature=1.0):
    """A temperature slider and a choice of masked positions over :func:`softmax_figure`."""
    scores = tuple(float(s) for s in scores)
    tempered_softmax(scores, temperature)
    return interactive_figure(
        lambda temperature, masked: softmax_figure(scores, temperature, masked),
        temperature=widgets.FloatLogSlider(value=temperature, base=10, min=-2, max=2, step=0.1,
                                           description="temperature", continuous_update=False),
        masked=widgets.SelectMultiple(options=list(range(len(scores))), value=(),
                                      description="masked", rows=min(len(scores), 6)),
    )


def attention_step_figure(weights, source, target, step=0):
    """An attention map (output steps down, input steps across) and the row of one output step.

    Parameters
    ----------
    weights : ndarray of shape (Tq, Tk)
        Every row sums to 1.
    source, target : sequences of length Tk and Tq
        The input tokens and the output tokens, used as tick labels.
    step : int
        The output step whose weights are drawn as bars.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"expected weights of shape (Tq, Tk), got {weights.shape}")
    Tq, Tk = weights.shape
    if len(source) != Tk or len(target) != Tq:
        raise ValueError(f"expected {Tk} source and {Tq} target tokens, "
                         f"got {len(source)} and {len(target)}")
    if int(step) != step or not 0 <= step < Tq:
        raise ValueError(f"step must be an integer in 0 .. {Tq - 1}, got {step}")
    step = int(step)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), gridspec_kw={"height_ratios": [2.2, 1]})
    image = top.imshow(weights, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    top.add_patch(plt.Rectangle((-0.5, step - 0.5), Tk, 1, fill=False, edgecolor="red",
                                linewidth=2))
    top.set_xticks(range(Tk), [str(s) for s in source])
    top.set_yticks(range(Tq), [str(t) for t in target])
    top.set_xlabel("input token (position j)")
    top.set_ylabel("output token (step i)")
    top.set_title("attention weights alpha_ij")
    fig.colorbar(image, ax=top)
    bottom.bar(range(Tk), weights[step], color="tab:red", gid="row")
    bottom.set_ylim(0, 1)
    bottom.set_xticks(range(Tk), [f"{j}:{s}" for j, s in enumerate(source)])
    j = int(np.argmax(weights[step]))
    bottom.set_title(f"output step {step} writes {target[step]}; it reads position {j} "
                     f"({weights[step, j]:.2f})")
    fig.tight_layout()
    return fig


def attention_step_explorer(weights, source, target, step=0):
    """A slider for the output step over :func:`attention_step_figure`."""
    Tq = np.shape(weights)[0]
    return interactive_figure(
        lambda step: attention_step_figure(weights, source, target, step),
        step=widgets.IntSlider(value=step, min=0, max=Tq - 1, description="output step",
                               continuous_update=False),
    )


def patch_features(image, patch=16):
    """Four standardised features per patch of a gray image: brightness, contrast, x- and y-edges.

    Returns an ndarray of shape (rows, cols, 4), ``rows = H // patch`` and
    ``cols = W // patch``; every feature has mean 0 and standard deviation 1 over
    the patches.
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"expected a gray image of shape (H, W), got {image.shape}")
    rows, cols = image.shape[0] // patch, image.shape[1] // patch
    if rows < 1 or cols < 1:
        raise ValueError(f"patch {patch} is larger than the image {image.shape}")
    tiles = image[:rows * patch, :cols * patch].reshape(rows, patch, cols, patch).swapaxes(1, 2)
    features = np.stack([tiles.mean(axis=(2, 3)), tiles.std(axis=(2, 3)),
                         np.abs(np.diff(tiles, axis=3)).mean(axis=(2, 3)),
                         np.abs(np.diff(tiles, axis=2)).mean(axis=(2, 3))], axis=-1)
    spread = features.std(axis=(0, 1))
    return (features - features.mean(axis=(0, 1))) / np.where(spread > 0, spread, 1.0)


def patch_attention(image, query, patch=16, temperature=1.0):
    """Scaled dot-product weights of the patch at ``query = (row, col)`` over all patches.

    The query is that patch's feature vector, the keys are every patch's; returns
    the weights as an ndarray of shape (rows, cols) that sums to 1.
    """
    features = patch_features(image, patch)
    rows, cols, d = features.shape
    r, c = query
    if not (0 <= r < rows and 0 <= c < cols):
        raise ValueError(f"query {query} outside the {rows} x {cols} grid of patches")
    scores = features.reshape(-1, d) @ features[r, c] / np.sqrt(d)
    return tempered_softmax(scores, temperature).reshape(rows, cols)


def patch_attention_figure(image, query=(2, 2), patch=16, temperature=1.0):
    """The image with the query patch outlined, and the attention weights as a heat map over it."""
    image = np.asarray(image, dtype=float)
    weights = patch_attention(image, query, patch, temperature)
    rows, cols = weights.shape
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.4))
    for ax in (left, right):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.add_patch(plt.Rectangle((query[1] * patch - 0.5, query[0] * patch - 0.5), patch, patch,
                                   fill=False, edgecolor="red", linewidth=2))
        ax.set_xticks([])
        ax.set_yticks([])
    left.set_title(f"query: patch {tuple(int(q) for q in query)}")
    right.imshow(np.kron(weights, np.ones((patch, patch))), cmap="inferno", alpha=0.6,
                 extent=(-0.5, cols * patch - 0.5, rows * patch - 0.5, -0.5), gid="heat")
    right.set_title(f"its attention over {rows} x {cols} patches (max {weights.max():.2f})")
    fig.tight_layout()
    return fig


def patch_attention_explorer(image, patch=16, temperature=1.0):
    """Sliders for the query patch and the temperature over :func:`patch_attention_figure`."""
    rows, cols = np.shape(image)[0] // patch, np.shape(image)[1] // patch
    return interactive_figure(
        lambda row, col, temperature: patch_attention_figure(image, (row, col), patch, temperature),
        row=widgets.IntSlider(value=rows // 2, min=0, max=rows - 1, description="query row",
                              continuous_update=False),
        col=widgets.IntSlider(value=cols // 2, min=0, max=cols - 1, description="query col",
                              continuous_update=False),
        temperature=widgets.FloatLogSlider(value=temperature, base=10, min=-1, max=1, step=0.1,
                                           description="temperature", continuous_update=False),
    )
