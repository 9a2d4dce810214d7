"""Stored values of notebook 05's visible tests (see ``expected_cases.py``).

Inputs come from the tests' seeds; expected values from the reference solution
``ns``; mistakes are what a named wrong answer gives on the same inputs, written
out here as the wrong variant of the computation.
"""

from __future__ import annotations

import numpy as np


def _soft(x, axis=-1, mask=None):
    shape = np.shape(x)
    allowed = np.ones(shape, dtype=bool) if mask is None else np.broadcast_to(mask, shape)
    top = np.where(allowed, x, -np.inf).max(axis=axis, keepdims=True)
    e = np.where(allowed, np.exp(x - top), 0.0)
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- softmax


def _softmax(ns) -> dict:
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, -1.0]])
    e = np.exp(x)
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    return {"values": {"x": x, "w": ns["softmax"](x), "w_axis0": ns["softmax"](x, axis=0),
                       "w_big": ns["softmax"](big)},
            "mistakes": {
                "w": {"the sum taken along axis 0 instead of the last axis": e / e.sum(axis=0),
                      "the sum taken over the whole array": e / e.sum()},
                "w_axis0": {"the axis argument is ignored": e / e.sum(axis=1, keepdims=True)}}}


def _softmax_masks(ns) -> dict:
    x = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 0.0, 1.0, 5.0]])
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    e = np.exp(x)
    x3 = np.arange(12.0).reshape(3, 4) / 4
    row_mask = np.array([True, False, True, True])
    return {"values": {"x": x, "mask": mask, "w": ns["softmax"](x, mask=mask),
                       "x3": x3, "row_mask": row_mask, "w3": ns["softmax"](x3, mask=row_mask)},
            "mistakes": {"w": {"the mask is ignored": _soft(x),
                               "the mask inverted (True taken as hidden)": _soft(x, mask=~mask),
                               "masked weights zeroed after the softmax, without renormalising":
                                   np.where(mask, e / e.sum(axis=1, keepdims=True), 0.0)},
                         "w3": {"the mask is ignored": _soft(x3)}}}


# --------------------------------------------------------------------------- additive attention


def _additive(ns) -> dict:
    rng = np.random.default_rng(5)
    N, T, S, D, A = 2, 4, 3, 5, 6
    s_prev, H = rng.standard_normal((N, S)), rng.standard_normal((N, T, D))
    W_s, W_h, v = rng.standard_normal((S, A)), rng.standard_normal((D, A)), rng.standard_normal(A)
    context, alpha = ns["additive_attention"](s_prev, H, W_s, W_h, v)
    pre = (s_prev @ W_s)[:, None, :] + H @ W_h          # (N, T, A)
    return {"values": {"s_prev": s_prev, "H": H, "W_s": W_s, "W_h": W_h, "v": v,
                       "alpha": alpha, "context": context},
            "mistakes": {
                "alpha": {"the tanh is missing": _soft(pre @ v, 1),
                          "v applied before the tanh": _soft(np.tanh(pre @ v), 1),
                          "the softmax over the batch (axis 0) instead of over time":
                              _soft(np.tanh(pre) @ v, 0),
                          "the scores not passed through a softmax": np.tanh(pre) @ v},
                "context": {"context multiplied by alpha but not summed (mean over time)":
                                (alpha[:, :, None] * H).mean(axis=1),
                            "the weights of another sequence (alpha transposed somewhere)":
                                np.einsum("nt,ntd->nd", alpha[::-1], H)}}}


