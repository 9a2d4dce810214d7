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
              in_place=False, use_s=True):
    def additive_attention(s_prev, H, W_s, W_h, v):
        pre = ((s_prev @ W_s)[:, None, :] if use_s else 0) + H @ W_h
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
}

RIGHT_ADDITIVE = {"loops over sequences and steps": _additive_loops, "einsum": _additive_einsum}

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

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "b", "answer_q2": "c", "answer_q3": "a"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)

WRONG = {
    "softmax": WRONG_SOFTMAX,
    "additive_attention": WRONG_ADDITIVE,
    "scaled_dot_product_attention": WRONG_SDPA,
} | WRONG_ANSWERS

RIGHT = {
    "softmax": RIGHT_SOFTMAX,
    "additive_attention": RIGHT_ADDITIVE,
    "scaled_dot_product_attention": RIGHT_SDPA,
} | RIGHT_ANSWERS
