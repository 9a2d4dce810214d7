"""The claims notebook 01 makes in its prose and questions, asserted on small seeded cases.

Each test runs the notebook's own code (its solution cells and provided cells)
and asserts the claim with a margin: rounding error against bounds many orders
of magnitude wider, exact identities against tolerances far above float64
rounding, counts against counts computed from data. No number of one run is
copied here, so the tests hold under any BLAS kernel.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

from helpers import data, gradcheck, widgets

from . import cells

SOURCE = cells.SOLUTIONS / "01_convolution_arithmetic" / "convolution_arithmetic.ipynb"

# The provided (not graded) cells the claims are about: the vectorised layer (cell-23),
# the training forward passes, the transposed convolution and LeNet-5's C3 table.
PROVIDED = {"cell-23", "cell-bw-forward", "cell-tc-def", "cell-c3-table"}


@pytest.fixture(scope="module")
def nb01():
    return cells.provided_namespace(SOURCE, PROVIDED)


def _same(nb01, image, kernel):
    return nb01["conv2d_fast"](image[None, None], kernel[None, None], np.zeros(1), pad=1)[0, 0]


def _conv_case(rng, shape_x, shape_w, stride, pad):
    x, w = rng.standard_normal(shape_x), rng.standard_normal(shape_w)
    b = rng.standard_normal(shape_w[0])
    return x, w, b, stride, pad


# ---------------------------------------------------------------- sections 3 and 6

def test_the_provided_cells_are_the_ones_the_claims_are_about(nb01):
    names = ("conv2d_fast", "conv2d_forward", "max_pool2d_forward", "conv_transpose2d", "C3_INPUTS")
    for name in names:
        assert name in nb01, f"the notebook no longer provides {name}"


def test_alexnet_settings_give_54_on_224_and_55_on_227_or_with_padding_2(nb01):
    size = nb01["conv_output_size"]
    assert size(224, 11, s=4) == 54  # the arithmetic on the paper's 224
    last_read = (size(224, 11, s=4) - 1) * 4 + 11  # one past the last window's last pixel
    assert last_read == 224 - 1  # "the image's last row and column are never read"
    assert size(227, 11, s=4) == 55  # the layer's real output: a 227-pixel input ...
    assert (227 - 11) % 4 == 0  # ... which the stride divides exactly
    assert size(224, 11, p=2, s=4) == 55  # ... or 224 padded by 2, as torchvision does


def test_vectorised_layer_equals_the_loops_to_rounding_error(nb01):
    rng = np.random.default_rng(0)
    for stride, pad in [(1, 0), (1, 1), (2, 1), (3, 2)]:
        x = rng.standard_normal((2, 3, 9, 7))
        w, b = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
        naive = nb01["conv2d_naive"](x, w, b, stride=stride, pad=pad)
        fast = nb01["conv2d_fast"](x, w, b, stride=stride, pad=pad)
        assert fast.shape == naive.shape
        # "around 1e-15": rounding of sums of 18 products of order 1; a wrong sum is off by far more
        assert np.abs(fast - naive).max() < 1e-12


def test_preset_kernels_do_what_the_notebook_says(nb01):
    presets = widgets.KERNEL_PRESETS
    photo = data.load_photo(64)
    assert np.allclose(_same(nb01, photo, presets["identity"]), photo)
    inner = (slice(1, -1), slice(1, -1))  # away from the zero padding
    blurred = _same(nb01, photo, presets["box blur"])
    assert np.diff(blurred[inner], axis=1).std() < np.diff(photo[inner], axis=1).std()
    # sharpen overshoots below 0 and above 1 on either side of an edge
    sharpened = _same(nb01, photo, presets["sharpen"])[inner]
    assert sharpened.min() < 0.0 and sharpened.max() > 1.0
    # Laplacian: zero on flat regions and on constant slopes
    yy, xx = np.mgrid[0:10, 0:10].astype(float)
    for image in (np.full((10, 10), 0.3), 0.1 * xx + 0.05 * yy):
        assert np.allclose(_same(nb01, image, presets["Laplacian"])[inner], 0.0)
    # Sobel x answers a vertical edge (a change along x), Sobel y does not; and vice versa
    vertical_edge = (xx >= 5).astype(float)
    assert np.abs(_same(nb01, vertical_edge, presets["Sobel x"])[inner]).max() > 1.0
    assert np.allclose(_same(nb01, vertical_edge, presets["Sobel y"])[inner], 0.0)
    horizontal_edge = vertical_edge.T
    assert np.allclose(_same(nb01, horizontal_edge, presets["Sobel x"])[inner], 0.0)
    # a kernel whose numbers sum to zero gives zero on flat regions
    for name in ("Sobel x", "Sobel y", "Laplacian"):
        flat = _same(nb01, np.full((6, 6), 0.7), presets[name])[inner]
        assert np.allclose(flat, 0.0)


# ---------------------------------------------------------------- section 7: backward passes

def test_the_reference_backward_passes_land_far_below_the_gradient_check_threshold(nb01):
    # "a right answer lands many orders of magnitude below the threshold 1e-7"
    rng = np.random.default_rng(1)
    x, w, b, stride, pad = _conv_case(rng, (2, 3, 7, 5), (4, 3, 3, 2), 2, 1)
    out, cache = nb01["conv2d_forward"](x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    grads = nb01["conv2d_backward"](dout, cache)
    for i, value in enumerate((x, w, b)):
        def layer(v, i=i):
            args = [x, w, b]
            args[i] = v
            return nb01["conv2d_forward"](*args, stride, pad)[0]
        numeric = gradcheck.numerical_gradient(layer, value, dout)
        assert gradcheck.relative_error(grads[i], numeric) < 1e-9
    x = rng.standard_normal((2, 3, 7, 5))
    out, cache = nb01["max_pool2d_forward"](x, 3, 2)
    dout = rng.standard_normal(out.shape)
    numeric = gradcheck.numerical_gradient(lambda v: nb01["max_pool2d_forward"](v, 3, 2)[0], x,
                                           dout)
    assert gradcheck.relative_error(nb01["max_pool2d_backward"](dout, cache), numeric) < 1e-9


def test_the_provided_forwards_agree_with_the_loops_and_cache_what_backward_needs(nb01):
    rng = np.random.default_rng(2)
    x, w, b, stride, pad = _conv_case(rng, (2, 2, 6, 5), (3, 2, 2, 3), 2, 1)
    out, cache = nb01["conv2d_forward"](x, w, b, stride=stride, pad=pad)
    assert np.abs(out - nb01["conv2d_naive"](x, w, b, stride, pad)).max() < 1e-12
    assert cache[0] is x and cache[1] is w and cache[2] is b and cache[3:] == (stride, pad)
    out, cache = nb01["max_pool2d_forward"](x, size=3, stride=2)
    assert np.array_equal(out, nb01["max_pool2d_naive"](x, size=3, stride=2))
    assert cache[0] is x and cache[1:] == (3, 2)


def test_a_local_maximum_can_win_up_to_four_overlapping_windows(nb01):
    # the routing figure: 2x2 windows, stride 1, dout = 1 counts the windows each value wins
    x = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 5.0],
                  [0.0, 1.0, 6.0, 2.0], [2.0, 3.0, 1.0, 1.0]]).reshape(1, 1, 4, 4)
    out, cache = nb01["max_pool2d_forward"](x, size=2, stride=1)
    won = nb01["max_pool2d_backward"](np.ones_like(out), cache)[0, 0]
    assert won.sum() == out.size  # every window sends its gradient to exactly one value
    assert won.max() == 4 and won[2, 2] == 4  # the 6 wins all four windows around it
    assert (won == 0).sum() > won.size / 2  # most values win none


# ---------------------------------------------------------------- section 9: transposed convolution

@pytest.mark.parametrize("shape_x, shape_w, stride, pad", [
    ((2, 3, 9, 8), (4, 3, 3, 2), 2, 1),  # the notebook's demonstration
    ((1, 2, 7, 7), (3, 2, 3, 3), 1, 1),
    ((2, 1, 10, 7), (2, 1, 4, 1), 3, 0),
    ((1, 3, 8, 8), (2, 3, 4, 4), 2, 1),  # DCGAN's K = 4, S = 2, P = 1
])
def test_transposed_convolution_is_the_gradient_of_the_convolution_with_respect_to_its_input(
        nb01, shape_x, shape_w, stride, pad):
    rng = np.random.default_rng(3)
    x, w, b, stride, pad = _conv_case(rng, shape_x, shape_w, stride, pad)
    out, cache = nb01["conv2d_forward"](x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    upsampled = nb01["conv_transpose2d"](dout, w, stride, pad)
    assert upsampled.shape == x.shape
    size = nb01["transposed_conv_output_size"](out.shape[2], shape_w[2], pad, stride)
    assert upsampled.shape[2] == size
    numeric = gradcheck.numerical_gradient(
        lambda v: nb01["conv2d_forward"](v, w, b, stride, pad)[0], x, dout)
    exact = nb01["conv2d_backward"](dout, cache)[0]
    # "around 1e-10 against central differences, around 1e-15 against an exact dx"
    assert np.abs(upsampled - numeric).max() < 1e-8
    assert np.abs(upsampled - exact).max() < 1e-12


def test_when_the_stride_does_not_divide_the_unread_rows_get_zero_gradient(nb01):
    rng = np.random.default_rng(4)
    # 8 - 3 is odd: stride 2 never reads the last row; 9 - 3 is even
    x, w, b, stride, pad = _conv_case(rng, (1, 2, 8, 9), (2, 2, 3, 3), 2, 0)
    out, cache = nb01["conv2d_forward"](x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    dx = nb01["conv2d_backward"](dout, cache)[0]
    upsampled = nb01["conv_transpose2d"](dout, w, stride, pad)
    assert upsampled.shape == (1, 2, 7, 9)  # one row short of x
    assert np.abs(dx[:, :, 7]).max() == 0.0  # the row the convolution never read
    assert np.abs(dx[:, :, :7] - upsampled).max() < 1e-12


def test_transposed_convolution_with_k4_s2_p1_doubles_what_the_convolution_halves(nb01):
    for n in (4, 8, 16, 32):
        half = nb01["conv_output_size"](n, 4, p=1, s=2)
        assert half == n // 2
        assert nb01["transposed_conv_output_size"](half, 4, p=1, s=2) == n


def test_a_kernel_not_divisible_by_the_stride_makes_a_checkerboard(nb01):
    ones = np.ones((1, 1, 4, 4))
    inner = (slice(1, -1), slice(1, -1))
    three = nb01["conv_transpose2d"](ones, np.ones((1, 1, 3, 3)), stride=2, pad=1)[0, 0]
    four = nb01["conv_transpose2d"](ones, np.ones((1, 1, 4, 4)), stride=2, pad=1)[0, 0]
    assert sorted(set(three[inner].ravel().tolist())) == [1.0, 2.0, 4.0]  # one, two or four kernels
    assert np.all(four[inner] == 4.0)  # four kernels on every pixel away from the border
    assert three[1, 1] != three[1, 2]  # neighbours differ: the checkerboard


# ---------------------------------------------------------------- sections 8 and 10: counting

def test_lenet_c3_connection_table_matches_the_paper_and_gives_1516_parameters(nb01):
    table = nb01["C3_INPUTS"]
    assert len(table) == 16
    for inputs in table:
        assert list(inputs) == sorted(set(inputs)) and set(inputs) <= set(range(6))
    sizes = [len(inputs) for inputs in table]
    assert sizes.count(3) == 6 and sizes.count(4) == 9 and sizes.count(6) == 1  # as the prose says
    # the first six read three neighbouring S2 maps, the next six four (cyclically)
    for start in range(6):
        assert set(table[start]) == {(start + k) % 6 for k in range(3)}
        assert set(table[6 + start]) == {(start + k) % 6 for k in range(4)}
    # every S2 map feeds the same number of C3 maps
    assert len({sum(s2 in inputs for inputs in table) for s2 in range(6)}) == 1
    count = nb01["conv_param_count"]
    sparse = sum(count(len(inputs), 1, 5, 5) for inputs in table)
    assert sparse == 1516  # LeCun et al. (1998) report 1,516 trainable parameters for C3
    assert sum(sizes) == 60 and sparse < count(6, 16, 5, 5)


def test_one_by_one_convolution_is_a_matrix_product_per_pixel(nb01):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 16, 5, 5)), rng.standard_normal((4, 16, 1, 1))
    as_conv = nb01["conv2d_fast"](x, w, np.zeros(4))
    assert np.allclose(as_conv, np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], x))


def _fold(w1, b1, w2, b2):
    """Q3's single layer: the 3x3 layer's kernel applied to the 1x1 layer's weights and bias."""
    return np.einsum("gfuv,fc->gcuv", w2, w1[:, :, 0, 0]), b2 + np.einsum("gfuv,f->g", w2, b1)


