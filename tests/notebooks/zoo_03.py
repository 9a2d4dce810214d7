"""Wrong and right answers to notebook 03's exercises (vanilla RNN).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes.

The backward variants read the reference forward passes' caches:
``(x, h_prev, Wx, Wh, h_next)`` for one step and ``(x, h0, Wx, Wh, h)`` for a
sequence, because the zoo swaps one exercise at a time and the tests build the
caches with the notebook's forward functions.
"""

from __future__ import annotations

import numpy as np

from .zoo_choices import choice_zoo

# --------------------------------------------------------------------------- VanillaRNN


def _rnn_class(*, store_state=True, transposed_xh=False, bias_outside=False, activation=np.tanh,
               hh_transposed=False, by=True, tanh_output=False, random_state=False,
               row_state=False, global_random=False, row_input=False, shape_as_arguments=False):
    """The reference class with one switch per plausible mistake."""

    class VanillaRNN:
        def __init__(self, input_size=5, hidden_size=4, output_size=3, seed=0):
            rng = np.random.default_rng(seed)
            if global_random:
                def draw(*shape):
                    return 0.1 * np.random.randn(*shape)
            elif shape_as_arguments:
                def draw(*shape):
                    return 0.1 * rng.standard_normal(*shape)   # the second size is read as a dtype
            else:
                def draw(*shape):
                    return 0.1 * rng.standard_normal(shape)
            self.W_hh = draw(hidden_size, hidden_size)
            self.W_xh = (draw(input_size, hidden_size) if transposed_xh
                         else draw(hidden_size, input_size))
            self.W_hy = draw(output_size, hidden_size)
            self.Bh = np.zeros(hidden_size)
            self.By = np.zeros(output_size)
            self.hidden_state = (0.1 * rng.standard_normal(hidden_size) if random_state
                                 else np.zeros((1, hidden_size) if row_state else hidden_size))

        def forward(self, x):
            state = self.hidden_state
            recurrent = state @ self.W_hh if hh_transposed else self.W_hh @ state
            from_input = x @ self.W_xh if (transposed_xh or row_input) else self.W_xh @ x
            if bias_outside:
                h = activation(recurrent + from_input) + self.Bh
            else:
                h = activation(recurrent + from_input + self.Bh)
            if store_state:
                self.hidden_state = h
            y = self.W_hy @ h.reshape(-1) + (self.By if by else 0.0)
            return np.tanh(y) if tanh_output else y

    return VanillaRNN


WRONG_CLASS = {
    "the new state is not stored": _rnn_class(store_state=False),
    "W_xh stored as (input, hidden)": _rnn_class(transposed_xh=True),
    "Bh added outside the tanh": _rnn_class(bias_outside=True),
    "tanh is missing": _rnn_class(activation=lambda a: a),
    "h @ W_hh instead of W_hh @ h": _rnn_class(hh_transposed=True),
    "By is missing": _rnn_class(by=False),
    "tanh applied to the output": _rnn_class(tanh_output=True),
    "the initial state is random": _rnn_class(random_state=True),
    "hidden_state of shape (1, H)": _rnn_class(row_state=True),
    "weights from the global np.random, ignoring seed": _rnn_class(global_random=True),
    "x @ W_xh, the batched row convention (crashes when input_size != hidden_size)":
        _rnn_class(row_input=True),
    "standard_normal(H, H): the shape as two arguments (crashes in __init__)":
        _rnn_class(shape_as_arguments=True),
}


class _RNNEinsum:
    def __init__(self, input_size=5, hidden_size=4, output_size=3, seed=0):
        rng = np.random.default_rng(seed)
        self.W_hh = rng.normal(0.0, 0.01, (hidden_size, hidden_size))
        self.W_xh = rng.normal(0.0, 0.01, (hidden_size, input_size))
        self.W_hy = rng.normal(0.0, 0.01, (output_size, hidden_size))
        self.Bh, self.By = np.zeros(hidden_size), np.zeros(output_size)
        self.hidden_state = np.zeros(hidden_size)

    def forward(self, x):
        a = np.einsum("ij,j->i", self.W_hh, self.hidden_state) + np.einsum("ij,j->i", self.W_xh, x)
        self.hidden_state = np.tanh(a + self.Bh)
        return np.einsum("ij,j->i", self.W_hy, self.hidden_state) + self.By