def _additive_backward_variant(dcontext, s_prev, H, W_s, W_h, v, *, context_path=True,
                               score_path=True, full_jacobian=True, tanh_derivative="1 - z^2",
                               sum_over_t=True):
    z = np.tanh((s_prev @ W_s)[:, None, :] + H @ W_h)
    alpha = _soft(z @ v, 1)
    dalpha = np.einsum("nd,ntd->nt", dcontext, H)
    if full_jacobian:
        de = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True))
    else:
        de = alpha * (1 - alpha) * dalpha
    dv = np.einsum("nt,nta->a", de, z)
    slope = {"1 - z^2": 1 - z ** 2, "none": 1.0, "1 - z": 1 - z}[tanh_derivative]
    dpre = de[:, :, None] * v * slope
    dH = np.zeros_like(H)
    if context_path:
        dH = dH + alpha[:, :, None] * dcontext[:, None, :]
    if score_path:
        dH = dH + dpre @ W_h.T
    du = dpre.sum(axis=1) if sum_over_t else dpre.mean(axis=1)
    return du @ W_s.T, dH, s_prev.T @ du, np.einsum("ntd,nta->da", H, dpre), dv


DIAGONAL = "only the diagonal of the softmax's Jacobian, alpha (1 - alpha)"


def _additive_backward(ns) -> dict:
    rng = np.random.default_rng(12)
    N, T, S, D, A = 2, 3, 4, 5, 6
    s_prev, H = rng.standard_normal((N, S)), rng.standard_normal((N, T, D))
    W_s, W_h, v = rng.standard_normal((S, A)), rng.standard_normal((D, A)), rng.standard_normal(A)
    dcontext = rng.standard_normal((N, D))
    args = (dcontext, s_prev, H, W_s, W_h, v)
    ds_prev, dH, dW_s, _, dv = ns["additive_attention_backward"](*args)
    diagonal = _additive_backward_variant(*args, full_jacobian=False)
    no_tanh = _additive_backward_variant(*args, tanh_derivative="none")
    unsquared = _additive_backward_variant(*args, tanh_derivative="1 - z")
    mean_t = _additive_backward_variant(*args, sum_over_t=False)
    return {"values": {"s_prev": s_prev, "H": H, "W_s": W_s, "W_h": W_h, "v": v,
                       "dcontext": dcontext, "ds_prev": ds_prev, "dH": dH, "dW_s": dW_s, "dv": dv},
            "mistakes": {
                "dH": {"the context's own path is missing (only the path through the scores)":
                           _additive_backward_variant(*args, context_path=False)[1],
                       "the path through the scores is missing (only the context's)":
                           _additive_backward_variant(*args, score_path=False)[1],
                       DIAGONAL: diagonal[1],
                       "tanh's derivative is missing": no_tanh[1],
                       "tanh's derivative written as 1 - z, not squared": unsquared[1]},
                "dv": {DIAGONAL: diagonal[4]},
                "ds_prev": {"the state's gradient averaged over t instead of summed": mean_t[0],
                            DIAGONAL: diagonal[0],
                            "tanh's derivative is missing": no_tanh[0],
                            "tanh's derivative written as 1 - z, not squared": unsquared[0]},
                "dW_s": {"the state's gradient averaged over t instead of summed": mean_t[2]}}}


# ------------------------------------------------------------ scaled dot-product attention


def _sdpa(ns) -> dict:
    rng = np.random.default_rng(7)
    N, Tq, Tk, d, dv = 2, 3, 4, 9, 5
    Q, K = rng.standard_normal((N, Tq, d)), rng.standard_normal((N, Tk, d))
    V = rng.standard_normal((N, Tk, dv))
    out, weights = ns["scaled_dot_product_attention"](Q, K, V)
    scores = Q @ K.transpose(0, 2, 1)
    return {"values": {"Q": Q, "K": K, "V": V, "weights": weights, "out": out},
            "mistakes": {
                "weights": {"the 1/sqrt(d) scale is missing": _soft(scores),
                            "the scores divided by d instead of sqrt(d)": _soft(scores / d),
                            "the scores multiplied by sqrt(d)": _soft(scores * np.sqrt(d)),
                            "the softmax over the queries (axis 1) instead of the keys":
                                _soft(scores / np.sqrt(d), axis=1)},
                "out": {"the 1/sqrt(d) scale is missing": _soft(scores) @ V,
                        "the scores divided by d instead of sqrt(d)": _soft(scores / d) @ V}}}