def _two_layers(rng):
    x = rng.standard_normal((1, 8, 6, 6))
    w1, b1 = rng.standard_normal((4, 8, 1, 1)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((4, 4, 3, 3)), rng.standard_normal(4)
    return x, w1, b1, w2, b2


def test_q3_one_by_one_then_3x3_without_padding_folds_into_one_3x3(nb01):
    # Q3's answer (c): no padding in the 3x3 layer, so it reads only real outputs of the 1x1 layer
    x, w1, b1, w2, b2 = _two_layers(np.random.default_rng(2))
    conv = nb01["conv2d_fast"]
    two = conv(conv(x, w1, b1), w2, b2)
    assert np.allclose(two, conv(x, *_fold(w1, b1, w2, b2)))


def test_q3_with_padding_and_a_bias_the_fold_fails_at_the_border_only(nb01):
    x, w1, b1, w2, b2 = _two_layers(np.random.default_rng(2))
    conv = nb01["conv2d_fast"]
    two = conv(conv(x, w1, b1), w2, b2, pad=1)
    folded = conv(x, *_fold(w1, b1, w2, b2), pad=1)
    inner = (slice(None), slice(None), slice(1, -1), slice(1, -1))
    assert np.allclose(two[inner], folded[inner])  # interior windows read only real outputs
    border = np.abs(two - folded)
    border[inner] = 0.0
    assert border.max() > 1e-3 * np.abs(two).max()  # the padding's zeros are not the bias b1
    # without the 1x1 layer's bias, zero padding is what the folded layer sees too
    no_bias = np.zeros_like(b1)
    assert np.allclose(conv(conv(x, w1, no_bias), w2, b2, pad=1),
                       conv(x, *_fold(w1, no_bias, w2, b2), pad=1))


def test_q2_stacked_3x3_layers_see_7x7_with_fewer_weights(nb01):
    # Q2's answer (d)
    field, count = nb01["receptive_field"], nb01["conv_param_count"]
    assert field([(3, 1)] * 3) == field([(7, 1)]) == 7
    assert field([(3, 1)] * 3) < 9  # option (b)'s "the kernel sizes add up" is wrong
    for c in (1, 16, 64):
        stack = 3 * count(c, c, 3, 3, bias=False)
        assert stack == 27 * c * c  # the count the option quotes
        assert stack < count(c, c, 7, 7, bias=False)


def test_q1_flipped_weights_restore_the_outputs_of_a_true_convolution(nb01):
    # Q1's answer (b): a true convolution with the flipped kernel equals the cross-correlation
    image = data.load_photo(32)
    sobel = widgets.KERNEL_PRESETS["Sobel x"]
    cross = nb01["conv2d_fast"](image[None, None], sobel[None, None], np.zeros(1))[0, 0]
    assert np.allclose(convolve2d(image, sobel[::-1, ::-1], mode="valid"), cross)
    assert np.allclose(correlate2d(image, sobel, mode="valid"), cross)
    # the same weights unflipped change the outputs (here, Sobel's sign), not the output size
    unflipped = convolve2d(image, sobel, mode="valid")
    assert unflipped.shape == cross.shape and np.allclose(unflipped, -cross)
    # both operations are translation equivariant (option (c) is wrong)
    shifted = np.roll(image, 3, axis=1)
    moved = convolve2d(shifted, sobel, mode="valid")
    assert np.allclose(moved[:, 3:], unflipped[:, :-3])


# ---------------------------------------------------------------- section 11: flatten or pool

def test_global_pooling_needs_about_hw_times_fewer_weights(nb01):
    count = nb01["conv_param_count"]
    flat, pooled = count(512, 1000, 7, 7), count(512, 1000, 1, 1)
    assert round(flat / pooled) == 49  # the printed "49 times fewer"
    assert abs(flat / pooled - 7 * 7) < 0.05 * 7 * 7  # "H W times smaller", up to the biases


def test_flattening_keeps_positions_and_pooling_keeps_only_presence(nb01):
    rng = np.random.default_rng(5)
    maps = rng.standard_normal((1, 3, 5, 5))
    moved = np.roll(maps, (2, 1), axis=(2, 3))  # the same features, elsewhere
    assert not np.allclose(maps.reshape(1, -1), moved.reshape(1, -1))
    assert np.allclose(maps.mean(axis=(2, 3)), moved.mean(axis=(2, 3)))


def test_flattened_length_depends_on_the_input_size_and_the_pooled_length_does_not(nb01):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((8, 1, 3, 3))
    lengths = {}
    for side in (28, 36):
        image = rng.standard_normal((1, 1, side, side))
        conv, _ = nb01["conv2d_forward"](image, w, np.zeros(8), pad=1)
        features, _ = nb01["max_pool2d_forward"](conv)
        lengths[side] = (features[0].size, features.mean(axis=(2, 3)).shape[1])
    assert lengths == {28: (1568, 8), 36: (2592, 8)}  # the numbers the prose quotes
