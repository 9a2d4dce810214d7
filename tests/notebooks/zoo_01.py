"""Wrong and right answers to notebook 01's exercises (convolution arithmetic).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes, so a test that passes it has a blind spot
exactly there.
"""

from __future__ import annotations

import math

import numpy as np

from .zoo_choices import choice_zoo

# --------------------------------------------------------------------------- sizes


def _checked(formula, check_fit=True, fit_span=None, check_stride=True, check_padding=True):
    """A conv_output_size that validates like the reference, then applies ``formula``."""

    def conv_output_size(n, k, p=0, s=1, d=1):
        if n < 1 or k < 1 or d < 1 or (check_stride and s < 1):
            raise ValueError("argument out of range")
        if check_padding and p < 0:
            raise ValueError("negative padding")
        span = (fit_span or (lambda k, d: d * (k - 1) + 1))(k, d)
        if check_fit and span > n + 2 * p:
            raise ValueError(f"kernel {k} does not fit input {n} with padding {p}")
        return formula(n, k, p, s, d)

    return conv_output_size


def _floor(n, k, p, s, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _fits_strictly(n, k, p=0, s=1, d=1):
    span = d * (k - 1) + 1
    if n < 1 or k < 1 or s < 1 or d < 1 or p < 0 or span >= n + 2 * p:
        raise ValueError("kernel does not fit")
    return _floor(n, k, p, s, d)


WRONG_CONV_OUTPUT_SIZE = {
    "padding ignored": _checked(lambda n, k, p, s, d: (n - d * (k - 1) - 1) // s + 1),
    "padding on one side only": _checked(lambda n, k, p, s, d: (n + p - d * (k - 1) - 1) // s + 1),
    "ceil instead of floor": _checked(
        lambda n, k, p, s, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1),
    "round instead of floor": _checked(
        lambda n, k, p, s, d: round((n + 2 * p - d * (k - 1) - 1) / s) + 1),
    "stride ignored": _checked(lambda n, k, p, s, d: n + 2 * p - d * (k - 1)),
    "dilation ignored": _checked(lambda n, k, p, s, d: (n + 2 * p - k) // s + 1,
                                 fit_span=lambda k, d: k),
    "dilated span taken as d*k": _checked(lambda n, k, p, s, d: (n + 2 * p - d * k) // s + 1,
                                          fit_span=lambda k, d: d * k),
    "the +1 forgotten": _checked(lambda n, k, p, s, d: (n + 2 * p - d * (k - 1) - 1) // s),
    "true division returns a float": _checked(
        lambda n, k, p, s, d: (n + 2 * p - d * (k - 1) - 1) / s + 1),
    "np.floor returns a numpy float": _checked(
        lambda n, k, p, s, d: np.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1),
    "no check that the kernel fits": _checked(_floor, check_fit=False),
    "fit check ignores dilation": _checked(_floor, fit_span=lambda k, d: k),
    "fit check off by one (rejects an exact fit)": _fits_strictly,
    "zero stride not checked (ZeroDivisionError)": _checked(_floor, check_stride=False),
    "negative padding accepted": _checked(_floor, check_padding=False),
}


def _size_by_counting(n, k, p=0, s=1, d=1):
    if min(n, k, s, d) < 1 or p < 0:
        raise ValueError(f"invalid arguments n={n} k={k} p={p} s={s} d={d}")
    last_start = n + 2 * p - (d * (k - 1) + 1)
    if last_start < 0:
        raise ValueError(f"kernel {k} with dilation {d} does not fit {n} + 2*{p}")
    count, start = 0, 0
    while start <= last_start:
        count += 1
        start += s
    return count


def _size_math_floor(n, k, p=0, s=1, d=1):
    effective = k + (k - 1) * (d - 1)
    if n <= 0 or k <= 0 or s <= 0 or d <= 0:
        raise ValueError("sizes, stride and dilation must be positive")
    if p < 0:
        raise ValueError("padding cannot be negative")
    if effective > n + 2 * p:
        raise ValueError("the kernel is larger than the padded input")
    return math.floor((n + 2 * p - effective) / s) + 1


def _size_numpy_int(n, k, p=0, s=1, d=1):
    if p < 0 or s < 1 or d < 1 or n < 1 or k < 1 or d * (k - 1) + 1 > n + 2 * p:
        raise ValueError("bad convolution settings")
    return np.int64((n - d * (k - 1) - 1 + 2 * p) // s + 1)


RIGHT_CONV_OUTPUT_SIZE = {
    "counting window positions": _size_by_counting,
    "math.floor on the effective kernel": _size_math_floor,
    "returns a numpy integer": _size_numpy_int,
}

# --------------------------------------------------------------------------- convolution


def _conv_loops(x, w, b, stride=1, pad=0, *, flip=False, bias=True, channel0=False,
                stride_in_slice=True, stride_in_size=True, pad_mode="zeros", one_side=False,
                square=False, kh_both=False, bias_per_channel=False, int_out=False,
                swap_sides=False, filter_second=False):
    """The reference loops with one switch per plausible mistake."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    if kh_both:
        KW = KH
    if swap_sides:
        KW, KH = KH, KW
    widths = ((0, 0), (0, 0), (pad, 0 if one_side else pad), (pad, 0 if one_side else pad))
    x_pad = np.pad(x, widths, mode="edge" if pad_mode == "edge" else "constant")
    step = stride if stride_in_size else 1
    H_out = (H + 2 * pad - KH) // step + 1
    W_out = H_out if square else (W + 2 * pad - KW) // step + 1
    out = np.zeros((N, F, H_out, W_out), dtype=int if int_out else float)
    kernels = w[:, :, ::-1, ::-1] if flip else w
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top = i * stride if stride_in_slice else i
                    left = j * stride if stride_in_slice else j
                    window = x_pad[n, :, top:top + KH, left:left + KW]
                    if window.shape[1:] != (KH, KW) and not swap_sides:
                        window = np.zeros((C, KH, KW))
                    kernel = kernels[:, f] if filter_second else kernels[f, :, :KH, :KW]
                    if swap_sides:
                        kernel = kernels[f]  # (C, KH, KW) against a (C, KW, KH) window: a crash
                    if channel0:
                        total = np.sum(window[0] * kernel[0])
                    elif bias_per_channel:
                        total = sum(np.sum(window[c] * kernel[c]) + b[f] for c in range(C))
                    else:
                        total = np.sum(window * kernel)
                    out[n, f, i, j] = total + (b[f] if bias and not bias_per_channel else 0)
    return out


def _conv_variant(**mistake):
    def conv2d_naive(x, w, b, stride=1, pad=0):
        return _conv_loops(x, w, b, stride, pad, **mistake)

    return conv2d_naive


WRONG_CONV2D = {
    "kernel flipped (true convolution)": _conv_variant(flip=True),
    "bias missing": _conv_variant(bias=False),
    "channels not summed (channel 0 only)": _conv_variant(channel0=True),
    "bias added once per channel": _conv_variant(bias_per_channel=True),
    "stride ignored when slicing windows": _conv_variant(stride_in_slice=False),
    "stride ignored entirely": _conv_variant(stride_in_slice=False, stride_in_size=False),
    "padding on one side only": _conv_variant(one_side=True),
    "padding repeats edge pixels instead of zeros": _conv_variant(pad_mode="edge"),
    "output assumed square (W' = H')": _conv_variant(square=True),
    "kernel assumed square (KW = KH)": _conv_variant(kh_both=True),
    "integer output array truncates": _conv_variant(int_out=True),
    "KH and KW swapped (crashes on a rectangular kernel)": _conv_variant(swap_sides=True),
    "filter indexed w[:, f] (crashes when F differs from C)": _conv_variant(filter_second=True),
}


def _conv_windows_einsum(x, w, b, stride=1, pad=0):
    KH, KW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (KH, KW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    return np.einsum("nchwuv,fcuv->nfhw", windows, w) + b[:, None, None]


def _conv_im2col(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    H_out, W_out = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    columns = np.empty((N, H_out, W_out, C * KH * KW))
    for i in range(H_out):
        for j in range(W_out):
            patch = x_pad[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
            columns[:, i, j] = patch.reshape(N, -1)
    out = columns @ w.reshape(F, -1).T + b  # (N, H', W', F)
    return out.transpose(0, 3, 1, 2)


def _conv_shifted_taps(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    x_pad[:, :, pad:pad + H, pad:pad + W] = x
    H_out, W_out = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    out = np.tile(np.asarray(b, dtype=float)[None, :, None, None], (N, 1, H_out, W_out))
    for u in range(KH):
        for v in range(KW):
            shifted = x_pad[:, :, u:u + stride * H_out:stride, v:v + stride * W_out:stride]
            out += np.einsum("nchw,fc->nfhw", shifted[:, :, :H_out, :W_out], w[:, :, u, v])
    return out


def _conv_nested_python(x, w, b, stride=1, pad=0):
    x = np.asarray(x, dtype=float)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    out = []
    for n in range(N):
        maps = []
        for f in range(F):
            rows = []
            for i in range(0, H + 2 * pad - KH + 1, stride):
                row = []
                for j in range(0, W + 2 * pad - KW + 1, stride):
                    total = float(b[f])
                    for c in range(C):
                        for u in range(KH):
                            for v in range(KW):
                                r, q = i + u - pad, j + v - pad
                                if 0 <= r < H and 0 <= q < W:
                                    total += w[f, c, u, v] * x[n, c, r, q]
                    row.append(total)
                rows.append(row)
            maps.append(rows)
        out.append(maps)
    return out  # nested lists: the tests convert them to an array


RIGHT_CONV2D = {
    "sliding windows and einsum": _conv_windows_einsum,
    "im2col matrix product": _conv_im2col,
    "one shifted slice per kernel tap": _conv_shifted_taps,
    "pure Python loops returning nested lists": _conv_nested_python,
}

# --------------------------------------------------------------------------- pooling


def _pool_loops(x, size=2, stride=2, *, reduce="max", start_zero=False, step=None,
                ceil=False, square=False, across_channels=False):
    N, C, H, W = x.shape
    step = step or stride
    if ceil:
        H_out, W_out = -(-(H - size) // step) + 1, -(-(W - size) // step) + 1
    else:
        H_out, W_out = (H - size) // step + 1, (W - size) // step + 1
    if square:
        W_out = H_out
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * step:i * step + size, j * step:j * step + size]
            if reduce == "mean":
                value = window.mean(axis=(2, 3))
            elif reduce == "absmax":
                value = np.abs(window).max(axis=(2, 3))
            elif reduce == "corner":
                value = window[:, :, 0, 0]
            elif across_channels:
                value = np.broadcast_to(window.max(axis=(1, 2, 3))[:, None], (N, C))
            elif reduce == "wrong axes":
                value = window.max(axis=(0, 1))  # (size, size) into an (N, C) slot: a crash
            else:
                value = window.max(axis=(2, 3))
            out[:, :, i, j] = np.maximum(value, 0) if start_zero else value
    return out


def _pool_variant(**mistake):
    def max_pool2d_naive(x, size=2, stride=2):
        options = dict(mistake)
        if options.pop("step_is_size", False):
            options["step"] = size
        return _pool_loops(x, size, stride, **options)

    return max_pool2d_naive


WRONG_MAX_POOL = {
    "average pooling instead of max": _pool_variant(reduce="mean"),
    "running maximum started at 0": _pool_variant(start_zero=True),
    "windows stepped by size, stride ignored": _pool_variant(step_is_size=True),
    "partial windows at the border kept (ceil)": _pool_variant(ceil=True),
    "maximum of absolute values": _pool_variant(reduce="absmax"),
    "top-left element instead of the maximum": _pool_variant(reduce="corner"),
    "maximum taken across channels too": _pool_variant(across_channels=True),
    "output assumed square (W' = H')": _pool_variant(square=True),
    "maximum over the batch and channel axes (crashes)": _pool_variant(reduce="wrong axes"),
}


def _pool_windows(x, size=2, stride=2):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::stride, ::stride].max(axis=(4, 5))


def _pool_elementwise(x, size=2, stride=2):
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.empty((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best = -math.inf
                    for u in range(size):
                        for v in range(size):
                            best = max(best, x[n, c, i * stride + u, j * stride + v])
                    out[n, c, i, j] = best
    return out


RIGHT_MAX_POOL = {
    "sliding windows view": _pool_windows,
    "element by element with a running maximum from -inf": _pool_elementwise,
}

# --------------------------------------------------------------------------- parameters


def _params(formula, validate=True):
    def conv_param_count(c_in, c_out, kh, kw, bias=True):
        if validate and min(c_in, c_out, kh, kw) < 1:
            raise ValueError("counts must be positive")
        return formula(c_in, c_out, kh, kw, bias)

    return conv_param_count


WRONG_PARAM_COUNT = {
    "bias left out": _params(lambda ci, co, kh, kw, bias: co * ci * kh * kw),
    "bias always counted": _params(lambda ci, co, kh, kw, bias: co * (ci * kh * kw + 1)),
    "one bias per input channel": _params(
        lambda ci, co, kh, kw, bias: co * ci * kh * kw + (ci if bias else 0)),
    "input channels ignored": _params(lambda ci, co, kh, kw, bias: co * (kh * kw + int(bias))),
    "kh used for both sides": _params(lambda ci, co, kh, kw, bias: co * (ci * kh * kh + int(bias))),
    "kernel sides added": _params(lambda ci, co, kh, kw, bias: co * (ci * (kh + kw) + int(bias))),
    "no validation": _params(lambda ci, co, kh, kw, bias: co * (ci * kh * kw + int(bias)),
                             validate=False),
}

RIGHT_PARAM_COUNT = {
    "weights then biases": _params(
        lambda ci, co, kh, kw, bias: ci * co * kh * kw + (co if bias else 0)),
    "numpy product of the weight shape": _params(
        lambda ci, co, kh, kw, bias: int(np.prod((co, ci, kh, kw))) + co * bool(bias)),
}

# --------------------------------------------------------------------------- receptive field


def _field(step, validate=True):
    def receptive_field(layers):
        if validate and any(k < 1 or s < 1 for k, s in layers):
            raise ValueError("kernels and strides must be positive")
        return step(list(layers))

    return receptive_field


def _prod(values):
    return int(np.prod(values)) if values else 1


WRONG_RECEPTIVE_FIELD = {
    "each layer's own stride included": _field(
        lambda L: 1 + sum((k - 1) * _prod([s for _, s in L[:i + 1]])
                          for i, (k, _) in enumerate(L))),
    "strides of later layers used": _field(
        lambda L: 1 + sum((k - 1) * _prod([s for _, s in L[i + 1:]])
                          for i, (k, _) in enumerate(L))),
    "strides ignored": _field(lambda L: 1 + sum(k - 1 for k, _ in L)),
    "kernel sizes summed": _field(lambda L: sum(k for k, _ in L) if L else 1),
    "only the layer's own stride": _field(lambda L: 1 + sum((k - 1) * s for k, s in L)),
    "empty stack gives 0": _field(lambda L: 1 + sum((k - 1) * _prod([s for _, s in L[:i]])
                                                    for i, (k, _) in enumerate(L)) if L else 0),
    "no validation": _field(lambda L: 1 + sum((k - 1) * _prod([s for _, s in L[:i]])
                                              for i, (k, _) in enumerate(L)), validate=False),
}


def _field_backwards(L):
    size = 1
    for k, s in reversed(L):
        size = (size - 1) * s + k
    return size


def _field_recursive(L):
    if not L:
        return 1
    (k, s), rest = L[0], L[1:]
    return k + (_field_recursive(rest) - 1) * s


RIGHT_RECEPTIVE_FIELD = {
    "projecting back from the top": _field(_field_backwards),
    "recursion over the first layer": _field(_field_recursive),
    "cumulative products with numpy": _field(
        lambda L: 1 + int(sum((k - 1) * j for (k, _), j in
                              zip(L, np.cumprod([1] + [s for _, s in L])[:-1], strict=False)))),
}

# --------------------------------------------------------------------------- transposed


def _transposed(formula, validate=True, check_result=True):
    def transposed_conv_output_size(n, k, p=0, s=1):
        if validate and (min(n, k, s) < 1 or p < 0):
            raise ValueError("invalid arguments")
        size = formula(n, k, p, s)
        if check_result and size < 1:
            raise ValueError("nothing left after cropping")
        return size

    return transposed_conv_output_size


WRONG_TRANSPOSED = {
    "padding added instead of cropped": _transposed(lambda n, k, p, s: (n - 1) * s + 2 * p + k),
    "N * S instead of (N - 1) * S": _transposed(lambda n, k, p, s: n * s - 2 * p + k),
    "padding cropped on one side only": _transposed(lambda n, k, p, s: (n - 1) * s - p + k),
    "padding ignored": _transposed(lambda n, k, p, s: (n - 1) * s + k),
    "kernel ignored": _transposed(lambda n, k, p, s: n * s - 2 * p),
    "conv formula used forwards": _transposed(lambda n, k, p, s: (n + 2 * p - k) // s + 1),
    "no validation": _transposed(lambda n, k, p, s: (n - 1) * s - 2 * p + k, validate=False,
                                 check_result=False),
    "empty output not rejected": _transposed(lambda n, k, p, s: (n - 1) * s - 2 * p + k,
                                             check_result=False),
}

RIGHT_TRANSPOSED = {
    "stride times gaps plus kernel": _transposed(lambda n, k, p, s: s * (n - 1) + k - 2 * p),
    "full output then crop": _transposed(lambda n, k, p, s: ((n - 1) * s + k) - p - p),
}

# --------------------------------------------------------------------------- backward passes


def conv_backward_loops(dout, cache, *, flip=False, crop=True, db_axes=(0, 2, 3), dw_mean=False,
                        stride_in_slice=True, overwrite_dx=False, overwrite_dw=False,
                        swap_kernel_sides=False, filter_index_second=False, dw_from_x=False):
    """conv2d_backward written with loops, with one switch per plausible mistake.

    ``expected_01.py`` stores the values these mistakes give, so the visible
    tests can name them.
    """
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    if swap_kernel_sides:
        KW, KH = KH, KW
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    source = x if dw_from_x else x_pad
    dx_pad = np.zeros(x_pad.shape)
    dw = np.zeros(w.shape)
    kernels = w[:, :, ::-1, ::-1] if flip else w
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top = i * stride if stride_in_slice else i
                    left = j * stride if stride_in_slice else j
                    g = dout[n, f, i, j]
                    window = source[n, :, top:top + KH, left:left + KW]
                    if overwrite_dw:
                        dw[f] = g * window
                    else:
                        dw[f] += g * window
                    kernel = kernels[:, f] if filter_index_second else kernels[f]
                    if overwrite_dx:
                        dx_pad[n, :, top:top + KH, left:left + KW] = g * kernel
                    else:
                        dx_pad[n, :, top:top + KH, left:left + KW] += g * kernel
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W] if crop else dx_pad
    db = dout.sum(axis=db_axes)
    if dw_mean:
        dw = dw / N
    return dx, dw, db


def _conv_backward_variant(**mistake):
    def conv2d_backward(dout, cache):
        return conv_backward_loops(dout, cache, **mistake)

    return conv2d_backward


WRONG_CONV_BACKWARD = {
    "dx with the kernel flipped": _conv_backward_variant(flip=True),
    "padding not cropped from dx": _conv_backward_variant(crop=False),
    "db not summed over the batch": _conv_backward_variant(db_axes=(2, 3)),
    "db not summed over the positions": _conv_backward_variant(db_axes=0),
    "dw averaged over the batch": _conv_backward_variant(dw_mean=True),
    "stride ignored when placing windows": _conv_backward_variant(stride_in_slice=False),
    "dx overwritten where windows overlap": _conv_backward_variant(overwrite_dx=True),
    "dw overwritten at every position": _conv_backward_variant(overwrite_dw=True),
    "KH and KW swapped (crashes)": _conv_backward_variant(swap_kernel_sides=True),
    "filter indexed w[:, f] (crashes)": _conv_backward_variant(filter_index_second=True),
    "windows of dw read from the unpadded x": _conv_backward_variant(dw_from_x=True),
}


def _conv_backward_taps(dout, cache):
    """Vectorised over positions: one strided slice per kernel tap."""
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.empty_like(w)
    for u in range(KH):
        for v in range(KW):
            rows = slice(u, u + stride * (H_out - 1) + 1, stride)
            cols = slice(v, v + stride * (W_out - 1) + 1, stride)
            dw[:, :, u, v] = np.einsum("nfhw,nchw->fc", dout, x_pad[:, :, rows, cols])
            dx_pad[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", dout, w[:, :, u, v])
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def _conv_backward_im2col(dout, cache):
    """im2col: dw is one matrix product; dx scatters the columns back with np.add.at."""
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(x_pad, (KH, KW), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :H_out, :W_out]  # (N, C, H', W', KH, KW)
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * H_out * W_out, -1)
    upstream = dout.transpose(0, 2, 3, 1).reshape(-1, F)  # (N H' W', F)
    dw = (upstream.T @ columns).reshape(w.shape)
    dcolumns = (upstream @ w.reshape(F, -1)).reshape(N, H_out, W_out, C, KH, KW)
    dx_pad = np.zeros(x_pad.shape)
    n, i, j, c, u, v = np.indices(dcolumns.shape).reshape(6, -1)
    np.add.at(dx_pad, (n, c, i * stride + u, j * stride + v), dcolumns.ravel())
    return dx_pad[:, :, pad:pad + H, pad:pad + W], dw, upstream.sum(axis=0)


def _conv_backward_elementwise(dout, cache):
    """Pure Python loops over every product of the forward pass, returning nested lists."""
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    _, _, H_out, W_out = dout.shape
    dx = np.zeros((N, C, H, W))
    dw = np.zeros((F, C, KH, KW))
    db = [0.0] * F
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    g = float(dout[n, f, i, j])
                    db[f] += g
                    for c in range(C):
                        for u in range(KH):
                            for v in range(KW):
                                r, q = i * stride + u - pad, j * stride + v - pad
                                if 0 <= r < H and 0 <= q < W:  # padding has no gradient to keep
                                    dw[f, c, u, v] += g * x[n, c, r, q]
                                    dx[n, c, r, q] += g * w[f, c, u, v]
    return dx.tolist(), dw.tolist(), db


RIGHT_CONV_BACKWARD = {
    "one strided slice per kernel tap": _conv_backward_taps,
    "im2col with np.add.at": _conv_backward_im2col,
    "pure Python loops without padding, nested lists": _conv_backward_elementwise,
}


def pool_backward_loops(dout, cache, *, route="first", overwrite=False, step_is_size=False,
                        unravel_by_stride=False, ones=False):
    """max_pool2d_backward written with loops, with one switch per plausible mistake."""
    x, size, stride = cache
    if step_is_size:
        stride = size
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    top, left = i * stride, j * stride
                    window = x[n, c, top:top + size, left:left + size]
                    g = 1.0 if ones else dout[n, c, i, j]
                    if route == "spread":
                        dx[n, c, top:top + size, left:left + size] += g / window.size
                        continue
                    if route == "every tied":
                        dx[n, c, top:top + size, left:left + size] += g * (window == window.max())
                        continue
                    if route == "last":
                        flat = window.size - 1 - int(np.argmax(window.ravel()[::-1]))
                    else:
                        flat = int(np.argmax(window))
                    if unravel_by_stride:
                        u, v = divmod(flat, stride)
                    else:
                        u, v = divmod(flat, window.shape[1])
                    if overwrite:
                        dx[n, c, top + u, left + v] = g
                    else:
                        dx[n, c, top + u, left + v] += g
    return dx


def _pool_backward_variant(**mistake):
    def max_pool2d_backward(dout, cache):
        return pool_backward_loops(dout, cache, **mistake)

    return max_pool2d_backward


WRONG_POOL_BACKWARD = {
    "gradient spread evenly over the window": _pool_backward_variant(route="spread"),
    "gradient sent to every tied maximum": _pool_backward_variant(route="every tied"),
    "gradient sent to the last tied maximum": _pool_backward_variant(route="last"),
    "overlapping windows overwritten instead of accumulated":
        _pool_backward_variant(overwrite=True),
    "windows stepped by size, stride ignored": _pool_backward_variant(step_is_size=True),
    "flat index of the maximum split by the stride, not the window width":
        _pool_backward_variant(unravel_by_stride=True),
    "1 sent to the maximum instead of dout": _pool_backward_variant(ones=True),
}


def _pool_backward_vectorised(dout, cache):
    """sliding_window_view, argmax over each flattened window, np.add.at to accumulate."""
    x, size, stride = cache
    N, C, H_out, W_out = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :H_out, :W_out]
    first = windows.reshape(N, C, H_out, W_out, -1).argmax(axis=-1)  # first maximum, row-major
    u, v = np.divmod(first, size)
    n, c, i, j = np.indices((N, C, H_out, W_out))
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * stride + u, j * stride + v), dout)
    return dx


def _pool_backward_first_mask(dout, cache):
    """A mask of the maxima, keeping only the first True of each window (cumulative sum)."""
    x, size, stride = cache
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for i in range(H_out):
        for j in range(W_out):
            rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols].reshape(N, C, -1)
            is_max = window == window.max(axis=-1, keepdims=True)
            first = is_max & (np.cumsum(is_max, axis=-1) == 1)
            dx[:, :, rows, cols] += (first * dout[:, :, i, j, None]).reshape(N, C, size, size)
    return dx


RIGHT_POOL_BACKWARD = {
    "argmax of every window with np.add.at": _pool_backward_vectorised,
    "mask of the first maximum per window": _pool_backward_first_mask,
}

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "b", "answer_q2": "d", "answer_q3": "c"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)

WRONG = {
    "conv_output_size": WRONG_CONV_OUTPUT_SIZE,
    "conv2d_naive": WRONG_CONV2D,
    "max_pool2d_naive": WRONG_MAX_POOL,
    "conv_param_count": WRONG_PARAM_COUNT,
    "receptive_field": WRONG_RECEPTIVE_FIELD,
    "transposed_conv_output_size": WRONG_TRANSPOSED,
    "conv2d_backward": WRONG_CONV_BACKWARD,
    "max_pool2d_backward": WRONG_POOL_BACKWARD,
} | WRONG_ANSWERS

RIGHT = {
    "conv_output_size": RIGHT_CONV_OUTPUT_SIZE,
    "conv2d_naive": RIGHT_CONV2D,
    "max_pool2d_naive": RIGHT_MAX_POOL,
    "conv_param_count": RIGHT_PARAM_COUNT,
    "receptive_field": RIGHT_RECEPTIVE_FIELD,
    "transposed_conv_output_size": RIGHT_TRANSPOSED,
    "conv2d_backward": RIGHT_CONV_BACKWARD,
    "max_pool2d_backward": RIGHT_POOL_BACKWARD,
} | RIGHT_ANSWERS
