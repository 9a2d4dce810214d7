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
# The widget draws one random W_hh (seed 0); the claims hold for other draws too,
# so they are asserted over several seeds, with the margins the prose leaves.

SEEDS = range(6)


def norms(radius, activation, seed, input_scale=1.0):
    return widgets.hidden_jacobian_norms(60, radius, activation, input_scale=input_scale, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_rnn_vanishes_below_radius_one_explodes_above_and_stays_level_at_one(seed):
    low, one, high = (norms(radius, "linear", seed) for radius in (0.9, 1.0, 1.1))
    assert 1e-3 < low[-1] < 1e-2                          # "a few thousandths"
    assert 100 < high[-1] < 1000                          # "a few hundred"
    slope = np.polyfit(np.arange(60), np.log(low), 1)[0]  # "a factor of about 0.9 per step"
    assert abs(slope - np.log(0.9)) < 0.15 * abs(np.log(0.9))
    # "within a small factor of 1", and "first rises above 1, then stays level"
    assert 0.9 < one.min() and 1.2 < one.max() < 5.0
    assert one[30:].max() / one[30:].min() < 2.0


@pytest.mark.parametrize("seed", SEEDS)
def test_the_spectral_radius_is_not_a_bound_on_the_norm_of_a_power(seed):
    # Q1 (d): the norm of W^k can exceed rho^k; (c): it still shrinks like rho^k.
    W = widgets.recurrent_matrix(32, 0.8, seed)
    power = np.linalg.norm(np.linalg.matrix_power(W, 39), 2)
    assert 1.2 * 0.8 ** 39 < power < 10 * 0.8 ** 39   # above rho^k, by a modest factor


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_with_unit_inputs_vanishes_at_every_reference_radius(seed):
    for radius in widgets.REFERENCE_RADII:
        assert norms(radius, "tanh", seed)[-1] < 1e-9     # "far below 10^-9"


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_slider_suggestions(seed):
    # "input scale 0: the curves are those of the linear RNN"
    assert np.allclose(norms(1.1, "tanh", seed, input_scale=0.0), norms(1.1, "linear", seed))
    # "input scale 0.1, radius 1.1: where the linear RNN reached hundreds, of order 1"
    kept = norms(1.1, "tanh", seed, input_scale=0.1)
    assert kept.max() < norms(1.1, "linear", seed)[-1] / 10 and kept.max() < 30
    assert kept[-1] > 0.01
    # "radius 1.0 at the same input scale already shrinks it below 1"
    assert norms(1.0, "tanh", seed, input_scale=0.1)[-1] < 0.5
    # "between 2 and 3: at 2 within a couple of orders of 1, at 3 it explodes"
    two = norms(2.0, "tanh", seed)
    assert 1e-3 < two.min() and two.max() < 100
    assert norms(3.0, "tanh", seed)[-1] > 10


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
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_full_language_model_learns_and_temperature_trades_real_words_for_variety(nb03, seed):
    params, losses = nb03["train_char_model"](1200, seed=seed)
    train_loss = losses[-50:].mean()
    valid_loss = nb03["stream_loss"](params, nb03["valid_codes"])
    # "starts at about 3.4, around 1.9 after 300 steps, about 1.5-1.6 after 1,200"
    assert abs(losses[:5].mean() - np.log(30)) < 0.25
    assert 1.7 < losses[250:300].mean() < 2.1
    assert 1.4 < train_loss < 1.7
    # "held-out text a little higher (by about 0.15 nats)"
    assert train_loss + 0.05 < valid_loss < train_loss + 0.3
    words = set(nb03["text"][:len(nb03["train_codes"])].split())
    real, distinct = {}, {}
    for temperature in (0.5, 1.0, 1.5):
        sampled = nb03["sample_text"](params, "the ", 2000, temperature, seed=1).split()[1:]
        real[temperature] = np.mean([w in words for w in sampled])
        distinct[temperature] = len(set(sampled)) / len(sampled)
    # "the columns move in opposite directions": real words fall, distinct words rise
    assert real[0.5] - 0.15 > real[1.0] > real[1.5] + 0.1
    assert distinct[0.5] + 0.2 < distinct[1.0] < distinct[1.5] - 0.1
    # "at 0.5 roughly 80-90% real, about a third distinct; at 1.5 around 90% distinct,
    # about a quarter real"
    assert real[0.5] > 0.7 and distinct[0.5] < 0.45
    assert distinct[1.5] > 0.8 and real[1.5] < 0.35


# --------------------------------------------------------------------------- section 9

def test_a_short_run_of_the_digit_rnn_beats_guessing_by_far(nb03):
    losses, accuracy = nb03["train_digit_rnn"](100)
    assert accuracy > 0.85
    assert losses[-20:].mean() < 0.5 < 2.0 < losses[0]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_full_digit_rnn_reaches_the_quoted_accuracy(nb03, seed):
    losses, accuracy = nb03["train_digit_rnn"](800, seed=seed)
    # "a hundredth or so (between a few thousandths and a few hundredths)", "about 95-98%"
    assert losses[-50:].mean() < 0.05
    assert 0.94 < accuracy < 0.99
