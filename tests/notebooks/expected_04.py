"""Stored values of notebook 04's visible tests (see ``expected_cases.py``).

Inputs come from the tests' seeds; expected values from the reference solution
``ns``; mistakes are what a named wrong answer gives on the same inputs.
"""

from __future__ import annotations

import numpy as np


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _gates(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    return a, a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]


def _step_forward(ns) -> dict:
    rng = np.random.default_rng(4)
    N, D, H = 2, 3, 2
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    c_prev = rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    h_next, c_next, _ = ns["lstm_step_forward"](x, h_prev, c_prev, Wx, Wh, b)
    _, a_i, a_f, a_g, a_o = _gates(x, h_prev, Wx, Wh, b)
    i, f, g, o = _sig(a_i), _sig(a_f), np.tanh(a_g), _sig(a_o)
    swapped_og = f * c_prev + i * np.tanh(a_o)
    sig_g = f * c_prev + i * _sig(a_g)
    return {"values": {"x": x, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh, "b": b,
                       "h_next": h_next, "c_next": c_next},
            "mistakes": {
                "c_next": {"gates in the order i, f, o, g (g and o swapped)": swapped_og,
                           "gates in the order f, i, g, o (i and f swapped)": i * c_prev + f * g,
                           "a sigmoid on g instead of tanh": sig_g,
                           "the forget gate is missing (c_prev added as it is)": c_prev + i * g,
                           "f applied to the new write instead of c_prev": c_prev + f * i * g,
                           "the previous cell is ignored": i * g},
                "h_next": {"tanh(c) is missing: h = o * c": o * c_next,
                           "h uses c_prev instead of c_next": o * np.tanh(c_prev),
                           "the output gate is missing": np.tanh(c_next),
                           "gates in the order i, f, o, g (g and o swapped)":
                               _sig(a_g) * np.tanh(swapped_og),
                           "a sigmoid on g instead of tanh": o * np.tanh(sig_g)},
            }}


def _step_backward(ns) -> dict:
    rng = np.random.default_rng(3)
    N, D, H = 3, 2, 4
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    c_prev = rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    dout = rng.standard_normal((N, H))
    zero = np.zeros((N, H))
    _, c_next, cache = ns["lstm_step_forward"](x, h_prev, c_prev, Wx, Wh, b)
    from_c = ns["lstm_step_backward"](zero, dout, cache)
    from_h = ns["lstm_step_backward"](dout, zero, cache)
    _, a_i, a_f, a_g, a_o = _gates(x, h_prev, Wx, Wh, b)
    i, f, g, o = _sig(a_i), _sig(a_f), np.tanh(a_g), _sig(a_o)
    through_tanh = dout * o * (1 - np.tanh(c_next) ** 2)
    no_h_path = "the path from h_next into the cell is missing (dc is only dc_next)"
    return {"values": {"x": x, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh, "b": b,
                       "dout": dout, "dc_prev_from_c": from_c[2], "db_from_c": from_c[5],
                       "dc_prev_from_h": from_h[2]},
            "mistakes": {
                "dc_prev_from_c": {"dc_prev is missing the factor f": dout},
                "db_from_c": {"the sigmoid's derivative written as 1 - s ** 2":
                              np.concatenate([dout * g * (1 - i ** 2), dout * c_prev * (1 - f ** 2),
                                              dout * i * (1 - g ** 2), zero], axis=1).sum(axis=0),
                              "the sigmoid's derivative is missing":
                              np.concatenate([dout * g, dout * c_prev, dout * i * (1 - g ** 2),
                                              zero], axis=1).sum(axis=0)},
                "dc_prev_from_h": {no_h_path: zero,
                                   "the path through tanh(c) is missing its derivative":
                                       dout * o * f,
                                   "dc_prev is missing the factor f": through_tanh},
            }}


def _unroll(ns, x, h0, Wx, Wh, b, carry_c=True, carry_h=True, c0=None):
    N, T, _ = x.shape
    H = h0.shape[1]
    states, h_t, c_t = [], h0, np.zeros((N, H)) if c0 is None else c0
    for t in range(T):
        h_new, c_new, _ = ns["lstm_step_forward"](x[:, t], h_t, c_t, Wx, Wh, b)
        states.append(h_new)
        h_t = h_new if carry_h else h0
        c_t = c_new if carry_c else np.zeros((N, H))
    return np.stack(states, axis=1)


def _forward(ns) -> dict:
    rng = np.random.default_rng(5)
    N, T, D, H = 3, 4, 2, 5
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    h, _ = ns["lstm_forward"](x, h0, Wx, Wh, b)
    return {"values": {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "h": h},
            "mistakes": {"h": {
                "the cell is not carried (it restarts from zero at every step)":
                    _unroll(ns, x, h0, Wx, Wh, b, carry_c=False),
                "every step starts from h0 (the states are not carried)":
                    _unroll(ns, x, h0, Wx, Wh, b, carry_h=False),
                "the cell starts from h0 instead of zeros": _unroll(ns, x, h0, Wx, Wh, b, c0=h0)}}}


