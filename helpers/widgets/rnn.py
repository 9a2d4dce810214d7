"""Notebook 03's widgets: how far a gradient travels back in time, and sampling temperature.

:func:`hidden_jacobian_norms` runs a small vanilla RNN in plain numpy, with a
recurrent matrix ``W_hh`` rescaled to a chosen spectral radius, and returns
the size of ``dh_T / dh_1`` for every ``T``. It is its own computation, not the
notebook's graded exercise, so the widget works before any exercise is done.
:func:`spectral_radius_figure` plots it for the radii 0.9, 1.0, 1.1 and the
slider's; :func:`spectral_radius_explorer` wires the controls to it.
:func:`sampling_explorer` shows text sampled at the temperature of a slider.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.widgets.base import FINISH_MESSAGE, interactive_figure

__all__ = [
    "RECURRENT_ACTIVATIONS",
    "REFERENCE_RADII",
    "hidden_jacobian_norms",
    "recurrent_matrix",
    "sampling_explorer",
    "spectral_radius_explorer",
    "spectral_radius_figure",
]

RECURRENT_ACTIVATIONS = ("linear", "tanh")
REFERENCE_RADII = (0.9, 1.0, 1.1)


def _check_arguments(steps, radius, activation, input_scale=1.0, hidden_size=1):
    for name, value in (("steps", steps), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer of at least 1, got {value}")
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a positive number, got {radius}")
    if activation not in RECURRENT_ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(RECURRENT_ACTIVATIONS)}; "
                         f"got {activation!r}")
    if not (np.isfinite(input_scale) and input_scale >= 0):
        raise ValueError(f"input_scale must be a non-negative number, got {input_scale}")


def recurrent_matrix(hidden_size, radius, seed=0):
    """A random Gaussian square matrix of side ``hidden_size`` with spectral radius ``radius``.

    The spectral radius is the largest absolute value of the eigenvalues. The
    same seed gives the same matrix up to the scale, whatever the radius.
    """
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((hidden_size, hidden_size))
    return radius * G / np.max(np.abs(np.linalg.eigvals(G)))


def hidden_jacobian_norms(steps, radius, activation="tanh", hidden_size=32, input_scale=1.0,
                          seed=0):
    """``||dh_T / dh_1||`` (spectral norm) for ``T = 1 .. steps`` in a random vanilla RNN.

    The RNN is ``h_t = f(W_hh h_{t-1} + x_t)`` with ``W_hh`` from
    :func:`recurrent_matrix`, ``h_1`` and the inputs ``x_t`` drawn from
    ``N(0, input_scale**2)``, and ``f`` tanh or the identity. Then
    ``dh_T / dh_1 = prod_{t=2..T} diag(f'(a_t)) W_hh`` with ``a_t`` the
    pre-activation of step ``t``.

    Parameters
    ----------
    steps : int
        The largest T.
    radius : float
        Spectral radius of W_hh.
    activation : {"linear", "tanh"}
    hidden_size : int
    input_scale : float
        Standard deviation of the inputs; larger inputs saturate tanh more.
    seed : int

    Returns
    -------
    ndarray of shape (steps,)
        Entry ``T - 1`` is ``||dh_T / dh_1||_2``; entry 0 (T = 1, the identity) is 1.
    """
    _check_arguments(steps, radius, activation, input_scale, hidden_size)
    W = recurrent_matrix(int(hidden_size), radius, seed)
    rng = np.random.default_rng(seed + 1)
    h = input_scale * rng.standard_normal(int(hidden_size))
    jacobian = np.eye(int(hidden_size))
    norms = [1.0]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(steps) - 1):
            a = W @ h + input_scale * rng.standard_normal(int(hidden_size))
            if activation == "tanh":
                h = np.tanh(a)
                derivative = 1.0 - h ** 2
            else:
                h = a
                derivative = np.ones_like(a)
            jacobian = (derivative[:, None] * W) @ jacobian  # diag(f'(a_t)) W_hh (dh_{t-1}/dh_1)
            norms.append(float(np.linalg.norm(jacobian, 2)))
    return np.array(norms)


def spectral_radius_figure(steps=60, radius=1.0, activation="linear", input_scale=1.0,
                           hidden_size=32, seed=0):
    """Plot :func:`hidden_jacobian_norms` against T for 0.9, 1.0, 1.1 and ``radius``, log axis.

    Returns
    -------
    matplotlib.figure.Figure
        One axes on a log scale with a line per reference radius (gid
        ``"radius 0.9"``, ...) and a dashed black line for ``radius`` (gid
        ``"chosen"``), whose y data are the norms for T = 1 .. steps, and a dotted
        level at 1 (gid ``"one"``), where the gradient keeps its size.
    """
    _check_arguments(steps, radius, activation, input_scale, hidden_size)
    T = np.arange(1, int(steps) + 1)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ax.axhline(1.0, color="0.4", linewidth=0.8, linestyle=":",
               label="1: the gradient keeps its size", gid="one")
    for reference in REFERENCE_RADII:
        norms = hidden_jacobian_norms(steps, reference, activation, hidden_size, input_scale, seed)
        # wide and pale, so that the slider's dashed line stays readable on top of its twin
        ax.plot(T, norms, linewidth=3, alpha=0.55, label=f"spectral radius {reference:g}",
                gid=f"radius {reference:g}")
    chosen = hidden_jacobian_norms(steps, radius, activation, hidden_size, input_scale, seed)
    ax.plot(T, chosen, color="black", linewidth=1.5, linestyle="--",
            label=f"slider: radius {radius:g}", gid="chosen")
    ax.set_yscale("log")
    ax.set_xlabel("T (time steps between h_1 and h_T)")
    ax.set_ylabel(r"$\|\partial h_T / \partial h_1\|_2$ (log scale)")
    # a linear RNN's Jacobian does not depend on its inputs, so their scale is named for tanh only
    setting = "" if activation == "linear" else f", input scale {input_scale:g}"
    ax.set_title(f"{activation} RNN, {int(hidden_size)} units{setting}\n"
                 f"slider's radius {radius:g}: {chosen[-1]:.1e} at T = {int(steps)}", fontsize=11)
    ax.legend(loc="best", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def spectral_radius_explorer(steps=60, radius=1.0, activation="linear", input_scale=1.0):
    """Sliders for T, the spectral radius and the input scale, a menu of activations.

    Returns
    -------
    ipywidgets.VBox
        The controls, then the ``Output`` showing :func:`spectral_radius_figure`.
    """
    _check_arguments(steps, radius, activation, input_scale)
    return interactive_figure(
        spectral_radius_figure,
        steps=widgets.IntSlider(value=steps, min=5, max=200, step=5, description="T",
                                continuous_update=False),
        radius=widgets.FloatSlider(value=radius, min=0.5, max=1.5, step=0.01,
                                   description="radius", continuous_update=False),
        activation=widgets.Dropdown(options=list(RECURRENT_ACTIVATIONS), value=activation,
                                    description="activation"),
        input_scale=widgets.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1,
                                        description="input scale", continuous_update=False),
    )


def sampling_explorer(sample_fn, temperature=1.0):
    """A temperature slider over ``sample_fn(temperature) -> str``, shown as text.

    An unfinished exercise (``NotImplementedError``) shows
    :data:`helpers.widgets.FINISH_MESSAGE` instead.

    Returns
    -------
    ipywidgets.VBox
        The slider, then the ``Output`` holding the text (drawn once at creation).
    """
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature}")
    slider = widgets.FloatSlider(value=temperature, min=0.1, max=2.0, step=0.05,
                                 description="temperature", continuous_update=False)
    output = widgets.Output()

    def redraw(_change=None):
        try:
            text = sample_fn(slider.value)
        except NotImplementedError:
            text = FINISH_MESSAGE
        output.outputs = ({"output_type": "stream", "name": "stdout", "text": text + "\n"},)

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, output])
