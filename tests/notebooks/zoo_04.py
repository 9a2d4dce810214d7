"""Wrong and right answers to notebook 04's exercises (LSTM).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes.

The backward variants read the reference forward passes' caches:
``(x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)`` for one step and the list of
the steps' caches for a sequence, because the zoo swaps one exercise at a time
and the tests build the caches with the notebook's forward functions.
"""

from __future__ import annotations

import numpy as np

from .zoo_choices import choice_zoo


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _gates(a, H):
    """i, f, g, o from the stacked pre-activations a (N, 4H)."""
    return (_sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]),
            _sigmoid(a[:, 3 * H:]))


# --------------------------------------------------------------------------- lstm_step_forward


def _step_forward(*, order="ifgo", g_fn=np.tanh, tanh_on_h=True, forget=True, f_on_g=False,
                  c_in_h="next", in_place=False, output_gate=True, width="H", split_axis=None):
    """The reference step forward with one switch per plausible mistake."""

    def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
        H = h_prev.shape[1] if width == "H" else x.shape[1]     # "D": blocks as wide as the input
        a = x @ Wx + h_prev @ Wh + b
        if split_axis is not None:                              # np.split along the wrong axis
            blocks = dict(zip(order, np.split(a, 4, axis=split_axis), strict=True))
        else:
            blocks = dict(zip(order, (a[:, k * H:(k + 1) * H] for k in range(4)), strict=True))
        i, f, o = _sigmoid(blocks["i"]), _sigmoid(blocks["f"]), _sigmoid(blocks["o"])
        g = g_fn(blocks["g"])
        if in_place:              # the new cell built inside the caller's c_prev
            c_prev *= f
            c_prev += i * g
            c_next = c_prev
        elif not forget:
            c_next = c_prev + i * g
        elif f_on_g:
            c_next = c_prev + f * i * g
        else:
            c_next = f * c_prev + i * g
        c_shown = c_next if c_in_h == "next" else c_prev
        tanh_c = np.tanh(c_shown) if tanh_on_h else c_shown
        h_next = (o if output_gate else 1.0) * tanh_c
        return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, np.tanh(c_next))

    return lstm_step_forward


WRONG_STEP_FORWARD = {
    "gates in the order i, f, o, g": _step_forward(order="ifog"),
    "gates in the order f, i, g, o": _step_forward(order="figo"),
    "a sigmoid on g instead of tanh": _step_forward(g_fn=_sigmoid),
    "tanh(c) is missing: h = o * c": _step_forward(tanh_on_h=False),
    "the forget gate is missing": _step_forward(forget=False),
    "f applied to the new write instead of c_prev": _step_forward(f_on_g=True),
    "h uses c_prev instead of c_next": _step_forward(c_in_h="prev"),
    "the output gate is missing": _step_forward(output_gate=False),
    "c_next computed in place in c_prev": _step_forward(in_place=True),
    "gate blocks D columns wide instead of H (crashes when D != H)": _step_forward(width="D"),
    "np.split over the batch axis (crashes)": _step_forward(split_axis=0),
}


def _step_forward_split_weights(x, h_prev, c_prev, Wx, Wh, b):
    """One (D, H) and (H, H) matrix per gate, as four small RNN-like products."""
    H = h_prev.shape[1]
    parts = [x @ Wx[:, k * H:(k + 1) * H] + h_prev @ Wh[:, k * H:(k + 1) * H] + b[k * H:(k + 1) * H]
             for k in range(4)]
    i, f, o = (_sigmoid(parts[k]) for k in (0, 1, 3))
    g = np.tanh(parts[2])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, np.tanh(c_next))


def _step_forward_concatenated(x, h_prev, c_prev, Wx, Wh, b):
    """[x, h_prev] @ [Wx; Wh] in one product, gates by np.split, sigmoid through tanh."""
    a = np.concatenate([x, h_prev], axis=1) @ np.concatenate([Wx, Wh], axis=0) + b
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, o = (0.5 * (1 + np.tanh(z / 2)) for z in (a_i, a_f, a_o))  # the same sigmoid
    g = np.tanh(a_g)
    c_next = np.add(f * c_prev, i * g)
    return o * np.tanh(c_next), c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, np.tanh(c_next))


