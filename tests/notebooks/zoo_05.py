"""Wrong and right answers to notebook 05's exercises (attention).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes. The attention variants carry their own
correct softmax, so that only the exercise under test is wrong.
"""

from __future__ import annotations

import numpy as np

from .zoo_choices import choice_zoo

# --------------------------------------------------------------------------- softmax


def _softmax(*, shift=True, axis_fixed=None, fill=None, inverted=False, check_empty=True,
             renormalise=True, in_place=False, broadcast=True):
    """The reference softmax with one switch per plausible mistake."""

    def softmax(x, axis=-1, mask=None):
        ax = axis if axis_fixed is None else axis_fixed
        x_arr = np.asarray(x, dtype=float)
        work = x_arr if in_place else x_arr.copy()
        if mask is None:
            allowed = np.ones(work.shape, dtype=bool)
        else:
            m = np.asarray(mask, dtype=bool)
            if not broadcast and m.shape != work.shape:
                raise ValueError("mask shape differs from x")
            allowed = np.broadcast_to(~m if inverted else m, work.shape)
        if check_empty and not np.all(np.any(allowed, axis=ax)):
            raise ValueError("a row has no allowed entry")
        if fill is not None:
            work[...] = np.where(allowed, work, fill)
            z = work - work.max(axis=ax, keepdims=True) if shift else work
            e = np.exp(z)
        elif not renormalise:
            z = work - work.max(axis=ax, keepdims=True) if shift else work
            e = np.exp(z)
            return np.where(allowed, e / e.sum(axis=ax, keepdims=True), 0.0)
        else:
            scores = np.where(allowed, work, -np.inf)
            with np.errstate(over="ignore", invalid="ignore"):
                z = scores - scores.max(axis=ax, keepdims=True) if shift else scores
                e = np.where(allowed, np.exp(z), 0.0)
        with np.errstate(invalid="ignore"):
            return e / e.sum(axis=ax, keepdims=True)

    return softmax


def _allowed(x, mask):
    if mask is None:
        return np.ones(x.shape, bool)
    return np.broadcast_to(np.asarray(mask, bool), x.shape)


def _softmax_logsumexp(x, axis=-1, mask=None):
    x = np.asarray(x, dtype=float)
    allowed = _allowed(x, mask)
    if not allowed.any(axis=axis).all():
        raise ValueError("every entry of a row is masked")
    s = np.where(allowed, x, -np.inf)
    top = s.max(axis=axis, keepdims=True)
    lse = top + np.log(np.sum(np.exp(s - top), axis=axis, keepdims=True))
    return np.exp(s - lse)


def _softmax_loops(x, axis=-1, mask=None):
    x = np.asarray(x, dtype=float)
    allowed = _allowed(x, mask)
    xm, am = np.moveaxis(x, axis, -1), np.moveaxis(allowed, axis, -1)
    out = np.zeros(xm.shape)
    for idx in np.ndindex(xm.shape[:-1]):
        row, ok = xm[idx], am[idx]
        if not ok.any():
            raise ValueError("a fully masked row")
        e = np.zeros(row.shape)
        e[ok] = np.exp(row[ok] - row[ok].max())
        out[idx] = e / e.sum()
    return np.moveaxis(out, -1, axis)


def _softmax_zero_then_renormalise(x, axis=-1, mask=None):
    x = np.asarray(x, dtype=float)
    allowed = _allowed(x, mask)
    if not allowed.any(axis=axis).all():
        raise ValueError("a fully masked row")
    e = np.exp(x - x.max(axis=axis, keepdims=True)) * allowed
    return e / e.sum(axis=axis, keepdims=True)


WRONG_SOFTMAX = {
    "no max subtraction (overflow to nan)": _softmax(shift=False),
    "softmax always along axis 0": _softmax(axis_fixed=0),
    "softmax always along the last axis": _softmax(axis_fixed=-1),
    "masked entries set to -1e9": _softmax(fill=-1e9),
    "mask inverted": _softmax(inverted=True),
    "no error on a fully masked row": _softmax(check_empty=False),
    "masked weights zeroed after the softmax, not renormalised": _softmax(renormalise=False),
    "x modified in place": _softmax(fill=-np.inf, in_place=True),
    "mask not broadcast": _softmax(broadcast=False),
}

RIGHT_SOFTMAX = {"logsumexp form": _softmax_logsumexp, "loops over rows": _softmax_loops,
                 "zero masked entries then renormalise": _softmax_zero_then_renormalise}

