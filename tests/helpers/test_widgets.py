"""helpers.widgets: the figure functions draw the right cells; the wrappers redraw and explain."""

import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.widgets import (  # noqa: E402
    FINISH_MESSAGE,
    KERNEL_PRESETS,
    interactive_figure,
    kernel_playground,
    kernel_playground_figure,
    sliding_window_explorer,
    sliding_window_figure,
    window_taps,
)


def conv_output_size(n, k, p=0, s=1, d=1):
    """A correct answer to notebook 01's exercise, written here as the test's oracle."""
    extent = d * (k - 1) + 1
    if extent > n + 2 * p:
        raise ValueError(f"kernel {k} (dilation {d}) does not fit input {n} with padding {p}")
    return (n + 2 * p - extent) // s + 1


def unfinished_output_size(n, k, p=0, s=1, d=1):
    raise NotImplementedError()


def correlate_same(image, kernel):
    """Reference 3x3 cross-correlation with zero padding, "same" size, in plain loops."""
    height, width = image.shape
    padded = np.pad(image, 1)
    out = np.zeros((height, width))
    for r in range(height):
        for c in range(width):
            for i in range(3):
                for j in range(3):
                    out[r, c] += kernel[i, j] * padded[r + i, c + j]
    return out


def cells(ax, gid):
    """Grid cells ``(row, col)`` of the patches with this gid (patch corners sit at -0.5)."""
    return sorted((int(p.get_y() + 0.5), int(p.get_x() + 0.5))
                  for p in ax.patches if p.get_gid() == gid)


