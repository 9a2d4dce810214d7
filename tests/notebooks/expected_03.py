"""Stored values of notebook 03's visible tests (see ``expected_cases.py``).

Inputs come from the tests' own literals or seeds; expected values from the
reference solution ``ns``; mistakes are what a named wrong answer gives on the
same inputs, written out here (never in the notebook).
"""

from __future__ import annotations

import numpy as np


def _tanh_step(x, h, Wx, Wh, b):
    return np.tanh(x @ Wx + h @ Wh + b)


def _vanilla_rnn(ns) -> dict:
    W_xh = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0]])
    W_hh = np.array([[0.5, -1.0], [0.0, 1.0]])
    W_hy = np.array([[1.0, -1.0], [2.0, 0.5]])
    Bh, By = np.array([0.1, -0.2]), np.array([0.5, 0.0])
    x1, x2 = np.array([0.5, -0.5, 0.25]), np.array([-1.0, 0.5, 0.5])
    rnn = ns["VanillaRNN"](input_size=3, hidden_size=2, output_size=2)
    rnn.W_xh, rnn.W_hh, rnn.W_hy, rnn.Bh, rnn.By = W_xh, W_hh, W_hy, Bh, By
    y1 = rnn.forward(x1)
    h1 = rnn.hidden_state.copy()
    y2 = rnn.forward(x2)
    h2 = rnn.hidden_state.copy()
    a1 = W_xh @ x1 + Bh
    from_zero = np.tanh(W_xh @ x2 + Bh)
    transposed = np.tanh(W_hh.T @ h1 + W_xh @ x2 + Bh)
    return {"values": {"y1": y1, "h1": h1, "y2": y2, "h2": h2},
            "mistakes": {
                "y1": {"tanh is missing": W_hy @ a1 + By,
                       "Bh is missing": W_hy @ np.tanh(W_xh @ x1) + By,
                       "By is missing": W_hy @ np.tanh(a1),
                       "tanh applied to the output too": np.tanh(W_hy @ np.tanh(a1) + By),
                       "the hidden state is returned instead of y": np.tanh(a1)},
                "h1": {"the new state is not stored (hidden_state is still h_0 = 0)": np.zeros(2)},
                "y2": {"the state is not carried to the next step (each step starts from h_0 = 0)":
                       W_hy @ from_zero + By,
                       "W_hh transposed (the state multiplied from the wrong side)":
                       W_hy @ transposed + By},
            }}


def _step_forward(ns) -> dict:
    x = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    h_prev = np.array([[0.5, -0.5], [0.0, 1.0]])
    Wx = np.array([[0.2, -0.1], [0.4, 0.3], [-0.3, 0.1]])
    Wh = np.array([[1.0, 0.5], [-0.5, 0.2]])
    b = np.array([0.1, -0.1])
    h_next, _ = ns["rnn_step_forward"](x, h_prev, Wx, Wh, b)
    a = x @ Wx + h_prev @ Wh + b
    return {"values": {"h_next": h_next},
            "mistakes": {"h_next": {
                "tanh is missing": a,
                "b is missing": np.tanh(a - b),
                "Wh transposed in the recurrent term": _tanh_step(x, h_prev, Wx, Wh.T, b),
                "the previous state is ignored": np.tanh(x @ Wx + b),
                "a sigmoid instead of tanh": 1 / (1 + np.exp(-a)),
                "a ReLU instead of tanh": np.maximum(a, 0.0)}}}


def _step_backward(ns) -> dict:
    rng = np.random.default_rng(1)
    N, D, H = 3, 2, 4
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), rng.standard_normal(H)
    dh_next = rng.standard_normal((N, H))
    h_next, cache = ns["rnn_step_forward"](x, h_prev, Wx, Wh, b)
    dx, dh_prev, dWx, dWh, db = ns["rnn_step_backward"](dh_next, cache)
    da = dh_next * (1 - h_next ** 2)
    return {"values": {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b, "dh_next": dh_next,
                       "db": db, "dWh": dWh, "dh_prev": dh_prev},
            "mistakes": {
                "db": {"tanh's derivative taken of the wrong quantity: 1 - tanh(h_next)^2":
                       (dh_next * (1 - np.tanh(h_next) ** 2)).sum(axis=0),
                       "tanh's derivative written 1 - h_next (not squared)":
                       (dh_next * (1 - h_next)).sum(axis=0),
                       "tanh's derivative is missing": dh_next.sum(axis=0),
                       "db averaged over the batch instead of summed": da.mean(axis=0)},
                "dWh": {"dWh uses h_next instead of h_prev": h_next.T @ da,
                        "dWh transposed": da.T @ h_prev},
                "dh_prev": {"dh_prev computed with Wh instead of its transpose": da @ Wh},
            }}


