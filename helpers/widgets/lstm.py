"""Notebook 04's widgets: how far a gradient travels back through an LSTM, and its gates.

:func:`gradient_norms_through_time` runs a vanilla RNN and an LSTM with random
weights in plain numpy and returns ``||dL/dh_1||`` for ``L = u . h_T`` (``u`` a
fixed random unit vector) and every ``T``. It is its own computation, not the
notebook's graded exercise, so the widget works before any exercise is done.
:func:`gradient_norm_figure` plots both against T; :func:`gradient_norm_explorer`
adds sliders for T and the LSTM's forget-gate bias.
:func:`record_gates` runs a trained LSTM over one sequence and records its gates;
:func:`gate_inspector_figure` draws the gates and the cell of one sequence up to
a chosen step; :func:`gate_inspector` adds a slider for the step.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.widgets.base import interactive_figure

__all__ = [
    "GATE_NAMES",
    "REFERENCE_FORGET_BIASES",
    "gate_inspector",
    "gate_inspector_figure",
    "gradient_norm_explorer",
    "gradient_norm_figure",
    "gradient_norms_through_time",
    "record_gates",
]

REFERENCE_FORGET_BIASES = (0.0, 1.0, 3.0)
GATE_NAMES = ("i", "f", "o", "c")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _check_arguments(steps, forget_bias=0.0, hidden_size=16):
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    if not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias must be a finite number, got {forget_bias}")
    if int(hidden_size) != hidden_size or hidden_size < 1:
        raise ValueError(f"hidden_size must be a positive integer, got {hidden_size}")


def gradient_norms_through_time(steps=100, forget_bias=1.0, hidden_size=16, seed=0):
    """``||dL/dh_1||`` for ``L = u . h_T``, T = 1 .. steps, for an RNN and an LSTM.

    Both networks read the same random inputs (4 features, standard normal) and
    start from a small random state. Weights are standard normal divided by the
    square root of their fan-in; the RNN's recurrent matrix is rescaled to
    spectral radius 1, its most favourable setting. The LSTM's forget-gate
    biases are ``forget_bias``, its other biases zero. The gradient of ``h_T``
    with respect to ``h_1`` is carried forward as a Jacobian, one step at a time
    (for the LSTM through both ``h`` and ``c``).

    Returns
    -------
    dict
        ``{"rnn": ndarray of shape (steps,), "lstm": ndarray of shape (steps,)}``;
        entry ``T - 1`` is the norm for ``T`` (1 at T = 1, where ``L = u . h_1``).
    """
    _check_arguments(steps, forget_bias, hidden_size)
    steps, H, D = int(steps), int(hidden_size), 4
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, D))
    u = rng.standard_normal(H)
    u /= np.linalg.norm(u)
    h_start = 0.1 * rng.standard_normal(H)

    # Vanilla RNN, column convention: h_t = tanh(W_hh h_{t-1} + W_xh x_t).
    W_hh = rng.standard_normal((H, H))
    W_hh /= np.max(np.abs(np.linalg.eigvals(W_hh)))
    W_xh = rng.standard_normal((H, D)) / np.sqrt(D)
    h, J = h_start, np.eye(H)  # J = dh_t / dh_1
    rnn = np.empty(steps)
    rnn[0] = 1.0
    for t in range(1, steps):
        h = np.tanh(W_hh @ h + W_xh @ x[t])
        J = (1 - h ** 2)[:, None] * (W_hh @ J)
        rnn[t] = np.linalg.norm(u @ J)

    # LSTM, gates stacked i, f, g, o: a = W_x x_t + W_h h_{t-1} + b, of size 4H.
    Wx = rng.standard_normal((4 * H, D)) / np.sqrt(D)
    Wh = rng.standard_normal((4 * H, H)) / np.sqrt(H)
    b = np.zeros(4 * H)
    b[H:2 * H] = forget_bias
    h, c = h_start, np.zeros(H)
    Jh, Jc = np.eye(H), np.zeros((H, H))  # dh_t / dh_1 and dc_t / dh_1
    lstm = np.empty(steps)
    lstm[0] = 1.0
    for t in range(1, steps):
        a = Wx @ x[t] + Wh @ h + b
        i, f = _sigmoid(a[:H]), _sigmoid(a[H:2 * H])
        g, o = np.tanh(a[2 * H:3 * H]), _sigmoid(a[3 * H:])
        da = Wh @ Jh  # (4H, H): how each pre-activation moves with h_1
        c_next = f * c + i * g
        Jc = (f[:, None] * Jc + (c * f * (1 - f))[:, None] * da[H:2 * H]
              + (g * i * (1 - i))[:, None] * da[:H] + (i * (1 - g ** 2))[:, None] * da[2 * H:3 * H])
        tanh_c = np.tanh(c_next)
        Jh = (tanh_c * o * (1 - o))[:, None] * da[3 * H:] + (o * (1 - tanh_c ** 2))[:, None] * Jc
        h, c = o * tanh_c, c_next
        lstm[t] = np.linalg.norm(u @ Jh)
    return {"rnn": rnn, "lstm": lstm}


def gradient_norm_figure(steps=100, forget_bias=1.0, hidden_size=16, seed=0):
    """Plot :func:`gradient_norms_through_time` against T on a log axis.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with the RNN (gid ``"rnn"``), the LSTM for each of
        :data:`REFERENCE_FORGET_BIASES` (gid ``"lstm bias 0"``, ...) and a dashed
        black line for the slider's ``forget_bias`` (gid ``"chosen"``).
    """
    _check_arguments(steps, forget_bias, hidden_size)
    T = np.arange(1, int(steps) + 1)
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    reference = gradient_norms_through_time(steps, 0.0, hidden_size, seed)
    ax.plot(T, reference["rnn"], color="tab:red", linewidth=1.5,
            label="vanilla RNN (spectral radius 1)", gid="rnn")
    for bias in REFERENCE_FORGET_BIASES:
        norms = gradient_norms_through_time(steps, bias, hidden_size, seed)["lstm"]
        ax.plot(T, norms, linewidth=1.2, alpha=0.7, label=f"LSTM, forget bias {bias:g}",
                gid=f"lstm bias {bias:g}")
    chosen = gradient_norms_through_time(steps, forget_bias, hidden_size, seed)["lstm"]
    ax.plot(T, chosen, color="black", linewidth=2, linestyle="--",
            label=f"LSTM, slider: {forget_bias:g}", gid="chosen")
    ax.set_yscale("log")
    ax.set_xlabel("T (time steps between h_1 and h_T)")
    ax.set_ylabel(r"$\|\partial L / \partial h_1\|$ with $L = u \cdot h_T$ (log scale)")
    ax.set_title(f"{int(hidden_size)} units, random weights: at T = {int(steps)}, "
                 f"RNN {reference['rnn'][-1]:.1e}, LSTM {chosen[-1]:.1e}")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3, which="both")
    return fig


def gradient_norm_explorer(steps=100, forget_bias=1.0):
    """Sliders for T and the LSTM's forget-gate bias over :func:`gradient_norm_figure`."""
    _check_arguments(steps, forget_bias)
    return interactive_figure(
        gradient_norm_figure,
        steps=widgets.IntSlider(value=steps, min=10, max=300, step=10, description="T",
                                continuous_update=False),
        forget_bias=widgets.FloatSlider(value=forget_bias, min=-3.0, max=6.0, step=0.5,
                                        description="forget bias", continuous_update=False),
    )


