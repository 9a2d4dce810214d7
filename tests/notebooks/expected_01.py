"""Stored values of notebook 01's visible tests (see ``expected_cases.py``).

``cases(ns)`` draws each test's inputs from a seed and computes its expected
values with the reference solution ``ns``. The mistakes are the values that the
zoo's wrong answers (``zoo_01.py``, one switch per mistake) give on the same
inputs, so a visible test can name the mistake a student made.
"""

from __future__ import annotations

import numpy as np

from .zoo_01 import conv_backward_loops, pool_backward_loops

TOPIC = "01_convolution_arithmetic"


def _average_pool(x, size, stride):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::stride, ::stride].mean(axis=(4, 5))


def _max_pool_naive(ns) -> dict:
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 6))
    return {"values": {"x": x, "out": ns["max_pool2d_naive"](x)},
            "mistakes": {"out": {"average pooling instead of max": _average_pool(x, 2, 2)}}}


def _conv_backward(ns) -> dict:
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal((2, 3, 7, 5)), rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    out = ns["conv2d_naive"](x, w, b, stride=2, pad=1)  # (2, 4, 4, 3)
    return {"values": {"x": x, "w": w, "b": b, "dout": rng.standard_normal(out.shape), "out": out},
            "mistakes": {}}


def _conv_backward_2(ns) -> dict:
    rng = np.random.default_rng(22)
    x, w = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    dout = rng.standard_normal((2, 3, 3, 2))  # stride 2, padding 1
    cache = (x, w, b, 2, 1)
    dx, dw, db = ns["conv2d_backward"](dout, cache)

    def wrong(index, **mistake):
        return conv_backward_loops(dout, cache, **mistake)[index]

    return {
        "values": {"x": x, "w": w, "b": b, "dout": dout, "dx": dx, "dw": dw, "db": db},
        "mistakes": {
            "db": {"db not summed over the batch": wrong(2, db_axes=(2, 3)),
                   "db not summed over the positions": wrong(2, db_axes=0),
                   "db averaged instead of summed": dout.mean(axis=(0, 2, 3))},
            "dw": {"dw averaged over the batch": wrong(1, dw_mean=True),
                   "dw overwritten at every position instead of summed":
                       wrong(1, overwrite_dw=True),
                   "stride ignored when placing the windows": wrong(1, stride_in_slice=False)},
            "dx": {"the padding not cropped from dx": wrong(0, crop=False),
                   "dx computed with the kernel flipped": wrong(0, flip=True),
                   "dx overwritten where windows overlap instead of summed":
                       wrong(0, overwrite_dx=True),
                   "stride ignored when placing the windows": wrong(0, stride_in_slice=False)},
        },
    }


def _pool_backward_2(ns) -> dict:
    rng = np.random.default_rng(23)
    x = rng.standard_normal((2, 3, 7, 5))
    out = ns["max_pool2d_naive"](x, size=3, stride=2)  # (2, 3, 3, 2)
    dout = rng.standard_normal(out.shape)
    ties = rng.integers(0, 4, (2, 2, 5, 6)).astype(float)  # many windows hold their maximum twice
    dout_ties = rng.standard_normal((2, 2, 2, 2))
    cache = (ties, 3, 2)

    def wrong(**mistake):
        return pool_backward_loops(dout_ties, cache, **mistake)

    return {
        "values": {"x": x, "dout": dout, "out": out, "ties": ties, "dout_ties": dout_ties,
                   "dx_ties": ns["max_pool2d_backward"](dout_ties, cache)},
        "mistakes": {"dx_ties": {
            "gradient spread evenly over the window": wrong(route="spread"),
            "gradient sent to every tied maximum": wrong(route="every tied"),
            "gradient sent to the last tied maximum": wrong(route="last"),
            "overlapping windows overwritten instead of accumulated": wrong(overwrite=True),
            "windows stepped by size, stride ignored": wrong(step_is_size=True),
        }},
    }


def cases(ns) -> dict:
    return {
        "test_max_pool2d_naive": _max_pool_naive(ns),
        "test_conv2d_backward": _conv_backward(ns),
        "test_conv2d_backward_2": _conv_backward_2(ns),
        "test_max_pool2d_backward_2": _pool_backward_2(ns),
    }