def _run(x, h0, Wx, Wh, b, carry=True):
    states, state = [], h0
    for t in range(x.shape[1]):
        state = _tanh_step(x[:, t], state if carry else h0, Wx, Wh, b)
        states.append(state)
    return np.stack(states, axis=1)


def _forward(ns) -> dict:
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 3, 4, 5
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx, Wh = 0.5 * rng.standard_normal((D, H)), 0.5 * rng.standard_normal((H, H))
    b = rng.standard_normal(H)
    h, _ = ns["rnn_forward"](x, h0, Wx, Wh, b)
    h_one, _ = ns["rnn_forward"](x[:, :1], h0, Wx, Wh, b)
    return {"values": {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "h": h, "h_one_step": h_one},
            "mistakes": {"h": {
                "every step starts from h0 instead of the previous state":
                    _run(x, h0, Wx, Wh, b, carry=False),
                "h0 is ignored (the first step starts from zeros)":
                    _run(x, np.zeros((N, H)), Wx, Wh, b),
                "time read backwards": _run(x[:, ::-1], h0, Wx, Wh, b)[:, ::-1]}}}


def _backward(ns) -> dict:
    rng = np.random.default_rng(2)
    N, T, D, H = 3, 4, 2, 3
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, b = rng.standard_normal((D, H)), rng.standard_normal(H)
    dh = rng.standard_normal((N, T, H))
    Wh = rng.standard_normal((H, H))
    forward, backward = ns["rnn_forward"], ns["rnn_backward"]
    # 1. Wh = 0: every step is on its own.
    _, cache = forward(x, h0, Wx, np.zeros((H, H)), b)
    dx_local, _, dWx_local, _, db_local = backward(dh, cache)
    da = dh * (1 - np.tanh(x @ Wx + b) ** 2)                # (N, T, H)
    # 2. a gradient at the last step only
    h, cache = forward(x, h0, Wx, Wh, b)
    dh_last = np.zeros((N, T, H))
    dh_last[:, -1] = dh[:, -1]
    dx_last, dh0_last, _, _, _ = backward(dh_last, cache)
    only_last_step = np.zeros((N, T, D))
    only_last_step[:, -1] = (dh[:, -1] * (1 - h[:, -1] ** 2)) @ Wx.T
    return {"values": {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "dh": dh,
                       "dWx_local": dWx_local, "db_local": db_local, "dx_local": dx_local,
                       "dx_last": dx_last, "dh0_last": dh0_last},
            "mistakes": {
                "dWx_local": {"dWx overwritten at each step (only the first step's share is left)":
                              x[:, 0].T @ da[:, 0],
                              "dWx of the last step only": x[:, -1].T @ da[:, -1],
                              "dWx transposed": np.einsum("ntd,nth->hd", x, da)},
                "db_local": {"db overwritten at each step": da[:, 0].sum(axis=0),
                             "db not summed over the batch": da.sum(axis=1)},
                "dx_local": {"only the last step gets a gradient":
                             np.concatenate([np.zeros((N, T - 1, D)), da[:, -1:] @ Wx.T], axis=1)},
                "dx_last": {"the carried gradient is not passed back (only the last step gets a "
                            "gradient)": only_last_step},
                "dh0_last": {"dh0 is zero (not returned)": np.zeros((N, H))},
            }}


def cases(ns) -> dict:
    return {"test_VanillaRNN_2": _vanilla_rnn(ns), "test_rnn_step_forward": _step_forward(ns),
            "test_rnn_step_backward_2": _step_backward(ns), "test_rnn_forward": _forward(ns),
            "test_rnn_backward_2": _backward(ns)}