# --------------------------------------------------------------------------- additive_attention


def _additive(*, tanh=True, v_first=False, softmax_axis=1, sum_axis=1, normalise=True,
              in_place=False, use_s=True, time_axis=True):
    def additive_attention(s_prev, H, W_s, W_h, v):
        state = (s_prev @ W_s)[:, None, :] if time_axis else s_prev @ W_s
        pre = (state if use_s else 0) + H @ W_h
        if v_first:
            e = np.tanh(pre @ v)
        else:
            e = (np.tanh(pre) if tanh else pre) @ v
        alpha = _softmax_logsumexp(e, axis=softmax_axis) if normalise else e
        if sum_axis == 1:
            context = np.einsum("nt,ntd->nd", alpha, H)
        else:
            context = (alpha[:, :, None] * H).sum(axis=sum_axis)
        if in_place:
            np.multiply(H, 2.0, out=H)   # a scratch computation written into H
        return context, alpha

    return additive_attention


def _additive_loops(s_prev, H, W_s, W_h, v):
    N, T, D = H.shape
    alpha, context = np.zeros((N, T)), np.zeros((N, D))
    for n in range(N):
        e = np.array([v @ np.tanh(W_s.T @ s_prev[n] + W_h.T @ H[n, t]) for t in range(T)])
        a = np.exp(e - e.max())
        alpha[n] = a / a.sum()
        for t in range(T):
            context[n] += alpha[n, t] * H[n, t]
    return context, alpha


def _additive_einsum(s_prev, H, W_s, W_h, v):
    hidden = np.tanh(np.einsum("ns,sa->na", s_prev, W_s)[:, None]
                     + np.einsum("ntd,da->nta", H, W_h))
    e = np.einsum("nta,a->nt", hidden, v)
    alpha = _softmax_logsumexp(e, axis=-1)
    return (alpha[:, :, None] * H).sum(axis=1), alpha


WRONG_ADDITIVE = {
    "tanh missing": _additive(tanh=False),
    "v applied before the tanh": _additive(v_first=True),
    "softmax over the batch axis": _additive(softmax_axis=0),
    "context summed over the features": _additive(sum_axis=2),
    "context summed over the batch": _additive(sum_axis=0),
    "scores not normalised": _additive(normalise=False),
    "H modified in place": _additive(in_place=True),
    "decoder state ignored": _additive(use_s=False),
    "the state's time axis missing (crashes)": _additive(time_axis=False),
    "softmax over axis 2 of the (N, T) scores (crashes)": _additive(softmax_axis=2),
}

RIGHT_ADDITIVE = {"loops over sequences and steps": _additive_loops, "einsum": _additive_einsum}

# ------------------------------------------------------------ additive_attention_backward


def _forward_parts(s_prev, H, W_s, W_h, v):
    z = np.tanh((s_prev @ W_s)[:, None, :] + H @ W_h)
    return z, _softmax_logsumexp(z @ v, axis=1)


def _backward(*, context_path=True, score_path=True, full_jacobian=True, slope="1 - z^2",
              time="sum", transpose_ws=True, in_place=False):
    def additive_attention_backward(dcontext, s_prev, H, W_s, W_h, v):
        z, alpha = _forward_parts(s_prev, H, W_s, W_h, v)
        if in_place:
            weighted = H                        # an alias, not a copy: this writes into H
            weighted *= alpha[:, :, None]
        dalpha = np.einsum("nd,ntd->nt", dcontext, H)
        if full_jacobian:
            de = alpha * (dalpha - (alpha * dalpha).sum(axis=1, keepdims=True))
        else:
            de = alpha * (1 - alpha) * dalpha
        dv = np.einsum("nt,nta->a", de, z)
        dpre = de[:, :, None] * v * {"1 - z^2": 1 - z ** 2, "none": 1.0, "1 - z": 1 - z}[slope]
        dH = np.zeros_like(H)
        if context_path:
            dH = dH + alpha[:, :, None] * dcontext[:, None, :]
        if score_path:
            dH = dH + dpre @ W_h.T
        du = {"sum": dpre.sum(axis=1), "mean": dpre.mean(axis=1), "none": dpre}[time]
        ds_prev = du @ (W_s.T if transpose_ws else W_s)
        return ds_prev, dH, s_prev.T @ du, np.einsum("ntd,nta->da", H, dpre), dv

    return additive_attention_backward


