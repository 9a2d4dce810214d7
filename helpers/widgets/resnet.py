"""Notebook 02's widget: the gradient's size layer by layer, with and without skips.

:func:`gradient_norms` runs a deep chain of layers forward and backward in
plain numpy, either plain (``x_{l+1} = f(x_l W_l)``) or residual
(``x_{l+1} = x_l + f(x_l W_l)``), and returns the size of the gradient at every
layer. It is deliberately simpler than the notebook's graded residual block
(one weight matrix per layer, no biases), so the widget works before any
exercise is done. :func:`gradient_flow_figure` plots both nets on a log axis;
:func:`gradient_flow_explorer` wires sliders for depth, weight scale and
activation to it. :func:`singular_values_figure` draws the singular values of
products of Jacobians (section 8), seed by seed, with the level below which
floating-point round-off hides them.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.widgets.base import interactive_figure

__all__ = [
    "ACTIVATIONS",
    "LEAKY_SLOPE",
    "gradient_flow_explorer",
    "gradient_flow_figure",
    "gradient_norms",
    "singular_values_figure",
]

ACTIVATIONS = ("relu", "tanh", "leaky relu")
LEAKY_SLOPE = 0.01  # Leaky ReLU's slope for negative inputs


def _activate(activation, a):
    """The activation's value and its derivative at ``a``, both shaped like ``a``."""
    if activation == "relu":
        return np.maximum(a, 0.0), (a > 0).astype(float)
    if activation == "tanh":
        t = np.tanh(a)
        return t, 1.0 - t ** 2
    return np.where(a > 0, a, LEAKY_SLOPE * a), np.where(a > 0, 1.0, LEAKY_SLOPE)


def _check_arguments(depth, weight_scale, activation, width=1, batch=1):
    if isinstance(depth, bool) or int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be an integer of at least 1, got {depth}")
    if not (np.isfinite(weight_scale) and weight_scale > 0):
        raise ValueError(f"weight_scale must be a positive number, got {weight_scale}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    for name, value in (("width", width), ("batch", batch)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer of at least 1, got {value}")


def _chain_gradients(weights, x, dout, activation, residual):
    """Forward then backward through the chain; return dL/dx_l for l = 0..L.

    ``L = sum(x_L * dout)``, so ``dout`` is the gradient at the output.

    Parameters
    ----------
    weights : list of L ndarrays of shape (D, D)
    x : ndarray of shape (N, D)
    dout : ndarray of shape (N, D)
    activation : str
    residual : bool

    Returns
    -------
    list of L + 1 ndarrays of shape (N, D)
        The gradient with respect to each layer's input, the network's input first.
    """
    derivatives = []
    for W in weights:
        h, derivative = _activate(activation, x @ W)
        derivatives.append(derivative)
        x = x + h if residual else h
    grads = [dout]
    for W, derivative in zip(reversed(weights), reversed(derivatives), strict=True):
        g = grads[-1]
        branch = (g * derivative) @ W.T  # back through f(x W)
        grads.append(g + branch if residual else branch)  # the skip adds g itself
    return grads[::-1]


def gradient_norms(depth, weight_scale, activation, residual, width=64, batch=32, seed=0):
    """Size of the gradient at every layer of a deep chain, relative to the output's.

    Each layer ``l`` has weights ``W_l`` drawn from ``N(0, weight_scale**2 / width)``
    (so ``weight_scale = 1`` keeps a linear layer's output about as large as its
    input, and ``sqrt(2)`` does so for ReLU: He initialisation). The same seed
    gives the same weights, inputs and output gradient whether or not
    ``residual`` is set, so the two nets differ only by their skips.

    Parameters
    ----------
    depth : int
        Number of layers L.
    weight_scale : float
        Standard deviation of the weights times ``sqrt(width)``.
    activation : {"relu", "tanh", "leaky relu"}
    residual : bool
        Add each layer's input to its output (``x_{l+1} = x_l + f(x_l W_l)``).
    width : int
        Units per layer D.
    batch : int
        Examples N in the batch.
    seed : int

    Returns
    -------
    ndarray of shape (depth + 1,)
        ``||dL/dx_l|| / ||dL/dx_L||`` for ``l = 0 .. L``: entry 0 is the
        network's input, the last entry (the output) is 1.

    Raises
    ------
    ValueError
        If an argument is out of range or the activation is unknown.
    """
    _check_arguments(depth, weight_scale, activation, width, batch)
    rng = np.random.default_rng(seed)
    weights = [weight_scale * rng.standard_normal((width, width)) / math.sqrt(width)
               for _ in range(int(depth))]
    x = rng.standard_normal((batch, width))
    dout = rng.standard_normal((batch, width))
    # Very deep, very large settings overflow float64; the figure says so.
    with np.errstate(over="ignore", invalid="ignore"):
        grads = _chain_gradients(weights, x, dout, activation, residual)
        norms = np.array([np.linalg.norm(g) for g in grads])
        return norms / norms[-1]