def texts(output):
    """Everything an Output widget shows as text (stream text and figures' plain text)."""
    parts = []
    for item in output.outputs:
        parts.append(item.get("text") or item.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


# --------------------------------------------------------------------------- window_taps

def test_window_taps_places_tap_i_j_at_row_times_stride_plus_i_times_dilation():
    assert window_taps(0, 0, k=1) == [(0, 0)]
    assert window_taps(1, 2, k=2, s=2, d=1) == [(2, 4), (2, 5), (3, 4), (3, 5)]
    assert window_taps(1, 0, k=3, s=2, d=2) == [
        (2, 0), (2, 2), (2, 4), (4, 0), (4, 2), (4, 4), (6, 0), (6, 2), (6, 4)]


# --------------------------------------------------------------------------- sliding_window_figure

def test_sliding_window_figure_titles_give_the_padded_input_and_the_output_formula():
    fig = sliding_window_figure(5, 3, p=1, s=2, output_size=conv_output_size)
    ax_in, ax_out = fig.axes
    assert ax_in.get_title() == "input 5x5, padding 1 (7x7 padded)"
    assert ax_out.get_title() == "output 3x3 =\nfloor((5 + 2*1 - 1*(3-1) - 1)/2) + 1"
    assert ax_in.images[0].get_array().shape == (7, 7)
    assert ax_out.images[0].get_array().shape == (3, 3)


def test_sliding_window_figure_numbers_the_rows_and_columns_it_names_by_index():
    # The text speaks of out[1, 2] and of the padded input's row 2 and column 4.
    fig = sliding_window_figure(6, 3, p=1, s=2, row=1, col=2, output_size=conv_output_size)
    ax_in, ax_out = fig.axes
    fig.canvas.draw()
    for ax, size in ((ax_in, 8), (ax_out, 3)):
        assert list(ax.get_xticks()) == list(range(size)) == list(ax.get_yticks())
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels == [str(i) for i in range(size)]
    assert "out[1, 2]" in ax_out.get_xlabel()


def _overlaps(fig, first, second):
    renderer = fig.canvas.get_renderer()
    return first.get_window_extent(renderer).overlaps(second.get_window_extent(renderer))


@pytest.mark.parametrize(("n", "k", "p", "s", "d"),
                         [(6, 3, 1, 2, 1), (12, 5, 3, 4, 2), (12, 7, 3, 1, 1)])
def test_sliding_window_figure_titles_never_overlap(n, k, p, s, d):
    fig = sliding_window_figure(n, k, p, s, d, output_size=conv_output_size)
    fig.canvas.draw()
    ax_in, ax_out = fig.axes
    assert not _overlaps(fig, ax_in.title, ax_out.title)


def test_sliding_window_figure_shades_padding_apart_from_the_input():
    fig = sliding_window_figure(3, 1, p=2, output_size=conv_output_size)
    grid = np.asarray(fig.axes[0].images[0].get_array())
    assert grid.shape == (7, 7)
    assert grid[2:5, 2:5].min() == 1 and grid.sum() == 9  # only the 3x3 real input is 1


@pytest.mark.parametrize(
    ("n", "k", "p", "s", "d", "row", "col"),
    [(5, 3, 1, 2, 1, 1, 2), (5, 1, 0, 1, 1, 4, 0), (7, 3, 0, 1, 2, 2, 1), (8, 2, 1, 3, 1, 1, 1)],
)
def test_sliding_window_figure_highlights_the_taps_window_and_output_cell(n, k, p, s, d, row, col):
    fig = sliding_window_figure(n, k, p, s, d, row, col, output_size=conv_output_size)
    ax_in, ax_out = fig.axes
    assert cells(ax_in, "tap") == sorted(window_taps(row, col, k, s, d))
    (window,) = [patch for patch in ax_in.patches if patch.get_gid() == "window"]
    span = d * (k - 1) + 1
    assert (window.get_x() + 0.5, window.get_y() + 0.5) == (col * s, row * s)
    assert (window.get_width(), window.get_height()) == (span, span)
    assert cells(ax_out, "output cell") == [(row, col)]
    assert fig.get_suptitle() == ""  # nothing to complain about


def test_sliding_window_figure_clips_an_output_position_beyond_the_grid():
    fig = sliding_window_figure(5, 3, p=0, s=1, row=11, col=-3, output_size=conv_output_size)
    ax_in, ax_out = fig.axes
    assert cells(ax_out, "output cell") == [(2, 0)]
    assert cells(ax_in, "tap") == sorted(window_taps(2, 0, 3))
    assert "out[2, 0]" in ax_out.get_xlabel()


def test_sliding_window_figure_puts_a_value_error_in_the_title_and_still_draws_the_input():
    fig = sliding_window_figure(3, 3, p=0, d=2, output_size=conv_output_size)
    assert "kernel 3 (dilation 2) does not fit input 3 with padding 0" in fig.get_suptitle()
    ax_in, ax_out = fig.axes
    assert ax_in.images[0].get_array().shape == (3, 3)
    assert cells(ax_in, "tap") == [] and not ax_out.images


def test_sliding_window_figure_lets_an_unfinished_exercise_raise():
    with pytest.raises(NotImplementedError):
        sliding_window_figure(5, 3, output_size=unfinished_output_size)


def test_sliding_window_figure_flags_an_output_size_that_is_not_a_positive_integer():
    fig = sliding_window_figure(5, 3, output_size=lambda n, k, p, s, d: 2.5)
    assert "returned 2.5" in fig.get_suptitle()


def test_sliding_window_figure_shows_when_a_wrong_output_size_walks_off_the_input():
    fig = sliding_window_figure(5, 3, row=9, output_size=lambda n, k, p, s, d: n)
    assert "leaves the padded input" in fig.get_suptitle()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n": 0}, "n must be an integer of at least 1, got 0"),
     ({"p": -1}, "p must be an integer of at least 0, got -1"),
     ({"s": 1.5}, "s must be an integer of at least 1, got 1.5"),
     ({"output_size": None}, "output_size is required")],
)
def test_sliding_window_figure_rejects_invalid_sizes(kwargs, message):
    arguments = {"n": 5, "k": 3, "output_size": conv_output_size, **kwargs}
    with pytest.raises(ValueError, match=message):
        sliding_window_figure(**arguments)