def _sdpa_causal(ns) -> dict:
    rng = np.random.default_rng(8)
    N, T, d, dv = 2, 4, 3, 2
    Q, K = rng.standard_normal((N, T, d)), rng.standard_normal((N, T, d))
    V = rng.standard_normal((N, T, dv))
    causal = np.tril(np.ones((T, T), dtype=bool))
    out, _ = ns["scaled_dot_product_attention"](Q, K, V, mask=causal)
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(d)
    return {"values": {"Q": Q, "K": K, "V": V, "out": out},
            "mistakes": {"out": {"the mask is ignored": _soft(scores) @ V,
                                 "masked weights zeroed after the softmax, without renormalising":
                                     np.where(causal, _soft(scores), 0.0) @ V}}}


# --------------------------------------------------------------------------- multi-head attention


def _mha_variant(Xq, Xkv, Wq, Wk, Wv, Wo, h, mask=None, *, split="blocks", scale="head",
                 use_wo=True, merge="transpose", mask_heads="repeat", use_mask=True):
    """Multi-head attention with one switch per plausible mistake."""
    N, Tq, D = Xq.shape
    Tk = Xkv.shape[1]
    w = D // h

    def heads(X):
        T = X.shape[1]
        if split == "blocks":
            return X.reshape(N, T, h, w).transpose(0, 2, 1, 3).reshape(N * h, T, w)
        if split == "strided":                 # every h-th feature
            return X.reshape(N, T, w, h).transpose(0, 3, 1, 2).reshape(N * h, T, w)
        return X.reshape(N * h, T, w)          # no transpose: a head holds pieces of several steps

    Q, K, V = heads(Xq @ Wq), heads(Xkv @ Wk), heads(Xkv @ Wv)
    m = None
    if mask is not None and use_mask:
        m = np.broadcast_to(mask, (N, Tq, Tk))
        m = np.repeat(m, h, axis=0) if mask_heads == "repeat" else np.tile(m, (h, 1, 1))
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(w if scale == "head" else D)
    weights = _soft(scores, mask=m)
    out = weights @ V                           # (N * h, Tq, w)
    if split == "strided":
        out = out.reshape(N, h, Tq, w).transpose(0, 2, 3, 1).reshape(N, Tq, D)
    elif split == "no transpose":
        out = out.reshape(N, Tq, D)
    elif merge == "transpose":
        out = out.reshape(N, h, Tq, w).transpose(0, 2, 1, 3).reshape(N, Tq, D)
    else:                                       # heads not moved back next to the features
        out = out.reshape(N, Tq, D)
    return (out @ Wo if use_wo else out), weights.reshape(N, h, Tq, Tk)


STRIDED = "the heads split along the wrong axis (every h-th feature, not blocks)"
UNMOVED = "reshaped into heads without moving the head axis (no transpose)"
BY_SQRT_D = "the scores divided by sqrt(D) instead of sqrt(D / num_heads)"


def _mha(ns) -> dict:
    rng = np.random.default_rng(9)
    N, Tq, Tk, D, h = 2, 3, 4, 6, 2
    Xq, Xkv = rng.standard_normal((N, Tq, D)), rng.standard_normal((N, Tk, D))
    Wq, Wk, Wv, Wo = (rng.standard_normal((D, D)) / np.sqrt(D) * 2 for _ in range(4))
    args = (Xq, Xkv, Wq, Wk, Wv, Wo, h)
    out, weights = ns["multi_head_attention"](*args)
    strided = _mha_variant(*args, split="strided")
    unmoved = _mha_variant(*args, split="no transpose")
    by_sqrt_d = _mha_variant(*args, scale="D")
    return {"values": {"Xq": Xq, "Xkv": Xkv, "Wq": Wq, "Wk": Wk, "Wv": Wv, "Wo": Wo, "num_heads": h,
                       "weights": weights, "out": out},
            "mistakes": {
                "weights": {STRIDED: strided[1], UNMOVED: unmoved[1], BY_SQRT_D: by_sqrt_d[1]},
                "out": {STRIDED: strided[0], UNMOVED: unmoved[0], BY_SQRT_D: by_sqrt_d[0],
                        "the output layer Wo is missing": _mha_variant(*args, use_wo=False)[0],
                        "the heads put back without moving the head axis next to the features":
                            _mha_variant(*args, merge="reshape")[0]}}}


