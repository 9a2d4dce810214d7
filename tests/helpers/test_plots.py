"""helpers.plots: the shared figures draw, label themselves and reject bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.plots import (  # noqa: E402
    bar_chart,
    cell_grid,
    outline_cells,
    plot_curves,
    show_images,
    show_matrix,
    show_signed,
)


def test_show_matrix_writes_every_number_and_outlines_the_highlighted_cells():
    fig, ax = plt.subplots()
    values = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    mask = np.zeros((2, 3), dtype=bool)
    mask[1, 2] = True
    image = show_matrix(ax, values, title="a matrix", fmt="{:.1f}", highlight=mask)
    assert image is ax.images[0]
    assert sorted(t.get_text() for t in ax.texts) == sorted(f"{v:.1f}" for v in values.ravel())
    assert ax.get_title() == "a matrix"
    assert list(ax.get_xticks()) == [0, 1, 2] and list(ax.get_yticks()) == [0, 1]
    outlined = [p for p in ax.patches if p.get_gid() == "highlight"]
    assert [(p.get_x(), p.get_y()) for p in outlined] == [(1.5, 0.5)]


def test_show_matrix_text_is_white_on_dark_cells_and_black_on_light_ones():
    fig, ax = plt.subplots()
    show_matrix(ax, [[0.0, 1.0]], cmap="Blues")
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours == {"0.00": "black", "1.00": "white"}


def test_show_matrix_can_skip_numbers_and_skips_nan_cells():
    fig, ax = plt.subplots()
    show_matrix(ax, np.ones((3, 3)), annotate=False)
    assert len(ax.texts) == 0
    fig, ax = plt.subplots()
    show_matrix(ax, [[np.nan, 1.0]])
    assert [t.get_text() for t in ax.texts] == ["1.00"]


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 2, 2))])
def test_show_matrix_rejects_arrays_that_are_not_2d(bad):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"2-D array, got shape"):
        show_matrix(ax, bad)


def test_show_matrix_rejects_a_highlight_of_another_shape():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"highlight has shape \(2, 2\)"):
        show_matrix(ax, np.zeros((3, 3)), highlight=np.zeros((2, 2), dtype=bool))


def test_cell_grid_and_outline_cells_sit_on_cell_borders():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((2, 4)))
    cell_grid(ax, 2, 4)
    assert list(ax.get_xticks()) == []
    assert list(ax.get_xticks(minor=True)) == [-0.5, 0.5, 1.5, 2.5, 3.5]
    patches = outline_cells(ax, [(0, 3), (1, 0)], gid="mine")
    corners = [(p.get_x(), p.get_y(), p.get_width()) for p in patches]
    assert corners == [(2.5, -0.5, 1), (-0.5, 0.5, 1)]
    assert all(p.get_gid() == "mine" for p in patches)


def test_cell_grid_can_number_every_row_and_column():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((3, 5)))
    cell_grid(ax, 3, 5, ticks=True)
    fig.canvas.draw()
    assert list(ax.get_xticks()) == [0, 1, 2, 3, 4] and list(ax.get_yticks()) == [0, 1, 2]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    assert list(ax.get_xticks(minor=True)) == [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5]


def test_show_signed_centres_the_colours_on_zero_and_marks_zero_on_its_colour_bar():
    fig, ax = plt.subplots()
    image = show_signed(ax, [[-1.0, 0.5], [0.0, 3.0]], title="signed", label="response")
    assert image.get_clim() == (-3.0, 3.0) and image.get_cmap().name == "RdBu_r"
    assert ax.get_title() == "signed"
    bar = fig.axes[1]
    assert [t.get_text() for t in bar.get_yticklabels()] == ["-3", "0", "3"]
    assert bar.get_ylabel() == "response"


def test_show_signed_draws_an_all_zero_image_white_and_can_skip_the_colour_bar():
    fig, ax = plt.subplots()
    image = show_signed(ax, np.zeros((2, 2)), colorbar=False)
    assert image.get_clim() == (-1.0, 1.0) and len(fig.axes) == 1
    with pytest.raises(ValueError, match=r"2-D array, got shape \(3,\)"):
        show_signed(ax, np.zeros(3))


def test_show_images_draws_signed_images_around_zero_and_adds_colour_bars():
    images = [np.linspace(0, 1, 16).reshape(4, 4), np.linspace(-2, 1, 16).reshape(4, 4)]
    fig = show_images(images, titles=["positive", "signed"], signed=True, colorbar=True)
    image_axes = [ax for ax in fig.axes if ax.images and ax.get_title()]
    positive, signed = (ax.images[0] for ax in image_axes)
    assert positive.get_cmap().name == "gray"
    assert signed.get_cmap().name == "RdBu_r" and signed.get_clim() == (-2.0, 2.0)
    assert len(fig.axes) == 4  # two images, two colour bars


def test_show_images_titles_never_overlap_the_row_above():
    images = [np.random.default_rng(0).random((64, 64)) for _ in range(6)]
    fig = show_images(images, titles=[f"image {i}" for i in range(6)], ncols=3, suptitle="six")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    top_row, bottom_row = fig.axes[:3], fig.axes[3:6]
    for above, below in zip(top_row, bottom_row, strict=True):
        picture = above.images[0].get_window_extent(renderer)
        assert not below.title.get_window_extent(renderer).overlaps(picture)


def test_show_images_lays_out_a_grid_with_titles_and_hidden_axes():
    images = [np.zeros((4, 4)), np.ones((4, 4, 3)), np.eye(4), np.zeros((4, 4, 4))]
    fig = show_images(images, titles=["a", "b", "c", "d"], ncols=3, suptitle="four")
    assert len(fig.axes) == 6  # 2 rows x 3 columns; the two spare cells stay blank
    assert [ax.get_title() for ax in fig.axes[:4]] == ["a", "b", "c", "d"]
    assert all(not ax.axison for ax in fig.axes)
    assert [len(ax.images) for ax in fig.axes] == [1, 1, 1, 1, 0, 0]
    assert fig.get_suptitle() == "four"


def test_show_images_accepts_one_stacked_array():
    fig = show_images(np.zeros((3, 5, 5)))
    assert len(fig.axes) == 3


@pytest.mark.parametrize(
    ("images", "kwargs", "message"),
    [
        ([], {}, "at least one image"),
        ([np.zeros(5)], {}, r"image 0 has shape \(5,\)"),
        ([np.zeros((2, 2))], {"titles": ["a", "b"]}, "got 2 titles for 1 images"),
        ([np.zeros((2, 2))], {"ncols": 0}, "ncols must be at least 1"),
    ],
)
def test_show_images_rejects_bad_input_with_a_clear_message(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        show_images(images, **kwargs)


def test_plot_curves_accepts_pairs_and_bare_y_and_adds_a_legend_for_several():
    fig = plot_curves({"train": ([1, 2, 3], [3.0, 2.0, 1.0]), "test": [4.0, 3.0]},
                      "epoch", "loss", "learning curves", logy=True)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["train", "test"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert list(ax.lines[1].get_xdata()) == [0, 1]
    assert ax.get_yscale() == "log"
    labels = (ax.get_xlabel(), ax.get_ylabel(), ax.get_title())
    assert labels == ("epoch", "loss", "learning curves")
    assert ax.get_legend() is not None


def test_plot_curves_draws_one_curve_without_legend_on_a_given_axes():
    fig, ax = plt.subplots()
    assert plot_curves({"only": [1.0, 2.0]}, "x", "y", "t", ax=ax) is fig
    assert ax.get_legend() is None and ax.get_yscale() == "linear"


def test_plot_curves_rejects_empty_dict_and_mismatched_lengths():
    with pytest.raises(ValueError, match="at least one curve"):
        plot_curves({}, "x", "y", "t")
    with pytest.raises(ValueError, match=r"curve 'bad': x has shape \(3,\) but y has shape \(2,\)"):
        plot_curves({"bad": ([1, 2, 3], [1, 2])}, "x", "y", "t")


def test_bar_chart_draws_one_labelled_bar_per_value():
    fig = bar_chart([2.5, 0.01], ["naive loops", "im2col"], "implementation", "time (s)",
                    "convolution timing", logy=True)
    ax = fig.axes[0]
    assert [bar.get_height() for bar in ax.patches] == [2.5, 0.01]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["naive loops", "im2col"]
    assert sorted(t.get_text() for t in ax.texts) == ["0.01", "2.5"]
    assert ax.get_yscale() == "log" and ax.get_title() == "convolution timing"


def test_bar_chart_rejects_labels_that_do_not_match_values():
    with pytest.raises(ValueError, match="got 1 labels for 2 values"):
        bar_chart([1, 2], ["a"], "x", "y", "t")