def _step_forward_loops(x, h_prev, c_prev, Wx, Wh, b):
    """One sequence of the batch at a time, with einsum."""
    H = h_prev.shape[1]
    a = np.einsum("nd,dk->nk", x, Wx) + np.einsum("nh,hk->nk", h_prev, Wh) + b
    h_next, c_next = np.empty_like(h_prev), np.empty_like(c_prev)
    for n in range(len(x)):
        i, f, g, o = (a[n, k * H:(k + 1) * H] for k in range(4))
        c_next[n] = _sigmoid(f) * c_prev[n] + _sigmoid(i) * np.tanh(g)
        h_next[n] = _sigmoid(o) * np.tanh(c_next[n])
    i, f, g, o = _gates(a, H)
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, np.tanh(c_next))


RIGHT_STEP_FORWARD = {"one matrix per gate": _step_forward_split_weights,
                      "concatenated [x, h] and np.split": _step_forward_concatenated,
                      "a loop over the batch with einsum": _step_forward_loops}

# --------------------------------------------------------------------------- lstm_step_backward


def _step_backward(*, tanh_path=True, tanh_derivative=True, f_in_dc_prev=True,
                   sigmoid_prime="s(1-s)", transposed=False, order="ifgo", db_over="batch",
                   in_place=False, transpose_in_dx=True):
    """The reference step backward with one switch per plausible mistake."""

    def lstm_step_backward(dh_next, dc_next, cache):
        x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
        do = dh_next * tanh_c
        if in_place:              # dc accumulated into the caller's dc_next
            dc = dc_next
            dc += dh_next * o * (1 - tanh_c ** 2)
        elif not tanh_path:
            dc = dc_next
        elif not tanh_derivative:
            dc = dc_next + dh_next * o
        else:
            dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
        di, df, dg = dc * g, dc * c_prev, dc * i
        dc_prev = dc * f if f_in_dc_prev else dc
        prime = {"s(1-s)": lambda s: s * (1 - s), "1-s^2": lambda s: 1 - s ** 2,
                 "none": lambda s: np.ones_like(s)}[sigmoid_prime]
        blocks = {"i": di * prime(i), "f": df * prime(f), "g": dg * (1 - g ** 2),
                  "o": do * prime(o)}
        da = np.concatenate([blocks[k] for k in order], axis=1)
        dWx, dWh = x.T @ da, h_prev.T @ da
        if transposed:
            dWx, dWh = da.T @ x, da.T @ h_prev
        db = da.sum(axis=0) if db_over == "batch" else da[0]
        dx = da @ Wx.T if transpose_in_dx else da @ Wx
        return dx, da @ Wh.T, dc_prev, dWx, dWh, db

    return lstm_step_backward


WRONG_STEP_BACKWARD = {
    "the path from h_next into the cell is missing": _step_backward(tanh_path=False),
    "the path through tanh(c) is missing its derivative": _step_backward(tanh_derivative=False),
    "dc_prev is missing the factor f": _step_backward(f_in_dc_prev=False),
    "the sigmoid's derivative written as 1 - s ** 2": _step_backward(sigmoid_prime="1-s^2"),
    "the sigmoid's derivative is missing": _step_backward(sigmoid_prime="none"),
    "weight gradients transposed": _step_backward(transposed=True),
    "da stacked in the order i, f, o, g": _step_backward(order="ifog"),
    "db of the first sequence only": _step_backward(db_over="first"),
    "dc accumulated in place into dc_next": _step_backward(in_place=True),
    "dx without the transpose of Wx (crashes when D != 4H)": _step_backward(transpose_in_dx=False),
}


