"""The claims notebook 03 makes about its experiments, asserted on small seeded cases.

The fast tests use the notebook's own code (its solutions and provided cells) on
configurations small enough for the fast suite; the slow ones rerun the
full-size training runs whose numbers the prose quotes.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import widgets

from . import cells

SOURCE = cells.SOLUTIONS / "03_vanilla_rnn" / "vanilla_rnn.ipynb"
PROVIDED = ("cell-16", "cell-21")  # the language model, the digit reader


@pytest.fixture(scope="module")
def nb03():
    return cells.provided_namespace(SOURCE, PROVIDED)


# --------------------------------------------------------------------------- section 7 and Q1

def test_linear_rnn_vanishes_below_radius_one_explodes_above_and_stays_flat_at_one():
    low = widgets.hidden_jacobian_norms(60, 0.9, "linear")
    one = widgets.hidden_jacobian_norms(60, 1.0, "linear")
    high = widgets.hidden_jacobian_norms(60, 1.1, "linear")
    assert 3e-3 < low[-1] < 5e-3  # "about 4 10^-3"
    assert 4e2 < high[-1] < 6e2  # "about 5 10^2"
    assert 0.5 <= one.min() and one.max() <= 2.0  # "within a factor of 2 of 1"
    slope = np.polyfit(np.arange(60), np.log(low), 1)[0]  # a straight line on the log axis
    assert abs(slope - np.log(0.9)) < 0.1 * abs(np.log(0.9))


def test_tanh_with_unit_inputs_vanishes_at_every_reference_radius():
    for radius in widgets.REFERENCE_RADII:
        assert widgets.hidden_jacobian_norms(60, radius, "tanh", input_scale=1.0)[-1] < 2e-13


def test_tanh_slider_suggestions():
    assert np.allclose(widgets.hidden_jacobian_norms(60, 1.1, "tanh", input_scale=0.0),
                       widgets.hidden_jacobian_norms(60, 1.1, "linear"))
    kept = widgets.hidden_jacobian_norms(60, 1.1, "tanh", input_scale=0.1)
    assert 0.9 <= kept.min() and kept.max() < 4.0  # "keeps its size"
    assert 0.05 < widgets.hidden_jacobian_norms(60, 1.0, "tanh", input_scale=0.1)[-1] < 0.12
    two = widgets.hidden_jacobian_norms(60, 2.0, "tanh", input_scale=1.0)
    assert 0.14 < two.min() and two.max() < 5.0  # "between 0.15 and 5"
    assert widgets.hidden_jacobian_norms(60, 3.0, "tanh", input_scale=1.0)[-1] > 1e3


# --------------------------------------------------------------------------- section 8

def test_the_text_has_the_size_and_alphabet_the_prose_gives(nb03):
    assert 300_000 < len(nb03["text"]) < 500_000  # 384,941 in Python 3.11
    assert nb03["V"] == 30


def test_a_short_run_of_the_language_model_learns(nb03):
    _, losses = nb03["train_char_model"](150)
    assert abs(losses[0] - np.log(30)) < 0.15  # starts near uniform guessing
    assert losses[-30:].mean() < losses[:10].mean() - 0.7


def test_sampling_writes_the_prompt_then_characters_of_the_alphabet(nb03):
    params, _ = nb03["train_char_model"](20)
    sample = nb03["sample_text"](params, "the ", 50, temperature=0.7, seed=3)
    assert sample.startswith("the ") and len(sample) == 54
    assert set(sample) <= set(nb03["alphabet"])
    assert sample == nb03["sample_text"](params, "the ", 50, temperature=0.7, seed=3)


def test_truncated_bptt_streams_follow_each_other_and_start_again_at_the_end(nb03):
    codes = np.arange(101)
    chunks = nb03["stream_chunks"](codes, 4, 5)          # 4 streams of 25 characters
    first, fresh = next(chunks)
    second, later = next(chunks)
    assert fresh and not later
    assert first[:, 0].tolist() == [0, 25, 50, 75]
    assert np.array_equal(second[:, 0], first[:, -1])     # each chunk goes on where the last ended
    for _ in range(3):
        windows, fresh = next(chunks)
    assert fresh and np.array_equal(windows, first)       # used up: back to the start


def test_the_state_is_carried_but_its_gradient_is_not(nb03):
    params = nb03["init_char_model"](8, np.random.default_rng(0))
    windows = next(nb03["stream_chunks"](nb03["train_codes"], 3, 6))[0]
    loss_zero, _, h_last = nb03["char_model_loss"](params, windows)
    loss_carried, grads, _ = nb03["char_model_loss"](params, windows, h_last)
    assert h_last.shape == (3, 8) and loss_carried != loss_zero
    assert [g.shape for g in grads] == [p.shape for p in params]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_the_full_language_model_learns_and_temperature_trades_real_words_for_variety(nb03, seed):
    params, losses = nb03["train_char_model"](1200, seed=seed)
    train_loss = losses[-50:].mean()
    valid_loss = nb03["stream_loss"](params, nb03["valid_codes"])
    # "starts at uniform guessing, around 2 after a few hundred steps, roughly 1.6-1.7"
    assert abs(losses[:5].mean() - np.log(30)) < 0.15
    assert 1.7 < losses[250:300].mean() < 2.3
    assert 1.4 < train_loss < 1.8
    # "held-out text a little above the training loss"
    assert train_loss < valid_loss < train_loss + 0.3
    words = set(nb03["text"][:len(nb03["train_codes"])].split())
    real, distinct = {}, {}
    for temperature in (0.5, 1.0, 1.5):
        sampled = nb03["sample_text"](params, "the ", 2000, temperature, seed=1).split()[1:]
        real[temperature] = np.mean([w in words for w in sampled])
        distinct[temperature] = len(set(sampled)) / len(sampled)
    # "most words at 0.5 are real but repeat; at 1.5 almost every word is new, most not words"
    assert real[0.5] > 0.6 > real[1.0] > real[1.5] and real[1.5] < 0.4
    assert distinct[0.5] < 0.5 < distinct[1.0] < distinct[1.5] and distinct[1.5] > 0.8


# --------------------------------------------------------------------------- section 9

def test_a_short_run_of_the_digit_rnn_beats_guessing_by_far(nb03):
    losses, accuracy = nb03["train_digit_rnn"](100)
    assert accuracy > 0.85
    assert losses[-20:].mean() < 0.5 < 2.0 < losses[0]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_full_digit_rnn_reaches_the_quoted_accuracy(nb03, seed):
    losses, accuracy = nb03["train_digit_rnn"](800, seed=seed)
    assert losses[-50:].mean() < 0.03                    # "around 0.01 or below"
    assert 0.94 < accuracy < 0.99                         # "about 95-98%"
