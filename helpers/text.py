"""Words for notebook 06 (word embeddings): real English and a corpus with planted analogies.

- :func:`load_words`: the words of Python's own help texts (``pydoc_data.topics``,
  shipped with CPython, nothing downloaded), lower-cased, in a fixed order.
- :func:`build_vocab` and :func:`encode`: a vocabulary of the most frequent
  words and a text as an array of their ids.
- :func:`make_analogy_corpus`: templated sentences about countries and their
  capitals and about female and male word pairs, so that the analogies a
  good embedding should recover are known in advance.
- :func:`skipgram_pairs` and :func:`sample_negatives`: the training data of
  skip-gram with negative sampling.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

import numpy as np

from helpers import data

__all__ = [
    "AnalogyCorpus",
    "CAPITALS",
    "GENDER_PAIRS",
    "analogy_questions",
    "build_vocab",
    "encode",
    "load_words",
    "make_analogy_corpus",
    "sample_negatives",
    "skipgram_pairs",
    "tokenize",
]

_WORD = re.compile(r"[a-z]+")


def tokenize(text: str) -> list[str]:
    """The words of ``text``: runs of the letters a-z, lower-cased; everything else separates."""
    return _WORD.findall(text.lower())


def load_words(n_words: int | None = None) -> list[str]:
    """The words of Python's help texts (:func:`helpers.data.load_text`), about 64,000 of them.

    The same on every run of the same Python (other Python versions ship
    slightly different texts).

    Parameters
    ----------
    n_words : int, optional
        Return only the first ``n_words`` words.
    """
    if n_words is not None and (
        isinstance(n_words, bool) or int(n_words) != n_words or n_words <= 0
    ):
        raise ValueError(f"n_words must be a positive integer, got {n_words!r}")
    words = tokenize(data.load_text(small_alphabet=False))
    return words if n_words is None else words[: int(n_words)]


def build_vocab(
    tokens, size: int | None = None, min_count: int = 1, skip=()
) -> tuple[dict[str, int], list[str], np.ndarray]:
    """A vocabulary of the most frequent words, most frequent first (ties alphabetically).

    Parameters
    ----------
    tokens : sequence of str
    size : int, optional
        Keep at most this many words.
    min_count : int
        Keep only words seen at least this often.
    skip : collection of str
        Words never to include (e.g. very common function words).

    Returns
    -------
    vocab : dict of str to int
        word -> id, ids ``0 .. V-1``.
    words : list of str
        id -> word.
    counts : ndarray of shape (V,), int64
        How often each word occurs in ``tokens``.
    """
    if size is not None and size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    skip = set(skip)
    counted = Counter(tokens)
    ranked = sorted(
        (w for w, n in counted.items() if n >= min_count and w not in skip),
        key=lambda w: (-counted[w], w),
    )
    words = ranked if size is None else ranked[:size]
    vocab = {w: i for i, w in enumerate(words)}
    return vocab, words, np.array([counted[w] for w in words], dtype=np.int64)


def encode(tokens, vocab: dict[str, int]) -> np.ndarray:
    """The ids of the words of ``tokens`` that are in ``vocab`` (the others are dropped), int64."""
    return np.array([vocab[w] for w in tokens if w in vocab], dtype=np.int64)


# --------------------------------------------------------------------------- planted analogies

# (country, capital, language): the language is a context both of a pair share.
CAPITALS = (
    ("france", "paris", "french"),
    ("italy", "rome", "italian"),
    ("spain", "madrid", "spanish"),
    ("germany", "berlin", "german"),
    ("japan", "tokyo", "japanese"),
    ("egypt", "cairo", "arabic"),
    ("russia", "moscow", "russian"),
    ("greece", "athens", "greek"),
)

# (female, male, topic): the topic is a context both words of a pair share.
GENDER_PAIRS = (
    ("queen", "king", "throne"),
    ("woman", "man", "street"),
    ("mother", "father", "family"),
    ("girl", "boy", "school"),
    ("sister", "brother", "sibling"),
    ("aunt", "uncle", "cousin"),
    ("daughter", "son", "child"),
    ("actress", "actor", "stage"),
)

_COUNTRY_TEMPLATES = (
    "the country of {x} speaks {t}",
    "{x} is a large country",
    "she travelled across {x} by train",
    "the borders of {x} are old",
    "in {x} they speak {t}",
    "the government of {x} met today",
)
_CAPITAL_TEMPLATES = (
    "{y} is the capital city",
    "the capital of {x} is {y}",
    "people in {y} speak {t}",
    "the city of {y} is busy at night",
    "she flew to the city {y}",
    "the streets of {y} are crowded",
)
_FEMALE_TEMPLATES = (
    "the {t} {x} said she was tired",
    "her {t} {x} smiled at her",
    "she is a {t} {x}",
    "a {t} {x} and her friend",
    "she saw the {t} {x}",
)
_MALE_TEMPLATES = (
    "the {t} {y} said he was tired",
    "his {t} {y} smiled at him",
    "he is a {t} {y}",
    "a {t} {y} and his friend",
    "he saw the {t} {y}",
)


class AnalogyCorpus(NamedTuple):
    """A synthetic corpus and the word pairs planted in it.

    ``tokens`` is the corpus as one list of words, sentences separated by ``"."``;
    ``pairs`` maps a relation (``"capital"``, ``"gender"``) to its ``(x, y)``
    pairs: country and capital, female and male word.
    """

    tokens: list[str]
    pairs: dict[str, tuple[tuple[str, str], ...]]


def make_analogy_corpus(n_sentences: int = 6000, seed: int = 0) -> AnalogyCorpus:
    """Templated sentences in which every pair of a relation plays the same role.

    Each sentence picks a relation, one of its pairs, one side of the pair and a
    template for that side, at random. A country and its capital share their
    language as context; a female and male word share a topic word. The two
    sides of a relation differ by the same contexts for every pair ("capital",
    "city" against "country"; "she", "her" against "he", "his"), so that
    ``E[y] - E[x]`` should be about the same vector for every pair: the planted
    analogies ``x1 : y1 :: x2 : y2``.
    """
    if n_sentences <= 0:
        raise ValueError(f"n_sentences must be positive, got {n_sentences}")
    rng = np.random.default_rng(seed)
    relations = {
        "capital": (CAPITALS, _COUNTRY_TEMPLATES, _CAPITAL_TEMPLATES),
        "gender": (GENDER_PAIRS, _FEMALE_TEMPLATES, _MALE_TEMPLATES),
    }
    names = sorted(relations)
    tokens: list[str] = []
    for _ in range(n_sentences):
        table, left, right = relations[names[rng.integers(len(names))]]
        x, y, t = table[rng.integers(len(table))]
        templates = right if rng.integers(2) else left
        sentence = templates[rng.integers(len(templates))].format(x=x, y=y, t=t)
        tokens.extend(sentence.split())
        tokens.append(".")
    pairs = {name: tuple((x, y) for x, y, _ in relations[name][0]) for name in names}
    return AnalogyCorpus(tokens, pairs)


def analogy_questions(pairs) -> list[tuple[str, str, str, str]]:
    """Every question ``a : b :: c : d`` from two different pairs ``(a, b)`` and ``(c, d)``."""
    pairs = list(pairs)
    return [
        (a, b, c, d) for i, (a, b) in enumerate(pairs) for j, (c, d) in enumerate(pairs) if i != j
    ]


# --------------------------------------------------------------------------- skip-gram data


def skipgram_pairs(ids, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (center, context) pair of ids at a distance of 1 to ``window`` positions.

    Returns
    -------
    centers, contexts : ndarrays of shape (P,), int64
        Each position's pairs with the words before and after it.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1:
        raise ValueError(f"expected a 1-D sequence of ids, got shape {ids.shape}")
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    centers, contexts = [], []
    for offset in range(1, window + 1):
        centers += [ids[:-offset], ids[offset:]]
        contexts += [ids[offset:], ids[:-offset]]
    return np.concatenate(centers), np.concatenate(contexts)


def sample_negatives(counts, shape, rng: np.random.Generator, power: float = 0.75) -> np.ndarray:
    """Word ids drawn with probability proportional to ``counts ** power`` (word2vec's 3/4).

    Returns an int64 array of the given ``shape``.
    """
    weights = np.asarray(counts, dtype=float) ** power
    if weights.ndim != 1 or weights.sum() <= 0:
        raise ValueError("counts must be a 1-D array with a positive sum")
    cumulative = np.cumsum(weights / weights.sum())
    draws = rng.random(shape)
    return np.minimum(np.searchsorted(cumulative, draws, side="right"), len(cumulative) - 1).astype(
        np.int64
    )