def _backward_loops(dcontext, s_prev, H, W_s, W_h, v):
    N, T, D = H.shape
    grads = [np.zeros_like(a) for a in (s_prev, H, W_s, W_h, v)]
    for n in range(N):
        u = s_prev[n] @ W_s
        z = np.array([np.tanh(u + H[n, t] @ W_h) for t in range(T)])      # (T, A)
        e = z @ v
        alpha = np.exp(e - e.max())
        alpha /= alpha.sum()
        dalpha = H[n] @ dcontext[n]
        du = np.zeros_like(u)
        for t in range(T):
            de_t = sum(alpha[t] * ((t == k) - alpha[k]) * dalpha[k] for k in range(T))
            grads[4] += de_t * z[t]
            dp = de_t * v * (1 - z[t] ** 2)
            grads[1][n, t] += alpha[t] * dcontext[n] + W_h @ dp
            grads[3] += np.outer(H[n, t], dp)
            du += dp
        grads[0][n] = W_s @ du
        grads[2] += np.outer(s_prev[n], du)
    return tuple(grads)


def _backward_jacobian_matrix(dcontext, s_prev, H, W_s, W_h, v):
    # The softmax's Jacobian built as a (T, T) matrix per sequence, then applied.
    z, alpha = _forward_parts(s_prev, H, W_s, W_h, v)
    jacobian = alpha[:, :, None] * (np.eye(H.shape[1])[None] - alpha[:, None, :])   # (N, T, T)
    de = np.einsum("ntk,nt->nk", jacobian, np.einsum("nd,ntd->nt", dcontext, H))
    dpre = np.einsum("nt,a,nta->nta", de, v, 1 - z * z)
    du = np.einsum("nta->na", dpre)
    dH = np.einsum("nt,nd->ntd", alpha, dcontext) + np.einsum("nta,da->ntd", dpre, W_h)
    return (np.einsum("na,sa->ns", du, W_s), dH, np.einsum("ns,na->sa", s_prev, du),
            np.einsum("ntd,nta->da", H, dpre), np.einsum("nt,nta->a", de, z))


WRONG_BACKWARD = {
    "the context's own path missing from dH": _backward(context_path=False),
    "the path through the scores missing from dH": _backward(score_path=False),
    "only the diagonal of the softmax's Jacobian": _backward(full_jacobian=False),
    "tanh's derivative missing": _backward(slope="none"),
    "tanh's derivative 1 - z, not squared": _backward(slope="1 - z"),
    "the state's gradient averaged over t": _backward(time="mean"),
    "the state's gradient not summed over t (crashes)": _backward(time="none"),
    "W_s not transposed for ds_prev (crashes)": _backward(transpose_ws=False),
    "H scaled by alpha in place (an alias, not a copy)": _backward(in_place=True),
}

RIGHT_BACKWARD = {"loops over sequences and steps": _backward_loops,
                  "the softmax's Jacobian as a matrix, and einsum": _backward_jacobian_matrix}

# ------------------------------------------------------------ scaled_dot_product_attention


def _sdpa(*, scale="sqrt", transpose="last two", order="weights @ V", use_mask=True, axis=-1,
          in_place=False):
    def scaled_dot_product_attention(Q, K, V, mask=None):
        d = Q.shape[-1]
        Kt = {"all": K.T, "none": K}.get(transpose, np.swapaxes(K, -1, -2))
        if in_place:
            Q /= np.sqrt(d)
            scores = Q @ Kt
        else:
            scores = Q @ Kt
            scores = {"sqrt": scores / np.sqrt(d), "none": scores, "d": scores / d}[scale]
        weights = _softmax_logsumexp(scores, axis=axis, mask=mask if use_mask else None)
        out = weights @ V if order == "weights @ V" else np.swapaxes(V, -1, -2) @ weights
        return out, weights

    return scaled_dot_product_attention


def _sdpa_einsum(Q, K, V, mask=None):
    scores = np.einsum("nqd,nkd->nqk", Q, K) / np.sqrt(Q.shape[-1])
    weights = _softmax_loops(scores, axis=-1, mask=mask)
    return np.einsum("nqk,nkv->nqv", weights, V), weights


def _sdpa_scale_queries(Q, K, V, mask=None):
    scores = (Q / np.sqrt(Q.shape[-1])) @ K.transpose(0, 2, 1)
    weights = _softmax_zero_then_renormalise(scores, mask=mask)
    return weights @ V, weights


