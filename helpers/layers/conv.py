"""Convolution and max pooling, vectorised, with ``forward -> (out, cache)`` and ``backward``.

Notebook 01 asks for these layers as exercises written with loops; from
notebook 07 on they come from here, built on windows of the input
(``numpy.lib.stride_tricks.sliding_window_view``), so a small CNN trains in
seconds. Convolution means cross-correlation, as in every deep-learning library:

``out[n, f, i, j] = b[f] + sum_{c, p, q} w[f, c, p, q] * x_pad[n, c, i S + p, j S + q]``.

Used by :mod:`helpers.models`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward"]

_windows = np.lib.stride_tricks.sliding_window_view


def _output_size(n: int, k: int, pad: int, stride: int) -> int:
    if k > n + 2 * pad:
        raise ValueError(f"kernel {k} does not fit input {n} with padding {pad}")
    return (n + 2 * pad - k) // stride + 1


def conv2d_forward(x, w, b, stride: int = 1, pad: int = 0):
    """A convolutional layer: zero padding, then cross-correlation with every filter.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, K, K2)
    b : ndarray of shape (F,)
    stride : int
    pad : int
        Zeros added on each side of both spatial axes.

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
        ``H' = (H + 2P - K) // S + 1`` and likewise ``W'``.
    cache : tuple
        What :func:`conv2d_backward` needs.
    """
    x, w, b = (np.asarray(a, dtype=np.float64) for a in (x, w, b))
    if x.ndim != 4 or w.ndim != 4 or b.shape != (w.shape[0],):
        raise ValueError(f"expected x (N, C, H, W), w (F, C, K, K) and b (F,), got "
                         f"{x.shape}, {w.shape} and {b.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} channels but the filters expect {w.shape[1]}")
    if stride < 1 or pad < 0:
        raise ValueError(f"expected stride >= 1 and pad >= 0, got {stride} and {pad}")
    _output_size(x.shape[2], w.shape[2], pad, stride)
    _output_size(x.shape[3], w.shape[3], pad, stride)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # (N, C, H', W', K, K2): a view, no copy
    windows = _windows(x_pad, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("nchwpq,fcpq->nfhw", windows, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, stride, pad)


def conv2d_backward(dout, cache):
    """Gradients of a convolutional layer.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H', W')
    cache : tuple
        From :func:`conv2d_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, K, K2)
    db : ndarray of shape (F,)
    """
    x, w, stride, pad = cache
    N, C, H, W = x.shape
    F, _, K, K2 = w.shape
    Ho, Wo = dout.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = _windows(x_pad, (K, K2), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nchwpq,nfhw->fcpq", windows, dout, optimize=True)
    db = dout.sum(axis=(0, 2, 3))
    # Every output position (i, j) sent w[f, :, p, q] * dout to input (i S + p, j S + q):
    # one strided slice per tap (p, q) collects them, K * K2 slices in all.
    dx_pad = np.zeros_like(x_pad)
    contributions = np.einsum("nfhw,fcpq->ncpqhw", dout, w, optimize=True)  # (N, C, K, K2, H', W')
    for p in range(K):
        for q in range(K2):
            dx_pad[:, :, p:p + stride * (Ho - 1) + 1:stride,
                   q:q + stride * (Wo - 1) + 1:stride] += contributions[:, :, p, q]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def max_pool2d_forward(x, size: int = 2, stride: int = 2):
    """Max pooling over ``size x size`` windows, channel by channel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    size, stride : int

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
        ``H' = (H - size) // stride + 1`` and likewise ``W'``.
    cache : tuple
        What :func:`max_pool2d_backward` needs: where each window's maximum is.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"expected x of shape (N, C, H, W), got {x.shape}")
    if size < 1 or stride < 1:
        raise ValueError(f"expected size and stride >= 1, got {size} and {stride}")
    _output_size(x.shape[2], size, 0, stride)
    _output_size(x.shape[3], size, 0, stride)
    windows = _windows(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, Ho, Wo = windows.shape[:4]
    flat = windows.reshape(N, C, Ho, Wo, size * size)   # a copy: windows may overlap
    first = flat.argmax(axis=-1)                          # (N, C, H', W'): the first maximum
    out = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
    return out, (x.shape, size, stride, first)


def max_pool2d_backward(dout, cache):
    """Gradient of max pooling: each window's gradient goes to its (first) maximum.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
    cache : tuple
        From :func:`max_pool2d_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
        Overlapping windows add up their gradients.
    """
    shape, size, stride, first = cache
    N, C, Ho, Wo = first.shape
    rows = np.arange(Ho)[:, None] * stride + first // size        # (N, C, H', W') input row
    cols = np.arange(Wo)[None, :] * stride + first % size         # (N, C, H', W') input column
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    dx = np.zeros(shape)
    np.add.at(dx, (n[:, :, None, None], c[:, :, None, None], rows, cols), dout)
    return dx
