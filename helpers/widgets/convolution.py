"""Notebook 01's widgets: the sliding-window explorer and the kernel playground.

Each is a pure figure function (``*_figure``) that tests call directly, and a
wrapper that wires controls to it through :func:`helpers.widgets.base.interactive_figure`.
The student's own functions (``conv_output_size``, a convolution) come in as
arguments, so no exercise answer lives here.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from helpers.plots import cell_grid, outline_cells, show_matrix, show_signed
from helpers.widgets.base import _render, interactive_figure

__all__ = [
    "KERNEL_PRESETS",
    "kernel_playground",
    "kernel_playground_figure",
    "sliding_window_explorer",
    "sliding_window_figure",
    "window_taps",
]

KERNEL_PRESETS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "box blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "Sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "Sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
}



# --------------------------------------------------------------------------- sliding window

def window_taps(row, col, k, s=1, d=1):
    """Padded-input positions the kernel reads to compute output ``(row, col)``.

    Tap ``(i, j)`` of a K x K kernel with stride S and dilation D sits at
    ``(row * S + i * D, col * S + j * D)``.

    Returns
    -------
    list of (int, int)
        ``K * K`` positions in row-major tap order.
    """
    return [(row * s + i * d, col * s + j * d) for i in range(k) for j in range(k)]


def _check_positive_int(name, value, minimum):
    if int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value}")
    return int(value)


def sliding_window_figure(n, k, p=0, s=1, d=1, row=0, col=0, output_size=None):
    """Draw which input cells a convolution reads for one output cell.

    Parameters
    ----------
    n : int
        Input size N (the input is N x N).
    k : int
        Kernel size K (the kernel is K x K).
    p, s, d : int
        Padding P, stride S, dilation D.
    row, col : int
        Output position; clipped to the output grid.
    output_size : callable ``(n, k, p, s, d) -> int``
        The student's ``conv_output_size``. Its ``ValueError`` (kernel does
        not fit) is shown in the figure title; its ``NotImplementedError``
        (unfinished) propagates.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the (N+2P) x (N+2P) padded input with the K*K taps and
        the dilated window's outline, and the output grid with the current
        cell. The taps are patches with gid ``"tap"``, the outline has gid
        ``"window"`` and the output cell gid ``"output cell"``.

    Raises
    ------
    ValueError
        If a size is not a positive integer (or ``p`` negative), or
        ``output_size`` is missing.
    """
    if output_size is None:
        raise ValueError("output_size is required: pass your conv_output_size")
    n = _check_positive_int("n", n, 1)
    k = _check_positive_int("k", k, 1)
    p = _check_positive_int("p", p, 0)
    s = _check_positive_int("s", s, 1)
    d = _check_positive_int("d", d, 1)
    padded = n + 2 * p
    fig, (ax_in, ax_out) = plt.subplots(
        1, 2, figsize=(10, 5.6), gridspec_kw={"width_ratios": [1, 1]}, layout="constrained")

    # 0 = padding, 1 = real input: two flat colours tell them apart at a glance.
    grid = np.zeros((padded, padded))
    grid[p:p + n, p:p + n] = 1
    ax_in.imshow(grid, cmap=ListedColormap(["0.82", "white"]), vmin=0, vmax=1)
    # Numbered rows and columns: the notebook's text names cells by index.
    cell_grid(ax_in, padded, padded, ticks=True, fontsize=7 if padded > 12 else 8)
    ax_in.set_title(f"input {n}x{n}, padding {p} ({padded}x{padded} padded)")
    ax_in.set_xlabel("column of the padded input")
    ax_in.set_ylabel("row of the padded input")
    formula = f"floor(({n} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1"

    try:
        out = output_size(n, k, p, s, d)
    except ValueError as error:
        fig.suptitle(f"no output: {error}", color="tab:red")
        ax_out.axis("off")
        ax_out.set_title(f"output =\n{formula}")
        return fig
    if isinstance(out, bool) or not np.isscalar(out) or int(out) != out or out < 1:
        fig.suptitle(f"output_size returned {out!r}; expected a positive integer",
                     color="tab:red")
        ax_out.axis("off")
        return fig
    out = int(out)
    row = min(max(int(row), 0), out - 1)
    col = min(max(int(col), 0), out - 1)

    taps = window_taps(row, col, k, s, d)
    outline_cells(ax_in, taps, color="tab:orange", fill=True, alpha=0.8, linewidth=1, gid="tap")
    span = d * (k - 1) + 1
    ax_in.add_patch(plt.Rectangle(
        (col * s - 0.5, row * s - 0.5), span, span, fill=False, edgecolor="tab:red",
        linewidth=2.5, linestyle="--", gid="window"))
    # Fixed limits: if the student's output size is too large the window walks
    # off the grid, and the figure should show that rather than rescale.
    ax_in.set_xlim(-0.5, padded - 0.5)
    ax_in.set_ylim(padded - 0.5, -0.5)
    if any(r >= padded or c >= padded for r, c in taps):
        fig.suptitle("the window leaves the padded input: check output_size", color="tab:red")
    ax_in.legend(
        handles=[Patch(facecolor="white", edgecolor="0.6", label="input"),
                 Patch(facecolor="0.82", edgecolor="0.6", label="padding"),
                 Patch(facecolor="tab:orange", label="kernel tap"),
                 Patch(facecolor="none", edgecolor="tab:red", linestyle="--",
                       label=f"window {span}x{span}")],
        loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4, fontsize=8, frameon=False)

    ax_out.imshow(np.zeros((out, out)), cmap=ListedColormap(["white"]), vmin=0, vmax=1)
    cell_grid(ax_out, out, out, ticks=True)
    outline_cells(ax_out, [(row, col)], color="tab:orange", fill=True, alpha=0.8,
                  gid="output cell")
    # The formula on its own line: long settings never push it into the input's title.
    ax_out.set_title(f"output {out}x{out} =\n{formula}")
    ax_out.set_xlabel(f"column of the output (computing out[{row}, {col}])")
    ax_out.set_ylabel("row of the output")
    return fig


def sliding_window_explorer(output_size):
    """Sliders for N, K, P, S, D and the output position over :func:`sliding_window_figure`.

    Parameters
    ----------
    output_size : callable ``(n, k, p, s, d) -> int``
        The student's ``conv_output_size``.

    Returns
    -------
    ipywidgets.VBox
    """
    def slider(description, low, high, value):
        # Redraw on release only: drawing per pixel of drag makes the widget lag.
        return widgets.IntSlider(value=value, min=low, max=high, description=description,
                                 continuous_update=False)

    def figure(**values):
        return sliding_window_figure(**values, output_size=output_size)

    return interactive_figure(
        figure,
        n=slider("N", 3, 12, 5), k=slider("K", 1, 7, 3), p=slider("P", 0, 3, 0),
        s=slider("S", 1, 4, 1), d=slider("D", 1, 3, 1),
        row=slider("out row", 0, 11, 0), col=slider("out col", 0, 11, 0),
    )


# --------------------------------------------------------------------------- kernel playground

def kernel_playground_figure(image, kernel, convolve, name=None):
    """Show an image, a 3x3 kernel and the image filtered by it.

    Parameters
    ----------
    image : ndarray of shape (H, W)
        Grayscale image.
    kernel : array_like of shape (3, 3)
    convolve : callable ``(image, kernel) -> ndarray of shape (H, W)``
        Cross-correlation with "same" output size, given by the notebook.
    name : str, optional
        Name of the kernel for its panel's title.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes: input, kernel (numbers), output, then the output's colour
        bar. A signed output is drawn with a diverging colour map centred on 0
        (its colour bar marks 0), otherwise in gray.

    Raises
    ------
    ValueError
        If ``image`` is not 2-D, ``kernel`` is not 3x3, or ``convolve``
        returns something that is not 2-D.
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"expected a grayscale image of shape (H, W), got shape {image.shape}")
    kernel = np.asarray(kernel, dtype=float)
    if kernel.shape != (3, 3):
        raise ValueError(f"expected a kernel of shape (3, 3), got shape {kernel.shape}")
    out = np.asarray(convolve(image, kernel), dtype=float)
    if out.ndim != 2:
        raise ValueError(f"convolve returned shape {out.shape}, expected a 2-D image")

    fig, (ax_in, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=(13, 4.4), gridspec_kw={"width_ratios": [1, 0.7, 1.15]},
        layout="constrained")
    ax_in.imshow(image, cmap="gray")
    ax_in.set_title(f"input {image.shape[0]}x{image.shape[1]}")

    limit = float(np.abs(kernel).max()) or 1.0
    show_matrix(ax_k, kernel, title=f"kernel: {name}" if name else "kernel",
                cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax_k.set_xlabel("kernel column")
    ax_k.set_ylabel("kernel row")

    low, high = float(out.min()), float(out.max())
    if low < 0:
        # Edge filters give signed responses; a symmetric diverging scale shows
        # both signs and keeps 0 (no edge) neutral, and its colour bar marks 0.
        show_signed(ax_out, out, label="response")
    else:
        shown = ax_out.imshow(out, cmap="gray")
        fig.colorbar(shown, ax=ax_out, fraction=0.046, pad=0.04, label="response")
    ax_out.set_title(f"output {out.shape[0]}x{out.shape[1]}, values {low:.2f} to {high:.2f}")
    for ax in (ax_in, ax_out):
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    return fig


def kernel_playground(image, convolve):
    """A preset menu and an editable 3x3 kernel over :func:`kernel_playground_figure`.

    Picking a preset fills the nine boxes and redraws once; editing a box
    redraws with the edited kernel and clears the menu (pick the preset
    again to restore it).

    Parameters
    ----------
    image : ndarray of shape (H, W)
    convolve : callable ``(image, kernel) -> ndarray of shape (H, W)``

    Returns
    -------
    ipywidgets.VBox
        Children: the preset ``Dropdown``, a ``GridBox`` of nine
        ``FloatText`` (row-major), the ``Output``.
    """
    menu = widgets.Dropdown(options=list(KERNEL_PRESETS), value="identity", description="preset")
    boxes = [widgets.FloatText(value=float(v), step=0.1, layout=widgets.Layout(width="80px"))
             for v in KERNEL_PRESETS["identity"].ravel()]
    grid = widgets.GridBox(boxes, layout=widgets.Layout(grid_template_columns="repeat(3, 90px)"))
    output = widgets.Output()
    state = {"filling": False}

    def redraw():
        kernel = np.array([box.value for box in boxes]).reshape(3, 3)
        _render(output, kernel_playground_figure,
                {"image": image, "kernel": kernel, "convolve": convolve, "name": menu.value})

    def on_preset(change):
        if change["new"] is None:
            return
        # Fill all nine boxes first and draw once, not once per box.
        state["filling"] = True
        try:
            for box, value in zip(boxes, KERNEL_PRESETS[change["new"]].ravel(), strict=True):
                box.value = float(value)
        finally:
            state["filling"] = False
        redraw()

    def on_edit(_change):
        if state["filling"]:
            return
        if menu.value is not None:
            # The kernel is no longer the preset; clearing the menu also lets
            # the student pick the same preset again to reset it.
            state["filling"] = True
            try:
                menu.value = None
            finally:
                state["filling"] = False
        redraw()

    menu.observe(on_preset, names="value")
    for box in boxes:
        box.observe(on_edit, names="value")
    redraw()
    return widgets.VBox([menu, grid, output])