WRONG_SDPA = {
    "no 1/sqrt(d) scale": _sdpa(scale="none"),
    "divided by d": _sdpa(scale="d"),
    "K.T reverses all axes": _sdpa(transpose="all"),
    "K not transposed": _sdpa(transpose="none"),
    "V^T @ weights instead of weights @ V": _sdpa(order="V @ weights"),
    "mask ignored": _sdpa(use_mask=False),
    "softmax over the queries": _sdpa(axis=1),
    "Q scaled in place": _sdpa(in_place=True),
}

RIGHT_SDPA = {"einsum and a softmax by loops": _sdpa_einsum,
              "queries scaled before the product": _sdpa_scale_queries}

# --------------------------------------------------------------------------- multi_head_attention


def _sdpa_reference(Q, K, V, mask=None):
    weights = _softmax_logsumexp(Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1]), mask=mask)
    return weights @ V, weights


def _mha(*, split="blocks", scale="head", use_wo=True, merge="transpose", mask_heads="repeat",
         use_mask=True, weights_shape="heads"):
    def multi_head_attention(Xq, Xkv, Wq, Wk, Wv, Wo, num_heads, mask=None):
        N, Tq, D = Xq.shape
        Tk = Xkv.shape[1]
        if D % num_heads:
            raise ValueError("num_heads must divide D")
        h, w = num_heads, D // num_heads

        def heads(X):
            T = X.shape[1]
            if split == "blocks":
                return X.reshape(N, T, h, w).transpose(0, 2, 1, 3).reshape(N * h, T, w)
            if split == "strided":
                return X.reshape(N, T, w, h).transpose(0, 3, 1, 2).reshape(N * h, T, w)
            return X.reshape(N * h, T, w)

        if mask is not None and use_mask:
            if mask_heads == "repeat":
                mask = np.repeat(np.broadcast_to(mask, (N, Tq, Tk)), h, axis=0)
            elif mask_heads == "tile":
                mask = np.tile(np.broadcast_to(mask, (N, Tq, Tk)), (h, 1, 1))
            # "as given": handed on unchanged, wrong for a mask with a batch axis
        Q, K, V = heads(Xq @ Wq), heads(Xkv @ Wk), heads(Xkv @ Wv)
        if scale == "D":
            Q = Q * np.sqrt(w / D)              # the sdpa's 1/sqrt(w) becomes 1/sqrt(D)
        out, weights = _sdpa_reference(Q, K, V, mask if use_mask else None)
        if split == "strided":
            out = out.reshape(N, h, Tq, w).transpose(0, 2, 3, 1).reshape(N, Tq, D)
        elif split == "no transpose" or merge == "reshape":
            out = out.reshape(N, Tq, D)
        else:
            out = out.reshape(N, h, Tq, w).transpose(0, 2, 1, 3).reshape(N, Tq, D)
        if weights_shape == "heads":
            weights = weights.reshape(N, h, Tq, Tk)
        return (out @ Wo if use_wo else out), weights

    return multi_head_attention


def _mha_loop(Xq, Xkv, Wq, Wk, Wv, Wo, num_heads, mask=None):
    D = Xq.shape[2]
    if D % num_heads:
        raise ValueError("num_heads must divide D")
    w = D // num_heads
    outs, maps = [], []
    for j in range(num_heads):
        cols = slice(j * w, (j + 1) * w)
        out, weights = _sdpa_reference(Xq @ Wq[:, cols], Xkv @ Wk[:, cols], Xkv @ Wv[:, cols], mask)
        outs.append(out)
        maps.append(weights)
    return np.concatenate(outs, axis=-1) @ Wo, np.stack(maps, axis=1)


def _mha_einsum(Xq, Xkv, Wq, Wk, Wv, Wo, num_heads, mask=None):
    N, Tq, D = Xq.shape
    if D % num_heads:
        raise ValueError("num_heads must divide D")
    w = D // num_heads
    Q = (Xq @ Wq).reshape(N, Tq, num_heads, w)
    K = (Xkv @ Wk).reshape(N, -1, num_heads, w)
    V = (Xkv @ Wv).reshape(N, -1, num_heads, w)
    scores = np.einsum("nqhw,nkhw->nhqk", Q, K) / np.sqrt(w)
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]          # (N, 1, Tq, Tk): the same for every head
    weights = _softmax_loops(scores, axis=-1, mask=mask)
    out = np.einsum("nhqk,nkhw->nqhw", weights, V).reshape(N, Tq, D)
    return out @ Wo, weights