def gate_inspector_figure(x, gates, step):
    """The inputs, and the gates i, f, o and the cell c of one sequence, up to ``step``.

    Parameters
    ----------
    x : ndarray of shape (T, 2)
        One adding-problem sequence: numbers in column 0, markers in column 1.
    gates : dict
        ``{"i": ..., "f": ..., "o": ..., "c": ...}``, each an ndarray of shape
        (T, H): the gates' values and the cell state at every step.
    step : int
        The step to show, 0 .. T - 1; later steps are greyed out.

    Returns
    -------
    matplotlib.figure.Figure
        Five axes: the inputs, then one heat map per name of :data:`GATE_NAMES`
        (units down, time across) with a vertical line at ``step``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"expected x of shape (T, 2), got {x.shape}")
    T = x.shape[0]
    missing = [name for name in GATE_NAMES if name not in gates]
    if missing:
        raise ValueError(f"gates lacks {', '.join(missing)}")
    for name in GATE_NAMES:
        if np.shape(gates[name])[0] != T or np.ndim(gates[name]) != 2:
            raise ValueError(f"expected gates[{name!r}] of shape (T={T}, H), "
                             f"got {np.shape(gates[name])}")
    if int(step) != step or not 0 <= step < T:
        raise ValueError(f"step must be an integer in 0 .. {T - 1}, got {step}")
    step = int(step)
    fig, axes = plt.subplots(5, 1, figsize=(8, 8.5), sharex=True,
                             gridspec_kw={"height_ratios": [1, 1.4, 1.4, 1.4, 1.4]})
    axes[0].bar(np.arange(T), x[:, 0], color=np.where(x[:, 1] > 0, "tab:red", "0.7"))
    axes[0].set_ylabel("number")
    axes[0].set_title(f"step {step}: input {x[step, 0]:.2f}"
                      + (" (marked)" if x[step, 1] > 0 else "") + "; red bars are marked")
    labels = {"i": "input gate i", "f": "forget gate f", "o": "output gate o", "c": "cell c"}
    for ax, name in zip(axes[1:], GATE_NAMES, strict=True):
        values = np.asarray(gates[name], dtype=float).T  # (H, T): one row per unit
        shown = np.where(np.arange(T) <= step, values, np.nan)
        if name == "c":
            limit = max(np.nanmax(np.abs(values)), 1e-6)
            image = ax.imshow(shown, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                              interpolation="nearest")
        else:
            image = ax.imshow(shown, aspect="auto", cmap="viridis", vmin=0, vmax=1,
                              interpolation="nearest")
        ax.axvline(step, color="black", linewidth=1)
        ax.set_ylabel("unit")
        ax.set_title(f"{labels[name]}", fontsize="small")
        fig.colorbar(image, ax=ax, pad=0.01)
    axes[-1].set_xlabel("time step t")
    fig.suptitle("Inside an LSTM reading one sequence")
    fig.tight_layout()
    return fig


def gate_inspector(x, gates, step=0):
    """A slider for the time step over :func:`gate_inspector_figure`."""
    T = np.shape(x)[0]
    return interactive_figure(
        lambda step: gate_inspector_figure(x, gates, step),
        step=widgets.IntSlider(value=step, min=0, max=T - 1, step=1, description="step",
                               continuous_update=False),
    )


def record_gates(x, Wx, Wh, b):
    """Run an LSTM (gates stacked i, f, g, o) over one sequence and record what it does.

    Parameters
    ----------
    x : ndarray of shape (T, D)
        One sequence.
    Wx : ndarray of shape (D, 4H)
    Wh : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)

    Returns
    -------
    dict of str to ndarray of shape (T, H)
        The gates ``"i"``, ``"f"``, ``"o"``, the cell ``"c"`` and the hidden state
        ``"h"`` at every step, starting from zero states. This is the widget's own
        LSTM step, so the inspector can show gates the notebook's functions keep
        in their private caches.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or Wx.shape[0] != x.shape[1] or Wx.shape[1] % 4:
        raise ValueError(f"expected x of shape (T, D) and Wx of shape (D, 4H), got {x.shape} "
                         f"and {np.shape(Wx)}")
    H = Wh.shape[0]
    h, c = np.zeros(H), np.zeros(H)
    record = {name: [] for name in ("i", "f", "o", "c", "h")}
    for x_t in x:
        a = x_t @ Wx + h @ Wh + b                       # (4H,): blocks i, f, g, o
        i, f, o = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), _sigmoid(a[3 * H:])
        c = f * c + i * np.tanh(a[2 * H:3 * H])
        h = o * np.tanh(c)
        for name, value in (("i", i), ("f", f), ("o", o), ("c", c), ("h", h)):
            record[name].append(value)
    return {name: np.array(values) for name, values in record.items()}
