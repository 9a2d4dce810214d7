"""Wrong and right answers to notebook 06's exercises (word embeddings).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .zoo_choices import choice_zoo

# --------------------------------------------------------------------------- one_hot


def _one_hot(*, transpose=False, shift=0, check=True, columns=False, dtype=float):
    def one_hot(ids, vocab_size):
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if check and (np.any(ids < 0) or np.any(ids >= vocab_size)):
            raise ValueError("id out of range")
        out = np.zeros((ids.size, vocab_size), dtype=dtype)
        if columns:
            out[:, ids] = 1
        else:
            out[np.arange(ids.size), (ids + shift) % vocab_size] = 1
        return out.T if transpose else out

    return one_hot


def _one_hot_eye(ids, vocab_size):
    ids = np.asarray(ids, dtype=int)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids outside 0 .. {vocab_size - 1}")
    return np.eye(vocab_size)[ids].reshape(len(ids), vocab_size)


def _one_hot_compare(ids, vocab_size):
    ids = np.asarray(ids).reshape(-1, 1)
    if not np.all((ids >= 0) & (ids < vocab_size)):
        raise ValueError("bad id")
    return (ids == np.arange(vocab_size)).astype(float)


WRONG_ONE_HOT = {
    "rows and columns swapped": _one_hot(transpose=True),
    "ids counted from 1": _one_hot(shift=1),
    "negative ids not refused (numpy reads them from the end)": _one_hot(check=False),
    "whole columns set to 1": _one_hot(columns=True),
}
RIGHT_ONE_HOT = {
    "rows of the identity": _one_hot_eye,
    "a comparison with every id": _one_hot_compare,
    "an integer array": _one_hot(dtype=int),
}

# --------------------------------------------------------------------------- bag_of_words


def _bag(
    *, presence=False, skip_unknown=False, listed_order=False, frequencies=False, message=True
):
    def bag_of_words(tokens, vocab):
        counts = np.zeros(len(vocab))
        order = list(vocab)
        for word in tokens:
            if word not in vocab:
                if skip_unknown:
                    continue
                raise KeyError(word if message else "unknown word")
            index = order.index(word) if listed_order else vocab[word]
            counts[index] = 1 if presence else counts[index] + 1
        return counts / max(len(tokens), 1) if frequencies else counts

    return bag_of_words


def _bag_counter(tokens, vocab):
    out = np.zeros(len(vocab))
    for word, n in Counter(tokens).items():
        out[vocab[word]] = n
    return out


def _bag_add_at(tokens, vocab):
    ids = np.array([vocab[w] for w in tokens], dtype=int)
    return np.bincount(ids, minlength=len(vocab)).astype(float)


WRONG_BAG = {
    "presence instead of counts": _bag(presence=True),
    "unknown words skipped silently": _bag(skip_unknown=True),
    "counts in the order the vocabulary lists its words": _bag(listed_order=True),
    "frequencies instead of counts": _bag(frequencies=True),
    "a KeyError that does not name the word": _bag(message=False),
}
RIGHT_BAG = {"a Counter": _bag_counter, "bincount (the lookup raises the KeyError)": _bag_add_at}

# --------------------------------------------------------------------------- embedding_forward


def _emb_flat(ids, W):
    return W[np.asarray(ids).ravel()]


def _emb_sum(ids, W):
    return W[np.asarray(ids)].sum(axis=-2)


def _emb_columns(ids, W):
    return W[:, np.asarray(ids)].T


def _emb_first(ids, W):
    ids = np.asarray(ids)
    return W[ids.reshape(ids.shape[0], -1)[:, 0]] if ids.ndim else W[ids]


def _emb_one_hot(ids, W):
    ids = np.asarray(ids, dtype=int)
    return np.eye(W.shape[0])[ids] @ W


def _emb_take(ids, W):
    return np.take(W, np.asarray(ids, dtype=int), axis=0)


WRONG_EMB_FORWARD = {
    "ids flattened": _emb_flat,
    "the rows summed (a bag of embeddings)": _emb_sum,
    "columns of W instead of rows (crashes)": _emb_columns,
    "only the first id of each row": _emb_first,
}
RIGHT_EMB_FORWARD = {"one-hot vectors times W": _emb_one_hot, "np.take along axis 0": _emb_take}

# --------------------------------------------------------------------------- embedding_backward


def _emb_backward(*, mode="add.at", in_place=False):
    def embedding_backward(dout, ids, vocab_size):
        ids = np.asarray(ids, dtype=int).reshape(-1)
        flat = dout.reshape(-1, dout.shape[-1])
        dW = np.zeros((vocab_size, flat.shape[1]))
        if mode == "indexed +=":
            dW[ids] += flat
        elif mode == "assign":
            dW[ids] = flat
        elif mode == "mean":
            np.add.at(dW, ids, flat)
            dW /= np.maximum(np.bincount(ids, minlength=vocab_size), 1)[:, None]
        elif mode == "dout only":
            return flat
        else:
            np.add.at(dW, ids, flat)
        if in_place:
            flat *= 1.0
            flat += 0.0
            dout[...] = 0.0
        return dW

    return embedding_backward


def _emb_backward_loop(dout, ids, vocab_size):
    ids = np.asarray(ids)
    dW = np.zeros((vocab_size, dout.shape[-1]))
    for place in np.ndindex(ids.shape):
        dW[ids[place]] += dout[place]
    return dW


def _emb_backward_matmul(dout, ids, vocab_size):
    ids = np.asarray(ids).reshape(-1)
    return np.eye(vocab_size)[ids].T @ dout.reshape(len(ids), -1)


WRONG_EMB_BACKWARD = {
    "indexed += loses repeated ids": _emb_backward(mode="indexed +="),
    "assignment instead of addition": _emb_backward(mode="assign"),
    "repeated ids averaged": _emb_backward(mode="mean"),
    "dout returned as it is": _emb_backward(mode="dout only"),
    "dout zeroed in place": _emb_backward(in_place=True),
}
RIGHT_EMB_BACKWARD = {
    "a loop over places": _emb_backward_loop,
    "one-hot transpose times dout": _emb_backward_matmul,
}

# --------------------------------------------------------------------------- cooccurrence_matrix


def _cooc(*, both=True, first=1, last_extra=0, wrap=False):
    def cooccurrence_matrix(ids, vocab_size, window):
        ids = np.asarray(ids, dtype=int)
        T = len(ids)
        C = np.zeros((vocab_size, vocab_size))
        for i in range(T):
            for k in range(first, window + 1 + last_extra):
                targets = [i + k, i - k] if both and k > 0 else [i + k]
                for j in targets:
                    if wrap:
                        j %= T
                    elif not 0 <= j < T:
                        continue
                    C[ids[i], ids[j]] += 1
        return C

    return cooccurrence_matrix


def _cooc_vectorised(ids, vocab_size, window):
    ids = np.asarray(ids, dtype=int)
    C = np.zeros((vocab_size, vocab_size))
    for k in range(1, window + 1):
        np.add.at(C, (ids[:-k], ids[k:]), 1)
    return C + C.T


def _cooc_bincount(ids, vocab_size, window):
    ids = np.asarray(ids, dtype=int)
    flat = np.zeros(vocab_size * vocab_size)
    for k in range(1, min(window, len(ids) - 1) + 1):
        flat += np.bincount(ids[:-k] * vocab_size + ids[k:], minlength=vocab_size**2)
        flat += np.bincount(ids[k:] * vocab_size + ids[:-k], minlength=vocab_size**2)
    return flat.reshape(vocab_size, vocab_size)


WRONG_COOC = {
    "only the words to the right": _cooc(both=False),
    "a word counted with itself (distance 0)": _cooc(first=0),
    "window one too short": _cooc(last_extra=-1),
    "window one too long": _cooc(last_extra=1),
    "the window wraps around the ends": _cooc(wrap=True),
}
RIGHT_COOC = {
    "one side then plus its transpose": _cooc_vectorised,
    "bincount of pair codes": _cooc_bincount,
    "loops over positions": _cooc(),
}

# --------------------------------------------------------------------------- ppmi


def _ppmi(
    *, keep_negative=False, log=np.log, rows_twice=False, total=True, guard=True, in_place=False
):
    def ppmi(C):
        C = np.asarray(C, dtype=float) if in_place else np.array(C, dtype=float)
        n = C.sum() if total else 1.0
        rows = C.sum(axis=1, keepdims=True)
        cols = rows.T if rows_twice else C.sum(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = C * n / (rows * cols)
            values = log(ratio)
        if in_place:
            C /= n
        if not keep_negative:
            values = np.maximum(values, 0.0)
        if guard:
            values = np.where(C > 0, values, 0.0)
        return values

    return ppmi


def _ppmi_loops(C):
    C = np.asarray(C, dtype=float)
    V = C.shape[0]
    n, rows, cols = C.sum(), C.sum(axis=1), C.sum(axis=0)
    out = np.zeros_like(C)
    for u in range(V):
        for v in range(V):
            if C[u, v] > 0:
                out[u, v] = max(0.0, np.log((C[u, v] / n) / ((rows[u] / n) * (cols[v] / n))))
    return out


def _ppmi_masked(C):
    C = np.asarray(C, dtype=float)
    P = C / C.sum()
    pu, pv = P.sum(axis=1, keepdims=True), P.sum(axis=0, keepdims=True)
    out = np.zeros_like(P)
    seen = P > 0
    out[seen] = np.log(P[seen] / (pu * pv)[seen])
    return np.clip(out, 0, None)


WRONG_PPMI = {
    "negative values kept (PMI)": _ppmi(keep_negative=True),
    "nan where counts are zero (no guard)": _ppmi(guard=False),
    "log base 2": _ppmi(log=np.log2),
    "p(v) from the rows too": _ppmi(rows_twice=True),
    "not divided by the total": _ppmi(total=False),
    "C divided by its total in place": _ppmi(in_place=True),
}
RIGHT_PPMI = {
    "loops over entries": _ppmi_loops,
    "probabilities first, log on the seen entries": _ppmi_masked,
}

# --------------------------------------------------------------------------- cosine_similarity


def _cos(*, norm_a=True, norm_b=True, axis=1, distance=False, guard=True, in_place=False):
    def cosine_similarity(A, B):
        A = np.asarray(A, dtype=float) if in_place else np.array(A, dtype=float)
        B = np.asarray(B, dtype=float) if in_place else np.array(B, dtype=float)
        na = np.linalg.norm(A, axis=axis, keepdims=True)
        nb = np.linalg.norm(B, axis=axis, keepdims=True)
        if guard:
            na, nb = np.where(na > 0, na, 1.0), np.where(nb > 0, nb, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if norm_a:
                if in_place:
                    A /= na
                else:
                    A = A / na
            if norm_b:
                B = B / nb
        S = A @ B.T
        return 1 - S if distance else S

    return cosine_similarity


def _cos_loops(A, B):
    out = np.zeros((len(A), len(B)))
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            denom = np.linalg.norm(a) * np.linalg.norm(b)
            out[i, j] = a @ b / denom if denom > 0 else 0.0
    return out


def _cos_eps(A, B):
    A, B = np.asarray(A, float), np.asarray(B, float)
    outer = np.outer(np.linalg.norm(A, axis=1), np.linalg.norm(B, axis=1))
    return (A @ B.T) / (outer + 1e-12)


WRONG_COS = {
    "only A normalised": _cos(norm_b=False),
    "only B normalised": _cos(norm_a=False),
    "no normalisation": _cos(norm_a=False, norm_b=False),
    "columns normalised": _cos(axis=0),
    "one minus the cosine": _cos(distance=True),
    "zero rows give nan": _cos(guard=False),
    "A normalised in place": _cos(in_place=True),
}
RIGHT_COS = {
    "loops": _cos_loops,
    "divided by the outer product of the lengths plus a tiny epsilon": _cos_eps,
}

# --------------------------------------------------------------------------- analogy


def _unit_rows(E):
    n = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.where(n > 0, n, 1.0)


def _analogy(
    *,
    exclude=True,
    sign=1,
    how="cosine",
    ids=False,
    listed_order=False,
    k_fixed=None,
    in_place=False,
):
    def analogy(a, b, c, E, vocab, k=1):
        E = np.asarray(E, dtype=float)
        target = E[vocab[b]] - E[vocab[a]] + sign * E[vocab[c]]
        if how == "cosine":
            scores = _unit_rows(E) @ target / np.linalg.norm(target)
        elif how == "dot":
            scores = E @ target
        elif how == "euclid":
            scores = -np.linalg.norm(E - target, axis=1)
        else:
            scores = -(_unit_rows(E) @ target)
        if exclude:
            if in_place:
                for w in (a, b, c):
                    E[vocab[w]] = 0.0
                scores = _unit_rows(E) @ target / np.linalg.norm(target)
                scores[[vocab[a], vocab[b], vocab[c]]] = -np.inf
            else:
                scores[[vocab[a], vocab[b], vocab[c]]] = -np.inf
        best = np.argsort(-scores, kind="stable")[: k_fixed or k]
        if ids:
            return [int(i) for i in best]
        words = list(vocab) if listed_order else {i: w for w, i in vocab.items()}
        return [words[int(i)] for i in best]

    return analogy


def _analogy_loop(a, b, c, E, vocab, k=1):
    target = E[vocab[b]] - E[vocab[a]] + E[vocab[c]]
    scored = []
    for word, i in vocab.items():
        if word in (a, b, c):
            continue
        cos = E[i] @ target / (np.linalg.norm(E[i]) * np.linalg.norm(target))
        scored.append((-cos, word))
    return [w for _, w in sorted(scored)[:k]]


def _analogy_numpy_strings(a, b, c, E, vocab, k=1):
    words = np.array(sorted(vocab, key=vocab.get))
    target = E[vocab[b]] - E[vocab[a]] + E[vocab[c]]
    scores = _unit_rows(E) @ (target / np.linalg.norm(target))
    keep = ~np.isin(words, [a, b, c])
    order = np.argsort(-scores[keep], kind="stable")[:k]
    return tuple(str(w) for w in words[keep][order])


WRONG_ANALOGY = {
    "a, b and c not excluded": _analogy(exclude=False),
    "b - a - c": _analogy(sign=-1),
    "dot product instead of cosine": _analogy(how="dot"),
    "Euclidean distance": _analogy(how="euclid"),
    "sorted ascending": _analogy(how="ascending"),
    "ids instead of words": _analogy(ids=True),
    "words looked up by the dictionary's listing order": _analogy(listed_order=True),
    "k ignored": _analogy(k_fixed=1),
    "rows of a, b and c zeroed in E": _analogy(in_place=True),
}
RIGHT_ANALOGY = {
    "a loop over the vocabulary": _analogy_loop,
    "a tuple of numpy strings": _analogy_numpy_strings,
}

# --------------------------------------------------------------------------- sgns_loss_and_grad


def _sgns(*, mean=True, sign=1, accumulate=True, naive=False, in_only=False):
    def sgns_loss_and_grad(center, context, negatives, W_in, W_out):
        center, context, negatives = (np.asarray(x) for x in (center, context, negatives))
        B = len(center)
        v, u, un = W_in[center], W_out[context], W_out[negatives]
        sp, sn = np.sum(u * v, axis=1), np.einsum("bkd,bd->bk", un, v)
        scale = 1 / B if mean else 1.0
        if naive:
            with np.errstate(over="ignore", divide="ignore"):
                sig_p, sig_n = 1 / (1 + np.exp(-sp)), 1 / (1 + np.exp(-sn))
                loss = (-np.log(sig_p).sum() - np.log(1 - sig_n).sum()) * scale
        else:
            loss = (np.logaddexp(0, -sp).sum() + np.logaddexp(0, sign * sn).sum()) * scale
            sig_p = np.exp(-np.logaddexp(0, -sp))
            sig_n = np.exp(-np.logaddexp(0, -sign * sn))
        gp = (sig_p - 1) * scale
        gn = sign * sig_n * scale
        dv = gp[:, None] * u + np.einsum("bk,bkd->bd", gn, un)
        dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
        if accumulate:
            np.add.at(dW_in, center, dv)
            np.add.at(dW_out, context, gp[:, None] * v)
            if not in_only:
                np.add.at(dW_out, negatives, gn[:, :, None] * v[:, None, :])
        else:
            dW_in[center] += dv
            dW_out[context] += gp[:, None] * v
            dW_out[negatives] += gn[:, :, None] * v[:, None, :]
        return float(loss), dW_in, dW_out

    return sgns_loss_and_grad


def _sgns_loops(center, context, negatives, W_in, W_out):
    def log_sigmoid(s):
        return -np.logaddexp(0.0, -s)

    def sigmoid(s):
        return np.exp(log_sigmoid(s))

    B = len(center)
    loss = 0.0
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    for b in range(B):
        c, o = center[b], context[b]
        v = W_in[c]
        s = W_out[o] @ v
        loss -= log_sigmoid(s)
        g = (sigmoid(s) - 1) / B
        dW_in[c] += g * W_out[o]
        dW_out[o] += g * v
        for n in negatives[b]:
            s = W_out[n] @ v
            loss -= log_sigmoid(-s)
            g = sigmoid(s) / B
            dW_in[c] += g * W_out[n]
            dW_out[n] += g * v
    return loss / B, dW_in, dW_out


def _sgns_one_hot(center, context, negatives, W_in, W_out):
    V = W_in.shape[0]
    B, K = np.shape(negatives)
    eye = np.eye(V)
    Xc, Xo, Xn = eye[center], eye[context], eye[negatives]  # one-hot: (B, V), (B, V), (B, K, V)
    v, u, un = Xc @ W_in, Xo @ W_out, Xn @ W_out
    sp, sn = np.sum(u * v, axis=1), np.einsum("bkd,bd->bk", un, v)
    loss = (np.logaddexp(0, -sp).sum() + np.logaddexp(0, sn).sum()) / B
    gp = -0.5 * (1 - np.tanh(sp / 2)) / B  # sigmoid(s) - 1, through tanh
    gn = 0.5 * (1 + np.tanh(sn / 2)) / B
    dv = gp[:, None] * u + np.einsum("bk,bkd->bd", gn, un)
    dW_in = Xc.T @ dv
    dW_out = Xo.T @ (gp[:, None] * v) + np.einsum("bkv,bkd->vd", Xn, gn[:, :, None] * v[:, None, :])
    return loss, dW_in, dW_out


WRONG_SGNS = {
    "summed over the batch": _sgns(mean=False),
    "the negatives' sign flipped": _sgns(sign=-1),
    "repeated ids overwritten": _sgns(accumulate=False),
    "log of a naive sigmoid (overflows)": _sgns(naive=True),
    "no gradient to the negatives' rows": _sgns(in_only=True),
}
RIGHT_SGNS = {"loops over pairs": _sgns_loops, "one-hot products and a tanh sigmoid": _sgns_one_hot}

# --------------------------------------------------------------------------- questions

ANSWERS = {"answer_q1": "b", "answer_q2": "c", "answer_q3": "b"}

WRONG_ANSWERS, RIGHT_ANSWERS = choice_zoo(ANSWERS)

WRONG = {
    "one_hot": WRONG_ONE_HOT,
    "bag_of_words": WRONG_BAG,
    "embedding_forward": WRONG_EMB_FORWARD,
    "embedding_backward": WRONG_EMB_BACKWARD,
    "cooccurrence_matrix": WRONG_COOC,
    "ppmi": WRONG_PPMI,
    "cosine_similarity": WRONG_COS,
    "analogy": WRONG_ANALOGY,
    "sgns_loss_and_grad": WRONG_SGNS,
} | WRONG_ANSWERS

RIGHT = {
    "one_hot": RIGHT_ONE_HOT,
    "bag_of_words": RIGHT_BAG,
    "embedding_forward": RIGHT_EMB_FORWARD,
    "embedding_backward": RIGHT_EMB_BACKWARD,
    "cooccurrence_matrix": RIGHT_COOC,
    "ppmi": RIGHT_PPMI,
    "cosine_similarity": RIGHT_COS,
    "analogy": RIGHT_ANALOGY,
    "sgns_loss_and_grad": RIGHT_SGNS,
} | RIGHT_ANSWERS

# (exercise, wrong answers, mistake, graded test cell, words its message must hold)
NAMED_MISTAKES = [
    (
        "bag_of_words",
        WRONG_BAG,
        "presence instead of counts",
        "test_bag_of_words",
        "presence (1 or 0) instead of counts",
    ),
    (
        "embedding_backward",
        WRONG_EMB_BACKWARD,
        "indexed += loses repeated ids",
        "test_embedding_backward_2",
        "only one of their gradients is kept",
    ),
    (
        "cooccurrence_matrix",
        WRONG_COOC,
        "only the words to the right",
        "test_cooccurrence_matrix",
        "C compared with its transpose",
    ),
    (
        "cooccurrence_matrix",
        WRONG_COOC,
        "a word counted with itself (distance 0)",
        "test_cooccurrence_matrix",
        "a position counted with itself",
    ),
    (
        "cooccurrence_matrix",
        WRONG_COOC,
        "window one too short",
        "test_cooccurrence_matrix",
        "the window one too short",
    ),
    ("ppmi", WRONG_PPMI, "negative values kept (PMI)", "test_ppmi", "negative values kept"),
    ("ppmi", WRONG_PPMI, "nan where counts are zero (no guard)", "test_ppmi_2", "NaN or infinity"),
    (
        "cosine_similarity",
        WRONG_COS,
        "only A normalised",
        "test_cosine_similarity",
        "only the rows of A normalised",
    ),
    (
        "analogy",
        WRONG_ANALOGY,
        "a, b and c not excluded",
        "test_analogy",
        "a, b and c not left out",
    ),
    ("analogy", WRONG_ANALOGY, "b - a - c", "test_analogy", "the target b - a - c"),
    (
        "sgns_loss_and_grad",
        WRONG_SGNS,
        "repeated ids overwritten",
        "test_sgns_loss_and_grad_2",
        "only one of their gradients is kept",
    ),
]
