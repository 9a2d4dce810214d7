"""Offline data sets for the notebooks: nothing is ever downloaded.

- :func:`load_digits`: scikit-learn's bundled 8x8 handwritten digits.
- :func:`load_photo`: matplotlib's sample photograph (``grace_hopper.jpg``).
- :func:`make_shapes`: a seeded synthetic set of small shape images with
  known classes (square, disk, triangle, cross).
- :func:`load_text`: real English, Python's own reference documentation
  (``pydoc_data.topics``), for character-level language models.
- :func:`make_adding_problem`: Hochreiter and Schmidhuber's adding problem,
  a long-memory task for recurrent networks.
- :func:`make_associative_recall`: key-value pairs, then the value of each asked
  key: a task that only addressing by content solves, for attention.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

__all__ = ["load_digits", "load_photo", "load_text", "make_adding_problem",
           "make_associative_recall", "make_shapes", "AssociativeRecall", "SHAPE_CLASSES",
           "TEXT_ALPHABET"]

# Lower-case letters, space and three punctuation marks: small enough for a
# one-hot character model in numpy, large enough to read as English.
TEXT_ALPHABET = " abcdefghijklmnopqrstuvwxyz.,'"

SHAPE_CLASSES = ("square", "disk", "triangle", "cross")


def load_digits(n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten digits that ship with scikit-learn, scaled to [0, 1].

    Parameters
    ----------
    n : int, optional
        Return a seeded random subset of ``n`` images instead of all of them.
    seed : int
        Seed of that subset.

    Returns
    -------
    images : ndarray of shape (n, 8, 8), float64 in [0, 1]
    labels : ndarray of shape (n,), int64 in 0..9
    """
    from sklearn.datasets import load_digits as _load  # bundled with the package

    bunch = _load()
    images = bunch.images.astype(np.float64) / 16.0
    labels = bunch.target.astype(np.int64)
    if n is not None:
        if not 0 < n <= len(images):
            raise ValueError(f"n must be in 1..{len(images)}, got {n}")
        keep = np.random.default_rng(seed).choice(len(images), size=n, replace=False)
        images, labels = images[keep], labels[keep]
    return images, labels


def load_photo(size: int = 128, gray: bool = True) -> np.ndarray:
    """Matplotlib's sample photograph of Grace Hopper, square and scaled to [0, 1].

    Parameters
    ----------
    size : int
        Side of the returned square image, a divisor of 512 (e.g. 64, 128, 256, 512).
    gray : bool
        Average the colour channels to one (luminance weights 0.299, 0.587, 0.114).

    Returns
    -------
    ndarray of shape (size, size) if gray else (3, size, size), float64 in [0, 1]
        Channels first, as the course's layers expect.
    """
    if size <= 0 or 512 % size:
        raise ValueError(f"size must divide 512 (e.g. 64, 128, 256), got {size}")
    import matplotlib.cbook as cbook
    import matplotlib.pyplot as plt

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    rgb = plt.imread(path).astype(np.float64) / 255.0  # (600, 512, 3)
    top = (rgb.shape[0] - 512) // 2
    rgb = rgb[top:top + 512]  # (512, 512, 3): a centred square crop
    factor = 512 // size
    # Block-average factor x factor pixels: a clean downsampling without aliasing.
    rgb = rgb.reshape(size, factor, size, factor, 3).mean(axis=(1, 3))  # (size, size, 3)
    if gray:
        return rgb @ np.array([0.299, 0.587, 0.114])
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))  # (3, size, size)