# --------------------------------------------------------------------------- interactive_figure

def test_interactive_figure_renders_once_and_redraws_on_change_without_piling_up_figures():
    calls = []

    def figure(size):
        calls.append(size)
        fig, ax = plt.subplots()
        ax.set_title(f"size {size}")
        return fig

    slider = widgets.IntSlider(value=2, min=1, max=5)
    box = interactive_figure(figure, size=slider)
    output = box.children[-1]
    assert box.children[0] is slider and isinstance(output, widgets.Output)
    assert calls == [2] and "size 2" in texts(output)
    (item,) = output.outputs
    assert item["output_type"] == "display_data" and item["data"]["image/png"]
    slider.value = 4
    assert calls == [2, 4] and len(output.outputs) == 1 and "size 4" in texts(output)
    assert plt.get_fignums() == []


def test_interactive_figure_prints_the_finish_message_for_an_unfinished_exercise():
    def figure(x):
        raise NotImplementedError()

    output = interactive_figure(figure, x=widgets.IntSlider()).children[-1]
    assert output.outputs == (
        {"output_type": "stream", "name": "stdout", "text": FINISH_MESSAGE + "\n"},)


def test_interactive_figure_shows_and_raises_a_real_bug():
    def figure(x):
        raise ZeroDivisionError("division by zero")

    with pytest.raises(ZeroDivisionError):
        interactive_figure(figure, x=widgets.IntSlider())


def test_interactive_figure_rejects_a_control_that_is_not_a_value_widget():
    with pytest.raises(TypeError, match="control 'x' should be an ipywidgets value widget"):
        interactive_figure(lambda x: None, x=3)


# ----------------------------------------------------------------------- sliding_window_explorer

def test_sliding_window_explorer_explains_when_conv_output_size_is_unfinished():
    box = sliding_window_explorer(unfinished_output_size)
    output = box.children[-1]
    assert "Finish" in texts(output) and FINISH_MESSAGE in texts(output)


def test_sliding_window_explorer_redraws_when_a_slider_moves():
    box = sliding_window_explorer(conv_output_size)
    sliders = {s.description: s for s in box.children[:-1]}
    assert list(sliders) == ["N", "K", "P", "S", "D", "out row", "out col"]
    assert (sliders["N"].value, sliders["N"].min, sliders["N"].max) == (5, 3, 12)
    output = box.children[-1]
    assert "output 3x3" in texts(output)
    before = output.outputs[0]["data"]["image/png"]
    sliders["P"].value = 1
    assert "output 5x5" in texts(output) and "padding 1 (7x7 padded)" in texts(output)
    assert output.outputs[0]["data"]["image/png"] != before
    sliders["K"].value = 7
    sliders["P"].value = 0
    assert "does not fit" in texts(output)
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- kernel playground

def test_kernel_presets_are_the_standard_3x3_kernels():
    assert set(KERNEL_PRESETS) == {"identity", "box blur", "sharpen", "Sobel x", "Sobel y",
                                   "Laplacian"}
    for kernel in KERNEL_PRESETS.values():
        assert kernel.shape == (3, 3) and kernel.dtype == float
    assert np.isclose(KERNEL_PRESETS["box blur"].sum(), 1.0)
    assert KERNEL_PRESETS["sharpen"].sum() == 1 and KERNEL_PRESETS["Laplacian"].sum() == 0
    np.testing.assert_array_equal(KERNEL_PRESETS["Sobel y"], KERNEL_PRESETS["Sobel x"].T)


def test_kernel_playground_figure_with_the_identity_shows_the_input_unchanged():
    image = np.random.default_rng(0).random((6, 7))
    identity = KERNEL_PRESETS["identity"]
    fig = kernel_playground_figure(image, identity, correlate_same, name="identity")
    ax_in, ax_kernel, ax_out, ax_bar = fig.axes
    assert ax_bar.get_ylabel() == "response"  # the output's colour bar
    np.testing.assert_allclose(ax_out.images[0].get_array(), image)
    np.testing.assert_allclose(ax_in.images[0].get_array(), image)
    assert ax_out.images[0].get_cmap().name == "gray"
    assert ax_kernel.get_title() == "kernel: identity"
    assert sorted(t.get_text() for t in ax_kernel.texts) == ["0.00"] * 8 + ["1.00"]
    assert ax_out.get_title().startswith("output 6x7")