def _step_backward_per_gate(dh_next, dc_next, cache):
    """Each gate's block of the weights' gradients on its own, then np.hstack."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    H = i.shape[1]
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
    da_blocks = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                 dh_next * tanh_c * o * (1 - o)]
    dx = sum(da_k @ Wx[:, k * H:(k + 1) * H].T for k, da_k in enumerate(da_blocks))
    dh_prev = sum(da_k @ Wh[:, k * H:(k + 1) * H].T for k, da_k in enumerate(da_blocks))
    dWx = np.hstack([x.T @ da_k for da_k in da_blocks])
    dWh = np.hstack([h_prev.T @ da_k for da_k in da_blocks])
    db = np.hstack([da_k.sum(axis=0) for da_k in da_blocks])
    return dx, dh_prev, dc * f, dWx, dWh, db


def _step_backward_einsum(dh_next, dc_next, cache):
    """Fill da block by block; einsum for every product."""
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    H = h_prev.shape[1]
    dc = dc_next + dh_next * o * (1 - tanh_c * tanh_c)
    da = np.empty((x.shape[0], 4 * H))
    da[:, :H] = dc * g * i * (1 - i)
    da[:, H:2 * H] = dc * c_prev * f * (1 - f)
    da[:, 2 * H:3 * H] = dc * i * (1 - g * g)
    da[:, 3 * H:] = dh_next * tanh_c * o * (1 - o)
    return (np.einsum("nk,dk->nd", da, Wx), np.einsum("nk,hk->nh", da, Wh), f * dc,
            np.einsum("nd,nk->dk", x, da), np.einsum("nh,nk->hk", h_prev, da),
            np.einsum("nk->k", da))


RIGHT_STEP_BACKWARD = {"one block per gate, then np.hstack": _step_backward_per_gate,
                       "einsum, filling da block by block": _step_backward_einsum}

# --------------------------------------------------------------------------- lstm_forward


def _reference_step(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = _gates(a, H)
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, np.tanh(c_next))


def _forward(*, carry_c=True, carry_h=True, c0="zeros", store="h", last_only=False, in_place=False,
             step_axis=1):
    """The reference sequence forward with one switch per plausible mistake."""

    def lstm_forward(x, h0, Wx, Wh, b):
        N, T, _ = x.shape
        H = h0.shape[1]
        h = np.zeros((N, T, H))
        h_t = h0
        c_t = h0 if c0 == "h0" else np.zeros_like(h0)
        caches = []
        for t in range(T):
            x_t = x[:, t] if step_axis == 1 else x[t]         # x[t] is sequence t, not step t
            h_new, c_new, step_cache = _reference_step(x_t, h_t, c_t, Wx, Wh, b)
            h[:, t] = c_new if store == "c" else h_new
            caches.append(step_cache)
            h_t = h_new if carry_h else h0
            c_t = c_new if carry_c else np.zeros_like(c_new)
        if last_only:
            h[:, :-1] = 0.0
        if in_place:
            x[:, 0] = 0.0
        return h, caches

    return lstm_forward


WRONG_FORWARD = {
    "the cell is not carried (it restarts from zero at every step)": _forward(carry_c=False),
    "every step starts from h0": _forward(carry_h=False),
    "the cell starts from h0 instead of zeros": _forward(c0="h0"),
    "the cells are returned instead of the hidden states": _forward(store="c"),
    "only the last state is returned": _forward(last_only=True),
    "x modified in place": _forward(in_place=True),
    "x[t] instead of x[:, t] (crashes when N != T)": _forward(step_axis=0),
}


def _forward_list_stack(x, h0, Wx, Wh, b):
    """Collect the states in a list and stack them, keeping (h, c) as one tuple."""
    state, hs, caches = (h0, np.zeros_like(h0)), [], []
    for x_t in np.moveaxis(x, 1, 0):                    # (T, N, D): one step at a time
        h_t, c_t, step_cache = _reference_step(x_t, *state, Wx, Wh, b)
        state = (h_t, c_t)
        hs.append(h_t)
        caches.append(step_cache)
    return np.stack(hs, axis=1), caches


def _forward_precomputed_inputs(x, h0, Wx, Wh, b):
    """x @ Wx for every step at once, then the recurrence; the cache is the same list."""
    xw = np.einsum("ntd,dk->ntk", x, Wx)                # (N, T, 4H)
    H = h0.shape[1]
    h = np.empty((x.shape[0], x.shape[1], H))
    h_t, c_t, caches = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        a = xw[:, t] + h_t @ Wh + b
        i, f, g, o = _gates(a, H)
        c_new = f * c_t + i * g
        caches.append((x[:, t], h_t, c_t, Wx, Wh, i, f, g, o, np.tanh(c_new)))
        h_t, c_t = o * np.tanh(c_new), c_new
        h[:, t] = h_t
    return h, caches


RIGHT_FORWARD = {"a list of states, stacked at the end": _forward_list_stack,
                 "the input products precomputed with einsum": _forward_precomputed_inputs}

# --------------------------------------------------------------------------- lstm_backward


def _reference_step_backward(dh_next, dc_next, cache):
    return _step_backward()(dh_next, dc_next, cache)


def _backward(*, carry_c=True, carry_h=True, accumulate=True, return_dh0=True, transposed=False,
              in_place=False, step_axis=1):
    """The reference BPTT with one switch per plausible mistake."""

    def lstm_backward(dh, cache):
        N, T, H = dh.shape
        D = cache[0][0].shape[1]
        dx = np.zeros((N, T, D))
        dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
        dh_c, dc_c = np.zeros((N, H)), np.zeros((N, H))
        for t in reversed(range(T)):
            upstream = (dh[:, t] if step_axis == 1 else dh[t]) + dh_c
            if in_place:
                dh[:, t] += dh_c
            dx[:, t], new_h, new_c, gx, gh, gb = _reference_step_backward(upstream, dc_c, cache[t])
            dh_c = new_h if carry_h else np.zeros_like(new_h)
            dc_c = new_c if carry_c else np.zeros_like(new_c)
            if accumulate:
                dWx, dWh, db = dWx + gx, dWh + gh, db + gb
            else:
                dWx, dWh, db = gx, gh, gb
        dh0 = new_h if return_dh0 else np.zeros((N, H))
        if transposed:
            dWx, dWh = dWx.T, dWh.T
        return dx, dh0, dWx, dWh, db

    return lstm_backward


WRONG_BACKWARD = {
    "dc is not carried across steps": _backward(carry_c=False),
    "dh is not carried across steps": _backward(carry_h=False),
    "the weights' gradients overwritten at each step": _backward(accumulate=False),
    "dh0 is zero (not returned)": _backward(return_dh0=False),
    "weight gradients transposed": _backward(transposed=True),
    "dh modified in place": _backward(in_place=True),
    "dh[t] instead of dh[:, t] (crashes when N != T)": _backward(step_axis=0),
}


def _backward_on_a_copy(dh, cache):
    """Add each step's dh_prev into a copy of dh, as notebook 03's alternative does."""
    dh = dh.copy()
    N, T, H = dh.shape
    grads, dc, dx = None, np.zeros((N, H)), []
    for t in reversed(range(T)):
        dx_t, dh_prev, dc, *step_grads = _reference_step_backward(dh[:, t], dc, cache[t])
        if t > 0:
            dh[:, t - 1] += dh_prev
        dx.append(dx_t)
        grads = step_grads if grads is None else [
            a + g for a, g in zip(grads, step_grads, strict=True)]
    return np.stack(dx[::-1], axis=1), dh_prev, *grads


def _backward_einsum_at_the_end(dh, cache):
    """Collect every step's da, then the weights' gradients in one einsum each."""
    N, T, H = dh.shape
    x = np.stack([c[0] for c in cache], axis=1)        # (N, T, D)
    h_prev = np.stack([c[1] for c in cache], axis=1)   # (N, T, H)
    Wx, Wh = cache[0][3], cache[0][4]
    da = np.zeros((N, T, 4 * H))
    dh_c, dc_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        _, _, _, _, i, f, g, o, tanh_c = cache[t][1:]
        c_prev = cache[t][2]
        up = dh[:, t] + dh_c
        dc = dc_c + up * o * (1 - tanh_c ** 2)
        da[:, t] = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                                   dc * i * (1 - g ** 2), up * tanh_c * o * (1 - o)], axis=1)
        dh_c, dc_c = da[:, t] @ Wh.T, dc * f
    return (da @ Wx.T, dh_c, np.einsum("ntd,ntk->dk", x, da), np.einsum("nth,ntk->hk", h_prev, da),
            da.sum(axis=(0, 1)))


RIGHT_BACKWARD = {"adding into a copy of dh": _backward_on_a_copy,
                  "einsum once da is known": _backward_einsum_at_the_end}

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "b", "answer_q2": "a", "answer_q3": "c"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)


# --------------------------------------------------------------------------- GRU step


def _gru_forward(*, reset_before=False, swap_z=False, order=("r", "z", "n"), bias_inside=False,
                 candidate=np.tanh, reset=True, wrong_weight=False):
    """The reference GRU step with one switch per plausible mistake."""

    def gru_step_forward(x, h_prev, Wx, Wh, b):
        H = h_prev.shape[1]
        block = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
        ax = (h_prev @ Wx if wrong_weight else x @ Wx)
        ah = h_prev @ Wh
        r = _sigmoid(ax[:, block["r"]] + ah[:, block["r"]] + b[block["r"]])
        z = _sigmoid(ax[:, block["z"]] + ah[:, block["z"]] + b[block["z"]])
        hn = ah[:, block["n"]]
        if reset_before:
            recurrent = (r * h_prev) @ Wh[:, block["n"]]
        elif bias_inside:
            recurrent = r * (hn + b[block["n"]])
        else:
            recurrent = (r if reset else 1.0) * hn
        n = candidate(ax[:, block["n"]] + recurrent + (0.0 if bias_inside else b[block["n"]]))
        h_next = z * n + (1 - z) * h_prev if swap_z else (1 - z) * n + z * h_prev
        return h_next, (x, h_prev, Wx, Wh, r, z, n, hn)

    return gru_step_forward


WRONG_GRU_FORWARD = {
    "the reset gate on h_prev before the product (Cho et al.'s variant)": _gru_forward(
        reset_before=True),
    "z and 1 - z swapped": _gru_forward(swap_z=True),
    "blocks in the order z, r, n": _gru_forward(order=("z", "r", "n")),
    "the candidate's bias inside the reset gate's product": _gru_forward(bias_inside=True),
    "a sigmoid on the candidate": _gru_forward(candidate=_sigmoid),
    "the reset gate left out": _gru_forward(reset=False),
    "h_prev multiplied by Wx (crashes when D != H)": _gru_forward(wrong_weight=True),
}


def _gru_forward_blocks(x, h_prev, Wx, Wh, b):
    """Three products per block, written out; a dictionary as the cache."""
    H = h_prev.shape[1]
    parts = [(Wx[:, k * H:(k + 1) * H], Wh[:, k * H:(k + 1) * H], b[k * H:(k + 1) * H])
             for k in range(3)]
    r = 1 / (1 + np.exp(-(x @ parts[0][0] + h_prev @ parts[0][1] + parts[0][2])))
    z = 1 / (1 + np.exp(-(x @ parts[1][0] + h_prev @ parts[1][1] + parts[1][2])))
    hn = h_prev @ parts[2][1]
    n = np.tanh(x @ parts[2][0] + parts[2][2] + r * hn)
    return n + z * (h_prev - n), {"x": x, "h": h_prev, "r": r, "z": z, "n": n, "hn": hn}


def _gru_forward_einsum(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    pre = np.einsum("nd,dk->nk", x, Wx) + b
    rec = np.einsum("nh,hk->nk", h_prev, Wh)
    gates = 0.5 * (1 + np.tanh(0.5 * (pre[:, :2 * H] + rec[:, :2 * H])))  # the sigmoid via tanh
    r, z = gates[:, :H], gates[:, H:]
    n = np.tanh(pre[:, 2 * H:] + r * rec[:, 2 * H:])
    return (1 - z) * n + z * h_prev, (x, h_prev, Wx, Wh, r, z, n, rec[:, 2 * H:])


RIGHT_GRU_FORWARD = {"three products per block, h = n + z (h - n)": _gru_forward_blocks,
                     "einsum, the sigmoid written with tanh": _gru_forward_einsum}


def _gru_backward(*, direct=True, dz_sign=1.0, dr_from="hn", tanh_derivative=True, db_sum=True,
                  dWh_from="dah", transpose_dx=True):
    """The reference GRU backward with one switch per plausible mistake."""

    def gru_step_backward(dh_next, cache):
        x, h_prev, Wx, Wh, r, z, n, hn = cache
        dn = dh_next * (1 - z)
        dz = dz_sign * dh_next * (h_prev - n)
        dan = dn * (1 - n ** 2) if tanh_derivative else dn
        dr = dan * (hn if dr_from == "hn" else n)
        dhn = dan * r
        daz = dz * z * (1 - z)
        dar = dr * r * (1 - r)
        dax = np.concatenate([dar, daz, dan], axis=1)
        dah = np.concatenate([dar, daz, dhn], axis=1)
        dx = dax @ Wx.T if transpose_dx else dax @ Wx
        dh_prev = (dh_next * z if direct else 0.0) + dah @ Wh.T
        dWh = h_prev.T @ (dah if dWh_from == "dah" else dax)
        db = dax.sum(axis=0) if db_sum else dax
        return dx, dh_prev, x.T @ dax, dWh, db

    return gru_step_backward


WRONG_GRU_BACKWARD = {
    "the direct path z * dh_next missing from dh_prev": _gru_backward(direct=False),
    "dz with the sign flipped (n - h_prev)": _gru_backward(dz_sign=-1.0),
    "the reset gate's gradient taken with n instead of h_prev @ Wh_n": _gru_backward(dr_from="n"),
    "tanh's derivative missing": _gru_backward(tanh_derivative=False),
    "db not summed over the batch": _gru_backward(db_sum=False),
    "dWh's candidate block not scaled by r": _gru_backward(dWh_from="dax"),
    "dx without the transpose (crashes when D != 3H)": _gru_backward(transpose_dx=False),
}


def _gru_backward_blocks(dh_next, cache):
    """Block by block, with the gate derivatives written out."""
    x, h_prev, Wx, Wh, r, z, n, hn = cache
    H = h_prev.shape[1]
    dan = dh_next * (1 - z) * (1 - n * n)
    daz = dh_next * (h_prev - n) * z * (1 - z)
    dar = dan * hn * r * (1 - r)
    dx = dar @ Wx[:, :H].T + daz @ Wx[:, H:2 * H].T + dan @ Wx[:, 2 * H:].T
    dh_prev = dh_next * z + dar @ Wh[:, :H].T + daz @ Wh[:, H:2 * H].T + (dan * r) @ Wh[:, 2 * H:].T
    dWx = np.hstack([x.T @ dar, x.T @ daz, x.T @ dan])
    dWh = np.hstack([h_prev.T @ dar, h_prev.T @ daz, h_prev.T @ (dan * r)])
    return dx, dh_prev, dWx, dWh, np.hstack([dar.sum(0), daz.sum(0), dan.sum(0)])


RIGHT_GRU_BACKWARD = {"block by block": _gru_backward_blocks}


WRONG = {
    "gru_step_forward": WRONG_GRU_FORWARD,
    "gru_step_backward": WRONG_GRU_BACKWARD,
    "lstm_step_forward": WRONG_STEP_FORWARD,
    "lstm_step_backward": WRONG_STEP_BACKWARD,
    "lstm_forward": WRONG_FORWARD,
    "lstm_backward": WRONG_BACKWARD,
} | WRONG_ANSWERS

RIGHT = {
    "gru_step_forward": RIGHT_GRU_FORWARD,
    "gru_step_backward": RIGHT_GRU_BACKWARD,
    "lstm_step_forward": RIGHT_STEP_FORWARD,
    "lstm_step_backward": RIGHT_STEP_BACKWARD,
    "lstm_forward": RIGHT_FORWARD,
    "lstm_backward": RIGHT_BACKWARD,
} | RIGHT_ANSWERS