def _draw_shape(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    half = rng.uniform(0.22, 0.34) * size  # half-extent of the shape
    cy, cx = rng.uniform(half + 0.5, size - half - 0.5, size=2)
    dy, dx = yy - cy, xx - cx
    if kind == "square":
        mask = (np.abs(dy) <= half) & (np.abs(dx) <= half)
    elif kind == "disk":
        mask = dy ** 2 + dx ** 2 <= half ** 2
    elif kind == "triangle":
        # apex at the top, base at the bottom: width grows linearly with depth
        depth = (dy + half) / (2 * half)
        mask = (depth >= 0) & (depth <= 1) & (np.abs(dx) <= depth * half)
    else:  # cross
        arm = max(1.0, half / 3)
        mask = ((np.abs(dy) <= arm) & (np.abs(dx) <= half)) | (
            (np.abs(dx) <= arm) & (np.abs(dy) <= half))
    return mask.astype(np.float64)


def make_shapes(n: int = 400, size: int = 16, noise: float = 0.1,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded set of ``size x size`` images of four shape classes on a noisy background.

    Parameters
    ----------
    n : int
        Number of images; classes are balanced (``n`` need not be a multiple of 4).
    size : int
        Side of each image in pixels, at least 8.
    noise : float
        Standard deviation of the Gaussian pixel noise added to each image.
    seed : int
        Everything random (position, scale, noise, order) follows from it.

    Returns
    -------
    images : ndarray of shape (n, size, size), float64
    labels : ndarray of shape (n,), int64, indices into :data:`SHAPE_CLASSES`
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    images = np.stack([_draw_shape(SHAPE_CLASSES[c], size, rng) for c in labels])
    images += noise * rng.standard_normal(images.shape)
    return images, labels.astype(np.int64)


def load_text(n_chars: int | None = None, small_alphabet: bool = True) -> str:
    """English prose from Python's own help texts, ``pydoc_data.topics``, as one string.

    The help texts are joined in the order of their sorted keys (so the result
    is the same on every run of the same Python), and every run of whitespace
    becomes one space.

    Parameters
    ----------
    n_chars : int, optional
        Return only the first ``n_chars`` characters.
    small_alphabet : bool
        Lower-case everything and replace each character outside
        :data:`TEXT_ALPHABET` by a space (before whitespace is collapsed), so
        that the text uses at most those 30 characters.

    Returns
    -------
    str
        About 380,000 characters with the small alphabet.

    Raises
    ------
    ValueError
        If ``n_chars`` is not a positive integer.
    """
    from pydoc_data.topics import topics  # ships with CPython: nothing to download

    if n_chars is not None and (isinstance(n_chars, bool) or int(n_chars) != n_chars
                                or n_chars <= 0):
        raise ValueError(f"n_chars must be a positive integer, got {n_chars!r}")
    text = " ".join(topics[key] for key in sorted(topics))
    if small_alphabet:
        text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        allowed = set(TEXT_ALPHABET)
        text = "".join(c if c in allowed else " " for c in text)
    text = re.sub(r"\s+", " ", text).strip()
    if small_alphabet:
        text = re.sub(r" ([.,])", r"\1", text)  # "word ." left by a removed symbol
    return text if n_chars is None else text[:int(n_chars)]


def make_adding_problem(n: int, T: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter and Schmidhuber, 1997): sum the two marked numbers.

    Each sequence has ``T`` steps of two features: column 0 is a number drawn
    uniformly from [0, 1], column 1 a marker that is 1 at exactly two steps and
    0 elsewhere. One marker sits in the first half of the sequence (steps
    ``0 .. T//2 - 1``), the other in the second half (steps ``T//2 .. T - 1``),
    each uniformly at random, so a network must remember a number for up to
    ``T - 1`` steps. The target is the sum of the two marked numbers, in [0, 2].
    Always predicting 1 scores a mean squared error of 1/6 (about 0.167): the
    variance of the sum of two independent uniform numbers.

    Parameters
    ----------
    n : int
        Number of sequences.
    T : int
        Length of every sequence, at least 2.
    seed : int
        Numbers and marker positions follow from it.

    Returns
    -------
    x : ndarray of shape (n, T, 2), float64
    y : ndarray of shape (n,), float64
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if T < 2:
        raise ValueError(f"T must be at least 2 to hold two markers, got {T}")
    rng = np.random.default_rng(seed)
    half = T // 2
    x = np.zeros((n, T, 2))
    x[:, :, 0] = rng.uniform(0.0, 1.0, size=(n, T))
    rows = np.arange(n)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = x[rows, first, 0] + x[rows, second, 0]
    return x, y


class AssociativeRecall(NamedTuple):
    """One batch of :func:`make_associative_recall`; every field is an int64 array."""

    keys: np.ndarray       # (n, pairs): the key of every pair
    values: np.ndarray     # (n, pairs): the value of every pair
    queries: np.ndarray    # (n, queries): the keys asked for, one per output step
    targets: np.ndarray    # (n, queries): the values of the asked keys
    positions: np.ndarray  # (n, queries): where the asked pair stands among the pairs


def make_associative_recall(n: int, pairs: int = 8, queries: int | None = None,
                            key_vocab: int = 16, value_vocab: int = 10,
                            seed: int = 0) -> AssociativeRecall:
    """Associative recall: read key-value pairs, then answer with the value of each asked key.

    Every sequence holds ``pairs`` pairs with distinct keys (drawn from
    ``0 .. key_vocab - 1``) and distinct values (from ``0 .. value_vocab - 1``),
    bound at random. Then it asks for ``queries`` of its keys, distinct and in
    a random order. Where the asked pair stands is uniform over the pairs and
    independent of the key, so only a model that compares the asked key with
    the pairs' keys (addressing by content) can answer; one that reads by
    position is right once in ``pairs`` times.

    Parameters
    ----------
    n : int
        Number of sequences.
    pairs : int
        Pairs per sequence, at least 1 and at most ``key_vocab`` and ``value_vocab``.
    queries : int, optional
        Keys asked per sequence, ``1 .. pairs``; default ``pairs`` (every key once).
    key_vocab, value_vocab : int
        Number of distinct keys and values.
    seed : int
        Everything random follows from it.

    Returns
    -------
    AssociativeRecall
        ``keys``, ``values`` of shape (n, pairs); ``queries``, ``targets``,
        ``positions`` of shape (n, queries), with
        ``queries[i, q] == keys[i, positions[i, q]]`` and
        ``targets[i, q] == values[i, positions[i, q]]``.
    """
    queries = pairs if queries is None else queries
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 1 <= pairs <= min(key_vocab, value_vocab):
        raise ValueError(f"pairs must be in 1..{min(key_vocab, value_vocab)} (distinct keys and "
                         f"values), got {pairs}")
    if not 1 <= queries <= pairs:
        raise ValueError(f"queries must be in 1..{pairs}, got {queries}")
    rng = np.random.default_rng(seed)
    # The first columns of a random permutation per row: distinct draws without replacement.
    keys = np.argsort(rng.random((n, key_vocab)), axis=1)[:, :pairs]
    values = np.argsort(rng.random((n, value_vocab)), axis=1)[:, :pairs]
    positions = np.argsort(rng.random((n, pairs)), axis=1)[:, :queries]
    return AssociativeRecall(keys.astype(np.int64), values.astype(np.int64),
                             np.take_along_axis(keys, positions, axis=1).astype(np.int64),
                             np.take_along_axis(values, positions, axis=1).astype(np.int64),
                             positions.astype(np.int64))