class _RNNConcatenated:
    """One matrix [W_hh W_xh] applied to the stacked vector [h; x], built at every step."""

    def __init__(self, input_size=5, hidden_size=4, output_size=3, seed=0):
        rng = np.random.default_rng(seed)
        scale = 1.0 / np.sqrt(hidden_size)
        self.W_hh = rng.uniform(-scale, scale, (hidden_size, hidden_size))
        self.W_xh = rng.uniform(-scale, scale, (hidden_size, input_size))
        self.W_hy = rng.uniform(-scale, scale, (output_size, hidden_size))
        self.Bh = np.zeros(hidden_size)
        self.By = np.zeros(output_size)
        self.hidden_state = np.zeros(hidden_size)

    def forward(self, x):
        W = np.hstack([self.W_hh, self.W_xh])                 # (H, H + D)
        stacked = np.concatenate([self.hidden_state, x])      # (H + D,)
        self.hidden_state = np.tanh(np.dot(W, stacked) + self.Bh)
        return np.dot(self.W_hy, self.hidden_state) + self.By


RIGHT_CLASS = {"einsum": _RNNEinsum, "one concatenated matrix": _RNNConcatenated}

# --------------------------------------------------------------------------- step forward


def _step_forward(activation=np.tanh, bias=True, wh_transposed=False, recurrent=True):
    def rnn_step_forward(x, h_prev, Wx, Wh, b):
        r = h_prev @ (Wh.T if wh_transposed else Wh) if recurrent else 0.0
        h_next = activation(x @ Wx + r + (b if bias else 0.0))
        return h_next, (x, h_prev, Wx, Wh, h_next)

    return rnn_step_forward


def _step_forward_in_place(x, h_prev, Wx, Wh, b):
    h_prev[...] = np.tanh(x @ Wx + h_prev @ Wh + b)  # overwrites the caller's h_prev
    return h_prev, (x, h_prev.copy(), Wx, Wh, h_prev)


def _step_forward_columns(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(Wx @ x + Wh @ h_prev + b)               # the class's convention: crashes
    return h_next, (x, h_prev, Wx, Wh, h_next)


WRONG_STEP_FORWARD = {
    "tanh is missing": _step_forward(activation=lambda a: a),
    "b is missing": _step_forward(bias=False),
    "h_prev @ Wh.T": _step_forward(wh_transposed=True),
    "the previous state is ignored": _step_forward(recurrent=False),
    "sigmoid instead of tanh": _step_forward(activation=lambda a: 1 / (1 + np.exp(-a))),
    "ReLU instead of tanh": _step_forward(activation=lambda a: np.maximum(a, 0.0)),
    "h_prev overwritten in place": _step_forward_in_place,
    "Wx @ x + Wh @ h_prev, the column convention (crashes)": _step_forward_columns,
}


def _step_forward_stacked(x, h_prev, Wx, Wh, b):
    inputs = np.concatenate([x, h_prev], axis=1)              # (N, D + H)
    weights = np.concatenate([Wx, Wh], axis=0)                # (D + H, H)
    h_next = np.tanh(inputs @ weights + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def _step_forward_rows(x, h_prev, Wx, Wh, b):
    h_next = np.stack([np.tanh(np.einsum("d,dh->h", xi, Wx) + np.einsum("k,kh->h", hi, Wh) + b)
                       for xi, hi in zip(x, h_prev, strict=True)])
    return h_next, (x, h_prev, Wx, Wh, h_next)


RIGHT_STEP_FORWARD = {"one stacked matrix": _step_forward_stacked,
                      "one row at a time, einsum": _step_forward_rows}

# --------------------------------------------------------------------------- step backward


def _step_backward(*, derivative="1 - h^2", dWh_state="h_prev", dWx_transposed=False, db="sum",
                   dh_prev_transposed=True, in_place=False):
    def rnn_step_backward(dh_next, cache):
        x, h_prev, Wx, Wh, h_next = cache
        slope = {"1 - h^2": 1 - h_next ** 2, "1 - tanh(h)^2": 1 - np.tanh(h_next) ** 2,
                 "1 - h": 1 - h_next, "none": np.ones_like(h_next)}[derivative]
        if in_place:
            dh_next *= slope
            da = dh_next
        else:
            da = dh_next * slope
        dx = da @ Wx.T
        dh_prev = da @ (Wh.T if dh_prev_transposed else Wh)
        dWx = da.T @ x if dWx_transposed else x.T @ da
        dWh = (h_prev if dWh_state == "h_prev" else h_next).T @ da
        db_ = {"sum": da.sum(axis=0), "none": da, "mean": da.mean(axis=0)}[db]
        return dx, dh_prev, dWx, dWh, db_

    return rnn_step_backward


def _step_backward_no_transpose(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next ** 2)
    return da @ Wx, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


WRONG_STEP_BACKWARD = {
    "tanh's derivative of the wrong quantity, 1 - tanh(h_next)^2":
        _step_backward(derivative="1 - tanh(h)^2"),
    "tanh's derivative 1 - h_next, not squared": _step_backward(derivative="1 - h"),
    "tanh's derivative missing": _step_backward(derivative="none"),
    "dWh uses h_next instead of h_prev": _step_backward(dWh_state="h_next"),
    "dWx transposed": _step_backward(dWx_transposed=True),
    "db not summed over the batch": _step_backward(db="none"),
    "db averaged over the batch": _step_backward(db="mean"),
    "dh_prev = da @ Wh": _step_backward(dh_prev_transposed=False),
    "dh_next modified in place": _step_backward(in_place=True),
    "dx = da @ Wx without the transpose (crashes when D != H)": lambda dh_next, cache: (
        _step_backward_no_transpose(dh_next, cache)),
}


def _step_backward_einsum(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next) * (1 + h_next)                # 1 - h^2, factored
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh),
            np.einsum("nd,nh->dh", x, da), np.einsum("nk,nh->kh", h_prev, da),
            np.einsum("nh->h", da))


