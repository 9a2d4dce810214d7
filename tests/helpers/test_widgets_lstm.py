"""helpers.widgets.lstm: right gradient norms; the figures follow their controls."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import data  # noqa: E402
from helpers.gradcheck import numerical_gradient  # noqa: E402
from helpers.widgets import (  # noqa: E402
    GATE_NAMES,
    REFERENCE_FORGET_BIASES,
    gate_inspector,
    gate_inspector_figure,
    gradient_norm_explorer,
    gradient_norm_figure,
    gradient_norms_through_time,
    record_gates,
)


def line(fig, gid):
    (found,) = [ln for ln in fig.axes[0].lines if ln.get_gid() == gid]
    return np.asarray(found.get_ydata(), dtype=float)


def _lstm_h_last(h1, forget_bias, T, H=5, seed=0):
    """h_T of the widget's LSTM, rebuilt from its seed, as a function of h_1."""
    rng = np.random.default_rng(seed)
    D = 4
    x = rng.standard_normal((T, D))
    u = rng.standard_normal(H)
    rng.standard_normal(H)            # h_start, replaced by h1
    rng.standard_normal((H, H))       # the RNN's matrices, drawn first
    rng.standard_normal((H, D))
    Wx = rng.standard_normal((4 * H, D)) / np.sqrt(D)
    Wh = rng.standard_normal((4 * H, H)) / np.sqrt(H)
    b = np.zeros(4 * H)
    b[H:2 * H] = forget_bias
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h, c = h1, np.zeros(H)
    for t in range(1, T):
        a = Wx @ x[t] + Wh @ h + b
        i, f, g, o = sig(a[:H]), sig(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), sig(a[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return u / np.linalg.norm(u) @ h


@pytest.mark.parametrize("forget_bias", [0.0, 2.0])
def test_lstm_gradient_norm_matches_numerical_gradient(forget_bias):
    H, T = 5, 7
    rng = np.random.default_rng(0)
    rng.standard_normal((T, 4))
    rng.standard_normal(H)
    h_start = 0.1 * rng.standard_normal(H)
    numeric = numerical_gradient(lambda h1: _lstm_h_last(h1, forget_bias, T, H), h_start.copy())
    norms = gradient_norms_through_time(T, forget_bias, hidden_size=H, seed=0)
    assert norms["lstm"].shape == (T,) and norms["lstm"][0] == 1.0
    assert np.isclose(norms["lstm"][-1], np.linalg.norm(numeric), rtol=1e-6)


def test_rnn_vanishes_and_a_forget_bias_keeps_the_lstm_gradient_alive():
    norms = {bias: gradient_norms_through_time(100, bias)["lstm"] for bias in (0.0, 1.0, 3.0)}
    rnn = gradient_norms_through_time(100, 0.0)["rnn"]
    assert rnn[-1] < 1e-15
    assert norms[0.0][-1] < 1e-15
    assert norms[1.0][-1] > 1e3 * norms[0.0][-1]
    assert norms[3.0][-1] > 1e-3


def test_gradient_norm_figure_draws_every_reference_and_the_slider():
    fig = gradient_norm_figure(steps=40, forget_bias=2.0, hidden_size=8)
    assert np.allclose(line(fig, "chosen"), gradient_norms_through_time(40, 2.0, 8)["lstm"])
    assert np.allclose(line(fig, "rnn"), gradient_norms_through_time(40, 2.0, 8)["rnn"])
    for bias in REFERENCE_FORGET_BIASES:
        assert len(line(fig, f"lstm bias {bias:g}")) == 40
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize("kwargs, word", [({"steps": 0}, "steps"),
                                          ({"forget_bias": np.nan}, "forget_bias"),
                                          ({"hidden_size": 0}, "hidden_size")])
def test_gradient_norms_reject_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        gradient_norms_through_time(**kwargs)


def test_gradient_norm_explorer_redraws_when_the_bias_changes():
    box = gradient_norm_explorer(steps=20, forget_bias=1.0)
    steps, bias, output = box.children
    assert isinstance(bias, widgets.FloatSlider) and isinstance(steps, widgets.IntSlider)
    before = output.outputs[0]["data"]["text/plain"]
    bias.value = 5.0
    assert output.outputs[0]["data"]["text/plain"] != before


def _gates(T, H=3):
    rng = np.random.default_rng(1)
    return {name: rng.uniform(size=(T, H)) for name in GATE_NAMES}


def test_gate_inspector_figure_hides_the_future():
    x, _ = data.make_adding_problem(1, 12, seed=0)
    fig = gate_inspector_figure(x[0], _gates(12), step=4)
    assert len(fig.axes) == 1 + 2 * 4  # inputs, then a heat map and a colour bar per gate
    image = np.ma.filled(fig.axes[1].images[0].get_array().astype(float), np.nan)
    assert not np.isnan(image[:, :5]).any() and np.isnan(image[:, 5:]).all()
    assert "step 4" in fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize("step", [-1, 12, 2.5])
def test_gate_inspector_figure_rejects_steps_outside_the_sequence(step):
    x, _ = data.make_adding_problem(1, 12, seed=0)
    with pytest.raises(ValueError, match="step"):
        gate_inspector_figure(x[0], _gates(12), step)


def test_gate_inspector_figure_rejects_missing_gates():
    x, _ = data.make_adding_problem(1, 6, seed=0)
    gates = _gates(6)
    del gates["f"]
    with pytest.raises(ValueError, match="f"):
        gate_inspector_figure(x[0], gates, 0)


def test_gate_inspector_slider_moves_the_step():
    x, _ = data.make_adding_problem(1, 8, seed=0)
    slider, output = gate_inspector(x[0], _gates(8), step=0).children
    assert slider.max == 7
    slider.value = 6
    assert "step 6" in output.outputs[0]["data"]["text/plain"]


def test_record_gates_follows_the_cell_update_by_hand():
    # Zero weights: i = f = o = sigmoid(0) = 1/2 and g = tanh(atanh(0.8)) = 0.8 at every
    # step, so c_t = c_(t-1) / 2 + 0.4: 0.4, 0.6, 0.7, and h_t = tanh(c_t) / 2.
    H = 2
    b = np.zeros(4 * H)
    b[2 * H:3 * H] = np.arctanh(0.8)
    gates = record_gates(np.ones((3, 1)), np.zeros((1, 4 * H)), np.zeros((H, 4 * H)), b)
    assert set(gates) == {"i", "f", "o", "c", "h"}
    assert all(gates[name].shape == (3, H) for name in gates)
    assert all(np.allclose(gates[name], 0.5) for name in "ifo")
    assert np.allclose(gates["c"][:, 0], [0.4, 0.6, 0.7])
    assert np.allclose(gates["h"][:, 1], 0.5 * np.tanh([0.4, 0.6, 0.7]))


def test_record_gates_reads_the_blocks_in_the_order_i_f_g_o():
    # A large bias on one block at a time saturates exactly that gate.
    H = 3
    for block, name in ((0, "i"), (1, "f"), (3, "o")):
        b = np.zeros(4 * H)
        b[block * H:(block + 1) * H] = 30.0
        gates = record_gates(np.zeros((2, 2)), np.zeros((2, 4 * H)), np.zeros((H, 4 * H)), b)
        assert np.allclose(gates[name], 1.0)
        assert np.allclose([gates[other] for other in "ifo" if other != name], 0.5)


@pytest.mark.parametrize("x, Wx", [(np.zeros(5), np.zeros((1, 8))),
                                   (np.zeros((5, 2)), np.zeros((3, 8))),
                                   (np.zeros((5, 2)), np.zeros((2, 7)))])
def test_record_gates_rejects_shapes_that_do_not_fit(x, Wx):
    with pytest.raises(ValueError, match="expected x of shape"):
        record_gates(x, Wx, np.zeros((2, 8)), np.zeros(8))
