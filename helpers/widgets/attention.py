"""Widgets and figures of notebook 05 (attention): softmax temperature and masks, attention maps,
positional encodings, attention over an image's patches.

The weights these figures show come from the notebook's own ``softmax``,
passed in: this module holds no answer to the notebook's exercises.

Each ``*_figure`` function is pure (parameters in, a new figure out) and is what
the tests call; the wrappers only wire controls to it through
:func:`helpers.widgets.base.interactive_figure`.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from helpers.widgets.base import interactive_figure

__all__ = [
    "DEFAULT_SCORES",
    "attention_example_explorer",
    "attention_maps_figure",
    "attention_step_explorer",
    "attention_step_figure",
    "patch_attention",
    "patch_attention_explorer",
    "patch_attention_figure",
    "patch_features",
    "positional_encoding_figure",
    "softmax_explorer",
    "softmax_figure",
    "tempered_weights",
]

DEFAULT_SCORES = (2.0, 1.0, 0.5, 3.0, -1.0, 0.0)
MATCH_COLOR = "magenta"
OTHER_COLOR = "tab:blue"


def _check_temperature(temperature) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")


def tempered_weights(softmax, scores, temperature=1.0, masked=()):
    """``softmax(scores / temperature)`` over a 1-D array, the indices in ``masked`` hidden.

    ``softmax`` is the notebook's (``softmax(x, axis=-1, mask=None)``, ``mask``
    True where attending is allowed): the widgets show what the student's own
    function does. Bad scores or temperatures, and a softmax that returns
    another shape, are ValueErrors naming the problem.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"expected a non-empty 1-D array of scores, got shape {scores.shape}")
    _check_temperature(temperature)
    allowed = np.ones(scores.size, dtype=bool)
    allowed[list(masked)] = False
    weights = np.asarray(softmax(scores / temperature, mask=allowed), dtype=float)
    if weights.shape != scores.shape:
        raise ValueError(f"softmax returned shape {weights.shape} for scores of shape "
                         f"{scores.shape}; it should keep the shape of its input")
    return weights


def softmax_figure(softmax, scores=DEFAULT_SCORES, temperature=1.0, masked=()):
    """The scores and the weights the notebook's ``softmax`` gives them at one temperature,
    masked entries greyed out."""
    scores = np.asarray(scores, dtype=float)
    weights = tempered_weights(softmax, scores, temperature, masked)
    hidden = np.zeros(scores.size, dtype=bool)
    hidden[list(masked)] = True
    positions = np.arange(scores.size)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.bar(positions, scores, color=np.where(hidden, "0.8", "tab:blue"), gid="scores")
    left.axhline(0, color="0.3", linewidth=0.8)
    left.set_title("scores x (grey: masked)")
    left.set_xlabel("position j")
    left.set_ylabel("score")
    right.bar(positions, weights, color=np.where(hidden, "0.8", "tab:orange"), gid="weights")
    right.set_ylim(0, 1)
    positive = weights[weights > 0]
    entropy = -np.sum(positive * np.log(positive))
    right.set_title(f"softmax(x / {temperature:g}): max {weights.max():.2f}, entropy {entropy:.2f}")
    right.set_xlabel("position j")
    right.set_ylabel("weight")
    for ax in (left, right):
        ax.set_xticks(positions)
    fig.tight_layout()
    return fig


def softmax_explorer(softmax, scores=DEFAULT_SCORES, temperature=1.0):
    """A temperature slider and a choice of masked positions over :func:`softmax_figure`.

    While the notebook's ``softmax`` raises ``NotImplementedError``, the
    explorer asks to finish it.
    """
    scores = tuple(float(s) for s in scores)
    _check_temperature(temperature)   # before the notebook's softmax may be finished
    return interactive_figure(
        lambda temperature, masked: softmax_figure(softmax, scores, temperature, masked),
        temperature=widgets.FloatLogSlider(value=temperature, base=10, min=-2, max=2, step=0.1,
                                           description="temperature", continuous_update=False),
        masked=widgets.SelectMultiple(options=list(range(len(scores))), value=(),
                                      description="masked", rows=min(len(scores), 6)),
    )


# --------------------------------------------------------------------------- attention maps


def _check_map(weights, source, target, match):
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"expected weights of shape (Tq, Tk), got {weights.shape}")
    Tq, Tk = weights.shape
    if len(source) != Tk or len(target) != Tq:
        raise ValueError(f"expected {Tk} source and {Tq} target labels, "
                         f"got {len(source)} and {len(target)}")
    if match is not None:
        match = [int(j) for j in match]
        if len(match) != Tq or not all(0 <= j < Tk for j in match):
            raise ValueError(f"match must give one input position in 0 .. {Tk - 1} for each of "
                             f"the {Tq} output steps, got {match}")
    return weights, match


def _outline(ax, cells, color=MATCH_COLOR, linestyle="--", gid=None, label=None):
    for k, (i, j) in enumerate(cells):
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=color,
                                   linewidth=2, linestyle=linestyle, gid=gid,
                                   label=label if k == 0 else None))


