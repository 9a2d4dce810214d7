"""helpers.data: shapes, ranges, seeding and argument checks of the offline data sets."""

import numpy as np
import pytest

from helpers import data


def test_load_digits_is_scaled_and_labelled():
    images, labels = data.load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0.0 and images.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))


def test_load_digits_subset_is_seeded():
    a, la = data.load_digits(50, seed=3)
    b, lb = data.load_digits(50, seed=3)
    assert a.shape == (50, 8, 8) and np.array_equal(a, b) and np.array_equal(la, lb)
    with pytest.raises(ValueError, match="n must be"):
        data.load_digits(0)


def test_load_photo_gray_and_colour_shapes_and_range():
    gray = data.load_photo(64)
    colour = data.load_photo(64, gray=False)
    assert gray.shape == (64, 64) and colour.shape == (3, 64, 64)
    assert 0.0 <= gray.min() and gray.max() <= 1.0
    # a photograph, not a constant: it has real contrast
    assert gray.std() > 0.1
    with pytest.raises(ValueError, match="divide 512"):
        data.load_photo(100)


def test_make_shapes_is_balanced_seeded_and_separable_by_class_mean():
    images, labels = data.make_shapes(200, size=16, noise=0.0, seed=0)
    assert images.shape == (200, 16, 16) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [50, 50, 50, 50]
    again, _ = data.make_shapes(200, size=16, noise=0.0, seed=0)
    assert np.array_equal(images, again)
    other, _ = data.make_shapes(200, size=16, noise=0.0, seed=1)
    assert not np.array_equal(images, other)
    # squares fill more of their box than crosses do: the classes really differ
    ink = images.reshape(200, -1).sum(axis=1)
    assert ink[labels == 0].mean() > ink[labels == 3].mean()


@pytest.mark.parametrize("kwargs, word", [({"n": 0}, "n must"), ({"size": 4}, "size"),
                                          ({"noise": -1.0}, "noise")])
def test_make_shapes_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        data.make_shapes(**kwargs)


def test_load_text_is_deterministic_english_in_the_small_alphabet():
    text = data.load_text()
    assert len(text) > 300_000
    assert set(text) <= set(data.TEXT_ALPHABET)
    assert "  " not in text and text == text.strip()
    assert text == data.load_text()  # sorted keys: the same string every time
    words = text.split()
    assert sum(w in {"the", "of", "is", "a", "and"} for w in words) > 0.1 * len(words)


def test_load_text_prefix_and_full_alphabet():
    assert data.load_text(100) == data.load_text()[:100]
    full = data.load_text(small_alphabet=False)
    assert any(c.isupper() for c in full) and "\n" not in full
    assert len(set(full)) > len(data.TEXT_ALPHABET)


@pytest.mark.parametrize("n_chars", [0, -5, 2.5, True])
def test_load_text_rejects_bad_lengths(n_chars):
    with pytest.raises(ValueError, match="n_chars"):
        data.load_text(n_chars)


def test_make_adding_problem_shapes_markers_and_targets():
    x, y = data.make_adding_problem(500, 20, seed=3)
    assert x.shape == (500, 20, 2) and y.shape == (500,)
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert np.all((x[:, :, 0] >= 0) & (x[:, :, 0] <= 1))
    assert set(np.unique(x[:, :, 1])) == {0.0, 1.0}
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    assert np.all(x[:, :10, 1].sum(axis=1) == 1) and np.all(x[:, 10:, 1].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1))


def test_make_adding_problem_is_seeded():
    a, b, c = (data.make_adding_problem(50, 9, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_make_adding_problem_baseline_mse_is_one_sixth():
    _, y = data.make_adding_problem(200_000, 4, seed=0)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.003


@pytest.mark.parametrize("n, T, word", [(0, 10, "n must"), (5, 1, "T must")])
def test_make_adding_problem_rejects_bad_arguments(n, T, word):
    with pytest.raises(ValueError, match=word):
        data.make_adding_problem(n, T)


def test_make_associative_recall_binds_distinct_pairs_and_is_seeded():
    task = data.make_associative_recall(500, pairs=6, queries=4, key_vocab=9, value_vocab=7, seed=1)
    assert task.keys.shape == task.values.shape == (500, 6)
    assert task.queries.shape == task.targets.shape == task.positions.shape == (500, 4)
    assert all(a.dtype == np.int64 for a in task)
    for row in range(500):
        assert len(set(task.keys[row])) == 6 and len(set(task.values[row])) == 6
        assert len(set(task.positions[row])) == 4
    assert np.array_equal(task.queries, np.take_along_axis(task.keys, task.positions, axis=1))
    assert np.array_equal(task.targets, np.take_along_axis(task.values, task.positions, axis=1))
    assert task.keys.max() < 9 and task.values.max() < 7 and task.keys.min() >= 0
    again = data.make_associative_recall(500, pairs=6, queries=4, key_vocab=9, value_vocab=7,
                                         seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(task, again, strict=True))
    assert data.make_associative_recall(3, pairs=5).queries.shape == (3, 5)


def test_the_asked_pair_stands_anywhere_whatever_the_key():
    # Only a comparison of contents can find it: no position is favoured, for any key.
    task = data.make_associative_recall(40_000, pairs=8, seed=2)
    counts = np.bincount(task.positions.ravel(), minlength=8) / task.positions.size
    assert np.allclose(counts, 1 / 8, atol=0.005)
    first_key = task.queries[:, 0]
    for key in (0, 5):
        where = np.bincount(task.positions[first_key == key, 0], minlength=8)
        assert where.min() > 0.6 * where.mean()


@pytest.mark.parametrize("bad, word", [({"n": 0}, "n must"), ({"pairs": 11}, "pairs must"),
                                       ({"pairs": 4, "queries": 5}, "queries must"),
                                       ({"queries": 0}, "queries must")])
def test_make_associative_recall_rejects_bad_arguments(bad, word):
    with pytest.raises(ValueError, match=word):
        data.make_associative_recall(**({"n": 3} | bad))