def _mha_masks(ns) -> dict:
    rng = np.random.default_rng(10)
    N, T, D, h = 2, 4, 6, 3
    X = rng.standard_normal((N, T, D))
    Wq, Wk, Wv, Wo = (rng.standard_normal((D, D)) / np.sqrt(D) * 2 for _ in range(4))
    causal = np.tril(np.ones((T, T), dtype=bool))
    padding = np.ones((N, 1, T), dtype=bool)
    padding[0, 0, -1] = False                   # the last key of sequence 0 is padding
    args = (X, X, Wq, Wk, Wv, Wo, h)
    out_causal, _ = ns["multi_head_attention"](*args, mask=causal)
    out_padding, _ = ns["multi_head_attention"](*args, mask=padding)
    return {"values": {"X": X, "Wq": Wq, "Wk": Wk, "Wv": Wv, "Wo": Wo, "padding": padding,
                       "out_causal": out_causal, "out_padding": out_padding},
            "mistakes": {
                "out_causal": {
                    "the mask is ignored": _mha_variant(*args, causal, use_mask=False)[0]},
                "out_padding": {
                    "the mask is ignored": _mha_variant(*args, padding, use_mask=False)[0],
                    "the mask tiled instead of repeated (heads get another sequence's mask)":
                        _mha_variant(*args, padding, mask_heads="tile")[0]}}}


# --------------------------------------------------------------------------- positional encoding


def _pe_variant(T, d, *, swap=False, exponent="2i", start=0, layout="interleaved", sign=-1):
    t = np.arange(start, start + T)[:, None]
    pairs = np.arange((d + 1) // 2)
    cols = np.arange(d)
    if exponent == "2i":
        rate_of_col = 10000.0 ** (sign * (2 * (cols // 2)) / d)
    elif exponent == "i":
        rate_of_col = 10000.0 ** (sign * (cols // 2) / d)
    else:                                        # the column's own index j
        rate_of_col = 10000.0 ** (sign * cols / d)
    first, second = (np.cos, np.sin) if swap else (np.sin, np.cos)
    if layout == "interleaved":
        angles = t * rate_of_col
        return np.where(cols % 2 == 0, first(angles), second(angles))
    rates = 10000.0 ** (sign * 2 * pairs / d)   # sines first, then cosines
    return np.concatenate([first(t * rates), second(t * rates[: d // 2])], axis=1)


def _pe(ns) -> dict:
    mistakes = {}
    for name, (T, d) in {"pe": (6, 8), "pe_odd": (4, 5)}.items():
        mistakes[name] = {
            "sines and cosines swapped": _pe_variant(T, d, swap=True),
            "the exponent i/d instead of 2i/d": _pe_variant(T, d, exponent="i"),
            "the column's own index in the exponent (the cosines get another frequency)":
                _pe_variant(T, d, exponent="j"),
            "positions counted from 1": _pe_variant(T, d, start=1),
            "the sines in the first half of the columns, the cosines in the second":
                _pe_variant(T, d, layout="halves"),
            "t multiplied by 10000 to the power 2i/d instead of divided": _pe_variant(T, d, sign=1),
        }
    return {"values": {"pe": ns["positional_encoding"](6, 8),
                       "pe_odd": ns["positional_encoding"](4, 5)},
            "mistakes": mistakes}


def cases(ns) -> dict:
    return {
        "test_softmax": _softmax(ns),
        "test_softmax_2": _softmax_masks(ns),
        "test_additive_attention": _additive(ns),
        "test_additive_attention_backward_2": _additive_backward(ns),
        "test_scaled_dot_product_attention": _sdpa(ns),
        "test_scaled_dot_product_attention_2": _sdpa_causal(ns),
        "test_multi_head_attention": _mha(ns),
        "test_multi_head_attention_2": _mha_masks(ns),
        "test_positional_encoding": _pe(ns),
    }
