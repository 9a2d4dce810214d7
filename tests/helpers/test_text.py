"""helpers.text: tokens, vocabularies, the planted-analogy corpus and skip-gram data."""

import numpy as np
import pytest

from helpers import text


def test_tokenize_and_load_words_give_lower_case_words():
    assert text.tokenize("Hello, World: x_1 isn't") == ["hello", "world", "x", "isn", "t"]
    words = text.load_words()
    assert len(words) > 30_000 and all(w.isalpha() and w.islower() for w in words[:1000])
    assert text.load_words(10) == words[:10]
    with pytest.raises(ValueError):
        text.load_words(0)


def test_build_vocab_ranks_by_count_then_alphabetically_and_encode_drops_unknown_words():
    vocab, words, counts = text.build_vocab(["b", "a", "c", "a", "b", "d"], size=3, skip={"c"})
    assert words == ["a", "b", "d"] and vocab == {"a": 0, "b": 1, "d": 2}
    assert counts.tolist() == [2, 2, 1]
    assert text.encode(["d", "x", "a"], vocab).tolist() == [2, 0]


def test_the_analogy_corpus_is_seeded_and_holds_every_planted_pair():
    corpus = text.make_analogy_corpus(2000, seed=3)
    assert corpus.tokens == text.make_analogy_corpus(2000, seed=3).tokens
    assert corpus.tokens != text.make_analogy_corpus(2000, seed=4).tokens
    seen = set(corpus.tokens)
    for pairs in corpus.pairs.values():
        assert len(pairs) == 8
        for x, y in pairs:
            assert x in seen and y in seen
    assert corpus.tokens.count(".") == 2000
    questions = text.analogy_questions(corpus.pairs["capital"])
    assert len(questions) == 56 and ("france", "paris", "italy", "rome") in questions


def test_skipgram_pairs_are_every_pair_within_the_window_both_ways():
    centers, contexts = text.skipgram_pairs([5, 6, 7], 2)
    assert sorted(zip(centers.tolist(), contexts.tolist(), strict=True)) == [
        (5, 6),
        (5, 7),
        (6, 5),
        (6, 7),
        (7, 5),
        (7, 6),
    ]
    with pytest.raises(ValueError):
        text.skipgram_pairs([1, 2], 0)


def test_negatives_follow_the_three_quarter_power_of_the_counts():
    rng = np.random.default_rng(0)
    draws = text.sample_negatives([1, 16, 0], (20000,), rng)
    assert set(np.unique(draws)) == {0, 1}
    share = np.mean(draws == 1)
    assert share == pytest.approx(8 / 9, abs=0.01)  # 16^0.75 = 8 against 1^0.75 = 1
