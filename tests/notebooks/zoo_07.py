"""Wrong and right answers to notebook 07's exercises (activation maximization).

``WRONG[exercise][mistake]`` is an answer a student could plausibly write; the
exercise's graded tests must reject each one. ``RIGHT[exercise][style]`` is a
correct answer written differently from the reference solution; the graded
tests must accept each one. Each wrong answer differs from a right one by the
single mistake its name describes; the variants are ``expected_07``'s, the
same computations that give the stored values of the mistakes the tests name.
The wrong ascents carry their own correct total-variation gradient, so that
only the exercise under test is wrong.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from helpers import models

from .expected_07 import am_variant, saliency_variant, tv_grad_variant, tv_variant
from .zoo_choices import choice_zoo

# --------------------------------------------------------------------------- total_variation


def _tv_loops(x):
    x = np.asarray(x, dtype=float)
    images = x.reshape(-1, *x.shape[-2:])                    # (C, H, W), C = 1 for an (H, W) image
    total = 0.0
    for image in images:
        H, W = image.shape
        for i in range(H):
            for j in range(W):
                if i + 1 < H:
                    total += (image[i + 1, j] - image[i, j]) ** 2
                if j + 1 < W:
                    total += (image[i, j + 1] - image[i, j]) ** 2
    return total


def _tv_diff(x):
    x = np.asarray(x, dtype=float)
    return np.square(np.diff(x, axis=-2)).sum() + np.square(np.diff(x, axis=-1)).sum()


def _tv_swapaxes(x):
    x = np.asarray(x, dtype=float)
    vertical = x[..., 1:, :] - x[..., :-1, :]
    horizontal = np.swapaxes(x, -1, -2)[..., 1:, :] - np.swapaxes(x, -1, -2)[..., :-1, :]
    return float(np.vdot(vertical, vertical) + np.vdot(horizontal, horizontal))


def _tv_per_channel(x):
    x = np.asarray(x, dtype=float)
    return np.square(np.diff(x, axis=-2)).sum(axis=(-2, -1)) + np.square(np.diff(x, axis=-1)).sum(
        axis=(-2, -1))


WRONG_TV = {
    "absolute instead of squared differences": partial(tv_variant, power=1),
    "only the vertical differences": partial(tv_variant, directions="vertical"),
    "only the horizontal differences": partial(tv_variant, directions="horizontal"),
    "the border wrapped around (np.roll)": partial(tv_variant, wrap=True),
    "the mean instead of the sum": partial(tv_variant, reduce="mean"),
    "differences along the first two axes": partial(tv_variant, axes=(0, 1)),
    "one value per channel instead of one number": _tv_per_channel,
}

RIGHT_TV = {"loops over pixels": _tv_loops, "np.diff": _tv_diff,
            "swapped axes and dot products": _tv_swapaxes}

# --------------------------------------------------------------------------- total_variation_grad


def _tv_grad_loops(x):
    x = np.asarray(x, dtype=float)
    images = x.reshape(-1, *x.shape[-2:])
    dx = np.zeros_like(images)
    for c, image in enumerate(images):
        H, W = image.shape
        for i in range(H):
            for j in range(W):
                for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                    if 0 <= i + di < H and 0 <= j + dj < W:
                        dx[c, i, j] += 2 * (image[i, j] - image[i + di, j + dj])
    return dx.reshape(x.shape)


def _tv_grad_pad(x):
    x = np.asarray(x, dtype=float)
    pad = [(0, 0)] * (x.ndim - 2)
    rows = np.diff(x, axis=-2)
    cols = np.diff(x, axis=-1)
    # 2 d above minus 2 d below: pad the differences with zeros where a neighbour is missing
    above = np.pad(rows, pad + [(1, 0), (0, 0)])
    below = np.pad(rows, pad + [(0, 1), (0, 0)])
    left = np.pad(cols, pad + [(0, 0), (1, 0)])
    right = np.pad(cols, pad + [(0, 0), (0, 1)])
    return 2 * (above - below + left - right)


def _tv_grad_in_place_on_x(x):
    dx = tv_grad_variant(x)
    np.multiply(x, 0.0, out=x)          # "reuses" x as scratch space afterwards
    return dx


WRONG_TV_GRAD = {
    "a sign error": partial(tv_grad_variant, sign=-1.0),
    "the border terms missing (zero padding)": partial(tv_grad_variant, boundary=False),
    "the border wrapped around (np.roll)": partial(tv_grad_variant, wrap=True),
    "the factor 2 missing": partial(tv_grad_variant, factor=1.0),
    "only the vertical differences": partial(tv_grad_variant, directions="vertical"),
    "x overwritten": _tv_grad_in_place_on_x,
}

RIGHT_TV_GRAD = {"loops over neighbours": _tv_grad_loops, "padded differences": _tv_grad_pad}

# -------------------------------------------------------------------- activation_maximization


def _tv_grad(x):
    return tv_grad_variant(x)


def _am_loop_forward_backward(model, target, steps=200, lr=0.1, l2=0.0, tv=0.0, jitter=0, seed=0):
    """The same ascent through models.forward and models.backward, the gradient rolled back."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(models.input_shape(model)) / 10
    for _ in range(steps):
        dy = dx = 0
        if jitter:
            dy, dx = rng.integers(-jitter, jitter + 1, size=2)
        seen = np.roll(np.roll(x, dy, axis=-2), dx, axis=-1)
        scores, cache = models.forward(model, seen[np.newaxis])
        pick = np.eye(scores.shape[1])[[target]]
        grad, _ = models.backward(pick, cache)
        step = lr * (grad[0] - 2 * l2 * seen - tv * _tv_grad_pad(seen))
        x = x + np.roll(np.roll(step, -dy, axis=-2), -dx, axis=-1)
    return x


