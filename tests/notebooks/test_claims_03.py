"""The claims notebook 03 makes about its experiments, asserted on small seeded cases.

The fast tests use the notebook's own code (its solutions and provided cells) on
configurations small enough for the fast suite; the slow ones rerun the
full-size training runs whose numbers the prose quotes.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from helpers import widgets

from . import cells

# The prose quotes numbers measured on Python 3.11's help texts; another Python
# ships other texts, so there only the qualitative claims are asserted.
QUOTED_PYTHON = sys.version_info[:2] == (3, 11)
SOURCE = cells.SOLUTIONS / "03_vanilla_rnn" / "vanilla_rnn.ipynb"
PROVIDED = ("cell-15", "cell-16", "cell-21")  # optimiser and loss, the language model, the digits


@pytest.fixture(scope="module")
def nb03():
    return cells.provided_namespace(SOURCE, PROVIDED)


# --------------------------------------------------------------------------- section 7 and Q1

def test_the_worked_numbers_of_section_7_and_q1():
    assert 0.0055 < 0.9 ** 49 < 0.0065
    assert 100 < 1.1 ** 49 < 110
    assert 1.5e-4 < 0.8 ** 39 < 2.5e-4


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


@pytest.mark.slow
def test_the_full_language_model_reaches_the_quoted_losses_and_temperatures(nb03):
    params, losses = nb03["train_char_model"](1200)
    train_loss = losses[-50:].mean()
    valid = nb03["random_windows"](nb03["valid_codes"], 256, 32, np.random.default_rng(1))
    valid_loss, _ = nb03["char_model_loss"](params, valid)
    # What holds on any Python: far below guessing, held-out a little above training.
    assert abs(losses[0] - np.log(30)) < 0.1  # starts at uniform guessing
    assert train_loss < losses[250:300].mean() < np.log(30) - 1.0  # and keeps falling
    assert train_loss < 1.9
    assert train_loss < valid_loss < train_loss + 0.3
    if QUOTED_PYTHON:  # the numbers the prose quotes, measured on this text
        assert 1.55 < train_loss < 1.7  # "about 1.6"
        assert 1.9 < losses[250:300].mean() < 2.2  # "about 2.0 after 300 steps"
        assert 1.7 < valid_loss < 1.82  # "about 1.76"
    words = set(nb03["text"].split())
    found, distinct = {}, {}
    for temperature in (0.5, 1.0, 1.5):
        sampled = nb03["sample_text"](params, "the ", 2000, temperature, seed=1).split()
        found[temperature] = np.mean([w in words for w in sampled])
        distinct[temperature] = len(set(sampled)) / len(sampled)
    assert found[0.5] > found[1.0] > found[1.5]
    assert distinct[0.5] < distinct[1.0] < distinct[1.5]
    if QUOTED_PYTHON:
        assert abs(found[0.5] - 0.81) < 0.03 and abs(distinct[0.5] - 0.37) < 0.03


# --------------------------------------------------------------------------- section 9

def test_a_short_run_of_the_digit_rnn_beats_guessing_by_far(nb03):
    losses, accuracy = nb03["train_digit_rnn"](100)
    assert accuracy > 0.85
    assert losses[-20:].mean() < 0.5 < 2.0 < losses[0]


@pytest.mark.slow
def test_the_full_digit_rnn_reaches_the_quoted_accuracy(nb03):
    accuracies = {}
    for seed in (0, 1, 2):
        losses, accuracies[seed] = nb03["train_digit_rnn"](800, seed=seed)
        if seed == 0:
            assert losses[-50:].mean() < 0.01
    assert 0.965 < accuracies[0] < 0.98  # "about 97%"
    assert 0.96 < accuracies[1] < 0.98 and 0.95 < accuracies[2] < 0.97
