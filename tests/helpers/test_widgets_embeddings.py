"""helpers.widgets.embeddings: neighbours, analogies and the vocabulary map, by the similarity
given to them (the student's cosine_similarity); a stub's explorer asks to finish it."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.widgets import (  # noqa: E402
    FINISH_MESSAGE,
    analogy_explorer,
    analogy_figure,
    neighbour_explorer,
    neighbours,
    neighbours_figure,
    pca_2d,
    vocabulary_map_explorer,
    vocabulary_map_figure,
)

WORDS = ["man", "woman", "king", "queen", "apple", "pear"]
E = np.array(
    [
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
        [2.0, 0.0, 1.0],
        [2.0, 1.0, 1.0],
        [0.0, 0.1, -1.0],
        [0.1, 0.0, -1.2],
    ]
)


def _unfinished(A, B):
    raise NotImplementedError


def _cosine(A, B):
    """The test's own cosine (the widgets hold none)."""
    A = np.asarray(A, dtype=float) / np.linalg.norm(A, axis=1, keepdims=True)
    B = np.asarray(B, dtype=float) / np.linalg.norm(B, axis=1, keepdims=True)
    return A @ B.T


def _bars(ax):
    return [
        (t.get_text(), p.get_width()) for t, p in zip(ax.get_yticklabels(), ax.patches, strict=True)
    ]


def test_neighbours_rank_by_cosine_and_leave_out_what_is_excluded():
    found = neighbours(E, WORDS, "apple", _cosine, k=2, exclude=("apple",))
    assert [w for w, _ in found] == ["pear", "woman"]
    assert found[0][1] == pytest.approx(E[4] @ E[5] / np.linalg.norm(E[4]) / np.linalg.norm(E[5]))
    found = neighbours(E, WORDS, E[3] - E[2] + E[0], _cosine, k=1,
                       exclude=("king", "queen", "man"))
    assert found[0][0] == "woman"
    with pytest.raises(ValueError, match="zebra"):
        neighbours(E, WORDS, "zebra", _cosine)


def test_the_figures_use_the_given_similarity_and_leave_a_stub_to_the_explorer():
    calls = []

    def student(A, B):
        calls.append(1)
        return np.full((len(A), len(B)), 0.5)

    fig = neighbours_figure(E, WORDS, "king", student, k=3)
    assert calls and [v for _, v in _bars(fig.axes[0])] == [0.5, 0.5, 0.5]
    with pytest.raises(NotImplementedError):
        neighbours_figure(E, WORDS, "king", _unfinished, k=3)
    fig = neighbours_figure(E, WORDS, "king", _cosine, k=3)
    assert "'king'" in fig.axes[0].get_title()
    labels = [w for w, _ in _bars(fig.axes[0])]
    assert labels[-1] == "queen" and "king" not in labels  # the nearest at the top
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()


@pytest.mark.parametrize("k", [1, 3])
def test_analogy_figure_answers_and_draws_the_four_words(k):
    fig = analogy_figure(E, WORDS, "man", "king", "woman", _cosine, k=k)
    left, right = fig.axes
    assert left.get_title().startswith("man : king :: woman : queen")
    assert len(left.patches) == k
    assert {t.get_text() for t in right.texts} >= {"man", "king", "woman", "queen"}
    assert right.get_legend() is not None


def test_pca_2d_keeps_the_two_largest_directions():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)) * np.array([10.0, 3.0, 0.1, 0.1, 0.1])
    P = pca_2d(X)
    assert P.shape == (200, 2)
    assert abs(np.corrcoef(P[:, 0], X[:, 0])[0, 1]) > 0.99
    assert abs(np.corrcoef(P[:, 1], X[:, 1])[0, 1]) > 0.99
    assert np.allclose(pca_2d(X), P)  # the same map every time
    with pytest.raises(ValueError):
        pca_2d(np.ones(3))


def test_vocabulary_map_draws_groups_pairs_and_labels():
    groups = {"royal": ["king", "queen"], "fruit": ["apple", "pear"]}
    fig = vocabulary_map_figure(E, WORDS, groups=groups, pairs=[("man", "king")], labels=1)
    ax = fig.axes[0]
    gids = {c.get_gid() for c in ax.collections}
    assert {"royal", "fruit", "rest"} <= gids
    assert sum(line.get_gid() == "pair" for line in ax.lines) == 1
    labels = {t.get_text() for t in ax.texts}
    assert labels == {"king", "queen", "apple", "pear", "man"}
    assert ax.get_legend() is not None and ax.get_xlabel()
    with pytest.raises(ValueError):
        vocabulary_map_figure(E[:3], WORDS)


def test_the_explorers_draw_once_and_redraw_on_a_change():
    for box in (
        neighbour_explorer(E, WORDS, _cosine, query="king", k=2),
        analogy_explorer(E, WORDS, "man", "king", "woman", _cosine, k=2),
        vocabulary_map_explorer(
            E, WORDS, {"royal": ["king", "queen"], "fruit": ["pear"]}, labels=2
        ),
    ):
        assert isinstance(box, widgets.VBox)
        output = box.children[-1]
        assert output.outputs and "image/png" in output.outputs[0]["data"]
        control = box.children[0]
        before = output.outputs[0]["data"]["image/png"]
        control.value = [o for o in control.options if o != control.value][0]
        assert output.outputs[0]["data"]["image/png"] != before


def test_the_explorers_ask_to_finish_cosine_similarity_while_it_is_a_stub():
    for box in (neighbour_explorer(E, WORDS, _unfinished, query="king"),
                analogy_explorer(E, WORDS, "man", "king", "woman", _unfinished)):
        assert FINISH_MESSAGE in str(box.children[-1].outputs)