def _walk(ns, x, h0, Wx, Wh, b, dh, carry_c=True, carry_h=True, accumulate=True):
    N, T, _ = x.shape
    H = h0.shape[1]
    out_dx, out_dWx = np.zeros_like(x), np.zeros_like(Wx)
    c_t, h_t, caches = np.zeros((N, H)), h0, []
    for t in range(T):
        h_t, c_t, step_cache = ns["lstm_step_forward"](x[:, t], h_t, c_t, Wx, Wh, b)
        caches.append(step_cache)
    carried_h, carried_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        out_dx[:, t], new_h, new_c, step_dWx, _, _ = ns["lstm_step_backward"](
            dh[:, t] + carried_h, carried_c, caches[t])
        carried_h = new_h if carry_h else 0 * new_h
        carried_c = new_c if carry_c else 0 * new_c
        out_dWx = out_dWx + step_dWx if accumulate else step_dWx
    return out_dx, carried_h, out_dWx


def _backward(ns) -> dict:
    rng = np.random.default_rng(2)
    N, T, D, H = 3, 5, 2, 3
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)), 0.5 * rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    b[H:2 * H] += 2.0      # forget gates near 1: much of the gradient travels along the cell
    dh = np.zeros((N, T, H))
    dh[:, -1] = rng.standard_normal((N, H))
    _, cache = ns["lstm_forward"](x, h0, Wx, Wh, b)
    dx, dh0, dWx, _, _ = ns["lstm_backward"](dh, cache)
    no_c = _walk(ns, x, h0, Wx, Wh, b, dh, carry_c=False)
    no_h = _walk(ns, x, h0, Wx, Wh, b, dh, carry_h=False)
    overwritten = _walk(ns, x, h0, Wx, Wh, b, dh, accumulate=False)
    return {"values": {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "dh": dh,
                       "dx": dx, "dh0": dh0, "dWx": dWx},
            "mistakes": {
                "dx": {"dc is not carried across steps (dc_prev dropped)": no_c[0],
                       "dh is not carried across steps (dh_prev dropped)": no_h[0]},
                "dh0": {"dh0 is zero (not returned)": np.zeros((N, H)),
                        "dc is not carried across steps (dc_prev dropped)": no_c[1]},
                "dWx": {"dWx overwritten at each step (not summed over time)": overwritten[2],
                        "dWx transposed": dWx.T},
            }}


def _gru(x, h_prev, Wx, Wh, b, *, reset_before=False, swap_z=False, lstm_order=False,
         bias_inside=False, candidate=np.tanh, reset=True):
    H = h_prev.shape[1]
    ax, ah = x @ Wx, h_prev @ Wh
    blocks = [slice(H, 2 * H), slice(0, H), slice(2 * H, 3 * H)] if lstm_order else \
        [slice(0, H), slice(H, 2 * H), slice(2 * H, 3 * H)]
    r_s, z_s, n_s = blocks
    r = _sig(ax[:, r_s] + ah[:, r_s] + b[r_s])
    z = _sig(ax[:, z_s] + ah[:, z_s] + b[z_s])
    if reset_before:
        recurrent = (r * h_prev) @ Wh[:, n_s]
    elif bias_inside:
        recurrent = r * (ah[:, n_s] + b[n_s])
    else:
        recurrent = (r if reset else 1.0) * ah[:, n_s]
    n = candidate(ax[:, n_s] + recurrent + (0.0 if bias_inside else b[n_s]))
    return z * n + (1 - z) * h_prev if swap_z else (1 - z) * n + z * h_prev


def _gru_forward(ns) -> dict:
    rng = np.random.default_rng(6)
    N, D, H = 2, 3, 2
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 3 * H)), rng.standard_normal((H, 3 * H))
    b = rng.standard_normal(3 * H)
    h_next, _ = ns["gru_step_forward"](x, h_prev, Wx, Wh, b)
    keep = np.concatenate([np.zeros(H), np.full(H, 40.0), np.zeros(H)])
    h_kept, _ = ns["gru_step_forward"](x, h_prev, Wx, Wh, keep)
    return {"values": {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b, "h_next": h_next,
                       "h_kept": h_kept},
            "mistakes": {
                "h_next": {"the reset gate applied to h_prev before the product with Wh (Cho et "
                           "al.'s variant)": _gru(x, h_prev, Wx, Wh, b, reset_before=True),
                           "z and 1 - z swapped": _gru(x, h_prev, Wx, Wh, b, swap_z=True),
                           "blocks in the order z, r, n":
                               _gru(x, h_prev, Wx, Wh, b, lstm_order=True),
                           "the candidate's bias inside the reset gate's product":
                               _gru(x, h_prev, Wx, Wh, b, bias_inside=True),
                           "a sigmoid on the candidate instead of tanh":
                               _gru(x, h_prev, Wx, Wh, b, candidate=_sig),
                           "the reset gate left out of the candidate":
                               _gru(x, h_prev, Wx, Wh, b, reset=False)},
                "h_kept": {"z and 1 - z swapped": _gru(x, h_prev, Wx, Wh, keep, swap_z=True)},
            }}


def cases(ns) -> dict:
    return {"test_lstm_step_forward": _step_forward(ns),
            "test_lstm_step_backward_2": _step_backward(ns),
            "test_lstm_forward": _forward(ns), "test_lstm_backward_2": _backward(ns),
            "test_gru_step_forward": _gru_forward(ns)}