WRONG_MHA = {
    "heads split along the wrong axis (every h-th feature)": _mha(split="strided"),
    "reshape into heads without a transpose": _mha(split="no transpose"),
    "scaled by sqrt(D) instead of sqrt(D / heads)": _mha(scale="D"),
    "Wo forgotten": _mha(use_wo=False),
    "heads put back without moving the head axis": _mha(merge="reshape"),
    "mask ignored": _mha(use_mask=False),
    "mask tiled instead of repeated for the heads": _mha(mask_heads="tile"),
    "a per-sequence mask handed on without repeating it (crashes)": _mha(mask_heads="as given"),
    "weights left as (N * heads, Tq, Tk)": _mha(weights_shape="merged"),
}

RIGHT_MHA = {"a loop over the heads' columns": _mha_loop, "einsum over a head axis": _mha_einsum}

# --------------------------------------------------------------------------- positional_encoding


def _pe(*, swap=False, exponent="2i", start=0, layout="interleaved", sign=-1, odd_crash=False,
        dtype=float):
    def positional_encoding(T, d):
        t = np.arange(start, start + T)[:, None]
        cols = np.arange(d)
        if layout == "halves":
            rates = 10000.0 ** (sign * np.arange(0, d, 2) / d)
            first, second = (np.cos, np.sin) if swap else (np.sin, np.cos)
            return np.concatenate([first(t * rates), second(t * rates[: d // 2])], axis=1)
        if odd_crash:
            rates = 10000.0 ** (-np.arange(0, d, 2) / d)
            pe = np.zeros((T, d))
            pe[:, 0::2] = np.sin(t * rates)
            pe[:, 1::2] = np.cos(t * rates)     # one rate too many when d is odd
            return pe
        index = {"2i": 2 * (cols // 2), "i": cols // 2, "j": cols}[exponent]
        angles = t * 10000.0 ** (sign * index / d)
        first, second = (np.cos, np.sin) if swap else (np.sin, np.cos)
        pe = np.zeros((T, d), dtype=dtype)
        pe[...] = np.where(cols % 2 == 0, first(angles), second(angles))
        return pe

    return positional_encoding


def _pe_loops(T, d):
    pe = np.zeros((T, d))
    for t in range(T):
        for i in range(0, d, 2):
            angle = t / 10000 ** (i / d)
            pe[t, i] = np.sin(angle)
            if i + 1 < d:
                pe[t, i + 1] = np.cos(angle)
    return pe


def _pe_exp_log(T, d):
    rates = np.exp(-np.log(10000.0) * np.arange(0, d, 2) / d)
    angles = np.outer(np.arange(T), rates)                       # (T, ceil(d/2))
    pe = np.empty((T, 2 * rates.size))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
    return pe[:, :d]


WRONG_PE = {
    "sin and cos swapped": _pe(swap=True),
    "exponent i/d instead of 2i/d": _pe(exponent="i"),
    "the column index j in the exponent": _pe(exponent="j"),
    "positions counted from 1": _pe(start=1),
    "sines in the first half, cosines in the second": _pe(layout="halves"),
    "t multiplied by 10000^(2i/d)": _pe(sign=1),
    "one rate too many for the cosines when d is odd (crashes)": _pe(odd_crash=True),
    "an integer array (values truncated)": _pe(dtype=int),
}

RIGHT_PE = {"loops": _pe_loops, "exp-log rates, computed for an even width and cut": _pe_exp_log}

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "b", "answer_q2": "c", "answer_q3": "a", "answer_q4": "d"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)

WRONG = {
    "softmax": WRONG_SOFTMAX,
    "additive_attention": WRONG_ADDITIVE,
    "additive_attention_backward": WRONG_BACKWARD,
    "scaled_dot_product_attention": WRONG_SDPA,
    "multi_head_attention": WRONG_MHA,
    "positional_encoding": WRONG_PE,
} | WRONG_ANSWERS

RIGHT = {
    "softmax": RIGHT_SOFTMAX,
    "additive_attention": RIGHT_ADDITIVE,
    "additive_attention_backward": RIGHT_BACKWARD,
    "scaled_dot_product_attention": RIGHT_SDPA,
    "multi_head_attention": RIGHT_MHA,
    "positional_encoding": RIGHT_PE,
} | RIGHT_ANSWERS