def gradient_flow_figure(depth, weight_scale, activation, width=64, seed=0):
    """Plot :func:`gradient_norms` of a plain and a residual chain on a log axis.

    Parameters
    ----------
    depth : int
    weight_scale : float
    activation : {"relu", "tanh", "leaky relu"}
    width : int
    seed : int

    Returns
    -------
    matplotlib.figure.Figure
        One axes with two lines, gid ``"plain"`` and ``"residual"``, whose
        y data are the relative gradient norms at layers 0..depth, and a
        dotted line at 1 (gid ``"reference"``), all three in the legend.

    Raises
    ------
    ValueError
        If an argument is out of range or the activation is unknown.
    """
    plain = gradient_norms(depth, weight_scale, activation, False, width=width, seed=seed)
    residual = gradient_norms(depth, weight_scale, activation, True, width=width, seed=seed)
    layers = np.arange(int(depth) + 1)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.axhline(1.0, color="0.5", linestyle=":", linewidth=1, gid="reference",
               label="the gradient's size at the output")
    ax.plot(layers, plain, marker=".", label=r"plain: $x_{l+1} = f(x_l W_l)$", gid="plain")
    ax.plot(layers, residual, marker=".",
            label=r"residual: $x_{l+1} = x_l + f(x_l W_l)$", gid="residual")
    ax.set_yscale("log")
    ax.set_xlabel("layer l (0 = the network's input)")
    ax.set_ylabel(r"$\|\partial L / \partial x_l\|$ / its value at the output (log scale)")
    ax.set_title(f"{int(depth)} layers, {activation}, weight scale {weight_scale:g}: "
                 f"at the input, plain {plain[0]:.1e}, residual {residual[0]:.1e}")
    ax.legend(loc="best")
    ax.grid(alpha=0.3, which="both")
    if not (np.all(np.isfinite(plain)) and np.all(np.isfinite(residual))):
        fig.suptitle("the gradient overflowed float64: the missing points are too large to store",
                     color="tab:red")
    return fig


def gradient_flow_explorer(depth=30, weight_scale=0.5, activation="tanh"):
    """Sliders for depth and weight scale, a menu of activations, over :func:`gradient_flow_figure`.

    Returns
    -------
    ipywidgets.VBox
        The three controls, then the ``Output`` showing the figure.
    """
    _check_arguments(depth, weight_scale, activation)
    return interactive_figure(
        gradient_flow_figure,
        depth=widgets.IntSlider(value=depth, min=2, max=60, description="depth",
                                continuous_update=False),
        weight_scale=widgets.FloatSlider(value=weight_scale, min=0.1, max=3.0, step=0.05,
                                         description="weight scale", continuous_update=False),
        activation=widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                    description="activation"),
    )


def singular_values_figure(spectra, floors, title, dashed=()):
    """Singular values, largest first, of several kinds of product, on a log axis.

    Each kind is drawn in one colour, one line per seed, and named once in the
    legend with its number of seeds; each floor is a horizontal line marking
    the level below which a computed value is round-off rather than a
    measurement.

    Parameters
    ----------
    spectra : dict of str -> list of ndarray of shape (D,)
        ``label -> [singular values of the product for each seed]``, each
        sorted largest first and positive.
    floors : dict of str -> float
        ``label -> level``; a positive level, e.g. machine epsilon times the
        largest singular value.
    title : str
    dashed : collection of str
        Labels of ``spectra`` drawn with dashed lines.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; the line of seed ``i`` of ``label`` has gid ``f"{label}|{i}"``,
        the floor of ``label`` gid ``f"floor|{label}"``.

    Raises
    ------
    ValueError
        If a kind has no seeds, a spectrum is not a 1-D array of positive
        values, a floor is not a positive number, or a dashed label is unknown.
    """
    if not spectra:
        raise ValueError("expected at least one kind of product, got an empty dict")
    unknown = sorted(set(dashed) - set(spectra))
    if unknown:
        raise ValueError(f"dashed names {unknown}, which are not among the spectra")
    arrays = {}
    for label, seeds in spectra.items():
        if len(seeds) == 0:
            raise ValueError(f"{label!r} has no spectrum: give one array per seed")
        arrays[label] = [np.asarray(values, dtype=float) for values in seeds]
        for values in arrays[label]:
            if values.ndim != 1 or values.size == 0 or not np.all(values > 0):
                raise ValueError(f"{label!r}: expected 1-D arrays of positive singular values, "
                                 f"got one of shape {values.shape} with minimum "
                                 f"{values.min() if values.size else 'none'}")
    for label, level in floors.items():
        if not (np.isfinite(level) and level > 0):
            raise ValueError(f"floor {label!r} must be a positive number, got {level}")
    fig, ax = plt.subplots(figsize=(8, 5))
    for index, (label, seeds) in enumerate(arrays.items()):
        colour = f"C{index}"
        style = "--" if label in dashed else "-"
        for i, values in enumerate(seeds):
            count = f" ({len(seeds)} seeds)" if len(seeds) > 1 else ""
            ax.plot(np.arange(1, values.size + 1), values, style, color=colour,
                    linewidth=1.2 if i == 0 else 0.8, alpha=1.0 if i == 0 else 0.6,
                    label=label + count if i == 0 else None, gid=f"{label}|{i}")
    for index, (label, level) in enumerate(floors.items()):
        ax.axhline(level, color="0.35", linestyle=[":", "-.", "--"][index % 3], linewidth=1.2,
                   label=label, gid=f"floor|{label}")
    ax.set_yscale("log")
    ax.set_xlabel("index of the singular value (1 = largest)")
    ax.set_ylabel("singular value (log scale)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return fig
