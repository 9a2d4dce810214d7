"""helpers.models: the CNN's gradients (weights and input) and its training, the linear model."""


import numpy as np
import pytest

from helpers import gradcheck, models


def _away_from_ties(rng, shape):
    return rng.standard_normal(shape)       # continuous values: no two pooled values tie


@pytest.mark.parametrize("seed", [0, 1])
def test_cnn_backward_matches_numerical_gradients_for_the_weights_and_the_input(seed):
    rng = np.random.default_rng(seed)
    model = models.init_cnn(filters=3, classes=4, image_shape=(2, 4, 6), seed=seed)
    model["conv_b"] = rng.standard_normal(3)
    x = _away_from_ties(rng, (3, 2, 4, 6))
    out, cache = models.forward(model, x)
    assert out.shape == (3, 4)
    dlogits = rng.standard_normal(out.shape)
    dx, grads = models.backward(dlogits, cache)
    numeric = gradcheck.numerical_gradient(lambda v: models.logits(model, v), x.copy(), dlogits)
    assert gradcheck.relative_error(dx, numeric) < 1e-7
    assert np.allclose(models.input_gradient(model, x, dlogits), dx)
    assert set(grads) == {"conv_w", "conv_b", "dense_w", "dense_b"}
    for name, grad in grads.items():
        def output(v, name=name):
            return models.logits({**model, name: v}, x)

        numeric = gradcheck.numerical_gradient(output, model[name].copy(), dlogits)
        assert gradcheck.relative_error(grad, numeric) < 1e-7, name


def test_the_input_gradient_of_one_logit_is_its_row_of_a_one_hot_backward_pass():
    rng = np.random.default_rng(4)
    model = models.init_cnn(filters=2, classes=3, image_shape=(1, 4, 4), seed=4)
    x = _away_from_ties(rng, (2, 1, 4, 4))
    one_hot = np.zeros((2, 3))
    one_hot[:, 1] = 1.0
    numeric = gradcheck.numerical_gradient(lambda v: models.logits(model, v)[:, 1], x.copy())
    assert gradcheck.relative_error(models.input_gradient(model, x, one_hot), numeric) < 1e-7


def test_a_linear_model_has_its_weights_as_input_gradient():
    rng = np.random.default_rng(5)
    w, b = rng.standard_normal((2 * 3 * 4, 5)), rng.standard_normal(5)
    model = models.linear_model(w, b, (2, 3, 4))
    x = rng.standard_normal((3, 2, 3, 4))
    assert np.allclose(models.logits(model, x), x.reshape(3, -1) @ w + b)
    one_hot = np.eye(5)[[2, 2, 2]]
    column = np.broadcast_to(w[:, 2].reshape(2, 3, 4), x.shape)
    assert np.allclose(models.input_gradient(model, x, one_hot), column)
    assert models.input_shape(model) == (2, 3, 4) and models.num_classes(model) == 5


def test_models_refuse_images_of_the_wrong_shape():
    model = models.init_cnn(image_shape=(1, 8, 8))
    with pytest.raises(ValueError, match=r"expected x of shape \(N, 1, 8, 8\)"):
        models.logits(model, np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match="even"):
        models.init_cnn(image_shape=(1, 7, 8))
    with pytest.raises(ValueError, match="dlogits"):
        models.backward(np.zeros((2, 10)), models.forward(model, np.zeros((1, 1, 8, 8)))[1])


def test_digits_split_is_seeded_and_disjoint():
    x_train, y_train, x_test, y_test = models.digits_split(test_size=500, seed=0)
    assert x_train.shape == (1297, 1, 8, 8) and x_test.shape == (500, 1, 8, 8)
    again = models.digits_split(test_size=500, seed=0)
    assert np.array_equal(again[2], x_test) and np.array_equal(again[3], y_test)
    train_rows = {row.tobytes() for row in x_train.reshape(len(x_train), -1)}
    shared = sum(row.tobytes() in train_rows for row in x_test.reshape(len(x_test), -1))
    assert shared < 10            # a handful of digits occur twice in the data set


@pytest.mark.parametrize("seed", [0, 3])
def test_train_cnn_reaches_well_above_90_percent(seed):
    # (its time is measured in benchmarks/, not asserted)
    x_train, y_train, x_test, y_test = models.digits_split()
    model, history = models.train_cnn(x_train, y_train, seed=seed)
    assert models.accuracy(model, x_test, y_test) > 0.95
    assert history[-20:].mean() < 0.3 * history[:5].mean()
    again, _ = models.train_cnn(x_train, y_train, seed=seed)
    assert all(np.array_equal(model[k], again[k]) for k in model)     # seeded