def attention_step_figure(weights, source, target, step=0, match=None):
    """An attention map (output steps down, input steps across) and the row of one output step.

    Parameters
    ----------
    weights : ndarray of shape (Tq, Tk)
        Every row sums to 1.
    source, target : sequences of length Tk and Tq
        Labels of the inputs and of the outputs, used as tick labels.
    step : int
        The output step whose weights are drawn as bars.
    match : sequence of Tq ints, optional
        For each output step, the input position it should read (the pair whose
        key was asked); outlined on the map and coloured apart in the bars.
    """
    weights, match = _check_map(weights, source, target, match)
    Tq, Tk = weights.shape
    if int(step) != step or not 0 <= step < Tq:
        raise ValueError(f"step must be an integer in 0 .. {Tq - 1}, got {step}")
    step = int(step)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.5, 7.5),
                                      gridspec_kw={"height_ratios": [2.2, 1]})
    image = top.imshow(weights, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    top.add_patch(plt.Rectangle((-0.5, step - 0.5), Tk, 1, fill=False, edgecolor="red",
                                linewidth=2, gid="step", label=f"output step {step}"))
    if match is not None:
        _outline(top, enumerate(match), gid="match", label="the pair asked for")
    top.set_xticks(range(Tk), [str(s) for s in source])
    top.set_yticks(range(Tq), [str(t) for t in target])
    top.set_xlabel("input j (its label)")
    top.set_ylabel("output step i (its label)")
    top.set_title("attention weights alpha_ij")
    top.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncol=2, fontsize=8, frameon=False)
    fig.colorbar(image, ax=top, label="weight")
    row = weights[step]
    if match is None:
        bottom.bar(range(Tk), row, color=OTHER_COLOR, gid="row",
                   label=f"weights of output step {step}")
    else:
        asked = np.arange(Tk) == match[step]
        bottom.bar(np.flatnonzero(~asked), row[~asked], color=OTHER_COLOR, gid="row",
                   label="other inputs")
        bottom.bar(np.flatnonzero(asked), row[asked], color=MATCH_COLOR, gid="row-match",
                   label="the pair asked for")
    bottom.set_ylim(0, 1)
    bottom.set_xticks(range(Tk), [f"{j}:{s}" for j, s in enumerate(source)])
    bottom.set_xlabel("input position j: its label")
    bottom.set_ylabel("weight alpha_ij")
    bottom.legend(loc="upper right", fontsize=8)
    j = int(np.argmax(row))
    bottom.set_title(f"output step {step} ({target[step]}) reads position {j} ({row[j]:.2f})")
    fig.tight_layout()
    return fig


def attention_step_explorer(weights, source, target, step=0, match=None):
    """A slider for the output step over :func:`attention_step_figure`."""
    Tq = np.shape(weights)[0]
    return interactive_figure(
        lambda step: attention_step_figure(weights, source, target, step, match),
        step=widgets.IntSlider(value=step, min=0, max=Tq - 1, description="output step",
                               continuous_update=False),
    )