def _step_backward_outer_products(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next / np.cosh(np.arctanh(h_next)) ** 2           # tanh'(a) = sech(a)^2
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    for n in range(len(x)):
        dWx += np.outer(x[n], da[n])
        dWh += np.outer(h_prev[n], da[n])
        db += da[n]
    return da @ Wx.T, da @ Wh.T, dWx, dWh, db


RIGHT_STEP_BACKWARD = {"einsum": _step_backward_einsum,
                       "outer products per example, sech^2": _step_backward_outer_products}

# --------------------------------------------------------------------------- sequence forward


def _forward(*, carry=True, use_h0=True, include_h0=False, reverse=False, only_last=False):
    def rnn_forward(x, h0, Wx, Wh, b):
        N, T, _ = x.shape
        state = h0 if use_h0 else np.zeros_like(h0)
        states = []
        for t in (reversed(range(T)) if reverse else range(T)):
            prev = state if carry else (h0 if use_h0 else np.zeros_like(h0))
            state = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
            states.append(state)
        if reverse:
            states = states[::-1]
        h = np.stack(states, axis=1)
        if include_h0:
            h = np.concatenate([h0[:, None], h], axis=1)
        if only_last:
            h = h[:, -1]
        return h, (x, h0, Wx, Wh, h)

    return rnn_forward


def _forward_time_first(x, h0, Wx, Wh, b):
    h = np.zeros((x.shape[1], x.shape[0], h0.shape[1]))
    state = h0
    for t, xt in enumerate(x):                                # x[t] is a sequence, not a step
        state = np.tanh(xt @ Wx + state @ Wh + b)
        h[t] = state
    return h, (x, h0, Wx, Wh, h)


def _forward_no_time_axis(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, h0.shape[1]))                           # (N, H): no time axis
    state = h0
    for t in range(T):
        state = np.tanh(x[:, t] @ Wx + state @ Wh + b)
        h[:, t] = state                                       # a column of h: crashes
    return h, (x, h0, Wx, Wh, h)


WRONG_FORWARD = {
    "every step starts from h0": _forward(carry=False),
    "h0 ignored": _forward(use_h0=False),
    "h0 included in h": _forward(include_h0=True),
    "time read backwards": _forward(reverse=True),
    "only the last state returned": _forward(only_last=True),
    "x[t] instead of x[:, t]": _forward_time_first,
    "h allocated as (N, H) instead of (N, T, H) (crashes)": _forward_no_time_axis,
}


def _forward_time_major(x, h0, Wx, Wh, b):
    xs = np.transpose(x, (1, 0, 2))                           # (T, N, D)
    projected = xs @ Wx                                       # (T, N, H): all inputs at once
    hs = np.empty((xs.shape[0], x.shape[0], h0.shape[1]))
    state = h0
    for t in range(xs.shape[0]):
        state = np.tanh(projected[t] + state @ Wh + b)
        hs[t] = state
    h = np.ascontiguousarray(np.transpose(hs, (1, 0, 2)))     # (N, T, H)
    return h, (x, h0, Wx, Wh, h)


def _forward_list(x, h0, Wx, Wh, b):
    states, state = [], h0.copy()
    for t in range(x.shape[1]):
        state = np.tanh(np.einsum("nd,dh->nh", x[:, t], Wx) + state @ Wh + b)
        states.append(state)
    h = np.stack(states, axis=1)
    return h, (x, h0, Wx, Wh, h)


RIGHT_FORWARD = {"time-major with the inputs projected at once": _forward_time_major,
                 "a list of states, stacked": _forward_list}

# --------------------------------------------------------------------------- sequence backward


