"""Figures the notebooks share: heat maps with numbers, image grids, curves and bar charts.

Every notebook draws through these so that all figures look alike (titles,
labelled axes, a legend when several lines are drawn, a colour bar centred on
zero for signed images). ``show_matrix``, ``show_signed`` and ``outline_cells``
draw on an existing axes; the others return a new ``matplotlib.figure.Figure``
(or the figure of the ``ax`` they were given). ``helpers.widgets`` builds its
interactive figures from the same pieces.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

__all__ = [
    "bar_chart",
    "cell_grid",
    "outline_cells",
    "plot_curves",
    "show_images",
    "show_matrix",
    "show_signed",
]


def cell_grid(ax, nrows, ncols, color="0.6", linewidth=0.8, ticks=False, fontsize=8):
    """Draw thin lines between the cells of an ``imshow`` grid; hide the ticks or number the cells.

    Cell ``(r, c)`` of an image drawn with ``imshow`` is centred on ``(x=c, y=r)``,
    so the lines sit on the half-integers. With ``ticks=True`` every row and
    column is labelled with its index (0, 1, 2, ...), for figures whose text
    names cells by index; by default there are no tick labels.
    """
    ax.set_xticks(np.arange(-0.5, ncols, 1.0), minor=True)
    ax.set_yticks(np.arange(-0.5, nrows, 1.0), minor=True)
    if ticks:
        ax.set_xticks(range(ncols))
        ax.set_yticks(range(nrows))
        ax.tick_params(which="major", labelsize=fontsize)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.grid(which="minor", color=color, linewidth=linewidth)
    ax.tick_params(which="both", length=0)


def outline_cells(ax, cells, color="tab:red", linewidth=2.0, fill=False, alpha=1.0, gid=None):
    """Outline (or fill) cells ``(row, col)`` of an ``imshow`` grid; return the patches.

    ``gid`` is stored on each patch so tests and callers can find them again
    among ``ax.patches``.
    """
    patches = []
    for r, c in cells:
        patch = Rectangle(
            (c - 0.5, r - 0.5), 1, 1,
            fill=fill, facecolor=color if fill else "none", edgecolor=color,
            linewidth=linewidth, alpha=alpha, gid=gid,
        )
        ax.add_patch(patch)
        patches.append(patch)
    return patches


def show_matrix(ax, array, title=None, fmt="{:.2f}", cmap="Blues", highlight=None,
                annotate=True, vmin=None, vmax=None):
    """Draw a 2-D array as a heat map with each cell's number written in it.

    Parameters
    ----------
    ax : matplotlib Axes
    array : array_like of shape (H, W)
    title : str, optional
    fmt : str
        Format of the numbers, e.g. ``"{:.2f}"`` or ``"{:d}"``-like ``"{:.0f}"``.
    cmap : str or Colormap
    highlight : array_like of bool, shape (H, W), optional
        Cells to outline in red (e.g. the window being computed).
    annotate : bool
        Write the numbers; switch off for large matrices.
    vmin, vmax : float, optional
        Colour limits (e.g. symmetric limits for signed values).

    Returns
    -------
    matplotlib.image.AxesImage
        The image artist (for a colour bar).

    Raises
    ------
    ValueError
        If ``array`` is not 2-D or ``highlight`` does not have its shape.
    """
    values = np.asarray(array, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {values.shape}")
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    nrows, ncols = values.shape
    if annotate:
        for (r, c), value in np.ndenumerate(values):
            if not np.isfinite(value):
                continue
            # Pick the text colour from the cell's own colour so numbers stay
            # readable on both the dark and the light end of the colour map.
            red, green, blue, _ = image.cmap(image.norm(value))
            luminance = 0.299 * red + 0.587 * green + 0.114 * blue
            ax.text(c, r, fmt.format(value), ha="center", va="center", fontsize=9,
                    color="white" if luminance < 0.5 else "black")
    ax.set_xticks(range(ncols))
    ax.set_yticks(range(nrows))
    if highlight is not None:
        mask = np.asarray(highlight, dtype=bool)
        if mask.shape != values.shape:
            raise ValueError(
                f"highlight has shape {mask.shape}, expected the array's shape {values.shape}")
        outline_cells(ax, zip(*np.nonzero(mask), strict=True), gid="highlight")
    if title is not None:
        ax.set_title(title)
    return image


def show_signed(ax, array, title=None, cmap="RdBu_r", colorbar=True, label=None):
    """Draw a signed 2-D array on a diverging colour map whose neutral colour is zero.

    The colour limits are symmetric (``-m`` to ``m``, ``m`` the largest absolute
    value), so white always means 0, and the colour bar marks ``-m``, 0 and ``m``:
    the sign of every cell reads at a glance, whatever the range.

    Parameters
    ----------
    ax : matplotlib Axes
    array : array_like of shape (H, W)
    title : str, optional
    cmap : str or Colormap
        A diverging colour map (neutral in the middle).
    colorbar : bool
        Draw a colour bar beside the axes.
    label : str, optional
        The colour bar's label (what the colours measure).

    Returns
    -------
    matplotlib.image.AxesImage

    Raises
    ------
    ValueError
        If ``array`` is not 2-D.
    """
    values = np.asarray(array, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {values.shape}")
    finite = values[np.isfinite(values)]
    limit = float(np.abs(finite).max()) if finite.size else 0.0
    limit = limit or 1.0  # an all-zero image: any symmetric range shows it as white
    image = ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        bar.set_ticks([-limit, 0.0, limit])
        bar.set_ticklabels([f"{-limit:.3g}", "0", f"{limit:.3g}"])
        if label is not None:
            bar.set_label(label)
    if title is not None:
        ax.set_title(title)
    return image


def show_images(images, titles=None, ncols=None, cmap="gray", suptitle=None, size=2.0,
                signed=False, colorbar=False):
    """Show images in a grid, axes off, a title over each.

    Parameters
    ----------
    images : sequence of ndarray of shape (H, W) or (H, W, 3) or (H, W, 4)
        Or one array of shape (N, H, W) / (N, H, W, 3).
    titles : sequence of str, optional
        One per image.
    ncols : int, optional
        Columns of the grid; default ``min(len(images), 8)``.
    cmap : str
        Colour map for the 2-D images.
    suptitle : str, optional
        Title of the whole figure.
    size : float
        Width and height of one image in inches.
    signed : bool
        Draw every 2-D image that has negative values with :func:`show_signed`
        (a diverging colour map centred on zero) instead of ``cmap``.
    colorbar : bool
        Give every 2-D image a colour bar (signed images always get one when
        ``signed`` is set).

    Returns
    -------
    matplotlib.figure.Figure
        Laid out so that no title overlaps a neighbouring image.

    Raises
    ------
    ValueError
        If there are no images, an image has the wrong number of dimensions,
        or ``titles`` and ``images`` differ in length.
    """
    images = list(images)
    if not images:
        raise ValueError("expected at least one image, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    ncols = min(len(images), 8) if ncols is None else int(ncols)
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    nrows = math.ceil(len(images) / ncols)
    # Room for each row's titles (and colour bars) beside the images themselves;
    # the constrained layout then keeps every title clear of the row above it.
    width = (size * 1.25 if (colorbar or signed) else size) * ncols
    height = (size + 0.35) * nrows + (0.4 if suptitle is not None else 0.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False,
                             layout="constrained")
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(images):
            continue
        image = np.asarray(images[index])
        if image.ndim == 2 and signed and bool(np.nanmin(image) < 0):
            show_signed(ax, image)
        elif image.ndim == 2:
            shown = ax.imshow(image, cmap=cmap)
            if colorbar:
                fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        elif image.ndim == 3 and image.shape[2] in (3, 4):
            ax.imshow(image)
        else:
            raise ValueError(
                f"image {index} has shape {image.shape}, expected (H, W), (H, W, 3) or (H, W, 4)")
        if titles is not None:
            ax.set_title(titles[index], fontsize=9)
    if suptitle is not None:
        fig.suptitle(suptitle)
    return fig


def _new_or_given_axes(ax, figsize=(6, 4)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def plot_curves(curves, xlabel, ylabel, title, logy=False, ax=None):
    """Plot one or more curves, e.g. training loss against step.

    Parameters
    ----------
    curves : dict
        ``label -> (x, y)`` (a tuple of two sequences) or ``label -> y``;
        without ``x`` the points are drawn at ``0, 1, ..., len(y) - 1``.
    xlabel, ylabel, title : str
    logy : bool
        Logarithmic y axis (losses, gradient norms).
    ax : matplotlib Axes, optional
        Draw here instead of on a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``.

    Raises
    ------
    ValueError
        If ``curves`` is empty or a curve's x and y differ in length.
    """
    if not curves:
        raise ValueError("expected at least one curve, got an empty dict")
    fig, ax = _new_or_given_axes(ax)
    for label, data in curves.items():
        if isinstance(data, tuple) and len(data) == 2:
            x, y = np.asarray(data[0], dtype=float), np.asarray(data[1], dtype=float)
        else:
            y = np.asarray(data, dtype=float)
            x = np.arange(len(y))
        if x.shape != y.shape:
            raise ValueError(f"curve {label!r}: x has shape {x.shape} but y has shape {y.shape}")
        ax.plot(x, y, label=str(label))
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return fig


def bar_chart(values, labels, xlabel, ylabel, title, logy=False, ax=None):
    """Draw one bar per value with the value written on it (e.g. timings).

    Parameters
    ----------
    values : sequence of float, length M
    labels : sequence of str, length M
    xlabel, ylabel, title : str
    logy : bool
        Logarithmic y axis, for values that differ by orders of magnitude.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``values`` and ``labels`` differ in length or are empty.
    """
    values = np.asarray(values, dtype=float).ravel()
    labels = [str(label) for label in labels]
    if len(values) == 0 or len(values) != len(labels):
        raise ValueError(f"expected as many labels as values (at least one), "
                         f"got {len(labels)} labels for {len(values)} values")
    fig, ax = _new_or_given_axes(ax)
    colors = [f"C{i % 10}" for i in range(len(values))]
    bars = ax.bar(labels, values, color=colors)
    ax.bar_label(bars, fmt="{:.3g}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    # Leave headroom for the numbers written above the bars.
    ax.margins(y=0.15)
    return fig
