"""The claims notebook 01 makes about its experiments, asserted on small seeded cases."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import data, widgets

from . import cells

SOURCE = cells.SOLUTIONS / "01_convolution_arithmetic" / "convolution_arithmetic.ipynb"


@pytest.fixture(scope="module")
def nb01():
    # the provided (not graded) vectorised layer
    return cells.provided_namespace(SOURCE, lambda cell: "def conv2d_fast" in cell.source)


def _same(nb01, image, kernel):
    return nb01["conv2d_fast"](image[None, None], kernel[None, None], np.zeros(1), pad=1)[0, 0]


def test_vectorised_layer_equals_the_loops_to_rounding_error(nb01):
    rng = np.random.default_rng(0)
    for stride, pad in [(1, 0), (1, 1), (2, 1), (3, 2)]:
        x = rng.standard_normal((2, 3, 9, 7))
        w, b = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
        naive = nb01["conv2d_naive"](x, w, b, stride=stride, pad=pad)
        fast = nb01["conv2d_fast"](x, w, b, stride=stride, pad=pad)
        assert fast.shape == naive.shape
        assert np.abs(fast - naive).max() < 1e-12


def test_one_by_one_convolution_is_a_matrix_product_per_pixel(nb01):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 16, 5, 5)), rng.standard_normal((4, 16, 1, 1))
    as_conv = nb01["conv2d_fast"](x, w, np.zeros(4))
    assert np.allclose(as_conv, np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], x))


def test_one_by_one_then_3x3_without_nonlinearity_folds_into_one_3x3(nb01):
    # Q3's answer (c): the composition equals a single 3x3 layer with folded weights.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 8, 6, 6))
    w1, b1 = rng.standard_normal((4, 8, 1, 1)), rng.standard_normal(4)
    w2, b2 = rng.standard_normal((4, 4, 3, 3)), rng.standard_normal(4)
    two = nb01["conv2d_fast"](nb01["conv2d_fast"](x, w1, b1), w2, b2)
    folded_w = np.einsum("gfuv,fc->gcuv", w2, w1[:, :, 0, 0])
    folded_b = b2 + np.einsum("gfuv,f->g", w2, b1)
    assert np.allclose(two, nb01["conv2d_fast"](x, folded_w, folded_b))


def test_preset_kernels_do_what_the_notebook_says(nb01):
    presets = widgets.KERNEL_PRESETS
    photo = data.load_photo(64)
    assert np.allclose(_same(nb01, photo, presets["identity"]), photo)
    inner = (slice(1, -1), slice(1, -1))  # away from the zero padding
    blurred = _same(nb01, photo, presets["box blur"])
    assert np.diff(blurred[inner], axis=1).std() < np.diff(photo[inner], axis=1).std()
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
        assert presets[name].sum() == 0


def test_lenet_c3_connection_table_gives_1516_parameters(nb01):
    maps_with_3, maps_with_4, maps_with_6 = 6, 9, 1
    connections = 3 * maps_with_3 + 4 * maps_with_4 + 6 * maps_with_6
    assert connections == 60
    assert connections * 5 * 5 + 16 == 1516
    assert nb01["conv_param_count"](6, 16, 5, 5) == 2416


def test_stacked_3x3_layers_see_7x7_with_fewer_weights(nb01):
    # Q2's answer (b)
    assert nb01["receptive_field"]([(3, 1)] * 3) == nb01["receptive_field"]([(7, 1)]) == 7
    c = 64
    assert 3 * nb01["conv_param_count"](c, c, 3, 3, bias=False) == 27 * c * c < 49 * c * c


def test_transposed_convolution_with_k4_s2_p1_doubles_what_the_convolution_halves(nb01):
    for n in (4, 8, 16, 32):
        half = nb01["conv_output_size"](n, 4, p=1, s=2)
        assert half == n // 2
        assert nb01["transposed_conv_output_size"](half, 4, p=1, s=2) == n