def _bptt(*, accumulate=True, upstream="both", reverse=True, return_dh0=True, db_axis=0,
          dWh_state="h_prev", wrap_h0=False, dWx_transposed=False, in_place=False,
          carried_like_dh=False, time_first_states=False):
    def rnn_backward(dh, cache):
        x, h0, Wx, Wh, h = cache
        N, T, D = x.shape
        dx = np.zeros_like(x)
        dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
        db = np.zeros((N, Wh.shape[0])) if db_axis is None else np.zeros(Wh.shape[0])
        carried = np.zeros_like(dh) if carried_like_dh else np.zeros_like(h0)
        for t in (reversed(range(T)) if reverse else range(T)):
            if in_place:
                dh[:, t] += carried
                total = dh[:, t]
            else:
                total = {"both": dh[:, t] + carried, "own only": dh[:, t],
                         "carried only": carried + (dh[:, t] if t == T - 1 else 0.0)}[upstream]
            state_t = h[t] if time_first_states else h[:, t]     # h[t] is a sequence: crashes
            da = total * (1 - state_t ** 2)
            if wrap_h0:
                prev = h[:, t - 1]                            # h[:, -1] at t = 0: the last state
            else:
                prev = h0 if t == 0 else h[:, t - 1]
            state = prev if dWh_state == "h_prev" else h[:, t]
            gx = da.T @ x[:, t] if dWx_transposed else x[:, t].T @ da
            gb = da if db_axis is None else da.sum(axis=0)
            if accumulate:
                dWx, dWh, db = dWx + gx, dWh + state.T @ da, db + gb
            else:
                dWx, dWh, db = gx, state.T @ da, gb
            dx[:, t] = da @ Wx.T
            carried = da @ Wh.T
        return dx, (carried if return_dh0 else np.zeros_like(h0)), dWx, dWh, db

    return rnn_backward


WRONG_BACKWARD = {
    "gradients overwritten at each step, not summed": _bptt(accumulate=False),
    "the upstream dh[:, t] not added to the carried gradient": _bptt(upstream="carried only"),
    "the carried gradient dropped (each step uses only dh[:, t])": _bptt(upstream="own only"),
    "time iterated forwards in the backward pass": _bptt(reverse=False),
    "dh0 missing (zeros)": _bptt(return_dh0=False),
    "db not summed over the batch": _bptt(db_axis=None),
    "dWh uses h_t instead of h_{t-1}": _bptt(dWh_state="h_next"),
    "h[:, t - 1] at t = 0 wraps to the last state instead of h0": _bptt(wrap_h0=True),
    "dWx transposed": _bptt(dWx_transposed=True),
    "dh modified in place": _bptt(in_place=True),
    "dh[t] instead of dh[:, t] (crashes when N != T)": lambda dh, cache: _bptt()(
        np.swapaxes(dh, 0, 1), cache),
    "h[t] instead of h[:, t] for the states (crashes)": _bptt(time_first_states=True),
    "the carried gradient started as zeros of dh's shape (N, T, H) (crashes)":
        _bptt(carried_like_dh=True),
}


def _bptt_einsum_at_the_end(dh, cache):
    x, h0, Wx, Wh, h = cache
    T = x.shape[1]
    da = np.zeros_like(h)
    carried = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        da[:, t] = (dh[:, t] + carried) * (1 - h[:, t] ** 2)
        carried = da[:, t] @ Wh.T
    # (N, T, H): the state before each step
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    return (np.einsum("nth,dh->ntd", da, Wx), carried, np.einsum("ntd,nth->dh", x, da),
            np.einsum("ntk,nth->kh", h_prev, da), da.sum(axis=(0, 1)))


def _bptt_on_a_copy(dh, cache):
    x, h0, Wx, Wh, h = cache
    dh = dh.copy()                                            # in-place additions on our own copy
    dx = np.zeros_like(x)
    grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])]
    for t in reversed(range(x.shape[1])):
        da = dh[:, t] * (1 - h[:, t] ** 2)
        prev = h[:, t - 1] if t > 0 else h0
        dx[:, t] = da @ Wx.T
        for g, new in zip(grads, [x[:, t].T @ da, prev.T @ da, da.sum(axis=0)], strict=True):
            g += new
        if t > 0:
            dh[:, t - 1] += da @ Wh.T
        else:
            dh0 = da @ Wh.T
    return dx, dh0, *grads


RIGHT_BACKWARD = {"einsum once da is known": _bptt_einsum_at_the_end,
                  "adding into a copy of dh": _bptt_on_a_copy}

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "c", "answer_q2": "a", "answer_q3": "d"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)

WRONG = {
    "VanillaRNN": WRONG_CLASS,
    "rnn_step_forward": WRONG_STEP_FORWARD,
    "rnn_step_backward": WRONG_STEP_BACKWARD,
    "rnn_forward": WRONG_FORWARD,
    "rnn_backward": WRONG_BACKWARD,
} | WRONG_ANSWERS

RIGHT = {
    "VanillaRNN": RIGHT_CLASS,
    "rnn_step_forward": RIGHT_STEP_FORWARD,
    "rnn_step_backward": RIGHT_STEP_BACKWARD,
    "rnn_forward": RIGHT_FORWARD,
    "rnn_backward": RIGHT_BACKWARD,
} | RIGHT_ANSWERS
