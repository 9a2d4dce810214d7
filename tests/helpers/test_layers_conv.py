"""helpers.layers.conv: convolution and max pooling against loops and numerical gradients."""

import numpy as np
import pytest

from helpers import gradcheck
from helpers.layers import conv


def _conv_loops(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, K, K2 = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (H + 2 * pad - K) // stride + 1, (W + 2 * pad - K2) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + K, j * stride:j * stride + K2]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


@pytest.mark.parametrize("stride, pad, K", [(1, 1, 3), (2, 0, 3), (2, 1, 2), (1, 0, 1), (3, 2, 3)])
def test_conv2d_forward_matches_loops_and_backward_matches_numerical_gradients(stride, pad, K):
    rng = np.random.default_rng(stride * 10 + pad + K)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, K, K))
    b = rng.standard_normal(4)
    out, cache = conv.conv2d_forward(x, w, b, stride, pad)
    assert np.allclose(out, _conv_loops(x, w, b, stride, pad), rtol=1e-10, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    grads = conv.conv2d_backward(dout, cache)
    args = [x, w, b]
    for k, name in enumerate(["dx", "dw", "db"]):
        def output(value, k=k):
            return conv.conv2d_forward(*args[:k], value, *args[k + 1:], stride, pad)[0]

        numeric = gradcheck.numerical_gradient(output, args[k].copy(), dout)
        assert grads[k].shape == args[k].shape, name
        assert gradcheck.relative_error(grads[k], numeric) < 1e-7, name


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 1), (2, 1), (3, 3)])
def test_max_pool2d_forward_and_backward(size, stride):
    rng = np.random.default_rng(size * 10 + stride)
    x = rng.standard_normal((2, 3, 6, 7))
    out, cache = conv.max_pool2d_forward(x, size, stride)
    Ho, Wo = (6 - size) // stride + 1, (7 - size) // stride + 1
    assert out.shape == (2, 3, Ho, Wo)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            assert np.array_equal(out[:, :, i, j], window.max(axis=(2, 3)))
    dout = rng.standard_normal(out.shape)
    numeric = gradcheck.numerical_gradient(lambda v: conv.max_pool2d_forward(v, size, stride)[0],
                                           x.copy(), dout)
    assert gradcheck.relative_error(conv.max_pool2d_backward(dout, cache), numeric) < 1e-7


def test_max_pool2d_backward_sends_a_tied_window_to_its_first_maximum():
    x = np.zeros((1, 1, 2, 2))
    out, cache = conv.max_pool2d_forward(x)
    dx = conv.max_pool2d_backward(np.ones_like(out), cache)
    assert dx.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_the_layers_refuse_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match="channels"):
        conv.conv2d_forward(np.zeros((1, 2, 4, 4)), np.zeros((3, 1, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="kernel 5 does not fit input 3 with padding 0"):
        conv.conv2d_forward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 5, 5)), np.zeros(1))
    with pytest.raises(ValueError, match="expected x of shape"):
        conv.max_pool2d_forward(np.zeros((3, 4, 4)))