def test_kernel_playground_figure_centres_a_signed_output_on_zero():
    image = np.tile(np.arange(5.0), (5, 1))  # a horizontal ramp: Sobel x responds, with signs
    fig = kernel_playground_figure(image, KERNEL_PRESETS["Sobel x"], correlate_same)
    shown = fig.axes[2].images[0]
    low, high = shown.get_clim()
    assert low == -high and shown.get_cmap().name == "RdBu_r"
    bar = fig.axes[3]  # its colour bar marks the zero level
    assert "0" in [t.get_text() for t in bar.get_yticklabels()]
    fig.canvas.draw()
    titles = [ax.title for ax in fig.axes[:3]]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in titles]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("shape", [(2, 2), (3,), (3, 3, 1)])
def test_kernel_playground_figure_names_a_wrong_kernel_shape(shape):
    with pytest.raises(ValueError, match=re.escape(f"kernel of shape (3, 3), got shape {shape}")):
        kernel_playground_figure(np.zeros((4, 4)), np.zeros(shape), correlate_same)


def test_kernel_playground_figure_rejects_a_colour_image_and_a_bad_convolve():
    message = re.escape("grayscale image of shape (H, W), got shape (4, 4, 3)")
    with pytest.raises(ValueError, match=message):
        kernel_playground_figure(np.zeros((4, 4, 3)), np.eye(3), correlate_same)
    with pytest.raises(ValueError, match=r"convolve returned shape \(16,\)"):
        kernel_playground_figure(np.zeros((4, 4)), np.eye(3), lambda x, w: x.ravel())


def test_kernel_playground_preset_fills_the_boxes_and_redraws_once():
    calls = []

    def convolve(image, kernel):
        calls.append(kernel.copy())
        return correlate_same(image, kernel)

    image = np.random.default_rng(1).random((5, 5))
    menu, grid, output = kernel_playground(image, convolve).children
    assert [box.value for box in grid.children] == list(KERNEL_PRESETS["identity"].ravel())
    assert "kernel: identity" in texts(output) and len(calls) == 1
    before = output.outputs[0]["data"]["image/png"]

    menu.value = "Sobel x"
    assert [box.value for box in grid.children] == list(KERNEL_PRESETS["Sobel x"].ravel())
    assert len(calls) == 2  # one redraw for the preset, not one per box
    np.testing.assert_array_equal(calls[-1], KERNEL_PRESETS["Sobel x"])
    assert "kernel: Sobel x" in texts(output)
    assert output.outputs[0]["data"]["image/png"] != before
    assert plt.get_fignums() == []


def test_kernel_playground_editing_a_box_redraws_with_the_edited_kernel():
    calls = []

    def convolve(image, kernel):
        calls.append(kernel.copy())
        return correlate_same(image, kernel)

    menu, grid, output = kernel_playground(np.ones((4, 4)), convolve).children
    grid.children[0].value = 2.0
    expected = KERNEL_PRESETS["identity"].copy()
    expected[0, 0] = 2.0
    np.testing.assert_array_equal(calls[-1], expected)
    assert menu.value is None  # the kernel is no longer the preset
    menu.value = "identity"  # picking it again restores it
    np.testing.assert_array_equal(calls[-1], KERNEL_PRESETS["identity"])


def test_kernel_playground_explains_when_convolve_is_unfinished():
    def convolve(image, kernel):
        raise NotImplementedError()

    output = kernel_playground(np.ones((4, 4)), convolve).children[-1]
    assert texts(output) == FINISH_MESSAGE + "\n"
