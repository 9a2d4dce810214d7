"""The claims notebook 04 makes about its experiments, asserted on small seeded cases.

The fast tests use the notebook's own code (its solutions and the provided
training cell) on configurations small enough for the fast suite; the slow ones
rerun the full-size training runs whose numbers the prose quotes.
"""

from __future__ import annotations

import pytest

from helpers import widgets

from . import cells

SOURCE = cells.SOLUTIONS / "04_lstm" / "lstm.ipynb"
PROVIDED = ("cell-12",)  # the vanilla RNN, Adam and the adding-problem training loop
BASELINE = 1 / 6


@pytest.fixture(scope="module")
def nb04():
    return cells.provided_namespace(SOURCE, PROVIDED)


# --------------------------------------------------------------------------- section 3's widget


def test_the_rnn_gradient_vanishes_over_100_steps():
    assert gradient_at_100(0.0)["rnn"] < 1e-20          # "about 4e-23"


@pytest.mark.parametrize("bias, low, high", [(0.0, 1e-22, 1e-20), (1.0, 2e-10, 1e-9),
                                             (3.0, 2e-3, 8e-3), (5.0, 0.25, 1.0)])
def test_the_forget_bias_sets_how_much_lstm_gradient_survives(bias, low, high):
    # "1e-21 with bias 0, about 5e-10 with bias 1, 4e-3 with bias 3, about 0.5 with bias 5"
    assert low < gradient_at_100(bias)["lstm"] < high


def gradient_at_100(bias):
    norms = widgets.gradient_norms_through_time(100, bias)
    return {kind: values[-1] for kind, values in norms.items()}


# --------------------------------------------------------------------------- section 7


def test_both_networks_learn_the_adding_problem_at_length_10(nb04):
    _, _, rnn = nb04["train_adding"]("rnn", 10, 400)
    _, _, lstm = nb04["train_adding"]("lstm", 10, 400)
    assert rnn < 0.1 * BASELINE and lstm < 0.1 * BASELINE
    assert lstm < rnn / 5                                 # "the LSTM twenty times better"


def test_at_length_30_the_rnn_stays_at_the_baseline_and_the_lstm_learns(nb04):
    _, _, rnn = nb04["train_adding"]("rnn", 30, 400)
    _, _, lstm = nb04["train_adding"]("lstm", 30, 400)
    assert abs(rnn - BASELINE) < 0.02
    assert lstm < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_adding_problem_claims_hold_for_every_seed(nb04, seed):
    # The claim, not one run's digits (those change with the BLAS kernel): after
    # 400 steps both networks beat the 1/6 baseline by far at T = 10; at T = 30
    # and 60 the RNN stays near the baseline while the LSTM is far below it.
    for T in (10, 30, 60):
        _, _, rnn = nb04["train_adding"]("rnn", T, 400, seed=seed)
        _, _, lstm = nb04["train_adding"]("lstm", T, 400, seed=seed)
        assert lstm < 0.15 * BASELINE, (T, lstm)
        if T == 10:
            assert rnn < 0.3 * BASELINE, (T, rnn)
        else:
            assert rnn > 0.85 * BASELINE, (T, rnn)


# --------------------------------------------------------------------------- section 8


@pytest.mark.slow
def test_the_gate_inspector_example(nb04):
    import numpy as np

    from helpers import data

    source = next(c for c in cells.read(SOURCE).cells if c.get("id") == "cell-16").source
    exec(source.split("example_x, example_y")[0], nb04)  # noqa: S102  record_gates
    params, _, _ = nb04["train_adding"]("lstm", 30, 400)
    x, y = data.make_adding_problem(1, 30, seed=7)
    gates = nb04["record_gates"](x[0], params)
    marked = np.flatnonzero(x[0, :, 1])
    assert marked.tolist() == [3, 22]
    change = np.abs(np.diff(np.vstack([np.zeros(16), gates["c"]]), axis=0))   # (T, H)
    unmarked = np.delete(change, marked, axis=0).mean()
    assert change[marked].mean(axis=1) == pytest.approx([0.36, 0.22], abs=0.01)
    assert unmarked == pytest.approx(0.06, abs=0.005)
    assert gates["i"][marked].max(axis=1) == pytest.approx([0.88, 0.84], abs=0.01)
    assert np.argmax(change[3]) == 2 and np.argmax(change[22]) == 2
    between = gates["f"][4:22, 2]
    assert 0.63 < between.min() and between.max() < 0.83
    prediction = nb04["predict_adding"]("lstm", params, x)[0][0]
    assert prediction == pytest.approx(0.91, abs=0.005) and y[0] == pytest.approx(0.84, abs=0.005)
