"""Widgets and figures of notebook 06 (word embeddings): nearest neighbours, analogies and a
2-D map of a vocabulary.

Each ``*_figure`` function is pure (an embedding matrix and parameters in, a new figure
out) and is what the tests call; the wrappers only wire controls to it through
:func:`helpers.widgets.base.interactive_figure`. The figures take the student's
``cosine_similarity`` as ``similarity`` and hold no cosine of their own (with
one, :func:`neighbours` would be the ``analogy`` exercise's answer in an
importable module). While it raises ``NotImplementedError``, the explorers
show :data:`helpers.widgets.FINISH_MESSAGE` instead of a figure.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.widgets.base import interactive_figure

__all__ = [
    "analogy_explorer",
    "analogy_figure",
    "neighbour_explorer",
    "neighbours",
    "neighbours_figure",
    "pca_2d",
    "vocabulary_map_explorer",
    "vocabulary_map_figure",
]

def _similarities(target, E, similarity):
    """``similarity`` (the student's cosine) of one vector with every row of E."""
    return np.asarray(similarity(np.asarray(target, dtype=float)[None, :], E), dtype=float)[0]


def _index(words, word):
    try:
        return list(words).index(word)
    except ValueError:
        raise ValueError(f"{word!r} is not in the vocabulary") from None


def _check(E, words):
    E = np.asarray(E, dtype=float)
    if E.ndim != 2 or E.shape[0] != len(words):
        raise ValueError(
            f"expected E of shape ({len(words)}, d) for {len(words)} words, got {E.shape}"
        )
    return E


def neighbours(E, words, target, similarity, k=10, exclude=()):
    """The ``k`` words whose rows of E are closest to ``target`` by ``similarity``.

    ``target`` is a word of ``words`` or a vector of length d; the words in
    ``exclude`` are left out. Returns a list of ``(word, similarity)``, most
    similar first.
    """
    E = _check(E, words)
    vector = E[_index(words, target)] if isinstance(target, str) else target
    scores = _similarities(vector, E, similarity).copy()
    for word in exclude:
        scores[_index(words, word)] = -np.inf
    order = np.argsort(-scores, kind="stable")[: max(int(k), 0)]
    return [(words[i], float(scores[i])) for i in order if np.isfinite(scores[i])]


def neighbours_figure(E, words, query, similarity, k=10):
    """The ``k`` nearest neighbours of ``query`` by cosine, as horizontal bars."""
    found = neighbours(E, words, query, similarity, k, exclude=(query,))
    fig, ax = plt.subplots(figsize=(6, 0.35 * max(len(found), 3) + 1.4))
    names = [w for w, _ in found][::-1]
    values = [s for _, s in found][::-1]
    ax.barh(range(len(found)), values, color="tab:blue", gid="neighbours")
    ax.set_yticks(range(len(found)), names)
    ax.set_xlim(min(0.0, min(values, default=0.0)), 1)
    ax.set_xlabel("cosine similarity with the query")
    ax.set_ylabel("neighbour (closest at the top)")
    title = f"the {len(found)} nearest neighbours of '{query}'"
    ax.set_title(title)
    fig.tight_layout()
    return fig


def pca_2d(E):
    """The rows of E projected on their two directions of largest variance: (V, 2).

    The columns are centred first; the sign of each direction is fixed so that its
    largest coordinate is positive, so the map does not flip between runs.
    """
    E = np.asarray(E, dtype=float)
    if E.ndim != 2 or E.shape[0] < 2:
        raise ValueError(f"expected at least two rows of shape (V, d), got {E.shape}")
    centred = E - E.mean(axis=0)
    _, _, Vt = np.linalg.svd(centred, full_matrices=False)
    axes = Vt[:2].T  # (d, 2)
    points = centred @ axes  # (V, 2)
    flip = np.sign(points[np.argmax(np.abs(points), axis=0), [0, 1]])
    points = points * np.where(flip == 0, 1.0, flip)
    if points.shape[1] == 1:  # d = 1: a line
        points = np.hstack([points, np.zeros((len(points), 1))])
    return points


def analogy_figure(E, words, a, b, c, similarity, k=5):
    """``a : b :: c : ?``: the best candidates for ``E[b] - E[a] + E[c]``, and the parallelogram.

    Left, the ``k`` words closest by cosine to the target (a, b and c left out).
    Right, a, b, c and the best answer on the first two principal directions of
    these four words and the candidates, with arrows from a to b and from c to the answer.
    """
    E = _check(E, words)
    ia, ib, ic = (_index(words, w) for w in (a, b, c))
    target = E[ib] - E[ia] + E[ic]
    found = neighbours(E, words, target, similarity, k, exclude=(a, b, c))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = [w for w, _ in found][::-1]
    left.barh(range(len(found)), [s for _, s in found][::-1], color="tab:green", gid="candidates")
    left.set_yticks(range(len(found)), names)
    left.set_xlim(min(0.0, min((s for _, s in found), default=0.0)), 1)
    left.set_xlabel(f"cosine with E[{b}] - E[{a}] + E[{c}]")
    left.set_ylabel("candidate (best at the top)")
    answer = found[0][0] if found else c
    left.set_title(f"{a} : {b} :: {c} : {answer}")
    shown = [a, b, c, answer] + [w for w, _ in found[1:]]
    points = pca_2d(E[[_index(words, w) for w in shown]])
    right.scatter(points[4:, 0], points[4:, 1], color="0.6", s=15, label="other candidates")
    right.scatter(
        points[:4, 0],
        points[:4, 1],
        color=["tab:blue", "tab:orange", "tab:blue", "tab:orange"],
        s=40,
        zorder=3,
    )
    for (x, y), word in zip(points, shown, strict=True):
        right.annotate(word, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    for start, end, label in ((0, 1, f"{a} -> {b}"), (2, 3, f"{c} -> {answer}")):
        right.annotate(
            "",
            xy=points[end],
            xytext=points[start],
            arrowprops={"arrowstyle": "->", "color": "tab:red"},
        )
        right.plot(
            *zip(points[start], points[end], strict=True), color="tab:red", alpha=0.0, label=label
        )
    right.set_xlabel("principal direction 1")
    right.set_ylabel("principal direction 2")
    right.set_title("the four words on their own 2-D map")
    right.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def vocabulary_map_figure(E, words, groups=None, pairs=None, labels=40, title=None):
    """Every row of E on the two principal directions of the whole vocabulary.

    Parameters
    ----------
    E : ndarray of shape (V, d)
    words : list of V str
    groups : dict of str to list of str, optional
        Named groups of words, each drawn in its own colour with labels (gid = the name).
    pairs : list of (str, str), optional
        Pairs joined by a line (e.g. a country and its capital).
    labels : int
        How many of the first (most frequent) other words get a label.
    title : str, optional
    """
    E = _check(E, words)
    points = pca_2d(E)
    fig, ax = plt.subplots(figsize=(8, 6.5))
    grouped = set()
    for name, members in (groups or {}).items():
        rows = [_index(words, w) for w in members]
        grouped.update(rows)
        ax.scatter(points[rows, 0], points[rows, 1], s=30, label=name, gid=name, zorder=3)
        for i in rows:
            ax.annotate(words[i], points[i], fontsize=8, xytext=(3, 3), textcoords="offset points")
    rest = [i for i in range(len(words)) if i not in grouped]
    ax.scatter(points[rest, 0], points[rest, 1], s=8, color="0.7", label="other words", gid="rest")
    for i in rest[: max(int(labels), 0)]:
        ax.annotate(
            words[i], points[i], fontsize=7, color="0.4", xytext=(2, 2), textcoords="offset points"
        )
    for k, (x, y) in enumerate(pairs or []):
        i, j = _index(words, x), _index(words, y)
        ax.plot(
            points[[i, j], 0],
            points[[i, j], 1],
            color="tab:red",
            linewidth=0.8,
            alpha=0.6,
            gid="pair",
            label="pairs" if k == 0 else None,
        )
    ax.set_xlabel("principal direction 1")
    ax.set_ylabel("principal direction 2")
    ax.set_title(title or f"{len(words)} words on the 2 directions of largest variance")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def neighbour_explorer(E, words, similarity, query=None, k=10):
    """A choice of query word and a slider for k over :func:`neighbours_figure`."""
    _check(E, words)
    options = sorted(words)
    return interactive_figure(
        lambda query, k: neighbours_figure(E, words, query, similarity, k),
        query=widgets.Dropdown(options=options, value=query or options[0], description="query"),
        k=widgets.IntSlider(
            value=k, min=1, max=min(30, len(words) - 1), description="k", continuous_update=False
        ),
    )


def analogy_explorer(E, words, a, b, c, similarity, k=5):
    """Three word choices (a : b :: c : ?) and a slider for k over :func:`analogy_figure`."""
    _check(E, words)
    options = sorted(words)
    return interactive_figure(
        lambda a, b, c, k: analogy_figure(E, words, a, b, c, similarity, k),
        a=widgets.Dropdown(options=options, value=a, description="a"),
        b=widgets.Dropdown(options=options, value=b, description="b"),
        c=widgets.Dropdown(options=options, value=c, description="c"),
        k=widgets.IntSlider(
            value=k, min=1, max=min(15, len(words) - 3), description="k", continuous_update=False
        ),
    )


def vocabulary_map_explorer(E, words, groups, labels=40):
    """A choice of which group of words to highlight over :func:`vocabulary_map_figure`."""
    _check(E, words)
    names = list(groups)
    return interactive_figure(
        lambda group, labels: vocabulary_map_figure(
            E,
            words,
            {name: groups[name] for name in names if group in ("all", name)},
            labels=labels,
        ),
        group=widgets.Dropdown(options=["all", *names], value="all", description="highlight"),
        labels=widgets.IntSlider(
            value=labels,
            min=0,
            max=min(200, len(words)),
            step=10,
            description="labels",
            continuous_update=False,
        ),
    )