def _am_objective(model, target, steps=200, lr=0.1, l2=0.0, tv=0.0, jitter=0, seed=0):
    """The ascent written as one objective's gradient, in place on a copy."""
    rng = np.random.default_rng(seed)
    shape = models.input_shape(model)
    image = 0.1 * rng.standard_normal(shape)
    e = np.zeros((1, models.num_classes(model)))
    e[0, target] = 1
    for _ in range(int(steps)):
        shift = rng.integers(-jitter, jitter + 1, size=2) if jitter > 0 else np.zeros(2, int)
        image = np.roll(image, tuple(shift), axis=(1, 2))
        image += lr * (models.input_gradient(model, image[None], e)[0] - l2 * 2 * image
                       - tv * _tv_grad_loops(image))
        image = np.roll(image, tuple(-shift), axis=(1, 2))
    return image


def _am(**switches):
    return partial(am_variant, **switches)


WRONG_AM = {
    "the softmax probability instead of the logit": _am(objective="probability"),
    "the log-probability instead of the logit": _am(objective="log-probability"),
    "the loss instead of the logit": _am(objective="loss"),
    "gradient descent instead of ascent": _am(direction=-1.0),
    "every logit instead of the target's": _am(objective="every logit"),
    "the penalties added instead of subtracted": _am(penalty_sign=1.0),
    "L2 without its factor 2": _am(l2_factor=1.0),
    "the TV gradient with the wrong sign": _am(tv_sign=-1.0),
    "jitter not undone": _am(undo=False),
    "the upper bound of the shift excluded": _am(high=0),
    "the channel axis rolled": _am(axes=(0, 1)),
    "the start not scaled": _am(start_scale=1.0),
    "the start all zeros": _am(start="zeros"),
    "a batch of one image returned": _am(batch=True),
}

RIGHT_AM = {"forward and backward, the step rolled back": _am_loop_forward_backward,
            "the two shifts drawn one at a time": _am(one_draw=False),
            "one objective, loops for the TV gradient": _am_objective}

# --------------------------------------------------------------------------- saliency_map


def _saliency_loops(model, x, label):
    x = np.asarray(x, dtype=float)
    d = np.zeros((1, models.num_classes(model)))
    d[0, label] = 1
    g = models.input_gradient(model, x[None], d)[0]
    C, H, W = g.shape
    out = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            out[i, j] = max(abs(g[c, i, j]) for c in range(C))
    return out


def _saliency_forward_backward(model, x, label):
    scores, cache = models.forward(model, np.asarray(x, dtype=float)[np.newaxis])
    dx, _ = models.backward(np.eye(scores.shape[1])[[label]], cache)
    return np.max(np.maximum(dx[0], -dx[0]), axis=0)


WRONG_SALIENCY = {
    "summed over the channels": partial(saliency_variant, reduce="sum"),
    "averaged over the channels": partial(saliency_variant, reduce="mean"),
    "without the absolute value": partial(saliency_variant, absolute="none"),
    "the absolute value after the maximum": partial(saliency_variant, absolute="after"),
    "only the first channel": partial(saliency_variant, channel=0),
    "the gradient of the probability": partial(saliency_variant, objective="probability"),
}

RIGHT_SALIENCY = {"loops over pixels": _saliency_loops,
                  "forward and backward": _saliency_forward_backward}

# --------------------------------------------------------------------------- questions

WRONG_CHOICES, RIGHT_CHOICES = choice_zoo({"answer_q1": "b", "answer_q2": "c", "answer_q3": "a"})

WRONG = {"total_variation": WRONG_TV, "total_variation_grad": WRONG_TV_GRAD,
         "activation_maximization": WRONG_AM, "saliency_map": WRONG_SALIENCY, **WRONG_CHOICES}
RIGHT = {"total_variation": RIGHT_TV, "total_variation_grad": RIGHT_TV_GRAD,
         "activation_maximization": RIGHT_AM, "saliency_map": RIGHT_SALIENCY, **RIGHT_CHOICES}

# (exercise, wrong answers, mistake, graded test cell, words its message must hold)
NAMED_MISTAKES = [
    ("total_variation", WRONG_TV, "absolute instead of squared differences", "test_total_variation",
     "absolute instead of squared differences"),
    ("total_variation", WRONG_TV, "the border wrapped around (np.roll)", "test_total_variation",
     "wrapped around"),
    ("total_variation", WRONG_TV, "only the vertical differences", "test_total_variation",
     "only the vertical differences"),
    ("total_variation_grad", WRONG_TV_GRAD, "a sign error", "test_total_variation_grad_2",
     "a sign error"),
    ("total_variation_grad", WRONG_TV_GRAD, "the border terms missing (zero padding)",
     "test_total_variation_grad_2", "the border terms missing"),
    ("activation_maximization", WRONG_AM, "the softmax probability instead of the logit",
     "test_activation_maximization", "the softmax probability ascended instead of the logit"),
    ("activation_maximization", WRONG_AM, "the loss instead of the logit",
     "test_activation_maximization", "the loss ascended"),
    ("activation_maximization", WRONG_AM, "gradient descent instead of ascent",
     "test_activation_maximization", "gradient descent"),
    ("activation_maximization", WRONG_AM, "jitter not undone", "test_activation_maximization_2",
     "the jitter not undone"),
    ("saliency_map", WRONG_SALIENCY, "summed over the channels", "test_saliency_map",
     "summed over the channels"),
    ("saliency_map", WRONG_SALIENCY, "without the absolute value", "test_saliency_map",
     "negative entries"),
]