def attention_example_explorer(weights, sources, targets, matches=None, example=0, step=0):
    """Sliders for the example and the output step over :func:`attention_step_figure`.

    ``weights`` has shape (E, Tq, Tk); ``sources``, ``targets`` (and ``matches``)
    hold one sequence of labels (positions) per example.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 3:
        raise ValueError(f"expected weights of shape (examples, Tq, Tk), got {weights.shape}")
    E, Tq, _ = weights.shape

    def figure(example, step):
        match = None if matches is None else matches[example]
        return attention_step_figure(weights[example], sources[example], targets[example], step,
                                     match)

    return interactive_figure(
        figure,
        example=widgets.IntSlider(value=example, min=0, max=E - 1, description="example",
                                  continuous_update=False),
        step=widgets.IntSlider(value=step, min=0, max=Tq - 1, description="output step",
                               continuous_update=False),
    )


def attention_maps_figure(maps, sources, targets, matches=None, title=None, ncols=3):
    """Several attention maps side by side, the cells each output step should read outlined.

    Parameters
    ----------
    maps : ndarray of shape (E, Tq, Tk)
    sources, targets : E sequences of Tk and Tq labels
    matches : E sequences of Tq ints, optional
        For each example and output step, the input position it should read.
    title : str, optional
        A title over all the maps.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"expected maps of shape (examples, Tq, Tk), got {maps.shape}")
    E, Tq, Tk = maps.shape
    ncols = min(ncols, E)
    nrows = -(-E // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols + 1, 3.3 * nrows), squeeze=False)
    image = None
    for k, ax in enumerate(axes.flat):
        if k >= E:
            ax.set_visible(False)
            continue
        match = None if matches is None else matches[k]
        weights, match = _check_map(maps[k], sources[k], targets[k], match)
        image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        if match is not None:
            _outline(ax, enumerate(match), gid="match", label="the pair asked for")
        ax.set_xticks(range(Tk), [str(s) for s in sources[k]], fontsize=7, rotation=90)
        ax.set_yticks(range(Tq), [str(t) for t in targets[k]], fontsize=7)
        ax.set_xlabel("pair j (key:value)", fontsize=8)
        ax.set_ylabel("output step i (asked key)", fontsize=8)
        ax.set_title(f"example {k}", fontsize=9)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.colorbar(image, ax=axes.ravel().tolist(), label="attention weight", shrink=0.8)
    return fig


# --------------------------------------------------------------------------- positional encoding


def positional_encoding_figure(pe):
    """A positional encoding (T, d) as an image, and the dot products of its rows.

    Both are signed: a diverging colour map centred on zero, with colour bars.
    """
    pe = np.asarray(pe, dtype=float)
    if pe.ndim != 2:
        raise ValueError(f"expected a positional encoding of shape (T, d), got {pe.shape}")
    T, d = pe.shape
    gram = pe @ pe.T                                   # (T, T): how alike two positions look
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    shown = left.imshow(pe, cmap="RdBu_r", norm=TwoSlopeNorm(0, -1, 1), aspect="auto",
                        interpolation="nearest")
    left.set_xlabel("feature 2i (sine) and 2i+1 (cosine)")
    left.set_ylabel("position t")
    left.set_title(f"PE of shape ({T}, {d})")
    fig.colorbar(shown, ax=left, label="value (0 is white)")
    top = max(float(np.abs(gram).max()), 1e-12)
    dots = right.imshow(gram, cmap="RdBu_r", norm=TwoSlopeNorm(0, -top, top),
                        interpolation="nearest")
    right.set_xlabel("position t'")
    right.set_ylabel("position t")
    right.set_title("dot products PE[t] . PE[t']")
    fig.colorbar(dots, ax=right, label="dot product (0 is white)")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- image patches


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


def patch_attention(image, query, softmax, patch=16, temperature=0.1, normalise=True):
    """Attention weights of the patch at ``query = (row, col)`` over all patches of the image.

    The query is that patch's feature vector, the keys are every patch's. With
    ``normalise`` each vector is scaled to length 1 first, so a score is the
    cosine of the angle between two patches' features: similarity, whatever their
    contrast. Without it, the score is the scaled dot product ``q . k / sqrt(d)``.
    Returns the weights, ``softmax(scores / temperature)`` by the notebook's
    ``softmax``, as an ndarray of shape (rows, cols).
    """
    features = patch_features(image, patch)
    rows, cols, d = features.shape
    r, c = query
    if not (0 <= r < rows and 0 <= c < cols):
        raise ValueError(f"query {query} outside the {rows} x {cols} grid of patches")
    keys = features.reshape(-1, d)                       # (rows * cols, d)
    if normalise:
        keys = keys / np.maximum(np.linalg.norm(keys, axis=1, keepdims=True), 1e-12)
        scores = keys @ keys[r * cols + c]
    else:
        scores = keys @ features[r, c] / np.sqrt(d)
    return tempered_weights(softmax, scores, temperature).reshape(rows, cols)


def patch_attention_figure(image, softmax, query=(2, 2), patch=16, temperature=0.1,
                           normalise=True):
    """The image with the query patch outlined, and the attention weights as a heat map over it."""
    image = np.asarray(image, dtype=float)
    weights = patch_attention(image, query, softmax, patch, temperature, normalise)
    rows, cols = weights.shape
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax in (left, right):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.add_patch(plt.Rectangle((query[1] * patch - 0.5, query[0] * patch - 0.5), patch, patch,
                                   fill=False, edgecolor="cyan", linewidth=2))
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    left.set_title(f"query: patch {tuple(int(q) for q in query)}")
    heat = right.imshow(np.kron(weights, np.ones((patch, patch))), cmap="inferno", alpha=0.65,
                        vmin=0, extent=(-0.5, cols * patch - 0.5, rows * patch - 0.5, -0.5),
                        gid="heat")
    kind = "cosine" if normalise else "dot product"
    right.set_title(f"attention by {kind} (max {weights.max():.2f}, "
                    f"uniform {1 / weights.size:.3f})")
    fig.colorbar(heat, ax=right, label="attention weight")
    fig.tight_layout()
    return fig


def patch_attention_explorer(image, softmax, patch=16, temperature=0.1, normalise=True):
    """Sliders for the query patch and the temperature, a switch for normalising the features."""
    rows, cols = np.shape(image)[0] // patch, np.shape(image)[1] // patch
    return interactive_figure(
        lambda row, col, temperature, normalise: patch_attention_figure(
            image, softmax, (row, col), patch, temperature, normalise),
        row=widgets.IntSlider(value=rows // 2, min=0, max=rows - 1, description="query row",
                              continuous_update=False),
        col=widgets.IntSlider(value=cols // 2, min=0, max=cols - 1, description="query col",
                              continuous_update=False),
        temperature=widgets.FloatLogSlider(value=temperature, base=10, min=-2, max=1, step=0.1,
                                           description="temperature", continuous_update=False),
        normalise=widgets.Checkbox(value=normalise, description="normalise (cosine)"),
    )
