"""Stored values of notebook 06's visible tests (see ``expected_cases.py``).

Inputs come from the tests' seeds or are written out by hand; expected values from the
reference solution ``ns``; mistakes are what a named wrong answer gives on the same
inputs, written out here as the wrong variant of the computation.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- one-hot, bag of words


def _one_hot(ns) -> dict:
    ids, V = np.array([2, 0, 3, 2, 4]), 6
    out = ns["one_hot"](ids, V)
    shifted = np.zeros((len(ids), V))
    shifted[np.arange(len(ids)), (ids + 1) % V] = 1.0
    columns = np.zeros((len(ids), V))
    columns[:, ids] = 1.0
    return {
        "values": {"ids": ids, "V": V, "out": out, "gram": out @ out.T},
        "mistakes": {
            "out": {
                "rows and columns swapped, shape (V, N)": out.T,
                "ids counted from 1 (the 1 one column too far right)": shifted,
                "whole columns set to 1 instead of one entry per row": columns,
            }
        },
    }


def _bag_of_words(ns) -> dict:
    words = ["dog", "the", "bites", "man", "cat"]
    ids = np.array([3, 0, 4, 1, 2])  # not in the order the words are listed
    tokens = ["the", "dog", "bites", "the", "man", "the", "dog"]
    vocab = dict(zip(words, ids.tolist(), strict=True))
    counts = ns["bag_of_words"](tokens, vocab)
    listed = np.zeros(len(words))
    for t in tokens:
        listed[words.index(t)] += 1
    return {
        "values": {"words": words, "ids": ids, "tokens": tokens, "counts": counts},
        "mistakes": {
            "counts": {
                "presence (1 or 0) instead of counts": (counts > 0).astype(float),
                "counts placed in the order the vocabulary lists its words, "
                "not at their ids": listed,
                "frequencies (counts divided by the length) instead of counts": counts
                / len(tokens),
            }
        },
    }


# --------------------------------------------------------------------------- embedding lookup


def _embedding_forward(ns) -> dict:
    rng = np.random.default_rng(1)
    W = rng.standard_normal((7, 3))
    ids = np.array([4, 0, 6, 4])
    batch = np.array([[1, 2, 3], [6, 6, 0]])
    out, out_batch = ns["embedding_forward"](ids, W), ns["embedding_forward"](batch, W)
    return {
        "values": {"W": W, "ids": ids, "batch": batch, "out": out, "out_batch": out_batch},
        "mistakes": {
            "out": {
                "the ids' rows summed into one vector (a bag of embeddings)": W[ids].sum(axis=0)
            },
            "out_batch": {
                "the ids flattened, shape (N * T, d)": W[batch.ravel()],
                "each sentence summed over its words": W[batch].sum(axis=1),
            },
        },
    }


def _embedding_forward_2(ns) -> dict:
    rng = np.random.default_rng(3)
    W = rng.standard_normal((6, 2))
    ids = np.array([5, 1, 1, 0])
    return {
        "values": {
            "W": W,
            "ids": ids,
            "one_hot_times_W": np.eye(6)[ids] @ W,
            "row_4": ns["embedding_forward"](np.array([[4]]), W),
            "rows_2_3": ns["embedding_forward"]([[2, 3]], W),
        }
    }


def _embedding_backward_2(ns) -> dict:
    rng = np.random.default_rng(8)
    V, d = 5, 2
    ids = np.array([0, 3, 0, 1, 0])
    dout = rng.standard_normal((5, d))
    dW = ns["embedding_backward"](dout, ids, V)
    overwritten = np.zeros((V, d))
    overwritten[ids] += dout  # numpy keeps one write per repeated index
    averaged = dW / np.maximum(np.bincount(ids, minlength=V), 1)[:, None]
    return {
        "values": {"dout": dout, "ids": ids, "V": V, "dW": dW},
        "mistakes": {
            "dW": {
                "an indexed += with repeated ids: only one of their gradients is kept": overwritten,
                "the gradients of a repeated id averaged instead of summed": averaged,
            }
        },
    }


# --------------------------------------------------------------------------- co-occurrence, PPMI


def _cooccurrence_variant(ids, V, window, *, both=True, distances=None, wrap=False):
    C = np.zeros((V, V))
    T = len(ids)
    for i in range(T):
        for k in distances if distances is not None else range(1, window + 1):
            sides = [i + k, i - k] if both and k > 0 else [i + k]  # distance 0: one position
            for j in sides:
                if wrap:
                    j %= T
                elif not 0 <= j < T:
                    continue
                C[ids[i], ids[j]] += 1
    return C


def _cooccurrence(ns) -> dict:
    ids, V, window = np.array([0, 1, 2, 1, 0, 3, 0]), 5, 2
    C = ns["cooccurrence_matrix"](ids, V, window)
    return {
        "values": {"ids": ids, "V": V, "window": window, "C": C},
        "mistakes": {
            "C": {
                "only the words after each word are counted (C is not symmetric)": (
                    _cooccurrence_variant(ids, V, window, both=False)
                ),
                "a position counted with itself (distance 0)": _cooccurrence_variant(
                    ids, V, window, distances=range(0, window + 1)
                ),
                "the window one too short (distances 1 to window - 1)": _cooccurrence_variant(
                    ids, V, window, distances=range(1, window)
                ),
                "the window one too long (distances 1 to window + 1)": _cooccurrence_variant(
                    ids, V, window, distances=range(1, window + 2)
                ),
                "the window wraps around from the end of the text to its beginning": (
                    _cooccurrence_variant(ids, V, window, wrap=True)
                ),
            }
        },
    }


def _pmi_parts(C):
    total = C.sum()
    rows, cols = C.sum(axis=1, keepdims=True), C.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return C * total / (rows * cols), C / (rows * cols), C * total / (rows * rows.T)


def _ppmi_variants(C):
    ratio, no_total, rows_twice = _pmi_parts(C)
    seen = C > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.where(seen, np.log(ratio), 0.0)
        return {
            "negative values kept (that is the PMI, not the PPMI)": pmi,
            "the logarithm in base 2 instead of the natural one": np.where(
                seen, np.maximum(np.log2(ratio), 0), 0.0
            ),
            "p(v) taken from the row sums too, not the column sums": np.where(
                seen, np.maximum(np.log(rows_twice), 0), 0.0
            ),
            "counts not divided by the total (no probabilities)": np.where(
                seen, np.maximum(np.log(no_total), 0), 0.0
            ),
        }


def _ppmi(ns) -> dict:
    C = np.array(
        [[0.0, 4.0, 1.0, 2.0], [3.0, 0.0, 6.0, 0.0], [1.0, 5.0, 2.0, 1.0], [4.0, 1.0, 0.0, 8.0]]
    )
    M = ns["ppmi"](C)
    return {"values": {"C": C, "M": M}, "mistakes": {"M": _ppmi_variants(C)}}


def _ppmi_2(ns) -> dict:
    C = np.array(
        [[2.0, 5.0, 0.0, 1.0], [5.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0], [1.0, 3.0, 0.0, 6.0]]
    )
    M = ns["ppmi"](C)
    pmi = _ppmi_variants(C)["negative values kept (that is the PMI, not the PPMI)"]
    return {
        "values": {"C": C, "M": M},
        "mistakes": {"M": {"negative values kept (that is the PMI, not the PPMI)": pmi}},
    }


# --------------------------------------------------------------------------- cosine, analogies


def _unit(X, axis=1):
    return X / np.linalg.norm(X, axis=axis, keepdims=True)


def _cosine(ns) -> dict:
    rng = np.random.default_rng(9)
    A = rng.standard_normal((3, 4)) * np.array([[0.1], [2.0], [30.0]])
    B = rng.standard_normal((5, 4)) * np.array([[5.0], [0.2], [1.0], [50.0], [3.0]])
    S = ns["cosine_similarity"](A, B)
    return {
        "values": {"A": A, "B": B, "S": S},
        "mistakes": {
            "S": {
                "only the rows of A normalised": _unit(A) @ B.T,
                "only the rows of B normalised": A @ _unit(B).T,
                "no normalisation at all (plain dot products)": A @ B.T,
                "one minus the cosine (a distance, not a similarity)": 1 - S,
                "the columns normalised instead of the rows": _unit(A, 0) @ _unit(B, 0).T,
            }
        },
    }


ANALOGY_WORDS = ["man", "woman", "king", "queen", "prince", "giant", "crown", "apple"]
# Built so that each plausible mistake picks another list of words.
ANALOGY_E = np.array(
    [
        [1.0, 0.0, 0.0, 0.3],
        [1.0, 1.0, 0.0, 0.3],
        [1.0, 0.0, 1.0, 0.0],
        [0.5, 0.8, 1.0, -0.6],
        [0.9, -0.3, 0.8, 0.2],
        [6.0, 1.0, 1.0, 0.0],
        [-1.0, -1.0, 1.0, -0.3],
        [0.0, 0.2, -0.2, 2.0],
    ]
)


def _ranked(E, target, exclude, how="cosine"):
    if how == "cosine":
        scores = _unit(E) @ target / np.linalg.norm(target)
    elif how == "dot":
        scores = E @ target
    elif how == "euclid":
        scores = -np.linalg.norm(E - target, axis=1)
    else:  # "ascending": the farthest first
        scores = -(_unit(E) @ target / np.linalg.norm(target))
    scores = scores.copy()
    scores[list(exclude)] = -np.inf
    return np.argsort(-scores, kind="stable")


def _analogy(ns) -> dict:
    words, E = ANALOGY_WORDS, ANALOGY_E
    vocab = {w: i for i, w in enumerate(words)}
    a, b, c = (vocab[w] for w in ("man", "king", "woman"))
    target = E[b] - E[a] + E[c]
    values = {"words": words, "E": E}
    mistakes = {}
    for question, k in (("q1", 1), ("q2", 3)):
        right = ns["analogy"]("man", "king", "woman", E, vocab, k)
        values[f"{question}_ids"] = np.array([vocab[w] for w in right])
        wrong = {
            "a, b and c not left out": _ranked(E, target, ()),
            "the target b - a - c": _ranked(E, E[b] - E[a] - E[c], (a, b, c)),
            "ranked by dot product instead of cosine": _ranked(E, target, (a, b, c), "dot"),
            "ranked by Euclidean distance instead of cosine": _ranked(
                E, target, (a, b, c), "euclid"
            ),
            "sorted from the least similar": _ranked(E, target, (a, b, c), "ascending"),
            "the target a - b + c": _ranked(E, E[a] - E[b] + E[c], (a, b, c)),
        }
        mistakes[f"{question}_ids"] = {
            label: order[:k]
            for label, order in wrong.items()
            if list(order[:k]) != list(values[f"{question}_ids"])
        }
    return {"values": values, "mistakes": mistakes}


def _analogy_2(ns) -> dict:
    words = ["france", "paris", "italy", "rome", "city", "country"]
    ids = np.array([4, 0, 5, 1, 2, 3])  # row i of E belongs to the word with id i
    by_word = {
        "france": [1.0, 0.0, 1.0],
        "paris": [1.0, 1.0, 0.0],
        "italy": [0.0, 0.1, 1.0],
        "rome": [0.0, 1.0, 0.1],
        "city": [0.2, 1.0, -0.5],
        "country": [0.3, -0.4, 1.0],
    }
    E = np.zeros((6, 3))
    for w, i in zip(words, ids, strict=True):
        E[i] = by_word[w]
    vocab = dict(zip(words, ids.tolist(), strict=True))
    return {
        "values": {
            "words": words,
            "ids": ids,
            "E": E,
            "answer": ns["analogy"]("paris", "france", "rome", E, vocab)[0],
        }
    }


# --------------------------------------------------------------------------- skip-gram


def _sgns_variant(center, context, negatives, W_in, W_out, *, mean=True, sign=1, accumulate=True):
    B = len(center)
    v, u, un = W_in[center], W_out[context], W_out[negatives]
    sp, sn = np.sum(u * v, axis=1), np.einsum("bkd,bd->bk", un, v)
    scale = 1 / B if mean else 1.0
    loss = (np.logaddexp(0, -sp).sum() + np.logaddexp(0, sign * sn).sum()) * scale
    gp = -np.exp(-np.logaddexp(0, sp)) * scale
    gn = sign * np.exp(-np.logaddexp(0, -sign * sn)) * scale
    dv = gp[:, None] * u + np.einsum("bk,bkd->bd", gn, un)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    if accumulate:
        np.add.at(dW_in, center, dv)
        np.add.at(dW_out, context, gp[:, None] * v)
        np.add.at(dW_out, negatives, gn[:, :, None] * v[:, None, :])
    else:
        dW_in[center] += dv
        dW_out[context] += gp[:, None] * v
        dW_out[negatives] += gn[:, :, None] * v[:, None, :]
    return loss, dW_in, dW_out


def _sgns_batch(seed, B, K, V, d):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, V, B),
        rng.integers(0, V, B),
        rng.integers(0, V, (B, K)),
        rng.standard_normal((V, d)),
        rng.standard_normal((V, d)),
    )


def _sgns(ns) -> dict:
    center, context, negatives, W_in, W_out = _sgns_batch(10, 6, 3, 5, 4)
    loss, _, _ = ns["sgns_loss_and_grad"](center, context, negatives, W_in, W_out)
    args = (center, context, negatives, W_in, W_out)
    return {
        "values": {
            "center": center,
            "context": context,
            "negatives": negatives,
            "W_in": W_in,
            "W_out": W_out,
            "loss": loss,
        },
        "mistakes": {
            "loss": {
                "summed over the batch instead of averaged": _sgns_variant(*args, mean=False)[0],
                "the negatives' scores without their minus sign": _sgns_variant(*args, sign=-1)[0],
            }
        },
    }


def _sgns_2(ns) -> dict:
    center = np.array([0, 2, 0, 0])  # word 0 is the center of three pairs
    context = np.array([1, 3, 4, 1])
    negatives = np.array(
        [[3, 4], [1, 0], [2, 3], [4, 4]]
    )  # word 4 twice in one row; 3 as context and negative
    rng = np.random.default_rng(11)
    W_in, W_out = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    args = (center, context, negatives, W_in, W_out)
    _, dW_in, dW_out = ns["sgns_loss_and_grad"](*args)
    loss_big, dW_in_big, _ = ns["sgns_loss_and_grad"](
        center, context, negatives, 30 * W_in, 30 * W_out
    )
    lost = _sgns_variant(*args, accumulate=False)
    summed = _sgns_variant(*args, mean=False)
    flipped = _sgns_variant(*args, sign=-1)
    label = "an indexed += with repeated ids: only one of their gradients is kept"
    return {
        "values": {
            "center": center,
            "context": context,
            "negatives": negatives,
            "W_in": W_in,
            "W_out": W_out,
            "dW_in": dW_in,
            "dW_out": dW_out,
            "loss_big": loss_big,
            "dW_in_big": dW_in_big,
        },
        "mistakes": {
            "dW_in": {
                label: lost[1],
                "summed over the batch instead of averaged": summed[1],
                "the negatives' scores without their minus sign": flipped[1],
            },
            "dW_out": {
                label: lost[2],
                "summed over the batch instead of averaged": summed[2],
                "the negatives' scores without their minus sign": flipped[2],
            },
        },
    }


def cases(ns) -> dict:
    """Every stored case of notebook 06, keyed by the test cell that reads it."""
    return {
        "test_one_hot": _one_hot(ns),
        "test_bag_of_words": _bag_of_words(ns),
        "test_embedding_forward": _embedding_forward(ns),
        "test_embedding_forward_2": _embedding_forward_2(ns),
        "test_embedding_backward_2": _embedding_backward_2(ns),
        "test_cooccurrence_matrix": _cooccurrence(ns),
        "test_ppmi": _ppmi(ns),
        "test_ppmi_2": _ppmi_2(ns),
        "test_cosine_similarity": _cosine(ns),
        "test_analogy": _analogy(ns),
        "test_analogy_2": _analogy_2(ns),
        "test_sgns_loss_and_grad": _sgns(ns),
        "test_sgns_loss_and_grad_2": _sgns_2(ns),
    }
